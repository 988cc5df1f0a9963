/*
 * txn.h
 *	  How a command reads and writes the keyspace: the transaction and
 *	  locking protocol of DESIGN.md section 4, in one place.
 *
 * NOTES
 *	  Read:  CmdReadBegin (snapshot) ... CmdReadEnd (wait until the WAL is
 *	         durable past the newest commit the snapshot could see, then drop
 *	         the snapshot). No locks; never waits for a writer.
 *	  Write: CmdWriteBegin (key locks in a fixed order, then an xid) ...
 *	         CmdWriteCommit (commit record, release the key locks, then wait
 *	         for the flush when synchronous_commit is on) or CmdWriteAbort.
 *	  A command replies only after CmdReadEnd / CmdWriteCommit return, so
 *	  no reply depends on data that is not yet durable.
 */
#ifndef TUSK_TXN_H
#define TUSK_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "server/server.h"
#include "storage/block.h"
#include "storage/keyspace.h"
#include "storage/snapshot.h"

typedef struct CmdTxn
{
	Snapshot   *snap;			/* the backend's one snapshot, reused */
	bool		writing;
	int64_t		now_ms;			/* one clock reading per command (expiry) */
} CmdTxn;

void		CmdReadBegin(Client *c, CmdTxn *t);
/* False (and a reply) if the WAL could not be flushed. */
bool		CmdReadEnd(Client *c, CmdTxn *t);

/*
 * False, with Redis's MISCONF reply, while the WAL cannot grow (full
 * disk: XLogSpaceError); CmdWriteBegin checks it before anything else.
 */
bool		CmdWriteAllowed(Client *c);

/* Lock the keys argv[first], argv[first+step], ... up to argv[last]. */
bool		CmdWriteBeginKeys(Client *c, CmdTxn *t, int first, int last, int step);
bool		CmdWriteBegin(Client *c, CmdTxn *t, const char *const *keys, const size_t *lens, int n);
/* Commit and wait; false with an error reply if the commit failed. */
bool		CmdWriteCommit(Client *c, CmdTxn *t);
void		CmdWriteAbort(Client *c, CmdTxn *t);
/*
 * The end of a read-modify-write of one key: after a failure (!ok, an
 * error already replied) abort; if nothing changed abort (no commit
 * record) and reply(c, arg); else commit, and reply once that succeeded.
 */
void		CmdWriteFinish(Client *c, CmdTxn *t, bool ok, bool changed,
						   void (*reply) (Client *c, void *arg), void *arg);

/*
 * Load one key; false after an error reply. A key tusk cannot store (too
 * long) does not exist. CmdLoadVisible reads through the snapshot and
 * counts a keyspace hit or miss; the writers' versions read the newest
 * version under the key lock.
 */
bool		CmdLoadVisible(Client *c, CmdTxn *t, int argi, KsValue *v);
/*
 * The common read command: CmdReadBegin, then CmdLoadVisible of argv[argi].
 * On false the error is replied and the snapshot and *v are released; on
 * true the caller ends with CmdReadEnd and KsValueRelease.
 */
bool		CmdReadKey(Client *c, CmdTxn *t, int argi, KsValue *v);
/*
 * CmdReadKey and CmdReadEnd at once, for a reply built from *v alone:
 * false after an error reply (with *v released); on true the caller
 * replies and releases *v.
 */
bool		CmdReadOneKey(Client *c, int argi, KsValue *v);
/*
 * Several keys as one state (a durable read when synchronous_commit is
 * on, server/txn.c); false after an error reply, with vals released.
 */
bool		CmdLoadVisibleMany(Client *c, CmdTxn *t, int first, int n, KsValue *vals);
/*
 * argv[argi] as CmdLoadVisibleMany shows it, without counting a hit or a
 * miss (WATCH records the version a read would show).
 */
bool		CmdLoadVisibleUncounted(Client *c, CmdTxn *t, int argi, KsValue *v);
/*
 * Any key by name through the snapshot, seeing every commit (not a durable
 * read: the reply waits for the flush of what it saw, CmdReadEnd), counting
 * a hit or a miss: SORT's BY and GET keys, which come from data.
 */
bool		CmdLoadVisibleKey(Client *c, CmdTxn *t, int db, const char *key, size_t len,
							  KsValue *v);
bool		CmdLoadLatest(Client *c, CmdTxn *t, int argi, KsValue *v);
/* The same without reading a chunked value: for a write that replaces it. */
bool		CmdLoadLatestMeta(Client *c, CmdTxn *t, int argi, KsValue *v);
bool		CmdLoadLatestKey(Client *c, CmdTxn *t, int db, const char *key, size_t len,
							 KsValue *v);

/* Replies the error for a keyspace failure and returns false. */
bool		ReplyKsError(Client *c, KsStatus st);

/*
 * Wait until WAL is durable up to lsn when synchronous_commit is on (a
 * reply resting on a commit, e.g. the keyspace counters); false with an
 * error reply if the flush failed.
 */
bool		CmdWaitDurable(Client *c, XLogRecPtr lsn);

/*
 * Lazy expiry: a command that finds a key expired but not yet deleted
 * notes it (CmdLoadVisible and CmdLoadLatestKey do so themselves); once
 * the command's transaction is over (CmdReadEnd, CmdWriteCommit,
 * CmdWriteAbort, with no key lock held) the noted keys still expired are
 * deleted in a transaction of their own, as Redis deletes an expired key
 * on access, so DBSIZE and INFO keyspace stop counting them. At most
 * KS_EXPIRE_BATCH keys of one database per command; the rest are left to
 * the sweep.
 */
void		CmdNoteExpired(Client *c, int db, const char *key, size_t len);

/*
 * MULTI/EXEC (server/multi.c). CmdExecBegin takes the locks of every key
 * the queued commands name (or every database EXCLUSIVE) in the usual
 * order; false, with the MISCONF reply, when writes is set and the WAL
 * cannot grow. Until CmdExecEnd, CmdWriteBegin and its relatives join one
 * transaction without locking (CmdExecJoin), CmdWriteCommit commits
 * nothing, and a command that fails after changing something marks the
 * transaction failed. CmdExecEnd commits (and the reply then waits for the
 * flush like any write's) or, after such a failure, aborts everything and
 * returns false.
 */
bool		CmdExecBegin(Client *c, bool writes, bool all_databases, const uint64_t *hashes, int n);
bool		CmdExecJoin(Client *c, CmdTxn *t);
bool		CmdExecActive(void);
bool		CmdExecEnd(Client *c);
/*
 * Abort the transaction CmdExecBegin started and release its locks, with
 * no reply: a script that named a key it had not declared is run again
 * under every database lock (server/cmd_script.c).
 */
void		CmdExecAbort(Client *c);

extern const char *const err_wrongtype;

/*
 * Read-modify-write of the string key argv[1] (server/cmd_string.c): under
 * the key's lock, fn gets the current value (cur->exists false for a
 * missing key; any other type is WRONGTYPE before fn runs) and either
 * returns false after an error reply (nothing changes) or sets *newval (a
 * MemAlloc'd value with *newlen bytes and the KS_USER_FLAGS *flags; the
 * TTL is kept) or leaves it NULL to write nothing. reply(c, arg) then
 * writes the reply, once the change is durable.
 */
typedef bool (*StringModifyFn) (Client *c, const KsValue *cur, char **newval, size_t *newlen,
								uint8_t *flags, void *arg);
void		StringModify(Client *c, StringModifyFn fn, void *arg,
						 void (*reply) (Client *c, void *arg));
/* The same for the string key argv[argi]. */
void		StringModifyKey(Client *c, int argi, StringModifyFn fn, void *arg,
							void (*reply) (Client *c, void *arg));

#endif
