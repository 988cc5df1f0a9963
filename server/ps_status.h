/*
 * ps_status.h
 *	  Process titles shown by ps: "tusk: postmaster", "tusk: backend
 *	  127.0.0.1:51234 db0 idle".
 */
#ifndef TUSK_PS_STATUS_H
#define TUSK_PS_STATUS_H

void		PsStatusInit(int argc, char **argv);
void		PsStatusSetShortName(const char *name);
#include <stddef.h>

void		PsStatusSetParts(const char *a, size_t alen, const char *b, size_t blen);
void		PsStatusSet(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
