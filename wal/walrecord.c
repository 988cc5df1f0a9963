/*
 * walrecord.c
 *	  Build, checksum, decode and read WAL records; WAL positions, segment
 *	  file names and page headers.
 *
 * NOTES
 *	  Pure code: no shared memory, no locks, no logging, no exits. Errors are
 *	  returned as status codes with a message in the caller's errbuf. The
 *	  formats and the numbered invariants (I1, I2, ...) cited below are in
 *	  wal/README.md.
 *
 *	  Everything is read and written with memcpy at fixed offsets, never by
 *	  casting a buffer to a struct: record bytes start on 8-byte boundaries in
 *	  the WAL stream but a reassembled or test buffer need not, and the block
 *	  headers are packed.
 *
 *	  The CRC is fed the body first and the header last (README I1) so the
 *	  insert path can sum a record with several page images outside the
 *	  insertion lock and only stamp prev and finish the 28 header bytes once
 *	  it has reserved a position.
 *
 *	  The reader allocates its reassembly buffer with malloc, not MemAlloc,
 *	  so that unit tests and tools link this file without jemalloc and elog;
 *	  in the server malloc is jemalloc anyway. Running out of memory ends the
 *	  read with a reason instead of killing the process.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "wal/walrecord.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/crc32c.h"

_Static_assert(WAL_PAGE_SIZE % MAXIMUM_ALIGNOF == 0, "WAL pages hold aligned records");
_Static_assert(WAL_SEGMENT_SIZE % WAL_PAGE_SIZE == 0, "segments hold whole pages");
_Static_assert(BLCKSZ <= 0xFFFF, "hole offsets and lengths are uint16");
_Static_assert(WAL_MAX_BLOCKS <= 32, "used_blocks is a 32-bit mask");
_Static_assert(WAL_RECORD_HEADER_SIZE % MAXIMUM_ALIGNOF == 0, "header keeps alignment");

/* Record header offsets (README "Record header"). */
#define RH_TOTAL_LEN 0
#define RH_CRC 4
#define RH_XID 8
#define RH_PREV 16
#define RH_RMID 24
#define RH_INFO 25
#define RH_NBLOCKS 26
#define RH_MAIN_LEN 28

/* Block header offsets (README "Block reference"). */
#define BH_FIXED_SIZE 8			/* block_id, flags, data_len, blkno */
#define BH_IMAGE_SIZE 4			/* hole_offset, hole_length */
#define BH_REL_SIZE 5			/* rel, fork */

/* Page header offsets (README "WAL page header"). */
#define PH_MAGIC 0
#define PH_FLAGS 2
#define PH_REM_LEN 4
#define PH_PAGE_ADDR 8
#define PH_SYSID 16
#define PH_SEGMENT_SIZE 24
#define PH_PAGE_SIZE 28

#define WAL_USABLE_PER_PAGE (WAL_PAGE_SIZE - WAL_SHORT_PAGE_HEADER_SIZE)
#define WAL_USABLE_FIRST_PAGE (WAL_PAGE_SIZE - WAL_LONG_PAGE_HEADER_SIZE)
#define WAL_USABLE_PER_SEGMENT \
	((uint64_t) WAL_USABLE_FIRST_PAGE + \
	 (uint64_t) (WAL_PAGES_PER_SEGMENT - 1) * WAL_USABLE_PER_PAGE)

static inline void
put16(char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void
put32(char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void
put64(char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t
get16(const char *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
get32(const char *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
get64(const char *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void set_error(char *errbuf, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
set_error(char *errbuf, const char *fmt,...)
{
	va_list		ap;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, WAL_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- positions */

/*
 * PostgreSQL's naming, so operators' habits carry over: timeline, then the
 * segment number as "log id" (which 4 GiB of WAL) and segment within it.
 * With 16 MiB segments the last 8 digits run 00000000..000000FF.
 */
void
WalFileName(char *out, uint64_t segno)
{
	snprintf(out, WAL_FILE_NAME_LEN + 1, "%08X%08X%08X", (unsigned) WAL_TIMELINE,
			 (unsigned) (segno / WAL_SEGMENTS_PER_LOGID),
			 (unsigned) (segno % WAL_SEGMENTS_PER_LOGID));
}

/*
 * Inverse of WalFileName for the files a directory scan finds; anything else
 * in pg_wal-like directories (temp files, other timelines) is rejected.
 */
bool
WalFileNameParse(const char *name, uint64_t *segno)
{
	uint32_t	part[3];

	if (strlen(name) != WAL_FILE_NAME_LEN)
		return false;
	for (int i = 0; i < 3; i++)
	{
		uint32_t	v = 0;

		for (int j = 0; j < 8; j++)
		{
			char		ch = name[i * 8 + j];
			uint32_t	digit;

			if (ch >= '0' && ch <= '9')
				digit = (uint32_t) (ch - '0');
			else if (ch >= 'A' && ch <= 'F')
				digit = (uint32_t) (ch - 'A' + 10);
			else
				return false;
			v = (v << 4) | digit;
		}
		part[i] = v;
	}
	if (part[0] != WAL_TIMELINE || part[2] >= WAL_SEGMENTS_PER_LOGID)
		return false;
	*segno = (uint64_t) part[1] * WAL_SEGMENTS_PER_LOGID + part[2];
	return true;
}

static XLogRecPtr
byte_pos_to_ptr(uint64_t bytepos, bool end)
{
	uint64_t	fullsegs = bytepos / WAL_USABLE_PER_SEGMENT;
	uint64_t	rem = bytepos % WAL_USABLE_PER_SEGMENT;
	uint64_t	offset;

	if (rem < WAL_USABLE_FIRST_PAGE)
	{
		/* An end exactly at a segment start belongs to the previous one. */
		if (end && rem == 0 && bytepos != 0)
			offset = 0;
		else
			offset = WAL_LONG_PAGE_HEADER_SIZE + rem;
	}
	else
	{
		uint64_t	fullpages;

		rem -= WAL_USABLE_FIRST_PAGE;
		fullpages = rem / WAL_USABLE_PER_PAGE;
		rem %= WAL_USABLE_PER_PAGE;
		if (end && rem == 0)
			offset = (fullpages + 1) * WAL_PAGE_SIZE;
		else
			offset = (fullpages + 1) * WAL_PAGE_SIZE + WAL_SHORT_PAGE_HEADER_SIZE + rem;
	}
	return fullsegs * WAL_SEGMENT_SIZE + offset;
}

XLogRecPtr
WalBytePosToRecPtr(uint64_t bytepos)
{
	return byte_pos_to_ptr(bytepos, false);
}

XLogRecPtr
WalBytePosToEndRecPtr(uint64_t bytepos)
{
	return byte_pos_to_ptr(bytepos, true);
}

/* ptr must not point inside a page header (a page boundary is fine). */
uint64_t
WalRecPtrToBytePos(XLogRecPtr ptr)
{
	uint64_t	fullsegs = WAL_SEGMENT_NUMBER(ptr);
	uint32_t	segoff = WAL_SEGMENT_OFFSET(ptr);
	uint32_t	fullpages = segoff / WAL_PAGE_SIZE;
	uint32_t	pageoff = segoff % WAL_PAGE_SIZE;
	uint64_t	result = fullsegs * WAL_USABLE_PER_SEGMENT;

	if (fullpages == 0)
	{
		if (pageoff > 0)
			result += pageoff - WAL_LONG_PAGE_HEADER_SIZE;
	}
	else
	{
		result += WAL_USABLE_FIRST_PAGE +
			(uint64_t) (fullpages - 1) * WAL_USABLE_PER_PAGE;
		if (pageoff > 0)
			result += pageoff - WAL_SHORT_PAGE_HEADER_SIZE;
	}
	return result;
}

/* ---------------------------------------------------------- WAL page header */

void
WalPageHeaderMake(WalPageHeader *hdr, XLogRecPtr page_addr, uint32_t rem_len,
				  uint64_t system_identifier)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = WAL_PAGE_MAGIC;
	hdr->rem_len = rem_len;
	hdr->page_addr = page_addr;
	if (rem_len > 0)
		hdr->flags |= WAL_PAGE_CONTINUATION;
	if (WAL_SEGMENT_OFFSET(page_addr) == 0)
	{
		hdr->flags |= WAL_PAGE_LONG_HEADER;
		hdr->system_identifier = system_identifier;
		hdr->segment_size = (uint32_t) WAL_SEGMENT_SIZE;
		hdr->page_size = WAL_PAGE_SIZE;
	}
}

size_t
WalPageHeaderEncode(char *dst, const WalPageHeader *hdr)
{
	put16(dst + PH_MAGIC, hdr->magic);
	put16(dst + PH_FLAGS, hdr->flags);
	put32(dst + PH_REM_LEN, hdr->rem_len);
	put64(dst + PH_PAGE_ADDR, hdr->page_addr);
	if (!(hdr->flags & WAL_PAGE_LONG_HEADER))
		return WAL_SHORT_PAGE_HEADER_SIZE;
	put64(dst + PH_SYSID, hdr->system_identifier);
	put32(dst + PH_SEGMENT_SIZE, hdr->segment_size);
	put32(dst + PH_PAGE_SIZE, hdr->page_size);
	return WAL_LONG_PAGE_HEADER_SIZE;
}

/* Reads 32 bytes only when the flags say long; src holds a whole page. */
size_t
WalPageHeaderDecode(const char *src, WalPageHeader *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = get16(src + PH_MAGIC);
	hdr->flags = get16(src + PH_FLAGS);
	hdr->rem_len = get32(src + PH_REM_LEN);
	hdr->page_addr = get64(src + PH_PAGE_ADDR);
	if (!(hdr->flags & WAL_PAGE_LONG_HEADER))
		return WAL_SHORT_PAGE_HEADER_SIZE;
	hdr->system_identifier = get64(src + PH_SYSID);
	hdr->segment_size = get32(src + PH_SEGMENT_SIZE);
	hdr->page_size = get32(src + PH_PAGE_SIZE);
	return WAL_LONG_PAGE_HEADER_SIZE;
}

/* ------------------------------------------------------------------ builder */

static bool builder_error(WalRecordBuilder *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Remember only the first error: later ones are usually its echoes. */
static bool
builder_error(WalRecordBuilder *b, const char *fmt,...)
{
	va_list		ap;

	if (b->error[0] != '\0')
		return false;
	va_start(ap, fmt);
	vsnprintf(b->error, sizeof(b->error), fmt, ap);
	va_end(ap);
	return false;
}

/*
 * Cheap enough to call per record: the block array is not cleared, the
 * used_blocks mask says which entries are live.
 */
void
WalRecordBegin(WalRecordBuilder *b, uint8_t rmid, uint8_t info, uint64_t xid)
{
	b->rmid = rmid;
	b->info = info;
	b->xid = xid;
	b->used_blocks = 0;
	b->nchunks = 0;
	b->main_len = 0;
	b->error[0] = '\0';
	b->total_len = 0;
	b->niov = 0;
}

/*
 * The hole is the longest run of zero 8-byte words, found by looking rather
 * than by trusting pd_lower/pd_upper: it works for every page kind (heap,
 * B+tree, commit log), costs less than the CRC of the same bytes, and makes
 * restoration byte-identical by construction since the hole really is zero.
 */
static void
find_hole(const char *page, uint16_t *hole_offset, uint16_t *hole_length)
{
	size_t		best_start = 0,
				best_len = 0,
				run_start = 0,
				run_len = 0;

	for (size_t off = 0; off < BLCKSZ; off += 8)
	{
		uint64_t	w;

		memcpy(&w, page + off, 8);
		if (w == 0)
		{
			if (run_len == 0)
				run_start = off;
			run_len += 8;
			if (run_len > best_len)
			{
				best_start = run_start;
				best_len = run_len;
			}
		}
		else
			run_len = 0;
	}
	*hole_offset = (uint16_t) (best_len > 0 ? best_start : 0);
	*hole_length = (uint16_t) best_len;
}

/*
 * Register block block_id of the record. page_or_null, when given, is the
 * page contents to log as a full-page image; it is read at Assemble time,
 * hole detection included, so the caller registers it once it is final or
 * holds the content lock until then. Flags may only be WAL_BKP_WILL_INIT.
 */
bool
WalRecordRegisterBlock(WalRecordBuilder *b, uint8_t block_id, uint32_t rel, uint8_t fork,
					   BlockNumber blkno, uint8_t flags, const char *page_or_null)
{
	WalBuilderBlock *blk;

	if (block_id >= WAL_MAX_BLOCKS)
		return builder_error(b, "block id %u out of range", block_id);
	if (b->used_blocks & (UINT32_C(1) << block_id))
		return builder_error(b, "block id %u registered twice", block_id);
	if (flags & ~WAL_BKP_WILL_INIT)
		return builder_error(b, "invalid block flags 0x%02X for block %u", flags, block_id);
	blk = &b->blocks[block_id];
	blk->flags = flags;
	blk->rel = rel;
	blk->fork = fork;
	blk->blkno = blkno;
	blk->page = page_or_null;
	blk->hole_offset = 0;
	blk->hole_length = 0;
	blk->data_len = 0;
	b->used_blocks |= UINT32_C(1) << block_id;
	return true;
}

bool
WalRecordRegisterBlockData(WalRecordBuilder *b, uint8_t block_id, const void *data,
						   uint32_t len)
{
	WalBuilderBlock *blk;

	if (block_id >= WAL_MAX_BLOCKS || !(b->used_blocks & (UINT32_C(1) << block_id)))
		return builder_error(b, "data for unregistered block id %u", block_id);
	if (len == 0)
		return true;
	blk = &b->blocks[block_id];
	if (blk->data_len + (uint64_t) len > WAL_MAX_BLOCK_DATA)
		return builder_error(b, "too much data for block %u: %" PRIu64 " bytes", block_id,
							 blk->data_len + (uint64_t) len);
	if (b->nchunks >= WAL_MAX_DATA_CHUNKS)
		return builder_error(b, "too many data chunks (max %d)", WAL_MAX_DATA_CHUNKS);
	b->chunks[b->nchunks++] = (WalBuilderChunk) {data, len, block_id};
	blk->data_len += len;
	return true;
}

bool
WalRecordRegisterData(WalRecordBuilder *b, const void *data, uint32_t len)
{
	if (len == 0)
		return true;
	if (b->main_len + len > WAL_MAX_RECORD_SIZE)
		return builder_error(b, "too much main data: %" PRIu64 " bytes", b->main_len + len);
	if (b->nchunks >= WAL_MAX_DATA_CHUNKS)
		return builder_error(b, "too many data chunks (max %d)", WAL_MAX_DATA_CHUNKS);
	b->chunks[b->nchunks++] = (WalBuilderChunk) {data, len, -1};
	b->main_len += len;
	return true;
}

static void
add_iov(WalRecordBuilder *b, const void *base, size_t len)
{
	if (len == 0)
		return;
	b->iov[b->niov].iov_base = (void *) base;
	b->iov[b->niov].iov_len = len;
	b->niov++;
}

/* Chunks of one owner (a block id, or -1 for main data) in call order. */
static void
add_chunks(WalRecordBuilder *b, int owner)
{
	for (int i = 0; i < b->nchunks; i++)
		if (b->chunks[i].block_id == owner)
			add_iov(b, b->chunks[i].data, b->chunks[i].len);
}

/* Finish the CRC over the header (README I1) and store it. */
static void
stamp_header_crc(WalRecordBuilder *b)
{
	uint32_t	crc;

	crc = Crc32cExtend(b->body_crc, b->hdr + RH_CRC + 4,
					   WAL_RECORD_HEADER_SIZE - RH_CRC - 4);
	crc = Crc32cExtend(crc, b->hdr, RH_CRC);
	put32(b->hdr + RH_CRC, crc);
}

bool
WalRecordAssemble(WalRecordBuilder *b, XLogRecPtr prev, const struct iovec **iov,
				  int *niov, uint32_t *total_len, char *errbuf)
{
	char	   *p = b->hdr + WAL_RECORD_HEADER_SIZE;
	uint64_t	total;
	int			nblocks = 0;
	bool		have_prev_rel = false;
	uint32_t	prev_rel = 0;
	uint8_t		prev_fork = 0;
	uint32_t	crc = 0;

	if (b->error[0] != '\0')
	{
		set_error(errbuf, "%s", b->error);
		return false;
	}
	if (b->rmid > WAL_RM_MAX_ID)
	{
		set_error(errbuf, "invalid resource manager id %u", b->rmid);
		return false;
	}

	/* Block headers, in block id order (README I4). */
	total = WAL_RECORD_HEADER_SIZE;
	for (int id = 0; id < WAL_MAX_BLOCKS; id++)
	{
		WalBuilderBlock *blk = &b->blocks[id];
		uint8_t		flags = blk->flags;

		if (!(b->used_blocks & (UINT32_C(1) << id)))
			continue;
		nblocks++;
		if (blk->page != NULL)
		{
			flags |= WAL_BKP_HAS_IMAGE;
			find_hole(blk->page, &blk->hole_offset, &blk->hole_length);
			total += BLCKSZ - blk->hole_length;
		}
		if (blk->data_len > 0)
			flags |= WAL_BKP_HAS_DATA;
		if (have_prev_rel && blk->rel == prev_rel && blk->fork == prev_fork)
			flags |= WAL_BKP_SAME_REL;

		p[0] = (char) id;
		p[1] = (char) flags;
		put16(p + 2, (uint16_t) blk->data_len);
		put32(p + 4, blk->blkno);
		p += BH_FIXED_SIZE;
		if (flags & WAL_BKP_HAS_IMAGE)
		{
			put16(p, blk->hole_offset);
			put16(p + 2, blk->hole_length);
			p += BH_IMAGE_SIZE;
		}
		if (!(flags & WAL_BKP_SAME_REL))
		{
			put32(p, blk->rel);
			p[4] = (char) blk->fork;
			p += BH_REL_SIZE;
		}
		have_prev_rel = true;
		prev_rel = blk->rel;
		prev_fork = blk->fork;
		total += blk->data_len;
	}
	total += (uint64_t) (p - (b->hdr + WAL_RECORD_HEADER_SIZE)) + b->main_len;
	if (total > WAL_MAX_RECORD_SIZE)
	{
		set_error(errbuf, "WAL record too long: %" PRIu64 " bytes", total);
		return false;
	}

	/* Body iovecs: images, then block data, block by block; then main data. */
	b->niov = 0;
	add_iov(b, b->hdr, (size_t) (p - b->hdr));
	for (int id = 0; id < WAL_MAX_BLOCKS; id++)
	{
		WalBuilderBlock *blk = &b->blocks[id];

		if (!(b->used_blocks & (UINT32_C(1) << id)))
			continue;
		if (blk->page != NULL)
		{
			add_iov(b, blk->page, blk->hole_offset);
			add_iov(b, blk->page + blk->hole_offset + blk->hole_length,
					BLCKSZ - blk->hole_offset - blk->hole_length);
		}
		add_chunks(b, id);
	}
	add_chunks(b, -1);

	/* Body CRC: block headers from the header iovec, then the rest. */
	crc = Crc32cExtend(crc, b->hdr + WAL_RECORD_HEADER_SIZE,
					   (size_t) (p - b->hdr) - WAL_RECORD_HEADER_SIZE);
	for (int i = 1; i < b->niov; i++)
		crc = Crc32cExtend(crc, b->iov[i].iov_base, b->iov[i].iov_len);
	b->body_crc = crc;
	b->total_len = (uint32_t) total;

	put32(b->hdr + RH_TOTAL_LEN, b->total_len);
	put32(b->hdr + RH_CRC, 0);
	put64(b->hdr + RH_XID, b->xid);
	b->hdr[RH_RMID] = (char) b->rmid;
	b->hdr[RH_INFO] = (char) b->info;
	put16(b->hdr + RH_NBLOCKS, (uint16_t) nblocks);
	put32(b->hdr + RH_MAIN_LEN, (uint32_t) b->main_len);
	WalRecordSetPrev(b, prev);

	if (iov != NULL)
		*iov = b->iov;
	if (niov != NULL)
		*niov = b->niov;
	if (total_len != NULL)
		*total_len = b->total_len;
	return true;
}

/*
 * Restamp prev after WalRecordAssemble. The iovecs stay valid: prev and CRC
 * live in b->hdr, which iov[0] points at.
 */
void
WalRecordSetPrev(WalRecordBuilder *b, XLogRecPtr prev)
{
	put64(b->hdr + RH_PREV, prev);
	stamp_header_crc(b);
}

bool
WalRecordAssembleFlat(WalRecordBuilder *b, XLogRecPtr prev, char *out, size_t cap,
					  uint32_t *total_len, char *errbuf)
{
	size_t		off = 0;

	if (!WalRecordAssemble(b, prev, NULL, NULL, NULL, errbuf))
		return false;
	if (b->total_len > cap)
	{
		set_error(errbuf, "WAL record of %u bytes does not fit in %zu", b->total_len, cap);
		return false;
	}
	for (int i = 0; i < b->niov; i++)
	{
		memcpy(out + off, b->iov[i].iov_base, b->iov[i].iov_len);
		off += b->iov[i].iov_len;
	}
	*total_len = b->total_len;
	return true;
}

/* ------------------------------------------------------------------ decoder */

uint32_t
WalRecordComputeCrc(const char *rec, uint32_t total_len)
{
	uint32_t	crc;

	crc = Crc32c(rec + WAL_RECORD_HEADER_SIZE, total_len - WAL_RECORD_HEADER_SIZE);
	crc = Crc32cExtend(crc, rec + RH_CRC + 4, WAL_RECORD_HEADER_SIZE - RH_CRC - 4);
	return Crc32cExtend(crc, rec, RH_CRC);
}

/*
 * Validate and decode one record at buf. Only the first len bytes are ever
 * read. On WAL_DECODE_OK, out's pointers point into buf. Checks run in the
 * order of README I2: length, CRC, then contents, so a torn tail is TORN and
 * a damaged record is BAD_CRC whatever its bytes claim.
 */
WalDecodeStatus
WalRecordDecode(const char *buf, size_t len, DecodedWalRecord *out, char *errbuf)
{
	uint32_t	total_len,
				crc,
				nblocks;
	const char *p,
			   *end,
			   *payload;
	int			last_id = -1;
	bool		have_rel = false;

	if (len < 4)
	{
		set_error(errbuf, "record length field incomplete: %zu bytes available", len);
		return WAL_DECODE_TORN;
	}
	total_len = get32(buf + RH_TOTAL_LEN);
	if (total_len == 0)
	{
		set_error(errbuf, "record length is zero");
		return WAL_DECODE_ZERO;
	}
	if (total_len < WAL_RECORD_HEADER_SIZE || total_len > WAL_MAX_RECORD_SIZE)
	{
		set_error(errbuf, "invalid record length %u", total_len);
		return WAL_DECODE_INVALID;
	}
	if (total_len > len)
	{
		set_error(errbuf, "record of %u bytes is torn: %zu bytes available", total_len, len);
		return WAL_DECODE_TORN;
	}
	crc = get32(buf + RH_CRC);
	if (WalRecordComputeCrc(buf, total_len) != crc)
	{
		set_error(errbuf, "incorrect record checksum %08X (computed %08X)", crc,
				  WalRecordComputeCrc(buf, total_len));
		return WAL_DECODE_BAD_CRC;
	}

	memset(out, 0, offsetof(DecodedWalRecord, blocks));
	out->total_len = total_len;
	out->crc = crc;
	out->xid = get64(buf + RH_XID);
	out->prev = get64(buf + RH_PREV);
	out->rmid = (uint8_t) buf[RH_RMID];
	out->info = (uint8_t) buf[RH_INFO];
	nblocks = get16(buf + RH_NBLOCKS);
	out->main_len = get32(buf + RH_MAIN_LEN);
	out->main_data = NULL;
	out->raw = buf;
	if (out->rmid > WAL_RM_MAX_ID)
	{
		set_error(errbuf, "invalid resource manager id %u", out->rmid);
		return WAL_DECODE_INVALID;
	}
	if (nblocks > WAL_MAX_BLOCKS)
	{
		set_error(errbuf, "too many block references: %u", nblocks);
		return WAL_DECODE_INVALID;
	}
	out->nblocks = (int) nblocks;

	/* Block headers; every read is bounds-checked against end first. */
	p = buf + WAL_RECORD_HEADER_SIZE;
	end = buf + total_len;
	for (uint32_t i = 0; i < nblocks; i++)
	{
		DecodedWalBlock *blk = &out->blocks[i];

		if (end - p < BH_FIXED_SIZE)
			goto overrun;
		memset(blk, 0, sizeof(*blk));
		blk->block_id = (uint8_t) p[0];
		blk->flags = (uint8_t) p[1];
		blk->data_len = get16(p + 2);
		blk->blkno = get32(p + 4);
		p += BH_FIXED_SIZE;
		if (blk->block_id >= WAL_MAX_BLOCKS || (int) blk->block_id <= last_id)
		{
			set_error(errbuf, "block id %u out of order or range", blk->block_id);
			return WAL_DECODE_INVALID;
		}
		last_id = blk->block_id;
		if (blk->flags & ~WAL_BKP_ALL_FLAGS)
		{
			set_error(errbuf, "invalid flags 0x%02X in block %u", blk->flags, blk->block_id);
			return WAL_DECODE_INVALID;
		}
		if (((blk->flags & WAL_BKP_HAS_DATA) != 0) != (blk->data_len > 0))
		{
			set_error(errbuf, "block %u: HAS_DATA disagrees with data length %u",
					  blk->block_id, blk->data_len);
			return WAL_DECODE_INVALID;
		}
		if (blk->flags & WAL_BKP_HAS_IMAGE)
		{
			if (end - p < BH_IMAGE_SIZE)
				goto overrun;
			blk->has_image = true;
			blk->hole_offset = get16(p);
			blk->hole_length = get16(p + 2);
			p += BH_IMAGE_SIZE;
			if ((uint32_t) blk->hole_offset + blk->hole_length > BLCKSZ ||
				(blk->hole_length == 0 && blk->hole_offset != 0))
			{
				set_error(errbuf, "block %u: invalid hole offset %u length %u",
						  blk->block_id, blk->hole_offset, blk->hole_length);
				return WAL_DECODE_INVALID;
			}
		}
		if (blk->flags & WAL_BKP_SAME_REL)
		{
			if (!have_rel)
			{
				set_error(errbuf, "block %u: SAME_REL without a previous block",
						  blk->block_id);
				return WAL_DECODE_INVALID;
			}
			blk->rel = out->blocks[i - 1].rel;
			blk->fork = out->blocks[i - 1].fork;
		}
		else
		{
			if (end - p < BH_REL_SIZE)
				goto overrun;
			blk->rel = get32(p);
			blk->fork = (uint8_t) p[4];
			p += BH_REL_SIZE;
		}
		have_rel = true;
	}

	/* Payload: lengths must account for every byte exactly (README I3). */
	payload = p;
	for (uint32_t i = 0; i < nblocks; i++)
	{
		DecodedWalBlock *blk = &out->blocks[i];

		if (blk->has_image)
		{
			size_t		image_len = BLCKSZ - blk->hole_length;

			if ((size_t) (end - payload) < image_len)
				goto overrun;
			blk->image = payload;
			payload += image_len;
		}
		if (blk->data_len > 0)
		{
			if ((size_t) (end - payload) < blk->data_len)
				goto overrun;
			blk->data = payload;
			payload += blk->data_len;
		}
	}
	if ((size_t) (end - payload) != out->main_len)
	{
		set_error(errbuf, "main data length %u does not match the %zu bytes left",
				  out->main_len, (size_t) (end - payload));
		return WAL_DECODE_INVALID;
	}
	if (out->main_len > 0)
		out->main_data = payload;
	return WAL_DECODE_OK;

overrun:
	set_error(errbuf, "block references run past the record's %u bytes", total_len);
	return WAL_DECODE_INVALID;
}

/*
 * Rebuild the page of blocks[block_index] into page_out (BLCKSZ bytes).
 * False when the index is out of range or the block has no image.
 */
bool
WalRestoreBlockImage(const DecodedWalRecord *rec, int block_index, char *page_out)
{
	const DecodedWalBlock *blk;

	if (block_index < 0 || block_index >= rec->nblocks)
		return false;
	blk = &rec->blocks[block_index];
	if (!blk->has_image)
		return false;
	memcpy(page_out, blk->image, blk->hole_offset);
	memset(page_out + blk->hole_offset, 0, blk->hole_length);
	memcpy(page_out + blk->hole_offset + blk->hole_length, blk->image + blk->hole_offset,
		   BLCKSZ - blk->hole_offset - blk->hole_length);
	return true;
}

const DecodedWalBlock *
WalRecordGetBlock(const DecodedWalRecord *rec, uint8_t block_id)
{
	for (int i = 0; i < rec->nblocks; i++)
		if (rec->blocks[i].block_id == block_id)
			return &rec->blocks[i];
	return NULL;
}

const char *
WalRmgrName(uint8_t rmid)
{
	switch ((WalRmgrId) rmid)
	{
		case WAL_RM_XLOG:
			return "XLOG";
		case WAL_RM_XACT:
			return "Transaction";
		case WAL_RM_STORAGE:
			return "Storage";
		case WAL_RM_CLOG:
			return "CLOG";
		case WAL_RM_HEAP:
			return "Heap";
		case WAL_RM_BTREE:
			return "Btree";
	}
	return "unknown";
}

/* ------------------------------------------------------------------- reader */

void
WalReaderInit(WalReader *r, WalReadCallback read_cb, void *arg)
{
	memset(r, 0, offsetof(WalReader, page_buf));
	r->read_cb = read_cb;
	r->read_arg = arg;
	r->rec_buf = NULL;
	r->rec_cap = 0;
}

/*
 * Recovery knows the system identifier from the control file; without it
 * the reader adopts the first one it sees in a long page header.
 */
void
WalReaderSetSystemIdentifier(WalReader *r, uint64_t system_identifier)
{
	r->system_identifier = system_identifier;
}

void
WalReaderFree(WalReader *r)
{
	free(r->rec_buf);
	r->rec_buf = NULL;
	r->rec_cap = 0;
}

const char *
WalEndReasonName(WalEndReason reason)
{
	switch (reason)
	{
		case WAL_END_NONE:
			return "none";
		case WAL_END_NO_DATA:
			return "no more WAL";
		case WAL_END_ZERO:
			return "zero";
		case WAL_END_TORN:
			return "torn";
		case WAL_END_CRC:
			return "crc";
		case WAL_END_BAD_PAGE:
			return "bad-page";
		case WAL_END_BAD_PAGE_ADDRESS:
			return "bad-page-address";
		case WAL_END_INVALID:
			return "invalid";
		case WAL_END_READ_ERROR:
			return "read-error";
		case WAL_END_OUT_OF_MEMORY:
			return "out-of-memory";
	}
	return "unknown";
}

static WalReadStatus reader_end(WalReader *r, WalEndReason reason, XLogRecPtr at,
								const char *fmt,...) __attribute__((format(printf, 4, 5)));

/*
 * Stop for good (README I6): until the caller gives an explicit start, every
 * later WalReaderNext returns the same end. The cached page is dropped so a
 * restart rereads WAL that may have been written since.
 */
static WalReadStatus
reader_end(WalReader *r, WalEndReason reason, XLogRecPtr at, const char *fmt,...)
{
	va_list		ap;

	r->ended = true;
	r->end_reason = reason;
	r->end_ptr = at;
	r->page_valid = false;
	va_start(ap, fmt);
	vsnprintf(r->end_message, sizeof(r->end_message), fmt, ap);
	va_end(ap);
	return WAL_READ_END;
}

/*
 * Make the page at page_addr current and validate its header. mid_record
 * says whether we are following a record onto this page: then a missing or
 * zeroed page means the record is torn rather than that WAL ended cleanly.
 * Returns false after calling reader_end.
 */
static bool
load_page(WalReader *r, XLogRecPtr page_addr, bool mid_record, WalPageHeader *hdr)
{
	ssize_t		n;
	bool		long_expected = WAL_SEGMENT_OFFSET(page_addr) == 0;

	if (!(r->page_valid && r->page_addr == page_addr))
	{
		r->page_valid = false;
		n = r->read_cb(r->read_arg, page_addr, r->page_buf, WAL_PAGE_SIZE);
		if (n < 0)
		{
			reader_end(r, WAL_END_READ_ERROR, page_addr,
					   "could not read WAL page at " WAL_PTR_FMT ": %s",
					   WAL_PTR_ARGS(page_addr), strerror(errno));
			return false;
		}
		if (n < WAL_PAGE_SIZE)
		{
			reader_end(r, mid_record ? WAL_END_TORN : WAL_END_NO_DATA, page_addr,
					   "no WAL page at " WAL_PTR_FMT "%s", WAL_PTR_ARGS(page_addr),
					   mid_record ? " for the rest of a record" : "");
			return false;
		}
		r->page_addr = page_addr;
		r->page_valid = true;
	}

	WalPageHeaderDecode(r->page_buf, hdr);
	if (hdr->magic != WAL_PAGE_MAGIC)
	{
		static const char zeros[WAL_SHORT_PAGE_HEADER_SIZE];

		if (memcmp(r->page_buf, zeros, sizeof(zeros)) == 0)
		{
			reader_end(r, mid_record ? WAL_END_TORN : WAL_END_ZERO, page_addr,
					   "zeroed WAL page at " WAL_PTR_FMT "%s", WAL_PTR_ARGS(page_addr),
					   mid_record ? " in the middle of a record" : "");
			return false;
		}
		reader_end(r, WAL_END_BAD_PAGE, page_addr,
				   "invalid magic number %04X in WAL page at " WAL_PTR_FMT,
				   hdr->magic, WAL_PTR_ARGS(page_addr));
		return false;
	}
	if (hdr->page_addr != page_addr)
	{
		reader_end(r, WAL_END_BAD_PAGE_ADDRESS, page_addr,
				   "unexpected page address " WAL_PTR_FMT " in WAL page at " WAL_PTR_FMT,
				   WAL_PTR_ARGS(hdr->page_addr), WAL_PTR_ARGS(page_addr));
		return false;
	}
	if ((hdr->flags & ~WAL_PAGE_ALL_FLAGS) ||
		((hdr->flags & WAL_PAGE_LONG_HEADER) != 0) != long_expected ||
		((hdr->flags & WAL_PAGE_CONTINUATION) != 0) != (hdr->rem_len > 0))
	{
		reader_end(r, WAL_END_BAD_PAGE, page_addr,
				   "invalid flags %04X (remaining length %u) in WAL page at " WAL_PTR_FMT,
				   hdr->flags, hdr->rem_len, WAL_PTR_ARGS(page_addr));
		return false;
	}
	if (long_expected)
	{
		if (hdr->segment_size != WAL_SEGMENT_SIZE || hdr->page_size != WAL_PAGE_SIZE)
		{
			reader_end(r, WAL_END_BAD_PAGE, page_addr,
					   "WAL segment at " WAL_PTR_FMT " has segment size %u and page size %u",
					   WAL_PTR_ARGS(page_addr), hdr->segment_size, hdr->page_size);
			return false;
		}
		if (r->system_identifier == 0)
			r->system_identifier = hdr->system_identifier;
		else if (hdr->system_identifier != r->system_identifier)
		{
			reader_end(r, WAL_END_BAD_PAGE, page_addr,
					   "WAL segment at " WAL_PTR_FMT " is from another system: identifier %"
					   PRIu64 ", expected %" PRIu64, WAL_PTR_ARGS(page_addr),
					   hdr->system_identifier, r->system_identifier);
			return false;
		}
	}
	return true;
}

/*
 * Copy len record bytes starting at *pos into dst, following the record onto
 * continuation pages. *gathered counts record bytes copied so far and
 * total_len is the record's length, which every continuation page's rem_len
 * must agree with (README I5). On return *pos is just past the last byte.
 */
static bool
gather(WalReader *r, XLogRecPtr rec_start, XLogRecPtr *pos, char *dst, uint32_t len,
	   uint32_t *gathered, uint32_t total_len)
{
	while (len > 0)
	{
		WalPageHeader hdr;
		uint32_t	avail,
					n;

		if (WAL_PAGE_OFFSET(*pos) == 0)
		{
			/* A record continues onto the next page. */
			if (!load_page(r, *pos, true, &hdr))
				return false;
			if (!(hdr.flags & WAL_PAGE_CONTINUATION) || hdr.rem_len != total_len - *gathered)
			{
				reader_end(r, WAL_END_TORN, *pos,
						   "record at " WAL_PTR_FMT " needs %u more bytes but the WAL page "
						   "at " WAL_PTR_FMT " continues %u", WAL_PTR_ARGS(rec_start),
						   total_len - *gathered, WAL_PTR_ARGS(*pos), hdr.rem_len);
				return false;
			}
			*pos += WAL_PAGE_HEADER_SIZE_AT(*pos);
		}
		else if (!load_page(r, WAL_PAGE_START(*pos), false, &hdr))
			return false;

		avail = WAL_PAGE_SIZE - WAL_PAGE_OFFSET(*pos);
		n = len < avail ? len : avail;
		memcpy(dst, r->page_buf + WAL_PAGE_OFFSET(*pos), n);
		dst += n;
		len -= n;
		*gathered += n;
		*pos += n;
	}
	return true;
}

static bool
ensure_capacity(WalReader *r, size_t need)
{
	char	   *nbuf;
	size_t		ncap;

	if (need <= r->rec_cap)
		return true;
	ncap = r->rec_cap ? r->rec_cap : 2 * WAL_PAGE_SIZE;
	while (ncap < need)
		ncap *= 2;
	nbuf = realloc(r->rec_buf, ncap);
	if (nbuf == NULL)
		return false;
	r->rec_buf = nbuf;
	r->rec_cap = ncap;
	return true;
}

/*
 * Return the next valid record in *out (valid until the next call), or END
 * with r->end_reason and r->end_message saying why. start is
 * InvalidXLogRecPtr to continue after the previous record, or the position
 * of a record to (re)start from; the prev link of that first record is
 * trusted unless start is r->next_rec_ptr, which is how a caller retries
 * after END once more WAL may have arrived.
 */
WalReadStatus
WalReaderNext(WalReader *r, XLogRecPtr start, DecodedWalRecord **out)
{
	XLogRecPtr	pos;
	XLogRecPtr	rec_start;
	XLogRecPtr	expected_prev;
	WalPageHeader hdr;
	char		head[WAL_RECORD_HEADER_SIZE];
	uint32_t	total_len,
				gathered = 0;
	char		errbuf[WAL_ERRBUF_SIZE];
	WalDecodeStatus st;

	*out = NULL;
	if (start != InvalidXLogRecPtr)
	{
		r->ended = false;
		r->end_reason = WAL_END_NONE;
		r->end_message[0] = '\0';
		/* Retrying where the last good record ended keeps its link checked. */
		expected_prev = start == r->next_rec_ptr ? r->read_rec_ptr : InvalidXLogRecPtr;
		r->next_rec_ptr = start;
	}
	else
	{
		if (r->ended)
			return WAL_READ_END;
		if (r->next_rec_ptr == InvalidXLogRecPtr)
			return reader_end(r, WAL_END_INVALID, 0, "no start position given");
		expected_prev = r->read_rec_ptr;
	}
	pos = r->next_rec_ptr;

	if (pos % MAXIMUM_ALIGNOF != 0 ||
		(WAL_PAGE_OFFSET(pos) != 0 && WAL_PAGE_OFFSET(pos) < WAL_PAGE_HEADER_SIZE_AT(pos)))
		return reader_end(r, WAL_END_INVALID, pos,
						  "invalid record position " WAL_PTR_FMT, WAL_PTR_ARGS(pos));

	/*
	 * The previous record ended exactly at a page end: this record starts
	 * after the next page's header, which must not claim a continuation.
	 */
	if (WAL_PAGE_OFFSET(pos) == 0)
	{
		if (!load_page(r, pos, false, &hdr))
			return WAL_READ_END;
		if (hdr.flags & WAL_PAGE_CONTINUATION)
			return reader_end(r, WAL_END_INVALID, pos,
							  "WAL page at " WAL_PTR_FMT " continues a record, expected "
							  "a new one", WAL_PTR_ARGS(pos));
		pos += WAL_PAGE_HEADER_SIZE_AT(pos);
	}
	rec_start = pos;

	/*
	 * Read the fixed header first and check what can be checked without the
	 * body, so garbage lengths never cause a large allocation. The length
	 * word never crosses a page: records start 8-aligned.
	 */
	if (!load_page(r, WAL_PAGE_START(pos), false, &hdr))
		return WAL_READ_END;
	total_len = get32(r->page_buf + WAL_PAGE_OFFSET(pos));
	if (total_len == 0)
		return reader_end(r, WAL_END_ZERO, pos, "zero record length at " WAL_PTR_FMT,
						  WAL_PTR_ARGS(pos));
	if (total_len < WAL_RECORD_HEADER_SIZE || total_len > WAL_MAX_RECORD_SIZE)
		return reader_end(r, WAL_END_INVALID, pos,
						  "invalid record length %u at " WAL_PTR_FMT, total_len,
						  WAL_PTR_ARGS(pos));
	if (!gather(r, rec_start, &pos, head, WAL_RECORD_HEADER_SIZE, &gathered, total_len))
		return WAL_READ_END;
	if (expected_prev != InvalidXLogRecPtr && get64(head + RH_PREV) != expected_prev)
		return reader_end(r, WAL_END_INVALID, rec_start,
						  "record at " WAL_PTR_FMT " has prev link " WAL_PTR_FMT
						  ", expected " WAL_PTR_FMT, WAL_PTR_ARGS(rec_start),
						  WAL_PTR_ARGS(get64(head + RH_PREV)), WAL_PTR_ARGS(expected_prev));

	if (!ensure_capacity(r, total_len))
		return reader_end(r, WAL_END_OUT_OF_MEMORY, rec_start,
						  "out of memory reading a record of %u bytes at " WAL_PTR_FMT,
						  total_len, WAL_PTR_ARGS(rec_start));
	memcpy(r->rec_buf, head, WAL_RECORD_HEADER_SIZE);
	if (!gather(r, rec_start, &pos, r->rec_buf + WAL_RECORD_HEADER_SIZE,
				total_len - WAL_RECORD_HEADER_SIZE, &gathered, total_len))
		return WAL_READ_END;

	st = WalRecordDecode(r->rec_buf, total_len, &r->decoded, errbuf);
	if (st != WAL_DECODE_OK)
		return reader_end(r, st == WAL_DECODE_BAD_CRC ? WAL_END_CRC : WAL_END_INVALID,
						  rec_start, "record at " WAL_PTR_FMT ": %s",
						  WAL_PTR_ARGS(rec_start), errbuf);

	r->read_rec_ptr = rec_start;
	r->end_rec_ptr = pos;
	r->next_rec_ptr = MAXALIGN(pos);
	*out = &r->decoded;
	return WAL_READ_OK;
}
