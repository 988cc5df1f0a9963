/*
 * cmd_list.c
 *	  Lists: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LREM
 *	  LTRIM LINSERT LPOS LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP BRPOP
 *	  BLMOVE BRPOPLPUSH BLMPOP.
 *
 * NOTES
 *	  Stored inline like hashes and sets (server/collection.h): one value of
 *	  type KS_TYPE_LIST, its elements head first, each preceded by its
 *	  length. A write decodes, changes and stores a new version under the
 *	  locks of every key it names, so it is atomic and O(size of the list);
 *	  a list is limited to LIST_MAX_BYTES encoded, and a push past that is
 *	  refused with an error that says so. A list left empty is deleted.
 *
 *	  A blocking command first tries once like its non-blocking form; if
 *	  every key is empty it sleeps in server/blocking.c and retries, each
 *	  time in a transaction of its own, when a writer of one of its keys
 *	  wakes it (store_list notes every list it leaves non-empty). Inside
 *	  EXEC it does not block: it answers as if the timeout had passed.
 */
#include "config.h"

#include "server/blocking.h"
#include "server/collection.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"

#include <limits.h>
#include <string.h>

#define LIST_MAX_BYTES (1024 * 1024)

typedef CollElems List;

static const char *const err_list_too_big =
"ERR list too large for tusk: at most 1 MB of elements (lists stored one element "
"per tuple are not implemented yet)";

bool
ListStore(Client *c, int argi, const CollElems *l, const KsValue *cur, bool keep_ttl)
{
	if (!CollStoreElems(c, argi, l, KS_TYPE_LIST, cur, keep_ttl, LIST_MAX_BYTES,
						err_list_too_big))
		return false;
	if (l->n > 0)
		BlockNoteKey(c->db, c->argv[argi], c->argv_len[argi]);
	return true;
}

/* A list changed in place: its TTL is kept. */
static bool
store_list(Client *c, int argi, const List *l, const KsValue *cur)
{
	return ListStore(c, argi, l, cur, true);
}

static bool
same_elem(const CollElem *e, const char *p, size_t len)
{
	return e->len == len && memcmp(e->p, p, len) == 0;
}

/* Index (negative from the tail) to a position, or -1 if out of range. */
static long
list_pos(const List *l, long long index)
{
	if (index < 0)
		index += l->n;
	return index < 0 || index >= l->n ? -1 : (long) index;
}

/* ------------------------------------------------------ one-key writes */

/* fn changes l and may reply itself (then returns false with replied) */
typedef bool (*ListWriteFn) (Client *c, List *l, bool exists, bool *changed, void *arg);

static void
list_write(Client *c, ListWriteFn fn, void *arg, void (*reply) (Client *c, void *arg))
{
	CmdTxn		t;
	KsValue		cur;
	List		l;
	bool		ok, changed = false;

	memset(&l, 0, sizeof(l));
	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &cur) && CollAsElems(c, &cur, KS_TYPE_LIST, &l);
	if (ok)
		ok = fn(c, &l, cur.exists, &changed, arg);
	if (ok && changed)
		ok = store_list(c, 1, &l, &cur);
	CmdWriteFinish(c, &t, ok, changed, reply, arg);
	CollElemsFree(&l);
	KsValueRelease(&cur);
}

typedef struct PushArg
{
	bool		left;
	bool		only_existing;	/* LPUSHX / RPUSHX */
	long long	len;
} PushArg;

static bool
push_fn(Client *c, List *l, bool exists, bool *changed, void *argp)
{
	PushArg    *arg = argp;

	if (arg->only_existing && !exists)
	{
		arg->len = 0;
		return true;
	}
	for (int i = 2; i < c->argc; i++)
		CollElemsInsert(l, arg->left ? 0 : l->n, c->argv[i], c->argv_len[i]);
	arg->len = l->n;
	*changed = true;
	return true;
}

static void
reply_push(Client *c, void *argp)
{
	AddReplyLongLong(&c->reply, ((PushArg *) argp)->len);
}

static void
push_generic(Client *c, bool left, bool only_existing)
{
	PushArg		arg = {left, only_existing, 0};

	list_write(c, push_fn, &arg, reply_push);
}

void
LpushCommand(Client *c)
{
	push_generic(c, true, false);
}

void
RpushCommand(Client *c)
{
	push_generic(c, false, false);
}

void
LpushxCommand(Client *c)
{
	push_generic(c, true, true);
}

void
RpushxCommand(Client *c)
{
	push_generic(c, false, true);
}

typedef struct PopArg
{
	bool		left;
	bool		has_count;
	long long	count;
	bool		exists;
	List		popped;
	char	   *copy;
} PopArg;

static bool
pop_fn(Client *c, List *l, bool exists, bool *changed, void *argp)
{
	PopArg	   *arg = argp;
	long long	n = arg->has_count ? arg->count : 1;

	arg->exists = exists;
	if (n > l->n)
		n = l->n;
	arg->copy = CollElemsCopy(l, arg->left ? 0 : l->n - 1, arg->left ? 1 : -1, (long) n,
							  &arg->popped);
	if (arg->left)
		memmove(&l->e[0], &l->e[n], sizeof(CollElem) * (size_t) (l->n - n));
	l->n -= (long) n;
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
		return;
	}
	if (!arg->exists)
	{
		AddReplyNullArray(&c->reply);
		return;
	}
	AddReplyArrayLen(&c->reply, arg->popped.n);
	for (long i = 0; i < arg->popped.n; i++)
		AddReplyBulk(&c->reply, arg->popped.e[i].p, arg->popped.e[i].len);
}

static void
pop_generic(Client *c, bool left)
{
	PopArg		arg;

	memset(&arg, 0, sizeof(arg));
	arg.left = left;
	if (c->argc > 3)
	{
		ReplyWrongArity(c, c->cmd);
		return;
	}
	if (!CollParsePopCount(c, &arg.has_count, &arg.count))
		return;
	list_write(c, pop_fn, &arg, reply_popped);
	CollElemsFree(&arg.popped);
	MemFree(arg.copy);
}

void
LpopCommand(Client *c)
{
	pop_generic(c, true);
}

void
RpopCommand(Client *c)
{
	pop_generic(c, false);
}

static bool
lset_fn(Client *c, List *l, bool exists, bool *changed, void *argp)
{
	long long	index = *(long long *) argp;
	long		pos;

	if (!exists)
	{
		AddReplyError(&c->reply, "ERR no such key");
		return false;
	}
	pos = list_pos(l, index);
	if (pos < 0)
	{
		AddReplyError(&c->reply, "ERR index out of range");
		return false;
	}
	l->e[pos].p = c->argv[3];
	l->e[pos].len = c->argv_len[3];
	*changed = true;
	return true;
}

static void
reply_ok(Client *c, void *arg)
{
	(void) arg;
	AddReplyOk(&c->reply);
}

void
LsetCommand(Client *c)
{
	long long	index;

	if (!GetLongLongOrReply(c, 2, &index, NULL))
		return;
	list_write(c, lset_fn, &index, reply_ok);
}

static bool
lrem_fn(Client *c, List *l, bool exists, bool *changed, void *argp)
{
	long long  *count = argp;
	long long	limit = *count < 0 ? -*count : *count, removed = 0;

	(void) exists;
	if (*count >= 0)
	{
		for (long i = 0; i < l->n && (limit == 0 || removed < limit);)
			if (same_elem(&l->e[i], c->argv[3], c->argv_len[3]))
			{
				CollElemsRemove(l, i);
				removed++;
			}
			else
				i++;
	}
	else
	{
		for (long i = l->n - 1; i >= 0 && removed < limit; i--)
			if (same_elem(&l->e[i], c->argv[3], c->argv_len[3]))
			{
				CollElemsRemove(l, i);
				removed++;
			}
	}
	*count = removed;
	*changed = removed > 0;
	return true;
}

void
LremCommand(Client *c)
{
	long long	count;

	if (!GetLongLongOrReply(c, 2, &count, NULL))
		return;
	list_write(c, lrem_fn, &count, CollReplyCount);
}

typedef struct RangeArg
{
	long long	start;
	long long	end;
} RangeArg;

/* Redis's LRANGE/LTRIM index rules: the [start, end] it covers, or empty. */
static bool
resolve_range(long n, long long start, long long end, long *from, long *to)
{
	if (start < 0)
		start += n;
	if (end < 0)
		end += n;
	if (start < 0)
		start = 0;
	if (start > end || start >= n)
		return false;
	if (end >= n)
		end = n - 1;
	*from = (long) start;
	*to = (long) end;
	return true;
}

static bool
ltrim_fn(Client *c, List *l, bool exists, bool *changed, void *argp)
{
	RangeArg   *arg = argp;
	long		from, to;

	(void) c;
	(void) exists;
	if (!resolve_range(l->n, arg->start, arg->end, &from, &to))
	{
		*changed = l->n > 0;
		l->n = 0;
		return true;
	}
	*changed = from > 0 || to < l->n - 1;
	memmove(&l->e[0], &l->e[from], sizeof(CollElem) * (size_t) (to - from + 1));
	l->n = to - from + 1;
	return true;
}

void
LtrimCommand(Client *c)
{
	RangeArg	arg;

	if (!GetLongLongOrReply(c, 2, &arg.start, NULL) || !GetLongLongOrReply(c, 3, &arg.end, NULL))
		return;
	list_write(c, ltrim_fn, &arg, reply_ok);
}

static bool
linsert_fn(Client *c, List *l, bool exists, bool *changed, void *argp)
{
	long long  *result = argp;
	bool		before = ArgEquals(c, 2, "before");

	if (!exists)
	{
		*result = 0;
		return true;
	}
	*result = -1;
	for (long i = 0; i < l->n; i++)
		if (same_elem(&l->e[i], c->argv[3], c->argv_len[3]))
		{
			CollElemsInsert(l, before ? i : i + 1, c->argv[4], c->argv_len[4]);
			*result = l->n;
			*changed = true;
			break;
		}
	return true;
}

void
LinsertCommand(Client *c)
{
	long long	result;

	if (!ArgEquals(c, 2, "before") && !ArgEquals(c, 2, "after"))
	{
		ReplySyntaxError(c);
		return;
	}
	list_write(c, linsert_fn, &result, CollReplyCount);
}

/*
 * One attempt of LMOVE src dst (argv[1], argv[2]): false, with no reply,
 * if the source is empty (or, on a blocked client's retry, holds another
 * type); else the element moved, or an error, is replied.
 */
static bool
move_try(Client *c, bool from_left, bool to_left, bool retry)
{
	CmdTxn		t;
	KsValue		src, dst;
	List		sl, dl;
	bool		ok, same;
	char	   *copy = NULL;
	size_t		len = 0;

	memset(&sl, 0, sizeof(sl));
	memset(&dl, 0, sizeof(dl));
	KsValueInit(&dst);
	if (!CmdWriteBeginKeys(c, &t, 1, 2, 1))
		return true;
	same = c->argv_len[1] == c->argv_len[2] && memcmp(c->argv[1], c->argv[2], c->argv_len[1]) == 0;
	ok = CmdLoadLatest(c, &t, 1, &src);
	if (ok && retry && src.exists && src.type != KS_TYPE_LIST)
	{
		src.exists = false;		/* Redis keeps the client blocked */
		BlockNoteOtherType();
	}
	ok = ok && CollAsElems(c, &src, KS_TYPE_LIST, &sl);
	if (ok && sl.n == 0)
	{
		CmdWriteAbort(c, &t);
		CollElemsFree(&sl);
		KsValueRelease(&src);
		return false;
	}
	ok = ok && (same || (CmdLoadLatest(c, &t, 2, &dst) && CollAsElems(c, &dst, KS_TYPE_LIST, &dl)));
	if (ok)
	{
		CollElem		e = sl.e[from_left ? 0 : sl.n - 1];
		List	   *target = same ? &sl : &dl;

		copy = MemAlloc(e.len + 1);
		memcpy(copy, e.p, e.len);
		len = e.len;
		CollElemsRemove(&sl, from_left ? 0 : sl.n - 1);
		CollElemsInsert(target, to_left ? 0 : target->n, copy, len);
		ok = store_list(c, 1, &sl, &src) && (same || store_list(c, 2, &dl, &dst));
	}
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyBulk(&c->reply, copy, len);
	MemFree(copy);
	CollElemsFree(&sl);
	CollElemsFree(&dl);
	KsValueRelease(&src);
	KsValueRelease(&dst);
	return true;
}

/* LEFT or RIGHT at argv[argi]; false after the syntax error reply. */
static bool
parse_side(Client *c, int argi, bool *left)
{
	*left = ArgEquals(c, argi, "left");
	if (*left || ArgEquals(c, argi, "right"))
		return true;
	ReplySyntaxError(c);
	return false;
}

void
LmoveCommand(Client *c)
{
	bool		from_left, to_left;

	if (!parse_side(c, 3, &from_left) || !parse_side(c, 4, &to_left))
		return;
	if (!move_try(c, from_left, to_left, false))
		AddReplyNull(&c->reply);
}

void
RpoplpushCommand(Client *c)
{
	if (!move_try(c, false, true, false))
		AddReplyNull(&c->reply);
}

typedef struct MoveArg
{
	bool		from_left;
	bool		to_left;
} MoveArg;

static bool
move_try_fn(Client *c, void *argp, bool retry)
{
	MoveArg    *arg = argp;

	return move_try(c, arg->from_left, arg->to_left, retry);
}

/* BLMOVE and BRPOPLPUSH: block on the source only. */
static void
blocking_move(Client *c, bool from_left, bool to_left, int timeout_argi)
{
	MoveArg		arg = {from_left, to_left};
	long long	timeout_ms;

	if (!BlockParseTimeout(c, timeout_argi, &timeout_ms))
		return;
	if (move_try(c, from_left, to_left, false))
		return;
	if (CmdExecActive())
		AddReplyNull(&c->reply);	/* Redis: LMOVE's reply, inside a transaction */
	else
		BlockRun(c, 1, 1, timeout_ms, move_try_fn, &arg);
}

void
BlmoveCommand(Client *c)
{
	bool		from_left, to_left;

	if (!parse_side(c, 3, &from_left) || !parse_side(c, 4, &to_left))
		return;
	blocking_move(c, from_left, to_left, 5);
}

void
BrpoplpushCommand(Client *c)
{
	blocking_move(c, false, true, 3);
}

/* ------------------------------------------------- multi-key pops */

/*
 * BLPOP/BRPOP key... and [B]LMPOP numkeys key... LEFT|RIGHT [COUNT n]:
 * pop from the first of argv[first .. first+nkeys-1] that holds a list.
 */
typedef struct MpopArg
{
	int			first;
	int			nkeys;
	bool		left;
	long long	count;
	bool		nested;			/* LMPOP's [key, [elements]], not [key, element] */
} MpopArg;

static bool
mpop_try(Client *c, void *argp, bool retry)
{
	MpopArg    *arg = argp;
	CmdTxn		t;

	if (!CmdWriteBeginKeys(c, &t, arg->first, arg->first + arg->nkeys - 1, 1))
		return true;
	for (int i = arg->first; i < arg->first + arg->nkeys; i++)
	{
		KsValue		cur;
		List		l, popped;
		char	   *copy;
		long		n;
		bool		ok;

		if (!CmdLoadLatest(c, &t, i, &cur))
		{
			CmdWriteAbort(c, &t);
			return true;
		}
		if (!cur.exists || (retry && cur.type != KS_TYPE_LIST))
		{
			if (cur.exists)
				BlockNoteOtherType();
			KsValueRelease(&cur);	/* a blocked client skips other types, as in Redis */
			continue;
		}
		if (!CollAsElems(c, &cur, KS_TYPE_LIST, &l))
		{
			CmdWriteAbort(c, &t);
			KsValueRelease(&cur);
			return true;
		}
		n = arg->count < l.n ? (long) arg->count : l.n;
		memset(&popped, 0, sizeof(popped));
		copy = CollElemsCopy(&l, arg->left ? 0 : l.n - 1, arg->left ? 1 : -1, n, &popped);
		if (arg->left)
			memmove(&l.e[0], &l.e[n], sizeof(CollElem) * (size_t) (l.n - n));
		l.n -= n;
		ok = store_list(c, i, &l, &cur);
		if (!ok)
			CmdWriteAbort(c, &t);
		else if (CmdWriteCommit(c, &t))
		{
			AddReplyArrayLen(&c->reply, 2);
			AddReplyBulk(&c->reply, c->argv[i], c->argv_len[i]);
			if (arg->nested)
				AddReplyArrayLen(&c->reply, popped.n);
			for (long k = 0; k < popped.n; k++)
				AddReplyBulk(&c->reply, popped.e[k].p, popped.e[k].len);
		}
		MemFree(copy);
		CollElemsFree(&popped);
		CollElemsFree(&l);
		KsValueRelease(&cur);
		return true;
	}
	CmdWriteAbort(c, &t);
	return false;
}

/* Try once; block unless timeout_ms is negative (LMPOP) or inside EXEC. */
static void
mpop_or_block(Client *c, MpopArg *arg, long long timeout_ms)
{
	if (mpop_try(c, arg, false))
		return;
	if (timeout_ms < 0 || CmdExecActive())
		AddReplyNullArray(&c->reply);
	else
		BlockRun(c, arg->first, arg->nkeys, timeout_ms, mpop_try, arg);
}

static void
blocking_pop(Client *c, bool left)
{
	MpopArg		arg = {1, c->argc - 2, left, 1, false};
	long long	timeout_ms;

	if (!BlockParseTimeout(c, c->argc - 1, &timeout_ms))
		return;
	mpop_or_block(c, &arg, timeout_ms);
}

void
BlpopCommand(Client *c)
{
	blocking_pop(c, true);
}

void
BrpopCommand(Client *c)
{
	blocking_pop(c, false);
}

/*
 * numkeys key... LEFT|RIGHT [COUNT count] from argv[numkeys_argi] on, with
 * Redis's errors; false after the error reply.
 */
static bool
parse_mpop(Client *c, int numkeys_argi, MpopArg *arg)
{
	long long	numkeys;
	int			side_argi;

	memset(arg, 0, sizeof(*arg));
	arg->count = -1;
	arg->nested = true;
	if (!StringToLongLong(c->argv[numkeys_argi], c->argv_len[numkeys_argi], &numkeys) ||
		numkeys <= 0)
	{
		AddReplyError(&c->reply, "ERR numkeys should be greater than 0");
		return false;
	}
	if (numkeys >= c->argc - numkeys_argi - 1)
	{
		ReplySyntaxError(c);	/* no room left for LEFT|RIGHT */
		return false;
	}
	arg->first = numkeys_argi + 1;
	arg->nkeys = (int) numkeys;
	side_argi = arg->first + arg->nkeys;
	if (!parse_side(c, side_argi, &arg->left))
		return false;
	for (int i = side_argi + 1; i < c->argc; i++)
	{
		if (arg->count < 0 && ArgEquals(c, i, "count") && i + 1 < c->argc)
		{
			long long	count;

			i++;
			if (!StringToLongLong(c->argv[i], c->argv_len[i], &count) || count <= 0)
			{
				AddReplyError(&c->reply, "ERR count should be greater than 0");
				return false;
			}
			arg->count = count;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	if (arg->count < 0)
		arg->count = 1;
	return true;
}

void
LmpopCommand(Client *c)
{
	MpopArg		arg;

	if (parse_mpop(c, 1, &arg))
		mpop_or_block(c, &arg, -1);
}

/* BLMPOP timeout numkeys ...: Redis checks the rest before the timeout. */
void
BlmpopCommand(Client *c)
{
	MpopArg		arg;
	long long	timeout_ms;

	if (parse_mpop(c, 2, &arg) && BlockParseTimeout(c, 1, &timeout_ms))
		mpop_or_block(c, &arg, timeout_ms);
}

/* ------------------------------------------------------------ reads */

void
LlenCommand(Client *c)
{
	KsValue		v;
	List		l;

	if (!CollReadElems(c, &v, KS_TYPE_LIST, &l, CollReplyZero))
		return;
	AddReplyLongLong(&c->reply, l.n);
	CollElemsFree(&l);
	KsValueRelease(&v);
}

void
LrangeCommand(Client *c)
{
	KsValue		v;
	List		l;
	long long	start, end;
	long		from, to;

	if (!GetLongLongOrReply(c, 2, &start, NULL) || !GetLongLongOrReply(c, 3, &end, NULL))
		return;
	if (!CollReadElems(c, &v, KS_TYPE_LIST, &l, CollReplyEmptyArray))
		return;
	if (!resolve_range(l.n, start, end, &from, &to))
		AddReplyArrayLen(&c->reply, 0);
	else
	{
		AddReplyArrayLen(&c->reply, to - from + 1);
		for (long i = from; i <= to; i++)
			AddReplyBulk(&c->reply, l.e[i].p, l.e[i].len);
	}
	CollElemsFree(&l);
	KsValueRelease(&v);
}

void
LindexCommand(Client *c)
{
	KsValue		v;
	List		l;
	long long	index;
	long		pos;

	if (!GetLongLongOrReply(c, 2, &index, NULL))
		return;
	if (!CollReadElems(c, &v, KS_TYPE_LIST, &l, CollReplyNull))
		return;
	pos = list_pos(&l, index);
	if (pos < 0)
		AddReplyNull(&c->reply);
	else
		AddReplyBulk(&c->reply, l.e[pos].p, l.e[pos].len);
	CollElemsFree(&l);
	KsValueRelease(&v);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
void
LposCommand(Client *c)
{
	KsValue		v;
	List		l;
	long long	rank = 1, count = -1, maxlen = 0, found = 0;
	bool		has_count = false;
	size_t		handle = 0;

	for (int i = 3; i < c->argc; i += 2)
	{
		long long	val;

		if (i + 1 >= c->argc)
		{
			ReplySyntaxError(c);
			return;
		}
		if (ArgEquals(c, i, "rank"))
		{
			if (!GetLongLongOrReply(c, i + 1, &val, NULL))
				return;
			if (val == 0)
			{
				AddReplyError(&c->reply, "ERR RANK can't be zero: use 1 to start from the first "
							  "match, 2 from the second ... or use negative to start from "
							  "the end of the list");
				return;
			}
			rank = val == LLONG_MIN ? -LLONG_MAX : val;
		}
		else if (ArgEquals(c, i, "count"))
		{
			if (!GetLongLongOrReply(c, i + 1, &val, NULL))
				return;
			if (val < 0)
			{
				AddReplyError(&c->reply, "ERR COUNT can't be negative");
				return;
			}
			count = val;
			has_count = true;
		}
		else if (ArgEquals(c, i, "maxlen"))
		{
			if (!GetLongLongOrReply(c, i + 1, &val, NULL))
				return;
			if (val < 0)
			{
				AddReplyError(&c->reply, "ERR MAXLEN can't be negative");
				return;
			}
			maxlen = val;
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (!CollReadElems(c, &v, KS_TYPE_LIST, &l, has_count ? CollReplyEmptyArray : CollReplyNull))
		return;
	if (has_count)
		handle = AddReplyDeferredLen(&c->reply);
	{
		long long	skip = (rank > 0 ? rank : -rank) - 1, checked = 0;
		long long	want = has_count ? (count == 0 ? LLONG_MAX : count) : 1;

		for (long k = 0; k < l.n && found < want && (maxlen == 0 || checked < maxlen); k++, checked++)
		{
			long		i = rank > 0 ? k : l.n - 1 - k;

			if (!same_elem(&l.e[i], c->argv[2], c->argv_len[2]))
				continue;
			if (skip > 0)
			{
				skip--;
				continue;
			}
			AddReplyLongLong(&c->reply, i);
			found++;
		}
	}
	if (has_count)
		SetDeferredArrayLen(&c->reply, handle, found);
	else if (found == 0)
		AddReplyNull(&c->reply);
	CollElemsFree(&l);
	KsValueRelease(&v);
}
