/*
 * zset.h
 *	  What the sorted-set commands (server/cmd_zset.c, cmd_zset_ops.c)
 *	  share: the decoded sorted set, its stored form and its replies.
 *
 * NOTES
 *	  A sorted set is stored inline through collection.c's element codec:
 *	  one element per member, in (score, member) order, each element being
 *	  the score (8-byte IEEE double, little-endian) followed by the member
 *	  (storage/README.md, "Keyspace"). Decoded, the members point into the
 *	  loaded value or into the command's arguments, so a Zset lives no
 *	  longer than the KsValue it came from and the command.
 */
#ifndef TUSK_ZSET_H
#define TUSK_ZSET_H

#include <stdbool.h>
#include <stddef.h>

#include "server/server.h"
#include "storage/keyspace.h"

#define ZSET_MAX_BYTES (1024 * 1024)

/* Redis 7.0's zset-max-listpack-entries and zset-max-listpack-value */
#define ZSET_LISTPACK_MAX_ENTRIES 128
#define ZSET_LISTPACK_MAX_VALUE	  64

typedef struct ZElem
{
	double score;
	const char *m;
	size_t len;
} ZElem;

typedef struct Zset
{
	ZElem *e;
	long n;
	long cap;
} Zset;

void ZsetFree(Zset *z);
void ZsetAppend(Zset *z, double score, const char *m, size_t len);
/* Order by score, then member bytes (memcmp, the shorter first on a tie). */
int ZsetCompare(const ZElem *a, const ZElem *b);
void ZsetSort(Zset *z);
int ZsetMemberCompare(const char *a, size_t alen, const char *b, size_t blen);

/*
 * A loaded value as a sorted set (missing: empty). With sets_too a set is
 * accepted too, every member scored 1 (ZUNION and friends). False after
 * the WRONGTYPE or storage error reply.
 */
bool ZsetFromValue(Client *c, const KsValue *v, bool sets_too, Zset *z);

/*
 * Store z (sorted) as key argv[argi], replacing cur; empty deletes the
 * key. in_place: z is cur changed (ZADD, ZREM, ZPOPMIN ...), so cur's
 * expiry and its skiplist encoding are kept; otherwise z is a new value
 * (the STORE commands: no TTL, encoding by contents). Refused past
 * ZSET_MAX_BYTES. False after an error reply.
 */
bool ZsetStore(Client *c, int argi, Zset *z, const KsValue *cur, bool in_place);

/*
 * z's element positions ordered by member, for ZsetIndexFind (a binary
 * search): -1 if absent. Covers the n elements z had when it was built;
 * valid while those are not moved. Free with ZsetIndexFree.
 */
typedef struct ZsetIndex
{
	long *pos;
	long n;
} ZsetIndex;

void ZsetIndexBuild(const Zset *z, ZsetIndex *idx);
long ZsetIndexFind(const Zset *z, const ZsetIndex *idx, const char *m, size_t len);
void ZsetIndexFree(ZsetIndex *idx);

/*
 * n elements from e[0] stepping by step (1 or -1), as Z*RANGE replies:
 * members, with scores when withscores (RESP2 flat; RESP3 [member,
 * score] pairs).
 */
void ZsetReplyElems(Client *c, const ZElem *e, long n, int step, bool withscores);

/* ZADD's options */
#define ZADD_NX	  0x01
#define ZADD_XX	  0x02
#define ZADD_GT	  0x04
#define ZADD_LT	  0x08
#define ZADD_CH	  0x10
#define ZADD_INCR 0x20

/*
 * ZADD's work on key argv[1] once the arguments are checked: n elements
 * scored scores[k], the member of element k being argv[first + step * k +
 * step - 1] (ZADD: step 2; GEOADD: step 3, longitude latitude member).
 * Replies as ZADD does, after the commit.
 */
void ZaddScored(Client *c, int flags, int first, int step, const double *scores, int n);

extern const char *const err_zset_too_big;

#endif
