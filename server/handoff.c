/*
 * handoff.c
 *	  Durable replies sent by the walwriter.
 *
 * NOTES
 *	  With synchronous_commit on, a backend may not send a reply until WAL
 *	  is flushed past the reply's LSN (DESIGN.md section 4). Waiting for
 *	  it costs the backend a futex sleep and a wake-up: a second context
 *	  switch per command on top of the one its blocking read costs, which
 *	  on 2 cores with 50 clients halved the durable write rate. So when a
 *	  flush is already running (or the walwriter is busy with hand-offs),
 *	  the backend copies its reply into its hand-off slot here and goes
 *	  back to its read; the walwriter, which holds a duplicate of the
 *	  client's socket, flushes and sends every waiting reply the flush
 *	  covers, in one process, without a context switch per reply. The
 *	  full design, its invariants and its failure cases are in
 *	  server/README.md, "Reply hand-off".
 *
 *	  Slot states (the futex word `state`):
 *	    IDLE      nothing handed off; only the backend writes the socket.
 *	    PENDING   the walwriter owns the slot's reply and is the only one
 *	              that may write the socket.
 *	    RETURNED  the walwriter could not send (all of) it: the backend
 *	              flushes WAL up to the slot's LSN itself and writes the
 *	              rest before anything else.
 *	  The backend moves IDLE -> PENDING and RETURNED -> IDLE, the walwriter
 *	  PENDING -> IDLE or RETURNED.
 *
 *	  Sockets reach the walwriter through one SOCK_SEQPACKET channel that
 *	  every backend inherits: 'R' registers a client's socket (SCM_RIGHTS),
 *	  'C' drops it. A backend registers only when it first could have
 *	  handed a reply off, so connections that never wait for a flush cost
 *	  nothing here. The walwriter sleeps on its process slot's flush
 *	  latch, which backends (wake_writer) and ending flushes bump.
 */
#include "config.h"

#include "server/handoff.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/futex.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum
{
	HANDOFF_IDLE = 0,
	HANDOFF_PENDING = 1,
	HANDOFF_RETURNED = 2,
};

typedef struct HandoffSlot
{
	_Atomic uint32_t state;		/* futex word, see above */
	_Atomic uint32_t waiting;	/* the backend sleeps on state */
	_Atomic uint64_t registered;	/* client id whose socket the walwriter holds */
	XLogRecPtr	lsn;			/* WAL must be flushed to here before sending */
	uint32_t	len;
	uint32_t	sent;
	char		data[HANDOFF_MAX_REPLY];
} __attribute__((aligned(CACHELINE_SIZE))) HandoffSlot;

typedef struct HandoffCtl
{
	int			nslots;
	_Atomic uint32_t writer_sleeping;	/* the walwriter is (about to be) asleep */
	_Atomic int writer_slotno;	/* its process-array slot (its latch) */
	_Atomic uint32_t npending;	/* slots in PENDING */
	_Atomic uint64_t replies;	/* handed off since start (INFO wal) */
	_Atomic uint64_t events;	/* hand-offs and channel messages: what wakes the walwriter */
	HandoffSlot slots[];
} HandoffCtl;

typedef struct HandoffMsg
{
	char		op;				/* 'R' register (with the socket), 'C' drop */
	int32_t		slotno;
	int32_t		pid;
	uint64_t	client_id;
} HandoffMsg;

static HandoffCtl *handoff;
static int	chan[2] = {-1, -1};	/* [0] the walwriter's end, [1] the backends' */

size_t
HandoffShmemSize(int nslots)
{
	return sizeof(HandoffCtl) + sizeof(HandoffSlot) * (size_t) nslots;
}

void
HandoffShmemInit(int nslots)
{
	/* zero (ShmemAlloc): every slot IDLE, nothing registered */
	handoff = ShmemAlloc(HandoffShmemSize(nslots));
	handoff->nslots = nslots;
}

void
HandoffChannelCreate(void)
{
	if (chan[0] >= 0)
	{
		close(chan[0]);
		close(chan[1]);
	}
	/* not CLOEXEC-relevant: children are forked, never exec'd */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) != 0)
	{
		elog(WARNING, "could not create the reply hand-off channel: %m");
		chan[0] = chan[1] = -1;
	}
}

/*
 * A client's hand-off slot is its process-array slot's: a dedicated
 * backend's own (MyProc), or the client slot a shared backend holds for
 * it (server/backend_mux.c).
 */
static HandoffSlot *
slot_of(const ProcSlot *ps)
{
	int slotno;

	if (handoff == NULL || ps == NULL || chan[1] < 0)
		return NULL;
	slotno = (int) (ps - proc_array->slots);
	return slotno < handoff->nslots ? &handoff->slots[slotno] : NULL;
}

static HandoffSlot *
my_slot(void)
{
	return slot_of(MyProc);
}

static bool
send_msg(const ProcSlot *ps, char op, uint64_t client_id, int fd, int flags)
{
	HandoffMsg m;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.slotno = (int32_t) (ps - proc_array->slots);
	m.pid = (int32_t) getpid();
	m.client_id = client_id;
	do
		n = SendWithFd(chan[1], &m, sizeof(m), fd, flags);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t) sizeof(m);
}

/*
 * The walwriter sleeps on its flush latch (WalWriterMain): count the event
 * (a hand-off, or a message sent on the channel), then wake it if it said
 * it sleeps. It looks at the count after saying so: no lost wake-up.
 */
static void
wake_writer(void)
{
	atomic_fetch_add(&handoff->events, 1);
	if (atomic_load(&handoff->writer_sleeping) && atomic_exchange(&handoff->writer_sleeping, 0))
	{
		ProcSlot *ws = &proc_array->slots[atomic_load(&handoff->writer_slotno)];

		atomic_fetch_add(&ws->flush_latch, 1);
		FutexWake(&ws->flush_latch, 1);
	}
}

/*
 * Take over c's reply (data, len), to be sent once WAL is flushed to lsn.
 * Returns false when the backend should wait for the flush and send the
 * reply itself: nobody is flushing and the caller keeps nobody else
 * waiting (HANDOFF_MAY_ALONE: becoming the flusher is cheaper than waking
 * the walwriter), on a slow disk the next overlapping flush may start now
 * and the caller may start it (HANDOFF_MAY_OVERLAP), the reply is too
 * long, the client is closing, or the walwriter does not hold this
 * client's socket yet (it is asked for it then, so the next reply can go
 * this way). A dedicated backend may do both; a shared backend only when
 * the client is its only one (server/backend_mux.c, finish_round).
 */
bool
HandoffReply(Client *c, const char *data, size_t len, XLogRecPtr lsn, int may)
{
	HandoffSlot *hs = slot_of(c->slot);

	if (hs == NULL || len > HANDOFF_MAX_REPLY || (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_NOW)))
		return false;
	if (XLogFlushesOverlap())
	{
		/*
		 * A slow disk: start the next overlapping flush if one may start
		 * now; otherwise whoever starts it covers this reply too.
		 */
		if (!XLogFlushCovers(lsn) && XLogFlushStartDelay() == 0 && (may & HANDOFF_MAY_OVERLAP))
			return false;
	}
	else if (atomic_load(&handoff->writer_sleeping) && !XLogFlushInProgress() &&
			 (may & HANDOFF_MAY_ALONE))
		return false;			/* nobody flushing: flushing here is quickest (-c 1) */
	if (atomic_load_explicit(&hs->registered, memory_order_acquire) != c->id)
	{
		if (!c->handoff_asked && send_msg(c->slot, 'R', c->id, c->fd, 0))
		{
			c->handoff_asked = true;
			wake_writer();
		}
		return false;
	}
	if (atomic_load(&hs->state) != HANDOFF_IDLE)
		return false;
	memcpy(hs->data, data, len);
	hs->len = (uint32_t) len;
	hs->sent = 0;
	hs->lsn = lsn;
	atomic_fetch_add(&handoff->npending, 1);
	atomic_store(&hs->state, HANDOFF_PENDING);
	atomic_fetch_add_explicit(&handoff->replies, 1, memory_order_relaxed);
	wake_writer();				/* after PENDING: a walwriter that sees the event finds the slot */
	return true;
}

bool
HandoffPendingForMe(void)
{
	HandoffSlot *hs = my_slot();

	return hs != NULL && atomic_load(&hs->state) == HANDOFF_PENDING;
}

uint64_t
HandoffReplies(void)
{
	return handoff ? atomic_load_explicit(&handoff->replies, memory_order_relaxed) : 0;
}

/*
 * Sleep until the walwriter is done with the slot's reply (it wakes a
 * backend that said it waits); returns the state it left.
 */
static uint32_t
wait_not_pending(HandoffSlot *hs)
{
	uint32_t st;

	while ((st = atomic_load(&hs->state)) == HANDOFF_PENDING)
	{
		struct timespec one_second = {1, 0};

		atomic_store(&hs->waiting, 1);
		if (atomic_load(&hs->state) == HANDOFF_PENDING)
			FutexWait(&hs->state, HANDOFF_PENDING, &one_second);
		atomic_store(&hs->waiting, 0);
	}
	return st;
}

/*
 * Before the backend writes to its socket: wait (if wait) until the
 * walwriter is done with a handed-off reply. Returns true if part of it
 * came back unsent: WAL is then flushed past it, and the caller writes
 * *rest and calls HandoffSettleDone.
 */
bool
HandoffSettle(Client *c, bool wait, const char **rest, size_t *rest_len)
{
	HandoffSlot *hs = slot_of(c->slot);
	uint32_t st;

	if (hs == NULL)
		return false;
	st = wait ? wait_not_pending(hs) : atomic_load(&hs->state);
	if (st != HANDOFF_RETURNED)
		return false;
	(void) XLogFlush(hs->lsn);	/* failures inside are PANIC */
	*rest = hs->data + hs->sent;
	*rest_len = hs->len - hs->sent;
	return true;
}

void
HandoffSettleDone(Client *c)
{
	HandoffSlot *hs = slot_of(c->slot);

	if (hs != NULL)
		atomic_store(&hs->state, HANDOFF_IDLE);
}

/*
 * A new client in this slot: a reply its predecessor handed off before it
 * died is not this client's. Wait for the walwriter to give it back (it
 * does, since the slot's process changed) and drop it.
 */
void
HandoffNewClient(Client *c)
{
	HandoffSlot *hs = slot_of(c->slot);

	if (hs == NULL)
		return;
	(void) wait_not_pending(hs);
	atomic_store(&hs->state, HANDOFF_IDLE);
}

/* The client is done (after HandoffSettle): the walwriter lets go of its socket. */
void
HandoffClientDone(Client *c)
{
	HandoffSlot *hs = slot_of(c->slot);

	if (hs == NULL || !c->handoff_asked)
		return;
	c->handoff_asked = false;
	atomic_store(&hs->registered, 0);
	(void) send_msg(c->slot, 'C', c->id, -1, 0);
	wake_writer();
}

/* Is a reply of c's with the walwriter (not settled yet)? */
bool
HandoffBusy(const Client *c)
{
	HandoffSlot *hs = slot_of(c->slot);

	return hs != NULL && atomic_load(&hs->state) != HANDOFF_IDLE;
}

/* ---------------------------------------------------------------- */
/* The walwriter's side */

typedef struct HeldSocket
{
	int			fd;
	pid_t		pid;
	uint64_t	client_id;
} HeldSocket;

static HeldSocket *held;

static void
drop_socket(int slotno)
{
	HandoffSlot *hs = &handoff->slots[slotno];
	uint64_t id = held[slotno].client_id;

	if (held[slotno].fd < 0)
		return;
	close(held[slotno].fd);
	held[slotno].fd = -1;
	atomic_compare_exchange_strong(&hs->registered, &id, 0);
}

/* Is the process that registered slotno's socket still serving that client? */
static bool
still_serving(int slotno)
{
	ProcSlot *ps = &proc_array->slots[slotno];

	return atomic_load(&ps->pid) == held[slotno].pid && ps->client_id == held[slotno].client_id;
}

static void
receive_messages(void)
{
	for (;;)
	{
		HandoffMsg m;
		int			fd;
		ssize_t		n = RecvWithFd(chan[0], &m, sizeof(m), &fd, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;				/* nothing more now (0: the channel closed) */
		if (n != (ssize_t) sizeof(m) || m.slotno < 0 || m.slotno >= handoff->nslots)
		{
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (m.op == 'R')
		{
			drop_socket(m.slotno);
			if (fd < 0)
				continue;		/* out of descriptors: that client keeps flushing itself */
			held[m.slotno].fd = fd;
			held[m.slotno].pid = m.pid;
			held[m.slotno].client_id = m.client_id;
			if (!still_serving(m.slotno))
				drop_socket(m.slotno);
			else
				atomic_store_explicit(&handoff->slots[m.slotno].registered, m.client_id,
									  memory_order_release);
		}
		else
		{
			if (fd >= 0)
				close(fd);
			if (m.op == 'C' && held[m.slotno].fd >= 0 && held[m.slotno].client_id == m.client_id)
				drop_socket(m.slotno);
		}
	}
}

static void
finish_slot(HandoffSlot *hs, uint32_t state)
{
	atomic_fetch_sub(&handoff->npending, 1);
	atomic_store(&hs->state, state);
	if (atomic_load(&hs->waiting))
		FutexWake(&hs->state, 1);
}

/*
 * Send every pending reply that the flushed WAL covers. Returns the
 * lowest LSN still waited for (0 if none), and in *highest the highest:
 * the walwriter sleeps until a flush passes the one and starts a flush
 * for the other.
 */
static XLogRecPtr
send_covered(XLogRecPtr *highest)
{
	XLogRecPtr flushed = XLogGetFlushPosition();
	XLogRecPtr want = 0;
	int n = ProcArrayHighWater();

	*highest = 0;
	if (n > handoff->nslots)
		n = handoff->nslots;
	for (int i = 0; i < n; i++)
	{
		HandoffSlot *hs = &handoff->slots[i];
		ssize_t sent;

		if (atomic_load_explicit(&hs->state, memory_order_acquire) != HANDOFF_PENDING)
			continue;
		if (hs->lsn > flushed)
		{
			if (want == 0 || hs->lsn < want)
				want = hs->lsn;
			if (hs->lsn > *highest)
				*highest = hs->lsn;
			continue;
		}
		if (held[i].fd < 0 || !still_serving(i))
		{
			drop_socket(i);
			finish_slot(hs, HANDOFF_RETURNED);
			continue;
		}
		do
			sent = send(held[i].fd, hs->data + hs->sent, hs->len - hs->sent,
						MSG_DONTWAIT | MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		if (sent > 0)
			hs->sent += (uint32_t) sent;
		if (hs->sent == hs->len)
			finish_slot(hs, HANDOFF_IDLE);
		else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			finish_slot(hs, HANDOFF_IDLE);	/* the client is gone; its backend will see it */
		else
			finish_slot(hs, HANDOFF_RETURNED);	/* socket full: the backend writes the rest */
	}
	return want;
}

/* Let go of the sockets of clients that are gone (a backend killed, say). */
static void
drop_stale(void)
{
	int n = ProcArrayHighWater();

	if (n > handoff->nslots)
		n = handoff->nslots;
	for (int i = 0; i < n; i++)
		if (held[i].fd >= 0 && atomic_load(&handoff->slots[i].state) == HANDOFF_IDLE &&
			!still_serving(i))
			drop_socket(i);
}

static int64_t
now_ms(void)
{
	return MonotonicUs() / 1000;
}

/*
 * The walwriter's sync threads: each runs the fdatasync of one flush the
 * walwriter started (XLogFlushStart), so that the walwriter itself never
 * waits for the disk. On a slow disk, where flushes overlap, it starts the
 * next one as soon as one may start and sends replies as each one ends: a
 * commit then waits about one fdatasync, not the rest of a running one
 * and then its own. A thread touches only its job, the WAL control's
 * atomics and the process array's latches; it takes no lock and blocks
 * every signal.
 */
typedef struct SyncThread
{
	_Atomic uint32_t busy;		/* futex word: 1 from the start of its flush to its end */
	XLogFlushJob job;
} SyncThread;

static SyncThread sync_threads[XLOG_MAX_SYNCS_IN_FLIGHT];
static int	nsync_threads;

static void *
sync_thread_main(void *arg)
{
	SyncThread *t = arg;

	for (;;)
	{
		while (atomic_load(&t->busy) == 0)
			FutexWait(&t->busy, 0, NULL);
		XLogFlushFinish(&t->job, &t->busy);
	}
	return NULL;
}

static void
start_sync_threads(void)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < XLOG_MAX_SYNCS_IN_FLIGHT; i++)
	{
		pthread_t tid;
		int err;

		sync_threads[nsync_threads].job.fd = -1;
		err = pthread_create(&tid, NULL, sync_thread_main, &sync_threads[nsync_threads]);
		if (err != 0)
		{
			elog(WARNING, "walwriter: could not start a sync thread: %s", strerror(err));
			break;
		}
		pthread_detach(tid);
		nsync_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Start a flush that covers highest unless one started covers it: in a
 * sync thread when flushes overlap, else here (a fast disk: one at a time,
 * and a thread's wake-up would cost more than it saves). Returns whether
 * the walwriter should look again at once rather than sleep.
 */
static bool
start_flush(XLogRecPtr highest)
{
	if (highest == 0 || XLogFlushCovers(highest) || XLogFlushStartDelay() != 0)
		return false;
	if (!XLogFlushesOverlap() || nsync_threads == 0)
	{
		XLogFlush(highest);		/* failures inside are PANIC */
		return true;
	}
	for (int i = 0; i < nsync_threads; i++)
	{
		SyncThread *t = &sync_threads[i];

		if (atomic_load(&t->busy))
			continue;
		if (!XLogFlushStart(&t->job))
			return false;		/* write_lock busy: its release wakes us */
		atomic_store(&t->busy, 1);
		FutexWake(&t->busy, 1);
		return true;
	}
	return false;				/* every thread busy: one's end wakes us */
}

/*
 * Sleep on this process's flush latch until a backend hands a reply off
 * or sends a message (wake_writer), a flush ends while replies wait for
 * one (wake_flush_waiters always wakes the walwriter), or timeout_us
 * passes. latch and seen were read before the caller last looked.
 */
static void
writer_sleep(uint32_t latch, uint64_t seen, XLogRecPtr want, int64_t timeout_us)
{
	struct timespec ts = {timeout_us / 1000000, (long) (timeout_us % 1000000) * 1000};

	if (want != 0)
		XLogFlushWaitBegin(want);
	atomic_store(&handoff->writer_sleeping, 1);
	/* re-check after announcing ourselves: a wake from now on is not lost */
	if (atomic_load(&handoff->events) == seen &&
		(want == 0 || want > XLogGetFlushPosition()))
		FutexWait(&MyProc->flush_latch, latch, &ts);
	atomic_store(&handoff->writer_sleeping, 0);
	if (want != 0)
		XLogFlushWaitEnd();
}

/*
 * The walwriter: send handed-off replies as their WAL becomes durable
 * (starting the flushes nobody else starts), and every wal_writer_delay
 * flush what asynchronous commits left behind and make sure of the next
 * WAL segment.
 */
void
WalWriterMain(void)
{
	struct rlimit rl;
	int64_t next_round = 0;

	/* one descriptor per client that hands replies off */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
	held = MemAlloc(sizeof(HeldSocket) * (size_t) handoff->nslots);
	for (int i = 0; i < handoff->nslots; i++)
		held[i].fd = -1;
	if (chan[1] >= 0)
		close(chan[1]);			/* only backends send */
	chan[1] = -1;
	atomic_store(&handoff->writer_slotno, (int) (MyProc - proc_array->slots));
	start_sync_threads();

	for (;;)
	{
		uint32_t latch = atomic_load(&MyProc->flush_latch);
		uint64_t seen = atomic_load(&handoff->events);
		XLogRecPtr want, highest;
		int64_t now, timeout_us, delay;

		if (aux_shutdown_requested)
		{
			/* the backends are gone: send what they left, then stop */
			XLogFlush(XLogGetInsertPosition());
			while ((want = send_covered(&highest)) != 0)
				XLogFlush(highest);
			return;
		}
		if (chan[0] >= 0)
			receive_messages();
		want = send_covered(&highest);
		if (start_flush(highest))
			continue;
		now = now_ms();
		if (now >= next_round)
		{
			XLogBackgroundFlush();
			XLogPrepareNextSegment();
			drop_stale();
			next_round = now + XLogWalWriterDelay();
			now = now_ms();
		}
		timeout_us = (next_round - now) * 1000;
		if (want != 0)
		{
			/* a backstop: a flush's end wakes us */
			if (timeout_us > 1000)
				timeout_us = 1000;
			/* on a slow disk, the next overlapping flush may start in delay us */
			if (!XLogFlushCovers(highest) && (delay = XLogFlushStartDelay()) > 0 && delay < timeout_us)
				timeout_us = delay < 20 ? 20 : delay;
		}
		writer_sleep(latch, seen, want, timeout_us > 0 ? timeout_us : 0);
	}
}
