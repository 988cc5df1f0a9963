/*
 * cmd_string.c
 *	  String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET
 *	  MSET MSETNX APPEND STRLEN GETRANGE SETRANGE INCR INCRBY INCRBYFLOAT
 *	  DECR DECRBY (LCS is in cmd_lcs.c).
 *
 * NOTES
 *	  Every command follows server/txn.h: reads take a snapshot and no
 *	  lock; writes lock their keys, run in one transaction and reply after
 *	  the commit is durable. A command that fails (syntax, wrong type,
 *	  overflow) aborts and changes nothing; options are parsed before any
 *	  lock is taken.
 */
#include "config.h"

#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"
#include "storage/stats.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>


static bool
put_value_flags(Client *c, int argi, const char *val, size_t len, int64_t expire_ms,
				const KsValue *cur, uint8_t flags)
{
	KsStatus st = KsPutFlags(c->db, c->argv[argi], c->argv_len[argi], KS_TYPE_STRING, flags,
							 val, len, expire_ms, cur);

	if (st != KS_OK)
		return ReplyKsError(c, st);
	return true;
}

static bool
put_value(Client *c, int argi, const char *val, size_t len, int64_t expire_ms, const KsValue *cur)
{
	KsStatus st = KsPut(c->db, c->argv[argi], c->argv_len[argi], KS_TYPE_STRING, val, len,
						expire_ms, cur);

	if (st != KS_OK)
		return ReplyKsError(c, st);
	return true;
}

/* Finish a write: commit and reply via the callback's prepared reply. */
static bool
commit_or_abort(Client *c, CmdTxn *t, bool ok)
{
	if (!ok)
	{
		CmdWriteAbort(c, t);
		return false;
	}
	return CmdWriteCommit(c, t);
}

void
GetCommand(Client *c)
{
	CmdTxn t;
	KsValue v;

	if (!CmdReadKey(c, &t, 1, &v))
		return;
	if (CmdReadEnd(c, &t))
	{
		if (!v.exists)
			AddReplyNull(&c->reply);
		else if (v.type != KS_TYPE_STRING)
			AddReplyError(&c->reply, err_wrongtype);
		else
			AddReplyBulk(&c->reply, v.value, v.value_len);
	}
	KsValueRelease(&v);
}

/* Expire options shared by SET and GETEX. */
#define OPT_NX		0x01
#define OPT_XX		0x02
#define OPT_GET		0x04
#define OPT_KEEPTTL	0x08
#define OPT_EX		0x10
#define OPT_PX		0x20
#define OPT_EXAT	0x40
#define OPT_PXAT	0x80
#define OPT_PERSIST	0x100
#define OPT_EXPIRE_ANY (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

/*
 * Absolute expire time in ms from an EX/PX/EXAT/PXAT argument, with
 * Redis's checks and texts; false after replying.
 */
static bool
expire_from_arg(Client *c, int argi, int unit_flag, int64_t now_ms, int64_t *when)
{
	long long v;

	if (!StringToLongLong(c->argv[argi], c->argv_len[argi], &v))
	{
		AddReplyError(&c->reply, err_not_integer);
		return false;
	}
	if (v <= 0 || ((unit_flag & (OPT_EX | OPT_EXAT)) && v > LLONG_MAX / 1000))
		goto invalid;
	if (unit_flag & (OPT_EX | OPT_EXAT))
		v *= 1000;
	if (unit_flag & (OPT_EX | OPT_PX))
	{
		if (v > LLONG_MAX - now_ms)
			goto invalid;
		v += now_ms;
	}
	if (v <= 0)
		goto invalid;
	*when = v;
	return true;
invalid:
	AddReplyErrorFormat(&c->reply, "ERR invalid expire time in '%s' command", c->cmd->name);
	return false;
}

static int
expire_option(Client *c, int j)
{
	if (ArgEquals(c, j, "ex"))
		return OPT_EX;
	if (ArgEquals(c, j, "px"))
		return OPT_PX;
	if (ArgEquals(c, j, "exat"))
		return OPT_EXAT;
	if (ArgEquals(c, j, "pxat"))
		return OPT_PXAT;
	return 0;
}

/*
 * Parse SET / GETEX options from argv[start]. allowed: the flags the
 * command accepts. Returns false after a syntax error reply.
 */
static bool
parse_string_options(Client *c, int start, int allowed, int *flags, int *expire_arg)
{
	*flags = 0;
	*expire_arg = 0;
	for (int j = start; j < c->argc; j++)
	{
		bool next = j + 1 < c->argc;

		if ((allowed & OPT_NX) && ArgEquals(c, j, "nx") && !(*flags & (OPT_XX)))
			*flags |= OPT_NX;
		else if ((allowed & OPT_XX) && ArgEquals(c, j, "xx") && !(*flags & OPT_NX))
			*flags |= OPT_XX;
		else if ((allowed & OPT_GET) && ArgEquals(c, j, "get"))
			*flags |= OPT_GET;
		else if ((allowed & OPT_KEEPTTL) && ArgEquals(c, j, "keepttl") &&
				 !(*flags & (OPT_EXPIRE_ANY | OPT_PERSIST)))
			*flags |= OPT_KEEPTTL;
		else if ((allowed & OPT_PERSIST) && ArgEquals(c, j, "persist") &&
				 !(*flags & (OPT_EXPIRE_ANY | OPT_KEEPTTL)))
			*flags |= OPT_PERSIST;
		else if (next && !(*flags & (OPT_KEEPTTL | OPT_PERSIST)) &&
				 (ArgEquals(c, j, "ex") || ArgEquals(c, j, "px") ||
				  ArgEquals(c, j, "exat") || ArgEquals(c, j, "pxat")) &&
				 !(*flags & OPT_EXPIRE_ANY & ~expire_option(c, j)))
		{
			/* the same option again is allowed (the last one wins), as in Redis */
			*flags = (*flags & ~OPT_EXPIRE_ANY) | expire_option(c, j);
			*expire_arg = ++j;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	return true;
}

/* The reply of a SET that did its work (or, for NX/XX, did none). */
static void
set_reply(Client *c, int reply_kind, int flags, bool exists, const KsValue *cur, bool done)
{
	if (reply_kind == 'n')
		AddReplyLongLong(&c->reply, done ? 1 : 0);
	else if (flags & OPT_GET)
	{
		if (exists)
			AddReplyBulk(&c->reply, cur->value, cur->value_len);
		else
			AddReplyNull(&c->reply);
	}
	else if (done)
		AddReplyOk(&c->reply);
	else
		AddReplyNull(&c->reply);
}

/* SET and its relatives, after option parsing. */
static void
set_generic(Client *c, int keyi, int vali, int flags, int expire_arg, int reply_kind)
{
	CmdTxn t;
	KsValue cur;
	int64_t expire_ms = 0;
	bool exists, ok = true, already_expired = false;

	if (c->argv_len[vali] > KS_MAX_VALUE)
	{
		AddReplyError(&c->reply, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
		return;
	}
	/* a bad expire time is refused before any lock is taken */
	if (expire_arg && !expire_from_arg(c, expire_arg, flags & OPT_EXPIRE_ANY, NowMs(), &expire_ms))
		return;
	if (!CmdWriteBeginKeys(c, &t, keyi, keyi, 1))
		return;
	/*
	 * EX and PX count from the command's own clock reading, as in Redis:
	 * a wait for the key lock must not make SET k v PX 1 already expired.
	 */
	if ((flags & (OPT_EX | OPT_PX)) &&
		!expire_from_arg(c, expire_arg, flags & OPT_EXPIRE_ANY, t.now_ms, &expire_ms))
	{
		CmdWriteAbort(c, &t);
		return;
	}
	/* the old value is read only to return it (GET): a big one is not */
	if (!((flags & OPT_GET) ? CmdLoadLatest(c, &t, keyi, &cur) : CmdLoadLatestMeta(c, &t, keyi, &cur)))
	{
		CmdWriteAbort(c, &t);
		KsValueRelease(&cur);
		return;
	}
	exists = cur.exists;
	if (flags & OPT_GET)
		StatsKeyspaceLookup(exists);	/* Redis's GET part reads the key */
	if ((flags & OPT_GET) && exists && cur.type != KS_TYPE_STRING)
	{
		CmdWriteAbort(c, &t);
		AddReplyError(&c->reply, err_wrongtype);
		KsValueRelease(&cur);
		return;
	}
	if (((flags & OPT_NX) && exists) || ((flags & OPT_XX) && !exists))
	{
		CmdWriteAbort(c, &t);
		set_reply(c, reply_kind, flags, exists, &cur, false);
		KsValueRelease(&cur);
		return;
	}
	if ((flags & OPT_KEEPTTL) && exists)
		expire_ms = cur.expire_ms;
	if (expire_ms != 0 && expire_ms <= t.now_ms)
	{
		/*
		 * Already expired (EXAT/PXAT in the past): the key is gone at once,
		 * as Redis's expiry would delete it before anyone sees it; storing
		 * it would only keep it in DBSIZE until the sweep. Redis stores it
		 * and counts it in expired_keys when it deletes it: so do we.
		 */
		already_expired = true;
		if (!cur.has_latest || !cur.latest_live)
		{
			CmdWriteAbort(c, &t);
			StatsExpiredKeys(1);
			set_reply(c, reply_kind, flags, exists, &cur, true);
			KsValueRelease(&cur);
			return;
		}
		{
			KsStatus st = KsDelete(c->db, c->argv[keyi], c->argv_len[keyi], &cur);

			ok = st == KS_OK || ReplyKsError(c, st);
		}
	}
	else
		ok = put_value(c, keyi, c->argv[vali], c->argv_len[vali], expire_ms, &cur);
	if (commit_or_abort(c, &t, ok))
	{
		if (already_expired)
			StatsExpiredKeys(1);
		set_reply(c, reply_kind, flags, exists, &cur, true);
	}
	KsValueRelease(&cur);
}

void
SetCommand(Client *c)
{
	int flags, expire_arg;

	if (!parse_string_options(c, 3, OPT_NX | OPT_XX | OPT_GET | OPT_KEEPTTL | OPT_EXPIRE_ANY,
							  &flags, &expire_arg))
		return;
	set_generic(c, 1, 2, flags, expire_arg, 's');
}

void
SetnxCommand(Client *c)
{
	set_generic(c, 1, 2, OPT_NX, 0, 'n');
}

void
SetexCommand(Client *c)
{
	set_generic(c, 1, 3, OPT_EX, 2, 's');
}

void
PsetexCommand(Client *c)
{
	set_generic(c, 1, 3, OPT_PX, 2, 's');
}

void
GetsetCommand(Client *c)
{
	set_generic(c, 1, 2, OPT_GET, 0, 's');
}

/* GETDEL and GETEX: read the value, then delete it or change its TTL. */
static void
get_and_modify(Client *c, bool delete_key, int flags, int expire_arg)
{
	CmdTxn t;
	KsValue cur;
	int64_t expire_ms = 0;
	bool ok = true, modify;

	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	if (!CmdLoadLatest(c, &t, 1, &cur))
	{
		CmdWriteAbort(c, &t);
		KsValueRelease(&cur);
		return;
	}
	StatsKeyspaceLookup(cur.exists);	/* GETDEL, GETEX read the key */
	if (!cur.exists)
	{
		CmdWriteAbort(c, &t);
		AddReplyNull(&c->reply);
		KsValueRelease(&cur);
		return;
	}
	if (cur.type != KS_TYPE_STRING)
	{
		CmdWriteAbort(c, &t);
		AddReplyError(&c->reply, err_wrongtype);
		KsValueRelease(&cur);
		return;
	}
	/* Redis looks the key up before it checks the expire time */
	if (expire_arg && !expire_from_arg(c, expire_arg, flags & OPT_EXPIRE_ANY, t.now_ms, &expire_ms))
	{
		CmdWriteAbort(c, &t);
		KsValueRelease(&cur);
		return;
	}
	modify = delete_key || (flags & (OPT_EXPIRE_ANY | OPT_PERSIST));
	if (!modify || ((flags & OPT_PERSIST) && cur.expire_ms == 0))
	{
		CmdWriteAbort(c, &t);
		AddReplyBulk(&c->reply, cur.value, cur.value_len);
		KsValueRelease(&cur);
		return;
	}
	if (delete_key || (expire_arg && expire_ms <= t.now_ms))
	{
		KsStatus st = KsDelete(c->db, c->argv[1], c->argv_len[1], &cur);

		ok = st == KS_OK || ReplyKsError(c, st);
	}
	else
		ok = put_value(c, 1, cur.value, cur.value_len, (flags & OPT_PERSIST) ? 0 : expire_ms, &cur);
	if (commit_or_abort(c, &t, ok))
		AddReplyBulk(&c->reply, cur.value, cur.value_len);
	KsValueRelease(&cur);
}

void
GetdelCommand(Client *c)
{
	get_and_modify(c, true, 0, 0);
}

void
GetexCommand(Client *c)
{
	int flags, expire_arg;

	if (!parse_string_options(c, 2, OPT_EXPIRE_ANY | OPT_PERSIST, &flags, &expire_arg))
		return;
	get_and_modify(c, false, flags, expire_arg);
}

void
MgetCommand(Client *c)
{
	CmdTxn t;
	KsValue *vals = MemAlloc(sizeof(KsValue) * (size_t) (c->argc - 1));
	int loaded = c->argc - 1;
	bool ok;

	CmdReadBegin(c, &t);
	ok = CmdLoadVisibleMany(c, &t, 1, c->argc - 1, vals);
	if (!ok)
	{
		loaded = 0;				/* released already */
		SnapshotReleaseAll();
	}
	else if (CmdReadEnd(c, &t))
	{
		AddReplyArrayLen(&c->reply, c->argc - 1);
		for (int i = 0; i < c->argc - 1; i++)
		{
			if (vals[i].exists && vals[i].type == KS_TYPE_STRING)
				AddReplyBulk(&c->reply, vals[i].value, vals[i].value_len);
			else
				AddReplyNull(&c->reply);
		}
	}
	for (int i = 0; i < loaded; i++)
		KsValueRelease(&vals[i]);
	MemFree(vals);
}

/* Is key argv[i] named again later among MSET's keys (argv[i+2], ...)? */
#define MSET_DEDUP_MAX_KEYS 64

static bool
named_again(Client *c, int i)
{
	if (c->argc > 1 + 2 * MSET_DEDUP_MAX_KEYS)
		return false;			/* quadratic: write every mention instead */
	for (int j = i + 2; j < c->argc; j += 2)
		if (c->argv_len[j] == c->argv_len[i] &&
			memcmp(c->argv[j], c->argv[i], c->argv_len[i]) == 0)
			return true;
	return false;
}

static void
mset_generic(Client *c, bool nx)
{
	CmdTxn t;
	KsValue cur;
	bool ok = true;
	int set = 1;

	if (c->argc % 2 == 0)
	{
		ReplyWrongArity(c, c->cmd);
		return;
	}
	if (!CmdWriteBeginKeys(c, &t, 1, c->argc - 2, 2))
		return;
	if (nx)
	{
		for (int i = 1; i < c->argc && ok; i += 2)
		{
			ok = CmdLoadLatestMeta(c, &t, i, &cur);
			if (ok && cur.exists)
				set = 0;
			KsValueRelease(&cur);
		}
	}
	/*
	 * A key named twice: the last value wins, as in Redis. Only that one
	 * is written (one new version, not one per mention; nobody can see
	 * the ones in between).
	 */
	for (int i = 1; i < c->argc && ok && set; i += 2)
	{
		if (named_again(c, i))
			continue;
		ok = CmdLoadLatestMeta(c, &t, i, &cur);
		if (ok)
			ok = put_value(c, i, c->argv[i + 1], c->argv_len[i + 1], 0, &cur);
		KsValueRelease(&cur);
	}
	if (!set)
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, 0);
		return;
	}
	if (commit_or_abort(c, &t, ok))
	{
		if (nx)
			AddReplyLongLong(&c->reply, 1);
		else
			AddReplyOk(&c->reply);
	}
}

void
MsetCommand(Client *c)
{
	mset_generic(c, false);
}

void
MsetnxCommand(Client *c)
{
	mset_generic(c, true);
}

/*
 * What the read-modify-write commands of this file pass to StringModify:
 * their argument, their result, and room for a text reply.
 */
typedef struct ModifyArg
{
	long long	number;
	long double fnumber;
	char		text[5 * 1024];
	size_t		text_len;
} ModifyArg;

void
StringModify(Client *c, StringModifyFn fn, void *arg, void (*reply) (Client *c, void *arg))
{
	StringModifyKey(c, 1, fn, arg, reply);
}

void
StringModifyKey(Client *c, int argi, StringModifyFn fn, void *arg,
				void (*reply) (Client *c, void *arg))
{
	CmdTxn t;
	KsValue cur;
	char *newval = NULL;
	size_t newlen = 0;
	uint8_t flags = 0;
	bool ok;

	if (!CmdWriteBeginKeys(c, &t, argi, argi, 1))
		return;
	ok = CmdLoadLatest(c, &t, argi, &cur);
	if (ok && cur.exists && cur.type != KS_TYPE_STRING)
	{
		AddReplyError(&c->reply, err_wrongtype);
		ok = false;
	}
	if (ok)
		ok = fn(c, &cur, &newval, &newlen, &flags, arg);
	if (ok && newval)
		ok = put_value_flags(c, argi, newval, newlen, cur.exists ? cur.expire_ms : 0, &cur, flags);
	CmdWriteFinish(c, &t, ok, newval != NULL, reply, arg);
	MemFree(newval);
	KsValueRelease(&cur);
}

static bool
incr_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen,
		uint8_t *flags, void *argp)
{
	ModifyArg *arg = argp;
	long long value = 0, incr = arg->number;
	char buf[32];
	int n;

	if (cur->exists && !StringToLongLong(cur->value, cur->value_len, &value))
	{
		AddReplyError(&c->reply, err_not_integer);
		return false;
	}
	if ((incr < 0 && value < 0 && incr < (LLONG_MIN - value)) ||
		(incr > 0 && value > 0 && incr > (LLONG_MAX - value)))
	{
		AddReplyError(&c->reply, "ERR increment or decrement would overflow");
		return false;
	}
	value += incr;
	n = LongLongToString(buf, sizeof(buf), value);
	*newval = MemStrndup(buf, (size_t) n);
	*newlen = (size_t) n;
	arg->number = value;
	return true;
}

static void
reply_number(Client *c, void *argp)
{
	AddReplyLongLong(&c->reply, ((ModifyArg *) argp)->number);
}

static void
incr_generic(Client *c, long long incr)
{
	ModifyArg arg;

	arg.number = incr;
	StringModify(c, incr_fn, &arg, reply_number);
}

void
IncrCommand(Client *c)
{
	incr_generic(c, 1);
}

void
DecrCommand(Client *c)
{
	incr_generic(c, -1);
}

void
IncrbyCommand(Client *c)
{
	long long incr;

	if (!GetLongLongOrReply(c, 2, &incr, NULL))
		return;
	incr_generic(c, incr);
}

void
DecrbyCommand(Client *c)
{
	long long decr;

	if (!GetLongLongOrReply(c, 2, &decr, NULL))
		return;
	if (decr == LLONG_MIN)
	{
		AddReplyError(&c->reply, "ERR decrement would overflow");
		return;
	}
	incr_generic(c, -decr);
}

static bool
incrbyfloat_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen,
		uint8_t *flags, void *argp)
{
	ModifyArg *arg = argp;
	long double value = 0;
	int n;

	/* Redis checks the type, then the value, then the increment */
	if ((cur->exists && !StringToLongDouble(cur->value, cur->value_len, &value)) ||
		!StringToLongDouble(c->argv[2], c->argv_len[2], &arg->fnumber))
	{
		AddReplyError(&c->reply, "ERR value is not a valid float");
		return false;
	}
	value += arg->fnumber;
	if (isnan(value) || isinf(value))
	{
		AddReplyError(&c->reply, "ERR increment would produce NaN or Infinity");
		return false;
	}
	n = FormatHumanLongDouble(arg->text, sizeof(arg->text), value);
	arg->text_len = (size_t) n;
	*flags = KS_FLAG_NOINT;	/* Redis stores the result as a plain string */
	*newval = MemStrndup(arg->text, (size_t) n);
	*newlen = (size_t) n;
	return true;
}

static void
reply_text(Client *c, void *argp)
{
	ModifyArg *arg = argp;

	AddReplyBulk(&c->reply, arg->text, arg->text_len);
}

void
IncrbyfloatCommand(Client *c)
{
	ModifyArg arg;

	StringModify(c, incrbyfloat_fn, &arg, reply_text);
}

static bool
append_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen,
		uint8_t *flags, void *argp)
{
	ModifyArg *arg = argp;
	size_t oldlen = cur->exists ? cur->value_len : 0;
	size_t addlen = c->argv_len[2];

	if (oldlen + addlen > KS_MAX_VALUE)
	{
		AddReplyError(&c->reply, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
		return false;
	}
	*newval = MemAlloc(oldlen + addlen + 1);
	if (oldlen)
		memcpy(*newval, cur->value, oldlen);
	memcpy(*newval + oldlen, c->argv[2], addlen);
	*newlen = oldlen + addlen;
	/* Redis grows an existing string in place (raw); a new one is encoded as SET's */
	*flags = cur->exists ? KS_FLAG_RAW : 0;
	arg->number = (long long) *newlen;
	return true;
}

void
AppendCommand(Client *c)
{
	ModifyArg arg;

	StringModify(c, append_fn, &arg, reply_number);
}

static bool
setrange_fn(Client *c, const KsValue *cur, char **newval, size_t *newlen,
		uint8_t *flags, void *argp)
{
	ModifyArg *arg = argp;
	long long offset = arg->number;
	size_t oldlen = cur->exists ? cur->value_len : 0;
	size_t vlen = c->argv_len[3];
	size_t total;

	if (vlen == 0)
	{
		/* nothing to write; the reply is the current length */
		arg->number = (long long) oldlen;
		return true;
	}
	if ((unsigned long long) offset + vlen > KS_MAX_VALUE)
	{
		AddReplyError(&c->reply, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
		return false;
	}
	total = (size_t) offset + vlen > oldlen ? (size_t) offset + vlen : oldlen;
	*newval = MemAllocZero(total + 1);
	if (oldlen)
		memcpy(*newval, cur->value, oldlen);
	memcpy(*newval + offset, c->argv[3], vlen);
	*newlen = total;
	*flags = KS_FLAG_RAW;	/* Redis builds or grows it in place */
	arg->number = (long long) total;
	return true;
}

void
SetrangeCommand(Client *c)
{
	ModifyArg arg;

	if (!GetLongLongOrReply(c, 2, &arg.number, NULL))
		return;
	if (arg.number < 0)
	{
		AddReplyError(&c->reply, "ERR offset is out of range");
		return;
	}
	StringModify(c, setrange_fn, &arg, reply_number);
}

void
StrlenCommand(Client *c)
{
	CmdTxn t;
	KsValue v;

	if (!CmdReadKey(c, &t, 1, &v))
		return;
	if (CmdReadEnd(c, &t))
	{
		if (v.exists && v.type != KS_TYPE_STRING)
			AddReplyError(&c->reply, err_wrongtype);
		else
			AddReplyLongLong(&c->reply, v.exists ? (long long) v.value_len : 0);
	}
	KsValueRelease(&v);
}

void
GetrangeCommand(Client *c)
{
	long long start, end, len;
	CmdTxn t;
	KsValue v;

	if (!GetLongLongOrReply(c, 2, &start, NULL) || !GetLongLongOrReply(c, 3, &end, NULL))
		return;
	if (!CmdReadKey(c, &t, 1, &v))
		return;
	if (!CmdReadEnd(c, &t))
	{
		KsValueRelease(&v);
		return;
	}
	if (v.exists && v.type != KS_TYPE_STRING)
	{
		AddReplyError(&c->reply, err_wrongtype);
		KsValueRelease(&v);
		return;
	}
	len = v.exists ? (long long) v.value_len : 0;
	if (start < 0 && end < 0 && start > end)
	{
		AddReplyBulk(&c->reply, "", 0);
		KsValueRelease(&v);
		return;
	}
	if (start < 0)
		start = len + start;
	if (end < 0)
		end = len + end;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if (end >= len)
		end = len - 1;
	if (len == 0 || start > end)
		AddReplyBulk(&c->reply, "", 0);
	else
		AddReplyBulk(&c->reply, v.value + start, (size_t) (end - start + 1));
	KsValueRelease(&v);
}
