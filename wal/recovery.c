/*
 * recovery.c
 *	  StartupXLOG: create a new cluster or replay WAL from the last
 *	  checkpoint's redo point; the redo helpers resource managers use.
 *
 * NOTES
 *	  Runs in the startup process only, before connections are accepted and
 *	  before the other auxiliary processes start, so it is alone in shared
 *	  memory: it takes locks only because the functions it shares with
 *	  normal running do. The steps are listed in wal/README.md, section
 *	  "Recovery".
 *
 *	  The reader's page source (XLogFileSource) is shared with tusk-waldump.
 */
#include "config.h"

#include "wal/xlog.h"
#include "wal/xlog_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/bufmgr.h"
#include "storage/elog.h"
#include "storage/fileio.h"
#include "storage/smgr.h"
#include "wal/control.h"

bool xlog_in_redo;
void (*recovery_checkpoint_state_hook)(const char *data, uint32_t len);

static WalRedoFunction redo_functions[WAL_RM_MAX_ID + 1];
static uint64_t recovered_next_xid;

void
XLogRegisterRedo(uint8_t rmid, WalRedoFunction fn)
{
	if (rmid > WAL_RM_MAX_ID)
	{
		elog(WARNING, "invalid resource manager id %u", rmid);
		return;
	}
	redo_functions[rmid] = fn;
}

bool
InRecovery(void)
{
	return xlog_in_redo;
}

uint64_t
XLogRecoveredNextXid(void)
{
	return recovered_next_xid;
}

/* -------------------------------------------------------- page source */

void
XLogFileSourceInit(XLogFileSource *src, const char *waldir)
{
	snprintf(src->dir, sizeof(src->dir), "%s", waldir);
	src->fd = -1;
	src->segno = 0;
}

void
XLogFileSourceClose(XLogFileSource *src)
{
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

/* WalReadCallback over the segment files of one wal/ directory. */
ssize_t
XLogFileSourceRead(void *arg, XLogRecPtr pos, char *buf, size_t len)
{
	XLogFileSource *src = arg;
	uint64_t segno = WAL_SEGMENT_NUMBER(pos);

	if (src->fd < 0 || src->segno != segno)
	{
		char name[WAL_FILE_NAME_LEN + 1];
		char path[sizeof(src->dir) + WAL_FILE_NAME_LEN + 2];

		XLogFileSourceClose(src);
		WalFileName(name, segno);
		snprintf(path, sizeof(path), "%s/%s", src->dir, name);
		src->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (src->fd < 0)
			return errno == ENOENT ? 0 : -1;
		src->segno = segno;
	}
	return FileReadFull(src->fd, buf, len, (off_t) WAL_SEGMENT_OFFSET(pos));
}

/* ------------------------------------------------------- redo helpers */

/*
 * When the block cannot be read (a torn page fails its checksum), a record
 * that rebuilds it whole (image or WILL_INIT) writes the page straight to
 * the file so the buffer manager can read it. Only the startup process
 * runs, so nobody else can have the block in the pool.
 * XXX a BufRead mode that zeroes instead of reading (PostgreSQL's
 * RBM_ZERO_AND_LOCK) would avoid the extra write.
 */
static Buffer
read_block_for_redo(const DecodedWalRecord *rec, int index, const DecodedWalBlock *blk)
{
	Buffer buf;
	BlockNumber nblocks = SmgrNblocks(blk->rel);
	bool locked = false;

	/* Past the end (the relation was extended after the checkpoint): grow it. */
	buf = InvalidBuffer;
	while (nblocks <= blk->blkno)
	{
		BlockNumber got;
		Buffer b = BufExtend(blk->rel, &got);

		if (!BufferIsValid(b))
			return InvalidBuffer;
		if (got == blk->blkno)
		{
			buf = b;
			locked = true;
			break;
		}
		BufUnlockRelease(b);
		nblocks = got + 1;
	}
	if (!BufferIsValid(buf))
		buf = BufRead(blk->rel, blk->blkno);
	if (!BufferIsValid(buf) && (blk->has_image || (blk->flags & WAL_BKP_WILL_INIT)))
	{
		_Alignas(8) char page[BLCKSZ];

		if (blk->has_image)
			WalRestoreBlockImage(rec, index, page);
		else
			memset(page, 0, BLCKSZ);
		if (!PageIsNew(page))
			PageSetChecksum(page, blk->blkno);
		elog(LOG, "rewriting unreadable block %u of relation %u from WAL", blk->blkno, blk->rel);
		if (!SmgrWrite(blk->rel, blk->blkno, page))
			return InvalidBuffer;
		buf = BufRead(blk->rel, blk->blkno);
	}
	if (BufferIsValid(buf) && !locked)
		BufLockContent(buf, LW_EXCLUSIVE);
	return buf;
}

/*
 * See xlog.h. On BLK_RESTORED the page already has the record's end as its
 * LSN and is marked dirty: the caller only releases it. On BLK_DONE the
 * caller only releases it. On BLK_NOTFOUND *buf is InvalidBuffer: the
 * record has no such block, or the block could not be read (logged).
 */
XLogRedoAction
XLogReadBufferForRedo(const DecodedWalRecord *rec, uint8_t block_id, XLogRecPtr end, Buffer *buf)
{
	const DecodedWalBlock *blk = WalRecordGetBlock(rec, block_id);
	int index;
	Page page;

	*buf = InvalidBuffer;
	if (blk == NULL)
		return BLK_NOTFOUND;
	index = (int) (blk - rec->blocks);
	*buf = read_block_for_redo(rec, index, blk);
	if (!BufferIsValid(*buf))
	{
		elog(WARNING, "could not read block %u of relation %u for redo", blk->blkno, blk->rel);
		return BLK_NOTFOUND;
	}
	page = BufGetPage(*buf);
	if (blk->has_image)
	{
		WalRestoreBlockImage(rec, index, page);
		PageSetLSN(page, end);
		BufMarkDirty(*buf);
		return BLK_RESTORED;
	}
	if (blk->flags & WAL_BKP_WILL_INIT)
	{
		memset(page, 0, BLCKSZ);
		return BLK_NEEDS_REDO;
	}
	if (PageGetLSN(page) >= end)
		return BLK_DONE;
	return BLK_NEEDS_REDO;
}

/* ------------------------------------------------------------- startup */

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool
make_directory(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
	{
		elog(WARNING, "could not create directory \"%s\": %m", path);
		return false;
	}
	return true;
}

/*
 * A new cluster: directories, the first WAL segment with a shutdown
 * checkpoint whose redo pointer is its own position, and the control file.
 */
static bool
bootstrap(void)
{
	XLogCtlData *ctl = XLogCtl;
	XLogRecPtr first = WalBytePosToRecPtr(0);
	XLogRecPtr ckpt;

	if (!make_directory(XLOG_CONTROL_DIR) || !make_directory(XLOG_DIR))
		return false;
	ctl->system_identifier = ControlFileNewSystemIdentifier();
	ControlFileSetDefaults(&ctl->control, ctl->system_identifier, true);
	ctl->control_exists = false;
	XLogResetPositions(InvalidXLogRecPtr, first, NULL);
	atomic_store(&ctl->redo_rec_ptr, first);
	xlog_in_redo = false;
	if (!XLogWriteCheckpoint(CHECKPOINT_IS_SHUTDOWN, first, &ckpt))
		return false;
	FileFsyncDir(".");
	elog(LOG, "created a new cluster, system identifier %" PRIu64, ctl->system_identifier);
	return true;
}

/* fdatasync every segment from segno on, so replayed WAL counts as flushed. */
static void
sync_segments_from(uint64_t first_segno)
{
	DIR *dir = opendir(XLOG_DIR);
	struct dirent *de;

	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
	{
		uint64_t segno;

		if (WalFileNameParse(de->d_name, &segno) && segno >= first_segno)
			XLogSyncSegment(segno, true);
	}
	closedir(dir);
	XLogCloseSegment();
}

static bool
redo_xlog_record(XLogRecPtr lsn, const DecodedWalRecord *rec)
{
	uint8_t op = rec->info & WAL_INFO_OPMASK;

	if (op == XLOG_CHECKPOINT_SHUTDOWN || op == XLOG_CHECKPOINT_ONLINE)
	{
		XLogCheckpointData cp;

		/* the redo state after the struct was restored before replay */
		if (rec->main_len < sizeof(cp))
		{
			elog(WARNING, "checkpoint record at " WAL_PTR_FMT " has %u bytes of data",
				 WAL_PTR_ARGS(lsn), rec->main_len);
			return false;
		}
		memcpy(&cp, rec->main_data, sizeof(cp));
		if (cp.next_xid > recovered_next_xid)
			recovered_next_xid = cp.next_xid;
	}
	return true;
}

/*
 * A WAL reader of this cluster's segments in XLOG_DIR, reading through src;
 * NULL (logged) if out of memory. close_reader releases both.
 */
static WalReader *
open_reader(XLogFileSource *src, uint64_t system_identifier)
{
	WalReader *reader = malloc(sizeof(WalReader));

	if (reader == NULL)
	{
		elog(WARNING, "out of memory starting recovery");
		return NULL;
	}
	XLogFileSourceInit(src, XLOG_DIR);
	WalReaderInit(reader, XLogFileSourceRead, src);
	WalReaderSetSystemIdentifier(reader, system_identifier);
	return reader;
}

static void
close_reader(WalReader *reader, XLogFileSource *src)
{
	XLogFileSourceClose(src);
	WalReaderFree(reader);
	free(reader);
}

/*
 * Read the checkpoint record recovery starts from and hand what follows
 * XLogCheckpointData in it (the state as of its redo pointer) to
 * recovery_checkpoint_state_hook. False if there is no valid checkpoint
 * record there.
 */
static bool
restore_checkpoint_state(XLogRecPtr checkpoint, uint64_t system_identifier)
{
	XLogFileSource src;
	WalReader *reader = open_reader(&src, system_identifier);
	DecodedWalRecord *rec;
	bool ok = false;

	if (reader == NULL)
		return false;
	if (WalReaderNext(reader, checkpoint, &rec) != WAL_READ_OK)
		elog(WARNING, "could not read the checkpoint record at " WAL_PTR_FMT ": %s",
			 WAL_PTR_ARGS(checkpoint), reader->end_message);
	else if (rec->rmid != WAL_RM_XLOG ||
			 ((rec->info & WAL_INFO_OPMASK) != XLOG_CHECKPOINT_SHUTDOWN &&
			  (rec->info & WAL_INFO_OPMASK) != XLOG_CHECKPOINT_ONLINE) ||
			 rec->main_len < sizeof(XLogCheckpointData))
		elog(WARNING, "the record at " WAL_PTR_FMT " is not a checkpoint record",
			 WAL_PTR_ARGS(checkpoint));
	else
	{
		if (recovery_checkpoint_state_hook)
			recovery_checkpoint_state_hook((const char *) rec->main_data +
											   sizeof(XLogCheckpointData),
										   rec->main_len - (uint32_t) sizeof(XLogCheckpointData));
		ok = true;
	}
	close_reader(reader, &src);
	return ok;
}

static bool
replay(XLogRecPtr redo, XLogRecPtr checkpoint, uint64_t system_identifier)
{
	XLogCtlData *ctl = XLogCtl;
	XLogFileSource src;
	WalReader *reader = open_reader(&src, system_identifier);
	DecodedWalRecord *rec;
	XLogRecPtr start = redo;
	uint64_t nrecords = 0, nbytes = 0;
	double began = now_seconds(), last_report = began, elapsed;
	bool ok = true;
	_Alignas(8) char last_page[WAL_PAGE_SIZE];

	if (reader == NULL)
		return false;
	elog(LOG, "redo starts at " WAL_PTR_FMT " (checkpoint at " WAL_PTR_FMT ")", WAL_PTR_ARGS(redo),
		 WAL_PTR_ARGS(checkpoint));
	xlog_in_redo = true;
	while (WalReaderNext(reader, start, &rec) == WAL_READ_OK)
	{
		XLogRecPtr lsn = reader->read_rec_ptr;
		XLogRecPtr end = reader->end_rec_ptr;

		start = InvalidXLogRecPtr;
		if (rec->rmid == WAL_RM_XLOG)
			ok = redo_xlog_record(lsn, rec);
		else if (redo_functions[rec->rmid] == NULL)
		{
			elog(WARNING, "no redo function for resource manager %s, record at " WAL_PTR_FMT,
				 WalRmgrName(rec->rmid), WAL_PTR_ARGS(lsn));
			ok = false;
		}
		else
			ok = redo_functions[rec->rmid](lsn, end, rec);
		if (!ok)
		{
			elog(WARNING, "redo failed for record at " WAL_PTR_FMT " (%s, info %02X)",
				 WAL_PTR_ARGS(lsn), WalRmgrName(rec->rmid), rec->info);
			break;
		}
		nrecords++;
		nbytes += rec->total_len;
		if (nrecords % 1024 == 0 && now_seconds() - last_report >= 2.0)
		{
			last_report = now_seconds();
			elog(LOG, "redo in progress, at " WAL_PTR_FMT ": %" PRIu64 " records, %.1f MB",
				 WAL_PTR_ARGS(lsn), nrecords, (double) nbytes / 1e6);
		}
	}
	xlog_in_redo = false;

	if (ok && nrecords == 0)
	{
		elog(WARNING, "could not read the checkpoint's redo record at " WAL_PTR_FMT ": %s",
			 WAL_PTR_ARGS(redo), reader->end_message);
		ok = false;
	}
	if (ok && reader->read_rec_ptr < checkpoint)
	{
		elog(WARNING,
			 "WAL ends at " WAL_PTR_FMT ", before the checkpoint record at " WAL_PTR_FMT ": %s",
			 WAL_PTR_ARGS(reader->read_rec_ptr), WAL_PTR_ARGS(checkpoint), reader->end_message);
		ok = false;
	}
	if (ok)
	{
		XLogRecPtr next = reader->next_rec_ptr;

		elapsed = now_seconds() - began;
		elog(LOG, "WAL ends at " WAL_PTR_FMT " (%s): %s", WAL_PTR_ARGS(reader->end_ptr),
			 WalEndReasonName(reader->end_reason), reader->end_message);
		elog(LOG,
			 "redo done at " WAL_PTR_FMT ": %" PRIu64 " records, %.1f MB in %.2f s "
			 "(%.1f MB/s)",
			 WAL_PTR_ARGS(reader->read_rec_ptr), nrecords, (double) nbytes / 1e6, elapsed,
			 elapsed > 0 ? (double) nbytes / 1e6 / elapsed : 0.0);

		/* The page holding the end, so the next write keeps its good part. */
		if (WAL_PAGE_OFFSET(next) != 0 && XLogFileSourceRead(&src, WAL_PAGE_START(next), last_page,
															 WAL_PAGE_SIZE) != WAL_PAGE_SIZE)
		{
			elog(WARNING, "could not reread WAL page at " WAL_PTR_FMT ": %m",
				 WAL_PTR_ARGS(WAL_PAGE_START(next)));
			ok = false;
		}
		else
		{
			ctl->system_identifier = system_identifier;
			XLogResetPositions(reader->read_rec_ptr, next, last_page);
		}
	}
	close_reader(reader, &src);
	return ok;
}

/*
 * See xlog.h and README "Recovery". Runs with the current directory set
 * to the data directory. On false nothing was written.
 */
bool
StartupXLOG(void)
{
	XLogCtlData *ctl = XLogCtl;
	ControlFile *cf = &ctl->control;
	char errbuf[CONTROL_ERRBUF_SIZE];
	struct stat st;

	atomic_store(&ctl->in_recovery, 1);
	if (stat(CONTROL_FILE_PATH, &st) != 0 && errno == ENOENT)
	{
		if (!bootstrap())
			return false;
		/* running from now on: a crash must be seen as one at the next start */
		cf->state = CONTROL_STATE_IN_PRODUCTION;
		cf->time = (int64_t) time(NULL);
		if (!ControlFileWrite(".", cf, errbuf))
		{
			elog(WARNING, "could not write control file: %s", errbuf);
			return false;
		}
		atomic_store(&ctl->in_recovery, 0);
		return true;
	}
	if (!ControlFileRead(".", cf, errbuf))
	{
		elog(WARNING, "could not read control file: %s", errbuf);
		return false;
	}
	ctl->control_exists = true;
	elog(LOG, "database system was %s; checkpoint " WAL_PTR_FMT ", redo " WAL_PTR_FMT,
		 ControlStateName(cf->state), WAL_PTR_ARGS(cf->checkpoint), WAL_PTR_ARGS(cf->redo));
	if (cf->state != CONTROL_STATE_SHUTDOWNED)
	{
		elog(LOG, "database system was not properly shut down; automatic recovery in progress");
		cf->state = CONTROL_STATE_IN_RECOVERY;
		cf->time = (int64_t) time(NULL);
		if (!ControlFileWrite(".", cf, errbuf))
		{
			elog(WARNING, "could not write control file: %s", errbuf);
			return false;
		}
	}
	recovered_next_xid = cf->next_xid;
	atomic_store(&ctl->last_checkpoint_time, cf->checkpoint_time);
	atomic_store(&ctl->last_checkpoint_redo, cf->redo);

	/*
	 * Step 3: what redo reads must be durable before pages depend on it;
	 * after a crash, so must every data file the crashed server wrote.
	 */
	sync_segments_from(WAL_SEGMENT_NUMBER(cf->redo));
	if (cf->state != CONTROL_STATE_SHUTDOWNED && !SmgrSyncDataDirectory())
	{
		elog(WARNING, "could not sync the data directory before recovery");
		return false;
	}
	/* Step 4: state as of the redo pointer, then the records after it. */
	if (!restore_checkpoint_state(cf->checkpoint, cf->system_identifier))
		return false;
	if (!replay(cf->redo, cf->checkpoint, cf->system_identifier))
		return false;

	/* Step 6: redone pages to disk, and a checkpoint to start from next time. */
	if (!CreateCheckPoint(CHECKPOINT_END_OF_RECOVERY | CHECKPOINT_IMMEDIATE))
		return false;
	atomic_store(&ctl->in_recovery, 0);
	return true;
}
