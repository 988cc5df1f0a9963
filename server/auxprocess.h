/*
 * auxprocess.h
 *	  Auxiliary processes: startup (WAL redo), checkpointer, walwriter.
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

/* The storage pieces' shared memory, in layout order. */
size_t		StorageShmemSize(void);
void		StorageShmemInit(void);

/* Fork an auxiliary process into slot slotno; returns its pid or -1. */
pid_t		StartAuxProcess(ProcKind kind, int slotno);

/* Redo functions of every resource manager; before StartupXLOG. */
void		RegisterResourceManagers(void);

#endif
