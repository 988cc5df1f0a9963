/*
 * scriptcache.h
 *	  The server-wide cache of Lua scripts by SHA1 (EVAL, EVALSHA, SCRIPT
 *	  LOAD/EXISTS/FLUSH), in shared memory.
 *
 * NOTES
 *	  Redis keeps one script cache for the whole server: a script EVAL'd
 *	  or loaded on one connection runs with EVALSHA on any other. Backends
 *	  are separate processes here, so the script texts live in a bounded
 *	  shared table (script_cache_size bytes, laid out by the postmaster);
 *	  each backend compiles what it runs into its own Lua state
 *	  (server/cmd_script.c). SCRIPT FLUSH empties the table and bumps a
 *	  generation number; a backend that sees a new generation drops its Lua
 *	  state before running anything, so a flushed script is gone for all.
 *	  See server/README.md, "Scripting".
 */
#ifndef TUSK_SCRIPTCACHE_H
#define TUSK_SCRIPTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_SHA_LEN 40

typedef enum ScriptCacheStatus
{
	SCRIPT_CACHE_OK,			/* added, or already there */
	SCRIPT_CACHE_FULL,			/* no room: SCRIPT FLUSH empties it */
} ScriptCacheStatus;

size_t		ScriptCacheShmemSize(void);
void		ScriptCacheShmemInit(void);

/* SHA1 of data as 40 lower-case hex digits and a NUL (Redis's sha1hex). */
void		ScriptSha1Hex(const void *data, size_t len, char out[SCRIPT_SHA_LEN + 1]);

/* Add body under sha (lower-case hex); nothing changes if it is there. */
ScriptCacheStatus ScriptCacheAdd(const char *sha, const char *body, size_t len);

/*
 * The body cached under sha (any case), copied into MemAlloc'd memory
 * (*len bytes plus a NUL), or NULL if there is none.
 */
char	   *ScriptCacheGet(const char *sha, size_t sha_len, size_t *len);
bool		ScriptCacheExists(const char *sha, size_t sha_len);

/* SCRIPT FLUSH: empty the cache and start a new generation. */
void		ScriptCacheFlush(void);
uint64_t	ScriptCacheGeneration(void);

/* INFO memory: scripts cached and the bytes their texts take. */
void		ScriptCacheUsage(uint64_t *count, uint64_t *bytes);

#endif
