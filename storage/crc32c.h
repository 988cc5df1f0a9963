/*
 * crc32c.h
 *	  CRC-32C (Castagnoli), the checksum of data pages, WAL records and the
 *	  control file.
 *
 * NOTES
 *	  The convention is the common one (iSCSI, ext4, PostgreSQL's
 *	  pg_crc32c, Intel's crc32 instruction with pre- and post-inversion):
 *	  Crc32c("123456789", 9) == 0xE3069283, Crc32c of nothing is 0, and
 *	  Crc32cExtend(Crc32c(a), b) == Crc32c(a || b), so a WAL record can be
 *	  summed piece by piece as it is assembled.
 *
 *	  Pure functions with no shared state; safe in any process. The choice
 *	  between the SSE4.2 instruction and the table code is made once per
 *	  process image, before main() runs, so the postmaster makes it and the
 *	  forked children inherit it.
 */
#ifndef TUSK_CRC32C_H
#define TUSK_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Continue a checksum: crc is a previous result (0 to start). */
uint32_t	Crc32cExtend(uint32_t crc, const void *data, size_t len);

static inline uint32_t
Crc32c(const void *data, size_t len)
{
	return Crc32cExtend(0, data, len);
}

/*
 * The two implementations behind Crc32cExtend, exported so that tests can
 * check them against each other and tools/bench can time them. Call
 * Crc32cExtendHw only when Crc32cHwAvailable() says so.
 */
uint32_t	Crc32cExtendSw(uint32_t crc, const void *data, size_t len);
uint32_t	Crc32cExtendHw(uint32_t crc, const void *data, size_t len);
bool		Crc32cHwAvailable(void);

#endif
