/**
 * The ExInterlocked* list routines: LIST_ENTRY and SINGLE_LIST_ENTRY operations made atomic with
 * a caller-supplied KSPIN_LOCK. NT takes the lock with interrupts disabled, so they may be called
 * at any IRQL (an ISR may use them); every other access to the list must go through them with the
 * same lock. The lock is a real spin lock here: a lock held by interrupted code on this processor
 * is the deadlock it would be, and the verifier's lock-order rules see it.
 */
import { currentMachine } from "./context.js";
import { notTheStructure } from "./interlocked.js";
import { DISPATCH_LEVEL } from "./irql.js";
import { InsertHeadList, InsertTailList, LIST_ENTRY, RemoveHeadList } from "./list-entry.js";
import { PopEntryList, PushEntryList, SINGLE_LIST_ENTRY } from "./single-list.js";
import { KSPIN_LOCK } from "./spin-lock.js";

/** Runs `fn` holding `lock` (raised to DISPATCH_LEVEL, or at the caller's IRQL when above it). */
function underLock<R>(api: string, lock: KSPIN_LOCK, head: unknown, fn: () => R): R {
  const t = currentMachine(api).kernelCall(api);
  // The list head and the lock are read through their pointers: anything else faults.
  if (api.endsWith("EntryList") ? !(head instanceof SINGLE_LIST_ENTRY) : !(head instanceof LIST_ENTRY)) notTheStructure(t, api, "ListHead", head, api.endsWith("EntryList") ? "a SINGLE_LIST_ENTRY" : "a LIST_ENTRY");
  if (!(lock instanceof KSPIN_LOCK)) notTheStructure(t, api, "Lock", lock, "a KSPIN_LOCK");
  const interrupts = t.machine.interrupts;
  const raise = t.irql <= DISPATCH_LEVEL;
  const old = interrupts.acquireSpinLock(lock, raise);
  let r: R;
  try {
    r = fn();
  } finally {
    interrupts.releaseSpinLock(lock, raise ? old : null);
  }
  return r;
}

/**
 * ExInterlockedInsertHeadList: inserts `ListEntry` first, holding `Lock`; returns the entry that
 * was first before, or null when the list was empty.
 */
export function ExInterlockedInsertHeadList<T>(ListHead: LIST_ENTRY<T>, ListEntry: LIST_ENTRY<T>, Lock: KSPIN_LOCK): LIST_ENTRY<T> | null {
  return underLock("ExInterlockedInsertHeadList", Lock, ListHead, () => {
    const first = ListHead.Flink;
    InsertHeadList(ListHead, ListEntry);
    return first === ListHead ? null : first;
  });
}

/**
 * ExInterlockedInsertTailList: inserts `ListEntry` last, holding `Lock`; returns the entry that
 * was last before, or null when the list was empty.
 */
export function ExInterlockedInsertTailList<T>(ListHead: LIST_ENTRY<T>, ListEntry: LIST_ENTRY<T>, Lock: KSPIN_LOCK): LIST_ENTRY<T> | null {
  return underLock("ExInterlockedInsertTailList", Lock, ListHead, () => {
    const last = ListHead.Blink;
    InsertTailList(ListHead, ListEntry);
    return last === ListHead ? null : last;
  });
}

/** ExInterlockedRemoveHeadList: removes and returns the first entry holding `Lock`, or null when empty. */
export function ExInterlockedRemoveHeadList<T>(ListHead: LIST_ENTRY<T>, Lock: KSPIN_LOCK): LIST_ENTRY<T> | null {
  return underLock("ExInterlockedRemoveHeadList", Lock, ListHead, () => (ListHead.Flink === ListHead ? null : RemoveHeadList(ListHead)));
}

/** ExInterlockedPushEntryList: pushes `ListEntry` holding `Lock`; returns the previous first entry, or null. */
export function ExInterlockedPushEntryList<T>(ListHead: SINGLE_LIST_ENTRY<T>, ListEntry: SINGLE_LIST_ENTRY<T>, Lock: KSPIN_LOCK): SINGLE_LIST_ENTRY<T> | null {
  return underLock("ExInterlockedPushEntryList", Lock, ListHead, () => {
    const first = ListHead.Next;
    PushEntryList(ListHead, ListEntry);
    return first;
  });
}

/** ExInterlockedPopEntryList: pops the first entry holding `Lock`, or returns null when empty. */
export function ExInterlockedPopEntryList<T>(ListHead: SINGLE_LIST_ENTRY<T>, Lock: KSPIN_LOCK): SINGLE_LIST_ENTRY<T> | null {
  return underLock("ExInterlockedPopEntryList", Lock, ListHead, () => PopEntryList(ListHead));
}
