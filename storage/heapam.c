/*
 * heapam.c
 *	  Heap access: insert, delete, fetch through version chains, pruning,
 *	  and their WAL redo.
 *
 * NOTES
 *	  Runs in backends and, for redo, in the startup process. Locks: one heap
 *	  page content lock at a time (never two heap pages at once, so no
 *	  heap-page deadlock is possible); the commit log's bank locks are taken
 *	  under a content lock (visibility checks), never the other way round.
 *	  Key locks are taken by callers before any of this (storage/README.md,
 *	  "Key locks"). Page changes follow the STYLE.md critical-section rule:
 *	  check space and validate first, then StartCritSection, change,
 *	  BufMarkDirty, XLogInsert, PageSetLSN, EndCritSection.
 *
 *	  Free space: a byte per block in shared memory (free bytes / 32) plus a
 *	  "last page with room" hint, both relaxed atomics without a lock since
 *	  they are only hints checked under the page's lock before use. They are
 *	  rebuilt as pages are touched after a restart (XXX #14: a persistent
 *	  free-space map).
 *
 *	  Chains, pruning and the invariants H1-H6 are explained in
 *	  storage/README.md, "Version chains and pruning".
 */
#include "config.h"

#include "storage/heapam.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>

#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/visibility.h"
#include "wal/xlog.h"

_Static_assert(sizeof(HeapTupleHeaderData) == 48, "heap tuple header must be 48 bytes");
_Static_assert(offsetof(HeapTupleHeaderData, infomask) == 38, "README byte table");

#define HEAP_REL REL_KEYSPACE_HEAP

/* Free-space map in shared memory: blocks beyond this are not tracked. */
#define HEAP_FSM_BLOCKS ((uint32_t) 1 << 20)
#define HEAP_FSM_UNIT 32
#define HEAP_FSM_SEARCH 1024	/* entries scanned per search */
#define HEAP_FSM_TRIES 4		/* candidate pages locked per search */

/* Prune on access when less than this is free. */
#define HEAP_PRUNE_FREE_THRESHOLD (BLCKSZ / 10)

/*
 * A page chosen for a tuple that does not go on its key's page (a new key,
 * or a version that did not fit) must keep this much room besides:
 * PostgreSQL's fillfactor, at 80%. The room is for later versions of the
 * keys already there. Pages filled to the brim made every update of a key
 * on them prune the whole page to free the one version the last update
 * left dead (redis-benchmark -t set -r 100000: about one prune per SET,
 * 10% of a backend's time); with the room, one prune frees several.
 * Tuples over a quarter of a page (chunks of large values) keep none.
 */
#define HEAP_UPDATE_RESERVE (BLCKSZ / 5)

/* A chain longer than this is corrupt (a loop). */
#define HEAP_MAX_CHAIN 1000000

typedef struct HeapShared
{
	/* Hints only: relaxed atomics, no lock; checked under the page lock. */
	_Atomic uint32_t last_page_with_room;
	_Atomic uint32_t fsm_cursor;
	_Atomic uint8_t fsm[HEAP_FSM_BLOCKS];
} HeapShared;

static HeapShared *heap_shared;
static HeapStats heap_stats;

/* Cached horizon; a stale value is still safe (snapshot.h). */
static TransactionId cached_oldest_xmin;

/* ---------------------------------------------------------- WAL records */

#define XLH_INIT_PAGE 0x0001	/* insert/update: page was empty, init it */
#define XLH_IS_UPDATE 0x0002	/* delete: xmax wrote a newer version */
#define XLH_SET_PREV_XMAX 0x0004	/* update: set xmax of old_off */
#define XLH_TAKE_OVER 0x0008	/* update: then swap new_off's and old_off's line pointers */

typedef struct XlHeapInsert
{
	uint16_t	offnum;
	uint16_t	flags;
	/* tuple follows */
} XlHeapInsert;

typedef struct XlHeapDelete
{
	uint16_t	offnum;
	uint16_t	flags;			/* xmax is the record's xid */
} XlHeapDelete;

typedef struct XlHeapUpdate
{
	uint16_t	new_off;
	uint16_t	old_off;
	uint16_t	flags;
	uint16_t	padding;
	/* tuple follows */
} XlHeapUpdate;

typedef struct XlHeapPrune
{
	uint64_t	prune_xid;		/* the page's new pd_prune_xid */
	uint16_t	nredirected;
	uint16_t	ndead;
	uint16_t	nunused;
	uint16_t	padding;
	/* nredirected (from, to) pairs, ndead offsets, nunused offsets */
} XlHeapPrune;

/* XLOG_HEAP_FREEZE: XlHeapFreeze, then n XlHeapFreezeItem */
typedef struct XlHeapFreeze
{
	uint16_t	n;
	uint16_t	padding;
} XlHeapFreeze;

typedef struct XlHeapFreezeItem
{
	uint16_t	offnum;
	uint16_t	what;			/* FRZ_* */
} XlHeapFreezeItem;

#define FRZ_XMIN_COMMITTED	0x0001	/* set XMIN_COMMITTED | XMIN_FROZEN */
#define FRZ_XMIN_ABORTED	0x0002	/* set XMIN_INVALID | XMIN_FROZEN */
#define FRZ_CLEAR_XMAX		0x0004	/* xmax aborted: xmax = 0, XMAX_INVALID */

/* XLOG_HEAP_VACUUM: uint16 n, then n offsets of LP_DEAD slots to free */

/* ---------------------------------------------------------- small helpers */

const char *
HeapStatusName(HeapStatus status)
{
	switch (status)
	{
		case HEAP_OK:
			return "ok";
		case HEAP_NOT_FOUND:
			return "not found";
		case HEAP_TOO_LARGE:
			return "too large";
		case HEAP_BAD_PREV:
			return "bad previous version";
		case HEAP_IO_ERROR:
			return "I/O error";
		case HEAP_CORRUPT:
			return "corrupt";
	}
	return "unknown";
}

void
HeapTupleInit(HeapTupleData *tup, char *buf, size_t cap)
{
	memset(tup, 0, sizeof(*tup));
	tup->data = buf;
	tup->data_cap = buf ? cap : 0;
}

void
HeapTupleRelease(HeapTupleData *tup)
{
	if (tup->data_allocated)
		MemFree(tup->data);
	tup->data = NULL;
	tup->data_cap = 0;
	tup->data_allocated = false;
}

void
HeapGetStats(HeapStats *out)
{
	*out = heap_stats;
}

static inline uint16_t
tuple_mask(HeapTupleHeader tup)
{
	return __atomic_load_n(&tup->infomask, __ATOMIC_RELAXED);
}

/* Change non-hint bits; only under EXCLUSIVE, but readers may OR hints. */
static inline void
tuple_mask_change(HeapTupleHeader tup, uint16_t set, uint16_t clear)
{
	__atomic_fetch_and(&tup->infomask, (uint16_t) ~clear, __ATOMIC_RELAXED);
	__atomic_fetch_or(&tup->infomask, set, __ATOMIC_RELAXED);
}

static void
set_prune_xid(Page page, TransactionId xid)
{
	PageHeader	ph = (PageHeader) page;

	if (ph->pd_prune_xid == 0 || xid < ph->pd_prune_xid)
		__atomic_store_n(&ph->pd_prune_xid, xid, __ATOMIC_RELAXED);
}

/*
 * The tuple at offnum if it is a sane LP_NORMAL item, else NULL. Follows
 * one redirect when follow_redirect (index pointers may hit one).
 */
static HeapTupleHeader
get_tuple(Page page, OffsetNumber *offnum, bool follow_redirect, bool *redirected)
{
	ItemId		id;
	HeapTupleHeader tup;

	if (redirected)
		*redirected = false;
	if (*offnum < FirstOffsetNumber || *offnum > PageGetMaxOffsetNumber(page))
		return NULL;
	id = PageGetItemId(page, *offnum);
	if (ItemIdIsRedirected(id) && follow_redirect)
	{
		*offnum = ItemIdGetRedirect(id);
		if (redirected)
			*redirected = true;
		if (*offnum < FirstOffsetNumber || *offnum > PageGetMaxOffsetNumber(page))
			return NULL;
		id = PageGetItemId(page, *offnum);
	}
	if (!ItemIdIsNormal(id) || ItemIdGetLength(id) < SizeofHeapTupleHeader)
		return NULL;
	tup = (HeapTupleHeader) PageGetItem(page, id);
	if (SizeofHeapTupleHeader + tup->key_len + (size_t) tup->value_len > ItemIdGetLength(id))
		return NULL;
	return tup;
}

static void
copy_out(HeapTupleData *out, HeapTupleHeader tup, BlockNumber blk, OffsetNumber off)
{
	size_t		need = (size_t) tup->key_len + tup->value_len;

	if (need > out->data_cap || out->data == NULL)
	{
		if (out->data_allocated)
			MemFree(out->data);
		out->data = MemAlloc(need > 0 ? need : 1);
		out->data_cap = need;
		out->data_allocated = true;
	}
	memcpy(out->data, tup->data, need);
	out->tid.block = blk;
	out->tid.offset = off;
	out->xmin = tup->xmin;
	out->xmax = tup->xmax;
	out->infomask = tuple_mask(tup);
	out->type = tup->type;
	out->flags = tup->flags;
	out->expire_ms = tup->expire_ms;
	out->prev.block = tup->prev_block;
	out->prev.offset = (out->infomask & HEAP_HAS_PREV) ? tup->prev_offset : InvalidOffsetNumber;
	out->key = out->data;
	out->key_len = tup->key_len;
	out->value = out->data + tup->key_len;
	out->value_len = tup->value_len;
}

/* ---------------------------------------------------------- shared memory */

size_t
HeapShmemSize(void)
{
	return CACHELINE_ALIGN(sizeof(HeapShared));
}

void
HeapShmemInit(void)
{
	heap_shared = ShmemAlloc(sizeof(HeapShared));
	atomic_store(&heap_shared->last_page_with_room, InvalidBlockNumber);
}

static void
fsm_record(BlockNumber blk, Page page)
{
	size_t		free_space = PageGetFreeSpace(page);
	unsigned	cat = (unsigned) (free_space / HEAP_FSM_UNIT);

	if (heap_shared == NULL || blk >= HEAP_FSM_BLOCKS)
		return;
	atomic_store_explicit(&heap_shared->fsm[blk], (uint8_t) (cat > 255 ? 255 : cat),
						  memory_order_relaxed);
	if (free_space >= BLCKSZ / 4)
		atomic_store_explicit(&heap_shared->last_page_with_room, blk, memory_order_relaxed);
}

/* ---------------------------------------------------------- pruning */

static TransactionId
oldest_xmin_for(TransactionId needed)
{
	if (cached_oldest_xmin <= needed)
		cached_oldest_xmin = SnapshotGetOldestXmin();
	return cached_oldest_xmin;
}

/* Worth pruning: a prunable xid below the horizon and little room left. */
static bool
prune_wanted(Page page, size_t needed, TransactionId *horizon)
{
	PageHeader	ph = (PageHeader) page;
	uint64_t	prune_xid = __atomic_load_n(&ph->pd_prune_xid, __ATOMIC_RELAXED);
	uint16_t	lower = __atomic_load_n(&ph->pd_lower, __ATOMIC_RELAXED);
	uint16_t	upper = __atomic_load_n(&ph->pd_upper, __ATOMIC_RELAXED);
	size_t		free_space = upper > lower ? (size_t) (upper - lower) : 0;

	if (prune_xid == 0 || upper == 0)
		return false;
	if (free_space >= needed + sizeof(ItemIdData) && free_space >= HEAP_PRUNE_FREE_THRESHOLD)
		return false;
	*horizon = oldest_xmin_for(prune_xid);
	return prune_xid < *horizon;
}

typedef enum PruneAction
{
	PRUNE_KEEP = 0,
	PRUNE_REDIRECT,
	PRUNE_DEAD,
	PRUNE_UNUSED,
} PruneAction;

typedef struct PruneState
{
	uint8_t		verdict[MaxOffsetNumber + 1];	/* HeapTupleVacuumStatus + 1 */
	uint8_t		action[MaxOffsetNumber + 1];
	OffsetNumber target[MaxOffsetNumber + 1];
	OffsetNumber redirected[2 * MaxOffsetNumber];
	OffsetNumber dead[MaxOffsetNumber];
	OffsetNumber unused[MaxOffsetNumber];
} PruneState;

/*
 * Where an aborted version's readers must go instead: the first
 * non-aborted older version, if it is on this page and kept. Sets
 * *action to REDIRECT (with *target), DEAD (nothing older is visible to
 * anyone), or KEEP (the older version is on another page: H5).
 */
static void
resolve_aborted(Page page, BlockNumber blk, HeapTupleHeader tup, PruneState *ps,
				uint8_t *action, OffsetNumber *target)
{
	for (int guard = 0; guard < MaxOffsetNumber; guard++)
	{
		OffsetNumber off = tup->prev_offset;
		TransactionId expect = tup->prev_xmin;
		bool		redirected;
		HeapTupleHeader prev;

		if (!(tuple_mask(tup) & HEAP_HAS_PREV))
		{
			*action = PRUNE_DEAD;
			return;
		}
		if (tup->prev_block != blk)
		{
			*action = PRUNE_KEEP;
			return;
		}
		prev = get_tuple(page, &off, true, &redirected);
		if (prev == NULL || (!redirected && prev->xmin != expect) || prev->xmin > tup->xmin)
		{
			/* The older versions were pruned: dead to everyone (H3). */
			*action = PRUNE_DEAD;
			return;
		}
		switch ((HeapTupleVacuumStatus) (ps->verdict[off] - 1))
		{
			case HEAPTUPLE_ABORTED:
				tup = prev;
				continue;
			case HEAPTUPLE_DEAD:
				*action = PRUNE_DEAD;
				return;
			default:
				*action = PRUNE_REDIRECT;
				*target = off;
				return;
		}
	}
	*action = PRUNE_KEEP;
}

int
HeapPrunePage(Buffer buf, TransactionId oldest_xmin)
{
	Page		page = BufGetPage(buf);
	BlockNumber blk = BufGetBlockNumber(buf);
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	static PruneState prune_state;	/* private; 20 kB, so not allocated per prune */
	PruneState *ps = &prune_state;
	XlHeapPrune xlrec;
	TransactionId new_prune_xid = 0;
	int			nredirected = 0,
				ndead = 0,
				nunused = 0;
	int			changed;

	if (PageIsNew(page))
		return 0;
	/* verdict and action are read before written; the rest is not */
	memset(ps->verdict, 0, (size_t) maxoff + 1);
	memset(ps->action, 0, (size_t) maxoff + 1);

	/* Verdicts first (setting hint bits as a side effect). */
	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		OffsetNumber o = off;
		HeapTupleHeader tup = get_tuple(page, &o, false, NULL);

		if (tup)
			ps->verdict[off] = (uint8_t) (HeapTupleSatisfiesVacuum(tup, oldest_xmin, buf) + 1);
	}

	/* Then actions; chains need the verdicts of their older members. */
	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		OffsetNumber o = off;
		HeapTupleHeader tup;

		if (ps->verdict[off] == 0)
			continue;
		tup = get_tuple(page, &o, false, NULL);
		switch ((HeapTupleVacuumStatus) (ps->verdict[off] - 1))
		{
			case HEAPTUPLE_DEAD:
				/* H4: only a delete can still be the index's target. */
				ps->action[off] = (tuple_mask(tup) & HEAP_XMAX_IS_UPDATE) ?
					PRUNE_UNUSED : PRUNE_DEAD;
				break;
			case HEAPTUPLE_ABORTED:
				resolve_aborted(page, blk, tup, ps, &ps->action[off], &ps->target[off]);
				break;
			case HEAPTUPLE_RECENTLY_DEAD:
				if (new_prune_xid == 0 || tup->xmax < new_prune_xid)
					new_prune_xid = tup->xmax;
				break;
			case HEAPTUPLE_LIVE:
				{
					uint16_t	mask = tuple_mask(tup);

					/* An insert or delete still running may abort or commit. */
					if (!(mask & HEAP_XMIN_COMMITTED) &&
						(new_prune_xid == 0 || tup->xmin < new_prune_xid))
						new_prune_xid = tup->xmin;
					if (tup->xmax != 0 && !(mask & HEAP_XMAX_INVALID) &&
						(new_prune_xid == 0 || tup->xmax < new_prune_xid))
						new_prune_xid = tup->xmax;
				}
				break;
		}
	}

	/* Existing redirects whose target goes away die with it (H6). */
	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		ItemId		id = PageGetItemId(page, off);
		OffsetNumber t;

		if (!ItemIdIsRedirected(id))
			continue;
		t = ItemIdGetRedirect(id);
		if (t > maxoff || !ItemIdIsNormal(PageGetItemId(page, t)) ||
			ps->action[t] == PRUNE_DEAD || ps->action[t] == PRUNE_UNUSED)
			ps->action[off] = PRUNE_DEAD;
	}

	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		switch ((PruneAction) ps->action[off])
		{
			case PRUNE_REDIRECT:
				ps->redirected[2 * nredirected] = off;
				ps->redirected[2 * nredirected + 1] = ps->target[off];
				nredirected++;
				break;
			case PRUNE_DEAD:
				ps->dead[ndead++] = off;
				break;
			case PRUNE_UNUSED:
				ps->unused[nunused++] = off;
				break;
			case PRUNE_KEEP:
				break;
		}
	}
	changed = nredirected + ndead + nunused;
	if (changed == 0)
	{
		/* Nothing to do until something below new_prune_xid finishes. */
		__atomic_store_n(&((PageHeader) page)->pd_prune_xid, new_prune_xid, __ATOMIC_RELAXED);
		return 0;
	}
	if (!PageCheckItems(page))
	{
		elog(WARNING, "heap page %u is corrupt, not pruned", blk);
		return 0;
	}

	xlrec.prune_xid = new_prune_xid;
	xlrec.nredirected = (uint16_t) nredirected;
	xlrec.ndead = (uint16_t) ndead;
	xlrec.nunused = (uint16_t) nunused;
	xlrec.padding = 0;

	StartCritSection();
	for (int i = 0; i < nredirected; i++)
		PageSetItemRedirect(page, ps->redirected[2 * i], ps->redirected[2 * i + 1]);
	for (int i = 0; i < ndead; i++)
		PageSetItemDead(page, ps->dead[i]);
	for (int i = 0; i < nunused; i++)
		PageSetItemUnused(page, ps->unused[i]);
	if (!PageRepairFragmentation(page))
		elog(PANIC, "could not compact heap page %u", blk);
	((PageHeader) page)->pd_prune_xid = new_prune_xid;
	((PageHeader) page)->pd_flags &= ~PD_PAGE_FULL;
	BufMarkDirty(buf);
	XLogBeginInsert(WAL_RM_HEAP, XLOG_HEAP_PRUNE, 0);
	XLogRegisterBuffer(0, buf, 0);
	XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
	if (nredirected)
		XLogRegisterBufData(0, ps->redirected, (uint32_t) (2 * nredirected * sizeof(OffsetNumber)));
	if (ndead)
		XLogRegisterBufData(0, ps->dead, (uint32_t) (ndead * sizeof(OffsetNumber)));
	if (nunused)
		XLogRegisterBufData(0, ps->unused, (uint32_t) (nunused * sizeof(OffsetNumber)));
	PageSetLSN(page, XLogInsert());
	EndCritSection();

	heap_stats.prunes++;
	heap_stats.pruned_items += (uint64_t) changed;
	fsm_record(blk, page);
	return changed;
}

void
HeapPageMaybePrune(Buffer buf)
{
	Page		page = BufGetPage(buf);
	TransactionId horizon;

	if (!prune_wanted(page, 0, &horizon))
		return;
	/*
	 * Pruning writes WAL, and readers prune too: not while the WAL cannot
	 * grow (a full disk), where a record past the last segment that could
	 * be made would make the next flush PANIC. It is only an optimisation.
	 */
	if (XLogSpaceError() != 0)
		return;
	if (!BufConditionalLockContent(buf, LW_EXCLUSIVE))
		return;
	(void) HeapPrunePage(buf, horizon);
	BufUnlockContent(buf);
}

/* ---------------------------------------------------------- vacuum */

static void
freeze_apply(HeapTupleHeader tup, uint16_t what)
{
	if (what & FRZ_XMIN_COMMITTED)
		tuple_mask_change(tup, HEAP_XMIN_COMMITTED | HEAP_XMIN_FROZEN, HEAP_XMIN_INVALID);
	if (what & FRZ_XMIN_ABORTED)
		tuple_mask_change(tup, HEAP_XMIN_INVALID | HEAP_XMIN_FROZEN, HEAP_XMIN_COMMITTED);
	if (what & FRZ_CLEAR_XMAX)
	{
		tup->xmax = InvalidTransactionId;
		tuple_mask_change(tup, HEAP_XMAX_INVALID, HEAP_XMAX_COMMITTED | HEAP_XMAX_IS_UPDATE);
	}
}

/*
 * What freezing a tuple below freeze_limit takes, from the hints that
 * HeapTupleSatisfiesVacuum has just set: 0 if nothing (already frozen, or
 * too recent), -1 if it cannot be frozen yet (a hint could not be set
 * because the commit is not flushed; the caller must not advance the
 * frozen horizon).
 */
static int
freeze_what(HeapTupleHeader tup, TransactionId freeze_limit)
{
	uint16_t	mask = tuple_mask(tup);
	int			what = 0;

	if (tup->xmin < freeze_limit && !(mask & HEAP_XMIN_FROZEN))
	{
		if (mask & HEAP_XMIN_COMMITTED)
			what |= FRZ_XMIN_COMMITTED;
		else if (mask & HEAP_XMIN_INVALID)
			what |= FRZ_XMIN_ABORTED;
		else
			return -1;
	}
	if (tup->xmax != InvalidTransactionId && tup->xmax < freeze_limit)
	{
		if (mask & HEAP_XMAX_INVALID)
			what |= FRZ_CLEAR_XMAX;
		else
			return -1;			/* committed below the horizon: pruning's job */
	}
	return what;
}

void
HeapVacuumPage(Buffer buf, TransactionId horizon, TransactionId freeze_limit,
			   HeapVacuumPageResult *out)
{
	Page		page = BufGetPage(buf);
	BlockNumber blk = BufGetBlockNumber(buf);
	OffsetNumber maxoff;
	XlHeapFreezeItem *items;
	XlHeapFreeze xlrec = {0};

	memset(out, 0, offsetof(HeapVacuumPageResult, dead));
	if (PageIsNew(page))
	{
		out->free_space = BLCKSZ - SizeOfPageHeaderData;
		return;
	}
	out->pruned = HeapPrunePage(buf, horizon);
	maxoff = PageGetMaxOffsetNumber(page);
	items = MemAlloc(sizeof(XlHeapFreezeItem) * (size_t) (maxoff + 1));
	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		ItemId		id = PageGetItemId(page, off);
		OffsetNumber o = off;
		HeapTupleHeader tup;
		int			what;

		if (ItemIdIsDead(id))
		{
			out->dead[out->ndead++] = off;
			continue;
		}
		tup = get_tuple(page, &o, false, NULL);
		if (tup == NULL)
			continue;
		switch (HeapTupleSatisfiesVacuum(tup, horizon, buf))
		{
			case HEAPTUPLE_LIVE:
				out->live++;
				break;
			case HEAPTUPLE_RECENTLY_DEAD:
				out->recently_dead++;
				break;
			default:
				break;
		}
		what = freeze_what(tup, freeze_limit);
		if (what < 0)
			out->unfrozen++;
		else if (what > 0)
		{
			items[xlrec.n].offnum = off;
			items[xlrec.n].what = (uint16_t) what;
			xlrec.n++;
		}
	}
	if (xlrec.n > 0)
	{
		StartCritSection();
		for (int i = 0; i < xlrec.n; i++)
		{
			OffsetNumber o = items[i].offnum;

			freeze_apply(get_tuple(page, &o, false, NULL), items[i].what);
		}
		BufMarkDirty(buf);
		XLogBeginInsert(WAL_RM_HEAP, XLOG_HEAP_FREEZE, 0);
		XLogRegisterBuffer(0, buf, 0);
		XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
		XLogRegisterBufData(0, items, (uint32_t) (xlrec.n * sizeof(XlHeapFreezeItem)));
		PageSetLSN(page, XLogInsert());
		EndCritSection();
		out->frozen = xlrec.n;
	}
	MemFree(items);
	out->free_space = PageGetFreeSpace(page);
	fsm_record(blk, page);
}

int
HeapVacuumSetUnused(Buffer buf, const OffsetNumber *offs, int n)
{
	Page		page = BufGetPage(buf);
	OffsetNumber *todo = MemAlloc(sizeof(OffsetNumber) * (size_t) (n + 1));
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	uint16_t	count = 0;

	for (int i = 0; i < n; i++)
		if (offs[i] >= FirstOffsetNumber && offs[i] <= maxoff &&
			ItemIdIsDead(PageGetItemId(page, offs[i])))
			todo[count++] = offs[i];
	if (count > 0)
	{
		StartCritSection();
		for (int i = 0; i < count; i++)
			PageSetItemUnused(page, todo[i]);
		if (!PageRepairFragmentation(page))
			elog(PANIC, "could not compact heap page %u", BufGetBlockNumber(buf));
		BufMarkDirty(buf);
		XLogBeginInsert(WAL_RM_HEAP, XLOG_HEAP_VACUUM, 0);
		XLogRegisterBuffer(0, buf, 0);
		XLogRegisterBufData(0, &count, sizeof(count));
		XLogRegisterBufData(0, todo, (uint32_t) (count * sizeof(OffsetNumber)));
		PageSetLSN(page, XLogInsert());
		EndCritSection();
		fsm_record(BufGetBlockNumber(buf), page);
	}
	MemFree(todo);
	return count;
}

/* ---------------------------------------------------------- writing */

/*
 * Set xmax on the tuple at offnum and log it; page EXCLUSIVE-locked and
 * already validated by the caller.
 */
static void
set_xmax_and_log(Buffer buf, OffsetNumber offnum, TransactionId xid, bool is_update)
{
	Page		page = BufGetPage(buf);
	OffsetNumber o = offnum;
	HeapTupleHeader tup = get_tuple(page, &o, false, NULL);
	XlHeapDelete xlrec;

	xlrec.offnum = offnum;
	xlrec.flags = is_update ? XLH_IS_UPDATE : 0;

	StartCritSection();
	tup->xmax = xid;
	tuple_mask_change(tup, is_update ? HEAP_XMAX_IS_UPDATE : 0,
					  HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID |
					  (is_update ? 0 : HEAP_XMAX_IS_UPDATE));
	set_prune_xid(page, xid);
	BufMarkDirty(buf);
	XLogBeginInsert(WAL_RM_HEAP, XLOG_HEAP_DELETE, xid);
	XLogRegisterBuffer(0, buf, 0);
	XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
	PageSetLSN(page, XLogInsert());
	EndCritSection();
}

/*
 * Validate prev (on the locked page) as the newest non-aborted version of
 * the key being written. *link: whether the new version should point at it
 * (false if it was pruned away: then nothing needs it, H3). *set_xmax:
 * whether its xmax must become ours.
 */
static HeapStatus
check_prev(Page page, const ItemPointerData *prev, TransactionId xid, const char *key,
		   size_t key_len, TransactionId *prev_xmin, bool *link, bool *set_xmax)
{
	OffsetNumber off = prev->offset;
	HeapTupleHeader tup;
	ItemId		id;
	uint16_t	mask;

	*link = false;
	*set_xmax = false;
	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		return HEAP_BAD_PREV;
	id = PageGetItemId(page, off);
	if (ItemIdIsDead(id))
		return HEAP_OK;
	tup = get_tuple(page, &off, false, NULL);
	if (tup == NULL || tup->key_len != key_len || memcmp(tup->data, key, key_len) != 0)
		return HEAP_BAD_PREV;
	mask = tuple_mask(tup);
	if ((mask & HEAP_XMIN_INVALID) ||
		(!(mask & HEAP_XMIN_COMMITTED) && XidStatusForWriter(tup->xmin) == XID_ABORTED))
		return HEAP_BAD_PREV;
	*prev_xmin = tup->xmin;
	*link = true;
	if (tup->xmax == InvalidTransactionId || (mask & HEAP_XMAX_INVALID))
		*set_xmax = true;
	else if (tup->xmax == xid)
		*set_xmax = !(mask & HEAP_XMAX_IS_UPDATE);	/* own delete, now re-set */
	else if (!(mask & HEAP_XMAX_COMMITTED) && XidStatusForWriter(tup->xmax) == XID_ABORTED)
		*set_xmax = true;
	/* else deleted by a committed transaction: a re-insert links to it */
	return HEAP_OK;
}

/*
 * Swap two line pointers of a locked page (an update taking over its
 * predecessor's slot). False if either is not a normal item.
 */
static bool
swap_item_ids(Page page, OffsetNumber a, OffsetNumber b)
{
	OffsetNumber max = PageGetMaxOffsetNumber(page);
	ItemIdData	t;

	if (a < FirstOffsetNumber || a > max || b < FirstOffsetNumber || b > max || a == b ||
		!ItemIdIsNormal(PageGetItemId(page, a)) || !ItemIdIsNormal(PageGetItemId(page, b)))
		return false;
	t = *PageGetItemId(page, a);
	*PageGetItemId(page, a) = *PageGetItemId(page, b);
	*PageGetItemId(page, b) = t;
	return true;
}

/*
 * Add the tuple to the locked page and log it: an insert, or an update of
 * prev_off. With take_over, the new version then swaps line pointers with
 * prev_off (README "Version chains": the index keeps pointing at the key's
 * newest version without being changed), and its prev names the slot the
 * old version moved to. Returns where the new version is.
 */
static OffsetNumber
place_and_log(Buffer buf, HeapTupleHeader tup, size_t size, bool was_new,
			  OffsetNumber prev_off, bool set_prev_xmax, bool take_over)
{
	Page		page = BufGetPage(buf);
	OffsetNumber offnum,
				old_at = prev_off;
	XLogRecPtr	end;

	StartCritSection();
	if (was_new)
		PageInit(page, 0);
	offnum = PageAddItem(page, tup, size, InvalidOffsetNumber, false);
	if (offnum == InvalidOffsetNumber)
		elog(PANIC, "could not add heap tuple to block %u", BufGetBlockNumber(buf));
	if (take_over)
	{
		/* the logged tuple and the page's copy both point at the old slot */
		tup->prev_offset = offnum;
		((HeapTupleHeader) PageGetItem(page, PageGetItemId(page, offnum)))->prev_offset = offnum;
		if (!swap_item_ids(page, offnum, prev_off))
			elog(PANIC, "could not swap heap items %u and %u in block %u", offnum, prev_off,
				 BufGetBlockNumber(buf));
		old_at = offnum;
	}
	set_prune_xid(page, tup->xmin);
	if (set_prev_xmax)
	{
		OffsetNumber o = old_at;
		HeapTupleHeader prev = get_tuple(page, &o, false, NULL);

		prev->xmax = tup->xmin;
		tuple_mask_change(prev, HEAP_XMAX_IS_UPDATE, HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID);
	}
	BufMarkDirty(buf);
	XLogBeginInsert(WAL_RM_HEAP, prev_off != InvalidOffsetNumber ? XLOG_HEAP_UPDATE : XLOG_HEAP_INSERT,
					tup->xmin);
	XLogRegisterBuffer(0, buf, was_new ? WAL_BKP_WILL_INIT : 0);
	if (prev_off != InvalidOffsetNumber)
	{
		XlHeapUpdate xlrec = {
			.new_off = offnum, .old_off = prev_off,
			.flags = (uint16_t) ((was_new ? XLH_INIT_PAGE : 0) | (set_prev_xmax ? XLH_SET_PREV_XMAX : 0) |
								 (take_over ? XLH_TAKE_OVER : 0)),
		};

		XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
		XLogRegisterBufData(0, tup, (uint32_t) size);
		end = XLogInsert();
	}
	else
	{
		XlHeapInsert xlrec = {.offnum = offnum, .flags = was_new ? XLH_INIT_PAGE : 0};

		XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
		XLogRegisterBufData(0, tup, (uint32_t) size);
		end = XLogInsert();
	}
	PageSetLSN(page, end);
	EndCritSection();
	return take_over ? prev_off : offnum;
}

/* Room for size bytes plus a line pointer on the locked page? */
static bool
page_has_room(Page page, size_t size)
{
	return PageIsNew(page) || PageGetFreeSpace(page) >= MAXALIGN(size);
}

/* Lock blk EXCLUSIVE if it has room for size (pruning if that helps). */
static Buffer
try_block(BlockNumber blk, size_t size)
{
	Buffer		buf = BufRead(HEAP_REL, blk);
	Page		page;
	TransactionId horizon;

	if (!BufferIsValid(buf))
		return InvalidBuffer;
	BufLockContent(buf, LW_EXCLUSIVE);
	page = BufGetPage(buf);
	if (!page_has_room(page, size) && prune_wanted(page, size, &horizon))
		(void) HeapPrunePage(buf, horizon);
	if (page_has_room(page, size))
		return buf;
	fsm_record(blk, page);
	BufUnlockRelease(buf);
	return InvalidBuffer;
}

/*
 * A page with room for size bytes, pinned and EXCLUSIVE-locked: the hint,
 * then the free-space map, then a new block. skip: a block already tried.
 */
static Buffer
get_page_with_space(size_t size, BlockNumber skip, HeapStatus *status)
{
	BlockNumber nblocks = SmgrNblocks(HEAP_REL);
	BlockNumber hint = atomic_load_explicit(&heap_shared->last_page_with_room, memory_order_relaxed);
	Buffer		buf;
	int			tries = 0;

	if (hint != InvalidBlockNumber && hint != skip && hint < nblocks)
	{
		buf = try_block(hint, size);
		if (BufferIsValid(buf))
			return buf;
		atomic_compare_exchange_strong(&heap_shared->last_page_with_room, &hint, InvalidBlockNumber);
	}
	if (nblocks > 0)
	{
		uint32_t	limit = nblocks < HEAP_FSM_BLOCKS ? nblocks : HEAP_FSM_BLOCKS;
		uint32_t	start = atomic_load_explicit(&heap_shared->fsm_cursor, memory_order_relaxed) % limit;
		unsigned	want = (unsigned) ((MAXALIGN(size) + sizeof(ItemIdData) + HEAP_FSM_UNIT - 1) / HEAP_FSM_UNIT);

		for (uint32_t i = 0; i < limit && i < HEAP_FSM_SEARCH && tries < HEAP_FSM_TRIES; i++)
		{
			BlockNumber blk = (start + i) % limit;

			if (blk == skip || atomic_load_explicit(&heap_shared->fsm[blk], memory_order_relaxed) < want)
				continue;
			tries++;
			buf = try_block(blk, size);
			if (BufferIsValid(buf))
			{
				atomic_store_explicit(&heap_shared->fsm_cursor, blk, memory_order_relaxed);
				return buf;
			}
		}
		atomic_store_explicit(&heap_shared->fsm_cursor, (start + HEAP_FSM_SEARCH) % limit,
							  memory_order_relaxed);
	}
	{
		BlockNumber blk;

		buf = BufExtend(HEAP_REL, &blk);
		if (!BufferIsValid(buf))
		{
			*status = HEAP_IO_ERROR;
			return InvalidBuffer;
		}
		atomic_store_explicit(&heap_shared->last_page_with_room, blk, memory_order_relaxed);
		return buf;
	}
}

/* The tuple HeapInsert builds before copying it into a page. */
static union
{
	HeapTupleHeaderData header;
	char		bytes[HEAP_MAX_TUPLE_SIZE];
}			insert_buf;

HeapStatus
HeapInsert(TransactionId xid, const char *key, size_t key_len, const char *value,
		   size_t value_len, uint8_t type, uint8_t flags, int64_t expire_ms,
		   const ItemPointerData *prev_tid, bool prev_is_indexed, BlockNumber preferred_block,
		   ItemPointerData *out)
{
	size_t		size = SizeofHeapTupleHeader + key_len + value_len;
	HeapTupleHeader tup;
	HeapStatus	status = HEAP_OK;
	Buffer		buf = InvalidBuffer;
	BlockNumber tried = InvalidBlockNumber;
	bool		has_prev = prev_tid != NULL && ItemPointerIsValid(prev_tid);
	OffsetNumber offnum;
	BlockNumber blk;
	Page		page;
	bool		was_new;

	if (key_len > UINT16_MAX || size > HEAP_MAX_TUPLE_SIZE)
		return HEAP_TOO_LARGE;
	if (xid < FirstNormalTransactionId)
		return HEAP_BAD_PREV;

	/* built in a private buffer: an allocation per write showed in profiles */
	tup = &insert_buf.header;
	memset(tup, 0, SizeofHeapTupleHeader);
	tup->xmin = xid;
	tup->xmax = InvalidTransactionId;
	tup->expire_ms = expire_ms;
	tup->prev_block = InvalidBlockNumber;
	tup->prev_offset = InvalidOffsetNumber;
	tup->infomask = HEAP_XMAX_INVALID;
	tup->type = type;
	tup->flags = flags;
	tup->key_len = (uint16_t) key_len;
	tup->value_len = (uint32_t) value_len;
	memcpy(tup->data, key, key_len);
	if (value_len)
		memcpy(tup->data + key_len, value, value_len);

	if (has_prev && preferred_block == InvalidBlockNumber)
		preferred_block = prev_tid->block;

	/* The chain's page first: a same-page update is one record (H2). */
	if (has_prev)
	{
		TransactionId prev_xmin = InvalidTransactionId;
		bool		link,
					set_xmax;
		TransactionId horizon;

		buf = BufRead(HEAP_REL, prev_tid->block);
		if (!BufferIsValid(buf))
		{
			return HEAP_IO_ERROR;
		}
		BufLockContent(buf, LW_EXCLUSIVE);
		page = BufGetPage(buf);
		status = check_prev(page, prev_tid, xid, key, key_len, &prev_xmin, &link, &set_xmax);
		if (status == HEAP_OK && preferred_block == prev_tid->block &&
			!page_has_room(page, size) && prune_wanted(page, size, &horizon))
		{
			(void) HeapPrunePage(buf, horizon);
			/* prev is kept (not dead), or became LP_DEAD: re-check. */
			status = check_prev(page, prev_tid, xid, key, key_len, &prev_xmin, &link, &set_xmax);
		}
		if (status != HEAP_OK)
		{
			BufUnlockRelease(buf);
			return status;
		}
		if (link)
		{
			tup->prev_block = prev_tid->block;
			tup->prev_offset = prev_tid->offset;
			tup->prev_xmin = prev_xmin;
			tup->infomask |= HEAP_HAS_PREV;
		}
		if (preferred_block == prev_tid->block && page_has_room(page, size))
		{
			was_new = PageIsNew(page);
			offnum = place_and_log(buf, tup, size, was_new,
								   link ? prev_tid->offset : InvalidOffsetNumber, link && set_xmax,
								   link && prev_is_indexed);
			heap_stats.inserts++;
			heap_stats.hot_inserts++;
			if (link && prev_is_indexed)
				heap_stats.in_place_updates++;
			blk = prev_tid->block;
			goto done;
		}
		/* The new version goes elsewhere: mark prev replaced on its own. */
		if (link && set_xmax)
			set_xmax_and_log(buf, prev_tid->offset, xid, true);
		if (preferred_block == prev_tid->block)
			tried = prev_tid->block;
		BufUnlockRelease(buf);
		buf = InvalidBuffer;
	}

	if (preferred_block != InvalidBlockNumber && preferred_block != tried &&
		preferred_block < SmgrNblocks(HEAP_REL))
	{
		buf = try_block(preferred_block, size);
		tried = preferred_block;
	}
	if (!BufferIsValid(buf))
		buf = get_page_with_space(size <= BLCKSZ / 4 ? size + HEAP_UPDATE_RESERVE : size,
								  tried, &status);
	if (!BufferIsValid(buf))
	{
		return status == HEAP_OK ? HEAP_IO_ERROR : status;
	}
	page = BufGetPage(buf);
	was_new = PageIsNew(page);
	blk = BufGetBlockNumber(buf);
	offnum = place_and_log(buf, tup, size, was_new, InvalidOffsetNumber, false, false);
	heap_stats.inserts++;

done:
	fsm_record(blk, BufGetPage(buf));
	BufUnlockRelease(buf);
	out->block = blk;
	out->offset = offnum;
	return HEAP_OK;
}

HeapStatus
HeapDelete(TransactionId xid, const ItemPointerData *tid)
{
	Buffer		buf;
	Page		page;
	OffsetNumber off = tid->offset;
	HeapTupleHeader tup;
	uint16_t	mask;

	if (!ItemPointerIsValid(tid))
		return HEAP_NOT_FOUND;
	buf = BufRead(HEAP_REL, tid->block);
	if (!BufferIsValid(buf))
		return HEAP_IO_ERROR;
	BufLockContent(buf, LW_EXCLUSIVE);
	page = BufGetPage(buf);
	tup = get_tuple(page, &off, true, NULL);
	if (tup == NULL)
	{
		BufUnlockRelease(buf);
		return HEAP_NOT_FOUND;
	}
	mask = tuple_mask(tup);
	if ((mask & HEAP_XMIN_INVALID) ||
		(!(mask & HEAP_XMIN_COMMITTED) && XidStatusForWriter(tup->xmin) == XID_ABORTED))
	{
		BufUnlockRelease(buf);
		return HEAP_BAD_PREV;
	}
	if (tup->xmax != InvalidTransactionId && !(mask & HEAP_XMAX_INVALID) &&
		((mask & HEAP_XMAX_COMMITTED) || XidStatusForWriter(tup->xmax) != XID_ABORTED))
	{
		/* Already deleted or replaced, by a committed xact or by us. */
		BufUnlockRelease(buf);
		return HEAP_NOT_FOUND;
	}
	set_xmax_and_log(buf, off, xid, false);
	heap_stats.deletes++;
	BufUnlockRelease(buf);
	return HEAP_OK;
}

/* ---------------------------------------------------------- reading */

/*
 * Walk the chain from tid. With snap: stop at the first version whose
 * insertion snap sees. Without (writer): stop at the first non-aborted one.
 */
static HeapStatus
walk_chain(const Snapshot *snap, const ItemPointerData *tid, HeapTupleData *out)
{
	BlockNumber blk = tid->block;
	OffsetNumber off = tid->offset;
	TransactionId expect_xmin = InvalidTransactionId;	/* none for the index pointer */
	TransactionId from_xmin = InvalidTransactionId;	/* xmin of the version we came from */
	int			steps = 0;

	if (!ItemPointerIsValid(tid))
		return HEAP_NOT_FOUND;

	for (;;)
	{
		Buffer		buf = BufRead(HEAP_REL, blk);
		Page		page;

		if (!BufferIsValid(buf))
			return HEAP_IO_ERROR;
		HeapPageMaybePrune(buf);
		BufLockContent(buf, LW_SHARED);
		page = BufGetPage(buf);

		for (;;)
		{
			bool		redirected;
			HeapTupleHeader tup;
			bool		found;

			if (++steps > HEAP_MAX_CHAIN)
			{
				BufUnlockRelease(buf);
				elog(WARNING, "heap chain through block %u is too long", blk);
				return HEAP_CORRUPT;
			}
			tup = get_tuple(page, &off, true, &redirected);
			/*
			 * Gone, or the slot was reused: nothing older is visible (H3).
			 * A prev hop never reaches a newer transaction's version: when
			 * it does (a freed slot reused by a version that aborted and was
			 * pruned into a redirect back up the chain), the chain ends
			 * there, which also rules out cycles.
			 */
			if (tup == NULL || (expect_xmin != InvalidTransactionId && !redirected &&
								tup->xmin != expect_xmin) ||
				(from_xmin != InvalidTransactionId && tup->xmin > from_xmin))
			{
				BufUnlockRelease(buf);
				return HEAP_NOT_FOUND;
			}

			if (snap)
			{
				found = HeapTupleXminVisible(tup, snap, buf);
				if (found && HeapTupleXmaxVisible(tup, snap, buf))
				{
					BufUnlockRelease(buf);
					return HEAP_NOT_FOUND;
				}
			}
			else
			{
				uint16_t	mask = tuple_mask(tup);

				found = !(mask & HEAP_XMIN_INVALID) &&
					((mask & HEAP_XMIN_COMMITTED) ||
					 XidStatusForWriter(tup->xmin) != XID_ABORTED);
			}
			if (found)
			{
				copy_out(out, tup, blk, off);
				if (!snap)
				{
					uint16_t	mask = out->infomask;

					out->xmin_status = (mask & HEAP_XMIN_COMMITTED) ? XID_COMMITTED :
						XidStatusForWriter(tup->xmin);
					if (tup->xmax == InvalidTransactionId || (mask & HEAP_XMAX_INVALID))
						out->xmax_status = XID_ABORTED;
					else if (mask & HEAP_XMAX_COMMITTED)
						out->xmax_status = XID_COMMITTED;
					else
						out->xmax_status = XidStatusForWriter(tup->xmax);
					out->live = out->xmax_status == XID_ABORTED;
				}
				BufUnlockRelease(buf);
				return HEAP_OK;
			}
			if (!(tuple_mask(tup) & HEAP_HAS_PREV))
			{
				BufUnlockRelease(buf);
				return HEAP_NOT_FOUND;
			}
			expect_xmin = tup->prev_xmin;
			from_xmin = tup->xmin;
			off = tup->prev_offset;
			if (tup->prev_block != blk)
			{
				blk = tup->prev_block;
				break;
			}
		}
		BufUnlockRelease(buf);
	}
}

HeapStatus
HeapFetchVisible(const Snapshot *snap, const ItemPointerData *tid, HeapTupleData *out)
{
	return walk_chain(snap, tid, out);
}

HeapStatus
HeapFetchLatest(const ItemPointerData *tid, HeapTupleData *out)
{
	return walk_chain(NULL, tid, out);
}

/* ---------------------------------------------------------- redo */

static bool
redo_fail(XLogRecPtr lsn, const char *what)
{
	elog(WARNING, "invalid heap %s record at " WAL_PTR_FMT, what, WAL_PTR_ARGS(lsn));
	return false;
}

static bool
redo_add_tuple(Page page, const char *data, size_t len, OffsetNumber offnum, uint16_t flags,
			   TransactionId xid)
{
	if (flags & XLH_INIT_PAGE)
		PageInit(page, 0);
	if (len < SizeofHeapTupleHeader ||
		PageAddItem(page, data, len, offnum, true) != offnum)
		return false;
	set_prune_xid(page, xid);
	return true;
}

static bool
heap_redo(XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec)
{
	uint8_t		op = rec->info & WAL_INFO_OPMASK;
	const DecodedWalBlock *blk = WalRecordGetBlock(rec, 0);
	Buffer		buf;
	XLogRedoAction action;
	bool		ok = true;

	XactObserveXid(rec->xid);
	if (blk == NULL)
		return redo_fail(lsn, "(no block)");
	action = XLogReadBufferForRedo(rec, 0, end, &buf);
	if (action == BLK_NOTFOUND)
		return false;
	if (action == BLK_NEEDS_REDO)
	{
		Page		page = BufGetPage(buf);
		const char *data = blk->data;
		size_t		len = blk->data_len;

		switch (op)
		{
			case XLOG_HEAP_INSERT:
				{
					XlHeapInsert xlrec;

					if (len < sizeof(xlrec))
					{
						ok = redo_fail(lsn, "insert");
						break;
					}
					memcpy(&xlrec, data, sizeof(xlrec));
					ok = redo_add_tuple(page, data + sizeof(xlrec), len - sizeof(xlrec),
										xlrec.offnum, xlrec.flags, rec->xid);
					if (!ok)
						redo_fail(lsn, "insert");
					break;
				}
			case XLOG_HEAP_UPDATE:
				{
					XlHeapUpdate xlrec;

					if (len < sizeof(xlrec))
					{
						ok = redo_fail(lsn, "update");
						break;
					}
					memcpy(&xlrec, data, sizeof(xlrec));
					ok = redo_add_tuple(page, data + sizeof(xlrec), len - sizeof(xlrec),
										xlrec.new_off, xlrec.flags, rec->xid);
					if (ok && (xlrec.flags & XLH_TAKE_OVER))
						ok = swap_item_ids(page, xlrec.new_off, xlrec.old_off);
					if (ok && (xlrec.flags & XLH_SET_PREV_XMAX))
					{
						/* after a take-over the old version is at new_off */
						OffsetNumber o = (xlrec.flags & XLH_TAKE_OVER) ? xlrec.new_off : xlrec.old_off;
						HeapTupleHeader prev = get_tuple(page, &o, false, NULL);

						if (prev == NULL)
							ok = false;
						else
						{
							prev->xmax = rec->xid;
							tuple_mask_change(prev, HEAP_XMAX_IS_UPDATE,
											  HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID);
						}
					}
					if (!ok)
						redo_fail(lsn, "update");
					break;
				}
			case XLOG_HEAP_DELETE:
				{
					XlHeapDelete xlrec;
					OffsetNumber o;
					HeapTupleHeader tup;

					if (len < sizeof(xlrec))
					{
						ok = redo_fail(lsn, "delete");
						break;
					}
					memcpy(&xlrec, data, sizeof(xlrec));
					o = xlrec.offnum;
					tup = get_tuple(page, &o, false, NULL);
					if (tup == NULL)
					{
						ok = redo_fail(lsn, "delete");
						break;
					}
					tup->xmax = rec->xid;
					tuple_mask_change(tup, (xlrec.flags & XLH_IS_UPDATE) ? HEAP_XMAX_IS_UPDATE : 0,
									  HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID |
									  ((xlrec.flags & XLH_IS_UPDATE) ? 0 : HEAP_XMAX_IS_UPDATE));
					set_prune_xid(page, rec->xid);
					break;
				}
			case XLOG_HEAP_PRUNE:
				{
					XlHeapPrune xlrec;
					OffsetNumber *offs;
					size_t		n;
					OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

					if (len < sizeof(xlrec))
					{
						ok = redo_fail(lsn, "prune");
						break;
					}
					memcpy(&xlrec, data, sizeof(xlrec));
					n = (size_t) 2 * xlrec.nredirected + xlrec.ndead + xlrec.nunused;
					if (len != sizeof(xlrec) + n * sizeof(OffsetNumber))
					{
						ok = redo_fail(lsn, "prune");
						break;
					}
					offs = MemAlloc(n * sizeof(OffsetNumber) + 1);
					memcpy(offs, data + sizeof(xlrec), n * sizeof(OffsetNumber));
					for (size_t i = 0; i < n; i++)
						if (offs[i] < FirstOffsetNumber || offs[i] > maxoff)
							ok = false;
					if (ok)
					{
						OffsetNumber *p = offs;

						for (int i = 0; i < xlrec.nredirected; i++, p += 2)
							PageSetItemRedirect(page, p[0], p[1]);
						for (int i = 0; i < xlrec.ndead; i++)
							PageSetItemDead(page, *p++);
						for (int i = 0; i < xlrec.nunused; i++)
							PageSetItemUnused(page, *p++);
						ok = PageRepairFragmentation(page);
						((PageHeader) page)->pd_prune_xid = xlrec.prune_xid;
						((PageHeader) page)->pd_flags &= ~PD_PAGE_FULL;
					}
					MemFree(offs);
					if (!ok)
						redo_fail(lsn, "prune");
					break;
				}
			case XLOG_HEAP_FREEZE:
				{
					XlHeapFreeze xlrec;

					if (len < sizeof(xlrec))
					{
						ok = redo_fail(lsn, "freeze");
						break;
					}
					memcpy(&xlrec, data, sizeof(xlrec));
					if (len != sizeof(xlrec) + (size_t) xlrec.n * sizeof(XlHeapFreezeItem))
					{
						ok = redo_fail(lsn, "freeze");
						break;
					}
					for (int i = 0; i < xlrec.n && ok; i++)
					{
						XlHeapFreezeItem item;
						HeapTupleHeader tup;

						memcpy(&item, data + sizeof(xlrec) + i * sizeof(item), sizeof(item));
						tup = get_tuple(page, &item.offnum, false, NULL);
						if (tup == NULL)
							ok = redo_fail(lsn, "freeze");
						else
							freeze_apply(tup, item.what);
					}
					break;
				}
			case XLOG_HEAP_VACUUM:
				{
					uint16_t	n;
					OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

					if (len < sizeof(n))
					{
						ok = redo_fail(lsn, "vacuum");
						break;
					}
					memcpy(&n, data, sizeof(n));
					if (len != sizeof(n) + (size_t) n * sizeof(OffsetNumber))
					{
						ok = redo_fail(lsn, "vacuum");
						break;
					}
					for (int i = 0; i < n; i++)
					{
						OffsetNumber off;

						memcpy(&off, data + sizeof(n) + i * sizeof(off), sizeof(off));
						if (off < FirstOffsetNumber || off > maxoff)
						{
							ok = redo_fail(lsn, "vacuum");
							break;
						}
						PageSetItemUnused(page, off);
					}
					if (ok)
						ok = PageRepairFragmentation(page);
					break;
				}
			default:
				ok = redo_fail(lsn, "(unknown)");
				break;
		}
		if (ok)
		{
			PageSetLSN(page, end);
			BufMarkDirty(buf);
		}
	}
	if (BufferIsValid(buf))
	{
		if (ok && heap_shared)
			fsm_record(BufGetBlockNumber(buf), BufGetPage(buf));
		BufUnlockRelease(buf);
	}
	return ok;
}

void
HeapRegisterRedo(void)
{
	XLogRegisterRedo(WAL_RM_HEAP, heap_redo);
}
