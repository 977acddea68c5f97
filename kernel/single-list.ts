/**
 * Singly linked lists: SINGLE_LIST_ENTRY with PushEntryList / PopEntryList, and the sequenced
 * lists (SLIST_HEADER) with the lock-free InterlockedPushEntrySList / PopEntrySList / FlushSList.
 *
 * As with LIST_ENTRY, an entry may name the structure that contains it (`container`), which is how
 * CONTAINING_RECORD gets back from the entry a routine returns to the driver's structure.
 */
import { currentMachine } from "./context.js";
import { notTheStructure } from "./interlocked.js";
import type { KThread } from "./thread.js";

/** SINGLE_LIST_ENTRY (and, on x86, SLIST_ENTRY): a link to the next entry, or null at the end. */
export class SINGLE_LIST_ENTRY<T = unknown> {
  /** The next entry, or null at the end of the list. */
  Next: SINGLE_LIST_ENTRY<T> | null = null;
  /** The structure this entry is embedded in (undefined for list heads). */
  readonly container: T | undefined;
  constructor(container?: T) {
    this.container = container;
  }
}

/** SLIST_ENTRY: x86 defines it as SINGLE_LIST_ENTRY. */
export { SINGLE_LIST_ENTRY as SLIST_ENTRY };

/**
 * SLIST_HEADER: the head of a sequenced singly linked list — the first entry, the list's depth
 * (16 bits, as QueryDepthSList reads it) and a sequence number every push and pop advances (what
 * makes NT's lock-free pop safe from the ABA problem).
 */
export class SLIST_HEADER<T = unknown> {
  /** The link to the first entry (its Next is null when the list is empty). */
  readonly Next = new SINGLE_LIST_ENTRY<T>();
  /** The number of entries (QueryDepthSList). */
  Depth = 0;
  /** Advanced by every push and pop. */
  Sequence = 0;
}

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/** PushEntryList and PopEntryList read and write through their pointers: anything but entries faults. */
function entries(api: string, ...list: unknown[]): void {
  for (const [i, e] of list.entries()) if (!(e instanceof SINGLE_LIST_ENTRY)) notTheStructure(kernel(api), api, i === 0 ? "ListHead" : "Entry", e, "a SINGLE_LIST_ENTRY");
}

/** PushEntryList: makes `Entry` the first entry. Not synchronized: the caller serializes. */
export function PushEntryList<T>(ListHead: SINGLE_LIST_ENTRY<T>, Entry: SINGLE_LIST_ENTRY<T>): void {
  entries("PushEntryList", ListHead, Entry);
  Entry.Next = ListHead.Next;
  ListHead.Next = Entry;
}

/** PopEntryList: removes and returns the first entry, or null when the list is empty. */
export function PopEntryList<T>(ListHead: SINGLE_LIST_ENTRY<T>): SINGLE_LIST_ENTRY<T> | null {
  entries("PopEntryList", ListHead);
  const first = ListHead.Next;
  if (first) ListHead.Next = first.Next;
  return first;
}

/** InitializeSListHead: an empty list with depth and sequence zero. */
export function InitializeSListHead<T>(SListHead: SLIST_HEADER<T>): void {
  if (!(SListHead instanceof SLIST_HEADER)) notTheStructure(kernel("InitializeSListHead"), "InitializeSListHead", "SListHead", SListHead, "an SLIST_HEADER");
  SListHead.Next.Next = null;
  SListHead.Depth = 0;
  SListHead.Sequence = 0;
}

/** QueryDepthSList / ExQueryDepthSList: the number of entries on the list. */
export function QueryDepthSList<T>(SListHead: SLIST_HEADER<T>): number {
  if (!(SListHead instanceof SLIST_HEADER)) notTheStructure(kernel("QueryDepthSList"), "QueryDepthSList", "SListHead", SListHead, "an SLIST_HEADER");
  return SListHead.Depth;
}
export { QueryDepthSList as ExQueryDepthSList };

function push<T>(api: string, head: SLIST_HEADER<T>, entry: SINGLE_LIST_ENTRY<T>): SINGLE_LIST_ENTRY<T> | null {
  const t = kernel(api);
  if (!(head instanceof SLIST_HEADER)) notTheStructure(t, api, "ListHead", head, "an SLIST_HEADER");
  if (!(entry instanceof SINGLE_LIST_ENTRY)) notTheStructure(t, api, "ListEntry", entry, "an SLIST_ENTRY");
  const first = head.Next.Next;
  entry.Next = first;
  head.Next.Next = entry;
  head.Depth = (head.Depth + 1) & 0xffff;
  head.Sequence = (head.Sequence + 1) & 0xffff;
  return first;
}

function pop<T>(api: string, head: SLIST_HEADER<T>): SINGLE_LIST_ENTRY<T> | null {
  const t = kernel(api);
  if (!(head instanceof SLIST_HEADER)) notTheStructure(t, api, "ListHead", head, "an SLIST_HEADER");
  const first = head.Next.Next;
  if (!first) return null;
  head.Next.Next = first.Next;
  head.Depth = (head.Depth - 1) & 0xffff;
  head.Sequence = (head.Sequence + 1) & 0xffff;
  return first;
}

function flush<T>(api: string, head: SLIST_HEADER<T>): SINGLE_LIST_ENTRY<T> | null {
  const t = kernel(api);
  if (!(head instanceof SLIST_HEADER)) notTheStructure(t, api, "ListHead", head, "an SLIST_HEADER");
  const first = head.Next.Next;
  head.Next.Next = null;
  head.Depth = 0;
  return first;
}

/**
 * InterlockedPushEntrySList: atomically makes `ListEntry` the first entry; returns the previous
 * first entry, or null when the list was empty. Callable at any IRQL up to DISPATCH_LEVEL (and
 * above, for a list in nonpaged memory).
 */
export function InterlockedPushEntrySList<T>(ListHead: SLIST_HEADER<T>, ListEntry: SINGLE_LIST_ENTRY<T>): SINGLE_LIST_ENTRY<T> | null {
  return push("InterlockedPushEntrySList", ListHead, ListEntry);
}

/** InterlockedPopEntrySList: atomically removes and returns the first entry, or null when empty. */
export function InterlockedPopEntrySList<T>(ListHead: SLIST_HEADER<T>): SINGLE_LIST_ENTRY<T> | null {
  return pop("InterlockedPopEntrySList", ListHead);
}

/**
 * InterlockedFlushSList: atomically empties the list and returns its first entry (the rest still
 * chained through Next), or null when it was empty.
 */
export function InterlockedFlushSList<T>(ListHead: SLIST_HEADER<T>): SINGLE_LIST_ENTRY<T> | null {
  return flush("InterlockedFlushSList", ListHead);
}

/**
 * ExInterlockedPushEntrySList: as InterlockedPushEntrySList. The spin lock argument is what the
 * routine used on systems without a compare-exchange of 64 bits; NT ignores it on x86, and so do we.
 */
export function ExInterlockedPushEntrySList<T>(ListHead: SLIST_HEADER<T>, ListEntry: SINGLE_LIST_ENTRY<T>, _Lock: unknown): SINGLE_LIST_ENTRY<T> | null {
  return push("ExInterlockedPushEntrySList", ListHead, ListEntry);
}

/** ExInterlockedPopEntrySList: as InterlockedPopEntrySList (the lock is ignored, as on x86). */
export function ExInterlockedPopEntrySList<T>(ListHead: SLIST_HEADER<T>, _Lock: unknown): SINGLE_LIST_ENTRY<T> | null {
  return pop("ExInterlockedPopEntrySList", ListHead);
}

/** ExInterlockedFlushSList: as InterlockedFlushSList. */
export function ExInterlockedFlushSList<T>(ListHead: SLIST_HEADER<T>): SINGLE_LIST_ENTRY<T> | null {
  return flush("ExInterlockedFlushSList", ListHead);
}
