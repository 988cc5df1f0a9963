/*
 * keylock.c
 *	  The key-lock table and the database locks.
 *
 * NOTES
 *	  Runs in backends. The table is KEYLOCK_STRIPES LWLocks (tranche
 *	  KeyLock) plus KEYLOCK_DATABASES LWLocks (tranche DatabaseLock) in
 *	  shared memory, initialised by the postmaster and never resized. Which
 *	  locks this process holds is private (held_stripes, held_dbs). The lock
 *	  order (README "Key locks") is enforced by construction: each call
 *	  sorts what it takes, and a second acquisition while holding key locks
 *	  is a caller bug (PANIC: it could deadlock).
 */
#include "config.h"

#include "storage/keylock.h"

#include <stdatomic.h>

#include <stdlib.h>

#include "storage/elog.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

typedef struct KeyLockTable
{
	LWLock		db_locks[KEYLOCK_DATABASES];
	LWLock		stripes[KEYLOCK_STRIPES];
	_Atomic uint64_t changes[KEYLOCK_STRIPES];	/* writes under each stripe */
} KeyLockTable;

static KeyLockTable *keylocks;

static uint32_t held_stripes[KEYLOCK_MAX_STRIPES];
static int	nheld_stripes;
static int	held_dbs[KEYLOCK_DATABASES];
static int	nheld_dbs;

size_t
KeyLockShmemSize(void)
{
	return CACHELINE_ALIGN(sizeof(KeyLockTable));
}

void
KeyLockShmemInit(void)
{
	keylocks = ShmemAlloc(sizeof(KeyLockTable));
	for (int i = 0; i < KEYLOCK_DATABASES; i++)
		LWLockInit(&keylocks->db_locks[i], LWTRANCHE_DBLOCK);
	for (int i = 0; i < KEYLOCK_STRIPES; i++)
		LWLockInit(&keylocks->stripes[i], LWTRANCHE_KEYLOCK);
}

uint32_t
KeyLockStripe(int db, uint64_t key_hash)
{
	/* Mix in the database and scramble, so similar hashes spread out. */
	uint64_t	z = key_hash ^ ((uint64_t) (unsigned) db * 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return (uint32_t) (z & (KEYLOCK_STRIPES - 1));
}

static int
int_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return x < y ? -1 : x > y;
}

static void
check_none_held(void)
{
	if (nheld_stripes > 0 || nheld_dbs > 0)
		elog(PANIC, "key locks requested while key locks are held");
}

void
KeyLockAcquireMany(int db, const uint64_t *key_hashes, int n)
{
	uint32_t	stripes[KEYLOCK_MAX_STRIPES];
	int			nstripes = 0;
	int			dbslot = (int) ((unsigned) db % KEYLOCK_DATABASES);

	check_none_held();

	/* Distinct stripes; too many means the database lock instead. */
	for (int i = 0; i < n && nstripes <= KEYLOCK_MAX_STRIPES; i++)
	{
		uint32_t	s = KeyLockStripe(db, key_hashes[i]);
		bool		dup = false;

		for (int j = 0; j < nstripes && !dup; j++)
			dup = stripes[j] == s;
		if (dup)
			continue;
		if (nstripes == KEYLOCK_MAX_STRIPES)
		{
			nstripes++;			/* overflow marker */
			break;
		}
		stripes[nstripes++] = s;
	}
	if (nstripes > KEYLOCK_MAX_STRIPES)
	{
		LWLockAcquire(&keylocks->db_locks[dbslot], LW_EXCLUSIVE);
		held_dbs[nheld_dbs++] = dbslot;
		return;
	}

	LWLockAcquire(&keylocks->db_locks[dbslot], LW_SHARED);
	held_dbs[nheld_dbs++] = dbslot;
	/* at most 32, usually 1: insertion sort (glibc's qsort may allocate) */
	for (int i = 1; i < nstripes; i++)
	{
		uint32_t	v = stripes[i];
		int			j = i;

		for (; j > 0 && stripes[j - 1] > v; j--)
			stripes[j] = stripes[j - 1];
		stripes[j] = v;
	}
	for (int i = 0; i < nstripes; i++)
	{
		LWLockAcquire(&keylocks->stripes[stripes[i]], LW_EXCLUSIVE);
		held_stripes[nheld_stripes++] = stripes[i];
	}
}

void
KeyLockAcquireDatabases(const int *dbs, int n)
{
	int			slots[KEYLOCK_DATABASES];
	int			nslots = 0;

	check_none_held();
	if (n < 0)
	{
		for (int i = 0; i < KEYLOCK_DATABASES; i++)
			slots[nslots++] = i;
	}
	else
	{
		for (int i = 0; i < n; i++)
		{
			int			s = (int) ((unsigned) dbs[i] % KEYLOCK_DATABASES);
			bool		dup = false;

			for (int j = 0; j < nslots && !dup; j++)
				dup = slots[j] == s;
			if (!dup)
				slots[nslots++] = s;
		}
		qsort(slots, (size_t) nslots, sizeof(int), int_cmp);
	}
	if (nslots + LWLockHeldCount() > LWLOCK_MAX_HELD)
		elog(PANIC, "too many database locks requested");
	for (int i = 0; i < nslots; i++)
	{
		LWLockAcquire(&keylocks->db_locks[slots[i]], LW_EXCLUSIVE);
		held_dbs[nheld_dbs++] = slots[i];
	}
}

void
KeyLockReleaseAll(void)
{
	/* Reverse order of acquisition; any order would do. */
	while (nheld_stripes > 0)
		LWLockRelease(&keylocks->stripes[held_stripes[--nheld_stripes]]);
	while (nheld_dbs > 0)
		LWLockRelease(&keylocks->db_locks[held_dbs[--nheld_dbs]]);
}

int
KeyLockHeldCount(void)
{
	return nheld_stripes + nheld_dbs;
}

void
KeyLockNoteChange(int db, uint64_t key_hash)
{
	atomic_fetch_add_explicit(&keylocks->changes[KeyLockStripe(db, key_hash)], 1,
							  memory_order_relaxed);
}

uint64_t
KeyLockChangeCount(int db, uint64_t key_hash)
{
	return atomic_load_explicit(&keylocks->changes[KeyLockStripe(db, key_hash)],
								memory_order_relaxed);
}
