/*
 * autovacuum.c
 *	  The autovacuum launcher and its workers.
 */
#include "config.h"

#include "server/auxprocess.h"
#include "wal/xlog.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int av_worker_requests;

int
AutoVacTakeWorkerRequests(void)
{
	return atomic_exchange(&av_worker_requests, 0);
}

void
AutoVacLauncherMain(void)
{
	while (!aux_shutdown_requested)
	{
		struct timespec delay = {0, 100 * 1000000L};

		nanosleep(&delay, NULL);
	}
}

void
AutoVacWorkerMain(void)
{
}
