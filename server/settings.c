/*
 * settings.c
 *	  Settings table, redis.conf parsing, CONFIG GET/SET.
 *
 * NOTES
 *	  Runs in the postmaster at start-up (parsing) and in backends (CONFIG).
 *	  See config.h for the shared copy and its seqlock. Names are matched
 *	  with '-' and '_' treated alike and without regard to case, so both
 *	  `proto-max-bulk-len` and `shared-buffers` work; CONFIG GET reports each
 *	  setting under its canonical name (Redis's spelling for Redis's settings,
 *	  PostgreSQL's for ours).
 */
#include "config.h"

#include "server/settings.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/shmem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static ServerConfig private_config;
ServerConfig *server_config = &private_config;

typedef enum ConfigType
{
	CT_INT,
	CT_MEMORY,
	CT_BOOL,
	CT_STRING,
	CT_ENUM,
	CT_OCTAL,
	CT_DOUBLE,
	CT_LONGLONG,
} ConfigType;

#define CF_IMMUTABLE	0x01
#define CF_SENSITIVE	0x02	/* never logged */
#define CF_ONOFF		0x04	/* bool printed on/off, PostgreSQL style */
#define CF_LISTEN		0x08	/* postmaster rebinds on change */
#define CF_MULTIARG		0x10	/* file/command line may give several words */

typedef struct ConfigEntry
{
	const char *name;
	ConfigType	type;
	int			flags;
	size_t		offset;
	size_t		size;			/* for strings */
	const char *default_value;
	long long	min;
	long long	max;
	const char *const *enum_names;
	const int  *enum_values;
} ConfigEntry;

static const char *const loglevel_names[] = {"debug", "verbose", "notice", "warning", NULL};
static const int loglevel_values[] = {DEBUG, VERBOSE, LOG, WARNING};
static const char *const huge_pages_names[] = {"off", "try", "on", NULL};
static const int huge_pages_values[] = {HUGE_PAGES_OFF, HUGE_PAGES_TRY, HUGE_PAGES_ON};

#define OFF(field) offsetof(ServerConfig, field)
#define SZ(field) sizeof(((ServerConfig *) 0)->field)

static const ConfigEntry config_entries[] = {
	{"appendonly", CT_BOOL, CF_IMMUTABLE, OFF(appendonly), 0, "yes"},
	{"autovacuum", CT_BOOL, CF_ONOFF, OFF(autovacuum), 0, "on"},
	{"autovacuum_freeze_max_age", CT_LONGLONG, 0, OFF(autovacuum_freeze_max_age), 0, "20000000", 100000, LLONG_MAX},
	{"autovacuum_max_workers", CT_INT, CF_IMMUTABLE, OFF(autovacuum_max_workers), 0, "3", 1, 8},
	{"autovacuum_naptime", CT_INT, 0, OFF(autovacuum_naptime), 0, "5", 1, 86400},
	{"autovacuum_vacuum_cost_delay", CT_INT, 0, OFF(autovacuum_vacuum_cost_delay), 0, "2", 0, 100},
	{"autovacuum_vacuum_cost_limit", CT_INT, 0, OFF(autovacuum_vacuum_cost_limit), 0, "200", 1, 10000},
	{"autovacuum_vacuum_scale_factor", CT_DOUBLE, 0, OFF(autovacuum_vacuum_scale_factor), 0, "0.2", 0, 100},
	{"autovacuum_vacuum_threshold", CT_LONGLONG, 0, OFF(autovacuum_vacuum_threshold), 0, "50", 0, LLONG_MAX},
	{"bgwriter_delay", CT_INT, 0, OFF(bgwriter_delay), 0, "200", 10, 10000},
	{"bgwriter_lru_maxpages", CT_INT, 0, OFF(bgwriter_lru_maxpages), 0, "100", 0, INT_MAX / 2},
	{"bgwriter_lru_multiplier", CT_DOUBLE, 0, OFF(bgwriter_lru_multiplier), 0, "2.0", 0, 10},
	{"bind", CT_STRING, CF_LISTEN | CF_MULTIARG, OFF(bind), SZ(bind), "127.0.0.1"},
	{"checkpoint_completion_target", CT_DOUBLE, 0, OFF(checkpoint_completion_target), 0, "0.9", 0, 1},
	{"checkpoint_timeout", CT_INT, 0, OFF(checkpoint_timeout), 0, "300", 30, 86400},
	{"commit_delay", CT_INT, 0, OFF(commit_delay), 0, "0", 0, 100000},
	{"client-query-buffer-limit", CT_MEMORY, 0, OFF(client_query_buffer_limit), 0, "1gb", 1024 * 1024, LLONG_MAX},
	{"daemonize", CT_BOOL, CF_IMMUTABLE, OFF(daemonize), 0, "no"},
	{"databases", CT_INT, CF_IMMUTABLE, OFF(databases), 0, "16", 1, INT_MAX},
	{"dir", CT_STRING, CF_IMMUTABLE, OFF(dir), SZ(dir), "./"},
	{"huge_pages", CT_ENUM, CF_IMMUTABLE, OFF(huge_pages), 0, "try", 0, 0, huge_pages_names, huge_pages_values},
	{"logfile", CT_STRING, CF_IMMUTABLE, OFF(logfile), SZ(logfile), ""},
	{"loglevel", CT_ENUM, 0, OFF(loglevel), 0, "notice", 0, 0, loglevel_names, loglevel_values},
	{"max_wal_size", CT_MEMORY, 0, OFF(max_wal_size), 0, "1gb", 32 * 1024 * 1024, LLONG_MAX},
	{"maxclients", CT_INT, 0, OFF(maxclients), 0, "10000", 1, 4294967295LL},
	{"port", CT_INT, CF_LISTEN, OFF(port), 0, "6379", 0, 65535},
	{"pubsub_buffer_size", CT_MEMORY, CF_IMMUTABLE, OFF(pubsub_buffer_size), 0, "32mb", 1024 * 1024, 1LL << 40},
	{"pubsub_max_subscriptions", CT_INT, CF_IMMUTABLE, OFF(pubsub_max_subscriptions), 0, "0", 0, 100000000},
	{"pubsub_output_buffer_limit", CT_MEMORY, 0, OFF(pubsub_output_buffer_limit), 0, "32mb", 0, LLONG_MAX},
	{"proto-max-bulk-len", CT_MEMORY, 0, OFF(proto_max_bulk_len), 0, "512mb", 1024 * 1024, LLONG_MAX},
	{"requirepass", CT_STRING, CF_SENSITIVE, OFF(requirepass), SZ(requirepass), ""},
	{"save", CT_STRING, CF_MULTIARG, OFF(save), SZ(save), ""},
	{"script_cache_size", CT_MEMORY, CF_IMMUTABLE, OFF(script_cache_size), 0, "4mb", 64 * 1024, 1LL << 40},
	{"shared_backend_clients", CT_INT, 0, OFF(shared_backend_clients), 0, "1000", 1, 1000000},
	{"shared_backends", CT_INT, CF_IMMUTABLE, OFF(shared_backends), 0, "-1", -1, 64},
	{"shared_buffers", CT_MEMORY, CF_IMMUTABLE, OFF(shared_buffers), 0, "128mb", 1024 * 1024, LLONG_MAX},
	{"slowlog-log-slower-than", CT_LONGLONG, 0, OFF(slowlog_log_slower_than), 0, "10000", -1, LLONG_MAX},
	{"slowlog-max-len", CT_LONGLONG, 0, OFF(slowlog_max_len), 0, "128", 0, LLONG_MAX},
	{"synchronous_commit", CT_BOOL, CF_ONOFF, OFF(synchronous_commit), 0, "on"},
	{"tcp-backlog", CT_INT, CF_IMMUTABLE, OFF(tcp_backlog), 0, "511", 0, INT_MAX},
	{"tcp-keepalive", CT_INT, 0, OFF(tcp_keepalive), 0, "300", 0, INT_MAX},
	{"timeout", CT_INT, 0, OFF(timeout), 0, "0", 0, INT_MAX},
	{"unixsocket", CT_STRING, CF_IMMUTABLE, OFF(unixsocket), SZ(unixsocket), ""},
	{"unixsocketperm", CT_OCTAL, CF_IMMUTABLE, OFF(unixsocketperm), 0, "0", 0, 0777},
	{"vacuum_freeze_min_age", CT_LONGLONG, 0, OFF(vacuum_freeze_min_age), 0, "1000000", 0, LLONG_MAX},
	{"wal_writer_delay", CT_INT, 0, OFF(wal_writer_delay), 0, "200", 1, 10000},
};

#define NUM_ENTRIES (sizeof(config_entries) / sizeof(config_entries[0]))

/* Compare names with '-' == '_' and case folded. */
static bool
name_equal(const char *a, const char *b)
{
	for (;; a++, b++)
	{
		char ca = *a == '_' ? '-' : (char) tolower((unsigned char) *a);
		char cb = *b == '_' ? '-' : (char) tolower((unsigned char) *b);

		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

static const ConfigEntry *
find_entry(const char *name)
{
	for (size_t i = 0; i < NUM_ENTRIES; i++)
		if (name_equal(config_entries[i].name, name))
			return &config_entries[i];
	return NULL;
}

bool
ConfigParseMemory(const char *s, long long *out)
{
	size_t len = strlen(s), digits = len;
	long long mul = 1, v;

	while (digits > 0 && isalpha((unsigned char) s[digits - 1]))
		digits--;
	if (digits < len)
	{
		const char *u = s + digits;

		if (!strcasecmp(u, "b"))
			mul = 1;
		else if (!strcasecmp(u, "k"))
			mul = 1000;
		else if (!strcasecmp(u, "kb"))
			mul = 1024;
		else if (!strcasecmp(u, "m"))
			mul = 1000 * 1000;
		else if (!strcasecmp(u, "mb"))
			mul = 1024 * 1024;
		else if (!strcasecmp(u, "g"))
			mul = 1000LL * 1000 * 1000;
		else if (!strcasecmp(u, "gb"))
			mul = 1024LL * 1024 * 1024;
		else
			return false;
	}
	if (!StringToLongLong(s, digits, &v))
		return false;
	if (v != 0 && (v > LLONG_MAX / mul || v < LLONG_MIN / mul))
		return false;
	*out = v * mul;
	return true;
}

static bool
parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "on") || !strcasecmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "off") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* A parsed value, before it is stored. */
typedef struct ConfigValue
{
	double		real;
	long long	number;
	bool		boolean;
	const char *string;
} ConfigValue;

/*
 * Parse and range-check; on failure write Redis's reason text to err
 * (the part after "... - ").
 */
static bool
parse_value(const ConfigEntry *e, const char *s, ConfigValue *v, char *err, size_t errlen)
{
	switch (e->type)
	{
		case CT_INT:
		case CT_OCTAL:
		case CT_LONGLONG:
			{
				char *end;

				errno = 0;
				v->number = strtoll(s, &end, e->type == CT_OCTAL ? 8 : 10);
				if (*s == '\0' || *end != '\0' || errno == ERANGE)
				{
					snprintf(err, errlen, "argument couldn't be parsed into an integer");
					return false;
				}
				if (v->number < e->min || v->number > e->max)
				{
					snprintf(err, errlen, "argument must be between %lld and %lld inclusive",
							 e->min, e->max);
					return false;
				}
				return true;
			}
		case CT_MEMORY:
			if (!ConfigParseMemory(s, &v->number))
			{
				snprintf(err, errlen, "argument must be a memory value");
				return false;
			}
			if (v->number < e->min || v->number > e->max)
			{
				snprintf(err, errlen, "argument must be between %lld and %lld inclusive",
						 e->min, e->max);
				return false;
			}
			return true;
		case CT_DOUBLE:
			{
				char *end;

				errno = 0;
				v->real = strtod(s, &end);
				if (*s == '\0' || *end != '\0' || errno == ERANGE || v->real != v->real)
				{
					snprintf(err, errlen, "argument couldn't be parsed into a number");
					return false;
				}
				if (v->real < (double) e->min || v->real > (double) e->max)
				{
					snprintf(err, errlen, "argument must be between %lld and %lld inclusive",
							 e->min, e->max);
					return false;
				}
				return true;
			}
		case CT_BOOL:
			if (!parse_bool(s, &v->boolean))
			{
				snprintf(err, errlen, "argument must be 'yes' or 'no'");
				return false;
			}
			return true;
		case CT_ENUM:
			for (int i = 0; e->enum_names[i]; i++)
			{
				if (!strcasecmp(s, e->enum_names[i]))
				{
					v->number = e->enum_values[i];
					return true;
				}
			}
			{
				size_t off = snprintf(err, errlen, "argument(s) must be one of the following: ");

				for (int i = 0; e->enum_names[i] && off < errlen; i++)
					off += snprintf(err + off, errlen - off, "%s%s", i ? ", " : "",
									e->enum_names[i]);
			}
			return false;
		case CT_STRING:
			if (strlen(s) >= e->size)
			{
				snprintf(err, errlen, "argument is too long (at most %zu bytes)", e->size - 1);
				return false;
			}
			v->string = s;
			return true;
	}
	return false;
}

static void
store_value(ServerConfig *cfg, const ConfigEntry *e, const ConfigValue *v)
{
	char *field = (char *) cfg + e->offset;

	switch (e->type)
	{
		case CT_INT:
		case CT_OCTAL:
		case CT_ENUM:
			*(int *) field = (int) v->number;
			break;
		case CT_MEMORY:
		case CT_LONGLONG:
			*(long long *) field = v->number;
			break;
		case CT_BOOL:
			*(bool *) field = v->boolean;
			break;
		case CT_DOUBLE:
			*(double *) field = v->real;
			break;
		case CT_STRING:
			snprintf(field, e->size, "%s", v->string);
			break;
	}
}

static void
format_value(const ServerConfig *cfg, const ConfigEntry *e, char *out, size_t outlen)
{
	const char *field = (const char *) cfg + e->offset;

	switch (e->type)
	{
		case CT_INT:
			snprintf(out, outlen, "%d", *(const int *) field);
			break;
		case CT_OCTAL:
			snprintf(out, outlen, "%o", *(const int *) field);
			break;
		case CT_MEMORY:
		case CT_LONGLONG:
			snprintf(out, outlen, "%lld", *(const long long *) field);
			break;
		case CT_DOUBLE:
			snprintf(out, outlen, "%g", *(const double *) field);
			break;
		case CT_BOOL:
			if (e->flags & CF_ONOFF)
				snprintf(out, outlen, "%s", *(const bool *) field ? "on" : "off");
			else
				snprintf(out, outlen, "%s", *(const bool *) field ? "yes" : "no");
			break;
		case CT_ENUM:
			snprintf(out, outlen, "%s", "");
			for (int i = 0; e->enum_names[i]; i++)
				if (e->enum_values[i] == *(const int *) field)
					snprintf(out, outlen, "%s", e->enum_names[i]);
			break;
		case CT_STRING:
			ConfigReadString(field, out, outlen);
			break;
	}
}

void
ConfigLoadDefaults(void)
{
	char err[256];

	memset(&private_config, 0, sizeof(private_config));
	for (size_t i = 0; i < NUM_ENTRIES; i++)
	{
		ConfigValue v;

		if (!parse_value(&config_entries[i], config_entries[i].default_value, &v, err, sizeof(err)))
		{
			fprintf(stderr, "bad default for %s: %s\n", config_entries[i].name, err);
			exit(1);
		}
		store_value(&private_config, &config_entries[i], &v);
	}
}

static void
config_file_error(int lineno, const char *line, const char *msg)
{
	fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (tusk %s) ***\n", PACKAGE_VERSION);
	if (lineno > 0)
		fprintf(stderr, "Reading the configuration file, at line %d\n", lineno);
	else
		fprintf(stderr, "Reading the command line\n");
	fprintf(stderr, ">>> '%s'\n%s\n", line, msg);
	exit(1);
}

/* Apply one "name value..." line during start-up. */
static void
apply_line(int lineno, const char *line)
{
	int argc;
	char **argv;
	size_t *lens;
	const ConfigEntry *e;
	ConfigValue v;
	char err[512], joined[CONFIG_PATH_LEN * 2];

	if (!SplitArgs(line, strlen(line), &argc, &argv, &lens))
		config_file_error(lineno, line, "Unbalanced quotes in configuration line");
	if (argc == 0 || argv[0][0] == '#')
	{
		FreeArgs(argc, argv, lens);
		return;
	}
	e = find_entry(argv[0]);
	if (e == NULL || argc < 2 || (argc > 2 && !(e->flags & CF_MULTIARG)))
		config_file_error(lineno, line, "Bad directive or wrong number of arguments");
	joined[0] = '\0';
	for (int i = 1; i < argc; i++)
	{
		size_t off = strlen(joined);

		snprintf(joined + off, sizeof(joined) - off, "%s%s", i > 1 ? " " : "", argv[i]);
	}
	if (!parse_value(e, joined, &v, err, sizeof(err)))
		config_file_error(lineno, line, err);
	store_value(&private_config, e, &v);
	FreeArgs(argc, argv, lens);
}

static void
load_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;

	if (f == NULL)
	{
		fprintf(stderr, "Fatal error, can't open config file '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	while ((n = getline(&line, &cap, f)) >= 0)
	{
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		apply_line(lineno, line);
	}
	free(line);
	fclose(f);
}

/*
 * tusk-server [config-file] [--name value ...]; "-" as the file reads stdin
 * as Redis does. Each --name starts a new line; the words up to the next
 * --name are its value.
 */
void
ConfigLoadFromArgs(int argc, char **argv)
{
	int i = 1;
	char *buf = NULL;
	size_t buflen = 0;

	if (i < argc && strncmp(argv[i], "--", 2) != 0)
	{
		if (strcmp(argv[i], "-") == 0)
			load_file("/dev/stdin");
		else
		{
			char abspath[CONFIG_PATH_LEN];

			load_file(argv[i]);
			if (realpath(argv[i], abspath))
				snprintf(private_config.config_file, sizeof(private_config.config_file), "%s", abspath);
		}
		i++;
	}
	for (; i < argc; i++)
	{
		const char *a = argv[i];

		if (strncmp(a, "--", 2) == 0 && a[2] != '\0')
		{
			if (buf)
			{
				apply_line(0, buf);
				MemFree(buf);
			}
			buflen = strlen(a + 2);
			buf = MemStrdup(a + 2);
		}
		else
		{
			/* quote the value so spaces and quotes survive SplitArgs */
			size_t extra = strlen(a) * 4 + 4, off;

			if (buf == NULL)
				config_file_error(0, a, "Invalid argument: options must start with --");
			buf = MemRealloc(buf, buflen + extra + 1);
			off = buflen;
			buf[off++] = ' ';
			buf[off++] = '"';
			for (const char *p = a; *p; p++)
			{
				if (*p == '"' || *p == '\\')
					buf[off++] = '\\';
				buf[off++] = *p;
			}
			buf[off++] = '"';
			buf[off] = '\0';
			buflen = off;
		}
	}
	if (buf)
	{
		apply_line(0, buf);
		MemFree(buf);
	}
}

size_t
ConfigShmemSize(void)
{
	return sizeof(ServerConfig);
}

void
ConfigShmemInit(void)
{
	ServerConfig *shared = ShmemAlloc(sizeof(ServerConfig));

	memcpy(shared, &private_config, sizeof(ServerConfig));
	LWLockInit(&shared->lock, LWTRANCHE_CONFIG);
	atomic_store(&shared->generation, 0);
	server_config = shared;
}

/*
 * Before shared memory is rebuilt (crash restart): keep the live settings,
 * CONFIG SET changes included, in private memory; ConfigShmemInit copies
 * them into the new segment.
 */
void
ConfigDetachShared(void)
{
	if (server_config != &private_config)
	{
		memcpy(&private_config, server_config, sizeof(ServerConfig));
		server_config = &private_config;
	}
}

void
ConfigReadString(const char *field, char *out, size_t outlen)
{
	for (;;)
	{
		uint64_t before = atomic_load_explicit(&server_config->generation, memory_order_acquire);

		if (before & 1)
			continue;
		snprintf(out, outlen, "%s", field);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&server_config->generation, memory_order_acquire) == before)
			return;
	}
}

static uint64_t local_generation = 0;

/* Per-process effects of settings (log level); cheap when nothing changed. */
void
ConfigRefreshLocal(void)
{
	uint64_t gen = atomic_load_explicit(&server_config->generation, memory_order_relaxed);

	if (gen == local_generation)
		return;
	local_generation = gen;
	elog_min_level = server_config->loglevel;
}

bool
ConfigSetPairs(int npairs, const char **names, const char **values,
			   char *err, size_t errlen)
{
	const ConfigEntry *entries[64];
	ConfigValue parsed[64];
	char reason[512];

	if (npairs > 64)
	{
		snprintf(err, errlen, "ERR too many parameters for CONFIG SET");
		return false;
	}
	for (int i = 0; i < npairs; i++)
	{
		entries[i] = find_entry(names[i]);
		if (entries[i] == NULL)
		{
			snprintf(err, errlen, "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
					 names[i]);
			return false;
		}
	}
	for (int i = 0; i < npairs; i++)
	{
		const ConfigEntry *e = entries[i];

		if (e->flags & CF_IMMUTABLE)
		{
			snprintf(err, errlen, "ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config",
					 names[i]);
			return false;
		}
		for (int j = 0; j < i; j++)
		{
			if (entries[j] == e)
			{
				snprintf(err, errlen, "ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter",
						 names[i]);
				return false;
			}
		}
		if (!parse_value(e, values[i], &parsed[i], reason, sizeof(reason)))
		{
			snprintf(err, errlen, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
					 names[i], reason);
			return false;
		}
	}
	LWLockAcquire(&server_config->lock, LW_EXCLUSIVE);
	atomic_fetch_add_explicit(&server_config->generation, 1, memory_order_acq_rel);
	for (int i = 0; i < npairs; i++)
		store_value(server_config, entries[i], &parsed[i]);
	atomic_fetch_add_explicit(&server_config->generation, 1, memory_order_acq_rel);
	LWLockRelease(&server_config->lock);
	ConfigRefreshLocal();
	return true;
}

int
ConfigVisitMatching(const char *pattern, ConfigVisitor visit, void *arg)
{
	char value[CONFIG_PATH_LEN * 2];
	char normalized[256];
	size_t plen = strlen(pattern);
	int n = 0;

	for (size_t i = 0; i < NUM_ENTRIES; i++)
	{
		const ConfigEntry *e = &config_entries[i];
		bool match;
		size_t k;

		/* match the pattern against both spellings of the name */
		for (k = 0; e->name[k] && k < sizeof(normalized) - 1; k++)
			normalized[k] = e->name[k] == '_' ? '-' : e->name[k];
		normalized[k] = '\0';
		match = StringMatch(pattern, plen, e->name, strlen(e->name), true) ||
			StringMatch(pattern, plen, normalized, k, true);
		if (!match)
		{
			for (k = 0; e->name[k] && k < sizeof(normalized) - 1; k++)
				normalized[k] = e->name[k] == '-' ? '_' : e->name[k];
			match = StringMatch(pattern, plen, normalized, k, true);
		}
		if (!match)
			continue;
		format_value(server_config, e, value, sizeof(value));
		visit(e->name, value, arg);
		n++;
	}
	return n;
}

bool
ConfigGetValue(const char *name, char *out, size_t outlen)
{
	const ConfigEntry *e = find_entry(name);

	if (e == NULL)
		return false;
	format_value(server_config, e, out, outlen);
	return true;
}

bool
ConfigIsSensitive(const char *name)
{
	const ConfigEntry *e = find_entry(name);

	return e && (e->flags & CF_SENSITIVE);
}

bool
ConfigIsListenSetting(const char *name)
{
	const ConfigEntry *e = find_entry(name);

	return e && (e->flags & CF_LISTEN);
}
