/*
 * block.h
 *	  Small types shared by every on-disk structure: block numbers, item
 *	  offsets within a page, WAL positions, and the tuple alignment rule.
 *
 * NOTES
 *	  Header only, no dependencies, so wal/, tools/ and unit tests can include
 *	  it without pulling in page or buffer code. Every on-disk integer is
 *	  stored in host byte order; tusk only builds for little-endian hosts and
 *	  data directories are not portable across byte orders (as in PostgreSQL).
 */
#ifndef TUSK_BLOCK_H
#define TUSK_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Block within one relation segment file set; counts from 0. */
typedef uint32_t BlockNumber;

#define InvalidBlockNumber ((BlockNumber) 0xFFFFFFFF)
#define MaxBlockNumber ((BlockNumber) 0xFFFFFFFE)

/*
 * Line pointer number within a page. 1-based, so that 0 can mean "none"
 * in item pointers and in PageAddItem's result.
 */
typedef uint16_t OffsetNumber;

#define InvalidOffsetNumber ((OffsetNumber) 0)
#define FirstOffsetNumber ((OffsetNumber) 1)
#define OffsetNumberNext(off) ((OffsetNumber) ((off) + 1))

/* Byte position in the WAL stream; 0 is never a valid record start. */
typedef uint64_t XLogRecPtr;

#define InvalidXLogRecPtr ((XLogRecPtr) 0)

/*
 * Tuples start on 8-byte boundaries so that 64-bit transaction ids and
 * expire times inside them can be read in place without memcpy.
 */
#define MAXIMUM_ALIGNOF 8
#define MAXALIGN(len) \
	(((uintptr_t) (len) + (MAXIMUM_ALIGNOF - 1)) & ~((uintptr_t) (MAXIMUM_ALIGNOF - 1)))
#define MAXALIGN_DOWN(len) \
	(((uintptr_t) (len)) & ~((uintptr_t) (MAXIMUM_ALIGNOF - 1)))

#endif
