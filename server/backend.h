/*
 * backend.h
 *	  The backend process: serves one client connection until it closes.
 */
#ifndef TUSK_BACKEND_H
#define TUSK_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Never returns. Runs in the forked child; fd is the accepted socket. */
/*
 * chan: this process's end of a socket pair with the postmaster, over
 * which it reports being free ('I') and receives its next client's socket
 * (SCM_RIGHTS, with 'T' for TCP or 'U' for the unix socket); -1 to serve
 * one client and exit.
 */
void		BackendMain(int fd, int moved, int slotno, bool unix_socket, int chan) __attribute__((noreturn));

struct Client;
struct ProcSlot;
struct Command;

/*
 * moved: -1, or a memfd with the state of a client that moves here from
 * a shared backend (then fd is its socket; the postmaster sends 'R', or
 * 'r' for the unix socket, with both descriptors).
 */
void		BackendClientInit(struct Client *c, int fd, bool unix_socket, struct ProcSlot *slot, int moved);
void		BackendClientFree(struct Client *c);
void		BackendProcessInput(struct Client *c);
void		BackendReserveInput(struct Client *c);
int			BackendSendSome(struct Client *c, bool count);

/*
 * The error a client owed a reply gets when the server restarts (a PANIC,
 * or SIGQUIT because another process died holding shared state): its
 * command may or may not have been applied. Async-signal-safe.
 */
size_t		BackendRestartMessage(char *buf, size_t cap, const char *why, size_t why_len);
void		BackendOnRestart(void (*tell) (const char *why, size_t why_len));

/*
 * Shared backends (server/backend_mux.c): one process serves many
 * clients with epoll, and moves a client to a backend of its own (a
 * dedicated one) before a command that would make the others wait
 * (blocking, MULTI, subscribing, scripts; see CommandNeedsOwnBackend).
 */
void		BackendMuxMain(int slotno, int chan) __attribute__((noreturn));
bool		BackendMuxRestoreClient(struct Client *c, int moved);
bool		CommandNeedsOwnBackend(struct Client *c, const struct Command *cmd);

/*
 * Blocking commands (server/blocking.c). BackendSendPending writes the
 * replies of the batch so far, so that a client that pipelined commands
 * before a blocking one gets their replies before it blocks. BackendSleep
 * waits, holding no storage state, until *woken is non-zero (the waker
 * sends SIGUSR1 after setting it), MonotonicUs() reaches until_us, the
 * client hangs up, or the process is told to stop (SIGTERM: shutdown,
 * CLIENT KILL); in the last two cases CLIENT_CLOSE_NOW is set on c.
 */
typedef enum BackendSleepResult
{
	BACKEND_SLEEP_WOKEN,		/* *woken set, or a signal: look again */
	BACKEND_SLEEP_TIMEOUT,		/* until_us reached */
	BACKEND_SLEEP_GONE,			/* hang-up or SIGTERM: stop serving c */
} BackendSleepResult;

void		BackendSendPending(struct Client *c);
BackendSleepResult BackendSleep(struct Client *c, int64_t until_us, const _Atomic uint32_t *woken);

/*
 * SIGTERM (shutdown, CLIENT KILL) arrived: the backend exits once the
 * running command returns. A long Lua script polls it (server/cmd_script.c).
 */
bool		BackendDieRequested(void);

#endif
