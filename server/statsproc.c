/*
 * statsproc.c
 *	  The stats process: samples the activity counters for Redis's
 *	  instantaneous rates, and keeps the counters across a clean restart
 *	  through the stats file.
 *
 * NOTES
 *	  StatsProcessMain runs in the stats process; StatsFileRestore runs in
 *	  the postmaster at start-up, after the command table is built and
 *	  before the first fork. Neither takes a lock: the counters are summed
 *	  with StatsCollect (storage/stats.h) and the rates published as atomics.
 *
 *	  Rates, the way Redis computes them (trackInstantaneousMetric): every
 *	  SAMPLE_INTERVAL_MS the process takes the difference of a counter
 *	  since the previous sample, turns it into a per-second rate, and
 *	  stores it in a ring of RATE_SAMPLES; the published value is the mean
 *	  of the ring, so a load that stops fades to 0 within 1.6 s. A counter
 *	  that went down (CONFIG RESETSTAT) empties its ring, as Redis's reset
 *	  does.
 *
 *	  The stats file (STATS_FILE, relative to the data directory): written
 *	  at shutdown, when the postmaster stops this process after every
 *	  backend and writer has exited, to a temporary name, fsynced, renamed,
 *	  and the directory fsynced. The postmaster reads it at start, hands it
 *	  to StatsRestoreBase and deletes it, so that the file exists only
 *	  between a clean shutdown and the next start: after a crash (a crash
 *	  restart, or a server killed with -9 and started again) there is
 *	  nothing to load and counting starts from zero, as PostgreSQL does. A
 *	  crash restart builds shared memory afresh without reading the file.
 *	  This process deletes a leftover file when it starts (one it saved
 *	  itself before being stopped alone and started again).
 *
 *	  What the file keeps: the counters CONFIG RESETSTAT resets and INFO
 *	  stats, commandstats and errorstats show (StatsTotals and the
 *	  per-command counts), i.e. total_connections_received,
 *	  total_commands_processed, net input/output bytes, reads/writes
 *	  processed, rejected_connections, keyspace hits/misses, expired_keys,
 *	  total_error_replies, errorstat_* and cmdstat_*. Not kept: the
 *	  instantaneous rates, used_memory_peak, and the buffer, WAL and
 *	  checkpointer counters of INFO everything, which describe one run of
 *	  shared memory.
 *
 *	  Format (text, one "name value..." per line):
 *		tusk-stats 1
 *		<totals field> <count>						one per StatsTotals counter
 *		error <prefix> <count>						non-zero errorstats
 *		command <name> <calls> <usec> <rejected> <failed>	non-zero cmdstats
 *		end
 *	  Commands are stored by name ("config|get"), so a build with a
 *	  different command table restores what it still knows. A file without
 *	  its header or "end" line, or with a line that does not parse, is
 *	  ignored whole (and deleted).
 */
#include "config.h"

#include "server/auxprocess.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/stats.h"
#include "wal/xlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_INTERVAL_MS	100
#define RATE_SAMPLES		16

#define STATS_DIR			"global"
#define STATS_FILE			"global/stats"
#define STATS_TEMP_FILE		"global/stats.tmp"
#define STATS_FILE_HEADER	"tusk-stats 1"

/* ---------------------------------------------------------------- rates */

typedef struct RateTracker
{
	bool		started;
	uint64_t	last_count;
	int64_t		last_ms;
	uint64_t	samples[RATE_SAMPLES];	/* per-second rates */
	int			next;
} RateTracker;

static void
rate_sample(RateTracker *r, uint64_t count, int64_t now_ms)
{
	int64_t		elapsed = now_ms - r->last_ms;

	if (!r->started || count < r->last_count)
	{
		/* first sample, or the counters were reset */
		memset(r, 0, sizeof(*r));
		r->started = true;
		r->last_count = count;
		r->last_ms = now_ms;
		return;
	}
	if (elapsed <= 0)
		return;
	r->samples[r->next] = (count - r->last_count) * 1000 / (uint64_t) elapsed;
	r->next = (r->next + 1) % RATE_SAMPLES;
	r->last_count = count;
	r->last_ms = now_ms;
}

static uint64_t
rate_mean(const RateTracker *r)
{
	uint64_t	sum = 0;

	for (int i = 0; i < RATE_SAMPLES; i++)
		sum += r->samples[i];
	return sum / RATE_SAMPLES;
}

/* ---------------------------------------------------------------- file */

static const struct
{
	const char *name;
	size_t		offset;
}			total_fields[] = {
	{"total_commands", offsetof(StatsTotals, total_commands)},
	{"total_connections", offsetof(StatsTotals, total_connections)},
	{"rejected_connections", offsetof(StatsTotals, rejected_connections)},
	{"keyspace_hits", offsetof(StatsTotals, keyspace_hits)},
	{"keyspace_misses", offsetof(StatsTotals, keyspace_misses)},
	{"expired_keys", offsetof(StatsTotals, expired_keys)},
	{"net_input_bytes", offsetof(StatsTotals, net_input_bytes)},
	{"net_output_bytes", offsetof(StatsTotals, net_output_bytes)},
	{"reads_processed", offsetof(StatsTotals, reads_processed)},
	{"writes_processed", offsetof(StatsTotals, writes_processed)},
	{"error_replies", offsetof(StatsTotals, error_replies)},
};

#define NUM_TOTAL_FIELDS (sizeof(total_fields) / sizeof(total_fields[0]))

static uint64_t *
total_field(StatsTotals *t, size_t i)
{
	return (uint64_t *) ((char *) t + total_fields[i].offset);
}

static void
fsync_dir(const char *path)
{
	int			fd = open(path, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return;
	if (fsync(fd) != 0)
		elog(WARNING, "could not fsync directory \"%s\": %m", path);
	close(fd);
}

static bool
write_stats(FILE *f, StatsTotals *t, const StatsCommandCounts *per)
{
	fprintf(f, "%s\n", STATS_FILE_HEADER);
	for (size_t i = 0; i < NUM_TOTAL_FIELDS; i++)
		fprintf(f, "%s %llu\n", total_fields[i].name, (unsigned long long) *total_field(t, i));
	for (int e = 0; e < STATS_NUM_ERRORS; e++)
		if (t->errors[e] > 0)
			fprintf(f, "error %s %llu\n", stats_error_names[e], (unsigned long long) t->errors[e]);
	for (int i = 0, n = CommandIndexCount(); i < n; i++)
	{
		const StatsCommandCounts *pc = &per[i];

		if (pc->calls == 0 && pc->rejected_calls == 0 && pc->failed_calls == 0)
			continue;
		fprintf(f, "command %s %llu %llu %llu %llu\n", CommandByIndex(i)->name,
				(unsigned long long) pc->calls, (unsigned long long) pc->usec,
				(unsigned long long) pc->rejected_calls,
				(unsigned long long) pc->failed_calls);
	}
	fprintf(f, "end\n");
	return fflush(f) == 0 && !ferror(f);
}

/* At shutdown: the sums of every counter, to STATS_FILE, durably. */
static void
save_stats_file(void)
{
	StatsTotals t;
	StatsCommandCounts *per = MemAlloc(sizeof(StatsCommandCounts) * STATS_MAX_COMMANDS);
	FILE	   *f;
	int			fd;
	bool		ok;

	StatsCollect(&t, per);
	if (mkdir(STATS_DIR, 0700) != 0 && errno != EEXIST)
	{
		elog(WARNING, "could not create directory \"%s\": %m", STATS_DIR);
		MemFree(per);
		return;
	}
	fd = open(STATS_TEMP_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL)
	{
		elog(WARNING, "could not create statistics file \"%s\": %m", STATS_TEMP_FILE);
		if (fd >= 0)
			close(fd);
		MemFree(per);
		return;
	}
	ok = write_stats(f, &t, per);
	MemFree(per);
	if (ok && fsync(fileno(f)) != 0)
		ok = false;
	if (fclose(f) != 0)
		ok = false;
	if (!ok || rename(STATS_TEMP_FILE, STATS_FILE) != 0)
	{
		elog(WARNING, "could not write statistics file \"%s\": %m", STATS_FILE);
		unlink(STATS_TEMP_FILE);
		return;
	}
	fsync_dir(STATS_DIR);
	elog(VERBOSE, "saved statistics (%llu commands) to \"%s\"",
		 (unsigned long long) t.total_commands, STATS_FILE);
}

static int
command_index_by_name(const char *name)
{
	for (int i = 0, n = CommandIndexCount(); i < n; i++)
		if (strcmp(CommandByIndex(i)->name, name) == 0)
			return i;
	return -1;
}

static int
error_index_by_name(const char *name)
{
	for (int e = 0; e < STATS_NUM_ERRORS; e++)
		if (strcmp(stats_error_names[e], name) == 0)
			return e;
	return -1;
}

/* One line of the file into t/per; false if it does not parse. */
static bool
parse_line(const char *line, StatsTotals *t, StatsCommandCounts *per)
{
	char		word[64];
	char		name[128];
	unsigned long long v[4];
	int			n;

	if (sscanf(line, "%63s %n", word, &n) != 1)
		return false;
	line += n;
	if (strcmp(word, "error") == 0)
	{
		int			e;

		if (sscanf(line, "%127s %llu", name, &v[0]) != 2)
			return false;
		if ((e = error_index_by_name(name)) >= 0)
			t->errors[e] = v[0];
		return true;
	}
	if (strcmp(word, "command") == 0)
	{
		int			i;

		if (sscanf(line, "%127s %llu %llu %llu %llu", name, &v[0], &v[1], &v[2], &v[3]) != 5)
			return false;
		if ((i = command_index_by_name(name)) >= 0)
		{
			per[i].calls = v[0];
			per[i].usec = v[1];
			per[i].rejected_calls = v[2];
			per[i].failed_calls = v[3];
		}
		return true;
	}
	for (size_t i = 0; i < NUM_TOTAL_FIELDS; i++)
	{
		if (strcmp(total_fields[i].name, word) == 0)
		{
			if (sscanf(line, "%llu", &v[0]) != 1)
				return false;
			*total_field(t, i) = v[0];
			return true;
		}
	}
	return false;
}

void
StatsFileRestore(void)
{
	StatsTotals t;
	StatsCommandCounts *per;
	char		line[512];
	FILE	   *f = fopen(STATS_FILE, "r");
	int			lineno = 0;
	bool		header = false;
	bool		end = false;
	bool		ok = true;

	unlink(STATS_TEMP_FILE);	/* a save cut short */
	if (f == NULL)
	{
		if (errno != ENOENT)
			elog(WARNING, "could not open statistics file \"%s\": %m", STATS_FILE);
		return;
	}
	memset(&t, 0, sizeof(t));
	per = MemAllocZero(sizeof(StatsCommandCounts) * STATS_MAX_COMMANDS);
	while (ok && fgets(line, sizeof(line), f) != NULL)
	{
		line[strcspn(line, "\n")] = '\0';
		lineno++;
		if (end)
			ok = false;			/* nothing may follow "end" */
		else if (lineno == 1)
			ok = header = strcmp(line, STATS_FILE_HEADER) == 0;
		else if (strcmp(line, "end") == 0)
			end = true;
		else
			ok = parse_line(line, &t, per);
	}
	if (ferror(f))
		ok = false;
	fclose(f);

	/* whatever happens next, the file must not be read twice */
	if (unlink(STATS_FILE) != 0)
		elog(WARNING, "could not remove statistics file \"%s\": %m", STATS_FILE);
	fsync_dir(STATS_DIR);

	if (!ok || !header || !end)
	{
		elog(WARNING, "statistics file \"%s\" is damaged (line %d); statistics start from zero",
			 STATS_FILE, lineno);
		MemFree(per);
		return;
	}
	StatsRestoreBase(&t, per, STATS_MAX_COMMANDS);
	MemFree(per);
	elog(LOG, "statistics restored from the last shutdown (%llu commands)",
		 (unsigned long long) t.total_commands);
}

/* ---------------------------------------------------------------- main */

void
StatsProcessMain(void)
{
	RateTracker ops;
	RateTracker input;
	RateTracker output;

	memset(&ops, 0, sizeof(ops));
	memset(&input, 0, sizeof(input));
	memset(&output, 0, sizeof(output));

	/* the postmaster loaded (and removed) the file; this one is stale */
	unlink(STATS_FILE);

	while (!aux_shutdown_requested)
	{
		struct timespec delay = {0, SAMPLE_INTERVAL_MS * 1000000L};
		StatsTotals t;
		StatsRates rates;
		int64_t		now_ms = MonotonicUs() / 1000;

		StatsCollect(&t, NULL);
		rate_sample(&ops, t.total_commands, now_ms);
		rate_sample(&input, t.net_input_bytes, now_ms);
		rate_sample(&output, t.net_output_bytes, now_ms);
		rates.ops_per_sec = rate_mean(&ops);
		rates.input_bytes_per_sec = rate_mean(&input);
		rates.output_bytes_per_sec = rate_mean(&output);
		StatsPublishRates(&rates);
		nanosleep(&delay, NULL);
	}
	save_stats_file();
}
