/*
 * lwlock.h
 *	  Lightweight locks: shared/exclusive locks in shared memory, built on one
 *	  atomic word and futex waits.
 *
 * NOTES
 *	  Usable by every process that maps the segment. A process may hold at
 *	  most LWLOCK_MAX_HELD at once; it records how many it holds in its
 *	  process slot (LWLockHeldCount) so that the postmaster can tell whether a
 *	  child that died could have left shared memory inconsistent. No deadlock
 *	  detection: callers follow the lock order documented in storage/README.md.
 */
#ifndef TUSK_LWLOCK_H
#define TUSK_LWLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum LWLockMode
{
	LW_SHARED,
	LW_EXCLUSIVE,
} LWLockMode;

typedef struct LWLock
{
	_Atomic uint32_t state;		/* LW_FLAG_EXCLUSIVE plus the shared count */
	_Atomic uint32_t nwaiters;	/* processes sleeping, or about to, on state */
	uint16_t	tranche;		/* what the lock protects, for wait reporting */
} LWLock;

#define LWLOCK_MAX_HELD 64

/* Tranches: what a waiter is waiting for (CLIENT LIST, INFO). */
enum
{
	LWTRANCHE_TEST,
	LWTRANCHE_CONFIG,
	LWTRANCHE_PROCARRAY,
	LWTRANCHE_BUFFER_MAPPING,
	LWTRANCHE_BUFFER_CONTENT,
	LWTRANCHE_WAL_INSERT,
	LWTRANCHE_WAL_WRITE,
	LWTRANCHE_XACT,
	LWTRANCHE_KEYLOCK,
	LWTRANCHE_CLOG,
	LWTRANCHE_DBLOCK,
	LWTRANCHE_SLOWLOG,
	LWTRANCHE_PUBSUB,
	LWTRANCHE_BLOCKED,
	LWTRANCHE_SCRIPTCACHE,
	LWTRANCHE_COUNT,
};

void		LWLockInit(LWLock *lock, int tranche);
void		LWLockAcquire(LWLock *lock, LWLockMode mode);
bool		LWLockConditionalAcquire(LWLock *lock, LWLockMode mode);
void		LWLockRelease(LWLock *lock);
void		LWLockReleaseAll(void);
bool		LWLockHeldByMe(const LWLock *lock);
bool		LWLockHeldByMeInMode(const LWLock *lock, LWLockMode mode);
int			LWLockHeldCount(void);
const char *LWLockTrancheName(int tranche);

/*
 * Where to publish the held-lock count (a field in this process's slot);
 * NULL until the process has a slot.
 */
extern _Atomic int *lwlock_held_counter;

#endif
