/*
 * crc32c.c
 *	  CRC-32C with the SSE4.2 crc32 instruction when the CPU has it, and a
 *	  slice-by-8 table implementation everywhere else.
 *
 * NOTES
 *	  Runs in every process; no locks, no shared state. The tables and the
 *	  implementation pointer are filled by a constructor, i.e. before main()
 *	  in the postmaster, so every forked child starts with them ready and
 *	  nothing is ever written to them again. A call made from another
 *	  constructor that happens to run first still works: the pointer starts
 *	  out at crc32c_choose(), which does the same set-up.
 *
 *	  The state carried between calls is the finished CRC (post-inverted), so
 *	  each entry point inverts on the way in and on the way out. That is what
 *	  makes Crc32cExtend(Crc32c(a), b) == Crc32c(a || b).
 *
 *	  XXX: the hardware loop is a single dependency chain (the instruction
 *	  has a 3-cycle latency), about 1 us per 8 KiB page; interleaving three
 *	  streams would triple it if page checksums ever show up in profiles.
 *	  ARMv8 has CRC32C instructions too; aarch64 uses the table code for now.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "storage/crc32c.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define CRC32C_HAVE_X86 1
#include <nmmintrin.h>
#endif

/* The Castagnoli polynomial 0x1EDC6F41, bit-reversed for LSB-first use. */
#define CRC32C_POLY_REFLECTED 0x82F63B78u

/*
 * crc32c_table[k][b] is the CRC register after feeding byte b followed by k
 * zero bytes into a zero register; slice-by-8 folds eight input bytes with
 * eight independent lookups instead of a chain of eight.
 */
static uint32_t crc32c_table[8][256];
static bool crc32c_tables_ready;

static uint32_t crc32c_choose(uint32_t crc, const void *data, size_t len);

static uint32_t (*crc32c_impl) (uint32_t crc, const void *data, size_t len) = crc32c_choose;

static void
crc32c_build_tables(void)
{
	for (uint32_t b = 0; b < 256; b++)
	{
		uint32_t	r = b;

		for (int bit = 0; bit < 8; bit++)
			r = (r & 1) ? (r >> 1) ^ CRC32C_POLY_REFLECTED : r >> 1;
		crc32c_table[0][b] = r;
	}
	for (int k = 1; k < 8; k++)
		for (int b = 0; b < 256; b++)
		{
			uint32_t	prev = crc32c_table[k - 1][b];

			crc32c_table[k][b] = (prev >> 8) ^ crc32c_table[0][prev & 0xFF];
		}
	crc32c_tables_ready = true;
}

uint32_t
Crc32cExtendSw(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t	r = ~crc;

	if (!crc32c_tables_ready)
		crc32c_build_tables();

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The word loads below read bytes in stream order only on little-endian. */
	while (len >= 8)
	{
		uint32_t	lo;
		uint32_t	hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= r;
		r = crc32c_table[7][lo & 0xFF] ^
			crc32c_table[6][(lo >> 8) & 0xFF] ^
			crc32c_table[5][(lo >> 16) & 0xFF] ^
			crc32c_table[4][lo >> 24] ^
			crc32c_table[3][hi & 0xFF] ^
			crc32c_table[2][(hi >> 8) & 0xFF] ^
			crc32c_table[1][(hi >> 16) & 0xFF] ^
			crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
#endif
	while (len > 0)
	{
		r = (r >> 8) ^ crc32c_table[0][(r ^ *p) & 0xFF];
		p++;
		len--;
	}
	return ~r;
}

#ifdef CRC32C_HAVE_X86

__attribute__((target("sse4.2")))
static uint32_t
crc32c_sse42(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t	r = ~crc;

	/* Unaligned 8-byte loads are legal but slower across cache lines. */
	while (len > 0 && ((uintptr_t) p & 7) != 0)
	{
		r = _mm_crc32_u8(r, *p);
		p++;
		len--;
	}
#ifdef __x86_64__
	while (len >= 8)
	{
		uint64_t	w;

		memcpy(&w, p, 8);
		r = (uint32_t) _mm_crc32_u64(r, w);
		p += 8;
		len -= 8;
	}
#endif
	while (len >= 4)
	{
		uint32_t	w;

		memcpy(&w, p, 4);
		r = _mm_crc32_u32(r, w);
		p += 4;
		len -= 4;
	}
	while (len > 0)
	{
		r = _mm_crc32_u8(r, *p);
		p++;
		len--;
	}
	return ~r;
}

bool
Crc32cHwAvailable(void)
{
	/* May run before libgcc's own constructor has probed the CPU. */
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}

uint32_t
Crc32cExtendHw(uint32_t crc, const void *data, size_t len)
{
	return crc32c_sse42(crc, data, len);
}

#else							/* !CRC32C_HAVE_X86 */

bool
Crc32cHwAvailable(void)
{
	return false;
}

/* Never selected on this architecture; keeps the API the same everywhere. */
uint32_t
Crc32cExtendHw(uint32_t crc, const void *data, size_t len)
{
	return Crc32cExtendSw(crc, data, len);
}

#endif

__attribute__((constructor))
static void
crc32c_init(void)
{
	crc32c_build_tables();
	crc32c_impl = Crc32cHwAvailable() ? Crc32cExtendHw : Crc32cExtendSw;
}

static uint32_t
crc32c_choose(uint32_t crc, const void *data, size_t len)
{
	crc32c_init();
	return crc32c_impl(crc, data, len);
}

uint32_t
Crc32cExtend(uint32_t crc, const void *data, size_t len)
{
	return crc32c_impl(crc, data, len);
}
