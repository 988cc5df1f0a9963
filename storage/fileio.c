/*
 * fileio.c
 *	  See fileio.h. No locks, no shared state.
 */
#include "config.h"

#include "storage/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "storage/elog.h"

ssize_t
FileReadFull(int fd, void *buf, size_t len, off_t off)
{
	char	   *p = buf;
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pread(fd, p + done, len - done, off + (off_t) done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t) n;
	}
	return (ssize_t) done;
}

bool
FileWriteFull(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pwrite(fd, p + done, len - done, off + (off_t) done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return false;
		}
		if (n == 0)
		{
			errno = ENOSPC;
			return false;
		}
		done += (size_t) n;
	}
	return true;
}

bool
FileFsyncDir(const char *path)
{
	int			fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool		ok;

	if (fd < 0)
	{
		elog(WARNING, "could not open directory \"%s\": %m", path);
		return false;
	}
	ok = fsync(fd) == 0;
	if (!ok)
		elog(WARNING, "could not fsync directory \"%s\": %m", path);
	close(fd);
	return ok;
}
