/*
 * lwlock.c
 *	  Lightweight lock implementation.
 *
 * NOTES
 *	  The state word holds LW_FLAG_EXCLUSIVE, LW_FLAG_WAKING and, in the
 *	  low bits, the number of shared holders; nwaiters counts the processes
 *	  that gave up spinning and sleep (or are about to) on the word with
 *	  FUTEX_WAIT. Acquisition is a compare-and-swap loop. A releaser that
 *	  leaves the lock free for others and sees nwaiters > 0 sets WAKING and
 *	  wakes ONE sleeper; while WAKING is set, releases wake nobody, because
 *	  the woken process retries after them anyway (PostgreSQL's
 *	  RELEASE_OK). Waking all made every release of a hot key's lock a
 *	  thundering herd: 50 sleepers woken, 49 asleep again. A sleeper that
 *	  gets the lock in shared mode passes a wake on while others wait, so
 *	  shared waiters still get in together, one wake-up each.
 *
 *	  Correctness of the sleep: a waiter counts itself in nwaiters, then
 *	  tries once more, then sleeps only on a state that has the lock held
 *	  and WAKING clear (it clears WAKING itself first), and clears WAKING
 *	  whenever FUTEX_WAIT returns. The holder changes the state when it
 *	  releases and then reads nwaiters (both sequentially consistent), so
 *	  either the waiter's retry sees the release, or the releaser sees the
 *	  waiter and wakes one, or WAKING was set, which means that a process
 *	  that will clear it and retry was woken or has not slept yet. If the
 *	  word changed before FUTEX_WAIT, it returns at once. A woken process
 *	  that loses the race to a newcomer sleeps again, and the newcomer's
 *	  release wakes the next one. Sleeps are bounded (WAIT_TIMEOUT_MS) only
 *	  so that a process killed between being woken and retrying cannot
 *	  leave the others asleep on a free lock for good.
 */
#include "config.h"

#include "storage/lwlock.h"
#include "storage/elog.h"
#include "storage/futex.h"

#include <errno.h>

#define LW_FLAG_EXCLUSIVE	((uint32_t) 1 << 31)
#define LW_FLAG_WAKING		((uint32_t) 1 << 30)
#define LW_SHARED_MASK		(LW_FLAG_WAKING - 1)

/*
 * About 9 µs of spinning (a pause is ~30 ns here) before sleeping: longer
 * than a key lock's hold time of a write (~3.5 µs), so a waiter whose
 * holder is running gets the lock without a sleep and a wake-up (a futex
 * wait, a futex wake and two context switches, ~10 µs of CPU on this VM).
 * Measured with 50 clients writing one key: 50 spins gave 0.25 context
 * switches per SET at -P 16, 300 gave 0.13, and 9.0 -> 7.8-8.1 µs of CPU
 * per SET; at -P 1 SET/s went up in 4 of 4 alternating rounds (median
 * +10%); 1000 was no better.
 */
#define SPINS_BEFORE_SLEEP	300
#define WAIT_TIMEOUT_MS		100

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
	[LWTRANCHE_PUBSUB] = "PubSub",
	[LWTRANCHE_BLOCKED] = "BlockedClients",
	[LWTRANCHE_SCRIPTCACHE] = "ScriptCache",
};

void
LWLockInit(LWLock *lock, int tranche)
{
	atomic_store(&lock->state, 0);
	atomic_store(&lock->nwaiters, 0);
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
	static const struct timespec timeout = {0, WAIT_TIMEOUT_MS * 1000000L};
	uint32_t seen;
	int spins = 0;
	bool slept = false;

	while (!attempt(lock, mode, &seen))
	{
		bool got;

		/* Locks are held briefly: spin a little before sleeping. */
		if (++spins < SPINS_BEFORE_SLEEP)
		{
			__builtin_ia32_pause();
			continue;
		}
		atomic_fetch_add(&lock->nwaiters, 1);
		got = attempt(lock, mode, &seen);
		/* never sleep on a word with WAKING set: nobody might clear it */
		if (!got && (!(seen & LW_FLAG_WAKING) ||
					 atomic_compare_exchange_strong(&lock->state, &seen,
													seen & ~LW_FLAG_WAKING)))
		{
			FutexWait(&lock->state, seen & ~LW_FLAG_WAKING, &timeout);
			/* woken (or not): the next release may wake someone again */
			atomic_fetch_and(&lock->state, ~LW_FLAG_WAKING);
		}
		atomic_fetch_sub(&lock->nwaiters, 1);
		if (got)
			break;
		slept = true;
	}
	/* pass the wake on to the next waiter, which may share the lock too */
	if (slept && mode == LW_SHARED && atomic_load(&lock->nwaiters) > 0)
		FutexWake(&lock->state, 1);
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
		old = atomic_fetch_and(&lock->state, ~LW_FLAG_EXCLUSIVE);
	else
		old = atomic_fetch_sub(&lock->state, 1);

	/*
	 * Wake one sleeper, only when the lock became free for it and no woken
	 * one is yet to run: that one retries after this release anyway.
	 */
	if ((mode == LW_EXCLUSIVE || (old & LW_SHARED_MASK) == 1) &&
		!(old & LW_FLAG_WAKING) && atomic_load(&lock->nwaiters) > 0 &&
		!(atomic_fetch_or(&lock->state, LW_FLAG_WAKING) & LW_FLAG_WAKING))
		FutexWake(&lock->state, 1);
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
