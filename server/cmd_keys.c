/*
 * cmd_keys.c
 *	  Generic key commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX COPY MOVE
 *	  KEYS SCAN RANDOMKEY TOUCH DBSIZE FLUSHDB FLUSHALL SWAPDB OBJECT.
 *
 * NOTES
 *	  Runs in backends and follows server/txn.h: reads take a snapshot and
 *	  no lock; writes lock their keys, run in one transaction and reply
 *	  after the commit is durable; a command that fails changes nothing.
 *	  Commands that touch two databases (COPY ... DB n, MOVE) or whole
 *	  databases (FLUSHDB, FLUSHALL, SWAPDB) take the database locks
 *	  EXCLUSIVE instead of key locks (storage/keylock.h), which excludes
 *	  every other writer of those databases but no reader.
 *
 *	  KEYS, FLUSHDB, FLUSHALL and SWAPDB are O(keys of the database), and
 *	  SWAPDB copies every key of both databases (XXX #3,
 *	  redis-compat/partial.txt); it holds both databases' values in private
 *	  memory meanwhile. DBSIZE reads the per-database counters
 *	  (storage/kscounters.h): O(1).
 */
#include "config.h"

#include "server/blocking.h"
#include "server/server.h"
#include "server/settings.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/keylock.h"
#include "storage/kscounters.h"
#include "storage/mem.h"
#include "storage/stats.h"
#include "storage/xact.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Redis's OBJ_SHARED_REFCOUNT and OBJ_SHARED_INTEGERS. */
#define SHARED_REFCOUNT INT_MAX
#define SHARED_INTEGERS 10000
#define EMBSTR_SIZE_LIMIT 44

static const char *const type_names[] = {"string", "list", "set", "zset", "hash", "stream"};

static const char *
type_name(uint8_t type)
{
	return type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[type] : "none";
}

static bool
delete_key(Client *c, int db, const char *key, size_t len, const KsValue *cur)
{
	KsStatus st = KsDelete(db, key, len, cur);

	return st == KS_OK || ReplyKsError(c, st);
}

static bool
put_key(Client *c, int db, const char *key, size_t len, const KsValue *src, const KsValue *cur)
{
	KsStatus st = KsPutFlags(db, key, len, src->type, src->flags, src->value, src->value_len,
							 src->expire_ms, cur);

	if (st == KS_OK && (src->type == KS_TYPE_LIST || src->type == KS_TYPE_ZSET ||
						 src->type == KS_TYPE_STREAM))
		BlockNoteKey(db, key, len);	/* RENAME, COPY, MOVE: a client may wait on it */
	return st == KS_OK || ReplyKsError(c, st);
}

static bool
commit_or_abort(Client *c, CmdTxn *t, bool ok)
{
	if (!ok)
	{
		CmdWriteAbort(c, t);
		return false;
	}
	return CmdWriteCommit(c, t);
}

/*
 * CmdWriteBegin for whole databases: their locks EXCLUSIVE (n < 0: all),
 * then an xid. Ended by CmdWriteCommit / CmdWriteAbort as usual.
 */
static bool
write_begin_databases(Client *c, CmdTxn *t, const int *dbs, int n)
{
	static Snapshot db_snapshot = SNAPSHOT_INIT;

	if (CmdExecActive())
	{
		/* EXEC holds every database's lock already */
		if (!CmdExecJoin(c, t))
			return false;
		t->snap = &db_snapshot;
		return true;
	}
	if (!CmdWriteAllowed(c))
		return false;
	KeyLockAcquireDatabases(dbs, n);
	t->writing = true;
	t->now_ms = NowMs();
	t->snap = &db_snapshot;
	if (XactBegin() == InvalidTransactionId)
	{
		KeyLockReleaseAll();
		AddReplyError(&c->reply, "ERR could not start a transaction; see the server log");
		return false;
	}
	return true;
}

/* A database number argument as Redis's getIntFromObjectOrReply + selectDb. */
static bool
get_db_or_reply(Client *c, int argi, const char *not_int_msg, int *db)
{
	long long v;

	if (!StringToLongLong(c->argv[argi], c->argv_len[argi], &v))
	{
		AddReplyError(&c->reply, not_int_msg ? not_int_msg : err_not_integer);
		return false;
	}
	if (v < INT_MIN || v > INT_MAX)
	{
		if (not_int_msg)
			AddReplyError(&c->reply, not_int_msg);
		else
			AddReplyErrorFormat(&c->reply, "ERR value is out of range, value must between %d and %d",
								INT_MIN, INT_MAX);
		return false;
	}
	*db = (int) v;
	return true;
}

static bool
db_in_range(int db)
{
	return db >= 0 && db < server_config->databases;
}

/* ------------------------------------------------------------ DEL, EXISTS */

static void
del_generic(Client *c)
{
	CmdTxn t;
	long long deleted = 0;
	bool ok = true;

	if (!CmdWriteBeginKeys(c, &t, 1, c->argc - 1, 1))
		return;
	for (int i = 1; i < c->argc && ok; i++)
	{
		KsValue cur;

		ok = CmdLoadLatestKey(c, &t, c->db, c->argv[i], c->argv_len[i], &cur);
		if (ok && cur.exists)
		{
			ok = delete_key(c, c->db, c->argv[i], c->argv_len[i], &cur);
			deleted += ok;
		}
		KsValueRelease(&cur);
	}
	if (ok && deleted == 0)
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, 0);
		return;
	}
	if (commit_or_abort(c, &t, ok))
		AddReplyLongLong(&c->reply, deleted);
}

void
DelCommand(Client *c)
{
	del_generic(c);
}

void
UnlinkCommand(Client *c)
{
	del_generic(c);
}

/*
 * EXISTS and TOUCH: how many of the arguments exist (duplicates count).
 * Up to EXISTS_DURABLE_KEYS keys are read as one durable read (no wait
 * for other clients' flushes, txn.c CmdLoadVisibleMany); more are read one
 * at a time, so that their values are not all held at once.
 */
#define EXISTS_DURABLE_KEYS 16

static void
count_existing(Client *c)
{
	CmdTxn t;
	long long n = 0;
	int nkeys = c->argc - 1;

	CmdReadBegin(c, &t);
	if (nkeys <= EXISTS_DURABLE_KEYS)
	{
		KsValue vals[EXISTS_DURABLE_KEYS];

		if (!CmdLoadVisibleMany(c, &t, 1, nkeys, vals))
		{
			SnapshotReleaseAll();
			return;
		}
		for (int i = 0; i < nkeys; i++)
		{
			n += vals[i].exists;
			KsValueRelease(&vals[i]);
		}
	}
	else
	{
		for (int i = 1; i < c->argc; i++)
		{
			KsValue v;
			bool ok = CmdLoadVisible(c, &t, i, &v);

			n += ok && v.exists;
			KsValueRelease(&v);
			if (!ok)
			{
				SnapshotReleaseAll();
				return;
			}
		}
	}
	if (CmdReadEnd(c, &t))
		AddReplyLongLong(&c->reply, n);
}

void
ExistsCommand(Client *c)
{
	count_existing(c);
}

/* XXX #3: no access times are kept, so TOUCH changes nothing. */
void
TouchCommand(Client *c)
{
	count_existing(c);
}

void
TypeCommand(Client *c)
{
	CmdTxn t;
	KsValue v;

	if (!CmdReadKey(c, &t, 1, &v))
		return;
	if (CmdReadEnd(c, &t))
		AddReplyStatus(&c->reply, v.exists ? type_name(v.type) : "none");
	KsValueRelease(&v);
}

/* ------------------------------------------------------------ RENAME */

static void
rename_generic(Client *c, bool nx)
{
	CmdTxn t;
	KsValue src, dst;
	bool ok;

	if (!CmdWriteBeginKeys(c, &t, 1, 2, 1))
		return;
	KsValueInit(&dst);
	ok = CmdLoadLatestKey(c, &t, c->db, c->argv[1], c->argv_len[1], &src);
	if (ok && !src.exists)
	{
		AddReplyError(&c->reply, "ERR no such key");
		ok = false;
	}
	else if (ok && c->argv_len[1] == c->argv_len[2] &&
			 memcmp(c->argv[1], c->argv[2], c->argv_len[1]) == 0)
	{
		/* Same key: nothing to do, the TTL stays. */
		CmdWriteAbort(c, &t);
		if (nx)
			AddReplyLongLong(&c->reply, 0);
		else
			AddReplyOk(&c->reply);
		KsValueRelease(&src);
		return;
	}
	if (ok)
		ok = CmdLoadLatestKey(c, &t, c->db, c->argv[2], c->argv_len[2], &dst);
	if (ok && nx && dst.exists)
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, 0);
		KsValueRelease(&src);
		KsValueRelease(&dst);
		return;
	}
	if (ok)
		ok = put_key(c, c->db, c->argv[2], c->argv_len[2], &src, &dst) &&
			delete_key(c, c->db, c->argv[1], c->argv_len[1], &src);
	if (commit_or_abort(c, &t, ok))
	{
		if (nx)
			AddReplyLongLong(&c->reply, 1);
		else
			AddReplyOk(&c->reply);
	}
	KsValueRelease(&src);
	KsValueRelease(&dst);
}

void
RenameCommand(Client *c)
{
	rename_generic(c, false);
}

void
RenamenxCommand(Client *c)
{
	rename_generic(c, true);
}

/* ------------------------------------------------------------ COPY, MOVE */

/*
 * Copy (or move) argv[srci] of the current database to key dstkey of
 * dstdb; the locks are taken by the caller's choice of write begin.
 * Replies 1 or 0 after the commit.
 */
static void
copy_locked(Client *c, CmdTxn *t, int dstdb, int dstkey, bool replace, bool move)
{
	KsValue src, dst;
	bool ok;

	KsValueInit(&dst);
	ok = CmdLoadLatestKey(c, t, c->db, c->argv[1], c->argv_len[1], &src);
	if (ok && src.exists)
		ok = CmdLoadLatestKey(c, t, dstdb, c->argv[dstkey], c->argv_len[dstkey], &dst);
	if (ok && (!src.exists || (dst.exists && !replace)))
	{
		CmdWriteAbort(c, t);
		AddReplyLongLong(&c->reply, 0);
		KsValueRelease(&src);
		KsValueRelease(&dst);
		return;
	}
	if (ok)
		ok = put_key(c, dstdb, c->argv[dstkey], c->argv_len[dstkey], &src, &dst);
	if (ok && move)
		ok = delete_key(c, c->db, c->argv[1], c->argv_len[1], &src);
	if (commit_or_abort(c, t, ok))
		AddReplyLongLong(&c->reply, 1);
	KsValueRelease(&src);
	KsValueRelease(&dst);
}

void
CopyCommand(Client *c)
{
	CmdTxn t;
	int dstdb = c->db;
	bool replace = false;

	for (int j = 3; j < c->argc; j++)
	{
		if (ArgEquals(c, j, "replace"))
			replace = true;
		else if (ArgEquals(c, j, "db") && j + 1 < c->argc)
		{
			if (!get_db_or_reply(c, j + 1, NULL, &dstdb))
				return;
			if (!db_in_range(dstdb))
			{
				AddReplyError(&c->reply, "ERR DB index is out of range");
				return;
			}
			j++;
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (dstdb == c->db)
	{
		if (c->argv_len[1] == c->argv_len[2] &&
			memcmp(c->argv[1], c->argv[2], c->argv_len[1]) == 0)
		{
			AddReplyError(&c->reply, "ERR source and destination objects are the same");
			return;
		}
		if (!CmdWriteBeginKeys(c, &t, 1, 2, 1))
			return;
	}
	else
	{
		int dbs[2] = {c->db, dstdb};

		if (!write_begin_databases(c, &t, dbs, 2))
			return;
	}
	copy_locked(c, &t, dstdb, 2, replace, false);
}

void
MoveCommand(Client *c)
{
	CmdTxn t;
	int dstdb;
	int dbs[2];

	if (!get_db_or_reply(c, 2, NULL, &dstdb))
		return;
	if (!db_in_range(dstdb))
	{
		AddReplyError(&c->reply, "ERR DB index is out of range");
		return;
	}
	if (dstdb == c->db)
	{
		AddReplyError(&c->reply, "ERR source and destination objects are the same");
		return;
	}
	dbs[0] = c->db;
	dbs[1] = dstdb;
	if (!write_begin_databases(c, &t, dbs, 2))
		return;
	copy_locked(c, &t, dstdb, 1, false, true);
}

/* ------------------------------------------------------------ KEYS, SCAN */

typedef struct KeyList
{
	char	  **keys;
	size_t	   *lens;
	long long	n;
	long long	cap;

	/* filters */
	const char *pattern;		/* NULL: every key */
	size_t		patlen;
	const char *type;			/* NULL: every type */
	size_t		typelen;
} KeyList;

static void
keylist_add(KeyList *l, const char *key, size_t len)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->keys = MemRealloc(l->keys, sizeof(char *) * (size_t) l->cap);
		l->lens = MemRealloc(l->lens, sizeof(size_t) * (size_t) l->cap);
	}
	l->keys[l->n] = MemStrndup(key, len);
	l->lens[l->n] = len;
	l->n++;
}

static void
keylist_free(KeyList *l)
{
	for (long long i = 0; i < l->n; i++)
		MemFree(l->keys[i]);
	MemFree(l->keys);
	MemFree(l->lens);
}

static void
reply_keylist(Client *c, const KeyList *l)
{
	AddReplyArrayLen(&c->reply, l->n);
	for (long long i = 0; i < l->n; i++)
		AddReplyBulk(&c->reply, l->keys[i], l->lens[i]);
}

static bool
collect_visitor(const char *key, size_t len, const KsValue *v, void *arg)
{
	KeyList *l = arg;

	if (l->pattern && !StringMatch(l->pattern, l->patlen, key, len, false))
		return true;
	if (l->type)
	{
		const char *name = type_name(v->type);

		if (strlen(name) != l->typelen || strncasecmp(name, l->type, l->typelen) != 0)
			return true;
	}
	keylist_add(l, key, len);
	return true;
}

void
KeysCommand(Client *c)
{
	CmdTxn t;
	KeyList l = {0};
	uint64_t cursor = 0;
	KsStatus st = KS_OK;

	if (!(c->argv_len[1] == 1 && c->argv[1][0] == '*'))
	{
		l.pattern = c->argv[1];
		l.patlen = c->argv_len[1];
	}
	CmdReadBegin(c, &t);
	do
		st = KsScan(t.snap, c->db, cursor, 1024, t.now_ms, collect_visitor, &l, &cursor);
	while (st == KS_OK && cursor != 0);
	if (st != KS_OK)
	{
		SnapshotReleaseAll();
		ReplyKsError(c, st);
	}
	else if (CmdReadEnd(c, &t))
		reply_keylist(c, &l);
	keylist_free(&l);
}

/* Redis's parseScanCursorOrReply: strtoull, no leading space, no junk. */
#define SCAN_CURSOR_SHIFT 11	/* cursors stay below 2^53 */

bool
ParseScanCursorOrReply(Client *c, int argi, uint64_t *cursor)
{
	char buf[64];
	char *end;
	size_t len = c->argv_len[argi];

	if (len >= sizeof(buf))
		goto invalid;
	memcpy(buf, c->argv[argi], len);
	buf[len] = '\0';
	errno = 0;
	*cursor = strtoull(buf, &end, 10);
	if (isspace((unsigned char) buf[0]) || end[0] != '\0' || errno == ERANGE)
		goto invalid;
	return true;
invalid:
	AddReplyError(&c->reply, "ERR invalid cursor");
	return false;
}

void
ScanCommand(Client *c)
{
	CmdTxn t;
	KeyList l = {0};
	uint64_t cursor, next = 0;
	long long count = 10;
	KsStatus st;
	char buf[32];

	if (!ParseScanCursorOrReply(c, 1, &cursor))
		return;
	for (int i = 2; i < c->argc; i += 2)
	{
		bool has_value = i + 1 < c->argc;

		if (ArgEquals(c, i, "count") && has_value)
		{
			if (!GetLongLongOrReply(c, i + 1, &count, NULL))
				return;
			if (count < 1)
			{
				ReplySyntaxError(c);
				return;
			}
		}
		else if (ArgEquals(c, i, "match") && has_value)
		{
			bool all = c->argv_len[i + 1] == 1 && c->argv[i + 1][0] == '*';

			l.pattern = all ? NULL : c->argv[i + 1];
			l.patlen = c->argv_len[i + 1];
		}
		else if (ArgEquals(c, i, "type") && has_value)
		{
			l.type = c->argv[i + 1];
			l.typelen = c->argv_len[i + 1];
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (count > INT_MAX)
		count = INT_MAX;
	/*
	 * The cursor is the top 53 bits of the key hash to resume at: clients
	 * that hold cursors in a double (node-redis) lose nothing. Resuming at
	 * the start of that 2^11-wide hash range never skips a key; it can only
	 * repeat one that shares the prefix, which SCAN allows.
	 */
	CmdReadBegin(c, &t);
	st = KsScan(t.snap, c->db, cursor << SCAN_CURSOR_SHIFT, (int) count, t.now_ms,
				collect_visitor, &l, &next);
	if (next != 0)
		next = (next >> SCAN_CURSOR_SHIFT) ? next >> SCAN_CURSOR_SHIFT : 1;
	if (st != KS_OK)
	{
		SnapshotReleaseAll();
		ReplyKsError(c, st);
	}
	else if (CmdReadEnd(c, &t))
	{
		int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long) next);

		AddReplyArrayLen(&c->reply, 2);
		AddReplyBulk(&c->reply, buf, (size_t) n);
		reply_keylist(c, &l);
	}
	keylist_free(&l);
}

/* ------------------------------------------------------------ RANDOMKEY */

static bool
first_visitor(const char *key, size_t len, const KsValue *v, void *arg)
{
	KeyList *l = arg;

	keylist_add(l, key, len);
	return false;
}

/*
 * The first key at or after a random hash, wrapping to the start: keys
 * after long gaps in hash order are likelier, as Redis's own pick is not
 * uniform either.
 */
void
RandomkeyCommand(Client *c)
{
	CmdTxn t;
	KeyList l = {0};
	uint64_t start = RandomU64(), cursor = start, next;
	bool wrapped = false;
	KsStatus st = KS_OK;

	CmdReadBegin(c, &t);
	for (;;)
	{
		st = KsScan(t.snap, c->db, cursor, 16, t.now_ms, first_visitor, &l, &next);
		if (st != KS_OK || l.n > 0)
			break;
		if (next == 0)
		{
			if (wrapped)
				break;
			wrapped = true;		/* [start, end) was empty: try [0, start) */
			cursor = 0;
			continue;
		}
		if (wrapped && next >= start)
			break;
		cursor = next;
	}
	if (st != KS_OK)
	{
		SnapshotReleaseAll();
		ReplyKsError(c, st);
	}
	else if (CmdReadEnd(c, &t))
	{
		if (l.n > 0)
			AddReplyBulk(&c->reply, l.keys[0], l.lens[0]);
		else
			AddReplyNull(&c->reply);
	}
	keylist_free(&l);
}

/* ------------------------------------------------------------ DBSIZE */

/*
 * The database's key counter: keys created and not yet deleted by
 * committed transactions, expired ones included until the sweep or lazy
 * expiry deletes them (Redis counts them the same way). The reply waits
 * until the newest commit that changed a counter is durable.
 */
void
DbsizeCommand(Client *c)
{
	KsDbCounts n;
	XLogRecPtr lsn;

	if (!KsCountersRead(c->db, &n, &lsn))
	{
		AddReplyError(&c->reply, "ERR the key counters are not available; see the server log");
		return;
	}
	if (CmdWaitDurable(c, lsn))
		AddReplyLongLong(&c->reply, n.keys);
}

/* ------------------------------------------------------------ FLUSH, SWAPDB */

/* [ASYNC|SYNC]: both mean "now" here; the flush is one transaction. */
static bool
parse_flush_flags(Client *c)
{
	if (c->argc == 1 || (c->argc == 2 && (ArgEquals(c, 1, "sync") || ArgEquals(c, 1, "async"))))
		return true;
	ReplySyntaxError(c);
	return false;
}

static bool
delete_all(Client *c, int db)
{
	uint64_t n;
	KsStatus st = KsDeleteAll(db, &n);

	return st == KS_OK || ReplyKsError(c, st);
}

void
FlushdbCommand(Client *c)
{
	CmdTxn t;
	int db = c->db;

	if (!parse_flush_flags(c))
		return;
	if (!write_begin_databases(c, &t, &db, 1))
		return;
	if (commit_or_abort(c, &t, delete_all(c, db)))
		AddReplyOk(&c->reply);
}

void
FlushallCommand(Client *c)
{
	CmdTxn t;
	bool ok = true;

	if (!parse_flush_flags(c))
		return;
	if (!write_begin_databases(c, &t, NULL, -1))
		return;
	for (int db = 0; db < server_config->databases && ok; db++)
		ok = delete_all(c, db);
	if (commit_or_abort(c, &t, ok))
		AddReplyOk(&c->reply);
}

/* One key of a database being swapped, copied out. */
typedef struct SavedKey
{
	char	   *key;
	size_t		keylen;
	char	   *value;
	size_t		value_len;
	uint8_t		type;
	uint8_t		flags;
	int64_t		expire_ms;
} SavedKey;

typedef struct SavedDb
{
	SavedKey   *keys;
	long long	n;
	long long	cap;
} SavedDb;

static bool
save_visitor(const char *key, size_t len, const KsValue *v, void *arg)
{
	SavedDb *s = arg;
	SavedKey *k;

	if (s->n == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 64;
		s->keys = MemRealloc(s->keys, sizeof(SavedKey) * (size_t) s->cap);
	}
	k = &s->keys[s->n++];
	k->key = MemStrndup(key, len);
	k->keylen = len;
	k->value = MemAlloc(v->value_len + 1);
	memcpy(k->value, v->value, v->value_len);
	k->value_len = v->value_len;
	k->type = v->type;
	k->flags = v->flags;
	k->expire_ms = v->expire_ms;
	return true;
}

static void
saved_free(SavedDb *s)
{
	for (long long i = 0; i < s->n; i++)
	{
		MemFree(s->keys[i].key);
		MemFree(s->keys[i].value);
	}
	MemFree(s->keys);
}

static bool
save_db(Client *c, CmdTxn *t, int db, SavedDb *s)
{
	uint64_t cursor = 0;
	KsStatus st;

	do
		st = KsScan(t->snap, db, cursor, 1024, t->now_ms, save_visitor, s, &cursor);
	while (st == KS_OK && cursor != 0);
	return st == KS_OK || ReplyKsError(c, st);
}

static bool
restore_db(Client *c, CmdTxn *t, int db, const SavedDb *s)
{
	bool ok = true;

	for (long long i = 0; i < s->n && ok; i++)
	{
		const SavedKey *k = &s->keys[i];
		KsValue cur;
		KsStatus st;

		ok = CmdLoadLatestKey(c, t, db, k->key, k->keylen, &cur);
		if (ok)
		{
			st = KsPutFlags(db, k->key, k->keylen, k->type, k->flags, k->value, k->value_len,
							k->expire_ms, &cur);
			ok = st == KS_OK || ReplyKsError(c, st);
		}
		KsValueRelease(&cur);
	}
	return ok;
}

/*
 * XXX #3: the keyspace is keyed by database number, so swapping means
 * copying every key of both databases in one transaction.
 */
void
SwapdbCommand(Client *c)
{
	CmdTxn t;
	SavedDb a = {0}, b = {0};
	int id1, id2, dbs[2];
	bool ok;

	if (!get_db_or_reply(c, 1, "ERR invalid first DB index", &id1) ||
		!get_db_or_reply(c, 2, "ERR invalid second DB index", &id2))
		return;
	if (!db_in_range(id1) || !db_in_range(id2))
	{
		AddReplyError(&c->reply, "ERR DB index is out of range");
		return;
	}
	if (id1 == id2)
	{
		AddReplyOk(&c->reply);
		return;
	}
	dbs[0] = id1;
	dbs[1] = id2;
	if (!write_begin_databases(c, &t, dbs, 2))
		return;
	/* After XactBegin, so the snapshot sees every committed key. */
	SnapshotTake(t.snap);
	ok = save_db(c, &t, id1, &a) && save_db(c, &t, id2, &b) &&
		delete_all(c, id1) && delete_all(c, id2) &&
		restore_db(c, &t, id2, &a) && restore_db(c, &t, id1, &b);
	if (ok)
	{
		/* clients blocked in either database look again */
		BlockNoteDatabase(id1);
		BlockNoteDatabase(id2);
	}
	if (commit_or_abort(c, &t, ok))
		AddReplyOk(&c->reply);
	saved_free(&a);
	saved_free(&b);
}

/* ------------------------------------------------------------ OBJECT */

static const char *const object_help[] = {
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
	NULL
};

void
ObjectHelpCommand(Client *c)
{
	AddReplyHelp(&c->reply, object_help);
}

/* A string Redis would store as an integer (tryObjectEncoding). */
static bool
string_is_int(const KsValue *v, long long *out)
{
	return v->value_len <= 20 && StringToLongLong(v->value, v->value_len, out);
}

/*
 * The encoding Redis 7.0 would report: strings grown in place by APPEND or
 * SETRANGE carry KS_FLAG_RAW, as Redis keeps them raw.
 */
static const char *
encoding_name(const KsValue *v)
{
	long long ll;

	switch (v->type)
	{
		case KS_TYPE_STRING:
			if (v->flags & KS_FLAG_RAW)
				return "raw";
			if (!(v->flags & KS_FLAG_NOINT) && string_is_int(v, &ll))
				return "int";
			return v->value_len <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
		case KS_TYPE_LIST:
			return "quicklist";
		case KS_TYPE_SET:
			return SetEncodingName(v->value, v->value_len, v->flags);
		case KS_TYPE_HASH:
			return HashEncodingName(v->value, v->value_len, v->flags);
		case KS_TYPE_ZSET:
			return ZsetEncodingName(v->value, v->value_len, v->flags);
		case KS_TYPE_STREAM:
			return "stream";
		default:
			return "unknown";
	}
}

/* OBJECT subcommands on argv[2]: reply nil for a missing key, else what. */
static void
object_generic(Client *c, char what)
{
	CmdTxn t;
	KsValue v;
	long long ll;

	if (!CmdReadKey(c, &t, 2, &v))
		return;
	if (CmdReadEnd(c, &t))
	{
		if (!v.exists)
			AddReplyNull(&c->reply);
		else if (what == 'e')
			AddReplyBulkCString(&c->reply, encoding_name(&v));
		else if (what == 'f')
			AddReplyError(&c->reply, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
		else if (what == 'i')
			AddReplyLongLong(&c->reply, 0);	/* XXX #3: no access times */
		else if (v.type == KS_TYPE_STRING && string_is_int(&v, &ll) && ll >= 0 && ll < SHARED_INTEGERS)
			AddReplyLongLong(&c->reply, SHARED_REFCOUNT);
		else
			AddReplyLongLong(&c->reply, 1);
	}
	KsValueRelease(&v);
}

void
ObjectEncodingCommand(Client *c)
{
	object_generic(c, 'e');
}

void
ObjectFreqCommand(Client *c)
{
	object_generic(c, 'f');
}

void
ObjectIdletimeCommand(Client *c)
{
	object_generic(c, 'i');
}

void
ObjectRefcountCommand(Client *c)
{
	object_generic(c, 'r');
}
