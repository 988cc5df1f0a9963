/*
 * storage_fixture.c
 *	  See storage_fixture.h. Failures are Check assertions, so a broken
 *	  set-up fails the test that called it.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "storage/btree.h"
#include "storage/bufmgr.h"
#include "storage/clog.h"
#include "storage/heapam.h"
#include "storage/keylock.h"
#include "storage/kscounters.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/xact.h"
#include "tests/unit/storage_fixture.h"
#include "wal/xlog.h"
#include "wal/xlog_int.h"

void
FixtureShmemStart(long long shared_buffers, int backends)
{
	char		errbuf[256];
	size_t		size = XLogShmemSize() + BufMgrShmemSize(shared_buffers) +
		SmgrShmemSize() + ProcArrayShmemSize(backends) + ClogShmemSize() +
		XactShmemSize() + HeapShmemSize() + KeyLockShmemSize() +
		KsCountersShmemSize(FIXTURE_DATABASES) + 65536;

	ck_assert_msg(ShmemCreate(size, HUGE_PAGES_OFF, errbuf, sizeof(errbuf)), "%s", errbuf);
	SmgrShmemInit();
	BufMgrShmemInit(shared_buffers);
	XLogShmemInit();
	ProcArrayShmemInit(backends);
	ClogShmemInit();
	XactShmemInit();
	HeapShmemInit();
	KeyLockShmemInit();
	KsCountersShmemInit(FIXTURE_DATABASES);
	/* As the postmaster does before forking each child. */
	for (int i = 0; i < backends; i++)
		ProcArrayNoteSlotUsed(i);
	ProcSlotAttach(0, PROC_KIND_BACKEND);
}

void
FixtureStartDb(void)
{
	XactRegisterRedo();
	ClogRegisterRedo();
	HeapRegisterRedo();
	BtRegisterRedo();
	ck_assert(StartupXLOG());
	XactStartup();
	ck_assert(ClogCheckpoint());
}

void
FixtureCrashAndRestart(long long shared_buffers, int backends)
{
	BufDropAll();
	SmgrCloseAll();
	XLogCloseSegment();
	ShmemDestroy();
	FixtureShmemStart(shared_buffers, backends);
	FixtureStartDb();
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
FixtureRemoveDir(const char *dir)
{
	if (chdir("/tmp") == 0)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
