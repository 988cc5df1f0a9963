/*
 * check_walrecord.c
 *	  Unit tests for wal/walrecord.c: record round trips, full-page images
 *	  and their holes, CRC and truncation detection, positions and file
 *	  names, and the reader across page and segment boundaries.
 *
 * NOTES
 *	  Runs in Check's fork mode. The WAL the reader sees is an in-memory
 *	  array of segments written by tw_append, a minimal stand-in for the
 *	  insert path that follows the layout rules of wal/README.md. Random
 *	  tests print their seed; set TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/crc32c.h"
#include "wal/walrecord.h"

static uint64_t test_seed;

/* xorshift64*: small, fast and reproducible across libcs. */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static uint32_t
rng_range(uint64_t *state, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t) (rng_next(state) % ((uint64_t) hi - lo + 1));
}

static void
fill_random(uint64_t *state, char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char) (rng_next(state) >> 56);
}

/* Random bytes everywhere except a zero hole at [hole_off, hole_off+hole_len). */
static void
make_page(uint64_t *state, char *page, size_t hole_off, size_t hole_len)
{
	fill_random(state, page, BLCKSZ);
	/* no accidental zero words, so the expected hole is the only one */
	for (size_t i = 0; i < BLCKSZ; i += 8)
		page[i] |= 1;
	memset(page + hole_off, 0, hole_len);
}

/* ------------------------------------------------------ in-memory WAL */

#define TW_MAX_SEGS 6

typedef struct TestWal
{
	char	   *seg[TW_MAX_SEGS];
	XLogRecPtr	insert;			/* where the next record goes */
	XLogRecPtr	last;			/* start of the last record: the next prev */
	uint64_t	sysid;
	XLogRecPtr	limit;			/* reads at or past this return nothing; 0 = none */
} TestWal;

static void
tw_init(TestWal *w, XLogRecPtr insert)
{
	memset(w, 0, sizeof(*w));
	w->insert = insert;
	w->sysid = UINT64_C(0x1234567890ABCDEF);
}

static void
tw_free(TestWal *w)
{
	for (int i = 0; i < TW_MAX_SEGS; i++)
		free(w->seg[i]);
}

static char *
tw_at(TestWal *w, XLogRecPtr pos)
{
	uint64_t	segno = WAL_SEGMENT_NUMBER(pos);

	ck_assert_uint_lt(segno, TW_MAX_SEGS);
	if (w->seg[segno] == NULL)
	{
		w->seg[segno] = calloc(1, WAL_SEGMENT_SIZE);
		ck_assert_ptr_nonnull(w->seg[segno]);
	}
	return w->seg[segno] + WAL_SEGMENT_OFFSET(pos);
}

/* As WAL buffers are: a page is zeroed, then gets its header. */
static size_t
tw_page_init(TestWal *w, XLogRecPtr page_addr, uint32_t rem_len)
{
	WalPageHeader hdr;
	char	   *page = tw_at(w, page_addr);

	memset(page, 0, WAL_PAGE_SIZE);
	WalPageHeaderMake(&hdr, page_addr, rem_len, w->sysid);
	return WalPageHeaderEncode(page, &hdr);
}

static XLogRecPtr
tw_append(TestWal *w, const char *rec, uint32_t len)
{
	XLogRecPtr	pos = w->insert;
	XLogRecPtr	start;
	uint32_t	done = 0;

	if (WAL_PAGE_OFFSET(pos) == 0)
		pos += tw_page_init(w, pos, 0);
	start = pos;
	while (done < len)
	{
		uint32_t	n;

		if (WAL_PAGE_OFFSET(pos) == 0)
			pos += tw_page_init(w, pos, len - done);
		n = WAL_PAGE_SIZE - WAL_PAGE_OFFSET(pos);
		if (n > len - done)
			n = len - done;
		memcpy(tw_at(w, pos), rec + done, n);
		pos += n;
		done += n;
	}
	w->insert = MAXALIGN(pos);
	w->last = start;
	return start;
}

static ssize_t
tw_read(void *arg, XLogRecPtr pos, char *buf, size_t len)
{
	TestWal    *w = arg;
	uint64_t	segno = WAL_SEGMENT_NUMBER(pos);

	if (segno >= TW_MAX_SEGS || w->seg[segno] == NULL)
		return 0;
	if (w->limit != 0 && pos >= w->limit)
		return 0;
	memcpy(buf, w->seg[segno] + WAL_SEGMENT_OFFSET(pos), len);
	return (ssize_t) len;
}

/* Bytes left on the insert page for a record that starts there. */
static uint32_t
tw_room_on_page(const TestWal *w)
{
	XLogRecPtr	pos = w->insert;

	if (WAL_PAGE_OFFSET(pos) == 0)
		pos += WAL_PAGE_HEADER_SIZE_AT(pos);
	return WAL_PAGE_SIZE - WAL_PAGE_OFFSET(pos);
}

/* ---------------------------------------------------- record generation */

typedef struct GenRecord
{
	char	   *bytes;
	uint32_t	len;
	XLogRecPtr	start;
} GenRecord;

static char gen_pages[3][BLCKSZ];
static char gen_data[64 * 1024];

/*
 * A random record: some blocks with images and data, some main data. When
 * exact_len is nonzero the record is plain main data of exactly that size.
 */
static uint32_t
gen_record(uint64_t *rng, WalRecordBuilder *b, uint64_t xid, XLogRecPtr prev,
		   uint32_t exact_len, char *out, size_t cap)
{
	uint32_t	len = 0;
	char		errbuf[WAL_ERRBUF_SIZE];
	uint32_t	kind = rng_range(rng, 0, 9);
	uint32_t	main_len;

	WalRecordBegin(b, (uint8_t) rng_range(rng, 0, WAL_RM_MAX_ID),
				   (uint8_t) rng_range(rng, 0, 255), xid);
	if (exact_len != 0)
		main_len = exact_len - WAL_RECORD_HEADER_SIZE;
	else
	{
		int			nblocks = kind < 5 ? 0 : (int) rng_range(rng, 1, 3);

		for (int i = 0; i < nblocks; i++)
		{
			bool		image = rng_range(rng, 0, 2) == 0;
			uint32_t	dlen = rng_range(rng, 0, 300);

			if (image)
			{
				size_t		hole_len = rng_range(rng, 0, BLCKSZ / 8) * 8;
				size_t		hole_off = rng_range(rng, 0, (uint32_t) ((BLCKSZ - hole_len) / 8)) * 8;

				make_page(rng, gen_pages[i], hole_off, hole_len);
			}
			ck_assert(WalRecordRegisterBlock(b, (uint8_t) (i * 3), rng_range(rng, 1, 3), 0,
											 rng_range(rng, 0, 1000), 0,
											 image ? gen_pages[i] : NULL));
			ck_assert(WalRecordRegisterBlockData(b, (uint8_t) (i * 3), gen_data + i, dlen));
		}
		main_len = kind == 9 ? rng_range(rng, 8000, 40000) : rng_range(rng, 0, 2000);
	}
	ck_assert(WalRecordRegisterData(b, gen_data + 7, main_len));
	ck_assert_msg(WalRecordAssembleFlat(b, prev, out, cap, &len, errbuf), "%s", errbuf);
	if (exact_len != 0)
		ck_assert_uint_eq(len, exact_len);
	return len;
}

/* Write n random records (exact page fills now and then); returns them. */
static GenRecord *
write_random(TestWal *w, uint64_t *rng, int n, uint64_t first_xid)
{
	GenRecord  *recs = calloc((size_t) n, sizeof(GenRecord));
	WalRecordBuilder *b = malloc(sizeof(WalRecordBuilder));
	char	   *buf = malloc(WAL_MAX_RECORD_SIZE / 16);

	ck_assert_ptr_nonnull(recs);
	ck_assert_ptr_nonnull(buf);
	for (int i = 0; i < n; i++)
	{
		uint32_t	exact = 0;
		uint64_t	bytepos;

		if (rng_range(rng, 0, 9) == 0 && tw_room_on_page(w) >= WAL_RECORD_HEADER_SIZE)
			exact = tw_room_on_page(w);
		recs[i].len = gen_record(rng, b, first_xid + (uint64_t) i, w->last, exact, buf,
								 WAL_MAX_RECORD_SIZE / 16);
		recs[i].bytes = malloc(recs[i].len);
		memcpy(recs[i].bytes, buf, recs[i].len);

		/* The position helpers must agree with the page-by-page layout. */
		bytepos = WalRecPtrToBytePos(w->insert);
		recs[i].start = tw_append(w, buf, recs[i].len);
		ck_assert_uint_eq(recs[i].start, WalBytePosToRecPtr(bytepos));
		ck_assert_uint_eq(WalRecPtrToBytePos(w->insert), MAXALIGN(bytepos + recs[i].len));
	}
	free(buf);
	free(b);
	return recs;
}

static void
free_records(GenRecord *recs, int n)
{
	for (int i = 0; i < n; i++)
		free(recs[i].bytes);
	free(recs);
}

/*
 * Read from start until END, checking records against recs[first .. n);
 * records past n are counted only. Returns the count, the reason is in r.
 */
static int
read_and_match(WalReader *r, XLogRecPtr start, GenRecord *recs, int first, int n)
{
	DecodedWalRecord *rec;
	int			i = first;

	while (WalReaderNext(r, i == first ? start : InvalidXLogRecPtr, &rec) == WAL_READ_OK)
	{
		if (i >= n)
		{
			i++;
			continue;
		}
		ck_assert_uint_eq(r->read_rec_ptr, recs[i].start);
		ck_assert_uint_eq(rec->total_len, recs[i].len);
		ck_assert_msg(memcmp(rec->raw, recs[i].bytes, recs[i].len) == 0,
					  "record %d differs", i);
		i++;
	}
	return i - first;
}

/* ------------------------------------------------------------ the tests */

START_TEST(test_roundtrip_blocks)
{
	uint64_t	rng = test_seed ^ 1;
	WalRecordBuilder b;
	DecodedWalRecord d;
	static char pages[WAL_MAX_BLOCKS][BLCKSZ];
	static char out[WAL_MAX_BLOCKS * (BLCKSZ + 200) + 4096];
	static char flat2[sizeof(out)];
	char		restored[BLCKSZ];
	char		errbuf[WAL_ERRBUF_SIZE];
	char		main_data[1000];

	fill_random(&rng, main_data, sizeof(main_data));
	for (int nblocks = 0; nblocks <= WAL_MAX_BLOCKS; nblocks++)
	{
		for (int variant = 0; variant < 4; variant++)
		{
			bool		images = variant & 1;
			bool		data = variant & 2;
			uint32_t	len,
						len2,
						main_len = (uint32_t) (nblocks * 31 % 1000);
			const struct iovec *iov;
			int			niov;
			size_t		off = 0;

			WalRecordBegin(&b, WAL_RM_HEAP, 0x13, 1000 + (uint64_t) nblocks);
			for (int i = 0; i < nblocks; i++)
			{
				/* ids sparse and registered out of order; rels repeat */
				uint8_t		id = (uint8_t) ((i * 7) % WAL_MAX_BLOCKS);
				uint8_t		flags = (i % 3 == 0) ? WAL_BKP_WILL_INIT : 0;

				if (images)
					make_page(&rng, pages[id], (size_t) (i * 64) % 4096, (size_t) (i * 200) % 4000);
				ck_assert(WalRecordRegisterBlock(&b, id, 100 + (uint32_t) (i / 4),
												 (uint8_t) (i % 2), (BlockNumber) (5000 + i),
												 flags, images ? pages[id] : NULL));
				if (data)
				{
					ck_assert(WalRecordRegisterBlockData(&b, id, main_data + i, (uint32_t) i + 1));
					if (i < 2)	/* a second chunk for the same block */
						ck_assert(WalRecordRegisterBlockData(&b, id, main_data, 5));
				}
			}
			ck_assert(WalRecordRegisterData(&b, main_data, main_len / 2));
			ck_assert(WalRecordRegisterData(&b, main_data + main_len / 2, main_len - main_len / 2));
			ck_assert_msg(WalRecordAssembleFlat(&b, 0xABCDEF0, out, sizeof(out), &len, errbuf),
						  "%s", errbuf);

			/* The iovec form carries the same bytes. */
			ck_assert(WalRecordAssemble(&b, 0xABCDEF0, &iov, &niov, &len2, errbuf));
			ck_assert_uint_eq(len, len2);
			for (int i = 0; i < niov; i++)
			{
				memcpy(flat2 + off, iov[i].iov_base, iov[i].iov_len);
				off += iov[i].iov_len;
			}
			ck_assert_uint_eq(off, len);
			ck_assert(memcmp(out, flat2, len) == 0);

			ck_assert_int_eq(WalRecordDecode(out, len, &d, errbuf), WAL_DECODE_OK);
			ck_assert_uint_eq(d.total_len, len);
			ck_assert_uint_eq(d.xid, 1000 + (uint64_t) nblocks);
			ck_assert_uint_eq(d.prev, 0xABCDEF0);
			ck_assert_uint_eq(d.rmid, WAL_RM_HEAP);
			ck_assert_uint_eq(d.info, 0x13);
			ck_assert_int_eq(d.nblocks, nblocks);
			ck_assert_uint_eq(d.main_len, main_len);
			if (main_len > 0)
				ck_assert(memcmp(d.main_data, main_data, main_len) == 0);
			else
				ck_assert_ptr_null(d.main_data);

			for (int i = 0; i < nblocks; i++)
			{
				uint8_t		id = (uint8_t) ((i * 7) % WAL_MAX_BLOCKS);
				const DecodedWalBlock *blk = WalRecordGetBlock(&d, id);
				int			index = (int) (blk - d.blocks);

				ck_assert_ptr_nonnull(blk);
				ck_assert_uint_eq(blk->rel, 100 + (uint32_t) (i / 4));
				ck_assert_uint_eq(blk->fork, (uint8_t) (i % 2));
				ck_assert_uint_eq(blk->blkno, (BlockNumber) (5000 + i));
				ck_assert_uint_eq(!!(blk->flags & WAL_BKP_WILL_INIT), i % 3 == 0);
				ck_assert_uint_eq(blk->has_image, images);
				if (images)
				{
					ck_assert(WalRestoreBlockImage(&d, index, restored));
					ck_assert(memcmp(restored, pages[id], BLCKSZ) == 0);
				}
				else
					ck_assert(!WalRestoreBlockImage(&d, index, restored));
				if (data)
				{
					uint32_t	dlen = (uint32_t) i + 1 + (i < 2 ? 5 : 0);

					ck_assert_uint_eq(blk->data_len, dlen);
					ck_assert(memcmp(blk->data, main_data + i, (size_t) i + 1) == 0);
					if (i < 2)
						ck_assert(memcmp(blk->data + i + 1, main_data, 5) == 0);
				}
				else
				{
					ck_assert_uint_eq(blk->data_len, 0);
					ck_assert_ptr_null(blk->data);
				}
			}
			/* blocks come back in ascending id order */
			for (int i = 1; i < d.nblocks; i++)
				ck_assert_uint_lt(d.blocks[i - 1].block_id, d.blocks[i].block_id);
		}
	}
}
END_TEST

START_TEST(test_same_rel_compaction)
{
	WalRecordBuilder b;
	DecodedWalRecord d;
	char		out[512];
	uint32_t	len_same,
				len_diff;

	WalRecordBegin(&b, WAL_RM_BTREE, 0, 1);
	WalRecordRegisterBlock(&b, 0, 7, 0, 1, 0, NULL);
	WalRecordRegisterBlock(&b, 1, 7, 0, 2, 0, NULL);
	ck_assert(WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len_same, NULL));
	ck_assert_int_eq(WalRecordDecode(out, len_same, &d, NULL), WAL_DECODE_OK);
	ck_assert(d.blocks[1].flags & WAL_BKP_SAME_REL);
	ck_assert_uint_eq(d.blocks[1].rel, 7);

	WalRecordBegin(&b, WAL_RM_BTREE, 0, 1);
	WalRecordRegisterBlock(&b, 0, 7, 0, 1, 0, NULL);
	WalRecordRegisterBlock(&b, 1, 7, 1, 2, 0, NULL);
	ck_assert(WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len_diff, NULL));
	ck_assert_int_eq(WalRecordDecode(out, len_diff, &d, NULL), WAL_DECODE_OK);
	ck_assert(!(d.blocks[1].flags & WAL_BKP_SAME_REL));
	ck_assert_uint_eq(d.blocks[1].fork, 1);
	ck_assert_uint_eq(len_diff, len_same + 5);
	ck_assert_uint_eq(len_same, WAL_RECORD_HEADER_SIZE + 8 + 5 + 8);
}
END_TEST

START_TEST(test_hole_restore)
{
	uint64_t	rng = test_seed ^ 2;
	static char page[BLCKSZ],
				out[2 * BLCKSZ],
				restored[BLCKSZ];
	/* {hole_off, hole_len}: none, middle, at start, at end, whole page */
	static const size_t cases[][2] = {
		{0, 0}, {200, 6000}, {0, 1024}, {BLCKSZ - 512, 512}, {0, BLCKSZ}, {8, BLCKSZ - 16},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		WalRecordBuilder b;
		DecodedWalRecord d;
		uint32_t	len;

		make_page(&rng, page, cases[c][0], cases[c][1]);
		WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
		WalRecordRegisterBlock(&b, 3, 1, 0, 9, 0, page);
		ck_assert(WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, NULL));
		ck_assert_int_eq(WalRecordDecode(out, len, &d, NULL), WAL_DECODE_OK);
		ck_assert_uint_eq(d.blocks[0].hole_offset, cases[c][1] ? cases[c][0] : 0);
		ck_assert_uint_eq(d.blocks[0].hole_length, cases[c][1]);
		ck_assert_uint_eq(len, WAL_RECORD_HEADER_SIZE + 17 + BLCKSZ - cases[c][1]);
		memset(restored, 0x5A, sizeof(restored));
		ck_assert(WalRestoreBlockImage(&d, 0, restored));
		ck_assert_msg(memcmp(restored, page, BLCKSZ) == 0, "case %zu differs", c);
	}
	/* Of two zero runs, the longer one is the hole; the other is stored. */
	make_page(&rng, page, 100 * 8, 64);
	memset(page + 4000, 0, 800);
	{
		WalRecordBuilder b;
		DecodedWalRecord d;
		uint32_t	len;

		WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
		WalRecordRegisterBlock(&b, 0, 1, 0, 9, 0, page);
		ck_assert(WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, NULL));
		ck_assert_int_eq(WalRecordDecode(out, len, &d, NULL), WAL_DECODE_OK);
		ck_assert_uint_eq(d.blocks[0].hole_offset, 4000);
		ck_assert_uint_eq(d.blocks[0].hole_length, 800);
		ck_assert(WalRestoreBlockImage(&d, 0, restored));
		ck_assert(memcmp(restored, page, BLCKSZ) == 0);
		ck_assert(!WalRestoreBlockImage(&d, 1, restored));
		ck_assert(!WalRestoreBlockImage(&d, -1, restored));
	}
}
END_TEST

/* A small record with every part present: 2 blocks, data, main data. */
static uint32_t
small_record(char *out, size_t cap)
{
	WalRecordBuilder b;
	uint32_t	len;

	WalRecordBegin(&b, WAL_RM_HEAP, 0x21, 77);
	WalRecordRegisterBlock(&b, 0, 5, 0, 10, 0, NULL);
	WalRecordRegisterBlockData(&b, 0, "abcdef", 6);
	WalRecordRegisterBlock(&b, 1, 5, 0, 11, WAL_BKP_WILL_INIT, NULL);
	WalRecordRegisterData(&b, "main data!", 10);
	ck_assert(WalRecordAssembleFlat(&b, 0x1000028, out, cap, &len, NULL));
	return len;
}

START_TEST(test_crc_every_bit)
{
	char		rec[256];
	char		errbuf[WAL_ERRBUF_SIZE];
	uint32_t	len = small_record(rec, sizeof(rec));
	DecodedWalRecord d;

	ck_assert_int_eq(WalRecordDecode(rec, len, &d, errbuf), WAL_DECODE_OK);
	for (uint32_t bit = 0; bit < len * 8; bit++)
	{
		WalDecodeStatus st;

		rec[bit / 8] ^= (char) (1 << (bit % 8));
		st = WalRecordDecode(rec, len, &d, errbuf);
		rec[bit / 8] ^= (char) (1 << (bit % 8));
		ck_assert_msg(st != WAL_DECODE_OK, "flipping bit %u went unnoticed", bit);
		/* outside the length word, only the CRC can notice */
		if (bit >= 32)
			ck_assert_msg(st == WAL_DECODE_BAD_CRC, "bit %u: status %d (%s)", bit, st, errbuf);
	}
	ck_assert_int_eq(WalRecordDecode(rec, len, &d, errbuf), WAL_DECODE_OK);
}
END_TEST

START_TEST(test_truncation_is_torn)
{
	uint64_t	rng = test_seed ^ 3;
	static char page[BLCKSZ];
	static char rec[2 * BLCKSZ];
	char	   *copy;
	WalRecordBuilder b;
	DecodedWalRecord d;
	uint32_t	len;

	make_page(&rng, page, 1000, 3000);
	WalRecordBegin(&b, WAL_RM_BTREE, 1, 5);
	WalRecordRegisterBlock(&b, 0, 1, 0, 1, 0, page);
	WalRecordRegisterBlockData(&b, 0, "xyz", 3);
	WalRecordRegisterData(&b, page, 100);
	ck_assert(WalRecordAssembleFlat(&b, 0, rec, sizeof(rec), &len, NULL));

	/* An exact-size heap copy per length: reading past it would be caught by tools. */
	for (uint32_t n = 0; n < len; n++)
	{
		copy = malloc(n ? n : 1);
		memcpy(copy, rec, n);
		ck_assert_msg(WalRecordDecode(copy, n, &d, NULL) == WAL_DECODE_TORN, "length %u", n);
		free(copy);
	}
	ck_assert_int_eq(WalRecordDecode(rec, len, &d, NULL), WAL_DECODE_OK);
	/* Extra bytes after the record are not part of it. */
	ck_assert_int_eq(WalRecordDecode(rec, sizeof(rec), &d, NULL), WAL_DECODE_OK);
	ck_assert_uint_eq(d.total_len, len);
}
END_TEST

/* Rewrite a record's CRC after editing it, to reach the content checks. */
static WalDecodeStatus
decode_edited(char *rec, uint32_t len, char *errbuf)
{
	DecodedWalRecord d;
	uint32_t	crc = WalRecordComputeCrc(rec, len);

	memcpy(rec + 4, &crc, 4);
	return WalRecordDecode(rec, len, &d, errbuf);
}

START_TEST(test_invalid_contents)
{
	char		good[256],
				rec[256];
	char		errbuf[WAL_ERRBUF_SIZE];
	uint32_t	len = small_record(good, sizeof(good));
	uint16_t	u16;
	uint32_t	u32;

	/* Layout of small_record: header 32, block 0 at 32 (8+5 bytes), block 1 at 45 (8, SAME_REL). */
	memcpy(rec, good, len);
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_OK);

	memcpy(rec, good, len);
	rec[24] = (char) (WAL_RM_MAX_ID + 1);	/* rmid */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	u16 = WAL_MAX_BLOCKS + 1;
	memcpy(rec + 26, &u16, 2);	/* nblocks */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	u16 = 3;
	memcpy(rec + 26, &u16, 2);	/* more blocks than there are headers */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	rec[45] = 0;				/* block 1 gets id 0: not ascending */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	rec[32 + 1] |= 0x40;		/* unknown flag */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	rec[32 + 1] |= WAL_BKP_SAME_REL;	/* SAME_REL on the first block */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	rec[32 + 1] &= (char) ~WAL_BKP_HAS_DATA;	/* data length without HAS_DATA */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	rec[45 + 1] |= WAL_BKP_HAS_IMAGE;	/* image that is not there */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	u16 = 60000;
	memcpy(rec + 32 + 2, &u16, 2);	/* block data past the end */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	u32 = 11;
	memcpy(rec + 28, &u32, 4);	/* main length disagrees */
	ck_assert_int_eq(decode_edited(rec, len, errbuf), WAL_DECODE_INVALID);

	memcpy(rec, good, len);
	u32 = 31;
	memcpy(rec, &u32, 4);		/* shorter than a header */
	ck_assert_int_eq(WalRecordDecode(rec, len, &(DecodedWalRecord) {0}, errbuf),
					 WAL_DECODE_INVALID);
	u32 = 0;
	memcpy(rec, &u32, 4);
	ck_assert_int_eq(WalRecordDecode(rec, len, &(DecodedWalRecord) {0}, errbuf),
					 WAL_DECODE_ZERO);
}
END_TEST

START_TEST(test_builder_errors)
{
	WalRecordBuilder b;
	char		out[256];
	char		errbuf[WAL_ERRBUF_SIZE];
	uint32_t	len;
	static char big[WAL_MAX_BLOCK_DATA + 1];

	WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
	ck_assert(!WalRecordRegisterBlock(&b, WAL_MAX_BLOCKS, 1, 0, 0, 0, NULL));
	ck_assert(!WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, "out of range"));

	WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
	ck_assert(WalRecordRegisterBlock(&b, 1, 1, 0, 0, 0, NULL));
	ck_assert(!WalRecordRegisterBlock(&b, 1, 1, 0, 0, 0, NULL));
	ck_assert(!WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, "twice"));

	WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
	ck_assert(!WalRecordRegisterBlockData(&b, 2, "x", 1));
	ck_assert(!WalRecordRegisterBlock(&b, 0, 1, 0, 0, WAL_BKP_HAS_IMAGE, NULL));
	ck_assert(!WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, "unregistered"));	/* the first error wins */

	WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
	ck_assert(WalRecordRegisterBlock(&b, 0, 1, 0, 0, 0, NULL));
	ck_assert(WalRecordRegisterBlockData(&b, 0, big, WAL_MAX_BLOCK_DATA));
	ck_assert(!WalRecordRegisterBlockData(&b, 0, big, 1));

	WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
	for (int i = 0; i < WAL_MAX_DATA_CHUNKS; i++)
		ck_assert(WalRecordRegisterData(&b, "a", 1));
	ck_assert(!WalRecordRegisterData(&b, "a", 1));

	WalRecordBegin(&b, WAL_RM_MAX_ID + 1, 0, 1);
	ck_assert(!WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, errbuf));

	WalRecordBegin(&b, WAL_RM_HEAP, 0, 1);
	WalRecordRegisterData(&b, big, 300);
	ck_assert(!WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, errbuf));
	ck_assert_ptr_nonnull(strstr(errbuf, "does not fit"));

	/* Begin clears a previous error. */
	WalRecordBegin(&b, WAL_RM_XLOG, 0, 1);
	ck_assert(WalRecordAssembleFlat(&b, 0, out, sizeof(out), &len, errbuf));
	ck_assert_uint_eq(len, WAL_RECORD_HEADER_SIZE);
}
END_TEST

START_TEST(test_set_prev)
{
	WalRecordBuilder b;
	const struct iovec *iov;
	int			niov;
	uint32_t	len;
	char		out[256];
	DecodedWalRecord d;
	size_t		off = 0;

	WalRecordBegin(&b, WAL_RM_XACT, 1, 42);
	WalRecordRegisterData(&b, "commit", 6);
	ck_assert(WalRecordAssemble(&b, InvalidXLogRecPtr, &iov, &niov, &len, NULL));
	WalRecordSetPrev(&b, 0x2000040);
	for (int i = 0; i < niov; i++)
	{
		memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	ck_assert_int_eq(WalRecordDecode(out, len, &d, NULL), WAL_DECODE_OK);
	ck_assert_uint_eq(d.prev, 0x2000040);
}
END_TEST

START_TEST(test_file_names)
{
	char		name[WAL_FILE_NAME_LEN + 1];
	uint64_t	segno;
	static const struct
	{
		XLogRecPtr	ptr;
		const char *name;
	}			cases[] = {
		{0, "000000010000000000000000"},
		{WAL_SEGMENT_SIZE + 5, "000000010000000000000001"},
		{UINT64_C(0xFF) * WAL_SEGMENT_SIZE, "0000000100000000000000FF"},
		{UINT64_C(0x100000000), "000000010000000100000000"},
		{UINT64_C(0xABCD12345678), "000000010000ABCD00000012"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		WalFileName(name, WAL_SEGMENT_NUMBER(cases[i].ptr));
		ck_assert_str_eq(name, cases[i].name);
		ck_assert(WalFileNameParse(name, &segno));
		ck_assert_uint_eq(segno, WAL_SEGMENT_NUMBER(cases[i].ptr));
	}
	ck_assert(!WalFileNameParse("00000001000000000000000", &segno));
	ck_assert(!WalFileNameParse("000000010000000000000000.tmp", &segno));
	ck_assert(!WalFileNameParse("00000001000000000000010x", &segno));
	ck_assert(!WalFileNameParse("000000010000000000000100", &segno));	/* seg >= 256 */
	ck_assert(!WalFileNameParse("000000020000000000000001", &segno));	/* timeline */
	ck_assert(!WalFileNameParse("0000000100000000000000ff", &segno));	/* lower case */
}
END_TEST

START_TEST(test_byte_positions)
{
	uint64_t	rng = test_seed ^ 4;
	uint64_t	per_seg = WAL_SEGMENT_SIZE - WAL_LONG_PAGE_HEADER_SIZE -
		(uint64_t) (WAL_PAGES_PER_SEGMENT - 1) * WAL_SHORT_PAGE_HEADER_SIZE;
	uint64_t	first = WAL_PAGE_SIZE - WAL_LONG_PAGE_HEADER_SIZE;
	uint64_t	other = WAL_PAGE_SIZE - WAL_SHORT_PAGE_HEADER_SIZE;

	ck_assert_uint_eq(WalBytePosToRecPtr(0), WAL_LONG_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalBytePosToEndRecPtr(0), WAL_LONG_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalBytePosToRecPtr(first), WAL_PAGE_SIZE + WAL_SHORT_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalBytePosToEndRecPtr(first), WAL_PAGE_SIZE);
	ck_assert_uint_eq(WalBytePosToRecPtr(first + other), 2 * WAL_PAGE_SIZE + WAL_SHORT_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalBytePosToRecPtr(per_seg), WAL_SEGMENT_SIZE + WAL_LONG_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalBytePosToEndRecPtr(per_seg), WAL_SEGMENT_SIZE);
	ck_assert_uint_eq(WalRecPtrToBytePos(WAL_SEGMENT_SIZE), per_seg);
	ck_assert_uint_eq(WalRecPtrToBytePos(WAL_PAGE_SIZE), first);

	for (int i = 0; i < 100000; i++)
	{
		uint64_t	bp = rng_next(&rng) % (per_seg * 1000);
		XLogRecPtr	p = WalBytePosToRecPtr(bp);
		XLogRecPtr	e = WalBytePosToEndRecPtr(bp);

		if (i % 3 == 0)			/* bias towards page boundaries */
			bp = WalRecPtrToBytePos(WAL_PAGE_START(p));
		p = WalBytePosToRecPtr(bp);
		e = WalBytePosToEndRecPtr(bp);
		ck_assert_uint_ge(WAL_PAGE_OFFSET(p), WAL_PAGE_HEADER_SIZE_AT(p));
		ck_assert_uint_eq(WalRecPtrToBytePos(p), bp);
		ck_assert_uint_eq(WalRecPtrToBytePos(e), bp);
		ck_assert(e == p || (WAL_PAGE_OFFSET(e) == 0 && p == e + WAL_PAGE_HEADER_SIZE_AT(e)));
	}
}
END_TEST

START_TEST(test_page_header_codec)
{
	char		buf[WAL_LONG_PAGE_HEADER_SIZE];
	WalPageHeader h,
				h2;

	WalPageHeaderMake(&h, 3 * WAL_PAGE_SIZE, 1234, 99);
	ck_assert_uint_eq(h.flags, WAL_PAGE_CONTINUATION);
	ck_assert_uint_eq(WalPageHeaderEncode(buf, &h), WAL_SHORT_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalPageHeaderDecode(buf, &h2), WAL_SHORT_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(h2.magic, WAL_PAGE_MAGIC);
	ck_assert_uint_eq(h2.rem_len, 1234);
	ck_assert_uint_eq(h2.page_addr, 3 * WAL_PAGE_SIZE);

	WalPageHeaderMake(&h, 7 * WAL_SEGMENT_SIZE, 0, 99);
	ck_assert_uint_eq(h.flags, WAL_PAGE_LONG_HEADER);
	ck_assert_uint_eq(WalPageHeaderEncode(buf, &h), WAL_LONG_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WalPageHeaderDecode(buf, &h2), WAL_LONG_PAGE_HEADER_SIZE);
	ck_assert(memcmp(&h, &h2, sizeof(h)) == 0);
	ck_assert_uint_eq(WAL_PAGE_HEADER_SIZE_AT(7 * WAL_SEGMENT_SIZE + 100), WAL_LONG_PAGE_HEADER_SIZE);
	ck_assert_uint_eq(WAL_PAGE_HEADER_SIZE_AT(7 * WAL_SEGMENT_SIZE + WAL_PAGE_SIZE), WAL_SHORT_PAGE_HEADER_SIZE);
}
END_TEST

/* Random records over three segments, read back in full. */
START_TEST(test_reader_random)
{
	uint64_t	rng = test_seed ^ 5;
	TestWal		w;
	WalReader  *r = malloc(sizeof(WalReader));
	GenRecord  *recs;
	DecodedWalRecord *rec;
	int			n = 0,
				cap = 0;
	int			got;
	WalRecordBuilder *b = malloc(sizeof(WalRecordBuilder));
	char	   *buf = malloc(64 * 1024);

	tw_init(&w, 0);
	recs = NULL;
	/* write until the WAL reaches into a third segment */
	while (w.insert < 2 * WAL_SEGMENT_SIZE + 100000)
	{
		uint32_t	exact = 0;
		uint64_t	bytepos = WalRecPtrToBytePos(w.insert);

		if (n == cap)
		{
			cap = cap ? cap * 2 : 1024;
			recs = realloc(recs, (size_t) cap * sizeof(GenRecord));
		}
		if (rng_range(&rng, 0, 9) == 0 && tw_room_on_page(&w) >= WAL_RECORD_HEADER_SIZE)
			exact = tw_room_on_page(&w);
		recs[n].len = gen_record(&rng, b, (uint64_t) n + 1, w.last, exact, buf, 64 * 1024);
		recs[n].bytes = malloc(recs[n].len);
		memcpy(recs[n].bytes, buf, recs[n].len);
		recs[n].start = tw_append(&w, buf, recs[n].len);
		/* the insert path's byte-position arithmetic agrees with the layout */
		ck_assert_uint_eq(recs[n].start, WalBytePosToRecPtr(bytepos));
		ck_assert_uint_eq(WalRecPtrToBytePos(w.insert), MAXALIGN(bytepos + recs[n].len));
		n++;
	}

	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_msg(got == n, "read %d of %d records: %s", got, n, r->end_message);
	ck_assert_msg(r->end_reason == WAL_END_ZERO, "end reason %s: %s",
				  WalEndReasonName(r->end_reason), r->end_message);
	ck_assert_uint_eq(r->system_identifier, w.sysid);
	/* README I6: an ended reader stays ended */
	ck_assert_int_eq(WalReaderNext(r, InvalidXLogRecPtr, &rec), WAL_READ_END);
	ck_assert_int_eq(r->end_reason, WAL_END_ZERO);

	/* restart in the middle, at a record of the second segment */
	for (int i = 0; i < n; i++)
		if (WAL_SEGMENT_NUMBER(recs[i].start) == 1)
		{
			got = read_and_match(r, recs[i].start, recs, i, n);
			ck_assert_int_eq(got, n - i);
			break;
		}

	WalReaderFree(r);
	free(r);
	free(b);
	free(buf);
	free_records(recs, n);
	tw_free(&w);
}
END_TEST

/* A record that crosses into the next segment, and one ending on a page end. */
START_TEST(test_reader_segment_boundary)
{
	uint64_t	rng = test_seed ^ 6;
	TestWal		w;
	WalReader  *r = malloc(sizeof(WalReader));
	WalRecordBuilder *b = malloc(sizeof(WalRecordBuilder));
	char	   *buf = malloc(64 * 1024);
	GenRecord	recs[5000];
	int			n = 0,
				got;

	tw_init(&w, 0);
	/* whole-page records up to the last page of segment 0 */
	while (w.insert < WAL_SEGMENT_SIZE - WAL_PAGE_SIZE)
	{
		recs[n].len = gen_record(&rng, b, 1, w.last, tw_room_on_page(&w), buf, 64 * 1024);
		recs[n].bytes = malloc(recs[n].len);
		memcpy(recs[n].bytes, buf, recs[n].len);
		recs[n].start = tw_append(&w, buf, recs[n].len);
		ck_assert_uint_eq(WAL_PAGE_OFFSET(w.insert), 0);
		n++;
	}
	/* then one that spans the segment boundary and three pages of segment 1 */
	recs[n].len = gen_record(&rng, b, 2, w.last, 4 * WAL_PAGE_SIZE, buf, 64 * 1024);
	recs[n].bytes = malloc(recs[n].len);
	memcpy(recs[n].bytes, buf, recs[n].len);
	recs[n].start = tw_append(&w, buf, recs[n].len);
	ck_assert_uint_eq(WAL_SEGMENT_NUMBER(recs[n].start), 0);
	ck_assert_uint_eq(WAL_SEGMENT_NUMBER(w.insert), 1);
	n++;
	recs[n].len = gen_record(&rng, b, 3, w.last, 100, buf, 64 * 1024);
	recs[n].bytes = malloc(recs[n].len);
	memcpy(recs[n].bytes, buf, recs[n].len);
	recs[n].start = tw_append(&w, buf, recs[n].len);
	n++;

	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_msg(got == n, "read %d of %d: %s", got, n, r->end_message);
	ck_assert_int_eq(r->end_reason, WAL_END_ZERO);

	/* A segment from another cluster is refused at its long header. */
	{
		uint64_t	other = 42;

		memcpy(tw_at(&w, WAL_SEGMENT_SIZE) + 16, &other, 8);
		WalReaderFree(r);
		WalReaderInit(r, tw_read, &w);
		WalReaderSetSystemIdentifier(r, w.sysid);
		got = read_and_match(r, recs[0].start, recs, 0, n);
		ck_assert_int_eq(got, n - 2);
		ck_assert_int_eq(r->end_reason, WAL_END_BAD_PAGE);
		ck_assert_ptr_nonnull(strstr(r->end_message, "another system"));
	}

	/* A missing next segment ends a spanning record as torn. */
	free(w.seg[1]);
	w.seg[1] = NULL;
	WalReaderFree(r);
	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, n - 2);
	ck_assert_int_eq(r->end_reason, WAL_END_TORN);

	WalReaderFree(r);
	for (int i = 0; i < n; i++)
		free(recs[i].bytes);
	free(r);
	free(b);
	free(buf);
	tw_free(&w);
}
END_TEST

/* A damaged record ends the WAL there even though later records are fine. */
START_TEST(test_reader_stops_at_corruption)
{
	uint64_t	rng = test_seed ^ 7;
	TestWal		w;
	WalReader  *r = malloc(sizeof(WalReader));
	GenRecord  *recs;
	DecodedWalRecord *rec;
	int			n = 400,
				k,
				got;

	tw_init(&w, 0);
	recs = write_random(&w, &rng, n, 1);
	k = (int) rng_range(&rng, 1, (uint32_t) n - 2);
	printf("check_walrecord: corrupting record %d of %d\n", k, n);

	/* flip a bit in the CRC field: always on the record's first page */
	*tw_at(&w, recs[k].start + 4) ^= 0x10;
	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, k);
	ck_assert_msg(r->end_reason == WAL_END_CRC, "%s", r->end_message);
	ck_assert_uint_eq(r->end_ptr, recs[k].start);
	ck_assert_int_eq(WalReaderNext(r, InvalidXLogRecPtr, &rec), WAL_READ_END);
	*tw_at(&w, recs[k].start + 4) ^= 0x10;
	/* README I6: repaired or not, nothing more without an explicit restart */
	ck_assert_int_eq(WalReaderNext(r, InvalidXLogRecPtr, &rec), WAL_READ_END);
	ck_assert_int_eq(r->end_reason, WAL_END_CRC);
	/* where record k-1 ended: k's start, or the page boundary before it */
	ck_assert(r->next_rec_ptr == recs[k].start ||
			  (WAL_PAGE_OFFSET(r->next_rec_ptr) == 0 &&
			   r->next_rec_ptr + WAL_PAGE_HEADER_SIZE_AT(r->next_rec_ptr) == recs[k].start));
	got = read_and_match(r, r->next_rec_ptr, recs, k, n);
	ck_assert_int_eq(got, n - k);
	ck_assert_int_eq(r->end_reason, WAL_END_ZERO);

	/* damage the last byte of a record that spans pages */
	for (k = 1; k < n; k++)
		if (WAL_PAGE_START(recs[k].start) != WAL_PAGE_START(recs[k].start + recs[k].len))
			break;
	ck_assert_int_lt(k, n);
	{
		XLogRecPtr	last = WalBytePosToRecPtr(WalRecPtrToBytePos(recs[k].start) + recs[k].len - 1);

		*tw_at(&w, last) ^= 1;
		WalReaderFree(r);
		WalReaderInit(r, tw_read, &w);
		got = read_and_match(r, recs[0].start, recs, 0, n);
		ck_assert_int_eq(got, k);
		ck_assert_int_eq(r->end_reason, WAL_END_CRC);
		*tw_at(&w, last) ^= 1;
	}

	/* a record whose prev link is wrong (valid CRC) is not followed */
	{
		WalRecordBuilder b;
		char		out[256];
		uint32_t	len;
		int			before;

		WalReaderFree(r);
		WalReaderInit(r, tw_read, &w);
		before = read_and_match(r, recs[0].start, recs, 0, n);
		ck_assert_int_eq(before, n);
		WalRecordBegin(&b, WAL_RM_XLOG, 0, 0);
		ck_assert(WalRecordAssembleFlat(&b, recs[0].start, out, sizeof(out), &len, NULL));
		tw_append(&w, out, len);
		WalReaderFree(r);
		WalReaderInit(r, tw_read, &w);
		got = read_and_match(r, recs[0].start, recs, 0, n);
		ck_assert_int_eq(got, n);
		ck_assert_int_eq(r->end_reason, WAL_END_INVALID);
		ck_assert_ptr_nonnull(strstr(r->end_message, "prev link"));
	}

	WalReaderFree(r);
	free(r);
	free_records(recs, n);
	tw_free(&w);
}
END_TEST

/* A crash left the last record's later pages unwritten (zero) or missing. */
START_TEST(test_reader_torn_tail)
{
	uint64_t	rng = test_seed ^ 8;
	TestWal		w;
	WalReader  *r = malloc(sizeof(WalReader));
	WalRecordBuilder *b = malloc(sizeof(WalRecordBuilder));
	char	   *buf = malloc(64 * 1024);
	GenRecord  *recs;
	int			n = 50,
				got;
	GenRecord	big;
	XLogRecPtr	last_page;

	tw_init(&w, 0);
	recs = write_random(&w, &rng, n, 1);
	big.len = gen_record(&rng, b, 99, w.last, 3 * WAL_PAGE_SIZE, buf, 64 * 1024);
	big.start = tw_append(&w, buf, big.len);
	last_page = WAL_PAGE_START(w.insert - 1);

	/* the last page never reached the disk: zeroed preallocated space */
	memset(tw_at(&w, last_page), 0, WAL_PAGE_SIZE);
	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, n);
	ck_assert_msg(r->end_reason == WAL_END_TORN, "%s: %s",
				  WalEndReasonName(r->end_reason), r->end_message);

	/* the byte source ends in the middle of the record */
	w.limit = last_page;
	WalReaderFree(r);
	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(r->end_reason, WAL_END_TORN);

	/*
	 * ... or earlier: records ending before the limit come back, then a
	 * clean end if the next one starts past it, torn if it straddles it.
	 */
	for (int k = n / 2; k < n; k++)
	{
		int			m = 0;

		w.limit = WAL_PAGE_START(recs[k].start);
		while (m < n &&
			   WalBytePosToEndRecPtr(WalRecPtrToBytePos(recs[m].start) + recs[m].len) <= w.limit)
			m++;
		WalReaderFree(r);
		WalReaderInit(r, tw_read, &w);
		got = read_and_match(r, recs[0].start, recs, 0, n);
		ck_assert_int_eq(got, m);
		if (recs[m].start >= w.limit)
			ck_assert_msg(r->end_reason == WAL_END_NO_DATA, "%s", r->end_message);
		else
			ck_assert_msg(r->end_reason == WAL_END_TORN, "%s", r->end_message);
	}

	WalReaderFree(r);
	free(r);
	free(b);
	free(buf);
	free_records(recs, n);
	tw_free(&w);
}
END_TEST

/*
 * After a crash, WAL is rewritten from the end of the last valid record. If
 * the server crashes again, a page of the earlier write can survive at the
 * same address; its continuation length does not fit the new record.
 */
START_TEST(test_reader_stale_continuation)
{
	uint64_t	rng = test_seed ^ 10;
	TestWal		w;
	WalReader  *r = malloc(sizeof(WalReader));
	WalRecordBuilder *b = malloc(sizeof(WalRecordBuilder));
	char	   *buf = malloc(64 * 1024);
	char	   *old_page = malloc(WAL_PAGE_SIZE);
	GenRecord  *recs;
	int			n = 20,
				got;
	XLogRecPtr	insert,
				last,
				first_start,
				next_page;
	uint32_t	len;

	tw_init(&w, 0);
	recs = write_random(&w, &rng, n, 1);
	insert = w.insert;
	last = w.last;

	/* first incarnation: a record of 2.5 pages */
	len = gen_record(&rng, b, 50, w.last, WAL_PAGE_SIZE * 5 / 2, buf, 64 * 1024);
	first_start = tw_append(&w, buf, len);
	next_page = WAL_PAGE_START(first_start) + WAL_PAGE_SIZE;
	memcpy(old_page, tw_at(&w, next_page), WAL_PAGE_SIZE);

	/* second incarnation at the same position: a record of 1.5 pages */
	w.insert = insert;
	w.last = last;
	len = gen_record(&rng, b, 51, w.last, WAL_PAGE_SIZE * 3 / 2, buf, 64 * 1024);
	ck_assert_uint_eq(tw_append(&w, buf, len), WalBytePosToRecPtr(WalRecPtrToBytePos(insert)));
	/* ... whose second page did not reach the disk */
	memcpy(tw_at(&w, next_page), old_page, WAL_PAGE_SIZE);

	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, n);
	ck_assert_msg(r->end_reason == WAL_END_TORN, "%s: %s",
				  WalEndReasonName(r->end_reason), r->end_message);
	ck_assert_uint_eq(r->end_ptr, next_page);

	WalReaderFree(r);
	free(r);
	free(b);
	free(buf);
	free(old_page);
	free_records(recs, n);
	tw_free(&w);
}
END_TEST

/*
 * A segment recycled from an earlier cycle still holds that cycle's valid
 * pages and records; the page address tells them apart.
 */
START_TEST(test_reader_recycled_segment)
{
	uint64_t	rng = test_seed ^ 9;
	TestWal		old_wal,
				w;
	WalReader  *r = malloc(sizeof(WalReader));
	WalRecordBuilder *b = malloc(sizeof(WalRecordBuilder));
	char	   *buf = malloc(64 * 1024);
	GenRecord  *old_recs,
			   *recs;
	int			n_old = 3000,
				n = 100,
				got;
	XLogRecPtr	base = 2 * WAL_SEGMENT_SIZE;
	GenRecord	tail;

	/* cycle 1 filled segment 0 */
	tw_init(&old_wal, 0);
	old_recs = write_random(&old_wal, &rng, n_old, 1);
	ck_assert_uint_ge(old_wal.insert, WAL_SEGMENT_SIZE / 2);

	/* it was renamed to segment 2, and cycle 2 wrote a little into it */
	tw_init(&w, base);
	w.seg[2] = malloc(WAL_SEGMENT_SIZE);
	memcpy(w.seg[2], old_wal.seg[0], WAL_SEGMENT_SIZE);
	recs = write_random(&w, &rng, n, 100000);

	/*
	 * case 1: the last record ends exactly at a page end (the next page's,
	 * when what is left of this one cannot hold a record header: some
	 * seeds leave less than that)
	 */
	{
		uint32_t	room = tw_room_on_page(&w);

		if (room < WAL_RECORD_HEADER_SIZE)
		{
			XLogRecPtr	next = WAL_PAGE_START(w.insert) + WAL_PAGE_SIZE;

			room += WAL_PAGE_SIZE - (uint32_t) WAL_PAGE_HEADER_SIZE_AT(next);
		}
		tail.len = gen_record(&rng, b, 5, w.last, room, buf, 64 * 1024);
	}
	tail.start = tw_append(&w, buf, tail.len);
	ck_assert_uint_eq(WAL_PAGE_OFFSET(w.insert), 0);
	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, n + 1);
	ck_assert_uint_eq(r->read_rec_ptr, tail.start);
	ck_assert_msg(r->end_reason == WAL_END_BAD_PAGE_ADDRESS, "%s: %s",
				  WalEndReasonName(r->end_reason), r->end_message);
	ck_assert_uint_eq(r->end_ptr, w.insert);

	/* case 2: a record spans pages whose new contents were never written */
	tail.len = gen_record(&rng, b, 6, w.last, 2 * WAL_PAGE_SIZE + 100, buf, 64 * 1024);
	tail.start = tw_append(&w, buf, tail.len);
	memcpy(tw_at(&w, WAL_PAGE_START(tail.start) + WAL_PAGE_SIZE),
		   old_wal.seg[0] + WAL_SEGMENT_OFFSET(WAL_PAGE_START(tail.start) + WAL_PAGE_SIZE),
		   2 * WAL_PAGE_SIZE);
	WalReaderFree(r);
	WalReaderInit(r, tw_read, &w);
	got = read_and_match(r, recs[0].start, recs, 0, n);
	ck_assert_int_eq(got, n + 1);
	ck_assert_int_eq(r->end_reason, WAL_END_BAD_PAGE_ADDRESS);
	ck_assert_uint_eq(r->end_ptr, WAL_PAGE_START(tail.start) + WAL_PAGE_SIZE);

	WalReaderFree(r);
	free(r);
	free(b);
	free(buf);
	free_records(old_recs, n_old);
	free_records(recs, n);
	tw_free(&old_wal);
	tw_free(&w);
}
END_TEST

/* Damaged page headers end the WAL at that page, whatever the damage. */
START_TEST(test_reader_bad_page_headers)
{
	uint64_t	rng = test_seed ^ 11;
	TestWal		w;
	WalReader  *r = malloc(sizeof(WalReader));
	GenRecord  *recs;
	const int	nrec = 4500;	/* about 22 MB: reaches into segment 1 */
	int			m;
	XLogRecPtr	page;
	static const struct
	{
		int			offset;		/* byte of the page header to change */
		uint8_t		xor;
		XLogRecPtr	page;
		const char *message;
	}			cases[] = {
		{0, 0x01, 3 * WAL_PAGE_SIZE, "invalid magic"},
		{2, WAL_PAGE_LONG_HEADER, 3 * WAL_PAGE_SIZE, "invalid flags"},
		{2, 0x80, 3 * WAL_PAGE_SIZE, "invalid flags"},
		{3, 0x01, 3 * WAL_PAGE_SIZE, "invalid flags"},
		{24, 0x01, WAL_SEGMENT_SIZE, "segment size"},
		{28, 0x01, WAL_SEGMENT_SIZE, "page size"},
		{2, WAL_PAGE_LONG_HEADER, WAL_SEGMENT_SIZE, "invalid flags"},
	};

	tw_init(&w, 0);
	recs = write_random(&w, &rng, nrec, 1);
	ck_assert_uint_gt(w.insert, WAL_SEGMENT_SIZE + WAL_PAGE_SIZE);
	WalReaderInit(r, tw_read, &w);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		char	   *p = tw_at(&w, cases[c].page) + cases[c].offset;
		int			got;

		page = cases[c].page;
		for (m = 0; m < nrec; m++)
			if (WalBytePosToEndRecPtr(WalRecPtrToBytePos(recs[m].start) + recs[m].len) > page)
				break;
		*p ^= (char) cases[c].xor;
		WalReaderFree(r);
		WalReaderInit(r, tw_read, &w);
		got = read_and_match(r, recs[0].start, recs, 0, nrec);
		*p ^= (char) cases[c].xor;
		ck_assert_msg(got == m, "case %zu: read %d, expected %d", c, got, m);
		ck_assert_msg(r->end_reason == WAL_END_BAD_PAGE, "case %zu: %s", c, r->end_message);
		ck_assert_msg(strstr(r->end_message, cases[c].message) != NULL, "case %zu: %s", c,
					  r->end_message);
		ck_assert_uint_eq(r->end_ptr, page);
	}
	WalReaderFree(r);
	free(r);
	free_records(recs, nrec);
	tw_free(&w);
}
END_TEST

START_TEST(test_reader_bad_start)
{
	TestWal		w;
	WalReader	r;
	DecodedWalRecord *rec;

	tw_init(&w, 0);
	WalReaderInit(&r, tw_read, &w);
	ck_assert_int_eq(WalReaderNext(&r, InvalidXLogRecPtr, &rec), WAL_READ_END);
	ck_assert_int_eq(r.end_reason, WAL_END_INVALID);
	ck_assert_int_eq(WalReaderNext(&r, 12, &rec), WAL_READ_END);	/* in the header */
	ck_assert_int_eq(r.end_reason, WAL_END_INVALID);
	ck_assert_int_eq(WalReaderNext(&r, 36, &rec), WAL_READ_END);	/* unaligned */
	ck_assert_int_eq(r.end_reason, WAL_END_INVALID);
	ck_assert_int_eq(WalReaderNext(&r, 32, &rec), WAL_READ_END);	/* nothing there */
	ck_assert_int_eq(r.end_reason, WAL_END_NO_DATA);
	WalReaderFree(&r);
}
END_TEST

static Suite *
walrecord_suite(void)
{
	Suite	   *s = suite_create("walrecord");
	TCase	   *tc = tcase_create("record");
	TCase	   *tr = tcase_create("reader");

	tcase_add_test(tc, test_roundtrip_blocks);
	tcase_add_test(tc, test_same_rel_compaction);
	tcase_add_test(tc, test_hole_restore);
	tcase_add_test(tc, test_crc_every_bit);
	tcase_add_test(tc, test_truncation_is_torn);
	tcase_add_test(tc, test_invalid_contents);
	tcase_add_test(tc, test_builder_errors);
	tcase_add_test(tc, test_set_prev);
	tcase_add_test(tc, test_file_names);
	tcase_add_test(tc, test_byte_positions);
	tcase_add_test(tc, test_page_header_codec);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tr, 120);
	tcase_add_test(tr, test_reader_random);
	tcase_add_test(tr, test_reader_segment_boundary);
	tcase_add_test(tr, test_reader_stops_at_corruption);
	tcase_add_test(tr, test_reader_torn_tail);
	tcase_add_test(tr, test_reader_stale_continuation);
	tcase_add_test(tr, test_reader_recycled_segment);
	tcase_add_test(tr, test_reader_bad_page_headers);
	tcase_add_test(tr, test_reader_bad_start);
	suite_add_tcase(s, tr);
	return s;
}

int
main(void)
{
	const char *env = getenv("TUSK_TEST_SEED");
	SRunner    *sr;
	int			failed;

	test_seed = env ? strtoull(env, NULL, 0) : (uint64_t) time(NULL) * 2654435761u;
	if (test_seed == 0)
		test_seed = 1;
	printf("check_walrecord: seed %" PRIu64 " (TUSK_TEST_SEED to replay)\n", test_seed);
	{
		uint64_t	rng = test_seed;

		fill_random(&rng, gen_data, sizeof(gen_data));
	}
	fflush(stdout);

	sr = srunner_create(walrecord_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
