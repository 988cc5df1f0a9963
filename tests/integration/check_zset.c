/*
 * check_zset.c
 *	  Integration tests of sorted sets against a real tusk-server: the
 *	  1 MB limit of the inline encoding (also for a STORE result), RESP3
 *	  shapes, concurrent ZINCRBY (no lost update), readers that never see
 *	  half of a ZADD or ZREM, members moved between two sorted sets inside
 *	  MULTI/EXEC while ZUNION/ZINTERCARD/ZUNIONSTORE read them, and sorted
 *	  sets across a restart and a SIGKILL, geo sets (server/cmd_geo.c) too.
 *
 * NOTES
 *	  Replies and errors are compared with redis-server by
 *	  redis-compat/seq/zsets.txt and difftest.py --random; this file
 *	  covers what a differential sequence on one connection cannot. Each
 *	  test starts its own server.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define OK(c, ...) HarnessExpectStatus(c, "OK", __VA_ARGS__)

static void
expect_too_big(redisContext *c, const char *fmt, const char *arg, size_t len)
{
	redisReply *r = HarnessCommandOk(c, fmt, arg, len);

	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "ERR sorted set too large for tusk", 33) == 0, "%s", r->str);
	freeReplyObject(r);
}

/* A sorted set may not grow past 1 MB; the refused write changes nothing. */
START_TEST(test_size_limit)
{
	TuskServer s;
	redisContext *c;
	size_t vlen = 300 * 1024;
	char *v = malloc(vlen);

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < 3; i++)
	{
		memset(v, 'a' + i, vlen);
		HarnessExpectInt(c, 1, "ZADD big %d %b", i, v, vlen);
	}
	memset(v, 'd', vlen);
	expect_too_big(c, "ZADD big 3 %b", v, vlen);
	HarnessExpectInt(c, 3, "ZCARD big");
	HarnessExpectBulk(c, NULL, "ZSCORE big %b", v, vlen);
	/* a write that does not grow it is still allowed */
	memset(v, 'a', vlen);
	HarnessExpectBulk(c, "10", "ZINCRBY big 10 %b", v, vlen);
	HarnessExpectInt(c, 1, "ZADD big 5 small");
	HarnessExpectBulk(c, "skiplist", "OBJECT ENCODING big");

	/* a STORE whose result would pass 1 MB leaves the destination alone */
	memset(v, 'x', vlen);
	HarnessExpectInt(c, 1, "ZADD other 1 %b", v, vlen);
	OK(c, "SET dst keep");
	{
		redisReply *r = HarnessCommandOk(c, "ZUNIONSTORE dst 2 big other");

		ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
		ck_assert_msg(strncmp(r->str, "ERR sorted set too large for tusk", 33) == 0, "%s", r->str);
		freeReplyObject(r);
	}
	HarnessExpectBulk(c, "keep", "GET dst");
	HarnessExpectInt(c, 4, "ZINTERSTORE dst 2 big big");
	HarnessExpectInt(c, 4, "ZCARD dst");

	/* 2,000 small members are fine, and ranges over them work */
	for (int i = 0; i < 2000; i++)
		HarnessExpectInt(c, 1, "ZADD many %d m%d", i, i);
	HarnessExpectInt(c, 2000, "ZCARD many");
	HarnessExpectBulk(c, "skiplist", "OBJECT ENCODING many");
	HarnessExpectInt(c, 1234, "ZRANK many m1234");
	HarnessExpectInt(c, 100, "ZCOUNT many 1000 (1100");
	HarnessExpectInt(c, 1000, "ZREMRANGEBYSCORE many 1000 +inf");
	HarnessExpectInt(c, 1000, "ZCARD many");
	free(v);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* RESP3 (raw bytes: the hiredis here speaks RESP2): doubles and pairs. */
static void
raw_exchange(int fd, const char *send, const char *want)
{
	char buf[512];
	bool closed;
	size_t n;

	ck_assert(HarnessRawSend(fd, send, strlen(send)));
	n = HarnessRawRead(fd, buf, sizeof(buf) - 1, strlen(want), 10, &closed);
	buf[n] = '\0';
	ck_assert_msg(n == strlen(want) && memcmp(buf, want, n) == 0, "for %s got \"%s\"", send, buf);
}

START_TEST(test_resp3)
{
	TuskServer s;
	redisContext *c;
	int fd;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 3, "ZADD z 1.5 a 2 b inf c");
	HarnessExpectInt(c, 1, "ZADD one 0.1 a");
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	ck_assert(HarnessRawSend(fd, "HELLO 3\r\n", 9));
	{
		char buf[1024];
		bool closed;

		(void) HarnessRawReadUntil(fd, buf, sizeof(buf), "proto", 10);
		(void) HarnessRawRead(fd, buf, sizeof(buf) - 1, 0, 1, &closed);
	}
	raw_exchange(fd, "ZSCORE z a\r\n", ",1.5\r\n");
	raw_exchange(fd, "ZSCORE z c\r\n", ",inf\r\n");
	raw_exchange(fd, "ZSCORE one a\r\n", ",0.10000000000000001\r\n");
	raw_exchange(fd, "ZMSCORE z b x\r\n", "*2\r\n,2\r\n_\r\n");
	raw_exchange(fd, "ZRANGE z 0 1 WITHSCORES\r\n",
				 "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n");
	raw_exchange(fd, "ZRANGE z 0 1\r\n", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
	raw_exchange(fd, "ZRANDMEMBER one 1 WITHSCORES\r\n",
				 "*1\r\n*2\r\n$1\r\na\r\n,0.10000000000000001\r\n");
	raw_exchange(fd, "ZSCAN one 0\r\n",
				 "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$19\r\n0.10000000000000001\r\n");
	raw_exchange(fd, "ZINCRBY z 1 a\r\n", ",2.5\r\n");
	raw_exchange(fd, "ZADD z XX INCR 1 nope\r\n", "_\r\n");
	raw_exchange(fd, "ZPOPMIN z\r\n", "*2\r\n$1\r\nb\r\n,2\r\n");
	raw_exchange(fd, "ZPOPMAX z 1\r\n", "*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n");
	raw_exchange(fd, "ZMPOP 2 nokey z MIN\r\n", "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,2.5\r\n");
	raw_exchange(fd, "ZMPOP 1 z MIN\r\n", "_\r\n");
	raw_exchange(fd, "ZRANDMEMBER nokey\r\n", "_\r\n");
	close(fd);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define CLIENTS 8
#define ROUNDS	200

/*
 * Client i: ROUNDS ZINCRBYs of one member; client 0 also sets two members
 * to the same score in one ZADD, client 1 adds and removes two members
 * together.
 */
static void
zincr_client(redisContext *w, int i)
{
	for (int k = 1; k <= ROUNDS; k++)
	{
		redisReply *r = redisCommand(w, "ZINCRBY counters 1 n");

		if (r == NULL || r->type != REDIS_REPLY_STRING)
			_exit(3);
		freeReplyObject(r);
		if (i == 0)
			r = redisCommand(w, "ZADD pair %d a %d b", k, k);
		else if (i == 1)
			r = redisCommand(w, k % 2 ? "ZADD flip 1 x 2 y" : "ZREM flip x y");
		else
			continue;
		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			_exit(4);
		freeReplyObject(r);
	}
}

/*
 * ZINCRBY from several clients loses no update; ZADD and ZREM of two
 * members are seen whole by ZRANGE readers meanwhile.
 */
START_TEST(test_concurrent)
{
	TuskServer s;
	redisContext *c;
	pid_t pids[CLIENTS];
	char want[16];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < CLIENTS; i++)
		pids[i] = HarnessSpawnClient(s.port, zincr_client, i);
	for (;;)
	{
		redisReply *r = HarnessCommandOk(c, "ZRANGE pair 0 -1 WITHSCORES");
		redisReply *f = HarnessCommandOk(c, "ZRANGE flip 0 -1");
		long long a = 0;

		ck_assert_msg(r->elements == 0 || r->elements == 4, "ZRANGE pair: %zu elements",
					  r->elements);
		if (r->elements == 4)
		{
			ck_assert_str_eq(r->element[0]->str, "a");
			ck_assert_str_eq(r->element[2]->str, "b");
			ck_assert_str_eq(r->element[1]->str, r->element[3]->str);
			a = atoll(r->element[1]->str);
		}
		ck_assert_msg(f->elements == 0 || f->elements == 2, "ZRANGE flip: %zu elements",
					  f->elements);
		freeReplyObject(r);
		freeReplyObject(f);
		if (a == ROUNDS)
			break;
	}
	HarnessWaitClients(pids, CLIENTS);
	snprintf(want, sizeof(want), "%d", CLIENTS * ROUNDS);
	HarnessExpectBulk(c, want, "ZSCORE counters n");
	HarnessExpectInt(c, 0, "EXISTS flip");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define MEMBERS 20
#define MOVES 600

/* Client: MOVES attempts to move a random member from one sorted set to the other. */
static void
move_client(redisContext *w, int i)
{
	(void) i;
	srandom((unsigned) getpid());
	for (int k = 0; k < 150; k++)
	{
		int m = (int) (random() % MEMBERS);
		const char *from = k % 2 ? "a" : "b", *to = k % 2 ? "b" : "a";
		redisReply *r = redisCommand(w, "ZSCORE %s m%d", from, m);

		if (r == NULL)
			_exit(3);
		if (r->type == REDIS_REPLY_STRING)
		{
			freeReplyObject(r);
			/* WATCH: another client may have moved it since the ZSCORE */
			freeReplyObject(redisCommand(w, "WATCH %s", from));
			r = redisCommand(w, "ZSCORE %s m%d", from, m);
			if (r == NULL)
				_exit(3);
			if (r->type == REDIS_REPLY_STRING)
			{
				freeReplyObject(redisCommand(w, "MULTI"));
				freeReplyObject(redisCommand(w, "ZREM %s m%d", from, m));
				freeReplyObject(redisCommand(w, "ZADD %s %d m%d", to, m, m));
				freeReplyObject(redisCommand(w, "EXEC"));
			}
			else
				freeReplyObject(redisCommand(w, "UNWATCH"));
		}
		freeReplyObject(r);
	}
}

/*
 * Members moved between two sorted sets in transactions: ZUNION always
 * has every member once, ZINTERCARD is always 0 (a multi-key read is one
 * state), and ZUNIONSTORE (which locks its inputs) stores all of them.
 */
START_TEST(test_moves_conserve)
{
	TuskServer s;
	redisContext *c;
	pid_t pids[4];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < MEMBERS; i++)
		HarnessExpectInt(c, 1, "ZADD %s %d m%d", i % 2 ? "a" : "b", i, i);
	for (int i = 0; i < 4; i++)
		pids[i] = HarnessSpawnClient(s.port, move_client, i);
	for (int k = 0; k < MOVES; k++)
	{
		redisReply *u = HarnessCommandOk(c, "ZUNION 2 a b WITHSCORES");

		ck_assert_uint_eq(u->elements, 2 * MEMBERS);
		/* scores are the members' numbers, so the union is m0 .. m19 in order */
		for (int i = 0; i < MEMBERS; i++)
			ck_assert_int_eq(atoi(u->element[2 * i + 1]->str), i);
		freeReplyObject(u);
		HarnessExpectInt(c, 0, "ZINTERCARD 2 a b");
		HarnessExpectInt(c, MEMBERS, "ZUNIONSTORE u 2 a b");
		/* two STOREs in one EXEC read one state (EXEC locks their inputs too) */
		OK(c, "MULTI");
		HarnessExpectStatus(c, "QUEUED", "ZDIFFSTORE da 2 a b");
		HarnessExpectStatus(c, "QUEUED", "ZDIFFSTORE db 2 b a");
		u = HarnessCommandOk(c, "EXEC");
		ck_assert_uint_eq(u->elements, 2);
		ck_assert_int_eq(u->element[0]->integer + u->element[1]->integer, MEMBERS);
		freeReplyObject(u);
	}
	HarnessWaitClients(pids, 4);
	ck_assert_int_eq(HarnessGetInt(c, "ZCARD a") + HarnessGetInt(c, "ZCARD b"), MEMBERS);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Sorted sets in a transaction, and after a clean restart and a SIGKILL. */
START_TEST(test_multi_and_restart)
{
	TuskServer s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	OK(c, "MULTI");
	HarnessExpectStatus(c, "QUEUED", "ZADD t 1 a 2 b");
	HarnessExpectStatus(c, "QUEUED", "ZINCRBY t 40 a");
	HarnessExpectStatus(c, "QUEUED", "ZRANGE t 0 -1 WITHSCORES");
	HarnessExpectStatus(c, "QUEUED", "GET t");
	r = HarnessCommandOk(c, "EXEC");
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_str_eq(r->element[1]->str, "41");
	ck_assert_uint_eq(r->element[2]->elements, 4);
	ck_assert_str_eq(r->element[2]->element[0]->str, "b");
	ck_assert_int_eq(r->element[3]->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	HarnessExpectInt(c, 3, "ZADD kept 1 x 2 y 3 z");
	HarnessExpectInt(c, 1, "EXPIRE kept 1000");
	redisFree(c);

	ck_assert_int_eq(HarnessStop(&s), 0);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectBulk(c, "41", "ZSCORE t a");
	HarnessExpectStatus(c, "zset", "TYPE kept");
	HarnessExpectBulk(c, "2", "ZSCORE kept y");
	ck_assert_int_gt(HarnessGetInt(c, "TTL kept"), 900);
	HarnessExpectInt(c, 1, "ZREM kept x");
	r = HarnessCommandOk(c, "ZPOPMAX kept");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "z");
	freeReplyObject(r);
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 1, "ZCARD kept");
	HarnessExpectBulk(c, NULL, "ZSCORE kept x");
	HarnessExpectBulk(c, NULL, "ZSCORE kept z");
	HarnessExpectBulk(c, "2", "ZSCORE kept y");
	HarnessExpectBulk(c, "41", "ZSCORE t a");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A geo set is a sorted set: its scores, positions and a GEOSEARCHSTORE
 * result survive a SIGKILL; a refused GEOADD changes nothing. The numbers
 * are redis-server 7.0's.
 */
START_TEST(test_geo_kill9)
{
	TuskServer s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 2, "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
	HarnessExpectError(c, "ERR invalid longitude,latitude pair 200.000000,100.000000",
					   "GEOADD Sicily 1 1 a 200 100 b");
	HarnessExpectInt(c, 2, "GEOSEARCHSTORE near Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST");
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "zset", "TYPE Sicily");
	HarnessExpectInt(c, 2, "ZCARD Sicily");
	HarnessExpectBulk(c, "3479099956230698", "ZSCORE Sicily Palermo");
	HarnessExpectBulk(c, "166.2742", "GEODIST Sicily Palermo Catania km");
	r = HarnessCommandOk(c, "GEOPOS Sicily Catania");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_uint_eq(r->element[0]->elements, 2);
	ck_assert_str_eq(r->element[0]->element[0]->str, "15.08726745843887329");
	ck_assert_str_eq(r->element[0]->element[1]->str, "37.50266842333162032");
	freeReplyObject(r);
	r = HarnessCommandOk(c, "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km ASC");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "Palermo");
	ck_assert_str_eq(r->element[1]->str, "Catania");
	freeReplyObject(r);
	HarnessExpectBulk(c, "56.441257870158204", "ZSCORE near Catania");
	HarnessExpectBulk(c, "190.44242984775784", "ZSCORE near Palermo");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
zset_suite(void)
{
	Suite *su = suite_create("zset");
	TCase *tc = tcase_create("zset");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_resp3);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_moves_conserve);
	tcase_add_test(tc, test_multi_and_restart);
	tcase_add_test(tc, test_geo_kill9);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(zset_suite());
}
