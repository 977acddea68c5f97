/**
 * Device queues (KDEVICE_QUEUE): the kernel's busy flag plus an ordered list of waiting entries
 * that the I/O manager's StartIo model (IoStartPacket, IoStartNextPacket) is built on, and the
 * Ke routines a driver may call on them.
 *
 * The queue's own spin lock is held only inside each routine, where nothing else can run on this
 * machine: every routine is atomic here, so the lock is kept as a field and not taken. The IRQL
 * rules are NT's DDI compliance rules: KeInsert*DeviceQueue and KeRemove(ByKey)DeviceQueue at
 * exactly DISPATCH_LEVEL (IrqlDispatch, bug check 0xC4 with P1 = 0x20003), KeInitializeDeviceQueue
 * and KeRemoveEntryDeviceQueue at or below it (IrqlKeDispatchLte, 0xC4 with P1 = 0x20011).
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { DISPATCH_LEVEL, irqlName } from "./irql.js";
import { InsertTailList, IsListEmpty, LIST_ENTRY, RemoveEntryList } from "./list-entry.js";
import { KSPIN_LOCK } from "./spin-lock.js";
import type { KThread } from "./thread.js";
import { checkNumber, checkPointer } from "./bad-pointer.js";

/** Driver Verifier's DDI compliance code for the IrqlDispatch rule (0xC4, parameter 1). */
export const DDI_IRQL_DISPATCH = 0x20003;
/** Driver Verifier's DDI compliance code for the IrqlKeDispatchLte rule (0xC4, parameter 1). */
export const DDI_IRQL_KE_DISPATCH_LTE = 0x20011;

/**
 * KDEVICE_QUEUE_ENTRY: one waiting request's link in a device queue, with its sort key and
 * whether it is in a queue now. `container` is the structure it is embedded in (the IRP, for
 * Irp->Tail.Overlay.DeviceQueueEntry), which CONTAINING_RECORD returns.
 */
export class KDEVICE_QUEUE_ENTRY<T = unknown> {
  /** Links the entry into its device queue. */
  readonly DeviceListEntry: LIST_ENTRY<KDEVICE_QUEUE_ENTRY<T>>;
  /** The key KeInsertByKeyDeviceQueue sorts by. */
  SortKey = 0;
  /** TRUE while the entry waits in a device queue. */
  Inserted = false;
  /** The structure the entry is embedded in (the IRP, for Irp->Tail.Overlay.DeviceQueueEntry). */
  readonly container: T | undefined;

  constructor(container?: T) {
    this.container = container;
    this.DeviceListEntry = new LIST_ENTRY<KDEVICE_QUEUE_ENTRY<T>>(this);
  }
}

/**
 * KDEVICE_QUEUE: a busy flag and the entries waiting while the device is busy, in FIFO order or
 * ascending by sort key. A new queue is initialised and not busy (IoCreateDevice gives each
 * device one, as NT does).
 */
export class KDEVICE_QUEUE<T = unknown> {
  /** The entries waiting, in order. */
  readonly DeviceListHead = new LIST_ENTRY<KDEVICE_QUEUE_ENTRY<T>>();
  /** The queue's spin lock (held only inside the Ke routines; see the file's comment). */
  readonly Lock = new KSPIN_LOCK("DeviceQueueLock");
  /** TRUE while the device is processing a request. */
  Busy = false;
}

/** The current thread, for a routine that must be called at exactly DISPATCH_LEVEL. */
export function atDispatchLevel(api: string): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql !== DISPATCH_LEVEL) {
    t.machine.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DDI_IRQL_DISPATCH, 0, 0, 0, {
      detail: `${api} was called at ${irqlName(t.irql)}; the IrqlDispatch rule requires DISPATCH_LEVEL (call it from a DPC, a StartIo routine or under a spin lock)`,
    });
  }
  return t;
}

/** The current thread, for a routine that may be called at or below DISPATCH_LEVEL. */
function atOrBelowDispatchLevel(api: string): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > DISPATCH_LEVEL) {
    t.machine.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DDI_IRQL_KE_DISPATCH_LTE, 0, 0, 0, {
      detail: `${api} was called at ${irqlName(t.irql)}; the IrqlKeDispatchLte rule requires DISPATCH_LEVEL or below`,
    });
  }
  return t;
}

// ---- The queue operations (no IRQL check: the I/O manager calls them at DISPATCH_LEVEL) ----

/** KeInsertDeviceQueue's work: FALSE (and the queue becomes busy) when it was idle; else queued at the tail. */
export function insertDeviceQueue<T>(queue: KDEVICE_QUEUE<T>, entry: KDEVICE_QUEUE_ENTRY<T>): boolean {
  if (!queue.Busy) {
    queue.Busy = true;
    entry.Inserted = false;
    return false;
  }
  InsertTailList(queue.DeviceListHead, entry.DeviceListEntry);
  entry.Inserted = true;
  return true;
}

/**
 * KeInsertByKeyDeviceQueue's work: as {@link insertDeviceQueue}, but a queued entry goes after
 * every entry whose key is less than or equal to its own and before the first greater one.
 */
export function insertByKeyDeviceQueue<T>(queue: KDEVICE_QUEUE<T>, entry: KDEVICE_QUEUE_ENTRY<T>, sortKey: number): boolean {
  entry.SortKey = sortKey >>> 0;
  if (!queue.Busy) {
    queue.Busy = true;
    entry.Inserted = false;
    return false;
  }
  const head = queue.DeviceListHead;
  let next = head.Flink;
  while (next !== head && (next.container as KDEVICE_QUEUE_ENTRY<T>).SortKey <= entry.SortKey) next = next.Flink;
  // Inserting at the tail of the list that starts at `next` puts the entry just before it.
  InsertTailList(next, entry.DeviceListEntry);
  entry.Inserted = true;
  return true;
}

/** KeRemoveDeviceQueue's work: the first entry, or null (and the queue idle) when it is empty. */
export function removeDeviceQueue<T>(queue: KDEVICE_QUEUE<T>): KDEVICE_QUEUE_ENTRY<T> | null {
  const head = queue.DeviceListHead;
  if (IsListEmpty(head)) {
    queue.Busy = false;
    return null;
  }
  const entry = head.Flink.container as KDEVICE_QUEUE_ENTRY<T>;
  RemoveEntryList(entry.DeviceListEntry);
  entry.Inserted = false;
  return entry;
}

/**
 * KeRemoveByKeyDeviceQueue's work: the first entry whose key is greater than or equal to
 * `sortKey`, or the first entry when none is; null (and the queue idle) when it is empty.
 */
export function removeByKeyDeviceQueue<T>(queue: KDEVICE_QUEUE<T>, sortKey: number): KDEVICE_QUEUE_ENTRY<T> | null {
  const head = queue.DeviceListHead;
  if (IsListEmpty(head)) {
    queue.Busy = false;
    return null;
  }
  const key = sortKey >>> 0;
  let e = head.Flink;
  while (e !== head && (e.container as KDEVICE_QUEUE_ENTRY<T>).SortKey < key) e = e.Flink;
  const entry = (e === head ? head.Flink.container : e.container) as KDEVICE_QUEUE_ENTRY<T>;
  RemoveEntryList(entry.DeviceListEntry);
  entry.Inserted = false;
  return entry;
}

/** KeRemoveEntryDeviceQueue's work: TRUE, and the entry unlinked, when it was queued. */
export function removeEntryDeviceQueue<T>(_queue: KDEVICE_QUEUE<T>, entry: KDEVICE_QUEUE_ENTRY<T>): boolean {
  if (!entry.Inserted) return false;
  entry.Inserted = false;
  RemoveEntryList(entry.DeviceListEntry);
  return true;
}

// ---- The routines drivers call ----------------------------------------------------------------

/** KeInitializeDeviceQueue: an empty queue that is not busy. */
export function KeInitializeDeviceQueue<T>(DeviceQueue: KDEVICE_QUEUE<T>): void {
  checkPointer("KeInitializeDeviceQueue", "DeviceQueue", DeviceQueue, KDEVICE_QUEUE, "a KDEVICE_QUEUE");
  atOrBelowDispatchLevel("KeInitializeDeviceQueue");
  DeviceQueue.DeviceListHead.Flink = DeviceQueue.DeviceListHead;
  DeviceQueue.DeviceListHead.Blink = DeviceQueue.DeviceListHead;
  DeviceQueue.Lock.owner = null;
  DeviceQueue.Busy = false;
}

/**
 * KeInsertDeviceQueue: if the device is busy, queues the entry at the tail and returns TRUE;
 * otherwise makes the device busy and returns FALSE — the caller must start the request itself.
 * Called at DISPATCH_LEVEL.
 */
export function KeInsertDeviceQueue<T>(DeviceQueue: KDEVICE_QUEUE<T>, DeviceQueueEntry: KDEVICE_QUEUE_ENTRY<T>): boolean {
  checkPointer("KeInsertDeviceQueue", "DeviceQueue", DeviceQueue, KDEVICE_QUEUE, "a KDEVICE_QUEUE");
  checkPointer("KeInsertDeviceQueue", "DeviceQueueEntry", DeviceQueueEntry, KDEVICE_QUEUE_ENTRY, "a KDEVICE_QUEUE_ENTRY");
  atDispatchLevel("KeInsertDeviceQueue");
  return insertDeviceQueue(DeviceQueue, DeviceQueueEntry);
}

/**
 * KeInsertByKeyDeviceQueue: as KeInsertDeviceQueue, but a queued entry is placed after every
 * entry whose sort key is less than or equal to `SortKey` and before any greater one. Called at
 * DISPATCH_LEVEL.
 */
export function KeInsertByKeyDeviceQueue<T>(DeviceQueue: KDEVICE_QUEUE<T>, DeviceQueueEntry: KDEVICE_QUEUE_ENTRY<T>, SortKey: number): boolean {
  checkPointer("KeInsertByKeyDeviceQueue", "DeviceQueue", DeviceQueue, KDEVICE_QUEUE, "a KDEVICE_QUEUE");
  checkPointer("KeInsertByKeyDeviceQueue", "DeviceQueueEntry", DeviceQueueEntry, KDEVICE_QUEUE_ENTRY, "a KDEVICE_QUEUE_ENTRY");
  atDispatchLevel("KeInsertByKeyDeviceQueue");
  SortKey = checkNumber("KeInsertByKeyDeviceQueue", "SortKey", SortKey);
  return insertByKeyDeviceQueue(DeviceQueue, DeviceQueueEntry, SortKey);
}

/**
 * KeRemoveDeviceQueue: removes and returns the first entry; when the queue is empty the device
 * becomes not busy and the result is null. Called at DISPATCH_LEVEL. (On a queue that is not
 * busy — an error the documentation names — the result is null, as on a free build.)
 */
export function KeRemoveDeviceQueue<T>(DeviceQueue: KDEVICE_QUEUE<T>): KDEVICE_QUEUE_ENTRY<T> | null {
  checkPointer("KeRemoveDeviceQueue", "DeviceQueue", DeviceQueue, KDEVICE_QUEUE, "a KDEVICE_QUEUE");
  atDispatchLevel("KeRemoveDeviceQueue");
  return removeDeviceQueue(DeviceQueue);
}

/**
 * KeRemoveByKeyDeviceQueue: removes and returns the first entry whose sort key is greater than
 * or equal to `SortKey`, or the first entry when there is none; when the queue is empty the
 * device becomes not busy and the result is null. Called at DISPATCH_LEVEL.
 */
export function KeRemoveByKeyDeviceQueue<T>(DeviceQueue: KDEVICE_QUEUE<T>, SortKey: number): KDEVICE_QUEUE_ENTRY<T> | null {
  checkPointer("KeRemoveByKeyDeviceQueue", "DeviceQueue", DeviceQueue, KDEVICE_QUEUE, "a KDEVICE_QUEUE");
  atDispatchLevel("KeRemoveByKeyDeviceQueue");
  SortKey = checkNumber("KeRemoveByKeyDeviceQueue", "SortKey", SortKey);
  return removeByKeyDeviceQueue(DeviceQueue, SortKey);
}

/**
 * KeRemoveEntryDeviceQueue: removes the entry if it is queued and returns TRUE; FALSE when it is
 * not (it is being processed, or was already removed). Called at or below DISPATCH_LEVEL.
 */
export function KeRemoveEntryDeviceQueue<T>(DeviceQueue: KDEVICE_QUEUE<T>, DeviceQueueEntry: KDEVICE_QUEUE_ENTRY<T>): boolean {
  checkPointer("KeRemoveEntryDeviceQueue", "DeviceQueue", DeviceQueue, KDEVICE_QUEUE, "a KDEVICE_QUEUE");
  checkPointer("KeRemoveEntryDeviceQueue", "DeviceQueueEntry", DeviceQueueEntry, KDEVICE_QUEUE_ENTRY, "a KDEVICE_QUEUE_ENTRY");
  atOrBelowDispatchLevel("KeRemoveEntryDeviceQueue");
  return removeEntryDeviceQueue(DeviceQueue, DeviceQueueEntry);
}
