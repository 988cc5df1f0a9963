/*
 * check_hash.c
 *	  Integration tests of hashes (and sets and lists, which share their
 *	  inline encoding) against a real tusk-server: the size
 *	  limit of the inline encoding, RESP3 shapes, concurrent HINCRBY (no
 *	  lost update), readers that never see half of an HSET, hashes inside
 *	  MULTI/EXEC, and hashes across a restart and a SIGKILL.
 *
 * NOTES
 *	  Replies and errors are compared with redis-server by
 *	  redis-compat/seq/hashes.txt; this file covers what a differential
 *	  sequence on one connection cannot. Each test starts its own server.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define OK(c, ...) HarnessExpectStatus(c, "OK", __VA_ARGS__)

/* A hash may not grow past 1 MB; the refused write changes nothing. */
START_TEST(test_size_limit)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	size_t		vlen = 300 * 1024;
	char	   *v = malloc(vlen);

	memset(v, 'x', vlen);
	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < 3; i++)
	{
		r = HarnessCommandOk(c, "HSET big f%d %b", i, v, vlen);
		ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
		freeReplyObject(r);
	}
	r = HarnessCommandOk(c, "HSET big f3 %b", v, vlen);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "ERR hash too large for tusk", 27) == 0, "%s", r->str);
	freeReplyObject(r);
	HarnessExpectInt(c, 3, "HLEN big");
	HarnessExpectInt(c, 0, "HEXISTS big f3");
	/* a write that does not grow it is still allowed */
	HarnessExpectInt(c, 0, "HSET big f0 small");
	HarnessExpectInt(c, 1, "HSET big f3 %b", v, (size_t) 1000);
	/* 1,000 small fields are fine */
	for (int i = 0; i < 1000; i++)
		HarnessExpectInt(c, 1, "HSET many field:%d %d", i, i);
	HarnessExpectInt(c, 1000, "HLEN many");
	HarnessExpectBulk(c, "999", "HGET many field:999");
	HarnessExpectBulk(c, "hashtable", "OBJECT ENCODING many");
	free(v);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * RESP3 (raw bytes: the hiredis here speaks RESP2): HGETALL is a map,
 * HRANDFIELD WITHVALUES an array of pairs.
 */
static void
raw_exchange(int fd, const char *send, const char *want)
{
	char		buf[512];
	bool		closed;
	size_t		n;

	ck_assert(HarnessRawSend(fd, send, strlen(send)));
	n = HarnessRawRead(fd, buf, sizeof(buf) - 1, strlen(want), 10, &closed);
	buf[n] = '\0';
	ck_assert_msg(n == strlen(want) && memcmp(buf, want, n) == 0, "for %s got \"%s\"", send, buf);
}

START_TEST(test_resp3)
{
	TuskServer	s;
	redisContext *c;
	int			fd;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 2, "HSET h a 1 b 2");
	HarnessExpectInt(c, 1, "HSET one a 1");
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "HELLO 3\r\n", 9));
	{
		char		buf[1024];
		bool		closed;

		(void) HarnessRawReadUntil(fd, buf, sizeof(buf), "proto", 10);
		(void) HarnessRawRead(fd, buf, sizeof(buf) - 1, 0, 1, &closed);
	}
	raw_exchange(fd, "HGETALL h\r\n", "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
	raw_exchange(fd, "HGETALL nokey\r\n", "%0\r\n");
	raw_exchange(fd, "HRANDFIELD one 1 WITHVALUES\r\n", "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
	raw_exchange(fd, "HRANDFIELD nokey\r\n", "_\r\n");
	close(fd);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define CLIENTS 8
#define ROUNDS 200

/* Client i: ROUNDS HINCRBYs; client 0 also HSETs a and b together. */
static void
hincr_client(redisContext *w, int i)
{
	for (int k = 1; k <= ROUNDS; k++)
	{
		redisReply *r = redisCommand(w, "HINCRBY counters n 1");

		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			_exit(3);
		freeReplyObject(r);
		if (i == 0)
		{
			r = redisCommand(w, "HSET pair a %d b %d", k, k);
			if (r == NULL || r->type != REDIS_REPLY_INTEGER)
				_exit(4);
			freeReplyObject(r);
		}
	}
}

/*
 * HINCRBY from several clients loses no update; HSET of two fields is
 * seen whole by HMGET readers meanwhile.
 */
START_TEST(test_concurrent)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[CLIENTS];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < CLIENTS; i++)
		pids[i] = HarnessSpawnClient(s.port, hincr_client, i);
	for (;;)
	{
		redisReply *r = HarnessCommandOk(c, "HMGET pair a b");
		long long	a = r->element[0]->str ? atoll(r->element[0]->str) : 0;
		long long	b = r->element[1]->str ? atoll(r->element[1]->str) : 0;

		freeReplyObject(r);
		ck_assert_msg(a == b, "a reader saw a = %lld, b = %lld", a, b);
		if (a == ROUNDS)
			break;
	}
	HarnessWaitClients(pids, CLIENTS);
	HarnessExpectBulk(c, "1600", "HGET counters n");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Hashes in a transaction, and after a clean restart and a SIGKILL. */
START_TEST(test_multi_and_restart)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	OK(c, "MULTI");
	HarnessExpectStatus(c, "QUEUED", "HSET t a 1");
	HarnessExpectStatus(c, "QUEUED", "HINCRBY t a 41");
	HarnessExpectStatus(c, "QUEUED", "HGET t a");
	HarnessExpectStatus(c, "QUEUED", "GET t");
	r = HarnessCommandOk(c, "EXEC");
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_str_eq(r->element[2]->str, "42");
	ck_assert_int_eq(r->element[3]->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	HarnessExpectInt(c, 2, "HSET kept x 1 y 2");
	HarnessExpectInt(c, 1, "EXPIRE kept 1000");
	redisFree(c);

	ck_assert_int_eq(HarnessStop(&s), 0);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectBulk(c, "42", "HGET t a");
	HarnessExpectStatus(c, "hash", "TYPE kept");
	HarnessExpectBulk(c, "2", "HGET kept y");
	ck_assert_int_gt(HarnessGetInt(c, "TTL kept"), 900);
	HarnessExpectInt(c, 1, "HDEL kept x");
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 1, "HLEN kept");
	HarnessExpectBulk(c, NULL, "HGET kept x");
	HarnessExpectBulk(c, "42", "HGET t a");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Sets share the inline encoding: the same 1 MB limit. */
START_TEST(test_set_size_limit)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	size_t		vlen = 300 * 1024;
	char	   *v = malloc(vlen);

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < 4; i++)
	{
		memset(v, 'a' + i, vlen);
		r = HarnessCommandOk(c, "SADD big %b", v, vlen);
		ck_assert_int_eq(r->type, i < 3 ? REDIS_REPLY_INTEGER : REDIS_REPLY_ERROR);
		if (i == 3)
			ck_assert_msg(strncmp(r->str, "ERR set too large for tusk", 26) == 0, "%s", r->str);
		freeReplyObject(r);
	}
	HarnessExpectInt(c, 3, "SCARD big");
	free(v);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define MEMBERS 20

/* Client: 300 SMOVEs of random members between a and b. */
static void
smove_client(redisContext *w, int i)
{
	(void) i;
	srandom((unsigned) getpid());
	for (int k = 0; k < 300; k++)
	{
		int			m = (int) (random() % MEMBERS);
		redisReply *r = redisCommand(w, k % 2 ? "SMOVE a b m%d" : "SMOVE b a m%d", m);

		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			_exit(3);
		freeReplyObject(r);
	}
}

/*
 * SMOVE between two sets from several clients: a reader's SUNION always
 * has every member once and SINTER is always empty (each SMOVE is atomic
 * and a multi-key read is one state).
 */
START_TEST(test_smove_conserves)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[4];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < MEMBERS; i++)
		HarnessExpectInt(c, 1, "SADD %s m%d", i % 2 ? "a" : "b", i);
	for (int i = 0; i < 4; i++)
		pids[i] = HarnessSpawnClient(s.port, smove_client, i);
	for (int k = 0; k < 300; k++)
	{
		redisReply *u = HarnessCommandOk(c, "SUNION a b");
		redisReply *i = HarnessCommandOk(c, "SINTER a b");

		ck_assert_uint_eq(u->elements, MEMBERS);
		ck_assert_uint_eq(i->elements, 0);
		freeReplyObject(u);
		freeReplyObject(i);
	}
	HarnessWaitClients(pids, 4);
	ck_assert_int_eq(HarnessGetInt(c, "SCARD a") + HarnessGetInt(c, "SCARD b"), MEMBERS);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Clients 0 and 1 push 200 numbered elements each; 2 and 3 move them on. */
static void
queue_client(redisContext *w, int i)
{
	for (int k = 0; k < 200; k++)
	{
		redisReply *x = i < 2 ? redisCommand(w, "LPUSH queue %d", i * 200 + k)
			: redisCommand(w, "RPOPLPUSH queue done");

		if (x == NULL || (i < 2 && x->type != REDIS_REPLY_INTEGER))
			_exit(3);
		freeReplyObject(x);
	}
}

/* Lists too: the 1 MB limit, and a queue whose every element is popped once. */
START_TEST(test_list_queue)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	pid_t		pids[4];
	size_t		vlen = 400 * 1024;
	char	   *v = malloc(vlen);
	int			seen[400] = {0};

	memset(v, 'q', vlen);
	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 1, "RPUSH big %b", v, vlen);
	HarnessExpectInt(c, 2, "RPUSH big %b", v, vlen);
	r = HarnessCommandOk(c, "RPUSH big %b", v, vlen);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "ERR list too large for tusk", 27) == 0, "%s", r->str);
	freeReplyObject(r);
	HarnessExpectInt(c, 2, "LLEN big");
	free(v);

	/* 2 producers push 200 numbered elements each; 2 consumers pop */
	for (int i = 0; i < 4; i++)
		pids[i] = HarnessSpawnClient(s.port, queue_client, i);
	HarnessWaitClients(pids, 4);
	/* every element is in exactly one of the two lists */
	ck_assert_int_eq(HarnessGetInt(c, "LLEN queue") + HarnessGetInt(c, "LLEN done"), 400);
	for (const char *const *name = (const char *const[]) {"queue", "done", NULL}; *name; name++)
	{
		r = HarnessCommandOk(c, "LRANGE %s 0 -1", *name);
		for (size_t k = 0; k < r->elements; k++)
		{
			int			n = atoi(r->element[k]->str);

			ck_assert(n >= 0 && n < 400);
			ck_assert_msg(seen[n] == 0, "element %d twice", n);
			seen[n] = 1;
		}
		freeReplyObject(r);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
hash_suite(void)
{
	Suite	   *su = suite_create("hash");
	TCase	   *tc = tcase_create("hash");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_resp3);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_multi_and_restart);
	tcase_add_test(tc, test_set_size_limit);
	tcase_add_test(tc, test_smove_conserves);
	tcase_add_test(tc, test_list_queue);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(hash_suite());
}
