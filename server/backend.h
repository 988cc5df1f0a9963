/*
 * backend.h
 *	  The backend process: serves one client connection until it closes.
 */
#ifndef TUSK_BACKEND_H
#define TUSK_BACKEND_H

#include <stdbool.h>
#include <sys/socket.h>

/* Never returns. Runs in the forked child; fd is the accepted socket. */
/*
 * chan: this process's end of a socket pair with the postmaster, over
 * which it reports being free ('I') and receives its next client's socket
 * (SCM_RIGHTS, with 'T' for TCP or 'U' for the unix socket); -1 to serve
 * one client and exit.
 */
void		BackendMain(int fd, int slotno, bool unix_socket, int chan) __attribute__((noreturn));

/*
 * SIGTERM (shutdown, CLIENT KILL) arrived: the backend exits once the
 * running command returns. A long Lua script polls it (server/cmd_script.c).
 */
bool		BackendDieRequested(void);

#endif
