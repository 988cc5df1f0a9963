/*
 * check_reply.c
 *	  Unit tests for server/reply.c: the exact bytes of every writer in
 *	  RESP2 and RESP3, error sanitising, deferred lengths, and the
 *	  INCRBYFLOAT-style formatting of long doubles.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child. The expected bytes
 *	  are redis-server 7.0.15's for the same reply (doubles with %.17g,
 *	  ",inf" in RESP3, "$-1" / "_" nulls, INCRBYFLOAT results such as
 *	  "5.0e3" -> "5000", checked by sending the commands to it).
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/reply.h"

/* ---------------------------------------------------------------- helpers */

static void
assert_bytes(const ReplyBuf *r, const char *want, size_t wantlen, const char *what)
{
	if (r->len != wantlen || (wantlen > 0 && memcmp(r->data, want, wantlen) != 0))
	{
		char		got[512],
					exp[512];
		size_t		g = 0,
					e = 0;

		/* show \r\n and other control bytes visibly */
		for (size_t i = 0; i < r->len && g < sizeof(got) - 5; i++)
			g += (size_t) snprintf(got + g, sizeof(got) - g,
								   (unsigned char) r->data[i] < 32 ? "\\x%02x" : "%c",
								   (unsigned char) r->data[i]);
		for (size_t i = 0; i < wantlen && e < sizeof(exp) - 5; i++)
			e += (size_t) snprintf(exp + e, sizeof(exp) - e,
								   (unsigned char) want[i] < 32 ? "\\x%02x" : "%c",
								   (unsigned char) want[i]);
		ck_abort_msg("%s: got %zu bytes \"%s\", want %zu bytes \"%s\"", what, r->len, got,
					 wantlen, exp);
	}
}

/* EXPECT(r, "bytes"): the buffer holds exactly these bytes; then reset it. */
#define EXPECT(r, lit) \
	do { \
		assert_bytes((r), (lit), sizeof(lit) - 1, #lit); \
		ReplyReset(r); \
	} while (0)

static ReplyBuf
reply_v(int resp)
{
	ReplyBuf	r;

	ReplyInit(&r);
	r.resp = resp;
	return r;
}

/* ---------------------------------------------------------------- writers */

START_TEST(test_init)
{
	ReplyBuf	r;

	ReplyInit(&r);
	ck_assert_int_eq(r.resp, 2);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_uint_eq(r.sent, 0);
	ReplyFree(&r);
	/* freeing twice is harmless */
	ReplyFree(&r);
}
END_TEST

/* Writers whose bytes do not depend on the protocol version. */
START_TEST(test_same_in_both_versions)
{
	for (int v = 2; v <= 3; v++)
	{
		ReplyBuf	r = reply_v(v);

		AddReplyStatus(&r, "PONG");
		EXPECT(&r, "+PONG\r\n");
		AddReplyStatus(&r, "");
		EXPECT(&r, "+\r\n");
		AddReplyOk(&r);
		EXPECT(&r, "+OK\r\n");
		AddReplyError(&r, "ERR something");
		EXPECT(&r, "-ERR something\r\n");
		AddReplyBulk(&r, "hello", 5);
		EXPECT(&r, "$5\r\nhello\r\n");
		AddReplyBulk(&r, "", 0);
		EXPECT(&r, "$0\r\n\r\n");
		AddReplyBulk(&r, "a\0\r\nb", 5);
		EXPECT(&r, "$5\r\na\0\r\nb\r\n");
		AddReplyBulkCString(&r, "abc");
		EXPECT(&r, "$3\r\nabc\r\n");
		AddReplyBulkLongLong(&r, 0);
		EXPECT(&r, "$1\r\n0\r\n");
		AddReplyBulkLongLong(&r, -42);
		EXPECT(&r, "$3\r\n-42\r\n");
		AddReplyBulkLongLong(&r, LLONG_MIN);
		EXPECT(&r, "$20\r\n-9223372036854775808\r\n");
		AddReplyLongLong(&r, 0);
		EXPECT(&r, ":0\r\n");
		AddReplyLongLong(&r, 123);
		EXPECT(&r, ":123\r\n");
		AddReplyLongLong(&r, -1);
		EXPECT(&r, ":-1\r\n");
		AddReplyLongLong(&r, LLONG_MAX);
		EXPECT(&r, ":9223372036854775807\r\n");
		AddReplyLongLong(&r, LLONG_MIN);
		EXPECT(&r, ":-9223372036854775808\r\n");
		AddReplyArrayLen(&r, 0);
		EXPECT(&r, "*0\r\n");
		AddReplyArrayLen(&r, 3);
		EXPECT(&r, "*3\r\n");
		AddReplyHumanLongDouble(&r, 10.5L);
		EXPECT(&r, "$4\r\n10.5\r\n");
		ReplyFree(&r);
	}
}
END_TEST

START_TEST(test_resp2_writers)
{
	ReplyBuf	r = reply_v(2);

	AddReplyNull(&r);
	EXPECT(&r, "$-1\r\n");
	AddReplyBulkCString(&r, NULL);
	EXPECT(&r, "$-1\r\n");
	AddReplyNullArray(&r);
	EXPECT(&r, "*-1\r\n");
	AddReplyBool(&r, true);
	EXPECT(&r, ":1\r\n");
	AddReplyBool(&r, false);
	EXPECT(&r, ":0\r\n");
	AddReplyMapLen(&r, 2);
	EXPECT(&r, "*4\r\n");
	AddReplyMapLen(&r, 0);
	EXPECT(&r, "*0\r\n");
	AddReplySetLen(&r, 3);
	EXPECT(&r, "*3\r\n");
	AddReplyPushLen(&r, 3);
	EXPECT(&r, "*3\r\n");
	AddReplyVerbatim(&r, "hello", 5, "txt");
	EXPECT(&r, "$5\r\nhello\r\n");
	AddReplyBigNum(&r, "1234567890123456789012", 22);
	EXPECT(&r, "$22\r\n1234567890123456789012\r\n");
	AddReplyDouble(&r, 1.5);
	EXPECT(&r, "$3\r\n1.5\r\n");
	AddReplyDouble(&r, 3);
	EXPECT(&r, "$1\r\n3\r\n");
	AddReplyDouble(&r, 0.1);
	EXPECT(&r, "$19\r\n0.10000000000000001\r\n");
	AddReplyDouble(&r, -2.5);
	EXPECT(&r, "$4\r\n-2.5\r\n");
	AddReplyDouble(&r, 1e300);
	EXPECT(&r, "$23\r\n1.0000000000000001e+300\r\n");
	AddReplyDouble(&r, INFINITY);
	EXPECT(&r, "$3\r\ninf\r\n");
	AddReplyDouble(&r, -INFINITY);
	EXPECT(&r, "$4\r\n-inf\r\n");
	ReplyFree(&r);
}
END_TEST

START_TEST(test_resp3_writers)
{
	ReplyBuf	r = reply_v(3);

	AddReplyNull(&r);
	EXPECT(&r, "_\r\n");
	AddReplyBulkCString(&r, NULL);
	EXPECT(&r, "_\r\n");
	AddReplyNullArray(&r);
	EXPECT(&r, "_\r\n");
	AddReplyBool(&r, true);
	EXPECT(&r, "#t\r\n");
	AddReplyBool(&r, false);
	EXPECT(&r, "#f\r\n");
	AddReplyMapLen(&r, 2);
	EXPECT(&r, "%2\r\n");
	AddReplyMapLen(&r, 0);
	EXPECT(&r, "%0\r\n");
	AddReplySetLen(&r, 3);
	EXPECT(&r, "~3\r\n");
	AddReplyPushLen(&r, 3);
	EXPECT(&r, ">3\r\n");
	AddReplyVerbatim(&r, "hello", 5, "txt");
	EXPECT(&r, "=9\r\ntxt:hello\r\n");
	AddReplyVerbatim(&r, "", 0, "mkd");
	EXPECT(&r, "=4\r\nmkd:\r\n");
	AddReplyBigNum(&r, "1234567890123456789012", 22);
	EXPECT(&r, "(1234567890123456789012\r\n");
	AddReplyDouble(&r, 1.5);
	EXPECT(&r, ",1.5\r\n");
	AddReplyDouble(&r, 3);
	EXPECT(&r, ",3\r\n");
	AddReplyDouble(&r, 0.1);
	EXPECT(&r, ",0.10000000000000001\r\n");
	AddReplyDouble(&r, INFINITY);
	EXPECT(&r, ",inf\r\n");
	AddReplyDouble(&r, -INFINITY);
	EXPECT(&r, ",-inf\r\n");
	/* INCRBYFLOAT replies a bulk string in RESP3 too */
	AddReplyHumanLongDouble(&r, 5000.0L);
	EXPECT(&r, "$4\r\n5000\r\n");
	ReplyFree(&r);
}
END_TEST

START_TEST(test_sequence_appends)
{
	ReplyBuf	r = reply_v(2);

	/* a whole reply built from pieces, as HELLO does */
	AddReplyMapLen(&r, 2);
	AddReplyBulkCString(&r, "proto");
	AddReplyLongLong(&r, 2);
	AddReplyBulkCString(&r, "modules");
	AddReplyArrayLen(&r, 0);
	EXPECT(&r, "*4\r\n$5\r\nproto\r\n:2\r\n$7\r\nmodules\r\n*0\r\n");
	r.resp = 3;
	AddReplyMapLen(&r, 2);
	AddReplyBulkCString(&r, "proto");
	AddReplyLongLong(&r, 3);
	AddReplyBulkCString(&r, "modules");
	AddReplyArrayLen(&r, 0);
	EXPECT(&r, "%2\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n");
	ReplyFree(&r);
}
END_TEST

START_TEST(test_append_growth)
{
	ReplyBuf	r = reply_v(2);
	size_t		n = 5 * 1024 * 1024 + 7;
	char	   *big = malloc(n);

	for (size_t i = 0; i < n; i++)
		big[i] = (char) (i * 31 + 7);
	AddReplyStatus(&r, "A");
	AddReplyBulk(&r, big, n);
	AddReplyStatus(&r, "B");
	ck_assert_uint_eq(r.len, 4 + 1 + 7 + 2 + n + 2 + 4);
	ck_assert_uint_ge(r.cap, r.len);
	ck_assert(memcmp(r.data, "+A\r\n$5242887\r\n", 14) == 0);
	ck_assert(memcmp(r.data + 14, big, n) == 0);
	ck_assert(memcmp(r.data + 14 + n, "\r\n+B\r\n", 6) == 0);
	/* reset keeps the buffer but forgets the bytes and the sent mark */
	r.sent = 10;
	ReplyReset(&r);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_uint_eq(r.sent, 0);
	AddReplyOk(&r);
	EXPECT(&r, "+OK\r\n");
	/* many small appends */
	for (int i = 0; i < 100000; i++)
		AddReplyLongLong(&r, i % 10);
	ck_assert_uint_eq(r.len, 100000 * 4);
	for (int i = 0; i < 100000; i++)
		ck_assert(r.data[i * 4 + 1] == '0' + i % 10);
	ReplyFree(&r);
	free(big);
}
END_TEST

/* ---------------------------------------------------------------- errors */

START_TEST(test_error_sanitising)
{
	ReplyBuf	r = reply_v(2);

	AddReplyError(&r, "ERR line one\r\nline two");
	EXPECT(&r, "-ERR line one  line two\r\n");
	AddReplyError(&r, "ERR a\nb\rc");
	EXPECT(&r, "-ERR a b c\r\n");
	AddReplyErrorLength(&r, "ERR x\r\nyz", 7);
	EXPECT(&r, "-ERR x  \r\n");
	/* a formatted argument cannot inject a second reply */
	AddReplyErrorFormat(&r, "ERR unknown command '%s'", "a\r\n+OK");
	EXPECT(&r, "-ERR unknown command 'a  +OK'\r\n");
	/* the protocol error a backend sends for "*1\r\n\r\n\r\n" */
	AddReplyErrorFormat(&r, "ERR Protocol error: %s", "expected '$', got '\r'");
	EXPECT(&r, "-ERR Protocol error: expected '$', got ' '\r\n");
	AddReplyErrorFormat(&r, "ERR %d %s", 42, "x");
	EXPECT(&r, "-ERR 42 x\r\n");
	/* the same in RESP3: errors are "-" in both */
	r.resp = 3;
	AddReplyError(&r, "NOAUTH Authentication required.");
	EXPECT(&r, "-NOAUTH Authentication required.\r\n");
	/* sanitising touches only the error, not what came before */
	AddReplyBulk(&r, "\r\n", 2);
	AddReplyError(&r, "E\r");
	EXPECT(&r, "$2\r\n\r\n\r\n-E \r\n");
	ReplyFree(&r);
}
END_TEST

START_TEST(test_error_format_long)
{
	ReplyBuf	r = reply_v(2);
	char		arg[900];

	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	AddReplyErrorFormat(&r, "ERR unknown command '%.128s'", arg);
	ck_assert_uint_eq(r.len, 1 + 21 + 128 + 1 + 2);
	ck_assert(memcmp(r.data + r.len - 3, "'\r\n", 3) == 0);
	ReplyReset(&r);
	/* one line, ending in CRLF, however long the text */
	AddReplyErrorFormat(&r, "ERR %s%s", arg, arg);
	ck_assert_uint_gt(r.len, 3);
	ck_assert(r.data[0] == '-');
	ck_assert(memcmp(r.data + r.len - 2, "\r\n", 2) == 0);
	for (size_t i = 0; i < r.len - 2; i++)
		ck_assert(r.data[i] != '\r' && r.data[i] != '\n');
	ReplyFree(&r);
}
END_TEST

/* ---------------------------------------------------------------- deferred */

START_TEST(test_deferred_array)
{
	ReplyBuf	r = reply_v(2);
	size_t		h;

	h = AddReplyDeferredLen(&r);
	AddReplyBulkCString(&r, "a");
	AddReplyLongLong(&r, 1);
	SetDeferredArrayLen(&r, h, 2);
	EXPECT(&r, "*2\r\n$1\r\na\r\n:1\r\n");

	/* zero elements, nothing after */
	h = AddReplyDeferredLen(&r);
	SetDeferredArrayLen(&r, h, 0);
	EXPECT(&r, "*0\r\n");

	/* after other replies in the same buffer (pipelining) */
	AddReplyOk(&r);
	h = AddReplyDeferredLen(&r);
	AddReplyBulkCString(&r, "x");
	SetDeferredArrayLen(&r, h, 1);
	AddReplyOk(&r);
	EXPECT(&r, "+OK\r\n*1\r\n$1\r\nx\r\n+OK\r\n");

	/* the widest count still fits the placeholder */
	h = AddReplyDeferredLen(&r);
	AddReplyOk(&r);
	SetDeferredArrayLen(&r, h, LLONG_MAX);
	EXPECT(&r, "*9223372036854775807\r\n+OK\r\n");
	h = AddReplyDeferredLen(&r);
	SetDeferredArrayLen(&r, h, LLONG_MIN);
	EXPECT(&r, "*-9223372036854775808\r\n");
	ReplyFree(&r);
}
END_TEST

START_TEST(test_deferred_map_and_set)
{
	for (int v = 2; v <= 3; v++)
	{
		ReplyBuf	r = reply_v(v);
		size_t		h;

		h = AddReplyDeferredLen(&r);
		AddReplyBulkCString(&r, "timeout");
		AddReplyBulkCString(&r, "0");
		SetDeferredMapLen(&r, h, 1);
		if (v == 2)
			EXPECT(&r, "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");
		else
			EXPECT(&r, "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");

		h = AddReplyDeferredLen(&r);
		SetDeferredMapLen(&r, h, 0);
		if (v == 2)
			EXPECT(&r, "*0\r\n");
		else
			EXPECT(&r, "%0\r\n");

		h = AddReplyDeferredLen(&r);
		AddReplyBulkCString(&r, "m");
		SetDeferredSetLen(&r, h, 1);
		if (v == 2)
			EXPECT(&r, "*1\r\n$1\r\nm\r\n");
		else
			EXPECT(&r, "~1\r\n$1\r\nm\r\n");
		ReplyFree(&r);
	}
}
END_TEST

START_TEST(test_deferred_nested)
{
	ReplyBuf	r = reply_v(3);
	size_t		outer,
				inner;

	/* inner lengths are set before the outer one (last reserved, first set) */
	outer = AddReplyDeferredLen(&r);
	AddReplyBulkCString(&r, "k1");
	inner = AddReplyDeferredLen(&r);
	AddReplyLongLong(&r, 1);
	AddReplyLongLong(&r, 2);
	SetDeferredArrayLen(&r, inner, 2);
	AddReplyBulkCString(&r, "k2");
	inner = AddReplyDeferredLen(&r);
	SetDeferredSetLen(&r, inner, 0);
	SetDeferredMapLen(&r, outer, 2);
	EXPECT(&r, "%2\r\n$2\r\nk1\r\n*2\r\n:1\r\n:2\r\n$2\r\nk2\r\n~0\r\n");
	ReplyFree(&r);
}
END_TEST

START_TEST(test_deferred_across_growth)
{
	ReplyBuf	r = reply_v(2);
	size_t		h;
	int			n = 20000;

	/* the buffer is reallocated between reserve and set */
	AddReplyOk(&r);
	h = AddReplyDeferredLen(&r);
	for (int i = 0; i < n; i++)
		AddReplyBulkCString(&r, "element");
	SetDeferredArrayLen(&r, h, n);
	ck_assert(memcmp(r.data, "+OK\r\n*20000\r\n$7\r\nelement\r\n", 26) == 0);
	ck_assert_uint_eq(r.len, 5 + 8 + (size_t) n * 13);
	ck_assert(memcmp(r.data + r.len - 13, "$7\r\nelement\r\n", 13) == 0);
	ReplyFree(&r);
}
END_TEST

/* ---------------------------------------------------- human long doubles */

static void
assert_human(long double v, const char *want)
{
	char		buf[5 * 1024];
	int			n = FormatHumanLongDouble(buf, sizeof(buf), v);

	ck_assert_msg(n == (int) strlen(want) && memcmp(buf, want, (size_t) n) == 0,
				  "FormatHumanLongDouble(%.21Lg) gave \"%.*s\", want \"%s\"", v,
				  n < 0 ? 0 : n, buf, want);
	ck_assert_int_eq(buf[n], '\0');
}

/* As INCRBYFLOAT computes it: 0 + strtold(text). */
static void
assert_incrbyfloat(const char *text, const char *want)
{
	long double v = 0;

	v += strtold(text, NULL);
	assert_human(v, want);
}

START_TEST(test_human_long_double)
{
	/* outputs of "DEL k; INCRBYFLOAT k <text>" on redis-server 7.0.15 */
	assert_incrbyfloat("10.5", "10.5");
	assert_incrbyfloat("5.0e3", "5000");
	assert_incrbyfloat("3.0", "3");
	assert_incrbyfloat("3", "3");
	assert_incrbyfloat("0.1", "0.1");
	assert_incrbyfloat("-0.0", "0");
	assert_incrbyfloat("1e-20", "0");
	assert_incrbyfloat("-1.5", "-1.5");
	assert_incrbyfloat("1e20", "100000000000000000000");
	assert_incrbyfloat("123456789.123456789", "123456789.12345678899873747");
	assert_incrbyfloat("0.3333333333333333333", "0.33333333333333333");
	assert_incrbyfloat("-1e-5", "-0.00001");
	assert_incrbyfloat("2.5e-3", "0.0025");
	assert_incrbyfloat("1e300",
					   "1000000000000000000008997324079559193870523944273290747938260082"
					   "3212656465961809357558491520837504971903503725086142748359035925"
					   "5618467298391309626052074864628732713564184365329408425510760601"
					   "6789726652932370030551382947620994540294772781889620606179267611"
					   "627097410650567187386105690089424915104006144");
	/* SET k 0.1; INCRBYFLOAT k 0.2 -> 0.3; SET k 1.1; INCRBYFLOAT k 2.2 -> 3.3 */
	assert_human(strtold("0.1", NULL) + strtold("0.2", NULL), "0.3");
	assert_human(strtold("1.1", NULL) + strtold("2.2", NULL), "3.3");
	/* no trailing '.' and no "-0" */
	assert_human(100.0L, "100");
	assert_human(-100.0L, "-100");
	assert_human(0.0L, "0");
	assert_human(-0.0L, "0");
	assert_human(-1e-30L, "0");
	assert_human(INFINITY, "inf");
	assert_human(-INFINITY, "-inf");
}
END_TEST

START_TEST(test_human_long_double_reply)
{
	ReplyBuf	r = reply_v(2);

	AddReplyHumanLongDouble(&r, strtold("5.0e3", NULL));
	EXPECT(&r, "$4\r\n5000\r\n");
	AddReplyHumanLongDouble(&r, -0.0L);
	EXPECT(&r, "$1\r\n0\r\n");
	AddReplyHumanLongDouble(&r, strtold("1e300", NULL));
	ck_assert_uint_eq(r.len, 6 + 301 + 2);
	ck_assert(memcmp(r.data, "$301\r\n1000000000000000000008997", 31) == 0);
	ReplyFree(&r);
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite	   *s = suite_create("reply");
	TCase	   *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_same_in_both_versions);
	tcase_add_test(tc, test_resp2_writers);
	tcase_add_test(tc, test_resp3_writers);
	tcase_add_test(tc, test_sequence_appends);
	tcase_add_test(tc, test_append_growth);
	tcase_add_test(tc, test_error_sanitising);
	tcase_add_test(tc, test_error_format_long);
	tcase_add_test(tc, test_deferred_array);
	tcase_add_test(tc, test_deferred_map_and_set);
	tcase_add_test(tc, test_deferred_nested);
	tcase_add_test(tc, test_deferred_across_growth);
	tcase_add_test(tc, test_human_long_double);
	tcase_add_test(tc, test_human_long_double_reply);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(reply_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
