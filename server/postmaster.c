/*
 * postmaster.c
 *	  Listen for connections, fork one backend per connection, supervise.
 *
 * NOTES
 *	  Single-threaded libevent loop. The postmaster lays out shared memory
 *	  before the first fork and afterwards never takes a shared lock or
 *	  reads a shared structure that a lock protects, so no child can wedge
 *	  it; it only stores pid = 0 into the slot of a child it reaped and reads
 *	  that dead child's lock counters (storage/proc.h).
 *
 *	  Signals: SIGTERM/SIGINT stop accepting, send SIGTERM to every child,
 *	  wait for them, remove the pid file and exit 0. SIGCHLD reaps. SIGHUP
 *	  (sent by a backend after CONFIG SET port/bind) re-opens the listening
 *	  TCP sockets. A child that dies abnormally while it held a lightweight
 *	  lock or was inside a critical section may have left shared memory
 *	  inconsistent: every child is then killed and shared memory is built
 *	  afresh (server/README.md, crash handling). A child that dies holding
 *	  nothing is cleaned up alone and other clients never notice.
 */
#include "config.h"

#include "server/auxprocess.h"
#include "server/backend.h"
#include "server/blocking.h"
#include "server/handoff.h"
#include "server/pubsub.h"
#include "server/settings.h"
#include "server/postmaster.h"
#include "server/ps_status.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 16
#define PID_FILE_NAME "tusk-server.pid"

typedef struct Listener
{
	int			fd;
	bool		unix_socket;
	struct event *ev;
} Listener;

static struct event_base *pm_base;
static Listener listeners[MAX_LISTEN];
static int num_listeners;
static int listen_port;
static char listen_bind[CONFIG_STRING_LEN];

/* Children, indexed by slot; kept in private memory. */
static pid_t *slot_pids;
static int *free_slots;
static int num_free_slots;

/*
 * The pool of backends whose client is gone (backend.c, BackendMain): per
 * backend slot, the postmaster's end of its channel and the event that
 * reads "I am free" from it; the free ones in idle_slots. A new connection
 * goes to a free backend if there is one, else to a new fork. At most
 * POOL_MAX_IDLE wait; beyond that a backend that reports free is told to
 * exit (by closing its channel).
 */
#define POOL_MAX_IDLE 32

static int *slot_chan;
static struct event **slot_chan_ev;
static int *idle_slots;
static int num_idle;
static int num_backends;		/* backend processes, shared ones included */

/*
 * Shared backends (backend_mux.c): processes that serve many clients each.
 * Per slot: is it a shared backend, how many clients it has; per client
 * slot, the shared backend's slot (-1: not a client slot).
 */
#define MAX_SHARED_BACKENDS 64	/* slots kept beyond maxclients for them */

static bool *slot_shared;
static int *shared_load;
static int *slot_owner;
static int shared_list[MAX_SHARED_BACKENDS];	/* their slots, for the hand-over */
static int num_shared;
static int num_shared_clients;

/* Connected clients, for maxclients. */
static int
clients_now(void)
{
	return num_backends - num_idle - num_shared + num_shared_clients;
}
static bool shutting_down;
static int pid_file_fd = -1;

/*
 * Postmaster states. Connections are accepted only in PM_RUN: during
 * PM_STARTUP they wait in the listen backlog until recovery is done.
 */
typedef enum PMState
{
	PM_STARTUP,					/* the startup process replays WAL */
	PM_RUN,						/* normal operation */
	PM_STOP_BACKENDS,			/* shutdown: waiting for backends to exit */
	PM_STOP_WRITERS,			/* shutdown: autovacuum and bgwriter exit */
	PM_STOP_AUX,				/* shutdown: checkpointer writes the last checkpoint */
} PMState;

static PMState pm_state = PM_STARTUP;
static int max_backends;

/*
 * Auxiliary slots come first, then the backends', so that loops over the
 * slots in use (ProcArrayHighWater) stay short. The slot numbers are in
 * auxprocess.h.
 */
#define IS_BACKEND_SLOT(slotno)	((slotno) >= PROC_AUX_SLOTS)

/*
 * The auxiliary processes that run for as long as the server does, started
 * once recovery is done and started again if one exits cleanly. Those with
 * stop_first are stopped before the others at shutdown, so that nothing
 * writes WAL after the checkpointer's shutdown checkpoint.
 */
static const struct
{
	ProcKind	kind;
	int			slotno;
	bool		stop_first;
}			permanent_aux[] = {
	{PROC_KIND_CHECKPOINTER, AUX_SLOT_CHECKPOINTER, false},
	{PROC_KIND_WALWRITER, AUX_SLOT_WALWRITER, false},
	{PROC_KIND_BGWRITER, AUX_SLOT_BGWRITER, true},
	{PROC_KIND_STATS, AUX_SLOT_STATS, false},
	{PROC_KIND_AUTOVACUUM, AUX_SLOT_AUTOVACUUM, true},
};

#define IS_AUTOVACUUM_WORKER_SLOT(slotno) \
	((slotno) >= AUX_SLOT_AV_WORKER_FIRST && (slotno) < AUX_SLOT_AV_WORKER_FIRST + AUTOVACUUM_MAX_WORKERS)

int64_t		server_start_time_ms;
char		server_run_id[41];
const char *server_executable;

static void
make_run_id(void)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[20];
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0 || read(fd, bytes, sizeof(bytes)) != (ssize_t) sizeof(bytes))
	{
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (unsigned char) (rand() ^ getpid());
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 20; i++)
	{
		server_run_id[i * 2] = hex[bytes[i] >> 4];
		server_run_id[i * 2 + 1] = hex[bytes[i] & 15];
	}
	server_run_id[40] = '\0';
}

/*
 * The pid file doubles as the data directory lock: flock() it for the life
 * of the server. Children inherit the descriptor, so the lock outlives a
 * postmaster killed with -9 until its backends are gone too.
 */
static void
create_pid_file(void)
{
	char buf[32];
	int fd = open(PID_FILE_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int len;

	if (fd < 0)
		elog(FATAL, "could not create pid file \"%s\": %m", PID_FILE_NAME);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
	{
		char other[32] = "";
		ssize_t n = read(fd, other, sizeof(other) - 1);

		if (n > 0)
			other[n] = '\0';
		while (n > 0 && (other[n - 1] == '\n'))
			other[--n] = '\0';
		elog(FATAL, "another tusk-server (pid %s) is using data directory \"%s\"",
			 other[0] ? other : "unknown", server_config->dir);
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t) len, 0) != len)
		elog(FATAL, "could not write pid file \"%s\": %m", PID_FILE_NAME);
	pid_file_fd = fd;
}

static void
remove_pid_file(void)
{
	if (pid_file_fd >= 0)
	{
		unlink(PID_FILE_NAME);
		close(pid_file_fd);
		pid_file_fd = -1;
	}
}

static void on_accept(evutil_socket_t fd, short what, void *arg);

/*
 * fork() with every signal blocked: a SIGTERM sent to a child before it has
 * installed its own handler stays pending instead of running the
 * postmaster's (inherited) handler. The parent gets its mask back at once;
 * the child unblocks when it is ready.
 */
/* In a forked child: the listening sockets belong to the postmaster alone. */
void
PostmasterCloseListenersInChild(void)
{
	for (int i = 0; i < num_listeners; i++)
		close(listeners[i].fd);
	/* the backends' channels: a backend must see EOF when the postmaster closes one */
	for (int i = 0; slot_chan != NULL && i < max_backends + PROC_AUX_SLOTS; i++)
		if (slot_chan[i] >= 0)
			close(slot_chan[i]);
}

pid_t
ForkWithSignalsBlocked(void)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}
static void reset_shared_memory(void);

/*
 * Connections are accepted only in PM_RUN; during start-up and crash
 * recovery the listening sockets stay open but unwatched, so clients wait
 * in the backlog and are served once recovery is done.
 */
static bool accepting;

static void
set_accepting(bool on)
{
	for (int i = 0; i < num_listeners; i++)
	{
		if (on)
			event_add(listeners[i].ev, NULL);
		else
			event_del(listeners[i].ev);
	}
	accepting = on;
}

static void
add_listener(int fd, bool unix_socket)
{
	Listener *l = &listeners[num_listeners++];

	l->fd = fd;
	l->unix_socket = unix_socket;
	l->ev = event_new(pm_base, fd, EV_READ | EV_PERSIST, on_accept, l);
	if (accepting)
		event_add(l->ev, NULL);
}

static void
close_tcp_listeners(void)
{
	int kept = 0;

	for (int i = 0; i < num_listeners; i++)
	{
		if (listeners[i].unix_socket)
		{
			listeners[kept++] = listeners[i];
			continue;
		}
		event_free(listeners[i].ev);
		close(listeners[i].fd);
	}
	num_listeners = kept;
}

/* Open one TCP listener per bind address; false with errbuf on failure. */
static bool
open_tcp_listeners(int port, const char *bind_list, char *errbuf, size_t errlen)
{
	char addrs[CONFIG_STRING_LEN];
	char *save = NULL;
	int opened = 0;

	if (port == 0)
		return true;			/* port 0: no TCP, as in Redis */
	snprintf(addrs, sizeof(addrs), "%s", bind_list);
	for (char *tok = strtok_r(addrs, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
	{
		struct addrinfo hints, *res = NULL;
		char portstr[16];
		bool optional = tok[0] == '-';
		const char *host = optional ? tok + 1 : tok;
		int fd, one = 1, rc;

		if (strcmp(host, "*") == 0)
			host = "0.0.0.0";
		else if (strcmp(host, "::*") == 0)
			host = "::";
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
		snprintf(portstr, sizeof(portstr), "%d", port);
		rc = getaddrinfo(host, portstr, &hints, &res);
		if (rc != 0)
		{
			if (optional)
				continue;
			snprintf(errbuf, errlen, "could not resolve bind address \"%s\": %s", host, gai_strerror(rc));
			return false;
		}
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
		{
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (res->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		}
		if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
			listen(fd, server_config->tcp_backlog) != 0)
		{
			int saved = errno;

			if (fd >= 0)
				close(fd);
			freeaddrinfo(res);
			if (optional && (saved == EADDRNOTAVAIL || saved == EAFNOSUPPORT || saved == EPROTONOSUPPORT))
				continue;
			snprintf(errbuf, errlen, "could not listen on %s:%d: %s", host, port, strerror(saved));
			return false;
		}
		freeaddrinfo(res);
		evutil_make_socket_nonblocking(fd);
		add_listener(fd, false);
		opened++;
	}
	if (opened == 0)
	{
		snprintf(errbuf, errlen, "no bind address could be listened on (bind \"%s\")", bind_list);
		return false;
	}
	return true;
}

static void
open_unix_listener(void)
{
	char path[CONFIG_PATH_LEN];
	struct sockaddr_un sun;
	int fd;

	ConfigReadString(server_config->unixsocket, path, sizeof(path));
	if (path[0] == '\0')
		return;
	if (strlen(path) >= sizeof(sun.sun_path))
		elog(FATAL, "unix socket path \"%s\" is too long", path);
	unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0 ||
		listen(fd, server_config->tcp_backlog) != 0)
		elog(FATAL, "could not listen on unix socket \"%s\": %m", path);
	if (server_config->unixsocketperm)
		chmod(path, (mode_t) server_config->unixsocketperm);
	evutil_make_socket_nonblocking(fd);
	add_listener(fd, true);
	elog(LOG, "listening on unix socket %s", path);
}

/*
 * In the child, still with every signal blocked (see fork_child): drop the
 * handlers libevent installed for the postmaster, which would write into
 * the postmaster's signal pipe. The child unblocks once it has its own.
 */
static void
reset_child_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
pool_remove_idle(int slotno)
{
	for (int i = 0; i < num_idle; i++)
		if (idle_slots[i] == slotno)
		{
			idle_slots[i] = idle_slots[--num_idle];
			return;
		}
}

/* The backend in slotno is gone or leaves the pool: forget its channel. */
static void
pool_close_chan(int slotno)
{
	pool_remove_idle(slotno);
	if (slot_chan_ev[slotno] != NULL)
	{
		event_free(slot_chan_ev[slotno]);
		slot_chan_ev[slotno] = NULL;
	}
	if (slot_chan[slotno] >= 0)
	{
		close(slot_chan[slotno]);
		slot_chan[slotno] = -1;
	}
}

/* A backend reports that its client is done: it is free for the next one. */
static void
on_backend_chan(evutil_socket_t fd, short what, void *arg)
{
	int slotno = (int) (intptr_t) arg;
	char byte;
	ssize_t n = read(fd, &byte, 1);

	if (n == 1 && byte == 'I' && !shutting_down && pm_state == PM_RUN && num_idle < POOL_MAX_IDLE)
	{
		pool_remove_idle(slotno);
		idle_slots[num_idle++] = slotno;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* gone, or not wanted in the pool: closing the channel makes it exit */
	pool_close_chan(slotno);
}

/*
 * Hand client_fd to a free backend; false if none would take it. moved:
 * -1, or the state of a client moving from a shared backend (memfd).
 */
static bool
pool_hand_over(int client_fd, int moved, bool unix_socket)
{
	while (num_idle > 0)
	{
		int slotno = idle_slots[--num_idle];
		char byte = moved >= 0 ? (unix_socket ? 'r' : 'R') : (unix_socket ? 'U' : 'T');
		int fds[2] = {client_fd, moved};

		if (slot_chan[slotno] >= 0 && slot_pids[slotno] > 0 &&
			SendWithFds(slot_chan[slotno], &byte, 1, fds, 2, 0) == 1)
			return true;
		pool_close_chan(slotno);
	}
	return false;
}

static void on_shared_chan(evutil_socket_t fd, short what, void *arg);

/*
 * Fork a backend for client_fd (moved: as in pool_hand_over), or with
 * shared a shared backend (BackendMuxMain), which closes client_fd: that
 * connection is not its own (the postmaster hands it over afterwards, and
 * a copy left open in the child would keep it from ever closing). Returns
 * false when no slot or process could be had (the caller still closes
 * client_fd).
 */
static bool
start_backend(int client_fd, int moved, bool unix_socket, bool shared)
{
	int slotno;
	int chan[2];
	pid_t pid;

	if (num_free_slots == 0)
		return false;
	slotno = free_slots[--num_free_slots];
	ProcArrayNoteSlotUsed(slotno);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) != 0)
	{
		if (shared)
		{
			free_slots[num_free_slots++] = slotno;
			return false;		/* a shared backend without a channel is no use */
		}
		chan[0] = chan[1] = -1;
	}
	pid = ForkWithSignalsBlocked();
	if (pid < 0)
	{
		static const char msg[] = "-ERR could not start a backend process\r\n";

		elog(WARNING, "could not fork new process for connection: %m");
		if (!shared && client_fd >= 0 && write(client_fd, msg, sizeof(msg) - 1) < 0)
		{
			/* nothing more to tell */
		}
		if (chan[0] >= 0)
		{
			close(chan[0]);
			close(chan[1]);
		}
		free_slots[num_free_slots++] = slotno;
		return !shared;			/* told already */
	}
	if (pid == 0)
	{
		reset_child_signals();		/* BackendMain unblocks signals */
		PostmasterCloseListenersInChild();
		if (chan[0] >= 0)
			close(chan[0]);
		if (shared)
		{
			if (client_fd >= 0)
				close(client_fd);
			BackendMuxMain(slotno, chan[1]);
		}
		BackendMain(client_fd, moved, slotno, unix_socket, chan[1]);
	}
	slot_pids[slotno] = pid;
	num_backends++;
	slot_shared[slotno] = shared;
	shared_load[slotno] = 0;
	if (shared)
		shared_list[num_shared++] = slotno;
	if (chan[0] >= 0)
	{
		close(chan[1]);
		evutil_make_socket_nonblocking(chan[0]);
		slot_chan[slotno] = chan[0];
		slot_chan_ev[slotno] = event_new(pm_base, chan[0], EV_READ | EV_PERSIST,
										 shared ? on_shared_chan : on_backend_chan,
										 (void *) (intptr_t) slotno);
		event_add(slot_chan_ev[slotno], NULL);
	}
	return true;
}

/* A shared backend's client slot is free again. */
static void
shared_client_gone(int owner, int cslot)
{
	if (cslot < PROC_AUX_SLOTS || cslot >= proc_array->nslots || slot_owner[cslot] != owner)
		return;
	ProcSlotRelease(cslot);
	slot_owner[cslot] = -1;
	free_slots[num_free_slots++] = cslot;
	shared_load[owner]--;
	num_shared_clients--;
}

/*
 * Give client_fd to a shared backend, with a client slot of its own:
 * the least loaded one, or a new one while there are fewer than
 * shared_backends and every one has a client. False: none can take it.
 */
static bool
shared_hand_over(int client_fd, bool unix_socket)
{
	int target = -1;
	int cslot;

	for (int k = 0; k < num_shared; k++)
	{
		int i = shared_list[k];

		if (slot_pids[i] > 0 && slot_chan[i] >= 0 &&
			shared_load[i] < server_config->shared_backend_clients &&
			(target < 0 || shared_load[i] < shared_load[target]))
			target = i;
	}
	if ((target < 0 || shared_load[target] > 0) &&
		num_shared < server_config->shared_backends && num_shared < MAX_SHARED_BACKENDS)
	{
		int before = num_free_slots > 0 ? free_slots[num_free_slots - 1] : -1;

		if (start_backend(client_fd, -1, false, true))
			target = before;
	}
	if (target < 0 || num_free_slots == 0)
		return false;
	cslot = free_slots[--num_free_slots];
	ProcArrayNoteSlotUsed(cslot);
	if (!SendSlotMsg(slot_chan[target], unix_socket ? 's' : 'S', cslot, &client_fd, 1))
	{
		free_slots[num_free_slots++] = cslot;
		return false;
	}
	slot_owner[cslot] = target;
	shared_load[target]++;
	num_shared_clients++;
	return true;
}

/*
 * A shared backend says: 'D' slot, that client is gone; 'M' slot (or 'm'
 * for the unix socket) with its socket and a memfd of its state, that
 * client moves to a backend of its own.
 */
static void
on_shared_chan(evutil_socket_t fd, short what, void *arg)
{
	int slotno = (int) (intptr_t) arg;

	for (;;)
	{
		int fds[2];
		int cslot;
		char tag;
		ssize_t n = RecvSlotMsg(fd, &tag, &cslot, fds);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (tag == '\0')
		{
			if (fds[0] >= 0)
				close(fds[0]);
			if (fds[1] >= 0)
				close(fds[1]);
			pool_close_chan(slotno);	/* gone: reap_children frees its client slots */
			return;
		}
		shared_client_gone(slotno, cslot);
		if ((tag == 'M' || tag == 'm') && fds[0] >= 0 && fds[1] >= 0)
		{
			bool unix_socket = tag == 'm';

			if (shutting_down || pm_state != PM_RUN ||
				(!pool_hand_over(fds[0], fds[1], unix_socket) &&
				 !start_backend(fds[0], fds[1], unix_socket, false)))
				elog(VERBOSE, "could not move a client to a backend of its own");
		}
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
	}
}

/*
 * At the client limit, first take in what has happened but is not handled
 * yet: backends that said on their channel that their client left, and
 * children that exited. A client that reconnects right after closing
 * should not be refused because of its own old connection.
 */
static void reap_children(void);

static void
catch_up_on_departures(void)
{
	static struct pollfd *fds;
	static int *fd_slot;
	int n = 0;

	reap_children();
	if (fds == NULL)
	{
		fds = MemAlloc(sizeof(*fds) * (size_t) max_backends);
		fd_slot = MemAlloc(sizeof(*fd_slot) * (size_t) max_backends);
	}
	for (int i = 0; i < max_backends; i++)
	{
		if (slot_chan[i] < 0)
			continue;
		fds[n].fd = slot_chan[i];
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		fd_slot[n++] = i;
	}
	if (n == 0 || poll(fds, (nfds_t) n, 0) <= 0)
		return;
	for (int i = 0; i < n; i++)
		if (fds[i].revents != 0 && slot_chan[fd_slot[i]] == fds[i].fd)
		{
			if (slot_shared[fd_slot[i]])
				on_shared_chan(fds[i].fd, EV_READ, (void *) (intptr_t) fd_slot[i]);
			else
				on_backend_chan(fds[i].fd, EV_READ, (void *) (intptr_t) fd_slot[i]);
		}
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	Listener *l = arg;
	int client_fd;

	client_fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (client_fd < 0)
	{
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			elog(WARNING, "could not accept new connection: %m");
		return;
	}
	if (!shutting_down && pm_state == PM_RUN &&
		clients_now() >= server_config->maxclients)
		catch_up_on_departures();
	if (shutting_down || pm_state != PM_RUN)
	{
		close(client_fd);
		return;
	}
	if (clients_now() >= server_config->maxclients ||
		(num_free_slots == 0 && num_idle == 0))
	{
		static const char msg[] = "-ERR max number of clients reached\r\n";

		/* count first: a client that got the error may ask INFO at once */
		StatsRejectedConnection();
		if (write(client_fd, msg, sizeof(msg) - 1) < 0)
		{
			/* the client is gone anyway */
		}
		close(client_fd);
		elog(VERBOSE, "rejected a connection: max number of clients reached");
		return;
	}
	if (server_config->shared_backends > 0 && shared_hand_over(client_fd, l->unix_socket))
	{
		close(client_fd);
		return;
	}
	if (pool_hand_over(client_fd, -1, l->unix_socket))
	{
		close(client_fd);
		return;
	}
	if (!start_backend(client_fd, -1, l->unix_socket, false))
	{
		static const char msg[] = "-ERR max number of clients reached\r\n";

		StatsRejectedConnection();
		if (write(client_fd, msg, sizeof(msg) - 1) < 0)
		{
			/* the client is gone anyway */
		}
	}
	close(client_fd);
}

static void
kill_children(int sig)
{
	for (int i = 0; i < proc_array->nslots; i++)
		if (slot_pids[i] > 0)
			kill(slot_pids[i], sig);
}

static void
kill_backends(int sig)
{
	for (int i = PROC_AUX_SLOTS; i < proc_array->nslots; i++)
		if (slot_pids[i] > 0)
			kill(slot_pids[i], sig);
}

static void
start_aux(ProcKind kind, int slotno)
{
	pid_t pid;

	ProcArrayNoteSlotUsed(slotno);
	pid = StartAuxProcess(kind, slotno);

	if (pid > 0)
		slot_pids[slotno] = pid;
}

static void
start_startup_process(void)
{
	pm_state = PM_STARTUP;
	set_accepting(false);
	start_aux(PROC_KIND_STARTUP, AUX_SLOT_STARTUP);
}

/*
 * After a child died while it may have held shared state: kill everyone,
 * wait for them, build shared memory afresh and run recovery again before
 * accepting connections.
 */
#define QUIT_GRACE_MS 200

static void
forget_pid(pid_t pid)
{
	for (int i = 0; i < proc_array->nslots; i++)
		if (slot_pids[i] == pid)
			slot_pids[i] = 0;
}

static bool
backends_alive(void)
{
	for (int i = PROC_AUX_SLOTS; i < proc_array->nslots; i++)
		if (slot_pids[i] > 0)
			return true;
	return false;
}

static void
crash_restart(void)
{
	int status;

	elog(LOG, "terminating any other active server processes");
	/*
	 * Backends first get SIGQUIT, on which one that owes its client a
	 * reply sends an error instead (PostgreSQL's quickdie) and exits; up
	 * to QUIT_GRACE_MS later, everything left is killed.
	 */
	kill_backends(SIGQUIT);
	for (int waited = 0; waited < QUIT_GRACE_MS && backends_alive(); waited++)
	{
		pid_t pid;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			forget_pid(pid);
		if (backends_alive())
			usleep(1000);
	}
	kill_children(SIGKILL);
	for (;;)
	{
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0)
			break;
		forget_pid(pid);
	}
	num_backends = 0;
	num_shared = num_shared_clients = 0;
	for (int i = PROC_AUX_SLOTS; i < proc_array->nslots; i++)
	{
		pool_close_chan(i);
		slot_shared[i] = false;
		shared_load[i] = 0;
		slot_owner[i] = -1;
	}
	elog(LOG, "all server processes terminated; reinitializing");
	reset_shared_memory();
	start_startup_process();
}

static void
finish_shutdown(void)
{
	remove_pid_file();
	elog(LOG, "tusk is now ready to exit, bye bye...");
	exit(0);
}

static bool
aux_running(void)
{
	for (int i = 0; i < PROC_AUX_SLOTS; i++)
		if (slot_pids[i] > 0)
			return true;
	return false;
}

/* Does slot slotno belong to a process that may write WAL besides the checkpointer? */
static bool
stops_first(int slotno)
{
	if (IS_AUTOVACUUM_WORKER_SLOT(slotno))
		return true;
	for (size_t i = 0; i < sizeof(permanent_aux) / sizeof(permanent_aux[0]); i++)
		if (permanent_aux[i].slotno == slotno)
			return permanent_aux[i].stop_first;
	return false;
}

static bool
first_stoppers_running(void)
{
	for (int i = 0; i < PROC_AUX_SLOTS; i++)
		if (slot_pids[i] > 0 && stops_first(i))
			return true;
	return false;
}

/*
 * Move the shutdown along: backends first, then the auxiliary processes
 * that write (autovacuum, bgwriter), then the rest: the checkpointer writes
 * the shutdown checkpoint on SIGTERM, the stats process saves its file.
 */
static void
advance_shutdown(void)
{
	if (pm_state == PM_STOP_BACKENDS && num_backends == 0)
	{
		pm_state = PM_STOP_WRITERS;
		for (int i = 0; i < PROC_AUX_SLOTS; i++)
			if (slot_pids[i] > 0 && stops_first(i))
				kill(slot_pids[i], SIGTERM);
	}
	if (pm_state == PM_STOP_WRITERS && !first_stoppers_running())
	{
		pm_state = PM_STOP_AUX;
		for (int i = 0; i < PROC_AUX_SLOTS; i++)
			if (slot_pids[i] > 0)
				kill(slot_pids[i], SIGTERM);
	}
	if (pm_state == PM_STOP_AUX && !aux_running())
		finish_shutdown();
}

static const char *
child_name(int slotno)
{
	if (IS_BACKEND_SLOT(slotno))
		return "backend";
	if (slotno == AUX_SLOT_STARTUP)
		return "startup process";
	if (slotno == AUX_SLOT_CHECKPOINTER)
		return "checkpointer";
	if (slotno == AUX_SLOT_WALWRITER)
		return "walwriter";
	if (slotno == AUX_SLOT_BGWRITER)
		return "background writer";
	if (slotno == AUX_SLOT_STATS)
		return "stats collector";
	if (slotno == AUX_SLOT_AUTOVACUUM)
		return "autovacuum launcher";
	if (IS_AUTOVACUUM_WORKER_SLOT(slotno))
		return "autovacuum worker";
	return "auxiliary process";
}

static void
reap_children(void)
{
	bool need_restart = false;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
	{
		int slotno = -1;
		bool abnormal;

		for (int i = 0; i < proc_array->nslots; i++)
		{
			if (slot_pids[i] == pid)
			{
				slotno = i;
				break;
			}
		}
		if (slotno < 0)
			continue;
		abnormal = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
		if (abnormal)
		{
			if (WIFSIGNALED(status))
				elog(LOG, "%s (PID %d) was terminated by signal %d: %s", child_name(slotno),
					 (int) pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				elog(LOG, "%s (PID %d) exited with exit code %d", child_name(slotno),
					 (int) pid, WEXITSTATUS(status));
		}
		if (slotno == AUX_SLOT_STARTUP)
		{
			slot_pids[slotno] = 0;
			ProcSlotRelease(slotno);
			if (abnormal)
			{
				/* recovery cannot complete: nothing sensible to serve */
				elog(LOG, "startup process failed; shutting down");
				kill_children(SIGKILL);
				remove_pid_file();
				exit(1);
			}
			if (!shutting_down)
			{
				pm_state = PM_RUN;
				set_accepting(true);
				for (size_t i = 0; i < sizeof(permanent_aux) / sizeof(permanent_aux[0]); i++)
					start_aux(permanent_aux[i].kind, permanent_aux[i].slotno);
				elog(LOG, "ready to accept connections");
			}
			continue;
		}
		if (abnormal && (!IS_BACKEND_SLOT(slotno) || ProcSlotWasInCritical(slotno)))
		{
			if (IS_BACKEND_SLOT(slotno))
				elog(LOG, "backend (PID %d) held shared state when it died", (int) pid);
			need_restart = true;
		}
		ProcSlotRelease(slotno);
		slot_pids[slotno] = 0;
		if (IS_BACKEND_SLOT(slotno))
		{
			pool_close_chan(slotno);
			free_slots[num_free_slots++] = slotno;
			num_backends--;
			if (slot_shared[slotno])
			{
				/* its clients' connections closed with it */
				for (int i = PROC_AUX_SLOTS; i < proc_array->nslots; i++)
					if (slot_owner[i] == slotno)
						shared_client_gone(slotno, i);
				slot_shared[slotno] = false;
				for (int k = 0; k < num_shared; k++)
					if (shared_list[k] == slotno)
						shared_list[k] = shared_list[--num_shared];
			}
		}
		else if (!shutting_down && !abnormal && pm_state == PM_RUN)
		{
			/* a permanent auxiliary process that exits cleanly is simply started again */
			for (size_t i = 0; i < sizeof(permanent_aux) / sizeof(permanent_aux[0]); i++)
				if (permanent_aux[i].slotno == slotno)
					start_aux(permanent_aux[i].kind, slotno);
		}
	}
	if (need_restart && !shutting_down)
		crash_restart();
}

static void
on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	reap_children();
	if (shutting_down)
		advance_shutdown();
}

static void
on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	if (pm_state == PM_STOP_BACKENDS)
	{
		elog(WARNING, "backends did not exit in time; killing them");
		kill_backends(SIGKILL);
	}
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	static struct event *timeout_event;
	struct timeval ten_seconds = {10, 0};

	if (shutting_down)
		return;
	shutting_down = true;
	elog(LOG, "received %s, scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
	for (int i = 0; i < num_listeners; i++)
	{
		event_free(listeners[i].ev);
		close(listeners[i].fd);
	}
	num_listeners = 0;
	{
		char path[CONFIG_PATH_LEN];

		ConfigReadString(server_config->unixsocket, path, sizeof(path));
		if (path[0])
			unlink(path);
	}
	if (pm_state == PM_STARTUP)
	{
		/* let recovery finish: its end-of-recovery checkpoint is the shutdown */
		kill(slot_pids[AUX_SLOT_STARTUP], SIGTERM);
	}
	pm_state = PM_STOP_BACKENDS;
	kill_backends(SIGTERM);
	advance_shutdown();
	timeout_event = evtimer_new(pm_base, on_shutdown_timeout, NULL);
	evtimer_add(timeout_event, &ten_seconds);
}

/*
 * SIGUSR1: the autovacuum launcher wants workers. Start as many as it asks
 * for, into free worker slots.
 */
static void
on_sigusr1(evutil_socket_t sig, short what, void *arg)
{
	int wanted;

	if (shutting_down || pm_state != PM_RUN)
		return;
	wanted = AutoVacTakeWorkerRequests();
	for (int i = 0; i < AUTOVACUUM_MAX_WORKERS && wanted > 0; i++)
	{
		int slotno = AUX_SLOT_AV_WORKER_FIRST + i;

		if (slot_pids[slotno] > 0)
			continue;
		start_aux(PROC_KIND_AUTOVACUUM_WORKER, slotno);
		wanted--;
	}
}

/* A backend changed port or bind: re-open the TCP listeners. */
static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	char bind_now[CONFIG_STRING_LEN], err[512];
	uint32_t request = atomic_load(&server_config->listen_request);
	int port_now = server_config->port;

	ConfigReadString(server_config->bind, bind_now, sizeof(bind_now));
	if (port_now == listen_port && strcmp(bind_now, listen_bind) == 0)
		atomic_store(&server_config->listen_ok, true);
	else
	{
		close_tcp_listeners();
		if (!open_tcp_listeners(port_now, bind_now, err, sizeof(err)))
		{
			elog(WARNING, "%s; keeping the previous addresses", err);
			if (!open_tcp_listeners(listen_port, listen_bind, err, sizeof(err)))
				elog(WARNING, "%s", err);
			atomic_store(&server_config->listen_ok, false);
		}
		else
		{
			listen_port = port_now;
			snprintf(listen_bind, sizeof(listen_bind), "%s", bind_now);
			elog(LOG, "now listening on port %d (bind %s)", listen_port, listen_bind);
			atomic_store(&server_config->listen_ok, true);
		}
	}
	atomic_store(&server_config->listen_done, request);	/* after listen_ok */
}


static void
create_shared_memory(void)
{
	char err[256];
	size_t size = 0;

	size = ShmemAddSize(size, ConfigShmemSize());
	size = ShmemAddSize(size, ProcArrayShmemSize(max_backends));
	size = ShmemAddSize(size, StatsShmemSize(max_backends + PROC_AUX_SLOTS));
	size = ShmemAddSize(size, StorageShmemSize());
	size = ShmemAddSize(size, HandoffShmemSize(max_backends + PROC_AUX_SLOTS));
	size = ShmemAddSize(size, PubsubShmemSize(max_backends + PROC_AUX_SLOTS,
											  PubsubMaxEntries(max_backends, server_config->pubsub_max_subscriptions),
											  server_config->pubsub_buffer_size));
	size = ShmemAddSize(size, BlockShmemSize(max_backends + PROC_AUX_SLOTS));
	size += 64 * 1024;			/* slack for alignment */
	if (!ShmemCreate(size, server_config->huge_pages, err, sizeof(err)))
		elog(FATAL, "%s", err);
	ConfigShmemInit();
	ProcArrayShmemInit(max_backends);
	StatsShmemInit(max_backends + PROC_AUX_SLOTS);
	StorageShmemInit();
	HandoffShmemInit(max_backends + PROC_AUX_SLOTS);
	PubsubShmemInit(max_backends + PROC_AUX_SLOTS,
					PubsubMaxEntries(max_backends, server_config->pubsub_max_subscriptions),
					server_config->pubsub_buffer_size);
	BlockShmemInit(max_backends + PROC_AUX_SLOTS);
	HandoffChannelCreate();
}

static void
init_free_slots(void)
{
	num_free_slots = 0;
	for (int i = PROC_AUX_SLOTS + max_backends - 1; i >= PROC_AUX_SLOTS; i--)
		free_slots[num_free_slots++] = i;
}

static void
reset_shared_memory(void)
{
	ConfigDetachShared();
	ShmemDestroy();
	create_shared_memory();
	init_free_slots();
}

static void
usage(void)
{
	fprintf(stderr,
			"Usage: ./tusk-server [/path/to/tusk.conf] [options] [-]\n"
			"       ./tusk-server - (read config from stdin)\n"
			"       ./tusk-server -v or --version\n"
			"       ./tusk-server -h or --help\n\n"
			"Examples:\n"
			"       ./tusk-server (run the server with default config)\n"
			"       ./tusk-server /etc/tusk/6379.conf\n"
			"       ./tusk-server --port 7777\n"
			"       ./tusk-server --dir ./data --shared_buffers 256mb\n");
	exit(1);
}

static void
prepare_data_directory(void)
{
	char abs[CONFIG_PATH_LEN];

	if (mkdir(server_config->dir, 0700) != 0 && errno != EEXIST)
	{
		fprintf(stderr, "could not create data directory \"%s\": %s\n",
				server_config->dir, strerror(errno));
		exit(1);
	}
	if (chdir(server_config->dir) != 0)
	{
		fprintf(stderr, "could not change to data directory \"%s\": %s\n",
				server_config->dir, strerror(errno));
		exit(1);
	}
	if (getcwd(abs, sizeof(abs)) != NULL)
		snprintf(server_config->dir, sizeof(server_config->dir), "%s", abs);
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
	{
		perror("fork");
		exit(1);
	}
	if (pid > 0)
		exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0)
	{
		dup2(fd, 0);
		dup2(fd, 1);
		if (server_config->logfile[0] != '\0')
			dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int
PostmasterMain(int argc, char **argv)
{
	struct event *sigterm_event, *sigint_event, *sigchld_event, *sighup_event, *sigusr1_event;
	char err[512];
	static char exe[CONFIG_PATH_LEN];

	if (argc == 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")))
	{
		printf("tusk-server v=%s redis-compat=%s malloc=jemalloc bits=%d\n",
			   TUSK_VERSION, REDIS_COMPAT_VERSION, (int) (sizeof(long) * 8));
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage();
	if (realpath("/proc/self/exe", exe) == NULL)
		snprintf(exe, sizeof(exe), "%s", argv[0]);
	server_executable = exe;

	ConfigLoadDefaults();
	ConfigLoadFromArgs(argc, argv);
	PsStatusInit(argc, argv);

	elog_min_level = server_config->loglevel;
	if (server_config->daemonize)
		daemonize();
	ElogSetDestination(server_config->logfile);
	prepare_data_directory();
	create_pid_file();

	srand((unsigned) (time(NULL) ^ getpid()));
	make_run_id();
	server_start_time_ms = NowMs();
	max_backends = server_config->maxclients;
	if (server_config->shared_backends < 0)
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		server_config->shared_backends = ncpu < 1 ? 1 : ncpu > MAX_SHARED_BACKENDS ? MAX_SHARED_BACKENDS : (int) ncpu;
	}
	if (server_config->shared_backends > 0)
		max_backends += MAX_SHARED_BACKENDS;	/* their own slots, besides their clients' */
	slot_pids = MemAllocZero(sizeof(pid_t) * (size_t) (max_backends + PROC_AUX_SLOTS));
	slot_shared = MemAllocZero(sizeof(bool) * (size_t) (max_backends + PROC_AUX_SLOTS));
	shared_load = MemAllocZero(sizeof(int) * (size_t) (max_backends + PROC_AUX_SLOTS));
	slot_owner = MemAlloc(sizeof(int) * (size_t) (max_backends + PROC_AUX_SLOTS));
	for (int i = 0; i < max_backends + PROC_AUX_SLOTS; i++)
		slot_owner[i] = -1;
	free_slots = MemAlloc(sizeof(int) * (size_t) max_backends);
	slot_chan = MemAlloc(sizeof(int) * (size_t) (max_backends + PROC_AUX_SLOTS));
	for (int i = 0; i < max_backends + PROC_AUX_SLOTS; i++)
		slot_chan[i] = -1;
	slot_chan_ev = MemAllocZero(sizeof(struct event *) * (size_t) (max_backends + PROC_AUX_SLOTS));
	idle_slots = MemAlloc(sizeof(int) * (POOL_MAX_IDLE + 1));
	create_shared_memory();
	init_free_slots();
	CommandTableInit();
	StatsFileRestore();			/* before any process can count */

	signal(SIGPIPE, SIG_IGN);
	pm_base = event_base_new();
	if (pm_base == NULL)
		elog(FATAL, "could not create event loop");
	listen_port = server_config->port;
	ConfigReadString(server_config->bind, listen_bind, sizeof(listen_bind));
	if (!open_tcp_listeners(listen_port, listen_bind, err, sizeof(err)))
	{
		remove_pid_file();
		elog(FATAL, "%s", err);
	}
	open_unix_listener();

	sigterm_event = evsignal_new(pm_base, SIGTERM, on_sigterm, NULL);
	sigint_event = evsignal_new(pm_base, SIGINT, on_sigterm, NULL);
	sigchld_event = evsignal_new(pm_base, SIGCHLD, on_sigchld, NULL);
	sighup_event = evsignal_new(pm_base, SIGHUP, on_sighup, NULL);
	sigusr1_event = evsignal_new(pm_base, SIGUSR1, on_sigusr1, NULL);
	event_add(sigusr1_event, NULL);
	event_add(sigterm_event, NULL);
	event_add(sigint_event, NULL);
	event_add(sigchld_event, NULL);
	event_add(sighup_event, NULL);

	PsStatusSet("tusk: postmaster");
	start_startup_process();
	elog(LOG, "tusk %s (redis %s compatible) started, pid=%d", TUSK_VERSION,
		 REDIS_COMPAT_VERSION, (int) getpid());
	elog(LOG, "data directory %s, shared memory %zu kB%s", server_config->dir,
		 ShmemTotalSize() / 1024, ShmemUsesHugePages() ? " (huge pages)" : "");
	if (listen_port)
		elog(LOG, "listening on tcp %s:%d", listen_bind, listen_port);
	event_base_dispatch(pm_base);
	return 0;
}
