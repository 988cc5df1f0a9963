/*
 * reply.h
 *	  RESP2 and RESP3 reply writers into an in-memory buffer.
 *
 * NOTES
 *	  Socket-free: a ReplyBuf is appended to by commands and drained to the
 *	  socket by the backend loop. The protocol version decides how maps,
 *	  sets, nulls, doubles and booleans are written, as in Redis's
 *	  networking.c; commands call one function whatever the version.
 */
#ifndef TUSK_REPLY_H
#define TUSK_REPLY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ReplyBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	size_t		sent;			/* bytes already written to the socket */
	int			resp;			/* 2 or 3 */
} ReplyBuf;

void		ReplyInit(ReplyBuf *r);
void		ReplyFree(ReplyBuf *r);
void		ReplyReset(ReplyBuf *r);
void		ReplyAppend(ReplyBuf *r, const void *data, size_t len);

void		AddReplyStatus(ReplyBuf *r, const char *status);
void		AddReplyOk(ReplyBuf *r);
/* A HELP reply: the NULL-terminated lines as an array of status replies. */
void		AddReplyHelp(ReplyBuf *r, const char *const *lines);
/* text without the leading '-'; "\r" and "\n" become spaces as in Redis */
void		AddReplyError(ReplyBuf *r, const char *text);
void		AddReplyErrorLength(ReplyBuf *r, const char *text, size_t len);
void		AddReplyErrorFormat(ReplyBuf *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void		AddReplyBulk(ReplyBuf *r, const void *data, size_t len);
void		AddReplyBulkCString(ReplyBuf *r, const char *s);
void		AddReplyBulkLongLong(ReplyBuf *r, long long v);
void		AddReplyLongLong(ReplyBuf *r, long long v);
void		AddReplyDouble(ReplyBuf *r, double v);
void		AddReplyBool(ReplyBuf *r, bool v);
void		AddReplyNull(ReplyBuf *r);		/* $-1 or _ */
void		AddReplyNullArray(ReplyBuf *r);	/* *-1 or _ */
void		AddReplyArrayLen(ReplyBuf *r, long long n);
void		AddReplyMapLen(ReplyBuf *r, long long n);	/* pairs */
void		AddReplySetLen(ReplyBuf *r, long long n);
void		AddReplyPushLen(ReplyBuf *r, long long n);
void		AddReplyVerbatim(ReplyBuf *r, const char *text, size_t len, const char *ext);
void		AddReplyBigNum(ReplyBuf *r, const char *digits, size_t len);
void		AddReplyHumanLongDouble(ReplyBuf *r, long double v);

/*
 * Deferred lengths, for replies whose count is known only at the end:
 * reserve, write the elements, then set. Kinds are '*', '%' and '~'.
 */
size_t		AddReplyDeferredLen(ReplyBuf *r);
void		SetDeferredArrayLen(ReplyBuf *r, size_t handle, long long n);
void		SetDeferredMapLen(ReplyBuf *r, size_t handle, long long n);
void		SetDeferredSetLen(ReplyBuf *r, size_t handle, long long n);

/* Formats a long double as Redis's INCRBYFLOAT does (%.17Lf, trailing zeros cut). */
int			FormatHumanLongDouble(char *buf, size_t len, long double v);

#endif
