/*
 * vacuum.c
 *	  Vacuum of the keyspace heap (see vacuum.h).
 *
 * NOTES
 *	  A run has three steps, as PostgreSQL's lazy vacuum:
 *	  1. Heap pass: each page under its EXCLUSIVE lock is pruned against the
 *	     horizon and frozen below the freeze limit (HeapVacuumPage); the
 *	     LP_DEAD slots left (deleted keys the index may still point at, and
 *	     dead chunks) are collected as TIDs.
 *	  2. Index pass: BtBulkDelete removes every index entry whose TID was
 *	     collected. Then ProcWaitForStorageCommands: a command that read
 *	     one of those TIDs from the index before the entry went may still
 *	     be about to visit it.
 *	  3. The collected slots become LP_UNUSED (HeapVacuumSetUnused), so new
 *	     versions can use them.
 *	  When the TID array fills up, steps 2 and 3 run and the heap pass goes
 *	  on. A run for one database (TUSK VACUUM db) removes only that
 *	  database's index entries and frees only the slots it found entries
 *	  for; a dead slot without any entry (a chunk, an entry removed before)
 *	  is freed only by a run over every database.
 *
 *	  Freezing lets the commit log be truncated: after a run over every
 *	  block in which nothing below the freeze limit was left unfrozen, no
 *	  tuple needs the status of an xid below it (VacuumAdvanceFrozenXid).
 *	  The freeze limit is at or below the horizon, so every xid below it
 *	  has finished, and tuples written after the run began have newer xids.
 */
#include "config.h"

#include "storage/vacuum.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/btree.h"
#include "storage/bufmgr.h"
#include "storage/clog.h"
#include "storage/elog.h"
#include "storage/heapam.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/snapshot.h"
#include "wal/xlog.h"

#define VACUUM_MAX_DEAD_TIDS ((size_t) 1 << 20)	/* 8 MiB of TIDs per index pass */
#define VACUUM_COST_PAGE 1
#define VACUUM_COST_DIRTY 20

enum
{
	PHASE_SCANNING_HEAP = 1,
	PHASE_CLEANING_INDEX,
	PHASE_WAITING,
	PHASE_FREEING_SLOTS,
};

static const char *const phase_names[] = {
	"", "scanning heap", "cleaning index", "waiting for running commands", "freeing slots",
};

/* One running vacuum, for INFO. Owner writes; pid != 0 while in use. */
typedef struct VacuumProgressSlot
{
	_Atomic int pid;
	_Atomic int is_auto;
	_Atomic int phase;
	_Atomic uint64_t blocks_total;
	_Atomic uint64_t blocks_scanned;
	_Atomic uint64_t dead_items;
	_Atomic uint64_t index_entries_removed;
	_Atomic int64_t started_ms;
} VacuumProgressSlot;

/*
 * Dead versions of one database: created only grows (writers, one atomic
 * add); cleared is the created count at the start of the last run that
 * finished (everything that died before it is gone). Dead now = created -
 * cleared.
 */
typedef struct VacuumDeadCount
{
	_Atomic uint64_t created;
	_Atomic uint64_t cleared;
} VacuumDeadCount;

/* All fields are atomics, changed without a lock. */
typedef struct VacuumShared
{
	_Atomic uint64_t created_at_run_start;	/* sum of dead[].created then */
	_Atomic uint64_t live_estimate;
	_Atomic uint64_t vacuum_runs;
	_Atomic uint64_t autovacuum_runs;
	_Atomic int64_t last_vacuum_ms;
	_Atomic int64_t last_autovacuum_ms;
	_Atomic uint64_t versions_removed;
	_Atomic uint64_t dead_items_freed;
	_Atomic uint64_t index_entries_removed;
	_Atomic uint64_t tuples_frozen;
	_Atomic uint64_t pages_scanned;
	_Atomic uint64_t frozen_xid;
	VacuumProgressSlot progress[VACUUM_PROGRESS_SLOTS];
	int			ndatabases;
	VacuumDeadCount dead[];		/* per database */
} VacuumShared;

static VacuumShared *vacuum_shared;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
VacuumShmemSize(int ndatabases)
{
	return CACHELINE_ALIGN(sizeof(VacuumShared) + sizeof(VacuumDeadCount) * (size_t) ndatabases);
}

void
VacuumShmemInit(int ndatabases)
{
	vacuum_shared = ShmemAlloc(sizeof(VacuumShared) + sizeof(VacuumDeadCount) * (size_t) ndatabases);
	memset(vacuum_shared, 0, sizeof(VacuumShared) + sizeof(VacuumDeadCount) * (size_t) ndatabases);
	vacuum_shared->ndatabases = ndatabases;
}

void
VacuumNoteDeadVersions(int db, uint64_t n)
{
	if (vacuum_shared == NULL || n == 0 || db < 0 || db >= vacuum_shared->ndatabases)
		return;
	atomic_fetch_add_explicit(&vacuum_shared->dead[db].created, n, memory_order_relaxed);
}

uint64_t
VacuumDeadVersions(int db)
{
	uint64_t	created, cleared;

	if (vacuum_shared == NULL || db < 0 || db >= vacuum_shared->ndatabases)
		return 0;
	cleared = atomic_load_explicit(&vacuum_shared->dead[db].cleared, memory_order_relaxed);
	created = atomic_load_explicit(&vacuum_shared->dead[db].created, memory_order_relaxed);
	return created > cleared ? created - cleared : 0;
}

static uint64_t
dead_created_total(void)
{
	uint64_t	sum = 0;

	for (int db = 0; db < vacuum_shared->ndatabases; db++)
		sum += atomic_load_explicit(&vacuum_shared->dead[db].created, memory_order_relaxed);
	return sum;
}

uint64_t
VacuumDeadSinceLastRun(void)
{
	return vacuum_shared ? dead_created_total() - atomic_load(&vacuum_shared->created_at_run_start) : 0;
}

void
VacuumNoteRunStart(void)
{
	if (vacuum_shared)
		atomic_store(&vacuum_shared->created_at_run_start, dead_created_total());
}

uint64_t
VacuumLiveEstimate(void)
{
	return vacuum_shared ? atomic_load(&vacuum_shared->live_estimate) : 0;
}

TransactionId
VacuumFrozenXid(void)
{
	return vacuum_shared ? atomic_load(&vacuum_shared->frozen_xid) : 0;
}

/* ---------------------------------------------------------- progress */

static VacuumProgressSlot *
progress_claim(bool is_auto)
{
	if (vacuum_shared == NULL)
		return NULL;
	for (int i = 0; i < VACUUM_PROGRESS_SLOTS; i++)
	{
		VacuumProgressSlot *p = &vacuum_shared->progress[i];
		int			expected = 0;

		if (atomic_compare_exchange_strong(&p->pid, &expected, (int) getpid()))
		{
			atomic_store(&p->is_auto, is_auto);
			atomic_store(&p->phase, PHASE_SCANNING_HEAP);
			atomic_store(&p->blocks_total, 0);
			atomic_store(&p->blocks_scanned, 0);
			atomic_store(&p->dead_items, 0);
			atomic_store(&p->index_entries_removed, 0);
			atomic_store(&p->started_ms, now_ms());
			return p;
		}
	}
	return NULL;
}

static void
progress_set(VacuumProgressSlot *p, _Atomic uint64_t *field, uint64_t v)
{
	if (p)
		atomic_store_explicit(field, v, memory_order_relaxed);
}

#define PROGRESS_SET(p, field, v) do { if (p) progress_set((p), &(p)->field, (v)); } while (0)
#define PROGRESS_PHASE(p, ph) do { if (p) atomic_store(&(p)->phase, (ph)); } while (0)

/* ---------------------------------------------------------- dead TIDs */

typedef struct DeadTids
{
	uint64_t   *tids;			/* block << 16 | offset, ascending */
	bool	   *found;			/* for one-database runs: entry removed */
	size_t		n;
	size_t		cap;
} DeadTids;

static inline uint64_t
pack_tid(BlockNumber blk, OffsetNumber off)
{
	return ((uint64_t) blk << 16) | off;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a,
				y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

static bool
tid_is_dead(const ItemPointerData *tid, void *arg)
{
	DeadTids   *d = arg;
	uint64_t	key = pack_tid(tid->block, tid->offset);
	size_t		lo = 0,
				hi = d->n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (d->tids[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->n && d->tids[lo] == key)
	{
		d->found[lo] = true;
		return true;
	}
	return false;
}

typedef struct VacState
{
	const VacuumParams *params;
	VacuumResult *result;
	VacuumProgressSlot *progress;
	DeadTids	dead;
	int			cost;
} VacState;

/* Stop soon: asked to, or the WAL cannot grow (a full disk; see XLogSpaceError). */
static bool
canceled(const VacState *vs)
{
	return (vs->params->cancel != NULL && *vs->params->cancel != 0) || XLogSpaceError() != 0;
}

static void
cost_add(VacState *vs, int cost)
{
	const VacuumParams *p = vs->params;

	if (p->cost_delay_ms <= 0 || p->cost_limit <= 0)
		return;
	vs->cost += cost;
	if (vs->cost >= p->cost_limit)
	{
		struct timespec ts = {p->cost_delay_ms / 1000, (long) (p->cost_delay_ms % 1000) * 1000000L};

		vs->cost = 0;
		nanosleep(&ts, NULL);
	}
}

/* Steps 2 and 3 for the TIDs collected so far. */
static bool
clean_dead(VacState *vs)
{
	DeadTids   *d = &vs->dead;
	uint64_t	removed = 0;
	bool		all = vs->params->db < 0;

	if (d->n == 0)
		return true;
	qsort(d->tids, d->n, sizeof(uint64_t), cmp_u64);
	memset(d->found, 0, sizeof(bool) * d->n);

	PROGRESS_PHASE(vs->progress, PHASE_CLEANING_INDEX);
	if (BtBulkDelete(REL_KEYSPACE_INDEX, vs->params->db, tid_is_dead, d, &removed) != BT_OK)
	{
		vs->result->failed = true;
		d->n = 0;
		return false;
	}
	vs->result->index_entries_removed += removed;
	PROGRESS_SET(vs->progress, index_entries_removed, vs->result->index_entries_removed);

	PROGRESS_PHASE(vs->progress, PHASE_WAITING);
	ProcWaitForStorageCommands();

	PROGRESS_PHASE(vs->progress, PHASE_FREEING_SLOTS);
	for (size_t i = 0; i < d->n;)
	{
		BlockNumber blk = (BlockNumber) (d->tids[i] >> 16);
		OffsetNumber offs[MaxOffsetNumber];
		int			n = 0;
		Buffer		buf;

		for (; i < d->n && (BlockNumber) (d->tids[i] >> 16) == blk; i++)
			if ((all || d->found[i]) && n < (int) MaxOffsetNumber)
				offs[n++] = (OffsetNumber) (d->tids[i] & 0xFFFF);
		if (n == 0)
			continue;
		buf = BufRead(REL_KEYSPACE_HEAP, blk);
		if (!BufferIsValid(buf))
		{
			vs->result->failed = true;
			break;
		}
		BufLockContent(buf, LW_EXCLUSIVE);
		vs->result->dead_items_freed += (uint64_t) HeapVacuumSetUnused(buf, offs, n);
		BufUnlockRelease(buf);
		cost_add(vs, VACUUM_COST_DIRTY);
	}
	d->n = 0;
	PROGRESS_PHASE(vs->progress, PHASE_SCANNING_HEAP);
	return !vs->result->failed;
}

static bool
vacuum_block(VacState *vs, BlockNumber blk, HeapVacuumPageResult *pr)
{
	VacuumResult *r = vs->result;
	Buffer		buf = BufRead(REL_KEYSPACE_HEAP, blk);

	if (!BufferIsValid(buf))
	{
		r->failed = true;
		return false;
	}
	BufLockContent(buf, LW_EXCLUSIVE);
	HeapVacuumPage(buf, r->horizon, r->freeze_limit, pr);
	BufUnlockRelease(buf);

	r->pages_scanned++;
	if (pr->pruned > 0)
		r->pages_pruned++;
	r->versions_removed += (uint64_t) pr->pruned;
	r->tuples_frozen += (uint64_t) pr->frozen;
	r->live_versions += (uint64_t) pr->live;
	r->recently_dead += (uint64_t) pr->recently_dead;
	r->unfrozen += (uint64_t) pr->unfrozen;
	cost_add(vs, VACUUM_COST_PAGE + (pr->pruned > 0 || pr->frozen > 0 ? VACUUM_COST_DIRTY : 0));

	if (vs->dead.n + (size_t) pr->ndead > vs->dead.cap && !clean_dead(vs))
		return false;
	for (int i = 0; i < pr->ndead; i++)
		vs->dead.tids[vs->dead.n++] = pack_tid(blk, pr->dead[i]);
	PROGRESS_SET(vs->progress, blocks_scanned, r->pages_scanned);
	PROGRESS_SET(vs->progress, dead_items, vs->dead.n);
	return true;
}

static bool
whole_heap(void *arg, BlockNumber *start, BlockNumber *end)
{
	bool	   *done = arg;

	if (*done)
		return false;
	*done = true;
	*start = 0;
	*end = SmgrNblocks(REL_KEYSPACE_HEAP);
	return *end != InvalidBlockNumber;
}

bool
VacuumRun(const VacuumParams *params, VacuumResult *result)
{
	VacState	vs;
	HeapVacuumPageResult *pr = MemAlloc(sizeof(HeapVacuumPageResult));
	VacuumNextRange next = params->next_range;
	void	   *next_arg = params->next_range_arg;
	bool		whole_done = false;
	int64_t		t0 = now_ms();
	uint64_t   *dead_at_start = NULL;
	BlockNumber start,
				end;

	memset(result, 0, sizeof(*result));
	memset(&vs, 0, sizeof(vs));
	vs.params = params;
	vs.result = result;
	vs.dead.cap = VACUUM_MAX_DEAD_TIDS;
	vs.dead.tids = MemAlloc(sizeof(uint64_t) * vs.dead.cap);
	vs.dead.found = MemAlloc(sizeof(bool) * vs.dead.cap);
	if (next == NULL)
	{
		next = whole_heap;
		next_arg = &whole_done;
	}
	if (MyProc)
		atomic_store(&MyProc->vacuuming, 1);
	vs.progress = progress_claim(params->is_auto);
	PROGRESS_SET(vs.progress, blocks_total, SmgrNblocks(REL_KEYSPACE_HEAP));

	/*
	 * What was counted dead before the run is what the run clears. A run
	 * over ranges (autovacuum workers) leaves that to whoever coordinates
	 * the workers (VacuumDeadCountsTake/Clear).
	 */
	if (vacuum_shared != NULL && params->next_range == NULL)
	{
		dead_at_start = MemAllocZero(sizeof(uint64_t) * (size_t) (vacuum_shared->ndatabases + 1));
		for (int db = 0; db < vacuum_shared->ndatabases; db++)
			if (params->db < 0 || params->db == db)
				dead_at_start[db] = atomic_load(&vacuum_shared->dead[db].created);
	}

	result->horizon = SnapshotGetOldestXmin();
	result->freeze_limit = result->horizon > params->freeze_min_age + FirstNormalTransactionId ?
		result->horizon - params->freeze_min_age : InvalidTransactionId;

	while (!result->failed && !result->canceled && next(next_arg, &start, &end))
	{
		for (BlockNumber blk = start; blk < end; blk++)
		{
			if (canceled(&vs))
			{
				result->canceled = true;
				break;
			}
			if (!vacuum_block(&vs, blk, pr))
				break;
		}
	}
	if (!result->failed)
		clean_dead(&vs);
	/* the freezes must be durable before anyone truncates the commit log */
	XLogFlush(XLogGetInsertPosition());

	if (vacuum_shared != NULL)
	{
		VacuumShared *vsh = vacuum_shared;

		if (dead_at_start != NULL)
			VacuumDeadCountsClear(dead_at_start);
		atomic_fetch_add(&vsh->versions_removed, result->versions_removed);
		atomic_fetch_add(&vsh->dead_items_freed, result->dead_items_freed);
		atomic_fetch_add(&vsh->index_entries_removed, result->index_entries_removed);
		atomic_fetch_add(&vsh->tuples_frozen, result->tuples_frozen);
		atomic_fetch_add(&vsh->pages_scanned, result->pages_scanned);
	}
	if (vs.progress)
		atomic_store(&vs.progress->pid, 0);
	if (MyProc)
		atomic_store(&MyProc->vacuuming, 0);
	MemFree(dead_at_start);
	MemFree(vs.dead.tids);
	MemFree(vs.dead.found);
	MemFree(pr);
	result->seconds = (double) (now_ms() - t0) / 1000.0;
	return !result->failed && !result->canceled;
}

uint64_t *
VacuumDeadCountsTake(void)
{
	uint64_t   *counts;

	if (vacuum_shared == NULL)
		return NULL;
	counts = MemAllocZero(sizeof(uint64_t) * (size_t) (vacuum_shared->ndatabases + 1));
	for (int db = 0; db < vacuum_shared->ndatabases; db++)
		counts[db] = atomic_load(&vacuum_shared->dead[db].created);
	return counts;
}

void
VacuumDeadCountsClear(uint64_t *counts)
{
	if (vacuum_shared == NULL || counts == NULL)
		return;
	for (int db = 0; db < vacuum_shared->ndatabases; db++)
	{
		uint64_t	cur = atomic_load(&vacuum_shared->dead[db].cleared);

		while (cur < counts[db] &&
			   !atomic_compare_exchange_weak(&vacuum_shared->dead[db].cleared, &cur, counts[db]))
			;
	}
}

TransactionId
VacuumAdvanceFrozenXid(TransactionId freeze_limit)
{
	uint64_t	old;

	if (vacuum_shared == NULL || freeze_limit == InvalidTransactionId)
		return VacuumFrozenXid();
	old = atomic_load(&vacuum_shared->frozen_xid);
	while (old < freeze_limit &&
		   !atomic_compare_exchange_weak(&vacuum_shared->frozen_xid, &old, freeze_limit))
		;
	(void) ClogTruncate(freeze_limit);
	return atomic_load(&vacuum_shared->frozen_xid);
}

void
VacuumNoteRunDone(bool is_auto, uint64_t live_estimate)
{
	if (vacuum_shared == NULL)
		return;
	atomic_store(&vacuum_shared->live_estimate, live_estimate);
	if (is_auto)
	{
		atomic_fetch_add(&vacuum_shared->autovacuum_runs, 1);
		atomic_store(&vacuum_shared->last_autovacuum_ms, now_ms());
	}
	else
	{
		atomic_fetch_add(&vacuum_shared->vacuum_runs, 1);
		atomic_store(&vacuum_shared->last_vacuum_ms, now_ms());
	}
}

void
VacuumGetInfo(VacuumInfo *out)
{
	VacuumShared *v = vacuum_shared;

	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return;
	out->dead_versions = 0;
	for (int db = 0; db < v->ndatabases; db++)
		out->dead_versions += VacuumDeadVersions(db);
	out->live_estimate = atomic_load(&v->live_estimate);
	out->vacuum_runs = atomic_load(&v->vacuum_runs);
	out->autovacuum_runs = atomic_load(&v->autovacuum_runs);
	out->last_vacuum_ms = atomic_load(&v->last_vacuum_ms);
	out->last_autovacuum_ms = atomic_load(&v->last_autovacuum_ms);
	out->versions_removed = atomic_load(&v->versions_removed);
	out->dead_items_freed = atomic_load(&v->dead_items_freed);
	out->index_entries_removed = atomic_load(&v->index_entries_removed);
	out->tuples_frozen = atomic_load(&v->tuples_frozen);
	out->pages_scanned = atomic_load(&v->pages_scanned);
	out->frozen_xid = atomic_load(&v->frozen_xid);
	for (int i = 0; i < VACUUM_PROGRESS_SLOTS; i++)
	{
		VacuumProgressSlot *p = &v->progress[i];
		VacuumProgress *o;
		int			pid = atomic_load(&p->pid);
		int			phase;

		if (pid == 0)
			continue;
		o = &out->progress[out->nprogress++];
		o->pid = pid;
		o->is_auto = atomic_load(&p->is_auto);
		phase = atomic_load(&p->phase);
		o->phase = phase >= 1 && phase <= PHASE_FREEING_SLOTS ? phase_names[phase] : "starting";
		o->blocks_total = atomic_load(&p->blocks_total);
		o->blocks_scanned = atomic_load(&p->blocks_scanned);
		o->dead_items = atomic_load(&p->dead_items);
		o->index_entries_removed = atomic_load(&p->index_entries_removed);
		o->started_ms = atomic_load(&p->started_ms);
	}
}
