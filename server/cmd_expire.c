/*
 * cmd_expire.c
 *	  Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
 *	  PEXPIRETIME PERSIST.
 *
 * NOTES
 *	  Runs in backends and follows server/txn.h. An expire time is part of
 *	  a key's version (HeapTupleHeaderData.expire_ms), so setting or
 *	  removing one writes a new version with the same value: O(value size),
 *	  where Redis is O(1) (XXX #3). Expired keys are invisible at once
 *	  (KsGet compares with the command's clock reading); the checkpointer's
 *	  sweep (KsSweepExpired) deletes those nobody touches.
 */
#include "config.h"

#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/stats.h"

#include <limits.h>
#include <string.h>

#define EXPIRE_NX 0x01
#define EXPIRE_XX 0x02
#define EXPIRE_GT 0x04
#define EXPIRE_LT 0x08

/* Redis's parseExtendedExpireArgumentsOrReply. */
static bool
parse_expire_flags(Client *c, int *flags)
{
	*flags = 0;
	for (int j = 3; j < c->argc; j++)
	{
		if (ArgEquals(c, j, "nx"))
			*flags |= EXPIRE_NX;
		else if (ArgEquals(c, j, "xx"))
			*flags |= EXPIRE_XX;
		else if (ArgEquals(c, j, "gt"))
			*flags |= EXPIRE_GT;
		else if (ArgEquals(c, j, "lt"))
			*flags |= EXPIRE_LT;
		else
		{
			AddReplyErrorFormat(&c->reply, "ERR Unsupported option %.*s",
								(int) c->argv_len[j], c->argv[j]);
			return false;
		}
	}
	if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)))
	{
		AddReplyError(&c->reply, "ERR NX and XX, GT or LT options at the same time are not compatible");
		return false;
	}
	if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT))
	{
		AddReplyError(&c->reply, "ERR GT and LT options at the same time are not compatible");
		return false;
	}
	return true;
}

static void
reply_invalid_expire(Client *c)
{
	AddReplyErrorFormat(&c->reply, "ERR invalid expire time in '%s' command", c->cmd->name);
}

/* Whether the flags let an expiry `when` replace `current` (0: none). */
static bool
flags_allow(int flags, int64_t current, long long when)
{
	if ((flags & EXPIRE_NX) && current != 0)
		return false;
	if ((flags & EXPIRE_XX) && current == 0)
		return false;
	/* No expiry counts as infinite: GT never wins over it, LT always does. */
	if ((flags & EXPIRE_GT) && (current == 0 || when <= current))
		return false;
	if ((flags & EXPIRE_LT) && current != 0 && when >= current)
		return false;
	return true;
}

/*
 * Redis's expireGenericCommand: when = argv[2] in `unit_ms` units plus
 * basetime (0 for the *AT forms). A time already past deletes the key.
 */
static void
expire_generic(Client *c, bool relative, long long unit_ms)
{
	CmdTxn t;
	KsValue cur;
	long long when;
	int64_t basetime = relative ? NowMs() : 0;
	int flags;
	KsStatus st;
	bool ok = true;

	if (!parse_expire_flags(c, &flags) || !GetLongLongOrReply(c, 2, &when, NULL))
		return;
	if (unit_ms == 1000)
	{
		if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
		{
			reply_invalid_expire(c);
			return;
		}
		when *= 1000;
	}
	if (when > LLONG_MAX - basetime)
	{
		reply_invalid_expire(c);
		return;
	}

	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	/*
	 * A relative time counts from the command's own clock reading, taken
	 * with its locks: a wait for the key lock must not turn PEXPIRE k 1
	 * into a deletion.
	 */
	if (relative)
		basetime = t.now_ms;
	if (when > LLONG_MAX - basetime)
	{
		CmdWriteAbort(c, &t);
		reply_invalid_expire(c);
		return;
	}
	when += basetime;
	if (!CmdLoadLatest(c, &t, 1, &cur))
	{
		CmdWriteAbort(c, &t);
		KsValueRelease(&cur);
		return;
	}
	if (!cur.exists || !flags_allow(flags, cur.expire_ms, when))
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, 0);
		KsValueRelease(&cur);
		return;
	}
	if (when <= t.now_ms)
		st = KsDelete(c->db, c->argv[1], c->argv_len[1], &cur);
	else
		st = KsPutFlags(c->db, c->argv[1], c->argv_len[1], cur.type, cur.flags, cur.value,
						cur.value_len, when, &cur);
	if (st != KS_OK)
		ok = ReplyKsError(c, st);
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, 1);
	KsValueRelease(&cur);
}

void
ExpireCommand(Client *c)
{
	expire_generic(c, true, 1000);
}

void
PexpireCommand(Client *c)
{
	expire_generic(c, true, 1);
}

void
ExpireatCommand(Client *c)
{
	expire_generic(c, false, 1000);
}

void
PexpireatCommand(Client *c)
{
	expire_generic(c, false, 1);
}

/* TTL and friends: -2 missing, -1 no expiry, else relative or absolute. */
static void
ttl_generic(Client *c, bool output_ms, bool output_abs)
{
	CmdTxn t;
	KsValue v;
	long long ttl = -1;

	if (!CmdReadKey(c, &t, 1, &v))
		return;
	if (CmdReadEnd(c, &t))
	{
		if (!v.exists)
			AddReplyLongLong(&c->reply, -2);
		else if (v.expire_ms == 0)
			AddReplyLongLong(&c->reply, -1);
		else
		{
			ttl = output_abs ? v.expire_ms : v.expire_ms - t.now_ms;
			if (ttl < 0)
				ttl = 0;
			AddReplyLongLong(&c->reply, output_ms ? ttl : (ttl + 500) / 1000);
		}
	}
	KsValueRelease(&v);
}

void
TtlCommand(Client *c)
{
	ttl_generic(c, false, false);
}

void
PttlCommand(Client *c)
{
	ttl_generic(c, true, false);
}

void
ExpiretimeCommand(Client *c)
{
	ttl_generic(c, false, true);
}

void
PexpiretimeCommand(Client *c)
{
	ttl_generic(c, true, true);
}

void
PersistCommand(Client *c)
{
	CmdTxn t;
	KsValue cur;
	KsStatus st;

	if (!CmdWriteBeginKeys(c, &t, 1, 1, 1))
		return;
	if (!CmdLoadLatest(c, &t, 1, &cur))
	{
		CmdWriteAbort(c, &t);
		KsValueRelease(&cur);
		return;
	}
	if (!cur.exists || cur.expire_ms == 0)
	{
		CmdWriteAbort(c, &t);
		AddReplyLongLong(&c->reply, 0);
		KsValueRelease(&cur);
		return;
	}
	st = KsPutFlags(c->db, c->argv[1], c->argv_len[1], cur.type, cur.flags, cur.value,
					cur.value_len, 0, &cur);
	if (st != KS_OK)
	{
		CmdWriteAbort(c, &t);
		ReplyKsError(c, st);
	}
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, 1);
	KsValueRelease(&cur);
}
