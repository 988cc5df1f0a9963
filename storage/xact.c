/*
 * xact.c
 *	  Transaction ids, commit and abort.
 *
 * NOTES
 *	  Runs in backends (begin, commit, abort), in the startup process (redo
 *	  of commit and abort records) and in the checkpointer (the next xid
 *	  hook). The shared state is one atomic counter: no lock. The order of
 *	  the steps of XactBegin and XactCommit is what makes lock-free
 *	  snapshots correct; storage/README.md, "Snapshots", gives the argument
 *	  and the invariants (X1-X4) it relies on.
 */
#include "config.h"

#include "storage/xact.h"

#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "storage/clog.h"
#include "storage/elog.h"
#include "storage/kscounters.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "wal/xlog.h"

typedef struct XactShared
{
	/* Next xid to hand out; fetch_add to assign, atomic max during redo. */
	_Atomic uint64_t next_xid;
} XactShared;

static XactShared *xact_shared;

/*
 * The commit record end of recent transactions, by xid modulo the ring
 * size (the commit log keeps only the newest end per group of 256 xids).
 * Readers that show only durable commits use it (storage/visibility.c,
 * "durable reads"); an entry overwritten by a later xid just means "not
 * known", and the reader falls back to waiting for the flush. Written
 * like a seqlock: xid cleared, end stored, xid stored.
 */
#define COMMIT_END_RING 16384

typedef struct CommitEndEntry
{
	_Atomic TransactionId xid;
	_Atomic XLogRecPtr end;
} CommitEndEntry;

static CommitEndEntry *commit_ends;

static void
remember_commit_end(TransactionId xid, XLogRecPtr end)
{
	CommitEndEntry *e = &commit_ends[xid % COMMIT_END_RING];

	/* only this process writes this entry now (xids are unique) */
	atomic_store_explicit(&e->xid, InvalidTransactionId, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->end, end, memory_order_relaxed);
	atomic_store_explicit(&e->xid, xid, memory_order_release);
}

XLogRecPtr
XactCommitEnd(TransactionId xid)
{
	CommitEndEntry *e;
	XLogRecPtr end;

	if (commit_ends == NULL)
		return InvalidXLogRecPtr;
	e = &commit_ends[xid % COMMIT_END_RING];
	if (atomic_load_explicit(&e->xid, memory_order_acquire) != xid)
		return InvalidXLogRecPtr;
	end = atomic_load_explicit(&e->end, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&e->xid, memory_order_relaxed) == xid ? end : InvalidXLogRecPtr;
}

/* This process's running transaction; private copy of MyProc->xid. */
static TransactionId my_xid = InvalidTransactionId;

static uint64_t
next_xid_for_checkpoint(void)
{
	uint64_t	next = atomic_load(&xact_shared->next_xid);
	uint64_t	recovered = XLogRecoveredNextXid();

	/*
	 * An end-of-recovery checkpoint runs before XactStartup has folded in
	 * the checkpoint value, so take the larger here too.
	 */
	return recovered > next ? recovered : next;
}

size_t
XactShmemSize(void)
{
	return CACHELINE_ALIGN(sizeof(XactShared)) + CACHELINE_ALIGN(sizeof(CommitEndEntry) * COMMIT_END_RING);
}

void
XactShmemInit(void)
{
	xact_shared = ShmemAlloc(sizeof(XactShared));
	atomic_store(&xact_shared->next_xid, FirstNormalTransactionId);
	commit_ends = ShmemAlloc(sizeof(CommitEndEntry) * COMMIT_END_RING);
	for (int i = 0; i < COMMIT_END_RING; i++)
	{
		atomic_store(&commit_ends[i].xid, InvalidTransactionId);
		atomic_store(&commit_ends[i].end, InvalidXLogRecPtr);
	}
	checkpoint_next_xid_hook = next_xid_for_checkpoint;
}

TransactionId
XactReadNextXid(void)
{
	return atomic_load(&xact_shared->next_xid);
}

void
XactObserveXid(TransactionId xid)
{
	uint64_t	cur = atomic_load(&xact_shared->next_xid);

	if (xid == InvalidTransactionId || xid == XACT_XID_PENDING)
		return;
	while (cur <= xid &&
		   !atomic_compare_exchange_weak(&xact_shared->next_xid, &cur, xid + 1))
		;
}

void
XactStartup(void)
{
	XactObserveXid(XLogRecoveredNextXid() > 0 ? XLogRecoveredNextXid() - 1 : 0);
	ClogStartup(XactReadNextXid());
	elog(LOG, "next transaction id is %" PRIu64, XactReadNextXid());
}

TransactionId
XactGetCurrentXid(void)
{
	return my_xid;
}

static void
publish_xid(uint64_t value)
{
	if (MyProc)
		atomic_store(&MyProc->xid, value);
}

TransactionId
XactBegin(void)
{
	TransactionId xid;

	if (my_xid != InvalidTransactionId)
		return my_xid;
	/*
	 * The WAL cannot grow (full disk): refuse here, where every writer
	 * passes (commands, the expiry sweep, lazy expiry), rather than fail
	 * inside a commit, where it is PANIC. Commands check it earlier to
	 * reply MISCONF (server/txn.c CmdWriteAllowed).
	 */
	if (XLogSpaceError() != 0)
		return InvalidTransactionId;

	/*
	 * X1: PENDING is visible before the counter moves past the new xid, so
	 * a snapshot that reads the counter afterwards either finds PENDING (and
	 * waits) or the xid itself in this slot.
	 */
	publish_xid(XACT_XID_PENDING);
	xid = atomic_fetch_add(&xact_shared->next_xid, 1);
	publish_xid(xid);

	if (!ClogExtend(xid))
	{
		/*
		 * The xid is burnt: its status stays IN_PROGRESS, which every
		 * reader treats as aborted once it is no longer published.
		 */
		publish_xid(InvalidTransactionId);
		elog(WARNING, "could not extend the commit log for transaction %" PRIu64, xid);
		return InvalidTransactionId;
	}
	my_xid = xid;
	return xid;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under the WAL insertion lock, at the commit record's position (W10). */
static void
apply_counter_deltas(XLogRecPtr start, XLogRecPtr end, void *arg)
{
	KsCountersApplyPending(end);
}

XLogRecPtr
XactCommit(void)
{
	XactRecord	rec;
	XLogRecPtr	end;
	const char *deltas;
	uint32_t	deltas_len;

	if (my_xid == InvalidTransactionId)
	{
		KsCountersDiscardPending();
		return InvalidXLogRecPtr;
	}

	rec.time_ms = now_ms();
	deltas = KsCountersPendingEncode(&deltas_len);
	StartCritSection();
	XLogBeginInsert(WAL_RM_XACT, XACT_COMMIT, my_xid);
	XLogRegisterData(&rec, sizeof(rec));
	if (deltas_len > 0)
	{
		/* keyspace counter deltas: only when a count changed */
		XLogRegisterData(deltas, deltas_len);
		end = XLogInsertWithHook(apply_counter_deltas, NULL);
	}
	else
	{
		end = XLogInsert();
		KsCountersDiscardPending();
	}

	/*
	 * X2: commit log, then the last commit position, then the slot. A
	 * snapshot that sees the slot cleared sees the committed status and
	 * reads a commit position at or past ours.
	 */
	remember_commit_end(my_xid, end);
	if (!ClogSetStatus(my_xid, XID_COMMITTED, end))
		elog(PANIC, "could not record commit of transaction %" PRIu64, my_xid);
	XLogAdvanceLastCommitPosition(end);
	publish_xid(InvalidTransactionId);
	EndCritSection();

	my_xid = InvalidTransactionId;
	return end;
}

void
XactAbort(void)
{
	XactRecord	rec;

	KsCountersDiscardPending();
	if (my_xid == InvalidTransactionId)
		return;

	rec.time_ms = now_ms();
	StartCritSection();
	XLogBeginInsert(WAL_RM_XACT, XACT_ABORT, my_xid);
	XLogRegisterData(&rec, sizeof(rec));
	(void) XLogInsert();
	/* X3: aborted in the commit log before the slot is cleared. */
	if (!ClogSetStatus(my_xid, XID_ABORTED, InvalidXLogRecPtr))
		elog(PANIC, "could not record abort of transaction %" PRIu64, my_xid);
	publish_xid(InvalidTransactionId);
	EndCritSection();

	my_xid = InvalidTransactionId;
}

/* ---------------------------------------------------------------- redo */

static bool
xact_redo(XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec)
{
	uint8_t		op = rec->info & WAL_INFO_OPMASK;

	if ((op != XACT_COMMIT && op != XACT_ABORT) || rec->xid < FirstNormalTransactionId)
	{
		elog(WARNING, "invalid transaction record at " WAL_PTR_FMT, WAL_PTR_ARGS(lsn));
		return false;
	}
	XactObserveXid(rec->xid);
	/* the keyspace counter deltas after XactRecord (wal/README.md, W10) */
	if (op == XACT_COMMIT && rec->main_len > sizeof(XactRecord) &&
		!KsCountersRedo(rec->main_data + sizeof(XactRecord),
						rec->main_len - (uint32_t) sizeof(XactRecord), end))
		return false;
	/*
	 * The group LSN stays invalid: everything replayed is already durable,
	 * so hint bits may be set at once.
	 */
	return ClogSetStatus(rec->xid, op == XACT_COMMIT ? XID_COMMITTED : XID_ABORTED,
						 InvalidXLogRecPtr);
}

void
XactRegisterRedo(void)
{
	XLogRegisterRedo(WAL_RM_XACT, xact_redo);
}
