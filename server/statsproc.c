/*
 * statsproc.c
 *	  The stats process: samples the backends' counters for rates.
 */
#include "config.h"

#include "server/auxprocess.h"
#include "wal/xlog.h"

#include <time.h>

void
StatsProcessMain(void)
{
	while (!aux_shutdown_requested)
	{
		struct timespec delay = {0, 100 * 1000000L};

		nanosleep(&delay, NULL);
	}
}
