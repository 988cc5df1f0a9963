/*
 * cmd_admin.c
 *	  Introspection commands that monitoring tools and client libraries
 *	  send: MODULE, DEBUG, LATENCY and MEMORY.
 *
 * NOTES
 *	  tusk has no modules and no DEBUG subcommands. MODULE LIST answers an
 *	  empty list (client libraries probe it for RedisJSON and friends);
 *	  loading a module and DEBUG are refused with the errors Redis 7.0 gives
 *	  in its default configuration (enable-module-command and
 *	  enable-debug-command "no").
 *
 *	  LATENCY answers as Redis does with latency-monitor-threshold 0 and
 *	  latency-tracking off, its defaults for the monitor: no events are
 *	  recorded, so LATEST and HISTORY are empty, GRAPH has no samples and
 *	  HISTOGRAM has no commands (tusk keeps calls and time per command, in
 *	  INFO commandstats, but no latency histograms).
 *
 *	  MEMORY USAGE is the size of the key's current version in the heap and
 *	  its index entry (KsFootprint): tusk keeps data in the buffer pool
 *	  and its files, so that is what a key costs. MEMORY MALLOC-STATS and
 *	  PURGE are about the answering backend's private allocator (jemalloc).
 */
#include "config.h"

#include "server/server.h"
#include "server/settings.h"
#include "server/txn.h"
#include "storage/mem.h"

#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <string.h>

/* ---------- MODULE ---------- */

void
ModuleHelpCommand(Client *c)
{
	static const char *const help[] = {
		"MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"LIST",
		"    Return a list of loaded modules.",
		"LOAD <path> [<arg> ...]",
		"    Load a module library from <path>, passing to it any optional arguments.",
		"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
		"    Load a module library from <path>, while passing it module configurations and optional arguments.",
		"UNLOAD <name>",
		"    Unload a module.",
		"HELP",
		"    Prints this help.",
		NULL
	};

	AddReplyHelp(&c->reply, help);
}

void
ModuleListCommand(Client *c)
{
	AddReplyArrayLen(&c->reply, 0);
}

/* MODULE LOAD, LOADEX and UNLOAD */
void
ModuleLoadCommand(Client *c)
{
	AddReplyError(&c->reply, "ERR MODULE command not allowed. If the enable-module-command option "
				  "is set to \"local\", you can run it from a local connection, otherwise you "
				  "need to set this option in the configuration file, and then restart the server.");
}

/* ---------- DEBUG ---------- */

void
DebugCommand(Client *c)
{
	AddReplyError(&c->reply, "ERR DEBUG command not allowed. If the enable-debug-command option "
				  "is set to \"local\", you can run it from a local connection, otherwise you "
				  "need to set this option in the configuration file, and then restart the server.");
}

/* ---------- LATENCY ---------- */

void
LatencyHelpCommand(Client *c)
{
	static const char *const help[] = {
		"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
		"HELP",
		"    Prints this help.",
		NULL
	};

	AddReplyHelp(&c->reply, help);
}

/* LATENCY LATEST and LATENCY HISTORY event: no events are ever recorded. */
void
LatencyLatestCommand(Client *c)
{
	AddReplyArrayLen(&c->reply, 0);
}

void
LatencyResetCommand(Client *c)
{
	AddReplyLongLong(&c->reply, 0);
}

void
LatencyGraphCommand(Client *c)
{
	AddReplyErrorFormat(&c->reply, "ERR No samples available for event '%.*s'",
						(int) c->argv_len[2], c->argv[2]);
}

void
LatencyHistogramCommand(Client *c)
{
	AddReplyMapLen(&c->reply, 0);
}

void
LatencyDoctorCommand(Client *c)
{
	static const char text[] =
		"tusk records no latency events: its latency monitor is always off "
		"(latency-monitor-threshold 0), so there is nothing to analyse. "
		"INFO commandstats has the calls and the time of every command, "
		"SLOWLOG GET the slowest ones, and INFO tusk, buffers, wal and checkpointer "
		"show what the storage was doing.\n";

	AddReplyVerbatim(&c->reply, text, strlen(text), "txt");
}

/* ---------- MEMORY ---------- */

void
MemoryHelpCommand(Client *c)
{
	static const char *const help[] = {
		"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
		"HELP",
		"    Prints this help.",
		NULL
	};

	AddReplyHelp(&c->reply, help);
}

/* MEMORY USAGE key [SAMPLES count] */
void
MemoryUsageCommand(Client *c)
{
	KsValue		v;

	for (int j = 3; j < c->argc; j += 2)
	{
		long long	samples;

		if (ArgEquals(c, j, "samples") && j + 1 < c->argc)
		{
			if (!GetLongLongOrReply(c, j + 1, &samples, NULL))
				return;
			if (samples < 0)
			{
				ReplySyntaxError(c);
				return;
			}
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (!CmdReadOneKey(c, 2, &v))
		return;
	if (!v.exists)
		AddReplyNull(&c->reply);
	else
		AddReplyLongLong(&c->reply, (long long) KsFootprint(c->argv_len[2], v.value_len));
	KsValueRelease(&v);
}

void
MemoryDoctorCommand(Client *c)
{
	static const char text[] =
		"tusk keeps its data in a shared buffer pool of shared_buffers bytes over its "
		"data files, not in process memory, so it cannot run out of memory by growing: "
		"INFO buffers shows the pool's hit rate (a low one means the working set is "
		"larger than shared_buffers), INFO memory the answering backend's own heap.\n";

	AddReplyVerbatim(&c->reply, text, strlen(text), "txt");
}

/* jemalloc's report on this backend's allocator, collected into one string. */
static void
collect_stats(void *arg, const char *text)
{
	char	  **buf = arg;
	size_t		old = *buf ? strlen(*buf) : 0,
				add = strlen(text);

	*buf = MemRealloc(*buf, old + add + 1);
	memcpy(*buf + old, text, add + 1);
}

void
MemoryMallocStatsCommand(Client *c)
{
	char	   *buf = NULL;

	malloc_stats_print(collect_stats, &buf, NULL);
	if (buf)
		AddReplyVerbatim(&c->reply, buf, strlen(buf), "txt");
	else
		AddReplyVerbatim(&c->reply, "", 0, "txt");
	MemFree(buf);
}

void
MemoryPurgeCommand(Client *c)
{
	char		cmd[64];

	snprintf(cmd, sizeof(cmd), "arena.%u.purge", (unsigned) MALLCTL_ARENAS_ALL);
	(void) mallctl(cmd, NULL, NULL, NULL, 0);
	AddReplyOk(&c->reply);
}
