/*
 * harness.c
 *	  Start and stop tusk-server for integration tests; see harness.h.
 *
 * NOTES
 *	  Runs in a Check test process. Every server it starts is recorded in a
 *	  small table so that an atexit handler can SIGKILL it and remove its
 *	  directory if the test fails before HarnessStop/HarnessCleanup. Waits
 *	  have generous limits (they only turn a hang into a failure); nothing
 *	  here asserts on speed. The Check helpers at the end fail the running
 *	  test with ck_assert, so they are called only from Check test processes.
 */
#include "config.h"

#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TUSK_SERVER_PATH
#define TUSK_SERVER_PATH "./tusk-server"
#endif

#define START_ATTEMPTS 5
#define START_TIMEOUT_SECONDS 30
#define STOP_TIMEOUT_SECONDS 30
#define IO_TIMEOUT_SECONDS 30
#define MAX_TRACKED 16

static TuskServer *tracked[MAX_TRACKED];
static bool atexit_registered;
static char run_dir[HARNESS_PATH_LEN / 2];

static void
remove_tree(const char *path)
{
	DIR		   *d = opendir(path);
	struct dirent *e;

	if (d == NULL)
	{
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL)
	{
		char		child[HARNESS_PATH_LEN * 2];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(child);
		else
			unlink(child);
	}
	closedir(d);
	rmdir(path);
}

/* Failed test: no server and no directory may outlive the test process. */
static void
kill_leftovers(void)
{
	for (int i = 0; i < MAX_TRACKED; i++)
	{
		TuskServer *s = tracked[i];

		if (s == NULL)
			continue;
		if (s->pid > 0)
		{
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
		}
		if (s->dir[0])
			remove_tree(s->dir);
		tracked[i] = NULL;
	}
}

static void
track(TuskServer *s)
{
	if (!atexit_registered)
	{
		atexit(kill_leftovers);
		atexit_registered = true;
	}
	for (int i = 0; i < MAX_TRACKED; i++)
	{
		if (tracked[i] == s)
			return;
	}
	for (int i = 0; i < MAX_TRACKED; i++)
	{
		if (tracked[i] == NULL)
		{
			tracked[i] = s;
			return;
		}
	}
}

static void
untrack(TuskServer *s)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == s)
			tracked[i] = NULL;
}

bool
HarnessBeginRun(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(run_dir, sizeof(run_dir), "%s/tusk-check-XXXXXX",
			 base && base[0] && strlen(base) < 64 ? base : "/tmp");
	if (mkdtemp(run_dir) == NULL)
	{
		fprintf(stderr, "harness: mkdtemp failed: %s\n", strerror(errno));
		run_dir[0] = '\0';
		return false;
	}
	return true;
}

void
HarnessEndRun(void)
{
	if (run_dir[0])
		remove_tree(run_dir);
	run_dir[0] = '\0';
}

const char *
HarnessServerPath(void)
{
	const char *env = getenv("TUSK_SERVER");

	return env && env[0] ? env : TUSK_SERVER_PATH;
}

int
HarnessFreePort(void)
{
	struct sockaddr_in sin;
	socklen_t	len = sizeof(sin);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	int			port = 0;

	if (fd < 0)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) == 0 &&
		getsockname(fd, (struct sockaddr *) &sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

pid_t
HarnessSpawn(const char *const *args, const char *log_path)
{
	pid_t		parent = getpid();
	pid_t		pid = fork();

	if (pid != 0)
	{
		/* also here, so that no kill(-pid) can come before the child's */
		if (pid > 0)
			setpgid(pid, pid);
		return pid;
	}
	/*
	 * child: lead a process group of its own, which the postmaster's
	 * children join, so that HarnessKill9 stops them all at once; die with
	 * the test process; log to the file
	 */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	{
		int			fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int			null = open("/dev/null", O_RDWR);

		if (fd >= 0)
		{
			dup2(fd, 2);
			dup2(fd, 1);
			close(fd);
		}
		if (null >= 0)
		{
			dup2(null, 0);
			close(null);
		}
	}
	/* the test process ignores SIGPIPE; the server sets its own handlers */
	signal(SIGPIPE, SIG_DFL);
	execv(args[0], (char *const *) args);
	fprintf(stderr, "harness: could not execute %s: %s\n", args[0], strerror(errno));
	_exit(127);
}

static bool
ping_ok(int port)
{
	redisContext *c = HarnessConnectPort(port);
	redisReply *r;
	bool		ok = false;

	if (c == NULL)
		return false;
	r = redisCommand(c, "PING");
	/* up and serving: PONG, or NOAUTH with --requirepass */
	if (r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0)
		ok = true;
	if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH ", 7) == 0)
		ok = true;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return ok;
}

static bool
reap_if_exited(TuskServer *s)
{
	int			status;

	if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid)
	{
		s->exit_status = status;
		s->pid = 0;
		return true;
	}
	return false;
}

/*
 * Start a server on s->dir and a port that was just free (with s's unix
 * socket if it has one) and wait until it answers PING: true. False if it
 * exited first (s->pid 0, s->exit_status set; another try may work) or is
 * still silent at deadline (s->pid still set).
 */
static bool
spawn_and_wait(TuskServer *s, const char *const *extra_args, time_t deadline)
{
	const char *args[64];
	char		portbuf[16];
	int			n = 0;

	s->port = HarnessFreePort();
	if (s->port == 0)
		return false;
	snprintf(portbuf, sizeof(portbuf), "%d", s->port);
	args[n++] = HarnessServerPath();
	args[n++] = "--port";
	args[n++] = portbuf;
	args[n++] = "--bind";
	args[n++] = "127.0.0.1";
	args[n++] = "--dir";
	args[n++] = s->dir;
	if (s->unix_path[0])
	{
		args[n++] = "--unixsocket";
		args[n++] = s->unix_path;
	}
	for (int i = 0; extra_args && extra_args[i] && n < 62; i++)
		args[n++] = extra_args[i];
	args[n] = NULL;

	s->pid = HarnessSpawn(args, s->log_path);
	if (s->pid < 0)
	{
		s->pid = 0;
		return false;
	}
	while (time(NULL) <= deadline)
	{
		if (reap_if_exited(s))
			return false;
		if (ping_ok(s->port))
		{
			fprintf(stderr, "harness: server pid %d on port %d in %s\n", (int) s->pid,
					s->port, s->dir);
			return true;
		}
		usleep(20 * 1000);
	}
	return false;
}

/* spawn_and_wait gave up on a server that neither answered nor exited. */
static bool
start_timed_out(TuskServer *s)
{
	fprintf(stderr, "harness: server did not answer PING in %d s\n", START_TIMEOUT_SECONDS);
	HarnessStop(s);
	HarnessDumpLog(s);
	return false;
}

/* The server HarnessStart started last in this test process, for logs. */
static const TuskServer *last_started;

bool
HarnessStart(TuskServer *s, const char *const *extra_args, bool with_unix_socket)
{
	const char *base = run_dir[0] ? run_dir : getenv("TMPDIR");

	memset(s, 0, sizeof(*s));
	last_started = s;
	snprintf(s->dir, sizeof(s->dir), "%s/tusk-test-XXXXXX",
			 base && base[0] && strlen(base) < 100 ? base : "/tmp");
	if (mkdtemp(s->dir) == NULL)
	{
		fprintf(stderr, "harness: mkdtemp failed: %s\n", strerror(errno));
		s->dir[0] = '\0';
		return false;
	}
	track(s);
	snprintf(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
	if (with_unix_socket)
		snprintf(s->unix_path, sizeof(s->unix_path), "%s/tusk.sock", s->dir);

	for (int attempt = 0; attempt < START_ATTEMPTS; attempt++)
	{
		if (spawn_and_wait(s, extra_args, time(NULL) + START_TIMEOUT_SECONDS))
			return true;
		if (s->pid > 0)
			return start_timed_out(s);
		/* port taken meanwhile? try another */
		fprintf(stderr, "harness: server exited during start-up (status 0x%x), attempt %d\n",
				s->exit_status, attempt + 1);
	}
	HarnessDumpLog(s);
	return false;
}

bool
HarnessRestart(TuskServer *s, const char *const *extra_args)
{
	time_t		deadline = time(NULL) + START_TIMEOUT_SECONDS;

	if (s->pid > 0 || s->dir[0] == '\0')
		return false;
	track(s);
	for (int attempt = 1; time(NULL) <= deadline; attempt++)
	{
		if (spawn_and_wait(s, extra_args, deadline))
			return true;
		if (s->pid > 0)
			return start_timed_out(s);
		/* the old processes may hold the directory for a moment yet */
		fprintf(stderr, "harness: server exited during restart (status 0x%x), attempt %d\n",
				s->exit_status, attempt);
		usleep(200 * 1000);
	}
	HarnessDumpLog(s);
	return false;
}

bool
HarnessWaitExit(TuskServer *s, int timeout_seconds)
{
	time_t		deadline = time(NULL) + timeout_seconds;

	if (s->pid == 0)
		return true;
	while (time(NULL) <= deadline)
	{
		if (reap_if_exited(s))
			return true;
		usleep(10 * 1000);
	}
	return false;
}

int
HarnessStop(TuskServer *s)
{
	if (s->pid > 0)
	{
		time_t		t0 = time(NULL);

		fprintf(stderr, "harness: stopping server pid %d\n", (int) s->pid);
		kill(s->pid, SIGTERM);
		if (!HarnessWaitExit(s, STOP_TIMEOUT_SECONDS))
		{
			fprintf(stderr, "harness: server %d ignored SIGTERM for %d s; killing it\n",
					(int) s->pid, STOP_TIMEOUT_SECONDS);
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &s->exit_status, 0);
			s->pid = 0;
		}
		fprintf(stderr, "harness: server stopped after %d s, status 0x%x\n",
				(int) (time(NULL) - t0), s->exit_status);
	}
	return s->exit_status;
}

void
HarnessCleanup(TuskServer *s)
{
	if (s->pid > 0)
		HarnessStop(s);
	if (s->dir[0])
		remove_tree(s->dir);
	s->dir[0] = '\0';
	untrack(s);
}

void
HarnessDumpLog(const TuskServer *s)
{
	FILE	   *f = fopen(s->log_path, "r");
	char		line[1024];

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s\n", s->log_path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "----\n");
	fclose(f);
}

static redisContext *
finish_connect(redisContext *c)
{
	struct timeval tv = {IO_TIMEOUT_SECONDS, 0};

	if (c == NULL)
		return NULL;
	if (c->err)
	{
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

redisContext *
HarnessConnectPort(int port)
{
	struct timeval tv = {IO_TIMEOUT_SECONDS, 0};

	return finish_connect(redisConnectWithTimeout("127.0.0.1", port, tv));
}

redisContext *
HarnessConnect(const TuskServer *s)
{
	return HarnessConnectPort(s->port);
}

redisContext *
HarnessConnectUnix(const char *path)
{
	struct timeval tv = {IO_TIMEOUT_SECONDS, 0};

	return finish_connect(redisConnectUnixWithTimeout(path, tv));
}

int
HarnessRawConnect(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = {IO_TIMEOUT_SECONDS, 0};
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t) port);
	if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0)
	{
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

bool
HarnessRawSend(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0)
	{
		ssize_t		n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t) n;
	}
	return true;
}

size_t
HarnessRawRead(int fd, char *buf, size_t cap, size_t want, int timeout_seconds,
			   bool *closed)
{
	size_t		got = 0;
	time_t		deadline = time(NULL) + timeout_seconds;

	*closed = false;
	while (got < cap && (want == 0 || got < want))
	{
		struct pollfd pfd = {fd, POLLIN, 0};
		int			left = (int) (deadline - time(NULL));
		ssize_t		n;

		if (left < 0)
			break;
		if (poll(&pfd, 1, left * 1000 + 100) <= 0)
		{
			if (errno == EINTR)
				continue;
			if (time(NULL) > deadline)
				break;
			continue;
		}
		n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			*closed = true;
			break;
		}
		got += (size_t) n;
	}
	return got;
}

size_t
HarnessRawReadUntil(int fd, char *buf, size_t cap, const char *marker, int timeout_seconds)
{
	size_t		got = 0;
	time_t		deadline = time(NULL) + timeout_seconds;

	buf[0] = '\0';
	while (got + 1 < cap && strstr(buf, marker) == NULL)
	{
		struct pollfd pfd = {fd, POLLIN, 0};
		int			left = (int) (deadline - time(NULL));
		ssize_t		n;

		if (left < 0)
			break;
		if (poll(&pfd, 1, left * 1000 + 100) <= 0)
			continue;
		n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t) n;
		buf[got] = '\0';
	}
	return got;
}

bool
HarnessRawWaitClosed(int fd, int timeout_seconds)
{
	char		buf[4096];
	bool		closed;

	for (;;)
	{
		size_t		n = HarnessRawRead(fd, buf, sizeof(buf), 0, timeout_seconds, &closed);

		if (closed)
			return true;
		if (n == 0)
			return false;		/* timed out without EOF */
	}
}

redisReply *
HarnessCommand(redisContext *c, const char *fmt, ...)
{
	va_list		ap;
	void	   *r;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	return r;
}

bool
HarnessClientField(const char *line, const char *field, char *out, size_t outlen)
{
	size_t		flen = strlen(field);
	const char *p = line;

	while (p && *p)
	{
		if ((p == line || p[-1] == ' ' || p[-1] == '\n') &&
			strncmp(p, field, flen) == 0 && p[flen] == '=')
		{
			const char *v = p + flen + 1;
			size_t		n = strcspn(v, " \n");

			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p + 1, ' ');
		if (p)
			p++;
	}
	return false;
}

/* ------------------------------------------------------------ Check helpers */

void
HarnessStartOk(TuskServer *s, const char *const *extra_args, bool with_unix_socket)
{
	ck_assert_msg(HarnessStart(s, extra_args, with_unix_socket), "could not start %s",
				  HarnessServerPath());
}

void
HarnessRestartOk(TuskServer *s, const char *const *extra_args)
{
	ck_assert_msg(s->pid == 0, "restart of server pid %d, which still runs", (int) s->pid);
	ck_assert_msg(HarnessRestart(s, extra_args), "could not restart %s in %s",
				  HarnessServerPath(), s->dir);
}

/* A reaped server must have exited with status 0; else print its log. */
static void
expect_exit_0(const TuskServer *s, int status, const char *how)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		HarnessDumpLog(s);
		ck_abort_msg("server did not exit cleanly after %s: status 0x%x", how, status);
	}
}

void
HarnessStopOk(TuskServer *s)
{
	expect_exit_0(s, HarnessStop(s), "SIGTERM");
	HarnessCleanup(s);
}

void
HarnessShutdownOk(TuskServer *s)
{
	redisContext *c = HarnessConnectOk(s);
	redisReply *r = redisCommand(c, "SHUTDOWN");

	/* Redis closes the connection without a reply */
	if (r)
		freeReplyObject(r);
	redisFree(c);
	ck_assert_msg(HarnessWaitExit(s, STOP_TIMEOUT_SECONDS), "server did not exit after SHUTDOWN");
	expect_exit_0(s, s->exit_status, "SHUTDOWN");
}

void
HarnessKill9(TuskServer *s)
{
	pid_t		pgid = s->pid;
	time_t		deadline = time(NULL) + STOP_TIMEOUT_SECONDS;

	ck_assert_msg(pgid > 0, "kill -9 of a server that is not running");
	ck_assert_msg(kill(-pgid, SIGKILL) == 0, "kill(-%d, SIGKILL): %s", (int) pgid,
				  strerror(errno));
	ck_assert_int_eq(waitpid(pgid, &s->exit_status, 0), pgid);
	s->pid = 0;
	/* the children are reaped by init, a moment later */
	while (kill(-pgid, 0) == 0 && time(NULL) <= deadline)
		usleep(20 * 1000);
	ck_assert_msg(kill(-pgid, 0) != 0 && errno == ESRCH,
				  "processes of server %d survived SIGKILL", (int) pgid);
	fprintf(stderr, "harness: killed server pid %d and its process group\n", (int) pgid);
}

redisContext *
HarnessConnectOk(const TuskServer *s)
{
	redisContext *c = HarnessConnect(s);

	ck_assert_msg(c != NULL, "could not connect to port %d", s->port);
	return c;
}

static redisReply *
vcommand_ok(redisContext *c, const char *fmt, va_list ap)
{
	redisReply *r = redisvCommand(c, fmt, ap);

	/* a lost connection is best explained by the server's log */
	if (r == NULL && last_started != NULL)
		HarnessDumpLog(last_started);
	ck_assert_msg(r != NULL, "\"%s\": no reply: %s", fmt, c->errstr);
	return r;
}

redisReply *
HarnessCommandOk(redisContext *c, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	return r;
}

/* A status (+) or error (-) reply with exactly the text want. */
static void
expect_line_reply(redisReply *r, int type, const char *want, const char *fmt)
{
	ck_assert_msg(r->type == type && strcmp(r->str, want) == 0,
				  "\"%s\": want %c%s, got type %d \"%s\"", fmt,
				  type == REDIS_REPLY_STATUS ? '+' : '-', want, r->type, r->str ? r->str : "");
	freeReplyObject(r);
}

void
HarnessExpectStatus(redisContext *c, const char *want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	expect_line_reply(r, REDIS_REPLY_STATUS, want, fmt);
}

void
HarnessExpectError(redisContext *c, const char *want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	expect_line_reply(r, REDIS_REPLY_ERROR, want, fmt);
}

void
HarnessExpectType(redisContext *c, int type, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == type, "\"%s\": want type %d, got %d \"%s\"", fmt, type, r->type,
				  r->str ? r->str : "");
	freeReplyObject(r);
}

void
HarnessExpectInt(redisContext *c, long long want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == REDIS_REPLY_INTEGER && r->integer == want,
				  "\"%s\": want :%lld, got type %d %lld \"%s\"", fmt, want, r->type,
				  r->integer, r->str ? r->str : "");
	freeReplyObject(r);
}

long long
HarnessGetInt(redisContext *c, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;
	long long	v;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == REDIS_REPLY_INTEGER, "\"%s\": want an integer, got type %d \"%s\"",
				  fmt, r->type, r->str ? r->str : "");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

void
HarnessExpectBulk(redisContext *c, const char *want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcommand_ok(c, fmt, ap);
	va_end(ap);
	if (want == NULL)
		ck_assert_msg(r->type == REDIS_REPLY_NIL, "\"%s\": want nil, got type %d \"%s\"", fmt,
					  r->type, r->str ? r->str : "");
	else
		ck_assert_msg(r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0,
					  "\"%s\": want \"%s\", got type %d \"%s\"", fmt, want, r->type,
					  r->str ? r->str : "");
	freeReplyObject(r);
}

char *
HarnessInfo(redisContext *c, const char *args)
{
	char		command[256];
	redisReply *r;
	char	   *text;

	/* the words of args become separate arguments */
	snprintf(command, sizeof(command), "INFO %s", args);
	r = HarnessCommandOk(c, command);
	ck_assert_msg(r->type == REDIS_REPLY_STRING, "INFO %s: type %d", args, r->type);
	text = strdup(r->str);
	freeReplyObject(r);
	return text;
}

const char *
HarnessInfoField(const char *text, const char *field)
{
	static char value[1024];
	size_t		flen = strlen(field);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
	{
		if (strncmp(p, field, flen) == 0 && p[flen] == ':')
		{
			size_t		n = strcspn(p + flen + 1, "\r\n");

			if (n >= sizeof(value))
				n = sizeof(value) - 1;
			memcpy(value, p + flen + 1, n);
			value[n] = '\0';
			return value;
		}
	}
	return NULL;
}

long long
HarnessInfoInt(redisContext *c, const char *section, const char *field)
{
	char	   *text = HarnessInfo(c, section);
	const char *v = HarnessInfoField(text, field);
	long long	n;

	ck_assert_msg(v != NULL, "INFO %s has no field %s", section, field);
	n = atoll(v);
	free(text);
	return n;
}

void
HarnessAddCase(Suite *su, const char *name, const TTest *test, int timeout_seconds)
{
	TCase	   *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout_seconds);
	tcase_add_test(tc, test);
	suite_add_tcase(su, tc);
}

int
HarnessMain(Suite *su)
{
	SRunner    *sr;
	int			failed;

	if (access(HarnessServerPath(), X_OK) != 0)
	{
		fprintf(stderr, "tusk-server not found at %s (set TUSK_SERVER)\n", HarnessServerPath());
		return EXIT_FAILURE;
	}
	/* a server that closes a connection must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	if (!HarnessBeginRun())
		return EXIT_FAILURE;
	sr = srunner_create(su);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	HarnessEndRun();
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

pid_t
HarnessSpawnClient(int port, HarnessClientBody body, int index)
{
	pid_t		pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		redisContext *c = HarnessConnectPort(port);

		if (c == NULL || c->err)
			_exit(2);
		body(c, index);
		redisFree(c);
		_exit(0);
	}
	return pid;
}

void
HarnessWaitClients(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
	{
		int			status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client %d: status 0x%x", i,
					  status);
	}
}
