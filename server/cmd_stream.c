/*
 * cmd_stream.c
 *	  Streams: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD (and its BLOCK
 *	  form) XSETID XINFO STREAM/HELP.
 *
 * NOTES
 *	  A stream is stored inline, as one value of type KS_TYPE_STREAM: a
 *	  header with what Redis keeps beside the entries (last generated id,
 *	  first id, largest deleted id, entries added), then the entries in id
 *	  order, each an id (two u64) and its field/value strings
 *	  (storage/README.md, "Keyspace"). Like the other inline collections a
 *	  write decodes, changes and stores a new version under the key's lock,
 *	  so it is atomic and O(size), and a stream is limited to
 *	  STREAM_MAX_BYTES encoded. Unlike them, an empty stream is kept (Redis
 *	  keeps a stream trimmed or XDELed to nothing, with its last id).
 *	  Consumer groups are not implemented; the header counts them (always
 *	  0 so far) so that they can be appended without a new type.
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
 *	  BlockNoteKey) commits.
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
	uint32_t	ngroups;
	const char *groups;			/* consumer groups, kept as stored */
	size_t		groups_len;
} Stream;

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

static bool
stream_decode(const char *data, size_t len, Stream *s)
{
	const char *p = data, *end = data + len;
	uint32_t	n;

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
	s->ngroups = get_u32(p + 60);
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
	s->groups = p;
	s->groups_len = (size_t) (end - p);
	return true;
bad:
	stream_free(s);
	return false;
}

static size_t
stream_encoded_size(const Stream *s)
{
	size_t		size = STREAM_HEADER_SIZE + s->groups_len;

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
	p = put_u32(p, s->ngroups);
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
	memcpy(p, s->groups, s->groups_len);
	p += s->groups_len;
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
	long		lo = 0, hi = s->n;

	while (lo < hi)
	{
		long		mid = lo + (hi - lo) / 2;

		if (id_cmp(&s->e[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
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
stream_write(Client *c, StreamWriteFn fn, void *arg, void (*reply) (Client *c, void *arg))
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
		ok = fn(c, &s, cur.exists, &changed, &added, arg);
	if (ok && changed)
		ok = stream_store(c, 1, &s, &cur);
	if (ok && added)
		BlockNoteKey(c->db, c->argv[1], c->argv_len[1]);
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (!changed)
	{
		CmdWriteAbort(c, &t);	/* nothing written: no commit record */
		reply(c, arg);
	}
	else if (CmdWriteCommit(c, &t))
		reply(c, arg);
	stream_free(&s);
	KsValueRelease(&cur);
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

/* XREAD [COUNT count] [BLOCK milliseconds] STREAMS key ... id ... */
void
XreadCommand(Client *c)
{
	long long	timeout = -1, count = 0;
	int			streams_arg = 0, nstreams = 0;
	XreadArg	a;
	CmdTxn		t;
	KsValue    *vals;
	bool		ok = true;

	for (int i = 1; i < c->argc; i++)
	{
		int			more = c->argc - i - 1;

		if (ArgEquals(c, i, "block") && more)
		{
			i++;
			if (!GetLongLongOrReply(c, i, &timeout, "ERR timeout is not an integer or out of range"))
				return;
			if (timeout < 0)
			{
				AddReplyError(&c->reply, "ERR timeout is negative");
				return;
			}
		}
		else if (ArgEquals(c, i, "count") && more)
		{
			i++;
			if (!GetLongLongOrReply(c, i, &count, NULL))
				return;
			if (count < 0)
				count = 0;
		}
		else if (ArgEquals(c, i, "streams") && more)
		{
			streams_arg = i + 1;
			nstreams = c->argc - streams_arg;
			if (nstreams % 2 != 0)
			{
				AddReplyError(&c->reply, "ERR Unbalanced XREAD list of streams: for each "
							  "stream key an ID or '$' must be specified.");
				return;
			}
			nstreams /= 2;
			break;
		}
		else
		{
			ReplySyntaxError(c);
			return;
		}
	}
	if (streams_arg == 0)
	{
		ReplySyntaxError(c);
		return;
	}

	/* the types, and "$" as each stream's last id now */
	a.first = streams_arg;
	a.n = nstreams;
	a.count = count;
	a.ids = MemAlloc(sizeof(StreamId) * (size_t) nstreams);
	vals = MemAlloc(sizeof(KsValue) * (size_t) nstreams);
	CmdReadBegin(c, &t);
	if (!CmdLoadVisibleMany(c, &t, streams_arg, nstreams, vals))
	{
		MemFree(vals);
		MemFree(a.ids);
		return;
	}
	if (!CmdReadEnd(c, &t))
		ok = false;
	for (int i = 0; ok && i < nstreams; i++)
	{
		int			idarg = streams_arg + nstreams + i;

		if (vals[i].exists && vals[i].type != KS_TYPE_STREAM)
		{
			AddReplyError(&c->reply, err_wrongtype);
			ok = false;
		}
		else if (c->argv_len[idarg] == 1 && c->argv[idarg][0] == '$')
		{
			Stream		s;

			memset(&a.ids[i], 0, sizeof(StreamId));
			if (vals[i].exists)
			{
				ok = stream_from_value(c, &vals[i], &s);
				if (ok)
					a.ids[i] = s.last_id;
				stream_free(&s);
			}
		}
		else if (c->argv_len[idarg] == 1 && c->argv[idarg][0] == '>')
		{
			AddReplyError(&c->reply, "ERR The > ID can be specified only when calling "
						  "XREADGROUP using the GROUP <group> <consumer> option.");
			ok = false;
		}
		else
			ok = parse_strict_id(c, idarg, &a.ids[i], NULL);
	}
	for (int i = 0; i < nstreams; i++)
		KsValueRelease(&vals[i]);
	MemFree(vals);
	if (ok && !xread_try(c, &a, false))
	{
		if (timeout < 0 || CmdExecActive())
			AddReplyNullArray(&c->reply);
		else
			BlockRun(c, streams_arg, nstreams, timeout, xread_try, &a);
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

/* XINFO STREAM key (FULL is not implemented) */
void
XinfoStreamCommand(Client *c)
{
	KsValue		v;
	Stream		s;
	long		nkeys;
	unsigned char (*keys)[16];

	if (!stream_read(c, 2, &v, &s, reply_no_such_key))
		return;
	/* the key is looked at before the arguments, as in Redis */
	if (c->argc > 3)
	{
		if (ArgEquals(c, 3, "full"))
			AddReplyError(&c->reply, "ERR XINFO STREAM FULL is not implemented in tusk yet");
		else
			AddReplyErrorFormat(&c->reply, "ERR unknown subcommand or wrong number of arguments "
								"for '%.*s'. Try XINFO HELP.", (int) c->argv_len[1], c->argv[1]);
		stream_free(&s);
		KsValueRelease(&v);
		return;
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
	AddReplyMapLen(&c->reply, 10);
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
	AddReplyBulkCString(&c->reply, "groups");
	AddReplyLongLong(&c->reply, s.ngroups);
	AddReplyBulkCString(&c->reply, "first-entry");
	reply_entry_or_null(c, &s, 0);
	AddReplyBulkCString(&c->reply, "last-entry");
	reply_entry_or_null(c, &s, s.n - 1);
	MemFree(keys);
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
