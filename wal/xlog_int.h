/*
 * xlog_int.h
 *	  Shared WAL state and the helpers that xlog.c (buffers, writing,
 *	  flushing), xloginsert.c (records), checkpoint.c and recovery.c share.
 *
 * NOTES
 *	  Private to wal/: nothing outside this folder includes it, tusk-waldump
 *	  and the unit tests included. The state machine, the lock order and the
 *	  numbered invariants (W1, W2, ...) cited in comments are in
 *	  wal/README.md, section "WAL buffers, writing and flushing".
 */
#ifndef TUSK_XLOG_INT_H
#define TUSK_XLOG_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/lwlock.h"
#include "wal/control.h"
#include "wal/walrecord.h"

/*
 * wal_buffers: a ring of WAL pages in shared memory. 4 MiB for now.
 * XXX read wal_buffers from the server settings once they carry it.
 */
#define XLOG_BUFFER_PAGES 512
/* page_addr[] of a ring slot that holds no page (0 is the first WAL page). */
#define XLOG_NO_PAGE UINT64_MAX

/*
 * Settings the checkpointer and the walwriter use; fixed until the settings
 * module carries them (XXX wire checkpoint_timeout, max_wal_size,
 * checkpoint_completion_target and wal_writer_delay to server settings).
 */
/* Settings, in XLogCtl; the server sets them with XLogSetSettings. */
#define CHECKPOINT_TIMEOUT_S		 ((int) atomic_load_explicit(&XLogCtl->checkpoint_timeout_s, memory_order_relaxed))
#define CHECKPOINT_COMPLETION_TARGET (atomic_load_explicit(&XLogCtl->completion_target_pct, memory_order_relaxed) / 100.0)
#define MAX_WAL_SIZE				 ((uint64_t) atomic_load_explicit(&XLogCtl->max_wal_size, memory_order_relaxed))
#define WAL_WRITER_DELAY_MS			 ((int) atomic_load_explicit(&XLogCtl->wal_writer_delay_ms, memory_order_relaxed))
/* Recycled segments kept ready past the insert position. */
#define XLOG_RECYCLE_AHEAD 4

#define XLOG_DIR		 "wal"
#define XLOG_CONTROL_DIR "global"

typedef struct XLogCtlData
{
	/*
	 * insert_lock protects cur_bytepos, prev_rec, the contents of every ring
	 * page at or past write_ptr, and page_addr[]. Whoever holds it also copies
	 * its record into the ring before releasing (single insertion lock).
	 */
	LWLock insert_lock;
	uint64_t cur_bytepos; /* usable-byte position of the next record */
	XLogRecPtr prev_rec;  /* start of the last record inserted */

	/* Written under insert_lock, read without it. */
	_Atomic XLogRecPtr redo_rec_ptr;				 /* FPI rule threshold (README W4) */
	_Atomic XLogRecPtr insert_done;					 /* WAL before this is final in the ring */
	_Atomic XLogRecPtr page_addr[XLOG_BUFFER_PAGES]; /* page each slot holds */

	/*
	 * write_lock protects writing the ring to segment files, creating and
	 * recycling segments. write_ptr only moves forward, only under
	 * write_lock; flush_ptr only moves forward (by atomic max, see below).
	 * Both are read without it.
	 */
	LWLock write_lock;
	_Atomic XLogRecPtr write_ptr;	   /* WAL before this is in the kernel */
	_Atomic XLogRecPtr flush_ptr;	   /* WAL before this is on disk */
	_Atomic uint32_t flush_generation; /* futex: bumped after each flush */
	_Atomic uint32_t flush_waiters;

	/*
	 * Overlapping flushes on a slow disk (README "Group commit"). WAL
	 * before sync_started_ptr was written before some fdatasync that is
	 * running or done was called; set under write_lock with
	 * last_sync_start_us and a claim in sync_ring (below), whose unretired
	 * claims are the flushes running.
	 */
	_Atomic XLogRecPtr sync_started_ptr;
	_Atomic int64_t last_sync_start_us;

	/*
	 * Flushes end in any order but move flush_ptr in the order they were
	 * claimed: one that returns success while an earlier one is still
	 * running (and may yet fail: Linux reports a failed writeback once
	 * per open file) must not make that one's WAL look durable. Claim k
	 * (sync_claimed, counted under write_lock) records its end in
	 * sync_ring[k % N] and, when its fdatasync returns, done_seq = k + 1;
	 * sync_retired counts the claims that have moved flush_ptr. At most N
	 * claims are not yet retired.
	 */
	_Atomic uint64_t sync_claimed;
	_Atomic uint64_t sync_retired;
	struct
	{
		_Atomic XLogRecPtr written;
		_Atomic uint64_t done_seq;
	}			sync_ring[XLOG_MAX_SYNCS_IN_FLIGHT];

	_Atomic XLogRecPtr last_commit;

	/* Constant once StartupXLOG has run. */
	uint64_t system_identifier;
	_Atomic int in_recovery;

	/* Statistics, relaxed atomics. */
	_Atomic uint64_t stat_records;
	_Atomic uint64_t stat_bytes;
	_Atomic uint64_t stat_fpi;
	_Atomic uint64_t stat_fsyncs;
	_Atomic uint64_t stat_flush_waits;
	_Atomic uint64_t stat_commits;
	_Atomic uint64_t stat_overlapped;	/* flushes started while another ran */
	_Atomic uint32_t sync_avg_us;	/* moving average of an fdatasync that ran alone */
	_Atomic int space_errno;	/* the next segment could not be created:
								 * writers refuse (XLogSpaceError) */
	_Atomic uint64_t ready_segno;	/* a segment known to exist in full
									 * (XLogPrepareNextSegment); 0 if none yet */

	/*
	 * Checkpoints. ckpt_lock serialises CreateCheckPoint. Requests: bump
	 * ckpt_requests, OR the flags into ckpt_request_flags, bump and wake
	 * ckpt_wakeup. The checkpointer records the request count it served in
	 * ckpt_done_req, then bumps and wakes ckpt_done_gen.
	 */
	LWLock ckpt_lock;
	_Atomic int checkpointer_pid;
	_Atomic uint32_t ckpt_wakeup;
	_Atomic uint64_t ckpt_requests;
	_Atomic uint32_t ckpt_request_flags;
	_Atomic uint64_t ckpt_done_req;
	_Atomic uint32_t ckpt_done_gen;
	_Atomic uint64_t ckpt_failed;
	_Atomic int64_t last_checkpoint_time;
	_Atomic XLogRecPtr last_checkpoint_redo; /* for max_wal_size */
	_Atomic XLogRecPtr last_checkpoint_end;	 /* idle systems skip the timer */
	_Atomic uint64_t ckpt_count;

	/* control_lock protects the shared copy of the control file and writing it. */
	LWLock control_lock;
	bool control_exists; /* global/control has been created */
	ControlFile control;

	char *pages; /* XLOG_BUFFER_PAGES * WAL_PAGE_SIZE, in shmem */

	/* settings (XLogSetSettings), read without a lock */
	_Atomic int checkpoint_timeout_s;
	_Atomic int completion_target_pct;
	_Atomic uint64_t max_wal_size;
	_Atomic int wal_writer_delay_ms;
	_Atomic int commit_delay_us;	/* PostgreSQL's commit_delay */
	_Atomic bool durable_reads;		/* synchronous_commit on */

	/*
	 * Set by a process whose WAL write or fdatasync failed, before it
	 * PANICs: until the postmaster has stopped everyone, no other flush
	 * may count (a later fdatasync can succeed although the kernel dropped
	 * the pages that failed: README W11).
	 */
	_Atomic bool sync_failed;
} XLogCtlData;

extern XLogCtlData *XLogCtl;

/* Process-local: true in the startup process while it replays WAL. */
extern bool xlog_in_redo;

/* xlog.c */
char *XLogRingPage(XLogRecPtr page_addr);
void XLogWriteLocked(XLogRecPtr target);
void XLogWriteLockRelease(void);
void XLogSegmentPath(char *out, size_t len, uint64_t segno);
bool XLogSyncSegment(uint64_t segno, bool missing_ok);
void XLogCloseSegment(void);
void XLogResetPositions(XLogRecPtr prev_rec, XLogRecPtr next_rec, const char *last_page);
int XLogRecycleSegments(uint64_t before_segno);

/* xloginsert.c: insert the record built so far; *start gets its position. */
XLogRecPtr XLogInsertRecord(XLogRecPtr *start);

/* checkpoint.c */
bool XLogCheckpointNeeded(XLogRecPtr write_end);
void XLogWakeCheckpointer(int flags);
/* Write the checkpoint record and the control file (startup and checkpoints). */
bool XLogWriteCheckpoint(int flags, XLogRecPtr redo, XLogRecPtr *ckpt_start);

#endif
