/*
 * cmd_bit.c
 *	  Bitmap commands on strings: SETBIT GETBIT BITCOUNT BITPOS BITOP
 *	  BITFIELD BITFIELD_RO.
 *
 * NOTES
 *	  Bit 0 is the most significant bit of the first byte, as in Redis; a
 *	  string reads as zero bits past its end. A write that needs a longer
 *	  string pads it with zero bytes, and what a write creates or changes
 *	  is kept raw (OBJECT ENCODING), as Redis keeps it.
 *
 *	  A string is one stored value (storage/README.md, "Keyspace"), so a
 *	  write rewrites it whole through StringModify: SETBIT or BITFIELD on a
 *	  string of N bytes costs O(N) in WAL and page writes, where Redis's
 *	  costs O(1). Bitmaps of a few kilobytes do not notice; big ones do.
 *
 *	  Arguments are checked in Redis 7.0's order, which is not the same for
 *	  every command: BITCOUNT looks the key up before it parses its range
 *	  (a missing key is 0 whatever follows), BITPOS parses its bit first.
 */
#include "config.h"

#include "server/server.h"
#include "server/settings.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"

#include <stdint.h>
#include <string.h>


static const char err_bit_offset[] = "ERR bit offset is not an integer or out of range";
static const char err_too_big[] =
	"ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/*
 * A bit offset: a non-negative integer whose byte lies below
 * proto-max-bulk-len. With width > 0, "#n" means n * width (BITFIELD).
 */
static bool
parse_bit_offset(Client *c, int argi, int width, uint64_t *out)
{
	const char *p = c->argv[argi];
	size_t		len = c->argv_len[argi];
	size_t		skip = width > 0 && len > 1 && p[0] == '#' ? 1 : 0;
	long long	v;

	if (!StringToLongLong(p + skip, len - skip, &v) ||
		(skip && __builtin_mul_overflow(v, (long long) width, &v)) ||
		v < 0 || (v >> 3) >= server_config->proto_max_bulk_len)
	{
		AddReplyError(&c->reply, err_bit_offset);
		return false;
	}
	*out = (uint64_t) v;
	return true;
}

static inline int
bit_at(const unsigned char *p, size_t len, uint64_t off)
{
	if ((off >> 3) >= len)
		return 0;
	return (p[off >> 3] >> (7 - (off & 7))) & 1;
}

static inline void
bit_put(unsigned char *p, uint64_t off, int on)
{
	unsigned char mask = (unsigned char) (0x80 >> (off & 7));

	if (on)
		p[off >> 3] |= mask;
	else
		p[off >> 3] &= (unsigned char) ~mask;
}

static long long
popcount_bytes(const unsigned char *p, size_t n)
{
	long long	count = 0;
	size_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		uint64_t	w;

		memcpy(&w, p + i, 8);
		count += __builtin_popcountll(w);
	}
	for (; i < n; i++)
		count += __builtin_popcount(p[i]);
	return count;
}

/* Set bits from bit first to bit last (inclusive), both inside the string. */
static long long
count_bits(const unsigned char *p, uint64_t first, uint64_t last)
{
	size_t		fb = first >> 3,
				lb = last >> 3;
	unsigned	head = 0xffu >> (first & 7);
	unsigned	tail = (0xffu << (7 - (last & 7))) & 0xffu;

	if (fb == lb)
		return __builtin_popcount(p[fb] & head & tail);
	return __builtin_popcount(p[fb] & head) + __builtin_popcount(p[lb] & tail) +
		popcount_bytes(p + fb + 1, lb - fb - 1);
}

/* The first bit equal to `bit` from first to last (inclusive), or -1. */
static long long
find_bit(const unsigned char *p, uint64_t first, uint64_t last, int bit)
{
	unsigned char skip = bit ? 0x00 : 0xff;
	uint64_t	skip_word = bit ? 0 : UINT64_MAX;
	uint64_t	i = first;

	while (i <= last)
	{
		if ((i & 7) == 0)
		{
			uint64_t	w;

			/* whole words, then whole bytes, that cannot hold the bit */
			while (i + 63 <= last && (memcpy(&w, p + (i >> 3), 8), w == skip_word))
				i += 64;
			if (i + 7 <= last && p[i >> 3] == skip)
			{
				i += 8;
				continue;
			}
		}
		if (((p[i >> 3] >> (7 - (i & 7))) & 1) == bit)
			return (long long) i;
		i++;
	}
	return -1;
}

/*
 * Clamp [*start, *end] (negative counts from the end) to total units, as
 * Redis's GETRANGE-style ranges do; false when nothing is left.
 */
static bool
clamp_range(long long *start, long long *end, long long total)
{
	if (*start < 0)
		*start += total;
	if (*end < 0)
		*end += total;
	if (*start < 0)
		*start = 0;
	if (*end < 0)
		*end = 0;
	if (*end >= total)
		*end = total - 1;
	return *start <= *end;
}

/* argv[argi] is BIT (true) or BYTE (false); false after a syntax error. */
static bool
parse_unit(Client *c, int argi, bool *in_bits)
{
	if (ArgEquals(c, argi, "bit"))
		*in_bits = true;
	else if (ArgEquals(c, argi, "byte"))
		*in_bits = false;
	else
	{
		ReplySyntaxError(c);
		return false;
	}
	return true;
}

/*
 * Read argv[1] for a bit command; false after a reply (an error, or the
 * WRONGTYPE of a non-string). On true the caller replies and releases *v.
 */
static bool
read_string(Client *c, KsValue *v)
{
	if (!CmdReadOneKey(c, 1, v))
		return false;
	if (v->exists && v->type != KS_TYPE_STRING)
	{
		AddReplyError(&c->reply, err_wrongtype);
		KsValueRelease(v);
		return false;
	}
	return true;
}

/* ---------- SETBIT / GETBIT ---------- */

typedef struct SetbitArg
{
	uint64_t	offset;
	int			on;
	int			old;
} SetbitArg;

static bool
setbit_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen, uint8_t *flags,
		  void *argp)
{
	SetbitArg  *arg = argp;
	size_t		oldlen = cur->exists ? cur->value_len : 0;
	size_t		need = (size_t) (arg->offset >> 3) + 1;
	size_t		len = need > oldlen ? need : oldlen;

	arg->old = cur->exists ? bit_at((const unsigned char *) cur->value, oldlen, arg->offset) : 0;
	/* unchanged, and already raw: nothing to write */
	if (cur->exists && need <= oldlen && arg->old == arg->on && (cur->flags & KS_FLAG_RAW))
		return true;
	if (len > KS_MAX_VALUE)
	{
		AddReplyError(&c->reply, err_too_big);
		return false;
	}
	*newval = MemAllocZero(len + 1);
	if (oldlen)
		memcpy(*newval, cur->value, oldlen);
	bit_put((unsigned char *) *newval, arg->offset, arg->on);
	*newlen = len;
	*flags = KS_FLAG_RAW;
	return true;
}

static void
setbit_reply(Client *c, void *argp)
{
	AddReplyLongLong(&c->reply, ((SetbitArg *) argp)->old);
}

void
SetbitCommand(Client *c)
{
	SetbitArg	arg;
	long long	on;

	if (!parse_bit_offset(c, 2, 0, &arg.offset))
		return;
	if (!StringToLongLong(c->argv[3], c->argv_len[3], &on) || (on & ~1LL))
	{
		AddReplyError(&c->reply, "ERR bit is not an integer or out of range");
		return;
	}
	arg.on = (int) on;
	StringModify(c, setbit_fn, &arg, setbit_reply);
}

void
GetbitCommand(Client *c)
{
	uint64_t	offset;
	KsValue		v;

	if (!parse_bit_offset(c, 2, 0, &offset) || !read_string(c, &v))
		return;
	AddReplyLongLong(&c->reply, v.exists ?
					 bit_at((const unsigned char *) v.value, v.value_len, offset) : 0);
	KsValueRelease(&v);
}

/* ---------- BITCOUNT / BITPOS ---------- */

/* BITCOUNT key [start end [BYTE|BIT]] */
void
BitcountCommand(Client *c)
{
	const unsigned char *p;
	long long	start = 0,
				end = -1,
				total;
	bool		in_bits = false;
	KsValue		v;

	if (!read_string(c, &v))
		return;
	if (!v.exists)
	{
		AddReplyLongLong(&c->reply, 0);
		KsValueRelease(&v);
		return;
	}
	p = (const unsigned char *) v.value;
	if (c->argc == 4 || c->argc == 5)
	{
		if (!GetLongLongOrReply(c, 2, &start, NULL) || !GetLongLongOrReply(c, 3, &end, NULL) ||
			(c->argc == 5 && !parse_unit(c, 4, &in_bits)))
		{
			KsValueRelease(&v);
			return;
		}
	}
	else if (c->argc != 2)
	{
		ReplySyntaxError(c);
		KsValueRelease(&v);
		return;
	}
	total = (long long) v.value_len * (in_bits ? 8 : 1);
	/* two negative indexes the wrong way round count nothing, before clamping */
	if ((start < 0 && end < 0 && start > end) || !clamp_range(&start, &end, total))
		AddReplyLongLong(&c->reply, 0);
	else if (in_bits)
		AddReplyLongLong(&c->reply, count_bits(p, (uint64_t) start, (uint64_t) end));
	else
		AddReplyLongLong(&c->reply, popcount_bytes(p + start, (size_t) (end - start + 1)));
	KsValueRelease(&v);
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
void
BitposCommand(Client *c)
{
	long long	bit,
				start = 0,
				end = -1,
				total,
				pos;
	bool		in_bits = false,
				end_given = false;
	uint64_t	first,
				last;
	KsValue		v;

	if (!GetLongLongOrReply(c, 2, &bit, NULL))
		return;
	if (bit != 0 && bit != 1)
	{
		AddReplyError(&c->reply, "ERR The bit argument must be 1 or 0.");
		return;
	}
	if (!read_string(c, &v))
		return;
	if (!v.exists)
	{
		/* an endless run of zero bits */
		AddReplyLongLong(&c->reply, bit ? -1 : 0);
		KsValueRelease(&v);
		return;
	}
	if (c->argc > 6)
	{
		ReplySyntaxError(c);
		KsValueRelease(&v);
		return;
	}
	if (c->argc >= 4)
	{
		if (!GetLongLongOrReply(c, 3, &start, NULL) ||
			(c->argc == 6 && !parse_unit(c, 5, &in_bits)) ||
			(c->argc >= 5 && !GetLongLongOrReply(c, 4, &end, NULL)))
		{
			KsValueRelease(&v);
			return;
		}
		end_given = c->argc >= 5;
	}
	total = (long long) v.value_len * (in_bits ? 8 : 1);
	if (!clamp_range(&start, &end, total))
	{
		/* an empty range holds neither a 0 nor a 1 */
		AddReplyLongLong(&c->reply, -1);
		KsValueRelease(&v);
		return;
	}
	first = in_bits ? (uint64_t) start : (uint64_t) start * 8;
	last = in_bits ? (uint64_t) end : (uint64_t) end * 8 + 7;
	pos = find_bit((const unsigned char *) v.value, first, last, (int) bit);
	/*
	 * No clear bit up to the end of the string: without an explicit end the
	 * string counts as padded with zeros, so the answer is the first bit
	 * after the range.
	 */
	if (pos < 0 && bit == 0 && !end_given)
		pos = (long long) last + 1;
	AddReplyLongLong(&c->reply, pos);
	KsValueRelease(&v);
}

/* ---------- BITOP ---------- */

/* BITOP AND|OR|XOR|NOT destkey key [key ...] */
void
BitopCommand(Client *c)
{
	int			n = c->argc - 3;
	char		op;
	KsValue    *vals;
	KsValue		dst;
	CmdTxn		t;
	size_t		maxlen = 0;
	unsigned char *out = NULL;
	KsStatus	st = KS_OK;
	bool		ok = true;

	if (ArgEquals(c, 1, "and"))
		op = '&';
	else if (ArgEquals(c, 1, "or"))
		op = '|';
	else if (ArgEquals(c, 1, "xor"))
		op = '^';
	else if (ArgEquals(c, 1, "not"))
		op = '~';
	else
	{
		ReplySyntaxError(c);
		return;
	}
	if (op == '~' && n != 1)
	{
		AddReplyError(&c->reply, "ERR BITOP NOT must be called with a single source key.");
		return;
	}
	vals = MemAlloc(sizeof(KsValue) * (size_t) n);
	for (int i = 0; i < n; i++)
		KsValueInit(&vals[i]);
	KsValueInit(&dst);
	if (!CmdWriteBeginKeys(c, &t, 2, c->argc - 1, 1))
	{
		MemFree(vals);
		return;
	}
	for (int i = 0; i < n && ok; i++)
	{
		ok = CmdLoadLatest(c, &t, 3 + i, &vals[i]);
		if (ok && vals[i].exists && vals[i].type != KS_TYPE_STRING)
		{
			AddReplyError(&c->reply, err_wrongtype);
			ok = false;
		}
		if (ok && vals[i].exists && vals[i].value_len > maxlen)
			maxlen = vals[i].value_len;
	}
	ok = ok && CmdLoadLatestMeta(c, &t, 2, &dst);
	if (ok && maxlen > 0)
	{
		out = MemAlloc(maxlen + 1);
		for (size_t j = 0; j < maxlen; j++)
		{
			unsigned	acc = 0;

			/* a missing key or a shorter string reads as zero bytes */
			for (int i = 0; i < n; i++)
			{
				unsigned	b = vals[i].exists && j < vals[i].value_len ?
					(unsigned char) vals[i].value[j] : 0;

				if (i == 0)
					acc = op == '~' ? ~b : b;
				else if (op == '&')
					acc &= b;
				else if (op == '|')
					acc |= b;
				else
					acc ^= b;
			}
			out[j] = (unsigned char) acc;
		}
		/* the result replaces destkey whatever it held, without its TTL */
		st = KsPutFlags(c->db, c->argv[2], c->argv_len[2], KS_TYPE_STRING, KS_FLAG_RAW,
						(const char *) out, maxlen, 0, &dst);
	}
	else if (ok && dst.exists)
		st = KsDelete(c->db, c->argv[2], c->argv_len[2], &dst);
	if (ok && st != KS_OK)
		ok = ReplyKsError(c, st);
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, (long long) maxlen);
	MemFree(out);
	for (int i = 0; i < n; i++)
		KsValueRelease(&vals[i]);
	KsValueRelease(&dst);
	MemFree(vals);
}

/* ---------- BITFIELD / BITFIELD_RO ---------- */

typedef struct BitfieldOp
{
	char		kind;			/* 'g' GET, 's' SET, 'i' INCRBY */
	char		overflow;		/* 'w' WRAP, 's' SAT, 'f' FAIL */
	bool		is_signed;
	int			bits;
	uint64_t	offset;
	long long	value;			/* SET's value, INCRBY's increment */
} BitfieldOp;

typedef struct BitfieldArg
{
	BitfieldOp *ops;
	int			nops;
	long long  *results;
	bool	   *failed;			/* FAIL overflow: a null in the reply */
} BitfieldArg;

/* i1..i64 or u1..u63 */
static bool
parse_bitfield_type(Client *c, int argi, bool *is_signed, int *bits)
{
	const char *p = c->argv[argi];
	size_t		len = c->argv_len[argi];
	long long	n;

	if (len < 2 || (p[0] != 'i' && p[0] != 'u') ||
		!StringToLongLong(p + 1, len - 1, &n) ||
		n < 1 || n > (p[0] == 'i' ? 64 : 63))
	{
		AddReplyError(&c->reply, "ERR Invalid bitfield type. Use something like i16 u8. "
					  "Note that u64 is not supported but i64 is.");
		return false;
	}
	*is_signed = p[0] == 'i';
	*bits = (int) n;
	return true;
}

/*
 * The operations of BITFIELD (read_only: BITFIELD_RO) in argv[2..]; false
 * after an error reply. *writes tells whether any SET or INCRBY is there.
 */
static bool
parse_bitfield(Client *c, bool read_only, BitfieldArg *arg, bool *writes)
{
	char		overflow = 'w';

	*writes = false;
	arg->ops = MemAlloc(sizeof(BitfieldOp) * (size_t) (c->argc / 2 + 1));
	arg->nops = 0;
	for (int j = 2; j < c->argc; j++)
	{
		int			left = c->argc - j - 1;
		BitfieldOp *op = &arg->ops[arg->nops];

		if (ArgEquals(c, j, "get") && left >= 2)
			op->kind = 'g';
		else if (ArgEquals(c, j, "set") && left >= 3)
			op->kind = 's';
		else if (ArgEquals(c, j, "incrby") && left >= 3)
			op->kind = 'i';
		else if (ArgEquals(c, j, "overflow") && left >= 1)
		{
			j++;
			if (ArgEquals(c, j, "wrap"))
				overflow = 'w';
			else if (ArgEquals(c, j, "sat"))
				overflow = 's';
			else if (ArgEquals(c, j, "fail"))
				overflow = 'f';
			else
			{
				AddReplyError(&c->reply, "ERR Invalid OVERFLOW type specified");
				return false;
			}
			continue;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
		if (!parse_bitfield_type(c, j + 1, &op->is_signed, &op->bits) ||
			!parse_bit_offset(c, j + 2, op->bits, &op->offset))
			return false;
		op->overflow = overflow;
		if (op->kind != 'g')
		{
			if (!GetLongLongOrReply(c, j + 3, &op->value, NULL))
				return false;
			if (read_only)
			{
				AddReplyError(&c->reply, "ERR BITFIELD_RO only supports the GET subcommand");
				return false;
			}
			*writes = true;
			j++;
		}
		j += 2;
		arg->nops++;
	}
	arg->results = MemAlloc(sizeof(long long) * (size_t) (arg->nops + 1));
	arg->failed = MemAllocZero(sizeof(bool) * (size_t) (arg->nops + 1));
	return true;
}

static void
bitfield_free(BitfieldArg *arg)
{
	MemFree(arg->ops);
	MemFree(arg->results);
	MemFree(arg->failed);
}

/* The field's bits at offset, sign-extended for a signed type. */
static long long
field_get(const unsigned char *p, size_t len, const BitfieldOp *op)
{
	uint64_t	v = 0;

	for (int i = 0; i < op->bits; i++)
		v = (v << 1) | (uint64_t) bit_at(p, len, op->offset + (uint64_t) i);
	if (op->is_signed && op->bits < 64 && ((v >> (op->bits - 1)) & 1))
		v |= UINT64_MAX << op->bits;
	return (long long) v;
}

static void
field_put(unsigned char *p, const BitfieldOp *op, long long value)
{
	uint64_t	v = (uint64_t) value;

	for (int i = 0; i < op->bits; i++)
		bit_put(p, op->offset + (uint64_t) i, (int) ((v >> (op->bits - 1 - i)) & 1));
}

/*
 * The exact result r as a value of the field's type under its overflow
 * rule: wrapped modulo 2^bits, saturated, or (FAIL) refused. Redis's own
 * check takes a signed SET of a value below max - INT64_MAX (where its
 * 64-bit max - value wraps) for an overflow upwards: SAT then gives the
 * maximum, and tusk does the same (`up`).
 */
static bool
field_fit(const BitfieldOp *op, __int128 r, bool up, long long *out)
{
	__int128	min = op->is_signed ? -((__int128) 1 << (op->bits - 1)) : 0;
	__int128	max = op->is_signed ? ((__int128) 1 << (op->bits - 1)) - 1 :
		((__int128) 1 << op->bits) - 1;
	uint64_t	u;

	if (r >= min && r <= max)
	{
		*out = (long long) r;
		return true;
	}
	if (op->overflow == 'f')
		return false;
	if (op->overflow == 's')
	{
		*out = (long long) (r < min && !up ? min : max);
		return true;
	}
	u = (uint64_t) r;
	if (op->bits < 64)
	{
		u &= (UINT64_C(1) << op->bits) - 1;
		if (op->is_signed && ((u >> (op->bits - 1)) & 1))
			u |= UINT64_MAX << op->bits;
	}
	*out = (long long) u;
	return true;
}

static bool
bitfield_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen, uint8_t *flags,
			void *argp)
{
	BitfieldArg *arg = argp;
	size_t		oldlen = cur->exists ? cur->value_len : 0;
	size_t		len = oldlen;
	unsigned char *p;

	/* the string grows to hold every field written, even one that fails */
	for (int k = 0; k < arg->nops; k++)
	{
		const BitfieldOp *op = &arg->ops[k];
		size_t		need = (size_t) ((op->offset + (uint64_t) op->bits - 1) >> 3) + 1;

		if (op->kind != 'g' && need > len)
			len = need;
	}
	if (len > KS_MAX_VALUE)
	{
		AddReplyError(&c->reply, err_too_big);
		return false;
	}
	p = MemAllocZero(len + 1);
	if (oldlen)
		memcpy(p, cur->value, oldlen);
	for (int k = 0; k < arg->nops; k++)
	{
		const BitfieldOp *op = &arg->ops[k];
		long long	old = field_get(p, len, op),
					value;
		__int128	r;

		/* SET into an unsigned field takes its value as unsigned: -1 is 2^64-1 */
		if (op->kind == 'i')
			r = (__int128) old + op->value;
		else if (op->is_signed)
			r = op->value;
		else
			r = (uint64_t) op->value;

		if (op->kind == 'g')
			arg->results[k] = old;
		else if (!field_fit(op, r, op->kind == 's' && op->is_signed && op->bits < 64 &&
							(__int128) op->value < ((__int128) 1 << (op->bits - 1)) - 1 - INT64_MAX,
							&value))
			arg->failed[k] = true;
		else
		{
			field_put(p, op, value);
			/* SET answers the old value, INCRBY the new one */
			arg->results[k] = op->kind == 's' ? old : value;
		}
	}
	*newval = (char *) p;
	*newlen = len;
	*flags = KS_FLAG_RAW;
	return true;
}

static void
bitfield_reply(Client *c, void *argp)
{
	BitfieldArg *arg = argp;

	AddReplyArrayLen(&c->reply, arg->nops);
	for (int k = 0; k < arg->nops; k++)
	{
		if (arg->failed[k])
			AddReplyNull(&c->reply);
		else
			AddReplyLongLong(&c->reply, arg->results[k]);
	}
}

static void
bitfield_generic(Client *c, bool read_only)
{
	BitfieldArg arg;
	bool		writes;
	KsValue		v;

	if (!parse_bitfield(c, read_only, &arg, &writes))
	{
		MemFree(arg.ops);
		return;
	}
	if (writes)
		StringModify(c, bitfield_fn, &arg, bitfield_reply);
	else if (read_string(c, &v))
	{
		for (int k = 0; k < arg.nops; k++)
			arg.results[k] = field_get((const unsigned char *) v.value,
									   v.exists ? v.value_len : 0, &arg.ops[k]);
		bitfield_reply(c, &arg);
		KsValueRelease(&v);
	}
	bitfield_free(&arg);
}

void
BitfieldCommand(Client *c)
{
	bitfield_generic(c, false);
}

void
BitfieldRoCommand(Client *c)
{
	bitfield_generic(c, true);
}
