/*
 * btree.h
 *	  The keyspace index: a Lehman & Yao B+tree in the buffer pool that maps
 *	  (db, 64-bit key hash, key bytes) to the heap TID of the key's current
 *	  tuple.
 *
 * NOTES
 *	  Contract for callers (the keyspace module, vacuum, tusk-check):
 *	  - Entries are ordered by (db, hash, key bytes). The hash is computed by
 *	    the caller from the key bytes; the tree never hashes. Ordering by the
 *	    hash makes the hash an integer SCAN cursor that stays valid across
 *	    page splits (BtScan).
 *	  - Writers (BtInsertOrUpdate, BtDelete) must hold the exclusive key lock
 *	    of the key they change, so two writers never change the same key at
 *	    once; writers of different keys and every reader run concurrently.
 *	    Readers take no key lock and never wait for a split to finish.
 *	  - Every function returns with no pin and no content lock held, whatever
 *	    the result. Nothing here throws: an I/O error or a corrupt page is
 *	    logged and returned as BT_ERROR, leaving the tree unchanged.
 *	  - Keys longer than BT_MAX_KEY bytes are refused with BT_KEY_TOO_LONG
 *	    before anything is touched; the caller reports "key too long".
 *	  - BtInit runs once, in the startup process, before backends exist.
 *	    BtCheck expects no concurrent writers (tusk-check runs offline; tests
 *	    call it when their workers have exited).
 *
 *	  Page layout, item format, the move-right rule, lock order, WAL records
 *	  and the numbered invariants are in storage/README.md, section
 *	  "Keyspace B+tree (btree.c)".
 */
#ifndef TUSK_BTREE_H
#define TUSK_BTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/heapam.h" /* ItemPointerData */
#include "storage/smgr.h"
#include "wal/walrecord.h"

/*
 * Longest key the index stores: an item of 20 header bytes plus the key
 * must leave room for three such items on a page next to the smallest
 * internal item, so that any split can keep two on each side. btree.c
 * checks this against the page layout.
 */
#define BT_MAX_KEY 2676

typedef enum BtResult
{
	BT_OK = 0,		 /* BtScan: batch filled */
	BT_FOUND,		 /* BtLookup found the key; BtDelete removed it */
	BT_NOT_FOUND,	 /* no such key */
	BT_INSERTED,	 /* BtInsertOrUpdate added a new entry */
	BT_UPDATED,		 /* BtInsertOrUpdate replaced the TID of an
					  * existing entry; *old_tid_out is the old one */
	BT_TID_MISMATCH, /* BtDelete: the entry points elsewhere now */
	BT_KEY_TOO_LONG, /* len > BT_MAX_KEY; nothing done */
	BT_ERROR,		 /* I/O error or corrupt page, logged */
} BtResult;

const char *BtResultName(BtResult result);

/*
 * Create the metapage (block 0) and an empty root leaf if the relation has
 * no valid metapage yet; WAL-logged. True if the tree is usable afterwards.
 */
bool BtInit(RelNumber rel);

BtResult BtLookup(RelNumber rel, uint16_t db, uint64_t hash, const char *key, size_t len,
				  ItemPointerData *tid_out);

/*
 * Point (db, hash, key) at tid. If the key is present its TID is replaced
 * in place and the old one returned in *old_tid_out (BT_UPDATED); otherwise
 * the entry is inserted, splitting pages up to a new root as needed
 * (BT_INSERTED). xid is stamped on the WAL record.
 */
BtResult BtInsertOrUpdate(RelNumber rel, uint64_t xid, uint16_t db, uint64_t hash, const char *key,
						  size_t len, ItemPointerData tid, ItemPointerData *old_tid_out);

/*
 * Remove the entry for (db, hash, key). With expected_tid non-NULL, only if
 * the entry still points there (BT_TID_MISMATCH otherwise), so a sweep that
 * decided on an old version cannot remove a key a writer has just set again.
 * Pages are never merged: an emptied leaf stays in the tree.
 */
BtResult BtDelete(RelNumber rel, uint64_t xid, uint16_t db, uint64_t hash, const char *key,
				  size_t len, const ItemPointerData *expected_tid);

/*
 * Vacuum: delete every entry of database db (all databases if db < 0)
 * whose heap TID dead() accepts; *ndeleted counts them. Called without
 * locks; takes one leaf lock at a time. dead() runs under a leaf's lock and
 * must not take buffer locks.
 */
typedef bool (*BtDeadTidFn)(const ItemPointerData *tid, void *arg);
BtResult BtBulkDelete(RelNumber rel, int db, BtDeadTidFn dead, void *arg, uint64_t *ndeleted);

/* One entry returned by BtScan; key points into the batch's key arena. */
typedef struct BtScanEntry
{
	uint64_t hash;
	ItemPointerData tid;
	uint32_t keylen;
	const char *key;
} BtScanEntry;

/*
 * A batch of scan results in private memory. Zero-initialise (or
 * BtScanBatchInit) before the first BtScan; BtScan reuses it and
 * BtScanBatchFree releases it.
 */
typedef struct BtScanBatch
{
	BtScanEntry *entries;
	int nentries;
	int capacity;
	char *keys; /* arena holding every entry's key bytes */
	size_t keys_used;
	size_t keys_capacity;
	bool more;			/* entries of this db remain after the batch */
	uint64_t next_hash; /* if more: hash of the first one (the cursor) */
} BtScanBatch;

void BtScanBatchInit(BtScanBatch *batch);
void BtScanBatchFree(BtScanBatch *batch);

/*
 * Return, in key order, entries of db whose hash >= start_hash: at least
 * max of them (fewer only at the end of db), and never stopping inside a
 * run of equal hashes, so that resuming at batch->next_hash returns each
 * entry present throughout the iteration exactly once. Holds one leaf
 * lock at a time and copies entries out before moving on.
 */
BtResult BtScan(RelNumber rel, uint16_t db, uint64_t start_hash, int max, BtScanBatch *batch);

typedef struct BtCheckStats
{
	uint32_t levels; /* root level + 1 */
	uint64_t pages;	 /* pages reachable from the root */
	uint64_t leaf_pages;
	uint64_t entries;	   /* leaf entries */
	uint64_t unused_pages; /* all-zero blocks no page links to */
} BtCheckStats;

/*
 * Verify the whole tree: metapage, every page's items in order and within
 * the bounds its parent and high key give, right-links at each level equal
 * to the parent level's downlinks in order, levels consistent, and every
 * block either reachable or never used (all zero). False with a message in
 * errbuf on the first problem. stats may be NULL.
 */
bool BtCheck(RelNumber rel, BtCheckStats *stats, char *errbuf, size_t errlen);

/* WAL redo (storage/btree_redo.c). */
void BtRegisterRedo(void);
bool BtRedo(XLogRecPtr lsn, XLogRecPtr end, const DecodedWalRecord *rec);
/* Describe a record for tusk-waldump; writes at most len bytes to out. */
void BtDescribeRecord(const DecodedWalRecord *rec, char *out, size_t len);

#endif
