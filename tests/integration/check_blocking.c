/*
 * check_blocking.c
 *	  Integration tests of the blocking list commands (BLPOP, BRPOP,
 *	  BLMOVE, BRPOPLPUSH, BLMPOP) against a real tusk-server: a blocked
 *	  client is served by another client's push (also through RENAME, EXEC
 *	  and SWAPDB), waiters are served in the order they blocked, timeouts
 *	  are not early, a producer/consumer run pops every element exactly
 *	  once, a client that hangs up or is killed while blocked frees its
 *	  backend, MULTI never blocks, and shutdown does not wait for a
 *	  blocked client.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h).
 *	  Blocked clients are forked client processes (HarnessSpawnClient)
 *	  that exit non-zero when their reply is wrong. The tests wait for a
 *	  client to be blocked by polling INFO's blocked_clients, never by
 *	  sleeping. Timing is checked loosely: a timeout must not end early,
 *	  and only very late counts as a failure.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define OK(c, ...) HarnessExpectStatus(c, "OK", __VA_ARGS__)

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Poll INFO until `field` (section clients) is `want`, for up to 10 s. */
static void
wait_clients_field(redisContext *c, const char *field, long long want)
{
	double		until = now_seconds() + 10;
	long long	v;

	while ((v = HarnessInfoInt(c, "clients", field)) != want && now_seconds() < until)
		usleep(10 * 1000);
	ck_assert_msg(v == want, "%s is %lld, want %lld", field, v, want);
}

static void
wait_blocked(redisContext *c, long long n)
{
	wait_clients_field(c, "blocked_clients", n);
}

/* ------------------------------------------------ client process bodies */

/* What each waiter must receive, by index (set before forking). */
static const char *expected[8];

/* BLPOP k 0: the reply must be [k, expected[index]]. */
static void
blpop_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BLPOP k 0");

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		_exit(3);
	if (strcmp(r->element[0]->str, "k") != 0 || strcmp(r->element[1]->str, expected[index]) != 0)
	{
		fprintf(stderr, "waiter %d got %s, want %s\n", index, r->element[1]->str, expected[index]);
		_exit(4);
	}
	freeReplyObject(r);
}

/* BLMOVE src dst RIGHT LEFT 0: the reply must be expected[index]. */
static void
blmove_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BLMOVE src dst RIGHT LEFT 0");

	if (r == NULL || r->type != REDIS_REPLY_STRING || strcmp(r->str, expected[index]) != 0)
		_exit(3);
	freeReplyObject(r);
}

/* BLMPOP 0 2 a b LEFT COUNT 5: the reply must be [b, [x, y]]. */
static void
blmpop_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BLMPOP 0 2 a b LEFT COUNT 5");

	(void) index;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		strcmp(r->element[0]->str, "b") != 0 || r->element[1]->type != REDIS_REPLY_ARRAY ||
		r->element[1]->elements != 2 || strcmp(r->element[1]->element[0]->str, "x") != 0 ||
		strcmp(r->element[1]->element[1]->str, "y") != 0)
		_exit(3);
	freeReplyObject(r);
}

#define PC_PRODUCERS 2
#define PC_CONSUMERS 4
#define PC_PER_PRODUCER 1500

/* Producer: LPUSH q p<index>-<i>, one element per command. */
static void
producer(redisContext *c, int index)
{
	for (int i = 0; i < PC_PER_PRODUCER; i++)
	{
		redisReply *r = redisCommand(c, "LPUSH q p%d-%d", index, i);

		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			_exit(3);
		freeReplyObject(r);
	}
}

/*
 * Consumer: BRPOP q until it pops "stop"; every element popped goes into
 * the set popped, where a second copy would be a duplicate pop.
 */
static void
consumer(redisContext *c, int index)
{
	(void) index;
	for (;;)
	{
		redisReply *r = redisCommand(c, "BRPOP q 30");
		redisReply *a;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
			_exit(3);			/* a nil: 30 s without an element */
		if (strcmp(r->element[1]->str, "stop") == 0)
		{
			freeReplyObject(r);
			return;
		}
		a = redisCommand(c, "SADD popped %s", r->element[1]->str);
		if (a == NULL || a->type != REDIS_REPLY_INTEGER)
			_exit(4);
		if (a->integer != 1)
		{
			fprintf(stderr, "%s popped twice\n", r->element[1]->str);
			_exit(5);
		}
		freeReplyObject(a);
		freeReplyObject(r);
	}
}

/* BZPOPMIN z1 z2 0: expects [z2, m, 2] (RESP2: the score as a bulk string). */
static void
bzpopmin_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BZPOPMIN z1 z2 0");

	(void) index;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
		strcmp(r->element[0]->str, "z2") != 0 || strcmp(r->element[1]->str, "m") != 0 ||
		strcmp(r->element[2]->str, "2") != 0)
		_exit(3);
	freeReplyObject(r);
}

/* BZMPOP 0 1 zz MAX COUNT 5: expects [zz, [[c, 3], [b, 2], [a, 1]]]. */
static void
bzmpop_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BZMPOP 0 1 zz MAX COUNT 5");

	(void) index;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		strcmp(r->element[0]->str, "zz") != 0 || r->element[1]->elements != 3 ||
		strcmp(r->element[1]->element[0]->element[0]->str, "c") != 0 ||
		strcmp(r->element[1]->element[2]->element[1]->str, "1") != 0)
		_exit(3);
	freeReplyObject(r);
}

/* BLPOP mk 10: expects [mk, x]. */
static void
mixed_blpop(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BLPOP mk 10");

	(void) index;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		strcmp(r->element[1]->str, "x") != 0)
		_exit(3);
	freeReplyObject(r);
}

/* BZPOPMIN mk 10: expects [mk, m, 1]. */
static void
mixed_bzpopmin(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "BZPOPMIN mk 10");

	(void) index;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
		strcmp(r->element[1]->str, "m") != 0)
		_exit(3);
	freeReplyObject(r);
}

/* ------------------------------------------------------------- tests */

/* A client blocked in BLPOP is served by another client's LPUSH. */
START_TEST(test_push_wakes)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	pid_t		pid;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "blocked_clients"), 0);
	expected[0] = "v";
	pid = HarnessSpawnClient(s.port, blpop_expect, 0);
	wait_blocked(c, 1);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "clients_in_timeout_table"), 0);

	/* CLIENT LIST shows it blocked (flags=b) in its command */
	r = HarnessCommandOk(c, "CLIENT LIST");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(strstr(r->str, "flags=b db=0") != NULL && strstr(r->str, "cmd=blpop") != NULL,
				  "CLIENT LIST: %s", r->str);
	freeReplyObject(r);

	HarnessExpectInt(c, 1, "LPUSH k v");
	HarnessWaitClients(&pid, 1);
	wait_blocked(c, 0);
	HarnessExpectInt(c, 0, "EXISTS k");

	/* a write that leaves another key non-empty wakes nobody wrongly */
	expected[0] = "w";
	pid = HarnessSpawnClient(s.port, blpop_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH other x");
	usleep(100 * 1000);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "blocked_clients"), 1);
	HarnessExpectInt(c, 1, "RPUSH k w");
	HarnessWaitClients(&pid, 1);
	HarnessExpectInt(c, 1, "LLEN other");

	/* BLMPOP over two keys takes from the one that gets elements */
	pid = HarnessSpawnClient(s.port, blmpop_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 2, "RPUSH b x y");
	HarnessWaitClients(&pid, 1);
	HarnessExpectInt(c, 0, "EXISTS b");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* RENAME, EXEC and SWAPDB that make k a list wake its waiter too. */
START_TEST(test_other_writers_wake)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	pid_t		pid;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);

	expected[0] = "renamed";
	pid = HarnessSpawnClient(s.port, blpop_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH tmp renamed");
	OK(c, "RENAME tmp k");
	HarnessWaitClients(&pid, 1);

	expected[0] = "in-exec";
	pid = HarnessSpawnClient(s.port, blpop_expect, 0);
	wait_blocked(c, 1);
	OK(c, "MULTI");
	HarnessExpectStatus(c, "QUEUED", "RPUSH k in-exec");
	HarnessExpectStatus(c, "QUEUED", "SET other 1");
	r = HarnessCommandOk(c, "EXEC");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	HarnessWaitClients(&pid, 1);

	expected[0] = "swapped";
	pid = HarnessSpawnClient(s.port, blpop_expect, 0);
	wait_blocked(c, 1);
	OK(c, "SELECT 1");
	HarnessExpectInt(c, 1, "RPUSH k swapped");
	OK(c, "SWAPDB 0 1");
	HarnessWaitClients(&pid, 1);
	OK(c, "SELECT 0");
	HarnessExpectInt(c, 0, "EXISTS k");

	expected[0] = "copied";
	pid = HarnessSpawnClient(s.port, blpop_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH orig copied");
	HarnessExpectInt(c, 1, "COPY orig k");
	HarnessWaitClients(&pid, 1);
	HarnessExpectInt(c, 1, "LLEN orig");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* A timeout replies nil after (not before) the timeout; 0 waits on. */
START_TEST(test_timeout)
{
	TuskServer	s;
	redisContext *c;
	double		t0, elapsed;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);

	t0 = now_seconds();
	HarnessExpectType(c, REDIS_REPLY_NIL, "BLPOP k 0.5");
	elapsed = now_seconds() - t0;
	ck_assert_msg(elapsed >= 0.5 && elapsed < 5, "BLPOP k 0.5 took %.3f s", elapsed);

	t0 = now_seconds();
	HarnessExpectType(c, REDIS_REPLY_NIL, "BRPOP k1 k2 0.3");
	HarnessExpectType(c, REDIS_REPLY_NIL, "BLMOVE k dst LEFT RIGHT 0.2");
	HarnessExpectType(c, REDIS_REPLY_NIL, "BRPOPLPUSH k dst 0.2");
	HarnessExpectType(c, REDIS_REPLY_NIL, "BLMPOP 0.2 1 k LEFT");
	elapsed = now_seconds() - t0;
	ck_assert_msg(elapsed >= 0.9 && elapsed < 8, "four timeouts of 0.9 s took %.3f s", elapsed);
	HarnessExpectInt(c, 0, "EXISTS dst");

	/* the time spent blocked is not the command's duration (commandstats) */
	{
		char	   *info = HarnessInfo(c, "commandstats");
		const char *line = HarnessInfoField(info, "cmdstat_blpop");
		const char *usec = line ? strstr(line, "usec=") : NULL;

		ck_assert_msg(usec != NULL, "no cmdstat_blpop in %s", info);
		ck_assert_msg(atoll(usec + 5) < 400000, "cmdstat_blpop:%s", line);
		free(info);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Waiters are served in the order they blocked, one element each. */
START_TEST(test_order)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[3];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	expected[0] = "a";
	expected[1] = "b";
	expected[2] = "c";
	for (int i = 0; i < 3; i++)
	{
		pids[i] = HarnessSpawnClient(s.port, blpop_expect, i);
		wait_blocked(c, i + 1);
	}
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "clients_in_timeout_table"), 0);
	/* one push of three: the longest waiter takes the head, and so on */
	HarnessExpectInt(c, 3, "RPUSH k a b c");
	HarnessWaitClients(pids, 3);
	HarnessExpectInt(c, 0, "EXISTS k");

	/* one push at a time: each goes to the longest waiter left */
	expected[0] = "first";
	expected[1] = "second";
	for (int i = 0; i < 2; i++)
	{
		pids[i] = HarnessSpawnClient(s.port, blpop_expect, i);
		wait_blocked(c, i + 1);
	}
	HarnessExpectInt(c, 1, "RPUSH k first");
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH k second");
	HarnessWaitClients(pids, 2);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* BLMOVE moves as one step: blocked, and under concurrent readers. */
START_TEST(test_blmove)
{
	TuskServer	s;
	redisContext *c, *mover;
	pid_t		pid;
	redisReply *r;
	const int	n = 300;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	expected[0] = "x";
	pid = HarnessSpawnClient(s.port, blmove_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH src x");
	HarnessWaitClients(&pid, 1);
	HarnessExpectInt(c, 0, "EXISTS src");
	r = HarnessCommandOk(c, "LRANGE dst 0 -1");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->str, "x");
	freeReplyObject(r);
	HarnessExpectInt(c, 1, "DEL dst");

	/* a reader never sees an element in neither list or in both */
	for (int i = 0; i < n; i++)
		freeReplyObject(HarnessCommandOk(c, "RPUSH src e%d", i));
	mover = HarnessConnectOk(&s);
	for (int i = 0; i < n; i++)
	{
		redisAppendCommand(mover, "BLMOVE src dst LEFT RIGHT 0");
		if (i % 3 == 0)
		{
			OK(c, "MULTI");
			HarnessExpectStatus(c, "QUEUED", "LLEN src");
			HarnessExpectStatus(c, "QUEUED", "LLEN dst");
			r = HarnessCommandOk(c, "EXEC");
			ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
			ck_assert_int_eq(r->element[0]->integer + r->element[1]->integer, n);
			freeReplyObject(r);
		}
	}
	for (int i = 0; i < n; i++)
	{
		ck_assert_int_eq(redisGetReply(mover, (void **) &r), REDIS_OK);
		ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
		freeReplyObject(r);
	}
	HarnessExpectInt(c, 0, "EXISTS src");
	HarnessExpectInt(c, n, "LLEN dst");
	HarnessExpectBulk(c, "e0", "LINDEX dst 0");
	HarnessExpectBulk(c, "e299", "LINDEX dst -1");
	redisFree(mover);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Several BRPOP consumers pop everything several producers push, once. */
START_TEST(test_producer_consumer)
{
	TuskServer	s;
	redisContext *c;
	pid_t		consumers[PC_CONSUMERS], producers[PC_PRODUCERS];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < PC_CONSUMERS; i++)
		consumers[i] = HarnessSpawnClient(s.port, consumer, i);
	wait_blocked(c, PC_CONSUMERS);
	for (int i = 0; i < PC_PRODUCERS; i++)
		producers[i] = HarnessSpawnClient(s.port, producer, i);
	HarnessWaitClients(producers, PC_PRODUCERS);
	/* after every element: one stop for each consumer (BRPOP pops FIFO) */
	for (int i = 0; i < PC_CONSUMERS; i++)
		HarnessGetInt(c, "LPUSH q stop");
	HarnessWaitClients(consumers, PC_CONSUMERS);
	HarnessExpectInt(c, 0, "EXISTS q");
	HarnessExpectInt(c, PC_PRODUCERS * PC_PER_PRODUCER, "SCARD popped");
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "blocked_clients"), 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* A blocked client that hangs up, or is killed, frees its backend. */
START_TEST(test_hangup)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	int			fd;
	static const char blpop[] = "*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n";
	char		buf[256], id[32];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, blpop, sizeof(blpop) - 1));
	wait_blocked(c, 1);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "connected_clients"), 2);
	close(fd);
	wait_blocked(c, 0);
	wait_clients_field(c, "connected_clients", 1);
	/* the element stays: nobody is waiting for it any more */
	HarnessExpectInt(c, 1, "LPUSH k v");
	usleep(100 * 1000);
	HarnessExpectInt(c, 1, "LLEN k");
	HarnessExpectInt(c, 1, "DEL k");

	/* CLIENT KILL of a blocked client */
	fd = HarnessRawConnect(s.port);
	{
		static const char client_id[] = "*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n";

		ck_assert(HarnessRawSend(fd, client_id, sizeof(client_id) - 1));
	}
	ck_assert_uint_gt(HarnessRawReadUntil(fd, buf, sizeof(buf), "\r\n", 10), 0);
	ck_assert_int_eq(buf[0], ':');
	snprintf(id, sizeof(id), "%.*s", (int) strcspn(buf + 1, "\r"), buf + 1);
	ck_assert(HarnessRawSend(fd, blpop, sizeof(blpop) - 1));
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "CLIENT KILL ID %s", id);
	ck_assert(HarnessRawWaitClosed(fd, 10));
	close(fd);
	wait_blocked(c, 0);
	HarnessExpectInt(c, 1, "LPUSH k v");
	usleep(100 * 1000);
	HarnessExpectInt(c, 1, "LLEN k");

	/* kill -9 of a blocked client's backend: cleaned up alone, others served */
	HarnessExpectInt(c, 1, "DEL k");
	fd = HarnessRawConnect(s.port);
	ck_assert(HarnessRawSend(fd, blpop, sizeof(blpop) - 1));
	wait_blocked(c, 1);
	r = HarnessCommandOk(c, "CLIENT LIST");
	{
		const char *line = strstr(r->str, "flags=b");
		char		pid[32];

		ck_assert_ptr_nonnull(line);
		while (line > r->str && line[-1] != '\n')
			line--;
		ck_assert(HarnessClientField(line, "pid", pid, sizeof(pid)));
		ck_assert_int_eq(kill(atoi(pid), SIGKILL), 0);
	}
	freeReplyObject(r);
	ck_assert(HarnessRawWaitClosed(fd, 10));
	close(fd);
	wait_blocked(c, 0);
	expected[0] = "after-kill";
	{
		pid_t		pid = HarnessSpawnClient(s.port, blpop_expect, 0);

		wait_blocked(c, 1);
		HarnessExpectInt(c, 1, "RPUSH k after-kill");
		HarnessWaitClients(&pid, 1);
	}

	/* replies pipelined before a blocking command are not held back */
	HarnessExpectInt(c, 0, "EXISTS k");
	fd = HarnessRawConnect(s.port);
	{
		static const char two[] = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
			"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n";

		ck_assert(HarnessRawSend(fd, two, sizeof(two) - 1));
		ck_assert_uint_eq(HarnessRawReadUntil(fd, buf, sizeof(buf), "+OK\r\n", 10), 5);
		wait_blocked(c, 1);
		HarnessExpectInt(c, 1, "LPUSH k v");
		HarnessRawReadUntil(fd, buf, sizeof(buf), "v\r\n", 10);
		ck_assert_str_eq(buf, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
	}
	close(fd);
	r = HarnessCommandOk(c, "PING");
	freeReplyObject(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Inside MULTI a blocking command on an empty list answers nil at once. */
START_TEST(test_multi)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	double		t0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	t0 = now_seconds();
	OK(c, "MULTI");
	HarnessExpectStatus(c, "QUEUED", "BLPOP k 0");
	HarnessExpectStatus(c, "QUEUED", "BLMOVE k d LEFT LEFT 0");
	HarnessExpectStatus(c, "QUEUED", "BLMPOP 0 1 k LEFT");
	r = HarnessCommandOk(c, "EXEC");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(r->element[i]->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	ck_assert_msg(now_seconds() - t0 < 3, "MULTI with BLPOP took %.3f s", now_seconds() - t0);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "blocked_clients"), 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* SIGTERM stops a server with a blocked client promptly, exit status 0. */
/*
 * BZPOPMIN, BZMPOP: a client blocked on sorted sets is served by ZADD,
 * ZUNIONSTORE and RENAME of a sorted set onto its key; a list pushed
 * onto one of its keys does not serve it.
 */
START_TEST(test_sorted_sets)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pid;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	pid = HarnessSpawnClient(s.port, bzpopmin_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH z1 notaset");
	usleep(100 * 1000);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "blocked_clients"), 1);
	HarnessExpectInt(c, 1, "ZADD z2 2 m");
	HarnessWaitClients(&pid, 1);
	HarnessExpectInt(c, 0, "EXISTS z2");
	/* a key of another type is WRONGTYPE before blocking, as in Redis */
	HarnessExpectError(c, "WRONGTYPE Operation against a key holding the wrong kind of value",
					   "BZPOPMIN z1 z2 0");
	HarnessExpectInt(c, 1, "DEL z1");

	pid = HarnessSpawnClient(s.port, bzpopmin_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "ZADD src 2 m");
	HarnessExpectInt(c, 1, "ZUNIONSTORE z2 1 src");
	HarnessWaitClients(&pid, 1);

	pid = HarnessSpawnClient(s.port, bzmpop_expect, 0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 3, "ZADD tmp 1 a 2 b 3 c");
	HarnessExpectStatus(c, "OK", "RENAME tmp zz");
	HarnessWaitClients(&pid, 1);
	HarnessExpectInt(c, 0, "EXISTS zz");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A BLPOP and then a BZPOPMIN blocked on one key name: a ZADD wakes the
 * older BLPOP first, which finds a sorted set, stays blocked and passes the
 * wake-up on, so the BZPOPMIN is served at once (not after its timeout);
 * then an RPUSH serves the BLPOP.
 */
START_TEST(test_mixed_types)
{
	TuskServer	s;
	redisContext *c;
	pid_t		list_waiter,
				zset_waiter;
	double		t0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	list_waiter = HarnessSpawnClient(s.port, mixed_blpop, 0);
	wait_blocked(c, 1);
	zset_waiter = HarnessSpawnClient(s.port, mixed_bzpopmin, 0);
	wait_blocked(c, 2);
	t0 = now_seconds();
	HarnessExpectInt(c, 1, "ZADD mk 1 m");
	HarnessWaitClients(&zset_waiter, 1);
	ck_assert_msg(now_seconds() - t0 < 5, "BZPOPMIN waited %.1f s for a ZADD", now_seconds() - t0);
	wait_blocked(c, 1);
	HarnessExpectInt(c, 1, "RPUSH mk x");
	HarnessWaitClients(&list_waiter, 1);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_shutdown)
{
	TuskServer	s;
	redisContext *c;
	int			fd;
	double		t0;
	static const char blpop[] = "*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n";

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert(HarnessRawSend(fd, blpop, sizeof(blpop) - 1));
	wait_blocked(c, 1);
	redisFree(c);
	t0 = now_seconds();
	HarnessStopOk(&s);
	ck_assert_msg(now_seconds() - t0 < 10, "shutdown took %.3f s", now_seconds() - t0);
	ck_assert(HarnessRawWaitClosed(fd, 10));
	close(fd);
}
END_TEST

static Suite *
blocking_suite(void)
{
	Suite	   *su = suite_create("blocking");
	TCase	   *tc = tcase_create("blocking");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_push_wakes);
	tcase_add_test(tc, test_other_writers_wake);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_blmove);
	tcase_add_test(tc, test_producer_consumer);
	tcase_add_test(tc, test_hangup);
	tcase_add_test(tc, test_multi);
	tcase_add_test(tc, test_sorted_sets);
	tcase_add_test(tc, test_mixed_types);
	tcase_add_test(tc, test_shutdown);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(blocking_suite());
}
