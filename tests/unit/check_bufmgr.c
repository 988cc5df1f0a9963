/*
 * check_bufmgr.c
 *	  Unit tests for storage/bufmgr.c: read-your-writes, a relation much
 *	  larger than the pool, checksum failures, the WAL rule on eviction,
 *	  checkpoint writes, concurrent changes from several processes, one read
 *	  for a block wanted by several processes at once, concurrent extension,
 *	  the end-of-command backstop, a pool with every buffer pinned, the
 *	  background writer's rounds and its latch.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child, in a fresh mkdtemp
 *	  data directory with its own shared memory (the test stands in for the
 *	  postmaster). Build with -DRELSEG_SIZE_OVERRIDE=8 so that relations of
 *	  a few hundred blocks span many segment files. Forked workers report
 *	  failure through their exit status. Random tests print their seed; set
 *	  TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storage/bufmgr.h"
#include "storage/bufmgr_int.h"
#include "storage/bufpage.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/smgr.h"

#define REL 21
#define NWORKERS 4

/* Test data at a fixed place in the page's free space. */
typedef struct TestData
{
	uint32_t	rel;
	uint32_t	blkno;
	uint64_t	stamp;
	uint64_t	total;
	uint64_t	per_worker[NWORKERS];
} TestData;

#define DATA(page) ((TestData *) ((page) + 1024))

static char test_dir[64];

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
init_pool(int nbuffers)
{
	long long	sb = (long long) nbuffers * BLCKSZ;
	char		errbuf[256];

	ck_assert_msg(ShmemCreate(BufMgrShmemSize(sb) + SmgrShmemSize(), HUGE_PAGES_OFF,
							  errbuf, sizeof(errbuf)), "%s", errbuf);
	SmgrShmemInit();
	BufMgrShmemInit(sb);
	ck_assert_int_eq(NBuffers, nbuffers);
	bufmgr_wal_flush_hook = NULL;
}

static void
setup(void)
{
	char		errbuf[256];

	strcpy(test_dir, "/tmp/tusk_bufmgr_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
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

static void *
shared_scratch(size_t size)
{
	void	   *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
						 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0, size);
	return p;
}

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

static uint64_t
stamp_for(RelNumber rel, BlockNumber blkno)
{
	return ((uint64_t) rel << 32) ^ (blkno * 0x9E3779B97F4A7C15ull);
}

/* Extend rel by n initialised pages carrying their stamp, then unpin. */
static void
create_relation(RelNumber rel, BlockNumber n)
{
	for (BlockNumber i = 0; i < n; i++)
	{
		BlockNumber blkno;
		Buffer		buf = BufExtend(rel, &blkno);
		Page		page;

		ck_assert_msg(BufferIsValid(buf), "extend %u failed", i);
		ck_assert_uint_eq(blkno, i);
		page = BufGetPage(buf);
		PageInit(page, 0);
		DATA(page)->rel = rel;
		DATA(page)->blkno = blkno;
		DATA(page)->stamp = stamp_for(rel, blkno);
		BufMarkDirty(buf);
		BufUnlockRelease(buf);
	}
}

/* Read block blkno and check its stamp; false on any mismatch. */
static bool
check_block(RelNumber rel, BlockNumber blkno)
{
	Buffer		buf = BufRead(rel, blkno);
	bool		ok;
	Page		page;

	if (!BufferIsValid(buf))
		return false;
	BufLockContent(buf, LW_SHARED);
	page = BufGetPage(buf);
	ok = BufGetBlockNumber(buf) == blkno && BufGetRelNumber(buf) == rel &&
		DATA(page)->rel == rel && DATA(page)->blkno == blkno &&
		DATA(page)->stamp == stamp_for(rel, blkno) && PageIsVerified(page);
	BufUnlockRelease(buf);
	return ok;
}

static void
seg_location(RelNumber rel, BlockNumber blkno, char *path, size_t len, off_t *off)
{
	BlockNumber segno = blkno / RELSEG_SIZE;

	if (segno == 0)
		snprintf(path, len, "base/%u", rel);
	else
		snprintf(path, len, "base/%u.%u", rel, segno);
	*off = (off_t) (blkno % RELSEG_SIZE) * BLCKSZ;
}

static bool
read_from_disk(RelNumber rel, BlockNumber blkno, char *page)
{
	char		path[64];
	off_t		off;
	int			fd;
	ssize_t		n;

	seg_location(rel, blkno, path, sizeof(path), &off);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = pread(fd, page, BLCKSZ, off);
	close(fd);
	return n == BLCKSZ;
}

START_TEST(test_read_your_writes)
{
	Buffer		buf;
	BlockNumber blkno;
	BufferStats st;

	init_pool(16);
	buf = BufExtend(REL, &blkno);
	ck_assert(BufferIsValid(buf));
	ck_assert_uint_eq(blkno, 0);
	ck_assert(PageIsNew(BufGetPage(buf)));
	PageInit(BufGetPage(buf), 0);
	strcpy(BufGetPage(buf) + 4000, "hello");
	BufMarkDirty(buf);
	BufUnlockRelease(buf);
	ck_assert_int_eq(BufPinCount(), 0);

	buf = BufRead(REL, 0);
	ck_assert(BufferIsValid(buf));
	ck_assert_str_eq(BufGetPage(buf) + 4000, "hello");
	ck_assert_int_eq(BufPinCount(), 1);
	/* A second pin of the same block is the same buffer. */
	ck_assert_int_eq(BufRead(REL, 0), buf);
	ck_assert_int_eq(BufPinCount(), 2);
	BufRelease(buf);
	BufRelease(buf);
	ck_assert_int_eq(BufPinCount(), 0);

	BufGetStats(&st);
	ck_assert_uint_eq(st.reads, 0);
	ck_assert_uint_eq(st.hits, 2);
	ck_assert_uint_eq(st.extends, 1);
	ck_assert_int_eq(BufCountDirty(), 1);

	/* A block past the end cannot be read. */
	ck_assert_int_eq(BufRead(REL, 1), InvalidBuffer);
	ck_assert_int_eq(BufPinCount(), 0);
}
END_TEST

/*
 * 320 blocks through 16 buffers: every block is evicted, written by the
 * evicting process, read back. With RELSEG_SIZE 8 this spans 40 segments.
 */
START_TEST(test_larger_than_pool)
{
	const BlockNumber n = 320;
	BufferStats st;
	struct stat sb;

	init_pool(16);
	create_relation(REL, n);
	ck_assert_uint_eq(SmgrNblocks(REL), n);
	for (BlockNumber b = 0; b < n; b++)
		ck_assert_msg(check_block(REL, b), "block %u wrong", b);
	/* Twice, in another order. */
	for (BlockNumber b = n; b-- > 0;)
		ck_assert_msg(check_block(REL, b), "block %u wrong", b);
	ck_assert_int_eq(BufPinCount(), 0);

	BufGetStats(&st);
	ck_assert_uint_ge(st.written_backend, n - 16);
	ck_assert_uint_ge(st.reads, 2 * (n - 16));
	ck_assert_uint_ge(st.evictions, 3 * (n - 16));
	if (RELSEG_SIZE == 8)
	{
		ck_assert_int_eq(stat("base/21.39", &sb), 0);
		ck_assert_int_eq(sb.st_size, 8 * BLCKSZ);
		ck_assert_int_ne(stat("base/21.40", &sb), 0);
	}
}
END_TEST

START_TEST(test_corrupt_page_detected)
{
	char		path[64];
	off_t		off;
	int			fd;
	char		byte;
	uint64_t	written = 0;

	init_pool(16);
	create_relation(REL, 10);
	ck_assert(BufFlushAll(0, &written));
	ck_assert_uint_eq(written, 10);
	BufDropAll();

	/* Flip one byte of block 3 on disk. */
	seg_location(REL, 3, path, sizeof(path), &off);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &byte, 1, off + 5000), 1);
	byte ^= 0x10;
	ck_assert_int_eq(pwrite(fd, &byte, 1, off + 5000), 1);
	close(fd);

	ck_assert_int_eq(BufRead(REL, 3), InvalidBuffer);
	ck_assert_int_eq(BufPinCount(), 0);
	ck_assert_int_eq(LWLockHeldCount(), 0);
	/* Still detected on a second try; the neighbours are fine. */
	ck_assert_int_eq(BufRead(REL, 3), InvalidBuffer);
	ck_assert(check_block(REL, 2));
	ck_assert(check_block(REL, 4));

	/* A copy of block 4 written over block 3 fails too (checksum has blkno). */
	{
		char		page[BLCKSZ];
		off_t		off4;

		seg_location(REL, 4, path, sizeof(path), &off4);
		ck_assert(read_from_disk(REL, 4, page));
		seg_location(REL, 3, path, sizeof(path), &off);
		fd = open(path, O_RDWR);
		ck_assert_int_eq(pwrite(fd, page, BLCKSZ, off), BLCKSZ);
		close(fd);
		ck_assert_int_eq(BufRead(REL, 3), InvalidBuffer);
	}

	/* The failed buffer is reused normally. */
	for (BlockNumber b = 0; b < 10; b++)
		if (b != 3)
			ck_assert(check_block(REL, b));
	ck_assert_int_eq(BufPinCount(), 0);
}
END_TEST

/* WAL hook record: which LSNs were flushed, and what disk held then. */
#define LSN_BASE 1000000
static XLogRecPtr hook_lsns[1024];
static int	hook_calls;
static bool hook_saw_new_on_disk;
static bool hook_result = true;

static bool
recording_hook(XLogRecPtr lsn)
{
	char		page[BLCKSZ];
	BlockNumber blkno = (BlockNumber) (lsn - LSN_BASE);

	if (hook_calls < 1024)
		hook_lsns[hook_calls] = lsn;
	hook_calls++;
	/* The write of this page must not have happened yet. */
	if (read_from_disk(REL, blkno, page) && PageGetLSN(page) == lsn)
		hook_saw_new_on_disk = true;
	return hook_result;
}

START_TEST(test_wal_flushed_before_write)
{
	BufferStats st;
	char		page[BLCKSZ];

	init_pool(16);
	bufmgr_wal_flush_hook = recording_hook;
	for (BlockNumber b = 0; b < 16; b++)
	{
		BlockNumber blkno;
		Buffer		buf = BufExtend(REL, &blkno);

		ck_assert(BufferIsValid(buf));
		PageInit(BufGetPage(buf), 0);
		BufMarkDirty(buf);
		PageSetLSN(BufGetPage(buf), LSN_BASE + blkno);
		BufUnlockRelease(buf);
	}
	ck_assert_int_eq(hook_calls, 0);

	/* 16 more blocks push every dirty one out. */
	for (BlockNumber b = 16; b < 32; b++)
	{
		BlockNumber blkno;
		Buffer		buf = BufExtend(REL + 1, &blkno);

		ck_assert(BufferIsValid(buf));
		BufUnlockRelease(buf);
	}
	BufGetStats(&st);
	ck_assert_int_eq(hook_calls, 16);
	ck_assert_uint_eq(st.written_backend, 16);
	ck_assert(!hook_saw_new_on_disk);
	for (int i = 0; i < 16; i++)
	{
		BlockNumber blkno = (BlockNumber) (hook_lsns[i] - LSN_BASE);

		ck_assert_uint_lt(blkno, 16);
		ck_assert(read_from_disk(REL, blkno, page));
		ck_assert_uint_eq(PageGetLSN(page), hook_lsns[i]);
		ck_assert(PageVerifyChecksum(page, blkno));
	}

	/* If WAL cannot be flushed, the page is not written. */
	{
		Buffer		buf = BufRead(REL, 5);

		ck_assert(BufferIsValid(buf));
		BufLockContent(buf, LW_EXCLUSIVE);
		BufMarkDirty(buf);
		PageSetLSN(BufGetPage(buf), LSN_BASE + 5 + 0x100000000ull);
		BufUnlockRelease(buf);
	}
	hook_result = false;
	hook_calls = 0;
	/* 31 other blocks through 16 buffers: the hand must reach block 5. */
	for (int i = 0; i < 64 && hook_calls == 0; i++)
	{
		RelNumber	rel = (i / 16) % 2 ? REL + 1 : REL;
		BlockNumber b = (BlockNumber) (i % 16);
		Buffer		buf = rel == REL && b == 5 ? InvalidBuffer : BufRead(rel, b);

		if (BufferIsValid(buf))
			BufRelease(buf);
	}
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_int_eq(BufCountDirty(), 1);
	ck_assert(read_from_disk(REL, 5, page));
	ck_assert_uint_eq(PageGetLSN(page), LSN_BASE + 5);
	ck_assert_int_eq(BufPinCount(), 0);
	hook_result = true;
	ck_assert(BufFlushAll(0, NULL));
	ck_assert(read_from_disk(REL, 5, page));
	ck_assert_uint_eq(PageGetLSN(page), LSN_BASE + 5 + 0x100000000ull);
}
END_TEST

START_TEST(test_flush_all_then_drop)
{
	uint64_t	written = 0;
	BufferStats before;
	BufferStats after;
	struct timespec t0;
	struct timespec t1;
	int64_t		elapsed_us;

	init_pool(16);
	create_relation(REL, 10);
	ck_assert_int_eq(BufCountDirty(), 10);
	ck_assert_int_gt(SmgrPendingSyncCount(), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert(BufFlushAll(100000, &written));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed_us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	ck_assert_uint_eq(written, 10);
	ck_assert_int_eq(BufCountDirty(), 0);
	ck_assert_int_eq(SmgrPendingSyncCount(), 0);
	/* Nine pauses of a tenth each: spreading is a lower bound, not speed. */
	ck_assert_int_ge(elapsed_us, 80000);

	/* Nothing left to write. */
	ck_assert(BufFlushAll(0, &written));
	ck_assert_uint_eq(written, 0);

	BufGetStats(&before);
	BufDropAll();
	for (BlockNumber b = 0; b < 10; b++)
		ck_assert(check_block(REL, b));
	BufGetStats(&after);
	ck_assert_uint_eq(after.reads - before.reads, 10);
	ck_assert_uint_eq(after.written_checkpoint, 10);

	/* A dropped dirty buffer is forgotten, not written. */
	{
		Buffer		buf = BufRead(REL, 1);

		BufLockContent(buf, LW_EXCLUSIVE);
		DATA(BufGetPage(buf))->stamp = 1;
		BufMarkDirty(buf);
		BufUnlockRelease(buf);
	}
	BufDropAll();
	ck_assert(check_block(REL, 1));
}
END_TEST

static uint64_t
test_seed(const char *name)
{
	const char *env = getenv("TUSK_TEST_SEED");
	uint64_t	seed = env ? strtoull(env, NULL, 0) : (uint64_t) time(NULL) ^ (uint64_t) getpid();

	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n",
			name, seed, seed);
	return seed;
}

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/*
 * Four processes increment counters in random pages of a relation three
 * times the pool, under the EXCLUSIVE content lock, while one of them also
 * runs checkpoints and another the bgwriter. Every increment must survive
 * evictions, checkpoints and a re-read from disk.
 */
START_TEST(test_concurrent_counters)
{
	const BlockNumber npages = 48;
	const int	iterations = 3000;
	uint64_t	seed = test_seed("test_concurrent_counters");
	pid_t		pids[NWORKERS];
	uint64_t	total = 0;
	uint64_t	per_worker[NWORKERS] = {0};

	init_pool(16);
	create_relation(REL, npages);
	for (int w = 0; w < NWORKERS; w++)
	{
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0)
		{
			uint64_t	rng = seed + (uint64_t) w;
			BufBgWriterState bgw;

			memset(&bgw, 0, sizeof(bgw));
			for (int i = 0; i < iterations; i++)
			{
				BlockNumber b = (BlockNumber) (rng_next(&rng) % npages);
				Buffer		buf = BufRead(REL, b);
				Page		page;

				CHILD_CHECK(BufferIsValid(buf));
				BufLockContent(buf, LW_EXCLUSIVE);
				page = BufGetPage(buf);
				CHILD_CHECK(DATA(page)->blkno == b);
				DATA(page)->total++;
				DATA(page)->per_worker[w]++;
				BufMarkDirty(buf);
				BufUnlockRelease(buf);
				if (w == 0 && i % 500 == 499)
					CHILD_CHECK(BufFlushAll(0, NULL));
				if (w == 1 && i % 50 == 49)
					BufBgWriterRound(&bgw, 4, 2.0, 200);
			}
			CHILD_CHECK(BufPinCount() == 0);
			CHILD_CHECK(LWLockHeldCount() == 0);
			_exit(0);
		}
	}
	for (int w = 0; w < NWORKERS; w++)
		ck_assert_msg(child_ok(pids[w]), "worker %d failed", w);

	ck_assert(BufFlushAll(0, NULL));
	BufDropAll();
	for (BlockNumber b = 0; b < npages; b++)
	{
		Buffer		buf = BufRead(REL, b);
		TestData   *d;

		ck_assert(BufferIsValid(buf));
		d = DATA(BufGetPage(buf));
		ck_assert_uint_eq(d->stamp, stamp_for(REL, b));
		total += d->total;
		for (int w = 0; w < NWORKERS; w++)
			per_worker[w] += d->per_worker[w];
		BufRelease(buf);
	}
	ck_assert_uint_eq(total, (uint64_t) NWORKERS * iterations);
	for (int w = 0; w < NWORKERS; w++)
		ck_assert_uint_eq(per_worker[w], iterations);
}
END_TEST

/*
 * Several processes asking for the same missing blocks at the same time
 * read each block once: the others find it in the pool, waiting for the
 * read in progress if they must.
 */
START_TEST(test_one_read_per_block)
{
	const BlockNumber n = 200;
	_Atomic int *start = shared_scratch(sizeof(int));
	pid_t		pids[NWORKERS];
	BufferStats before;
	BufferStats after;

	init_pool(256);
	create_relation(REL, n);
	ck_assert(BufFlushAll(0, NULL));
	BufDropAll();
	BufGetStats(&before);

	for (int w = 0; w < NWORKERS; w++)
	{
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0)
		{
			atomic_fetch_add(start, 1);
			while (atomic_load(start) < NWORKERS)
				;
			for (BlockNumber b = 0; b < n; b++)
				CHILD_CHECK(check_block(REL, b));
			_exit(0);
		}
	}
	for (int w = 0; w < NWORKERS; w++)
		ck_assert(child_ok(pids[w]));
	BufGetStats(&after);
	ck_assert_uint_eq(after.reads - before.reads, n);
	ck_assert_uint_eq(after.hits - before.hits, (uint64_t) (NWORKERS - 1) * n);
}
END_TEST

START_TEST(test_concurrent_extend)
{
	const int	per_worker = 40;
	_Atomic uint32_t *blocks = shared_scratch(sizeof(uint32_t) * NWORKERS * per_worker);
	pid_t		pids[NWORKERS];
	bool		seen[NWORKERS * 40] = {false};

	init_pool(16);
	for (int w = 0; w < NWORKERS; w++)
	{
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0)
		{
			for (int i = 0; i < per_worker; i++)
			{
				BlockNumber blkno;
				Buffer		buf = BufExtend(REL, &blkno);
				Page		page;

				CHILD_CHECK(BufferIsValid(buf));
				page = BufGetPage(buf);
				CHILD_CHECK(PageIsNew(page));
				PageInit(page, 0);
				DATA(page)->rel = REL;
				DATA(page)->blkno = blkno;
				DATA(page)->stamp = stamp_for(REL, blkno);
				DATA(page)->per_worker[w] = 1;
				BufMarkDirty(buf);
				BufUnlockRelease(buf);
				blocks[w * per_worker + i] = blkno;
			}
			_exit(0);
		}
	}
	for (int w = 0; w < NWORKERS; w++)
		ck_assert(child_ok(pids[w]));

	ck_assert_uint_eq(SmgrNblocks(REL), NWORKERS * per_worker);
	for (int w = 0; w < NWORKERS; w++)
		for (int i = 0; i < per_worker; i++)
		{
			uint32_t	b = blocks[w * per_worker + i];
			Buffer		buf;

			ck_assert_uint_lt(b, NWORKERS * per_worker);
			ck_assert_msg(!seen[b], "block %u handed out twice", b);
			seen[b] = true;
			ck_assert(check_block(REL, b));
			buf = BufRead(REL, b);
			ck_assert_uint_eq(DATA(BufGetPage(buf))->per_worker[w], 1);
			BufRelease(buf);
		}
}
END_TEST

START_TEST(test_release_all)
{
	Buffer		bufs[6];

	init_pool(16);
	create_relation(REL, 40);
	for (int i = 0; i < 6; i++)
	{
		bufs[i] = BufRead(REL, (BlockNumber) i);
		ck_assert(BufferIsValid(bufs[i]));
	}
	ck_assert_int_eq(BufRead(REL, 0), bufs[0]);
	ck_assert_int_eq(BufRead(REL, 0), bufs[0]);
	BufLockContent(bufs[1], LW_SHARED);
	BufLockContent(bufs[2], LW_EXCLUSIVE);
	ck_assert_int_eq(BufPinCount(), 8);
	ck_assert_int_eq(LWLockHeldCount(), 2);

	BufReleaseAll();
	ck_assert_int_eq(BufPinCount(), 0);
	ck_assert_int_eq(LWLockHeldCount(), 0);
	BufReleaseAll();			/* nothing left: no-op */

	/* Every buffer can be reused: cycle the whole relation through. */
	for (BlockNumber b = 0; b < 40; b++)
		ck_assert(check_block(REL, b));
	ck_assert_int_eq(BufExtend(REL, &(BlockNumber) {0}) != InvalidBuffer, 1);
	BufReleaseAll();
	ck_assert_int_eq(BufPinCount(), 0);
	ck_assert_int_eq(LWLockHeldCount(), 0);
}
END_TEST

/* With every buffer pinned a miss fails cleanly, and works once one is free. */
START_TEST(test_pool_exhausted)
{
	Buffer		bufs[16];

	init_pool(16);
	create_relation(REL, 17);
	for (int i = 0; i < 16; i++)
	{
		bufs[i] = BufRead(REL, (BlockNumber) i);
		ck_assert(BufferIsValid(bufs[i]));
	}
	errno = 0;
	ck_assert_int_eq(BufRead(REL, 16), InvalidBuffer);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_int_eq(BufPinCount(), 16);
	BufRelease(bufs[7]);
	ck_assert(check_block(REL, 16));
	BufReleaseAll();
	ck_assert_int_eq(BufPinCount(), 0);
}
END_TEST

/*
 * Many pins at once, released in random order: the private pin table
 * grows and deletes correctly, and every shared pin count returns to 0.
 */
START_TEST(test_many_pins)
{
	const int	n = 200;
	Buffer		bufs[200];
	uint64_t	rng = test_seed("test_many_pins");

	init_pool(256);
	create_relation(REL, (BlockNumber) n);
	for (int i = 0; i < n; i++)
	{
		bufs[i] = BufRead(REL, (BlockNumber) i);
		ck_assert(BufferIsValid(bufs[i]));
		if (i % 3 == 0)
			ck_assert_int_eq(BufRead(REL, (BlockNumber) i), bufs[i]);
	}
	ck_assert_int_eq(BufPinCount(), n + (n + 2) / 3);
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) (rng_next(&rng) % (uint64_t) (i + 1));
		Buffer		t = bufs[i];

		bufs[i] = bufs[j];
		bufs[j] = t;
	}
	for (int i = 0; i < n; i++)
	{
		BufRelease(bufs[i]);
		if ((BufGetBlockNumber(bufs[i]) % 3) == 0)
			BufRelease(bufs[i]);
	}
	ck_assert_int_eq(BufPinCount(), 0);
	BufReleaseAll();
	/* No shared pins left: a full pool's worth of other blocks fits. */
	create_relation(REL + 1, 256);
	ck_assert_int_eq(BufPinCount(), 0);
}
END_TEST

/* Add one new dirty page at the end of rel (one allocation). */
static void
extend_dirty(RelNumber rel)
{
	BlockNumber blkno;
	Buffer		buf = BufExtend(rel, &blkno);
	Page		page;

	ck_assert(BufferIsValid(buf));
	page = BufGetPage(buf);
	PageInit(page, 0);
	DATA(page)->rel = rel;
	DATA(page)->blkno = blkno;
	DATA(page)->stamp = stamp_for(rel, blkno);
	BufMarkDirty(buf);
	BufUnlockRelease(buf);
}

static uint64_t
bgwriter_written(void)
{
	BufferStats st;

	BufGetStats(&st);
	return st.written_bgwriter;
}

/* How far the bgwriter's position is ahead of the clock hand. */
static int64_t
bgwriter_ahead(const BufBgWriterState *st)
{
	return (int64_t) (st->next_to_clean - atomic_load(&bufmgr_shared->next_victim));
}

/*
 * The bgwriter's rounds: nothing is written while every buffer was just
 * used; after an allocation it makes multiplier x the estimate reusable
 * ahead of the hand; lru_maxpages stops a round (and is counted); 0 turns
 * writing off; it never gets more than one lap ahead of the hand; it
 * reports idle once a quiet pool has been looked over, and by then every
 * dirty buffer the hand could take has been written, to disk.
 */
START_TEST(test_bgwriter_round)
{
	BufBgWriterState st;
	BufferStats bs;
	uint64_t	before;
	bool		idle = false;
	char		page[BLCKSZ];

	memset(&st, 0, sizeof(st));
	init_pool(32);
	create_relation(REL, 32);
	BufGetStats(&bs);
	ck_assert_uint_eq(bs.allocs, 32);

	/* every buffer has usage 1: nothing reusable, a lap looked at */
	ck_assert(BufBgWriterRound(&st, 100, 2.0, 200));
	ck_assert_int_eq(st.last_written, 0);
	ck_assert_int_eq(st.last_reusable, 0);
	ck_assert_int_eq(bgwriter_ahead(&st), 32);
	ck_assert_uint_eq(bgwriter_written(), 0);

	/* one allocation: the hand passes once (usage counts drop to 0) */
	extend_dirty(REL);
	ck_assert(!BufBgWriterRound(&st, 100, 2.0, 200));
	ck_assert_int_eq(st.last_wanted, 2);
	ck_assert_int_eq(st.last_written, 2);
	ck_assert_uint_eq(bgwriter_written(), 2);
	ck_assert_int_ge(bgwriter_ahead(&st), 0);

	/* lru_maxpages 0: nothing written */
	extend_dirty(REL);
	before = bgwriter_written();
	ck_assert(!BufBgWriterRound(&st, 0, 2.0, 200));
	ck_assert_uint_eq(bgwriter_written(), before);

	/* a big multiplier hits lru_maxpages, which is counted */
	extend_dirty(REL);
	BufGetStats(&bs);
	ck_assert_uint_eq(bs.bgwriter_maxwritten_clean, 0);
	BufBgWriterRound(&st, 3, 10.0, 200);
	ck_assert_int_eq(st.last_written, 3);
	ck_assert_uint_eq(bgwriter_written(), before + 3);
	BufGetStats(&bs);
	ck_assert_uint_eq(bs.bgwriter_maxwritten_clean, 1);
	ck_assert_uint_eq(bs.bgwriter_rounds, 4);

	/* quiet pool: rounds creep to one lap ahead, never further, then idle */
	for (int i = 0; i < 200 && !idle; i++)
	{
		idle = BufBgWriterRound(&st, 100, 2.0, 200);
		ck_assert_int_le(bgwriter_ahead(&st), 32);
	}
	ck_assert_msg(idle, "bgwriter never became idle");
	ck_assert_int_eq(bgwriter_ahead(&st), 32);
	for (int id = 0; id < NBuffers; id++)
	{
		uint32_t	s = atomic_load(&buffer_descriptors[id].state);

		ck_assert_msg(!(s & BM_DIRTY) || BUF_STATE_USAGECOUNT(s) > 0,
					  "buffer %d dirty with usage count 0 after an idle round", id + 1);
	}
	BufGetStats(&bs);
	ck_assert_uint_eq(bs.allocs, 35);
	ck_assert_uint_gt(bs.written_bgwriter, 5);

	/* what the bgwriter wrote is on disk, checksummed */
	ck_assert(read_from_disk(REL, 1, page));
	ck_assert(PageVerifyChecksum(page, 1));
	ck_assert_uint_eq(DATA(page)->stamp, stamp_for(REL, 1));
	ck_assert_int_eq(BufPinCount(), 0);
	ck_assert_int_eq(LWLockHeldCount(), 0);
}
END_TEST

/* Wait up to 20 s for a child to exit; false (child killed) if it does not. */
static bool
child_exits_soon(pid_t pid)
{
	for (int i = 0; i < 2000; i++)
	{
		int			status;

		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return false;
}

static bool
latch_becomes(uint32_t want)
{
	for (int i = 0; i < 2000; i++)
	{
		if (atomic_load(&bufmgr_shared->bgwriter_latch) == want)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/*
 * The latch: a hibernating bgwriter (a child sleeping 10 minutes) is woken
 * by the next allocation in another process; a napping one by
 * BufBgWriterWakeup; a set cancel flag means no sleep at all.
 */
START_TEST(test_bgwriter_latch)
{
	volatile int cancel = 1;
	time_t		t0;
	pid_t		pid;

	init_pool(16);
	create_relation(REL, 20);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		BufBgWriterSleep(600000, true, NULL);
		_exit(0);
	}
	ck_assert(latch_becomes(BGW_HIBERNATING));
	ck_assert(check_block(REL, 0));		/* a miss: the hand takes a victim */
	ck_assert_msg(child_exits_soon(pid), "allocation did not wake the bgwriter");
	ck_assert_uint_eq(atomic_load(&bufmgr_shared->bgwriter_latch), BGW_RUNNING);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		BufBgWriterSleep(600000, false, NULL);
		_exit(0);
	}
	ck_assert(latch_becomes(BGW_NAPPING));
	BufBgWriterWakeup();
	ck_assert_msg(child_exits_soon(pid), "BufBgWriterWakeup did not wake the bgwriter");

	t0 = time(NULL);
	BufBgWriterSleep(600000, true, &cancel);
	ck_assert_int_lt(time(NULL) - t0, 60);
}
END_TEST

static Suite *
bufmgr_suite(void)
{
	Suite	   *s = suite_create("bufmgr");
	TCase	   *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_read_your_writes);
	tcase_add_test(tc, test_larger_than_pool);
	tcase_add_test(tc, test_corrupt_page_detected);
	tcase_add_test(tc, test_wal_flushed_before_write);
	tcase_add_test(tc, test_flush_all_then_drop);
	tcase_add_test(tc, test_concurrent_counters);
	tcase_add_test(tc, test_one_read_per_block);
	tcase_add_test(tc, test_concurrent_extend);
	tcase_add_test(tc, test_release_all);
	tcase_add_test(tc, test_pool_exhausted);
	tcase_add_test(tc, test_many_pins);
	tcase_add_test(tc, test_bgwriter_round);
	tcase_add_test(tc, test_bgwriter_latch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(bufmgr_suite());
	int			failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
