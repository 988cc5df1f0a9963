/*
 * tusk-controldata.c
 *	  Print every field of a data directory's control file.
 *
 * NOTES
 *	  Usage: tusk-controldata [DATADIR]   (default: the current directory)
 *	  Reads global/control with ControlFileRead, so a bad CRC, version or
 *	  size is reported instead of printed. Needs no server and no shared
 *	  memory; safe to run against a live data directory (it only reads).
 *	  The keyspace counters as of the latest checkpoint's redo pointer are
 *	  in the checkpoint record, not in the control file: they are read from
 *	  wal/ at the checkpoint location (wal/README.md, W10).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/kscounters.h"
#include "wal/control.h"
#include "wal/walrecord.h"
#include "wal/xlog.h"

static const char *
format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t) t;
	struct tm tm;

	if (t == 0)
		return "(never)";
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm);
	return buf;
}

/* The keyspace counters of the checkpoint record at cf->checkpoint. */
static void
print_keyspace_counters(const char *datadir, const ControlFile *cf)
{
	char waldir[512];
	XLogFileSource src;
	WalReader *reader = malloc(sizeof(WalReader));
	DecodedWalRecord *rec;
	KsCheckpointCounts c;
	const char *data;
	uint32_t len;

	if (reader == NULL)
		return;
	snprintf(waldir, sizeof(waldir), "%s/wal", datadir);
	XLogFileSourceInit(&src, waldir);
	WalReaderInit(reader, XLogFileSourceRead, &src);
	WalReaderSetSystemIdentifier(reader, cf->system_identifier);
	if (WalReaderNext(reader, cf->checkpoint, &rec) != WAL_READ_OK || rec->rmid != WAL_RM_XLOG ||
		rec->main_len < sizeof(XLogCheckpointData))
		printf("Latest checkpoint's keyspace counters: (could not read the checkpoint record: %s)\n",
			   reader->end_message[0] ? reader->end_message : "not a checkpoint");
	else
	{
		data = rec->main_data + sizeof(XLogCheckpointData);
		len = rec->main_len - (uint32_t) sizeof(XLogCheckpointData);
		if (len == 0)
			printf("Latest checkpoint's keyspace counters: (none: recounted at the next start)\n");
		else if (!KsCountersDecodeCheckpoint(data, len, &c))
			printf("Latest checkpoint's keyspace counters: (invalid)\n");
		else
		{
			printf("Keyspace counters version:            %u\n", c.version);
			printf("Keyspace counters valid:              %s\n",
				   (c.flags & KS_COUNTERS_VALID) ? "yes" : "no (recounted at the next start)");
			printf("Keyspace counters databases:          %u\n", c.databases);
			for (uint32_t i = 0; i < c.nentries; i++)
			{
				KsDbCounts e;
				char sum[48];

				KsCountersCheckpointEntry(&c, i, &e);
				if (e.keys == 0 && e.expires == 0 && e.expire_sum == 0)
					continue;
				printf("Keyspace db%-3u                        keys=%" PRId64 " expires=%" PRId64
					   " expire_sum=%s\n",
					   i, e.keys, e.expires, KsInt128ToString(e.expire_sum, sum, sizeof(sum)));
			}
		}
	}
	XLogFileSourceClose(&src);
	WalReaderFree(reader);
	free(reader);
}

int
main(int argc, char **argv)
{
	const char *datadir = argc > 1 ? argv[1] : ".";
	char errbuf[CONTROL_ERRBUF_SIZE];
	char tbuf[64];
	ControlFile cf;

	if (argc > 2 || (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)))
	{
		fprintf(stderr, "usage: %s [DATADIR]\n", argv[0]);
		return 2;
	}
	if (!ControlFileRead(datadir, &cf, errbuf))
	{
		fprintf(stderr, "%s: could not read the control file of \"%s\": %s\n", argv[0], datadir,
				errbuf);
		return 1;
	}
	printf("Database system identifier:           %" PRIu64 "\n", cf.system_identifier);
	printf("Control file version:                 %u\n", cf.version);
	printf("Database cluster state:               %s\n", ControlStateName(cf.state));
	printf("Control file last modified:           %s\n", format_time(cf.time, tbuf, sizeof(tbuf)));
	printf("Latest checkpoint location:           " WAL_PTR_FMT "\n", WAL_PTR_ARGS(cf.checkpoint));
	printf("Latest checkpoint's REDO location:    " WAL_PTR_FMT "\n", WAL_PTR_ARGS(cf.redo));
	{
		char name[WAL_FILE_NAME_LEN + 1];

		WalFileName(name, WAL_SEGMENT_NUMBER(cf.redo));
		printf("Latest checkpoint's REDO WAL file:    %s\n", name);
	}
	printf("Time of latest checkpoint:            %s\n",
		   format_time(cf.checkpoint_time, tbuf, sizeof(tbuf)));
	printf("Latest checkpoint's NextXID:          %" PRIu64 "\n", cf.next_xid);
	printf("Latest checkpoint's oldestXID:        %" PRIu64 "\n", cf.oldest_xid);
	printf("Next relation number:                 %" PRIu64 "\n", cf.next_relid);
	printf("Database block size:                  %u\n", cf.blcksz);
	printf("Bytes per WAL segment:                %u\n", cf.wal_segment_size);
	printf("WAL block size:                       %u\n", cf.wal_page_size);
	printf("Data page checksums:                  %s\n", cf.data_checksums ? "on" : "off");
	printf("Timeline:                             %u\n", cf.timeline);
	printf("CRC:                                  %08X\n", cf.crc);
	print_keyspace_counters(datadir, &cf);
	return 0;
}
