/*
 * cmd_zset_ops.c
 *	  Operations on several sorted sets: ZUNION ZINTER ZDIFF, their STORE
 *	  forms, ZINTERCARD.
 *
 * NOTES
 *	  Inputs may be sorted sets or plain sets (every member scored 1), as
 *	  in Redis. The reads take one snapshot for every input; the STORE
 *	  forms lock the destination and every input (CmdWriteBegin) and read
 *	  the newest versions, like SINTERSTORE (server/cmd_set.c).
 *	  Redis's order of checks is kept: numkeys, then every input's type,
 *	  then the options (WEIGHTS, AGGREGATE, WITHSCORES, LIMIT).
 *	  The arithmetic follows Redis so that scores agree to the bit: union
 *	  and intersection visit the inputs smallest first (a stable sort by
 *	  cardinality: floating-point sums depend on the order), a weighted
 *	  score that is NaN (0 x inf) counts as 0, and a SUM that becomes NaN
 *	  (inf + -inf) is 0.
 */
#include "config.h"

#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "server/zset.h"
#include "storage/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum ZsetOp
{
	ZOP_UNION,
	ZOP_INTER,
	ZOP_DIFF
} ZsetOp;

typedef enum ZsetAggregate
{
	AGG_SUM,
	AGG_MIN,
	AGG_MAX
} ZsetAggregate;

typedef struct ZsetOpOptions
{
	double *weights; /* one per input */
	ZsetAggregate aggregate;
	bool withscores;
	long long limit; /* ZINTERCARD; 0: none */
} ZsetOpOptions;

static void
aggregate(double *target, double val, ZsetAggregate agg)
{
	switch (agg)
	{
		case AGG_SUM:
			*target += val;
			if (isnan(*target))
				*target = 0.0;
			break;
		case AGG_MIN:
			*target = val < *target ? val : *target;
			break;
		case AGG_MAX:
			*target = val > *target ? val : *target;
			break;
	}
}

/* The inputs' positions, smallest first (stable: equal sizes keep their order). */
static int *
by_cardinality(const Zset *src, int n)
{
	int *order = MemAlloc(sizeof(int) * (size_t) n);

	for (int i = 0; i < n; i++)
	{
		int j = i;

		while (j > 0 && src[order[j - 1]].n > src[i].n)
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	return order;
}

typedef struct UnionEntry
{
	const char *m;
	size_t len;
	double score;
	int rank; /* the input's place in the visiting order */
} UnionEntry;

static int
union_entry_cmp(const void *a, const void *b)
{
	const UnionEntry *x = a, *y = b;
	int cmp = ZsetMemberCompare(x->m, x->len, y->m, y->len);

	if (cmp != 0)
		return cmp;
	return x->rank - y->rank;
}

static void
zset_union(const Zset *src, int n, const ZsetOpOptions *o, Zset *out)
{
	int *order = by_cardinality(src, n);
	long total = 0, k = 0;
	UnionEntry *all;

	for (int i = 0; i < n; i++)
		total += src[i].n;
	all = MemAlloc(sizeof(UnionEntry) * (size_t) (total + 1));
	for (int r = 0; r < n; r++)
	{
		const Zset *z = &src[order[r]];

		for (long i = 0; i < z->n; i++)
		{
			double score = o->weights[order[r]] * z->e[i].score;

			if (isnan(score))
				score = 0;
			all[k].m = z->e[i].m;
			all[k].len = z->e[i].len;
			all[k].score = score;
			all[k].rank = r;
			k++;
		}
	}
	if (total > 1)
		qsort(all, (size_t) total, sizeof(UnionEntry), union_entry_cmp);
	for (long i = 0; i < total;)
	{
		long j = i + 1;
		double score = all[i].score;

		for (; j < total && ZsetMemberCompare(all[j].m, all[j].len, all[i].m, all[i].len) == 0; j++)
			aggregate(&score, all[j].score, o->aggregate);
		ZsetAppend(out, score, all[i].m, all[i].len);
		i = j;
	}
	MemFree(all);
	MemFree(order);
}

static void
zset_inter(const Zset *src, int n, const ZsetOpOptions *o, Zset *out)
{
	int *order = by_cardinality(src, n);
	ZsetIndex *idx = MemAlloc(sizeof(ZsetIndex) * (size_t) n);
	const Zset *first = &src[order[0]];

	memset(idx, 0, sizeof(ZsetIndex) * (size_t) n);
	for (int r = 1; r < n && first->n > 0; r++)
		ZsetIndexBuild(&src[order[r]], &idx[r]);
	for (long i = 0; i < first->n; i++)
	{
		const ZElem *e = &first->e[i];
		double score = o->weights[order[0]] * e->score;
		int r;

		if (isnan(score))
			score = 0;
		for (r = 1; r < n; r++)
		{
			const Zset *z = &src[order[r]];
			long pos = ZsetIndexFind(z, &idx[r], e->m, e->len);

			if (pos < 0)
				break;
			aggregate(&score, z->e[pos].score * o->weights[order[r]], o->aggregate);
		}
		if (r == n)
			ZsetAppend(out, score, e->m, e->len);
	}
	for (int r = 0; r < n; r++)
		ZsetIndexFree(&idx[r]);
	MemFree(idx);
	MemFree(order);
}

static void
zset_diff(const Zset *src, int n, Zset *out)
{
	ZsetIndex *idx = MemAlloc(sizeof(ZsetIndex) * (size_t) n);

	memset(idx, 0, sizeof(ZsetIndex) * (size_t) n);
	for (int r = 1; r < n; r++)
		ZsetIndexBuild(&src[r], &idx[r]);
	for (long i = 0; i < src[0].n; i++)
	{
		const ZElem *e = &src[0].e[i];
		int r;

		for (r = 1; r < n; r++)
			if (ZsetIndexFind(&src[r], &idx[r], e->m, e->len) >= 0)
				break;
		if (r == n)
			ZsetAppend(out, e->score, e->m, e->len);
	}
	for (int r = 1; r < n; r++)
		ZsetIndexFree(&idx[r]);
	MemFree(idx);
}

/* The result, sorted; its members point into the inputs. */
static void
zset_combine(ZsetOp op, const Zset *src, int n, const ZsetOpOptions *o, Zset *out)
{
	memset(out, 0, sizeof(*out));
	if (op == ZOP_UNION)
		zset_union(src, n, o, out);
	else if (op == ZOP_INTER)
		zset_inter(src, n, o, out);
	else
		zset_diff(src, n, out);
	ZsetSort(out);
}

/*
 * numkeys at argv[idx]: false after Redis's error (name is the command's,
 * for "at least 1 input key is needed for 'zunion' command").
 */
static bool
parse_numkeys(Client *c, int idx, const char *name, int *setnum)
{
	long long n;

	if (!GetLongLongOrReply(c, idx, &n, NULL))
		return false;
	if (n < 1)
	{
		AddReplyErrorFormat(&c->reply, "ERR at least 1 input key is needed for '%s' command", name);
		return false;
	}
	if (n > c->argc - (idx + 1))
	{
		ReplySyntaxError(c);
		return false;
	}
	*setnum = (int) n;
	return true;
}

/* The options after the keys (argv[first] on); false after the error reply. */
static bool
parse_options(Client *c, int first, int setnum, ZsetOp op, bool store, bool card, ZsetOpOptions *o)
{
	int j = first;

	for (int i = 0; i < setnum; i++)
		o->weights[i] = 1.0;
	while (j < c->argc)
	{
		int remaining = c->argc - j;

		if (op != ZOP_DIFF && !card && remaining >= setnum + 1 && ArgEquals(c, j, "weights"))
		{
			j++;
			for (int i = 0; i < setnum; i++, j++)
				if (!StringToDouble(c->argv[j], c->argv_len[j], &o->weights[i]))
				{
					AddReplyError(&c->reply, "ERR weight value is not a float");
					return false;
				}
		}
		else if (op != ZOP_DIFF && !card && remaining >= 2 && ArgEquals(c, j, "aggregate"))
		{
			if (ArgEquals(c, j + 1, "sum"))
				o->aggregate = AGG_SUM;
			else if (ArgEquals(c, j + 1, "min"))
				o->aggregate = AGG_MIN;
			else if (ArgEquals(c, j + 1, "max"))
				o->aggregate = AGG_MAX;
			else
			{
				ReplySyntaxError(c);
				return false;
			}
			j += 2;
		}
		else if (!store && !card && ArgEquals(c, j, "withscores"))
		{
			o->withscores = true;
			j++;
		}
		else if (card && remaining >= 2 && ArgEquals(c, j, "limit"))
		{
			if (!StringToLongLong(c->argv[j + 1], c->argv_len[j + 1], &o->limit) || o->limit < 0)
			{
				AddReplyError(&c->reply, "ERR LIMIT can't be negative");
				return false;
			}
			j += 2;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	return true;
}

/* Every input's type first, as Redis checks them before the options. */
static bool
check_types(Client *c, const KsValue *vals, int n)
{
	for (int i = 0; i < n; i++)
		if (vals[i].exists && vals[i].type != KS_TYPE_ZSET && vals[i].type != KS_TYPE_SET)
		{
			AddReplyError(&c->reply, err_wrongtype);
			return false;
		}
	return true;
}

static void
free_inputs(KsValue *vals, Zset *src, int n)
{
	for (int i = 0; i < n; i++)
	{
		ZsetFree(&src[i]);
		KsValueRelease(&vals[i]);
	}
	MemFree(vals);
	MemFree(src);
}

/* ZUNION, ZINTER, ZDIFF (numkeys at argv[1]) and ZINTERCARD (card). */
static void
zset_op_read(Client *c, ZsetOp op, bool card, const char *name)
{
	int setnum;
	KsValue *vals;
	Zset *src;
	ZsetOpOptions o;
	CmdTxn t;
	bool ok;

	if (!parse_numkeys(c, 1, name, &setnum))
		return;
	vals = MemAlloc(sizeof(KsValue) * (size_t) setnum);
	src = MemAlloc(sizeof(Zset) * (size_t) setnum);
	memset(src, 0, sizeof(Zset) * (size_t) setnum);
	memset(&o, 0, sizeof(o));
	CmdReadBegin(c, &t);
	if (!CmdLoadVisibleMany(c, &t, 2, setnum, vals))
	{
		SnapshotReleaseAll();
		MemFree(vals);
		MemFree(src);
		return;
	}
	ok = CmdReadEnd(c, &t) && check_types(c, vals, setnum);
	for (int i = 0; ok && i < setnum; i++)
		ok = ZsetFromValue(c, &vals[i], true, &src[i]);
	o.weights = MemAlloc(sizeof(double) * (size_t) setnum);
	if (ok && parse_options(c, 2 + setnum, setnum, op, false, card, &o))
	{
		Zset out;

		zset_combine(op, src, setnum, &o, &out);
		if (card)
			AddReplyLongLong(&c->reply, o.limit > 0 && out.n > o.limit ? o.limit : out.n);
		else
			ZsetReplyElems(c, out.e, out.n, 1, o.withscores);
		ZsetFree(&out);
	}
	MemFree(o.weights);
	free_inputs(vals, src, setnum);
}

/* Z*STORE dst numkeys key ...: the result replaces dst (any type); empty deletes it. */
static void
zset_op_store(Client *c, ZsetOp op, const char *name)
{
	int setnum;
	KsValue *vals;
	Zset *src, out;
	KsValue dst;
	ZsetOpOptions o;
	CmdTxn t;
	const char **keys;
	size_t *lens;
	bool ok = true, began;

	if (!parse_numkeys(c, 2, name, &setnum))
		return;
	keys = MemAlloc(sizeof(char *) * (size_t) (setnum + 1));
	lens = MemAlloc(sizeof(size_t) * (size_t) (setnum + 1));
	keys[0] = c->argv[1];
	lens[0] = c->argv_len[1];
	for (int i = 0; i < setnum; i++)
	{
		keys[i + 1] = c->argv[3 + i];
		lens[i + 1] = c->argv_len[3 + i];
	}
	began = CmdWriteBegin(c, &t, keys, lens, setnum + 1);
	MemFree(keys);
	MemFree(lens);
	if (!began)
		return;
	vals = MemAlloc(sizeof(KsValue) * (size_t) setnum);
	src = MemAlloc(sizeof(Zset) * (size_t) setnum);
	memset(src, 0, sizeof(Zset) * (size_t) setnum);
	memset(&o, 0, sizeof(o));
	memset(&out, 0, sizeof(out));
	KsValueInit(&dst);
	for (int i = 0; i < setnum; i++)
		KsValueInit(&vals[i]);
	for (int i = 0; ok && i < setnum; i++)
		ok = CmdLoadLatest(c, &t, 3 + i, &vals[i]);
	ok = ok && check_types(c, vals, setnum);
	for (int i = 0; ok && i < setnum; i++)
		ok = ZsetFromValue(c, &vals[i], true, &src[i]);
	o.weights = MemAlloc(sizeof(double) * (size_t) setnum);
	ok = ok && parse_options(c, 3 + setnum, setnum, op, true, false, &o);
	ok = ok && CmdLoadLatestMeta(c, &t, 1, &dst);
	if (ok)
	{
		zset_combine(op, src, setnum, &o, &out);
		/* dst as it was, any type: replaced, TTL dropped (Redis's setKey) */
		ok = ZsetStore(c, 1, &out, &dst, false);
	}
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, out.n);
	ZsetFree(&out);
	MemFree(o.weights);
	KsValueRelease(&dst);
	free_inputs(vals, src, setnum);
}

void
ZunionCommand(Client *c)
{
	zset_op_read(c, ZOP_UNION, false, "zunion");
}

void
ZinterCommand(Client *c)
{
	zset_op_read(c, ZOP_INTER, false, "zinter");
}

void
ZdiffCommand(Client *c)
{
	zset_op_read(c, ZOP_DIFF, false, "zdiff");
}

void
ZintercardCommand(Client *c)
{
	zset_op_read(c, ZOP_INTER, true, "zintercard");
}

void
ZunionstoreCommand(Client *c)
{
	zset_op_store(c, ZOP_UNION, "zunionstore");
}

void
ZinterstoreCommand(Client *c)
{
	zset_op_store(c, ZOP_INTER, "zinterstore");
}

void
ZdiffstoreCommand(Client *c)
{
	zset_op_store(c, ZOP_DIFF, "zdiffstore");
}
