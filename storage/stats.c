/*
 * stats.c
 *	  Per-process activity counters in shared memory, summed by readers.
 *
 * NOTES
 *	  Runs in every process with a slot (owner side), in backends running
 *	  INFO or CONFIG RESETSTAT (reader and reset side), in the stats process
 *	  (StatsCollect, StatsPublishRates) and in the postmaster (layout,
 *	  StatsRestoreBase before forking, StatsRejectedConnection). No locks:
 *	  see stats.h for who writes what and how a reset reaches blocks nobody
 *	  is writing.
 */
#include "config.h"

#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/stats.h"

#include <stdatomic.h>
#include <string.h>

/* Sorted as Redis's error table (a radix tree) prints them; OTHER last. */
const char *const stats_error_names[STATS_NUM_ERRORS] = {
	"ASK", "BUSY", "BUSYGROUP", "BUSYKEY", "CLUSTERDOWN", "CROSSSLOT", "ERR",
	"EXECABORT", "INVALIDOBJ", "LOADING", "MASTERDOWN", "MISCONF", "MOVED", "NOAUTH",
	"NOGROUP", "NOPERM", "NOPROTO", "NOREPLICAS", "NOSCRIPT", "NOTBUSY", "OOM",
	"READONLY", "TRYAGAIN", "UNBLOCKED", "UNKILLABLE", "WRONGPASS", "WRONGTYPE",
	"OTHER",
};

typedef struct StatsCommandEntry
{
	_Atomic uint32_t cmd;		/* command index + 1; 0: unused */
	uint32_t	padding;
	_Atomic uint64_t calls;
	_Atomic uint64_t usec;
	_Atomic uint64_t rejected_calls;
	_Atomic uint64_t failed_calls;
} StatsCommandEntry;

/*
 * One block per process slot. Written only by the slot's current owner;
 * read by anyone with relaxed loads. `generation` is the reset generation
 * the counts belong to (stored with release after the owner zeroed them).
 */
typedef struct StatsSlot
{
	_Atomic uint64_t generation;
	_Atomic uint64_t total_commands;
	_Atomic uint64_t keyspace_hits;
	_Atomic uint64_t keyspace_misses;
	_Atomic uint64_t expired_keys;
	_Atomic uint64_t net_input_bytes;
	_Atomic uint64_t net_output_bytes;
	_Atomic uint64_t reads_processed;
	_Atomic uint64_t writes_processed;
	_Atomic uint64_t error_replies;
	_Atomic uint64_t errors[STATS_NUM_ERRORS];
	StatsCommandEntry commands[STATS_SLOT_COMMANDS];
} __attribute__((aligned(CACHELINE_SIZE))) StatsSlot;

/* Shared counters, changed with atomic read-modify-write by anyone. */
typedef struct StatsSharedCommand
{
	_Atomic uint64_t calls;
	_Atomic uint64_t usec;
	_Atomic uint64_t rejected_calls;
	_Atomic uint64_t failed_calls;
} StatsSharedCommand;

typedef struct StatsShared
{
	int			nslots;
	_Atomic uint64_t generation;	/* bumped by StatsReset */
	_Atomic uint64_t rejected_connections;	/* postmaster adds */
	_Atomic uint64_t rejected_connections_base;	/* value at the last reset */
	_Atomic uint64_t total_connections_base;	/* proc_array's, at the last reset */
	_Atomic uint64_t used_memory_peak;

	/*
	 * Rates published by the stats process (StatsPublishRates); zeroed by
	 * StatsReset.
	 */
	_Atomic uint64_t ops_per_sec;
	_Atomic uint64_t input_bytes_per_sec;
	_Atomic uint64_t output_bytes_per_sec;

	/*
	 * Counts restored from the last clean shutdown (StatsRestoreBase, in the
	 * postmaster before the first fork): readers add them in; StatsReset
	 * zeroes them. Only the totals part of `restored` is used (its
	 * generation and command entries are not); per-command counts are
	 * restored into `shared`.
	 */
	StatsSlot	restored;
	_Atomic uint64_t restored_connections;
	_Atomic uint64_t restored_rejected_connections;

	/*
	 * Per-command counts of commands that did not fit in their process's
	 * block, plus those restored at start.
	 */
	StatsSharedCommand shared[STATS_MAX_COMMANDS];
	StatsSlot	slots[];
} StatsShared;

static StatsShared *stats_shared;
static StatsSlot *my_slot;		/* this process's block, found lazily */

size_t
StatsShmemSize(int nslots)
{
	return sizeof(StatsShared) + sizeof(StatsSlot) * (size_t) nslots;
}

void
StatsShmemInit(int nslots)
{
	stats_shared = ShmemAlloc(StatsShmemSize(nslots));
	stats_shared->nslots = nslots;
	my_slot = NULL;
}

/* Single-writer add: a plain load and store, never torn for readers. */
static inline void
own_add(_Atomic uint64_t *p, uint64_t n)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
						  memory_order_relaxed);
}

static void
zero_slot(StatsSlot *s)
{
	atomic_store_explicit(&s->total_commands, 0, memory_order_relaxed);
	atomic_store_explicit(&s->keyspace_hits, 0, memory_order_relaxed);
	atomic_store_explicit(&s->keyspace_misses, 0, memory_order_relaxed);
	atomic_store_explicit(&s->expired_keys, 0, memory_order_relaxed);
	atomic_store_explicit(&s->net_input_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&s->net_output_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&s->reads_processed, 0, memory_order_relaxed);
	atomic_store_explicit(&s->writes_processed, 0, memory_order_relaxed);
	atomic_store_explicit(&s->error_replies, 0, memory_order_relaxed);
	for (int i = 0; i < STATS_NUM_ERRORS; i++)
		atomic_store_explicit(&s->errors[i], 0, memory_order_relaxed);
	for (int i = 0; i < STATS_SLOT_COMMANDS; i++)
	{
		StatsCommandEntry *e = &s->commands[i];

		atomic_store_explicit(&e->cmd, 0, memory_order_relaxed);
		atomic_store_explicit(&e->calls, 0, memory_order_relaxed);
		atomic_store_explicit(&e->usec, 0, memory_order_relaxed);
		atomic_store_explicit(&e->rejected_calls, 0, memory_order_relaxed);
		atomic_store_explicit(&e->failed_calls, 0, memory_order_relaxed);
	}
}

/*
 * This process's block, zeroed first if a reset happened since it last
 * counted; NULL in a process without a slot (postmaster, tools).
 */
static StatsSlot *
mine(void)
{
	uint64_t	gen;

	if (my_slot == NULL)
	{
		int			slotno;

		if (stats_shared == NULL || MyProc == NULL || proc_array == NULL)
			return NULL;
		slotno = (int) (MyProc - proc_array->slots);
		if (slotno < 0 || slotno >= stats_shared->nslots)
			return NULL;
		my_slot = &stats_shared->slots[slotno];
	}
	gen = atomic_load_explicit(&stats_shared->generation, memory_order_relaxed);
	if (atomic_load_explicit(&my_slot->generation, memory_order_relaxed) != gen)
	{
		zero_slot(my_slot);
		atomic_store_explicit(&my_slot->generation, gen, memory_order_release);
	}
	return my_slot;
}

/* The block's entry for a command, claimed if new; NULL when full. */
static StatsCommandEntry *
command_entry(StatsSlot *s, int cmd_index)
{
	uint32_t	want = (uint32_t) cmd_index + 1;
	int			start = (int) ((want * 2654435761u) % STATS_SLOT_COMMANDS);

	for (int i = 0; i < STATS_SLOT_COMMANDS; i++)
	{
		StatsCommandEntry *e = &s->commands[(start + i) % STATS_SLOT_COMMANDS];
		uint32_t	have = atomic_load_explicit(&e->cmd, memory_order_relaxed);

		if (have == want)
			return e;
		if (have == 0)
		{
			/* counters are zero here; publish the owner of the entry */
			atomic_store_explicit(&e->cmd, want, memory_order_release);
			return e;
		}
	}
	return NULL;
}

void
StatsCommandCall(int cmd_index, uint64_t usec, bool failed)
{
	StatsSlot  *s = mine();
	StatsCommandEntry *e;

	if (s == NULL)
		return;
	own_add(&s->total_commands, 1);
	if (cmd_index < 0 || cmd_index >= STATS_MAX_COMMANDS)
		return;
	e = command_entry(s, cmd_index);
	if (e)
	{
		own_add(&e->calls, 1);
		own_add(&e->usec, usec);
		if (failed)
			own_add(&e->failed_calls, 1);
	}
	else
	{
		StatsSharedCommand *o = &stats_shared->shared[cmd_index];

		atomic_fetch_add_explicit(&o->calls, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&o->usec, usec, memory_order_relaxed);
		if (failed)
			atomic_fetch_add_explicit(&o->failed_calls, 1, memory_order_relaxed);
	}
}

void
StatsCommandRejected(int cmd_index)
{
	StatsSlot  *s = mine();
	StatsCommandEntry *e;

	if (s == NULL || cmd_index < 0 || cmd_index >= STATS_MAX_COMMANDS)
		return;
	e = command_entry(s, cmd_index);
	if (e)
		own_add(&e->rejected_calls, 1);
	else
		atomic_fetch_add_explicit(&stats_shared->shared[cmd_index].rejected_calls, 1,
								  memory_order_relaxed);
}

void
StatsErrorReply(const char *prefix, size_t len)
{
	StatsSlot  *s = mine();
	int			which = STATS_ERROR_OTHER;

	if (s == NULL)
		return;
	for (int i = 0; i < STATS_ERROR_OTHER; i++)
	{
		if (strlen(stats_error_names[i]) == len && memcmp(stats_error_names[i], prefix, len) == 0)
		{
			which = i;
			break;
		}
	}
	own_add(&s->error_replies, 1);
	own_add(&s->errors[which], 1);
}

void
StatsKeyspaceLookup(bool hit)
{
	StatsSlot  *s = mine();

	if (s)
		own_add(hit ? &s->keyspace_hits : &s->keyspace_misses, 1);
}

void
StatsExpiredKeys(uint64_t n)
{
	StatsSlot  *s = mine();

	if (s && n > 0)
		own_add(&s->expired_keys, n);
}

void
StatsNetInput(uint64_t bytes)
{
	StatsSlot  *s = mine();

	if (s)
	{
		own_add(&s->net_input_bytes, bytes);
		own_add(&s->reads_processed, 1);
	}
}

void
StatsNetOutput(uint64_t bytes)
{
	StatsSlot  *s = mine();

	if (s)
	{
		own_add(&s->net_output_bytes, bytes);
		own_add(&s->writes_processed, 1);
	}
}

void
StatsRejectedConnection(void)
{
	if (stats_shared)
		atomic_fetch_add_explicit(&stats_shared->rejected_connections, 1, memory_order_relaxed);
}

/*
 * Blocks catch up lazily (mine()); the shared counters are zeroed here. An
 * increment racing with the reset may survive it or be lost, as in Redis
 * where a command running during CONFIG RESETSTAT is counted either way.
 */
void
StatsReset(void)
{
	if (stats_shared == NULL)
		return;
	atomic_store(&stats_shared->rejected_connections_base,
				 atomic_load(&stats_shared->rejected_connections));
	if (proc_array)
		atomic_store(&stats_shared->total_connections_base,
					 atomic_load(&proc_array->total_connections));
	zero_slot(&stats_shared->restored);
	atomic_store(&stats_shared->restored_connections, 0);
	atomic_store(&stats_shared->restored_rejected_connections, 0);
	atomic_store(&stats_shared->ops_per_sec, 0);
	atomic_store(&stats_shared->input_bytes_per_sec, 0);
	atomic_store(&stats_shared->output_bytes_per_sec, 0);
	for (int i = 0; i < STATS_MAX_COMMANDS; i++)
	{
		StatsSharedCommand *o = &stats_shared->shared[i];

		atomic_store_explicit(&o->calls, 0, memory_order_relaxed);
		atomic_store_explicit(&o->usec, 0, memory_order_relaxed);
		atomic_store_explicit(&o->rejected_calls, 0, memory_order_relaxed);
		atomic_store_explicit(&o->failed_calls, 0, memory_order_relaxed);
	}
	atomic_fetch_add(&stats_shared->generation, 1);
}

static inline uint64_t
ld(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

/* Add the totals of a block (not its command entries). */
static void
add_block_totals(StatsTotals *out, StatsSlot *s)
{
	out->total_commands += ld(&s->total_commands);
	out->keyspace_hits += ld(&s->keyspace_hits);
	out->keyspace_misses += ld(&s->keyspace_misses);
	out->expired_keys += ld(&s->expired_keys);
	out->net_input_bytes += ld(&s->net_input_bytes);
	out->net_output_bytes += ld(&s->net_output_bytes);
	out->reads_processed += ld(&s->reads_processed);
	out->writes_processed += ld(&s->writes_processed);
	out->error_replies += ld(&s->error_replies);
	for (int e = 0; e < STATS_NUM_ERRORS; e++)
		out->errors[e] += ld(&s->errors[e]);
}

void
StatsCollect(StatsTotals *out, StatsCommandCounts *per_command)
{
	uint64_t	gen;
	int			n;

	memset(out, 0, sizeof(*out));
	if (per_command)
		memset(per_command, 0, sizeof(StatsCommandCounts) * STATS_MAX_COMMANDS);
	if (stats_shared == NULL)
		return;
	gen = atomic_load_explicit(&stats_shared->generation, memory_order_acquire);
	out->rejected_connections = ld(&stats_shared->rejected_connections) -
		ld(&stats_shared->rejected_connections_base) +
		ld(&stats_shared->restored_rejected_connections);
	if (proc_array)
		out->total_connections = atomic_load(&proc_array->total_connections) -
			ld(&stats_shared->total_connections_base);
	out->total_connections += ld(&stats_shared->restored_connections);
	add_block_totals(out, &stats_shared->restored);
	if (per_command)
	{
		for (int i = 0; i < STATS_MAX_COMMANDS; i++)
		{
			StatsSharedCommand *o = &stats_shared->shared[i];

			per_command[i].calls = ld(&o->calls);
			per_command[i].usec = ld(&o->usec);
			per_command[i].rejected_calls = ld(&o->rejected_calls);
			per_command[i].failed_calls = ld(&o->failed_calls);
		}
	}

	/* every block ever used: dead processes' counts stay in theirs */
	n = proc_array ? ProcArrayHighWater() : stats_shared->nslots;
	if (n > stats_shared->nslots)
		n = stats_shared->nslots;
	for (int i = 0; i < n; i++)
	{
		StatsSlot  *s = &stats_shared->slots[i];

		if (atomic_load_explicit(&s->generation, memory_order_acquire) != gen)
			continue;			/* counts from before the last reset */
		add_block_totals(out, s);
		if (per_command == NULL)
			continue;
		for (int j = 0; j < STATS_SLOT_COMMANDS; j++)
		{
			StatsCommandEntry *e = &s->commands[j];
			uint32_t	cmd = atomic_load_explicit(&e->cmd, memory_order_acquire);
			StatsCommandCounts *pc;

			if (cmd == 0 || cmd > STATS_MAX_COMMANDS)
				continue;
			pc = &per_command[cmd - 1];
			pc->calls += ld(&e->calls);
			pc->usec += ld(&e->usec);
			pc->rejected_calls += ld(&e->rejected_calls);
			pc->failed_calls += ld(&e->failed_calls);
		}
	}
}

uint64_t
StatsNoteMemory(uint64_t used)
{
	uint64_t	peak;

	if (stats_shared == NULL)
		return used;
	peak = atomic_load(&stats_shared->used_memory_peak);
	while (used > peak &&
		   !atomic_compare_exchange_weak(&stats_shared->used_memory_peak, &peak, used))
		;
	return used > peak ? used : peak;
}

/*
 * Postmaster, right after StatsShmemInit and before any fork, so that no
 * process can count or read meanwhile: plain stores suffice.
 */
void
StatsRestoreBase(const StatsTotals *t, const StatsCommandCounts *per_command, int ncommands)
{
	StatsSlot  *b;

	if (stats_shared == NULL)
		return;
	b = &stats_shared->restored;
	atomic_store(&b->total_commands, t->total_commands);
	atomic_store(&b->keyspace_hits, t->keyspace_hits);
	atomic_store(&b->keyspace_misses, t->keyspace_misses);
	atomic_store(&b->expired_keys, t->expired_keys);
	atomic_store(&b->net_input_bytes, t->net_input_bytes);
	atomic_store(&b->net_output_bytes, t->net_output_bytes);
	atomic_store(&b->reads_processed, t->reads_processed);
	atomic_store(&b->writes_processed, t->writes_processed);
	atomic_store(&b->error_replies, t->error_replies);
	for (int e = 0; e < STATS_NUM_ERRORS; e++)
		atomic_store(&b->errors[e], t->errors[e]);
	atomic_store(&stats_shared->restored_connections, t->total_connections);
	atomic_store(&stats_shared->restored_rejected_connections, t->rejected_connections);
	for (int i = 0; per_command && i < ncommands && i < STATS_MAX_COMMANDS; i++)
	{
		StatsSharedCommand *o = &stats_shared->shared[i];

		atomic_store(&o->calls, per_command[i].calls);
		atomic_store(&o->usec, per_command[i].usec);
		atomic_store(&o->rejected_calls, per_command[i].rejected_calls);
		atomic_store(&o->failed_calls, per_command[i].failed_calls);
	}
}

void
StatsPublishRates(const StatsRates *r)
{
	if (stats_shared == NULL)
		return;
	atomic_store_explicit(&stats_shared->ops_per_sec, r->ops_per_sec, memory_order_relaxed);
	atomic_store_explicit(&stats_shared->input_bytes_per_sec, r->input_bytes_per_sec,
						  memory_order_relaxed);
	atomic_store_explicit(&stats_shared->output_bytes_per_sec, r->output_bytes_per_sec,
						  memory_order_relaxed);
}

void
StatsGetRates(StatsRates *out)
{
	memset(out, 0, sizeof(*out));
	if (stats_shared == NULL)
		return;
	out->ops_per_sec = ld(&stats_shared->ops_per_sec);
	out->input_bytes_per_sec = ld(&stats_shared->input_bytes_per_sec);
	out->output_bytes_per_sec = ld(&stats_shared->output_bytes_per_sec);
}
