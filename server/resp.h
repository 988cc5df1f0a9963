/*
 * resp.h
 *	  Streaming, socket-free parser for client requests: RESP multibulk
 *	  ("*2\r\n$4\r\nPING\r\n...") and inline ("PING hello\r\n") forms.
 *
 * NOTES
 *	  The caller owns the input buffer and passes the bytes of the current
 *	  request onwards from its first byte; the parser keeps its progress in
 *	  RespParser so that a request split over many reads is not re-scanned,
 *	  and records arguments as offsets from the request's first byte, so the
 *	  caller may move (compact, grow) the buffer between calls. Limits and
 *	  error texts are Redis's (networking.c): an error means "reply
 *	  -ERR Protocol error: <text> and close the connection".
 */
#ifndef TUSK_RESP_H
#define TUSK_RESP_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>

#define RESP_INLINE_MAX_SIZE (64 * 1024)	/* PROTO_INLINE_MAX_SIZE */
#define RESP_MAX_MULTIBULK_LEN INT_MAX	/* Redis waits for up to INT_MAX arguments */

typedef enum RespStatus
{
	RESP_NEED_MORE,				/* feed more bytes and call again */
	RESP_REQUEST,				/* a request is complete */
	RESP_EMPTY,					/* an empty request (blank line, *0, *-1) */
	RESP_ERROR,					/* protocol error; see parser->error */
} RespStatus;

typedef struct RespArg
{
	size_t		offset;			/* from the first byte of the request */
	size_t		len;
} RespArg;

typedef struct RespParser
{
	/* limits, set by the caller */
	long long	max_bulk_len;	/* proto-max-bulk-len */
	bool		authenticated;	/* Redis caps unauthenticated sizes */

	/* progress within the current request */
	int			kind;			/* 0 unknown, '*' multibulk, 'i' inline */
	size_t		pos;			/* bytes of the request scanned so far */
	long long	multibulk_len;	/* arguments announced */
	long long	bulk_len;		/* length of the argument being read, -1 none */

	/* result */
	int			argc;
	int			argv_cap;
	RespArg    *argv;
	char	  **inline_argv;	/* inline requests own unescaped copies */
	size_t	   *inline_lens;
	size_t		consumed;		/* bytes of the buffer this request used */
	const char *error;			/* text after "Protocol error: " */
	char		error_buf[64];
} RespParser;

void		RespParserInit(RespParser *p, long long max_bulk_len);
void		RespParserFree(RespParser *p);

/*
 * Parse from buf[0..len), where buf[0] is the first byte of the current
 * request. On RESP_REQUEST or RESP_EMPTY, p->consumed bytes belong to it;
 * the caller drops them and calls RespParserReset() before the next one.
 */
RespStatus	RespParse(RespParser *p, const char *buf, size_t len);
void		RespParserReset(RespParser *p);

/* Argument i of a complete request, whichever form it came in. */
static inline const char *
RespArgPtr(const RespParser *p, const char *buf, int i)
{
	return p->inline_argv ? p->inline_argv[i] : buf + p->argv[i].offset;
}

static inline size_t
RespArgLen(const RespParser *p, int i)
{
	return p->inline_argv ? p->inline_lens[i] : p->argv[i].len;
}

#endif
