/*
 * auxprocess.h
 *	  Auxiliary processes: startup (WAL redo), checkpointer, walwriter,
 *	  bgwriter, stats, autovacuum launcher and workers.
 *
 * NOTES
 *	  Forked by the postmaster into slots after the backend slots of the
 *	  process array, so that their held locks are accounted like a
 *	  backend's. Each runs its main function and exits 0 when asked to stop
 *	  (SIGTERM sets aux_shutdown_requested); a non-zero exit or a signal is a
 *	  crash that the postmaster handles like a backend's.
 */
#ifndef TUSK_AUXPROCESS_H
#define TUSK_AUXPROCESS_H

#include <sys/types.h>

#include "storage/proc.h"

/* Slots of the auxiliary processes (the first PROC_AUX_SLOTS of the array). */
#define AUX_SLOT_STARTUP			0
#define AUX_SLOT_CHECKPOINTER		1
#define AUX_SLOT_WALWRITER			2
#define AUX_SLOT_BGWRITER			3
#define AUX_SLOT_STATS				4
#define AUX_SLOT_AUTOVACUUM			5
#define AUX_SLOT_AV_WORKER_FIRST	6
#define AUTOVACUUM_MAX_WORKERS		8	/* upper bound of autovacuum_max_workers */

/* The storage pieces' shared memory, in layout order. */
size_t		StorageShmemSize(void);
void		StorageShmemInit(void);

/* Fork an auxiliary process into slot slotno; returns its pid or -1. */
pid_t		StartAuxProcess(ProcKind kind, int slotno);

/* Main functions of the auxiliary processes; each returns when asked to stop. */
void		BgWriterMain(void);
void		StatsProcessMain(void);
void		AutoVacLauncherMain(void);
void		AutoVacWorkerMain(void);

/*
 * Postmaster, after CommandTableInit and before the first fork: load the
 * counters saved by the stats process at the last clean shutdown, then
 * delete the file (server/statsproc.c).
 */
void		StatsFileRestore(void);

/*
 * Postmaster side of autovacuum: the launcher asks for workers by adding
 * to a shared counter and sending SIGUSR1 to the postmaster, which takes
 * the requests with this.
 */
int			AutoVacTakeWorkerRequests(void);
int			AutoVacWorkersActive(void);
size_t		AutoVacShmemSize(void);
void		AutoVacShmemInit(void);

/* Redo functions of every resource manager; before StartupXLOG. */
void		RegisterResourceManagers(void);

#endif
