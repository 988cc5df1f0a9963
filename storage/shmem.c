/*
 * shmem.c
 *	  Create the shared memory segment and hand out its pieces.
 *
 * NOTES
 *	  Only the postmaster (or a unit test standing in for it) calls these,
 *	  and only before forking; there is therefore no lock. The segment is
 *	  MAP_SHARED | MAP_ANONYMOUS: it dies with the last process that maps it,
 *	  so a crashed server never leaves a segment behind (unlike SysV shm).
 */
#include "config.h"

#include "storage/shmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

static char *shmem_base;
static size_t shmem_size;
static size_t shmem_used;
static bool shmem_huge;

#define HUGE_PAGE_SIZE ((size_t) 2 * 1024 * 1024)

bool
ShmemCreate(size_t size, int huge_pages, char *errbuf, size_t errlen)
{
	void *p = MAP_FAILED;

	size = CACHELINE_ALIGN(size);
	if (huge_pages != HUGE_PAGES_OFF)
	{
		size_t hsize = (size + HUGE_PAGE_SIZE - 1) & ~(HUGE_PAGE_SIZE - 1);

		p = mmap(NULL, hsize, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p != MAP_FAILED)
		{
			size = hsize;
			shmem_huge = true;
		}
		else if (huge_pages == HUGE_PAGES_ON)
		{
			snprintf(errbuf, errlen,
					 "could not map %zu bytes of shared memory with huge pages: %s",
					 hsize, strerror(errno));
			return false;
		}
	}
	if (p == MAP_FAILED)
	{
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
		{
			snprintf(errbuf, errlen,
					 "could not map %zu bytes of shared memory: %s",
					 size, strerror(errno));
			return false;
		}
	}
	shmem_base = p;
	shmem_size = size;
	shmem_used = 0;
	return true;
}

void
ShmemDestroy(void)
{
	if (shmem_base)
		munmap(shmem_base, shmem_size);
	shmem_base = NULL;
	shmem_size = shmem_used = 0;
	shmem_huge = false;
}

/*
 * Carve the next piece. The sizes were summed beforehand with the same
 * alignment, so running out is a programming error.
 */
void *
ShmemAlloc(size_t size)
{
	char *p;

	size = CACHELINE_ALIGN(size);
	if (shmem_base == NULL || shmem_used + size > shmem_size)
	{
		fprintf(stderr, "shared memory layout overflow (%zu + %zu > %zu)\n",
				shmem_used, size, shmem_size);
		abort();
	}
	p = shmem_base + shmem_used;
	shmem_used += size;
	/*
	 * Zero already: every region is a fresh anonymous mapping, and pieces
	 * are never handed out twice. Not writing them keeps the pages of
	 * arrays sized for maxclients out of memory until a slot is used.
	 */
	return p;
}

size_t
ShmemTotalSize(void)
{
	return shmem_size;
}

bool
ShmemUsesHugePages(void)
{
	return shmem_huge;
}
