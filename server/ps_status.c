/*
 * ps_status.c
 *	  Overwrite argv so that ps shows what each process is doing.
 *
 * NOTES
 *	  Linux shows /proc/PID/cmdline, which is the memory argv points to. At
 *	  start-up we move environ elsewhere so that argv plus environ form one
 *	  contiguous area we may overwrite (PostgreSQL's PS_USE_CLOBBER_ARGV).
 *	  prctl(PR_SET_NAME) sets the short name top and pgrep see.
 */
#include "config.h"

#include "server/ps_status.h"
#include "storage/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

extern char **environ;

static char *ps_buffer;
static size_t ps_buffer_size;
static size_t ps_last_len;

void
PsStatusInit(int argc, char **argv)
{
	char *end_of_area = NULL;
	char **new_environ;
	int i, n;

	for (i = 0; i < argc; i++)
	{
		if (i == 0 || end_of_area + 1 == argv[i])
			end_of_area = argv[i] + strlen(argv[i]);
	}
	if (end_of_area == NULL)
		return;
	for (i = 0; environ[i] != NULL; i++)
	{
		if (end_of_area + 1 == environ[i])
			end_of_area = environ[i] + strlen(environ[i]);
	}
	n = i;
	new_environ = MemAlloc(sizeof(char *) * (size_t) (n + 1));
	for (i = 0; i < n; i++)
		new_environ[i] = MemStrdup(environ[i]);
	new_environ[n] = NULL;
	environ = new_environ;

	/* keep a copy of argv for anyone who still reads it */
	for (i = 0; i < argc; i++)
		argv[i] = i == 0 ? argv[0] : MemStrdup(argv[i]);
	ps_buffer = argv[0];
	ps_buffer_size = (size_t) (end_of_area - argv[0]);
	ps_last_len = ps_buffer_size - 1;	/* the first title clears it all */
	argv[0] = MemStrdup(argv[0]);
}

void
PsStatusSetShortName(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

void
PsStatusSet(const char *fmt, ...)
{
	char title[256];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	if (ps_buffer == NULL || ps_buffer_size < 2)
		return;
	len = strlen(title);
	if (len >= ps_buffer_size)
		len = ps_buffer_size - 1;
	memcpy(ps_buffer, title, len);
	/* clear what a longer previous title left */
	if (ps_last_len > len)
		memset(ps_buffer + len, 0, ps_last_len - len);
	ps_buffer[len] = '\0';
	ps_last_len = len;
}

/*
 * The same as PsStatusSet("%s%s", a, b) without formatting: backends call
 * it twice per command, so it is on the hot path.
 */
void
PsStatusSetParts(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t len;

	if (ps_buffer == NULL || ps_buffer_size < 2)
		return;
	if (alen > ps_buffer_size - 1)
		alen = ps_buffer_size - 1;
	if (blen > ps_buffer_size - 1 - alen)
		blen = ps_buffer_size - 1 - alen;
	memcpy(ps_buffer, a, alen);
	memcpy(ps_buffer + alen, b, blen);
	len = alen + blen;
	if (ps_last_len > len)
		memset(ps_buffer + len, 0, ps_last_len - len);
	ps_buffer[len] = '\0';
	ps_last_len = len;
}
