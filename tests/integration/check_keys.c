/*
 * check_keys.c
 *	  Integration tests of the generic key and expiry commands against a
 *	  real tusk-server: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY
 *	  MOVE KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB OBJECT, EXPIRE
 *	  and friends, LCS, TTLs across a restart, and the checkpointer's sweep.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h) in a
 *	  temp dir on a free port and stops it by pid. Expected replies are
 *	  redis-server 7.0.15's for the same input. Nothing asserts how fast
 *	  anything is: expiry tests only check that a key is gone after waiting
 *	  longer than its TTL, and polls have generous limits.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define WAIT_SECONDS 30

/* ---------------------------------------------------------------- helpers */

static void
start(TuskServer *s)
{
	ck_assert_msg(HarnessStart(s, NULL, false), "could not start %s", HarnessServerPath());
}

static void
stop_ok(TuskServer *s)
{
	int			status = HarnessStop(s);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		HarnessDumpLog(s);
		ck_abort_msg("server did not exit cleanly: status 0x%x", status);
	}
	HarnessCleanup(s);
}

static redisContext *
connect_ok(const TuskServer *s)
{
	redisContext *c = HarnessConnect(s);

	ck_assert_msg(c != NULL, "could not connect to port %d", s->port);
	return c;
}

static redisReply *
vcmd(redisContext *c, const char *fmt, va_list ap)
{
	redisReply *r = redisvCommand(c, fmt, ap);

	ck_assert_msg(r != NULL, "\"%s\": no reply: %s", fmt, c->errstr);
	return r;
}

static redisReply *
cmd(redisContext *c, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcmd(c, fmt, ap);
	va_end(ap);
	return r;
}

static void
expect_status(redisContext *c, const char *want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcmd(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == REDIS_REPLY_STATUS && strcmp(r->str, want) == 0,
				  "\"%s\": want +%s, got type %d \"%s\"", fmt, want, r->type,
				  r->str ? r->str : "");
	freeReplyObject(r);
}

static void
expect_error(redisContext *c, const char *want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcmd(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == REDIS_REPLY_ERROR && strcmp(r->str, want) == 0,
				  "\"%s\": want -%s, got type %d \"%s\"", fmt, want, r->type,
				  r->str ? r->str : "");
	freeReplyObject(r);
}

static void
expect_int(redisContext *c, long long want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcmd(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == REDIS_REPLY_INTEGER && r->integer == want,
				  "\"%s\": want :%lld, got type %d %lld \"%s\"", fmt, want, r->type,
				  r->integer, r->str ? r->str : "");
	freeReplyObject(r);
}

static long long
get_int(redisContext *c, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;
	long long	v;

	va_start(ap, fmt);
	r = vcmd(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r->type == REDIS_REPLY_INTEGER, "\"%s\": want an integer, got type %d \"%s\"",
				  fmt, r->type, r->str ? r->str : "");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* want NULL: a nil reply */
static void
expect_bulk(redisContext *c, const char *want, const char *fmt, ...)
{
	va_list		ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcmd(c, fmt, ap);
	va_end(ap);
	if (want == NULL)
		ck_assert_msg(r->type == REDIS_REPLY_NIL, "\"%s\": want nil, got type %d \"%s\"", fmt,
					  r->type, r->str ? r->str : "");
	else
		ck_assert_msg(r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0,
					  "\"%s\": want \"%s\", got type %d \"%s\"", fmt, want, r->type,
					  r->str ? r->str : "");
	freeReplyObject(r);
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_del_exists_type)
{
	TuskServer	s;
	redisContext *c;

	start(&s);
	c = connect_ok(&s);
	expect_status(c, "OK", "MSET a 1 b 2 c 3");
	expect_int(c, 3, "DBSIZE");
	expect_int(c, 3, "EXISTS a a a");
	expect_int(c, 2, "EXISTS a b nope");
	expect_int(c, 0, "EXISTS nope");
	expect_error(c, "ERR wrong number of arguments for 'exists' command", "EXISTS");
	expect_int(c, 2, "TOUCH a b nope");
	expect_status(c, "string", "TYPE a");
	expect_status(c, "none", "TYPE nope");
	expect_int(c, 1, "DEL a a");
	expect_int(c, 0, "DEL a");
	expect_int(c, 2, "UNLINK b c nope");
	expect_int(c, 0, "DBSIZE");
	expect_error(c, "ERR wrong number of arguments for 'del' command", "DEL");
	/* a key too long to store cannot exist */
	{
		char	   *big = malloc(5000);

		memset(big, 'k', 4999);
		big[4999] = '\0';
		expect_int(c, 0, "EXISTS %s", big);
		expect_int(c, 0, "DEL %s", big);
		free(big);
	}
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_rename)
{
	TuskServer	s;
	redisContext *c;
	long long	ttl;

	start(&s);
	c = connect_ok(&s);
	expect_error(c, "ERR no such key", "RENAME nope x");
	expect_error(c, "ERR no such key", "RENAMENX nope x");
	expect_status(c, "OK", "SET a v EX 1000");
	expect_status(c, "OK", "RENAME a a");
	expect_int(c, 0, "RENAMENX a a");
	ttl = get_int(c, "TTL a");
	ck_assert_msg(ttl > 900 && ttl <= 1000, "ttl %lld", ttl);
	expect_status(c, "OK", "RENAME a b");
	expect_int(c, 0, "EXISTS a");
	expect_bulk(c, "v", "GET b");
	ttl = get_int(c, "TTL b");
	ck_assert_msg(ttl > 900 && ttl <= 1000, "TTL kept by RENAME: %lld", ttl);
	expect_status(c, "OK", "SET c other");
	expect_int(c, 0, "RENAMENX b c");
	expect_bulk(c, "other", "GET c");
	expect_status(c, "OK", "RENAME b c");	/* overwrites, TTL moves */
	expect_bulk(c, "v", "GET c");
	ck_assert_int_gt(get_int(c, "TTL c"), 900);
	expect_int(c, 1, "RENAMENX c d");
	expect_int(c, 0, "EXISTS c");
	expect_bulk(c, "v", "GET d");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_copy_move)
{
	TuskServer	s;
	redisContext *c;

	start(&s);
	c = connect_ok(&s);
	expect_status(c, "OK", "SET src hello PX 1000000");
	expect_error(c, "ERR source and destination objects are the same", "COPY src src");
	expect_error(c, "ERR DB index is out of range", "COPY src dst DB 16");
	expect_error(c, "ERR DB index is out of range", "COPY src dst DB -1");
	expect_error(c, "ERR value is not an integer or out of range", "COPY src dst DB x");
	expect_error(c, "ERR syntax error", "COPY src dst FOO");
	expect_error(c, "ERR syntax error", "COPY src dst DB");
	expect_int(c, 0, "COPY nope dst");
	expect_int(c, 1, "COPY src dst");
	expect_bulk(c, "hello", "GET dst");
	ck_assert_int_gt(get_int(c, "PTTL dst"), 900000);
	expect_status(c, "OK", "SET dst2 old");
	expect_int(c, 0, "COPY src dst2");
	expect_bulk(c, "old", "GET dst2");
	expect_int(c, 1, "COPY src dst2 REPLACE");
	expect_bulk(c, "hello", "GET dst2");
	expect_int(c, 1, "COPY src src DB 1");
	expect_int(c, 0, "COPY src src DB 1");
	expect_int(c, 1, "COPY src src DB 1 REPLACE");

	expect_error(c, "ERR source and destination objects are the same", "MOVE src 0");
	expect_error(c, "ERR DB index is out of range", "MOVE src 16");
	expect_error(c, "ERR value is not an integer or out of range", "MOVE src x");
	expect_int(c, 0, "MOVE nope 1");
	expect_int(c, 0, "MOVE src 1");		/* exists there already */
	expect_int(c, 1, "MOVE dst 2");
	expect_int(c, 0, "EXISTS dst");
	expect_status(c, "OK", "SELECT 2");
	expect_bulk(c, "hello", "GET dst");
	ck_assert_int_gt(get_int(c, "PTTL dst"), 900000);
	expect_status(c, "OK", "SELECT 1");
	expect_bulk(c, "hello", "GET src");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

/* SCAN over 2,000 keys returns each exactly once; KEYS agrees. */
START_TEST(test_scan_keys)
{
	TuskServer	s;
	redisContext *c;
	enum { NKEYS = 2000 };
	static int	seen[NKEYS];
	char		cursor[32] = "0";
	int			total = 0, calls = 0;
	redisReply *r;

	start(&s);
	c = connect_ok(&s);
	for (int i = 0; i < NKEYS; i++)
		redisAppendCommand(c, "SET key:%d %d", i, i);
	for (int i = 0; i < NKEYS; i++)
	{
		ck_assert_int_eq(redisGetReply(c, (void **) &r), REDIS_OK);
		freeReplyObject(r);
	}
	expect_int(c, NKEYS, "DBSIZE");
	memset(seen, 0, sizeof(seen));
	do
	{
		r = cmd(c, "SCAN %s COUNT %d", cursor, 1 + calls % 50);
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		ck_assert_int_eq(r->elements, 2);
		ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_STRING);
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++)
		{
			int			k = atoi(r->element[1]->element[i]->str + 4);

			ck_assert_int_lt(k, NKEYS);
			seen[k]++;
			total++;
		}
		freeReplyObject(r);
		calls++;
	} while (strcmp(cursor, "0") != 0);
	ck_assert_int_eq(total, NKEYS);
	for (int i = 0; i < NKEYS; i++)
		ck_assert_msg(seen[i] == 1, "key:%d seen %d times", i, seen[i]);

	r = cmd(c, "KEYS key:1??");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 100);	/* key:100 .. key:199 */
	freeReplyObject(r);
	r = cmd(c, "KEYS *");
	ck_assert_int_eq(r->elements, NKEYS);
	freeReplyObject(r);

	/* MATCH and TYPE filter; a full pass still ends at 0 */
	r = cmd(c, "SCAN 0 MATCH key:1999 COUNT 100000");
	ck_assert_str_eq(r->element[0]->str, "0");
	ck_assert_int_eq(r->element[1]->elements, 1);
	freeReplyObject(r);
	r = cmd(c, "SCAN 0 TYPE list COUNT 100000");
	ck_assert_int_eq(r->element[1]->elements, 0);
	freeReplyObject(r);
	r = cmd(c, "SCAN 0 TYPE string COUNT 100000");
	ck_assert_int_eq(r->element[1]->elements, NKEYS);
	freeReplyObject(r);

	expect_error(c, "ERR invalid cursor", "SCAN x");
	expect_error(c, "ERR invalid cursor", "SCAN 18446744073709551616");
	expect_error(c, "ERR syntax error", "SCAN 0 COUNT 0");
	expect_error(c, "ERR value is not an integer or out of range", "SCAN 0 COUNT x");
	expect_error(c, "ERR syntax error", "SCAN 0 MATCH");
	expect_error(c, "ERR syntax error", "SCAN 0 FOO bar");

	r = cmd(c, "RANDOMKEY");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(strncmp(r->str, "key:", 4) == 0, "RANDOMKEY %s", r->str);
	freeReplyObject(r);
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_flush_swapdb)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	start(&s);
	c = connect_ok(&s);
	expect_bulk(c, NULL, "RANDOMKEY");
	expect_status(c, "OK", "MSET a 0 b 0");
	expect_status(c, "OK", "SET t 0 EX 1000");
	expect_status(c, "OK", "SELECT 1");
	expect_status(c, "OK", "MSET a 1 c 1");
	expect_status(c, "OK", "SELECT 0");

	expect_error(c, "ERR invalid first DB index", "SWAPDB x 1");
	expect_error(c, "ERR invalid second DB index", "SWAPDB 0 x");
	expect_error(c, "ERR DB index is out of range", "SWAPDB 0 16");
	expect_status(c, "OK", "SWAPDB 0 0");
	expect_int(c, 3, "DBSIZE");
	expect_status(c, "OK", "SWAPDB 0 1");
	expect_int(c, 2, "DBSIZE");
	expect_bulk(c, "1", "GET a");
	expect_bulk(c, "1", "GET c");
	expect_int(c, 0, "EXISTS b t");
	expect_status(c, "OK", "SELECT 1");
	expect_int(c, 3, "DBSIZE");
	expect_bulk(c, "0", "GET a");
	ck_assert_int_gt(get_int(c, "TTL t"), 900);

	expect_error(c, "ERR syntax error", "FLUSHDB x");
	expect_error(c, "ERR syntax error", "FLUSHDB SYNC ASYNC");
	expect_error(c, "ERR syntax error", "FLUSHALL x");
	expect_status(c, "OK", "FLUSHDB ASYNC");
	expect_int(c, 0, "DBSIZE");
	expect_bulk(c, NULL, "RANDOMKEY");
	expect_status(c, "OK", "SELECT 0");
	expect_int(c, 2, "DBSIZE");
	expect_status(c, "OK", "SELECT 5");
	expect_status(c, "OK", "SET x 5");
	expect_status(c, "OK", "FLUSHALL SYNC");
	expect_int(c, 0, "DBSIZE");
	expect_status(c, "OK", "SELECT 0");
	expect_int(c, 0, "DBSIZE");
	r = cmd(c, "KEYS *");
	ck_assert_int_eq(r->elements, 0);
	freeReplyObject(r);
	/* keys come back after a flush */
	expect_status(c, "OK", "SET a again");
	expect_bulk(c, "again", "GET a");
	expect_int(c, -1, "TTL a");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_object)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	start(&s);
	c = connect_ok(&s);
	expect_status(c, "OK", "MSET i 123 n -5 big 12345678901234567890 lz 0123 sp %s", " 1");
	expect_bulk(c, "int", "OBJECT ENCODING i");
	expect_bulk(c, "int", "OBJECT ENCODING n");
	expect_bulk(c, "embstr", "OBJECT ENCODING big");
	expect_bulk(c, "embstr", "OBJECT ENCODING lz");
	expect_bulk(c, "embstr", "OBJECT ENCODING sp");
	expect_status(c, "OK", "SET e 12345678901234567890123456789012345678901234");
	expect_bulk(c, "embstr", "OBJECT ENCODING e");
	expect_status(c, "OK", "SET r 123456789012345678901234567890123456789012345x");
	expect_bulk(c, "raw", "OBJECT ENCODING r");
	expect_bulk(c, NULL, "OBJECT ENCODING nope");
	expect_int(c, 2147483647, "OBJECT REFCOUNT i");
	expect_int(c, 1, "OBJECT REFCOUNT n");
	expect_int(c, 1, "OBJECT REFCOUNT r");
	expect_bulk(c, NULL, "OBJECT REFCOUNT nope");
	expect_int(c, 0, "OBJECT IDLETIME i");
	expect_bulk(c, NULL, "OBJECT FREQ nope");
	expect_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
				 "OBJECT FREQ i");
	expect_error(c, "ERR wrong number of arguments for 'object|encoding' command",
				 "OBJECT ENCODING i x");
	expect_error(c, "ERR unknown subcommand 'foo'. Try OBJECT HELP.", "OBJECT foo");
	r = cmd(c, "OBJECT HELP");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 15);
	ck_assert_str_eq(r->element[14]->str, "    Prints this help.");
	freeReplyObject(r);
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_expire_commands)
{
	TuskServer	s;
	redisContext *c;
	long long	t, now = (long long) time(NULL);

	start(&s);
	c = connect_ok(&s);
	expect_int(c, -2, "TTL nope");
	expect_int(c, -2, "PTTL nope");
	expect_int(c, -2, "EXPIRETIME nope");
	expect_int(c, 0, "EXPIRE nope 100");
	expect_int(c, 0, "PERSIST nope");
	expect_status(c, "OK", "SET k v");
	expect_int(c, -1, "TTL k");
	expect_int(c, -1, "PEXPIRETIME k");
	expect_int(c, 0, "PERSIST k");

	expect_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible",
				 "EXPIRE k 10 NX XX");
	expect_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible",
				 "EXPIRE k 10 NX GT");
	expect_error(c, "ERR GT and LT options at the same time are not compatible",
				 "EXPIRE k 10 GT LT");
	expect_error(c, "ERR Unsupported option foo", "EXPIRE k abc foo");
	expect_error(c, "ERR value is not an integer or out of range", "EXPIRE k abc");
	expect_error(c, "ERR invalid expire time in 'expire' command", "EXPIRE k 99999999999999999");
	expect_error(c, "ERR invalid expire time in 'pexpire' command",
				 "PEXPIRE k 9223372036854775807");
	expect_error(c, "ERR invalid expire time in 'expireat' command",
				 "EXPIREAT k -9223372036854775808");

	/* no TTL: XX and GT fail, LT and NX succeed */
	expect_int(c, 0, "EXPIRE k 100 XX");
	expect_int(c, 0, "EXPIRE k 100 GT");
	expect_int(c, 1, "EXPIRE k 100 LT");
	expect_int(c, 0, "EXPIRE k 200 NX");
	expect_int(c, 0, "EXPIRE k 200 LT");
	expect_int(c, 1, "EXPIRE k 200 GT");
	expect_int(c, 1, "EXPIRE k 150 XX");
	t = get_int(c, "TTL k");
	ck_assert_msg(t > 140 && t <= 150, "ttl %lld", t);
	t = get_int(c, "PTTL k");
	ck_assert_msg(t > 140000 && t <= 150000, "pttl %lld", t);
	t = get_int(c, "EXPIRETIME k");
	ck_assert_msg(t >= now + 140 && t <= now + 160, "expiretime %lld", t);
	expect_int(c, 1, "PEXPIREAT k 4102444800000");
	expect_int(c, 4102444800000LL, "PEXPIRETIME k");
	expect_int(c, 4102444800LL, "EXPIRETIME k");
	expect_int(c, 1, "EXPIREAT k 4102444801");
	expect_int(c, 4102444801000LL, "PEXPIRETIME k");
	expect_bulk(c, "v", "GET k");
	expect_int(c, 1, "PERSIST k");
	expect_int(c, -1, "TTL k");

	/* a time in the past deletes the key and counts */
	expect_int(c, 1, "EXPIRE k -1");
	expect_int(c, 0, "EXISTS k");
	expect_status(c, "OK", "SET k v");
	expect_int(c, 1, "PEXPIREAT k 1");
	expect_int(c, -2, "TTL k");
	expect_status(c, "OK", "SET k v");
	expect_int(c, 1, "EXPIREAT k 0 NX");
	expect_int(c, 0, "EXISTS k");

	/* expiry by time */
	expect_status(c, "OK", "SET short v PX 100");
	expect_int(c, 1, "EXISTS short");
	usleep(200 * 1000);
	expect_int(c, 0, "EXISTS short");
	expect_bulk(c, NULL, "GET short");
	expect_int(c, -2, "PTTL short");
	expect_status(c, "OK", "SET short2 v");
	expect_int(c, 1, "PEXPIRE short2 100");
	usleep(200 * 1000);
	expect_int(c, 0, "EXISTS short2");
	expect_int(c, 0, "DBSIZE");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

/* The checkpointer's sweep deletes expired keys nobody reads. */
START_TEST(test_sweep)
{
	TuskServer	s;
	redisContext *c;
	time_t		deadline;
	bool		gone = false;

	start(&s);
	c = connect_ok(&s);
	for (int i = 0; i < 100; i++)
		freeReplyObject(cmd(c, "SET sweep:%d v PX 50", i));
	expect_status(c, "OK", "SET keep v");
	usleep(100 * 1000);
	/*
	 * Invisible at once; whether the versions were deleted shows only as
	 * the sweep not failing, so this checks the server stays healthy while
	 * it runs and the live key survives.
	 */
	deadline = time(NULL) + 3;
	while (time(NULL) <= deadline && !gone)
	{
		gone = get_int(c, "DBSIZE") == 1;
		usleep(100 * 1000);
	}
	ck_assert(gone);
	sleep(2);
	expect_bulk(c, "v", "GET keep");
	expect_int(c, 1, "DBSIZE");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

/* TTLs and keys survive a clean restart on the same directory. */
START_TEST(test_restart_keeps_ttl)
{
	TuskServer	s;
	redisContext *c;
	const char *args[8];
	char		port[16];
	time_t		deadline;
	long long	t;

	start(&s);
	c = connect_ok(&s);
	expect_status(c, "OK", "SET a 1 EX 1000");
	expect_status(c, "OK", "SET b 2");
	expect_int(c, 1, "PEXPIREAT b 4102444800000");
	expect_status(c, "OK", "SET c 3");
	expect_int(c, 1, "MOVE c 3");
	expect_status(c, "OK", "SET gone 1 PX 100");
	redisFree(c);
	ck_assert_int_eq(HarnessStop(&s), 0);

	s.port = HarnessFreePort();
	snprintf(port, sizeof(port), "%d", s.port);
	args[0] = HarnessServerPath();
	args[1] = "--port";
	args[2] = port;
	args[3] = "--bind";
	args[4] = "127.0.0.1";
	args[5] = "--dir";
	args[6] = s.dir;
	args[7] = NULL;
	s.pid = HarnessSpawn(args, s.log_path);
	ck_assert_int_gt(s.pid, 0);
	c = NULL;
	deadline = time(NULL) + WAIT_SECONDS;
	while (c == NULL && time(NULL) <= deadline)
	{
		redisReply *r;

		c = HarnessConnect(&s);
		if (c == NULL)
		{
			usleep(50 * 1000);
			continue;
		}
		r = redisCommand(c, "PING");
		if (r == NULL || r->type != REDIS_REPLY_STATUS)
		{
			redisFree(c);
			c = NULL;
			usleep(50 * 1000);
		}
		if (r)
			freeReplyObject(r);
	}
	ck_assert_msg(c != NULL, "restarted server did not answer");
	expect_bulk(c, "1", "GET a");
	t = get_int(c, "TTL a");
	ck_assert_msg(t > 900 && t <= 1000, "ttl after restart %lld", t);
	expect_int(c, 4102444800000LL, "PEXPIRETIME b");
	expect_int(c, 0, "EXISTS c gone");
	expect_status(c, "OK", "SELECT 3");
	expect_bulk(c, "3", "GET c");
	expect_int(c, -1, "TTL c");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

/* Values stored as chunks (over 4000 bytes) survive every key command. */
START_TEST(test_large_values)
{
	TuskServer	s;
	redisContext *c;
	size_t		len = 300000;
	char	   *v = malloc(len + 1);
	redisReply *r;

	for (size_t i = 0; i < len; i++)
		v[i] = (char) ('a' + (i * 7) % 26);
	v[len] = '\0';
	start(&s);
	c = connect_ok(&s);
	expect_status(c, "OK", "SET big %b", v, len);
	expect_int(c, 1, "EXPIRE big 1000");
	expect_bulk(c, v, "GET big");
	expect_bulk(c, "raw", "OBJECT ENCODING big");
	expect_status(c, "OK", "RENAME big big2");
	expect_int(c, 1, "COPY big2 big3");
	expect_int(c, 1, "COPY big2 big3 DB 4");
	expect_int(c, 1, "MOVE big2 5");
	expect_int(c, 1, "PERSIST big3");
	expect_bulk(c, v, "GET big3");
	expect_int(c, -1, "TTL big3");
	expect_status(c, "OK", "SWAPDB 0 5");
	expect_bulk(c, v, "GET big2");
	ck_assert_int_gt(get_int(c, "TTL big2"), 900);
	expect_int(c, 1, "PEXPIRE big2 1");
	usleep(50 * 1000);
	expect_int(c, 0, "EXISTS big2");
	expect_status(c, "OK", "SELECT 4");
	expect_bulk(c, v, "GET big3");
	expect_status(c, "OK", "FLUSHDB");
	expect_int(c, 0, "DBSIZE");
	expect_status(c, "OK", "SELECT 5");
	expect_bulk(c, v, "GET big3");
	r = cmd(c, "KEYS *");
	ck_assert_int_eq(r->elements, 1);
	freeReplyObject(r);
	free(v);
	redisFree(c);
	stop_ok(&s);
}
END_TEST

/* LCS (server/cmd_lcs.c): Redis's documentation example. */
START_TEST(test_lcs)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	start(&s);
	c = connect_ok(&s);
	expect_status(c, "OK", "MSET key1 ohmytext key2 mynewtext");
	expect_bulk(c, "mytext", "LCS key1 key2");
	expect_int(c, 6, "LCS key1 key2 LEN");
	expect_bulk(c, "", "LCS key1 nope");
	r = cmd(c, "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 4);
	ck_assert_str_eq(r->element[0]->str, "matches");
	ck_assert_int_eq(r->element[1]->elements, 1);
	ck_assert_int_eq(r->element[1]->element[0]->element[0]->element[0]->integer, 4);
	ck_assert_int_eq(r->element[1]->element[0]->element[0]->element[1]->integer, 7);
	ck_assert_int_eq(r->element[1]->element[0]->element[2]->integer, 4);
	ck_assert_int_eq(r->element[3]->integer, 6);
	freeReplyObject(r);
	expect_error(c, "ERR If you want both the length and indexes, please just use IDX.",
				 "LCS key1 key2 LEN IDX");
	expect_error(c, "ERR syntax error", "LCS key1 key2 FOO");
	redisFree(c);
	stop_ok(&s);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite	   *su = suite_create("keys");
	TCase	   *tc = tcase_create("keys");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_del_exists_type);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_copy_move);
	tcase_add_test(tc, test_scan_keys);
	tcase_add_test(tc, test_flush_swapdb);
	tcase_add_test(tc, test_object);
	tcase_add_test(tc, test_expire_commands);
	tcase_add_test(tc, test_large_values);
	tcase_add_test(tc, test_lcs);
	tcase_add_test(tc, test_sweep);
	tcase_add_test(tc, test_restart_keeps_ttl);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner    *sr;
	int			failed;

	if (access(HarnessServerPath(), X_OK) != 0)
	{
		fprintf(stderr, "tusk-server not found at %s (set TUSK_SERVER)\n", HarnessServerPath());
		return EXIT_FAILURE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!HarnessBeginRun())
		return EXIT_FAILURE;
	sr = srunner_create(keys_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	HarnessEndRun();
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
