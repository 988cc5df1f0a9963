/*
 * fuzz_resp.c
 *	  libFuzzer target for the request parser (server/resp.c).
 *
 * NOTES
 *	  The input is the byte stream a client sends. It is parsed the way a
 *	  backend does: the parser gets the bytes of the current request from
 *	  its first byte, in chunks, and is reset after each request; parsing
 *	  stops at the first protocol error (the connection would close). Each
 *	  call gets a fresh allocation of exactly the bytes received so far, so
 *	  AddressSanitizer catches any read past `len` and any pointer kept
 *	  into an earlier buffer.
 *
 *	  Every input is parsed several ways: whole, in random-sized chunks from
 *	  a generator seeded with a hash of the input, and (for short inputs)
 *	  one byte at a time; as an authenticated client with the default
 *	  proto-max-bulk-len and as an unauthenticated one with the smallest.
 *	  Invariants checked on every result: consumed <= bytes given and > 0
 *	  for a request, every argument inside the request, a non-empty error
 *	  text. Inputs up to RESP_INLINE_MAX_SIZE must give the same sequence of
 *	  results however they are chunked (beyond that, whether a long line is
 *	  "too big" depends on how it arrives, in Redis too). A violated
 *	  invariant calls abort(), which libFuzzer reports as a crash.
 *
 *	  Private memory comes from libc here, not jemalloc, so that ASan sees
 *	  every allocation: this file provides storage/mem.h.
 *
 *	  Build and run: tests/README.md.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/resp.h"
#include "storage/mem.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------ storage/mem.h on libc */

void *
MemAlloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
MemAllocZero(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
MemRealloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void
MemFree(void *ptr)
{
	free(ptr);
}

char *
MemStrndup(const char *s, size_t n)
{
	char	   *p = MemAlloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
MemStrdup(const char *s)
{
	return MemStrndup(s, strlen(s));
}

size_t
MemAllocatedBytes(void)
{
	return 0;
}

/* ------------------------------------------------------------ the target */

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_resp: invariant failed: %s (line %d)\n", #cond, __LINE__); \
			abort(); \
		} \
	} while (0)

typedef enum Chunking
{
	CHUNK_WHOLE,
	CHUNK_RANDOM,
	CHUNK_BYTES,
} Chunking;

static uint64_t
hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/*
 * Check one result and fold it into the running hash. RESP_NEED_MORE is not
 * hashed: how often the parser asks for more depends on the chunking, the
 * rest must not.
 */
static uint64_t
check_result(uint64_t h, RespStatus st, const RespParser *p, const char *req, size_t have)
{
	if (st != RESP_NEED_MORE)
		h = hash_bytes(h, &st, sizeof(st));
	switch (st)
	{
		case RESP_REQUEST:
			CHECK(p->argc > 0);
			CHECK(p->consumed > 0);
			CHECK(p->consumed <= have);
			h = hash_bytes(h, &p->consumed, sizeof(p->consumed));
			h = hash_bytes(h, &p->argc, sizeof(p->argc));
			for (int i = 0; i < p->argc; i++)
			{
				const char *arg = RespArgPtr(p, req, i);
				size_t		len = RespArgLen(p, i);

				CHECK(arg != NULL);
				if (p->inline_argv == NULL)
				{
					CHECK(p->argv[i].offset <= p->consumed);
					CHECK(p->argv[i].len <= p->consumed - p->argv[i].offset);
				}
				/* reading every byte lets ASan check the argument */
				h = hash_bytes(h, &len, sizeof(len));
				h = hash_bytes(h, arg, len);
			}
			break;
		case RESP_EMPTY:
			CHECK(p->consumed > 0);
			CHECK(p->consumed <= have);
			h = hash_bytes(h, &p->consumed, sizeof(p->consumed));
			break;
		case RESP_ERROR:
			CHECK(p->error != NULL);
			CHECK(p->error[0] != '\0');
			CHECK(strlen(p->error) < 64);
			h = hash_bytes(h, p->error, strlen(p->error));
			break;
		case RESP_NEED_MORE:
			CHECK(p->pos <= have);
			break;
		default:
			CHECK(!"unknown status");
	}
	return h;
}

/* Parse the stream as a backend would; returns a hash of all results. */
static uint64_t
run(const uint8_t *data, size_t size, bool authenticated, long long max_bulk_len,
	Chunking chunking, uint64_t seed)
{
	RespParser	p;
	size_t		start = 0,
				avail = 0;
	bool		need_bytes = true;
	uint64_t	h = 14695981039346656037ull;
	uint64_t	rng = seed;
	size_t		max_chunk = 1 + (size_t) (seed % 64);

	RespParserInit(&p, max_bulk_len);
	for (;;)
	{
		size_t		have;
		char	   *copy;
		RespStatus	st;

		if (need_bytes)
		{
			size_t		chunk;

			if (avail == size)
				break;
			if (chunking == CHUNK_WHOLE)
				chunk = size;
			else if (chunking == CHUNK_BYTES)
				chunk = 1;
			else
				chunk = 1 + (size_t) (rng_next(&rng) % max_chunk);
			if (chunk > size - avail)
				chunk = size - avail;
			avail += chunk;
		}
		have = avail - start;
		copy = malloc(have ? have : 1);
		CHECK(copy != NULL);
		memcpy(copy, data + start, have);
		p.authenticated = authenticated;
		p.max_bulk_len = max_bulk_len;
		st = RespParse(&p, copy, have);
		h = check_result(h, st, &p, copy, have);
		free(copy);
		if (st == RESP_NEED_MORE)
		{
			need_bytes = true;
			continue;
		}
		if (st == RESP_ERROR)
			break;
		start += p.consumed;
		CHECK(start <= avail);
		RespParserReset(&p);
		need_bytes = false;
	}
	RespParserFree(&p);
	/* what is left unparsed is part of the outcome */
	h = hash_bytes(h, &start, sizeof(start));
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t	seed = hash_bytes(14695981039346656037ull, data, size);
	static const struct
	{
		bool		authenticated;
		long long	max_bulk_len;
	}			modes[] = {
		{true, 512LL * 1024 * 1024},
		{false, 1024 * 1024},
	};

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
	{
		uint64_t	whole = run(data, size, modes[m].authenticated,
								modes[m].max_bulk_len, CHUNK_WHOLE, seed);
		uint64_t	random = run(data, size, modes[m].authenticated,
								 modes[m].max_bulk_len, CHUNK_RANDOM, seed);

		if (size <= RESP_INLINE_MAX_SIZE)
			CHECK(whole == random);
		if (size <= 512)
		{
			uint64_t	bytes = run(data, size, modes[m].authenticated,
									modes[m].max_bulk_len, CHUNK_BYTES, seed);

			CHECK(whole == bytes);
		}
	}
	return 0;
}
