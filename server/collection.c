/*
 * collection.c
 *	  Helpers the inline collections share; see collection.h.
 */
#include "config.h"

#include "server/collection.h"

uint32_t
CollGetLen(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint32_t) u[0] | (uint32_t) u[1] << 8 | (uint32_t) u[2] << 16 | (uint32_t) u[3] << 24;
}

void
CollPutLen(char *p, size_t len)
{
	p[0] = (char) (len & 0xff);
	p[1] = (char) ((len >> 8) & 0xff);
	p[2] = (char) ((len >> 16) & 0xff);
	p[3] = (char) ((len >> 24) & 0xff);
}

bool
CollParseScanOptions(Client *c, int first, const char **pattern, size_t *plen)
{
	*pattern = NULL;
	*plen = 0;
	for (int i = first; i < c->argc; i += 2)
	{
		long long	count;

		if (i + 1 >= c->argc || (!ArgEquals(c, i, "match") && !ArgEquals(c, i, "count")))
		{
			ReplySyntaxError(c);
			return false;
		}
		if (ArgEquals(c, i, "match"))
		{
			*pattern = c->argv[i + 1];
			*plen = c->argv_len[i + 1];
		}
		else if (!GetLongLongOrReply(c, i + 1, &count, NULL))
			return false;
		else if (count < 1)
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	return true;
}

void
CollReplyNull(Client *c)
{
	AddReplyNull(&c->reply);
}

void
CollReplyZero(Client *c)
{
	AddReplyLongLong(&c->reply, 0);
}

void
CollReplyEmptyArray(Client *c)
{
	AddReplyArrayLen(&c->reply, 0);
}

void
CollReplyEmptyScan(Client *c)
{
	AddReplyArrayLen(&c->reply, 2);
	AddReplyBulkCString(&c->reply, "0");
	AddReplyArrayLen(&c->reply, 0);
}

void
CollReplyCount(Client *c, void *arg)
{
	AddReplyLongLong(&c->reply, *(long long *) arg);
}
