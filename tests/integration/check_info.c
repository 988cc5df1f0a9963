/*
 * check_info.c
 *	  Integration tests of INFO, CONFIG RESETSTAT and SLOWLOG against a real
 *	  tusk-server: counters that can be checked exactly (commandstats,
 *	  errorstats, keyspace hits and misses, commands and bytes from another
 *	  connection, rejected connections), the format and section choice of
 *	  INFO, the keyspace section, the buffer hit ratio of a read-only
 *	  workload (INFO buffers), and the slow log.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h). Field
 *	  names and section lists are redis-server 7.0.15's. Counters are read
 *	  from a connection whose own commands are accounted for: INFO counts
 *	  itself after its reply is built, as in Redis. Only the expiry test
 *	  waits (for the checkpointer's sweep), with a generous limit. The
 *	  buffer tests read random keys and print their seed (TUSK_TEST_SEED
 *	  replays it).
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

/* ---------------------------------------------------------------- helpers */

#define OK(c, ...) HarnessExpectType(c, REDIS_REPLY_STATUS, __VA_ARGS__)
#define ERR(c, ...) HarnessExpectType(c, REDIS_REPLY_ERROR, __VA_ARGS__)

/* "INFO commandstats" line of one command, "" if absent (static buffer). */
static const char *
cmdstat(redisContext *c, const char *name)
{
	static char line[512];
	char		key[128];
	char	   *text = HarnessInfo(c, "commandstats");
	const char *v;

	snprintf(key, sizeof(key), "cmdstat_%s", name);
	v = HarnessInfoField(text, key);
	snprintf(line, sizeof(line), "%s", v ? v : "");
	free(text);
	return line;
}

/* The calls= (etc.) number of a cmdstat value. */
static long long
stat_part(const char *value, const char *part)
{
	char		key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s=", part);
	p = strstr(value, key);
	ck_assert_msg(p != NULL, "no %s in \"%s\"", part, value);
	return atoll(p + strlen(key));
}

/* ------------------------------------------------------------ counters */

/* N SETs, hits and misses, a failed and a rejected call, error prefixes. */
START_TEST(test_command_counters)
{
	TuskServer	s;
	redisContext *c, *c2;
	const char *v;
	char	   *text;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < 7; i++)
		OK(c, "SET k%d v", i);
	v = cmdstat(c, "set");
	ck_assert_int_eq(stat_part(v, "calls"), 7);
	ck_assert_int_eq(stat_part(v, "rejected_calls"), 0);
	ck_assert_int_eq(stat_part(v, "failed_calls"), 0);
	ck_assert_msg(strstr(v, ",usec_per_call=") && strchr(strstr(v, "usec_per_call="), '.'),
				  "usec_per_call format: %s", v);

	/* hits and misses: GET, MGET, EXISTS, STRLEN, TYPE, TTL */
	HarnessExpectType(c, REDIS_REPLY_STRING, "GET k1");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET nope");
	HarnessExpectType(c, REDIS_REPLY_ARRAY, "MGET k1 k2 nope");
	HarnessExpectType(c, REDIS_REPLY_INTEGER, "EXISTS k3 nope nope2");
	HarnessExpectType(c, REDIS_REPLY_INTEGER, "STRLEN k4");
	HarnessExpectType(c, REDIS_REPLY_STATUS, "TYPE nope");
	HarnessExpectType(c, REDIS_REPLY_INTEGER, "TTL k5");
	OK(c, "SET k6 w");			/* writes do not count */
	HarnessExpectType(c, REDIS_REPLY_INTEGER, "INCR counter");
	text = HarnessInfo(c, "stats");
	ck_assert_str_eq(HarnessInfoField(text, "keyspace_hits"), "6");
	ck_assert_str_eq(HarnessInfoField(text, "keyspace_misses"), "5");
	ck_assert_str_eq(HarnessInfoField(text, "total_error_replies"), "0");
	free(text);

	/* a failed call, a rejected call, an unknown command */
	ERR(c, "INCR k1");
	ERR(c, "GET");
	ERR(c, "NOSUCHCOMMAND x");
	ERR(c, "CONFIG NOSUCHSUB");
	ERR(c, "CONFIG");
	v = cmdstat(c, "incr");
	ck_assert_int_eq(stat_part(v, "calls"), 2);
	ck_assert_int_eq(stat_part(v, "failed_calls"), 1);
	v = cmdstat(c, "get");
	ck_assert_int_eq(stat_part(v, "calls"), 2);
	ck_assert_int_eq(stat_part(v, "rejected_calls"), 1);
	v = cmdstat(c, "config");
	ck_assert_int_eq(stat_part(v, "calls"), 0);
	ck_assert_int_eq(stat_part(v, "rejected_calls"), 1);
	ck_assert_str_eq(cmdstat(c, "nosuchcommand"), "");

	/* error prefixes: NOAUTH and WRONGPASS from another connection */
	OK(c, "CONFIG SET requirepass secret");
	c2 = HarnessConnectOk(&s);
	ERR(c2, "GET k1");
	ERR(c2, "AUTH wrong");
	OK(c2, "AUTH secret");
	OK(c2, "CONFIG SET requirepass %s", "");
	text = HarnessInfo(c2, "errorstats");
	ck_assert_str_eq(HarnessInfoField(text, "errorstat_ERR"), "count=5");
	ck_assert_str_eq(HarnessInfoField(text, "errorstat_NOAUTH"), "count=1");
	ck_assert_str_eq(HarnessInfoField(text, "errorstat_WRONGPASS"), "count=1");
	ck_assert_ptr_null(HarnessInfoField(text, "errorstat_WRONGTYPE"));
	free(text);
	ck_assert_int_eq(HarnessInfoInt(c2, "stats", "total_error_replies"), 7);
	ck_assert_int_eq(stat_part(cmdstat(c2, "get"), "rejected_calls"), 2);
	ck_assert_int_eq(stat_part(cmdstat(c2, "auth"), "failed_calls"), 1);
	ck_assert_int_eq(stat_part(cmdstat(c2, "config|set"), "calls"), 2);
	redisFree(c2);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * total_commands_processed grows by exactly what another connection sent;
 * counts survive the exit of the process that made them (a new backend
 * may reuse its slot), and net input/output bytes are exact.
 */
START_TEST(test_totals_across_connections)
{
	TuskServer	s;
	redisContext *c, *c2;
	long long	t0, t1, t2, t3, in0, in1, out0, out1;
	int			polls;
	char	   *text;
	size_t		info_reply_bytes;
	int			fd;
	char		buf[64];
	bool		closed;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	t0 = HarnessInfoInt(c, "stats", "total_commands_processed");
	c2 = HarnessConnectOk(&s);
	for (int i = 0; i < 25; i++)
		OK(c2, "PING");
	t1 = HarnessInfoInt(c, "stats", "total_commands_processed");
	ck_assert_int_eq(t1, t0 + 1 + 25);
	redisFree(c2);
	/* wait for that backend to be gone: its counts must stay */
	polls = 0;
	while (polls < 3000 && HarnessInfoInt(c, "clients", "connected_clients") != 1)
	{
		polls++;
		usleep(10 * 1000);
	}
	polls++;					/* the last poll */
	t2 = HarnessInfoInt(c, "stats", "total_commands_processed");
	ck_assert_int_eq(t2, t1 + 1 + polls);
	/* a new backend (probably in the dead one's slot) adds to the total */
	c2 = HarnessConnectOk(&s);
	OK(c2, "PING");
	redisFree(c2);
	t3 = HarnessInfoInt(c, "stats", "total_commands_processed");
	ck_assert_int_eq(t3, t2 + 1 + 1);

	/* bytes: one raw PING from another socket, and c's own INFO */
	text = HarnessInfo(c, "stats");
	in0 = atoll(HarnessInfoField(text, "total_net_input_bytes"));
	out0 = atoll(HarnessInfoField(text, "total_net_output_bytes"));
	info_reply_bytes = (size_t) snprintf(buf, sizeof(buf), "$%zu\r\n", strlen(text)) +
		strlen(text) + 2;
	free(text);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "*1\r\n$4\r\nPING\r\n", 14));
	ck_assert_uint_eq(HarnessRawRead(fd, buf, sizeof(buf), 7, 30, &closed), 7);
	close(fd);
	text = HarnessInfo(c, "stats");
	in1 = atoll(HarnessInfoField(text, "total_net_input_bytes"));
	out1 = atoll(HarnessInfoField(text, "total_net_output_bytes"));
	free(text);
	/* "*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n" is 25 bytes, read before the reply */
	ck_assert_int_eq(in1, in0 + 14 + 25);
	ck_assert_int_eq(out1, out0 + (long long) info_reply_bytes + 7);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* rejected_connections: the postmaster counts refusals (maxclients). */
START_TEST(test_rejected_connections)
{
	const char *const args[] = {"--maxclients", "1", NULL};
	TuskServer	s;
	redisContext *c;
	int			fd;
	char		buf[128];
	size_t		n;

	HarnessStartOk(&s, args, false);
	/* the harness's own connection may not be reaped yet: retry */
	for (int i = 0;; i++)
	{
		redisReply *r;

		c = HarnessConnectOk(&s);
		r = redisCommand(c, "PING");
		if (r && r->type == REDIS_REPLY_STATUS)
		{
			freeReplyObject(r);
			break;
		}
		if (r)
			freeReplyObject(r);
		redisFree(c);
		ck_assert_msg(i < 300, "could not get the one connection");
		usleep(10 * 1000);
	}
	OK(c, "CONFIG RESETSTAT");
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	n = HarnessRawReadUntil(fd, buf, sizeof(buf), "\r\n", 30);
	ck_assert_msg(n > 0 && strstr(buf, "max number of clients"), "got \"%s\"", buf);
	close(fd);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "rejected_connections"), 1);
	OK(c, "CONFIG RESETSTAT");
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "rejected_connections"), 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* CONFIG RESETSTAT zeroes every counter, idle connections' included. */
START_TEST(test_resetstat)
{
	TuskServer	s;
	redisContext *c, *idle;
	char	   *text;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	idle = HarnessConnectOk(&s);
	OK(idle, "SET a 1");
	HarnessExpectType(idle, REDIS_REPLY_STRING, "GET a");
	ERR(idle, "INCR a x");
	OK(c, "SET b 2");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET nope");
	ck_assert_int_gt(HarnessInfoInt(c, "stats", "total_commands_processed"), 3);

	OK(c, "CONFIG RESETSTAT");
	text = HarnessInfo(c, "stats");
	ck_assert_str_eq(HarnessInfoField(text, "total_commands_processed"), "1");
	ck_assert_str_eq(HarnessInfoField(text, "keyspace_hits"), "0");
	ck_assert_str_eq(HarnessInfoField(text, "keyspace_misses"), "0");
	ck_assert_str_eq(HarnessInfoField(text, "total_error_replies"), "0");
	ck_assert_str_eq(HarnessInfoField(text, "total_connections_received"), "0");
	free(text);
	text = HarnessInfo(c, "commandstats");
	/* only what ran since: CONFIG RESETSTAT and the INFO above */
	ck_assert_ptr_null(HarnessInfoField(text, "cmdstat_set"));
	ck_assert_ptr_null(HarnessInfoField(text, "cmdstat_get"));
	ck_assert_ptr_null(HarnessInfoField(text, "cmdstat_incr"));
	ck_assert_str_eq(HarnessInfoField(text, "cmdstat_config|resetstat") ? "y" : "n", "y");
	ck_assert_int_eq(stat_part(HarnessInfoField(text, "cmdstat_info"), "calls"), 1);
	free(text);
	text = HarnessInfo(c, "errorstats");
	ck_assert_str_eq(text, "# Errorstats\r\n");
	free(text);

	/* the idle connection counts again from zero */
	HarnessExpectType(idle, REDIS_REPLY_STRING, "GET a");
	text = HarnessInfo(c, "stats");
	ck_assert_str_eq(HarnessInfoField(text, "keyspace_hits"), "1");
	ck_assert_str_eq(HarnessInfoField(text, "total_commands_processed"), "5");
	free(text);
	redisFree(idle);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * expired_keys: deletions by the checkpointer's sweep, and a SET whose
 * PXAT is already past (Redis stores that key and counts it when its
 * expiry deletes it; tusk does not store it, but counts it the same).
 * SET ... PX 1 counts from the command's own clock reading: under load it
 * once took over a millisecond to get there, found the key already
 * expired and stored nothing, so the sweep never counted it.
 */
START_TEST(test_expired_keys)
{
	TuskServer	s;
	redisContext *c;
	long long	n = 0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	OK(c, "SET past v PXAT 1");
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "expired_keys"), 1);
	OK(c, "SET e1 v PX 1");
	OK(c, "SET e2 v PX 1");
	OK(c, "SET stays v");
	for (int i = 0; i < 600 && n < 3; i++)
	{
		usleep(50 * 1000);
		n = HarnessInfoInt(c, "stats", "expired_keys");
	}
	ck_assert_int_eq(n, 3);
	HarnessExpectInt(c, 1, "DBSIZE");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------ format */

/* Redis 7.0.15's fields of its fixed sections, in order (INFO default). */
static const char *const fields_server[] = {
	"redis_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id", "redis_mode",
	"os", "arch_bits", "monotonic_clock", "multiplexing_api", "atomicvar_api",
	"gcc_version", "process_id", "process_supervised", "run_id", "tcp_port",
	"server_time_usec", "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz",
	"lru_clock", "executable", "config_file", "io_threads_active", NULL
};

static const char *const fields_clients[] = {
	"connected_clients", "cluster_connections", "maxclients",
	"client_recent_max_input_buffer", "client_recent_max_output_buffer", "blocked_clients",
	"tracking_clients", "clients_in_timeout_table", NULL
};

static const char *const fields_memory[] = {
	"used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
	"used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
	"used_memory_overhead", "used_memory_startup", "used_memory_dataset",
	"used_memory_dataset_perc", "allocator_allocated", "allocator_active",
	"allocator_resident", "total_system_memory", "total_system_memory_human",
	"used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human",
	"used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
	"number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total",
	"used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts",
	"used_memory_scripts_human", "maxmemory", "maxmemory_human", "maxmemory_policy",
	"allocator_frag_ratio", "allocator_frag_bytes", "allocator_rss_ratio",
	"allocator_rss_bytes", "rss_overhead_ratio", "rss_overhead_bytes",
	"mem_fragmentation_ratio", "mem_fragmentation_bytes", "mem_not_counted_for_evict",
	"mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves",
	"mem_clients_normal", "mem_cluster_links", "mem_aof_buffer", "mem_allocator",
	"active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects", NULL
};

static const char *const fields_persistence[] = {
	"loading", "async_loading", "current_cow_peak", "current_cow_size",
	"current_cow_size_age", "current_fork_perc", "current_save_keys_processed",
	"current_save_keys_total", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
	"rdb_last_save_time", "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec",
	"rdb_current_bgsave_time_sec", "rdb_saves", "rdb_last_cow_size",
	"rdb_last_load_keys_expired", "rdb_last_load_keys_loaded", "aof_enabled",
	"aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
	"aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites",
	"aof_rewrites_consecutive_failures", "aof_last_write_status", "aof_last_cow_size",
	"module_fork_in_progress", "module_fork_last_cow_size", NULL
};

static const char *const fields_stats[] = {
	"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
	"total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes",
	"total_net_repl_output_bytes", "instantaneous_input_kbps", "instantaneous_output_kbps",
	"instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps",
	"rejected_connections", "sync_full", "sync_partial_ok", "sync_partial_err",
	"expired_keys", "expired_stale_perc", "expired_time_cap_reached_count",
	"expire_cycle_cpu_milliseconds", "evicted_keys", "evicted_clients",
	"total_eviction_exceeded_time", "current_eviction_exceeded_time", "keyspace_hits",
	"keyspace_misses", "pubsub_channels", "pubsub_patterns", "pubsubshard_channels",
	"latest_fork_usec", "total_forks", "migrate_cached_sockets",
	"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
	"active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
	"current_active_defrag_time", "tracking_total_keys", "tracking_total_items",
	"tracking_total_prefixes", "unexpected_error_replies", "total_error_replies",
	"dump_payload_sanitizations", "total_reads_processed", "total_writes_processed",
	"io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks",
	"reply_buffer_expands", NULL
};

static const char *const fields_replication[] = {
	"role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
	"master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
	"repl_backlog_first_byte_offset", "repl_backlog_histlen", NULL
};

static const char *const fields_cpu[] = {
	"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
	"used_cpu_sys_main_thread", "used_cpu_user_main_thread", NULL
};

static const char *const fields_cluster[] = {
	"cluster_enabled", NULL
};

typedef struct SectionFields
{
	const char *name;
	const char *const *fields;
} SectionFields;

static const SectionFields section_fields[] = {
	{"Server", fields_server},
	{"Clients", fields_clients},
	{"Memory", fields_memory},
	{"Persistence", fields_persistence},
	{"Stats", fields_stats},
	{"Replication", fields_replication},
	{"CPU", fields_cpu},
	{"Cluster", fields_cluster},
	{NULL, NULL},
};

static const char *const default_sections[] = {
	"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
	"Modules", "Errorstats", "Cluster", "Keyspace", NULL
};
static const char *const all_sections[] = {
	"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
	"Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace", NULL
};
static const char *const everything_sections[] = {
	"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
	"Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace",
	"Tusk", "Buffers", "WAL", "Checkpointer", "Vacuum", NULL
};
static const char *const two_sections[] = {"Server", "CPU", NULL};
static const char *const no_sections[] = {NULL};

/*
 * Every line is "# Section" or "field:value", sections are separated by
 * one empty line, each line ends with CRLF; the headers are `want` in
 * order; Redis's sections have exactly Redis's fields in Redis's order.
 */
static void
check_format(const char *text, const char *const *want, const char *what)
{
	const char *const *expected_fields = NULL;
	int			nsec = 0, nfield = 0;
	const char *p = text;

	while (*p)
	{
		const char *eol = strstr(p, "\r\n");
		char		line[1024];
		size_t		len;

		ck_assert_msg(eol != NULL, "%s: line without CRLF: \"%.40s\"", what, p);
		len = (size_t) (eol - p);
		ck_assert_msg(len < sizeof(line), "%s: line too long", what);
		memcpy(line, p, len);
		line[len] = '\0';
		ck_assert_msg(strchr(line, '\n') == NULL && strchr(line, '\r') == NULL,
					  "%s: stray CR/LF in \"%s\"", what, line);
		if (len == 0)
		{
			/* only between sections */
			ck_assert_msg(nsec > 0 && eol[2] == '#', "%s: misplaced empty line", what);
		}
		else if (line[0] == '#')
		{
			ck_assert_msg(line[1] == ' ', "%s: bad header \"%s\"", what, line);
			ck_assert_msg(want[nsec] != NULL, "%s: extra section \"%s\"", what, line);
			ck_assert_msg(strcmp(line + 2, want[nsec]) == 0, "%s: section %d is \"%s\", want %s",
						  what, nsec, line + 2, want[nsec]);
			if (expected_fields)
				ck_assert_msg(expected_fields[nfield] == NULL, "%s: missing field %s", what,
							  expected_fields[nfield]);
			expected_fields = NULL;
			for (int i = 0; section_fields[i].name; i++)
				if (strcmp(section_fields[i].name, line + 2) == 0)
					expected_fields = section_fields[i].fields;
			nfield = 0;
			nsec++;
		}
		else
		{
			const char *colon = strchr(line, ':');

			ck_assert_msg(nsec > 0, "%s: field before any section", what);
			ck_assert_msg(colon != NULL && colon > line, "%s: not field:value: \"%s\"", what, line);
			for (const char *q = line; q < colon; q++)
				ck_assert_msg((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
							  *q == '_' || *q == '|' || (*q >= 'A' && *q <= 'Z'),
							  "%s: bad field name in \"%s\"", what, line);
			if (expected_fields)
			{
				ck_assert_msg(expected_fields[nfield] != NULL, "%s: extra field \"%s\"", what, line);
				ck_assert_msg(strncmp(line, expected_fields[nfield], (size_t) (colon - line)) == 0 &&
							  strlen(expected_fields[nfield]) == (size_t) (colon - line),
							  "%s: field %d is \"%s\", want %s", what, nfield, line,
							  expected_fields[nfield]);
				nfield++;
			}
		}
		p = eol + 2;
	}
	ck_assert_msg(want[nsec] == NULL, "%s: missing section %s", what, want[nsec] ? want[nsec] : "");
}

START_TEST(test_info_format)
{
	TuskServer	s;
	redisContext *c;
	char	   *text;
	static const struct
	{
		const char *args;
		const char *const *sections;
	}			cases[] = {
		{"", default_sections},
		{"default", default_sections},
		{"all", all_sections},
		{"everything", everything_sections},
		{"ALL default", all_sections},
		{"cpu SERVER cpu", two_sections},
		{"nosuchsection", no_sections},
	};

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	OK(c, "SET a b");
	ERR(c, "INCR a");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		text = HarnessInfo(c, cases[i].args);
		check_format(text, cases[i].sections, cases[i].args);
		free(text);
	}
	text = HarnessInfo(c, "commandstats");
	ck_assert_msg(strstr(text, "\r\ncmdstat_set:calls=1,usec="), "%s", text);
	ck_assert_msg(strstr(text, "\r\ncmdstat_incr:calls=1,usec="), "%s", text);
	free(text);
	text = HarnessInfo(c, "errorstats");
	ck_assert_str_eq(text, "# Errorstats\r\nerrorstat_ERR:count=1\r\n");
	free(text);
	text = HarnessInfo(c, "replication");
	ck_assert_str_eq(HarnessInfoField(text, "role"), "master");
	ck_assert_str_eq(HarnessInfoField(text, "master_failover_state"), "no-failover");
	free(text);
	text = HarnessInfo(c, "memory");
	ck_assert_str_eq(HarnessInfoField(text, "maxmemory"), "0");
	ck_assert_str_eq(HarnessInfoField(text, "maxmemory_policy"), "noeviction");
	ck_assert_msg(strncmp(HarnessInfoField(text, "mem_allocator"), "jemalloc-", 9) == 0,
				  "allocator");
	ck_assert_int_gt(atoll(HarnessInfoField(text, "used_memory")), 0);
	free(text);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_info_keyspace)
{
	TuskServer	s;
	redisContext *c;
	char	   *text;
	const char *v;
	long long	ttl;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	text = HarnessInfo(c, "keyspace");
	ck_assert_str_eq(text, "# Keyspace\r\n");
	free(text);
	OK(c, "SET a 1");
	OK(c, "SET b 2 EX 100");
	OK(c, "SELECT 3");
	OK(c, "SET c 3");
	text = HarnessInfo(c, "keyspace");
	v = HarnessInfoField(text, "db0");
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(strncmp(v, "keys=2,expires=1,avg_ttl=", 25) == 0, "db0:%s", v);
	ttl = atoll(v + 25);
	ck_assert_msg(ttl > 90000 && ttl <= 100000, "avg_ttl %lld", ttl);
	ck_assert_str_eq(HarnessInfoField(text, "db3"), "keys=1,expires=0,avg_ttl=0");
	ck_assert_ptr_null(HarnessInfoField(text, "db1"));
	free(text);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------ buffers */

#define VALUE_LEN 100
#define PIPELINE_BATCH 1000

/* The value stored under key number i: its number, padded to VALUE_LEN. */
static void
make_value(char *buf, int i)
{
	int			n = snprintf(buf, VALUE_LEN + 1, "value-%d-", i);

	memset(buf + n, 'x', VALUE_LEN - n);
	buf[VALUE_LEN] = '\0';
}

/* SET key:000000000000 .. key:<nkeys-1> (redis-benchmark's names), pipelined. */
static void
load_keys(redisContext *c, int nkeys)
{
	char		value[VALUE_LEN + 1];

	for (int first = 0; first < nkeys; first += PIPELINE_BATCH)
	{
		int			last = first + PIPELINE_BATCH < nkeys ? first + PIPELINE_BATCH : nkeys;

		for (int i = first; i < last; i++)
		{
			make_value(value, i);
			redisAppendCommand(c, "SET key:%012d %s", i, value);
		}
		for (int i = first; i < last; i++)
		{
			redisReply *r;

			ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "SET %d: %s", i,
						  c->errstr);
			ck_assert_msg(r->type == REDIS_REPLY_STATUS, "SET %d: type %d %s", i, r->type,
						  r->str ? r->str : "");
			freeReplyObject(r);
		}
	}
}

/* GET the keys numbered keys[0..n-1], pipelined; each must give its value. */
static void
get_keys(redisContext *c, const int *keys, int n)
{
	char		value[VALUE_LEN + 1];

	for (int first = 0; first < n; first += PIPELINE_BATCH)
	{
		int			last = first + PIPELINE_BATCH < n ? first + PIPELINE_BATCH : n;

		for (int i = first; i < last; i++)
			redisAppendCommand(c, "GET key:%012d", keys[i]);
		for (int i = first; i < last; i++)
		{
			redisReply *r;

			ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "GET %d: %s", keys[i],
						  c->errstr);
			make_value(value, keys[i]);
			ck_assert_msg(r->type == REDIS_REPLY_STRING && strcmp(r->str, value) == 0,
						  "GET key:%012d: type %d \"%s\"", keys[i], r->type,
						  r->str ? r->str : "");
			freeReplyObject(r);
		}
	}
}

/* n key numbers below nkeys, uniformly at random (xorshift64). */
static int *
random_keys(int nkeys, int n, const char *test)
{
	const char *env = getenv("TUSK_TEST_SEED");
	unsigned long long seed, x;
	int		   *keys = malloc(sizeof(int) * (size_t) n);

	ck_assert_ptr_nonnull(keys);
	if (env != NULL)
		seed = strtoull(env, NULL, 0);
	else
		seed = (unsigned long long) time(NULL) ^ ((unsigned long long) getpid() << 32);
	fprintf(stderr, "%s: seed %llu (TUSK_TEST_SEED=%llu to replay)\n", test, seed, seed);
	x = seed ? seed : 1;
	for (int i = 0; i < n; i++)
	{
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		keys[i] = (int) (x % (unsigned long long) nkeys);
	}
	return keys;
}

typedef struct ReadCounts
{
	long long	buffer_hits;
	long long	buffer_reads;
	long long	keyspace_hits;
} ReadCounts;

static void
read_counts(redisContext *c, ReadCounts *rc)
{
	rc->buffer_hits = HarnessInfoInt(c, "buffers", "buffer_hits");
	rc->buffer_reads = HarnessInfoInt(c, "buffers", "buffer_reads");
	rc->keyspace_hits = HarnessInfoInt(c, "stats", "keyspace_hits");
}

/*
 * Load nkeys keys, GET each once, then ngets random GETs; returns the buffer
 * hit ratio over the random GETs, which must each count one keyspace hit.
 */
static double
random_read_hit_ratio(const char *shared_buffers, int nkeys, int ngets, const char *test)
{
	const char *const args[] = {"--shared-buffers", shared_buffers, "--synchronous-commit", "off",
		NULL};
	TuskServer	s;
	redisContext *c;
	ReadCounts	before, after;
	long long	hits, reads;
	int		   *keys = malloc(sizeof(int) * (size_t) nkeys);
	int		   *random;

	ck_assert_ptr_nonnull(keys);
	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	load_keys(c, nkeys);
	HarnessExpectInt(c, nkeys, "DBSIZE");
	for (int i = 0; i < nkeys; i++)
		keys[i] = i;
	get_keys(c, keys, nkeys);	/* warm up */
	random = random_keys(nkeys, ngets, test);

	read_counts(c, &before);
	get_keys(c, random, ngets);
	read_counts(c, &after);

	hits = after.buffer_hits - before.buffer_hits;
	reads = after.buffer_reads - before.buffer_reads;
	fprintf(stderr, "%s: shared_buffers %s, %d keys, %d GETs: %lld buffer hits, %lld reads, "
			"hit ratio %.4f\n", test, shared_buffers, nkeys, ngets, hits, reads,
			hits + reads ? (double) hits / (double) (hits + reads) : 0.0);
	ck_assert_int_eq(after.keyspace_hits - before.keyspace_hits, ngets);
	ck_assert_msg(hits + reads >= ngets, "%lld buffer lookups for %d GETs", hits + reads, ngets);
	free(random);
	free(keys);
	redisFree(c);
	HarnessStopOk(&s);
	return (double) hits / (double) (hits + reads);
}

/*
 * With shared_buffers larger than the data, a read-only workload is served
 * from the buffer pool: hit ratio over 0.99 (INFO buffers), and INFO stats
 * counts one keyspace hit per GET.
 */
START_TEST(test_buffer_hit_ratio)
{
	double		ratio = random_read_hit_ratio("32mb", 20000, 50000, "test_buffer_hit_ratio");

	ck_assert_msg(ratio > 0.99, "buffer hit ratio %.4f with the data in shared_buffers", ratio);
}
END_TEST

/*
 * The same counters when the data is ten times shared_buffers (the
 * minimum, 1 MB = 128 pages, against ~11 MB of heap and index): most random
 * reads miss, so the ratio the test above checks can fail.
 */
START_TEST(test_buffer_hit_ratio_small)
{
	double		ratio = random_read_hit_ratio("1mb", 50000, 20000, "test_buffer_hit_ratio_small");

	ck_assert_msg(ratio < 0.9, "buffer hit ratio %.4f with 1 MB of shared_buffers", ratio);
}
END_TEST

/* ------------------------------------------------------------ SLOWLOG */

static void
check_entry(const redisReply *e, const char *addr, const char *name, int argc, ...)
{
	va_list		ap;

	ck_assert_int_eq(e->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(e->elements, 6);
	ck_assert_int_eq(e->element[0]->type, REDIS_REPLY_INTEGER);
	ck_assert_int_gt(e->element[1]->integer, 1600000000);
	ck_assert_int_ge(e->element[2]->integer, 0);
	ck_assert_int_eq(e->element[3]->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(e->element[3]->elements, argc);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
	{
		const char *want = va_arg(ap, const char *);

		if (want)
			ck_assert_str_eq(e->element[3]->element[i]->str, want);
	}
	va_end(ap);
	if (addr)
		ck_assert_str_eq(e->element[4]->str, addr);
	ck_assert_str_eq(e->element[5]->str, name);
}

START_TEST(test_slowlog)
{
	TuskServer	s;
	redisContext *c, *c2;
	redisReply *r, *me;
	char		addr[128], big[301], more[64];
	const char *argv[41];
	size_t		argvlen[41];
	char		names[41][8];
	long long	first_id;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	me = HarnessCommandOk(c, "CLIENT INFO");
	ck_assert(HarnessClientField(me->str, "addr", addr, sizeof(addr)));
	freeReplyObject(me);

	/* defaults, and the settings' ranges as Redis checks them */
	r = HarnessCommandOk(c, "CONFIG GET slowlog*");
	ck_assert_int_eq(r->elements, 4);
	ck_assert_str_eq(r->element[1]->str, "10000");
	ck_assert_str_eq(r->element[3]->str, "128");
	freeReplyObject(r);
	ERR(c, "CONFIG SET slowlog-log-slower-than -2");
	ERR(c, "CONFIG SET slowlog-max-len -1");
	ERR(c, "CONFIG SET slowlog-log-slower-than 1k");

	OK(c, "CONFIG SET slowlog-log-slower-than 0");
	OK(c, "SLOWLOG RESET");
	OK(c, "SET k v");
	r = HarnessCommandOk(c, "SLOWLOG GET");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	check_entry(r->element[0], addr, "", 3, "SET", "k", "v");
	check_entry(r->element[1], addr, "", 2, "SLOWLOG", "RESET");
	first_id = r->element[1]->element[0]->integer;
	ck_assert_int_eq(r->element[0]->element[0]->integer, first_id + 1);
	freeReplyObject(r);
	ck_assert_int_eq(HarnessGetInt(c, "SLOWLOG LEN"), 3);

	/* cut arguments, redacted passwords, the client name at the time */
	memset(big, 'x', 300);
	big[300] = '\0';
	OK(c, "CLIENT SETNAME me");
	OK(c, "SET big %s", big);
	ERR(c, "AUTH pw");
	for (int i = 0; i < 41; i++)
	{
		snprintf(names[i], sizeof(names[i]), i ? "k%d" : "MGET", i);
		argv[i] = names[i];
		argvlen[i] = strlen(names[i]);
	}
	freeReplyObject(redisCommandArgv(c, 41, argv, argvlen));
	r = HarnessCommandOk(c, "SLOWLOG GET 3");
	ck_assert_int_eq(r->elements, 3);
	ck_assert_int_eq(r->element[0]->element[3]->elements, 32);
	ck_assert_str_eq(r->element[0]->element[3]->element[30]->str, "k30");
	ck_assert_str_eq(r->element[0]->element[3]->element[31]->str, "... (10 more arguments)");
	ck_assert_str_eq(r->element[0]->element[5]->str, "me");
	check_entry(r->element[1], addr, "me", 2, "AUTH", "(redacted)");
	snprintf(more, sizeof(more), "... (%d more bytes)", 300 - 128);
	ck_assert_int_eq(r->element[2]->element[3]->element[2]->len, 128 + strlen(more));
	ck_assert_str_eq(r->element[2]->element[3]->element[2]->str + 128, more);
	freeReplyObject(r);
	ERR(c, "SLOWLOG GET -2");
	ERR(c, "SLOWLOG GET x");
	ERR(c, "SLOWLOG GET 1 2");
	r = HarnessCommandOk(c, "SLOWLOG GET 0");
	ck_assert_int_eq(r->elements, 0);
	freeReplyObject(r);

	/* one log for every connection */
	c2 = HarnessConnectOk(&s);
	r = HarnessCommandOk(c2, "SLOWLOG GET -1");
	ck_assert_int_ge(r->elements, 9);
	ck_assert_str_eq(r->element[0]->element[3]->element[0]->str, "SLOWLOG");
	freeReplyObject(r);

	/* slowlog-max-len trims; trimmed entries do not come back */
	OK(c, "CONFIG SET slowlog-max-len 2");
	OK(c, "PING");
	ck_assert_int_eq(HarnessGetInt(c, "SLOWLOG LEN"), 2);
	OK(c, "CONFIG SET slowlog-max-len 128");
	OK(c, "PING");
	r = HarnessCommandOk(c, "SLOWLOG GET -1");
	ck_assert_int_eq(r->elements, 4);
	freeReplyObject(r);

	/* -1 disables it; a high threshold logs nothing fast */
	OK(c, "CONFIG SET slowlog-log-slower-than -1");
	OK(c, "SLOWLOG RESET");
	OK(c, "PING");
	ck_assert_int_eq(HarnessGetInt(c, "SLOWLOG LEN"), 0);
	OK(c, "CONFIG SET slowlog-log-slower-than 100000000");
	OK(c, "PING");
	ck_assert_int_eq(HarnessGetInt(c, "SLOWLOG LEN"), 0);
	r = HarnessCommandOk(c, "SLOWLOG HELP");
	ck_assert_int_eq(r->elements, 12);
	freeReplyObject(r);
	redisFree(c2);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* One test case per test, named after it (CK_RUN_CASE=slowlog). */
static void
add_case(Suite *su, const char *name, const TTest *test)
{
	HarnessAddCase(su, name, test, 120);
}

static Suite *
info_suite(void)
{
	Suite	   *su = suite_create("info");

	add_case(su, "command_counters", test_command_counters);
	add_case(su, "totals_across_connections", test_totals_across_connections);
	add_case(su, "rejected_connections", test_rejected_connections);
	add_case(su, "resetstat", test_resetstat);
	add_case(su, "expired_keys", test_expired_keys);
	add_case(su, "info_format", test_info_format);
	add_case(su, "info_keyspace", test_info_keyspace);
	add_case(su, "buffer_hit_ratio", test_buffer_hit_ratio);
	add_case(su, "buffer_hit_ratio_small", test_buffer_hit_ratio_small);
	add_case(su, "slowlog", test_slowlog);
	return su;
}

int
main(void)
{
	return HarnessMain(info_suite());
}
