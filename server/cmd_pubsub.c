/*
 * cmd_pubsub.c
 *	  SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE
 *	  PUBLISH SPUBLISH PUBSUB, and the delivery of messages into a
 *	  subscribed client's reply buffer.
 *
 * NOTES
 *	  Runs in backends. The shared side (registry, message log, wake-ups)
 *	  is server/pubsub.c; the mechanism is in server/README.md,
 *	  "Publish/subscribe". This file keeps each client's own view of its
 *	  subscriptions in private memory, each valid over a range of log
 *	  positions [since, until): the positions the registry change happened
 *	  at (the cut), so that this view and the publishers' count always
 *	  agree on who receives a message (P2). Takes the pub/sub LWLocks only
 *	  through server/pubsub.c, never across socket I/O.
 */
#include "config.h"

#include "server/pubsub.h"
#include "server/server.h"
#include "server/settings.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/proc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct PubsubSub
{
	PubsubKind	kind;
	bool		active;			/* subscribed now (until is UINT64_MAX) */
	uint64_t	since;			/* first log position it receives */
	uint64_t	until;			/* first position it no longer receives */
	size_t		len;
	char	   *name;
} PubsubSub;

typedef struct PubsubClient
{
	PubsubSub  *subs;			/* in the order they were made */
	int			nsubs;
	int			cap;
	int			active[PUBSUB_SHARD + 1];	/* active subscriptions per kind */
	uint64_t	read_pos;		/* log read up to here */
	char	   *buf;			/* a record copied out of the log */
	size_t		bufcap;
} PubsubClient;

static PubsubClient *
client_state(Client *c)
{
	if (c->pubsub == NULL)
		c->pubsub = MemAllocZero(sizeof(PubsubClient));
	return c->pubsub;
}

bool
PubsubClientSubscribed(const Client *c)
{
	const PubsubClient *p = c->pubsub;

	return p && p->active[PUBSUB_CHANNEL] + p->active[PUBSUB_PATTERN] + p->active[PUBSUB_SHARD] > 0;
}

void
PubsubClientCounts(const Client *c, int *sub, int *psub, int *ssub)
{
	const PubsubClient *p = c->pubsub;

	*sub = p ? p->active[PUBSUB_CHANNEL] : 0;
	*psub = p ? p->active[PUBSUB_PATTERN] : 0;
	*ssub = p ? p->active[PUBSUB_SHARD] : 0;
}

/* CLIENT LIST of other clients reads the counts from the process slot. */
static void
publish_counts(Client *c)
{
	int sub, psub, ssub;

	PubsubClientCounts(c, &sub, &psub, &ssub);
	ProcSlotBeginWrite(MyProc);
	MyProc->sub = sub;
	MyProc->psub = psub;
	MyProc->ssub = ssub;
	ProcSlotEndWrite(MyProc);
}

/* What the (un)subscribe replies count: shard ones apart, as in Redis 7.0. */
static long long
reply_count(const PubsubClient *p, PubsubKind kind)
{
	if (kind == PUBSUB_SHARD)
		return p->active[PUBSUB_SHARD];
	return p->active[PUBSUB_CHANNEL] + p->active[PUBSUB_PATTERN];
}

static PubsubSub *
find_active(PubsubClient *p, PubsubKind kind, const char *name, size_t len)
{
	for (int i = 0; i < p->nsubs; i++)
	{
		PubsubSub *s = &p->subs[i];

		if (s->active && s->kind == kind && s->len == len && memcmp(s->name, name, len) == 0)
			return s;
	}
	return NULL;
}

static void
reply_subscription(Client *c, const char *what, const char *name, size_t len, long long count)
{
	AddReplyPushLen(&c->reply, 3);
	AddReplyBulkCString(&c->reply, what);
	if (name)
		AddReplyBulk(&c->reply, name, len);
	else
		AddReplyNull(&c->reply);
	AddReplyLongLong(&c->reply, count);
}

/* Unsubscribed views the log has been read past can go. */
static void
forget_ended(PubsubClient *p)
{
	int keep = 0;

	for (int i = 0; i < p->nsubs; i++)
	{
		if (!p->subs[i].active && p->subs[i].until <= p->read_pos)
			MemFree(p->subs[i].name);
		else
			p->subs[keep++] = p->subs[i];
	}
	p->nsubs = keep;
}

static bool
covers(const PubsubSub *s, uint64_t pos)
{
	return s->since <= pos && pos < s->until;
}

static void
reply_message(Client *c, const PubsubRecord *rec)
{
	PubsubClient *p = c->pubsub;

	/* channel (or shard channel) subscribers first, then patterns, as Redis sends them */
	for (int i = 0; i < p->nsubs; i++)
	{
		PubsubSub *s = &p->subs[i];

		if (s->kind != rec->kind || !covers(s, rec->pos) || s->len != rec->channel_len ||
			memcmp(s->name, rec->channel, s->len) != 0)
			continue;
		AddReplyPushLen(&c->reply, 3);
		AddReplyBulkCString(&c->reply, rec->kind == PUBSUB_SHARD ? "smessage" : "message");
		AddReplyBulk(&c->reply, rec->channel, rec->channel_len);
		AddReplyBulk(&c->reply, rec->message, rec->message_len);
	}
	if (rec->kind != PUBSUB_CHANNEL)
		return;
	for (int i = 0; i < p->nsubs; i++)
	{
		PubsubSub *s = &p->subs[i];

		if (s->kind != PUBSUB_PATTERN || !covers(s, rec->pos) ||
			!StringMatch(s->name, s->len, rec->channel, rec->channel_len, false))
			continue;
		AddReplyPushLen(&c->reply, 4);
		AddReplyBulkCString(&c->reply, "pmessage");
		AddReplyBulk(&c->reply, s->name, s->len);
		AddReplyBulk(&c->reply, rec->channel, rec->channel_len);
		AddReplyBulk(&c->reply, rec->message, rec->message_len);
	}
}

bool
PubsubDeliver(Client *c)
{
	PubsubClient *p = c->pubsub;
	uint64_t	pos, to;
	long long	limit = server_config->pubsub_output_buffer_limit;

	if (p == NULL || p->nsubs == 0)
		return true;
	if (!PubsubTake(p->read_pos, &pos, &to))
	{
		elog(WARNING, "closing pub/sub client id=%llu addr=%s: it lost messages (one larger than a quarter of pubsub_buffer_size, or it fell more than pubsub_buffer_size behind)",
			 (unsigned long long) c->id, c->addr);
		return false;
	}
	while (pos < to)
	{
		PubsubRecord rec;

		if (!PubsubReadRecord(pos, &rec, &p->buf, &p->bufcap))
		{
			elog(WARNING, "closing pub/sub client id=%llu addr=%s: it fell more than pubsub_buffer_size behind the message log",
				 (unsigned long long) c->id, c->addr);
			return false;
		}
		reply_message(c, &rec);
		pos = rec.next;
		/* Redis: client-output-buffer-limit pubsub, checked as each message is added */
		if (limit > 0 && c->reply.len - c->reply.sent > (size_t) limit)
		{
			elog(WARNING, "closing pub/sub client id=%llu addr=%s for overcoming of output buffer limits: %zu bytes not read, pubsub_output_buffer_limit is %lld",
				 (unsigned long long) c->id, c->addr, c->reply.len - c->reply.sent, limit);
			return false;
		}
	}
	p->read_pos = to;
	forget_ended(p);
	if (p->bufcap > 1024 * 1024)
	{
		MemFree(p->buf);
		p->buf = NULL;
		p->bufcap = 0;
	}
	return true;
}

/* Deliver within a command; a client that lost messages is closed after it. */
static void
deliver_in_command(Client *c)
{
	if (!PubsubDeliver(c))
		c->flags |= CLIENT_CLOSE_NOW;
}

static void
subscribe(Client *c, PubsubKind kind, const char *what)
{
	PubsubClient *p = client_state(c);

	for (int i = 1; i < c->argc; i++)
		if (c->argv_len[i] > PUBSUB_NAME_MAX)
		{
			AddReplyErrorFormat(&c->reply, "ERR %s name too long for tusk (at most %d bytes)",
								kind == PUBSUB_PATTERN ? "pattern" : "channel", PUBSUB_NAME_MAX);
			return;
		}
	for (int i = 1; i < c->argc; i++)
	{
		const char *name = c->argv[i];
		size_t		len = c->argv_len[i];

		if (!find_active(p, kind, name, len))
		{
			uint64_t	cut;
			PubsubSub  *s;

			if (!PubsubRegister(kind, name, len, c->id, p->nsubs == 0, &cut))
			{
				AddReplyErrorFormat(&c->reply, "ERR too many pub/sub subscriptions (pubsub_max_subscriptions is %d)",
									PubsubMaxEntries(server_config->maxclients, server_config->pubsub_max_subscriptions));
				break;
			}
			if (p->nsubs == 0)
				p->read_pos = cut;
			if (p->nsubs == p->cap)
			{
				p->cap = p->cap ? p->cap * 2 : 8;
				p->subs = MemRealloc(p->subs, sizeof(PubsubSub) * (size_t) p->cap);
			}
			s = &p->subs[p->nsubs++];
			s->kind = kind;
			s->active = true;
			s->since = cut;
			s->until = UINT64_MAX;
			s->len = len;
			s->name = MemAlloc(len + 1);
			memcpy(s->name, name, len);
			s->name[len] = '\0';
			p->active[kind]++;
		}
		reply_subscription(c, what, name, len, reply_count(p, kind));
	}
	publish_counts(c);
}

/* End one subscription: after it, no message of it may follow its reply. */
static void
unsubscribe_one(Client *c, PubsubSub *s)
{
	PubsubClient *p = c->pubsub;
	uint64_t	cut;

	PubsubUnregister(s->kind, s->name, s->len, c->id, &cut);
	s->active = false;
	s->until = cut;
	p->active[s->kind]--;
	deliver_in_command(c);		/* everything before the cut, before the reply */
}

static void
unsubscribe(Client *c, PubsubKind kind, const char *what)
{
	PubsubClient *p = client_state(c);

	if (c->argc == 1)
	{
		if (p->active[kind] == 0)
			reply_subscription(c, what, NULL, 0, reply_count(p, kind));
		/* unsubscribe_one may drop ended entries: walk a copy of the names */
		while (p->active[kind] > 0)
		{
			PubsubSub  *s = NULL;
			char	   *name;
			size_t		len;

			for (int i = 0; i < p->nsubs && !s; i++)
				if (p->subs[i].active && p->subs[i].kind == kind)
					s = &p->subs[i];
			len = s->len;
			name = MemStrndup(s->name, len);
			unsubscribe_one(c, s);
			reply_subscription(c, what, name, len, reply_count(p, kind));
			MemFree(name);
		}
	}
	else
	{
		for (int i = 1; i < c->argc; i++)
		{
			PubsubSub  *s = find_active(p, kind, c->argv[i], c->argv_len[i]);

			if (s)
				unsubscribe_one(c, s);
			reply_subscription(c, what, c->argv[i], c->argv_len[i], reply_count(p, kind));
		}
	}
	publish_counts(c);
}

/* RESET, and a client that leaves: no replies. */
void
PubsubClientReset(Client *c)
{
	PubsubClient *p = c->pubsub;

	if (p == NULL)
		return;
	PubsubUnregisterAll();
	for (int i = 0; i < p->nsubs; i++)
		MemFree(p->subs[i].name);
	MemFree(p->subs);
	MemFree(p->buf);
	MemFree(p);
	c->pubsub = NULL;
	publish_counts(c);
}

void
SubscribeCommand(Client *c)
{
	subscribe(c, PUBSUB_CHANNEL, "subscribe");
}

void
PsubscribeCommand(Client *c)
{
	subscribe(c, PUBSUB_PATTERN, "psubscribe");
}

void
SsubscribeCommand(Client *c)
{
	/* Redis 7.0 refuses it inside EXEC (a "deny blocking" client) */
	if (CmdExecActive())
	{
		AddReplyError(&c->reply, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
		return;
	}
	subscribe(c, PUBSUB_SHARD, "ssubscribe");
}

void
UnsubscribeCommand(Client *c)
{
	unsubscribe(c, PUBSUB_CHANNEL, "unsubscribe");
}

void
PunsubscribeCommand(Client *c)
{
	unsubscribe(c, PUBSUB_PATTERN, "punsubscribe");
}

void
SunsubscribeCommand(Client *c)
{
	unsubscribe(c, PUBSUB_SHARD, "sunsubscribe");
}

static void
publish(Client *c, PubsubKind kind)
{
	long long	n = PubsubPublish(kind, c->argv[1], c->argv_len[1], c->argv[2], c->argv_len[2]);

	/* a subscriber that publishes (RESP3) gets its own messages before the count */
	if (PubsubClientSubscribed(c))
		deliver_in_command(c);
	AddReplyLongLong(&c->reply, n);
}

void
PublishCommand(Client *c)
{
	publish(c, PUBSUB_CHANNEL);
}

void
SpublishCommand(Client *c)
{
	publish(c, PUBSUB_SHARD);
}

static const char *const pubsub_help[] = {
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
	NULL
};

void
PubsubHelpCommand(Client *c)
{
	int			n = 0;

	while (pubsub_help[n])
		n++;
	AddReplyArrayLen(&c->reply, n);
	for (int i = 0; i < n; i++)
		AddReplyStatus(&c->reply, pubsub_help[i]);
}

typedef struct ChannelsArg
{
	Client	   *c;
	const char *pattern;		/* NULL: all */
	size_t		plen;
	long long	n;
} ChannelsArg;

static void
add_channel(const char *name, size_t len, void *arg)
{
	ChannelsArg *a = arg;

	if (a->pattern && !StringMatch(a->pattern, a->plen, name, len, false))
		return;
	AddReplyBulk(&a->c->reply, name, len);
	a->n++;
}

static void
channels(Client *c, PubsubKind kind)
{
	ChannelsArg a = {c, NULL, 0, 0};
	size_t		handle;

	if (c->argc > 3)
	{
		/* the subcommand as the client spelled it, as Redis says it */
		AddReplyErrorFormat(&c->reply, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try PUBSUB HELP.",
							c->argv[1]);
		return;
	}
	if (c->argc == 3)
	{
		a.pattern = c->argv[2];
		a.plen = c->argv_len[2];
	}
	handle = AddReplyDeferredLen(&c->reply);
	PubsubVisitNames(kind, add_channel, &a);
	SetDeferredArrayLen(&c->reply, handle, a.n);
}

static void
numsub(Client *c, PubsubKind kind)
{
	AddReplyArrayLen(&c->reply, (long long) (c->argc - 2) * 2);
	for (int i = 2; i < c->argc; i++)
	{
		AddReplyBulk(&c->reply, c->argv[i], c->argv_len[i]);
		AddReplyLongLong(&c->reply, PubsubCountSubscribers(kind, c->argv[i], c->argv_len[i]));
	}
}

void
PubsubChannelsCommand(Client *c)
{
	channels(c, PUBSUB_CHANNEL);
}

void
PubsubShardchannelsCommand(Client *c)
{
	channels(c, PUBSUB_SHARD);
}

void
PubsubNumsubCommand(Client *c)
{
	numsub(c, PUBSUB_CHANNEL);
}

void
PubsubShardnumsubCommand(Client *c)
{
	numsub(c, PUBSUB_SHARD);
}

void
PubsubNumpatCommand(Client *c)
{
	AddReplyLongLong(&c->reply, PubsubVisitNames(PUBSUB_PATTERN, NULL, NULL));
}
