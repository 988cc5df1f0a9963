/*
 * cmd_info.c
 *	  INFO: Redis's sections, field names and formats.
 *
 * NOTES
 *	  Sections read shared state without locks (process slots under their
 *	  change counters, settings as plain words), so INFO never waits.
 *	  XXX #5: memory, persistence, stats, replication, cpu, commandstats,
 *	  errorstats and the tusk sections come with the stats process.
 */
#include "config.h"

#include "server/settings.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "wal/xlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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
				"tusk_version:%s\r\n"
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
				"io_threads_active:0\r\n"
				"process_model:fork-per-connection\r\n"
				"backend_pid:%d\r\n",
				REDIS_COMPAT_VERSION, TUSK_VERSION,
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
				server_executable ? server_executable : "", config_file,
				(int) getpid());
}

static void
section_clients(ReplyBuf *out)
{
	int connected = 0;

	for (int i = 0, n = ProcArrayHighWater(); i < n; i++)
	{
		ProcSlot copy;

		if (ProcSlotRead(i, &copy) && copy.kind == PROC_KIND_BACKEND)
			connected++;
	}
	info_printf(out,
				"# Clients\r\n"
				"connected_clients:%d\r\n"
				"cluster_connections:0\r\n"
				"maxclients:%d\r\n"
				"client_recent_max_input_buffer:%zu\r\n"
				"client_recent_max_output_buffer:0\r\n"
				"blocked_clients:0\r\n"
				"tracking_clients:0\r\n"
				"clients_in_timeout_table:0\r\n"
				"total_connections_received:%llu\r\n",
				connected, server_config->maxclients,
				current_client ? current_client->qbuf_cap : (size_t) 0,
				(unsigned long long) atomic_load(&proc_array->total_connections));
}

static void
section_persistence(ReplyBuf *out)
{
	XLogStats ws;
	uint64_t checkpoints;
	XLogRecPtr redo, insert = XLogGetInsertPosition(), flush = XLogGetFlushPosition();
	int64_t last;

	XLogGetStats(&ws);
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
				"module_fork_last_cow_size:0\r\n"
				"synchronous_commit:%s\r\n"
				"wal_insert_lsn:%X/%08X\r\n"
				"wal_flush_lsn:%X/%08X\r\n"
				"wal_records:%llu\r\n"
				"wal_bytes:%llu\r\n"
				"wal_fpi:%llu\r\n"
				"wal_fsyncs:%llu\r\n"
				"wal_commits:%llu\r\n"
				"checkpoints:%llu\r\n"
				"last_checkpoint_redo_lsn:%X/%08X\r\n"
				"last_checkpoint_time:%lld\r\n",
				(long long) last, (unsigned long long) checkpoints,
				server_config->synchronous_commit ? "on" : "off",
				(unsigned) (insert >> 32), (unsigned) insert,
				(unsigned) (flush >> 32), (unsigned) flush,
				(unsigned long long) ws.records, (unsigned long long) ws.bytes,
				(unsigned long long) ws.fpi, (unsigned long long) ws.flushes,
				(unsigned long long) ws.commits, (unsigned long long) checkpoints,
				(unsigned) (redo >> 32), (unsigned) redo, (long long) last);
}

static void
section_keyspace(ReplyBuf *out)
{
	/* XXX #5: per-database key counts need counters kept at commit (a scan is O(n)) */
	info_printf(out, "# Keyspace\r\n");
}

typedef struct InfoSection
{
	const char *name;
	void		(*fill) (ReplyBuf *out);
	bool		in_default;
} InfoSection;

static const InfoSection sections[] = {
	{"server", section_server, true},
	{"clients", section_clients, true},
	{"persistence", section_persistence, true},
	{"keyspace", section_keyspace, true},
};

#define NUM_SECTIONS (sizeof(sections) / sizeof(sections[0]))

void
InfoCommand(Client *c)
{
	bool want[NUM_SECTIONS];
	bool any = false;
	ReplyBuf out;

	memset(want, 0, sizeof(want));
	if (c->argc == 1)
	{
		for (size_t s = 0; s < NUM_SECTIONS; s++)
			want[s] = sections[s].in_default;
	}
	for (int i = 1; i < c->argc; i++)
	{
		if (ArgEquals(c, i, "all") || ArgEquals(c, i, "everything"))
		{
			for (size_t s = 0; s < NUM_SECTIONS; s++)
				want[s] = true;
			continue;
		}
		if (ArgEquals(c, i, "default"))
		{
			for (size_t s = 0; s < NUM_SECTIONS; s++)
				want[s] |= sections[s].in_default;
			continue;
		}
		for (size_t s = 0; s < NUM_SECTIONS; s++)
			if (ArgEquals(c, i, sections[s].name))
				want[s] = true;
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
