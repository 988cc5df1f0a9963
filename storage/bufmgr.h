/*
 * bufmgr.h
 *	  The shared buffer pool: shared_buffers worth of 8 KiB pages cached
 *	  from relation files, shared by every process.
 *
 * NOTES
 *	  Contract for callers (heap, B+tree, recovery, checkpointer):
 *	  - BufRead/BufExtend return a pinned buffer; BufRelease unpins. A pinned
 *	    buffer is never evicted; an unpinned one may be at any time.
 *	  - Reading or changing page contents requires the content lock
 *	    (BufLockContent SHARED to read, EXCLUSIVE to change). Lock order
 *	    between pages is in storage/README.md (B+tree: left to right, child
 *	    before parent is never held; heap: one page at a time).
 *	  - Changing a page: take EXCLUSIVE, StartCritSection(), change the
 *	    page, BufMarkDirty(), insert the WAL record, PageSetLSN() with the
 *	    record's end position, EndCritSection(), unlock. The buffer manager
 *	    flushes WAL up to the page LSN before it writes a dirty page (the
 *	    WAL rule), so it calls XLogFlush() (wal/xlog.h).
 *	  - Pages read from disk are verified (PageVerifyChecksum); pages are
 *	    checksummed just before they are written. All-zero pages are valid
 *	    and read as new.
 *	  - Every process releases its pins and content locks at the end of a
 *	    command (BufReleaseAll is the backstop and logs a WARNING when it
 *	    finds something).
 */
#ifndef TUSK_BUFMGR_H
#define TUSK_BUFMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/bufpage.h"
#include "storage/lwlock.h"
#include "storage/smgr.h"

typedef int Buffer;				/* 1-based index into the pool */

#define InvalidBuffer 0
#define BufferIsValid(b) ((b) > 0)

typedef struct BufferStats
{
	uint64_t	hits;			/* found in the pool */
	uint64_t	reads;			/* read from disk */
	uint64_t	written_backend;	/* written by a process to evict */
	uint64_t	written_checkpoint;
	uint64_t	written_bgwriter;
	uint64_t	evictions;
	uint64_t	extends;
	uint64_t	allocs;			/* victims taken by the clock hand */
	uint64_t	bgwriter_rounds;
	uint64_t	bgwriter_maxwritten_clean;	/* rounds that hit lru_maxpages */
} BufferStats;

/* Sized from shared_buffers (bytes); NBuffers = shared_buffers / BLCKSZ. */
size_t		BufMgrShmemSize(long long shared_buffers);
void		BufMgrShmemInit(long long shared_buffers);
extern int	NBuffers;

/*
 * Pin block blkno of rel, reading it if needed. Returns InvalidBuffer on an
 * I/O error or a checksum failure (logged); nothing is left pinned then.
 */
Buffer		BufRead(RelNumber rel, BlockNumber blkno);
/*
 * Add a new, zeroed block to rel; returns it pinned and EXCLUSIVE-locked,
 * its number in *blkno. InvalidBuffer if the file could not grow.
 */
Buffer		BufExtend(RelNumber rel, BlockNumber *blkno);
void		BufRelease(Buffer buf);
void		BufLockContent(Buffer buf, LWLockMode mode);
bool		BufConditionalLockContent(Buffer buf, LWLockMode mode);
void		BufUnlockContent(Buffer buf);
/* Unlock and unpin. */
void		BufUnlockRelease(Buffer buf);
void		BufMarkDirty(Buffer buf);	/* caller holds EXCLUSIVE */
Page		BufGetPage(Buffer buf);
BlockNumber BufGetBlockNumber(Buffer buf);
RelNumber	BufGetRelNumber(Buffer buf);
/* Pins this process holds (for the end-of-command backstop). */
int			BufPinCount(void);
void		BufReleaseAll(void);

/*
 * Checkpoint: write every buffer dirty at the start of the call (those
 * dirtied later may be skipped), then SmgrSyncAll. `spread_us` > 0 spreads
 * the writes over about that many microseconds. Returns false on an I/O
 * error (logged).
 */
bool		BufFlushAll(int64_t spread_us, uint64_t *written);
/*
 * After BufFlushAll returned false: true if an fsync failed (the caller
 * must PANIC: the kernel may have dropped the dirty pages), false if only
 * writes failed (nothing was lost: the buffers stay dirty, the checkpoint
 * is not valid and a later one retries).
 */
bool		BufFlushSyncFailed(void);
/* When set and non-zero, BufFlushAll stops spreading (shutdown requested). */
extern volatile int *bufmgr_spread_cancel;
/*
 * When set, BufFlushAll asks it before each pause with the fraction of the
 * writes done; true means the checkpoint is behind schedule (WAL is
 * filling up faster than the writes go), so no pause.
 */
extern bool (*bufmgr_spread_behind) (double progress);

/*
 * The background writer's memory between rounds (private to it; zero it
 * before the first round). The last_* fields describe the last round, for
 * tests and the process title.
 */
typedef struct BufBgWriterState
{
	bool		valid;			/* false: the next round starts afresh */
	uint64_t	next_to_clean;	/* absolute clock position, as next_victim */
	uint64_t	last_allocs;	/* allocation counter at the last round */
	double		smoothed_alloc; /* allocations per round, smoothed */
	double		smoothed_density;	/* buffers scanned per reusable one */
	int			last_scanned;
	int			last_reusable;	/* clean, unpinned, usage 0 (written included) */
	int			last_written;
	int			last_wanted;	/* reusable buffers the round aimed for */
} BufBgWriterState;

/*
 * One bgwriter round (storage/README.md, "Background writer"): estimate
 * the buffers the clock hand will take before the next round, and make
 * lru_multiplier times that many reusable ahead of the hand by writing
 * dirty, unpinned, usage-0 buffers; at most lru_maxpages writes (0: none),
 * never more than one lap ahead of the hand. delay_ms is the time between
 * rounds (it sets the slow scan of an idle pool). Returns true when
 * nothing was allocated since the last round and a whole lap ahead of the
 * hand is already scanned: the caller may hibernate. The caller holds no
 * pins or locks; none are held on return. Write failures are logged.
 */
bool		BufBgWriterRound(BufBgWriterState *st, int lru_maxpages,
							 double lru_multiplier, int delay_ms);
/*
 * Sleep up to timeout_ms. With hibernate, the next process that takes a
 * victim from the clock wakes the bgwriter early. Returns at once if
 * *cancel is set (checked after the latch is armed, so a BufBgWriterWakeup
 * from a signal handler cannot be missed).
 */
void		BufBgWriterSleep(int timeout_ms, bool hibernate, volatile int *cancel);
/* End a BufBgWriterSleep now; async-signal-safe (the SIGTERM handler). */
void		BufBgWriterWakeup(void);
/* After recovery or at shutdown: forget every buffer of every relation. */
void		BufDropAll(void);

void		BufGetStats(BufferStats *out);
int			BufCountDirty(void);

/*
 * The WAL rule: the buffer manager calls this hook before writing a page
 * whose LSN is lsn. wal/xlog.c installs XLogFlush; unit tests may leave it
 * NULL (nothing is logged there).
 */
extern bool (*bufmgr_wal_flush_hook) (XLogRecPtr lsn);

#endif
