/*
 * reply.c
 *	  Reply writers; see reply.h.
 *
 * NOTES
 *	  Deferred lengths reserve a fixed-width placeholder and, when set, move
 *	  the tail to close the gap: replies with deferred lengths are short
 *	  (CONFIG GET, COMMAND, CLIENT LIST pieces), so the move is cheap.
 */
#include "config.h"

#include "server/reply.h"
#include "server/util.h"
#include "storage/mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DEFERRED_PLACEHOLDER_LEN 24

void
ReplyInit(ReplyBuf *r)
{
	memset(r, 0, sizeof(*r));
	r->resp = 2;
}

void
ReplyFree(ReplyBuf *r)
{
	MemFree(r->data);
	r->data = NULL;
	r->len = r->cap = r->sent = 0;
}

void
ReplyReset(ReplyBuf *r)
{
	r->len = r->sent = 0;
}

void
ReplyAppend(ReplyBuf *r, const void *data, size_t len)
{
	if (r->len + len > r->cap)
	{
		size_t cap = r->cap ? r->cap : 16 * 1024;

		while (cap < r->len + len)
			cap *= 2;
		r->data = MemRealloc(r->data, cap);
		r->cap = cap;
	}
	memcpy(r->data + r->len, data, len);
	r->len += len;
}

static void
append_prefixed_number(ReplyBuf *r, char prefix, long long n)
{
	char buf[32];
	int len;

	buf[0] = prefix;
	len = 1 + LongLongToString(buf + 1, sizeof(buf) - 1, n);
	buf[len++] = '\r';
	buf[len++] = '\n';
	ReplyAppend(r, buf, (size_t) len);
}

void
AddReplyStatus(ReplyBuf *r, const char *status)
{
	ReplyAppend(r, "+", 1);
	ReplyAppend(r, status, strlen(status));
	ReplyAppend(r, "\r\n", 2);
}

void
AddReplyHelp(ReplyBuf *r, const char *const *lines)
{
	long long	n = 0;

	while (lines[n])
		n++;
	AddReplyArrayLen(r, n);
	for (long long i = 0; i < n; i++)
		AddReplyStatus(r, lines[i]);
}

void
AddReplyOk(ReplyBuf *r)
{
	ReplyAppend(r, "+OK\r\n", 5);
}

void
AddReplyErrorLength(ReplyBuf *r, const char *text, size_t len)
{
	size_t start;

	ReplyAppend(r, "-", 1);
	start = r->len;
	ReplyAppend(r, text, len);
	for (size_t i = start; i < r->len; i++)
		if (r->data[i] == '\r' || r->data[i] == '\n')
			r->data[i] = ' ';
	ReplyAppend(r, "\r\n", 2);
}

void
AddReplyError(ReplyBuf *r, const char *text)
{
	AddReplyErrorLength(r, text, strlen(text));
}

void
AddReplyErrorFormat(ReplyBuf *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t) n >= sizeof(buf))
		n = sizeof(buf) - 1;
	AddReplyErrorLength(r, buf, (size_t) n);
}

void
AddReplyBulk(ReplyBuf *r, const void *data, size_t len)
{
	append_prefixed_number(r, '$', (long long) len);
	ReplyAppend(r, data, len);
	ReplyAppend(r, "\r\n", 2);
}

void
AddReplyBulkCString(ReplyBuf *r, const char *s)
{
	if (s == NULL)
		AddReplyNull(r);
	else
		AddReplyBulk(r, s, strlen(s));
}

void
AddReplyBulkLongLong(ReplyBuf *r, long long v)
{
	char buf[32];
	int len = LongLongToString(buf, sizeof(buf), v);

	AddReplyBulk(r, buf, (size_t) len);
}

void
AddReplyLongLong(ReplyBuf *r, long long v)
{
	append_prefixed_number(r, ':', v);
}

void
AddReplyDouble(ReplyBuf *r, double v)
{
	char buf[64];
	int len;

	if (r->resp == 2)
	{
		len = DoubleToString(buf, sizeof(buf), v);
		AddReplyBulk(r, buf, (size_t) len);
		return;
	}
	ReplyAppend(r, ",", 1);
	len = DoubleToString(buf, sizeof(buf), v);
	ReplyAppend(r, buf, (size_t) len);
	ReplyAppend(r, "\r\n", 2);
}

void
AddReplyBool(ReplyBuf *r, bool v)
{
	if (r->resp == 2)
		AddReplyLongLong(r, v ? 1 : 0);
	else
		ReplyAppend(r, v ? "#t\r\n" : "#f\r\n", 4);
}

void
AddReplyNull(ReplyBuf *r)
{
	if (r->resp == 2)
		ReplyAppend(r, "$-1\r\n", 5);
	else
		ReplyAppend(r, "_\r\n", 3);
}

void
AddReplyNullArray(ReplyBuf *r)
{
	if (r->resp == 2)
		ReplyAppend(r, "*-1\r\n", 5);
	else
		ReplyAppend(r, "_\r\n", 3);
}

void
AddReplyArrayLen(ReplyBuf *r, long long n)
{
	append_prefixed_number(r, '*', n);
}

void
AddReplyMapLen(ReplyBuf *r, long long n)
{
	if (r->resp == 2)
		append_prefixed_number(r, '*', n * 2);
	else
		append_prefixed_number(r, '%', n);
}

void
AddReplySetLen(ReplyBuf *r, long long n)
{
	append_prefixed_number(r, r->resp == 2 ? '*' : '~', n);
}

void
AddReplyPushLen(ReplyBuf *r, long long n)
{
	append_prefixed_number(r, r->resp == 2 ? '*' : '>', n);
}

void
AddReplyVerbatim(ReplyBuf *r, const char *text, size_t len, const char *ext)
{
	if (r->resp == 2)
	{
		AddReplyBulk(r, text, len);
		return;
	}
	append_prefixed_number(r, '=', (long long) len + 4);
	ReplyAppend(r, ext, 3);
	ReplyAppend(r, ":", 1);
	ReplyAppend(r, text, len);
	ReplyAppend(r, "\r\n", 2);
}

void
AddReplyBigNum(ReplyBuf *r, const char *digits, size_t len)
{
	if (r->resp == 2)
	{
		AddReplyBulk(r, digits, len);
		return;
	}
	ReplyAppend(r, "(", 1);
	ReplyAppend(r, digits, len);
	ReplyAppend(r, "\r\n", 2);
}

int
FormatHumanLongDouble(char *buf, size_t len, long double v)
{
	int n;

	if (isinf(v))
		return snprintf(buf, len, v > 0 ? "inf" : "-inf");
	n = snprintf(buf, len, "%.17Lf", v);
	if (n < 0 || (size_t) n >= len)
		return snprintf(buf, len, "%.17Lg", v);
	if (strchr(buf, '.'))
	{
		char *p = buf + n - 1;

		while (*p == '0')
		{
			p--;
			n--;
		}
		if (*p == '.')
			n--;
		buf[n] = '\0';
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0')
	{
		buf[0] = '0';
		buf[1] = '\0';
		n = 1;
	}
	return n;
}

void
AddReplyHumanLongDouble(ReplyBuf *r, long double v)
{
	char buf[5 * 1024];
	int n = FormatHumanLongDouble(buf, sizeof(buf), v);

	AddReplyBulk(r, buf, (size_t) n);
}

size_t
AddReplyDeferredLen(ReplyBuf *r)
{
	size_t handle = r->len;
	char placeholder[DEFERRED_PLACEHOLDER_LEN];

	memset(placeholder, ' ', sizeof(placeholder));
	ReplyAppend(r, placeholder, sizeof(placeholder));
	return handle;
}

static void
set_deferred(ReplyBuf *r, size_t handle, char prefix, long long n)
{
	char buf[32];
	int len;
	size_t tail = handle + DEFERRED_PLACEHOLDER_LEN;

	buf[0] = prefix;
	len = 1 + LongLongToString(buf + 1, sizeof(buf) - 1, n);
	buf[len++] = '\r';
	buf[len++] = '\n';
	memcpy(r->data + handle, buf, (size_t) len);
	memmove(r->data + handle + len, r->data + tail, r->len - tail);
	r->len -= DEFERRED_PLACEHOLDER_LEN - (size_t) len;
}

void
SetDeferredArrayLen(ReplyBuf *r, size_t handle, long long n)
{
	set_deferred(r, handle, '*', n);
}

void
SetDeferredMapLen(ReplyBuf *r, size_t handle, long long n)
{
	if (r->resp == 2)
		set_deferred(r, handle, '*', n * 2);
	else
		set_deferred(r, handle, '%', n);
}

void
SetDeferredSetLen(ReplyBuf *r, size_t handle, long long n)
{
	set_deferred(r, handle, r->resp == 2 ? '*' : '~', n);
}
