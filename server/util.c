/*
 * util.c
 *	  String and time helpers; see util.h.
 */
#include "config.h"

#include "server/util.h"
#include "storage/mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <time.h>

bool
StringToLongLong(const char *s, size_t len, long long *out)
{
	const char *p = s;
	size_t plen = 0;
	bool negative = false;
	unsigned long long v;

	if (len == 0 || len > 20)
		return false;
	if (len == 1 && s[0] == '0')
	{
		*out = 0;
		return true;
	}
	if (p[0] == '-')
	{
		negative = true;
		p++;
		plen++;
		if (plen == len)
			return false;
	}
	if (p[0] < '1' || p[0] > '9')
		return false;
	v = (unsigned long long) (p[0] - '0');
	p++;
	plen++;
	while (plen < len)
	{
		if (p[0] < '0' || p[0] > '9')
			return false;
		if (v > ULLONG_MAX / 10)
			return false;
		v *= 10;
		if (v > ULLONG_MAX - (unsigned long long) (p[0] - '0'))
			return false;
		v += (unsigned long long) (p[0] - '0');
		p++;
		plen++;
	}
	if (negative)
	{
		if (v > (unsigned long long) LLONG_MAX + 1)
			return false;
		*out = (long long) (0 - v);
	}
	else
	{
		if (v > (unsigned long long) LLONG_MAX)
			return false;
		*out = (long long) v;
	}
	return true;
}

bool
StringToLongDouble(const char *s, size_t len, long double *out)
{
	char buf[5 * 1024 + 1];
	char *end;
	long double v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isspace((unsigned char) buf[0]))
		return false;
	errno = 0;
	v = strtold(buf, &end);
	if ((size_t) (end - buf) != len || (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) || isnan(v))
		return false;
	*out = v;
	return true;
}

bool
StringToDouble(const char *s, size_t len, double *out)
{
	char buf[5 * 1024 + 1];
	char *end;
	double v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isspace((unsigned char) buf[0]))
		return false;
	errno = 0;
	v = strtod(buf, &end);
	if ((size_t) (end - buf) != len || (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) || isnan(v))
		return false;
	*out = v;
	return true;
}

/*
 * snprintf's "%lld" without its format parsing: every bulk and integer
 * reply header goes through here. Same result, truncated like snprintf.
 */
int
LongLongToString(char *buf, size_t buflen, long long v)
{
	char tmp[24];
	int n = 0, len = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;

	do
	{
		tmp[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		tmp[n++] = '-';
	if (buflen == 0)
		return n;
	while (len < n && (size_t) len < buflen - 1)
	{
		buf[len] = tmp[n - 1 - len];
		len++;
	}
	buf[len] = '\0';
	return n;
}

int
DoubleToString(char *buf, size_t buflen, double v)
{
	if (isinf(v))
		return snprintf(buf, buflen, v > 0 ? "inf" : "-inf");
	return snprintf(buf, buflen, "%.17g", v);
}

static inline bool
same_char(unsigned char a, unsigned char b, bool nocase)
{
	return nocase ? tolower(a) == tolower(b) : a == b;
}

/*
 * Match one pattern element other than '*' (a literal, '\\x', '?' or a
 * [class]) against the character c; *elem_len gets its length in the
 * pattern. An unterminated class ends at the pattern's last character,
 * which it then includes (Redis's reading of "[abc").
 */
static bool
match_element(const char *pattern, size_t plen, unsigned char c, bool nocase,
			  size_t *elem_len)
{
	size_t		i = 1;
	bool		not_op,
				match = false;

	switch (pattern[0])
	{
		case '?':
			*elem_len = 1;
			return true;
		case '\\':
			if (plen >= 2)
			{
				*elem_len = 2;
				return same_char((unsigned char) pattern[1], c, nocase);
			}
			*elem_len = 1;
			return same_char('\\', c, nocase);
		case '[':
			break;
		default:
			*elem_len = 1;
			return same_char((unsigned char) pattern[0], c, nocase);
	}

	not_op = i < plen && pattern[i] == '^';
	if (not_op)
		i++;
	for (;;)
	{
		if (i >= plen)
		{
			i = plen - 1;		/* unterminated: back up one character */
			break;
		}
		if (pattern[i] == '\\' && plen - i >= 2)
		{
			i++;
			if ((unsigned char) pattern[i] == c)
				match = true;
		}
		else if (pattern[i] == ']')
			break;
		else if (plen - i >= 3 && pattern[i + 1] == '-')
		{
			int			start = (unsigned char) pattern[i];
			int			end = (unsigned char) pattern[i + 2];
			int			ch = c;

			if (start > end)
			{
				int			t = start;

				start = end;
				end = t;
			}
			if (nocase)
			{
				start = tolower(start);
				end = tolower(end);
				ch = tolower(ch);
			}
			i += 2;
			if (ch >= start && ch <= end)
				match = true;
		}
		else if (same_char((unsigned char) pattern[i], c, nocase))
			match = true;
		i++;
	}
	*elem_len = i + 1;
	return not_op ? !match : match;
}

/*
 * Glob-style match (Redis's KEYS/SCAN MATCH syntax). Every element but
 * '*' matches exactly one character, so on a mismatch only the last '*'
 * seen needs to take one more character: at most plen * slen steps,
 * where trying every split at every '*' is exponential ("a*a*a*...b").
 * As in Redis, an empty string matches only an empty pattern.
 */
bool
StringMatch(const char *pattern, size_t plen, const char *str, size_t slen,
			bool nocase)
{
	size_t		p = 0,
				s = 0,
				star_p = 0,
				star_s = 0;
	bool		have_star = false;

	if (slen == 0)
		return plen == 0;
	while (s < slen)
	{
		size_t		elem_len;

		if (p < plen && pattern[p] == '*')
		{
			while (p < plen && pattern[p] == '*')
				p++;
			if (p == plen)
				return true;
			have_star = true;
			star_p = p;
			star_s = s;
			continue;
		}
		if (p < plen && match_element(pattern + p, plen - p,
									  (unsigned char) str[s], nocase, &elem_len))
		{
			p += elem_len;
			s++;
			continue;
		}
		if (!have_star)
			return false;
		/* let the last '*' take one more character */
		p = star_p;
		s = ++star_s;
	}
	while (p < plen && pattern[p] == '*')
		p++;
	return p == plen;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
SplitArgs(const char *line, size_t len, int *argc_out, char ***argv_out,
		  size_t **lens_out)
{
	const char *p = line, *end = line + len;
	int argc = 0, cap = 8;
	char **argv = MemAlloc(sizeof(char *) * cap);
	size_t *lens = MemAlloc(sizeof(size_t) * cap);
	char *cur = NULL;
	size_t curlen = 0, curcap = 0;

	for (;;)
	{
		bool in_dq = false, in_sq = false, done = false;

		while (p < end && isspace((unsigned char) *p))
			p++;
		if (p >= end)
			break;
		curcap = 16;
		curlen = 0;
		cur = MemAlloc(curcap);
		while (!done)
		{
			char c;
			bool emit = true;

			if (in_dq)
			{
				if (p >= end)
					goto unbalanced;
				if (*p == '\\' && p + 3 < end && p[1] == 'x' &&
					hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0)
				{
					c = (char) (hex_value(p[2]) * 16 + hex_value(p[3]));
					p += 3;
				}
				else if (*p == '\\' && p + 1 < end)
				{
					p++;
					switch (*p)
					{
						case 'n': c = '\n'; break;
						case 'r': c = '\r'; break;
						case 't': c = '\t'; break;
						case 'b': c = '\b'; break;
						case 'a': c = '\a'; break;
						default: c = *p; break;
					}
				}
				else if (*p == '"')
				{
					/* closing quote must be followed by a space or the end */
					if (p + 1 < end && !isspace((unsigned char) p[1]))
						goto unbalanced;
					done = true;
					emit = false;
					c = 0;
				}
				else
					c = *p;
			}
			else if (in_sq)
			{
				if (p >= end)
					goto unbalanced;
				if (*p == '\\' && p + 1 < end && p[1] == '\'')
				{
					p++;
					c = '\'';
				}
				else if (*p == '\'')
				{
					if (p + 1 < end && !isspace((unsigned char) p[1]))
						goto unbalanced;
					done = true;
					emit = false;
					c = 0;
				}
				else
					c = *p;
			}
			else
			{
				if (p >= end)
					break;
				switch (*p)
				{
					case ' ':
					case '\n':
					case '\r':
					case '\t':
					case '\0':
						done = true;
						emit = false;
						c = 0;
						break;
					case '"':
						in_dq = true;
						emit = false;
						c = 0;
						break;
					case '\'':
						in_sq = true;
						emit = false;
						c = 0;
						break;
					default:
						c = *p;
						break;
				}
			}
			if (emit)
			{
				if (curlen + 1 >= curcap)
				{
					curcap *= 2;
					cur = MemRealloc(cur, curcap);
				}
				cur[curlen++] = c;
			}
			if (p < end)
				p++;
		}
		cur[curlen] = '\0';
		if (argc == cap)
		{
			cap *= 2;
			argv = MemRealloc(argv, sizeof(char *) * cap);
			lens = MemRealloc(lens, sizeof(size_t) * cap);
		}
		argv[argc] = cur;
		lens[argc] = curlen;
		argc++;
		cur = NULL;
	}
	*argc_out = argc;
	*argv_out = argv;
	*lens_out = lens;
	return true;

unbalanced:
	MemFree(cur);
	FreeArgs(argc, argv, lens);
	return false;
}

void
FreeArgs(int argc, char **argv, size_t *lens)
{
	for (int i = 0; i < argc; i++)
		MemFree(argv[i]);
	MemFree(argv);
	MemFree(lens);
}

int64_t
NowMs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
NowUs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
MonotonicUs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Send one message with up to two descriptors (SCM_RIGHTS); fds[i] < 0
 * ends the list.
 */
ssize_t
SendWithFds(int sock, const void *data, size_t len, const int *fds, int nfds, int flags)
{
	struct iovec iov = {(void *) data, len};
	union
	{
		struct cmsghdr hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	}			ctl;
	struct msghdr msg;
	int			n = 0;

	while (n < nfds && n < 2 && fds[n] >= 0)
		n++;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (n > 0)
	{
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t) n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t) n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t) n);
	}
	return sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
}

ssize_t
SendWithFd(int sock, const void *data, size_t len, int fd, int flags)
{
	return SendWithFds(sock, data, len, &fd, 1, flags);
}

/*
 * Receive one message into data; fds[0..1] get the descriptors that came
 * with it (close-on-exec), or -1.
 */
ssize_t
RecvWithFds(int sock, void *data, size_t len, int *fds, int flags)
{
	struct iovec iov = {data, len};
	union
	{
		struct cmsghdr hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	}			ctl;
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t		n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	fds[0] = fds[1] = -1;
	n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
			cm->cmsg_len >= CMSG_LEN(sizeof(int)))
		{
			size_t		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(fds, CMSG_DATA(cm), sizeof(int) * (k < 2 ? k : 2));
			for (size_t i = 2; i < k; i++)
			{
				int			extra;

				memcpy(&extra, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				close(extra);
			}
		}
	return n;
}

/*
 * The messages between the postmaster and a shared backend (server/README.md,
 * "Shared backends"): a tag and a process-array slot number, with up to two
 * descriptors.
 */
#define SLOT_MSG_LEN (1 + sizeof(int32_t))

bool
SendSlotMsg(int sock, char tag, int slotno, const int *fds, int nfds)
{
	char		msg[SLOT_MSG_LEN];
	int32_t		s = slotno;

	msg[0] = tag;
	memcpy(msg + 1, &s, sizeof(s));
	return SendWithFds(sock, msg, sizeof(msg), fds, nfds, 0) == (ssize_t) sizeof(msg);
}

ssize_t
RecvSlotMsg(int sock, char *tag, int *slotno, int *fds)
{
	char		msg[SLOT_MSG_LEN];
	int32_t		s;
	ssize_t		n = RecvWithFds(sock, msg, sizeof(msg), fds, MSG_DONTWAIT);

	*tag = '\0';
	if (n == (ssize_t) sizeof(msg) && msg[0] != '\0')
	{
		memcpy(&s, msg + 1, sizeof(s));
		*tag = msg[0];
		*slotno = s;
	}
	return n;
}

/* RecvWithFds for one descriptor: a second one sent along is closed. */
ssize_t
RecvWithFd(int sock, void *data, size_t len, int *fd, int flags)
{
	int			fds[2];
	ssize_t		n = RecvWithFds(sock, data, len, fds, flags);

	*fd = fds[0];
	if (fds[1] >= 0)
		close(fds[1]);
	return n;
}

/*
 * A fast pseudo-random number (xorshift64*), seeded per process from the
 * clock and the pid, so forked backends do not repeat each other.
 */
uint64_t
RandomU64(void)
{
	static uint64_t state;

	if (state == 0)
		state = (uint64_t) NowUs() ^ ((uint64_t) getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545F4914F6CDD1DULL;
}
