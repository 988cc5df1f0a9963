/*
 * cmd_hash.c
 *	  Hashes: HSET HSETNX HMSET HGET HMGET HDEL HLEN HEXISTS HSTRLEN HGETALL
 *	  HKEYS HVALS HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
 *
 * NOTES
 *	  A hash is stored inline, as one value of type KS_TYPE_HASH: its
 *	  fields and values one after the other, each preceded by its length
 *	  (4 bytes, little-endian), in insertion order (DESIGN.md section 3,
 *	  "stored inline while small", like Redis's listpack). A read decodes
 *	  the value; a write decodes, changes and stores it again as a new
 *	  version, under the key's lock, so every command is atomic and MVCC
 *	  readers see the hash before or after it. That makes a write O(size
 *	  of the hash), so a hash is limited to HASH_MAX_BYTES encoded; a write
 *	  that would grow it past that is refused with an error that says so.
 *	  The per-collection B+tree that DESIGN.md plans for big collections is
 *	  not built yet (redis-compat/COMMANDS.md marks these commands partial).
 *	  A write that leaves a hash empty deletes the key, as in Redis.
 */
#include "config.h"

#include "server/collection.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HASH_MAX_BYTES (1024 * 1024)

/* Redis's OBJECT ENCODING threshold (hash-max-listpack-entries/value) */
#define LISTPACK_MAX_ENTRIES 128
#define LISTPACK_MAX_VALUE 64

static const char *const err_hash_too_big =
"ERR hash too large for tusk: at most 1 MB of fields and values (hashes stored "
"one element per tuple are not implemented yet)";

typedef struct HashField
{
	const char *field;
	size_t		flen;
	const char *value;
	size_t		vlen;
	char	   *owned;			/* a value built by this command, or NULL */
} HashField;

typedef struct Hash
{
	HashField  *f;
	int			n;
	int			cap;
} Hash;

static void
hash_free(Hash *h)
{
	for (int i = 0; i < h->n; i++)
		MemFree(h->f[i].owned);
	MemFree(h->f);
	h->f = NULL;
	h->n = h->cap = 0;
}

static void
hash_append(Hash *h, const char *field, size_t flen, const char *value, size_t vlen)
{
	if (h->n == h->cap)
	{
		h->cap = h->cap ? h->cap * 2 : 8;
		h->f = MemRealloc(h->f, sizeof(HashField) * (size_t) h->cap);
	}
	h->f[h->n].field = field;
	h->f[h->n].flen = flen;
	h->f[h->n].value = value;
	h->f[h->n].vlen = vlen;
	h->f[h->n].owned = NULL;
	h->n++;
}

/*
 * Decode a stored hash (pointing into data): its elements are fields and
 * values in turn (collection.h); false if it is malformed.
 */
static bool
hash_decode(const char *data, size_t len, Hash *h)
{
	CollElems	a;
	bool		ok = CollElemsDecode(data, len, &a) && a.n % 2 == 0;

	memset(h, 0, sizeof(*h));
	for (long i = 0; ok && i < a.n; i += 2)
		hash_append(h, a.e[i].p, a.e[i].len, a.e[i + 1].p, a.e[i + 1].len);
	CollElemsFree(&a);
	return ok;
}

/* The fields and values in turn, as collection.c stores elements. */
static CollElems
hash_elems(const Hash *h)
{
	CollElems	a;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < h->n; i++)
	{
		CollElemsInsert(&a, a.n, h->f[i].field, h->f[i].flen);
		CollElemsInsert(&a, a.n, h->f[i].value, h->f[i].vlen);
	}
	return a;
}

/* Whether Redis 7.0 would keep h as a listpack (by its contents alone). */
static bool
hash_is_listpack(const Hash *h)
{
	if (h->n > LISTPACK_MAX_ENTRIES)
		return false;
	for (int i = 0; i < h->n; i++)
		if (h->f[i].flen > LISTPACK_MAX_VALUE || h->f[i].vlen > LISTPACK_MAX_VALUE)
			return false;
	return true;
}

static size_t
hash_encoded_size(const Hash *h)
{
	size_t		size = 0;

	for (int i = 0; i < h->n; i++)
		size += 8 + h->f[i].flen + h->f[i].vlen;
	return size;
}

static char *
hash_encode(const Hash *h, size_t *len)
{
	CollElems	a = hash_elems(h);
	char	   *out = CollElemsEncode(&a, len);

	CollElemsFree(&a);
	return out;
}

static int
hash_find(const Hash *h, const char *field, size_t flen)
{
	for (int i = 0; i < h->n; i++)
		if (h->f[i].flen == flen && memcmp(h->f[i].field, field, flen) == 0)
			return i;
	return -1;
}

static void
hash_remove(Hash *h, int i)
{
	MemFree(h->f[i].owned);
	memmove(&h->f[i], &h->f[i + 1], sizeof(HashField) * (size_t) (h->n - i - 1));
	h->n--;
}

/* Set field to value (copied only when owned is given); true if new. */
static bool
hash_set(Hash *h, const char *field, size_t flen, const char *value, size_t vlen, char *owned)
{
	int			i = hash_find(h, field, flen);

	if (i < 0)
	{
		hash_append(h, field, flen, value, vlen);
		h->f[h->n - 1].owned = owned;
		return true;
	}
	MemFree(h->f[i].owned);
	h->f[i].value = value;
	h->f[i].vlen = vlen;
	h->f[i].owned = owned;
	return false;
}

/*
 * A read of argv[1] as a hash: false after a reply (error, or what a
 * missing key gives: missing_reply is called then). On true the caller
 * replies, then hash_read_end.
 */
typedef struct HashRead
{
	CmdTxn		t;
	KsValue		v;
	Hash		h;
} HashRead;

static bool
hash_read_begin(Client *c, HashRead *r, void (*missing_reply) (Client *c))
{
	memset(&r->h, 0, sizeof(r->h));
	if (!CmdReadKey(c, &r->t, 1, &r->v))
		return false;
	if (!CmdReadEnd(c, &r->t))
	{
		KsValueRelease(&r->v);
		return false;
	}
	if (!r->v.exists)
	{
		missing_reply(c);
		KsValueRelease(&r->v);
		return false;
	}
	if (r->v.type != KS_TYPE_HASH)
	{
		AddReplyError(&c->reply, err_wrongtype);
		KsValueRelease(&r->v);
		return false;
	}
	if (!hash_decode(r->v.value, r->v.value_len, &r->h))
	{
		AddReplyError(&c->reply, "ERR storage error; see the server log");
		hash_free(&r->h);
		KsValueRelease(&r->v);
		return false;
	}
	return true;
}

static void
hash_read_end(HashRead *r)
{
	hash_free(&r->h);
	KsValueRelease(&r->v);
}

/*
 * A write of argv[1] as a hash: fn changes h (the decoded hash, empty for
 * a missing key) and replies into *arg; returns false after an error reply
 * (nothing is written). The hash is stored again only if fn says changed.
 */
typedef bool (*HashWriteFn) (Client *c, Hash *h, bool *changed, void *arg);

static void
hash_write(Client *c, HashWriteFn fn, void *arg, void (*reply) (Client *c, void *arg))
{
	CmdTxn		t;
	KsValue		cur;
	Hash		h;
	bool		ok, changed = false;
	char	   *encoded = NULL;
	size_t		len = 0;

	memset(&h, 0, sizeof(h));
	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &cur);
	if (ok && cur.exists && cur.type != KS_TYPE_HASH)
	{
		AddReplyError(&c->reply, err_wrongtype);
		ok = false;
	}
	if (ok && cur.exists && !hash_decode(cur.value, cur.value_len, &h))
	{
		AddReplyError(&c->reply, "ERR storage error; see the server log");
		ok = false;
	}
	if (ok)
		ok = fn(c, &h, &changed, arg);
	if (ok && changed && hash_encoded_size(&h) > HASH_MAX_BYTES)
	{
		AddReplyError(&c->reply, err_hash_too_big);
		ok = false;
	}
	if (ok && changed)
	{
		KsStatus	st;

		if (h.n == 0)
			st = cur.exists ? KsDelete(c->db, c->argv[1], c->argv_len[1], &cur) : KS_OK;
		else
		{
			encoded = hash_encode(&h, &len);
			/* Redis turns a grown hash into a hashtable and never back */
			st = KsPutFlags(c->db, c->argv[1], c->argv_len[1], KS_TYPE_HASH,
							hash_is_listpack(&h) && !(cur.exists && (cur.flags & KS_FLAG_HASHTABLE)) ?
							0 : KS_FLAG_HASHTABLE,
							encoded, len, cur.exists ? cur.expire_ms : 0, &cur);
		}
		if (st != KS_OK)
			ok = ReplyKsError(c, st);
	}
	CmdWriteFinish(c, &t, ok, changed, reply, arg);
	MemFree(encoded);
	hash_free(&h);
	KsValueRelease(&cur);
}

static void
reply_ok(Client *c, void *arg)
{
	(void) arg;
	AddReplyOk(&c->reply);
}

/* ------------------------------------------------------------ writes */

/* HSET / HMSET: argv[2..] pairs; *arg counts the new fields. */
static bool
hset_fn(Client *c, Hash *h, bool *changed, void *arg)
{
	long long  *added = arg;

	*added = 0;
	for (int i = 2; i + 1 < c->argc; i += 2)
		if (hash_set(h, c->argv[i], c->argv_len[i], c->argv[i + 1], c->argv_len[i + 1], NULL))
			(*added)++;
	*changed = true;
	return true;
}

void
HsetCommand(Client *c)
{
	long long	added;

	if (c->argc % 2 != 0)
	{
		ReplyWrongArity(c, c->cmd);
		return;
	}
	hash_write(c, hset_fn, &added, CollReplyCount);
}

void
HmsetCommand(Client *c)
{
	long long	added;

	if (c->argc % 2 != 0)
	{
		ReplyWrongArity(c, c->cmd);
		return;
	}
	hash_write(c, hset_fn, &added, reply_ok);
}

static bool
hsetnx_fn(Client *c, Hash *h, bool *changed, void *arg)
{
	long long  *set = arg;

	*set = hash_find(h, c->argv[2], c->argv_len[2]) < 0;
	if (*set)
		hash_set(h, c->argv[2], c->argv_len[2], c->argv[3], c->argv_len[3], NULL);
	*changed = *set;
	return true;
}

void
HsetnxCommand(Client *c)
{
	long long	set;

	hash_write(c, hsetnx_fn, &set, CollReplyCount);
}

static bool
hdel_fn(Client *c, Hash *h, bool *changed, void *arg)
{
	long long  *deleted = arg;

	*deleted = 0;
	for (int i = 2; i < c->argc; i++)
	{
		int			j = hash_find(h, c->argv[i], c->argv_len[i]);

		if (j >= 0)
		{
			hash_remove(h, j);
			(*deleted)++;
		}
	}
	*changed = *deleted > 0;
	return true;
}

void
HdelCommand(Client *c)
{
	long long	deleted;

	hash_write(c, hdel_fn, &deleted, CollReplyCount);
}

typedef struct IncrArg
{
	long long	by;
	long double fby;
	long long	result;
	char		text[5 * 1024];
	int			text_len;
} IncrArg;

static bool
hincrby_fn(Client *c, Hash *h, bool *changed, void *argp)
{
	IncrArg    *arg = argp;
	int			i = hash_find(h, c->argv[2], c->argv_len[2]);
	long long	value = 0;
	char		buf[32];
	int			n;

	if (i >= 0 && !StringToLongLong(h->f[i].value, h->f[i].vlen, &value))
	{
		AddReplyError(&c->reply, "ERR hash value is not an integer");
		return false;
	}
	if ((arg->by < 0 && value < 0 && arg->by < LLONG_MIN - value) ||
		(arg->by > 0 && value > 0 && arg->by > LLONG_MAX - value))
	{
		AddReplyError(&c->reply, "ERR increment or decrement would overflow");
		return false;
	}
	value += arg->by;
	n = LongLongToString(buf, sizeof(buf), value);
	{
		char	   *owned = MemStrndup(buf, (size_t) n);

		hash_set(h, c->argv[2], c->argv_len[2], owned, (size_t) n, owned);
	}
	arg->result = value;
	*changed = true;
	return true;
}

static void
reply_incr(Client *c, void *arg)
{
	AddReplyLongLong(&c->reply, ((IncrArg *) arg)->result);
}

void
HincrbyCommand(Client *c)
{
	IncrArg		arg;

	if (!GetLongLongOrReply(c, 3, &arg.by, NULL))
		return;
	hash_write(c, hincrby_fn, &arg, reply_incr);
}

static bool
hincrbyfloat_fn(Client *c, Hash *h, bool *changed, void *argp)
{
	IncrArg    *arg = argp;
	int			i = hash_find(h, c->argv[2], c->argv_len[2]);
	long double value = 0;

	if (i >= 0 && !StringToLongDouble(h->f[i].value, h->f[i].vlen, &value))
	{
		AddReplyError(&c->reply, "ERR hash value is not a float");
		return false;
	}
	value += arg->fby;
	if (isnan(value) || isinf(value))
	{
		AddReplyError(&c->reply, "ERR increment would produce NaN or Infinity");
		return false;
	}
	arg->text_len = FormatHumanLongDouble(arg->text, sizeof(arg->text), value);
	{
		char	   *owned = MemStrndup(arg->text, (size_t) arg->text_len);

		hash_set(h, c->argv[2], c->argv_len[2], owned, (size_t) arg->text_len, owned);
	}
	*changed = true;
	return true;
}

static void
reply_float(Client *c, void *argp)
{
	IncrArg    *arg = argp;

	AddReplyBulk(&c->reply, arg->text, (size_t) arg->text_len);
}

void
HincrbyfloatCommand(Client *c)
{
	IncrArg		arg;

	if (!StringToLongDouble(c->argv[3], c->argv_len[3], &arg.fby))
	{
		AddReplyError(&c->reply, "ERR value is not a valid float");
		return;
	}
	if (isnan(arg.fby) || isinf(arg.fby))
	{
		AddReplyError(&c->reply, "ERR value is NaN or Infinity");
		return;
	}
	hash_write(c, hincrbyfloat_fn, &arg, reply_float);
}

/* ------------------------------------------------------------ reads */

void
HgetCommand(Client *c)
{
	HashRead	r;
	int			i;

	if (!hash_read_begin(c, &r, CollReplyNull))
		return;
	i = hash_find(&r.h, c->argv[2], c->argv_len[2]);
	if (i < 0)
		AddReplyNull(&c->reply);
	else
		AddReplyBulk(&c->reply, r.h.f[i].value, r.h.f[i].vlen);
	hash_read_end(&r);
}

static void
reply_nulls(Client *c)
{
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
		AddReplyNull(&c->reply);
}

void
HmgetCommand(Client *c)
{
	HashRead	r;

	if (!hash_read_begin(c, &r, reply_nulls))
		return;
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
	{
		int			j = hash_find(&r.h, c->argv[i], c->argv_len[i]);

		if (j < 0)
			AddReplyNull(&c->reply);
		else
			AddReplyBulk(&c->reply, r.h.f[j].value, r.h.f[j].vlen);
	}
	hash_read_end(&r);
}

void
HlenCommand(Client *c)
{
	HashRead	r;

	if (!hash_read_begin(c, &r, CollReplyZero))
		return;
	AddReplyLongLong(&c->reply, r.h.n);
	hash_read_end(&r);
}

void
HexistsCommand(Client *c)
{
	HashRead	r;

	if (!hash_read_begin(c, &r, CollReplyZero))
		return;
	AddReplyLongLong(&c->reply, hash_find(&r.h, c->argv[2], c->argv_len[2]) >= 0);
	hash_read_end(&r);
}

void
HstrlenCommand(Client *c)
{
	HashRead	r;
	int			i;

	if (!hash_read_begin(c, &r, CollReplyZero))
		return;
	i = hash_find(&r.h, c->argv[2], c->argv_len[2]);
	AddReplyLongLong(&c->reply, i < 0 ? 0 : (long long) r.h.f[i].vlen);
	hash_read_end(&r);
}

static void
reply_empty_map(Client *c)
{
	AddReplyMapLen(&c->reply, 0);
}

/* HGETALL 'a', HKEYS 'k', HVALS 'v' */
static void
getall_generic(Client *c, char what)
{
	HashRead	r;

	if (!hash_read_begin(c, &r, what == 'a' ? reply_empty_map : CollReplyEmptyArray))
		return;
	if (what == 'a')
		AddReplyMapLen(&c->reply, r.h.n);
	else
		AddReplyArrayLen(&c->reply, r.h.n);
	for (int i = 0; i < r.h.n; i++)
	{
		if (what != 'v')
			AddReplyBulk(&c->reply, r.h.f[i].field, r.h.f[i].flen);
		if (what != 'k')
			AddReplyBulk(&c->reply, r.h.f[i].value, r.h.f[i].vlen);
	}
	hash_read_end(&r);
}

void
HgetallCommand(Client *c)
{
	getall_generic(c, 'a');
}

void
HkeysCommand(Client *c)
{
	getall_generic(c, 'k');
}

void
HvalsCommand(Client *c)
{
	getall_generic(c, 'v');
}

/*
 * HRANDFIELD key [count [WITHVALUES]], Redis's rules: no count, one field
 * (nil if missing); count >= 0, that many distinct fields at most; count
 * < 0, |count| fields that may repeat.
 */
void
HrandfieldCommand(Client *c)
{
	HashRead	r;
	long long	count = 0;
	bool		with_values = false, has_count = c->argc >= 3;

	if (c->argc > 4)
	{
		ReplySyntaxError(c);
		return;
	}
	if (has_count)
	{
		if (!GetLongLongOrReply(c, 2, &count, NULL))
			return;
		if (count == LLONG_MIN)
		{
			AddReplyError(&c->reply, "ERR value is out of range, value must between "
						  "-9223372036854775807 and 9223372036854775807");
			return;
		}
		if (c->argc == 4)
		{
			if (!ArgEquals(c, 3, "withvalues"))
			{
				ReplySyntaxError(c);
				return;
			}
			with_values = true;
			if (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)
			{
				AddReplyError(&c->reply, "ERR value is out of range");
				return;
			}
		}
	}
	if (!hash_read_begin(c, &r, has_count ? CollReplyEmptyArray : CollReplyNull))
		return;
	if (!has_count)
	{
		int			i = (int) (RandomU64() % (uint64_t) r.h.n);

		AddReplyBulk(&c->reply, r.h.f[i].field, r.h.f[i].flen);
	}
	else
	{
		long long	n = count < 0 ? -count : (count < r.h.n ? count : r.h.n);
		int		   *pick = MemAlloc(sizeof(int) * (size_t) (n > 0 ? (count < 0 ? 1 : n) : 1));

		if (count >= r.h.n)
		{
			/* the whole hash, in its order, as Redis returns it */
			for (int i = 0; i < n; i++)
				pick[i] = i;
		}
		else if (count >= 0)
		{
			/* distinct: a random order of the first n of a shuffle */
			int		   *all = MemAlloc(sizeof(int) * (size_t) r.h.n);

			for (int i = 0; i < r.h.n; i++)
				all[i] = i;
			for (int i = 0; i < n; i++)
			{
				int			j = i + (int) (RandomU64() % (uint64_t) (r.h.n - i));
				int			tmp = all[i];

				all[i] = all[j];
				all[j] = tmp;
				pick[i] = all[i];
			}
			MemFree(all);
		}
		if (with_values && c->resp == 3)
			AddReplyArrayLen(&c->reply, n);
		else
			AddReplyArrayLen(&c->reply, with_values ? n * 2 : n);
		for (long long k = 0; k < n; k++)
		{
			int			i = count >= 0 ? pick[k] : (int) (RandomU64() % (uint64_t) r.h.n);

			if (with_values && c->resp == 3)
				AddReplyArrayLen(&c->reply, 2);
			AddReplyBulk(&c->reply, r.h.f[i].field, r.h.f[i].flen);
			if (with_values)
				AddReplyBulk(&c->reply, r.h.f[i].value, r.h.f[i].vlen);
		}
		MemFree(pick);
	}
	hash_read_end(&r);
}

/*
 * HSCAN key cursor [MATCH pattern] [COUNT count]: a hash is small enough to
 * come back whole, with cursor 0, as Redis does for a listpack.
 */
void
HscanCommand(Client *c)
{
	HashRead	r;
	uint64_t	cursor;
	const char *pattern = NULL;
	size_t		plen = 0;
	size_t		handle;
	long long	n = 0;

	if (!ParseScanCursorOrReply(c, 2, &cursor))
		return;
	(void) cursor;
	/* as in Redis: the key (missing, wrong type) before the options */
	if (!hash_read_begin(c, &r, CollReplyEmptyScan))
		return;
	if (!CollParseScanOptions(c, 3, &pattern, &plen))
	{
		hash_read_end(&r);
		return;
	}
	AddReplyArrayLen(&c->reply, 2);
	AddReplyBulkCString(&c->reply, "0");
	handle = AddReplyDeferredLen(&c->reply);
	for (int i = 0; i < r.h.n; i++)
	{
		if (pattern && !StringMatch(pattern, plen, r.h.f[i].field, r.h.f[i].flen, false))
			continue;
		AddReplyBulk(&c->reply, r.h.f[i].field, r.h.f[i].flen);
		AddReplyBulk(&c->reply, r.h.f[i].value, r.h.f[i].vlen);
		n += 2;
	}
	SetDeferredArrayLen(&c->reply, handle, n);
	hash_read_end(&r);
}

/*
 * OBJECT ENCODING of a hash: the encoding Redis would have chosen, which
 * stays hashtable once the hash outgrew the listpack (KS_FLAG_HASHTABLE).
 */
const char *
HashEncodingName(const char *value, size_t len, uint8_t flags)
{
	Hash		h;
	const char *name;

	if ((flags & KS_FLAG_HASHTABLE) || !hash_decode(value, len, &h))
		return "hashtable";
	name = hash_is_listpack(&h) ? "listpack" : "hashtable";
	hash_free(&h);
	return name;
}
