/*
 * stats.h
 *	  Activity counters for INFO (stats, commandstats, errorstats): one
 *	  padded block per process slot, written only by the process that owns
 *	  the slot, summed by readers.
 *
 * NOTES
 *	  Every process that has a slot in the process array (storage/proc.h)
 *	  counts into the block with the same number, with relaxed atomic loads
 *	  and stores (no read-modify-write: it is the only writer). Readers (INFO)
 *	  add up the blocks of every slot ever used; they take no lock.
 *
 *	  The counters belong to the slot, not to the process: when a process
 *	  exits, its counts stay in the block, and the next process given the
 *	  slot goes on adding to them, so the totals never lose what a dead
 *	  process counted. Nothing has to move them anywhere at exit.
 *
 *	  Per-command counters are kept sparsely: a block has room for
 *	  STATS_SLOT_COMMANDS distinct commands (a connection rarely uses more);
 *	  a process that uses more counts the rest into shared per-command
 *	  counters with atomic adds. That keeps a block under 1 KB whatever the
 *	  size of the command table (maxclients blocks are allocated).
 *
 *	  CONFIG RESETSTAT (StatsReset) bumps a shared generation and zeroes the
 *	  shared counters. Each block records the generation its counts belong
 *	  to; readers ignore blocks of an older generation, and the owner zeroes
 *	  its block when it next counts something. So an idle process's counts
 *	  disappear at once, without anyone writing into its block.
 *
 *	  The postmaster has no slot; it counts rejected connections into a
 *	  shared counter of its own with an atomic add (it takes no lock).
 *	  Without StatsShmemInit (unit tests, tools) every call is a no-op.
 *
 *	  Across a clean restart the counters continue (server/statsproc.c
 *	  saves StatsCollect's sums at shutdown); the postmaster hands what it
 *	  loaded to StatsRestoreBase before the first fork, and StatsCollect
 *	  adds that base in until the next StatsReset. After a crash there is
 *	  no file and counting starts from zero.
 *
 *	  The stats process samples StatsCollect every 100 ms and publishes
 *	  Redis's instantaneous rates with StatsPublishRates; INFO reads them
 *	  with StatsGetRates.
 */
#ifndef TUSK_STATS_H
#define TUSK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_MAX_COMMANDS	1024	/* command table entries, subcommands included */
#define STATS_SLOT_COMMANDS	16	/* distinct commands counted in a slot's block */

/*
 * Error reply prefixes counted for errorstats (the first word of the
 * error), in the order INFO prints them; anything else counts as "other".
 */
#define STATS_NUM_ERRORS	28
#define STATS_ERROR_OTHER	(STATS_NUM_ERRORS - 1)
extern const char *const stats_error_names[STATS_NUM_ERRORS];

typedef struct StatsCommandCounts
{
	uint64_t	calls;
	uint64_t	usec;
	uint64_t	rejected_calls;
	uint64_t	failed_calls;
} StatsCommandCounts;

typedef struct StatsTotals
{
	uint64_t	total_commands;
	uint64_t	total_connections;	/* since the last reset */
	uint64_t	rejected_connections;
	uint64_t	keyspace_hits;
	uint64_t	keyspace_misses;
	uint64_t	expired_keys;
	uint64_t	net_input_bytes;
	uint64_t	net_output_bytes;
	uint64_t	reads_processed;
	uint64_t	writes_processed;
	uint64_t	error_replies;
	uint64_t	errors[STATS_NUM_ERRORS];
} StatsTotals;

/* Postmaster, before forking: one block per process slot. */
size_t		StatsShmemSize(int nslots);
void		StatsShmemInit(int nslots);

/* Owner side: count into this process's block (no-op without a slot). */
void		StatsCommandCall(int cmd_index, uint64_t usec, bool failed);
void		StatsCommandRejected(int cmd_index);	/* -1: no command */
void		StatsErrorReply(const char *prefix, size_t len);
void		StatsKeyspaceLookup(bool hit);
void		StatsExpiredKeys(uint64_t n);
void		StatsNetInput(uint64_t bytes);
void		StatsNetOutput(uint64_t bytes);

/* Postmaster: a connection refused (maxclients). */
void		StatsRejectedConnection(void);

/* CONFIG RESETSTAT: every counter above starts again from zero. */
void		StatsReset(void);

/*
 * Readers: the sums over every slot; per_command (may be NULL) gets
 * STATS_MAX_COMMANDS entries indexed by command index.
 */
void		StatsCollect(StatsTotals *out, StatsCommandCounts *per_command);

/*
 * Postmaster, after StatsShmemInit and before forking: counts saved at the
 * last clean shutdown, added in by StatsCollect until StatsReset.
 * per_command (may be NULL) has ncommands entries indexed by command index.
 */
void		StatsRestoreBase(const StatsTotals *totals,
							 const StatsCommandCounts *per_command, int ncommands);

/* Redis's instantaneous_* metrics, as averaged by the stats process. */
typedef struct StatsRates
{
	uint64_t	ops_per_sec;
	uint64_t	input_bytes_per_sec;
	uint64_t	output_bytes_per_sec;
} StatsRates;

void		StatsPublishRates(const StatsRates *rates);	/* stats process */
void		StatsGetRates(StatsRates *out); /* zero until the first sample */

/* Highest used_memory reported so far (INFO's used_memory_peak). */
uint64_t	StatsNoteMemory(uint64_t used);

#endif
