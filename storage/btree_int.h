/*
 * btree_int.h
 *	  Private to the keyspace B+tree (btree.c, btree_redo.c, its unit test):
 *	  page special space, item format, metapage, WAL record layouts, and the
 *	  page-level functions that work on a plain BLCKSZ array.
 *
 * NOTES
 *	  Byte tables for everything here are in storage/README.md, section
 *	  "Keyspace B+tree (btree.c)". The page-level functions take no locks
 *	  and know nothing of buffers or WAL; callers hold the content lock the
 *	  operation needs. Redo rebuilds pages with the same functions the
 *	  original operation used (BtPageRebuild), so both produce the same bytes.
 */
#ifndef TUSK_BTREE_INT_H
#define TUSK_BTREE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/btree.h"
#include "storage/bufpage.h"

/* ------------------------------------------------------------ special space */

typedef struct BtPageOpaqueData
{
	BlockNumber right; /* right sibling; InvalidBlockNumber if this
						* is the rightmost page of its level */
	uint16_t level;	   /* 0 for leaves, parent = child + 1 */
	uint16_t flags;	   /* BTP_* */
	uint16_t page_id;  /* BT_PAGE_ID: tells tools this is a B+tree page */
	uint16_t reserved; /* zero */
} BtPageOpaqueData;

typedef BtPageOpaqueData *BtPageOpaque;

#define BTP_LEAF		0x0001
#define BTP_META		0x0002
#define BTP_VALID_FLAGS 0x0003

#define BT_PAGE_ID 0xB7EE

#define BtPageGetOpaque(page)	  ((BtPageOpaque) PageGetSpecial(page))
#define BtPageIsRightmost(opaque) ((opaque)->right == InvalidBlockNumber)
/* Every page but the rightmost of its level has a high key at offset 1. */
#define BT_HIKEY ((OffsetNumber) 1)
#define BtPageFirstData(opaque)                                                                    \
	((OffsetNumber) (BtPageIsRightmost(opaque) ? FirstOffsetNumber : FirstOffsetNumber + 1))

#define BT_PAGE_USABLE (BLCKSZ - SizeOfPageHeaderData - MAXALIGN(sizeof(BtPageOpaqueData)))

/* ------------------------------------------------------------------- items */

/*
 * Every item (leaf entry, downlink, high key) has this 20-byte header
 * followed by keylen key bytes. Items start MAXALIGNed on the page, so the
 * fields can be read in place. sizeof() is 24 because of tail padding:
 * use BT_ITEM_HEADER_SIZE.
 */
typedef struct BtItemData
{
	uint64_t hash;
	uint16_t db;
	uint16_t keylen;
	BlockNumber block; /* leaf: heap block; internal: child block;
						* high key: InvalidBlockNumber */
	uint16_t offnum;   /* leaf: heap offset; otherwise 0 */
	uint16_t flags;	   /* BTI_*; key bytes follow at BT_ITEM_HEADER_SIZE */
} BtItemData;

typedef BtItemData *BtItem;

#define BT_ITEM_HEADER_SIZE 20
#define BTI_MINUS_INF                                                                              \
	0x0001 /* first data item of an internal page: its                                             \
			* key is lower than every key */

#define BtItemKey(item)	   ((const char *) (item) + BT_ITEM_HEADER_SIZE)
#define BtItemSize(keylen) ((size_t) BT_ITEM_HEADER_SIZE + (keylen))

/*
 * Largest item: three of them and a minus-infinity item fit on a page with
 * their line pointers. So a leaf split always finds room for a high key
 * and one entry on each side, and an internal page split keeps at least
 * two downlinks on each side (fanout >= 2, which bounds the depth).
 */
#define BT_MAX_ITEM_SIZE                                                                           \
	MAXALIGN_DOWN((BT_PAGE_USABLE - MAXALIGN(BT_ITEM_HEADER_SIZE) - sizeof(ItemIdData)) / 3 -      \
				  sizeof(ItemIdData))

/* A search key: (db, hash, key bytes). */
typedef struct BtKey
{
	uint16_t db;
	uint64_t hash;
	const char *key;
	size_t len;
} BtKey;

/* --------------------------------------------------------------- metapage */

#define BT_META_BLOCK	((BlockNumber) 0)
#define BT_META_MAGIC	0x7B7EE001u
#define BT_META_VERSION 1u

/* The metapage's only item, at offset 1. */
typedef struct BtMetaData
{
	uint32_t magic;
	uint32_t version;
	BlockNumber root;
	uint32_t level; /* level of the root */
} BtMetaData;

/* Deepest tree a single split record can describe (see XLOG_BT_SPLIT). */
#define BT_MAX_LEVELS 15

/* -------------------------------------------------------------------- WAL */

/* Opcodes (low four bits of info). */
#define XLOG_BT_INIT_META                                                                          \
	0x00						/* blk 0 meta (WILL_INIT, BtMetaData),                             \
								 * blk 1 root leaf (WILL_INIT, rebuild) */
#define XLOG_BT_INSERT	   0x01 /* blk 0: BtXlogOffset + item bytes */
#define XLOG_BT_UPDATE_TID 0x02 /* blk 0: BtXlogUpdateTid */
#define XLOG_BT_DELETE	   0x03 /* blk 0: BtXlogOffset */
#define XLOG_BT_SPLIT	   0x04 /* main: BtXlogSplit; see below */
#define XLOG_BT_VACUUM	   0x05 /* blk 0: uint16 n, then n offsets, descending */

/*
 * XLOG_BT_SPLIT covers a whole split chain, from the leaf up to the first
 * ancestor that had room (or a new root), in one record:
 *	 block 2i	  left page of level i, WILL_INIT, rebuild payload
 *	 block 2i+1  new right page of level i, WILL_INIT, rebuild payload
 *	 block 2n	  BT_SPLIT_TOP_INSERT: the parent, BtXlogOffset + downlink item
 *				  BT_SPLIT_TOP_NEWROOT: the new root, WILL_INIT, rebuild payload
 *	 block 2n+1  BT_SPLIT_TOP_NEWROOT only: metapage, WILL_INIT, BtMetaData
 * for i in 0 .. n-1 where n = nlevels.
 */
#define BT_SPLIT_TOP_INSERT	 0
#define BT_SPLIT_TOP_NEWROOT 1

typedef struct BtXlogSplit
{
	uint8_t nlevels;
	uint8_t top;
	uint16_t level; /* level of the first split page (always 0 now) */
} BtXlogSplit;

typedef struct BtXlogOffset
{
	uint16_t offnum;
} BtXlogOffset;

typedef struct BtXlogUpdateTid
{
	uint16_t offnum;
	uint16_t tid_offnum;
	BlockNumber tid_blkno;
} BtXlogUpdateTid;

/*
 * Rebuild payload: the whole contents of a page, used for every page a
 * split writes. Header, then nitems times (uint16 length, item bytes), in
 * offset order, high key first when right != InvalidBlockNumber.
 */
typedef struct BtRebuildHeader
{
	BlockNumber right;
	uint16_t level;
	uint16_t flags;
	uint16_t nitems;
	uint16_t reserved;
} BtRebuildHeader;

/* Big enough for any page's rebuild payload (each item adds 2 bytes). */
#define BT_REBUILD_MAX (sizeof(BtRebuildHeader) + BLCKSZ + 2 * MaxOffsetNumber)

/* ------------------------------------------------------ page-level functions */

int BtCompare(const BtKey *key, const BtItemData *item);
int BtCompareItems(const BtItemData *a, const BtItemData *b);
size_t BtItemForm(char *out, uint16_t db, uint64_t hash, const char *key, size_t len,
				  BlockNumber block, uint16_t offnum, uint16_t flags);

void BtPageInit(Page page, uint16_t level, uint16_t flags, BlockNumber right);
BtItemData *BtPageGetItem(Page page, OffsetNumber off);

/* First data offset whose item is >= key (maxoff + 1 if none). Leaf pages. */
OffsetNumber BtPageLowerBound(Page page, const BtKey *key);
/* Offset of the downlink to follow for key. Internal pages. */
OffsetNumber BtPageChooseChild(Page page, const BtKey *key);
/* True if key lies beyond this page's high key: the reader must move right. */
bool BtPageMustMoveRight(Page page, const BtKey *key);

bool BtPageRebuild(Page page, const char *payload, size_t len);
void BtMetaPageInit(Page page, BlockNumber root, uint32_t level);
/* The metadata of a metapage, or NULL if page is not a valid one. */
BtMetaData *BtMetaPageGet(Page page);

/*
 * Test hook, NULL in production: called where another process may change
 * the tree under this one (between releasing one page and locking the
 * next, and before a split looks for its parent). Tests make it yield or
 * sleep so that the move-right paths run often.
 */
extern void (*btree_race_hook)(void);

#define BT_RACE_POINT()                                                                            \
	do                                                                                             \
	{                                                                                              \
		if (btree_race_hook != NULL)                                                               \
			btree_race_hook();                                                                     \
	} while (0)

/* Check one page's own invariants (README BT1-BT6); message into errbuf. */
bool BtPageCheck(Page page, BlockNumber blkno, char *errbuf, size_t errlen);

#endif
