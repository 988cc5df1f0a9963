/*
 * clog.c
 *	  The commit log: a small SLRU-style cache of status pages in shared
 *	  memory over the files in xact/.
 *
 * NOTES
 *	  Runs in every process: backends read statuses (when a tuple has no
 *	  hint bit yet) and set their own at commit or abort; the startup process
 *	  replays zero-page records and sets statuses from commit and abort
 *	  records; the checkpointer writes dirty pages (ClogCheckpoint).
 *
 *	  Page p lives in bank p % CLOG_BANKS. A bank's LWLock protects its
 *	  slots (page number, dirty flag, group LSNs) and the bytes of its pages:
 *	  SHARED to read a status of a cached page, EXCLUSIVE to set one, to load
 *	  a page or to write one. Reads and writes of xact/ files happen under
 *	  the EXCLUSIVE bank lock, which keeps the code simple at the price of
 *	  stalling that bank's readers for one 8 KiB I/O (rare: 64 cached pages
 *	  cover two million recent transactions). Lock order: a bank lock, then
 *	  the WAL locks (XLogInsert, XLogFlush); never two bank locks; extend_lock
 *	  before a bank lock.
 *
 *	  Invariants (C1-C4) are in storage/README.md, "Transactions and the
 *	  commit log". Truncation of old segments is not implemented (XXX #12):
 *	  xact/ grows by 256 KiB per million transactions.
 */
#include "config.h"

#include "storage/clog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/bufpage.h"
#include "storage/elog.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "wal/xlog.h"

#define CLOG_BANKS 8
#define CLOG_SLOTS_PER_BANK 8
#define CLOG_SLOTS (CLOG_BANKS * CLOG_SLOTS_PER_BANK)

/* xids sharing one commit LSN; 128 groups per page */
#define CLOG_XACTS_PER_GROUP 256
#define CLOG_GROUPS_PER_PAGE ((int) (CLOG_XACTS_PER_PAGE / CLOG_XACTS_PER_GROUP))

#define CLOG_BITS_PER_XACT 2
#define CLOG_XACT_BITMASK 3

#define CLOG_PAGENO(xid) ((int64_t) ((xid) / CLOG_XACTS_PER_PAGE))
#define CLOG_BYTENO(xid) ((int) (((xid) % CLOG_XACTS_PER_PAGE) / CLOG_XACTS_PER_BYTE))
#define CLOG_BITSHIFT(xid) ((int) ((xid) % CLOG_XACTS_PER_BYTE) * CLOG_BITS_PER_XACT)
#define CLOG_GROUPNO(xid) ((int) (((xid) % CLOG_XACTS_PER_PAGE) / CLOG_XACTS_PER_GROUP))

typedef struct ClogSlot
{
	/* All fields: the bank lock; lru may also be bumped under SHARED. */
	int64_t		pageno;			/* -1: empty */
	bool		dirty;			/* differs from the file */
	_Atomic uint32_t lru;		/* bank clock value at the last use */
	XLogRecPtr	group_lsn[CLOG_GROUPS_PER_PAGE];	/* newest commit end per group */
} ClogSlot;

typedef struct ClogBank
{
	LWLock		lock;
	_Atomic uint32_t clock;		/* relaxed; only orders LRU choices */
	ClogSlot	slots[CLOG_SLOTS_PER_BANK];
} __attribute__((aligned(CACHELINE_SIZE))) ClogBank;

typedef struct ClogShared
{
	/*
	 * extend_lock serialises page creation. latest_page: every xid that
	 * returned from ClogExtend is on a page <= latest_page, and no page past
	 * it holds a status (README C2). Written under extend_lock, read without.
	 */
	LWLock		extend_lock;
	_Atomic int64_t latest_page;

	/*
	 * Segments below oldest_segment were removed by ClogTruncate: every
	 * tuple with an xid there is frozen (storage/README.md, "Vacuum"), so
	 * nothing should ask; if something does, the answer is COMMITTED.
	 * Written by ClogTruncate and ClogStartup, read without a lock.
	 */
	_Atomic int64_t oldest_segment;
	ClogBank	banks[CLOG_BANKS];
} ClogShared;

#define CLOG_XACTS_PER_SEGMENT (CLOG_XACTS_PER_PAGE * CLOG_PAGES_PER_SEGMENT)

static ClogShared *clog;
static char *clog_pages;		/* CLOG_SLOTS pages, slot i at i * BLCKSZ */

static inline char *
slot_page(int bankno, int slotno)
{
	return clog_pages + ((size_t) bankno * CLOG_SLOTS_PER_BANK + slotno) * BLCKSZ;
}

size_t
ClogShmemSize(void)
{
	return ShmemAddSize(CACHELINE_ALIGN(sizeof(ClogShared)), (size_t) CLOG_SLOTS * BLCKSZ);
}

void
ClogShmemInit(void)
{
	clog = ShmemAlloc(sizeof(ClogShared));
	clog_pages = ShmemAlloc((size_t) CLOG_SLOTS * BLCKSZ);
	LWLockInit(&clog->extend_lock, LWTRANCHE_CLOG);
	atomic_store(&clog->latest_page, -1);
	for (int b = 0; b < CLOG_BANKS; b++)
	{
		LWLockInit(&clog->banks[b].lock, LWTRANCHE_CLOG);
		for (int s = 0; s < CLOG_SLOTS_PER_BANK; s++)
			clog->banks[b].slots[s].pageno = -1;
	}
}

/* ---------------------------------------------------------------- files */

static void
segment_path(char *buf, size_t len, int64_t segno)
{
	snprintf(buf, len, "%s/%04" PRIX64, CLOG_DIR, (uint64_t) segno);
}

/* Read page pageno into dst; a missing file or block reads as zeros. */
static bool
read_page(int64_t pageno, char *dst)
{
	char		path[64];
	int			fd;
	ssize_t		n;
	off_t		off = (off_t) (pageno % CLOG_PAGES_PER_SEGMENT) * BLCKSZ;

	segment_path(path, sizeof(path), pageno / CLOG_PAGES_PER_SEGMENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
	{
		if (errno == ENOENT)
		{
			memset(dst, 0, BLCKSZ);
			return true;
		}
		elog(WARNING, "could not open commit log file \"%s\": %m", path);
		return false;
	}
	n = pread(fd, dst, BLCKSZ, off);
	if (n < 0)
	{
		elog(WARNING, "could not read commit log file \"%s\": %m", path);
		close(fd);
		return false;
	}
	/* Past the end (never written yet) reads as zeros. */
	if (n < BLCKSZ)
		memset(dst + n, 0, BLCKSZ - (size_t) n);
	close(fd);
	return true;
}

/*
 * Write a slot's page, flushing WAL first past every commit it records
 * (README C3). With sync, fdatasync the file before returning (evictions;
 * the checkpointer syncs once per segment instead). Bank lock EXCLUSIVE.
 */
static bool
write_slot(int bankno, int slotno, bool sync)
{
	ClogSlot   *slot = &clog->banks[bankno].slots[slotno];
	XLogRecPtr	max_lsn = InvalidXLogRecPtr;
	char		path[64];
	int			fd;
	off_t		off = (off_t) (slot->pageno % CLOG_PAGES_PER_SEGMENT) * BLCKSZ;

	for (int g = 0; g < CLOG_GROUPS_PER_PAGE; g++)
		if (slot->group_lsn[g] > max_lsn)
			max_lsn = slot->group_lsn[g];
	if (max_lsn != InvalidXLogRecPtr && !InRecovery() && !XLogFlush(max_lsn))
		return false;

	if (mkdir(CLOG_DIR, 0700) != 0 && errno != EEXIST)
	{
		elog(WARNING, "could not create directory \"%s\": %m", CLOG_DIR);
		return false;
	}
	segment_path(path, sizeof(path), slot->pageno / CLOG_PAGES_PER_SEGMENT);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
	{
		elog(WARNING, "could not open commit log file \"%s\": %m", path);
		return false;
	}
	if (pwrite(fd, slot_page(bankno, slotno), BLCKSZ, off) != BLCKSZ)
	{
		if (errno == 0)
			errno = ENOSPC;
		elog(WARNING, "could not write commit log file \"%s\": %m", path);
		close(fd);
		return false;
	}
	if (sync && fdatasync(fd) != 0)
	{
		/* The page may or may not be on disk: only recovery can tell. */
		elog(PANIC, "could not fsync commit log file \"%s\": %m", path);
	}
	close(fd);
	slot->dirty = false;
	return true;
}

/* ---------------------------------------------------------------- cache */

static int
find_slot(ClogBank *bank, int64_t pageno)
{
	for (int s = 0; s < CLOG_SLOTS_PER_BANK; s++)
		if (bank->slots[s].pageno == pageno)
		{
			atomic_store_explicit(&bank->slots[s].lru,
								  atomic_fetch_add_explicit(&bank->clock, 1, memory_order_relaxed),
								  memory_order_relaxed);
			return s;
		}
	return -1;
}

/*
 * Get a slot for pageno, loading it (or zeroing it when zero is true).
 * Bank lock EXCLUSIVE. Returns -1, logged, on an I/O error; the bank is
 * then unchanged apart from a written-back victim.
 */
static int
get_slot(int bankno, int64_t pageno, bool zero)
{
	ClogBank   *bank = &clog->banks[bankno];
	ClogSlot   *slot;
	int			victim = -1;
	uint32_t	oldest = 0;
	uint32_t	now = atomic_load_explicit(&bank->clock, memory_order_relaxed);
	int			s = find_slot(bank, pageno);

	if (s >= 0)
	{
		if (zero)
		{
			memset(slot_page(bankno, s), 0, BLCKSZ);
			memset(bank->slots[s].group_lsn, 0, sizeof(bank->slots[s].group_lsn));
			bank->slots[s].dirty = true;
		}
		return s;
	}

	for (s = 0; s < CLOG_SLOTS_PER_BANK; s++)
	{
		uint32_t	age;

		if (bank->slots[s].pageno < 0)
		{
			victim = s;
			break;
		}
		age = now - atomic_load_explicit(&bank->slots[s].lru, memory_order_relaxed);
		if (victim < 0 || age > oldest)
		{
			victim = s;
			oldest = age;
		}
	}
	slot = &bank->slots[victim];
	if (slot->pageno >= 0 && slot->dirty && !write_slot(bankno, victim, true))
		return -1;
	slot->pageno = -1;
	if (zero)
		memset(slot_page(bankno, victim), 0, BLCKSZ);
	else if (!read_page(pageno, slot_page(bankno, victim)))
		return -1;
	slot->pageno = pageno;
	slot->dirty = zero;
	memset(slot->group_lsn, 0, sizeof(slot->group_lsn));
	atomic_store_explicit(&slot->lru, atomic_fetch_add_explicit(&bank->clock, 1, memory_order_relaxed),
						  memory_order_relaxed);
	return victim;
}

XidStatus
ClogGetStatus(uint64_t xid, XLogRecPtr *lsn)
{
	int64_t		pageno = CLOG_PAGENO(xid);
	int			bankno = (int) (pageno % CLOG_BANKS);
	ClogBank   *bank = &clog->banks[bankno];
	int			s;
	XidStatus	status;

	if (lsn)
		*lsn = InvalidXLogRecPtr;
	/* xid 1 is the frozen xid: committed and visible to everyone. */
	if (xid == 1)
		return XID_COMMITTED;
	if (xid == 0)
		return XID_ABORTED;
	if ((int64_t) (xid / CLOG_XACTS_PER_SEGMENT) < atomic_load_explicit(&clog->oldest_segment, memory_order_relaxed))
	{
		static bool warned;

		if (!warned)
			elog(WARNING, "transaction %" PRIu64 " is older than the truncated commit log; "
				 "taken as committed", xid);
		warned = true;
		return XID_COMMITTED;
	}

	LWLockAcquire(&bank->lock, LW_SHARED);
	s = find_slot(bank, pageno);
	if (s < 0)
	{
		LWLockRelease(&bank->lock);
		LWLockAcquire(&bank->lock, LW_EXCLUSIVE);
		s = get_slot(bankno, pageno, false);
		if (s < 0)
		{
			LWLockRelease(&bank->lock);
			/*
			 * Unreadable commit log: reporting "in progress" makes every
			 * reader treat the xid as not committed, and no hint is set.
			 */
			elog(WARNING, "could not read commit log page %" PRId64 " for transaction %" PRIu64,
				 pageno, xid);
			return XID_IN_PROGRESS;
		}
	}
	status = (XidStatus) ((slot_page(bankno, s)[CLOG_BYTENO(xid)] >> CLOG_BITSHIFT(xid)) &
						  CLOG_XACT_BITMASK);
	if (lsn && status == XID_COMMITTED)
		*lsn = bank->slots[s].group_lsn[CLOG_GROUPNO(xid)];
	LWLockRelease(&bank->lock);
	return status;
}

bool
ClogSetStatus(uint64_t xid, XidStatus status, XLogRecPtr lsn)
{
	int64_t		pageno = CLOG_PAGENO(xid);
	int			bankno = (int) (pageno % CLOG_BANKS);
	ClogBank   *bank = &clog->banks[bankno];
	ClogSlot   *slot;
	char	   *byte;
	int			s;

	LWLockAcquire(&bank->lock, LW_EXCLUSIVE);
	s = get_slot(bankno, pageno, false);
	if (s < 0)
	{
		LWLockRelease(&bank->lock);
		return false;
	}
	slot = &bank->slots[s];
	byte = slot_page(bankno, s) + CLOG_BYTENO(xid);
	*byte = (char) ((*byte & ~(CLOG_XACT_BITMASK << CLOG_BITSHIFT(xid))) |
					((int) status << CLOG_BITSHIFT(xid)));
	if (lsn > slot->group_lsn[CLOG_GROUPNO(xid)])
		slot->group_lsn[CLOG_GROUPNO(xid)] = lsn;
	slot->dirty = true;
	LWLockRelease(&bank->lock);
	return true;
}

/* Zero page pageno in the cache; log it unless replaying. extend_lock held. */
static bool
zero_page(int64_t pageno, bool log)
{
	int			bankno = (int) (pageno % CLOG_BANKS);
	ClogBank   *bank = &clog->banks[bankno];
	int			s;

	LWLockAcquire(&bank->lock, LW_EXCLUSIVE);
	/* Evict (with any I/O) before the critical section: only that can fail. */
	s = get_slot(bankno, pageno, false);
	if (s < 0)
	{
		LWLockRelease(&bank->lock);
		return false;
	}
	StartCritSection();
	memset(slot_page(bankno, s), 0, BLCKSZ);
	memset(bank->slots[s].group_lsn, 0, sizeof(bank->slots[s].group_lsn));
	bank->slots[s].dirty = true;
	if (log)
	{
		uint64_t	p = (uint64_t) pageno;

		XLogBeginInsert(WAL_RM_CLOG, CLOG_ZEROPAGE, 0);
		XLogRegisterData(&p, sizeof(p));
		/*
		 * Not flushed: a commit record of an xid on this page can only
		 * follow it in the WAL, and flushing that flushes this.
		 */
		(void) XLogInsert();
	}
	EndCritSection();
	LWLockRelease(&bank->lock);
	return true;
}

bool
ClogExtend(uint64_t xid)
{
	int64_t		pageno = CLOG_PAGENO(xid);
	bool		ok = true;

	if (atomic_load(&clog->latest_page) >= pageno)
		return true;
	LWLockAcquire(&clog->extend_lock, LW_EXCLUSIVE);
	for (int64_t p = atomic_load(&clog->latest_page) + 1; p <= pageno && ok; p++)
	{
		ok = zero_page(p, true);
		if (ok)
			atomic_store(&clog->latest_page, p);
	}
	LWLockRelease(&clog->extend_lock);
	return ok;
}

void
ClogStartup(uint64_t next_xid)
{
	DIR		   *dir;
	struct dirent *de;
	int64_t		oldest = -1;

	/* Pages up to the last xid that may have been used exist (README C2). */
	atomic_store(&clog->latest_page, next_xid > 0 ? CLOG_PAGENO(next_xid - 1) : -1);

	/* The oldest segment left by the last truncation. */
	dir = opendir(CLOG_DIR);
	while (dir != NULL && (de = readdir(dir)) != NULL)
	{
		char	   *end;
		unsigned long long segno;

		if (de->d_name[0] == '.')
			continue;
		segno = strtoull(de->d_name, &end, 16);
		if (*end != '\0')
			continue;
		if (oldest < 0 || (int64_t) segno < oldest)
			oldest = (int64_t) segno;
	}
	if (dir != NULL)
		closedir(dir);
	atomic_store(&clog->oldest_segment, oldest < 0 ? 0 : oldest);
}

int
ClogTruncate(uint64_t oldest_needed)
{
	int64_t		cutoff = (int64_t) (oldest_needed / CLOG_XACTS_PER_SEGMENT);
	int64_t		latest = atomic_load(&clog->latest_page);
	int64_t		first = atomic_load(&clog->oldest_segment);
	int			removed = 0;

	/* never the segment holding the newest page */
	if (latest >= 0 && cutoff > latest / CLOG_PAGES_PER_SEGMENT)
		cutoff = latest / CLOG_PAGES_PER_SEGMENT;
	if (cutoff <= first)
		return 0;
	/* publish first: from now on nobody reads these segments */
	atomic_store(&clog->oldest_segment, cutoff);
	for (int b = 0; b < CLOG_BANKS; b++)
	{
		ClogBank   *bank = &clog->banks[b];

		LWLockAcquire(&bank->lock, LW_EXCLUSIVE);
		for (int s = 0; s < CLOG_SLOTS_PER_BANK; s++)
			if (bank->slots[s].pageno >= 0 &&
				bank->slots[s].pageno / CLOG_PAGES_PER_SEGMENT < cutoff)
			{
				bank->slots[s].pageno = -1;
				bank->slots[s].dirty = false;
			}
		LWLockRelease(&bank->lock);
	}
	for (int64_t segno = first; segno < cutoff; segno++)
	{
		char		path[64];

		segment_path(path, sizeof(path), segno);
		if (unlink(path) == 0)
			removed++;
		else if (errno != ENOENT)
			elog(WARNING, "could not remove commit log file \"%s\": %m", path);
	}
	return removed;
}

bool
ClogCheckpoint(void)
{
	int64_t		synced[CLOG_SLOTS];
	int			nsynced = 0;
	bool		ok = true;

	if (clog == NULL)
		return true;			/* a process (or test) without a commit log */
	for (int b = 0; b < CLOG_BANKS; b++)
	{
		ClogBank   *bank = &clog->banks[b];

		LWLockAcquire(&bank->lock, LW_EXCLUSIVE);
		for (int s = 0; s < CLOG_SLOTS_PER_BANK; s++)
		{
			ClogSlot   *slot = &bank->slots[s];
			int64_t		segno = slot->pageno / CLOG_PAGES_PER_SEGMENT;
			bool		seen = false;

			if (slot->pageno < 0 || !slot->dirty)
				continue;
			if (!write_slot(b, s, false))
			{
				ok = false;
				continue;
			}
			for (int i = 0; i < nsynced; i++)
				seen |= synced[i] == segno;
			if (!seen)
				synced[nsynced++] = segno;
		}
		LWLockRelease(&bank->lock);
	}

	for (int i = 0; i < nsynced; i++)
	{
		char		path[64];
		int			fd;

		segment_path(path, sizeof(path), synced[i]);
		fd = open(path, O_RDWR);
		if (fd < 0 || fsync(fd) != 0)
			elog(PANIC, "could not fsync commit log file \"%s\": %m", path);
		close(fd);
	}
	if (nsynced > 0)
	{
		int			fd = open(CLOG_DIR, O_RDONLY | O_DIRECTORY);

		if (fd < 0 || fsync(fd) != 0)
			elog(PANIC, "could not fsync directory \"%s\": %m", CLOG_DIR);
		close(fd);
	}
	return ok;
}

/* ---------------------------------------------------------------- redo */

static bool
clog_redo(XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec)
{
	uint64_t	pageno;
	bool		ok;

	if ((rec->info & WAL_INFO_OPMASK) != CLOG_ZEROPAGE || rec->main_len != sizeof(pageno))
	{
		elog(WARNING, "invalid commit log record at " WAL_PTR_FMT, WAL_PTR_ARGS(lsn));
		return false;
	}
	memcpy(&pageno, rec->main_data, sizeof(pageno));
	LWLockAcquire(&clog->extend_lock, LW_EXCLUSIVE);
	ok = zero_page((int64_t) pageno, false);
	if (ok && atomic_load(&clog->latest_page) < (int64_t) pageno)
		atomic_store(&clog->latest_page, (int64_t) pageno);
	LWLockRelease(&clog->extend_lock);
	return ok;
}

void
ClogRegisterRedo(void)
{
	XLogRegisterRedo(WAL_RM_CLOG, clog_redo);
}
