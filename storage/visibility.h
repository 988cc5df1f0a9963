/*
 * visibility.h
 *	  MVCC visibility of heap tuples, with hint bits.
 *
 * NOTES
 *	  Callers hold at least a SHARED content lock on the tuple's page (or
 *	  own a private copy of it, as unit tests do). Hint bits are set with
 *	  atomic OR under that shared lock and are not WAL-logged: losing one
 *	  costs a commit-log lookup, nothing more. A COMMITTED hint is only set
 *	  once WAL is flushed past the commit record (see storage/README.md,
 *	  "Visibility rules" and "Hint bits"); nothing is ever hinted for an
 *	  in-progress transaction.
 */
#ifndef TUSK_VISIBILITY_H
#define TUSK_VISIBILITY_H

#include <stdbool.h>

#include "storage/bufmgr.h"
#include "storage/heapam.h"
#include "storage/snapshot.h"

/* Is the tuple's insertion visible to snap (committed before, or own)? */
/*
 * Newest unflushed commit a visibility decision relied on since it was last
 * reset (a reader resets it, reads, then waits for the flush to pass it).
 */
extern XLogRecPtr visibility_depends_lsn;
/* Durable reads: set by the caller around one lookup (visibility.c). */
extern XLogRecPtr visibility_durable_upto;
extern bool visibility_skipped_commit;

bool		HeapTupleXminVisible(HeapTupleHeader tup, const Snapshot *snap, Buffer buf);

/* The full rule: inserted and not deleted, as seen by snap. */
bool		HeapTupleVisible(HeapTupleHeader tup, const Snapshot *snap, Buffer buf);

/* Is the deletion (xmax) visible to snap? Only meaningful if xmin is. */
bool		HeapTupleXmaxVisible(HeapTupleHeader tup, const Snapshot *snap, Buffer buf);

/* Pruning verdicts, against the oldest xmin (SnapshotGetOldestXmin). */
typedef enum HeapTupleVacuumStatus
{
	HEAPTUPLE_LIVE,				/* needed: visible or may become so */
	HEAPTUPLE_RECENTLY_DEAD,	/* deleted, but some snapshot may see it */
	HEAPTUPLE_DEAD,				/* deleted before every snapshot */
	HEAPTUPLE_ABORTED,			/* inserter aborted or crashed */
} HeapTupleVacuumStatus;

HeapTupleVacuumStatus HeapTupleSatisfiesVacuum(HeapTupleHeader tup,
											   TransactionId oldest_xmin, Buffer buf);

/*
 * Status of an xid for a writer holding the key lock, without a snapshot:
 * own xid is IN_PROGRESS; another IN_PROGRESS one has crashed (the key
 * lock guarantees no other live writer) and is reported ABORTED.
 */
XidStatus	XidStatusForWriter(TransactionId xid);

#endif
