/**
 * I/O work items (IoAllocateWorkItem, IoQueueWorkItem(Ex), IoFreeWorkItem, IoSizeofWorkItem,
 * IoInitializeWorkItem, IoUninitializeWorkItem): a driver's routine run later on a system worker
 * thread at PASSIVE_LEVEL.
 *
 * What they add to ExQueueWorkItem is the unload-safety rule: a queued I/O work item holds a
 * reference on its device (or driver) object from IoQueueWorkItem until its routine returns, so
 * the driver's image cannot be unloaded while the routine is queued or running. A routine queued
 * with ExQueueWorkItem that starts after its driver was unloaded runs code that is gone.
 *
 * NT's own checks apply (bug check WORKER_INVALID): queuing an item that is already queued,
 * freeing one that is queued, an invalid queue type or a NULL routine, an item initialised with
 * something that is not a device or driver object.
 */
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPoolNx } from "../kernel/api-ex.js";
import { SyncBugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { notTheStructure, nullDereference } from "../kernel/interlocked.js";
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { MaybePromise } from "../kernel/objects.js";
import type { KThread } from "../kernel/thread.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { DRIVER_OBJECT } from "./driver-object.js";
import { finishDeviceDeletion, unloadImageIfUnused } from "./device.js";

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** IoQueueWorkItem(Ex) queued `item`: its `routine` will run on a system worker thread. */
    WorkItemQueued: { /** The work item's label. */ item: string; routine: string; /** The WORK_QUEUE_TYPE (DelayedWorkQueue, CriticalWorkQueue…). */ queue: number; driver: string | null };
  }
}

/** WORK_QUEUE_TYPE (wdm.h): which system worker queue runs the item. */
export const WORK_QUEUE_TYPE = {
  CriticalWorkQueue: 0,
  DelayedWorkQueue: 1,
  HyperCriticalWorkQueue: 2,
  NormalWorkQueue: 3,
  BackgroundWorkQueue: 4,
  RealTimeWorkQueue: 5,
  SuperCriticalWorkQueue: 6,
  MaximumWorkQueue: 7,
  CustomPriorityWorkQueue: 32,
} as const;
export const { CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue, NormalWorkQueue, BackgroundWorkQueue, RealTimeWorkQueue, SuperCriticalWorkQueue, MaximumWorkQueue, CustomPriorityWorkQueue } = WORK_QUEUE_TYPE;

/** PIO_WORKITEM_ROUTINE: runs at PASSIVE_LEVEL on a system worker thread; may wait. */
export type IO_WORKITEM_ROUTINE<C = unknown> = (DeviceObject: DEVICE_OBJECT, Context: C) => MaybePromise<void>;
/** PIO_WORKITEM_ROUTINE_EX: also gets the work item, which it may free. */
export type IO_WORKITEM_ROUTINE_EX<C = unknown> = (IoObject: DEVICE_OBJECT | DRIVER_OBJECT, Context: C, IoWorkItem: IO_WORKITEM) => MaybePromise<void>;

/** What an IO_WORKITEM is bound to: a device object or, with IoInitializeWorkItem, a driver object. */
type IoObject = DEVICE_OBJECT | DRIVER_OBJECT;

/**
 * IO_WORKITEM: opaque to drivers. Made by IoAllocateWorkItem (in nonpaged pool), or initialised
 * by IoInitializeWorkItem in storage the driver provides (an object of this class, or a nonpaged
 * pool block of IoSizeofWorkItem() bytes given by its address).
 */
export class IO_WORKITEM {
  /** The object the item references while queued; null once uninitialised or freed. */
  IoObject: IoObject | null = null;
  /** The pool block holding the item (IoAllocateWorkItem's, or the driver's), or 0. */
  address = 0;
  /** IoAllocateWorkItem made it (so IoFreeWorkItem frees it). */
  allocated = false;
  /** Queued and not yet started (NT's WORK_QUEUE_ITEM.List.Flink != NULL). */
  queued = false;
  /** The routine and context of the current queuing. */
  private name = "";
  /** A name for messages and the trace (`workitem#N`). */
  get label(): string {
    return this.name || "IO_WORKITEM";
  }
  /** Names the item in messages and the trace. */
  set label(value: string) {
    this.name = value;
  }
}

/** PIO_WORKITEM: the item, or the address of the pool block a driver initialised it in. */
export type PIO_WORKITEM = IO_WORKITEM | number;

/** sizeof(IO_WORKITEM) on x86: the WORK_QUEUE_ITEM, routine, I/O object, context and type. */
const IO_WORKITEM_SIZE = 0x20;
/** The pool tag IoAllocateWorkItem allocates with ('IoWk'). */
const IO_WORKITEM_TAG = "IoWk";

/** Work items initialised in driver-provided pool blocks, by address, per machine. */
const itemsAt = new WeakMap<Machine, Map<number, IO_WORKITEM>>();
let nextItem = 0;

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/** The I/O work items a machine knows by address (for the verifier's check of freed pool). */
export function workItemsByAddress(m: Machine): ReadonlyMap<number, IO_WORKITEM> {
  return itemsAt.get(m) ?? new Map<number, IO_WORKITEM>();
}

function resolve(t: KThread, api: string, item: PIO_WORKITEM): IO_WORKITEM {
  if (typeof item === "number") {
    if (item === 0) nullDereference(t);
    const found = itemsAt.get(t.machine)?.get(item);
    if (!found) {
      return t.machine.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x3, item, 0, 0, {
        detail: `${api} with 0x${item.toString(16).toUpperCase()}, which IoInitializeWorkItem never initialised: an I/O work item must be initialised (or allocated with IoAllocateWorkItem) before use`,
      });
    }
    return found;
  }
  if (!(item instanceof IO_WORKITEM)) notTheStructure(t, api, "IoWorkItem", item, "an IO_WORKITEM");
  return item;
}

function checkIoObject(t: KThread, api: string, item: IO_WORKITEM | number, o: unknown): IoObject {
  if (o instanceof DEVICE_OBJECT || o instanceof DRIVER_OBJECT) return o;
  return t.machine.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x3, typeof item === "number" ? item : 0, 0, 0, {
    detail: `${api} with ${o === null || o === undefined ? "a NULL object" : "an object that is neither a device nor a driver object"}: an I/O work item belongs to a device object (or, through IoInitializeWorkItem, a driver object)`,
  });
}

/** IoSizeofWorkItem: the bytes a driver allocates for IoInitializeWorkItem. */
export function IoSizeofWorkItem(): number {
  return IO_WORKITEM_SIZE;
}

/**
 * IoAllocateWorkItem: a work item for `DeviceObject`, in nonpaged pool; NULL when the pool is
 * exhausted (or a low-resources simulation fails it). Free it with IoFreeWorkItem. IRQL <=
 * DISPATCH_LEVEL.
 */
export function IoAllocateWorkItem(DeviceObject: DEVICE_OBJECT): IO_WORKITEM | null {
  const t = kernel("IoAllocateWorkItem");
  const device = checkIoObject(t, "IoAllocateWorkItem", 0, DeviceObject instanceof DEVICE_OBJECT ? DeviceObject : null);
  const address = ExAllocatePoolWithTag(NonPagedPoolNx, IO_WORKITEM_SIZE, IO_WORKITEM_TAG);
  if (address === 0) return null;
  const item = new IO_WORKITEM();
  item.IoObject = device;
  item.address = address;
  item.allocated = true;
  item.label = `workitem#${++nextItem}`;
  return item;
}

/**
 * IoInitializeWorkItem: makes storage of IoSizeofWorkItem() bytes the driver allocated (an
 * IO_WORKITEM object, or the address of a nonpaged pool block) a work item of `IoObject`, a
 * device or driver object. Undo with IoUninitializeWorkItem before freeing the storage.
 */
export function IoInitializeWorkItem(IoObject: DEVICE_OBJECT | DRIVER_OBJECT, IoWorkItem: PIO_WORKITEM): void {
  const t = kernel("IoInitializeWorkItem");
  const o = checkIoObject(t, "IoInitializeWorkItem", IoWorkItem, IoObject);
  let item: IO_WORKITEM;
  if (typeof IoWorkItem === "number") {
    if (IoWorkItem === 0) nullDereference(t);
    if (!Number.isInteger(IoWorkItem)) notTheStructure(t, "IoInitializeWorkItem", "IoWorkItem", IoWorkItem, "an IO_WORKITEM or the address of IoSizeofWorkItem() bytes");
    // The item's fields are written into the driver's block (a fault there is the driver's).
    t.machine.mmu.fill(IoWorkItem, IO_WORKITEM_SIZE, 0);
    let map = itemsAt.get(t.machine);
    if (!map) {
      map = new Map();
      itemsAt.set(t.machine, map);
    }
    item = map.get(IoWorkItem) ?? new IO_WORKITEM();
    item.address = IoWorkItem;
    map.set(IoWorkItem, item);
  } else {
    // The item's fields are written through the pointer: anything but an item faults.
    if (!(IoWorkItem instanceof IO_WORKITEM)) notTheStructure(t, "IoInitializeWorkItem", "IoWorkItem", IoWorkItem, "an IO_WORKITEM or the address of IoSizeofWorkItem() bytes");
    item = IoWorkItem;
  }
  if (item.queued) {
    t.machine.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x1, item.address, 0, 0, { detail: `IoInitializeWorkItem on ${item.label}, which is queued: re-initialising an active work item corrupts the worker queue` });
  }
  item.IoObject = o;
  item.allocated = false;
  if (!item.label.startsWith("workitem#")) item.label = `workitem#${++nextItem}`;
}

/** IoUninitializeWorkItem: the storage of an initialised work item may be freed after this. */
export function IoUninitializeWorkItem(IoWorkItem: PIO_WORKITEM): void {
  const t = kernel("IoUninitializeWorkItem");
  const item = resolve(t, "IoUninitializeWorkItem", IoWorkItem);
  if (item.queued) {
    t.machine.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x2, item.address, 0, 0, { detail: `IoUninitializeWorkItem on ${item.label} while it is queued: wait until its routine has run` });
  }
  item.IoObject = null;
  if (typeof IoWorkItem === "number") itemsAt.get(t.machine)?.delete(IoWorkItem);
}

/**
 * IoFreeWorkItem: frees a work item from IoAllocateWorkItem. Freeing one that is queued is bug
 * check WORKER_INVALID (0x2): free it in its routine (or after it ran), never before.
 */
export function IoFreeWorkItem(IoWorkItem: IO_WORKITEM): void {
  const t = kernel("IoFreeWorkItem");
  const item = resolve(t, "IoFreeWorkItem", IoWorkItem);
  if (item.queued) {
    t.machine.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x2, item.address, 0, 0, {
      detail: `IoFreeWorkItem on ${item.label} while it is still queued: the worker thread would run freed memory. Free the item in its routine, or after the routine has signalled that it ran`,
    });
  }
  if (!item.allocated) {
    t.machine.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x42, item.address, 0, 0, {
      detail: `IoFreeWorkItem on ${item.label}, which IoAllocateWorkItem did not allocate${item.IoObject === null && item.address !== 0 ? " (it was already freed)" : ""}: use IoUninitializeWorkItem for items the driver initialised itself`,
    });
  }
  item.allocated = false;
  item.IoObject = null;
  ExFreePoolWithTag(item.address, IO_WORKITEM_TAG);
}

function queue<C>(api: string, itemArg: PIO_WORKITEM, routine: ((o: never, c: C, i: IO_WORKITEM) => MaybePromise<void>) | null, QueueType: number, Context: C): void {
  const t = kernel(api);
  const m = t.machine;
  if (t.irql > DISPATCH_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: work items are queued at DISPATCH_LEVEL or below` });
  }
  const item = resolve(t, api, itemArg);
  const o = item.IoObject;
  if (o === null) {
    return m.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x3, item.address, 0, 0, { detail: `${api} on ${item.label}, which has been freed or uninitialised` });
  }
  if (item.queued) {
    m.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x1, item.address, QueueType, 0, {
      detail: `${api} on ${item.label}, which is already queued: a work item may be queued again only once its routine has started`,
    });
  }
  const validQueue = Number.isInteger(QueueType) && ((QueueType >= 0 && QueueType < MaximumWorkQueue) || (QueueType >= CustomPriorityWorkQueue && QueueType < CustomPriorityWorkQueue + 32));
  if (!validQueue) {
    m.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x6, item.address, QueueType, 0, { detail: `${api} with queue type ${String(QueueType)}, which is not a WORK_QUEUE_TYPE` });
  }
  if (typeof routine !== "function") {
    return m.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x7, item.address, QueueType, 0, { detail: `${api} without a worker routine` });
  }
  // The unload-safety rule: the object (and so its driver's image) stays until the routine returns.
  m.ob.reference(o);
  item.queued = true;
  const name = routine.name || "work item";
  const driver = o instanceof DEVICE_OBJECT ? o.DriverObject.shortName : o.shortName;
  if (m.trace.on) m.trace.emit("WorkItemQueued", { item: item.label, routine: name, queue: QueueType, driver });
  m.queueWorkItem(name, async () => {
    item.queued = false;
    try {
      await routine(o as never, Context, item);
    } finally {
      releaseIoObject(m, o);
    }
  }, driver);
}

/** Drops the work item's reference: the device (and the driver's image) may go now. */
function releaseIoObject(m: Machine, o: IoObject): void {
  o.pointerCount--;
  if (o instanceof DEVICE_OBJECT) {
    if (o.deletePending && o.pointerCount <= 0) finishDeviceDeletion(m, o);
  } else {
    unloadImageIfUnused(m, o);
  }
}

/**
 * IoQueueWorkItem: runs `WorkerRoutine(DeviceObject, Context)` on a system worker thread at
 * PASSIVE_LEVEL, holding a reference on the item's device object until it returns (so the driver
 * cannot be unloaded underneath it). IRQL <= DISPATCH_LEVEL. The machine has one system worker
 * thread for every queue type; items run in the order they were queued.
 */
export function IoQueueWorkItem<C>(IoWorkItem: PIO_WORKITEM, WorkerRoutine: IO_WORKITEM_ROUTINE<C>, QueueType: number, Context: C): void {
  queue("IoQueueWorkItem", IoWorkItem, WorkerRoutine as (o: never, c: C, i: IO_WORKITEM) => MaybePromise<void>, QueueType, Context);
}

/**
 * IoQueueWorkItemEx: as IoQueueWorkItem, and the routine also receives the work item (which it
 * may free: the I/O manager no longer touches it once the routine is called).
 */
export function IoQueueWorkItemEx<C>(IoWorkItem: PIO_WORKITEM, WorkerRoutine: IO_WORKITEM_ROUTINE_EX<C>, QueueType: number, Context: C): void {
  queue("IoQueueWorkItemEx", IoWorkItem, WorkerRoutine as (o: never, c: C, i: IO_WORKITEM) => MaybePromise<void>, QueueType, Context);
}
