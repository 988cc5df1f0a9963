/*
 * pubsub.h
 *	  Publish/subscribe across backends: the shared subscription registry
 *	  and the shared message log (server/README.md, "Publish/subscribe").
 *
 * NOTES
 *	  Laid out by the postmaster before the first fork (PubsubShmemSize,
 *	  PubsubShmemInit); used by backends only. Two LWLocks, always in this
 *	  order: the registry lock, then the log lock. Neither is held across
 *	  socket I/O or a signal. The postmaster never takes them: entries of a
 *	  backend that died stop counting because their owner's process slot no
 *	  longer holds the client id they were made for (PubsubEntryLive).
 */
#ifndef TUSK_PUBSUB_H
#define TUSK_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PubsubKind
{
	PUBSUB_CHANNEL = 1,
	PUBSUB_PATTERN = 2,
	PUBSUB_SHARD = 3,			/* SSUBSCRIBE / SPUBLISH */
} PubsubKind;

/* Longest channel or pattern a client may subscribe to (names are stored inline). */
#define PUBSUB_NAME_MAX 200

size_t		PubsubShmemSize(int nslots, int max_entries, long long buffer_size);
void		PubsubShmemInit(int nslots, int max_entries, long long buffer_size);

/* Registry capacity the settings ask for (pubsub_max_subscriptions, 0: auto). */
int			PubsubMaxEntries(int maxclients, int setting);

/*
 * Add this client's subscription (the caller knows it is not subscribed to
 * it yet). reset: the client has no subscription left (its read position
 * starts at *cut), so forget its old marker. *cut: the log position from
 * which the subscription counts. Returns false if the registry is full
 * (after dropping entries of dead clients).
 */
bool		PubsubRegister(PubsubKind kind, const char *name, size_t len, uint64_t client_id,
						   bool reset, uint64_t *cut);
/* Remove it; *cut: the position from which it no longer counts. */
void		PubsubUnregister(PubsubKind kind, const char *name, size_t len, uint64_t client_id,
							 uint64_t *cut);
/* Remove every entry of this process slot (a client leaves). */
void		PubsubUnregisterAll(void);

/*
 * PUBLISH / SPUBLISH: the number of subscriptions that receive it (channel
 * or shard subscribers, plus matching patterns for PUBLISH). Appends the
 * message to the log for them and wakes those that sleep. Never waits for a
 * subscriber.
 */
long long	PubsubPublish(PubsubKind kind, const char *channel, size_t clen,
						  const char *message, size_t mlen);

/*
 * Subscriber side. PubsubArm: "I am about to sleep" (then look with
 * PubsubPending once more before sleeping); PubsubDisarm after waking.
 */
void		PubsubArm(void);
void		PubsubDisarm(void);
bool		PubsubPending(void);

/*
 * Take what was published for this client since the last call: returns
 * false if it lost messages (the log overwrote them, or one was too large
 * for the log). Otherwise *from.. *to is the range of the log to read with
 * PubsubReadRecord (*from == *to: nothing).
 */
bool		PubsubTake(uint64_t read_pos, uint64_t *from, uint64_t *to);

typedef struct PubsubRecord
{
	uint64_t	pos;			/* where it starts in the log */
	uint64_t	next;			/* where the next one starts */
	PubsubKind	kind;			/* PUBSUB_CHANNEL or PUBSUB_SHARD */
	size_t		channel_len;
	size_t		message_len;
	char	   *channel;		/* in *buf */
	char	   *message;		/* in *buf */
} PubsubRecord;

/*
 * Copy the record at pos into *buf (grown as needed). False if the log
 * overwrote it meanwhile (the client lost messages).
 */
bool		PubsubReadRecord(uint64_t pos, PubsubRecord *rec, char **buf, size_t *bufcap);

/* PUBSUB NUMSUB / SHARDNUMSUB: live subscribers of one name. */
long long	PubsubCountSubscribers(PubsubKind kind, const char *name, size_t len);

/* Each distinct live name of this kind once (PUBSUB CHANNELS, NUMPAT, INFO). */
typedef void (*PubsubNameVisitor) (const char *name, size_t len, void *arg);
long long	PubsubVisitNames(PubsubKind kind, PubsubNameVisitor visit, void *arg);

#endif
