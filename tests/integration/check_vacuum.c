/*
 * check_vacuum.c
 *	  Vacuum end to end: TUSK VACUUM after deletes removes the index entries
 *	  and frees the slots (and new keys reuse the space), freezing, the
 *	  autovacuum launcher starting runs on its own, INFO vacuum, and
 *	  recovery of the vacuum records after kill -9.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"

#define NKEYS 5000
#define NDEL 3000

static void
load_keys(redisContext *c, int from, int to, const char *prefix)
{
	char		value[101];

	memset(value, 'v', 100);
	value[100] = '\0';
	for (int i = from; i < to; i++)
		redisAppendCommand(c, "SET %s:%d %s-%d", prefix, i, value, i);
	for (int i = from; i < to; i++)
	{
		redisReply *r;

		ck_assert_int_eq(redisGetReply(c, (void **) &r), REDIS_OK);
		ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
		freeReplyObject(r);
	}
}

static void
del_keys(redisContext *c, int from, int to, const char *prefix)
{
	for (int i = from; i < to; i++)
		redisAppendCommand(c, "DEL %s:%d", prefix, i);
	for (int i = from; i < to; i++)
	{
		redisReply *r;

		ck_assert_int_eq(redisGetReply(c, (void **) &r), REDIS_OK);
		ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
		ck_assert_int_eq(r->integer, 1);
		freeReplyObject(r);
	}
}

/* A field of the TUSK VACUUM reply (a map in RESP3, pairs in RESP2). */
static long long
vacuum_field(redisReply *r, const char *name)
{
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY,
				  "TUSK VACUUM: not an array (type %d)", r->type);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
		{
			if (r->element[i + 1]->type == REDIS_REPLY_INTEGER)
				return r->element[i + 1]->integer;
			return atoll(r->element[i + 1]->str);
		}
	ck_abort_msg("TUSK VACUUM reply has no %s", name);
	return -1;
}

static off_t
heap_size(const TuskServer *s)
{
	char		path[HARNESS_PATH_LEN + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/base/1", s->dir);
	ck_assert_msg(stat(path, &st) == 0, "no heap file %s", path);
	return st.st_size;
}

static void
check_values(redisContext *c, int from, int to, const char *prefix, bool present)
{
	for (int i = from; i < to; i++)
	{
		redisReply *r = HarnessCommandOk(c, "GET %s:%d", prefix, i);

		if (present)
		{
			char		want[16];

			ck_assert_msg(r->type == REDIS_REPLY_STRING, "%s:%d missing", prefix, i);
			snprintf(want, sizeof(want), "-%d", i);
			ck_assert_int_eq(r->len, 100 + (int) strlen(want));
			ck_assert(memcmp(r->str + 100, want, strlen(want)) == 0);
		}
		else
			ck_assert_msg(r->type == REDIS_REPLY_NIL, "%s:%d should be gone", prefix, i);
		freeReplyObject(r);
	}
}

static const char *const no_autovacuum[] = {"--autovacuum", "no", NULL};

START_TEST(test_vacuum_after_deletes)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	off_t		before, after;

	HarnessStartOk(&s, no_autovacuum, false);
	c = HarnessConnectOk(&s);
	load_keys(c, 0, NKEYS, "k");
	del_keys(c, 0, NDEL, "k");
	ck_assert_int_eq(HarnessInfoInt(c, "vacuum", "dead_versions"), NDEL);

	r = HarnessCommandOk(c, "TUSK VACUUM");
	ck_assert_int_eq(vacuum_field(r, "index_entries_removed"), NDEL);
	ck_assert_int_eq(vacuum_field(r, "dead_slots_freed"), NDEL);
	ck_assert_int_eq(vacuum_field(r, "live_versions"), NKEYS - NDEL);
	freeReplyObject(r);
	ck_assert_int_eq(HarnessInfoInt(c, "vacuum", "vacuum_runs"), 1);
	ck_assert_int_eq(HarnessInfoInt(c, "vacuum", "dead_versions"), 0);
	ck_assert_int_eq(HarnessInfoInt(c, "vacuum", "index_entries_removed"), NDEL);

	/* nothing left to do */
	r = HarnessCommandOk(c, "TUSK VACUUM");
	ck_assert_int_eq(vacuum_field(r, "index_entries_removed"), 0);
	ck_assert_int_eq(vacuum_field(r, "dead_slots_freed"), 0);
	freeReplyObject(r);

	check_values(c, 0, NDEL, "k", false);
	check_values(c, NDEL, NKEYS, "k", true);
	HarnessExpectInt(c, NKEYS - NDEL, "DBSIZE");

	/* new keys go into the freed space: the heap does not grow */
	before = heap_size(&s);
	load_keys(c, 0, NDEL, "n");
	after = heap_size(&s);
	ck_assert_msg(after <= before + 8192, "heap grew from %lld to %lld bytes",
				  (long long) before, (long long) after);
	check_values(c, 0, NDEL, "n", true);
	check_values(c, NDEL, NKEYS, "k", true);

	/* the arguments */
	HarnessExpectError(c, "ERR DB index is out of range", "TUSK VACUUM 16");
	HarnessExpectError(c, "ERR value is not an integer or out of range", "TUSK VACUUM x");
	HarnessExpectError(c, "ERR syntax error", "TUSK VACUUM 0 1");
	HarnessExpectType(c, REDIS_REPLY_ARRAY, "TUSK VACUUM 0");
	HarnessExpectType(c, REDIS_REPLY_ARRAY, "TUSK HELP");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* One database's vacuum removes its entries and leaves the others'. */
START_TEST(test_vacuum_one_database)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, no_autovacuum, false);
	c = HarnessConnectOk(&s);
	load_keys(c, 0, 100, "a");
	del_keys(c, 0, 50, "a");
	HarnessExpectStatus(c, "OK", "SELECT 1");
	load_keys(c, 0, 100, "b");
	del_keys(c, 0, 30, "b");

	r = HarnessCommandOk(c, "TUSK VACUUM 1");
	ck_assert_int_eq(vacuum_field(r, "index_entries_removed"), 30);
	ck_assert_int_eq(vacuum_field(r, "dead_slots_freed"), 30);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "TUSK VACUUM");
	ck_assert_int_eq(vacuum_field(r, "index_entries_removed"), 50);
	ck_assert_int_eq(vacuum_field(r, "dead_slots_freed"), 50);
	freeReplyObject(r);
	check_values(c, 30, 100, "b", true);
	check_values(c, 0, 30, "b", false);
	HarnessExpectStatus(c, "OK", "SELECT 0");
	check_values(c, 50, 100, "a", true);
	check_values(c, 0, 50, "a", false);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* With vacuum_freeze_min_age 0 every committed version gets frozen. */
START_TEST(test_freeze)
{
	static const char *const args[] = {"--autovacuum", "no", "--vacuum_freeze_min_age", "0", NULL};
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	load_keys(c, 0, 1000, "f");
	r = HarnessCommandOk(c, "TUSK VACUUM");
	ck_assert_int_ge(vacuum_field(r, "tuples_frozen"), 1000);
	ck_assert_int_gt(vacuum_field(r, "frozen_xid"), 1000);
	freeReplyObject(r);
	r = HarnessCommandOk(c, "TUSK VACUUM");
	ck_assert_int_eq(vacuum_field(r, "tuples_frozen"), 0);
	freeReplyObject(r);
	check_values(c, 0, 1000, "f", true);
	/* frozen versions are still replaced and deleted as usual */
	HarnessExpectStatus(c, "OK", "SET f:1 x");
	HarnessExpectBulk(c, "x", "GET f:1");
	HarnessExpectInt(c, 1, "DEL f:2");
	HarnessExpectBulk(c, NULL, "GET f:2");
	ck_assert_int_gt(HarnessInfoInt(c, "vacuum", "frozen_xid"), 1000);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* The launcher starts a run by itself once enough versions died. */
START_TEST(test_autovacuum_runs)
{
	static const char *const args[] = {"--autovacuum_naptime", "1", NULL};
	TuskServer	s;
	redisContext *c;
	long long	removed = 0;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	load_keys(c, 0, 1000, "a");
	for (int round = 0; round < 5; round++)
		load_keys(c, 0, 1000, "a");
	del_keys(c, 0, 500, "a");
	/*
	 * The deleted keys' entries are removed by some run, without TUSK
	 * VACUUM; the run is counted when it ends, a little after its removals.
	 */
	for (int i = 0; i < 300 && (removed < 500 || HarnessInfoInt(c, "vacuum", "autovacuum_runs") < 1); i++)
	{
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
		removed = HarnessInfoInt(c, "vacuum", "index_entries_removed");
	}
	ck_assert_msg(removed == 500, "autovacuum removed %lld of 500 index entries in 30 s", removed);
	ck_assert_int_ge(HarnessInfoInt(c, "vacuum", "autovacuum_runs"), 1);
	ck_assert_int_eq(HarnessInfoInt(c, "vacuum", "vacuum_runs"), 0);
	ck_assert_int_ge(HarnessInfoInt(c, "vacuum", "versions_removed"), 1);
	check_values(c, 500, 1000, "a", true);
	check_values(c, 0, 500, "a", false);
	/* CONFIG SET autovacuum no stops new runs */
	HarnessExpectStatus(c, "OK", "CONFIG SET autovacuum no");
	{
		redisReply *r = HarnessCommandOk(c, "CONFIG GET autovacuum");

		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		ck_assert_int_eq(r->elements, 2);
		ck_assert_str_eq(r->element[1]->str, "off");
		freeReplyObject(r);
	}
	ck_assert_str_eq(HarnessInfoField(HarnessInfo(c, "vacuum"), "autovacuum"), "off");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* The vacuum's WAL records replay: kill -9 of the server right after a vacuum. */
START_TEST(test_recovery_after_vacuum)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, no_autovacuum, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "CONFIG SET vacuum_freeze_min_age 0");
	load_keys(c, 0, NKEYS, "k");
	del_keys(c, 0, NDEL, "k");
	r = HarnessCommandOk(c, "TUSK VACUUM");
	ck_assert_int_eq(vacuum_field(r, "index_entries_removed"), NDEL);
	freeReplyObject(r);
	load_keys(c, 0, NDEL, "n");
	redisFree(c);

	HarnessKill9(&s);
	HarnessRestartOk(&s, no_autovacuum);
	c = HarnessConnectOk(&s);
	check_values(c, 0, NDEL, "k", false);
	check_values(c, NDEL, NKEYS, "k", true);
	check_values(c, 0, NDEL, "n", true);
	HarnessExpectInt(c, NKEYS, "DBSIZE");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

int
main(void)
{
	Suite	   *su = suite_create("vacuum");

	HarnessAddCase(su, "vacuum_after_deletes", test_vacuum_after_deletes, 120);
	HarnessAddCase(su, "vacuum_one_database", test_vacuum_one_database, 60);
	HarnessAddCase(su, "freeze", test_freeze, 60);
	HarnessAddCase(su, "autovacuum_runs", test_autovacuum_runs, 120);
	HarnessAddCase(su, "recovery_after_vacuum", test_recovery_after_vacuum, 120);
	return HarnessMain(su);
}
