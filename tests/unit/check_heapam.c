/*
 * check_heapam.c
 *	  Unit tests for storage/heapam.c: insert and fetch, update chains read
 *	  through old and new snapshots, delete, aborted versions, pruning
 *	  (reclaims space, keeps what snapshots need, redirects aborted heads),
 *	  1 MB of versions of one key pruned down to a page or two, values too
 *	  large for a page, and crash + redo reproducing the visible state
 *	  (random workload with evictions and a checkpoint in the middle).
 *
 * NOTES
 *	  Check's fork mode; each test gets its own data directory (mkdtemp)
 *	  and shared memory segment. The keyspace index is stood in for by a
 *	  private array of item pointers (key number -> newest version), which
 *	  survives the simulated crash as a durable index would. A "crash" drops
 *	  the buffer pool without writing it and rebuilds shared memory, as the
 *	  postmaster does. ClogCheckpoint is called after StartupXLOG and before
 *	  each CreateCheckPoint, standing in for the checkpointer wiring. Random
 *	  tests print their seed; set TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/bufmgr.h"
#include "storage/clog.h"
#include "storage/elog.h"
#include "storage/heapam.h"
#include "storage/keylock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/snapshot.h"
#include "storage/visibility.h"
#include "storage/xact.h"
#include "tests/unit/storage_fixture.h"
#include "wal/xlog.h"
#include "wal/xlog_int.h"

#define TEST_SHARED_BUFFERS ((long long) 32 * BLCKSZ)
#define TEST_BACKENDS 8
#define MAX_KEYS 256

static char test_dir[64];
static ItemPointerData index_tid[MAX_KEYS];
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void
seed_rng(const char *test)
{
	const char *env = getenv("TUSK_TEST_SEED");
	uint64_t	seed = env ? strtoull(env, NULL, 0) :
		(uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);

	rng_state = seed;
	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n",
			test, seed, seed);
}

static void
shmem_start(void)
{
	FixtureShmemStart(TEST_SHARED_BUFFERS, TEST_BACKENDS);
}

static void
start_db(void)
{
	FixtureStartDb();
}

static void
crash_and_restart(void)
{
	FixtureCrashAndRestart(TEST_SHARED_BUFFERS, TEST_BACKENDS);
}

static void
checkpoint(void)
{
	ck_assert(ClogCheckpoint());
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
}

static void
setup(void)
{
	char		errbuf[256];

	strcpy(test_dir, "/tmp/tusk_heap_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
	shmem_start();
	ck_assert_msg(SmgrInitDataDirectory(errbuf, sizeof(errbuf)), "%s", errbuf);
	start_db();
	for (int i = 0; i < MAX_KEYS; i++)
		index_tid[i].offset = InvalidOffsetNumber;
}

static void
teardown(void)
{
	FixtureRemoveDir(test_dir);
}

/* ------------------------------------------------------------ helpers */

static void
key_name(int k, char *buf)
{
	snprintf(buf, 32, "key:%04d", k);
}

/*
 * Write a version of key k in the current transaction (begun if needed);
 * value NULL deletes. Returns the heap status.
 */
static HeapStatus
write_key(int k, const char *value, size_t len)
{
	TransactionId xid = XactBegin();
	HeapTupleData latest;
	HeapStatus	st = HEAP_NOT_FOUND;
	char		key[32];
	const ItemPointerData *prev = NULL;
	ItemPointerData tid;

	ck_assert(xid != InvalidTransactionId);
	key_name(k, key);
	HeapTupleInit(&latest, NULL, 0);
	if (ItemPointerIsValid(&index_tid[k]))
	{
		st = HeapFetchLatest(&index_tid[k], &latest);
		ck_assert_msg(st == HEAP_OK || st == HEAP_NOT_FOUND, "fetch latest: %s", HeapStatusName(st));
		if (st == HEAP_OK)
			prev = &latest.tid;
	}
	if (value == NULL)
	{
		if (prev && latest.live)
			st = HeapDelete(xid, prev);
		else
			st = HEAP_NOT_FOUND;
	}
	else
	{
		/* like KsPut: the newest version may take over the slot the index names */
		bool		indexed = prev && ItemPointerEquals(prev, &index_tid[k]);

		st = HeapInsert(xid, key, strlen(key), value, len, 1, 0, 0, prev, indexed,
						prev ? prev->block : InvalidBlockNumber, &tid);
		if (st == HEAP_OK)
			index_tid[k] = tid;
	}
	HeapTupleRelease(&latest);
	return st;
}

static void
commit(void)
{
	XLogRecPtr	end = XactCommit();

	if (end != InvalidXLogRecPtr)
		ck_assert(XLogFlush(end));
	SnapshotReleaseAll();
}

/* Value of key k for snap into buf (NUL-terminated); false if none. */
static bool
read_key(const Snapshot *snap, int k, char *buf, size_t cap)
{
	HeapTupleData tup;
	HeapStatus	st;
	char		key[32];

	if (!ItemPointerIsValid(&index_tid[k]))
		return false;
	HeapTupleInit(&tup, NULL, 0);
	st = HeapFetchVisible(snap, &index_tid[k], &tup);
	ck_assert_msg(st == HEAP_OK || st == HEAP_NOT_FOUND, "fetch: %s", HeapStatusName(st));
	if (st == HEAP_OK)
	{
		key_name(k, key);
		ck_assert_uint_eq(tup.key_len, strlen(key));
		ck_assert(memcmp(tup.key, key, tup.key_len) == 0);
		ck_assert_uint_lt(tup.value_len, cap);
		memcpy(buf, tup.value, tup.value_len);
		buf[tup.value_len] = '\0';
	}
	HeapTupleRelease(&tup);
	return st == HEAP_OK;
}

static void
expect_value(const Snapshot *snap, int k, const char *expected)
{
	char		buf[BLCKSZ];
	bool		found = read_key(snap, k, buf, sizeof(buf));

	if (expected == NULL)
		ck_assert_msg(!found, "key %d: expected none, found \"%.40s\"", k, buf);
	else
	{
		ck_assert_msg(found, "key %d: expected \"%.40s\", found none", k, expected);
		ck_assert_msg(strcmp(buf, expected) == 0, "key %d: expected \"%.40s\", found \"%.40s\"",
					  k, expected, buf);
	}
}

static void
set_and_commit(int k, const char *value)
{
	ck_assert_int_eq(write_key(k, value, value ? strlen(value) : 0), value ? HEAP_OK : HEAP_OK);
	commit();
}

/* Prune every heap page now, with the current horizon. */
static int
prune_all(void)
{
	BlockNumber n = SmgrNblocks(REL_KEYSPACE_HEAP);
	TransactionId horizon = SnapshotGetOldestXmin();
	int			changed = 0;

	for (BlockNumber b = 0; b < n; b++)
	{
		Buffer		buf = BufRead(REL_KEYSPACE_HEAP, b);

		ck_assert(BufferIsValid(buf));
		BufLockContent(buf, LW_EXCLUSIVE);
		changed += HeapPrunePage(buf, horizon);
		BufUnlockRelease(buf);
	}
	return changed;
}

static size_t
page_free_space(BlockNumber b)
{
	Buffer		buf = BufRead(REL_KEYSPACE_HEAP, b);
	size_t		free_space;

	ck_assert(BufferIsValid(buf));
	BufLockContent(buf, LW_SHARED);
	free_space = PageGetFreeSpace(BufGetPage(buf));
	BufUnlockRelease(buf);
	return free_space;
}

static unsigned
item_flags(const ItemPointerData *tid)
{
	Buffer		buf = BufRead(REL_KEYSPACE_HEAP, tid->block);
	unsigned	flags;

	ck_assert(BufferIsValid(buf));
	BufLockContent(buf, LW_SHARED);
	flags = ItemIdGetFlags(PageGetItemId(BufGetPage(buf), tid->offset));
	BufUnlockRelease(buf);
	return flags;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_insert_fetch)
{
	Snapshot	snap = SNAPSHOT_INIT;

	set_and_commit(1, "hello");
	set_and_commit(2, "world");
	SnapshotTake(&snap);
	expect_value(&snap, 1, "hello");
	expect_value(&snap, 2, "world");
	expect_value(&snap, 3, NULL);
	ck_assert_uint_eq(index_tid[1].block, index_tid[2].block);
	SnapshotFree(&snap);
	SnapshotReleaseAll();

	/* A caller-provided buffer is used when it is big enough. */
	{
		char		mine[64];
		HeapTupleData tup;

		SnapshotTake(&snap);
		HeapTupleInit(&tup, mine, sizeof(mine));
		ck_assert_int_eq(HeapFetchVisible(&snap, &index_tid[1], &tup), HEAP_OK);
		ck_assert_ptr_eq(tup.data, mine);
		ck_assert(!tup.data_allocated);
		ck_assert_uint_eq(tup.type, 1);
		HeapTupleRelease(&tup);
		SnapshotFree(&snap);
	}
}
END_TEST

START_TEST(test_update_chain_snapshots)
{
	Snapshot	s1 = SNAPSHOT_INIT,
				s2 = SNAPSHOT_INIT,
				s3 = SNAPSHOT_INIT,
				own = SNAPSHOT_INIT;
	ItemPointerData first;

	set_and_commit(1, "v1");
	first = index_tid[1];
	SnapshotTake(&s1);
	set_and_commit(1, "v2");
	SnapshotTake(&s2);

	/* An uncommitted v3: invisible to others, visible to itself. */
	ck_assert_int_eq(write_key(1, "v3", 2), HEAP_OK);
	SnapshotTake(&own);
	expect_value(&own, 1, "v3");
	expect_value(&s1, 1, "v1");
	expect_value(&s2, 1, "v2");
	/*
	 * The chain stayed on one page, and each new version took over the
	 * slot the index names, so the index never changed.
	 */
	ck_assert_uint_eq(index_tid[1].block, first.block);
	ck_assert_uint_eq(index_tid[1].offset, first.offset);
	commit();

	SnapshotTake(&s3);
	expect_value(&s1, 1, "v1");
	expect_value(&s2, 1, "v2");
	expect_value(&s3, 1, "v3");
	/* The old version itself, in the slot it moved to: live for s1, replaced for s3. */
	{
		HeapTupleData tup;
		ItemPointerData v1_at;

		HeapTupleInit(&tup, NULL, 0);
		ck_assert_int_eq(HeapFetchVisible(&s1, &first, &tup), HEAP_OK);
		ck_assert(memcmp(tup.value, "v1", 2) == 0);
		v1_at = tup.tid;
		ck_assert(v1_at.offset != first.offset);
		ck_assert_int_eq(HeapFetchVisible(&s1, &v1_at, &tup), HEAP_OK);
		ck_assert(memcmp(tup.value, "v1", 2) == 0);
		ck_assert_int_eq(HeapFetchVisible(&s3, &v1_at, &tup), HEAP_NOT_FOUND);
		HeapTupleRelease(&tup);
	}
	SnapshotFree(&s1);
	SnapshotFree(&s2);
	SnapshotFree(&s3);
	SnapshotFree(&own);
}
END_TEST

START_TEST(test_delete)
{
	Snapshot	before = SNAPSHOT_INIT,
				after = SNAPSHOT_INIT;

	set_and_commit(5, "doomed");
	SnapshotTake(&before);
	ck_assert_int_eq(write_key(5, NULL, 0), HEAP_OK);
	/* Deleting twice in one transaction: already gone for us. */
	ck_assert_int_eq(write_key(5, NULL, 0), HEAP_NOT_FOUND);
	commit();
	SnapshotTake(&after);
	expect_value(&before, 5, "doomed");
	expect_value(&after, 5, NULL);

	/* Re-insert after delete links to the deleted version. */
	set_and_commit(5, "reborn");
	SnapshotReleaseAll();
	{
		Snapshot	now = SNAPSHOT_INIT;

		SnapshotTake(&now);
		expect_value(&now, 5, "reborn");
		expect_value(&before, 5, "doomed");
		expect_value(&after, 5, NULL);
		SnapshotFree(&now);
	}
	SnapshotFree(&before);
	SnapshotFree(&after);
}
END_TEST

START_TEST(test_aborted_versions)
{
	Snapshot	snap = SNAPSHOT_INIT;
	ItemPointerData aborted_head;
	HeapTupleData latest;

	set_and_commit(7, "good");
	ck_assert_int_eq(write_key(7, "bad1", 4), HEAP_OK);
	ck_assert_int_eq(write_key(7, "bad2", 4), HEAP_OK);	/* two aborted in a row */
	aborted_head = index_tid[7];
	XactAbort();

	SnapshotTake(&snap);
	expect_value(&snap, 7, "good");
	SnapshotFree(&snap);
	HeapTupleInit(&latest, NULL, 0);
	ck_assert_int_eq(HeapFetchLatest(&index_tid[7], &latest), HEAP_OK);
	ck_assert(memcmp(latest.value, "good", 4) == 0);
	ck_assert(latest.live);
	ck_assert_int_eq(latest.xmin_status, XID_COMMITTED);
	HeapTupleRelease(&latest);

	/* Pruning turns the aborted head into a redirect to "good". */
	SnapshotReleaseAll();
	ck_assert_int_gt(prune_all(), 0);
	ck_assert_uint_eq(item_flags(&aborted_head), LP_REDIRECT);
	SnapshotTake(&snap);
	expect_value(&snap, 7, "good");
	SnapshotFree(&snap);

	/* An aborted insert of a new key leaves nothing visible. */
	ck_assert_int_eq(write_key(8, "never", 5), HEAP_OK);
	XactAbort();
	SnapshotTake(&snap);
	expect_value(&snap, 8, NULL);
	SnapshotFree(&snap);
	SnapshotReleaseAll();
	ck_assert_int_gt(prune_all(), 0);
	ck_assert_uint_eq(item_flags(&index_tid[8]), LP_DEAD);

	/* Later updates go on from "good"; once it dies the redirect dies too. */
	for (int i = 0; i < 3; i++)
		set_and_commit(7, "newer");
	ck_assert_int_gt(prune_all(), 0);
	ck_assert_uint_eq(item_flags(&aborted_head), LP_DEAD);
	SnapshotTake(&snap);
	expect_value(&snap, 7, "newer");
	{
		HeapTupleData tup;

		HeapTupleInit(&tup, NULL, 0);
		ck_assert_int_eq(HeapFetchVisible(&snap, &aborted_head, &tup), HEAP_NOT_FOUND);
		HeapTupleRelease(&tup);
	}
	SnapshotFree(&snap);
}
END_TEST

START_TEST(test_prune_keeps_what_snapshots_need)
{
	Snapshot	old = SNAPSHOT_INIT,
				now = SNAPSHOT_INIT;
	char		value[200];
	size_t		before,
				after;
	BlockNumber blk;

	memset(value, 'x', 150);
	value[150] = '\0';
	set_and_commit(1, "original");
	blk = index_tid[1].block;
	SnapshotTake(&old);			/* publishes our xmin: holds the horizon */
	for (int i = 0; i < 30; i++)
	{
		value[0] = (char) ('a' + i % 26);
		ck_assert_int_eq(write_key(1, value, 150), HEAP_OK);
		XLogFlush(XactCommit());
	}
	ck_assert_int_eq(prune_all(), 0);	/* everything is needed by `old` */
	expect_value(&old, 1, "original");
	before = page_free_space(blk);

	SnapshotReleaseAll();
	ck_assert_int_gt(prune_all(), 0);
	after = page_free_space(blk);
	ck_assert_uint_gt(after, before + 25 * 150);
	SnapshotTake(&now);
	expect_value(&now, 1, value);
	SnapshotFree(&old);
	SnapshotFree(&now);
}
END_TEST

START_TEST(test_one_key_megabyte)
{
	char		value[128];
	Snapshot	snap = SNAPSHOT_INIT;
	HeapStats	stats;

	for (int i = 0; i < 10000; i++)
	{
		snprintf(value, sizeof(value), "%06d-%0100d", i, 0);
		ck_assert_int_eq(write_key(3, value, strlen(value)), HEAP_OK);
		ck_assert(XactCommit() != InvalidXLogRecPtr);
	}
	XLogFlush(XLogGetInsertPosition());
	SnapshotTake(&snap);
	expect_value(&snap, 3, value);
	SnapshotFree(&snap);
	HeapGetStats(&stats);
	/* ~1.1 MB of versions written; pruning kept the heap at a page or two. */
	ck_assert_uint_le(SmgrNblocks(REL_KEYSPACE_HEAP), 2);
	ck_assert_uint_gt(stats.prunes, 0);
	ck_assert_uint_ge(stats.hot_inserts, 9990);
	/* each of them in the previous version's slot: the index never moved */
	ck_assert_uint_ge(stats.in_place_updates, 9990);
}
END_TEST

START_TEST(test_too_large)
{
	size_t		len = BLCKSZ;
	char	   *big = calloc(1, len);
	ItemPointerData tid;
	TransactionId xid = XactBegin();

	ck_assert_int_eq(HeapInsert(xid, "k", 1, big, len, 1, 0, 0, NULL, false, InvalidBlockNumber, &tid),
					 HEAP_TOO_LARGE);
	/* The largest that fits does fit. */
	len = HEAP_MAX_TUPLE_SIZE - SizeofHeapTupleHeader - 1;
	ck_assert_int_eq(HeapInsert(xid, "k", 1, big, len, 1, 0, 0, NULL, false, InvalidBlockNumber, &tid),
					 HEAP_OK);
	XactCommit();
	free(big);
}
END_TEST

/* Model of committed state for the crash test. */
static char *model[MAX_KEYS];

static void
check_model(int nkeys)
{
	Snapshot	snap = SNAPSHOT_INIT;

	SnapshotTake(&snap);
	for (int k = 0; k < nkeys; k++)
		expect_value(&snap, k, model[k]);
	SnapshotFree(&snap);
	SnapshotReleaseAll();
}

static void
random_workload(int nkeys, int ntx)
{
	char		value[1200];

	for (int t = 0; t < ntx; t++)
	{
		int			nops = 1 + (int) (rng_next() % 3);
		bool		abort_it = rng_next() % 8 == 0;
		char	   *pending[3];
		int			keys[3];

		for (int i = 0; i < nops; i++)
		{
			int			k = (int) (rng_next() % (uint64_t) nkeys);
			bool		del = rng_next() % 6 == 0;
			size_t		len = 10 + rng_next() % 1000;
			HeapStatus	st;

			keys[i] = k;
			if (del)
			{
				st = write_key(k, NULL, 0);
				ck_assert(st == HEAP_OK || st == HEAP_NOT_FOUND);
				pending[i] = NULL;
			}
			else
			{
				memset(value, 'a' + (int) (rng_next() % 26), len);
				snprintf(value, 20, "%d/%d/", t, i);
				value[strlen(value)] = '-';
				value[len] = '\0';
				ck_assert_int_eq(write_key(k, value, len), HEAP_OK);
				pending[i] = strdup(value);
			}
		}
		if (abort_it)
		{
			XactAbort();
			for (int i = 0; i < nops; i++)
				free(pending[i]);
		}
		else
		{
			XactCommit();
			for (int i = 0; i < nops; i++)
			{
				free(model[keys[i]]);
				model[keys[i]] = pending[i];
			}
		}
		if (rng_next() % 50 == 0)
			(void) prune_all();
	}
}

START_TEST(test_crash_redo)
{
	int			nkeys = 250;

	seed_rng("test_crash_redo");
	random_workload(nkeys, 1500);
	check_model(nkeys);
	checkpoint();
	random_workload(nkeys, 1500);
	/*
	 * An uncommitted write whose WAL is on disk, by a process that dies:
	 * aborted after the crash.
	 */
	{
		TransactionId crashed;
		int			fds[2];
		pid_t		pid;

		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
		{
			ProcSlotAttach(1, PROC_KIND_BACKEND);
			if (write_key(0, "uncommitted", 11) != HEAP_OK ||
				!XLogFlush(XLogGetInsertPosition()))
				_exit(1);
			crashed = XactGetCurrentXid();
			if (write(fds[1], &index_tid[0], sizeof(index_tid[0])) != sizeof(index_tid[0]) ||
				write(fds[1], &crashed, sizeof(crashed)) != sizeof(crashed))
				_exit(1);
			_exit(0);
		}
		ck_assert_int_eq(read(fds[0], &index_tid[0], sizeof(index_tid[0])), sizeof(index_tid[0]));
		ck_assert_int_eq(read(fds[0], &crashed, sizeof(crashed)), sizeof(crashed));
		ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
		close(fds[0]);
		close(fds[1]);

		crash_and_restart();
		ck_assert_uint_gt(XactReadNextXid(), crashed);
		ck_assert_int_ne(ClogGetStatus(crashed, NULL), XID_COMMITTED);
	}
	check_model(nkeys);

	/*
	 * Again, through the end-of-recovery checkpoint and more work: enough
	 * of it that the heap outgrows the buffers (some seeds' workloads end
	 * at exactly as many blocks as buffers), so that eviction and the WAL
	 * rule are exercised before the crash.
	 */
	random_workload(nkeys, 500);
	for (int round = 0; round < 20 &&
		 SmgrNblocks(REL_KEYSPACE_HEAP) <= TEST_SHARED_BUFFERS / BLCKSZ; round++)
		random_workload(nkeys, 500);
	XLogFlush(XLogGetInsertPosition());
	crash_and_restart();
	check_model(nkeys);
	/* More heap than buffers: eviction and the WAL rule were exercised. */
	ck_assert_uint_gt(SmgrNblocks(REL_KEYSPACE_HEAP), TEST_SHARED_BUFFERS / BLCKSZ);
	for (int k = 0; k < nkeys; k++)
		free(model[k]);
}
END_TEST

static Suite *
heapam_suite(void)
{
	Suite	   *s = suite_create("heapam");
	TCase	   *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_insert_fetch);
	tcase_add_test(tc, test_update_chain_snapshots);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_aborted_versions);
	tcase_add_test(tc, test_prune_keeps_what_snapshots_need);
	tcase_add_test(tc, test_one_key_megabyte);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_crash_redo);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(heapam_suite());
	int			failed;

	elog_min_level = WARNING;
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
