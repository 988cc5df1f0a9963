/*
 * handoff.h
 *	  Durable replies sent by the walwriter (server/README.md, "Reply
 *	  hand-off").
 *
 * A backend whose reply must wait for a WAL flush that another process is
 * already doing leaves the reply in its hand-off slot and goes back to
 * reading its socket; the walwriter, which holds a duplicate of the
 * client's socket, sends it once the flush has passed the reply's LSN.
 * The backend saves the sleep and the wake-up it would otherwise pay per
 * durable command.
 */
#ifndef TUSK_HANDOFF_H
#define TUSK_HANDOFF_H

#include "wal/xlog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Client;

/* the largest reply a backend hands off; longer ones it sends itself */
#define HANDOFF_MAX_REPLY 2048

size_t		HandoffShmemSize(int nslots);
void		HandoffShmemInit(int nslots);

/* postmaster: a fresh channel for each generation of processes */
void		HandoffChannelCreate(void);

/* backend */
#define HANDOFF_MAY_ALONE	0x1	/* the caller may flush when nobody is flushing */
#define HANDOFF_MAY_OVERLAP	0x2	/* ... and start an overlapping flush on a slow disk */
bool		HandoffReply(struct Client *c, const char *data, size_t len, XLogRecPtr lsn, int may);
uint64_t	HandoffReplies(void);	/* replies handed off since start */
bool		HandoffPendingForMe(void);	/* async-signal-safe */
bool		HandoffSettle(struct Client *c, bool wait, const char **rest, size_t *rest_len);
void		HandoffSettleDone(struct Client *c);
void		HandoffNewClient(struct Client *c);
void		HandoffClientDone(struct Client *c);
bool		HandoffBusy(const struct Client *c);	/* pending, or returned and not settled */

/* the walwriter process */
void		WalWriterMain(void);

#endif
