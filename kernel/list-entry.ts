/**
 * LIST_ENTRY: NT's intrusive doubly linked list, with the WDK's helpers.
 *
 * An entry may name the structure that contains it (`container`), which is how
 * {@link CONTAINING_RECORD} recovers the IRP from `Irp.Tail.Overlay.ListEntry`.
 */
import { badPointer, isGiven } from "./bad-pointer.js";

/**
 * LIST_ENTRY: a link of a circular doubly linked list, embedded in the structure it chains (an
 * IRP's Tail.Overlay.ListEntry, a driver's queue entry); a list head is a LIST_ENTRY of its own.
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
  if (!(head instanceof LIST_ENTRY)) badPointer("InitializeListHead", "head", head, "a LIST_ENTRY");
  head.Flink = head;
  head.Blink = head;
}

/** IsListEmpty. */
export function IsListEmpty<T>(head: LIST_ENTRY<T>): boolean {
  if (!(head instanceof LIST_ENTRY)) badPointer("IsListEmpty", "head", head, "a LIST_ENTRY");
  return head.Flink === head;
}

/** InsertTailList. */
export function InsertTailList<T>(head: LIST_ENTRY<T>, entry: LIST_ENTRY<T>): void {
  if (!(head instanceof LIST_ENTRY)) badPointer("InsertTailList", "head", head, "a LIST_ENTRY");
  if (!(entry instanceof LIST_ENTRY)) badPointer("InsertTailList", "entry", entry, "a LIST_ENTRY");
  const last = head.Blink;
  entry.Flink = head;
  entry.Blink = last;
  last.Flink = entry;
  head.Blink = entry;
}

/** InsertHeadList. */
export function InsertHeadList<T>(head: LIST_ENTRY<T>, entry: LIST_ENTRY<T>): void {
  if (!(head instanceof LIST_ENTRY)) badPointer("InsertHeadList", "head", head, "a LIST_ENTRY");
  if (!(entry instanceof LIST_ENTRY)) badPointer("InsertHeadList", "entry", entry, "a LIST_ENTRY");
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
  if (!(entry instanceof LIST_ENTRY)) badPointer("RemoveEntryList", "entry", entry, "a LIST_ENTRY");
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
  if (!(head instanceof LIST_ENTRY)) badPointer("RemoveHeadList", "head", head, "a LIST_ENTRY");
  const entry = head.Flink;
  RemoveEntryList(entry);
  return entry;
}

/** RemoveTailList: the last entry, or the head itself when the list is empty. */
export function RemoveTailList<T>(head: LIST_ENTRY<T>): LIST_ENTRY<T> {
  if (!(head instanceof LIST_ENTRY)) badPointer("RemoveTailList", "head", head, "a LIST_ENTRY");
  const entry = head.Blink;
  RemoveEntryList(entry);
  return entry;
}

/**
 * Finds the structure of class `Type` whose member `Field` (a name, or a dotted path such as
 * "Tail.Overlay.ListEntry") is `address`; the layer that knows where drivers keep structures
 * (the I/O manager: device extensions) registers one.
 */
export type ContainerFinder = (address: object, Type: abstract new (...args: never[]) => unknown, Field: string) => unknown;

const containerFinders: ContainerFinder[] = [];

/** Registers a {@link ContainerFinder} (done once, when the layer is loaded). */
export function registerContainerFinder(finder: ContainerFinder): void {
  if (!containerFinders.includes(finder)) containerFinders.push(finder);
}

/** The value of a member given by name or dotted path ("Tail.Overlay.ListEntry"), or undefined. */
export function memberAt(structure: unknown, Field: string): unknown {
  let v: unknown = structure;
  for (const part of Field.split(".")) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * CONTAINING_RECORD: the structure an embedded object lives in. With one argument, the entry names
 * its container (a LIST_ENTRY made with `new LIST_ENTRY(container)`, an IRP's ListEntry, a
 * KDEVICE_QUEUE_ENTRY). With C's three — CONTAINING_RECORD(Address, Type, Field) — any object
 * embedded in a driver's structure is found: an IO_CSQ, a KDPC or a KTIMER in a device extension,
 * a LIST_ENTRY in an IRP ("Tail.Overlay.ListEntry"). The structure is looked for where drivers keep
 * them: the entry's own container, then every device extension (and the structures nested in it).
 * C's macro is pointer arithmetic that cannot fail; when no such structure exists (a list head, a
 * free-standing entry, the wrong member named) the record it gives is a wild pointer, and irpsim
 * raises the access violation reading it raises (STATUS_ACCESS_VIOLATION, naming what was looked
 * for): catchable by __try/__except, else bug check 0x1E in kernel mode.
 */
export function CONTAINING_RECORD<T>(entry: { readonly container: T | undefined }): T;
export function CONTAINING_RECORD<T>(Address: object, Type: abstract new (...args: never[]) => T, Field: string): T;
export function CONTAINING_RECORD(entry: object, Type?: abstract new (...args: never[]) => unknown, Field?: string): unknown {
  const c = (entry as { readonly container?: unknown } | null | undefined)?.container;
  if (Type === undefined || Field === undefined) {
    // On Windows the macro's arithmetic gives an address that is no such structure: using it faults.
    if (c === undefined) badPointer("CONTAINING_RECORD", "Address", entry, "an entry embedded in a structure (not a list head or a free-standing entry)");
    return c;
  }
  if (typeof entry !== "object" || !isGiven(entry)) badPointer("CONTAINING_RECORD", "Address", entry, `the address of a ${Type.name}'s ${Field}`);
  if (c instanceof Type && memberAt(c, Field) === entry) return c;
  for (const find of containerFinders) {
    const found = find(entry, Type, Field);
    if (found !== undefined) return found;
  }
  // irpsim looks in the entry's container and in every device extension: a driver that keeps the
  // structure elsewhere gives the entry its container (new LIST_ENTRY(container)).
  return badPointer("CONTAINING_RECORD", "Address", entry, `the ${Field} of a ${Type.name}, but no ${Type.name} whose ${Field} is this object was found in the entry's container or any device extension`);
}

/** Iterates the containers of a list's entries (the list must not change while iterating). */
export function* listEntries<T>(head: LIST_ENTRY<T>): Generator<T> {
  for (let e = head.Flink; e !== head; e = e.Flink) {
    if (e.container !== undefined) yield e.container;
  }
}
