/*
 * btree_redo.c
 *	  WAL redo for the keyspace B+tree (resource manager WAL_RM_BTREE), and
 *	  the record descriptions tusk-waldump prints.
 *
 * NOTES
 *	  Runs in the startup process during recovery, alone: no backend is
 *	  connected, so locking a page here never waits. Each block of a record
 *	  is replayed on its own through XLogReadBufferForRedo, which skips
 *	  blocks whose page LSN already covers the record and restores full-page
 *	  images. Every page a split writes is logged whole (a rebuild payload,
 *	  WAL_BKP_WILL_INIT) and rebuilt with BtPageRebuild, the same function
 *	  that built it the first time, so redo produces the same bytes.
 *
 *	  Record layouts are in storage/btree_int.h; the README section
 *	  "Keyspace B+tree (btree.c)" lists them with their byte tables. A
 *	  record that does not fit its page (bad offset, no room) means the WAL
 *	  and the data files disagree: redo returns false and recovery stops.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "storage/btree.h"
#include "storage/btree_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "storage/bufmgr.h"
#include "storage/elog.h"
#include "wal/xlog.h"

void
BtRegisterRedo(void)
{
	XLogRegisterRedo(WAL_RM_BTREE, BtRedo);
}

/* What to do with one block of a record once its page is in hand. */
typedef bool (*BtRedoApply)(Page page, const DecodedWalBlock *blk, const void *arg);

/*
 * Replay block_id of rec with apply(). A block that is missing from the
 * record is an error; one that needs nothing (already applied, or restored
 * from an image) is fine.
 */
static bool
redo_block(XLogRecPtr end, const DecodedWalRecord *rec, uint8_t block_id, BtRedoApply apply,
		   const void *arg)
{
	const DecodedWalBlock *blk = WalRecordGetBlock(rec, block_id);
	Buffer buf = InvalidBuffer;
	XLogRedoAction action;
	bool ok = true;

	if (blk == NULL)
	{
		elog(WARNING, "B+tree redo: record lacks block %u", block_id);
		return false;
	}
	action = XLogReadBufferForRedo(rec, block_id, end, &buf);
	switch (action)
	{
		case BLK_NEEDS_REDO:
			ok = apply(BufGetPage(buf), blk, arg);
			if (!ok)
				elog(WARNING, "B+tree redo: cannot apply %s record to block %u of relation %u",
					 WalRmgrName(rec->rmid), blk->blkno, blk->rel);
			/* FALLTHROUGH */
		case BLK_RESTORED:
			if (ok)
			{
				PageSetLSN(BufGetPage(buf), end);
				BufMarkDirty(buf);
			}
			break;
		case BLK_DONE:
			break;
		case BLK_NOTFOUND:
			/* The relation was dropped later in the WAL; nothing to do. */
			break;
	}
	if (BufferIsValid(buf))
		BufUnlockRelease(buf);
	return ok;
}

static bool
apply_rebuild(Page page, const DecodedWalBlock *blk, const void *arg)
{
	return blk->data != NULL && BtPageRebuild(page, blk->data, blk->data_len);
}

static bool
apply_meta(Page page, const DecodedWalBlock *blk, const void *arg)
{
	BtMetaData meta;

	if (blk->data_len != sizeof(meta))
		return false;
	memcpy(&meta, blk->data, sizeof(meta));
	if (meta.magic != BT_META_MAGIC || meta.version != BT_META_VERSION)
		return false;
	BtMetaPageInit(page, meta.root, meta.level);
	return BtMetaPageGet(page) != NULL;
}

/* BtXlogOffset followed by the item: add it at that offset. */
static bool
apply_insert(Page page, const DecodedWalBlock *blk, const void *arg)
{
	BtXlogOffset xl;
	size_t len;

	if (blk->data_len < sizeof(xl) + BT_ITEM_HEADER_SIZE)
		return false;
	memcpy(&xl, blk->data, sizeof(xl));
	len = blk->data_len - sizeof(xl);
	if (PageIsNew(page) || xl.offnum < FirstOffsetNumber ||
		xl.offnum > OffsetNumberNext(PageGetMaxOffsetNumber(page)))
		return false;
	return PageAddItem(page, blk->data + sizeof(xl), len, xl.offnum, false) == xl.offnum;
}

static bool
apply_update_tid(Page page, const DecodedWalBlock *blk, const void *arg)
{
	BtXlogUpdateTid xl;
	BtItemData *item;

	if (blk->data_len != sizeof(xl) || PageIsNew(page))
		return false;
	memcpy(&xl, blk->data, sizeof(xl));
	if (xl.offnum < FirstOffsetNumber || xl.offnum > PageGetMaxOffsetNumber(page) ||
		!ItemIdIsNormal(PageGetItemId(page, xl.offnum)))
		return false;
	item = BtPageGetItem(page, xl.offnum);
	item->block = xl.tid_blkno;
	item->offnum = xl.tid_offnum;
	return true;
}

static bool
apply_delete(Page page, const DecodedWalBlock *blk, const void *arg)
{
	BtXlogOffset xl;

	if (blk->data_len != sizeof(xl) || PageIsNew(page))
		return false;
	memcpy(&xl, blk->data, sizeof(xl));
	return PageIndexTupleDelete(page, xl.offnum);
}

/* Offsets come in descending order, so each delete leaves the rest in place. */
static bool
apply_vacuum(Page page, const DecodedWalBlock *blk, const void *arg)
{
	uint16_t n;
	OffsetNumber prev = InvalidOffsetNumber;

	if (blk->data_len < sizeof(n) || PageIsNew(page))
		return false;
	memcpy(&n, blk->data, sizeof(n));
	if (blk->data_len != sizeof(n) + (size_t) n * sizeof(OffsetNumber))
		return false;
	for (uint16_t i = 0; i < n; i++)
	{
		OffsetNumber off;

		memcpy(&off, blk->data + sizeof(n) + i * sizeof(OffsetNumber), sizeof(off));
		if (prev != InvalidOffsetNumber && off >= prev)
			return false;
		if (!PageIndexTupleDelete(page, off))
			return false;
		prev = off;
	}
	return true;
}

static bool
redo_split(XLogRecPtr end, const DecodedWalRecord *rec)
{
	BtXlogSplit xl;
	uint8_t top_id;

	if (rec->main_len != sizeof(xl))
		return false;
	memcpy(&xl, rec->main_data, sizeof(xl));
	if (xl.nlevels < 1 || xl.nlevels > BT_MAX_LEVELS)
		return false;
	for (int i = 0; i < xl.nlevels; i++)
	{
		if (!redo_block(end, rec, (uint8_t) (2 * i), apply_rebuild, NULL) ||
			!redo_block(end, rec, (uint8_t) (2 * i + 1), apply_rebuild, NULL))
			return false;
	}
	top_id = (uint8_t) (2 * xl.nlevels);
	switch (xl.top)
	{
		case BT_SPLIT_TOP_INSERT:
			return redo_block(end, rec, top_id, apply_insert, NULL);
		case BT_SPLIT_TOP_NEWROOT:
			return redo_block(end, rec, top_id, apply_rebuild, NULL) &&
				   redo_block(end, rec, (uint8_t) (top_id + 1), apply_meta, NULL);
		default:
			return false;
	}
}

bool
BtRedo(XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec)
{
	bool ok;

	switch (rec->info & WAL_INFO_OPMASK)
	{
		case XLOG_BT_INIT_META:
			ok = redo_block(end, rec, 0, apply_meta, NULL) &&
				 redo_block(end, rec, 1, apply_rebuild, NULL);
			break;
		case XLOG_BT_INSERT:
			ok = redo_block(end, rec, 0, apply_insert, NULL);
			break;
		case XLOG_BT_UPDATE_TID:
			ok = redo_block(end, rec, 0, apply_update_tid, NULL);
			break;
		case XLOG_BT_DELETE:
			ok = redo_block(end, rec, 0, apply_delete, NULL);
			break;
		case XLOG_BT_SPLIT:
			ok = redo_split(end, rec);
			break;
		case XLOG_BT_VACUUM:
			ok = redo_block(end, rec, 0, apply_vacuum, NULL);
			break;
		default:
			ok = false;
			break;
	}
	if (!ok)
		elog(WARNING, "B+tree redo failed for record at " WAL_PTR_FMT " (info 0x%02x)",
			 WAL_PTR_ARGS(lsn), rec->info);
	return ok;
}

void
BtDescribeRecord(const DecodedWalRecord *rec, char *out, size_t len)
{
	const DecodedWalBlock *b0 = rec->nblocks > 0 ? &rec->blocks[0] : NULL;
	BtXlogOffset off = {0};

	if (b0 != NULL && b0->data_len >= sizeof(off))
		memcpy(&off, b0->data, sizeof(off));
	switch (rec->info & WAL_INFO_OPMASK)
	{
		case XLOG_BT_INIT_META:
			snprintf(out, len, "INIT_META");
			break;
		case XLOG_BT_INSERT:
			snprintf(out, len, "INSERT blk %u off %u", b0 ? b0->blkno : 0, off.offnum);
			break;
		case XLOG_BT_UPDATE_TID:
			snprintf(out, len, "UPDATE_TID blk %u off %u", b0 ? b0->blkno : 0, off.offnum);
			break;
		case XLOG_BT_DELETE:
			snprintf(out, len, "DELETE blk %u off %u", b0 ? b0->blkno : 0, off.offnum);
			break;
		case XLOG_BT_SPLIT:
		{
			BtXlogSplit xl = {0};

			if (rec->main_len == sizeof(xl))
				memcpy(&xl, rec->main_data, sizeof(xl));
			snprintf(out, len, "SPLIT levels %u top %s leaf %u", xl.nlevels,
					 xl.top == BT_SPLIT_TOP_NEWROOT ? "new root" : "insert", b0 ? b0->blkno : 0);
			break;
		}
		case XLOG_BT_VACUUM:
		{
			uint16_t n = 0;

			if (b0 != NULL && b0->data_len >= sizeof(n))
				memcpy(&n, b0->data, sizeof(n));
			snprintf(out, len, "VACUUM blk %u items %u", b0 ? b0->blkno : 0, n);
			break;
		}
		default:
			snprintf(out, len, "UNKNOWN 0x%02x", rec->info);
			break;
	}
}
