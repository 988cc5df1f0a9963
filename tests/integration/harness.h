/*
 * harness.h
 *	  Start and stop a real tusk-server for integration tests.
 *
 * NOTES
 *	  Each server runs from the build tree (TUSK_SERVER in the environment,
 *	  else the path compiled in as TUSK_SERVER_PATH) in a fresh mkdtemp
 *	  directory, on a TCP port the kernel just handed out (bind to port 0,
 *	  read the port, close, pass it on; retried if another process takes it
 *	  first). HarnessStart returns once PING answers. HarnessStop sends
 *	  SIGTERM to the postmaster's pid, waits for it, escalates to SIGKILL if
 *	  it hangs, and returns its wait status; HarnessCleanup removes the
 *	  directory. HarnessRestart starts a stopped (or killed) server again
 *	  on the same directory. The postmaster leads a process group of its
 *	  own, which its children join, so that HarnessKill9 can SIGKILL the
 *	  whole server at once. The server is started with PR_SET_PDEATHSIG,
 *	  and an atexit handler kills what is left, so a failed test (Check
 *	  fork mode: the test process exits) leaves no server behind. The
 *	  server's stderr is the file "server.log" in its directory;
 *	  HarnessDumpLog prints it.
 *
 *	  The second half are the Check helpers the integration tests share:
 *	  each fails the running test (ck_assert, so only inside a Check test
 *	  process) instead of returning a status, and HarnessMain runs a suite
 *	  the way every integration test program does.
 */
#ifndef TUSK_TEST_HARNESS_H
#define TUSK_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <check.h>
#include <hiredis/hiredis.h>

#define HARNESS_PATH_LEN 256

typedef struct TuskServer
{
	pid_t		pid;			/* the postmaster; 0 once reaped */
	int			port;
	char		dir[HARNESS_PATH_LEN];
	char		log_path[HARNESS_PATH_LEN + 32];
	char		unix_path[HARNESS_PATH_LEN + 32];	/* "" unless with_unix_socket */
	int			exit_status;	/* wait status once reaped */
} TuskServer;

/*
 * Call once in the test runner before the tests (the parent of Check's
 * forked test processes) and once after: every server directory is made
 * inside one run directory, removed at the end even if a failed test
 * process could not clean up after itself.
 */
bool		HarnessBeginRun(void);
void		HarnessEndRun(void);

/* The tusk-server binary to test. */
const char *HarnessServerPath(void);

/* A TCP port that was free a moment ago. */
int			HarnessFreePort(void);

/*
 * Start a server with these extra arguments (NULL-terminated, may be
 * NULL) in a new temp dir; true once it answers PING. with_unix_socket adds
 * --unixsocket <dir>/tusk.sock.
 */
bool		HarnessStart(TuskServer *s, const char *const *extra_args,
						 bool with_unix_socket);

/*
 * Start a server that has exited (SHUTDOWN, HarnessStop, HarnessKill9)
 * again on s->dir, with s's unix socket if it had one, on a new free port
 * (s->port), with these extra arguments; true once it answers PING. A new
 * postmaster that exits during start-up (the old processes still hold the
 * directory, the port was taken) is started again, for up to 30 s.
 */
bool		HarnessRestart(TuskServer *s, const char *const *extra_args);

/*
 * Start a tusk-server process with exactly these arguments; stderr to log.
 * It leads a process group of its own (pgid = its pid).
 */
pid_t		HarnessSpawn(const char *const *args, const char *log_path);

/*
 * Wait up to timeout_seconds for the postmaster to exit on its own; true
 * and s->exit_status set if it did.
 */
bool		HarnessWaitExit(TuskServer *s, int timeout_seconds);

/*
 * SIGTERM, wait (up to 30 s), SIGKILL if still there. Returns the wait
 * status (already-reaped servers return the saved one).
 */
int			HarnessStop(TuskServer *s);

/* Remove the temp dir and everything in it. */
void		HarnessCleanup(TuskServer *s);

/* Print the server log to stderr (for failures). */
void		HarnessDumpLog(const TuskServer *s);

/* hiredis connections with a 30 s I/O timeout; NULL on failure. */
redisContext *HarnessConnect(const TuskServer *s);
redisContext *HarnessConnectPort(int port);
redisContext *HarnessConnectUnix(const char *path);

/* A raw TCP socket to the server (blocking, 30 s receive timeout). */
int			HarnessRawConnect(int port);

/* Send all bytes; false on error. */
bool		HarnessRawSend(int fd, const void *data, size_t len);

/*
 * Read until the connection closes or `want` bytes arrived (0: until
 * close), up to timeout_seconds. Returns the bytes read; *closed tells
 * whether EOF (or a reset) was seen.
 */
size_t		HarnessRawRead(int fd, char *buf, size_t cap, size_t want,
						   int timeout_seconds, bool *closed);

/*
 * Read until the bytes read so far contain marker (or close, or timeout);
 * NUL-terminates buf. Returns the bytes read.
 */
size_t		HarnessRawReadUntil(int fd, char *buf, size_t cap, const char *marker,
								int timeout_seconds);

/* True if the connection is closed by the peer within timeout_seconds. */
bool		HarnessRawWaitClosed(int fd, int timeout_seconds);

/* Run a command and return its reply (caller frees), with printf args. */
redisReply *HarnessCommand(redisContext *c, const char *fmt, ...);

/* A field of a CLIENT LIST / CLIENT INFO line ("pid", "id", "addr"...). */
bool		HarnessClientField(const char *line, const char *field, char *out,
							   size_t outlen);

/* ------------------------------------------------------------------------
 * Check helpers: each one fails the running test with a message naming the
 * command, so a test reads as a list of expectations.
 * ------------------------------------------------------------------------
 */

/* HarnessStart, or fail the test. */
void		HarnessStartOk(TuskServer *s, const char *const *extra_args,
						   bool with_unix_socket);

/* HarnessRestart, or fail the test; s must have exited. */
void		HarnessRestartOk(TuskServer *s, const char *const *extra_args);

/*
 * Stop by pid: SIGTERM must make the server exit with status 0 (else its
 * log is printed and the test fails); then HarnessCleanup.
 */
void		HarnessStopOk(TuskServer *s);

/*
 * SHUTDOWN from a new connection: the server must exit with status 0 within
 * 30 s (else its log is printed and the test fails). The directory stays,
 * for HarnessRestartOk.
 */
void		HarnessShutdownOk(TuskServer *s);

/*
 * kill -9 of the postmaster and every process it started, all at once
 * (SIGKILL to its process group); returns once the postmaster is reaped and
 * no process of the group is left, or fails the test. The directory stays.
 */
void		HarnessKill9(TuskServer *s);

/* HarnessConnect, or fail the test. */
redisContext *HarnessConnectOk(const TuskServer *s);

/*
 * Fork a client process that connects to port, runs body(c, index) and
 * exits 0 (2 if it cannot connect); a body that finds something wrong
 * exits non-zero itself. HarnessWaitClients fails the test unless each
 * exited 0.
 */
typedef void (*HarnessClientBody) (redisContext *c, int index);
pid_t		HarnessSpawnClient(int port, HarnessClientBody body, int index);
void		HarnessWaitClients(const pid_t *pids, int n);

/*
 * Run a command (hiredis format, printf-like); there must be a reply, of any
 * type (caller frees).
 */
redisReply *HarnessCommandOk(redisContext *c, const char *fmt, ...);

/* The reply must be the status `want` (+OK, +PONG ...). */
void		HarnessExpectStatus(redisContext *c, const char *want, const char *fmt, ...);

/* The reply must be the error `want`, whole ("ERR syntax error"). */
void		HarnessExpectError(redisContext *c, const char *want, const char *fmt, ...);

/* The reply must be of this REDIS_REPLY_* type; its value is not checked. */
void		HarnessExpectType(redisContext *c, int type, const char *fmt, ...);

/* The reply must be the integer `want`. */
void		HarnessExpectInt(redisContext *c, long long want, const char *fmt, ...);

/* The reply must be an integer; returns it. */
long long	HarnessGetInt(redisContext *c, const char *fmt, ...);

/* The reply must be the bulk string `want` (no NUL inside); NULL: a nil. */
void		HarnessExpectBulk(redisContext *c, const char *want, const char *fmt, ...);

/*
 * The text of "INFO <args>" (args may hold several words, each becomes an
 * argument; "" for plain INFO); caller frees.
 */
char	   *HarnessInfo(redisContext *c, const char *args);

/* The value of "field:" in an INFO text, or NULL (static buffer). */
const char *HarnessInfoField(const char *text, const char *field);

/* A numeric field of "INFO <section>" (one INFO command; must be there). */
long long	HarnessInfoInt(redisContext *c, const char *section, const char *field);

/* Add test as a test case of its own, named `name` (CK_RUN_CASE=name). */
void		HarnessAddCase(Suite *su, const char *name, const TTest *test,
						   int timeout_seconds);

/*
 * The main() of an integration test program: checks that the server binary
 * exists, ignores SIGPIPE (a server that closes a connection must not kill
 * the test), runs the suite in fork mode between HarnessBeginRun and
 * HarnessEndRun. Returns the exit status.
 */
int			HarnessMain(Suite *su);

#endif
