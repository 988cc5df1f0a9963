/*
 * resp.c
 *	  Request parser; see resp.h.
 *
 * NOTES
 *	  Pure function of its input bytes and state: no sockets, no globals,
 *	  no server headers, so the unit tests and the fuzzer drive it directly.
 */
#include "config.h"

#include "server/resp.h"
#include "server/util.h"
#include "storage/mem.h"

#include <stdio.h>
#include <string.h>

void
RespParserInit(RespParser *p, long long max_bulk_len)
{
	memset(p, 0, sizeof(*p));
	p->max_bulk_len = max_bulk_len;
	p->bulk_len = -1;
}

void
RespParserFree(RespParser *p)
{
	RespParserReset(p);
	MemFree(p->argv);
	p->argv = NULL;
	p->argv_cap = 0;
}

void
RespParserReset(RespParser *p)
{
	if (p->inline_argv)
	{
		FreeArgs(p->argc, p->inline_argv, p->inline_lens);
		p->inline_argv = NULL;
		p->inline_lens = NULL;
	}
	p->kind = 0;
	p->pos = 0;
	p->multibulk_len = 0;
	p->bulk_len = -1;
	p->argc = 0;
	p->consumed = 0;
	p->error = NULL;
}

static RespStatus
fail(RespParser *p, const char *text)
{
	p->error = text;
	return RESP_ERROR;
}

/*
 * Redis looks for the first '\r' of a header line and then skips two bytes
 * without checking the '\n'; do the same so that odd input parses alike.
 */
static const char *
find_crlf(const char *start, size_t len)
{
	const char *cr = memchr(start, '\r', len);

	/*
	 * ... and, like strchr(), it never looks past a NUL byte. Only the
	 * header itself is searched for one: scanning the whole buffer before
	 * every argument made a command of n arguments cost n^2.
	 */
	if (cr == NULL || memchr(start, '\0', (size_t) (cr - start)) != NULL ||
		(size_t) (cr - start) + 2 > len)
		return NULL;
	return cr;
}

static RespStatus
parse_inline(RespParser *p, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t linelen;

	/*
	 * Redis finds the end of an inline request with strchr(), which stops
	 * at a NUL byte: a NUL before the newline means "no newline yet".
	 */
	if (nl != NULL && memchr(buf, '\0', (size_t) (nl - buf)) != NULL)
		nl = NULL;
	if (nl == NULL)
	{
		if (len > RESP_INLINE_MAX_SIZE)
			return fail(p, "too big inline request");
		return RESP_NEED_MORE;
	}
	linelen = (size_t) (nl - buf);
	p->consumed = linelen + 1;
	if (linelen > 0 && buf[linelen - 1] == '\r')
		linelen--;
	if (!SplitArgs(buf, linelen, &p->argc, &p->inline_argv, &p->inline_lens))
	{
		p->argc = 0;
		return fail(p, "unbalanced quotes in request");
	}
	if (p->argc == 0)
	{
		FreeArgs(0, p->inline_argv, p->inline_lens);
		p->inline_argv = NULL;
		p->inline_lens = NULL;
		return RESP_EMPTY;
	}
	return RESP_REQUEST;
}

static void
push_arg(RespParser *p, size_t offset, size_t len)
{
	if (p->argc == p->argv_cap)
	{
		int cap = p->argv_cap ? p->argv_cap * 2 : 8;

		/* never more than announced, which is capped at 1M */
		if (cap > p->multibulk_len && p->multibulk_len > 0)
			cap = (int) p->multibulk_len;
		if (cap <= p->argc)
			cap = p->argc + 1;
		p->argv = MemRealloc(p->argv, sizeof(RespArg) * (size_t) cap);
		p->argv_cap = cap;
	}
	p->argv[p->argc].offset = offset;
	p->argv[p->argc].len = len;
	p->argc++;
}

static RespStatus
parse_multibulk(RespParser *p, const char *buf, size_t len)
{
	if (p->multibulk_len == 0)
	{
		const char *crlf = find_crlf(buf, len);
		long long n;

		if (crlf == NULL)
		{
			if (len > RESP_INLINE_MAX_SIZE)
				return fail(p, "too big mbulk count string");
			return RESP_NEED_MORE;
		}
		if (!StringToLongLong(buf + 1, (size_t) (crlf - buf - 1), &n) || n > RESP_MAX_MULTIBULK_LEN)
			return fail(p, "invalid multibulk length");
		if (n > 10 && !p->authenticated)
			return fail(p, "unauthenticated multibulk length");
		p->pos = (size_t) (crlf - buf) + 2;
		if (n <= 0)
		{
			p->consumed = p->pos;
			return RESP_EMPTY;
		}
		p->multibulk_len = n;
	}

	while (p->argc < p->multibulk_len)
	{
		if (p->bulk_len < 0)
		{
			const char *start = buf + p->pos;
			size_t avail = len - p->pos;
			const char *crlf;
			long long n;

			if (avail == 0)
				return RESP_NEED_MORE;
			crlf = find_crlf(start, avail);
			if (crlf == NULL)
			{
				if (avail > RESP_INLINE_MAX_SIZE)
					return fail(p, "too big bulk count string");
				/* Redis checks the '$' only once a full line is there */
				return RESP_NEED_MORE;
			}
			if (start[0] != '$')
			{
				snprintf(p->error_buf, sizeof(p->error_buf), "expected '$', got '%c'", start[0]);
				return fail(p, p->error_buf);
			}
			if (!StringToLongLong(start + 1, (size_t) (crlf - start - 1), &n) ||
				n < 0 || n > p->max_bulk_len)
				return fail(p, "invalid bulk length");
			if (n > 16384 && !p->authenticated)
				return fail(p, "unauthenticated bulk length");
			p->pos += (size_t) (crlf - start) + 2;
			p->bulk_len = n;
		}
		if (len - p->pos < (size_t) p->bulk_len + 2)
			return RESP_NEED_MORE;
		/* Redis does not check the two bytes after the payload either */
		push_arg(p, p->pos, (size_t) p->bulk_len);
		p->pos += (size_t) p->bulk_len + 2;
		p->bulk_len = -1;
	}
	p->consumed = p->pos;
	return RESP_REQUEST;
}

RespStatus
RespParse(RespParser *p, const char *buf, size_t len)
{
	if (len == 0)
		return RESP_NEED_MORE;
	if (p->kind == 0)
		p->kind = buf[0] == '*' ? '*' : 'i';
	if (p->kind == '*')
		return parse_multibulk(p, buf, len);
	return parse_inline(p, buf, len);
}

