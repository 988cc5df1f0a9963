/*
 * commands.c
 *	  The command table and dispatch.
 *
 * NOTES
 *	  One table gives name, handler, arity, flags, key positions and the
 *	  documentation COMMAND DOCS returns; key locking (storage) and
 *	  redis-compat/COMMANDS.md read the same table. Lookup is a small
 *	  open-addressing hash built once in the postmaster and inherited by
 *	  every backend through fork.
 */
#include "config.h"

#include "server/backend.h"
#include "server/server.h"
#include "server/settings.h"
#include "server/txn.h"
#include "server/util.h"
#include "storage/elog.h"
#include "storage/mem.h"
#include "storage/stats.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const err_syntax = "ERR syntax error";
const char *const err_not_integer = "ERR value is not an integer or out of range";

#define SUB(parent, sub) parent "|" sub

static const Command client_subcommands[] = {
	{SUB("client", "getname"), ClientGetnameCommand, 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "connection", "2.6.9", "Returns the name of the connection.", "O(1)", NULL, ""},
	{SUB("client", "help"), ClientHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "connection", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("client", "id"), ClientIdCommand, 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "connection", "5.0.0", "Returns the client ID for the current connection", "O(1)", NULL, ""},
	{SUB("client", "info"), ClientInfoCommand, 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "connection", "6.2.0", "Returns information about the current client connection.", "O(1)", NULL, ""},
	{SUB("client", "kill"), ClientKillCommand, -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous @connection", "connection", "2.4.0", "Kill the connection of a client", "O(N) where N is the number of client connections", NULL, "[ip:port] [ID client-id] [TYPE (normal|master|slave|replica|pubsub)] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME (yes|no)]"},
	{SUB("client", "list"), ClientListCommand, -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous @connection", "connection", "2.4.0", "Get the list of client connections", "O(N) where N is the number of client connections", NULL, "[TYPE (normal|master|replica|pubsub)] [ID client-id ...]"},
	{SUB("client", "no-evict"), ClientNoEvictCommand, 3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous @connection", "connection", "7.0.0", "Set client eviction mode for the current connection", "O(1)", NULL, "ON|OFF"},
	{SUB("client", "pause"), ClientPauseCommand, -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous @connection", "connection", "2.9.50", "Stop processing commands from clients for some time", "O(1)", NULL, "timeout [WRITE|ALL]"},
	{SUB("client", "reply"), ClientReplyCommand, 3, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "connection", "3.2.0", "Instruct the server whether to reply to commands", "O(1)", NULL, "ON|OFF|SKIP"},
	{SUB("client", "setname"), ClientSetnameCommand, 3, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "connection", "2.6.9", "Set the current connection name", "O(1)", NULL, "connection-name"},
	{SUB("client", "unpause"), ClientUnpauseCommand, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous @connection", "connection", "6.2.0", "Resume processing of clients that were paused", "O(N) Where N is the number of paused clients", NULL, ""},
	{NULL}
};

static const Command config_subcommands[] = {
	{SUB("config", "get"), ConfigGetCommand, -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.0.0", "Get the values of configuration parameters", "O(N) when N is the number of configuration parameters provided", NULL, "parameter ..."},
	{SUB("config", "help"), ConfigHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "server", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("config", "resetstat"), ConfigResetstatCommand, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.0.0", "Reset the stats returned by INFO", "O(1)", NULL, ""},
	{SUB("config", "rewrite"), ConfigRewriteCommand, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.8.0", "Rewrite the configuration file with the in memory configuration", "O(1)", NULL, ""},
	{SUB("config", "set"), ConfigSetCommand, -4, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.0.0", "Set configuration parameters to the given values", "O(N) when N is the number of configuration parameters provided", NULL, "(parameter value) ..."},
	{NULL}
};

static const Command command_subcommands[] = {
	{SUB("command", "count"), CommandCountCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "server", "2.8.13", "Get total number of Redis commands", "O(1)", NULL, ""},
	{SUB("command", "docs"), CommandDocsCommand, -2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "server", "7.0.0", "Get array of specific Redis command documentation", "O(N) where N is the number of commands to look up", NULL, "[command-name ...]"},
	{SUB("command", "getkeys"), CommandGetkeysCommand, -4, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "server", "2.8.13", "Extract keys given a full Redis command", "O(N) where N is the number of arguments to the command", NULL, "command [arg ...]"},
	{SUB("command", "help"), CommandHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "server", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("command", "info"), CommandInfoCommand, -2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "server", "2.8.13", "Get array of specific Redis command details, or all when no argument is given.", "O(N) where N is the number of commands to look up", NULL, "[command-name ...]"},
	{SUB("command", "list"), CommandListCommand, -2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @connection", "server", "7.0.0", "Get an array of Redis command names", "O(N) where N is the total number of Redis commands", NULL, "[FILTERBY (MODULE module-name|ACLCAT category|PATTERN pattern)]"},
	{NULL}
};

static const Command object_subcommands[] = {
	{SUB("object", "encoding"), ObjectEncodingCommand, 3, CMD_READONLY, 2, 2, 1,
	 "@keyspace @read @slow", "generic", "2.2.3", "Inspect the internal encoding of a Redis object", "O(1)", NULL, "key"},
	{SUB("object", "freq"), ObjectFreqCommand, 3, CMD_READONLY, 2, 2, 1,
	 "@keyspace @read @slow", "generic", "4.0.0", "Get the logarithmic access frequency counter of a Redis object", "O(1)", NULL, "key"},
	{SUB("object", "help"), ObjectHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@keyspace @slow", "generic", "6.2.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("object", "idletime"), ObjectIdletimeCommand, 3, CMD_READONLY, 2, 2, 1,
	 "@keyspace @read @slow", "generic", "2.2.3", "Get the time since a Redis object was last accessed", "O(1)", NULL, "key"},
	{SUB("object", "refcount"), ObjectRefcountCommand, 3, CMD_READONLY, 2, 2, 1,
	 "@keyspace @read @slow", "generic", "2.2.3", "Get the number of references to the value of the key", "O(1)", NULL, "key"},
	{NULL}
};

static const Command module_subcommands[] = {
	{SUB("module", "help"), ModuleHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "server", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("module", "list"), ModuleListCommand, 2, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "4.0.0", "List all modules loaded by the server", "O(N) where N is the number of loaded modules.", NULL, ""},
	{SUB("module", "load"), ModuleLoadCommand, -3, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "4.0.0", "Load a module", "O(1)", NULL, "path [arg ...]"},
	{SUB("module", "loadex"), ModuleLoadCommand, -3, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "7.0.0", "Load a module with extended parameters", "O(1)", NULL, "path [CONFIGS name value [name value ...]] [ARGS args [args ...]]"},
	{SUB("module", "unload"), ModuleLoadCommand, 3, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "4.0.0", "Unload a module", "O(1)", NULL, "name"},
	{NULL}
};

static const Command latency_subcommands[] = {
	{SUB("latency", "doctor"), LatencyDoctorCommand, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.8.13", "Return a human readable latency analysis report.", "O(1)", NULL, ""},
	{SUB("latency", "graph"), LatencyGraphCommand, 3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.8.13", "Return a latency graph for the event.", "O(1)", NULL, "event"},
	{SUB("latency", "help"), LatencyHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "server", "2.8.13", "Show helpful text about the different subcommands.", "O(1)", NULL, ""},
	{SUB("latency", "histogram"), LatencyHistogramCommand, -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "7.0.0", "Return the cumulative distribution of latencies of a subset of commands or all.", "O(N) where N is the number of commands with latency information being retrieved.", NULL, "[command [command ...]]"},
	{SUB("latency", "history"), LatencyLatestCommand, 3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.8.13", "Return timestamp-latency samples for the event.", "O(1)", NULL, "event"},
	{SUB("latency", "latest"), LatencyLatestCommand, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.8.13", "Return the latest latency samples for all events.", "O(1)", NULL, ""},
	{SUB("latency", "reset"), LatencyResetCommand, -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.8.13", "Reset latency data for one or more events.", "O(1)", NULL, "[event [event ...]]"},
	{NULL}
};

static const Command memory_subcommands[] = {
	{SUB("memory", "doctor"), MemoryDoctorCommand, 2, 0, 0, 0, 0,
	 "@slow", "server", "4.0.0", "Outputs memory problems report", "O(1)", NULL, ""},
	{SUB("memory", "help"), MemoryHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "server", "4.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("memory", "malloc-stats"), MemoryMallocStatsCommand, 2, 0, 0, 0, 0,
	 "@slow", "server", "4.0.0", "Show allocator internal stats", "Depends on how much memory is allocated, could be slow", NULL, ""},
	{SUB("memory", "purge"), MemoryPurgeCommand, 2, 0, 0, 0, 0,
	 "@slow", "server", "4.0.0", "Ask the allocator to release memory", "Depends on how much memory is allocated, could be slow", NULL, ""},
	{SUB("memory", "usage"), MemoryUsageCommand, -3, CMD_READONLY, 2, 2, 1,
	 "@read @slow", "server", "4.0.0", "Estimate the memory usage of a key", "O(N) where N is the number of samples.", NULL, "key [SAMPLES count]"},
	{NULL}
};

static const Command pubsub_subcommands[] = {
	{SUB("pubsub", "channels"), PubsubChannelsCommand, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.8.0", "List active channels", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", NULL, "[pattern]"},
	{SUB("pubsub", "help"), PubsubHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "pubsub", "6.2.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("pubsub", "numpat"), PubsubNumpatCommand, 2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.8.0", "Get the count of unique patterns pattern subscriptions", "O(1)", NULL, ""},
	{SUB("pubsub", "numsub"), PubsubNumsubCommand, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.8.0", "Get the count of subscribers for channels", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", NULL, "[channel ...]"},
	{SUB("pubsub", "shardchannels"), PubsubShardchannelsCommand, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "7.0.0", "List active shard channels", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", NULL, "[pattern]"},
	{SUB("pubsub", "shardnumsub"), PubsubShardnumsubCommand, -2, CMD_PUBSUB | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "7.0.0", "Get the count of subscribers for shard channels", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", NULL, "[shardchannel ...]"},
	{NULL}
};

static const Command tusk_subcommands[] = {
	{SUB("tusk", "help"), TuskHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "server", "0.1.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("tusk", "vacuum"), TuskVacuumCommand, -2, CMD_OWN_BACKEND | CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "0.1.0", "Vacuum now: remove dead versions and their index entries, free their space, freeze old versions (tusk only)", "O(N) where N is the size of the heap", NULL, "[db]"},
	{NULL}
};

static const Command script_subcommands[] = {
	{SUB("script", "debug"), ScriptDebugCommand, 3, CMD_NOSCRIPT, 0, 0, 0,
	 "@slow @scripting", "scripting", "3.2.0", "Set the debug mode for executed scripts.", "O(1)", NULL, "YES|SYNC|NO"},
	{SUB("script", "exists"), ScriptExistsCommand, -3, CMD_NOSCRIPT, 0, 0, 0,
	 "@slow @scripting", "scripting", "2.6.0", "Check existence of scripts in the script cache.", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", NULL, "sha1 [sha1 ...]"},
	{SUB("script", "flush"), ScriptFlushCommand, -2, CMD_NOSCRIPT, 0, 0, 0,
	 "@slow @scripting", "scripting", "2.6.0", "Remove all the scripts from the script cache.", "O(N) with N being the number of scripts in cache", NULL, "[ASYNC|SYNC]"},
	{SUB("script", "help"), ScriptHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow @scripting", "scripting", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("script", "kill"), ScriptKillCommand, 2, CMD_NOSCRIPT | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@slow @scripting", "scripting", "2.6.0", "Kill the script currently in execution.", "O(1)", NULL, ""},
	{SUB("script", "load"), ScriptLoadCommand, 3, CMD_NOSCRIPT | CMD_STALE, 0, 0, 0,
	 "@slow @scripting", "scripting", "2.6.0", "Load the specified Lua script into the script cache.", "O(N) with N being the length in bytes of the script body.", NULL, "script"},
	{NULL}
};

static const Command slowlog_subcommands[] = {
	{SUB("slowlog", "get"), SlowlogGetCommand, -2, CMD_ADMIN | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.2.12", "Get the slow log's entries", "O(N) where N is the number of entries returned", NULL, "[count]"},
	{SUB("slowlog", "help"), SlowlogHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@slow", "server", "6.2.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("slowlog", "len"), SlowlogLenCommand, 2, CMD_ADMIN | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.2.12", "Get the slow log's length", "O(1)", NULL, ""},
	{SUB("slowlog", "reset"), SlowlogResetCommand, 2, CMD_ADMIN | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "2.2.12", "Clear all entries from the slow log", "O(N) where N is the number of entries in the slowlog", NULL, ""},
	{NULL}
};

static const Command xgroup_subcommands[] = {
	{SUB("xgroup", "create"), XgroupCreateCommand, -5, CMD_WRITE | CMD_DENYOOM, 2, 2, 1,
	 "@write @stream @slow", "stream", "5.0.0", "Create a consumer group.", "O(1)", NULL, "key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]"},
	{SUB("xgroup", "createconsumer"), XgroupCreateconsumerCommand, 5, CMD_WRITE | CMD_DENYOOM, 2, 2, 1,
	 "@write @stream @slow", "stream", "6.2.0", "Create a consumer in a consumer group.", "O(1)", NULL, "key group consumer"},
	{SUB("xgroup", "delconsumer"), XgroupDelconsumerCommand, 5, CMD_WRITE, 2, 2, 1,
	 "@write @stream @slow", "stream", "5.0.0", "Delete a consumer from a consumer group.", "O(1)", NULL, "key group consumer"},
	{SUB("xgroup", "destroy"), XgroupDestroyCommand, 4, CMD_WRITE, 2, 2, 1,
	 "@write @stream @slow", "stream", "5.0.0", "Destroy a consumer group.", "O(N) where N is the number of entries in the group's pending entries list (PEL).", NULL, "key group"},
	{SUB("xgroup", "help"), XgroupHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@stream @slow", "stream", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("xgroup", "setid"), XgroupSetidCommand, -5, CMD_WRITE, 2, 2, 1,
	 "@write @stream @slow", "stream", "5.0.0", "Set a consumer group to an arbitrary last delivered ID value.", "O(1)", NULL, "key group id|$ [ENTRIESREAD entries-read]"},
	{NULL}
};

static const Command xinfo_subcommands[] = {
	{SUB("xinfo", "consumers"), XinfoConsumersCommand, 4, CMD_READONLY, 2, 2, 1,
	 "@read @stream @slow", "stream", "5.0.0", "List the consumers in a consumer group", "O(1)", NULL, "key group"},
	{SUB("xinfo", "groups"), XinfoGroupsCommand, 3, CMD_READONLY, 2, 2, 1,
	 "@read @stream @slow", "stream", "5.0.0", "List the consumer groups of a stream", "O(1)", NULL, "key"},
	{SUB("xinfo", "help"), XinfoHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@stream @slow", "stream", "5.0.0", "Show helpful text about the different subcommands", "O(1)", NULL, ""},
	{SUB("xinfo", "stream"), XinfoStreamCommand, -3, CMD_READONLY, 2, 2, 1,
	 "@read @stream @slow", "stream", "5.0.0", "Get information about a stream", "O(1)", NULL, "key [FULL [COUNT count]]"},
	{NULL}
};

const Command command_table[] = {
	{"append", AppendCommand, 3, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Append a value to a key", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", NULL, "key value"},
	{"copy", CopyCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1,
	 "@keyspace @write @slow", "generic", "6.2.0", "Copy a key", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", NULL, "source destination [DB destination-db] [REPLACE]"},
	{"decr", DecrCommand, 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Decrement the integer value of a key by one", "O(1)", NULL, "key"},
	{"decrby", DecrbyCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Decrement the integer value of a key by the given number", "O(1)", NULL, "key decrement"},
	{"del", DelCommand, -2, CMD_WRITE, 1, -1, 1,
	 "@keyspace @write @slow", "generic", "1.0.0", "Delete a key", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", NULL, "key ..."},
	{"exists", ExistsCommand, -2, CMD_READONLY | CMD_FAST, 1, -1, 1,
	 "@keyspace @read @fast", "generic", "1.0.0", "Determine if a key exists", "O(N) where N is the number of keys to check.", NULL, "key ..."},
	{"expire", ExpireCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@keyspace @write @fast", "generic", "1.0.0", "Set a key's time to live in seconds", "O(1)", NULL, "key seconds [NX|XX|GT|LT]"},
	{"expireat", ExpireatCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@keyspace @write @fast", "generic", "1.2.0", "Set the expiration for a key as a UNIX timestamp", "O(1)", NULL, "key unix-time-seconds [NX|XX|GT|LT]"},
	{"expiretime", ExpiretimeCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@keyspace @read @fast", "generic", "7.0.0", "Get the expiration Unix timestamp for a key", "O(1)", NULL, "key"},
	{"geoadd", GeoaddCommand, -5, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @geo @slow", "geo", "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", NULL, "key [NX|XX] [CH] (longitude latitude member) ..."},
	{"geodist", GeodistCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @geo @slow", "geo", "3.2.0", "Returns the distance between two members of a geospatial index", "O(log(N))", NULL, "key member1 member2 [M|KM|FT|MI]"},
	{"geohash", GeohashCommand, -2, CMD_READONLY, 1, 1, 1,
	 "@read @geo @slow", "geo", "3.2.0", "Returns members of a geospatial index as standard geohash strings", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", NULL, "key [member ...]"},
	{"geopos", GeoposCommand, -2, CMD_READONLY, 1, 1, 1,
	 "@read @geo @slow", "geo", "3.2.0", "Returns longitude and latitude of members of a geospatial index", "O(N) where N is the number of members requested.", NULL, "key [member ...]"},
	{"georadius", GeoradiusCommand, -6, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@write @geo @slow", "geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", NULL, "key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]"},
	{"georadius_ro", GeoradiusRoCommand, -6, CMD_READONLY, 1, 1, 1,
	 "@read @geo @slow", "geo", "3.2.10", "A read-only variant for GEORADIUS", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", NULL, "key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]"},
	{"georadiusbymember", GeoradiusbymemberCommand, -5, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@write @geo @slow", "geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", NULL, "key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]"},
	{"georadiusbymember_ro", GeoradiusbymemberRoCommand, -5, CMD_READONLY, 1, 1, 1,
	 "@read @geo @slow", "geo", "3.2.10", "A read-only variant for GEORADIUSBYMEMBER", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", NULL, "key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]"},
	{"geosearch", GeosearchCommand, -7, CMD_READONLY, 1, 1, 1,
	 "@read @geo @slow", "geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", NULL, "key (FROMMEMBER member|FROMLONLAT longitude latitude) (BYRADIUS radius (M|KM|FT|MI)|BYBOX width height (M|KM|FT|MI)) [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]"},
	{"geosearchstore", GeosearchstoreCommand, -8, CMD_WRITE | CMD_DENYOOM, 1, 2, 1,
	 "@write @geo @slow", "geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", NULL, "destination source (FROMMEMBER member|FROMLONLAT longitude latitude) (BYRADIUS radius (M|KM|FT|MI)|BYBOX width height (M|KM|FT|MI)) [ASC|DESC] [COUNT count [ANY]] [STOREDIST]"},
	{"get", GetCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @string @fast", "string", "1.0.0", "Get the value of a key", "O(1)", NULL, "key"},
	{"getdel", GetdelCommand, 2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "6.2.0", "Get the value of a key and delete the key", "O(1)", NULL, "key"},
	{"getex", GetexCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "6.2.0", "Get the value of a key and optionally set its expiration", "O(1)", NULL, "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]"},
	{"getrange", GetrangeCommand, 4, CMD_READONLY, 1, 1, 1,
	 "@read @string @slow", "string", "2.4.0", "Get a substring of the string stored at a key", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", NULL, "key start end"},
	{"getset", GetsetCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Set the string value of a key and return its old value", "O(1)", NULL, "key value"},
	{"hdel", HdelCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @hash @fast", "hash", "2.0.0", "Delete one or more hash fields", "O(N) where N is the number of fields to be removed.", NULL, "key field [field ...]"},
	{"hexists", HexistsCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @hash @fast", "hash", "2.0.0", "Determine if a hash field exists", "O(1)", NULL, "key field"},
	{"hget", HgetCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @hash @fast", "hash", "2.0.0", "Get the value of a hash field", "O(1)", NULL, "key field"},
	{"hgetall", HgetallCommand, 2, CMD_READONLY, 1, 1, 1,
	 "@read @hash @slow", "hash", "2.0.0", "Get all the fields and values in a hash", "O(N) where N is the size of the hash.", NULL, "key"},
	{"hincrby", HincrbyCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @hash @fast", "hash", "2.0.0", "Increment the integer value of a hash field by the given number", "O(1)", NULL, "key field increment"},
	{"hincrbyfloat", HincrbyfloatCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @hash @fast", "hash", "2.6.0", "Increment the float value of a hash field by the given amount", "O(1)", NULL, "key field increment"},
	{"hkeys", HkeysCommand, 2, CMD_READONLY, 1, 1, 1,
	 "@read @hash @slow", "hash", "2.0.0", "Get all the fields in a hash", "O(N) where N is the size of the hash.", NULL, "key"},
	{"hlen", HlenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @hash @fast", "hash", "2.0.0", "Get the number of fields in a hash", "O(1)", NULL, "key"},
	{"hmget", HmgetCommand, -3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @hash @fast", "hash", "2.0.0", "Get the values of all the given hash fields", "O(N) where N is the number of fields being requested.", NULL, "key field [field ...]"},
	{"hmset", HmsetCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @hash @fast", "hash", "2.0.0", "Set multiple hash fields to multiple values", "O(N) where N is the number of fields being set.", NULL, "key (field value) ..."},
	{"hrandfield", HrandfieldCommand, -2, CMD_READONLY, 1, 1, 1,
	 "@read @hash @slow", "hash", "6.2.0", "Get one or multiple random fields from a hash", "O(N) where N is the number of fields returned", NULL, "key [count [WITHVALUES]]"},
	{"hscan", HscanCommand, -3, CMD_READONLY, 1, 1, 1,
	 "@read @hash @slow", "hash", "2.8.0", "Incrementally iterate hash fields and associated values", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", NULL, "key cursor [MATCH pattern] [COUNT count]"},
	{"hset", HsetCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @hash @fast", "hash", "2.0.0", "Set the string value of a hash field", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", NULL, "key (field value) ..."},
	{"hsetnx", HsetnxCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @hash @fast", "hash", "2.0.0", "Set the value of a hash field, only if the field does not exist", "O(1)", NULL, "key field value"},
	{"hstrlen", HstrlenCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @hash @fast", "hash", "3.2.0", "Get the length of the value of a hash field", "O(1)", NULL, "key field"},
	{"hvals", HvalsCommand, 2, CMD_READONLY, 1, 1, 1,
	 "@read @hash @slow", "hash", "2.0.0", "Get all the values in a hash", "O(N) where N is the size of the hash.", NULL, "key"},
	{"blmove", BlmoveCommand, 6, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1,
	 "@write @list @slow @blocking", "list", "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)", NULL, "source destination LEFT|RIGHT LEFT|RIGHT timeout"},
	{"blmpop", BlmpopCommand, -5, CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@write @list @slow @blocking", "list", "7.0.0", "Pop elements from a list, or block until one is available", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", NULL, "timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]", 2},
	{"blpop", BlpopCommand, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1,
	 "@write @list @slow @blocking", "list", "2.0.0", "Remove and get the first element in a list, or block until one is available", "O(N) where N is the number of provided keys.", NULL, "key [key ...] timeout"},
	{"brpop", BrpopCommand, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1,
	 "@write @list @slow @blocking", "list", "2.0.0", "Remove and get the last element in a list, or block until one is available", "O(N) where N is the number of provided keys.", NULL, "key [key ...] timeout"},
	{"brpoplpush", BrpoplpushCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1,
	 "@write @list @slow @blocking", "list", "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)", NULL, "source destination timeout"},
	{"lindex", LindexCommand, 3, CMD_READONLY, 1, 1, 1,
	 "@read @list @slow", "list", "1.0.0", "Get an element from a list by its index", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", NULL, "key index"},
	{"linsert", LinsertCommand, 5, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @list @slow", "list", "2.2.0", "Insert an element before or after another element in a list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", NULL, "key BEFORE|AFTER pivot element"},
	{"llen", LlenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @list @fast", "list", "1.0.0", "Get the length of a list", "O(1)", NULL, "key"},
	{"lmove", LmoveCommand, 5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1,
	 "@write @list @slow", "list", "6.2.0", "Pop an element from a list, push it to another list and return it", "O(1)", NULL, "source destination LEFT|RIGHT LEFT|RIGHT"},
	{"lmpop", LmpopCommand, -4, CMD_WRITE | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@write @list @slow", "list", "7.0.0", "Pop elements from a list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", NULL, "numkeys key [key ...] LEFT|RIGHT [COUNT count]", 1},
	{"lpop", LpopCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @list @fast", "list", "1.0.0", "Remove and get the first elements in a list", "O(N) where N is the number of elements returned", NULL, "key [count]"},
	{"lpos", LposCommand, -3, CMD_READONLY, 1, 1, 1,
	 "@read @list @slow", "list", "6.0.6", "Return the index of matching elements on a list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", NULL, "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"},
	{"lpush", LpushCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @list @fast", "list", "1.0.0", "Prepend one or multiple elements to a list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", NULL, "key element [element ...]"},
	{"lpushx", LpushxCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @list @fast", "list", "2.2.0", "Prepend an element to a list, only if the list exists", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", NULL, "key element [element ...]"},
	{"lrange", LrangeCommand, 4, CMD_READONLY, 1, 1, 1,
	 "@read @list @slow", "list", "1.0.0", "Get a range of elements from a list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", NULL, "key start stop"},
	{"lrem", LremCommand, 4, CMD_WRITE, 1, 1, 1,
	 "@write @list @slow", "list", "1.0.0", "Remove elements from a list", "O(N+M) where N is the length of the list and M is the number of elements removed.", NULL, "key count element"},
	{"lset", LsetCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @list @slow", "list", "1.0.0", "Set the value of an element in a list by its index", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", NULL, "key index element"},
	{"ltrim", LtrimCommand, 4, CMD_WRITE, 1, 1, 1,
	 "@write @list @slow", "list", "1.0.0", "Trim a list to the specified range", "O(N) where N is the number of elements to be removed by the operation.", NULL, "key start stop"},
	{"rpop", RpopCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @list @fast", "list", "1.0.0", "Remove and get the last elements in a list", "O(N) where N is the number of elements returned", NULL, "key [count]"},
	{"rpoplpush", RpoplpushCommand, 3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1,
	 "@write @list @slow", "list", "1.2.0", "Remove the last element in a list, prepend it to another list and return it", "O(1)", NULL, "source destination"},
	{"rpush", RpushCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @list @fast", "list", "1.0.0", "Append one or multiple elements to a list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", NULL, "key element [element ...]"},
	{"rpushx", RpushxCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @list @fast", "list", "2.2.0", "Append an element to a list, only if the list exists", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", NULL, "key element [element ...]"},
	{"incr", IncrCommand, 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Increment the integer value of a key by one", "O(1)", NULL, "key"},
	{"incrby", IncrbyCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Increment the integer value of a key by the given amount", "O(1)", NULL, "key increment"},
	{"incrbyfloat", IncrbyfloatCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "2.6.0", "Increment the float value of a key by the given amount", "O(1)", NULL, "key increment"},
	{"keys", KeysCommand, 2, CMD_READONLY, 0, 0, 0,
	 "@keyspace @read @slow @dangerous", "generic", "1.0.0", "Find all keys matching the given pattern", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", NULL, "pattern"},
	{"bitcount", BitcountCommand, -2, CMD_READONLY, 1, 1, 1,
	 "@read @bitmap @slow", "bitmap", "2.6.0", "Count set bits in a string", "O(N)", NULL, "key [start end [BYTE|BIT]]"},
	{"bitfield", BitfieldCommand, -2, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @bitmap @slow", "bitmap", "3.2.0", "Perform arbitrary bitfield integer operations on strings", "O(1) for each subcommand specified", NULL, "key [GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding offset increment] ..."},
	{"bitfield_ro", BitfieldRoCommand, -2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @bitmap @fast", "bitmap", "6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "O(1) for each subcommand specified", NULL, "key [GET encoding offset] ..."},
	{"bitop", BitopCommand, -4, CMD_WRITE | CMD_DENYOOM, 2, -1, 1,
	 "@write @bitmap @slow", "bitmap", "2.6.0", "Perform bitwise operations between strings", "O(N)", NULL, "operation destkey key [key ...]"},
	{"bitpos", BitposCommand, -3, CMD_READONLY, 1, 1, 1,
	 "@read @bitmap @slow", "bitmap", "2.8.7", "Find first bit set or clear in a string", "O(N)", NULL, "key bit [start [end [BYTE|BIT]]]"},
	{"getbit", GetbitCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @bitmap @fast", "bitmap", "2.2.0", "Returns the bit value at offset in the string value stored at key", "O(1)", NULL, "key offset"},
	{"setbit", SetbitCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @bitmap @slow", "bitmap", "2.2.0", "Sets or clears the bit at offset in the string value stored at key", "O(1)", NULL, "key offset value"},
	{"pfadd", PfaddCommand, -2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @hyperloglog @fast", "hyperloglog", "2.8.9", "Adds the specified elements to the specified HyperLogLog.", "O(1) to add every element.", NULL, "key [element [element ...]]"},
	{"pfcount", PfcountCommand, -2, CMD_READONLY | CMD_MAY_REPLICATE, 1, -1, 1,
	 "@read @hyperloglog @slow", "hyperloglog", "2.8.9", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", NULL, "key [key ...]"},
	{"pfdebug", PfdebugCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_ADMIN, 2, 2, 1,
	 "@write @hyperloglog @admin @slow @dangerous", "hyperloglog", "2.8.9", "Internal commands for debugging HyperLogLog values", "N/A", NULL, "subcommand key"},
	{"pfmerge", PfmergeCommand, -2, CMD_WRITE | CMD_DENYOOM, 1, -1, 1,
	 "@write @hyperloglog @slow", "hyperloglog", "2.8.9", "Merge N different HyperLogLogs into a single one.", "O(N) to merge N HyperLogLogs, but with high constant times.", NULL, "destkey [sourcekey [sourcekey ...]]"},
	{"pfselftest", PfselftestCommand, 1, CMD_ADMIN, 0, 0, 0,
	 "@hyperloglog @admin @slow @dangerous", "hyperloglog", "2.8.9", "An internal command for testing HyperLogLog values", "N/A", NULL, ""},
	{"debug", DebugCommand, -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "1.0.0", "A container for debugging commands", "Depends on subcommand.", NULL, "subcommand [arg ...]"},
	{"latency", NULL, -2, 0, 0, 0, 0,
	 "@slow", "server", "2.8.13", "A container for latency diagnostics commands", "Depends on subcommand.", latency_subcommands, ""},
	{"memory", NULL, -2, 0, 0, 0, 0,
	 "@slow", "server", "4.0.0", "A container for memory diagnostics commands", "Depends on subcommand.", memory_subcommands, ""},
	{"module", NULL, -2, 0, 0, 0, 0,
	 "@slow", "server", "4.0.0", "A container for module commands", "Depends on subcommand.", module_subcommands, ""},
	{"bzmpop", BzmpopCommand, -5, CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@write @sortedset @slow @blocking", "sorted-set", "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", NULL, "timeout numkeys key [key ...] MIN|MAX [COUNT count]", 2},
	{"bzpopmax", BzpopmaxCommand, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST, 1, -2, 1,
	 "@write @sortedset @fast @blocking", "sorted-set", "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "O(log(N)) with N being the number of elements in the sorted set.", NULL, "key [key ...] timeout"},
	{"bzpopmin", BzpopminCommand, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST, 1, -2, 1,
	 "@write @sortedset @fast @blocking", "sorted-set", "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "O(log(N)) with N being the number of elements in the sorted set.", NULL, "key [key ...] timeout"},
	{"sort", SortCommand, -2, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@write @set @sortedset @list @slow @dangerous", "generic", "1.0.0", "Sort the elements in a list, set or sorted set", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", NULL, "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]"},
	{"sort_ro", SortRoCommand, -2, CMD_READONLY | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@read @set @sortedset @list @slow @dangerous", "generic", "7.0.0", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", NULL, "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]"},
	{"lcs", LcsCommand, -3, CMD_READONLY, 1, 2, 1,
	 "@read @string @slow", "string", "7.0.0", "Find longest common substring", "O(N*M) where N and M are the lengths of s1 and s2, respectively", NULL, "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"},
	{"mget", MgetCommand, -2, CMD_READONLY | CMD_FAST, 1, -1, 1,
	 "@read @string @fast", "string", "1.0.0", "Get the values of all the given keys", "O(N) where N is the number of keys to retrieve.", NULL, "key ..."},
	{"move", MoveCommand, 3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@keyspace @write @fast", "generic", "1.0.0", "Move a key to another database", "O(1)", NULL, "key db"},
	{"mset", MsetCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 2,
	 "@write @string @slow", "string", "1.0.1", "Set multiple keys to multiple values", "O(N) where N is the number of keys to set.", NULL, "(key value) ..."},
	{"msetnx", MsetnxCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 2,
	 "@write @string @slow", "string", "1.0.1", "Set multiple keys to multiple values, only if none of the keys exist", "O(N) where N is the number of keys to set.", NULL, "(key value) ..."},
	{"object", NULL, -2, 0, 0, 0, 0,
	 "@slow", "generic", "2.2.3", "A container for object introspection commands", "Depends on subcommand.", object_subcommands, ""},
	{"persist", PersistCommand, 2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@keyspace @write @fast", "generic", "2.2.0", "Remove the expiration from a key", "O(1)", NULL, "key"},
	{"pexpire", PexpireCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@keyspace @write @fast", "generic", "2.6.0", "Set a key's time to live in milliseconds", "O(1)", NULL, "key milliseconds [NX|XX|GT|LT]"},
	{"pexpireat", PexpireatCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@keyspace @write @fast", "generic", "2.6.0", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "O(1)", NULL, "key unix-time-milliseconds [NX|XX|GT|LT]"},
	{"pexpiretime", PexpiretimeCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@keyspace @read @fast", "generic", "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds", "O(1)", NULL, "key"},
	{"psetex", PsetexCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @string @slow", "string", "2.6.0", "Set the value and expiration in milliseconds of a key", "O(1)", NULL, "key milliseconds value"},
	{"pttl", PttlCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@keyspace @read @fast", "generic", "2.6.0", "Get the time to live for a key in milliseconds", "O(1)", NULL, "key"},
	{"randomkey", RandomkeyCommand, 1, CMD_READONLY, 0, 0, 0,
	 "@keyspace @read @slow", "generic", "1.0.0", "Return a random key from the keyspace", "O(1)", NULL, ""},
	{"rename", RenameCommand, 3, CMD_WRITE, 1, 2, 1,
	 "@keyspace @write @slow", "generic", "1.0.0", "Rename a key", "O(1)", NULL, "key newkey"},
	{"renamenx", RenamenxCommand, 3, CMD_WRITE | CMD_FAST, 1, 2, 1,
	 "@keyspace @write @fast", "generic", "1.0.0", "Rename a key, only if the new key does not exist", "O(1)", NULL, "key newkey"},
	{"scan", ScanCommand, -2, CMD_READONLY, 0, 0, 0,
	 "@keyspace @read @slow", "generic", "2.8.0", "Incrementally iterate the keys space", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", NULL, "cursor [MATCH pattern] [COUNT count] [TYPE type]"},
	{"set", SetCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @string @slow", "string", "1.0.0", "Set the string value of a key", "O(1)", NULL, "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"},
	{"setex", SetexCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @string @slow", "string", "2.0.0", "Set the value and expiration of a key", "O(1)", NULL, "key seconds value"},
	{"setnx", SetnxCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @string @fast", "string", "1.0.0", "Set the value of a key, only if the key does not exist", "O(1)", NULL, "key value"},
	{"sadd", SaddCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @set @fast", "set", "1.0.0", "Add one or more members to a set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", NULL, "key member [member ...]"},
	{"scard", ScardCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @set @fast", "set", "1.0.0", "Get the number of members in a set", "O(1)", NULL, "key"},
	{"sdiff", SdiffCommand, -2, CMD_READONLY, 1, -1, 1,
	 "@read @set @slow", "set", "1.0.0", "Subtract multiple sets", "O(N) where N is the total number of elements in all given sets.", NULL, "key [key ...]"},
	{"sdiffstore", SdiffstoreCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1,
	 "@write @set @slow", "set", "1.0.0", "Subtract multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets.", NULL, "destination key [key ...]"},
	{"sinter", SinterCommand, -2, CMD_READONLY, 1, -1, 1,
	 "@read @set @slow", "set", "1.0.0", "Intersect multiple sets", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", NULL, "key [key ...]"},
	{"sintercard", SintercardCommand, -3, CMD_READONLY | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@read @set @slow", "set", "7.0.0", "Intersect multiple sets and return the cardinality of the result", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", NULL, "numkeys key [key ...] [LIMIT limit]", 1},
	{"sinterstore", SinterstoreCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1,
	 "@write @set @slow", "set", "1.0.0", "Intersect multiple sets and store the resulting set in a key", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", NULL, "destination key [key ...]"},
	{"sismember", SismemberCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @set @fast", "set", "1.0.0", "Determine if a given value is a member of a set", "O(1)", NULL, "key member"},
	{"smembers", SmembersCommand, 2, CMD_READONLY, 1, 1, 1,
	 "@read @set @slow", "set", "1.0.0", "Get all the members in a set", "O(N) where N is the set cardinality.", NULL, "key"},
	{"smismember", SmismemberCommand, -3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @set @fast", "set", "6.2.0", "Returns the membership associated with the given elements for a set", "O(N) where N is the number of elements being checked for membership", NULL, "key member [member ...]"},
	{"smove", SmoveCommand, 4, CMD_WRITE | CMD_FAST, 1, 2, 1,
	 "@write @set @fast", "set", "1.0.0", "Move a member from one set to another", "O(1)", NULL, "source destination member"},
	{"spop", SpopCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @set @fast", "set", "1.0.0", "Remove and return one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", NULL, "key [count]"},
	{"srandmember", SrandmemberCommand, -2, CMD_READONLY, 1, 1, 1,
	 "@read @set @slow", "set", "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", NULL, "key [count]"},
	{"srem", SremCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @set @fast", "set", "1.0.0", "Remove one or more members from a set", "O(N) where N is the number of members to be removed.", NULL, "key member [member ...]"},
	{"sscan", SscanCommand, -3, CMD_READONLY, 1, 1, 1,
	 "@read @set @slow", "set", "2.8.0", "Incrementally iterate Set elements", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", NULL, "key cursor [MATCH pattern] [COUNT count]"},
	{"sunion", SunionCommand, -2, CMD_READONLY, 1, -1, 1,
	 "@read @set @slow", "set", "1.0.0", "Add multiple sets", "O(N) where N is the total number of elements in all given sets.", NULL, "key [key ...]"},
	{"sunionstore", SunionstoreCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1,
	 "@write @set @slow", "set", "1.0.0", "Add multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets.", NULL, "destination key [key ...]"},
	{"setrange", SetrangeCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1,
	 "@write @string @slow", "string", "2.2.0", "Overwrite part of a string at key starting at the specified offset", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", NULL, "key offset value"},
	{"substr", GetrangeCommand, 4, CMD_READONLY, 1, 1, 1,
	 "@read @string @slow", "string", "1.0.0", "Get a substring of the string stored at a key", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", NULL, "key start end"},
	{"strlen", StrlenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @string @fast", "string", "2.2.0", "Get the length of the value stored in a key", "O(1)", NULL, "key"},
	{"touch", TouchCommand, -2, CMD_READONLY | CMD_FAST, 1, -1, 1,
	 "@keyspace @read @fast", "generic", "3.2.1", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "O(N) where N is the number of keys that will be touched.", NULL, "key ..."},
	{"ttl", TtlCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@keyspace @read @fast", "generic", "1.0.0", "Get the time to live for a key in seconds", "O(1)", NULL, "key"},
	{"type", TypeCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@keyspace @read @fast", "generic", "1.0.0", "Determine the type stored at key", "O(1)", NULL, "key"},
	{"unlink", UnlinkCommand, -2, CMD_WRITE | CMD_FAST, 1, -1, 1,
	 "@keyspace @write @fast", "generic", "4.0.0", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", NULL, "key ..."},
	{"xack", XackCommand, -4, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @stream @fast", "stream", "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", "O(1) for each message ID processed.", NULL, "key group id [id ...]"},
	{"xadd", XaddCommand, -5, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @stream @fast", "stream", "5.0.0", "Appends a new entry to a stream", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", NULL, "key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id (field value) ..."},
	{"xautoclaim", XautoclaimCommand, -6, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @stream @fast", "stream", "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", "O(1) if COUNT is small.", NULL, "key group consumer min-idle-time start [COUNT count] [JUSTID]"},
	{"xclaim", XclaimCommand, -6, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @stream @fast", "stream", "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", "O(log N) with N being the number of messages in the PEL of the consumer group.", NULL, "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]"},
	{"xdel", XdelCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @stream @fast", "stream", "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", "O(1) for each single item to delete in the stream, regardless of the stream size.", NULL, "key id [id ...]"},
	{"xgroup", NULL, -2, 0, 0, 0, 0,
	 "@slow", "stream", "5.0.0", "A container for consumer groups commands", "Depends on subcommand.", xgroup_subcommands, ""},
	{"xinfo", NULL, -2, 0, 0, 0, 0,
	 "@slow", "stream", "5.0.0", "A container for stream introspection commands", "Depends on subcommand.", xinfo_subcommands, ""},
	{"xlen", XlenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @stream @fast", "stream", "5.0.0", "Return the number of entries in a stream", "O(1)", NULL, "key"},
	{"xpending", XpendingCommand, -3, CMD_READONLY, 1, 1, 1,
	 "@read @stream @slow", "stream", "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", NULL, "key group [[IDLE min-idle-time] start end count [consumer]]"},
	{"xrange", XrangeCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @stream @slow", "stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", NULL, "key start end [COUNT count]"},
	{"xread", XreadCommand, -4, CMD_READONLY | CMD_BLOCKING | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@read @stream @slow @blocking", "stream", "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", NULL, "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", 0, "streams", 1},
	{"xreadgroup", XreadgroupCommand, -7, CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@write @stream @slow @blocking", "stream", "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", NULL, "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]", 0, "streams", 4},
	{"xrevrange", XrevrangeCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @stream @slow", "stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", NULL, "key end start [COUNT count]"},
	{"xsetid", XsetidCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @stream @fast", "stream", "5.0.0", "An internal command for replicating stream values", "O(1)", NULL, "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"},
	{"xtrim", XtrimCommand, -4, CMD_WRITE, 1, 1, 1,
	 "@write @stream @slow", "stream", "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", NULL, "key MAXLEN|MINID [=|~] threshold [LIMIT count]"},
	{"zadd", ZaddCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @sortedset @fast", "sorted-set", "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", NULL, "key [NX|XX] [GT|LT] [CH] [INCR] (score member) ..."},
	{"zcard", ZcardCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "1.2.0", "Get the number of members in a sorted set", "O(1)", NULL, "key"},
	{"zcount", ZcountCommand, 4, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "2.0.0", "Count the members in a sorted set with scores within the given values", "O(log(N)) with N being the number of elements in the sorted set.", NULL, "key min max"},
	{"zdiff", ZdiffCommand, -3, CMD_READONLY | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@read @sortedset @slow", "sorted-set", "6.2.0", "Subtract multiple sorted sets", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", NULL, "numkeys key [key ...] [WITHSCORES]", 1},
	{"zdiffstore", ZdiffstoreCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@write @sortedset @slow", "sorted-set", "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", NULL, "destination numkeys key [key ...]"},
	{"zincrby", ZincrbyCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
	 "@write @sortedset @fast", "sorted-set", "1.2.0", "Increment the score of a member in a sorted set", "O(log(N)) where N is the number of elements in the sorted set.", NULL, "key increment member"},
	{"zinter", ZinterCommand, -3, CMD_READONLY | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@read @sortedset @slow", "sorted-set", "6.2.0", "Intersect multiple sorted sets", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", NULL, "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]", 1},
	{"zintercard", ZintercardCommand, -3, CMD_READONLY | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@read @sortedset @slow", "sorted-set", "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", NULL, "numkeys key [key ...] [LIMIT limit]", 1},
	{"zinterstore", ZinterstoreCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@write @sortedset @slow", "sorted-set", "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", NULL, "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"},
	{"zlexcount", ZlexcountCommand, 4, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", "O(log(N)) with N being the number of elements in the sorted set.", NULL, "key min max"},
	{"zmpop", ZmpopCommand, -4, CMD_WRITE | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@write @sortedset @slow", "sorted-set", "7.0.0", "Remove and return members with scores in a sorted set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", NULL, "numkeys key [key ...] MIN|MAX [COUNT count]", 1},
	{"zmscore", ZmscoreCommand, -3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "6.2.0", "Get the score associated with the given members in a sorted set", "O(N) where N is the number of members being requested.", NULL, "key member [member ...]"},
	{"zpopmax", ZpopmaxCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @sortedset @fast", "sorted-set", "5.0.0", "Remove and return members with the highest scores in a sorted set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", NULL, "key [count]"},
	{"zpopmin", ZpopminCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @sortedset @fast", "sorted-set", "5.0.0", "Remove and return members with the lowest scores in a sorted set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", NULL, "key [count]"},
	{"zrandmember", ZrandmemberCommand, -2, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "6.2.0", "Get one or multiple random elements from a sorted set", "O(N) where N is the number of elements returned", NULL, "key [count [WITHSCORES]]"},
	{"zrange", ZrangeCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "1.2.0", "Return a range of members in a sorted set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", NULL, "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"},
	{"zrangebylex", ZrangebylexCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", NULL, "key min max [LIMIT offset count]"},
	{"zrangebyscore", ZrangebyscoreCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "1.0.5", "Return a range of members in a sorted set, by score", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", NULL, "key min max [WITHSCORES] [LIMIT offset count]"},
	{"zrangestore", ZrangestoreCommand, -5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1,
	 "@write @sortedset @slow", "sorted-set", "6.2.0", "Store a range of members from sorted set into another key", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", NULL, "dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]"},
	{"zrank", ZrankCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "2.0.0", "Determine the index of a member in a sorted set", "O(log(N))", NULL, "key member"},
	{"zrem", ZremCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1,
	 "@write @sortedset @fast", "sorted-set", "1.2.0", "Remove one or more members from a sorted set", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", NULL, "key member [member ...]"},
	{"zremrangebylex", ZremrangebylexCommand, 4, CMD_WRITE, 1, 1, 1,
	 "@write @sortedset @slow", "sorted-set", "2.8.9", "Remove all members in a sorted set between the given lexicographical range", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", NULL, "key min max"},
	{"zremrangebyrank", ZremrangebyrankCommand, 4, CMD_WRITE, 1, 1, 1,
	 "@write @sortedset @slow", "sorted-set", "2.0.0", "Remove all members in a sorted set within the given indexes", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", NULL, "key start stop"},
	{"zremrangebyscore", ZremrangebyscoreCommand, 4, CMD_WRITE, 1, 1, 1,
	 "@write @sortedset @slow", "sorted-set", "1.2.0", "Remove all members in a sorted set within the given scores", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", NULL, "key min max"},
	{"zrevrange", ZrevrangeCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", NULL, "key start stop [WITHSCORES]"},
	{"zrevrangebylex", ZrevrangebylexCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", NULL, "key max min [LIMIT offset count]"},
	{"zrevrangebyscore", ZrevrangebyscoreCommand, -4, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", NULL, "key max min [WITHSCORES] [LIMIT offset count]"},
	{"zrevrank", ZrevrankCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", "O(log(N))", NULL, "key member"},
	{"zscan", ZscanCommand, -3, CMD_READONLY, 1, 1, 1,
	 "@read @sortedset @slow", "sorted-set", "2.8.0", "Incrementally iterate sorted sets elements and associated scores", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", NULL, "key cursor [MATCH pattern] [COUNT count]"},
	{"zscore", ZscoreCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1,
	 "@read @sortedset @fast", "sorted-set", "1.2.0", "Get the score associated with the given member in a sorted set", "O(1)", NULL, "key member"},
	{"zunion", ZunionCommand, -3, CMD_READONLY | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@read @sortedset @slow", "sorted-set", "6.2.0", "Add multiple sorted sets", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", NULL, "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]", 1},
	{"zunionstore", ZunionstoreCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, 1, 1, 1,
	 "@write @sortedset @slow", "sorted-set", "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", NULL, "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"},
	{"auth", AuthCommand, -2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL, 0, 0, 0,
	 "@fast @connection", "connection", "1.0.0", "Authenticate to the server", "O(N) where N is the number of passwords defined for the user", NULL, "[username] password"},
	{"bgrewriteaof", BgrewriteaofCommand, 1, CMD_NOSCRIPT | CMD_ADMIN, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "1.0.0", "Asynchronously rewrite the append-only file", "O(1)", NULL, ""},
	{"bgsave", BgsaveCommand, -1, CMD_NOSCRIPT | CMD_ADMIN, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "1.0.0", "Asynchronously save the dataset to disk", "O(1)", NULL, "[SCHEDULE]"},
	{"client", NULL, -2, CMD_SENTINEL, 0, 0, 0,
	 "@slow", "connection", "2.4.0", "A container for client connection commands", "Depends on subcommand.", client_subcommands, ""},
	{"command", CommandCommand, -1, CMD_LOADING | CMD_STALE | CMD_SENTINEL, 0, 0, 0,
	 "@slow @connection", "server", "2.8.13", "Get array of Redis command details", "O(N) where N is the total number of Redis commands", command_subcommands, ""},
	{"config", NULL, -2, 0, 0, 0, 0,
	 "@slow", "server", "2.0.0", "A container for server configuration commands", "Depends on subcommand.", config_subcommands, ""},
	{"dbsize", DbsizeCommand, 1, CMD_READONLY | CMD_FAST, 0, 0, 0,
	 "@keyspace @read @fast", "server", "1.0.0", "Return the number of keys in the selected database", "O(1)", NULL, ""},
	{"discard", DiscardCommand, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@fast @transaction", "transactions", "2.0.0", "Discard all commands issued after MULTI", "O(N), when N is the number of queued commands", NULL, ""},
	{"echo", EchoCommand, 2, CMD_FAST, 0, 0, 0,
	 "@fast @connection", "connection", "1.0.0", "Echo the given string", "O(1)", NULL, "message"},
	{"exec", ExecCommand, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG, 0, 0, 0,
	 "@slow @transaction", "transactions", "1.2.0", "Execute all commands issued after MULTI", "Depends on commands in the transaction", NULL, ""},
	{"eval", EvalCommand, -3, CMD_OWN_BACKEND | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@slow @scripting", "scripting", "2.6.0", "Execute a Lua script server side", "Depends on the script that is executed.", NULL, "script numkeys [key [key ...]] [arg [arg ...]]"},
	{"eval_ro", EvalRoCommand, -3, CMD_OWN_BACKEND | CMD_READONLY | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@slow @scripting", "scripting", "7.0.0", "Execute a read-only Lua script server side", "Depends on the script that is executed.", NULL, "script numkeys [key [key ...]] [arg [arg ...]]"},
	{"evalsha", EvalshaCommand, -3, CMD_OWN_BACKEND | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@slow @scripting", "scripting", "2.6.0", "Execute a Lua script server side", "Depends on the script that is executed.", NULL, "sha1 numkeys [key [key ...]] [arg [arg ...]]"},
	{"evalsha_ro", EvalshaRoCommand, -3, CMD_OWN_BACKEND | CMD_READONLY | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_MOVABLE_KEYS, 0, 0, 0,
	 "@slow @scripting", "scripting", "7.0.0", "Execute a read-only Lua script server side", "Depends on the script that is executed.", NULL, "sha1 numkeys [key [key ...]] [arg [arg ...]]"},
	{"flushall", FlushallCommand, -1, CMD_WRITE, 0, 0, 0,
	 "@keyspace @write @slow @dangerous", "server", "1.0.0", "Remove all keys from all databases", "O(N) where N is the total number of keys in all databases", NULL, "[ASYNC|SYNC]"},
	{"flushdb", FlushdbCommand, -1, CMD_WRITE, 0, 0, 0,
	 "@keyspace @write @slow @dangerous", "server", "1.0.0", "Remove all keys from the current database", "O(N) where N is the number of keys in the selected database", NULL, "[ASYNC|SYNC]"},
	{"hello", HelloCommand, -1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@fast @connection", "connection", "6.0.0", "Handshake with Redis", "O(1)", NULL, "[protover [AUTH username password] [SETNAME clientname]]"},
	{"info", InfoCommand, -1, CMD_LOADING | CMD_STALE | CMD_SENTINEL, 0, 0, 0,
	 "@slow @dangerous", "server", "1.0.0", "Get information and statistics about the server", "O(1)", NULL, "[section ...]"},
	{"lastsave", LastsaveCommand, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
	 "@admin @fast @dangerous", "server", "1.0.0", "Get the UNIX time stamp of the last successful save to disk", "O(1)", NULL, ""},
	{"multi", MultiCommand, 1, CMD_OWN_BACKEND | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@fast @transaction", "transactions", "1.2.0", "Mark the start of a transaction block", "O(1)", NULL, ""},
	{"ping", PingCommand, -1, CMD_FAST | CMD_SENTINEL, 0, 0, 0,
	 "@fast @connection", "connection", "1.0.0", "Ping the server", "O(1)", NULL, "[message]"},
	{"psubscribe", PsubscribeCommand, -2, CMD_OWN_BACKEND | CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.0.0", "Listen for messages published to channels matching the given patterns", "O(N) where N is the number of patterns the client is already subscribed to.", NULL, "pattern ..."},
	{"publish", PublishCommand, 3, CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
	 "@pubsub @fast", "pubsub", "2.0.0", "Post a message to a channel", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", NULL, "channel message"},
	{"pubsub", NULL, -2, 0, 0, 0, 0,
	 "@slow", "pubsub", "2.8.0", "A container for Pub/Sub commands", "Depends on subcommand.", pubsub_subcommands, ""},
	{"punsubscribe", PunsubscribeCommand, -1, CMD_OWN_BACKEND | CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.0.0", "Stop listening for messages posted to channels matching the given patterns", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", NULL, "[pattern ...]"},
	{"quit", QuitCommand, -1, CMD_ALLOW_BUSY | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH, 0, 0, 0,
	 "@fast @connection", "connection", "1.0.0", "Close the connection", "O(1)", NULL, ""},
	{"reset", ResetCommand, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@fast @connection", "connection", "6.2.0", "Reset the connection", "O(1)", NULL, ""},
	{"role", RoleCommand, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
	 "@admin @fast @dangerous", "server", "2.8.12", "Return the role of the instance in the context of replication", "O(1)", NULL, ""},
	{"save", SaveCommand, 1, CMD_OWN_BACKEND | CMD_NOSCRIPT | CMD_ADMIN | CMD_NO_MULTI, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "1.0.0", "Synchronously save the dataset to disk", "O(N) where N is the total number of keys in all databases", NULL, ""},
	{"select", SelectCommand, 2, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
	 "@fast @connection", "connection", "1.0.0", "Change the selected database for the current connection", "O(1)", NULL, "index"},
	{"shutdown", ShutdownCommand, -1, CMD_OWN_BACKEND | CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_SENTINEL | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@admin @slow @dangerous", "server", "1.0.0", "Synchronously save the dataset to disk and then shut down the server", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", NULL, "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"},
	{"script", NULL, -2, 0, 0, 0, 0,
	 "@slow", "scripting", "2.6.0", "A container for Lua scripts management commands", "Depends on subcommand.", script_subcommands, ""},
	{"slowlog", NULL, -2, 0, 0, 0, 0,
	 "@slow", "server", "2.2.12", "A container for slow log commands", "Depends on subcommand.", slowlog_subcommands, ""},
	{"spublish", SpublishCommand, 3, CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_KEYS_NOT_KEY, 1, 1, 1,
	 "@pubsub @fast", "pubsub", "7.0.0", "Post a message to a shard channel", "O(N) where N is the number of clients subscribed to the receiving shard channel.", NULL, "shardchannel message"},
	{"ssubscribe", SsubscribeCommand, -2, CMD_OWN_BACKEND | CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEYS_NOT_KEY, 1, -1, 1,
	 "@pubsub @slow", "pubsub", "7.0.0", "Listen for messages published to the given shard channels", "O(N) where N is the number of shard channels to subscribe to.", NULL, "shardchannel ..."},
	{"subscribe", SubscribeCommand, -2, CMD_OWN_BACKEND | CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.0.0", "Listen for messages published to the given channels", "O(N) where N is the number of channels to subscribe to.", NULL, "channel ..."},
	{"sunsubscribe", SunsubscribeCommand, -1, CMD_OWN_BACKEND | CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEYS_NOT_KEY, 1, -1, 1,
	 "@pubsub @slow", "pubsub", "7.0.0", "Stop listening for messages posted to the given shard channels", "O(N) where N is the number of clients already subscribed to a shard channel.", NULL, "[shardchannel ...]"},
	{"swapdb", SwapdbCommand, 3, CMD_WRITE | CMD_FAST, 0, 0, 0,
	 "@keyspace @write @fast @dangerous", "server", "4.0.0", "Swaps two Redis databases", "O(N) where N is the count of clients watching or blocking on keys from both databases.", NULL, "index1 index2"},
	{"time", TimeCommand, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
	 "@fast", "server", "2.6.0", "Return the current server time", "O(1)", NULL, ""},
	{"tusk", NULL, -2, 0, 0, 0, 0,
	 "@slow", "server", "0.1.0", "A container for tusk-only commands (not in Redis)", "Depends on subcommand.", tusk_subcommands, ""},
	{"unsubscribe", UnsubscribeCommand, -1, CMD_OWN_BACKEND | CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	 "@pubsub @slow", "pubsub", "2.0.0", "Stop listening for messages posted to the given channels", "O(N) where N is the number of clients already subscribed to a channel.", NULL, "[channel ...]"},
	{"unwatch", UnwatchCommand, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0,
	 "@fast @transaction", "transactions", "2.2.0", "Forget about all watched keys", "O(1)", NULL, ""},
	{"wait", WaitCommand, 3, CMD_OWN_BACKEND | CMD_NOSCRIPT, 0, 0, 0,
	 "@slow @connection", "generic", "3.0.0", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", "O(1)", NULL, "numreplicas timeout"},
	{"watch", WatchCommand, -2, CMD_OWN_BACKEND | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY, 1, -1, 1,
	 "@fast @transaction", "transactions", "2.2.0", "Watch the given keys to determine execution of the MULTI/EXEC block", "O(1) for every key.", NULL, "key [key ...]"},
	{NULL}
};

/* Open-addressing hash over top-level names; built before forking. */
#define LOOKUP_SIZE 1024
static const Command *lookup_table[LOOKUP_SIZE];
static int num_commands;

/*
 * Statistics index of every command and subcommand (storage/stats.h): its
 * position in the table walk of CommandTableInit, found from the Command
 * pointer through a second open-addressing hash. Built before forking.
 */
#define INDEX_HASH_SIZE (2 * STATS_MAX_COMMANDS)
static const Command *indexed[STATS_MAX_COMMANDS];
static int	index_hash[INDEX_HASH_SIZE];	/* index + 1; 0: empty */
static int	num_indexed;

static uint32_t
hash_pointer(const Command *cmd)
{
	uint64_t	k = (uint64_t) (uintptr_t) cmd;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t) k;
}

static void
index_command(const Command *cmd)
{
	uint32_t	h = hash_pointer(cmd) & (INDEX_HASH_SIZE - 1);

	if (num_indexed >= STATS_MAX_COMMANDS)
		elog(FATAL, "more than %d commands: raise STATS_MAX_COMMANDS", STATS_MAX_COMMANDS);
	while (index_hash[h])
		h = (h + 1) & (INDEX_HASH_SIZE - 1);
	indexed[num_indexed] = cmd;
	index_hash[h] = ++num_indexed;
}

int
CommandIndex(const Command *cmd)
{
	uint32_t	h = hash_pointer(cmd) & (INDEX_HASH_SIZE - 1);

	while (index_hash[h])
	{
		if (indexed[index_hash[h] - 1] == cmd)
			return index_hash[h] - 1;
		h = (h + 1) & (INDEX_HASH_SIZE - 1);
	}
	return -1;
}

const Command *
CommandByIndex(int index)
{
	return index >= 0 && index < num_indexed ? indexed[index] : NULL;
}

int
CommandIndexCount(void)
{
	return num_indexed;
}

static uint32_t
hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
	{
		h ^= (uint8_t) tolower((unsigned char) s[i]);
		h *= 16777619u;
	}
	return h;
}

void
CommandTableInit(void)
{
	memset(lookup_table, 0, sizeof(lookup_table));
	memset(index_hash, 0, sizeof(index_hash));
	num_commands = 0;
	num_indexed = 0;
	for (const Command *cmd = command_table; cmd->name; cmd++)
	{
		uint32_t h = hash_name(cmd->name, strlen(cmd->name)) & (LOOKUP_SIZE - 1);

		while (lookup_table[h])
			h = (h + 1) & (LOOKUP_SIZE - 1);
		lookup_table[h] = cmd;
		num_commands++;
		index_command(cmd);
		for (const Command *sub = cmd->subcommands; sub && sub->name; sub++)
			index_command(sub);
	}
}

int
CommandCount(void)
{
	return num_commands;
}

const Command *
CommandLookup(const char *name, size_t len)
{
	uint32_t h;

	if (len == 0 || len > 64)
		return NULL;
	h = hash_name(name, len) & (LOOKUP_SIZE - 1);
	while (lookup_table[h])
	{
		const Command *cmd = lookup_table[h];

		if (strlen(cmd->name) == len && strncasecmp(cmd->name, name, len) == 0)
			return cmd;
		h = (h + 1) & (LOOKUP_SIZE - 1);
	}
	return NULL;
}

const Command *
CommandLookupSub(const Command *parent, const char *name, size_t len)
{
	size_t plen = strlen(parent->name) + 1;

	if (parent->subcommands == NULL)
		return NULL;
	for (const Command *sub = parent->subcommands; sub->name; sub++)
		if (strlen(sub->name) == plen + len && strncasecmp(sub->name + plen, name, len) == 0)
			return sub;
	return NULL;
}

bool
CommandKeyRange(const Command *cmd, int argc, const char *const *argv, const size_t *argv_len,
				int *first, int *last, int *step)
{
	if (cmd->numkeys_arg > 0)
	{
		long long	numkeys;

		if (cmd->numkeys_arg >= argc ||
			!StringToLongLong(argv[cmd->numkeys_arg], argv_len[cmd->numkeys_arg], &numkeys) ||
			numkeys <= 0 || numkeys > argc - cmd->numkeys_arg - 1)
			return false;
		*first = cmd->numkeys_arg + 1;
		*last = cmd->numkeys_arg + (int) numkeys;
		*step = 1;
		return true;
	}
	if (cmd->key_keyword)
	{
		int			kw = -1,
					nkeys;

		for (int i = cmd->keyword_from; i < argc && kw < 0; i++)
			if (strlen(cmd->key_keyword) == argv_len[i] &&
				strncasecmp(argv[i], cmd->key_keyword, argv_len[i]) == 0)
				kw = i;
		if (kw < 0 || (nkeys = (argc - kw - 1) / 2) == 0)
			return false;
		*first = kw + 1;
		*last = kw + nkeys;
		*step = 1;
		return true;
	}
	if (cmd->first_key <= 0 || cmd->first_key >= argc)
		return false;
	*first = cmd->first_key;
	*last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
	if (*last >= argc)
		*last = argc - 1;
	*step = cmd->key_step > 0 ? cmd->key_step : 1;
	return *last >= *first;
}

bool
ArgEquals(const Client *c, int argi, const char *s)
{
	size_t len = strlen(s);

	return argi < c->argc && c->argv_len[argi] == len &&
		strncasecmp(c->argv[argi], s, len) == 0;
}

bool
GetLongLongOrReply(Client *c, int argi, long long *out, const char *msg)
{
	if (StringToLongLong(c->argv[argi], c->argv_len[argi], out))
		return true;
	AddReplyError(&c->reply, msg ? msg : err_not_integer);
	return false;
}

void
ReplyWrongArity(Client *c, const Command *cmd)
{
	AddReplyErrorFormat(&c->reply, "ERR wrong number of arguments for '%s' command", cmd->name);
}

void
ReplySyntaxError(Client *c)
{
	AddReplyError(&c->reply, err_syntax);
}

static void
reply_unknown_command(Client *c)
{
	char args[512];
	size_t off = 0;

	args[0] = '\0';
	for (int i = 1; i < c->argc && off < 128; i++)
	{
		int room = 128 - (int) off;
		int take = (int) c->argv_len[i] < room ? (int) c->argv_len[i] : room;

		off += snprintf(args + off, sizeof(args) - off, "'%.*s' ", take, c->argv[i]);
	}
	AddReplyErrorFormat(&c->reply, "ERR unknown command '%.128s', with args beginning with: %s",
						c->argv[0], args);
}

/*
 * Count the error reply a command (or its rejection) left at reply_start,
 * if any, under its first word as Redis does (only a word within the first
 * 32 bytes; otherwise ERR). Returns whether the reply is an error.
 */
static bool
count_error_reply(const Client *c, size_t reply_start)
{
	const char *e;
	size_t		len;
	const char *space;

	if (c->reply.len <= reply_start || c->reply.data[reply_start] != '-')
		return false;
	e = c->reply.data + reply_start + 1;
	len = c->reply.len - reply_start - 1;
	space = memchr(e, ' ', len < 31 ? len : 31);
	if (space)
		StatsErrorReply(e, (size_t) (space - e));
	else
		StatsErrorReply("ERR", 3);
	return true;
}

/* A command that was not run: count the error and, if known, the command. */
static void
count_rejected(Client *c, const Command *cmd, size_t reply_start)
{
	if (cmd && cmd->proc == ExecCommand)
	{
		/* Redis: a refused EXEC ends the transaction (if any), saying why */
		size_t		len = c->reply.len - reply_start;
		char	   *err = MemStrndup(c->reply.data + reply_start, len);
		const char *why = err + (len > 0 && err[0] == '-');

		if (strncmp(why, "ERR ", 4) == 0)
			why += 4;
		c->reply.len = reply_start;
		AddReplyErrorFormat(&c->reply, "EXECABORT Transaction discarded because of: %.*s",
							(int) strcspn(why, "\r\n"), why);
		MemFree(err);
		MultiDiscard(c);
		MultiUnwatch(c);
	}
	MultiFlagError(c);			/* EXEC will refuse to run the transaction */
	count_error_reply(c, reply_start);
	if (cmd)
		StatsCommandRejected(CommandIndex(cmd));
}

static bool
auth_required(const Client *c)
{
	return !c->authenticated && server_config->requirepass[0] != '\0';
}

static void process_command(Client *c);

/* What a RESP2 client may run while subscribed, as in Redis. */
static bool
allowed_when_subscribed(const Command *cmd)
{
	CommandProc p = cmd->proc;

	return p == PingCommand || p == SubscribeCommand || p == SsubscribeCommand ||
		p == UnsubscribeCommand || p == SunsubscribeCommand || p == PsubscribeCommand ||
		p == PunsubscribeCommand || p == QuitCommand || p == ResetCommand;
}

/*
 * CLIENT REPLY OFF/SKIP: the reply is dropped from the buffer once built
 * (so it is counted, in errorstats too, as in Redis); SKIP covers the
 * command after the one that set it.
 */
void
ProcessCommand(Client *c)
{
	size_t		reply_start = c->reply.len;

	process_command(c);
	if ((c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) && c->reply.sent <= reply_start)
		c->reply.len = reply_start;
	c->flags &= ~CLIENT_REPLY_SKIP;
	if (c->flags & CLIENT_REPLY_SKIP_NEXT)
		c->flags = (c->flags & ~CLIENT_REPLY_SKIP_NEXT) | CLIENT_REPLY_SKIP;
}

static void
process_command(Client *c)
{
	const Command *cmd;
	size_t		reply_start = c->reply.len;

	ConfigRefreshLocal();
	cmd = CommandLookup(c->argv[0], c->argv_len[0]);
	if (cmd && cmd->subcommands && c->argc >= 2)
	{
		const Command *sub = CommandLookupSub(cmd, c->argv[1], c->argv_len[1]);

		if (sub == NULL)
		{
			char upper[65];
			size_t n = c->argv_len[0] < 64 ? c->argv_len[0] : 64;

			for (size_t i = 0; i < n; i++)
				upper[i] = (char) toupper((unsigned char) c->argv[0][i]);
			upper[n] = '\0';
			AddReplyErrorFormat(&c->reply, "ERR unknown subcommand '%.128s'. Try %s HELP.",
								c->argv[1], upper);
			count_rejected(c, NULL, reply_start);
			return;
		}
		cmd = sub;
	}
	if (cmd == NULL)
	{
		reply_unknown_command(c);
		count_rejected(c, NULL, reply_start);
		return;
	}
	if ((cmd->arity > 0 && cmd->arity != c->argc) || c->argc < -cmd->arity)
	{
		ReplyWrongArity(c, cmd);
		count_rejected(c, cmd, reply_start);
		return;
	}
	if (auth_required(c) && !(cmd->flags & CMD_NO_AUTH))
	{
		AddReplyError(&c->reply, "NOAUTH Authentication required.");
		count_rejected(c, cmd, reply_start);
		return;
	}
	if (c->multi && (cmd->flags & CMD_NO_MULTI))
	{
		AddReplyError(&c->reply, "ERR Command not allowed inside a transaction");
		count_rejected(c, cmd, reply_start);
		return;
	}
	if (c->resp == 2 && PubsubClientSubscribed(c) && !allowed_when_subscribed(cmd))
	{
		AddReplyErrorFormat(&c->reply, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
							cmd->name);
		count_rejected(c, cmd, reply_start);
		return;
	}
	if ((c->flags & CLIENT_SHARED) && CommandNeedsOwnBackend(c, cmd))
	{
		/* run, and counted, by the backend it moves to (backend_mux.c) */
		c->flags |= CLIENT_MOVE;
		return;
	}
	if (MultiQueueing(c, cmd))
	{
		/* Redis refuses a write while it cannot persist, and so the EXEC */
		if ((cmd->flags & CMD_WRITE) && !CmdWriteAllowed(c))
		{
			count_rejected(c, cmd, reply_start);
			return;
		}
		MultiQueue(c, cmd);
		return;
	}
	if (ClientPauseCovers(c, cmd) && !BackendWaitPause(c, cmd))
		return;
	CommandCall(c, cmd);
}

void
CommandCall(Client *c, const Command *cmd)
{
	size_t		reply_start = c->reply.len;
	const Command *outer = c->cmd;
	int64_t		start, duration;
	bool		failed;

	c->cmd = cmd;
	ClientPublish(c, cmd->name);
	c->blocked_us = 0;
	start = MonotonicUs();
	cmd->proc(c);
	/* Redis counts a blocking command's work, not its wait */
	duration = MonotonicUs() - start - c->blocked_us;
	if (c->flags & CLIENT_ERROR_COUNTED)
	{
		/* failed, but its error was counted when the script's call failed */
		failed = c->reply.len > reply_start && c->reply.data[reply_start] == '-';
		c->flags &= ~CLIENT_ERROR_COUNTED;
	}
	else
		failed = count_error_reply(c, reply_start);
	StatsCommandCall(CommandIndex(cmd), (uint64_t) duration, failed);
	SlowlogPushIfNeeded(c, cmd, duration);
	c->cmd = outer;
}
