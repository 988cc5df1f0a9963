/*
 * xact.h
 *	  Transactions: 64-bit transaction ids, begin, commit, abort.
 *
 * NOTES
 *	  Each command runs in its own transaction (DESIGN.md section 4); only
 *	  write commands need an xid, and they take it after their key locks
 *	  (storage/keylock.h). A process runs at most one transaction at a time
 *	  and publishes its xid in its process slot (ProcSlot.xid) so that
 *	  snapshots see it as in progress. The write path:
 *
 *		KeyLockAcquireMany(...);
 *		xid = XactBegin();
 *		SnapshotTake(&snap);			(snap.curxid = xid)
 *		... HeapFetchLatest / HeapInsert / HeapDelete ...
 *		end = XactCommit();				(or XactAbort())
 *		KeyLockReleaseAll();
 *		if (synchronous_commit) XLogFlush(end);
 *		reply
 *
 *	  Releasing the key locks before the flush is safe (early lock release):
 *	  the next writer of the key commits after us, so its commit record
 *	  follows ours in the WAL and cannot be durable without ours. The reader
 *	  side of the promise is snapshot.commit_lsn (storage/snapshot.h).
 *
 *	  Xids are never reused: the counter lives in shared memory, is recorded
 *	  by every checkpoint (checkpoint_next_xid_hook) and is pushed past every
 *	  xid seen in the WAL during redo.
 */
#ifndef TUSK_XACT_H
#define TUSK_XACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/clog.h"
#include "wal/walrecord.h"

typedef uint64_t TransactionId;

#define InvalidTransactionId ((TransactionId) 0)
#define FrozenTransactionId ((TransactionId) 1)	/* committed, visible to all */
#define FirstNormalTransactionId ((TransactionId) 2)
#define TransactionIdIsValid(xid) ((xid) != InvalidTransactionId)

/* ProcSlot.xid while an xid is being assigned (README "Snapshots"). */
#define XACT_XID_PENDING UINT64_MAX

/* WAL_RM_XACT opcodes */
#define XACT_COMMIT 0x00
#define XACT_ABORT 0x01

/*
 * Main data of commit and abort records. A commit that changed a keyspace
 * counter is followed by its deltas (storage/kscounters.h, wal/README.md);
 * the others are exactly this struct.
 */
typedef struct XactRecord
{
	int64_t		time_ms;		/* wall clock at commit or abort */
} XactRecord;

size_t		XactShmemSize(void);
void		XactShmemInit(void);

/*
 * Assign an xid (if this process has none yet) and publish it in MyProc.
 * Returns InvalidTransactionId, logged, if the commit log page could not
 * be created; nothing is published then.
 */
TransactionId XactBegin(void);

/* This process's xid, InvalidTransactionId outside a write transaction. */
TransactionId XactGetCurrentXid(void);

/*
 * Commit: insert the commit record, mark the xid committed in the commit
 * log, advance the last commit position, clear the published xid. Returns
 * the commit record's end: release the key locks, then XLogFlush() it
 * before replying when synchronous_commit is on. InvalidXLogRecPtr when
 * there was no xid (read-only command). A failure inside is PANIC.
 */
XLogRecPtr	XactCommit(void);
/* The commit record end of a recent transaction, 0 if no longer known. */
XLogRecPtr	XactCommitEnd(TransactionId xid);

/*
 * Abort: mark the xid aborted (an abort record is written but not
 * flushed: an xid with no commit record is aborted after a crash anyway)
 * and clear the published xid. No-op without an xid.
 */
void		XactAbort(void);

/* The next xid to be assigned (every assigned xid is below it). */
TransactionId XactReadNextXid(void);

/*
 * Redo helper for every resource manager: make sure the counter ends up
 * past xid. Lock-free (atomic max).
 */
void		XactObserveXid(TransactionId xid);

/* After StartupXLOG: fold in the checkpoint's next xid, set up the clog. */
void		XactStartup(void);

void		XactRegisterRedo(void);

#endif
