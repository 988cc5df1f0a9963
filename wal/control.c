/*
 * control.c
 *	  Create, read and rewrite global/control.
 *
 * NOTES
 *	  Runs in the postmaster (read at start), the startup process and the
 *	  checkpointer (rewrite after each checkpoint and state change, under
 *	  ControlFileLock held by the caller), and in tools. No shared state, no
 *	  logging: every failure returns false with an errno-based message.
 *
 *	  Rewrites go in place: the whole file is one 512-byte sector, which
 *	  disks write atomically, so a crash leaves the old or the new contents
 *	  and the CRC catches anything else. A temp file and rename would need a
 *	  directory fsync on every checkpoint for no gain. Only creation uses the
 *	  temp file, so a crash during initialisation never leaves a half-written
 *	  global/control that a later start would take for real.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "wal/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "storage/bufpage.h"
#include "storage/crc32c.h"
#include "wal/walrecord.h"

/* The layout is the on-disk format: pin every offset (README byte table). */
_Static_assert(offsetof(ControlFile, system_identifier) == 0, "layout");
_Static_assert(offsetof(ControlFile, version) == 8, "version never moves");
_Static_assert(offsetof(ControlFile, state) == 12, "layout");
_Static_assert(offsetof(ControlFile, checkpoint) == 16, "layout");
_Static_assert(offsetof(ControlFile, redo) == 24, "layout");
_Static_assert(offsetof(ControlFile, next_xid) == 32, "layout");
_Static_assert(offsetof(ControlFile, oldest_xid) == 40, "layout");
_Static_assert(offsetof(ControlFile, next_relid) == 48, "layout");
_Static_assert(offsetof(ControlFile, checkpoint_time) == 56, "layout");
_Static_assert(offsetof(ControlFile, time) == 64, "layout");
_Static_assert(offsetof(ControlFile, blcksz) == 72, "layout");
_Static_assert(offsetof(ControlFile, wal_segment_size) == 76, "layout");
_Static_assert(offsetof(ControlFile, wal_page_size) == 80, "layout");
_Static_assert(offsetof(ControlFile, data_checksums) == 84, "layout");
_Static_assert(offsetof(ControlFile, timeline) == 88, "layout");
_Static_assert(offsetof(ControlFile, crc) == 92, "layout");
_Static_assert(sizeof(ControlFile) == 96, "no hidden padding");
_Static_assert(sizeof(ControlFile) <= CONTROL_FILE_SIZE, "fits one sector");

static void set_error(char *errbuf, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
set_error(char *errbuf, const char *fmt,...)
{
	va_list		ap;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, CONTROL_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

static uint32_t
control_crc(const ControlFile *cf)
{
	return Crc32c(cf, offsetof(ControlFile, crc));
}

/* The sector image: struct with a fresh CRC, zero padding after it. */
static void
control_image(const ControlFile *cf, char *sector)
{
	ControlFile copy = *cf;

	copy.crc = control_crc(&copy);
	memset(sector, 0, CONTROL_FILE_SIZE);
	memcpy(sector, &copy, sizeof(copy));
}

static bool
control_path(char *out, size_t size, const char *datadir, const char *name, char *errbuf)
{
	if ((size_t) snprintf(out, size, "%s/%s", datadir, name) >= size)
	{
		set_error(errbuf, "data directory path \"%s\" is too long", datadir);
		return false;
	}
	return true;
}

/* A short write without errno is a full disk, as PostgreSQL assumes. */
static bool
write_all(int fd, const char *buf, size_t len, const char *path, char *errbuf)
{
	ssize_t		n;

	do
	{
		errno = 0;
		n = pwrite(fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t) len)
	{
		if (n >= 0)
			errno = ENOSPC;
		set_error(errbuf, "could not write control file \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool
fsync_path(const char *path, bool is_dir, char *errbuf)
{
	int			fd = open(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
	int			save_errno;

	if (fd < 0)
	{
		set_error(errbuf, "could not open \"%s\" to fsync it: %s", path, strerror(errno));
		return false;
	}
	if (fsync(fd) != 0)
	{
		save_errno = errno;
		close(fd);
		set_error(errbuf, "could not fsync \"%s\": %s", path, strerror(save_errno));
		return false;
	}
	close(fd);
	return true;
}

uint64_t
ControlFileNewSystemIdentifier(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return ((uint64_t) tv.tv_sec << 32) | ((uint64_t) tv.tv_usec << 12) |
		((uint64_t) getpid() & 0xFFF);
}

void
ControlFileSetDefaults(ControlFile *cf, uint64_t system_identifier, bool data_checksums)
{
	memset(cf, 0, sizeof(*cf));
	cf->system_identifier = system_identifier;
	cf->version = CONTROL_VERSION;
	cf->state = CONTROL_STATE_SHUTDOWNED;
	cf->checkpoint = InvalidXLogRecPtr;
	cf->redo = InvalidXLogRecPtr;
	cf->blcksz = BLCKSZ;
	cf->wal_segment_size = (uint32_t) WAL_SEGMENT_SIZE;
	cf->wal_page_size = WAL_PAGE_SIZE;
	cf->data_checksums = data_checksums ? 1 : 0;
	cf->timeline = WAL_TIMELINE;
}

/*
 * Write the temp file, fsync it, link it into place and drop the temp name.
 * link() rather than rename() so that an existing control file is never
 * replaced: initialising over a live data directory would lose it.
 */
bool
ControlFileInit(const char *datadir, const ControlFile *cf, char *errbuf)
{
	char		global_dir[4096],
				path[4096],
				tmp_path[4096];
	char		sector[CONTROL_FILE_SIZE];
	bool		created_dir = false;
	int			fd;
	int			save_errno;

	if (!control_path(global_dir, sizeof(global_dir), datadir, "global", errbuf) ||
		!control_path(path, sizeof(path), datadir, CONTROL_FILE_PATH, errbuf) ||
		!control_path(tmp_path, sizeof(tmp_path), datadir, CONTROL_FILE_PATH ".tmp", errbuf))
		return false;

	if (mkdir(global_dir, 0700) == 0)
		created_dir = true;
	else if (errno != EEXIST)
	{
		set_error(errbuf, "could not create directory \"%s\": %s", global_dir,
				  strerror(errno));
		return false;
	}

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
	{
		set_error(errbuf, "could not create control file \"%s\": %s", tmp_path,
				  strerror(errno));
		return false;
	}
	control_image(cf, sector);
	if (!write_all(fd, sector, sizeof(sector), tmp_path, errbuf))
	{
		close(fd);
		unlink(tmp_path);
		return false;
	}
	if (fsync(fd) != 0)
	{
		save_errno = errno;
		close(fd);
		unlink(tmp_path);
		set_error(errbuf, "could not fsync control file \"%s\": %s", tmp_path,
				  strerror(save_errno));
		return false;
	}
	if (close(fd) != 0)
	{
		save_errno = errno;
		unlink(tmp_path);
		set_error(errbuf, "could not close control file \"%s\": %s", tmp_path,
				  strerror(save_errno));
		return false;
	}

	if (link(tmp_path, path) != 0)
	{
		save_errno = errno;
		unlink(tmp_path);
		if (save_errno == EEXIST)
			set_error(errbuf, "control file \"%s\" already exists", path);
		else
			set_error(errbuf, "could not link \"%s\" to \"%s\": %s", tmp_path, path,
					  strerror(save_errno));
		return false;
	}
	if (unlink(tmp_path) != 0)
	{
		set_error(errbuf, "could not remove \"%s\": %s", tmp_path, strerror(errno));
		return false;
	}
	if (!fsync_path(global_dir, true, errbuf))
		return false;
	if (created_dir && !fsync_path(datadir, true, errbuf))
		return false;
	return true;
}

bool
ControlFileRead(const char *datadir, ControlFile *out, char *errbuf)
{
	char		path[4096];
	char		sector[CONTROL_FILE_SIZE + 1];
	ssize_t		n;
	int			fd;
	int			save_errno;
	uint32_t	crc;

	if (!control_path(path, sizeof(path), datadir, CONTROL_FILE_PATH, errbuf))
		return false;
	fd = open(path, O_RDONLY);
	if (fd < 0)
	{
		set_error(errbuf, "could not open control file \"%s\": %s", path, strerror(errno));
		return false;
	}
	/* One byte more than the file should have, to notice a longer file. */
	do
		n = pread(fd, sector, sizeof(sector), 0);
	while (n < 0 && errno == EINTR);
	save_errno = errno;
	close(fd);
	if (n < 0)
	{
		set_error(errbuf, "could not read control file \"%s\": %s", path,
				  strerror(save_errno));
		return false;
	}
	if (n != CONTROL_FILE_SIZE)
	{
		set_error(errbuf, "control file \"%s\" has %s%zd bytes, expected %d", path,
				  n > CONTROL_FILE_SIZE ? "more than " : "", n > CONTROL_FILE_SIZE ?
				  (ssize_t) CONTROL_FILE_SIZE : n, CONTROL_FILE_SIZE);
		return false;
	}
	memcpy(out, sector, sizeof(*out));

	/*
	 * Version before CRC: another version's layout fails the CRC too, and
	 * "wrong version" is the message that tells the operator what to do.
	 */
	if (out->version != CONTROL_VERSION)
	{
		if (out->version == __builtin_bswap32(CONTROL_VERSION))
			set_error(errbuf, "control file \"%s\" was written on a machine of the "
					  "other byte order", path);
		else
			set_error(errbuf, "control file \"%s\" has version %u, this server needs %u",
					  path, out->version, CONTROL_VERSION);
		return false;
	}
	crc = control_crc(out);
	if (crc != out->crc)
	{
		set_error(errbuf, "incorrect checksum in control file \"%s\": stored %08X, "
				  "computed %08X", path, out->crc, crc);
		return false;
	}
	if (out->state < CONTROL_STATE_SHUTDOWNED || out->state > CONTROL_STATE_IN_PRODUCTION)
	{
		set_error(errbuf, "control file \"%s\" has invalid state %u", path, out->state);
		return false;
	}
	if (out->blcksz != BLCKSZ)
	{
		set_error(errbuf, "data directory was created with block size %u, this server "
				  "uses %u", out->blcksz, (unsigned) BLCKSZ);
		return false;
	}
	if (out->wal_segment_size != WAL_SEGMENT_SIZE || out->wal_page_size != WAL_PAGE_SIZE)
	{
		set_error(errbuf, "data directory was created with WAL segment size %u and WAL "
				  "page size %u, this server uses %u and %u", out->wal_segment_size,
				  out->wal_page_size, (unsigned) WAL_SEGMENT_SIZE, (unsigned) WAL_PAGE_SIZE);
		return false;
	}
	if (out->timeline != WAL_TIMELINE)
	{
		set_error(errbuf, "control file \"%s\" has timeline %u, this server supports only %u",
				  path, out->timeline, (unsigned) WAL_TIMELINE);
		return false;
	}
	return true;
}

bool
ControlFileWrite(const char *datadir, const ControlFile *cf, char *errbuf)
{
	char		path[4096];
	char		sector[CONTROL_FILE_SIZE];
	int			fd;
	int			save_errno;

	if (!control_path(path, sizeof(path), datadir, CONTROL_FILE_PATH, errbuf))
		return false;
	/* no O_CREAT: a missing file is damage, not something to paper over */
	fd = open(path, O_RDWR);
	if (fd < 0)
	{
		set_error(errbuf, "could not open control file \"%s\": %s", path, strerror(errno));
		return false;
	}
	control_image(cf, sector);
	if (!write_all(fd, sector, sizeof(sector), path, errbuf))
	{
		close(fd);
		return false;
	}
	if (fsync(fd) != 0)
	{
		save_errno = errno;
		close(fd);
		set_error(errbuf, "could not fsync control file \"%s\": %s", path,
				  strerror(save_errno));
		return false;
	}
	if (close(fd) != 0)
	{
		set_error(errbuf, "could not close control file \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

const char *
ControlStateName(uint32_t state)
{
	switch ((ControlState) state)
	{
		case CONTROL_STATE_SHUTDOWNED:
			return "shut down";
		case CONTROL_STATE_SHUTDOWNING:
			return "shutting down";
		case CONTROL_STATE_IN_RECOVERY:
			return "in crash recovery";
		case CONTROL_STATE_IN_PRODUCTION:
			return "in production";
	}
	return "unrecognized status code";
}
