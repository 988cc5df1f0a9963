/*
 * btree.c
 *	  The keyspace index: a Lehman & Yao B+tree in the shared buffer pool
 *	  mapping (db, key hash, key bytes) to a heap TID. Page-level functions
 *	  (on a plain BLCKSZ array), search, insert with splits, delete, scan and
 *	  the consistency checker. Redo is in btree_redo.c.
 *
 * NOTES
 *	  Runs in backends (lookups, inserts, scans), in vacuum (deletes), in the
 *	  startup process (BtInit; redo lives in btree_redo.c) and in tusk-check
 *	  (BtCheck). Every function returns with no pin and no lock held.
 *
 *	  Locks: content locks of this relation's buffers only. Readers hold one
 *	  content lock at a time: a page's lock is released before its child or
 *	  right sibling is locked, and a page found to end before the search key
 *	  (key >= high key) is left for its right sibling (the move-right rule).
 *	  A writer locks its leaf EXCLUSIVE the same way. A split keeps every page
 *	  it has changed locked while it walks up: left page, its new right page,
 *	  then the parent (moving right along the parent level), the parent's new
 *	  right page, and so on, and the metapage last when it makes a new root.
 *	  Nobody ever waits for a lower-level page while holding a higher one, or
 *	  for a page to the left of one it holds, so there is no deadlock; the
 *	  README gives the full argument.
 *
 *	  A split chain is one critical section and one WAL record
 *	  (XLOG_BT_SPLIT), so a crash can never leave a page without its
 *	  downlink and there is no "incomplete split" state to finish later.
 *	  Every new page is allocated (BufExtend) and every new page image is
 *	  built in private memory before the critical section starts; a failure
 *	  before that point releases everything and leaves the tree as it was
 *	  (new pages it extended stay behind as unused all-zero blocks).
 *
 *	  Pages are never merged or deleted: a leaf emptied by BtDelete stays in
 *	  the tree (README, known gaps).
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
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/smgr.h"
#include "wal/xlog.h"

_Static_assert(offsetof(BtItemData, db) == 8, "item db at byte 8");
_Static_assert(offsetof(BtItemData, keylen) == 10, "item keylen at byte 10");
_Static_assert(offsetof(BtItemData, block) == 12, "item block at byte 12");
_Static_assert(offsetof(BtItemData, offnum) == 16, "item offnum at byte 16");
_Static_assert(offsetof(BtItemData, flags) == 18, "item flags at byte 18");
_Static_assert(sizeof(BtPageOpaqueData) == 12, "special space is 12 bytes");
_Static_assert(sizeof(BtMetaData) == 16, "metadata is 16 bytes");
_Static_assert(BT_MAX_ITEM_SIZE == MAXALIGN(BT_MAX_ITEM_SIZE), "aligned item limit");
_Static_assert(BtItemSize(BT_MAX_KEY) == BT_MAX_ITEM_SIZE,
			   "BT_MAX_KEY must be the largest key that fits three items a page");
_Static_assert(2 * BT_MAX_LEVELS + 2 <= WAL_MAX_BLOCKS,
			   "a split record must be able to name every page it changes");

void (*btree_race_hook)(void);

#ifndef NDEBUG
#define BT_PAGE_CHECK(page, blkno) bt_assert_page((page), (blkno))
static void
bt_assert_page(Page page, BlockNumber blkno)
{
	char err[256];

	if (!BtPageCheck(page, blkno, err, sizeof(err)))
	{
		elog(WARNING, "%s", err);
		assert(!"B+tree page check failed");
	}
}
#else
#define BT_PAGE_CHECK(page, blkno) ((void) 0)
#endif

const char *
BtResultName(BtResult result)
{
	switch (result)
	{
		case BT_OK:
			return "ok";
		case BT_FOUND:
			return "found";
		case BT_NOT_FOUND:
			return "not found";
		case BT_INSERTED:
			return "inserted";
		case BT_UPDATED:
			return "updated";
		case BT_TID_MISMATCH:
			return "tid mismatch";
		case BT_KEY_TOO_LONG:
			return "key too long";
		case BT_ERROR:
			return "error";
	}
	return "unknown";
}

/* ================================================================ items */

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

/*
 * Order of keys: db, then hash, then key bytes (memcmp, shorter first on a
 * common prefix). The minus-infinity item of an internal page is not a key;
 * callers skip it by position.
 */
int
BtCompare(const BtKey *key, const BtItemData *item)
{
	size_t n;
	int c;

	if (key->db != item->db)
		return key->db < item->db ? -1 : 1;
	if (key->hash != item->hash)
		return cmp_u64(key->hash, item->hash);
	n = key->len < item->keylen ? key->len : item->keylen;
	c = n > 0 ? memcmp(key->key, BtItemKey(item), n) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	return cmp_u64(key->len, item->keylen);
}

static inline BtKey
bt_item_key(const BtItemData *item)
{
	BtKey k = {item->db, item->hash, BtItemKey(item), item->keylen};

	return k;
}

int
BtCompareItems(const BtItemData *a, const BtItemData *b)
{
	BtKey k = bt_item_key(a);

	return BtCompare(&k, b);
}

/* Write an item into out (BtItemSize(len) bytes); returns its size. */
size_t
BtItemForm(char *out, uint16_t db, uint64_t hash, const char *key, size_t len, BlockNumber block,
		   uint16_t offnum, uint16_t flags)
{
	BtItemData hdr;

	assert(len <= BT_MAX_KEY);
	memset(&hdr, 0, sizeof(hdr));
	hdr.hash = hash;
	hdr.db = db;
	hdr.keylen = (uint16_t) len;
	hdr.block = block;
	hdr.offnum = offnum;
	hdr.flags = flags;
	memcpy(out, &hdr, BT_ITEM_HEADER_SIZE);
	if (len > 0)
		memcpy(out + BT_ITEM_HEADER_SIZE, key, len);
	return BtItemSize(len);
}

/* Copy of an item's key with a different block/offnum/flags. */
static size_t
bt_item_copy(char *out, const BtItemData *src, BlockNumber block, uint16_t flags)
{
	return BtItemForm(out, src->db, src->hash, BtItemKey(src), src->keylen, block, 0, flags);
}

/* ========================================================== page level */

void
BtPageInit(Page page, uint16_t level, uint16_t flags, BlockNumber right)
{
	BtPageOpaque opaque;

	PageInit(page, sizeof(BtPageOpaqueData));
	opaque = BtPageGetOpaque(page);
	opaque->right = right;
	opaque->level = level;
	opaque->flags = flags;
	opaque->page_id = BT_PAGE_ID;
	opaque->reserved = 0;
}

BtItemData *
BtPageGetItem(Page page, OffsetNumber off)
{
	return (BtItemData *) PageGetItem(page, PageGetItemId(page, off));
}

OffsetNumber
BtPageLowerBound(Page page, const BtKey *key)
{
	OffsetNumber lo = BtPageFirstData(BtPageGetOpaque(page));
	OffsetNumber hi = OffsetNumberNext(PageGetMaxOffsetNumber(page));

	while (lo < hi)
	{
		OffsetNumber mid = (OffsetNumber) (lo + (hi - lo) / 2);

		if (BtCompare(key, BtPageGetItem(page, mid)) > 0)
			lo = OffsetNumberNext(mid);
		else
			hi = mid;
	}
	return lo;
}

/*
 * Child i of an internal page holds keys in [key(i), key(i+1)), the first
 * data item standing for minus infinity: follow the last item <= key.
 */
OffsetNumber
BtPageChooseChild(Page page, const BtKey *key)
{
	OffsetNumber first = BtPageFirstData(BtPageGetOpaque(page));
	OffsetNumber lo = OffsetNumberNext(first);
	OffsetNumber hi = OffsetNumberNext(PageGetMaxOffsetNumber(page));

	while (lo < hi)
	{
		OffsetNumber mid = (OffsetNumber) (lo + (hi - lo) / 2);

		if (BtCompare(key, BtPageGetItem(page, mid)) >= 0)
			lo = OffsetNumberNext(mid);
		else
			hi = mid;
	}
	return (OffsetNumber) (lo - 1);
}

bool
BtPageMustMoveRight(Page page, const BtKey *key)
{
	BtPageOpaque opaque = BtPageGetOpaque(page);

	if (BtPageIsRightmost(opaque))
		return false;
	return BtCompare(key, BtPageGetItem(page, BT_HIKEY)) >= 0;
}

/* ---------------------------------------------------- rebuild payloads */

typedef struct BtPayload
{
	char *buf; /* BT_REBUILD_MAX bytes */
	size_t len;
	uint16_t nitems;
} BtPayload;

static void
payload_begin(BtPayload *p, char *buf, BlockNumber right, uint16_t level, uint16_t flags)
{
	BtRebuildHeader hdr = {right, level, flags, 0, 0};

	p->buf = buf;
	p->nitems = 0;
	memcpy(buf, &hdr, sizeof(hdr));
	p->len = sizeof(hdr);
}

static void
payload_add(BtPayload *p, const char *item, size_t len)
{
	uint16_t l = (uint16_t) len;

	assert(p->len + sizeof(l) + len <= BT_REBUILD_MAX);
	memcpy(p->buf + p->len, &l, sizeof(l));
	memcpy(p->buf + p->len + sizeof(l), item, len);
	p->len += sizeof(l) + len;
	p->nitems++;
	memcpy(p->buf + offsetof(BtRebuildHeader, nitems), &p->nitems, sizeof(p->nitems));
}

/*
 * Format page from a rebuild payload (btree_int.h). Used for every page a
 * split writes, both when the split happens and at redo. False, with the
 * page in an unspecified state, if the payload is malformed.
 */
bool
BtPageRebuild(Page page, const char *payload, size_t len)
{
	BtRebuildHeader hdr;
	size_t pos = sizeof(hdr);

	if (len < sizeof(hdr))
		return false;
	memcpy(&hdr, payload, sizeof(hdr));
	if ((hdr.flags & ~BTP_VALID_FLAGS) != 0 || (hdr.flags & BTP_META) ||
		((hdr.flags & BTP_LEAF) != 0) != (hdr.level == 0))
		return false;
	BtPageInit(page, hdr.level, hdr.flags, hdr.right);
	for (unsigned i = 0; i < hdr.nitems; i++)
	{
		uint16_t l;
		uint16_t keylen;

		if (pos + sizeof(l) > len)
			return false;
		memcpy(&l, payload + pos, sizeof(l));
		pos += sizeof(l);
		if (l < BT_ITEM_HEADER_SIZE || l > BT_MAX_ITEM_SIZE || pos + l > len)
			return false;
		memcpy(&keylen, payload + pos + offsetof(BtItemData, keylen), sizeof(keylen));
		if (BtItemSize(keylen) != l)
			return false;
		if (PageAddItem(page, payload + pos, l, InvalidOffsetNumber, false) !=
			(OffsetNumber) (i + 1))
			return false;
		pos += l;
	}
	return pos == len;
}

void
BtMetaPageInit(Page page, BlockNumber root, uint32_t level)
{
	BtMetaData meta = {BT_META_MAGIC, BT_META_VERSION, root, level};
	OffsetNumber off;

	BtPageInit(page, 0, BTP_META, InvalidBlockNumber);
	off = PageAddItem(page, &meta, sizeof(meta), InvalidOffsetNumber, false);
	assert(off == FirstOffsetNumber);
	(void) off;
}

BtMetaData *
BtMetaPageGet(Page page)
{
	BtPageOpaque opaque;
	ItemId id;
	BtMetaData *meta;

	if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(BtPageOpaqueData)))
		return NULL;
	opaque = BtPageGetOpaque(page);
	if (opaque->page_id != BT_PAGE_ID || opaque->flags != BTP_META ||
		PageGetMaxOffsetNumber(page) != 1)
		return NULL;
	id = PageGetItemId(page, FirstOffsetNumber);
	if (!ItemIdIsNormal(id) || ItemIdGetLength(id) != sizeof(BtMetaData))
		return NULL;
	meta = (BtMetaData *) PageGetItem(page, id);
	if (meta->magic != BT_META_MAGIC || meta->version != BT_META_VERSION ||
		meta->level > BT_MAX_LEVELS || meta->root == BT_META_BLOCK ||
		meta->root == InvalidBlockNumber)
		return NULL;
	return meta;
}

#define CHECK_FAIL(...)                                                                            \
	do                                                                                             \
	{                                                                                              \
		if (errbuf != NULL && errlen > 0)                                                          \
			snprintf(errbuf, errlen, __VA_ARGS__);                                                 \
		return false;                                                                              \
	} while (0)

/*
 * The invariants one page can check alone (README invariants BT1-BT6): sane
 * slotted page, B+tree special space, well-formed items, strictly ascending
 * keys below the high key, minus-infinity first item on internal pages.
 */
bool
BtPageCheck(Page page, BlockNumber blkno, char *errbuf, size_t errlen)
{
	BtPageOpaque opaque;
	OffsetNumber maxoff;
	OffsetNumber first;
	const BtItemData *prev = NULL;

	if (PageIsNew(page))
		CHECK_FAIL("keyspace index block %u: page is new (all zero)", blkno);
	if (!PageCheckItems(page))
		CHECK_FAIL("keyspace index block %u: slotted page is corrupt", blkno);
	if (PageGetSpecialSize(page) != MAXALIGN(sizeof(BtPageOpaqueData)))
		CHECK_FAIL("keyspace index block %u: special space is %zu bytes", blkno,
				   PageGetSpecialSize(page));
	opaque = BtPageGetOpaque(page);
	if (opaque->page_id != BT_PAGE_ID || opaque->reserved != 0)
		CHECK_FAIL("keyspace index block %u: not a B+tree page", blkno);
	if ((opaque->flags & ~BTP_VALID_FLAGS) != 0 || (opaque->flags & BTP_META))
		CHECK_FAIL("keyspace index block %u: bad flags 0x%x", blkno, opaque->flags);
	if (((opaque->flags & BTP_LEAF) != 0) != (opaque->level == 0))
		CHECK_FAIL("keyspace index block %u: leaf flag disagrees with level %u", blkno,
				   opaque->level);
	if (opaque->level > BT_MAX_LEVELS)
		CHECK_FAIL("keyspace index block %u: level %u too deep", blkno, opaque->level);
	if (opaque->right == blkno || opaque->right == BT_META_BLOCK)
		CHECK_FAIL("keyspace index block %u: bad right-link %u", blkno, opaque->right);

	maxoff = PageGetMaxOffsetNumber(page);
	first = BtPageFirstData(opaque);
	if (maxoff < first - 1)
		CHECK_FAIL("keyspace index block %u: high key missing", blkno);
	if (opaque->level > 0 && maxoff < first)
		CHECK_FAIL("keyspace index block %u: internal page without downlinks", blkno);

	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		ItemId id = PageGetItemId(page, off);
		const BtItemData *item;
		bool is_hikey = off < first;
		bool minus_inf = opaque->level > 0 && off == first;

		if (!ItemIdIsNormal(id) || ItemIdGetLength(id) < BT_ITEM_HEADER_SIZE ||
			ItemIdGetLength(id) > BT_MAX_ITEM_SIZE)
			CHECK_FAIL("keyspace index block %u: bad line pointer %u", blkno, off);
		item = (const BtItemData *) PageGetItem(page, id);
		if (BtItemSize(item->keylen) != ItemIdGetLength(id))
			CHECK_FAIL(
				"keyspace index block %u: item %u key length %u disagrees with item length %u",
				blkno, off, item->keylen, ItemIdGetLength(id));
		if (is_hikey)
		{
			if (item->flags != 0 || item->block != InvalidBlockNumber || item->offnum != 0)
				CHECK_FAIL("keyspace index block %u: malformed high key", blkno);
			continue;
		}
		if (minus_inf)
		{
			if (item->flags != BTI_MINUS_INF || item->keylen != 0 || item->hash != 0 ||
				item->db != 0)
				CHECK_FAIL("keyspace index block %u: first downlink is not minus infinity", blkno);
		}
		else if (item->flags != 0)
			CHECK_FAIL("keyspace index block %u: item %u has flags 0x%x", blkno, off, item->flags);
		if (opaque->level > 0)
		{
			if (item->block == InvalidBlockNumber || item->block == BT_META_BLOCK ||
				item->block == blkno || item->offnum != 0)
				CHECK_FAIL("keyspace index block %u: item %u has bad downlink %u", blkno, off,
						   item->block);
		}
		if (minus_inf)
			continue;
		if (prev != NULL && BtCompareItems(prev, item) >= 0)
			CHECK_FAIL("keyspace index block %u: item %u is not above item %u", blkno, off,
					   off - 1);
		prev = item;
	}
	if (prev != NULL && !BtPageIsRightmost(opaque) &&
		BtCompareItems(prev, BtPageGetItem(page, BT_HIKEY)) >= 0)
		CHECK_FAIL("keyspace index block %u: last item is not below the high key", blkno);
	return true;
}

/* ========================================================= buffer level */

/* Root block and level from the metapage; false (logged) if unusable. */
static bool
bt_get_root(RelNumber rel, BlockNumber *root, uint32_t *level)
{
	Buffer buf = BufRead(rel, BT_META_BLOCK);
	BtMetaData *meta;

	if (!BufferIsValid(buf))
	{
		elog(WARNING, "could not read keyspace index %u metapage", rel);
		return false;
	}
	BufLockContent(buf, LW_SHARED);
	meta = BtMetaPageGet(BufGetPage(buf));
	if (meta == NULL)
	{
		BufUnlockRelease(buf);
		elog(WARNING, "keyspace index %u has an invalid metapage", rel);
		return false;
	}
	*root = meta->root;
	*level = meta->level;
	BufUnlockRelease(buf);
	return true;
}

/*
 * Pin and lock block blkno, which must be a B+tree page at `level` (any
 * level if level < 0). InvalidBuffer (logged, nothing held) otherwise.
 */
static Buffer
bt_lock_page(RelNumber rel, BlockNumber blkno, LWLockMode mode, int level)
{
	Buffer buf;
	Page page;
	BtPageOpaque opaque;

	if (blkno == BT_META_BLOCK || blkno == InvalidBlockNumber)
	{
		elog(WARNING, "keyspace index %u: link to invalid block %u", rel, blkno);
		return InvalidBuffer;
	}
	buf = BufRead(rel, blkno);
	if (!BufferIsValid(buf))
	{
		elog(WARNING, "could not read block %u of keyspace index %u", blkno, rel);
		return InvalidBuffer;
	}
	BufLockContent(buf, mode);
	page = BufGetPage(buf);
	opaque = BtPageGetOpaque(page);
	if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(BtPageOpaqueData)) ||
		opaque->page_id != BT_PAGE_ID || (opaque->flags & BTP_META) ||
		(level >= 0 && opaque->level != (uint16_t) level))
	{
		BufUnlockRelease(buf);
		elog(WARNING, "keyspace index %u: block %u is not a B+tree page of level %d", rel, blkno,
			 level);
		return InvalidBuffer;
	}
	return buf;
}

/*
 * The move-right rule: while key >= the page's high key, the key's page is
 * further right (a split moved it). Takes the locked buffer; returns the
 * locked buffer of the right page, or InvalidBuffer with nothing held.
 */
static Buffer
bt_move_right(RelNumber rel, Buffer buf, const BtKey *key, LWLockMode mode, int level)
{
	for (;;)
	{
		Page page = BufGetPage(buf);
		BlockNumber next;

		if (!BtPageMustMoveRight(page, key))
			return buf;
		next = BtPageGetOpaque(page)->right;
		BufUnlockRelease(buf);
		BT_RACE_POINT();
		buf = bt_lock_page(rel, next, mode, level);
		if (!BufferIsValid(buf))
			return InvalidBuffer;
	}
}

/* The internal page a descent went through at each level. */
typedef struct BtStack
{
	BlockNumber blk[BT_MAX_LEVELS + 1];
} BtStack;

/*
 * Descend from the root to the leaf that covers key, holding one lock at a
 * time, and return it locked in leaf_mode (InvalidBuffer on error, logged).
 * With stack, remember the page of each level the descent went through.
 */
static Buffer
bt_descend(RelNumber rel, const BtKey *key, LWLockMode leaf_mode, BtStack *stack)
{
	BlockNumber blk;
	uint32_t level;

	if (!bt_get_root(rel, &blk, &level))
		return InvalidBuffer;
	if (stack != NULL)
		for (int i = 0; i <= BT_MAX_LEVELS; i++)
			stack->blk[i] = InvalidBlockNumber;
	for (;;)
	{
		Buffer buf;
		Page page;
		OffsetNumber off;

		buf = bt_lock_page(rel, blk, level == 0 ? leaf_mode : LW_SHARED, (int) level);
		if (!BufferIsValid(buf))
			return InvalidBuffer;
		buf = bt_move_right(rel, buf, key, level == 0 ? leaf_mode : LW_SHARED, (int) level);
		if (!BufferIsValid(buf) || level == 0)
			return buf;
		page = BufGetPage(buf);
		off = BtPageChooseChild(page, key);
		if (stack != NULL)
			stack->blk[level] = BufGetBlockNumber(buf);
		blk = BtPageGetItem(page, off)->block;
		BufUnlockRelease(buf);
		BT_RACE_POINT();
		level--;
	}
}

/*
 * Find and EXCLUSIVE-lock the page at plevel that holds the downlink to
 * child, starting at blkno and moving right (a concurrent split of the
 * parent can only have moved it right). The caller holds child locked, so
 * the downlink exists. Returns the buffer and the downlink's offset.
 */
static Buffer
bt_find_parent(RelNumber rel, BlockNumber blkno, int plevel, BlockNumber child,
			   OffsetNumber *off_out)
{
	for (;;)
	{
		Buffer buf = bt_lock_page(rel, blkno, LW_EXCLUSIVE, plevel);
		Page page;
		BtPageOpaque opaque;
		OffsetNumber maxoff;

		if (!BufferIsValid(buf))
			return InvalidBuffer;
		page = BufGetPage(buf);
		opaque = BtPageGetOpaque(page);
		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = BtPageFirstData(opaque); off <= maxoff; off++)
			if (BtPageGetItem(page, off)->block == child)
			{
				*off_out = off;
				return buf;
			}
		if (BtPageIsRightmost(opaque))
		{
			BufUnlockRelease(buf);
			elog(WARNING, "keyspace index %u: no downlink to block %u at level %d", rel, child,
				 plevel);
			return InvalidBuffer;
		}
		blkno = opaque->right;
		BufUnlockRelease(buf);
		BT_RACE_POINT();
	}
}

/*
 * The parent level was not on the descent's path (the tree grew a new root
 * after it): walk the leftmost downlinks from the current root down to
 * plevel, then search right for child's downlink.
 */
static Buffer
bt_find_parent_from_root(RelNumber rel, int plevel, BlockNumber child, OffsetNumber *off_out)
{
	BlockNumber blk;
	uint32_t level;

	if (!bt_get_root(rel, &blk, &level))
		return InvalidBuffer;
	if ((int) level < plevel)
	{
		elog(WARNING, "keyspace index %u: root level %u is below level %d", rel, level, plevel);
		return InvalidBuffer;
	}
	while ((int) level > plevel)
	{
		Buffer buf = bt_lock_page(rel, blk, LW_SHARED, (int) level);
		Page page;

		if (!BufferIsValid(buf))
			return InvalidBuffer;
		page = BufGetPage(buf);
		blk = BtPageGetItem(page, BtPageFirstData(BtPageGetOpaque(page)))->block;
		BufUnlockRelease(buf);
		level--;
	}
	return bt_find_parent(rel, blk, plevel, child, off_out);
}

/* ============================================================== lookup */

static bool
key_is_valid(size_t len)
{
	return len <= BT_MAX_KEY;
}

BtResult
BtLookup(RelNumber rel, uint16_t db, uint64_t hash, const char *key, size_t len,
		 ItemPointerData *tid_out)
{
	BtKey k = {db, hash, key, len};
	Buffer buf;
	Page page;
	OffsetNumber off;
	BtResult result = BT_NOT_FOUND;

	if (!key_is_valid(len))
		return BT_KEY_TOO_LONG;
	buf = bt_descend(rel, &k, LW_SHARED, NULL);
	if (!BufferIsValid(buf))
		return BT_ERROR;
	page = BufGetPage(buf);
	off = BtPageLowerBound(page, &k);
	if (off <= PageGetMaxOffsetNumber(page))
	{
		const BtItemData *item = BtPageGetItem(page, off);

		if (BtCompare(&k, item) == 0)
		{
			if (tid_out != NULL)
			{
				tid_out->block = item->block;
				tid_out->offset = item->offnum;
			}
			result = BT_FOUND;
		}
	}
	BufUnlockRelease(buf);
	return result;
}

/* ============================================================== insert */

/* One level of a split chain; everything built before the critical section. */
typedef struct BtSplitStep
{
	Buffer left;  /* the page split, EXCLUSIVE */
	Buffer right; /* its new right sibling, EXCLUSIVE */
	BlockNumber right_blk;
	char *left_image; /* BLCKSZ each, MAXALIGNed */
	char *right_image;
	char *left_payload; /* BT_REBUILD_MAX each */
	char *right_payload;
	size_t left_len;
	size_t right_len;
	char *downlink; /* BT_MAX_ITEM_SIZE: item for the parent */
	size_t downlink_len;
	char *mem;
} BtSplitStep;

typedef struct BtSplit
{
	int nsteps;
	BtSplitStep steps[BT_MAX_LEVELS];
	int top;		/* BT_SPLIT_TOP_* */
	Buffer top_buf; /* parent taking the last downlink, or new root */
	OffsetNumber top_off;
	const char *top_item;
	size_t top_item_len;
	Buffer meta_buf;
	char *root_image;
	char *root_payload;
	size_t root_len;
	char *root_mem;
} BtSplit;

#define STEP_MEM_SIZE (2 * BLCKSZ + 2 * MAXALIGN(BT_REBUILD_MAX) + BT_MAX_ITEM_SIZE)

static void
step_alloc(BtSplitStep *s)
{
	char *p = MemAlloc(STEP_MEM_SIZE);

	s->mem = p;
	s->left_image = p;
	s->right_image = p + BLCKSZ;
	s->left_payload = p + 2 * BLCKSZ;
	s->right_payload = s->left_payload + MAXALIGN(BT_REBUILD_MAX);
	s->downlink = s->right_payload + MAXALIGN(BT_REBUILD_MAX);
	s->left = s->right = InvalidBuffer;
}

/* Release everything a split holds and free its memory. */
static void
split_release(BtSplit *sp)
{
	for (int i = 0; i < sp->nsteps; i++)
	{
		if (BufferIsValid(sp->steps[i].left))
			BufUnlockRelease(sp->steps[i].left);
		if (BufferIsValid(sp->steps[i].right))
			BufUnlockRelease(sp->steps[i].right);
		MemFree(sp->steps[i].mem);
	}
	if (BufferIsValid(sp->top_buf))
		BufUnlockRelease(sp->top_buf);
	if (BufferIsValid(sp->meta_buf))
		BufUnlockRelease(sp->meta_buf);
	if (sp->root_mem != NULL)
		MemFree(sp->root_mem);
	MemFree(sp);
}

typedef struct BtItemRef
{
	const BtItemData *item; /* MAXALIGNed copy or page item */
	uint16_t len;
} BtItemRef;

static inline size_t
item_space(size_t len)
{
	return MAXALIGN(len) + sizeof(ItemIdData);
}

/* Length of the leaf separator between two adjacent keys (see below). */
static size_t
leaf_separator_len(const BtItemData *lastleft, const BtItemData *firstright)
{
	if (lastleft->db != firstright->db || lastleft->hash != firstright->hash)
		return BtItemSize(0);
	return BtItemSize(firstright->keylen);
}

/*
 * The leaf separator: the shortest key s with lastleft < s <= firstright.
 * When the (db, hash) pairs differ, (db, hash) of firstright with no key
 * bytes is enough; equal hashes (collisions) need firstright's whole key.
 * Keeps internal pages full of 20-byte items, whatever the key lengths.
 */
static size_t
leaf_separator_form(char *out, const BtItemData *lastleft, const BtItemData *firstright,
					BlockNumber block)
{
	if (lastleft->db != firstright->db || lastleft->hash != firstright->hash)
		return BtItemForm(out, firstright->db, firstright->hash, NULL, 0, block, 0, 0);
	return bt_item_copy(out, firstright, block, 0);
}

/*
 * Plan the split of `page` (EXCLUSIVE-locked, blkno left_blk) with item
 * ins (len inslen) inserted at offset ins_off: pick the split point, build
 * the rebuild payloads and page images of the left page and of the new
 * right page right_blk, and the downlink item for the parent. Changes
 * nothing shared. False if no split point fits (a bug: the item size
 * limit promises one).
 */
static bool
split_plan(Page page, BlockNumber left_blk, const char *ins, size_t inslen, OffsetNumber ins_off,
		   BtSplitStep *step)
{
	BtPageOpaque opaque = BtPageGetOpaque(page);
	bool leaf = opaque->level == 0;
	OffsetNumber first = BtPageFirstData(opaque);
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	BtItemRef *items;
	size_t *prefix;
	int n = 0;
	size_t old_hikey_space = 0;
	int best_k = -1;
	size_t best_diff = SIZE_MAX;
	BtPayload lp, rp;
	_Alignas(8) char hikey[BT_MAX_ITEM_SIZE];
	size_t hikey_len;
	char err[256];

	items = MemAlloc(sizeof(BtItemRef) * (size_t) (maxoff + 2));
	prefix = MemAlloc(sizeof(size_t) * (size_t) (maxoff + 3));
	for (OffsetNumber off = first; off <= maxoff + 1; off++)
	{
		if (off == ins_off)
		{
			items[n].item = (const BtItemData *) ins;
			items[n].len = (uint16_t) inslen;
			n++;
		}
		if (off <= maxoff)
		{
			ItemId id = PageGetItemId(page, off);

			items[n].item = (const BtItemData *) PageGetItem(page, id);
			items[n].len = (uint16_t) ItemIdGetLength(id);
			n++;
		}
	}
	if (!BtPageIsRightmost(opaque))
		old_hikey_space = item_space(ItemIdGetLength(PageGetItemId(page, BT_HIKEY)));
	prefix[0] = 0;
	for (int i = 0; i < n; i++)
		prefix[i + 1] = prefix[i] + item_space(items[i].len);

	/* k data items go left, n - k right; each side keeps at least one. */
	for (int k = 1; k < n; k++)
	{
		size_t left, right;

		if (leaf)
		{
			left = prefix[k] + item_space(leaf_separator_len(items[k - 1].item, items[k].item));
			right = prefix[n] - prefix[k] + old_hikey_space;
		}
		else
		{
			/* items[k]'s key moves up; it stays right as minus infinity */
			left = prefix[k] + item_space(BtItemSize(items[k].item->keylen));
			right = item_space(BtItemSize(0)) + prefix[n] - prefix[k + 1] + old_hikey_space;
		}
		if (left > BT_PAGE_USABLE || right > BT_PAGE_USABLE)
			continue;
		if ((left > right ? left - right : right - left) < best_diff)
		{
			best_diff = left > right ? left - right : right - left;
			best_k = k;
		}
	}
	if (best_k < 0)
	{
		MemFree(items);
		MemFree(prefix);
		elog(WARNING, "keyspace index: no split point for block %u", left_blk);
		return false;
	}

	/* Left: new high key, then items [0, k). */
	if (leaf)
		hikey_len = leaf_separator_form(hikey, items[best_k - 1].item, items[best_k].item,
										InvalidBlockNumber);
	else
		hikey_len = bt_item_copy(hikey, items[best_k].item, InvalidBlockNumber, 0);
	payload_begin(&lp, step->left_payload, step->right_blk, opaque->level, opaque->flags);
	payload_add(&lp, hikey, hikey_len);
	for (int i = 0; i < best_k; i++)
		payload_add(&lp, (const char *) items[i].item, items[i].len);

	/* Right: old high key, then items [k, n), items[k] as minus infinity. */
	payload_begin(&rp, step->right_payload, opaque->right, opaque->level, opaque->flags);
	if (!BtPageIsRightmost(opaque))
		payload_add(&rp, (const char *) BtPageGetItem(page, BT_HIKEY),
					ItemIdGetLength(PageGetItemId(page, BT_HIKEY)));
	for (int i = best_k; i < n; i++)
	{
		if (!leaf && i == best_k)
		{
			_Alignas(8) char minf[BT_ITEM_HEADER_SIZE];
			size_t l = BtItemForm(minf, 0, 0, NULL, 0, items[i].item->block, 0, BTI_MINUS_INF);

			payload_add(&rp, minf, l);
		}
		else
			payload_add(&rp, (const char *) items[i].item, items[i].len);
	}

	/* The parent gets the high key pointing at the new page. */
	memcpy(step->downlink, hikey, hikey_len);
	memcpy(step->downlink + offsetof(BtItemData, block), &step->right_blk, sizeof(BlockNumber));
	step->downlink_len = hikey_len;

	step->left_len = lp.len;
	step->right_len = rp.len;
	MemFree(items);
	MemFree(prefix);

	if (!BtPageRebuild(step->left_image, lp.buf, lp.len) ||
		!BtPageRebuild(step->right_image, rp.buf, rp.len))
	{
		elog(WARNING, "keyspace index: split of block %u built an invalid page", left_blk);
		return false;
	}
	if (!BtPageCheck(step->left_image, left_blk, err, sizeof(err)) ||
		!BtPageCheck(step->right_image, step->right_blk, err, sizeof(err)))
	{
		elog(WARNING, "keyspace index: split would break a page: %s", err);
		return false;
	}
	return true;
}

/*
 * Insert item at ins_off of the full leaf `leaf` (EXCLUSIVE-locked), by
 * splitting it and as many ancestors as needed (see the file header).
 * Consumes the leaf's lock and pin whatever happens.
 */
static BtResult
bt_split_insert(RelNumber rel, uint64_t xid, Buffer leaf, OffsetNumber ins_off, const char *item,
				size_t itemlen, const BtStack *stack)
{
	BtSplit *sp = MemAllocZero(sizeof(BtSplit));
	Buffer cur = leaf;
	const char *ins = item;
	size_t inslen = itemlen;
	BtXlogSplit xlrec;
	BtXlogOffset top_rec;
	BtMetaData meta_rec;
	BlockNumber root_blk = InvalidBlockNumber;
	XLogRecPtr lsn;
	int level = 0;

	sp->top_buf = InvalidBuffer;
	sp->meta_buf = InvalidBuffer;
	for (;;)
	{
		Page page = BufGetPage(cur);
		BlockNumber left_blk = BufGetBlockNumber(cur);
		BtSplitStep *step;
		OffsetNumber poff;
		Buffer parent;

		if (MAXALIGN(inslen) <= PageGetFreeSpace(page))
		{
			sp->top = BT_SPLIT_TOP_INSERT;
			sp->top_buf = cur;
			sp->top_off = ins_off;
			sp->top_item = ins;
			sp->top_item_len = inslen;
			break;
		}
		if (sp->nsteps == BT_MAX_LEVELS)
		{
			elog(WARNING, "keyspace index %u: tree deeper than %d levels", rel, BT_MAX_LEVELS);
			BufUnlockRelease(cur);
			goto fail;
		}
		step = &sp->steps[sp->nsteps++];
		step_alloc(step);
		step->left = cur;
		step->right = BufExtend(rel, &step->right_blk);
		if (!BufferIsValid(step->right))
		{
			elog(WARNING, "could not extend keyspace index %u", rel);
			goto fail;
		}
		if (!split_plan(page, left_blk, ins, inslen, ins_off, step))
			goto fail;

		/* Now the parent: from the descent path, or the metapage. */
		BT_RACE_POINT();
		if (stack->blk[level + 1] != InvalidBlockNumber)
			parent = bt_find_parent(rel, stack->blk[level + 1], level + 1, left_blk, &poff);
		else
		{
			Buffer meta = BufRead(rel, BT_META_BLOCK);
			BtMetaData *m;

			if (!BufferIsValid(meta))
			{
				elog(WARNING, "could not read keyspace index %u metapage", rel);
				goto fail;
			}
			BufLockContent(meta, LW_EXCLUSIVE);
			m = BtMetaPageGet(BufGetPage(meta));
			if (m == NULL)
			{
				BufUnlockRelease(meta);
				elog(WARNING, "keyspace index %u has an invalid metapage", rel);
				goto fail;
			}
			if (m->root == left_blk)
			{
				sp->meta_buf = meta;
				break;
			}
			BufUnlockRelease(meta);
			parent = bt_find_parent_from_root(rel, level + 1, left_blk, &poff);
		}
		if (!BufferIsValid(parent))
			goto fail;
		cur = parent;
		ins = step->downlink;
		inslen = step->downlink_len;
		ins_off = OffsetNumberNext(poff);
		level++;
	}

	if (BufferIsValid(sp->meta_buf))
	{
		/* The root split: a new root with two downlinks. */
		BtSplitStep *last = &sp->steps[sp->nsteps - 1];
		_Alignas(8) char minf[BT_ITEM_HEADER_SIZE];
		BtPayload p;

		sp->top = BT_SPLIT_TOP_NEWROOT;
		sp->top_buf = BufExtend(rel, &root_blk);
		if (!BufferIsValid(sp->top_buf))
		{
			elog(WARNING, "could not extend keyspace index %u", rel);
			goto fail;
		}
		sp->root_mem = MemAlloc(BLCKSZ + MAXALIGN(BT_REBUILD_MAX));
		sp->root_image = sp->root_mem;
		sp->root_payload = sp->root_mem + BLCKSZ;
		payload_begin(&p, sp->root_payload, InvalidBlockNumber, (uint16_t) (level + 1), 0);
		payload_add(
			&p, minf,
			BtItemForm(minf, 0, 0, NULL, 0, BufGetBlockNumber(last->left), 0, BTI_MINUS_INF));
		payload_add(&p, last->downlink, last->downlink_len);
		sp->root_len = p.len;
		if (!BtPageRebuild(sp->root_image, p.buf, p.len))
		{
			elog(WARNING, "keyspace index %u: could not build a new root", rel);
			goto fail;
		}
		meta_rec.magic = BT_META_MAGIC;
		meta_rec.version = BT_META_VERSION;
		meta_rec.root = root_blk;
		meta_rec.level = (uint32_t) (level + 1);
	}

	/* Everything is locked, allocated and built: apply and log. */
	xlrec.nlevels = (uint8_t) sp->nsteps;
	xlrec.top = (uint8_t) sp->top;
	xlrec.level = 0;
	top_rec.offnum = sp->top_off;

	StartCritSection();
	for (int i = 0; i < sp->nsteps; i++)
	{
		memcpy(BufGetPage(sp->steps[i].left), sp->steps[i].left_image, BLCKSZ);
		memcpy(BufGetPage(sp->steps[i].right), sp->steps[i].right_image, BLCKSZ);
		BufMarkDirty(sp->steps[i].left);
		BufMarkDirty(sp->steps[i].right);
	}
	if (sp->top == BT_SPLIT_TOP_INSERT)
	{
		if (PageAddItem(BufGetPage(sp->top_buf), sp->top_item, sp->top_item_len, sp->top_off,
						false) != sp->top_off)
			elog(PANIC, "keyspace index %u: could not add downlink to block %u", rel,
				 BufGetBlockNumber(sp->top_buf));
	}
	else
	{
		memcpy(BufGetPage(sp->top_buf), sp->root_image, BLCKSZ);
		BtMetaPageInit(BufGetPage(sp->meta_buf), root_blk, meta_rec.level);
		BufMarkDirty(sp->meta_buf);
	}
	BufMarkDirty(sp->top_buf);

	XLogBeginInsert(WAL_RM_BTREE, XLOG_BT_SPLIT, xid);
	XLogRegisterData(&xlrec, sizeof(xlrec));
	for (int i = 0; i < sp->nsteps; i++)
	{
		uint8_t id = (uint8_t) (2 * i);

		XLogRegisterBuffer(id, sp->steps[i].left, WAL_BKP_WILL_INIT);
		XLogRegisterBufData(id, sp->steps[i].left_payload, (uint32_t) sp->steps[i].left_len);
		XLogRegisterBuffer(id + 1, sp->steps[i].right, WAL_BKP_WILL_INIT);
		XLogRegisterBufData(id + 1, sp->steps[i].right_payload, (uint32_t) sp->steps[i].right_len);
	}
	if (sp->top == BT_SPLIT_TOP_INSERT)
	{
		XLogRegisterBuffer((uint8_t) (2 * sp->nsteps), sp->top_buf, 0);
		XLogRegisterBufData((uint8_t) (2 * sp->nsteps), &top_rec, sizeof(top_rec));
		XLogRegisterBufData((uint8_t) (2 * sp->nsteps), sp->top_item, (uint32_t) sp->top_item_len);
	}
	else
	{
		XLogRegisterBuffer((uint8_t) (2 * sp->nsteps), sp->top_buf, WAL_BKP_WILL_INIT);
		XLogRegisterBufData((uint8_t) (2 * sp->nsteps), sp->root_payload, (uint32_t) sp->root_len);
		XLogRegisterBuffer((uint8_t) (2 * sp->nsteps + 1), sp->meta_buf, WAL_BKP_WILL_INIT);
		XLogRegisterBufData((uint8_t) (2 * sp->nsteps + 1), &meta_rec, sizeof(meta_rec));
	}
	lsn = XLogInsert();
	for (int i = 0; i < sp->nsteps; i++)
	{
		PageSetLSN(BufGetPage(sp->steps[i].left), lsn);
		PageSetLSN(BufGetPage(sp->steps[i].right), lsn);
	}
	PageSetLSN(BufGetPage(sp->top_buf), lsn);
	if (BufferIsValid(sp->meta_buf))
		PageSetLSN(BufGetPage(sp->meta_buf), lsn);
	EndCritSection();

	BT_PAGE_CHECK(BufGetPage(sp->top_buf), BufGetBlockNumber(sp->top_buf));
	split_release(sp);
	return BT_INSERTED;

fail:
	split_release(sp);
	return BT_ERROR;
}

BtResult
BtInsertOrUpdate(RelNumber rel, uint64_t xid, uint16_t db, uint64_t hash, const char *key,
				 size_t len, ItemPointerData tid, ItemPointerData *old_tid_out)
{
	BtKey k = {db, hash, key, len};
	BtStack stack;
	Buffer buf;
	Page page;
	OffsetNumber off;
	_Alignas(8) char item[BT_MAX_ITEM_SIZE];
	size_t itemlen;
	XLogRecPtr lsn;

	if (!key_is_valid(len))
		return BT_KEY_TOO_LONG;
	buf = bt_descend(rel, &k, LW_EXCLUSIVE, &stack);
	if (!BufferIsValid(buf))
		return BT_ERROR;
	page = BufGetPage(buf);
	off = BtPageLowerBound(page, &k);

	if (off <= PageGetMaxOffsetNumber(page) && BtCompare(&k, BtPageGetItem(page, off)) == 0)
	{
		BtItemData *old = BtPageGetItem(page, off);
		BtXlogUpdateTid xlrec = {off, tid.offset, tid.block};

		if (old_tid_out != NULL)
		{
			old_tid_out->block = old->block;
			old_tid_out->offset = old->offnum;
		}
		if (old->block != tid.block || old->offnum != tid.offset)
		{
			StartCritSection();
			old->block = tid.block;
			old->offnum = tid.offset;
			BufMarkDirty(buf);
			XLogBeginInsert(WAL_RM_BTREE, XLOG_BT_UPDATE_TID, xid);
			XLogRegisterBuffer(0, buf, 0);
			XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
			lsn = XLogInsert();
			PageSetLSN(page, lsn);
			EndCritSection();
		}
		BufUnlockRelease(buf);
		return BT_UPDATED;
	}

	itemlen = BtItemForm(item, db, hash, key, len, tid.block, tid.offset, 0);
	if (MAXALIGN(itemlen) > PageGetFreeSpace(page))
		return bt_split_insert(rel, xid, buf, off, item, itemlen, &stack);

	{
		BtXlogOffset xlrec = {off};

		StartCritSection();
		if (PageAddItem(page, item, itemlen, off, false) != off)
			elog(PANIC, "keyspace index %u: could not add item to block %u", rel,
				 BufGetBlockNumber(buf));
		BufMarkDirty(buf);
		XLogBeginInsert(WAL_RM_BTREE, XLOG_BT_INSERT, xid);
		XLogRegisterBuffer(0, buf, 0);
		XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
		XLogRegisterBufData(0, item, (uint32_t) itemlen);
		lsn = XLogInsert();
		PageSetLSN(page, lsn);
		EndCritSection();
	}
	BT_PAGE_CHECK(page, BufGetBlockNumber(buf));
	BufUnlockRelease(buf);
	return BT_INSERTED;
}

/* ============================================================== delete */

BtResult
BtDelete(RelNumber rel, uint64_t xid, uint16_t db, uint64_t hash, const char *key, size_t len,
		 const ItemPointerData *expected_tid)
{
	BtKey k = {db, hash, key, len};
	Buffer buf;
	Page page;
	OffsetNumber off;
	const BtItemData *item;
	BtXlogOffset xlrec;
	XLogRecPtr lsn;

	if (!key_is_valid(len))
		return BT_KEY_TOO_LONG;
	buf = bt_descend(rel, &k, LW_EXCLUSIVE, NULL);
	if (!BufferIsValid(buf))
		return BT_ERROR;
	page = BufGetPage(buf);
	off = BtPageLowerBound(page, &k);
	if (off > PageGetMaxOffsetNumber(page) || BtCompare(&k, (item = BtPageGetItem(page, off))) != 0)
	{
		BufUnlockRelease(buf);
		return BT_NOT_FOUND;
	}
	if (expected_tid != NULL &&
		(item->block != expected_tid->block || item->offnum != expected_tid->offset))
	{
		BufUnlockRelease(buf);
		return BT_TID_MISMATCH;
	}

	xlrec.offnum = off;
	StartCritSection();
	if (!PageIndexTupleDelete(page, off))
		elog(PANIC, "keyspace index %u: could not delete item %u of block %u", rel, off,
			 BufGetBlockNumber(buf));
	BufMarkDirty(buf);
	XLogBeginInsert(WAL_RM_BTREE, XLOG_BT_DELETE, xid);
	XLogRegisterBuffer(0, buf, 0);
	XLogRegisterBufData(0, &xlrec, sizeof(xlrec));
	lsn = XLogInsert();
	PageSetLSN(page, lsn);
	EndCritSection();
	BT_PAGE_CHECK(page, BufGetBlockNumber(buf));
	BufUnlockRelease(buf);
	return BT_FOUND;
}

/* ============================================================== vacuum */

/*
 * Walk the leaves of db (every database when db < 0) left to right, each
 * under its EXCLUSIVE lock alone, and delete the entries whose TID dead()
 * accepts: one XLOG_BT_VACUUM record per page changed. The check and the
 * delete happen under the same lock, so an entry a writer re-pointed at a
 * new version in the meantime is kept. A split racing with the walk can
 * only move entries that were already looked at, or new ones, to a page
 * the walk does not visit; new entries never point at dead versions.
 */
BtResult
BtBulkDelete(RelNumber rel, int db, BtDeadTidFn dead, void *arg, uint64_t *ndeleted)
{
	BtKey k = {db < 0 ? 0 : (uint16_t) db, 0, NULL, 0};
	Buffer buf;
	OffsetNumber *offs = MemAlloc(sizeof(OffsetNumber) * (MaxOffsetNumber + 1));
	BtResult result = BT_OK;

	*ndeleted = 0;
	buf = bt_descend(rel, &k, LW_EXCLUSIVE, NULL);
	if (!BufferIsValid(buf))
	{
		MemFree(offs);
		return BT_ERROR;
	}
	for (;;)
	{
		Page page = BufGetPage(buf);
		BtPageOpaque opaque = BtPageGetOpaque(page);
		OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
		uint16_t n = 0;
		bool past_db = false;
		BlockNumber next;

		/* collect from the right, so deletes keep the remaining offsets */
		for (OffsetNumber off = maxoff; off >= BtPageFirstData(opaque) && off != InvalidOffsetNumber; off--)
		{
			const BtItemData *item = BtPageGetItem(page, off);
			ItemPointerData tid = {item->block, item->offnum};

			if (db >= 0 && item->db != (uint16_t) db)
				continue;
			if (dead(&tid, arg))
				offs[n++] = off;
		}
		if (n > 0)
		{
			XLogRecPtr lsn;

			StartCritSection();
			for (uint16_t i = 0; i < n; i++)
				if (!PageIndexTupleDelete(page, offs[i]))
					elog(PANIC, "keyspace index %u: could not delete item %u of block %u", rel,
						 offs[i], BufGetBlockNumber(buf));
			BufMarkDirty(buf);
			XLogBeginInsert(WAL_RM_BTREE, XLOG_BT_VACUUM, 0);
			XLogRegisterBuffer(0, buf, 0);
			XLogRegisterBufData(0, &n, sizeof(n));
			XLogRegisterBufData(0, offs, (uint32_t) (n * sizeof(OffsetNumber)));
			lsn = XLogInsert();
			PageSetLSN(page, lsn);
			EndCritSection();
			BT_PAGE_CHECK(page, BufGetBlockNumber(buf));
			*ndeleted += n;
		}
		if (db >= 0 && !BtPageIsRightmost(opaque) && BtPageGetItem(page, BT_HIKEY)->db > (uint16_t) db)
			past_db = true;
		if (BtPageIsRightmost(opaque) || past_db)
			break;
		next = opaque->right;
		BufUnlockRelease(buf);
		buf = bt_lock_page(rel, next, LW_EXCLUSIVE, 0);
		if (!BufferIsValid(buf))
		{
			result = BT_ERROR;
			break;
		}
	}
	if (BufferIsValid(buf))
		BufUnlockRelease(buf);
	MemFree(offs);
	return result;
}

/* ================================================================ scan */

void
BtScanBatchInit(BtScanBatch *batch)
{
	memset(batch, 0, sizeof(*batch));
}

void
BtScanBatchFree(BtScanBatch *batch)
{
	if (batch->entries != NULL)
		MemFree(batch->entries);
	if (batch->keys != NULL)
		MemFree(batch->keys);
	memset(batch, 0, sizeof(*batch));
}

static void
batch_add(BtScanBatch *batch, const BtItemData *item)
{
	BtScanEntry *e;

	if (batch->nentries == batch->capacity)
	{
		batch->capacity = batch->capacity == 0 ? 64 : batch->capacity * 2;
		batch->entries = MemRealloc(batch->entries, sizeof(BtScanEntry) * (size_t) batch->capacity);
	}
	if (batch->keys_used + item->keylen > batch->keys_capacity)
	{
		size_t cap = batch->keys_capacity == 0 ? 4096 : batch->keys_capacity;

		while (cap < batch->keys_used + item->keylen)
			cap *= 2;
		batch->keys = MemRealloc(batch->keys, cap);
		batch->keys_capacity = cap;
	}
	e = &batch->entries[batch->nentries++];
	e->hash = item->hash;
	e->tid.block = item->block;
	e->tid.offset = item->offnum;
	e->keylen = item->keylen;
	/* An offset for now: the arena may move. BtScan fixes the pointers. */
	e->key = (const char *) (uintptr_t) batch->keys_used;
	if (item->keylen > 0)
		memcpy(batch->keys + batch->keys_used, BtItemKey(item), item->keylen);
	batch->keys_used += item->keylen;
}

BtResult
BtScan(RelNumber rel, uint16_t db, uint64_t start_hash, int max, BtScanBatch *batch)
{
	BtKey k = {db, start_hash, NULL, 0};
	Buffer buf;
	OffsetNumber off;
	BtResult result = BT_OK;

	batch->nentries = 0;
	batch->keys_used = 0;
	batch->more = false;
	batch->next_hash = 0;
	if (max < 1)
		max = 1;

	buf = bt_descend(rel, &k, LW_SHARED, NULL);
	if (!BufferIsValid(buf))
		return BT_ERROR;
	off = BtPageLowerBound(BufGetPage(buf), &k);
	for (;;)
	{
		Page page = BufGetPage(buf);
		BtPageOpaque opaque = BtPageGetOpaque(page);
		OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
		BlockNumber next;

		for (; off <= maxoff; off++)
		{
			const BtItemData *item = BtPageGetItem(page, off);

			if (item->db != db)
				goto done; /* past the end of db */
			if (batch->nentries >= max && item->hash != batch->entries[batch->nentries - 1].hash)
			{
				batch->more = true;
				batch->next_hash = item->hash;
				goto done;
			}
			batch_add(batch, item);
		}
		if (BtPageIsRightmost(opaque) || BtPageGetItem(page, BT_HIKEY)->db != db)
			goto done;
		/* Everything right of here is >= the high key: take all of it. */
		next = opaque->right;
		BufUnlockRelease(buf);
		BT_RACE_POINT();
		buf = bt_lock_page(rel, next, LW_SHARED, 0);
		if (!BufferIsValid(buf))
		{
			result = BT_ERROR;
			break;
		}
		off = BtPageFirstData(BtPageGetOpaque(BufGetPage(buf)));
	}
done:
	if (BufferIsValid(buf))
		BufUnlockRelease(buf);
	for (int i = 0; i < batch->nentries; i++)
		batch->entries[i].key = batch->keys + (uintptr_t) batch->entries[i].key;
	if (result != BT_OK)
	{
		batch->nentries = 0;
		batch->more = false;
	}
	return result;
}

/* =============================================================== init */

bool
BtInit(RelNumber rel)
{
	BlockNumber nblocks = SmgrNblocks(rel);
	Buffer meta = InvalidBuffer;
	Buffer root = InvalidBuffer;
	BlockNumber blk;
	BtMetaData meta_rec = {BT_META_MAGIC, BT_META_VERSION, 1, 0};
	char *payload;
	BtPayload p;
	XLogRecPtr lsn;

	if (nblocks != InvalidBlockNumber && nblocks > 0)
	{
		bool valid, is_new;

		meta = BufRead(rel, BT_META_BLOCK);
		if (!BufferIsValid(meta))
		{
			elog(WARNING, "could not read keyspace index %u metapage", rel);
			return false;
		}
		BufLockContent(meta, LW_EXCLUSIVE);
		valid = BtMetaPageGet(BufGetPage(meta)) != NULL;
		is_new = PageIsNew(BufGetPage(meta));
		if (valid || !is_new)
		{
			BufUnlockRelease(meta);
			if (!valid)
				elog(WARNING, "keyspace index %u: block 0 is not a metapage", rel);
			return valid;
		}
		/* An extension whose WAL record never made it: start over in place. */
	}
	else
	{
		meta = BufExtend(rel, &blk);
		if (!BufferIsValid(meta))
		{
			elog(WARNING, "could not extend keyspace index %u", rel);
			return false;
		}
		if (blk != BT_META_BLOCK)
		{
			BufUnlockRelease(meta);
			elog(WARNING, "keyspace index %u: metapage got block %u", rel, blk);
			return false;
		}
	}
	if (nblocks != InvalidBlockNumber && nblocks >= 2)
	{
		root = BufRead(rel, 1);
		if (BufferIsValid(root))
			BufLockContent(root, LW_EXCLUSIVE);
		blk = 1;
	}
	else
		root = BufExtend(rel, &blk);
	if (!BufferIsValid(root) || blk != 1)
	{
		if (BufferIsValid(root))
			BufUnlockRelease(root);
		BufUnlockRelease(meta);
		elog(WARNING, "could not allocate the root of keyspace index %u", rel);
		return false;
	}

	payload = MemAlloc(sizeof(BtRebuildHeader));
	payload_begin(&p, payload, InvalidBlockNumber, 0, BTP_LEAF);

	StartCritSection();
	BtMetaPageInit(BufGetPage(meta), 1, 0);
	if (!BtPageRebuild(BufGetPage(root), p.buf, p.len))
		elog(PANIC, "keyspace index %u: could not build the root", rel);
	BufMarkDirty(meta);
	BufMarkDirty(root);
	XLogBeginInsert(WAL_RM_BTREE, XLOG_BT_INIT_META, 0);
	XLogRegisterBuffer(0, meta, WAL_BKP_WILL_INIT);
	XLogRegisterBufData(0, &meta_rec, sizeof(meta_rec));
	XLogRegisterBuffer(1, root, WAL_BKP_WILL_INIT);
	XLogRegisterBufData(1, p.buf, (uint32_t) p.len);
	lsn = XLogInsert();
	PageSetLSN(BufGetPage(meta), lsn);
	PageSetLSN(BufGetPage(root), lsn);
	EndCritSection();

	MemFree(payload);
	BufUnlockRelease(root);
	BufUnlockRelease(meta);
	return true;
}

/* ============================================================== check */

/* What the parent level says about one page of the level below. */
typedef struct BtExpect
{
	BlockNumber blk;
	char *low;	/* item whose key is the lower bound, or NULL */
	char *high; /* item whose key must be the high key, or NULL */
} BtExpect;

typedef struct BtExpectList
{
	BtExpect *v;
	size_t n;
	size_t cap;
} BtExpectList;

static char *
item_dup(const BtItemData *item)
{
	char *p;

	if (item == NULL)
		return NULL;
	p = MemAlloc(BtItemSize(item->keylen));
	memcpy(p, item, BtItemSize(item->keylen));
	return p;
}

static void
expect_push(BtExpectList *l, BlockNumber blk, const BtItemData *low, const BtItemData *high)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->v = MemRealloc(l->v, sizeof(BtExpect) * l->cap);
	}
	l->v[l->n].blk = blk;
	l->v[l->n].low = item_dup(low);
	l->v[l->n].high = item_dup(high);
	l->n++;
}

static void
expect_free(BtExpectList *l)
{
	for (size_t i = 0; i < l->n; i++)
	{
		if (l->v[i].low)
			MemFree(l->v[i].low);
		if (l->v[i].high)
			MemFree(l->v[i].high);
	}
	if (l->v)
		MemFree(l->v);
	memset(l, 0, sizeof(*l));
}

static bool
same_key(const BtItemData *a, const BtItemData *b)
{
	return BtCompareItems(a, b) == 0;
}

/*
 * Check one level: walk the right-links from the leftmost page and compare
 * each page with what the level above promised (exp); collect the promises
 * for the level below into next.
 */
static bool
check_level(RelNumber rel, uint32_t level, const BtExpectList *exp, BtExpectList *next,
			uint8_t *seen, BlockNumber nblocks, BtCheckStats *st, char *errbuf, size_t errlen)
{
	BlockNumber blk = exp->v[0].blk;
	size_t i = 0;

	while (blk != InvalidBlockNumber)
	{
		Buffer buf;
		Page page;
		BtPageOpaque opaque;
		OffsetNumber first, maxoff;
		const BtExpect *e;
		const BtItemData *hikey = NULL;

		if (i >= exp->n)
			CHECK_FAIL("keyspace index %u: block %u at level %u has no downlink", rel, blk, level);
		e = &exp->v[i];
		if (blk != e->blk)
			CHECK_FAIL("keyspace index %u: right-link at level %u reaches block %u, the parent "
					   "level expects block %u",
					   rel, level, blk, e->blk);
		if (blk >= nblocks)
			CHECK_FAIL("keyspace index %u: block %u is past the end (%u blocks)", rel, blk,
					   nblocks);
		if (seen[blk / 8] & (1 << (blk % 8)))
			CHECK_FAIL("keyspace index %u: block %u reached twice", rel, blk);
		seen[blk / 8] |= (uint8_t) (1 << (blk % 8));

		buf = BufRead(rel, blk);
		if (!BufferIsValid(buf))
			CHECK_FAIL("keyspace index %u: could not read block %u", rel, blk);
		BufLockContent(buf, LW_SHARED);
		page = BufGetPage(buf);
		if (!BtPageCheck(page, blk, errbuf, errlen))
		{
			BufUnlockRelease(buf);
			return false;
		}
		opaque = BtPageGetOpaque(page);
		if (opaque->level != level)
		{
			BufUnlockRelease(buf);
			CHECK_FAIL("keyspace index %u: block %u has level %u, expected %u", rel, blk,
					   opaque->level, level);
		}
		first = BtPageFirstData(opaque);
		maxoff = PageGetMaxOffsetNumber(page);
		if (!BtPageIsRightmost(opaque))
			hikey = BtPageGetItem(page, BT_HIKEY);
		if ((hikey == NULL) != (e->high == NULL) ||
			(hikey != NULL && !same_key(hikey, (const BtItemData *) e->high)))
		{
			BufUnlockRelease(buf);
			CHECK_FAIL("keyspace index %u: high key of block %u disagrees with its parent", rel,
					   blk);
		}
		/* Lower bound: the parent's key for this page (first real key here). */
		if (e->low != NULL)
		{
			OffsetNumber lowoff = level > 0 ? OffsetNumberNext(first) : first;

			if (lowoff <= maxoff &&
				BtCompareItems((const BtItemData *) e->low, BtPageGetItem(page, lowoff)) > 0)
			{
				BufUnlockRelease(buf);
				CHECK_FAIL("keyspace index %u: block %u holds a key below its parent's bound", rel,
						   blk);
			}
		}
		st->pages++;
		if (level == 0)
		{
			st->leaf_pages++;
			st->entries += (uint64_t) (maxoff - first + 1);
		}
		else
		{
			for (OffsetNumber off = first; off <= maxoff; off++)
			{
				const BtItemData *item = BtPageGetItem(page, off);
				const BtItemData *low = off == first ? (const BtItemData *) e->low : item;
				const BtItemData *high = off == maxoff ? (const BtItemData *) e->high
													   : BtPageGetItem(page, OffsetNumberNext(off));

				expect_push(next, item->block, low, high);
			}
		}
		blk = opaque->right;
		BufUnlockRelease(buf);
		i++;
	}
	if (i != exp->n)
		CHECK_FAIL("keyspace index %u: level %u has %zu pages on its right-link chain, the parent "
				   "level has %zu downlinks",
				   rel, level, i, exp->n);
	return true;
}

bool
BtCheck(RelNumber rel, BtCheckStats *stats, char *errbuf, size_t errlen)
{
	BtCheckStats st;
	BlockNumber root;
	uint32_t rlevel;
	BlockNumber nblocks = SmgrNblocks(rel);
	BtExpectList cur = {0}, next = {0};
	uint8_t *seen;
	bool ok = true;

	memset(&st, 0, sizeof(st));
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (nblocks == InvalidBlockNumber || nblocks < 2)
		CHECK_FAIL("keyspace index %u: %u blocks, too few for a tree", rel, nblocks);
	if (!bt_get_root(rel, &root, &rlevel))
		CHECK_FAIL("keyspace index %u: metapage is missing or invalid", rel);
	seen = MemAllocZero(nblocks / 8 + 1);
	seen[0] = 1; /* the metapage */
	st.levels = rlevel + 1;
	expect_push(&cur, root, NULL, NULL);
	for (int level = (int) rlevel; level >= 0 && ok; level--)
	{
		ok = check_level(rel, (uint32_t) level, &cur, &next, seen, nblocks, &st, errbuf, errlen);
		expect_free(&cur);
		cur = next;
		memset(&next, 0, sizeof(next));
	}
	expect_free(&cur);
	expect_free(&next);

	/*
	 * A block no page links to can only be one a split or BtInit extended
	 * and then never used (error before its critical section, or a crash
	 * before its WAL record): it must still be all zero.
	 */
	for (BlockNumber blk = 1; ok && blk < nblocks; blk++)
	{
		Buffer buf;

		if (seen[blk / 8] & (1 << (blk % 8)))
			continue;
		buf = BufRead(rel, blk);
		if (!BufferIsValid(buf))
		{
			ok = false;
			if (errbuf != NULL && errlen > 0)
				snprintf(errbuf, errlen, "keyspace index %u: could not read block %u", rel, blk);
			break;
		}
		BufLockContent(buf, LW_SHARED);
		if (!PageIsNew(BufGetPage(buf)))
		{
			ok = false;
			if (errbuf != NULL && errlen > 0)
				snprintf(errbuf, errlen,
						 "keyspace index %u: block %u is in use but no page links to it", rel, blk);
		}
		BufUnlockRelease(buf);
		st.unused_pages++;
	}
	MemFree(seen);
	if (stats != NULL)
		*stats = st;
	return ok;
}
