/*
 * cmd_client.c
 *	  CLIENT subcommands.
 *
 * NOTES
 *	  Other clients live in other processes: CLIENT LIST reads their
 *	  process slots under each slot's change counter (storage/proc.h), and
 *	  CLIENT KILL sends the owning backend SIGTERM, which it handles between
 *	  commands, and replies once the backend has let go of the client (at
 *	  most 1 s later). This client's own line is built from its private
 *	  state so that it is exact.
 *
 *	  CLIENT PAUSE sets an end time and a mode in shared memory; every
 *	  backend checks them before it runs a command (ProcessCommand) and
 *	  sleeps while the pause covers the command: every command in ALL mode
 *	  (CLIENT UNPAUSE too, as in Redis), in WRITE mode the ones that write
 *	  or may replicate (PFCOUNT, PUBLISH, EVAL) and an EXEC whose queue
 *	  holds one. A new pause keeps the later end and the stricter mode.
 *	  Unlike Redis, the expiry sweep does not stop meanwhile (an expired
 *	  key is invisible to every command anyway).
 */
#include "config.h"

#include "server/server.h"
#include "server/util.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include <stdatomic.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

bool		ClientSetName(Client *c, const char *name, size_t len);

#define PAUSE_WRITE 1
#define PAUSE_ALL	2

typedef struct ClientPauseShared
{
	_Atomic int64_t end_ms;		/* unix ms; the pause is over at or after it */
	_Atomic int mode;			/* PAUSE_WRITE or PAUSE_ALL */
} ClientPauseShared;

static ClientPauseShared *client_pause;

size_t
ClientPauseShmemSize(void)
{
	return sizeof(ClientPauseShared);
}

void
ClientPauseShmemInit(void)
{
	client_pause = ShmemAlloc(sizeof(ClientPauseShared));
}

bool
ClientPauseCovers(const Client *c, const Command *cmd)
{
	int			mode;
	int64_t		end;

	/* every command passes here: no clock read unless a pause was set */
	if (client_pause == NULL || (end = atomic_load(&client_pause->end_ms)) == 0)
		return false;
	if (end <= NowMs())
	{
		/* over: clear it, unless a new pause replaced it meanwhile */
		atomic_compare_exchange_strong(&client_pause->end_ms, &end, 0);
		return false;
	}
	mode = atomic_load(&client_pause->mode);
	if (mode == PAUSE_ALL)
		return true;
	if (cmd->proc == ExecCommand)
		return MultiQueueWrites(c);
	return (cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
}

/* CLIENT PAUSE timeout [WRITE|ALL] */
void
ClientPauseCommand(Client *c)
{
	long long	timeout;
	int			mode = PAUSE_ALL;
	int64_t		end,
				cur;

	if (c->argc > 4)
	{
		AddReplyErrorFormat(&c->reply, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CLIENT HELP.",
							(int) c->argv_len[1], c->argv[1]);
		return;
	}
	if (!StringToLongLong(c->argv[2], c->argv_len[2], &timeout))
	{
		AddReplyError(&c->reply, "ERR timeout is not an integer or out of range");
		return;
	}
	if (timeout < 0)
	{
		AddReplyError(&c->reply, "ERR timeout is negative");
		return;
	}
	if (c->argc == 4)
	{
		if (ArgEquals(c, 3, "write"))
			mode = PAUSE_WRITE;
		else if (!ArgEquals(c, 3, "all"))
		{
			AddReplyError(&c->reply, "ERR CLIENT PAUSE mode must be WRITE or ALL");
			return;
		}
	}
	end = timeout > INT64_MAX - NowMs() ? INT64_MAX : NowMs() + timeout;
	/* a running pause keeps the stricter mode and the later end */
	if (atomic_load(&client_pause->end_ms) > NowMs())
	{
		if (atomic_load(&client_pause->mode) > mode)
			mode = atomic_load(&client_pause->mode);
	}
	atomic_store(&client_pause->mode, mode);
	cur = atomic_load(&client_pause->end_ms);
	while (cur < end && !atomic_compare_exchange_weak(&client_pause->end_ms, &cur, end))
		;
	AddReplyOk(&c->reply);
}

void
ClientUnpauseCommand(Client *c)
{
	atomic_store(&client_pause->end_ms, 0);
	AddReplyOk(&c->reply);
}

static const char *const client_help[] = {
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are: ID <client-id>, TYPE normal, USER default,",
	"    ADDR <ip:port>, LADDR <ip:port>, SKIPME (yes|no).",
	"LIST [TYPE normal] [ID <client-id> [<client-id> ...]]",
	"    Return information about client connections.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect the current client connection from eviction (tusk evicts no clients).",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"HELP",
	"    Print this help.",
	NULL
};

void
ClientHelpCommand(Client *c)
{
	AddReplyHelp(&c->reply, client_help);
}

void
ClientIdCommand(Client *c)
{
	AddReplyLongLong(&c->reply, (long long) c->id);
}

void
ClientSetnameCommand(Client *c)
{
	if (ClientSetName(c, c->argv[2], c->argv_len[2]))
		AddReplyOk(&c->reply);
}

void
ClientGetnameCommand(Client *c)
{
	if (c->name)
		AddReplyBulkCString(&c->reply, c->name);
	else
		AddReplyNull(&c->reply);
}

/* One CLIENT LIST line, in Redis 7.0's field order, plus our pid. */
static int
format_line(char *out, size_t outlen, const ProcSlot *s, bool self, const Client *c)
{
	int64_t now = NowMs();
	const char *name = self ? (c->name ? c->name : "") : s->name;
	const char *cmd = self ? c->cmd->name : (s->cmd[0] ? s->cmd : "NULL");
	int64_t last = self ? c->last_interaction_ms : s->last_interaction_ms;
	bool unix_socket = s->laddr[0] == '/';
	uint64_t qbuf = self ? c->qbuf_len - c->qbuf_pos : s->qbuf;
	uint64_t qbuf_free = self ? c->qbuf_cap - c->qbuf_len : s->qbuf_free;
	int multi = self ? MultiQueuedCount(c) : s->multi;
	int sub = s->sub, psub = s->psub, ssub = s->ssub;
	char flags[8];

	if (self)
		PubsubClientCounts(c, &sub, &psub, &ssub);
	/*
	 * Redis's letters in Redis's order: P subscribed, x in MULTI, b
	 * blocked, U on a unix socket, else N. A client asks about itself only
	 * when not blocked.
	 */
	snprintf(flags, sizeof(flags), "%s%s%s%s", sub + psub + ssub > 0 ? "P" : "",
			 multi >= 0 ? "x" : "", !self && s->blocked ? "b" : "", unix_socket ? "U" : "");
	if (flags[0] == '\0')
		strcpy(flags, "N");

	return snprintf(out, outlen,
					"id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s "
					"db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%llu qbuf-free=%llu argv-mem=0 "
					"multi-mem=0 rbs=%llu rbp=0 obl=0 oll=0 omem=0 tot-mem=%llu events=r "
					"cmd=%s user=default redir=-1 resp=%d pid=%d\n",
					(unsigned long long) s->client_id, s->addr, s->laddr, s->fd, name,
					(long long) ((now - s->connect_time_ms) / 1000),
					(long long) ((now - last) / 1000),
					flags,
					self ? c->db : s->db, sub, psub, ssub, multi,
					(unsigned long long) qbuf, (unsigned long long) qbuf_free,
					(unsigned long long) (qbuf + qbuf_free),
					(unsigned long long) (qbuf + qbuf_free + s->omem),
					cmd, self ? c->resp : s->resp, s->pid);
}

void
ClientFormatInfoLine(const void *slot, char *out, size_t outlen)
{
	format_line(out, outlen, slot, false, NULL);
}

/* Redis's client types that tusk has: a client subscribed to anything is "pubsub" */
#define CLIENT_TYPE_ANY		-1
#define CLIENT_TYPE_NORMAL	0
#define CLIENT_TYPE_PUBSUB	1

static int
client_type(const ProcSlot *s)
{
	return s->sub + s->psub + s->ssub > 0 ? CLIENT_TYPE_PUBSUB : CLIENT_TYPE_NORMAL;
}

static bool
append_client(ReplyBuf *out, int slotno, const Client *c)
{
	ProcSlot copy;
	char line[1024];
	int n;
	bool self;

	if (!ProcSlotRead(slotno, &copy) || copy.kind != PROC_KIND_BACKEND || copy.client_id == 0)
		return false;
	self = &proc_array->slots[slotno] == c->slot;
	n = format_line(line, sizeof(line), &copy, self, c);
	if (n > (int) sizeof(line) - 1)
		n = sizeof(line) - 1;
	ReplyAppend(out, line, (size_t) n);
	return true;
}

static void
reply_text(Client *c, ReplyBuf *text)
{
	AddReplyVerbatim(&c->reply, text->data ? text->data : "", text->len, "txt");
}

void
ClientInfoCommand(Client *c)
{
	ReplyBuf text;

	ReplyInit(&text);
	append_client(&text, (int) (c->slot - proc_array->slots), c);
	reply_text(c, &text);
	ReplyFree(&text);
}

void
ClientListCommand(Client *c)
{
	ReplyBuf text;
	long long *ids = NULL;
	int nids = 0;
	bool type_matches = true;
	int type = CLIENT_TYPE_ANY;

	if (c->argc == 4 && ArgEquals(c, 2, "type"))
	{
		if (ArgEquals(c, 3, "normal"))
			type = CLIENT_TYPE_NORMAL;
		else if (ArgEquals(c, 3, "pubsub"))
			type = CLIENT_TYPE_PUBSUB;
		else if (ArgEquals(c, 3, "master") || ArgEquals(c, 3, "replica") ||
				 ArgEquals(c, 3, "slave"))
			type_matches = false;	/* tusk has none of these yet */
		else
		{
			AddReplyErrorFormat(&c->reply, "ERR Unknown client type '%s'", c->argv[3]);
			return;
		}
	}
	else if (c->argc > 3 && ArgEquals(c, 2, "id"))
	{
		ids = MemAlloc(sizeof(long long) * (size_t) (c->argc - 3));
		for (int j = 3; j < c->argc; j++)
		{
			long long id;

			/* Redis 7.0 takes any integer; 0 and negatives match nobody */
			if (!StringToLongLong(c->argv[j], c->argv_len[j], &id))
			{
				AddReplyError(&c->reply, "ERR Invalid client ID");
				MemFree(ids);
				return;
			}
			ids[nids++] = id;
		}
	}
	else if (c->argc != 2)
	{
		ReplySyntaxError(c);
		return;
	}

	ReplyInit(&text);
	if (type_matches)
	{
		for (int i = 0, n = ProcArrayHighWater(); i < n; i++)
		{
			if (type != CLIENT_TYPE_ANY)
			{
				ProcSlot copy;

				if (!ProcSlotRead(i, &copy) || client_type(&copy) != type)
					continue;
			}
			if (ids)
			{
				ProcSlot copy;
				bool wanted = false;

				if (!ProcSlotRead(i, &copy))
					continue;
				for (int k = 0; k < nids; k++)
					if ((uint64_t) ids[k] == copy.client_id)
						wanted = true;
				if (!wanted)
					continue;
			}
			append_client(&text, i, c);
		}
	}
	reply_text(c, &text);
	ReplyFree(&text);
	MemFree(ids);
}

typedef struct KillFilter
{
	long long	id;				/* 0: any */
	const char *addr;
	const char *laddr;
	bool		skipme;
	bool		type_none;		/* TYPE master/replica: matches nobody */
	int			type;			/* CLIENT_TYPE_* */
} KillFilter;

static bool
filter_matches(const KillFilter *f, const ProcSlot *s, bool self)
{
	if (f->type_none)
		return false;
	if (f->type != CLIENT_TYPE_ANY && client_type(s) != f->type)
		return false;
	if (f->skipme && self)
		return false;
	if (f->id && (uint64_t) f->id != s->client_id)
		return false;
	if (f->addr && strcmp(f->addr, s->addr) != 0)
		return false;
	if (f->laddr && strcmp(f->laddr, s->laddr) != 0)
		return false;
	return true;
}

/*
 * Redis drops a killed client at once: CLIENT LIST and INFO right after
 * CLIENT KILL no longer show it. Here each is another process, which
 * handles its SIGTERM when it runs; wait (at most 1 s) until every one has
 * let go of its client.
 */
typedef struct KilledClient
{
	int			slotno;
	uint64_t	client_id;
} KilledClient;

static void
wait_clients_gone(const KilledClient *killed, int n)
{
	struct timespec one_ms = {0, 1000 * 1000};

	for (int waited = 0; waited < 1000; waited++)
	{
		bool all_gone = true;

		for (int k = 0; k < n && all_gone; k++)
			all_gone = __atomic_load_n(&proc_array->slots[killed[k].slotno].client_id,
									   __ATOMIC_RELAXED) != killed[k].client_id;
		if (all_gone)
			return;
		nanosleep(&one_ms, NULL);
	}
}

void
ClientKillCommand(Client *c)
{
	KillFilter f;
	int killed = 0;
	bool old_style = c->argc == 3;
	KilledClient *signalled;
	int nsignalled = 0;

	memset(&f, 0, sizeof(f));
	f.type = CLIENT_TYPE_ANY;
	if (old_style)
	{
		f.addr = c->argv[2];
		f.skipme = false;
	}
	else
	{
		if ((c->argc - 2) % 2 != 0)
		{
			ReplySyntaxError(c);
			return;
		}
		f.skipme = true;
		for (int i = 2; i < c->argc; i += 2)
		{
			const char *val = c->argv[i + 1];

			if (ArgEquals(c, i, "id"))
			{
				if (!StringToLongLong(val, c->argv_len[i + 1], &f.id) || f.id <= 0)
				{
					AddReplyError(&c->reply, "ERR client-id should be greater than 0");
					return;
				}
			}
			else if (ArgEquals(c, i, "type"))
			{
				if (ArgEquals(c, i + 1, "normal"))
					f.type = CLIENT_TYPE_NORMAL;
				else if (ArgEquals(c, i + 1, "pubsub"))
					f.type = CLIENT_TYPE_PUBSUB;
				else if (ArgEquals(c, i + 1, "master") || ArgEquals(c, i + 1, "replica") ||
						 ArgEquals(c, i + 1, "slave"))
					f.type_none = true;
				else
				{
					AddReplyErrorFormat(&c->reply, "ERR Unknown client type '%s'", val);
					return;
				}
			}
			else if (ArgEquals(c, i, "addr"))
				f.addr = val;
			else if (ArgEquals(c, i, "laddr"))
				f.laddr = val;
			else if (ArgEquals(c, i, "user"))
			{
				if (strcmp(val, "default") != 0)
				{
					AddReplyErrorFormat(&c->reply, "ERR No such user '%s'", val);
					return;
				}
			}
			else if (ArgEquals(c, i, "skipme"))
			{
				if (ArgEquals(c, i + 1, "yes"))
					f.skipme = true;
				else if (ArgEquals(c, i + 1, "no"))
					f.skipme = false;
				else
				{
					ReplySyntaxError(c);
					return;
				}
			}
			else
			{
				ReplySyntaxError(c);
				return;
			}
		}
	}

	signalled = MemAlloc(sizeof(KilledClient) * (size_t) (ProcArrayHighWater() + 1));
	for (int i = 0, n = ProcArrayHighWater(); i < n; i++)
	{
		ProcSlot copy;
		bool self = &proc_array->slots[i] == c->slot;

		if (!ProcSlotRead(i, &copy) || copy.kind != PROC_KIND_BACKEND || copy.client_id == 0)
			continue;
		if (!filter_matches(&f, &copy, self))
			continue;
		if (self)
			c->flags |= CLIENT_CLOSE_AFTER_REPLY;
		else
		{
			/* the slot may have been reused since we copied it */
			if (proc_array->slots[i].client_id != copy.client_id)
				continue;
			if (copy.muxed)
			{
				/*
				 * A client of a shared backend: only it goes. Its backend
				 * closes it between commands; when that is this process,
				 * right after this one, so there is nothing to wait for.
				 */
				atomic_store(&proc_array->slots[i].kill_client_id, copy.client_id);
				if (copy.pid == getpid())
				{
					/* held back until this process next sleeps: then it goes */
					kill(getpid(), SIGUSR1);
					killed++;
					continue;
				}
				kill(copy.pid, SIGUSR1);
			}
			else
				kill(copy.pid, SIGTERM);
			signalled[nsignalled].slotno = i;
			signalled[nsignalled++].client_id = copy.client_id;
		}
		killed++;
	}
	wait_clients_gone(signalled, nsignalled);
	MemFree(signalled);
	if (old_style)
	{
		if (killed == 0)
			AddReplyError(&c->reply, "ERR No such client");
		else
			AddReplyOk(&c->reply);
	}
	else
		AddReplyLongLong(&c->reply, killed);
}

/* Accepted for clients that set it: tusk never evicts a client. */
void
ClientNoEvictCommand(Client *c)
{
	if (ArgEquals(c, 2, "on") || ArgEquals(c, 2, "off"))
		AddReplyOk(&c->reply);
	else
		ReplySyntaxError(c);
}

/* ON replies OK; OFF and SKIP reply nothing (commands.c drops the replies). */
void
ClientReplyCommand(Client *c)
{
	if (ArgEquals(c, 2, "on"))
	{
		c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT);
		AddReplyOk(&c->reply);
	}
	else if (ArgEquals(c, 2, "off"))
		c->flags |= CLIENT_REPLY_OFF;
	else if (ArgEquals(c, 2, "skip"))
	{
		if (!(c->flags & CLIENT_REPLY_OFF))
			c->flags |= CLIENT_REPLY_SKIP_NEXT;
	}
	else
		ReplySyntaxError(c);
}
