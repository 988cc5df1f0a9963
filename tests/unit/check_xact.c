/*
 * check_xact.c
 *	  Unit tests for storage/xact.c, storage/clog.c, storage/snapshot.c and
 *	  storage/keylock.c: commit and abort statuses survive a crash through
 *	  WAL redo (with and without a checkpoint, across commit-log pages), the
 *	  next xid after recovery is past every xid seen, snapshots taken by 4
 *	  processes running concurrent transfer transactions (some aborted)
 *	  never see uncommitted data, and 8 processes x 10,000 increments under
 *	  overlapping key locks give the exact total without deadlock; the
 *	  keyspace counters (storage/kscounters.c) follow commits and not
 *	  aborts, survive crashes from WAL alone and from a checkpoint plus WAL
 *	  (sums past 64 bits included), are recounted when the checkpoint has
 *	  none, and equal a scan after 4 processes of concurrent writers.
 *
 * NOTES
 *	  Check's fork mode; each test gets its own data directory (mkdtemp)
 *	  and shared memory segment. Worker processes are forked from the test
 *	  process and attach their own process slots, as backends do. A "crash"
 *	  drops the buffer pool without writing it and rebuilds shared memory.
 *	  ClogCheckpoint is called after StartupXLOG and before CreateCheckPoint,
 *	  standing in for the checkpointer wiring. Random tests print their
 *	  seed; set TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storage/bufmgr.h"
#include "storage/clog.h"
#include "storage/elog.h"
#include "storage/heapam.h"
#include "storage/keylock.h"
#include "storage/keyspace.h"
#include "storage/kscounters.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/snapshot.h"
#include "storage/xact.h"
#include "tests/unit/storage_fixture.h"
#include "wal/xlog.h"
#include "wal/xlog_int.h"

#define TEST_SHARED_BUFFERS ((long long) 64 * BLCKSZ)
#define TEST_BACKENDS 16

static char test_dir[64];
static uint64_t test_seed;

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void
seed_rng(const char *test)
{
	const char *env = getenv("TUSK_TEST_SEED");

	test_seed = env ? strtoull(env, NULL, 0) :
		(uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n",
			test, test_seed, test_seed);
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
setup(void)
{
	char		errbuf[256];

	strcpy(test_dir, "/tmp/tusk_xact_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
	shmem_start();
	ck_assert_msg(SmgrInitDataDirectory(errbuf, sizeof(errbuf)), "%s", errbuf);
	start_db();
}

static void
teardown(void)
{
	FixtureRemoveDir(test_dir);
}

static void *
shared_test_memory(size_t size)
{
	void	   *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert(p != MAP_FAILED);
	memset(p, 0, size);
	return p;
}

/* Fork n workers running fn(i); check they all exit 0. */
static void
run_workers(int n, void (*fn) (int))
{
	pid_t		pids[TEST_BACKENDS];

	for (int i = 0; i < n; i++)
	{
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
		{
			ProcSlotAttach(i + 1, PROC_KIND_BACKEND);
			fn(i);
			_exit(0);
		}
	}
	for (int i = 0; i < n; i++)
	{
		int			status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
					  "worker %d failed (status %d)", i, status);
		ProcSlotRelease(i + 1);
	}
}

/* ------------------------------------------------------------ statuses */

START_TEST(test_status_survives_restart)
{
	TransactionId committed[40],
				aborted[40],
				burnt;
	XLogRecPtr	end = InvalidXLogRecPtr;
	int			n = 0;

	for (int round = 0; round < 2; round++)
	{
		for (int i = 0; i < 20; i++, n++)
		{
			committed[n] = XactBegin();
			end = XactCommit();
			aborted[n] = XactBegin();
			XactAbort();
		}
		if (round == 0)
		{
			/* Half before a checkpoint (statuses from files), half after (redo). */
			ck_assert(ClogCheckpoint());
			ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
		}
	}
	burnt = XactBegin();		/* in progress at the crash */
	ck_assert(XLogFlush(end));
	ck_assert(XLogFlush(XLogGetInsertPosition()));

	crash_and_restart();
	for (int i = 0; i < n; i++)
	{
		ck_assert_int_eq(ClogGetStatus(committed[i], NULL), XID_COMMITTED);
		ck_assert_int_eq(ClogGetStatus(aborted[i], NULL), XID_ABORTED);
	}
	ck_assert_int_eq(ClogGetStatus(burnt, NULL), XID_IN_PROGRESS);

	/* And again, now that the statuses have passed through the files. */
	crash_and_restart();
	for (int i = 0; i < n; i++)
	{
		ck_assert_int_eq(ClogGetStatus(committed[i], NULL), XID_COMMITTED);
		ck_assert_int_eq(ClogGetStatus(aborted[i], NULL), XID_ABORTED);
	}
}
END_TEST

/* Statuses on several commit-log pages and banks, written and reread. */
START_TEST(test_clog_pages)
{
	uint64_t	base = XactReadNextXid();
	uint64_t	span = 70 * CLOG_XACTS_PER_PAGE;	/* more pages than the cache */
	uint64_t	step = CLOG_XACTS_PER_PAGE / 3 + 7;

	XactObserveXid(base + span);
	ck_assert(ClogExtend(base + span));
	for (uint64_t x = base; x < base + span; x += step)
		ck_assert(ClogSetStatus(x, (x / step) % 2 ? XID_COMMITTED : XID_ABORTED,
								InvalidXLogRecPtr));
	for (uint64_t x = base; x < base + span; x += step)
	{
		ck_assert_int_eq(ClogGetStatus(x, NULL), (x / step) % 2 ? XID_COMMITTED : XID_ABORTED);
		ck_assert_int_eq(ClogGetStatus(x + 1, NULL), XID_IN_PROGRESS);
	}
	ck_assert(ClogCheckpoint());
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
	crash_and_restart();
	for (uint64_t x = base; x < base + span; x += step)
		ck_assert_int_eq(ClogGetStatus(x, NULL), (x / step) % 2 ? XID_COMMITTED : XID_ABORTED);
}
END_TEST

START_TEST(test_next_xid_after_recovery)
{
	TransactionId max_seen = 0;

	/* Xids that only appear in WAL records. */
	for (int i = 0; i < 10; i++)
	{
		max_seen = XactBegin();
		XactCommit();
	}
	ck_assert(XLogFlush(XLogGetInsertPosition()));
	crash_and_restart();
	ck_assert_uint_gt(XactReadNextXid(), max_seen);
	{
		TransactionId x = XactBegin();

		ck_assert_uint_gt(x, max_seen);
		XactCommit();
		max_seen = x;
	}

	/* Xids handed out without any WAL, then a checkpoint records them. */
	for (int i = 0; i < 1000; i++)
	{
		max_seen = XactBegin();
		XactAbort();
	}
	ck_assert(ClogCheckpoint());
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
	crash_and_restart();
	ck_assert_uint_gt(XactReadNextXid(), max_seen);
	crash_and_restart();		/* through the end-of-recovery checkpoint */
	ck_assert_uint_gt(XactReadNextXid(), max_seen);
}
END_TEST

/* ------------------------------------------------------------ snapshots */

#define NACCOUNTS 8
#define INITIAL_BALANCE 1000
#define SNAP_WORKERS 4
#define SNAP_ITERATIONS 400

typedef struct BankShared
{
	_Atomic uint64_t tid[NACCOUNTS];	/* block << 16 | offset: the "index" */
	_Atomic int	reads;
	_Atomic int	commits;
	_Atomic int	aborts;
	_Atomic int	bad;
	char		bad_msg[256];
} BankShared;

static BankShared *bank;

static ItemPointerData
bank_tid(int k)
{
	uint64_t	v = atomic_load(&bank->tid[k]);
	ItemPointerData tid = {.block = (BlockNumber) (v >> 16), .offset = (OffsetNumber) (v & 0xFFFF)};

	return tid;
}

static void
bank_set_tid(int k, ItemPointerData tid)
{
	atomic_store(&bank->tid[k], ((uint64_t) tid.block << 16) | tid.offset);
}

static uint64_t
account_hash(int k)
{
	return 0x1234567ull * (uint64_t) (k + 1);
}

static void
report_bad(const char *msg)
{
	if (atomic_fetch_add(&bank->bad, 1) == 0)
		snprintf(bank->bad_msg, sizeof(bank->bad_msg), "%s", msg);
}

/* Under the key lock: newest balance and its tid. */
static bool
latest_balance(int k, int64_t *balance, ItemPointerData *tid)
{
	HeapTupleData tup;
	ItemPointerData head = bank_tid(k);

	HeapTupleInit(&tup, NULL, 0);
	if (HeapFetchLatest(&head, &tup) != HEAP_OK || !tup.live || tup.value_len != sizeof(int64_t))
	{
		HeapTupleRelease(&tup);
		return false;
	}
	memcpy(balance, tup.value, sizeof(int64_t));
	*tid = tup.tid;
	HeapTupleRelease(&tup);
	return true;
}

static bool
write_balance(TransactionId xid, int k, int64_t balance, const ItemPointerData *prev)
{
	char		key[16];
	ItemPointerData tid;

	ItemPointerData head = bank_tid(k);

	snprintf(key, sizeof(key), "acct%d", k);
	/* like KsPut: the newest version may take over the slot the index names */
	if (HeapInsert(xid, key, strlen(key), (const char *) &balance, sizeof(balance), 1, 0, 0,
				   prev, ItemPointerEquals(&head, prev),
				   prev->block, &tid) != HEAP_OK)
		return false;
	bank_set_tid(k, tid);		/* like the index: before the commit */
	return true;
}

static void
bank_worker(int id)
{
	uint64_t	rng = test_seed ^ ((uint64_t) id * 0x9E3779B97F4A7C15ull);
	Snapshot	snap = SNAPSHOT_INIT;

	for (int it = 0; it < SNAP_ITERATIONS && atomic_load(&bank->bad) == 0; it++)
	{
		if (rng_next(&rng) % 2 == 0)
		{
			/* Reader: the total must be exact in every snapshot. */
			int64_t		total = 0;

			SnapshotTake(&snap);
			for (int k = 0; k < NACCOUNTS; k++)
			{
				HeapTupleData tup;
				ItemPointerData head = bank_tid(k);
				int64_t		b;

				HeapTupleInit(&tup, NULL, 0);
				if (HeapFetchVisible(&snap, &head, &tup) != HEAP_OK ||
					tup.value_len != sizeof(int64_t))
				{
					report_bad("account not visible");
					return;
				}
				memcpy(&b, tup.value, sizeof(b));
				total += b;
				HeapTupleRelease(&tup);
			}
			ck_assert(XLogFlush(snap.commit_lsn));
			SnapshotReleaseAll();
			if (total != NACCOUNTS * INITIAL_BALANCE)
			{
				char		msg[128];

				snprintf(msg, sizeof(msg), "snapshot saw total %" PRId64, total);
				report_bad(msg);
				return;
			}
			atomic_fetch_add(&bank->reads, 1);
		}
		else
		{
			/* Writer: move an amount from a to b, sometimes abort. */
			int			a = (int) (rng_next(&rng) % NACCOUNTS);
			int			b = (int) ((a + 1 + rng_next(&rng) % (NACCOUNTS - 1)) % NACCOUNTS);
			int64_t		amount = (int64_t) (rng_next(&rng) % 50) + 1;
			uint64_t	hashes[2] = {account_hash(a), account_hash(b)};
			int64_t		ba,
						bb;
			ItemPointerData ta,
						tb;
			TransactionId xid;
			XLogRecPtr	end;

			KeyLockAcquireMany(0, hashes, 2);
			xid = XactBegin();
			if (!latest_balance(a, &ba, &ta) || !latest_balance(b, &bb, &tb) ||
				!write_balance(xid, a, ba - amount, &ta))
			{
				report_bad("writer could not read or write");
				return;
			}
			sched_yield();		/* let readers look at the half-done state */
			if (!write_balance(xid, b, bb + amount, &tb))
			{
				report_bad("writer could not write");
				return;
			}
			if (rng_next(&rng) % 5 == 0)
			{
				XactAbort();
				KeyLockReleaseAll();
				atomic_fetch_add(&bank->aborts, 1);
			}
			else
			{
				end = XactCommit();
				KeyLockReleaseAll();
				ck_assert(XLogFlush(end));
				atomic_fetch_add(&bank->commits, 1);
			}
		}
	}
	SnapshotFree(&snap);
}

START_TEST(test_concurrent_snapshots)
{
	TransactionId xid = XactBegin();
	Snapshot	snap = SNAPSHOT_INIT;
	int64_t		total = 0;

	seed_rng("test_concurrent_snapshots");
	bank = shared_test_memory(sizeof(BankShared));
	for (int k = 0; k < NACCOUNTS; k++)
	{
		char		key[16];
		int64_t		balance = INITIAL_BALANCE;
		ItemPointerData tid;

		snprintf(key, sizeof(key), "acct%d", k);
		ck_assert_int_eq(HeapInsert(xid, key, strlen(key), (const char *) &balance,
									sizeof(balance), 1, 0, 0, NULL, false, InvalidBlockNumber,
									&tid),
						 HEAP_OK);
		bank_set_tid(k, tid);
	}
	ck_assert(XLogFlush(XactCommit()));

	run_workers(SNAP_WORKERS, bank_worker);
	ck_assert_msg(atomic_load(&bank->bad) == 0, "%s", bank->bad_msg);
	ck_assert_int_gt(atomic_load(&bank->reads), 0);
	ck_assert_int_gt(atomic_load(&bank->commits), 0);
	ck_assert_int_gt(atomic_load(&bank->aborts), 0);

	SnapshotTake(&snap);
	for (int k = 0; k < NACCOUNTS; k++)
	{
		HeapTupleData tup;
		ItemPointerData head = bank_tid(k);
		int64_t		b;

		HeapTupleInit(&tup, NULL, 0);
		ck_assert_int_eq(HeapFetchVisible(&snap, &head, &tup), HEAP_OK);
		memcpy(&b, tup.value, sizeof(b));
		total += b;
		HeapTupleRelease(&tup);
	}
	ck_assert_int_eq(total, NACCOUNTS * INITIAL_BALANCE);
	SnapshotFree(&snap);
}
END_TEST

/* ------------------------------------------------------------ key locks */

#define LOCK_WORKERS 8
#define LOCK_ITERATIONS 10000
#define NCOUNTERS 16

typedef struct CounterShared
{
	int64_t		counter[NCOUNTERS];	/* plain: only the key locks protect it */
	_Atomic int64_t expected[NCOUNTERS];
} CounterShared;

static CounterShared *counters;

static void
bump(int c, uint64_t *rng)
{
	int64_t		v = counters->counter[c];

	if (rng_next(rng) % 64 == 0)
		sched_yield();			/* widen the race window */
	counters->counter[c] = v + 1;
	atomic_fetch_add(&counters->expected[c], 1);
}

static void
counter_worker(int id)
{
	uint64_t	rng = test_seed ^ ((uint64_t) (id + 100) * 0x9E3779B97F4A7C15ull);

	for (int it = 0; it < LOCK_ITERATIONS; it++)
	{
		uint64_t	r = rng_next(&rng);

		if (r % 1000 == 0)
		{
			/* FLUSHDB-like: the whole database. */
			int			db = 0;

			KeyLockAcquireDatabases(&db, 1);
			for (int c = 0; c < NCOUNTERS; c++)
				bump(c, &rng);
			KeyLockReleaseAll();
		}
		else if (r % 100 == 1)
		{
			/* More stripes than a process may hold: falls back to the db lock. */
			uint64_t	hashes[60];

			for (int i = 0; i < 60; i++)
				hashes[i] = 0xABCDEFull * (uint64_t) (i + 1);
			KeyLockAcquireMany(0, hashes, 60);
			for (int c = 0; c < NCOUNTERS; c++)
				bump(c, &rng);
			KeyLockReleaseAll();
		}
		else
		{
			/* 1-4 keys, overlapping between workers, duplicates allowed. */
			int			n = 1 + (int) (rng_next(&rng) % 4);
			int			keys[4];
			uint64_t	hashes[4];
			bool		done[NCOUNTERS] = {false};

			for (int i = 0; i < n; i++)
			{
				keys[i] = (int) (rng_next(&rng) % NCOUNTERS);
				/* counters 0..15 map to the hashes used by the 60-key case */
				hashes[i] = 0xABCDEFull * (uint64_t) (keys[i] + 1);
			}
			KeyLockAcquireMany(0, hashes, n);
			if (KeyLockHeldCount() > n + 1)
				_exit(2);
			for (int i = 0; i < n; i++)
				if (!done[keys[i]])
				{
					done[keys[i]] = true;
					bump(keys[i], &rng);
				}
			KeyLockReleaseAll();
		}
		if (KeyLockHeldCount() != 0 || LWLockHeldCount() != 0)
			_exit(3);
	}
}

START_TEST(test_keylock_counters)
{
	int64_t		total = 0,
				expected_total = 0;

	seed_rng("test_keylock_counters");
	counters = shared_test_memory(sizeof(CounterShared));
	run_workers(LOCK_WORKERS, counter_worker);
	for (int c = 0; c < NCOUNTERS; c++)
	{
		ck_assert_int_eq(counters->counter[c], atomic_load(&counters->expected[c]));
		total += counters->counter[c];
		expected_total += atomic_load(&counters->expected[c]);
	}
	ck_assert_int_eq(total, expected_total);
	ck_assert_int_ge(total, LOCK_WORKERS * LOCK_ITERATIONS);
}
END_TEST

START_TEST(test_keylock_stripes)
{
	uint64_t	same[3] = {42, 42, 42};

	/* Duplicates are taken once; different databases spread out. */
	KeyLockAcquireMany(3, same, 3);
	ck_assert_int_eq(KeyLockHeldCount(), 2);	/* db lock + one stripe */
	KeyLockReleaseAll();
	ck_assert_int_eq(KeyLockHeldCount(), 0);
	ck_assert_int_eq(LWLockHeldCount(), 0);
	ck_assert_uint_ne(KeyLockStripe(0, 42), KeyLockStripe(1, 42));
	ck_assert_uint_lt(KeyLockStripe(0, 42), KEYLOCK_STRIPES);
	KeyLockAcquireDatabases(NULL, -1);
	ck_assert_int_eq(KeyLockHeldCount(), KEYLOCK_DATABASES);
	KeyLockReleaseAll();
}
END_TEST

/* ------------------------------------------------------------ keyspace counters */

#define NOW_MS 1000000			/* the clock the keyspace calls see */

static void
ks_put(int db, const char *key, int64_t expire_ms)
{
	KsValue		cur;
	KsStatus	st;

	KsValueInit(&cur);
	st = KsGetLatest(db, key, strlen(key), NOW_MS, &cur);
	ck_assert_msg(st == KS_OK || st == KS_NOT_FOUND, "get %s: %d", key, st);
	ck_assert_int_eq(KsPut(db, key, strlen(key), KS_TYPE_STRING, "v", 1, expire_ms, &cur), KS_OK);
	KsValueRelease(&cur);
}

/* Delete if live (expired too); returns whether it was. */
static bool
ks_del(int db, const char *key)
{
	KsValue		cur;
	bool		live;

	KsValueInit(&cur);
	(void) KsGetLatest(db, key, strlen(key), NOW_MS, &cur);
	live = cur.has_latest && cur.latest_live;
	if (live)
		ck_assert_int_eq(KsDelete(db, key, strlen(key), &cur), KS_OK);
	KsValueRelease(&cur);
	return live;
}

static void
expect_counts(int db, int64_t keys, int64_t expires, KsInt128 sum)
{
	KsDbCounts	c;
	char		got[48], want[48];

	ck_assert_msg(KsCountersRead(db, &c, NULL), "counters of db %d not valid", db);
	ck_assert_msg(c.keys == keys && c.expires == expires && c.expire_sum == sum,
				  "db %d: keys %" PRId64 " expires %" PRId64 " sum %s, want %" PRId64
				  " %" PRId64 " %s", db, c.keys, c.expires,
				  KsInt128ToString(c.expire_sum, got, sizeof(got)), keys, expires,
				  KsInt128ToString(sum, want, sizeof(want)));
}

/* The counters equal what a scan of every database counts. */
static void
expect_counts_match_scan(void)
{
	KsDbCounts	before[FIXTURE_DATABASES],
				after;

	for (int db = 0; db < FIXTURE_DATABASES; db++)
		ck_assert(KsCountersRead(db, &before[db], NULL));
	ck_assert(KsRecountAll());
	for (int db = 0; db < FIXTURE_DATABASES; db++)
	{
		ck_assert(KsCountersRead(db, &after, NULL));
		ck_assert_msg(before[db].keys == after.keys && before[db].expires == after.expires &&
					  before[db].expire_sum == after.expire_sum,
					  "db %d: counters %" PRId64 "/%" PRId64 ", scan %" PRId64 "/%" PRId64,
					  db, before[db].keys, before[db].expires, after.keys, after.expires);
	}
}

START_TEST(test_counters_commit_abort)
{
	XLogRecPtr	end, lsn;
	KsDbCounts	c;

	ck_assert(KsInit());
	expect_counts(0, 0, 0, 0);

	/* a new key counts at commit; the writer sees its own change before */
	XactBegin();
	ks_put(0, "a", 0);
	expect_counts(0, 1, 0, 0);
	end = XactCommit();
	ck_assert(KsCountersRead(0, &c, &lsn));
	ck_assert_uint_eq(lsn, end);
	expect_counts(0, 1, 0, 0);

	/* abort: nothing */
	XactBegin();
	ks_put(0, "b", 5000000);
	ks_del(0, "a");
	XactAbort();
	expect_counts(0, 1, 0, 0);

	/* expiry set, changed, removed (EXPIRE, SET EX over it, PERSIST) */
	XactBegin();
	ks_put(0, "b", 5000000);
	XactCommit();
	expect_counts(0, 2, 1, 5000000);
	XactBegin();
	ks_put(0, "b", 7000000);
	XactCommit();
	expect_counts(0, 2, 1, 7000000);
	XactBegin();
	ks_put(0, "a", 3000000);
	XactCommit();
	expect_counts(0, 2, 2, 10000000);
	XactBegin();
	ks_put(0, "b", 0);
	XactCommit();
	expect_counts(0, 2, 1, 3000000);

	/* an overwrite that changes no count writes no deltas: lsn unchanged */
	XactBegin();
	ks_put(0, "b", 0);
	end = XactCommit();
	ck_assert(KsCountersRead(0, &c, &lsn));
	ck_assert_uint_lt(lsn, end);

	/* changes that cancel within one transaction */
	XactBegin();
	ks_put(0, "c", 4000000);
	ck_assert(ks_del(0, "c"));
	XactCommit();
	expect_counts(0, 2, 1, 3000000);

	/* an expired key counts until it is deleted (the sweep, lazily) */
	XactBegin();
	ks_put(0, "old", NOW_MS - 1);
	XactCommit();
	expect_counts(0, 3, 2, 3000000 + NOW_MS - 1);
	{
		const char *keys[2] = {"old", "a"};
		size_t		lens[2] = {3, 1};

		ck_assert_int_eq(KsDeleteExpired(0, keys, lens, 2, NOW_MS), 1);
	}
	expect_counts(0, 2, 1, 3000000);

	/* RENAME and MOVE: put the destination, delete the source */
	XactBegin();
	ks_put(3, "a", 3000000);
	ck_assert(ks_del(0, "a"));
	XactCommit();
	expect_counts(0, 1, 0, 0);
	expect_counts(3, 1, 1, 3000000);

	/* FLUSHDB */
	XactBegin();
	{
		uint64_t	n;

		ck_assert_int_eq(KsDeleteAll(3, &n), KS_OK);
		ck_assert_int_eq(n, 1);
	}
	XactCommit();
	expect_counts(3, 0, 0, 0);
	expect_counts_match_scan();
}
END_TEST

/*
 * Crash recovery: counters from WAL alone, then from a checkpoint plus
 * WAL, with sums past 64 bits; and the recount when the checkpoint has no
 * counters (a data directory from before them).
 */
START_TEST(test_counters_recovery)
{
	const int64_t far = INT64_MAX / 4;	/* 6 of these overflow int64 */
	char		key[32];
	XLogRecPtr	end = InvalidXLogRecPtr;

	ck_assert(KsInit());
	XactBegin();
	for (int i = 0; i < 100; i++)
	{
		snprintf(key, sizeof(key), "k%d", i);
		ks_put(i % 3, key, i < 8 ? far : 0);
	}
	end = XactCommit();
	ck_assert(XLogFlush(end));
	crash_and_restart();
	ck_assert(KsInit());
	expect_counts(0, 34, 3, (KsInt128) far * 3);
	expect_counts(1, 33, 3, (KsInt128) far * 3);
	expect_counts(2, 33, 2, (KsInt128) far * 2);

	/* a checkpoint, more changes, a crash */
	ck_assert(ClogCheckpoint());
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
	for (int i = 0; i < 10; i++)
	{
		XactBegin();
		snprintf(key, sizeof(key), "k%d", i * 3);
		ck_assert(ks_del(0, key));
		snprintf(key, sizeof(key), "new%d", i);
		ks_put(5, key, 2000000 + i);
		end = XactCommit();
	}
	ck_assert(XLogFlush(end));
	crash_and_restart();
	ck_assert(KsInit());
	/* k0, k3, k6 had the far expiry */
	expect_counts(0, 24, 0, 0);
	expect_counts(5, 10, 10, 20000045);
	expect_counts_match_scan();

	/* a checkpoint without counters: recounted after the restart */
	checkpoint_redo_state_hook = NULL;
	ck_assert(ClogCheckpoint());
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
	XactBegin();
	ks_put(7, "x", 0);
	ck_assert(XLogFlush(XactCommit()));
	crash_and_restart();
	ck_assert(!KsCountersValid());
	ck_assert(KsRecountAll());
	ck_assert(KsCountersValid());
	expect_counts(0, 24, 0, 0);
	expect_counts(1, 33, 3, (KsInt128) far * 3);
	expect_counts(7, 1, 0, 0);
}
END_TEST

/* Concurrent writers in 4 processes: the counters equal a scan. */
#define KS_WORKERS 4
#define KS_OPS 400
#define KS_KEYS 64

static void
counters_worker(int w)
{
	uint64_t	rng = test_seed + (uint64_t) w * 7919;

	for (int i = 0; i < KS_OPS; i++)
	{
		uint64_t	r = rng_next(&rng);
		int			db = (int) (r % 2);
		char		key[16];
		uint64_t	hash;

		snprintf(key, sizeof(key), "c%d", (int) ((r >> 8) % KS_KEYS));
		hash = KsHash(key, strlen(key));
		KeyLockAcquireMany(db, &hash, 1);
		if (XactBegin() == InvalidTransactionId)
			_exit(2);
		switch ((r >> 20) % 4)
		{
			case 0:
				ks_put(db, key, 0);
				break;
			case 1:
				ks_put(db, key, NOW_MS + (int64_t) ((r >> 32) % 100000));
				break;
			default:
				ks_del(db, key);
				break;
		}
		if ((r >> 40) % 5 == 0)
			XactAbort();
		else
			XactCommit();
		KeyLockReleaseAll();
	}
}

START_TEST(test_counters_concurrent)
{
	seed_rng("test_counters_concurrent");
	ck_assert(KsInit());
	run_workers(KS_WORKERS, counters_worker);
	expect_counts_match_scan();
	/* and after a crash, from WAL */
	ck_assert(XLogFlush(XLogGetInsertPosition()));
	{
		KsDbCounts	c0, c1;

		ck_assert(KsCountersRead(0, &c0, NULL));
		ck_assert(KsCountersRead(1, &c1, NULL));
		crash_and_restart();
		ck_assert(KsInit());
		expect_counts(0, c0.keys, c0.expires, c0.expire_sum);
		expect_counts(1, c1.keys, c1.expires, c1.expire_sum);
	}
	expect_counts_match_scan();
}
END_TEST

static Suite *
xact_suite(void)
{
	Suite	   *s = suite_create("xact");
	TCase	   *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_status_survives_restart);
	tcase_add_test(tc, test_clog_pages);
	tcase_add_test(tc, test_next_xid_after_recovery);
	tcase_add_test(tc, test_concurrent_snapshots);
	tcase_add_test(tc, test_keylock_counters);
	tcase_add_test(tc, test_keylock_stripes);
	tcase_add_test(tc, test_counters_commit_abort);
	tcase_add_test(tc, test_counters_recovery);
	tcase_add_test(tc, test_counters_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(xact_suite());
	int			failed;

	elog_min_level = WARNING;
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
