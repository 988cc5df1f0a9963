/*
 * scriptcache.c
 *	  The shared script cache; see scriptcache.h.
 *
 * NOTES
 *	  Runs in backends; laid out by the postmaster (StorageShmemInit), which
 *	  never touches it afterwards. ScriptCache.lock (an LWLock, tranche
 *	  ScriptCache) protects every field but generation: lookups take it
 *	  SHARED, adds and SCRIPT FLUSH EXCLUSIVE; it is held only to copy
 *	  bytes (never with a key lock's wait or I/O). generation is written
 *	  under the lock EXCLUSIVE and read without it (an atomic).
 *
 *	  Layout: the header, an open-addressing table of nslots slots keyed
 *	  by the SHA1 (filled at most to 3/4; slots are never removed one by
 *	  one, only all together by SCRIPT FLUSH, so there are no tombstones),
 *	  then an arena the script texts are appended to. When the table or
 *	  the arena is full ScriptCacheAdd fails: EVAL still runs the script
 *	  (the backend keeps its compiled copy), SCRIPT LOAD replies an error.
 */
#include "config.h"

#include "server/scriptcache.h"
#include "server/settings.h"
#include "storage/lwlock.h"
#include "storage/mem.h"
#include "storage/shmem.h"

#include <ctype.h>
#include <stdatomic.h>
#include <string.h>

typedef struct ScriptSlot
{
	char		sha[SCRIPT_SHA_LEN];	/* lower-case hex; sha[0] == 0: free */
	uint32_t	len;			/* body bytes */
	uint64_t	offset;			/* in the arena */
} ScriptSlot;

typedef struct ScriptCache
{
	LWLock		lock;
	_Atomic uint64_t generation;	/* bumped by SCRIPT FLUSH */
	uint32_t	nslots;			/* power of two */
	uint32_t	nused;
	uint64_t	arena_size;
	uint64_t	arena_used;
	ScriptSlot	slots[];		/* then the arena */
} ScriptCache;

static ScriptCache *cache;

static uint32_t
slots_for(size_t total)
{
	uint32_t	n = 64;

	/* about one slot per 512 bytes: scripts are rarely shorter than 256 */
	while ((size_t) n * 2 * 512 <= total && n < (1u << 24))
		n *= 2;
	return n;
}

size_t
ScriptCacheShmemSize(void)
{
	size_t		total = (size_t) server_config->script_cache_size;

	return sizeof(ScriptCache) + sizeof(ScriptSlot) * slots_for(total) + total;
}

void
ScriptCacheShmemInit(void)
{
	size_t		total = (size_t) server_config->script_cache_size;
	uint32_t	nslots = slots_for(total);

	cache = ShmemAlloc(ScriptCacheShmemSize());
	memset(cache, 0, sizeof(ScriptCache) + sizeof(ScriptSlot) * nslots);
	LWLockInit(&cache->lock, LWTRANCHE_SCRIPTCACHE);
	atomic_store(&cache->generation, 1);
	cache->nslots = nslots;
	cache->arena_size = total;
}

static char *
arena(void)
{
	return (char *) &cache->slots[cache->nslots];
}

/* The slot holding sha, or the free slot where it would go. */
static ScriptSlot *
find_slot(const char *sha)
{
	uint32_t	h = 0;

	for (int i = 0; i < 8; i++)
		h = h * 16 + (uint32_t) (isdigit((unsigned char) sha[i]) ? sha[i] - '0' : sha[i] - 'a' + 10);
	for (uint32_t i = h & (cache->nslots - 1);; i = (i + 1) & (cache->nslots - 1))
	{
		ScriptSlot *s = &cache->slots[i];

		if (s->sha[0] == '\0' || memcmp(s->sha, sha, SCRIPT_SHA_LEN) == 0)
			return s;
	}
}

/* sha as lower-case hex into out; false if it cannot be a SHA1. */
static bool
normalize_sha(const char *sha, size_t len, char out[SCRIPT_SHA_LEN])
{
	if (len != SCRIPT_SHA_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		ch = (char) tolower((unsigned char) sha[i]);

		if (!isxdigit((unsigned char) ch))
			return false;
		out[i] = ch;
	}
	return true;
}

ScriptCacheStatus
ScriptCacheAdd(const char *sha, const char *body, size_t len)
{
	ScriptSlot *s;
	ScriptCacheStatus st = SCRIPT_CACHE_OK;

	LWLockAcquire(&cache->lock, LW_EXCLUSIVE);
	s = find_slot(sha);
	if (s->sha[0] == '\0')
	{
		if ((cache->nused + 1) * 4 > cache->nslots * 3 || len > UINT32_MAX ||
			len > cache->arena_size - cache->arena_used)
			st = SCRIPT_CACHE_FULL;
		else
		{
			memcpy(arena() + cache->arena_used, body, len);
			s->offset = cache->arena_used;
			s->len = (uint32_t) len;
			memcpy(s->sha, sha, SCRIPT_SHA_LEN);
			cache->arena_used += len;
			cache->nused++;
		}
	}
	LWLockRelease(&cache->lock);
	return st;
}

char *
ScriptCacheGet(const char *sha, size_t sha_len, size_t *len)
{
	char		key[SCRIPT_SHA_LEN];
	char	   *body = NULL;
	ScriptSlot *s;

	if (!normalize_sha(sha, sha_len, key))
		return NULL;
	LWLockAcquire(&cache->lock, LW_SHARED);
	s = find_slot(key);
	if (s->sha[0] != '\0')
	{
		body = MemAlloc((size_t) s->len + 1);
		memcpy(body, arena() + s->offset, s->len);
		body[s->len] = '\0';
		*len = s->len;
	}
	LWLockRelease(&cache->lock);
	return body;
}

bool
ScriptCacheExists(const char *sha, size_t sha_len)
{
	char		key[SCRIPT_SHA_LEN];
	bool		found;

	if (!normalize_sha(sha, sha_len, key))
		return false;
	LWLockAcquire(&cache->lock, LW_SHARED);
	found = find_slot(key)->sha[0] != '\0';
	LWLockRelease(&cache->lock);
	return found;
}

void
ScriptCacheFlush(void)
{
	LWLockAcquire(&cache->lock, LW_EXCLUSIVE);
	memset(cache->slots, 0, sizeof(ScriptSlot) * cache->nslots);
	cache->nused = 0;
	cache->arena_used = 0;
	atomic_fetch_add(&cache->generation, 1);
	LWLockRelease(&cache->lock);
}

uint64_t
ScriptCacheGeneration(void)
{
	return atomic_load(&cache->generation);
}

void
ScriptCacheUsage(uint64_t *count, uint64_t *bytes)
{
	LWLockAcquire(&cache->lock, LW_SHARED);
	*count = cache->nused;
	*bytes = cache->arena_used;
	LWLockRelease(&cache->lock);
}

/* ------------------------------------------------------------------ SHA1 */

/* FIPS 180-4, section 6.1: one 64-byte block into the state h. */
static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t	w[80];
	uint32_t	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t) p[4 * t] << 24 | (uint32_t) p[4 * t + 1] << 16 |
			(uint32_t) p[4 * t + 2] << 8 | (uint32_t) p[4 * t + 3];
	for (int t = 16; t < 80; t++)
	{
		uint32_t	x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];

		w[t] = x << 1 | x >> 31;
	}
	for (int t = 0; t < 80; t++)
	{
		uint32_t	f, k, tmp;

		if (t < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (t < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (t < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		tmp = (a << 5 | a >> 27) + f + e + k + w[t];
		e = d;
		d = c;
		c = b << 30 | b >> 2;
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
ScriptSha1Hex(const void *data, size_t len, char out[SCRIPT_SHA_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint32_t	h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t		rest = len % 64, tail_len;
	uint64_t	bits = (uint64_t) len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha1_block(h, p + i);
	/* the last partial block, 0x80, zeros, the length in bits */
	memset(tail, 0, sizeof(tail));
	if (rest > 0)
		memcpy(tail, p + len - rest, rest);
	tail[rest] = 0x80;
	tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tail_len - 1 - i] = (unsigned char) (bits >> (8 * i));
	sha1_block(h, tail);
	if (tail_len == 128)
		sha1_block(h, tail + 64);
	for (int i = 0; i < 20; i++)
	{
		unsigned char byte = (unsigned char) (h[i / 4] >> (24 - 8 * (i % 4)));

		out[2 * i] = hex[byte >> 4];
		out[2 * i + 1] = hex[byte & 15];
	}
	out[SCRIPT_SHA_LEN] = '\0';
}
