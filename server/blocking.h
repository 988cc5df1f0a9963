/*
 * blocking.h
 *	  Blocked clients (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP): the shared
 *	  registry of who waits on which keys, and the wake-ups after a commit
 *	  that may have made one of those keys a non-empty list.
 *
 * A blocked client's backend registers the database and the hashes of
 * its keys in its slot of the registry, then retries its pop in a
 * transaction of its own each time it is woken, until it pops, times
 * out, or its client goes away. A writer notes every key it leaves
 * holding a non-empty list (BlockNoteKey); after its commit the oldest
 * waiter on each such key is woken (BlockWakeNoted). The protocol, its
 * invariants and the lock are in server/README.md, "Blocking commands".
 */
#ifndef TUSK_BLOCKING_H
#define TUSK_BLOCKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/server.h"

size_t		BlockShmemSize(int nslots);
void		BlockShmemInit(int nslots);

/*
 * Writers: key (of database db) holds a non-empty list in the running
 * transaction; every waiter of a database (SWAPDB). Private memory until
 * the transaction ends: BlockWakeNoted after the commit (no key lock held
 * any more), BlockForgetNoted after an abort. Cheap when nobody is blocked.
 */
void		BlockNoteKey(int db, const char *key, size_t len);
void		BlockNoteDatabase(int db);
void		BlockWakeNoted(void);
void		BlockForgetNoted(void);

/*
 * One attempt of a blocking command: pop and reply (true; an error reply
 * counts) or find nothing to pop and reply nothing (false). retry is set
 * once the client has blocked: a key holding another type then counts as
 * empty rather than a WRONGTYPE error, as Redis keeps such a client
 * blocked.
 */
typedef bool (*BlockTryFn) (Client *c, void *arg, bool retry);

/*
 * Block on the keys argv[first .. first+nkeys-1] (of c->db) until try
 * succeeds, timeout_ms passes (0: never; then a null array is replied),
 * or the client goes away (CLIENT_CLOSE_NOW is set and nothing replied).
 * The caller has already made its first, non-blocking attempt, and does
 * not call this inside EXEC.
 */
void		BlockRun(Client *c, int first, int nkeys, long long timeout_ms, BlockTryFn try,
					 void *arg);

/*
 * Redis's timeout argument of the blocking list commands: seconds as a
 * float, truncated to milliseconds; 0 waits forever. False after the
 * error reply.
 */
bool		BlockParseTimeout(Client *c, int argi, long long *timeout_ms);

/*
 * A retry (retry true) skipped one of its keys because it holds another
 * type: BlockRun then passes the wake-up on to the waiters that blocked
 * after this one, since it may have been meant for a waiter of that type.
 */
void		BlockNoteOtherType(void);

/* The backend leaves its client: drop any registration left behind. */
void		BlockClientDone(void);

#endif
