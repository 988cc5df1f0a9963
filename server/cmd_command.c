/*
 * cmd_command.c
 *	  COMMAND, COMMAND COUNT/INFO/DOCS/LIST/HELP: describe the command table
 *	  the way Redis 7.0 does, so that clients that introspect (redis-cli,
 *	  cluster-aware libraries) find what they expect.
 */
#include "config.h"

#include "server/server.h"
#include "server/util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct
{
	uint64_t	flag;
	const char *name;
}			flag_names[] = {
	{CMD_WRITE, "write"},
	{CMD_READONLY, "readonly"},
	{CMD_DENYOOM, "denyoom"},
	{CMD_ADMIN, "admin"},
	{CMD_PUBSUB, "pubsub"},
	{CMD_NOSCRIPT, "noscript"},
	{CMD_BLOCKING, "blocking"},
	{CMD_LOADING, "loading"},
	{CMD_STALE, "stale"},
	{CMD_SKIP_MONITOR, "skip_monitor"},
	{CMD_SKIP_SLOWLOG, "skip_slowlog"},
	{CMD_FAST, "fast"},
	{CMD_NO_AUTH, "no_auth"},
	{CMD_MAY_REPLICATE, "may_replicate"},
	{CMD_NO_MULTI, "no_multi"},
	{CMD_MOVABLE_KEYS, "movablekeys"},
	{CMD_ALLOW_BUSY, "allow_busy"},
};

/* Count and emit the words of a space-separated list as status replies. */
static void
reply_word_set(ReplyBuf *r, const char *words)
{
	char buf[256];
	int n = 0;
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", words ? words : "");
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		n++;
	AddReplySetLen(r, n);
	snprintf(buf, sizeof(buf), "%s", words ? words : "");
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		AddReplyStatus(r, t);
}

static void
reply_key_specs(ReplyBuf *r, const Command *cmd)
{
	if (cmd->first_key == 0)
	{
		AddReplyArrayLen(r, 0);
		return;
	}
	AddReplyArrayLen(r, 1);
	AddReplyMapLen(r, 3);
	AddReplyBulkCString(r, "flags");
	AddReplySetLen(r, 1);
	AddReplyStatus(r, (cmd->flags & CMD_WRITE) ? "RW" : "RO");
	AddReplyBulkCString(r, "begin_search");
	AddReplyMapLen(r, 2);
	AddReplyBulkCString(r, "type");
	AddReplyBulkCString(r, "index");
	AddReplyBulkCString(r, "spec");
	AddReplyMapLen(r, 1);
	AddReplyBulkCString(r, "index");
	AddReplyLongLong(r, cmd->first_key);
	AddReplyBulkCString(r, "find_keys");
	AddReplyMapLen(r, 2);
	AddReplyBulkCString(r, "type");
	AddReplyBulkCString(r, "range");
	AddReplyBulkCString(r, "spec");
	AddReplyMapLen(r, 3);
	AddReplyBulkCString(r, "lastkey");
	AddReplyLongLong(r, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
	AddReplyBulkCString(r, "keystep");
	AddReplyLongLong(r, cmd->key_step);
	AddReplyBulkCString(r, "limit");
	AddReplyLongLong(r, 0);
}

static void
reply_command_info(ReplyBuf *r, const Command *cmd)
{
	int nflags = 0, nsub = 0;

	AddReplyArrayLen(r, 10);
	AddReplyBulkCString(r, cmd->name);
	AddReplyLongLong(r, cmd->arity);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (cmd->flags & flag_names[i].flag)
			nflags++;
	AddReplySetLen(r, nflags);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (cmd->flags & flag_names[i].flag)
			AddReplyStatus(r, flag_names[i].name);
	AddReplyLongLong(r, cmd->first_key);
	AddReplyLongLong(r, cmd->last_key);
	AddReplyLongLong(r, cmd->key_step);
	reply_word_set(r, cmd->acl_categories);
	AddReplySetLen(r, 0);		/* tips */
	reply_key_specs(r, cmd);
	if (cmd->subcommands)
		for (const Command *s = cmd->subcommands; s->name; s++)
			nsub++;
	AddReplyArrayLen(r, nsub);
	for (int i = 0; i < nsub; i++)
		reply_command_info(r, &cmd->subcommands[i]);
}

static void
reply_command_docs(ReplyBuf *r, const Command *cmd)
{
	int nsub = 0;

	if (cmd->subcommands)
		for (const Command *s = cmd->subcommands; s->name; s++)
			nsub++;
	AddReplyMapLen(r, 4 + (nsub > 0));
	AddReplyBulkCString(r, "summary");
	AddReplyBulkCString(r, cmd->summary);
	AddReplyBulkCString(r, "since");
	AddReplyBulkCString(r, cmd->since);
	AddReplyBulkCString(r, "group");
	AddReplyBulkCString(r, cmd->group);
	AddReplyBulkCString(r, "complexity");
	AddReplyBulkCString(r, cmd->complexity);
	if (nsub)
	{
		AddReplyBulkCString(r, "subcommands");
		AddReplyMapLen(r, nsub);
		for (int i = 0; i < nsub; i++)
		{
			AddReplyBulkCString(r, cmd->subcommands[i].name);
			reply_command_docs(r, &cmd->subcommands[i]);
		}
	}
}

/* "config|get" or "config get" style lookups for COMMAND INFO/DOCS. */
static const Command *
lookup_full_name(const char *name, size_t len)
{
	const char *bar = memchr(name, '|', len);
	const Command *cmd;

	if (bar == NULL)
		return CommandLookup(name, len);
	cmd = CommandLookup(name, (size_t) (bar - name));
	if (cmd == NULL)
		return NULL;
	return CommandLookupSub(cmd, bar + 1, len - (size_t) (bar - name) - 1);
}

void
CommandCommand(Client *c)
{
	AddReplyArrayLen(&c->reply, CommandCount());
	for (const Command *cmd = command_table; cmd->name; cmd++)
		reply_command_info(&c->reply, cmd);
}

void
CommandCountCommand(Client *c)
{
	AddReplyLongLong(&c->reply, CommandCount());
}

void
CommandInfoCommand(Client *c)
{
	if (c->argc == 2)
	{
		CommandCommand(c);
		return;
	}
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
	{
		const Command *cmd = lookup_full_name(c->argv[i], c->argv_len[i]);

		if (cmd)
			reply_command_info(&c->reply, cmd);
		else
			AddReplyNullArray(&c->reply);
	}
}

void
CommandDocsCommand(Client *c)
{
	size_t handle;
	long long n = 0;

	handle = AddReplyDeferredLen(&c->reply);
	if (c->argc == 2)
	{
		for (const Command *cmd = command_table; cmd->name; cmd++)
		{
			AddReplyBulkCString(&c->reply, cmd->name);
			reply_command_docs(&c->reply, cmd);
			n++;
		}
	}
	else
	{
		for (int i = 2; i < c->argc; i++)
		{
			const Command *cmd = lookup_full_name(c->argv[i], c->argv_len[i]);

			if (cmd == NULL)
				continue;
			AddReplyBulkCString(&c->reply, cmd->name);
			reply_command_docs(&c->reply, cmd);
			n++;
		}
	}
	SetDeferredMapLen(&c->reply, handle, n);
}

static bool
list_filter_matches(Client *c, const Command *cmd, int mode, const char *arg, size_t arglen)
{
	switch (mode)
	{
		case 1:				/* MODULE: tusk loads none */
			return false;
		case 2:				/* ACLCAT */
			{
				char want[130];
				const char *cats = cmd->acl_categories ? cmd->acl_categories : "";
				const char *p;
				size_t wl;

				snprintf(want, sizeof(want), "@%.*s", (int) (arglen > 128 ? 128 : arglen), arg);
				wl = strlen(want);
				for (p = strcasestr(cats, want); p; p = strcasestr(p + 1, want))
					if (p[wl] == '\0' || p[wl] == ' ')
						return true;
				return false;
			}
		case 3:				/* PATTERN */
			return StringMatch(arg, arglen, cmd->name, strlen(cmd->name), true);
	}
	return true;
}

void
CommandListCommand(Client *c)
{
	int mode = 0;
	size_t handle;
	long long n = 0;

	if (c->argc == 5 && ArgEquals(c, 2, "filterby"))
	{
		if (ArgEquals(c, 3, "module"))
			mode = 1;
		else if (ArgEquals(c, 3, "aclcat"))
			mode = 2;
		else if (ArgEquals(c, 3, "pattern"))
			mode = 3;
	}
	if (c->argc != 2 && mode == 0)
	{
		ReplySyntaxError(c);
		return;
	}
	handle = AddReplyDeferredLen(&c->reply);
	for (const Command *cmd = command_table; cmd->name; cmd++)
	{
		if (list_filter_matches(c, cmd, mode, mode ? c->argv[4] : NULL, mode ? c->argv_len[4] : 0))
		{
			AddReplyBulkCString(&c->reply, cmd->name);
			n++;
		}
		if (cmd->subcommands)
			for (const Command *s = cmd->subcommands; s->name; s++)
				if (list_filter_matches(c, s, mode, mode ? c->argv[4] : NULL, mode ? c->argv_len[4] : 0))
				{
					AddReplyBulkCString(&c->reply, s->name);
					n++;
				}
	}
	SetDeferredArrayLen(&c->reply, handle, n);
}

void
CommandHelpCommand(Client *c)
{
	static const char *const help[] = {
		"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"(no subcommand)",
		"    Return details about all commands.",
		"COUNT",
		"    Return the total number of commands in this server.",
		"LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
		"    Return a list of all commands in this server.",
		"INFO [<command-name> ...]",
		"    Return details about the specified commands, or all commands if none given.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple commands.",
		"HELP",
		"    Print this help.",
		NULL
	};
	int n = 0;

	while (help[n])
		n++;
	AddReplyArrayLen(&c->reply, n);
	for (int i = 0; i < n; i++)
		AddReplyStatus(&c->reply, help[i]);
}
