/*
 * control.h
 *	  The control file, global/control: what a starting server must know
 *	  before it can read anything else (where recovery starts, the next
 *	  transaction id, the sizes the data directory was created with).
 *
 * NOTES
 *	  The struct is the on-disk layout (byte table in wal/README.md), padded
 *	  with zeros to one 512-byte sector so that an in-place write is atomic
 *	  on every disk tusk supports, and summed with CRC32C.
 *
 *	  These functions do no locking and keep no state. In the server the
 *	  shared copy of the struct is protected by ControlFileLock; the
 *	  startup process writes the file during recovery, the checkpointer
 *	  afterwards, and only one of them at a time. tools/ call them directly.
 */
#ifndef TUSK_CONTROL_H
#define TUSK_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/block.h"

#define CONTROL_FILE_PATH "global/control"
#define CONTROL_FILE_SIZE 512

/* Bump on any layout change; ControlFileRead refuses other versions. */
#define CONTROL_VERSION 1

/* Room callers give for error messages. */
#define CONTROL_ERRBUF_SIZE 256

/* Zero is not a state, so a zeroed file never passes for a valid one. */
typedef enum ControlState
{
	CONTROL_STATE_SHUTDOWNED = 1,	/* clean shutdown: no recovery needed */
	CONTROL_STATE_SHUTDOWNING = 2,	/* shutdown checkpoint in progress */
	CONTROL_STATE_IN_RECOVERY = 3,	/* startup process replaying WAL */
	CONTROL_STATE_IN_PRODUCTION = 4,	/* running; a crash needs recovery */
} ControlState;

typedef struct ControlFile
{
	uint64_t	system_identifier;	/* also in every WAL segment's first page */
	uint32_t	version;		/* CONTROL_VERSION; never moves */
	uint32_t	state;			/* ControlState */
	XLogRecPtr	checkpoint;		/* last checkpoint record */
	XLogRecPtr	redo;			/* where replay of that checkpoint starts */
	uint64_t	next_xid;		/* no transaction id below this was handed out */
	uint64_t	oldest_xid;		/* commit log below this is truncated */
	uint64_t	next_relid;		/* next relation number to assign */
	int64_t		checkpoint_time;	/* Unix seconds of the last checkpoint */
	int64_t		time;			/* Unix seconds of this file's last write */
	uint32_t	blcksz;			/* BLCKSZ */
	uint32_t	wal_segment_size;	/* WAL_SEGMENT_SIZE */
	uint32_t	wal_page_size;	/* WAL_PAGE_SIZE */
	uint32_t	data_checksums; /* 1: data pages carry checksums */
	uint32_t	timeline;		/* WAL_TIMELINE */
	uint32_t	crc;			/* CRC32C of the bytes above */
} ControlFile;

/* A fresh identifier for a new data directory: time and pid. */
uint64_t	ControlFileNewSystemIdentifier(void);

/*
 * Defaults for a new data directory: sizes from this build, state
 * SHUTDOWNED, no checkpoint yet. The bootstrap code sets next_xid,
 * next_relid and the first checkpoint before or after ControlFileInit.
 */
void		ControlFileSetDefaults(ControlFile *cf, uint64_t system_identifier,
								   bool data_checksums);

/*
 * Create datadir/global/control (and global/) from cf; refuses to replace
 * an existing file. Durable on return: file and directories are fsynced.
 */
bool		ControlFileInit(const char *datadir, const ControlFile *cf, char *errbuf);

/* Read and validate: size, version, CRC, state, and this build's sizes. */
bool		ControlFileRead(const char *datadir, ControlFile *out, char *errbuf);

/*
 * Overwrite the existing file in place (one 512-byte pwrite, then fsync);
 * computes the CRC itself, cf->crc is ignored. A crash leaves either the
 * old or the new contents.
 */
bool		ControlFileWrite(const char *datadir, const ControlFile *cf, char *errbuf);

const char *ControlStateName(uint32_t state);

#endif
