/*
 * elog.c
 *	  Server log writer.
 *
 * NOTES
 *	  The line format follows redis-server's ("pid:role date time.ms level
 *	  message") so that people who read Redis logs can read ours; the level
 *	  marks are Redis's: '.' debug, '-' verbose, '*' notice/log, '#' warning.
 *	  Each line is built in a stack buffer and written with one write(2).
 */
#include "config.h"

#include "storage/elog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

char elog_role = 'M';
int elog_min_level = LOG;
static int log_fd = 2;

void
ElogSetDestination(const char *logfile)
{
	int fd;

	if (logfile == NULL || logfile[0] == '\0')
	{
		log_fd = 2;
		return;
	}
	fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
	{
		fprintf(stderr, "could not open log file \"%s\": %s\n", logfile,
				strerror(errno));
		exit(1);
	}
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
}

static char
level_mark(int level)
{
	if (level <= DEBUG)
		return '.';
	if (level <= VERBOSE)
		return '-';
	if (level < WARNING)
		return '*';
	return '#';
}

void		(*elog_panic_hook) (const char *message, size_t len);

void
ElogWrite(int level, const char *fmt, ...)
{
	char line[2048];
	int saved_errno = errno;
	struct timeval tv;
	struct tm tm;
	size_t off,
				msg_start;
	va_list ap;
	int n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	off = snprintf(line, sizeof(line), "%d:%c ", (int) getpid(), elog_role);
	off += strftime(line + off, sizeof(line) - off, "%d %b %Y %H:%M:%S", &tm);
	off += snprintf(line + off, sizeof(line) - off, ".%03d %c ",
					(int) (tv.tv_usec / 1000), level_mark(level));
	if (level >= FATAL)
		off += snprintf(line + off, sizeof(line) - off, "%s: ",
						level == FATAL ? "FATAL" : "PANIC");
	errno = saved_errno;		/* so that %m works */
	msg_start = off;
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	off += n;
	if (off > sizeof(line) - 2)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	if (write(log_fd, line, off) < 0)
	{
		/* nowhere else to report it */
	}
	errno = saved_errno;
	if (level == FATAL)
		exit(1);
	if (level == PANIC)
	{
		if (elog_panic_hook != NULL)
			elog_panic_hook(line + msg_start, off - 1 - msg_start);
		abort();
	}
}

static const struct
{
	const char *name;
	int level;
}			level_names[] = {
	{"debug", DEBUG},
	{"verbose", VERBOSE},
	{"notice", LOG},
	{"warning", WARNING},
};

bool
ElogLevelFromName(const char *name, int *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
	{
		if (strcasecmp(name, level_names[i].name) == 0)
		{
			*level = level_names[i].level;
			return true;
		}
	}
	return false;
}

const char *
ElogLevelName(int level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "notice";
}
