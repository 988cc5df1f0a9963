/*
 * snapshot.c
 *	  Lock-free MVCC snapshots over the process array, and the oldest-xmin
 *	  horizon used by pruning.
 *
 * NOTES
 *	  Runs in backends (SnapshotTake for every command) and in whoever
 *	  prunes (SnapshotGetOldestXmin). No lock is taken: the counter and the
 *	  slots' xid and xmin fields are read with sequentially consistent
 *	  atomic loads, and the writers (xact.c, this file) follow the publish
 *	  orders X1-X4 of storage/README.md, "Snapshots", where the correctness
 *	  argument is. A PENDING value in a slot is a window of a few
 *	  instructions; readers spin (then yield) until it resolves, or until
 *	  the slot's process is gone (pid 0).
 */
#include "config.h"

#include "storage/snapshot.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "storage/mem.h"
#include "storage/proc.h"
#include "wal/xlog.h"

/* Wait out a PENDING value in a slot field; returns the resolved value. */
static uint64_t
read_resolved(const ProcSlot *slot, _Atomic uint64_t *field, uint64_t pending)
{
	uint64_t	v = atomic_load(field);
	int			spins = 0;

	while (v == pending)
	{
		if (atomic_load(&((ProcSlot *) slot)->pid) == 0)
			return 0;
		if (++spins < 100)
			__builtin_ia32_pause();
		else
			sched_yield();
		v = atomic_load(field);
	}
	return v;
}

static int
xid_cmp(const void *a, const void *b)
{
	TransactionId x = *(const TransactionId *) a;
	TransactionId y = *(const TransactionId *) b;

	return x < y ? -1 : x > y;
}

void
SnapshotTake(Snapshot *snap)
{
	int			maxslots = proc_array ? proc_array->nslots : 0;
	int			nslots;
	bool		publish = MyProc && atomic_load(&MyProc->xmin) == 0;
	TransactionId xmax;
	TransactionId xmin;
	TransactionId own = XactGetCurrentXid();

	if (snap->xip_cap < maxslots)
	{
		MemFree(snap->xip);
		snap->xip = MemAlloc(sizeof(TransactionId) * (size_t) maxslots);
		snap->xip_cap = maxslots;
	}

	/* X4: announce before reading anything (README "Snapshots"). */
	if (publish)
		atomic_store(&MyProc->xmin, SNAPSHOT_XMIN_PENDING);

	xmax = XactReadNextXid();	/* seq_cst load */

	/*
	 * The high-water mark after the counter: a process whose xid is below
	 * xmax was forked after the postmaster raised the mark, so we see it.
	 */
	nslots = proc_array ? ProcArrayHighWater() : 0;
	xmin = xmax;
	snap->nxip = 0;
	for (int i = 0; i < nslots; i++)
	{
		ProcSlot   *slot = &proc_array->slots[i];
		TransactionId x;

		if (slot == MyProc || atomic_load(&slot->pid) == 0)
			continue;
		x = read_resolved(slot, &slot->xid, XACT_XID_PENDING);
		if (x == InvalidTransactionId || x >= xmax)
			continue;
		snap->xip[snap->nxip++] = x;
		if (x < xmin)
			xmin = x;
	}
	if (own != InvalidTransactionId && own < xmin)
		xmin = own;
	if (snap->nxip > 1)
		qsort(snap->xip, (size_t) snap->nxip, sizeof(TransactionId), xid_cmp);

	snap->xmin = xmin;
	snap->xmax = xmax;
	snap->curxid = own;
	/* After the scan: covers every commit the scan saw as finished (X2). */
	snap->commit_lsn = XLogGetLastCommitPosition();

	if (publish)
		atomic_store(&MyProc->xmin, xmin);
}

void
SnapshotReleaseAll(void)
{
	if (MyProc)
		atomic_store(&MyProc->xmin, InvalidTransactionId);
}

void
SnapshotFree(Snapshot *snap)
{
	MemFree(snap->xip);
	snap->xip = NULL;
	snap->xip_cap = 0;
	snap->nxip = 0;
}

bool
XidInSnapshot(TransactionId xid, const Snapshot *snap)
{
	int			lo = 0;
	int			hi = snap->nxip - 1;

	if (xid == snap->curxid || xid < snap->xmin)
		return false;
	if (xid >= snap->xmax)
		return true;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (snap->xip[mid] == xid)
			return true;
		if (snap->xip[mid] < xid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/*
 * Two passes over the slots after reading the counter: the second catches
 * a snapshot whose announcement came after the first pass read its slot
 * but which read some xid's slot before that xid finished (README
 * "Snapshots", the horizon argument).
 */
TransactionId
SnapshotGetOldestXmin(void)
{
	TransactionId horizon = XactReadNextXid();

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0, nslots = proc_array ? ProcArrayHighWater() : 0; i < nslots; i++)
		{
			ProcSlot   *slot = &proc_array->slots[i];
			TransactionId x;

			if (atomic_load(&slot->pid) == 0)
				continue;
			x = read_resolved(slot, &slot->xid, XACT_XID_PENDING);
			if (x != InvalidTransactionId && x < horizon)
				horizon = x;
			x = read_resolved(slot, &slot->xmin, SNAPSHOT_XMIN_PENDING);
			if (x != InvalidTransactionId && x < horizon)
				horizon = x;
		}
	return horizon;
}
