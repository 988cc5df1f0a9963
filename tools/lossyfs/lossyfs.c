/*
 * lossyfs.c
 *	  A FUSE file system that passes everything through to a backing
 *	  directory, except that file data not yet made durable lives only in
 *	  this process's memory and can be thrown away on command: a power cut
 *	  for the programs using the mount.
 *
 *	  Usage: lossyfs BACKING_DIR MOUNTPOINT [FUSE options, e.g. -f -s]
 *	         stat MOUNTPOINT/.lossyfs_drop   forget every unsynced write
 *	         stat MOUNTPOINT/.lossyfs_sync   make every write durable
 *	         stat MOUNTPOINT/.lossyfs_failsync   the next fsync fails
 *	  (the stats then fail with ENOENT; that is expected). SIGUSR1 also
 *	  drops. Each drop and sync logs a line on stderr with what it did.
 *
 * NOTES
 *	  Durability model ("the disk"):
 *	  - Data written with write(2) is held per file (by the backing file's
 *	    device and inode, so links and renames keep it) in 4 KiB pages,
 *	    together with the file's size as the writers see it. Reads see it.
 *	  - fsync and fdatasync of a file write all its held pages to the
 *	    backing file: from then on they survive a drop. A write through a
 *	    descriptor opened with O_SYNC or O_DSYNC reaches the backing file
 *	    before write(2) returns (only those bytes; other held pages of the
 *	    file stay held, as an O_DSYNC write promises nothing about them).
 *	  - A drop forgets every held page and every unsynced size change: each
 *	    file reads back as its last synced contents and length.
 *	  - Metadata operations (create, mkdir, unlink, rmdir, rename, link,
 *	    truncate, chmod, utimens) go to the backing directory at once and
 *	    are never lost, so this finds missing data flushes, not missing
 *	    directory fsyncs (fsyncdir is accepted and does nothing). A file
 *	    created and never synced survives a drop empty.
 *	  - The backing files themselves are not fsynced: the machine under the
 *	    backing directory never loses power, only the mount does.
 *	  - The kernel's page cache is bypassed (direct_io) and attributes are
 *	    not cached, so after a drop every reader sees the backing contents.
 *	    mmap of files is therefore unsupported. fallocate is refused with
 *	    EOPNOTSUPP (glibc's posix_fallocate then writes zeros).
 *	  - A failed fsync (armed by .lossyfs_failsync, once) returns EIO and
 *	    forgets that file's unsynced pages, as Linux may after a failed
 *	    writeback (it marks the pages clean and reports the error once):
 *	    a later fsync of the file succeeds, and the lost writes stay lost.
 *	  - Run it single-threaded (-s); a global mutex covers the
 *	    multi-threaded loop too.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#define LPAGE 4096
#define NBUCKETS 1024
#define DROP_NAME "/.lossyfs_drop"
#define SYNC_NAME "/.lossyfs_sync"
#define FAILSYNC_NAME "/.lossyfs_failsync"

static bool fail_next_fsync;	/* armed by FAILSYNC_NAME */

/* One 4 KiB page of a file that differs from the backing file. */
typedef struct HeldPage
{
	uint64_t	index;			/* byte offset / LPAGE */
	struct HeldPage *next;
	char		bytes[LPAGE];
} HeldPage;

/* What is held of one backing file. */
typedef struct Held
{
	dev_t		dev;
	ino_t		ino;
	off_t		size;			/* size as writers see it */
	uint64_t	npages;
	HeldPage   *buckets[NBUCKETS];
	struct Held *next;
} Held;

/* An open file: fi->fh is an index into this table. */
typedef struct Handle
{
	bool		used;
	int			fd;
	dev_t		dev;
	ino_t		ino;
	bool		sync_writes;	/* opened O_SYNC or O_DSYNC */
} Handle;

static char backing_dir[PATH_MAX];
static Held *held_files;
static Handle *handles;
static size_t nhandles;
static pthread_mutex_t fs_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t drop_requested;

static struct
{
	uint64_t	drops,
				dropped_pages,
				dropped_files,
				synced_pages,
				fsyncs;
} stats;

/* ---------------------------------------------------------------- helpers */

static void
real_path(char *out, const char *path)
{
	snprintf(out, PATH_MAX, "%s%s", backing_dir, path);
}

static Held *
held_find(dev_t dev, ino_t ino)
{
	for (Held *h = held_files; h; h = h->next)
		if (h->dev == dev && h->ino == ino)
			return h;
	return NULL;
}

static Held *
held_get(dev_t dev, ino_t ino, int fd)
{
	Held	   *h = held_find(dev, ino);
	struct stat st;

	if (h)
		return h;
	if (fstat(fd, &st) != 0)
		return NULL;
	h = calloc(1, sizeof(Held));
	if (h == NULL)
		return NULL;
	h->dev = dev;
	h->ino = ino;
	h->size = st.st_size;
	h->next = held_files;
	held_files = h;
	return h;
}

static HeldPage *
page_find(Held *h, uint64_t index)
{
	for (HeldPage *p = h->buckets[index % NBUCKETS]; p; p = p->next)
		if (p->index == index)
			return p;
	return NULL;
}

static void
held_free(Held *h)
{
	for (int i = 0; i < NBUCKETS; i++)
	{
		HeldPage   *p = h->buckets[i];

		while (p)
		{
			HeldPage   *n = p->next;

			free(p);
			p = n;
		}
	}
	free(h);
}

static void
held_forget(dev_t dev, ino_t ino)
{
	for (Held **hp = &held_files; *hp; hp = &(*hp)->next)
	{
		if ((*hp)->dev == dev && (*hp)->ino == ino)
		{
			Held	   *h = *hp;

			*hp = h->next;
			held_free(h);
			return;
		}
	}
}

static bool
inode_is_open(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < nhandles; i++)
		if (handles[i].used && handles[i].dev == dev && handles[i].ino == ino)
			return true;
	return false;
}

/* Read [off, off+len) of the backing file; zeros past its end. */
static int
backing_read(int fd, char *buf, size_t len, off_t off)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pread(fd, buf + done, len - done, off + (off_t) done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
		{
			memset(buf + done, 0, len - done);
			break;
		}
		done += (size_t) n;
	}
	return 0;
}

static int
backing_write(int fd, const char *buf, size_t len, off_t off)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pwrite(fd, buf + done, len - done, off + (off_t) done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t) n;
	}
	return 0;
}

/*
 * Write every held page of h to fd (clipped to the held size) and forget
 * them. On an error the pages stay held.
 */
static int
held_flush(Held *h, int fd)
{
	for (int i = 0; i < NBUCKETS; i++)
	{
		while (h->buckets[i])
		{
			HeldPage   *p = h->buckets[i];
			off_t		start = (off_t) p->index * LPAGE;
			size_t		len = LPAGE;
			int			rc;

			if (start >= h->size)
				len = 0;
			else if (start + LPAGE > h->size)
				len = (size_t) (h->size - start);
			rc = backing_write(fd, p->bytes, len, start);
			if (rc != 0)
				return rc;
			h->buckets[i] = p->next;
			free(p);
			h->npages--;
			stats.synced_pages++;
		}
	}
	/* A size grown by writes that left no page (impossible) or shrunk. */
	{
		struct stat st;

		if (fstat(fd, &st) == 0 && st.st_size < h->size && ftruncate(fd, h->size) != 0)
			return -errno;
	}
	held_forget(h->dev, h->ino);
	return 0;
}

static void
drop_all(const char *why)
{
	uint64_t	pages = 0,
				files = 0;

	while (held_files)
	{
		Held	   *h = held_files;

		held_files = h->next;
		pages += h->npages;
		files++;
		held_free(h);
	}
	stats.drops++;
	stats.dropped_pages += pages;
	stats.dropped_files += files;
	fprintf(stderr, "lossyfs: power cut (%s): dropped %llu unsynced page(s) of %llu file(s)\n",
			why, (unsigned long long) pages, (unsigned long long) files);
}

/* Make everything durable (clean unmount, or .lossyfs_sync). */
static void
sync_all(void)
{
	uint64_t	files = 0;

	while (held_files)
	{
		Held	   *h = held_files;
		int			fd = -1;

		/* Find an open descriptor for it; otherwise its data is lost. */
		for (size_t i = 0; i < nhandles && fd < 0; i++)
			if (handles[i].used && handles[i].dev == h->dev && handles[i].ino == h->ino)
				fd = handles[i].fd;
		if (fd < 0 || held_flush(h, fd) != 0)
		{
			held_files = h->next;
			held_free(h);
		}
		files++;
	}
	fprintf(stderr, "lossyfs: synced %llu file(s)\n", (unsigned long long) files);
}

static void
check_drop_signal(void)
{
	if (drop_requested)
	{
		drop_requested = 0;
		drop_all("SIGUSR1");
	}
}

static void
on_sigusr1(int sig)
{
	drop_requested = 1;
}

static Handle *
handle_of(struct fuse_file_info *fi)
{
	if (fi == NULL || fi->fh >= nhandles || !handles[fi->fh].used)
		return NULL;
	return &handles[fi->fh];
}

static int
handle_new(int fd, bool sync_writes, uint64_t *out)
{
	struct stat st;
	size_t		i;

	if (fstat(fd, &st) != 0)
		return -errno;
	for (i = 0; i < nhandles; i++)
		if (!handles[i].used)
			break;
	if (i == nhandles)
	{
		size_t		n = nhandles ? nhandles * 2 : 64;
		Handle	   *t = realloc(handles, n * sizeof(Handle));

		if (t == NULL)
			return -ENOMEM;
		memset(t + nhandles, 0, (n - nhandles) * sizeof(Handle));
		handles = t;
		nhandles = n;
	}
	handles[i].used = true;
	handles[i].fd = fd;
	handles[i].dev = st.st_dev;
	handles[i].ino = st.st_ino;
	handles[i].sync_writes = sync_writes;
	*out = i;
	return 0;
}

/* Apply the held size to a stat result. */
static void
fix_size(struct stat *st)
{
	Held	   *h;

	if (S_ISREG(st->st_mode) && (h = held_find(st->st_dev, st->st_ino)) != NULL)
	{
		st->st_size = h->size;
		st->st_blocks = (h->size + 511) / 512;
	}
}

#define LOCKED(expr) \
	do { \
		int			rc_; \
		pthread_mutex_lock(&fs_lock); \
		check_drop_signal(); \
		rc_ = (expr); \
		pthread_mutex_unlock(&fs_lock); \
		return rc_; \
	} while (0)

/* ---------------------------------------------------------------- operations */

static void *
lfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->hard_remove = 1;		/* no .fuse_hidden files for open unlinked files */
	cfg->nullpath_ok = 1;
	return NULL;
}

static void
lfs_destroy(void *data)
{
	pthread_mutex_lock(&fs_lock);
	sync_all();
	for (size_t i = 0; i < nhandles; i++)
		if (handles[i].used)
			close(handles[i].fd);
	pthread_mutex_unlock(&fs_lock);
}

static int
do_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	char		rp[PATH_MAX];

	if (path && strcmp(path, DROP_NAME) == 0)
	{
		drop_all(DROP_NAME);
		return -ENOENT;
	}
	if (path && strcmp(path, SYNC_NAME) == 0)
	{
		sync_all();
		return -ENOENT;
	}
	if (path && strcmp(path, FAILSYNC_NAME) == 0)
	{
		fail_next_fsync = true;
		fprintf(stderr, "lossyfs: the next fsync will fail\n");
		return -ENOENT;
	}
	if (hd)
	{
		if (fstat(hd->fd, st) != 0)
			return -errno;
	}
	else
	{
		if (path == NULL)
			return -EBADF;
		real_path(rp, path);
		if (lstat(rp, st) != 0)
			return -errno;
	}
	fix_size(st);
	return 0;
}

static int
lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	LOCKED(do_getattr(path, st, fi));
}

static int
do_opendir(const char *path, struct fuse_file_info *fi)
{
	char		rp[PATH_MAX];
	DIR		   *d;

	real_path(rp, path);
	d = opendir(rp);
	if (d == NULL)
		return -errno;
	fi->fh = (uint64_t) (uintptr_t) d;
	return 0;
}

static int
lfs_opendir(const char *path, struct fuse_file_info *fi)
{
	LOCKED(do_opendir(path, fi));
}

/* The whole directory in one call (offset 0 to the filler). */
static int
do_readdir(void *buf, fuse_fill_dir_t filler, struct fuse_file_info *fi)
{
	DIR		   *d = (DIR *) (uintptr_t) fi->fh;
	struct dirent *de;

	rewinddir(d);
	while ((de = readdir(d)) != NULL)
	{
		struct stat st;

		memset(&st, 0, sizeof(st));
		st.st_ino = de->d_ino;
		st.st_mode = (mode_t) DTTOIF(de->d_type);
		if (filler(buf, de->d_name, &st, 0, 0))
			break;
	}
	return 0;
}

static int
lfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
			struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	LOCKED(do_readdir(buf, filler, fi));
}

static int
lfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	closedir((DIR *) (uintptr_t) fi->fh);
	return 0;
}

static int
do_mkdir(const char *path, mode_t mode)
{
	char		rp[PATH_MAX];

	real_path(rp, path);
	return mkdir(rp, mode) == 0 ? 0 : -errno;
}

static int
lfs_mkdir(const char *path, mode_t mode)
{
	LOCKED(do_mkdir(path, mode));
}

static int
do_rmdir(const char *path)
{
	char		rp[PATH_MAX];

	real_path(rp, path);
	return rmdir(rp) == 0 ? 0 : -errno;
}

static int
lfs_rmdir(const char *path)
{
	LOCKED(do_rmdir(path));
}

/* The last name of a file is going away: forget what is held for it. */
static void
name_going(const char *rp)
{
	struct stat st;

	if (lstat(rp, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink <= 1 &&
		!inode_is_open(st.st_dev, st.st_ino))
		held_forget(st.st_dev, st.st_ino);
}

static int
do_unlink(const char *path)
{
	char		rp[PATH_MAX];

	real_path(rp, path);
	name_going(rp);
	return unlink(rp) == 0 ? 0 : -errno;
}

static int
lfs_unlink(const char *path)
{
	LOCKED(do_unlink(path));
}

static int
do_rename(const char *from, const char *to, unsigned int flags)
{
	char		rf[PATH_MAX],
				rt[PATH_MAX];

	real_path(rf, from);
	real_path(rt, to);
	if (flags != 0)
		return renameat2(AT_FDCWD, rf, AT_FDCWD, rt, flags) == 0 ? 0 : -errno;
	name_going(rt);
	return rename(rf, rt) == 0 ? 0 : -errno;
}

static int
lfs_rename(const char *from, const char *to, unsigned int flags)
{
	LOCKED(do_rename(from, to, flags));
}

static int
do_link(const char *from, const char *to)
{
	char		rf[PATH_MAX],
				rt[PATH_MAX];

	real_path(rf, from);
	real_path(rt, to);
	return link(rf, rt) == 0 ? 0 : -errno;
}

static int
lfs_link(const char *from, const char *to)
{
	LOCKED(do_link(from, to));
}

static int
do_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	char		rp[PATH_MAX];

	if (hd)
		return fchmod(hd->fd, mode) == 0 ? 0 : -errno;
	real_path(rp, path);
	return chmod(rp, mode) == 0 ? 0 : -errno;
}

static int
lfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	LOCKED(do_chmod(path, mode, fi));
}

static int
do_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	char		rp[PATH_MAX];

	if (hd)
		return futimens(hd->fd, tv) == 0 ? 0 : -errno;
	real_path(rp, path);
	return utimensat(AT_FDCWD, rp, tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int
lfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	LOCKED(do_utimens(path, tv, fi));
}

/* Truncation is metadata: applied to the backing file at once. */
static int
truncate_fd(int fd, off_t size)
{
	struct stat st;
	Held	   *h;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (ftruncate(fd, size) != 0)
		return -errno;
	h = held_find(st.st_dev, st.st_ino);
	if (h)
	{
		uint64_t	keep = (uint64_t) (size + LPAGE - 1) / LPAGE;

		for (int i = 0; i < NBUCKETS; i++)
		{
			HeldPage  **pp = &h->buckets[i];

			while (*pp)
			{
				if ((*pp)->index >= keep)
				{
					HeldPage   *p = *pp;

					*pp = p->next;
					free(p);
					h->npages--;
				}
				else
					pp = &(*pp)->next;
			}
		}
		if (size % LPAGE != 0)
		{
			HeldPage   *p = page_find(h, (uint64_t) size / LPAGE);

			if (p)
				memset(p->bytes + size % LPAGE, 0, LPAGE - (size_t) (size % LPAGE));
		}
		h->size = size;
	}
	return 0;
}

static int
do_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	char		rp[PATH_MAX];
	int			fd,
				rc;

	if (hd)
		return truncate_fd(hd->fd, size);
	real_path(rp, path);
	fd = open(rp, O_WRONLY);
	if (fd < 0)
		return -errno;
	rc = truncate_fd(fd, size);
	close(fd);
	return rc;
}

static int
lfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	LOCKED(do_truncate(path, size, fi));
}

static int
open_common(const char *path, struct fuse_file_info *fi, bool create, mode_t mode)
{
	char		rp[PATH_MAX];
	int			flags = fi->flags;
	bool		sync_writes = (flags & (O_SYNC | O_DSYNC)) != 0;
	int			fd,
				rc;
	uint64_t	h = 0;
	struct stat before;
	bool		fresh = false;

	real_path(rp, path);
	if (create && lstat(rp, &before) != 0 && errno == ENOENT)
		fresh = true;
	/* The backing descriptor never syncs itself; we model that. */
	flags &= ~(O_SYNC | O_DSYNC | O_APPEND);
	/*
	 * Read-write underneath: pages are filled by reading, and an fsync
	 * through a read-only descriptor must still write the file's held
	 * pages (as Linux's fsync flushes the inode whatever the open mode).
	 * The kernel refuses writes through a read-only FUSE file itself.
	 */
	{
		int			asked = flags;

		flags = (flags & ~O_ACCMODE) | O_RDWR;
		fd = create ? open(rp, flags | O_CREAT, mode) : open(rp, flags);
		if (fd < 0 && (asked & O_ACCMODE) == O_RDONLY &&
			(errno == EACCES || errno == EISDIR || errno == EROFS || errno == EPERM))
			fd = open(rp, asked);
	}
	if (fd < 0)
		return -errno;
	rc = handle_new(fd, sync_writes, &h);
	if (rc != 0)
	{
		close(fd);
		return rc;
	}
	/* A new file may reuse the inode of a forgotten one. */
	if (fresh)
		held_forget(handles[h].dev, handles[h].ino);
	if (flags & O_TRUNC)
		(void) truncate_fd(fd, 0);
	fi->fh = h;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int
lfs_open(const char *path, struct fuse_file_info *fi)
{
	LOCKED(open_common(path, fi, false, 0));
}

static int
lfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	LOCKED(open_common(path, fi, true, mode));
}

static int
do_read(char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	Held	   *h;
	off_t		fsize;
	size_t		done = 0;
	int			rc;

	if (hd == NULL)
		return -EBADF;
	h = held_find(hd->dev, hd->ino);
	if (h)
		fsize = h->size;
	else
	{
		struct stat st;

		if (fstat(hd->fd, &st) != 0)
			return -errno;
		fsize = st.st_size;
	}
	if (off >= fsize)
		return 0;
	if ((off_t) size > fsize - off)
		size = (size_t) (fsize - off);
	while (done < size)
	{
		off_t		pos = off + (off_t) done;
		uint64_t	index = (uint64_t) pos / LPAGE;
		size_t		in_page = (size_t) (pos % LPAGE);
		size_t		n = LPAGE - in_page;
		HeldPage   *p = h ? page_find(h, index) : NULL;

		if (n > size - done)
			n = size - done;
		if (p)
			memcpy(buf + done, p->bytes + in_page, n);
		else if ((rc = backing_read(hd->fd, buf + done, n, pos)) != 0)
			return rc;
		done += n;
	}
	return (int) done;
}

static int
lfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	LOCKED(do_read(buf, size, off, fi));
}

static int
do_write(const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	Held	   *h;
	size_t		done = 0;
	int			rc;

	if (hd == NULL)
		return -EBADF;
	h = held_get(hd->dev, hd->ino, hd->fd);
	if (h == NULL)
		return -ENOMEM;
	while (done < size)
	{
		off_t		pos = off + (off_t) done;
		uint64_t	index = (uint64_t) pos / LPAGE;
		size_t		in_page = (size_t) (pos % LPAGE);
		size_t		n = LPAGE - in_page;
		HeldPage   *p = page_find(h, index);

		if (n > size - done)
			n = size - done;
		if (p == NULL)
		{
			p = malloc(sizeof(HeldPage));
			if (p == NULL)
				return done ? (int) done : -ENOMEM;
			p->index = index;
			/* Start from what a reader sees now: backing bytes within the size. */
			if (n < LPAGE)
			{
				off_t		start = (off_t) index * LPAGE;

				if ((rc = backing_read(hd->fd, p->bytes, LPAGE, start)) != 0)
				{
					free(p);
					return rc;
				}
				if (start + LPAGE > h->size)
					memset(p->bytes + (h->size > start ? h->size - start : 0), 0,
						   (size_t) (start + LPAGE - (h->size > start ? h->size : start)));
			}
			p->next = h->buckets[index % NBUCKETS];
			h->buckets[index % NBUCKETS] = p;
			h->npages++;
		}
		memcpy(p->bytes + in_page, buf + done, n);
		done += n;
	}
	if (off + (off_t) size > h->size)
		h->size = off + (off_t) size;
	if (hd->sync_writes && (rc = backing_write(hd->fd, buf, size, off)) != 0)
		return rc;
	return (int) size;
}

static int
lfs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	LOCKED(do_write(buf, size, off, fi));
}

static int
do_fsync(int datasync, struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	Held	   *h;

	if (hd == NULL)
		return -EBADF;
	stats.fsyncs++;
	h = held_find(hd->dev, hd->ino);
	if (fail_next_fsync)
	{
		fail_next_fsync = false;
		fprintf(stderr, "lossyfs: fsync failed with EIO: dropped %llu unsynced page(s) of the file\n",
				(unsigned long long) (h ? h->npages : 0));
		if (h)
			held_forget(hd->dev, hd->ino);
		return -EIO;
	}
	return h ? held_flush(h, hd->fd) : 0;
}

static int
lfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	LOCKED(do_fsync(datasync, fi));
}

static int
lfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	return 0;					/* metadata is never lost */
}

static int
lfs_flush(const char *path, struct fuse_file_info *fi)
{
	return 0;					/* close(2) makes nothing durable */
}

static int
do_release(struct fuse_file_info *fi)
{
	Handle	   *hd = handle_of(fi);
	struct stat st;

	if (hd == NULL)
		return 0;
	hd->used = false;
	if (fstat(hd->fd, &st) == 0 && st.st_nlink == 0 && !inode_is_open(st.st_dev, st.st_ino))
		held_forget(st.st_dev, st.st_ino);
	close(hd->fd);
	return 0;
}

static int
lfs_release(const char *path, struct fuse_file_info *fi)
{
	LOCKED(do_release(fi));
}

static int
do_statfs(const char *path, struct statvfs *sv)
{
	return statvfs(backing_dir, sv) == 0 ? 0 : -errno;
}

static int
lfs_statfs(const char *path, struct statvfs *sv)
{
	LOCKED(do_statfs(path, sv));
}

static int
lfs_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	return -EOPNOTSUPP;
}

static const struct fuse_operations lossyfs_ops = {
	.init = lfs_init,
	.destroy = lfs_destroy,
	.getattr = lfs_getattr,
	.opendir = lfs_opendir,
	.readdir = lfs_readdir,
	.releasedir = lfs_releasedir,
	.mkdir = lfs_mkdir,
	.rmdir = lfs_rmdir,
	.unlink = lfs_unlink,
	.rename = lfs_rename,
	.link = lfs_link,
	.chmod = lfs_chmod,
	.utimens = lfs_utimens,
	.truncate = lfs_truncate,
	.open = lfs_open,
	.create = lfs_create,
	.read = lfs_read,
	.write = lfs_write,
	.fsync = lfs_fsync,
	.fsyncdir = lfs_fsyncdir,
	.flush = lfs_flush,
	.release = lfs_release,
	.statfs = lfs_statfs,
	.fallocate = lfs_fallocate,
};

int
main(int argc, char **argv)
{
	struct sigaction sa;
	char	  **fargv;
	int			fargc = 0;

	if (argc < 3)
	{
		fprintf(stderr,
				"usage: %s BACKING_DIR MOUNTPOINT [FUSE options, e.g. -f -s]\n"
				"  stat MOUNTPOINT%s   forget every unsynced write (power cut)\n"
				"  stat MOUNTPOINT%s   make every write durable\n",
				argv[0], DROP_NAME, SYNC_NAME);
		return 2;
	}
	if (realpath(argv[1], backing_dir) == NULL)
	{
		fprintf(stderr, "lossyfs: backing directory \"%s\": %s\n", argv[1], strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);

	/* FUSE sees: program, mountpoint, options; not the backing directory. */
	fargv = calloc((size_t) argc, sizeof(char *));
	if (fargv == NULL)
		return 2;
	fargv[fargc++] = argv[0];
	for (int i = 2; i < argc; i++)
		fargv[fargc++] = argv[i];
	return fuse_main(fargc, fargv, &lossyfs_ops, NULL);
}
