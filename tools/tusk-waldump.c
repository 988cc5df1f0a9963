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

static void
print_xlog_details(const DecodedWalRecord *rec)
{
	uint8_t op = rec->info & WAL_INFO_OPMASK;

	if ((op == XLOG_CHECKPOINT_SHUTDOWN || op == XLOG_CHECKPOINT_ONLINE) &&
		rec->main_len == sizeof(XLogCheckpointData))
	{
		XLogCheckpointData cp;

		memcpy(&cp, rec->main_data, sizeof(cp));
		printf(", checkpoint %s: redo " WAL_PTR_FMT ", next_xid %" PRIu64 ", time %" PRId64
			   ", flags 0x%02X",
			   op == XLOG_CHECKPOINT_SHUTDOWN ? "shutdown" : "online", WAL_PTR_ARGS(cp.redo),
			   cp.next_xid, cp.time, cp.flags);
	}
	else if (op == XLOG_NOOP)
		printf(", noop");
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
