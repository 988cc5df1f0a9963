/*
 * checkpoint.c
 *	  Checkpoints, the checkpointer's and the walwriter's main loops, and
 *	  checkpoint requests from other processes.
 *
 * NOTES
 *	  CreateCheckPoint runs in the checkpointer, in the startup process
 *	  (end of recovery) and in a process that requests a checkpoint while no
 *	  checkpointer runs (unit tests, tools). ckpt_lock makes them take turns;
 *	  it is taken before insert_lock and write_lock (lock order in
 *	  wal/README.md). The steps are in README "Checkpoints".
 *
 *	  The shared copy of the control file lives in XLogCtl and is changed
 *	  under control_lock; the file itself is only written with that lock
 *	  held, so two writers never interleave.
 */
#include "config.h"

#include "wal/xlog.h"
#include "wal/xlog_int.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/bufmgr.h"
#include "storage/elog.h"
#include "storage/clog.h"
#include "storage/futex.h"
#include "wal/control.h"

uint64_t (*checkpoint_next_xid_hook)(void);
const char *(*checkpoint_redo_state_hook)(uint32_t *len);
void (*checkpointer_idle_hook)(void);
volatile int aux_shutdown_requested;

/*
 * What checkpoint_redo_state_hook gave at the redo pointer of the
 * checkpoint being made (private; the hook owns the bytes).
 */
static const char *redo_state;
static uint32_t redo_state_len;
static bool redo_state_captured;

/*
 * Copy the state that must match the redo pointer. Caller holds
 * insert_lock and has just fixed the redo pointer (README W10).
 */
static void
capture_redo_state(void)
{
	redo_state = NULL;
	redo_state_len = 0;
	if (checkpoint_redo_state_hook)
		redo_state = checkpoint_redo_state_hook(&redo_state_len);
	if (redo_state == NULL)
		redo_state_len = 0;
	redo_state_captured = true;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* max_wal_size: has WAL grown that far past the last redo pointer? */
bool
XLogCheckpointNeeded(XLogRecPtr write_end)
{
	XLogRecPtr redo = atomic_load(&XLogCtl->last_checkpoint_redo);

	return atomic_load(&XLogCtl->checkpointer_pid) != 0 && write_end > redo &&
		   write_end - redo >= MAX_WAL_SIZE;
}

/*
 * Spread checkpoints (PostgreSQL's rule): the writes must be done by the
 * time checkpoint_completion_target of max_wal_size has been written since
 * the redo pointer, as well as of checkpoint_timeout. BufFlushAll spaces
 * its writes by time; this tells it when WAL is ahead of the writes.
 */
static bool
checkpoint_behind(double progress)
{
	XLogRecPtr	redo = atomic_load(&XLogCtl->redo_rec_ptr);
	XLogRecPtr	insert = XLogGetInsertPosition();
	double		wal_progress;

	if (insert <= redo)
		return false;
	wal_progress = (double) (insert - redo) /
		((double) MAX_WAL_SIZE * CHECKPOINT_COMPLETION_TARGET);
	return wal_progress > progress;
}

/* Post a request and wake the checkpointer; returns the request's number. */
static uint64_t
post_request(int flags)
{
	XLogCtlData *ctl = XLogCtl;
	uint64_t my;

	atomic_fetch_or(&ctl->ckpt_request_flags, (uint32_t) flags);
	my = atomic_fetch_add(&ctl->ckpt_requests, 1) + 1;
	atomic_fetch_add(&ctl->ckpt_wakeup, 1);
	FutexWake(&ctl->ckpt_wakeup, 1);
	return my;
}

void
XLogWakeCheckpointer(int flags)
{
	post_request(flags);
}

/*
 * Insert a checkpoint record with redo pointer redo (InvalidXLogRecPtr:
 * the record's own position, for shutdown and end-of-recovery checkpoints,
 * when nobody else inserts), flush it and point the control file at it.
 * Caller holds ckpt_lock or is the only process (bootstrap). A control file
 * that cannot be written is PANIC: WAL before redo may already be gone.
 */
bool
XLogWriteCheckpoint(int flags, XLogRecPtr redo, XLogRecPtr *ckpt_start)
{
	XLogCtlData *ctl = XLogCtl;
	XLogCheckpointData cp;
	ControlFile *cf = &ctl->control;
	char errbuf[CONTROL_ERRBUF_SIZE];
	bool own_position = redo == InvalidXLogRecPtr;
	bool shutdown = (flags & CHECKPOINT_IS_SHUTDOWN) != 0;
	XLogRecPtr start, end;

	memset(&cp, 0, sizeof(cp));
	if (own_position)
	{
		LWLockAcquire(&ctl->insert_lock, LW_EXCLUSIVE);
		redo = WalBytePosToRecPtr(ctl->cur_bytepos);
		atomic_store(&ctl->redo_rec_ptr, redo);
		capture_redo_state();
		LWLockRelease(&ctl->insert_lock);
	}
	else if (!redo_state_captured)
	{
		/* bootstrap: nobody else inserts, so now is the redo pointer */
		LWLockAcquire(&ctl->insert_lock, LW_EXCLUSIVE);
		capture_redo_state();
		LWLockRelease(&ctl->insert_lock);
	}
	redo_state_captured = false;
	cp.redo = redo;
	cp.next_xid = checkpoint_next_xid_hook ? checkpoint_next_xid_hook() : 0;
	if (cp.next_xid == 0)
		cp.next_xid = XLogRecoveredNextXid();
	cp.time = (int64_t) time(NULL);
	cp.flags = (uint32_t) flags;

	XLogBeginInsert(WAL_RM_XLOG, shutdown ? XLOG_CHECKPOINT_SHUTDOWN : XLOG_CHECKPOINT_ONLINE, 0);
	XLogRegisterData(&cp, sizeof(cp));
	if (redo_state_len > 0)
		XLogRegisterData(redo_state, redo_state_len);
	end = XLogInsertRecord(&start);
	if (own_position && start != redo)
		elog(WARNING,
			 "checkpoint record at " WAL_PTR_FMT " is not at its redo pointer " WAL_PTR_FMT
			 ": WAL was inserted concurrently",
			 WAL_PTR_ARGS(start), WAL_PTR_ARGS(redo));
	XLogFlush(end);

	LWLockAcquire(&ctl->control_lock, LW_EXCLUSIVE);
	cf->checkpoint = start;
	cf->redo = redo;
	cf->checkpoint_time = cp.time;
	cf->time = cp.time;
	if (cp.next_xid > cf->next_xid)
		cf->next_xid = cp.next_xid;
	cf->state = shutdown ? CONTROL_STATE_SHUTDOWNED : CONTROL_STATE_IN_PRODUCTION;
	if (!ctl->control_exists)
	{
		if (!ControlFileInit(".", cf, errbuf))
		{
			LWLockRelease(&ctl->control_lock);
			elog(WARNING, "could not create control file: %s", errbuf);
			return false;
		}
		ctl->control_exists = true;
	}
	else if (!ControlFileWrite(".", cf, errbuf))
	{
		elog(PANIC, "could not write control file: %s", errbuf);
		abort();
	}
	LWLockRelease(&ctl->control_lock);

	atomic_store(&ctl->last_checkpoint_time, cp.time);
	atomic_store(&ctl->last_checkpoint_redo, redo);
	atomic_store(&ctl->last_checkpoint_end, end);
	if (ckpt_start)
		*ckpt_start = start;
	return true;
}

/*
 * Steps in README "Checkpoints". Returns false if the checkpoint was not
 * made (called during recovery, the control file could not be created, or
 * a data page could not be written); a failed fsync and failures writing
 * WAL are PANIC.
 */
bool
CreateCheckPoint(int flags)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr redo, ckpt;
	int64_t spread_us = 0;
	uint64_t written = 0;
	double began = now_seconds(), write_done;
	int recycled;
	bool own_position = (flags & (CHECKPOINT_IS_SHUTDOWN | CHECKPOINT_END_OF_RECOVERY)) != 0;

	if (atomic_load(&ctl->in_recovery) && !(flags & CHECKPOINT_END_OF_RECOVERY))
	{
		elog(WARNING, "cannot make a checkpoint during recovery");
		return false;
	}
	LWLockAcquire(&ctl->ckpt_lock, LW_EXCLUSIVE);

	if (flags & CHECKPOINT_IS_SHUTDOWN)
	{
		char errbuf[CONTROL_ERRBUF_SIZE];

		LWLockAcquire(&ctl->control_lock, LW_EXCLUSIVE);
		ctl->control.state = CONTROL_STATE_SHUTDOWNING;
		ctl->control.time = (int64_t) time(NULL);
		if (!ControlFileWrite(".", &ctl->control, errbuf))
			elog(WARNING, "could not write control file: %s", errbuf);
		LWLockRelease(&ctl->control_lock);
	}

	/*
	 * 1. The redo pointer: records inserted from here on image new pages.
	 * The keyspace counters are copied under the same lock, so they hold
	 * the deltas of exactly the commit records before it (W10).
	 */
	LWLockAcquire(&ctl->insert_lock, LW_EXCLUSIVE);
	redo = WalBytePosToRecPtr(ctl->cur_bytepos);
	atomic_store(&ctl->redo_rec_ptr, redo);
	if (!own_position)
		capture_redo_state();
	LWLockRelease(&ctl->insert_lock);

	/* 2. Every page dirty now goes to disk, and the data files are fsynced. */
	if (!(flags & (CHECKPOINT_IMMEDIATE | CHECKPOINT_IS_SHUTDOWN | CHECKPOINT_END_OF_RECOVERY)))
		spread_us = (int64_t) (CHECKPOINT_COMPLETION_TARGET * CHECKPOINT_TIMEOUT_S * 1e6);
	if (!BufFlushAll(spread_us, &written))
	{
		if (BufFlushSyncFailed())
		{
			elog(PANIC, "could not fsync data files during checkpoint");
			abort();
		}
		/*
		 * A write failed (a full disk, say): those buffers are still dirty
		 * and nothing is lost, but this checkpoint cannot be the one
		 * recovery starts from. The next one tries again.
		 */
		elog(WARNING, "checkpoint failed: could not write every data page (see above); "
			 "the next checkpoint tries again");
		LWLockRelease(&ctl->ckpt_lock);
		return false;
	}
	/*
	 * The commit log too: once the redo pointer passes a commit record,
	 * only the commit log page remembers that the transaction committed.
	 */
	if (!ClogCheckpoint())
	{
		elog(PANIC, "could not write or fsync the commit log during checkpoint");
		abort();
	}
	write_done = now_seconds();

	/* 3-5. The record, its flush and the control file. */
	if (!XLogWriteCheckpoint(flags, own_position ? InvalidXLogRecPtr : redo, &ckpt))
	{
		LWLockRelease(&ctl->ckpt_lock);
		return false;
	}
	if (own_position)
		redo = ckpt;

	/* 6. Segments wholly before the redo pointer are no longer needed. */
	recycled = XLogRecycleSegments(WAL_SEGMENT_NUMBER(redo));
	atomic_fetch_add(&ctl->ckpt_count, 1);
	LWLockRelease(&ctl->ckpt_lock);

	elog(LOG,
		 "checkpoint complete%s: wrote %" PRIu64 " buffers; %d WAL file(s) recycled "
		 "or removed; write=%.3f s, total=%.3f s; redo " WAL_PTR_FMT ", checkpoint " WAL_PTR_FMT,
		 (flags & CHECKPOINT_IS_SHUTDOWN)		? " (shutdown)"
		 : (flags & CHECKPOINT_END_OF_RECOVERY) ? " (end of recovery)"
												: "",
		 written, recycled, write_done - began, now_seconds() - began, WAL_PTR_ARGS(redo),
		 WAL_PTR_ARGS(ckpt));
	return true;
}

/*
 * Ask the checkpointer for a checkpoint; with CHECKPOINT_WAIT, return once
 * a checkpoint that started after the request has finished. Without a
 * checkpointer (tools, unit tests) the checkpoint runs here.
 */
bool
RequestCheckpoint(int flags)
{
	XLogCtlData *ctl = XLogCtl;
	uint64_t my, failed_before;

	if (atomic_load(&ctl->checkpointer_pid) == 0)
		return CreateCheckPoint((flags & ~CHECKPOINT_WAIT) | CHECKPOINT_IMMEDIATE);
	failed_before = atomic_load(&ctl->ckpt_failed);
	my = post_request(flags & ~CHECKPOINT_WAIT);
	if (!(flags & CHECKPOINT_WAIT))
		return true;
	for (;;)
	{
		uint32_t gen = atomic_load(&ctl->ckpt_done_gen);
		struct timespec timeout = {1, 0};

		if (atomic_load(&ctl->ckpt_done_req) >= my)
			break;
		if (atomic_load(&ctl->checkpointer_pid) == 0)
			return CreateCheckPoint((flags & ~CHECKPOINT_WAIT) | CHECKPOINT_IMMEDIATE);
		FutexWait(&ctl->ckpt_done_gen, gen, &timeout);
	}
	return atomic_load(&ctl->ckpt_failed) == failed_before;
}

int64_t
XLogLastCheckpointTime(void)
{
	return atomic_load(&XLogCtl->last_checkpoint_time);
}

static void
checkpoint_done(uint64_t served, bool ok)
{
	XLogCtlData *ctl = XLogCtl;

	if (!ok)
		atomic_fetch_add(&ctl->ckpt_failed, 1);
	atomic_store(&ctl->ckpt_done_req, served);
	atomic_fetch_add(&ctl->ckpt_done_gen, 1);
	FutexWake(&ctl->ckpt_done_gen, INT_MAX);
}

/*
 * The checkpointer: a checkpoint on request, every checkpoint_timeout if
 * WAL was written since the last one, and when WAL since the last redo
 * pointer reaches max_wal_size (XLogWriteLocked posts that request). On
 * aux_shutdown_requested, a shutdown checkpoint, then return.
 */
void
CheckpointerMain(void)
{
	/* a shutdown request finishes a spread checkpoint at full speed */
	bufmgr_spread_cancel = &aux_shutdown_requested;
	bufmgr_spread_behind = checkpoint_behind;
	XLogCtlData *ctl = XLogCtl;
	double last = now_seconds();
	double last_idle = last;

	atomic_store(&ctl->checkpointer_pid, (int) getpid());
	for (;;)
	{
		uint32_t wake = atomic_load(&ctl->ckpt_wakeup);
		uint64_t requests = atomic_load(&ctl->ckpt_requests);
		double now = now_seconds(), wait_s;
		struct timespec timeout;

		if (aux_shutdown_requested)
		{
			bool ok = CreateCheckPoint(CHECKPOINT_IS_SHUTDOWN | CHECKPOINT_IMMEDIATE);

			checkpoint_done(requests, ok);
			atomic_store(&ctl->checkpointer_pid, 0);
			return;
		}
		if (requests > atomic_load(&ctl->ckpt_done_req))
		{
			int flags = (int) atomic_exchange(&ctl->ckpt_request_flags, 0);

			checkpoint_done(requests, CreateCheckPoint(flags));
			last = now_seconds();
			continue;
		}
		if (now - last >= CHECKPOINT_TIMEOUT_S)
		{
			/* Nothing but the last checkpoint since then: nothing to do. */
			if (XLogGetInsertPosition() != atomic_load(&ctl->last_checkpoint_end))
				CreateCheckPoint(0);
			last = now_seconds();
			continue;
		}
		/* Idle work (the expiry sweep), about once a second. */
		if (checkpointer_idle_hook != NULL && now - last_idle >= 1.0)
		{
			checkpointer_idle_hook();
			last_idle = now_seconds();
			continue;
		}
		/* Wake at least every second to see aux_shutdown_requested. */
		wait_s = CHECKPOINT_TIMEOUT_S - (now - last);
		if (wait_s > 1.0)
			wait_s = 1.0;
		timeout.tv_sec = (time_t) wait_s;
		timeout.tv_nsec = (long) ((wait_s - (double) timeout.tv_sec) * 1e9);
		FutexWait(&ctl->ckpt_wakeup, wake, &timeout);
	}
}

void
XLogGetCheckpointInfo(uint64_t *count, XLogRecPtr *redo, int64_t *time_s)
{
	XLogCtlData *ctl = XLogCtl;

	*count = atomic_load(&ctl->ckpt_count);
	*redo = atomic_load(&ctl->last_checkpoint_redo);
	*time_s = atomic_load(&ctl->last_checkpoint_time);
}
