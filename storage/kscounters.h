/*
 * kscounters.h
 *	  Per-database keyspace counters: number of keys, number of keys with
 *	  an expiry, and the sum of those keys' absolute expiry times. What
 *	  DBSIZE and INFO keyspace read, in O(1).
 *
 * NOTES
 *	  A key counts from the commit of the transaction that created it to
 *	  the commit of the one that deleted it, expired or not (Redis counts
 *	  an expired key until it is deleted). The keyspace layer notes each
 *	  change in this process's pending deltas (KsCountersNote, from
 *	  KsPutFlags and KsDelete, which know under the key lock whether the
 *	  key existed and its old expiry); XactCommit writes the non-zero
 *	  deltas into its commit record and applies them to the shared counters
 *	  while holding the WAL insertion lock that gives the commit record its
 *	  position; XactAbort drops them. A checkpoint copies the counters
 *	  while holding that same lock at the moment it fixes its redo pointer,
 *	  so they are exactly the sum of the deltas of the commit records
 *	  before the redo pointer, and recovery starts from them and adds the
 *	  deltas it replays (storage/README.md "Keyspace counters", wal/README.md
 *	  invariant W10).
 *
 *	  Readers take no lock: a sequence counter (seqlock) lets them copy a
 *	  consistent set. Writers are serialised by the WAL insertion lock (or
 *	  are the startup process, alone).
 *
 *	  With no KsCountersShmemInit (tools, unit tests of other modules)
 *	  every function is a no-op and checkpoints carry no counters.
 */
#ifndef TUSK_KSCOUNTERS_H
#define TUSK_KSCOUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"

/* Sums of expiry times overflow 64 bits after ~5 million keys. */
__extension__ typedef __int128 KsInt128;

typedef struct KsDbCounts
{
	int64_t keys;
	int64_t expires;	 /* keys with an expiry */
	KsInt128 expire_sum; /* sum of their expire_ms (absolute, unix ms) */
} KsDbCounts;

/* On-disk format of the counters in a checkpoint record (wal/README.md). */
#define KS_COUNTERS_VERSION		1
#define KS_COUNTERS_VALID		0x1 /* flags: the counters are exact */
#define KS_COUNTERS_HEADER_SIZE 16
#define KS_COUNTERS_ENTRY_SIZE	32

/* Commit record delta entry: which fields follow (wal/README.md). */
#define KS_DELTA_KEYS	 0x01 /* int64 */
#define KS_DELTA_EXPIRES 0x02 /* int64 */
#define KS_DELTA_SUM64	 0x04 /* int64 */
#define KS_DELTA_SUM128	 0x08 /* uint64 low, int64 high */

/* Shared memory for `databases` databases (the setting). */
size_t KsCountersShmemSize(int databases);
void KsCountersShmemInit(int databases);

/* Number of databases counted; 0 without shared memory. */
int KsCountersDatabases(void);

/*
 * The counters of db as of the last applied commit, plus this process's
 * own uncommitted changes; *lsn (may be NULL) is the end of the newest
 * commit record that changed any counter, which a reply based on them
 * must wait to be flushed. False if db is out of range or the counters
 * are not valid (only between start-up and the recount).
 */
bool KsCountersRead(int db, KsDbCounts *out, XLogRecPtr *lsn);
bool KsCountersValid(void);

/*
 * Writer (key lock held, in a transaction): the key's existence went from
 * old_exists to new_exists and its expiry from old_expire_ms to
 * new_expire_ms (0: none; meaningful only while the key exists).
 */
void KsCountersNote(int db, bool old_exists, int64_t old_expire_ms, bool new_exists,
					int64_t new_expire_ms);

/*
 * The pending deltas in commit record form (private buffer, valid until
 * the next call); NULL and *len 0 when nothing changed.
 */
const char *KsCountersPendingEncode(uint32_t *len);

/*
 * Apply the pending deltas to the shared counters and forget them. The
 * caller holds the WAL insertion lock (XLogInsertWithHook); commit_end is
 * the commit record's end.
 */
void KsCountersApplyPending(XLogRecPtr commit_end);
void KsCountersDiscardPending(void);

/* Redo of a commit record's deltas (the part after XactRecord). */
bool KsCountersRedo(const char *data, uint32_t len, XLogRecPtr end);

/*
 * Checkpoints: the counters in checkpoint record form, copied while the
 * caller holds the WAL insertion lock (checkpoint_redo_state_hook).
 * Start-up: the counters from the checkpoint recovery starts at (len 0:
 * the checkpoint has none; they become invalid and must be recounted).
 */
const char *KsCountersCheckpointEncode(uint32_t *len);
void KsCountersRestore(const char *data, uint32_t len);

/* The recount at start-up (startup process, alone): set db's counters. */
void KsCountersSet(int db, const KsDbCounts *counts);
void KsCountersSetValid(void);

/* ------------------------------------------------------------------
 * Decoding, for redo and tools (no shared memory needed).
 * ------------------------------------------------------------------
 */
typedef struct KsCountDelta
{
	uint16_t db;
	KsDbCounts d;
} KsCountDelta;

/*
 * Decode commit record deltas into out (at most max). Returns the number
 * of entries, -1 if the bytes are malformed.
 */
int KsCountersDecodeDeltas(const char *data, uint32_t len, KsCountDelta *out, int max);

typedef struct KsCheckpointCounts
{
	uint32_t version;
	uint32_t flags;		/* KS_COUNTERS_VALID */
	uint32_t databases; /* databases covered */
	uint32_t nentries;	/* entries present; later databases are 0 */
	const char *entries;
} KsCheckpointCounts;

bool KsCountersDecodeCheckpoint(const char *data, uint32_t len, KsCheckpointCounts *out);
void KsCountersCheckpointEntry(const KsCheckpointCounts *c, uint32_t i, KsDbCounts *out);

/* Decimal text of a 128-bit sum. */
const char *KsInt128ToString(KsInt128 v, char *buf, size_t len);

#endif
