/*
 * cmd_stream.c
 *	  Streams: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD (and its BLOCK
 *	  form) XSETID XINFO STREAM (FULL too)/GROUPS/CONSUMERS/HELP, and
 *	  consumer groups: XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/
 *	  DELCONSUMER/HELP,
 *	  XREADGROUP (BLOCK too) XACK XPENDING XCLAIM XAUTOCLAIM.
 *
 * NOTES
 *	  A stream is stored inline, as one value of type KS_TYPE_STREAM: a
 *	  header with what Redis keeps beside the entries (last generated id,
 *	  first id, largest deleted id, entries added), then the entries in id
 *	  order, each an id (two u64) and its field/value strings, then the
 *	  consumer groups with their consumers and pending entries
 *	  (storage/README.md, "Keyspace"). Like the other inline collections a
 *	  write decodes, changes and stores a new version under the key's lock,
 *	  so it is atomic and O(size), and a stream is limited to
 *	  STREAM_MAX_BYTES encoded. Unlike them, an empty stream is kept (Redis
 *	  keeps a stream trimmed or XDELed to nothing, with its last id and
 *	  groups).
 *
 *	  Redis packs entries into listpack nodes of at most 100 entries under
 *	  a radix tree; XADD/XTRIM's `~` trimming removes whole nodes, and
 *	  XINFO STREAM reports the tree's size. Here nodes are simulated as
 *	  runs of STREAM_NODE_ENTRIES entries from the first one, which is what
 *	  Redis has for streams of small entries that never saw XDEL
 *	  (redis-compat/partial.txt).
 *
 *	  XREAD BLOCK: a first attempt reads; if nothing is there, the ids are
 *	  fixed ($ resolved to the last id at that moment) and BlockRun
 *	  (server/blocking.h) retries the same read each time a writer that
 *	  added entries to one of the keys (XADD, RENAME, COPY, MOVE:
 *	  BlockNoteKey) commits. XREADGROUP changes the group (last id, pending
 *	  entries), so each of its attempts is a write under the locks of every
 *	  stream it names, like a blocking pop's.
 */
#include "config.h"

#include "server/blocking.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"
#include "wal/xlog.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_MAX_BYTES (1024 * 1024)
#define STREAM_FORMAT 1
#define STREAM_HEADER_SIZE (1 + 7 * 8 + 4 + 4)
/* Redis 7.0's stream-node-max-entries */
#define STREAM_NODE_ENTRIES 100

static const char *const err_stream_too_big =
"ERR stream too large for tusk: at most 1 MB of entries (streams stored one "
"entry per tuple are not implemented yet)";
static const char *const err_invalid_id =
"ERR Invalid stream ID specified as stream command argument";

typedef struct StreamId
{
	uint64_t	ms;
	uint64_t	seq;
} StreamId;

typedef struct StreamEntry
{
	StreamId	id;
	long		first;			/* its first string in Stream.str */
	long		nstr;			/* field, value, field, value ... */
} StreamEntry;

typedef struct StreamStr
{
	const char *p;
	size_t		len;
} StreamStr;

/*
 * A decoded stream. Strings point into the loaded value or the command's
 * arguments; entries removed from e leave their strings unused in str.
 */
typedef struct Stream
{
	StreamId	last_id;
	StreamId	first_id;
	StreamId	max_deleted;
	uint64_t	entries_added;
	StreamEntry *e;
	long		n;
	long		cap;
	StreamStr  *str;
	long		nstr;
	long		strcap;
	struct StreamGroup *g;		/* consumer groups, by name */
	long		ng;
	long		gcap;
} Stream;

/* A pending entry of a consumer group: delivered, not yet acknowledged. */
typedef struct StreamNack
{
	StreamId	id;
	int64_t		delivery_time;	/* ms */
	uint64_t	delivery_count;
	long		consumer;		/* index in the group's consumers */
} StreamNack;

typedef struct StreamConsumer
{
	const char *name;
	size_t		len;
	int64_t		seen_time;		/* ms */
} StreamConsumer;

/*
 * A consumer group: its consumers by name, its pending entries (PEL) by
 * id; a consumer's own PEL is the entries naming it.
 */
typedef struct StreamGroup
{
	const char *name;
	size_t		len;
	StreamId	last_id;
	int64_t		entries_read;	/* -1: not known */
	StreamConsumer *cons;
	long		ncons;
	long		conscap;
	StreamNack *pel;
	long		npel;
	long		pelcap;
} StreamGroup;

#define ENTRIES_READ_UNKNOWN (-1)

static int64_t entries_before(const Stream *s, const StreamId *id);
static bool has_tombstones(const Stream *s, const StreamId *start, const StreamId *end);
static void reply_lag(Client *c, const Stream *s, const StreamGroup *g);

/* ------------------------------------------------------------ ids */

static int
id_cmp(const StreamId *a, const StreamId *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

static bool
id_is_zero(const StreamId *a)
{
	return a->ms == 0 && a->seq == 0;
}

/* The next id; false at the largest one. */
static bool
id_incr(StreamId *id)
{
	if (id->seq == UINT64_MAX)
	{
		if (id->ms == UINT64_MAX)
			return false;
		id->ms++;
		id->seq = 0;
	}
	else
		id->seq++;
	return true;
}

static bool
id_decr(StreamId *id)
{
	if (id->seq == 0)
	{
		if (id->ms == 0)
			return false;
		id->ms--;
		id->seq = UINT64_MAX;
	}
	else
		id->seq--;
	return true;
}

static void
reply_id(Client *c, const StreamId *id)
{
	char		buf[48];
	int			n = snprintf(buf, sizeof(buf), "%" PRIu64 "-%" PRIu64, id->ms, id->seq);

	AddReplyBulk(&c->reply, buf, (size_t) n);
}

/*
 * An unsigned 64-bit number as Redis's string2ull reads one: a plain
 * integer, or else what strtoull accepts whole (leading blanks, a sign).
 */
static bool
parse_u64(const char *s, uint64_t *out)
{
	long long	ll;
	unsigned long long v;
	char	   *end = NULL;

	if (StringToLongLong(s, strlen(s), &ll))
	{
		if (ll < 0)
			return false;
		*out = (uint64_t) ll;
		return true;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == EINVAL || errno == ERANGE || s[0] == '\0' || *end != '\0')
		return false;
	*out = v;
	return true;
}

/*
 * An id argument: "ms-seq", "ms" (seq = missing_seq), "-" and "+" unless
 * strict, and "ms-*" when seq_given is not NULL (*seq_given is then
 * cleared). False, with Redis's error unless quiet, for anything else.
 */
static bool
parse_id(Client *c, const char *arg, size_t len, StreamId *id, uint64_t missing_seq,
		 bool strict, bool *seq_given)
{
	char		buf[128];
	char	   *dash;

	if (len > sizeof(buf) - 1)
		goto invalid;
	memcpy(buf, arg, len);
	buf[len] = '\0';			/* like Redis, the id ends at a NUL byte */
	if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0')
		goto invalid;
	if (seq_given)
		*seq_given = true;
	if (buf[0] == '-' && buf[1] == '\0')
	{
		id->ms = 0;
		id->seq = 0;
		return true;
	}
	if (buf[0] == '+' && buf[1] == '\0')
	{
		id->ms = UINT64_MAX;
		id->seq = UINT64_MAX;
		return true;
	}
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!parse_u64(buf, &id->ms))
		goto invalid;
	if (dash == NULL)
		id->seq = missing_seq;
	else if (seq_given && strcmp(dash + 1, "*") == 0)
	{
		id->seq = 0;
		*seq_given = false;
	}
	else if (!parse_u64(dash + 1, &id->seq))
		goto invalid;
	return true;
invalid:
	if (c)
		AddReplyError(&c->reply, err_invalid_id);
	return false;
}

static bool
parse_strict_id(Client *c, int argi, StreamId *id, bool *seq_given)
{
	return parse_id(c, c->argv[argi], c->argv_len[argi], id, 0, true, seq_given);
}

/* An XRANGE bound: "(" before an id excludes it. */
static bool
parse_range_id(Client *c, int argi, StreamId *id, bool *exclude, uint64_t missing_seq)
{
	const char *p = c->argv[argi];
	size_t		len = c->argv_len[argi];

	*exclude = len > 1 && p[0] == '(';
	if (*exclude)
		return parse_id(c, p + 1, len - 1, id, missing_seq, true, NULL);
	return parse_id(c, p, len, id, missing_seq, false, NULL);
}

/* ------------------------------------------------------------ stored form */

static uint64_t
get_u64(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | u[i];
	return v;
}

static uint32_t
get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint32_t) u[0] | (uint32_t) u[1] << 8 | (uint32_t) u[2] << 16 | (uint32_t) u[3] << 24;
}

static char *
put_u64(char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (char) ((v >> (8 * i)) & 0xff);
	return p + 8;
}

static char *
put_u32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char) ((v >> (8 * i)) & 0xff);
	return p + 4;
}

static void
stream_free(Stream *s)
{
	for (long i = 0; i < s->ng; i++)
	{
		MemFree(s->g[i].cons);
		MemFree(s->g[i].pel);
	}
	MemFree(s->g);
	MemFree(s->e);
	MemFree(s->str);
	memset(s, 0, sizeof(*s));
}

static long
add_str(Stream *s, const char *p, size_t len)
{
	if (s->nstr == s->strcap)
	{
		s->strcap = s->strcap ? s->strcap * 2 : 16;
		s->str = MemRealloc(s->str, sizeof(StreamStr) * (size_t) s->strcap);
	}
	s->str[s->nstr].p = p;
	s->str[s->nstr].len = len;
	return s->nstr++;
}

static StreamEntry *
add_entry(Stream *s, const StreamId *id)
{
	StreamEntry *e;

	if (s->n == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 8;
		s->e = MemRealloc(s->e, sizeof(StreamEntry) * (size_t) s->cap);
	}
	e = &s->e[s->n++];
	e->id = *id;
	e->first = s->nstr;
	e->nstr = 0;
	return e;
}

/* Byte order of names, as Redis's radix trees keep groups and consumers. */
static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int			r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Insert an empty group at position pos. */
static StreamGroup *
add_group(Stream *s, const char *name, size_t len, long pos)
{
	StreamGroup *g;

	if (s->ng == s->gcap)
	{
		s->gcap = s->gcap ? s->gcap * 2 : 4;
		s->g = MemRealloc(s->g, sizeof(StreamGroup) * (size_t) s->gcap);
	}
	memmove(&s->g[pos + 1], &s->g[pos], sizeof(StreamGroup) * (size_t) (s->ng - pos));
	s->ng++;
	g = &s->g[pos];
	memset(g, 0, sizeof(*g));
	g->name = name;
	g->len = len;
	g->entries_read = ENTRIES_READ_UNKNOWN;
	return g;
}

/* Position of the group named so, or -(insertion point) - 1. */
static long
find_group(const Stream *s, const char *name, size_t len)
{
	for (long i = 0; i < s->ng; i++)
	{
		int			cmp = name_cmp(s->g[i].name, s->g[i].len, name, len);

		if (cmp == 0)
			return i;
		if (cmp > 0)
			return -i - 1;
	}
	return -s->ng - 1;
}

static StreamConsumer *
add_consumer(StreamGroup *g, const char *name, size_t len, long pos)
{
	StreamConsumer *sc;

	if (g->ncons == g->conscap)
	{
		g->conscap = g->conscap ? g->conscap * 2 : 4;
		g->cons = MemRealloc(g->cons, sizeof(StreamConsumer) * (size_t) g->conscap);
	}
	memmove(&g->cons[pos + 1], &g->cons[pos], sizeof(StreamConsumer) * (size_t) (g->ncons - pos));
	g->ncons++;
	for (long k = 0; k < g->npel; k++)
		if (g->pel[k].consumer >= pos)
			g->pel[k].consumer++;
	sc = &g->cons[pos];
	sc->name = name;
	sc->len = len;
	sc->seen_time = 0;
	return sc;
}

static long
find_consumer(const StreamGroup *g, const char *name, size_t len)
{
	for (long i = 0; i < g->ncons; i++)
	{
		int			cmp = name_cmp(g->cons[i].name, g->cons[i].len, name, len);

		if (cmp == 0)
			return i;
		if (cmp > 0)
			return -i - 1;
	}
	return -g->ncons - 1;
}

/* The consumer named so, created if missing; its index. */
static long
lookup_or_add_consumer(StreamGroup *g, const char *name, size_t len, bool *created)
{
	long		pos = find_consumer(g, name, len);

	*created = pos < 0;
	if (pos < 0)
	{
		pos = -pos - 1;
		add_consumer(g, name, len, pos);
	}
	return pos;
}

/* Remove consumer pos and its pending entries; returns how many. */
static long
remove_consumer(StreamGroup *g, long pos)
{
	long		removed = 0, k2 = 0;

	for (long k = 0; k < g->npel; k++)
	{
		if (g->pel[k].consumer == pos)
		{
			removed++;
			continue;
		}
		g->pel[k2] = g->pel[k];
		if (g->pel[k2].consumer > pos)
			g->pel[k2].consumer--;
		k2++;
	}
	g->npel = k2;
	memmove(&g->cons[pos], &g->cons[pos + 1], sizeof(StreamConsumer) * (size_t) (g->ncons - pos - 1));
	g->ncons--;
	return removed;
}

static long
consumer_pending(const StreamGroup *g, long consumer)
{
	long		n = 0;

	for (long k = 0; k < g->npel; k++)
		if (g->pel[k].consumer == consumer)
			n++;
	return n;
}

/* Insert an entry at pel position pos. */
static StreamNack *
add_nack(StreamGroup *g, long pos)
{
	if (g->npel == g->pelcap)
	{
		g->pelcap = g->pelcap ? g->pelcap * 2 : 8;
		g->pel = MemRealloc(g->pel, sizeof(StreamNack) * (size_t) g->pelcap);
	}
	memmove(&g->pel[pos + 1], &g->pel[pos], sizeof(StreamNack) * (size_t) (g->npel - pos));
	g->npel++;
	return &g->pel[pos];
}

_Static_assert(offsetof(StreamEntry, id) == 0 && offsetof(StreamNack, id) == 0,
			   "id_lower_bound reads each element's id at its start");

/*
 * First of n elements (stride bytes apart, each starting with its
 * StreamId, in id order) with an id >= id: n if none.
 */
static long
id_lower_bound(const void *base, long n, size_t stride, const StreamId *id)
{
	long		lo = 0, hi = n;

	while (lo < hi)
	{
		long		mid = lo + (hi - lo) / 2;

		if (id_cmp((const StreamId *) ((const char *) base + (size_t) mid * stride), id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First pel position with an id >= id. */
static long
pel_lower_bound(const StreamGroup *g, const StreamId *id)
{
	return id_lower_bound(g->pel, g->npel, sizeof(g->pel[0]), id);
}

static bool
stream_decode(const char *data, size_t len, Stream *s)
{
	const char *p = data, *end = data + len;
	uint32_t	n,
				ngroups;

	memset(s, 0, sizeof(*s));
	if (len < STREAM_HEADER_SIZE || data[0] != STREAM_FORMAT)
		return false;
	p++;
	s->last_id.ms = get_u64(p);
	s->last_id.seq = get_u64(p + 8);
	s->first_id.ms = get_u64(p + 16);
	s->first_id.seq = get_u64(p + 24);
	s->max_deleted.ms = get_u64(p + 32);
	s->max_deleted.seq = get_u64(p + 40);
	s->entries_added = get_u64(p + 48);
	n = get_u32(p + 56);
	ngroups = get_u32(p + 60);
	p += 64;
	for (uint32_t i = 0; i < n; i++)
	{
		StreamId	id;
		StreamEntry *e;
		uint32_t	nstr;

		if (end - p < 20)
			goto bad;
		id.ms = get_u64(p);
		id.seq = get_u64(p + 8);
		nstr = get_u32(p + 16);
		p += 20;
		e = add_entry(s, &id);
		for (uint32_t k = 0; k < nstr; k++)
		{
			uint32_t	slen;

			if (end - p < 4 || (slen = get_u32(p)) > (size_t) (end - p - 4))
				goto bad;
			add_str(s, p + 4, slen);
			p += 4 + slen;
		}
		e->nstr = nstr;
	}
	for (uint32_t i = 0; i < ngroups; i++)
	{
		StreamGroup *g;
		uint32_t	glen, ncons, npel;

		if (end - p < 4 || (glen = get_u32(p)) > (size_t) (end - p - 4) ||
			(size_t) (end - p - 4) - glen < 28)
			goto bad;
		g = add_group(s, p + 4, glen, s->ng);
		p += 4 + glen;
		g->last_id.ms = get_u64(p);
		g->last_id.seq = get_u64(p + 8);
		g->entries_read = (int64_t) get_u64(p + 16);
		ncons = get_u32(p + 24);
		p += 28;
		for (uint32_t k = 0; k < ncons; k++)
		{
			uint32_t	clen;
			StreamConsumer *sc;

			if (end - p < 4 || (clen = get_u32(p)) > (size_t) (end - p - 4) ||
				(size_t) (end - p - 4) - clen < 8)
				goto bad;
			sc = add_consumer(g, p + 4, clen, g->ncons);
			p += 4 + clen;
			sc->seen_time = (int64_t) get_u64(p);
			p += 8;
		}
		if (end - p < 4)
			goto bad;
		npel = get_u32(p);
		p += 4;
		if ((size_t) (end - p) / 36 < npel)
			goto bad;
		for (uint32_t k = 0; k < npel; k++)
		{
			StreamNack *nk = add_nack(g, g->npel);

			nk->id.ms = get_u64(p);
			nk->id.seq = get_u64(p + 8);
			nk->delivery_time = (int64_t) get_u64(p + 16);
			nk->delivery_count = get_u64(p + 24);
			nk->consumer = (long) get_u32(p + 32);
			if (nk->consumer >= g->ncons)
				goto bad;
			p += 36;
		}
	}
	if (p != end)
		goto bad;
	return true;
bad:
	stream_free(s);
	return false;
}

static size_t
stream_encoded_size(const Stream *s)
{
	size_t		size = STREAM_HEADER_SIZE;

	for (long i = 0; i < s->ng; i++)
	{
		size += 4 + s->g[i].len + 28 + 4 + 36 * (size_t) s->g[i].npel;
		for (long k = 0; k < s->g[i].ncons; k++)
			size += 4 + s->g[i].cons[k].len + 8;
	}

	for (long i = 0; i < s->n; i++)
	{
		size += 20;
		for (long k = 0; k < s->e[i].nstr; k++)
			size += 4 + s->str[s->e[i].first + k].len;
	}
	return size;
}

static char *
stream_encode(const Stream *s, size_t *len)
{
	char	   *out = MemAlloc(stream_encoded_size(s) + 1);
	char	   *p = out;

	*p++ = STREAM_FORMAT;
	p = put_u64(p, s->last_id.ms);
	p = put_u64(p, s->last_id.seq);
	p = put_u64(p, s->first_id.ms);
	p = put_u64(p, s->first_id.seq);
	p = put_u64(p, s->max_deleted.ms);
	p = put_u64(p, s->max_deleted.seq);
	p = put_u64(p, s->entries_added);
	p = put_u32(p, (uint32_t) s->n);
	p = put_u32(p, (uint32_t) s->ng);
	for (long i = 0; i < s->n; i++)
	{
		const StreamEntry *e = &s->e[i];

		p = put_u64(p, e->id.ms);
		p = put_u64(p, e->id.seq);
		p = put_u32(p, (uint32_t) e->nstr);
		for (long k = 0; k < e->nstr; k++)
		{
			const StreamStr *x = &s->str[e->first + k];

			p = put_u32(p, (uint32_t) x->len);
			memcpy(p, x->p, x->len);
			p += x->len;
		}
	}
	for (long i = 0; i < s->ng; i++)
	{
		const StreamGroup *g = &s->g[i];

		p = put_u32(p, (uint32_t) g->len);
		memcpy(p, g->name, g->len);
		p += g->len;
		p = put_u64(p, g->last_id.ms);
		p = put_u64(p, g->last_id.seq);
		p = put_u64(p, (uint64_t) g->entries_read);
		p = put_u32(p, (uint32_t) g->ncons);
		for (long k = 0; k < g->ncons; k++)
		{
			p = put_u32(p, (uint32_t) g->cons[k].len);
			memcpy(p, g->cons[k].name, g->cons[k].len);
			p += g->cons[k].len;
			p = put_u64(p, (uint64_t) g->cons[k].seen_time);
		}
		p = put_u32(p, (uint32_t) g->npel);
		for (long k = 0; k < g->npel; k++)
		{
			const StreamNack *nk = &g->pel[k];

			p = put_u64(p, nk->id.ms);
			p = put_u64(p, nk->id.seq);
			p = put_u64(p, (uint64_t) nk->delivery_time);
			p = put_u64(p, nk->delivery_count);
			p = put_u32(p, (uint32_t) nk->consumer);
		}
	}
	*len = (size_t) (p - out);
	return out;
}

/* A loaded value as a stream; false after the WRONGTYPE or storage error. */
static bool
stream_from_value(Client *c, const KsValue *v, Stream *s)
{
	memset(s, 0, sizeof(*s));
	if (!v->exists)
		return true;
	if (v->type != KS_TYPE_STREAM)
	{
		AddReplyError(&c->reply, err_wrongtype);
		return false;
	}
	if (!stream_decode(v->value, v->value_len, s))
	{
		AddReplyError(&c->reply, "ERR storage error; see the server log");
		return false;
	}
	return true;
}

/* Store s as key argv[argi] (TTL kept); false after an error reply. */
static bool
stream_store(Client *c, int argi, const Stream *s, const KsValue *cur)
{
	size_t		len;
	char	   *enc;
	KsStatus	st;

	if (stream_encoded_size(s) > STREAM_MAX_BYTES)
	{
		AddReplyError(&c->reply, err_stream_too_big);
		return false;
	}
	enc = stream_encode(s, &len);
	st = KsPut(c->db, c->argv[argi], c->argv_len[argi], KS_TYPE_STREAM, enc, len,
			   cur->exists ? cur->expire_ms : 0, cur);
	MemFree(enc);
	return st == KS_OK || ReplyKsError(c, st);
}

/* The first live id, or 0-0 when the stream is empty (Redis's first_id). */
static void
reset_first_id(Stream *s)
{
	if (s->n > 0)
		s->first_id = s->e[0].id;
	else
		memset(&s->first_id, 0, sizeof(s->first_id));
}

/* Index of the first entry with an id >= id (s->n if none). */
static long
lower_bound(const Stream *s, const StreamId *id)
{
	return id_lower_bound(s->e, s->n, sizeof(s->e[0]), id);
}

static void
remove_head(Stream *s, long k)
{
	memmove(s->e, s->e + k, sizeof(StreamEntry) * (size_t) (s->n - k));
	s->n -= k;
}

/* ------------------------------------------------------------ replies */

static void
reply_entry(Client *c, const Stream *s, const StreamEntry *e)
{
	AddReplyArrayLen(&c->reply, 2);
	reply_id(c, &e->id);
	AddReplyArrayLen(&c->reply, e->nstr);
	for (long k = 0; k < e->nstr; k++)
		AddReplyBulk(&c->reply, s->str[e->first + k].p, s->str[e->first + k].len);
}

/*
 * The entries with ids in [start, end], ascending or descending, at most
 * count of them (0: all).
 */
static void
reply_range(Client *c, const Stream *s, const StreamId *start, const StreamId *end, bool rev,
			long long count)
{
	long		lo = lower_bound(s, start);
	long		hi = lo;
	long		n;

	if (id_cmp(start, end) <= 0)
		while (hi < s->n && id_cmp(&s->e[hi].id, end) <= 0)
			hi++;
	n = hi - lo;
	if (count > 0 && n > count)
		n = (long) count;
	AddReplyArrayLen(&c->reply, n);
	for (long k = 0; k < n; k++)
		reply_entry(c, s, &s->e[rev ? hi - 1 - k : lo + k]);
}

/* ------------------------------------------------------------ writes */

/*
 * Run fn on the stream argv[1] under its lock (a missing key is an empty
 * stream with exists false). fn says whether it changed s; added means
 * entries were added (blocked XREADs are woken after the commit). Then
 * reply(c, arg) once the change is durable.
 */
typedef bool (*StreamWriteFn) (Client *c, Stream *s, bool exists, bool *changed, bool *added,
							   void *arg);

static void
stream_write_key(Client *c, int argi, StreamWriteFn fn, void *arg,
				 void (*reply) (Client *c, void *arg))
{
	CmdTxn		t;
	KsValue		cur;
	Stream		s;
	bool		ok, changed = false, added = false;

	memset(&s, 0, sizeof(s));
	if (!CmdWriteBeginKeys(c, &t, argi, argi, 1))
		return;
	ok = CmdLoadLatest(c, &t, argi, &cur) && stream_from_value(c, &cur, &s);
	if (ok)
		ok = fn(c, &s, cur.exists, &changed, &added, arg);
	if (ok && changed)
		ok = stream_store(c, argi, &s, &cur);
	if (ok && added)
		BlockNoteKey(c->db, c->argv[argi], c->argv_len[argi]);
	CmdWriteFinish(c, &t, ok, changed, reply, arg);
	stream_free(&s);
	KsValueRelease(&cur);
}

static void
stream_write(Client *c, StreamWriteFn fn, void *arg, void (*reply) (Client *c, void *arg))
{
	stream_write_key(c, 1, fn, arg, reply);
}

typedef enum TrimStrategy
{
	TRIM_NONE,
	TRIM_MAXLEN,
	TRIM_MINID
} TrimStrategy;

typedef struct TrimArgs
{
	TrimStrategy strategy;
	bool		approx;
	long long	maxlen;
	StreamId	minid;
	long long	limit;			/* approx only; 0: none */
	/* XADD */
	bool		nomkstream;
	bool		id_given;
	bool		seq_given;
	StreamId	id;
	int			fields;			/* argv index of the first field */
	/* results */
	long long	removed;
	StreamId	added_id;
	bool		null_reply;
} TrimArgs;

/*
 * The options of XADD (xadd) or XTRIM from argv[2] on, in Redis's order
 * of checks; for XADD the id ends them. False after the error reply.
 */
static bool
parse_trim_args(Client *c, bool xadd, TrimArgs *a)
{
	bool		limit_given = false;
	int			i;

	memset(a, 0, sizeof(*a));
	a->seq_given = true;
	for (i = 2; i < c->argc; i++)
	{
		int			more = c->argc - 1 - i;
		const char *opt = c->argv[i];

		if (xadd && c->argv_len[i] == 1 && opt[0] == '*')
			break;
		if ((ArgEquals(c, i, "maxlen") || ArgEquals(c, i, "minid")) && more)
		{
			bool		maxlen = ArgEquals(c, i, "maxlen");

			if (a->strategy != TRIM_NONE)
			{
				AddReplyError(&c->reply, "ERR syntax error, MAXLEN and MINID options at the "
							  "same time are not compatible");
				return false;
			}
			a->approx = false;
			if (more >= 2 && c->argv_len[i + 1] == 1 && c->argv[i + 1][0] == '~')
			{
				a->approx = true;
				i++;
			}
			else if (more >= 2 && c->argv_len[i + 1] == 1 && c->argv[i + 1][0] == '=')
				i++;
			if (maxlen)
			{
				if (!GetLongLongOrReply(c, i + 1, &a->maxlen, NULL))
					return false;
				if (a->maxlen < 0)
				{
					AddReplyError(&c->reply, "ERR The MAXLEN argument must be >= 0.");
					return false;
				}
				a->strategy = TRIM_MAXLEN;
			}
			else
			{
				if (!parse_strict_id(c, i + 1, &a->minid, NULL))
					return false;
				a->strategy = TRIM_MINID;
			}
			i++;
		}
		else if (ArgEquals(c, i, "limit") && more)
		{
			if (!GetLongLongOrReply(c, i + 1, &a->limit, NULL))
				return false;
			if (a->limit < 0)
			{
				AddReplyError(&c->reply, "ERR The LIMIT argument must be >= 0.");
				return false;
			}
			limit_given = true;
			i++;
		}
		else if (xadd && ArgEquals(c, i, "nomkstream"))
			a->nomkstream = true;
		else if (xadd)
		{
			if (!parse_strict_id(c, i, &a->id, &a->seq_given))
				return false;
			a->id_given = true;
			break;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	if (a->limit && a->strategy == TRIM_NONE)
	{
		AddReplyError(&c->reply, "ERR syntax error, LIMIT cannot be used without specifying "
					  "a trimming strategy");
		return false;
	}
	if (!xadd && a->strategy == TRIM_NONE)
	{
		AddReplyError(&c->reply, "ERR syntax error, XTRIM must be called with a trimming strategy");
		return false;
	}
	if (limit_given)
	{
		if (!a->approx)
		{
			AddReplyError(&c->reply, "ERR syntax error, LIMIT cannot be used without the "
						  "special ~ option");
			return false;
		}
	}
	else
		a->limit = a->approx ? 100 * STREAM_NODE_ENTRIES : 0;
	a->fields = i + 1;
	return true;
}

/*
 * Trim s as Redis's streamTrim does, nodes being runs of
 * STREAM_NODE_ENTRIES entries; returns the number removed. Exact
 * trimming removes entries one by one; `~` only whole nodes, and stops
 * before one that would take it past the limit.
 */
static long long
stream_trim(Stream *s, const TrimArgs *a)
{
	long		removed = 0;

	while (removed < s->n)
	{
		long		node = s->n - removed < STREAM_NODE_ENTRIES ? s->n - removed : STREAM_NODE_ENTRIES;
		long		left = s->n - removed;
		bool		whole;

		if (a->strategy == TRIM_MAXLEN && left <= a->maxlen)
			break;
		if (a->limit && removed + node > a->limit)
			break;
		if (a->strategy == TRIM_MAXLEN)
			whole = left - node >= a->maxlen;
		else
			whole = id_cmp(&s->e[removed + node - 1].id, &a->minid) < 0;
		if (whole)
		{
			removed += node;
			continue;
		}
		if (a->approx)
			break;
		/* within the node, entry by entry */
		while (removed < s->n)
		{
			if (a->strategy == TRIM_MAXLEN ? s->n - removed <= a->maxlen
				: id_cmp(&s->e[removed].id, &a->minid) >= 0)
				break;
			removed++;
		}
		break;
	}
	if (removed > 0)
	{
		remove_head(s, removed);
		reset_first_id(s);
	}
	return removed;
}

static bool
xadd_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	TrimArgs   *a = argp;
	StreamId	id;
	StreamEntry *e;

	if (!exists && a->nomkstream)
	{
		a->null_reply = true;
		return true;
	}
	if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX)
	{
		AddReplyError(&c->reply, "ERR The stream has exhausted the last possible ID, unable "
					  "to add more items");
		return false;
	}
	if (a->id_given)
	{
		id = a->id;
		if (!a->seq_given)
		{
			if (id.ms == s->last_id.ms)
			{
				if (s->last_id.seq == UINT64_MAX)
					goto too_small;
				id.seq = s->last_id.seq + 1;
			}
			else
				id.seq = 0;
		}
		if (id_cmp(&id, &s->last_id) <= 0)
			goto too_small;
	}
	else
	{
		uint64_t	now = (uint64_t) NowMs();

		if (now > s->last_id.ms)
		{
			id.ms = now;
			id.seq = 0;
		}
		else
		{
			id = s->last_id;
			id_incr(&id);
		}
	}
	e = add_entry(s, &id);
	for (int i = a->fields; i < c->argc; i++)
		add_str(s, c->argv[i], c->argv_len[i]);
	e->nstr = c->argc - a->fields;
	s->entries_added++;
	s->last_id = id;
	if (s->n == 1)
		s->first_id = id;
	a->added_id = id;
	if (a->strategy != TRIM_NONE)
		stream_trim(s, a);
	*changed = true;
	*added = true;
	return true;
too_small:
	AddReplyError(&c->reply, "ERR The ID specified in XADD is equal or smaller than the "
				  "target stream top item");
	return false;
}

static void
xadd_reply(Client *c, void *argp)
{
	TrimArgs   *a = argp;

	if (a->null_reply)
		AddReplyNull(&c->reply);
	else
		reply_id(c, &a->added_id);
}

/* XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ... */
void
XaddCommand(Client *c)
{
	TrimArgs	a;
	int			nfields;

	if (!parse_trim_args(c, true, &a))
		return;
	nfields = c->argc - a.fields;
	if (nfields < 2 || nfields % 2 == 1)
	{
		ReplyWrongArity(c, c->cmd);
		return;
	}
	if (a.id_given && a.seq_given && id_is_zero(&a.id))
	{
		AddReplyError(&c->reply, "ERR The ID specified in XADD must be greater than 0-0");
		return;
	}
	stream_write(c, xadd_fn, &a, xadd_reply);
}

static bool
xtrim_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	TrimArgs   *a = argp;

	(void) c;
	(void) exists;
	(void) added;
	a->removed = stream_trim(s, a);
	*changed = a->removed > 0;
	return true;
}

static void
reply_removed(Client *c, void *argp)
{
	AddReplyLongLong(&c->reply, ((TrimArgs *) argp)->removed);
}

/* XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
void
XtrimCommand(Client *c)
{
	TrimArgs	a;

	if (parse_trim_args(c, false, &a))
		stream_write(c, xtrim_fn, &a, reply_removed);
}

static bool
xdel_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	TrimArgs   *a = argp;
	StreamId   *ids;
	bool		first_deleted = false;
	int			n = c->argc - 2;

	(void) added;
	if (!exists)
		return true;
	/* every id is checked before anything is deleted */
	ids = MemAlloc(sizeof(StreamId) * (size_t) n);
	for (int i = 0; i < n; i++)
		if (!parse_strict_id(c, i + 2, &ids[i], NULL))
		{
			MemFree(ids);
			return false;
		}
	for (int i = 0; i < n; i++)
	{
		long		pos = lower_bound(s, &ids[i]);

		if (pos == s->n || id_cmp(&s->e[pos].id, &ids[i]) != 0)
			continue;
		memmove(&s->e[pos], &s->e[pos + 1], sizeof(StreamEntry) * (size_t) (s->n - pos - 1));
		s->n--;
		if (id_cmp(&ids[i], &s->first_id) == 0)
			first_deleted = true;
		if (id_cmp(&ids[i], &s->max_deleted) > 0)
			s->max_deleted = ids[i];
		a->removed++;
	}
	if (a->removed > 0 && (s->n == 0 || first_deleted))
		reset_first_id(s);
	*changed = a->removed > 0;
	MemFree(ids);
	return true;
}

/* XDEL key id ... */
void
XdelCommand(Client *c)
{
	TrimArgs	a;

	memset(&a, 0, sizeof(a));
	stream_write(c, xdel_fn, &a, reply_removed);
}

typedef struct XsetidArgs
{
	StreamId	id;
	StreamId	max_deleted;
	long long	entries_added;
} XsetidArgs;

static bool
xsetid_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	XsetidArgs *a = argp;

	(void) added;
	if (!exists)
	{
		AddReplyError(&c->reply, "ERR no such key");
		return false;
	}
	if (s->n > 0)
	{
		if (id_cmp(&a->id, &s->e[s->n - 1].id) < 0)
		{
			AddReplyError(&c->reply, "ERR The ID specified in XSETID is smaller than the "
						  "target stream top item");
			return false;
		}
		if (a->entries_added != -1 && s->n > a->entries_added)
		{
			AddReplyError(&c->reply, "ERR The entries_added specified in XSETID is smaller "
						  "than the target stream length");
			return false;
		}
	}
	s->last_id = a->id;
	if (a->entries_added != -1)
		s->entries_added = (uint64_t) a->entries_added;
	if (!id_is_zero(&a->max_deleted))
		s->max_deleted = a->max_deleted;
	*changed = true;
	return true;
}

static void
reply_ok(Client *c, void *arg)
{
	(void) arg;
	AddReplyOk(&c->reply);
}

/* XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
void
XsetidCommand(Client *c)
{
	XsetidArgs	a;

	memset(&a, 0, sizeof(a));
	a.entries_added = -1;
	if (!parse_strict_id(c, 2, &a.id, NULL))
		return;
	for (int i = 3; i < c->argc; i += 2)
	{
		bool		more = c->argc - 1 - i > 0;

		if (ArgEquals(c, i, "entriesadded") && more)
		{
			if (!GetLongLongOrReply(c, i + 1, &a.entries_added, NULL))
				return;
			if (a.entries_added < 0)
			{
				AddReplyError(&c->reply, "ERR entries_added must be positive");
				return;
			}
		}
		else if (ArgEquals(c, i, "maxdeletedid") && more)
		{
			if (!parse_strict_id(c, i + 1, &a.max_deleted, NULL))
				return;
			if (id_cmp(&a.id, &a.max_deleted) < 0)
			{
				AddReplyError(&c->reply, "ERR The ID specified in XSETID is smaller than the "
							  "provided max_deleted_entry_id");
				return;
			}
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	stream_write(c, xsetid_fn, &a, reply_ok);
}

/* ------------------------------------------------------------ reads */

/*
 * Read argv[argi], a stream or missing (v->exists false, s empty); false
 * after an error reply. On true the caller frees *s and releases *v.
 */
static bool
stream_load(Client *c, int argi, KsValue *v, Stream *s)
{
	CmdTxn		t;

	memset(s, 0, sizeof(*s));
	if (!CmdReadKey(c, &t, argi, v))
		return false;
	if (!CmdReadEnd(c, &t) || !stream_from_value(c, v, s))
	{
		KsValueRelease(v);
		return false;
	}
	return true;
}

/*
 * Read the stream argv[argi]: false after a reply (an error, or
 * missing_reply for a missing key); on true the caller replies, then
 * frees *s and releases *v.
 */
static bool
stream_read(Client *c, int argi, KsValue *v, Stream *s, void (*missing_reply) (Client *c))
{
	CmdTxn		t;

	memset(s, 0, sizeof(*s));
	if (!CmdReadKey(c, &t, argi, v))
		return false;
	if (!CmdReadEnd(c, &t))
	{
		KsValueRelease(v);
		return false;
	}
	if (!v->exists)
	{
		if (missing_reply)
			missing_reply(c);
		KsValueRelease(v);
		return false;
	}
	if (!stream_from_value(c, v, s))
	{
		KsValueRelease(v);
		return false;
	}
	return true;
}

static void
reply_zero(Client *c)
{
	AddReplyLongLong(&c->reply, 0);
}

static void
reply_empty_array(Client *c)
{
	AddReplyArrayLen(&c->reply, 0);
}

static void
reply_no_such_key(Client *c)
{
	AddReplyError(&c->reply, "ERR no such key");
}

/* XLEN key */
void
XlenCommand(Client *c)
{
	KsValue		v;
	Stream		s;

	if (!stream_read(c, 1, &v, &s, reply_zero))
		return;
	AddReplyLongLong(&c->reply, s.n);
	stream_free(&s);
	KsValueRelease(&v);
}

/* XRANGE key start end [COUNT count], XREVRANGE key end start [COUNT count] */
static void
xrange_generic(Client *c, bool rev)
{
	StreamId	start, end;
	bool		startex, endex;
	long long	count = -1;
	KsValue		v;
	Stream		s;

	if (!parse_range_id(c, rev ? 3 : 2, &start, &startex, 0))
		return;
	if (startex && !id_incr(&start))
	{
		AddReplyError(&c->reply, "ERR invalid start ID for the interval");
		return;
	}
	if (!parse_range_id(c, rev ? 2 : 3, &end, &endex, UINT64_MAX))
		return;
	if (endex && !id_decr(&end))
	{
		AddReplyError(&c->reply, "ERR invalid end ID for the interval");
		return;
	}
	for (int j = 4; j < c->argc; j++)
	{
		if (ArgEquals(c, j, "count") && j + 1 < c->argc)
		{
			if (!GetLongLongOrReply(c, j + 1, &count, NULL))
				return;
			if (count < 0)
				count = 0;
			j++;
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (!stream_read(c, 1, &v, &s, reply_empty_array))
		return;
	if (count == 0)
		AddReplyNullArray(&c->reply);
	else
		reply_range(c, &s, &start, &end, rev, count < 0 ? 0 : count);
	stream_free(&s);
	KsValueRelease(&v);
}

void
XrangeCommand(Client *c)
{
	xrange_generic(c, false);
}

void
XrevrangeCommand(Client *c)
{
	xrange_generic(c, true);
}

/*
 * XREAD: the streams argv[first .. first+n-1], with entries after ids[i]
 * wanted from stream i, at most count from each (0: all).
 */
typedef struct XreadArg
{
	int			first;
	int			n;
	long long	count;
	StreamId   *ids;
} XreadArg;

/*
 * One attempt (BlockTryFn): reply with what the streams hold past the
 * ids, or nothing (false) when none holds any. A key of another type
 * counts as empty here: the first attempt's caller checked the types.
 */
static bool
xread_try(Client *c, void *argp, bool retry)
{
	XreadArg   *a = argp;
	CmdTxn		t;
	KsValue    *vals = MemAlloc(sizeof(KsValue) * (size_t) a->n);
	Stream	   *ss = MemAlloc(sizeof(Stream) * (size_t) a->n);
	bool	   *has = MemAlloc(sizeof(bool) * (size_t) a->n);
	long		nhas = 0;
	XLogRecPtr	saved_commit_lsn = c->last_commit_lsn;
	bool		loaded;

	/*
	 * Woken by a writer's commit, which may not be flushed yet: a durable
	 * read (server/txn.c) would not see it, and no other wake-up is coming
	 * for it (BLPOP's retry is a write, which reads the newest version).
	 * So the retry sees every commit inserted so far, as a client sees its
	 * own, and its reply waits for the flush (CmdReadEnd).
	 */
	if (retry && XLogGetInsertPosition() > c->last_commit_lsn)
		c->last_commit_lsn = XLogGetInsertPosition();
	CmdReadBegin(c, &t);
	loaded = CmdLoadVisibleMany(c, &t, a->first, a->n, vals);
	c->last_commit_lsn = saved_commit_lsn;
	if (!loaded)
	{
		MemFree(vals);
		MemFree(ss);
		MemFree(has);
		return true;
	}
	if (!CmdReadEnd(c, &t))
	{
		for (int i = 0; i < a->n; i++)
			KsValueRelease(&vals[i]);
		MemFree(vals);
		MemFree(ss);
		MemFree(has);
		return true;
	}
	for (int i = 0; i < a->n; i++)
	{
		memset(&ss[i], 0, sizeof(Stream));
		has[i] = vals[i].exists && vals[i].type == KS_TYPE_STREAM &&
			stream_decode(vals[i].value, vals[i].value_len, &ss[i]) &&
			ss[i].n > 0 && id_cmp(&ss[i].e[ss[i].n - 1].id, &a->ids[i]) > 0;
		if (has[i])
			nhas++;
		else if (retry && vals[i].exists && vals[i].type != KS_TYPE_STREAM)
			BlockNoteOtherType();
	}
	if (nhas > 0)
	{
		if (c->reply.resp == 2)
			AddReplyArrayLen(&c->reply, nhas);
		else
			AddReplyMapLen(&c->reply, nhas);
		for (int i = 0; i < a->n; i++)
		{
			StreamId	start = a->ids[i];
			StreamId	end = {UINT64_MAX, UINT64_MAX};

			if (!has[i])
				continue;
			id_incr(&start);
			if (c->reply.resp == 2)
				AddReplyArrayLen(&c->reply, 2);
			AddReplyBulk(&c->reply, c->argv[a->first + i], c->argv_len[a->first + i]);
			reply_range(c, &ss[i], &start, &end, false, a->count);
		}
	}
	for (int i = 0; i < a->n; i++)
	{
		stream_free(&ss[i]);
		KsValueRelease(&vals[i]);
	}
	MemFree(vals);
	MemFree(ss);
	MemFree(has);
	return nhas > 0;
}

/* The options of XREAD and XREADGROUP */
typedef struct ReadOpts
{
	long long	timeout;		/* -1: no BLOCK */
	long long	count;
	int			streams_arg;
	int			nstreams;
	int			group_arg;		/* argv index of GROUP's group name, 0 if none */
	bool		noack;
} ReadOpts;

/* Options up to STREAMS, in Redis's order of checks; false after the error reply. */
static bool
parse_read_opts(Client *c, bool xreadgroup, ReadOpts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = -1;
	for (int i = 1; i < c->argc; i++)
	{
		int			more = c->argc - i - 1;

		if (ArgEquals(c, i, "block") && more)
		{
			i++;
			if (!GetLongLongOrReply(c, i, &o->timeout, "ERR timeout is not an integer or out of range"))
				return false;
			if (o->timeout < 0)
			{
				AddReplyError(&c->reply, "ERR timeout is negative");
				return false;
			}
		}
		else if (ArgEquals(c, i, "count") && more)
		{
			i++;
			if (!GetLongLongOrReply(c, i, &o->count, NULL))
				return false;
			if (o->count < 0)
				o->count = 0;
		}
		else if (ArgEquals(c, i, "streams") && more)
		{
			o->streams_arg = i + 1;
			o->nstreams = c->argc - o->streams_arg;
			if (o->nstreams % 2 != 0)
			{
				AddReplyErrorFormat(&c->reply, "ERR Unbalanced %s list of streams: for each stream "
									"key an ID or '%c' must be specified.",
									xreadgroup ? "XREADGROUP" : "XREAD", xreadgroup ? '>' : '$');
				return false;
			}
			o->nstreams /= 2;
			break;
		}
		else if (ArgEquals(c, i, "group") && more >= 2)
		{
			if (!xreadgroup)
			{
				AddReplyError(&c->reply, "ERR The GROUP option is only supported by XREADGROUP. "
							  "You called XREAD instead.");
				return false;
			}
			o->group_arg = i + 1;
			i += 2;
		}
		else if (ArgEquals(c, i, "noack"))
		{
			if (!xreadgroup)
			{
				AddReplyError(&c->reply, "ERR The NOACK option is only supported by XREADGROUP. "
							  "You called XREAD instead.");
				return false;
			}
			o->noack = true;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	if (o->streams_arg == 0)
	{
		ReplySyntaxError(c);
		return false;
	}
	if (xreadgroup && o->group_arg == 0)
	{
		AddReplyError(&c->reply, "ERR Missing GROUP option for XREADGROUP");
		return false;
	}
	return true;
}

/*
 * The ids of XREAD / XREADGROUP into ids[], each key's type (and group)
 * checked in turn as Redis does; "$" is the stream's last id now, ">"
 * the largest id. False after the error reply.
 */
static bool
parse_read_ids(Client *c, const ReadOpts *o, StreamId *ids)
{
	CmdTxn		t;
	KsValue    *vals = MemAlloc(sizeof(KsValue) * (size_t) o->nstreams);
	bool		ok = true;

	CmdReadBegin(c, &t);
	if (!CmdLoadVisibleMany(c, &t, o->streams_arg, o->nstreams, vals))
	{
		MemFree(vals);
		return false;
	}
	if (!CmdReadEnd(c, &t))
		ok = false;
	for (int i = 0; ok && i < o->nstreams; i++)
	{
		int			keyarg = o->streams_arg + i;
		int			idarg = keyarg + o->nstreams;
		Stream		s;

		memset(&ids[i], 0, sizeof(StreamId));
		if (!stream_from_value(c, &vals[i], &s))
		{
			ok = false;
			break;
		}
		if (o->group_arg && (!vals[i].exists ||
							 find_group(&s, c->argv[o->group_arg], c->argv_len[o->group_arg]) < 0))
		{
			AddReplyErrorFormat(&c->reply, "NOGROUP No such key '%.*s' or consumer group '%.*s' "
								"in XREADGROUP with GROUP option",
								(int) c->argv_len[keyarg], c->argv[keyarg],
								(int) c->argv_len[o->group_arg], c->argv[o->group_arg]);
			ok = false;
		}
		else if (c->argv_len[idarg] == 1 && c->argv[idarg][0] == '$')
		{
			if (o->group_arg)
			{
				AddReplyError(&c->reply, "ERR The $ ID is meaningless in the context of "
							  "XREADGROUP: you want to read the history of this consumer by "
							  "specifying a proper ID, or use the > ID to get new messages. The "
							  "$ ID would just return an empty result set.");
				ok = false;
			}
			else if (vals[i].exists)
				ids[i] = s.last_id;
		}
		else if (c->argv_len[idarg] == 1 && c->argv[idarg][0] == '>')
		{
			if (!o->group_arg)
			{
				AddReplyError(&c->reply, "ERR The > ID can be specified only when calling "
							  "XREADGROUP using the GROUP <group> <consumer> option.");
				ok = false;
			}
			ids[i].ms = UINT64_MAX;
			ids[i].seq = UINT64_MAX;
		}
		else
			ok = parse_strict_id(c, idarg, &ids[i], NULL);
		stream_free(&s);
	}
	for (int i = 0; i < o->nstreams; i++)
		KsValueRelease(&vals[i]);
	MemFree(vals);
	return ok;
}

/* XREAD [COUNT count] [BLOCK milliseconds] STREAMS key ... id ... */
void
XreadCommand(Client *c)
{
	ReadOpts	o;
	XreadArg	a;

	if (!parse_read_opts(c, false, &o))
		return;
	a.first = o.streams_arg;
	a.n = o.nstreams;
	a.count = o.count;
	a.ids = MemAlloc(sizeof(StreamId) * (size_t) o.nstreams);
	if (parse_read_ids(c, &o, a.ids) && !xread_try(c, &a, false))
	{
		if (o.timeout < 0 || CmdExecActive())
			AddReplyNullArray(&c->reply);
		else
			BlockRun(c, o.streams_arg, o.nstreams, o.timeout, xread_try, &a);
	}
	MemFree(a.ids);
}

/*
 * XREADGROUP: what one attempt delivered from each stream, replied once
 * the change is durable. An item is an entry index, or -1 for a pending
 * id whose entry was deleted ([id, nil]).
 */
typedef struct GroupRead
{
	bool		served;
	long	   *items;
	StreamId   *ids;
	long		n;
} GroupRead;

typedef struct XreadgroupArg
{
	ReadOpts	o;
	StreamId   *ids;
} XreadgroupArg;

static void
group_read_add(GroupRead *r, long item, const StreamId *id, long cap)
{
	if (r->items == NULL)
	{
		r->items = MemAlloc(sizeof(long) * (size_t) (cap + 1));
		r->ids = MemAlloc(sizeof(StreamId) * (size_t) (cap + 1));
	}
	r->items[r->n] = item;
	r->ids[r->n] = *id;
	r->n++;
}

/* Deliver entries after the group's last id to consumer ci (">"). */
static void
deliver_new(Stream *s, StreamGroup *g, long ci, long long count, bool noack, int64_t now,
			GroupRead *r)
{
	long		first = lower_bound(s, &g->last_id);

	if (first < s->n && id_cmp(&s->e[first].id, &g->last_id) == 0)
		first++;
	for (long k = first; k < s->n && (count == 0 || r->n < count); k++)
	{
		const StreamId *id = &s->e[k].id;

		if (id_cmp(id, &g->last_id) > 0)
		{
			if (g->entries_read != ENTRIES_READ_UNKNOWN && !has_tombstones(s, id, NULL))
				g->entries_read++;
			else if (s->entries_added)
				g->entries_read = entries_before(s, id);
			g->last_id = *id;
		}
		group_read_add(r, k, id, s->n - first);
		if (!noack)
		{
			long		pos = pel_lower_bound(g, id);
			StreamNack *nk;

			if (pos < g->npel && id_cmp(&g->pel[pos].id, id) == 0)
				nk = &g->pel[pos];
			else
			{
				nk = add_nack(g, pos);
				nk->id = *id;
			}
			nk->consumer = ci;
			nk->delivery_time = now;
			nk->delivery_count = 1;
		}
	}
}

/* Deliver consumer ci's pending entries with ids >= start (history). */
static void
deliver_history(Stream *s, StreamGroup *g, long ci, const StreamId *start, long long count,
				int64_t now, GroupRead *r)
{
	for (long k = pel_lower_bound(g, start); k < g->npel && (count == 0 || r->n < count); k++)
	{
		StreamNack *nk = &g->pel[k];
		long		pos;

		if (nk->consumer != ci)
			continue;
		pos = lower_bound(s, &nk->id);
		if (pos < s->n && id_cmp(&s->e[pos].id, &nk->id) == 0)
		{
			nk->delivery_time = now;
			nk->delivery_count++;
		}
		else
			pos = -1;
		group_read_add(r, pos, &nk->id, g->npel - k);
	}
}

/* One attempt (BlockTryFn): a write under the locks of every stream named. */
static bool
xreadgroup_try(Client *c, void *argp, bool retry)
{
	XreadgroupArg *a = argp;
	const ReadOpts *o = &a->o;
	int			n = o->nstreams;
	CmdTxn		t;
	KsValue    *cur = MemAlloc(sizeof(KsValue) * (size_t) n);
	Stream	   *ss = MemAlloc(sizeof(Stream) * (size_t) n);
	GroupRead  *rd = MemAlloc(sizeof(GroupRead) * (size_t) n);
	int			loaded = 0;
	long		nserved = 0;
	bool		ok = true, changed = false;
	int64_t		now = NowMs();
	const char *cname = c->argv[o->group_arg + 1];
	size_t		cnamelen = c->argv_len[o->group_arg + 1];

	(void) retry;
	memset(rd, 0, sizeof(GroupRead) * (size_t) n);
	memset(ss, 0, sizeof(Stream) * (size_t) n);
	if (!CmdWriteBeginKeys(c, &t, o->streams_arg, o->streams_arg + n - 1, 1))
	{
		MemFree(cur);
		MemFree(ss);
		MemFree(rd);
		return true;
	}
	for (int i = 0; ok && i < n; i++)
	{
		long		gi;
		StreamGroup *g;
		long		ci;
		bool		created;
		bool		history = a->ids[i].ms != UINT64_MAX || a->ids[i].seq != UINT64_MAX;

		ok = CmdLoadLatest(c, &t, o->streams_arg + i, &cur[i]);
		if (!ok)
			break;
		loaded++;
		if (!cur[i].exists || cur[i].type != KS_TYPE_STREAM)
			continue;
		if (!stream_from_value(c, &cur[i], &ss[i]))
		{
			ok = false;
			break;
		}
		gi = find_group(&ss[i], c->argv[o->group_arg], c->argv_len[o->group_arg]);
		if (gi < 0)
			continue;
		g = &ss[i].g[gi];
		if (!history && (ss[i].n == 0 || id_cmp(&ss[i].e[ss[i].n - 1].id, &g->last_id) <= 0))
			continue;
		ci = lookup_or_add_consumer(g, cname, cnamelen, &created);
		g->cons[ci].seen_time = now;
		rd[i].served = true;
		nserved++;
		if (history)
		{
			StreamId	start = a->ids[i];

			id_incr(&start);
			deliver_history(&ss[i], g, ci, &start, o->count, now, &rd[i]);
		}
		else
			deliver_new(&ss[i], g, ci, o->count, o->noack, now, &rd[i]);
		ok = stream_store(c, o->streams_arg + i, &ss[i], &cur[i]);
		changed = true;
	}
	if (!ok || !changed)
		CmdWriteAbort(c, &t);
	if (ok && changed && CmdWriteCommit(c, &t))
	{
		if (c->reply.resp == 2)
			AddReplyArrayLen(&c->reply, nserved);
		else
			AddReplyMapLen(&c->reply, nserved);
		for (int i = 0; i < n; i++)
		{
			if (!rd[i].served)
				continue;
			if (c->reply.resp == 2)
				AddReplyArrayLen(&c->reply, 2);
			AddReplyBulk(&c->reply, c->argv[o->streams_arg + i], c->argv_len[o->streams_arg + i]);
			AddReplyArrayLen(&c->reply, rd[i].n);
			for (long k = 0; k < rd[i].n; k++)
			{
				if (rd[i].items[k] >= 0)
					reply_entry(c, &ss[i], &ss[i].e[rd[i].items[k]]);
				else
				{
					AddReplyArrayLen(&c->reply, 2);
					reply_id(c, &rd[i].ids[k]);
					AddReplyNullArray(&c->reply);
				}
			}
		}
	}
	for (int i = 0; i < n; i++)
	{
		MemFree(rd[i].items);
		MemFree(rd[i].ids);
		stream_free(&ss[i]);
	}
	for (int i = 0; i < loaded; i++)
		KsValueRelease(&cur[i]);
	MemFree(cur);
	MemFree(ss);
	MemFree(rd);
	return !ok || nserved > 0;
}

/*
 * XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
 * [NOACK] STREAMS key ... id ...
 */
void
XreadgroupCommand(Client *c)
{
	XreadgroupArg a;

	if (!parse_read_opts(c, true, &a.o))
		return;
	a.ids = MemAlloc(sizeof(StreamId) * (size_t) a.o.nstreams);
	if (parse_read_ids(c, &a.o, a.ids) && !xreadgroup_try(c, &a, false))
	{
		if (a.o.timeout < 0 || CmdExecActive())
			AddReplyNullArray(&c->reply);
		else
			BlockRun(c, a.o.streams_arg, a.o.nstreams, a.o.timeout, xreadgroup_try, &a);
	}
	MemFree(a.ids);
}

/*
 * The size of the radix tree Redis would hold nodes in: keys are the
 * simulated nodes' first ids (16 bytes, big-endian); a node is a run of
 * bytes shared by every key below it, a branching point, or a key's end.
 */
static long
rax_nodes(const unsigned char (*keys)[16], long n, int depth)
{
	int			common = 0;
	long		total = 0;

	if (depth == 16)
		return 1;
	if (n == 1)
		return 2;
	while (depth + common < 16)
	{
		bool		same = true;

		for (long i = 1; i < n && same; i++)
			same = keys[i][depth + common] == keys[0][depth + common];
		if (!same)
			break;
		common++;
	}
	if (common > 0)
		return 1 + rax_nodes(keys, n, depth + common);
	total = 1;					/* the branching node */
	for (long i = 0; i < n;)
	{
		long		j = i;

		while (j < n && keys[j][depth] == keys[i][depth])
			j++;
		total += rax_nodes(keys + i, j - i, depth + 1);
		i = j;
	}
	return total;
}

static void
reply_entry_or_null(Client *c, const Stream *s, long pos)
{
	if (pos < 0 || pos >= s->n)
		AddReplyNull(&c->reply);
	else
		reply_entry(c, s, &s->e[pos]);
}

/*
 * XINFO STREAM FULL's groups: each with its pending entries and consumers
 * (with theirs), at most count pending entries in each list (0: all).
 */
static void
reply_full_groups(Client *c, const Stream *s, long long count)
{
	AddReplyArrayLen(&c->reply, s->ng);
	for (long i = 0; i < s->ng; i++)
	{
		const StreamGroup *g = &s->g[i];
		long		n = count > 0 && g->npel > count ? (long) count : g->npel;

		AddReplyMapLen(&c->reply, 7);
		AddReplyBulkCString(&c->reply, "name");
		AddReplyBulk(&c->reply, g->name, g->len);
		AddReplyBulkCString(&c->reply, "last-delivered-id");
		reply_id(c, &g->last_id);
		AddReplyBulkCString(&c->reply, "entries-read");
		if (g->entries_read != ENTRIES_READ_UNKNOWN)
			AddReplyLongLong(&c->reply, g->entries_read);
		else
			AddReplyNull(&c->reply);
		AddReplyBulkCString(&c->reply, "lag");
		reply_lag(c, s, g);
		AddReplyBulkCString(&c->reply, "pel-count");
		AddReplyLongLong(&c->reply, g->npel);
		AddReplyBulkCString(&c->reply, "pending");
		AddReplyArrayLen(&c->reply, n);
		for (long k = 0; k < n; k++)
		{
			const StreamNack *nk = &g->pel[k];

			AddReplyArrayLen(&c->reply, 4);
			reply_id(c, &nk->id);
			AddReplyBulk(&c->reply, g->cons[nk->consumer].name, g->cons[nk->consumer].len);
			AddReplyLongLong(&c->reply, nk->delivery_time);
			AddReplyLongLong(&c->reply, (long long) nk->delivery_count);
		}
		AddReplyBulkCString(&c->reply, "consumers");
		AddReplyArrayLen(&c->reply, g->ncons);
		for (long ci = 0; ci < g->ncons; ci++)
		{
			long		pending = consumer_pending(g, ci);
			long		m = count > 0 && pending > count ? (long) count : pending;

			AddReplyMapLen(&c->reply, 4);
			AddReplyBulkCString(&c->reply, "name");
			AddReplyBulk(&c->reply, g->cons[ci].name, g->cons[ci].len);
			AddReplyBulkCString(&c->reply, "seen-time");
			AddReplyLongLong(&c->reply, g->cons[ci].seen_time);
			AddReplyBulkCString(&c->reply, "pel-count");
			AddReplyLongLong(&c->reply, pending);
			AddReplyBulkCString(&c->reply, "pending");
			AddReplyArrayLen(&c->reply, m);
			for (long k = 0; k < g->npel && m > 0; k++)
			{
				const StreamNack *nk = &g->pel[k];

				if (nk->consumer != ci)
					continue;
				AddReplyArrayLen(&c->reply, 3);
				reply_id(c, &nk->id);
				AddReplyLongLong(&c->reply, nk->delivery_time);
				AddReplyLongLong(&c->reply, (long long) nk->delivery_count);
				m--;
			}
		}
	}
}

/* XINFO STREAM key [FULL [COUNT count]] */
void
XinfoStreamCommand(Client *c)
{
	KsValue		v;
	Stream		s;
	long		nkeys;
	unsigned char (*keys)[16];
	bool		full = false;
	long long	count = 10;

	if (!stream_read(c, 2, &v, &s, reply_no_such_key))
		return;
	/* the key is looked at before the arguments, as in Redis */
	if (c->argc > 3)
	{
		if ((c->argc != 4 && c->argc != 6) || !ArgEquals(c, 3, "full") ||
			(c->argc == 6 && !ArgEquals(c, 4, "count")))
		{
			AddReplyErrorFormat(&c->reply, "ERR unknown subcommand or wrong number of arguments "
								"for '%.*s'. Try XINFO HELP.", (int) c->argv_len[1], c->argv[1]);
			goto done;
		}
		if (c->argc == 6 && !GetLongLongOrReply(c, 5, &count, NULL))
			goto done;
		if (count < 0)
			count = 0;
		full = true;
	}
	nkeys = (s.n + STREAM_NODE_ENTRIES - 1) / STREAM_NODE_ENTRIES;
	keys = MemAlloc(16 * (size_t) (nkeys + 1));
	for (long k = 0; k < nkeys; k++)
	{
		const StreamId *id = &s.e[k * STREAM_NODE_ENTRIES].id;

		for (int b = 0; b < 8; b++)
		{
			keys[k][b] = (unsigned char) (id->ms >> (56 - 8 * b));
			keys[k][8 + b] = (unsigned char) (id->seq >> (56 - 8 * b));
		}
	}
	AddReplyMapLen(&c->reply, full ? 9 : 10);
	AddReplyBulkCString(&c->reply, "length");
	AddReplyLongLong(&c->reply, s.n);
	AddReplyBulkCString(&c->reply, "radix-tree-keys");
	AddReplyLongLong(&c->reply, nkeys);
	AddReplyBulkCString(&c->reply, "radix-tree-nodes");
	AddReplyLongLong(&c->reply, nkeys == 0 ? 1 : rax_nodes((const unsigned char (*)[16]) keys, nkeys, 0));
	AddReplyBulkCString(&c->reply, "last-generated-id");
	reply_id(c, &s.last_id);
	AddReplyBulkCString(&c->reply, "max-deleted-entry-id");
	reply_id(c, &s.max_deleted);
	AddReplyBulkCString(&c->reply, "entries-added");
	AddReplyLongLong(&c->reply, (long long) s.entries_added);
	AddReplyBulkCString(&c->reply, "recorded-first-entry-id");
	reply_id(c, &s.first_id);
	if (full)
	{
		StreamId	lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};

		AddReplyBulkCString(&c->reply, "entries");
		reply_range(c, &s, &lo, &hi, false, count);
		AddReplyBulkCString(&c->reply, "groups");
		reply_full_groups(c, &s, count);
	}
	else
	{
		AddReplyBulkCString(&c->reply, "groups");
		AddReplyLongLong(&c->reply, s.ng);
		AddReplyBulkCString(&c->reply, "first-entry");
		reply_entry_or_null(c, &s, 0);
		AddReplyBulkCString(&c->reply, "last-entry");
		reply_entry_or_null(c, &s, s.n - 1);
	}
	MemFree(keys);
done:
	stream_free(&s);
	KsValueRelease(&v);
}

static const char *const xinfo_help[] = {
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
	NULL
};

void
XinfoHelpCommand(Client *c)
{
	AddReplyHelp(&c->reply, xinfo_help);
}

/* ------------------------------------------------------------ consumer groups */

/*
 * Redis's estimate of how many entries were added up to id (the group's
 * entries_read), or ENTRIES_READ_UNKNOWN when XDEL or an arbitrary id
 * leaves it unknown.
 */
static int64_t
entries_before(const Stream *s, const StreamId *id)
{
	int			cmp_last, cmp_first;

	if (s->entries_added == 0)
		return 0;
	if (s->n == 0 && id_cmp(id, &s->last_id) < 1)
		return (int64_t) s->entries_added;
	cmp_last = id_cmp(id, &s->last_id);
	if (cmp_last == 0)
		return (int64_t) s->entries_added;
	if (cmp_last > 0)
		return ENTRIES_READ_UNKNOWN;
	cmp_first = id_cmp(id, &s->first_id);
	if (id_is_zero(&s->max_deleted) || id_cmp(&s->max_deleted, &s->first_id) < 0)
	{
		if (cmp_first < 0)
			return (int64_t) (s->entries_added - (uint64_t) s->n);
		if (cmp_first == 0)
			return (int64_t) (s->entries_added - (uint64_t) s->n + 1);
	}
	return ENTRIES_READ_UNKNOWN;
}

/* Whether the largest deleted id lies in [start, end] (NULL: open). */
static bool
has_tombstones(const Stream *s, const StreamId *start, const StreamId *end)
{
	StreamId	lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};

	if (s->n == 0 || id_is_zero(&s->max_deleted))
		return false;
	if (id_cmp(&s->first_id, &s->max_deleted) > 0)
		return false;
	if (start)
		lo = *start;
	if (end)
		hi = *end;
	return id_cmp(&lo, &s->max_deleted) <= 0 && id_cmp(&s->max_deleted, &hi) <= 0;
}

static void
reply_lag(Client *c, const Stream *s, const StreamGroup *g)
{
	int64_t		read;

	if (s->entries_added == 0)
		AddReplyLongLong(&c->reply, 0);
	else if (g->entries_read != ENTRIES_READ_UNKNOWN && !has_tombstones(s, &g->last_id, NULL))
		AddReplyLongLong(&c->reply, (long long) (s->entries_added - (uint64_t) g->entries_read));
	else if ((read = entries_before(s, &g->last_id)) != ENTRIES_READ_UNKNOWN)
		AddReplyLongLong(&c->reply, (long long) (s->entries_added - (uint64_t) read));
	else
		AddReplyNull(&c->reply);
}

static void
reply_nogroup(Client *c, int keyi, int groupi)
{
	AddReplyErrorFormat(&c->reply, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
						(int) c->argv_len[groupi], c->argv[groupi],
						(int) c->argv_len[keyi], c->argv[keyi]);
}

static void
reply_subcommand_syntax(Client *c)
{
	AddReplyErrorFormat(&c->reply, "ERR unknown subcommand or wrong number of arguments for "
						"'%.*s'. Try XGROUP HELP.", (int) c->argv_len[1], c->argv[1]);
}

/* XGROUP's arguments after key and group name */
typedef struct XgroupArgs
{
	char		sub;			/* C(reate) S(etid) D(estroy) c(reateconsumer) d(elconsumer) */
	bool		mkstream;
	int64_t		entries_read;
	long long	result;
} XgroupArgs;

static bool
xgroup_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	XgroupArgs *a = argp;
	long		gi;
	StreamGroup *g = NULL;
	StreamId	id;

	(void) added;
	if (!exists && !(a->sub == 'C' && a->mkstream))
	{
		AddReplyError(&c->reply, "ERR The XGROUP subcommand requires the key to exist. Note "
					  "that for CREATE you may want to use the MKSTREAM option to create an "
					  "empty stream automatically.");
		return false;
	}
	gi = find_group(s, c->argv[3], c->argv_len[3]);
	if (gi >= 0)
		g = &s->g[gi];
	else if (a->sub == 'S' || a->sub == 'c' || a->sub == 'd')
	{
		reply_nogroup(c, 2, 3);
		return false;
	}
	switch (a->sub)
	{
		case 'C':
		case 'S':
			if (c->argv_len[4] == 1 && c->argv[4][0] == '$')
				id = s->last_id;
			else if (!parse_id(c, c->argv[4], c->argv_len[4], &id, 0, a->sub == 'C', NULL))
				return false;
			if (a->sub == 'S')
			{
				g->last_id = id;
				g->entries_read = a->entries_read;
				break;
			}
			if (g)
			{
				AddReplyError(&c->reply, "BUSYGROUP Consumer Group name already exists");
				return false;
			}
			g = add_group(s, c->argv[3], c->argv_len[3], -gi - 1);
			g->last_id = id;
			g->entries_read = a->entries_read;
			break;
		case 'D':
			a->result = g != NULL;
			if (!g)
				return true;
			MemFree(g->cons);
			MemFree(g->pel);
			memmove(&s->g[gi], &s->g[gi + 1], sizeof(StreamGroup) * (size_t) (s->ng - gi - 1));
			s->ng--;
			break;
		case 'c':
			{
				bool		created;
				long		ci = lookup_or_add_consumer(g, c->argv[4], c->argv_len[4], &created);

				a->result = created;
				if (!created)
					return true;
				g->cons[ci].seen_time = NowMs();
				break;
			}
		case 'd':
			{
				long		ci = find_consumer(g, c->argv[4], c->argv_len[4]);

				if (ci < 0)
					return true;
				a->result = remove_consumer(g, ci);
				break;
			}
	}
	*changed = true;
	return true;
}

static void
xgroup_reply(Client *c, void *argp)
{
	XgroupArgs *a = argp;

	if (a->sub == 'C' || a->sub == 'S')
		AddReplyOk(&c->reply);
	else
		AddReplyLongLong(&c->reply, a->result);
}

/* MKSTREAM and ENTRIESREAD from argv[5] on; false after the error reply. */
static bool
xgroup_parse(Client *c, XgroupArgs *a)
{
	a->entries_read = ENTRIES_READ_UNKNOWN;
	if (a->sub == 'S' && c->argc != 5 && !(c->argc == 7 && ArgEquals(c, 5, "entriesread")))
	{
		reply_subcommand_syntax(c);
		return false;
	}
	if (a->sub == 'C' && c->argc > 8)
	{
		reply_subcommand_syntax(c);
		return false;
	}
	for (int i = 5; i < c->argc;)
	{
		if (a->sub == 'C' && ArgEquals(c, i, "mkstream"))
		{
			a->mkstream = true;
			i++;
		}
		else if (ArgEquals(c, i, "entriesread") && i + 1 < c->argc)
		{
			long long	n;

			if (!GetLongLongOrReply(c, i + 1, &n, NULL))
				return false;
			if (n < 0 && n != ENTRIES_READ_UNKNOWN)
			{
				AddReplyError(&c->reply, "ERR value for ENTRIESREAD must be positive or -1");
				return false;
			}
			a->entries_read = n;
			i += 2;
		}
		else
		{
			reply_subcommand_syntax(c);
			return false;
		}
	}
	return true;
}

static void
xgroup_generic(Client *c, char sub)
{
	XgroupArgs	a;

	memset(&a, 0, sizeof(a));
	a.sub = sub;
	if (xgroup_parse(c, &a))
		stream_write_key(c, 2, xgroup_fn, &a, xgroup_reply);
}

/* XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] */
void
XgroupCreateCommand(Client *c)
{
	xgroup_generic(c, 'C');
}

/* XGROUP SETID key group id|$ [ENTRIESREAD n] */
void
XgroupSetidCommand(Client *c)
{
	xgroup_generic(c, 'S');
}

void
XgroupDestroyCommand(Client *c)
{
	xgroup_generic(c, 'D');
}

void
XgroupCreateconsumerCommand(Client *c)
{
	xgroup_generic(c, 'c');
}

void
XgroupDelconsumerCommand(Client *c)
{
	xgroup_generic(c, 'd');
}

static const char *const xgroup_help[] = {
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
	NULL
};

void
XgroupHelpCommand(Client *c)
{
	AddReplyHelp(&c->reply, xgroup_help);
}

/* XINFO GROUPS key */
void
XinfoGroupsCommand(Client *c)
{
	KsValue		v;
	Stream		s;

	if (!stream_read(c, 2, &v, &s, reply_no_such_key))
		return;
	AddReplyArrayLen(&c->reply, s.ng);
	for (long i = 0; i < s.ng; i++)
	{
		const StreamGroup *g = &s.g[i];

		AddReplyMapLen(&c->reply, 6);
		AddReplyBulkCString(&c->reply, "name");
		AddReplyBulk(&c->reply, g->name, g->len);
		AddReplyBulkCString(&c->reply, "consumers");
		AddReplyLongLong(&c->reply, g->ncons);
		AddReplyBulkCString(&c->reply, "pending");
		AddReplyLongLong(&c->reply, g->npel);
		AddReplyBulkCString(&c->reply, "last-delivered-id");
		reply_id(c, &g->last_id);
		AddReplyBulkCString(&c->reply, "entries-read");
		if (g->entries_read != ENTRIES_READ_UNKNOWN)
			AddReplyLongLong(&c->reply, g->entries_read);
		else
			AddReplyNull(&c->reply);
		AddReplyBulkCString(&c->reply, "lag");
		reply_lag(c, &s, g);
	}
	stream_free(&s);
	KsValueRelease(&v);
}

/* XINFO CONSUMERS key group */
void
XinfoConsumersCommand(Client *c)
{
	KsValue		v;
	Stream		s;
	long		gi;
	int64_t		now = NowMs();

	if (!stream_read(c, 2, &v, &s, reply_no_such_key))
		return;
	gi = find_group(&s, c->argv[3], c->argv_len[3]);
	if (gi < 0)
		reply_nogroup(c, 2, 3);
	else
	{
		const StreamGroup *g = &s.g[gi];

		AddReplyArrayLen(&c->reply, g->ncons);
		for (long k = 0; k < g->ncons; k++)
		{
			int64_t		idle = now - g->cons[k].seen_time;

			AddReplyMapLen(&c->reply, 3);
			AddReplyBulkCString(&c->reply, "name");
			AddReplyBulk(&c->reply, g->cons[k].name, g->cons[k].len);
			AddReplyBulkCString(&c->reply, "pending");
			AddReplyLongLong(&c->reply, consumer_pending(g, k));
			AddReplyBulkCString(&c->reply, "idle");
			AddReplyLongLong(&c->reply, idle < 0 ? 0 : idle);
		}
	}
	stream_free(&s);
	KsValueRelease(&v);
}

/* XACK key group id ... */
static bool
xack_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	long long  *acked = argp;
	long		gi;
	StreamGroup *g;
	StreamId   *ids;
	int			n = c->argc - 3;

	(void) added;
	if (!exists || (gi = find_group(s, c->argv[2], c->argv_len[2])) < 0)
		return true;
	g = &s->g[gi];
	/* all or nothing: every id is checked first */
	ids = MemAlloc(sizeof(StreamId) * (size_t) n);
	for (int i = 0; i < n; i++)
		if (!parse_strict_id(c, i + 3, &ids[i], NULL))
		{
			MemFree(ids);
			return false;
		}
	for (int i = 0; i < n; i++)
	{
		long		pos = pel_lower_bound(g, &ids[i]);

		if (pos < g->npel && id_cmp(&g->pel[pos].id, &ids[i]) == 0)
		{
			memmove(&g->pel[pos], &g->pel[pos + 1], sizeof(StreamNack) * (size_t) (g->npel - pos - 1));
			g->npel--;
			(*acked)++;
		}
	}
	MemFree(ids);
	*changed = *acked > 0;
	return true;
}

static void
reply_count(Client *c, void *arg)
{
	AddReplyLongLong(&c->reply, *(long long *) arg);
}

void
XackCommand(Client *c)
{
	long long	acked = 0;

	stream_write(c, xack_fn, &acked, reply_count);
}

/* XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
void
XpendingCommand(Client *c)
{
	bool		summary = c->argc == 3;
	StreamId	start, end;
	bool		startex, endex;
	long long	count = 0, minidle = 0;
	int			consumeri = 0;
	KsValue		v;
	Stream		s;
	long		gi;
	StreamGroup *g;
	int64_t		now = NowMs();

	if (c->argc != 3 && (c->argc < 6 || c->argc > 9))
	{
		ReplySyntaxError(c);
		return;
	}
	if (c->argc >= 6)
	{
		int			si = 3;

		if (ArgEquals(c, 3, "idle"))
		{
			if (!GetLongLongOrReply(c, 4, &minidle, NULL))
				return;
			if (c->argc < 8)
			{
				ReplySyntaxError(c);
				return;
			}
			si += 2;
		}
		if (!GetLongLongOrReply(c, si + 2, &count, NULL))
			return;
		if (count < 0)
			count = 0;
		if (!parse_range_id(c, si, &start, &startex, 0))
			return;
		if (startex && !id_incr(&start))
		{
			AddReplyError(&c->reply, "ERR invalid start ID for the interval");
			return;
		}
		if (!parse_range_id(c, si + 1, &end, &endex, UINT64_MAX))
			return;
		if (endex && !id_decr(&end))
		{
			AddReplyError(&c->reply, "ERR invalid end ID for the interval");
			return;
		}
		if (si + 3 < c->argc)
			consumeri = si + 3;
	}
	if (!stream_load(c, 1, &v, &s))
		return;
	gi = v.exists ? find_group(&s, c->argv[2], c->argv_len[2]) : -1;
	if (gi < 0)
		AddReplyErrorFormat(&c->reply, "NOGROUP No such key '%.*s' or consumer group '%.*s'",
							(int) c->argv_len[1], c->argv[1], (int) c->argv_len[2], c->argv[2]);
	else if (summary)
	{
		g = &s.g[gi];
		AddReplyArrayLen(&c->reply, 4);
		AddReplyLongLong(&c->reply, g->npel);
		if (g->npel == 0)
		{
			AddReplyNull(&c->reply);
			AddReplyNull(&c->reply);
			AddReplyNullArray(&c->reply);
		}
		else
		{
			long		n = 0;

			reply_id(c, &g->pel[0].id);
			reply_id(c, &g->pel[g->npel - 1].id);
			for (long k = 0; k < g->ncons; k++)
				if (consumer_pending(g, k) > 0)
					n++;
			AddReplyArrayLen(&c->reply, n);
			for (long k = 0; k < g->ncons; k++)
			{
				long		p = consumer_pending(g, k);

				if (p == 0)
					continue;
				AddReplyArrayLen(&c->reply, 2);
				AddReplyBulk(&c->reply, g->cons[k].name, g->cons[k].len);
				AddReplyBulkLongLong(&c->reply, p);
			}
		}
	}
	else
	{
		long		ci = -1;

		g = &s.g[gi];
		if (consumeri)
			ci = find_consumer(g, c->argv[consumeri], c->argv_len[consumeri]);
		if (consumeri && ci < 0)
			AddReplyArrayLen(&c->reply, 0);
		else
		{
			size_t		handle = AddReplyDeferredLen(&c->reply);
			long		n = 0;

			for (long k = pel_lower_bound(g, &start);
				 count > 0 && k < g->npel && id_cmp(&g->pel[k].id, &end) <= 0; k++)
			{
				const StreamNack *nk = &g->pel[k];
				int64_t		idle = now - nk->delivery_time;

				if (ci >= 0 && nk->consumer != ci)
					continue;
				if (minidle && idle < minidle)
					continue;
				n++;
				count--;
				AddReplyArrayLen(&c->reply, 4);
				reply_id(c, &nk->id);
				AddReplyBulk(&c->reply, g->cons[nk->consumer].name, g->cons[nk->consumer].len);
				AddReplyLongLong(&c->reply, idle < 0 ? 0 : idle);
				AddReplyLongLong(&c->reply, (long long) nk->delivery_count);
			}
			SetDeferredArrayLen(&c->reply, handle, n);
		}
	}
	stream_free(&s);
	KsValueRelease(&v);
}

/* What XCLAIM / XAUTOCLAIM claimed, replied once the change is durable. */
typedef struct ClaimArgs
{
	/* parsed */
	long long	minidle;
	int64_t		delivery_time;	/* -1: now */
	long long	retrycount;		/* -1: not given */
	bool		force;
	bool		justid;
	StreamId	last_id;
	int			nids;			/* XCLAIM: ids are argv[5 .. 5+nids-1] */
	StreamId	start;			/* XAUTOCLAIM */
	long long	count;
	/* results */
	GroupRead	claimed;
	StreamId   *deleted;
	long		ndeleted;
	StreamId	cursor;
	const Stream *s;			/* for the reply: entries of the stored stream */
	bool		autoclaim;
} ClaimArgs;

/*
 * Give pending entry pos of g to consumer *ci (created on first use), as
 * Redis's XCLAIM and XAUTOCLAIM do.
 */
static void
claim_one(Client *c, StreamGroup *g, long pos, long *ci, int64_t delivery_time,
		  long long retrycount, bool justid)
{
	StreamNack *nk = &g->pel[pos];

	if (*ci < 0)
	{
		bool		created;

		*ci = lookup_or_add_consumer(g, c->argv[3], c->argv_len[3], &created);
		g->cons[*ci].seen_time = NowMs();
		/* a new consumer shifted the indices of the ones after it */
		nk = &g->pel[pos];
	}
	nk->delivery_time = delivery_time;
	if (retrycount >= 0)
		nk->delivery_count = (uint64_t) retrycount;
	else if (!justid)
		nk->delivery_count++;
	nk->consumer = *ci;
}

static bool
xclaim_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	ClaimArgs  *a = argp;
	long		gi, ci = -1;
	StreamGroup *g;
	StreamId   *ids;
	int64_t		now = NowMs();
	int			j;

	(void) added;
	if (!exists || (gi = find_group(s, c->argv[2], c->argv_len[2])) < 0)
	{
		AddReplyErrorFormat(&c->reply, "NOGROUP No such key '%.*s' or consumer group '%.*s'",
							(int) c->argv_len[1], c->argv[1], (int) c->argv_len[2], c->argv[2]);
		return false;
	}
	g = &s->g[gi];
	if (!GetLongLongOrReply(c, 4, &a->minidle, "ERR Invalid min-idle-time argument for XCLAIM"))
		return false;
	if (a->minidle < 0)
		a->minidle = 0;
	ids = MemAlloc(sizeof(StreamId) * (size_t) c->argc);
	for (j = 5; j < c->argc; j++)
		if (!parse_id(NULL, c->argv[j], c->argv_len[j], &ids[j - 5], 0, true, NULL))
			break;
	a->nids = j - 5;
	a->delivery_time = -1;
	a->retrycount = -1;
	for (; j < c->argc; j++)
	{
		bool		more = c->argc - 1 - j > 0;

		if (ArgEquals(c, j, "force"))
			a->force = true;
		else if (ArgEquals(c, j, "justid"))
			a->justid = true;
		else if (ArgEquals(c, j, "idle") && more)
		{
			long long	idle;

			if (!GetLongLongOrReply(c, ++j, &idle, "ERR Invalid IDLE option argument for XCLAIM"))
				goto fail;
			a->delivery_time = now - idle;
		}
		else if (ArgEquals(c, j, "time") && more)
		{
			long long	t;

			if (!GetLongLongOrReply(c, ++j, &t, "ERR Invalid TIME option argument for XCLAIM"))
				goto fail;
			a->delivery_time = t;
		}
		else if (ArgEquals(c, j, "retrycount") && more)
		{
			if (!GetLongLongOrReply(c, ++j, &a->retrycount,
									"ERR Invalid RETRYCOUNT option argument for XCLAIM"))
				goto fail;
		}
		else if (ArgEquals(c, j, "lastid") && more)
		{
			if (!parse_strict_id(c, ++j, &a->last_id, NULL))
				goto fail;
		}
		else
		{
			AddReplyErrorFormat(&c->reply, "ERR Unrecognized XCLAIM option '%.*s'",
								(int) c->argv_len[j], c->argv[j]);
			goto fail;
		}
	}
	if (a->delivery_time < 0 || a->delivery_time > now)
		a->delivery_time = now;
	if (id_cmp(&a->last_id, &g->last_id) > 0)
	{
		g->last_id = a->last_id;
		*changed = true;
	}
	for (int i = 0; i < a->nids; i++)
	{
		long		pos = pel_lower_bound(g, &ids[i]);
		bool		in_pel = pos < g->npel && id_cmp(&g->pel[pos].id, &ids[i]) == 0;
		long		epos = lower_bound(s, &ids[i]);
		bool		forced = false;

		if (epos == s->n || id_cmp(&s->e[epos].id, &ids[i]) != 0)
		{
			/* the entry is gone: so is its pending entry */
			if (in_pel)
			{
				memmove(&g->pel[pos], &g->pel[pos + 1], sizeof(StreamNack) * (size_t) (g->npel - pos - 1));
				g->npel--;
				*changed = true;
			}
			continue;
		}
		if (!in_pel && a->force)
		{
			StreamNack *nk = add_nack(g, pos);

			nk->id = ids[i];
			nk->delivery_time = now;
			nk->delivery_count = 1;
			nk->consumer = -1;
			in_pel = forced = true;
		}
		if (!in_pel)
			continue;
		if (!forced && a->minidle && now - g->pel[pos].delivery_time < a->minidle)
			continue;
		claim_one(c, g, pos, &ci, a->delivery_time, a->retrycount, a->justid);
		group_read_add(&a->claimed, epos, &ids[i], a->nids);
		*changed = true;
	}
	MemFree(ids);
	return true;
fail:
	MemFree(ids);
	return false;
}

static void
reply_claimed(Client *c, const ClaimArgs *a)
{
	AddReplyArrayLen(&c->reply, a->claimed.n);
	for (long k = 0; k < a->claimed.n; k++)
	{
		if (a->justid)
			reply_id(c, &a->claimed.ids[k]);
		else
			reply_entry(c, a->s, &a->s->e[a->claimed.items[k]]);
	}
}

static void xclaim_reply(Client *c, void *argp);

/*
 * XCLAIM and XAUTOCLAIM reply from the decoded stream, which stream_write
 * frees after the reply: a variant that keeps it until then.
 */
static void
claim_write(Client *c, StreamWriteFn fn, ClaimArgs *a)
{
	CmdTxn		t;
	KsValue		cur;
	Stream		s;
	bool		ok, changed = false, added = false;

	memset(&s, 0, sizeof(s));
	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	ok = CmdLoadLatest(c, &t, 1, &cur) && stream_from_value(c, &cur, &s);
	if (ok)
		ok = fn(c, &s, cur.exists, &changed, &added, a);
	if (ok && changed)
		ok = stream_store(c, 1, &s, &cur);
	a->s = &s;
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (!changed)
	{
		CmdWriteAbort(c, &t);
		xclaim_reply(c, a);
	}
	else if (CmdWriteCommit(c, &t))
		xclaim_reply(c, a);
	MemFree(a->claimed.items);
	MemFree(a->claimed.ids);
	MemFree(a->deleted);
	stream_free(&s);
	KsValueRelease(&cur);
}

static void
xclaim_reply(Client *c, void *argp)
{
	ClaimArgs  *a = argp;

	if (!a->autoclaim)
	{
		reply_claimed(c, a);
		return;
	}
	AddReplyArrayLen(&c->reply, 3);
	reply_id(c, &a->cursor);
	reply_claimed(c, a);
	AddReplyArrayLen(&c->reply, a->ndeleted);
	for (long k = 0; k < a->ndeleted; k++)
		reply_id(c, &a->deleted[k]);
}

/*
 * XCLAIM key group consumer min-idle-time id ... [IDLE ms] [TIME ms]
 * [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
 */
void
XclaimCommand(Client *c)
{
	ClaimArgs	a;

	memset(&a, 0, sizeof(a));
	claim_write(c, xclaim_fn, &a);
}

static bool
xautoclaim_fn(Client *c, Stream *s, bool exists, bool *changed, bool *added, void *argp)
{
	ClaimArgs  *a = argp;
	long		gi, ci = -1, k;
	StreamGroup *g;
	int64_t		now = NowMs();
	long long	attempts = a->count * 10, count = a->count;

	(void) added;
	if (!exists || (gi = find_group(s, c->argv[2], c->argv_len[2])) < 0)
	{
		AddReplyErrorFormat(&c->reply, "NOGROUP No such key '%.*s' or consumer group '%.*s'",
							(int) c->argv_len[1], c->argv[1], (int) c->argv_len[2], c->argv[2]);
		return false;
	}
	g = &s->g[gi];
	k = pel_lower_bound(g, &a->start);
	while (attempts > 0 && count > 0 && k < g->npel)
	{
		StreamId	id = g->pel[k].id;
		long		epos = lower_bound(s, &id);

		attempts--;
		if (epos == s->n || id_cmp(&s->e[epos].id, &id) != 0)
		{
			if (a->deleted == NULL)
				a->deleted = MemAlloc(sizeof(StreamId) * (size_t) (a->count + 1));
			a->deleted[a->ndeleted++] = id;
			memmove(&g->pel[k], &g->pel[k + 1], sizeof(StreamNack) * (size_t) (g->npel - k - 1));
			g->npel--;
			count--;
			*changed = true;
			continue;
		}
		if (a->minidle && now - g->pel[k].delivery_time < a->minidle)
		{
			k++;
			continue;
		}
		claim_one(c, g, k, &ci, now, -1, a->justid);
		group_read_add(&a->claimed, epos, &id, a->count < g->npel ? a->count : g->npel);
		*changed = true;
		k++;
		count--;
	}
	if (k < g->npel)
		a->cursor = g->pel[k].id;
	return true;
}

/* XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
void
XautoclaimCommand(Client *c)
{
	ClaimArgs	a;
	bool		startex;

	memset(&a, 0, sizeof(a));
	a.autoclaim = true;
	a.count = 100;
	if (!GetLongLongOrReply(c, 4, &a.minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM"))
		return;
	if (a.minidle < 0)
		a.minidle = 0;
	if (!parse_range_id(c, 5, &a.start, &startex, 0))
		return;
	if (startex && !id_incr(&a.start))
	{
		AddReplyError(&c->reply, "ERR invalid start ID for the interval");
		return;
	}
	for (int j = 6; j < c->argc; j++)
	{
		if (ArgEquals(c, j, "count") && c->argc - 1 - j > 0)
		{
			if (!StringToLongLong(c->argv[j + 1], c->argv_len[j + 1], &a.count) ||
				a.count < 1 || a.count > LONG_MAX / 16)
			{
				AddReplyError(&c->reply, "ERR COUNT must be > 0");
				return;
			}
			j++;
		}
		else if (ArgEquals(c, j, "justid"))
			a.justid = true;
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	claim_write(c, xautoclaim_fn, &a);
}
