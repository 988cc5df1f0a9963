/*
 * proc.h
 *	  The process array: one slot per backend or auxiliary process.
 *
 * NOTES
 *	  The postmaster picks a free slot for a child before forking it (it
 *	  keeps the free list in its own memory) and clears the slot's pid with
 *	  one atomic store after reaping the child; it takes no lock. Every other
 *	  field is written only by the slot's owner. Readers in other processes
 *	  (CLIENT LIST, CLIENT KILL, INFO) copy a slot under its change counter,
 *	  a seqlock: the owner makes it odd before writing and even after, a
 *	  reader retries while it is odd or changed during the copy (PostgreSQL's
 *	  st_changecount). Slots are padded to cache lines so that owners do not
 *	  false-share.
 */
#ifndef TUSK_PROC_H
#define TUSK_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "storage/shmem.h"

typedef enum ProcKind
{
	PROC_KIND_FREE = 0,
	PROC_KIND_BACKEND,
	PROC_KIND_STARTUP,
	PROC_KIND_CHECKPOINTER,
	PROC_KIND_BGWRITER,
	PROC_KIND_WALWRITER,
	PROC_KIND_AUTOVACUUM,		/* the autovacuum launcher */
	PROC_KIND_STATS,
	PROC_KIND_AUTOVACUUM_WORKER,
} ProcKind;

#define PROC_NAME_LEN	128		/* CLIENT SETNAME longer than this is
								 * truncated in other clients' CLIENT LIST */
#define PROC_CMD_LEN	48
#define PROC_ADDR_LEN	128
#define PROC_AUX_SLOTS	16

typedef struct ProcSlot
{
	/* written by the postmaster (atomic store) and by the owner at start */
	_Atomic int pid;
	int			kind;

	/* lock bookkeeping for crash handling, owner only, read by postmaster */
	_Atomic int lwlocks_held;
	_Atomic int critical_section;
	_Atomic int in_storage;		/* inside a command that may hold buffer
								 * pins or key locks; a death here restarts
								 * everything (pins are not in lwlocks_held) */
	_Atomic uint32_t storage_gen;	/* +1 at the end of each such command:
									 * vacuum waits for it (ProcWaitForStorageCommands) */
	_Atomic int vacuuming;		/* running VacuumRun, which never visits
								 * TIDs read from the index: not waited for */

	/* seqlock over the client information below */
	_Atomic uint32_t changecount;
	uint64_t	client_id;
	int64_t		connect_time_ms;
	int64_t		last_interaction_ms;
	int			db;
	int			fd;
	int			resp;
	int			multi;
	int			sub;			/* pub/sub subscriptions: channels, */
	int			psub;			/* patterns, */
	int			ssub;			/* shard channels */
	uint64_t	qbuf;
	uint64_t	qbuf_free;
	uint64_t	omem;
	uint64_t	tot_mem;
	bool		in_command;
	bool		blocked;		/* in a blocking command (server/blocking.c) */
	bool		blocked_timeout;	/* ... that has a timeout */
	bool		muxed;			/* a client slot of a shared backend
								 * (server/backend_mux.c): pid is that
								 * process, whose own slot holds its locks */
	char		addr[PROC_ADDR_LEN];
	char		laddr[PROC_ADDR_LEN];
	char		name[PROC_NAME_LEN];
	char		cmd[PROC_CMD_LEN];

	/*
	 * Transactions (storage/xact.c, storage/snapshot.c). Written only by the
	 * owner with sequentially consistent atomic stores, read by any process
	 * with atomic loads and no lock; the protocol is in storage/README.md,
	 * "Snapshots". xid: the running transaction's id, 0 if none,
	 * XACT_XID_PENDING while one is being assigned. xmin: the lowest xmin of
	 * the snapshots this process holds, 0 if none, SNAPSHOT_XMIN_PENDING
	 * while a snapshot is being taken.
	 */
	/*
	 * CLIENT KILL of a client of a shared backend: the killer stores the
	 * client's id here and sends SIGUSR1 (SIGTERM would end every client
	 * of that process); the backend closes the client between commands.
	 */
	_Atomic uint64_t kill_client_id;

	/* group commit (wal/xlog.c XLogFlush): owner sets, the flusher wakes */
	_Atomic uint64_t flush_wait_lsn;	/* 0: not waiting for a WAL flush */
	_Atomic uint32_t flush_latch;	/* futex word the owner sleeps on */

	_Atomic uint64_t xid;
	_Atomic uint64_t xmin;
} __attribute__((aligned(CACHELINE_SIZE))) ProcSlot;

typedef struct ProcArray
{
	int			nslots;			/* auxiliary first, then backends */
	int			nbackend_slots;
	_Atomic int high_water;		/* 1 + highest slot ever used: scans stop here */
	_Atomic uint64_t next_client_id;
	_Atomic uint64_t total_connections;
	ProcSlot	slots[];
} ProcArray;

extern ProcArray *proc_array;
extern ProcSlot *MyProc;

size_t		ProcArrayShmemSize(int max_backends);
void		ProcArrayShmemInit(int max_backends);

/* Owner side */
void		ProcSlotAttach(int slotno, ProcKind kind);
void		ProcSlotAttachClient(int slotno);
static inline void
ProcSlotBeginWrite(ProcSlot *slot)
{
	atomic_fetch_add_explicit(&slot->changecount, 1, memory_order_acq_rel);
	atomic_thread_fence(memory_order_release);
}
static inline void
ProcSlotEndWrite(ProcSlot *slot)
{
	atomic_thread_fence(memory_order_release);
	atomic_fetch_add_explicit(&slot->changecount, 1, memory_order_acq_rel);
}

/* Reader side: a consistent copy, false if the slot is free. */
bool		ProcSlotRead(int slotno, ProcSlot *copy);

/* Loops over slots in use: [0, ProcArrayHighWater()). */
static inline int
ProcArrayHighWater(void)
{
	return atomic_load_explicit(&proc_array->high_water, memory_order_acquire);
}

/*
 * Around work that reads TIDs out of the keyspace index and then visits
 * them (commands, the expiry sweep): vacuum frees a heap slot only after
 * every process that was inside such work when the index entry went away
 * has left it (ProcWaitForStorageCommands).
 */
static inline void
ProcStorageEnter(void)
{
	if (MyProc)
		atomic_store_explicit(&MyProc->in_storage, 1, memory_order_relaxed);
}

static inline void
ProcStorageLeave(void)
{
	if (MyProc)
	{
		/* only the owner writes it: a plain increment, no locked add */
		atomic_store_explicit(&MyProc->storage_gen,
							  atomic_load_explicit(&MyProc->storage_gen, memory_order_relaxed) + 1,
							  memory_order_release);
		atomic_store_explicit(&MyProc->in_storage, 0, memory_order_release);
	}
}

/*
 * Wait until every other process that is inside storage work now has
 * left it (or died). Call without locks or pins.
 */
void		ProcWaitForStorageCommands(void);

/* Postmaster side: no locks. */
void		ProcArrayNoteSlotUsed(int slotno);
void		ProcSlotRelease(int slotno);
bool		ProcSlotWasInCritical(int slotno);

static inline void
StartCritSection(void)
{
	if (MyProc)
		atomic_fetch_add(&MyProc->critical_section, 1);
}

static inline void
EndCritSection(void)
{
	if (MyProc)
		atomic_fetch_sub(&MyProc->critical_section, 1);
}

#endif
