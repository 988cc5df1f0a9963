/*
 * clog.h
 *	  The commit log: two status bits per transaction id, in 8 KiB pages
 *	  cached in shared memory and stored in xact/ segment files.
 *
 * NOTES
 *	  Any process reads statuses; a transaction's owner sets its own status
 *	  at commit or abort, and the startup process sets them during redo.
 *	  The cache is split into banks, each with its own LWLock (tranche
 *	  CommitLog) that protects the bank's slots and page bytes; I/O for a
 *	  page of a bank happens under that bank's lock. Pages are created by
 *	  ClogExtend (WAL-logged, WAL_RM_CLOG) before the first xid on them is
 *	  handed out, written at eviction and by ClogCheckpoint, after WAL has
 *	  been flushed past every commit record whose status they hold (the WAL
 *	  rule for the commit log). Design and invariants: storage/README.md,
 *	  "Transactions and the commit log".
 */
#ifndef TUSK_CLOG_H
#define TUSK_CLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"

typedef enum XidStatus
{
	XID_IN_PROGRESS = 0,		/* or crashed: see storage/README.md */
	XID_COMMITTED = 1,
	XID_ABORTED = 2,
} XidStatus;

#define CLOG_XACTS_PER_BYTE 4
#define CLOG_XACTS_PER_PAGE ((uint64_t) 8192 * CLOG_XACTS_PER_BYTE)
#define CLOG_PAGES_PER_SEGMENT 32	/* xact/XXXX files of 256 KiB */
#define CLOG_DIR "xact"

/* WAL_RM_CLOG opcodes */
#define CLOG_ZEROPAGE 0x00

size_t		ClogShmemSize(void);
void		ClogShmemInit(void);

/*
 * Status of xid. When lsn is not NULL it receives the newest commit record
 * end among the xids of xid's group: a COMMITTED hint bit may only be set
 * once WAL is flushed past it (storage/README.md, "Hint bits"). Takes a
 * bank lock; never call it holding another bank's lock.
 */
XidStatus	ClogGetStatus(uint64_t xid, XLogRecPtr *lsn);

/*
 * Record xid's final status. lsn is the end of its commit record
 * (InvalidXLogRecPtr for aborts and during redo). Returns false, logged,
 * if the page could not be read; during normal running that is PANIC for
 * the caller, which is inside its commit critical section.
 */
bool		ClogSetStatus(uint64_t xid, XidStatus status, XLogRecPtr lsn);

/*
 * Make sure the page holding xid exists, creating (and WAL-logging) every
 * missing page up to it. Called by XactBegin before the xid is used; a fast
 * path of one atomic load when the page is already there.
 */
bool		ClogExtend(uint64_t xid);

/*
 * Checkpointer: write every dirty page (flushing WAL first as needed) and
 * fsync the segment files written. Call it after the checkpoint's redo
 * pointer is fixed and before the checkpoint record is inserted. False,
 * logged, on an I/O error.
 */
bool		ClogCheckpoint(void);

/* After recovery: the next xid to hand out (for the extension fast path). */
void		ClogStartup(uint64_t next_xid);

/*
 * Vacuum: remove the segments whose every xid is below oldest_needed (all
 * tuples with such xids are frozen, and the freezes are flushed to WAL).
 * Returns the number of files removed.
 */
int			ClogTruncate(uint64_t oldest_needed);

void		ClogRegisterRedo(void);

#endif
