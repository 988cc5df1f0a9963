/*
 * cmd_sort.c
 *	  SORT and SORT_RO.
 *
 * NOTES
 *	  SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
 *	  [ASC|DESC] [ALPHA] [STORE destination], with Redis 7.0's rules:
 *
 *	  - The elements of a list, set or sorted set (the members, not the
 *	    scores) are sorted as numbers (strtod's reading of the bytes; one
 *	    that is not a number is "ERR One or more scores can't be converted
 *	    into double"), equal numbers by their bytes; with ALPHA by their
 *	    bytes (up to a NUL byte, as strcoll in the C locale compares them,
 *	    or the whole of them with STORE).
 *	  - BY pattern: the weight of element e is the string at the key the
 *	    pattern names with its first '*' replaced by e, or with "->field"
 *	    at the end the field of that hash; a missing one weighs 0 (or
 *	    sorts first with ALPHA). A pattern without '*' does not sort: the
 *	    elements come in their own order (reversed with DESC), except that
 *	    a set being STOREd is sorted with ALPHA, so the list stored does
 *	    not depend on the order of a hash table.
 *	  - GET pattern (repeatable) replaces each element by such a lookup,
 *	    "#" being the element itself; missing ones are nil (empty strings
 *	    in a STOREd list).
 *	  - The sort is stable, as glibc's qsort (a merge sort) that Redis
 *	    calls without LIMIT; with LIMIT Redis uses its own quicksort, so
 *	    ALPHA sorts by weights that tie may order the tied elements
 *	    differently there.
 *
 *	  The keys BY and GET name come from the data, so they cannot be
 *	  locked before the command runs: SORT reads everything through one
 *	  snapshot (CmdLoadVisibleKey), and STORE then writes the result as a
 *	  write of the destination alone. The result is that of one consistent
 *	  state, but a write between the read and the store is not excluded as
 *	  it is in Redis; inside EXEC every database is locked (movable keys)
 *	  and the two are one transaction.
 */
#include "config.h"

#include "server/collection.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "server/zset.h"
#include "storage/mem.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct SortOptions
{
	bool		desc;
	bool		alpha;
	bool		dontsort;
	int			by;				/* argv index of BY's pattern, 0: none */
	long long	offset;
	long long	count;			/* -1: all */
	int		   *gets;			/* argv indexes of GET patterns */
	int			ngets;
	int			store;			/* argv index of STORE's key, 0: none */
} SortOptions;

typedef struct SortItem
{
	const char *p;				/* the element */
	size_t		len;
	double		score;			/* numeric weight */
	const char *w;				/* ALPHA weight (BY), NULL: none */
	size_t		wlen;
} SortItem;

/* Parse the options after the key; false after the error reply. */
static bool
parse_options(Client *c, bool read_only, SortOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->count = -1;
	o->gets = MemAlloc(sizeof(int) * (size_t) c->argc);
	for (int j = 2; j < c->argc; j++)
	{
		int			left = c->argc - j - 1;

		if (ArgEquals(c, j, "asc"))
			o->desc = false;
		else if (ArgEquals(c, j, "desc"))
			o->desc = true;
		else if (ArgEquals(c, j, "alpha"))
			o->alpha = true;
		else if (ArgEquals(c, j, "limit") && left >= 2)
		{
			if (!GetLongLongOrReply(c, j + 1, &o->offset, NULL) ||
				!GetLongLongOrReply(c, j + 2, &o->count, NULL))
				return false;
			j += 2;
		}
		else if (ArgEquals(c, j, "store") && left >= 1 && !read_only)
			o->store = ++j;
		else if (ArgEquals(c, j, "by") && left >= 1)
		{
			o->by = ++j;
			/* a pattern without '*' names one key for every element: no sort */
			o->dontsort = memchr(c->argv[j], '*', c->argv_len[j]) == NULL;
		}
		else if (ArgEquals(c, j, "get") && left >= 1)
			o->gets[o->ngets++] = ++j;
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	return true;
}

/*
 * The string a pattern names for element e: the value of the string key
 * pattern-with-its-first-'*'-replaced-by-e, or its field for
 * "...->field" of a hash; "#" is e itself. *found false for nil. The bytes
 * are copied into *buf (MemAlloc'd; the caller frees it). False after a
 * storage error reply.
 */
static bool
lookup_pattern(Client *c, CmdTxn *t, const char *pat, size_t patlen, const char *e,
			   size_t elen, bool *found, char **buf, size_t *len)
{
	const char *star = memchr(pat, '*', patlen);
	const char *arrow = NULL;
	size_t		keylen,
				postlen,
				fieldlen = 0;
	char	   *key;
	KsValue		v;
	bool		ok = true;

	*found = false;
	*buf = NULL;
	*len = 0;
	if (patlen == 1 && pat[0] == '#')
	{
		*buf = MemAlloc(elen + 1);
		memcpy(*buf, e, elen);
		*len = elen;
		*found = true;
		return true;
	}
	if (star == NULL)
		return true;
	/* "->" followed by something, searched from the second byte on */
	for (size_t i = 1; i + 2 < patlen; i++)
		if (pat[i] == '-' && pat[i + 1] == '>')
		{
			arrow = pat + i;
			break;
		}
	if (arrow && arrow > star)
		fieldlen = (size_t) (pat + patlen - arrow - 2);
	else
		arrow = NULL;
	postlen = (size_t) ((arrow ? arrow : pat + patlen) - star - 1);
	keylen = (size_t) (star - pat) + elen + postlen;
	key = MemAlloc(keylen + 1);
	memcpy(key, pat, (size_t) (star - pat));
	memcpy(key + (star - pat), e, elen);
	memcpy(key + (star - pat) + elen, star + 1, postlen);
	if (!CmdLoadVisibleKey(c, t, c->db, key, keylen, &v))
	{
		MemFree(key);
		return false;
	}
	if (v.exists && arrow == NULL && v.type == KS_TYPE_STRING)
	{
		*buf = MemAlloc(v.value_len + 1);
		memcpy(*buf, v.value, v.value_len);
		*len = v.value_len;
		*found = true;
	}
	else if (v.exists && arrow != NULL && v.type == KS_TYPE_HASH)
	{
		CollElems	h;

		memset(&h, 0, sizeof(h));
		if (!CollAsElems(c, &v, KS_TYPE_HASH, &h))
			ok = false;
		for (long i = 0; ok && i + 1 < h.n; i += 2)
			if (h.e[i].len == fieldlen && memcmp(h.e[i].p, arrow + 2, fieldlen) == 0)
			{
				*buf = MemAlloc(h.e[i + 1].len + 1);
				memcpy(*buf, h.e[i + 1].p, h.e[i + 1].len);
				*len = h.e[i + 1].len;
				*found = true;
				break;
			}
		CollElemsFree(&h);
	}
	KsValueRelease(&v);
	MemFree(key);
	return ok;
}

/* strtod's reading of the bytes (to a NUL), as Redis reads a weight. */
static bool
parse_weight(const char *p, size_t len, double *out)
{
	char		buf[128];
	char	   *copy = len < sizeof(buf) ? buf : MemAlloc(len + 1);
	char	   *end;
	bool		ok;

	memcpy(copy, p, len);
	copy[len] = '\0';
	errno = 0;
	*out = strtod(copy, &end);
	ok = *end == '\0' && errno != ERANGE && !isnan(*out);
	if (copy != buf)
		MemFree(copy);
	return ok;
}

/* Bytes compared up to the first NUL (strcoll in the C locale). */
static int
cmp_cstring(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		la = strnlen(a, alen),
				lb = strnlen(b, blen);
	int			r = memcmp(a, b, la < lb ? la : lb);

	return r != 0 ? r : (la > lb) - (la < lb);
}

static int
cmp_binary(const char *a, size_t alen, const char *b, size_t blen)
{
	int			r = memcmp(a, b, alen < blen ? alen : blen);

	return r != 0 ? r : (alen > blen) - (alen < blen);
}

static int
compare_items(const SortItem *x, const SortItem *y, const SortOptions *o)
{
	int			cmp;
	int			(*strcmp_fn) (const char *, size_t, const char *, size_t) =
		o->store ? cmp_binary : cmp_cstring;

	if (!o->alpha)
	{
		if (x->score != y->score)
			cmp = x->score > y->score ? 1 : -1;
		else
			cmp = cmp_binary(x->p, x->len, y->p, y->len);
	}
	else if (o->by)
	{
		if (x->w == NULL || y->w == NULL)
			cmp = x->w == y->w ? 0 : x->w == NULL ? -1 : 1;
		else
			cmp = strcmp_fn(x->w, x->wlen, y->w, y->wlen);
	}
	else
		cmp = strcmp_fn(x->p, x->len, y->p, y->len);
	return o->desc ? -cmp : cmp;
}

/* A stable merge sort of items[0..n-1]. */
static void
merge_sort(SortItem *items, SortItem *tmp, long n, const SortOptions *o)
{
	long		mid = n / 2,
				i = 0,
				j = mid,
				k = 0;

	if (n < 2)
		return;
	merge_sort(items, tmp, mid, o);
	merge_sort(items + mid, tmp, n - mid, o);
	while (i < mid && j < n)
		tmp[k++] = compare_items(&items[j], &items[i], o) < 0 ? items[j++] : items[i++];
	while (i < mid)
		tmp[k++] = items[i++];
	while (j < n)
		tmp[k++] = items[j++];
	memcpy(items, tmp, sizeof(SortItem) * (size_t) n);
}

/* The output of one element: nil or bytes, appended to out and nil[]. */
typedef struct SortOutput
{
	CollElems	vals;
	bool	   *nil;
	char	  **bufs;
	long		nbufs;
} SortOutput;

static void
output_free(SortOutput *out)
{
	for (long i = 0; i < out->nbufs; i++)
		MemFree(out->bufs[i]);
	MemFree(out->bufs);
	MemFree(out->nil);
	CollElemsFree(&out->vals);
}

static void
sort_generic(Client *c, bool read_only)
{
	SortOptions o;
	SortItem   *items = NULL,
			   *tmp = NULL;
	SortOutput	out;
	char	  **wbufs = NULL;
	long		n = 0,
				start,
				end;
	CollElems	elems;
	Zset		z;
	KsValue		v;
	CmdTxn		t;
	bool		ok = true;

	memset(&out, 0, sizeof(out));
	memset(&elems, 0, sizeof(elems));
	memset(&z, 0, sizeof(z));
	if (!parse_options(c, read_only, &o))
	{
		MemFree(o.gets);
		return;
	}
	CmdReadBegin(c, &t);
	if (!CmdLoadVisibleKey(c, &t, c->db, c->argv[1], c->argv_len[1], &v))
	{
		SnapshotReleaseAll();
		MemFree(o.gets);
		return;
	}
	if (v.exists && v.type != KS_TYPE_LIST && v.type != KS_TYPE_SET && v.type != KS_TYPE_ZSET)
	{
		AddReplyError(&c->reply, err_wrongtype);
		ok = false;
	}
	else if (v.exists && v.type == KS_TYPE_ZSET)
	{
		ok = ZsetFromValue(c, &v, false, &z);
		for (long i = 0; ok && i < z.n; i++)
			CollElemsInsert(&elems, elems.n, z.e[i].m, z.e[i].len);
	}
	else if (v.exists)
		ok = CollAsElems(c, &v, v.type, &elems);
	/* a set STOREd unsorted would store a hash table's order: sort it */
	if (ok && o.dontsort && v.exists && v.type == KS_TYPE_SET && o.store)
	{
		o.dontsort = false;
		o.alpha = true;
		o.by = 0;
	}
	n = elems.n;
	items = MemAllocZero(sizeof(SortItem) * (size_t) (n + 1));
	wbufs = MemAllocZero(sizeof(char *) * (size_t) (n + 1));
	for (long i = 0; i < n; i++)
	{
		items[i].p = elems.e[i].p;
		items[i].len = elems.e[i].len;
	}
	/* the weights */
	for (long i = 0; ok && !o.dontsort && i < n; i++)
	{
		const char *w = items[i].p;
		size_t		wlen = items[i].len;
		bool		found = true;

		if (o.by)
		{
			ok = lookup_pattern(c, &t, c->argv[o.by], c->argv_len[o.by], items[i].p, items[i].len,
								&found, &wbufs[i], &wlen);
			w = wbufs[i];
			if (!ok)
				break;
		}
		if (o.alpha)
		{
			items[i].w = found ? (w ? w : "") : NULL;
			items[i].wlen = found ? wlen : 0;
		}
		else if (found && !parse_weight(w, wlen, &items[i].score))
		{
			AddReplyError(&c->reply, "ERR One or more scores can't be converted into double");
			ok = false;
		}
	}
	if (ok && !o.dontsort)
	{
		tmp = MemAlloc(sizeof(SortItem) * (size_t) (n + 1));
		merge_sort(items, tmp, n, &o);
	}
	else if (ok && o.desc)
	{
		/* not sorted: the elements' own order, reversed */
		for (long i = 0; i < n / 2; i++)
		{
			SortItem	x = items[i];

			items[i] = items[n - 1 - i];
			items[n - 1 - i] = x;
		}
	}
	/* LIMIT, as Redis clamps it */
	start = o.offset < 0 ? 0 : (long) o.offset;
	end = o.count < 0 ? n - 1 : (long) (start + o.count - 1);
	if (start >= n)
	{
		start = n - 1;
		end = n - 2;
	}
	if (end >= n)
		end = n - 1;
	/* the output: the elements, or what the GET patterns name */
	if (ok)
	{
		long		slots = (end >= start ? end - start + 1 : 0) * (o.ngets ? o.ngets : 1);

		out.nil = MemAllocZero(sizeof(bool) * (size_t) (slots + 1));
		out.bufs = MemAllocZero(sizeof(char *) * (size_t) (slots + 1));
	}
	for (long i = start; ok && i <= end; i++)
	{
		if (o.ngets == 0)
		{
			CollElemsInsert(&out.vals, out.vals.n, items[i].p, items[i].len);
			continue;
		}
		for (int g = 0; ok && g < o.ngets; g++)
		{
			bool		found;
			char	   *buf;
			size_t		len;

			ok = lookup_pattern(c, &t, c->argv[o.gets[g]], c->argv_len[o.gets[g]], items[i].p,
								items[i].len, &found, &buf, &len);
			if (!ok)
				break;
			out.nil[out.vals.n] = !found;
			out.bufs[out.nbufs++] = buf;
			CollElemsInsert(&out.vals, out.vals.n, buf ? buf : "", len);
		}
	}
	{
		bool		ended = CmdReadEnd(c, &t);

		ok = ok && ended;
	}

	if (ok && o.store)
	{
		CmdTxn		w;
		KsValue		dst;

		/* a nil is stored as an empty string, as in Redis */
		if (CmdWriteBeginKeys(c, &w, o.store, o.store, 1))
		{
			if (CmdLoadLatestMeta(c, &w, o.store, &dst) && ListStore(c, o.store, &out.vals, &dst, false))
			{
				if (CmdWriteCommit(c, &w))
					AddReplyLongLong(&c->reply, out.vals.n);
			}
			else
				CmdWriteAbort(c, &w);
			KsValueRelease(&dst);
		}
	}
	else if (ok)
	{
		AddReplyArrayLen(&c->reply, out.vals.n);
		for (long i = 0; i < out.vals.n; i++)
		{
			if (out.nil[i])
				AddReplyNull(&c->reply);
			else
				AddReplyBulk(&c->reply, out.vals.e[i].p, out.vals.e[i].len);
		}
	}
	for (long i = 0; i < n; i++)
		MemFree(wbufs[i]);
	MemFree(wbufs);
	MemFree(items);
	MemFree(tmp);
	output_free(&out);
	CollElemsFree(&elems);
	ZsetFree(&z);
	KsValueRelease(&v);
	MemFree(o.gets);
}

void
SortCommand(Client *c)
{
	sort_generic(c, false);
}

void
SortRoCommand(Client *c)
{
	sort_generic(c, true);
}
