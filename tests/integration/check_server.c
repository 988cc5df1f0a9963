/*
 * check_server.c
 *	  Integration tests of the foundation against a real tusk-server:
 *	  pipelining, one process per connection, a backend killed with -9,
 *	  protocol errors, AUTH, maxclients, SELECT and CLIENT subcommands,
 *	  CONFIG SET seen by other backends (timeout, port), HELLO 3, QUIT,
 *	  SHUTDOWN, the data directory lock, and the unix socket.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h) in a
 *	  temp dir on a free port, and stops it by pid, asserting exit status 0.
 *	  Check fork mode: a failed test kills its server on the way out. Waits
 *	  (a client closed by "timeout 1", a new port listening) poll with
 *	  generous limits; nothing asserts how fast anything is. Expected reply
 *	  bytes are redis-server 7.0.15's for the same input.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define WAIT_SECONDS 30
#define CASE_TIMEOUT_SECONDS 180

/* ---------------------------------------------------------------- helpers */

static void
ping_ok(redisContext *c)
{
	HarnessExpectStatus(c, "PONG", "PING");
}

/* The connection is closed: a command gets no reply. Polls, as a CLIENT KILL
 * is handled by the other backend between commands. */
static void
expect_closed(redisContext *c)
{
	time_t		deadline = time(NULL) + WAIT_SECONDS;

	while (time(NULL) <= deadline)
	{
		redisReply *r = redisCommand(c, "PING");

		if (r == NULL)
			return;
		freeReplyObject(r);
		usleep(20 * 1000);
	}
	ck_abort_msg("connection still open after %d s", WAIT_SECONDS);
}

/* A field of this connection's CLIENT INFO line. */
static void
client_info_field(redisContext *c, const char *field, char *out, size_t outlen)
{
	redisReply *r = HarnessCommandOk(c, "CLIENT INFO");

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(HarnessClientField(r->str, field, out, outlen), "no %s= in \"%s\"", field,
				  r->str);
	freeReplyObject(r);
}

static int
client_pid(redisContext *c)
{
	char		buf[32];

	client_info_field(c, "pid", buf, sizeof(buf));
	return atoi(buf);
}

/* CLIENT LIST lines, split in place; returns the count. */
static int
client_list_lines(redisReply *r, char **lines, int max)
{
	int			n = 0;
	char	   *save = NULL;

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	for (char *l = strtok_r(r->str, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

/* Read exactly strlen(want) bytes and compare. */
static void
raw_expect(int fd, const char *want)
{
	size_t		wantlen = strlen(want);
	char	   *buf = malloc(wantlen + 1);
	bool		closed;
	size_t		got = HarnessRawRead(fd, buf, wantlen, wantlen, WAIT_SECONDS, &closed);

	buf[got] = '\0';
	ck_assert_msg(got == wantlen && memcmp(buf, want, wantlen) == 0,
				  "raw reply: got %zu bytes \"%s\", want \"%s\"", got, buf, want);
	free(buf);
}

/* Send bytes; the reply must be exactly `want` and then the server closes. */
static void
raw_expect_then_close(int port, const char *send, size_t sendlen, const char *want)
{
	int			fd = HarnessRawConnect(port);
	char		buf[1024];
	bool		closed;
	size_t		got;

	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, send, sendlen));
	got = HarnessRawRead(fd, buf, sizeof(buf) - 1, 0, WAIT_SECONDS, &closed);
	buf[got] = '\0';
	ck_assert_msg(got == strlen(want) && memcmp(buf, want, got) == 0,
				  "for \"%.40s\": got \"%s\", want \"%s\"", send, buf, want);
	ck_assert_msg(closed, "for \"%.40s\": connection not closed", send);
	close(fd);
}

#define RAW_CLOSE(port, lit, want) raw_expect_then_close((port), (lit), sizeof(lit) - 1, (want))

/* ---------------------------------------------------------- pipelining */

/* A binary argument unique to i: "msg-<i>\r\n\0-<i>". */
static size_t
make_arg(char *arg, int i)
{
	int			len = snprintf(arg, 32, "msg-%d\r\n", i);

	arg[len++] = '\0';
	len += snprintf(arg + len, 32, "-%d", i);
	return (size_t) len;
}

START_TEST(test_pipeline_10000)
{
	TuskServer	s;
	redisContext *c;
	int			n = 10000;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < n; i++)
	{
		char		arg[64];
		size_t		len = make_arg(arg, i);

		switch (i % 4)
		{
			case 0:
				redisAppendCommand(c, "PING");
				break;
			case 1:
				redisAppendCommand(c, "ECHO %b", arg, len);
				break;
			case 2:
				redisAppendCommand(c, "PING %b", arg, len);
				break;
			case 3:
				redisAppendCommand(c, "ECHO %s", "");
				break;
		}
	}
	for (int i = 0; i < n; i++)
	{
		redisReply *r;
		char		arg[64];
		size_t		len = make_arg(arg, i);

		ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "reply %d: %s", i, c->errstr);
		switch (i % 4)
		{
			case 0:
				ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
				ck_assert_str_eq(r->str, "PONG");
				break;
			case 1:
			case 2:
				ck_assert_msg(r->type == REDIS_REPLY_STRING && (size_t) r->len == len &&
							  memcmp(r->str, arg, len) == 0,
							  "reply %d out of order or wrong", i);
				break;
			case 3:
				ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
				ck_assert_int_eq(r->len, 0);
				break;
		}
		freeReplyObject(r);
	}
	ping_ok(c);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* The same through a raw socket, inline and multibulk mixed, one write. */
START_TEST(test_pipeline_raw_mixed)
{
	TuskServer	s;
	int			fd,
				n = 10000;
	size_t		cap = 64 * (size_t) n,
				slen = 0,
				wlen = 0;
	char	   *req = malloc(cap),
			   *want = malloc(cap);

	for (int i = 0; i < n; i++)
	{
		char		arg[32];
		int			alen = snprintf(arg, sizeof(arg), "v%d", i);

		if (i % 3 == 0)
		{
			slen += (size_t) snprintf(req + slen, cap - slen, "PING\r\n");
			wlen += (size_t) snprintf(want + wlen, cap - wlen, "+PONG\r\n");
		}
		else if (i % 3 == 1)
		{
			slen += (size_t) snprintf(req + slen, cap - slen, "ECHO %s\n", arg);
			wlen += (size_t) snprintf(want + wlen, cap - wlen, "$%d\r\n%s\r\n", alen, arg);
		}
		else
		{
			slen += (size_t) snprintf(req + slen, cap - slen, "*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n",
									  alen, arg);
			wlen += (size_t) snprintf(want + wlen, cap - wlen, "$%d\r\n%s\r\n", alen, arg);
		}
	}
	HarnessStartOk(&s, NULL, false);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, req, slen));
	{
		char	   *got = malloc(wlen + 1);
		bool		closed;
		size_t		g = HarnessRawRead(fd, got, wlen, wlen, WAIT_SECONDS, &closed);

		ck_assert_uint_eq(g, wlen);
		for (size_t i = 0; i < wlen; i++)
			if (got[i] != want[i])
				ck_abort_msg("replies differ at byte %zu: \"%.40s\" vs \"%.40s\"", i,
							 got + i, want + i);
		free(got);
	}
	close(fd);
	free(req);
	free(want);
	HarnessStopOk(&s);
}
END_TEST

/* ----------------------------------------------- one process per client */

#define NCONN 200

/*
 * The tests of a process per client (distinct pids, kill -9 of one
 * backend, a pooled backend's next client) run with shared backends off;
 * check_shared tests the shared ones.
 */
static const char *const dedicated_args[] = {"--shared_backends", "0", NULL};

START_TEST(test_200_connections)
{
	TuskServer	s;
	redisContext *cs[NCONN];
	long long	ids[NCONN];
	int			pids[NCONN];
	redisReply *r;
	char	   *lines[NCONN * 2];
	int			nlines,
				found = 0;

	HarnessStartOk(&s, dedicated_args, false);
	for (int i = 0; i < NCONN; i++)
		cs[i] = HarnessConnectOk(&s);
	for (int i = 0; i < NCONN; i++)
	{
		ids[i] = HarnessGetInt(cs[i], "CLIENT ID");
		pids[i] = client_pid(cs[i]);
		ck_assert_int_gt(pids[i], 0);
		ck_assert_int_ne(pids[i], s.pid);
		for (int j = 0; j < i; j++)
		{
			ck_assert_msg(ids[i] != ids[j], "connections %d and %d share id %lld", i, j, ids[i]);
			ck_assert_msg(pids[i] != pids[j], "connections %d and %d share process %d", i, j,
						  pids[i]);
		}
	}
	/* every one of them is listed, each with its own pid */
	r = HarnessCommandOk(cs[0], "CLIENT LIST");
	nlines = client_list_lines(r, lines, NCONN * 2);
	ck_assert_int_eq(nlines, NCONN);
	for (int l = 0; l < nlines; l++)
	{
		char		idbuf[32],
					pidbuf[32];

		ck_assert(HarnessClientField(lines[l], "id", idbuf, sizeof(idbuf)));
		ck_assert(HarnessClientField(lines[l], "pid", pidbuf, sizeof(pidbuf)));
		for (int i = 0; i < NCONN; i++)
		{
			if (ids[i] == atoll(idbuf))
			{
				ck_assert_int_eq(pids[i], atoi(pidbuf));
				found++;
			}
		}
	}
	ck_assert_int_eq(found, NCONN);
	freeReplyObject(r);
	/* and all answer, in an interleaved order */
	for (int i = NCONN - 1; i >= 0; i--)
		ping_ok(cs[i]);
	for (int i = 0; i < NCONN; i++)
	{
		redisReply *e = HarnessCommandOk(cs[i], "ECHO %d", i);

		ck_assert_int_eq(atoi(e->str), i);
		freeReplyObject(e);
	}
	for (int i = 0; i < NCONN; i++)
		redisFree(cs[i]);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_kill9_backend)
{
	TuskServer	s;
	redisContext *cs[5];
	long long	ids[5];
	int			victim;
	time_t		deadline;

	HarnessStartOk(&s, dedicated_args, false);
	for (int i = 0; i < 5; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ids[i] = HarnessGetInt(cs[i], "CLIENT ID");
	}
	victim = client_pid(cs[2]);
	ck_assert_int_eq(kill(victim, SIGKILL), 0);

	/* its client sees the connection drop */
	expect_closed(cs[2]);
	/* the others are untouched: same backends, same ids */
	for (int i = 0; i < 5; i++)
	{
		if (i == 2)
			continue;
		ping_ok(cs[i]);
		ck_assert_int_eq(HarnessGetInt(cs[i], "CLIENT ID"), ids[i]);
	}
	/* new connections are accepted */
	{
		redisContext *c = HarnessConnectOk(&s);

		ping_ok(c);
		redisFree(c);
	}
	/* the postmaster reaps it and frees its slot */
	deadline = time(NULL) + WAIT_SECONDS;
	for (;;)
	{
		redisReply *r = HarnessCommandOk(cs[0], "CLIENT LIST");
		char		needle[32];

		snprintf(needle, sizeof(needle), "pid=%d\n", victim);
		if (strstr(r->str, needle) == NULL)
		{
			freeReplyObject(r);
			break;
		}
		freeReplyObject(r);
		ck_assert_msg(time(NULL) <= deadline, "killed backend still listed");
		usleep(20 * 1000);
	}
	ck_assert_int_eq(kill(s.pid, 0), 0);
	for (int i = 0; i < 5; i++)
		redisFree(cs[i]);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------ protocol errors */

START_TEST(test_malformed_input)
{
	TuskServer	s;
	redisContext *other;
	static const struct
	{
		const char *send;
		const char *want;
	}			cases[] = {
		{"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"},
		{"*1\r\n\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"},
		{"ECHO \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"ECHO 'a'b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		/* requests before the bad one are answered first */
		{"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n",
		 "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"},
	};

	HarnessStartOk(&s, NULL, false);
	other = HarnessConnectOk(&s);
	ping_ok(other);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		raw_expect_then_close(s.port, cases[i].send, strlen(cases[i].send), cases[i].want);
		ping_ok(other);
	}
	/* too big inline request: 64 KiB + 1 without a newline */
	{
		size_t		len = 64 * 1024 + 1;
		char	   *big = malloc(len);

		memset(big, 'A', len);
		raw_expect_then_close(s.port, big, len, "-ERR Protocol error: too big inline request\r\n");
		free(big);
	}
	ping_ok(other);
	HarnessGetInt(other, "CLIENT ID");
	redisFree(other);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------------ AUTH */

START_TEST(test_auth)
{
	static const char *const args[] = {"--requirepass", "secret", NULL};
	TuskServer	s;
	redisContext *c;
	int			fd;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	HarnessExpectError(c, "NOAUTH Authentication required.", "PING");
	HarnessExpectError(c, "NOAUTH Authentication required.", "CONFIG GET timeout");
	HarnessExpectError(c, "WRONGPASS invalid username-password pair or user is disabled.",
					   "AUTH wrong");
	HarnessExpectError(c, "WRONGPASS invalid username-password pair or user is disabled.",
					   "AUTH default wrong");
	HarnessExpectError(c, "WRONGPASS invalid username-password pair or user is disabled.",
					   "AUTH someone secret");
	HarnessExpectError(c, "ERR syntax error", "AUTH a b c");
	HarnessExpectError(c, "NOAUTH Authentication required.", "PING");
	HarnessExpectStatus(c, "OK", "AUTH secret");
	ping_ok(c);
	/* a NUL inside a password is refused, not cut ("abc" would then do) */
	HarnessExpectError(c, "ERR CONFIG SET failed (possibly related to argument 'requirepass') - "
					   "tusk does not support values containing NUL bytes",
					   "CONFIG SET requirepass %b", "abc\0def", (size_t) 7);
	HarnessExpectError(c, "WRONGPASS invalid username-password pair or user is disabled.",
					   "AUTH abc");
	HarnessExpectError(c, "WRONGPASS invalid username-password pair or user is disabled.",
					   "AUTH %b", "secret\0x", (size_t) 8);
	HarnessExpectStatus(c, "OK", "AUTH secret");
	redisFree(c);

	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "AUTH default secret");
	ping_ok(c);
	redisFree(c);

	/*
	 * An unauthenticated client that sends without reading its -NOAUTH
	 * replies is disconnected (Redis: "For unauthenticated clients output
	 * buffer is limited"), instead of stalling its backend, and then us.
	 */
	{
		char		chunk[64 * 1024];
		size_t		sent = 0;
		time_t		deadline = time(NULL) + WAIT_SECONDS;
		bool		closed = false;

		for (size_t i = 0; i + 9 <= sizeof(chunk); i += 9)
			memcpy(chunk + i, "SET x 5\r\n", 9);
		fd = HarnessRawConnect(s.port);
		ck_assert_int_ge(fd, 0);
		while (!closed && time(NULL) <= deadline && sent < 512u * 1024 * 1024)
		{
			ssize_t		n = send(fd, chunk, sizeof(chunk) - sizeof(chunk) % 9,
								 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				sent += (size_t) n;
			else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				usleep(10 * 1000);	/* the server is not reading: it should close */
			else
				closed = true;	/* EPIPE / ECONNRESET */
		}
		close(fd);
		ck_assert_msg(closed, "an unauthenticated client that never reads was not disconnected "
					  "(%zu bytes sent)", sent);
		c = HarnessConnectOk(&s);	/* the server is fine */
		HarnessExpectStatus(c, "OK", "AUTH secret");
		ping_ok(c);
		redisFree(c);
	}

	/* HELLO before and with AUTH, in RESP3 */
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "HELLO 3\r\n", 9));
	raw_expect(fd, "-NOAUTH HELLO must be called with the client already authenticated, "
			   "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
			   "the client and select the RESP protocol version at the same time\r\n");
	ck_assert(HarnessRawSend(fd, "HELLO 3 AUTH default wrong\r\n", 28));
	raw_expect(fd, "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
	ck_assert(HarnessRawSend(fd, "HELLO 3 AUTH default secret\r\n", 29));
	raw_expect(fd, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
			   "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:");
	{
		char		buf[256];

		/* the id, then the rest of the map */
		HarnessRawReadUntil(fd, buf, sizeof(buf), "*0\r\n", WAIT_SECONDS);
		ck_assert_msg(strstr(buf, "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n"
							 "$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n") != NULL, "%s", buf);
	}
	ck_assert(HarnessRawSend(fd, "PING\r\n", 6));
	raw_expect(fd, "+PONG\r\n");
	close(fd);

	/* before AUTH, request sizes are capped as in Redis */
	RAW_CLOSE(s.port, "*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n");
	RAW_CLOSE(s.port, "*1\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n");
	/* and not after */
	{
		size_t		n = 20000;
		char	   *big = malloc(n);
		redisReply *r;

		memset(big, 'b', n);
		c = HarnessConnectOk(&s);
		HarnessExpectStatus(c, "OK", "AUTH secret");
		r = HarnessCommandOk(c, "ECHO %b", big, n);
		ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
		ck_assert_uint_eq(r->len, n);
		freeReplyObject(r);
		r = HarnessCommandOk(c, "PING %s %s %s %s %s %s %s %s %s %s %s", "1", "2", "3", "4", "5",
							 "6", "7", "8", "9", "10", "11");
		ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
		ck_assert_str_eq(r->str, "ERR wrong number of arguments for 'ping' command");
		freeReplyObject(r);
		free(big);
		redisFree(c);
	}
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------ maxclients */

START_TEST(test_maxclients)
{
	static const char *const args[] = {"--maxclients", "3", NULL};
	TuskServer	s;
	redisContext *cs[3],
			   *extra;
	redisReply *r;
	time_t		deadline;
	bool		accepted = false;

	HarnessStartOk(&s, args, false);
	cs[0] = HarnessConnectOk(&s);
	ping_ok(cs[0]);
	/* the harness's start-up probe has gone (its backend saw the close) */
	deadline = time(NULL) + WAIT_SECONDS;
	while (HarnessInfoInt(cs[0], "clients", "connected_clients") != 1 && time(NULL) <= deadline)
		usleep(10 * 1000);
	for (int i = 1; i < 3; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ping_ok(cs[i]);
	}
	/* the fourth is told and closed */
	RAW_CLOSE(s.port, "", "-ERR max number of clients reached\r\n");
	extra = HarnessConnectOk(&s);
	r = redisCommand(extra, "PING");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "ERR max number of clients reached");
	freeReplyObject(r);
	redisFree(extra);
	/* the others did not notice */
	for (int i = 0; i < 3; i++)
		ping_ok(cs[i]);
	/* one leaves: room again once the postmaster has reaped its backend */
	redisFree(cs[2]);
	deadline = time(NULL) + WAIT_SECONDS;
	while (!accepted && time(NULL) <= deadline)
	{
		extra = HarnessConnectOk(&s);
		r = redisCommand(extra, "PING");
		accepted = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
		if (r)
			freeReplyObject(r);
		redisFree(extra);
		if (!accepted)
			usleep(20 * 1000);
	}
	ck_assert_msg(accepted, "no room after a client left");
	redisFree(cs[0]);
	redisFree(cs[1]);
	HarnessStopOk(&s);
}
END_TEST

/* ----------------------------------------------- SELECT and CLIENT ... */

START_TEST(test_select_and_names)
{
	TuskServer	s;
	redisContext *a,
			   *b;
	redisReply *r;
	char		id[32];

	HarnessStartOk(&s, NULL, false);
	a = HarnessConnectOk(&s);
	b = HarnessConnectOk(&s);
	HarnessExpectStatus(a, "OK", "SELECT 15");
	HarnessExpectStatus(a, "OK", "SELECT 0");
	HarnessExpectError(a, "ERR DB index is out of range", "SELECT 16");
	HarnessExpectError(a, "ERR DB index is out of range", "SELECT -1");
	HarnessExpectError(a, "ERR value is not an integer or out of range", "SELECT abc");
	HarnessExpectStatus(a, "OK", "SELECT 7");

	r = HarnessCommandOk(a, "CLIENT GETNAME");
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	HarnessExpectStatus(a, "OK", "CLIENT SETNAME worker-1");
	r = HarnessCommandOk(a, "CLIENT GETNAME");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_str_eq(r->str, "worker-1");
	freeReplyObject(r);
	HarnessExpectError(a, "ERR Client names cannot contain spaces, newlines or special characters.",
					   "CLIENT SETNAME %s", "a b");
	HarnessExpectError(a, "ERR Client names cannot contain spaces, newlines or special characters.",
					   "CLIENT SETNAME %s", "a\nb");

	/* another backend sees the name and the db through the process array */
	client_info_field(a, "id", id, sizeof(id));
	r = HarnessCommandOk(b, "CLIENT LIST ID %s", id);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(strstr(r->str, " name=worker-1 ") != NULL, "%s", r->str);
	ck_assert_msg(strstr(r->str, " db=7 ") != NULL, "%s", r->str);
	freeReplyObject(r);

	/* an empty name removes it */
	HarnessExpectStatus(a, "OK", "CLIENT SETNAME %s", "");
	r = HarnessCommandOk(a, "CLIENT GETNAME");
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);

	redisFree(a);
	redisFree(b);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_client_kill)
{
	TuskServer	s;
	redisContext *a,
			   *b,
			   *c,
			   *d;
	long long	bid;
	char		addr[128];

	HarnessStartOk(&s, NULL, false);
	a = HarnessConnectOk(&s);
	b = HarnessConnectOk(&s);
	c = HarnessConnectOk(&s);
	d = HarnessConnectOk(&s);

	/* by id */
	bid = HarnessGetInt(b, "CLIENT ID");
	ck_assert_int_eq(HarnessGetInt(a, "CLIENT KILL ID %lld", bid), 1);
	expect_closed(b);
	ck_assert_int_eq(HarnessGetInt(a, "CLIENT KILL ID %lld", bid + 100000), 0);
	HarnessExpectError(a, "ERR client-id should be greater than 0", "CLIENT KILL ID 0");

	/* by address, old style */
	client_info_field(c, "addr", addr, sizeof(addr));
	HarnessExpectStatus(a, "OK", "CLIENT KILL %s", addr);
	expect_closed(c);
	HarnessExpectError(a, "ERR No such client", "CLIENT KILL %s", "1.2.3.4:5");

	/* by address, new style */
	client_info_field(d, "addr", addr, sizeof(addr));
	ck_assert_int_eq(HarnessGetInt(a, "CLIENT KILL ADDR %s", addr), 1);
	expect_closed(d);

	/* the killer is fine, and new clients too */
	ping_ok(a);
	{
		redisContext *e = HarnessConnectOk(&s);

		ping_ok(e);
		redisFree(e);
	}

	/*
	 * As in Redis, killed clients are gone when the reply comes: the next
	 * INFO counts only the killer (Redis's "CLIENT KILL SKIPME YES/NO will
	 * kill all clients"). Each round races the killed backends' exits.
	 */
	for (int round = 0; round < 30; round++)
	{
		redisContext *v1 = HarnessConnectOk(&s);
		redisContext *v2 = HarnessConnectOk(&s);
		char	   *info;

		ping_ok(v1);
		ping_ok(v2);
		ck_assert_int_eq(HarnessGetInt(a, "CLIENT KILL SKIPME yes"), 2);
		info = HarnessInfo(a, "clients");
		ck_assert_msg(strstr(info, "connected_clients:1\r\n") != NULL,
					  "round %d: right after CLIENT KILL: %s", round, info);
		free(info);
		redisFree(v1);
		redisFree(v2);
	}
	redisFree(a);
	redisFree(b);
	redisFree(c);
	redisFree(d);
	HarnessStopOk(&s);
}
END_TEST

/* ---------------------------------------------------------- CONFIG SET */

START_TEST(test_config_timeout)
{
	TuskServer	s;
	redisContext *a;
	int			old_fd,
				idle_fd;

	HarnessStartOk(&s, NULL, false);
	/* connected before the change */
	old_fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(old_fd, 0);
	ck_assert(HarnessRawSend(old_fd, "CONFIG GET timeout\r\n", 20));
	raw_expect(old_fd, "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");

	a = HarnessConnectOk(&s);
	HarnessExpectStatus(a, "OK", "CONFIG SET timeout 1");
	redisFree(a);

	/* the already-running backend reads the new value */
	ck_assert(HarnessRawSend(old_fd, "CONFIG GET timeout\r\n", 20));
	raw_expect(old_fd, "*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n");

	/* and both it and a new idle client are closed after a second idle */
	idle_fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(idle_fd, 0);
	ck_assert_msg(HarnessRawWaitClosed(idle_fd, WAIT_SECONDS), "idle client not closed");
	ck_assert_msg(HarnessRawWaitClosed(old_fd, WAIT_SECONDS), "old idle client not closed");
	close(idle_fd);
	close(old_fd);

	/* the server itself is fine */
	a = HarnessConnectOk(&s);
	HarnessExpectStatus(a, "OK", "CONFIG SET timeout 0");
	ping_ok(a);
	redisFree(a);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_config_set_port)
{
	TuskServer	s;
	redisContext *a,
			   *b = NULL;
	int			newport = 0,
				oldport;
	time_t		deadline;
	redisReply *r;
	char		portstr[16];

	HarnessStartOk(&s, NULL, false);
	oldport = s.port;
	a = HarnessConnectOk(&s);
	do
		newport = HarnessFreePort();
	while (newport == oldport);
	HarnessExpectStatus(a, "OK", "CONFIG SET port %d", newport);

	/* the postmaster listens there soon */
	deadline = time(NULL) + WAIT_SECONDS;
	while (b == NULL && time(NULL) <= deadline)
	{
		b = HarnessConnectPort(newport);
		if (b)
		{
			r = redisCommand(b, "PING");
			if (r == NULL || r->type != REDIS_REPLY_STATUS)
			{
				redisFree(b);
				b = NULL;
			}
			if (r)
				freeReplyObject(r);
		}
		if (b == NULL)
			usleep(20 * 1000);
	}
	ck_assert_msg(b != NULL, "nothing answers on the new port %d", newport);
	r = HarnessCommandOk(b, "CONFIG GET port");
	snprintf(portstr, sizeof(portstr), "%d", newport);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	ck_assert_str_eq(r->element[1]->str, portstr);
	freeReplyObject(r);

	/*
	 * The old port stops being served: connections are refused. A
	 * connection that is accepted but never answered means some process
	 * still holds the old listening socket.
	 */
	deadline = time(NULL) + WAIT_SECONDS;
	for (;;)
	{
		int			fd = HarnessRawConnect(oldport);
		char		buf[64];

		if (fd < 0)
			break;
		bool		closed = false;
		size_t		got;

		buf[0] = '\0';
		if (HarnessRawSend(fd, "PING\r\n", 6))
			got = HarnessRawRead(fd, buf, sizeof(buf) - 1, 7, 5, &closed);
		else
		{
			got = 0;
			closed = true;		/* reset before we could even send */
		}
		buf[got] = '\0';
		close(fd);
		/*
		 * Reset without a reply: the kernel completed the handshake on the
		 * old socket's backlog just before the postmaster closed it. That
		 * socket is gone, which is what we wait for.
		 */
		if (got == 0 && closed)
			break;
		ck_assert_msg(strcmp(buf, "+PONG\r\n") == 0,
					  "old port %d accepts connections but nobody serves them "
					  "(its listening socket is still open in some process)", oldport);
		ck_assert_msg(time(NULL) <= deadline, "old port %d still served", oldport);
		usleep(20 * 1000);
	}
	ping_ok(a);

	/*
	 * A port in use or a bad bind address: Redis's errors, the old values
	 * stay (CONFIG GET) and so do the listeners.
	 */
	{
		int			busy = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t	len = sizeof(sin);
		char		bind_before[256];

		r = HarnessCommandOk(b, "CONFIG GET bind");
		snprintf(bind_before, sizeof(bind_before), "%s", r->element[1]->str);
		freeReplyObject(r);

		ck_assert(busy >= 0 && bind(busy, (struct sockaddr *) &sin, sizeof(sin)) == 0 &&
				  listen(busy, 1) == 0 && getsockname(busy, (struct sockaddr *) &sin, &len) == 0);
		HarnessExpectError(b, "ERR CONFIG SET failed (possibly related to argument 'port') - "
						   "Unable to listen on this port. Check server logs.",
						   "CONFIG SET port %d", (int) ntohs(sin.sin_port));
		close(busy);
		HarnessExpectError(b, "ERR CONFIG SET failed (possibly related to argument 'bind') - "
						   "Failed to bind to specified addresses.",
						   "CONFIG SET bind 999.999.999.999");
		r = HarnessCommandOk(b, "CONFIG GET port");
		ck_assert_str_eq(r->element[1]->str, portstr);
		freeReplyObject(r);
		r = HarnessCommandOk(b, "CONFIG GET bind");
		ck_assert_str_eq(r->element[1]->str, bind_before);
		freeReplyObject(r);
		ping_ok(b);
	}
	redisFree(a);
	redisFree(b);
	s.port = newport;
	HarnessStopOk(&s);
}
END_TEST

/* ----------------------------------------------------- HELLO, QUIT ... */

START_TEST(test_hello3)
{
	TuskServer	s;
	int			fd;
	char		buf[2048],
				want[512];
	size_t		n;
	bool		closed;
	long long	id;

	HarnessStartOk(&s, NULL, false);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "CLIENT ID\r\n", 11));
	HarnessRawReadUntil(fd, buf, sizeof(buf), "\r\n", WAIT_SECONDS);
	ck_assert_msg(buf[0] == ':', "%s", buf);
	id = atoll(buf + 1);

	ck_assert(HarnessRawSend(fd, "HELLO 3\r\n", 9));
	snprintf(want, sizeof(want),
			 "%%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
			 "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:%lld\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
			 "$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n", id);
	raw_expect(fd, want);

	/* RESP3 from now on: null, map */
	ck_assert(HarnessRawSend(fd, "CLIENT GETNAME\r\n", 16));
	raw_expect(fd, "_\r\n");
	ck_assert(HarnessRawSend(fd, "CONFIG GET timeout\r\n", 20));
	raw_expect(fd, "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");
	ck_assert(HarnessRawSend(fd, "HELLO 4\r\n", 9));
	raw_expect(fd, "-NOPROTO unsupported protocol version\r\n");
	ck_assert(HarnessRawSend(fd, "HELLO x\r\n", 9));
	raw_expect(fd, "-ERR Protocol version is not an integer or out of range\r\n");
	ck_assert(HarnessRawSend(fd, "HELLO 3 foo\r\n", 13));
	raw_expect(fd, "-ERR Syntax error in HELLO option 'foo'\r\n");
	ck_assert(HarnessRawSend(fd, "CLIENT INFO\r\n", 13));
	HarnessRawReadUntil(fd, buf, sizeof(buf), "\n\r\n", WAIT_SECONDS);
	ck_assert_msg(strncmp(buf, "=", 1) == 0 && strstr(buf, "\r\ntxt:id=") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, " resp=3 ") != NULL, "%s", buf);

	/* back to RESP2 */
	ck_assert(HarnessRawSend(fd, "HELLO 2\r\n", 9));
	n = HarnessRawRead(fd, want, 5, 5, WAIT_SECONDS, &closed);
	ck_assert_uint_eq(n, 5);
	ck_assert(memcmp(want, "*14\r\n", 5) == 0);
	HarnessRawReadUntil(fd, buf, sizeof(buf), "*0\r\n", WAIT_SECONDS);
	ck_assert(HarnessRawSend(fd, "CLIENT GETNAME\r\n", 16));
	raw_expect(fd, "$-1\r\n");
	close(fd);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_quit)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	/* pipelined commands after QUIT are not run */
	RAW_CLOSE(s.port, "QUIT\r\nPING\r\n", "+OK\r\n");
	RAW_CLOSE(s.port, "PING\r\nQUIT\r\nPING\r\n", "+PONG\r\n+OK\r\n");
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "QUIT");
	r = redisCommand(c, "PING");
	ck_assert_ptr_null(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * CLIENT REPLY OFF/SKIP/ON: the bytes redis-server 7.0.15 sends for the
 * same pipeline (errors of unreplied commands are not sent either).
 */
START_TEST(test_client_reply)
{
	TuskServer	s;

	HarnessStartOk(&s, NULL, false);
	RAW_CLOSE(s.port,
			  "CLIENT REPLY ON\r\nSET a 1\r\nCLIENT REPLY SKIP\r\nGET a\r\nGET a\r\n"
			  "CLIENT REPLY OFF\r\nINCR a\r\nNOPE\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\n"
			  "GET a\r\nCLIENT REPLY maybe\r\nCLIENT REPLY OFF\r\nRESET\r\nGET a\r\n"
			  "CLIENT REPLY\r\nQUIT\r\n",
			  "+OK\r\n+OK\r\n$1\r\n1\r\n+OK\r\n$1\r\n2\r\n-ERR syntax error\r\n"
			  "+RESET\r\n$1\r\n2\r\n"
			  "-ERR wrong number of arguments for 'client|reply' command\r\n+OK\r\n");
	HarnessStopOk(&s);
}
END_TEST

/*
 * WAIT: no replicas, so 0, at once when none is asked for, else after the
 * timeout; a client that hangs up during WAIT 1 0 (forever) frees its
 * backend.
 */
START_TEST(test_wait)
{
	TuskServer	s;
	redisContext *c;
	struct timespec t0, t1;
	int			fd, polls = 0;
	double		ms;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 0, "WAIT 0 0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	HarnessExpectInt(c, 0, "WAIT 1 150");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_msg(ms >= 140, "WAIT 1 150 returned after %.0f ms", ms);
	HarnessExpectError(c, "ERR timeout is negative", "WAIT 1 -1");
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "WAIT 1 0\r\n", 10));
	while (polls < 100 && HarnessInfoInt(c, "clients", "connected_clients") != 2)
	{
		usleep(20 * 1000);
		polls++;
	}
	close(fd);
	polls = 0;
	while (polls < 500 && HarnessInfoInt(c, "clients", "connected_clients") != 1)
	{
		usleep(20 * 1000);
		polls++;
	}
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "connected_clients"), 1);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define OK(c, ...) HarnessExpectStatus(c, "OK", __VA_ARGS__)

/* Milliseconds a command takes, from send to reply. */
static double
timed_ms(redisContext *c, const char *cmd)
{
	struct timespec t0, t1;
	redisReply *r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = HarnessCommandOk(c, cmd);
	ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	freeReplyObject(r);
	return (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
}

/*
 * CLIENT PAUSE WRITE holds another client's SET (not its GET) until the
 * pause runs out or CLIENT UNPAUSE; PAUSE ALL holds even PING; a write
 * held by a pause whose client hangs up is never run.
 */
START_TEST(test_client_pause)
{
	TuskServer	s;
	redisContext *a,
			   *b;
	double		ms;
	int			fd;

	HarnessStartOk(&s, NULL, false);
	a = HarnessConnectOk(&s);
	b = HarnessConnectOk(&s);
	OK(a, "CLIENT PAUSE 400 WRITE");
	ms = timed_ms(b, "SET k v1");
	ck_assert_msg(ms >= 300, "SET ran %.0f ms into a 400 ms write pause", ms);
	OK(a, "CLIENT PAUSE 10000 WRITE");
	HarnessExpectBulk(b, "v1", "GET k");
	/* the pause outlives this client's hang-up: its SET must not run */
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "SET k never\r\n", 13));
	usleep(100 * 1000);
	close(fd);
	usleep(100 * 1000);
	OK(a, "CLIENT UNPAUSE");
	usleep(100 * 1000);
	HarnessExpectBulk(b, "v1", "GET k");
	ms = timed_ms(b, "SET k v2");
	ck_assert_msg(ms < 5000, "SET took %.0f ms after CLIENT UNPAUSE", ms);
	OK(a, "CLIENT PAUSE 300");
	ms = timed_ms(b, "PING");
	ck_assert_msg(ms >= 200, "PING ran %.0f ms into a 300 ms pause of all clients", ms);
	HarnessExpectError(a, "ERR CLIENT PAUSE mode must be WRITE or ALL", "CLIENT PAUSE 10 READ");
	HarnessExpectError(a, "ERR timeout is negative", "CLIENT PAUSE -1");
	redisFree(a);
	redisFree(b);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_shutdown)
{
	TuskServer	s;
	redisContext *c,
			   *other;
	redisReply *r;
	char		pidfile[HARNESS_PATH_LEN + 32];
	FILE	   *f;
	int			filepid = 0;

	HarnessStartOk(&s, NULL, false);
	snprintf(pidfile, sizeof(pidfile), "%s/tusk-server.pid", s.dir);
	f = fopen(pidfile, "r");
	ck_assert_msg(f != NULL, "no pid file %s", pidfile);
	ck_assert_int_eq(fscanf(f, "%d", &filepid), 1);
	fclose(f);
	ck_assert_int_eq(filepid, s.pid);

	c = HarnessConnectOk(&s);
	other = HarnessConnectOk(&s);
	HarnessExpectError(c, "ERR No shutdown in progress.", "SHUTDOWN ABORT");
	HarnessExpectError(c, "ERR syntax error", "SHUTDOWN SAVE NOSAVE");
	HarnessExpectError(c, "ERR syntax error", "SHUTDOWN BOGUS");
	/* the connection just closes, as with Redis */
	r = redisCommand(c, "SHUTDOWN");
	ck_assert_ptr_null(r);
	ck_assert_msg(HarnessWaitExit(&s, WAIT_SECONDS), "server still running after SHUTDOWN");
	ck_assert_msg(WIFEXITED(s.exit_status) && WEXITSTATUS(s.exit_status) == 0,
				  "exit status 0x%x", s.exit_status);
	ck_assert_msg(access(pidfile, F_OK) != 0, "pid file left behind");
	/* every other client was disconnected too */
	r = redisCommand(other, "PING");
	ck_assert_ptr_null(r);
	redisFree(c);
	redisFree(other);
	HarnessCleanup(&s);
}
END_TEST

START_TEST(test_sigterm_with_clients)
{
	TuskServer	s;
	redisContext *cs[10];

	HarnessStartOk(&s, NULL, false);
	for (int i = 0; i < 10; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ping_ok(cs[i]);
	}
	/* SIGTERM stops the backends and exits 0 */
	HarnessStopOk(&s);
	for (int i = 0; i < 10; i++)
	{
		ck_assert_ptr_null(redisCommand(cs[i], "PING"));
		redisFree(cs[i]);
	}
}
END_TEST

START_TEST(test_second_server_same_dir)
{
	TuskServer	s;
	char		log2[HARNESS_PATH_LEN + 32],
				port2[16],
				pidfile[HARNESS_PATH_LEN + 32];
	const char *args[8];
	pid_t		pid2;
	int			status = 0,
				filepid = 0;
	bool		exited = false;
	time_t		deadline;
	FILE	   *f;

	HarnessStartOk(&s, NULL, false);
	snprintf(log2, sizeof(log2), "%s/second.log", s.dir);
	snprintf(port2, sizeof(port2), "%d", HarnessFreePort());
	args[0] = HarnessServerPath();
	args[1] = "--port";
	args[2] = port2;
	args[3] = "--dir";
	args[4] = s.dir;
	args[5] = NULL;
	pid2 = HarnessSpawn(args, log2);
	ck_assert_int_gt(pid2, 0);
	deadline = time(NULL) + WAIT_SECONDS;
	while (!exited && time(NULL) <= deadline)
	{
		if (waitpid(pid2, &status, WNOHANG) == pid2)
			exited = true;
		else
			usleep(10 * 1000);
	}
	if (!exited)
	{
		kill(pid2, SIGKILL);
		waitpid(pid2, &status, 0);
		ck_abort_msg("a second server on the same --dir kept running");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
				  "second server: status 0x%x", status);
	{
		char		text[4096] = "";
		size_t		n;

		f = fopen(log2, "r");
		ck_assert_ptr_nonnull(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		fclose(f);
		ck_assert_msg(strstr(text, "another tusk-server") != NULL, "second server said: %s",
					  text);
	}
	/* the first one is unharmed, pid file included */
	{
		redisContext *c = HarnessConnectOk(&s);

		ping_ok(c);
		redisFree(c);
	}
	snprintf(pidfile, sizeof(pidfile), "%s/tusk-server.pid", s.dir);
	f = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &filepid), 1);
	fclose(f);
	ck_assert_int_eq(filepid, s.pid);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_unix_socket)
{
	TuskServer	s;
	redisContext *c;
	char		addr[HARNESS_PATH_LEN + 40],
				flags[16],
				want[HARNESS_PATH_LEN + 40];
	char		path[HARNESS_PATH_LEN + 32];

	HarnessStartOk(&s, NULL, true);
	snprintf(path, sizeof(path), "%s", s.unix_path);
	c = HarnessConnectUnix(path);
	ck_assert_msg(c != NULL, "could not connect to %s", path);
	ping_ok(c);
	HarnessExpectStatus(c, "OK", "CLIENT SETNAME over-unix");
	client_info_field(c, "addr", addr, sizeof(addr));
	snprintf(want, sizeof(want), "%s:0", path);
	ck_assert_str_eq(addr, want);
	client_info_field(c, "flags", flags, sizeof(flags));
	ck_assert_str_eq(flags, "U");
	/* TCP still works alongside */
	{
		redisContext *t = HarnessConnectOk(&s);

		ping_ok(t);
		redisFree(t);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_unix_socket_removed_at_shutdown)
{
	TuskServer	s;
	int			status;

	HarnessStartOk(&s, NULL, true);
	ck_assert_int_eq(access(s.unix_path, F_OK), 0);
	status = HarnessStop(&s);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(access(s.unix_path, F_OK) != 0, "unix socket file left behind");
	HarnessCleanup(&s);
}
END_TEST

/*
 * A backend whose client went away serves the next connection (the pool
 * in postmaster.c): that connection must start as fresh as in a new
 * process: RESP2, db 0, no name, a new id, not authenticated.
 */
START_TEST(test_reused_backend_starts_fresh)
{
	static const char *const args[] = {"--requirepass", "secret", "--shared_backends", "0", NULL};
	TuskServer	s;
	redisContext *a, *b = NULL;
	redisContext *others[50];
	int			nothers = 0;
	redisReply *r;
	int			pid_a;
	long long	id_a;
	bool		reused = false;

	HarnessStartOk(&s, args, false);
	a = HarnessConnectOk(&s);
	HarnessExpectStatus(a, "OK", "AUTH secret");
	HarnessExpectStatus(a, "OK", "SELECT 5");
	HarnessExpectStatus(a, "OK", "CLIENT SETNAME first");
	HarnessExpectStatus(a, "OK", "SET in5 x");
	pid_a = client_pid(a);
	id_a = HarnessGetInt(a, "CLIENT ID");
	redisFree(a);

	/*
	 * Until a's backend is back in the pool, each new connection gets a
	 * new fork. Those stay connected: freed, they would go into the pool
	 * on top of a's (it hands out the most recently freed first).
	 */
	for (int i = 0; i < 50 && !reused; i++)
	{
		usleep(20 * 1000);
		b = HarnessConnectOk(&s);
		HarnessExpectError(b, "NOAUTH Authentication required.", "GET in5");
		HarnessExpectStatus(b, "OK", "AUTH secret");
		if (client_pid(b) == pid_a)
		{
			reused = true;
			break;
		}
		others[nothers++] = b;
	}
	for (int i = 0; i < nothers; i++)
		redisFree(others[i]);
	ck_assert_msg(reused, "no new connection was served by the freed backend %d", pid_a);
	/* db 0, no name, a new id */
	r = HarnessCommandOk(b, "CLIENT GETNAME");
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	HarnessExpectBulk(b, NULL, "GET in5");
	ck_assert_int_gt(HarnessGetInt(b, "CLIENT ID"), id_a);
	r = HarnessCommandOk(b, "CLIENT INFO");
	ck_assert_msg(strstr(r->str, " db=0 ") && strstr(r->str, " resp=2 ") && strstr(r->str, " name= "),
				  "CLIENT INFO of the reused backend: %s", r->str);
	freeReplyObject(r);
	HarnessExpectStatus(b, "OK", "SELECT 5");
	HarnessExpectBulk(b, "x", "GET in5");
	/* connected_clients counts clients, not the processes waiting in the pool */
	ck_assert_int_eq(HarnessInfoInt(b, "clients", "connected_clients"), 1);
	redisFree(b);
	HarnessStopOk(&s);
}
END_TEST

/* One test case per test, named without "test_": CK_RUN_CASE=auth runs one. */
static void
add(Suite *su, const char *name, const TTest *test)
{
	HarnessAddCase(su, name, test, CASE_TIMEOUT_SECONDS);
}

static Suite *
server_suite(void)
{
	Suite	   *su = suite_create("server");

	add(su, "pipeline_10000", test_pipeline_10000);
	add(su, "pipeline_raw_mixed", test_pipeline_raw_mixed);
	add(su, "200_connections", test_200_connections);
	add(su, "kill9_backend", test_kill9_backend);
	add(su, "malformed_input", test_malformed_input);
	add(su, "auth", test_auth);
	add(su, "maxclients", test_maxclients);
	add(su, "select_and_names", test_select_and_names);
	add(su, "client_kill", test_client_kill);
	add(su, "config_timeout", test_config_timeout);
	add(su, "config_set_port", test_config_set_port);
	add(su, "hello3", test_hello3);
	add(su, "quit", test_quit);
	add(su, "client_reply", test_client_reply);
	add(su, "wait", test_wait);
	add(su, "client_pause", test_client_pause);
	add(su, "shutdown", test_shutdown);
	add(su, "sigterm_with_clients", test_sigterm_with_clients);
	add(su, "second_server_same_dir", test_second_server_same_dir);
	add(su, "unix_socket", test_unix_socket);
	add(su, "unix_socket_removed_at_shutdown", test_unix_socket_removed_at_shutdown);
	add(su, "reused_backend_starts_fresh", test_reused_backend_starts_fresh);
	return su;
}

int
main(void)
{
	return HarnessMain(server_suite());
}
