/*
 * server.h
 *	  The client (one per backend process), the command table and the
 *	  helpers every command uses.
 *
 * NOTES
 *	  A backend serves exactly one Client for its whole life, so `Client` is
 *	  private memory and needs no locking. Arguments point into the client's
 *	  query buffer (or the parser's copies for inline requests) and are valid
 *	  only until the command returns.
 */
#ifndef TUSK_SERVER_H
#define TUSK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/reply.h"
#include "storage/block.h"
#include "server/resp.h"

#define TUSK_VERSION PACKAGE_VERSION
#define REDIS_COMPAT_VERSION "7.0.15"

struct Command;

/* Client flags */
#define CLIENT_CLOSE_AFTER_REPLY	0x0001
#define CLIENT_CLOSE_NOW			0x0002
#define CLIENT_UNIX_SOCKET			0x0004
#define CLIENT_REPLY_OFF			0x0008	/* CLIENT REPLY OFF */
#define CLIENT_REPLY_SKIP_NEXT		0x0010	/* CLIENT REPLY SKIP, this command */
#define CLIENT_REPLY_SKIP			0x0020	/* ... and the next one is not replied */
#define CLIENT_ERROR_COUNTED		0x0040	/* the command's error reply repeats one
												 * counted already (a script's redis.call) */
#define CLIENT_SHARED				0x0080	/* served by a shared backend (backend_mux.c) */
#define CLIENT_MOVE					0x0100	/* ... and its current request must run in a
											 * backend of its own: moved there before it runs */

typedef struct Client
{
	int			fd;
	struct ProcSlot *slot;		/* where CLIENT LIST finds it: MyProc, or the
								 * client slot a shared backend holds for it */
	uint64_t	id;
	int			db;
	int			resp;
	int			flags;
	bool		authenticated;
	char	   *name;			/* CLIENT SETNAME, or NULL */
	int64_t		ctime_ms;		/* connection time */
	int64_t		last_interaction_ms;
	char		addr[128];		/* peer "ip:port" or "path:0" */
	char		laddr[128];		/* local "ip:port" */

	/* input */
	char	   *qbuf;
	size_t		qbuf_len;		/* bytes held */
	size_t		qbuf_cap;
	size_t		qbuf_pos;		/* first byte of the current request */
	RespParser	parser;

	/* the command being run */
	int			argc;
	const char **argv;
	size_t	   *argv_len;
	int			argv_cap;
	const struct Command *cmd;

	ReplyBuf	reply;
	size_t		reply_counted;	/* bytes at the front of reply counted already
								 * (moved from a shared backend) */
	XLogRecPtr	durable_lsn;	/* the reply may go out once WAL is flushed here */
	XLogRecPtr	last_commit_lsn;	/* end of this client's last commit */
	bool		handoff_asked;	/* the walwriter was sent this client's socket */
	int64_t		blocked_us;		/* time the running command spent blocked
								 * (server/blocking.c): not counted as its duration */

	/* MULTI/EXEC (server/multi.c) */
	struct MultiState *multi;	/* the queue, NULL outside MULTI */
	struct WatchState *watched; /* WATCHed keys, or NULL */

	/* SUBSCRIBE and friends (server/cmd_pubsub.c), NULL if never subscribed */
	struct PubsubClient *pubsub;
} Client;

typedef void (*CommandProc) (Client *c);

/* Command flags, named as COMMAND INFO reports them */
#define CMD_WRITE			(1ULL << 0)
#define CMD_READONLY		(1ULL << 1)
#define CMD_DENYOOM			(1ULL << 2)
#define CMD_ADMIN			(1ULL << 3)
#define CMD_PUBSUB			(1ULL << 4)
#define CMD_NOSCRIPT		(1ULL << 5)
#define CMD_BLOCKING		(1ULL << 6)
#define CMD_LOADING			(1ULL << 7)
#define CMD_STALE			(1ULL << 8)
#define CMD_SKIP_MONITOR	(1ULL << 9)
#define CMD_SKIP_SLOWLOG	(1ULL << 10)
#define CMD_FAST			(1ULL << 11)
#define CMD_NO_AUTH			(1ULL << 12)
#define CMD_MAY_REPLICATE	(1ULL << 13)
#define CMD_NO_MULTI		(1ULL << 14)
#define CMD_MOVABLE_KEYS	(1ULL << 15)
#define CMD_ALLOW_BUSY		(1ULL << 16)
#define CMD_SENTINEL		(1ULL << 17)
/* not a COMMAND INFO flag: the key positions name no keys (key spec flag not_key) */
#define CMD_KEYS_NOT_KEY	(1ULL << 32)
/*
 * Not a COMMAND INFO flag: a shared backend does not run it but moves the
 * client to a backend of its own first, since it waits long or keeps
 * state across commands (server/backend_mux.c; CMD_BLOCKING does too)
 */
#define CMD_OWN_BACKEND		(1ULL << 33)

typedef struct Command
{
	const char *name;			/* lower case; "client|list" for subcommands */
	CommandProc proc;
	int			arity;			/* >0 exact, <0 at least -arity */
	uint64_t	flags;
	int			first_key;		/* 0: no keys */
	int			last_key;		/* -1: last argument */
	int			key_step;
	const char *acl_categories; /* "@fast @connection" */
	const char *group;			/* COMMAND DOCS group */
	const char *since;
	const char *summary;
	const char *complexity;
	const struct Command *subcommands;	/* NULL-terminated array, or NULL */
	const char *usage;			/* arguments after the name, Redis doc syntax:
								 * "key value [NX|XX] [EX seconds|KEEPTTL]";
								 * COMMAND DOCS builds its argument maps
								 * from it (redis-cli's hints) */
	int			numkeys_arg;	/* > 0: the keys are the numkeys_arg + 1 ...
								 * arguments, as many as argv[numkeys_arg]
								 * says (LMPOP); first_key is then 0 */
	const char *key_keyword;	/* non-NULL: the keys follow the first
								 * argument equal to it from argv[keyword_from]
								 * on, as many as half the arguments after it
								 * (XREAD's STREAMS); first_key is then 0 */
	int			keyword_from;
} Command;

extern const Command command_table[];

void		CommandTableInit(void);
const Command *CommandLookup(const char *name, size_t len);
const Command *CommandLookupSub(const Command *parent, const char *name, size_t len);
int			CommandCount(void);
/* Statistics index of a command or subcommand (0 .. CommandIndexCount()-1). */
int			CommandIndex(const Command *cmd);
const Command *CommandByIndex(int index);
int			CommandIndexCount(void);

/*
 * The key positions of a full command (argv[0] is its name): keys are
 * argv[*first], argv[*first + *step] ... up to argv[*last]. False if it
 * names no key, or its numkeys argument does not fit argc.
 */
bool		CommandKeyRange(const Command *cmd, int argc, const char *const *argv,
							const size_t *argv_len, int *first, int *last, int *step);

/* Runs one parsed request: lookup, arity, auth, the command itself. */
void		ProcessCommand(Client *c);
/* Run cmd on c's arguments, counted in the statistics and the slow log. */
void		CommandCall(Client *c, const Command *cmd);

/* Shared replies and helpers; each replies on failure and returns false. */
bool		GetLongLongOrReply(Client *c, int argi, long long *out, const char *msg);
bool		ArgEquals(const Client *c, int argi, const char *s);
void		ReplyWrongArity(Client *c, const Command *cmd);
void		ReplySyntaxError(Client *c);

extern const char *const err_syntax;
extern const char *const err_not_integer;

/* Commands */
void		PingCommand(Client *c);
void		EchoCommand(Client *c);
void		QuitCommand(Client *c);
void		ResetCommand(Client *c);
void		HelloCommand(Client *c);
void		AuthCommand(Client *c);
void		SelectCommand(Client *c);
void		TimeCommand(Client *c);
void		ShutdownCommand(Client *c);
void		DbsizeCommand(Client *c);
void		SaveCommand(Client *c);
void		BgsaveCommand(Client *c);
void		BgrewriteaofCommand(Client *c);
void		LastsaveCommand(Client *c);
void		InfoCommand(Client *c);
void		ClientHelpCommand(Client *c);
void		ClientIdCommand(Client *c);
void		ClientSetnameCommand(Client *c);
void		ClientGetnameCommand(Client *c);
void		ClientListCommand(Client *c);
void		ClientInfoCommand(Client *c);
void		ClientKillCommand(Client *c);
void		ClientNoEvictCommand(Client *c);
void		ClientReplyCommand(Client *c);
void		ClientPauseCommand(Client *c);
void		ClientUnpauseCommand(Client *c);
size_t		ClientPauseShmemSize(void);
void		ClientPauseShmemInit(void);
/* Whether a CLIENT PAUSE now in force holds cmd back (server/cmd_client.c). */
bool		ClientPauseCovers(const Client *c, const Command *cmd);
/* Sleep while it does; false if the client hung up or the server is stopping. */
bool		BackendWaitPause(Client *c, const Command *cmd);
void		ConfigHelpCommand(Client *c);
void		ConfigGetCommand(Client *c);
void		ConfigSetCommand(Client *c);
void		ConfigResetstatCommand(Client *c);
void		ConfigRewriteCommand(Client *c);
void		CommandCommand(Client *c);
void		CommandCountCommand(Client *c);
void		CommandInfoCommand(Client *c);
void		CommandDocsCommand(Client *c);
void		CommandListCommand(Client *c);
void		CommandHelpCommand(Client *c);
void		CommandGetkeysCommand(Client *c);
void		RoleCommand(Client *c);
void		WaitCommand(Client *c);	/* server/backend.c */

void		GetCommand(Client *c);
void		SetCommand(Client *c);
void		SetnxCommand(Client *c);
void		SetexCommand(Client *c);
void		PsetexCommand(Client *c);
void		GetsetCommand(Client *c);
void		GetdelCommand(Client *c);
void		GetexCommand(Client *c);
void		MgetCommand(Client *c);
void		MsetCommand(Client *c);
void		MsetnxCommand(Client *c);
void		AppendCommand(Client *c);
void		StrlenCommand(Client *c);
void		GetrangeCommand(Client *c);
void		SetrangeCommand(Client *c);
void		IncrCommand(Client *c);
void		DecrCommand(Client *c);
void		IncrbyCommand(Client *c);
void		DecrbyCommand(Client *c);
void		IncrbyfloatCommand(Client *c);
void		LcsCommand(Client *c);	/* server/cmd_lcs.c */
/* server/cmd_bit.c */
void		SetbitCommand(Client *c);
void		GetbitCommand(Client *c);
void		BitcountCommand(Client *c);
void		BitposCommand(Client *c);
void		BitopCommand(Client *c);
void		BitfieldCommand(Client *c);
void		BitfieldRoCommand(Client *c);
/* server/cmd_admin.c */
void		ModuleHelpCommand(Client *c);
void		ModuleListCommand(Client *c);
void		ModuleLoadCommand(Client *c);
void		DebugCommand(Client *c);
void		LatencyHelpCommand(Client *c);
void		LatencyLatestCommand(Client *c);
void		LatencyResetCommand(Client *c);
void		LatencyGraphCommand(Client *c);
void		LatencyHistogramCommand(Client *c);
void		LatencyDoctorCommand(Client *c);
void		MemoryHelpCommand(Client *c);
void		MemoryUsageCommand(Client *c);
void		MemoryDoctorCommand(Client *c);
void		MemoryMallocStatsCommand(Client *c);
void		MemoryPurgeCommand(Client *c);
/* server/cmd_sort.c */
void		SortCommand(Client *c);
void		SortRoCommand(Client *c);
/* server/cmd_hll.c */
void		PfaddCommand(Client *c);
void		PfcountCommand(Client *c);
void		PfmergeCommand(Client *c);
void		PfdebugCommand(Client *c);
void		PfselftestCommand(Client *c);


/* server/cmd_list.c */
void		BlmoveCommand(Client *c);
void		BlmpopCommand(Client *c);
void		BlpopCommand(Client *c);
void		BrpopCommand(Client *c);
void		BrpoplpushCommand(Client *c);
void		LmpopCommand(Client *c);
void		LindexCommand(Client *c);
void		LinsertCommand(Client *c);
void		LlenCommand(Client *c);
void		LmoveCommand(Client *c);
void		LpopCommand(Client *c);
void		LposCommand(Client *c);
void		LpushCommand(Client *c);
void		LpushxCommand(Client *c);
void		LrangeCommand(Client *c);
void		LremCommand(Client *c);
void		LsetCommand(Client *c);
void		LtrimCommand(Client *c);
void		RpopCommand(Client *c);
void		RpoplpushCommand(Client *c);
void		RpushCommand(Client *c);
void		RpushxCommand(Client *c);

/* server/cmd_set.c */
void		SaddCommand(Client *c);
void		ScardCommand(Client *c);
void		SdiffCommand(Client *c);
void		SdiffstoreCommand(Client *c);
void		SinterCommand(Client *c);
void		SintercardCommand(Client *c);
void		SinterstoreCommand(Client *c);
void		SismemberCommand(Client *c);
void		SmembersCommand(Client *c);
void		SmismemberCommand(Client *c);
void		SmoveCommand(Client *c);
void		SpopCommand(Client *c);
void		SrandmemberCommand(Client *c);
void		SremCommand(Client *c);
void		SscanCommand(Client *c);
void		SunionCommand(Client *c);
void		SunionstoreCommand(Client *c);
/* OBJECT ENCODING of a stored set: "intset" or "hashtable", as Redis 7.0 would say */
const char *SetEncodingName(const char *value, size_t len, uint8_t flags);

/* server/cmd_zset.c, server/cmd_zset_ops.c */
/* cmd_geo.c */
/*
 * The argv index of the key GEORADIUS or GEORADIUSBYMEMBER stores into
 * (after its last STORE/STOREDIST), 0 if none: COMMAND GETKEYS.
 */
int			GeoStoreKeyIndex(int argc, const char *const *argv, const size_t *argv_len);
void		GeoaddCommand(Client *c);
void		GeodistCommand(Client *c);
void		GeohashCommand(Client *c);
void		GeoposCommand(Client *c);
void		GeoradiusCommand(Client *c);
void		GeoradiusRoCommand(Client *c);
void		GeoradiusbymemberCommand(Client *c);
void		GeoradiusbymemberRoCommand(Client *c);
void		GeosearchCommand(Client *c);
void		GeosearchstoreCommand(Client *c);
void		ZaddCommand(Client *c);
void		ZcardCommand(Client *c);
void		ZcountCommand(Client *c);
void		ZdiffCommand(Client *c);
void		ZdiffstoreCommand(Client *c);
void		ZincrbyCommand(Client *c);
void		ZinterCommand(Client *c);
void		ZintercardCommand(Client *c);
void		ZinterstoreCommand(Client *c);
void		ZlexcountCommand(Client *c);
void		ZmpopCommand(Client *c);
void		BzmpopCommand(Client *c);
void		BzpopminCommand(Client *c);
void		BzpopmaxCommand(Client *c);
void		ZmscoreCommand(Client *c);
void		ZpopmaxCommand(Client *c);
void		ZpopminCommand(Client *c);
void		ZrandmemberCommand(Client *c);
void		ZrangeCommand(Client *c);
void		ZrangebylexCommand(Client *c);
void		ZrangebyscoreCommand(Client *c);
void		ZrangestoreCommand(Client *c);
void		ZrankCommand(Client *c);
void		ZremCommand(Client *c);
void		ZremrangebylexCommand(Client *c);
void		ZremrangebyrankCommand(Client *c);
void		ZremrangebyscoreCommand(Client *c);
void		ZrevrangeCommand(Client *c);
void		ZrevrangebylexCommand(Client *c);
void		ZrevrangebyscoreCommand(Client *c);
void		ZrevrankCommand(Client *c);
void		ZscanCommand(Client *c);
void		ZscoreCommand(Client *c);
void		ZunionCommand(Client *c);
void		XackCommand(Client *c);
void		XaddCommand(Client *c);
void		XautoclaimCommand(Client *c);
void		XclaimCommand(Client *c);
void		XgroupCreateCommand(Client *c);
void		XgroupCreateconsumerCommand(Client *c);
void		XgroupDelconsumerCommand(Client *c);
void		XgroupDestroyCommand(Client *c);
void		XgroupHelpCommand(Client *c);
void		XgroupSetidCommand(Client *c);
void		XinfoConsumersCommand(Client *c);
void		XinfoGroupsCommand(Client *c);
void		XpendingCommand(Client *c);
void		XreadgroupCommand(Client *c);
void		XdelCommand(Client *c);
void		XinfoHelpCommand(Client *c);
void		XinfoStreamCommand(Client *c);
void		XlenCommand(Client *c);
void		XrangeCommand(Client *c);
void		XreadCommand(Client *c);
void		XrevrangeCommand(Client *c);
void		XsetidCommand(Client *c);
void		XtrimCommand(Client *c);
void		ZunionstoreCommand(Client *c);
/* OBJECT ENCODING of a stored sorted set: "listpack" or "skiplist", as Redis 7.0 would say */
const char *ZsetEncodingName(const char *value, size_t len, uint8_t flags);

/* server/cmd_hash.c */
void		HdelCommand(Client *c);
void		HexistsCommand(Client *c);
void		HgetCommand(Client *c);
void		HgetallCommand(Client *c);
void		HincrbyCommand(Client *c);
void		HincrbyfloatCommand(Client *c);
void		HkeysCommand(Client *c);
void		HlenCommand(Client *c);
void		HmgetCommand(Client *c);
void		HmsetCommand(Client *c);
void		HrandfieldCommand(Client *c);
void		HscanCommand(Client *c);
void		HsetCommand(Client *c);
void		HsetnxCommand(Client *c);
void		HstrlenCommand(Client *c);
void		HvalsCommand(Client *c);
/* OBJECT ENCODING of a stored hash: "listpack" or "hashtable", as Redis would say */
const char *HashEncodingName(const char *value, size_t len, uint8_t flags);
/* SCAN's cursor argument, Redis's parseScanCursorOrReply (server/cmd_keys.c) */
bool		ParseScanCursorOrReply(Client *c, int argi, uint64_t *cursor);


/* server/multi.c */
void		MultiCommand(Client *c);
void		ExecCommand(Client *c);
void		DiscardCommand(Client *c);
void		WatchCommand(Client *c);
void		UnwatchCommand(Client *c);
/* Whether cmd is to be queued (c is inside MULTI and cmd is not EXEC...). */
bool		MultiQueueing(const Client *c, const Command *cmd);
bool		MultiQueueWrites(const Client *c);
void		MultiQueue(Client *c, const Command *cmd);
/* A command was refused: a MULTI in progress can no longer EXEC. */
void		MultiFlagError(Client *c);
/*
 * Whether cmd may touch another database or keys the command table does
 * not locate (SELECT, MOVE, COPY, FLUSHALL, movable keys): EXEC and
 * scripts then lock every database EXCLUSIVE.
 */
bool		MultiNeedsAllDatabases(const Command *cmd);
/* Commands queued since MULTI, -1 outside MULTI (CLIENT LIST multi=). */
int			MultiQueuedCount(const Client *c);
/* Forget the queue / the watched keys (DISCARD, RESET, EXEC). */
void		MultiDiscard(Client *c);
void		MultiUnwatch(Client *c);

/* server/cmd_keys.c (DbsizeCommand is declared above) */
void		DelCommand(Client *c);
void		UnlinkCommand(Client *c);
void		ExistsCommand(Client *c);
void		TouchCommand(Client *c);
void		TypeCommand(Client *c);
void		RenameCommand(Client *c);
void		RenamenxCommand(Client *c);
void		CopyCommand(Client *c);
void		MoveCommand(Client *c);
void		KeysCommand(Client *c);
void		ScanCommand(Client *c);
void		RandomkeyCommand(Client *c);
void		FlushdbCommand(Client *c);
void		FlushallCommand(Client *c);
void		SwapdbCommand(Client *c);
void		ObjectHelpCommand(Client *c);
void		ObjectEncodingCommand(Client *c);
void		ObjectFreqCommand(Client *c);
void		ObjectIdletimeCommand(Client *c);
void		ObjectRefcountCommand(Client *c);

/* server/cmd_slowlog.c */
size_t		SlowlogShmemSize(void);
void		SlowlogShmemInit(void);
void		SlowlogPushIfNeeded(Client *c, const Command *cmd, int64_t duration);
void		SlowlogGetCommand(Client *c);
void		SlowlogLenCommand(Client *c);
void		SlowlogResetCommand(Client *c);
void		SlowlogHelpCommand(Client *c);
void		TuskVacuumCommand(Client *c);
void		TuskHelpCommand(Client *c);

/* server/cmd_script.c */
void		EvalCommand(Client *c);
void		EvalRoCommand(Client *c);
void		EvalshaCommand(Client *c);
void		EvalshaRoCommand(Client *c);
void		ScriptDebugCommand(Client *c);
void		ScriptExistsCommand(Client *c);
void		ScriptFlushCommand(Client *c);
void		ScriptHelpCommand(Client *c);
void		ScriptKillCommand(Client *c);
void		ScriptLoadCommand(Client *c);
/* Bytes this backend's Lua state uses (INFO used_memory_lua); 0 without one. */
uint64_t	ScriptLuaMemory(void);

/* server/cmd_expire.c */
void		ExpireCommand(Client *c);
void		PexpireCommand(Client *c);
void		ExpireatCommand(Client *c);
void		PexpireatCommand(Client *c);
void		TtlCommand(Client *c);
void		PttlCommand(Client *c);
void		ExpiretimeCommand(Client *c);
void		PexpiretimeCommand(Client *c);
void		PersistCommand(Client *c);

/* server/cmd_pubsub.c */
void		SubscribeCommand(Client *c);
void		UnsubscribeCommand(Client *c);
void		PsubscribeCommand(Client *c);
void		PunsubscribeCommand(Client *c);
void		SsubscribeCommand(Client *c);
void		SunsubscribeCommand(Client *c);
void		PublishCommand(Client *c);
void		SpublishCommand(Client *c);
void		PubsubHelpCommand(Client *c);
void		PubsubChannelsCommand(Client *c);
void		PubsubNumsubCommand(Client *c);
void		PubsubNumpatCommand(Client *c);
void		PubsubShardchannelsCommand(Client *c);
void		PubsubShardnumsubCommand(Client *c);
/* Subscribed to anything (RESP2: only the pub/sub commands are allowed)? */
bool		PubsubClientSubscribed(const Client *c);
void		PubsubClientCounts(const Client *c, int *sub, int *psub, int *ssub);
/*
 * Move what was published for this subscriber into its reply buffer.
 * False: it lost messages or passed pubsub_output_buffer_limit (logged);
 * the caller closes the connection.
 */
bool		PubsubDeliver(Client *c);
/* Unsubscribe from everything without replies (RESET, end of the client). */
void		PubsubClientReset(Client *c);

/* Backend-side state other modules read */
extern Client *current_client;
extern int64_t server_start_time_ms;
extern char server_run_id[41];
extern const char *server_executable;

/* Publish this client's state to its process slot and process title. */
void		ClientPublish(Client *c, const char *cmdname);
void		ClientFormatInfoLine(const void *slot, char *out, size_t outlen);

#endif
