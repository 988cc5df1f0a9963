/*
 * check_lwlock.c
 *	  Unit tests for storage/lwlock.c (with the lock bookkeeping of
 *	  storage/proc.c) across real processes: an exclusive lock protecting a
 *	  non-atomic counter, shared holders at the same time, waiters that
 *	  block until release, conditional acquisition, LWLockReleaseAll, the
 *	  held count, and a process killed while holding a lock.
 *
 * NOTES
 *	  Each test runs in its own Check child (fork mode), which plays the
 *	  postmaster: a checked fixture creates the segment with ShmemCreate and
 *	  carves the locks and a small process array with ShmemAlloc, then the
 *	  test forks its own children, which inherit the mapping. Children never
 *	  call ck_assert (they are not Check's); they report through their exit
 *	  status. Rendezvous use atomics in the segment and wait without
 *	  deadlines that matter: a limit of WAIT_LIMIT_SECONDS only turns a hang
 *	  into a failure.
 *
 *	  Links against storage only (no server code), as storage/ promises.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#define NPROCS				6
#define ITERATIONS			100000
#define WAIT_LIMIT_SECONDS	60
#define NUM_SLOTS			8


typedef struct TestShared
{
	LWLock		lock;
	LWLock		lock2;
	LWLock		many[LWLOCK_MAX_HELD + 2];
	volatile long counter;		/* protected by lock, deliberately not atomic */
	volatile long a;			/* a == b whenever lock is not held */
	volatile long b;
	_Atomic int arrived;
	_Atomic int go;
	_Atomic int trying;
	_Atomic int acquired;
	_Atomic int ready[NUM_SLOTS];
	_Atomic int scratch_counter;
} TestShared;

static TestShared *sh;

static void
setup(void)
{
	char		err[256];
	size_t		size = 0;

	size = ShmemAddSize(size, sizeof(TestShared));
	size = ShmemAddSize(size, ProcArrayShmemSize(NUM_SLOTS));
	ck_assert_msg(ShmemCreate(size + 4096, HUGE_PAGES_OFF, err, sizeof(err)), "%s", err);
	sh = ShmemAlloc(sizeof(TestShared));
	LWLockInit(&sh->lock, LWTRANCHE_TEST);
	LWLockInit(&sh->lock2, LWTRANCHE_TEST);
	for (int i = 0; i < LWLOCK_MAX_HELD + 2; i++)
		LWLockInit(&sh->many[i], LWTRANCHE_TEST);
	ProcArrayShmemInit(NUM_SLOTS);
}

static void
teardown(void)
{
	ShmemDestroy();
}

/* Spin-wait (politely) until *p >= want; false after WAIT_LIMIT_SECONDS. */
static bool
wait_for(_Atomic int *p, int want)
{
	time_t		deadline = time(NULL) + WAIT_LIMIT_SECONDS;

	while (atomic_load(p) < want)
	{
		if (time(NULL) > deadline)
			return false;
		usleep(100);
	}
	return true;
}

/* Wait until n processes sleep (or are about to) on the lock. */
static bool
wait_for_sleepers(LWLock *lock, uint32_t n)
{
	time_t		deadline = time(NULL) + WAIT_LIMIT_SECONDS;

	while (atomic_load(&lock->nwaiters) < n)
	{
		if (time(NULL) > deadline)
			return false;
		usleep(100);
	}
	return true;
}

typedef int (*ChildFn) (int id);

static pid_t
spawn(ChildFn fn, int id)
{
	pid_t		pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(id));
	return pid;
}

/* Wait for a child; assert it exited with status 0. */
static void
reap_ok(pid_t pid)
{
	int			status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				  "child %d: %s %d", (int) pid,
				  WIFEXITED(status) ? "exit status" : "killed by signal",
				  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* ------------------------------------------------------------ contention */

/* All children start together, so that they really contend. */
static bool
start_gate(int nprocs)
{
	atomic_fetch_add(&sh->arrived, 1);
	return wait_for(&sh->arrived, nprocs);
}

static int
increment_child(int id)
{
	if (!start_gate(NPROCS))
		return 2;
	for (int i = 0; i < ITERATIONS; i++)
	{
		long		v;

		LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
		if (LWLockHeldCount() != 1)
			return 3;
		v = sh->counter;
		v++;
		sh->counter = v;
		LWLockRelease(&sh->lock);
	}
	return LWLockHeldCount() == 0 ? 0 : 4;
}

START_TEST(test_exclusive_counter)
{
	pid_t		pids[NPROCS];

	for (int i = 0; i < NPROCS; i++)
		pids[i] = spawn(increment_child, i);
	for (int i = 0; i < NPROCS; i++)
		reap_ok(pids[i]);
	ck_assert_int_eq(sh->counter, (long) NPROCS * ITERATIONS);
	/* nobody holds it now */
	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	LWLockRelease(&sh->lock);
}
END_TEST

/* Same, with half the processes taking the lock with ConditionalAcquire. */
static int
increment_conditional_child(int id)
{
	if (!start_gate(4))
		return 2;
	for (int i = 0; i < ITERATIONS / 4; i++)
	{
		if (id % 2)
		{
			while (!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE))
				sched_yield();
		}
		else
			LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
		sh->counter = sh->counter + 1;
		LWLockRelease(&sh->lock);
	}
	return 0;
}

START_TEST(test_exclusive_counter_conditional)
{
	pid_t		pids[4];

	for (int i = 0; i < 4; i++)
		pids[i] = spawn(increment_conditional_child, i);
	for (int i = 0; i < 4; i++)
		reap_ok(pids[i]);
	ck_assert_int_eq(sh->counter, 4L * (ITERATIONS / 4));
}
END_TEST

/* Writers keep a == b under the exclusive lock; readers check it shared. */
static int
writer_child(int id)
{
	if (!start_gate(5))
		return 2;
	for (int i = 0; i < ITERATIONS / 2; i++)
	{
		LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
		sh->a = sh->a + 1;
		atomic_signal_fence(memory_order_seq_cst);
		sh->b = sh->b + 1;
		LWLockRelease(&sh->lock);
	}
	return 0;
}

static int
reader_child(int id)
{
	int			bad = 0;

	if (!start_gate(5))
		return 2;
	for (int i = 0; i < ITERATIONS / 2; i++)
	{
		long		a,
					b;

		LWLockAcquire(&sh->lock, LW_SHARED);
		a = sh->a;
		atomic_signal_fence(memory_order_seq_cst);
		b = sh->b;
		if (!LWLockHeldByMeInMode(&sh->lock, LW_SHARED))
			bad++;
		LWLockRelease(&sh->lock);
		if (a != b)
			bad++;
	}
	return bad ? 1 : 0;
}

START_TEST(test_shared_readers_exclusive_writers)
{
	pid_t		pids[5];

	pids[0] = spawn(writer_child, 0);
	pids[1] = spawn(reader_child, 1);
	pids[2] = spawn(writer_child, 2);
	pids[3] = spawn(reader_child, 3);
	pids[4] = spawn(reader_child, 4);
	for (int i = 0; i < 5; i++)
		reap_ok(pids[i]);
	ck_assert_int_eq(sh->a, (long) ITERATIONS);
	ck_assert_int_eq(sh->b, (long) ITERATIONS);
}
END_TEST

/* ------------------------------------------------------ shared coexist */

static int
shared_holder_child(int id)
{
	LWLockAcquire(&sh->lock, LW_SHARED);
	atomic_fetch_add(&sh->arrived, 1);
	/* the rendezvous: every holder is inside at the same time */
	if (!wait_for(&sh->arrived, 2))
		return 2;
	if (!wait_for(&sh->go, 1))
		return 3;
	LWLockRelease(&sh->lock);
	return 0;
}

START_TEST(test_shared_holders_coexist)
{
	pid_t		p1 = spawn(shared_holder_child, 1);
	pid_t		p2 = spawn(shared_holder_child, 2);

	/* both children hold the lock in shared mode right now */
	ck_assert(wait_for(&sh->arrived, 2));
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	ck_assert_int_eq(LWLockHeldCount(), 0);
	/* a third sharer gets in */
	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	ck_assert(LWLockHeldByMeInMode(&sh->lock, LW_SHARED));
	ck_assert(!LWLockHeldByMeInMode(&sh->lock, LW_EXCLUSIVE));
	LWLockRelease(&sh->lock);
	atomic_store(&sh->go, 1);
	reap_ok(p1);
	reap_ok(p2);
	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	LWLockRelease(&sh->lock);
}
END_TEST

/* --------------------------------------------------------- blocking */

static int
exclusive_waiter_child(int id)
{
	atomic_store(&sh->trying, 1);
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	atomic_store(&sh->acquired, 1);
	LWLockRelease(&sh->lock);
	return 0;
}

static int
shared_waiter_child(int id)
{
	atomic_store(&sh->trying, 1);
	LWLockAcquire(&sh->lock, LW_SHARED);
	atomic_store(&sh->acquired, 1);
	LWLockRelease(&sh->lock);
	return 0;
}

/*
 * The parent holds the lock in hold_mode; a child asks for it in the
 * conflicting mode and must not get it until the parent releases.
 */
static void
check_waiter_blocks(LWLockMode hold_mode, ChildFn waiter)
{
	pid_t		pid;

	LWLockAcquire(&sh->lock, hold_mode);
	pid = spawn(waiter, 0);
	ck_assert(wait_for(&sh->trying, 1));
	/* the waiter gave up spinning and sleeps on the lock */
	ck_assert_msg(wait_for_sleepers(&sh->lock, 1),
				  "the waiter never went to sleep");
	/* give it every chance to get in wrongly; it must not */
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&sh->acquired), 0);
	LWLockRelease(&sh->lock);
	/* release woke it */
	ck_assert(wait_for(&sh->acquired, 1));
	reap_ok(pid);
	ck_assert_uint_eq(atomic_load(&sh->lock.state), 0);
	ck_assert_uint_eq(atomic_load(&sh->lock.nwaiters), 0);
}

START_TEST(test_exclusive_waiter_blocks_on_exclusive)
{
	check_waiter_blocks(LW_EXCLUSIVE, exclusive_waiter_child);
}
END_TEST

START_TEST(test_exclusive_waiter_blocks_on_shared)
{
	check_waiter_blocks(LW_SHARED, exclusive_waiter_child);
}
END_TEST

START_TEST(test_shared_waiter_blocks_on_exclusive)
{
	check_waiter_blocks(LW_EXCLUSIVE, shared_waiter_child);
}
END_TEST

static int
queue_child(int id)
{
	atomic_fetch_add(&sh->trying, 1);
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	sh->counter = sh->counter + 1;
	LWLockRelease(&sh->lock);
	return 0;
}

START_TEST(test_many_waiters_all_woken)
{
	pid_t		pids[NPROCS];

	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	for (int i = 0; i < NPROCS; i++)
		pids[i] = spawn(queue_child, i);
	ck_assert(wait_for(&sh->trying, NPROCS));
	ck_assert(wait_for_sleepers(&sh->lock, NPROCS));
	ck_assert_int_eq(sh->counter, 0);
	LWLockRelease(&sh->lock);
	for (int i = 0; i < NPROCS; i++)
		reap_ok(pids[i]);
	ck_assert_int_eq(sh->counter, NPROCS);
}
END_TEST

/* ----------------------------------------------------- conditional */

static int
hold_until_go_child(int mode)
{
	LWLockAcquire(&sh->lock, (LWLockMode) mode);
	atomic_store(&sh->ready[0], 1);
	if (!wait_for(&sh->go, 1))
		return 2;
	LWLockRelease(&sh->lock);
	return 0;
}

START_TEST(test_conditional_acquire)
{
	pid_t		pid;

	/* held by this process */
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	ck_assert_int_eq(LWLockHeldCount(), 1);
	LWLockRelease(&sh->lock);
	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	ck_assert_int_eq(LWLockHeldCount(), 2);
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	LWLockRelease(&sh->lock);
	LWLockRelease(&sh->lock);
	ck_assert_int_eq(LWLockHeldCount(), 0);

	/* held exclusively by another process */
	pid = spawn(hold_until_go_child, LW_EXCLUSIVE);
	ck_assert(wait_for(&sh->ready[0], 1));
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	ck_assert(!LWLockHeldByMe(&sh->lock));
	ck_assert_int_eq(LWLockHeldCount(), 0);
	/* a different lock is not affected */
	ck_assert(LWLockConditionalAcquire(&sh->lock2, LW_EXCLUSIVE));
	LWLockRelease(&sh->lock2);
	atomic_store(&sh->go, 1);
	reap_ok(pid);

	/* held shared by another process */
	atomic_store(&sh->go, 0);
	atomic_store(&sh->ready[0], 0);
	pid = spawn(hold_until_go_child, LW_SHARED);
	ck_assert(wait_for(&sh->ready[0], 1));
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	LWLockRelease(&sh->lock);
	atomic_store(&sh->go, 1);
	reap_ok(pid);

	ck_assert(LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	LWLockRelease(&sh->lock);
}
END_TEST

/* ------------------------------------------------------ bookkeeping */

static int
try_all_exclusive_child(int id)
{
	if (!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE) ||
		!LWLockConditionalAcquire(&sh->lock2, LW_EXCLUSIVE) ||
		!LWLockConditionalAcquire(&sh->many[0], LW_EXCLUSIVE))
		return 1;
	LWLockReleaseAll();
	return LWLockHeldCount() == 0 ? 0 : 2;
}

START_TEST(test_release_all)
{
	_Atomic int published = -1;

	lwlock_held_counter = &published;
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	LWLockAcquire(&sh->lock2, LW_SHARED);
	LWLockAcquire(&sh->many[0], LW_EXCLUSIVE);
	ck_assert_int_eq(LWLockHeldCount(), 3);
	ck_assert_int_eq(atomic_load(&published), 3);
	LWLockReleaseAll();
	ck_assert_int_eq(LWLockHeldCount(), 0);
	ck_assert_int_eq(atomic_load(&published), 0);
	ck_assert(!LWLockHeldByMe(&sh->lock));
	ck_assert(!LWLockHeldByMe(&sh->lock2));
	ck_assert(!LWLockHeldByMe(&sh->many[0]));
	/* really free: another process takes all three */
	reap_ok(spawn(try_all_exclusive_child, 0));
	/* nothing held: a no-op */
	LWLockReleaseAll();
	ck_assert_int_eq(LWLockHeldCount(), 0);
	lwlock_held_counter = NULL;
}
END_TEST

START_TEST(test_held_count_bookkeeping)
{
	ProcSlotAttach(0, PROC_KIND_BACKEND);
	ck_assert_ptr_eq(MyProc, &proc_array->slots[0]);
	ck_assert_ptr_eq(lwlock_held_counter, &proc_array->slots[0].lwlocks_held);
	ck_assert(!ProcSlotWasInCritical(0));

	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	LWLockAcquire(&sh->lock2, LW_SHARED);
	ck_assert(LWLockConditionalAcquire(&sh->many[0], LW_EXCLUSIVE));
	ck_assert_int_eq(LWLockHeldCount(), 3);
	ck_assert_int_eq(atomic_load(&MyProc->lwlocks_held), 3);
	ck_assert(ProcSlotWasInCritical(0));

	/* release out of order: the middle one */
	LWLockRelease(&sh->lock2);
	ck_assert_int_eq(LWLockHeldCount(), 2);
	ck_assert_int_eq(atomic_load(&MyProc->lwlocks_held), 2);
	ck_assert(LWLockHeldByMe(&sh->lock));
	ck_assert(!LWLockHeldByMe(&sh->lock2));
	ck_assert(LWLockHeldByMe(&sh->many[0]));
	ck_assert(LWLockHeldByMeInMode(&sh->lock, LW_EXCLUSIVE));
	ck_assert(!LWLockHeldByMeInMode(&sh->lock, LW_SHARED));

	/* then the first */
	LWLockRelease(&sh->lock);
	ck_assert(!LWLockHeldByMe(&sh->lock));
	ck_assert(LWLockHeldByMe(&sh->many[0]));
	LWLockRelease(&sh->many[0]);
	ck_assert_int_eq(LWLockHeldCount(), 0);
	ck_assert_int_eq(atomic_load(&MyProc->lwlocks_held), 0);
	ck_assert(!ProcSlotWasInCritical(0));

	/* a failed conditional acquire records nothing */
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_SHARED));
	ck_assert_int_eq(atomic_load(&MyProc->lwlocks_held), 1);
	LWLockRelease(&sh->lock);

	/* critical sections count too */
	StartCritSection();
	ck_assert(ProcSlotWasInCritical(0));
	StartCritSection();
	EndCritSection();
	ck_assert(ProcSlotWasInCritical(0));
	EndCritSection();
	ck_assert(!ProcSlotWasInCritical(0));

	/* the maximum */
	for (int i = 0; i < LWLOCK_MAX_HELD; i++)
		LWLockAcquire(&sh->many[i], i % 2 ? LW_SHARED : LW_EXCLUSIVE);
	ck_assert_int_eq(LWLockHeldCount(), LWLOCK_MAX_HELD);
	ck_assert_int_eq(atomic_load(&MyProc->lwlocks_held), LWLOCK_MAX_HELD);
	LWLockReleaseAll();
	ck_assert_int_eq(atomic_load(&MyProc->lwlocks_held), 0);
}
END_TEST

/* Programming errors are PANIC, which aborts. */
START_TEST(test_release_unheld_panics)
{
	LWLockRelease(&sh->lock);
}
END_TEST

START_TEST(test_too_many_panics)
{
	for (int i = 0; i < LWLOCK_MAX_HELD + 1; i++)
		LWLockAcquire(&sh->many[i], LW_SHARED);
}
END_TEST

/* ------------------------------------------------------------- crashes */

typedef enum HoldWhat
{
	HOLD_EXCLUSIVE,
	HOLD_SHARED,
	HOLD_NOTHING,				/* took and released a lock */
	HOLD_CRITICAL,				/* in a critical section, no lock */
} HoldWhat;

static int crash_what;

static int
crash_child(int slotno)
{
	ProcSlotAttach(slotno, PROC_KIND_BACKEND);
	switch (crash_what)
	{
		case HOLD_EXCLUSIVE:
			LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
			break;
		case HOLD_SHARED:
			LWLockAcquire(&sh->lock2, LW_SHARED);
			break;
		case HOLD_NOTHING:
			LWLockAcquire(&sh->many[slotno], LW_EXCLUSIVE);
			LWLockRelease(&sh->many[slotno]);
			break;
		case HOLD_CRITICAL:
			StartCritSection();
			break;
	}
	atomic_store(&sh->ready[slotno], 1);
	for (;;)
		pause();
	return 0;
}

static pid_t
start_crash_child(int slotno, HoldWhat what)
{
	pid_t		pid;

	crash_what = what;
	pid = spawn(crash_child, slotno);
	ck_assert(wait_for(&sh->ready[slotno], 1));
	return pid;
}

static void
kill9(pid_t pid)
{
	int			status;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(test_killed_while_holding)
{
	pid_t		p_excl,
				p_shared,
				p_nothing,
				p_crit;
	ProcSlot	copy;

	p_excl = start_crash_child(1, HOLD_EXCLUSIVE);
	p_shared = start_crash_child(2, HOLD_SHARED);
	p_nothing = start_crash_child(3, HOLD_NOTHING);
	p_crit = start_crash_child(4, HOLD_CRITICAL);

	/* visible while they live */
	ck_assert(ProcSlotWasInCritical(1));
	ck_assert(ProcSlotWasInCritical(2));
	ck_assert(!ProcSlotWasInCritical(3));
	ck_assert(ProcSlotWasInCritical(4));
	ck_assert(ProcSlotRead(1, &copy));
	ck_assert_int_eq(copy.pid, p_excl);
	ck_assert_int_eq(copy.kind, PROC_KIND_BACKEND);

	kill9(p_excl);
	kill9(p_shared);
	kill9(p_nothing);
	kill9(p_crit);

	/* and after they died: what the postmaster reads when it reaps them */
	ck_assert(ProcSlotWasInCritical(1));
	ck_assert(ProcSlotWasInCritical(2));
	ck_assert(!ProcSlotWasInCritical(3));
	ck_assert(ProcSlotWasInCritical(4));

	/* the dead holder's locks stay taken: why a crash restart is needed */
	ck_assert(!LWLockConditionalAcquire(&sh->lock, LW_EXCLUSIVE));
	ck_assert(!LWLockConditionalAcquire(&sh->lock2, LW_EXCLUSIVE));
	ck_assert(LWLockConditionalAcquire(&sh->lock2, LW_SHARED));
	LWLockRelease(&sh->lock2);

	/* the postmaster frees the slots; a new occupant starts clean */
	for (int i = 1; i <= 4; i++)
	{
		ProcSlotRelease(i);
		ck_assert(!ProcSlotRead(i, &copy));
	}
	atomic_store(&sh->ready[1], 0);
	{
		pid_t		p = start_crash_child(1, HOLD_NOTHING);

		ck_assert(!ProcSlotWasInCritical(1));
		kill9(p);
		ck_assert(!ProcSlotWasInCritical(1));
	}
}
END_TEST

START_TEST(test_tranche_names)
{
	ck_assert_str_eq(LWLockTrancheName(LWTRANCHE_TEST), "Test");
	ck_assert_str_eq(LWLockTrancheName(LWTRANCHE_CONFIG), "Config");
	ck_assert_str_eq(LWLockTrancheName(LWTRANCHE_PROCARRAY), "ProcArray");
	ck_assert_str_eq(LWLockTrancheName(LWTRANCHE_KEYLOCK), "KeyLock");
	ck_assert_str_eq(LWLockTrancheName(-1), "Unknown");
	ck_assert_str_eq(LWLockTrancheName(LWTRANCHE_COUNT), "Unknown");
	for (int i = 0; i < LWTRANCHE_COUNT; i++)
		ck_assert_str_ne(LWLockTrancheName(i), "Unknown");
	ck_assert_int_eq(sh->lock.tranche, LWTRANCHE_TEST);
}
END_TEST

static Suite *
lwlock_suite(void)
{
	Suite	   *s = suite_create("lwlock");
	TCase	   *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exclusive_counter);
	tcase_add_test(tc, test_exclusive_counter_conditional);
	tcase_add_test(tc, test_shared_readers_exclusive_writers);
	tcase_add_test(tc, test_shared_holders_coexist);
	tcase_add_test(tc, test_exclusive_waiter_blocks_on_exclusive);
	tcase_add_test(tc, test_exclusive_waiter_blocks_on_shared);
	tcase_add_test(tc, test_shared_waiter_blocks_on_exclusive);
	tcase_add_test(tc, test_many_waiters_all_woken);
	tcase_add_test(tc, test_conditional_acquire);
	tcase_add_test(tc, test_release_all);
	tcase_add_test(tc, test_held_count_bookkeeping);
	tcase_add_test_raise_signal(tc, test_release_unheld_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_too_many_panics, SIGABRT);
	tcase_add_test(tc, test_killed_while_holding);
	tcase_add_test(tc, test_tranche_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(lwlock_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
