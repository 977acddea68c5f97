/**
 * Kernel queues by their ntifs.h names (what an I/O completion port is built on): drivers may
 * use them for their own worker pools. Each acts on the current emulated thread.
 */
import { currentMachine } from "./context.js";
import { KQUEUE, KeNumberProcessors } from "./queue.js";
import { KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import type { NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";

export { KQUEUE, KeNumberProcessors };

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

function relative(now: number, Timeout: number | null | undefined): number | null {
  if (Timeout === null || Timeout === undefined) return null;
  return Timeout <= 0 ? -Timeout : Math.max(0, Timeout - now);
}

/** KeInitializeQueue: an empty queue; a Count of 0 means one running thread per processor. */
export function KeInitializeQueue<E>(Queue: KQUEUE<E>, Count = 0): void {
  Queue.MaximumCount = Count === 0 ? KeNumberProcessors : Count;
  Queue.CurrentCount = 0;
  Queue.rundown = false;
}

/** KeInsertQueue: queues `Entry` at the tail (or hands it to a waiting thread); returns the previous entry count. */
export function KeInsertQueue<E>(Queue: KQUEUE<E>, Entry: E): number {
  return Queue.insert(kernel("KeInsertQueue").machine, Entry, false);
}

/** KeInsertHeadQueue: as KeInsertQueue, at the head. */
export function KeInsertHeadQueue<E>(Queue: KQUEUE<E>, Entry: E): number {
  return Queue.insert(kernel("KeInsertHeadQueue").machine, Entry, true);
}

/** KeReadStateQueue: the number of entries queued. */
export function KeReadStateQueue<E>(Queue: KQUEUE<E>): number {
  return Queue.length;
}

/**
 * KeRemoveQueue: the oldest entry, waiting (in `WaitMode`, not alertable) up to `Timeout` (NT form:
 * negative relative 100 ns units, null forever, 0 polls) until one is available and the queue's
 * concurrency lets this thread run. `status` is STATUS_SUCCESS with the entry, or STATUS_TIMEOUT,
 * STATUS_USER_APC (a user-mode wait of a terminating thread) or STATUS_ABANDONED_WAIT_0 (run down).
 */
export async function KeRemoveQueue<E>(Queue: KQUEUE<E>, WaitMode: KPROCESSOR_MODE = KernelMode, Timeout: number | null = null): Promise<{ /** STATUS_SUCCESS with an entry, STATUS_TIMEOUT, STATUS_USER_APC or STATUS_ABANDONED (the queue was run down). */ status: NTSTATUS; /** The entry removed (null when none was). */ Entry: E | null }> {
  const m = kernel("KeRemoveQueue").machine;
  const r = await Queue.remove(m, WaitMode, false, relative(m.now, Timeout));
  return { status: r.status, Entry: r.entries[0] ?? null };
}

/** KeRundownQueue: releases the associated threads and returns the entries still queued. */
export function KeRundownQueue<E>(Queue: KQUEUE<E>): E[] {
  return Queue.runDown(kernel("KeRundownQueue").machine);
}
