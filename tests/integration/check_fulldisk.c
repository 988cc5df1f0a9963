/*
 * check_fulldisk.c
 *	  A full disk under the data directory: write commands get Redis's
 *	  MISCONF error instead of a crash, reads keep working, nothing refused
 *	  is there afterwards, and writes are accepted again once there is room.
 *
 * NOTES
 *	  Needs a small file system of its own: a 64 MB tmpfs mounted for the
 *	  test, which takes root (CAP_SYS_ADMIN). Without it the test says so
 *	  on stderr and passes without checking anything; tests/README.md
 *	  lists it as the one test that may be skipped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MISCONF "MISCONF Errors writing to the WAL: No space left on device"

static char mnt[] = "/tmp/tusk-fulldisk-XXXXXX";

/* Fill the file system up to `leave` bytes free; returns the file's path. */
static void
fill(const char *path, long long leave)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	static char buf[1 << 16];
	struct stat st;

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	for (;;)
	{
		char		cmd[256];
		FILE	   *p;
		long long	avail = 0;

		snprintf(cmd, sizeof(cmd), "df -B1 --output=avail %s | tail -1", mnt);
		p = popen(cmd, "r");
		ck_assert(p != NULL);
		ck_assert_int_eq(fscanf(p, "%lld", &avail), 1);
		pclose(p);
		if (avail <= leave)
			break;
		if (write(fd, buf, avail - leave < (long long) sizeof(buf) ? (size_t) (avail - leave) : sizeof(buf)) <= 0)
			break;
	}
	fsync(fd);
	close(fd);
	ck_assert(stat(path, &st) == 0);
}

START_TEST(test_full_disk)
{
	TuskServer	s;
	redisContext *c;
	redisReply *r;
	char		dir[128], filler[128];
	bool		refused = false, accepted = false;

	if (mkdtemp(mnt) == NULL || mount("tmpfs", mnt, "tmpfs", 0, "size=64m") != 0)
	{
		fprintf(stderr, "check_fulldisk: skipped, cannot mount a tmpfs at %s (%s); "
				"the full-disk test needs root\n", mnt, strerror(errno));
		rmdir(mnt);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/data", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	{
		const char *const args[] = {"--dir", dir, "--autovacuum", "no", NULL};

		HarnessStartOk(&s, args, false);
	}
	c = HarnessConnectOk(&s);
	HarnessExpectStatus(c, "OK", "SET before full");

	/*
	 * Leave less than a WAL segment: once the WAL is in its last segment
	 * the walwriter cannot make the next one. Overwrite a few keys with
	 * 4 kB values until that happens (the heap stays small, WAL grows).
	 */
	fill(filler, 4 * 1024 * 1024);
	{
		char	   *big = malloc(4001);

		memset(big, 'b', 4000);
		big[4000] = '\0';
		for (int i = 0; i < 40000 && !refused; i++)
		{
			r = HarnessCommandOk(c, "SET k:%d %s", i % 10, big);
			if (r->type == REDIS_REPLY_ERROR)
			{
				ck_assert_str_eq(r->str, MISCONF);
				refused = true;
			}
			else
				ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
			freeReplyObject(r);
		}
		free(big);
	}
	ck_assert_msg(refused, "writes were not refused on a full disk");
	HarnessExpectError(c, MISCONF, "SET x y");
	HarnessExpectError(c, MISCONF, "DEL before");
	HarnessExpectError(c, MISCONF, "FLUSHALL");
	HarnessExpectBulk(c, "full", "GET before");
	HarnessExpectBulk(c, NULL, "GET x");
	HarnessExpectStatus(c, "PONG", "PING");

	/* room again: writes come back by themselves */
	ck_assert_int_eq(unlink(filler), 0);
	for (int i = 0; i < 150 && !accepted; i++)
	{
		struct timespec ts = {0, 100 * 1000000L};

		r = HarnessCommandOk(c, "SET x y");
		accepted = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(accepted, "writes still refused 15 s after the disk had room again");
	HarnessExpectBulk(c, "y", "GET x");
	HarnessExpectBulk(c, "full", "GET before");
	redisFree(c);
	HarnessStopOk(&s);
	umount(mnt);
	rmdir(mnt);
}
END_TEST

int
main(void)
{
	Suite	   *su = suite_create("fulldisk");

	HarnessAddCase(su, "full_disk", test_full_disk, 120);
	return HarnessMain(su);
}
