/*
 * xlog.c
 *	  WAL buffers in shared memory, writing them to segment files, and
 *	  XLogFlush with group commit.
 *
 * NOTES
 *	  Runs in every process that changes shared pages (backends, startup,
 *	  checkpointer, bgwriter through the buffer manager's WAL rule) and in
 *	  the walwriter. The ring, the positions and the lock order are described
 *	  in wal/README.md, section "WAL buffers, writing and flushing"; the
 *	  invariants W1.. cited below are numbered there.
 *
 *	  Locks: insert_lock (xloginsert.c) may be held while acquiring
 *	  write_lock, never the reverse: the writer reads the insert progress
 *	  from the insert_done atomic instead of taking insert_lock. Nothing in
 *	  this file takes a buffer content lock.
 *
 *	  Each process keeps its own descriptor for the segment it last wrote
 *	  or synced (private memory). A failed write or fdatasync is PANIC
 *	  (xlog.h).
 */
#include "config.h"

#include "wal/xlog.h"
#include "wal/xlog_int.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/elog.h"
#include "storage/fileio.h"
#include "storage/futex.h"
#include "storage/proc.h"
#include "storage/shmem.h"

XLogCtlData *XLogCtl;

/* Segment this process has open, or -1. */
static int open_fd = -1;
static uint64_t open_segno;

/* Zeros to create segments from; read-only, so it stays on the zero page. */
static const char zero_chunk[64 * 1024];

size_t
XLogShmemSize(void)
{
	size_t size = 0;

	size = ShmemAddSize(size, sizeof(XLogCtlData));
	size = ShmemAddSize(size, (size_t) XLOG_BUFFER_PAGES * WAL_PAGE_SIZE);
	return size;
}

void
XLogShmemInit(void)
{
	XLogCtlData *ctl = ShmemAlloc(sizeof(XLogCtlData));

	LWLockInit(&ctl->insert_lock, LWTRANCHE_WAL_INSERT);
	LWLockInit(&ctl->write_lock, LWTRANCHE_WAL_WRITE);
	LWLockInit(&ctl->ckpt_lock, LWTRANCHE_WAL_WRITE);
	LWLockInit(&ctl->control_lock, LWTRANCHE_WAL_WRITE);
	ctl->pages = ShmemAlloc((size_t) XLOG_BUFFER_PAGES * WAL_PAGE_SIZE);
	for (int i = 0; i < XLOG_BUFFER_PAGES; i++)
		atomic_store(&ctl->page_addr[i], XLOG_NO_PAGE);
	atomic_store(&ctl->in_recovery, 1);
	atomic_store(&ctl->checkpoint_timeout_s, 300);
	atomic_store(&ctl->completion_target_pct, 90);
	atomic_store(&ctl->max_wal_size, (uint64_t) 1024 * 1024 * 1024);
	atomic_store(&ctl->wal_writer_delay_ms, 200);
	XLogCtl = ctl;
	bufmgr_wal_flush_hook = XLogFlush;
	/* A descriptor from before a restart names nothing useful now. */
	XLogCloseSegment();
}

void
XLogSetSettings(int checkpoint_timeout_s, double completion_target, uint64_t max_wal_size,
				int wal_writer_delay_ms, int commit_delay_us, bool durable_reads)
{
	atomic_store(&XLogCtl->durable_reads, durable_reads);
	atomic_store(&XLogCtl->commit_delay_us, commit_delay_us);
	atomic_store(&XLogCtl->checkpoint_timeout_s, checkpoint_timeout_s);
	atomic_store(&XLogCtl->completion_target_pct, (int) (completion_target * 100 + 0.5));
	atomic_store(&XLogCtl->max_wal_size, max_wal_size);
	atomic_store(&XLogCtl->wal_writer_delay_ms, wal_writer_delay_ms);
}

static inline int
ring_slot(XLogRecPtr page_addr)
{
	return (int) ((page_addr / WAL_PAGE_SIZE) % XLOG_BUFFER_PAGES);
}

/* The ring page that holds (or will hold) the WAL page at page_addr. */
char *
XLogRingPage(XLogRecPtr page_addr)
{
	return XLogCtl->pages + (size_t) ring_slot(page_addr) * WAL_PAGE_SIZE;
}

/* ------------------------------------------------------------ segments */

void
XLogSegmentPath(char *out, size_t len, uint64_t segno)
{
	char name[WAL_FILE_NAME_LEN + 1];

	WalFileName(name, segno);
	snprintf(out, len, "%s/%s", XLOG_DIR, name);
}

/*
 * Create segment segno zero-filled and durable: a temporary file is filled,
 * fsynced and renamed into place, then the directory is fsynced, so a crash
 * never leaves a short segment under a real name. Caller holds write_lock,
 * so no other process creates or recycles at the same time.
 */
static bool
create_segment(uint64_t segno)
{
	char tmp[64], path[64];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/xlogtemp.%d", XLOG_DIR, (int) getpid());
	XLogSegmentPath(path, sizeof(path), segno);
	unlink(tmp);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		elog(WARNING, "could not create WAL file \"%s\": %m", tmp);
		return false;
	}
	/*
	 * Reserve the space first: on a nearly full disk this fails at once,
	 * instead of filling the disk with zeros (and failing every other
	 * writer meanwhile) before failing. File systems without fallocate
	 * just get the zeros.
	 */
	{
		int rc = posix_fallocate(fd, 0, (off_t) WAL_SEGMENT_SIZE);

		if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
		{
			elog(WARNING, "could not allocate WAL file \"%s\": %s", tmp, strerror(rc));
			close(fd);
			unlink(tmp);
			errno = rc;
			return false;
		}
	}
	for (uint64_t off = 0; off < WAL_SEGMENT_SIZE; off += sizeof(zero_chunk))
	{
		if (!FileWriteFull(fd, zero_chunk, sizeof(zero_chunk), (off_t) off))
		{
			int save = errno;

			elog(WARNING, "could not write WAL file \"%s\": %m", tmp);
			close(fd);
			unlink(tmp);
			errno = save;
			return false;
		}
	}
	if (fsync(fd) != 0)
	{
		elog(PANIC, "could not fsync WAL file \"%s\": %m", tmp);
		abort();
	}
	close(fd);
	if (rename(tmp, path) != 0)
	{
		elog(WARNING, "could not rename \"%s\" to \"%s\": %m", tmp, path);
		unlink(tmp);
		return false;
	}
	if (!FileFsyncDir(XLOG_DIR))
	{
		elog(PANIC, "could not make WAL file \"%s\" durable", path);
		abort();
	}
	elog(DEBUG, "created WAL segment \"%s\"", path);
	return true;
}

void
XLogCloseSegment(void)
{
	if (open_fd >= 0)
		close(open_fd);
	open_fd = -1;
}

/*
 * Descriptor for segment segno, kept open for the next call. With create,
 * a missing segment is created (caller holds write_lock); otherwise -1 with
 * errno ENOENT.
 */
static int
open_segment(uint64_t segno, bool create)
{
	char path[64];
	int fd;

	if (open_fd >= 0 && open_segno == segno)
		return open_fd;
	XLogCloseSegment();
	XLogSegmentPath(path, sizeof(path), segno);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create)
	{
		if (!create_segment(segno))
			return -1;
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	open_fd = fd;
	open_segno = segno;
	return fd;
}

/*
 * fdatasync fd, segment segno's descriptor; failures are PANIC. Safe in
 * the walwriter's sync threads: it touches only fd and atomics.
 */
static void
sync_fd(int fd, uint64_t segno)
{
	char path[64];				/* formatted only for an error: no snprintf per flush */

	if (fdatasync(fd) != 0)
	{
		atomic_store(&XLogCtl->sync_failed, true);
		XLogSegmentPath(path, sizeof(path), segno);
		elog(PANIC, "could not fdatasync WAL file \"%s\": %m", path);
		abort();
	}
	if (atomic_load(&XLogCtl->sync_failed))
		elog(PANIC, "WAL flush after another process's WAL write or fdatasync failed");
	atomic_fetch_add_explicit(&XLogCtl->stat_fsyncs, 1, memory_order_relaxed);
}

/* fdatasync one segment; false if it is missing and missing_ok. */
bool
XLogSyncSegment(uint64_t segno, bool missing_ok)
{
	char path[64];
	int fd = open_segment(segno, false);

	if (fd < 0)
	{
		if (errno == ENOENT && missing_ok)
			return false;
		XLogSegmentPath(path, sizeof(path), segno);
		elog(PANIC, "could not open WAL file \"%s\": %m", path);
		abort();
	}
	sync_fd(fd, segno);
	return true;
}

/*
 * Rename segments numbered below before_segno to future names, or remove
 * them when enough future segments exist (README "Checkpoints", step 6).
 * Returns how many segments were recycled or removed.
 */
int
XLogRecycleSegments(uint64_t before_segno)
{
	DIR *dir;
	struct dirent *de;
	uint64_t insert_seg, next_free;
	int count = 0;

	LWLockAcquire(&XLogCtl->write_lock, LW_EXCLUSIVE);
	insert_seg = WAL_SEGMENT_NUMBER(atomic_load(&XLogCtl->insert_done));
	next_free = insert_seg + 1;
	dir = opendir(XLOG_DIR);
	if (dir == NULL)
	{
		elog(WARNING, "could not open directory \"%s\": %m", XLOG_DIR);
		XLogWriteLockRelease();
		return 0;
	}
	while ((de = readdir(dir)) != NULL)
	{
		uint64_t segno;
		char path[64], newpath[64];
		bool recycled = false;

		if (!WalFileNameParse(de->d_name, &segno) || segno >= before_segno)
			continue;
		XLogSegmentPath(path, sizeof(path), segno);
		/* Find the next unused future name, within the recycle window. */
		while (next_free <= insert_seg + XLOG_RECYCLE_AHEAD)
		{
			struct stat st;

			XLogSegmentPath(newpath, sizeof(newpath), next_free);
			if (stat(newpath, &st) != 0 && errno == ENOENT)
			{
				if (rename(path, newpath) == 0)
				{
					recycled = true;
					elog(DEBUG, "recycled WAL segment \"%s\" as \"%s\"", path, newpath);
				}
				else
					elog(WARNING, "could not rename \"%s\" to \"%s\": %m", path, newpath);
				next_free++;
				break;
			}
			next_free++;
		}
		if (!recycled)
		{
			if (unlink(path) != 0)
				elog(WARNING, "could not remove WAL file \"%s\": %m", path);
			else
				elog(DEBUG, "removed WAL segment \"%s\"", path);
		}
		count++;
	}
	closedir(dir);
	/* Our cached descriptor may now name a recycled file. */
	XLogCloseSegment();
	if (count > 0)
		FileFsyncDir(XLOG_DIR);
	XLogWriteLockRelease();
	return count;
}

/* ------------------------------------------------------------- writing */

/*
 * README W2 and W3, checked in debug builds on every write: positions in
 * order, and the ring holds every page from write_ptr's to insert_done's.
 * Caller holds write_lock.
 */
static void
assert_xlog_positions(void)
{
#ifndef NDEBUG
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr flushed = atomic_load(&ctl->flush_ptr);
	XLogRecPtr written = atomic_load(&ctl->write_ptr);
	XLogRecPtr inserted = atomic_load(&ctl->insert_done);

	assert(flushed <= written);
	for (XLogRecPtr page = WAL_PAGE_START(written); page < inserted; page += WAL_PAGE_SIZE)
		assert(atomic_load(&ctl->page_addr[ring_slot(page)]) == page ||
			   page >= WAL_PAGE_START(inserted));
#endif
}

/*
 * Write the ring up to target (exclusive) to the segment files. Caller
 * holds write_lock; every WAL byte before target is final in the ring (W2).
 * Whole pages are written, the last one as far as it is filled; the next
 * call rewrites it from its start. A segment whose last page is written is
 * fdatasynced at once, so only the segment holding write_ptr can have
 * unsynced data (W3). Failure is PANIC.
 */
void
XLogWriteLocked(XLogRecPtr target)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr from = atomic_load_explicit(&ctl->write_ptr, memory_order_relaxed);
	XLogRecPtr page;

	assert_xlog_positions();
	if (target <= from)
		return;
	page = WAL_PAGE_START(from);
	while (page < target)
	{
		uint64_t segno = WAL_SEGMENT_NUMBER(page);
		int slot = ring_slot(page);
		int npages = 0;
		int fd;
		char path[64];

		/* A run of pages contiguous in the ring and in one segment. */
		while (page + (XLogRecPtr) npages * WAL_PAGE_SIZE < target &&
			   slot + npages < XLOG_BUFFER_PAGES &&
			   WAL_SEGMENT_NUMBER(page + (XLogRecPtr) npages * WAL_PAGE_SIZE) == segno)
		{
			XLogRecPtr expect = page + (XLogRecPtr) npages * WAL_PAGE_SIZE;
			XLogRecPtr held =
				atomic_load_explicit(&ctl->page_addr[slot + npages], memory_order_acquire);

			if (held != expect)
			{
				elog(PANIC, "WAL buffer for " WAL_PTR_FMT " holds " WAL_PTR_FMT,
					 WAL_PTR_ARGS(expect), WAL_PTR_ARGS(held));
				abort();
			}
			npages++;
		}

		fd = open_segment(segno, true);
		if (fd < 0)
		{
			XLogSegmentPath(path, sizeof(path), segno);
			elog(PANIC, "could not open WAL file \"%s\": %m", path);
			abort();
		}
		if (!FileWriteFull(fd, ctl->pages + (size_t) slot * WAL_PAGE_SIZE,
					   (size_t) npages * WAL_PAGE_SIZE, (off_t) WAL_SEGMENT_OFFSET(page)))
		{
			atomic_store(&ctl->sync_failed, true);
			XLogSegmentPath(path, sizeof(path), segno);
			elog(PANIC, "could not write WAL file \"%s\" at offset %u: %m", path,
				 WAL_SEGMENT_OFFSET(page));
			abort();
		}
		page += (XLogRecPtr) npages * WAL_PAGE_SIZE;
		if (WAL_SEGMENT_OFFSET(page) == 0 && page <= target)
		{
			XLogSyncSegment(segno, false);
			if (XLogCheckpointNeeded(page))
				XLogWakeCheckpointer(CHECKPOINT_WAL_SIZE);
		}
	}
	atomic_store_explicit(&ctl->write_ptr, target, memory_order_release);
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Overlapping flushes (README "Group commit"). On a disk whose fdatasync,
 * run alone, takes SLOW_SYNC_US or more (a network volume), up to
 * XLOG_MAX_SYNCS_IN_FLIGHT flushes run at once, each started at least a
 * XLOG_MAX_SYNCS_IN_FLIGHT-th of an fdatasync after the one before: a commit
 * then waits about one fdatasync instead of up to two. On a fast disk one
 * at a time, its fdatasync under write_lock, as always.
 */
#define SLOW_SYNC_US 800

bool
XLogFlushesOverlap(void)
{
	return atomic_load_explicit(&XLogCtl->sync_avg_us, memory_order_relaxed) >= SLOW_SYNC_US;
}

/* Flushes claimed and not yet retired (xlog_int.h, sync_ring): running ones, mostly. */
static uint64_t
flushes_unretired(void)
{
	return atomic_load(&XLogCtl->sync_claimed) - atomic_load(&XLogCtl->sync_retired);
}

/* Microseconds until another flush may start: 0 now, -1 when one ends. */
int64_t
XLogFlushStartDelay(void)
{
	XLogCtlData *ctl = XLogCtl;
	uint64_t in_flight = flushes_unretired();
	int64_t spacing, since;

	if (in_flight == 0)
		return 0;
	if (!XLogFlushesOverlap() || in_flight >= XLOG_MAX_SYNCS_IN_FLIGHT)
		return -1;
	spacing = atomic_load_explicit(&ctl->sync_avg_us, memory_order_relaxed) / XLOG_MAX_SYNCS_IN_FLIGHT;
	since = now_us() - atomic_load_explicit(&ctl->last_sync_start_us, memory_order_relaxed);
	return since >= spacing ? 0 : spacing - since;
}

bool
XLogFlushCovers(XLogRecPtr lsn)
{
	return lsn <= atomic_load_explicit(&XLogCtl->sync_started_ptr, memory_order_acquire);
}

/*
 * Wake the XLogFlush callers that can go on: every one the flushed WAL
 * covers, plus one that no running fdatasync covers, to become the next
 * flusher, plus the walwriter whenever it waits (it sends the replies of
 * what was just flushed and may start the next flush). Waking every
 * sleeper after every flush cost about 50 context switches per fdatasync
 * at -c 50. Processes without a slot (unit tests) sleep on
 * flush_generation, which is bumped and woken in full.
 */
static void
wake_flush_waiters(void)
{
	XLogCtlData *ctl = XLogCtl;

	atomic_fetch_add(&ctl->flush_generation, 1);
	if (atomic_load(&ctl->flush_waiters) > 0)
	{
		XLogRecPtr flushed = atomic_load(&ctl->flush_ptr);
		XLogRecPtr started = atomic_load(&ctl->sync_started_ptr);
		int n = proc_array ? ProcArrayHighWater() : 0;
		bool handed_over = false;

		for (int i = 0; i < n; i++)
		{
			ProcSlot *slot = &proc_array->slots[i];
			XLogRecPtr want = atomic_load(&slot->flush_wait_lsn);

			if (want == 0)
				continue;
			/* the walwriter, which sends replies as each flush ends, always */
			if (want > flushed && slot->kind != PROC_KIND_WALWRITER)
			{
				if (want <= started || handed_over)
					continue;
				handed_over = true;
			}
			atomic_fetch_add(&slot->flush_latch, 1);
			FutexWake(&slot->flush_latch, 1);
		}
		FutexWake(&ctl->flush_generation, INT_MAX);
	}
}

/*
 * Release write_lock and wake the XLogFlush callers that can go on
 * (README "Group commit"). Every release of write_lock goes through here
 * or through XLogFlush's overlapping path.
 */
void
XLogWriteLockRelease(void)
{
	LWLockRelease(&XLogCtl->write_lock);
	wake_flush_waiters();
}

/*
 * The flusher's commit delay: while other backends are inside a command
 * (and so probably about to commit) but not yet waiting for a flush, give
 * them the CPU briefly so that this fdatasync covers their commits too.
 * Bounded: at most GATHER_YIELDS yields, and none when nobody is running.
 * On a 2-core machine with 50 clients this is the difference between a
 * handful and dozens of commits per fdatasync.
 */
#define GATHER_YIELDS 3

static void
gather_siblings(void)
{
	int n = proc_array ? ProcArrayHighWater() : 0;

	for (int round = 0; round < GATHER_YIELDS; round++)
	{
		int running = 0;

		for (int i = 0; i < n; i++)
		{
			ProcSlot *slot = &proc_array->slots[i];

			if (slot != MyProc && atomic_load_explicit(&slot->in_storage, memory_order_relaxed) &&
				atomic_load_explicit(&slot->flush_wait_lsn, memory_order_relaxed) == 0)
				running++;
		}
		if (running == 0)
			return;
		sched_yield();
	}
}

/*
 * Write everything inserted so far and claim the fdatasync that will
 * cover it (*claimp: its place in sync_ring). Caller holds write_lock.
 * Returns the position that fdatasync makes durable, or 0 when one
 * already started covers all of it or XLOG_MAX_SYNCS_IN_FLIGHT claims are
 * not yet retired (the caller waits for a flush to end, and looks again).
 */
static XLogRecPtr
write_for_sync(uint64_t *claimp)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr written;
	uint64_t claim;

	XLogWriteLocked(atomic_load_explicit(&ctl->insert_done, memory_order_acquire));
	written = atomic_load_explicit(&ctl->write_ptr, memory_order_relaxed);
	if (written <= atomic_load(&ctl->sync_started_ptr))
		return 0;
	claim = atomic_load(&ctl->sync_claimed);
	if (claim - atomic_load(&ctl->sync_retired) >= XLOG_MAX_SYNCS_IN_FLIGHT)
		return 0;				/* the ring is full: the next retirement wakes us */
	/*
	 * From the claim to the end of the fdatasync: a critical section, so
	 * that a flusher that dies (maybe outside write_lock) restarts
	 * everything instead of leaving a claimed flush that never ends.
	 */
	StartCritSection();
	if (claim != atomic_load(&ctl->sync_retired))
		atomic_fetch_add_explicit(&ctl->stat_overlapped, 1, memory_order_relaxed);
	atomic_store(&ctl->sync_ring[claim % XLOG_MAX_SYNCS_IN_FLIGHT].written, written);
	atomic_store(&ctl->sync_claimed, claim + 1);
	*claimp = claim;
	atomic_store(&ctl->sync_started_ptr, written);
	atomic_store(&ctl->last_sync_start_us, now_us());
	return written;
}

/*
 * The fdatasync claimed by write_for_sync, with or without write_lock: it
 * covers every byte written before it is called, whoever wrote it. fd is
 * the segment's descriptor, or -1 to use this process's own (only where
 * no other thread may switch it: XLogFlush).
 */
/*
 * Move flush_ptr over every flush that is done and claimed after all the
 * retired ones (xlog_int.h, sync_ring). Whoever retires claim r moves
 * flush_ptr to its end; claim r + N cannot reuse its ring entry before.
 */
static void
retire_flushes(void)
{
	XLogCtlData *ctl = XLogCtl;

	for (;;)
	{
		uint64_t r = atomic_load(&ctl->sync_retired);
		XLogRecPtr written = atomic_load(&ctl->sync_ring[r % XLOG_MAX_SYNCS_IN_FLIGHT].written);
		XLogRecPtr old;

		if (atomic_load(&ctl->sync_ring[r % XLOG_MAX_SYNCS_IN_FLIGHT].done_seq) != r + 1)
			return;
		if (!atomic_compare_exchange_strong(&ctl->sync_retired, &r, r + 1))
			continue;
		old = atomic_load(&ctl->flush_ptr);
		while (old < written && !atomic_compare_exchange_weak(&ctl->flush_ptr, &old, written))
			;
	}
}

static void
sync_written(XLogRecPtr written, uint64_t claim, int fd)
{
	XLogCtlData *ctl = XLogCtl;

	/* Earlier segments were synced as they were completed (W3). */
	if (WAL_SEGMENT_OFFSET(written) != 0)
	{
		bool alone = flushes_unretired() == 1;
		int64_t start = now_us();
		uint64_t took, avg;

		if (fd >= 0)
			sync_fd(fd, WAL_SEGMENT_NUMBER(written));
		else
			XLogSyncSegment(WAL_SEGMENT_NUMBER(written), false);
		took = (uint64_t) (now_us() - start);
		/* the disk's own latency: overlapping flushes slow each other */
		if (alone && flushes_unretired() == 1)
		{
			avg = atomic_load_explicit(&ctl->sync_avg_us, memory_order_relaxed);
			avg = avg == 0 ? took : (avg * 7 + took) / 8;
			atomic_store_explicit(&ctl->sync_avg_us, (uint32_t) avg, memory_order_relaxed);
		}
	}
	atomic_store(&ctl->sync_ring[claim % XLOG_MAX_SYNCS_IN_FLIGHT].done_seq, claim + 1);
	retire_flushes();
	EndCritSection();
}

/*
 * Start a flush whose fdatasync another thread runs (the walwriter's sync
 * threads, server/handoff.c): if one may start now (XLogFlushStartDelay)
 * and write_lock is free, write everything inserted and claim the
 * fdatasync that covers it. Returns false when none was started; else the
 * caller passes *job to XLogFlushFinish, from any thread of this process.
 */
bool
XLogFlushStart(XLogFlushJob *job)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr written;

	if (XLogFlushStartDelay() != 0 || !LWLockConditionalAcquire(&ctl->write_lock, LW_EXCLUSIVE))
		return false;
	if (flushes_unretired() == 0)
		gather_siblings();
	written = write_for_sync(&job->claim);
	job->written = written;
	XLogWriteLockRelease();
	return written != 0;
}

/*
 * The fdatasync of a flush XLogFlushStart started. *done is set to 0 once
 * it is durable, before its waiters are woken: a walwriter woken by it
 * finds this thread free.
 *
 * The job keeps a descriptor of its own, opened here, not a duplicate of
 * the process's: the walwriter may switch segments meanwhile, and a failed
 * writeback is reported once per open file, so a duplicate sharing one
 * with another thread's flush could let a later flush return success (and
 * move flush_ptr past the lost WAL) while this one takes the error.
 */
void
XLogFlushFinish(XLogFlushJob *job, _Atomic uint32_t *done)
{
	uint64_t segno = WAL_SEGMENT_NUMBER(job->written);

	if (WAL_SEGMENT_OFFSET(job->written) != 0 && (job->fd < 0 || job->segno != segno))
	{
		char path[64];

		if (job->fd >= 0)
			close(job->fd);
		XLogSegmentPath(path, sizeof(path), segno);
		job->fd = open(path, O_RDWR | O_CLOEXEC);
		job->segno = segno;
		if (job->fd < 0)
		{
			atomic_store(&XLogCtl->sync_failed, true);
			elog(PANIC, "could not open WAL file \"%s\": %m", path);
			abort();
		}
	}
	sync_written(job->written, job->claim, job->fd);
	atomic_store(done, 0);
	wake_flush_waiters();
}

/* Write and fdatasync everything inserted so far. Caller holds write_lock. */
static void
flush_locked(void)
{
	uint64_t claim;
	XLogRecPtr written = write_for_sync(&claim);

	if (written != 0)
		sync_written(written, claim, -1);
}

/*
 * Return once WAL up to upto is durable. Group commit: the first caller
 * that gets write_lock flushes everything inserted so far; the others sleep
 * on flush_generation, which every release of write_lock bumps, and then
 * look again. The futex wait has a timeout only as a backstop: a process
 * that dies holding write_lock makes the postmaster restart everything.
 *
 * No lock may be held on entry except buffer content locks (lock order in
 * README). Returns true; failures inside are PANIC.
 */
bool
XLogFlush(XLogRecPtr upto)
{
	XLogCtlData *ctl = XLogCtl;
	bool counted_wait = false;
	XLogRecPtr inserted;

	if (upto <= atomic_load_explicit(&ctl->flush_ptr, memory_order_acquire))
		return true;
	/* Replayed WAL was synced before redo began (README "Recovery", step 3). */
	if (xlog_in_redo)
		return true;
	inserted = atomic_load_explicit(&ctl->insert_done, memory_order_acquire);
	if (upto > inserted)
	{
		elog(WARNING, "WAL flush request " WAL_PTR_FMT " is past the insert position " WAL_PTR_FMT,
			 WAL_PTR_ARGS(upto), WAL_PTR_ARGS(inserted));
		upto = inserted;
	}

	for (;;)
	{
		uint32_t gen;
		struct timespec timeout = {1, 0};
		uint32_t latch = 0;
		bool covered;
		int64_t start_in;

		if (upto <= atomic_load_explicit(&ctl->flush_ptr, memory_order_acquire))
			return true;
		/*
		 * Announce ourselves (and what we wait for) before reading the
		 * futex word, then re-check: a flusher that finishes after this
		 * point sees us and wakes us (README "Group commit").
		 */
		atomic_fetch_add(&ctl->flush_waiters, 1);
		if (MyProc)
		{
			atomic_store(&MyProc->flush_wait_lsn, upto);
			latch = atomic_load(&MyProc->flush_latch);
		}
		gen = atomic_load(&ctl->flush_generation);
		if (upto <= atomic_load_explicit(&ctl->flush_ptr, memory_order_acquire))
		{
			if (MyProc)
				atomic_store(&MyProc->flush_wait_lsn, 0);
			atomic_fetch_sub(&ctl->flush_waiters, 1);
			return true;
		}
		covered = XLogFlushCovers(upto);
		start_in = covered ? -1 : XLogFlushStartDelay();
		if (start_in == 0 && LWLockConditionalAcquire(&ctl->write_lock, LW_EXCLUSIVE))
		{
			XLogRecPtr written = 0;
			uint64_t claim = 0;

			if (MyProc)
				atomic_store(&MyProc->flush_wait_lsn, 0);
			atomic_fetch_sub(&ctl->flush_waiters, 1);
			if (!XLogFlushCovers(upto))
			{
				int delay_us = atomic_load_explicit(&ctl->commit_delay_us, memory_order_relaxed);

				/* PostgreSQL's commit_delay: more commits per fdatasync, or a test's window */
				if (delay_us > 0)
				{
					struct timespec ts = {delay_us / 1000000, (long) (delay_us % 1000000) * 1000};

					nanosleep(&ts, NULL);
				}
				if (flushes_unretired() == 0)
					gather_siblings();
				written = write_for_sync(&claim);
			}
			if (XLogFlushesOverlap())
			{
				/* the next flusher may write while this one syncs */
				LWLockRelease(&ctl->write_lock);
				if (written != 0)
					sync_written(written, claim, -1);
				wake_flush_waiters();
			}
			else
			{
				if (written != 0)
					sync_written(written, claim, -1);
				XLogWriteLockRelease();
			}
			continue;
		}
		if (!counted_wait)
		{
			atomic_fetch_add_explicit(&ctl->stat_flush_waits, 1, memory_order_relaxed);
			counted_wait = true;
		}
		/* not covered by a running flush: look again when one may start */
		if (start_in > 0)
		{
			timeout.tv_sec = 0;
			timeout.tv_nsec = (long) (start_in < 20 ? 20 : start_in) * 1000;
		}
		if (MyProc)
			FutexWait(&MyProc->flush_latch, latch, &timeout);
		else
			FutexWait(&ctl->flush_generation, gen, &timeout);
		if (MyProc)
			atomic_store(&MyProc->flush_wait_lsn, 0);
		atomic_fetch_sub(&ctl->flush_waiters, 1);
	}
}

/*
 * A process that sleeps on its own flush latch for other reasons too (the
 * walwriter) says it waits for a flush past upto, so that the flush that
 * gets there wakes it; XLogFlushWaitEnd when it is awake again.
 */
void
XLogFlushWaitBegin(XLogRecPtr upto)
{
	atomic_store(&MyProc->flush_wait_lsn, upto);
	atomic_fetch_add(&XLogCtl->flush_waiters, 1);
}

void
XLogFlushWaitEnd(void)
{
	atomic_store(&MyProc->flush_wait_lsn, 0);
	atomic_fetch_sub(&XLogCtl->flush_waiters, 1);
}

#define SPACE_RETRY_SECONDS 5
/* writers make sure of the next segment themselves this close to the end */
#define SPACE_AHEAD_MARGIN (WAL_SEGMENT_SIZE / 4)

static void
note_ready(uint64_t segno)
{
	uint64_t old = atomic_load(&XLogCtl->ready_segno);

	while (old < segno && !atomic_compare_exchange_weak(&XLogCtl->ready_segno, &old, segno))
		;
}

void
XLogPrepareNextSegment(void)
{
	XLogCtlData *ctl = XLogCtl;
	static time_t last_failure;
	uint64_t next = WAL_SEGMENT_NUMBER(atomic_load(&ctl->insert_done)) + 1;
	char path[64];
	struct stat st;
	bool ok;
	int err = 0;

	if (xlog_in_redo)
		return;
	XLogSegmentPath(path, sizeof(path), next);
	if (stat(path, &st) == 0 && st.st_size == (off_t) WAL_SEGMENT_SIZE)
	{
		note_ready(next);
		if (atomic_load(&ctl->space_errno) != 0)
		{
			atomic_store(&ctl->space_errno, 0);
			elog(LOG, "WAL segment \"%s\" is ready again; write commands are accepted", path);
		}
		return;
	}
	if (atomic_load(&ctl->space_errno) != 0 && time(NULL) - last_failure < SPACE_RETRY_SECONDS)
		return;
	LWLockAcquire(&ctl->write_lock, LW_EXCLUSIVE);
	ok = stat(path, &st) == 0 || create_segment(next);
	if (!ok)
		err = errno != 0 ? errno : EIO;
	XLogWriteLockRelease();
	if (!ok)
	{
		if (atomic_exchange(&ctl->space_errno, err) == 0)
			elog(WARNING, "could not create the next WAL segment \"%s\": %s; "
				 "write commands are refused until it can be", path, strerror(err));
		last_failure = time(NULL);
		/* a checkpoint, at once, recycles the segments before its redo pointer */
		XLogWakeCheckpointer(CHECKPOINT_WAL_SIZE | CHECKPOINT_IMMEDIATE);
	}
	else
	{
		note_ready(next);
		if (atomic_exchange(&ctl->space_errno, 0) != 0)
			elog(LOG, "WAL segment \"%s\" created; write commands are accepted again", path);
	}
}

/*
 * Before a write of about `bytes` of WAL at once (a value stored in
 * chunks): make sure every segment it can reach exists. Otherwise its
 * inserts, each inside its critical section, could run into a segment
 * that cannot be created, which is a PANIC and a restart of everything
 * (a 6 MB SET on a nearly full disk did that). Returns 0, or the errno
 * that kept a segment from being created: the caller then refuses this
 * one write. Other writes are not refused (XLogSpaceError decides that),
 * but the checkpointer is woken to recycle segments. One segment per
 * write_lock hold, so flushes go on meanwhile.
 */
int
XLogReserve(uint64_t bytes)
{
	XLogCtlData *ctl = XLogCtl;
	uint64_t first, last;

	if (ctl == NULL || xlog_in_redo)
		return 0;
	first = WAL_SEGMENT_NUMBER(atomic_load(&ctl->insert_done)) + 1;
	last = WAL_SEGMENT_NUMBER(atomic_load(&ctl->insert_done) + bytes + SPACE_AHEAD_MARGIN);
	if (atomic_load(&ctl->ready_segno) >= last)
		return 0;
	for (uint64_t segno = first; segno <= last; segno++)
	{
		char path[64];
		struct stat st;
		bool ok;
		int err;

		XLogSegmentPath(path, sizeof(path), segno);
		if (stat(path, &st) == 0 && st.st_size == (off_t) WAL_SEGMENT_SIZE)
			continue;
		LWLockAcquire(&ctl->write_lock, LW_EXCLUSIVE);
		ok = stat(path, &st) == 0 || create_segment(segno);
		err = ok ? 0 : errno != 0 ? errno : EIO;
		XLogWriteLockRelease();
		if (!ok)
		{
			elog(LOG, "could not make room in the WAL for a write of %llu bytes (\"%s\": %s); "
				 "the write is refused", (unsigned long long) bytes, path, strerror(err));
			XLogWakeCheckpointer(CHECKPOINT_WAL_SIZE | CHECKPOINT_IMMEDIATE);
			return err;
		}
	}
	note_ready(last);
	return 0;
}

/*
 * Before a write: 0 if the WAL can take it, else the errno that keeps the
 * next segment from being created. Normally two atomic loads. In the last
 * quarter of a segment whose successor is not known to exist yet (the
 * walwriter is late, the machine is busy), the writer makes sure of it
 * itself, so the moment a write is refused does not depend on the
 * walwriter's timing; while refused, it retries every few seconds.
 */
int
XLogSpaceError(void)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr insert;

	if (ctl == NULL || xlog_in_redo)
		return 0;
	insert = atomic_load_explicit(&ctl->insert_done, memory_order_relaxed);
	if (atomic_load_explicit(&ctl->space_errno, memory_order_relaxed) == 0 &&
		(WAL_SEGMENT_OFFSET(insert) < WAL_SEGMENT_SIZE - SPACE_AHEAD_MARGIN ||
		 atomic_load_explicit(&ctl->ready_segno, memory_order_relaxed) > WAL_SEGMENT_NUMBER(insert)))
		return 0;
	XLogPrepareNextSegment();
	return atomic_load_explicit(&ctl->space_errno, memory_order_relaxed);
}

/*
 * walwriter: flush what asynchronous commits left behind, unless a flush
 * is already running (then that one covers it). Returns the bytes flushed.
 */
uint64_t
XLogBackgroundFlush(void)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr before = atomic_load(&ctl->flush_ptr);
	XLogRecPtr after;

	if (atomic_load(&ctl->insert_done) <= before || xlog_in_redo)
		return 0;
	if (!LWLockConditionalAcquire(&ctl->write_lock, LW_EXCLUSIVE))
		return 0;
	flush_locked();
	after = atomic_load(&ctl->flush_ptr);
	XLogWriteLockRelease();
	return after > before ? after - before : 0;
}

/*
 * After recovery (or bootstrap, with next_rec at the start of WAL and no
 * last_page): the next record goes at next_rec and links to prev_rec.
 * last_page, when next_rec is inside a page, is that page as read from
 * disk; its bytes
 * from next_rec on are zeroed in the ring so the next write replaces a
 * torn tail. Only the startup process runs; no lock is needed but the
 * insert lock is taken to keep the rules simple.
 */
void
XLogResetPositions(XLogRecPtr prev_rec, XLogRecPtr next_rec, const char *last_page)
{
	XLogCtlData *ctl = XLogCtl;
	uint64_t bytepos = WalRecPtrToBytePos(next_rec);
	XLogRecPtr end = WalBytePosToEndRecPtr(bytepos);

	LWLockAcquire(&ctl->insert_lock, LW_EXCLUSIVE);
	for (int i = 0; i < XLOG_BUFFER_PAGES; i++)
		atomic_store(&ctl->page_addr[i], XLOG_NO_PAGE);
	ctl->cur_bytepos = bytepos;
	ctl->prev_rec = prev_rec;
	if (WAL_PAGE_OFFSET(end) != 0 && last_page != NULL)
	{
		XLogRecPtr page = WAL_PAGE_START(end);
		char *dst = XLogRingPage(page);

		memcpy(dst, last_page, WAL_PAGE_SIZE);
		memset(dst + WAL_PAGE_OFFSET(end), 0, WAL_PAGE_SIZE - WAL_PAGE_OFFSET(end));
		atomic_store(&ctl->page_addr[ring_slot(page)], page);
	}
	atomic_store(&ctl->insert_done, end);
	atomic_store(&ctl->write_ptr, end);
	atomic_store(&ctl->flush_ptr, end);
	atomic_store(&ctl->sync_started_ptr, end);
	LWLockRelease(&ctl->insert_lock);
}

/* ------------------------------------------------------------ positions */

XLogRecPtr
XLogGetInsertPosition(void)
{
	return atomic_load_explicit(&XLogCtl->insert_done, memory_order_acquire);
}

XLogRecPtr
XLogGetFlushPosition(void)
{
	return atomic_load_explicit(&XLogCtl->flush_ptr, memory_order_acquire);
}

bool
XLogFlushInProgress(void)
{
	return flushes_unretired() > 0 ||
		atomic_load_explicit(&XLogCtl->write_lock.state, memory_order_relaxed) != 0;
}

bool
XLogDurableReads(void)
{
	return XLogCtl != NULL && atomic_load_explicit(&XLogCtl->durable_reads, memory_order_relaxed);
}

int
XLogWalWriterDelay(void)
{
	return WAL_WRITER_DELAY_MS;
}

XLogRecPtr
XLogGetLastCommitPosition(void)
{
	return atomic_load_explicit(&XLogCtl->last_commit, memory_order_acquire);
}

/* An atomic max: commits finish out of order. */
void
XLogAdvanceLastCommitPosition(XLogRecPtr end)
{
	XLogRecPtr cur = atomic_load(&XLogCtl->last_commit);

	atomic_fetch_add_explicit(&XLogCtl->stat_commits, 1, memory_order_relaxed);
	while (cur < end && !atomic_compare_exchange_weak(&XLogCtl->last_commit, &cur, end))
		;
}

void
XLogGetStats(XLogStats *out)
{
	XLogCtlData *ctl = XLogCtl;

	out->records = atomic_load_explicit(&ctl->stat_records, memory_order_relaxed);
	out->bytes = atomic_load_explicit(&ctl->stat_bytes, memory_order_relaxed);
	out->fpi = atomic_load_explicit(&ctl->stat_fpi, memory_order_relaxed);
	out->flushes = atomic_load_explicit(&ctl->stat_fsyncs, memory_order_relaxed);
	out->flush_waits = atomic_load_explicit(&ctl->stat_flush_waits, memory_order_relaxed);
	out->commits = atomic_load_explicit(&ctl->stat_commits, memory_order_relaxed);
	out->fsync_avg_us = atomic_load_explicit(&ctl->sync_avg_us, memory_order_relaxed);
	out->overlapped = atomic_load_explicit(&ctl->stat_overlapped, memory_order_relaxed);
}
