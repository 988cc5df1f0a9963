/*
 * mem.h
 *	  Private memory: one wrapper over jemalloc that never returns NULL.
 *
 * NOTES
 *	  An allocation failure is FATAL for the calling process only: its client
 *	  loses its connection, shared memory is untouched, the postmaster reaps it.
 *	  Callers check size limits (proto-max-bulk-len and friends) before asking.
 */
#ifndef TUSK_MEM_H
#define TUSK_MEM_H

#include <stddef.h>

void	   *MemAlloc(size_t size);
void	   *MemAllocZero(size_t size);
void	   *MemRealloc(void *ptr, size_t size);
void		MemFree(void *ptr);
char	   *MemStrdup(const char *s);
char	   *MemStrndup(const char *s, size_t n);
size_t		MemAllocatedBytes(void);

#endif
