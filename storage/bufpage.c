/*
 * bufpage.c
 *	  Slotted page operations: add, delete, overwrite and compact items,
 *	  checksums and header sanity checks.
 *
 * NOTES
 *	  Runs in any process that has the page in hand: backends, vacuum, the
 *	  startup process during redo, tusk-check offline. No locks are taken
 *	  here; bufpage.h says what the caller must hold. The page must be 8-byte
 *	  aligned (buffer pool pages are; tests use _Alignas).
 *
 *	  Every function that can refuse (returns false or InvalidOffsetNumber)
 *	  validates first and changes nothing when it refuses, so callers can
 *	  decide before their critical section. The invariants are numbered in
 *	  storage/README.md; PageCheckItems() is their checker and debug builds
 *	  run it after every change (PAGE_CHECK below).
 *
 *	  Space freed by PageSetItemUnused is not reclaimed until the next
 *	  PageRepairFragmentation: reclaiming it at once would mean moving other
 *	  items, which heap readers holding only a pin may be looking at.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "storage/bufpage.h"

#include <stdlib.h>
#include <string.h>

#include "storage/crc32c.h"

#ifndef NDEBUG
#define PAGE_CHECK(page) assert(PageCheckItems(page))
#else
#define PAGE_CHECK(page) ((void) 0)
#endif

_Static_assert(sizeof(PageHeaderData) == 32, "page header must be 32 bytes");
_Static_assert(SizeOfPageHeaderData == 32, "line pointers start at byte 32");
_Static_assert(sizeof(ItemIdData) == 4, "line pointer must be 4 bytes");
_Static_assert(BLCKSZ - 1 <= ITEMID_OFF_MASK, "lp_off and lp_len must address a whole page");
_Static_assert(BLCKSZ % MAXIMUM_ALIGNOF == 0, "BLCKSZ must be MAXALIGNed");

/* One item with storage, as gathered for compaction or checking. */
typedef struct ItemStorage
{
	uint16_t	offnum_index;	/* 0-based line pointer index */
	uint16_t	off;			/* byte offset on the page */
	uint16_t	alignedlen;		/* MAXALIGN(lp_len) */
} ItemStorage;

static bool
header_is_sane(const PageHeaderData *ph)
{
	if (ph->pd_lower < SizeOfPageHeaderData ||
		(ph->pd_lower - SizeOfPageHeaderData) % sizeof(ItemIdData) != 0)
		return false;
	if (ph->pd_lower > ph->pd_upper || ph->pd_upper > ph->pd_special ||
		ph->pd_special > BLCKSZ)
		return false;
	if (ph->pd_upper != MAXALIGN(ph->pd_upper) ||
		ph->pd_special != MAXALIGN(ph->pd_special))
		return false;
	if ((ph->pd_flags & ~PD_VALID_FLAG_BITS) != 0 ||
		ph->pd_version != TUSK_PAGE_LAYOUT_VERSION || ph->pd_reserved != 0)
		return false;
	return true;
}

static bool
page_is_all_zero(Page page)
{
	/* Word at a time: this runs on every read of a never-written block. */
	for (size_t i = 0; i < BLCKSZ; i += sizeof(uint64_t))
	{
		uint64_t	w;

		memcpy(&w, page + i, sizeof(w));
		if (w != 0)
			return false;
	}
	return true;
}

/*
 * Collect the items that occupy bytes, checking that each lies inside
 * [pd_upper, pd_special) and starts aligned. Overlaps are not checked here;
 * callers that care sort the result first. Returns false if any item is out
 * of range, which means the page is corrupt.
 */
static bool
collect_storage(Page page, ItemStorage *items, int *nitems)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	int			n = 0;

	for (OffsetNumber i = 0; i < maxoff; i++)
	{
		const ItemIdData *id = &ph->pd_linp[i];
		unsigned	off = ItemIdGetOffset(id);
		unsigned	len = ItemIdGetLength(id);

		if (len == 0)
			continue;
		if (off < ph->pd_upper || off != MAXALIGN(off) ||
			off + MAXALIGN(len) > ph->pd_special)
			return false;
		items[n].offnum_index = i;
		items[n].off = (uint16_t) off;
		items[n].alignedlen = (uint16_t) MAXALIGN(len);
		n++;
	}
	*nitems = n;
	return true;
}

/*
 * Reject overlapping items: every item's bytes are marked in a bitmap of
 * MAXALIGN units (collect_storage checked that each lies inside the page
 * and is aligned). Linear, no sort: pruning runs this on every prune.
 */
static bool
check_overlap(const ItemStorage *items, int nitems)
{
	uint64_t	used[BLCKSZ / MAXIMUM_ALIGNOF / 64] = {0};

	for (int i = 0; i < nitems; i++)
	{
		unsigned	u = items[i].off / MAXIMUM_ALIGNOF;
		unsigned	end = u + items[i].alignedlen / MAXIMUM_ALIGNOF;

		/* a word of the bitmap at a time: an item spans one or two */
		while (u < end)
		{
			unsigned	bit = u % 64;
			unsigned	n = end - u < 64 - bit ? end - u : 64 - bit;
			uint64_t	mask = (n == 64 ? ~(uint64_t) 0 : ((uint64_t) 1 << n) - 1) << bit;

			if (used[u / 64] & mask)
				return false;
			used[u / 64] |= mask;
			u += n;
		}
	}
	return true;
}

/*
 * Shift the bytes in [pd_upper, boundary) by delta (positive = toward the
 * end of the page) and fix the line pointers of the items stored there.
 * Used to open or close a gap at boundary without touching anything above.
 */
static void
shift_items_below(Page page, unsigned boundary, int delta)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	if (delta == 0)
		return;
	memmove(page + (int) ph->pd_upper + delta, page + ph->pd_upper,
			boundary - ph->pd_upper);
	for (OffsetNumber i = 0; i < maxoff; i++)
	{
		ItemId		id = &ph->pd_linp[i];

		if (ItemIdHasStorage(id) && ItemIdGetOffset(id) < boundary)
			ItemIdSet(id, (unsigned) ((int) ItemIdGetOffset(id) + delta),
					  ItemIdGetFlags(id), ItemIdGetLength(id));
	}
	ph->pd_upper = (uint16_t) ((int) ph->pd_upper + delta);
}

/*
 * Format an empty page with special_size bytes (rounded up to MAXALIGN) of
 * special space at the end, zeroed. The LSN is 0 until the caller stamps it.
 */
void
PageInit(Page page, size_t special_size)
{
	PageHeader	ph = (PageHeader) page;

	special_size = MAXALIGN(special_size);
	assert(special_size <= BLCKSZ - SizeOfPageHeaderData);

	memset(page, 0, BLCKSZ);
	ph->pd_lower = SizeOfPageHeaderData;
	ph->pd_upper = (uint16_t) (BLCKSZ - special_size);
	ph->pd_special = (uint16_t) (BLCKSZ - special_size);
	ph->pd_version = TUSK_PAGE_LAYOUT_VERSION;
	PAGE_CHECK(page);
}

/*
 * The largest item PageAddItem would accept when it needs a new line
 * pointer. Rounded down to MAXALIGN so that the promise is exact: any size
 * up to this fits, anything larger does not. Reusing an LP_UNUSED slot may
 * fit a little more; that is only a bonus.
 */
size_t
PageGetFreeSpace(Page page)
{
	PageHeader	ph = (PageHeader) page;
	int			space = (int) ph->pd_upper - (int) ph->pd_lower - (int) sizeof(ItemIdData);

	return space <= 0 ? 0 : MAXALIGN_DOWN(space);
}

/* The raw gap between line pointers and items, for exact accounting. */
size_t
PageGetExactFreeSpace(Page page)
{
	PageHeader	ph = (PageHeader) page;

	return ph->pd_upper > ph->pd_lower ? (size_t) (ph->pd_upper - ph->pd_lower) : 0;
}

/*
 * Add an item and return its offset number, or InvalidOffsetNumber if it
 * does not fit or the request is invalid (page unchanged then).
 *
 * offnum == InvalidOffsetNumber: reuse the first LP_UNUSED slot if the page
 * says it may have one, else append. This is what the heap uses.
 *
 * offnum valid, overwrite: store at offnum, which must be LP_UNUSED or one
 * past the end; other slots keep their numbers. Used by redo, which must
 * reproduce the offset the original insert got.
 *
 * offnum valid, !overwrite: insert at offnum, moving the line pointers from
 * offnum on up by one. Only for B+tree pages, where line pointer order is
 * key order; on a heap page this would break item pointers and redirects.
 */
OffsetNumber
PageAddItem(Page page, const void *item, size_t size, OffsetNumber offnum,
			bool overwrite)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	bool		need_lp;
	size_t		alignedsize;
	unsigned	newupper;

	if (size == 0 || size > MaxItemSize || !header_is_sane(ph))
		return InvalidOffsetNumber;

	if (offnum == InvalidOffsetNumber)
	{
		offnum = OffsetNumberNext(maxoff);
		if (ph->pd_flags & PD_HAS_FREE_LINES)
		{
			for (OffsetNumber i = FirstOffsetNumber; i <= maxoff; i++)
				if (!ItemIdIsUsed(PageGetItemId(page, i)))
				{
					offnum = i;
					break;
				}
			/* Finding none means the hint was stale; repair clears it. */
		}
		overwrite = true;
	}

	if (offnum > OffsetNumberNext(maxoff))
		return InvalidOffsetNumber;
	if (offnum <= maxoff && overwrite)
	{
		ItemId		id = PageGetItemId(page, offnum);

		if (ItemIdIsUsed(id) || ItemIdHasStorage(id))
			return InvalidOffsetNumber;
		need_lp = false;
	}
	else
		need_lp = true;

	if (need_lp && maxoff >= MaxOffsetNumber)
		return InvalidOffsetNumber;

	alignedsize = MAXALIGN(size);
	if ((size_t) ph->pd_upper < alignedsize)
		return InvalidOffsetNumber;
	newupper = ph->pd_upper - (unsigned) alignedsize;
	if ((unsigned) ph->pd_lower + (need_lp ? sizeof(ItemIdData) : 0) > newupper)
		return InvalidOffsetNumber;

	/* All checks passed; from here on nothing can fail. */
	if (need_lp)
	{
		if (offnum <= maxoff)
			memmove(&ph->pd_linp[offnum], &ph->pd_linp[offnum - 1],
					(size_t) (maxoff - offnum + 1) * sizeof(ItemIdData));
		ph->pd_lower += sizeof(ItemIdData);
	}
	ItemIdSet(PageGetItemId(page, offnum), newupper, LP_NORMAL, (unsigned) size);
	memcpy(page + newupper, item, size);
	/* Zero the alignment padding so page images are deterministic. */
	memset(page + newupper + size, 0, alignedsize - size);
	ph->pd_upper = (uint16_t) newupper;

	PAGE_CHECK(page);
	return offnum;
}

/*
 * Remove an item and its line pointer, closing both gaps: later items are
 * renumbered down by one. For B+tree pages (see PageAddItem). Returns false,
 * leaving the page alone, if offnum is out of range or the page is corrupt.
 */
bool
PageIndexTupleDelete(Page page, OffsetNumber offnum)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	ItemId		id;

	if (!header_is_sane(ph) || offnum < FirstOffsetNumber || offnum > maxoff)
		return false;
	id = PageGetItemId(page, offnum);
	if (ItemIdHasStorage(id))
	{
		unsigned	off = ItemIdGetOffset(id);
		unsigned	alignedlen = MAXALIGN(ItemIdGetLength(id));

		if (off < ph->pd_upper || off != MAXALIGN(off) || off + alignedlen > ph->pd_special)
			return false;
		/* Move everything stored below the item up over it. */
		shift_items_below(page, off, (int) alignedlen);
	}
	memmove(&ph->pd_linp[offnum - 1], &ph->pd_linp[offnum],
			(size_t) (maxoff - offnum) * sizeof(ItemIdData));
	ph->pd_lower -= sizeof(ItemIdData);

	PAGE_CHECK(page);
	return true;
}

/*
 * Replace the item at offnum with new bytes of any size, keeping its offset
 * number and flags. Items stored below it move by the size difference.
 * Returns false, page unchanged, if offnum is not an item with storage, the
 * new item does not fit, or the page is corrupt. item must not point into
 * the page.
 */
bool
PageIndexTupleOverwrite(Page page, OffsetNumber offnum, const void *item,
						size_t size)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	ItemId		id;
	unsigned	off;
	unsigned	oldalignedlen;
	int			shrink;

	if (!header_is_sane(ph) || offnum < FirstOffsetNumber || offnum > maxoff ||
		size == 0 || size > MaxItemSize)
		return false;
	id = PageGetItemId(page, offnum);
	if (!ItemIdHasStorage(id))
		return false;
	off = ItemIdGetOffset(id);
	oldalignedlen = MAXALIGN(ItemIdGetLength(id));
	if (off < ph->pd_upper || off != MAXALIGN(off) || off + oldalignedlen > ph->pd_special)
		return false;

	/* The item keeps its end, so it and everything below move by shrink. */
	shrink = (int) oldalignedlen - (int) MAXALIGN(size);
	if (shrink < 0 && (int) ph->pd_upper + shrink < (int) ph->pd_lower)
		return false;

	shift_items_below(page, off, shrink);
	off = (unsigned) ((int) off + shrink);
	ItemIdSet(id, off, ItemIdGetFlags(id), (unsigned) size);
	memcpy(page + off, item, size);
	memset(page + off + size, 0, MAXALIGN(size) - size);

	PAGE_CHECK(page);
	return true;
}

/*
 * Mark an item dead. An item with storage keeps it, so its bytes stay
 * readable (B+tree killed items) until PageRepairFragmentation drops them;
 * a redirect becomes a dead pointer without storage.
 */
void
PageSetItemDead(Page page, OffsetNumber offnum)
{
	ItemId		id = PageGetItemId(page, offnum);

	if (ItemIdHasStorage(id))
		ItemIdSet(id, ItemIdGetOffset(id), LP_DEAD, ItemIdGetLength(id));
	else
		ItemIdSet(id, 0, LP_DEAD, 0);
	PAGE_CHECK(page);
}

/*
 * Free a line pointer for reuse. Its bytes, if any, become garbage until the
 * next PageRepairFragmentation. The caller guarantees nothing points to this
 * offset any more (for the heap: vacuum has removed the index entries).
 */
void
PageSetItemUnused(Page page, OffsetNumber offnum)
{
	ItemIdSet(PageGetItemId(page, offnum), 0, LP_UNUSED, 0);
	((PageHeader) page)->pd_flags |= PD_HAS_FREE_LINES;
	PAGE_CHECK(page);
}

/*
 * Turn a line pointer into a redirect to target (the live member of a HOT
 * chain), so index entries pointing at offnum keep working after pruning.
 * Any bytes it had become garbage until the next repair.
 */
void
PageSetItemRedirect(Page page, OffsetNumber offnum, OffsetNumber target)
{
	assert(target >= FirstOffsetNumber && target <= PageGetMaxOffsetNumber(page) &&
		   target != offnum);
	ItemIdSet(PageGetItemId(page, offnum), target, LP_REDIRECT, 0);
	PAGE_CHECK(page);
}

/*
 * Compact the page: LP_NORMAL items are packed against the special space
 * in line pointer order, LP_DEAD items lose their storage, and the bytes of
 * unused and redirected slots are reclaimed. Offset numbers never change, so
 * item pointers into the page stay valid: this is the heap's pruning step.
 * PD_HAS_FREE_LINES is recomputed.
 *
 * Returns false, page unchanged, if the line pointers are corrupt (out of
 * range or overlapping); the caller should report the block.
 */
bool
PageRepairFragmentation(Page page)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	ItemStorage items[MaxOffsetNumber];
	int			nitems;
	unsigned	upper;
	bool		has_free = false;

	static char scratch[BLCKSZ];

	if (!header_is_sane(ph) || !collect_storage(page, items, &nitems) ||
		!check_overlap(items, nitems))
		return false;

	/*
	 * Pack the items, in line pointer order, downwards from the special
	 * space into a scratch page, then copy them back in one piece: no sort
	 * (line pointers reused by later inserts are not in offset order) and
	 * nothing is overwritten before it is copied. Deterministic, so redo
	 * of a prune record rebuilds the same page.
	 */
	upper = ph->pd_special;
	for (int i = 0; i < nitems; i++)
	{
		ItemId		id = &ph->pd_linp[items[i].offnum_index];

		if (!ItemIdIsNormal(id))
			continue;
		upper -= items[i].alignedlen;
		memcpy(scratch + upper, page + items[i].off, items[i].alignedlen);
		ItemIdSet(id, upper, LP_NORMAL, ItemIdGetLength(id));
	}
	memcpy(page + upper, scratch + upper, ph->pd_special - upper);
	ph->pd_upper = (uint16_t) upper;

	for (OffsetNumber i = 0; i < maxoff; i++)
	{
		ItemId		id = &ph->pd_linp[i];

		if (ItemIdIsDead(id))
			ItemIdSet(id, 0, LP_DEAD, 0);
		else if (!ItemIdIsUsed(id))
			has_free = true;
	}
	if (has_free)
		ph->pd_flags |= PD_HAS_FREE_LINES;
	else
		ph->pd_flags &= ~PD_HAS_FREE_LINES;

	PAGE_CHECK(page);
	return true;
}

/*
 * CRC32C of the page with pd_checksum read as zero, extended with the block
 * number: a page written to the wrong block, or a stale copy of another
 * block, fails verification even though its bytes are intact. Extending a
 * CRC by a 4-byte value is a bijection on that value, so two different block
 * numbers always give different checksums for the same bytes.
 */
uint32_t
PageComputeChecksum(Page page, BlockNumber blkno)
{
	static const unsigned char zero[sizeof(uint32_t)];
	size_t		csum_off = offsetof(PageHeaderData, pd_checksum);
	size_t		after = csum_off + sizeof(uint32_t);
	uint32_t	crc;

	crc = Crc32cExtend(0, page, csum_off);
	crc = Crc32cExtend(crc, zero, sizeof(zero));
	crc = Crc32cExtend(crc, page + after, BLCKSZ - after);
	return Crc32cExtend(crc, &blkno, sizeof(blkno));
}

/*
 * Stamp the checksum just before the page is written. Hint bits may be set
 * under a shared content lock, so the buffer manager must checksum and write
 * a private copy, not the shared buffer (PostgreSQL's PageSetChecksumCopy).
 */
void
PageSetChecksum(Page page, BlockNumber blkno)
{
	((PageHeader) page)->pd_checksum = PageComputeChecksum(page, blkno);
}

/*
 * True if the page read from blkno is intact. An all-zero page is accepted:
 * the relation was extended but the page never written, which a crash can
 * leave behind; redo or the next PageInit fills it.
 */
bool
PageVerifyChecksum(Page page, BlockNumber blkno)
{
	if (page_is_all_zero(page))
		return true;
	return ((PageHeader) page)->pd_checksum == PageComputeChecksum(page, blkno);
}

/*
 * Cheap header sanity check, run on every page read after the checksum (and
 * instead of it when checksums are off). A new page (pd_upper == 0) must be
 * entirely zero. Does not look at line pointers; see PageCheckItems.
 */
bool
PageIsVerified(Page page)
{
	if (PageIsNew(page))
		return page_is_all_zero(page);
	return header_is_sane((PageHeader) page);
}

/*
 * Full structural check of an initialized page: header sanity plus every
 * line pointer invariant from storage/README.md (state encodings, items
 * inside [pd_upper, pd_special), aligned, not overlapping, redirect targets
 * in range). Linear in the page size; debug builds, tusk-check and pruning
 * run it.
 */
bool
PageCheckItems(Page page)
{
	PageHeader	ph = (PageHeader) page;
	OffsetNumber maxoff;
	ItemStorage items[MaxOffsetNumber];
	int			nitems;

	if (PageIsNew(page) || !header_is_sane(ph))
		return false;
	maxoff = PageGetMaxOffsetNumber(page);
	for (OffsetNumber i = FirstOffsetNumber; i <= maxoff; i++)
	{
		const ItemIdData *id = PageGetItemId(page, i);
		unsigned	off = ItemIdGetOffset(id);
		unsigned	len = ItemIdGetLength(id);

		switch (ItemIdGetFlags(id))
		{
			case LP_UNUSED:
				/* The flag may be stale when set, never when clear. */
				if (off != 0 || len != 0 || !(ph->pd_flags & PD_HAS_FREE_LINES))
					return false;
				break;
			case LP_NORMAL:
				if (len == 0)
					return false;
				break;
			case LP_REDIRECT:
				if (len != 0 || off < FirstOffsetNumber || off > maxoff || off == i)
					return false;
				break;
			case LP_DEAD:
				if (len == 0 && off != 0)
					return false;
				break;
		}
	}
	return collect_storage(page, items, &nitems) &&
		check_overlap(items, nitems);
}
