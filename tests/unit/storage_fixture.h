/*
 * storage_fixture.h
 *	  Shared set-up for the storage unit tests that need the whole engine
 *	  (heap, transactions, visibility): shared memory laid out as the
 *	  postmaster does, WAL started, and a simulated crash.
 */
#ifndef TUSK_STORAGE_FIXTURE_H
#define TUSK_STORAGE_FIXTURE_H

/* Databases the keyspace counters cover in the fixture. */
#define FIXTURE_DATABASES 16

/* Lay out shared memory for `backends` slots and attach to slot 0. */
void		FixtureShmemStart(long long shared_buffers, int backends);
/* Register the redo functions, run StartupXLOG, XactStartup, write the clog. */
void		FixtureStartDb(void);
/* Forget every unwritten buffer and the segment, then start again. */
void		FixtureCrashAndRestart(long long shared_buffers, int backends);
/* rm -rf dir (after leaving it). */
void		FixtureRemoveDir(const char *dir);

#endif
