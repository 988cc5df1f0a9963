/*
 * auxprocess.c
 *	  Start auxiliary processes and lay out the storage part of shared
 *	  memory.
 *
 * NOTES
 *	  Runs in the postmaster (StorageShmemSize/Init, StartAuxProcess before
 *	  the fork) and in the child (the rest). The child resets the signal
 *	  handlers the postmaster's libevent installed, attaches to its slot
 *	  and runs its main function; SIGTERM only sets aux_shutdown_requested,
 *	  which each main loop polls (their futex sleeps are interrupted by the
 *	  signal).
 */
#include "config.h"

#include "server/auxprocess.h"
#include "server/handoff.h"
#include "server/postmaster.h"
#include "server/ps_status.h"
#include "server/scriptcache.h"
#include "server/server.h"
#include "server/settings.h"
#include "server/util.h"
#include "storage/btree.h"
#include "storage/bufmgr.h"
#include "storage/clog.h"
#include "storage/heapam.h"
#include "storage/keylock.h"
#include "storage/keyspace.h"
#include "storage/kscounters.h"
#include "storage/vacuum.h"
#include "storage/xact.h"
#include "storage/elog.h"
#include "storage/lwlock.h"
#include "storage/smgr.h"
#include "wal/xlog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

size_t
StorageShmemSize(void)
{
	size_t size = 0;

	size = ShmemAddSize(size, SmgrShmemSize());
	size = ShmemAddSize(size, BufMgrShmemSize(server_config->shared_buffers));
	size = ShmemAddSize(size, XLogShmemSize());
	size = ShmemAddSize(size, ClogShmemSize());
	size = ShmemAddSize(size, XactShmemSize());
	size = ShmemAddSize(size, HeapShmemSize());
	size = ShmemAddSize(size, KeyLockShmemSize());
	size = ShmemAddSize(size, SlowlogShmemSize());
	size = ShmemAddSize(size, ClientPauseShmemSize());
	size = ShmemAddSize(size, ScriptCacheShmemSize());
	size = ShmemAddSize(size, KsCountersShmemSize(server_config->databases));
	size = ShmemAddSize(size, VacuumShmemSize(server_config->databases));
	size = ShmemAddSize(size, AutoVacShmemSize());
	return size;
}

void
StorageShmemInit(void)
{
	SmgrShmemInit();
	BufMgrShmemInit(server_config->shared_buffers);
	XLogShmemInit();
	ClogShmemInit();
	XactShmemInit();
	HeapShmemInit();
	KeyLockShmemInit();
	SlowlogShmemInit();
	ClientPauseShmemInit();
	ScriptCacheShmemInit();
	KsCountersShmemInit(server_config->databases);
	VacuumShmemInit(server_config->databases);
	AutoVacShmemInit();
	ConfigApplyStorageSettings();
}

void
ConfigApplyStorageSettings(void)
{
	XLogSetSettings(server_config->checkpoint_timeout, server_config->checkpoint_completion_target,
					(uint64_t) server_config->max_wal_size, server_config->wal_writer_delay,
					server_config->commit_delay, server_config->synchronous_commit);
}

void
RegisterResourceManagers(void)
{
	XactRegisterRedo();
	ClogRegisterRedo();
	HeapRegisterRedo();
	BtRegisterRedo();
}

static void
aux_sigterm(int sig)
{
	aux_shutdown_requested = 1;
}

static const char *
aux_name(ProcKind kind)
{
	switch (kind)
	{
		case PROC_KIND_STARTUP:
			return "startup";
		case PROC_KIND_CHECKPOINTER:
			return "checkpointer";
		case PROC_KIND_WALWRITER:
			return "walwriter";
		case PROC_KIND_BGWRITER:
			return "background writer";
		case PROC_KIND_STATS:
			return "stats collector";
		case PROC_KIND_AUTOVACUUM:
			return "autovacuum launcher";
		case PROC_KIND_AUTOVACUUM_WORKER:
			return "autovacuum worker";
		default:
			return "auxiliary";
	}
}

/* The letter after the pid in log lines. */
static char
aux_role(ProcKind kind)
{
	switch (kind)
	{
		case PROC_KIND_STARTUP:
			return 'S';
		case PROC_KIND_CHECKPOINTER:
			return 'C';
		case PROC_KIND_WALWRITER:
			return 'W';
		case PROC_KIND_BGWRITER:
			return 'G';
		case PROC_KIND_STATS:
			return 'T';
		case PROC_KIND_AUTOVACUUM:
			return 'L';
		case PROC_KIND_AUTOVACUUM_WORKER:
			return 'V';
		default:
			return 'A';
	}
}

static void
startup_main(void)
{
	char err[256];

	RegisterResourceManagers();
	if (!SmgrInitDataDirectory(err, sizeof(err)))
	{
		elog(LOG, "%s", err);
		exit(1);
	}
	if (!StartupXLOG())
	{
		elog(LOG, "startup process could not open the data directory");
		exit(1);
	}
	XactStartup();
	if (!KsInit())
	{
		elog(LOG, "could not initialise the keyspace index");
		exit(1);
	}
	/* KsInit may have WAL-logged the new index: make it durable */
	XLogFlush(XLogGetInsertPosition());
	/*
	 * A checkpoint from before the keyspace counters (or from a server with
	 * fewer databases) has none: count once, and checkpoint so that the
	 * next start does not count again.
	 */
	if (!KsCountersValid())
	{
		if (!KsRecountAll())
		{
			elog(LOG, "could not count the keys of the keyspace");
			exit(1);
		}
		if (!CreateCheckPoint(CHECKPOINT_IMMEDIATE))
			elog(WARNING, "could not make a checkpoint after counting the keys");
	}
	BufReleaseAll();
	exit(0);
}

/*
 * The checkpointer's idle work, about once a second: delete expired keys
 * nobody reads (readers already skip them; this gives the space back).
 * A bounded budget of index entries per call, walking one database after
 * another; each KsSweepExpired call is its own transaction.
 */
#define SWEEP_CALLS_PER_TICK 16
#define SWEEP_ENTRIES_PER_CALL 64

static void
expiry_sweep(void)
{
	static int	db;
	static uint64_t cursor;
	int64_t		now = NowMs();

	for (int i = 0; i < SWEEP_CALLS_PER_TICK && !aux_shutdown_requested; i++)
	{
		if (db >= server_config->databases)
			db = 0;
		int			r;

		ProcStorageEnter();
		r = KsSweepExpired(db, &cursor, SWEEP_ENTRIES_PER_CALL, now);
		ProcStorageLeave();
		if (r < 0)
			cursor = 0;
		if (cursor == 0)
			db++;
	}
}

pid_t
StartAuxProcess(ProcKind kind, int slotno)
{
	struct sigaction sa;
	sigset_t none;
	pid_t pid = ForkWithSignalsBlocked();
	char title[64];

	if (pid != 0)
	{
		if (pid < 0)
			elog(WARNING, "could not fork %s process: %m", aux_name(kind));
		return pid;
	}

	PostmasterCloseListenersInChild();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = aux_sigterm;
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	elog_role = aux_role(kind);
	ProcSlotAttach(slotno, kind);
	snprintf(title, sizeof(title), "tusk: %s", aux_name(kind));
	PsStatusSetShortName(title);
	PsStatusSet("%s", title);

	switch (kind)
	{
		case PROC_KIND_STARTUP:
			startup_main();
			break;
		case PROC_KIND_CHECKPOINTER:
			checkpointer_idle_hook = expiry_sweep;
			CheckpointerMain();
			break;
		case PROC_KIND_WALWRITER:
			WalWriterMain();
			break;
		case PROC_KIND_BGWRITER:
			BgWriterMain();
			break;
		case PROC_KIND_STATS:
			StatsProcessMain();
			break;
		case PROC_KIND_AUTOVACUUM:
			AutoVacLauncherMain();
			break;
		case PROC_KIND_AUTOVACUUM_WORKER:
			AutoVacWorkerMain();
			break;
		default:
			break;
	}
	LWLockReleaseAll();
	exit(0);
}
