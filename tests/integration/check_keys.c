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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"


/* ---------------------------------------------------------------- tests */

START_TEST(test_del_exists_type)
{
	TuskServer	s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "MSET a 1 b 2 c 3");
	HarnessExpectInt(c, 3, "DBSIZE");
	HarnessExpectInt(c, 3, "EXISTS a a a");
	HarnessExpectInt(c, 2, "EXISTS a b nope");
	HarnessExpectInt(c, 0, "EXISTS nope");
	HarnessExpectError(c, "ERR wrong number of arguments for 'exists' command", "EXISTS");
	HarnessExpectInt(c, 2, "TOUCH a b nope");
	HarnessExpectStatus(c, "string", "TYPE a");
	HarnessExpectStatus(c, "none", "TYPE nope");
	HarnessExpectInt(c, 1, "DEL a a");
	HarnessExpectInt(c, 0, "DEL a");
	HarnessExpectInt(c, 2, "UNLINK b c nope");
	HarnessExpectInt(c, 0, "DBSIZE");
	HarnessExpectError(c, "ERR wrong number of arguments for 'del' command", "DEL");
	/* a key too long to store cannot exist */
	{
		char	   *big = malloc(5000);

		memset(big, 'k', 4999);
		big[4999] = '\0';
		HarnessExpectInt(c, 0, "EXISTS %s", big);
		HarnessExpectInt(c, 0, "DEL %s", big);
		free(big);
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_rename)
{
	TuskServer	s;
	redisContext *c;
	long long	ttl;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectError(c, "ERR no such key", "RENAME nope x");
	HarnessExpectError(c, "ERR no such key", "RENAMENX nope x");
	HarnessExpectStatus(c, "OK", "SET a v EX 1000");
	HarnessExpectStatus(c, "OK", "RENAME a a");
	HarnessExpectInt(c, 0, "RENAMENX a a");
	ttl = HarnessGetInt(c, "TTL a");
	ck_assert_msg(ttl > 900 && ttl <= 1000, "ttl %lld", ttl);
	HarnessExpectStatus(c, "OK", "RENAME a b");
	HarnessExpectInt(c, 0, "EXISTS a");
	HarnessExpectBulk(c, "v", "GET b");
	ttl = HarnessGetInt(c, "TTL b");
	ck_assert_msg(ttl > 900 && ttl <= 1000, "TTL kept by RENAME: %lld", ttl);
	HarnessExpectStatus(c, "OK", "SET c other");
	HarnessExpectInt(c, 0, "RENAMENX b c");
	HarnessExpectBulk(c, "other", "GET c");
	HarnessExpectStatus(c, "OK", "RENAME b c");	/* overwrites, TTL moves */
	HarnessExpectBulk(c, "v", "GET c");
	ck_assert_int_gt(HarnessGetInt(c, "TTL c"), 900);
	HarnessExpectInt(c, 1, "RENAMENX c d");
	HarnessExpectInt(c, 0, "EXISTS c");
	HarnessExpectBulk(c, "v", "GET d");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_copy_move)
{
	TuskServer	s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "SET src hello PX 1000000");
	HarnessExpectError(c, "ERR source and destination objects are the same", "COPY src src");
	HarnessExpectError(c, "ERR DB index is out of range", "COPY src dst DB 16");
	HarnessExpectError(c, "ERR DB index is out of range", "COPY src dst DB -1");
	HarnessExpectError(c, "ERR value is not an integer or out of range", "COPY src dst DB x");
	HarnessExpectError(c, "ERR syntax error", "COPY src dst FOO");
	HarnessExpectError(c, "ERR syntax error", "COPY src dst DB");
	HarnessExpectInt(c, 0, "COPY nope dst");
	HarnessExpectInt(c, 1, "COPY src dst");
	HarnessExpectBulk(c, "hello", "GET dst");
	ck_assert_int_gt(HarnessGetInt(c, "PTTL dst"), 900000);
	HarnessExpectStatus(c, "OK", "SET dst2 old");
	HarnessExpectInt(c, 0, "COPY src dst2");
	HarnessExpectBulk(c, "old", "GET dst2");
	HarnessExpectInt(c, 1, "COPY src dst2 REPLACE");
	HarnessExpectBulk(c, "hello", "GET dst2");
	HarnessExpectInt(c, 1, "COPY src src DB 1");
	HarnessExpectInt(c, 0, "COPY src src DB 1");
	HarnessExpectInt(c, 1, "COPY src src DB 1 REPLACE");

	HarnessExpectError(c, "ERR source and destination objects are the same", "MOVE src 0");
	HarnessExpectError(c, "ERR DB index is out of range", "MOVE src 16");
	HarnessExpectError(c, "ERR value is not an integer or out of range", "MOVE src x");
	HarnessExpectInt(c, 0, "MOVE nope 1");
	HarnessExpectInt(c, 0, "MOVE src 1");	/* exists there already */
	HarnessExpectInt(c, 1, "MOVE dst 2");
	HarnessExpectInt(c, 0, "EXISTS dst");
	HarnessExpectStatus(c, "OK", "SELECT 2");
	HarnessExpectBulk(c, "hello", "GET dst");
	ck_assert_int_gt(HarnessGetInt(c, "PTTL dst"), 900000);
	HarnessExpectStatus(c, "OK", "SELECT 1");
	HarnessExpectBulk(c, "hello", "GET src");
	redisFree(c);
	HarnessStopOk(&s);
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

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < NKEYS; i++)
		redisAppendCommand(c, "SET key:%d %d", i, i);
	for (int i = 0; i < NKEYS; i++)
	{
		ck_assert_int_eq(redisGetReply(c, (void **) &r), REDIS_OK);
		freeReplyObject(r);
	}
	HarnessExpectInt(c, NKEYS, "DBSIZE");
	memset(seen, 0, sizeof(seen));
	do
	{
		r = HarnessCommandOk(c, "SCAN %s COUNT %d", cursor, 1 + calls % 50);
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

	r = HarnessCommandOk(c, "KEYS key:1??");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 100);	/* key:100 .. key:199 */
	freeReplyObject(r);
	r = HarnessCommandOk(c, "KEYS *");
	ck_assert_int_eq(r->elements, NKEYS);
	freeReplyObject(r);

	/* MATCH and TYPE filter; a full pass still ends at 0 */
	r = HarnessCommandOk(c, "SCAN 0 MATCH key:1999 COUNT 100000");
	ck_assert_str_eq(r->element[0]->str, "0");
	ck_assert_int_eq(r->element[1]->elements, 1);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "SCAN 0 TYPE list COUNT 100000");
	ck_assert_int_eq(r->element[1]->elements, 0);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "SCAN 0 TYPE string COUNT 100000");
	ck_assert_int_eq(r->element[1]->elements, NKEYS);
	freeReplyObject(r);

	HarnessExpectError(c, "ERR invalid cursor", "SCAN x");
	HarnessExpectError(c, "ERR invalid cursor", "SCAN 18446744073709551616");
	HarnessExpectError(c, "ERR syntax error", "SCAN 0 COUNT 0");
	HarnessExpectError(c, "ERR value is not an integer or out of range", "SCAN 0 COUNT x");
	HarnessExpectError(c, "ERR syntax error", "SCAN 0 MATCH");
	HarnessExpectError(c, "ERR syntax error", "SCAN 0 FOO bar");

	r = HarnessCommandOk(c, "RANDOMKEY");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(strncmp(r->str, "key:", 4) == 0, "RANDOMKEY %s", r->str);
	freeReplyObject(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_flush_swapdb)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectBulk(c, NULL, "RANDOMKEY");
	HarnessExpectStatus(c, "OK", "MSET a 0 b 0");
	HarnessExpectStatus(c, "OK", "SET t 0 EX 1000");
	HarnessExpectStatus(c, "OK", "SELECT 1");
	HarnessExpectStatus(c, "OK", "MSET a 1 c 1");
	HarnessExpectStatus(c, "OK", "SELECT 0");

	HarnessExpectError(c, "ERR invalid first DB index", "SWAPDB x 1");
	HarnessExpectError(c, "ERR invalid second DB index", "SWAPDB 0 x");
	HarnessExpectError(c, "ERR DB index is out of range", "SWAPDB 0 16");
	HarnessExpectStatus(c, "OK", "SWAPDB 0 0");
	HarnessExpectInt(c, 3, "DBSIZE");
	HarnessExpectStatus(c, "OK", "SWAPDB 0 1");
	HarnessExpectInt(c, 2, "DBSIZE");
	HarnessExpectBulk(c, "1", "GET a");
	HarnessExpectBulk(c, "1", "GET c");
	HarnessExpectInt(c, 0, "EXISTS b t");
	HarnessExpectStatus(c, "OK", "SELECT 1");
	HarnessExpectInt(c, 3, "DBSIZE");
	HarnessExpectBulk(c, "0", "GET a");
	ck_assert_int_gt(HarnessGetInt(c, "TTL t"), 900);

	HarnessExpectError(c, "ERR syntax error", "FLUSHDB x");
	HarnessExpectError(c, "ERR syntax error", "FLUSHDB SYNC ASYNC");
	HarnessExpectError(c, "ERR syntax error", "FLUSHALL x");
	HarnessExpectStatus(c, "OK", "FLUSHDB ASYNC");
	HarnessExpectInt(c, 0, "DBSIZE");
	HarnessExpectBulk(c, NULL, "RANDOMKEY");
	HarnessExpectStatus(c, "OK", "SELECT 0");
	HarnessExpectInt(c, 2, "DBSIZE");
	HarnessExpectStatus(c, "OK", "SELECT 5");
	HarnessExpectStatus(c, "OK", "SET x 5");
	HarnessExpectStatus(c, "OK", "FLUSHALL SYNC");
	HarnessExpectInt(c, 0, "DBSIZE");
	HarnessExpectStatus(c, "OK", "SELECT 0");
	HarnessExpectInt(c, 0, "DBSIZE");
	r = HarnessCommandOk(c, "KEYS *");
	ck_assert_int_eq(r->elements, 0);
	freeReplyObject(r);
	/* keys come back after a flush */
	HarnessExpectStatus(c, "OK", "SET a again");
	HarnessExpectBulk(c, "again", "GET a");
	HarnessExpectInt(c, -1, "TTL a");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_object)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "MSET i 123 n -5 big 12345678901234567890 lz 0123 sp %s", " 1");
	HarnessExpectBulk(c, "int", "OBJECT ENCODING i");
	HarnessExpectBulk(c, "int", "OBJECT ENCODING n");
	HarnessExpectBulk(c, "embstr", "OBJECT ENCODING big");
	HarnessExpectBulk(c, "embstr", "OBJECT ENCODING lz");
	HarnessExpectBulk(c, "embstr", "OBJECT ENCODING sp");
	HarnessExpectStatus(c, "OK", "SET e 12345678901234567890123456789012345678901234");
	HarnessExpectBulk(c, "embstr", "OBJECT ENCODING e");
	HarnessExpectStatus(c, "OK", "SET r 123456789012345678901234567890123456789012345x");
	HarnessExpectBulk(c, "raw", "OBJECT ENCODING r");
	HarnessExpectBulk(c, NULL, "OBJECT ENCODING nope");
	HarnessExpectInt(c, 2147483647, "OBJECT REFCOUNT i");
	HarnessExpectInt(c, 1, "OBJECT REFCOUNT n");
	HarnessExpectInt(c, 1, "OBJECT REFCOUNT r");
	HarnessExpectBulk(c, NULL, "OBJECT REFCOUNT nope");
	HarnessExpectInt(c, 0, "OBJECT IDLETIME i");
	HarnessExpectBulk(c, NULL, "OBJECT FREQ nope");
	HarnessExpectError(c,
					   "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
					   "Please note that when switching between policies at runtime LRU and LFU "
					   "data will take some time to adjust.",
					   "OBJECT FREQ i");
	HarnessExpectError(c, "ERR wrong number of arguments for 'object|encoding' command",
					   "OBJECT ENCODING i x");
	HarnessExpectError(c, "ERR unknown subcommand 'foo'. Try OBJECT HELP.", "OBJECT foo");
	r = HarnessCommandOk(c, "OBJECT HELP");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 15);
	ck_assert_str_eq(r->element[14]->str, "    Prints this help.");
	freeReplyObject(r);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

START_TEST(test_expire_commands)
{
	TuskServer	s;
	redisContext *c;
	long long	t, now = (long long) time(NULL);

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectInt(c, -2, "TTL nope");
	HarnessExpectInt(c, -2, "PTTL nope");
	HarnessExpectInt(c, -2, "EXPIRETIME nope");
	HarnessExpectInt(c, 0, "EXPIRE nope 100");
	HarnessExpectInt(c, 0, "PERSIST nope");
	HarnessExpectStatus(c, "OK", "SET k v");
	HarnessExpectInt(c, -1, "TTL k");
	HarnessExpectInt(c, -1, "PEXPIRETIME k");
	HarnessExpectInt(c, 0, "PERSIST k");

	HarnessExpectError(c, "ERR NX and XX, GT or LT options at the same time are not compatible",
					   "EXPIRE k 10 NX XX");
	HarnessExpectError(c, "ERR NX and XX, GT or LT options at the same time are not compatible",
					   "EXPIRE k 10 NX GT");
	HarnessExpectError(c, "ERR GT and LT options at the same time are not compatible",
					   "EXPIRE k 10 GT LT");
	HarnessExpectError(c, "ERR Unsupported option foo", "EXPIRE k abc foo");
	HarnessExpectError(c, "ERR value is not an integer or out of range", "EXPIRE k abc");
	HarnessExpectError(c, "ERR invalid expire time in 'expire' command",
					   "EXPIRE k 99999999999999999");
	HarnessExpectError(c, "ERR invalid expire time in 'pexpire' command",
					   "PEXPIRE k 9223372036854775807");
	HarnessExpectError(c, "ERR invalid expire time in 'expireat' command",
					   "EXPIREAT k -9223372036854775808");

	/* no TTL: XX and GT fail, LT and NX succeed */
	HarnessExpectInt(c, 0, "EXPIRE k 100 XX");
	HarnessExpectInt(c, 0, "EXPIRE k 100 GT");
	HarnessExpectInt(c, 1, "EXPIRE k 100 LT");
	HarnessExpectInt(c, 0, "EXPIRE k 200 NX");
	HarnessExpectInt(c, 0, "EXPIRE k 200 LT");
	HarnessExpectInt(c, 1, "EXPIRE k 200 GT");
	HarnessExpectInt(c, 1, "EXPIRE k 150 XX");
	t = HarnessGetInt(c, "TTL k");
	ck_assert_msg(t > 140 && t <= 150, "ttl %lld", t);
	t = HarnessGetInt(c, "PTTL k");
	ck_assert_msg(t > 140000 && t <= 150000, "pttl %lld", t);
	t = HarnessGetInt(c, "EXPIRETIME k");
	ck_assert_msg(t >= now + 140 && t <= now + 160, "expiretime %lld", t);
	HarnessExpectInt(c, 1, "PEXPIREAT k 4102444800000");
	HarnessExpectInt(c, 4102444800000LL, "PEXPIRETIME k");
	HarnessExpectInt(c, 4102444800LL, "EXPIRETIME k");
	HarnessExpectInt(c, 1, "EXPIREAT k 4102444801");
	HarnessExpectInt(c, 4102444801000LL, "PEXPIRETIME k");
	HarnessExpectBulk(c, "v", "GET k");
	HarnessExpectInt(c, 1, "PERSIST k");
	HarnessExpectInt(c, -1, "TTL k");

	/* a time in the past deletes the key and counts */
	HarnessExpectInt(c, 1, "EXPIRE k -1");
	HarnessExpectInt(c, 0, "EXISTS k");
	HarnessExpectStatus(c, "OK", "SET k v");
	HarnessExpectInt(c, 1, "PEXPIREAT k 1");
	HarnessExpectInt(c, -2, "TTL k");
	HarnessExpectStatus(c, "OK", "SET k v");
	HarnessExpectInt(c, 1, "EXPIREAT k 0 NX");
	HarnessExpectInt(c, 0, "EXISTS k");

	/* expiry by time */
	HarnessExpectStatus(c, "OK", "SET short v PX 100");
	HarnessExpectInt(c, 1, "EXISTS short");
	usleep(200 * 1000);
	HarnessExpectInt(c, 0, "EXISTS short");
	HarnessExpectBulk(c, NULL, "GET short");
	HarnessExpectInt(c, -2, "PTTL short");
	HarnessExpectStatus(c, "OK", "SET short2 v");
	HarnessExpectInt(c, 1, "PEXPIRE short2 100");
	usleep(200 * 1000);
	HarnessExpectInt(c, 0, "EXISTS short2");
	HarnessExpectInt(c, 0, "DBSIZE");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* The checkpointer's sweep deletes expired keys nobody reads. */
START_TEST(test_sweep)
{
	TuskServer	s;
	redisContext *c;
	time_t		deadline;
	bool		gone = false;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	for (int i = 0; i < 100; i++)
		freeReplyObject(HarnessCommandOk(c, "SET sweep:%d v PX 50", i));
	HarnessExpectStatus(c, "OK", "SET keep v");
	usleep(100 * 1000);
	/*
	 * Invisible at once; whether the versions were deleted shows only as
	 * the sweep not failing, so this checks the server stays healthy while
	 * it runs and the live key survives.
	 */
	deadline = time(NULL) + 3;
	while (time(NULL) <= deadline && !gone)
	{
		gone = HarnessGetInt(c, "DBSIZE") == 1;
		usleep(100 * 1000);
	}
	ck_assert(gone);
	sleep(2);
	HarnessExpectBulk(c, "v", "GET keep");
	HarnessExpectInt(c, 1, "DBSIZE");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* TTLs and keys survive a clean restart on the same directory. */
START_TEST(test_restart_keeps_ttl)
{
	TuskServer	s;
	redisContext *c;
	long long	t;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "SET a 1 EX 1000");
	HarnessExpectStatus(c, "OK", "SET b 2");
	HarnessExpectInt(c, 1, "PEXPIREAT b 4102444800000");
	HarnessExpectStatus(c, "OK", "SET c 3");
	HarnessExpectInt(c, 1, "MOVE c 3");
	HarnessExpectStatus(c, "OK", "SET gone 1 PX 100");
	redisFree(c);
	ck_assert_int_eq(HarnessStop(&s), 0);

	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	HarnessExpectBulk(c, "1", "GET a");
	t = HarnessGetInt(c, "TTL a");
	ck_assert_msg(t > 900 && t <= 1000, "ttl after restart %lld", t);
	HarnessExpectInt(c, 4102444800000LL, "PEXPIRETIME b");
	{
		/* a restart can take less than gone's 100 ms */
		struct timespec ts = {0, 200 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	HarnessExpectInt(c, 0, "EXISTS c gone");
	HarnessExpectStatus(c, "OK", "SELECT 3");
	HarnessExpectBulk(c, "3", "GET c");
	HarnessExpectInt(c, -1, "TTL c");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* Values stored as chunks (over 4000 bytes) survive every key command. */
/*
 * EXPIRE, PERSIST and GETEX on a value stored in chunks keep the chunks:
 * a TTL change writes a new version of the key, not a copy of the value.
 */
START_TEST(test_ttl_change_on_large_value)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	size_t		len = 2 * 1024 * 1024;
	char	   *v = malloc(len);
	long long	w0, w1;

	for (size_t i = 0; i < len; i++)
		v[i] = (char) ('a' + (i * 7) % 26);
	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	r = HarnessCommandOk(c, "SET big %b", v, len);
	ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	w0 = HarnessInfoInt(c, "wal", "wal_bytes");
	HarnessExpectInt(c, 1, "EXPIRE big 1000");
	HarnessExpectInt(c, 1, "PERSIST big");
	HarnessExpectType(c, REDIS_REPLY_STRING, "GETEX big PX 500000");
	w1 = HarnessInfoInt(c, "wal", "wal_bytes");
	ck_assert_msg(w1 - w0 < 64 * 1024, "three TTL changes of a 2 MB value wrote %lld bytes of WAL",
				  w1 - w0);
	r = HarnessCommandOk(c, "GET big");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_int_eq((long long) r->len, (long long) len);
	ck_assert(memcmp(r->str, v, len) == 0);
	freeReplyObject(r);
	ck_assert_int_gt(HarnessGetInt(c, "PTTL big"), 400000);
	/* a new value still replaces the chunks, and the key reads right after */
	HarnessExpectStatus(c, "OK", "SET big small");
	HarnessExpectBulk(c, "small", "GET big");
	HarnessExpectStatus(c, "OK", "SET big2 %b", v, len);
	HarnessExpectInt(c, 1, "EXPIRE big2 1000");
	HarnessExpectStatus(c, "OK", "RENAME big2 big3");
	r = HarnessCommandOk(c, "GET big3");
	ck_assert_int_eq((long long) r->len, (long long) len);
	ck_assert(memcmp(r->str, v, len) == 0);
	freeReplyObject(r);
	/* SET ... GET reads the old chunks; SET, MSET, SETNX replace them unread */
	r = HarnessCommandOk(c, "SET big3 next GET");
	ck_assert_int_eq((long long) r->len, (long long) len);
	ck_assert(memcmp(r->str, v, len) == 0);
	freeReplyObject(r);
	HarnessExpectBulk(c, "next", "GET big3");
	HarnessExpectStatus(c, "OK", "SET big4 %b", v, len);
	HarnessExpectStatus(c, "OK", "MSET big4 m1 other m2");
	HarnessExpectBulk(c, "m1", "GET big4");
	HarnessExpectStatus(c, "OK", "SET big5 %b", v, len);
	HarnessExpectInt(c, 0, "SETNX big5 x");
	HarnessExpectInt(c, 0, "MSETNX big5 x other2 y");
	HarnessExpectStatus(c, "OK", "SET big5 after XX KEEPTTL");
	HarnessExpectBulk(c, "after", "GET big5");
	redisFree(c);
	HarnessStopOk(&s);
	free(v);
}
END_TEST

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
	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "SET big %b", v, len);
	HarnessExpectInt(c, 1, "EXPIRE big 1000");
	HarnessExpectBulk(c, v, "GET big");
	HarnessExpectBulk(c, "raw", "OBJECT ENCODING big");
	HarnessExpectStatus(c, "OK", "RENAME big big2");
	HarnessExpectInt(c, 1, "COPY big2 big3");
	HarnessExpectInt(c, 1, "COPY big2 big3 DB 4");
	HarnessExpectInt(c, 1, "MOVE big2 5");
	HarnessExpectInt(c, 1, "PERSIST big3");
	HarnessExpectBulk(c, v, "GET big3");
	HarnessExpectInt(c, -1, "TTL big3");
	HarnessExpectStatus(c, "OK", "SWAPDB 0 5");
	HarnessExpectBulk(c, v, "GET big2");
	ck_assert_int_gt(HarnessGetInt(c, "TTL big2"), 900);
	HarnessExpectInt(c, 1, "PEXPIRE big2 1");
	usleep(50 * 1000);
	HarnessExpectInt(c, 0, "EXISTS big2");
	HarnessExpectStatus(c, "OK", "SELECT 4");
	HarnessExpectBulk(c, v, "GET big3");
	HarnessExpectStatus(c, "OK", "FLUSHDB");
	HarnessExpectInt(c, 0, "DBSIZE");
	HarnessExpectStatus(c, "OK", "SELECT 5");
	HarnessExpectBulk(c, v, "GET big3");
	r = HarnessCommandOk(c, "KEYS *");
	ck_assert_int_eq(r->elements, 1);
	freeReplyObject(r);
	free(v);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* LCS (server/cmd_lcs.c): Redis's documentation example. */
START_TEST(test_lcs)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "MSET key1 ohmytext key2 mynewtext");
	HarnessExpectBulk(c, "mytext", "LCS key1 key2");
	HarnessExpectInt(c, 6, "LCS key1 key2 LEN");
	HarnessExpectBulk(c, "", "LCS key1 nope");
	r = HarnessCommandOk(c, "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 4);
	ck_assert_str_eq(r->element[0]->str, "matches");
	ck_assert_int_eq(r->element[1]->elements, 1);
	ck_assert_int_eq(r->element[1]->element[0]->element[0]->element[0]->integer, 4);
	ck_assert_int_eq(r->element[1]->element[0]->element[0]->element[1]->integer, 7);
	ck_assert_int_eq(r->element[1]->element[0]->element[2]->integer, 4);
	ck_assert_int_eq(r->element[3]->integer, 6);
	freeReplyObject(r);
	HarnessExpectError(c, "ERR If you want both the length and indexes, please just use IDX.",
					   "LCS key1 key2 LEN IDX");
	HarnessExpectError(c, "ERR syntax error", "LCS key1 key2 FOO");
	redisFree(c);
	HarnessStopOk(&s);
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
	tcase_add_test(tc, test_ttl_change_on_large_value);
	tcase_add_test(tc, test_lcs);
	tcase_add_test(tc, test_sweep);
	tcase_add_test(tc, test_restart_keeps_ttl);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return HarnessMain(keys_suite());
}
