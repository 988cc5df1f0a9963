/*
 * check_stats.c
 *	  Integration tests of the background writer and the stats process
 *	  against a real tusk-server: the bgwriter settings through CONFIG
 *	  GET/SET and the command line, bgwriter writes in a pool too small for
 *	  the data (and none while bgwriter_lru_maxpages is 0), Redis's
 *	  instantaneous rates during and after a load, counters kept across a
 *	  clean shutdown and restart, forgotten after kill -9, and CONFIG
 *	  RESETSTAT of restored counters.
 *
 * NOTES
 *	  Each test starts its own server (tests/integration/harness.h).
 *	  Restarts reuse the test's data directory. Waits poll with limits of
 *	  tens of seconds that only turn a hang into a failure; nothing here
 *	  asserts on speed. The rates are averages over the last 1.6 s (16
 *	  samples of 100 ms, as Redis), so the test that waits for
 *	  instantaneous_ops_per_sec to reach 0 asks INFO only every 2 s: one
 *	  INFO in a window averages to 10/16 op/s, which Redis's integer mean
 *	  rounds down to 0.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define WAIT_SECONDS 30

/* ---------------------------------------------------------------- helpers */

static bool
stats_file_exists(const TuskServer *s)
{
	char		path[HARNESS_PATH_LEN + 32];

	snprintf(path, sizeof(path), "%s/global/stats", s->dir);
	return access(path, F_OK) == 0;
}

/* The value of one cmdstat_<name> part ("calls"), 0 if the line is absent. */
static long long
cmdstat_part(redisContext *c, const char *name, const char *part)
{
	char	   *text = HarnessInfo(c, "commandstats");
	char		field[128];
	char		key[64];
	const char *line;
	const char *p;
	long long	v = 0;

	snprintf(field, sizeof(field), "cmdstat_%s", name);
	snprintf(key, sizeof(key), "%s=", part);
	line = HarnessInfoField(text, field);
	if (line != NULL && (p = strstr(line, key)) != NULL)
		v = atoll(p + strlen(key));
	free(text);
	return v;
}

static double
info_double(redisContext *c, const char *section, const char *field)
{
	char	   *text = HarnessInfo(c, section);
	const char *v = HarnessInfoField(text, field);
	double		d;

	ck_assert_msg(v != NULL, "INFO %s has no field %s", section, field);
	d = atof(v);
	free(text);
	return d;
}

static void
expect_config(redisContext *c, const char *name, const char *want)
{
	redisReply *r = HarnessCommandOk(c, "CONFIG GET %s", name);

	ck_assert_msg(r->type == REDIS_REPLY_ARRAY && r->elements == 2,
				  "CONFIG GET %s: type %d, %zu elements", name, r->type, r->elements);
	ck_assert_str_eq(r->element[0]->str, name);
	ck_assert_msg(strcmp(r->element[1]->str, want) == 0, "CONFIG GET %s: want %s, got %s",
				  name, want, r->element[1]->str);
	freeReplyObject(r);
}

/* n pipelined SETs of `size`-byte values to keys prefix:0 .. prefix:n-1. */
static void
set_many(redisContext *c, const char *prefix, int n, size_t size)
{
	char	   *value = malloc(size + 1);

	memset(value, 'v', size);
	value[size] = '\0';
	for (int done = 0; done < n; done += 100)
	{
		int			batch = n - done < 100 ? n - done : 100;

		for (int i = 0; i < batch; i++)
			redisAppendCommand(c, "SET %s:%d %s", prefix, done + i, value);
		for (int i = 0; i < batch; i++)
		{
			redisReply *r;

			ck_assert_msg(redisGetReply(c, (void **) &r) == REDIS_OK, "SET: %s", c->errstr);
			ck_assert_msg(r->type == REDIS_REPLY_STATUS, "SET: type %d %s", r->type,
						  r->str ? r->str : "");
			freeReplyObject(r);
		}
	}
	free(value);
}

/* ------------------------------------------------------------- bgwriter */

/* Defaults, ranges, the command line, CONFIG SET and GET by pattern. */
START_TEST(test_bgwriter_settings)
{
	static const char *const args[] = {"--bgwriter_delay", "20", NULL};
	TuskServer	s;
	redisContext *c;
	redisReply *r;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	expect_config(c, "bgwriter_delay", "20");
	expect_config(c, "bgwriter_lru_maxpages", "100");
	expect_config(c, "bgwriter_lru_multiplier", "2");

	HarnessExpectStatus(c, "OK", "CONFIG SET bgwriter_delay 50");
	expect_config(c, "bgwriter_delay", "50");
	HarnessExpectStatus(c, "OK", "CONFIG SET bgwriter-lru-multiplier 1.5 bgwriter_lru_maxpages 0");
	expect_config(c, "bgwriter_lru_multiplier", "1.5");
	expect_config(c, "bgwriter_lru_maxpages", "0");

	/* out of range: nothing changes */
	HarnessExpectError(c,
					   "ERR CONFIG SET failed (possibly related to argument 'bgwriter_delay') - argument must be between 10 and 10000 inclusive",
					   "CONFIG SET bgwriter_delay 5");
	HarnessExpectType(c, REDIS_REPLY_ERROR, "CONFIG SET bgwriter_lru_multiplier 11");
	HarnessExpectType(c, REDIS_REPLY_ERROR, "CONFIG SET bgwriter_lru_maxpages -1");
	HarnessExpectType(c, REDIS_REPLY_ERROR, "CONFIG SET bgwriter_lru_multiplier abc");
	expect_config(c, "bgwriter_delay", "50");
	expect_config(c, "bgwriter_lru_multiplier", "1.5");

	r = HarnessCommandOk(c, "CONFIG GET bgwriter*");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 6);
	freeReplyObject(r);

	/* the bgwriter runs rounds (INFO buffers shows them) */
	for (time_t deadline = time(NULL) + WAIT_SECONDS;
		 HarnessInfoInt(c, "buffers", "bgwriter_rounds") == 0 && time(NULL) <= deadline;)
		usleep(50 * 1000);
	ck_assert_int_gt(HarnessInfoInt(c, "buffers", "bgwriter_rounds"), 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A 1 MB pool (128 buffers) and several MB of values: with
 * bgwriter_lru_maxpages 0 the backends write every page they evict and the
 * bgwriter writes none; once CONFIG SET allows it, the bgwriter writes.
 */
START_TEST(test_bgwriter_writes)
{
	static const char *const args[] = {
		"--shared_buffers", "1mb", "--bgwriter_delay", "10",
		"--bgwriter_lru_maxpages", "0", "--synchronous_commit", "off", NULL
	};
	TuskServer	s;
	redisContext *c;
	time_t		deadline;
	int			round = 0;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	ck_assert_int_eq(HarnessInfoInt(c, "buffers", "shared_buffers_pages"), 128);

	set_many(c, "a", 4000, 1000);
	ck_assert_int_gt(HarnessInfoInt(c, "buffers", "buffers_alloc"), 128);
	ck_assert_int_gt(HarnessInfoInt(c, "buffers", "buffers_written_backend"), 0);
	ck_assert_int_eq(HarnessInfoInt(c, "buffers", "buffers_written_bgwriter"), 0);

	HarnessExpectStatus(c, "OK", "CONFIG SET bgwriter_lru_maxpages 100");
	deadline = time(NULL) + WAIT_SECONDS;
	while (HarnessInfoInt(c, "buffers", "buffers_written_bgwriter") == 0 &&
		   time(NULL) <= deadline)
	{
		char		prefix[16];

		snprintf(prefix, sizeof(prefix), "b%d", round++);
		set_many(c, prefix, 500, 1000);
	}
	if (HarnessInfoInt(c, "buffers", "buffers_written_bgwriter") == 0)
	{
		char	   *text = HarnessInfo(c, "buffers");

		fprintf(stderr, "%s", text);
		free(text);
		ck_abort_msg("the bgwriter wrote nothing");
	}
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------ rates */

/* A child process that pipelines SETs and GETs until it is killed. */
static pid_t
start_load(int port)
{
	pid_t		pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		redisContext *c = HarnessConnectPort(port);
		time_t		end = time(NULL) + 2 * WAIT_SECONDS;

		if (c == NULL)
			_exit(1);
		while (time(NULL) < end)
		{
			for (int i = 0; i < 50; i++)
			{
				redisAppendCommand(c, "SET load:%d %d", i, i);
				redisAppendCommand(c, "GET load:%d", i);
			}
			for (int i = 0; i < 100; i++)
			{
				redisReply *r;

				if (redisGetReply(c, (void **) &r) != REDIS_OK)
					_exit(1);
				freeReplyObject(r);
			}
		}
		_exit(0);
	}
	return pid;
}

/*
 * instantaneous_ops_per_sec and _input_kbps/_output_kbps are above 0 while
 * a load runs, and ops per second falls back to 0 once it stops.
 */
START_TEST(test_instantaneous_rates)
{
	TuskServer	s;
	redisContext *c;
	pid_t		load;
	time_t		deadline;
	long long	ops = 0;
	double		in = 0;
	double		out = 0;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "instantaneous_ops_per_sec"), 0);

	load = start_load(s.port);
	deadline = time(NULL) + WAIT_SECONDS;
	while ((ops == 0 || in == 0 || out == 0) && time(NULL) <= deadline)
	{
		usleep(200 * 1000);
		ops = HarnessInfoInt(c, "stats", "instantaneous_ops_per_sec");
		in = info_double(c, "stats", "instantaneous_input_kbps");
		out = info_double(c, "stats", "instantaneous_output_kbps");
	}
	kill(load, SIGKILL);
	waitpid(load, NULL, 0);
	ck_assert_msg(ops > 0, "instantaneous_ops_per_sec stayed 0 under load");
	ck_assert_msg(in > 0, "instantaneous_input_kbps stayed 0 under load");
	ck_assert_msg(out > 0, "instantaneous_output_kbps stayed 0 under load");

	deadline = time(NULL) + WAIT_SECONDS;
	do
	{
		sleep(2);
		ops = HarnessInfoInt(c, "stats", "instantaneous_ops_per_sec");
	} while (ops != 0 && time(NULL) <= deadline);
	ck_assert_msg(ops == 0, "instantaneous_ops_per_sec is %lld long after the load", ops);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* ------------------------------------------------------------ restarts */

/*
 * Counters after 50 SETs, 10 GET hits, 5 misses, 3 errors: kept by
 * SHUTDOWN and a restart on the same directory (the file is then gone),
 * zeroed by CONFIG RESETSTAT, and the reset state is what the next clean
 * restart keeps.
 */
START_TEST(test_counters_survive_clean_restart)
{
	TuskServer	s;
	redisContext *c;
	long long	commands;
	long long	connections;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	set_many(c, "k", 50, 10);
	for (int i = 0; i < 10; i++)
		HarnessExpectType(c, REDIS_REPLY_STRING, "GET k:%d", i);
	for (int i = 0; i < 5; i++)
		HarnessExpectType(c, REDIS_REPLY_NIL, "GET missing:%d", i);
	for (int i = 0; i < 3; i++)
		HarnessExpectType(c, REDIS_REPLY_ERROR, "INCR k:0");
	commands = HarnessInfoInt(c, "stats", "total_commands_processed");
	connections = HarnessInfoInt(c, "stats", "total_connections_received");
	ck_assert_int_ge(commands, 68);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 50);
	redisFree(c);
	ck_assert(!stats_file_exists(&s));

	HarnessShutdownOk(&s);
	ck_assert_msg(stats_file_exists(&s), "no global/stats after a clean shutdown");
	HarnessRestartOk(&s, NULL);
	ck_assert_msg(!stats_file_exists(&s), "global/stats still there after the restart");

	c = HarnessConnectOk(&s);
	ck_assert_int_ge(HarnessInfoInt(c, "stats", "total_commands_processed"), commands);
	ck_assert_int_gt(HarnessInfoInt(c, "stats", "total_connections_received"), connections);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "keyspace_hits"), 10);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "keyspace_misses"), 5);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "total_error_replies"), 3);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 50);
	ck_assert_int_eq(cmdstat_part(c, "get", "calls"), 15);
	ck_assert_int_eq(cmdstat_part(c, "incr", "failed_calls"), 3);
	{
		char	   *text = HarnessInfo(c, "errorstats");
		const char *v = HarnessInfoField(text, "errorstat_ERR");

		ck_assert_msg(v != NULL && strcmp(v, "count=3") == 0, "errorstat_ERR: %s",
					  v ? v : "(none)");
		free(text);
	}
	/* the data came back too */
	HarnessExpectBulk(c, "vvvvvvvvvv", "GET k:49");

	HarnessExpectStatus(c, "OK", "CONFIG RESETSTAT");
	ck_assert_int_lt(HarnessInfoInt(c, "stats", "total_commands_processed"), 5);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "keyspace_hits"), 0);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "total_connections_received"), 0);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 0);
	ck_assert_int_eq(cmdstat_part(c, "get", "calls"), 0);
	HarnessExpectType(c, REDIS_REPLY_STRING, "GET k:1");
	redisFree(c);

	HarnessShutdownOk(&s);
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	ck_assert_int_lt(HarnessInfoInt(c, "stats", "total_commands_processed"), 20);
	ck_assert_int_eq(HarnessInfoInt(c, "stats", "keyspace_hits"), 1);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 0);
	ck_assert_int_eq(cmdstat_part(c, "get", "calls"), 1);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * After kill -9 of the whole server and a restart, the counters start from
 * zero, even those restored from an earlier clean shutdown.
 */
START_TEST(test_counters_forgotten_after_crash)
{
	TuskServer	s;
	redisContext *c;

	HarnessStartOk(&s, NULL, false);
	c = HarnessConnectOk(&s);
	set_many(c, "k", 50, 10);
	redisFree(c);
	HarnessShutdownOk(&s);
	HarnessRestartOk(&s, NULL);

	c = HarnessConnectOk(&s);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 50);
	set_many(c, "j", 20, 10);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 70);
	ck_assert_int_ge(HarnessInfoInt(c, "stats", "total_commands_processed"), 70);
	redisFree(c);

	HarnessKill9(&s);
	ck_assert(!stats_file_exists(&s));
	HarnessRestartOk(&s, NULL);
	c = HarnessConnectOk(&s);
	ck_assert_int_lt(HarnessInfoInt(c, "stats", "total_commands_processed"), 20);
	ck_assert_int_eq(cmdstat_part(c, "set", "calls"), 0);
	/* this connection and the restart's PING */
	ck_assert_int_le(HarnessInfoInt(c, "stats", "total_connections_received"), 2);
	/* acknowledged writes survived the crash all the same */
	HarnessExpectBulk(c, "vvvvvvvvvv", "GET j:19");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite	   *su = suite_create("stats");

	HarnessAddCase(su, "bgwriter_settings", test_bgwriter_settings, 120);
	HarnessAddCase(su, "bgwriter_writes", test_bgwriter_writes, 180);
	HarnessAddCase(su, "instantaneous_rates", test_instantaneous_rates, 120);
	HarnessAddCase(su, "counters_survive_clean_restart", test_counters_survive_clean_restart, 180);
	HarnessAddCase(su, "counters_forgotten_after_crash", test_counters_forgotten_after_crash, 180);
	return su;
}

int
main(void)
{
	return HarnessMain(stats_suite());
}
