/*
 * cmd_geo.c
 *	  Geospatial indexes: GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH
 *	  GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO
 *	  GEORADIUSBYMEMBER_RO.
 *
 * NOTES
 *	  A geo set is a sorted set (server/zset.h), as in Redis: each
 *	  member's score is the 52-bit geohash of its position (26 bits of
 *	  longitude and 26 of latitude, interleaved, latitude in the even
 *	  bits), held exactly in a double. So ZRANGE, ZSCORE and ZREM work
 *	  on it, and the scores are Redis's own numbers.
 *	  Every number is computed as Redis 7.0 computes it, because the
 *	  replies must agree byte for byte: a position reads back as the
 *	  center of its cell (clamped to the valid range), distances come
 *	  from the haversine formula on a sphere of radius
 *	  EARTH_RADIUS_METERS, and a search looks at the cell of an estimated
 *	  size that holds the center and its eight neighbours (geo_areas),
 *	  each a score range of the sorted set, then keeps the points within
 *	  the shape. Unsorted results come in that order (cell by cell, by
 *	  score within a cell), as Redis returns them.
 *	  GEOADD is ZADD with computed scores (ZaddScored). The searches read
 *	  through a snapshot; with STORE/STOREDIST (GEORADIUS*,
 *	  GEOSEARCHSTORE) they lock the source and the destination and write
 *	  the result as a new sorted set, replacing the destination (empty:
 *	  deleted), as ZRANGESTORE does.
 */
#include "config.h"

#include "server/collection.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "server/zset.h"
#include "storage/mem.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GEO_STEP_MAX 26 /* bits per coordinate */
#define GEO_LAT_MIN	 -85.05112878
#define GEO_LAT_MAX	 85.05112878
#define GEO_LONG_MIN -180.0
#define GEO_LONG_MAX 180.0

#define EARTH_RADIUS_METERS 6372797.560856
#define MERCATOR_MAX		20037726.37
#define DEG_TO_RAD			(M_PI / 180.0)

/* ------------------------------------------------------------ geohash */

typedef struct GeoHash
{
	uint64_t bits;
	int step; /* bits per coordinate; 0 with bits 0: no cell */
} GeoHash;

typedef struct GeoRange
{
	double min, max;
} GeoRange;

typedef struct GeoArea
{
	GeoRange lon, lat;
} GeoArea;

static const GeoRange geo_lon_range = {GEO_LONG_MIN, GEO_LONG_MAX};
static const GeoRange geo_lat_range = {GEO_LAT_MIN, GEO_LAT_MAX};

static double
deg_rad(double deg)
{
	return deg * DEG_TO_RAD;
}

static double
rad_deg(double rad)
{
	return rad / DEG_TO_RAD;
}

/* lat's bits to the even positions, lon's to the odd ones */
static uint64_t
interleave(uint32_t lat, uint32_t lon)
{
	uint64_t r = 0;

	for (int i = 0; i < 32; i++)
	{
		r |= (uint64_t) ((lat >> i) & 1) << (2 * i);
		r |= (uint64_t) ((lon >> i) & 1) << (2 * i + 1);
	}
	return r;
}

static void
deinterleave(uint64_t bits, uint32_t *lat, uint32_t *lon)
{
	*lat = 0;
	*lon = 0;
	for (int i = 0; i < 32; i++)
	{
		*lat |= (uint32_t) ((bits >> (2 * i)) & 1) << i;
		*lon |= (uint32_t) ((bits >> (2 * i + 1)) & 1) << i;
	}
}

/* The cell of the given step holding (lon, lat), within the ranges. */
static GeoHash
geo_encode(GeoRange lonr, GeoRange latr, double lon, double lat, int step)
{
	GeoHash h = {0, step};
	double lat_off = (lat - latr.min) / (latr.max - latr.min);
	double lon_off = (lon - lonr.min) / (lonr.max - lonr.min);

	/* fixed point: the offset in cells, truncated */
	lat_off *= (double) (1ULL << step);
	lon_off *= (double) (1ULL << step);
	h.bits = interleave((uint32_t) lat_off, (uint32_t) lon_off);
	return h;
}

static GeoArea
geo_decode(GeoHash h)
{
	GeoArea a;
	uint32_t ilat, ilon;
	double cells = (double) (1ULL << h.step);

	deinterleave(h.bits, &ilat, &ilon);
	a.lat.min = GEO_LAT_MIN + (ilat * 1.0 / cells) * (GEO_LAT_MAX - GEO_LAT_MIN);
	a.lat.max = GEO_LAT_MIN + ((uint32_t) (ilat + 1) * 1.0 / cells) * (GEO_LAT_MAX - GEO_LAT_MIN);
	a.lon.min = GEO_LONG_MIN + (ilon * 1.0 / cells) * (GEO_LONG_MAX - GEO_LONG_MIN);
	a.lon.max =
		GEO_LONG_MIN + ((uint32_t) (ilon + 1) * 1.0 / cells) * (GEO_LONG_MAX - GEO_LONG_MIN);
	return a;
}

/* A score's position: the center of its cell, clamped to the valid range. */
static void
geo_score_to_xy(double score, double *xy)
{
	GeoHash h = {(uint64_t) score, GEO_STEP_MAX};
	GeoArea a = geo_decode(h);

	xy[0] = (a.lon.min + a.lon.max) / 2;
	if (xy[0] > GEO_LONG_MAX)
		xy[0] = GEO_LONG_MAX;
	if (xy[0] < GEO_LONG_MIN)
		xy[0] = GEO_LONG_MIN;
	xy[1] = (a.lat.min + a.lat.max) / 2;
	if (xy[1] > GEO_LAT_MAX)
		xy[1] = GEO_LAT_MAX;
	if (xy[1] < GEO_LAT_MIN)
		xy[1] = GEO_LAT_MIN;
}

static double
geo_xy_to_score(const double *xy)
{
	GeoHash h = geo_encode(geo_lon_range, geo_lat_range, xy[0], xy[1], GEO_STEP_MAX);

	return (double) (h.bits << (52 - 2 * h.step));
}

static double
geo_lat_distance(double lat1, double lat2)
{
	return EARTH_RADIUS_METERS * fabs(deg_rad(lat2) - deg_rad(lat1));
}

/* Haversine; along a meridian the plain arc, as Redis 7.0 computes it. */
static double
geo_distance(double lon1, double lat1, double lon2, double lat2)
{
	double v = sin((deg_rad(lon2) - deg_rad(lon1)) / 2);
	double u, a;

	if (v == 0.0)
		return geo_lat_distance(lat1, lat2);
	u = sin((deg_rad(lat2) - deg_rad(lat1)) / 2);
	a = u * u + cos(deg_rad(lat1)) * cos(deg_rad(lat2)) * v * v;
	return 2.0 * EARTH_RADIUS_METERS * asin(sqrt(a));
}

/* Move a cell by one along longitude (the odd bits) or latitude (even). */
static GeoHash
geo_move(GeoHash h, int dlon, int dlat)
{
	const uint64_t odd = 0xaaaaaaaaaaaaaaaaULL, even = 0x5555555555555555ULL;
	uint64_t x = h.bits & odd, y = h.bits & even;
	int shift = 64 - h.step * 2;

	if (dlon)
	{
		uint64_t zz = even >> shift;

		if (dlon > 0)
			x = x + (zz + 1);
		else
			x = (x | zz) - (zz + 1);
		x &= odd >> shift;
	}
	if (dlat)
	{
		uint64_t zz = odd >> shift;

		if (dlat > 0)
			y = y + (zz + 1);
		else
			y = (y | zz) - (zz + 1);
		y &= even >> shift;
	}
	h.bits = x | y;
	return h;
}

/* ------------------------------------------------------------- shapes */

typedef struct GeoShape
{
	bool box;
	double xy[2];		  /* center: longitude, latitude */
	double radius;		  /* in the unit */
	double width, height; /* in the unit */
	double conversion;	  /* unit to meters */
} GeoShape;

/* Whether the point xy is within the shape; its distance from the center. */
static bool
geo_within(const GeoShape *s, const double *xy, double *dist)
{
	if (!s->box)
	{
		*dist = geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
		return *dist <= s->radius * s->conversion;
	}
	if (geo_lat_distance(xy[1], s->xy[1]) > s->height * s->conversion / 2)
		return false;
	if (geo_distance(xy[0], xy[1], s->xy[0], xy[1]) > s->width * s->conversion / 2)
		return false;
	*dist = geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
	return true;
}

/* The cell step whose cells are about the size of the search. */
static int
geo_estimate_step(double range_meters, double lat)
{
	int step = 1;

	if (range_meters == 0)
		return GEO_STEP_MAX;
	while (range_meters < MERCATOR_MAX)
	{
		range_meters *= 2;
		step++;
	}
	step -= 2;
	/* cells shrink towards the poles */
	if (lat > 66 || lat < -66)
	{
		step--;
		if (lat > 80 || lat < -80)
			step--;
	}
	if (step < 1)
		step = 1;
	if (step > GEO_STEP_MAX)
		step = GEO_STEP_MAX;
	return step;
}

enum
{
	N_CENTER,
	N_NORTH,
	N_SOUTH,
	N_EAST,
	N_WEST,
	N_NORTH_EAST,
	N_NORTH_WEST,
	N_SOUTH_EAST,
	N_SOUTH_WEST,
	N_CELLS
};

static void
geo_neighbours(GeoHash h, GeoHash *cells)
{
	cells[N_CENTER] = h;
	cells[N_NORTH] = geo_move(h, 0, 1);
	cells[N_SOUTH] = geo_move(h, 0, -1);
	cells[N_EAST] = geo_move(h, 1, 0);
	cells[N_WEST] = geo_move(h, -1, 0);
	cells[N_NORTH_EAST] = geo_move(h, 1, 1);
	cells[N_NORTH_WEST] = geo_move(h, -1, 1);
	cells[N_SOUTH_EAST] = geo_move(h, 1, -1);
	cells[N_SOUTH_WEST] = geo_move(h, -1, -1);
}

/*
 * The nine cells to search, in Redis's order; a cell that cannot hold a
 * match is {0, 0}.
 */
static void
geo_areas(const GeoShape *s, GeoHash *cells)
{
	double lon = s->xy[0], lat = s->xy[1];
	double height = s->conversion * (s->box ? s->height / 2 : s->radius);
	double width = s->conversion * (s->box ? s->width / 2 : s->radius);
	double lat_delta = rad_deg(height / EARTH_RADIUS_METERS);
	double lon_delta_top = rad_deg(width / EARTH_RADIUS_METERS / cos(deg_rad(lat + lat_delta)));
	double lon_delta_bottom = rad_deg(width / EARTH_RADIUS_METERS / cos(deg_rad(lat - lat_delta)));
	/* the bounding box widens towards the pole */
	double lon_delta = lat < 0 ? lon_delta_bottom : lon_delta_top;
	double min_lon = lon - lon_delta, max_lon = lon + lon_delta;
	double min_lat = lat - lat_delta, max_lat = lat + lat_delta;
	double radius_meters =
		s->box ? sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2))
			   : s->radius;
	int step;
	GeoArea area, north, south, east, west;

	radius_meters *= s->conversion;
	step = geo_estimate_step(radius_meters, lat);
	geo_neighbours(geo_encode(geo_lon_range, geo_lat_range, lon, lat, step), cells);

	/* a neighbour too near the search area to cover it: one step bigger */
	north = geo_decode(cells[N_NORTH]);
	south = geo_decode(cells[N_SOUTH]);
	east = geo_decode(cells[N_EAST]);
	west = geo_decode(cells[N_WEST]);
	if (step > 1 && (north.lat.max < max_lat || south.lat.min > min_lat || east.lon.max < max_lon ||
					 west.lon.min > min_lon))
	{
		step--;
		geo_neighbours(geo_encode(geo_lon_range, geo_lat_range, lon, lat, step), cells);
	}
	area = geo_decode(cells[N_CENTER]);

	/* drop the neighbours on a side the search area does not reach */
	if (step >= 2)
	{
		static const GeoHash none = {0, 0};

		if (area.lat.min < min_lat)
			cells[N_SOUTH] = cells[N_SOUTH_WEST] = cells[N_SOUTH_EAST] = none;
		if (area.lat.max > max_lat)
			cells[N_NORTH] = cells[N_NORTH_EAST] = cells[N_NORTH_WEST] = none;
		if (area.lon.min < min_lon)
			cells[N_WEST] = cells[N_SOUTH_WEST] = cells[N_NORTH_WEST] = none;
		if (area.lon.max > max_lon)
			cells[N_EAST] = cells[N_SOUTH_EAST] = cells[N_NORTH_EAST] = none;
	}
}

/* ------------------------------------------------------------- search */

typedef struct GeoPoint
{
	double xy[2];
	double dist;
	double score;
	const char *m;
	size_t len;
} GeoPoint;

typedef struct GeoPoints
{
	GeoPoint *p;
	long n, cap;
} GeoPoints;

/* The first element of z with score >= min. */
static long
zset_lower_bound(const Zset *z, double min)
{
	long lo = 0, hi = z->n;

	while (lo < hi)
	{
		long mid = lo + (hi - lo) / 2;

		if (z->e[mid].score < min)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Append the points of z within the shape, cell by cell, each cell's in
 * score order; stop at limit points (0: no limit).
 */
static void
geo_collect(const Zset *z, const GeoShape *s, long limit, GeoPoints *out)
{
	GeoHash cells[N_CELLS];
	int last = -1;

	geo_areas(s, cells);
	for (int i = 0; i < N_CELLS; i++)
	{
		double min, max;

		if (cells[i].bits == 0 && cells[i].step == 0)
			continue;
		/* with a huge radius neighbours can be the same cell */
		if (last >= 0 && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
			continue;
		if (out->n && limit && out->n >= limit)
			break;
		last = i;
		min = (double) (cells[i].bits << (52 - 2 * cells[i].step));
		max = (double) ((cells[i].bits + 1) << (52 - 2 * cells[i].step));
		for (long k = zset_lower_bound(z, min); k < z->n && z->e[k].score < max; k++)
		{
			GeoPoint p;

			geo_score_to_xy(z->e[k].score, p.xy);
			if (!geo_within(s, p.xy, &p.dist))
				continue;
			p.score = z->e[k].score;
			p.m = z->e[k].m;
			p.len = z->e[k].len;
			if (out->n == out->cap)
			{
				out->cap = out->cap ? out->cap * 2 : 16;
				out->p = MemRealloc(out->p, sizeof(GeoPoint) * (size_t) out->cap);
			}
			out->p[out->n++] = p;
			if (limit && out->n >= limit)
				break;
		}
	}
}

/* Stable merge sort by distance (glibc's qsort, which Redis uses, is one). */
static void
geo_sort(GeoPoint *p, long n, bool desc, GeoPoint *tmp)
{
	long mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	geo_sort(p, mid, desc, tmp);
	geo_sort(p + mid, n - mid, desc, tmp);
	while (i < mid && j < n)
	{
		bool take_right = desc ? p[j].dist > p[i].dist : p[j].dist < p[i].dist;

		tmp[k++] = take_right ? p[j++] : p[i++];
	}
	while (i < mid)
		tmp[k++] = p[i++];
	while (j < n)
		tmp[k++] = p[j++];
	memcpy(p, tmp, sizeof(GeoPoint) * (size_t) n);
}

static int
geo_cmp(const GeoPoint *p, long a, long b, bool desc)
{
	int r = p[a].dist > p[b].dist ? 1 : p[a].dist == p[b].dist ? 0 : -1;

	return desc ? -r : r;
}

static void
geo_swap(GeoPoint *p, long a, long b)
{
	GeoPoint t = p[a];

	p[a] = p[b];
	p[b] = t;
}

static long
geo_med3(GeoPoint *p, long a, long b, long c, bool desc)
{
	if (geo_cmp(p, a, b, desc) < 0)
		return geo_cmp(p, b, c, desc) < 0 ? b : geo_cmp(p, a, c, desc) < 0 ? c : a;
	return geo_cmp(p, b, c, desc) > 0 ? b : geo_cmp(p, a, c, desc) < 0 ? a : c;
}

static void
geo_insertion_sort(GeoPoint *p, long base, long n, bool desc)
{
	for (long m = base + 1; m < base + n; m++)
		for (long l = m; l > base && geo_cmp(p, l - 1, l, desc) > 0; l--)
			geo_swap(p, l, l - 1);
}

/*
 * Sort p[base .. base + n - 1] far enough that positions first .. last
 * hold what a full sort would put there. COUNT with fewer results than
 * found: Redis then uses its partial quicksort, Bentley and McIlroy's
 * three-way partitioning ("Engineering a Sort Function", 1993, as in the
 * BSD libc, without its switch to insertion sort after a pass with no
 * swap) that skips the parts outside the wanted positions. The same steps
 * here give equal distances the same order as Redis.
 */
static void
geo_partial_sort(GeoPoint *p, long base, long n, bool desc, long first, long last)
{
	for (;;)
	{
		long pa, pb, pc, pd, pm, pn, r;

		if (n < 7)
		{
			geo_insertion_sort(p, base, n, desc);
			return;
		}
		pm = base + n / 2;
		if (n > 7)
		{
			long pl = base;

			pn = base + n - 1;
			if (n > 40)
			{
				long d = n / 8;

				pl = geo_med3(p, pl, pl + d, pl + 2 * d, desc);
				pm = geo_med3(p, pm - d, pm, pm + d, desc);
				pn = geo_med3(p, pn - 2 * d, pn - d, pn, desc);
			}
			pm = geo_med3(p, pl, pm, pn, desc);
		}
		geo_swap(p, base, pm);
		pa = pb = base + 1;
		pc = pd = base + n - 1;
		for (;;)
		{
			int cmp;

			while (pb <= pc && (cmp = geo_cmp(p, pb, base, desc)) <= 0)
			{
				if (cmp == 0)
					geo_swap(p, pa++, pb);
				pb++;
			}
			while (pb <= pc && (cmp = geo_cmp(p, pc, base, desc)) >= 0)
			{
				if (cmp == 0)
					geo_swap(p, pc, pd--);
				pc--;
			}
			if (pb > pc)
				break;
			geo_swap(p, pb++, pc--);
		}
		/* the pivot's equals from both ends to the middle */
		pn = base + n;
		r = pa - base < pb - pa ? pa - base : pb - pa;
		for (long k = 0; k < r; k++)
			geo_swap(p, base + k, pb - r + k);
		r = pd - pc < pn - pd - 1 ? pd - pc : pn - pd - 1;
		for (long k = 0; k < r; k++)
			geo_swap(p, pb + k, pn - r + k);
		/* the smaller part recursively, the larger in this loop */
		r = pb - pa;
		if (r > 1 && !(first >= base + r && last >= base + r) && !(first < base && last < base))
			geo_partial_sort(p, base, r, desc, first, last);
		r = pd - pc;
		if (r <= 1)
			return;
		base = pn - r;
		n = r;
		if ((first < base && last < base) || (first >= base + n && last >= base + n))
			return;
	}
}

/* ---------------------------------------------------------- arguments */

static const char *const err_unit = "ERR unsupported unit provided. please use M, KM, FT, MI";

/* A unit's length in meters; -1 after the error reply. */
static double
geo_unit_or_reply(Client *c, int argi)
{
	if (ArgEquals(c, argi, "m"))
		return 1;
	if (ArgEquals(c, argi, "km"))
		return 1000;
	if (ArgEquals(c, argi, "ft"))
		return 0.3048;
	if (ArgEquals(c, argi, "mi"))
		return 1609.34;
	AddReplyError(&c->reply, err_unit);
	return -1;
}

static bool
geo_double_or_reply(Client *c, int argi, double *out, const char *msg)
{
	if (StringToDouble(c->argv[argi], c->argv_len[argi], out))
		return true;
	AddReplyError(&c->reply, msg ? msg : "ERR value is not a valid float");
	return false;
}

/* argv[argi], argv[argi + 1] as longitude and latitude. */
static bool
geo_lonlat_or_reply(Client *c, int argi, double *xy)
{
	for (int i = 0; i < 2; i++)
		if (!geo_double_or_reply(c, argi + i, &xy[i], NULL))
			return false;
	if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX || xy[1] < GEO_LAT_MIN || xy[1] > GEO_LAT_MAX)
	{
		AddReplyErrorFormat(&c->reply, "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
		return false;
	}
	return true;
}

/* argv[argi] radius, argv[argi + 1] unit. */
static bool
geo_radius_or_reply(Client *c, int argi, GeoShape *s)
{
	if (!geo_double_or_reply(c, argi, &s->radius, "ERR need numeric radius"))
		return false;
	if (s->radius < 0)
	{
		AddReplyError(&c->reply, "ERR radius cannot be negative");
		return false;
	}
	s->conversion = geo_unit_or_reply(c, argi + 1);
	return s->conversion >= 0;
}

/* argv[argi] width, argv[argi + 1] height, argv[argi + 2] unit. */
static bool
geo_box_or_reply(Client *c, int argi, GeoShape *s)
{
	if (!geo_double_or_reply(c, argi, &s->width, "ERR need numeric width") ||
		!geo_double_or_reply(c, argi + 1, &s->height, "ERR need numeric height"))
		return false;
	if (s->width < 0 || s->height < 0)
	{
		AddReplyError(&c->reply, "ERR height or width cannot be negative");
		return false;
	}
	s->conversion = geo_unit_or_reply(c, argi + 2);
	return s->conversion >= 0;
}

/* A member's position; false if it is not in z. */
static bool
geo_member_xy(const Zset *z, const ZsetIndex *idx, const char *m, size_t len, double *xy)
{
	long pos = ZsetIndexFind(z, idx, m, len);

	if (pos < 0)
		return false;
	geo_score_to_xy(z->e[pos].score, xy);
	return true;
}

static bool
member_xy_or_reply(Client *c, const Zset *z, const ZsetIndex *idx, int argi, double *xy)
{
	if (geo_member_xy(z, idx, c->argv[argi], c->argv_len[argi], xy))
		return true;
	AddReplyError(&c->reply, "ERR could not decode requested zset member");
	return false;
}

/*
 * Read argv[1] as a sorted set through a snapshot (missing: empty); false
 * after an error reply. On true, release v after the reply.
 */
static bool
geo_read(Client *c, KsValue *v, Zset *z)
{
	CmdTxn t;

	memset(z, 0, sizeof(*z));
	if (!CmdReadKey(c, &t, 1, v))
		return false;
	if (!CmdReadEnd(c, &t))
	{
		KsValueRelease(v);
		return false;
	}
	if (!ZsetFromValue(c, v, false, z))
	{
		KsValueRelease(v);
		return false;
	}
	return true;
}

/* Redis's distance reply: four decimals, a bulk string in RESP2 and RESP3. */
static void
reply_distance(Client *c, double d)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), "%.4f", d);

	AddReplyBulk(&c->reply, buf, (size_t) len);
}

/*
 * A coordinate as Redis's addReplyHumanLongDouble sends it: "%.17Lf"
 * trimmed, a bulk string in RESP2, a double in RESP3 (AddReplyHumanLongDouble
 * is INCRBYFLOAT's, a bulk string in both).
 */
static void
reply_coord(Client *c, double v)
{
	char buf[5 * 1024];
	int n = FormatHumanLongDouble(buf, sizeof(buf), v);

	if (c->reply.resp > 2)
	{
		ReplyAppend(&c->reply, ",", 1);
		ReplyAppend(&c->reply, buf, (size_t) n);
		ReplyAppend(&c->reply, "\r\n", 2);
	}
	else
		AddReplyBulk(&c->reply, buf, (size_t) n);
}

/* ----------------------------------------------------------- commands */

void
GeoaddCommand(Client *c)
{
	int flags = 0, first = 2, n;
	double *scores;

	for (; first < c->argc; first++)
	{
		if (ArgEquals(c, first, "nx"))
			flags |= ZADD_NX;
		else if (ArgEquals(c, first, "xx"))
			flags |= ZADD_XX;
		else if (ArgEquals(c, first, "ch"))
			flags |= ZADD_CH;
		else
			break;
	}
	n = (c->argc - first) / 3;
	if ((c->argc - first) % 3 != 0 || n == 0 || ((flags & ZADD_NX) && (flags & ZADD_XX)))
	{
		ReplySyntaxError(c);
		return;
	}
	scores = MemAlloc(sizeof(double) * (size_t) n);
	for (int k = 0; k < n; k++)
	{
		double xy[2];

		if (!geo_lonlat_or_reply(c, first + 3 * k, xy))
		{
			MemFree(scores);
			return;
		}
		scores[k] = geo_xy_to_score(xy);
	}
	ZaddScored(c, flags, first, 3, scores, n);
	MemFree(scores);
}

void
GeoposCommand(Client *c)
{
	KsValue v;
	Zset z;
	ZsetIndex idx;

	if (!geo_read(c, &v, &z))
		return;
	ZsetIndexBuild(&z, &idx);
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int j = 2; j < c->argc; j++)
	{
		double xy[2];

		if (!geo_member_xy(&z, &idx, c->argv[j], c->argv_len[j], xy))
		{
			AddReplyNullArray(&c->reply);
			continue;
		}
		AddReplyArrayLen(&c->reply, 2);
		reply_coord(c, xy[0]);
		reply_coord(c, xy[1]);
	}
	ZsetIndexFree(&idx);
	ZsetFree(&z);
	KsValueRelease(&v);
}

void
GeodistCommand(Client *c)
{
	double to_meters = 1, a[2], b[2];
	KsValue v;
	Zset z;
	ZsetIndex idx;

	if (c->argc == 5)
	{
		to_meters = geo_unit_or_reply(c, 4);
		if (to_meters < 0)
			return;
	}
	else if (c->argc > 5)
	{
		ReplySyntaxError(c);
		return;
	}
	if (!geo_read(c, &v, &z))
		return;
	ZsetIndexBuild(&z, &idx);
	if (geo_member_xy(&z, &idx, c->argv[2], c->argv_len[2], a) &&
		geo_member_xy(&z, &idx, c->argv[3], c->argv_len[3], b))
		reply_distance(c, geo_distance(a[0], a[1], b[0], b[1]) / to_meters);
	else
		AddReplyNull(&c->reply);
	ZsetIndexFree(&idx);
	ZsetFree(&z);
	KsValueRelease(&v);
}

void
GeohashCommand(Client *c)
{
	static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
	static const GeoRange lat90 = {-90, 90};
	KsValue v;
	Zset z;
	ZsetIndex idx;

	if (!geo_read(c, &v, &z))
		return;
	ZsetIndexBuild(&z, &idx);
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int j = 2; j < c->argc; j++)
	{
		double xy[2];
		char buf[11];
		GeoHash h;

		if (!geo_member_xy(&z, &idx, c->argv[j], c->argv_len[j], xy))
		{
			AddReplyNull(&c->reply);
			continue;
		}
		/* the standard geohash covers latitudes -90..90: encode again */
		h = geo_encode(geo_lon_range, lat90, xy[0], xy[1], GEO_STEP_MAX);
		for (int i = 0; i < 10; i++)
			buf[i] = alphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
		buf[10] = alphabet[0]; /* 52 bits make 10.4 characters; the rest is 0 */
		AddReplyBulk(&c->reply, buf, sizeof(buf));
	}
	ZsetIndexFree(&idx);
	ZsetFree(&z);
	KsValueRelease(&v);
}

/* ------------------------------------------------------------ searches */

#define GEO_RADIUS_COORDS 0x01 /* GEORADIUS: key lon lat radius unit */
#define GEO_RADIUS_MEMBER 0x02 /* GEORADIUSBYMEMBER: key member radius unit */
#define GEO_NOSTORE		  0x04 /* the _RO forms */
#define GEO_SEARCH		  0x08 /* GEOSEARCH: key FROM... BY... */
#define GEO_SEARCHSTORE	  0x10 /* GEOSEARCHSTORE: dest key FROM... BY... */

enum
{
	SORT_NONE,
	SORT_ASC,
	SORT_DESC
};

typedef struct GeoSearch
{
	int flags;
	int keyi;	/* the source */
	int storei; /* the destination, 0: none */
	bool storedist;
	GeoShape shape;
	bool withdist, withhash, withcoord, any;
	int sort;
	long long count;
	bool frommember, fromloc, byradius, bybox;
} GeoSearch;

/*
 * Redis's georadiusGeneric argument parsing, in its order of checks. z is
 * the source (NULL: missing). quiet: a dry run before the key is read,
 * which only finds the STORE key: it checks nothing and never replies
 * (a search that fails its checks later stores nothing). Otherwise false
 * after an error reply.
 */
static bool
geo_parse(Client *c, GeoSearch *g, const Zset *z, const ZsetIndex *idx, bool quiet)
{
	int base;
	int flags = g->flags;

/* a check that replies on failure; the dry run skips it */
#define CHECK(expr)                                                                                \
	do                                                                                             \
	{                                                                                              \
		if (!quiet && !(expr))                                                                     \
			return false;                                                                          \
	} while (0)

	if (flags & GEO_RADIUS_COORDS)
	{
		base = 6;
		CHECK(geo_lonlat_or_reply(c, 2, g->shape.xy) && geo_radius_or_reply(c, 4, &g->shape));
	}
	else if (flags & GEO_RADIUS_MEMBER)
	{
		base = 5;
		/* a missing key: parse on, so the reply knows about STORE */
		if (z)
		{
			CHECK(member_xy_or_reply(c, z, idx, 2, g->shape.xy));
			CHECK(geo_radius_or_reply(c, 3, &g->shape));
		}
	}
	else
	{
		base = (flags & GEO_SEARCHSTORE) ? 3 : 2;
		if (flags & GEO_SEARCHSTORE)
			g->storei = 1;
	}

	for (int i = base; i < c->argc; i++)
	{
		int left = c->argc - i - 1;

		if (ArgEquals(c, i, "withdist"))
			g->withdist = true;
		else if (ArgEquals(c, i, "withhash"))
			g->withhash = true;
		else if (ArgEquals(c, i, "withcoord"))
			g->withcoord = true;
		else if (ArgEquals(c, i, "any"))
			g->any = true;
		else if (ArgEquals(c, i, "asc"))
			g->sort = SORT_ASC;
		else if (ArgEquals(c, i, "desc"))
			g->sort = SORT_DESC;
		else if (ArgEquals(c, i, "count") && left >= 1)
		{
			CHECK(GetLongLongOrReply(c, i + 1, &g->count, NULL));
			if (!quiet && g->count <= 0)
			{
				AddReplyError(&c->reply, "ERR COUNT must be > 0");
				return false;
			}
			i++;
		}
		else if ((ArgEquals(c, i, "store") || ArgEquals(c, i, "storedist")) && left >= 1 &&
				 !(flags & (GEO_NOSTORE | GEO_SEARCH)))
		{
			g->storedist = ArgEquals(c, i, "storedist");
			g->storei = i + 1;
			i++;
		}
		else if (ArgEquals(c, i, "storedist") && (flags & GEO_SEARCHSTORE))
			g->storedist = true;
		else if (ArgEquals(c, i, "frommember") && left >= 1 && (flags & GEO_SEARCH) && !g->fromloc)
		{
			if (z)
				CHECK(member_xy_or_reply(c, z, idx, i + 1, g->shape.xy));
			g->frommember = true;
			i++;
		}
		else if (ArgEquals(c, i, "fromlonlat") && left >= 2 && (flags & GEO_SEARCH) &&
				 !g->frommember)
		{
			CHECK(geo_lonlat_or_reply(c, i + 1, g->shape.xy));
			g->fromloc = true;
			i += 2;
		}
		else if (ArgEquals(c, i, "byradius") && left >= 2 && (flags & GEO_SEARCH) && !g->bybox)
		{
			CHECK(geo_radius_or_reply(c, i + 1, &g->shape));
			g->shape.box = false;
			g->byradius = true;
			i += 2;
		}
		else if (ArgEquals(c, i, "bybox") && left >= 3 && (flags & GEO_SEARCH) && !g->byradius)
		{
			CHECK(geo_box_or_reply(c, i + 1, &g->shape));
			g->shape.box = true;
			g->bybox = true;
			i += 3;
		}
		else
		{
			if (!quiet)
				ReplySyntaxError(c);
			return false;
		}
	}
#undef CHECK
	if (quiet)
		return true;

	if (g->storei && (g->withdist || g->withhash || g->withcoord))
	{
		AddReplyErrorFormat(
			&c->reply, "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
			(flags & GEO_SEARCHSTORE) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
		return false;
	}
	if ((flags & GEO_SEARCH) && !(g->frommember || g->fromloc))
	{
		AddReplyErrorFormat(&c->reply,
							"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
							(int) c->argv_len[0], c->argv[0]);
		return false;
	}
	if ((flags & GEO_SEARCH) && !(g->byradius || g->bybox))
	{
		AddReplyErrorFormat(&c->reply,
							"ERR exactly one of BYRADIUS and BYBOX can be specified for %.*s",
							(int) c->argv_len[0], c->argv[0]);
		return false;
	}
	if (g->any && !g->count)
	{
		AddReplyError(&c->reply, "ERR the ANY argument requires COUNT argument");
		return false;
	}
	return true;
}

/*
 * The points of a parsed search over z, ordered as Redis orders them;
 * *returned is how many of them the command replies or stores.
 */
static void
geo_run(GeoSearch *g, const Zset *z, GeoPoints *pts, long *returned)
{
	/* the nearest N need sorting, unless ANY asked for any N */
	if (g->count != 0 && g->sort == SORT_NONE && !g->any)
		g->sort = SORT_ASC;
	memset(pts, 0, sizeof(*pts));
	geo_collect(z, &g->shape, g->any ? (long) g->count : 0, pts);
	*returned = (g->count == 0 || pts->n < g->count) ? pts->n : (long) g->count;
	if (g->sort != SORT_NONE && pts->n > 1 && *returned == pts->n)
	{
		GeoPoint *tmp = MemAlloc(sizeof(GeoPoint) * (size_t) pts->n);

		geo_sort(pts->p, pts->n, g->sort == SORT_DESC, tmp);
		MemFree(tmp);
	}
	else if (g->sort != SORT_NONE && pts->n > 1)
		geo_partial_sort(pts->p, 0, pts->n, g->sort == SORT_DESC, 0, *returned - 1);
}

static void
geo_reply_points(Client *c, const GeoSearch *g, const GeoPoints *pts, long n)
{
	int options = g->withdist + g->withhash + g->withcoord;

	AddReplyArrayLen(&c->reply, n);
	for (long i = 0; i < n; i++)
	{
		const GeoPoint *p = &pts->p[i];

		if (options)
			AddReplyArrayLen(&c->reply, options + 1);
		AddReplyBulk(&c->reply, p->m, p->len);
		if (g->withdist)
			reply_distance(c, p->dist / g->shape.conversion);
		if (g->withhash)
			AddReplyLongLong(&c->reply, (long long) p->score);
		if (g->withcoord)
		{
			AddReplyArrayLen(&c->reply, 2);
			reply_coord(c, p->xy[0]);
			reply_coord(c, p->xy[1]);
		}
	}
}

/* A search without STORE: through a snapshot, no lock. */
static void
geo_search_read(Client *c, GeoSearch *g)
{
	KsValue v;
	Zset z;
	ZsetIndex idx;
	GeoPoints pts;
	long n;
	CmdTxn t;

	memset(&z, 0, sizeof(z));
	if (!CmdReadKey(c, &t, g->keyi, &v))
		return;
	if (!CmdReadEnd(c, &t))
	{
		KsValueRelease(&v);
		return;
	}
	if (!ZsetFromValue(c, &v, false, &z))
	{
		KsValueRelease(&v);
		return;
	}
	ZsetIndexBuild(&z, &idx);
	if (geo_parse(c, g, v.exists ? &z : NULL, &idx, false))
	{
		if (!v.exists)
			CollReplyEmptyArray(c);
		else
		{
			geo_run(g, &z, &pts, &n);
			geo_reply_points(c, g, &pts, n);
			MemFree(pts.p);
		}
	}
	ZsetIndexFree(&idx);
	ZsetFree(&z);
	KsValueRelease(&v);
}

/*
 * A search with STORE/STOREDIST into argv[storei]: both keys locked, the
 * result replaces the destination (nothing found: deleted).
 */
static void
geo_search_store(Client *c, GeoSearch *g)
{
	const char *keys[2] = {c->argv[g->keyi], c->argv[g->storei]};
	size_t lens[2] = {c->argv_len[g->keyi], c->argv_len[g->storei]};
	CmdTxn t;
	KsValue src, dst;
	Zset z, out;
	ZsetIndex idx;
	GeoPoints pts;
	long n = 0;
	bool ok;

	memset(&z, 0, sizeof(z));
	memset(&out, 0, sizeof(out));
	memset(&idx, 0, sizeof(idx));
	memset(&pts, 0, sizeof(pts));
	KsValueInit(&src);
	KsValueInit(&dst);
	if (!CmdWriteBegin(c, &t, keys, lens, 2))
		return;
	ok = CmdLoadLatest(c, &t, g->keyi, &src) && ZsetFromValue(c, &src, false, &z);
	if (ok)
	{
		ZsetIndexBuild(&z, &idx);
		ok = geo_parse(c, g, src.exists ? &z : NULL, &idx, false) &&
			 CmdLoadLatestMeta(c, &t, g->storei, &dst);
	}
	if (ok && src.exists)
	{
		geo_run(g, &z, &pts, &n);
		for (long i = 0; i < n; i++)
		{
			const GeoPoint *p = &pts.p[i];

			ZsetAppend(&out, g->storedist ? p->dist / g->shape.conversion : p->score, p->m, p->len);
		}
		ZsetSort(&out);
	}
	/* dst as it was, any type: replaced, TTL dropped; empty deletes it */
	if (ok)
		ok = ZsetStore(c, g->storei, &out, &dst, false);
	if (!ok)
		CmdWriteAbort(c, &t);
	else if (CmdWriteCommit(c, &t))
		AddReplyLongLong(&c->reply, n);
	MemFree(pts.p);
	ZsetIndexFree(&idx);
	ZsetFree(&z);
	ZsetFree(&out);
	KsValueRelease(&src);
	KsValueRelease(&dst);
}

static void
geo_search_generic(Client *c, int keyi, int flags)
{
	GeoSearch g;

	memset(&g, 0, sizeof(g));
	g.flags = flags;
	g.keyi = keyi;
	/* a dry run finds the destination, to lock it with the source */
	geo_parse(c, &g, NULL, NULL, true);
	if (g.storei)
	{
		int storei = g.storei;

		memset(&g, 0, sizeof(g));
		g.flags = flags;
		g.keyi = keyi;
		g.storei = storei;
		geo_search_store(c, &g);
		return;
	}
	memset(&g, 0, sizeof(g));
	g.flags = flags;
	g.keyi = keyi;
	geo_search_read(c, &g);
}

int
GeoStoreKeyIndex(int argc, const char *const *argv, const size_t *argv_len)
{
	int store = 0;

	/* Redis's georadiusGetKeys: the last STORE/STOREDIST wins */
	for (int i = 5; i + 1 < argc; i++)
		if ((argv_len[i] == 5 && strncasecmp(argv[i], "store", 5) == 0) ||
			(argv_len[i] == 9 && strncasecmp(argv[i], "storedist", 9) == 0))
			store = ++i;
	return store;
}

void
GeoradiusCommand(Client *c)
{
	geo_search_generic(c, 1, GEO_RADIUS_COORDS);
}

void
GeoradiusbymemberCommand(Client *c)
{
	geo_search_generic(c, 1, GEO_RADIUS_MEMBER);
}

void
GeoradiusRoCommand(Client *c)
{
	geo_search_generic(c, 1, GEO_RADIUS_COORDS | GEO_NOSTORE);
}

void
GeoradiusbymemberRoCommand(Client *c)
{
	geo_search_generic(c, 1, GEO_RADIUS_MEMBER | GEO_NOSTORE);
}

void
GeosearchCommand(Client *c)
{
	geo_search_generic(c, 1, GEO_SEARCH);
}

void
GeosearchstoreCommand(Client *c)
{
	geo_search_generic(c, 2, GEO_SEARCH | GEO_SEARCHSTORE);
}
