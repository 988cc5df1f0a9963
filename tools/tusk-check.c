/*
 * tusk-check.c
 *	  Offline consistency check of a data directory.
 *
 *	  Usage: tusk-check [-v] DATADIR
 *
 *	  1. Every block of every relation file in base/ passes
 *	     PageVerifyChecksum, PageIsVerified and PageCheckItems.
 *	  2. BtCheck on the keyspace index (relation 2).
 *	  3. Every index entry's hash is KsHash of its key, and its TID leads
 *	     (through at most one LP_REDIRECT) to a heap tuple with the same key,
 *	     or to an LP_DEAD slot (a deleted key pruned; README H4). Following
 *	     the prev links from there (checked as in README H3), every version
 *	     reached carries the same key, and no tuple is reached twice.
 *	  4. Every heap tuple that is not a chunk, whose xmin committed and whose
 *	     xmax did not commit, was reached in 3: the newest committed version
 *	     of each key is findable through the index.
 *
 *	  Prints one line per problem on stdout and exits 1 if there was any,
 *	  0 when clean, 2 when it could not run (usage, server running, no
 *	  control file, no shared memory).
 *
 * NOTES
 *	  Runs alone: it takes the data directory lock (flock on the pid file,
 *	  the same lock the postmaster takes), so a server cannot start while it
 *	  runs, and it refuses to run while one does. It sets up its own shared
 *	  memory the way the unit tests do and reads through the storage
 *	  modules; it never runs recovery and never writes a page. After a
 *	  crash (control file not SHUTDOWNED) the commit log on disk may miss
 *	  commits that only the WAL holds, so check 4 then sees fewer tuples as
 *	  committed (weaker, never wrong); a note on stderr says so.
 *
 *	  Links libtuskstorage.a only.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/btree.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/clog.h"
#include "storage/elog.h"
#include "storage/heapam.h"
#include "storage/keyspace.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "storage/xact.h"
#include "wal/control.h"
#include "wal/xlog.h"

#define CHECK_SHARED_BUFFERS (32LL * 1024 * 1024)
#define PID_FILE_NAME "tusk-server.pid"
#define HEAP_CACHE_PAGES 256
#define MAX_DB 65536

static const char *progname = "tusk-check";
static bool verbose;
static uint64_t nproblems;
static uint64_t stale_redirect_links;	/* prev links into reused, redirected slots */

/* Blocks of the heap that failed pass 1: not interpreted afterwards. */
static BlockNumber heap_nblocks;
static uint8_t *heap_bad;

/* Heap tuples reached from the index, a bit per (block, offset). */
#define VISIT_BYTES_PER_BLOCK ((MaxOffsetNumber + 8) / 8)
static uint8_t *heap_visited;

/* Direct-mapped cache of heap pages read with SmgrRead. */
typedef struct CachedPage
{
	BlockNumber blkno;			/* InvalidBlockNumber: empty */
	char		data[BLCKSZ] __attribute__((aligned(8)));
} CachedPage;
static CachedPage *heap_cache;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
problem(const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nproblems++;
}

/* Printable copy of a key for messages: at most 64 bytes, escaped. */
static const char *
show_key(const char *key, size_t len, char *buf, size_t buflen)
{
	size_t		o = 0;

	for (size_t i = 0; i < len && i < 64 && o + 5 < buflen; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char) c;
		else
			o += (size_t) snprintf(buf + o, buflen - o, "\\x%02x", c);
	}
	if (len > 64 && o + 4 < buflen)
	{
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- pass 1 */

static int
cmp_rel(const void *a, const void *b)
{
	RelNumber	x = *(const RelNumber *) a;
	RelNumber	y = *(const RelNumber *) b;

	return x < y ? -1 : x > y;
}

/*
 * Relations present in base/: names "r" and "r.N". Anything else is
 * reported. Returns the sorted, distinct relation numbers.
 */
static RelNumber *
list_relations(int *nrels)
{
	DIR		   *dir = opendir("base");
	struct dirent *de;
	RelNumber  *rels = NULL;
	int			n = 0,
				cap = 0;

	*nrels = 0;
	if (dir == NULL)
	{
		problem("could not open directory \"base\": %s", strerror(errno));
		return NULL;
	}
	while ((de = readdir(dir)) != NULL)
	{
		char	   *end;
		unsigned long rel;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		errno = 0;
		rel = strtoul(de->d_name, &end, 10);
		if (errno != 0 || end == de->d_name || rel == 0 || rel > UINT32_MAX ||
			(*end != '\0' && (*end != '.' || end[1] < '1' || end[1] > '9')))
		{
			problem("unexpected file \"base/%s\"", de->d_name);
			continue;
		}
		if (*end == '.')
		{
			char	   *end2;

			(void) strtoul(end + 1, &end2, 10);
			if (*end2 != '\0')
			{
				problem("unexpected file \"base/%s\"", de->d_name);
				continue;
			}
			continue;			/* segment of a relation listed by its first file */
		}
		if (n == cap)
		{
			cap = cap ? cap * 2 : 16;
			rels = realloc(rels, sizeof(RelNumber) * (size_t) cap);
			if (rels == NULL)
			{
				fprintf(stderr, "%s: out of memory\n", progname);
				exit(2);
			}
		}
		rels[n++] = (RelNumber) rel;
	}
	closedir(dir);
	if (n > 0)
		qsort(rels, (size_t) n, sizeof(RelNumber), cmp_rel);
	*nrels = n;
	return rels;
}

/* Segment files must be whole blocks, and all but the last full. */
static void
check_segments(RelNumber rel)
{
	for (unsigned seg = 0;; seg++)
	{
		char		path[64];
		struct stat st;

		if (seg == 0)
			snprintf(path, sizeof(path), "base/%u", rel);
		else
			snprintf(path, sizeof(path), "base/%u.%u", rel, seg);
		if (stat(path, &st) != 0)
			break;
		if (st.st_size % BLCKSZ != 0)
			fprintf(stderr, "%s: note: \"%s\" ends with a partial block (%lld bytes; a torn "
					"extension, overwritten by the next one)\n",
					progname, path, (long long) (st.st_size % BLCKSZ));
		if ((uint64_t) st.st_size > (uint64_t) RELSEG_SIZE * BLCKSZ)
			problem("relation %u: segment \"%s\" is larger than %u blocks", rel, path,
					RELSEG_SIZE);
		else if ((uint64_t) st.st_size < (uint64_t) RELSEG_SIZE * BLCKSZ)
		{
			char		next[64];
			struct stat st2;

			snprintf(next, sizeof(next), "base/%u.%u", rel, seg + 1);
			if (stat(next, &st2) == 0)
				problem("relation %u: segment \"%s\" is not full but \"%s\" exists", rel, path,
						next);
			break;
		}
	}
}

/* Verify every block of rel; sets bad[b] for the heap. Returns blocks. */
static BlockNumber
check_relation_pages(RelNumber rel, uint8_t **bad_out)
{
	BlockNumber nblocks = SmgrNblocks(rel);
	char	   *page = aligned_alloc(8, BLCKSZ);
	uint8_t    *bad = NULL;

	if (page == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(2);
	}
	if (nblocks == InvalidBlockNumber)
	{
		problem("relation %u: could not determine its size: %s", rel, strerror(errno));
		free(page);
		return 0;
	}
	check_segments(rel);
	if (bad_out)
	{
		bad = calloc(nblocks ? nblocks : 1, 1);
		if (bad == NULL)
		{
			fprintf(stderr, "%s: out of memory\n", progname);
			exit(2);
		}
	}
	for (BlockNumber b = 0; b < nblocks; b++)
	{
		const char *what = NULL;

		if (!SmgrRead(rel, b, page))
			what = "could not be read";
		else if (!PageVerifyChecksum(page, b))
			what = "checksum mismatch";
		else if (!PageIsVerified(page))
			what = "bad page header";
		else if (!PageIsNew(page) && !PageCheckItems(page))
			what = "bad line pointers or items";
		if (what)
		{
			problem("relation %u block %u: %s", rel, b, what);
			if (bad)
				bad[b] = 1;
		}
	}
	if (verbose)
		fprintf(stderr, "%s: relation %u: %u blocks checked\n", progname, rel, nblocks);
	free(page);
	if (bad_out)
		*bad_out = bad;
	return nblocks;
}

/* ---------------------------------------------------------------- heap */

/* The heap page, or NULL if out of range or failed pass 1. */
static char *
heap_page(BlockNumber b)
{
	CachedPage *c;

	if (b >= heap_nblocks || heap_bad[b])
		return NULL;
	c = &heap_cache[b % HEAP_CACHE_PAGES];
	if (c->blkno != b)
	{
		if (!SmgrRead(REL_KEYSPACE_HEAP, b, c->data))
		{
			c->blkno = InvalidBlockNumber;
			return NULL;
		}
		c->blkno = b;
	}
	return c->data;
}

typedef struct TupleView
{
	HeapTupleHeaderData hdr;	/* copied out: the page may be evicted */
	const char *key;			/* points into the cached page */
	const char *value;
} TupleView;

/*
 * Read the tuple at (b, off) of a page already known to have a NORMAL
 * line pointer there. false (and *why set) if the tuple does not fit its
 * line pointer.
 */
static bool
tuple_at(char *page, ItemId id, TupleView *tv, const char **why)
{
	unsigned	len = ItemIdGetLength(id);
	char	   *item = PageGetItem(page, id);

	if (len < SizeofHeapTupleHeader)
	{
		*why = "item shorter than a tuple header";
		return false;
	}
	memcpy(&tv->hdr, item, SizeofHeapTupleHeader);
	if ((size_t) SizeofHeapTupleHeader + tv->hdr.key_len + tv->hdr.value_len != len)
	{
		*why = "key and value lengths do not add up to the item length";
		return false;
	}
	tv->key = item + SizeofHeapTupleHeader;
	tv->value = tv->key + tv->hdr.key_len;
	return true;
}

static bool
visited(BlockNumber b, OffsetNumber off)
{
	return (heap_visited[(size_t) b * VISIT_BYTES_PER_BLOCK + off / 8] >> (off % 8)) & 1;
}

static void
set_visited(BlockNumber b, OffsetNumber off)
{
	heap_visited[(size_t) b * VISIT_BYTES_PER_BLOCK + off / 8] |= (uint8_t) (1u << (off % 8));
}

static bool
xid_committed(TransactionId xid)
{
	if (xid == FrozenTransactionId)
		return true;
	if (xid == InvalidTransactionId)
		return false;
	return ClogGetStatus(xid, NULL) == XID_COMMITTED;
}

/* ---------------------------------------------------------------- pass 3 */

/*
 * Follow one index entry into the heap and along its version chain,
 * marking every tuple reached.
 */
static void
check_index_entry(unsigned db, const BtScanEntry *e)
{
	char		kbuf[300];
	BlockNumber b = e->tid.block;
	OffsetNumber off = e->tid.offset;
	bool		head = true;
	TransactionId expect_xmin = 0;
	unsigned	steps = 0;

	if (KsHash(e->key, e->keylen) != e->hash)
		problem("index entry db %u key \"%s\": hash %016" PRIx64 " is not the key's hash",
				db, show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), e->hash);

	for (;;)
	{
		char	   *page;
		ItemId		id;
		TupleView	tv;
		const char *why;
		const char *where = head ? "index entry" : "version chain of index entry";

		if (b >= heap_nblocks)
		{
			problem("%s db %u key \"%s\": heap block %u is past the end of the heap (%u blocks)",
					where, db, show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b,
					heap_nblocks);
			return;
		}
		page = heap_page(b);
		if (page == NULL)
			return;				/* damaged page, reported in pass 1 */
		if (PageIsNew(page))
		{
			if (head)
				problem("index entry db %u key \"%s\": points to (%u,%u) on a never-written heap page",
						db, show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b, off);
			return;
		}
		if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		{
			if (head)
				problem("index entry db %u key \"%s\": points to (%u,%u), past the last line pointer %u",
						db, show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b, off,
						PageGetMaxOffsetNumber(page));
			return;				/* a prev link past the end: pruned (H3) */
		}
		id = PageGetItemId(page, off);
		if (ItemIdIsRedirected(id) && !head)
		{
			/*
			 * A kept version's prev never names an aborted version (H2), and
			 * only aborted versions become redirects, so a prev link that
			 * meets a redirect names a slot that was freed and reused: the
			 * older versions are gone. (README H3 accepts the redirect; the
			 * server's walkers stop earlier, at a version every snapshot
			 * sees. Following it can lead back into this very chain.)
			 */
			stale_redirect_links++;
			return;
		}
		if (ItemIdIsRedirected(id))
		{
			OffsetNumber target = ItemIdGetRedirect(id);
			ItemId		tid;

			if (target < FirstOffsetNumber || target > PageGetMaxOffsetNumber(page) ||
				!ItemIdIsNormal((tid = PageGetItemId(page, target))))
			{
				problem("heap (%u,%u): redirect to %u, which is not a normal tuple", b, off,
						target);
				return;
			}
			off = target;
			id = tid;
		}
		if (ItemIdIsDead(id))
			return;				/* deleted and pruned; the index may point here */
		if (!ItemIdIsNormal(id))
		{
			if (head)
				problem("index entry db %u key \"%s\": points to unused slot (%u,%u)", db,
						show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b, off);
			return;
		}
		if (!tuple_at(page, id, &tv, &why))
		{
			problem("heap (%u,%u): %s", b, off, why);
			return;
		}
		if (!head && expect_xmin != 0 && tv.hdr.xmin != expect_xmin)
			return;				/* the older version was pruned, slot reused (H3) */
		if (tv.hdr.flags & KS_FLAG_CHUNK)
		{
			problem("%s db %u key \"%s\": (%u,%u) is a value chunk, not a version", where, db,
					show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b, off);
			return;
		}
		if (tv.hdr.key_len != e->keylen || memcmp(tv.key, e->key, e->keylen) != 0)
		{
			char		kbuf2[300];

			problem("%s db %u key \"%s\": (%u,%u) holds key \"%s\"", where, db,
					show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b, off,
					show_key(tv.key, tv.hdr.key_len, kbuf2, sizeof(kbuf2)));
			return;
		}
		if (visited(b, off))
		{
			problem("%s db %u key \"%s\": (%u,%u) was already reached from another index entry or "
					"earlier in this chain", where, db,
					show_key(e->key, e->keylen, kbuf, sizeof(kbuf)), b, off);
			return;
		}
		set_visited(b, off);
		if (!(tv.hdr.infomask & HEAP_HAS_PREV))
			return;
		if (++steps > 10000000)
			return;
		b = tv.hdr.prev_block;
		off = tv.hdr.prev_offset;
		expect_xmin = tv.hdr.prev_xmin;
		head = false;
	}
}

static uint64_t
check_index_to_heap(uint64_t expected_entries)
{
	BtScanBatch batch;
	uint64_t	total = 0;
	unsigned	last_db = 15;

	BtScanBatchInit(&batch);
	for (unsigned db = 0; db < MAX_DB; db++)
	{
		uint64_t	cursor = 0;

		/*
		 * Databases 0..15 always; beyond that only while index entries are
		 * still unaccounted for.
		 */
		if (db > last_db && total >= expected_entries)
			break;
		for (;;)
		{
			BtResult	r = BtScan(REL_KEYSPACE_INDEX, (uint16_t) db, cursor, 1000, &batch);

			if (r == BT_ERROR)
			{
				problem("index scan of db %u failed at hash %016" PRIx64, db, cursor);
				break;
			}
			for (int i = 0; i < batch.nentries; i++)
				check_index_entry(db, &batch.entries[i]);
			total += (uint64_t) batch.nentries;
			if (!batch.more)
				break;
			cursor = batch.next_hash;
		}
	}
	BtScanBatchFree(&batch);
	if (total != expected_entries)
		problem("index: a scan of every database returned %" PRIu64 " entries, BtCheck counted %"
				PRIu64, total, expected_entries);
	return total;
}

/* ---------------------------------------------------------------- pass 4 */

static void
check_heap_reachable(uint64_t *ntuples, uint64_t *nlive)
{
	for (BlockNumber b = 0; b < heap_nblocks; b++)
	{
		char	   *page = heap_page(b);

		if (page == NULL || PageIsNew(page))
			continue;
		for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
		{
			ItemId		id = PageGetItemId(page, off);
			TupleView	tv;
			const char *why;
			bool		xmin_ok,
						xmax_ok;
			char		kbuf[300];

			if (!ItemIdIsNormal(id))
				continue;
			if (!tuple_at(page, id, &tv, &why))
			{
				if (!visited(b, off))
					problem("heap (%u,%u): %s", b, off, why);
				continue;
			}
			(*ntuples)++;
			if (tv.hdr.flags & KS_FLAG_CHUNK)
				continue;
			xmin_ok = (tv.hdr.infomask & HEAP_XMIN_COMMITTED) ||
				(!(tv.hdr.infomask & HEAP_XMIN_INVALID) && xid_committed(tv.hdr.xmin));
			if (!xmin_ok)
				continue;
			xmax_ok = tv.hdr.xmax != InvalidTransactionId &&
				!(tv.hdr.infomask & HEAP_XMAX_INVALID) &&
				((tv.hdr.infomask & HEAP_XMAX_COMMITTED) || xid_committed(tv.hdr.xmax));
			if (xmax_ok)
				continue;
			(*nlive)++;
			if (!visited(b, off))
				problem("heap (%u,%u) key \"%s\" (xmin %" PRIu64 " committed, xmax %" PRIu64
						" not committed) is not reachable from the index", b, off,
						show_key(tv.key, tv.hdr.key_len, kbuf, sizeof(kbuf)), tv.hdr.xmin,
						tv.hdr.xmax);
		}
	}
}

/* ---------------------------------------------------------------- main */

static void
usage(void)
{
	fprintf(stderr,
			"usage: %s [-v] DATADIR\n"
			"Check page checksums, the keyspace index and index-heap agreement of a\n"
			"stopped server's data directory. Exit 0: clean; 1: problems (one per\n"
			"line on stdout); 2: could not check.\n",
			progname);
}

int
main(int argc, char **argv)
{
	const char *datadir = NULL;
	char		errbuf[CONTROL_ERRBUF_SIZE > 256 ? CONTROL_ERRBUF_SIZE : 256];
	char		path[4096];
	ControlFile cf;
	int			lockfd;
	size_t		size;
	int			nrels;
	RelNumber  *rels;
	bool		have_heap = false,
				have_index = false;
	BtCheckStats bstats = {0};
	uint64_t	nentries = 0,
				ntuples = 0,
				nlive = 0;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
		{
			usage();
			return 0;
		}
		else if (datadir == NULL && argv[i][0] != '-')
			datadir = argv[i];
		else
		{
			usage();
			return 2;
		}
	}
	if (datadir == NULL)
	{
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	elog_role = 'K';
	elog_min_level = WARNING;

	/* The data directory lock: the postmaster flocks its pid file. */
	snprintf(path, sizeof(path), "%s/%s", datadir, PID_FILE_NAME);
	lockfd = open(path, O_RDONLY | O_CLOEXEC);
	if (lockfd < 0 && errno != ENOENT)
	{
		fprintf(stderr, "%s: could not open \"%s\": %s\n", progname, path, strerror(errno));
		return 2;
	}
	if (lockfd >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) != 0)
	{
		if (errno == EWOULDBLOCK)
			fprintf(stderr, "%s: a server is running on \"%s\" (\"%s\" is locked); stop it first\n",
					progname, datadir, path);
		else
			fprintf(stderr, "%s: could not lock \"%s\": %s\n", progname, path, strerror(errno));
		return 2;
	}

	if (!ControlFileRead(datadir, &cf, errbuf))
	{
		fprintf(stderr, "%s: could not read the control file of \"%s\": %s\n", progname, datadir,
				errbuf);
		return 2;
	}
	if (cf.state != CONTROL_STATE_SHUTDOWNED)
		fprintf(stderr,
				"%s: note: the cluster was not shut down cleanly (state \"%s\"); checking without "
				"recovery, so commits after the last checkpoint may be unknown\n",
				progname, ControlStateName(cf.state));
	if (!cf.data_checksums)
		fprintf(stderr, "%s: note: the control file says data pages carry no checksums\n",
				progname);
	if (chdir(datadir) != 0)
	{
		fprintf(stderr, "%s: could not change to \"%s\": %s\n", progname, datadir,
				strerror(errno));
		return 2;
	}

	size = SmgrShmemSize() + BufMgrShmemSize(CHECK_SHARED_BUFFERS) + XLogShmemSize() +
		ClogShmemSize() + XactShmemSize() + HeapShmemSize() + 65536;
	if (!ShmemCreate(size, HUGE_PAGES_OFF, errbuf, sizeof(errbuf)))
	{
		fprintf(stderr, "%s: could not create shared memory: %s\n", progname, errbuf);
		return 2;
	}
	SmgrShmemInit();
	BufMgrShmemInit(CHECK_SHARED_BUFFERS);
	XLogShmemInit();
	ClogShmemInit();
	XactShmemInit();
	HeapShmemInit();

	/* Pass 1: every page of every relation. */
	rels = list_relations(&nrels);
	for (int i = 0; i < nrels; i++)
	{
		if (rels[i] == REL_KEYSPACE_HEAP)
		{
			heap_nblocks = check_relation_pages(rels[i], &heap_bad);
			have_heap = true;
		}
		else
		{
			(void) check_relation_pages(rels[i], NULL);
			if (rels[i] == REL_KEYSPACE_INDEX)
				have_index = true;
		}
	}
	free(rels);
	if (!have_heap)
		heap_bad = calloc(1, 1);

	/* Pass 2: the B+tree's own invariants. */
	if (!have_index)
	{
		if (have_heap)
			problem("relation %u (keyspace index) is missing but the heap exists",
					REL_KEYSPACE_INDEX);
	}
	else if (!BtCheck(REL_KEYSPACE_INDEX, &bstats, errbuf, sizeof(errbuf)))
		problem("keyspace index: %s", errbuf);
	else
	{
		/* Passes 3 and 4: index and heap agree. */
		heap_visited = calloc((size_t) (heap_nblocks ? heap_nblocks : 1), VISIT_BYTES_PER_BLOCK);
		heap_cache = aligned_alloc(8, sizeof(CachedPage) * HEAP_CACHE_PAGES);
		if (heap_visited == NULL || heap_cache == NULL)
		{
			fprintf(stderr, "%s: out of memory\n", progname);
			return 2;
		}
		for (int i = 0; i < HEAP_CACHE_PAGES; i++)
			heap_cache[i].blkno = InvalidBlockNumber;
		nentries = check_index_to_heap(bstats.entries);
		check_heap_reachable(&ntuples, &nlive);
	}

	if (stale_redirect_links)
		fprintf(stderr, "%s: note: %" PRIu64 " version chain(s) end at a prev link into a reused slot "
				"that is now a redirect (not followed)\n", progname, stale_redirect_links);
	fprintf(stderr,
			"%s: %s: index %u levels, %" PRIu64 " pages, %" PRIu64 " entries; heap %u blocks, %"
			PRIu64 " tuples, %" PRIu64 " live versions; %" PRIu64 " problem(s)\n",
			progname, datadir, bstats.levels, bstats.pages, nentries, heap_nblocks, ntuples, nlive,
			nproblems);
	SmgrCloseAll();
	ShmemDestroy();
	if (lockfd >= 0)
		close(lockfd);
	return nproblems ? 1 : 0;
}
