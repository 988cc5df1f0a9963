/*
 * check_shared.c
 *	  Integration tests of shared backends (server/backend_mux.c): with
 *	  --shared_backends N a few processes serve many clients each, and a
 *	  client moves to a backend of its own before a command that would
 *	  make the others wait. Each client must still look like a client of
 *	  its own: its id, name, database and protocol, its place in CLIENT
 *	  LIST, replies in order across a move, CLIENT KILL, the idle timeout,
 *	  maxclients and a protocol error closing it alone; a kill -9 of a
 *	  shared backend closes only its clients; a client whose replies pile
 *	  up does not hold the others back; acknowledged writes survive a
 *	  kill -9 of the whole server.
 *
 * NOTES
 *	  Every server runs with --shared_backends 2 unless a test says
 *	  otherwise. The postmaster gives a new connection to the least loaded
 *	  shared backend, so connections open at the same time are spread over
 *	  both; a test that needs two clients on one process finds them by
 *	  CLIENT LIST's pid= instead of assuming an order. The harness's
 *	  start-up probe is a client too, until its backend sees it close:
 *	  tests that count clients first wait for it to go. Waits poll with
 *	  generous limits; nothing asserts how fast anything is.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define WAIT_SECONDS		 30
#define CASE_TIMEOUT_SECONDS 120

static const char *const shared2[] = {"--shared_backends", "2", NULL};

/* ---------------------------------------------------------------- helpers */

static void
ping_ok(redisContext *c)
{
	HarnessExpectStatus(c, "PONG", "PING");
}

/* The connection is closed: a command gets no reply. Polls, as a kill is
 * seen by the shared backend between rounds. */
static void
expect_closed(redisContext *c, const char *what)
{
	time_t deadline = time(NULL) + WAIT_SECONDS;

	while (time(NULL) <= deadline)
	{
		redisReply *r = redisCommand(c, "PING");

		if (r == NULL)
			return;
		freeReplyObject(r);
		usleep(20 * 1000);
	}
	ck_abort_msg("%s: connection still open after %d s", what, WAIT_SECONDS);
}

static void
raw_send(int fd, const char *data)
{
	ck_assert_msg(HarnessRawSend(fd, data, strlen(data)), "could not send \"%s\"", data);
}

/* Read exactly strlen(want) bytes and compare. */
static void
raw_expect(int fd, const char *want)
{
	size_t wantlen = strlen(want);
	char *buf = malloc(wantlen + 1);
	bool closed;
	size_t got = HarnessRawRead(fd, buf, wantlen, wantlen, WAIT_SECONDS, &closed);

	buf[got] = '\0';
	ck_assert_msg(got == wantlen && memcmp(buf, want, wantlen) == 0,
				  "raw reply: got %zu bytes \"%s\", want \"%s\"", got, buf, want);
	free(buf);
}

/* CLIENT ID over a raw RESP2 connection. */
static long long
raw_client_id(int fd)
{
	char buf[64];

	raw_send(fd, "CLIENT ID\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), "\r\n", WAIT_SECONDS);
	ck_assert_msg(buf[0] == ':', "CLIENT ID: \"%s\"", buf);
	return atoll(buf + 1);
}

/* The pid= of client id in CLIENT LIST; 0 if it is not listed. */
static int
listed_pid(redisContext *c, long long id)
{
	redisReply *r = HarnessCommandOk(c, "CLIENT LIST ID %lld", id);
	char buf[32];
	int pid = 0;

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	if (HarnessClientField(r->str, "pid", buf, sizeof(buf)))
		pid = atoi(buf);
	freeReplyObject(r);
	return pid;
}

/* This connection's own pid= (CLIENT INFO). */
static int
own_pid(redisContext *c)
{
	redisReply *r = HarnessCommandOk(c, "CLIENT INFO");
	char buf[32];

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(HarnessClientField(r->str, "pid", buf, sizeof(buf)), "%s", r->str);
	freeReplyObject(r);
	return atoi(buf);
}

/* CLIENT LIST lines, split in place; returns the count. */
static int
client_list_lines(redisReply *r, char **lines, int max)
{
	int n = 0;
	char *save = NULL;

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	for (char *l = strtok_r(r->str, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

/* The process title of pid (its /proc cmdline), "" if it is gone. */
static void
process_title(int pid, char *out, size_t outlen)
{
	char path[64];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "r");
	if (f != NULL)
	{
		n = fread(out, 1, outlen - 1, f);
		fclose(f);
	}
	out[n] = '\0';
}

static bool
is_shared_backend(int pid)
{
	char title[256];

	process_title(pid, title, sizeof(title));
	return strncmp(title, "tusk: shared backend", 20) == 0;
}

/* Wait until INFO clients says connected_clients is want. */
static void
wait_connected_clients(redisContext *c, long long want)
{
	time_t deadline = time(NULL) + WAIT_SECONDS;
	long long now;

	while ((now = HarnessInfoInt(c, "clients", "connected_clients")) != want)
	{
		ck_assert_msg(time(NULL) <= deadline, "connected_clients is %lld, want %lld", now, want);
		usleep(20 * 1000);
	}
}

/* ------------------------------------------------------------------ tests */

/*
 * 20 connections: each is listed with an id of its own, and all are served
 * by at most two processes, shared backends, none of them the postmaster;
 * the titles' client counts add up to 20.
 */
START_TEST(test_twenty_clients)
{
	enum
	{
		NCONN = 20
	};
	TuskServer s;
	redisContext *cs[NCONN];
	long long ids[NCONN];
	int pids[2] = {0, 0};
	int npids = 0, found = 0, nlines;
	char *lines[NCONN * 2];
	redisReply *r;
	time_t deadline;

	HarnessStartOk(&s, shared2, false);
	for (int i = 0; i < NCONN; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ids[i] = HarnessGetInt(cs[i], "CLIENT ID");
	}
	wait_connected_clients(cs[0], NCONN);
	r = HarnessCommandOk(cs[0], "CLIENT LIST");
	nlines = client_list_lines(r, lines, NCONN * 2);
	ck_assert_int_eq(nlines, NCONN);
	for (int l = 0; l < nlines; l++)
	{
		char idbuf[32], pidbuf[32];
		long long id;
		int pid;
		bool known = false;

		ck_assert(HarnessClientField(lines[l], "id", idbuf, sizeof(idbuf)));
		ck_assert(HarnessClientField(lines[l], "pid", pidbuf, sizeof(pidbuf)));
		id = atoll(idbuf);
		pid = atoi(pidbuf);
		for (int k = 0; k < l; k++)
		{
			char other[32];

			HarnessClientField(lines[k], "id", other, sizeof(other));
			ck_assert_msg(atoll(other) != id, "id %lld listed twice", id);
		}
		for (int i = 0; i < NCONN; i++)
			found += ids[i] == id;
		ck_assert_int_gt(pid, 0);
		ck_assert_int_ne(pid, s.pid);
		for (int k = 0; k < npids; k++)
			known = known || pids[k] == pid;
		if (!known)
		{
			ck_assert_msg(npids < 2, "a third process serves clients: pid %d (%s)", pid, lines[l]);
			ck_assert_msg(is_shared_backend(pid), "pid %d is not a shared backend", pid);
			pids[npids++] = pid;
		}
	}
	ck_assert_int_eq(found, NCONN);
	freeReplyObject(r);

	/* each process's title counts its clients */
	deadline = time(NULL) + WAIT_SECONDS;
	for (;;)
	{
		int total = 0;

		for (int k = 0; k < npids; k++)
		{
			char title[256];

			process_title(pids[k], title, sizeof(title));
			total += atoi(title + strlen("tusk: shared backend ("));
		}
		if (total == NCONN)
			break;
		ck_assert_msg(time(NULL) <= deadline, "process titles count %d clients", total);
		usleep(20 * 1000);
	}
	for (int i = NCONN - 1; i >= 0; i--)
		ping_ok(cs[i]);
	for (int i = 0; i < NCONN; i++)
		redisFree(cs[i]);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A move keeps the client: name, database, RESP3, id, the reply of the
 * request before the one that moves, and the requests pipelined after it,
 * all in one write.
 */
START_TEST(test_move_keeps_client)
{
	static const char pipeline[] = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
								   "*3\r\n$5\r\nBLPOP\r\n$6\r\nnolist\r\n$3\r\n0.1\r\n"
								   "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
								   "*2\r\n$6\r\nCLIENT\r\n$7\r\nGETNAME\r\n"
								   "*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n";
	TuskServer s;
	redisContext *observer;
	redisReply *r;
	char buf[2048], want[256], title[256];
	long long id;
	int fd, pid_before, pid_after;

	HarnessStartOk(&s, shared2, false);
	observer = HarnessConnectOk(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	raw_send(fd, "CLIENT SETNAME n1\r\n");
	raw_expect(fd, "+OK\r\n");
	raw_send(fd, "SELECT 3\r\n");
	raw_expect(fd, "+OK\r\n");
	id = raw_client_id(fd);
	pid_before = listed_pid(observer, id);
	ck_assert_msg(is_shared_backend(pid_before), "client not on a shared backend: pid %d",
				  pid_before);
	raw_send(fd, "HELLO 3\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), "$7\r\nmodules\r\n*0\r\n", WAIT_SECONDS);
	ck_assert_msg(strncmp(buf, "%7\r\n", 4) == 0, "HELLO 3: \"%s\"", buf);
	raw_send(fd, "SET k v\r\n");
	raw_expect(fd, "+OK\r\n");

	/* SET on the shared backend, BLPOP (times out) and the rest after the move */
	ck_assert(HarnessRawSend(fd, pipeline, sizeof(pipeline) - 1));
	snprintf(want, sizeof(want), "+OK\r\n_\r\n$1\r\n1\r\n$2\r\nn1\r\n:%lld\r\n", id);
	raw_expect(fd, want);

	/* a process of its own now, listed with the same id, name, db and protocol */
	pid_after = listed_pid(observer, id);
	ck_assert_int_gt(pid_after, 0);
	ck_assert_msg(pid_after != pid_before, "client %lld did not move from pid %d", id, pid_before);
	ck_assert_int_ne(pid_after, s.pid);
	process_title(pid_after, title, sizeof(title));
	ck_assert_msg(strncmp(title, "tusk: backend", 13) == 0, "moved to \"%s\"", title);
	r = HarnessCommandOk(observer, "CLIENT LIST ID %lld", id);
	ck_assert_msg(strstr(r->str, " name=n1 ") && strstr(r->str, " db=3 ") &&
					  strstr(r->str, " resp=3 "),
				  "after the move: %s", r->str);
	freeReplyObject(r);

	/* the keys went to db 3 */
	HarnessExpectBulk(observer, NULL, "GET k");
	HarnessExpectBulk(observer, NULL, "GET a");
	HarnessExpectStatus(observer, "OK", "SELECT 3");
	HarnessExpectBulk(observer, "v", "GET k");
	HarnessExpectBulk(observer, "1", "GET a");

	/* and the moved client goes on where it was */
	raw_send(fd, "GET k\r\n");
	raw_expect(fd, "$1\r\nv\r\n");
	raw_send(fd, "CLIENT GETNAME\r\n");
	raw_expect(fd, "$2\r\nn1\r\n");
	close(fd);
	redisFree(observer);
	HarnessStopOk(&s);
}
END_TEST

/* WATCH, MULTI and EXEC from shared clients. */
START_TEST(test_multi_watch)
{
	TuskServer s;
	redisContext *a, *b, *c;
	redisReply *r;
	int pid_a;

	HarnessStartOk(&s, shared2, false);
	a = HarnessConnectOk(&s);
	b = HarnessConnectOk(&s);
	c = HarnessConnectOk(&s);
	pid_a = own_pid(a);
	ck_assert(is_shared_backend(pid_a));
	ck_assert(is_shared_backend(own_pid(b)));
	HarnessExpectStatus(a, "OK", "SET k 1");

	/* a change by another client after WATCH aborts the transaction */
	HarnessExpectStatus(a, "OK", "WATCH k");
	HarnessExpectStatus(b, "OK", "SET k 2");
	HarnessExpectStatus(a, "OK", "MULTI");
	HarnessExpectStatus(a, "QUEUED", "SET k x");
	HarnessExpectType(a, REDIS_REPLY_NIL, "EXEC");
	HarnessExpectBulk(a, "2", "GET k");
	HarnessExpectBulk(b, "2", "GET k");
	ck_assert_int_ne(own_pid(a), pid_a);

	/* without a change it commits */
	HarnessExpectStatus(c, "OK", "WATCH k");
	HarnessExpectStatus(c, "OK", "MULTI");
	HarnessExpectStatus(c, "QUEUED", "SET k y");
	HarnessExpectStatus(c, "QUEUED", "INCR n");
	HarnessExpectStatus(c, "QUEUED", "INCR n");
	r = HarnessCommandOk(c, "EXEC");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq((int) r->elements, 3);
	ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_STATUS);
	ck_assert_str_eq(r->element[0]->str, "OK");
	ck_assert_int_eq(r->element[1]->integer, 1);
	ck_assert_int_eq(r->element[2]->integer, 2);
	freeReplyObject(r);
	HarnessExpectBulk(b, "y", "GET k");
	HarnessExpectBulk(b, "2", "GET n");
	redisFree(a);
	redisFree(b);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* A BLPOP (moved) woken by an RPUSH from another shared client. */
START_TEST(test_blpop_woken)
{
	TuskServer s;
	redisContext *b;
	int fd, pid_b;
	time_t deadline;

	HarnessStartOk(&s, shared2, false);
	b = HarnessConnectOk(&s);
	pid_b = own_pid(b);
	ck_assert(is_shared_backend(pid_b));
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	raw_send(fd, "BLPOP q 0\r\n");
	deadline = time(NULL) + WAIT_SECONDS;
	while (HarnessInfoInt(b, "clients", "blocked_clients") != 1)
	{
		ck_assert_msg(time(NULL) <= deadline, "BLPOP never blocked");
		usleep(20 * 1000);
	}
	HarnessExpectInt(b, 1, "RPUSH q x");
	raw_expect(fd, "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
	raw_send(fd, "PING\r\n");
	raw_expect(fd, "+PONG\r\n");
	/* the pusher stayed where it was */
	ck_assert_int_eq(own_pid(b), pid_b);
	HarnessExpectInt(b, 0, "EXISTS q");
	close(fd);
	redisFree(b);
	HarnessStopOk(&s);
}
END_TEST

/* SUBSCRIBE from a shared client gets another shared client's PUBLISH. */
START_TEST(test_subscribe)
{
	TuskServer s;
	redisContext *b;
	int fd, pid_b;

	HarnessStartOk(&s, shared2, false);
	b = HarnessConnectOk(&s);
	pid_b = own_pid(b);
	ck_assert(is_shared_backend(pid_b));
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	raw_send(fd, "SUBSCRIBE ch\r\n");
	raw_expect(fd, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
	HarnessExpectInt(b, 1, "PUBLISH ch hello");
	raw_expect(fd, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
	HarnessExpectInt(b, 1, "PUBLISH ch again");
	raw_expect(fd, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nagain\r\n");
	ck_assert_int_eq(own_pid(b), pid_b);
	close(fd);
	redisFree(b);
	HarnessStopOk(&s);
}
END_TEST

/*
 * CLIENT KILL ID of a shared client closes that connection alone, also
 * when the killer sits on the same shared backend.
 */
START_TEST(test_client_kill)
{
	enum
	{
		NCONN = 7
	};
	TuskServer s;
	redisContext *cs[NCONN];
	long long ids[NCONN];
	int pids[NCONN];
	bool alive[NCONN];
	int victim = -1, killer = -1, target = -1;

	HarnessStartOk(&s, shared2, false);
	for (int i = 0; i < NCONN; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ids[i] = HarnessGetInt(cs[i], "CLIENT ID");
		alive[i] = true;
	}
	for (int i = 0; i < NCONN; i++)
	{
		pids[i] = own_pid(cs[i]);
		ck_assert_msg(is_shared_backend(pids[i]), "client %d on pid %d", i, pids[i]);
	}

	/*
	 * cs[0] kills a client of the other shared backend, one that shares
	 * its process with one of the five that stay
	 */
	for (int v = 1; v < NCONN && victim < 0; v++)
		for (int i = 1; i < NCONN; i++)
			if (i != v && pids[v] != pids[0] && pids[i] == pids[v])
				victim = v;
	ck_assert_msg(victim > 0, "no two of %d clients share the other shared backend", NCONN - 1);
	ck_assert_int_eq(HarnessGetInt(cs[0], "CLIENT KILL ID %lld", ids[victim]), 1);
	expect_closed(cs[victim], "killed by a client of the other shared backend");
	alive[victim] = false;
	for (int i = 0; i < NCONN; i++)
	{
		if (!alive[i])
			continue;
		ping_ok(cs[i]);
		ck_assert_int_eq(HarnessGetInt(cs[i], "CLIENT ID"), ids[i]);
		ck_assert_int_eq(own_pid(cs[i]), pids[i]);
	}
	ck_assert_int_eq(listed_pid(cs[0], ids[victim]), 0);

	/* one kills another on its own shared backend */
	for (int i = 0; i < NCONN && killer < 0; i++)
		for (int j = 0; j < NCONN; j++)
			if (i != j && alive[i] && alive[j] && pids[i] == pids[j])
			{
				killer = i;
				target = j;
				break;
			}
	ck_assert_msg(killer >= 0, "no two live clients share a shared backend");
	ck_assert_int_eq(HarnessGetInt(cs[killer], "CLIENT KILL ID %lld", ids[target]), 1);
	expect_closed(cs[target], "killed by a client of its own shared backend");
	alive[target] = false;
	for (int i = 0; i < NCONN; i++)
	{
		if (!alive[i])
			continue;
		ping_ok(cs[i]);
		ck_assert_int_eq(HarnessGetInt(cs[i], "CLIENT ID"), ids[i]);
	}
	ck_assert_int_eq(listed_pid(cs[killer], ids[target]), 0);
	for (int i = 0; i < NCONN; i++)
		redisFree(cs[i]);
	HarnessStopOk(&s);
}
END_TEST

/*
 * kill -9 of a shared backend closes its clients' connections; the other
 * shared backend's clients go on, new connections are served, and
 * connected_clients forgets the dead ones.
 */
START_TEST(test_kill9_shared_backend)
{
	enum
	{
		NCONN = 8
	};
	TuskServer s;
	redisContext *cs[NCONN], *fresh;
	long long ids[NCONN];
	int pids[NCONN];
	int victim, on_victim = 0, others = 0;
	time_t deadline;

	HarnessStartOk(&s, shared2, false);
	for (int i = 0; i < NCONN; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ids[i] = HarnessGetInt(cs[i], "CLIENT ID");
	}
	for (int i = 0; i < NCONN; i++)
		pids[i] = own_pid(cs[i]);
	victim = pids[0];
	ck_assert(is_shared_backend(victim));
	for (int i = 0; i < NCONN; i++)
	{
		on_victim += pids[i] == victim;
		others += pids[i] != victim;
	}
	ck_assert_msg(others > 0, "all %d clients on one shared backend", NCONN);
	wait_connected_clients(cs[0], NCONN);

	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	for (int i = 0; i < NCONN; i++)
		if (pids[i] == victim)
			expect_closed(cs[i], "client of the killed shared backend");
	for (int i = 0; i < NCONN; i++)
	{
		if (pids[i] == victim)
			continue;
		ping_ok(cs[i]);
		ck_assert_int_eq(HarnessGetInt(cs[i], "CLIENT ID"), ids[i]);
		ck_assert_int_eq(own_pid(cs[i]), pids[i]);
	}
	fresh = HarnessConnectOk(&s);
	ping_ok(fresh);
	HarnessExpectStatus(fresh, "OK", "SET after kill");
	HarnessExpectBulk(fresh, "kill", "GET after");
	ck_assert_int_ne(own_pid(fresh), victim);

	/* the dead one's clients are not counted or listed any more */
	wait_connected_clients(fresh, others + 1);
	deadline = time(NULL) + WAIT_SECONDS;
	for (;;)
	{
		redisReply *r = HarnessCommandOk(fresh, "CLIENT LIST");
		char needle[32];
		bool listed;

		snprintf(needle, sizeof(needle), " pid=%d ", victim);
		listed = strstr(r->str, needle) != NULL;
		freeReplyObject(r);
		if (!listed)
			break;
		ck_assert_msg(time(NULL) <= deadline, "killed shared backend still listed");
		usleep(20 * 1000);
	}
	ck_assert_int_eq(kill(s.pid, 0), 0);
	fprintf(stderr, "kill9_shared_backend: %d clients closed, %d went on\n", on_victim, others);
	for (int i = 0; i < NCONN; i++)
		redisFree(cs[i]);
	redisFree(fresh);
	HarnessStopOk(&s);
}
END_TEST

/* maxclients counts shared clients: the sixth of five is told and closed. */
START_TEST(test_maxclients)
{
	static const char *const args[] = {"--shared_backends", "2", "--maxclients", "5", NULL};
	TuskServer s;
	redisContext *cs[5];
	char buf[256];
	bool closed, accepted = false;
	size_t n;
	int fd;
	time_t deadline;

	HarnessStartOk(&s, args, false);
	cs[0] = HarnessConnectOk(&s);
	ping_ok(cs[0]);
	wait_connected_clients(cs[0], 1);
	for (int i = 1; i < 5; i++)
	{
		cs[i] = HarnessConnectOk(&s);
		ping_ok(cs[i]);
	}
	for (int i = 0; i < 5; i++)
		ck_assert(is_shared_backend(own_pid(cs[i])));

	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	n = HarnessRawRead(fd, buf, sizeof(buf) - 1, 0, WAIT_SECONDS, &closed);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "-ERR max number of clients reached\r\n");
	ck_assert_msg(closed, "the sixth connection was not closed");
	close(fd);
	for (int i = 0; i < 5; i++)
		ping_ok(cs[i]);

	/* one leaves: room again */
	redisFree(cs[4]);
	deadline = time(NULL) + WAIT_SECONDS;
	while (!accepted && time(NULL) <= deadline)
	{
		redisContext *extra = HarnessConnectOk(&s);
		redisReply *r = redisCommand(extra, "PING");

		accepted = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
		if (r)
			freeReplyObject(r);
		redisFree(extra);
		if (!accepted)
			usleep(20 * 1000);
	}
	ck_assert_msg(accepted, "no room after a client left");
	for (int i = 0; i < 4; i++)
		redisFree(cs[i]);
	HarnessStopOk(&s);
}
END_TEST

/*
 * timeout 1: idle shared clients are closed, a busy one stays. The idle
 * ones connect first, so that each shared backend has one.
 */
START_TEST(test_idle_timeout)
{
	enum
	{
		NIDLE = 3
	};
	static const char *const args[] = {"--shared_backends", "2", "--timeout", "1", NULL};
	TuskServer s;
	redisContext *busy;
	long long id;
	int idle[NIDLE];
	int nclosed = 0, pings_after = 0;
	bool closed[NIDLE] = {false};
	time_t deadline;

	HarnessStartOk(&s, args, false);
	for (int i = 0; i < NIDLE; i++)
	{
		idle[i] = HarnessRawConnect(s.port);
		ck_assert_int_ge(idle[i], 0);
		raw_send(idle[i], "PING\r\n");
		raw_expect(idle[i], "+PONG\r\n");
	}
	busy = HarnessConnectOk(&s);
	id = HarnessGetInt(busy, "CLIENT ID");
	ck_assert(is_shared_backend(own_pid(busy)));

	/* PING every 200 ms until the idle ones are closed, and for 2 s more */
	deadline = time(NULL) + WAIT_SECONDS;
	while (pings_after < 10)
	{
		ck_assert_msg(time(NULL) <= deadline, "%d of %d idle clients closed after %d s", nclosed,
					  NIDLE, WAIT_SECONDS);
		ping_ok(busy);
		for (int i = 0; i < NIDLE; i++)
		{
			char byte;

			if (!closed[i] && recv(idle[i], &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 0)
			{
				closed[i] = true;
				nclosed++;
			}
		}
		if (nclosed == NIDLE)
			pings_after++;
		usleep(200 * 1000);
	}
	ck_assert_int_eq(HarnessGetInt(busy, "CLIENT ID"), id);
	for (int i = 0; i < NIDLE; i++)
		close(idle[i]);
	redisFree(busy);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A protocol error closes that connection alone. The bad clients connect
 * first, so that each shared backend has one.
 */
START_TEST(test_protocol_error)
{
	static const struct
	{
		const char *send;
		const char *want;
	} cases[] = {
		{"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\nx\r\n",
		 "+PONG\r\n+PONG\r\n-ERR Protocol error: expected '$', got 'x'\r\n"},
	};
	enum
	{
		NBAD = sizeof(cases) / sizeof(cases[0])
	};
	TuskServer s;
	redisContext *other;
	long long id, bad_ids[NBAD];
	int fds[NBAD];
	int pid_other;
	bool same = false;

	HarnessStartOk(&s, shared2, false);
	/* the bad ones first, so that each shared backend has one */
	for (int i = 0; i < NBAD; i++)
	{
		fds[i] = HarnessRawConnect(s.port);
		ck_assert_int_ge(fds[i], 0);
		bad_ids[i] = raw_client_id(fds[i]);
	}
	other = HarnessConnectOk(&s);
	id = HarnessGetInt(other, "CLIENT ID");
	pid_other = own_pid(other);
	ck_assert(is_shared_backend(pid_other));
	for (int i = 0; i < NBAD; i++)
		same = same || listed_pid(other, bad_ids[i]) == pid_other;
	ck_assert_msg(same, "no bad client on the shared backend of the good one");
	for (int i = 0; i < NBAD; i++)
	{
		char buf[256];
		bool closed;
		size_t n;

		raw_send(fds[i], cases[i].send);
		n = HarnessRawRead(fds[i], buf, sizeof(buf) - 1, 0, WAIT_SECONDS, &closed);
		buf[n] = '\0';
		ck_assert_str_eq(buf, cases[i].want);
		ck_assert_msg(closed, "for \"%s\": connection not closed", cases[i].send);
		close(fds[i]);
		ping_ok(other);
	}
	ck_assert_int_eq(HarnessGetInt(other, "CLIENT ID"), id);
	ck_assert_int_eq(own_pid(other), pid_other);
	HarnessExpectStatus(other, "OK", "SET k v");
	HarnessExpectBulk(other, "v", "GET k");
	redisFree(other);
	HarnessStopOk(&s);
}
END_TEST

/*
 * In a stream of replies "$100000\r\n" + 100,000 'x' + "\r\n" (one_len
 * bytes each), buf holds the bytes from offset at: the index of the first
 * one that is wrong, or len. Plain C: a Check assertion per byte would be
 * a write to Check's pipe per byte.
 */
static size_t
first_wrong_byte(const char *buf, size_t len, size_t at, size_t one_len)
{
	static const char header[] = "$100000\r\n";

	for (size_t i = 0; i < len; i++)
	{
		size_t pos = (at + i) % one_len;
		char want = pos < sizeof(header) - 1 ? header[pos]
					: pos < one_len - 2		 ? 'x'
					: pos == one_len - 2	 ? '\r'
											 : '\n';

		if (buf[i] != want)
			return i;
	}
	return len;
}

/*
 * A client that pipelines 2,000 GETs of a 100 kB value and does not read
 * does not stop another client on the same (only) shared backend; its own
 * 200 MB of replies then arrive whole and in order.
 */
START_TEST(test_slow_reader)
{
	enum
	{
		NGET = 2000,
		BIG = 100 * 1000
	};
	static const char *const args[] = {"--shared_backends", "1", NULL};
	static const char get[] = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
	static const char header[] = "$100000\r\n";
	const size_t one = sizeof(header) - 1 + BIG + 2;
	struct timeval five = {5, 0};
	TuskServer s;
	redisContext *c;
	char *value, *pipeline, *buf;
	size_t total = 0, cap = 1024 * 1024, bad;
	int hog, pid_c;
	pid_t writer;
	time_t deadline;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	value = malloc(BIG);
	memset(value, 'x', BIG);
	HarnessExpectStatus(c, "OK", "SET big %b", value, (size_t) BIG);
	free(value);
	pid_c = own_pid(c);
	ck_assert(is_shared_backend(pid_c));
	hog = HarnessRawConnect(s.port);
	ck_assert_int_ge(hog, 0);
	ck_assert_int_eq(listed_pid(c, raw_client_id(hog)), pid_c);

	/* another process writes the pipeline: the socket may not take it all */
	pipeline = malloc(NGET * (sizeof(get) - 1));
	for (int i = 0; i < NGET; i++)
		memcpy(pipeline + (size_t) i * (sizeof(get) - 1), get, sizeof(get) - 1);
	writer = fork();
	ck_assert_int_ge(writer, 0);
	if (writer == 0)
		_exit(HarnessRawSend(hog, pipeline, NGET * (sizeof(get) - 1)) ? 0 : 1);
	free(pipeline);

	/* replies to the other client come while the hog's pile up */
	redisSetTimeout(c, five);
	for (int i = 0; i < 50; i++)
	{
		redisReply *r = redisCommand(c, "PING");

		ck_assert_msg(r != NULL, "PING %d: no reply within 5 s (%s)", i, c->errstr);
		ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
		ck_assert_str_eq(r->str, "PONG");
		freeReplyObject(r);
		HarnessExpectInt(c, BIG, "STRLEN big");
		usleep(20 * 1000);
	}
	ck_assert_int_eq(own_pid(c), pid_c);

	/* every reply of the hog, whole and in order */
	buf = malloc(cap);
	deadline = time(NULL) + 60;
	while (total < one * NGET)
	{
		ssize_t n = recv(hog, buf, cap, 0);

		ck_assert_msg(n > 0, "hog: connection closed or timed out after %zu of %zu bytes", total,
					  one * NGET);
		bad = first_wrong_byte(buf, (size_t) n, total, one);
		ck_assert_msg(bad == (size_t) n, "hog: byte %zu is 0x%02x", total + bad,
					  (unsigned char) buf[bad]);
		total += (size_t) n;
		ck_assert_msg(time(NULL) <= deadline, "hog: only %zu of %zu bytes in 60 s", total,
					  one * NGET);
	}
	free(buf);
	raw_send(hog, "PING\r\n");
	raw_expect(hog, "+PONG\r\n");
	{
		int status;

		ck_assert_int_eq(waitpid(writer, &status, 0), writer);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(hog);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------ durability */

enum
{
	DURABLE_CLIENTS = 8,
	DURABLE_INCRS = 300
};

/* Each client writes every value INCR acknowledged to its pipe. */
static int ack_pipes[DURABLE_CLIENTS][2];

static void
incr_client(redisContext *c, int index)
{
	for (int i = 0; i < DURABLE_INCRS; i++)
	{
		redisReply *r = redisCommand(c, "INCR d:%d", index);
		long long v;

		if (r == NULL)
			return; /* the server was killed */
		if (r->type != REDIS_REPLY_INTEGER)
			_exit(3);
		v = r->integer;
		freeReplyObject(r);
		if (write(ack_pipes[index][1], &v, sizeof(v)) != (ssize_t) sizeof(v))
			_exit(4);
	}
}

/* Read what is in the pipes; last[i] is the newest acknowledged value. */
static long long
drain_acks(long long *last)
{
	long long total = 0;

	for (int i = 0; i < DURABLE_CLIENTS; i++)
	{
		long long v;

		while (read(ack_pipes[i][0], &v, sizeof(v)) == (ssize_t) sizeof(v))
		{
			ck_assert_int_eq(v, last[i] + 1);
			last[i] = v;
		}
		total += last[i];
	}
	return total;
}

/*
 * 8 shared clients INCR their own keys with synchronous_commit on; kill -9
 * of the whole server half way; after a restart every key holds at least
 * the last value its client was told (and at most one more: the INCR in
 * flight).
 */
START_TEST(test_durability)
{
	TuskServer s;
	redisContext *c;
	pid_t pids[DURABLE_CLIENTS];
	long long last[DURABLE_CLIENTS] = {0};
	time_t deadline;

	HarnessStartOk(&s, shared2, false);
	for (int i = 0; i < DURABLE_CLIENTS; i++)
	{
		ck_assert_int_eq(pipe(ack_pipes[i]), 0);
		fcntl(ack_pipes[i][0], F_SETFL, O_NONBLOCK);
	}
	for (int i = 0; i < DURABLE_CLIENTS; i++)
		pids[i] = HarnessSpawnClient(s.port, incr_client, i);
	for (int i = 0; i < DURABLE_CLIENTS; i++)
		close(ack_pipes[i][1]);

	/* kill -9 of every server process once about half is acknowledged */
	deadline = time(NULL) + WAIT_SECONDS;
	while (drain_acks(last) < DURABLE_CLIENTS * DURABLE_INCRS / 2 && time(NULL) <= deadline)
		usleep(1000);
	HarnessKill9(&s);
	HarnessWaitClients(pids, DURABLE_CLIENTS);
	fprintf(stderr, "durability: %lld of %d INCRs acknowledged at the kill\n", drain_acks(last),
			DURABLE_CLIENTS * DURABLE_INCRS);

	HarnessRestartOk(&s, shared2);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < DURABLE_CLIENTS; i++)
	{
		redisReply *r = HarnessCommandOk(c, "GET d:%d", i);
		long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

		ck_assert_msg(r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL,
					  "GET d:%d: reply type %d", i, r->type);
		ck_assert_msg(v >= last[i] && v <= last[i] + 1,
					  "d:%d is %lld after the restart, its client was told %lld", i, v, last[i]);
		freeReplyObject(r);
		close(ack_pipes[i][0]);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* One test case per test, named without "test_": CK_RUN_CASE=move_keeps_client. */
static void
add(Suite *su, const char *name, const TTest *test)
{
	HarnessAddCase(su, name, test, CASE_TIMEOUT_SECONDS);
}

static Suite *
shared_suite(void)
{
	Suite *su = suite_create("shared");

	add(su, "twenty_clients", test_twenty_clients);
	add(su, "move_keeps_client", test_move_keeps_client);
	add(su, "multi_watch", test_multi_watch);
	add(su, "blpop_woken", test_blpop_woken);
	add(su, "subscribe", test_subscribe);
	add(su, "client_kill", test_client_kill);
	add(su, "kill9_shared_backend", test_kill9_shared_backend);
	add(su, "maxclients", test_maxclients);
	add(su, "idle_timeout", test_idle_timeout);
	add(su, "protocol_error", test_protocol_error);
	add(su, "slow_reader", test_slow_reader);
	add(su, "durability", test_durability);
	return su;
}

int
main(void)
{
	return HarnessMain(shared_suite());
}
