/*
 * blocking.c
 *	  Blocked clients: the shared registry, the wake-ups writers send after
 *	  their commit, and the loop a blocked backend runs; see blocking.h.
 *
 * NOTES
 *	  Runs in backends. Every client has its own process, so a client
 *	  blocked in BLPOP is a backend asleep in BackendSleep (ppoll on its
 *	  socket, SIGUSR1 as its latch). The registry holds one BlockSlot per
 *	  process-array slot (same index), all under one LWLock (BlockShared.lock),
 *	  which is never held while any other lock is taken: writers call
 *	  BlockWakeNoted after their commit, with no key lock; a waiter
 *	  registers and unregisters with no key lock either. Protocol and
 *	  invariants: server/README.md, "Blocking commands".
 */
#include "config.h"

#include "server/backend.h"
#include "server/blocking.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/keyspace.h"
#include "storage/lwlock.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* keys kept per waiter; one with more is woken by any list write in its database */
#define BLOCK_MAX_KEYS 16
/* a blocked backend looks for waiters that died with a wake-up this often */
#define BLOCK_TICK_US 1000000
/* longer timeouts wait forever (the deadline would not fit the clock) */
#define BLOCK_MAX_TIMEOUT_MS (100LL * 365 * 24 * 3600 * 1000)
/* a transaction that notes more keys wakes every waiter instead */
#define BLOCK_MAX_NOTES 256

typedef struct BlockSlot
{
	int			pid;			/* the blocked process; 0: not blocked */
	int			db;
	uint64_t	since;			/* order of blocking: lower has waited longer */
	_Atomic uint32_t woken;		/* set by a waker (then SIGUSR1); cleared by
								 * the owner before each retry */
	bool		any_key;		/* more than BLOCK_MAX_KEYS keys */
	int			nkeys;
	uint64_t	keys[BLOCK_MAX_KEYS];	/* KsHash of each key */
} __attribute__((aligned(CACHELINE_SIZE))) BlockSlot;

typedef struct BlockShared
{
	LWLock		lock;			/* every BlockSlot field and next_since; the
								 * owner may load its own woken without it */
	_Atomic int nblocked;		/* slots with a pid: 0 lets writers skip the lock */
	uint64_t	next_since;
	int			nslots;
	BlockSlot	slots[];
} BlockShared;

static BlockShared *block_shared;
/* a retry of BlockRun skipped a key that holds another type (BlockNoteOtherType) */
static bool retry_saw_other_type;

/* This transaction's keys to wake after its commit (private memory). */
typedef struct BlockNote
{
	int			db;
	bool		whole_db;
	uint64_t	hash;
} BlockNote;

static BlockNote notes[BLOCK_MAX_NOTES];
static int	nnotes;
static bool notes_overflow;		/* wake every waiter */

size_t
BlockShmemSize(int nslots)
{
	return sizeof(BlockShared) + sizeof(BlockSlot) * (size_t) nslots;
}

void
BlockShmemInit(int nslots)
{
	block_shared = ShmemAlloc(BlockShmemSize(nslots));
	memset(block_shared, 0, BlockShmemSize(nslots));
	LWLockInit(&block_shared->lock, LWTRANCHE_BLOCKED);
	block_shared->nslots = nslots;
	block_shared->next_since = 1;
}

static BlockSlot *
my_slot(void)
{
	return &block_shared->slots[MyProc - proc_array->slots];
}

/* ------------------------------------------------------------- waking */

/*
 * Is the process registered in slot i still the one living there? A
 * backend killed with -9 never unregisters; the postmaster clears its
 * process slot's pid when it reaps it, and a new process gets a new pid.
 */
static bool
owner_alive(int i, const BlockSlot *s)
{
	return atomic_load(&proc_array->slots[i].pid) == s->pid;
}

/* Caller holds the lock exclusive. */
static void
wake_slot(BlockSlot *s)
{
	if (atomic_exchange(&s->woken, 1) == 0)
		kill(s->pid, SIGUSR1);
}

static bool
waits_on(const BlockSlot *s, int db, uint64_t hash)
{
	if (s->pid == 0 || s->db != db)
		return false;
	if (s->any_key)
		return true;
	for (int k = 0; k < s->nkeys; k++)
		if (s->keys[k] == hash)
			return true;
	return false;
}

/*
 * Wake the waiter that has waited longest on (db, hash), and every waiter
 * with too many keys to list that waits in db (they cannot be ordered).
 * The woken one passes the wake-up on when it is done (BlockRun), so one
 * push serves waiters one after another in the order they blocked.
 * Caller holds the lock exclusive.
 */
static void
wake_key_after_locked(int db, uint64_t hash, uint64_t after)
{
	BlockSlot  *oldest = NULL;

	for (int i = 0, n = ProcArrayHighWater(); i < n && i < block_shared->nslots; i++)
	{
		BlockSlot  *s = &block_shared->slots[i];

		if (!waits_on(s, db, hash) || s->since <= after || !owner_alive(i, s))
			continue;
		if (s->any_key)
			wake_slot(s);
		else if (oldest == NULL || s->since < oldest->since)
			oldest = s;
	}
	if (oldest)
		wake_slot(oldest);
}

static void
wake_key_locked(int db, uint64_t hash)
{
	wake_key_after_locked(db, hash, 0);
}

/* Every live waiter in db (db < 0: in any database). Lock held exclusive. */
static void
wake_all_locked(int db)
{
	for (int i = 0, n = ProcArrayHighWater(); i < n && i < block_shared->nslots; i++)
	{
		BlockSlot  *s = &block_shared->slots[i];

		if (s->pid != 0 && (db < 0 || s->db == db) && owner_alive(i, s))
			wake_slot(s);
	}
}

/* A wake-up s received and will not use goes to the next waiters. */
static void
pass_on_locked(const BlockSlot *s)
{
	if (s->any_key)
		wake_all_locked(s->db);
	else
		for (int k = 0; k < s->nkeys; k++)
			wake_key_locked(s->db, s->keys[k]);
}

static void
wake_keys(int db, bool any_key, const uint64_t *keys, int nkeys)
{
	if (atomic_load(&block_shared->nblocked) == 0)
		return;
	LWLockAcquire(&block_shared->lock, LW_EXCLUSIVE);
	if (any_key)
		wake_all_locked(db);
	else
		for (int k = 0; k < nkeys; k++)
			wake_key_locked(db, keys[k]);
	LWLockRelease(&block_shared->lock);
}

void
BlockNoteKey(int db, const char *key, size_t len)
{
	uint64_t	hash = KsHash(key, len);

	if (notes_overflow)
		return;
	for (int i = 0; i < nnotes; i++)
		if (notes[i].db == db && (notes[i].whole_db || notes[i].hash == hash))
			return;
	if (nnotes == BLOCK_MAX_NOTES)
	{
		notes_overflow = true;
		return;
	}
	notes[nnotes].db = db;
	notes[nnotes].whole_db = false;
	notes[nnotes].hash = hash;
	nnotes++;
}

void
BlockNoteDatabase(int db)
{
	if (notes_overflow)
		return;
	if (nnotes == BLOCK_MAX_NOTES)
	{
		notes_overflow = true;
		return;
	}
	notes[nnotes].db = db;
	notes[nnotes].whole_db = true;
	notes[nnotes].hash = 0;
	nnotes++;
}

void
BlockForgetNoted(void)
{
	nnotes = 0;
	notes_overflow = false;
}

/*
 * After the commit. The waiter registers before its retry takes the key
 * lock, and the writer loads nblocked after releasing it, so either the
 * writer sees the waiter here or the waiter's retry sees the commit.
 */
void
BlockWakeNoted(void)
{
	if ((nnotes == 0 && !notes_overflow) || atomic_load(&block_shared->nblocked) == 0)
	{
		BlockForgetNoted();
		return;
	}
	LWLockAcquire(&block_shared->lock, LW_EXCLUSIVE);
	if (notes_overflow)
		wake_all_locked(-1);
	else
		for (int i = 0; i < nnotes; i++)
		{
			if (notes[i].whole_db)
				wake_all_locked(notes[i].db);
			else
				wake_key_locked(notes[i].db, notes[i].hash);
		}
	LWLockRelease(&block_shared->lock);
	BlockForgetNoted();
}

/*
 * Clear the slots of waiters that died without unregistering (kill -9),
 * passing on a wake-up one of them had received and not used.
 */
static void
sweep_dead_waiters(void)
{
	LWLockAcquire(&block_shared->lock, LW_EXCLUSIVE);
	for (int i = 0, n = ProcArrayHighWater(); i < n && i < block_shared->nslots; i++)
	{
		BlockSlot  *s = &block_shared->slots[i];

		if (s->pid == 0 || owner_alive(i, s))
			continue;
		s->pid = 0;
		atomic_fetch_sub(&block_shared->nblocked, 1);
		if (atomic_load(&s->woken))
			pass_on_locked(s);
	}
	LWLockRelease(&block_shared->lock);
}

/* ------------------------------------------------------------ waiting */

static void
publish_blocked(bool blocked, bool with_timeout)
{
	ProcSlotBeginWrite(MyProc);
	MyProc->blocked = blocked;
	MyProc->blocked_timeout = blocked && with_timeout;
	ProcSlotEndWrite(MyProc);
}

static void
block_register(Client *c, int first, int nkeys)
{
	BlockSlot  *s = my_slot();

	LWLockAcquire(&block_shared->lock, LW_EXCLUSIVE);
	if (s->pid != 0)
	{
		/* left by a predecessor in this slot killed while blocked */
		atomic_fetch_sub(&block_shared->nblocked, 1);
		if (atomic_load(&s->woken))
			pass_on_locked(s);
	}
	s->db = c->db;
	s->any_key = nkeys > BLOCK_MAX_KEYS;
	s->nkeys = s->any_key ? 0 : nkeys;
	for (int k = 0; k < s->nkeys; k++)
		s->keys[k] = KsHash(c->argv[first + k], c->argv_len[first + k]);
	s->since = block_shared->next_since++;
	atomic_store(&s->woken, 0);
	s->pid = MyProc->pid;
	atomic_fetch_add(&block_shared->nblocked, 1);
	LWLockRelease(&block_shared->lock);
}

/* Returns whether a wake-up came that the caller has not used yet. */
static bool
block_unregister(void)
{
	BlockSlot  *s = my_slot();
	bool		woken;

	LWLockAcquire(&block_shared->lock, LW_EXCLUSIVE);
	woken = atomic_load(&s->woken) != 0;
	if (s->pid != 0)
		atomic_fetch_sub(&block_shared->nblocked, 1);
	s->pid = 0;
	LWLockRelease(&block_shared->lock);
	return woken;
}

void
BlockRun(Client *c, int first, int nkeys, long long timeout_ms, BlockTryFn try, void *arg)
{
	BlockSlot  *me = my_slot();
	int64_t		start = MonotonicUs();
	int64_t		deadline = 0;
	bool		served = false, woken;

	if (timeout_ms > 0 && timeout_ms <= BLOCK_MAX_TIMEOUT_MS)
		deadline = start + timeout_ms * 1000;
	/* asleep, this process holds no storage state: vacuum need not wait */
	ProcStorageLeave();
	BackendSendPending(c);
	block_register(c, first, nkeys);
	publish_blocked(true, deadline != 0);
	for (;;)
	{
		BackendSleepResult r;

		/* cleared before the retry: a push after its look wakes us again */
		atomic_store(&me->woken, 0);
		retry_saw_other_type = false;
		ProcStorageEnter();
		served = try(c, arg, true);
		ProcStorageLeave();
		if (served)
			break;
		/*
		 * One of our keys holds another type now: the wake-up may have
		 * been meant for a waiter of that type (a BZPOPMIN behind our
		 * BLPOP on one key name). Pass it on to the waiters that blocked
		 * after us, in order; it never comes back to an older waiter, so
		 * the chain ends.
		 */
		if (retry_saw_other_type && !me->any_key)
		{
			LWLockAcquire(&block_shared->lock, LW_EXCLUSIVE);
			for (int k = 0; k < me->nkeys; k++)
				wake_key_after_locked(me->db, me->keys[k], me->since);
			LWLockRelease(&block_shared->lock);
		}
		for (;;)
		{
			int64_t		until = MonotonicUs() + BLOCK_TICK_US;

			if (deadline != 0 && deadline < until)
				until = deadline;
			r = BackendSleep(c, until, &me->woken);
			if (r != BACKEND_SLEEP_TIMEOUT || (deadline != 0 && MonotonicUs() >= deadline))
				break;
			sweep_dead_waiters();	/* a tick, not the deadline */
		}
		if (r == BACKEND_SLEEP_GONE)
			break;
		if (r == BACKEND_SLEEP_TIMEOUT)
		{
			AddReplyNullArray(&c->reply);
			break;
		}
	}
	woken = block_unregister();
	publish_blocked(false, false);
	/*
	 * Pass the turn on: after a pop the list may hold more for the next
	 * waiter, and a wake-up received but not used belongs to someone else.
	 */
	if (served || woken)
		wake_keys(c->db, me->any_key, me->keys, me->nkeys);
	ProcStorageEnter();
	c->blocked_us += MonotonicUs() - start;
}

void
BlockNoteOtherType(void)
{
	retry_saw_other_type = true;
}

void
BlockClientDone(void)
{
	if (block_shared == NULL || MyProc == NULL || my_slot()->pid == 0)
		return;
	if (block_unregister())
	{
		BlockSlot  *me = my_slot();

		wake_keys(me->db, me->any_key, me->keys, me->nkeys);
	}
	publish_blocked(false, false);
}

bool
BlockParseTimeout(Client *c, int argi, long long *timeout_ms)
{
	long double secs, ms;

	if (!StringToLongDouble(c->argv[argi], c->argv_len[argi], &secs))
	{
		AddReplyError(&c->reply, "ERR timeout is not a float or out of range");
		return false;
	}
	ms = secs * 1000.0L;

	/*
	 * Redis truncates with a cast; a value outside long long (inf
	 * included) comes out of that cast as LLONG_MIN on x86-64, which it
	 * then reports as negative. Same answers, without the undefined cast.
	 */
	if (!(ms < 9223372036854775808.0L) || !(ms > -9223372036854775808.0L) ||
		(long long) ms < 0)
	{
		AddReplyError(&c->reply, "ERR timeout is negative");
		return false;
	}
	*timeout_ms = (long long) ms;
	return true;
}
