/*
 * xlog.h
 *	  The write-ahead log: insertion into shared WAL buffers, writing and
 *	  flushing with group commit, checkpoints, recovery.
 *
 * NOTES
 *	  Contract for callers (heap, B+tree, transactions):
 *	  - Build a record with XLogBeginInsert / XLogRegisterBuffer /
 *	    XLogRegisterBufData / XLogRegisterData, then XLogInsert inside the
 *	    critical section that changes the registered pages, while holding
 *	    their EXCLUSIVE content locks; then PageSetLSN(page, returned end).
 *	  - Whether a registered buffer gets a full-page image is decided inside
 *	    XLogInsert, under the insert lock, from the page LSN and the current
 *	    redo pointer, so a checkpoint starting concurrently cannot be missed.
 *	  - XLogFlush(upto) returns once WAL is durable up to `upto`: the first
 *	    caller that finds no flush running becomes the flusher (write +
 *	    fdatasync of everything inserted so far); the others sleep on a futex
 *	    until the flushed position passes their record (group commit).
 *	    Readers never call it except to wait for a commit position they
 *	    observed (DESIGN.md section 4).
 *	  - A failed WAL write or fdatasync is PANIC: what was written is
 *	    unknown, so every process stops and recovery decides (PostgreSQL's
 *	    rule, and the only safe answer to a failed fsync). Nothing after the
 *	    failure is acknowledged.
 */
#ifndef TUSK_XLOG_H
#define TUSK_XLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage/block.h"
#include "storage/bufmgr.h"
#include "wal/walrecord.h"

/* Shared memory: WAL buffers (wal_buffers bytes, default 4 MB) and state. */
size_t		XLogShmemSize(void);
void		XLogShmemInit(void);
/*
 * checkpoint_timeout, checkpoint_completion_target, max_wal_size,
 * wal_writer_delay, commit_delay, and whether readers show only durable
 * commits (synchronous_commit on: storage/README.md, "Durable reads").
 */
void		XLogSetSettings(int checkpoint_timeout_s, double completion_target,
							uint64_t max_wal_size, int wal_writer_delay_ms, int commit_delay_us,
							bool durable_reads);
bool		XLogDurableReads(void);

/* Record building; one record at a time per process. */
WalRecordBuilder *XLogBeginInsert(uint8_t rmid, uint8_t info, uint64_t xid);
void		XLogRegisterBuffer(uint8_t block_id, Buffer buf, uint8_t flags);	/* WAL_BKP_WILL_INIT or 0 */
void		XLogRegisterBufData(uint8_t block_id, const void *data, uint32_t len);
void		XLogRegisterData(const void *data, uint32_t len);
/* Returns the end position of the record (what PageSetLSN and commits use). */
XLogRecPtr	XLogInsert(void);

/*
 * How many records carrying a transaction id (commit and abort records
 * aside) this process has inserted: MULTI/EXEC compares it around a
 * command to learn whether a command that failed had changed anything.
 */
uint64_t	XLogXactRecordsByMe(void);
/*
 * XLogInsert, and call hook(start, end, arg) while still holding the
 * insertion lock, once the record has its position: state changed there
 * is ordered exactly like the records (commits apply the keyspace counter
 * deltas this way, README W10). The hook must be short, take no lock and
 * insert nothing.
 */
typedef void (*XLogInsertLockedHook) (XLogRecPtr start, XLogRecPtr end, void *arg);
XLogRecPtr	XLogInsertWithHook(XLogInsertLockedHook hook, void *arg);

bool		XLogFlush(XLogRecPtr upto);
void		XLogFlushWaitBegin(XLogRecPtr upto);
void		XLogFlushWaitEnd(void);
/* walwriter: flush what asynchronous commits left; returns bytes flushed. */
uint64_t	XLogBackgroundFlush(void);

/*
 * Make sure the segment after the one being inserted into exists, so that
 * a full disk shows up where a write can still be refused, not inside a
 * commit, where it is PANIC. The walwriter calls it every round.
 * XLogSpaceError(), called before every write (commands, XactBegin,
 * vacuum), returns the errno while that segment cannot be created (0
 * otherwise), and calls XLogPrepareNextSegment itself near the end of a
 * segment whose successor is not ready yet; retried every few seconds.
 */
void		XLogPrepareNextSegment(void);
int			XLogSpaceError(void);

/*
 * Before a write of about `bytes` of WAL (a large value): create every
 * segment it may reach; 0, or the errno that refuses this write.
 */
int			XLogReserve(uint64_t bytes);

XLogRecPtr	XLogGetInsertPosition(void);
XLogRecPtr	XLogGetFlushPosition(void);
/* Is somebody writing or flushing WAL now (or queued to)? A hint only. */
bool		XLogFlushInProgress(void);
/* Will a flush already started cover lsn? In how many us may another start (0 now, -1 when one ends)? Slow disk? */
bool		XLogFlushCovers(XLogRecPtr lsn);
int64_t	XLogFlushStartDelay(void);
bool		XLogFlushesOverlap(void);

/*
 * A flush in two halves, for the walwriter, which runs each fdatasync in a
 * thread of its own so that it can send replies and start the next
 * overlapping flush meanwhile. At most XLOG_MAX_SYNCS_IN_FLIGHT run at once.
 */
#define XLOG_MAX_SYNCS_IN_FLIGHT 8
typedef struct XLogFlushJob
{
	XLogRecPtr	written;		/* durable once the fdatasync returns */
	uint64_t	claim;			/* its place in the order flushes end in */
	int			fd;				/* its own open of segment segno; -1 at first */
	uint64_t	segno;
} XLogFlushJob;
bool		XLogFlushStart(XLogFlushJob *job);
void		XLogFlushFinish(XLogFlushJob *job, _Atomic uint32_t *done);
int			XLogWalWriterDelay(void);	/* wal_writer_delay, ms */
/* Newest commit record end; snapshots read it (DESIGN.md section 4). */
XLogRecPtr	XLogGetLastCommitPosition(void);
void		XLogAdvanceLastCommitPosition(XLogRecPtr end);

typedef struct XLogStats
{
	uint64_t	records;
	uint64_t	bytes;
	uint64_t	fpi;
	uint64_t	flushes;		/* fdatasync calls */
	uint64_t	flush_waits;	/* callers that waited for another's flush */
	uint64_t	commits;
	uint64_t	fsync_avg_us;	/* moving average of an fdatasync run alone */
	uint64_t	overlapped;		/* flushes started while another ran */
} XLogStats;
void		XLogGetStats(XLogStats *out);

/*
 * Start-up (the startup process, before connections are accepted): read
 * the control file (creating a new cluster in an empty data directory),
 * replay WAL from the last checkpoint's redo point through every resource
 * manager's redo function, stop cleanly at a torn or corrupt tail, log
 * progress, and leave the insert position after the last valid record.
 * False (logged) if the data directory cannot be used.
 */
bool		StartupXLOG(void);

/* Resource managers register their redo functions before StartupXLOG. */
typedef bool (*WalRedoFunction) (XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec);
void		XLogRegisterRedo(uint8_t rmid, WalRedoFunction fn);

/*
 * Redo helper: for block `block_id` of rec, pin and exclusively lock the
 * page; if the record has an image, restore it and return BLK_RESTORED; if
 * the page is already newer than the record (page LSN >= lsn), BLK_DONE; if
 * WILL_INIT, the page is zeroed and BLK_NEEDS_REDO; else BLK_NEEDS_REDO.
 * The caller applies the change, sets the page LSN to `end`, marks dirty
 * and releases.
 */
typedef enum XLogRedoAction
{
	BLK_NEEDS_REDO,
	BLK_DONE,
	BLK_RESTORED,
	BLK_NOTFOUND,
} XLogRedoAction;
/*
 * A WalReadCallback over the segment files of a wal/ directory, for
 * recovery and tusk-waldump: XLogFileSourceRead(&src, ...) returns short
 * when a segment is missing or ends.
 */
typedef struct XLogFileSource
{
	char		dir[512];
	int			fd;
	uint64_t	segno;
} XLogFileSource;
void		XLogFileSourceInit(XLogFileSource *src, const char *waldir);
ssize_t		XLogFileSourceRead(void *arg, XLogRecPtr pos, char *buf, size_t len);
void		XLogFileSourceClose(XLogFileSource *src);

XLogRedoAction XLogReadBufferForRedo(const DecodedWalRecord *rec, uint8_t block_id,
									 XLogRecPtr end, Buffer *buf);
bool		InRecovery(void);

/* Checkpoints */
#define CHECKPOINT_IS_SHUTDOWN	0x01
#define CHECKPOINT_IMMEDIATE	0x02	/* do not spread the writes */
#define CHECKPOINT_REQUESTED	0x04	/* SAVE/BGSAVE, not the timer */
#define CHECKPOINT_WAIT			0x08
#define CHECKPOINT_END_OF_RECOVERY 0x10	/* written by StartupXLOG after redo */
#define CHECKPOINT_WAL_SIZE		0x20	/* max_wal_size reached */

/* WAL_RM_XLOG opcodes (the low 4 bits of info). */
#define XLOG_CHECKPOINT_SHUTDOWN	0x00
#define XLOG_CHECKPOINT_ONLINE		0x01
#define XLOG_NOOP					0x02

/*
 * Main data of a checkpoint record, stored as is (host byte order), then
 * whatever checkpoint_redo_state_hook returned (the keyspace counters; a
 * record without them is exactly this struct). The redo pointer of a
 * shutdown or end-of-recovery checkpoint is the record's own position.
 */
typedef struct XLogCheckpointData
{
	XLogRecPtr	redo;
	uint64_t	next_xid;
	int64_t		time;			/* unix seconds */
	uint32_t	flags;			/* CHECKPOINT_* of the request */
	uint32_t	padding;
} XLogCheckpointData;

/*
 * The transaction module sets this so checkpoints record the next xid; 0
 * is recorded while it is NULL.
 */
extern uint64_t (*checkpoint_next_xid_hook) (void);
/*
 * State that must match the redo pointer exactly (the keyspace counters,
 * storage/kscounters.h): called while holding the insertion lock at the
 * moment a checkpoint fixes its redo pointer; returns bytes (and *len)
 * that the checkpoint record carries after XLogCheckpointData. Must take
 * no lock and insert nothing. NULL: the record carries nothing more.
 */
extern const char *(*checkpoint_redo_state_hook) (uint32_t *len);
/*
 * StartupXLOG calls this before replay with those bytes from the
 * checkpoint record recovery starts at (len 0: it has none).
 */
extern void (*recovery_checkpoint_state_hook) (const char *data, uint32_t len);
/*
 * Set by the server before the checkpointer starts: work the checkpointer
 * does about once a second between checkpoints (the expiry sweep). It
 * must return quickly and leave no locks held. wal/ cannot call server/.
 */
extern void (*checkpointer_idle_hook) (void);
/* Newest next_xid seen in a checkpoint during StartupXLOG (0 if none). */
uint64_t	XLogRecoveredNextXid(void);
bool		CreateCheckPoint(int flags);
/* From backends: ask the checkpointer; with CHECKPOINT_WAIT, wait for it. */
bool		RequestCheckpoint(int flags);
int64_t		XLogLastCheckpointTime(void);	/* unix seconds */
void		XLogGetCheckpointInfo(uint64_t *count, XLogRecPtr *redo, int64_t *time_s);

/* Auxiliary process mains; they return when asked to exit. */
void		CheckpointerMain(void);
/* Set by the SIGTERM handler of auxiliary processes. */
extern volatile int aux_shutdown_requested;

#endif
