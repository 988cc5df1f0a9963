/*
 * keyspace.h
 *	  The keyspace: Redis keys of every database, as versions in the heap
 *	  found through the keyspace B+tree. What commands call.
 *
 * NOTES
 *	  Readers: SnapshotTake, then KsGet/KsScan; no locks are taken and no
 *	  writer is waited for. Writers: KeyLockAcquireMany on every key they
 *	  touch, XactBegin, KsGetLatest, KsPut/KsDelete, XactCommit, release the
 *	  key locks, then wait for the WAL flush (DESIGN.md section 4). The key
 *	  lock is what makes "the newest version" stable while a writer decides.
 *
 *	  Values larger than KS_INLINE_MAX are stored as chunks: heap tuples
 *	  that are not in the index, written by the same transaction as the
 *	  version that lists them, and deleted (xmax set) by the transaction
 *	  that replaces or deletes that version, so pruning reclaims them with
 *	  it. A version's value is then a chunk directory (storage/README.md,
 *	  "Keyspace").
 */
#ifndef TUSK_KEYSPACE_H
#define TUSK_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/heapam.h"
#include "storage/snapshot.h"

/* Value types, as TYPE reports them. Never renumber: they are on disk. */
#define KS_TYPE_STRING	0
#define KS_TYPE_LIST	1
#define KS_TYPE_SET		2
#define KS_TYPE_ZSET	3
#define KS_TYPE_HASH	4
#define KS_TYPE_STREAM	5

/* Tuple flags */
#define KS_FLAG_CHUNKED	0x01	/* the value is a chunk directory */
#define KS_FLAG_CHUNK	0x02	/* a chunk, not a key's version */
#define KS_FLAG_RAW		0x04	/* a string grown in place (APPEND, SETRANGE):
								 * OBJECT ENCODING reports "raw", as Redis */
#define KS_FLAG_SKIPLIST KS_FLAG_RAW	/* the same bit on a sorted set: it
										 * outgrew Redis's listpack, which
										 * Redis never returns to */
#define KS_FLAG_HASHTABLE KS_FLAG_RAW	/* and on a hash or a set: it outgrew
										 * the listpack or intset */
#define KS_FLAG_NOINT	0x08	/* a string Redis would not int-encode (an
								 * INCRBYFLOAT result): embstr or raw */
#define KS_USER_FLAGS	(KS_FLAG_RAW | KS_FLAG_NOINT)	/* what callers may set and read */

#define KS_INLINE_MAX 4000		/* values up to this are stored in the version */
#define KS_MAX_VALUE ((size_t) 512 * 1024 * 1024)

typedef enum KsStatus
{
	KS_OK = 0,
	KS_NOT_FOUND,
	KS_KEY_TOO_LONG,			/* longer than the B+tree allows */
	KS_TOO_LARGE,				/* value over KS_MAX_VALUE */
	KS_ERROR,					/* I/O error or corruption (logged) */
	KS_NO_WAL_SPACE,			/* the WAL cannot take the value (full disk) */
} KsStatus;

typedef struct KsValue
{
	bool		exists;			/* visible (reader) or live (writer), not expired */
	bool		expired;		/* there, but expired: deleting it is up to someone */
	uint8_t		type;
	uint8_t		flags;			/* KS_USER_FLAGS of the version */
	int64_t		expire_ms;		/* 0: no expiry */
	TransactionId xmin;			/* inserting transaction (WATCH) */
	const char *value;
	size_t		value_len;

	/* writer side: the newest non-aborted version, even deleted or expired */
	bool		has_latest;
	ItemPointerData latest_tid;
	bool		latest_live;	/* not deleted */
	bool		latest_chunked;
	ItemPointerData index_tid;	/* what the B+tree points at */
	bool		in_index;

	HeapTupleData tup;
	char	   *assembled;		/* MemAlloc'd value of a chunked version */
	char		buf[512];
} KsValue;

uint64_t	KsHash(const char *key, size_t len);

void		KsValueInit(KsValue *v);
void		KsValueRelease(KsValue *v);

/* Create the keyspace relations if missing (startup process, WAL-logged). */
bool		KsInit(void);

/* The version of key visible to snap, unless expired at now_ms. */
KsStatus	KsGet(const Snapshot *snap, int db, const char *key, size_t len,
				  int64_t now_ms, KsValue *out);

/* Writer (key lock held, XactBegin done): the newest version. */
KsStatus	KsGetLatest(int db, const char *key, size_t len, int64_t now_ms, KsValue *out);

/*
 * The same, for a writer that replaces the value without reading it (SET,
 * MSET): a value stored in chunks is not read (value NULL, value_len 0);
 * everything else is as from KsGetLatest, and KsPut takes it as cur.
 */
KsStatus	KsGetLatestMeta(int db, const char *key, size_t len, int64_t now_ms, KsValue *out);

/* Writer: a new version replacing cur (from KsGetLatest). */
KsStatus	KsPut(int db, const char *key, size_t len, uint8_t type,
				  const char *value, size_t value_len, int64_t expire_ms,
				  const KsValue *cur);
/* The same with KS_USER_FLAGS for the new version. */
KsStatus	KsPutFlags(int db, const char *key, size_t len, uint8_t type, uint8_t user_flags,
					   const char *value, size_t value_len, int64_t expire_ms,
					   const KsValue *cur);

/* Writer: delete the key's newest version; cur->has_latest must be true. */
KsStatus	KsDelete(int db, const char *key, size_t len, const KsValue *cur);

/*
 * Visit keys of db visible to snap (and not expired at now_ms) from hash
 * cursor `cursor`, at least `count` index entries; *next_cursor is 0 at
 * the end. The callback gets the key and its value.
 */
typedef bool (*KsVisitor) (const char *key, size_t len, const KsValue *v, void *arg);
/* What a live key of these sizes takes on disk (MEMORY USAGE). */
size_t		KsFootprint(size_t key_len, size_t value_len);

KsStatus	KsScan(const Snapshot *snap, int db, uint64_t cursor, int count,
				   int64_t now_ms, KsVisitor visit, void *arg, uint64_t *next_cursor);

/*
 * FLUSHDB, FLUSHALL, SWAPDB: delete every live version of db (expired ones
 * too) in the current transaction. The caller holds the database lock
 * EXCLUSIVE (KeyLockAcquireDatabases) and has called XactBegin; no key
 * locks are needed then. O(keys of db). *ndeleted counts the deletions.
 */
KsStatus	KsDeleteAll(int db, uint64_t *ndeleted);

/*
 * Background expiry: look at up to max_keys index entries of db from
 * *cursor, and delete the ones expired at now_ms (at most 16 per call),
 * each re-checked under its key lock, in one transaction of its own
 * whose commit is not waited for. The caller holds no key locks and runs
 * no transaction. *cursor is where to go on next time (0: db done).
 * Returns the number of keys deleted, -1 after a logged error.
 */
int			KsSweepExpired(int db, uint64_t *cursor, int max_keys, int64_t now_ms);

/*
 * Delete those of the n keys (at most KS_EXPIRE_BATCH) of db that are
 * expired at now_ms, each re-checked under its key lock, in one
 * transaction whose commit is not waited for (lazy expiry, and the
 * sweep). The caller holds no key locks and runs no transaction. Returns
 * the number deleted, -1 after a logged error.
 */
#define KS_EXPIRE_BATCH 16
int			KsDeleteExpired(int db, const char *const *keys, const size_t *lens, int n,
							int64_t now_ms);

/*
 * Count every database's keys from the index and the heap and set the
 * keyspace counters (storage/kscounters.h); for the startup process,
 * alone, when the checkpoint it started from had none. False after a
 * logged error.
 */
bool		KsRecountAll(void);

#endif
