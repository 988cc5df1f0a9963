/*
 * shmem.h
 *	  The one shared memory segment, laid out once by the postmaster.
 *
 * NOTES
 *	  The postmaster calls ShmemCreate() with the sum of every module's
 *	  XxxShmemSize(), then each XxxShmemInit() carves its part with
 *	  ShmemAlloc(), before the first fork. Children inherit the mapping at the
 *	  same address, so pointers into the segment are valid in every process;
 *	  pointers to private memory must never be stored in it. The layout table
 *	  is in storage/README.md.
 */
#ifndef TUSK_SHMEM_H
#define TUSK_SHMEM_H

#include <stdbool.h>
#include <stddef.h>

#define CACHELINE_SIZE 64
#define CACHELINE_ALIGN(x) (((x) + CACHELINE_SIZE - 1) & ~((size_t) CACHELINE_SIZE - 1))

/* huge_pages setting */
typedef enum HugePages
{
	HUGE_PAGES_OFF,
	HUGE_PAGES_TRY,
	HUGE_PAGES_ON,
} HugePages;

bool		ShmemCreate(size_t size, int huge_pages, char *errbuf, size_t errlen);
void		ShmemDestroy(void);
void	   *ShmemAlloc(size_t size);
size_t		ShmemTotalSize(void);
bool		ShmemUsesHugePages(void);

/* Sum sizes without overflow worries: every size here is far below 2^63. */
static inline size_t
ShmemAddSize(size_t a, size_t b)
{
	return a + CACHELINE_ALIGN(b);
}

#endif
