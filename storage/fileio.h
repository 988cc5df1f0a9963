/*
 * fileio.h
 *	  Whole reads and writes at an offset, and directory fsync, for every
 *	  module that does its own file I/O (smgr, WAL, recovery).
 */
#ifndef TUSK_FILEIO_H
#define TUSK_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Read len bytes at off, retrying on EINTR and short reads. Returns the
 * bytes read (fewer than len only at end of file), or -1 with errno set.
 */
ssize_t		FileReadFull(int fd, void *buf, size_t len, off_t off);

/* Write all len bytes at off; false with errno set (ENOSPC if no progress). */
bool		FileWriteFull(int fd, const void *buf, size_t len, off_t off);

/* fsync a directory (so renames and new files in it are durable); logs failures. */
bool		FileFsyncDir(const char *path);

#endif
