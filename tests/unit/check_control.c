/*
 * check_control.c
 *	  Unit tests for wal/control.c: create, read, rewrite, and refuse a
 *	  damaged or foreign global/control.
 *
 * NOTES
 *	  Check's fork mode; every test gets its own data directory under
 *	  $TMPDIR (or /tmp) and removes it at the end.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/bufpage.h"
#include "storage/crc32c.h"
#include "wal/control.h"
#include "wal/walrecord.h"

static char datadir[256];
static char control_file[512];

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(datadir, sizeof(datadir), "%s/check_control.XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(datadir));
	snprintf(control_file, sizeof(control_file), "%s/%s", datadir, CONTROL_FILE_PATH);
}

static void
teardown(void)
{
	char		path[1024];

	unlink(control_file);
	snprintf(path, sizeof(path), "%s.tmp", control_file);
	unlink(path);
	snprintf(path, sizeof(path), "%s/global", datadir);
	rmdir(path);
	rmdir(datadir);
}

static void
make_sample(ControlFile *cf)
{
	ControlFileSetDefaults(cf, UINT64_C(0x7123456789ABCDEF), true);
	cf->checkpoint = UINT64_C(0x12345678);
	cf->redo = UINT64_C(0x12340000);
	cf->next_xid = 1000;
	cf->oldest_xid = 3;
	cf->next_relid = 16384;
	cf->checkpoint_time = 1700000000;
	cf->time = 1700000005;
	cf->state = CONTROL_STATE_IN_PRODUCTION;
}

static void
init_sample(ControlFile *cf)
{
	char		errbuf[CONTROL_ERRBUF_SIZE];

	make_sample(cf);
	ck_assert_msg(ControlFileInit(datadir, cf, errbuf), "%s", errbuf);
}

/* Patch bytes of the file, then fix the CRC if asked to. */
static void
patch_file(off_t offset, const void *bytes, size_t len, bool fix_crc)
{
	char		sector[CONTROL_FILE_SIZE];
	int			fd = open(control_file, O_RDWR);
	uint32_t	crc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, sector, sizeof(sector), 0), CONTROL_FILE_SIZE);
	memcpy(sector + offset, bytes, len);
	if (fix_crc)
	{
		crc = Crc32c(sector, offsetof(ControlFile, crc));
		memcpy(sector + offsetof(ControlFile, crc), &crc, 4);
	}
	ck_assert_int_eq(pwrite(fd, sector, sizeof(sector), 0), CONTROL_FILE_SIZE);
	close(fd);
}

static void
expect_read_error(const char *fragment)
{
	ControlFile cf;
	char		errbuf[CONTROL_ERRBUF_SIZE] = "";

	ck_assert(!ControlFileRead(datadir, &cf, errbuf));
	ck_assert_msg(strstr(errbuf, fragment) != NULL, "expected \"%s\" in \"%s\"",
				  fragment, errbuf);
}

START_TEST(test_roundtrip)
{
	ControlFile cf,
				back;
	char		errbuf[CONTROL_ERRBUF_SIZE];
	struct stat st;

	init_sample(&cf);
	ck_assert_int_eq(stat(control_file, &st), 0);
	ck_assert_int_eq(st.st_size, CONTROL_FILE_SIZE);

	ck_assert_msg(ControlFileRead(datadir, &back, errbuf), "%s", errbuf);
	cf.crc = back.crc;			/* the caller's crc field is not used */
	ck_assert(memcmp(&cf, &back, sizeof(cf)) == 0);
	ck_assert_uint_eq(back.version, CONTROL_VERSION);
	ck_assert_uint_eq(back.blcksz, BLCKSZ);
	ck_assert_uint_eq(back.wal_segment_size, WAL_SEGMENT_SIZE);
	ck_assert_uint_eq(back.data_checksums, 1);

	/* rewrite in place, as a checkpoint does */
	back.state = CONTROL_STATE_SHUTDOWNED;
	back.checkpoint = UINT64_C(0xAB000028);
	back.redo = UINT64_C(0xAA000000);
	back.next_xid = 123456789012ULL;
	back.crc = 0xDEADBEEF;		/* ignored, recomputed */
	ck_assert_msg(ControlFileWrite(datadir, &back, errbuf), "%s", errbuf);
	ck_assert_msg(ControlFileRead(datadir, &cf, errbuf), "%s", errbuf);
	ck_assert_uint_eq(cf.state, CONTROL_STATE_SHUTDOWNED);
	ck_assert_uint_eq(cf.checkpoint, UINT64_C(0xAB000028));
	ck_assert_uint_eq(cf.redo, UINT64_C(0xAA000000));
	ck_assert_uint_eq(cf.next_xid, 123456789012ULL);
	ck_assert_uint_eq(cf.system_identifier, UINT64_C(0x7123456789ABCDEF));
	ck_assert_int_eq(stat(control_file, &st), 0);
	ck_assert_int_eq(st.st_size, CONTROL_FILE_SIZE);
}
END_TEST

START_TEST(test_corrupt_crc)
{
	ControlFile cf;

	init_sample(&cf);
	/* any flipped bit in the covered bytes, version word aside */
	for (size_t bit = 0; bit < offsetof(ControlFile, crc) * 8; bit++)
	{
		unsigned char byte;
		int			fd = open(control_file, O_RDWR);

		if (bit / 8 >= offsetof(ControlFile, version) &&
			bit / 8 < offsetof(ControlFile, version) + 4)
			continue;
		ck_assert_int_eq(pread(fd, &byte, 1, (off_t) (bit / 8)), 1);
		byte ^= (unsigned char) (1u << (bit % 8));
		ck_assert_int_eq(pwrite(fd, &byte, 1, (off_t) (bit / 8)), 1);
		close(fd);
		expect_read_error("checksum");
		fd = open(control_file, O_RDWR);
		byte ^= (unsigned char) (1u << (bit % 8));
		ck_assert_int_eq(pwrite(fd, &byte, 1, (off_t) (bit / 8)), 1);
		close(fd);
	}
	{
		uint32_t	bad = 0x12345678;

		patch_file(offsetof(ControlFile, crc), &bad, 4, false);
		expect_read_error("checksum");
	}
}
END_TEST

START_TEST(test_wrong_version)
{
	ControlFile cf;
	uint32_t	v = CONTROL_VERSION + 1;

	init_sample(&cf);
	patch_file(offsetof(ControlFile, version), &v, 4, true);
	expect_read_error("version");
	/* the CRC would fail too, but the version is the useful message */
	patch_file(offsetof(ControlFile, version), &v, 4, false);
	expect_read_error("version");
	v = __builtin_bswap32(CONTROL_VERSION);
	patch_file(offsetof(ControlFile, version), &v, 4, true);
	expect_read_error("byte order");
}
END_TEST

START_TEST(test_wrong_sizes)
{
	ControlFile cf;
	uint32_t	v;

	init_sample(&cf);
	v = 4096;
	patch_file(offsetof(ControlFile, blcksz), &v, 4, true);
	expect_read_error("block size");

	v = BLCKSZ;
	patch_file(offsetof(ControlFile, blcksz), &v, 4, true);
	v = 64 * 1024 * 1024;
	patch_file(offsetof(ControlFile, wal_segment_size), &v, 4, true);
	expect_read_error("WAL segment size");

	v = (uint32_t) WAL_SEGMENT_SIZE;
	patch_file(offsetof(ControlFile, wal_segment_size), &v, 4, true);
	v = 0;
	patch_file(offsetof(ControlFile, state), &v, 4, true);
	expect_read_error("invalid state");

	v = CONTROL_STATE_SHUTDOWNED;
	patch_file(offsetof(ControlFile, state), &v, 4, true);
	v = 2;
	patch_file(offsetof(ControlFile, timeline), &v, 4, true);
	expect_read_error("timeline");

	v = WAL_TIMELINE;
	patch_file(offsetof(ControlFile, timeline), &v, 4, true);
	ck_assert(ControlFileRead(datadir, &cf, NULL));
}
END_TEST

START_TEST(test_bad_file_size)
{
	ControlFile cf;
	int			fd;

	init_sample(&cf);
	ck_assert_int_eq(truncate(control_file, 100), 0);
	expect_read_error("has 100 bytes");
	ck_assert_int_eq(truncate(control_file, 0), 0);
	expect_read_error("has 0 bytes");
	ck_assert_int_eq(truncate(control_file, CONTROL_FILE_SIZE + 1), 0);
	expect_read_error("more than 512");
	/* zeroed (e.g. a block never written): version 0 */
	ck_assert_int_eq(truncate(control_file, 0), 0);
	ck_assert_int_eq(truncate(control_file, CONTROL_FILE_SIZE), 0);
	expect_read_error("version 0");
	fd = open(control_file, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_missing_and_existing)
{
	ControlFile cf;
	char		errbuf[CONTROL_ERRBUF_SIZE];
	char		path[1024];

	expect_read_error(strerror(ENOENT));
	make_sample(&cf);
	ck_assert(!ControlFileWrite(datadir, &cf, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, strerror(ENOENT)));

	init_sample(&cf);
	cf.next_xid = 99;
	ck_assert(!ControlFileInit(datadir, &cf, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, "already exists"));
	ck_assert(ControlFileRead(datadir, &cf, errbuf));
	ck_assert_uint_eq(cf.next_xid, 1000);	/* the first one survived */
	snprintf(path, sizeof(path), "%s.tmp", control_file);
	ck_assert_int_eq(access(path, F_OK), -1);	/* no temp file left behind */

	/* a data directory that does not exist */
	snprintf(path, sizeof(path), "%s/nonexistent", datadir);
	ck_assert(!ControlFileInit(path, &cf, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, "could not create directory"));
	ck_assert(!ControlFileRead(path, &cf, errbuf));
}
END_TEST

START_TEST(test_stale_temp_file)
{
	ControlFile cf;
	char		path[1024];
	char		junk[1000];
	int			fd;

	/* an earlier init crashed after creating global/ and the temp file */
	snprintf(path, sizeof(path), "%s/global", datadir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s.tmp", control_file);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	memset(junk, 'x', sizeof(junk));
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t) sizeof(junk));
	close(fd);

	init_sample(&cf);
	ck_assert(ControlFileRead(datadir, &cf, NULL));
}
END_TEST

START_TEST(test_names_and_identifier)
{
	uint64_t	a = ControlFileNewSystemIdentifier();

	ck_assert_uint_ne(a, 0);
	ck_assert_str_eq(ControlStateName(CONTROL_STATE_SHUTDOWNED), "shut down");
	ck_assert_str_eq(ControlStateName(CONTROL_STATE_IN_PRODUCTION), "in production");
	ck_assert_str_eq(ControlStateName(CONTROL_STATE_IN_RECOVERY), "in crash recovery");
	ck_assert_str_eq(ControlStateName(CONTROL_STATE_SHUTDOWNING), "shutting down");
	ck_assert_str_eq(ControlStateName(0), "unrecognized status code");
}
END_TEST

static Suite *
control_suite(void)
{
	Suite	   *s = suite_create("control");
	TCase	   *tc = tcase_create("control");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_corrupt_crc);
	tcase_add_test(tc, test_wrong_version);
	tcase_add_test(tc, test_wrong_sizes);
	tcase_add_test(tc, test_bad_file_size);
	tcase_add_test(tc, test_missing_and_existing);
	tcase_add_test(tc, test_stale_temp_file);
	tcase_add_test(tc, test_names_and_identifier);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(control_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
