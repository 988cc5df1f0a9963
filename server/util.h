/*
 * util.h
 *	  String helpers shared by the protocol, configuration and commands:
 *	  Redis-compatible number parsing and formatting, glob matching and
 *	  redis-cli style argument splitting.
 */
#ifndef TUSK_UTIL_H
#define TUSK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Strict: no spaces, no leading '+', no leading zeros, fits in long long. */
bool		StringToLongLong(const char *s, size_t len, long long *out);
/* Like Redis's string2ld / strtold checks for INCRBYFLOAT. */
bool		StringToLongDouble(const char *s, size_t len, long double *out);
bool		StringToDouble(const char *s, size_t len, double *out);
int			LongLongToString(char *buf, size_t buflen, long long v);
/* %.17g formatting as Redis's addReplyDouble does. */
int			DoubleToString(char *buf, size_t buflen, double v);

/* Glob-style match with * ? [] \ as Redis's stringmatchlen. */
bool		StringMatch(const char *pattern, size_t plen,
						const char *str, size_t slen, bool nocase);

/*
 * Split a line as redis-cli and inline commands do: whitespace-separated,
 * "double quotes" with \n \r \t \b \a \\ \" \xHH escapes, 'single quotes'
 * with \' only. Returns false on unbalanced quotes. The caller frees
 * (*argv)[i] and *argv / *lens with MemFree.
 */
bool		SplitArgs(const char *line, size_t len, int *argc, char ***argv,
					  size_t **lens);
void		FreeArgs(int argc, char **argv, size_t *lens);

int64_t		NowMs(void);
/* Pseudo-random, seeded per process (not for anything secret). */
uint64_t	RandomU64(void);
int64_t		NowUs(void);
int64_t		MonotonicUs(void);

/* A SOCK_SEQPACKET message with a descriptor (SCM_RIGHTS), fd -1 for none. */
ssize_t		SendWithFd(int sock, const void *data, size_t len, int fd, int flags);
ssize_t		RecvWithFd(int sock, void *data, size_t len, int *fd, int flags);
ssize_t		SendWithFds(int sock, const void *data, size_t len, const int *fds, int nfds, int flags);
ssize_t		RecvWithFds(int sock, void *data, size_t len, int *fds, int flags);
/*
 * A tag and a process-array slot number with up to two descriptors: the
 * postmaster's messages to and from shared backends. RecvSlotMsg does not
 * wait and returns what RecvWithFds does; *tag is '\0' unless a whole
 * message came.
 */
bool		SendSlotMsg(int sock, char tag, int slotno, const int *fds, int nfds);
ssize_t		RecvSlotMsg(int sock, char *tag, int *slotno, int *fds);

#endif
