/**
 * Kernel queues by their ntifs.h names (what an I/O completion port is built on): drivers may
 * use them for their own worker pools. Each acts on the current emulated thread.
 */
import { currentMachine } from "./context.js";
import { KQUEUE, KeNumberProcessors } from "./queue.js";
import { KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import type { NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";
import { checkNumber, checkPointer, checkTimeout } from "./bad-pointer.js";

export { KQUEUE, KeNumberProcessors };

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

function relative(now: number, TimeoutArgument: number | null | undefined): number | null {
  const Timeout = checkTimeout("KeRemoveQueue", "Timeout", TimeoutArgument);
  if (Timeout === null) return null;
  return Timeout <= 0 ? -Timeout : Math.max(0, Timeout - now);
}

/** KeInitializeQueue: an empty queue; a Count of 0 means one running thread per processor. */
export function KeInitializeQueue<E>(Queue: KQUEUE<E>, Count = 0): void {
  checkPointer("KeInitializeQueue", "Queue", Queue, KQUEUE, "a KQUEUE");
  Count = checkNumber("KeInitializeQueue", "Count", Count);
  Queue.MaximumCount = Count === 0 ? KeNumberProcessors : Count;
  Queue.CurrentCount = 0;
  Queue.rundown = false;
}

/** KeInsertQueue: queues `Entry` at the tail (or hands it to a waiting thread); returns the previous entry count. */
export function KeInsertQueue<E>(Queue: KQUEUE<E>, Entry: E): number {
  checkPointer("KeInsertQueue", "Queue", Queue, KQUEUE, "a KQUEUE");
  return Queue.insert(kernel("KeInsertQueue").machine, Entry, false);
}

/** KeInsertHeadQueue: as KeInsertQueue, at the head. */
export function KeInsertHeadQueue<E>(Queue: KQUEUE<E>, Entry: E): number {
  checkPointer("KeInsertHeadQueue", "Queue", Queue, KQUEUE, "a KQUEUE");
  return Queue.insert(kernel("KeInsertHeadQueue").machine, Entry, true);
}

/** KeReadStateQueue: the number of entries queued. */
export function KeReadStateQueue<E>(Queue: KQUEUE<E>): number {
  checkPointer("KeReadStateQueue", "Queue", Queue, KQUEUE, "a KQUEUE");
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
  checkPointer("KeRemoveQueue", "Queue", Queue, KQUEUE, "a KQUEUE");
  const r = await Queue.remove(m, WaitMode, false, relative(m.now, Timeout));
  return { status: r.status, Entry: r.entries[0] ?? null };
}

/** KeRundownQueue: releases the associated threads and returns the entries still queued. */
export function KeRundownQueue<E>(Queue: KQUEUE<E>): E[] {
  checkPointer("KeRundownQueue", "Queue", Queue, KQUEUE, "a KQUEUE");
  return Queue.runDown(kernel("KeRundownQueue").machine);
}
