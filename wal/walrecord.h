/*
 * walrecord.h
 *	  The WAL record format (builder and decoder), WAL positions and segment
 *	  file names, the WAL page header, and a reader that turns a byte source
 *	  into a sequence of validated records.
 *
 * NOTES
 *	  No sockets, no buffer manager, no shared memory and no logging: the
 *	  insert path, redo, tusk-waldump and the unit tests all link this file
 *	  alone (plus storage/crc32c.c). Byte tables and invariants are in
 *	  wal/README.md; this header only names things.
 *
 *	  A WalRecordBuilder keeps pointers to the caller's data (pages, block
 *	  data, main data) rather than copies, so everything registered must stay
 *	  put until the assembled iovecs have been copied into WAL buffers. The
 *	  builder is private to one process and needs no lock.
 *
 *	  A WalReader is private to one process too (startup process during
 *	  recovery, tusk-waldump). It reads whole WAL pages through a callback, so
 *	  it does not know whether bytes come from segment files, WAL buffers or
 *	  a test's array.
 *
 *	  All integers are in host byte order (little-endian only, see
 *	  storage/block.h).
 */
#ifndef TUSK_WALRECORD_H
#define TUSK_WALRECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "storage/block.h"
#include "storage/bufpage.h"

/* ---------------------------------------------------------------- positions */

#define WAL_SEGMENT_SIZE ((uint64_t) 16 * 1024 * 1024)
#define WAL_PAGE_SIZE 8192
#define WAL_PAGES_PER_SEGMENT ((uint32_t) (WAL_SEGMENT_SIZE / WAL_PAGE_SIZE))

/* tusk never forks timelines (no point-in-time recovery yet). */
#define WAL_TIMELINE 1

/* Segments per 4 GiB "log id", the high part of a segment file name. */
#define WAL_SEGMENTS_PER_LOGID ((uint64_t) 0x100000000 / WAL_SEGMENT_SIZE)

#define WAL_SEGMENT_NUMBER(ptr) ((uint64_t) (ptr) / WAL_SEGMENT_SIZE)
#define WAL_SEGMENT_START(segno) ((XLogRecPtr) (segno) * WAL_SEGMENT_SIZE)
#define WAL_SEGMENT_OFFSET(ptr) ((uint32_t) ((uint64_t) (ptr) % WAL_SEGMENT_SIZE))
#define WAL_PAGE_OFFSET(ptr) ((uint32_t) ((uint64_t) (ptr) % WAL_PAGE_SIZE))
#define WAL_PAGE_START(ptr) ((XLogRecPtr) (ptr) - WAL_PAGE_OFFSET(ptr))

/* "%X/%X" arguments, as PostgreSQL prints LSNs. */
#define WAL_PTR_FMT "%X/%08X"
#define WAL_PTR_ARGS(ptr) (unsigned) ((uint64_t) (ptr) >> 32), (unsigned) (ptr)

/* Segment file name: 24 hex digits plus NUL. */
#define WAL_FILE_NAME_LEN 24

void		WalFileName(char *out, uint64_t segno);
bool		WalFileNameParse(const char *name, uint64_t *segno);

/*
 * Usable byte positions count only record bytes, not page headers; the
 * insert path reserves space in these units (one addition under a spinlock)
 * and converts afterwards. The "End" variant maps a position that falls on a
 * page boundary to the boundary itself instead of past the next page header.
 */
XLogRecPtr	WalBytePosToRecPtr(uint64_t bytepos);
XLogRecPtr	WalBytePosToEndRecPtr(uint64_t bytepos);
uint64_t	WalRecPtrToBytePos(XLogRecPtr ptr);

/* ---------------------------------------------------------- WAL page header */

#define WAL_PAGE_MAGIC 0xD17A	/* bump when the page or record format changes */

#define WAL_PAGE_CONTINUATION 0x0001	/* page starts with the rest of a record */
#define WAL_PAGE_LONG_HEADER 0x0002		/* first page of a segment */
#define WAL_PAGE_ALL_FLAGS (WAL_PAGE_CONTINUATION | WAL_PAGE_LONG_HEADER)

#define WAL_SHORT_PAGE_HEADER_SIZE 16
#define WAL_LONG_PAGE_HEADER_SIZE 32

typedef struct WalPageHeader
{
	uint16_t	magic;
	uint16_t	flags;
	uint32_t	rem_len;		/* bytes of a continued record on this and
								 * later pages; 0 without CONTINUATION */
	XLogRecPtr	page_addr;		/* WAL position of this page */
	/* long header only (first page of a segment): */
	uint64_t	system_identifier;
	uint32_t	segment_size;
	uint32_t	page_size;
} WalPageHeader;

#define WAL_PAGE_HEADER_SIZE_AT(ptr) \
	(WAL_SEGMENT_OFFSET(WAL_PAGE_START(ptr)) == 0 ? \
	 WAL_LONG_PAGE_HEADER_SIZE : WAL_SHORT_PAGE_HEADER_SIZE)

/*
 * Fill a header for the page at page_addr (flags get LONG_HEADER when the
 * page starts a segment) and encode it; returns the bytes written.
 */
void		WalPageHeaderMake(WalPageHeader *hdr, XLogRecPtr page_addr,
							  uint32_t rem_len, uint64_t system_identifier);
size_t		WalPageHeaderEncode(char *dst, const WalPageHeader *hdr);
size_t		WalPageHeaderDecode(const char *src, WalPageHeader *hdr);

/* --------------------------------------------------------- record contents */

/* Resource managers: who knows how to redo a record. Never renumber. */
typedef enum WalRmgrId
{
	WAL_RM_XLOG = 0,			/* checkpoints, switch, no-op */
	WAL_RM_XACT = 1,			/* commit, abort */
	WAL_RM_STORAGE = 2,			/* create or truncate relation files */
	WAL_RM_CLOG = 3,			/* commit log page zeroing and truncation */
	WAL_RM_HEAP = 4,
	WAL_RM_BTREE = 5,
} WalRmgrId;

#define WAL_RM_MAX_ID WAL_RM_BTREE

/* The low 4 bits of info are the rm's opcode; the high 4 bits its flags. */
#define WAL_INFO_OPMASK 0x0F

#define WAL_RECORD_HEADER_SIZE 32
#define WAL_MAX_BLOCKS 32		/* block ids are 0 .. WAL_MAX_BLOCKS-1 */
#define WAL_MAX_DATA_CHUNKS 64	/* RegisterData + RegisterBlockData calls */
#define WAL_MAX_BLOCK_DATA 0xFFFF	/* per block; data_len is a uint16 */
#define WAL_BLOCK_HEADER_MAX 17
#define WAL_MAX_RECORD_SIZE ((uint32_t) 64 * 1024 * 1024)

/* Block reference flags, on disk. Callers pass only WAL_BKP_WILL_INIT. */
#define WAL_BKP_HAS_IMAGE 0x01	/* full-page image follows */
#define WAL_BKP_HAS_DATA 0x02	/* data_len bytes of per-block data follow */
#define WAL_BKP_WILL_INIT 0x04	/* redo rebuilds the page from nothing */
#define WAL_BKP_SAME_REL 0x08	/* rel and fork as the previous block's */
#define WAL_BKP_ALL_FLAGS 0x0F

/* Room callers give for error messages (errbuf may also be NULL). */
#define WAL_ERRBUF_SIZE 256

/*
 * One block reference of a decoded record. Pointers point into the buffer
 * that was decoded (for a WalReader: its record buffer, valid until the
 * next WalReaderNext).
 */
typedef struct DecodedWalBlock
{
	uint8_t		block_id;
	uint8_t		flags;			/* WAL_BKP_* as stored */
	uint32_t	rel;
	uint8_t		fork;
	BlockNumber blkno;
	bool		has_image;
	uint16_t	hole_offset;
	uint16_t	hole_length;	/* the image is BLCKSZ - hole_length bytes */
	const char *image;
	uint16_t	data_len;
	const char *data;			/* NULL when data_len is 0 */
} DecodedWalBlock;

typedef struct DecodedWalRecord
{
	uint32_t	total_len;
	uint32_t	crc;
	uint64_t	xid;
	XLogRecPtr	prev;
	uint8_t		rmid;
	uint8_t		info;
	int			nblocks;
	DecodedWalBlock blocks[WAL_MAX_BLOCKS];	/* ascending block_id */
	uint32_t	main_len;
	const char *main_data;		/* NULL when main_len is 0 */
	const char *raw;			/* the whole record, total_len bytes */
} DecodedWalRecord;

/* ------------------------------------------------------------------ builder */

typedef struct WalBuilderBlock
{
	uint8_t		flags;
	uint8_t		fork;
	uint32_t	rel;
	BlockNumber blkno;
	const char *page;			/* NULL: no image */
	uint16_t	hole_offset;
	uint16_t	hole_length;
	uint32_t	data_len;		/* sum of this block's chunks */
} WalBuilderBlock;

typedef struct WalBuilderChunk
{
	const char *data;
	uint32_t	len;
	int			block_id;		/* -1: main data */
} WalBuilderChunk;

/* header + up to two pieces per image + every chunk */
#define WAL_MAX_IOV (1 + 2 * WAL_MAX_BLOCKS + WAL_MAX_DATA_CHUNKS)

typedef struct WalRecordBuilder
{
	uint8_t		rmid;
	uint8_t		info;
	uint64_t	xid;
	uint32_t	used_blocks;	/* bit per registered block id */
	WalBuilderBlock blocks[WAL_MAX_BLOCKS];
	int			nchunks;
	WalBuilderChunk chunks[WAL_MAX_DATA_CHUNKS];
	uint64_t	main_len;
	char		error[WAL_ERRBUF_SIZE];	/* first registration error, or "" */

	/* filled by WalRecordAssemble */
	uint32_t	total_len;
	uint32_t	body_crc;		/* CRC of bytes [WAL_RECORD_HEADER_SIZE, total_len) */
	int			niov;
	struct iovec iov[WAL_MAX_IOV];
	_Alignas(8) char hdr[WAL_RECORD_HEADER_SIZE + WAL_MAX_BLOCKS * WAL_BLOCK_HEADER_MAX];
} WalRecordBuilder;

/*
 * Registration never allocates. A registration error (bad id, too much
 * data, ...) is a caller bug; it returns false and is also remembered, so
 * WalRecordAssemble fails with the first one and callers may check once.
 */
void		WalRecordBegin(WalRecordBuilder *b, uint8_t rmid, uint8_t info, uint64_t xid);
bool		WalRecordRegisterBlock(WalRecordBuilder *b, uint8_t block_id, uint32_t rel,
								   uint8_t fork, BlockNumber blkno, uint8_t flags,
								   const char *page_or_null);
bool		WalRecordRegisterBlockData(WalRecordBuilder *b, uint8_t block_id,
									   const void *data, uint32_t len);
bool		WalRecordRegisterData(WalRecordBuilder *b, const void *data, uint32_t len);

/*
 * Lay out the record as iovecs (b->iov[0 .. b->niov), pointing into b and
 * into registered data) and compute its CRC with prev stamped in. The body
 * CRC is kept, so WalRecordSetPrev can restamp prev in O(header) once the
 * insert position is known.
 */
bool		WalRecordAssemble(WalRecordBuilder *b, XLogRecPtr prev,
							  const struct iovec **iov, int *niov, uint32_t *total_len,
							  char *errbuf);
void		WalRecordSetPrev(WalRecordBuilder *b, XLogRecPtr prev);

/* Assemble and flatten into out (cap bytes); for tools and tests. */
bool		WalRecordAssembleFlat(WalRecordBuilder *b, XLogRecPtr prev, char *out,
								  size_t cap, uint32_t *total_len, char *errbuf);

/* ------------------------------------------------------------------ decoder */

typedef enum WalDecodeStatus
{
	WAL_DECODE_OK = 0,
	WAL_DECODE_TORN,			/* fewer bytes than the record claims */
	WAL_DECODE_ZERO,			/* total_len is 0: never-written space */
	WAL_DECODE_BAD_CRC,
	WAL_DECODE_INVALID,			/* CRC may be fine, the contents are not */
} WalDecodeStatus;

/* CRC as stored in a record's header; the record must be complete. */
uint32_t	WalRecordComputeCrc(const char *rec, uint32_t total_len);

WalDecodeStatus WalRecordDecode(const char *buf, size_t len, DecodedWalRecord *out,
								char *errbuf);
bool		WalRestoreBlockImage(const DecodedWalRecord *rec, int block_index,
								 char *page_out);
const DecodedWalBlock *WalRecordGetBlock(const DecodedWalRecord *rec, uint8_t block_id);
const char *WalRmgrName(uint8_t rmid);

/* ------------------------------------------------------------------- reader */

/*
 * Read len bytes (a whole WAL page) at pos into buf. Return len, fewer when
 * that WAL does not exist (missing segment, end of file), or -1 on an I/O
 * error (errno set).
 */
typedef ssize_t (*WalReadCallback) (void *arg, XLogRecPtr pos, char *buf, size_t len);

typedef enum WalReadStatus
{
	WAL_READ_OK,
	WAL_READ_END,
} WalReadStatus;

typedef enum WalEndReason
{
	WAL_END_NONE = 0,
	WAL_END_NO_DATA,			/* the callback had no page there */
	WAL_END_ZERO,				/* zeroed space where a record would start */
	WAL_END_TORN,				/* record runs into missing or zeroed WAL */
	WAL_END_CRC,
	WAL_END_BAD_PAGE,			/* bad magic, flags or long header */
	WAL_END_BAD_PAGE_ADDRESS,	/* page from another WAL position: recycled */
	WAL_END_INVALID,			/* bad length, prev link or record contents */
	WAL_END_READ_ERROR,
	WAL_END_OUT_OF_MEMORY,
} WalEndReason;

typedef struct WalReader
{
	WalReadCallback read_cb;
	void	   *read_arg;
	uint64_t	system_identifier;	/* 0 until set or seen in a long header */

	XLogRecPtr	read_rec_ptr;	/* start of the record last returned */
	XLogRecPtr	end_rec_ptr;	/* end of it: the LSN redo stamps on pages */
	XLogRecPtr	next_rec_ptr;	/* where the next record starts */

	bool		ended;
	WalEndReason end_reason;
	XLogRecPtr	end_ptr;		/* where reading stopped */
	char		end_message[WAL_ERRBUF_SIZE];

	XLogRecPtr	page_addr;		/* page cached in page_buf, if page_valid */
	bool		page_valid;
	_Alignas(8) char page_buf[WAL_PAGE_SIZE];

	char	   *rec_buf;		/* grows to the largest record read */
	size_t		rec_cap;
	DecodedWalRecord decoded;
} WalReader;

/* WalReaderFree releases the record buffer; call it before re-initialising. */
void		WalReaderInit(WalReader *r, WalReadCallback read_cb, void *arg);
void		WalReaderSetSystemIdentifier(WalReader *r, uint64_t system_identifier);
WalReadStatus WalReaderNext(WalReader *r, XLogRecPtr start, DecodedWalRecord **out);
const char *WalEndReasonName(WalEndReason reason);
void		WalReaderFree(WalReader *r);

#endif
