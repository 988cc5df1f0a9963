/*
 * collection.h
 *	  What the inline collections (server/cmd_hash.c, cmd_set.c,
 *	  cmd_list.c) share: their elements and the stored form, each element
 *	  preceded by a 4-byte little-endian length (storage/README.md,
 *	  "Keyspace"), reading, type-checking and storing them, the SCAN-style
 *	  options of HSCAN and SSCAN, the pop count, and the replies of a
 *	  missing key.
 */
#ifndef TUSK_COLLECTION_H
#define TUSK_COLLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "server/server.h"
#include "storage/keyspace.h"

/*
 * The elements of a set or list (or the fields and values of a hash, in
 * turn), pointing into the stored value or into the command's arguments.
 */
typedef struct CollElem
{
	const char *p;
	size_t		len;
} CollElem;

typedef struct CollElems
{
	CollElem   *e;
	long		n;
	long		cap;
} CollElems;

void		CollElemsFree(CollElems *a);
/*
 * Append to out n elements of a, from position first on, stepping by step
 * (1 or -1), with copies of their bytes in one MemAlloc'd block, which is
 * returned: the caller frees it once done with out (a is about to change).
 */
char	   *CollElemsCopy(const CollElems *a, long first, int step, long n, CollElems *out);
void		CollElemsInsert(CollElems *a, long pos, const char *p, size_t len);
void		CollElemsRemove(CollElems *a, long pos);
/* Decode a stored value (pointing into data); false if it is malformed. */
bool		CollElemsDecode(const char *data, size_t len, CollElems *a);
size_t		CollElemsEncodedSize(const CollElems *a);
/* The stored form (MemAlloc'd). */
char	   *CollElemsEncode(const CollElems *a, size_t *len);

/*
 * [MATCH pattern] [COUNT count] from argv[first] on, with Redis's errors
 * (a COUNT below 1 is a syntax error; COUNT is otherwise ignored: an inline
 * collection comes back whole). False after the error reply.
 */
bool		CollParseScanOptions(Client *c, int first, const char **pattern, size_t *plen);

/*
 * A loaded value as the elements of a collection of `type` (a missing key
 * is empty); false after the WRONGTYPE (or storage error) reply.
 */
bool		CollAsElems(Client *c, const KsValue *v, uint8_t type, CollElems *a);

/*
 * Read argv[1]: false after a reply (an error, or missing_reply for a
 * missing key); on true the caller decodes *v, replies and releases it.
 */
bool		CollReadValue(Client *c, KsValue *v, void (*missing_reply) (Client *c));

/*
 * Read argv[1] as a collection of `type`: false after a reply (an error,
 * or missing_reply for a missing key); on true the caller replies, then
 * frees *a and releases *v.
 */
bool		CollReadElems(Client *c, KsValue *v, uint8_t type, CollElems *a,
						  void (*missing_reply) (Client *c));

/*
 * Store a as key argv[argi], a collection of `type`, replacing cur (the
 * key is deleted when a is empty); keep_ttl keeps cur's expire time.
 * Refused with too_big when the stored form would pass max_bytes. False
 * after an error reply.
 */
bool		CollStoreElems(Client *c, int argi, const CollElems *a, uint8_t type,
						   const KsValue *cur, bool keep_ttl, size_t max_bytes,
						   const char *too_big);
/* The same with KS_USER_FLAGS for the new version (KS_FLAG_SKIPLIST). */
bool		CollStoreElemsFlags(Client *c, int argi, const CollElems *a, uint8_t type,
								uint8_t user_flags, const KsValue *cur, bool keep_ttl,
								size_t max_bytes, const char *too_big);

/*
 * The optional count of SPOP, LPOP and RPOP (argv[2]); false after
 * Redis's error for one that is not a non-negative integer.
 */
bool		CollParsePopCount(Client *c, bool *has_count, long long *count);

/* Replies for a missing key (the missing_reply callbacks). */
void		CollReplyNull(Client *c);
void		CollReplyZero(Client *c);
void		CollReplyEmptyArray(Client *c);
void		CollReplyEmptyScan(Client *c);	/* ["0", []] */
/* A long long the command left in *arg (the reply callbacks). */
void		CollReplyCount(Client *c, void *arg);

/*
 * Store l as the list argv[argi] (server/cmd_list.c), replacing cur
 * (deleted when l is empty; keep_ttl keeps cur's expire time), within
 * the 1 MB limit of lists; a non-empty list is noted for the clients that
 * may be blocked on it (server/blocking.h), woken after the commit. False
 * after an error reply.
 */
bool		ListStore(Client *c, int argi, const CollElems *l, const KsValue *cur, bool keep_ttl);

#endif
