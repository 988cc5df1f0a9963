/*
 * check_dbsize.c
 *	  Integration tests of the keyspace counters (issue #5) against a real
 *	  tusk-server: DBSIZE and INFO keyspace after every kind of write
 *	  (SET, SET EX/EXAT, DEL, EXPIRE, PERSIST, GETDEL, GETEX, RENAME, MOVE,
 *	  COPY, SWAPDB, FLUSHDB, FLUSHALL), expiry by the sweep and lazily,
 *	  writers on several connections (the counts equal KEYS), and the
 *	  counts after SHUTDOWN and restart, after kill -9 of the whole server
 *	  (recovery from WAL), and after SAVE, more writes and kill -9.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h); the
 *	  crash tests stop it with HarnessKill9, which kills the postmaster and
 *	  every child at once, and restart it on the same directory.
 *	  After a restart the log must not show a recount: the counters come
 *	  from the checkpoint and the WAL. Expectations follow redis-server
 *	  7.0: an expired key counts until it is deleted, and reading it
 *	  deletes it. Random parts print their seed (TUSK_TEST_SEED replays).
 */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define WAIT_SECONDS 30

/* ---------------------------------------------------------------- helpers */

/* SELECT db, then DBSIZE must be keys and INFO keyspace must agree. */
static void
expect_db(redisContext *c, int db, long long keys, long long expires)
{
	char *text;
	const char *v;
	char field[16], want[64];

	HarnessExpectStatus(c, "OK", "SELECT %d", db);
	HarnessExpectInt(c, keys, "DBSIZE");
	text = HarnessInfo(c, "keyspace");
	snprintf(field, sizeof(field), "db%d", db);
	v = HarnessInfoField(text, field);
	if (keys == 0)
		ck_assert_msg(v == NULL, "%s:%s, want no line", field, v);
	else
	{
		ck_assert_msg(v != NULL, "no %s line in INFO keyspace", field);
		snprintf(want, sizeof(want), "keys=%lld,expires=%lld,avg_ttl=", keys, expires);
		ck_assert_msg(strncmp(v, want, strlen(want)) == 0, "%s:%s, want %s...", field, v, want);
	}
	free(text);
}

/* avg_ttl of db in INFO keyspace (-1 if no line). */
static long long
avg_ttl(redisContext *c, int db)
{
	char *text = HarnessInfo(c, "keyspace");
	char field[16];
	const char *v, *p;
	long long ttl = -1;

	snprintf(field, sizeof(field), "db%d", db);
	v = HarnessInfoField(text, field);
	if (v && (p = strstr(v, "avg_ttl=")) != NULL)
		ttl = atoll(p + 8);
	free(text);
	return ttl;
}

/* Number of keys KEYS * returns in db, and how many have a TTL. */
static void
scan_db(redisContext *c, int db, long long *keys, long long *expires)
{
	redisReply *r;

	HarnessExpectStatus(c, "OK", "SELECT %d", db);
	r = HarnessCommandOk(c, "KEYS *");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	*keys = (long long) r->elements;
	*expires = 0;
	for (size_t i = 0; i < r->elements; i++)
	{
		redisReply *t =
			HarnessCommandOk(c, "PTTL %b", r->element[i]->str, (size_t) r->element[i]->len);

		ck_assert_int_eq(t->type, REDIS_REPLY_INTEGER);
		if (t->integer >= 0)
			(*expires)++;
		freeReplyObject(t);
	}
	freeReplyObject(r);
}

/* The counters of databases 0..ndb-1 equal what KEYS and PTTL see. */
static void
expect_counts_match_keys(redisContext *c, int ndb)
{
	for (int db = 0; db < ndb; db++)
	{
		long long keys, expires;

		scan_db(c, db, &keys, &expires);
		expect_db(c, db, keys, expires);
	}
}

static bool
log_contains(const TuskServer *s, const char *needle)
{
	FILE *f = fopen(s->log_path, "r");
	char line[2048];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void
expect_no_recount(const TuskServer *s)
{
	/* KsRecountAll logs "counted N keys in M databases" */
	if (log_contains(s, "counted") || log_contains(s, "counting them again"))
	{
		HarnessDumpLog(s);
		ck_abort_msg("the server counted the keyspace at start-up");
	}
}

static uint64_t
test_seed(const char *test)
{
	const char *env = getenv("TUSK_TEST_SEED");
	uint64_t seed =
		env ? strtoull(env, NULL, 0) : (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 20);

	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n", test, seed,
			seed);
	return seed;
}

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_every_write)
{
	TuskServer s;
	redisContext *c;
	long long ttl;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	expect_db(c, 0, 0, 0);

	/* SET, SET EX, overwrite, EXPIRE, PERSIST */
	HarnessExpectStatus(c, "OK", "SET a 1");
	HarnessExpectStatus(c, "OK", "SET b 2 EX 100");
	expect_db(c, 0, 2, 1);
	ttl = avg_ttl(c, 0);
	ck_assert_msg(ttl > 90000 && ttl <= 100000, "avg_ttl %lld", ttl);
	HarnessExpectStatus(c, "OK", "SET a 11");
	expect_db(c, 0, 2, 1);
	HarnessExpectInt(c, 1, "EXPIRE a 300");
	expect_db(c, 0, 2, 2);
	ttl = avg_ttl(c, 0);
	ck_assert_msg(ttl > 190000 && ttl <= 200000, "avg_ttl %lld", ttl);
	HarnessExpectInt(c, 1, "PERSIST a");
	HarnessExpectInt(c, 0, "PERSIST a");
	expect_db(c, 0, 2, 1);
	HarnessExpectStatus(c, "OK", "SET b 3"); /* SET drops the TTL */
	expect_db(c, 0, 2, 0);
	ck_assert_int_eq(avg_ttl(c, 0), 0);
	HarnessExpectInt(c, 1, "PEXPIRE b 100000");
	HarnessExpectStatus(c, "OK", "SET b 4 KEEPTTL");
	expect_db(c, 0, 2, 1);
	HarnessExpectInt(c, 0, "SETNX b 5");
	HarnessExpectStatus(c, "OK", "SETEX c 100 v");
	expect_db(c, 0, 3, 2);

	/* GETDEL, GETEX, DEL, UNLINK, INCR, APPEND, MSET */
	HarnessExpectBulk(c, "v", "GETDEL c");
	HarnessExpectBulk(c, NULL, "GETDEL c");
	expect_db(c, 0, 2, 1);
	HarnessExpectBulk(c, "11", "GETEX a EX 50");
	expect_db(c, 0, 2, 2);
	HarnessExpectBulk(c, "11", "GETEX a PERSIST");
	expect_db(c, 0, 2, 1);
	HarnessExpectInt(c, 2, "DEL a b nope");
	expect_db(c, 0, 0, 0);
	HarnessExpectInt(c, 1, "INCR n");
	HarnessExpectInt(c, 2, "APPEND s ab");
	HarnessExpectStatus(c, "OK", "MSET x 1 y 2 z 3 x 4");
	expect_db(c, 0, 5, 0);
	HarnessExpectInt(c, 2, "UNLINK n s");
	expect_db(c, 0, 3, 0);

	/* a time already past deletes (SET EXAT, EXPIRE, GETEX PXAT) */
	HarnessExpectStatus(c, "OK", "SET x v EXAT 1");
	HarnessExpectStatus(c, "OK", "SET gone v PXAT 1");
	expect_db(c, 0, 2, 0);
	HarnessExpectInt(c, 1, "EXPIRE y -1");
	HarnessExpectBulk(c, "3", "GETEX z PXAT 1");
	expect_db(c, 0, 0, 0);

	/* RENAME, RENAMENX: the TTL moves with the key, over an existing key */
	HarnessExpectStatus(c, "OK", "MSET p 1 q 2");
	HarnessExpectInt(c, 1, "EXPIRE p 100");
	HarnessExpectStatus(c, "OK", "RENAME p p2");
	expect_db(c, 0, 2, 1);
	HarnessExpectStatus(c, "OK", "RENAME p2 q");
	expect_db(c, 0, 1, 1);
	HarnessExpectStatus(c, "OK", "SET r 1");
	HarnessExpectInt(c, 0, "RENAMENX r q");
	HarnessExpectInt(c, 1, "RENAMENX r r2");
	expect_db(c, 0, 2, 1);

	/* MOVE, COPY (same and other database), SWAPDB */
	HarnessExpectInt(c, 1, "MOVE q 1");
	expect_db(c, 0, 1, 0);
	expect_db(c, 1, 1, 1);
	HarnessExpectStatus(c, "OK", "SELECT 0");
	HarnessExpectInt(c, 1, "COPY r2 r3");
	HarnessExpectInt(c, 1, "COPY r2 r4 DB 2");
	HarnessExpectInt(c, 0, "COPY r2 r3");
	HarnessExpectInt(c, 1, "COPY r2 r3 REPLACE");
	expect_db(c, 0, 2, 0);
	expect_db(c, 2, 1, 0);
	HarnessExpectStatus(c, "OK", "SELECT 1");
	HarnessExpectInt(c, 1, "COPY q q2");
	expect_db(c, 1, 2, 2);
	HarnessExpectStatus(c, "OK", "SWAPDB 0 1");
	expect_db(c, 0, 2, 2);
	expect_db(c, 1, 2, 0);
	HarnessExpectStatus(c, "OK", "SWAPDB 1 5");
	expect_db(c, 1, 0, 0);
	expect_db(c, 5, 2, 0);

	/* FLUSHDB, FLUSHALL */
	HarnessExpectStatus(c, "OK", "SELECT 5");
	HarnessExpectStatus(c, "OK", "FLUSHDB");
	expect_db(c, 5, 0, 0);
	expect_db(c, 0, 2, 2);
	expect_db(c, 2, 1, 0);
	HarnessExpectStatus(c, "OK", "FLUSHALL");
	for (int db = 0; db < 16; db++)
		expect_db(c, db, 0, 0);
	{
		char *text = HarnessInfo(c, "keyspace");

		ck_assert_str_eq(text, "# Keyspace\r\n");
		free(text);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * Expired keys count until deleted; reading or writing one deletes it
 * (lazily, as Redis does), and the sweep deletes the rest.
 */
START_TEST(test_expiry)
{
	TuskServer s;
	redisContext *c;
	time_t deadline;
	long long n = 0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);

	/* lazily: a read, a write that does not store, an overwrite */
	HarnessExpectStatus(c, "OK", "SET keep v");
	HarnessExpectStatus(c, "OK", "SET r v PX 100");
	HarnessExpectStatus(c, "OK", "SET d v PX 100");
	HarnessExpectStatus(c, "OK", "SET w v PX 100");
	HarnessExpectStatus(c, "OK", "SET t v PX 100");
	usleep(250 * 1000);
	HarnessExpectBulk(c, NULL, "GET r");
	HarnessExpectInt(c, 0, "DEL d");
	HarnessExpectInt(c, -2, "TTL t");
	HarnessExpectStatus(c, "OK", "SET w v2");
	expect_db(c, 0, 2, 0);
	ck_assert_int_ge(HarnessInfoInt(c, "stats", "expired_keys"), 3);

	/* the sweep: nobody reads these */
	for (int i = 0; i < 300; i++)
		freeReplyObject(HarnessCommandOk(c, "SET sweep:%d v PX 3000", i));
	expect_db(c, 0, 302, 300);
	usleep(3200 * 1000);
	deadline = time(NULL) + WAIT_SECONDS;
	while (time(NULL) <= deadline && (n = HarnessGetInt(c, "DBSIZE")) != 2)
		usleep(100 * 1000);
	ck_assert_msg(n == 2, "DBSIZE %lld after the sweep", n);
	expect_db(c, 0, 2, 0);
	HarnessExpectBulk(c, "v", "GET keep");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Writers on 6 connections at once: the counters equal KEYS and PTTL. */
#define WRITERS		6
#define WRITER_OPS	1500
#define WRITER_KEYS 150

static void
writer(int port, uint64_t seed)
{
	redisContext *c = HarnessConnectPort(port);
	uint64_t rng = seed;
	int db = -1;

	if (c == NULL)
		_exit(2);
	for (int i = 0; i < WRITER_OPS; i++)
	{
		uint64_t r = rng_next(&rng);
		int k = (int) ((r >> 8) % WRITER_KEYS);
		int k2 = (int) ((r >> 24) % WRITER_KEYS);
		int want_db = (int) (r % 3);
		redisReply *rep;

		if (want_db != db)
		{
			rep = redisCommand(c, "SELECT %d", want_db);
			if (rep == NULL)
				_exit(3);
			freeReplyObject(rep);
			db = want_db;
		}
		switch ((r >> 40) % 12)
		{
			case 0:
			case 1:
				rep = redisCommand(c, "SET k%d v", k);
				break;
			case 2:
				rep = redisCommand(c, "SET k%d v EX 1000", k);
				break;
			case 3:
				rep = redisCommand(c, "DEL k%d k%d", k, k2);
				break;
			case 4:
				rep = redisCommand(c, "EXPIRE k%d 2000", k);
				break;
			case 5:
				rep = redisCommand(c, "PERSIST k%d", k);
				break;
			case 6:
				rep = redisCommand(c, "RENAME k%d k%d", k, k2);
				break;
			case 7:
				rep = redisCommand(c, "INCR k%d", k);
				break;
			case 8:
				rep = redisCommand(c, "GETDEL k%d", k);
				break;
			case 9:
				rep = redisCommand(c, "MOVE k%d %d", k, (db + 1) % 3);
				break;
			case 10:
				rep = redisCommand(c, "COPY k%d k%d DB %d REPLACE", k, k2, (db + 2) % 3);
				break;
			default:
				rep = redisCommand(c, "MSET k%d a k%d b", k, k2);
				break;
		}
		if (rep == NULL)
			_exit(4);
		freeReplyObject(rep);
	}
	redisFree(c);
	_exit(0);
}

static void
run_writers(const TuskServer *s, uint64_t seed)
{
	pid_t pids[WRITERS];

	for (int i = 0; i < WRITERS; i++)
	{
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			writer(s->port, seed + (uint64_t) i * 7919);
	}
	for (int i = 0; i < WRITERS; i++)
	{
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status 0x%x", i,
					  status);
	}
}

START_TEST(test_concurrent_writers)
{
	TuskServer s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	run_writers(&s, test_seed("test_concurrent_writers"));
	c = HarnessConnectOk(&s);
	expect_counts_match_keys(c, 3);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Some keys in three databases, with and without TTLs. */
static void
fill(redisContext *c)
{
	HarnessExpectStatus(c, "OK", "SELECT 0");
	for (int i = 0; i < 200; i++)
		freeReplyObject(HarnessCommandOk(c, i % 4 ? "SET a%d v" : "SET a%d v EX 1000", i));
	HarnessExpectStatus(c, "OK", "SELECT 3");
	for (int i = 0; i < 50; i++)
		freeReplyObject(HarnessCommandOk(c, "SET b%d v PX 5000000", i));
	HarnessExpectStatus(c, "OK", "SELECT 15");
	HarnessExpectStatus(c, "OK", "SET last v");
}

/* SHUTDOWN, restart: the counts come from the shutdown checkpoint. */
START_TEST(test_shutdown_restart)
{
	TuskServer s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	fill(c);
	expect_db(c, 0, 200, 50);
	redisFree(c);
	HarnessShutdownOk(&s);

	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	expect_db(c, 0, 200, 50);
	expect_db(c, 3, 50, 50);
	expect_db(c, 15, 1, 0);
	expect_counts_match_keys(c, 4);
	expect_no_recount(&s);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* kill -9 of every server process: the counts are recovered from WAL. */
START_TEST(test_kill9_recovery)
{
	TuskServer s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	fill(c);
	HarnessExpectStatus(c, "OK", "SELECT 0");
	HarnessExpectInt(c, 10, "DEL a0 a1 a2 a3 a4 a5 a6 a7 a8 a9");
	HarnessExpectInt(c, 1, "MOVE a10 7");
	redisFree(c);
	run_writers(&s, test_seed("test_kill9_recovery"));
	HarnessKill9(&s);

	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	expect_counts_match_keys(c, 16);
	expect_db(c, 7, 1, 0);
	expect_no_recount(&s);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* SAVE, more writes, kill -9: checkpoint counters plus the WAL after it. */
START_TEST(test_checkpoint_then_kill9)
{
	TuskServer s;
	redisContext *c;
	char *text;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	fill(c);
	HarnessExpectStatus(c, "OK", "SAVE");
	HarnessExpectStatus(c, "OK", "SELECT 0");
	HarnessExpectInt(c, 4, "DEL a0 a1 a2 a3"); /* a0 had a TTL */
	HarnessExpectInt(c, 1, "PERSIST a4");
	HarnessExpectStatus(c, "OK", "SELECT 3");
	HarnessExpectStatus(c, "OK", "FLUSHDB");
	HarnessExpectStatus(c, "OK", "SET c v EX 500");
	expect_db(c, 0, 196, 48);
	expect_db(c, 3, 1, 1);
	redisFree(c);
	HarnessKill9(&s);

	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	expect_db(c, 0, 196, 48);
	expect_db(c, 3, 1, 1);
	expect_db(c, 15, 1, 0);
	expect_counts_match_keys(c, 16);
	expect_no_recount(&s);
	/* and once more, with a checkpoint from the end of that recovery */
	redisFree(c);
	HarnessKill9(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	text = HarnessInfo(c, "keyspace");
	ck_assert_ptr_nonnull(strstr(text, "db0:keys=196,expires=48,"));
	ck_assert_ptr_nonnull(strstr(text, "db3:keys=1,expires=1,"));
	free(text);
	expect_no_recount(&s);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
dbsize_suite(void)
{
	Suite *su = suite_create("dbsize");

	HarnessAddCase(su, "every_write", test_every_write, 120);
	HarnessAddCase(su, "expiry", test_expiry, 120);
	HarnessAddCase(su, "concurrent_writers", test_concurrent_writers, 300);
	HarnessAddCase(su, "shutdown_restart", test_shutdown_restart, 120);
	HarnessAddCase(su, "kill9_recovery", test_kill9_recovery, 300);
	HarnessAddCase(su, "checkpoint_then_kill9", test_checkpoint_then_kill9, 300);
	return su;
}

int
main(void)
{
	return HarnessMain(dbsize_suite());
}
