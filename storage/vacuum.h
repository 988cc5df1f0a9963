/*
 * vacuum.h
 *	  Vacuum of the keyspace heap: prune every page, remove the index
 *	  entries that point at dead versions, free their slots, freeze old
 *	  versions and advance the horizon below which the commit log is no
 *	  longer read.
 *
 * NOTES
 *	  Runs in autovacuum workers (server/autovacuum.c) and in a backend for
 *	  TUSK VACUUM. Takes one heap page lock at a time, then one index leaf
 *	  lock at a time (BtBulkDelete), never both. Between removing index
 *	  entries and freeing the slots they pointed at it waits for every
 *	  command that was running (ProcWaitForStorageCommands), because a
 *	  command may hold a TID it read from the index before the entry went.
 *	  The shared counters are atomics without a lock. storage/README.md,
 *	  "Vacuum", has the rules.
 */
#ifndef TUSK_VACUUM_H
#define TUSK_VACUUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/xact.h"

#define VACUUM_PROGRESS_SLOTS 16

/*
 * Where the blocks to vacuum come from: the next range [*start, *end),
 * false when there is none left. NULL in VacuumParams: the whole heap.
 */
typedef bool (*VacuumNextRange)(void *arg, BlockNumber *start, BlockNumber *end);

typedef struct VacuumParams
{
	int			db;				/* index entries of this db only; -1: all */
	uint64_t	freeze_min_age; /* freeze xmins older than horizon - this */
	int			cost_limit;		/* sleep after this much cost ... */
	int			cost_delay_ms;	/* ... for this long; 0: never */
	bool		is_auto;		/* counted as autovacuum */
	volatile int *cancel;		/* when set and non-zero: stop soon */
	VacuumNextRange next_range;
	void	   *next_range_arg;
} VacuumParams;

typedef struct VacuumResult
{
	uint64_t	pages_scanned;
	uint64_t	pages_pruned;
	uint64_t	versions_removed;	/* line pointers freed or made dead by
									 * pruning */
	uint64_t	dead_items_freed;	/* LP_DEAD slots made reusable */
	uint64_t	index_entries_removed;
	uint64_t	tuples_frozen;
	uint64_t	live_versions;
	uint64_t	recently_dead;
	uint64_t	unfrozen;		/* below the freeze limit, not freezable yet */
	TransactionId horizon;
	TransactionId freeze_limit;
	bool		canceled;
	bool		failed;			/* an I/O error (logged) */
	double		seconds;
} VacuumResult;

/* Shared state: counters for INFO and the autovacuum launcher. */
size_t		VacuumShmemSize(int ndatabases);
void		VacuumShmemInit(int ndatabases);

/* Writers: one more dead version (a replaced or deleted one) in db. */
void		VacuumNoteDeadVersions(int db, uint64_t n);

/*
 * Vacuum the heap as params say. Call without locks or pins. Returns false
 * if it stopped early (canceled or an I/O error); the result still counts
 * what was done.
 */
bool		VacuumRun(const VacuumParams *params, VacuumResult *result);

/*
 * After a run that covered every block with result->unfrozen == 0: every
 * xid below result->freeze_limit is frozen; make that durable and truncate
 * the commit log below it. Returns the new frozen horizon.
 */
TransactionId VacuumAdvanceFrozenXid(TransactionId freeze_limit);

/*
 * Per-database counts of versions that died so far, at the start of a run
 * (MemAlloc'd); at its end, Clear marks everything counted then as gone
 * (versions that died during the run stay counted). Clear frees nothing.
 */
uint64_t   *VacuumDeadCountsTake(void);
void		VacuumDeadCountsClear(uint64_t *counts);

/* Counting a finished run (whole heap or an autovacuum run of workers). */
void		VacuumNoteRunDone(bool is_auto, uint64_t live_estimate);

typedef struct VacuumProgress
{
	int			pid;
	bool		is_auto;
	const char *phase;
	uint64_t	blocks_total;
	uint64_t	blocks_scanned;
	uint64_t	dead_items;
	uint64_t	index_entries_removed;
	int64_t		started_ms;
} VacuumProgress;

typedef struct VacuumInfo
{
	uint64_t	dead_versions;	/* since the last vacuum, estimate */
	uint64_t	live_estimate;	/* live versions seen by the last full run */
	uint64_t	vacuum_runs;
	uint64_t	autovacuum_runs;
	int64_t		last_vacuum_ms;
	int64_t		last_autovacuum_ms;
	uint64_t	versions_removed;
	uint64_t	dead_items_freed;
	uint64_t	index_entries_removed;
	uint64_t	tuples_frozen;
	uint64_t	pages_scanned;
	TransactionId frozen_xid;
	int			nprogress;
	VacuumProgress progress[VACUUM_PROGRESS_SLOTS];
} VacuumInfo;

void		VacuumGetInfo(VacuumInfo *out);
/* Per-database dead versions since the last vacuum (0 past ndatabases). */
uint64_t	VacuumDeadVersions(int db);

/* Dead versions since the last run started, for the launcher's trigger. */
uint64_t	VacuumDeadSinceLastRun(void);
/* The launcher starts a run: the dead-version count starts again. */
void		VacuumNoteRunStart(void);
uint64_t	VacuumLiveEstimate(void);
TransactionId VacuumFrozenXid(void);

#endif
