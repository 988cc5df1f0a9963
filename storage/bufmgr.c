/*
 * bufmgr.c
 *	  The shared buffer pool: lookup, pinning, clock-sweep replacement,
 *	  reads and writes through smgr, checkpoint writes and the background
 *	  writer's rounds.
 *
 * NOTES
 *	  Runs in every process that reads or writes relation pages: backends,
 *	  the startup process, the checkpointer (BufFlushAll), the bgwriter
 *	  (BufBgWriterRound, BufBgWriterSleep; BufBgWriterWakeup from its signal
 *	  handler). The postmaster only calls BufMgrShmemSize/Init.
 *
 *	  Shared memory: NBuffers descriptors (bufmgr_int.h), NBuffers pages,
 *	  and the mapping hash (bucket heads here, chain links in the
 *	  descriptors: each buffer is in at most one chain, so the hash needs no
 *	  entries or free list of its own). Locks, in the order they may be
 *	  taken (storage/README.md, "Buffer manager"):
 *		content locks held by the caller
 *		-> relation extension lock -> content lock of the new page (BufExtend)
 *		-> mapping partition locks, in partition order -> victim's I/O lock
 *		-> content lock SHARED of a page to write -> its I/O lock
 *	  A content lock is never requested while holding a mapping lock, no
 *	  I/O happens while a mapping lock is held, and an I/O lock holder never
 *	  waits for another buffer lock. The state word is changed
 *	  with atomic operations only; nothing spins holding it.
 *
 *	  Private memory: this process's pins, a small open-addressing hash of
 *	  (buffer, count) sized by the number of buffers pinned at once, not by
 *	  NBuffers (a thousand backends each with an NBuffers array would cost
 *	  gigabytes), so that BufReleaseAll can undo what a failed command left;
 *	  and a page
 *	  copy used to checksum and write. A process must not fork while it
 *	  holds pins (the child would inherit the private counts).
 *
 *	  Every function that can fail returns a status; nothing is thrown.
 */
#include "config.h"

#include "storage/bufmgr.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "storage/bufmgr_int.h"
#include "storage/elog.h"
#include "storage/futex.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"

#define MIN_BUFFERS 16
#define IO_ALIGN 4096

int			NBuffers;
BufMgrShared *bufmgr_shared;
BufferDesc *buffer_descriptors;
bool		(*bufmgr_wal_flush_hook) (XLogRecPtr lsn);

static char *buffer_blocks;
static _Atomic int32_t *bucket_heads;	/* buffer id or -1; partition lock */

/* Private pin bookkeeping: buffer id -> pins held by this process. */
typedef struct PrivateRef
{
	int32_t		id;				/* -1: empty slot */
	int32_t		count;
} PrivateRef;

#define PRIVATE_REFS_INITIAL 64

static PrivateRef *private_refs;
static uint32_t private_refs_size;	/* power of two */
static uint32_t private_refs_used;
static int	private_pins_total;

/* Where this process writes from: the checksum goes on a private copy. */
static char write_copy[BLCKSZ] __attribute__((aligned(IO_ALIGN)));

typedef enum FlushContext
{
	FLUSH_BACKEND,
	FLUSH_CHECKPOINT,
	FLUSH_BGWRITER,
} FlushContext;

typedef enum FlushResult
{
	FLUSH_WRITTEN,
	FLUSH_CLEAN,				/* nothing to write (already clean or not valid) */
	FLUSH_BUSY,					/* content lock not free, conditional mode */
	FLUSH_FAILED,				/* logged */
} FlushResult;

#define GetBufferDescriptor(id) (&buffer_descriptors[(id)])
#define BufferGetId(buf) ((buf) - 1)

/* ---------------------------------------------------------------- */
/* shared memory */

static long long
buffers_for(long long shared_buffers)
{
	long long	n = shared_buffers / BLCKSZ;

	if (n < MIN_BUFFERS)
		n = MIN_BUFFERS;
	if (n > INT32_MAX / 2)
		n = INT32_MAX / 2;
	return n;
}

static uint32_t
buckets_for(long long nbuffers)
{
	uint32_t	n = NUM_BUFFER_PARTITIONS;

	while ((long long) n < nbuffers)
		n <<= 1;
	return n;
}

size_t
BufMgrShmemSize(long long shared_buffers)
{
	long long	n = buffers_for(shared_buffers);
	size_t		size = 0;

	size = ShmemAddSize(size, sizeof(BufMgrShared));
	size = ShmemAddSize(size, sizeof(BufferDesc) * (size_t) n);
	size = ShmemAddSize(size, sizeof(int32_t) * buckets_for(n));
	size = ShmemAddSize(size, (size_t) BLCKSZ * (size_t) n + IO_ALIGN);
	return size;
}

void
BufMgrShmemInit(long long shared_buffers)
{
	long long	n = buffers_for(shared_buffers);
	uint32_t	nbuckets = buckets_for(n);
	uintptr_t	blocks;

	NBuffers = (int) n;
	bufmgr_shared = ShmemAlloc(sizeof(BufMgrShared));
	buffer_descriptors = ShmemAlloc(sizeof(BufferDesc) * (size_t) n);
	bucket_heads = ShmemAlloc(sizeof(int32_t) * nbuckets);
	blocks = (uintptr_t) ShmemAlloc((size_t) BLCKSZ * (size_t) n + IO_ALIGN);
	buffer_blocks = (char *) ((blocks + IO_ALIGN - 1) & ~(uintptr_t) (IO_ALIGN - 1));

	atomic_store(&bufmgr_shared->next_victim, 0);
	atomic_store(&bufmgr_shared->bgwriter_latch, BGW_RUNNING);
	atomic_store(&bufmgr_shared->bgwriter_rounds, 0);
	atomic_store(&bufmgr_shared->bgwriter_maxwritten_clean, 0);
	bufmgr_shared->nbuckets = nbuckets;
	for (int p = 0; p < NUM_BUFFER_PARTITIONS; p++)
		LWLockInit(&bufmgr_shared->partition_locks[p].lock, LWTRANCHE_BUFFER_MAPPING);
	for (uint32_t b = 0; b < nbuckets; b++)
		atomic_store(&bucket_heads[b], -1);
	for (int i = 0; i < NBuffers; i++)
	{
		BufferDesc *desc = GetBufferDescriptor(i);

		desc->tag.rel = 0;
		desc->tag.blkno = InvalidBlockNumber;
		atomic_store(&desc->state, 0);
		desc->hash_next = -1;
		desc->buf_id = i;
		LWLockInit(&desc->content_lock, LWTRANCHE_BUFFER_CONTENT);
		/* XXX no BufferIO tranche yet; waits show as BufferContent */
		LWLockInit(&desc->io_lock, LWTRANCHE_BUFFER_CONTENT);
	}

	/* A unit test may lay out a new pool in the same process. */
	if (private_refs != NULL)
		MemFree(private_refs);
	private_refs = NULL;
	private_refs_size = private_refs_used = 0;
	private_pins_total = 0;
}

/* ---------------------------------------------------------------- */
/* statistics */

static BufferStatsStripe *
my_stats(void)
{
	int			stripe = 0;

	if (MyProc != NULL && proc_array != NULL)
		stripe = (int) (MyProc - proc_array->slots) % BUFFER_STATS_STRIPES;
	return &bufmgr_shared->stats[stripe];
}

#define COUNT(field) \
	atomic_fetch_add_explicit(&my_stats()->field, 1, memory_order_relaxed)

void
BufGetStats(BufferStats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < BUFFER_STATS_STRIPES; i++)
	{
		BufferStatsStripe *s = &bufmgr_shared->stats[i];

		out->hits += atomic_load_explicit(&s->hits, memory_order_relaxed);
		out->reads += atomic_load_explicit(&s->reads, memory_order_relaxed);
		out->written_backend += atomic_load_explicit(&s->written_backend, memory_order_relaxed);
		out->written_checkpoint += atomic_load_explicit(&s->written_checkpoint, memory_order_relaxed);
		out->written_bgwriter += atomic_load_explicit(&s->written_bgwriter, memory_order_relaxed);
		out->evictions += atomic_load_explicit(&s->evictions, memory_order_relaxed);
		out->extends += atomic_load_explicit(&s->extends, memory_order_relaxed);
		out->allocs += atomic_load_explicit(&s->allocs, memory_order_relaxed);
	}
	out->bgwriter_rounds = atomic_load(&bufmgr_shared->bgwriter_rounds);
	out->bgwriter_maxwritten_clean = atomic_load(&bufmgr_shared->bgwriter_maxwritten_clean);
}

static uint64_t
total_allocs(void)
{
	uint64_t	n = 0;

	for (int i = 0; i < BUFFER_STATS_STRIPES; i++)
		n += atomic_load_explicit(&bufmgr_shared->stats[i].allocs, memory_order_relaxed);
	return n;
}

/* ---------------------------------------------------------------- */
/* mapping hash: caller holds the partition lock of the bucket */

static uint32_t
tag_hash(const BufferTag *tag)
{
	uint64_t	k = ((uint64_t) tag->rel << 32) | tag->blkno;

	/* 64-bit finalizer mix: every input bit affects every output bit */
	k ^= k >> 33;
	k *= 0xFF51AFD7ED558CCDull;
	k ^= k >> 33;
	k *= 0xC4CEB9FE1A85EC53ull;
	k ^= k >> 33;
	return (uint32_t) k;
}

static uint32_t
tag_bucket(const BufferTag *tag)
{
	return tag_hash(tag) & (bufmgr_shared->nbuckets - 1);
}

static LWLock *
partition_lock(uint32_t bucket)
{
	return &bufmgr_shared->partition_locks[bucket % NUM_BUFFER_PARTITIONS].lock;
}

static bool
tag_equal(const BufferTag *a, const BufferTag *b)
{
	return a->rel == b->rel && a->blkno == b->blkno;
}

static int
hash_lookup(const BufferTag *tag, uint32_t bucket)
{
	for (int id = atomic_load_explicit(&bucket_heads[bucket], memory_order_relaxed);
		 id >= 0; id = GetBufferDescriptor(id)->hash_next)
		if (tag_equal(&GetBufferDescriptor(id)->tag, tag))
			return id;
	return -1;
}

static void
hash_insert(uint32_t bucket, int id)
{
	GetBufferDescriptor(id)->hash_next = atomic_load(&bucket_heads[bucket]);
	atomic_store(&bucket_heads[bucket], id);
}

static void
hash_delete(uint32_t bucket, int id)
{
	int			prev = -1;

	for (int cur = atomic_load(&bucket_heads[bucket]); cur >= 0;
		 prev = cur, cur = GetBufferDescriptor(cur)->hash_next)
	{
		if (cur != id)
			continue;
		if (prev < 0)
			atomic_store(&bucket_heads[bucket], GetBufferDescriptor(cur)->hash_next);
		else
			GetBufferDescriptor(prev)->hash_next = GetBufferDescriptor(cur)->hash_next;
		GetBufferDescriptor(cur)->hash_next = -1;
		return;
	}
	elog(PANIC, "buffer %d missing from its mapping hash bucket", id);
}

/* Lock the partitions of two buckets EXCLUSIVE, lower partition first. */
static void
lock_two_partitions(uint32_t b1, uint32_t b2)
{
	uint32_t	p1 = b1 % NUM_BUFFER_PARTITIONS;
	uint32_t	p2 = b2 % NUM_BUFFER_PARTITIONS;

	if (p1 == p2)
		LWLockAcquire(partition_lock(b1), LW_EXCLUSIVE);
	else if (p1 < p2)
	{
		LWLockAcquire(partition_lock(b1), LW_EXCLUSIVE);
		LWLockAcquire(partition_lock(b2), LW_EXCLUSIVE);
	}
	else
	{
		LWLockAcquire(partition_lock(b2), LW_EXCLUSIVE);
		LWLockAcquire(partition_lock(b1), LW_EXCLUSIVE);
	}
}

static void
unlock_two_partitions(uint32_t b1, uint32_t b2)
{
	LWLockRelease(partition_lock(b1));
	if (b1 % NUM_BUFFER_PARTITIONS != b2 % NUM_BUFFER_PARTITIONS)
		LWLockRelease(partition_lock(b2));
}

/* ---------------------------------------------------------------- */
/* pins */

static uint32_t
ref_slot(int32_t id)
{
	return ((uint32_t) id * 0x9E3779B1u) & (private_refs_size - 1);
}

static void
refs_init(uint32_t size)
{
	private_refs = MemAlloc(sizeof(PrivateRef) * size);
	private_refs_size = size;
	private_refs_used = 0;
	for (uint32_t i = 0; i < size; i++)
		private_refs[i].id = -1;
}

/* The entry for buffer id, or NULL if this process does not pin it. */
static PrivateRef *
ref_find(int32_t id)
{
	if (private_refs == NULL)
		return NULL;
	for (uint32_t i = ref_slot(id);; i = (i + 1) & (private_refs_size - 1))
	{
		if (private_refs[i].id == id)
			return &private_refs[i];
		if (private_refs[i].id < 0)
			return NULL;
	}
}

/* The entry for buffer id, added with count 0 if absent. */
static PrivateRef *
ref_get(int32_t id)
{
	PrivateRef *ref = ref_find(id);

	if (ref != NULL)
		return ref;
	if (private_refs == NULL)
		refs_init(PRIVATE_REFS_INITIAL);
	else if ((private_refs_used + 1) * 2 > private_refs_size)
	{
		PrivateRef *old = private_refs;
		uint32_t	old_size = private_refs_size;

		refs_init(old_size * 2);
		for (uint32_t i = 0; i < old_size; i++)
			if (old[i].id >= 0)
				*ref_get(old[i].id) = old[i];
		MemFree(old);
	}
	for (uint32_t i = ref_slot(id);; i = (i + 1) & (private_refs_size - 1))
		if (private_refs[i].id < 0)
		{
			private_refs[i].id = id;
			private_refs[i].count = 0;
			private_refs_used++;
			return &private_refs[i];
		}
}

/* Remove an entry, shifting later members of its probe run back. */
static void
ref_forget(PrivateRef *ref)
{
	uint32_t	mask = private_refs_size - 1;
	uint32_t	hole = (uint32_t) (ref - private_refs);

	private_refs[hole].id = -1;
	private_refs_used--;
	for (uint32_t i = (hole + 1) & mask; private_refs[i].id >= 0; i = (i + 1) & mask)
	{
		uint32_t	home = ref_slot(private_refs[i].id);

		/* Move it back unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask))
		{
			private_refs[hole] = private_refs[i];
			private_refs[i].id = -1;
			hole = i;
		}
	}
}

/*
 * Pin buffer id. The shared count changes only on this process's first
 * pin; that one also bumps the usage count unless the caller is a scan
 * (checkpointer, bgwriter) that should not make the page look popular.
 * The caller makes sure the buffer cannot change identity meanwhile, or
 * checks the state after pinning.
 */
static void
pin_buffer(int id, bool bump_usage)
{
	BufferDesc *desc = GetBufferDescriptor(id);
	PrivateRef *ref = ref_get(id);
	uint32_t	old;

	private_pins_total++;
	if (ref->count++ > 0)
		return;
	old = atomic_load(&desc->state);
	for (;;)
	{
		uint32_t	new = old + BUF_REFCOUNT_ONE;

		if (bump_usage && BUF_STATE_USAGECOUNT(old) < BUF_MAX_USAGE_COUNT)
			new += BUF_USAGECOUNT_ONE;
		if (atomic_compare_exchange_weak(&desc->state, &old, new))
			return;
	}
}

static void
unpin_buffer(int id)
{
	BufferDesc *desc = GetBufferDescriptor(id);
	PrivateRef *ref = ref_find(id);

	if (ref == NULL || ref->count <= 0)
		elog(PANIC, "buffer %d is not pinned by this process", id + 1);
	private_pins_total--;
	if (--ref->count > 0)
		return;
	ref_forget(ref);
	atomic_fetch_sub(&desc->state, BUF_REFCOUNT_ONE);
}

/*
 * A victim was taken: wake a hibernating bgwriter. The common case costs
 * one relaxed load of a line that stays shared; of several processes that
 * see BGW_HIBERNATING, only the one whose CAS wins makes the system call.
 */
static inline void
note_allocation(void)
{
	COUNT(allocs);
	if (atomic_load_explicit(&bufmgr_shared->bgwriter_latch, memory_order_relaxed) ==
		BGW_HIBERNATING)
	{
		uint32_t	expected = BGW_HIBERNATING;

		if (atomic_compare_exchange_strong(&bufmgr_shared->bgwriter_latch, &expected,
										   BGW_RUNNING))
			FutexWake(&bufmgr_shared->bgwriter_latch, INT_MAX);
	}
}

/*
 * Clock sweep: advance the hand until a buffer with no pins and usage
 * count zero is found, decrementing usage counts on the way. Returns it
 * pinned by this process (its only pin at the moment of pinning), or -1
 * when a full sweep without any usage count left to decrement found every
 * buffer pinned. Each victim returned counts as an allocation (buffers_alloc,
 * the bgwriter's estimate).
 */
static int
clock_sweep(void)
{
	int			trycounter = NBuffers;

	for (;;)
	{
		int			id = (int) (atomic_fetch_add(&bufmgr_shared->next_victim, 1) %
								(uint64_t) NBuffers);
		BufferDesc *desc = GetBufferDescriptor(id);
		uint32_t	old = atomic_load(&desc->state);

		for (;;)
		{
			if (BUF_STATE_REFCOUNT(old) != 0)
			{
				if (--trycounter == 0)
					return -1;
				break;
			}
			if (BUF_STATE_USAGECOUNT(old) != 0)
			{
				if (atomic_compare_exchange_weak(&desc->state, &old,
												 old - BUF_USAGECOUNT_ONE))
				{
					trycounter = NBuffers;
					break;
				}
				continue;
			}
			if (atomic_compare_exchange_weak(&desc->state, &old,
											 old + BUF_REFCOUNT_ONE))
			{
				ref_get(id)->count = 1;
				private_pins_total++;
				note_allocation();
				return id;
			}
		}
	}
}

/* ---------------------------------------------------------------- */
/* I/O */

/* Wait until no I/O runs on the buffer. Caller holds a pin, no mapping lock. */
static void
wait_io(BufferDesc *desc)
{
	while (atomic_load(&desc->state) & BM_IO_IN_PROGRESS)
	{
		LWLockAcquire(&desc->io_lock, LW_SHARED);
		LWLockRelease(&desc->io_lock);
	}
}

/*
 * End a read started by this process (io_lock held, BM_IO_IN_PROGRESS
 * set): publish the result and release the I/O lock.
 */
static void
end_read_io(BufferDesc *desc, bool ok)
{
	uint32_t	old = atomic_load(&desc->state);
	uint32_t	new;

	do
	{
		new = old & ~(BM_IO_IN_PROGRESS | BM_IO_ERROR);
		new |= ok ? BM_VALID : BM_IO_ERROR;
	} while (!atomic_compare_exchange_weak(&desc->state, &old, new));
	LWLockRelease(&desc->io_lock);
}

/*
 * Fill the page of a buffer whose read this process owns: zeros, or the
 * block from disk, verified. False (logged) on an I/O error or a bad page.
 */
static bool
do_read(BufferDesc *desc, bool zero)
{
	Page		page = buffer_blocks + (size_t) desc->buf_id * BLCKSZ;

	if (zero)
	{
		memset(page, 0, BLCKSZ);
		return true;
	}
	COUNT(reads);
	if (!SmgrRead(desc->tag.rel, desc->tag.blkno, page))
		return false;			/* logged by smgr */

	/*
	 * Every written page carries a checksum (flush_buffer), and an all-zero
	 * page, never written since extension, is accepted by the check itself.
	 */
	if (!PageVerifyChecksum(page, desc->tag.blkno))
	{
		elog(WARNING, "invalid page in block %u of relation %u",
			 desc->tag.blkno, desc->tag.rel);
		errno = EIO;
		return false;
	}
	return true;
}

/*
 * Write a dirty buffer. Caller holds a pin, no mapping lock and not the
 * buffer's content lock. With conditional, gives up (FLUSH_BUSY) instead
 * of waiting for the content lock: the victim path may hold other content
 * locks, and waiting could deadlock. The page is copied under the SHARED
 * content lock, so changes made under a shared lock (hint bits) cannot
 * make the written checksum wrong; the content lock is released before
 * the WAL flush (to the copy's LSN) and the write, the I/O lock after.
 * On failure the buffer stays dirty.
 */
static FlushResult
flush_buffer(int id, FlushContext context, bool conditional)
{
	BufferDesc *desc = GetBufferDescriptor(id);
	uint32_t	old;
	uint32_t	new;
	XLogRecPtr	lsn;
	bool		ok;

	if (conditional)
	{
		if (!LWLockConditionalAcquire(&desc->content_lock, LW_SHARED))
			return FLUSH_BUSY;
	}
	else
		LWLockAcquire(&desc->content_lock, LW_SHARED);

	/*
	 * Content lock first, then the I/O lock: whoever holds an I/O lock never
	 * waits for another buffer lock, so waiting for I/O closes no cycle.
	 */
	LWLockAcquire(&desc->io_lock, LW_EXCLUSIVE);
	old = atomic_load(&desc->state);
	if ((old & (BM_VALID | BM_DIRTY)) != (BM_VALID | BM_DIRTY))
	{
		LWLockRelease(&desc->io_lock);
		LWLockRelease(&desc->content_lock);
		return FLUSH_CLEAN;
	}

	/* A change after this point sets BM_JUST_DIRTIED again. */
	atomic_fetch_or(&desc->state, BM_IO_IN_PROGRESS);
	atomic_fetch_and(&desc->state, ~BM_JUST_DIRTIED);
	memcpy(write_copy, buffer_blocks + (size_t) id * BLCKSZ, BLCKSZ);
	LWLockRelease(&desc->content_lock);

	lsn = PageGetLSN(write_copy);
	ok = true;
	if (bufmgr_wal_flush_hook != NULL && !bufmgr_wal_flush_hook(lsn))
	{
		elog(WARNING, "could not flush WAL to %X/%X before writing block %u of relation %u",
			 (unsigned) (lsn >> 32), (unsigned) lsn, desc->tag.blkno, desc->tag.rel);
		ok = false;
	}
	if (ok)
	{
		PageSetChecksum(write_copy, desc->tag.blkno);
		ok = SmgrWrite(desc->tag.rel, desc->tag.blkno, write_copy);
	}

	old = atomic_load(&desc->state);
	do
	{
		new = old & ~BM_IO_IN_PROGRESS;
		if (ok)
		{
			new &= ~(BM_CHECKPOINT_NEEDED | BM_IO_ERROR);
			if (!(old & BM_JUST_DIRTIED))
				new &= ~BM_DIRTY;
		}
		else
			new |= BM_IO_ERROR;
	} while (!atomic_compare_exchange_weak(&desc->state, &old, new));
	LWLockRelease(&desc->io_lock);

	if (!ok)
		return FLUSH_FAILED;
	switch (context)
	{
		case FLUSH_BACKEND:
			COUNT(written_backend);
			break;
		case FLUSH_CHECKPOINT:
			COUNT(written_checkpoint);
			break;
		case FLUSH_BGWRITER:
			COUNT(written_bgwriter);
			break;
	}
	return FLUSH_WRITTEN;
}

/* ---------------------------------------------------------------- */
/* lookup and replacement */

/*
 * Caller has pinned buffer id, found in the hash. Wait for a read in
 * progress; if an earlier read failed, read it now. Returns false (pin
 * dropped) if that read fails.
 */
static bool
finish_found(int id, bool zero)
{
	BufferDesc *desc = GetBufferDescriptor(id);

	for (;;)
	{
		uint32_t	s = atomic_load(&desc->state);

		if (s & BM_VALID)
		{
			COUNT(hits);
			return true;
		}
		if (s & BM_IO_IN_PROGRESS)
		{
			wait_io(desc);
			continue;
		}
		LWLockAcquire(&desc->io_lock, LW_EXCLUSIVE);
		s = atomic_load(&desc->state);
		if (s & BM_VALID)
		{
			LWLockRelease(&desc->io_lock);
			continue;
		}
		atomic_fetch_or(&desc->state, BM_IO_IN_PROGRESS);
		if (do_read(desc, zero))
		{
			end_read_io(desc, true);
			return true;
		}
		end_read_io(desc, false);
		unpin_buffer(id);
		return false;
	}
}

/*
 * Return the buffer holding (rel, blkno), pinned, reading the block (or,
 * with zero, zeroing the page) if it was not in the pool. -1 on failure
 * (logged), with nothing pinned.
 */
static int
buffer_get(RelNumber rel, BlockNumber blkno, bool zero)
{
	BufferTag	tag = {rel, blkno};
	uint32_t	bucket = tag_bucket(&tag);
	LWLock	   *plock = partition_lock(bucket);

	for (;;)
	{
		int			id;
		int			victim;
		BufferDesc *vdesc;
		uint32_t	vstate;
		bool		old_valid;
		bool		claimed;
		uint32_t	old_bucket;

		LWLockAcquire(plock, LW_SHARED);
		id = hash_lookup(&tag, bucket);
		if (id >= 0)
		{
			/* Pinned under the partition lock: eviction needs it EXCLUSIVE. */
			pin_buffer(id, true);
			LWLockRelease(plock);
			return finish_found(id, zero) ? id : -1;
		}
		LWLockRelease(plock);

		victim = clock_sweep();
		if (victim < 0)
		{
			elog(WARNING, "no unpinned buffers available");
			errno = ENOBUFS;
			return -1;
		}
		vdesc = GetBufferDescriptor(victim);
		vstate = atomic_load(&vdesc->state);
		if (vstate & BM_DIRTY)
		{
			FlushResult r = flush_buffer(victim, FLUSH_BACKEND, true);

			if (r == FLUSH_FAILED)
			{
				unpin_buffer(victim);
				return -1;
			}
			if (r == FLUSH_BUSY)
			{
				unpin_buffer(victim);
				continue;
			}
		}

		/* Our pin keeps the tag stable: only a sole pinner may change it. */
		vstate = atomic_load(&vdesc->state);
		old_valid = (vstate & BM_TAG_VALID) != 0;
		old_bucket = old_valid ? tag_bucket(&vdesc->tag) : bucket;

		lock_two_partitions(bucket, old_bucket);
		id = hash_lookup(&tag, bucket);
		if (id >= 0)
		{
			/* Someone else loaded the block meanwhile: use theirs. */
			pin_buffer(id, true);
			unlock_two_partitions(bucket, old_bucket);
			unpin_buffer(victim);
			return finish_found(id, zero) ? id : -1;
		}

		/*
		 * Take the victim over if it is still only ours and clean: clear
		 * every flag, keeping our pin. Others can no longer find it through
		 * the hash; a scan that pins it now sees BM_TAG_VALID clear.
		 */
		claimed = false;
		vstate = atomic_load(&vdesc->state);
		while (BUF_STATE_REFCOUNT(vstate) == 1 &&
			   !(vstate & (BM_DIRTY | BM_IO_IN_PROGRESS)))
		{
			if (atomic_compare_exchange_weak(&vdesc->state, &vstate, BUF_REFCOUNT_ONE))
			{
				claimed = true;
				break;
			}
		}
		if (!claimed)
		{
			unlock_two_partitions(bucket, old_bucket);
			unpin_buffer(victim);
			continue;
		}

		if (old_valid)
			hash_delete(old_bucket, victim);
		/* Held from before BM_IO_IN_PROGRESS is set: readers wait on it. */
		LWLockAcquire(&vdesc->io_lock, LW_EXCLUSIVE);
		vdesc->tag = tag;
		atomic_fetch_or(&vdesc->state, BM_TAG_VALID | BM_IO_IN_PROGRESS | BUF_USAGECOUNT_ONE);
		hash_insert(bucket, victim);
		unlock_two_partitions(bucket, old_bucket);

		if (old_valid)
			COUNT(evictions);
		if (do_read(vdesc, zero))
		{
			end_read_io(vdesc, true);
			return victim;
		}
		end_read_io(vdesc, false);
		unpin_buffer(victim);
		return -1;
	}
}

/* ---------------------------------------------------------------- */
/* public API */

Buffer
BufRead(RelNumber rel, BlockNumber blkno)
{
	int			id;

	if (blkno > MaxBlockNumber)
		return InvalidBuffer;
	id = buffer_get(rel, blkno, false);
	return id < 0 ? InvalidBuffer : id + 1;
}

/*
 * The extension lock is held until the new block is in the pool and
 * locked, so no other process can extend past it first; a reader that
 * raced us to the new block (possible once the file has grown) finds a
 * zero page there, which is what we return too. The caller may hold
 * content locks of other pages (a B+tree split does).
 */
Buffer
BufExtend(RelNumber rel, BlockNumber *blkno)
{
	BlockNumber newblk;
	int			id;
	int			save_errno;

	*blkno = InvalidBlockNumber;
	if (!SmgrLockRelationForExtension(rel))
		return InvalidBuffer;
	newblk = SmgrExtendLocked(rel);
	if (newblk == InvalidBlockNumber)
	{
		save_errno = errno;
		SmgrUnlockRelationForExtension(rel);
		errno = save_errno;
		return InvalidBuffer;
	}
	id = buffer_get(rel, newblk, true);
	if (id < 0)
	{
		save_errno = errno;
		SmgrUnlockRelationForExtension(rel);
		errno = save_errno;
		return InvalidBuffer;
	}
	/* Locked before anyone can extend further and find the page empty. */
	LWLockAcquire(&GetBufferDescriptor(id)->content_lock, LW_EXCLUSIVE);
	SmgrUnlockRelationForExtension(rel);
	COUNT(extends);
	if (!PageIsNew(buffer_blocks + (size_t) id * BLCKSZ))
	{
		elog(WARNING, "unexpected data beyond end of relation %u in block %u",
			 rel, newblk);
		LWLockRelease(&GetBufferDescriptor(id)->content_lock);
		unpin_buffer(id);
		errno = EIO;
		return InvalidBuffer;
	}
	*blkno = newblk;
	return id + 1;
}

void
BufRelease(Buffer buf)
{
	unpin_buffer(BufferGetId(buf));
}

void
BufLockContent(Buffer buf, LWLockMode mode)
{
	LWLockAcquire(&GetBufferDescriptor(BufferGetId(buf))->content_lock, mode);
}

bool
BufConditionalLockContent(Buffer buf, LWLockMode mode)
{
	return LWLockConditionalAcquire(&GetBufferDescriptor(BufferGetId(buf))->content_lock,
									mode);
}

void
BufUnlockContent(Buffer buf)
{
	LWLockRelease(&GetBufferDescriptor(BufferGetId(buf))->content_lock);
}

void
BufUnlockRelease(Buffer buf)
{
	BufUnlockContent(buf);
	BufRelease(buf);
}

void
BufMarkDirty(Buffer buf)
{
	BufferDesc *desc = GetBufferDescriptor(BufferGetId(buf));

	assert(LWLockHeldByMeInMode(&desc->content_lock, LW_EXCLUSIVE));
	atomic_fetch_or(&desc->state, BM_DIRTY | BM_JUST_DIRTIED);
}

Page
BufGetPage(Buffer buf)
{
	return buffer_blocks + (size_t) BufferGetId(buf) * BLCKSZ;
}

BlockNumber
BufGetBlockNumber(Buffer buf)
{
	return GetBufferDescriptor(BufferGetId(buf))->tag.blkno;
}

RelNumber
BufGetRelNumber(Buffer buf)
{
	return GetBufferDescriptor(BufferGetId(buf))->tag.rel;
}

int
BufPinCount(void)
{
	return private_pins_total;
}

/*
 * Backstop after each command: drop every content lock and pin this
 * process still holds, with a WARNING per buffer (a leak is a bug in the
 * caller). Content locks go first: a lock is only ever held with a pin.
 */
void
BufReleaseAll(void)
{
	while (private_refs_used > 0)
	{
		PrivateRef *ref = NULL;
		BufferDesc *desc;
		int			id;

		for (uint32_t i = 0; i < private_refs_size; i++)
			if (private_refs[i].id >= 0)
			{
				ref = &private_refs[i];
				break;
			}
		id = ref->id;
		desc = GetBufferDescriptor(id);
		elog(WARNING, "buffer %d (block %u of relation %u) still pinned %d times at end of command",
			 id + 1, desc->tag.blkno, desc->tag.rel, ref->count);
		while (LWLockHeldByMe(&desc->content_lock))
			LWLockRelease(&desc->content_lock);
		private_pins_total -= ref->count - 1;
		ref->count = 1;
		unpin_buffer(id);
	}
}

/* ---------------------------------------------------------------- */
/* checkpointer */

volatile int *bufmgr_spread_cancel;
bool		(*bufmgr_spread_behind) (double progress);

/* Did the last BufFlushAll fail at an fsync (not just at a write)? */
static bool flush_sync_failed;

bool
BufFlushSyncFailed(void)
{
	return flush_sync_failed;
}

/*
 * The checkpoint's pause between writes, in slices of at most 100 ms, so
 * that a shutdown request (bufmgr_spread_cancel) or WAL running ahead
 * (bufmgr_spread_behind) ends it soon: with few dirty buffers one pause
 * can be a large part of checkpoint_timeout.
 */
#define SPREAD_SLICE_US 100000

static void
sleep_us(int64_t us, double progress)
{
	while (us > 0)
	{
		int64_t		slice = us < SPREAD_SLICE_US ? us : SPREAD_SLICE_US;
		struct timespec ts = {(time_t) (slice / 1000000), (long) (slice % 1000000) * 1000};

		if ((bufmgr_spread_cancel && *bufmgr_spread_cancel) ||
			(bufmgr_spread_behind && bufmgr_spread_behind(progress)))
			return;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		{
			if (bufmgr_spread_cancel && *bufmgr_spread_cancel)
				return;
		}
		us -= slice;
	}
}

/*
 * Checkpoint writes. Pass 1 marks every buffer dirty now with
 * BM_CHECKPOINT_NEEDED; pass 2 writes the marked ones (a buffer dirtied
 * later is not marked and may wait for the next checkpoint), sleeping
 * between writes to spread them over about spread_us; then every segment
 * written since the last sync, by any process, is fsynced. The caller
 * holds no pins or locks. A failed write is logged and the others still
 * go out; a failed fsync returns false at once (the caller PANICs).
 */

bool
BufFlushAll(int64_t spread_us, uint64_t *written)
{
	int			to_write = 0;
	int			done = 0;
	int64_t		pause_us;
	bool		ok = true;

	flush_sync_failed = false;
	if (written != NULL)
		*written = 0;
	for (int id = 0; id < NBuffers; id++)
	{
		BufferDesc *desc = GetBufferDescriptor(id);
		uint32_t	old = atomic_load(&desc->state);

		while ((old & (BM_VALID | BM_DIRTY)) == (BM_VALID | BM_DIRTY))
		{
			if (atomic_compare_exchange_weak(&desc->state, &old, old | BM_CHECKPOINT_NEEDED))
			{
				to_write++;
				break;
			}
		}
	}
	pause_us = to_write > 0 ? spread_us / to_write : 0;

	for (int id = 0; id < NBuffers && to_write > 0; id++)
	{
		BufferDesc *desc = GetBufferDescriptor(id);
		uint32_t	s = atomic_load(&desc->state);

		if (!(s & BM_CHECKPOINT_NEEDED))
			continue;
		pin_buffer(id, false);
		s = atomic_load(&desc->state);
		if ((s & (BM_TAG_VALID | BM_CHECKPOINT_NEEDED)) ==
			(BM_TAG_VALID | BM_CHECKPOINT_NEEDED))
		{
			FlushResult r = flush_buffer(id, FLUSH_CHECKPOINT, false);

			if (r == FLUSH_WRITTEN)
			{
				done++;
				if (written != NULL)
					(*written)++;
				if (done < to_write)
					sleep_us(pause_us, (double) done / to_write);
			}
			else if (r == FLUSH_FAILED)
				ok = false;
			else
				atomic_fetch_and(&desc->state, ~BM_CHECKPOINT_NEEDED);
		}
		unpin_buffer(id);
	}

	if (!SmgrSyncAll())
	{
		flush_sync_failed = true;
		return false;
	}
	return ok;
}

/* ---------------------------------------------------------------- */
/* background writer (storage/README.md, "Background writer") */

#define BGW_SMOOTHING	16		/* rounds over which the averages settle */
#define BGW_LAP_MS		120000	/* an idle pool is looked over once in about this */

typedef enum CleanResult
{
	CLEAN_NOT_REUSABLE,			/* pinned, recently used, or busy */
	CLEAN_REUSABLE,				/* the hand could take it now, nothing to write */
	CLEAN_WRITTEN,				/* was dirty; written, now reusable */
} CleanResult;

/*
 * Look at one buffer on behalf of the bgwriter. Reusable means the clock
 * hand could take it as it is: no pin and usage count zero. A dirty one is
 * written first, without a usage bump and without waiting for its content
 * lock (a process holding it is using the page, so it is not reusable
 * anyway). The state is read without a lock, so the answer may be stale by
 * the time the hand arrives; it is an estimate, as the bgwriter's is.
 */
static CleanResult
clean_buffer(int id)
{
	BufferDesc *desc = GetBufferDescriptor(id);
	uint32_t	s = atomic_load(&desc->state);
	FlushResult r;

	if (BUF_STATE_REFCOUNT(s) != 0 || BUF_STATE_USAGECOUNT(s) != 0)
		return CLEAN_NOT_REUSABLE;
	if ((s & (BM_VALID | BM_DIRTY)) != (BM_VALID | BM_DIRTY))
		return CLEAN_REUSABLE;
	pin_buffer(id, false);
	s = atomic_load(&desc->state);
	if (!(s & BM_TAG_VALID))
	{
		/* a backend took it as victim meanwhile and is re-tagging it */
		unpin_buffer(id);
		return CLEAN_NOT_REUSABLE;
	}
	r = flush_buffer(id, FLUSH_BGWRITER, true);
	unpin_buffer(id);
	if (r == FLUSH_WRITTEN)
		return CLEAN_WRITTEN;
	return r == FLUSH_CLEAN ? CLEAN_REUSABLE : CLEAN_NOT_REUSABLE;
}

/*
 * Positions are absolute clock positions (next_victim counts every advance
 * of the hand and never wraps in practice), so "ahead of the hand" is a
 * plain difference and a lap is NBuffers.
 */
bool
BufBgWriterRound(BufBgWriterState *st, int lru_maxpages, double lru_multiplier, int delay_ms)
{
	uint64_t	hand = atomic_load(&bufmgr_shared->next_victim);
	uint64_t	allocs = total_allocs();
	uint64_t	recent;
	uint64_t	ahead;
	int64_t		to_scan;
	double		reusable_ahead;
	double		wanted;
	double		creep;
	int			scanned = 0;
	int			reusable = 0;
	int			written = 0;

	atomic_fetch_add(&bufmgr_shared->bgwriter_rounds, 1);
	if (!st->valid)
	{
		st->valid = true;
		st->next_to_clean = hand;
		st->last_allocs = allocs;
		st->smoothed_alloc = 0;
		st->smoothed_density = 0;	/* not measured yet */
	}

	/*
	 * Allocations since the last round. A burst is believed at once, a lull
	 * only gradually: being ready too early costs a few writes, being late
	 * costs a backend a write of its own.
	 */
	recent = allocs - st->last_allocs;
	st->last_allocs = allocs;
	if ((double) recent > st->smoothed_alloc)
		st->smoothed_alloc = (double) recent;
	else
		st->smoothed_alloc += ((double) recent - st->smoothed_alloc) / BGW_SMOOTHING;

	st->last_scanned = st->last_reusable = st->last_written = st->last_wanted = 0;
	if (lru_maxpages <= 0)
		return false;			/* writing is off; keep estimating */

	/* Where we stand: the hand may have passed what we cleaned before. */
	if ((int64_t) (st->next_to_clean - hand) < 0)
		st->next_to_clean = hand;
	ahead = st->next_to_clean - hand;
	if (ahead > (uint64_t) NBuffers)
		ahead = (uint64_t) NBuffers;
	to_scan = (int64_t) NBuffers - (int64_t) ahead;

	/*
	 * How many reusable buffers the hand will want before the next round,
	 * less those probably still waiting between it and our position (what
	 * we scanned earlier, at the density we found there). Even with no
	 * allocations at all, creep forward so that an idle pool is looked over
	 * within about BGW_LAP_MS and the bgwriter can then hibernate.
	 */
	reusable_ahead = st->smoothed_density > 0 ? (double) ahead / st->smoothed_density : 0;
	wanted = st->smoothed_alloc * lru_multiplier;
	creep = (double) NBuffers * (double) delay_ms / BGW_LAP_MS;
	if (creep < 1)
		creep = 1;
	if (wanted < reusable_ahead + creep)
		wanted = reusable_ahead + creep;
	st->last_wanted = wanted > INT32_MAX ? INT32_MAX : (int) wanted;

	while (to_scan > 0 && (double) reusable < wanted - reusable_ahead)
	{
		CleanResult r = clean_buffer((int) (st->next_to_clean % (uint64_t) NBuffers));

		st->next_to_clean++;
		to_scan--;
		scanned++;
		if (r == CLEAN_NOT_REUSABLE)
			continue;
		reusable++;
		if (r == CLEAN_WRITTEN && ++written >= lru_maxpages)
		{
			atomic_fetch_add(&bufmgr_shared->bgwriter_maxwritten_clean, 1);
			break;
		}
	}

	if (scanned > 0)
	{
		double		density = (double) scanned / (reusable > 0 ? reusable : 1);

		if (st->smoothed_density <= 0)
			st->smoothed_density = density;
		else
			st->smoothed_density += (density - st->smoothed_density) / BGW_SMOOTHING;
	}
	st->last_scanned = scanned;
	st->last_reusable = reusable;
	st->last_written = written;

	/* README invariant 11: never more than one lap ahead of the hand */
	assert(st->next_to_clean - hand <= (uint64_t) NBuffers);

	/* idle: nothing allocated, and a whole lap ahead of the hand looked at */
	return recent == 0 && st->next_to_clean - hand >= (uint64_t) NBuffers;
}

void
BufBgWriterSleep(int timeout_ms, bool hibernate, volatile int *cancel)
{
	uint32_t	state = hibernate ? BGW_HIBERNATING : BGW_NAPPING;
	struct timespec ts;

	if (timeout_ms < 1)
		timeout_ms = 1;
	ts.tv_sec = timeout_ms / 1000;
	ts.tv_nsec = (long) (timeout_ms % 1000) * 1000000L;

	/*
	 * Arm the latch, then check for cancellation: a wake-up after this point
	 * changes the word, and FutexWait returns at once when the word is no
	 * longer `state`. Early returns (signals, spurious wake-ups) only make
	 * the next round come sooner.
	 */
	atomic_store(&bufmgr_shared->bgwriter_latch, state);
	if (cancel == NULL || !*cancel)
		FutexWait(&bufmgr_shared->bgwriter_latch, state, &ts);
	atomic_store(&bufmgr_shared->bgwriter_latch, BGW_RUNNING);
}

void
BufBgWriterWakeup(void)
{
	int			save_errno = errno;

	if (bufmgr_shared != NULL)
	{
		atomic_store(&bufmgr_shared->bgwriter_latch, BGW_RUNNING);
		FutexWake(&bufmgr_shared->bgwriter_latch, INT_MAX);
	}
	errno = save_errno;
}

/*
 * Forget every buffer, dirty or not (after recovery, or at shutdown after
 * the checkpoint). A pinned buffer is left in place with a WARNING.
 */
void
BufDropAll(void)
{
	for (int id = 0; id < NBuffers; id++)
	{
		BufferDesc *desc = GetBufferDescriptor(id);
		uint32_t	s = atomic_load(&desc->state);
		BufferTag	tag;
		uint32_t	bucket;

		if (!(s & BM_TAG_VALID))
			continue;
		tag = desc->tag;
		bucket = tag_bucket(&tag);
		LWLockAcquire(partition_lock(bucket), LW_EXCLUSIVE);
		/* The tag cannot leave this partition while we hold its lock. */
		s = atomic_load(&desc->state);
		if ((s & BM_TAG_VALID) && tag_equal(&desc->tag, &tag))
		{
			if (BUF_STATE_REFCOUNT(s) == 0 &&
				atomic_compare_exchange_strong(&desc->state, &s, 0))
				hash_delete(bucket, id);
			else
				elog(WARNING, "buffer %d (block %u of relation %u) is pinned, not dropped",
					 id + 1, tag.blkno, tag.rel);
		}
		LWLockRelease(partition_lock(bucket));
	}
}

int
BufCountDirty(void)
{
	int			n = 0;

	for (int id = 0; id < NBuffers; id++)
		if (atomic_load(&GetBufferDescriptor(id)->state) & BM_DIRTY)
			n++;
	return n;
}
