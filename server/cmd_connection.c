/*
 * cmd_connection.c
 *	  Connection and server commands: PING, ECHO, QUIT, RESET, HELLO, AUTH,
 *	  SELECT, TIME, SHUTDOWN, DBSIZE.
 *
 * NOTES
 *	  Run in a backend; touch only this client's state, except SHUTDOWN,
 *	  which signals the postmaster.
 */
#include "config.h"

#include "server/settings.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "wal/xlog.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

void
PingCommand(Client *c)
{
	if (c->argc > 2)
	{
		ReplyWrongArity(c, c->cmd);
		return;
	}
	if (c->resp == 2 && PubsubClientSubscribed(c))
	{
		/* Redis: a subscribed RESP2 client gets a message-like array */
		AddReplyArrayLen(&c->reply, 2);
		AddReplyBulkCString(&c->reply, "pong");
		if (c->argc == 1)
			AddReplyBulk(&c->reply, "", 0);
		else
			AddReplyBulk(&c->reply, c->argv[1], c->argv_len[1]);
		return;
	}
	if (c->argc == 1)
		AddReplyStatus(&c->reply, "PONG");
	else
		AddReplyBulk(&c->reply, c->argv[1], c->argv_len[1]);
}

void
EchoCommand(Client *c)
{
	AddReplyBulk(&c->reply, c->argv[1], c->argv_len[1]);
}

void
QuitCommand(Client *c)
{
	AddReplyOk(&c->reply);
	c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static bool
password_matches(const char *given, size_t len)
{
	char pass[CONFIG_STRING_LEN];
	unsigned char diff = 0;
	size_t plen;

	ConfigReadString(server_config->requirepass, pass, sizeof(pass));
	plen = strlen(pass);
	/* compare in time independent of where the first difference is */
	for (size_t i = 0; i < len || i < plen; i++)
		diff |= (unsigned char) ((i < len ? given[i] : 0) ^ (i < plen ? pass[i] : 0));
	return diff == 0 && len == plen;
}

/*
 * Redis 7.0 with only the default user: without requirepass the user is
 * "nopass" and any password for "default" succeeds; with it, the password
 * must match.
 */
static bool
authenticate(Client *c, const char *user, size_t ulen, const char *pass, size_t plen)
{
	if (ulen != 7 || memcmp(user, "default", 7) != 0)
		return false;
	if (server_config->requirepass[0] == '\0')
		return true;
	return password_matches(pass, plen);
}

static void
reply_wrongpass(Client *c)
{
	AddReplyError(&c->reply, "WRONGPASS invalid username-password pair or user is disabled.");
}

void
AuthCommand(Client *c)
{
	const char *user = "default", *pass;
	size_t ulen = 7, plen;

	if (c->argc > 3)
	{
		ReplySyntaxError(c);
		return;
	}
	if (c->argc == 2)
	{
		if (server_config->requirepass[0] == '\0')
		{
			AddReplyError(&c->reply, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
			return;
		}
		pass = c->argv[1];
		plen = c->argv_len[1];
	}
	else
	{
		user = c->argv[1];
		ulen = c->argv_len[1];
		pass = c->argv[2];
		plen = c->argv_len[2];
	}
	if (!authenticate(c, user, ulen, pass, plen))
	{
		elog(VERBOSE, "failed AUTH from %s", c->addr);
		reply_wrongpass(c);
		return;
	}
	c->authenticated = true;
	AddReplyOk(&c->reply);
}

static bool
valid_client_name(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] < '!' || name[i] > '~')
			return false;
	return true;
}

/* CLIENT SETNAME and HELLO SETNAME; replies on error. */
bool		ClientSetName(Client *c, const char *name, size_t len);

bool
ClientSetName(Client *c, const char *name, size_t len)
{
	if (!valid_client_name(name, len))
	{
		AddReplyError(&c->reply, "ERR Client names cannot contain spaces, newlines or special characters.");
		return false;
	}
	MemFree(c->name);
	c->name = len ? MemStrndup(name, len) : NULL;
	return true;
}

void
HelloCommand(Client *c)
{
	long long ver = 0;
	int setname_arg = -1;
	bool authed_now = false;

	if (c->argc >= 2)
	{
		if (!StringToLongLong(c->argv[1], c->argv_len[1], &ver))
		{
			AddReplyError(&c->reply, "ERR Protocol version is not an integer or out of range");
			return;
		}
		if (ver < 2 || ver > 3)
		{
			AddReplyError(&c->reply, "NOPROTO unsupported protocol version");
			return;
		}
	}
	for (int j = 2; j < c->argc; j++)
	{
		int moreargs = c->argc - 1 - j;

		if (ArgEquals(c, j, "auth") && moreargs >= 2)
		{
			if (!authenticate(c, c->argv[j + 1], c->argv_len[j + 1], c->argv[j + 2], c->argv_len[j + 2]))
			{
				reply_wrongpass(c);
				return;
			}
			authed_now = true;
			j += 2;
		}
		else if (ArgEquals(c, j, "setname") && moreargs >= 1)
		{
			setname_arg = j + 1;
			j++;
		}
		else
		{
			AddReplyErrorFormat(&c->reply, "ERR Syntax error in HELLO option '%s'", c->argv[j]);
			return;
		}
	}
	if (authed_now)
		c->authenticated = true;
	if (!c->authenticated && server_config->requirepass[0] != '\0')
	{
		AddReplyError(&c->reply, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
		return;
	}
	if (setname_arg > 0 &&
		!ClientSetName(c, c->argv[setname_arg], c->argv_len[setname_arg]))
		return;
	if (ver)
	{
		c->resp = (int) ver;
		c->reply.resp = (int) ver;
	}
	AddReplyMapLen(&c->reply, 7);
	AddReplyBulkCString(&c->reply, "server");
	AddReplyBulkCString(&c->reply, "redis");
	AddReplyBulkCString(&c->reply, "version");
	AddReplyBulkCString(&c->reply, REDIS_COMPAT_VERSION);
	AddReplyBulkCString(&c->reply, "proto");
	AddReplyLongLong(&c->reply, c->resp);
	AddReplyBulkCString(&c->reply, "id");
	AddReplyLongLong(&c->reply, (long long) c->id);
	AddReplyBulkCString(&c->reply, "mode");
	AddReplyBulkCString(&c->reply, "standalone");
	AddReplyBulkCString(&c->reply, "role");
	AddReplyBulkCString(&c->reply, "master");
	AddReplyBulkCString(&c->reply, "modules");
	AddReplyArrayLen(&c->reply, 0);
}

void
ResetCommand(Client *c)
{
	MultiDiscard(c);
	MultiUnwatch(c);
	PubsubClientReset(c);
	c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP);
	c->db = 0;
	c->resp = 2;
	c->reply.resp = 2;
	MemFree(c->name);
	c->name = NULL;
	c->authenticated = false;
	AddReplyStatus(&c->reply, "RESET");
}

void
SelectCommand(Client *c)
{
	long long id;

	if (!StringToLongLong(c->argv[1], c->argv_len[1], &id))
	{
		AddReplyError(&c->reply, err_not_integer);
		return;
	}
	if (id < INT_MIN || id > INT_MAX)
	{
		AddReplyError(&c->reply, "ERR value is out of range, value must between -2147483648 and 2147483647");
		return;
	}
	if (id < 0 || id >= server_config->databases)
	{
		AddReplyError(&c->reply, "ERR DB index is out of range");
		return;
	}
	c->db = (int) id;
	AddReplyOk(&c->reply);
}

void
TimeCommand(Client *c)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	AddReplyArrayLen(&c->reply, 2);
	AddReplyBulkLongLong(&c->reply, (long long) tv.tv_sec);
	AddReplyBulkLongLong(&c->reply, (long long) tv.tv_usec);
}

/*
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The postmaster does the
 * work (it stops every backend, this one included), so the client sees the
 * connection close, as with Redis.
 */
void
ShutdownCommand(Client *c)
{
	bool save = false, nosave = false, abort_flag = false;

	for (int i = 1; i < c->argc; i++)
	{
		if (ArgEquals(c, i, "nosave"))
			nosave = true;
		else if (ArgEquals(c, i, "save"))
			save = true;
		else if (ArgEquals(c, i, "now") || ArgEquals(c, i, "force"))
			;
		else if (ArgEquals(c, i, "abort"))
			abort_flag = true;
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if ((save && nosave) || (abort_flag && c->argc != 2))
	{
		ReplySyntaxError(c);
		return;
	}
	if (abort_flag)
	{
		AddReplyError(&c->reply, "ERR No shutdown in progress.");
		return;
	}
	elog(LOG, "user requested shutdown...");
	kill(getppid(), SIGTERM);
	c->flags |= CLIENT_CLOSE_NOW;
}

/* DbsizeCommand is in server/cmd_keys.c (it scans the keyspace). */

/*
 * SAVE, BGSAVE, BGREWRITEAOF: tusk has no snapshot file; its durable image
 * is the data files plus the WAL, so each of these asks the checkpointer
 * for a checkpoint (SAVE waits for it, the others return at once).
 */
void
SaveCommand(Client *c)
{
	if (!RequestCheckpoint(CHECKPOINT_REQUESTED | CHECKPOINT_IMMEDIATE | CHECKPOINT_WAIT))
	{
		AddReplyError(&c->reply, "ERR checkpoint failed; see the server log");
		return;
	}
	AddReplyOk(&c->reply);
}

void
BgsaveCommand(Client *c)
{
	if (c->argc > 2 || (c->argc == 2 && !ArgEquals(c, 1, "schedule")))
	{
		ReplySyntaxError(c);
		return;
	}
	RequestCheckpoint(CHECKPOINT_REQUESTED | CHECKPOINT_IMMEDIATE);
	AddReplyStatus(&c->reply, "Background saving started");
}

void
BgrewriteaofCommand(Client *c)
{
	RequestCheckpoint(CHECKPOINT_REQUESTED | CHECKPOINT_IMMEDIATE);
	AddReplyStatus(&c->reply, "Background append only file rewriting started");
}

void
LastsaveCommand(Client *c)
{
	AddReplyLongLong(&c->reply, (long long) XLogLastCheckpointTime());
}

/* Replication is not there yet: every tusk server is a master without replicas. */
void
RoleCommand(Client *c)
{
	AddReplyArrayLen(&c->reply, 3);
	AddReplyBulkCString(&c->reply, "master");
	AddReplyLongLong(&c->reply, 0);
	AddReplyArrayLen(&c->reply, 0);
}
