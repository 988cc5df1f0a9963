/*
 * tools/bench/slowsync.c: LD_PRELOAD shim that emulates a disk whose cache
 * flush takes SLOWSYNC_US microseconds (default 1000, i.e. 1 ms: a cloud
 * block volume or a consumer SSD without power-loss protection).
 *
 * Every durability barrier first does the real work and then sleeps:
 *   fsync, fdatasync, syncfs, sync_file_range(... SYNC_FILE_RANGE_WAIT_AFTER),
 *   and write/pwrite/writev/pwritev on descriptors opened O_SYNC or O_DSYNC.
 * The sleep happens in the calling thread only, like a real device wait, so
 * a server that overlaps flushes with other work still gets to do so.
 *
 * Built by tools/bench/storage:
 *   cc -O2 -shared -fPIC -o slowsync.so slowsync.c -ldl
 * and applied to both servers of a comparison (LD_PRELOAD=.../slowsync.so).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static long slowsync_us = -1;

static void slowsync_wait(void)
{
	int saved_errno = errno;
	struct timespec ts;

	if (slowsync_us < 0)
	{
		const char *env = getenv("SLOWSYNC_US");
		long us = env ? strtol(env, NULL, 10) : 1000;

		slowsync_us = us < 0 ? 0 : us;
	}
	if (slowsync_us == 0)
		return;
	ts.tv_sec = slowsync_us / 1000000;
	ts.tv_nsec = (slowsync_us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	errno = saved_errno;
}

/* true when fd was opened with O_SYNC or O_DSYNC (O_SYNC includes O_DSYNC) */
static int fd_is_synchronous(int fd)
{
	int saved_errno = errno;
	int flags = fcntl(fd, F_GETFL);

	errno = saved_errno;
	return flags != -1 && (flags & O_DSYNC) != 0;
}

/* look the real symbol up once; abort loudly if it is missing */
#define NEXT(fn) \
	static __typeof__(fn) *next_##fn; \
	if (next_##fn == NULL && (next_##fn = (__typeof__(fn) *) dlsym(RTLD_NEXT, #fn)) == NULL) \
		abort()

int fsync(int fd)
{
	NEXT(fsync);
	int rc = next_fsync(fd);

	slowsync_wait();
	return rc;
}

int fdatasync(int fd)
{
	NEXT(fdatasync);
	int rc = next_fdatasync(fd);

	slowsync_wait();
	return rc;
}

int syncfs(int fd)
{
	NEXT(syncfs);
	int rc = next_syncfs(fd);

	slowsync_wait();
	return rc;
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
	NEXT(sync_file_range);
	int rc = next_sync_file_range(fd, offset, nbytes, flags);

	if (flags & SYNC_FILE_RANGE_WAIT_AFTER)
		slowsync_wait();
	return rc;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	NEXT(write);
	ssize_t rc = next_write(fd, buf, count);

	if (rc > 0 && fd_is_synchronous(fd))
		slowsync_wait();
	return rc;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	NEXT(pwrite);
	ssize_t rc = next_pwrite(fd, buf, count, offset);

	if (rc > 0 && fd_is_synchronous(fd))
		slowsync_wait();
	return rc;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
	NEXT(pwrite64);
	ssize_t rc = next_pwrite64(fd, buf, count, offset);

	if (rc > 0 && fd_is_synchronous(fd))
		slowsync_wait();
	return rc;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	NEXT(writev);
	ssize_t rc = next_writev(fd, iov, iovcnt);

	if (rc > 0 && fd_is_synchronous(fd))
		slowsync_wait();
	return rc;
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	NEXT(pwritev);
	ssize_t rc = next_pwritev(fd, iov, iovcnt, offset);

	if (rc > 0 && fd_is_synchronous(fd))
		slowsync_wait();
	return rc;
}
