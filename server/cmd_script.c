/*
 * cmd_script.c
 *	  Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
 *	  LOAD/EXISTS/FLUSH/KILL/HELP, with Redis 7.0's Lua environment.
 *
 * NOTES
 *	  Runs in backends. Each backend has one Lua 5.1 state (the system's
 *	  liblua5.1), created on first use and dropped when SCRIPT FLUSH (from
 *	  any backend) starts a new generation of the shared script cache
 *	  (server/scriptcache.h). Compiled scripts are kept in the state's
 *	  registry by SHA1; their texts are in the shared cache, so EVALSHA
 *	  finds a script another connection loaded and compiles it here.
 *
 *	  A script is one write transaction, like EXEC (server/README.md,
 *	  "Scripting"): CmdExecBegin locks the keys given in KEYS, and every
 *	  redis.call runs its command through CommandCall, whose writes join
 *	  that transaction (server/txn.c exec mode); CmdExecEnd commits once,
 *	  so readers see all of the script or none of it, and the reply waits
 *	  for one flush. A command that names a key not in KEYS (or another
 *	  database, or keys the command table cannot locate) makes the script
 *	  fail fast: its transaction is aborted and the script runs again from
 *	  the start with every database locked EXCLUSIVE. Inside EXEC a script
 *	  joins EXEC's transaction, which holds every database lock for it
 *	  (EVAL has movable keys: server/multi.c).
 *
 *	  Lua errors are longjmps inside the Lua state; every function here
 *	  that Lua calls raises only when no tusk state is half changed (the
 *	  client's reply buffer and arguments are restored first), and the
 *	  conversion of a script's result runs under lua_pcall, so an
 *	  out-of-memory error there cannot escape either.
 */
#include "config.h"

#include "server/backend.h"
#include "server/scriptcache.h"
#include "server/server.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/keyspace.h"
#include "storage/mem.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Registry keys */
#define REG_SCRIPTS		"tusk_scripts"	/* sha -> {compiled function, no-writes} */
#define REG_READONLY	"tusk_readonly" /* read-only proxy -> the table behind it */
#define REG_GLOBALS		"tusk_globals"	/* the table the globals live in */
#define REG_STRING_META	"tusk_string_meta"	/* read-only proxy of the strings' metatable */

#define CHUNK_NAME		"@user_script"
/* set in the error table of a failed redis.call: its error was counted */
#define ERR_COUNTED_FIELD "ignore_error_stats_update"
#define MAX_REPLY_DEPTH 200

static const char *const err_noscript = "NOSCRIPT No matching script. Please use EVAL.";
static const char *const err_killed = "Script killed: the connection is closing (CLIENT KILL or shutdown)";

/* Lua instructions between two looks at SIGTERM */
#define KILL_CHECK_INSTRUCTIONS 100000

/* The script being run; NULL between scripts. */
typedef struct ScriptRun
{
	Client	   *c;
	bool		read_only;		/* EVAL_RO, EVALSHA_RO */
	bool		any_key;		/* every database is locked (or EXEC's locks) */
	bool		rerun;			/* an undeclared key was named: run again */
	bool		killed;			/* SIGTERM: stop, apply nothing */
	int			resp;			/* redis.setresp */
	const uint64_t *declared;	/* hashes of KEYS */
	int			ndeclared;
} ScriptRun;

static lua_State *lua;
static uint64_t lua_generation;
static ScriptRun *run;
static ReplyBuf call_reply;		/* redis.call's commands reply here */

/* ------------------------------------------------------ read-only tables */

/*
 * Redis 7 makes the globals and the library tables read-only. Stock Lua
 * 5.1 has no such tables, so each one the scripts see is an empty proxy
 * whose metatable reads from the real table and refuses writes; the
 * registry maps every proxy to its table, so that the raw functions
 * (rawget, rawset, next, pairs, setmetatable) treat a proxy as Redis's
 * read-only table rather than as an empty one.
 */
static int
readonly_error(lua_State *L)
{
	return luaL_error(L, "Attempt to modify a readonly table");
}

/* Replace the table at idx by the table behind it if it is a proxy. */
static bool
resolve_proxy(lua_State *L, int idx)
{
	bool		proxy;

	lua_getfield(L, LUA_REGISTRYINDEX, REG_READONLY);
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	proxy = lua_istable(L, -1);
	if (proxy)
		lua_replace(L, idx);
	else
		lua_pop(L, 1);
	lua_pop(L, 1);
	return proxy;
}

static int
safe_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (resolve_proxy(L, 1))
	{
		/* no position: Redis's error comes from inside the VM */
		lua_pushstring(L, "Attempt to modify a readonly table");
		return lua_error(L);
	}
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

static int
safe_setmetatable(lua_State *L)
{
	if (lua_istable(L, 1))
	{
		lua_pushvalue(L, 1);
		if (resolve_proxy(L, lua_gettop(L)))
		{
			lua_pushstring(L, "Attempt to modify a readonly table");
			return lua_error(L);
		}
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* getmetatable(""): a read-only view of the strings' metatable */
static int
safe_getmetatable(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TSTRING)
	{
		lua_getfield(L, LUA_REGISTRYINDEX, REG_STRING_META);
		return 1;
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static int
safe_rawget(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	(void) resolve_proxy(L, 1);
	lua_settop(L, 2);
	lua_rawget(L, 1);
	return 1;
}

static int
safe_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	(void) resolve_proxy(L, 1);
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int
safe_pairs(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	(void) resolve_proxy(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));	/* safe_next */
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static int
missing_global(lua_State *L)
{
	return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
					  lua_isstring(L, 2) ? lua_tostring(L, 2) : "?");
}

/*
 * Replace the table at the top of the stack by a read-only proxy of it.
 * index_fn: the proxy's __index (the table itself when 0).
 */
static void
make_readonly(lua_State *L)
{
	int			table = lua_gettop(L);

	lua_newtable(L);			/* the proxy */
	lua_newtable(L);			/* its metatable */
	lua_pushvalue(L, table);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly_error);
	lua_setfield(L, -2, "__newindex");
	lua_newtable(L);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_getfield(L, LUA_REGISTRYINDEX, REG_READONLY);
	lua_pushvalue(L, -2);
	lua_pushvalue(L, table);
	lua_rawset(L, -3);
	lua_pop(L, 1);
	lua_replace(L, table);
}

/* ------------------------------------------------------------- errors */

/*
 * Push Redis's error table {err = "CODE message"} for text: "-CODE msg"
 * keeps its code, anything else gets ERR (Redis's luaPushErrorBuff).
 */
static void
push_error_table(lua_State *L, const char *text, size_t len)
{
	lua_newtable(L);
	if (len > 0 && text[0] == '-')
	{
		const char *space = memchr(text + 1, ' ', len - 1);

		if (space == NULL)
		{
			lua_pushliteral(L, "ERR ");
			lua_pushlstring(L, text + 1, len - 1);
		}
		else
		{
			lua_pushlstring(L, text + 1, (size_t) (space - text - 1));
			lua_pushliteral(L, " ");
			lua_pushlstring(L, space + 1, len - (size_t) (space + 1 - text));
		}
		lua_concat(L, space == NULL ? 2 : 3);
	}
	else
	{
		lua_pushliteral(L, "ERR ");
		lua_pushlstring(L, text, len);
		lua_concat(L, 2);
	}
	lua_setfield(L, -2, "err");
}

static int
raise_error(lua_State *L, const char *text)
{
	push_error_table(L, text, strlen(text));
	return lua_error(L);
}

/*
 * The message handler of every script run (Redis's __redis__err__handler):
 * a string error becomes {err = "ERR " .. msg}; the table gets the source
 * and line of the script code that raised it (the caller, when a C
 * function such as redis.call raised).
 */
static int
error_handler(lua_State *L)
{
	lua_Debug	ar;
	bool		found = false;

	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar))
	{
		found = true;
		if (strcmp(ar.what, "C") == 0)
			found = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
	}
	lua_settop(L, 1);
	if (!lua_istable(L, 1))
	{
		lua_newtable(L);
		lua_pushliteral(L, "ERR ");
		lua_getfield(L, LUA_REGISTRYINDEX, REG_GLOBALS);
		lua_getfield(L, -1, "tostring");
		lua_remove(L, -2);
		lua_pushvalue(L, 1);
		lua_call(L, 1, 1);
		lua_concat(L, 2);
		lua_setfield(L, -2, "err");
		lua_replace(L, 1);
	}
	if (found)
	{
		lua_pushstring(L, ar.source);
		lua_setfield(L, 1, "source");
		lua_pushinteger(L, ar.currentline);
		lua_setfield(L, 1, "line");
	}
	return 1;
}

/*
 * pcall as Redis 7 has it: an error table (from redis.call) reaches the
 * script as its err string.
 */
static int
redis_pcall_global(lua_State *L)
{
	int			argc = lua_gettop(L);

	luaL_checkany(L, 1);
	if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) == 0)
	{
		lua_pushboolean(L, 1);
		lua_insert(L, 1);
		return lua_gettop(L);
	}
	if (run && run->killed)
		return lua_error(L);	/* a killed script cannot catch its end */
	if (lua_istable(L, -1))
	{
		lua_getfield(L, -1, "err");
		if (lua_isstring(L, -1))
			lua_replace(L, -2);
		else
			lua_pop(L, 1);
	}
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return 2;
}

/*
 * Count hook: a script that runs on when its backend was told to exit
 * (CLIENT KILL, shutdown) is stopped, and nothing it did is applied; the
 * backend then exits between commands as it always does. Raised again at
 * every look, so a pcall cannot keep the script going.
 */
static void
kill_hook(lua_State *L, lua_Debug *ar)
{
	if (run && (run->killed || BackendDieRequested()))
	{
		run->killed = true;
		(void) raise_error(L, err_killed);
	}
}

/* xpcall, except that a killed script cannot catch its end either */
static int
safe_xpcall(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	if (run && run->killed)
		return raise_error(L, err_killed);
	return lua_gettop(L);
}

/* ------------------------------------------------------- RESP to Lua */

static long long
parse_len(const char **p)
{
	char	   *end;
	long long	n = strtoll(*p, &end, 10);

	*p = end + 2;				/* past \r\n */
	return n;
}

/* The line at *p (up to \r\n), pushed as a string; *p moves past it. */
static void
push_line(lua_State *L, const char **p)
{
	const char *end = strstr(*p, "\r\n");

	lua_pushlstring(L, *p, (size_t) (end - *p));
	*p = end + 2;
}

static void
push_single_field(lua_State *L, const char *field)
{
	/* the value is on top */
	lua_newtable(L);
	lua_insert(L, -2);
	lua_setfield(L, -2, field);
}

/*
 * Push the reply at *p (one complete reply that a command wrote into
 * call_reply) as Redis 7.0 converts it for the script's protocol; *p moves
 * past it. The buffer ends with a NUL, so strstr stops.
 */
static void
resp_to_lua(lua_State *L, const char **p, int depth)
{
	char		type = *(*p)++;
	long long	n;

	luaL_checkstack(L, 4, "reached lua stack limit");
	switch (type)
	{
		case '+':
			push_line(L, p);
			push_single_field(L, "ok");
			break;
		case '-':
			{
				const char *end = strstr(*p, "\r\n");

				push_error_table(L, *p - 1, (size_t) (end - *p + 1));
				*p = end + 2;
			}
			break;
		case ':':
			lua_pushnumber(L, (lua_Number) parse_len(p));
			break;
		case '$':
			n = parse_len(p);
			if (n < 0)
				lua_pushboolean(L, 0);
			else
			{
				lua_pushlstring(L, *p, (size_t) n);
				*p += n + 2;
			}
			break;
		case '*':
		case '>':
			n = parse_len(p);
			if (n < 0)
			{
				lua_pushboolean(L, 0);
				break;
			}
			lua_createtable(L, (int) n, 0);
			for (long long i = 1; i <= n; i++)
			{
				resp_to_lua(L, p, depth + 1);
				lua_rawseti(L, -2, (int) i);
			}
			break;
		case '%':
		case '~':
			n = parse_len(p);
			lua_newtable(L);
			for (long long i = 0; i < n; i++)
			{
				resp_to_lua(L, p, depth + 1);
				if (type == '%')
					resp_to_lua(L, p, depth + 1);
				else
					lua_pushboolean(L, 1);
				lua_rawset(L, -3);
			}
			push_single_field(L, type == '%' ? "map" : "set");
			break;
		case '_':
			*p += 2;
			lua_pushnil(L);
			break;
		case '#':
			lua_pushboolean(L, **p == 't');
			*p += 3;
			break;
		case ',':
			{
				const char *end = strstr(*p, "\r\n");
				double		d;

				if (!StringToDouble(*p, (size_t) (end - *p), &d))
					d = strtod(*p, NULL);
				lua_pushnumber(L, d);
				*p = end + 2;
				push_single_field(L, "double");
			}
			break;
		case '(':
			push_line(L, p);
			push_single_field(L, "big_number");
			break;
		case '=':
			n = parse_len(p);
			lua_newtable(L);
			lua_pushlstring(L, *p, 3);
			lua_setfield(L, -2, "format");
			lua_pushlstring(L, *p + 4, (size_t) n - 4);
			lua_setfield(L, -2, "string");
			*p += n + 2;
			push_single_field(L, "verbatim_string");
			break;
		default:
			/* commands write nothing else */
			elog(WARNING, "unexpected reply type '%c' in a script", type);
			lua_pushnil(L);
			break;
	}
}

/* ------------------------------------------------------- redis.call */

static bool
key_declared(uint64_t hash)
{
	for (int i = 0; i < run->ndeclared; i++)
		if (run->declared[i] == hash)
			return true;
	return false;
}

/*
 * Whether the command c->argv names only keys the script's locks cover;
 * if not, the script is to run again under every database lock.
 */
static bool
keys_covered(const Client *c, const Command *cmd)
{
	int			last;

	if (run->any_key)
		return true;
	if (MultiNeedsAllDatabases(cmd))
		return false;
	if (cmd->first_key <= 0 || cmd->first_key >= c->argc)
		return true;
	last = cmd->last_key < 0 ? c->argc + cmd->last_key : cmd->last_key;
	if (last >= c->argc)
		last = c->argc - 1;
	for (int i = cmd->first_key; i <= last; i += cmd->key_step > 0 ? cmd->key_step : 1)
		if (!key_declared(KsHash(c->argv[i], c->argv_len[i])))
			return false;
	return true;
}

/* Give back the memory of a big reply (a script may read a large value once). */
static void
release_call_reply(void)
{
	if (call_reply.cap > 1024 * 1024)
		ReplyFree(&call_reply);
}

/* The command argv names, with its subcommand; NULL if unknown. */
static const Command *
lookup_command(int argc, const char **argv, const size_t *lens)
{
	const Command *cmd = CommandLookup(argv[0], lens[0]);

	if (cmd && cmd->subcommands && argc >= 2)
		cmd = CommandLookupSub(cmd, argv[1], lens[1]);
	return cmd;
}

/*
 * redis.call and redis.pcall. The arguments become the client's for the
 * time of CommandCall, the reply goes into call_reply and is converted
 * once the client is back as it was; only then may Lua raise.
 */
static int
call_command(lua_State *L, bool raise)
{
	Client	   *c = run->c;
	int			argc = lua_gettop(L);
	const char **argv;
	size_t	   *lens;
	const Command *cmd;
	const char *refusal = NULL;
	int			saved_argc, saved_resp;
	const char **saved_argv;
	size_t	   *saved_lens;
	ReplyBuf	saved_reply;
	const char *p;

	if (run->rerun)
	{
		/* the script will run again: stop this run as soon as possible */
		return raise_error(L, "script touched a key it did not declare; running it again");
	}
	if (run->killed)
		return raise_error(L, err_killed);
	if (argc == 0)
		refusal = "Please specify at least one argument for this redis lib call";
	for (int i = 1; i <= argc && refusal == NULL; i++)
	{
		int			t = lua_type(L, i);

		if (t == LUA_TNUMBER)
		{
			char		buf[64];
			int			len = snprintf(buf, sizeof(buf), "%.17g", (double) lua_tonumber(L, i));

			lua_pushlstring(L, buf, (size_t) len);
			lua_replace(L, i);
		}
		else if (t != LUA_TSTRING)
			refusal = "Lua redis lib command arguments must be strings or integers";
	}
	if (refusal)
	{
		if (raise)
			return raise_error(L, refusal);
		push_error_table(L, refusal, strlen(refusal));
		return 1;
	}

	argv = lua_newuserdata(L, (sizeof(char *) + sizeof(size_t)) * (size_t) argc);
	lens = (size_t *) (argv + argc);
	for (int i = 0; i < argc; i++)
		argv[i] = lua_tolstring(L, i + 1, &lens[i]);

	cmd = lookup_command(argc, argv, lens);
	if (cmd == NULL)
		refusal = "Unknown Redis command called from script";
	else if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity)
		refusal = "Wrong number of args calling Redis command from script";
	else if (cmd->flags & (CMD_NOSCRIPT | CMD_BLOCKING | CMD_PUBSUB | CMD_NO_MULTI))
		refusal = "This Redis command is not allowed from script";
	else if ((cmd->flags & CMD_WRITE) && run->read_only)
		refusal = "Write commands are not allowed from read-only scripts.";
	if (refusal)
	{
		if (raise)
			return raise_error(L, refusal);
		push_error_table(L, refusal, strlen(refusal));
		return 1;
	}

	saved_argc = c->argc;
	saved_argv = c->argv;
	saved_lens = c->argv_len;
	c->argc = argc;
	c->argv = argv;
	c->argv_len = lens;
	if (!keys_covered(c, cmd))
	{
		c->argc = saved_argc;
		c->argv = saved_argv;
		c->argv_len = saved_lens;
		run->rerun = true;
		return raise_error(L, "script touched a key it did not declare; running it again");
	}
	saved_reply = c->reply;
	saved_resp = c->resp;
	ReplyReset(&call_reply);
	call_reply.resp = run->resp;
	c->reply = call_reply;
	c->resp = run->resp;
	CommandCall(c, cmd);
	ClientPublish(c, c->cmd->name);	/* CLIENT LIST shows the script's command */
	ReplyAppend(&c->reply, "", 1);	/* a NUL after the reply: strstr stops */
	call_reply = c->reply;
	c->reply = saved_reply;
	c->resp = saved_resp;
	c->argc = saved_argc;
	c->argv = saved_argv;
	c->argv_len = saved_lens;

	p = call_reply.data;
	if (*p == '-')
	{
		const char *end = strstr(p, "\r\n");

		/* counted in errorstats already: Redis does not count it again */
		push_error_table(L, p, (size_t) (end - p));
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, ERR_COUNTED_FIELD);
		release_call_reply();
		return raise ? lua_error(L) : 1;
	}
	resp_to_lua(L, &p, 0);
	release_call_reply();
	return 1;
}

static int
redis_call(lua_State *L)
{
	return call_command(L, true);
}

static int
redis_pcall(lua_State *L)
{
	return call_command(L, false);
}

/* ------------------------------------------------- the rest of redis.* */

static int
redis_error_reply(lua_State *L)
{
	size_t		len;
	const char *s;

	if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
	{
		push_error_table(L, "wrong number or type of arguments", 33);
		return 1;
	}
	s = lua_tolstring(L, 1, &len);
	if (len > 0 && s[0] == '-')
		push_error_table(L, s, len);
	else
	{
		lua_pushliteral(L, "-");
		lua_pushvalue(L, 1);
		lua_concat(L, 2);
		s = lua_tolstring(L, -1, &len);
		push_error_table(L, s, len);
	}
	return 1;
}

static int
redis_status_reply(lua_State *L)
{
	if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
	{
		push_error_table(L, "wrong number or type of arguments", 33);
		return 1;
	}
	lua_newtable(L);
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "ok");
	return 1;
}

static int
redis_sha1hex(lua_State *L)
{
	char		sha[SCRIPT_SHA_LEN + 1];
	size_t		len = 0;
	const char *s;

	if (lua_gettop(L) != 1)
		return raise_error(L, "wrong number of arguments");
	s = lua_tolstring(L, 1, &len);
	ScriptSha1Hex(s ? s : "", s ? len : 0, sha);
	lua_pushstring(L, sha);
	return 1;
}

static int
redis_log(lua_State *L)
{
	static const int levels[] = {DEBUG, VERBOSE, LOG, WARNING};
	int			argc = lua_gettop(L);
	luaL_Buffer b;
	int			level;

	if (argc < 2)
		return raise_error(L, "redis.log() requires two arguments or more.");
	if (!lua_isnumber(L, 1))
		return raise_error(L, "First argument must be a number (log level).");
	level = (int) lua_tonumber(L, 1);
	if (level < 0 || level > 3)
		return raise_error(L, "Invalid debug level.");
	luaL_buffinit(L, &b);
	for (int i = 2; i <= argc; i++)
	{
		size_t		len;
		const char *s = lua_tolstring(L, i, &len);

		if (s == NULL)
			continue;
		if (i > 2)
			luaL_addchar(&b, ' ');
		luaL_addlstring(&b, s, len);
	}
	luaL_pushresult(&b);
	elog(levels[level], "%s", lua_tostring(L, -1));
	return 0;
}

static int
redis_setresp(lua_State *L)
{
	lua_Number	v;

	if (lua_gettop(L) != 1)
		return raise_error(L, "redis.setresp() requires one argument.");
	v = lua_tonumber(L, 1);
	if (v != 2 && v != 3)
		return raise_error(L, "RESP version must be 2 or 3.");
	run->resp = (int) v;
	return 0;
}

static int
redis_acl_check_cmd(lua_State *L)
{
	int			argc = lua_gettop(L);
	const char *argv[2] = {NULL, NULL};
	size_t		lens[2] = {0, 0};

	if (argc == 0)
		return raise_error(L, "Please specify at least one argument for this redis lib call");
	for (int i = 0; i < argc && i < 2; i++)
		argv[i] = lua_tolstring(L, i + 1, &lens[i]);
	if (argv[0] == NULL || lookup_command(argc, argv, lens) == NULL)
		return raise_error(L, "Invalid command passed to redis.acl_check_cmd()");
	lua_pushboolean(L, 1);		/* only the default user, who may run anything */
	return 1;
}

static int
redis_true(lua_State *L)
{
	lua_pushboolean(L, 1);
	return 1;
}

static int
redis_false(lua_State *L)
{
	lua_pushboolean(L, 0);
	return 1;
}

static int
redis_nothing(lua_State *L)
{
	return 0;
}

/* ------------------------------------------------------------------ bit */

/*
 * Lua BitOp's interface (bit.band ...), which Redis bundles: numbers are
 * normalised to 32-bit integers by the same rounding BitOp uses.
 */
static int32_t
tobit(lua_State *L, int idx)
{
	union
	{
		double		d;
		uint64_t	u;
	}			v;

	v.d = (double) luaL_checknumber(L, idx) + 6755399441055744.0;	/* 2^52 + 2^51 */
	return (int32_t) (uint32_t) v.u;
}

static int
bit_push(lua_State *L, int32_t v)
{
	lua_pushnumber(L, (lua_Number) v);
	return 1;
}

static int
bit_tobit(lua_State *L)
{
	return bit_push(L, tobit(L, 1));
}

static int
bit_bnot(lua_State *L)
{
	return bit_push(L, ~tobit(L, 1));
}

static int
bit_fold(lua_State *L, int op)
{
	int32_t		v = tobit(L, 1);

	for (int i = 2; i <= lua_gettop(L); i++)
	{
		int32_t		w = tobit(L, i);

		v = op == 0 ? v & w : op == 1 ? v | w : v ^ w;
	}
	return bit_push(L, v);
}

static int
bit_band(lua_State *L)
{
	return bit_fold(L, 0);
}

static int
bit_bor(lua_State *L)
{
	return bit_fold(L, 1);
}

static int
bit_bxor(lua_State *L)
{
	return bit_fold(L, 2);
}

static int
bit_shift(lua_State *L, int op)
{
	uint32_t	v = (uint32_t) tobit(L, 1);
	unsigned	n = (unsigned) tobit(L, 2) & 31;

	switch (op)
	{
		case 0:
			v <<= n;
			break;
		case 1:
			v >>= n;
			break;
		case 2:
			v = (uint32_t) ((int32_t) v >> n);
			break;
		case 3:
			v = n ? (v << n) | (v >> (32 - n)) : v;
			break;
		default:
			v = n ? (v >> n) | (v << (32 - n)) : v;
			break;
	}
	return bit_push(L, (int32_t) v);
}

static int
bit_lshift(lua_State *L)
{
	return bit_shift(L, 0);
}

static int
bit_rshift(lua_State *L)
{
	return bit_shift(L, 1);
}

static int
bit_arshift(lua_State *L)
{
	return bit_shift(L, 2);
}

static int
bit_rol(lua_State *L)
{
	return bit_shift(L, 3);
}

static int
bit_ror(lua_State *L)
{
	return bit_shift(L, 4);
}

static int
bit_bswap(lua_State *L)
{
	uint32_t	v = (uint32_t) tobit(L, 1);

	v = (v >> 24) | ((v >> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24);
	return bit_push(L, (int32_t) v);
}

static int
bit_tohex(lua_State *L)
{
	uint32_t	v = (uint32_t) tobit(L, 1);
	int32_t		n = lua_isnoneornil(L, 2) ? 8 : tobit(L, 2);
	const char *digits = "0123456789abcdef";
	char		buf[8];

	if (n < 0)
	{
		n = -n;
		digits = "0123456789ABCDEF";
	}
	if (n > 8)
		n = 8;
	for (int i = n - 1; i >= 0; i--)
	{
		buf[i] = digits[v & 15];
		v >>= 4;
	}
	lua_pushlstring(L, buf, (size_t) n);
	return 1;
}

static const luaL_Reg bit_functions[] = {
	{"tobit", bit_tobit}, {"bnot", bit_bnot}, {"band", bit_band}, {"bor", bit_bor},
	{"bxor", bit_bxor}, {"lshift", bit_lshift}, {"rshift", bit_rshift},
	{"arshift", bit_arshift}, {"rol", bit_rol}, {"ror", bit_ror}, {"bswap", bit_bswap},
	{"tohex", bit_tohex}, {NULL, NULL}
};

static const luaL_Reg redis_functions[] = {
	{"call", redis_call}, {"pcall", redis_pcall}, {"error_reply", redis_error_reply},
	{"status_reply", redis_status_reply}, {"sha1hex", redis_sha1hex}, {"log", redis_log},
	{"setresp", redis_setresp}, {"acl_check_cmd", redis_acl_check_cmd},
	{"replicate_commands", redis_true}, {"set_repl", redis_nothing},
	{"breakpoint", redis_false}, {"debug", redis_nothing}, {NULL, NULL}
};

/* ------------------------------------------------------------ the state */

static void
set_number(lua_State *L, const char *name, lua_Number v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, name);
}

static void
open_library(lua_State *L, lua_CFunction open, const char *name)
{
	lua_pushcfunction(L, open);
	lua_pushstring(L, name);
	lua_call(L, 1, 0);
}

/* Make the global name (a table) a read-only proxy. */
static void
protect_global(lua_State *L, const char *name)
{
	lua_getfield(L, LUA_GLOBALSINDEX, name);
	make_readonly(L);
	lua_setfield(L, LUA_GLOBALSINDEX, name);
}

/*
 * Build the state: Redis 7.0's globals (base library without the file
 * and environment functions, string, table, math, bit, redis), every
 * library table and the globals read-only, reading a missing global an
 * error. The globals end up in a table G behind the environment E
 * scripts run in: E is empty, reads fall through to G, writes fail.
 */
static lua_State *
create_state(void)
{
	static const char *const removed[] = {
		"dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy", NULL
	};
	lua_State  *L = luaL_newstate();

	if (L == NULL)
		return NULL;
	open_library(L, luaopen_base, "");
	open_library(L, luaopen_table, LUA_TABLIBNAME);
	open_library(L, luaopen_string, LUA_STRLIBNAME);
	open_library(L, luaopen_math, LUA_MATHLIBNAME);
	for (int i = 0; removed[i]; i++)
	{
		lua_pushnil(L);
		lua_setfield(L, LUA_GLOBALSINDEX, removed[i]);
	}
	luaL_register(L, "bit", bit_functions);
	lua_pop(L, 1);

	luaL_register(L, "redis", redis_functions);
	set_number(L, "LOG_DEBUG", 0);
	set_number(L, "LOG_VERBOSE", 1);
	set_number(L, "LOG_NOTICE", 2);
	set_number(L, "LOG_WARNING", 3);
	set_number(L, "REPL_NONE", 0);
	set_number(L, "REPL_AOF", 1);
	set_number(L, "REPL_SLAVE", 2);
	set_number(L, "REPL_REPLICA", 2);
	set_number(L, "REPL_ALL", 3);
	lua_pushstring(L, REDIS_COMPAT_VERSION);
	lua_setfield(L, -2, "REDIS_VERSION");
	{
		int			major = 0, minor = 0, patch = 0;

		(void) sscanf(REDIS_COMPAT_VERSION, "%d.%d.%d", &major, &minor, &patch);
		set_number(L, "REDIS_VERSION_NUM", (major << 16) | (minor << 8) | patch);
	}
	lua_pop(L, 1);

	lua_pushcfunction(L, redis_pcall_global);
	lua_setfield(L, LUA_GLOBALSINDEX, "pcall");
	lua_pushcfunction(L, error_handler);
	lua_setfield(L, LUA_GLOBALSINDEX, "__redis__err__handler");
	lua_pushcfunction(L, safe_rawset);
	lua_setfield(L, LUA_GLOBALSINDEX, "rawset");
	lua_pushcfunction(L, safe_rawget);
	lua_setfield(L, LUA_GLOBALSINDEX, "rawget");
	lua_pushcfunction(L, safe_next);
	lua_setfield(L, LUA_GLOBALSINDEX, "next");
	lua_pushcfunction(L, safe_next);
	lua_pushcclosure(L, safe_pairs, 1);
	lua_setfield(L, LUA_GLOBALSINDEX, "pairs");
	lua_getfield(L, LUA_GLOBALSINDEX, "xpcall");
	lua_pushcclosure(L, safe_xpcall, 1);
	lua_setfield(L, LUA_GLOBALSINDEX, "xpcall");
	lua_getfield(L, LUA_GLOBALSINDEX, "setmetatable");
	lua_pushcclosure(L, safe_setmetatable, 1);
	lua_setfield(L, LUA_GLOBALSINDEX, "setmetatable");
	lua_newtable(L);
	lua_setfield(L, LUA_GLOBALSINDEX, "KEYS");
	lua_newtable(L);
	lua_setfield(L, LUA_GLOBALSINDEX, "ARGV");

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_READONLY);

	protect_global(L, "string");
	protect_global(L, "table");
	protect_global(L, "math");
	protect_global(L, "coroutine");
	protect_global(L, "bit");
	protect_global(L, "redis");
	/* string methods ("x"):len() read through the protected string table */
	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1))
	{
		lua_getfield(L, LUA_GLOBALSINDEX, "string");
		lua_setfield(L, -2, "__index");
		make_readonly(L);
		lua_setfield(L, LUA_REGISTRYINDEX, REG_STRING_META);
	}
	lua_pop(L, 1);
	lua_getfield(L, LUA_GLOBALSINDEX, "getmetatable");
	lua_pushcclosure(L, safe_getmetatable, 1);
	lua_setfield(L, LUA_GLOBALSINDEX, "getmetatable");

	/* G: the globals so far; a missing one is an error */
	lua_pushvalue(L, LUA_GLOBALSINDEX);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_GLOBALS);
	lua_newtable(L);
	lua_pushcfunction(L, missing_global);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	/* E: the read-only proxy of G, which scripts see as _G */
	make_readonly(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_GLOBALSINDEX, "_G");	/* rawset into G */
	lua_replace(L, LUA_GLOBALSINDEX);
	lua_sethook(L, kill_hook, LUA_MASKCOUNT, KILL_CHECK_INSTRUCTIONS);
	return L;
}

/*
 * The backend's Lua state, created if there is none and created afresh
 * if SCRIPT FLUSH ran (here or in another backend) since it was made.
 * NULL, after an error reply, if Lua cannot get memory.
 */
static lua_State *
get_state(Client *c)
{
	uint64_t	generation = ScriptCacheGeneration();

	if (lua && lua_generation != generation)
	{
		lua_close(lua);
		lua = NULL;
	}
	if (lua == NULL)
	{
		lua = create_state();
		lua_generation = generation;
		if (lua == NULL)
			AddReplyError(&c->reply, "ERR could not create the Lua state: out of memory");
	}
	return lua;
}

/*
 * Push the compiled script sha (lower case) if this state has it;
 * *no_writes: its shebang says flags=no-writes.
 */
static bool
push_compiled(lua_State *L, const char *sha, bool *no_writes)
{
	lua_getfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
	lua_getfield(L, -1, sha);
	lua_remove(L, -2);
	if (!lua_istable(L, -1))
	{
		lua_pop(L, 1);
		return false;
	}
	lua_rawgeti(L, -1, 2);
	*no_writes = lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_rawgeti(L, -1, 1);
	lua_remove(L, -2);
	return true;
}

/*
 * Redis 7's shebang line, "#!lua [flags=f1,f2...]": false, with Redis's
 * error reply, if it is not one; *no_writes for flags=no-writes. The
 * other flags Redis knows are accepted and change nothing here.
 */
static bool
parse_shebang(Client *c, const char *body, size_t len, bool *no_writes)
{
	static const char *const known[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster",
	"allow-cross-slot-keys", NULL};
	const char *nl = memchr(body, '\n', len);
	int			argc;
	char	  **argv;
	size_t	   *lens;
	bool		ok = true;

	*no_writes = false;
	if (nl == NULL)
	{
		AddReplyError(&c->reply, "ERR Invalid script shebang");
		return false;
	}
	if (!SplitArgs(body, (size_t) (nl - body), &argc, &argv, &lens) || argc == 0)
	{
		AddReplyError(&c->reply, "ERR Invalid script shebang");
		return false;
	}
	if (strcmp(argv[0], "#!lua") != 0)
	{
		AddReplyErrorFormat(&c->reply, "ERR Unexpected engine in script shebang: %s", argv[0]);
		ok = false;
	}
	for (int i = 1; i < argc && ok; i++)
	{
		char	   *flag, *rest;

		if (strncmp(argv[i], "flags=", 6) != 0)
		{
			AddReplyErrorFormat(&c->reply, "ERR Unknown lua shebang option: %s", argv[i]);
			ok = false;
			break;
		}
		for (flag = strtok_r(argv[i] + 6, ",", &rest); flag && ok; flag = strtok_r(NULL, ",", &rest))
		{
			int			k = 0;

			while (known[k] && strcmp(known[k], flag) != 0)
				k++;
			if (known[k] == NULL)
			{
				AddReplyErrorFormat(&c->reply, "ERR Unexpected flag in script shebang: %s", flag);
				ok = false;
			}
			else if (k == 0)
				*no_writes = true;
		}
	}
	FreeArgs(argc, argv, lens);
	return ok;
}

/*
 * Compile body and keep it under sha; push the function. False, with
 * Redis's error reply, on a syntax error or a bad shebang. A shebang
 * line is compiled as a comment, so line numbers stay the script's.
 */
static bool
compile_script(Client *c, lua_State *L, const char *sha, const char *body, size_t len,
			   bool *no_writes)
{
	char	   *copy = NULL;
	int			st;

	*no_writes = false;
	if (len >= 2 && body[0] == '#' && body[1] == '!')
	{
		if (!parse_shebang(c, body, len, no_writes))
			return false;
		copy = MemAlloc(len);
		memcpy(copy, body, len);
		copy[0] = copy[1] = '-';
		body = copy;
	}
	st = luaL_loadbuffer(L, body, len, CHUNK_NAME);
	MemFree(copy);
	if (st != 0)
	{
		AddReplyErrorFormat(&c->reply, "ERR Error compiling script (new function): %s",
							lua_tostring(L, -1));
		lua_pop(L, 1);
		return false;
	}
	lua_getfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
	lua_createtable(L, 2, 0);
	lua_pushvalue(L, -3);
	lua_rawseti(L, -2, 1);
	lua_pushboolean(L, *no_writes);
	lua_rawseti(L, -2, 2);
	lua_setfield(L, -2, sha);
	lua_pop(L, 1);
	return true;
}

/* ------------------------------------------------------- Lua to RESP */

static void lua_to_reply(lua_State *L, ReplyBuf *r, int depth);

/* The table at the top has field (a value of type); pushed if so. */
static bool
get_field(lua_State *L, const char *field, int type)
{
	lua_pushstring(L, field);
	lua_rawget(L, -2);
	if (lua_type(L, -1) == type)
		return true;
	lua_pop(L, 1);
	return false;
}

/* Status text with CR and LF as spaces, as Redis writes it. */
static void
add_status(ReplyBuf *r, const char *s, size_t len)
{
	char	   *copy = MemAlloc(len + 1);

	for (size_t i = 0; i < len; i++)
		copy[i] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
	copy[len] = '\0';
	AddReplyStatus(r, copy);
	MemFree(copy);
}

static long long
number_to_integer(lua_Number v)
{
	/* what x86's conversion gives Redis for NaN and out of range */
	if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
		return LLONG_MIN;
	return (long long) v;
}

static void
table_to_reply(lua_State *L, ReplyBuf *r, int depth)
{
	size_t		len;
	const char *s;
	size_t		handle;
	long long	n = 0;

	if (get_field(L, "err", LUA_TSTRING))
	{
		s = lua_tolstring(L, -1, &len);
		AddReplyErrorLength(r, s, len);
		lua_pop(L, 1);
		if (depth == 0 && get_field(L, ERR_COUNTED_FIELD, LUA_TBOOLEAN))
		{
			run->c->flags |= CLIENT_ERROR_COUNTED;
			lua_pop(L, 1);
		}
		return;
	}
	if (get_field(L, "ok", LUA_TSTRING))
	{
		s = lua_tolstring(L, -1, &len);
		add_status(r, s, len);
		lua_pop(L, 1);
		return;
	}
	if (get_field(L, "double", LUA_TNUMBER))
	{
		AddReplyDouble(r, (double) lua_tonumber(L, -1));
		lua_pop(L, 1);
		return;
	}
	if (get_field(L, "big_number", LUA_TSTRING))
	{
		s = lua_tolstring(L, -1, &len);
		AddReplyBigNum(r, s, len);
		lua_pop(L, 1);
		return;
	}
	if (get_field(L, "verbatim_string", LUA_TTABLE))
	{
		int			t = lua_gettop(L);

		lua_pushliteral(L, "format");
		lua_rawget(L, t);
		lua_pushliteral(L, "string");
		lua_rawget(L, t);
		if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING &&
			lua_objlen(L, -2) == 3)
		{
			s = lua_tolstring(L, -1, &len);
			AddReplyVerbatim(r, s, len, lua_tostring(L, -2));
			lua_pop(L, 3);
			return;
		}
		lua_pop(L, 3);
	}
	if (get_field(L, "map", LUA_TTABLE) || get_field(L, "set", LUA_TTABLE))
	{
		bool		map;

		lua_pushstring(L, "map");
		lua_rawget(L, -3);
		map = lua_rawequal(L, -1, -2);
		lua_pop(L, 1);
		handle = AddReplyDeferredLen(r);
		lua_pushnil(L);
		while (lua_next(L, -2))
		{
			lua_pushvalue(L, -2);	/* the key, converted on a copy */
			lua_to_reply(L, r, depth + 1);
			lua_pop(L, 1);
			if (map)
				lua_to_reply(L, r, depth + 1);
			lua_pop(L, 1);
			n++;
		}
		if (map)
			SetDeferredMapLen(r, handle, n);
		else
			SetDeferredSetLen(r, handle, n);
		lua_pop(L, 1);
		return;
	}
	handle = AddReplyDeferredLen(r);
	for (int i = 1;; i++)
	{
		lua_rawgeti(L, -1, i);
		if (lua_isnil(L, -1))
		{
			lua_pop(L, 1);
			break;
		}
		lua_to_reply(L, r, depth + 1);
		lua_pop(L, 1);
		n++;
	}
	SetDeferredArrayLen(r, handle, n);
}

/* Write the value at the top of the stack (left there) as a reply. */
static void
lua_to_reply(lua_State *L, ReplyBuf *r, int depth)
{
	size_t		len;
	const char *s;

	if (depth > MAX_REPLY_DEPTH || !lua_checkstack(L, 8))
	{
		AddReplyError(r, "ERR reached lua stack limit");
		return;
	}
	switch (lua_type(L, -1))
	{
		case LUA_TSTRING:
			s = lua_tolstring(L, -1, &len);
			AddReplyBulk(r, s, len);
			break;
		case LUA_TBOOLEAN:
			if (run->resp == 2)
			{
				if (lua_toboolean(L, -1))
					AddReplyLongLong(r, 1);
				else
					AddReplyNull(r);
			}
			else
				AddReplyBool(r, lua_toboolean(L, -1));
			break;
		case LUA_TNUMBER:
			AddReplyLongLong(r, number_to_integer(lua_tonumber(L, -1)));
			break;
		case LUA_TTABLE:
			table_to_reply(L, r, depth);
			break;
		default:
			AddReplyNull(r);
			break;
	}
}

/* Called protected with (result, reply buffer): the result into the reply. */
static int
write_result(lua_State *L)
{
	ReplyBuf   *r = lua_touserdata(L, 2);

	lua_pop(L, 1);
	lua_to_reply(L, r, 0);
	return 0;
}

/*
 * The error value at the top of the stack, from a failed run, as Redis
 * 7.0 replies it: the err text, then where it was raised.
 */
static void
reply_script_error(Client *c, lua_State *L, const char *sha)
{
	const char *msg = "ERR unknown error";
	const char *source = NULL;
	long long	line = 0;

	if (lua_istable(L, -1))
	{
		lua_getfield(L, -1, "err");
		if (lua_isstring(L, -1))
			msg = lua_tostring(L, -1);
		lua_getfield(L, -2, "source");
		if (lua_isstring(L, -1))
			source = lua_tostring(L, -1);
		lua_getfield(L, -3, "line");
		line = (long long) lua_tonumber(L, -1);
		lua_getfield(L, -4, ERR_COUNTED_FIELD);
		if (lua_toboolean(L, -1))
			c->flags |= CLIENT_ERROR_COUNTED;
		lua_pop(L, 1);
		if (source)
			AddReplyErrorFormat(&c->reply, "%s script: %s, on %s:%lld.", msg, sha, source, line);
		else
			AddReplyError(&c->reply, msg);
		lua_pop(L, 3);
	}
	else
		AddReplyErrorFormat(&c->reply, "ERR Error running script: %s",
							lua_isstring(L, -1) ? lua_tostring(L, -1) : "unknown error");
}

/* ---------------------------------------------------------------- EVAL */

static void
set_table_from_args(lua_State *L, const char *name, Client *c, int first, int n)
{
	lua_getfield(L, LUA_REGISTRYINDEX, REG_GLOBALS);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++)
	{
		lua_pushlstring(L, c->argv[first + i], c->argv_len[first + i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

/*
 * Run the function at the top of the stack (left there) once. Returns
 * with the result or the error value pushed above it, and whether the
 * script ran without error.
 */
static bool
run_once(lua_State *L, Client *c, ScriptRun *r, long long numkeys)
{
	int			saved_db = c->db;
	bool		ok;

	set_table_from_args(L, "KEYS", c, 3, (int) numkeys);
	set_table_from_args(L, "ARGV", c, 3 + (int) numkeys, c->argc - 3 - (int) numkeys);
	r->resp = 2;
	r->rerun = false;
	r->killed = false;
	run = r;
	lua_pushcfunction(L, error_handler);
	lua_pushvalue(L, -2);
	ok = lua_pcall(L, 0, 1, -2) == 0;
	lua_remove(L, -2);			/* the handler */
	run = NULL;
	c->db = saved_db;			/* SELECT in a script stays in the script */
	return ok;
}

/* Write the result (or error) at the top of the stack as the reply. */
static void
reply_result(Client *c, lua_State *L, ScriptRun *r, bool ok, const char *sha)
{
	size_t		start = c->reply.len;

	if (!ok)
	{
		reply_script_error(c, L, sha);
		return;
	}

	run = r;
	lua_pushcfunction(L, write_result);
	lua_pushvalue(L, -2);
	lua_pushlightuserdata(L, &c->reply);
	if (lua_pcall(L, 2, 0, 0) != 0)
	{
		lua_pop(L, 1);
		if (c->reply.sent <= start)
			c->reply.len = start;
		AddReplyError(&c->reply, "ERR could not convert the script's result: out of memory");
	}
	run = NULL;
}

/* EVAL's numkeys argument; false after Redis's error reply. */
static bool
parse_numkeys(Client *c, long long *numkeys)
{
	if (!GetLongLongOrReply(c, 2, numkeys, NULL))
		return false;
	if (*numkeys > c->argc - 3)
	{
		AddReplyError(&c->reply, "ERR Number of keys can't be greater than number of args");
		return false;
	}
	if (*numkeys < 0)
	{
		AddReplyError(&c->reply, "ERR Number of keys can't be negative");
		return false;
	}
	return true;
}

static void
eval_generic(Client *c, bool by_sha, bool read_only)
{
	long long	numkeys;
	lua_State  *L;
	char		sha[SCRIPT_SHA_LEN + 1];
	uint64_t   *hashes = NULL;
	ScriptRun	r;
	bool		ok, no_writes;
	size_t		reply_start;
	int			top;

	/* Redis checks numkeys before compiling, and after finding the sha */
	if (!by_sha && !parse_numkeys(c, &numkeys))
		return;
	if ((L = get_state(c)) == NULL)
		return;
	top = lua_gettop(L);

	if (by_sha)
	{
		if (c->argv_len[1] != SCRIPT_SHA_LEN)
		{
			AddReplyError(&c->reply, err_noscript);
			return;
		}
		for (int i = 0; i < SCRIPT_SHA_LEN; i++)
			sha[i] = (char) tolower((unsigned char) c->argv[1][i]);
		sha[SCRIPT_SHA_LEN] = '\0';
		if (!push_compiled(L, sha, &no_writes))
		{
			size_t		len;
			char	   *body = ScriptCacheGet(sha, SCRIPT_SHA_LEN, &len);

			if (body == NULL)
			{
				AddReplyError(&c->reply, err_noscript);
				return;
			}
			ok = compile_script(c, L, sha, body, len, &no_writes);
			MemFree(body);
			if (!ok)
				return;
		}
		if (!parse_numkeys(c, &numkeys))
		{
			lua_settop(L, top);
			return;
		}
	}
	else
	{
		ScriptSha1Hex(c->argv[1], c->argv_len[1], sha);
		if (!push_compiled(L, sha, &no_writes))
		{
			if (!compile_script(c, L, sha, c->argv[1], c->argv_len[1], &no_writes))
				return;
			/* full: it runs anyway; EVALSHA elsewhere answers NOSCRIPT */
			if (ScriptCacheAdd(sha, c->argv[1], c->argv_len[1]) == SCRIPT_CACHE_FULL)
				elog(LOG, "script cache full (script_cache_size): script %s not shared", sha);
		}
	}

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.read_only = read_only || no_writes;
	if (numkeys > 0)
	{
		hashes = MemAlloc(sizeof(uint64_t) * (size_t) numkeys);
		for (int i = 0; i < numkeys; i++)
			hashes[i] = KsHash(c->argv[3 + i], c->argv_len[3 + i]);
	}
	r.declared = hashes;
	r.ndeclared = (int) numkeys;

	if (CmdExecActive())
	{
		/* inside EXEC, which holds every database lock for a script */
		r.any_key = true;
		ok = run_once(L, c, &r, numkeys);
		reply_result(c, L, &r, ok, sha);
		MemFree(hashes);
		lua_settop(L, top);
		return;
	}

	if (!CmdExecBegin(c, !read_only, false, hashes, (int) numkeys))
	{
		MemFree(hashes);
		lua_settop(L, top);
		return;
	}
	ok = run_once(L, c, &r, numkeys);
	if (r.rerun && !r.killed)
	{
		/* it named a key it had not declared: again, with everything locked */
		lua_pop(L, 1);
		CmdExecAbort(c);
		if (!CmdExecBegin(c, !read_only, true, NULL, 0))
		{
			MemFree(hashes);
			lua_settop(L, top);
			return;
		}
		r.any_key = true;
		ok = run_once(L, c, &r, numkeys);
	}
	if (r.killed)
	{
		/* the client is going away: nothing of the script is applied */
		CmdExecAbort(c);
		AddReplyErrorFormat(&c->reply, "ERR %s", err_killed);
		MemFree(hashes);
		lua_settop(L, top);
		return;
	}
	reply_start = c->reply.len;
	reply_result(c, L, &r, ok, sha);
	if (!CmdExecEnd(c))
	{
		/* a command failed after it had written: nothing was applied */
		if (c->reply.sent <= reply_start)
			c->reply.len = reply_start;
		AddReplyError(&c->reply, "ERR script failed after a command had changed data; the whole "
					  "script was rolled back (see the server log)");
	}
	MemFree(hashes);
	lua_settop(L, top);
	lua_gc(L, LUA_GCSTEP, 1);
}

void
EvalCommand(Client *c)
{
	eval_generic(c, false, false);
}

void
EvalRoCommand(Client *c)
{
	eval_generic(c, false, true);
}

void
EvalshaCommand(Client *c)
{
	eval_generic(c, true, false);
}

void
EvalshaRoCommand(Client *c)
{
	eval_generic(c, true, true);
}

/* -------------------------------------------------------------- SCRIPT */

void
ScriptLoadCommand(Client *c)
{
	char		sha[SCRIPT_SHA_LEN + 1];
	lua_State  *L;
	int			top;
	bool		no_writes;

	if ((L = get_state(c)) == NULL)
		return;
	top = lua_gettop(L);
	ScriptSha1Hex(c->argv[2], c->argv_len[2], sha);
	if (!push_compiled(L, sha, &no_writes) &&
		!compile_script(c, L, sha, c->argv[2], c->argv_len[2], &no_writes))
		return;
	lua_settop(L, top);
	if (ScriptCacheAdd(sha, c->argv[2], c->argv_len[2]) == SCRIPT_CACHE_FULL)
	{
		AddReplyError(&c->reply, "ERR script cache is full (script_cache_size); SCRIPT FLUSH empties it");
		return;
	}
	AddReplyBulk(&c->reply, sha, SCRIPT_SHA_LEN);
}

void
ScriptExistsCommand(Client *c)
{
	AddReplyArrayLen(&c->reply, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
		AddReplyLongLong(&c->reply, ScriptCacheExists(c->argv[i], c->argv_len[i]) ? 1 : 0);
}

void
ScriptFlushCommand(Client *c)
{
	if (c->argc > 3 || (c->argc == 3 && !ArgEquals(c, 2, "sync") && !ArgEquals(c, 2, "async")))
	{
		AddReplyError(&c->reply, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
		return;
	}
	ScriptCacheFlush();
	/* this backend's state goes now; the others' at their next script */
	if (lua)
	{
		lua_close(lua);
		lua = NULL;
	}
	AddReplyOk(&c->reply);
}

void
ScriptKillCommand(Client *c)
{
	/* a script blocks only its own client here: nothing for KILL to stop */
	AddReplyError(&c->reply, "NOTBUSY No scripts in execution right now.");
}

void
ScriptDebugCommand(Client *c)
{
	if (ArgEquals(c, 2, "no"))
		AddReplyOk(&c->reply);
	else if (ArgEquals(c, 2, "yes") || ArgEquals(c, 2, "sync"))
		AddReplyError(&c->reply, "ERR SCRIPT DEBUG YES|SYNC is not supported: tusk has no Lua debugger");
	else
		AddReplyError(&c->reply, "ERR Use SCRIPT DEBUG YES/SYNC/NO");
}

void
ScriptHelpCommand(Client *c)
{
	static const char *const lines[] = {
		"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	};
	int			n = (int) (sizeof(lines) / sizeof(lines[0]));

	AddReplyArrayLen(&c->reply, n);
	for (int i = 0; i < n; i++)
		AddReplyStatus(&c->reply, lines[i]);
}

uint64_t
ScriptLuaMemory(void)
{
	if (lua == NULL)
		return 0;
	return (uint64_t) lua_gc(lua, LUA_GCCOUNT, 0) * 1024 + (uint64_t) lua_gc(lua, LUA_GCCOUNTB, 0);
}
