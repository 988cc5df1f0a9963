/*
 * check_stream.c
 *	  Integration tests of streams against a real tusk-server: XADD's
 *	  generated ids strictly increase across concurrent clients and XLEN
 *	  counts every entry; a client blocked in XREAD BLOCK is woken by
 *	  another client's XADD (and by a RENAME onto its key), XREAD BLOCK
 *	  times out with a null reply, not early; a stream with its last id
 *	  and counters survives a clean restart and a SIGKILL; consumers
 *	  blocked in XREADGROUP BLOCK each get a different new entry, which
 *	  stays pending until XACK, across a SIGKILL too, and XCLAIM and
 *	  XAUTOCLAIM move it and count deliveries.
 *
 * NOTES
 *	  What redis-compat/seq/streams.txt cannot compare: ids made from the
 *	  clock, and a second client. Blocked clients are forked
 *	  (HarnessSpawnClient) and exit non-zero when their reply is wrong;
 *	  the tests wait for them to block by polling INFO's blocked_clients.
 */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define CLIENTS 4
#define ADDS 200

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
wait_blocked(redisContext *c, long long want)
{
	double		until = now_seconds() + 10;
	long long	v;

	while ((v = HarnessInfoInt(c, "clients", "blocked_clients")) != want && now_seconds() < until)
		usleep(10 * 1000);
	ck_assert_msg(v == want, "blocked_clients is %lld, want %lld", v, want);
}

static bool
parse_id(const char *s, uint64_t *ms, uint64_t *seq)
{
	return sscanf(s, "%" SCNu64 "-%" SCNu64, ms, seq) == 2;
}

/* XADD s * c <index> n <k>, ADDS times: each id above the one before. */
static void
adder(redisContext *c, int index)
{
	uint64_t	pms = 0, pseq = 0;

	for (int k = 0; k < ADDS; k++)
	{
		redisReply *r = redisCommand(c, "XADD s * c %d n %d", index, k);
		uint64_t	ms, seq;

		if (r == NULL || r->type != REDIS_REPLY_STRING || !parse_id(r->str, &ms, &seq))
			_exit(3);
		if (ms < pms || (ms == pms && seq <= pseq))
		{
			fprintf(stderr, "client %d: id %s not above %" PRIu64 "-%" PRIu64 "\n",
					index, r->str, pms, pseq);
			_exit(4);
		}
		pms = ms;
		pseq = seq;
		freeReplyObject(r);
	}
	_exit(0);
}

/* Generated ids from 4 clients at once: unique, increasing, all counted. */
START_TEST(test_concurrent_ids)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	pid_t		pids[CLIENTS];
	uint64_t	pms = 0, pseq = 0;
	int64_t		before = (int64_t) time(NULL) * 1000;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < CLIENTS; i++)
		pids[i] = HarnessSpawnClient(s.port, adder, i);
	HarnessWaitClients(pids, CLIENTS);
	HarnessExpectInt(c, CLIENTS * ADDS, "XLEN s");

	/* the stream is in id order, ids strictly increase, ms is the clock */
	r = HarnessCommandOk(c, "XRANGE s - +");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, CLIENTS * ADDS);
	for (size_t i = 0; i < r->elements; i++)
	{
		uint64_t	ms, seq;

		ck_assert(parse_id(r->element[i]->element[0]->str, &ms, &seq));
		ck_assert_msg(i == 0 || ms > pms || (ms == pms && seq > pseq),
					  "entry %zu: %s after %" PRIu64 "-%" PRIu64, i,
					  r->element[i]->element[0]->str, pms, pseq);
		ck_assert_msg(ms + 1000 >= (uint64_t) before && ms < (uint64_t) before + 600000,
					  "id %s is not the clock in ms", r->element[i]->element[0]->str);
		ck_assert_uint_eq(r->element[i]->element[1]->elements, 4);
		pms = ms;
		pseq = seq;
	}
	freeReplyObject(r);

	/* an id of the same millisecond goes on with the next sequence */
	r = HarnessCommandOk(c, "XADD t 99999999999999-5 a b");
	freeReplyObject(r);
	HarnessExpectBulk(c, "99999999999999-6", "XADD t * a b");
	HarnessExpectBulk(c, "99999999999999-7", "XADD t * a b");

	/* the 1 MB limit: refused with the error, the stream unchanged */
	{
		size_t		len = 600 * 1024;
		char	   *big = malloc(len);

		memset(big, 'x', len);
		r = HarnessCommandOk(c, "XADD t 99999999999999-8 f %b", big, len);
		ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
		freeReplyObject(r);
		r = HarnessCommandOk(c, "XADD t 99999999999999-9 f %b", big, len);
		ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
		ck_assert_msg(strstr(r->str, "stream too large") != NULL, "%s", r->str);
		freeReplyObject(r);
		free(big);
		HarnessExpectInt(c, 4, "XLEN t");
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* XREAD BLOCK 0 STREAMS s $: the reply must hold just entry 5-1 of s. */
static void
xread_block_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, index == 0 ? "XREAD BLOCK 0 STREAMS s $"
								 : "XREAD BLOCK 0 STREAMS other s 0 $");

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1)
		_exit(3);
	r = r->element[0];
	if (r->elements != 2 || strcmp(r->element[0]->str, "s") != 0 ||
		r->element[1]->elements != 1 ||
		strcmp(r->element[1]->element[0]->element[0]->str, "5-1") != 0)
	{
		fprintf(stderr, "client %d: wrong XREAD reply\n", index);
		_exit(4);
	}
	_exit(0);
}

/* XREAD BLOCK 0 STREAMS s2 $, woken by RENAME tmp s2. */
static void
xread_rename_expect(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "XREAD BLOCK 0 STREAMS s2 $");

	(void) index;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
		strcmp(r->element[0]->element[0]->str, "s2") != 0 ||
		strcmp(r->element[0]->element[1]->element[0]->element[0]->str, "9-9") != 0)
		_exit(3);
	_exit(0);
}

START_TEST(test_block_woken)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[2];
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	r = HarnessCommandOk(c, "XADD s 1-1 old x");
	freeReplyObject(r);
	pids[0] = HarnessSpawnClient(s.port, xread_block_expect, 0);
	pids[1] = HarnessSpawnClient(s.port, xread_block_expect, 1);
	wait_blocked(c, 2);

	/* writes that add nothing to s wake nobody for good */
	r = HarnessCommandOk(c, "XADD unrelated 1-1 a b");
	freeReplyObject(r);
	HarnessExpectInt(c, 1, "XDEL s 1-1");
	usleep(100 * 1000);
	ck_assert_int_eq(HarnessInfoInt(c, "clients", "blocked_clients"), 2);

	HarnessExpectBulk(c, "5-1", "XADD s 5-1 new y");
	HarnessWaitClients(pids, 2);
	wait_blocked(c, 0);

	/* a stream renamed onto the key a client waits on */
	pids[0] = HarnessSpawnClient(s.port, xread_rename_expect, 0);
	wait_blocked(c, 1);
	r = HarnessCommandOk(c, "XADD tmp 9-9 a b");
	freeReplyObject(r);
	HarnessExpectStatus(c, "OK", "RENAME tmp s2");
	HarnessWaitClients(pids, 1);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_block_timeout)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	double		t0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	r = HarnessCommandOk(c, "XADD s 1-1 a b");
	freeReplyObject(r);
	t0 = now_seconds();
	r = HarnessCommandOk(c, "XREAD BLOCK 300 STREAMS s $");
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	ck_assert_msg(now_seconds() - t0 >= 0.29, "timed out early: %f", now_seconds() - t0);
	ck_assert_msg(now_seconds() - t0 < 5, "timed out late: %f", now_seconds() - t0);

	/* several streams, one missing: still a null (RESP3's is in seq/streams.txt) */
	r = HarnessCommandOk(c, "XREAD BLOCK 50 STREAMS s nokey 1-1 0");
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* A stream and its metadata after a clean restart and a SIGKILL. */
START_TEST(test_restart)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 1; i <= 10; i++)
	{
		r = HarnessCommandOk(c, "XADD s %d-1 n %d", i, i);
		ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
		freeReplyObject(r);
	}
	HarnessExpectInt(c, 1, "XDEL s 10-1");
	HarnessExpectInt(c, 1, "EXPIRE s 1000");
	redisFree(c);

	ck_assert_int_eq(HarnessStop(&s), 0);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 9, "XLEN s");
	HarnessExpectStatus(c, "stream", "TYPE s");
	ck_assert_int_gt(HarnessGetInt(c, "TTL s"), 900);
	HarnessExpectError(c, "ERR The ID specified in XADD is equal or smaller than the target "
					   "stream top item", "XADD s 10-1 a b");
	HarnessExpectBulk(c, "11-0", "XADD s 11 n 11");
	HarnessExpectInt(c, 2, "XTRIM s MAXLEN 8");
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 8, "XLEN s");
	r = HarnessCommandOk(c, "XINFO STREAM s");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 20);
	ck_assert_str_eq(r->element[7]->str, "11-0");	/* last-generated-id */
	ck_assert_str_eq(r->element[9]->str, "10-1");	/* max-deleted-entry-id */
	ck_assert_int_eq(r->element[11]->integer, 11);	/* entries-added */
	ck_assert_str_eq(r->element[13]->str, "3-1");	/* recorded-first-entry-id */
	freeReplyObject(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * XREADGROUP GROUP g c<index> COUNT 1 BLOCK 0 STREAMS s >: exactly one
 * entry (which one is up to who is woken first).
 */
static void
xreadgroup_block(redisContext *c, int index)
{
	redisReply *r = redisCommand(c, "XREADGROUP GROUP g c%d COUNT 1 BLOCK 0 STREAMS s >", index);

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
		r->element[0]->element[1]->elements != 1)
		_exit(3);
	_exit(0);
}

START_TEST(test_groups)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	pid_t		pids[2];

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "XGROUP CREATE s g $ MKSTREAM");
	pids[0] = HarnessSpawnClient(s.port, xreadgroup_block, 0);
	pids[1] = HarnessSpawnClient(s.port, xreadgroup_block, 1);
	wait_blocked(c, 2);
	HarnessExpectBulk(c, "1-1", "XADD s 1-1 a 1");
	wait_blocked(c, 1);
	HarnessExpectBulk(c, "2-1", "XADD s 2-1 a 2");
	HarnessWaitClients(pids, 2);

	/* each entry went to exactly one consumer, and is pending for it */
	r = HarnessCommandOk(c, "XPENDING s g - + 10");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->element[0]->str, "1-1");
	ck_assert_str_eq(r->element[1]->element[0]->str, "2-1");
	ck_assert_str_ne(r->element[0]->element[1]->str, r->element[1]->element[1]->str);
	freeReplyObject(r);
	HarnessExpectInt(c, 1, "XACK s g 1-1");
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	r = HarnessCommandOk(c, "XPENDING s g");
	ck_assert_int_eq(r->element[0]->integer, 1);
	ck_assert_str_eq(r->element[1]->str, "2-1");
	freeReplyObject(r);
	r = HarnessCommandOk(c, "XINFO GROUPS s");
	ck_assert_str_eq(r->element[0]->element[7]->str, "2-1");	/* last-delivered-id */
	freeReplyObject(r);

	/* XCLAIM moves it and counts a delivery; XAUTOCLAIM JUSTID does not */
	r = HarnessCommandOk(c, "XCLAIM s g other 0 2-1");
	ck_assert_uint_eq(r->elements, 1);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "XAUTOCLAIM s g third 0 0 JUSTID");
	ck_assert_uint_eq(r->element[1]->elements, 1);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "XPENDING s g - + 10");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->element[1]->str, "third");
	ck_assert_int_eq(r->element[0]->element[3]->integer, 2);
	freeReplyObject(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
stream_suite(void)
{
	Suite	   *su = suite_create("stream");
	TCase	   *tc = tcase_create("stream");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_concurrent_ids);
	tcase_add_test(tc, test_block_woken);
	tcase_add_test(tc, test_block_timeout);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_groups);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(stream_suite());
}
