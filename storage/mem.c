/*
 * mem.c
 *	  The private allocator wrapper.
 *
 * NOTES
 *	  Linked against jemalloc, which replaces malloc; the wrapper only adds
 *	  the never-NULL contract and a place to count.
 */
#include "config.h"

#include "storage/mem.h"
#include "storage/elog.h"

#include <stdlib.h>
#include <string.h>
#include <jemalloc/jemalloc.h>

static void *
check(void *p, size_t size)
{
	if (p == NULL && size != 0)
		elog(FATAL, "out of memory allocating %zu bytes", size);
	return p;
}

void *
MemAlloc(size_t size)
{
	return check(malloc(size ? size : 1), size);
}

void *
MemAllocZero(size_t size)
{
	return check(calloc(1, size ? size : 1), size);
}

void *
MemRealloc(void *ptr, size_t size)
{
	return check(realloc(ptr, size ? size : 1), size);
}

void
MemFree(void *ptr)
{
	free(ptr);
}

char *
MemStrdup(const char *s)
{
	return MemStrndup(s, strlen(s));
}

char *
MemStrndup(const char *s, size_t n)
{
	char *p = MemAlloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

size_t
MemAllocatedBytes(void)
{
	size_t allocated = 0, sz = sizeof(allocated);
	uint64_t epoch = 1;
	size_t esz = sizeof(epoch);

	mallctl("epoch", &epoch, &esz, &epoch, esz);
	if (mallctl("stats.allocated", &allocated, &sz, NULL, 0) != 0)
		return 0;
	return allocated;
}
