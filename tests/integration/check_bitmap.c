/*
 * check_bitmap.c
 *	  Integration tests of the commands that treat strings as bit arrays
 *	  against a real tusk-server: bitmaps (server/cmd_bit.c): concurrent
 *	  SETBIT and BITFIELD INCRBY on one key lose no update and readers never
 *	  see a count go back; a bitmap big enough to be stored in chunks,
 *	  BITOP over such strings checked against the same operation done
 *	  here, and bitmaps across a restart and a SIGKILL. HyperLogLogs
 *	  (server/cmd_hll.c): concurrent PFADDs into one key lose no register.
 *
 * NOTES
 *	  Replies and errors are compared with redis-server by
 *	  redis-compat/seq/bitmaps.txt; this file covers what a differential
 *	  sequence on one connection cannot. Each test starts its own server.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define CLIENTS 4
#define BITS_PER_CLIENT 300

/* Client i sets bits i, i + CLIENTS, ... and bumps a shared BITFIELD counter. */
static void
setbit_client(redisContext *w, int i)
{
	for (int k = 0; k < BITS_PER_CLIENT; k++)
	{
		redisReply *r = redisCommand(w, "SETBIT bm %d 1", i + k * CLIENTS);

		if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 0)
			_exit(3);
		freeReplyObject(r);
		r = redisCommand(w, "BITFIELD ctr INCRBY u32 #%d 1", i % 2);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1)
			_exit(4);
		freeReplyObject(r);
	}
}

/* No SETBIT or BITFIELD INCRBY is lost; BITCOUNT never goes back. */
START_TEST(test_concurrent)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[CLIENTS];
	long long	last = 0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < CLIENTS; i++)
		pids[i] = HarnessSpawnClient(s.port, setbit_client, i);
	while (last < CLIENTS * BITS_PER_CLIENT)
	{
		long long	n = HarnessGetInt(c, "BITCOUNT bm");

		ck_assert_msg(n >= last, "BITCOUNT went back from %lld to %lld", last, n);
		last = n;
	}
	HarnessWaitClients(pids, CLIENTS);
	HarnessExpectInt(c, CLIENTS * BITS_PER_CLIENT, "BITCOUNT bm");
	HarnessExpectInt(c, -1, "BITPOS bm 0 0 %d BIT", CLIENTS * BITS_PER_CLIENT - 1);
	HarnessExpectInt(c, CLIENTS * BITS_PER_CLIENT, "BITPOS bm 0");
	{
		redisReply *r = HarnessCommandOk(c, "BITFIELD_RO ctr GET u32 0 GET u32 32");

		ck_assert_uint_eq(r->elements, 2);
		ck_assert_int_eq(r->element[0]->integer, CLIENTS / 2 * BITS_PER_CLIENT);
		ck_assert_int_eq(r->element[1]->integer, CLIENTS / 2 * BITS_PER_CLIENT);
		freeReplyObject(r);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define BIG_BYTES 200000

static long long
popcount_buf(const unsigned char *p, size_t n)
{
	long long	k = 0;

	for (size_t i = 0; i < n; i++)
		k += __builtin_popcount(p[i]);
	return k;
}

/*
 * Bitmaps of 200 kB (stored in chunks): BITOP of two of them gives what
 * the same operation gives here, BITCOUNT and BITPOS agree with a count
 * done here, and all of it survives a clean restart and a SIGKILL.
 */
START_TEST(test_big_bitmaps)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	unsigned char *a = malloc(BIG_BYTES),
			   *b = malloc(BIG_BYTES / 2),
			   *and = calloc(1, BIG_BYTES),
			   *xor = malloc(BIG_BYTES);

	srandom(7);
	for (size_t i = 0; i < BIG_BYTES; i++)
		a[i] = (unsigned char) random();
	for (size_t i = 0; i < BIG_BYTES / 2; i++)
		b[i] = (unsigned char) random();
	for (size_t i = 0; i < BIG_BYTES; i++)
	{
		and[i] = i < BIG_BYTES / 2 ? a[i] & b[i] : 0;
		xor[i] = i < BIG_BYTES / 2 ? a[i] ^ b[i] : a[i];
	}
	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	freeReplyObject(HarnessCommandOk(c, "SET a %b", a, (size_t) BIG_BYTES));
	freeReplyObject(HarnessCommandOk(c, "SET b %b", b, (size_t) (BIG_BYTES / 2)));
	HarnessExpectInt(c, BIG_BYTES, "BITOP AND and a b");
	HarnessExpectInt(c, BIG_BYTES, "BITOP XOR xor a b");
	r = HarnessCommandOk(c, "GET and");
	ck_assert_uint_eq(r->len, BIG_BYTES);
	ck_assert(memcmp(r->str, and, BIG_BYTES) == 0);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "GET xor");
	ck_assert(r->len == BIG_BYTES && memcmp(r->str, xor, BIG_BYTES) == 0);
	freeReplyObject(r);
	HarnessExpectInt(c, popcount_buf(a, BIG_BYTES), "BITCOUNT a");
	HarnessExpectInt(c, popcount_buf(a + 1000, 50000), "BITCOUNT a 1000 50999");
	HarnessExpectInt(c, BIG_BYTES / 2 * 8, "BITPOS and 0 %d", BIG_BYTES / 2);
	HarnessExpectInt(c, -1, "BITPOS and 1 %d", BIG_BYTES / 2);

	/* one bit far out in a new key: 1 MB of zeros and a single 1 */
	HarnessExpectInt(c, 0, "SETBIT far 8000000 1");
	HarnessExpectInt(c, 1000001, "STRLEN far");
	HarnessExpectInt(c, 0, "SETBIT far 12 1");
	redisFree(c);

	ck_assert_int_eq(HarnessStop(&s), 0);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, popcount_buf(xor, BIG_BYTES), "BITCOUNT xor");
	HarnessExpectInt(c, 8000000, "BITPOS far 1 2");
	HarnessExpectInt(c, 1, "SETBIT far 8000000 0");
	HarnessExpectInt(c, 0, "SETBIT far 7999999 1");
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 7999999, "BITPOS far 1 2");
	HarnessExpectInt(c, 2, "BITCOUNT far");
	HarnessExpectInt(c, popcount_buf(and, BIG_BYTES), "BITCOUNT and");
	redisFree(c);
	HarnessStopOk(&s);
	free(a);
	free(b);
	free(and);
	free(xor);
}
END_TEST

#define HLL_ELEMENTS 3000

/* Client i adds its elements to the shared HyperLogLog and to its own. */
static void
pfadd_client(redisContext *w, int i)
{
	char		own[32],
				elems[10][32];
	const char *argv[12];

	snprintf(own, sizeof(own), "own:%d", i);
	for (int k = 0; k < HLL_ELEMENTS; k += 10)
	{
		argv[0] = "PFADD";
		for (int j = 0; j < 10; j++)
		{
			snprintf(elems[j], sizeof(elems[j]), "c%d:e%d", i, k + j);
			argv[2 + j] = elems[j];
		}
		for (int pass = 0; pass < 2; pass++)
		{
			redisReply *r;

			argv[1] = pass == 0 ? "shared" : own;
			r = redisCommandArgv(w, 12, argv, NULL);
			if (r == NULL || r->type != REDIS_REPLY_INTEGER)
				_exit(3);
			freeReplyObject(r);
		}
	}
}

/*
 * PFADDs into one key from 4 clients lose no register: the shared
 * HyperLogLog ends with exactly the registers of the union of the four
 * clients' own ones, and keeps them across a SIGKILL.
 */
START_TEST(test_hll_concurrent)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[CLIENTS];
	redisReply *a,
			   *b;
	long long	count;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < CLIENTS; i++)
		pids[i] = HarnessSpawnClient(s.port, pfadd_client, i);
	HarnessWaitClients(pids, CLIENTS);
	count = HarnessGetInt(c, "PFCOUNT shared");
	HarnessExpectInt(c, count, "PFCOUNT own:0 own:1 own:2 own:3");
	/* within 3% of the truth (the standard error is 0.81%) */
	ck_assert_int_gt(count, CLIENTS * HLL_ELEMENTS * 97 / 100);
	ck_assert_int_lt(count, CLIENTS * HLL_ELEMENTS * 103 / 100);
	HarnessExpectStatus(c, "OK", "PFMERGE union own:0 own:1 own:2 own:3");
	redisFree(c);
	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	a = HarnessCommandOk(c, "PFDEBUG GETREG shared");
	b = HarnessCommandOk(c, "PFDEBUG GETREG union");
	ck_assert_uint_eq(a->elements, 16384);
	ck_assert_uint_eq(b->elements, 16384);
	for (size_t i = 0; i < a->elements; i++)
		ck_assert_msg(a->element[i]->integer == b->element[i]->integer,
					  "register %zu: %lld in the shared HyperLogLog, %lld in the union",
					  i, a->element[i]->integer, b->element[i]->integer);
	freeReplyObject(a);
	freeReplyObject(b);
	HarnessExpectInt(c, count, "PFCOUNT shared");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
bitmap_suite(void)
{
	Suite	   *su = suite_create("bitmap");
	TCase	   *tc = tcase_create("bitmap");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_big_bitmaps);
	tcase_add_test(tc, test_hll_concurrent);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(bitmap_suite());
}
