/*
 * cmd_zset.c
 *	  Sorted sets: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
 *	  ZCOUNT ZLEXCOUNT ZRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 *	  ZREVRANGEBYLEX ZREVRANGE ZRANGESTORE ZREMRANGEBYRANK ZREMRANGEBYSCORE
 *	  ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN; the
 *	  operations on several sorted sets are in cmd_zset_ops.c.
 *
 * NOTES
 *	  Stored inline like a set (server/cmd_set.c): one value of type
 *	  KS_TYPE_ZSET whose elements, each a score (8-byte double) and a
 *	  member, are kept in (score, member) order (server/zset.h,
 *	  storage/README.md "Keyspace"), so a range read is a scan of the
 *	  decoded array. A write decodes, changes and stores a new version
 *	  under the locks of every key it names, so it is atomic and O(size);
 *	  a sorted set is limited to ZSET_MAX_BYTES encoded. A write that
 *	  leaves a sorted set empty deletes the key, as in Redis.
 *	  Member lookups go through a member-ordered index built per command
 *	  (ZsetIndexBuild), so a command naming m members costs O(n log n +
 *	  m log n), not O(n m).
 *	  OBJECT ENCODING is Redis's: a version that outgrew the listpack
 *	  limits carries KS_FLAG_SKIPLIST and in-place writes keep it
 *	  (ZsetStore); -0 becomes 0 while Redis would hold a listpack, up to
 *	  the member at which Redis converts (zadd_fn, ZRANGESTORE).
 *	  Lexicographic ranges follow Redis's listpack walk (first element at
 *	  or past min, then on while within max), which is what Redis answers
 *	  for a small sorted set whose scores differ.
 */
#include "config.h"

#include "server/collection.h"
#include "server/blocking.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "server/zset.h"
#include "storage/mem.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const err_zset_too_big =
	"ERR sorted set too large for tusk: at most 1 MB of members and scores (sorted "
	"sets stored one element per tuple are not implemented yet)";

static const char *const err_not_float = "ERR value is not a valid float";
static const char *const err_score_range = "ERR min or max is not a float";
static const char *const err_lex_range = "ERR min or max not valid string range item";

/* ------------------------------------------------------ the sorted set */

void
ZsetFree(Zset *z)
{
	MemFree(z->e);
	memset(z, 0, sizeof(*z));
}

void
ZsetAppend(Zset *z, double score, const char *m, size_t len)
{
	if (z->n == z->cap)
	{
		z->cap = z->cap ? z->cap * 2 : 8;
		z->e = MemRealloc(z->e, sizeof(ZElem) * (size_t) z->cap);
	}
	z->e[z->n].score = score;
	z->e[z->n].m = m;
	z->e[z->n].len = len;
	z->n++;
}

int
ZsetMemberCompare(const char *a, size_t alen, const char *b, size_t blen)
{
	int cmp = memcmp(a, b, alen < blen ? alen : blen);

	if (cmp != 0)
		return cmp;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int
ZsetCompare(const ZElem *a, const ZElem *b)
{
	if (a->score < b->score)
		return -1;
	if (a->score > b->score)
		return 1;
	return ZsetMemberCompare(a->m, a->len, b->m, b->len);
}

static int
elem_qsort_cmp(const void *a, const void *b)
{
	return ZsetCompare(a, b);
}

void
ZsetSort(Zset *z)
{
	if (z->n > 1)
		qsort(z->e, (size_t) z->n, sizeof(ZElem), elem_qsort_cmp);
}

static double
get_score(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;
	uint64_t bits = 0;
	double d;

	for (int i = 7; i >= 0; i--)
		bits = bits << 8 | u[i];
	memcpy(&d, &bits, sizeof(d));
	return d;
}

static void
put_score(char *p, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	for (int i = 0; i < 8; i++)
		p[i] = (char) ((bits >> (8 * i)) & 0xff);
}

/* Decode a stored sorted set (pointing into data); false if malformed. */
static bool
zset_decode(const char *data, size_t len, Zset *z)
{
	CollElems a;

	memset(z, 0, sizeof(*z));
	if (!CollElemsDecode(data, len, &a))
	{
		CollElemsFree(&a);
		return false;
	}
	for (long i = 0; i < a.n; i++)
	{
		if (a.e[i].len < 8)
		{
			CollElemsFree(&a);
			ZsetFree(z);
			return false;
		}
		ZsetAppend(z, get_score(a.e[i].p), a.e[i].p + 8, a.e[i].len - 8);
	}
	CollElemsFree(&a);
	return true;
}

bool
ZsetFromValue(Client *c, const KsValue *v, bool sets_too, Zset *z)
{
	CollElems a;

	memset(z, 0, sizeof(*z));
	if (!v->exists)
		return true;
	if (sets_too && v->type == KS_TYPE_SET)
	{
		if (!CollAsElems(c, v, KS_TYPE_SET, &a))
			return false;
		for (long i = 0; i < a.n; i++)
			ZsetAppend(z, 1.0, a.e[i].p, a.e[i].len);
		CollElemsFree(&a);
		ZsetSort(z);
		return true;
	}
	if (v->type != KS_TYPE_ZSET)
	{
		AddReplyError(&c->reply, err_wrongtype);
		return false;
	}
	if (!zset_decode(v->value, v->value_len, z))
	{
		AddReplyError(&c->reply, "ERR storage error; see the server log");
		return false;
	}
	return true;
}

/* Whether Redis 7.0 would keep z as a listpack. */
static bool
is_listpack(const Zset *z)
{
	if (z->n > ZSET_LISTPACK_MAX_ENTRIES)
		return false;
	for (long i = 0; i < z->n; i++)
		if (z->e[i].len > ZSET_LISTPACK_MAX_VALUE)
			return false;
	return true;
}

bool
ZsetStore(Client *c, int argi, Zset *z, const KsValue *cur, bool in_place)
{
	CollElems a;
	size_t total = 0, off = 0;
	char *block;
	bool ok;
	bool skiplist = !is_listpack(z);

	/* Redis converts a grown sorted set to a skiplist and never back */
	if (in_place && cur->exists && cur->type == KS_TYPE_ZSET && (cur->flags & KS_FLAG_SKIPLIST))
		skiplist = true;
	memset(&a, 0, sizeof(a));
	for (long i = 0; i < z->n; i++)
		total += 8 + z->e[i].len;
	if (total > ZSET_MAX_BYTES)
	{
		AddReplyError(&c->reply, err_zset_too_big);
		return false;
	}
	block = MemAlloc(total + 1);
	for (long i = 0; i < z->n; i++)
	{
		double s = z->e[i].score;

		/* a listpack keeps a score as text, and "-0" comes back as 0 */
		if (!skiplist && s == 0)
			s = 0.0;
		put_score(block + off, s);
		memcpy(block + off + 8, z->e[i].m, z->e[i].len);
		CollElemsInsert(&a, a.n, block + off, 8 + z->e[i].len);
		off += 8 + z->e[i].len;
	}
	ok = CollStoreElemsFlags(c, argi, &a, KS_TYPE_ZSET, skiplist ? KS_FLAG_SKIPLIST : 0, cur,
							 in_place, ZSET_MAX_BYTES, err_zset_too_big);
	/* a client may be blocked in BZPOPMIN or BZMPOP on it: woken after the commit */
	if (ok && z->n > 0)
		BlockNoteKey(c->db, c->argv[argi], c->argv_len[argi]);
	CollElemsFree(&a);
	MemFree(block);
	return ok;
}

static const Zset *index_zset; /* for idx_qsort_cmp */

static int
idx_qsort_cmp(const void *a, const void *b)
{
	const ZElem *x = &index_zset->e[*(const long *) a];
	const ZElem *y = &index_zset->e[*(const long *) b];

	return ZsetMemberCompare(x->m, x->len, y->m, y->len);
}

void
ZsetIndexBuild(const Zset *z, ZsetIndex *idx)
{
	idx->n = z->n;
	idx->pos = MemAlloc(sizeof(long) * (size_t) (z->n + 1));
	for (long i = 0; i < z->n; i++)
		idx->pos[i] = i;
	index_zset = z;
	if (z->n > 1)
		qsort(idx->pos, (size_t) z->n, sizeof(long), idx_qsort_cmp);
	index_zset = NULL;
}

long
ZsetIndexFind(const Zset *z, const ZsetIndex *idx, const char *m, size_t len)
{
	long lo = 0, hi = idx->n - 1;

	while (lo <= hi)
	{
		long mid = lo + (hi - lo) / 2;
		const ZElem *e = &z->e[idx->pos[mid]];
		int cmp = ZsetMemberCompare(e->m, e->len, m, len);

		if (cmp == 0)
			return idx->pos[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

void
ZsetIndexFree(ZsetIndex *idx)
{
	MemFree(idx->pos);
	idx->pos = NULL;
	idx->n = 0;
}

void
ZsetReplyElems(Client *c, const ZElem *e, long n, int step, bool withscores)
{
	bool pairs = withscores && c->reply.resp > 2;

	AddReplyArrayLen(&c->reply, withscores && !pairs ? n * 2 : n);
	for (long k = 0; k < n; k++)
	{
		const ZElem *x = &e[k * step];

		if (pairs)
			AddReplyArrayLen(&c->reply, 2);
		AddReplyBulk(&c->reply, x->m, x->len);
		if (withscores)
			AddReplyDouble(&c->reply, x->score);
	}
}

/* Read argv[1] as a sorted set; false after a reply (missing_reply too). */
static bool
zset_read(Client *c, KsValue *v, Zset *z, void (*missing_reply)(Client *c))
{
	memset(z, 0, sizeof(*z));
	if (!CollReadValue(c, v, missing_reply))
		return false;
	if (!ZsetFromValue(c, v, false, z))
	{
		KsValueRelease(v);
		return false;
	}
	return true;
}

/* A score argument as Redis's getDoubleFromObject reads it. */
static bool
get_score_or_reply(Client *c, int argi, double *out, const char *msg)
{
	if (!StringToDouble(c->argv[argi], c->argv_len[argi], out))
	{
		AddReplyError(&c->reply, msg ? msg : err_not_float);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ ranges */

/* One end of a lexicographic range: '-', '+', or a string. */
typedef struct LexItem
{
	int kind; /* -1: '-', 1: '+', 0: s */
	const char *s;
	size_t len;
	bool ex;
} LexItem;

typedef struct RangeSpec
{
	char kind;			  /* 'r' rank, 's' score, 'l' lex */
	long long start, end; /* rank */
	double min, max;	  /* score */
	bool minex, maxex;
	LexItem lmin, lmax; /* lex */
} RangeSpec;

/*
 * One end of a score range: "(1.5" excludes, "-inf"/"+inf"; read as C's
 * strtod reads Redis's argument (up to a NUL byte, empty is 0).
 */
static bool
parse_score_item(const char *s, size_t len, double *v, bool *ex)
{
	char stack[128];
	char *buf = len < sizeof(stack) ? stack : MemAlloc(len + 1);
	char *p = buf, *end;
	bool ok;

	memcpy(buf, s, len);
	buf[len] = '\0';
	*ex = false;
	if (p[0] == '(')
	{
		p++;
		*ex = true;
	}
	*v = strtod(p, &end);
	ok = *end == '\0' && !isnan(*v);
	if (buf != stack)
		MemFree(buf);
	return ok;
}

static bool
parse_lex_item(const char *s, size_t len, LexItem *it)
{
	memset(it, 0, sizeof(*it));
	if (len == 0)
		return false;
	switch (s[0])
	{
		case '+':
		case '-':
			if (len != 1)
				return false;
			it->kind = s[0] == '+' ? 1 : -1;
			it->ex = true;
			return true;
		case '(':
		case '[':
			it->ex = s[0] == '(';
			it->s = s + 1;
			it->len = len - 1;
			return true;
		default:
			return false;
	}
}

static bool
parse_range_args(Client *c, char kind, int minidx, int maxidx, RangeSpec *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (kind == 'r')
		return GetLongLongOrReply(c, minidx, &r->start, NULL) &&
			   GetLongLongOrReply(c, maxidx, &r->end, NULL);
	if (kind == 's')
	{
		if (!parse_score_item(c->argv[minidx], c->argv_len[minidx], &r->min, &r->minex) ||
			!parse_score_item(c->argv[maxidx], c->argv_len[maxidx], &r->max, &r->maxex))
		{
			AddReplyError(&c->reply, err_score_range);
			return false;
		}
		return true;
	}
	if (!parse_lex_item(c->argv[minidx], c->argv_len[minidx], &r->lmin) ||
		!parse_lex_item(c->argv[maxidx], c->argv_len[maxidx], &r->lmax))
	{
		AddReplyError(&c->reply, err_lex_range);
		return false;
	}
	return true;
}

/* Redis's sdscmplex: '-' below and '+' above every string. */
static int
lex_cmp(const LexItem *a, const LexItem *b)
{
	if (a->kind == b->kind && a->kind != 0)
		return 0;
	if (a->kind == -1 || b->kind == 1)
		return -1;
	if (a->kind == 1 || b->kind == -1)
		return 1;
	return ZsetMemberCompare(a->s, a->len, b->s, b->len);
}

static bool
gte_min(const RangeSpec *r, const ZElem *e)
{
	if (r->kind == 's')
		return r->minex ? e->score > r->min : e->score >= r->min;
	if (r->lmin.kind != 0)
		return r->lmin.kind < 0;
	{
		int cmp = ZsetMemberCompare(e->m, e->len, r->lmin.s, r->lmin.len);

		return r->lmin.ex ? cmp > 0 : cmp >= 0;
	}
}

static bool
lte_max(const RangeSpec *r, const ZElem *e)
{
	if (r->kind == 's')
		return r->maxex ? e->score < r->max : e->score <= r->max;
	if (r->lmax.kind != 0)
		return r->lmax.kind > 0;
	{
		int cmp = ZsetMemberCompare(e->m, e->len, r->lmax.s, r->lmax.len);

		return r->lmax.ex ? cmp < 0 : cmp <= 0;
	}
}

static bool
range_is_empty(const RangeSpec *r)
{
	if (r->kind == 's')
		return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
	{
		int cmp = lex_cmp(&r->lmin, &r->lmax);

		return cmp > 0 || (cmp == 0 && (r->lmin.ex || r->lmax.ex));
	}
}

/*
 * The elements r selects: *first and *count, walking by step (rev: -1),
 * after LIMIT offset count (offset < 0 selects nothing, count < 0 means
 * all; score and lex ranges only).
 */
static void
range_select(const Zset *z, const RangeSpec *r, bool rev, long long offset, long long limit,
			 long *first, long *count, int *step)
{
	long i, j;

	*first = 0;
	*count = 0;
	*step = rev ? -1 : 1;
	if (r->kind == 'r')
	{
		long long start = r->start, end = r->end, llen = z->n;

		if (start < 0)
			start = llen + start;
		if (end < 0)
			end = llen + end;
		if (start < 0)
			start = 0;
		if (start > end || start >= llen)
			return;
		if (end >= llen)
			end = llen - 1;
		*first = rev ? (long) (llen - 1 - start) : (long) start;
		*count = (long) (end - start + 1);
		return;
	}
	if (z->n == 0 || range_is_empty(r) || !gte_min(r, &z->e[z->n - 1]) || !lte_max(r, &z->e[0]))
		return;
	if (!rev)
	{
		for (i = 0; i < z->n && !gte_min(r, &z->e[i]); i++)
			;
		if (i == z->n || !lte_max(r, &z->e[i]))
			return;
		for (j = i; j < z->n && lte_max(r, &z->e[j]); j++)
			;
		*first = i;
		*count = j - i;
	}
	else
	{
		for (i = z->n - 1; i >= 0 && !lte_max(r, &z->e[i]); i--)
			;
		if (i < 0 || !gte_min(r, &z->e[i]))
			return;
		for (j = i; j >= 0 && gte_min(r, &z->e[j]); j--)
			;
		*first = i;
		*count = i - j;
	}
	if (offset < 0 || offset >= *count)
	{
		*count = 0;
		return;
	}
	*first += (long) offset * *step;
	*count -= (long) offset;
	if (limit >= 0 && limit < *count)
		*count = (long) limit;
}

/* ------------------------------------------------------ one-key writes */

typedef bool (*ZsetWriteFn)(Client *c, Zset *z, const KsValue *cur, bool *changed, void *arg);

/*
 * Run fn on argv[1] under its lock: fn changes z and says whether it did;
 * the changed set is sorted and stored (TTL kept), then reply runs.
 */
static void
zset_write(Client *c, ZsetWriteFn fn, void *arg, void (*reply)(Client *c, void *arg))
{
	CmdTxn t;
	KsValue cur;
	Zset z;
	bool ok, changed = false;

	memset(&z, 0, sizeof(z));
	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &cur) && ZsetFromValue(c, &cur, false, &z);
	if (ok)
		ok = fn(c, &z, &cur, &changed, arg);
	if (ok && changed)
	{
		ZsetSort(&z);
		ok = ZsetStore(c, 1, &z, &cur, true);
	}
	CmdWriteFinish(c, &t, ok, changed, reply, arg);
	ZsetFree(&z);
	KsValueRelease(&cur);
}

typedef struct ZaddArg
{
	int flags;
	int first; /* argv index of the first score */
	int step;  /* arguments per element; the member is the last */
	int n;	   /* elements */
	const double *scores;
	long long added, updated, processed;
	double last_score; /* INCR's reply */
} ZaddArg;

static bool
zadd_fn(Client *c, Zset *z, const KsValue *cur, bool *changed, void *argp)
{
	ZaddArg *arg = argp;
	int flags = arg->flags;
	long orig_n = z->n;
	ZsetIndex idx;
	/* Redis's encoding as it goes: a listpack turns "-0" into 0 */
	bool skiplist = (cur->exists && (cur->flags & KS_FLAG_SKIPLIST)) || !is_listpack(z);

	if (!cur->exists && (flags & ZADD_XX))
		return true;
	ZsetIndexBuild(z, &idx);
	for (int k = 0; k < arg->n; k++)
	{
		int mi = arg->first + arg->step * k + arg->step - 1;
		const char *m = c->argv[mi];
		size_t len = c->argv_len[mi];
		double score = arg->scores[k];
		long pos = ZsetIndexFind(z, &idx, m, len);

		/* members this command added are not in the index */
		for (long i = orig_n; pos < 0 && i < z->n; i++)
			if (ZsetMemberCompare(z->e[i].m, z->e[i].len, m, len) == 0)
				pos = i;
		if (pos >= 0)
		{
			double curscore = z->e[pos].score;

			if (flags & ZADD_NX)
				continue;
			if (flags & ZADD_INCR)
			{
				score += curscore;
				if (isnan(score))
				{
					AddReplyError(&c->reply, "ERR resulting score is not a number (NaN)");
					ZsetIndexFree(&idx);
					return false;
				}
			}
			if (((flags & ZADD_LT) && score >= curscore) ||
				((flags & ZADD_GT) && score <= curscore))
				continue;
			arg->processed++;
			arg->last_score = score;
			if (score != curscore)
			{
				z->e[pos].score = !skiplist && score == 0 ? 0.0 : score;
				arg->updated++;
			}
		}
		else
		{
			if (flags & ZADD_XX)
				continue;
			/* Redis converts before an insert that would pass the limits */
			if (z->n + 1 > ZSET_LISTPACK_MAX_ENTRIES || len > ZSET_LISTPACK_MAX_VALUE)
				skiplist = true;
			ZsetAppend(z, !skiplist && score == 0 ? 0.0 : score, m, len);
			arg->added++;
			arg->processed++;
			arg->last_score = score;
		}
	}
	ZsetIndexFree(&idx);
	*changed = arg->added > 0 || arg->updated > 0;
	return true;
}

static void
zadd_reply(Client *c, void *argp)
{
	ZaddArg *arg = argp;

	if (arg->flags & ZADD_INCR)
	{
		if (arg->processed)
			AddReplyDouble(&c->reply, arg->last_score);
		else
			AddReplyNull(&c->reply);
	}
	else
		AddReplyLongLong(&c->reply,
						 (arg->flags & ZADD_CH) ? arg->added + arg->updated : arg->added);
}

/* ZADD and ZINCRBY: score-member pairs from argv[first] on. */
static void
zadd_generic(Client *c, int flags, int first)
{
	double *scores;
	int elements = c->argc - first;

	if (elements % 2 != 0 || elements == 0)
	{
		ReplySyntaxError(c);
		return;
	}
	elements /= 2;
	if ((flags & ZADD_NX) && (flags & ZADD_XX))
	{
		AddReplyError(&c->reply, "ERR XX and NX options at the same time are not compatible");
		return;
	}
	if (((flags & ZADD_GT) && (flags & ZADD_NX)) || ((flags & ZADD_LT) && (flags & ZADD_NX)) ||
		((flags & ZADD_GT) && (flags & ZADD_LT)))
	{
		AddReplyError(&c->reply,
					  "ERR GT, LT, and/or NX options at the same time are not compatible");
		return;
	}
	if ((flags & ZADD_INCR) && elements > 1)
	{
		AddReplyError(&c->reply, "ERR INCR option supports a single increment-element pair");
		return;
	}
	scores = MemAlloc(sizeof(double) * (size_t) elements);
	for (int k = 0; k < elements; k++)
		if (!get_score_or_reply(c, first + 2 * k, &scores[k], NULL))
		{
			MemFree(scores);
			return;
		}
	ZaddScored(c, flags, first, 2, scores, elements);
	MemFree(scores);
}

void
ZaddScored(Client *c, int flags, int first, int step, const double *scores, int n)
{
	ZaddArg arg;

	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	arg.first = first;
	arg.step = step;
	arg.n = n;
	arg.scores = scores;
	zset_write(c, zadd_fn, &arg, zadd_reply);
}

void
ZaddCommand(Client *c)
{
	static const struct
	{
		const char *name;
		int flag;
	} opts[] = {{"nx", ZADD_NX}, {"xx", ZADD_XX}, {"gt", ZADD_GT},
				{"lt", ZADD_LT}, {"ch", ZADD_CH}, {"incr", ZADD_INCR}};
	int flags = 0, i = 2;

	for (; i < c->argc; i++)
	{
		int k;

		for (k = 0; k < 6 && !ArgEquals(c, i, opts[k].name); k++)
			;
		if (k == 6)
			break;
		flags |= opts[k].flag;
	}
	zadd_generic(c, flags, i);
}

void
ZincrbyCommand(Client *c)
{
	zadd_generic(c, ZADD_INCR, 2);
}

static bool
zrem_fn(Client *c, Zset *z, const KsValue *cur, bool *changed, void *arg)
{
	long long *removed = arg;
	ZsetIndex idx;
	bool *gone = MemAlloc(sizeof(bool) * (size_t) (z->n + 1));
	long w = 0;

	(void) cur;
	ZsetIndexBuild(z, &idx);
	memset(gone, 0, sizeof(bool) * (size_t) (z->n + 1));
	*removed = 0;
	for (int i = 2; i < c->argc; i++)
	{
		long pos = ZsetIndexFind(z, &idx, c->argv[i], c->argv_len[i]);

		if (pos >= 0 && !gone[pos])
		{
			gone[pos] = true;
			(*removed)++;
		}
	}
	for (long i = 0; i < z->n; i++)
		if (!gone[i])
			z->e[w++] = z->e[i];
	z->n = w;
	ZsetIndexFree(&idx);
	MemFree(gone);
	*changed = *removed > 0;
	return true;
}

void
ZremCommand(Client *c)
{
	long long removed = 0;

	zset_write(c, zrem_fn, &removed, CollReplyCount);
}

/* ZREMRANGEBY*: the range is in the argument */
typedef struct RemRangeArg
{
	RangeSpec r;
	long long removed;
} RemRangeArg;

static bool
zremrange_fn(Client *c, Zset *z, const KsValue *cur, bool *changed, void *argp)
{
	RemRangeArg *arg = argp;
	long first, count;
	int step;

	(void) c;
	(void) cur;
	range_select(z, &arg->r, false, 0, -1, &first, &count, &step);
	memmove(&z->e[first], &z->e[first + count], sizeof(ZElem) * (size_t) (z->n - first - count));
	z->n -= count;
	arg->removed = count;
	*changed = count > 0;
	return true;
}

static void
zremrange_reply(Client *c, void *argp)
{
	AddReplyLongLong(&c->reply, ((RemRangeArg *) argp)->removed);
}

static void
zremrange_generic(Client *c, char kind)
{
	RemRangeArg arg;

	memset(&arg, 0, sizeof(arg));
	if (!parse_range_args(c, kind, 2, 3, &arg.r))
		return;
	zset_write(c, zremrange_fn, &arg, zremrange_reply);
}

void
ZremrangebyrankCommand(Client *c)
{
	zremrange_generic(c, 'r');
}

void
ZremrangebyscoreCommand(Client *c)
{
	zremrange_generic(c, 's');
}

void
ZremrangebylexCommand(Client *c)
{
	zremrange_generic(c, 'l');
}

/* ------------------------------------------------------------- pops */

/*
 * Reply the popped elements e[0..n-1] as Redis's genericZpopCommand: ZPOP
 * without a count (or RESP2) flat, ZPOP with a count in RESP3 as pairs,
 * ZMPOP [key, [[member, score] ...]].
 */
static void
reply_popped(Client *c, const Zset *popped, bool nested, const char *key, size_t keylen)
{
	if (key)
	{
		AddReplyArrayLen(&c->reply, 2);
		AddReplyBulk(&c->reply, key, keylen);
		AddReplyArrayLen(&c->reply, popped->n);
	}
	else
		AddReplyArrayLen(&c->reply, nested ? popped->n : popped->n * 2);
	for (long k = 0; k < popped->n; k++)
	{
		if (nested)
			AddReplyArrayLen(&c->reply, 2);
		AddReplyBulk(&c->reply, popped->e[k].m, popped->e[k].len);
		AddReplyDouble(&c->reply, popped->e[k].score);
	}
}

/*
 * Pop up to count elements from the min or max end of z into popped, with
 * copies of the members in *copy (MemAlloc'd; z is about to be stored).
 */
static void
pop_elems(Zset *z, bool max, long long count, Zset *popped, char **copy)
{
	long n = count < z->n ? (long) count : z->n;
	size_t total = 0, off = 0;

	memset(popped, 0, sizeof(*popped));
	for (long k = 0; k < n; k++)
		total += z->e[max ? z->n - 1 - k : k].len;
	*copy = MemAlloc(total + 1);
	for (long k = 0; k < n; k++)
	{
		const ZElem *e = &z->e[max ? z->n - 1 - k : k];

		memcpy(*copy + off, e->m, e->len);
		ZsetAppend(popped, e->score, *copy + off, e->len);
		off += e->len;
	}
	if (!max)
		memmove(&z->e[0], &z->e[n], sizeof(ZElem) * (size_t) (z->n - n));
	z->n -= n;
}

static void
zpop_generic(Client *c, bool max)
{
	CmdTxn t;
	KsValue cur;
	Zset z, popped;
	char *copy = NULL;
	long long count = 1;
	bool ok, changed;

	memset(&popped, 0, sizeof(popped));
	if (c->argc > 3)
	{
		ReplySyntaxError(c);
		return;
	}
	if (c->argc == 3 && (!StringToLongLong(c->argv[2], c->argv_len[2], &count) || count < 0))
	{
		AddReplyError(&c->reply, "ERR value is out of range, must be positive");
		return;
	}
	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &cur) && ZsetFromValue(c, &cur, false, &z);
	if (!ok)
	{
		CmdWriteAbort(c, &t);
		KsValueRelease(&cur);
		return;
	}
	changed = cur.exists && count > 0;
	if (changed)
	{
		pop_elems(&z, max, count, &popped, &copy);
		ok = ZsetStore(c, 1, &z, &cur, true);
	}
	if (!ok)
		CmdWriteAbort(c, &t);
	else
	{
		if (!changed)
			CmdWriteAbort(c, &t);
		if (!changed || CmdWriteCommit(c, &t))
			reply_popped(c, &popped, c->argc == 3 && c->reply.resp > 2, NULL, 0);
	}
	ZsetFree(&z);
	ZsetFree(&popped);
	MemFree(copy);
	KsValueRelease(&cur);
}

void
ZpopminCommand(Client *c)
{
	zpop_generic(c, false);
}

void
ZpopmaxCommand(Client *c)
{
	zpop_generic(c, true);
}

/*
 * ZMPOP, BZMPOP, BZPOPMIN and BZPOPMAX: pop from the first of keys
 * argv[first .. first+nkeys-1] that holds a sorted set.
 */
typedef struct ZmpopArg
{
	int			first;
	int			nkeys;
	bool		max;
	long long	count;
	bool		bzpop;			/* BZPOPMIN/MAX's [key, member, score] */
} ZmpopArg;

/*
 * numkeys key [key ...] MIN|MAX [COUNT count] from argv[numkeys_argi] on,
 * with Redis's errors; false after the error reply.
 */
static bool
zmpop_parse(Client *c, int numkeys_argi, ZmpopArg *arg)
{
	long long numkeys, count = -1;
	long long where_idx;

	memset(arg, 0, sizeof(*arg));
	if (!StringToLongLong(c->argv[numkeys_argi], c->argv_len[numkeys_argi], &numkeys) ||
		numkeys < 1)
	{
		AddReplyError(&c->reply, "ERR numkeys should be greater than 0");
		return false;
	}
	where_idx = numkeys < c->argc ? numkeys_argi + numkeys + 1 : c->argc;
	if (where_idx >= c->argc ||
		(!ArgEquals(c, (int) where_idx, "min") && !ArgEquals(c, (int) where_idx, "max")))
	{
		ReplySyntaxError(c);
		return false;
	}
	arg->max = ArgEquals(c, (int) where_idx, "max");
	for (int j = (int) where_idx + 1; j < c->argc; j++)
	{
		if (count == -1 && ArgEquals(c, j, "count") && j + 1 < c->argc)
		{
			j++;
			if (!StringToLongLong(c->argv[j], c->argv_len[j], &count) || count < 1)
			{
				AddReplyError(&c->reply, "ERR count should be greater than 0");
				return false;
			}
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	arg->first = numkeys_argi + 1;
	arg->nkeys = (int) numkeys;
	arg->count = count == -1 ? 1 : count;
	return true;
}

/*
 * One attempt (server/blocking.h, BlockTryFn): pop and reply, or find
 * every key empty and reply nothing (false). A wrong type before the
 * first sorted set is an error, except once the client has blocked.
 */
static bool
zmpop_try(Client *c, void *argp, bool retry)
{
	ZmpopArg *arg = argp;
	CmdTxn t;

	if (!CmdWriteBeginKeys(c, &t, arg->first, arg->first + arg->nkeys - 1, 1))
		return true;
	for (int i = arg->first; i < arg->first + arg->nkeys; i++)
	{
		KsValue cur;
		Zset z, popped;
		char *copy = NULL;

		if (!CmdLoadLatest(c, &t, i, &cur))
		{
			CmdWriteAbort(c, &t);
			return true;
		}
		if (!cur.exists || (retry && cur.type != KS_TYPE_ZSET))
		{
			if (cur.exists)
				BlockNoteOtherType();
			KsValueRelease(&cur);
			continue;
		}
		if (!ZsetFromValue(c, &cur, false, &z))
		{
			CmdWriteAbort(c, &t);
			KsValueRelease(&cur);
			return true;
		}
		pop_elems(&z, arg->max, arg->count, &popped, &copy);
		if (!ZsetStore(c, i, &z, &cur, true))
			CmdWriteAbort(c, &t);
		else if (CmdWriteCommit(c, &t))
		{
			if (arg->bzpop)
			{
				AddReplyArrayLen(&c->reply, 3);
				AddReplyBulk(&c->reply, c->argv[i], c->argv_len[i]);
				AddReplyBulk(&c->reply, popped.e[0].m, popped.e[0].len);
				AddReplyDouble(&c->reply, popped.e[0].score);
			}
			else
				reply_popped(c, &popped, true, c->argv[i], c->argv_len[i]);
		}
		ZsetFree(&z);
		ZsetFree(&popped);
		MemFree(copy);
		KsValueRelease(&cur);
		return true;
	}
	CmdWriteAbort(c, &t);
	return false;
}

/* Try once; block unless timeout_ms is negative (ZMPOP) or inside EXEC. */
static void
zmpop_or_block(Client *c, ZmpopArg *arg, long long timeout_ms)
{
	if (zmpop_try(c, arg, false))
		return;
	if (timeout_ms < 0 || CmdExecActive())
		AddReplyNullArray(&c->reply);
	else
		BlockRun(c, arg->first, arg->nkeys, timeout_ms, zmpop_try, arg);
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
void
ZmpopCommand(Client *c)
{
	ZmpopArg arg;

	if (zmpop_parse(c, 1, &arg))
		zmpop_or_block(c, &arg, -1);
}

/* BZMPOP timeout numkeys ...: the rest is checked before the timeout. */
void
BzmpopCommand(Client *c)
{
	ZmpopArg arg;
	long long timeout_ms;

	if (zmpop_parse(c, 2, &arg) && BlockParseTimeout(c, 1, &timeout_ms))
		zmpop_or_block(c, &arg, timeout_ms);
}

static void
bzpop_generic(Client *c, bool max)
{
	ZmpopArg arg = {1, c->argc - 2, max, 1, true};
	long long timeout_ms;

	if (BlockParseTimeout(c, c->argc - 1, &timeout_ms))
		zmpop_or_block(c, &arg, timeout_ms);
}

void
BzpopminCommand(Client *c)
{
	bzpop_generic(c, false);
}

void
BzpopmaxCommand(Client *c)
{
	bzpop_generic(c, true);
}

/* ------------------------------------------------------------ reads */

static void
reply_nulls(Client *c)
{
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
		AddReplyNull(&c->reply);
}

void
ZcardCommand(Client *c)
{
	KsValue v;
	Zset z;

	if (!zset_read(c, &v, &z, CollReplyZero))
		return;
	AddReplyLongLong(&c->reply, z.n);
	ZsetFree(&z);
	KsValueRelease(&v);
}

/* Position of argv[argi] in z, -1 if absent (one lookup: a scan). */
static long
find_member(const Zset *z, Client *c, int argi)
{
	for (long i = 0; i < z->n; i++)
		if (ZsetMemberCompare(z->e[i].m, z->e[i].len, c->argv[argi], c->argv_len[argi]) == 0)
			return i;
	return -1;
}

void
ZscoreCommand(Client *c)
{
	KsValue v;
	Zset z;
	long pos;

	if (!zset_read(c, &v, &z, CollReplyNull))
		return;
	pos = find_member(&z, c, 2);
	if (pos < 0)
		AddReplyNull(&c->reply);
	else
		AddReplyDouble(&c->reply, z.e[pos].score);
	ZsetFree(&z);
	KsValueRelease(&v);
}

void
ZmscoreCommand(Client *c)
{
	KsValue v;
	Zset z;
	ZsetIndex idx;

	if (!zset_read(c, &v, &z, reply_nulls))
		return;
	ZsetIndexBuild(&z, &idx);
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
	{
		long pos = ZsetIndexFind(&z, &idx, c->argv[i], c->argv_len[i]);

		if (pos < 0)
			AddReplyNull(&c->reply);
		else
			AddReplyDouble(&c->reply, z.e[pos].score);
	}
	ZsetIndexFree(&idx);
	ZsetFree(&z);
	KsValueRelease(&v);
}

static void
zrank_generic(Client *c, bool rev)
{
	KsValue v;
	Zset z;
	long pos;

	if (!zset_read(c, &v, &z, CollReplyNull))
		return;
	pos = find_member(&z, c, 2);
	if (pos < 0)
		AddReplyNull(&c->reply);
	else
		AddReplyLongLong(&c->reply, rev ? z.n - 1 - pos : pos);
	ZsetFree(&z);
	KsValueRelease(&v);
}

void
ZrankCommand(Client *c)
{
	zrank_generic(c, false);
}

void
ZrevrankCommand(Client *c)
{
	zrank_generic(c, true);
}

/* ZCOUNT and ZLEXCOUNT: the range is checked before the key. */
static void
zcount_generic(Client *c, char kind)
{
	RangeSpec r;
	KsValue v;
	Zset z;
	long first, count;
	int step;

	if (!parse_range_args(c, kind, 2, 3, &r))
		return;
	if (!zset_read(c, &v, &z, CollReplyZero))
		return;
	range_select(&z, &r, false, 0, -1, &first, &count, &step);
	AddReplyLongLong(&c->reply, count);
	ZsetFree(&z);
	KsValueRelease(&v);
}

void
ZcountCommand(Client *c)
{
	zcount_generic(c, 's');
}

void
ZlexcountCommand(Client *c)
{
	zcount_generic(c, 'l');
}

/*
 * The Z*RANGE* family, as Redis's zrangeGenericCommand: kind and rev are
 * fixed by the command, or 0 where ZRANGE and ZRANGESTORE take BYSCORE,
 * BYLEX and REV as options. store: ZRANGESTORE dst src min max ...
 */
static void
zrange_generic(Client *c, char kind, int rev, bool store)
{
	int keyi = store ? 2 : 1;
	int minidx = keyi + 1, maxidx = keyi + 2;
	bool withscores = false, has_limit = false;
	long long offset = 0, limit = -1;
	char kind_opt = 0;
	int rev_opt = 0;
	RangeSpec r;
	long first, count;
	int step;

	for (int j = keyi + 3; j < c->argc; j++)
	{
		int left = c->argc - j - 1;

		if (!store && ArgEquals(c, j, "withscores"))
			withscores = true;
		else if (ArgEquals(c, j, "limit") && left >= 2)
		{
			if (!GetLongLongOrReply(c, j + 1, &offset, NULL) ||
				!GetLongLongOrReply(c, j + 2, &limit, NULL))
				return;
			j += 2;
		}
		else if (rev == 0 && ArgEquals(c, j, "rev"))
			rev_opt = 1;
		else if (kind == 0 && ArgEquals(c, j, "bylex"))
			kind_opt = 'l';
		else if (kind == 0 && ArgEquals(c, j, "byscore"))
			kind_opt = 's';
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (kind == 0)
		kind = kind_opt ? kind_opt : 'r';
	if (rev == 0)
		rev = rev_opt ? 1 : -1;
	has_limit = limit != -1;
	if (has_limit && kind == 'r')
	{
		AddReplyError(&c->reply, "ERR syntax error, LIMIT is only supported in combination with "
								 "either BYSCORE or BYLEX");
		return;
	}
	if (withscores && kind == 'l')
	{
		AddReplyError(&c->reply,
					  "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
		return;
	}
	if (rev > 0 && kind != 'r')
	{
		int tmp = minidx;

		minidx = maxidx;
		maxidx = tmp;
	}
	if (!parse_range_args(c, kind, minidx, maxidx, &r))
		return;

	if (!store)
	{
		KsValue v;
		Zset z;

		if (!zset_read(c, &v, &z, CollReplyEmptyArray))
			return;
		range_select(&z, &r, rev > 0, offset, limit, &first, &count, &step);
		ZsetReplyElems(c, count ? &z.e[first] : z.e, count, step, withscores);
		ZsetFree(&z);
		KsValueRelease(&v);
	}
	else
	{
		CmdTxn t;
		KsValue src, dst;
		Zset z, out;
		bool ok, skiplist;

		memset(&z, 0, sizeof(z));
		memset(&out, 0, sizeof(out));
		KsValueInit(&dst);
		if (!CmdWriteBeginKeys(c, &t, 1, 2, 1))
			return;
		ok = CmdLoadLatest(c, &t, 2, &src) && ZsetFromValue(c, &src, false, &z) &&
			 CmdLoadLatestMeta(c, &t, 1, &dst);
		if (ok)
		{
			range_select(&z, &r, rev > 0, offset, limit, &first, &count, &step);
			/*
			 * Redis builds the result as a listpack unless a rank range
			 * is known to be too long, and converts it on the first
			 * member past the limits: until then "-0" becomes 0.
			 */
			skiplist = kind == 'r' && count > ZSET_LISTPACK_MAX_ENTRIES;
			for (long k = 0; k < count; k++)
			{
				const ZElem *e = &z.e[first + k * step];

				if (k + 1 > ZSET_LISTPACK_MAX_ENTRIES || e->len > ZSET_LISTPACK_MAX_VALUE)
					skiplist = true;
				ZsetAppend(&out, !skiplist && e->score == 0 ? 0.0 : e->score, e->m, e->len);
			}
			ZsetSort(&out);
			/* dst as it was, any type: replaced, TTL dropped */
			ok = ZsetStore(c, 1, &out, &dst, false);
		}
		if (!ok)
			CmdWriteAbort(c, &t);
		else if (CmdWriteCommit(c, &t))
			AddReplyLongLong(&c->reply, out.n);
		ZsetFree(&z);
		ZsetFree(&out);
		KsValueRelease(&src);
		KsValueRelease(&dst);
	}
}

void
ZrangeCommand(Client *c)
{
	zrange_generic(c, 0, 0, false);
}

void
ZrangestoreCommand(Client *c)
{
	zrange_generic(c, 0, 0, true);
}

void
ZrevrangeCommand(Client *c)
{
	zrange_generic(c, 'r', 1, false);
}

void
ZrangebyscoreCommand(Client *c)
{
	zrange_generic(c, 's', -1, false);
}

void
ZrevrangebyscoreCommand(Client *c)
{
	zrange_generic(c, 's', 1, false);
}

void
ZrangebylexCommand(Client *c)
{
	zrange_generic(c, 'l', -1, false);
}

void
ZrevrangebylexCommand(Client *c)
{
	zrange_generic(c, 'l', 1, false);
}

/* ZRANDMEMBER key [count [WITHSCORES]], Redis 7.0's cases. */
void
ZrandmemberCommand(Client *c)
{
	KsValue v;
	Zset z;
	long long count = 0;
	bool withscores = false;

	if (c->argc >= 3)
	{
		if (!GetLongLongOrReply(c, 2, &count, NULL))
			return;
		if (count == LLONG_MIN)
		{
			AddReplyError(&c->reply, "ERR value is out of range, value must between "
									 "-9223372036854775807 and 9223372036854775807");
			return;
		}
		if (c->argc > 4 || (c->argc == 4 && !ArgEquals(c, 3, "withscores")))
		{
			ReplySyntaxError(c);
			return;
		}
		if (c->argc == 4)
		{
			withscores = true;
			if (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)
			{
				AddReplyError(&c->reply, "ERR value is out of range");
				return;
			}
		}
	}
	if (!zset_read(c, &v, &z, c->argc >= 3 ? CollReplyEmptyArray : CollReplyNull))
		return;
	if (c->argc < 3)
	{
		const ZElem *e = &z.e[RandomU64() % (uint64_t) z.n];

		AddReplyBulk(&c->reply, e->m, e->len);
	}
	else if (count == 0)
		AddReplyArrayLen(&c->reply, 0);
	else if (count < 0 || count == 1)
	{
		/* with repetitions, in random order */
		long long n = count < 0 ? -count : count;
		bool pairs = withscores && c->reply.resp > 2;

		AddReplyArrayLen(&c->reply, withscores && !pairs ? n * 2 : n);
		for (long long k = 0; k < n; k++)
		{
			const ZElem *e = &z.e[RandomU64() % (uint64_t) z.n];

			if (pairs)
				AddReplyArrayLen(&c->reply, 2);
			AddReplyBulk(&c->reply, e->m, e->len);
			if (withscores)
				AddReplyDouble(&c->reply, e->score);
		}
	}
	else if (count >= z.n)
		ZsetReplyElems(c, z.e, z.n, 1, withscores);
	else
	{
		/* distinct members: the first count of a shuffle */
		for (long k = 0; k < count; k++)
		{
			long j = k + (long) (RandomU64() % (uint64_t) (z.n - k));
			ZElem tmp = z.e[k];

			z.e[k] = z.e[j];
			z.e[j] = tmp;
		}
		ZsetReplyElems(c, z.e, (long) count, 1, withscores);
	}
	ZsetFree(&z);
	KsValueRelease(&v);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count]: all of it, cursor 0. */
void
ZscanCommand(Client *c)
{
	KsValue v;
	Zset z;
	uint64_t cursor;
	const char *pattern = NULL;
	size_t plen = 0, handle;
	long long n = 0;

	if (!ParseScanCursorOrReply(c, 2, &cursor))
		return;
	if (!zset_read(c, &v, &z, CollReplyEmptyScan))
		return;
	if (!CollParseScanOptions(c, 3, &pattern, &plen))
	{
		ZsetFree(&z);
		KsValueRelease(&v);
		return;
	}
	AddReplyArrayLen(&c->reply, 2);
	AddReplyBulkCString(&c->reply, "0");
	handle = AddReplyDeferredLen(&c->reply);
	for (long i = 0; i < z.n; i++)
	{
		char buf[64];
		int len;

		if (pattern && !StringMatch(pattern, plen, z.e[i].m, z.e[i].len, false))
			continue;
		/* the score as a listpack keeps it: text, even in RESP3 */
		len = DoubleToString(buf, sizeof(buf), z.e[i].score);
		AddReplyBulk(&c->reply, z.e[i].m, z.e[i].len);
		AddReplyBulk(&c->reply, buf, (size_t) len);
		n += 2;
	}
	SetDeferredArrayLen(&c->reply, handle, n);
	ZsetFree(&z);
	KsValueRelease(&v);
}

/*
 * OBJECT ENCODING of a stored sorted set: Redis 7.0's listpack while at
 * most 128 members of at most 64 bytes and never more (KS_FLAG_SKIPLIST),
 * else skiplist.
 */
const char *
ZsetEncodingName(const char *value, size_t len, uint8_t flags)
{
	Zset z;
	const char *name;

	if ((flags & KS_FLAG_SKIPLIST) || !zset_decode(value, len, &z))
		return "skiplist";
	name = is_listpack(&z) ? "listpack" : "skiplist";
	ZsetFree(&z);
	return name;
}
