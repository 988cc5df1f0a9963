/*
 * check_bufpage.c
 *	  Unit tests for storage/bufpage.c on a plain 8 KiB array: layout, exact
 *	  free space accounting, add/delete/overwrite/repair, checksums, header
 *	  sanity, and a random test against a reference model.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child, so a crash or a
 *	  failed assertion inside bufpage.c fails one test. Random tests print
 *	  their seed; set TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/bufpage.h"
#include "storage/crc32c.h"

#define HDR(page) ((PageHeader) (page))

/*
 * Check records the location of every passing ck_assert in a file, which
 * costs a write(2) each; the random tests make millions of checks, so these
 * report only failures (with file and line, like ck_assert).
 */
#define EXPECT_MSG(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)
#define EXPECT(cond) EXPECT_MSG(cond, "Assertion '%s' failed", #cond)

/* Raw gap of a freshly initialized page without special space. */
#define EMPTY_GAP (BLCKSZ - SizeOfPageHeaderData)

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ull);

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
	uint64_t	seed;

	if (env != NULL)
		seed = strtoull(env, NULL, 0);
	else
		seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
	rng_state = seed;
	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n",
			test, seed, seed);
	return seed;
}

/* Item bytes that differ per tag and per position, so moves are visible. */
static void
make_item(unsigned char *buf, size_t size, unsigned tag)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char) (tag * 31 + i * 7 + 1);
}

static bool
item_matches(Page page, OffsetNumber off, size_t size, unsigned tag)
{
	unsigned char expect[BLCKSZ];
	ItemId		id = PageGetItemId(page, off);

	if (ItemIdGetLength(id) != size)
		return false;
	make_item(expect, size, tag);
	return memcmp(PageGetItem(page, id), expect, size) == 0;
}

static OffsetNumber
add_tagged(Page page, size_t size, unsigned tag, OffsetNumber off, bool overwrite)
{
	unsigned char buf[BLCKSZ];

	make_item(buf, size, tag);
	return PageAddItem(page, buf, size, off, overwrite);
}

START_TEST(test_header_layout)
{
	_Alignas(8) char page[BLCKSZ];
	ItemIdData	id;
	unsigned char bytes[4];

	ck_assert_uint_eq(offsetof(PageHeaderData, pd_lsn), 0);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_checksum), 8);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_flags), 12);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_lower), 14);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_upper), 16);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_special), 18);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_version), 20);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_reserved), 22);
	ck_assert_uint_eq(offsetof(PageHeaderData, pd_prune_xid), 24);
	ck_assert_uint_eq(SizeOfPageHeaderData, 32);
	ck_assert_uint_eq(sizeof(ItemIdData), 4);
	ck_assert_uint_eq(MaxOffsetNumber, 2040);
	ck_assert_uint_eq(MaxItemSize, 8152);

	/* Line pointer bits: off 0-14, flags 15-16, len 17-31, little-endian. */
	ItemIdSet(&id, 0x1238, LP_DEAD, 0x0123);
	ck_assert_uint_eq(id.lp_word, 0x1238u | (3u << 15) | (0x0123u << 17));
	memcpy(bytes, &id, 4);
	ck_assert_uint_eq(bytes[0], 0x38);
	ck_assert_uint_eq(bytes[1], 0x12 | 0x80);	/* flags bit 0 is bit 15 */
	ck_assert_uint_eq(bytes[2], 0x01 | ((0x0123 & 0x7F) << 1));
	ck_assert_uint_eq(bytes[3], 0x0123 >> 7);
	ck_assert_uint_eq(ItemIdGetOffset(&id), 0x1238);
	ck_assert_uint_eq(ItemIdGetFlags(&id), LP_DEAD);
	ck_assert_uint_eq(ItemIdGetLength(&id), 0x0123);
	ItemIdSet(&id, 0x7FFF, LP_REDIRECT, 0x7FFF);
	ck_assert_uint_eq(ItemIdGetOffset(&id), 0x7FFF);
	ck_assert_uint_eq(ItemIdGetFlags(&id), LP_REDIRECT);
	ck_assert_uint_eq(ItemIdGetLength(&id), 0x7FFF);

	PageInit(page, 0);
	ck_assert_ptr_eq((char *) &HDR(page)->pd_linp[0], page + 32);
}
END_TEST

START_TEST(test_init)
{
	_Alignas(8) char page[BLCKSZ];

	memset(page, 0, BLCKSZ);
	EXPECT(PageIsNew(page));
	EXPECT(PageIsVerified(page));

	memset(page, 0xAB, BLCKSZ);
	PageInit(page, 0);
	EXPECT(!PageIsNew(page));
	ck_assert_uint_eq(HDR(page)->pd_lsn, 0);
	ck_assert_uint_eq(HDR(page)->pd_flags, 0);
	ck_assert_uint_eq(HDR(page)->pd_lower, 32);
	ck_assert_uint_eq(HDR(page)->pd_upper, BLCKSZ);
	ck_assert_uint_eq(HDR(page)->pd_special, BLCKSZ);
	ck_assert_uint_eq(HDR(page)->pd_version, TUSK_PAGE_LAYOUT_VERSION);
	ck_assert_uint_eq(HDR(page)->pd_prune_xid, 0);
	ck_assert_uint_eq(PageGetMaxOffsetNumber(page), 0);
	ck_assert_uint_eq(PageGetExactFreeSpace(page), 8160);
	ck_assert_uint_eq(PageGetFreeSpace(page), 8152);
	ck_assert_uint_eq(PageGetSpecialSize(page), 0);
	EXPECT(PageIsVerified(page));
	EXPECT(PageCheckItems(page));

	/* Special space is rounded up to MAXALIGN and zeroed. */
	memset(page, 0xAB, BLCKSZ);
	PageInit(page, 13);
	ck_assert_uint_eq(HDR(page)->pd_special, BLCKSZ - 16);
	ck_assert_uint_eq(HDR(page)->pd_upper, BLCKSZ - 16);
	ck_assert_uint_eq(PageGetSpecialSize(page), 16);
	ck_assert_ptr_eq(PageGetSpecial(page), page + BLCKSZ - 16);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(PageGetSpecial(page)[i], 0);
	ck_assert_uint_eq(PageGetExactFreeSpace(page), 8144);
	ck_assert_uint_eq(PageGetFreeSpace(page), 8136);
	EXPECT(PageIsVerified(page));

	PageSetLSN(page, 0x0123456789ABCDEFull);
	ck_assert_uint_eq(PageGetLSN(page), 0x0123456789ABCDEFull);
}
END_TEST

/*
 * Fill pages with equal items: each add costs exactly MAXALIGN(size) + 4,
 * PageGetFreeSpace predicts exactly when an add fails, and a refused add
 * leaves every byte alone.
 */
START_TEST(test_fill_exact)
{
	static const size_t sizes[] = {1, 7, 8, 9, 13, 100, 1000, 4072, 4076, 4077, 8152};
	_Alignas(8) char page[BLCKSZ];
	_Alignas(8) char before[BLCKSZ];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
	{
		size_t		size = sizes[s];
		size_t		cost = MAXALIGN(size) + sizeof(ItemIdData);
		unsigned	n = 0;

		PageInit(page, 0);
		while (PageGetFreeSpace(page) >= size)
		{
			size_t		exact = PageGetExactFreeSpace(page);

			ck_assert_uint_eq(add_tagged(page, size, n, InvalidOffsetNumber, false), n + 1);
			ck_assert_uint_eq(exact - PageGetExactFreeSpace(page), cost);
			n++;
		}
		EXPECT_MSG(n == EMPTY_GAP / cost, "size %zu: %u items, expected %zu",
					  size, n, EMPTY_GAP / cost);
		ck_assert_uint_eq(PageGetExactFreeSpace(page), EMPTY_GAP - n * cost);

		memcpy(before, page, BLCKSZ);
		ck_assert_uint_eq(add_tagged(page, size, 9999, InvalidOffsetNumber, false),
						  InvalidOffsetNumber);
		EXPECT(memcmp(before, page, BLCKSZ) == 0);

		for (unsigned i = 0; i < n; i++)
			EXPECT_MSG(item_matches(page, i + 1, size, i), "size %zu item %u", size, i + 1);
		EXPECT(PageCheckItems(page));
	}

	/* The largest item that fits is exactly PageGetFreeSpace, for any gap. */
	for (size_t first = 1; first <= 64; first++)
	{
		size_t		free_space;

		PageInit(page, 0);
		add_tagged(page, first, 1, InvalidOffsetNumber, false);
		add_tagged(page, 3000, 2, InvalidOffsetNumber, false);
		free_space = PageGetFreeSpace(page);
		ck_assert_uint_eq(free_space % MAXIMUM_ALIGNOF, 0);
		memcpy(before, page, BLCKSZ);
		ck_assert_uint_eq(add_tagged(page, free_space + 1, 3, InvalidOffsetNumber, false),
						  InvalidOffsetNumber);
		EXPECT(memcmp(before, page, BLCKSZ) == 0);
		ck_assert_uint_eq(add_tagged(page, free_space, 3, InvalidOffsetNumber, false), 3);
		ck_assert_uint_eq(PageGetFreeSpace(page), 0);
		EXPECT(item_matches(page, 3, free_space, 3));
	}

	/* Padding after an unaligned item is zeroed, so images are deterministic. */
	PageInit(page, 0);
	add_tagged(page, 16, 1, InvalidOffsetNumber, false);
	EXPECT(PageIndexTupleDelete(page, 1));	/* leaves its bytes behind */
	add_tagged(page, 5, 2, InvalidOffsetNumber, false);
	for (int i = 5; i < 8; i++)
		ck_assert_int_eq(PageGetItem(page, PageGetItemId(page, 1))[i], 0);
	add_tagged(page, 16, 3, 1, false);
	make_item((unsigned char *) before, 6, 4);
	EXPECT(PageIndexTupleOverwrite(page, 1, before, 6));	/* shrinks in place */
	for (int i = 6; i < 8; i++)
		ck_assert_int_eq(PageGetItem(page, PageGetItemId(page, 1))[i], 0);
}
END_TEST

START_TEST(test_add_positions)
{
	_Alignas(8) char page[BLCKSZ];
	unsigned char buf[16] = {0};

	PageInit(page, 0);
	ck_assert_uint_eq(add_tagged(page, 10, 'A', InvalidOffsetNumber, false), 1);
	ck_assert_uint_eq(add_tagged(page, 20, 'B', InvalidOffsetNumber, false), 2);
	ck_assert_uint_eq(add_tagged(page, 30, 'C', InvalidOffsetNumber, false), 3);

	/* Insert in the middle: later line pointers shift up by one. */
	ck_assert_uint_eq(add_tagged(page, 15, 'X', 2, false), 2);
	ck_assert_uint_eq(PageGetMaxOffsetNumber(page), 4);
	EXPECT(item_matches(page, 1, 10, 'A'));
	EXPECT(item_matches(page, 2, 15, 'X'));
	EXPECT(item_matches(page, 3, 20, 'B'));
	EXPECT(item_matches(page, 4, 30, 'C'));

	/* Insert at the front and one past the end. */
	ck_assert_uint_eq(add_tagged(page, 5, 'F', 1, false), 1);
	ck_assert_uint_eq(add_tagged(page, 6, 'E', 6, false), 6);
	EXPECT(item_matches(page, 1, 5, 'F'));
	EXPECT(item_matches(page, 2, 10, 'A'));
	EXPECT(item_matches(page, 6, 6, 'E'));

	/* Refusals. */
	ck_assert_uint_eq(add_tagged(page, 8, 'Z', 3, true), InvalidOffsetNumber);	/* in use */
	ck_assert_uint_eq(add_tagged(page, 8, 'Z', 8, false), InvalidOffsetNumber);	/* past end */
	ck_assert_uint_eq(add_tagged(page, 8, 'Z', 8, true), InvalidOffsetNumber);
	ck_assert_uint_eq(PageAddItem(page, buf, 0, InvalidOffsetNumber, false), InvalidOffsetNumber);
	ck_assert_uint_eq(add_tagged(page, MaxItemSize + 1, 'Z', InvalidOffsetNumber, false),
					  InvalidOffsetNumber);
	ck_assert_uint_eq(PageGetMaxOffsetNumber(page), 6);

	/* overwrite at one past the end appends. */
	ck_assert_uint_eq(add_tagged(page, 7, 'G', 7, true), 7);

	/* A freed slot is reused by the next automatic add, and by overwrite. */
	PageSetItemUnused(page, 3);
	PageSetItemUnused(page, 5);
	EXPECT(HDR(page)->pd_flags & PD_HAS_FREE_LINES);
	ck_assert_uint_eq(add_tagged(page, 9, 'H', InvalidOffsetNumber, false), 3);
	ck_assert_uint_eq(add_tagged(page, 9, 'I', 5, true), 5);
	ck_assert_uint_eq(PageGetMaxOffsetNumber(page), 7);
	EXPECT(item_matches(page, 3, 9, 'H'));
	EXPECT(item_matches(page, 5, 9, 'I'));
	/* The hint is now stale: the next add appends. */
	ck_assert_uint_eq(add_tagged(page, 9, 'J', InvalidOffsetNumber, false), 8);
	EXPECT(PageCheckItems(page));
}
END_TEST

START_TEST(test_index_delete)
{
	_Alignas(8) char page[BLCKSZ];
	size_t		sizes[10];
	unsigned	tags[10];
	int			n = 10;

	PageInit(page, 24);
	for (int i = 0; i < n; i++)
	{
		sizes[i] = 1 + (size_t) i * 37;
		tags[i] = (unsigned) i;
		ck_assert_uint_eq(add_tagged(page, sizes[i], tags[i], InvalidOffsetNumber, false), i + 1);
	}
	memset(PageGetSpecial(page), 0x5A, 24);

	EXPECT(!PageIndexTupleDelete(page, 0));
	EXPECT(!PageIndexTupleDelete(page, 11));

	/* Delete the middle, the first, the last; then the rest from the front. */
	while (n > 0)
	{
		int			victim = (n == 10) ? 4 : (n == 9) ? 0 : (n == 8) ? n - 1 : 0;
		size_t		exact = PageGetExactFreeSpace(page);

		EXPECT(PageIndexTupleDelete(page, (OffsetNumber) (victim + 1)));
		ck_assert_uint_eq(PageGetExactFreeSpace(page) - exact,
						  MAXALIGN(sizes[victim]) + sizeof(ItemIdData));
		memmove(&sizes[victim], &sizes[victim + 1], (size_t) (n - victim - 1) * sizeof(size_t));
		memmove(&tags[victim], &tags[victim + 1], (size_t) (n - victim - 1) * sizeof(unsigned));
		n--;
		ck_assert_uint_eq(PageGetMaxOffsetNumber(page), n);
		for (int i = 0; i < n; i++)
			EXPECT_MSG(item_matches(page, (OffsetNumber) (i + 1), sizes[i], tags[i]),
						  "after delete, %d items left, item %d", n, i + 1);
		EXPECT(PageCheckItems(page));
		for (int i = 0; i < 24; i++)
			ck_assert_int_eq((unsigned char) PageGetSpecial(page)[i], 0x5A);
	}
	ck_assert_uint_eq(HDR(page)->pd_lower, 32);
	ck_assert_uint_eq(HDR(page)->pd_upper, BLCKSZ - 24);

	/* A line pointer without storage can be deleted too. */
	add_tagged(page, 8, 1, InvalidOffsetNumber, false);
	add_tagged(page, 8, 2, InvalidOffsetNumber, false);
	PageSetItemDead(page, 1);
	PageRepairFragmentation(page);
	EXPECT(PageIndexTupleDelete(page, 1));
	ck_assert_uint_eq(PageGetMaxOffsetNumber(page), 1);
	EXPECT(item_matches(page, 1, 8, 2));
}
END_TEST

START_TEST(test_repair_fragmentation)
{
	_Alignas(8) char page[BLCKSZ];
	_Alignas(8) char before[BLCKSZ];
	size_t		keep_bytes = 0;

	PageInit(page, 8);
	for (unsigned i = 1; i <= 20; i++)
		ck_assert_uint_eq(add_tagged(page, 10 * i + 3, i, InvalidOffsetNumber, false), i);

	/* Compacting a page without holes changes nothing. */
	memcpy(before, page, BLCKSZ);
	EXPECT(PageRepairFragmentation(page));
	EXPECT(memcmp(before, page, BLCKSZ) == 0);

	PageSetItemDead(page, 3);
	PageSetItemDead(page, 7);
	PageSetItemUnused(page, 5);
	PageSetItemUnused(page, 12);
	PageSetItemRedirect(page, 9, 10);
	PageSetItemDead(page, 20);

	/* Dead items keep their bytes until repair. */
	EXPECT(item_matches(page, 3, 33, 3));
	ck_assert_uint_eq(PageGetExactFreeSpace(page), PageGetExactFreeSpace(before));

	EXPECT(PageRepairFragmentation(page));
	ck_assert_uint_eq(PageGetMaxOffsetNumber(page), 20);
	for (unsigned i = 1; i <= 20; i++)
	{
		ItemId		id = PageGetItemId(page, (OffsetNumber) i);

		switch (i)
		{
			case 3:
			case 7:
			case 20:
				EXPECT(ItemIdIsDead(id));
				EXPECT(!ItemIdHasStorage(id));
				ck_assert_uint_eq(id->lp_word, LP_DEAD << ITEMID_FLAGS_SHIFT);
				break;
			case 5:
			case 12:
				EXPECT(!ItemIdIsUsed(id));
				ck_assert_uint_eq(id->lp_word, 0);
				break;
			case 9:
				EXPECT(ItemIdIsRedirected(id));
				ck_assert_uint_eq(ItemIdGetRedirect(id), 10);
				break;
			default:
				EXPECT_MSG(ItemIdIsNormal(id) && item_matches(page, (OffsetNumber) i, 10 * i + 3, i),
							  "item %u moved or damaged", i);
				keep_bytes += MAXALIGN(10 * i + 3);
		}
	}
	ck_assert_uint_eq(HDR(page)->pd_upper, BLCKSZ - 8 - keep_bytes);
	ck_assert_uint_eq(PageGetExactFreeSpace(page), BLCKSZ - 8 - keep_bytes - 32 - 20 * 4);
	EXPECT(HDR(page)->pd_flags & PD_HAS_FREE_LINES);
	EXPECT(PageCheckItems(page));

	/* Idempotent. */
	memcpy(before, page, BLCKSZ);
	EXPECT(PageRepairFragmentation(page));
	EXPECT(memcmp(before, page, BLCKSZ) == 0);

	/* The hint leads the next add to the first free slot. */
	ck_assert_uint_eq(add_tagged(page, 40, 100, InvalidOffsetNumber, false), 5);
	ck_assert_uint_eq(add_tagged(page, 40, 101, InvalidOffsetNumber, false), 12);
	EXPECT(PageRepairFragmentation(page));
	EXPECT(!(HDR(page)->pd_flags & PD_HAS_FREE_LINES));
	EXPECT(item_matches(page, 5, 40, 100));
	EXPECT(item_matches(page, 12, 40, 101));

	/* Items out of offset-number order (B+tree inserts) keep their order. */
	PageInit(page, 0);
	add_tagged(page, 100, 1, InvalidOffsetNumber, false);
	add_tagged(page, 50, 2, 1, false);
	add_tagged(page, 70, 3, 2, false);
	add_tagged(page, 20, 4, 1, false);
	PageSetItemUnused(page, 3);
	EXPECT(PageRepairFragmentation(page));
	EXPECT(item_matches(page, 1, 20, 4));
	EXPECT(item_matches(page, 2, 50, 2));
	EXPECT(item_matches(page, 4, 100, 1));
	ck_assert_uint_eq(PageGetExactFreeSpace(page), EMPTY_GAP - 16 - 24 - 56 - 104);
}
END_TEST

START_TEST(test_overwrite)
{
	_Alignas(8) char page[BLCKSZ];
	_Alignas(8) char before[BLCKSZ];
	unsigned char buf[BLCKSZ];
	size_t		exact;
	size_t		gap;

	/* Six line pointers: pd_lower = 56, so the gap is a multiple of 8. */
	PageInit(page, 16);
	for (unsigned i = 1; i <= 6; i++)
		add_tagged(page, 40, i, InvalidOffsetNumber, false);

	/* Grow: 40 -> 100 bytes costs MAXALIGN(100) - 40 = 64. */
	exact = PageGetExactFreeSpace(page);
	make_item(buf, 100, 33);
	EXPECT(PageIndexTupleOverwrite(page, 3, buf, 100));
	ck_assert_uint_eq(exact - PageGetExactFreeSpace(page), 64);
	EXPECT(item_matches(page, 3, 100, 33));
	for (unsigned i = 1; i <= 5; i++)
		if (i != 3)
			EXPECT(item_matches(page, (OffsetNumber) i, 40, i));

	/* Shrink to one byte. */
	exact = PageGetExactFreeSpace(page);
	make_item(buf, 1, 34);
	EXPECT(PageIndexTupleOverwrite(page, 3, buf, 1));
	ck_assert_uint_eq(PageGetExactFreeSpace(page) - exact, 104 - 8);
	EXPECT(item_matches(page, 3, 1, 34));
	for (unsigned i = 1; i <= 5; i++)
		if (i != 3)
			EXPECT(item_matches(page, (OffsetNumber) i, 40, i));

	/* Same aligned size: nothing else moves. */
	make_item(buf, 37, 35);
	EXPECT(PageIndexTupleOverwrite(page, 1, buf, 37));
	EXPECT(PageIndexTupleOverwrite(page, 5, buf, 37));
	EXPECT(item_matches(page, 1, 37, 35));
	EXPECT(item_matches(page, 5, 37, 35));
	EXPECT(PageCheckItems(page));

	/* Growing by exactly the gap fits; one byte more does not. */
	gap = PageGetExactFreeSpace(page);
	ck_assert_uint_eq(gap % 8, 0);
	memcpy(before, page, BLCKSZ);
	make_item(buf, 40 + gap + 1, 36);
	EXPECT(!PageIndexTupleOverwrite(page, 2, buf, 40 + gap + 1));
	EXPECT(memcmp(before, page, BLCKSZ) == 0);
	make_item(buf, 40 + gap, 36);
	EXPECT(PageIndexTupleOverwrite(page, 2, buf, 40 + gap));
	ck_assert_uint_eq(PageGetExactFreeSpace(page), 0);
	ck_assert_uint_eq(HDR(page)->pd_lower, HDR(page)->pd_upper);
	EXPECT(item_matches(page, 2, 40 + gap, 36));
	EXPECT(item_matches(page, 4, 40, 4));
	EXPECT(PageCheckItems(page));

	/* Refusals: bad offsets, no storage, size 0. */
	memcpy(before, page, BLCKSZ);
	EXPECT(!PageIndexTupleOverwrite(page, 0, buf, 8));
	EXPECT(!PageIndexTupleOverwrite(page, 7, buf, 8));
	EXPECT(!PageIndexTupleOverwrite(page, 1, buf, 0));
	EXPECT(memcmp(before, page, BLCKSZ) == 0);
	PageSetItemUnused(page, 4);
	memcpy(before, page, BLCKSZ);
	EXPECT(!PageIndexTupleOverwrite(page, 4, buf, 8));
	EXPECT(memcmp(before, page, BLCKSZ) == 0);
}
END_TEST

START_TEST(test_checksum)
{
	_Alignas(8) char page[BLCKSZ];
	uint32_t	csum;

	PageInit(page, 16);
	for (unsigned i = 0; i < 50; i++)
		add_tagged(page, 17 + i, i, InvalidOffsetNumber, false);
	PageSetLSN(page, 0xDEADBEEF00ull);
	memset(PageGetSpecial(page), 0x77, 16);

	PageSetChecksum(page, 7);
	csum = HDR(page)->pd_checksum;
	EXPECT(PageVerifyChecksum(page, 7));
	EXPECT(!PageVerifyChecksum(page, 8));
	EXPECT(!PageVerifyChecksum(page, 6));
	EXPECT(!PageVerifyChecksum(page, 7 | 0x80000000u));
	EXPECT(!PageVerifyChecksum(page, InvalidBlockNumber));

	/* The stored value does not feed into the computation. */
	PageSetChecksum(page, 7);
	ck_assert_uint_eq(HDR(page)->pd_checksum, csum);
	ck_assert_uint_eq(PageComputeChecksum(page, 7), csum);

	/* Every single-bit flip, including in the checksum field, is caught. */
	for (size_t bit = 0; bit < (size_t) BLCKSZ * 8; bit++)
	{
		page[bit / 8] ^= (char) (1u << (bit % 8));
		EXPECT_MSG(!PageVerifyChecksum(page, 7), "flip of bit %zu not detected", bit);
		page[bit / 8] ^= (char) (1u << (bit % 8));
	}
	EXPECT(PageVerifyChecksum(page, 7));

	/* Same bytes at another block: a different, equally valid checksum. */
	PageSetChecksum(page, 8);
	ck_assert_uint_ne(HDR(page)->pd_checksum, csum);
	EXPECT(PageVerifyChecksum(page, 8));
	EXPECT(!PageVerifyChecksum(page, 7));

	/* An all-zero page is a valid new page at any block number. */
	memset(page, 0, BLCKSZ);
	EXPECT(PageVerifyChecksum(page, 0));
	EXPECT(PageVerifyChecksum(page, 12345));
	EXPECT(PageIsNew(page));
	/* ...but not once anything, even just the checksum field, is nonzero. */
	HDR(page)->pd_checksum = 1;
	ck_assert_uint_ne(PageComputeChecksum(page, 0), 1);
	EXPECT(!PageVerifyChecksum(page, 0));
	HDR(page)->pd_checksum = 0;
	page[BLCKSZ - 1] = 1;
	EXPECT(!PageVerifyChecksum(page, 0));
}
END_TEST

START_TEST(test_header_sanity)
{
	_Alignas(8) char good[BLCKSZ];
	_Alignas(8) char page[BLCKSZ];
	unsigned char buf[64];

	PageInit(good, 16);
	for (unsigned i = 0; i < 10; i++)
		add_tagged(good, 24, i, InvalidOffsetNumber, false);
	EXPECT(PageIsVerified(good));
	EXPECT(PageCheckItems(good));

#define EXPECT_BAD_HEADER(mutation) \
	do { \
		memcpy(page, good, BLCKSZ); \
		mutation; \
		EXPECT_MSG(!PageIsVerified(page), "accepted: %s", #mutation); \
		EXPECT_MSG(!PageCheckItems(page), "items accepted: %s", #mutation); \
		EXPECT_MSG(PageAddItem(page, buf, 8, InvalidOffsetNumber, false) == InvalidOffsetNumber, \
					  "added to: %s", #mutation); \
		EXPECT_MSG(!PageRepairFragmentation(page), "repaired: %s", #mutation); \
	} while (0)

	memset(buf, 1, sizeof(buf));
	EXPECT_BAD_HEADER(HDR(page)->pd_lower = 31);
	EXPECT_BAD_HEADER(HDR(page)->pd_lower = 0);
	EXPECT_BAD_HEADER(HDR(page)->pd_lower += 2);
	EXPECT_BAD_HEADER(HDR(page)->pd_lower = HDR(page)->pd_upper + 4);
	EXPECT_BAD_HEADER(HDR(page)->pd_upper = HDR(page)->pd_special + 8);
	EXPECT_BAD_HEADER(HDR(page)->pd_upper += 4);
	EXPECT_BAD_HEADER(HDR(page)->pd_special = BLCKSZ + 8);
	EXPECT_BAD_HEADER(HDR(page)->pd_special = BLCKSZ - 12);
	EXPECT_BAD_HEADER(HDR(page)->pd_flags |= 0x8000);
	EXPECT_BAD_HEADER(HDR(page)->pd_version = 2);
	EXPECT_BAD_HEADER(HDR(page)->pd_version = 0);
	EXPECT_BAD_HEADER(HDR(page)->pd_reserved = 1);
	EXPECT_BAD_HEADER(memset(page, 0xFF, SizeOfPageHeaderData));

	/* A "new" page (pd_upper 0) must be entirely zero. */
	memset(page, 0, BLCKSZ);
	EXPECT(PageIsVerified(page));
	page[4000] = 1;
	EXPECT(!PageIsVerified(page));

	/* Header fine, line pointers broken: PageCheckItems and repair notice. */
#define EXPECT_BAD_ITEMS(mutation) \
	do { \
		memcpy(page, good, BLCKSZ); \
		mutation; \
		EXPECT_MSG(PageIsVerified(page), "header check should pass: %s", #mutation); \
		EXPECT_MSG(!PageCheckItems(page), "accepted: %s", #mutation); \
	} while (0)

	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), BLCKSZ - 16, LP_NORMAL, 24));	/* into special */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 40, LP_NORMAL, 24));	/* below upper */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), ItemIdGetOffset(PageGetItemId(page, 3)) + 4, LP_NORMAL, 24));	/* unaligned */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), ItemIdGetOffset(PageGetItemId(page, 3)), LP_NORMAL, 24));	/* overlap */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), ItemIdGetOffset(PageGetItemId(page, 2)), LP_NORMAL, 32));	/* overlap */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 0, LP_NORMAL, 0));	/* normal, no storage */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 8, LP_UNUSED, 0);
					 HDR(page)->pd_flags |= PD_HAS_FREE_LINES);	/* unused with offset */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 0, LP_UNUSED, 0));	/* flag clear */
	memcpy(page, good, BLCKSZ);
	ItemIdSet(PageGetItemId(page, 2), 0, LP_UNUSED, 0);
	HDR(page)->pd_flags |= PD_HAS_FREE_LINES;
	EXPECT(PageCheckItems(page));
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 11, LP_REDIRECT, 0));	/* past max */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 2, LP_REDIRECT, 0));	/* to itself */
	EXPECT_BAD_ITEMS(ItemIdSet(PageGetItemId(page, 2), 5, LP_DEAD, 0));	/* dead, offset only */

	/* Repair refuses overlapping or out-of-range items and changes nothing. */
	memcpy(page, good, BLCKSZ);
	ItemIdSet(PageGetItemId(page, 2), ItemIdGetOffset(PageGetItemId(page, 3)), LP_NORMAL, 24);
	memcpy(good, page, BLCKSZ);
	EXPECT(!PageRepairFragmentation(page));
	EXPECT(memcmp(good, page, BLCKSZ) == 0);
	ItemIdSet(PageGetItemId(page, 2), BLCKSZ - 8, LP_NORMAL, 24);
	memcpy(good, page, BLCKSZ);
	EXPECT(!PageRepairFragmentation(page));
	EXPECT(!PageIndexTupleDelete(page, 2));
	EXPECT(!PageIndexTupleOverwrite(page, 2, buf, 8));
	EXPECT(memcmp(good, page, BLCKSZ) == 0);
}
END_TEST

/*
 * Reference model: what each line pointer should hold, plus the bytes that
 * PageSetItemUnused/Redirect orphaned and only repair reclaims. The page's
 * exact free space is then fully determined.
 */
typedef struct ModelItem
{
	unsigned	flags;
	size_t		len;			/* 0 = no storage */
	OffsetNumber redirect;
	unsigned	tag;
} ModelItem;

typedef struct Model
{
	int			nitems;
	ModelItem	items[MaxOffsetNumber + 1];	/* index 0 unused */
	size_t		garbage;
	size_t		special;
	bool		has_free_lines;
} Model;

static Model model;
static uint64_t model_seed;
static long model_step;

static size_t
model_exact_free(void)
{
	size_t		used = SizeOfPageHeaderData + model.special + model.garbage +
		(size_t) model.nitems * sizeof(ItemIdData);

	for (int i = 1; i <= model.nitems; i++)
		used += MAXALIGN(model.items[i].len);
	return BLCKSZ - used;
}

static void
model_compare(Page page)
{
	EXPECT_MSG(PageCheckItems(page), "page check failed at step %ld, seed %" PRIu64,
				  model_step, model_seed);
	EXPECT_MSG(PageGetMaxOffsetNumber(page) == model.nitems,
				  "max offset %u, model %d at step %ld, seed %" PRIu64,
				  PageGetMaxOffsetNumber(page), model.nitems, model_step, model_seed);
	EXPECT_MSG(PageGetExactFreeSpace(page) == model_exact_free(),
				  "free %zu, model %zu at step %ld, seed %" PRIu64,
				  PageGetExactFreeSpace(page), model_exact_free(), model_step, model_seed);
	EXPECT_MSG(((HDR(page)->pd_flags & PD_HAS_FREE_LINES) != 0) == model.has_free_lines,
				  "free lines flag at step %ld, seed %" PRIu64, model_step, model_seed);
	for (int i = 1; i <= model.nitems; i++)
	{
		ItemId		id = PageGetItemId(page, (OffsetNumber) i);
		const ModelItem *m = &model.items[i];

		EXPECT_MSG(ItemIdGetFlags(id) == m->flags && ItemIdGetLength(id) == m->len,
					  "item %d: flags %u len %u, model %u %zu at step %ld, seed %" PRIu64,
					  i, ItemIdGetFlags(id), ItemIdGetLength(id), m->flags, m->len,
					  model_step, model_seed);
		if (m->flags == LP_REDIRECT)
			EXPECT_MSG(ItemIdGetRedirect(id) == m->redirect, "item %d redirect at step %ld, seed %" PRIu64,
					   i, model_step, model_seed);
		if (m->len > 0)
			EXPECT_MSG(item_matches(page, (OffsetNumber) i, m->len, m->tag),
						  "item %d bytes at step %ld, seed %" PRIu64, i, model_step, model_seed);
	}
}

static size_t
random_size(void)
{
	unsigned	r = rng_below(100);

	if (r < 70)
		return 1 + rng_below(64);
	if (r < 95)
		return 1 + rng_below(400);
	return 1 + rng_below(3000);
}

static OffsetNumber
model_first_unused(void)
{
	for (int i = 1; i <= model.nitems; i++)
		if (model.items[i].flags == LP_UNUSED)
			return (OffsetNumber) i;
	return InvalidOffsetNumber;
}

/*
 * heap_mode: automatic adds, redirects and unused slots, repair; line
 * pointers never move. Otherwise B+tree style: positional inserts and
 * deletes that renumber. Both use dead items and overwrite.
 */
static void
run_random(Page page, bool heap_mode, long steps)
{
	unsigned	next_tag = 1;

	memset(&model, 0, sizeof(model));
	model.special = MAXALIGN(rng_below(3) * 12);
	PageInit(page, model.special);
	model_compare(page);

	for (model_step = 0; model_step < steps; model_step++)
	{
		unsigned	op = rng_below(100);
		OffsetNumber pick = model.nitems > 0 ?
			(OffsetNumber) (1 + rng_below((unsigned) model.nitems)) : InvalidOffsetNumber;
		size_t		exact = model_exact_free();

		if (op < 45)
		{
			/* Add. */
			size_t		size = random_size();
			unsigned	tag = next_tag++;
			OffsetNumber expect;
			OffsetNumber target;
			bool		overwrite;
			bool		need_lp;
			OffsetNumber got;

			if (heap_mode && rng_below(4) != 0)
			{
				target = InvalidOffsetNumber;
				overwrite = false;
				expect = model.has_free_lines ? model_first_unused() : InvalidOffsetNumber;
				need_lp = (expect == InvalidOffsetNumber);
				if (need_lp)
					expect = (OffsetNumber) (model.nitems + 1);
			}
			else if (heap_mode)
			{
				/* Redo-style: a chosen unused slot or one past the end. */
				target = (OffsetNumber) (1 + rng_below((unsigned) model.nitems + 2));
				overwrite = true;
				need_lp = (target == model.nitems + 1);
				expect = (target <= model.nitems + 1 &&
						  (need_lp || model.items[target].flags == LP_UNUSED)) ?
					target : InvalidOffsetNumber;
			}
			else
			{
				target = (OffsetNumber) (1 + rng_below((unsigned) model.nitems + 2));
				overwrite = false;
				need_lp = true;
				expect = target <= model.nitems + 1 ? target : InvalidOffsetNumber;
			}
			if (expect != InvalidOffsetNumber &&
				(MAXALIGN(size) + (need_lp ? sizeof(ItemIdData) : 0) > exact ||
				 (need_lp && model.nitems == MaxOffsetNumber)))
				expect = InvalidOffsetNumber;
			if (need_lp && expect != InvalidOffsetNumber)
				EXPECT_MSG(size <= PageGetFreeSpace(page),
							  "fits but PageGetFreeSpace said no at step %ld, seed %" PRIu64,
							  model_step, model_seed);
			if (need_lp && target == InvalidOffsetNumber && size <= PageGetFreeSpace(page))
				EXPECT_MSG(expect != InvalidOffsetNumber,
							  "PageGetFreeSpace promised room at step %ld, seed %" PRIu64,
							  model_step, model_seed);

			got = add_tagged(page, size, tag, target, overwrite);
			EXPECT_MSG(got == expect, "add %zu at %u: got %u, want %u, step %ld, seed %" PRIu64,
						  size, target, got, expect, model_step, model_seed);
			if (got != InvalidOffsetNumber)
			{
				if (need_lp)
				{
					memmove(&model.items[got + 1], &model.items[got],
							(size_t) (model.nitems - got + 1) * sizeof(ModelItem));
					model.nitems++;
				}
				model.items[got] = (ModelItem) {LP_NORMAL, size, 0, tag};
			}
		}
		else if (op < 55 && pick != InvalidOffsetNumber)
		{
			/* Dead: keeps storage if it had any. */
			ModelItem  *m = &model.items[pick];

			PageSetItemDead(page, pick);
			m->flags = LP_DEAD;
			m->redirect = 0;
		}
		else if (op < 65 && pick != InvalidOffsetNumber && heap_mode)
		{
			ModelItem  *m = &model.items[pick];

			PageSetItemUnused(page, pick);
			model.garbage += MAXALIGN(m->len);
			*m = (ModelItem) {LP_UNUSED, 0, 0, 0};
			model.has_free_lines = true;
		}
		else if (op < 65 && pick != InvalidOffsetNumber)
		{
			EXPECT(PageIndexTupleDelete(page, pick));
			memmove(&model.items[pick], &model.items[pick + 1],
					(size_t) (model.nitems - pick) * sizeof(ModelItem));
			model.nitems--;
		}
		else if (op < 72 && heap_mode && model.nitems >= 2)
		{
			OffsetNumber target = (OffsetNumber) (1 + rng_below((unsigned) model.nitems));
			ModelItem  *m = &model.items[pick];

			if (target == pick)
				continue;
			PageSetItemRedirect(page, pick, target);
			model.garbage += MAXALIGN(m->len);
			*m = (ModelItem) {LP_REDIRECT, 0, target, 0};
		}
		else if (op < 85 && pick != InvalidOffsetNumber)
		{
			/* Overwrite. */
			ModelItem  *m = &model.items[pick];
			size_t		size = random_size();
			unsigned	tag = next_tag++;
			unsigned char buf[BLCKSZ];
			bool		expect = m->len > 0 &&
				MAXALIGN(size) <= exact + MAXALIGN(m->len);

			make_item(buf, size, tag);
			EXPECT_MSG(PageIndexTupleOverwrite(page, pick, buf, size) == expect,
						  "overwrite %u with %zu at step %ld, seed %" PRIu64,
						  pick, size, model_step, model_seed);
			if (expect)
			{
				m->len = size;
				m->tag = tag;
			}
		}
		else if (op < 92)
		{
			bool		any_unused = false;

			EXPECT(PageRepairFragmentation(page));
			model.garbage = 0;
			for (int i = 1; i <= model.nitems; i++)
			{
				if (model.items[i].flags == LP_DEAD)
					model.items[i].len = 0;
				if (model.items[i].flags == LP_UNUSED)
					any_unused = true;
			}
			model.has_free_lines = any_unused;
		}
		else
		{
			/* Checksums round-trip at any state. */
			BlockNumber blkno = (BlockNumber) rng_next();

			PageSetChecksum(page, blkno);
			EXPECT(PageVerifyChecksum(page, blkno));
			EXPECT(!PageVerifyChecksum(page, blkno ^ 1));
		}
		model_compare(page);
	}
}

START_TEST(test_random_heap_model)
{
	_Alignas(8) char page[BLCKSZ];

	model_seed = seed_rng("test_random_heap_model");
	for (int round = 0; round < 30; round++)
		run_random(page, true, 2000);
}
END_TEST

START_TEST(test_random_index_model)
{
	_Alignas(8) char page[BLCKSZ];

	model_seed = seed_rng("test_random_index_model");
	for (int round = 0; round < 30; round++)
		run_random(page, false, 2000);
}
END_TEST

static Suite *
bufpage_suite(void)
{
	Suite	   *s = suite_create("bufpage");
	TCase	   *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_header_layout);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_fill_exact);
	tcase_add_test(tc, test_add_positions);
	tcase_add_test(tc, test_index_delete);
	tcase_add_test(tc, test_repair_fragmentation);
	tcase_add_test(tc, test_overwrite);
	tcase_add_test(tc, test_checksum);
	tcase_add_test(tc, test_header_sanity);
	tcase_add_test(tc, test_random_heap_model);
	tcase_add_test(tc, test_random_index_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(bufpage_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
