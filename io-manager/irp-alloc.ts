/**
 * Allocating and freeing IRPs (lookaside lists, as NT's), and the per-thread IRP list.
 */
import { ExFreePoolWithTag } from "../kernel/api-ex.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { InsertHeadList, RemoveEntryList } from "../kernel/list-entry.js";
import type { Machine } from "../kernel/machine.js";
import type { KThread } from "../kernel/thread.js";
import { ioManager } from "./io-manager.js";
import { IRP, newIrp, type IrpOrigin } from "./irp.js";
import { checkPointer } from "../kernel/bad-pointer.js";

/** Largest stack an IRP may have (a CCHAR). */
const MAXIMUM_STACK_SIZE = 127;
/** The deepest stack the I/O manager's IRP lookaside lists hold (io-manager.ts keeps the same bound). */
const LOOKASIDE_STACK_LOCATIONS = 8;

/** Irp->AllocationFlags bits (wdm.h): IRP_QUOTA_CHARGED, the IRP was charged to the caller's quota. */
export const IRP_QUOTA_CHARGED = 0x01;
/** IRP_ALLOCATED_MUST_SUCCEED: the IRP came from the must-succeed reserve. */
export const IRP_ALLOCATED_MUST_SUCCEED = 0x02;
/** IRP_ALLOCATED_FIXED_SIZE: the IRP has the lookaside list's fixed stack depth, so IoReuseIrp and IoFreeIrp return it there. */
export const IRP_ALLOCATED_FIXED_SIZE = 0x04;
/** IRP_LOOKASIDE_ALLOCATION: the IRP came from the I/O manager's lookaside list. */
export const IRP_LOOKASIDE_ALLOCATION = 0x08;

/**
 * IoAllocateIrp: an IRP with `StackSize` locations, or NULL. The caller owns it: it must stop
 * completion with a routine that returns STATUS_MORE_PROCESSING_REQUIRED and free it with IoFreeIrp.
 * ChargeQuota sets IRP_QUOTA_CHARGED in Irp->AllocationFlags.
 */
export function IoAllocateIrp(StackSize: number, ChargeQuota = false): IRP | null {
  const t = currentMachine("IoAllocateIrp").kernelCall("IoAllocateIrp");
  const irp = allocateIrp(t.machine, StackSize, "IoAllocateIrp");
  if (irp && ChargeQuota) irp.AllocationFlags |= IRP_QUOTA_CHARGED;
  return irp;
}

/** IoAllocateIrp's work, for the I/O manager's own requests too. */
export function allocateIrp(m: Machine, stackSize: number, origin: IrpOrigin): IRP | null {
  if (!Number.isInteger(stackSize) || stackSize < 1 || stackSize > MAXIMUM_STACK_SIZE) return null;
  const io = ioManager(m);
  if (io.injectFailure("IoAllocateIrp")) return null;
  const irp = io.takeIrp(stackSize) ?? newIrp(stackSize, io.irpWatch);
  irp.id = io.nextId("irp");
  irp.allocated = true;
  irp.origin = origin;
  // Stacks up to the lookaside lists' depth come from them (fixed size); deeper ones from pool.
  irp.AllocationFlags = stackSize <= LOOKASIDE_STACK_LOCATIONS ? IRP_ALLOCATED_FIXED_SIZE | IRP_LOOKASIDE_ALLOCATION : 0;
  irp.issuedAt = m.now;
  io.liveIrps.add(irp);
  if (io.hooks.length !== 0) for (const h of io.hooks) h.irpAllocated?.(irp, m.runningThread());
  if (m.trace.on) m.trace.emit("IrpAllocated", { irp: irp.label, stackSize, origin });
  return irp;
}

/**
 * IoFreeIrp: returns an IRP to its lookaside list. Freeing an IRP twice, one a driver still
 * owns (dispatched and not completed), or one still queued to a thread is a bug check.
 */
export function IoFreeIrp(Irp: IRP): void {
  const t = currentMachine("IoFreeIrp").kernelCall("IoFreeIrp");
  checkPointer("IoFreeIrp", "Irp", Irp, IRP, "an IRP");
  for (const h of ioManager(t.machine).hooks) h.beforeFreeIrp?.(Irp, t);
  const memory = driverMemory.get(Irp);
  freeIrp(t.machine, Irp);
  // An IRP with no allocation flags (laid out by IoInitializeIrp) goes back to pool, as IopFreeIrp does.
  if (memory !== undefined) {
    driverMemory.delete(Irp);
    ExFreePoolWithTag(memory, null);
  }
}

/** The driver's memory behind each IRP laid out with IoInitializeIrp. */
export const driverMemory = new WeakMap<IRP, number>();

/** IoFreeIrp's work. */
export function freeIrp(m: Machine, irp: IRP): void {
  const io = ioManager(m);
  if (!irp.allocated) {
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, irp.id, 0, { detail: `${irp.label} was freed twice (IoFreeIrp)`, irp: irp.label });
  }
  if (irp.ThreadListEntry.Flink !== irp.ThreadListEntry) {
    m.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20c, 0, irp.id, 0, {
      detail: `IoFreeIrp on ${irp.label}, which is still queued to ${irp.Thread?.label ?? "a thread"}`,
      irp: irp.label,
    });
  }
  if (irp.CurrentLocation <= irp.StackCount) {
    m.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20b, 0, irp.id, 0, {
      detail: `IoFreeIrp on ${irp.label}, which ${irp.dispatchedTo ?? "a driver"} still owns (dispatched, not completed)`,
      irp: irp.label,
    });
  }
  irp.allocated = false;
  io.liveIrps.delete(irp);
  if (io.hooks.length !== 0) for (const h of io.hooks) h.irpFreed?.(irp);
  if (m.trace.on) m.trace.emit("IrpFreed", { irp: irp.label });
  io.recycleIrp(irp);
}

/** IopQueueIrpToThread: the IRP is the thread's until completion (its rundown cancels it). */
export function queueIrpToThread(irp: IRP, t: KThread): void {
  irp.Thread = t;
  InsertHeadList(t.IrpList, irp.ThreadListEntry);
}

/** IopUnQueueIrpFromThread. */
export function unqueueIrpFromThread(irp: IRP): void {
  RemoveEntryList(irp.ThreadListEntry);
}
