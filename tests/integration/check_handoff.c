/*
 * check_handoff.c
 *	  Integration tests of the reply hand-off (server/README.md, "Reply
 *	  hand-off"): with synchronous_commit on and flushes under way, a
 *	  backend hands its reply to the walwriter, which sends it once WAL is
 *	  durable. Replies must still arrive complete and in order, a QUIT after
 *	  a write must still get both replies and then the close, the counter
 *	  in INFO wal must show that the path ran, and a backend killed with
 *	  kill -9 must not leave its client's connection open in the walwriter.
 *	  Durable reads: a GET does not wait for another client's flush.
 *
 * NOTES
 *	  Hand-off happens only while another flush runs, so every test starts
 *	  background writers (forked processes, each with its own connection,
 *	  SETs in a loop) that keep a flush in progress most of the time, and
 *	  repeats its check many times. Which replies were handed off is up to
 *	  timing; the assertions hold either way, and test_counted asserts that
 *	  the hand-off happened at all under that load.
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define WRITERS 6
#define ROUNDS 200

static pid_t writers[WRITERS];

/* Writers that keep WAL flushes going until stop_writers. */
static void
start_writers(const TuskServer *s)
{
	for (int w = 0; w < WRITERS; w++)
	{
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
		{
			redisContext *c = HarnessConnectPort(s->port);

			for (long i = 0; c != NULL && !c->err; i++)
			{
				redisReply *r = redisCommand(c, "SET bg:%d:%ld %ld", w, i % 100, i);

				if (r == NULL)
					break;
				freeReplyObject(r);
			}
			_exit(0);
		}
		writers[w] = pid;
	}
}

static void
stop_writers(void)
{
	for (int w = 0; w < WRITERS; w++)
	{
		kill(writers[w], SIGKILL);
		waitpid(writers[w], NULL, 0);
	}
}

/* The backend serving the connection whose local port is port (from ps titles). */
static pid_t
backend_of_port(int port)
{
	char want[64];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	snprintf(want, sizeof(want), "tusk: backend 127.0.0.1:%d ", port);
	while (d != NULL && found == 0 && (e = readdir(d)) != NULL)
	{
		char path[300], buf[256];
		FILE *f;
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strncmp(buf, want, strlen(want)) == 0)
			found = (pid_t) atoi(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	return found;
}

/* ------------------------------------------------------------------ tests */

/*
 * The hand-off is how a backend of its own sends durable replies; a shared
 * backend flushes once per round instead (server/README.md, "Shared
 * backends"). These tests run with shared backends off.
 */
static const char *const dedicated_args[] = {"--shared_backends", "0", NULL};

/* Pipelined writes and reads: every reply, whole and in order. */
START_TEST(test_pipeline_order)
{
	TuskServer s;
	int fd;

	HarnessStartOk(&s, dedicated_args, false);
	start_writers(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < ROUNDS; i++)
	{
		char req[512], want[256], got[512];
		char val[32];
		size_t n;

		snprintf(val, sizeof(val), "v%d", i);
		snprintf(req, sizeof(req),
				 "*3\r\n$3\r\nSET\r\n$5\r\np:key\r\n$%zu\r\n%s\r\n"
				 "*2\r\n$4\r\nINCR\r\n$5\r\np:ctr\r\n"
				 "*2\r\n$3\r\nGET\r\n$5\r\np:key\r\n"
				 "*1\r\n$4\r\nPING\r\n", strlen(val), val);
		snprintf(want, sizeof(want), "+OK\r\n:%d\r\n$%zu\r\n%s\r\n+PONG\r\n", i + 1, strlen(val), val);
		ck_assert(HarnessRawSend(fd, req, strlen(req)));
		n = HarnessRawReadUntil(fd, got, sizeof(got), "+PONG\r\n", 10);
		ck_assert_msg(n == strlen(want) && memcmp(got, want, n) == 0,
					  "round %d: got %zu bytes \"%s\"", i, n, got);
	}
	close(fd);
	stop_writers();
	HarnessStopOk(&s);
}
END_TEST

/* A write, then QUIT in the same packet: both replies, then the close. */
START_TEST(test_quit_after_write)
{
	TuskServer s;

	HarnessStartOk(&s, dedicated_args, false);
	start_writers(&s);
	for (int i = 0; i < ROUNDS / 4; i++)
	{
		static const char req[] = "*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\nx\r\n*1\r\n$4\r\nQUIT\r\n";
		char got[64];
		bool closed = false;
		int fd = HarnessRawConnect(s.port);
		size_t n;

		ck_assert_int_ge(fd, 0);
		ck_assert(HarnessRawSend(fd, req, sizeof(req) - 1));
		n = HarnessRawRead(fd, got, sizeof(got), 10, 10, &closed);
		ck_assert_msg(n == 10 && memcmp(got, "+OK\r\n+OK\r\n", 10) == 0, "round %d: %zu bytes", i, n);
		ck_assert_msg(HarnessRawWaitClosed(fd, 10), "round %d: not closed after QUIT", i);
		close(fd);
	}
	stop_writers();
	HarnessStopOk(&s);
}
END_TEST

/* Many clients writing at once: values right, and replies were handed off. */
START_TEST(test_counted)
{
	enum { CLIENTS = 20, PER_CLIENT = 100 };
	TuskServer s;
	redisContext *cs[CLIENTS];
	redisContext *c;

	HarnessStartOk(&s, dedicated_args, false);
	start_writers(&s);
	for (int k = 0; k < CLIENTS; k++)
		cs[k] = HarnessConnectOk(&s);
	for (int i = 0; i < PER_CLIENT; i++)
	{
		for (int k = 0; k < CLIENTS; k++)
			redisAppendCommand(cs[k], "SET c:%d %d", k, i);
		for (int k = 0; k < CLIENTS; k++)
		{
			redisReply *r = NULL;

			ck_assert_int_eq(redisGetReply(cs[k], (void **) &r), REDIS_OK);
			ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
			ck_assert_str_eq(r->str, "OK");
			freeReplyObject(r);
		}
	}
	stop_writers();
	c = HarnessConnectOk(&s);
	for (int k = 0; k < CLIENTS; k++)
	{
		char want[16];

		snprintf(want, sizeof(want), "%d", PER_CLIENT - 1);
		HarnessExpectBulk(c, want, "GET c:%d", k);
		redisFree(cs[k]);
	}
	ck_assert_int_gt(HarnessInfoInt(c, "wal", "wal_replies_handed_off"), 0);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * kill -9 of a backend whose client's socket the walwriter holds: the
 * client must see the connection close (the walwriter lets go of sockets
 * whose backend is gone), and the server must go on serving.
 */
START_TEST(test_killed_backend_closes)
{
	TuskServer s;
	redisContext *c;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	int fd, port;
	pid_t backend;

	HarnessStartOk(&s, dedicated_args, false);
	start_writers(&s);
	fd = HarnessRawConnect(s.port);
	ck_assert_int_ge(fd, 0);
	/* durable writes under load: the walwriter is sent this client's socket */
	for (int i = 0; i < ROUNDS; i++)
	{
		static const char req[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
		char got[16];

		ck_assert(HarnessRawSend(fd, req, sizeof(req) - 1));
		ck_assert_uint_eq(HarnessRawReadUntil(fd, got, sizeof(got), "+OK\r\n", 10), 5);
	}
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &local, &len), 0);
	port = ntohs(((struct sockaddr_in *) &local)->sin_port);
	backend = backend_of_port(port);
	ck_assert_int_gt(backend, 0);
	ck_assert_int_eq(kill(backend, SIGKILL), 0);
	ck_assert_msg(HarnessRawWaitClosed(fd, 10), "connection still open after its backend died");
	close(fd);
	stop_writers();
	c = HarnessConnectOk(&s);
	HarnessExpectBulk(c, "v", "GET k");
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/* No reply for the request in flight on fd yet? */
static bool
no_reply_yet(int fd)
{
	char byte;

	return recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) < 0;
}

/*
 * Durable reads (storage/README.md): while a SET of k is committed but
 * its flush is held back by commit_delay, a GET of k from another client
 * shows the durable value at once; the writer's own pipelined GET shows
 * its write; a key that has no durable version is read as the new one
 * (after its flush); after the acknowledgement every client sees it.
 */
START_TEST(test_durable_reads)
{
	static const char *const args[] = {"--commit_delay", "100000", "--shared_backends", "0", NULL};
	static const char set_v2[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv2\r\n";
	static const char set_get_v3[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv3\r\n"
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
	static const char set_new[] = "*3\r\n$3\r\nSET\r\n$3\r\nnew\r\n$1\r\nx\r\n";
	struct timespec twenty_ms = {0, 20 * 1000 * 1000};
	TuskServer s;
	redisContext *c;
	char got[64];
	int w;
	bool saw_durable = false;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "SET k v1");

	w = HarnessRawConnect(s.port);
	ck_assert_int_ge(w, 0);

	/*
	 * A loaded machine may stall the test past the 100 ms flush, and then
	 * the GET rightly shows v2: try a few times. Without durable reads the
	 * GET waits for the flush and shows v2 every time.
	 */
	for (int attempt = 0; attempt < 5 && !saw_durable; attempt++)
	{
		redisReply *r;

		if (attempt > 0)
		{
			HarnessExpectStatus(c, "OK", "SET k v1");
			HarnessExpectBulk(c, "v1", "GET k");
		}
		ck_assert(HarnessRawSend(w, set_v2, sizeof(set_v2) - 1));
		nanosleep(&twenty_ms, NULL);
		r = HarnessCommandOk(c, "GET k");
		ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
		saw_durable = strcmp(r->str, "v1") == 0 && no_reply_yet(w);
		if (strcmp(r->str, "v1") != 0)
			ck_assert_str_eq(r->str, "v2");
		freeReplyObject(r);
		/* MGET too, with a key that does not exist at all */
		r = HarnessCommandOk(c, "MGET nosuch k");
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		ck_assert_int_eq((int) r->elements, 2);
		ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_NIL);
		ck_assert_int_eq(r->element[1]->type, REDIS_REPLY_STRING);
		saw_durable = saw_durable && strcmp(r->element[1]->str, "v1") == 0 && no_reply_yet(w);
		freeReplyObject(r);
		ck_assert_uint_eq(HarnessRawReadUntil(w, got, sizeof(got), "+OK\r\n", 10), 5);
		HarnessExpectBulk(c, "v2", "GET k");
	}
	ck_assert_msg(saw_durable, "in 5 tries, a GET never showed the durable value of a key "
				  "while its SET waited for its flush");

	/* EXISTS too: a DEL still waiting for its flush does not hide the key yet */
	saw_durable = false;
	for (int attempt = 0; attempt < 5 && !saw_durable; attempt++)
	{
		static const char del_k[] = "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n";
		redisReply *r;

		HarnessExpectStatus(c, "OK", "SET k v1");
		ck_assert(HarnessRawSend(w, del_k, sizeof(del_k) - 1));
		nanosleep(&twenty_ms, NULL);
		r = HarnessCommandOk(c, "EXISTS k nosuch k");
		ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
		saw_durable = r->integer == 2 && no_reply_yet(w);
		if (r->integer != 2)
			ck_assert_int_eq((int) r->integer, 0);
		freeReplyObject(r);
		ck_assert_uint_eq(HarnessRawReadUntil(w, got, sizeof(got), ":1\r\n", 10), 4);
		HarnessExpectInt(c, 0, "EXISTS k");
	}
	ck_assert_msg(saw_durable, "in 5 tries, EXISTS never showed the durable state of a key "
				  "while its DEL waited for its flush");
	HarnessExpectStatus(c, "OK", "SET k v2");

	/* the writer's own pipelined read sees its write before it is acknowledged */
	ck_assert(HarnessRawSend(w, set_get_v3, sizeof(set_get_v3) - 1));
	ck_assert_uint_eq(HarnessRawReadUntil(w, got, sizeof(got), "v3\r\n", 10), 13);
	ck_assert_int_eq(memcmp(got, "+OK\r\n$2\r\nv3\r\n", 13), 0);

	/* no durable version at all: the new one, once flushed */
	ck_assert(HarnessRawSend(w, set_new, sizeof(set_new) - 1));
	nanosleep(&twenty_ms, NULL);
	HarnessExpectBulk(c, "x", "GET new");
	{
		redisReply *r = HarnessCommandOk(c, "MGET new k");

		ck_assert_int_eq((int) r->elements, 2);
		ck_assert_str_eq(r->element[0]->str, "x");
		ck_assert_str_eq(r->element[1]->str, "v3");
		freeReplyObject(r);
	}
	ck_assert_uint_eq(HarnessRawReadUntil(w, got, sizeof(got), "+OK\r\n", 10), 5);
	close(w);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

/*
 * A write acknowledged while synchronous_commit was off is not flushed
 * yet when it is turned on again (the walwriter flushes it only after
 * wal_writer_delay, 10 s here). A durable read from another client must
 * still show it: it was acknowledged, and a reader must not see an older
 * value than one already acknowledged.
 */
START_TEST(test_durable_reads_after_sync_off)
{
	static const char *const args[] = {"--wal_writer_delay", "10000", "--shared_backends", "0", NULL};
	TuskServer s;
	redisContext *c, *d;

	HarnessStartOk(&s, args, false);
	c = HarnessConnectOk(&s);
	d = HarnessConnectOk(&s);
	for (int i = 0; i < 5; i++)
	{
		HarnessExpectStatus(c, "OK", "SET k%d old", i);
		HarnessExpectStatus(c, "OK", "CONFIG SET synchronous_commit off");
		HarnessExpectStatus(c, "OK", "SET k%d new", i);
		HarnessExpectStatus(c, "OK", "CONFIG SET synchronous_commit on");
		HarnessExpectBulk(d, "new", "GET k%d", i);
	}
	redisFree(d);
	redisFree(c);
	HarnessStopOk(&s);
}
END_TEST

static Suite *
handoff_suite(void)
{
	Suite *su = suite_create("handoff");

	HarnessAddCase(su, "pipeline_order", test_pipeline_order, 120);
	HarnessAddCase(su, "quit_after_write", test_quit_after_write, 120);
	HarnessAddCase(su, "counted", test_counted, 120);
	HarnessAddCase(su, "killed_backend_closes", test_killed_backend_closes, 120);
	HarnessAddCase(su, "durable_reads", test_durable_reads, 60);
	HarnessAddCase(su, "durable_reads_after_sync_off", test_durable_reads_after_sync_off, 60);
	return su;
}

int
main(void)
{
	return HarnessMain(handoff_suite());
}
