/*
 * heapam.h
 *	  The MVCC heap: versions of keys as tuples in 8 KiB slotted pages,
 *	  chained newest to oldest, pruned on access.
 *
 * NOTES
 *	  Runs in backends (fetch, insert, delete, opportunistic pruning) and in
 *	  the startup process (redo). A writer holds the key lock of the key it
 *	  changes (storage/keylock.h) for the whole transaction, so one key has
 *	  at most one in-progress version. Page access follows storage/bufmgr.h:
 *	  pin, content lock, and for changes the critical section with the WAL
 *	  record. One heap page is locked at a time. No pointer into a heap page
 *	  survives the release of its content lock (fetches copy out), which is
 *	  why an EXCLUSIVE content lock is enough to prune (move tuples).
 *
 *	  Byte layout of a tuple, the chain and pruning rules, the invariants
 *	  H1-H6: storage/README.md, "Heap tuples" and "Version chains and
 *	  pruning". Values that do not fit in a page are refused with
 *	  HEAP_TOO_LARGE (overflow chunks are XXX #13).
 */
#ifndef TUSK_HEAPAM_H
#define TUSK_HEAPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/snapshot.h"
#include "storage/xact.h"

/* A tuple's address. In memory only; on disk see HeapTupleHeaderData. */
typedef struct ItemPointerData
{
	BlockNumber block;
	OffsetNumber offset;		/* InvalidOffsetNumber: no tuple */
} ItemPointerData;

typedef ItemPointerData *ItemPointer;

#define ItemPointerIsValid(tid) ((tid)->offset != InvalidOffsetNumber)
#define ItemPointerEquals(a, b) ((a)->block == (b)->block && (a)->offset == (b)->offset)

/*
 * Tuple header, 48 bytes, stored at a MAXALIGNed offset so the 64-bit
 * fields are read in place. Followed by key_len key bytes, then value_len
 * value bytes. infomask is changed with atomic OR/AND because hint bits are
 * set under a SHARED content lock.
 */
typedef struct HeapTupleHeaderData
{
	TransactionId xmin;			/* inserting transaction */
	TransactionId xmax;			/* deleting or replacing one, 0 if none */
	TransactionId prev_xmin;	/* xmin of the version prev points at */
	int64_t		expire_ms;		/* unix ms, 0 = no expiry */
	BlockNumber prev_block;		/* older version of the same key */
	OffsetNumber prev_offset;	/* InvalidOffsetNumber: none */
	uint16_t	infomask;		/* HEAP_* bits below */
	uint8_t		type;			/* value type, owned by the caller */
	uint8_t		flags;			/* caller's flags (encoding etc.) */
	uint16_t	key_len;
	uint32_t	value_len;
	char		data[];			/* key, then value */
} HeapTupleHeaderData;

typedef HeapTupleHeaderData *HeapTupleHeader;

#define SizeofHeapTupleHeader ((size_t) offsetof(HeapTupleHeaderData, data))

/* infomask bits */
#define HEAP_XMIN_COMMITTED	0x0001	/* hint: xmin committed */
#define HEAP_XMIN_INVALID	0x0002	/* hint: xmin aborted (or crashed) */
#define HEAP_XMAX_COMMITTED	0x0004	/* hint: xmax committed */
#define HEAP_XMAX_INVALID	0x0008	/* hint: xmax aborted, or no xmax */
#define HEAP_HAS_PREV		0x0010	/* prev_block/prev_offset are set */
#define HEAP_XMAX_IS_UPDATE	0x0020	/* xmax wrote a newer version (else a
									 * delete) */
#define HEAP_XMIN_FROZEN	0x0040	/* the xmin hint was set by a logged
									 * freeze: durable, the commit log is
									 * no longer needed for this tuple */
#define HEAP_HINT_MASK (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID | \
						HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID)

/* Largest tuple that fits on an empty heap page. */
#define HEAP_MAX_TUPLE_SIZE ((size_t) MaxItemSize)

typedef enum HeapStatus
{
	HEAP_OK = 0,
	HEAP_NOT_FOUND,				/* no visible version / deleted */
	HEAP_TOO_LARGE,				/* does not fit in a page (XXX #13) */
	HEAP_BAD_PREV,				/* prev is not the newest live version */
	HEAP_IO_ERROR,				/* could not read or extend (logged) */
	HEAP_CORRUPT,				/* bad item pointer or tuple (logged) */
} HeapStatus;

const char *HeapStatusName(HeapStatus status);

/*
 * A version copied out of its page. key and value point into data, which
 * is caller-provided (HeapTupleInit with a buffer) or MemAlloc'd when that
 * is too small; HeapTupleRelease frees what was allocated.
 */
typedef struct HeapTupleData
{
	ItemPointerData tid;		/* where it was found (after redirects) */
	TransactionId xmin;
	TransactionId xmax;
	uint16_t	infomask;
	uint8_t		type;
	uint8_t		flags;
	int64_t		expire_ms;
	ItemPointerData prev;		/* invalid offset when none */
	/* HeapFetchLatest only: statuses as seen by the current transaction */
	XidStatus	xmin_status;	/* IN_PROGRESS means own transaction */
	XidStatus	xmax_status;	/* IN_PROGRESS means own; ABORTED if no xmax */
	bool		live;			/* inserted, not deleted (for the writer) */

	const char *key;
	uint32_t	key_len;
	const char *value;
	uint32_t	value_len;

	char	   *data;
	size_t		data_cap;
	bool		data_allocated;
} HeapTupleData;

void		HeapTupleInit(HeapTupleData *tup, char *buf, size_t cap);
void		HeapTupleRelease(HeapTupleData *tup);

/* Free-space hints in shared memory (the persistent FSM is XXX #14). */
size_t		HeapShmemSize(void);
void		HeapShmemInit(void);

/*
 * Insert a new version of a key by transaction xid (from XactBegin).
 * prev_tid: NULL or the newest non-aborted version as returned by
 * HeapFetchLatest (its tid field); its xmax is set to xid (an update).
 * prev_is_indexed: prev is also the slot the index points at; then a new
 * version on prev's page takes over that slot (storage/README.md, "Taking
 * over the slot"), *out equals *prev_tid and the index needs no change.
 * preferred_block: where to try first, normally prev's block, so the chain
 * stays on one page; InvalidBlockNumber for none. On HEAP_OK *out is the
 * new tuple's address. On failure nothing is changed, except that prev may
 * already carry xid as xmax, which is harmless once the caller aborts.
 * Caller holds the key lock, no content locks.
 */
HeapStatus	HeapInsert(TransactionId xid, const char *key, size_t key_len,
					   const char *value, size_t value_len, uint8_t type, uint8_t flags,
					   int64_t expire_ms, const ItemPointerData *prev_tid, bool prev_is_indexed,
					   BlockNumber preferred_block, ItemPointerData *out);

/*
 * Delete: set xmax = xid on the version at tid (the newest live one, from
 * HeapFetchLatest). HEAP_NOT_FOUND if it is already deleted by a committed
 * transaction. Caller holds the key lock.
 */
HeapStatus	HeapDelete(TransactionId xid, const ItemPointerData *tid);

/*
 * Walk the chain from tid (the index's pointer to the newest version) to
 * the first version whose inserter snap sees. HEAP_OK with a copy in *out;
 * HEAP_NOT_FOUND if none is visible or that one is deleted for snap.
 * Expiry is not checked here. No locks on entry or exit.
 */
HeapStatus	HeapFetchVisible(const Snapshot *snap, const ItemPointerData *tid,
							 HeapTupleData *out);

/*
 * For a writer holding the key lock: the newest version that is not
 * aborted, whatever its visibility, with xmin/xmax statuses and `live`.
 * HEAP_NOT_FOUND if the chain holds only aborted versions (or was pruned).
 */
HeapStatus	HeapFetchLatest(const ItemPointerData *tid, HeapTupleData *out);

/*
 * Prune one page: remove versions dead to every snapshot (see the README),
 * redirect aborted chain heads, compact. Caller holds a pin and the
 * EXCLUSIVE content lock. Returns the number of line pointers changed;
 * WAL-logged when non-zero.
 */
int			HeapPrunePage(Buffer buf, TransactionId oldest_xmin);

/*
 * Prune if the page looks worth it (prunable xid below the horizon and
 * little free space), taking the EXCLUSIVE lock only if it is free at once.
 * Caller holds a pin and no content lock.
 */
void		HeapPageMaybePrune(Buffer buf);

/*
 * Vacuum of one page (storage/vacuum.c), caller holding a pin and the
 * EXCLUSIVE content lock: prune against horizon, then freeze what is
 * below freeze_limit (a WAL-logged hint: xmin's status, and an aborted
 * xmax cleared), so that the commit log below freeze_limit is no longer
 * read for this page. Reports the LP_DEAD slots left (candidates for
 * HeapVacuumSetUnused once no index entry points at them).
 */
typedef struct HeapVacuumPageResult
{
	int			pruned;			/* line pointers changed by pruning */
	int			live;			/* normal tuples kept */
	int			recently_dead;	/* kept, dead to some snapshots only */
	int			frozen;			/* tuples frozen now */
	int			unfrozen;		/* below freeze_limit but not freezable yet */
	int			ndead;
	OffsetNumber dead[MaxOffsetNumber];
	size_t		free_space;		/* after pruning */
} HeapVacuumPageResult;

void		HeapVacuumPage(Buffer buf, TransactionId horizon, TransactionId freeze_limit,
						   HeapVacuumPageResult *out);

/*
 * LP_DEAD -> LP_UNUSED for the given slots (each must still be LP_DEAD;
 * others are skipped), WAL-logged, and the page's free space noted.
 * Caller holds a pin and the EXCLUSIVE content lock, and has made sure no
 * index entry points at these slots and no process still holds a TID
 * read from one (vacuum.c's grace period). Returns the slots freed.
 */
int			HeapVacuumSetUnused(Buffer buf, const OffsetNumber *offs, int n);

void		HeapRegisterRedo(void);

/* Statistics for INFO and tests (process-local counters). */
typedef struct HeapStats
{
	uint64_t	inserts;
	uint64_t	hot_inserts;	/* new version on the previous one's page */
	uint64_t	in_place_updates;	/* ... in the previous one's slot (index unchanged) */
	uint64_t	deletes;
	uint64_t	prunes;
	uint64_t	pruned_items;
} HeapStats;
void		HeapGetStats(HeapStats *out);

/* WAL_RM_HEAP opcodes */
#define XLOG_HEAP_INSERT 0x00
#define XLOG_HEAP_DELETE 0x01
#define XLOG_HEAP_UPDATE 0x02	/* insert + xmax of prev, same page */
#define XLOG_HEAP_PRUNE 0x03
#define XLOG_HEAP_FREEZE 0x04	/* (offset, what) pairs, see heapam.c */
#define XLOG_HEAP_VACUUM 0x05	/* LP_DEAD slots become LP_UNUSED */

#endif
