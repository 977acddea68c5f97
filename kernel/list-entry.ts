/**
 * LIST_ENTRY: NT's intrusive doubly linked list, with the WDK's helpers.
 *
 * An entry may name the structure that contains it (`container`), which is how
 * {@link CONTAINING_RECORD} recovers the IRP from `Irp.Tail.Overlay.ListEntry`.
 */
export class LIST_ENTRY<T = unknown> {
  /** The next entry (the head when this is the last; itself when the list is empty). */
  Flink: LIST_ENTRY<T>;
  /** The previous entry (the head when this is the first). */
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
  head.Flink = head;
  head.Blink = head;
}

/** IsListEmpty. */
export function IsListEmpty<T>(head: LIST_ENTRY<T>): boolean {
  return head.Flink === head;
}

/** InsertTailList. */
export function InsertTailList<T>(head: LIST_ENTRY<T>, entry: LIST_ENTRY<T>): void {
  const last = head.Blink;
  entry.Flink = head;
  entry.Blink = last;
  last.Flink = entry;
  head.Blink = entry;
}

/** InsertHeadList. */
export function InsertHeadList<T>(head: LIST_ENTRY<T>, entry: LIST_ENTRY<T>): void {
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
  const entry = head.Flink;
  RemoveEntryList(entry);
  return entry;
}

/** RemoveTailList: the last entry, or the head itself when the list is empty. */
export function RemoveTailList<T>(head: LIST_ENTRY<T>): LIST_ENTRY<T> {
  const entry = head.Blink;
  RemoveEntryList(entry);
  return entry;
}

/**
 * CONTAINING_RECORD: the structure an entry is embedded in — a LIST_ENTRY's, or any other
 * embedded record's that names its container (a KDEVICE_QUEUE_ENTRY's IRP).
 */
export function CONTAINING_RECORD<T>(entry: { readonly container: T | undefined }): T {
  const c = entry.container;
  if (c === undefined) {
    throw new TypeError("CONTAINING_RECORD on a list head (or a free-standing entry): it is not embedded in a structure");
  }
  return c;
}

/** Iterates the containers of a list's entries (the list must not change while iterating). */
export function* listEntries<T>(head: LIST_ENTRY<T>): Generator<T> {
  for (let e = head.Flink; e !== head; e = e.Flink) {
    if (e.container !== undefined) yield e.container;
  }
}
