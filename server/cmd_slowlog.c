/*
 * cmd_slowlog.c
 *	  SLOWLOG GET/LEN/RESET/HELP and the shared ring the commands slower
 *	  than slowlog-log-slower-than are kept in.
 *
 * NOTES
 *	  The ring lives in shared memory so that every backend sees the same
 *	  log, as Redis's one process does. Slowlog.lock (an LWLock, tranche
 *	  Slowlog) protects every field of Slowlog; pushes take it EXCLUSIVE,
 *	  SLOWLOG GET/LEN take it SHARED and build the reply under it (memory
 *	  only, no I/O). It is taken after the command finished, so it is never
 *	  held with another lock. The postmaster never touches it.
 *
 *	  The ring holds SLOWLOG_CAPACITY entries: a slowlog-max-len above that
 *	  keeps SLOWLOG_CAPACITY (XXX #5). Arguments are cut as Redis cuts them
 *	  (32 arguments, 128 bytes each, with "... (N more ...)" markers); the
 *	  client name is cut at PROC_NAME_LEN - 1 bytes, as in CLIENT LIST.
 */
#include "config.h"

#include "server/server.h"
#include "server/settings.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SLOWLOG_CAPACITY	512
#define SLOWLOG_MAX_ARGC	32		/* Redis's SLOWLOG_ENTRY_MAX_ARGC */
#define SLOWLOG_MAX_STRING	128		/* Redis's SLOWLOG_ENTRY_MAX_STRING */
/* room for the cut arguments and their markers */
#define SLOWLOG_ARG_BYTES	(SLOWLOG_MAX_ARGC * (SLOWLOG_MAX_STRING + 40))

typedef struct SlowlogEntry
{
	uint64_t	id;
	int64_t		time;			/* unix seconds */
	int64_t		duration;		/* microseconds */
	int			argc;
	uint16_t	arglen[SLOWLOG_MAX_ARGC];
	char		addr[PROC_ADDR_LEN];
	char		name[PROC_NAME_LEN];
	char		args[SLOWLOG_ARG_BYTES];	/* the arguments, back to back */
} SlowlogEntry;

typedef struct Slowlog
{
	LWLock		lock;
	uint64_t	next_id;		/* id of the next entry */
	uint64_t	oldest_id;		/* entries held: [oldest_id, next_id), the
								 * one with id i at i % SLOWLOG_CAPACITY */
	SlowlogEntry entries[SLOWLOG_CAPACITY];
} Slowlog;

static Slowlog *slowlog;

size_t
SlowlogShmemSize(void)
{
	return sizeof(Slowlog);
}

void
SlowlogShmemInit(void)
{
	slowlog = ShmemAlloc(sizeof(Slowlog));
	LWLockInit(&slowlog->lock, LWTRANCHE_SLOWLOG);
}

/* Arguments Redis shows as "(redacted)": passwords. */
static bool
is_redacted(const Client *c, const Command *cmd, int i)
{
	if (strcmp(cmd->name, "auth") == 0)
		return i >= 1;
	if (strcmp(cmd->name, "hello") == 0)
	{
		for (int j = 2; j < c->argc; j++)
		{
			if (ArgEquals(c, j, "auth") && j + 2 < c->argc)
			{
				if (i == j + 1 || i == j + 2)
					return true;
				j += 2;
			}
		}
		return false;
	}
	if (strcmp(cmd->name, "config|set") == 0)
	{
		/* values of sensitive settings: argv[3], argv[5], ... */
		if (i < 3 || (i % 2) == 0)
			return false;
		return ConfigIsSensitive(c->argv[i - 1]);
	}
	return false;
}

/* Append one argument to e, cut as Redis does. */
static void
entry_add_arg(SlowlogEntry *e, size_t *off, const char *s, size_t len)
{
	char		buf[SLOWLOG_MAX_STRING + 40];
	size_t		n;

	if (len > SLOWLOG_MAX_STRING)
	{
		memcpy(buf, s, SLOWLOG_MAX_STRING);
		n = SLOWLOG_MAX_STRING;
		n += (size_t) snprintf(buf + n, sizeof(buf) - n, "... (%zu more bytes)",
							   len - SLOWLOG_MAX_STRING);
		s = buf;
		len = n;
	}
	if (*off + len > sizeof(e->args))
		len = sizeof(e->args) - *off;	/* cannot happen: sized for the worst case */
	memcpy(e->args + *off, s, len);
	e->arglen[e->argc++] = (uint16_t) len;
	*off += len;
}

/*
 * After a command ran: log it if it took at least slowlog-log-slower-than
 * microseconds. The caller holds no lock.
 */
void
SlowlogPushIfNeeded(Client *c, const Command *cmd, int64_t duration)
{
	long long	slower_than = server_config->slowlog_log_slower_than;
	long long	max_len = server_config->slowlog_max_len;
	int			keep = max_len < SLOWLOG_CAPACITY ? (int) max_len : SLOWLOG_CAPACITY;
	int			shown = c->argc < SLOWLOG_MAX_ARGC ? c->argc : SLOWLOG_MAX_ARGC;
	SlowlogEntry *e;
	size_t		off = 0;

	if (slowlog == NULL || slower_than < 0 || duration < slower_than ||
		(cmd->flags & CMD_SKIP_SLOWLOG))
		return;

	LWLockAcquire(&slowlog->lock, LW_EXCLUSIVE);
	e = &slowlog->entries[slowlog->next_id % SLOWLOG_CAPACITY];
	e->id = slowlog->next_id++;
	e->time = (int64_t) time(NULL);
	e->duration = duration;
	e->argc = 0;
	for (int i = 0; i < shown; i++)
	{
		char		more[64];

		if (i == SLOWLOG_MAX_ARGC - 1 && c->argc > SLOWLOG_MAX_ARGC)
		{
			int			n = snprintf(more, sizeof(more), "... (%d more arguments)",
									 c->argc - SLOWLOG_MAX_ARGC + 1);

			entry_add_arg(e, &off, more, (size_t) n);
		}
		else if (is_redacted(c, cmd, i))
			entry_add_arg(e, &off, "(redacted)", 10);
		else
			entry_add_arg(e, &off, c->argv[i], c->argv_len[i]);
	}
	snprintf(e->addr, sizeof(e->addr), "%s", c->addr);
	snprintf(e->name, sizeof(e->name), "%s", c->name ? c->name : "");
	/* Redis adds, then trims to slowlog-max-len (0 keeps nothing) */
	if (slowlog->next_id - slowlog->oldest_id > (uint64_t) keep)
		slowlog->oldest_id = slowlog->next_id - (uint64_t) keep;
	LWLockRelease(&slowlog->lock);
}

static const char *const slowlog_help[] = {
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
	NULL
};

void
SlowlogHelpCommand(Client *c)
{
	AddReplyHelp(&c->reply, slowlog_help);
}

void
SlowlogGetCommand(Client *c)
{
	long long	count = 10;
	int			n;

	if (c->argc > 3)
	{
		AddReplyErrorFormat(&c->reply,
							"ERR unknown subcommand or wrong number of arguments for '%.128s'. Try SLOWLOG HELP.",
							c->argv[1]);
		return;
	}
	if (c->argc == 3)
	{
		const char *msg = "ERR count should be greater than or equal to -1";

		if (!GetLongLongOrReply(c, 2, &count, msg))
			return;
		if (count < -1 || count > LONG_MAX)
		{
			AddReplyError(&c->reply, msg);
			return;
		}
	}

	LWLockAcquire(&slowlog->lock, LW_SHARED);
	n = (int) (slowlog->next_id - slowlog->oldest_id);
	if (count >= 0 && count < n)
		n = (int) count;
	AddReplyArrayLen(&c->reply, n);
	for (int k = 0; k < n; k++)
	{
		const SlowlogEntry *e = &slowlog->entries[(slowlog->next_id - 1 - (uint64_t) k) % SLOWLOG_CAPACITY];
		size_t		off = 0;

		AddReplyArrayLen(&c->reply, 6);
		AddReplyLongLong(&c->reply, (long long) e->id);
		AddReplyLongLong(&c->reply, (long long) e->time);
		AddReplyLongLong(&c->reply, (long long) e->duration);
		AddReplyArrayLen(&c->reply, e->argc);
		for (int i = 0; i < e->argc; i++)
		{
			AddReplyBulk(&c->reply, e->args + off, e->arglen[i]);
			off += e->arglen[i];
		}
		AddReplyBulkCString(&c->reply, e->addr);
		AddReplyBulkCString(&c->reply, e->name);
	}
	LWLockRelease(&slowlog->lock);
}

void
SlowlogLenCommand(Client *c)
{
	int			n;

	LWLockAcquire(&slowlog->lock, LW_SHARED);
	n = (int) (slowlog->next_id - slowlog->oldest_id);
	LWLockRelease(&slowlog->lock);
	AddReplyLongLong(&c->reply, n);
}

void
SlowlogResetCommand(Client *c)
{
	LWLockAcquire(&slowlog->lock, LW_EXCLUSIVE);
	slowlog->oldest_id = slowlog->next_id;
	LWLockRelease(&slowlog->lock);
	AddReplyOk(&c->reply);
}
