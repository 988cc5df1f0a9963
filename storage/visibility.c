/*
 * visibility.c
 *	  MVCC visibility rules for heap tuples (PostgreSQL's
 *	  HeapTupleSatisfiesMVCC and HeapTupleSatisfiesVacuum, for 64-bit xids
 *	  and without subtransactions or multixacts), and hint bits.
 *
 * NOTES
 *	  Runs in backends and in whoever prunes, with at least a SHARED content
 *	  lock on the page (visibility.h). Hint bits are set with an atomic OR
 *	  so that two readers under SHARED locks cannot lose each other's bits;
 *	  writers under EXCLUSIVE clear the xmax hints with an atomic AND when
 *	  they set a new xmax. The buffer manager checksums a private copy of
 *	  the page when it writes it, so a hint set during a write cannot make
 *	  the stored checksum wrong. The rule table is in storage/README.md,
 *	  "Visibility rules".
 *
 *	  XXX #15: bufmgr.h has no BufMarkDirtyHint yet, so a hint set on a
 *	  clean page is lost at eviction (costing a commit-log lookup later).
 */
#include "config.h"

#include "storage/visibility.h"

#include "storage/clog.h"
#include "storage/xact.h"
#include "wal/xlog.h"

static inline uint16_t
load_mask(HeapTupleHeader tup)
{
	return __atomic_load_n(&tup->infomask, __ATOMIC_RELAXED);
}

static inline void
set_hint(HeapTupleHeader tup, uint16_t bits, Buffer buf)
{
	(void) buf;
	__atomic_fetch_or(&tup->infomask, bits, __ATOMIC_RELAXED);
}

/*
 * A COMMITTED hint may outlive a crash only if the commit record does:
 * with asynchronous commit or early lock release the commit log can say
 * COMMITTED before the record is flushed, and a page written with the
 * hint (its LSN covers only the insert) would show the tuple as committed
 * after a crash that lost the commit. So hint only once WAL is flushed
 * past the commit (the commit log keeps that LSN per group of xids).
 */
static inline bool
commit_hint_allowed(XLogRecPtr commit_lsn)
{
	return commit_lsn == InvalidXLogRecPtr || InRecovery() ||
		commit_lsn <= XLogGetFlushPosition();
}

/*
 * The newest commit record a visibility decision of this process relied
 * on while that record was not yet flushed. A reader waits for the WAL to
 * pass it before replying (server/txn.c), and only then: a reader that saw
 * nothing committed-but-unflushed never waits for a writer's fsync.
 */
XLogRecPtr	visibility_depends_lsn;

static inline void
note_dependency(XLogRecPtr commit_lsn)
{
	if (commit_lsn > visibility_depends_lsn)
		visibility_depends_lsn = commit_lsn;
}

/*
 * Durable reads (storage/README.md, "Durable reads"). While
 * visibility_durable_upto is set, a transaction that committed with a
 * record ending past it counts as not yet committed: the reader shows
 * the version before it and need not wait for its flush. Nothing is
 * assumed when the exact end is no longer known (the commit log keeps
 * only the newest end of a group of xids): such a commit is seen and
 * waited for, as without durable reads. visibility_skipped_commit tells
 * the caller that a commit was passed over, so that a lookup that found
 * nothing can be run again normally (the older version may have been
 * pruned, or the key may be new).
 */
XLogRecPtr	visibility_durable_upto;
bool		visibility_skipped_commit;

/* Does a snapshot that saw xid commit (with group end lsn) see it? */
static inline bool
commit_seen(TransactionId xid, XLogRecPtr lsn)
{
	XLogRecPtr end;

	if (visibility_durable_upto != InvalidXLogRecPtr && lsn > visibility_durable_upto)
	{
		end = XactCommitEnd(xid);
		if (end != InvalidXLogRecPtr && end > visibility_durable_upto)
		{
			visibility_skipped_commit = true;
			return false;
		}
		if (end != InvalidXLogRecPtr)
		{
			/* the group's end was a later commit's: this one may be durable */
			if (end <= XLogGetFlushPosition())
				return true;
			lsn = end;
		}
	}
	note_dependency(lsn);
	return true;
}

/*
 * The same for a commit known to be flushed (from a hint bit, or just
 * now). That says only that its record was flushed by the time of the
 * hint, which may be after this reader fixed visibility_durable_upto:
 * without this check a reader could see one key of an MSET (flushed
 * since) and not the other (read before the flush), half a transaction.
 */
static inline bool
hinted_commit_seen(TransactionId xid)
{
	XLogRecPtr end;

	if (visibility_durable_upto == InvalidXLogRecPtr)
		return true;
	end = XactCommitEnd(xid);
	if (end != InvalidXLogRecPtr && end > visibility_durable_upto)
	{
		visibility_skipped_commit = true;
		return false;
	}
	return true;
}

/* Status of xid for a snapshot that does not count it as running. */
static XidStatus
finished_status(TransactionId xid, XLogRecPtr *lsn)
{
	XidStatus	st = ClogGetStatus(xid, lsn);

	/*
	 * IN_PROGRESS in the commit log but not running for the snapshot: its
	 * process ended without committing or aborting (a crash, or a burnt
	 * xid). Writers record their status before leaving the process array
	 * (README X2, X3), so this can never turn into COMMITTED.
	 */
	return st == XID_COMMITTED ? XID_COMMITTED : XID_ABORTED;
}

bool
HeapTupleXminVisible(HeapTupleHeader tup, const Snapshot *snap, Buffer buf)
{
	uint16_t	mask = load_mask(tup);
	XLogRecPtr	lsn;

	if (mask & HEAP_XMIN_INVALID)
		return false;
	if (mask & HEAP_XMIN_COMMITTED)
		return !XidInSnapshot(tup->xmin, snap) && hinted_commit_seen(tup->xmin);
	if (snap->curxid != InvalidTransactionId && tup->xmin == snap->curxid)
		return true;
	if (XidInSnapshot(tup->xmin, snap))
		return false;
	if (finished_status(tup->xmin, &lsn) == XID_COMMITTED)
	{
		if (!commit_hint_allowed(lsn))
			return commit_seen(tup->xmin, lsn);
		set_hint(tup, HEAP_XMIN_COMMITTED, buf);
		return hinted_commit_seen(tup->xmin);
	}
	set_hint(tup, HEAP_XMIN_INVALID, buf);
	return false;
}

bool
HeapTupleXmaxVisible(HeapTupleHeader tup, const Snapshot *snap, Buffer buf)
{
	uint16_t	mask = load_mask(tup);
	XLogRecPtr	lsn;

	if (tup->xmax == InvalidTransactionId || (mask & HEAP_XMAX_INVALID))
		return false;
	if (mask & HEAP_XMAX_COMMITTED)
		return !XidInSnapshot(tup->xmax, snap) && hinted_commit_seen(tup->xmax);
	if (snap->curxid != InvalidTransactionId && tup->xmax == snap->curxid)
		return true;
	if (XidInSnapshot(tup->xmax, snap))
		return false;
	if (finished_status(tup->xmax, &lsn) == XID_COMMITTED)
	{
		if (!commit_hint_allowed(lsn))
			return commit_seen(tup->xmax, lsn);
		set_hint(tup, HEAP_XMAX_COMMITTED, buf);
		return hinted_commit_seen(tup->xmax);
	}
	set_hint(tup, HEAP_XMAX_INVALID, buf);
	return false;
}

bool
HeapTupleVisible(HeapTupleHeader tup, const Snapshot *snap, Buffer buf)
{
	return HeapTupleXminVisible(tup, snap, buf) && !HeapTupleXmaxVisible(tup, snap, buf);
}

HeapTupleVacuumStatus
HeapTupleSatisfiesVacuum(HeapTupleHeader tup, TransactionId oldest_xmin, Buffer buf)
{
	uint16_t	mask = load_mask(tup);
	XLogRecPtr	lsn;
	XidStatus	st;

	if (mask & HEAP_XMIN_INVALID)
		return HEAPTUPLE_ABORTED;
	if (!(mask & HEAP_XMIN_COMMITTED))
	{
		st = ClogGetStatus(tup->xmin, &lsn);
		if (st == XID_COMMITTED)
		{
			if (commit_hint_allowed(lsn))
				set_hint(tup, HEAP_XMIN_COMMITTED, buf);
		}
		else if (st == XID_ABORTED || tup->xmin < oldest_xmin)
		{
			/* Below the horizon and never finished: crashed. */
			set_hint(tup, HEAP_XMIN_INVALID, buf);
			return HEAPTUPLE_ABORTED;
		}
		else
			return HEAPTUPLE_LIVE;	/* insert in progress */
	}

	if (tup->xmax == InvalidTransactionId || (mask & HEAP_XMAX_INVALID))
		return HEAPTUPLE_LIVE;
	if (!(mask & HEAP_XMAX_COMMITTED))
	{
		st = ClogGetStatus(tup->xmax, &lsn);
		if (st == XID_COMMITTED)
		{
			if (commit_hint_allowed(lsn))
				set_hint(tup, HEAP_XMAX_COMMITTED, buf);
			else if (XLogDurableReads())
				return HEAPTUPLE_RECENTLY_DEAD;	/* durable reads still show it */
		}
		else if (st == XID_ABORTED || tup->xmax < oldest_xmin)
		{
			set_hint(tup, HEAP_XMAX_INVALID, buf);
			return HEAPTUPLE_LIVE;
		}
		else
			return HEAPTUPLE_LIVE;	/* delete in progress */
	}
	return tup->xmax < oldest_xmin ? HEAPTUPLE_DEAD : HEAPTUPLE_RECENTLY_DEAD;
}

XidStatus
XidStatusForWriter(TransactionId xid)
{
	XidStatus	st;

	if (xid == XactGetCurrentXid() && xid != InvalidTransactionId)
		return XID_IN_PROGRESS;
	st = ClogGetStatus(xid, NULL);
	return st == XID_IN_PROGRESS ? XID_ABORTED : st;
}
