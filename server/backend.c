/*
 * backend.c
 *	  The backend process: read requests from one client socket, run them,
 *	  write the replies.
 *
 * NOTES
 *	  Runs in a child forked by the postmaster, which has already assigned
 *	  this process its slot in the process array. A backend serves one
 *	  client at a time; when that client is done and left nothing behind
 *	  (no pins, locks or critical section), the process goes back to the
 *	  postmaster's pool and may be handed the next connection's socket
 *	  (BackendMain), up to BACKEND_MAX_CLIENTS clients. With one socket at a
 *	  time it needs no event loop: it blocks in read(2), runs every
 *	  complete request it got, and writes the replies of the batch with one
 *	  blocking write(2). That is two system calls per request where an epoll
 *	  loop needs three (measured: server/README.md). The socket's receive
 *	  timeout (1 s) wakes the loop for the idle timeout; SIGTERM (shutdown,
 *	  CLIENT KILL) is installed without SA_RESTART, so it interrupts a
 *	  blocked read or write and the backend exits between commands, never
 *	  inside one. A client that does not read its replies blocks only its
 *	  own backend, and cannot grow our memory past one batch.
 */
#include "config.h"

#include "server/backend.h"
#include "server/blocking.h"
#include "server/txn.h"
#include "server/handoff.h"
#include "server/pubsub.h"
#include "server/settings.h"
#include "server/ps_status.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/bufmgr.h"
#include "storage/elog.h"
#include "storage/lwlock.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/stats.h"
#include "wal/xlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)

Client	   *current_client;
static volatile sig_atomic_t die_requested;

/*
 * The client's socket while a request of it is being served and its
 * reply not written yet (-1 otherwise): if the server restarts meanwhile,
 * the client is told (tell_client_restart).
 */
static volatile sig_atomic_t reply_owed_fd = -1;
static volatile sig_atomic_t serving_fd = -1;

static void backend_exit(Client *c, int status) __attribute__((noreturn));

/*
 * Reuse (see BackendMain): the channel to the postmaster, -1 when this
 * process serves one client only; where backend_exit goes when a client
 * is done; how many clients this process has served.
 */
static int	backend_chan = -1;
static jmp_buf client_done;
static int	clients_served;

#define BACKEND_MAX_CLIENTS 1000	/* then exit: bounds what a leak can cost */
#define BACKEND_POOL_IDLE_S 60		/* idle in the pool this long: exit */

/* May this process go back to the pool after its client is done? */
static bool
reuse_allowed(void)
{
	return backend_chan >= 0 && !die_requested && clients_served < BACKEND_MAX_CLIENTS &&
		BufPinCount() == 0 && LWLockHeldCount() == 0 &&
		atomic_load(&MyProc->critical_section) == 0 && atomic_load(&MyProc->in_storage) == 0;
}

static void
format_address(const struct sockaddr_storage *ss, bool unix_socket, const char *unix_path,
			   char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (unix_socket)
	{
		snprintf(out, outlen, "%.100s:0", unix_path);
		return;
	}
	if (ss->ss_family == AF_INET)
	{
		const struct sockaddr_in *s4 = (const struct sockaddr_in *) ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%d", host, ntohs(s4->sin_port));
	}
	else
	{
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *) ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%d", host, ntohs(s6->sin6_port));
	}
}

static char title_prefix[192];
static size_t title_prefix_len;
static int	title_db = -1;

/* strlcpy: these run twice per command, where snprintf's parsing shows */
static void
copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Publish what CLIENT LIST shows and update the process title. Called when
 * a command starts (cmdname) and when the client goes idle (NULL).
 */
void
ClientPublish(Client *c, const char *cmdname)
{
	ProcSlot *slot = c->slot;

	ProcSlotBeginWrite(slot);
	slot->db = c->db;
	slot->resp = c->resp;
	slot->last_interaction_ms = c->last_interaction_ms;
	slot->qbuf = c->qbuf_len - c->qbuf_pos;
	slot->qbuf_free = c->qbuf_cap - c->qbuf_len;
	slot->omem = c->reply.cap;
	slot->multi = MultiQueuedCount(c);
	slot->in_command = cmdname != NULL;
	if (cmdname)
		copy_bounded(slot->cmd, sizeof(slot->cmd), cmdname);
	copy_bounded(slot->name, sizeof(slot->name), c->name ? c->name : "");
	ProcSlotEndWrite(slot);
	if (c->flags & CLIENT_SHARED)
		return;					/* a shared backend's title counts clients */

	/* the title's prefix changes only with the database: format it then */
	if (c->db != title_db)
	{
		int n = snprintf(title_prefix, sizeof(title_prefix), "tusk: backend %s db%d ",
						 c->addr, c->db);

		title_prefix_len = n < 0 ? 0 : (size_t) n < sizeof(title_prefix) ? (size_t) n : sizeof(title_prefix) - 1;
		title_db = c->db;
	}
	if (cmdname == NULL)
		cmdname = "idle";
	PsStatusSetParts(title_prefix, title_prefix_len, cmdname, strlen(cmdname));
}

/* Write all of data to the client, or leave through backend_exit. */
static void
write_all(Client *c, const char *data, size_t len)
{
	/*
	 * A client that has not authenticated and does not read its replies
	 * is disconnected once the socket is full, rather than holding this
	 * process (Redis closes it past a small output buffer).
	 */
	bool unauthenticated = !c->authenticated && server_config->requirepass[0] != '\0';

	while (len > 0)
	{
		ssize_t n = unauthenticated ? send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL)
			: write(c->fd, data, len);

		if (n < 0 && unauthenticated && (errno == EAGAIN || errno == EWOULDBLOCK))
		{
			elog(VERBOSE, "closing unauthenticated client %s that does not read its replies", c->addr);
			backend_exit(c, 0);
		}

		if (n > 0)
		{
			data += n;
			len -= (size_t) n;
			continue;
		}
		if (n < 0 && errno == EINTR)
		{
			if (die_requested)
				backend_exit(c, 0);
			continue;
		}
		elog(VERBOSE, "error writing to client: %m");
		backend_exit(c, 0);
	}
}

/*
 * Before writing to the socket: a reply handed to the walwriter goes out
 * first (server/handoff.c). If wait, sleep until the walwriter is done with
 * it; either way, write what it gave back unsent.
 */
static void
settle_handoff(Client *c, bool wait)
{
	const char *rest;
	size_t rest_len;

	if (HandoffSettle(c, wait, &rest, &rest_len))
	{
		HandoffSettleDone(c);	/* before writing: backend_exit settles too */
		write_all(c, rest, rest_len);
	}
}

static void
backend_exit(Client *c, int status)
{
	LWLockReleaseAll();
	PubsubClientReset(c);
	BlockClientDone();
	if (c->fd >= 0)
	{
		/* a reply still with the walwriter leaves before the connection closes */
		if (!die_requested)
			settle_handoff(c, true);
		HandoffClientDone(c);
		reply_owed_fd = -1;
		serving_fd = -1;
		close(c->fd);
	}
	c->fd = -1;
	if (status == 0 && reuse_allowed())
		longjmp(client_done, 1);
	exit(status);
}

/* ---- pub/sub: a subscribed client (see "Publish/subscribe" in README.md) ---- */

/*
 * Send what the socket takes of c's replies now, without blocking, and
 * if count, count what went out (total_net_output_bytes). Returns 1 when
 * all is out (the buffer is reset), 0 when the socket is full (a large
 * sent part is dropped from the buffer), -1 when the client is gone.
 */
int
BackendSendSome(Client *c, bool count)
{
	ReplyBuf *r = &c->reply;

	while (r->sent < r->len)
	{
		ssize_t n = send(c->fd, r->data + r->sent, r->len - r->sent, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
		{
			size_t		skip = (size_t) n < c->reply_counted ? (size_t) n : c->reply_counted;

			/* not what a shared backend counted before the client moved here */
			c->reply_counted -= skip;
			if (count && (size_t) n > skip)
				StatsNetOutput((uint64_t) ((size_t) n - skip));
			r->sent += (size_t) n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		{
			if (r->sent > 64 * 1024 && r->sent > r->len / 2)
			{
				memmove(r->data, r->data + r->sent, r->len - r->sent);
				r->len -= r->sent;
				r->sent = 0;
			}
			return 0;
		}
		return -1;
	}
	ReplyReset(r);
	if (r->cap > 1024 * 1024)
		ReplyFree(r);
	return 1;
}

/*
 * Write what the socket takes and keep the rest: a subscriber that
 * does not read must not stop this process from taking its messages out
 * of the shared log (PubsubDeliver enforces the output limit).
 */
static void
write_some(Client *c)
{
	if (BackendSendSome(c, true) < 0)
	{
		elog(VERBOSE, "error writing to client: %m");
		backend_exit(c, 0);
	}
}

static void
on_sigusr2(int sig)
{
	/* a publisher's wake-up: only interrupts ppoll */
}

/*
 * Instead of blocking in read(2): sleep in ppoll on the socket (and on
 * POLLOUT while replies wait) with SIGUSR2 unblocked, which is a
 * publisher's wake-up; it is blocked everywhere else, so one sent after
 * our last look (PubsubArm, then PubsubPending) is pending and ends the
 * ppoll at once (no lost wake-up). Returns when the socket has input.
 */
static void
wait_subscribed(Client *c)
{
	sigset_t	unblocked;

	sigemptyset(&unblocked);
	while (PubsubClientSubscribed(c) || c->reply.sent < c->reply.len)
	{
		struct pollfd pfd = {c->fd, POLLIN, 0};
		struct timespec one_second = {1, 0};
		int			n = 0;
		bool		pending;

		if (!PubsubClientSubscribed(c))
		{
			/* unsubscribed with replies unsent: the usual blocking write */
			write_all(c, c->reply.data + c->reply.sent, c->reply.len - c->reply.sent);
			ReplyReset(&c->reply);
			return;
		}
		if (c->reply.sent < c->reply.len)
			pfd.events |= POLLOUT;
		PubsubArm();
		pending = PubsubPending();
		if (!pending)
			n = ppoll(&pfd, 1, &one_second, &unblocked);
		PubsubDisarm();
		if (die_requested)
			backend_exit(c, 0);
		if (!PubsubDeliver(c))
			backend_exit(c, 0);
		if (c->reply.sent < c->reply.len)
			write_some(c);
		if (n > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			return;
		if (n == 0 && !pending)
			settle_handoff(c, false);	/* a reply the walwriter gave back */
	}
}

/*
 * Count the replies about to be written (total_net_output_bytes), but
 * not those a shared backend counted before the client moved here.
 */
static void
count_output(Client *c)
{
	ReplyBuf   *r = &c->reply;
	size_t		n = r->len > r->sent ? r->len - r->sent : 0;

	n = n > c->reply_counted ? n - c->reply_counted : 0;
	c->reply_counted = 0;
	if (n > 0)
		StatsNetOutput((uint64_t) n);
}

static void
flush_reply(Client *c)
{
	ReplyBuf *r = &c->reply;
	XLogRecPtr lsn = c->durable_lsn;

	if (PubsubClientSubscribed(c) && (c->flags & CLIENT_CLOSE_AFTER_REPLY))
	{
		/*
		 * QUIT: it leaves, so it stops counting now, before the usual
		 * blocking write of what it has not read (which a client that
		 * reads nothing may hold up, but no longer as a subscriber).
		 * Messages not yet taken from the log are dropped.
		 */
		PubsubClientReset(c);
	}
	if (PubsubClientSubscribed(c))
	{
		/* no hand-off: messages may be waiting unsent ahead of the reply */
		settle_handoff(c, true);
		c->durable_lsn = InvalidXLogRecPtr;
		if (lsn != InvalidXLogRecPtr && lsn > XLogGetFlushPosition())
			(void) XLogFlush(lsn);
		write_some(c);
		return;
	}

	/*
	 * Counted before writing, so that a client that has its reply finds it
	 * counted; bytes a failed write could not send are counted too.
	 */
	count_output(c);
	settle_handoff(c, true);
	c->durable_lsn = InvalidXLogRecPtr;
	/*
	 * No reply may rest on WAL that is not durable (DESIGN.md section 4):
	 * hand it to the walwriter when a flush is under way anyway, else
	 * flush (or join the flush) here.
	 */
	if (lsn != InvalidXLogRecPtr && lsn > XLogGetFlushPosition())
	{
		if (HandoffReply(c, r->data + r->sent, r->len - r->sent, lsn,
						 HANDOFF_MAY_ALONE | HANDOFF_MAY_OVERLAP))
			r->sent = r->len;
		else
			(void) XLogFlush(lsn);	/* failures inside are PANIC */
	}
	write_all(c, r->data + r->sent, r->len - r->sent);
	ReplyReset(r);
	/* do not hold on to a huge buffer after a huge reply */
	if (r->cap > 1024 * 1024)
		ReplyFree(r);
	if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
		backend_exit(c, 0);
}

void
BackendSendPending(Client *c)
{
	ReplyBuf   *r = &c->reply;
	XLogRecPtr	lsn = c->durable_lsn;

	if (r->len <= r->sent)
		return;
	count_output(c);
	settle_handoff(c, true);
	c->durable_lsn = InvalidXLogRecPtr;
	/* not handed off: the blocking command is about to sleep anyway */
	if (lsn != InvalidXLogRecPtr && lsn > XLogGetFlushPosition())
		(void) XLogFlush(lsn);	/* failures inside are PANIC */
	write_all(c, r->data + r->sent, r->len - r->sent);
	r->sent = r->len;			/* the buffer keeps its offsets for ProcessCommand */
}

/*
 * SIGUSR1 is blocked except inside this ppoll, so a wake-up sent after
 * the last look at *woken is pending when ppoll starts and ends it at
 * once; SIGTERM is held back the same way around the look at
 * die_requested. Neither can be lost between the look and the sleep.
 */
BackendSleepResult
BackendSleep(Client *c, int64_t until_us, const _Atomic uint32_t *woken)
{
	BackendSleepResult result = BACKEND_SLEEP_WOKEN;
	struct pollfd pfd = {c->fd, POLLRDHUP, 0};
	sigset_t	hold, old, during;
	int64_t		left;

	sigemptyset(&hold);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGINT);
	sigprocmask(SIG_BLOCK, &hold, &old);
	during = old;
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	sigdelset(&during, SIGUSR1);
	left = until_us - MonotonicUs();
	if (die_requested)
		result = BACKEND_SLEEP_GONE;
	else if (atomic_load(woken))
		result = BACKEND_SLEEP_WOKEN;
	else if (left <= 0)
		result = BACKEND_SLEEP_TIMEOUT;
	else
	{
		struct timespec ts = {(time_t) (left / 1000000), (long) (left % 1000000) * 1000};
		int			rc = ppoll(&pfd, 1, &ts, &during);

		if (rc > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			result = BACKEND_SLEEP_GONE;	/* the client hung up */
		else if (rc < 0 && die_requested)
			result = BACKEND_SLEEP_GONE;
		else if (rc == 0)
			result = BACKEND_SLEEP_TIMEOUT;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (result == BACKEND_SLEEP_GONE)
		c->flags |= CLIENT_CLOSE_NOW;
	return result;
}

static void
set_argv(Client *c)
{
	RespParser *p = &c->parser;
	char *req = c->qbuf + c->qbuf_pos;

	if (p->argc > c->argv_cap)
	{
		c->argv_cap = p->argc;
		c->argv = MemRealloc(c->argv, sizeof(char *) * (size_t) c->argv_cap);
		c->argv_len = MemRealloc(c->argv_len, sizeof(size_t) * (size_t) c->argv_cap);
	}
	c->argc = p->argc;
	for (int i = 0; i < p->argc; i++)
	{
		c->argv[i] = RespArgPtr(p, req, i);
		c->argv_len[i] = RespArgLen(p, i);
		/* terminate in place (overwrites the '\r' after a bulk argument) */
		if (!p->inline_argv)
			req[p->argv[i].offset + p->argv[i].len] = '\0';
	}
}

/* Undo set_argv's terminators: the request is to be parsed again elsewhere. */
static void
unterminate_argv(Client *c)
{
	RespParser *p = &c->parser;
	char	   *req = c->qbuf + c->qbuf_pos;

	if (p->inline_argv)
		return;
	for (int i = 0; i < p->argc; i++)
		req[p->argv[i].offset + p->argv[i].len] = '\r';
}

/*
 * Run every complete request in the query buffer (up to one that must
 * move to a backend of its own: CLIENT_MOVE, backend_mux.c).
 */
void
BackendProcessInput(Client *c)
{
	while (!(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_NOW)))
	{
		RespStatus st;

		c->parser.authenticated = c->authenticated || server_config->requirepass[0] == '\0';
		c->parser.max_bulk_len = server_config->proto_max_bulk_len;
		st = RespParse(&c->parser, c->qbuf + c->qbuf_pos, c->qbuf_len - c->qbuf_pos);
		if (st == RESP_NEED_MORE)
			break;
		if (st == RESP_ERROR)
		{
			elog(VERBOSE, "protocol error from client %s: %s", c->addr, c->parser.error);
			AddReplyErrorFormat(&c->reply, "ERR Protocol error: %s", c->parser.error);
			StatsErrorReply("ERR", 3);
			c->flags |= CLIENT_CLOSE_AFTER_REPLY;
			break;
		}
		if (st == RESP_REQUEST)
		{
			set_argv(c);
			c->last_interaction_ms = NowMs();
			current_client = c;
			ProcStorageEnter();
			ProcessCommand(c);
			current_client = NULL;
			/* the backstop: a command must leave no pin and no lock behind */
			if (BufPinCount() > 0)
			{
				elog(WARNING, "command %s left %d buffer pins", c->argv[0], BufPinCount());
				BufReleaseAll();
			}
			if (LWLockHeldCount() > 0)
			{
				elog(WARNING, "command %s left %d lightweight locks held",
					 c->argv[0], LWLockHeldCount());
				LWLockReleaseAll();
			}
			ProcStorageLeave();
			if (c->flags & CLIENT_MOVE)
			{
				/* not run: it goes, unconsumed, to a backend of its own */
				unterminate_argv(c);
				RespParserReset(&c->parser);
				break;
			}
		}
		c->qbuf_pos += c->parser.consumed;
		RespParserReset(&c->parser);
	}
	/* keep only the unparsed tail, at the start of the buffer */
	if (c->qbuf_pos > 0)
	{
		memmove(c->qbuf, c->qbuf + c->qbuf_pos, c->qbuf_len - c->qbuf_pos);
		c->qbuf_len -= c->qbuf_pos;
		c->qbuf_pos = 0;
	}
	ClientPublish(c, NULL);
}

/* Idle timeout, checked whenever the receive timeout wakes the loop. */
static void
check_idle_timeout(Client *c)
{
	int timeout = server_config->timeout;

	if (timeout > 0 && NowMs() - c->last_interaction_ms > (int64_t) timeout * 1000)
	{
		elog(VERBOSE, "closing idle client %s", c->addr);
		backend_exit(c, 0);
	}
}

/*
 * Make room in the query buffer for the next read: READ_CHUNK, or all of a
 * pending big argument, so that it is read in as few calls as possible.
 */
void
BackendReserveInput(Client *c)
{
	size_t want = READ_CHUNK;

	if (c->parser.bulk_len >= 0)
	{
		size_t need = c->parser.pos + (size_t) c->parser.bulk_len + 2;
		size_t have = c->qbuf_len - c->qbuf_pos;

		if (need > have && need - have > want)
			want = need - have;
	}
	if (c->qbuf_cap - c->qbuf_len < want)
	{
		size_t cap = c->qbuf_cap ? c->qbuf_cap : READ_CHUNK;

		while (cap - c->qbuf_len < want)
			cap *= 2;
		c->qbuf = MemRealloc(c->qbuf, cap + 1);
		c->qbuf_cap = cap;
	}
}

/* Read what the socket has; returns false when the client went away. */
static void
read_and_process(Client *c)
{
	ssize_t n;

	BackendReserveInput(c);
	if (PubsubClientSubscribed(c) || c->reply.sent < c->reply.len)
		wait_subscribed(c);
	n = read(c->fd, c->qbuf + c->qbuf_len, c->qbuf_cap - c->qbuf_len);
	if (n == 0)
		backend_exit(c, 0);
	if (n < 0)
	{
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
		{
			if (die_requested)
				backend_exit(c, 0);
			settle_handoff(c, false);	/* a reply the walwriter gave back */
			check_idle_timeout(c);
			return;
		}
		elog(VERBOSE, "error reading from client: %m");
		backend_exit(c, 0);
	}
	c->qbuf_len += (size_t) n;
	StatsNetInput((uint64_t) n);
	if ((long long) (c->qbuf_len - c->qbuf_pos) > server_config->client_query_buffer_limit)
	{
		elog(WARNING, "closing client that reached max query buffer length: addr=%s qbuf=%zu",
			 c->addr, c->qbuf_len - c->qbuf_pos);
		backend_exit(c, 0);
	}
	reply_owed_fd = c->fd;
	BackendProcessInput(c);
	if (c->flags & CLIENT_CLOSE_NOW)
		backend_exit(c, 0);
	if (c->reply.len > 0)
		flush_reply(c);
	else if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
		backend_exit(c, 0);
	reply_owed_fd = -1;
	if (die_requested)
		backend_exit(c, 0);
}

/*
 * The server restarts (this process PANICs, or the postmaster sends
 * SIGQUIT because another process died holding shared state): a client
 * waiting for a reply gets an error instead of a bare close. Its command
 * may or may not have been applied: its WAL may or may not be on disk
 * when recovery runs. Async-signal-safe (write only).
 */
size_t
BackendRestartMessage(char *buf, size_t cap, const char *why, size_t why_len)
{
	static const char head[] = "-ERR server restarting after a failure (";
	static const char tail[] = "); the command may or may not have been applied\r\n";
	size_t		n;

	if (cap < sizeof(head) + sizeof(tail))
		return 0;
	memcpy(buf, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	for (size_t i = 0; i < why_len && n < cap - sizeof(tail); i++)
		buf[n++] = why[i] == '\r' || why[i] == '\n' ? ' ' : why[i];
	memcpy(buf + n, tail, sizeof(tail) - 1);
	return n + sizeof(tail) - 1;
}

static void
tell_client_restart(const char *why, size_t why_len)
{
	char buf[512];
	size_t n;
	int fd = reply_owed_fd;

	if (fd < 0 && serving_fd >= 0 && HandoffPendingForMe())
		fd = serving_fd;		/* the walwriter holds its reply, unsent */
	if (fd < 0)
		return;
	n = BackendRestartMessage(buf, sizeof(buf), why, why_len);
	if (write(fd, buf, n) < 0)
	{
		/* the client is gone: nothing to tell */
	}
}

/* Who is told: a dedicated backend's client, or a shared backend's (backend_mux.c). */
static void (*tell_restart) (const char *why, size_t why_len) = tell_client_restart;

static void
panic_hook(const char *message, size_t len)
{
	tell_restart(message, len);
}

static void
quit_handler(int sig)
{
	static const char why[] = "another server process failed";

	tell_restart(why, sizeof(why) - 1);
	_exit(2);
}

/*
 * On a PANIC of this process, or SIGQUIT (another process died holding
 * shared state), tell(why) runs before the process exits.
 */
void
BackendOnRestart(void (*tell) (const char *why, size_t why_len))
{
	struct sigaction sa;

	tell_restart = tell;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = quit_handler;
	sigaction(SIGQUIT, &sa, NULL);
	elog_panic_hook = panic_hook;
}

/* SIGUSR1: a blocked client's wake-up (BackendSleep); ppoll returns EINTR. */
static void
wake_handler(int sig)
{
}

bool
BackendDieRequested(void)
{
	return die_requested != 0;
}

/* SIGTERM/SIGINT: only a flag; the blocked call returns EINTR. */
static void
die_handler(int sig)
{
	die_requested = 1;
}

/*
 * Set c up for the socket fd and show it in slot (CLIENT LIST). A new
 * connection gets a new id and counts in total_connections; a client that
 * moved here from a shared backend (moved >= 0, its state in that memfd,
 * server/backend_mux.c) keeps its id and everything else it had.
 */
void
BackendClientInit(Client *c, int fd, bool unix_socket, ProcSlot *slot, int moved)
{
	struct sockaddr_storage peer, local;
	socklen_t len;
	char unix_path[CONFIG_PATH_LEN];
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->slot = slot;
	c->resp = 2;
	c->db = 0;
	c->authenticated = false;
	RespParserInit(&c->parser, server_config->proto_max_bulk_len);
	ReplyInit(&c->reply);
	if (!unix_socket)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!unix_socket && server_config->tcp_keepalive > 0)
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (moved >= 0 && BackendMuxRestoreClient(c, moved))
		;
	else
	{
		c->id = atomic_fetch_add(&proc_array->next_client_id, 1);
		c->ctime_ms = c->last_interaction_ms = NowMs();
		len = sizeof(peer);
		memset(&peer, 0, sizeof(peer));
		memset(&local, 0, sizeof(local));
		getpeername(fd, (struct sockaddr *) &peer, &len);
		len = sizeof(local);
		getsockname(fd, (struct sockaddr *) &local, &len);
		ConfigReadString(server_config->unixsocket, unix_path, sizeof(unix_path));
		format_address(&peer, unix_socket, unix_path, c->addr, sizeof(c->addr));
		format_address(&local, unix_socket, unix_path, c->laddr, sizeof(c->laddr));
		atomic_fetch_add(&proc_array->total_connections, 1);
	}
	if (unix_socket)
		c->flags |= CLIENT_UNIX_SOCKET;

	ProcSlotBeginWrite(slot);
	slot->client_id = c->id;
	slot->fd = fd;
	slot->connect_time_ms = c->ctime_ms;
	snprintf(slot->addr, sizeof(slot->addr), "%.127s", c->addr);
	snprintf(slot->laddr, sizeof(slot->laddr), "%.127s", c->laddr);
	ProcSlotEndWrite(slot);
}

/* Serve one client on fd until it is done (returns through client_done). */
static void
serve_client(Client *c, int fd, bool unix_socket, int moved)
{
	struct timeval one_second = {1, 0};

	BackendClientInit(c, fd, unix_socket, MyProc, moved);
	serving_fd = fd;
	/* blocking socket; the receive timeout wakes us for the idle timeout */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &one_second, sizeof(one_second));
	title_db = -1;
	HandoffNewClient(c);
	ClientPublish(c, NULL);
	clients_served++;
	if (moved >= 0)
	{
		/* what it sent after the request that moved it is here already */
		reply_owed_fd = c->fd;
		BackendProcessInput(c);
		if (c->flags & CLIENT_CLOSE_NOW)
			backend_exit(c, 0);
		if (c->reply.len > c->reply.sent)
			flush_reply(c);
		else if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
			backend_exit(c, 0);
		reply_owed_fd = -1;
	}
	for (;;)
		read_and_process(c);
}

/*
 * After a client, in a dedicated or a shared backend: give back what it
 * held (its transaction state, buffers and name), and leave no trace of
 * it in its slot. Its socket is the caller's.
 */
void
BackendClientFree(Client *c)
{
	ProcSlot   *slot = c->slot;

	MultiDiscard(c);
	MultiUnwatch(c);
	RespParserFree(&c->parser);
	ReplyFree(&c->reply);
	MemFree(c->qbuf);
	MemFree(c->argv);
	MemFree(c->argv_len);
	MemFree(c->name);
	if (slot == NULL)
		return;					/* never set up (BackendClientInit) */
	ProcSlotBeginWrite(slot);
	slot->client_id = 0;
	slot->fd = -1;
	slot->db = 0;
	slot->in_command = false;
	slot->name[0] = slot->addr[0] = slot->laddr[0] = slot->cmd[0] = '\0';
	ProcSlotEndWrite(slot);
}

static void
forget_client(Client *c)
{
	BackendClientFree(c);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	serving_fd = -1;
	reply_owed_fd = -1;
	current_client = NULL;
	PsStatusSet("tusk: backend (idle in pool)");
}

/*
 * Wait until chan has something to read (or EOF); false after timeout_s
 * or on SIGTERM. SIGTERM is held back around the look at die_requested
 * and let in only by ppoll: one that arrived just before a plain blocking
 * recvmsg used to leave the process waiting out the postmaster's 10 s
 * shutdown timeout.
 */
static bool
chan_readable(int chan, int timeout_s)
{
	struct pollfd pfd = {chan, POLLIN, 0};
	struct timespec ts = {timeout_s, 0};
	sigset_t	hold, old, during;
	int			rc = 0;

	sigemptyset(&hold);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGINT);
	sigprocmask(SIG_BLOCK, &hold, &old);
	during = old;
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	if (!die_requested)
		rc = ppoll(&pfd, 1, &ts, &during);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc > 0;
}

/*
 * Tell the postmaster this process is free and wait for its next client's
 * socket (SCM_RIGHTS). Returns the socket, or -1 to exit: SIGTERM, the
 * postmaster said so or went away, or nothing came for BACKEND_POOL_IDLE_S.
 */
static int
wait_for_client(bool *unix_socket, int *moved)
{
	char byte = 'I';
	struct timeval idle = {BACKEND_POOL_IDLE_S, 0};
	ssize_t		n;
	int			fd;
	int			fds[2] = {-1, -1};

	if (write(backend_chan, &byte, 1) != 1)
		return -1;
	setsockopt(backend_chan, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	fd = -1;
	n = -1;
	while (chan_readable(backend_chan, BACKEND_POOL_IDLE_S))
	{
		n = RecvWithFds(backend_chan, &byte, 1, fds, 0);
		if (n >= 0 || errno != EINTR || die_requested)
			break;
	}
	fd = fds[0];
	*moved = -1;
	if (n == 1 && (byte == 'R' || byte == 'r') && fds[1] >= 0)
		*moved = fds[1];		/* a client moving here from a shared backend */
	else if (fds[1] >= 0)
		close(fds[1]);
	if (n != 1 || die_requested || (byte != 'T' && byte != 'U' && *moved < 0) || fd < 0)
	{
		if (fd >= 0)
			close(fd);
		if (*moved >= 0)
			close(*moved);
		return -1;
	}
	*unix_socket = byte == 'U' || byte == 'r';
	return fd;
}

void
BackendMain(int fd, int moved, int slotno, bool unix_socket, int chan)
{
	static Client client;
	static int	client_fd;		/* static: read after longjmp */
	static bool client_unix;
	static int	client_moved;
	Client	   *c = &client;
	struct sigaction sa;

	elog_role = 'B';
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ProcSlotAttach(slotno, PROC_KIND_BACKEND);
	PsStatusSetShortName("tusk: backend");
	backend_chan = chan;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = die_handler;	/* no SA_RESTART: interrupt read/write */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_sigusr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = wake_handler;
	sigaction(SIGUSR1, &sa, NULL);
	BackendOnRestart(tell_client_restart);
	{
		sigset_t	wakeups;

		/*
		 * Blocked since the fork (ForkWithSignalsBlocked): now we can die.
		 * The wake-ups stay blocked but in the ppoll that waits for each:
		 * SIGUSR2 (pub/sub) in wait_subscribed, SIGUSR1 (a blocked
		 * client's key) in BackendSleep, so a late one interrupts nothing
		 * else.
		 */
		sigemptyset(&wakeups);
		sigaddset(&wakeups, SIGUSR1);
		sigaddset(&wakeups, SIGUSR2);
		sigprocmask(SIG_SETMASK, &wakeups, NULL);
	}

	/*
	 * One client after another: when a client is done and nothing of it
	 * is left (reuse_allowed), backend_exit comes back here instead of
	 * exiting, and the postmaster may hand this process the next
	 * connection instead of forking one (a fork and an exit per connection
	 * was most of the cost of a short connection).
	 */
	client_fd = fd;
	client_unix = unix_socket;
	client_moved = moved;
	if (setjmp(client_done) != 0)
	{
		forget_client(c);
		client_fd = wait_for_client(&client_unix, &client_moved);
		if (client_fd < 0)
			exit(0);
	}
	serve_client(c, client_fd, client_unix, client_moved);
	exit(0);
}

/*
 * CLIENT PAUSE holds cmd back: sleep until the pause no longer covers it
 * (it ran out, or CLIENT UNPAUSE), holding no storage state, like WAIT.
 * False if the client hung up or the server is stopping meanwhile: the
 * command is then not run.
 */
bool
BackendWaitPause(Client *c, const Command *cmd)
{
	bool		gone = false;

	ProcStorageLeave();
	while (!die_requested && !gone && ClientPauseCovers(c, cmd))
	{
		struct pollfd pfd = {c->fd, POLLRDHUP, 0};

		gone = poll(&pfd, 1, 10) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
	}
	ProcStorageEnter();
	return !gone && !die_requested;
}

/*
 * WAIT numreplicas timeout. tusk has no replicas yet, so no write is ever
 * acknowledged by one: like a Redis master without replicas, 0 at once
 * when none is asked for (or inside EXEC), else 0 when the timeout (0:
 * none) runs out. Meanwhile the client may hang up, or the server stop;
 * the wait holds no storage state, so vacuum need not wait for it.
 */
void
WaitCommand(Client *c)
{
	long long	numreplicas, timeout_ms;
	int64_t		deadline;

	if (!GetLongLongOrReply(c, 1, &numreplicas, NULL))
		return;
	if (!StringToLongLong(c->argv[2], c->argv_len[2], &timeout_ms))
	{
		AddReplyError(&c->reply, "ERR timeout is not an integer or out of range");
		return;
	}
	if (timeout_ms < 0)
	{
		AddReplyError(&c->reply, "ERR timeout is negative");
		return;
	}
	if (numreplicas <= 0 || CmdExecActive())
	{
		AddReplyLongLong(&c->reply, 0);
		return;
	}
	deadline = timeout_ms > 0 ? NowMs() + timeout_ms : 0;
	ProcStorageLeave();
	while (!die_requested)
	{
		struct pollfd pfd = {c->fd, POLLRDHUP, 0};
		int64_t		left = deadline ? deadline - NowMs() : 1000;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int) (left < 1000 ? left : 1000)) > 0 &&
			(pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			break;				/* the client is gone: the reply goes nowhere */
	}
	ProcStorageEnter();
	AddReplyLongLong(&c->reply, 0);
}
