/*
 * tusk-waldump.c
 *	  Decode and print the WAL of a data directory, one line per record.
 *
 * NOTES
 *	  Usage: tusk-waldump [-D DATADIR] [-s START] [-n COUNT] [DATADIR]
 *	  START is an LSN as printed (X/Y); by default reading starts at the
 *	  redo point of the last checkpoint in global/control. Reading stops
 *	  where recovery would stop, and the reason is printed last (README
 *	  "Recovery": torn, crc, zero, stale page address...).
 *
 *	  Reads segment files only (no shared memory, no server), so it may run
 *	  against a live data directory: the end it reports is then just where
 *	  the server had written so far.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/kscounters.h"
#include "storage/xact.h"
#include "wal/control.h"
#include "wal/walrecord.h"
#include "wal/xlog.h"

static bool
parse_lsn(const char *s, XLogRecPtr *out)
{
	unsigned hi, lo;
	int used = 0;

	if (sscanf(s, "%X/%X%n", &hi, &lo, &used) != 2 || s[used] != '\0')
		return false;
	*out = ((XLogRecPtr) hi << 32) | lo;
	return true;
}

/* The keyspace counters a checkpoint record carries after its struct. */
static void
print_checkpoint_counters(const char *data, uint32_t len)
{
	KsCheckpointCounts c;
	char sum[48];

	if (len == 0)
	{
		printf(", no keyspace counters");
		return;
	}
	if (!KsCountersDecodeCheckpoint(data, len, &c))
	{
		printf(", invalid keyspace counters (%u bytes)", len);
		return;
	}
	printf(", keyspace counters v%u%s of %u databases:", c.version,
		   (c.flags & KS_COUNTERS_VALID) ? "" : " (not valid: recount)", c.databases);
	for (uint32_t i = 0; i < c.nentries; i++)
	{
		KsDbCounts e;

		KsCountersCheckpointEntry(&c, i, &e);
		if (e.keys == 0 && e.expires == 0 && e.expire_sum == 0)
			continue;
		printf(" db%u keys=%" PRId64 " expires=%" PRId64 " expire_sum=%s", i, e.keys, e.expires,
			   KsInt128ToString(e.expire_sum, sum, sizeof(sum)));
	}
}

static void
print_xlog_details(const DecodedWalRecord *rec)
{
	uint8_t op = rec->info & WAL_INFO_OPMASK;

	if ((op == XLOG_CHECKPOINT_SHUTDOWN || op == XLOG_CHECKPOINT_ONLINE) &&
		rec->main_len >= sizeof(XLogCheckpointData))
	{
		XLogCheckpointData cp;

		memcpy(&cp, rec->main_data, sizeof(cp));
		printf(", checkpoint %s: redo " WAL_PTR_FMT ", next_xid %" PRIu64 ", time %" PRId64
			   ", flags 0x%02X",
			   op == XLOG_CHECKPOINT_SHUTDOWN ? "shutdown" : "online", WAL_PTR_ARGS(cp.redo),
			   cp.next_xid, cp.time, cp.flags);
		print_checkpoint_counters(rec->main_data + sizeof(cp),
								  rec->main_len - (uint32_t) sizeof(cp));
	}
	else if (op == XLOG_NOOP)
		printf(", noop");
}

/* Commit and abort records; a commit's keyspace counter deltas. */
static void
print_xact_details(const DecodedWalRecord *rec)
{
	uint8_t op = rec->info & WAL_INFO_OPMASK;
	XactRecord xr;
	KsCountDelta d[16];
	int n;
	char sum[48];

	if ((op != XACT_COMMIT && op != XACT_ABORT) || rec->main_len < sizeof(xr))
		return;
	memcpy(&xr, rec->main_data, sizeof(xr));
	printf(", %s at %" PRId64, op == XACT_COMMIT ? "commit" : "abort", xr.time_ms);
	if (rec->main_len == sizeof(xr))
		return;
	n = KsCountersDecodeDeltas(rec->main_data + sizeof(xr), rec->main_len - (uint32_t) sizeof(xr),
							   d, 16);
	if (n < 0)
	{
		printf(", invalid keyspace deltas");
		return;
	}
	printf(", keyspace:");
	for (int i = 0; i < n && i < 16; i++)
		printf(" db%u keys%+" PRId64 " expires%+" PRId64 " expire_sum%s%s", d[i].db, d[i].d.keys,
			   d[i].d.expires, d[i].d.expire_sum >= 0 ? "+" : "",
			   KsInt128ToString(d[i].d.expire_sum, sum, sizeof(sum)));
	if (n > 16)
		printf(" ... (%d databases)", n);
}

int
main(int argc, char **argv)
{
	const char *datadir = ".";
	XLogRecPtr start = InvalidXLogRecPtr;
	long long limit = -1, count = 0;
	char waldir[512];
	XLogFileSource src;
	WalReader *reader;
	DecodedWalRecord *rec;
	int opt;

	while ((opt = getopt(argc, argv, "D:s:n:h")) != -1)
	{
		switch (opt)
		{
			case 'D':
				datadir = optarg;
				break;
			case 's':
				if (!parse_lsn(optarg, &start))
				{
					fprintf(stderr, "%s: invalid WAL position \"%s\"\n", argv[0], optarg);
					return 2;
				}
				break;
			case 'n':
				limit = atoll(optarg);
				break;
			default:
				fprintf(stderr, "usage: %s [-D DATADIR] [-s START] [-n COUNT] [DATADIR]\n",
						argv[0]);
				return 2;
		}
	}
	if (optind < argc)
		datadir = argv[optind];

	reader = malloc(sizeof(WalReader));
	if (reader == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	snprintf(waldir, sizeof(waldir), "%s/wal", datadir);
	XLogFileSourceInit(&src, waldir);
	WalReaderInit(reader, XLogFileSourceRead, &src);
	{
		ControlFile cf;
		char errbuf[CONTROL_ERRBUF_SIZE];

		if (ControlFileRead(datadir, &cf, errbuf))
		{
			WalReaderSetSystemIdentifier(reader, cf.system_identifier);
			if (start == InvalidXLogRecPtr)
				start = cf.redo;
		}
		else if (start == InvalidXLogRecPtr)
		{
			fprintf(stderr, "%s: could not read the control file (%s); give -s START\n", argv[0],
					errbuf);
			return 1;
		}
	}

	while ((limit < 0 || count < limit) &&
		   WalReaderNext(reader, count == 0 ? start : InvalidXLogRecPtr, &rec) == WAL_READ_OK)
	{
		printf("lsn: " WAL_PTR_FMT ", prev: " WAL_PTR_FMT ", xid: %" PRIu64
			   ", rmgr: %-11s info: 0x%02X, len: %u",
			   WAL_PTR_ARGS(reader->read_rec_ptr), WAL_PTR_ARGS(rec->prev), rec->xid,
			   WalRmgrName(rec->rmid), rec->info, rec->total_len);
		if (rec->main_len > 0)
			printf(", main: %u", rec->main_len);
		for (int i = 0; i < rec->nblocks; i++)
		{
			const DecodedWalBlock *blk = &rec->blocks[i];

			printf(", blk %u: rel %u blk %u", blk->block_id, blk->rel, blk->blkno);
			if (blk->has_image)
				printf(" FPI (hole %u@%u)", blk->hole_length, blk->hole_offset);
			if (blk->flags & WAL_BKP_WILL_INIT)
				printf(" WILL_INIT");
			if (blk->data_len > 0)
				printf(" data %u", blk->data_len);
		}
		if (rec->rmid == WAL_RM_XLOG)
			print_xlog_details(rec);
		else if (rec->rmid == WAL_RM_XACT)
			print_xact_details(rec);
		putchar('\n');
		count++;
	}
	if (limit >= 0 && count >= limit)
		printf("stopped after %lld records at " WAL_PTR_FMT "\n", count,
			   WAL_PTR_ARGS(reader->next_rec_ptr));
	else
		printf("end of WAL at " WAL_PTR_FMT " after %lld records (%s): %s\n",
			   WAL_PTR_ARGS(reader->end_ptr), count, WalEndReasonName(reader->end_reason),
			   reader->end_message);
	XLogFileSourceClose(&src);
	WalReaderFree(reader);
	free(reader);
	return 0;
}
