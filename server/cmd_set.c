/*
 * cmd_set.c
 *	  Sets: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP
 *	  SMOVE SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE
 *	  SINTERCARD SSCAN.
 *
 * NOTES
 *	  Stored inline like a hash (server/cmd_hash.c): one value of type
 *	  KS_TYPE_SET, its members one after the other, each preceded by its
 *	  length (4 bytes, little-endian), in insertion order. A write decodes,
 *	  changes and stores a new version under the locks of every key it
 *	  names, so it is atomic and O(size); a set is limited to SET_MAX_BYTES
 *	  encoded, and a write past that is refused with an error that says so
 *	  (DESIGN.md's per-element B+tree for big collections is not built).
 *	  A write that leaves a set empty deletes the key, as in Redis. Reads
 *	  of several keys (SINTER ...) read them as one state (one snapshot).
 */
#include "config.h"

#include "server/collection.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"

#include <limits.h>
#include <string.h>

#define SET_MAX_BYTES (1024 * 1024)
typedef CollElems Set;

#define INTSET_MAX_ENTRIES 512	/* Redis's set-max-intset-entries */

static const char *const err_set_too_big =
"ERR set too large for tusk: at most 1 MB of members (sets stored one element "
"per tuple are not implemented yet)";

static bool set_is_intset(const Set *s);

/*
 * Store s as argv[argi] (deleted when empty); false after an error reply.
 * keep_ttl: s is cur changed in place (SADD, SREM, SPOP, SMOVE), which
 * keeps cur's TTL and, as in Redis, its hashtable encoding once it had
 * one; otherwise (the STORE forms) s is a new set, encoded by contents.
 */
static bool
store_set(Client *c, int argi, const Set *s, const KsValue *cur, bool keep_ttl)
{
	bool		grown = keep_ttl && cur->exists && cur->type == KS_TYPE_SET &&
		(cur->flags & KS_FLAG_HASHTABLE);

	return CollStoreElemsFlags(c, argi, s, KS_TYPE_SET,
							   grown || !set_is_intset(s) ? KS_FLAG_HASHTABLE : 0, cur, keep_ttl,
							   SET_MAX_BYTES, err_set_too_big);
}

static int
set_find(const Set *s, const char *p, size_t len)
{
	for (int i = 0; i < s->n; i++)
		if (s->e[i].len == len && memcmp(s->e[i].p, p, len) == 0)
			return i;
	return -1;
}

/* Add unless present; true if added. */
static bool
set_add(Set *s, const char *p, size_t len)
{
	if (set_find(s, p, len) >= 0)
		return false;
	CollElemsInsert(s, s->n, p, len);
	return true;
}

static void
reply_members(Client *c, const Set *s)
{
	AddReplySetLen(&c->reply, s->n);
	for (int i = 0; i < s->n; i++)
		AddReplyBulk(&c->reply, s->e[i].p, s->e[i].len);
}

/* ------------------------------------------------------ one-key writes */

typedef bool (*SetWriteFn) (Client *c, Set *s, bool *changed, void *arg);

static void
set_write(Client *c, SetWriteFn fn, void *arg, void (*reply) (Client *c, void *arg))
{
	CmdTxn		t;
	KsValue		cur;
	Set			s;
	bool		ok, changed = false;

	memset(&s, 0, sizeof(s));
	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &cur) && CollAsElems(c, &cur, KS_TYPE_SET, &s);
	if (ok)
		ok = fn(c, &s, &changed, arg);
	if (ok && changed)
		ok = store_set(c, 1, &s, &cur, true);
	CmdWriteFinish(c, &t, ok, changed, reply, arg);
	CollElemsFree(&s);
	KsValueRelease(&cur);
}

static bool
sadd_fn(Client *c, Set *s, bool *changed, void *arg)
{
	long long  *added = arg;

	*added = 0;
	for (int i = 2; i < c->argc; i++)
		*added += set_add(s, c->argv[i], c->argv_len[i]);
	*changed = *added > 0;
	return true;
}

void
SaddCommand(Client *c)
{
	long long	added;

	set_write(c, sadd_fn, &added, CollReplyCount);
}

static bool
srem_fn(Client *c, Set *s, bool *changed, void *arg)
{
	long long  *removed = arg;

	*removed = 0;
	for (int i = 2; i < c->argc; i++)
	{
		int			j = set_find(s, c->argv[i], c->argv_len[i]);

		if (j >= 0)
		{
			CollElemsRemove(s, j);
			(*removed)++;
		}
	}
	*changed = *removed > 0;
	return true;
}

void
SremCommand(Client *c)
{
	long long	removed;

	set_write(c, srem_fn, &removed, CollReplyCount);
}

/* SPOP: what was popped, for the reply */
typedef struct PopArg
{
	bool		has_count;
	long long	count;
	Set			popped;
	char	   *copy;			/* the popped members' bytes (the set is rewritten) */
} PopArg;

static bool
spop_fn(Client *c, Set *s, bool *changed, void *argp)
{
	PopArg	   *arg = argp;
	long long	n = arg->has_count ? arg->count : 1;

	if (n > s->n)
		n = s->n;
	memset(&arg->popped, 0, sizeof(arg->popped));
	/* pick n members at random, moving them to the end */
	for (long long k = 0; k < n; k++)
	{
		int			last = s->n - 1 - (int) k;
		int			j = (int) (RandomU64() % (uint64_t) (last + 1));
		CollElem		tmp = s->e[j];

		s->e[j] = s->e[last];
		s->e[last] = tmp;
	}
	arg->copy = CollElemsCopy(s, s->n - 1, -1, (long) n, &arg->popped);
	s->n -= (int) n;
	*changed = n > 0;
	return true;
}

static void
reply_popped(Client *c, void *argp)
{
	PopArg	   *arg = argp;

	if (!arg->has_count)
	{
		if (arg->popped.n == 0)
			AddReplyNull(&c->reply);
		else
			AddReplyBulk(&c->reply, arg->popped.e[0].p, arg->popped.e[0].len);
	}
	else
		reply_members(c, &arg->popped);
}

void
SpopCommand(Client *c)
{
	PopArg		arg;

	memset(&arg, 0, sizeof(arg));
	if (c->argc > 3)
	{
		ReplySyntaxError(c);
		return;
	}
	if (!CollParsePopCount(c, &arg.has_count, &arg.count))
		return;
	set_write(c, spop_fn, &arg, reply_popped);
	CollElemsFree(&arg.popped);
	MemFree(arg.copy);
}

/*
 * SMOVE src dst member, Redis's order of checks: a missing source is 0
 * before any type is checked; then both types; src == dst only answers
 * whether member is there.
 */
void
SmoveCommand(Client *c)
{
	CmdTxn		t;
	KsValue		src, dst;
	Set			ss, ds;
	bool		ok, same, moved = false;
	int			j = -1;

	memset(&ss, 0, sizeof(ss));
	memset(&ds, 0, sizeof(ds));
	KsValueInit(&dst);
	if (!CmdWriteBeginKeys(c, &t, 1, 2, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &src) && CmdLoadLatest(c, &t, 2, &dst);
	if (ok && !src.exists)
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, 0);
		KsValueRelease(&src);
		KsValueRelease(&dst);
		return;
	}
	if (ok && ((src.type != KS_TYPE_SET) || (dst.exists && dst.type != KS_TYPE_SET)))
	{
		AddReplyError(&c->reply, err_wrongtype);
		ok = false;
	}
	ok = ok && CollAsElems(c, &src, KS_TYPE_SET, &ss) && CollAsElems(c, &dst, KS_TYPE_SET, &ds);
	same = c->argv_len[1] == c->argv_len[2] && memcmp(c->argv[1], c->argv[2], c->argv_len[1]) == 0;
	if (ok)
		j = set_find(&ss, c->argv[3], c->argv_len[3]);
	if (ok && j >= 0 && !same)
	{
		CollElemsRemove(&ss, j);
		set_add(&ds, c->argv[3], c->argv_len[3]);
		ok = store_set(c, 1, &ss, &src, true) && store_set(c, 2, &ds, &dst, true);
		moved = ok;
	}
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (!moved)
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, j >= 0 ? 1 : 0);
	}
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, 1);
	CollElemsFree(&ss);
	CollElemsFree(&ds);
	KsValueRelease(&src);
	KsValueRelease(&dst);
}

/* ------------------------------------------------------------ reads */

static void
reply_empty_set(Client *c)
{
	AddReplySetLen(&c->reply, 0);
}

static void
reply_zeros(Client *c)
{
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
		AddReplyLongLong(&c->reply, 0);
}

void
ScardCommand(Client *c)
{
	KsValue		v;
	Set			s;

	if (!CollReadElems(c, &v, KS_TYPE_SET, &s, CollReplyZero))
		return;
	AddReplyLongLong(&c->reply, s.n);
	CollElemsFree(&s);
	KsValueRelease(&v);
}

void
SismemberCommand(Client *c)
{
	KsValue		v;
	Set			s;

	if (!CollReadElems(c, &v, KS_TYPE_SET, &s, CollReplyZero))
		return;
	AddReplyLongLong(&c->reply, set_find(&s, c->argv[2], c->argv_len[2]) >= 0);
	CollElemsFree(&s);
	KsValueRelease(&v);
}

void
SmismemberCommand(Client *c)
{
	KsValue		v;
	Set			s;

	if (!CollReadElems(c, &v, KS_TYPE_SET, &s, reply_zeros))
		return;
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
		AddReplyLongLong(&c->reply, set_find(&s, c->argv[i], c->argv_len[i]) >= 0);
	CollElemsFree(&s);
	KsValueRelease(&v);
}

void
SmembersCommand(Client *c)
{
	KsValue		v;
	Set			s;

	if (!CollReadElems(c, &v, KS_TYPE_SET, &s, reply_empty_set))
		return;
	reply_members(c, &s);
	CollElemsFree(&s);
	KsValueRelease(&v);
}

/* SRANDMEMBER key [count]: HRANDFIELD's rules (server/cmd_hash.c). */
void
SrandmemberCommand(Client *c)
{
	KsValue		v;
	Set			s;
	long long	count = 0;
	bool		has_count = c->argc >= 3;

	if (c->argc > 3)
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
	}
	if (!CollReadElems(c, &v, KS_TYPE_SET, &s, has_count ? CollReplyEmptyArray : CollReplyNull))
		return;
	if (!has_count)
	{
		CollElem	   *m = &s.e[RandomU64() % (uint64_t) s.n];

		AddReplyBulk(&c->reply, m->p, m->len);
	}
	else if (count < 0)
	{
		AddReplyArrayLen(&c->reply, -count);
		for (long long k = 0; k < -count; k++)
		{
			CollElem	   *m = &s.e[RandomU64() % (uint64_t) s.n];

			AddReplyBulk(&c->reply, m->p, m->len);
		}
	}
	else
	{
		long long	n = count < s.n ? count : s.n;

		/* distinct members: the first n of a shuffle (the whole set when n covers it) */
		for (long long k = 0; k < n && count < s.n; k++)
		{
			int			j = (int) k + (int) (RandomU64() % (uint64_t) (s.n - k));
			CollElem		tmp = s.e[k];

			s.e[k] = s.e[j];
			s.e[j] = tmp;
		}
		AddReplyArrayLen(&c->reply, n);
		for (long long k = 0; k < n; k++)
			AddReplyBulk(&c->reply, s.e[k].p, s.e[k].len);
	}
	CollElemsFree(&s);
	KsValueRelease(&v);
}

/* Release what read_many or a STORE form loaded. */
static void
free_loaded(KsValue *vals, Set *sets, int n)
{
	for (int i = 0; i < n; i++)
	{
		CollElemsFree(&sets[i]);
		KsValueRelease(&vals[i]);
	}
}

/* Load keys argv[first .. first+n-1] as one state; false after a reply. */
static bool
read_many(Client *c, int first, int n, KsValue *vals, Set *sets)
{
	CmdTxn		t;
	bool		ok;

	CmdReadBegin(c, &t);
	if (!CmdLoadVisibleMany(c, &t, first, n, vals))
	{
		SnapshotReleaseAll();
		return false;
	}
	ok = CmdReadEnd(c, &t);
	for (int i = 0; i < n; i++)
		memset(&sets[i], 0, sizeof(Set));
	/* every type first, as Redis checks them before it looks at contents */
	for (int i = 0; ok && i < n; i++)
		if (vals[i].exists && vals[i].type != KS_TYPE_SET)
		{
			AddReplyError(&c->reply, err_wrongtype);
			ok = false;
		}
	for (int i = 0; ok && i < n; i++)
		ok = CollAsElems(c, &vals[i], KS_TYPE_SET, &sets[i]);
	if (!ok)
		free_loaded(vals, sets, n);
	return ok;
}

/* op: 'i' intersection, 'u' union, 'd' difference (first minus the rest) */
static void
combine(char op, const Set *sets, const KsValue *vals, int n, Set *out)
{
	memset(out, 0, sizeof(*out));
	if (op == 'u')
	{
		for (int i = 0; i < n; i++)
			for (int k = 0; k < sets[i].n; k++)
				set_add(out, sets[i].e[k].p, sets[i].e[k].len);
		return;
	}
	if (op == 'i')
		for (int i = 0; i < n; i++)
			if (!vals[i].exists)
				return;			/* with an empty set, empty */
	for (int k = 0; k < sets[0].n; k++)
	{
		bool		keep = op == 'i';

		for (int i = 1; i < n; i++)
		{
			bool		in = set_find(&sets[i], sets[0].e[k].p, sets[0].e[k].len) >= 0;

			if (op == 'i' && !in)
			{
				keep = false;
				break;
			}
			if (op == 'd' && in)
				break;
			if (op == 'd' && i == n - 1)
				keep = true;
		}
		if (op == 'd' && n == 1)
			keep = true;
		if (keep)
			CollElemsInsert(out, out->n, sets[0].e[k].p, sets[0].e[k].len);
	}
}

static void
set_op_read(Client *c, char op)
{
	int			n = c->argc - 1;
	KsValue    *vals = MemAlloc(sizeof(KsValue) * (size_t) n);
	Set		   *sets = MemAlloc(sizeof(Set) * (size_t) n);
	Set			out;

	if (read_many(c, 1, n, vals, sets))
	{
		combine(op, sets, vals, n, &out);
		reply_members(c, &out);
		CollElemsFree(&out);
		free_loaded(vals, sets, n);
	}
	MemFree(vals);
	MemFree(sets);
}

void
SinterCommand(Client *c)
{
	set_op_read(c, 'i');
}

void
SunionCommand(Client *c)
{
	set_op_read(c, 'u');
}

void
SdiffCommand(Client *c)
{
	set_op_read(c, 'd');
}

/* S*STORE dst key...: the result replaces dst (any type); empty deletes it. */
static void
set_op_store(Client *c, char op)
{
	int			n = c->argc - 2;
	KsValue    *vals = MemAlloc(sizeof(KsValue) * (size_t) n);
	Set		   *sets = MemAlloc(sizeof(Set) * (size_t) n);
	KsValue		dst;
	CmdTxn		t;
	Set			out;
	bool		ok = true;

	memset(&out, 0, sizeof(out));
	KsValueInit(&dst);
	for (int i = 0; i < n; i++)
	{
		KsValueInit(&vals[i]);
		memset(&sets[i], 0, sizeof(Set));
	}
	if (!CmdWriteBeginKeys(c, &t, 1, c->argc - 1, 1))
	{
		MemFree(vals);
		MemFree(sets);
		return;
	}
	for (int i = 0; i < n && ok; i++)
		ok = CmdLoadLatest(c, &t, 2 + i, &vals[i]);
	for (int i = 0; ok && i < n; i++)
		if (vals[i].exists && vals[i].type != KS_TYPE_SET)
		{
			AddReplyError(&c->reply, err_wrongtype);
			ok = false;
		}
	for (int i = 0; ok && i < n; i++)
		ok = CollAsElems(c, &vals[i], KS_TYPE_SET, &sets[i]);
	ok = ok && CmdLoadLatestMeta(c, &t, 1, &dst);
	if (ok)
	{
		combine(op, sets, vals, n, &out);
		/* dst as it was, any type: replaced, TTL dropped (Redis's setKey) */
		ok = store_set(c, 1, &out, &dst, false);
	}
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, out.n);
	CollElemsFree(&out);
	free_loaded(vals, sets, n);
	KsValueRelease(&dst);
	MemFree(vals);
	MemFree(sets);
}

void
SinterstoreCommand(Client *c)
{
	set_op_store(c, 'i');
}

void
SunionstoreCommand(Client *c)
{
	set_op_store(c, 'u');
}

void
SdiffstoreCommand(Client *c)
{
	set_op_store(c, 'd');
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void
SintercardCommand(Client *c)
{
	long long	numkeys, limit = 0;
	KsValue    *vals;
	Set		   *sets;
	Set			out;

	if (!StringToLongLong(c->argv[1], c->argv_len[1], &numkeys) || numkeys <= 0)
	{
		AddReplyError(&c->reply, "ERR numkeys should be greater than 0");
		return;
	}
	if (numkeys > c->argc - 2)
	{
		AddReplyError(&c->reply, "ERR Number of keys can't be greater than number of args");
		return;
	}
	for (int i = 2 + (int) numkeys; i < c->argc; i += 2)
	{
		if (ArgEquals(c, i, "limit") && i + 1 < c->argc)
		{
			if (!StringToLongLong(c->argv[i + 1], c->argv_len[i + 1], &limit) || limit < 0)
			{
				AddReplyError(&c->reply, "ERR LIMIT can't be negative");
				return;
			}
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	vals = MemAlloc(sizeof(KsValue) * (size_t) numkeys);
	sets = MemAlloc(sizeof(Set) * (size_t) numkeys);
	if (read_many(c, 2, (int) numkeys, vals, sets))
	{
		combine('i', sets, vals, (int) numkeys, &out);
		AddReplyLongLong(&c->reply, limit > 0 && out.n > limit ? limit : out.n);
		CollElemsFree(&out);
		free_loaded(vals, sets, (int) numkeys);
	}
	MemFree(vals);
	MemFree(sets);
}

/* SSCAN key cursor [MATCH pattern] [COUNT count]: the whole set, cursor 0. */
void
SscanCommand(Client *c)
{
	KsValue		v;
	Set			s;
	uint64_t	cursor;
	const char *pattern = NULL;
	size_t		plen = 0, handle;
	long long	n = 0;

	if (!ParseScanCursorOrReply(c, 2, &cursor))
		return;
	if (!CollReadElems(c, &v, KS_TYPE_SET, &s, CollReplyEmptyScan))
		return;
	if (!CollParseScanOptions(c, 3, &pattern, &plen))
	{
		CollElemsFree(&s);
		KsValueRelease(&v);
		return;
	}
	AddReplyArrayLen(&c->reply, 2);
	AddReplyBulkCString(&c->reply, "0");
	handle = AddReplyDeferredLen(&c->reply);
	for (int i = 0; i < s.n; i++)
	{
		if (pattern && !StringMatch(pattern, plen, s.e[i].p, s.e[i].len, false))
			continue;
		AddReplyBulk(&c->reply, s.e[i].p, s.e[i].len);
		n++;
	}
	SetDeferredArrayLen(&c->reply, handle, n);
	CollElemsFree(&s);
	KsValueRelease(&v);
}

/* Whether Redis 7.0 would keep s as an intset (by its contents alone). */
static bool
set_is_intset(const Set *s)
{
	if (s->n > INTSET_MAX_ENTRIES)
		return false;
	for (int i = 0; i < s->n; i++)
	{
		long long	ll;
		char		buf[32];

		/* an intset holds only members that are canonical integers */
		if (!StringToLongLong(s->e[i].p, s->e[i].len, &ll) ||
			(size_t) LongLongToString(buf, sizeof(buf), ll) != s->e[i].len)
			return false;
	}
	return true;
}

/*
 * OBJECT ENCODING of a stored set: Redis 7.0's intset or hashtable, which
 * stays hashtable once the set outgrew the intset (KS_FLAG_HASHTABLE).
 */
const char *
SetEncodingName(const char *value, size_t len, uint8_t flags)
{
	Set			s;
	const char *name;

	if ((flags & KS_FLAG_HASHTABLE) || !CollElemsDecode(value, len, &s))
		return "hashtable";
	name = set_is_intset(&s) ? "intset" : "hashtable";
	CollElemsFree(&s);
	return name;
}
