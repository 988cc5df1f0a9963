/*
 * backend.h
 *	  The backend process: serves one client connection until it closes.
 */
#ifndef TUSK_BACKEND_H
#define TUSK_BACKEND_H

#include <stdbool.h>
#include <sys/socket.h>

/* Never returns. Runs in the forked child; fd is the accepted socket. */
void		BackendMain(int fd, int slotno, bool unix_socket) __attribute__((noreturn));

#endif
