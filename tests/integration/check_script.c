/*
 * check_script.c
 *	  Integration tests of Lua scripting (EVAL, EVALSHA, SCRIPT) against a
 *	  real tusk-server: a script is atomic for concurrent writers and for
 *	  readers, whether it declared its keys or not; the script cache is
 *	  shared by every connection, SCRIPT FLUSH included; a script that
 *	  fails half way keeps what it wrote before, as in Redis; a script's
 *	  writes survive a SIGKILL whole or not at all.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h). The
 *	  concurrent tests fork client processes; the crash test kills the
 *	  server while a child runs scripts, and prints its seed
 *	  (TUSK_TEST_SEED replays it). The replies and error texts themselves
 *	  are compared with redis-server by redis-compat/seq/scripting.txt.
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

#define ROUNDS 300

/*
 * Read, add one, write back (no INCR): two copies interleaving would lose
 * an update. Then two more keys that a reader must always see equal.
 */
static const char counter_script[] =
	"local v = tonumber(redis.call('get', KEYS[1]) or '0') "
	"redis.call('set', KEYS[1], v + 1) "
	"redis.call('incr', KEYS[2]) "
	"redis.call('incr', KEYS[3]) "
	"return v + 1";

/* The same on keys it does not declare: it must run again, all locked. */
static const char undeclared_script[] =
	"local v = tonumber(redis.call('get', 'u') or '0') "
	"redis.call('set', 'u', v + 1) "
	"redis.call('incr', 'u1') "
	"redis.call('incr', 'u2') "
	"return v + 1";

/* Compare and set: ARGV[2] if the key holds ARGV[1]. */
static const char cas_script[] =
	"if (redis.call('get', KEYS[1]) or '0') == ARGV[1] then "
	"redis.call('set', KEYS[1], ARGV[2]) return 1 end return 0";

static char counter_sha[41];

static void
expect_int_reply(redisReply *r)
{
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
	{
		fprintf(stderr, "script replied %s\n", r && r->type == REDIS_REPLY_ERROR ? r->str : "?");
		_exit(4);
	}
}

/* Client: the counter script, by EVAL (even index) or EVALSHA (odd). */
static void
counter_writer(redisContext *c, int index)
{
	for (int i = 0; i < ROUNDS; i++)
	{
		redisReply *r = index % 2 == 0
			? redisCommand(c, "EVAL %s 3 n a b", counter_script)
			: redisCommand(c, "EVALSHA %s 3 n a b", counter_sha);

		expect_int_reply(r);
		freeReplyObject(r);
	}
}

/* Client: the undeclared-keys script. */
static void
undeclared_writer(redisContext *c, int index)
{
	(void) index;
	for (int i = 0; i < ROUNDS / 2; i++)
	{
		redisReply *r = redisCommand(c, "EVAL %s 0", undeclared_script);

		expect_int_reply(r);
		freeReplyObject(r);
	}
}

/* Client: ROUNDS / 4 successful compare-and-sets of "cas". */
static void
cas_writer(redisContext *c, int index)
{
	(void) index;
	for (int done = 0; done < ROUNDS / 4;)
	{
		redisReply *r = redisCommand(c, "GET cas");
		long long	v;

		if (r == NULL)
			_exit(3);
		v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
		freeReplyObject(r);
		r = redisCommand(c, "EVAL %s 1 cas %lld %lld", cas_script, v, v + 1);
		expect_int_reply(r);
		done += (int) r->integer;
		freeReplyObject(r);
	}
}

/*
 * Four clients run a read-modify-write script on one key (two by EVAL,
 * two by EVALSHA of a script another connection loaded), four run
 * compare-and-set, two run a script on keys it does not declare; no
 * update is lost and a reader never sees half of a script.
 */
START_TEST(test_concurrent)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	pid_t		pids[10];
	int			checked = 0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	r = HarnessCommandOk(c, "SCRIPT LOAD %s", counter_script);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_uint_eq(r->len, 40);
	memcpy(counter_sha, r->str, 41);
	freeReplyObject(r);
	for (int i = 0; i < 10; i++)
		pids[i] = HarnessSpawnClient(s.port, i < 4 ? counter_writer : i < 8 ? cas_writer
									 : undeclared_writer, i);
	for (;;)
	{
		long long	v[5];

		r = HarnessCommandOk(c, "MGET a b u1 u2 n");
		ck_assert_uint_eq(r->elements, 5);
		for (int i = 0; i < 5; i++)
			v[i] = r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : 0;
		freeReplyObject(r);
		ck_assert_msg(v[0] == v[1], "a reader saw a = %lld, b = %lld", v[0], v[1]);
		ck_assert_msg(v[2] == v[3], "a reader saw u1 = %lld, u2 = %lld", v[2], v[3]);
		ck_assert_msg(v[4] == v[0], "a reader saw n = %lld, a = %lld", v[4], v[0]);
		checked++;
		if (v[0] == 4 * ROUNDS && v[2] == ROUNDS)
			break;
	}
	HarnessWaitClients(pids, 10);
	HarnessExpectBulk(c, "1200", "GET n");
	HarnessExpectBulk(c, "1200", "GET a");
	HarnessExpectBulk(c, "300", "GET cas");
	HarnessExpectBulk(c, "300", "GET u");
	HarnessExpectBulk(c, "300", "GET u2");
	ck_assert_int_gt(checked, 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A script that named an undeclared key after a write runs again from the
 * start: the first run's write must not stay (it would count twice).
 */
START_TEST(test_undeclared_rerun)
{
	TuskServer	s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, 6, "EVAL %s 1 k",
					 "redis.call('incr', KEYS[1]) redis.call('incr', 'other') "
					 "return redis.call('incrby', KEYS[1], 5)");
	HarnessExpectBulk(c, "6", "GET k");
	HarnessExpectBulk(c, "1", "GET other");
	/* a pcall'd call on an undeclared key cannot hide it */
	HarnessExpectInt(c, 7, "EVAL %s 1 k",
					 "redis.call('incr', KEYS[1]) pcall(redis.call, 'incr', 'other') "
					 "return tonumber(redis.call('get', KEYS[1]))");
	HarnessExpectBulk(c, "2", "GET other");
	/* another database */
	HarnessExpectBulk(c, "x", "EVAL %s 1 k",
					  "redis.call('incr', KEYS[1]) redis.call('select', 5) "
					  "redis.call('set', 'in5', 'x') return redis.call('get', 'in5')");
	HarnessExpectBulk(c, "8", "GET k");
	HarnessExpectType(c, REDIS_REPLY_NIL, "GET in5");
	OK(c, "SELECT 5");
	HarnessExpectBulk(c, "x", "GET in5");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* The cache is the server's: LOAD here, EVALSHA there, FLUSH anywhere. */
START_TEST(test_cache_shared)
{
	TuskServer	s;
	redisContext *c1, *c2, *c3;
	redisReply *r;
	char		sha[41];

	HarnessStartOk(&s, NULL, false);
	c1 = HarnessConnectOk(&s);
	c2 = HarnessConnectOk(&s);
	r = HarnessCommandOk(c1, "SCRIPT LOAD %s", "return 'loaded'");
	ck_assert_str_eq(r->str, "b534286061d4b9e4026607613b95c06c06015ae8");
	memcpy(sha, r->str, 41);
	freeReplyObject(r);
	HarnessExpectBulk(c2, "loaded", "EVALSHA %s 0", sha);
	HarnessExpectBulk(c1, "loaded", "EVALSHA %s 0", sha);
	/* EVAL caches too */
	HarnessExpectBulk(c2, "evald", "EVAL %s 0", "return 'evald'");
	HarnessExpectBulk(c1, "evald", "EVALSHA 4f28a625ea3dd0ec091ce5d66a4176cbba59fb5f 0");
	ck_assert_int_eq(HarnessInfoInt(c1, "memory", "number_of_cached_scripts"), 2);
	ck_assert_int_gt(HarnessInfoInt(c1, "memory", "used_memory_lua"), 0);
	/* a flush by c2 reaches c1, which had compiled both */
	OK(c2, "SCRIPT FLUSH");
	HarnessExpectError(c1, "NOSCRIPT No matching script. Please use EVAL.", "EVALSHA %s 0", sha);
	HarnessExpectError(c1, "NOSCRIPT No matching script. Please use EVAL.",
					   "EVALSHA 4f28a625ea3dd0ec091ce5d66a4176cbba59fb5f 0");
	r = HarnessCommandOk(c1, "SCRIPT EXISTS %s", sha);
	ck_assert_int_eq(r->element[0]->integer, 0);
	freeReplyObject(r);
	ck_assert_int_eq(HarnessInfoInt(c2, "memory", "number_of_cached_scripts"), 0);
	/* a new connection after the flush, and a script loaded again */
	c3 = HarnessConnectOk(&s);
	HarnessExpectError(c3, "NOSCRIPT No matching script. Please use EVAL.", "EVALSHA %s 0", sha);
	r = HarnessCommandOk(c3, "SCRIPT LOAD %s", "return 'loaded'");
	freeReplyObject(r);
	HarnessExpectBulk(c1, "loaded", "EVALSHA %s 0", sha);
	redisFree(c3);
	redisFree(c2);
	redisFree(c1);
	HarnessStopOk(&s);
}
END_TEST

/*
 * Redis has no rollback: a script that fails half way keeps the writes it
 * made before the error, and the error is Redis's text.
 */
START_TEST(test_error_halfway)
{
	TuskServer	s;
	redisContext *c, *o;
	const char *script = "redis.call('set', KEYS[1], 'x') redis.call('incr', KEYS[2]) "
		"redis.call('set', KEYS[3], 'y')";
	char		sha[41];
	char		want[256];
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	o = HarnessConnectOk(&s);
	OK(c, "SET notint abc");
	r = HarnessCommandOk(c, "SCRIPT LOAD %s", script);
	memcpy(sha, r->str, 41);
	freeReplyObject(r);
	snprintf(want, sizeof(want), "ERR value is not an integer or out of range script: %s, "
			 "on @user_script:1.", sha);
	HarnessExpectError(c, want, "EVAL %s 3 first notint third", script);
	HarnessExpectBulk(o, "x", "GET first");
	HarnessExpectBulk(o, "abc", "GET notint");
	HarnessExpectType(o, REDIS_REPLY_NIL, "GET third");
	/* the same by EVALSHA, then a Lua error after a write */
	HarnessExpectInt(c, 1, "DEL first");
	HarnessExpectError(c, want, "EVALSHA %s 3 first notint third", sha);
	HarnessExpectBulk(o, "x", "GET first");
	r = HarnessCommandOk(c, "EVAL %s 1 late", "redis.call('set', KEYS[1], 'kept') error('late')");
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "ERR user_script:1: late script: ", 32) == 0, "%s", r->str);
	freeReplyObject(r);
	HarnessExpectBulk(o, "kept", "GET late");
	/* a refused command changes nothing and the script goes on with pcall */
	HarnessExpectInt(c, 2, "EVAL %s 1 p",
					 "redis.pcall('lpush', 'notint', 'x') redis.call('set', KEYS[1], 'after') "
					 "return 2");
	HarnessExpectBulk(o, "abc", "GET notint");
	HarnessExpectBulk(o, "after", "GET p");
	redisFree(o);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A script that never ends is stopped by CLIENT KILL (and by a shutdown):
 * what it wrote is not applied and its key locks are released, even when
 * it tries to catch its end with pcall or xpcall.
 */
START_TEST(test_kill_loop)
{
	TuskServer	s;
	redisContext *c, *o;
	redisReply *r;
	char		id[32] = "";
	int			done = 0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	o = HarnessConnectOk(&s);
	redisAppendCommand(c, "EVAL %s 1 loopk",
					   "redis.call('set', KEYS[1], 'x') "
					   "while true do pcall(function() while true do end end) end");
	ck_assert_int_eq(redisBufferWrite(c, &done), REDIS_OK);
	for (int tries = 0; tries < 100 && id[0] == '\0'; tries++)
	{
		char	   *line;

		r = HarnessCommandOk(o, "CLIENT LIST");
		for (line = strtok(r->str, "\n"); line; line = strtok(NULL, "\n"))
			if (strstr(line, " cmd=eval ") != NULL)
				ck_assert(HarnessClientField(line, "id", id, sizeof(id)));
		freeReplyObject(r);
		if (id[0] == '\0')
			usleep(20 * 1000);
	}
	ck_assert_msg(id[0] != '\0', "no client runs EVAL");
	HarnessExpectInt(o, 1, "CLIENT KILL ID %s", id);
	ck_assert_int_eq(redisGetReply(c, (void **) &r), REDIS_OK);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "ERR Script killed: the connection is closing (CLIENT KILL or shutdown)");
	freeReplyObject(r);
	redisFree(c);
	/* the lock is free and the write was not applied */
	HarnessExpectType(o, REDIS_REPLY_NIL, "GET loopk");
	OK(o, "SET loopk y");
	/* a shutdown stops a looping script too */
	c = HarnessConnectOk(&s);
	redisAppendCommand(c, "EVAL %s 0",
					   "while true do xpcall(function() while true do end end, "
					   "function(e) return e end) end");
	ck_assert_int_eq(redisBufferWrite(c, &done), REDIS_OK);
	usleep(100 * 1000);
	redisFree(o);
	HarnessStopOk(&s);
	redisFree(c);
}
END_TEST

/*
 * Error statistics as redis-server 7.0 keeps them (its numbers for this
 * sequence): a failed redis.call counts once, for the command, not again
 * when the script ends with its error; errors the script makes count
 * for EVAL; EVAL counts as failed either way.
 */
START_TEST(test_error_stats)
{
	TuskServer	s;
	redisContext *c;
	char	   *info;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	OK(c, "SET s abc");
	OK(c, "CONFIG RESETSTAT");
	freeReplyObject(HarnessCommandOk(c, "EVAL %s 0", "return redis.call('incr', 's')"));
	freeReplyObject(HarnessCommandOk(c, "EVAL %s 0", "return redis.pcall('incr', 's')"));
	freeReplyObject(HarnessCommandOk(c, "EVAL %s 0", "error('x')"));
	freeReplyObject(HarnessCommandOk(c, "EVAL %s 0", "return redis.pcall('lpush', 's', 'x')"));
	freeReplyObject(HarnessCommandOk(c, "EVAL %s 0", "return {err = 'BUSY x'}"));
	freeReplyObject(HarnessCommandOk(c, "EVAL %s 0", "local e = redis.pcall('incr', 's') error(e)"));
	info = HarnessInfo(c, "errorstats");
	ck_assert_str_eq(HarnessInfoField(info, "errorstat_ERR"), "count=4");
	ck_assert_str_eq(HarnessInfoField(info, "errorstat_WRONGTYPE"), "count=1");
	ck_assert_str_eq(HarnessInfoField(info, "errorstat_BUSY"), "count=1");
	free(info);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "total_error_replies"), 6);
	info = HarnessInfo(c, "commandstats");
	ck_assert_msg(strstr(info, "cmdstat_eval:calls=6,") != NULL &&
				  strstr(info, "rejected_calls=0,failed_calls=6") != NULL, "%s", info);
	ck_assert_msg(strstr(info, "cmdstat_incr:calls=3,") != NULL, "%s", info);
	free(info);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static int	acked_fd;			/* crash_writer reports to the test here */

/* Client: script i sets a<i> and b<i>; writes i once it answered. */
static void
crash_writer(redisContext *c, int index)
{
	(void) index;
	for (int i = 0;; i++)
	{
		redisReply *r = redisCommand(c, "EVAL %s 2 a%d b%d %d",
									 "redis.call('set', KEYS[1], ARGV[1]) "
									 "redis.call('set', KEYS[2], ARGV[1]) return 1", i, i, i);

		if (r == NULL)
			_exit(0);			/* the server is gone */
		if (r->type == REDIS_REPLY_INTEGER && write(acked_fd, &i, sizeof(i)) != sizeof(i))
			_exit(5);
		freeReplyObject(r);
	}
}

/* SIGKILL under scripts: every acknowledged one whole, none in part. */
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
	for (int round = 0; round < 2; round++)
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

			ck_assert_msg(a->type == b->type, "script %d applied in part", i);
			if (i <= last_acked)
				ck_assert_msg(a->type == REDIS_REPLY_STRING, "acknowledged script %d lost", i);
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
script_suite(void)
{
	Suite	   *su = suite_create("script");
	TCase	   *tc = tcase_create("script");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_undeclared_rerun);
	tcase_add_test(tc, test_cache_shared);
	tcase_add_test(tc, test_error_halfway);
	tcase_add_test(tc, test_kill_loop);
	tcase_add_test(tc, test_error_stats);
	tcase_add_test(tc, test_crash_atomic);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(script_suite());
}
