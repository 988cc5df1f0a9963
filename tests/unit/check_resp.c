/*
 * check_resp.c
 *	  Unit tests for server/resp.c on bytes, without sockets: multibulk and
 *	  inline requests, pipelines, requests split at every byte boundary and
 *	  at random ones, binary arguments, empty requests, every protocol error
 *	  with the text redis-server 7.0 sends, and inline quoting.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child, so a crash in the
 *	  parser fails one test. The expected error texts and the quirks tested
 *	  here (no check of the CRLF after a bulk payload, '*' lines ended by
 *	  '\n' alone) were checked against redis-server 7.0.15 by sending the same
 *	  bytes to it. Random tests print their seed; set TUSK_TEST_SEED to
 *	  replay one.
 *
 *	  The driver below plays the backend: it hands the parser the bytes of
 *	  the current request from its first byte, and copies them to a fresh
 *	  allocation of exactly that size before every call, so a parser that
 *	  kept a pointer into the previous buffer, or read past `len`, is caught
 *	  (by a wrong result here, by ASan/valgrind when run under them).
 */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/resp.h"

#define MAX_BULK_DEFAULT (512LL * 1024 * 1024)

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static size_t
rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t) (rng_next() % n);
}

static uint64_t
seed_rng(const char *test)
{
	const char *env = getenv("TUSK_TEST_SEED");
	uint64_t	seed;

	if (env != NULL)
		seed = strtoull(env, NULL, 0);
	else
		seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
	rng_state = seed;
	fprintf(stderr, "%s: seed %" PRIu64 " (TUSK_TEST_SEED=%" PRIu64 " to replay)\n",
			test, seed, seed);
	return seed;
}

/* A byte string that records what the parser produced, binary-safe. */
typedef struct Trace
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Trace;

static void
trace_add(Trace *t, const void *d, size_t n)
{
	if (t->len + n + 1 > t->cap)
	{
		size_t		cap = t->cap ? t->cap : 256;

		while (cap < t->len + n + 1)
			cap *= 2;
		t->data = realloc(t->data, cap);
		ck_assert_ptr_nonnull(t->data);
		t->cap = cap;
	}
	memcpy(t->data + t->len, d, n);
	t->len += n;
	t->data[t->len] = '\0';
}

static void
trace_printf(Trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
trace_printf(Trace *t, const char *fmt, ...)
{
	char		buf[512];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	trace_add(t, buf, (size_t) n);
}

static void
trace_free(Trace *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

/*
 * Check the invariants of one result and append it to the trace:
 * "R<argc> c<consumed> [len]bytes..." for a request, "E c<consumed>" for an
 * empty one, "X<error>" for an error.
 */
static void
record(Trace *t, RespStatus st, const RespParser *p, const char *req, size_t len)
{
	switch (st)
	{
		case RESP_REQUEST:
			ck_assert_int_gt(p->argc, 0);
			ck_assert_uint_gt(p->consumed, 0);
			ck_assert_uint_le(p->consumed, len);
			trace_printf(t, "R%d c%zu", p->argc, p->consumed);
			for (int i = 0; i < p->argc; i++)
			{
				const char *a = RespArgPtr(p, req, i);
				size_t		alen = RespArgLen(p, i);

				if (!p->inline_argv)
				{
					/* multibulk arguments lie inside this request */
					ck_assert_uint_le(p->argv[i].offset + p->argv[i].len, p->consumed);
				}
				trace_printf(t, " [%zu]", alen);
				trace_add(t, a, alen);
			}
			trace_add(t, "\n", 1);
			break;
		case RESP_EMPTY:
			ck_assert_uint_gt(p->consumed, 0);
			ck_assert_uint_le(p->consumed, len);
			trace_printf(t, "E c%zu\n", p->consumed);
			break;
		case RESP_ERROR:
			ck_assert_ptr_nonnull(p->error);
			trace_printf(t, "X%s\n", p->error);
			break;
		case RESP_NEED_MORE:
			ck_abort_msg("record() called for RESP_NEED_MORE");
	}
}

typedef struct ParseOpts
{
	bool		authenticated;
	long long	max_bulk_len;
} ParseOpts;

static const ParseOpts default_opts = {true, MAX_BULK_DEFAULT};
static const ParseOpts unauth_opts = {false, MAX_BULK_DEFAULT};

/*
 * Feed buf[0..len) in chunks whose sizes come from next_chunk (NULL: all at
 * once) and record every result; stop at the first error. The trace ends
 * with "N<bytes left over>".
 */
typedef size_t (*ChunkFn) (void *arg);

static void
parse_stream(const char *buf, size_t len, ParseOpts opts, ChunkFn next_chunk,
			 void *arg, Trace *t)
{
	RespParser	p;
	size_t		start = 0,
				avail = 0;
	bool		need_bytes = true;

	RespParserInit(&p, opts.max_bulk_len);
	p.authenticated = opts.authenticated;
	for (;;)
	{
		char	   *copy;
		size_t		have;
		RespStatus	st;

		if (need_bytes)
		{
			size_t		chunk;

			if (avail == len)
			{
				trace_printf(t, "N%zu\n", len - start);
				break;
			}
			chunk = next_chunk ? next_chunk(arg) : len;
			if (chunk == 0)
				chunk = 1;
			if (chunk > len - avail)
				chunk = len - avail;
			avail += chunk;
		}
		have = avail - start;
		/* a fresh allocation of exactly the bytes received, every call */
		copy = malloc(have ? have : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf + start, have);
		p.authenticated = opts.authenticated;
		p.max_bulk_len = opts.max_bulk_len;
		st = RespParse(&p, copy, have);
		if (st == RESP_NEED_MORE)
		{
			free(copy);
			need_bytes = true;
			continue;
		}
		record(t, st, &p, copy, have);
		free(copy);
		if (st == RESP_ERROR)
			break;
		start += p.consumed;
		RespParserReset(&p);
		need_bytes = false;		/* more requests may be here already */
	}
	RespParserFree(&p);
}

static size_t
chunk_one(void *arg)
{
	return 1;
}

/* Deliver the first *(size_t *) arg bytes, then the rest. */
static size_t
chunk_split(void *arg)
{
	size_t	   *first = arg;
	size_t		n = *first;

	*first = (size_t) -1 / 2;
	return n;
}

static size_t
chunk_random(void *arg)
{
	size_t		max = *(size_t *) arg;

	return 1 + rng_below(max);
}

/* Parse the whole buffer at once and return the trace (caller frees). */
static Trace
trace_whole(const char *buf, size_t len, ParseOpts opts)
{
	Trace		t = {0};

	parse_stream(buf, len, opts, NULL, NULL, &t);
	return t;
}

static void
assert_trace_eq(const Trace *got, const char *want, size_t wantlen)
{
	if (got->len != wantlen || memcmp(got->data, want, wantlen) != 0)
		ck_abort_msg("parser trace differs\n--- got (%zu bytes):\n%.*s--- want (%zu bytes):\n%.*s",
					 got->len, (int) got->len, got->data, wantlen, (int) wantlen, want);
}

static void
assert_trace(const char *buf, size_t len, ParseOpts opts, const char *want, size_t wantlen)
{
	Trace		t = trace_whole(buf, len, opts);

	assert_trace_eq(&t, want, wantlen);
	trace_free(&t);
}

/* ASSERT_TRACE("request bytes", opts, "expected trace"), both literals */
#define ASSERT_TRACE(lit, opts, want) \
	assert_trace((lit), sizeof(lit) - 1, (opts), (want), sizeof(want) - 1)

#define S(lit) (lit), (sizeof(lit) - 1)

/*
 * Parse one buffer in one call with a fresh parser and return the status;
 * *pp is left for inspection (caller frees).
 */
static RespStatus
parse_once(RespParser *p, const char *buf, size_t len, ParseOpts opts)
{
	RespParserInit(p, opts.max_bulk_len);
	p->authenticated = opts.authenticated;
	return RespParse(p, buf, len);
}

/* Assert the request in buf gives exactly this protocol error text. */
static void
assert_error(const char *buf, size_t len, ParseOpts opts, const char *text)
{
	RespParser	p;
	RespStatus	st = parse_once(&p, buf, len, opts);

	ck_assert_msg(st == RESP_ERROR, "expected error \"%s\", got status %d for %.*s",
				  text, (int) st, (int) (len < 60 ? len : 60), buf);
	ck_assert_str_eq(p.error, text);
	RespParserFree(&p);

	/* the same error whatever the chunking */
	{
		Trace		whole = trace_whole(buf, len, opts);
		Trace		bytes = {0};

		parse_stream(buf, len, opts, chunk_one, NULL, &bytes);
		assert_trace_eq(&bytes, whole.data, whole.len);
		trace_free(&whole);
		trace_free(&bytes);
	}
}

static void
assert_need_more(const char *buf, size_t len, ParseOpts opts)
{
	RespParser	p;
	RespStatus	st = parse_once(&p, buf, len, opts);

	ck_assert_msg(st == RESP_NEED_MORE, "expected RESP_NEED_MORE, got %d (%s) for %.*s",
				  (int) st, st == RESP_ERROR ? p.error : "", (int) (len < 60 ? len : 60), buf);
	RespParserFree(&p);
}

/* Build a buffer: prefix, then n copies of byte c, then suffix. */
static char *
make_run(const char *prefix, char c, size_t n, const char *suffix, size_t *lenp)
{
	size_t		plen = strlen(prefix),
				slen = strlen(suffix);
	char	   *buf = malloc(plen + n + slen);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, prefix, plen);
	memset(buf + plen, c, n);
	memcpy(buf + plen + n, suffix, slen);
	*lenp = plen + n + slen;
	return buf;
}

/* ------------------------------------------------------------ well-formed */

START_TEST(test_multibulk_simple)
{
	RespParser	p;
	const char	req[] = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
	RespStatus	st = parse_once(&p, req, sizeof(req) - 1, default_opts);

	ck_assert_int_eq(st, RESP_REQUEST);
	ck_assert_int_eq(p.argc, 2);
	ck_assert_uint_eq(p.consumed, sizeof(req) - 1);
	ck_assert_ptr_null(p.inline_argv);
	ck_assert_uint_eq(RespArgLen(&p, 0), 4);
	ck_assert(memcmp(RespArgPtr(&p, req, 0), "ECHO", 4) == 0);
	ck_assert_uint_eq(RespArgLen(&p, 1), 5);
	ck_assert(memcmp(RespArgPtr(&p, req, 1), "hello", 5) == 0);
	/* offsets are from the request's first byte */
	ck_assert_uint_eq(p.argv[0].offset, 8);
	ck_assert_uint_eq(p.argv[1].offset, 18);
	RespParserFree(&p);

	ASSERT_TRACE("*1\r\n$4\r\nPING\r\n", default_opts, "R1 c14 [4]PING\nN0\n");
	/* a zero-length argument */
	ASSERT_TRACE("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", default_opts,
				 "R2 c20 [4]ECHO [0]\nN0\n");
	/* trailing bytes of the next request are left alone */
	ASSERT_TRACE("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI", default_opts,
				 "R1 c14 [4]PING\nN10\n");
}
END_TEST

START_TEST(test_inline_simple)
{
	RespParser	p;
	const char	req[] = "SET key value\r\n";
	RespStatus	st = parse_once(&p, req, sizeof(req) - 1, default_opts);

	ck_assert_int_eq(st, RESP_REQUEST);
	ck_assert_int_eq(p.argc, 3);
	ck_assert_uint_eq(p.consumed, sizeof(req) - 1);
	ck_assert_ptr_nonnull(p.inline_argv);
	ck_assert_str_eq(RespArgPtr(&p, req, 0), "SET");
	ck_assert_str_eq(RespArgPtr(&p, req, 2), "value");
	RespParserFree(&p);

	/* "\n" alone ends a line; "\r" alone does not */
	ASSERT_TRACE("PING\n", default_opts, "R1 c5 [4]PING\n" "N0\n");
	ASSERT_TRACE("PING\r", default_opts, "N5\n");
	ASSERT_TRACE("PING", default_opts, "N4\n");
	/* several blanks, tabs between words; leading blanks */
	ASSERT_TRACE("  ECHO \t  x  \r\n", default_opts, "R2 c15 [4]ECHO [1]x\nN0\n");
	/* '\r' inside the line separates words, as in Redis */
	ASSERT_TRACE("PING\rx\r\n", default_opts, "R2 c8 [4]PING [1]x\nN0\n");
	/* vertical tab is part of a word (Redis splits only on " \n\r\t") */
	ASSERT_TRACE("ECHO a\vb\r\n", default_opts, "R2 c10 [4]ECHO [3]a\vb\nN0\n");
}
END_TEST

START_TEST(test_pipelined)
{
	const char	buf[] =
		"*1\r\n$4\r\nPING\r\n"
		"PING inline\r\n"
		"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n"
		"\r\n"
		"*0\r\n"
		"ECHO \"x y\"\n"
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";

	static const char want[] =
				 "R1 c14 [4]PING\n"
				 "R2 c13 [4]PING [6]inline\n"
				 "R2 c23 [4]ECHO [3]abc\n"
				 "E c2\n"
				 "E c4\n"
				 "R2 c11 [4]ECHO [3]x y\n"
				 "R3 c27 [3]SET [1]k [1]v\n"
				 "N0\n";

	assert_trace(buf, sizeof(buf) - 1, default_opts, want, sizeof(want) - 1);
}
END_TEST

/* One buffer with every well-formed shape, for the chunking tests. */
static char *
well_formed_stream(size_t *lenp)
{
	static const char parts[] =
		"*1\r\n$4\r\nPING\r\n"
		"*3\r\n$3\r\nSET\r\n$5\r\na\0\r\nb\r\n$4\r\n\r\n\r\n\r\n"
		"PING inline\r\n"
		"\r\n"
		"\n"
		"   \r\n"
		"*0\r\n"
		"*-1\r\n"
		"ECHO \"a b\" 'c d' \"\\x41\\n\"\r\n"
		"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"
		"*1\r\n$4\r\nPINGxx"	/* Redis does not check the CRLF */
		"*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n"
		"ECHO x\n"
		"*1\r\n$4\r\nPING\r\n";
	char	   *buf = malloc(sizeof(parts));

	memcpy(buf, parts, sizeof(parts) - 1);
	*lenp = sizeof(parts) - 1;
	return buf;
}

START_TEST(test_well_formed_stream_trace)
{
	size_t		len;
	char	   *buf = well_formed_stream(&len);
	Trace		t = trace_whole(buf, len, default_opts);
	static const char want[] =
		"R1 c14 [4]PING\n"
		"R3 c34 [3]SET [5]a\0\r\nb [4]\r\n\r\n\n"
		"R2 c13 [4]PING [6]inline\n"
		"E c2\n"
		"E c1\n"
		"E c5\n"
		"E c4\n"
		"E c5\n"
		"R4 c27 [4]ECHO [3]a b [3]c d [2]A\n\n"
		"R2 c20 [4]ECHO [0]\n"
		"R1 c14 [4]PING\n"
		"R2 c31 [4]ECHO [10]0123456789\n"
		"R2 c7 [4]ECHO [1]x\n"
		"R1 c14 [4]PING\n"
		"N0\n";

	assert_trace_eq(&t, want, sizeof(want) - 1);
	trace_free(&t);
	free(buf);
}
END_TEST

START_TEST(test_split_every_byte)
{
	size_t		len;
	char	   *buf = well_formed_stream(&len);
	Trace		whole = trace_whole(buf, len, default_opts);
	Trace		t = {0};

	/* one byte at a time */
	parse_stream(buf, len, default_opts, chunk_one, NULL, &t);
	assert_trace_eq(&t, whole.data, whole.len);
	trace_free(&t);

	/* every two-piece split */
	for (size_t k = 1; k < len; k++)
	{
		size_t		first = k;

		parse_stream(buf, len, default_opts, chunk_split, &first, &t);
		if (t.len != whole.len || memcmp(t.data, whole.data, t.len) != 0)
			ck_abort_msg("split after byte %zu differs:\n%.*s", k, (int) t.len, t.data);
		trace_free(&t);
	}
	trace_free(&whole);
	free(buf);
}
END_TEST

START_TEST(test_split_random)
{
	size_t		len;
	char	   *buf = well_formed_stream(&len);
	Trace		whole = trace_whole(buf, len, default_opts);

	seed_rng("test_split_random");
	for (int iter = 0; iter < 2000; iter++)
	{
		Trace		t = {0};
		size_t		max = 1 + rng_below(40);

		parse_stream(buf, len, default_opts, chunk_random, &max, &t);
		if (t.len != whole.len || memcmp(t.data, whole.data, t.len) != 0)
			ck_abort_msg("iteration %d (max chunk %zu) differs:\n%.*s", iter, max,
						 (int) t.len, t.data);
		trace_free(&t);
	}
	trace_free(&whole);
	free(buf);
}
END_TEST

/*
 * Random well-formed requests (multibulk with random binary arguments,
 * inline words), concatenated, then parsed with random chunkings: every
 * argument must come back byte for byte.
 */
START_TEST(test_random_requests_random_chunks)
{
	seed_rng("test_random_requests_random_chunks");
	for (int iter = 0; iter < 300; iter++)
	{
		Trace		want = {0},
					got = {0};
		Trace		buf = {0};
		int			nreq = 1 + (int) rng_below(20);

		for (int r = 0; r < nreq; r++)
		{
			if (rng_below(4) == 0)
			{
				/* inline: words of [a-z0-9] */
				int			nwords = 1 + (int) rng_below(5);
				size_t		start = buf.len;

				trace_printf(&want, "R%d c", nwords);
				{
					Trace		words = {0};

					for (int w = 0; w < nwords; w++)
					{
						size_t		wl = 1 + rng_below(12);
						char		word[16];

						for (size_t i = 0; i < wl; i++)
							word[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng_below(36)];
						if (w > 0)
							trace_add(&buf, " ", 1);
						trace_add(&buf, word, wl);
						trace_printf(&words, " [%zu]", wl);
						trace_add(&words, word, wl);
					}
					trace_add(&buf, "\r\n", 2);
					trace_printf(&want, "%zu", buf.len - start);
					trace_add(&want, words.data, words.len);
					trace_add(&want, "\n", 1);
					trace_free(&words);
				}
			}
			else
			{
				int			nargs = 1 + (int) rng_below(6);
				size_t		start = buf.len;
				Trace		args = {0};

				trace_printf(&buf, "*%d\r\n", nargs);
				for (int a = 0; a < nargs; a++)
				{
					size_t		al = rng_below(4) == 0 ? rng_below(3000) : rng_below(20);
					char	   *arg = malloc(al + 1);

					for (size_t i = 0; i < al; i++)
					{
						/* bias towards the bytes that matter */
						static const char special[] = "\r\n\0*$ \"'";

						arg[i] = rng_below(3) == 0 ? special[rng_below(sizeof(special) - 1)]
							: (char) rng_below(256);
					}
					trace_printf(&buf, "$%zu\r\n", al);
					trace_add(&buf, arg, al);
					trace_add(&buf, "\r\n", 2);
					trace_printf(&args, " [%zu]", al);
					trace_add(&args, arg, al);
					free(arg);
				}
				trace_printf(&want, "R%d c%zu", nargs, buf.len - start);
				trace_add(&want, args.data, args.len);
				trace_add(&want, "\n", 1);
				trace_free(&args);
			}
		}
		trace_add(&want, "N0\n", 3);

		{
			size_t		max = 1 + rng_below(rng_below(2) ? 16 : 4096);

			parse_stream(buf.data, buf.len, default_opts, chunk_random, &max, &got);
		}
		if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
			ck_abort_msg("iteration %d: random requests parsed differently", iter);
		trace_free(&got);
		got = trace_whole(buf.data, buf.len, default_opts);
		ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
					  "iteration %d: whole-buffer parse differs", iter);
		trace_free(&got);
		trace_free(&want);
		trace_free(&buf);
	}
}
END_TEST

START_TEST(test_binary_args)
{
	static const char req[] =
		"*4\r\n$3\r\nSET\r\n$3\r\n\0\0\0\r\n$6\r\n\r\n\r\n\r\n\r\n$5\r\n$1\r\n*\r\n";
	RespParser	p;
	RespStatus	st = parse_once(&p, req, sizeof(req) - 1, default_opts);

	ck_assert_int_eq(st, RESP_REQUEST);
	ck_assert_int_eq(p.argc, 4);
	ck_assert_uint_eq(p.consumed, sizeof(req) - 1);
	ck_assert_uint_eq(RespArgLen(&p, 1), 3);
	ck_assert(memcmp(RespArgPtr(&p, req, 1), "\0\0\0", 3) == 0);
	ck_assert_uint_eq(RespArgLen(&p, 2), 6);
	ck_assert(memcmp(RespArgPtr(&p, req, 2), "\r\n\r\n\r\n", 6) == 0);
	ck_assert_uint_eq(RespArgLen(&p, 3), 5);
	ck_assert(memcmp(RespArgPtr(&p, req, 3), "$1\r\n*", 5) == 0);
	RespParserFree(&p);

	/* all 256 byte values in one argument */
	{
		char		buf[300];
		int			off = snprintf(buf, sizeof(buf), "*1\r\n$256\r\n");

		for (int i = 0; i < 256; i++)
			buf[off + i] = (char) i;
		memcpy(buf + off + 256, "\r\n", 2);
		st = parse_once(&p, buf, (size_t) off + 258, default_opts);
		ck_assert_int_eq(st, RESP_REQUEST);
		ck_assert_uint_eq(RespArgLen(&p, 0), 256);
		for (int i = 0; i < 256; i++)
			ck_assert_int_eq((unsigned char) RespArgPtr(&p, buf, 0)[i], i);
		RespParserFree(&p);
	}
}
END_TEST

START_TEST(test_large_argument)
{
	/* 3 MiB argument, delivered in 64 KiB pieces: progress is kept */
	size_t		n = 3 * 1024 * 1024,
				len;
	char		prefix[64];
	char	   *buf;
	Trace		t = {0};
	size_t		chunk = 64 * 1024;

	snprintf(prefix, sizeof(prefix), "*2\r\n$4\r\nECHO\r\n$%zu\r\n", n);
	buf = make_run(prefix, 'z', n, "\r\n", &len);
	{
		RespParser	p;
		RespStatus	st = parse_once(&p, buf, len - 1, default_opts);

		ck_assert_int_eq(st, RESP_NEED_MORE);
		/* the parser remembers where the payload starts */
		ck_assert_int_eq(p.bulk_len, (long long) n);
		st = RespParse(&p, buf, len);
		ck_assert_int_eq(st, RESP_REQUEST);
		ck_assert_uint_eq(RespArgLen(&p, 1), n);
		ck_assert_uint_eq(p.consumed, len);
		RespParserFree(&p);
	}
	parse_stream(buf, len, default_opts, chunk_random, &chunk, &t);
	{
		char		head[64];
		int			hl = snprintf(head, sizeof(head), "R2 c%zu [4]ECHO [%zu]", len, n);

		ck_assert_uint_eq(t.len, (size_t) hl + n + 1 + 3);
		ck_assert(memcmp(t.data, head, (size_t) hl) == 0);
	}
	trace_free(&t);
	free(buf);
}
END_TEST

/*
 * A million arguments in one buffer (7 MB): linear. A header search that
 * scanned the rest of the buffer for a NUL before every argument made this
 * quadratic (minutes; the test hits Check's timeout).
 */
START_TEST(test_many_arguments)
{
	Trace		buf = {0};
	RespParser	p;
	RespStatus	st;
	int			n = 1000000;

	trace_printf(&buf, "*%d\r\n", n);
	for (int i = 0; i < n; i++)
	{
		char		arg[16];
		int			al = snprintf(arg, sizeof(arg), "%d", i);

		trace_printf(&buf, "$%d\r\n%s\r\n", al, arg);
	}
	st = parse_once(&p, buf.data, buf.len, default_opts);
	ck_assert_int_eq(st, RESP_REQUEST);
	ck_assert_int_eq(p.argc, n);
	for (int i = 0; i < n; i++)
	{
		char		arg[16];
		int			al = snprintf(arg, sizeof(arg), "%d", i);

		ck_assert_uint_eq(RespArgLen(&p, i), (size_t) al);
		ck_assert(memcmp(RespArgPtr(&p, buf.data, i), arg, (size_t) al) == 0);
	}
	RespParserFree(&p);
	trace_free(&buf);
}
END_TEST

START_TEST(test_empty_requests)
{
	RespParser	p;

	ck_assert_int_eq(parse_once(&p, S("\r\n"), default_opts), RESP_EMPTY);
	ck_assert_uint_eq(p.consumed, 2);
	ck_assert_int_eq(p.argc, 0);
	RespParserFree(&p);
	ck_assert_int_eq(parse_once(&p, S("\n"), default_opts), RESP_EMPTY);
	ck_assert_uint_eq(p.consumed, 1);
	RespParserFree(&p);
	ck_assert_int_eq(parse_once(&p, S(" \t \r\n"), default_opts), RESP_EMPTY);
	ck_assert_uint_eq(p.consumed, 5);
	RespParserFree(&p);
	ck_assert_int_eq(parse_once(&p, S("*0\r\n"), default_opts), RESP_EMPTY);
	ck_assert_uint_eq(p.consumed, 4);
	RespParserFree(&p);
	ck_assert_int_eq(parse_once(&p, S("*-1\r\n"), default_opts), RESP_EMPTY);
	ck_assert_uint_eq(p.consumed, 5);
	RespParserFree(&p);
	/* Redis treats any count <= 0 as empty */
	ck_assert_int_eq(parse_once(&p, S("*-5\r\n"), default_opts), RESP_EMPTY);
	ck_assert_uint_eq(p.consumed, 5);
	RespParserFree(&p);
	/* unauthenticated clients may send them too */
	ck_assert_int_eq(parse_once(&p, S("*0\r\n"), unauth_opts),
					 RESP_EMPTY);
	RespParserFree(&p);
	/* the empty buffer needs more */
	ck_assert_int_eq(parse_once(&p, "", 0, default_opts), RESP_NEED_MORE);
	RespParserFree(&p);

	/* an empty request followed by a real one */
	ASSERT_TRACE("*0\r\nPING\r\n", default_opts, "E c4\nR1 c6 [4]PING\nN0\n");
	ASSERT_TRACE("*-1\r\n*1\r\n$4\r\nPING\r\n", default_opts, "E c5\nR1 c14 [4]PING\nN0\n");
	ASSERT_TRACE("\r\n\r\nPING\r\n", default_opts, "E c2\nE c2\nR1 c6 [4]PING\nN0\n");
}
END_TEST

/* Redis 7.0 quirks, checked against redis-server 7.0.15. */
START_TEST(test_redis_quirks)
{
	/* the two bytes after a bulk payload are not checked */
	ASSERT_TRACE("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", default_opts,
				 "R1 c14 [4]PING\nR1 c14 [4]PING\n" "N0\n");
	/* a bulk request may end with "\n\n" */
	ASSERT_TRACE("*1\r\n$4\r\nPING\n\n", default_opts, "R1 c14 [4]PING\nN0\n");
	/* header lines are found by their '\r': "*1\n$4\r\n" is one bad count */
	assert_error(S("*1\n$4\r\nPING\r\n"), default_opts, "invalid multibulk length");
	/* a quoted command name is still the command */
	ASSERT_TRACE("\"PING\"\r\n", default_opts, "R1 c8 [4]PING\nN0\n");
}
END_TEST

/*
 * Redis finds line ends with strchr(), which stops at a NUL: a NUL before
 * the end of an inline request or of a '*' / '$' header line means "no line
 * end yet" (redis-server 7.0.15 leaves "ECHO a\0b\r\n" and "*1\0\r\n"
 * unanswered, and says "too big ..." once 64 KiB have piled up). NUL bytes
 * inside bulk payloads are ordinary data (test_binary_args).
 */
START_TEST(test_inline_nul_waits)
{
	size_t		len;
	char	   *buf;

	assert_need_more(S("ECHO a\0b\r\n"), default_opts);
	assert_need_more(S("ECHO \"a\0b\"\r\n"), default_opts);
	assert_need_more(S("\0\r\n"), default_opts);
	/* the request before it is still answered */
	ASSERT_TRACE("PING\r\nECHO a\0b\r\nPING\r\n", default_opts, "R1 c6 [4]PING\nN16\n");
	buf = make_run("ECHO a", 'b', RESP_INLINE_MAX_SIZE, "\r\n", &len);
	buf[6] = '\0';
	assert_error(buf, len, default_opts, "too big inline request");
	free(buf);
}
END_TEST

/* The same for the '*' and '$' header lines of a multibulk request. */
START_TEST(test_nul_in_header_line_waits)
{
	size_t		len;
	char	   *buf;

	assert_need_more(S("*1\0\r\n"), default_opts);
	assert_need_more(S("*1\r\n$4\0\r\nPING\r\n"), default_opts);
	buf = make_run("*1", '1', RESP_INLINE_MAX_SIZE, "\r\n", &len);
	buf[2] = '\0';
	assert_error(buf, len, default_opts, "too big mbulk count string");
	free(buf);
	buf = make_run("*1\r\n$4", '1', RESP_INLINE_MAX_SIZE, "\r\n", &len);
	buf[6] = '\0';
	assert_error(buf, len, default_opts, "too big bulk count string");
	free(buf);
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(test_error_invalid_multibulk_length)
{
	assert_error(S("*x\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("*\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("*1x\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("*01\r\n$4\r\nPING\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("*+1\r\n$4\r\nPING\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("* 1\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("*2147483648\r\n"), default_opts, "invalid multibulk length");
	assert_error(S("*99999999999999999999999\r\n"), default_opts, "invalid multibulk length");
	/* the same for unauthenticated clients: the count is parsed first */
	assert_error(S("*2147483648\r\n"), unauth_opts,
				 "invalid multibulk length");
}
END_TEST

/*
 * redis-server 7.0 accepts a multibulk count up to INT_MAX (networking.c:
 * "ll > INT_MAX"); 6.x capped it at 1024*1024. Sent "*2000000\r\n", 7.0.15
 * waits for the arguments, and tells an unauthenticated client
 * "unauthenticated multibulk length".
 */
START_TEST(test_multibulk_count_limit_is_int_max)
{
	assert_need_more(S("*1048576\r\n"), default_opts);
	assert_need_more(S("*1048577\r\n"), default_opts);
	assert_need_more(S("*2000000\r\n"), default_opts);
	assert_need_more(S("*2147483647\r\n"), default_opts);
	assert_error(S("*2000000\r\n"), unauth_opts,
				 "unauthenticated multibulk length");
}
END_TEST

START_TEST(test_error_expected_dollar)
{
	assert_error(S("*1\r\nx\r\n"), default_opts, "expected '$', got 'x'");
	assert_error(S("*2\r\n$4\r\nECHO\r\n:1\r\n"), default_opts, "expected '$', got ':'");
	assert_error(S("*1\r\n*1\r\n"), default_opts, "expected '$', got '*'");
	/* the raw byte; the reply writer turns '\r' into a space (check_reply) */
	assert_error(S("*1\r\n\r\n\r\n"), default_opts, "expected '$', got '\r'");
	/* Redis waits for a whole line before looking at the '$' */
	assert_need_more(S("*1\r\nx"), default_opts);
	assert_need_more(S("*1\r\nxyz\r"), default_opts);
}
END_TEST

START_TEST(test_error_invalid_bulk_length)
{
	ParseOpts	small = {true, 1024 * 1024};

	assert_error(S("*1\r\n$x\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$-1\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$-100\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$04\r\nPING\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$ 4\r\nPING\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$4x\r\nPING\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*2\r\n$4\r\nECHO\r\n$y\r\n"), default_opts, "invalid bulk length");
	/* more than proto-max-bulk-len (512mb by default) */
	assert_need_more(S("*1\r\n$536870912\r\n"), default_opts);
	assert_error(S("*1\r\n$536870913\r\n"), default_opts, "invalid bulk length");
	assert_error(S("*1\r\n$600000000\r\n"), default_opts, "invalid bulk length");
	assert_need_more(S("*1\r\n$1048576\r\n"), small);
	assert_error(S("*1\r\n$1048577\r\n"), small, "invalid bulk length");
	assert_error(S("*1\r\n$99999999999999999999999\r\n"), default_opts, "invalid bulk length");
}
END_TEST

START_TEST(test_error_too_big_inline)
{
	size_t		len;
	char	   *buf;

	/* exactly 64 KiB without a newline: still waiting */
	buf = make_run("", 'A', RESP_INLINE_MAX_SIZE, "", &len);
	assert_need_more(buf, len, default_opts);
	free(buf);
	buf = make_run("", 'A', RESP_INLINE_MAX_SIZE + 1, "", &len);
	assert_error(buf, len, default_opts, "too big inline request");
	free(buf);
	buf = make_run("SET k ", 'v', 70000, "", &len);
	assert_error(buf, len, default_opts, "too big inline request");
	free(buf);
	/* a long line that does end is fine when it arrives whole */
	buf = make_run("ECHO ", 'v', 70000, "\r\n", &len);
	{
		RespParser	p;

		ck_assert_int_eq(parse_once(&p, buf, len, default_opts), RESP_REQUEST);
		ck_assert_uint_eq(RespArgLen(&p, 1), 70000);
		RespParserFree(&p);
	}
	free(buf);
}
END_TEST

START_TEST(test_error_too_big_count_strings)
{
	size_t		len;
	char	   *buf;

	buf = make_run("*", '1', RESP_INLINE_MAX_SIZE + 10, "", &len);
	assert_error(buf, len, default_opts, "too big mbulk count string");
	free(buf);
	buf = make_run("*", '1', RESP_INLINE_MAX_SIZE - 1, "", &len);
	assert_need_more(buf, len, default_opts);
	free(buf);
	buf = make_run("*1\r\n$", '1', RESP_INLINE_MAX_SIZE + 10, "", &len);
	assert_error(buf, len, default_opts, "too big bulk count string");
	free(buf);
	/* no '\r' at all after the count: also a too big count string */
	buf = make_run("*1\r\n", 'x', RESP_INLINE_MAX_SIZE + 10, "", &len);
	assert_error(buf, len, default_opts, "too big bulk count string");
	free(buf);
	/* 64 KiB after the "*1\r\n" is still acceptable, as in Redis */
	buf = make_run("*1\r\n$", '1', RESP_INLINE_MAX_SIZE - 1, "", &len);
	assert_need_more(buf, len, default_opts);
	free(buf);
}
END_TEST

START_TEST(test_error_unbalanced_quotes)
{
	assert_error(S("ECHO \"abc\r\n"), default_opts, "unbalanced quotes in request");
	assert_error(S("ECHO 'abc\r\n"), default_opts, "unbalanced quotes in request");
	assert_error(S("ECHO \"a\"b\r\n"), default_opts, "unbalanced quotes in request");
	assert_error(S("ECHO 'a'b\r\n"), default_opts, "unbalanced quotes in request");
	assert_error(S("ECHO a\"b\r\n"), default_opts, "unbalanced quotes in request");
	assert_error(S("ECHO \"a\\\"\r\n"), default_opts, "unbalanced quotes in request");
	assert_error(S("\"\n"), default_opts, "unbalanced quotes in request");
}
END_TEST

START_TEST(test_error_unauthenticated)
{
	ParseOpts	unauth = {false, MAX_BULK_DEFAULT};

	assert_error(S("*11\r\n"), unauth, "unauthenticated multibulk length");
	assert_error(S("*1000\r\n"), unauth, "unauthenticated multibulk length");
	assert_need_more(S("*10\r\n"), unauth);
	assert_need_more(S("*11\r\n"), default_opts);

	assert_error(S("*1\r\n$16385\r\n"), unauth, "unauthenticated bulk length");
	assert_error(S("*10\r\n$16385\r\n"), unauth, "unauthenticated bulk length");
	assert_need_more(S("*10\r\n$16384\r\n"), unauth);
	assert_need_more(S("*1\r\n$16385\r\n"), default_opts);
	/* the length is checked before the authentication */
	assert_error(S("*1\r\n$-1\r\n"), unauth, "invalid bulk length");
	assert_error(S("*1\r\n$600000000\r\n"), unauth, "invalid bulk length");

	/* inline requests have no such cap */
	{
		RespParser	p;

		ck_assert_int_eq(parse_once(&p, S("a b c d e f g h i j k l\r\n"), unauth),
						 RESP_REQUEST);
		ck_assert_int_eq(p.argc, 12);
		RespParserFree(&p);
	}
}
END_TEST

START_TEST(test_reuse_after_reset)
{
	RespParser	p;

	RespParserInit(&p, MAX_BULK_DEFAULT);
	p.authenticated = true;
	ck_assert_int_eq(RespParse(&p, S("*x\r\n")), RESP_ERROR);
	RespParserReset(&p);
	ck_assert_ptr_null(p.error);
	ck_assert_int_eq(RespParse(&p, S("ECHO \"a b\"\r\n")), RESP_REQUEST);
	ck_assert_int_eq(p.argc, 2);
	RespParserReset(&p);
	ck_assert_ptr_null(p.inline_argv);
	ck_assert_int_eq(p.argc, 0);
	/* half a multibulk request, reset (connection dropped), a new request */
	ck_assert_int_eq(RespParse(&p, S("*3\r\n$3\r\nSET\r\n$1\r\n")), RESP_NEED_MORE);
	RespParserReset(&p);
	ck_assert_int_eq(RespParse(&p, S("*1\r\n$4\r\nPING\r\n")), RESP_REQUEST);
	ck_assert_int_eq(p.argc, 1);
	ck_assert_uint_eq(p.consumed, 14);
	RespParserFree(&p);
	/* Free on a parser that never parsed */
	RespParserInit(&p, MAX_BULK_DEFAULT);
	RespParserFree(&p);
}
END_TEST

/* ------------------------------------------------------------ quoting */

START_TEST(test_inline_quoting)
{
	ASSERT_TRACE("SET \"a b\" 'c d' \"\\x41\\n\"\r\n", default_opts,
				 "R4 c26 [3]SET [3]a b [3]c d [2]A\n\nN0\n");
	/* escapes in double quotes */
	ASSERT_TRACE("ECHO \"\\t\\r\\z\\\\\\\"\\b\\a\"\r\n", default_opts,
				 "R2 c23 [4]ECHO [7]\t\rz\\\"\b\a\nN0\n");
	/* \x needs two hex digits, either case; otherwise the 'x' is literal */
	ASSERT_TRACE("ECHO \"\\xaF\" \"\\x4\" \"\\xZZ\" \"\\X41\"\r\n", default_opts,
				 "R5 c33 [4]ECHO [1]\xaf [2]x4 [3]xZZ [3]X41\nN0\n");
	/* single quotes: only \' is an escape */
	ASSERT_TRACE("ECHO 'it\\'s' 'a\\nb'\r\n", default_opts,
				 "R3 c21 [4]ECHO [4]it's [4]a\\nb\nN0\n");
	/* empty quoted arguments */
	ASSERT_TRACE("ECHO \"\" ''\r\n", default_opts, "R3 c12 [4]ECHO [0] [0]\nN0\n");
	/* a closing quote may be followed by a tab */
	ASSERT_TRACE("ECHO \"a\"\tb\r\n", default_opts, "R3 c12 [4]ECHO [1]a [1]b\nN0\n");
	/* quotes glued to the start of a word open a quoted part */
	ASSERT_TRACE("ECHO a\"b c\"\r\n", default_opts, "R2 c13 [4]ECHO [4]ab c\nN0\n");
	/* a quoted "\r\n" inside the line */
	ASSERT_TRACE("ECHO \"\\r\\n\"\n", default_opts, "R2 c12 [4]ECHO [2]\r\n\nN0\n");
}
END_TEST

static Suite *
resp_suite(void)
{
	Suite	   *s = suite_create("resp");
	TCase	   *tc = tcase_create("parse");
	TCase	   *te = tcase_create("errors");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_multibulk_simple);
	tcase_add_test(tc, test_inline_simple);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_well_formed_stream_trace);
	tcase_add_test(tc, test_split_every_byte);
	tcase_add_test(tc, test_split_random);
	tcase_add_test(tc, test_random_requests_random_chunks);
	tcase_add_test(tc, test_binary_args);
	tcase_add_test(tc, test_large_argument);
	tcase_add_test(tc, test_many_arguments);
	tcase_add_test(tc, test_empty_requests);
	tcase_add_test(tc, test_redis_quirks);
	tcase_add_test(tc, test_inline_nul_waits);
	tcase_add_test(tc, test_nul_in_header_line_waits);
	tcase_add_test(tc, test_reuse_after_reset);
	tcase_add_test(tc, test_inline_quoting);
	suite_add_tcase(s, tc);

	tcase_set_timeout(te, 60);
	tcase_add_test(te, test_error_invalid_multibulk_length);
	tcase_add_test(te, test_multibulk_count_limit_is_int_max);
	tcase_add_test(te, test_error_expected_dollar);
	tcase_add_test(te, test_error_invalid_bulk_length);
	tcase_add_test(te, test_error_too_big_inline);
	tcase_add_test(te, test_error_too_big_count_strings);
	tcase_add_test(te, test_error_unbalanced_quotes);
	tcase_add_test(te, test_error_unauthenticated);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(resp_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
