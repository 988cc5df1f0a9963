/*
 * bufmgr_int.h
 *	  Buffer descriptors, the state word and the shared layout of the
 *	  buffer manager; private to storage/bufmgr.c and its tests.
 *
 * NOTES
 *	  The state word packs the shared pin count, the usage count and the
 *	  flags so that pinning, unpinning, the clock hand and flag changes are
 *	  each one atomic operation; there is no buffer header spinlock. The bit
 *	  table, the rules for who may change the tag and the lock order are in
 *	  storage/README.md, "Buffer manager".
 */
#ifndef TUSK_BUFMGR_INT_H
#define TUSK_BUFMGR_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "storage/bufmgr.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

/* State word: bits 0-17 pin count, 18-21 usage count, 22-31 flags. */
#define BUF_REFCOUNT_ONE		((uint32_t) 1)
#define BUF_REFCOUNT_MASK		((uint32_t) (1u << 18) - 1)
#define BUF_USAGECOUNT_SHIFT	18
#define BUF_USAGECOUNT_ONE		((uint32_t) 1 << BUF_USAGECOUNT_SHIFT)
#define BUF_USAGECOUNT_MASK		((uint32_t) 0xF << BUF_USAGECOUNT_SHIFT)
#define BUF_MAX_USAGE_COUNT		5

#define BM_DIRTY				((uint32_t) 1 << 22)	/* differs from disk */
#define BM_VALID				((uint32_t) 1 << 23)	/* page holds the block */
#define BM_TAG_VALID			((uint32_t) 1 << 24)	/* tag set, in the hash */
#define BM_IO_IN_PROGRESS		((uint32_t) 1 << 25)	/* read or write running */
#define BM_IO_ERROR				((uint32_t) 1 << 26)	/* last I/O failed */
#define BM_JUST_DIRTIED			((uint32_t) 1 << 27)	/* dirtied during write */
#define BM_CHECKPOINT_NEEDED	((uint32_t) 1 << 28)	/* in this checkpoint */

#define BUF_STATE_REFCOUNT(s)	((s) & BUF_REFCOUNT_MASK)
#define BUF_STATE_USAGECOUNT(s) (((s) & BUF_USAGECOUNT_MASK) >> BUF_USAGECOUNT_SHIFT)

/* Mapping hash partitions, each with its own lock. */
#define NUM_BUFFER_PARTITIONS	128

typedef struct BufferTag
{
	RelNumber	rel;
	BlockNumber blkno;
} BufferTag;

typedef struct BufferDesc
{
	/*
	 * Which block the buffer holds. Written only by a process that holds
	 * the only pin and the mapping partition locks of the old and the new
	 * tag, EXCLUSIVE, while BM_TAG_VALID is clear. Read under the mapping
	 * partition lock of the tag, or by any holder of a pin who saw
	 * BM_TAG_VALID after pinning.
	 */
	BufferTag	tag;

	/* Pin count, usage count, BM_* flags: atomic operations only. */
	_Atomic uint32_t state;

	/*
	 * Next buffer in the same hash bucket, -1 at the end. Protected by the
	 * mapping partition lock of the bucket the buffer is in.
	 */
	int32_t		hash_next;

	int32_t		buf_id;			/* constant: 0-based index */

	/* SHARED to read the page, EXCLUSIVE to change it (bufmgr.h). */
	LWLock		content_lock;

	/*
	 * Held EXCLUSIVE by the process doing I/O on the buffer from before it
	 * sets BM_IO_IN_PROGRESS until after it clears it; others wait for the
	 * I/O by taking it SHARED. Being an LWLock, a process that dies during
	 * I/O shows in its slot's lwlocks_held.
	 */
	LWLock		io_lock;
} __attribute__((aligned(CACHELINE_SIZE))) BufferDesc;

/* Statistics counters, striped by process slot to avoid one hot line. */
#define BUFFER_STATS_STRIPES 32

typedef struct BufferStatsStripe
{
	_Atomic uint64_t hits;
	_Atomic uint64_t reads;
	_Atomic uint64_t written_backend;
	_Atomic uint64_t written_checkpoint;
	_Atomic uint64_t written_bgwriter;
	_Atomic uint64_t evictions;
	_Atomic uint64_t extends;
	_Atomic uint64_t allocs;	/* victims taken by the clock hand */
} __attribute__((aligned(CACHELINE_SIZE))) BufferStatsStripe;

typedef struct PaddedLWLock
{
	LWLock		lock;
} __attribute__((aligned(CACHELINE_SIZE))) PaddedLWLock;

typedef struct BufMgrShared
{
	/* Clock hand: total advances; the buffer is next_victim % NBuffers. */
	_Atomic uint64_t next_victim __attribute__((aligned(CACHELINE_SIZE)));

	uint32_t	nbuckets;		/* constant: a power of two */

	/* partition p protects the buckets b with b % 128 == p */
	PaddedLWLock partition_locks[NUM_BUFFER_PARTITIONS];

	BufferStatsStripe stats[BUFFER_STATS_STRIPES];

	/*
	 * Background writer (BufBgWriterRound, BufBgWriterSleep). The latch is
	 * the futex word the bgwriter sleeps on: BGW_RUNNING while it works,
	 * BGW_NAPPING or BGW_HIBERNATING while it sleeps; a process that takes
	 * a victim and reads BGW_HIBERNATING swaps in BGW_RUNNING and wakes it
	 * (one CAS wins). Backends only read it otherwise, so the line stays
	 * shared in their caches. The two counters are written by the bgwriter
	 * alone.
	 */
	_Atomic uint32_t bgwriter_latch __attribute__((aligned(CACHELINE_SIZE)));
	_Atomic uint64_t bgwriter_rounds;
	_Atomic uint64_t bgwriter_maxwritten_clean;	/* rounds stopped by lru_maxpages */
} BufMgrShared;

#define BGW_RUNNING		0
#define BGW_NAPPING		1		/* sleeping bgwriter_delay; not woken by allocations */
#define BGW_HIBERNATING 2		/* sleeping long; the next allocation wakes it */

/* Exposed for tests and debugging. */
extern BufMgrShared *bufmgr_shared;
extern BufferDesc *buffer_descriptors;

#endif
