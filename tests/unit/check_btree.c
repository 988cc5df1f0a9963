/*
 * check_btree.c
 *	  Unit tests for the keyspace B+tree (storage/btree.c, btree_redo.c):
 *	  page-level search and rebuild on plain 8 KiB arrays, then whole trees
 *	  in a small buffer pool: random operations against a reference model
 *	  (sorted array), trees of five and more levels with splits at every
 *	  level, SCAN cursors over colliding hashes, BtCheck catching corruption,
 *	  concurrent inserts, updates and deletes from forked processes (with
 *	  btree_race_hook widening the race windows), and crash recovery through
 *	  WAL redo. BtCheck runs at the end of every tree test.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child, in a fresh mkdtemp
 *	  data directory (chdir'ed into) with its own shared memory, standing in
 *	  for the postmaster and the startup process. The pool is 64 buffers so
 *	  that trees much larger than it are evicted and read back (128 for the
 *	  concurrent tests: a split pins two pages per level it climbs). Forked
 *	  workers report failure through their exit status. Random tests print
 *	  their seed; set TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "storage/btree.h"
#include "storage/btree_int.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/elog.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "wal/xlog.h"

#define REL		   REL_KEYSPACE_INDEX
#define SMALL_POOL 64

/* Only failures are reported: passing ck_asserts cost a write(2) each. */
#define EXPECT_MSG(cond, ...)                                                                      \
	do                                                                                             \
	{                                                                                              \
		if (!(cond))                                                                               \
			ck_abort_msg(__VA_ARGS__);                                                             \
	} while (0)
#define EXPECT(cond) EXPECT_MSG(cond, "Assertion '%s' failed", #cond)

#define CHILD_CHECK(cond)                                                                          \
	do                                                                                             \
	{                                                                                              \
		if (!(cond))                                                                               \
		{                                                                                          \
			fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond);         \
			_exit(1);                                                                              \
		}                                                                                          \
	} while (0)

/* ------------------------------------------------------------- helpers */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned
rng_below(unsigned n)
{
	return n == 0 ? 0 : (unsigned) (rng_next() % n);
}

static uint64_t
seed_rng(const char *test)
{
	const char *env = getenv("TUSK_TEST_SEED");
	uint64_t seed;

	if (env != NULL)
		seed = strtoull(env, NULL, 0);
	else
		seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
	rng_state = seed;
	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n", test, seed,
			seed);
	return seed;
}

static uint64_t
fnv1a(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The hash the current test uses: modulus 0 means the full 64 bits. */
static uint64_t hash_modulus;

static uint64_t
test_hash(const char *key, size_t len)
{
	uint64_t h = fnv1a(key, len);

	return hash_modulus == 0 ? h : h % hash_modulus;
}

/*
 * Key number i: "k<i>:" then filler up to a length that depends only on i
 * (between minlen and maxlen), so the same number always gives the same key.
 */
static size_t
make_key(char *buf, unsigned i, size_t minlen, size_t maxlen)
{
	uint64_t mix = (uint64_t) i * 0x9E3779B97F4A7C15ull;
	size_t len = minlen + (size_t) ((mix >> 17) % (maxlen - minlen + 1));
	int n = snprintf(buf, maxlen + 1, "k%u:", i);

	if ((size_t) n > len)
		len = (size_t) n;
	for (size_t j = (size_t) n; j < len; j++)
		buf[j] = (char) ('a' + (char) ((mix >> (j % 50)) % 26));
	return len;
}

static ItemPointerData
tid_for(unsigned i, unsigned version)
{
	ItemPointerData t = {(BlockNumber) (i * 7 + version), (OffsetNumber) (1 + (i + version) % 200)};

	return t;
}

/* ------------------------------------------------- the reference model */

typedef struct MEntry
{
	uint16_t db;
	uint64_t hash;
	char *key;
	size_t len;
	ItemPointerData tid;
} MEntry;

typedef struct Model
{
	MEntry *v;
	size_t n;
	size_t cap;
} Model;

static int
mcmp(uint16_t db, uint64_t hash, const char *key, size_t len, const MEntry *e)
{
	size_t m = len < e->len ? len : e->len;
	int c;

	if (db != e->db)
		return db < e->db ? -1 : 1;
	if (hash != e->hash)
		return hash < e->hash ? -1 : 1;
	c = m > 0 ? memcmp(key, e->key, m) : 0;
	if (c != 0)
		return c;
	return len < e->len ? -1 : len > e->len ? 1 : 0;
}

/* Index of the first entry >= the key. */
static size_t
model_find(const Model *m, uint16_t db, uint64_t hash, const char *key, size_t len)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi)
	{
		size_t mid = (lo + hi) / 2;

		if (mcmp(db, hash, key, len, &m->v[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
model_has(const Model *m, size_t pos, uint16_t db, uint64_t hash, const char *key, size_t len)
{
	return pos < m->n && mcmp(db, hash, key, len, &m->v[pos]) == 0;
}

/* Returns true if the key was new. */
static bool
model_set(Model *m, uint16_t db, uint64_t hash, const char *key, size_t len, ItemPointerData tid,
		  ItemPointerData *old)
{
	size_t pos = model_find(m, db, hash, key, len);

	if (model_has(m, pos, db, hash, key, len))
	{
		*old = m->v[pos].tid;
		m->v[pos].tid = tid;
		return false;
	}
	if (m->n == m->cap)
	{
		m->cap = m->cap ? m->cap * 2 : 256;
		m->v = realloc(m->v, m->cap * sizeof(MEntry));
	}
	memmove(&m->v[pos + 1], &m->v[pos], (m->n - pos) * sizeof(MEntry));
	m->v[pos].db = db;
	m->v[pos].hash = hash;
	m->v[pos].key = malloc(len + 1);
	memcpy(m->v[pos].key, key, len);
	m->v[pos].len = len;
	m->v[pos].tid = tid;
	m->n++;
	return true;
}

static bool
model_delete(Model *m, uint16_t db, uint64_t hash, const char *key, size_t len)
{
	size_t pos = model_find(m, db, hash, key, len);

	if (!model_has(m, pos, db, hash, key, len))
		return false;
	free(m->v[pos].key);
	memmove(&m->v[pos], &m->v[pos + 1], (m->n - pos - 1) * sizeof(MEntry));
	m->n--;
	return true;
}

static void
model_free(Model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].key);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* -------------------------------------------------------- the cluster */

static char test_dir[64];
static int pool_buffers;

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	strcpy(test_dir, "/tmp/tusk_btree_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	ck_assert_int_eq(chdir(test_dir), 0);
	elog_min_level = WARNING;
	hash_modulus = 0;
}

static void
teardown(void)
{
	if (chdir("/") == 0)
		nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the postmaster and the startup process do, for one test. */
static void
start_cluster(int nbuffers)
{
	long long sb = (long long) nbuffers * BLCKSZ;
	char errbuf[256];

	pool_buffers = nbuffers;
	ck_assert_msg(ShmemCreate(BufMgrShmemSize(sb) + SmgrShmemSize() + XLogShmemSize(),
							  HUGE_PAGES_OFF, errbuf, sizeof(errbuf)),
				  "%s", errbuf);
	SmgrShmemInit();
	BufMgrShmemInit(sb);
	XLogShmemInit();
	ck_assert_msg(SmgrInitDataDirectory(errbuf, sizeof(errbuf)), "%s", errbuf);
	BtRegisterRedo();
	ck_assert_msg(StartupXLOG(), "StartupXLOG failed");
	ck_assert_msg(BtInit(REL), "BtInit failed");
}

/* Lose every buffer, WAL kept up to its insert position, and restart. */
static void
crash_and_restart(void)
{
	ck_assert(XLogFlush(XLogGetInsertPosition()));
	BufDropAll();
	SmgrCloseAll();
	ShmemDestroy();
	start_cluster(pool_buffers);
}

static BtCheckStats
check_tree(void)
{
	BtCheckStats st;
	char errbuf[512];

	ck_assert_msg(BtCheck(REL, &st, errbuf, sizeof(errbuf)), "BtCheck: %s", errbuf);
	ck_assert_int_eq(BufPinCount(), 0);
	return st;
}

/* Lookups of every model key, and a full scan of each db against the model. */
static void
compare_with_model(const Model *m, int ndb)
{
	BtScanBatch batch;
	size_t pos = 0;
	BtCheckStats st = check_tree();

	EXPECT_MSG(st.entries == m->n, "tree has %" PRIu64 " entries, model %zu", st.entries, m->n);
	for (size_t i = 0; i < m->n; i++)
	{
		ItemPointerData tid;
		BtResult r = BtLookup(REL, m->v[i].db, m->v[i].hash, m->v[i].key, m->v[i].len, &tid);

		EXPECT_MSG(r == BT_FOUND, "lookup of model entry %zu: %s", i, BtResultName(r));
		EXPECT(tid.block == m->v[i].tid.block && tid.offset == m->v[i].tid.offset);
	}
	BtScanBatchInit(&batch);
	for (int db = 0; db < ndb; db++)
	{
		EXPECT(BtScan(REL, (uint16_t) db, 0, 1000000, &batch) == BT_OK);
		EXPECT(!batch.more);
		for (int i = 0; i < batch.nentries; i++, pos++)
		{
			const BtScanEntry *e = &batch.entries[i];

			EXPECT_MSG(pos < m->n && m->v[pos].db == db &&
						   mcmp((uint16_t) db, e->hash, e->key, e->keylen, &m->v[pos]) == 0 &&
						   e->tid.block == m->v[pos].tid.block &&
						   e->tid.offset == m->v[pos].tid.offset,
					   "scan of db %d: entry %d differs from the model", db, i);
		}
	}
	EXPECT_MSG(pos == m->n, "scans returned %zu entries, model has %zu", pos, m->n);
	BtScanBatchFree(&batch);
	ck_assert_int_eq(BufPinCount(), 0);
}

/* Apply n random operations over nkeys keys to tree and model. */
static void
random_ops(Model *m, int n, unsigned nkeys, int ndb, size_t minlen, size_t maxlen)
{
	char *key = malloc(maxlen + 1);

	for (int op = 0; op < n; op++)
	{
		unsigned k = rng_below(nkeys);
		uint16_t db = (uint16_t) (k % (unsigned) ndb);
		size_t len = make_key(key, k, minlen, maxlen);
		uint64_t hash = test_hash(key, len);
		unsigned what = rng_below(10);
		BtResult r;

		if (what < 6)
		{
			ItemPointerData tid = tid_for(k, (unsigned) op);
			ItemPointerData old = {0, 0}, mold = {0, 0};
			bool isnew = model_set(m, db, hash, key, len, tid, &mold);

			r = BtInsertOrUpdate(REL, (uint64_t) op + 1, db, hash, key, len, tid, &old);
			EXPECT_MSG(r == (isnew ? BT_INSERTED : BT_UPDATED), "op %d insert key %u: %s", op, k,
					   BtResultName(r));
			if (!isnew)
				EXPECT(old.block == mold.block && old.offset == mold.offset);
		}
		else if (what < 8)
		{
			bool had = model_delete(m, db, hash, key, len);

			r = BtDelete(REL, (uint64_t) op + 1, db, hash, key, len, NULL);
			EXPECT_MSG(r == (had ? BT_FOUND : BT_NOT_FOUND), "op %d delete key %u: %s", op, k,
					   BtResultName(r));
		}
		else
		{
			size_t pos = model_find(m, db, hash, key, len);
			bool has = model_has(m, pos, db, hash, key, len);
			ItemPointerData tid;

			r = BtLookup(REL, db, hash, key, len, &tid);
			EXPECT_MSG(r == (has ? BT_FOUND : BT_NOT_FOUND), "op %d lookup key %u: %s", op, k,
					   BtResultName(r));
			if (has)
				EXPECT(tid.block == m->v[pos].tid.block && tid.offset == m->v[pos].tid.offset);
		}
	}
	free(key);
	ck_assert_int_eq(BufPinCount(), 0);
}

/* ---------------------------------------------------------- page level */

/* Build a payload from items given as (db, hash, key) and rebuild page. */
static void
build_page(Page page, uint16_t level, BlockNumber right, int n, const uint16_t *db,
		   const uint64_t *hash, const char *const *key, const char *hikey)
{
	static char payload[BT_REBUILD_MAX];
	BtRebuildHeader hdr = {right, level, level == 0 ? BTP_LEAF : 0, 0, 0};
	size_t pos = sizeof(hdr);
	_Alignas(8) char item[BT_MAX_ITEM_SIZE];

	for (int i = -1; i < n; i++)
	{
		uint16_t l;

		if (i < 0 && right == InvalidBlockNumber)
			continue;
		if (i < 0)
			l = (uint16_t) BtItemForm(item, 2, 0, hikey, strlen(hikey), InvalidBlockNumber, 0, 0);
		else if (level > 0 && i == 0)
			l = (uint16_t) BtItemForm(item, 0, 0, NULL, 0, 100, 0, BTI_MINUS_INF);
		else
			l = (uint16_t) BtItemForm(item, db[i], hash[i], key[i], strlen(key[i]),
									  level > 0 ? (BlockNumber) (100 + i) : (BlockNumber) i,
									  level > 0 ? 0 : (uint16_t) (i + 1), 0);
		memcpy(payload + pos, &l, sizeof(l));
		memcpy(payload + pos + sizeof(l), item, l);
		pos += sizeof(l) + l;
		hdr.nitems++;
	}
	memcpy(payload, &hdr, sizeof(hdr));
	ck_assert(BtPageRebuild(page, payload, pos));
}

START_TEST(test_page_search)
{
	_Alignas(8) char page[BLCKSZ];
	char err[256];
	const uint16_t db[] = {0, 0, 0, 0, 1, 1};
	const uint64_t hash[] = {5, 7, 7, 7, 1, 9};
	const char *const key[] = {"x", "", "a", "ab", "z", "q"};
	BtKey k;

	build_page(page, 0, 42, 6, db, hash, key, "");
	ck_assert_msg(BtPageCheck(page, 3, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(BtPageFirstData(BtPageGetOpaque(page)), 2);
	ck_assert_int_eq(PageGetMaxOffsetNumber(page), 7);

	k = (BtKey){0, 7, "a", 1};
	ck_assert_int_eq(BtPageLowerBound(page, &k), 4);
	k = (BtKey){0, 7, NULL, 0};
	ck_assert_int_eq(BtPageLowerBound(page, &k), 3); /* "" itself */
	k = (BtKey){0, 6, "zzz", 3};
	ck_assert_int_eq(BtPageLowerBound(page, &k), 3);
	k = (BtKey){0, 0, NULL, 0};
	ck_assert_int_eq(BtPageLowerBound(page, &k), 2);
	k = (BtKey){1, 10, NULL, 0};
	ck_assert_int_eq(BtPageLowerBound(page, &k), 8);
	ck_assert(!BtPageMustMoveRight(page, &k)); /* high key is (2, 0, "") */
	k = (BtKey){2, 0, NULL, 0};
	ck_assert(BtPageMustMoveRight(page, &k));
	k = (BtKey){1, UINT64_MAX, "zz", 2};
	ck_assert(!BtPageMustMoveRight(page, &k));

	/* Internal: first item is minus infinity. */
	build_page(page, 1, InvalidBlockNumber, 4, db, hash, key, "");
	ck_assert_msg(BtPageCheck(page, 3, err, sizeof(err)), "%s", err);
	k = (BtKey){0, 0, NULL, 0};
	ck_assert_int_eq(BtPageChooseChild(page, &k), 1);
	k = (BtKey){0, 7, NULL, 0};
	ck_assert_int_eq(BtPageChooseChild(page, &k), 2);
	k = (BtKey){0, 7, "a", 1};
	ck_assert_int_eq(BtPageChooseChild(page, &k), 3);
	k = (BtKey){0, 7, "aa", 2};
	ck_assert_int_eq(BtPageChooseChild(page, &k), 3);
	k = (BtKey){3, 0, NULL, 0};
	ck_assert_int_eq(BtPageChooseChild(page, &k), 4);

	/* The checker catches disorder and a key above the high key. */
	{
		const uint64_t bad_hash[] = {5, 9, 7};

		build_page(page, 0, InvalidBlockNumber, 3, db, bad_hash, key, "");
		ck_assert(!BtPageCheck(page, 3, err, sizeof(err)));
		ck_assert_ptr_nonnull(strstr(err, "not above"));
	}
}
END_TEST

START_TEST(test_item_limits)
{
	_Alignas(8) char page[BLCKSZ];
	_Alignas(8) char item[BT_MAX_ITEM_SIZE];
	char key[BT_MAX_KEY + 2];
	size_t l;
	ItemPointerData tid = {1, 1};

	memset(key, 'k', sizeof(key));
	/* Three of the largest items fill a leaf: not even an empty-key item fits after them. */
	BtPageInit(page, 0, BTP_LEAF, InvalidBlockNumber);
	l = BtItemForm(item, 0, 1, key, BT_MAX_KEY, 1, 1, 0);
	ck_assert_uint_eq(l, BT_MAX_ITEM_SIZE);
	for (int i = 0; i < 3; i++)
	{
		((BtItemData *) item)->hash = (uint64_t) i;
		ck_assert_int_eq(PageAddItem(page, item, l, InvalidOffsetNumber, false), i + 1);
	}
	ck_assert_uint_lt(PageGetFreeSpace(page), MAXALIGN(BtItemSize(0)) * 4);
	/* Too long is refused before anything is touched (no tree needed). */
	ck_assert_int_eq(BtLookup(REL, 0, 0, key, BT_MAX_KEY + 1, NULL), BT_KEY_TOO_LONG);
	ck_assert_int_eq(BtInsertOrUpdate(REL, 1, 0, 0, key, BT_MAX_KEY + 1, tid, NULL),
					 BT_KEY_TOO_LONG);
	ck_assert_int_eq(BtDelete(REL, 1, 0, 0, key, BT_MAX_KEY + 1, NULL), BT_KEY_TOO_LONG);
}
END_TEST

START_TEST(test_rebuild_rejects_garbage)
{
	_Alignas(8) char page[BLCKSZ];
	char payload[64];
	BtRebuildHeader hdr = {InvalidBlockNumber, 0, BTP_LEAF, 1, 0};
	uint16_t l = 10;

	memcpy(payload, &hdr, sizeof(hdr));
	memcpy(payload + sizeof(hdr), &l, sizeof(l));
	memset(payload + sizeof(hdr) + 2, 0, 10);
	ck_assert(!BtPageRebuild(page, payload, sizeof(hdr) + 12)); /* item too short */
	hdr.flags = 0;												/* level 0 without the leaf flag */
	hdr.nitems = 0;
	memcpy(payload, &hdr, sizeof(hdr));
	ck_assert(!BtPageRebuild(page, payload, sizeof(hdr)));
}
END_TEST

/* ---------------------------------------------------------- tree tests */

START_TEST(test_empty_tree)
{
	BtScanBatch batch;
	ItemPointerData tid = {7, 3}, old;
	BtCheckStats st;

	start_cluster(SMALL_POOL);
	ck_assert(BtInit(REL)); /* second call: already there */
	st = check_tree();
	ck_assert_uint_eq(st.levels, 1);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_int_eq(BtLookup(REL, 0, 1, "a", 1, &tid), BT_NOT_FOUND);
	ck_assert_int_eq(BtDelete(REL, 1, 0, 1, "a", 1, NULL), BT_NOT_FOUND);
	BtScanBatchInit(&batch);
	ck_assert_int_eq(BtScan(REL, 0, 0, 10, &batch), BT_OK);
	ck_assert_int_eq(batch.nentries, 0);
	ck_assert(!batch.more);

	/* The empty key is a key. */
	ck_assert_int_eq(BtInsertOrUpdate(REL, 1, 0, 1, "", 0, tid, &old), BT_INSERTED);
	tid.offset = 4;
	ck_assert_int_eq(BtInsertOrUpdate(REL, 2, 0, 1, "", 0, tid, &old), BT_UPDATED);
	ck_assert_int_eq(old.offset, 3);
	ck_assert_int_eq(BtLookup(REL, 0, 1, "", 0, &old), BT_FOUND);
	ck_assert_int_eq(old.offset, 4);
	old.offset = 3;
	ck_assert_int_eq(BtDelete(REL, 3, 0, 1, "", 0, &old), BT_TID_MISMATCH);
	ck_assert_int_eq(BtDelete(REL, 3, 0, 1, "", 0, &tid), BT_FOUND);
	ck_assert_int_eq(BtLookup(REL, 0, 1, "", 0, &old), BT_NOT_FOUND);
	BtScanBatchFree(&batch);
	check_tree();
}
END_TEST

START_TEST(test_random_against_model)
{
	Model m = {0};

	seed_rng("test_random_against_model");
	start_cluster(SMALL_POOL);
	random_ops(&m, 30000, 6000, 3, 1, 120);
	compare_with_model(&m, 3);
	random_ops(&m, 10000, 6000, 3, 1, 120);
	compare_with_model(&m, 3);
	model_free(&m);
}
END_TEST

START_TEST(test_random_colliding_hashes)
{
	Model m = {0};
	BtCheckStats st;

	seed_rng("test_random_colliding_hashes");
	hash_modulus = 10;
	start_cluster(SMALL_POOL);
	random_ops(&m, 20000, 4000, 2, 1, 200);
	compare_with_model(&m, 2);
	st = check_tree();
	fprintf(stderr, "colliding: %u levels, %" PRIu64 " pages, %" PRIu64 " entries\n", st.levels,
			st.pages, st.entries);
	model_free(&m);
}
END_TEST

/* Keys of 600-1400 bytes, every 50th of the largest length allowed. */
static size_t
deep_key(char *key, unsigned i)
{
	return i % 50 == 0 ? make_key(key, i, BT_MAX_KEY, BT_MAX_KEY) : make_key(key, i, 600, 1400);
}

/*
 * Big keys whose hashes all collide, so separators carry whole keys and
 * internal pages hold few of them: four levels and more from a few
 * thousand keys, with splits at every level and new roots.
 */
START_TEST(test_deep_tree)
{
	Model m = {0};
	BtCheckStats st;
	char *key = malloc(BT_MAX_KEY + 1);
	unsigned nkeys = 3000;
	unsigned *order = malloc(nkeys * sizeof(unsigned));

	seed_rng("test_deep_tree");
	hash_modulus = 3;
	start_cluster(SMALL_POOL);
	for (unsigned i = 0; i < nkeys; i++)
		order[i] = i;
	for (unsigned i = nkeys - 1; i > 0; i--)
	{
		unsigned j = rng_below(i + 1);
		unsigned t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned n = 0; n < nkeys; n++)
	{
		unsigned i = order[n];
		size_t len = deep_key(key, i);
		uint64_t hash = test_hash(key, len);
		ItemPointerData old;
		BtResult r;

		model_set(&m, 0, hash, key, len, tid_for(i, 0), &old);
		r = BtInsertOrUpdate(REL, n + 1, 0, hash, key, len, tid_for(i, 0), &old);
		EXPECT_MSG(r == BT_INSERTED, "insert %u: %s", i, BtResultName(r));
	}
	st = check_tree();
	fprintf(stderr, "deep: %u levels, %" PRIu64 " pages, %" PRIu64 " leaves\n", st.levels, st.pages,
			st.leaf_pages);
	ck_assert_uint_ge(st.levels, 4);
	compare_with_model(&m, 1);

	/* Delete half, update the rest, and check again. */
	for (unsigned n = 0; n < nkeys; n++)
	{
		unsigned i = order[n];
		size_t len = deep_key(key, i);
		uint64_t hash = test_hash(key, len);
		ItemPointerData old;

		if (n % 2 == 0)
		{
			EXPECT(model_delete(&m, 0, hash, key, len));
			EXPECT(BtDelete(REL, 1, 0, hash, key, len, NULL) == BT_FOUND);
		}
		else
		{
			model_set(&m, 0, hash, key, len, tid_for(i, 1), &old);
			EXPECT(BtInsertOrUpdate(REL, 1, 0, hash, key, len, tid_for(i, 1), &old) == BT_UPDATED);
		}
	}
	compare_with_model(&m, 1);
	model_free(&m);
	free(order);
	free(key);
}
END_TEST

/*
 * SCAN with small batches over heavily colliding hashes: resuming at
 * next_hash returns every entry exactly once, in order, and no batch ends
 * inside a run of equal hashes.
 */
START_TEST(test_scan_cursor)
{
	Model m = {0};
	BtScanBatch batch;
	char key[64];

	seed_rng("test_scan_cursor");
	hash_modulus = 97;
	start_cluster(SMALL_POOL);
	for (unsigned i = 0; i < 5000; i++)
	{
		uint16_t db = (uint16_t) (i % 3 == 0 ? 1 : 2);
		size_t len = make_key(key, i, 4, 60);
		uint64_t hash = test_hash(key, len);
		ItemPointerData old;

		model_set(&m, db, hash, key, len, tid_for(i, 0), &old);
		EXPECT(BtInsertOrUpdate(REL, 1, db, hash, key, len, tid_for(i, 0), &old) == BT_INSERTED);
	}
	BtScanBatchInit(&batch);
	for (int round = 0; round < 20; round++)
	{
		for (uint16_t db = 0; db <= 3; db++)
		{
			size_t pos = model_find(&m, db, 0, NULL, 0);
			uint64_t cursor = 0;
			bool first = true;
			int batches = 0;

			for (;;)
			{
				int max = 1 + (int) rng_below(round < 10 ? 5 : 200);

				EXPECT(BtScan(REL, db, cursor, max, &batch) == BT_OK);
				batches++;
				EXPECT_MSG(batch.nentries >= max || !batch.more,
						   "short batch %d of %d with more to come", batch.nentries, max);
				for (int i = 0; i < batch.nentries; i++, pos++)
				{
					const BtScanEntry *e = &batch.entries[i];

					EXPECT_MSG(pos < m.n && m.v[pos].db == db &&
								   mcmp(db, e->hash, e->key, e->keylen, &m.v[pos]) == 0,
							   "db %u: scan entry %zu differs from the model", db, pos);
					EXPECT(e->hash >= cursor);
				}
				if (batch.nentries > 0 && batch.more)
				{
					/* The batch ended at a hash boundary. */
					EXPECT(batch.next_hash > batch.entries[batch.nentries - 1].hash);
					EXPECT(pos < m.n && m.v[pos].db == db && m.v[pos].hash == batch.next_hash);
				}
				if (!batch.more)
					break;
				EXPECT(first || batch.next_hash > cursor);
				cursor = batch.next_hash;
				first = false;
			}
			EXPECT_MSG(pos == m.n || m.v[pos].db != db, "db %u: scan stopped early", db);
			EXPECT(db == 1 || db == 2 || batches == 1);
		}
	}
	BtScanBatchFree(&batch);
	check_tree();
	model_free(&m);
}
END_TEST

/* BtCheck finds a key out of place and a broken right-link. */
START_TEST(test_check_detects_corruption)
{
	char key[64];
	char errbuf[512];
	Buffer buf;
	Page page;
	BtMetaData *meta;
	BlockNumber root, leaf, right;
	BtItemData *item;
	uint64_t saved;

	start_cluster(SMALL_POOL);
	for (unsigned i = 0; i < 2000; i++)
	{
		size_t len = make_key(key, i, 10, 60);
		ItemPointerData old;

		ck_assert_int_eq(
			BtInsertOrUpdate(REL, 1, 0, fnv1a(key, len), key, len, tid_for(i, 0), &old),
			BT_INSERTED);
	}
	ck_assert_uint_ge(check_tree().levels, 2);

	buf = BufRead(REL, BT_META_BLOCK);
	BufLockContent(buf, LW_SHARED);
	meta = BtMetaPageGet(BufGetPage(buf));
	ck_assert_ptr_nonnull(meta);
	root = meta->root;
	BufUnlockRelease(buf);
	buf = BufRead(REL, root);
	BufLockContent(buf, LW_SHARED);
	page = BufGetPage(buf);
	leaf = BtPageGetItem(page, BtPageFirstData(BtPageGetOpaque(page)))->block;
	BufUnlockRelease(buf);

	/* The leftmost leaf's first key jumps past its high key. */
	buf = BufRead(REL, leaf);
	BufLockContent(buf, LW_EXCLUSIVE);
	page = BufGetPage(buf);
	ck_assert(!BtPageIsRightmost(BtPageGetOpaque(page)));
	item = BtPageGetItem(page, BtPageFirstData(BtPageGetOpaque(page)));
	saved = item->hash;
	item->hash = UINT64_MAX;
	BufUnlockContent(buf);
	ck_assert(!BtCheck(REL, NULL, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "not above") != NULL || strstr(errbuf, "high key") != NULL, "%s",
				  errbuf);
	BufLockContent(buf, LW_EXCLUSIVE);
	item->hash = saved;

	/* Its right-link skips a page. */
	right = BtPageGetOpaque(page)->right;
	BtPageGetOpaque(page)->right = root;
	BufUnlockContent(buf);
	ck_assert(!BtCheck(REL, NULL, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "right-link") != NULL || strstr(errbuf, "level") != NULL, "%s",
				  errbuf);
	BufLockContent(buf, LW_EXCLUSIVE);
	BtPageGetOpaque(page)->right = right;
	BufUnlockRelease(buf);
	check_tree();
}
END_TEST

#define NWORKERS 4
#ifndef PER_WORKER
#define PER_WORKER 3000
#endif

/* Widen the windows between one page and the next (btree_race_hook). */
static void
race_yield(void)
{
	unsigned r = rng_below(64);

	if (r == 0)
		usleep(20);
	else if (r < 16)
		sched_yield();
}

/* After the insert pass, workers delete every fifth key and update every third. */
static int
concurrent_fate(unsigned i)
{
	return i % 5 == 0 ? 0 : i % 3 == 0 ? 2 : 1; /* 0 gone, 1 first tid, 2 second */
}

/*
 * Four processes insert disjoint key sets at once (hashes collide, keys
 * are long enough for internal splits), then delete and update some of
 * them while the others still split pages, and a fifth process scans and
 * checks the order throughout; afterwards the tree holds exactly what the
 * workers left and BtCheck passes.
 */
static void
run_concurrent(const char *name, unsigned per_worker, size_t minlen, size_t maxlen,
			   uint64_t modulus, uint32_t min_levels)
{
	pid_t pids[NWORKERS + 1];
	_Atomic int *done =
		mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	BtCheckStats st;
	char *key = malloc(maxlen + 1);
	uint64_t live = 0;
	uint64_t seed = seed_rng(name);

	ck_assert_ptr_ne(done, MAP_FAILED);
	atomic_store(done, 0);
	hash_modulus = modulus;
	start_cluster(2 * SMALL_POOL);
	for (int w = 0; w <= NWORKERS; w++)
	{
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] != 0)
			continue;
		rng_state = seed + (uint64_t) w;
		btree_race_hook = race_yield;
		if (w == NWORKERS)
		{
			/* Reader: full scans must stay ordered and complete-so-far. */
			BtScanBatch batch;
			int scans = 0;

			BtScanBatchInit(&batch);
			while (atomic_load(done) < NWORKERS || scans < 3)
			{
				uint64_t cursor = 0;
				uint64_t last = 0;

				for (;;)
				{
					CHILD_CHECK(BtScan(REL, 0, cursor, 50, &batch) == BT_OK);
					for (int i = 0; i < batch.nentries; i++)
					{
						CHILD_CHECK(batch.entries[i].hash >= last);
						last = batch.entries[i].hash;
					}
					if (!batch.more)
						break;
					CHILD_CHECK(batch.next_hash > cursor || cursor == 0);
					cursor = batch.next_hash;
				}
				scans++;
			}
			BtScanBatchFree(&batch);
			CHILD_CHECK(BufPinCount() == 0);
			_exit(0);
		}
		for (unsigned n = 0; n < per_worker; n++)
		{
			unsigned i = n * NWORKERS + (unsigned) w;
			size_t len = make_key(key, i, minlen, maxlen);
			uint64_t hash = test_hash(key, len);
			ItemPointerData tid;

			CHILD_CHECK(BtInsertOrUpdate(REL, i + 1, 0, hash, key, len, tid_for(i, 0), &tid) ==
						BT_INSERTED);
			if (n % 7 == 0)
			{
				/* Re-read an earlier key of ours. */
				unsigned j = (rng_below(n + 1)) * NWORKERS + (unsigned) w;

				len = make_key(key, j, minlen, maxlen);
				CHILD_CHECK(BtLookup(REL, 0, test_hash(key, len), key, len, &tid) == BT_FOUND);
				CHILD_CHECK(tid.block == tid_for(j, 0).block);
			}
		}
		for (unsigned n = 0; n < per_worker; n++)
		{
			unsigned i = n * NWORKERS + (unsigned) w;
			size_t len = make_key(key, i, minlen, maxlen);
			uint64_t hash = test_hash(key, len);
			ItemPointerData tid = tid_for(i, 0);

			if (concurrent_fate(i) == 0)
				CHILD_CHECK(BtDelete(REL, i + 1, 0, hash, key, len, &tid) == BT_FOUND);
			else if (concurrent_fate(i) == 2)
				CHILD_CHECK(BtInsertOrUpdate(REL, i + 1, 0, hash, key, len, tid_for(i, 1), &tid) ==
							BT_UPDATED);
		}
		CHILD_CHECK(BufPinCount() == 0);
		atomic_fetch_add(done, 1);
		_exit(0);
	}
	for (int w = 0; w <= NWORKERS; w++)
	{
		int status;

		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
					  "worker %d failed (status 0x%x)", w, status);
	}
	st = check_tree();
	fprintf(stderr, "%s: %u levels, %" PRIu64 " pages, %" PRIu64 " entries\n", name, st.levels,
			st.pages, st.entries);
	ck_assert_uint_ge(st.levels, min_levels);
	for (unsigned i = 0; i < NWORKERS * per_worker; i++)
	{
		size_t len = make_key(key, i, minlen, maxlen);
		ItemPointerData tid;
		ItemPointerData want = tid_for(i, concurrent_fate(i) == 2 ? 1 : 0);
		BtResult r = BtLookup(REL, 0, test_hash(key, len), key, len, &tid);

		if (concurrent_fate(i) == 0)
		{
			EXPECT_MSG(r == BT_NOT_FOUND, "deleted key %u is still there", i);
			continue;
		}
		live++;
		EXPECT_MSG(r == BT_FOUND, "key %u missing", i);
		EXPECT(tid.block == want.block && tid.offset == want.offset);
	}
	ck_assert_uint_eq(st.entries, live);
	munmap(done, sizeof(int));
	free(key);
}

START_TEST(test_concurrent_inserts)
{
	run_concurrent("test_concurrent_inserts", PER_WORKER, 20, 400, 64, 3);
}
END_TEST

/*
 * Big keys, three hash values: internal pages hold a handful of
 * separators, so splits run up several levels at once and new roots
 * appear while other splits are on their way up.
 */
START_TEST(test_concurrent_deep)
{
	run_concurrent("test_concurrent_deep", PER_WORKER / 4, 600, 1400, 3, 4);
}
END_TEST

/*
 * Keys of the largest size with one hash value: two or three items per
 * page at every level, so nearly every insert splits up to the root and
 * the root is replaced while other splits climb towards it (the parent
 * of a former root is then found from the metapage).
 */
START_TEST(test_concurrent_max_keys)
{
	run_concurrent("test_concurrent_max_keys", 250, BT_MAX_KEY, BT_MAX_KEY, 1, 6);
}
END_TEST

/*
 * Random operations, a checkpoint, more operations (full-page images
 * now), then lose every buffer and recover from WAL: the tree must equal
 * the model. Eviction has written some pages to disk meanwhile, so redo
 * meets pages both older and newer than its records.
 */
START_TEST(test_crash_recovery)
{
	Model m = {0};

	seed_rng("test_crash_recovery");
	hash_modulus = 1000;
	start_cluster(SMALL_POOL);
	random_ops(&m, 8000, 3000, 2, 1, 300);
	ck_assert(CreateCheckPoint(CHECKPOINT_IMMEDIATE));
	random_ops(&m, 12000, 3000, 2, 1, 300);
	crash_and_restart();
	compare_with_model(&m, 2);

	/* Recovery from a crash right after a recovery, then keep going. */
	random_ops(&m, 4000, 3000, 2, 1, 300);
	crash_and_restart();
	compare_with_model(&m, 2);
	crash_and_restart();
	compare_with_model(&m, 2);
	model_free(&m);
}
END_TEST

/* A deep tree rebuilt from WAL alone, root splits and all. */
START_TEST(test_crash_recovery_deep)
{
	Model m = {0};
	BtCheckStats st;

	seed_rng("test_crash_recovery_deep");
	hash_modulus = 2;
	start_cluster(SMALL_POOL);
	random_ops(&m, 6000, 4000, 1, 500, 1500);
	st = check_tree();
	ck_assert_uint_ge(st.levels, 3);
	crash_and_restart();
	compare_with_model(&m, 1);
	model_free(&m);
}
END_TEST

static Suite *
btree_suite(void)
{
	Suite *s = suite_create("btree");
	TCase *page = tcase_create("page");
	TCase *tree = tcase_create("tree");

	tcase_add_test(page, test_page_search);
	tcase_add_test(page, test_item_limits);
	tcase_add_test(page, test_rebuild_rejects_garbage);
	suite_add_tcase(s, page);

	tcase_add_checked_fixture(tree, setup, teardown);
	tcase_set_timeout(tree, 300);
	tcase_add_test(tree, test_empty_tree);
	tcase_add_test(tree, test_random_against_model);
	tcase_add_test(tree, test_random_colliding_hashes);
	tcase_add_test(tree, test_deep_tree);
	tcase_add_test(tree, test_scan_cursor);
	tcase_add_test(tree, test_check_detects_corruption);
	tcase_add_test(tree, test_concurrent_inserts);
	tcase_add_test(tree, test_concurrent_deep);
	tcase_add_test(tree, test_concurrent_max_keys);
	tcase_add_test(tree, test_crash_recovery);
	tcase_add_test(tree, test_crash_recovery_deep);
	suite_add_tcase(s, tree);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(btree_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
