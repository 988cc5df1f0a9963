/*
 * keylock.h
 *	  Key locks: exclusive locks on keys for write transactions, striped
 *	  over a fixed table of LWLocks, under per-database locks.
 *
 * NOTES
 *	  A write command locks every key it touches before XactBegin and keeps
 *	  the locks until after XactCommit/XactAbort (storage/xact.h). Readers
 *	  take no key locks (they use snapshots). Lock order, which makes
 *	  deadlock impossible: database locks in ascending database order, then
 *	  key stripes in ascending stripe order, then buffer content locks. A
 *	  process acquires all its key locks in one call and never while holding
 *	  a content lock. Two keys may share a stripe; that only costs
 *	  concurrency. A command whose keys span more than KEYLOCK_MAX_STRIPES
 *	  stripes takes its database lock EXCLUSIVE instead (LWLOCK_MAX_HELD
 *	  bounds how many locks a process may hold).
 *
 *	  Key locks are LWLocks, so a process that dies holding one is counted
 *	  in ProcSlot.lwlocks_held and the postmaster restarts everything: a
 *	  half-done write transaction is then aborted by recovery.
 */
#ifndef TUSK_KEYLOCK_H
#define TUSK_KEYLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYLOCK_STRIPES 16384	/* power of two */
#define KEYLOCK_MAX_STRIPES 32
#define KEYLOCK_DATABASES 16	/* database db uses lock db % 16; FLUSHALL
								 * holds them all, within LWLOCK_MAX_HELD */

size_t		KeyLockShmemSize(void);
void		KeyLockShmemInit(void);

/*
 * Lock the keys (by 64-bit hash) of database db: its database lock SHARED,
 * then the distinct stripes ascending, EXCLUSIVE. Blocks until granted.
 * The process must hold no key locks yet (one acquisition per command).
 */
void		KeyLockAcquireMany(int db, const uint64_t *key_hashes, int n);

/*
 * FLUSHDB, SWAPDB, FLUSHALL, scripts with undeclared keys: lock whole
 * databases EXCLUSIVE (ascending, duplicates ignored). n < 0 means all.
 */
void		KeyLockAcquireDatabases(const int *dbs, int n);

/* Release everything taken by the calls above. */
void		KeyLockReleaseAll(void);

/* Number of stripes and database locks this process holds. */
int			KeyLockHeldCount(void);

/* The stripe a key of db maps to (exposed for tests). */
uint32_t	KeyLockStripe(int db, uint64_t key_hash);

/*
 * Every write of a key (storage/keyspace.c: KsPutFlags, KsDelete), under
 * its stripe lock, counts in its stripe's change counter; WATCH records the
 * counter and EXEC, under the same lock, compares it, so a key created and
 * deleted again in between counts as changed, as in Redis. Another key of
 * the same stripe changing counts too (a needless EXEC failure, at most
 * one in KEYLOCK_STRIPES per other write), and so does a write whose
 * transaction aborts.
 */
void		KeyLockNoteChange(int db, uint64_t key_hash);
uint64_t	KeyLockChangeCount(int db, uint64_t key_hash);

#endif
