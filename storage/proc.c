/*
 * proc.c
 *	  Process array in shared memory.
 *
 * NOTES
 *	  See proc.h for who writes what. The postmaster only ever stores pid = 0
 *	  into a slot whose process it has reaped, and reads lwlocks_held and
 *	  critical_section of it afterwards; nobody else writes a dead slot.
 */
#include "config.h"

#include "storage/proc.h"
#include "storage/lwlock.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/mem.h"

ProcArray  *proc_array;
ProcSlot   *MyProc;

size_t
ProcArrayShmemSize(int max_backends)
{
	return sizeof(ProcArray) +
		sizeof(ProcSlot) * (size_t) (max_backends + PROC_AUX_SLOTS);
}

void
ProcArrayShmemInit(int max_backends)
{
	proc_array = ShmemAlloc(ProcArrayShmemSize(max_backends));
	proc_array->nbackend_slots = max_backends;
	proc_array->nslots = max_backends + PROC_AUX_SLOTS;
	atomic_store(&proc_array->next_client_id, 1);
}

/* Make slotno this process's, fields cleared; muxed: a client slot. */
static ProcSlot *
slot_take(int slotno, ProcKind kind, bool muxed)
{
	ProcSlot *slot = &proc_array->slots[slotno];
	uint32_t cc = atomic_load(&slot->changecount);

	/* A predecessor killed mid-write may have left the counter odd. */
	if (cc & 1)
		atomic_store(&slot->changecount, cc + 1);
	ProcSlotBeginWrite(slot);
	slot->kind = kind;
	slot->client_id = 0;
	slot->db = 0;
	slot->fd = -1;
	slot->resp = 2;
	slot->multi = -1;
	slot->sub = slot->psub = slot->ssub = 0;
	slot->in_command = false;
	slot->blocked = slot->blocked_timeout = false;
	slot->muxed = muxed;
	slot->addr[0] = slot->laddr[0] = slot->name[0] = slot->cmd[0] = '\0';
	ProcSlotEndWrite(slot);
	atomic_store(&slot->lwlocks_held, 0);
	atomic_store(&slot->critical_section, 0);
	atomic_store(&slot->in_storage, 0);
	atomic_store(&slot->vacuuming, 0);
	atomic_store(&slot->xid, 0);
	atomic_store(&slot->xmin, 0);
	atomic_store(&slot->kill_client_id, 0);
	atomic_store(&slot->pid, (int) getpid());
	return slot;
}

void
ProcSlotAttach(int slotno, ProcKind kind)
{
	ProcSlot *slot = slot_take(slotno, kind, false);

	MyProc = slot;
	lwlock_held_counter = &slot->lwlocks_held;
}

/*
 * A shared backend takes a client slot the postmaster gave it for one of
 * its clients: only the client fields are used; the process's own slot
 * (MyProc) keeps its locks, transaction and latch.
 */
void
ProcSlotAttachClient(int slotno)
{
	(void) slot_take(slotno, PROC_KIND_BACKEND, true);
}

bool
ProcSlotRead(int slotno, ProcSlot *copy)
{
	ProcSlot *slot = &proc_array->slots[slotno];

	for (int tries = 0; tries < 1000; tries++)
	{
		uint32_t before = atomic_load_explicit(&slot->changecount, memory_order_acquire);

		if (before & 1)
			continue;
		memcpy(copy, slot, sizeof(*copy));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&slot->changecount, memory_order_acquire) == before)
			return copy->pid != 0 && copy->kind != PROC_KIND_FREE;
	}
	return false;
}

void
ProcArrayNoteSlotUsed(int slotno)
{
	int hw = atomic_load(&proc_array->high_water);

	while (slotno + 1 > hw &&
		   !atomic_compare_exchange_weak(&proc_array->high_water, &hw, slotno + 1))
		;
}

void
ProcSlotRelease(int slotno)
{
	ProcSlot *slot = &proc_array->slots[slotno];

	atomic_store(&slot->pid, 0);
	slot->kind = PROC_KIND_FREE;
}

bool
ProcSlotWasInCritical(int slotno)
{
	ProcSlot *slot = &proc_array->slots[slotno];

	return atomic_load(&slot->lwlocks_held) > 0 ||
		atomic_load(&slot->critical_section) > 0 ||
		atomic_load(&slot->in_storage) > 0;
}

void
ProcWaitForStorageCommands(void)
{
	int			n = ProcArrayHighWater();
	uint32_t   *gen = MemAlloc(sizeof(uint32_t) * (size_t) (n + 1));
	bool	   *wait = MemAllocZero(sizeof(bool) * (size_t) (n + 1));

	for (int i = 0; i < n; i++)
	{
		ProcSlot   *slot = &proc_array->slots[i];

		if (slot == MyProc || atomic_load(&slot->pid) == 0 || atomic_load(&slot->vacuuming))
			continue;
		gen[i] = atomic_load_explicit(&slot->storage_gen, memory_order_acquire);
		wait[i] = atomic_load_explicit(&slot->in_storage, memory_order_acquire) != 0;
	}
	for (int i = 0; i < n; i++)
	{
		ProcSlot   *slot = &proc_array->slots[i];

		while (wait[i] && atomic_load(&slot->pid) != 0 &&
			   atomic_load_explicit(&slot->in_storage, memory_order_acquire) != 0 &&
			   atomic_load_explicit(&slot->storage_gen, memory_order_acquire) == gen[i])
		{
			struct timespec ms = {0, 1000000L};

			nanosleep(&ms, NULL);
		}
	}
	MemFree(gen);
	MemFree(wait);
}
