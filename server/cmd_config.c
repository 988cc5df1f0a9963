/*
 * cmd_config.c
 *	  CONFIG GET, SET, RESETSTAT, REWRITE, HELP.
 *
 * NOTES
 *	  The settings live in shared memory (server/config.h), so a SET here is
 *	  seen by every backend at its next command. Settings the postmaster
 *	  acts on (port, bind) are followed by a SIGHUP to it.
 */
#include "config.h"

#include "server/settings.h"
#include "server/server.h"
#include "server/util.h"
#include "storage/mem.h"
#include "storage/proc.h"
#include "storage/stats.h"
#include "wal/xlog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *const config_help[] = {
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Print this help.",
	NULL
};

void
ConfigHelpCommand(Client *c)
{
	AddReplyHelp(&c->reply, config_help);
}

typedef struct GetState
{
	Client	   *c;
	const char *seen[64];
	int			nseen;
	long long	count;
	const char *exact;			/* a name without glob characters, as typed */
} GetState;

static void
visit(const char *name, const char *value, void *arg)
{
	GetState *st = arg;
	const char *shown = st->exact ? st->exact : name;

	/* several patterns may match one setting; report it once */
	for (int i = 0; i < st->nseen; i++)
		if (st->seen[i] == name)
			return;
	if (st->nseen < 64)
		st->seen[st->nseen++] = name;
	AddReplyBulkCString(&st->c->reply, shown);
	AddReplyBulkCString(&st->c->reply, value);
	st->count++;
}

void
ConfigGetCommand(Client *c)
{
	GetState st;
	size_t handle;

	memset(&st, 0, sizeof(st));
	st.c = c;
	handle = AddReplyDeferredLen(&c->reply);
	for (int i = 2; i < c->argc; i++)
	{
		/* Redis answers a plain name with the name as the client typed it */
		st.exact = strpbrk(c->argv[i], "*?[\\") ? NULL : c->argv[i];
		ConfigVisitMatching(c->argv[i], visit, &st);
	}
	SetDeferredMapLen(&c->reply, handle, st.count);
}

/*
 * Ask the postmaster to listen on the new port/bind and wait for its
 * answer (at most 5 s: it answers from its event loop at once).
 */
static bool
postmaster_listens(void)
{
	uint32_t request = atomic_fetch_add(&server_config->listen_request, 1) + 1;
	struct timespec one_ms = {0, 1000 * 1000};

	kill(getppid(), SIGHUP);
	for (int waited = 0; waited < 5000; waited++)
	{
		if ((int32_t) (atomic_load(&server_config->listen_done) - request) >= 0)
			return atomic_load(&server_config->listen_ok);
		nanosleep(&one_ms, NULL);
	}
	return false;
}

void
ConfigSetCommand(Client *c)
{
	const char *names[64], *values[64];
	char err[1024], old_port[32], old_bind[CONFIG_STRING_LEN];
	bool sync_before = server_config->synchronous_commit;
	int npairs = (c->argc - 2) / 2;
	bool listen_changed = false;

	if ((c->argc - 2) % 2 != 0 || npairs > 64)
	{
		AddReplyErrorFormat(&c->reply, "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
							c->argv[2]);
		return;
	}
	for (int i = 0; i < npairs; i++)
	{
		names[i] = c->argv[2 + i * 2];
		values[i] = c->argv[3 + i * 2];
		/*
		 * Settings are C strings: a NUL inside a value would cut it
		 * ("abc\0def" as requirepass would accept the password "abc").
		 */
		if (strlen(values[i]) != c->argv_len[3 + i * 2])
		{
			AddReplyErrorFormat(&c->reply, "ERR CONFIG SET failed (possibly related to argument '%s') - "
								"tusk does not support values containing NUL bytes", names[i]);
			return;
		}
		if (ConfigIsListenSetting(names[i]))
			listen_changed = true;
		if (strcasecmp(names[i], "maxclients") == 0)
		{
			long long want = atoll(values[i]);

			if (want > proc_array->nbackend_slots)
			{
				AddReplyErrorFormat(&c->reply,
									"ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
									"tusk-server was started with room for %d clients; restart it with a larger maxclients",
									proc_array->nbackend_slots);
				return;
			}
		}
	}
	if (listen_changed)
	{
		ConfigGetValue("port", old_port, sizeof(old_port));
		ConfigGetValue("bind", old_bind, sizeof(old_bind));
	}
	if (!ConfigSetPairs(npairs, names, values, err, sizeof(err)))
	{
		AddReplyError(&c->reply, err);
		return;
	}
	if (listen_changed && !postmaster_listens())
	{
		/* as Redis: the old addresses stay, and so do the old values */
		const char *old_names[2] = {"port", "bind"};
		const char *old_values[2] = {old_port, old_bind};
		bool bind_asked = false;

		for (int i = 0; i < npairs; i++)
			bind_asked |= strcasecmp(names[i], "bind") == 0;
		(void) ConfigSetPairs(2, old_names, old_values, err, sizeof(err));
		if (bind_asked)
			AddReplyError(&c->reply, "ERR CONFIG SET failed (possibly related to argument 'bind') - "
						  "Failed to bind to specified addresses.");
		else
			AddReplyError(&c->reply, "ERR CONFIG SET failed (possibly related to argument 'port') - "
						  "Unable to listen on this port. Check server logs.");
		return;
	}
	if (!sync_before && server_config->synchronous_commit)
	{
		/*
		 * On again: make durable what was acknowledged while it was off,
		 * before reads go durable (ConfigApplyStorageSettings), so that
		 * none shows a value older than one a client was told is written.
		 * A write acknowledged unflushed read the setting before it was
		 * switched, after its commit record was inserted, so it lies
		 * before the insert position read here.
		 */
		atomic_thread_fence(memory_order_seq_cst);
		(void) XLogFlush(XLogGetInsertPosition());	/* failures inside are PANIC */
	}
	ConfigApplyStorageSettings();
	AddReplyOk(&c->reply);
}

void
ConfigResetstatCommand(Client *c)
{
	StatsReset();
	AddReplyOk(&c->reply);
}

/*
 * Rewrite the config file: each line naming a setting gets the live value,
 * comments and other lines stay as they are.
 * XXX #2: a setting changed with CONFIG SET that has no line in the file is
 * not added yet (Redis appends it); COMMANDS.md says so.
 */
void
ConfigRewriteCommand(Client *c)
{
	char path[CONFIG_PATH_LEN], tmp[CONFIG_PATH_LEN + 8], value[CONFIG_PATH_LEN * 2];
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	ConfigReadString(server_config->config_file, path, sizeof(path));
	if (path[0] == '\0')
	{
		AddReplyError(&c->reply, "ERR The server is running without a config file");
		return;
	}
	in = fopen(path, "r");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = fopen(tmp, "w");
	if (in == NULL || out == NULL)
	{
		AddReplyErrorFormat(&c->reply, "ERR Rewriting config file: %s", strerror(errno));
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return;
	}
	while ((n = getline(&line, &cap, in)) >= 0)
	{
		char name[128];

		if (sscanf(line, " %127s", name) == 1 && name[0] != '#' &&
			ConfigGetValue(name, value, sizeof(value)))
		{
			bool multi = strcasecmp(name, "bind") == 0;

			if (multi || value[0] == '\0' || strpbrk(value, " \"'\\") == NULL)
				fprintf(out, "%s %s\n", name, value[0] || multi ? value : "\"\"");
			else
				fprintf(out, "%s \"%s\"\n", name, value);
		}
		else
			fputs(line, out);
	}
	free(line);
	fclose(in);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0 ||
		rename(tmp, path) != 0)
	{
		AddReplyErrorFormat(&c->reply, "ERR Rewriting config file: %s", strerror(errno));
		unlink(tmp);
		return;
	}
	AddReplyOk(&c->reply);
}
