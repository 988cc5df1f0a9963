/*
 * check_multi.c
 *	  Integration tests of MULTI, EXEC, DISCARD, WATCH and UNWATCH against a
 *	  real tusk-server: the replies and errors (redis-server 7.0's), that a
 *	  transaction is atomic for readers and for concurrent writers, that
 *	  WATCH makes EXEC fail when a watched key changed, and that an EXEC
 *	  survives a SIGKILL whole or not at all.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h). The
 *	  concurrent tests fork client processes; the crash test kills the
 *	  server while a child runs transactions, and prints its seed
 *	  (TUSK_TEST_SEED replays it).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define OK(c, ...) HarnessExpectStatus(c, "OK", __VA_ARGS__)
#define QUEUED(c, ...) HarnessExpectStatus(c, "QUEUED", __VA_ARGS__)

/* EXEC's reply: an array of n elements (the caller frees it). */
static redisReply *
exec_ok(redisContext *c, size_t n)
{
	redisReply *r = HarnessCommandOk(c, "EXEC");

	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "EXEC replied type %d (%s)", r->type,
				  r->type == REDIS_REPLY_ERROR ? r->str : "");
	ck_assert_uint_eq(r->elements, n);
	return r;
}

/* Queueing, EXEC's array, DISCARD, and the errors of misuse. */
START_TEST(test_replies)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectError(c, "ERR EXEC without MULTI", "EXEC");
	HarnessExpectError(c, "ERR DISCARD without MULTI", "DISCARD");
	OK(c, "MULTI");
	HarnessExpectError(c, "ERR MULTI calls can not be nested", "MULTI");
	HarnessExpectError(c, "ERR WATCH inside MULTI is not allowed", "WATCH a");
	QUEUED(c, "SET s abc");
	QUEUED(c, "INCR s");
	QUEUED(c, "GET s");
	QUEUED(c, "MSET m1 1 m2 2");
	QUEUED(c, "MGET m1 m2 nope");
	/* nothing is applied before EXEC */
	{
		redisContext *o = HarnessConnectOk(&s);

		HarnessExpectType(o, REDIS_REPLY_NIL, "GET s");
		redisFree(o);
	}
	r = exec_ok(c, 5);
	ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_STATUS);
	ck_assert_int_eq(r->element[1]->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->element[1]->str, "ERR value is not an integer or out of range");
	ck_assert_str_eq(r->element[2]->str, "abc");
	ck_assert_str_eq(r->element[3]->str, "OK");
	ck_assert_uint_eq(r->element[4]->elements, 3);
	ck_assert_int_eq(r->element[4]->element[2]->type, REDIS_REPLY_NIL);
	freeReplyObject(r);

	/* CLIENT INFO run by EXEC shows the transaction (flags=x multi=N) */
	OK(c, "MULTI");
	QUEUED(c, "SET ci 1");
	QUEUED(c, "CLIENT INFO");
	r = exec_ok(c, 2);
	ck_assert_msg(strstr(r->element[1]->str, " flags=x ") != NULL &&
				  strstr(r->element[1]->str, " multi=2 ") != NULL, "%s", r->element[1]->str);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "CLIENT INFO");
	ck_assert_msg(strstr(r->str, " flags=N ") != NULL && strstr(r->str, " multi=-1 ") != NULL,
				  "%s", r->str);
	freeReplyObject(r);

	/* an empty transaction */
	OK(c, "MULTI");
	freeReplyObject(exec_ok(c, 0));

	/* DISCARD drops the queue */
	OK(c, "MULTI");
	QUEUED(c, "SET d 1");
	OK(c, "DISCARD");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET d");
	HarnessExpectError(c, "ERR DISCARD without MULTI", "DISCARD");

	/* a command refused while queueing discards the transaction at EXEC */
	OK(c, "MULTI");
	QUEUED(c, "SET q 1");
	HarnessExpectError(c, "ERR unknown command 'NOPE', with args beginning with: ", "NOPE");
	HarnessExpectError(c, "ERR wrong number of arguments for 'get' command", "GET a b");
	HarnessExpectError(c, "ERR Command not allowed inside a transaction", "SAVE");
	HarnessExpectError(c, "EXECABORT Transaction discarded because of previous errors.", "EXEC");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET q");
	HarnessExpectError(c, "ERR EXEC without MULTI", "EXEC");

	/* SELECT inside a transaction stays in force after it, as in Redis */
	OK(c, "MULTI");
	QUEUED(c, "SELECT 2");
	QUEUED(c, "SET x 1");
	QUEUED(c, "DBSIZE");
	r = exec_ok(c, 3);
	ck_assert_int_eq(r->element[2]->integer, 1);
	freeReplyObject(r);
	HarnessExpectBulk(c, "1", "GET x");
	OK(c, "SELECT 0");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET x");

	/* RESET leaves MULTI */
	OK(c, "MULTI");
	QUEUED(c, "SET r 1");
	HarnessExpectStatus(c, "RESET", "RESET");
	HarnessExpectError(c, "ERR EXEC without MULTI", "EXEC");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET r");

	/* FLUSHDB and a key command in one transaction */
	OK(c, "MULTI");
	QUEUED(c, "SET f 1");
	QUEUED(c, "FLUSHDB");
	QUEUED(c, "SET g 1");
	freeReplyObject(exec_ok(c, 3));
	HarnessExpectInt(c, 1, "DBSIZE");
	HarnessExpectInt(c, 1, "EXISTS g");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* WATCH: a change by anyone (this client too) makes EXEC reply nil. */
START_TEST(test_watch)
{
	TuskServer	s;
	redisContext *c, *o;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	o = HarnessConnectOk(&s);
	OK(c, "SET a 1");

	/* unchanged: applied */
	OK(c, "WATCH a");
	OK(c, "MULTI");
	QUEUED(c, "INCR a");
	r = exec_ok(c, 1);
	ck_assert_int_eq(r->element[0]->integer, 2);
	freeReplyObject(r);

	/* changed by another client: nil, nothing applied */
	OK(c, "WATCH a");
	OK(o, "SET a 10");
	OK(c, "MULTI");
	QUEUED(c, "INCR a");
	QUEUED(c, "SET b 1");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");
	HarnessExpectBulk(c, "10", "GET a");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET b");

	/* EXEC forgot the watch: the next transaction runs */
	OK(o, "SET a 11");
	OK(c, "MULTI");
	QUEUED(c, "INCR a");
	freeReplyObject(exec_ok(c, 1));

	/* a missing key created and deleted again meanwhile: changed, as in Redis */
	OK(c, "WATCH gone");
	OK(o, "SET gone 1");
	HarnessExpectInt(o, 1, "DEL gone");
	OK(c, "MULTI");
	QUEUED(c, "SET gone mine");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET gone");
	/* an existing key overwritten with the same value: changed too */
	OK(c, "SET same v");
	OK(c, "WATCH same");
	OK(o, "SET same v");
	OK(c, "MULTI");
	QUEUED(c, "SET same mine");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");

	/* a missing key created meanwhile; an existing one deleted; a TTL set */
	OK(c, "WATCH nokey");
	OK(o, "SET nokey 1");
	OK(c, "MULTI");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");
	OK(c, "WATCH a");
	HarnessExpectInt(o, 1, "DEL a");
	OK(c, "MULTI");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");
	OK(c, "SET e 1");
	OK(c, "WATCH e");
	HarnessExpectInt(o, 1, "EXPIRE e 100");
	OK(c, "MULTI");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");

	/* its own change between WATCH and MULTI counts too */
	OK(c, "WATCH w");
	OK(c, "SET w 1");
	OK(c, "MULTI");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");

	/* UNWATCH, DISCARD and RESET forget the watched keys */
	OK(c, "WATCH u");
	OK(o, "SET u 1");
	OK(c, "UNWATCH");
	OK(c, "MULTI");
	freeReplyObject(exec_ok(c, 0));
	OK(c, "WATCH u");
	OK(o, "SET u 2");
	OK(c, "MULTI");
	OK(c, "DISCARD");
	OK(c, "MULTI");
	freeReplyObject(exec_ok(c, 0));

	/* a key watched in another database */
	OK(c, "SELECT 3");
	OK(c, "WATCH k3");
	OK(c, "SELECT 0");
	OK(o, "SELECT 3");
	OK(o, "SET k3 1");
	OK(c, "MULTI");
	QUEUED(c, "SET zz 1");
	HarnessExpectType(c, REDIS_REPLY_NIL, "EXEC");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET zz");
	redisFree(o);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * Inside EXEC a read sees the newest commit, as its writes do, even one
 * not yet flushed (a durable read outside EXEC would show the version
 * before it). commit_delay holds another client's SET unflushed for 100 ms
 * while the transaction runs; GET and INCR must agree.
 */
START_TEST(test_reads_see_newest)
{
	const char *const args[] = {"--commit_delay", "100000", NULL};
	TuskServer	s;
	redisContext *c, *o;
	redisReply *r;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	o = HarnessConnectOk(&s);
	OK(c, "SET k 1");
	redisAppendCommand(o, "SET k 2");
	{
		int			done = 0;

		ck_assert_int_eq(redisBufferWrite(o, &done), REDIS_OK);
	}
	usleep(20 * 1000);			/* o's SET is committed, its flush waits */
	OK(c, "MULTI");
	QUEUED(c, "GET k");
	QUEUED(c, "INCR k");
	r = exec_ok(c, 2);
	ck_assert_int_eq(r->element[1]->integer, atoll(r->element[0]->str) + 1);
	freeReplyObject(r);
	ck_assert_int_eq(redisGetReply(o, (void **) &r), REDIS_OK);
	ck_assert_str_eq(r->str, "OK");
	freeReplyObject(r);
	redisFree(o);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

#define ROUNDS 400

/* Client: MULTI INCR a INCR b EXEC, ROUNDS times. */
static void
pair_writer(redisContext *c, int index)
{
	(void) index;
	for (int i = 0; i < ROUNDS; i++)
	{
		redisReply *r;

		redisAppendCommand(c, "MULTI");
		redisAppendCommand(c, "INCR a");
		redisAppendCommand(c, "INCR b");
		redisAppendCommand(c, "EXEC");
		for (int k = 0; k < 4; k++)
		{
			if (redisGetReply(c, (void **) &r) != REDIS_OK)
				_exit(3);
			if (k == 3 && (r->type != REDIS_REPLY_ARRAY || r->elements != 2))
				_exit(4);
			freeReplyObject(r);
		}
	}
}

/* Client: MSET c i d i, ROUNDS times (one command, one transaction). */
static void
mset_writer(redisContext *c, int index)
{
	(void) index;
	for (int i = 1; i <= ROUNDS; i++)
	{
		redisReply *r = redisCommand(c, "MSET c %d d %d", i, i);

		if (r == NULL || r->type != REDIS_REPLY_STATUS)
			_exit(4);
		freeReplyObject(r);
	}
}

/* Client: the optimistic-locking increment of WATCH's documentation. */
static void
cas_writer(redisContext *c, int index)
{
	(void) index;
	for (int done = 0; done < ROUNDS / 4;)
	{
		redisReply *r = redisCommand(c, "WATCH counter");
		long long	v;

		freeReplyObject(r);
		r = redisCommand(c, "GET counter");
		if (r == NULL)
			_exit(3);
		v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
		freeReplyObject(r);
		freeReplyObject(redisCommand(c, "MULTI"));
		freeReplyObject(redisCommand(c, "SET counter %lld", v + 1));
		r = redisCommand(c, "EXEC");
		if (r == NULL)
			_exit(3);
		if (r->type == REDIS_REPLY_ARRAY)
			done++;
		else if (r->type != REDIS_REPLY_NIL)
			_exit(4);
		freeReplyObject(r);
	}
}

/*
 * Readers never see half a transaction, writers' transactions do not
 * interleave, and WATCH-based increments lose no update. The MSET writer
 * is there because a durable read (synchronous_commit on) once showed
 * half of an MSET: a commit flushed while the reader was between its keys
 * was seen for the second key only (storage/visibility.c,
 * hinted_commit_seen).
 */
START_TEST(test_concurrent)
{
	TuskServer	s;
	redisContext *c;
	pid_t		pids[7];
	int			checked = 0;
	bool		mset_done = false;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < 7; i++)
		pids[i] = HarnessSpawnClient(s.port, i < 2 ? pair_writer : i < 6 ? cas_writer : mset_writer, i);
	/* meanwhile: a and b, and c and d, are always equal to a reader */
	for (;;)
	{
		redisReply *r = HarnessCommandOk(c, "MGET a b c d");
		long long	v[4];

		ck_assert_uint_eq(r->elements, 4);
		for (int i = 0; i < 4; i++)
			v[i] = r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : 0;
		freeReplyObject(r);
		ck_assert_msg(v[0] == v[1], "a reader saw a = %lld, b = %lld", v[0], v[1]);
		ck_assert_msg(v[2] == v[3], "a reader saw c = %lld, d = %lld", v[2], v[3]);
		checked++;
		mset_done = mset_done || v[2] == ROUNDS;
		if (v[0] == 2 * ROUNDS && mset_done)
			break;
	}
	HarnessWaitClients(pids, 7);
	HarnessExpectBulk(c, "800", "GET a");
	HarnessExpectBulk(c, "800", "GET b");
	HarnessExpectBulk(c, "400", "GET counter");
	ck_assert_int_gt(checked, 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static int	acked_fd;			/* crash_writer reports to the test here */

/* Client: transaction i sets a<i> and b<i>; writes i once EXEC answered. */
static void
crash_writer(redisContext *c, int index)
{
	(void) index;
	for (int i = 0;; i++)
	{
		redisReply *r;

		redisAppendCommand(c, "MULTI");
		redisAppendCommand(c, "SET a%d %d", i, i);
		redisAppendCommand(c, "SET b%d %d", i, i);
		redisAppendCommand(c, "EXEC");
		for (int k = 0; k < 4; k++)
		{
			if (redisGetReply(c, (void **) &r) != REDIS_OK)
				_exit(0);		/* the server is gone */
			if (k == 3 && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
			{
				if (write(acked_fd, &i, sizeof(i)) != sizeof(i))
					_exit(5);
			}
			freeReplyObject(r);
		}
	}
}

/* SIGKILL under transactions: every acknowledged one whole, none in part. */
START_TEST(test_crash_atomic)
{
	TuskServer	s;
	redisContext *c;
	unsigned	seed = (unsigned) time(NULL);
	const char *env = getenv("TUSK_TEST_SEED");
	int			p[2];
	pid_t		pid;
	int			last_acked = -1, v, highest_a = -1;

	if (env)
		seed = (unsigned) strtoul(env, NULL, 10);
	fprintf(stderr, "test_crash_atomic: seed %u\n", seed);
	srand(seed);
	HarnessStartOk(&s, NULL, false);
	for (int round = 0; round < 3; round++)
	{
		ck_assert_int_eq(pipe(p), 0);
		acked_fd = p[1];
		pid = HarnessSpawnClient(s.port, crash_writer, 0);
		close(p[1]);
		usleep(100 * 1000 + (useconds_t) (rand() % 300) * 1000);
		HarnessKill9(&s);
		while (read(p[0], &v, sizeof(v)) == sizeof(v))
			last_acked = v;
		close(p[0]);
		HarnessWaitClients(&pid, 1);
		ck_assert_int_ge(last_acked, 0);

		HarnessRestartOk(&s, NULL);
		c = HarnessConnectOk(&s);
		for (int i = 0; i <= last_acked + 1000; i++)
		{
			redisReply *a = HarnessCommandOk(c, "GET a%d", i);
			redisReply *b = HarnessCommandOk(c, "GET b%d", i);

			ck_assert_msg(a->type == b->type, "transaction %d applied in part", i);
			if (i <= last_acked)
				ck_assert_msg(a->type == REDIS_REPLY_STRING, "acknowledged transaction %d lost",
							  i);
			if (a->type == REDIS_REPLY_STRING)
				highest_a = i;
			freeReplyObject(a);
			freeReplyObject(b);
		}
		ck_assert_int_ge(highest_a, last_acked);
		OK(c, "FLUSHALL");
		redisFree(c);
	}
	HarnessStopOk(&s);
}
END_TEST

static Suite *
multi_suite(void)
{
	Suite	   *su = suite_create("multi");
	TCase	   *tc = tcase_create("multi");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_replies);
	tcase_add_test(tc, test_watch);
	tcase_add_test(tc, test_reads_see_newest);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_crash_atomic);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(multi_suite());
}
