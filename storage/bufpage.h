/*
 * bufpage.h
 *	  The 8 KiB slotted page shared by the heap, the B+trees and every other
 *	  relation: header, line pointers growing down from the header, items
 *	  growing up from the special space at the end.
 *
 * NOTES
 *	  These functions work on a plain BLCKSZ byte array and know nothing of
 *	  buffers, locks or WAL. The caller holds the content lock the operation
 *	  needs: shared to read, exclusive to change. Functions that move other
 *	  items' bytes (PageIndexTupleDelete, PageIndexTupleOverwrite,
 *	  PageRepairFragmentation) invalidate every pointer obtained from
 *	  PageGetItem, so on heap pages they also need a cleanup lock (exclusive
 *	  and no other pin), as in PostgreSQL. Changes to shared pages happen in
 *	  a critical section with their WAL record (STYLE.md); the functions that
 *	  can fail (no room, bad offset, corrupt page) check everything before
 *	  touching the page, so a caller can call them before entering one.
 *
 *	  The byte layout and the numbered invariants are in storage/README.md,
 *	  section "Pages". PageCheckItems() checks all of them; debug builds run
 *	  it after every change.
 */
#ifndef TUSK_BUFPAGE_H
#define TUSK_BUFPAGE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"

#define BLCKSZ 8192

/* Bumped whenever the page layout changes; PageIsVerified rejects others. */
#define TUSK_PAGE_LAYOUT_VERSION 1

typedef char *Page;

/*
 * Line pointer: one little-endian 32-bit word.
 *	 bits  0-14  lp_off	  byte offset of the item from the page start, or the
 *						  target offset number of a REDIRECT
 *	 bits 15-16  lp_flags  LP_UNUSED, LP_NORMAL, LP_REDIRECT, LP_DEAD
 *	 bits 17-31  lp_len	  item length in bytes, unaligned; 0 = no storage
 * Explicit shifts rather than bitfields, so the on-disk layout does not
 * depend on the compiler's bitfield rules.
 */
typedef struct ItemIdData
{
	uint32_t	lp_word;
} ItemIdData;

typedef ItemIdData *ItemId;

#define LP_UNUSED 0				/* free; off = len = 0 */
#define LP_NORMAL 1				/* in use; always has storage */
#define LP_REDIRECT 2			/* HOT redirect; off = target, len = 0 */
#define LP_DEAD 3				/* dead; may still have storage */

#define ITEMID_OFF_MASK 0x7FFFu
#define ITEMID_FLAGS_SHIFT 15
#define ITEMID_LEN_SHIFT 17

static inline unsigned
ItemIdGetOffset(const ItemIdData *id)
{
	return id->lp_word & ITEMID_OFF_MASK;
}

static inline unsigned
ItemIdGetFlags(const ItemIdData *id)
{
	return (id->lp_word >> ITEMID_FLAGS_SHIFT) & 3u;
}

static inline unsigned
ItemIdGetLength(const ItemIdData *id)
{
	return id->lp_word >> ITEMID_LEN_SHIFT;
}

static inline void
ItemIdSet(ItemId id, unsigned off, unsigned flags, unsigned len)
{
	assert(off <= ITEMID_OFF_MASK && flags <= 3 && len <= ITEMID_OFF_MASK);
	id->lp_word = (uint32_t) off | ((uint32_t) flags << ITEMID_FLAGS_SHIFT) |
		((uint32_t) len << ITEMID_LEN_SHIFT);
}

static inline bool
ItemIdIsUsed(const ItemIdData *id)
{
	return ItemIdGetFlags(id) != LP_UNUSED;
}

static inline bool
ItemIdIsNormal(const ItemIdData *id)
{
	return ItemIdGetFlags(id) == LP_NORMAL;
}

static inline bool
ItemIdIsRedirected(const ItemIdData *id)
{
	return ItemIdGetFlags(id) == LP_REDIRECT;
}

static inline bool
ItemIdIsDead(const ItemIdData *id)
{
	return ItemIdGetFlags(id) == LP_DEAD;
}

static inline bool
ItemIdHasStorage(const ItemIdData *id)
{
	return ItemIdGetLength(id) != 0;
}

static inline OffsetNumber
ItemIdGetRedirect(const ItemIdData *id)
{
	assert(ItemIdIsRedirected(id));
	return (OffsetNumber) ItemIdGetOffset(id);
}

/* pd_flags bits; all are hints that can be rebuilt from the page. */
#define PD_HAS_FREE_LINES 0x0001	/* some line pointer may be LP_UNUSED */
#define PD_PAGE_FULL 0x0002		/* an update recently failed to fit */
#define PD_ALL_VISIBLE 0x0004	/* every tuple visible to everyone */
#define PD_VALID_FLAG_BITS 0x0007

/* 32 bytes; offsets in the README byte table. */
typedef struct PageHeaderData
{
	XLogRecPtr	pd_lsn;			/* end of the last WAL record that changed
								 * the page; the WAL rule compares with it */
	uint32_t	pd_checksum;	/* CRC32C, see PageSetChecksum */
	uint16_t	pd_flags;		/* PD_* bits */
	uint16_t	pd_lower;		/* end of the line pointer array */
	uint16_t	pd_upper;		/* start of the lowest item */
	uint16_t	pd_special;		/* start of the special space */
	uint16_t	pd_version;		/* TUSK_PAGE_LAYOUT_VERSION */
	uint16_t	pd_reserved;	/* zero */
	uint64_t	pd_prune_xid;	/* oldest xmax that pruning could remove,
								 * 0 if none; maintained by the heap */
	ItemIdData	pd_linp[];		/* line pointers, 1-based via OffsetNumber */
} PageHeaderData;

typedef PageHeaderData *PageHeader;

#define SizeOfPageHeaderData (offsetof(PageHeaderData, pd_linp))

/* Enough for a page of nothing but line pointers without storage. */
#define MaxOffsetNumber ((OffsetNumber) ((BLCKSZ - SizeOfPageHeaderData) / sizeof(ItemIdData)))

/* Largest item PageAddItem accepts, on a page without special space. */
#define MaxItemSize (MAXALIGN_DOWN(BLCKSZ - SizeOfPageHeaderData - sizeof(ItemIdData)))

static inline bool
PageIsNew(Page page)
{
	return ((PageHeader) page)->pd_upper == 0;
}

static inline OffsetNumber
PageGetMaxOffsetNumber(Page page)
{
	unsigned	lower = ((PageHeader) page)->pd_lower;

	return lower <= SizeOfPageHeaderData ? 0 :
		(OffsetNumber) ((lower - SizeOfPageHeaderData) / sizeof(ItemIdData));
}

static inline ItemId
PageGetItemId(Page page, OffsetNumber offnum)
{
	assert(offnum >= FirstOffsetNumber && offnum <= PageGetMaxOffsetNumber(page));
	return &((PageHeader) page)->pd_linp[offnum - 1];
}

/* Valid only for items with storage (LP_NORMAL, or LP_DEAD not yet pruned). */
static inline char *
PageGetItem(Page page, const ItemIdData *id)
{
	assert(ItemIdHasStorage(id));
	return page + ItemIdGetOffset(id);
}

static inline char *
PageGetSpecial(Page page)
{
	return page + ((PageHeader) page)->pd_special;
}

static inline size_t
PageGetSpecialSize(Page page)
{
	return BLCKSZ - ((PageHeader) page)->pd_special;
}

static inline XLogRecPtr
PageGetLSN(Page page)
{
	return ((PageHeader) page)->pd_lsn;
}

static inline void
PageSetLSN(Page page, XLogRecPtr lsn)
{
	((PageHeader) page)->pd_lsn = lsn;
}

void		PageInit(Page page, size_t special_size);
size_t		PageGetFreeSpace(Page page);
size_t		PageGetExactFreeSpace(Page page);

OffsetNumber PageAddItem(Page page, const void *item, size_t size,
						 OffsetNumber offnum, bool overwrite);
bool		PageIndexTupleDelete(Page page, OffsetNumber offnum);
bool		PageIndexTupleOverwrite(Page page, OffsetNumber offnum,
									const void *item, size_t size);
void		PageSetItemDead(Page page, OffsetNumber offnum);
void		PageSetItemUnused(Page page, OffsetNumber offnum);
void		PageSetItemRedirect(Page page, OffsetNumber offnum, OffsetNumber target);
bool		PageRepairFragmentation(Page page);

uint32_t	PageComputeChecksum(Page page, BlockNumber blkno);
void		PageSetChecksum(Page page, BlockNumber blkno);
bool		PageVerifyChecksum(Page page, BlockNumber blkno);
bool		PageIsVerified(Page page);
bool		PageCheckItems(Page page);

#endif
