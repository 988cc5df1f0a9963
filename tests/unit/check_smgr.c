/*
 * check_smgr.c
 *	  Unit tests for storage/smgr.c: block I/O, segment files, sizes from
 *	  existing files, extension from several processes, the shared list of
 *	  segments to fsync, a failed extension, unlink.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child, in a fresh mkdtemp
 *	  data directory with its own shared memory. Build with
 *	  -DRELSEG_SIZE_OVERRIDE=8 so that a few blocks cross segment
 *	  boundaries; without it the segment tests check less. Child processes
 *	  of a test report failure through their exit status.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/bufpage.h"
#include "storage/shmem.h"
#include "storage/smgr.h"

static char test_dir[64];

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
make_shmem(void)
{
	char		errbuf[256];

	ck_assert_msg(ShmemCreate(SmgrShmemSize() + 4096, HUGE_PAGES_OFF, errbuf, sizeof(errbuf)),
				  "%s", errbuf);
	SmgrShmemInit();
}

static void
setup(void)
{
	char		errbuf[256];

	strcpy(test_dir, "/tmp/tusk_smgr_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
	make_shmem();
	ck_assert_msg(SmgrInitDataDirectory(errbuf, sizeof(errbuf)), "%s", errbuf);
}

static void
teardown(void)
{
	SmgrCloseAll();
	ShmemDestroy();
	if (chdir("/") == 0)
		nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
fill_block(char *buf, RelNumber rel, BlockNumber blkno)
{
	for (int i = 0; i < BLCKSZ; i++)
		buf[i] = (char) (rel * 31 + blkno * 7 + i);
}

static bool
block_matches(const char *buf, RelNumber rel, BlockNumber blkno)
{
	char		want[BLCKSZ];

	fill_block(want, rel, blkno);
	return memcmp(buf, want, BLCKSZ) == 0;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

/* Wait for a child and return whether it exited with status 0. */
static bool
child_ok(pid_t pid)
{
	int			status;

	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define CHILD_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
			_exit(1); \
		} \
	} while (0)

START_TEST(test_extend_read_write)
{
	char		buf[BLCKSZ];
	char		zero[BLCKSZ] = {0};

	ck_assert_uint_eq(SmgrNblocks(3), 0);
	for (BlockNumber i = 0; i < 3; i++)
		ck_assert_uint_eq(SmgrExtend(3), i);
	ck_assert_uint_eq(SmgrNblocks(3), 3);
	ck_assert_int_eq(file_size("base/3"), 3 * BLCKSZ);

	/* New blocks read as zeros. */
	ck_assert(SmgrRead(3, 2, buf));
	ck_assert_mem_eq(buf, zero, BLCKSZ);

	fill_block(buf, 3, 1);
	ck_assert(SmgrWrite(3, 1, buf));
	memset(buf, 0, BLCKSZ);
	ck_assert(SmgrRead(3, 1, buf));
	ck_assert(block_matches(buf, 3, 1));

	/* Past the end is an error, and leaves the size alone. */
	errno = 0;
	ck_assert(!SmgrRead(3, 3, buf));
	ck_assert_int_eq(errno, EIO);
	ck_assert_uint_eq(SmgrNblocks(3), 3);

	/* A relation never created. */
	ck_assert(!SmgrRead(4, 0, buf));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_segments)
{
	char		buf[BLCKSZ];
	const BlockNumber nblocks = 2 * RELSEG_SIZE + RELSEG_SIZE / 2;

	if (RELSEG_SIZE > 64)
	{
		fprintf(stderr, "test_segments: built without RELSEG_SIZE_OVERRIDE, skipped\n");
		return;
	}
	for (BlockNumber i = 0; i < nblocks; i++)
	{
		ck_assert_uint_eq(SmgrExtend(5), i);
		fill_block(buf, 5, i);
		ck_assert(SmgrWrite(5, i, buf));
	}
	ck_assert_int_eq(file_size("base/5"), (off_t) RELSEG_SIZE * BLCKSZ);
	ck_assert_int_eq(file_size("base/5.1"), (off_t) RELSEG_SIZE * BLCKSZ);
	ck_assert_int_eq(file_size("base/5.2"), (off_t) (RELSEG_SIZE / 2) * BLCKSZ);
	ck_assert_int_eq(file_size("base/5.3"), -1);

	for (BlockNumber i = 0; i < nblocks; i++)
	{
		ck_assert(SmgrRead(5, i, buf));
		ck_assert_msg(block_matches(buf, 5, i), "block %u differs", i);
	}

	/* The size is found again from the files after a restart. */
	SmgrCloseAll();
	ShmemDestroy();
	make_shmem();
	ck_assert_uint_eq(SmgrNblocks(5), nblocks);
	ck_assert(SmgrRead(5, RELSEG_SIZE, buf));
	ck_assert(block_matches(buf, 5, RELSEG_SIZE));

	/* Exactly full segments: the next block starts a new file. */
	for (BlockNumber i = nblocks; i < 3 * RELSEG_SIZE; i++)
		ck_assert_uint_eq(SmgrExtend(5), i);
	SmgrCloseAll();
	ShmemDestroy();
	make_shmem();
	ck_assert_uint_eq(SmgrNblocks(5), 3 * RELSEG_SIZE);
	ck_assert_uint_eq(SmgrExtend(5), 3 * RELSEG_SIZE);
	ck_assert_int_eq(file_size("base/5.3"), BLCKSZ);
}
END_TEST

START_TEST(test_size_from_partial_file)
{
	char		buf[BLCKSZ];
	int			fd = open("base/7", O_CREAT | O_WRONLY, 0600);

	ck_assert_int_ge(fd, 0);
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(write(fd, buf, BLCKSZ), BLCKSZ);
	ck_assert_int_eq(write(fd, buf, 100), 100);	/* torn extension */
	close(fd);

	ck_assert_uint_eq(SmgrNblocks(7), 3);
	/* Extension overwrites the partial block. */
	ck_assert_uint_eq(SmgrExtend(7), 3);
	ck_assert_int_eq(file_size("base/7"), 4 * BLCKSZ);
	ck_assert(SmgrRead(7, 3, buf));
	ck_assert_int_eq(buf[0], 0);
}
END_TEST

#define NCHILD 4
#define PER_CHILD 40

START_TEST(test_concurrent_extend)
{
	_Atomic int *blocks = mmap(NULL, sizeof(int) * NCHILD * PER_CHILD,
							   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t		pids[NCHILD];
	bool		seen[NCHILD * PER_CHILD] = {false};

	ck_assert_ptr_ne(blocks, MAP_FAILED);
	for (int c = 0; c < NCHILD; c++)
	{
		pids[c] = fork();
		ck_assert_int_ge(pids[c], 0);
		if (pids[c] == 0)
		{
			char		buf[BLCKSZ];

			for (int i = 0; i < PER_CHILD; i++)
			{
				BlockNumber b = SmgrExtend(9);

				CHILD_CHECK(b != InvalidBlockNumber);
				blocks[c * PER_CHILD + i] = (int) b;
				fill_block(buf, 9, b);
				CHILD_CHECK(SmgrWrite(9, b, buf));
			}
			_exit(0);
		}
	}
	for (int c = 0; c < NCHILD; c++)
		ck_assert(child_ok(pids[c]));

	for (int i = 0; i < NCHILD * PER_CHILD; i++)
	{
		int			b = blocks[i];

		ck_assert_int_ge(b, 0);
		ck_assert_int_lt(b, NCHILD * PER_CHILD);
		ck_assert_msg(!seen[b], "block %d handed out twice", b);
		seen[b] = true;
	}
	ck_assert_uint_eq(SmgrNblocks(9), NCHILD * PER_CHILD);
	for (BlockNumber b = 0; b < NCHILD * PER_CHILD; b++)
	{
		char		buf[BLCKSZ];

		ck_assert(SmgrRead(9, b, buf));
		ck_assert(block_matches(buf, 9, b));
	}
}
END_TEST

/*
 * Writes by another process are listed in shared memory, and the sync of
 * one relation or of all clears exactly what it covered.
 */
START_TEST(test_sync_list)
{
	pid_t		pid;
	char		buf[BLCKSZ];

	ck_assert_uint_eq(SmgrExtend(11), 0);
	ck_assert_uint_eq(SmgrExtend(12), 0);
	ck_assert(SmgrSyncAll());
	ck_assert_int_eq(SmgrPendingSyncCount(), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		fill_block(buf, 11, 0);
		CHILD_CHECK(SmgrWrite(11, 0, buf));
		CHILD_CHECK(SmgrWrite(11, 0, buf));	/* listed once */
		fill_block(buf, 12, 0);
		CHILD_CHECK(SmgrWrite(12, 0, buf));
		if (RELSEG_SIZE <= 64)
		{
			for (BlockNumber b = 1; b <= RELSEG_SIZE; b++)
				CHILD_CHECK(SmgrExtend(12) == b);
		}
		_exit(0);
	}
	ck_assert(child_ok(pid));
	ck_assert_int_eq(SmgrPendingSyncCount(), RELSEG_SIZE <= 64 ? 3 : 2);

	ck_assert(SmgrSync(11));
	ck_assert_int_eq(SmgrPendingSyncCount(), RELSEG_SIZE <= 64 ? 2 : 1);

	/* A write after a sync is listed again (the per-process fast path). */
	fill_block(buf, 11, 0);
	ck_assert(SmgrWrite(11, 0, buf));
	ck_assert(SmgrWrite(11, 0, buf));
	ck_assert_int_eq(SmgrPendingSyncCount(), RELSEG_SIZE <= 64 ? 3 : 2);
	ck_assert(SmgrSyncAll());
	ck_assert_int_eq(SmgrPendingSyncCount(), 0);
	ck_assert(SmgrWrite(11, 0, buf));
	ck_assert_int_eq(SmgrPendingSyncCount(), 1);
	ck_assert(SmgrSyncAll());
	ck_assert_int_eq(SmgrPendingSyncCount(), 0);
}
END_TEST

/*
 * A full disk, simulated with a file size limit (EFBIG rather than
 * ENOSPC): the extension fails with errno set, and leaves neither a
 * partial block nor a changed size.
 */
START_TEST(test_extend_fails_cleanly)
{
	struct rlimit rl = {3 * BLCKSZ + BLCKSZ / 2, 3 * BLCKSZ + BLCKSZ / 2};

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	for (BlockNumber i = 0; i < 3; i++)
		ck_assert_uint_eq(SmgrExtend(13), i);
	errno = 0;
	ck_assert_uint_eq(SmgrExtend(13), InvalidBlockNumber);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_uint_eq(SmgrNblocks(13), 3);
	ck_assert_int_eq(file_size("base/13"), 3 * BLCKSZ);
	ck_assert_uint_eq(SmgrExtend(13), InvalidBlockNumber);
	ck_assert_uint_eq(SmgrNblocks(13), 3);
}
END_TEST

START_TEST(test_unlink)
{
	const BlockNumber n = RELSEG_SIZE <= 64 ? 2 * RELSEG_SIZE + 1 : 3;

	for (BlockNumber i = 0; i < n; i++)
		ck_assert_uint_eq(SmgrExtend(15), i);
	ck_assert_int_gt(SmgrPendingSyncCount(), 0);
	ck_assert(SmgrUnlink(15));
	ck_assert_int_eq(SmgrPendingSyncCount(), 0);
	ck_assert_int_eq(file_size("base/15"), -1);
	ck_assert_int_eq(file_size("base/15.1"), -1);
	ck_assert_int_eq(file_size("base/15.2"), -1);
	ck_assert_uint_eq(SmgrNblocks(15), 0);
	ck_assert_uint_eq(SmgrExtend(15), 0);
	ck_assert(SmgrSyncAll());
}
END_TEST

static Suite *
smgr_suite(void)
{
	Suite	   *s = suite_create("smgr");
	TCase	   *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_extend_read_write);
	tcase_add_test(tc, test_segments);
	tcase_add_test(tc, test_size_from_partial_file);
	tcase_add_test(tc, test_concurrent_extend);
	tcase_add_test(tc, test_sync_list);
	tcase_add_test(tc, test_extend_fails_cleanly);
	tcase_add_test(tc, test_unlink);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(smgr_suite());
	int			failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
