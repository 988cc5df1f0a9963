/*
 * check_visibility.c
 *	  Unit tests for storage/visibility.c and storage/snapshot.c: every
 *	  combination of xmin and xmax status (committed, aborted, running,
 *	  own, crashed, committed after the snapshot, started after it) against
 *	  one snapshot, the hint bits each check leaves behind, the WAL rule for
 *	  COMMITTED hints, pruning verdicts, and the snapshot's xmin publication.
 *
 * NOTES
 *	  Check's fork mode; each test gets its own data directory (mkdtemp)
 *	  and shared memory segment, with WAL started by StartupXLOG. Tuples are
 *	  built in private memory (no buffer): visibility only reads the header.
 *	  "Other" transactions are simulated by writing another process slot's
 *	  pid and xid directly, as that process would.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define TEST_SHARED_BUFFERS ((long long) 32 * BLCKSZ)
#define TEST_BACKENDS 8

static char test_dir[64];

static void
setup(void)
{
	char		errbuf[256];

	strcpy(test_dir, "/tmp/tusk_vis_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
	FixtureShmemStart(TEST_SHARED_BUFFERS, TEST_BACKENDS);
	ck_assert_msg(SmgrInitDataDirectory(errbuf, sizeof(errbuf)), "%s", errbuf);
	FixtureStartDb();
}

static void
teardown(void)
{
	FixtureRemoveDir(test_dir);
}

/* Make another slot look like a process running transaction xid. */
static void
fake_running(int slotno, TransactionId xid)
{
	ProcSlot   *slot = &proc_array->slots[slotno];

	atomic_store(&slot->pid, 999999);
	atomic_store(&slot->xid, xid);
}

/* Hand out an xid without publishing it (a crashed or finished one). */
static TransactionId
burn_xid(void)
{
	TransactionId xid = XactReadNextXid();

	XactObserveXid(xid);
	ck_assert(ClogExtend(xid));
	return xid;
}

enum
{
	S_COMMITTED,				/* committed before the snapshot */
	S_ABORTED,
	S_RUNNING,					/* another process, still running */
	S_OWN,
	S_CRASHED,					/* IN_PROGRESS in the clog, not running */
	S_COMMITTED_LATER,			/* running at snapshot time, committed since */
	S_FUTURE,					/* started and committed after the snapshot */
	S_COUNT,
};

static const char *const state_names[S_COUNT] = {
	"committed", "aborted", "running", "own", "crashed", "committed-later", "future",
};

/* Is a transaction in this state "done and visible" for the snapshot? */
static bool
state_visible(int s)
{
	return s == S_COMMITTED || s == S_OWN;
}

static TransactionId xids[S_COUNT];
static Snapshot snap = SNAPSHOT_INIT;

static void
build_world(void)
{
	xids[S_COMMITTED] = burn_xid();
	ck_assert(ClogSetStatus(xids[S_COMMITTED], XID_COMMITTED, InvalidXLogRecPtr));
	xids[S_ABORTED] = burn_xid();
	ck_assert(ClogSetStatus(xids[S_ABORTED], XID_ABORTED, InvalidXLogRecPtr));
	xids[S_RUNNING] = burn_xid();
	fake_running(1, xids[S_RUNNING]);
	xids[S_CRASHED] = burn_xid();
	xids[S_COMMITTED_LATER] = burn_xid();
	fake_running(2, xids[S_COMMITTED_LATER]);
	xids[S_OWN] = XactBegin();
	ck_assert(xids[S_OWN] != InvalidTransactionId);

	SnapshotTake(&snap);

	ck_assert(ClogSetStatus(xids[S_COMMITTED_LATER], XID_COMMITTED, InvalidXLogRecPtr));
	atomic_store(&proc_array->slots[2].xid, 0);
	xids[S_FUTURE] = burn_xid();
	ck_assert(ClogSetStatus(xids[S_FUTURE], XID_COMMITTED, InvalidXLogRecPtr));
}

static void
make_tuple(HeapTupleHeaderData *tup, TransactionId xmin, TransactionId xmax)
{
	memset(tup, 0, sizeof(*tup));
	tup->xmin = xmin;
	tup->xmax = xmax;
	tup->infomask = xmax == InvalidTransactionId ? HEAP_XMAX_INVALID : 0;
}

START_TEST(test_snapshot_contents)
{
	build_world();
	ck_assert_uint_eq(snap.curxid, xids[S_OWN]);
	ck_assert_uint_eq(snap.xmax, xids[S_OWN] + 1);
	ck_assert_uint_eq(snap.xmin, xids[S_RUNNING]);
	ck_assert_int_eq(snap.nxip, 2);
	ck_assert(XidInSnapshot(xids[S_RUNNING], &snap));
	ck_assert(XidInSnapshot(xids[S_COMMITTED_LATER], &snap));
	ck_assert(XidInSnapshot(xids[S_FUTURE], &snap));
	ck_assert(!XidInSnapshot(xids[S_COMMITTED], &snap));
	ck_assert(!XidInSnapshot(xids[S_CRASHED], &snap));
	ck_assert(!XidInSnapshot(xids[S_OWN], &snap));
	/* Published xmin, withdrawn at release. */
	ck_assert_uint_eq(atomic_load(&MyProc->xmin), snap.xmin);
	ck_assert_uint_le(SnapshotGetOldestXmin(), xids[S_RUNNING]);
	SnapshotReleaseAll();
	ck_assert_uint_eq(atomic_load(&MyProc->xmin), 0);
	SnapshotFree(&snap);
}
END_TEST

START_TEST(test_matrix)
{
	build_world();
	for (int pass = 0; pass < 2; pass++)
		for (int xmin_s = 0; xmin_s < S_COUNT; xmin_s++)
			for (int xmax_s = -1; xmax_s < S_COUNT; xmax_s++)
			{
				HeapTupleHeaderData tup;
				bool		expected;
				bool		got;
				uint16_t	mask;

				make_tuple(&tup, xids[xmin_s], xmax_s < 0 ? 0 : xids[xmax_s]);
				expected = state_visible(xmin_s) && !(xmax_s >= 0 && state_visible(xmax_s));
				got = HeapTupleVisible(&tup, &snap, InvalidBuffer);
				ck_assert_msg(got == expected, "xmin %s xmax %s: visible %d, expected %d",
							  state_names[xmin_s], xmax_s < 0 ? "none" : state_names[xmax_s],
							  got, expected);
				/* The same answer from the hints alone. */
				ck_assert(HeapTupleVisible(&tup, &snap, InvalidBuffer) == expected);

				mask = tup.infomask;
				ck_assert_msg(((mask & HEAP_XMIN_COMMITTED) != 0) == (xmin_s == S_COMMITTED),
							  "xmin %s: committed hint %d", state_names[xmin_s],
							  (mask & HEAP_XMIN_COMMITTED) != 0);
				ck_assert_msg(((mask & HEAP_XMIN_INVALID) != 0) ==
							  (xmin_s == S_ABORTED || xmin_s == S_CRASHED),
							  "xmin %s: invalid hint %d", state_names[xmin_s],
							  (mask & HEAP_XMIN_INVALID) != 0);
				if (xmax_s >= 0 && state_visible(xmin_s))
				{
					ck_assert_msg(((mask & HEAP_XMAX_COMMITTED) != 0) == (xmax_s == S_COMMITTED),
								  "xmax %s: committed hint", state_names[xmax_s]);
					ck_assert_msg(((mask & HEAP_XMAX_INVALID) != 0) ==
								  (xmax_s == S_ABORTED || xmax_s == S_CRASHED),
								  "xmax %s: invalid hint", state_names[xmax_s]);
				}
				/* Never a hint for a running or own transaction. */
				if (xmin_s == S_RUNNING || xmin_s == S_OWN)
					ck_assert((mask & (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID)) == 0);
				if (xmax_s == S_RUNNING || xmax_s == S_OWN)
					ck_assert((mask & (HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID)) == 0);
			}

	/* A new snapshot sees the later commits. */
	{
		Snapshot	s2 = SNAPSHOT_INIT;
		HeapTupleHeaderData tup;

		SnapshotTake(&s2);
		make_tuple(&tup, xids[S_COMMITTED_LATER], 0);
		ck_assert(HeapTupleVisible(&tup, &s2, InvalidBuffer));
		make_tuple(&tup, xids[S_FUTURE], 0);
		ck_assert(HeapTupleVisible(&tup, &s2, InvalidBuffer));
		make_tuple(&tup, xids[S_RUNNING], 0);
		ck_assert(!HeapTupleVisible(&tup, &s2, InvalidBuffer));
		SnapshotFree(&s2);
	}
	XactAbort();
	SnapshotFree(&snap);
}
END_TEST

/* A commit whose record is not flushed yet must not leave a hint. */
START_TEST(test_no_hint_before_flush)
{
	TransactionId xid = burn_xid();
	Snapshot	s = SNAPSHOT_INIT;
	HeapTupleHeaderData tup;

	ck_assert(ClogSetStatus(xid, XID_COMMITTED, XLogGetFlushPosition() + 1000000));
	SnapshotTake(&s);
	make_tuple(&tup, xid, 0);
	ck_assert(HeapTupleVisible(&tup, &s, InvalidBuffer));
	ck_assert((tup.infomask & HEAP_XMIN_COMMITTED) == 0);
	SnapshotFree(&s);
}
END_TEST

/* Real transactions through xact.c: hint after a synchronous commit. */
START_TEST(test_commit_then_hint)
{
	TransactionId xid = XactBegin();
	XLogRecPtr	end;
	Snapshot	s = SNAPSHOT_INIT;
	HeapTupleHeaderData tup;

	ck_assert(xid >= FirstNormalTransactionId);
	ck_assert_uint_eq(atomic_load(&MyProc->xid), xid);
	end = XactCommit();
	ck_assert(end != InvalidXLogRecPtr);
	ck_assert_uint_eq(atomic_load(&MyProc->xid), 0);
	ck_assert_uint_ge(XLogGetLastCommitPosition(), end);
	ck_assert(XLogFlush(end));
	SnapshotTake(&s);
	ck_assert_uint_ge(s.commit_lsn, end);
	make_tuple(&tup, xid, 0);
	ck_assert(HeapTupleVisible(&tup, &s, InvalidBuffer));
	ck_assert(tup.infomask & HEAP_XMIN_COMMITTED);
	ck_assert_int_eq(ClogGetStatus(xid, NULL), XID_COMMITTED);

	xid = XactBegin();
	XactAbort();
	ck_assert_int_eq(ClogGetStatus(xid, NULL), XID_ABORTED);
	SnapshotFree(&s);
}
END_TEST

/*
 * Durable reads: a commit whose record ends past visibility_durable_upto
 * counts as not committed (the version before it is shown, and the skip
 * is reported); one at or before it is seen. Vacuum keeps a version whose
 * deleter committed but is not durable while durable reads are on.
 */
START_TEST(test_durable_reads)
{
	TransactionId old_xid, new_xid;
	XLogRecPtr	old_end, new_end;
	Snapshot	s = SNAPSHOT_INIT;
	HeapTupleHeaderData v1, v2;

	old_xid = XactBegin();
	old_end = XactCommit();
	ck_assert(XLogFlush(old_end));
	new_xid = XactBegin();
	new_end = XactCommit();
	ck_assert(new_end > old_end);
	ck_assert_uint_eq(XactCommitEnd(new_xid), new_end);

	make_tuple(&v1, old_xid, new_xid);	/* replaced by new_xid */
	make_tuple(&v2, new_xid, 0);
	SnapshotTake(&s);

	/* durable up to old_end only: v1 is the visible version */
	visibility_durable_upto = old_end;
	visibility_skipped_commit = false;
	visibility_depends_lsn = InvalidXLogRecPtr;
	if (XLogGetFlushPosition() < new_end)
	{
		ck_assert(!HeapTupleVisible(&v2, &s, InvalidBuffer));
		ck_assert(HeapTupleVisible(&v1, &s, InvalidBuffer));
		ck_assert(visibility_skipped_commit);
		ck_assert_uint_eq(visibility_depends_lsn, InvalidXLogRecPtr);

		/* without durable reads: v2, depending on its commit */
		visibility_durable_upto = InvalidXLogRecPtr;
		ck_assert(HeapTupleVisible(&v2, &s, InvalidBuffer));
		ck_assert(!HeapTupleVisible(&v1, &s, InvalidBuffer));
		ck_assert_uint_ge(visibility_depends_lsn, new_end);

		/* durable up to new_end: v2 again */
		visibility_durable_upto = new_end;
		visibility_skipped_commit = false;
		ck_assert(HeapTupleVisible(&v2, &s, InvalidBuffer));
		ck_assert(!visibility_skipped_commit);

		/* vacuum keeps v1 while durable reads may show it */
		XLogSetSettings(300, 0.9, 1024 * 1024 * 1024, 200, 0, true);
		ck_assert_int_eq(HeapTupleSatisfiesVacuum(&v1, new_xid + 1, InvalidBuffer),
						 HEAPTUPLE_RECENTLY_DEAD);
		XLogSetSettings(300, 0.9, 1024 * 1024 * 1024, 200, 0, false);
	}
	visibility_durable_upto = InvalidXLogRecPtr;
	ck_assert(XLogFlush(new_end));
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&v1, new_xid + 1, InvalidBuffer), HEAPTUPLE_DEAD);
	SnapshotFree(&s);
}
END_TEST

START_TEST(test_vacuum_verdicts)
{
	TransactionId c1 = burn_xid(),
				c2 = burn_xid(),
				a = burn_xid(),
				crashed = burn_xid(),
				running;
	HeapTupleHeaderData tup;
	TransactionId horizon;

	ck_assert(ClogSetStatus(c1, XID_COMMITTED, InvalidXLogRecPtr));
	ck_assert(ClogSetStatus(c2, XID_COMMITTED, InvalidXLogRecPtr));
	ck_assert(ClogSetStatus(a, XID_ABORTED, InvalidXLogRecPtr));
	running = burn_xid();
	fake_running(1, running);
	horizon = SnapshotGetOldestXmin();
	ck_assert_uint_eq(horizon, running);

	make_tuple(&tup, c1, 0);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_LIVE);
	make_tuple(&tup, c1, c2);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_DEAD);
	make_tuple(&tup, c1, c2);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, c2, InvalidBuffer), HEAPTUPLE_RECENTLY_DEAD);
	make_tuple(&tup, a, 0);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_ABORTED);
	ck_assert(tup.infomask & HEAP_XMIN_INVALID);
	make_tuple(&tup, crashed, 0);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_ABORTED);
	make_tuple(&tup, running, 0);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_LIVE);
	ck_assert((tup.infomask & (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID)) == 0);
	make_tuple(&tup, c1, running);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_LIVE);
	ck_assert((tup.infomask & (HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID)) == 0);
	make_tuple(&tup, c1, a);
	ck_assert_int_eq(HeapTupleSatisfiesVacuum(&tup, horizon, InvalidBuffer), HEAPTUPLE_LIVE);
	ck_assert(tup.infomask & HEAP_XMAX_INVALID);
}
END_TEST

/* Published xmin holds the horizon back; a pending one blocks until set. */
START_TEST(test_horizon_follows_snapshots)
{
	Snapshot	s = SNAPSHOT_INIT;
	TransactionId running = burn_xid();
	TransactionId h;

	fake_running(1, running);
	SnapshotTake(&s);
	ck_assert_uint_eq(s.xmin, running);
	/* The other transaction ends; our snapshot still needs its view. */
	ck_assert(ClogSetStatus(running, XID_COMMITTED, InvalidXLogRecPtr));
	atomic_store(&proc_array->slots[1].xid, 0);
	for (int i = 0; i < 5; i++)
		(void) burn_xid();
	h = SnapshotGetOldestXmin();
	ck_assert_uint_eq(h, running);
	SnapshotReleaseAll();
	h = SnapshotGetOldestXmin();
	ck_assert_uint_eq(h, XactReadNextXid());
	SnapshotFree(&s);
}
END_TEST

static Suite *
visibility_suite(void)
{
	Suite	   *s = suite_create("visibility");
	TCase	   *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_snapshot_contents);
	tcase_add_test(tc, test_matrix);
	tcase_add_test(tc, test_no_hint_before_flush);
	tcase_add_test(tc, test_commit_then_hint);
	tcase_add_test(tc, test_durable_reads);
	tcase_add_test(tc, test_vacuum_verdicts);
	tcase_add_test(tc, test_horizon_follows_snapshots);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(visibility_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
