/*
 * futex.h
 *	  Thin wrappers over futex(2) on words in shared memory.
 *
 * NOTES
 *	  The segment is shared between processes, so these use the shared
 *	  (not FUTEX_PRIVATE) operations.
 */
#ifndef TUSK_FUTEX_H
#define TUSK_FUTEX_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *addr == expected; returns early on wake, signal or timeout. */
static inline int
FutexWait(_Atomic uint32_t *addr, uint32_t expected, const struct timespec *timeout)
{
	return (int) syscall(SYS_futex, (uint32_t *) addr, FUTEX_WAIT, expected,
						 timeout, NULL, 0);
}

static inline int
FutexWake(_Atomic uint32_t *addr, int nwaiters)
{
	return (int) syscall(SYS_futex, (uint32_t *) addr, FUTEX_WAKE, nwaiters,
						 NULL, NULL, 0);
}

#endif
