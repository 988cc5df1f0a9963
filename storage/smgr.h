/*
 * smgr.h
 *	  Storage manager: relation files in the data directory, split into
 *	  1 GiB segment files, read and written a block at a time.
 *
 * NOTES
 *	  A relation is named by a 32-bit number and stored as base/<rel>,
 *	  base/<rel>.1, base/<rel>.2, ... (RELSEG_SIZE blocks each). Every
 *	  process keeps its own open file descriptors (private memory); the
 *	  current size of each relation lives in shared memory so that extension
 *	  is serialised by a per-relation lock (SmgrExtend). Errors are returned,
 *	  never thrown: a failed read or write leaves nothing changed in shared
 *	  memory and the caller reports it (a failed fsync is PANIC-worthy for
 *	  the checkpointer, see storage/README.md).
 */
#ifndef TUSK_SMGR_H
#define TUSK_SMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"

/*
 * Blocks per segment file. Tests build with -DRELSEG_SIZE_OVERRIDE=8 so that
 * a few dozen blocks cross several segment boundaries; a data directory is
 * only readable by a build with the same value.
 */
#ifdef RELSEG_SIZE_OVERRIDE
#define RELSEG_SIZE ((BlockNumber) (RELSEG_SIZE_OVERRIDE))
#else
#define RELSEG_SIZE ((BlockNumber) ((1024u * 1024 * 1024) / 8192))	/* 1 GiB */
#endif
#define SMGR_MAX_RELATIONS 1024

typedef uint32_t RelNumber;

/* Fixed relations of the keyspace; collections get numbers from the control file. */
#define REL_KEYSPACE_HEAP	((RelNumber) 1)
#define REL_KEYSPACE_INDEX	((RelNumber) 2)

size_t		SmgrShmemSize(void);
void		SmgrShmemInit(void);

/* Create base/ if missing. Called once by the postmaster or startup. */
bool		SmgrInitDataDirectory(char *errbuf, size_t errlen);

/* Read block blkno into buf (BLCKSZ bytes); a block past the end is an error. */
bool		SmgrRead(RelNumber rel, BlockNumber blkno, char *buf);
bool		SmgrWrite(RelNumber rel, BlockNumber blkno, const char *buf);
/*
 * Add one block (written as zeros) at the end; returns its number, or
 * InvalidBlockNumber on failure (full disk: errno is ENOSPC).
 */
BlockNumber SmgrExtend(RelNumber rel);

/*
 * The per-relation extension lock, for callers that must do more than
 * SmgrExtend while no other process can extend (BufExtend enters the new
 * block in the pool before anyone else may add the next one). Lock returns
 * false (logged) if the relation table is full; nothing is held then.
 * SmgrExtendLocked is SmgrExtend for a caller that holds the lock.
 */
bool		SmgrLockRelationForExtension(RelNumber rel);
void		SmgrUnlockRelationForExtension(RelNumber rel);
BlockNumber SmgrExtendLocked(RelNumber rel);

/*
 * ENOSPC or EDQUOT if an extension by this process failed for want of
 * space since the last call, else 0; clears it. Lets a command that got a
 * storage error tell its client that the disk is full.
 */
int			SmgrTakeSpaceError(void);
/* Current size in blocks; InvalidBlockNumber (logged) if it cannot be found. */
BlockNumber SmgrNblocks(RelNumber rel);
/*
 * fsync every segment of the relation that was written (by any process)
 * since the last call. False (logged) if an fsync failed: the segment stays
 * listed, but the caller must not simply retry (storage/README.md).
 */
bool		SmgrSync(RelNumber rel);
bool		SmgrSyncAll(void);

/*
 * Start-up after a crash: fsync every file of base/, xact/ and global/.
 * The crashed server may have written pages that only the kernel holds;
 * the pending-fsync list that knew about them died with shared memory, so
 * the end-of-recovery checkpoint would not sync them, and the WAL that
 * could redo them is recycled after it (PostgreSQL's SyncDataDirectory).
 * False, logged, at the first failure.
 */
bool		SmgrSyncDataDirectory(void);
/* Segments listed for the next sync, all processes (tests, INFO). */
int			SmgrPendingSyncCount(void);
/* Drop a relation's files (after recovery decided it is gone). */
bool		SmgrUnlink(RelNumber rel);
void		SmgrCloseAll(void);

#endif
