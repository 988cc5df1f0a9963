/*
 * spin.h
 *	  Spinlocks, for critical sections of a few instructions only.
 *
 * NOTES
 *	  Never hold a spinlock across a system call, an allocation or another
 *	  lock. A holder that dies leaves it held: the postmaster then restarts
 *	  everything (see server/README.md, crash handling), which is why a
 *	  process counts its held spinlocks in its slot like its LWLocks.
 */
#ifndef TUSK_SPIN_H
#define TUSK_SPIN_H

#include <sched.h>
#include <stdatomic.h>

typedef atomic_flag SpinLock;

#define SPINLOCK_INIT ATOMIC_FLAG_INIT

static inline void
SpinLockInit(SpinLock *lock)
{
	atomic_flag_clear_explicit(lock, memory_order_release);
}

static inline void
SpinLockAcquire(SpinLock *lock)
{
	int spins = 0;

	while (atomic_flag_test_and_set_explicit(lock, memory_order_acquire))
	{
		if (++spins < 100)
			__builtin_ia32_pause();
		else
		{
			sched_yield();
			spins = 0;
		}
	}
}

static inline void
SpinLockRelease(SpinLock *lock)
{
	atomic_flag_clear_explicit(lock, memory_order_release);
}

#endif
