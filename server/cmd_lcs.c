/*
 * cmd_lcs.c
 *	  LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the
 *	  longest common subsequence of two strings, as Redis 7.0 computes it.
 *
 * NOTES
 *	  Runs in backends; a read command (server/txn.h): both keys come from
 *	  one snapshot, and the reply waits until what it saw is durable. The
 *	  dynamic programming table is (len1+1) * (len2+1) 32-bit cells in
 *	  private memory, refused above proto-max-bulk-len like Redis does;
 *	  the work is O(len1 * len2) and runs with no lock held.
 */
#include "config.h"

#include "server/server.h"
#include "server/settings.h"
#include "server/txn.h"
#include "storage/mem.h"
#include "storage/stats.h"

#include <stdint.h>
#include <string.h>

typedef struct LcsOptions
{
	bool		getlen;
	bool		getidx;
	bool		withmatchlen;
	long long	minmatchlen;
} LcsOptions;

/* Options after the keys; false after an error reply. */
static bool
parse_lcs_options(Client *c, LcsOptions *o)
{
	memset(o, 0, sizeof(*o));
	for (int j = 3; j < c->argc; j++)
	{
		bool moreargs = j + 1 < c->argc;

		if (ArgEquals(c, j, "idx"))
			o->getidx = true;
		else if (ArgEquals(c, j, "len"))
			o->getlen = true;
		else if (ArgEquals(c, j, "withmatchlen"))
			o->withmatchlen = true;
		else if (ArgEquals(c, j, "minmatchlen") && moreargs)
		{
			if (!GetLongLongOrReply(c, j + 1, &o->minmatchlen, NULL))
				return false;
			if (o->minmatchlen < 0)
				o->minmatchlen = 0;
			j++;
		}
		else
		{
			ReplySyntaxError(c);
			return false;
		}
	}
	if (o->getidx && o->getlen)
	{
		AddReplyError(&c->reply, "ERR If you want both the length and indexes, please just use IDX.");
		return false;
	}
	return true;
}

/* The table, the walk back and the reply: Redis's lcsCommand step by step. */
static void
reply_lcs(Client *c, const char *a, uint32_t alen, const char *b, uint32_t blen,
		  const LcsOptions *o)
{
	unsigned long long cells = (unsigned long long) (alen + 1) * (blen + 1);
	unsigned long long bytes = cells * sizeof(uint32_t);
	uint32_t   *lcs;
	uint32_t	i, j, idx;
	uint32_t	arange_start = alen, arange_end = 0, brange_start = 0, brange_end = 0;
	uint32_t	arraylen = 0;
	char	   *result = NULL;
	size_t		arraylen_handle = 0;
	bool		computelcs = o->getidx || !o->getlen;

#define LCS(A, B) lcs[(B) + ((size_t) (A) * (blen + 1))]
	if (bytes / cells != sizeof(uint32_t) || bytes > (unsigned long long) server_config->proto_max_bulk_len)
	{
		AddReplyError(&c->reply, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
		return;
	}
	lcs = MemAlloc((size_t) bytes);
	for (i = 0; i <= alen; i++)
	{
		for (j = 0; j <= blen; j++)
		{
			if (i == 0 || j == 0)
				LCS(i, j) = 0;
			else if (a[i - 1] == b[j - 1])
				LCS(i, j) = LCS(i - 1, j - 1) + 1;
			else
			{
				uint32_t	lcs1 = LCS(i - 1, j);
				uint32_t	lcs2 = LCS(i, j - 1);

				LCS(i, j) = lcs1 > lcs2 ? lcs1 : lcs2;
			}
		}
	}

	idx = LCS(alen, blen);
	if (computelcs)
		result = MemAlloc((size_t) idx + 1);
	if (o->getidx)
	{
		AddReplyMapLen(&c->reply, 2);
		AddReplyBulkCString(&c->reply, "matches");
		arraylen_handle = AddReplyDeferredLen(&c->reply);
	}

	i = alen;
	j = blen;
	while (computelcs && i > 0 && j > 0)
	{
		bool		emit_range = false;
		uint32_t	match_len;

		if (a[i - 1] == b[j - 1])
		{
			result[idx - 1] = a[i - 1];
			if (arange_start == alen)
			{
				arange_start = i - 1;
				arange_end = i - 1;
				brange_start = j - 1;
				brange_end = j - 1;
			}
			else if (arange_start == i && brange_start == j)
			{
				/* contiguous: extend the range backward */
				arange_start--;
				brange_start--;
			}
			else
				emit_range = true;
			/* matched the first byte of a string: the loop ends now */
			if (arange_start == 0 || brange_start == 0)
				emit_range = true;
			idx--;
			i--;
			j--;
		}
		else
		{
			if (LCS(i - 1, j) > LCS(i, j - 1))
				i--;
			else
				j--;
			if (arange_start != alen)
				emit_range = true;
		}

		match_len = arange_end - arange_start + 1;
		if (emit_range)
		{
			if ((o->minmatchlen == 0 || match_len >= o->minmatchlen) && o->getidx)
			{
				AddReplyArrayLen(&c->reply, 2 + o->withmatchlen);
				AddReplyArrayLen(&c->reply, 2);
				AddReplyLongLong(&c->reply, arange_start);
				AddReplyLongLong(&c->reply, arange_end);
				AddReplyArrayLen(&c->reply, 2);
				AddReplyLongLong(&c->reply, brange_start);
				AddReplyLongLong(&c->reply, brange_end);
				if (o->withmatchlen)
					AddReplyLongLong(&c->reply, match_len);
				arraylen++;
			}
			arange_start = alen;	/* restart at the next match */
		}
	}

	if (o->getidx)
	{
		AddReplyBulkCString(&c->reply, "len");
		AddReplyLongLong(&c->reply, LCS(alen, blen));
		SetDeferredArrayLen(&c->reply, arraylen_handle, arraylen);
	}
	else if (o->getlen)
		AddReplyLongLong(&c->reply, idx);
	else
		AddReplyBulk(&c->reply, result, LCS(alen, blen));
#undef LCS
	MemFree(result);
	MemFree(lcs);
}

void
LcsCommand(Client *c)
{
	CmdTxn		t;
	KsValue		a, b;
	LcsOptions	o;
	bool		ok;

	CmdReadBegin(c, &t);
	KsValueInit(&b);
	ok = CmdLoadVisible(c, &t, 1, &a) && CmdLoadVisible(c, &t, 2, &b);
	if (!ok)
		SnapshotReleaseAll();
	else if (CmdReadEnd(c, &t))
	{
		/* Redis checks the types before the options. */
		if ((a.exists && a.type != KS_TYPE_STRING) || (b.exists && b.type != KS_TYPE_STRING))
			AddReplyError(&c->reply, "ERR The specified keys must contain string values");
		else if (parse_lcs_options(c, &o))
		{
			if ((a.exists && a.value_len >= UINT32_MAX - 1) ||
				(b.exists && b.value_len >= UINT32_MAX - 1))
				AddReplyError(&c->reply, "ERR String too long for LCS");
			else
				reply_lcs(c, a.exists ? a.value : "", a.exists ? (uint32_t) a.value_len : 0,
						  b.exists ? b.value : "", b.exists ? (uint32_t) b.value_len : 0, &o);
		}
	}
	KsValueRelease(&a);
	KsValueRelease(&b);
}
