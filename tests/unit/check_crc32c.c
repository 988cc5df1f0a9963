/*
 * check_crc32c.c
 *	  Unit tests for storage/crc32c.c: published vectors, piecewise
 *	  extension, and the SSE4.2 path against the table path.
 *
 * NOTES
 *	  Check fork mode: each test runs in its own child. Random tests print
 *	  their seed; set TUSK_TEST_SEED to replay one.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/crc32c.h"

typedef uint32_t (*CrcFn) (uint32_t crc, const void *data, size_t len);

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	/* splitmix64: tiny, and the same sequence on every platform. */
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
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

static void
fill_random(unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char) rng_next();
}

/* Every implementation this CPU can run, with a name for messages. */
static int
implementations(CrcFn *fns, const char **names)
{
	int			n = 0;

	fns[n] = Crc32cExtendSw;
	names[n++] = "sw";
	fns[n] = Crc32cExtend;
	names[n++] = "dispatch";
	if (Crc32cHwAvailable())
	{
		fns[n] = Crc32cExtendHw;
		names[n++] = "hw";
	}
	return n;
}

START_TEST(test_known_vectors)
{
	CrcFn		fns[3];
	const char *names[3];
	int			nfns = implementations(fns, names);
	unsigned char buf[48];

	/* RFC 3720 appendix B.4 iSCSI read command PDU. */
	static const unsigned char iscsi_pdu[48] = {
		0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	ck_assert_uint_eq(Crc32c("123456789", 9), 0xE3069283u);
	for (int f = 0; f < nfns; f++)
	{
		ck_assert_msg(fns[f](0, "123456789", 9) == 0xE3069283u, "%s: check value", names[f]);
		ck_assert_msg(fns[f](0, "", 0) == 0, "%s: empty input", names[f]);
		ck_assert_msg(fns[f](0x12345678u, "", 0) == 0x12345678u, "%s: empty extension", names[f]);
		ck_assert_msg(fns[f](0, "a", 1) == 0xC1D04330u, "%s: \"a\"", names[f]);

		memset(buf, 0, 32);
		ck_assert_msg(fns[f](0, buf, 32) == 0x8A9136AAu, "%s: 32 zero bytes", names[f]);
		memset(buf, 0xFF, 32);
		ck_assert_msg(fns[f](0, buf, 32) == 0x62A8AB43u, "%s: 32 0xFF bytes", names[f]);
		for (int i = 0; i < 32; i++)
			buf[i] = (unsigned char) i;
		ck_assert_msg(fns[f](0, buf, 32) == 0x46DD794Eu, "%s: 0..31", names[f]);
		for (int i = 0; i < 32; i++)
			buf[i] = (unsigned char) (31 - i);
		ck_assert_msg(fns[f](0, buf, 32) == 0x113FDB5Cu, "%s: 31..0", names[f]);
		ck_assert_msg(fns[f](0, iscsi_pdu, 48) == 0xD9963A56u, "%s: iSCSI PDU", names[f]);
	}
}
END_TEST

START_TEST(test_piecewise_extension)
{
	enum
	{
		N = 1000
	};
	unsigned char data[N];
	CrcFn		fns[3];
	const char *names[3];
	int			nfns = implementations(fns, names);
	uint64_t	seed = seed_rng("test_piecewise_extension");

	fill_random(data, N);
	for (int f = 0; f < nfns; f++)
	{
		uint32_t	whole = fns[f](0, data, N);
		uint32_t	crc = 0;

		/* Every two-piece split. */
		for (size_t i = 0; i <= N; i++)
			ck_assert_msg(fns[f](fns[f](0, data, i), data + i, N - i) == whole,
						  "%s: split at %zu, seed %" PRIu64, names[f], i, seed);
		/* One byte at a time. */
		for (size_t i = 0; i < N; i++)
			crc = fns[f](crc, data + i, 1);
		ck_assert_msg(crc == whole, "%s: bytewise, seed %" PRIu64, names[f], seed);
		/* Random pieces. */
		for (int round = 0; round < 200; round++)
		{
			size_t		pos = 0;

			crc = 0;
			while (pos < N)
			{
				size_t		piece = rng_next() % 40;

				if (piece > N - pos)
					piece = N - pos;
				crc = fns[f](crc, data + pos, piece);
				pos += piece;
			}
			ck_assert_msg(crc == whole, "%s: random pieces, seed %" PRIu64, names[f], seed);
		}
	}
}
END_TEST

START_TEST(test_hw_matches_sw)
{
	enum
	{
		MAXLEN = 20000
	};
	static unsigned char buf[MAXLEN + 16];
	uint64_t	seed;

	if (!Crc32cHwAvailable())
	{
		fprintf(stderr, "test_hw_matches_sw: no SSE4.2 on this CPU, only the table code runs\n");
		ck_assert_uint_eq(Crc32cExtendHw(0, "123456789", 9), 0xE3069283u);
		return;
	}
	seed = seed_rng("test_hw_matches_sw");
	fill_random(buf, sizeof(buf));
	for (int iter = 0; iter < 20000; iter++)
	{
		size_t		misalign = rng_next() % 16;
		size_t		len = (iter % 100 == 0) ? rng_next() % MAXLEN : rng_next() % 300;
		uint32_t	init = (iter % 2) ? (uint32_t) rng_next() : 0;
		uint32_t	sw;
		uint32_t	hw;

		if (iter % 7 == 0)
			fill_random(buf + misalign, len);
		sw = Crc32cExtendSw(init, buf + misalign, len);
		hw = Crc32cExtendHw(init, buf + misalign, len);
		ck_assert_msg(sw == hw,
					  "iter %d len %zu misalign %zu init %08x: sw %08x hw %08x, seed %" PRIu64,
					  iter, len, misalign, init, sw, hw, seed);
		ck_assert_msg(Crc32cExtend(init, buf + misalign, len) == sw,
					  "dispatch disagrees, seed %" PRIu64, seed);
	}
}
END_TEST

/* A single flipped bit anywhere in a page-sized buffer changes the CRC. */
START_TEST(test_detects_single_bit_flip)
{
	static unsigned char buf[8192];
	uint32_t	base;
	uint64_t	seed = seed_rng("test_detects_single_bit_flip");

	fill_random(buf, sizeof(buf));
	base = Crc32c(buf, sizeof(buf));
	for (size_t bit = 0; bit < sizeof(buf) * 8; bit += 7)
	{
		buf[bit / 8] ^= (unsigned char) (1u << (bit % 8));
		ck_assert_msg(Crc32c(buf, sizeof(buf)) != base, "bit %zu, seed %" PRIu64, bit, seed);
		buf[bit / 8] ^= (unsigned char) (1u << (bit % 8));
	}
}
END_TEST

static Suite *
crc32c_suite(void)
{
	Suite	   *s = suite_create("crc32c");
	TCase	   *tc = tcase_create("core");

	tcase_add_test(tc, test_known_vectors);
	tcase_add_test(tc, test_piecewise_extension);
	tcase_add_test(tc, test_hw_matches_sw);
	tcase_add_test(tc, test_detects_single_bit_flip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(crc32c_suite());
	int			failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
