/*
 * cmd_hll.c
 *	  HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
 *
 * NOTES
 *	  A HyperLogLog is a string in Redis's own layout, so that GET of one,
 *	  and PFCOUNT of one written by Redis, agree with Redis byte for byte:
 *
 *	  header, 16 bytes: "HYLL", the encoding (0 dense, 1 sparse), 3 unused
 *	  bytes, then the cached count as 8 little-endian bytes; the top bit
 *	  of the last one set means the cache is stale.
 *	  dense: 16384 registers of 6 bits; register i starts at bit 6 * i,
 *	  counting from the least significant bit of the first byte.
 *	  sparse: runs of registers, one opcode each: 00xxxxxx is xxxxxx + 1
 *	  zero registers, 01xxxxxx yyyyyyyy is the 14-bit xy + 1 zero
 *	  registers, 1vvvvvxx is xx + 1 registers holding vvvvv + 1.
 *
 *	  An element hashes (MurmurHash64A, seed 0xadc83b19) to h; it goes to
 *	  register h mod 16384 with the value 1 + the number of trailing zero
 *	  bits of h >> 14 (at most 51), kept if it is above the register's. The
 *	  count is Ertl's estimator over the histogram of register values
 *	  ("New cardinality estimation algorithms for HyperLogLog sketches",
 *	  2017), which is what Redis computes.
 *
 *	  A sparse value is changed the way Redis changes it, because a
 *	  canonical re-encoding would not give Redis's bytes: the run holding
 *	  the register is split in at most three, and runs of one value are
 *	  merged only within five opcodes of the change. It turns dense when a
 *	  register needs a value above 32, or when the string would grow past
 *	  3000 bytes (Redis's default hll-sparse-max-bytes, which tusk does not
 *	  make configurable). Sparse runs that do not add up to 16384 registers
 *	  are "INVALIDOBJ Corrupted HLL object detected" where Redis notices
 *	  it: counting, merging, turning dense, or a register past the last
 *	  run (an add into a run that is there still works, as in Redis).
 *
 *	  Writes go through StringModify, so each rewrites the string (at most
 *	  12 kB). PFCOUNT of one key stores the count it computed in the header
 *	  as Redis does, so it writes (under the key's lock) when the cache was
 *	  stale and only reads otherwise.
 */
#include "config.h"

#include "server/server.h"
#include "server/txn.h"
#include "storage/mem.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define HLL_P			14
#define HLL_REGS		(1 << HLL_P)
#define HLL_Q			(64 - HLL_P)
#define HLL_HDR			16
#define HLL_DENSE_SIZE	(HLL_HDR + HLL_REGS * 6 / 8)
#define HLL_ENC_DENSE	0
#define HLL_ENC_SPARSE	1
#define HLL_VAL_MAX		32		/* largest value of a sparse VAL opcode */
#define HLL_VAL_RUN_MAX 4		/* longest run of a VAL opcode */
#define HLL_ZERO_RUN_MAX 64		/* longest run of a one-byte ZERO opcode */
#define HLL_SPARSE_MAX_BYTES 3000
#define HLL_SEED		UINT64_C(0xadc83b19)

static const char err_not_hll[] = "WRONGTYPE Key is not a valid HyperLogLog string value.";
static const char err_corrupt[] = "INVALIDOBJ Corrupted HLL object detected";

/* One sparse opcode: a run of zeros (value 0) or of one value. */
typedef struct HllRun
{
	uint16_t	len;
	uint8_t		value;
	bool		xzero;			/* a zero run written as the two-byte opcode */
} HllRun;

/* A HyperLogLog being read or changed, decoded. */
typedef struct Hll
{
	unsigned char hdr[HLL_HDR];
	bool		dense;
	uint8_t    *regs;			/* dense: HLL_REGS registers */
	HllRun	   *runs;			/* sparse */
	int			nruns;
	int			runs_cap;
	size_t		sparse_bytes;	/* encoded size of runs */
	long		total;			/* registers the runs cover: HLL_REGS unless corrupt */
	int			tail;			/* a two-byte opcode cut short at the end: its
								 * first byte, kept as it is (or -1) */
} Hll;

/* ---------- hashing and counting ---------- */

static uint64_t
load_le64(const unsigned char *p)
{
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Austin Appleby's MurmurHash64A, reading 8-byte blocks little-endian. */
static uint64_t
murmur64a(const unsigned char *p, size_t len, uint64_t seed)
{
	const uint64_t m = UINT64_C(0xc6a4a7935bd1e995);
	uint64_t	h = seed ^ ((uint64_t) len * m);
	size_t		blocks = len / 8;
	size_t		rest = len % 8;

	for (size_t i = 0; i < blocks; i++)
	{
		uint64_t	k = load_le64(p + 8 * i);

		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
	}
	if (rest)
	{
		for (size_t i = rest; i-- > 0;)
			h ^= (uint64_t) p[blocks * 8 + i] << (8 * i);
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

/* The register an element goes to, and the value it brings (1..51). */
static int
element_register(const char *e, size_t len, int *value)
{
	uint64_t	h = murmur64a((const unsigned char *) e, len, HLL_SEED);
	int			index = (int) (h & (HLL_REGS - 1));

	h >>= HLL_P;
	h |= UINT64_C(1) << HLL_Q;	/* ends the count at Q + 1 */
	*value = __builtin_ctzll(h) + 1;
	return index;
}

static double
ertl_sigma(double x)
{
	double		y = 1.0,
				z = x,
				before;

	if (x == 1.0)
		return INFINITY;
	do
	{
		x *= x;
		before = z;
		z += x * y;
		y += y;
	} while (before != z);
	return z;
}

static double
ertl_tau(double x)
{
	double		y = 1.0,
				z = 1.0 - x,
				before;

	if (x == 0.0 || x == 1.0)
		return 0.0;
	do
	{
		x = sqrt(x);
		before = z;
		y *= 0.5;
		z -= pow(1.0 - x, 2) * y;
	} while (before != z);
	return z / 3.0;
}

/* The estimate from histo[v], the number of registers holding v. */
static uint64_t
estimate(const int *histo)
{
	const double m = HLL_REGS;
	const double alpha_inf = 0.721347520444481703680;	/* 1 / (2 ln 2) */
	double		z = m * ertl_tau((m - histo[HLL_Q + 1]) / m);

	for (int j = HLL_Q; j >= 1; j--)
	{
		z += histo[j];
		z *= 0.5;
	}
	z += m * ertl_sigma(histo[0] / m);
	return (uint64_t) llroundl(alpha_inf * m * m / z);
}

/* ---------- the encodings ---------- */

static int
dense_get(const unsigned char *p, int i)
{
	int			bit = i * 6;
	unsigned	v = p[bit / 8] >> (bit % 8);

	if (bit % 8 > 2)
		v |= (unsigned) p[bit / 8 + 1] << (8 - bit % 8);
	return (int) (v & 63);
}

static void
dense_put(unsigned char *p, int i, int value)
{
	int			bit = i * 6;
	unsigned	v = (unsigned) value << (bit % 8);

	p[bit / 8] = (unsigned char) ((p[bit / 8] & ~(63u << (bit % 8))) | (v & 0xff));
	if (bit % 8 > 2)
		p[bit / 8 + 1] = (unsigned char) ((p[bit / 8 + 1] & ~(63u >> (8 - bit % 8))) | (v >> 8));
}

static void
hll_free(Hll *h)
{
	MemFree(h->regs);
	MemFree(h->runs);
	memset(h, 0, sizeof(*h));
}

static void
runs_reserve(Hll *h, int extra)
{
	if (h->nruns + extra > h->runs_cap)
	{
		h->runs_cap = (h->nruns + extra) * 2;
		h->runs = MemRealloc(h->runs, sizeof(HllRun) * (size_t) h->runs_cap);
	}
}

static size_t
run_bytes(const HllRun *r)
{
	return r->xzero ? 2 : 1;
}

/* An empty HyperLogLog, as PFADD and PFMERGE create it: sparse, count 0. */
static void
hll_init_empty(Hll *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->hdr, "HYLL", 4);
	h->hdr[4] = HLL_ENC_SPARSE;
	runs_reserve(h, 1);
	h->runs[0] = (HllRun) {HLL_REGS, 0, true};
	h->nruns = 1;
	h->sparse_bytes = 2;
	h->total = HLL_REGS;
	h->tail = -1;
}

/* Whether a string is a HyperLogLog at all (else err_not_hll). */
static bool
looks_like_hll(const char *v, size_t len)
{
	return len >= HLL_HDR && memcmp(v, "HYLL", 4) == 0 &&
		((v[4] == HLL_ENC_DENSE && len == HLL_DENSE_SIZE) || v[4] == HLL_ENC_SPARSE);
}

/*
 * Decode a string that looks_like_hll. Whether the runs cover every
 * register is left to hll_complete: Redis changes a corrupt sparse value
 * as long as the register is in one of its runs, and so does tusk,
 * keeping any bytes it cannot decode.
 */
static void
hll_decode(Hll *h, const char *v, size_t len)
{
	const unsigned char *p = (const unsigned char *) v + HLL_HDR,
			   *end = (const unsigned char *) v + len;

	memset(h, 0, sizeof(*h));
	memcpy(h->hdr, v, HLL_HDR);
	h->tail = -1;
	if (v[4] == HLL_ENC_DENSE)
	{
		h->dense = true;
		h->regs = MemAlloc(HLL_REGS);
		for (int i = 0; i < HLL_REGS; i++)
			h->regs[i] = (uint8_t) dense_get(p, i);
		return;
	}
	while (p < end)
	{
		HllRun		r = {0, 0, false};

		if ((*p & 0xc0) == 0x00)
			r.len = (uint16_t) ((*p & 0x3f) + 1);
		else if ((*p & 0xc0) == 0x40)
		{
			if (p + 1 >= end)
			{
				h->tail = *p;
				break;
			}
			r.len = (uint16_t) ((((*p & 0x3f) << 8) | p[1]) + 1);
			r.xzero = true;
		}
		else
		{
			r.value = (uint8_t) (((*p >> 2) & 0x1f) + 1);
			r.len = (uint16_t) ((*p & 0x03) + 1);
		}
		p += r.xzero ? 2 : 1;
		h->total += r.len;
		runs_reserve(h, 1);
		h->runs[h->nruns++] = r;
		h->sparse_bytes += run_bytes(&r);
	}
}

static bool
hll_complete(const Hll *h)
{
	return h->dense || (h->total == HLL_REGS && h->tail < 0);
}

/* The string form of h (MemAlloc'd). */
static char *
hll_encode(const Hll *h, size_t *len)
{
	unsigned char *out,
			   *p;

	*len = h->dense ? HLL_DENSE_SIZE : HLL_HDR + h->sparse_bytes + (h->tail >= 0);
	out = MemAllocZero(*len + 1);
	memcpy(out, h->hdr, HLL_HDR);
	out[4] = h->dense ? HLL_ENC_DENSE : HLL_ENC_SPARSE;
	p = out + HLL_HDR;
	if (h->dense)
	{
		for (int i = 0; i < HLL_REGS; i++)
			dense_put(p, i, h->regs[i]);
		return (char *) out;
	}
	for (int k = 0; k < h->nruns; k++)
	{
		const HllRun *r = &h->runs[k];

		if (r->value)
			*p++ = (unsigned char) (0x80 | ((r->value - 1) << 2) | (r->len - 1));
		else if (r->xzero)
		{
			*p++ = (unsigned char) (0x40 | ((r->len - 1) >> 8));
			*p++ = (unsigned char) ((r->len - 1) & 0xff);
		}
		else
			*p++ = (unsigned char) (r->len - 1);
	}
	if (h->tail >= 0)
		*p = (unsigned char) h->tail;
	return (char *) out;
}

static void
hll_to_dense(Hll *h)
{
	int			i = 0;

	h->regs = MemAllocZero(HLL_REGS);
	for (int k = 0; k < h->nruns; k++)
		for (int j = 0; j < h->runs[k].len; j++)
			h->regs[i++] = h->runs[k].value;
	h->dense = true;
	MemFree(h->runs);
	h->runs = NULL;
	h->nruns = h->runs_cap = 0;
	h->sparse_bytes = 0;
}

/* A zero run of len registers, or a run of value. */
static HllRun
make_run(int len, int value)
{
	return (HllRun) {(uint16_t) len, (uint8_t) value, value == 0 && len > HLL_ZERO_RUN_MAX};
}

/*
 * Raise register index to value in a sparse h: 0 if it already held as
 * much, 1 if changed (perhaps by turning h dense), -1 if h is corrupt.
 */
static int
sparse_raise(Hll *h, int index, int value)
{
	HllRun		seq[3],
			   *r;
	int			k,
				first = 0,
				n = 0,
				last,
				start,
				budget = 5;
	long		delta = 0;

	if (value > HLL_VAL_MAX)
		goto promote;
	for (k = 0; k < h->nruns && index >= first + h->runs[k].len; k++)
		first += h->runs[k].len;
	if (k == h->nruns)
		return -1;
	r = &h->runs[k];
	if (r->value >= value)
		return 0;
	last = first + r->len - 1;
	if (index > first)
		seq[n++] = make_run(index - first, r->value);
	seq[n++] = make_run(1, value);
	if (index < last)
		seq[n++] = make_run(last - index, r->value);
	for (int j = 0; j < n; j++)
		delta += (long) run_bytes(&seq[j]);
	delta -= (long) run_bytes(r);
	if (delta > 0 && HLL_HDR + h->sparse_bytes + (h->tail >= 0) + (size_t) delta >
		HLL_SPARSE_MAX_BYTES)
		goto promote;
	runs_reserve(h, n);
	memmove(&h->runs[k + n], &h->runs[k + 1], sizeof(HllRun) * (size_t) (h->nruns - k - 1));
	memcpy(&h->runs[k], seq, sizeof(HllRun) * (size_t) n);
	h->nruns += n - 1;
	h->sparse_bytes += (size_t) delta;

	/* merge equal neighbours, as Redis does: up to five opcodes from the one before */
	start = k > 0 ? k - 1 : k;
	while (start < h->nruns && budget-- > 0)
	{
		HllRun	   *a = &h->runs[start],
				   *b = &h->runs[start + 1];

		if (a->value != 0 && start + 1 < h->nruns && b->value == a->value &&
			a->len + b->len <= HLL_VAL_RUN_MAX)
		{
			a->len = (uint16_t) (a->len + b->len);
			memmove(b, b + 1, sizeof(HllRun) * (size_t) (h->nruns - start - 2));
			h->nruns--;
			h->sparse_bytes--;
			continue;
		}
		start++;
	}
	return 1;

promote:
	if (!hll_complete(h))
		return -1;
	hll_to_dense(h);
	h->regs[index] = (uint8_t) value;
	return 1;
}

static int
hll_raise(Hll *h, int index, int value)
{
	if (!h->dense)
		return sparse_raise(h, index, value);
	if (h->regs[index] >= value)
		return 0;
	h->regs[index] = (uint8_t) value;
	return 1;
}

static void
hll_histogram(const Hll *h, int *histo)
{
	memset(histo, 0, sizeof(int) * 64);
	if (h->dense)
		for (int i = 0; i < HLL_REGS; i++)
			histo[h->regs[i]]++;
	else
		for (int k = 0; k < h->nruns; k++)
			histo[h->runs[k].value] += h->runs[k].len;
}

/* Fold h into max[] (the register-wise maximum). */
static void
hll_fold(const Hll *h, uint8_t *max)
{
	int			i = 0;

	if (h->dense)
	{
		for (i = 0; i < HLL_REGS; i++)
			if (h->regs[i] > max[i])
				max[i] = h->regs[i];
		return;
	}
	for (int k = 0; k < h->nruns; k++)
		for (int j = 0; j < h->runs[k].len; j++, i++)
			if (h->runs[k].value > max[i])
				max[i] = h->runs[k].value;
}

static bool
cache_valid(const Hll *h)
{
	return (h->hdr[15] & 0x80) == 0;
}

static void
cache_invalidate(Hll *h)
{
	h->hdr[15] |= 0x80;
}

static void
cache_store(Hll *h, uint64_t count)
{
	for (int i = 0; i < 8; i++)
		h->hdr[8 + i] = (unsigned char) (count >> (8 * i));
}

static uint64_t
cache_read(const Hll *h)
{
	return load_le64(h->hdr + 8);
}

/*
 * Decode an existing string value as a HyperLogLog; false after the error
 * reply (not one, or corrupt). With whole, runs that do not cover every
 * register are corrupt too.
 */
static bool
decode_or_reply(Client *c, const KsValue *v, Hll *h, bool whole)
{
	if (!looks_like_hll(v->value, v->value_len))
	{
		AddReplyError(&c->reply, err_not_hll);
		return false;
	}
	hll_decode(h, v->value, v->value_len);
	if (whole && !hll_complete(h))
	{
		hll_free(h);
		AddReplyError(&c->reply, err_corrupt);
		return false;
	}
	return true;
}

/* ---------- PFADD ---------- */

static bool
pfadd_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen, uint8_t *flags,
		 void *argp)
{
	long long  *updated = argp;
	Hll			h;

	*updated = 0;
	if (!cur->exists)
	{
		hll_init_empty(&h);
		*updated = 1;
	}
	else if (!decode_or_reply(c, cur, &h, false))
		return false;
	for (int j = 2; j < c->argc; j++)
	{
		int			value,
					index = element_register(c->argv[j], c->argv_len[j], &value),
					raised = hll_raise(&h, index, value);

		if (raised < 0)
		{
			AddReplyError(&c->reply, err_corrupt);
			hll_free(&h);
			return false;
		}
		if (raised)
			*updated = 1;
	}
	if (*updated)
	{
		cache_invalidate(&h);
		*newval = hll_encode(&h, newlen);
		*flags = KS_FLAG_RAW;
	}
	hll_free(&h);
	return true;
}

static void
reply_number(Client *c, void *argp)
{
	AddReplyLongLong(&c->reply, *(long long *) argp);
}

void
PfaddCommand(Client *c)
{
	long long	updated;

	StringModify(c, pfadd_fn, &updated, reply_number);
}

/* ---------- PFCOUNT ---------- */

/* Count one key, storing the count in its header if the cache was stale. */
static bool
pfcount_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen, uint8_t *flags,
		   void *argp)
{
	long long  *count = argp;
	int			histo[64];
	Hll			h;

	*count = 0;
	if (!cur->exists)
		return true;
	if (!decode_or_reply(c, cur, &h, false))
		return false;
	if (!cache_valid(&h) && !hll_complete(&h))
	{
		AddReplyError(&c->reply, err_corrupt);
		hll_free(&h);
		return false;
	}
	if (cache_valid(&h))
		*count = (long long) cache_read(&h);
	else
	{
		hll_histogram(&h, histo);
		*count = (long long) estimate(histo);
		cache_store(&h, (uint64_t) *count);
		*newval = hll_encode(&h, newlen);
		*flags = cur->flags;
	}
	hll_free(&h);
	return true;
}

/*
 * PFCOUNT of several keys: the count of their union, computed on the
 * register-wise maximum; nothing is cached.
 */
static void
pfcount_union(Client *c)
{
	int			n = c->argc - 1;
	KsValue    *vals = MemAlloc(sizeof(KsValue) * (size_t) n);
	uint8_t    *max = MemAllocZero(HLL_REGS);
	int			histo[64] = {0};
	bool		ok = true;
	CmdTxn		t;

	CmdReadBegin(c, &t);
	if (!CmdLoadVisibleMany(c, &t, 1, n, vals))
	{
		MemFree(vals);
		MemFree(max);
		return;
	}
	if (!CmdReadEnd(c, &t))
		ok = false;
	for (int i = 0; ok && i < n; i++)
	{
		Hll			h;

		if (!vals[i].exists)
			continue;
		if (vals[i].type != KS_TYPE_STRING)
		{
			AddReplyError(&c->reply, err_wrongtype);
			ok = false;
		}
		else if (decode_or_reply(c, &vals[i], &h, true))
		{
			hll_fold(&h, max);
			hll_free(&h);
		}
		else
			ok = false;
	}
	if (ok)
	{
		for (int i = 0; i < HLL_REGS; i++)
			histo[max[i]]++;
		AddReplyLongLong(&c->reply, (long long) estimate(histo));
	}
	for (int i = 0; i < n; i++)
		KsValueRelease(&vals[i]);
	MemFree(vals);
	MemFree(max);
}

void
PfcountCommand(Client *c)
{
	long long	count;
	KsValue		v;

	if (c->argc > 2)
	{
		pfcount_union(c);
		return;
	}
	/* a fresh cache is only read; a stale one is recomputed and stored */
	if (!CmdReadOneKey(c, 1, &v))
		return;
	if (!v.exists)
		AddReplyLongLong(&c->reply, 0);
	else if (v.type != KS_TYPE_STRING)
		AddReplyError(&c->reply, err_wrongtype);
	else if (!looks_like_hll(v.value, v.value_len))
		AddReplyError(&c->reply, err_not_hll);
	else if (((unsigned char) v.value[15] & 0x80) == 0)
		AddReplyLongLong(&c->reply, (long long) load_le64((const unsigned char *) v.value + 8));
	else
	{
		KsValueRelease(&v);
		StringModify(c, pfcount_fn, &count, reply_number);
		return;
	}
	KsValueRelease(&v);
}

/* ---------- PFMERGE ---------- */

/* PFMERGE destkey [sourcekey ...]: destkey counts as a source too. */
void
PfmergeCommand(Client *c)
{
	int			n = c->argc - 1;
	KsValue    *vals = MemAlloc(sizeof(KsValue) * (size_t) n);
	uint8_t    *max = MemAllocZero(HLL_REGS);
	bool		ok = true,
				any_dense = false;
	Hll			dst;
	CmdTxn		t;

	memset(&dst, 0, sizeof(dst));
	for (int i = 0; i < n; i++)
		KsValueInit(&vals[i]);
	if (!CmdWriteBeginKeys(c, &t, 1, c->argc - 1, 1))
	{
		MemFree(vals);
		MemFree(max);
		return;
	}
	for (int i = 0; ok && i < n; i++)
	{
		Hll			h;

		ok = CmdLoadLatest(c, &t, 1 + i, &vals[i]);
		if (!ok || !vals[i].exists)
			continue;
		if (vals[i].type != KS_TYPE_STRING)
		{
			AddReplyError(&c->reply, err_wrongtype);
			ok = false;
		}
		else if ((ok = decode_or_reply(c, &vals[i], &h, true)))
		{
			any_dense |= h.dense;
			hll_fold(&h, max);
			hll_free(&h);
		}
	}
	if (ok)
	{
		size_t		len;
		char	   *enc;
		KsStatus	st;

		if (vals[0].exists)
			hll_decode(&dst, vals[0].value, vals[0].value_len);	/* checked above */
		else
			hll_init_empty(&dst);
		/* dense if any input was; else the sparse destination takes each register in turn */
		if (any_dense && !dst.dense)
			hll_to_dense(&dst);
		for (int i = 0; i < HLL_REGS; i++)
			if (max[i])
				(void) hll_raise(&dst, i, max[i]);
		cache_invalidate(&dst);
		enc = hll_encode(&dst, &len);
		st = KsPutFlags(c->db, c->argv[1], c->argv_len[1], KS_TYPE_STRING, KS_FLAG_RAW, enc, len,
						vals[0].exists ? vals[0].expire_ms : 0, &vals[0]);
		MemFree(enc);
		if (st != KS_OK)
			ok = ReplyKsError(c, st);
	}
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyOk(&c->reply);
	hll_free(&dst);
	for (int i = 0; i < n; i++)
		KsValueRelease(&vals[i]);
	MemFree(vals);
	MemFree(max);
}

/* ---------- PFDEBUG / PFSELFTEST ---------- */

typedef struct PfdebugArg
{
	char		what;			/* 'g' GETREG, 'd' DECODE, 'e' ENCODING, 't' TODENSE */
	Hll			h;				/* decoded, for the reply */
	bool		converted;
} PfdebugArg;

static bool
pfdebug_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen, uint8_t *flags,
		   void *argp)
{
	PfdebugArg *arg = argp;

	if (!cur->exists)
	{
		AddReplyError(&c->reply, "ERR The specified key does not exist");
		return false;
	}
	if (!decode_or_reply(c, cur, &arg->h, false))
		return false;
	/* Redis looks at the key before it looks at the subcommand */
	if (arg->what == '?')
	{
		AddReplyErrorFormat(&c->reply, "ERR Unknown PFDEBUG subcommand '%.*s'",
							(int) c->argv_len[1], c->argv[1]);
		hll_free(&arg->h);
		return false;
	}
	if (arg->what == 'd' && arg->h.dense)
	{
		AddReplyError(&c->reply, "ERR HLL encoding is not sparse");
		hll_free(&arg->h);
		return false;
	}
	/* GETREG and TODENSE leave the value dense */
	if ((arg->what == 'g' || arg->what == 't') && !hll_complete(&arg->h))
	{
		AddReplyError(&c->reply, err_corrupt);
		hll_free(&arg->h);
		return false;
	}
	if ((arg->what == 'g' || arg->what == 't') && !arg->h.dense)
	{
		hll_to_dense(&arg->h);
		arg->converted = true;
		*newval = hll_encode(&arg->h, newlen);
		*flags = cur->flags;
	}
	return true;
}

static void
pfdebug_reply(Client *c, void *argp)
{
	PfdebugArg *arg = argp;

	switch (arg->what)
	{
		case 'g':
			AddReplyArrayLen(&c->reply, HLL_REGS);
			for (int i = 0; i < HLL_REGS; i++)
				AddReplyLongLong(&c->reply, arg->h.regs[i]);
			break;
		case 't':
			AddReplyLongLong(&c->reply, arg->converted ? 1 : 0);
			break;
		case 'e':
			AddReplyStatus(&c->reply, arg->h.dense ? "dense" : "sparse");
			break;
		default:
			{
				char	   *text = MemAlloc((size_t) arg->h.nruns * 16 + 1);
				size_t		len = 0;

				for (int k = 0; k < arg->h.nruns; k++)
				{
					const HllRun *r = &arg->h.runs[k];

					if (r->value)
						len += (size_t) sprintf(text + len, "v:%d,%d ", r->value, r->len);
					else
						len += (size_t) sprintf(text + len, "%s:%d ", r->xzero ? "Z" : "z", r->len);
				}
				AddReplyBulk(&c->reply, text, len ? len - 1 : 0);
				MemFree(text);
			}
	}
}

/* PFDEBUG GETREG|DECODE|ENCODING|TODENSE key */
void
PfdebugCommand(Client *c)
{
	PfdebugArg	arg;

	memset(&arg, 0, sizeof(arg));
	if (ArgEquals(c, 1, "getreg"))
		arg.what = 'g';
	else if (ArgEquals(c, 1, "decode"))
		arg.what = 'd';
	else if (ArgEquals(c, 1, "encoding"))
		arg.what = 'e';
	else if (ArgEquals(c, 1, "todense"))
		arg.what = 't';
	else
		arg.what = '?';
	StringModifyKey(c, 2, pfdebug_fn, &arg, pfdebug_reply);
	hll_free(&arg.h);
}

/*
 * PFSELFTEST: checks of this file's own machinery: every register value
 * survives the dense packing next to its neighbours, a sparse and a dense
 * HyperLogLog fed the same elements hold the same registers, and the
 * estimate stays within a few standard errors of the truth.
 */
void
PfselftestCommand(Client *c)
{
	unsigned char *packed = MemAllocZero(HLL_DENSE_SIZE);
	Hll			sparse,
				dense;
	char		buf[32];
	int			histo[64];
	const char *fail = NULL;

	for (int pass = 0; pass < 64 && !fail; pass++)
	{
		for (int i = 0; i < HLL_REGS; i++)
			dense_put(packed, i, (i + pass) & 63);
		for (int i = 0; i < HLL_REGS && !fail; i++)
			if (dense_get(packed, i) != ((i + pass) & 63))
				fail = "dense register packing";
	}
	hll_init_empty(&sparse);
	hll_init_empty(&dense);
	hll_to_dense(&dense);
	for (int n = 1; n <= 100000 && !fail; n++)
	{
		int			len = snprintf(buf, sizeof(buf), "selftest:%d", n),
					value,
					index = element_register(buf, (size_t) len, &value);

		(void) hll_raise(&sparse, index, value);
		(void) hll_raise(&dense, index, value);
		if (n == 1000 || n == 100000)
		{
			double		err;

			hll_histogram(&dense, histo);
			err = fabs((double) estimate(histo) - n) / n;
			if (err > 5 * 1.04 / sqrt(HLL_REGS))
				fail = "estimate out of bounds";
		}
	}
	if (!fail && !sparse.dense)
		fail = "sparse value never turned dense";
	if (!fail && memcmp(sparse.regs, dense.regs, HLL_REGS) != 0)
		fail = "sparse and dense registers differ";
	hll_free(&sparse);
	hll_free(&dense);
	MemFree(packed);
	if (fail)
		AddReplyErrorFormat(&c->reply, "ERR TESTFAILED %s", fail);
	else
		AddReplyOk(&c->reply);
}
