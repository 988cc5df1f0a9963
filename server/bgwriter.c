/*
 * bgwriter.c
 *	  The background writer: runs the clock sweep ahead of the backends and
 *	  writes dirty, unpinned, unused buffers, so that a backend looking for
 *	  a victim rarely has to write one itself.
 */
#include "config.h"

#include "server/auxprocess.h"
#include "wal/xlog.h"
#include "storage/bufmgr.h"

#include <time.h>

#define BGWRITER_DELAY_MS	200
#define BGWRITER_MAX_PAGES	100

void
BgWriterMain(void)
{
	while (!aux_shutdown_requested)
	{
		struct timespec delay = {0, BGWRITER_DELAY_MS * 1000000L};

		BufBackgroundWrite(BGWRITER_MAX_PAGES);
		nanosleep(&delay, NULL);
	}
}
