/*
 * multi.c
 *	  MULTI, EXEC, DISCARD, WATCH and UNWATCH.
 *
 * NOTES
 *	  Between MULTI and EXEC a command is checked (known, arity, auth) and
 *	  queued with copies of its arguments; a command refused at that point
 *	  makes EXEC discard the transaction (EXECABORT), as in Redis.
 *
 *	  EXEC runs the queue as one write transaction (DESIGN.md section 4):
 *	  it locks every key that any queued command or WATCH names, in the
 *	  usual order and all at once (server/txn.c CmdExecBegin), so no other
 *	  writer can interleave; each command then joins that transaction
 *	  instead of starting its own, and one commit at the end makes all of
 *	  it visible to readers at once and durable at once. A queue that uses
 *	  another database (SELECT, MOVE, COPY ... DB, SWAPDB, FLUSHDB,
 *	  FLUSHALL, or a WATCH in another database) locks every database
 *	  EXCLUSIVE instead. Readers never wait for an EXEC: they see the
 *	  state before its commit until it commits.
 *
 *	  A command that fails inside EXEC (WRONGTYPE, not an integer) leaves
 *	  its error in EXEC's reply and the others are applied, as in Redis.
 *	  The one difference: a command that fails after it changed something
 *	  (a storage error in the middle of an MSET) cannot be undone alone, so
 *	  EXEC then rolls back the whole transaction and replies an error.
 *
 *	  WATCH remembers, for each key, whether it exists and the id of the
 *	  transaction that wrote the version a read shows (KsValue.xmin); EXEC
 *	  compares that with the newest version under its locks and replies a
 *	  null array if any differs.
 *	  A key created and deleted again between WATCH and EXEC therefore
 *	  counts as unchanged (Redis would fail the EXEC).
 */
#include "config.h"

#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/keylock.h"
#include "storage/keyspace.h"
#include "storage/mem.h"
#include "wal/xlog.h"

#include <errno.h>
#include <string.h>

typedef struct QueuedCommand
{
	const Command *cmd;
	int			argc;
	char	  **argv;
	size_t	   *argv_len;
} QueuedCommand;

typedef struct MultiState
{
	QueuedCommand *queue;
	int			n;
	int			cap;
	bool		dirty;			/* a command was refused while queueing */
} MultiState;

typedef struct WatchedKey
{
	int			db;
	char	   *key;
	size_t		len;
	bool		exists;
	TransactionId xmin;
	uint64_t	changes;		/* KeyLockChangeCount at WATCH */
} WatchedKey;

typedef struct WatchState
{
	WatchedKey *keys;
	int			n;
	int			cap;
} WatchState;

static void
free_queue(MultiState *m)
{
	for (int i = 0; i < m->n; i++)
	{
		for (int j = 0; j < m->queue[i].argc; j++)
			MemFree(m->queue[i].argv[j]);
		MemFree(m->queue[i].argv);
		MemFree(m->queue[i].argv_len);
	}
	MemFree(m->queue);
	MemFree(m);
}

void
MultiDiscard(Client *c)
{
	if (c->multi)
		free_queue(c->multi);
	c->multi = NULL;
}

void
MultiUnwatch(Client *c)
{
	WatchState *w = c->watched;

	if (w == NULL)
		return;
	for (int i = 0; i < w->n; i++)
		MemFree(w->keys[i].key);
	MemFree(w->keys);
	MemFree(w);
	c->watched = NULL;
}

bool
MultiQueueing(const Client *c, const Command *cmd)
{
	CommandProc p = cmd->proc;

	if (c->multi == NULL)
		return false;
	/* these run at once even inside MULTI, as in Redis */
	return p != ExecCommand && p != DiscardCommand && p != MultiCommand &&
		p != WatchCommand && p != QuitCommand && p != ResetCommand;
}

/* Whether EXEC would run a write (CLIENT PAUSE WRITE holds such an EXEC). */
bool
MultiQueueWrites(const Client *c)
{
	for (int i = 0; c->multi && i < c->multi->n; i++)
		if (c->multi->queue[i].cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE))
			return true;
	return false;
}

void
MultiFlagError(Client *c)
{
	if (c->multi)
		c->multi->dirty = true;
}

void
MultiQueue(Client *c, const Command *cmd)
{
	MultiState *m = c->multi;
	QueuedCommand *q;

	if (m->n == m->cap)
	{
		m->cap = m->cap ? m->cap * 2 : 8;
		m->queue = MemRealloc(m->queue, sizeof(QueuedCommand) * (size_t) m->cap);
	}
	q = &m->queue[m->n++];
	q->cmd = cmd;
	q->argc = c->argc;
	q->argv = MemAlloc(sizeof(char *) * (size_t) c->argc);
	q->argv_len = MemAlloc(sizeof(size_t) * (size_t) c->argc);
	for (int i = 0; i < c->argc; i++)
	{
		q->argv[i] = MemAlloc(c->argv_len[i] + 1);
		memcpy(q->argv[i], c->argv[i], c->argv_len[i]);
		q->argv[i][c->argv_len[i]] = '\0';
		q->argv_len[i] = c->argv_len[i];
	}
	AddReplyStatus(&c->reply, "QUEUED");
}

int
MultiQueuedCount(const Client *c)
{
	return c->multi ? c->multi->n : -1;
}

void
MultiCommand(Client *c)
{
	if (c->multi)
	{
		AddReplyError(&c->reply, "ERR MULTI calls can not be nested");
		return;
	}
	c->multi = MemAllocZero(sizeof(MultiState));
	AddReplyOk(&c->reply);
}

void
DiscardCommand(Client *c)
{
	if (c->multi == NULL)
	{
		AddReplyError(&c->reply, "ERR DISCARD without MULTI");
		return;
	}
	MultiDiscard(c);
	MultiUnwatch(c);
	AddReplyOk(&c->reply);
}

/* The newest version's existence and writer, as EXEC compares them. */
static bool
key_version(int db, const char *key, size_t len, bool *exists, TransactionId *xmin)
{
	KsValue		v;
	KsStatus	st;

	KsValueInit(&v);
	st = KsGetLatestMeta(db, key, len, NowMs(), &v);
	*exists = st == KS_OK && v.exists;
	*xmin = *exists ? v.xmin : InvalidTransactionId;
	KsValueRelease(&v);
	return st == KS_OK || st == KS_NOT_FOUND || st == KS_KEY_TOO_LONG;
}

void
WatchCommand(Client *c)
{
	WatchState *w;
	CmdTxn		t;

	if (c->multi)
	{
		AddReplyError(&c->reply, "ERR WATCH inside MULTI is not allowed");
		return;
	}
	if (c->watched == NULL)
		c->watched = MemAllocZero(sizeof(WatchState));
	w = c->watched;
	/*
	 * The version a read would show now (with synchronous_commit on, a
	 * durable read may show one older than the newest): what the client
	 * reads after WATCH is what EXEC must find unchanged, or a WATCH-GET-
	 * MULTI-SET loop could build on a value already overwritten.
	 */
	CmdReadBegin(c, &t);
	for (int i = 1; i < c->argc; i++)
	{
		WatchedKey *k;
		KsValue		v;
		bool		seen = false;

		for (int j = 0; j < w->n && !seen; j++)
			seen = w->keys[j].db == c->db && w->keys[j].len == c->argv_len[i] &&
				memcmp(w->keys[j].key, c->argv[i], c->argv_len[i]) == 0;
		if (seen)
			continue;
		if (w->n == w->cap)
		{
			w->cap = w->cap ? w->cap * 2 : 4;
			w->keys = MemRealloc(w->keys, sizeof(WatchedKey) * (size_t) w->cap);
		}
		k = &w->keys[w->n];
		/* before the version: a write in between then shows as a change */
		k->changes = KeyLockChangeCount(c->db, KsHash(c->argv[i], c->argv_len[i]));
		if (!CmdLoadVisibleUncounted(c, &t, i, &v))
		{
			(void) CmdReadEnd(c, &t);
			return;
		}
		k->db = c->db;
		k->len = c->argv_len[i];
		k->exists = v.exists;
		k->xmin = v.exists ? v.xmin : InvalidTransactionId;
		k->key = MemStrndup(c->argv[i], c->argv_len[i]);
		KsValueRelease(&v);
		w->n++;
	}
	if (CmdReadEnd(c, &t))
		AddReplyOk(&c->reply);
}

void
UnwatchCommand(Client *c)
{
	MultiUnwatch(c);
	AddReplyOk(&c->reply);
}

bool
MultiNeedsAllDatabases(const Command *cmd)
{
	CommandProc p = cmd->proc;

	if (p == SelectCommand || p == MoveCommand || p == CopyCommand)
		return true;
	/*
	 * Keys named through a numkeys argument are found by CommandKeyRange
	 * (LMPOP, ZMPOP, ZUNION, SINTERCARD: numkeys_arg); a command that has
	 * a fixed key as well (ZUNIONSTORE dest numkeys key ...) is not
	 * described by the table, so EXEC takes every database lock for it.
	 */
	if ((cmd->flags & CMD_MOVABLE_KEYS) && cmd->numkeys_arg == 0 &&
		cmd->key_keyword == NULL)
		return true;
	/*
	 * Keys after a keyword (XREAD ... STREAMS key ...) are exact for
	 * XREAD, whose other arguments are numbers; XREADGROUP's group or
	 * consumer may be named "streams", so a write locks everything.
	 */
	if ((cmd->flags & CMD_WRITE) && cmd->key_keyword != NULL)
		return true;
	return (cmd->flags & CMD_WRITE) && cmd->first_key == 0 && cmd->numkeys_arg == 0 &&
		cmd->key_keyword == NULL;
}

/* Append the hashes of q's keys (the command table's key positions). */
static void
add_key_hashes(const QueuedCommand *q, uint64_t **hashes, int *n, int *cap)
{
	int			first, last, step;

	/* a numkeys that does not fit: the command fails with no key touched */
	if (!CommandKeyRange(q->cmd, q->argc, (const char *const *) q->argv, q->argv_len,
						 &first, &last, &step))
		return;
	for (int i = first; i <= last; i += step)
	{
		if (*n == *cap)
		{
			*cap = *cap ? *cap * 2 : 16;
			*hashes = MemRealloc(*hashes, sizeof(uint64_t) * (size_t) *cap);
		}
		(*hashes)[(*n)++] = KsHash(q->argv[i], q->argv_len[i]);
	}
}

/* Under EXEC's locks: has any watched key changed since WATCH? */
static bool
watched_keys_changed(Client *c, bool *failed)
{
	WatchState *w = c->watched;

	*failed = false;
	if (w == NULL)
		return false;
	for (int i = 0; i < w->n; i++)
	{
		bool		exists;
		TransactionId xmin;

		if (!key_version(w->keys[i].db, w->keys[i].key, w->keys[i].len, &exists, &xmin))
		{
			*failed = true;
			return true;
		}
		if (exists != w->keys[i].exists || xmin != w->keys[i].xmin)
			return true;
		/* written since WATCH, even if created and deleted again */
		if (KeyLockChangeCount(w->keys[i].db, KsHash(w->keys[i].key, w->keys[i].len)) !=
			w->keys[i].changes)
			return true;
	}
	return false;
}

void
ExecCommand(Client *c)
{
	MultiState *m = c->multi;
	WatchState *w = c->watched;
	uint64_t   *hashes = NULL;
	int			nhashes = 0, cap = 0;
	bool		all_dbs = false, writes = false, failed;
	uint64_t	wal_estimate = 0;
	int			saved_db = c->db, saved_argc;
	const char **saved_argv;
	size_t	   *saved_lens;
	size_t		reply_start;

	if (m == NULL)
	{
		AddReplyError(&c->reply, "ERR EXEC without MULTI");
		return;
	}
	/* c->multi stays set while the commands run: CLIENT INFO shows flags=x */
	if (m->dirty)
	{
		AddReplyError(&c->reply, "EXECABORT Transaction discarded because of previous errors.");
		c->multi = NULL;
		free_queue(m);
		MultiUnwatch(c);
		return;
	}

	for (int i = 0; i < m->n; i++)
	{
		if (MultiNeedsAllDatabases(m->queue[i].cmd))
			all_dbs = true;
		if (m->queue[i].cmd->flags & CMD_WRITE)
		{
			writes = true;
			wal_estimate += 512;
			for (int j = 1; j < m->queue[i].argc; j++)
				wal_estimate += m->queue[i].argv_len[j];
		}
		add_key_hashes(&m->queue[i], &hashes, &nhashes, &cap);
	}
	/*
	 * Room in the WAL for what the queue writes (about its arguments, plus
	 * a few records per command), before anything is inserted: a big
	 * transaction on a nearly full disk is refused here with MISCONF
	 * rather than run past the last WAL segment that can be made.
	 */
	if (writes && XLogReserve(wal_estimate * 2) != 0)
	{
		AddReplyErrorFormat(&c->reply, "MISCONF Errors writing to the WAL: %s", strerror(ENOSPC));
		MemFree(hashes);
		c->multi = NULL;
		free_queue(m);
		MultiUnwatch(c);
		return;
	}
	for (int i = 0; w && i < w->n; i++)
	{
		if (w->keys[i].db != c->db)
			all_dbs = true;
		else
		{
			QueuedCommand q = {NULL, 2, NULL, NULL};
			char	   *argv[2] = {NULL, w->keys[i].key};
			size_t		lens[2] = {0, w->keys[i].len};
			static const Command watch_spec = {.name = "watch", .first_key = 1, .last_key = 1, .key_step = 1};

			q.cmd = &watch_spec;
			q.argv = argv;
			q.argv_len = lens;
			add_key_hashes(&q, &hashes, &nhashes, &cap);
		}
	}

	if (!CmdExecBegin(c, writes, all_dbs, hashes, nhashes))
	{
		MemFree(hashes);
		c->multi = NULL;
		free_queue(m);
		MultiUnwatch(c);
		return;
	}
	MemFree(hashes);

	if (watched_keys_changed(c, &failed))
	{
		(void) CmdExecEnd(c);
		if (failed)
			AddReplyError(&c->reply, "ERR storage error; see the server log");
		else
		{
			/* the versions compared may rest on commits not yet durable */
			(void) CmdWaitDurable(c, XLogGetLastCommitPosition());
			AddReplyNullArray(&c->reply);
		}
		c->multi = NULL;
		free_queue(m);
		MultiUnwatch(c);
		return;
	}
	MultiUnwatch(c);

	saved_argc = c->argc;
	saved_argv = c->argv;
	saved_lens = c->argv_len;
	reply_start = c->reply.len;
	AddReplyArrayLen(&c->reply, m->n);
	for (int i = 0; i < m->n; i++)
	{
		QueuedCommand *q = &m->queue[i];

		c->argc = q->argc;
		c->argv = (const char **) q->argv;
		c->argv_len = q->argv_len;
		CommandCall(c, q->cmd);
	}
	c->argc = saved_argc;
	c->argv = saved_argv;
	c->argv_len = saved_lens;
	if (!CmdExecEnd(c))
	{
		/* nothing was applied: the replies of the commands must not show */
		if (c->reply.sent <= reply_start)
			c->reply.len = reply_start;
		c->db = saved_db;
		AddReplyError(&c->reply, "ERR EXEC failed after a command had changed data; the whole "
					  "transaction was rolled back (see the server log)");
	}
	c->multi = NULL;
	free_queue(m);
}
