/*
 * check_hiredis.c
 *	  hiredis (the C client, blocking API) against tusk-server: what an
 *	  application does that tests/integration/check_server.c and
 *	  check_keys.c do not already cover there (they pipeline 10,000
 *	  PING/ECHO and store a 300 KB value with %b).
 *
 * NOTES
 *	  pipeline_set_get: 10,000 pipelined SETs of binary values (NUL, CR LF)
 *	  then 10,000 pipelined GETs, every reply checked in order; argv_large:
 *	  redisCommandArgv with multi-megabyte binary arguments (MSET of three
 *	  4 MB values, a 32 MB SET, APPEND) and with 10,001 arguments (MSET of
 *	  5,000 pairs, MGET of 5,000 keys); reply_types: the reply types an
 *	  application switches on. Each test starts its own server with
 *	  tests/integration/harness.h and stops it by pid (exit status 0).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/harness.h"

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
argv_cmd(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	redisReply *r = redisCommandArgv(c, argc, argv, lens);

	ck_assert_msg(r != NULL, "%.*s: no reply: %s", (int) lens[0], argv[0], c->errstr);
	return r;
}

/* "v<i>\0\r\n<i % 97 x's>" : unique, binary, of varying length */
static size_t
make_value(char *buf, int i)
{
	int			len = snprintf(buf, 32, "v%d", i);

	buf[len++] = '\0';
	buf[len++] = '\r';
	buf[len++] = '\n';
	memset(buf + len, 'x', (size_t) (i % 97));
	return (size_t) len + (size_t) (i % 97);
}

START_TEST(test_pipeline_set_get)
{
	TuskServer	s;
	redisContext *c;
	int			n = 10000;
	char		val[160];
	size_t		vlen;
	redisReply *r;

	start(&s);
	c = connect_ok(&s);
	for (int i = 0; i < n; i++)
	{
		vlen = make_value(val, i);
		ck_assert_int_eq(redisAppendCommand(c, "SET key:%d %b", i, val, vlen), REDIS_OK);
	}
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(redisAppendCommand(c, "GET key:%d", i), REDIS_OK);
	/* and a miss at the end, to check the nil after 20,000 replies */
	ck_assert_int_eq(redisAppendCommand(c, "GET key:%d", n), REDIS_OK);
	for (int i = 0; i < n; i++)
	{
		ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "SET reply %d: %s", i, c->errstr);
		ck_assert_msg(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0,
					  "SET reply %d: type %d \"%s\"", i, r->type, r->str ? r->str : "");
		freeReplyObject(r);
	}
	for (int i = 0; i < n; i++)
	{
		vlen = make_value(val, i);
		ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "GET reply %d: %s", i, c->errstr);
		ck_assert_msg(r->type == REDIS_REPLY_STRING && (size_t) r->len == vlen &&
					  memcmp(r->str, val, vlen) == 0,
					  "GET reply %d: type %d len %zu, want len %zu", i, r->type,
					  (size_t) r->len, vlen);
		freeReplyObject(r);
	}
	ck_assert_int_eq(redisGetReply(c, (void **) &r), REDIS_OK);
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);

	r = redisCommand(c, "DBSIZE");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	ck_assert_int_eq(r->integer, n);
	freeReplyObject(r);
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_argv_large)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	size_t		big = 4u << 20,
				huge = 32u << 20;
	char	   *v[3];
	char	   *h = malloc(huge);
	const char *argv[7];
	size_t		lens[7];

	for (int k = 0; k < 3; k++)
	{
		v[k] = malloc(big);
		for (size_t i = 0; i < big; i++)
			v[k][i] = (char) ((i * 31 + (size_t) k * 7) % 256);	/* every byte value */
	}
	for (size_t i = 0; i < huge; i++)
		h[i] = (char) ((i >> 10) % 256);

	start(&s);
	c = connect_ok(&s);

	/* MSET with three 4 MB binary values */
	argv[0] = "MSET";
	lens[0] = 4;
	for (int k = 0; k < 3; k++)
	{
		static const char *names[] = {"big\0a", "big\r\nb", "big c"};

		argv[1 + 2 * k] = names[k];
		lens[1 + 2 * k] = 5 + (k == 1);
		argv[2 + 2 * k] = v[k];
		lens[2 + 2 * k] = big;
	}
	r = argv_cmd(c, 7, argv, lens);
	ck_assert_msg(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0,
				  "MSET: type %d \"%s\"", r->type, r->str ? r->str : "");
	freeReplyObject(r);

	argv[0] = "MGET";
	lens[0] = 4;
	argv[1] = "big\0a";
	lens[1] = 5;
	argv[2] = "big\r\nb";
	lens[2] = 6;
	argv[3] = "big c";
	lens[3] = 5;
	argv[4] = "big";
	lens[4] = 3;
	r = argv_cmd(c, 5, argv, lens);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 4);
	for (int k = 0; k < 3; k++)
		ck_assert_msg(r->element[k]->type == REDIS_REPLY_STRING &&
					  (size_t) r->element[k]->len == big &&
					  memcmp(r->element[k]->str, v[k], big) == 0, "MGET element %d differs", k);
	ck_assert_int_eq(r->element[3]->type, REDIS_REPLY_NIL);
	freeReplyObject(r);

	/* a 32 MB SET, then APPEND 4 MB and read it all back */
	argv[0] = "SET";
	lens[0] = 3;
	argv[1] = "huge";
	lens[1] = 4;
	argv[2] = h;
	lens[2] = huge;
	r = argv_cmd(c, 3, argv, lens);
	ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	argv[0] = "APPEND";
	lens[0] = 6;
	argv[2] = v[0];
	lens[2] = big;
	r = argv_cmd(c, 3, argv, lens);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	ck_assert_int_eq(r->integer, (long long) (huge + big));
	freeReplyObject(r);
	r = redisCommand(c, "GET huge");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_int_eq((size_t) r->len, huge + big);
	ck_assert_msg(memcmp(r->str, h, huge) == 0 && memcmp(r->str + huge, v[0], big) == 0,
				  "GET huge differs");
	freeReplyObject(r);

	/* 10,001 arguments: MSET of 5,000 pairs, then MGET of the 5,000 keys */
	{
		int			pairs = 5000;
		const char **av = malloc(sizeof(char *) * (size_t) (2 * pairs + 1));
		size_t	   *al = malloc(sizeof(size_t) * (size_t) (2 * pairs + 1));
		char	   *store = malloc((size_t) pairs * 64);

		av[0] = "MSET";
		al[0] = 4;
		for (int i = 0; i < pairs; i++)
		{
			char	   *k = store + (size_t) i * 64;
			char	   *val = k + 32;

			av[1 + 2 * i] = k;
			al[1 + 2 * i] = (size_t) snprintf(k, 32, "many:%d", i);
			av[2 + 2 * i] = val;
			al[2 + 2 * i] = (size_t) snprintf(val, 32, "value\r\n%d", i * 3);
		}
		r = argv_cmd(c, 2 * pairs + 1, av, al);
		ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
		freeReplyObject(r);

		av[0] = "MGET";
		for (int i = 0; i < pairs; i++)
		{
			av[1 + i] = store + (size_t) i * 64;
			al[1 + i] = strlen(av[1 + i]);
		}
		al[0] = 4;
		r = argv_cmd(c, pairs + 1, av, al);
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		ck_assert_int_eq(r->elements, (size_t) pairs);
		for (int i = 0; i < pairs; i++)
		{
			const char *want = store + (size_t) i * 64 + 32;

			ck_assert_msg(r->element[i]->type == REDIS_REPLY_STRING &&
						  (size_t) r->element[i]->len == strlen(want) &&
						  memcmp(r->element[i]->str, want, strlen(want)) == 0,
						  "MGET element %d differs", i);
		}
		freeReplyObject(r);
		free(av);
		free(al);
		free(store);
	}

	r = redisCommand(c, "DBSIZE");
	ck_assert_int_eq(r->integer, 5000 + 4);
	freeReplyObject(r);
	for (int k = 0; k < 3; k++)
		free(v[k]);
	free(h);
	redisFree(c);
	stop_ok(&s);
}
END_TEST

START_TEST(test_reply_types)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	start(&s);
	c = connect_ok(&s);
	r = redisCommand(c, "SET %s %s", "n", "10");
	ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	r = redisCommand(c, "INCRBY n %lld", 9223372036854775797LL);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	ck_assert(r->integer == 9223372036854775807LL);
	freeReplyObject(r);
	r = redisCommand(c, "INCR n");
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "ERR increment or decrement would overflow");
	freeReplyObject(r);
	r = redisCommand(c, "GET nope");
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	r = redisCommand(c, "MGET n nope");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "9223372036854775807");
	ck_assert_int_eq(r->element[1]->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	r = redisCommand(c, "SCAN 0 COUNT 100");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "0");
	ck_assert_int_eq(r->element[1]->elements, 1);
	freeReplyObject(r);
	r = redisCommand(c, "NOSUCHCOMMAND a");
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' ");
	freeReplyObject(r);
	/* the connection is still usable after errors */
	r = redisCommand(c, "PING");
	ck_assert_str_eq(r->str, "PONG");
	freeReplyObject(r);
	redisFree(c);
	stop_ok(&s);
}
END_TEST

int
main(void)
{
	Suite	   *su = suite_create("hiredis");
	TCase	   *tc = tcase_create("hiredis");
	SRunner    *sr;
	int			failed;

	if (access(HarnessServerPath(), X_OK) != 0)
	{
		fprintf(stderr, "tusk-server not found at %s (set TUSK_SERVER)\n", HarnessServerPath());
		return EXIT_FAILURE;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pipeline_set_get);
	tcase_add_test(tc, test_argv_large);
	tcase_add_test(tc, test_reply_types);
	suite_add_tcase(su, tc);
	if (!HarnessBeginRun())
		return EXIT_FAILURE;
	sr = srunner_create(su);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	HarnessEndRun();
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
