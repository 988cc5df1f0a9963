/*
 * autovacuum.c
 *	  The autovacuum launcher and its workers.
 *
 * NOTES
 *	  The launcher wakes four times a second. When no run is going on and
 *	  autovacuum_naptime has passed since the last one started, it starts a
 *	  run if the versions that died since then exceed
 *	  autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor x the
 *	  live versions the last run saw (PostgreSQL's rule), or if more than
 *	  autovacuum_freeze_max_age transactions are not frozen yet. There is one
 *	  heap for every database, so a run covers the whole heap: the launcher
 *	  cuts it into ranges of AV_RANGE_BLOCKS blocks, asks the postmaster
 *	  (SIGUSR1) for up to autovacuum_max_workers workers, and each worker
 *	  claims ranges from a shared cursor until none is left, running
 *	  storage/vacuum.c over them with the cost-based delay. When the cursor
 *	  is past the end and no worker is active, the run is over: the
 *	  launcher advances the frozen horizon (truncating the commit log) if
 *	  no worker left anything unfrozen, and counts the run.
 *
 *	  AutoVacShared is all atomics, no lock. A worker counts itself active
 *	  before it claims its first range, so "cursor past the end and nobody
 *	  active" means every claimed range is done. A worker that dies takes
 *	  the whole server through crash restart, which rebuilds this state.
 */
#include "config.h"

#include "server/auxprocess.h"
#include "server/settings.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/snapshot.h"
#include "storage/vacuum.h"
#include "storage/xact.h"
#include "wal/xlog.h"

#include <signal.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define AV_RANGE_BLOCKS 256		/* 2 MiB of heap per claim */
#define AV_TICK_MS 250
#define AV_STALL_MS 10000		/* no worker for this long: ask again */

typedef struct AutoVacShared
{
	_Atomic int worker_requests;	/* taken by the postmaster */
	_Atomic uint64_t run_id;		/* 0: no run going on */
	_Atomic uint32_t next_block;	/* cursor: next range to claim */
	_Atomic uint32_t nblocks;		/* end of this run */
	_Atomic int workers_active;
	_Atomic int failed;				/* a worker stopped early */
	_Atomic uint64_t unfrozen;
	_Atomic uint64_t freeze_limit;	/* smallest of the workers' */
	_Atomic uint64_t live;
	_Atomic uint64_t run_freeze_cap;	/* from the horizon read before nblocks */
	_Atomic int64_t last_activity_ms;
} AutoVacShared;

static AutoVacShared *av_shared;

size_t
AutoVacShmemSize(void)
{
	return CACHELINE_ALIGN(sizeof(AutoVacShared));
}

void
AutoVacShmemInit(void)
{
	av_shared = ShmemAlloc(sizeof(AutoVacShared));
	memset(av_shared, 0, sizeof(AutoVacShared));
}

int
AutoVacTakeWorkerRequests(void)
{
	return av_shared ? atomic_exchange(&av_shared->worker_requests, 0) : 0;
}

static void
request_workers(int n)
{
	atomic_fetch_add(&av_shared->worker_requests, n);
	kill(getppid(), SIGUSR1);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------- launcher */

static bool
run_wanted(void)
{
	uint64_t	dead = VacuumDeadSinceLastRun();
	double		threshold = (double) server_config->autovacuum_vacuum_threshold +
		server_config->autovacuum_vacuum_scale_factor * (double) VacuumLiveEstimate();
	TransactionId next_xid = XactReadNextXid();
	TransactionId frozen = VacuumFrozenXid();

	if ((double) dead > threshold)
		return true;
	return next_xid > frozen &&
		next_xid - frozen > (uint64_t) server_config->autovacuum_freeze_max_age;
}

static uint64_t *run_dead_counts;

static void
start_run(uint64_t run_id)
{
	/*
	 * Every transaction below this horizon finished before nblocks is
	 * read, so all its tuples are in the blocks this run covers: the frozen
	 * horizon the run can establish is capped by it.
	 */
	TransactionId horizon = SnapshotGetOldestXmin();
	BlockNumber nblocks = SmgrNblocks(REL_KEYSPACE_HEAP);
	uint64_t	min_age = (uint64_t) server_config->vacuum_freeze_min_age;
	int			workers;

	if (nblocks == 0 || nblocks == InvalidBlockNumber)
		return;
	VacuumNoteRunStart();
	MemFree(run_dead_counts);
	run_dead_counts = VacuumDeadCountsTake();
	atomic_store(&av_shared->nblocks, nblocks);
	atomic_store(&av_shared->next_block, 0);
	atomic_store(&av_shared->failed, 0);
	atomic_store(&av_shared->unfrozen, 0);
	atomic_store(&av_shared->freeze_limit, UINT64_MAX);
	atomic_store(&av_shared->live, 0);
	atomic_store(&av_shared->run_freeze_cap,
				 horizon > min_age + FirstNormalTransactionId ? horizon - min_age : 0);
	atomic_store(&av_shared->last_activity_ms, NowMs());
	atomic_store(&av_shared->run_id, run_id);
	workers = (int) ((nblocks + AV_RANGE_BLOCKS - 1) / AV_RANGE_BLOCKS);
	if (workers > server_config->autovacuum_max_workers)
		workers = server_config->autovacuum_max_workers;
	elog(VERBOSE, "autovacuum: run %llu over %u blocks with %d worker(s)",
		 (unsigned long long) run_id, nblocks, workers);
	request_workers(workers);
}

static void
finish_run(void)
{
	uint64_t	limit = atomic_load(&av_shared->freeze_limit);
	uint64_t	cap = atomic_load(&av_shared->run_freeze_cap);

	if (cap < limit)
		limit = cap;
	if (!atomic_load(&av_shared->failed) && atomic_load(&av_shared->unfrozen) == 0 && limit > 0)
		VacuumAdvanceFrozenXid(limit);
	if (!atomic_load(&av_shared->failed))
		VacuumDeadCountsClear(run_dead_counts);
	VacuumNoteRunDone(true, atomic_load(&av_shared->live));
	atomic_store(&av_shared->run_id, 0);
}

void
AutoVacLauncherMain(void)
{
	uint64_t	runs = 0;
	int64_t		last_start_ms = 0;

	while (!aux_shutdown_requested)
	{
		int64_t		now = NowMs();

		if (atomic_load(&av_shared->run_id) != 0)
		{
			bool		claimed = atomic_load(&av_shared->next_block) >= atomic_load(&av_shared->nblocks);
			int			active = atomic_load(&av_shared->workers_active);

			if (claimed && active == 0)
				finish_run();
			else if (active == 0 && now - atomic_load(&av_shared->last_activity_ms) > AV_STALL_MS)
			{
				/* the workers we asked for never came (fork failed?) */
				atomic_store(&av_shared->last_activity_ms, now);
				request_workers(1);
			}
		}
		else if (server_config->autovacuum &&
				 now - last_start_ms >= (int64_t) server_config->autovacuum_naptime * 1000 &&
				 run_wanted())
		{
			last_start_ms = now;
			start_run(++runs);
		}
		sleep_ms(AV_TICK_MS);
	}
}

/* ---------------------------------------------------------- worker */

static bool
claim_range(void *arg, BlockNumber *start, BlockNumber *end)
{
	uint32_t	nblocks = atomic_load(&av_shared->nblocks);
	uint32_t	first = atomic_fetch_add(&av_shared->next_block, AV_RANGE_BLOCKS);

	if (first >= nblocks || aux_shutdown_requested)
		return false;
	*start = first;
	*end = first + AV_RANGE_BLOCKS < nblocks ? first + AV_RANGE_BLOCKS : nblocks;
	atomic_store(&av_shared->last_activity_ms, NowMs());
	return true;
}

static void
atomic_min_u64(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t	old = atomic_load(p);

	while (v < old && !atomic_compare_exchange_weak(p, &old, v))
		;
}

void
AutoVacWorkerMain(void)
{
	VacuumParams params = {0};
	VacuumResult result;

	atomic_fetch_add(&av_shared->workers_active, 1);
	if (atomic_load(&av_shared->run_id) == 0)
	{
		atomic_fetch_sub(&av_shared->workers_active, 1);
		return;
	}
	params.db = -1;
	params.freeze_min_age = (uint64_t) server_config->vacuum_freeze_min_age;
	params.cost_limit = server_config->autovacuum_vacuum_cost_limit;
	params.cost_delay_ms = server_config->autovacuum_vacuum_cost_delay;
	params.is_auto = true;
	params.cancel = &aux_shutdown_requested;
	params.next_range = claim_range;
	params.next_range_arg = NULL;

	if (!VacuumRun(&params, &result))
		atomic_store(&av_shared->failed, 1);
	atomic_fetch_add(&av_shared->unfrozen, result.unfrozen);
	atomic_fetch_add(&av_shared->live, result.live_versions + result.recently_dead);
	if (result.pages_scanned > 0)
		atomic_min_u64(&av_shared->freeze_limit, result.freeze_limit);
	elog(VERBOSE, "autovacuum worker: %llu pages, %llu versions removed, %llu dead slots freed, "
		 "%llu index entries removed, %llu frozen in %.2f s",
		 (unsigned long long) result.pages_scanned, (unsigned long long) result.versions_removed,
		 (unsigned long long) result.dead_items_freed,
		 (unsigned long long) result.index_entries_removed,
		 (unsigned long long) result.tuples_frozen, result.seconds);
	atomic_store(&av_shared->last_activity_ms, NowMs());
	atomic_fetch_sub(&av_shared->workers_active, 1);
}

/* For INFO: workers running now. */
int
AutoVacWorkersActive(void)
{
	return av_shared ? atomic_load(&av_shared->workers_active) : 0;
}
