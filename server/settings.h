/*
 * settings.h
 *	  Server settings: parsing (redis.conf syntax, command line), the live
 *	  copy in shared memory, CONFIG GET/SET.
 *
 * NOTES
 *	  Settings are parsed into a private ServerConfig before shared memory
 *	  exists (shared_buffers sizes it), then copied into the segment; from
 *	  then on `server_config` points at the shared copy, so a CONFIG SET in
 *	  one backend is seen by every process at its next read. Writers hold
 *	  `lock` exclusively and bump `generation` to odd before and to even
 *	  after changing fields; readers of numbers read them directly (aligned
 *	  word reads), readers of strings copy them with ConfigReadString(), which
 *	  retries on a generation change and takes no lock (the postmaster may
 *	  use it).
 */
#ifndef TUSK_SETTINGS_H
#define TUSK_SETTINGS_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/lwlock.h"

#define CONFIG_PATH_LEN 1024
#define CONFIG_STRING_LEN 512

typedef struct ServerConfig
{
	LWLock		lock;			/* serialises writers */
	_Atomic uint64_t generation;	/* seqlock for readers */

	int			port;
	char		bind[CONFIG_STRING_LEN];
	char		unixsocket[CONFIG_PATH_LEN];
	int			unixsocketperm;
	char		dir[CONFIG_PATH_LEN];
	char		pidfile[CONFIG_PATH_LEN];
	int			maxclients;
	int			shared_backends;	/* processes that serve many clients each; 0: none,
									 * -1: one per CPU (see PostmasterMain) */
	int			shared_backend_clients;	/* clients per shared backend, at most */
	char		requirepass[CONFIG_STRING_LEN];
	bool		daemonize;
	char		logfile[CONFIG_PATH_LEN];
	int			loglevel;
	int			databases;
	long long	proto_max_bulk_len;
	long long	client_query_buffer_limit;
	int			timeout;
	int			tcp_backlog;
	int			tcp_keepalive;
	int			huge_pages;
	long long	shared_buffers;
	bool		synchronous_commit;
	int			checkpoint_timeout;	/* seconds */
	double		checkpoint_completion_target;
	bool		autovacuum;		/* the launcher starts workers */
	int			autovacuum_max_workers;
	int			autovacuum_naptime;	/* s between runs */
	int			autovacuum_vacuum_cost_delay;	/* ms */
	int			autovacuum_vacuum_cost_limit;
	double		autovacuum_vacuum_scale_factor;
	long long	autovacuum_vacuum_threshold;
	long long	autovacuum_freeze_max_age;	/* run when this many xids are unfrozen */
	long long	vacuum_freeze_min_age;	/* xids below horizon - this get frozen */
	long long	max_wal_size;
	int			wal_writer_delay;	/* ms */
	int			commit_delay;	/* µs a flusher waits before flushing */
	int			bgwriter_delay; /* ms between rounds */
	int			bgwriter_lru_maxpages;	/* writes per round; 0: none */
	double		bgwriter_lru_multiplier;	/* reusable buffers per expected allocation */
	long long	slowlog_log_slower_than;	/* us; -1 off, 0 every command */
	long long	slowlog_max_len;
	long long	script_cache_size;	/* bytes of shared memory for script texts */
	char		save[CONFIG_STRING_LEN];	/* accepted, no effect: see README */
	bool		appendonly;		/* always yes: every write goes to the WAL */
	long long	pubsub_buffer_size;	/* the shared message log (server/pubsub.c) */
	int			pubsub_max_subscriptions;	/* registry entries; 0: 2 x maxclients */
	long long	pubsub_output_buffer_limit;	/* unread bytes before a subscriber is closed; 0: none */

	char		config_file[CONFIG_PATH_LEN];	/* absolute, or empty */

	/*
	 * CONFIG SET port/bind (cmd_config.c): a backend bumps listen_request
	 * and sends SIGHUP; the postmaster re-opens its listeners and answers
	 * in listen_ok, then sets listen_done to the request it handled.
	 */
	_Atomic uint32_t listen_request;
	_Atomic uint32_t listen_done;
	_Atomic bool listen_ok;
} ServerConfig;

extern ServerConfig *server_config;

/* Start-up: defaults, then the file, then the command line. Exits on error. */
void		ConfigLoadDefaults(void);
void		ConfigLoadFromArgs(int argc, char **argv);

/* Move the live settings into shared memory (postmaster, before forking). */
size_t		ConfigShmemSize(void);
void		ConfigShmemInit(void);
void		ConfigDetachShared(void);

void		ConfigReadString(const char *field_in_shmem, char *out, size_t outlen);
void		ConfigRefreshLocal(void);

/*
 * CONFIG SET as one unit: either every pair is applied or none is. On
 * failure *err holds the client error text (without the leading '-').
 */
bool		ConfigSetPairs(int npairs, const char **names, const char **values,
						   char *err, size_t errlen);

/* Iterate settings whose name matches a glob pattern, for CONFIG GET. */
typedef void (*ConfigVisitor) (const char *name, const char *value, void *arg);
int			ConfigVisitMatching(const char *pattern, ConfigVisitor visit, void *arg);
bool		ConfigGetValue(const char *name, char *out, size_t outlen);

/* Redis memory value: "100", "1k", "1kb", "2mb", "1gb" (case-insensitive). */
bool		ConfigParseMemory(const char *s, long long *out);

/* Push the WAL settings into shared memory (start-up and CONFIG SET). */
void		ConfigApplyStorageSettings(void);

/* Settings whose values are never shown (SLOWLOG redacts them). */
bool		ConfigIsSensitive(const char *name);

/* Mutable settings the postmaster must act on (listening sockets). */
bool		ConfigIsListenSetting(const char *name);

#endif
