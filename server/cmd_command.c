/*
 * cmd_command.c
 *	  COMMAND, COMMAND COUNT/INFO/DOCS/LIST/HELP: describe the command table
 *	  the way Redis 7.0 does, so that clients that introspect (redis-cli,
 *	  cluster-aware libraries) find what they expect.
 */
#include "config.h"

#include "server/server.h"
#include "server/util.h"

#include <ctype.h>
#include <stdbool.h>
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

/* A numkeys command's one key spec (LMPOP): keynum from its numkeys argument. */
static void
reply_keynum_spec(ReplyBuf *r, const Command *cmd)
{
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
	AddReplyLongLong(r, cmd->numkeys_arg);
	AddReplyBulkCString(r, "find_keys");
	AddReplyMapLen(r, 2);
	AddReplyBulkCString(r, "type");
	AddReplyBulkCString(r, "keynum");
	AddReplyBulkCString(r, "spec");
	AddReplyMapLen(r, 3);
	AddReplyBulkCString(r, "keynumidx");
	AddReplyLongLong(r, 0);
	AddReplyBulkCString(r, "firstkey");
	AddReplyLongLong(r, 1);
	AddReplyBulkCString(r, "keystep");
	AddReplyLongLong(r, 1);
}

/* Keys after a keyword: begin_search keyword, find_keys range with limit 2. */
static void
reply_keyword_spec(ReplyBuf *r, const Command *cmd)
{
	char		upper[32];
	size_t		n = strlen(cmd->key_keyword);

	if (n >= sizeof(upper))
		n = sizeof(upper) - 1;
	for (size_t i = 0; i < n; i++)
		upper[i] = (char) toupper((unsigned char) cmd->key_keyword[i]);
	upper[n] = '\0';
	AddReplyArrayLen(r, 1);
	AddReplyMapLen(r, 3);
	AddReplyBulkCString(r, "flags");
	AddReplySetLen(r, 1);
	AddReplyStatus(r, (cmd->flags & CMD_WRITE) ? "RW" : "RO");
	AddReplyBulkCString(r, "begin_search");
	AddReplyMapLen(r, 2);
	AddReplyBulkCString(r, "type");
	AddReplyBulkCString(r, "keyword");
	AddReplyBulkCString(r, "spec");
	AddReplyMapLen(r, 2);
	AddReplyBulkCString(r, "keyword");
	AddReplyBulkCString(r, upper);
	AddReplyBulkCString(r, "startfrom");
	AddReplyLongLong(r, cmd->keyword_from);
	AddReplyBulkCString(r, "find_keys");
	AddReplyMapLen(r, 2);
	AddReplyBulkCString(r, "type");
	AddReplyBulkCString(r, "range");
	AddReplyBulkCString(r, "spec");
	AddReplyMapLen(r, 3);
	AddReplyBulkCString(r, "lastkey");
	AddReplyLongLong(r, -1);
	AddReplyBulkCString(r, "keystep");
	AddReplyLongLong(r, 1);
	AddReplyBulkCString(r, "limit");
	AddReplyLongLong(r, 2);
}

static void
reply_key_specs(ReplyBuf *r, const Command *cmd)
{
	if (cmd->numkeys_arg > 0)
	{
		reply_keynum_spec(r, cmd);
		return;
	}
	if (cmd->key_keyword)
	{
		reply_keyword_spec(r, cmd);
		return;
	}
	if (cmd->first_key == 0)
	{
		AddReplyArrayLen(r, 0);
		return;
	}
	AddReplyArrayLen(r, 1);
	AddReplyMapLen(r, 3);
	AddReplyBulkCString(r, "flags");
	AddReplySetLen(r, 1);
	AddReplyStatus(r, (cmd->flags & CMD_KEYS_NOT_KEY) ? "not_key" : (cmd->flags & CMD_WRITE) ? "RW" : "RO");
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


/*
 * COMMAND DOCS arguments from a usage string. Grammar (Redis's doc syntax):
 *   seq   := item*
 *   item  := '[' alts ']' | '(' alts ')' | TOKEN [word] | word ['...']
 *   alts  := seq ('|' seq)*
 * An UPPERCASE word is a token: alone it is a pure token, followed by a
 * lower-case word it names that argument. One alternative of one item is
 * that item; one alternative of several is a block; several are a oneof.
 */
typedef struct UsageArg
{
	char		name[48];
	const char *type;
	char		token[32];
	bool		optional;
	bool		multiple;
	int			nsub;
	struct UsageArg *sub;
} UsageArg;

#define USAGE_MAX_ARGS 64

typedef struct UsageParser
{
	const char *p;
	UsageArg	pool[USAGE_MAX_ARGS * 4];
	int			used;
} UsageParser;

static UsageArg *
usage_new(UsageParser *up)
{
	UsageArg *a;

	if (up->used >= (int) (sizeof(up->pool) / sizeof(up->pool[0])))
		return NULL;
	a = &up->pool[up->used++];
	memset(a, 0, sizeof(*a));
	a->type = "string";
	return a;
}

static void
usage_skip_spaces(UsageParser *up)
{
	while (*up->p == ' ')
		up->p++;
}

static int
usage_word(UsageParser *up, char *out, size_t outlen)
{
	size_t n = 0;

	usage_skip_spaces(up);
	while (*up->p && !strchr(" []()|", *up->p))
	{
		if (n + 1 < outlen)
			out[n++] = *up->p;
		up->p++;
	}
	out[n] = '\0';
	return (int) n;
}

static bool
is_token(const char *w)
{
	bool upper = false;

	for (; *w; w++)
	{
		if (*w >= 'a' && *w <= 'z')
			return false;
		if (*w >= 'A' && *w <= 'Z')
			upper = true;
	}
	return upper;
}

static int	usage_parse_seq(UsageParser *up, UsageArg **items, int max);

/* Parses alternatives up to the closing bracket; returns one argument. */
static UsageArg *
usage_parse_group(UsageParser *up, char close)
{
	UsageArg *alts[16];
	int nalts = 0;

	for (;;)
	{
		UsageArg *items[16];
		int n = usage_parse_seq(up, items, 16);
		UsageArg *alt;

		if (n == 1)
			alt = items[0];
		else
		{
			alt = usage_new(up);
			if (alt == NULL)
				return NULL;
			alt->type = "block";
			snprintf(alt->name, sizeof(alt->name), "%s", n ? items[0]->name : "block");
			alt->sub = usage_new(up);
			if (alt->sub == NULL)
				return NULL;
			up->used--;		/* sub is stored contiguously below */
			alt->sub = &up->pool[up->used];
			for (int i = 0; i < n; i++)
			{
				UsageArg *copy = usage_new(up);

				if (copy == NULL)
					return NULL;
				*copy = *items[i];
			}
			alt->nsub = n;
		}
		if (nalts < 16)
			alts[nalts++] = alt;
		usage_skip_spaces(up);
		if (*up->p == '|')
		{
			up->p++;
			continue;
		}
		if (*up->p == close)
			up->p++;
		break;
	}
	if (nalts == 1)
		return alts[0];
	{
		UsageArg *oneof = usage_new(up);

		if (oneof == NULL)
			return NULL;
		oneof->type = "oneof";
		snprintf(oneof->name, sizeof(oneof->name), "%s", alts[0]->token[0] ? alts[0]->token : alts[0]->name);
		for (char *q = oneof->name; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char) (*q - 'A' + 'a');
		oneof->sub = &up->pool[up->used];
		for (int i = 0; i < nalts; i++)
		{
			UsageArg *copy = usage_new(up);

			if (copy == NULL)
				return NULL;
			*copy = *alts[i];
		}
		oneof->nsub = nalts;
		return oneof;
	}
}

static int
usage_parse_seq(UsageParser *up, UsageArg **items, int max)
{
	int n = 0;

	for (;;)
	{
		UsageArg *a = NULL;
		char word[48];

		usage_skip_spaces(up);
		if (*up->p == '\0' || *up->p == ']' || *up->p == ')' || *up->p == '|')
			break;
		if (*up->p == '[' || *up->p == '(')
		{
			char close = *up->p == '[' ? ']' : ')';

			up->p++;
			a = usage_parse_group(up, close);
			if (a && close == ']')
				a->optional = true;
		}
		else if (usage_word(up, word, sizeof(word)) > 0)
		{
			size_t wl = strlen(word);

			a = usage_new(up);
			if (a == NULL)
				break;
			if (wl > 3 && strcmp(word + wl - 3, "...") == 0)
			{
				word[wl - 3] = '\0';
				a->multiple = true;
			}
			if (is_token(word))
			{
				const char *save = up->p;
				char next[48];

				snprintf(a->token, sizeof(a->token), "%s", word);
				usage_skip_spaces(up);
				if (*up->p && !strchr("[]()|", *up->p) && usage_word(up, next, sizeof(next)) > 0 && !is_token(next))
				{
					size_t nl = strlen(next);

					if (nl > 3 && strcmp(next + nl - 3, "...") == 0)
					{
						next[nl - 3] = '\0';
						a->multiple = true;
					}
					snprintf(a->name, sizeof(a->name), "%s", next);
				}
				else
				{
					up->p = save;
					a->type = "pure-token";
					snprintf(a->name, sizeof(a->name), "%s", word);
					for (char *q = a->name; *q; q++)
						if (*q >= 'A' && *q <= 'Z')
							*q = (char) (*q - 'A' + 'a');
				}
			}
			else
			{
				snprintf(a->name, sizeof(a->name), "%s", word);
				if (strcmp(word, "key") == 0)
					a->type = "key";
			}
		}
		else
			up->p++;			/* stray character */
		if (a == NULL)
			continue;
		usage_skip_spaces(up);
		if (strncmp(up->p, "...", 3) == 0)
		{
			a->multiple = true;
			up->p += 3;
		}
		if (n < max)
			items[n++] = a;
	}
	return n;
}

static void
reply_usage_args(ReplyBuf *r, const UsageArg *args, int n)
{
	AddReplyArrayLen(r, n);
	for (int i = 0; i < n; i++)
	{
		const UsageArg *a = &args[i];
		int fields = 2 + (a->token[0] != '\0') + (a->optional || a->multiple) + (a->nsub > 0);

		AddReplyMapLen(r, fields);
		AddReplyBulkCString(r, "name");
		AddReplyBulkCString(r, a->name);
		AddReplyBulkCString(r, "type");
		AddReplyBulkCString(r, a->type);
		if (a->token[0])
		{
			AddReplyBulkCString(r, "token");
			AddReplyBulkCString(r, a->token);
		}
		if (a->optional || a->multiple)
		{
			AddReplyBulkCString(r, "flags");
			AddReplySetLen(r, a->optional + a->multiple);
			if (a->optional)
				AddReplyStatus(r, "optional");
			if (a->multiple)
				AddReplyStatus(r, "multiple");
		}
		if (a->nsub > 0)
		{
			AddReplyBulkCString(r, "arguments");
			reply_usage_args(r, a->sub, a->nsub);
		}
	}
}

/* Replies the "arguments" array; false if the command takes none. */
static bool
has_usage(const Command *cmd)
{
	return cmd->usage && cmd->usage[0];
}

static void
reply_arguments(ReplyBuf *r, const Command *cmd)
{
	static UsageParser up;
	UsageArg *items[USAGE_MAX_ARGS];
	UsageArg flat[USAGE_MAX_ARGS];
	int n;

	memset(&up, 0, sizeof(up));
	up.p = cmd->usage;
	n = usage_parse_seq(&up, items, USAGE_MAX_ARGS);
	for (int i = 0; i < n; i++)
		flat[i] = *items[i];
	reply_usage_args(r, flat, n);
}

static void
reply_command_docs(ReplyBuf *r, const Command *cmd)
{
	int nsub = 0;

	if (cmd->subcommands)
		for (const Command *s = cmd->subcommands; s->name; s++)
			nsub++;
	AddReplyMapLen(r, 4 + (nsub > 0) + has_usage(cmd));
	AddReplyBulkCString(r, "summary");
	AddReplyBulkCString(r, cmd->summary);
	AddReplyBulkCString(r, "since");
	AddReplyBulkCString(r, cmd->since);
	AddReplyBulkCString(r, "group");
	AddReplyBulkCString(r, cmd->group);
	AddReplyBulkCString(r, "complexity");
	AddReplyBulkCString(r, cmd->complexity);
	if (has_usage(cmd))
	{
		AddReplyBulkCString(r, "arguments");
		reply_arguments(r, cmd);
	}
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
			AddReplyNull(&c->reply);
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
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple commands.",
		"HELP",
		"    Print this help.",
		NULL
	};

	AddReplyHelp(&c->reply, help);
}

/* The keys of a full command, from the command table's key positions. */
void
CommandGetkeysCommand(Client *c)
{
	const Command *cmd = CommandLookup(c->argv[2], c->argv_len[2]);
	int			n = c->argc - 2;	/* the command's own argc */
	int			first, last, step, store;

	if (cmd && cmd->subcommands && n >= 2)
		cmd = CommandLookupSub(cmd, c->argv[3], c->argv_len[3]);
	if (cmd == NULL)
	{
		AddReplyError(&c->reply, "ERR Invalid command specified");
		return;
	}
	if ((cmd->arity > 0 && cmd->arity != n) || n < -cmd->arity)
	{
		AddReplyError(&c->reply, "ERR Invalid number of arguments specified for command");
		return;
	}
	if ((cmd->flags & CMD_KEYS_NOT_KEY) ||
		!CommandKeyRange(cmd, n, c->argv + 2, c->argv_len + 2, &first, &last, &step))
	{
		AddReplyError(&c->reply, cmd->numkeys_arg > 0 || cmd->key_keyword ? "ERR Invalid arguments specified for command"
					  : "ERR The command has no key arguments");
		return;
	}
	/* GEORADIUS[BYMEMBER] name a second key after STORE/STOREDIST */
	store = (cmd->proc == GeoradiusCommand || cmd->proc == GeoradiusbymemberCommand)
				? GeoStoreKeyIndex(n, c->argv + 2, c->argv_len + 2)
				: 0;
	AddReplyArrayLen(&c->reply, (last - first) / step + 1 + (store > 0));
	for (int i = first; i <= last; i += step)
		AddReplyBulk(&c->reply, c->argv[2 + i], c->argv_len[2 + i]);
	if (store > 0)
		AddReplyBulk(&c->reply, c->argv[2 + store], c->argv_len[2 + store]);
}
