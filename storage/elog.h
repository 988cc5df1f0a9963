/*
 * elog.h
 *	  Server log: one line per message, format-checked by the compiler.
 *
 * NOTES
 *	  Every process may log. Lines go to the configured logfile (opened with
 *	  O_APPEND, so lines from different processes do not interleave) or to
 *	  stderr. FATAL ends the calling process; PANIC aborts it so that the
 *	  postmaster treats shared memory as suspect and restarts everything.
 */
#ifndef TUSK_ELOG_H
#define TUSK_ELOG_H

#include <stddef.h>

#include <stdbool.h>

typedef enum ElogLevel
{
	DEBUG = 10,
	VERBOSE = 12,
	LOG = 15,
	NOTICE = 16,
	WARNING = 19,
	FATAL = 21,
	PANIC = 22,
} ElogLevel;

/* The letter Redis puts after the pid: M master, C child; we name roles. */
extern char elog_role;

/* Called with the message just before a PANIC aborts (async-signal-safe). */
extern void (*elog_panic_hook) (const char *message, size_t len);
extern int elog_min_level;

void ElogSetDestination(const char *logfile);
void ElogWrite(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool ElogLevelFromName(const char *name, int *level);
const char *ElogLevelName(int level);

#define elog(level, ...) \
	do { \
		if ((level) >= elog_min_level) \
			ElogWrite((level), __VA_ARGS__); \
	} while (0)

#endif
