/*
 * check_util.c
 *	  Unit tests for server/util.c's StringMatch, the glob matcher behind
 *	  KEYS, SCAN MATCH, CONFIG GET and COMMAND LIST FILTERBY PATTERN.
 *
 * NOTES
 *	  Each expected result in the table is what redis-server 7.0.15 gave
 *	  for KEYS with that pattern in a database holding only that key. The
 *	  "many stars" cases were exponential in the old recursive matcher
 *	  (a*a*a*...b against a long run of a's): a regression makes this test
 *	  hang until its timeout rather than fail an assertion.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "server/util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct MatchCase
{
	const char *pattern;
	const char *str;
	bool		nocase;
	bool		match;
} MatchCase;

static const MatchCase cases[] = {
	{"*", "anything", false, true},
	{"a*", "a", false, true},
	{"a*b", "ab", false, true},
	{"a*b", "axxb", false, true},
	{"a*b", "axxbc", false, false},
	{"a?c", "abc", false, true},
	{"a?c", "ac", false, false},
	{"[abc]x", "bx", false, true},
	{"[abc]x", "dx", false, false},
	{"[^abc]x", "dx", false, true},
	{"[^abc]x", "ax", false, false},
	{"[a-c]z", "bz", false, true},
	{"[c-a]z", "bz", false, true},
	{"[a-c]z", "dz", false, false},
	{"h\\*llo", "h*llo", false, true},
	{"h\\*llo", "hello", false, false},
	{"h[\\]]llo", "h]llo", false, true},
	{"[abc", "[abc", false, false},	/* unterminated class */
	{"[abc", "b", false, true},
	{"[", "[", false, false},
	{"x\\", "x\\", false, true},	/* a trailing backslash is literal */
	{"**a**", "a", false, true},
	{"*", "", false, false},	/* an empty string matches only "" */
	{"", "", false, true},
	{"", "a", false, false},
	{"HeLLo*", "hello world", true, true},
	{"HeLLo*", "hello world", false, false},
	{"[A-C]x", "bx", true, true},
	{"*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
	{"*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", false, true},
};

START_TEST(test_table)
{
	for (size_t i = 0; i < NELEM(cases); i++)
	{
		const MatchCase *mc = &cases[i];

		ck_assert_msg(StringMatch(mc->pattern, strlen(mc->pattern), mc->str,
								  strlen(mc->str), mc->nocase) == mc->match,
					  "pattern \"%s\" against \"%s\" (nocase %d): expected %s",
					  mc->pattern, mc->str, mc->nocase, mc->match ? "a match" : "no match");
	}
}
END_TEST

/* The pattern is binary safe: NUL bytes match themselves and '?'. */
START_TEST(test_binary)
{
	ck_assert(StringMatch("a\0b", 3, "a\0b", 3, false));
	ck_assert(StringMatch("a?b", 3, "a\0b", 3, false));
	ck_assert(!StringMatch("a\0b", 3, "a\0c", 3, false));
	ck_assert(StringMatch("*\0*", 3, "xx\0yy", 5, false));
}
END_TEST

/* Many stars against long strings: needs plen * slen steps, not 2^stars. */
START_TEST(test_many_stars)
{
	char		pattern[401];
	char		str[2001];
	size_t		plen = 0;

	for (int i = 0; i < 200; i++)
	{
		pattern[plen++] = '*';
		pattern[plen++] = i % 2 ? '?' : 'a';
	}
	memset(str, 'a', 2000);
	ck_assert(StringMatch(pattern, plen, str, 2000, false));
	pattern[plen - 1] = 'b';
	ck_assert(!StringMatch(pattern, plen, str, 2000, false));
	str[1999] = 'b';
	ck_assert(StringMatch(pattern, plen, str, 2000, false));
}
END_TEST

int
main(void)
{
	Suite	   *s = suite_create("util");
	TCase	   *tc = tcase_create("match");
	SRunner    *sr;
	int			failed;

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_many_stars);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
