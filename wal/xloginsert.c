/*
 * xloginsert.c
 *	  Build a WAL record and copy it into the shared WAL buffers.
 *
 * NOTES
 *	  Runs in any process that changes shared pages, inside the caller's
 *	  critical section and while it holds the EXCLUSIVE content locks of the
 *	  registered buffers (xlog.h). One record is built at a time per process,
 *	  in a private WalRecordBuilder.
 *
 *	  The body CRC, hole detection of full-page images included, is
 *	  computed before insert_lock is taken. Under insert_lock the record
 *	  only gets its position, its prev link (WalRecordSetPrev restamps the
 *	  32-byte header CRC) and its bytes copied into the ring. If a
 *	  checkpoint moved the redo pointer in between and a registered page now
 *	  needs an image it was not given, the lock is dropped and the record is
 *	  assembled again (README W4).
 *
 *	  While holding insert_lock, making room in the ring may take write_lock
 *	  (lock order insert_lock -> write_lock, README).
 */
#include "config.h"

#include "wal/xlog.h"
#include "wal/xlog_int.h"

#include <stdlib.h>
#include <string.h>

#include "storage/bufmgr.h"
#include "storage/elog.h"

static WalRecordBuilder builder;
static Buffer registered_buffers[WAL_MAX_BLOCKS];
static bool building;

/* XLogInsertWithHook: called under insert_lock by the next insert. */
static XLogInsertLockedHook locked_hook;
static void *locked_hook_arg;

WalRecordBuilder *
XLogBeginInsert(uint8_t rmid, uint8_t info, uint64_t xid)
{
	if (building)
		elog(WARNING, "WAL record begun while another was being built");
	WalRecordBegin(&builder, rmid, info, xid);
	building = true;
	return &builder;
}

/*
 * The image decision is left to XLogInsert: the page is registered without
 * one and given one there if the FPI rule asks for it.
 */
void
XLogRegisterBuffer(uint8_t block_id, Buffer buf, uint8_t flags)
{
	if (!WalRecordRegisterBlock(&builder, block_id, BufGetRelNumber(buf), 0, BufGetBlockNumber(buf),
								flags, NULL))
		return;
	registered_buffers[block_id] = buf;
}

void
XLogRegisterBufData(uint8_t block_id, const void *data, uint32_t len)
{
	WalRecordRegisterBlockData(&builder, block_id, data, len);
}

void
XLogRegisterData(const void *data, uint32_t len)
{
	WalRecordRegisterData(&builder, data, len);
}

/*
 * Give each registered page an image if the FPI rule asks for one at redo
 * pointer redo (README W4). Returns true if some page that had no image
 * would now get one, i.e. the record must be assembled again.
 */
static bool
choose_images(WalRecordBuilder *b, XLogRecPtr redo, bool only_check)
{
	bool changed = false;

	for (int id = 0; id < WAL_MAX_BLOCKS; id++)
	{
		WalBuilderBlock *blk = &b->blocks[id];
		Page page;

		if (!(b->used_blocks & (UINT32_C(1) << id)) || (blk->flags & WAL_BKP_WILL_INIT))
			continue;
		page = BufGetPage(registered_buffers[id]);
		if (PageGetLSN(page) <= redo && blk->page == NULL)
		{
			changed = true;
			if (!only_check)
				blk->page = page;
		}
	}
	return changed;
}

/*
 * Start a new ring page at page_addr with a header saying rem_len bytes of
 * a record continue on it. Caller holds insert_lock. If the slot still holds
 * a page that is not written out, write the ring out first (insert_lock ->
 * write_lock; the ring is full, README "WAL buffers").
 */
static void
init_page(XLogRecPtr page_addr, uint32_t rem_len)
{
	XLogCtlData *ctl = XLogCtl;
	int slot = (int) ((page_addr / WAL_PAGE_SIZE) % XLOG_BUFFER_PAGES);
	XLogRecPtr old = atomic_load_explicit(&ctl->page_addr[slot], memory_order_relaxed);
	char *dst = XLogRingPage(page_addr);
	WalPageHeader hdr;

	if (old != XLOG_NO_PAGE &&
		atomic_load_explicit(&ctl->write_ptr, memory_order_acquire) < old + WAL_PAGE_SIZE)
	{
		LWLockAcquire(&ctl->write_lock, LW_EXCLUSIVE);
		/* Every byte before page_addr is final: this process copied it (W2). */
		XLogWriteLocked(page_addr);
		XLogWriteLockRelease();
	}
	/* Writers read page_addr[] to check what they write: invalidate first. */
	atomic_store_explicit(&ctl->page_addr[slot], XLOG_NO_PAGE, memory_order_release);
	memset(dst, 0, WAL_PAGE_SIZE);
	WalPageHeaderMake(&hdr, page_addr, rem_len, ctl->system_identifier);
	WalPageHeaderEncode(dst, &hdr);
	atomic_store_explicit(&ctl->page_addr[slot], page_addr, memory_order_release);
}

/* Copy the assembled record to the ring at start. Caller holds insert_lock. */
static void
copy_record(const WalRecordBuilder *b, XLogRecPtr start)
{
	XLogRecPtr ptr = start;
	uint32_t done = 0;

	if (WAL_PAGE_OFFSET(ptr) == WAL_PAGE_HEADER_SIZE_AT(ptr))
		init_page(WAL_PAGE_START(ptr), 0);
	for (int i = 0; i < b->niov; i++)
	{
		const char *src = b->iov[i].iov_base;
		size_t len = b->iov[i].iov_len;

		while (len > 0)
		{
			uint32_t avail;
			size_t n;

			if (WAL_PAGE_OFFSET(ptr) == 0)
			{
				init_page(ptr, b->total_len - done);
				ptr += WAL_PAGE_HEADER_SIZE_AT(ptr);
			}
			avail = WAL_PAGE_SIZE - WAL_PAGE_OFFSET(ptr);
			n = len < avail ? len : avail;
			memcpy(XLogRingPage(WAL_PAGE_START(ptr)) + WAL_PAGE_OFFSET(ptr), src, n);
			src += n;
			len -= n;
			done += (uint32_t) n;
			ptr += n;
		}
	}
}

/*
 * Insert the record built since XLogBeginInsert. Returns its end (what
 * PageSetLSN and commits use) and its start in *start. A record that cannot
 * be assembled is a caller bug: PANIC, since the caller is inside its
 * critical section with pages already changed.
 */
/* Records of a transaction inserted by this process (XLogXactRecordsByMe). */
static uint64_t xact_records_by_me;

uint64_t
XLogXactRecordsByMe(void)
{
	return xact_records_by_me;
}

XLogRecPtr
XLogInsertRecord(XLogRecPtr *start)
{
	XLogCtlData *ctl = XLogCtl;
	WalRecordBuilder *b = &builder;
	XLogRecPtr redo = atomic_load(&ctl->redo_rec_ptr);
	XLogRecPtr rec_start, rec_end;
	uint64_t start_pos, end_pos;
	char errbuf[WAL_ERRBUF_SIZE];
	int nfpi = 0;

	building = false;
	if (b->xid != 0 && b->rmid != WAL_RM_XACT)
		xact_records_by_me++;
	for (;;)
	{
		choose_images(b, redo, false);
		if (!WalRecordAssemble(b, InvalidXLogRecPtr, NULL, NULL, NULL, errbuf))
		{
			elog(PANIC, "could not assemble WAL record of resource manager %s: %s",
				 WalRmgrName(b->rmid), errbuf);
			abort();
		}
		LWLockAcquire(&ctl->insert_lock, LW_EXCLUSIVE);
		if (atomic_load(&ctl->redo_rec_ptr) == redo)
			break;
		redo = atomic_load(&ctl->redo_rec_ptr);
		if (!choose_images(b, redo, true))
			break;
		/* A checkpoint began: some page now needs its image. */
		LWLockRelease(&ctl->insert_lock);
	}

	start_pos = ctl->cur_bytepos;
	end_pos = start_pos + b->total_len;
	ctl->cur_bytepos = MAXALIGN(end_pos);
	rec_start = WalBytePosToRecPtr(start_pos);
	rec_end = WalBytePosToEndRecPtr(end_pos);
	WalRecordSetPrev(b, ctl->prev_rec);
	ctl->prev_rec = rec_start;
	copy_record(b, rec_start);
	if (locked_hook)
	{
		XLogInsertLockedHook hook = locked_hook;

		locked_hook = NULL;
		hook(rec_start, rec_end, locked_hook_arg);
	}
	atomic_store_explicit(&ctl->insert_done, WalBytePosToEndRecPtr(ctl->cur_bytepos),
						  memory_order_release);
	LWLockRelease(&ctl->insert_lock);

	for (int id = 0; id < WAL_MAX_BLOCKS; id++)
		if ((b->used_blocks & (UINT32_C(1) << id)) && b->blocks[id].page != NULL)
			nfpi++;
	atomic_fetch_add_explicit(&ctl->stat_records, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ctl->stat_bytes, b->total_len, memory_order_relaxed);
	if (nfpi > 0)
		atomic_fetch_add_explicit(&ctl->stat_fpi, (uint64_t) nfpi, memory_order_relaxed);
	if (start)
		*start = rec_start;
	return rec_end;
}

XLogRecPtr
XLogInsert(void)
{
	return XLogInsertRecord(NULL);
}

XLogRecPtr
XLogInsertWithHook(XLogInsertLockedHook hook, void *arg)
{
	locked_hook = hook;
	locked_hook_arg = arg;
	return XLogInsertRecord(NULL);
}
