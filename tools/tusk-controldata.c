/*
 * tusk-controldata.c
 *	  Print every field of a data directory's control file.
 *
 * NOTES
 *	  Usage: tusk-controldata [DATADIR]   (default: the current directory)
 *	  Reads global/control with ControlFileRead, so a bad CRC, version or
 *	  size is reported instead of printed. Needs no server and no shared
 *	  memory; safe to run against a live data directory (it only reads).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wal/control.h"
#include "wal/walrecord.h"

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
	return 0;
}
