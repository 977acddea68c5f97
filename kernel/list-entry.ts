/**
 * LIST_ENTRY: NT's intrusive doubly linked list, with the WDK's helpers.
 *
 * An entry may name the structure that contains it (`container`), which is how
 * {@link CONTAINING_RECORD} recovers the IRP from `Irp.Tail.Overlay.ListEntry`.
 */
import { badPointer, checkPointer } from "./bad-pointer.js";
export class LIST_ENTRY<T = unknown> {
  Flink: LIST_ENTRY<T>;
  Blink: LIST_ENTRY<T>;
  /** The structure this entry is embedded in (undefined for list heads). */
  readonly container: T | undefined;

  constructor(container?: T) {
    this.Flink = this;
    this.Blink = this;
    this.container = container;
  }
}

/** InitializeListHead: an empty list points at itself. */
export function InitializeListHead<T>(head: LIST_ENTRY<T>): void {
  checkPointer("InitializeListHead", "head", head, LIST_ENTRY, "a LIST_ENTRY");
  head.Flink = head;
  head.Blink = head;
}

/** IsListEmpty. */
export function IsListEmpty<T>(head: LIST_ENTRY<T>): boolean {
  checkPointer("IsListEmpty", "head", head, LIST_ENTRY, "a LIST_ENTRY");
  return head.Flink === head;
}

/** InsertTailList. */
export function InsertTailList<T>(head: LIST_ENTRY<T>, entry: LIST_ENTRY<T>): void {
  checkPointer("InsertTailList", "head", head, LIST_ENTRY, "a LIST_ENTRY");
  checkPointer("InsertTailList", "entry", entry, LIST_ENTRY, "a LIST_ENTRY");
  const last = head.Blink;
  entry.Flink = head;
  entry.Blink = last;
  last.Flink = entry;
  head.Blink = entry;
}

/** InsertHeadList. */
export function InsertHeadList<T>(head: LIST_ENTRY<T>, entry: LIST_ENTRY<T>): void {
  checkPointer("InsertHeadList", "head", head, LIST_ENTRY, "a LIST_ENTRY");
  checkPointer("InsertHeadList", "entry", entry, LIST_ENTRY, "a LIST_ENTRY");
  const first = head.Flink;
  entry.Flink = first;
  entry.Blink = head;
  first.Blink = entry;
  head.Flink = entry;
}

/**
 * RemoveEntryList: unlinks the entry and returns true when the list is now empty. The entry is
 * left pointing at itself, so removing it twice is harmless (as with the WDK's hardened lists).
 */
export function RemoveEntryList<T>(entry: LIST_ENTRY<T>): boolean {
  checkPointer("RemoveEntryList", "entry", entry, LIST_ENTRY, "a LIST_ENTRY");
  const next = entry.Flink;
  const prev = entry.Blink;
  prev.Flink = next;
  next.Blink = prev;
  entry.Flink = entry;
  entry.Blink = entry;
  return next === prev;
}

/** RemoveHeadList: the first entry, or the head itself when the list is empty. */
export function RemoveHeadList<T>(head: LIST_ENTRY<T>): LIST_ENTRY<T> {
  checkPointer("RemoveHeadList", "head", head, LIST_ENTRY, "a LIST_ENTRY");
  const entry = head.Flink;
  RemoveEntryList(entry);
  return entry;
}

/** RemoveTailList: the last entry, or the head itself when the list is empty. */
export function RemoveTailList<T>(head: LIST_ENTRY<T>): LIST_ENTRY<T> {
  checkPointer("RemoveTailList", "head", head, LIST_ENTRY, "a LIST_ENTRY");
  const entry = head.Blink;
  RemoveEntryList(entry);
  return entry;
}

/**
 * CONTAINING_RECORD: the structure an entry is embedded in — a LIST_ENTRY's, or any other
 * embedded record's that names its container (a KDEVICE_QUEUE_ENTRY's IRP).
 */
export function CONTAINING_RECORD<T>(entry: { readonly container: T | undefined }): T {
  const c = (entry as { container?: T } | null | undefined)?.container;
  // On Windows the macro's arithmetic gives an address that is no such structure: using it faults.
  if (c === undefined) badPointer("CONTAINING_RECORD", "Address", entry, "an entry embedded in a structure (not a list head or a free-standing entry)");
  return c;
}

/** Iterates the containers of a list's entries (the list must not change while iterating). */
export function* listEntries<T>(head: LIST_ENTRY<T>): Generator<T> {
  for (let e = head.Flink; e !== head; e = e.Flink) {
    if (e.container !== undefined) yield e.container;
  }
}
