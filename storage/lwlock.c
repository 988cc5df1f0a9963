/*
 * lwlock.c
 *	  Lightweight lock implementation.
 *
 * NOTES
 *	  The state word holds LW_FLAG_EXCLUSIVE, LW_FLAG_WAITERS and, in the low
 *	  bits, the number of shared holders. Acquisition is a compare-and-swap
 *	  loop; a process that cannot get the lock sets LW_FLAG_WAITERS and sleeps
 *	  on the word with FUTEX_WAIT. A releaser that sees LW_FLAG_WAITERS clears
 *	  it and wakes every sleeper; they race again and the losers set the flag
 *	  again. Waking all is simple and fair enough for locks held for a few
 *	  microseconds; a queue (PostgreSQL's) would be the next step if a hot
 *	  lock shows a thundering herd in a profile.
 *
 *	  Correctness of the sleep: a waiter only sleeps on a value that has the
 *	  lock held and WAITERS set; the holder will release, see WAITERS and
 *	  wake. If the word changed in between, FUTEX_WAIT returns at once.
 */
#include "config.h"

#include "storage/lwlock.h"
#include "storage/elog.h"
#include "storage/futex.h"

#include <errno.h>

#define LW_FLAG_EXCLUSIVE	((uint32_t) 1 << 31)
#define LW_FLAG_WAITERS		((uint32_t) 1 << 30)
#define LW_SHARED_MASK		(LW_FLAG_WAITERS - 1)

typedef struct HeldLock
{
	LWLock	   *lock;
	LWLockMode	mode;
} HeldLock;

static HeldLock held_locks[LWLOCK_MAX_HELD];
static int num_held;

_Atomic int *lwlock_held_counter;

static const char *const tranche_names[LWTRANCHE_COUNT] = {
	[LWTRANCHE_TEST] = "Test",
	[LWTRANCHE_CONFIG] = "Config",
	[LWTRANCHE_PROCARRAY] = "ProcArray",
	[LWTRANCHE_BUFFER_MAPPING] = "BufferMapping",
	[LWTRANCHE_BUFFER_CONTENT] = "BufferContent",
	[LWTRANCHE_WAL_INSERT] = "WALInsert",
	[LWTRANCHE_WAL_WRITE] = "WALWrite",
	[LWTRANCHE_XACT] = "Xact",
	[LWTRANCHE_KEYLOCK] = "KeyLock",
	[LWTRANCHE_CLOG] = "CommitLog",
	[LWTRANCHE_DBLOCK] = "DatabaseLock",
	[LWTRANCHE_SLOWLOG] = "Slowlog",
};

void
LWLockInit(LWLock *lock, int tranche)
{
	atomic_store(&lock->state, 0);
	lock->tranche = (uint16_t) tranche;
}

const char *
LWLockTrancheName(int tranche)
{
	if (tranche < 0 || tranche >= LWTRANCHE_COUNT || !tranche_names[tranche])
		return "Unknown";
	return tranche_names[tranche];
}

static void
remember(LWLock *lock, LWLockMode mode)
{
	if (num_held >= LWLOCK_MAX_HELD)
		elog(PANIC, "too many lightweight locks taken");
	held_locks[num_held].lock = lock;
	held_locks[num_held].mode = mode;
	num_held++;
	if (lwlock_held_counter)
		atomic_store_explicit(lwlock_held_counter, num_held, memory_order_relaxed);
}

/* One attempt; returns true if acquired, else the observed state in *seen. */
static bool
attempt(LWLock *lock, LWLockMode mode, uint32_t *seen)
{
	uint32_t old = atomic_load_explicit(&lock->state, memory_order_relaxed);

	for (;;)
	{
		uint32_t new;

		if (mode == LW_EXCLUSIVE)
		{
			if (old & (LW_FLAG_EXCLUSIVE | LW_SHARED_MASK))
			{
				*seen = old;
				return false;
			}
			new = old | LW_FLAG_EXCLUSIVE;
		}
		else
		{
			if (old & LW_FLAG_EXCLUSIVE)
			{
				*seen = old;
				return false;
			}
			new = old + 1;
		}
		if (atomic_compare_exchange_weak_explicit(&lock->state, &old, new,
												  memory_order_acquire,
												  memory_order_relaxed))
			return true;
	}
}

bool
LWLockConditionalAcquire(LWLock *lock, LWLockMode mode)
{
	uint32_t seen;

	if (!attempt(lock, mode, &seen))
		return false;
	remember(lock, mode);
	return true;
}

void
LWLockAcquire(LWLock *lock, LWLockMode mode)
{
	uint32_t seen;
	int spins = 0;

	while (!attempt(lock, mode, &seen))
	{
		/* Locks are held briefly: spin a little before sleeping. */
		if (++spins < 50)
		{
			__builtin_ia32_pause();
			continue;
		}
		if (!(seen & LW_FLAG_WAITERS))
		{
			if (!atomic_compare_exchange_strong(&lock->state, &seen,
												seen | LW_FLAG_WAITERS))
				continue;
			seen |= LW_FLAG_WAITERS;
		}
		FutexWait(&lock->state, seen, NULL);
	}
	remember(lock, mode);
}

void
LWLockRelease(LWLock *lock)
{
	LWLockMode mode = LW_EXCLUSIVE;
	uint32_t old;
	int i;

	for (i = num_held - 1; i >= 0; i--)
		if (held_locks[i].lock == lock)
			break;
	if (i < 0)
		elog(PANIC, "lock is not held");
	mode = held_locks[i].mode;
	for (; i < num_held - 1; i++)
		held_locks[i] = held_locks[i + 1];
	num_held--;

	if (mode == LW_EXCLUSIVE)
		old = atomic_fetch_and_explicit(&lock->state, ~LW_FLAG_EXCLUSIVE,
										memory_order_release);
	else
		old = atomic_fetch_sub_explicit(&lock->state, 1, memory_order_release);

	/* Wake sleepers only when the lock became free for them. */
	if ((old & LW_FLAG_WAITERS) &&
		(mode == LW_EXCLUSIVE || (old & LW_SHARED_MASK) == 1))
	{
		atomic_fetch_and(&lock->state, ~LW_FLAG_WAITERS);
		FutexWake(&lock->state, INT_MAX);
	}
	if (lwlock_held_counter)
		atomic_store_explicit(lwlock_held_counter, num_held, memory_order_relaxed);
}

void
LWLockReleaseAll(void)
{
	while (num_held > 0)
		LWLockRelease(held_locks[num_held - 1].lock);
}

bool
LWLockHeldByMe(const LWLock *lock)
{
	for (int i = 0; i < num_held; i++)
		if (held_locks[i].lock == lock)
			return true;
	return false;
}

bool
LWLockHeldByMeInMode(const LWLock *lock, LWLockMode mode)
{
	for (int i = 0; i < num_held; i++)
		if (held_locks[i].lock == lock && held_locks[i].mode == mode)
			return true;
	return false;
}

int
LWLockHeldCount(void)
{
	return num_held;
}
