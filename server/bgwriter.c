/*
 * bgwriter.c
 *	  The background writer: runs ahead of the clock hand and writes dirty,
 *	  unpinned, unused buffers, so that a backend looking for a victim
 *	  rarely has to write one itself.
 *
 * NOTES
 *	  Runs in the bgwriter process only. The work of a round, the estimate
 *	  of upcoming allocations and the one-lap limit are in the buffer
 *	  manager (BufBgWriterRound, storage/README.md "Background writer");
 *	  this loop reads the settings each round (bgwriter_delay,
 *	  bgwriter_lru_maxpages, bgwriter_lru_multiplier live in shared memory,
 *	  so CONFIG SET takes effect at the next round) and sleeps.
 *
 *	  When a round finds nothing to do (no allocations and a whole lap
 *	  ahead of the hand already looked at), it hibernates for
 *	  HIBERNATE_FACTOR times bgwriter_delay; the first backend that then
 *	  takes a victim from the clock wakes it through the latch word in the
 *	  buffer manager's shared state, at the cost of one atomic load per
 *	  allocation for everyone else. A CONFIG SET made during a
 *	  hibernation takes effect at the next allocation or when the sleep
 *	  ends.
 *
 *	  SIGTERM sets aux_shutdown_requested and wakes the latch, so the
 *	  process leaves within one write even from a hibernation; it holds no
 *	  pins or locks between rounds. The postmaster stops it before the
 *	  checkpointer (stop_first), so it writes nothing after the shutdown
 *	  checkpoint.
 */
#include "config.h"

#include "server/auxprocess.h"
#include "server/settings.h"
#include "storage/bufmgr.h"
#include "wal/xlog.h"

#include <signal.h>
#include <string.h>

#define HIBERNATE_FACTOR 50

static void
bgwriter_sigterm(int sig)
{
	aux_shutdown_requested = 1;
	BufBgWriterWakeup();
}

void
BgWriterMain(void)
{
	BufBgWriterState state;
	struct sigaction sa;

	memset(&state, 0, sizeof(state));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bgwriter_sigterm;
	sigaction(SIGTERM, &sa, NULL);

	while (!aux_shutdown_requested)
	{
		int			delay = server_config->bgwriter_delay;
		bool		idle;

		idle = BufBgWriterRound(&state, server_config->bgwriter_lru_maxpages,
								server_config->bgwriter_lru_multiplier, delay);
		if (aux_shutdown_requested)
			break;
		BufBgWriterSleep(idle ? delay * HIBERNATE_FACTOR : delay, idle,
						 &aux_shutdown_requested);
	}
}
