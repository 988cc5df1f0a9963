/*
 * cmd_info.c
 *	  INFO: Redis 7.0's sections, field names and formats, plus tusk's own
 *	  sections (tusk, buffers, wal, checkpointer).
 *
 * NOTES
 *	  Runs in a backend. Sections read shared state without locks: process
 *	  slots under their change counters, the activity counters of every
 *	  slot summed (storage/stats.h), settings as plain words, buffer and WAL
 *	  counters as atomics; so INFO never waits for another process. The
 *	  keyspace section reads the per-database counters (storage/
 *	  kscounters.h) without waiting for their newest commit to be durable:
 *	  it is a monitoring view, DBSIZE is the command that waits.
 *
 *	  Which sections a request selects is Redis's rule: no argument or
 *	  "default" gives the default sections, "all" adds commandstats and
 *	  latencystats, "everything" adds what Redis's modules would add; tusk's
 *	  own sections are in that last group, so INFO, INFO default and
 *	  INFO all list exactly Redis's sections and fields.
 *
 *	  Values that depend on one process's view (documented in
 *	  server/README.md, "INFO"):
 *	  - memory: used_memory is the shared memory segment plus this backend's
 *	    jemalloc allocation (each process sees only its own heap);
 *	    used_memory_rss and the allocator_* fields are this backend's.
 *	  - cpu: used_cpu_* is this backend; used_cpu_*_children is what the
 *	    postmaster's exited children used (/proc/<postmaster>/stat).
 *	  The instantaneous_* rates are the stats process's (server/statsproc.c),
 *	  0 until its first samples; the fields of features tusk lacks are 0.
 */
#include "config.h"

#include "server/pubsub.h"
#include "server/handoff.h"
#include "server/scriptcache.h"
#include "server/settings.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/bufmgr.h"
#include "storage/keyspace.h"
#include "storage/kscounters.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/snapshot.h"
#include "storage/stats.h"
#include "storage/vacuum.h"
#include "storage/xact.h"
#include "server/auxprocess.h"
#include "wal/xlog.h"

#include <jemalloc/jemalloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

static void
info_printf(ReplyBuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
info_printf(ReplyBuf *out, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n >= sizeof(buf))
		n = sizeof(buf) - 1;
	ReplyAppend(out, buf, (size_t) n);
}

/* Redis's bytesToHuman: "991.38K", "6.46M", "0B". */
static void
bytes_to_human(char *s, size_t len, unsigned long long n)
{
	static const char units[] = "KMGTP";
	double d = (double) n;
	int u = -1;

	if (n < 1024)
	{
		snprintf(s, len, "%lluB", n);
		return;
	}
	while (d >= 1024 && u < 4)
	{
		d /= 1024;
		u++;
	}
	snprintf(s, len, "%.2f%c", d, units[u]);
}

static unsigned long long
u(uint64_t v)
{
	return (unsigned long long) v;
}

static void
section_server(ReplyBuf *out)
{
	struct utsname uts;
	int64_t now_us = NowUs();
	int64_t uptime = (NowMs() - server_start_time_ms) / 1000;
	char config_file[CONFIG_PATH_LEN];

	uname(&uts);
	ConfigReadString(server_config->config_file, config_file, sizeof(config_file));
	info_printf(out,
				"# Server\r\n"
				"redis_version:%s\r\n"
				"redis_git_sha1:00000000\r\n"
				"redis_git_dirty:0\r\n"
				"redis_build_id:0\r\n"
				"redis_mode:standalone\r\n"
				"os:%s %s %s\r\n"
				"arch_bits:%d\r\n"
				"monotonic_clock:POSIX clock_gettime\r\n"
				"multiplexing_api:epoll\r\n"
				"atomicvar_api:c11-builtin\r\n"
				"gcc_version:%d.%d.%d\r\n"
				"process_id:%d\r\n"
				"process_supervised:no\r\n"
				"run_id:%s\r\n"
				"tcp_port:%d\r\n"
				"server_time_usec:%lld\r\n"
				"uptime_in_seconds:%lld\r\n"
				"uptime_in_days:%lld\r\n"
				"hz:10\r\n"
				"configured_hz:10\r\n"
				"lru_clock:%lld\r\n"
				"executable:%s\r\n"
				"config_file:%s\r\n"
				"io_threads_active:0\r\n",
				REDIS_COMPAT_VERSION,
				uts.sysname, uts.release, uts.machine,
				(int) (sizeof(long) * 8),
#ifdef __GNUC__
				__GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
				0, 0, 0,
#endif
				(int) getppid(), server_run_id, server_config->port,
				(long long) now_us, (long long) uptime, (long long) (uptime / 86400),
				(long long) ((now_us / 1000000) & ((1 << 24) - 1)),
				server_executable ? server_executable : "", config_file);
}

/*
 * Connected backends, the memory their client buffers hold, and how many
 * are blocked (server/blocking.c), with a timeout or not.
 */
static int
count_clients(uint64_t *client_memory, int *blocked, int *in_timeout)
{
	int connected = 0;

	*client_memory = 0;
	*blocked = *in_timeout = 0;
	for (int i = 0, n = ProcArrayHighWater(); i < n; i++)
	{
		ProcSlot copy;

		if (ProcSlotRead(i, &copy) && copy.kind == PROC_KIND_BACKEND && copy.client_id != 0)
		{
			connected++;
			*client_memory += copy.qbuf + copy.qbuf_free + copy.omem;
			*blocked += copy.blocked;
			*in_timeout += copy.blocked_timeout;
		}
	}
	return connected;
}

static void
section_clients(ReplyBuf *out)
{
	uint64_t mem;
	int blocked, in_timeout;
	int connected = count_clients(&mem, &blocked, &in_timeout);

	info_printf(out,
				"# Clients\r\n"
				"connected_clients:%d\r\n"
				"cluster_connections:0\r\n"
				"maxclients:%d\r\n"
				"client_recent_max_input_buffer:%zu\r\n"
				"client_recent_max_output_buffer:0\r\n"
				"blocked_clients:%d\r\n"
				"tracking_clients:0\r\n"
				"clients_in_timeout_table:%d\r\n",
				connected, server_config->maxclients,
				current_client ? current_client->qbuf_cap : (size_t) 0, blocked, in_timeout);
}

static size_t
jemalloc_stat(const char *name)
{
	size_t v = 0, sz = sizeof(v);

	if (mallctl(name, &v, &sz, NULL, 0) != 0)
		return 0;
	return v;
}

static uint64_t
process_rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, resident = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t) resident * (uint64_t) sysconf(_SC_PAGESIZE);
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void
section_memory(ReplyBuf *out)
{
	uint64_t epoch = 1, client_memory;
	size_t esz = sizeof(epoch);
	uint64_t shmem = ShmemTotalSize();
	uint64_t allocated, active, resident, used, rss, peak, net;
	uint64_t system_memory = (uint64_t) sysconf(_SC_PHYS_PAGES) * (uint64_t) sysconf(_SC_PAGESIZE);
	char used_h[32], rss_h[32], peak_h[32], sys_h[32], lua_h[32], scripts_h[32];
	uint64_t lua_memory = ScriptLuaMemory(), scripts, script_bytes;

	mallctl("epoch", &epoch, &esz, &epoch, esz);
	allocated = jemalloc_stat("stats.allocated");
	active = jemalloc_stat("stats.active");
	resident = jemalloc_stat("stats.resident");
	used = shmem + allocated;
	rss = process_rss();
	peak = StatsNoteMemory(used);
	net = used > shmem ? used - shmem : 1;
	{
		int blocked, in_timeout;

		count_clients(&client_memory, &blocked, &in_timeout);
	}
	bytes_to_human(used_h, sizeof(used_h), used);
	bytes_to_human(rss_h, sizeof(rss_h), rss);
	bytes_to_human(peak_h, sizeof(peak_h), peak);
	bytes_to_human(sys_h, sizeof(sys_h), system_memory);
	ScriptCacheUsage(&scripts, &script_bytes);
	bytes_to_human(lua_h, sizeof(lua_h), lua_memory);
	bytes_to_human(scripts_h, sizeof(scripts_h), script_bytes);
	info_printf(out,
				"# Memory\r\n"
				"used_memory:%llu\r\n"
				"used_memory_human:%s\r\n"
				"used_memory_rss:%llu\r\n"
				"used_memory_rss_human:%s\r\n"
				"used_memory_peak:%llu\r\n"
				"used_memory_peak_human:%s\r\n"
				"used_memory_peak_perc:%.2f%%\r\n"
				"used_memory_overhead:%llu\r\n"
				"used_memory_startup:%llu\r\n"
				"used_memory_dataset:%llu\r\n"
				"used_memory_dataset_perc:%.2f%%\r\n"
				"allocator_allocated:%llu\r\n"
				"allocator_active:%llu\r\n"
				"allocator_resident:%llu\r\n"
				"total_system_memory:%llu\r\n"
				"total_system_memory_human:%s\r\n",
				u(used), used_h, u(rss), rss_h, u(peak), peak_h,
				ratio((double) used * 100, (double) peak),
				u(shmem), u(shmem), u(allocated),
				ratio((double) allocated * 100, (double) net),
				u(allocated), u(active), u(resident), u(system_memory), sys_h);
	info_printf(out,
				"used_memory_lua:%llu\r\n"
				"used_memory_vm_eval:%llu\r\n"
				"used_memory_lua_human:%s\r\n"
				"used_memory_scripts_eval:%llu\r\n"
				"number_of_cached_scripts:%llu\r\n"
				"number_of_functions:0\r\n"
				"number_of_libraries:0\r\n"
				"used_memory_vm_functions:0\r\n"
				"used_memory_vm_total:%llu\r\n"
				"used_memory_vm_total_human:%s\r\n"
				"used_memory_functions:0\r\n"
				"used_memory_scripts:%llu\r\n"
				"used_memory_scripts_human:%s\r\n"
				"maxmemory:0\r\n"
				"maxmemory_human:0B\r\n"
				"maxmemory_policy:noeviction\r\n"
				"allocator_frag_ratio:%.2f\r\n"
				"allocator_frag_bytes:%lld\r\n"
				"allocator_rss_ratio:%.2f\r\n"
				"allocator_rss_bytes:%lld\r\n"
				"rss_overhead_ratio:%.2f\r\n"
				"rss_overhead_bytes:%lld\r\n"
				"mem_fragmentation_ratio:%.2f\r\n"
				"mem_fragmentation_bytes:%lld\r\n"
				"mem_not_counted_for_evict:0\r\n"
				"mem_replication_backlog:0\r\n"
				"mem_total_replication_buffers:0\r\n"
				"mem_clients_slaves:0\r\n"
				"mem_clients_normal:%llu\r\n"
				"mem_cluster_links:0\r\n"
				"mem_aof_buffer:0\r\n"
				"mem_allocator:jemalloc-%d.%d.%d\r\n"
				"active_defrag_running:0\r\n"
				"lazyfree_pending_objects:0\r\n"
				"lazyfreed_objects:0\r\n",
				u(lua_memory), u(lua_memory), lua_h, u(script_bytes), u(scripts),
				u(lua_memory), lua_h, u(script_bytes), scripts_h,
				ratio((double) active, (double) allocated), (long long) active - (long long) allocated,
				ratio((double) resident, (double) active), (long long) resident - (long long) active,
				ratio((double) rss, (double) resident), (long long) rss - (long long) resident,
				ratio((double) rss, (double) used), (long long) rss - (long long) used,
				u(client_memory),
				JEMALLOC_VERSION_MAJOR, JEMALLOC_VERSION_MINOR, JEMALLOC_VERSION_BUGFIX);
}

static void
section_persistence(ReplyBuf *out)
{
	uint64_t checkpoints;
	XLogRecPtr redo;
	int64_t last;

	XLogGetCheckpointInfo(&checkpoints, &redo, &last);
	info_printf(out,
				"# Persistence\r\n"
				"loading:0\r\n"
				"async_loading:0\r\n"
				"current_cow_peak:0\r\n"
				"current_cow_size:0\r\n"
				"current_cow_size_age:0\r\n"
				"current_fork_perc:0.00\r\n"
				"current_save_keys_processed:0\r\n"
				"current_save_keys_total:0\r\n"
				"rdb_changes_since_last_save:0\r\n"
				"rdb_bgsave_in_progress:0\r\n"
				"rdb_last_save_time:%lld\r\n"
				"rdb_last_bgsave_status:ok\r\n"
				"rdb_last_bgsave_time_sec:-1\r\n"
				"rdb_current_bgsave_time_sec:-1\r\n"
				"rdb_saves:%llu\r\n"
				"rdb_last_cow_size:0\r\n"
				"rdb_last_load_keys_expired:0\r\n"
				"rdb_last_load_keys_loaded:0\r\n"
				"aof_enabled:0\r\n"
				"aof_rewrite_in_progress:0\r\n"
				"aof_rewrite_scheduled:0\r\n"
				"aof_last_rewrite_time_sec:-1\r\n"
				"aof_current_rewrite_time_sec:-1\r\n"
				"aof_last_bgrewrite_status:ok\r\n"
				"aof_rewrites:0\r\n"
				"aof_rewrites_consecutive_failures:0\r\n"
				"aof_last_write_status:ok\r\n"
				"aof_last_cow_size:0\r\n"
				"module_fork_in_progress:0\r\n"
				"module_fork_last_cow_size:0\r\n",
				(long long) last, u(checkpoints));
}

static void
section_stats(ReplyBuf *out)
{
	StatsTotals t;
	StatsRates rates;

	StatsCollect(&t, NULL);
	StatsGetRates(&rates);
	info_printf(out,
				"# Stats\r\n"
				"total_connections_received:%llu\r\n"
				"total_commands_processed:%llu\r\n"
				"instantaneous_ops_per_sec:%llu\r\n"
				"total_net_input_bytes:%llu\r\n"
				"total_net_output_bytes:%llu\r\n"
				"total_net_repl_input_bytes:0\r\n"
				"total_net_repl_output_bytes:0\r\n"
				"instantaneous_input_kbps:%.2f\r\n"
				"instantaneous_output_kbps:%.2f\r\n"
				"instantaneous_input_repl_kbps:0.00\r\n"
				"instantaneous_output_repl_kbps:0.00\r\n"
				"rejected_connections:%llu\r\n"
				"sync_full:0\r\n"
				"sync_partial_ok:0\r\n"
				"sync_partial_err:0\r\n"
				"expired_keys:%llu\r\n"
				"expired_stale_perc:0.00\r\n"
				"expired_time_cap_reached_count:0\r\n"
				"expire_cycle_cpu_milliseconds:0\r\n"
				"evicted_keys:0\r\n"
				"evicted_clients:0\r\n"
				"total_eviction_exceeded_time:0\r\n"
				"current_eviction_exceeded_time:0\r\n"
				"keyspace_hits:%llu\r\n"
				"keyspace_misses:%llu\r\n",
				u(t.total_connections), u(t.total_commands), u(rates.ops_per_sec),
				u(t.net_input_bytes), u(t.net_output_bytes),
				(double) rates.input_bytes_per_sec / 1024,
				(double) rates.output_bytes_per_sec / 1024,
				u(t.rejected_connections), u(t.expired_keys),
				u(t.keyspace_hits), u(t.keyspace_misses));
	info_printf(out,
				"pubsub_channels:%lld\r\n"
				"pubsub_patterns:%lld\r\n"
				"pubsubshard_channels:%lld\r\n"
				"latest_fork_usec:0\r\n"
				"total_forks:0\r\n"
				"migrate_cached_sockets:0\r\n"
				"slave_expires_tracked_keys:0\r\n"
				"active_defrag_hits:0\r\n"
				"active_defrag_misses:0\r\n"
				"active_defrag_key_hits:0\r\n"
				"active_defrag_key_misses:0\r\n"
				"total_active_defrag_time:0\r\n"
				"current_active_defrag_time:0\r\n"
				"tracking_total_keys:0\r\n"
				"tracking_total_items:0\r\n"
				"tracking_total_prefixes:0\r\n"
				"unexpected_error_replies:0\r\n"
				"total_error_replies:%llu\r\n"
				"dump_payload_sanitizations:0\r\n"
				"total_reads_processed:%llu\r\n"
				"total_writes_processed:%llu\r\n"
				"io_threaded_reads_processed:0\r\n"
				"io_threaded_writes_processed:0\r\n"
				"reply_buffer_shrinks:0\r\n"
				"reply_buffer_expands:0\r\n",
				PubsubVisitNames(PUBSUB_CHANNEL, NULL, NULL),
				PubsubVisitNames(PUBSUB_PATTERN, NULL, NULL),
				PubsubVisitNames(PUBSUB_SHARD, NULL, NULL),
				u(t.error_replies), u(t.reads_processed), u(t.writes_processed));
}

static void
section_replication(ReplyBuf *out)
{
	/* tusk has no replication yet: what a Redis master without replicas says */
	info_printf(out,
				"# Replication\r\n"
				"role:master\r\n"
				"connected_slaves:0\r\n"
				"master_failover_state:no-failover\r\n"
				"master_replid:%s\r\n"
				"master_replid2:0000000000000000000000000000000000000000\r\n"
				"master_repl_offset:0\r\n"
				"second_repl_offset:-1\r\n"
				"repl_backlog_active:0\r\n"
				"repl_backlog_size:1048576\r\n"
				"repl_backlog_first_byte_offset:0\r\n"
				"repl_backlog_histlen:0\r\n",
				server_run_id);
}

/* CPU seconds the postmaster's reaped children used, from /proc. */
static void
postmaster_children_cpu(double *user, double *sys)
{
	char path[64], buf[1024];
	FILE *f;
	char *p;
	unsigned long long cutime = 0, cstime = 0;
	long ticks = sysconf(_SC_CLK_TCK);

	*user = *sys = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) getppid());
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	/* fields after "(comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17) */
	p = strrchr(buf, ')');
	if (p == NULL || ticks <= 0)
		return;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu",
			   &cutime, &cstime) != 2)
		return;
	*user = (double) cutime / (double) ticks;
	*sys = (double) cstime / (double) ticks;
}

static void
section_cpu(ReplyBuf *out)
{
	struct rusage self, thread;
	double cuser, csys;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_THREAD, &thread);
	postmaster_children_cpu(&cuser, &csys);
	info_printf(out,
				"# CPU\r\n"
				"used_cpu_sys:%ld.%06ld\r\n"
				"used_cpu_user:%ld.%06ld\r\n"
				"used_cpu_sys_children:%.6f\r\n"
				"used_cpu_user_children:%.6f\r\n"
				"used_cpu_sys_main_thread:%ld.%06ld\r\n"
				"used_cpu_user_main_thread:%ld.%06ld\r\n",
				(long) self.ru_stime.tv_sec, (long) self.ru_stime.tv_usec,
				(long) self.ru_utime.tv_sec, (long) self.ru_utime.tv_usec,
				csys, cuser,
				(long) thread.ru_stime.tv_sec, (long) thread.ru_stime.tv_usec,
				(long) thread.ru_utime.tv_sec, (long) thread.ru_utime.tv_usec);
}

static void
section_modules(ReplyBuf *out)
{
	info_printf(out, "# Modules\r\n");
}

static void
section_commandstats(ReplyBuf *out)
{
	StatsTotals t;
	StatsCommandCounts *per = MemAlloc(sizeof(StatsCommandCounts) * STATS_MAX_COMMANDS);

	StatsCollect(&t, per);
	info_printf(out, "# Commandstats\r\n");
	for (int i = 0, n = CommandIndexCount(); i < n; i++)
	{
		const StatsCommandCounts *pc = &per[i];

		if (pc->calls == 0 && pc->failed_calls == 0 && pc->rejected_calls == 0)
			continue;
		info_printf(out,
					"cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
					CommandByIndex(i)->name, u(pc->calls), u(pc->usec),
					pc->calls ? (double) pc->usec / (double) pc->calls : 0.0,
					u(pc->rejected_calls), u(pc->failed_calls));
	}
	MemFree(per);
}

static void
section_errorstats(ReplyBuf *out)
{
	StatsTotals t;

	StatsCollect(&t, NULL);
	info_printf(out, "# Errorstats\r\n");
	for (int i = 0; i < STATS_NUM_ERRORS; i++)
		if (t.errors[i] > 0)
			info_printf(out, "errorstat_%s:count=%llu\r\n", stats_error_names[i], u(t.errors[i]));
}

/*
 * Redis with latency-tracking off prints the header alone.
 * XXX #5: per-command latency histograms (latency-tracking) are missing.
 */
static void
section_latencystats(ReplyBuf *out)
{
	info_printf(out, "# Latencystats\r\n");
}

static void
section_cluster(ReplyBuf *out)
{
	info_printf(out, "# Cluster\r\ncluster_enabled:0\r\n");
}

/*
 * One line per non-empty database, from the keyspace counters: O(1) per
 * database, exact, expired keys included until they are deleted (as
 * Redis counts them). avg_ttl is the mean remaining time of the keys with
 * an expiry, from the sum of their expiry times; keys already expired
 * count below zero, and the mean is clamped at 0.
 */
static void
section_keyspace(ReplyBuf *out)
{
	int64_t		now = NowMs();

	info_printf(out, "# Keyspace\r\n");
	for (int db = 0; db < server_config->databases; db++)
	{
		KsDbCounts	k;
		long long	avg_ttl = 0;

		if (!KsCountersRead(db, &k, NULL) || k.keys <= 0)
			continue;
		if (k.expires > 0)
		{
			KsInt128	mean = k.expire_sum / k.expires - now;

			avg_ttl = mean > 0 ? (mean > LLONG_MAX ? LLONG_MAX : (long long) mean) : 0;
		}
		info_printf(out, "db%d:keys=%lld,expires=%lld,avg_ttl=%lld\r\n", db, (long long) k.keys,
					(long long) k.expires, avg_ttl);
	}
}

/* ---------------------------------------------------------------- tusk */

static void
section_tusk(ReplyBuf *out)
{
	info_printf(out,
				"# Tusk\r\n"
				"tusk_version:%s\r\n"
				"process_model:fork-per-connection\r\n"
				"backend_pid:%d\r\n"
				"shared_memory:%zu\r\n"
				"synchronous_commit:%s\r\n",
				TUSK_VERSION, (int) getpid(), ShmemTotalSize(),
				server_config->synchronous_commit ? "on" : "off");
}

static void
section_buffers(ReplyBuf *out)
{
	BufferStats bs;
	uint64_t lookups;

	BufGetStats(&bs);
	lookups = bs.hits + bs.reads;
	info_printf(out,
				"# Buffers\r\n"
				"shared_buffers:%lld\r\n"
				"shared_buffers_pages:%d\r\n"
				"buffer_hits:%llu\r\n"
				"buffer_reads:%llu\r\n"
				"buffer_hit_ratio:%.4f\r\n"
				"buffer_dirty:%d\r\n"
				"buffer_evictions:%llu\r\n"
				"buffer_extends:%llu\r\n"
				"buffers_written_backend:%llu\r\n"
				"buffers_written_checkpoint:%llu\r\n"
				"buffers_written_bgwriter:%llu\r\n"
				"buffers_alloc:%llu\r\n"
				"bgwriter_maxwritten_clean:%llu\r\n"
				"bgwriter_rounds:%llu\r\n",
				server_config->shared_buffers, NBuffers,
				u(bs.hits), u(bs.reads),
				lookups ? (double) bs.hits / (double) lookups : 1.0,
				BufCountDirty(), u(bs.evictions), u(bs.extends),
				u(bs.written_backend), u(bs.written_checkpoint), u(bs.written_bgwriter),
				u(bs.allocs), u(bs.bgwriter_maxwritten_clean), u(bs.bgwriter_rounds));
}

static void
section_wal(ReplyBuf *out)
{
	XLogStats ws;
	XLogRecPtr insert = XLogGetInsertPosition(), flush = XLogGetFlushPosition();

	XLogGetStats(&ws);
	info_printf(out,
				"# WAL\r\n"
				"wal_insert_lsn:%X/%08X\r\n"
				"wal_flush_lsn:%X/%08X\r\n"
				"wal_records:%llu\r\n"
				"wal_bytes:%llu\r\n"
				"wal_fpi:%llu\r\n"
				"wal_fsyncs:%llu\r\n"
				"wal_flush_waits:%llu\r\n"
				"wal_commits:%llu\r\n"
				"wal_commits_per_fsync:%.2f\r\n"
				"wal_fsync_avg_usec:%llu\r\n"
				"wal_fsyncs_overlapped:%llu\r\n"
				"wal_replies_handed_off:%llu\r\n",
				(unsigned) (insert >> 32), (unsigned) insert,
				(unsigned) (flush >> 32), (unsigned) flush,
				u(ws.records), u(ws.bytes), u(ws.fpi), u(ws.flushes),
				u(ws.flush_waits), u(ws.commits),
				ratio((double) ws.commits, (double) ws.flushes), u(ws.fsync_avg_us), u(ws.overlapped),
				u(HandoffReplies()));
}

static void
section_checkpointer(ReplyBuf *out)
{
	uint64_t checkpoints;
	XLogRecPtr redo;
	int64_t last;

	XLogGetCheckpointInfo(&checkpoints, &redo, &last);
	info_printf(out,
				"# Checkpointer\r\n"
				"checkpoints:%llu\r\n"
				"last_checkpoint_time:%lld\r\n"
				"last_checkpoint_redo_lsn:%X/%08X\r\n"
				"checkpoint_timeout:%d\r\n"
				"checkpoint_completion_target:%.2f\r\n"
				"max_wal_size:%lld\r\n",
				u(checkpoints), (long long) last,
				(unsigned) (redo >> 32), (unsigned) redo,
				server_config->checkpoint_timeout, server_config->checkpoint_completion_target,
				server_config->max_wal_size);
}

/* ---------------------------------------------------------------- vacuum */

/* The process whose snapshot or transaction holds the horizon back. */
static void
oldest_holder(TransactionId *xmin_out, int *pid_out)
{
	int			n = ProcArrayHighWater();

	*xmin_out = 0;
	*pid_out = 0;
	for (int i = 0; i < n; i++)
	{
		ProcSlot   *slot = &proc_array->slots[i];
		int			pid = atomic_load(&slot->pid);
		TransactionId xid = atomic_load(&slot->xid),
					xmin = atomic_load(&slot->xmin);
		TransactionId m = xid != 0 && xid < XACT_XID_PENDING ? xid : 0;

		if (pid == 0)
			continue;
		if (xmin != 0 && xmin < SNAPSHOT_XMIN_PENDING && (m == 0 || xmin < m))
			m = xmin;
		if (m != 0 && (*xmin_out == 0 || m < *xmin_out))
		{
			*xmin_out = m;
			*pid_out = pid;
		}
	}
}

static void
section_vacuum(ReplyBuf *out)
{
	VacuumInfo vi;
	TransactionId next_xid = XactReadNextXid();
	TransactionId oldest;
	int			oldest_pid;

	VacuumGetInfo(&vi);
	oldest_holder(&oldest, &oldest_pid);
	info_printf(out,
				"# Vacuum\r\n"
				"autovacuum:%s\r\n"
				"autovacuum_runs:%llu\r\n"
				"autovacuum_workers_active:%d\r\n"
				"last_autovacuum_time:%lld\r\n"
				"vacuum_runs:%llu\r\n"
				"last_vacuum_time:%lld\r\n"
				"dead_versions:%llu\r\n"
				"live_versions_estimate:%llu\r\n"
				"vacuum_pages_scanned:%llu\r\n"
				"versions_removed:%llu\r\n"
				"dead_slots_freed:%llu\r\n"
				"index_entries_removed:%llu\r\n"
				"tuples_frozen:%llu\r\n"
				"next_xid:%llu\r\n"
				"frozen_xid:%llu\r\n"
				"oldest_xmin:%llu\r\n"
				"oldest_xact_age:%llu\r\n"
				"oldest_xact_pid:%d\r\n"
				"vacuum_in_progress:%d\r\n",
				server_config->autovacuum ? "on" : "off",
				u(vi.autovacuum_runs), AutoVacWorkersActive(),
				(long long) (vi.last_autovacuum_ms / 1000), u(vi.vacuum_runs),
				(long long) (vi.last_vacuum_ms / 1000), u(vi.dead_versions), u(vi.live_estimate),
				u(vi.pages_scanned), u(vi.versions_removed), u(vi.dead_items_freed),
				u(vi.index_entries_removed), u(vi.tuples_frozen), u(next_xid), u(vi.frozen_xid),
				u(oldest ? oldest : next_xid), u(oldest ? next_xid - oldest : 0), oldest_pid,
				vi.nprogress);
	for (int i = 0; i < vi.nprogress; i++)
	{
		VacuumProgress *p = &vi.progress[i];

		info_printf(out,
					"vacuum_progress%d:pid=%d,auto=%d,phase=%s,blocks_total=%llu,"
					"blocks_scanned=%llu,dead_items=%llu,index_entries_removed=%llu,seconds=%lld\r\n",
					i, p->pid, p->is_auto ? 1 : 0, p->phase, u(p->blocks_total), u(p->blocks_scanned),
					u(p->dead_items), u(p->index_entries_removed),
					(long long) ((NowMs() - p->started_ms) / 1000));
	}
	for (int db = 0; db < server_config->databases; db++)
	{
		uint64_t	dead = VacuumDeadVersions(db);

		if (dead > 0)
			info_printf(out, "dead_versions_db%d:%llu\r\n", db, u(dead));
	}
}

/* Which requests include a section: default, all, everything (Redis). */
#define IN_DEFAULT		0x1
#define IN_ALL			0x2
#define IN_EVERYTHING	0x4

typedef struct InfoSection
{
	const char *name;
	void		(*fill) (ReplyBuf *out);
	int			in;
} InfoSection;

/*
 * In Redis's order; tusk's own last and, like a module's sections, only in
 * INFO everything or by name, so that INFO and INFO all list exactly
 * Redis's sections.
 */
static const InfoSection sections[] = {
	{"server", section_server, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"clients", section_clients, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"memory", section_memory, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"persistence", section_persistence, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"stats", section_stats, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"replication", section_replication, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"cpu", section_cpu, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"modules", section_modules, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"commandstats", section_commandstats, IN_ALL | IN_EVERYTHING},
	{"errorstats", section_errorstats, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"latencystats", section_latencystats, IN_ALL | IN_EVERYTHING},
	{"cluster", section_cluster, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"keyspace", section_keyspace, IN_DEFAULT | IN_ALL | IN_EVERYTHING},
	{"tusk", section_tusk, IN_EVERYTHING},
	{"buffers", section_buffers, IN_EVERYTHING},
	{"wal", section_wal, IN_EVERYTHING},
	{"checkpointer", section_checkpointer, IN_EVERYTHING},
	{"vacuum", section_vacuum, IN_EVERYTHING},
};

#define NUM_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static void
want_group(bool *want, int group)
{
	for (size_t s = 0; s < NUM_SECTIONS; s++)
		if (sections[s].in & group)
			want[s] = true;
}

void
InfoCommand(Client *c)
{
	bool want[NUM_SECTIONS];
	bool any = false;
	ReplyBuf out;

	memset(want, 0, sizeof(want));
	if (c->argc == 1)
		want_group(want, IN_DEFAULT);
	for (int i = 1; i < c->argc; i++)
	{
		if (ArgEquals(c, i, "everything"))
			want_group(want, IN_EVERYTHING);
		else if (ArgEquals(c, i, "all"))
			want_group(want, IN_ALL);
		else if (ArgEquals(c, i, "default"))
			want_group(want, IN_DEFAULT);
		else
		{
			for (size_t s = 0; s < NUM_SECTIONS; s++)
				if (ArgEquals(c, i, sections[s].name))
					want[s] = true;
		}
	}

	ReplyInit(&out);
	for (size_t s = 0; s < NUM_SECTIONS; s++)
	{
		if (!want[s])
			continue;
		if (any)
			ReplyAppend(&out, "\r\n", 2);
		sections[s].fill(&out);
		any = true;
	}
	AddReplyVerbatim(&c->reply, out.data ? out.data : "", out.len, "txt");
	ReplyFree(&out);
}
