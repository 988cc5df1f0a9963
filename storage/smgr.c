/*
 * smgr.c
 *	  Storage manager: relation segment files, whole-block pread/pwrite,
 *	  relation sizes and extension locks in shared memory, and the shared
 *	  list of segments that need an fsync at the next checkpoint.
 *
 * NOTES
 *	  Runs in every process that touches relation data: backends (reads,
 *	  evictions, extension), the bgwriter and checkpointer (writes, fsync),
 *	  the startup process (redo). Paths are relative: the server has
 *	  chdir()ed into its data directory.
 *
 *	  Private state: a cache of open segment descriptors, one per (relation,
 *	  segment), each remembering the sync cycle in which this process last
 *	  listed the segment as dirty. Children inherit the parent's descriptors;
 *	  that is harmless (pread/pwrite take explicit offsets).
 *
 *	  Shared state (SmgrShared): the relation table (size and extension lock
 *	  per relation) and the dirty-segment list. Locks, in the order they may
 *	  be taken:
 *		extension lock of one relation -> rel_table_lock -> dirty_lock
 *	  rel_table_lock and dirty_lock are held for a table lookup only, never
 *	  across a system call. The extension lock is held across the write that
 *	  grows the file, and by BufExtend across the buffer pool work that
 *	  follows (storage/README.md, "Buffer manager", lock order).
 *
 *	  The dirty-segment protocol is in storage/README.md, "Storage manager";
 *	  in short a writer lists (rel, segno) with the current sync cycle after
 *	  its pwrite, and SmgrSync bumps the cycle before collecting, so that a
 *	  write is either covered by an fsync that started after it or listed for
 *	  the next one.
 */
#include "config.h"

#include "storage/smgr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/bufpage.h"
#include "storage/elog.h"
#include "storage/fileio.h"
#include "storage/lwlock.h"
#include "storage/mem.h"
#include "storage/shmem.h"

/* Segments listed for fsync at once; past this a writer fsyncs itself. */
#define SMGR_MAX_DIRTY_SEGMENTS 4096

/* Open segment descriptors kept per process before all are closed. */
#define SMGR_MAX_OPEN_FILES 512
#define SMGR_FILE_BUCKETS 256

#define SMGR_PATH_LEN 64

/* Which tranche these locks report; no dedicated tranche exists yet. */
#define SMGR_LWTRANCHE LWTRANCHE_BUFFER_MAPPING

typedef enum SmgrRelStatus
{
	SMGR_REL_FREE = 0,			/* never used: ends a probe sequence */
	SMGR_REL_USED,
} SmgrRelStatus;

/*
 * One relation's shared state. Entries are never removed (SmgrUnlink only
 * sets the size to zero), so a probe sequence never breaks.
 */
typedef struct SmgrRelEntry
{
	/* protected by SmgrShared.rel_table_lock; constant once USED */
	RelNumber	rel;
	int			status;

	/*
	 * Size in blocks, InvalidBlockNumber until first computed from the
	 * files. Written (atomic max, or reset by SmgrUnlink) only while holding
	 * extension_lock EXCLUSIVE, except that SmgrWrite past the end (redo)
	 * raises it with an atomic max; read without a lock.
	 */
	_Atomic uint32_t nblocks;

	/* held EXCLUSIVE while the relation grows or its size is computed */
	LWLock		extension_lock;
} __attribute__((aligned(CACHELINE_SIZE))) SmgrRelEntry;

/* A segment written since the last sync that covered it. */
typedef struct SmgrDirtySegment
{
	RelNumber	rel;
	uint32_t	segno;
	uint64_t	cycle;			/* sync_cycle when last listed */
} SmgrDirtySegment;

typedef struct SmgrShared
{
	LWLock		rel_table_lock; /* rels[].rel and rels[].status */

	LWLock		dirty_lock;		/* ndirty, dirty[], writes of sync_cycle */

	/*
	 * Incremented (under dirty_lock) by every SmgrSync/SmgrSyncAll before it
	 * collects; read without the lock by writers for their fast path.
	 */
	_Atomic uint64_t sync_cycle;
	int			ndirty;			/* dirty_lock */
	SmgrDirtySegment dirty[SMGR_MAX_DIRTY_SEGMENTS];	/* dirty_lock */

	SmgrRelEntry rels[SMGR_MAX_RELATIONS];
} SmgrShared;

/* Private cache of open segments. */
typedef struct SmgrFile
{
	RelNumber	rel;
	uint32_t	segno;
	int			fd;
	uint64_t	listed_cycle;	/* sync_cycle when this process listed it */
	struct SmgrFile *next;
} SmgrFile;

static SmgrShared *smgr_shared;

/*
 * Private direct-mapped cache of relation entries. Safe without a lock:
 * a USED entry never changes its relation.
 */
#define REL_CACHE_SIZE 64
static struct
{
	RelNumber	rel;
	SmgrRelEntry *entry;
}			rel_cache[REL_CACHE_SIZE];
static SmgrFile *file_buckets[SMGR_FILE_BUCKETS];
static int num_open_files;

/* ---------------------------------------------------------------- */
/* shared memory */

size_t
SmgrShmemSize(void)
{
	return sizeof(SmgrShared);
}

void
SmgrShmemInit(void)
{
	smgr_shared = ShmemAlloc(sizeof(SmgrShared));
	memset(rel_cache, 0, sizeof(rel_cache));
	LWLockInit(&smgr_shared->rel_table_lock, SMGR_LWTRANCHE);
	LWLockInit(&smgr_shared->dirty_lock, SMGR_LWTRANCHE);
	atomic_store(&smgr_shared->sync_cycle, 1);
	smgr_shared->ndirty = 0;
	for (int i = 0; i < SMGR_MAX_RELATIONS; i++)
	{
		SmgrRelEntry *e = &smgr_shared->rels[i];

		e->status = SMGR_REL_FREE;
		atomic_store(&e->nblocks, InvalidBlockNumber);
		LWLockInit(&e->extension_lock, SMGR_LWTRANCHE);
	}
}

bool
SmgrInitDataDirectory(char *errbuf, size_t errlen)
{
	if (mkdir("base", 0700) < 0 && errno != EEXIST)
	{
		snprintf(errbuf, errlen, "could not create directory \"base\": %s",
				 strerror(errno));
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* relation table */

static uint32_t
rel_hash(RelNumber rel)
{
	uint32_t	h = rel * 0x9E3779B1u;

	return h ^ (h >> 16);
}

static SmgrRelEntry *
lookup_rel_entry(RelNumber rel, uint32_t start)
{
	SmgrRelEntry *e = rel_cache[rel % REL_CACHE_SIZE].entry;

	if (e != NULL && rel_cache[rel % REL_CACHE_SIZE].rel == rel)
		return e;

	LWLockAcquire(&smgr_shared->rel_table_lock, LW_SHARED);
	for (uint32_t i = 0; i < SMGR_MAX_RELATIONS; i++)
	{
		e = &smgr_shared->rels[(start + i) % SMGR_MAX_RELATIONS];
		if (e->status == SMGR_REL_FREE)
			break;
		if (e->rel == rel)
		{
			LWLockRelease(&smgr_shared->rel_table_lock);
			return e;
		}
	}
	LWLockRelease(&smgr_shared->rel_table_lock);

	/* Not there: insert, looking again since someone may have meanwhile. */
	LWLockAcquire(&smgr_shared->rel_table_lock, LW_EXCLUSIVE);
	for (uint32_t i = 0; i < SMGR_MAX_RELATIONS; i++)
	{
		e = &smgr_shared->rels[(start + i) % SMGR_MAX_RELATIONS];
		if (e->status == SMGR_REL_FREE)
		{
			e->rel = rel;
			atomic_store(&e->nblocks, InvalidBlockNumber);
			e->status = SMGR_REL_USED;
			LWLockRelease(&smgr_shared->rel_table_lock);
			return e;
		}
		if (e->rel == rel)
		{
			LWLockRelease(&smgr_shared->rel_table_lock);
			return e;
		}
	}
	LWLockRelease(&smgr_shared->rel_table_lock);
	elog(WARNING, "could not track relation %u: more than %d relations in use",
		 rel, SMGR_MAX_RELATIONS);
	errno = ENFILE;
	return NULL;
}

/*
 * Find rel's entry, adding it if absent. NULL (logged, errno ENFILE) when
 * the table is full.
 */
static SmgrRelEntry *
rel_entry(RelNumber rel)
{
	uint32_t	start = rel_hash(rel) % SMGR_MAX_RELATIONS;
	SmgrRelEntry *e;

	e = lookup_rel_entry(rel, start);
	if (e != NULL)
	{
		unsigned	c = rel % REL_CACHE_SIZE;

		rel_cache[c].rel = rel;
		rel_cache[c].entry = e;
	}
	return e;
}

/* Raise e->nblocks to at least n. */
static void
nblocks_raise(SmgrRelEntry *e, BlockNumber n)
{
	uint32_t	old = atomic_load(&e->nblocks);

	while (old == InvalidBlockNumber || old < n)
	{
		if (old == InvalidBlockNumber)
			return;				/* unknown: the next reader computes it */
		if (atomic_compare_exchange_weak(&e->nblocks, &old, n))
			return;
	}
}

/* ---------------------------------------------------------------- */
/* private descriptor cache */

static void
seg_path(char *buf, RelNumber rel, uint32_t segno)
{
	if (segno == 0)
		snprintf(buf, SMGR_PATH_LEN, "base/%u", rel);
	else
		snprintf(buf, SMGR_PATH_LEN, "base/%u.%u", rel, segno);
}

static unsigned
file_bucket(RelNumber rel, uint32_t segno)
{
	return (rel_hash(rel) ^ (segno * 0x85EBCA6Bu)) % SMGR_FILE_BUCKETS;
}

/*
 * The open descriptor for one segment, opening (and with create, creating)
 * it on first use. NULL with errno set, and logged unless the file is
 * merely missing and missing_ok.
 */
static SmgrFile *
file_open(RelNumber rel, uint32_t segno, bool create, bool missing_ok)
{
	unsigned	b = file_bucket(rel, segno);
	SmgrFile   *f;
	char		path[SMGR_PATH_LEN];
	int			fd;

	for (f = file_buckets[b]; f != NULL; f = f->next)
		if (f->rel == rel && f->segno == segno)
			return f;

	if (num_open_files >= SMGR_MAX_OPEN_FILES)
		SmgrCloseAll();

	seg_path(path, rel, segno);
	do
		fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
	{
		int			save_errno = errno;

		if (!(missing_ok && errno == ENOENT))
			elog(LOG, "could not open file \"%s\": %m", path);
		errno = save_errno;
		return NULL;
	}
	f = MemAlloc(sizeof(SmgrFile));
	f->rel = rel;
	f->segno = segno;
	f->fd = fd;
	f->listed_cycle = 0;
	f->next = file_buckets[b];
	file_buckets[b] = f;
	num_open_files++;
	return f;
}

static void
file_close_rel(RelNumber rel)
{
	for (int b = 0; b < SMGR_FILE_BUCKETS; b++)
	{
		SmgrFile  **link = &file_buckets[b];

		while (*link != NULL)
		{
			SmgrFile   *f = *link;

			if (f->rel == rel)
			{
				*link = f->next;
				close(f->fd);
				MemFree(f);
				num_open_files--;
			}
			else
				link = &f->next;
		}
	}
}

void
SmgrCloseAll(void)
{
	for (int b = 0; b < SMGR_FILE_BUCKETS; b++)
	{
		SmgrFile   *f = file_buckets[b];

		while (f != NULL)
		{
			SmgrFile   *next = f->next;

			close(f->fd);
			MemFree(f);
			f = next;
		}
		file_buckets[b] = NULL;
	}
	num_open_files = 0;
}

/* ---------------------------------------------------------------- */
/* whole-block I/O */

static off_t
seg_offset(BlockNumber blkno)
{
	return (off_t) (blkno % RELSEG_SIZE) * BLCKSZ;
}

/*
 * List f's segment for the next sync after a write to it. The fast path
 * needs no lock: if this process listed the segment in the current cycle,
 * no sync has collected it since, so the sync that will collect it starts
 * after our write. If the list is full, fsync here (PostgreSQL's backend
 * fsync when the request queue is full).
 */
static bool
register_dirty(SmgrFile *f)
{
	uint64_t	cycle;
	int			i;

	if (f->listed_cycle == atomic_load(&smgr_shared->sync_cycle))
		return true;

	LWLockAcquire(&smgr_shared->dirty_lock, LW_EXCLUSIVE);
	cycle = atomic_load(&smgr_shared->sync_cycle);
	for (i = 0; i < smgr_shared->ndirty; i++)
		if (smgr_shared->dirty[i].rel == f->rel &&
			smgr_shared->dirty[i].segno == f->segno)
			break;
	if (i == smgr_shared->ndirty)
	{
		if (i == SMGR_MAX_DIRTY_SEGMENTS)
		{
			char		path[SMGR_PATH_LEN];

			LWLockRelease(&smgr_shared->dirty_lock);
			if (fsync(f->fd) < 0)
			{
				int			save_errno = errno;

				seg_path(path, f->rel, f->segno);
				elog(LOG, "could not fsync file \"%s\": %m", path);
				errno = save_errno;
				return false;
			}
			return true;
		}
		smgr_shared->dirty[i].rel = f->rel;
		smgr_shared->dirty[i].segno = f->segno;
		smgr_shared->ndirty++;
	}
	smgr_shared->dirty[i].cycle = cycle;
	LWLockRelease(&smgr_shared->dirty_lock);
	f->listed_cycle = cycle;
	return true;
}

bool
SmgrRead(RelNumber rel, BlockNumber blkno, char *buf)
{
	SmgrFile   *f;
	ssize_t		n;
	char		path[SMGR_PATH_LEN];

	if (blkno > MaxBlockNumber)
	{
		errno = EINVAL;
		return false;
	}
	f = file_open(rel, blkno / RELSEG_SIZE, false, false);
	if (f == NULL)
		return false;
	n = FileReadFull(f->fd, buf, BLCKSZ, seg_offset(blkno));
	if (n == BLCKSZ)
		return true;

	seg_path(path, rel, blkno / RELSEG_SIZE);
	if (n < 0)
	{
		int			save_errno = errno;

		elog(LOG, "could not read block %u in file \"%s\": %m", blkno, path);
		errno = save_errno;
	}
	else
	{
		elog(LOG, "could not read block %u in file \"%s\": read only %zd of %d bytes",
			 blkno, path, n, BLCKSZ);
		errno = EIO;
	}
	return false;
}

bool
SmgrWrite(RelNumber rel, BlockNumber blkno, const char *buf)
{
	SmgrFile   *f;
	SmgrRelEntry *e;

	if (blkno > MaxBlockNumber)
	{
		errno = EINVAL;
		return false;
	}
	f = file_open(rel, blkno / RELSEG_SIZE, true, false);
	if (f == NULL)
		return false;
	if (!FileWriteFull(f->fd, buf, BLCKSZ, seg_offset(blkno)))
	{
		int			save_errno = errno;
		char		path[SMGR_PATH_LEN];

		seg_path(path, rel, blkno / RELSEG_SIZE);
		elog(LOG, "could not write block %u in file \"%s\": %m", blkno, path);
		errno = save_errno;
		return false;
	}
	if (!register_dirty(f))
		return false;
	/* Redo may write past the cached end. */
	e = rel_entry(rel);
	if (e != NULL)
		nblocks_raise(e, blkno + 1);
	return true;
}

/* ---------------------------------------------------------------- */
/* size and extension */

/* Sum the segment sizes; InvalidBlockNumber (logged) on a stat error. */
static BlockNumber
nblocks_from_files(RelNumber rel)
{
	BlockNumber total = 0;

	for (uint32_t segno = 0;; segno++)
	{
		char		path[SMGR_PATH_LEN];
		struct stat st;
		off_t		blocks;

		seg_path(path, rel, segno);
		if (stat(path, &st) < 0)
		{
			if (errno == ENOENT)
				return total;
			elog(LOG, "could not stat file \"%s\": %m", path);
			return InvalidBlockNumber;
		}
		blocks = st.st_size / BLCKSZ;
		if (blocks < (off_t) RELSEG_SIZE)
			return total + (BlockNumber) blocks;
		total += RELSEG_SIZE;
	}
}

/* Caller holds e->extension_lock EXCLUSIVE. */
static BlockNumber
nblocks_locked(SmgrRelEntry *e)
{
	BlockNumber n = atomic_load(&e->nblocks);

	if (n == InvalidBlockNumber)
	{
		n = nblocks_from_files(e->rel);
		if (n != InvalidBlockNumber)
			atomic_store(&e->nblocks, n);
	}
	return n;
}

BlockNumber
SmgrNblocks(RelNumber rel)
{
	SmgrRelEntry *e = rel_entry(rel);
	BlockNumber n;

	if (e == NULL)
		return InvalidBlockNumber;
	n = atomic_load(&e->nblocks);
	if (n != InvalidBlockNumber)
		return n;
	LWLockAcquire(&e->extension_lock, LW_EXCLUSIVE);
	n = nblocks_locked(e);
	LWLockRelease(&e->extension_lock);
	return n;
}

bool
SmgrLockRelationForExtension(RelNumber rel)
{
	SmgrRelEntry *e = rel_entry(rel);

	if (e == NULL)
		return false;
	LWLockAcquire(&e->extension_lock, LW_EXCLUSIVE);
	return true;
}

void
SmgrUnlockRelationForExtension(RelNumber rel)
{
	SmgrRelEntry *e = rel_entry(rel);

	/* The entry exists: the lock could not have been taken otherwise. */
	LWLockRelease(&e->extension_lock);
}

/*
 * Write a zero block at the end. On failure the file is cut back to its
 * old length so that no partial block remains, the cached size is
 * unchanged, and errno says why (ENOSPC for a full disk).
 */
/* errno of the last extension that failed for want of space (SmgrTakeSpaceError) */
static int	extend_space_errno;

int
SmgrTakeSpaceError(void)
{
	int			e = extend_space_errno;

	extend_space_errno = 0;
	return e;
}

BlockNumber
SmgrExtendLocked(RelNumber rel)
{
	static const char zeros[BLCKSZ];
	SmgrRelEntry *e = rel_entry(rel);
	BlockNumber blkno;
	SmgrFile   *f;
	char		path[SMGR_PATH_LEN];
	int			save_errno;

	if (e == NULL)
		return InvalidBlockNumber;
	blkno = nblocks_locked(e);
	if (blkno == InvalidBlockNumber)
	{
		errno = EIO;
		return InvalidBlockNumber;
	}
	if (blkno > MaxBlockNumber - 1)
	{
		elog(WARNING, "cannot extend relation %u beyond %u blocks", rel, blkno);
		errno = EFBIG;
		return InvalidBlockNumber;
	}
	f = file_open(rel, blkno / RELSEG_SIZE, true, false);
	if (f == NULL)
		return InvalidBlockNumber;
	if (!FileWriteFull(f->fd, zeros, BLCKSZ, seg_offset(blkno)))
	{
		save_errno = errno;
		seg_path(path, rel, blkno / RELSEG_SIZE);
		elog(LOG, "could not extend file \"%s\": %m", path);
		if (save_errno == ENOSPC || save_errno == EDQUOT)
			extend_space_errno = save_errno;
		if (ftruncate(f->fd, seg_offset(blkno)) < 0)
			elog(LOG, "could not truncate file \"%s\" back to %u blocks: %m",
				 path, blkno % RELSEG_SIZE);
		errno = save_errno;
		return InvalidBlockNumber;
	}
	/* The new length must survive a crash once a checkpoint relies on it. */
	if (!register_dirty(f))
		return InvalidBlockNumber;
	nblocks_raise(e, blkno + 1);
	return blkno;
}

BlockNumber
SmgrExtend(RelNumber rel)
{
	BlockNumber blkno;
	int			save_errno;

	if (!SmgrLockRelationForExtension(rel))
		return InvalidBlockNumber;
	blkno = SmgrExtendLocked(rel);
	save_errno = errno;
	SmgrUnlockRelationForExtension(rel);
	errno = save_errno;
	return blkno;
}

/* ---------------------------------------------------------------- */
/* fsync */

/*
 * fsync the listed segments of rel (all relations if all_rels). The cycle
 * is bumped before collecting: a segment listed again after that carries
 * the new cycle and stays listed for the next call.
 */
static bool
sync_segments(bool all_rels, RelNumber rel)
{
	SmgrDirtySegment *todo;
	int			ntodo = 0;
	uint64_t	cycle;
	bool		ok = true;

	LWLockAcquire(&smgr_shared->dirty_lock, LW_EXCLUSIVE);
	cycle = atomic_fetch_add(&smgr_shared->sync_cycle, 1);	/* old value */
	todo = MemAlloc(sizeof(SmgrDirtySegment) * (size_t) (smgr_shared->ndirty + 1));
	for (int i = 0; i < smgr_shared->ndirty; i++)
		if (all_rels || smgr_shared->dirty[i].rel == rel)
			todo[ntodo++] = smgr_shared->dirty[i];
	LWLockRelease(&smgr_shared->dirty_lock);

	for (int i = 0; i < ntodo; i++)
	{
		SmgrFile   *f = file_open(todo[i].rel, todo[i].segno, false, true);
		char		path[SMGR_PATH_LEN];

		if (f == NULL)
		{
			if (errno == ENOENT)
				continue;		/* unlinked since: nothing to make durable */
			ok = false;
			break;
		}
		if (fsync(f->fd) < 0)
		{
			int			save_errno = errno;

			/*
			 * Do not retry: the kernel may have dropped the dirty pages and
			 * cleared the error, so a second fsync could succeed without the
			 * data being on disk (storage/README.md, fsync failures).
			 */
			seg_path(path, todo[i].rel, todo[i].segno);
			elog(LOG, "could not fsync file \"%s\": %m", path);
			errno = save_errno;
			ok = false;
			break;
		}
	}

	if (ok)
	{
		LWLockAcquire(&smgr_shared->dirty_lock, LW_EXCLUSIVE);
		for (int t = 0; t < ntodo; t++)
			for (int i = 0; i < smgr_shared->ndirty; i++)
			{
				SmgrDirtySegment *d = &smgr_shared->dirty[i];

				if (d->rel != todo[t].rel || d->segno != todo[t].segno)
					continue;
				if (d->cycle <= cycle)
					*d = smgr_shared->dirty[--smgr_shared->ndirty];
				break;
			}
		LWLockRelease(&smgr_shared->dirty_lock);
	}
	MemFree(todo);
	return ok;
}

bool
SmgrSync(RelNumber rel)
{
	return sync_segments(false, rel);
}

bool
SmgrSyncAll(void)
{
	return sync_segments(true, 0);
}

int
SmgrPendingSyncCount(void)
{
	int			n;

	LWLockAcquire(&smgr_shared->dirty_lock, LW_SHARED);
	n = smgr_shared->ndirty;
	LWLockRelease(&smgr_shared->dirty_lock);
	return n;
}

/* ---------------------------------------------------------------- */
/* unlink */

/*
 * Remove every segment of rel and forget its pending fsyncs. The caller
 * guarantees that no other process uses the relation (recovery, or a
 * single process at start-up): their cached descriptors are not closed.
 */
bool
SmgrUnlink(RelNumber rel)
{
	SmgrRelEntry *e = rel_entry(rel);
	bool		ok = true;

	if (e == NULL)
		return false;
	LWLockAcquire(&e->extension_lock, LW_EXCLUSIVE);
	file_close_rel(rel);

	LWLockAcquire(&smgr_shared->dirty_lock, LW_EXCLUSIVE);
	for (int i = 0; i < smgr_shared->ndirty;)
	{
		if (smgr_shared->dirty[i].rel == rel)
			smgr_shared->dirty[i] = smgr_shared->dirty[--smgr_shared->ndirty];
		else
			i++;
	}
	LWLockRelease(&smgr_shared->dirty_lock);

	/* Upward, stopping at the first missing segment. */
	for (uint32_t segno = 0;; segno++)
	{
		char		path[SMGR_PATH_LEN];

		seg_path(path, rel, segno);
		if (unlink(path) < 0)
		{
			if (errno != ENOENT)
			{
				elog(LOG, "could not remove file \"%s\": %m", path);
				ok = false;
			}
			break;
		}
	}
	atomic_store(&e->nblocks, ok ? 0 : InvalidBlockNumber);
	LWLockRelease(&e->extension_lock);
	return ok;
}

/* fsync every regular file in dir, then dir itself; false at the first failure. */
static bool
sync_dir_files(const char *dirname, int *nfiles)
{
	DIR		   *dir = opendir(dirname);
	struct dirent *de;
	bool		ok = true;
	int			fd;

	if (dir == NULL)
		return errno == ENOENT;
	while (ok && (de = readdir(dir)) != NULL)
	{
		char		path[512];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirname, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		fd = open(path, O_RDONLY);
		if (fd < 0)
		{
			elog(WARNING, "could not open \"%s\" to sync it: %m", path);
			ok = false;
			break;
		}
		if (fsync(fd) != 0)
		{
			elog(WARNING, "could not fsync \"%s\": %m", path);
			ok = false;
		}
		close(fd);
		(*nfiles)++;
	}
	closedir(dir);
	return ok && FileFsyncDir(dirname);
}

bool
SmgrSyncDataDirectory(void)
{
	static const char *const dirs[] = {"base", "xact", "global"};
	int			nfiles = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!sync_dir_files(dirs[i], &nfiles))
			return false;
	elog(LOG, "synced %d data files written before the crash", nfiles);
	return true;
}
