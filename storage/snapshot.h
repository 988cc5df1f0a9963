/*
 * snapshot.h
 *	  MVCC snapshots and the global xmin horizon.
 *
 * NOTES
 *	  SnapshotTake reads the shared next-xid counter and then every process
 *	  slot's published xid, with atomic loads and no lock; it publishes the
 *	  snapshot's xmin in MyProc so that pruning keeps what it may still see.
 *	  SnapshotReleaseAll (end of command) withdraws it. Why this is correct
 *	  without ProcArrayLock: storage/README.md, "Snapshots".
 *
 *	  A snapshot owns a private array of in-progress xids (MemAlloc'd on
 *	  first use, reused by later SnapshotTake calls on the same struct);
 *	  SnapshotFree releases it.
 */
#ifndef TUSK_SNAPSHOT_H
#define TUSK_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/xact.h"

/* ProcSlot.xmin while a snapshot is being taken. */
#define SNAPSHOT_XMIN_PENDING UINT64_MAX

typedef struct Snapshot
{
	TransactionId xmin;			/* every xid below is finished */
	TransactionId xmax;			/* every xid at or above is invisible */
	TransactionId curxid;		/* own transaction: its changes are visible */
	int			nxip;
	TransactionId *xip;			/* in progress, sorted, xmin <= x < xmax */
	int			xip_cap;
	/*
	 * Newest commit record end when the snapshot was taken: wait with
	 * XLogFlush(commit_lsn) before a reply that depends on what it shows.
	 */
	XLogRecPtr	commit_lsn;
} Snapshot;

#define SNAPSHOT_INIT {0}

/*
 * Take a snapshot for the current transaction (curxid = XactGetCurrentXid(),
 * so a command sees its own writes: take it after XactBegin). Publishes the
 * xmin in MyProc if this process has none published yet.
 */
void		SnapshotTake(Snapshot *snap);

/* Withdraw this process's published xmin (end of command). */
void		SnapshotReleaseAll(void);

void		SnapshotFree(Snapshot *snap);

/* True if xid counts as running for snap (neither own nor finished). */
bool		XidInSnapshot(TransactionId xid, const Snapshot *snap);

/*
 * Lowest xid any snapshot, running or yet to be taken, may consider in
 * progress: a version deleted by a committed xid below it is invisible to
 * everyone, an IN_PROGRESS xid below it has crashed. A result stays valid
 * forever (the horizon never moves back), so callers may cache it.
 */
TransactionId SnapshotGetOldestXmin(void);

#endif
