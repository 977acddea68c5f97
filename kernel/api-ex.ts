/**
 * Executive routines drivers call by their wdm.h names: pool allocation with per-tag
 * accounting, work items and the previous mode.
 */
import { poolStructures } from "./pool-structures.js";
import { BugCheckCode, SyncBugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { APC_LEVEL, DISPATCH_LEVEL, type KPROCESSOR_MODE } from "./irql.js";
import { PoolType, poolTag, poolTagText, type POOL_TYPE } from "./pool.js";
import { callerSite } from "./source-location.js";
import { checkNumber, checkPointer, checkRoutine } from "./bad-pointer.js";
import type { KThread } from "./thread.js";

export { PoolType, poolTag, poolTagText };
export type { POOL_TYPE };
export const { NonPagedPool, PagedPool, NonPagedPoolNx, NonPagedPoolMustSucceed, NonPagedPoolCacheAligned, PagedPoolCacheAligned } = PoolType;

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

function isPaged(poolType: number): boolean {
  return (poolType & 1) === 1;
}

/**
 * ExAllocatePoolWithTag: returns the block's system address, or 0 (NULL) when the pool or memory
 * is exhausted. Paged pool needs IRQL <= APC_LEVEL, nonpaged pool <= DISPATCH_LEVEL (BAD_POOL_CALLER
 * 0x08 otherwise). `Tag` is a number or its four characters as a debugger shows them ("Samp").
 */
export function ExAllocatePoolWithTag(PoolType: number, NumberOfBytes: number, Tag: number | string): number {
  const t = kernel("ExAllocatePoolWithTag");
  const m = t.machine;
  PoolType = checkNumber("ExAllocatePoolWithTag", "PoolType", PoolType);
  const paged = isPaged(PoolType);
  if (t.irql > (paged ? APC_LEVEL : DISPATCH_LEVEL)) {
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x08, t.irql, PoolType, NumberOfBytes, {
      detail: `${paged ? "paged" : "nonpaged"} pool allocated at IRQL ${t.irql}`,
    });
  }
  if (!Number.isInteger(NumberOfBytes) || NumberOfBytes < 0) {
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x00, 0, PoolType, 0, { detail: `ExAllocatePoolWithTag with size ${String(NumberOfBytes)}` });
  }
  const pool = paged ? m.pagedPool : m.nonPagedPool;
  const tag = poolTag(Tag);
  // A simulated low-resources failure returns NULL as an exhausted pool would (never for
  // must-succeed pool, which Driver Verifier's simulation leaves alone too): the verifier's, or an
  // explorer's.
  let fail = PoolType !== 2 && (m.allocationFailure?.("ExAllocatePoolWithTag") ?? false);
  if (!fail && PoolType !== 2 && m.kernelHooks.length !== 0) {
    for (const h of m.kernelHooks) if (h.failAllocation?.(t, "ExAllocatePoolWithTag")) fail = true;
  }
  const address = fail ? 0 : pool.allocate(NumberOfBytes, tag, PoolType, m.trace.on ? callerSite() : null);
  if (address === 0 && PoolType === 2) {
    m.bugCheck(0x41, NumberOfBytes, 0, 0, 0, { detail: "MUST_SUCCEED_POOL_EMPTY" });
  }
  if (address !== 0 && m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.poolAllocated?.(t, address, NumberOfBytes, tag, paged);
  if (address !== 0 && m.trace.on) {
    m.trace.emit("PoolAllocated", { address, size: NumberOfBytes, tag: poolTagText(tag), poolType: paged ? "PagedPool" : "NonPagedPool" });
  }
  return address;
}

/** ExAllocatePool (tag 'None'). */
export function ExAllocatePool(PoolType: number, NumberOfBytes: number): number {
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, "None");
}

/**
 * ExFreePoolWithTag: a block freed twice, an address that is not a pool block, or a tag that
 * differs from the allocation's is BAD_POOL_CALLER. `P` may also be the MDL MmAllocatePagesForMdl
 * returned (after MmFreePagesFromMdl), which the WDK frees this way.
 */
export function ExFreePoolWithTag(P: number | object, Tag: number | string | null): void {
  const t = kernel("ExFreePoolWithTag");
  const m = t.machine;
  // A pool structure the memory manager handed out as an object (MmAllocatePagesForMdl's MDL).
  const structure = typeof P === "object" ? poolStructures.get(P) : undefined;
  if (structure) {
    structure(t);
    return;
  }
  // A pointer that is no number (NULL, undefined, an object) is no pool address: 0x42 below.
  if (typeof P !== "number") P = 0;
  const paged = m.pagedPool.inRange(P);
  const pool = paged ? m.pagedPool : m.nonPagedPool;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.freePool?.(t, P);
  if (t.irql > (paged ? APC_LEVEL : DISPATCH_LEVEL)) {
    // Learn, BAD_POOL_CALLER 0x09: P2 current IRQL, P3 pool type, P4 address of the pool.
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x09, t.irql, pool.block(P)?.poolType ?? (paged ? 1 : 0), P, { detail: `pool freed at IRQL ${t.irql}` });
  }
  const r = pool.contains(P) ? pool.free(P, Tag === null ? null : poolTag(Tag)) : "not-pool";
  if (r === "double-free") {
    // Learn, BAD_POOL_CALLER 0x07: P2 reserved, P3 pool header contents (the emulator keeps no
    // header: 0), P4 address of the block being freed.
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, 0, P, { detail: `pool block 0x${P.toString(16).toUpperCase()} freed twice` });
  }
  if (r === "not-pool") {
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x42, P, 0, 0, { detail: `ExFreePool of 0x${P.toString(16).toUpperCase()}, which is not a pool allocation` });
  }
  if (r === "wrong-tag") {
    const block = pool.block(P);
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x0a, P, block?.tag ?? 0, Tag === null ? 0 : poolTag(Tag), { detail: `ExFreePoolWithTag with tag ${Tag === null ? "?" : poolTagText(poolTag(Tag))}, but the block was allocated with ${poolTagText(block?.tag ?? 0)}` });
  }
  if (typeof r !== "string" && m.trace.on) m.trace.emit("PoolFreed", { address: P, size: r.size, tag: poolTagText(r.tag) });
}

/** ExFreePool (also the MDL of MmAllocatePagesForMdl, once its pages are freed). */
export function ExFreePool(P: number | object): void {
  ExFreePoolWithTag(P, null);
}

/** ExGetPreviousMode: the mode the current system service was called from. */
export function ExGetPreviousMode(): KPROCESSOR_MODE {
  return kernel("ExGetPreviousMode").previousMode;
}

/** WORK_QUEUE_ITEM for ExQueueWorkItem. */
export class WORK_QUEUE_ITEM<C = unknown> {
  /** The routine a system worker thread calls at PASSIVE_LEVEL (ExInitializeWorkItem). */
  WorkerRoutine: ((Parameter: C) => unknown) | null = null;
  /** The argument it is called with. */
  Parameter: C | undefined = undefined;
  /** Queued and not yet started (NT's List.Flink != NULL). */
  queued = false;
}

/** ExInitializeWorkItem. */
export function ExInitializeWorkItem<C>(Item: WORK_QUEUE_ITEM<C>, Routine: (Parameter: C) => unknown, Parameter: C): void {
  checkPointer("ExInitializeWorkItem", "Item", Item, WORK_QUEUE_ITEM, "a WORK_QUEUE_ITEM");
  Item.WorkerRoutine = Routine;
  Item.Parameter = Parameter;
  Item.queued = false;
}

/**
 * ExQueueWorkItem: the routine runs on the system worker thread at PASSIVE_LEVEL. It holds no
 * reference on the driver: a routine that starts after its driver was unloaded is bug check
 * 0xCE (IoQueueWorkItem exists to prevent that). Queuing an item that is already queued is bug
 * check WORKER_INVALID (0x1); an item without a routine faults in the worker thread.
 */
export function ExQueueWorkItem<C>(Item: WORK_QUEUE_ITEM<C>, QueueType = 0): void {
  const t = kernel("ExQueueWorkItem");
  const m = t.machine;
  checkPointer("ExQueueWorkItem", "Item", Item, WORK_QUEUE_ITEM, "a WORK_QUEUE_ITEM");
  if (t.irql > DISPATCH_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `ExQueueWorkItem at IRQL ${t.irql}: work items are queued at DISPATCH_LEVEL or below` });
  }
  const routine = Item.WorkerRoutine;
  if (typeof routine !== "function") {
    // ExQueueWorkItem does not check the routine: the worker thread's call through a NULL or bad
    // pointer faults there (0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED), not in ExQueueWorkItem.
    m.queueWorkItem("work item", () => {
      checkRoutine("the system worker thread", "WorkerRoutine (initialise the item with ExInitializeWorkItem)", routine);
    }, m.currentDriver());
    return;
  }
  if (Item.queued) {
    m.bugCheck(SyncBugCheckCode.WORKER_INVALID, 0x1, 0, QueueType, 0, { detail: `ExQueueWorkItem of ${routine.name || "a work item"}, which is already queued` });
  }
  Item.queued = true;
  m.queueWorkItem(
    routine.name || "work item",
    () => {
      Item.queued = false;
      return routine(Item.Parameter as C);
    },
    m.currentDriver(),
  );
}
