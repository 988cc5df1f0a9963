/*
 * collection.c
 *	  Helpers the inline collections share; see collection.h.
 */
#include "config.h"

#include "server/collection.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/mem.h"

#include <string.h>

static uint32_t
get_len(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint32_t) u[0] | (uint32_t) u[1] << 8 | (uint32_t) u[2] << 16 | (uint32_t) u[3] << 24;
}

static void
put_len(char *p, size_t len)
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

void
CollElemsFree(CollElems *a)
{
	MemFree(a->e);
	memset(a, 0, sizeof(*a));
}

void
CollElemsInsert(CollElems *a, long pos, const char *p, size_t len)
{
	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 8;
		a->e = MemRealloc(a->e, sizeof(CollElem) * (size_t) a->cap);
	}
	memmove(&a->e[pos + 1], &a->e[pos], sizeof(CollElem) * (size_t) (a->n - pos));
	a->e[pos].p = p;
	a->e[pos].len = len;
	a->n++;
}

void
CollElemsRemove(CollElems *a, long pos)
{
	memmove(&a->e[pos], &a->e[pos + 1], sizeof(CollElem) * (size_t) (a->n - pos - 1));
	a->n--;
}

bool
CollElemsDecode(const char *data, size_t len, CollElems *a)
{
	size_t		off = 0;

	memset(a, 0, sizeof(*a));
	while (off < len)
	{
		uint32_t	elen;

		if (len - off < 4 || (elen = get_len(data + off)) > len - off - 4)
			return false;
		CollElemsInsert(a, a->n, data + off + 4, elen);
		off += 4 + elen;
	}
	return true;
}

size_t
CollElemsEncodedSize(const CollElems *a)
{
	size_t		size = 0;

	for (long i = 0; i < a->n; i++)
		size += 4 + a->e[i].len;
	return size;
}

char *
CollElemsEncode(const CollElems *a, size_t *len)
{
	char	   *out = MemAlloc(CollElemsEncodedSize(a) + 1);
	size_t		off = 0;

	for (long i = 0; i < a->n; i++)
	{
		put_len(out + off, a->e[i].len);
		memcpy(out + off + 4, a->e[i].p, a->e[i].len);
		off += 4 + a->e[i].len;
	}
	*len = off;
	return out;
}

bool
CollAsElems(Client *c, const KsValue *v, uint8_t type, CollElems *a)
{
	memset(a, 0, sizeof(*a));
	if (!v->exists)
		return true;
	if (v->type != type)
	{
		AddReplyError(&c->reply, err_wrongtype);
		return false;
	}
	if (!CollElemsDecode(v->value, v->value_len, a))
	{
		AddReplyError(&c->reply, "ERR storage error; see the server log");
		CollElemsFree(a);
		return false;
	}
	return true;
}

bool
CollReadValue(Client *c, KsValue *v, void (*missing_reply) (Client *c))
{
	if (!CmdReadOneKey(c, 1, v))
		return false;
	if (!v->exists)
	{
		missing_reply(c);
		KsValueRelease(v);
		return false;
	}
	return true;
}

bool
CollReadElems(Client *c, KsValue *v, uint8_t type, CollElems *a,
			  void (*missing_reply) (Client *c))
{
	memset(a, 0, sizeof(*a));
	if (!CollReadValue(c, v, missing_reply))
		return false;
	if (!CollAsElems(c, v, type, a))
	{
		KsValueRelease(v);
		return false;
	}
	return true;
}

bool
CollStoreElems(Client *c, int argi, const CollElems *a, uint8_t type, const KsValue *cur,
			   bool keep_ttl, size_t max_bytes, const char *too_big)
{
	return CollStoreElemsFlags(c, argi, a, type, 0, cur, keep_ttl, max_bytes, too_big);
}

bool
CollStoreElemsFlags(Client *c, int argi, const CollElems *a, uint8_t type, uint8_t user_flags,
					const KsValue *cur, bool keep_ttl, size_t max_bytes, const char *too_big)
{
	KsStatus	st = KS_OK;

	if (CollElemsEncodedSize(a) > max_bytes)
	{
		AddReplyError(&c->reply, too_big);
		return false;
	}
	if (a->n == 0)
	{
		if (cur->exists)
			st = KsDelete(c->db, c->argv[argi], c->argv_len[argi], cur);
	}
	else
	{
		size_t		len;
		char	   *enc = CollElemsEncode(a, &len);

		st = KsPutFlags(c->db, c->argv[argi], c->argv_len[argi], type, user_flags, enc, len,
						keep_ttl && cur->exists ? cur->expire_ms : 0, cur);
		MemFree(enc);
	}
	return st == KS_OK || ReplyKsError(c, st);
}

char *
CollElemsCopy(const CollElems *a, long first, int step, long n, CollElems *out)
{
	size_t		total = 0, off = 0;
	char	   *block;

	for (long k = 0; k < n; k++)
		total += a->e[first + k * step].len;
	block = MemAlloc(total + 1);
	for (long k = 0; k < n; k++)
	{
		const CollElem *e = &a->e[first + k * step];

		memcpy(block + off, e->p, e->len);
		CollElemsInsert(out, out->n, block + off, e->len);
		off += e->len;
	}
	return block;
}

bool
CollParsePopCount(Client *c, bool *has_count, long long *count)
{
	*has_count = c->argc == 3;
	*count = 1;
	if (*has_count &&
		(!StringToLongLong(c->argv[2], c->argv_len[2], count) || *count < 0))
	{
		AddReplyError(&c->reply, "ERR value is out of range, must be positive");
		return false;
	}
	return true;
}
