/*
 * pubsub.c
 *	  Publish/subscribe in shared memory: the subscription registry, one
 *	  log of published messages, and per-slot wake-up state.
 *
 * NOTES
 *	  Runs in backends. The design, its invariants (P1-P7) and lock rules
 *	  are in server/README.md, "Publish/subscribe"; in short:
 *
 *	  - The registry is a chained hash table of entries (kind, name, owner
 *	    slot, owner client id), plus one list of pattern entries, with a
 *	    free list; fixed size. registry_lock: EXCLUSIVE to change it,
 *	    SHARED to read it. PUBLISH holds it SHARED for the whole publish, so
 *	    a registry change is a clean cut in the log (P2).
 *	  - The log is one ring of records (kind, channel, message). A record is
 *	    written only when someone receives it, once whatever the number of
 *	    receivers. log_lock (EXCLUSIVE) serialises writers and the
 *	    subscribers' PubsubTake. Readers copy records without a lock and
 *	    check afterwards that no writer overwrote them (write_end, P4).
 *	  - Per slot: the first record for this client not yet taken (marker),
 *	    whether it sleeps (waiting) and whether a message too large for the
 *	    log was for it (lost). A publisher sets marker and, if waiting was
 *	    set, sends the owner SIGUSR2 (P5).
 *	  Nothing here waits for a subscriber: a publisher takes two LWLocks
 *	  for the time of a copy and never blocks on a client.
 */
#include "config.h"

#include "server/pubsub.h"
#include "server/util.h"
#include "storage/lwlock.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/types.h>

typedef struct PubsubEntry
{
	int32_t		next;			/* bucket chain, pattern list or free list; -1 ends */
	uint8_t		kind;			/* PubsubKind; 0: free */
	uint16_t	len;
	int32_t		slot;			/* the owner's process slot */
	uint64_t	client_id;		/* the owner's client id */
	uint64_t	hash;
	char		name[PUBSUB_NAME_MAX];
} PubsubEntry;

typedef struct PubsubSlotState
{
	/* registry_lock */
	uint64_t	client_id;		/* the client the entries and state below are for */
	int32_t		nentries;		/* registry entries of this slot */
	/* written under log_lock (and registry_lock EXCLUSIVE when reset) */
	_Atomic uint64_t marker;	/* first record for this client not taken; 0: none */
	/* atomics */
	_Atomic int waiting;		/* the owner sleeps: wake it with SIGUSR2 */
	_Atomic int lost;			/* a message too large for the log was for it */
} __attribute__((aligned(CACHELINE_SIZE))) PubsubSlotState;

typedef struct PubsubShared
{
	LWLock		registry_lock;
	LWLock		log_lock;

	/* registry_lock */
	int32_t		free_head;
	int32_t		pattern_head;
	int32_t		nused;

	/* log_lock for writers; readers load them atomically */
	_Atomic uint64_t head;		/* end of the last complete record */
	_Atomic uint64_t write_end;	/* end of the record being written (>= head) */
} PubsubShared;

/* Fixed after PubsubShmemInit, inherited through fork. */
static PubsubShared *shared;
static PubsubSlotState *slot_states;
static int32_t *buckets;
static PubsubEntry *entries;
static char *ring;
static uint64_t ring_size;		/* a power of two */
static int	num_slots;
static int	num_entries;
static int	num_buckets;		/* a power of two */

/* Records: this header, the channel, the message, padded to 8 bytes. */
typedef struct RecordHeader
{
	uint32_t	total;
	uint32_t	kind;
	uint32_t	channel_len;
	uint32_t	message_len;
} RecordHeader;

#define RECORD_ALIGN(x) (((x) + 7) & ~(uint64_t) 7)

static uint64_t
round_down_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p * 2 <= v)
		p *= 2;
	return p;
}

int
PubsubMaxEntries(int maxclients, int setting)
{
	if (setting > 0)
		return setting;
	return maxclients * 2 < 1024 ? 1024 : maxclients * 2;
}

static int
bucket_count(int max_entries)
{
	return (int) round_down_pow2((uint64_t) max_entries * 2);
}

size_t
PubsubShmemSize(int nslots, int max_entries, long long buffer_size)
{
	size_t size = 0;

	size = ShmemAddSize(size, sizeof(PubsubShared));
	size = ShmemAddSize(size, sizeof(PubsubSlotState) * (size_t) nslots);
	size = ShmemAddSize(size, sizeof(int32_t) * (size_t) bucket_count(max_entries));
	size = ShmemAddSize(size, sizeof(PubsubEntry) * (size_t) max_entries);
	size = ShmemAddSize(size, (size_t) round_down_pow2((uint64_t) buffer_size));
	return size;
}

void
PubsubShmemInit(int nslots, int max_entries, long long buffer_size)
{
	num_slots = nslots;
	num_entries = max_entries;
	num_buckets = bucket_count(max_entries);
	ring_size = round_down_pow2((uint64_t) buffer_size);

	shared = ShmemAlloc(sizeof(PubsubShared));
	slot_states = ShmemAlloc(sizeof(PubsubSlotState) * (size_t) nslots);
	buckets = ShmemAlloc(sizeof(int32_t) * (size_t) num_buckets);
	entries = ShmemAlloc(sizeof(PubsubEntry) * (size_t) max_entries);
	ring = ShmemAlloc((size_t) ring_size);

	LWLockInit(&shared->registry_lock, LWTRANCHE_PUBSUB);
	LWLockInit(&shared->log_lock, LWTRANCHE_PUBSUB);
	for (int i = 0; i < num_buckets; i++)
		buckets[i] = -1;
	for (int i = 0; i < max_entries; i++)
		entries[i].next = i + 1 < max_entries ? i + 1 : -1;
	shared->free_head = 0;
	shared->pattern_head = -1;
	shared->nused = 0;
	/* start one ring further on, so that 0 is never a position (marker) */
	atomic_store(&shared->head, ring_size);
	atomic_store(&shared->write_end, ring_size);
}

static uint64_t
name_hash(PubsubKind kind, const char *name, size_t len)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t) kind;

	for (size_t i = 0; i < len; i++)
	{
		h ^= (uint8_t) name[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
my_slot(void)
{
	return (int) (MyProc - proc_array->slots);
}

/*
 * Does the entry's owner still hold the client it was made for? A backend
 * killed with -9 has pid 0 (the postmaster reaped it); a slot reused by a
 * new client has another client id.
 */
static bool
entry_live(const PubsubEntry *e)
{
	ProcSlot *s = &proc_array->slots[e->slot];

	return atomic_load_explicit(&s->pid, memory_order_acquire) != 0 &&
		__atomic_load_n(&s->client_id, __ATOMIC_RELAXED) == e->client_id;
}

static bool
entry_is(const PubsubEntry *e, PubsubKind kind, uint64_t hash, const char *name, size_t len)
{
	return e->kind == kind && e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0;
}

static int32_t *
list_head(PubsubKind kind, uint64_t hash)
{
	return kind == PUBSUB_PATTERN ? &shared->pattern_head : &buckets[hash & (uint64_t) (num_buckets - 1)];
}

/* Unlink every entry for which drop() holds. Caller holds registry_lock EXCLUSIVE. */
static void
remove_entries(bool (*drop) (const PubsubEntry *e, void *arg), void *arg)
{
	for (int b = -1; b < num_buckets; b++)
	{
		int32_t *link = b < 0 ? &shared->pattern_head : &buckets[b];

		while (*link >= 0)
		{
			PubsubEntry *e = &entries[*link];

			if (drop(e, arg))
			{
				int32_t idx = *link;

				*link = e->next;
				slot_states[e->slot].nentries--;
				e->kind = 0;
				e->next = shared->free_head;
				shared->free_head = idx;
				shared->nused--;
			}
			else
				link = &e->next;
		}
	}
}

static bool
drop_slot(const PubsubEntry *e, void *arg)
{
	return e->slot == *(int *) arg;
}

static bool
drop_dead(const PubsubEntry *e, void *arg)
{
	return !entry_live(e);
}

bool
PubsubRegister(PubsubKind kind, const char *name, size_t len, uint64_t client_id,
			   bool reset, uint64_t *cut)
{
	int slot = my_slot();
	PubsubSlotState *st = &slot_states[slot];
	uint64_t hash = name_hash(kind, name, len);
	int32_t idx;
	PubsubEntry *e;
	int32_t *head;

	LWLockAcquire(&shared->registry_lock, LW_EXCLUSIVE);
	if (st->client_id != client_id)
	{
		/* a predecessor in this slot died with subscriptions (P6) */
		if (st->nentries > 0)
			remove_entries(drop_slot, &slot);
		st->client_id = client_id;
		reset = true;
	}
	if (reset)
	{
		/* no publisher runs (they hold the lock SHARED) */
		atomic_store(&st->marker, 0);
		atomic_store(&st->waiting, 0);
		atomic_store(&st->lost, 0);
	}
	if (shared->free_head < 0)
		remove_entries(drop_dead, NULL);
	if (shared->free_head < 0)
	{
		LWLockRelease(&shared->registry_lock);
		return false;
	}
	idx = shared->free_head;
	e = &entries[idx];
	shared->free_head = e->next;
	e->kind = (uint8_t) kind;
	e->len = (uint16_t) len;
	e->slot = slot;
	e->client_id = client_id;
	e->hash = hash;
	memcpy(e->name, name, len);
	head = list_head(kind, hash);
	e->next = *head;
	*head = idx;
	st->nentries++;
	shared->nused++;
	*cut = atomic_load(&shared->head);
	LWLockRelease(&shared->registry_lock);
	return true;
}

void
PubsubUnregister(PubsubKind kind, const char *name, size_t len, uint64_t client_id,
				 uint64_t *cut)
{
	int slot = my_slot();
	uint64_t hash = name_hash(kind, name, len);
	int32_t *link;

	LWLockAcquire(&shared->registry_lock, LW_EXCLUSIVE);
	for (link = list_head(kind, hash); *link >= 0; link = &entries[*link].next)
	{
		PubsubEntry *e = &entries[*link];

		if (e->slot == slot && e->client_id == client_id && entry_is(e, kind, hash, name, len))
		{
			int32_t idx = *link;

			*link = e->next;
			e->kind = 0;
			e->next = shared->free_head;
			shared->free_head = idx;
			shared->nused--;
			slot_states[slot].nentries--;
			break;
		}
	}
	*cut = atomic_load(&shared->head);
	LWLockRelease(&shared->registry_lock);
}

void
PubsubUnregisterAll(void)
{
	int slot = my_slot();
	PubsubSlotState *st = &slot_states[slot];

	LWLockAcquire(&shared->registry_lock, LW_EXCLUSIVE);
	if (st->nentries > 0)
		remove_entries(drop_slot, &slot);
	st->client_id = 0;
	LWLockRelease(&shared->registry_lock);
}

static void
ring_write(uint64_t pos, const void *data, size_t len)
{
	size_t idx = (size_t) (pos & (ring_size - 1));
	size_t first = len < ring_size - idx ? len : (size_t) (ring_size - idx);

	memcpy(ring + idx, data, first);
	memcpy(ring, (const char *) data + first, len - first);
}

static void
ring_read(uint64_t pos, void *data, size_t len)
{
	size_t idx = (size_t) (pos & (ring_size - 1));
	size_t first = len < ring_size - idx ? len : (size_t) (ring_size - idx);

	memcpy(data, ring + idx, first);
	memcpy((char *) data + first, ring, len - first);
}

/* The receivers of one publish, private scratch sized num_slots. */
static int *matched;
static uint32_t *matched_gen;
static uint32_t current_gen;

static void
note_receiver(int slot, int *n)
{
	if (matched_gen[slot] != current_gen)
	{
		matched_gen[slot] = current_gen;
		matched[(*n)++] = slot;
	}
}

long long
PubsubPublish(PubsubKind kind, const char *channel, size_t clen,
			  const char *message, size_t mlen)
{
	uint64_t hash = name_hash(kind, channel, clen);
	uint64_t total = RECORD_ALIGN(sizeof(RecordHeader) + clen + mlen);
	long long count = 0;
	int nmatched = 0, nwake = 0;

	if (matched == NULL)
	{
		matched = MemAlloc(sizeof(int) * (size_t) num_slots);
		matched_gen = MemAllocZero(sizeof(uint32_t) * (size_t) num_slots);
	}
	if (++current_gen == 0)
	{
		memset(matched_gen, 0, sizeof(uint32_t) * (size_t) num_slots);
		current_gen = 1;
	}

	LWLockAcquire(&shared->registry_lock, LW_SHARED);
	if (clen <= PUBSUB_NAME_MAX)
	{
		for (int32_t i = *list_head(kind, hash); i >= 0; i = entries[i].next)
			if (entry_is(&entries[i], kind, hash, channel, clen) && entry_live(&entries[i]))
			{
				count++;
				note_receiver(entries[i].slot, &nmatched);
			}
	}
	if (kind == PUBSUB_CHANNEL)
	{
		for (int32_t i = shared->pattern_head; i >= 0; i = entries[i].next)
			if (entry_live(&entries[i]) &&
				StringMatch(entries[i].name, entries[i].len, channel, clen, false))
			{
				count++;
				note_receiver(entries[i].slot, &nmatched);
			}
	}
	if (nmatched == 0)
	{
		LWLockRelease(&shared->registry_lock);
		return 0;
	}

	if (total > ring_size / 4)
	{
		/* too large for the log: its receivers lose it and are disconnected (P7) */
		for (int i = 0; i < nmatched; i++)
		{
			PubsubSlotState *st = &slot_states[matched[i]];

			atomic_store(&st->lost, 1);
			if (atomic_exchange(&st->waiting, 0))
				matched[nwake++] = matched[i];
		}
	}
	else
	{
		RecordHeader hdr = {(uint32_t) total, (uint32_t) kind, (uint32_t) clen, (uint32_t) mlen};
		uint64_t pos;

		LWLockAcquire(&shared->log_lock, LW_EXCLUSIVE);
		pos = atomic_load(&shared->head);
		/* readers of what this overwrites must see write_end move first (P4) */
		atomic_store(&shared->write_end, pos + total);
		atomic_thread_fence(memory_order_seq_cst);
		ring_write(pos, &hdr, sizeof(hdr));
		ring_write(pos + sizeof(hdr), channel, clen);
		ring_write(pos + sizeof(hdr) + clen, message, mlen);
		atomic_store(&shared->head, pos + total);
		for (int i = 0; i < nmatched; i++)
		{
			PubsubSlotState *st = &slot_states[matched[i]];

			if (atomic_load(&st->marker) == 0)
				atomic_store(&st->marker, pos);
			/* after the marker: a subscriber arms, then looks at it (P5) */
			if (atomic_exchange(&st->waiting, 0))
				matched[nwake++] = matched[i];
		}
		LWLockRelease(&shared->log_lock);
	}
	LWLockRelease(&shared->registry_lock);

	for (int i = 0; i < nwake; i++)
	{
		pid_t pid = atomic_load(&proc_array->slots[matched[i]].pid);

		if (pid > 0)
			kill(pid, SIGUSR2);
	}
	return count;
}

void
PubsubArm(void)
{
	atomic_store(&slot_states[my_slot()].waiting, 1);
}

void
PubsubDisarm(void)
{
	atomic_store(&slot_states[my_slot()].waiting, 0);
}

bool
PubsubPending(void)
{
	PubsubSlotState *st = &slot_states[my_slot()];

	return atomic_load(&st->marker) != 0 || atomic_load(&st->lost) != 0;
}

bool
PubsubTake(uint64_t read_pos, uint64_t *from, uint64_t *to)
{
	PubsubSlotState *st = &slot_states[my_slot()];
	uint64_t first, head;

	LWLockAcquire(&shared->log_lock, LW_EXCLUSIVE);
	first = atomic_load(&st->marker);
	atomic_store(&st->marker, 0);
	head = atomic_load(&shared->head);
	LWLockRelease(&shared->log_lock);
	if (atomic_load(&st->lost))
		return false;
	/* nothing in [read_pos, first) was for this client (P3) */
	*from = first == 0 ? head : first < read_pos ? read_pos : first;
	*to = head;
	return true;
}

bool
PubsubReadRecord(uint64_t pos, PubsubRecord *rec, char **buf, size_t *bufcap)
{
	RecordHeader hdr;
	size_t need;

	ring_read(pos, &hdr, sizeof(hdr));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load(&shared->write_end) > pos + ring_size)
		return false;
	need = (size_t) hdr.channel_len + hdr.message_len;
	if (*bufcap < need + 1)
	{
		*bufcap = need + 1;
		*buf = MemRealloc(*buf, *bufcap);
	}
	ring_read(pos + sizeof(hdr), *buf, need);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load(&shared->write_end) > pos + ring_size)
		return false;
	rec->pos = pos;
	rec->next = pos + hdr.total;
	rec->kind = (PubsubKind) hdr.kind;
	rec->channel_len = hdr.channel_len;
	rec->message_len = hdr.message_len;
	rec->channel = *buf;
	rec->message = *buf + hdr.channel_len;
	return true;
}

long long
PubsubCountSubscribers(PubsubKind kind, const char *name, size_t len)
{
	uint64_t hash = name_hash(kind, name, len);
	long long n = 0;

	if (len > PUBSUB_NAME_MAX)
		return 0;
	LWLockAcquire(&shared->registry_lock, LW_SHARED);
	for (int32_t i = *list_head(kind, hash); i >= 0; i = entries[i].next)
		if (entry_is(&entries[i], kind, hash, name, len) && entry_live(&entries[i]))
			n++;
	LWLockRelease(&shared->registry_lock);
	return n;
}

/* Is there a live entry with e's name before e in the list starting at first? */
static bool
seen_before(int32_t first, const PubsubEntry *e)
{
	for (int32_t i = first; i >= 0 && &entries[i] != e; i = entries[i].next)
		if (entry_is(&entries[i], e->kind, e->hash, e->name, e->len) && entry_live(&entries[i]))
			return true;
	return false;
}

long long
PubsubVisitNames(PubsubKind kind, PubsubNameVisitor visit, void *arg)
{
	long long n = 0;

	LWLockAcquire(&shared->registry_lock, LW_SHARED);
	for (int b = kind == PUBSUB_PATTERN ? -1 : 0; b < (kind == PUBSUB_PATTERN ? 0 : num_buckets); b++)
	{
		int32_t first = b < 0 ? shared->pattern_head : buckets[b];

		for (int32_t i = first; i >= 0; i = entries[i].next)
		{
			PubsubEntry *e = &entries[i];

			if (e->kind != kind || !entry_live(e) || seen_before(first, e))
				continue;
			n++;
			if (visit)
				visit(e->name, e->len, arg);
		}
	}
	LWLockRelease(&shared->registry_lock);
	return n;
}
