/*
 * cmd_tusk.c
 *	  TUSK: commands that only tusk has (not in Redis).
 *
 * NOTES
 *	  TUSK VACUUM [db] runs a vacuum (storage/vacuum.c) in this backend,
 *	  without the cost-based delay, and replies with what it did. Without
 *	  db every database's index entries are cleaned and every dead slot is
 *	  freed, and the commit log is truncated below the new frozen horizon;
 *	  with db the whole heap is still pruned and frozen (it is shared by
 *	  every database) but only db's index entries are removed.
 */
#include "config.h"

#include "server/server.h"
#include "server/settings.h"
#include "server/util.h"
#include "storage/vacuum.h"

#include <limits.h>
#include <stdio.h>

void
TuskVacuumCommand(Client *c)
{
	VacuumParams params = {0};
	VacuumResult r;
	long long	db = -1;
	bool		ok;

	if (c->argc > 3)
	{
		ReplySyntaxError(c);
		return;
	}
	if (c->argc == 3)
	{
		if (!StringToLongLong(c->argv[2], c->argv_len[2], &db))
		{
			AddReplyError(&c->reply, err_not_integer);
			return;
		}
		if (db < 0 || db >= server_config->databases)
		{
			AddReplyError(&c->reply, "ERR DB index is out of range");
			return;
		}
	}
	params.db = (int) db;
	params.freeze_min_age = (uint64_t) server_config->vacuum_freeze_min_age;
	params.is_auto = false;
	ok = VacuumRun(&params, &r);
	if (!ok)
	{
		AddReplyError(&c->reply, "ERR vacuum failed; see the server log");
		return;
	}
	if (db < 0 && r.unfrozen == 0)
		VacuumAdvanceFrozenXid(r.freeze_limit);
	VacuumNoteRunDone(false, db < 0 ? r.live_versions + r.recently_dead : VacuumLiveEstimate());

	AddReplyMapLen(&c->reply, 10);
	AddReplyBulkCString(&c->reply, "pages_scanned");
	AddReplyLongLong(&c->reply, (long long) r.pages_scanned);
	AddReplyBulkCString(&c->reply, "pages_pruned");
	AddReplyLongLong(&c->reply, (long long) r.pages_pruned);
	AddReplyBulkCString(&c->reply, "versions_removed");
	AddReplyLongLong(&c->reply, (long long) r.versions_removed);
	AddReplyBulkCString(&c->reply, "dead_slots_freed");
	AddReplyLongLong(&c->reply, (long long) r.dead_items_freed);
	AddReplyBulkCString(&c->reply, "index_entries_removed");
	AddReplyLongLong(&c->reply, (long long) r.index_entries_removed);
	AddReplyBulkCString(&c->reply, "tuples_frozen");
	AddReplyLongLong(&c->reply, (long long) r.tuples_frozen);
	AddReplyBulkCString(&c->reply, "live_versions");
	AddReplyLongLong(&c->reply, (long long) r.live_versions);
	AddReplyBulkCString(&c->reply, "recently_dead_versions");
	AddReplyLongLong(&c->reply, (long long) r.recently_dead);
	AddReplyBulkCString(&c->reply, "frozen_xid");
	AddReplyLongLong(&c->reply, (long long) VacuumFrozenXid());
	AddReplyBulkCString(&c->reply, "seconds");
	{
		char		secs[32];

		snprintf(secs, sizeof(secs), "%.3f", r.seconds);
		AddReplyBulkCString(&c->reply, secs);
	}
}

void
TuskHelpCommand(Client *c)
{
	static const char *const lines[] = {
		"TUSK <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"VACUUM [<db>]",
		"    Prune dead versions, remove index entries pointing at them, free their",
		"    space and freeze old versions. Without <db>: every database.",
		"HELP",
		"    Prints this help.",
		NULL
	};

	AddReplyHelp(&c->reply, lines);
}
