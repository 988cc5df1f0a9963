/*
 * check_xlog.c
 *	  Unit tests for wal/xlog.c, xloginsert.c, checkpoint.c and recovery.c:
 *	  insert and reread, group commit, overlapping flushes ending out of
 *	  order, torn WAL tails, crash and redo
 *	  through the buffer pool, full-page images repairing torn data pages,
 *	  segment recycling, and the checkpointer's request protocol.
 *
 * NOTES
 *	  Check's fork mode; each test gets its own data directory (mkdtemp)
 *	  and shared memory segment. A "crash" drops the buffer pool without
 *	  writing it (BufDropAll) and builds shared memory again, as the
 *	  postmaster does after a child dies. Random tests print their seed; set
 *	  TUSK_TEST_SEED to replay one.
 *
 *	  The toy resource manager borrows WAL_RM_HEAP: "init block b" (WILL_INIT)
 *	  and "set byte k of block b to v".
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "storage/bufmgr.h"
#include "storage/elog.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "wal/control.h"
#include "wal/xlog.h"
#include "wal/xlog_int.h"

#define TEST_SHARED_BUFFERS ((long long) 16 * BLCKSZ)

static uint64_t test_seed;
static char test_dir[64];

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static uint32_t
rng_range(uint64_t *state, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t) (rng_next(state) % ((uint64_t) hi - lo + 1));
}

/* ------------------------------------------------------------ fixture */

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
shmem_start(void)
{
	char errbuf[256];
	size_t size = XLogShmemSize() + BufMgrShmemSize(TEST_SHARED_BUFFERS) + SmgrShmemSize() + 65536;

	ck_assert_msg(ShmemCreate(size, HUGE_PAGES_OFF, errbuf, sizeof(errbuf)), "%s", errbuf);
	SmgrShmemInit();
	BufMgrShmemInit(TEST_SHARED_BUFFERS);
	XLogShmemInit();
}

/* What the postmaster does after a crash: throw shared memory away. */
static void
crash_and_restart(void)
{
	BufDropAll();
	SmgrCloseAll();
	XLogCloseSegment();
	ShmemDestroy();
	shmem_start();
}

static void
setup(void)
{
	char errbuf[256];

	strcpy(test_dir, "/tmp/tusk_xlog_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
	shmem_start();
	ck_assert_msg(SmgrInitDataDirectory(errbuf, sizeof(errbuf)), "%s", errbuf);
}

static void
teardown(void)
{
	if (getenv("TUSK_TEST_KEEP"))
	{
		printf("kept %s\n", test_dir);
		return;
	}
	if (chdir("/tmp") == 0)
		nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
count_wal_files(void)
{
	DIR *dir = opendir(XLOG_DIR);
	struct dirent *de;
	int n = 0;
	uint64_t segno;

	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir)) != NULL)
		if (WalFileNameParse(de->d_name, &segno))
			n++;
	closedir(dir);
	return n;
}

/* Opens a reader over wal/ of the current directory. */
typedef struct TestReader
{
	XLogFileSource src;
	WalReader reader;
} TestReader;

static TestReader *
reader_open(void)
{
	TestReader *tr = malloc(sizeof(TestReader));

	ck_assert_ptr_nonnull(tr);
	XLogFileSourceInit(&tr->src, XLOG_DIR);
	WalReaderInit(&tr->reader, XLogFileSourceRead, &tr->src);
	return tr;
}

static void
reader_close(TestReader *tr)
{
	XLogFileSourceClose(&tr->src);
	WalReaderFree(&tr->reader);
	free(tr);
}

static XLogRecPtr
noop_record(uint64_t xid, const void *data, uint32_t len, XLogRecPtr *start)
{
	XLogBeginInsert(WAL_RM_XLOG, XLOG_NOOP, xid);
	XLogRegisterData(data, len);
	return XLogInsertRecord(start);
}

/* ------------------------------------------------- insert and reread */

#define NRECORDS	100000
#define HUGE_RECORD (6 * 1024 * 1024) /* larger than the WAL buffer ring */

static uint32_t
record_length(uint64_t *rng, int i)
{
	uint32_t r = rng_range(rng, 0, 9999);

	if (i == NRECORDS / 2)
		return HUGE_RECORD;
	if (r < 10)
		return rng_range(rng, 100000, 600000); /* many pages */
	if (r < 110)
		return rng_range(rng, 7000, 30000); /* a few pages */
	return rng_range(rng, 0, 600);
}

static void
record_fill(uint64_t seed, int i, char *buf, uint32_t len)
{
	uint64_t st = seed ^ ((uint64_t) (i + 1) * UINT64_C(0x9E3779B97F4A7C15));

	for (uint32_t off = 0; off < len; off += 8)
	{
		uint64_t v = rng_next(&st);

		memcpy(buf + off, &v, len - off < 8 ? len - off : 8);
	}
}

START_TEST(test_insert_reread)
{
	uint64_t rng = test_seed;
	XLogRecPtr *starts = malloc(sizeof(XLogRecPtr) * NRECORDS);
	XLogRecPtr *ends = malloc(sizeof(XLogRecPtr) * NRECORDS);
	uint32_t *lens = malloc(sizeof(uint32_t) * NRECORDS);
	char *buf = malloc(HUGE_RECORD);
	XLogRecPtr first = InvalidXLogRecPtr;
	TestReader *tr;
	DecodedWalRecord *rec;
	XLogStats stats;

	ck_assert(StartupXLOG());
	for (int i = 0; i < NRECORDS; i++)
	{
		uint32_t len = record_length(&rng, i);
		uint32_t cut = len / 3;

		lens[i] = len;
		record_fill(test_seed, i, buf, len);
		/* Several chunks, so the iovec copy crosses pages mid-chunk. */
		XLogBeginInsert(WAL_RM_XLOG, XLOG_NOOP, (uint64_t) i + 1);
		XLogRegisterData(buf, cut);
		XLogRegisterData(buf + cut, len - cut);
		ends[i] = XLogInsertRecord(&starts[i]);
		if (i == 0)
			first = starts[0];
		else
			ck_assert(starts[i] == MAXALIGN(ends[i - 1]) ||
					  WAL_PAGE_OFFSET(MAXALIGN(ends[i - 1])) == 0);
		/* Some flushes on the way, so pages get rewritten while filling. */
		if (rng_range(&rng, 0, 999) == 0)
			XLogFlush(ends[i]);
	}
	XLogFlush(ends[NRECORDS - 1]);
	ck_assert(XLogGetFlushPosition() >= ends[NRECORDS - 1]);
	XLogGetStats(&stats);
	ck_assert_uint_ge(stats.records, NRECORDS);
	ck_assert(WAL_SEGMENT_NUMBER(ends[NRECORDS - 1]) >= 2);

	tr = reader_open();
	for (int i = 0; i < NRECORDS; i++)
	{
		ck_assert_msg(
			WalReaderNext(&tr->reader, i == 0 ? first : InvalidXLogRecPtr, &rec) == WAL_READ_OK,
			"record %d at " WAL_PTR_FMT ": %s", i, WAL_PTR_ARGS(starts[i]), tr->reader.end_message);
		ck_assert(tr->reader.read_rec_ptr == starts[i]);
		ck_assert(tr->reader.end_rec_ptr == ends[i]);
		ck_assert_uint_eq(rec->xid, (uint64_t) i + 1);
		ck_assert_uint_eq(rec->main_len, lens[i]);
		record_fill(test_seed, i, buf, lens[i]);
		ck_assert(lens[i] == 0 || memcmp(rec->main_data, buf, lens[i]) == 0);
	}
	ck_assert(WalReaderNext(&tr->reader, InvalidXLogRecPtr, &rec) == WAL_READ_END);
	ck_assert_msg(tr->reader.end_reason == WAL_END_ZERO || tr->reader.end_reason == WAL_END_NO_DATA,
				  "%s", tr->reader.end_message);
	reader_close(tr);
	free(starts);
	free(ends);
	free(lens);
	free(buf);
}
END_TEST

/* -------------------------------------------------------- group commit */

#define GC_PROCS   8
#define GC_COMMITS 2000

START_TEST(test_group_commit)
{
	pid_t pids[GC_PROCS];
	XLogStats before, after;
	TestReader *tr;
	DecodedWalRecord *rec;
	int seen[GC_PROCS] = {0};
	XLogRecPtr start_pos;

	ck_assert(StartupXLOG());
	start_pos = XLogGetInsertPosition();
	XLogGetStats(&before);
	for (int c = 0; c < GC_PROCS; c++)
	{
		pids[c] = fork();
		ck_assert_int_ge(pids[c], 0);
		if (pids[c] == 0)
		{
			for (int j = 0; j < GC_COMMITS; j++)
			{
				char payload[48];
				XLogRecPtr end;

				memset(payload, c + 1, sizeof(payload));
				memcpy(payload, &j, sizeof(j));
				end = noop_record((uint64_t) c * 1000000 + (uint64_t) j + 1, payload,
								  sizeof(payload), NULL);
				XLogFlush(end);
				if (XLogGetFlushPosition() < end)
					_exit(2);
				XLogAdvanceLastCommitPosition(end);
			}
			_exit(0);
		}
	}
	for (int c = 0; c < GC_PROCS; c++)
	{
		int status;

		ck_assert_int_eq(waitpid(pids[c], &status, 0), pids[c]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", c);
	}
	XLogGetStats(&after);
	printf("group commit: %" PRIu64 " commits, %" PRIu64 " fdatasyncs, %" PRIu64
		   " waits for another's flush\n",
		   after.commits - before.commits, after.flushes - before.flushes,
		   after.flush_waits - before.flush_waits);
	ck_assert_uint_eq(after.commits - before.commits, GC_PROCS * GC_COMMITS);
	ck_assert_uint_lt(after.flushes - before.flushes, GC_PROCS * GC_COMMITS);
	ck_assert(XLogGetLastCommitPosition() <= XLogGetFlushPosition());

	/* Durable: on disk, each process's records in its order. */
	tr = reader_open();
	ck_assert(WalReaderNext(&tr->reader, start_pos, &rec) == WAL_READ_OK);
	do
	{
		int c = (int) ((rec->xid - 1) / 1000000);
		int j;

		ck_assert_int_lt(c, GC_PROCS);
		memcpy(&j, rec->main_data, sizeof(j));
		ck_assert_int_eq(j, seen[c]);
		seen[c]++;
	} while (WalReaderNext(&tr->reader, InvalidXLogRecPtr, &rec) == WAL_READ_OK);
	for (int c = 0; c < GC_PROCS; c++)
		ck_assert_int_eq(seen[c], GC_COMMITS);
	reader_close(tr);
}
END_TEST

/* ----------------------------------------------------------- torn tail */

#define TT_RECORDS 300

static void
torn_tail(bool truncate_file)
{
	XLogRecPtr starts[TT_RECORDS], ends[TT_RECORDS];
	char payload[1500];
	int keep;
	XLogRecPtr cut;
	char path[64];
	TestReader *tr;
	DecodedWalRecord *rec;
	int n;
	XLogRecPtr after_ckpt;

	ck_assert(StartupXLOG());
	for (int i = 0; i < TT_RECORDS; i++)
	{
		memset(payload, i & 0xFF, sizeof(payload));
		ends[i] =
			noop_record((uint64_t) i + 1, payload, (uint32_t) (500 + (i * 37) % 1000), &starts[i]);
	}
	XLogFlush(ends[TT_RECORDS - 1]);

	XLogSegmentPath(path, sizeof(path), WAL_SEGMENT_NUMBER(starts[TT_RECORDS - 1]));
	if (truncate_file)
	{
		/*
		 * The file loses the pages from the middle of the last record on;
		 * every record that reached into them is lost.
		 */
		cut = WAL_PAGE_START(starts[TT_RECORDS - 1] +
							 (ends[TT_RECORDS - 1] - starts[TT_RECORDS - 1]) / 2);
		ck_assert_int_eq(truncate(path, (off_t) WAL_SEGMENT_OFFSET(cut)), 0);
		keep = 0;
		while (ends[keep] <= cut)
			keep++;
	}
	else
	{
		/* A flipped byte in the body of an earlier record. */
		int fd = open(path, O_RDWR);
		char byte;

		keep = TT_RECORDS - 20;
		cut = starts[keep] + 40;
		if (WAL_PAGE_OFFSET(cut) < WAL_LONG_PAGE_HEADER_SIZE)
			cut += WAL_LONG_PAGE_HEADER_SIZE;
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pread(fd, &byte, 1, (off_t) WAL_SEGMENT_OFFSET(cut)), 1);
		byte ^= 0x5A;
		ck_assert_int_eq(pwrite(fd, &byte, 1, (off_t) WAL_SEGMENT_OFFSET(cut)), 1);
		close(fd);
	}

	crash_and_restart();
	ck_assert(StartupXLOG());
	/* The end-of-recovery checkpoint took the place of the first lost record. */
	after_ckpt = XLogGetInsertPosition();
	ck_assert_msg(after_ckpt > starts[keep], "insert " WAL_PTR_FMT " lost record " WAL_PTR_FMT,
				  WAL_PTR_ARGS(after_ckpt), WAL_PTR_ARGS(starts[keep]));

	/* Insert more and check the stream: kept records, checkpoint, new ones. */
	for (int i = 0; i < 10; i++)
	{
		memset(payload, 0xEE, sizeof(payload));
		XLogFlush(noop_record(900000 + (uint64_t) i, payload, 1000, NULL));
	}
	crash_and_restart();
	ck_assert(StartupXLOG());

	tr = reader_open();
	ck_assert(WalReaderNext(&tr->reader, starts[0], &rec) == WAL_READ_OK);
	n = 0;
	for (;;)
	{
		if (n < keep)
		{
			ck_assert_uint_eq(rec->xid, (uint64_t) n + 1);
			ck_assert(tr->reader.read_rec_ptr == starts[n]);
		}
		else if (n == keep)
		{
			ck_assert_uint_eq(rec->rmid, WAL_RM_XLOG);
			ck_assert_uint_eq(rec->info & WAL_INFO_OPMASK, XLOG_CHECKPOINT_ONLINE);
			ck_assert(tr->reader.read_rec_ptr == starts[keep]);
		}
		else if (n <= keep + 10)
			ck_assert_uint_eq(rec->xid, 900000 + (uint64_t) (n - keep - 1));
		n++;
		if (WalReaderNext(&tr->reader, InvalidXLogRecPtr, &rec) != WAL_READ_OK)
			break;
	}
	/* ... plus the second end-of-recovery checkpoint. */
	ck_assert_int_eq(n, keep + 12);
	reader_close(tr);
}

START_TEST(test_torn_tail_truncated)
{
	torn_tail(true);
}
END_TEST

START_TEST(test_torn_tail_corrupt)
{
	torn_tail(false);
}
END_TEST

/* ------------------------------------------------ toy resource manager */

#define TOY_REL		   ((RelNumber) 100)
#define TOY_INIT	   0
#define TOY_SET		   1
#define TOY_BLOCKS	   40 /* more than the 16 buffers: eviction runs */
#define TOY_FIRST_BYTE 64

typedef struct ToyModel
{
	int nblocks;
	_Alignas(8) char pages[TOY_BLOCKS][BLCKSZ];
} ToyModel;

static bool
toy_redo(XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec)
{
	Buffer buf;
	XLogRedoAction action = XLogReadBufferForRedo(rec, 0, end, &buf);

	if (action == BLK_NOTFOUND)
		return false;
	if (action == BLK_NEEDS_REDO)
	{
		Page page = BufGetPage(buf);

		if ((rec->info & WAL_INFO_OPMASK) == TOY_INIT)
			PageInit(page, 0);
		else
		{
			uint16_t k;

			if (rec->main_len != 3)
				return false;
			memcpy(&k, rec->main_data, 2);
			page[k] = rec->main_data[2];
		}
		PageSetLSN(page, end);
		BufMarkDirty(buf);
	}
	BufUnlockRelease(buf);
	return true;
}

static void
toy_extend(ToyModel *m)
{
	BlockNumber got;
	Buffer buf = BufExtend(TOY_REL, &got);
	Page page;

	ck_assert(BufferIsValid(buf));
	ck_assert_uint_eq(got, (unsigned) m->nblocks);
	page = BufGetPage(buf);
	StartCritSection();
	PageInit(page, 0);
	BufMarkDirty(buf);
	XLogBeginInsert(WAL_RM_HEAP, TOY_INIT, 0);
	XLogRegisterBuffer(0, buf, WAL_BKP_WILL_INIT);
	PageSetLSN(page, XLogInsert());
	EndCritSection();
	BufUnlockRelease(buf);
	memset(m->pages[m->nblocks], 0, BLCKSZ);
	PageInit(m->pages[m->nblocks], 0);
	m->nblocks++;
}

static void
toy_set(ToyModel *m, BlockNumber b, uint16_t k, uint8_t v)
{
	Buffer buf;
	Page page;
	char data[3];

	while ((int) b >= m->nblocks)
		toy_extend(m);
	buf = BufRead(TOY_REL, b);
	ck_assert(BufferIsValid(buf));
	BufLockContent(buf, LW_EXCLUSIVE);
	page = BufGetPage(buf);
	memcpy(data, &k, 2);
	data[2] = (char) v;
	StartCritSection();
	page[k] = (char) v;
	BufMarkDirty(buf);
	XLogBeginInsert(WAL_RM_HEAP, TOY_SET, 0);
	XLogRegisterBuffer(0, buf, 0);
	XLogRegisterData(data, 3);
	PageSetLSN(page, XLogInsert());
	EndCritSection();
	BufUnlockRelease(buf);
	m->pages[b][k] = (char) v;
}

/* Every block equals the model, apart from the LSN and checksum fields. */
static void
toy_check(const ToyModel *m)
{
	ck_assert_uint_eq(SmgrNblocks(TOY_REL), (unsigned) m->nblocks);
	for (int b = 0; b < m->nblocks; b++)
	{
		Buffer buf = BufRead(TOY_REL, (BlockNumber) b);

		ck_assert_msg(BufferIsValid(buf), "block %d unreadable", b);
		BufLockContent(buf, LW_SHARED);
		ck_assert_msg(memcmp(BufGetPage(buf) + 12, m->pages[b] + 12, BLCKSZ - 12) == 0,
					  "block %d differs from the model", b);
		BufUnlockRelease(buf);
	}
}

static void
toy_random_ops(ToyModel *m, uint64_t *rng, int n)
{
	for (int i = 0; i < n; i++)
	{
		BlockNumber b = rng_range(rng, 0, TOY_BLOCKS - 1);
		uint16_t k = (uint16_t) rng_range(rng, TOY_FIRST_BYTE, BLCKSZ - 1);

		toy_set(m, b, k, (uint8_t) rng_range(rng, 1, 255));
	}
}

START_TEST(test_crash_redo)
{
	ToyModel *m = calloc(1, sizeof(ToyModel));
	uint64_t rng = test_seed + 1;
	XLogStats stats;

	XLogRegisterRedo(WAL_RM_HEAP, toy_redo);
	ck_assert(StartupXLOG());
	toy_random_ops(m, &rng, 20000);
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
	toy_random_ops(m, &rng, 20000);
	XLogGetStats(&stats);
	ck_assert_uint_gt(stats.fpi, 0);
	XLogFlush(XLogGetInsertPosition());

	crash_and_restart();
	XLogRegisterRedo(WAL_RM_HEAP, toy_redo);
	ck_assert(StartupXLOG());
	toy_check(m);

	/* Again after redo, with a crash before any checkpoint of its own. */
	toy_random_ops(m, &rng, 5000);
	XLogFlush(XLogGetInsertPosition());
	crash_and_restart();
	ck_assert(StartupXLOG());
	toy_check(m);
	free(m);
}
END_TEST

/*
 * The first change of a page after a checkpoint logs the page; redo uses
 * the image to repair a torn write of that page.
 */
START_TEST(test_fpi_repairs_torn_page)
{
	ToyModel *m = calloc(1, sizeof(ToyModel));
	XLogStats s0, s1, s2;
	char garbage[BLCKSZ / 2];
	int fd;

	XLogRegisterRedo(WAL_RM_HEAP, toy_redo);
	ck_assert(StartupXLOG());
	for (int i = 0; i < 100; i++)
		toy_set(m, (BlockNumber) (i % 3), (uint16_t) (TOY_FIRST_BYTE + i * 7), (uint8_t) i);
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));

	XLogGetStats(&s0);
	toy_set(m, 1, 1000, 0xAB);
	XLogGetStats(&s1);
	ck_assert_uint_eq(s1.fpi, s0.fpi + 1);
	toy_set(m, 1, 1001, 0xCD);
	XLogGetStats(&s2);
	ck_assert_uint_eq(s2.fpi, s1.fpi);
	XLogFlush(XLogGetInsertPosition());

	/* Half a page of garbage over block 1, as a torn write would leave. */
	memset(garbage, 0x77, sizeof(garbage));
	fd = open("base/100", O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, garbage, sizeof(garbage), BLCKSZ + BLCKSZ / 4),
					 (ssize_t) sizeof(garbage));
	fsync(fd);
	close(fd);

	crash_and_restart();
	ck_assert(StartupXLOG());
	toy_check(m);
	free(m);
}
END_TEST

/* -------------------------------------------------------- recycling */

START_TEST(test_segment_recycling)
{
	char payload[8000];
	int max_files = 0;
	XLogRecPtr end = InvalidXLogRecPtr;

	memset(payload, 0x42, sizeof(payload));
	ck_assert(StartupXLOG());
	for (int round = 0; round < 10; round++)
	{
		for (int i = 0; i < 2000; i++)
			end = noop_record(1, payload, sizeof(payload), NULL);
		XLogFlush(end);
		ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
		if (count_wal_files() > max_files)
			max_files = count_wal_files();
	}
	printf("recycling: %" PRIu64 " segments of WAL, at most %d files in wal/\n",
		   WAL_SEGMENT_NUMBER(end) + 1, max_files);
	ck_assert(WAL_SEGMENT_NUMBER(end) + 1 > (uint64_t) XLOG_RECYCLE_AHEAD + 3);
	ck_assert_int_le(max_files, XLOG_RECYCLE_AHEAD + 3);

	/* Recovery stops at the recycled segments' stale pages. */
	end = XLogGetInsertPosition();
	crash_and_restart();
	ck_assert(StartupXLOG());
	ck_assert(XLogGetInsertPosition() > end);
}
END_TEST

/* ------------------------------------------------------ checkpointer */

static void
handle_sigterm(int sig)
{
	aux_shutdown_requested = 1;
}

START_TEST(test_checkpointer_requests)
{
	pid_t pid;
	uint64_t before;
	int status;
	ControlFile cf;
	char errbuf[CONTROL_ERRBUF_SIZE];
	char payload[100] = {0};

	ck_assert(StartupXLOG());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		signal(SIGTERM, handle_sigterm);
		CheckpointerMain();
		_exit(0);
	}
	while (atomic_load(&XLogCtl->checkpointer_pid) != pid)
		usleep(1000);

	noop_record(1, payload, sizeof(payload), NULL);
	before = atomic_load(&XLogCtl->ckpt_count);
	ck_assert(RequestCheckpoint(CHECKPOINT_IMMEDIATE | CHECKPOINT_WAIT));
	ck_assert_uint_gt(atomic_load(&XLogCtl->ckpt_count), before);
	ck_assert(ControlFileRead(".", &cf, errbuf));
	ck_assert_uint_eq(cf.state, CONTROL_STATE_IN_PRODUCTION);

	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(ControlFileRead(".", &cf, errbuf));
	ck_assert_uint_eq(cf.state, CONTROL_STATE_SHUTDOWNED);
	ck_assert(cf.redo == cf.checkpoint);

	/* A clean restart replays only the shutdown checkpoint. */
	crash_and_restart();
	ck_assert(StartupXLOG());
}
END_TEST

/* ------------------------------------------- flushes end in claim order */

/*
 * Overlapping flushes may end in any order, but flush_ptr only moves over
 * a flush once every flush claimed before it has ended: one that returns
 * success while an earlier one still runs (and may fail) must not make
 * that one's WAL look durable. At most XLOG_MAX_SYNCS_IN_FLIGHT are
 * claimed and not yet retired.
 */
START_TEST(test_flushes_end_in_order)
{
	XLogFlushJob jobs[XLOG_MAX_SYNCS_IN_FLIGHT + 1];
	XLogRecPtr ends[XLOG_MAX_SYNCS_IN_FLIGHT];
	XLogRecPtr before;
	_Atomic uint32_t done = 1;
	XLogFlushJob extra = {.fd = -1};

	ck_assert(StartupXLOG());
	/* a slow disk: flushes overlap, with no spacing between them */
	atomic_store(&XLogCtl->sync_avg_us, 10000000);
	before = XLogGetFlushPosition();
	for (int i = 0; i < XLOG_MAX_SYNCS_IN_FLIGHT; i++)
	{
		char payload[32] = {0};

		jobs[i].fd = -1;
		ends[i] = noop_record(100 + (uint64_t) i, payload, sizeof(payload), NULL);
		atomic_store(&XLogCtl->last_sync_start_us, 0);
		ck_assert_msg(XLogFlushStart(&jobs[i]), "flush %d did not start", i);
		ck_assert(jobs[i].written >= ends[i]);
	}
	/* the ring is full: no ninth flush until the first has ended */
	noop_record(999, "x", 1, NULL);
	atomic_store(&XLogCtl->last_sync_start_us, 0);
	ck_assert(!XLogFlushStart(&extra));

	/* the later ones end first: nothing is durable yet */
	for (int i = XLOG_MAX_SYNCS_IN_FLIGHT - 1; i >= 1; i--)
	{
		XLogFlushFinish(&jobs[i], &done);
		ck_assert_uint_eq(done, 0);
		done = 1;
		ck_assert_msg(XLogGetFlushPosition() == before,
					  "flush %d ended and moved flush_ptr before flush 0 ended", i);
	}
	/* the first ends: every one is retired at once */
	XLogFlushFinish(&jobs[0], &done);
	ck_assert_uint_ge(XLogGetFlushPosition(), jobs[XLOG_MAX_SYNCS_IN_FLIGHT - 1].written);
	ck_assert_uint_ge(XLogGetFlushPosition(), ends[XLOG_MAX_SYNCS_IN_FLIGHT - 1]);

	/* and the next may start */
	atomic_store(&XLogCtl->last_sync_start_us, 0);
	ck_assert(XLogFlushStart(&extra));
	XLogFlushFinish(&extra, &done);
	ck_assert_uint_eq(XLogGetFlushPosition(), XLogGetInsertPosition());
	for (int i = 0; i < XLOG_MAX_SYNCS_IN_FLIGHT; i++)
		if (jobs[i].fd >= 0)
			close(jobs[i].fd);
	if (extra.fd >= 0)
		close(extra.fd);
}
END_TEST

static Suite *
xlog_suite(void)
{
	Suite *s = suite_create("xlog");
	TCase *tc = tcase_create("xlog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	{
		const char *only = getenv("TUSK_TEST_ONLY");

#define ADD(t)                                                                                     \
	if (only == NULL || strcmp(only, #t) == 0)                                                     \
	tcase_add_test(tc, t)
		ADD(test_insert_reread);
		ADD(test_group_commit);
		ADD(test_flushes_end_in_order);
		ADD(test_torn_tail_truncated);
		ADD(test_torn_tail_corrupt);
		ADD(test_crash_redo);
		ADD(test_fpi_repairs_torn_page);
		ADD(test_segment_recycling);
		ADD(test_checkpointer_requests);
#undef ADD
	}
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *env = getenv("TUSK_TEST_SEED");
	SRunner *sr;
	int failed;

	test_seed = env ? strtoull(env, NULL, 0) : (uint64_t) time(NULL) * 2654435761u;
	if (test_seed == 0)
		test_seed = 1;
	printf("check_xlog: seed %" PRIu64 " (TUSK_TEST_SEED to replay)\n", test_seed);
	fflush(stdout);
	elog_min_level = getenv("TUSK_TEST_LOG") ? atoi(getenv("TUSK_TEST_LOG")) : WARNING;

	sr = srunner_create(xlog_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
