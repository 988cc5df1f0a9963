/*
 * kscounters.c
 *	  Per-database keyspace counters (keys, keys with an expiry, sum of
 *	  expiry times), kept exact by commit records and checkpoints.
 *
 * NOTES
 *	  Runs in every process that commits (backends, the checkpointer's
 *	  expiry sweep), in the checkpointer (copy at the redo pointer), in the
 *	  startup process (restore, redo, recount) and in backends that read
 *	  (DBSIZE, INFO). The design and the invariant that makes a crash lose
 *	  nothing are in storage/README.md, "Keyspace counters", and
 *	  wal/README.md (W10); kscounters.h says who calls what.
 *
 *	  Locks: none of its own. The shared counters are changed only while
 *	  the WAL insertion lock is held (KsCountersApplyPending, called from
 *	  XLogInsertWithHook) or by the startup process while it is alone
 *	  (redo, restore, recount); each change is bracketed by the sequence
 *	  counter `seq` (odd while changing), so readers copy a consistent set
 *	  without a lock and retry if a change ran meanwhile.
 *
 *	  Pending deltas, the encode buffers and the "touched" list are private
 *	  memory, allocated when shared memory is laid out (in the postmaster,
 *	  inherited by every child) or on first use.
 */
#include "config.h"

#include "storage/kscounters.h"

#include <assert.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/shmem.h"
#include "wal/xlog.h"

/* The B+tree stores the database as a uint16. */
#define KS_MAX_DATABASES 65536

typedef struct KsDbSlot
{
	_Atomic int64_t keys;
	_Atomic int64_t expires;
	_Atomic uint64_t sum_lo; /* expire_sum, two's complement, low half */
	_Atomic int64_t sum_hi;
} KsDbSlot;

typedef struct KsCountersShared
{
	/* even: stable; odd: a writer is changing the fields below */
	_Atomic uint64_t seq;
	/* end of the newest commit record whose deltas were applied (seq) */
	_Atomic uint64_t lsn;
	/* 1 once the counters are exact (seq) */
	_Atomic uint32_t valid;
	int databases;	/* constant after KsCountersShmemInit */
	KsDbSlot dbs[]; /* seq */
} KsCountersShared;

static KsCountersShared *shared;

/* Private: this transaction's deltas, by database, and which are set. */
static KsDbCounts *pending;
static uint16_t *touched;
static bool *is_touched;
static int ntouched;
static char *delta_buf;
static char *ckpt_buf;
static int private_databases;

static int
clamp_databases(int databases)
{
	if (databases < 1)
		return 1;
	return databases > KS_MAX_DATABASES ? KS_MAX_DATABASES : databases;
}

static size_t
delta_buf_size(int databases)
{
	/* header, then per database: db, mask, reserved, keys, expires, sum128 */
	return 4 + (size_t) databases * (4 + 8 + 8 + 16);
}

static size_t
ckpt_buf_size(int databases)
{
	return KS_COUNTERS_HEADER_SIZE + (size_t) databases * KS_COUNTERS_ENTRY_SIZE;
}

size_t
KsCountersShmemSize(int databases)
{
	return CACHELINE_ALIGN(sizeof(KsCountersShared) +
						   sizeof(KsDbSlot) * (size_t) clamp_databases(databases));
}

static void
free_private(void)
{
	MemFree(pending);
	MemFree(touched);
	MemFree(is_touched);
	MemFree(delta_buf);
	MemFree(ckpt_buf);
	pending = NULL;
	touched = NULL;
	is_touched = NULL;
	delta_buf = NULL;
	ckpt_buf = NULL;
	ntouched = 0;
	private_databases = 0;
}

/* Private memory for shared->databases, if this process has none yet. */
static void
ensure_private(void)
{
	int n = shared->databases;

	if (private_databases == n)
		return;
	free_private();
	pending = MemAlloc(sizeof(KsDbCounts) * (size_t) n);
	memset(pending, 0, sizeof(KsDbCounts) * (size_t) n);
	touched = MemAlloc(sizeof(uint16_t) * (size_t) n);
	is_touched = MemAlloc(sizeof(bool) * (size_t) n);
	memset(is_touched, 0, sizeof(bool) * (size_t) n);
	delta_buf = MemAlloc(delta_buf_size(n));
	ckpt_buf = MemAlloc(ckpt_buf_size(n));
	private_databases = n;
}

void
KsCountersShmemInit(int databases)
{
	int n = clamp_databases(databases);

	shared = ShmemAlloc(KsCountersShmemSize(n));
	memset(shared, 0, sizeof(KsCountersShared) + sizeof(KsDbSlot) * (size_t) n);
	shared->databases = n;
	/* A new cluster starts empty and exact; StartupXLOG restores otherwise. */
	atomic_store(&shared->valid, 1);
	ensure_private();
	checkpoint_redo_state_hook = KsCountersCheckpointEncode;
	recovery_checkpoint_state_hook = KsCountersRestore;
}

int
KsCountersDatabases(void)
{
	return shared ? shared->databases : 0;
}

/* ------------------------------------------------------------ seqlock */

static void
write_begin(void)
{
	uint64_t s = atomic_load_explicit(&shared->seq, memory_order_relaxed);

	atomic_store_explicit(&shared->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void
write_end(void)
{
	uint64_t s = atomic_load_explicit(&shared->seq, memory_order_relaxed);

	atomic_store_explicit(&shared->seq, s + 1, memory_order_release);
}

static KsInt128
slot_sum(const KsDbSlot *slot)
{
	uint64_t lo = atomic_load_explicit(&slot->sum_lo, memory_order_relaxed);
	int64_t hi = atomic_load_explicit(&slot->sum_hi, memory_order_relaxed);

	return (KsInt128) (((unsigned __int128) (uint64_t) hi << 64) | lo);
}

static void
slot_load(const KsDbSlot *slot, KsDbCounts *out)
{
	out->keys = atomic_load_explicit(&slot->keys, memory_order_relaxed);
	out->expires = atomic_load_explicit(&slot->expires, memory_order_relaxed);
	out->expire_sum = slot_sum(slot);
}

/* Caller is the only writer (insert lock or startup) inside write_begin/end. */
static void
slot_store(KsDbSlot *slot, const KsDbCounts *c)
{
	unsigned __int128 u = (unsigned __int128) c->expire_sum;

	atomic_store_explicit(&slot->keys, c->keys, memory_order_relaxed);
	atomic_store_explicit(&slot->expires, c->expires, memory_order_relaxed);
	atomic_store_explicit(&slot->sum_lo, (uint64_t) u, memory_order_relaxed);
	atomic_store_explicit(&slot->sum_hi, (int64_t) (uint64_t) (u >> 64), memory_order_relaxed);
}

static void
slot_add(KsDbSlot *slot, const KsDbCounts *d)
{
	KsDbCounts c;

	slot_load(slot, &c);
	c.keys += d->keys;
	c.expires += d->expires;
	c.expire_sum += d->expire_sum;
	slot_store(slot, &c);
}

/*
 * README "Keyspace counters", K5, checked in debug builds after every
 * change of exact counters: 0 <= expires <= keys, and no expire_sum
 * without expires.
 */
static void
assert_counts_sane(const KsDbSlot *slot)
{
#ifndef NDEBUG
	KsDbCounts c;

	if (!atomic_load_explicit(&shared->valid, memory_order_relaxed))
		return;
	slot_load(slot, &c);
	assert(c.keys >= 0 && c.expires >= 0 && c.expires <= c.keys);
	assert(c.expires > 0 || c.expire_sum == 0);
#endif
}

static bool
counts_zero(const KsDbCounts *c)
{
	return c->keys == 0 && c->expires == 0 && c->expire_sum == 0;
}

/* ------------------------------------------------------------ readers */

bool
KsCountersRead(int db, KsDbCounts *out, XLogRecPtr *lsn)
{
	uint64_t s1, s2;
	uint64_t at;
	bool valid;

	memset(out, 0, sizeof(*out));
	if (lsn)
		*lsn = InvalidXLogRecPtr;
	if (shared == NULL || db < 0 || db >= shared->databases)
		return false;
	for (;;)
	{
		s1 = atomic_load_explicit(&shared->seq, memory_order_acquire);
		if (s1 & 1)
		{
			sched_yield();
			continue;
		}
		slot_load(&shared->dbs[db], out);
		at = atomic_load_explicit(&shared->lsn, memory_order_relaxed);
		valid = atomic_load_explicit(&shared->valid, memory_order_relaxed) != 0;
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&shared->seq, memory_order_relaxed);
		if (s1 == s2)
			break;
	}
	if (pending && db < private_databases && is_touched[db])
	{
		out->keys += pending[db].keys;
		out->expires += pending[db].expires;
		out->expire_sum += pending[db].expire_sum;
	}
	if (lsn)
		*lsn = at;
	return valid;
}

bool
KsCountersValid(void)
{
	return shared != NULL && atomic_load(&shared->valid) != 0;
}

/* ------------------------------------------------------------ writers */

void
KsCountersNote(int db, bool old_exists, int64_t old_expire_ms, bool new_exists,
			   int64_t new_expire_ms)
{
	bool old_exp = old_exists && old_expire_ms > 0;
	bool new_exp = new_exists && new_expire_ms > 0;
	KsDbCounts *p;

	if (shared == NULL || db < 0 || db >= shared->databases)
		return;
	if (old_exists == new_exists && old_exp == new_exp &&
		(!new_exp || old_expire_ms == new_expire_ms))
		return;
	ensure_private();
	p = &pending[db];
	p->keys += (int64_t) new_exists - (int64_t) old_exists;
	p->expires += (int64_t) new_exp - (int64_t) old_exp;
	p->expire_sum +=
		(KsInt128) (new_exp ? new_expire_ms : 0) - (KsInt128) (old_exp ? old_expire_ms : 0);
	if (!is_touched[db])
	{
		is_touched[db] = true;
		touched[ntouched++] = (uint16_t) db;
	}
}

static void
put_i64(char **p, int64_t v)
{
	memcpy(*p, &v, 8);
	*p += 8;
}

const char *
KsCountersPendingEncode(uint32_t *len)
{
	char *p;
	uint16_t n = 0;

	*len = 0;
	if (shared == NULL || ntouched == 0)
		return NULL;
	p = delta_buf + 4;
	for (int i = 0; i < ntouched; i++)
	{
		uint16_t db = touched[i];
		const KsDbCounts *d = &pending[db];
		uint8_t mask = 0;
		uint8_t reserved = 0;

		if (counts_zero(d))
			continue;
		if (d->keys != 0)
			mask |= KS_DELTA_KEYS;
		if (d->expires != 0)
			mask |= KS_DELTA_EXPIRES;
		if (d->expire_sum != 0)
			mask |= (d->expire_sum >= INT64_MIN && d->expire_sum <= INT64_MAX) ? KS_DELTA_SUM64
																			   : KS_DELTA_SUM128;
		memcpy(p, &db, 2);
		memcpy(p + 2, &mask, 1);
		memcpy(p + 3, &reserved, 1);
		p += 4;
		if (mask & KS_DELTA_KEYS)
			put_i64(&p, d->keys);
		if (mask & KS_DELTA_EXPIRES)
			put_i64(&p, d->expires);
		if (mask & KS_DELTA_SUM64)
			put_i64(&p, (int64_t) d->expire_sum);
		if (mask & KS_DELTA_SUM128)
		{
			unsigned __int128 u = (unsigned __int128) d->expire_sum;

			put_i64(&p, (int64_t) (uint64_t) u);
			put_i64(&p, (int64_t) (uint64_t) (u >> 64));
		}
		n++;
	}
	if (n == 0)
		return NULL;
	memcpy(delta_buf, &n, 2);
	memset(delta_buf + 2, 0, 2);
	*len = (uint32_t) (p - delta_buf);
	return delta_buf;
}

void
KsCountersDiscardPending(void)
{
	for (int i = 0; i < ntouched; i++)
	{
		memset(&pending[touched[i]], 0, sizeof(KsDbCounts));
		is_touched[touched[i]] = false;
	}
	ntouched = 0;
}

void
KsCountersApplyPending(XLogRecPtr commit_end)
{
	if (shared == NULL || ntouched == 0)
		return;
	write_begin();
	for (int i = 0; i < ntouched; i++)
	{
		slot_add(&shared->dbs[touched[i]], &pending[touched[i]]);
		assert_counts_sane(&shared->dbs[touched[i]]);
	}
	atomic_store_explicit(&shared->lsn, commit_end, memory_order_relaxed);
	write_end();
	KsCountersDiscardPending();
}

/* ------------------------------------------------------------ decoding */

static int64_t
get_i64(const char *p)
{
	int64_t v;

	memcpy(&v, p, 8);
	return v;
}

typedef void (*DeltaVisitor)(const KsCountDelta *d, void *arg);

/* Number of entries, or -1 if malformed; visit each (visit may be NULL). */
static int
decode_deltas(const char *data, uint32_t len, DeltaVisitor visit, void *arg)
{
	const char *p = data, *end = data + len;
	uint16_t n;

	if (len < 4)
		return -1;
	memcpy(&n, p, 2);
	if (n == 0 || p[2] != 0 || p[3] != 0)
		return -1;
	p += 4;
	for (uint16_t i = 0; i < n; i++)
	{
		KsCountDelta d;
		uint8_t mask;
		size_t need;

		if (end - p < 4)
			return -1;
		memset(&d, 0, sizeof(d));
		memcpy(&d.db, p, 2);
		memcpy(&mask, p + 2, 1);
		if (mask == 0 || (mask & ~0x0F) || p[3] != 0 ||
			((mask & KS_DELTA_SUM64) && (mask & KS_DELTA_SUM128)))
			return -1;
		p += 4;
		need = ((mask & KS_DELTA_KEYS) ? 8 : 0) + ((mask & KS_DELTA_EXPIRES) ? 8 : 0) +
			   ((mask & KS_DELTA_SUM64) ? 8 : 0) + ((mask & KS_DELTA_SUM128) ? 16 : 0);
		if ((size_t) (end - p) < need)
			return -1;
		if (mask & KS_DELTA_KEYS)
		{
			d.d.keys = get_i64(p);
			p += 8;
		}
		if (mask & KS_DELTA_EXPIRES)
		{
			d.d.expires = get_i64(p);
			p += 8;
		}
		if (mask & KS_DELTA_SUM64)
		{
			d.d.expire_sum = get_i64(p);
			p += 8;
		}
		if (mask & KS_DELTA_SUM128)
		{
			uint64_t lo = (uint64_t) get_i64(p);
			uint64_t hi = (uint64_t) get_i64(p + 8);

			d.d.expire_sum = (KsInt128) (((unsigned __int128) hi << 64) | lo);
			p += 16;
		}
		if (visit)
			visit(&d, arg);
	}
	return p == end ? (int) n : -1;
}

typedef struct ArrayArg
{
	KsCountDelta *out;
	int max;
	int n;
} ArrayArg;

static void
array_visitor(const KsCountDelta *d, void *arg)
{
	ArrayArg *a = arg;

	if (a->n < a->max)
		a->out[a->n] = *d;
	a->n++;
}

int
KsCountersDecodeDeltas(const char *data, uint32_t len, KsCountDelta *out, int max)
{
	ArrayArg a = {out, max, 0};

	return decode_deltas(data, len, array_visitor, &a);
}

bool
KsCountersDecodeCheckpoint(const char *data, uint32_t len, KsCheckpointCounts *out)
{
	if (len < KS_COUNTERS_HEADER_SIZE)
		return false;
	memcpy(&out->version, data, 4);
	memcpy(&out->flags, data + 4, 4);
	memcpy(&out->databases, data + 8, 4);
	memcpy(&out->nentries, data + 12, 4);
	out->entries = data + KS_COUNTERS_HEADER_SIZE;
	if (out->version != KS_COUNTERS_VERSION || (out->flags & ~KS_COUNTERS_VALID) ||
		out->nentries > out->databases || out->databases > KS_MAX_DATABASES)
		return false;
	return len == KS_COUNTERS_HEADER_SIZE + (size_t) out->nentries * KS_COUNTERS_ENTRY_SIZE;
}

void
KsCountersCheckpointEntry(const KsCheckpointCounts *c, uint32_t i, KsDbCounts *out)
{
	const char *p = c->entries + (size_t) i * KS_COUNTERS_ENTRY_SIZE;
	uint64_t lo, hi;

	out->keys = get_i64(p);
	out->expires = get_i64(p + 8);
	lo = (uint64_t) get_i64(p + 16);
	hi = (uint64_t) get_i64(p + 24);
	out->expire_sum = (KsInt128) (((unsigned __int128) hi << 64) | lo);
}

const char *
KsInt128ToString(KsInt128 v, char *buf, size_t len)
{
	char tmp[48];
	int i = (int) sizeof(tmp) - 1;
	bool neg = v < 0;
	unsigned __int128 u = neg ? -(unsigned __int128) v : (unsigned __int128) v;

	tmp[i] = '\0';
	do
	{
		tmp[--i] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0);
	if (neg)
		tmp[--i] = '-';
	snprintf(buf, len, "%s", tmp + i);
	return buf;
}

/* ------------------------------------------------------------ checkpoints */

const char *
KsCountersCheckpointEncode(uint32_t *len)
{
	uint32_t version = KS_COUNTERS_VERSION;
	uint32_t flags, databases, nentries = 0;
	char *p;

	*len = 0;
	if (shared == NULL)
		return NULL;
	ensure_private();
	databases = (uint32_t) shared->databases;
	flags = atomic_load(&shared->valid) ? KS_COUNTERS_VALID : 0;
	/* trailing empty databases are left out */
	for (uint32_t db = 0; db < databases; db++)
	{
		KsDbCounts c;

		slot_load(&shared->dbs[db], &c);
		if (!counts_zero(&c))
			nentries = db + 1;
	}
	memcpy(ckpt_buf, &version, 4);
	memcpy(ckpt_buf + 4, &flags, 4);
	memcpy(ckpt_buf + 8, &databases, 4);
	memcpy(ckpt_buf + 12, &nentries, 4);
	p = ckpt_buf + KS_COUNTERS_HEADER_SIZE;
	for (uint32_t db = 0; db < nentries; db++)
	{
		KsDbCounts c;
		unsigned __int128 u;

		slot_load(&shared->dbs[db], &c);
		u = (unsigned __int128) c.expire_sum;
		put_i64(&p, c.keys);
		put_i64(&p, c.expires);
		put_i64(&p, (int64_t) (uint64_t) u);
		put_i64(&p, (int64_t) (uint64_t) (u >> 64));
	}
	*len = (uint32_t) (p - ckpt_buf);
	return ckpt_buf;
}

static void
set_invalid(void)
{
	write_begin();
	for (int db = 0; db < shared->databases; db++)
	{
		KsDbCounts zero = {0, 0, 0};

		slot_store(&shared->dbs[db], &zero);
	}
	atomic_store_explicit(&shared->valid, 0, memory_order_relaxed);
	write_end();
}

void
KsCountersRestore(const char *data, uint32_t len)
{
	KsCheckpointCounts c;

	if (shared == NULL)
		return;
	set_invalid();
	if (len == 0)
	{
		elog(LOG, "the checkpoint has no keyspace counters; they will be recounted");
		return;
	}
	if (!KsCountersDecodeCheckpoint(data, len, &c))
	{
		elog(WARNING, "invalid keyspace counters in the checkpoint record; they will be recounted");
		return;
	}
	if (!(c.flags & KS_COUNTERS_VALID))
	{
		elog(LOG, "the checkpoint's keyspace counters were not recounted yet; they will be now");
		return;
	}
	if (c.databases < (uint32_t) shared->databases)
	{
		elog(LOG,
			 "the checkpoint counted keys of %u databases, %d are configured; "
			 "counting them again",
			 c.databases, shared->databases);
		return;
	}
	write_begin();
	for (uint32_t i = 0; i < c.nentries && i < (uint32_t) shared->databases; i++)
	{
		KsDbCounts e;

		KsCountersCheckpointEntry(&c, i, &e);
		slot_store(&shared->dbs[i], &e);
	}
	atomic_store_explicit(&shared->valid, 1, memory_order_relaxed);
	write_end();
}

static void
redo_visitor(const KsCountDelta *d, void *arg)
{
	/* databases beyond the configured number are not counted (README) */
	if (d->db < shared->databases)
	{
		slot_add(&shared->dbs[d->db], &d->d);
		assert_counts_sane(&shared->dbs[d->db]);
	}
}

bool
KsCountersRedo(const char *data, uint32_t len, XLogRecPtr end)
{
	if (shared == NULL)
		return true;
	if (decode_deltas(data, len, NULL, NULL) < 0)
	{
		elog(WARNING, "invalid keyspace counter deltas in a commit record; "
					  "the counters will be recounted");
		set_invalid();
		return true;
	}
	write_begin();
	decode_deltas(data, len, redo_visitor, NULL);
	atomic_store_explicit(&shared->lsn, end, memory_order_relaxed);
	write_end();
	return true;
}

void
KsCountersSet(int db, const KsDbCounts *counts)
{
	if (shared == NULL || db < 0 || db >= shared->databases)
		return;
	write_begin();
	slot_store(&shared->dbs[db], counts);
	write_end();
}

void
KsCountersSetValid(void)
{
	if (shared == NULL)
		return;
	write_begin();
	atomic_store_explicit(&shared->valid, 1, memory_order_relaxed);
	write_end();
}
