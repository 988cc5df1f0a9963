/*
 * check_pubsub.c
 *	  Integration tests of publish/subscribe against a real tusk-server:
 *	  delivery between connections (each in its own backend process) in
 *	  publish order, patterns and PUBLISH's count, RESP2 subscribed mode,
 *	  RESP3 pushes between replies, 100,000 messages from two publishers,
 *	  a subscriber that never reads (closed, the publisher not held up), a
 *	  message too large for the shared log, a subscriber killed with -9
 *	  (it stops counting), UNSUBSCRIBE and RESET.
 *
 * NOTES
 *	  Reply bytes and errors on one connection are compared with
 *	  redis-server by redis-compat/seq/pubsub.txt; this file covers what
 *	  needs several connections. Each test starts its own server.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

/* The next message on a subscribed connection must be this one. */
static void
expect_message(redisContext *c, const char *kind, const char *pattern,
			   const char *channel, const char *payload)
{
	redisReply *r;
	size_t		n = pattern ? 4 : 3;

	ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "no %s: %s", kind, c->errstr);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, n);
	ck_assert_str_eq(r->element[0]->str, kind);
	if (pattern)
		ck_assert_str_eq(r->element[1]->str, pattern);
	ck_assert_str_eq(r->element[n - 2]->str, channel);
	ck_assert_str_eq(r->element[n - 1]->str, payload);
	freeReplyObject(r);
}

/* The reply to (P|S)SUBSCRIBE / UNSUBSCRIBE of one name. */
static void
expect_subscription(redisContext *c, const char *kind, const char *name, long long count)
{
	redisReply *r;

	ck_assert(redisGetReply(c, (void **) &r) == REDIS_OK);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_str_eq(r->element[0]->str, kind);
	ck_assert_str_eq(r->element[1]->str, name);
	ck_assert_int_eq(r->element[2]->integer, count);
	freeReplyObject(r);
}

static void
subscribe(redisContext *c, const char *cmd, const char *name, long long count)
{
	char		kind[32];

	snprintf(kind, sizeof(kind), "%s", cmd);
	for (char *p = kind; *p; p++)
		*p = (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	ck_assert(redisAppendCommand(c, "%s %s", cmd, name) == REDIS_OK);
	expect_subscription(c, kind, name, count);
}

/* Messages from another connection arrive in publish order. */
START_TEST(test_deliver_in_order)
{
	TuskServer	s;
	redisContext *sub, *pub;
	char		buf[32];

	HarnessStartOk(&s, NULL, false);
	sub = HarnessConnectOk(&s);
	pub = HarnessConnectOk(&s);
	subscribe(sub, "SUBSCRIBE", "news", 1);
	for (int i = 0; i < 1000; i++)
		HarnessExpectInt(pub, 1, "PUBLISH news m%d", i);
	HarnessExpectInt(pub, 0, "PUBLISH other x");
	for (int i = 0; i < 1000; i++)
	{
		snprintf(buf, sizeof(buf), "m%d", i);
		expect_message(sub, "message", NULL, "news", buf);
	}
	redisFree(sub);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

/* Patterns, shard channels, and what PUBLISH counts. */
START_TEST(test_patterns_and_counts)
{
	TuskServer	s;
	redisContext *a, *b, *c, *pub;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	a = HarnessConnectOk(&s);
	b = HarnessConnectOk(&s);
	c = HarnessConnectOk(&s);
	pub = HarnessConnectOk(&s);
	subscribe(a, "SUBSCRIBE", "news.a", 1);
	subscribe(b, "PSUBSCRIBE", "news.*", 1);
	subscribe(c, "PSUBSCRIBE", "news.*", 1);
	subscribe(c, "PSUBSCRIBE", "n*", 2);
	subscribe(c, "SSUBSCRIBE", "news.a", 1);

	/* one channel subscriber and three matching pattern subscriptions */
	HarnessExpectInt(pub, 4, "PUBLISH news.a hello");
	HarnessExpectInt(pub, 3, "PUBLISH news.b world");
	HarnessExpectInt(pub, 1, "PUBLISH nothing x");
	HarnessExpectInt(pub, 0, "PUBLISH other x");
	HarnessExpectInt(pub, 1, "SPUBLISH news.a sharded");
	HarnessExpectInt(pub, 0, "SPUBLISH news.b sharded");

	expect_message(a, "message", NULL, "news.a", "hello");
	expect_message(b, "pmessage", "news.*", "news.a", "hello");
	expect_message(b, "pmessage", "news.*", "news.b", "world");
	expect_message(c, "pmessage", "news.*", "news.a", "hello");
	expect_message(c, "pmessage", "n*", "news.a", "hello");
	expect_message(c, "pmessage", "news.*", "news.b", "world");
	expect_message(c, "pmessage", "n*", "news.b", "world");
	expect_message(c, "pmessage", "n*", "nothing", "x");
	expect_message(c, "smessage", NULL, "news.a", "sharded");

	HarnessExpectInt(pub, 2, "PUBSUB NUMPAT");
	r = HarnessCommandOk(pub, "PUBSUB NUMSUB news.a news.b");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_int_eq(r->element[1]->integer, 1);
	ck_assert_int_eq(r->element[3]->integer, 0);
	freeReplyObject(r);
	r = HarnessCommandOk(pub, "PUBSUB SHARDNUMSUB news.a");
	ck_assert_int_eq(r->element[1]->integer, 1);
	freeReplyObject(r);
	r = HarnessCommandOk(pub, "PUBSUB CHANNELS");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->str, "news.a");
	freeReplyObject(r);
	ck_assert_int_eq(HarnessInfoInt(pub, "stats", "pubsub_channels"), 1);
	ck_assert_int_eq(HarnessInfoInt(pub, "stats", "pubsub_patterns"), 2);
	ck_assert_int_eq(HarnessInfoInt(pub, "stats", "pubsubshard_channels"), 1);

	/* others see the subscriptions in CLIENT LIST */
	r = HarnessCommandOk(pub, "CLIENT LIST TYPE pubsub");
	ck_assert_ptr_nonnull(strstr(r->str, "flags=P db=0 sub=0 psub=2 ssub=1"));
	ck_assert_ptr_nonnull(strstr(r->str, "flags=P db=0 sub=1 psub=0 ssub=0"));
	freeReplyObject(r);
	r = HarnessCommandOk(pub, "CLIENT LIST TYPE normal");
	ck_assert_ptr_null(strstr(r->str, "flags=P"));
	freeReplyObject(r);

	redisFree(a);
	redisFree(b);
	redisFree(c);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

/* RESP2: only the pub/sub commands, PING, QUIT and RESET while subscribed. */
START_TEST(test_resp2_subscribed_mode)
{
	TuskServer	s;
	redisContext *sub, *pub;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	sub = HarnessConnectOk(&s);
	pub = HarnessConnectOk(&s);
	subscribe(sub, "SUBSCRIBE", "x", 1);
	ck_assert(redisAppendCommand(sub, "GET k") == REDIS_OK);
	ck_assert(redisGetReply(sub, (void **) &r) == REDIS_OK);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
	freeReplyObject(r);
	ck_assert(redisAppendCommand(sub, "PING") == REDIS_OK);
	ck_assert(redisGetReply(sub, (void **) &r) == REDIS_OK);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_str_eq(r->element[0]->str, "pong");
	ck_assert_str_eq(r->element[1]->str, "");
	freeReplyObject(r);

	/* UNSUBSCRIBE: no message of x after its reply, and normal mode again */
	HarnessExpectInt(pub, 1, "PUBLISH x before");
	ck_assert(redisAppendCommand(sub, "UNSUBSCRIBE x") == REDIS_OK);
	expect_message(sub, "message", NULL, "x", "before");
	expect_subscription(sub, "unsubscribe", "x", 0);
	HarnessExpectInt(pub, 0, "PUBLISH x after");
	HarnessExpectStatus(sub, "PONG", "PING");
	HarnessExpectBulk(sub, NULL, "GET k");

	/* RESET leaves subscribed mode too */
	subscribe(sub, "PSUBSCRIBE", "y*", 1);
	HarnessExpectStatus(sub, "RESET", "RESET");
	HarnessExpectInt(pub, 0, "PUBLISH yes x");
	HarnessExpectBulk(sub, NULL, "GET k");

	redisFree(sub);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

static void
raw_send(int fd, const char *s)
{
	ck_assert(HarnessRawSend(fd, s, strlen(s)));
}

/* RESP3: messages are pushes, and commands keep working between them. */
START_TEST(test_resp3_push)
{
	TuskServer	s;
	redisContext *pub;
	int			fd;
	char		buf[4096];
	const char *push = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\none\r\n";
	char	   *at_push, *at_ok;

	HarnessStartOk(&s, NULL, false);
	pub = HarnessConnectOk(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert(fd >= 0);
	raw_send(fd, "HELLO 3\r\nSUBSCRIBE ch\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", 10);
	ck_assert_ptr_nonnull(strstr(buf, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"));

	HarnessExpectInt(pub, 1, "PUBLISH ch one");
	raw_send(fd, "SET k v\r\nGET k\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), "$1\r\nv\r\n", 10);
	at_push = strstr(buf, push);
	at_ok = strstr(buf, "+OK\r\n");
	ck_assert_msg(at_push && at_ok && at_push < at_ok, "got \"%s\"", buf);
	ck_assert_ptr_nonnull(strstr(at_ok, "+OK\r\n$1\r\nv\r\n"));

	/* its own PUBLISH: the push before the count */
	raw_send(fd, "PUBLISH ch two\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), ":1\r\n", 10);
	ck_assert_str_eq(buf, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\ntwo\r\n:1\r\n");
	close(fd);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

#define BULK_PER_PUBLISHER 50000
#define BULK_BATCH 500

static void
bulk_publisher(redisContext *c, int index)
{
	for (int sent = 0; sent < BULK_PER_PUBLISHER; sent += BULK_BATCH)
	{
		for (int i = 0; i < BULK_BATCH; i++)
			redisAppendCommand(c, "PUBLISH bulk %d:%d", index, sent + i);
		for (int i = 0; i < BULK_BATCH; i++)
		{
			redisReply *r;

			if (redisGetReply(c, (void **) &r) != REDIS_OK || r->type != REDIS_REPLY_INTEGER ||
				r->integer != 1)
				exit(3);
			freeReplyObject(r);
		}
	}
}

/* 100,000 messages from two publishers: all arrive, each publisher's in order. */
START_TEST(test_many_messages)
{
	TuskServer	s;
	redisContext *sub;
	pid_t		pids[2];
	int			next[2] = {0, 0};

	HarnessStartOk(&s, NULL, false);
	sub = HarnessConnectOk(&s);
	subscribe(sub, "SUBSCRIBE", "bulk", 1);
	for (int i = 0; i < 2; i++)
		pids[i] = HarnessSpawnClient(s.port, bulk_publisher, i);
	for (int n = 0; n < 2 * BULK_PER_PUBLISHER; n++)
	{
		redisReply *r;
		int			who, seq;

		ck_assert_msg(redisGetReply(sub, (void **) &r) == REDIS_OK, "message %d: %s", n, sub->errstr);
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		ck_assert_str_eq(r->element[0]->str, "message");
		ck_assert_int_eq(sscanf(r->element[2]->str, "%d:%d", &who, &seq), 2);
		ck_assert(who == 0 || who == 1);
		ck_assert_msg(seq == next[who], "publisher %d: got %d, expected %d", who, seq, next[who]);
		next[who]++;
		freeReplyObject(r);
	}
	HarnessWaitClients(pids, 2);
	redisFree(sub);
	HarnessStopOk(&s);
}
END_TEST

static bool
log_contains(const TuskServer *s, const char *text)
{
	FILE	   *f = fopen(s->log_path, "r");
	char		line[2048];
	bool		found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

/*
 * A subscriber that never reads is closed once it has more than
 * pubsub_output_buffer_limit unread; the publisher goes on. (The log is
 * made large enough that the subscriber's backend cannot also fall behind
 * it on a busy machine, which closes it too, for another reason.)
 */
START_TEST(test_slow_subscriber)
{
	TuskServer	s;
	const char *const args[] = {"--pubsub_buffer_size", "256mb",
	"--pubsub_output_buffer_limit", "8mb", NULL};
	redisContext *pub, *fast;
	int			fd;
	size_t		len = 64 * 1024;
	char	   *msg = malloc(len);
	char		buf[256];
	int			rcvbuf = 256 * 1024;
	int			i;
	long long	n = -1;

	memset(msg, 'x', len);
	HarnessStartOk(&s, args, false);
	pub = HarnessConnectOk(&s);
	fast = HarnessConnectOk(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert(fd >= 0);
	/* bound what the kernel holds for it (autotuning may allow 32 MB) */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	raw_send(fd, "SUBSCRIBE slow\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), ":1\r\n", 10);
	subscribe(fast, "SUBSCRIBE", "slow", 1);

	/* 128 MB if nobody were closed */
	for (i = 0; i < 2000; i++)
	{
		redisReply *r;

		n = HarnessGetInt(pub, "PUBLISH slow %b", msg, len);
		ck_assert(n == 1 || n == 2);
		/* the fast subscriber keeps up */
		ck_assert(redisGetReply(fast, (void **) &r) == REDIS_OK);
		ck_assert_uint_eq(r->element[2]->len, len);
		freeReplyObject(r);
		if (n == 1)
			break;
	}
	ck_assert_msg(n == 1, "the subscriber that does not read was never closed");
	ck_assert_msg(i < 500, "closed only after %d MB", i / 16);
	/* (what the socket buffers held is read first) */
	ck_assert(HarnessRawWaitClosed(fd, 30));
	ck_assert(log_contains(&s, "overcoming of output buffer limits"));
	HarnessExpectInt(pub, 1, "PUBLISH slow %b", msg, len);
	close(fd);
	free(msg);
	redisFree(pub);
	redisFree(fast);
	HarnessStopOk(&s);
}
END_TEST

/*
 * QUIT from a subscriber that reads nothing: it stops counting at once,
 * although its backend is then held up writing what it has not read.
 */
START_TEST(test_quit_without_reading)
{
	TuskServer	s;
	const char *const args[] = {"--pubsub_output_buffer_limit", "64mb", NULL};
	redisContext *pub;
	int			fd;
	int			rcvbuf = 256 * 1024;
	size_t		len = 64 * 1024;
	char	   *msg = malloc(len);
	char		buf[256];
	long long	n = -1;

	memset(msg, 'q', len);
	HarnessStartOk(&s, args, false);
	pub = HarnessConnectOk(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	raw_send(fd, "SUBSCRIBE q\r\n");
	HarnessRawReadUntil(fd, buf, sizeof(buf), ":1\r\n", 10);
	/* 16 MB: more than the socket buffers hold */
	for (int i = 0; i < 256; i++)
		HarnessExpectInt(pub, 1, "PUBLISH q %b", msg, len);
	raw_send(fd, "QUIT\r\n");
	for (int i = 0; i < 500 && n != 0; i++)
	{
		struct timespec ten_ms = {0, 10000000L};

		n = HarnessGetInt(pub, "PUBLISH q x");
		if (n != 0)
			nanosleep(&ten_ms, NULL);
	}
	ck_assert_int_eq(n, 0);
	close(fd);
	free(msg);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

/* A message larger than a quarter of the shared log: its receivers lose it and are closed. */
START_TEST(test_message_too_large_for_log)
{
	TuskServer	s;
	const char *const args[] = {"--pubsub_buffer_size", "1mb", NULL};
	redisContext *sub, *pub;
	redisReply *r;
	size_t		len = 300 * 1024;
	char	   *msg = malloc(len);

	memset(msg, 'y', len);
	HarnessStartOk(&s, args, false);
	sub = HarnessConnectOk(&s);
	pub = HarnessConnectOk(&s);
	subscribe(sub, "SUBSCRIBE", "big", 1);
	HarnessExpectInt(pub, 1, "PUBLISH big %b", msg, (size_t) 200 * 1024);
	ck_assert(redisGetReply(sub, (void **) &r) == REDIS_OK);
	ck_assert_uint_eq(r->element[2]->len, 200 * 1024);
	freeReplyObject(r);
	/* many that fit, more than the log holds in all: none lost */
	for (int i = 0; i < 40; i++)
	{
		HarnessExpectInt(pub, 1, "PUBLISH big %b", msg, (size_t) 100 * 1024);
		ck_assert(redisGetReply(sub, (void **) &r) == REDIS_OK);
		ck_assert_uint_eq(r->element[2]->len, 100 * 1024);
		freeReplyObject(r);
	}
	HarnessExpectInt(pub, 1, "PUBLISH big %b", msg, len);
	ck_assert(redisGetReply(sub, (void **) &r) != REDIS_OK);
	ck_assert(log_contains(&s, "it lost messages"));
	HarnessExpectInt(pub, 0, "PUBLISH big %b", msg, len);
	free(msg);
	redisFree(sub);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

/*
 * The pid (tusk's pid= field of CLIENT LIST) of the process that serves client id now, from another client's
 * CLIENT LIST: a subscriber has moved from a shared backend to one of its
 * own (server/README.md, "Shared backends").
 */
static pid_t
serving_pid(redisContext *other, long long id)
{
	redisReply *r = HarnessCommandOk(other, "CLIENT LIST ID %lld", id);
	char		pid[32];

	ck_assert(HarnessClientField(r->str, "pid", pid, sizeof(pid)));
	freeReplyObject(r);
	return (pid_t) atoi(pid);
}

/*
 * The log wraps many times under traffic on other channels: a subscriber
 * of a quiet channel loses nothing (it skips what was not for it); one
 * whose backend was stopped while its messages were overwritten is closed,
 * and the publisher never waited for it.
 */
START_TEST(test_log_wraps)
{
	TuskServer	s;
	const char *const args[] = {"--pubsub_buffer_size", "1mb", NULL};
	redisContext *quiet, *busy, *frozen, *pub;
	redisReply *r;
	size_t		len = 100 * 1024;
	char	   *msg = malloc(len);
	pid_t		frozen_pid;
	long long	frozen_id;

	memset(msg, 'z', len);
	HarnessStartOk(&s, args, false);
	quiet = HarnessConnectOk(&s);
	busy = HarnessConnectOk(&s);
	frozen = HarnessConnectOk(&s);
	pub = HarnessConnectOk(&s);
	frozen_id = HarnessGetInt(frozen, "CLIENT ID");
	subscribe(quiet, "SUBSCRIBE", "quiet", 1);
	subscribe(busy, "SUBSCRIBE", "busy", 1);
	subscribe(frozen, "SUBSCRIBE", "busy", 1);
	frozen_pid = serving_pid(pub, frozen_id);

	HarnessExpectInt(pub, 2, "PUBLISH busy first");
	expect_message(busy, "message", NULL, "busy", "first");
	expect_message(frozen, "message", NULL, "busy", "first");
	{
		/* let it get back to its ppoll (a process stopped holding an LWLock stalls everyone) */
		struct timespec fifty_ms = {0, 50000000L};

		nanosleep(&fifty_ms, NULL);
	}
	ck_assert_int_eq(kill(frozen_pid, SIGSTOP), 0);
	/* 5 MB through a 1 MB log */
	for (int i = 0; i < 50; i++)
	{
		HarnessExpectInt(pub, 2, "PUBLISH busy %b", msg, len);
		ck_assert(redisGetReply(busy, (void **) &r) == REDIS_OK);
		ck_assert_uint_eq(r->element[2]->len, len);
		freeReplyObject(r);
	}
	HarnessExpectInt(pub, 1, "PUBLISH quiet still-here");
	expect_message(quiet, "message", NULL, "quiet", "still-here");

	ck_assert_int_eq(kill(frozen_pid, SIGCONT), 0);
	ck_assert(redisGetReply(frozen, (void **) &r) != REDIS_OK);
	ck_assert(log_contains(&s, "behind the message log"));
	HarnessExpectInt(pub, 1, "PUBLISH busy last");
	expect_message(busy, "message", NULL, "busy", "last");
	free(msg);
	redisFree(quiet);
	redisFree(busy);
	redisFree(frozen);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

/* A full registry refuses with a clear error; entries of a killed client make room. */
START_TEST(test_registry_full)
{
	TuskServer	s;
	const char *const args[] = {"--pubsub_max_subscriptions", "4", NULL};
	redisContext *a, *b;
	redisReply *r;
	pid_t		a_pid;
	long long	a_id;

	HarnessStartOk(&s, args, false);
	a = HarnessConnectOk(&s);
	b = HarnessConnectOk(&s);
	a_id = HarnessGetInt(a, "CLIENT ID");
	subscribe(a, "SUBSCRIBE", "c1", 1);
	a_pid = serving_pid(b, a_id);
	subscribe(a, "SUBSCRIBE", "c2", 2);
	subscribe(a, "PSUBSCRIBE", "p*", 3);
	subscribe(a, "SSUBSCRIBE", "s1", 1);
	r = HarnessCommandOk(b, "SUBSCRIBE c3");
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "ERR too many pub/sub subscriptions (pubsub_max_subscriptions is 4)");
	freeReplyObject(r);
	HarnessExpectBulk(b, NULL, "GET k");	/* b is not subscribed */

	/* a's backend killed with -9 in its wait: others get its room */
	ck_assert_int_eq(kill(a_pid, SIGKILL), 0);
	redisFree(a);
	for (int i = 0; i < 500; i++)
	{
		r = HarnessCommandOk(b, "SUBSCRIBE c3");
		if (r->type == REDIS_REPLY_ARRAY)
			break;
		freeReplyObject(r);
		r = NULL;
		{
			struct timespec ten_ms = {0, 10000000L};

			nanosleep(&ten_ms, NULL);
		}
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->element[1]->str, "c3");
	freeReplyObject(r);
	subscribe(b, "SUBSCRIBE", "c4", 2);
	subscribe(b, "SUBSCRIBE", "c5", 3);
	subscribe(b, "SUBSCRIBE", "c6", 4);
	redisFree(b);
	HarnessStopOk(&s);
}
END_TEST

/* kill -9 of a subscribed backend: its subscriptions stop counting at once. */
START_TEST(test_killed_subscriber)
{
	TuskServer	s;
	redisContext *sub, *pub, *other;
	long long	sub_id;
	long long	n = -1;
	int			published = 0;

	HarnessStartOk(&s, NULL, false);
	pub = HarnessConnectOk(&s);
	other = HarnessConnectOk(&s);
	sub = HarnessConnectOk(&s);
	sub_id = HarnessGetInt(sub, "CLIENT ID");
	subscribe(sub, "SUBSCRIBE", "k", 1);
	subscribe(sub, "PSUBSCRIBE", "k*", 2);
	subscribe(other, "SUBSCRIBE", "k", 1);
	HarnessExpectInt(pub, 3, "PUBLISH k one");
	expect_message(other, "message", NULL, "k", "one");

	/* the subscriber's own backend (it moved there to subscribe) */
	ck_assert_int_eq(kill(serving_pid(pub, sub_id), SIGKILL), 0);
	for (int i = 0; i < 500 && n != 1; i++)
	{
		n = HarnessGetInt(pub, "PUBLISH k two");
		published++;
		if (n != 1)
		{
			struct timespec ten_ms = {0, 10000000L};

			nanosleep(&ten_ms, NULL);
		}
	}
	ck_assert_int_eq(n, 1);
	HarnessExpectInt(pub, 0, "PUBSUB NUMPAT");
	ck_assert_int_eq(HarnessInfoInt(pub, "stats", "pubsub_patterns"), 0);
	/* the other subscriber did not notice (no restart) */
	for (int i = 0; i < published; i++)
		expect_message(other, "message", NULL, "k", "two");
	redisFree(sub);

	/* new clients (one may get the dead one's slot) subscribe and count as usual */
	for (int i = 0; i < 4; i++)
	{
		redisContext *c = HarnessConnectOk(&s);

		subscribe(c, "PSUBSCRIBE", "k*", 1);
		HarnessExpectInt(pub, 2, "PUBLISH k three");
		expect_message(c, "pmessage", "k*", "k", "three");
		expect_message(other, "message", NULL, "k", "three");
		HarnessExpectStatus(c, "RESET", "RESET");
		redisFree(c);
	}
	redisFree(other);
	redisFree(pub);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
pubsub_suite(void)
{
	Suite	   *su = suite_create("pubsub");
	TCase	   *tc = tcase_create("pubsub");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_deliver_in_order);
	tcase_add_test(tc, test_patterns_and_counts);
	tcase_add_test(tc, test_resp2_subscribed_mode);
	tcase_add_test(tc, test_resp3_push);
	tcase_add_test(tc, test_many_messages);
	tcase_add_test(tc, test_slow_subscriber);
	tcase_add_test(tc, test_quit_without_reading);
	tcase_add_test(tc, test_message_too_large_for_log);
	tcase_add_test(tc, test_killed_subscriber);
	tcase_add_test(tc, test_log_wraps);
	tcase_add_test(tc, test_registry_full);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(pubsub_suite());
}
