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
/* When set and non-zero, BufFlushAll stops spreading (shutdown requested). */
extern volatile int *bufmgr_spread_cancel;
/* bgwriter: write up to max_pages dirty buffers ahead of the clock hand. */
int			BufBackgroundWrite(int max_pages);
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
