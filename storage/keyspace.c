/*
 * keyspace.c
 *	  Keys as heap versions found through the keyspace B+tree.
 *
 * NOTES
 *	  Runs in backends (commands) and the startup process (KsInit). Takes
 *	  no lock of its own: readers rely on MVCC snapshots, writers on the key
 *	  locks their caller holds (keyspace.h). Buffer pins and content locks
 *	  are taken and released inside the heap and B+tree calls.
 *
 *	  Chunk directory (the value of a version with KS_FLAG_CHUNKED):
 *	    u64 total length of the value, u32 number of TIDs, u32 level,
 *	    then TIDs of 6 bytes (u32 block, u16 offset).
 *	  Level 0: the TIDs name data chunks in order. Level 1: they name chunks
 *	  whose concatenation is the level-0 TID list (a 512 MB value needs
 *	  67,109 data chunks, whose list does not fit in one version).
 */
#include "config.h"

#include "storage/keyspace.h"
#include "storage/btree.h"
#include "storage/btree_int.h"
#include "storage/heapam.h"
#include "storage/elog.h"
#include "storage/keylock.h"
#include "storage/kscounters.h"
#include "storage/mem.h"
#include "storage/vacuum.h"
#include "storage/smgr.h"
#include "storage/stats.h"
#include "storage/xact.h"
#include "wal/xlog.h"

#include <inttypes.h>
#include <string.h>

#define CHUNK_SIZE 8000
#define DIR_HEADER 16
#define TID_BYTES 6

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * 64-bit hash of a key; orders the keyspace so SCAN has an integer cursor.
 * Never 0, so that cursor 0 always means "start" and "done".
 */
uint64_t
KsHash(const char *key, size_t len)
{
	const unsigned char *p = (const unsigned char *) key;
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) len * 0x87c37b91114253d5ULL);
	uint64_t tail = 0;

	while (len >= 8)
	{
		uint64_t k;

		memcpy(&k, p, 8);
		k *= 0x87c37b91114253d5ULL;
		k = rotl64(k, 31);
		k *= 0x4cf5ad432745937fULL;
		h ^= k;
		h = rotl64(h, 27) * 5 + 0x52dce729;
		p += 8;
		len -= 8;
	}
	for (size_t i = 0; i < len; i++)
		tail |= (uint64_t) p[i] << (8 * i);
	h ^= mix64(tail ^ 0x2545F4914F6CDD1DULL);
	h = mix64(h);
	return h ? h : 1;
}

void
KsValueInit(KsValue *v)
{
	memset(v, 0, sizeof(*v));
	HeapTupleInit(&v->tup, v->buf, sizeof(v->buf));
}

void
KsValueRelease(KsValue *v)
{
	HeapTupleRelease(&v->tup);
	MemFree(v->assembled);
	v->assembled = NULL;
	v->value = NULL;
	v->value_len = 0;
}

bool
KsInit(void)
{
	return BtInit(REL_KEYSPACE_INDEX);
}

static KsStatus
bt_status(BtResult r)
{
	switch (r)
	{
		case BT_KEY_TOO_LONG:
			return KS_KEY_TOO_LONG;
		case BT_ERROR:
			return KS_ERROR;
		default:
			return KS_NOT_FOUND;
	}
}

static void
put_tid(char *dst, const ItemPointerData *tid)
{
	memcpy(dst, &tid->block, 4);
	memcpy(dst + 4, &tid->offset, 2);
}

static void
get_tid(const char *src, ItemPointerData *tid)
{
	memcpy(&tid->block, src, 4);
	memcpy(&tid->offset, src + 4, 2);
}

/* Concatenate the chunks named by a TID list into out (len bytes). */
static KsStatus
read_chunks(const Snapshot *snap, const char *tids, uint32_t ntids, char *out, uint64_t len)
{
	uint64_t off = 0;
	char buf[256];

	for (uint32_t i = 0; i < ntids; i++)
	{
		HeapTupleData t;
		ItemPointerData tid;
		HeapStatus st;

		get_tid(tids + (size_t) i * TID_BYTES, &tid);
		HeapTupleInit(&t, buf, sizeof(buf));
		st = snap ? HeapFetchVisible(snap, &tid, &t) : HeapFetchLatest(&tid, &t);
		if (st != HEAP_OK || off + t.value_len > len)
		{
			elog(WARNING, "chunk %u/%u of a value is missing (block %u offset %u): %s",
				 i, ntids, tid.block, tid.offset, HeapStatusName(st));
			HeapTupleRelease(&t);
			return KS_ERROR;
		}
		memcpy(out + off, t.value, t.value_len);
		off += t.value_len;
		HeapTupleRelease(&t);
	}
	return off == len ? KS_OK : KS_ERROR;
}

/*
 * Decode a chunk directory: the level-0 TID list (MemAlloc'd) and the
 * value length.
 */
static KsStatus
load_directory(const Snapshot *snap, const char *dir, size_t dirlen,
			   char **tids_out, uint32_t *ntids_out, uint64_t *total_out,
			   char **list_tids_out, uint32_t *nlist_out)
{
	uint64_t total;
	uint32_t n, level;

	*list_tids_out = NULL;
	*nlist_out = 0;
	if (dirlen < DIR_HEADER)
		return KS_ERROR;
	memcpy(&total, dir, 8);
	memcpy(&n, dir + 8, 4);
	memcpy(&level, dir + 12, 4);
	if (dirlen != DIR_HEADER + (size_t) n * TID_BYTES)
		return KS_ERROR;
	if (level == 0)
	{
		*tids_out = MemAlloc((size_t) n * TID_BYTES + 1);
		memcpy(*tids_out, dir + DIR_HEADER, (size_t) n * TID_BYTES);
		*ntids_out = n;
	}
	else
	{
		uint64_t nchunks = (total + CHUNK_SIZE - 1) / CHUNK_SIZE;
		uint64_t listlen = nchunks * TID_BYTES;
		char *list = MemAlloc(listlen + 1);

		if (read_chunks(snap, dir + DIR_HEADER, n, list, listlen) != KS_OK)
		{
			MemFree(list);
			return KS_ERROR;
		}
		*tids_out = list;
		*ntids_out = (uint32_t) nchunks;
		*list_tids_out = MemAlloc((size_t) n * TID_BYTES + 1);
		memcpy(*list_tids_out, dir + DIR_HEADER, (size_t) n * TID_BYTES);
		*nlist_out = n;
	}
	*total_out = total;
	return KS_OK;
}

static KsStatus
assemble(const Snapshot *snap, KsValue *v)
{
	char *tids, *list_tids;
	uint32_t ntids, nlist;
	uint64_t total;
	KsStatus st;

	st = load_directory(snap, v->tup.value, v->tup.value_len, &tids, &ntids, &total,
						&list_tids, &nlist);
	if (st != KS_OK)
		return st;
	v->assembled = MemAlloc(total + 1);
	st = read_chunks(snap, tids, ntids, v->assembled, total);
	MemFree(tids);
	MemFree(list_tids);
	if (st != KS_OK)
		return st;
	v->value = v->assembled;
	v->value_len = total;
	return KS_OK;
}

static void
fill_from_tuple(KsValue *v, int64_t now_ms)
{
	v->type = v->tup.type;
	v->flags = v->tup.flags & KS_USER_FLAGS;
	v->expire_ms = v->tup.expire_ms;
	v->xmin = v->tup.xmin;
	v->value = v->tup.value;
	v->value_len = v->tup.value_len;
	v->exists = !(v->expire_ms > 0 && v->expire_ms <= now_ms);
	v->expired = !v->exists;
}

KsStatus
KsGet(const Snapshot *snap, int db, const char *key, size_t len, int64_t now_ms, KsValue *out)
{
	ItemPointerData tid;
	BtResult br;
	HeapStatus hs;

	out->exists = false;
	br = BtLookup(REL_KEYSPACE_INDEX, (uint16_t) db, KsHash(key, len), key, len,
				  &tid);
	if (br != BT_FOUND)
		return bt_status(br);
	hs = HeapFetchVisible(snap, &tid, &out->tup);
	if (hs == HEAP_NOT_FOUND)
		return KS_NOT_FOUND;
	if (hs != HEAP_OK)
		return KS_ERROR;
	fill_from_tuple(out, now_ms);
	if (!out->exists)
		return KS_NOT_FOUND;
	if ((out->tup.flags & KS_FLAG_CHUNKED) && assemble(snap, out) != KS_OK)
		return KS_ERROR;
	return KS_OK;
}

/*
 * Writer: the newest non-aborted version of the key the index entry at
 * index_tid names, without assembling a chunked value (deleters need only
 * the fields KsDelete reads).
 */
static KsStatus
fetch_latest_at(const ItemPointerData *index_tid, KsValue *out)
{
	HeapStatus	hs;

	out->exists = false;
	out->has_latest = false;
	out->in_index = true;
	out->index_tid = *index_tid;
	hs = HeapFetchLatest(index_tid, &out->tup);
	if (hs == HEAP_NOT_FOUND)
		return KS_NOT_FOUND;
	if (hs != HEAP_OK)
		return KS_ERROR;
	out->has_latest = true;
	out->latest_tid = out->tup.tid;
	out->latest_live = out->tup.live;
	out->latest_chunked = (out->tup.flags & KS_FLAG_CHUNKED) != 0;
	out->type = out->tup.type;
	out->expire_ms = out->tup.expire_ms;
	out->xmin = out->tup.xmin;
	return KS_OK;
}

static KsStatus
get_latest(int db, const char *key, size_t len, int64_t now_ms, KsValue *out, bool want_value)
{
	ItemPointerData index_tid;
	BtResult br;
	KsStatus st;

	out->exists = false;
	out->has_latest = false;
	br = BtLookup(REL_KEYSPACE_INDEX, (uint16_t) db, KsHash(key, len), key, len, &index_tid);
	if (br != BT_FOUND)
		return bt_status(br);
	st = fetch_latest_at(&index_tid, out);
	if (st != KS_OK)
		return st;
	if (!out->tup.live)
		return KS_NOT_FOUND;
	fill_from_tuple(out, now_ms);
	if (out->latest_chunked && !want_value)
	{
		out->value = NULL;		/* not read: the caller replaces it */
		out->value_len = 0;
	}
	else if (out->latest_chunked && assemble(NULL, out) != KS_OK)
		return KS_ERROR;
	return out->exists ? KS_OK : KS_NOT_FOUND;
}

KsStatus
KsGetLatest(int db, const char *key, size_t len, int64_t now_ms, KsValue *out)
{
	return get_latest(db, key, len, now_ms, out, true);
}

KsStatus
KsGetLatestMeta(int db, const char *key, size_t len, int64_t now_ms, KsValue *out)
{
	return get_latest(db, key, len, now_ms, out, false);
}

static KsStatus
heap_status(HeapStatus hs)
{
	if (hs == HEAP_OK)
		return KS_OK;
	if (hs == HEAP_TOO_LARGE)
		return KS_TOO_LARGE;
	return KS_ERROR;
}

/* Store bytes as chunks; their TIDs are appended to *list. */
static KsStatus
write_chunks(TransactionId xid, const char *data, uint64_t len, char *list)
{
	uint64_t off = 0;
	uint32_t i = 0;

	while (off < len)
	{
		size_t n = len - off > CHUNK_SIZE ? CHUNK_SIZE : (size_t) (len - off);
		ItemPointerData tid;
		HeapStatus hs;

		hs = HeapInsert(xid, "", 0, data + off, n, KS_TYPE_STRING, KS_FLAG_CHUNK, 0,
						NULL, false, InvalidBlockNumber, &tid);
		if (hs != HEAP_OK)
			return heap_status(hs);
		put_tid(list + (size_t) i * TID_BYTES, &tid);
		off += n;
		i++;
	}
	return KS_OK;
}

/*
 * The chunks of the writer's newest version get the replacing (or
 * deleting) transaction as xmax, so they die with that version.
 */
static KsStatus
delete_chunks(TransactionId xid, const KsValue *cur)
{
	char *tids, *list_tids;
	uint32_t ntids, nlist;
	uint64_t total;
	KsValue dir;
	KsStatus st;
	HeapStatus hs;

	if (!cur->has_latest || !cur->latest_live || !cur->latest_chunked)
		return KS_OK;
	/* re-read the directory: cur->value holds the assembled value */
	KsValueInit(&dir);
	hs = HeapFetchLatest(&cur->latest_tid, &dir.tup);
	if (hs != HEAP_OK)
	{
		KsValueRelease(&dir);
		return KS_ERROR;
	}
	st = load_directory(NULL, dir.tup.value, dir.tup.value_len, &tids, &ntids, &total,
						&list_tids, &nlist);
	KsValueRelease(&dir);
	if (st != KS_OK)
		return st;
	for (uint32_t i = 0; i < ntids && st == KS_OK; i++)
	{
		ItemPointerData tid;

		get_tid(tids + (size_t) i * TID_BYTES, &tid);
		if (HeapDelete(xid, &tid) == HEAP_IO_ERROR)
			st = KS_ERROR;
	}
	for (uint32_t i = 0; i < nlist && st == KS_OK; i++)
	{
		ItemPointerData tid;

		get_tid(list_tids + (size_t) i * TID_BYTES, &tid);
		if (HeapDelete(xid, &tid) == HEAP_IO_ERROR)
			st = KS_ERROR;
	}
	MemFree(tids);
	MemFree(list_tids);
	return st;
}

KsStatus
KsPut(int db, const char *key, size_t len, uint8_t type, const char *value,
	  size_t value_len, int64_t expire_ms, const KsValue *cur)
{
	/* re-storing the same value (EXPIRE, GETEX, RENAME) keeps its flags */
	uint8_t flags = (cur->exists && value == cur->value) ? cur->flags : 0;

	return KsPutFlags(db, key, len, type, flags, value, value_len, expire_ms, cur);
}

KsStatus
KsPutFlags(int db, const char *key, size_t len, uint8_t type, uint8_t user_flags,
		   const char *value, size_t value_len, int64_t expire_ms, const KsValue *cur)
{
	TransactionId xid = XactGetCurrentXid();
	const ItemPointerData *prev = cur->has_latest ? &cur->latest_tid : NULL;
	BlockNumber preferred = cur->has_latest ? cur->latest_tid.block : InvalidBlockNumber;
	/* the index points at prev itself: an update may take over its slot */
	bool		prev_indexed = cur->has_latest &&
		ItemPointerEquals(&cur->latest_tid, &cur->index_tid);
	ItemPointerData tid;
	const char *stored = value;
	size_t stored_len = value_len;
	uint8_t flags = user_flags & KS_USER_FLAGS;
	uint64_t hash = KsHash(key, len);
	char *dir = NULL;
	KsStatus st;
	HeapStatus hs;
	BtResult br;

	if (value_len > KS_MAX_VALUE)
		return KS_TOO_LARGE;
	if (len > BT_MAX_KEY)
		return KS_KEY_TOO_LONG;
	if (cur->has_latest && cur->latest_live && cur->latest_chunked && cur->exists &&
		value == cur->value && value_len == cur->value_len)
	{
		/*
		 * The same key's own value stored again (EXPIRE, PERSIST, GETEX):
		 * the new version points at the same chunks, so that a TTL change
		 * does not copy (and WAL-log) a value of up to 512 MB. The chunks
		 * keep no xmax: whichever version replaces this one with another
		 * value deletes them (delete_chunks reads the newest directory).
		 */
		KsValue		latest;

		KsValueInit(&latest);
		if (HeapFetchLatest(&cur->latest_tid, &latest.tup) != HEAP_OK)
		{
			KsValueRelease(&latest);
			return KS_ERROR;
		}
		dir = MemAlloc(latest.tup.value_len + 1);
		memcpy(dir, latest.tup.value, latest.tup.value_len);
		stored = dir;
		stored_len = latest.tup.value_len;
		flags |= KS_FLAG_CHUNKED;
		KsValueRelease(&latest);
		goto store;
	}
	/* a value in chunks: room in the WAL for all of it, or refuse it now */
	if (value_len > KS_INLINE_MAX && XLogReserve(value_len + value_len / 8 + 65536) != 0)
		return KS_NO_WAL_SPACE;
	st = delete_chunks(xid, cur);
	if (st != KS_OK)
		return st;
	if (value_len > KS_INLINE_MAX)
	{
		uint64_t nchunks = (value_len + CHUNK_SIZE - 1) / CHUNK_SIZE;
		size_t listlen = (size_t) nchunks * TID_BYTES;
		char *list = MemAlloc(listlen + 1);
		uint32_t level = 0, n = (uint32_t) nchunks;

		st = write_chunks(xid, value, value_len, list);
		if (st == KS_OK && DIR_HEADER + listlen > KS_INLINE_MAX)
		{
			uint64_t nlist = (listlen + CHUNK_SIZE - 1) / CHUNK_SIZE;
			char *list2 = MemAlloc((size_t) nlist * TID_BYTES + 1);

			st = write_chunks(xid, list, listlen, list2);
			MemFree(list);
			list = list2;
			listlen = (size_t) nlist * TID_BYTES;
			n = (uint32_t) nlist;
			level = 1;
		}
		if (st != KS_OK)
		{
			MemFree(list);
			return st;
		}
		dir = MemAlloc(DIR_HEADER + listlen);
		{
			uint64_t total = value_len;

			memcpy(dir, &total, 8);
			memcpy(dir + 8, &n, 4);
			memcpy(dir + 12, &level, 4);
		}
		memcpy(dir + DIR_HEADER, list, listlen);
		MemFree(list);
		stored = dir;
		stored_len = DIR_HEADER + listlen;
		flags |= KS_FLAG_CHUNKED;
	}
store:
	hs = HeapInsert(xid, key, len, stored, stored_len, type, flags, expire_ms, prev,
					prev_indexed, preferred, &tid);
	MemFree(dir);
	if (hs != HEAP_OK)
		return heap_status(hs);
	/* taken over in place: the index already points at the new version */
	if (!prev_indexed || !ItemPointerEquals(&tid, &cur->index_tid))
	{
		br = BtInsertOrUpdate(REL_KEYSPACE_INDEX, xid, (uint16_t) db, hash, key, len,
							  tid, NULL);
		if (br == BT_KEY_TOO_LONG)
			return KS_KEY_TOO_LONG;
		if (br != BT_INSERTED && br != BT_UPDATED)
			return KS_ERROR;
	}
	/* an expired version still counts as a key until it is deleted */
	KsCountersNote(db, cur->has_latest && cur->latest_live, cur->tup.expire_ms, true, expire_ms);
	if (cur->has_latest && cur->latest_live)
		VacuumNoteDeadVersions(db, 1);
	KeyLockNoteChange(db, hash);	/* WATCH */
	return KS_OK;
}

KsStatus
KsDelete(int db, const char *key, size_t len, const KsValue *cur)
{
	TransactionId xid = XactGetCurrentXid();
	KsStatus st;
	HeapStatus hs;

	if (!cur->has_latest || !cur->latest_live)
		return KS_NOT_FOUND;
	st = delete_chunks(xid, cur);
	if (st != KS_OK)
		return st;
	hs = HeapDelete(xid, &cur->latest_tid);
	if (hs == HEAP_NOT_FOUND)
		return KS_NOT_FOUND;
	if (hs == HEAP_OK)
	{
		KsCountersNote(db, true, cur->tup.expire_ms, false, 0);
		VacuumNoteDeadVersions(db, 1);
		KeyLockNoteChange(db, KsHash(key, len));	/* WATCH */
	}
	return heap_status(hs);
}

KsStatus
KsScan(const Snapshot *snap, int db, uint64_t cursor, int count, int64_t now_ms,
	   KsVisitor visit, void *arg, uint64_t *next_cursor)
{
	BtScanBatch batch;
	BtResult br;
	KsStatus st = KS_OK;

	BtScanBatchInit(&batch);
	br = BtScan(REL_KEYSPACE_INDEX, (uint16_t) db, cursor, count > 0 ? count : 10, &batch);
	if (br == BT_ERROR)
	{
		BtScanBatchFree(&batch);
		return KS_ERROR;
	}
	for (int i = 0; i < batch.nentries; i++)
	{
		BtScanEntry *e = &batch.entries[i];
		KsValue v;
		HeapStatus hs;

		KsValueInit(&v);
		hs = HeapFetchVisible(snap, &e->tid, &v.tup);
		if (hs == HEAP_OK)
		{
			fill_from_tuple(&v, now_ms);
			if (v.exists && (v.tup.flags & KS_FLAG_CHUNKED) && assemble(snap, &v) != KS_OK)
				st = KS_ERROR;
			if (v.exists && st == KS_OK && !visit(e->key, e->keylen, &v, arg))
			{
				KsValueRelease(&v);
				break;
			}
		}
		else if (hs != HEAP_NOT_FOUND)
			st = KS_ERROR;
		KsValueRelease(&v);
		if (st != KS_OK)
			break;
	}
	*next_cursor = batch.more ? batch.next_hash : 0;
	BtScanBatchFree(&batch);
	return st;
}


/* Called by for_each_live_key for each key; KS_NOT_FOUND skips it. */
typedef KsStatus (*LiveKeyFn) (int db, const BtScanEntry *entry, const KsValue *latest,
							   void *arg);

/*
 * Call visit with the newest live version of each key of db, reading the
 * index batch_size entries at a time (in hash order, resuming by hash, so
 * visit may delete the key it is given). Stops at the first status other
 * than KS_OK and KS_NOT_FOUND, from a fetch or from visit, and returns it.
 */
static KsStatus
for_each_live_key(int db, int batch_size, LiveKeyFn visit, void *arg)
{
	BtScanBatch batch;
	uint64_t	cursor = 0;
	KsStatus	st = KS_OK;

	BtScanBatchInit(&batch);
	do
	{
		if (BtScan(REL_KEYSPACE_INDEX, (uint16_t) db, cursor, batch_size, &batch) == BT_ERROR)
		{
			st = KS_ERROR;
			break;
		}
		for (int i = 0; i < batch.nentries && st == KS_OK; i++)
		{
			KsValue		v;
			KsStatus	s;

			KsValueInit(&v);
			s = fetch_latest_at(&batch.entries[i].tid, &v);
			if (s == KS_OK && v.latest_live)
				s = visit(db, &batch.entries[i], &v, arg);
			if (s != KS_OK && s != KS_NOT_FOUND)
				st = s;
			KsValueRelease(&v);
		}
		cursor = batch.more ? batch.next_hash : 0;
	} while (cursor != 0 && st == KS_OK);
	BtScanBatchFree(&batch);
	return st;
}

/* LiveKeyFn of KsDeleteAll: arg counts the deletions. */
static KsStatus
delete_live_key(int db, const BtScanEntry *entry, const KsValue *latest, void *arg)
{
	KsStatus	s = KsDelete(db, entry->key, entry->keylen, latest);

	if (s == KS_OK)
		(*(uint64_t *) arg)++;
	return s;
}

KsStatus
KsDeleteAll(int db, uint64_t *ndeleted)
{
	*ndeleted = 0;
	return for_each_live_key(db, 256, delete_live_key, ndeleted);
}

int
KsDeleteExpired(int db, const char *const *keys, const size_t *lens, int n, int64_t now_ms)
{
	uint64_t	hashes[KS_EXPIRE_BATCH];
	int			deleted = 0;
	bool		began = false;
	KsStatus	st = KS_OK;

	if (n > KS_EXPIRE_BATCH)
		n = KS_EXPIRE_BATCH;
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		hashes[i] = KsHash(keys[i], lens[i]);
	KeyLockAcquireMany(db, hashes, n);
	/*
	 * Re-check each under its key lock: a writer may have set it again.
	 * The transaction starts at the first deletion, so a batch with
	 * nothing left to delete writes no WAL.
	 */
	for (int i = 0; i < n && st == KS_OK; i++)
	{
		ItemPointerData tid;
		KsValue		v;
		BtResult	br;

		if (lens[i] > BT_MAX_KEY)
			continue;
		br = BtLookup(REL_KEYSPACE_INDEX, (uint16_t) db, hashes[i], keys[i], lens[i], &tid);
		if (br == BT_ERROR)
		{
			st = KS_ERROR;
			break;
		}
		if (br != BT_FOUND)
			continue;
		KsValueInit(&v);
		st = fetch_latest_at(&tid, &v);
		if (st == KS_OK && v.latest_live && v.expire_ms > 0 && v.expire_ms <= now_ms)
		{
			if (!began && XactBegin() == InvalidTransactionId)
				st = KS_ERROR;
			else
			{
				began = true;
				st = KsDelete(db, keys[i], lens[i], &v);
				if (st == KS_OK)
					deleted++;
			}
		}
		if (st == KS_NOT_FOUND)
			st = KS_OK;
		KsValueRelease(&v);
	}
	if (began && st == KS_OK)
	{
		XactCommit();
		StatsExpiredKeys((uint64_t) deleted);
	}
	else if (began)
		XactAbort();
	KeyLockReleaseAll();
	return st == KS_OK ? deleted : -1;
}

int
KsSweepExpired(int db, uint64_t *cursor, int max_keys, int64_t now_ms)
{
	static Snapshot snap = SNAPSHOT_INIT;
	BtScanBatch batch;
	const char *keys[KS_EXPIRE_BATCH];
	size_t		lens[KS_EXPIRE_BATCH];
	int			idx[KS_EXPIRE_BATCH];
	int			ncand = 0, deleted;

	BtScanBatchInit(&batch);
	if (BtScan(REL_KEYSPACE_INDEX, (uint16_t) db, *cursor, max_keys > 0 ? max_keys : 1,
			   &batch) == BT_ERROR)
	{
		BtScanBatchFree(&batch);
		return -1;
	}

	/* Candidates, cheaply and without locks: expired for a snapshot. */
	SnapshotTake(&snap);
	for (int i = 0; i < batch.nentries && ncand < KS_EXPIRE_BATCH; i++)
	{
		HeapTupleData t;
		char		buf[256];

		HeapTupleInit(&t, buf, sizeof(buf));
		if (HeapFetchVisible(&snap, &batch.entries[i].tid, &t) == HEAP_OK &&
			t.expire_ms > 0 && t.expire_ms <= now_ms)
		{
			keys[ncand] = batch.entries[i].key;
			lens[ncand] = batch.entries[i].keylen;
			idx[ncand++] = i;
		}
		HeapTupleRelease(&t);
	}
	SnapshotReleaseAll();
	/* Stop where the candidates ran out, so the rest is seen next time. */
	if (ncand == KS_EXPIRE_BATCH && idx[ncand - 1] + 1 < batch.nentries)
		*cursor = batch.entries[idx[ncand - 1] + 1].hash;
	else
		*cursor = batch.more ? batch.next_hash : 0;
	deleted = KsDeleteExpired(db, keys, lens, ncand, now_ms);
	BtScanBatchFree(&batch);
	return deleted;
}

/* LiveKeyFn of count_database: arg is the KsDbCounts. */
static KsStatus
count_live_key(int db, const BtScanEntry *entry, const KsValue *latest, void *arg)
{
	KsDbCounts *out = arg;

	out->keys++;
	if (latest->expire_ms > 0)
	{
		out->expires++;
		out->expire_sum += latest->expire_ms;
	}
	return KS_OK;
}

/* Count db's keys: the newest non-aborted version of each index entry. */
static KsStatus
count_database(int db, KsDbCounts *out)
{
	memset(out, 0, sizeof(*out));
	return for_each_live_key(db, 1024, count_live_key, out);
}

bool
KsRecountAll(void)
{
	int			databases = KsCountersDatabases();
	int64_t		total = 0;

	for (int db = 0; db < databases; db++)
	{
		KsDbCounts	c;

		if (count_database(db, &c) != KS_OK)
		{
			elog(WARNING, "could not count the keys of database %d", db);
			return false;
		}
		KsCountersSet(db, &c);
		total += c.keys;
	}
	KsCountersSetValid();
	elog(LOG, "counted %" PRId64 " keys in %d databases", total, databases);
	return true;
}

/*
 * The bytes one live key takes in the heap and the keyspace index (MEMORY
 * USAGE): its version (header, key and value, or the chunk directory, and
 * its line pointer), the chunks of a value over KS_INLINE_MAX (a version
 * each), and its index entry. Older versions not yet vacuumed and the free
 * space of pages are not counted.
 */
size_t
KsFootprint(size_t key_len, size_t value_len)
{
	size_t		version = MAXALIGN(SizeofHeapTupleHeader + key_len) + sizeof(ItemIdData);
	size_t		index = MAXALIGN(BT_ITEM_HEADER_SIZE + key_len) + sizeof(ItemIdData);

	if (value_len <= KS_INLINE_MAX)
		return MAXALIGN(SizeofHeapTupleHeader + key_len + value_len) + sizeof(ItemIdData) + index;
	else
	{
		uint64_t	nchunks = (value_len + CHUNK_SIZE - 1) / CHUNK_SIZE;

		return version + DIR_HEADER + nchunks * TID_BYTES + value_len +
			nchunks * (MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData)) + index;
	}
}
