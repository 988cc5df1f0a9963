/*
 * txn.c
 *	  The read and write protocol of commands; see txn.h.
 *
 * NOTES
 *	  Runs in backends. Lock order: database lock, key lock stripes in
 *	  ascending order (storage/keylock.c), then whatever buffer content
 *	  locks the heap and B+tree take and release inside each call. Key locks
 *	  are released before the WAL flush (early lock release), so 50 clients
 *	  INCRing one key still share one fdatasync.
 *
 *	  Lazy expiry (txn.h, CmdNoteExpired) runs after the command's own
 *	  transaction, with no key lock held, so it takes its key locks in
 *	  the usual order; it may wait for a writer of one of those keys.
 */
#include "config.h"

#include "server/blocking.h"
#include "server/settings.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/btree.h"
#include "storage/keylock.h"
#include "storage/mem.h"
#include "storage/smgr.h"
#include "storage/stats.h"
#include "storage/visibility.h"
#include "storage/xact.h"
#include "wal/xlog.h"

#include <errno.h>
#include <string.h>

/*
 * One snapshot per backend, reused by every command: its in-progress array
 * is allocated once.
 */
static Snapshot backend_snapshot = SNAPSHOT_INIT;

/*
 * EXEC (server/multi.c): while it runs, every command of the transaction
 * joins one write transaction under locks EXEC took for all of them.
 * exec_records counts the transaction's records when the running command
 * began, so that a command that fails after changing something can make
 * EXEC roll the whole transaction back (there are no subtransactions).
 */
static bool exec_active;
static bool exec_failed;
static uint64_t exec_records;

/*
 * Keys found expired by the running command (CmdNoteExpired), all of one
 * database; private memory. A key left here by a command that ended
 * without CmdReadEnd is re-checked by the next one, which is harmless.
 */
static int lazy_db;
static int lazy_n;
static char *lazy_keys[KS_EXPIRE_BATCH];
static size_t lazy_lens[KS_EXPIRE_BATCH];

const char *const err_wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";

void
CmdNoteExpired(Client *c, int db, const char *key, size_t len)
{
	if (lazy_n >= KS_EXPIRE_BATCH || len > BT_MAX_KEY || (lazy_n > 0 && db != lazy_db))
		return;
	for (int i = 0; i < lazy_n; i++)
		if (lazy_lens[i] == len && memcmp(lazy_keys[i], key, len) == 0)
			return;
	lazy_db = db;
	lazy_keys[lazy_n] = MemAlloc(len + 1);
	memcpy(lazy_keys[lazy_n], key, len);
	lazy_lens[lazy_n] = len;
	lazy_n++;
}

/*
 * Delete the noted keys that are still expired at the clock reading
 * their command used. The caller holds no key lock and has no
 * transaction; the deletion's commit is not waited for (no reply depends
 * on it: the key was invisible already; a later DBSIZE waits for it).
 */
static void
expire_noted(int64_t now_ms)
{
	if (lazy_n == 0)
		return;
	if (XactGetCurrentXid() == InvalidTransactionId && KeyLockHeldCount() == 0)
		(void) KsDeleteExpired(lazy_db, (const char *const *) lazy_keys, lazy_lens, lazy_n,
							   now_ms);
	for (int i = 0; i < lazy_n; i++)
		MemFree(lazy_keys[i]);
	lazy_n = 0;
}

void
CmdReadBegin(Client *c, CmdTxn *t)
{
	t->writing = false;
	t->now_ms = NowMs();
	t->snap = &backend_snapshot;
	visibility_depends_lsn = InvalidXLogRecPtr;
	SnapshotTake(t->snap);
}

/*
 * The reply being built may not leave before WAL is flushed to lsn: note
 * it on the client. The wait itself happens when the replies are written
 * (backend.c flush_reply), once per batch of pipelined commands, or not at
 * all in this process when the reply is handed to the walwriter
 * (server/handoff.c).
 */
static bool
wait_durable(Client *c, XLogRecPtr lsn)
{
	/*
	 * The setting is read after the commit record lsn ends was inserted:
	 * CONFIG SET synchronous_commit on relies on that order (cmd_config.c).
	 */
	if (lsn == InvalidXLogRecPtr || !server_config->synchronous_commit)
		return true;
	if (lsn > c->durable_lsn)
		c->durable_lsn = lsn;
	return true;
}

/*
 * A read waits only if what it saw depends on a commit whose record is not
 * yet flushed (visibility_depends_lsn), so readers do not queue behind
 * writers' fsyncs; a commit not yet flushed was not yet acknowledged, and
 * what a reader shows must not disappear in a crash (DESIGN.md section 4).
 */
bool
CmdReadEnd(Client *c, CmdTxn *t)
{
	XLogRecPtr lsn = visibility_depends_lsn;

	SnapshotReleaseAll();
	expire_noted(t->now_ms);
	return wait_durable(c, lsn);
}

bool
CmdWaitDurable(Client *c, XLogRecPtr lsn)
{
	return wait_durable(c, lsn);
}

#define MAX_STACK_KEYS 64

bool
CmdWriteAllowed(Client *c)
{
	int err = XLogSpaceError();

	if (err == 0)
		return true;
	/* Redis's reply when its AOF cannot be written, with tusk's WAL */
	AddReplyErrorFormat(&c->reply, "MISCONF Errors writing to the WAL: %s", strerror(err));
	return false;
}

bool
CmdWriteBegin(Client *c, CmdTxn *t, const char *const *keys, const size_t *lens, int n)
{
	uint64_t stack_hashes[MAX_STACK_KEYS] = {0};
	uint64_t *hashes;

	if (exec_active)
		return CmdExecJoin(c, t);
	(void) SmgrTakeSpaceError();	/* only this command's failures count */
	if (!CmdWriteAllowed(c))
		return false;
	hashes = n <= MAX_STACK_KEYS ? stack_hashes : MemAlloc(sizeof(uint64_t) * (size_t) n);
	for (int i = 0; i < n; i++)
		hashes[i] = KsHash(keys[i], lens[i]);
	KeyLockAcquireMany(c->db, hashes, n);
	if (hashes != stack_hashes)
		MemFree(hashes);
	t->writing = true;
	t->now_ms = NowMs();
	t->snap = &backend_snapshot;
	if (XactBegin() == InvalidTransactionId)
	{
		KeyLockReleaseAll();
		/* the WAL may have run out of room since CmdWriteAllowed looked */
		if (CmdWriteAllowed(c))
			AddReplyError(&c->reply, "ERR could not start a transaction; see the server log");
		return false;
	}
	return true;
}

bool
CmdWriteBeginKeys(Client *c, CmdTxn *t, int first, int last, int step)
{
	const char *stack_keys[MAX_STACK_KEYS] = {0};
	size_t stack_lens[MAX_STACK_KEYS] = {0};
	int n = 0, cap = (last - first) / step + 1;
	const char **keys = cap <= MAX_STACK_KEYS ? stack_keys : MemAlloc(sizeof(char *) * (size_t) cap);
	size_t *lens = cap <= MAX_STACK_KEYS ? stack_lens : MemAlloc(sizeof(size_t) * (size_t) cap);
	bool ok;

	for (int i = first; i <= last; i += step)
	{
		keys[n] = c->argv[i];
		lens[n] = c->argv_len[i];
		n++;
	}
	ok = CmdWriteBegin(c, t, keys, lens, n);
	if (keys != stack_keys)
	{
		MemFree(keys);
		MemFree(lens);
	}
	return ok;
}

bool
CmdWriteCommit(Client *c, CmdTxn *t)
{
	XLogRecPtr lsn;

	if (exec_active)
	{
		/* EXEC commits once, at its end */
		SnapshotReleaseAll();
		t->writing = false;
		return true;
	}
	lsn = XactCommit();

	if (lsn != InvalidXLogRecPtr)
		c->last_commit_lsn = lsn;	/* its own durable reads see it */
	SnapshotReleaseAll();
	KeyLockReleaseAll();
	t->writing = false;
	BlockWakeNoted();			/* blocked clients: after the locks are gone */
	expire_noted(t->now_ms);
	return wait_durable(c, lsn);
}

void
CmdWriteAbort(Client *c, CmdTxn *t)
{
	if (exec_active)
	{
		/* a refusal before any change costs nothing; a later failure, all */
		if (XLogXactRecordsByMe() != exec_records)
			exec_failed = true;
		SnapshotReleaseAll();
		t->writing = false;
		(void) wait_durable(c, XLogGetLastCommitPosition());
		return;
	}
	XactAbort();
	SnapshotReleaseAll();
	KeyLockReleaseAll();
	t->writing = false;
	BlockForgetNoted();
	/*
	 * The reply of a command that wrote nothing (SET NX on an existing key,
	 * WRONGTYPE) may still rest on another's commit that is not yet
	 * durable; writers read the newest version without tracking that, so
	 * wait for every commit so far (usually already flushed).
	 */
	(void) wait_durable(c, XLogGetLastCommitPosition());
	expire_noted(t->now_ms);
}

bool
ReplyKsError(Client *c, KsStatus st)
{
	switch (st)
	{
		case KS_KEY_TOO_LONG:
			AddReplyError(&c->reply, "ERR key too long for tusk (the limit is 2676 bytes)");
			break;
		case KS_TOO_LARGE:
			AddReplyError(&c->reply, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
			break;
		case KS_NO_WAL_SPACE:
			AddReplyErrorFormat(&c->reply, "MISCONF Errors writing to the WAL: %s", strerror(ENOSPC));
			break;
		default:
			{
				int			space = SmgrTakeSpaceError();

				if (space != 0)
					AddReplyErrorFormat(&c->reply, "MISCONF Errors writing to the data files: %s",
										strerror(space));
				else
					AddReplyError(&c->reply, "ERR storage error; see the server log");
			}
			break;
	}
	return false;
}

static bool
lookup_ok(KsStatus st)
{
	return st == KS_OK || st == KS_NOT_FOUND || st == KS_KEY_TOO_LONG;
}

/* A lookup's status into *v: not found is a missing key; false after an error reply. */
static bool
lookup_result(Client *c, KsStatus st, KsValue *v)
{
	if (!lookup_ok(st))
		return ReplyKsError(c, st);
	if (st != KS_OK)
		v->exists = false;
	return true;
}

static bool
load_visible_key(Client *c, CmdTxn *t, int db, const char *key, size_t len, KsValue *v)
{
	KsValueInit(v);
	return lookup_result(c, KsGet(t->snap, db, key, len, t->now_ms, v), v);
}

static bool
load_visible(Client *c, CmdTxn *t, int argi, KsValue *v)
{
	return load_visible_key(c, t, c->db, c->argv[argi], c->argv_len[argi], v);
}

/* After a read of a key: the hit or miss, and an expired key to delete. */
static void
note_lookup(Client *c, int db, const char *key, size_t len, const KsValue *v)
{
	if (v->expired)
		CmdNoteExpired(c, db, key, len);
	StatsKeyspaceLookup(v->exists);
}

static void
count_lookup(Client *c, int argi, const KsValue *v)
{
	note_lookup(c, c->db, c->argv[argi], c->argv_len[argi], v);
}

bool
CmdLoadVisibleKey(Client *c, CmdTxn *t, int db, const char *key, size_t len, KsValue *v)
{
	if (!load_visible_key(c, t, db, key, len, v))
		return false;
	note_lookup(c, db, key, len, v);
	return true;
}

bool
CmdLoadVisible(Client *c, CmdTxn *t, int argi, KsValue *v)
{
	if (!load_visible(c, t, argi, v))
		return false;
	count_lookup(c, argi, v);
	return true;
}

/*
 * Load argv[first .. first+n-1] into vals[0 .. n-1] as one state, counting
 * keyspace hits and misses. With synchronous_commit on this is a durable
 * read (storage/README.md, "Durable reads"): it shows the keys as of the
 * flushed WAL, or of this client's own last commit if that is newer, so a
 * reader of keys that others keep writing need not wait for their
 * fdatasync. If that finds no key where a newer commit was passed over,
 * all the keys are read again seeing every commit (and the reply waits
 * for it, as any read of a commit not yet flushed). False after an error
 * reply, with vals released.
 */
static bool load_visible_many(Client *c, CmdTxn *t, int first, int n, KsValue *vals, bool count);

bool
CmdLoadVisibleMany(Client *c, CmdTxn *t, int first, int n, KsValue *vals)
{
	return load_visible_many(c, t, first, n, vals, true);
}

bool
CmdLoadVisibleUncounted(Client *c, CmdTxn *t, int argi, KsValue *v)
{
	return load_visible_many(c, t, argi, 1, v, false);
}

static bool
load_visible_many(Client *c, CmdTxn *t, int first, int n, KsValue *vals, bool count)
{
	/*
	 * Not inside EXEC: its writes read the newest versions (under its
	 * locks), so its reads must too, or GET k and INCR k in one transaction
	 * could show two values of k. EXEC's reply waits for the flush instead.
	 */
	bool durable = XLogDurableReads() && !exec_active;
	bool ok;
	int loaded;

	if (durable)
	{
		XLogRecPtr upto = XLogGetFlushPosition();

		visibility_durable_upto = c->last_commit_lsn > upto ? c->last_commit_lsn : upto;
	}
	for (;;)
	{
		bool passed_over = false;	/* a key not found past a skipped commit */

		ok = true;
		for (loaded = 0; loaded < n && ok; loaded++)
		{
			visibility_skipped_commit = false;
			ok = load_visible(c, t, first + loaded, &vals[loaded]);
			if (ok && !vals[loaded].exists && !vals[loaded].expired && visibility_skipped_commit)
				passed_over = true;
		}
		if (!ok || !passed_over || !durable)
			break;
		/* again, seeing every commit */
		for (int i = 0; i < loaded; i++)
			KsValueRelease(&vals[i]);
		visibility_durable_upto = InvalidXLogRecPtr;
		durable = false;
	}
	visibility_durable_upto = InvalidXLogRecPtr;
	if (!ok)
	{
		for (int i = 0; i < loaded; i++)
			KsValueRelease(&vals[i]);
		return false;
	}
	for (int i = 0; count && i < n; i++)
		count_lookup(c, first + i, &vals[i]);
	return true;
}

bool
CmdReadKey(Client *c, CmdTxn *t, int argi, KsValue *v)
{
	CmdReadBegin(c, t);
	if (CmdLoadVisibleMany(c, t, argi, 1, v))
		return true;
	SnapshotReleaseAll();
	return false;
}

bool
CmdReadOneKey(Client *c, int argi, KsValue *v)
{
	CmdTxn		t;

	if (!CmdReadKey(c, &t, argi, v))
		return false;
	if (!CmdReadEnd(c, &t))
	{
		KsValueRelease(v);
		return false;
	}
	return true;
}

static bool
load_latest(Client *c, CmdTxn *t, int db, const char *key, size_t len, KsValue *v, bool want_value)
{
	KsStatus st;

	KsValueInit(v);
	st = want_value ? KsGetLatest(db, key, len, t->now_ms, v)
		: KsGetLatestMeta(db, key, len, t->now_ms, v);
	if (!lookup_result(c, st, v))
		return false;
	if (v->expired)
		CmdNoteExpired(c, db, key, len);
	return true;
}

bool
CmdLoadLatestKey(Client *c, CmdTxn *t, int db, const char *key, size_t len, KsValue *v)
{
	return load_latest(c, t, db, key, len, v, true);
}

bool
CmdLoadLatest(Client *c, CmdTxn *t, int argi, KsValue *v)
{
	return CmdLoadLatestKey(c, t, c->db, c->argv[argi], c->argv_len[argi], v);
}

bool
CmdLoadLatestMeta(Client *c, CmdTxn *t, int argi, KsValue *v)
{
	return load_latest(c, t, c->db, c->argv[argi], c->argv_len[argi], v, false);
}

void
CmdWriteFinish(Client *c, CmdTxn *t, bool ok, bool changed,
			   void (*reply) (Client *c, void *arg), void *arg)
{
	if (!ok)
		CmdWriteAbort(c, t);
	else if (!changed)
	{
		CmdWriteAbort(c, t);	/* nothing written: no commit record */
		reply(c, arg);
	}
	else if (CmdWriteCommit(c, t))
		reply(c, arg);
}

/* ------------------------------------------------------------------ EXEC */

bool
CmdExecBegin(Client *c, bool writes, bool all_databases, const uint64_t *hashes, int n)
{
	if (writes && !CmdWriteAllowed(c))
		return false;
	if (all_databases)
		KeyLockAcquireDatabases(NULL, -1);
	else
		KeyLockAcquireMany(c->db, hashes, n);
	exec_active = true;
	exec_failed = false;
	return true;
}

bool
CmdExecJoin(Client *c, CmdTxn *t)
{
	t->writing = true;
	t->now_ms = NowMs();
	t->snap = &backend_snapshot;
	if (XactBegin() == InvalidTransactionId)
	{
		if (CmdWriteAllowed(c))
			AddReplyError(&c->reply, "ERR could not start a transaction; see the server log");
		return false;
	}
	exec_records = XLogXactRecordsByMe();
	return true;
}

bool
CmdExecActive(void)
{
	return exec_active;
}

bool
CmdExecEnd(Client *c)
{
	bool committed = !exec_failed;
	XLogRecPtr lsn = InvalidXLogRecPtr;

	if (exec_failed)
		XactAbort();
	else
		lsn = XactCommit();
	if (lsn != InvalidXLogRecPtr)
		c->last_commit_lsn = lsn;
	SnapshotReleaseAll();
	KeyLockReleaseAll();
	if (committed)
		BlockWakeNoted();
	else
		BlockForgetNoted();
	exec_active = false;
	exec_failed = false;
	expire_noted(NowMs());
	if (committed)
		(void) wait_durable(c, lsn);
	return committed;
}

void
CmdExecAbort(Client *c)
{
	XactAbort();
	SnapshotReleaseAll();
	KeyLockReleaseAll();
	exec_active = false;
	exec_failed = false;
	expire_noted(NowMs());
}
