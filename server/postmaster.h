/*
 * postmaster.h
 *	  The supervising process: listens, forks a backend per connection,
 *	  reaps children, handles shutdown and crashes.
 */
#ifndef TUSK_POSTMASTER_H
#define TUSK_POSTMASTER_H

#include <sys/types.h>

int			PostmasterMain(int argc, char **argv);
pid_t		ForkWithSignalsBlocked(void);
void		PostmasterCloseListenersInChild(void);

#endif
