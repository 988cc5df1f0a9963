/*
 * backend_mux.c
 *	  Shared backends: one process serves many clients.
 *
 * NOTES
 *	  A backend per connection costs a context switch per request: the
 *	  request wakes the process, the reply puts it to sleep again. On two
 *	  cores with 50 clients that alone holds a do-nothing server to 0.73x
 *	  of Redis's GET rate, where a do-nothing epoll loop reaches 0.92x with
 *	  one process and 0.99x with two (tools/bench/ceiling). So with
 *	  shared_backends > 0 the postmaster hands new connections to a few
 *	  processes that each serve up to shared_backend_clients clients with
 *	  epoll: each wake-up runs the requests of every client that has some,
 *	  and one WAL flush covers all their commits (a round, below).
 *
 *	  A shared backend runs one command at a time, and must not sleep in
 *	  one for long, or all its clients wait. A command that would (a
 *	  blocking pop, MULTI and WATCH, whose state spans commands, SUBSCRIBE,
 *	  scripts, WAIT, SAVE, a command CLIENT PAUSE holds back) is not run
 *	  here: its client moves, before that request, to a backend of its own
 *	  (CommandNeedsOwnBackend, CLIENT_MOVE). The client's state (id, name,
 *	  database, protocol, what it sent after that request and the replies
 *	  not yet sent) goes in a memfd; the socket and the memfd go to the
 *	  postmaster ('M'), which hands both to a pooled backend ('R') or forks
 *	  one (BackendMain with moved >= 0). A move is one way.
 *
 *	  A round: epoll_pwait; read each ready client once (16 kB) and run
 *	  every complete request it sent; then send the replies that depend on
 *	  nothing unflushed, flush WAL once up to the newest commit the others
 *	  depend on (DESIGN.md section 4: no reply before its WAL is durable;
 *	  group commit with the other backends), and send those. A client
 *	  whose socket does not take its replies is not read again until they
 *	  are out (EPOLLOUT), which bounds its output to one round's.
 *
 *	  Each client has a slot of its own in the process array (CLIENT LIST,
 *	  INFO clients, maxclients), given by the postmaster with the socket
 *	  ('S', or 's' for the unix socket) and given back when the client
 *	  leaves ('D'). The process's own slot (MyProc) holds its locks, its
 *	  transaction and its latch, as any backend's. CLIENT KILL of one of
 *	  the clients stores its id in the client's slot and sends SIGUSR1 (a
 *	  SIGTERM would end them all); SIGTERM ends the process and so all of
 *	  its clients (shutdown).
 */
#include "config.h"

#include "server/backend.h"
#include "server/handoff.h"
#include "server/ps_status.h"
#include "server/server.h"
#include "server/settings.h"
#include "server/util.h"
#include "storage/bufmgr.h"
#include "storage/elog.h"
#include "storage/fileio.h"
#include "storage/lwlock.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/stats.h"
#include "wal/xlog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MUX_MAX_EVENTS 256

typedef struct MuxClient
{
	Client		c;
	int			slotno;			/* its client slot */
	int			index;			/* in clients[] */
	bool		writing;		/* replies wait for the socket: EPOLLOUT only */
	bool		touched;		/* in this round's list */
	bool		gone;			/* closed or moved; freed after the round */
	bool		handed;			/* a durable reply of it is with the walwriter */
	bool		held;			/* in this round: waits for that reply to be settled */
} MuxClient;

static MuxClient **clients;
static int	nclients;
static int	clients_cap;
static MuxClient **touched;
static int	ntouched;
static MuxClient **gone;		/* epoll may still hold events for these */
static int	ngone;
static int	gone_cap;
static int	epfd = -1;
static int	chan_fd = -1;
static volatile sig_atomic_t mux_die;
static volatile sig_atomic_t mux_kill;

/* The moved client's state, followed by its name, replies and input. */
#define MOVED_MAGIC 0x74736b4dU	/* "Mkst" */

typedef struct MovedClient
{
	uint32_t	magic;
	uint32_t	flags;
	uint64_t	id;
	int32_t		db;
	int32_t		resp;
	int32_t		authenticated;
	int32_t		has_name;
	int64_t		ctime_ms;
	int64_t		last_interaction_ms;
	uint64_t	last_commit_lsn;
	char		addr[128];
	char		laddr[128];
	uint64_t	name_len;
	uint64_t	reply_len;
	uint64_t	input_len;
} MovedClient;

/* Flags that travel with a moved client. */
#define MOVED_FLAGS (CLIENT_UNIX_SOCKET | CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP)

bool
CommandNeedsOwnBackend(Client *c, const Command *cmd)
{
	return (cmd->flags & (CMD_BLOCKING | CMD_OWN_BACKEND)) || ClientPauseCovers(c, cmd);
}

static void
mux_die_handler(int sig)
{
	mux_die = 1;
}

static void
mux_kill_handler(int sig)
{
	mux_kill = 1;
}

/*
 * The server restarts: every client with a reply owed (in this round's
 * list: read from, not yet answered; or its reply with the walwriter)
 * gets the error a dedicated backend's
 * client gets (backend.c, tell_client_restart). Async-signal-safe.
 */
static void
tell_clients_restart(const char *why, size_t why_len)
{
	char		buf[512];
	size_t		n = BackendRestartMessage(buf, sizeof(buf), why, why_len);

	for (int i = 0; i < nclients; i++)
	{
		MuxClient  *m = clients[i];

		if ((m->touched || m->handed) && !m->gone && write(m->c.fd, buf, n) < 0)
		{
			/* the client is gone: nothing to tell */
		}
	}
}


static void
set_title(void)
{
	PsStatusSet("tusk: shared backend (%d client%s)", nclients, nclients == 1 ? "" : "s");
}

static void
tell_postmaster(char tag, int slotno, int fd, int memfd)
{
	int			fds[2] = {fd, memfd};

	if (!SendSlotMsg(chan_fd, tag, slotno, fds, fd >= 0 ? 2 : 0))
		elog(VERBOSE, "could not tell the postmaster about a client: %m");
}

/* Forget m: its buffers, its slot, its place in clients[] (not its socket). */
static void
release_client(MuxClient *m)
{
	BackendClientFree(&m->c);
	ProcSlotRelease(m->slotno);
	clients[m->index] = clients[--nclients];
	clients[m->index]->index = m->index;
	if (m->touched)
		for (int i = 0; i < ntouched; i++)
			if (touched[i] == m)
				touched[i] = NULL;
	m->gone = true;
	if (ngone == gone_cap)
	{
		gone_cap = gone_cap ? gone_cap * 2 : 64;
		gone = MemRealloc(gone, sizeof(MuxClient *) * (size_t) gone_cap);
	}
	gone[ngone++] = m;
	set_title();
}

static bool write_out(MuxClient *m);

/* Put data in front of c's unsent replies. */
static void
prepend_reply(Client *c, const char *data, size_t len)
{
	ReplyBuf   *r = &c->reply;
	size_t		keep = r->len - r->sent;
	char	   *later = MemAlloc(keep + 1);

	memcpy(later, r->data + r->sent, keep);
	ReplyReset(r);
	ReplyAppend(r, data, len);
	ReplyAppend(r, later, keep);
	MemFree(later);
}

/*
 * Is m's reply that the walwriter took done with (wait: sleep until it
 * is)? What the walwriter gave back unsent goes in front of m's replies.
 */
static bool
settle(MuxClient *m, bool wait)
{
	Client	   *c = &m->c;
	const char *rest;
	size_t		rest_len;

	if (!m->handed)
		return true;
	if (!wait && !HandoffBusy(c))
	{
		m->handed = false;
		return true;
	}
	if (HandoffSettle(c, wait, &rest, &rest_len))
	{
		prepend_reply(c, rest, rest_len);
		HandoffSettleDone(c);
	}
	else if (!wait)
		return false;			/* still with the walwriter */
	m->handed = false;
	return true;
}

/*
 * Give c's replies to the walwriter, to be sent once WAL is flushed to
 * c->durable_lsn (server/handoff.c): this process goes on with its other
 * clients instead of waiting for the flush.
 */
static bool
hand_off(MuxClient *m, int may)
{
	Client	   *c = &m->c;
	ReplyBuf   *r = &c->reply;
	size_t		len = r->len - r->sent;

	if (m->writing || (c->flags & (CLIENT_MOVE | CLIENT_CLOSE_NOW | CLIENT_CLOSE_AFTER_REPLY)))
		return false;
	if (!HandoffReply(c, r->data + r->sent, len, c->durable_lsn, may))
		return false;
	ReplyReset(r);
	c->durable_lsn = InvalidXLogRecPtr;
	m->handed = true;
	return true;
}

static void
close_client(MuxClient *m)
{
	int			slotno = m->slotno;

	/* a reply with the walwriter leaves before the connection closes */
	if (m->handed && settle(m, true) && m->c.reply.len > m->c.reply.sent)
		(void) write_out(m);
	HandoffClientDone(&m->c);

	epoll_ctl(epfd, EPOLL_CTL_DEL, m->c.fd, NULL);
	close(m->c.fd);
	release_client(m);
	tell_postmaster('D', slotno, -1, -1);
}

static void
add_client(int fd, int slotno, bool unix_socket)
{
	MuxClient  *m = MemAllocZero(sizeof(MuxClient));
	struct epoll_event ev;

	ProcSlotAttachClient(slotno);
	BackendClientInit(&m->c, fd, unix_socket, &proc_array->slots[slotno], -1);
	m->c.flags |= CLIENT_SHARED;
	m->slotno = slotno;
	HandoffNewClient(&m->c);	/* a reply a predecessor in this slot left is not ours */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (nclients == clients_cap)
	{
		clients_cap = clients_cap ? clients_cap * 2 : 64;
		clients = MemRealloc(clients, sizeof(MuxClient *) * (size_t) clients_cap);
		touched = MemRealloc(touched, sizeof(MuxClient *) * (size_t) clients_cap);
	}
	m->index = nclients;
	clients[nclients++] = m;
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = m;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
	{
		elog(WARNING, "could not watch a client socket: %m");
		close_client(m);
		return;
	}
	ClientPublish(&m->c, NULL);
	set_title();
}

/* New clients from the postmaster; false when it is gone. */
static bool
read_chan(void)
{
	for (;;)
	{
		int			fds[2];
		int			slotno;
		char		tag;
		ssize_t		n = RecvSlotMsg(chan_fd, &tag, &slotno, fds);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return true;
		if (fds[1] >= 0)
			close(fds[1]);
		if (fds[0] < 0 || (tag != 'S' && tag != 's'))
		{
			if (fds[0] >= 0)
				close(fds[0]);
			if (n <= 0)
				return false;
			continue;
		}
		add_client(fds[0], slotno, tag == 's');
	}
}

static void
set_events(MuxClient *m, bool writing)
{
	struct epoll_event ev;

	if (m->writing == writing)
		return;
	m->writing = writing;
	ev.events = (writing ? EPOLLOUT : EPOLLIN) | EPOLLRDHUP;
	ev.data.ptr = m;
	epoll_ctl(epfd, EPOLL_CTL_MOD, m->c.fd, &ev);
}

/* Send what the socket takes; false if the client is gone. */
static bool
write_out(MuxClient *m)
{
	switch (BackendSendSome(&m->c, false))	/* counted when made (client_input) */
	{
		case 1:
			set_events(m, false);
			return true;
		case 0:

			/*
			 * A client that has not authenticated and does not read its
			 * replies is closed, not waited for (as backend.c's
			 * write_all does; Redis closes it past a small output buffer).
			 */
			if (!m->c.authenticated && server_config->requirepass[0] != '\0')
			{
				elog(VERBOSE, "closing unauthenticated client %s that does not read its replies",
					 m->c.addr);
				return false;
			}
			set_events(m, true);
			return true;
		default:
			return false;
	}
}

/*
 * Write the moved client's state into a memfd: the header, its name, its
 * unsent replies and its unconsumed input (from the request that moves).
 */
static int
save_client(Client *c)
{
	MovedClient h;
	int			fd = memfd_create("tusk-moved-client", MFD_CLOEXEC);
	const char *parts[3];
	size_t		lens[3];
	off_t		off = 0;

	if (fd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.magic = MOVED_MAGIC;
	h.flags = (uint32_t) (c->flags & MOVED_FLAGS);
	h.id = c->id;
	h.db = c->db;
	h.resp = c->resp;
	h.authenticated = c->authenticated;
	h.has_name = c->name != NULL;
	h.ctime_ms = c->ctime_ms;
	h.last_interaction_ms = c->last_interaction_ms;
	h.last_commit_lsn = c->last_commit_lsn;
	memcpy(h.addr, c->addr, sizeof(h.addr));
	memcpy(h.laddr, c->laddr, sizeof(h.laddr));
	parts[0] = c->name;
	lens[0] = h.name_len = c->name ? strlen(c->name) : 0;
	parts[1] = c->reply.data + c->reply.sent;
	lens[1] = h.reply_len = c->reply.len - c->reply.sent;
	parts[2] = c->qbuf + c->qbuf_pos;
	lens[2] = h.input_len = c->qbuf_len - c->qbuf_pos;
	if (!FileWriteFull(fd, &h, sizeof(h), off))
		goto fail;
	off += (off_t) sizeof(h);
	for (int i = 0; i < 3; i++)
	{
		if (lens[i] > 0 && !FileWriteFull(fd, parts[i], lens[i], off))
			goto fail;
		off += (off_t) lens[i];
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Read len bytes at *off and move past them; false if they are not all there. */
static bool
read_at(int fd, void *buf, size_t len, off_t *off)
{
	if (len > 0 && FileReadFull(fd, buf, len, *off) != (ssize_t) len)
		return false;
	*off += (off_t) len;
	return true;
}

/* In the backend the client moved to: take its state (closes moved). */
bool
BackendMuxRestoreClient(Client *c, int moved)
{
	MovedClient h;
	off_t		off = 0;
	bool		ok = false;

	if (!read_at(moved, &h, sizeof(h), &off) || h.magic != MOVED_MAGIC ||
		h.name_len > 1024 * 1024 || h.input_len > (uint64_t) 1 << 40 || h.reply_len > (uint64_t) 1 << 40)
		goto done;
	c->id = h.id;
	c->db = h.db;
	c->resp = c->reply.resp = h.resp;
	c->authenticated = h.authenticated != 0;
	c->ctime_ms = h.ctime_ms;
	c->last_interaction_ms = h.last_interaction_ms;
	c->last_commit_lsn = h.last_commit_lsn;
	c->flags |= (int) (h.flags & MOVED_FLAGS);
	memcpy(c->addr, h.addr, sizeof(c->addr));
	memcpy(c->laddr, h.laddr, sizeof(c->laddr));
	c->addr[sizeof(c->addr) - 1] = c->laddr[sizeof(c->laddr) - 1] = '\0';
	if (h.has_name)
	{
		c->name = MemAlloc(h.name_len + 1);
		if (!read_at(moved, c->name, h.name_len, &off))
			goto done;
		c->name[h.name_len] = '\0';
	}
	if (h.reply_len > 0)
	{
		char	   *tmp = MemAlloc(h.reply_len);

		if (!read_at(moved, tmp, h.reply_len, &off))
		{
			MemFree(tmp);
			goto done;
		}
		ReplyAppend(&c->reply, tmp, h.reply_len);
		c->reply_counted = h.reply_len;	/* the shared backend counted them */
		MemFree(tmp);
	}
	c->qbuf_cap = h.input_len;	/* BackendReserveInput grows it for the next read */
	c->qbuf = MemAlloc(c->qbuf_cap + 1);
	if (!read_at(moved, c->qbuf, h.input_len, &off))
		goto done;
	c->qbuf_len = h.input_len;
	ok = true;
done:
	if (!ok)
		elog(WARNING, "could not read the state of a client moved from a shared backend");
	close(moved);
	return ok;
}

/* Before the request that moves: hand the client to a backend of its own. */
static void
move_client(MuxClient *m)
{
	Client	   *c = &m->c;
	int			fd = c->fd;
	int			slotno = m->slotno;
	char		tag = (c->flags & CLIENT_UNIX_SOCKET) ? 'm' : 'M';
	int			state;

	/* its earlier replies go out with it: they must be durable first */
	(void) settle(m, true);
	HandoffClientDone(c);
	if (c->durable_lsn != InvalidXLogRecPtr && c->durable_lsn > XLogGetFlushPosition())
		(void) XLogFlush(c->durable_lsn);
	c->durable_lsn = InvalidXLogRecPtr;
	state = save_client(c);
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	release_client(m);
	if (state < 0)
	{
		elog(WARNING, "could not save a client's state to move it: %m");
		close(fd);
		tell_postmaster('D', slotno, -1, -1);
		return;
	}
	tell_postmaster(tag, slotno, fd, state);
	close(fd);
	close(state);
}

static void
mark_touched(MuxClient *m)
{
	if (!m->touched)
	{
		m->touched = true;
		touched[ntouched++] = m;
	}
}

/* The client's socket is readable: read once and run what came. */
static void
client_input(MuxClient *m)
{
	Client	   *c = &m->c;
	ssize_t		n;
	size_t		before;

	BackendReserveInput(c);
	n = read(c->fd, c->qbuf + c->qbuf_len, c->qbuf_cap - c->qbuf_len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
	{
		close_client(m);
		return;
	}
	c->qbuf_len += (size_t) n;
	StatsNetInput((uint64_t) n);
	if ((long long) (c->qbuf_len - c->qbuf_pos) > server_config->client_query_buffer_limit)
	{
		elog(WARNING, "closing client that reached max query buffer length: addr=%s qbuf=%zu",
			 c->addr, c->qbuf_len - c->qbuf_pos);
		close_client(m);
		return;
	}
	mark_touched(m);			/* first: a PANIC in the command tells it */
	before = c->reply.len;
	BackendProcessInput(c);

	/*
	 * Counted as made, before it is sent (as backend.c's flush_reply
	 * does), so that a client that has its reply finds it counted.
	 */
	if (c->reply.len > before)
		StatsNetOutput((uint64_t) (c->reply.len - before));
}

/*
 * End of a round: replies that rest on nothing unflushed go out first;
 * those that need a flush go to the walwriter (hand_off), or, when it
 * would not take them, one flush here covers them and they go out after
 * it. A client whose earlier reply the walwriter still holds stays in the
 * list for the next round (held): its replies keep their order.
 */
static void
finish_round(void)
{
	XLogRecPtr	flushed = XLogGetFlushPosition();
	XLogRecPtr	need = InvalidXLogRecPtr;
	int			nheld = 0;
	int			may = 0;

	/*
	 * A client alone in this process keeps nobody waiting if the process
	 * waits for a flush (-c 1: flushing is cheaper than waking the
	 * walwriter). Otherwise replies that need a flush go to the walwriter,
	 * even in a round of one: a client whose request comes in meanwhile
	 * would wait for a flush it does not need.
	 */
	if (nclients == 1)
		may |= HANDOFF_MAY_ALONE | HANDOFF_MAY_OVERLAP;

	for (int pass = 0; pass < 2; pass++)
	{
		for (int i = 0; i < ntouched; i++)
		{
			MuxClient  *m = touched[i];
			Client	   *c;

			if (m == NULL)
				continue;
			c = &m->c;
			if (pass == 0)
			{
				m->held = !settle(m, false) && !(c->flags & CLIENT_CLOSE_NOW);
				if (m->held)
					continue;
				if (c->durable_lsn != InvalidXLogRecPtr && c->durable_lsn > flushed &&
					c->reply.len > c->reply.sent)
				{
					if (hand_off(m, may))
					{
						touched[i] = NULL;
						m->touched = false;
						continue;
					}
					if (c->durable_lsn > need)
						need = c->durable_lsn;
					continue;	/* after the flush */
				}
			}
			else if (m->held)
				continue;
			touched[i] = NULL;
			m->touched = false;
			c->durable_lsn = InvalidXLogRecPtr;
			if (c->flags & CLIENT_CLOSE_NOW)
				close_client(m);
			else if (c->flags & CLIENT_MOVE)
			{
				if (c->reply.len > c->reply.sent || !(c->flags & CLIENT_CLOSE_AFTER_REPLY))
					move_client(m);
				else
					close_client(m);
			}
			else if (!write_out(m))
				close_client(m);
			else if ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && !m->writing)
				close_client(m);
		}
		if (pass == 0 && need != InvalidXLogRecPtr)
			(void) XLogFlush(need);	/* failures inside are PANIC */
	}
	for (int i = 0; i < ntouched; i++)
		if (touched[i] != NULL)
			touched[nheld++] = touched[i];
	ntouched = nheld;
}

/* CLIENT KILL (mux_kill) and the idle timeout. */
static void
check_clients(bool kills, bool idle)
{
	int64_t		now = NowMs();
	int			timeout = server_config->timeout;

	for (int i = nclients - 1; i >= 0; i--)
	{
		MuxClient  *m = clients[i];
		ProcSlot   *slot = m->c.slot;

		if (kills && atomic_load(&slot->kill_client_id) == m->c.id)
		{
			atomic_store(&slot->kill_client_id, 0);
			close_client(m);
		}
		else if (idle && timeout > 0 && !m->writing &&
				 now - m->c.last_interaction_ms > (int64_t) timeout * 1000)
		{
			elog(VERBOSE, "closing idle client %s", m->c.addr);
			close_client(m);
		}
	}
}

static void
shut_down(void)
{
	while (nclients > 0)
	{
		MuxClient  *m = clients[nclients - 1];

		if (m->c.reply.len > m->c.reply.sent && m->c.durable_lsn == InvalidXLogRecPtr)
			(void) write_out(m);	/* what the socket takes: we are going */
		close_client(m);
	}
	exit(0);
}

void
BackendMuxMain(int slotno, int chan)
{
	struct sigaction sa;
	sigset_t	normal, during, usr1;
	struct epoll_event ev;
	struct epoll_event *events = MemAlloc(sizeof(struct epoll_event) * MUX_MAX_EVENTS);
	int64_t		last_check = NowMs();

	elog_role = 'B';
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ProcSlotAttach(slotno, PROC_KIND_BACKEND);
	PsStatusSetShortName("tusk: shared backend");
	chan_fd = chan;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mux_die_handler;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = mux_kill_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	BackendOnRestart(tell_clients_restart);

	/*
	 * SIGTERM and SIGUSR1 come in only while epoll_pwait sleeps, so they
	 * interrupt no command, and one that arrives while a round runs ends
	 * the next sleep at once.
	 */
	sigemptyset(&normal);
	sigaddset(&normal, SIGTERM);
	sigaddset(&normal, SIGINT);
	sigaddset(&normal, SIGUSR1);
	sigprocmask(SIG_SETMASK, &normal, NULL);
	sigemptyset(&during);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		elog(FATAL, "could not create epoll instance: %m");
	fcntl(chan_fd, F_SETFL, fcntl(chan_fd, F_GETFL) | O_NONBLOCK);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, chan_fd, &ev) != 0)
		elog(FATAL, "could not watch the postmaster channel: %m");
	set_title();

	for (;;)
	{
		/* a client held for the walwriter is looked at again soon */
		int			n = epoll_pwait(epfd, events, MUX_MAX_EVENTS, ntouched > 0 ? 1 : 1000, &during);
		int64_t		now;

		if (mux_die)
			shut_down();
		for (int i = 0; i < n; i++)
		{
			MuxClient  *m = events[i].data.ptr;

			if (m == NULL)
			{
				if (!read_chan())
					shut_down();	/* the postmaster is gone */
				continue;
			}
			/* a client closed earlier in this round may still have an event */
			if (m->gone)
				continue;
			if (m->writing && (events[i].events & (EPOLLHUP | EPOLLERR)))
			{
				close_client(m);
				continue;
			}
			if (events[i].events & EPOLLOUT)
			{
				if (!write_out(m))
				{
					close_client(m);
					continue;
				}
				if (!m->writing && (m->c.flags & CLIENT_CLOSE_AFTER_REPLY))
					close_client(m);
				continue;
			}
			if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				client_input(m);
		}
		if (ntouched > 0)
			finish_round();

		/*
		 * epoll_pwait that returns events lets no held-back signal in: a
		 * CLIENT KILL's SIGUSR1 would wait for an idle moment. Take it here.
		 */
		if (n > 0)
		{
			sigset_t	pending;
			struct timespec zero = {0, 0};

			sigpending(&pending);
			if (sigismember(&pending, SIGUSR1) && sigtimedwait(&usr1, NULL, &zero) == SIGUSR1)
				mux_kill = 1;
			if ((sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT)))
				mux_die = 1;
		}
		while (ngone > 0)
			MemFree(gone[--ngone]);
		now = NowMs();
		if (mux_die)
			shut_down();
		if (mux_kill || now - last_check >= 1000)
		{
			bool		kills = mux_kill != 0;

			mux_kill = 0;
			check_clients(kills, now - last_check >= 1000);
			if (now - last_check >= 1000)
				last_check = now;
		}
	}
}
