/*
 * check_settings.c
 *	  Unit tests for server/settings.c: defaults, the command line and the
 *	  config file, name spelling ('-' or '_', any case), memory units, start-up
 *	  errors, CONFIG SET as one unit (ConfigSetPairs) with Redis's error
 *	  texts, CONFIG GET patterns (ConfigVisitMatching), and the shared copy.
 *
 * NOTES
 *	  Check fork mode is required: start-up errors call exit(1), tested with
 *	  tcase_add_exit_test, and every test gets a fresh copy of the module's
 *	  globals. The "shared" test case runs ConfigLoadDefaults, ShmemCreate
 *	  and ConfigShmemInit in a checked fixture (in the test's own process),
 *	  as the postmaster does before forking. The CONFIG SET texts are
 *	  redis-server 7.0.15's for the same commands. Files are written only
 *	  under a mkdtemp directory, never in the source tree.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/settings.h"
#include "storage/elog.h"
#include "storage/shmem.h"

/* ---------------------------------------------------------------- helpers */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ConfigLoadFromArgs with a literal list: LOAD_ARGS("--port", "7000") */
#define LOAD_ARGS(...) \
	do { \
		char	   *argv_[] = {"tusk-server", __VA_ARGS__}; \
		ConfigLoadFromArgs((int) NELEM(argv_), argv_); \
	} while (0)

static char tmpdir[64];

static bool
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/tusk-settings-XXXXXX",
			 base && base[0] && strlen(base) < 32 ? base : "/tmp");
	return mkdtemp(tmpdir) != NULL;
}

/*
 * Write a config file in the temp dir; returns its path (static buffer).
 * main() makes the directory before the tests and removes it after them:
 * tests that end in exit(1) run no teardown.
 */
static const char *
write_file(const char *name, const char *text)
{
	static char path[128];
	FILE	   *f;

	ck_assert(tmpdir[0] != '\0');
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
remove_tmpdir(void)
{
	char		cmd[160];

	if (tmpdir[0] == '\0')
		return;
	/* only files we made, in a directory we made */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

static void
get_value(const char *name, char *out, size_t outlen)
{
	ck_assert_msg(ConfigGetValue(name, out, outlen), "no setting %s", name);
}

#define ASSERT_VALUE(name, want) \
	do { \
		char		v_[2048]; \
		get_value((name), v_, sizeof(v_)); \
		ck_assert_str_eq(v_, (want)); \
	} while (0)

/*
 * Run ConfigLoadFromArgs in a child with stderr captured; returns the exit
 * status (-1 if it returned) and the message in msg.
 */
static int
load_args_in_child(int argc, char **argv, char *msg, size_t msglen)
{
	int			fds[2];
	pid_t		pid;
	int			status;
	size_t		off = 0;
	ssize_t		n;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		dup2(fds[1], 2);
		close(fds[0]);
		ConfigLoadDefaults();
		ConfigLoadFromArgs(argc, argv);
		_exit(99);				/* returned: no error */
	}
	close(fds[1]);
	while (off + 1 < msglen && (n = read(fds[0], msg + off, msglen - 1 - off)) > 0)
		off += (size_t) n;
	msg[off] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 99)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------- start-up */

static void
startup_setup(void)
{
	ConfigLoadDefaults();
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(server_config->port, 6379);
	ck_assert_str_eq(server_config->bind, "127.0.0.1");
	ck_assert_str_eq(server_config->dir, "./");
	ck_assert_str_eq(server_config->unixsocket, "");
	ck_assert_int_eq(server_config->unixsocketperm, 0);
	ck_assert_int_eq(server_config->maxclients, 10000);
	ck_assert_str_eq(server_config->requirepass, "");
	ck_assert(!server_config->daemonize);
	ck_assert_str_eq(server_config->logfile, "");
	ck_assert_int_eq(server_config->loglevel, LOG);
	ck_assert_int_eq(server_config->databases, 16);
	ck_assert_int_eq(server_config->proto_max_bulk_len, 512LL * 1024 * 1024);
	ck_assert_int_eq(server_config->client_query_buffer_limit, 1024LL * 1024 * 1024);
	ck_assert_int_eq(server_config->timeout, 0);
	ck_assert_int_eq(server_config->tcp_backlog, 511);
	ck_assert_int_eq(server_config->tcp_keepalive, 300);
	ck_assert_int_eq(server_config->huge_pages, HUGE_PAGES_TRY);
	ck_assert_int_eq(server_config->shared_buffers, 128LL * 1024 * 1024);
	ck_assert(server_config->synchronous_commit);
	ck_assert(server_config->appendonly);
	ck_assert_str_eq(server_config->config_file, "");

	/* printed as CONFIG GET prints them */
	ASSERT_VALUE("port", "6379");
	ASSERT_VALUE("proto-max-bulk-len", "536870912");
	ASSERT_VALUE("synchronous_commit", "on");
	ASSERT_VALUE("daemonize", "no");
	ASSERT_VALUE("appendonly", "yes");
	ASSERT_VALUE("loglevel", "notice");
	ASSERT_VALUE("huge_pages", "try");
	ASSERT_VALUE("unixsocketperm", "0");
	ASSERT_VALUE("requirepass", "");
}
END_TEST

START_TEST(test_args_basic)
{
	LOAD_ARGS("--port", "7000", "--dir", "/tmp/somewhere", "--requirepass", "secret",
			  "--maxclients", "50", "--timeout", "3", "--loglevel", "warning",
			  "--unixsocket", "/tmp/x.sock", "--unixsocketperm", "700",
			  "--daemonize", "no", "--huge_pages", "off");
	ck_assert_int_eq(server_config->port, 7000);
	ck_assert_str_eq(server_config->dir, "/tmp/somewhere");
	ck_assert_str_eq(server_config->requirepass, "secret");
	ck_assert_int_eq(server_config->maxclients, 50);
	ck_assert_int_eq(server_config->timeout, 3);
	ck_assert_int_eq(server_config->loglevel, WARNING);
	ck_assert_str_eq(server_config->unixsocket, "/tmp/x.sock");
	ck_assert_int_eq(server_config->unixsocketperm, 0700);
	ASSERT_VALUE("unixsocketperm", "700");
	ck_assert_int_eq(server_config->huge_pages, HUGE_PAGES_OFF);
	/* untouched settings keep their defaults */
	ck_assert_int_eq(server_config->databases, 16);
	ck_assert_str_eq(server_config->config_file, "");
}
END_TEST

START_TEST(test_args_name_spelling)
{
	LOAD_ARGS("--proto_max_bulk_len", "2mb", "--SHARED-BUFFERS", "256mb",
			  "--Client_Query-Buffer_LIMIT", "2gb", "--TCP_KEEPALIVE", "60",
			  "--Synchronous-Commit", "off");
	ck_assert_int_eq(server_config->proto_max_bulk_len, 2LL * 1024 * 1024);
	ck_assert_int_eq(server_config->shared_buffers, 256LL * 1024 * 1024);
	ck_assert_int_eq(server_config->client_query_buffer_limit, 2LL * 1024 * 1024 * 1024);
	ck_assert_int_eq(server_config->tcp_keepalive, 60);
	ck_assert(!server_config->synchronous_commit);
	/* either spelling reads the same setting */
	ASSERT_VALUE("shared-buffers", "268435456");
	ASSERT_VALUE("SHARED_BUFFERS", "268435456");
	ASSERT_VALUE("proto_max_bulk_len", "2097152");
	ASSERT_VALUE("synchronous-commit", "off");
}
END_TEST

START_TEST(test_args_values_with_spaces)
{
	/* several words for a multi-argument setting */
	LOAD_ARGS("--bind", "127.0.0.1", "::1", "--save", "900", "1", "--port", "7001");
	ck_assert_str_eq(server_config->bind, "127.0.0.1 ::1");
	ck_assert_str_eq(server_config->save, "900 1");
	ck_assert_int_eq(server_config->port, 7001);
}
END_TEST

START_TEST(test_args_value_quoting)
{
	/* one argv word survives spaces, quotes and backslashes as it is */
	LOAD_ARGS("--requirepass", "a b\"c'd\\e", "--logfile", "");
	ck_assert_str_eq(server_config->requirepass, "a b\"c'd\\e");
	ck_assert_str_eq(server_config->logfile, "");
}
END_TEST

START_TEST(test_args_last_wins)
{
	LOAD_ARGS("--port", "7000", "--port", "7002");
	ck_assert_int_eq(server_config->port, 7002);
}
END_TEST

START_TEST(test_config_file)
{
	const char *path = write_file("tusk.conf",
								  "# a comment\n"
								  "\n"
								  "port 7101\r\n"
								  "   timeout 5\n"
								  "requirepass \"x y\"\n"
								  "Proto-Max-Bulk-Len 1gb\n"
								  "bind 127.0.0.1 -::1\n"
								  "save \"\"\n");
	char		real[PATH_MAX];
	char	   *argv[] = {"tusk-server", (char *) path, "--port", "7102"};

	ck_assert_ptr_nonnull(realpath(path, real));
	ConfigLoadFromArgs(4, argv);
	/* the command line comes after the file */
	ck_assert_int_eq(server_config->port, 7102);
	ck_assert_int_eq(server_config->timeout, 5);
	ck_assert_str_eq(server_config->requirepass, "x y");
	ck_assert_int_eq(server_config->proto_max_bulk_len, 1024LL * 1024 * 1024);
	ck_assert_str_eq(server_config->bind, "127.0.0.1 -::1");
	ck_assert_str_eq(server_config->save, "");
	/* remembered, absolute, for CONFIG REWRITE */
	ck_assert_str_eq(server_config->config_file, real);
}
END_TEST

START_TEST(test_memory_units)
{
	static const struct
	{
		const char *text;
		long long	value;
	}			ok[] = {
		{"0", 0},
		{"100", 100},
		{"1b", 1},
		{"1B", 1},
		{"1k", 1000},
		{"1K", 1000},
		{"1kb", 1024},
		{"1KB", 1024},
		{"1Kb", 1024},
		{"3m", 3000000},
		{"1mb", 1048576},
		{"1g", 1000000000},
		{"1gb", 1073741824},
		{"2GB", 2147483648LL},
		{"512mb", 536870912},
		{"9223372036854775807", LLONG_MAX},
		{"8589934591gb", 8589934591LL * 1073741824LL},
	};
	static const char *const bad[] = {
		"1x", "1kbb", "1tb", "1.5mb", " 1", "1 ", "+1", "1k1",
		"9223372036854775808", "8589934592gb", "10000000000000g", "0x10",
	};

	for (size_t i = 0; i < NELEM(ok); i++)
	{
		long long	v = -12345;

		ck_assert_msg(ConfigParseMemory(ok[i].text, &v), "\"%s\" should parse", ok[i].text);
		ck_assert_msg(v == ok[i].value, "\"%s\" gave %lld, want %lld", ok[i].text, v,
					  ok[i].value);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
	{
		long long	v = -12345;

		ck_assert_msg(!ConfigParseMemory(bad[i], &v), "\"%s\" should not parse (got %lld)",
					  bad[i], v);
	}
	/* and through the command line */
	LOAD_ARGS("--shared_buffers", "1GB", "--proto-max-bulk-len", "1048576k");
	ck_assert_int_eq(server_config->shared_buffers, 1073741824LL);
	ck_assert_int_eq(server_config->proto_max_bulk_len, 1048576000LL);
}
END_TEST

/* Start-up errors: exit(1). Each runs in its own process (fork mode). */

START_TEST(test_exit_unknown_option)
{
	LOAD_ARGS("--no-such-setting", "1");
}
END_TEST

START_TEST(test_exit_bad_integer)
{
	LOAD_ARGS("--port", "abc");
}
END_TEST

START_TEST(test_exit_out_of_range)
{
	LOAD_ARGS("--port", "70000");
}
END_TEST

START_TEST(test_exit_missing_value)
{
	LOAD_ARGS("--port");
}
END_TEST

START_TEST(test_exit_too_many_words)
{
	LOAD_ARGS("--port", "1", "2");
}
END_TEST

START_TEST(test_exit_bad_memory)
{
	LOAD_ARGS("--shared_buffers", "lots");
}
END_TEST

START_TEST(test_exit_memory_below_minimum)
{
	LOAD_ARGS("--proto-max-bulk-len", "1k");
}
END_TEST

START_TEST(test_exit_bad_enum)
{
	LOAD_ARGS("--loglevel", "loud");
}
END_TEST

START_TEST(test_exit_bad_bool)
{
	LOAD_ARGS("--daemonize", "maybe");
}
END_TEST

START_TEST(test_exit_missing_file)
{
	LOAD_ARGS("/nonexistent/dir/tusk.conf");
}
END_TEST

START_TEST(test_exit_value_without_option)
{
	const char *path = write_file("ok.conf", "port 7000\n");
	char	   *argv[] = {"tusk-server", (char *) path, "stray"};

	/* after the config file, every word must belong to a --name */
	ConfigLoadFromArgs(3, argv);
}
END_TEST

START_TEST(test_exit_file_unbalanced_quotes)
{
	const char *path = write_file("bad.conf", "port 7000\nrequirepass \"abc\n");
	char	   *argv[] = {"tusk-server", (char *) path};

	ConfigLoadFromArgs(2, argv);
}
END_TEST

START_TEST(test_exit_file_bad_line)
{
	const char *path = write_file("bad.conf", "port 7000\nnosuch 1\n");
	char	   *argv[] = {"tusk-server", (char *) path};

	ConfigLoadFromArgs(2, argv);
}
END_TEST

START_TEST(test_exit_too_long_string)
{
	char		longdir[CONFIG_PATH_LEN + 10];
	char	   *argv[] = {"tusk-server", "--dir", longdir};

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	ConfigLoadFromArgs(3, argv);
}
END_TEST

/* The messages of start-up errors, in Redis's layout. */
START_TEST(test_startup_error_messages)
{
	char		msg[4096];

	{
		char	   *argv[] = {"tusk-server", "--port", "70000"};

		ck_assert_int_eq(load_args_in_child(3, argv, msg, sizeof(msg)), 1);
		ck_assert_msg(strstr(msg, "*** FATAL CONFIG FILE ERROR") != NULL, "%s", msg);
		ck_assert_msg(strstr(msg, "Reading the command line") != NULL, "%s", msg);
		ck_assert_msg(strstr(msg, ">>> 'port \"70000\"'") != NULL, "%s", msg);
		ck_assert_msg(strstr(msg, "argument must be between 0 and 65535 inclusive") != NULL,
					  "%s", msg);
	}
	{
		char	   *argv[] = {"tusk-server", "--nosuch", "1"};

		ck_assert_int_eq(load_args_in_child(3, argv, msg, sizeof(msg)), 1);
		ck_assert_msg(strstr(msg, "Bad directive or wrong number of arguments") != NULL,
					  "%s", msg);
	}
	{
		const char *path = write_file("bad.conf", "\n\nport 7000\ntimeout x\n");
		char	   *argv[] = {"tusk-server", (char *) path};

		ck_assert_int_eq(load_args_in_child(2, argv, msg, sizeof(msg)), 1);
		ck_assert_msg(strstr(msg, "at line 4") != NULL, "%s", msg);
		ck_assert_msg(strstr(msg, ">>> 'timeout x'") != NULL, "%s", msg);
		ck_assert_msg(strstr(msg, "argument couldn't be parsed into an integer") != NULL,
					  "%s", msg);
	}
	{
		char	   *argv[] = {"tusk-server", "/nonexistent/tusk.conf"};

		ck_assert_int_eq(load_args_in_child(2, argv, msg, sizeof(msg)), 1);
		ck_assert_msg(strstr(msg, "can't open config file '/nonexistent/tusk.conf'") != NULL,
					  "%s", msg);
	}
	{
		char	   *argv[] = {"tusk-server", "--port", "7000"};

		ck_assert_int_eq(load_args_in_child(3, argv, msg, sizeof(msg)), -1);
		ck_assert_str_eq(msg, "");
	}
}
END_TEST

/* ---------------------------------------------------------- shared copy */

static ServerConfig *private_copy;

static void
shared_setup(void)
{
	char		err[256];

	ConfigLoadDefaults();
	private_copy = server_config;
	ck_assert_msg(ShmemCreate(ConfigShmemSize() + 4096, HUGE_PAGES_OFF, err, sizeof(err)),
				  "%s", err);
	ConfigShmemInit();
}

static void
shared_teardown(void)
{
	ShmemDestroy();
}

/* ConfigSetPairs with a literal list of name, value, name, value... */
static bool
set_pairs(char *err, size_t errlen, int n, const char *const *nv)
{
	const char *names[32],
			   *values[32];

	for (int i = 0; i < n; i++)
	{
		names[i] = nv[2 * i];
		values[i] = nv[2 * i + 1];
	}
	err[0] = '\0';
	return ConfigSetPairs(n, names, values, err, errlen);
}

#define SET_OK(...) \
	do { \
		const char *const nv_[] = {__VA_ARGS__}; \
		char		err_[1024]; \
		ck_assert_msg(set_pairs(err_, sizeof(err_), (int) NELEM(nv_) / 2, nv_), \
					  "CONFIG SET failed: %s", err_); \
	} while (0)

#define SET_FAILS(want, ...) \
	do { \
		const char *const nv_[] = {__VA_ARGS__}; \
		char		err_[1024]; \
		uint64_t	gen_ = atomic_load(&server_config->generation); \
		ck_assert(!set_pairs(err_, sizeof(err_), (int) NELEM(nv_) / 2, nv_)); \
		ck_assert_str_eq(err_, (want)); \
		/* a failed CONFIG SET changes nothing, not even the generation */ \
		ck_assert_uint_eq(atomic_load(&server_config->generation), gen_); \
	} while (0)

START_TEST(test_shared_copy)
{
	/* server_config now points into the segment, with the same values */
	ck_assert_ptr_ne(server_config, private_copy);
	ck_assert_int_eq(server_config->port, 6379);
	ck_assert_int_eq(server_config->maxclients, 10000);
	ck_assert_str_eq(server_config->bind, "127.0.0.1");
	ck_assert_uint_eq(atomic_load(&server_config->generation), 0);
	ck_assert_uint_ge(ConfigShmemSize(), sizeof(ServerConfig));
}
END_TEST

START_TEST(test_set_basic)
{
	char		buf[64];

	SET_OK("timeout", "5");
	ck_assert_int_eq(server_config->timeout, 5);
	ASSERT_VALUE("timeout", "5");
	/* each successful set moves the generation by 2 (even: no writer) */
	ck_assert_uint_eq(atomic_load(&server_config->generation), 2);

	SET_OK("TIMEOUT", "7");
	ck_assert_int_eq(server_config->timeout, 7);
	SET_OK("proto_max_bulk_len", "2mb");
	ck_assert_int_eq(server_config->proto_max_bulk_len, 2097152);
	SET_OK("Proto-Max-Bulk-Len", "1048576k");
	ck_assert_int_eq(server_config->proto_max_bulk_len, 1048576000);
	SET_OK("requirepass", "s3cret");
	ConfigReadString(server_config->requirepass, buf, sizeof(buf));
	ck_assert_str_eq(buf, "s3cret");
	SET_OK("requirepass", "");
	ck_assert_str_eq(server_config->requirepass, "");
	SET_OK("loglevel", "WARNING");
	ck_assert_int_eq(server_config->loglevel, WARNING);
	ASSERT_VALUE("loglevel", "warning");
	SET_OK("synchronous_commit", "no");
	ck_assert(!server_config->synchronous_commit);
	ASSERT_VALUE("synchronous_commit", "off");
	SET_OK("maxclients", "1");
	ck_assert_int_eq(server_config->maxclients, 1);
	SET_OK("port", "0");
	ck_assert_int_eq(server_config->port, 0);
	/* several pairs at once */
	SET_OK("timeout", "1", "tcp-keepalive", "10", "bind", "127.0.0.1 ::1");
	ck_assert_int_eq(server_config->timeout, 1);
	ck_assert_int_eq(server_config->tcp_keepalive, 10);
	ck_assert_str_eq(server_config->bind, "127.0.0.1 ::1");
}
END_TEST

START_TEST(test_set_atomic)
{
	/* the bad pair is the second one: the first must not be applied */
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'port') - "
			  "argument must be between 0 and 65535 inclusive",
			  "timeout", "5", "port", "70000");
	ck_assert_int_eq(server_config->timeout, 0);
	ck_assert_int_eq(server_config->port, 6379);

	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'daemonize') - "
			  "can't set immutable config",
			  "timeout", "5", "daemonize", "no");
	ck_assert_int_eq(server_config->timeout, 0);

	SET_FAILS("ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
			  "timeout", "5", "foo", "bar");
	ck_assert_int_eq(server_config->timeout, 0);

	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
			  "argument must be a memory value",
			  "requirepass", "new", "proto-max-bulk-len", "1x");
	ck_assert_str_eq(server_config->requirepass, "");

	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
			  "argument must be between 1 and 4294967295 inclusive",
			  "bind", "0.0.0.0", "tcp-keepalive", "1", "maxclients", "0");
	ck_assert_str_eq(server_config->bind, "127.0.0.1");
	ck_assert_int_eq(server_config->tcp_keepalive, 300);
}
END_TEST

START_TEST(test_set_error_texts)
{
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'daemonize') - "
			  "can't set immutable config", "daemonize", "yes");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'shared_buffers') - "
			  "can't set immutable config", "shared_buffers", "1gb");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'Shared-Buffers') - "
			  "can't set immutable config", "Shared-Buffers", "1gb");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'dir') - "
			  "can't set immutable config", "dir", "/tmp");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'timeout') - "
			  "duplicate parameter", "timeout", "1", "timeout", "2");
	/* two spellings of one setting are one setting */
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'proto_max_bulk_len') - "
			  "duplicate parameter",
			  "proto-max-bulk-len", "2mb", "proto_max_bulk_len", "3mb");
	SET_FAILS("ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
			  "foo", "bar");
	/* an unknown name is reported before an immutable one, as Redis does */
	SET_FAILS("ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
			  "daemonize", "yes", "foo", "bar");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'timeout') - "
			  "argument couldn't be parsed into an integer", "timeout", "abc");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'timeout') - "
			  "argument couldn't be parsed into an integer", "timeout", "");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'port') - "
			  "argument must be between 0 and 65535 inclusive", "port", "-1");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
			  "argument must be between 1048576 and 9223372036854775807 inclusive",
			  "proto-max-bulk-len", "1k");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'loglevel') - "
			  "argument(s) must be one of the following: debug, verbose, notice, warning",
			  "loglevel", "foo");
	SET_FAILS("ERR CONFIG SET failed (possibly related to argument 'synchronous_commit') - "
			  "argument must be 'yes' or 'no'", "synchronous_commit", "maybe");
	/* nothing changed */
	ck_assert_int_eq(server_config->timeout, 0);
	ck_assert_int_eq(server_config->loglevel, LOG);
	ck_assert_uint_eq(atomic_load(&server_config->generation), 0);
}
END_TEST

START_TEST(test_set_reaches_other_process)
{
	pid_t		pid;
	int			status;
	uint64_t	gen = atomic_load(&server_config->generation);

	/* a "backend" forked after the segment was laid out sets a value */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		const char *names[] = {"timeout", "requirepass"};
		const char *values[] = {"9", "from-child"};
		char		err[256];

		_exit(ConfigSetPairs(2, names, values, err, sizeof(err)) ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* and this process sees it at its next read */
	ck_assert_int_eq(server_config->timeout, 9);
	ASSERT_VALUE("requirepass", "from-child");
	ck_assert_uint_eq(atomic_load(&server_config->generation), gen + 2);
	/* the private copy the postmaster parsed into is untouched */
	ck_assert_int_eq(private_copy->timeout, 0);
}
END_TEST

/* Readers never see a half-written string while another process writes. */
START_TEST(test_read_string_consistent)
{
	pid_t		pid;
	int			status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
	{
		for (int i = 0; i < 20000; i++)
		{
			const char *names[] = {"requirepass"};
			const char *values[] = {i % 2 ? "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" : "bbbbbbbbbb"};
			char		err[256];

			if (!ConfigSetPairs(1, names, values, err, sizeof(err)))
				_exit(1);
		}
		_exit(0);
	}
	for (;;)
	{
		char		buf[CONFIG_STRING_LEN];
		pid_t		w = waitpid(pid, &status, WNOHANG);

		ConfigReadString(server_config->requirepass, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, "") == 0 ||
					  strcmp(buf, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == 0 ||
					  strcmp(buf, "bbbbbbbbbb") == 0, "torn read: \"%s\"", buf);
		if (w == pid)
			break;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(atomic_load(&server_config->generation), 40000);
}
END_TEST

START_TEST(test_listen_settings)
{
	ck_assert(ConfigIsListenSetting("port"));
	ck_assert(ConfigIsListenSetting("PORT"));
	ck_assert(ConfigIsListenSetting("bind"));
	ck_assert(!ConfigIsListenSetting("timeout"));
	ck_assert(!ConfigIsListenSetting("unixsocket"));
	ck_assert(!ConfigIsListenSetting("nosuch"));
}
END_TEST

/* CONFIG GET: collect what a pattern visits. */
typedef struct Visited
{
	int			n;
	char		names[64][64];
	char		values[64][256];
} Visited;

static void
collect(const char *name, const char *value, void *arg)
{
	Visited    *v = arg;

	ck_assert_int_lt(v->n, 64);
	snprintf(v->names[v->n], sizeof(v->names[0]), "%s", name);
	snprintf(v->values[v->n], sizeof(v->values[0]), "%s", value);
	v->n++;
}

static bool
visited_has(const Visited *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->names[i], name) == 0)
			return true;
	return false;
}

static Visited *
visit(const char *pattern)
{
	static Visited v;
	int			n;

	memset(&v, 0, sizeof(v));
	n = ConfigVisitMatching(pattern, collect, &v);
	ck_assert_int_eq(n, v.n);
	return &v;
}

/*
 * The names a pattern visits are exactly the settings for which want()
 * holds, judged against the full list: new settings may appear, so counts
 * are not fixed here.
 */
static void
assert_visits_exactly(const char *pattern, bool (*want) (const char *name))
{
	Visited		all,
			   *v;

	memcpy(&all, visit("*"), sizeof(all));
	v = visit(pattern);
	for (int i = 0; i < all.n; i++)
		ck_assert_msg(want(all.names[i]) == visited_has(v, all.names[i]),
					  "pattern \"%s\" and setting \"%s\": %s", pattern, all.names[i],
					  want(all.names[i]) ? "not visited" : "visited");
	for (int i = 0; i < v->n; i++)
		ck_assert_msg(visited_has(&all, v->names[i]), "\"%s\" is not a setting",
					  v->names[i]);
}

static bool
contains_max(const char *name)
{
	return strcasestr(name, "max") != NULL;
}

static bool
starts_p_or_t(const char *name)
{
	return name[0] == 'p' || name[0] == 't';
}

static bool
starts_time(const char *name)
{
	return strncasecmp(name, "time", 4) == 0;
}

static bool
has_underscore_or_dash(const char *name)
{
	return strchr(name, '_') != NULL || strchr(name, '-') != NULL;
}

START_TEST(test_get_patterns)
{
	Visited    *v;

	v = visit("timeout");
	ck_assert_int_eq(v->n, 1);
	ck_assert_str_eq(v->names[0], "timeout");
	ck_assert_str_eq(v->values[0], "0");

	/* case-insensitive, reported under the canonical name */
	assert_visits_exactly("TIME*", starts_time);
	ck_assert(visited_has(visit("TIME*"), "timeout"));

	assert_visits_exactly("*max*", contains_max);
	v = visit("*max*");
	ck_assert(visited_has(v, "maxclients"));
	ck_assert(visited_has(v, "proto-max-bulk-len"));

	/* either spelling of the separator matches, each setting once */
	v = visit("proto_max*");
	ck_assert_int_eq(v->n, 1);
	ck_assert_str_eq(v->names[0], "proto-max-bulk-len");
	ck_assert_str_eq(v->values[0], "536870912");
	v = visit("shared-buffers");
	ck_assert_int_eq(v->n, 1);
	ck_assert_str_eq(v->names[0], "shared_buffers");
	v = visit("SHARED_BUFFERS");
	ck_assert_int_eq(v->n, 1);
	assert_visits_exactly("*_*", has_underscore_or_dash);
	assert_visits_exactly("*-*", has_underscore_or_dash);
	v = visit("*_*");
	ck_assert(visited_has(v, "shared_buffers"));
	ck_assert(visited_has(v, "client-query-buffer-limit"));

	v = visit("?ort");
	ck_assert_int_eq(v->n, 1);
	ck_assert_str_eq(v->names[0], "port");
	ck_assert_str_eq(v->values[0], "6379");

	assert_visits_exactly("[pt]*", starts_p_or_t);
	v = visit("[pt]*");
	ck_assert(visited_has(v, "port"));
	ck_assert(visited_has(v, "proto-max-bulk-len"));
	ck_assert(visited_has(v, "tcp-backlog"));
	ck_assert(visited_has(v, "tcp-keepalive"));
	ck_assert(visited_has(v, "timeout"));

	v = visit("nomatch*");
	ck_assert_int_eq(v->n, 0);

	/* every setting, each once */
	v = visit("*");
	ck_assert_int_ge(v->n, 21);
	for (int i = 0; i < v->n; i++)
		for (int j = i + 1; j < v->n; j++)
			ck_assert_str_ne(v->names[i], v->names[j]);
	ck_assert(visited_has(v, "requirepass"));
	ck_assert(visited_has(v, "synchronous_commit"));
	ck_assert(visited_has(v, "unixsocketperm"));

	/* values follow CONFIG SET */
	SET_OK("timeout", "42", "requirepass", "pw");
	v = visit("timeout");
	ck_assert_str_eq(v->values[0], "42");
	v = visit("requirepass");
	ck_assert_str_eq(v->values[0], "pw");
}
END_TEST

START_TEST(test_get_value_unknown)
{
	char		buf[64];

	ck_assert(!ConfigGetValue("nosuch", buf, sizeof(buf)));
	ck_assert(!ConfigGetValue("", buf, sizeof(buf)));
}
END_TEST

static Suite *
settings_suite(void)
{
	Suite	   *s = suite_create("settings");
	TCase	   *tc = tcase_create("startup");
	TCase	   *te = tcase_create("startup-errors");
	TCase	   *ts = tcase_create("shared");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, startup_setup, NULL);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_args_basic);
	tcase_add_test(tc, test_args_name_spelling);
	tcase_add_test(tc, test_args_values_with_spaces);
	tcase_add_test(tc, test_args_value_quoting);
	tcase_add_test(tc, test_args_last_wins);
	tcase_add_test(tc, test_config_file);
	tcase_add_test(tc, test_memory_units);
	tcase_add_test(tc, test_startup_error_messages);
	suite_add_tcase(s, tc);

	tcase_set_timeout(te, 60);
	tcase_add_checked_fixture(te, startup_setup, NULL);
	tcase_add_exit_test(te, test_exit_unknown_option, 1);
	tcase_add_exit_test(te, test_exit_bad_integer, 1);
	tcase_add_exit_test(te, test_exit_out_of_range, 1);
	tcase_add_exit_test(te, test_exit_missing_value, 1);
	tcase_add_exit_test(te, test_exit_too_many_words, 1);
	tcase_add_exit_test(te, test_exit_bad_memory, 1);
	tcase_add_exit_test(te, test_exit_memory_below_minimum, 1);
	tcase_add_exit_test(te, test_exit_bad_enum, 1);
	tcase_add_exit_test(te, test_exit_bad_bool, 1);
	tcase_add_exit_test(te, test_exit_missing_file, 1);
	tcase_add_exit_test(te, test_exit_value_without_option, 1);
	tcase_add_exit_test(te, test_exit_file_unbalanced_quotes, 1);
	tcase_add_exit_test(te, test_exit_file_bad_line, 1);
	tcase_add_exit_test(te, test_exit_too_long_string, 1);
	suite_add_tcase(s, te);

	tcase_set_timeout(ts, 60);
	tcase_add_checked_fixture(ts, shared_setup, shared_teardown);
	tcase_add_test(ts, test_shared_copy);
	tcase_add_test(ts, test_set_basic);
	tcase_add_test(ts, test_set_atomic);
	tcase_add_test(ts, test_set_error_texts);
	tcase_add_test(ts, test_set_reaches_other_process);
	tcase_add_test(ts, test_read_string_consistent);
	tcase_add_test(ts, test_listen_settings);
	tcase_add_test(ts, test_get_patterns);
	tcase_add_test(ts, test_get_value_unknown);
	suite_add_tcase(s, ts);
	return s;
}

int
main(void)
{
	SRunner    *sr;
	int			failed;

	if (!make_tmpdir())
	{
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(settings_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tmpdir();
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
