/**
 * Cancel-safe IRP queues (IoCsq*): the driver supplies the queue and its lock; the I/O manager
 * handles the cancel races — an IRP cancelled as it is inserted, a cancel routine racing a
 * removal — so the driver writes no cancel routine of its own.
 */
import { currentMachine } from "../kernel/context.js";
import type { KIRQL } from "../kernel/irql.js";
import { NT_SUCCESS, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IoReleaseCancelSpinLock, IoSetCancelRoutine } from "./cancel.js";
import { markIrpPending } from "./call-driver.js";
import { IRP, type DRIVER_CANCEL } from "./irp.js";
import { checkPointer, checkRoutine } from "../kernel/bad-pointer.js";

/** CsqInsertIrp: adds the IRP to the driver's queue (called with the queue lock held). */
export type IO_CSQ_INSERT_IRP = (Csq: IO_CSQ, Irp: IRP) => void;
/** CsqInsertIrpEx: as CsqInsertIrp, and may refuse the IRP with a failure status. */
export type IO_CSQ_INSERT_IRP_EX = (Csq: IO_CSQ, Irp: IRP, InsertContext: unknown) => NTSTATUS;
/** CsqRemoveIrp: unlinks the IRP from the driver's queue (lock held). */
export type IO_CSQ_REMOVE_IRP = (Csq: IO_CSQ, Irp: IRP) => void;
/** CsqPeekNextIrp: the IRP after `Irp` (or the first when null) that matches PeekContext, or null. */
export type IO_CSQ_PEEK_NEXT_IRP = (Csq: IO_CSQ, Irp: IRP | null, PeekContext: unknown) => IRP | null;
/** CsqAcquireLock: takes the queue lock; returns the IRQL to give back (the C out-parameter). */
export type IO_CSQ_ACQUIRE_LOCK = (Csq: IO_CSQ) => KIRQL;
/** CsqReleaseLock. */
export type IO_CSQ_RELEASE_LOCK = (Csq: IO_CSQ, Irql: KIRQL) => void;
/** CsqCompleteCanceledIrp: completes an IRP that was cancelled while queued. */
export type IO_CSQ_COMPLETE_CANCELED_IRP = (Csq: IO_CSQ, Irp: IRP) => void;

/** IO_CSQ: the driver's six callbacks (initialise with IoCsqInitialize or IoCsqInitializeEx). */
export class IO_CSQ {
  /** The driver's routine that inserts an IRP into its queue (IoCsqInitialize). */
  CsqInsertIrp: IO_CSQ_INSERT_IRP | null = null;
  /**
   * The driver's routine that inserts an IRP and may refuse it with a status (IoCsqInitializeEx).
   */
  CsqInsertIrpEx: IO_CSQ_INSERT_IRP_EX | null = null;
  /** The driver's routine that unlinks an IRP from its queue. */
  CsqRemoveIrp: IO_CSQ_REMOVE_IRP | null = null;
  /**
   * The driver's routine that finds the next IRP after a given one (optionally matching a context).
   */
  CsqPeekNextIrp: IO_CSQ_PEEK_NEXT_IRP | null = null;
  /** The driver's routine that acquires the queue's lock. */
  CsqAcquireLock: IO_CSQ_ACQUIRE_LOCK | null = null;
  /** The driver's routine that releases the queue's lock. */
  CsqReleaseLock: IO_CSQ_RELEASE_LOCK | null = null;
  /** The driver's routine that completes an IRP the queue has taken off after it was cancelled. */
  CsqCompleteCanceledIrp: IO_CSQ_COMPLETE_CANCELED_IRP | null = null;
}

/** IO_CSQ_IRP_CONTEXT: lets a driver remove one specific IRP later (IoCsqRemoveIrp). */
export class IO_CSQ_IRP_CONTEXT {
  /** The IRP this context tracks while it is queued (null once removed). */
  Irp: IRP | null = null;
  /** The queue the IRP is in. */
  Csq: IO_CSQ | null = null;
}

/**
 * One of the queue's routines. An IO_CSQ nobody initialised has NULL there: the call through it
 * faults (STATUS_ACCESS_VIOLATION), as it does on Windows.
 */
function need<T>(f: T | null, name: string): T {
  if (typeof f !== "function") checkRoutine("the cancel-safe queue", `Csq->${name} (initialise the queue with IoCsqInitialize)`, f);
  return f as T;
}

/** IoCsqInitialize. */
export function IoCsqInitialize(
  Csq: IO_CSQ,
  CsqInsertIrp: IO_CSQ_INSERT_IRP,
  CsqRemoveIrp: IO_CSQ_REMOVE_IRP,
  CsqPeekNextIrp: IO_CSQ_PEEK_NEXT_IRP,
  CsqAcquireLock: IO_CSQ_ACQUIRE_LOCK,
  CsqReleaseLock: IO_CSQ_RELEASE_LOCK,
  CsqCompleteCanceledIrp: IO_CSQ_COMPLETE_CANCELED_IRP,
): NTSTATUS {
  checkPointer("IoCsqInitialize", "Csq", Csq, IO_CSQ, "an IO_CSQ");
  Csq.CsqInsertIrp = CsqInsertIrp;
  Csq.CsqInsertIrpEx = null;
  Csq.CsqRemoveIrp = CsqRemoveIrp;
  Csq.CsqPeekNextIrp = CsqPeekNextIrp;
  Csq.CsqAcquireLock = CsqAcquireLock;
  Csq.CsqReleaseLock = CsqReleaseLock;
  Csq.CsqCompleteCanceledIrp = CsqCompleteCanceledIrp;
  return STATUS_SUCCESS;
}

/** IoCsqInitializeEx: with an insert routine that may refuse an IRP. */
export function IoCsqInitializeEx(
  Csq: IO_CSQ,
  CsqInsertIrpEx: IO_CSQ_INSERT_IRP_EX,
  CsqRemoveIrp: IO_CSQ_REMOVE_IRP,
  CsqPeekNextIrp: IO_CSQ_PEEK_NEXT_IRP,
  CsqAcquireLock: IO_CSQ_ACQUIRE_LOCK,
  CsqReleaseLock: IO_CSQ_RELEASE_LOCK,
  CsqCompleteCanceledIrp: IO_CSQ_COMPLETE_CANCELED_IRP,
): NTSTATUS {
  checkPointer("IoCsqInitializeEx", "Csq", Csq, IO_CSQ, "an IO_CSQ");
  IoCsqInitialize(Csq, () => undefined, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock, CsqCompleteCanceledIrp);
  Csq.CsqInsertIrp = null;
  Csq.CsqInsertIrpEx = CsqInsertIrpEx;
  return STATUS_SUCCESS;
}

/** The queue an IRP belongs to and its context, kept in DriverContext[3] as NT does. */
function owner(irp: IRP): { csq: IO_CSQ; context: IO_CSQ_IRP_CONTEXT | null } | null {
  const v = irp.Tail.Overlay.DriverContext[3];
  if (v instanceof IO_CSQ_IRP_CONTEXT) return v.Csq ? { csq: v.Csq, context: v } : null;
  if (v instanceof IO_CSQ) return { csq: v, context: null };
  return null;
}

/**
 * The cancel routine a cancel-safe queue sets: drop the cancel spin lock, unlink the IRP under
 * the queue's lock, then let the driver complete it.
 */
const IopCsqCancelRoutine: DRIVER_CANCEL = function IopCsqCancelRoutine(_DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const o = owner(Irp);
  if (!o) return;
  const { csq, context } = o;
  const irql = need(csq.CsqAcquireLock, "CsqAcquireLock")(csq);
  need(csq.CsqRemoveIrp, "CsqRemoveIrp")(csq, Irp);
  if (context) context.Irp = null;
  Irp.Tail.Overlay.DriverContext[3] = null;
  need(csq.CsqReleaseLock, "CsqReleaseLock")(csq, irql);
  need(csq.CsqCompleteCanceledIrp, "CsqCompleteCanceledIrp")(csq, Irp);
};

/** The pointer arguments of IoCsqInsertIrp(Ex): a queue, an IRP, and a context or NULL. */
function checkArguments(api: string, csq: unknown, irp: unknown, context: unknown): void {
  checkPointer(api, "Csq", csq, IO_CSQ, "an IO_CSQ");
  checkPointer(api, "Irp", irp, IRP, "an IRP");
  if (context !== null && context !== undefined) checkPointer(api, "Context", context, IO_CSQ_IRP_CONTEXT, "an IO_CSQ_IRP_CONTEXT or NULL");
}

function insert(t: KThread, csq: IO_CSQ, irp: IRP, context: IO_CSQ_IRP_CONTEXT | null, insertContext: unknown): NTSTATUS {
  const irql = need(csq.CsqAcquireLock, "CsqAcquireLock")(csq);
  if (context) {
    context.Irp = irp;
    context.Csq = csq;
    irp.Tail.Overlay.DriverContext[3] = context;
  } else {
    irp.Tail.Overlay.DriverContext[3] = csq;
  }
  if (csq.CsqInsertIrpEx) {
    const status = csq.CsqInsertIrpEx(csq, irp, insertContext);
    if (!NT_SUCCESS(status)) {
      if (context) context.Irp = null;
      irp.Tail.Overlay.DriverContext[3] = null;
      need(csq.CsqReleaseLock, "CsqReleaseLock")(csq, irql);
      return status;
    }
  } else {
    need(csq.CsqInsertIrp, "CsqInsertIrp")(csq, irp);
  }
  markIrpPending(t, irp);
  IoSetCancelRoutine(irp, IopCsqCancelRoutine);
  // Cancelled before the routine was in place: take it back out and complete it here.
  if (irp.Cancel && IoSetCancelRoutine(irp, null) !== null) {
    need(csq.CsqRemoveIrp, "CsqRemoveIrp")(csq, irp);
    if (context) context.Irp = null;
    irp.Tail.Overlay.DriverContext[3] = null;
    need(csq.CsqReleaseLock, "CsqReleaseLock")(csq, irql);
    need(csq.CsqCompleteCanceledIrp, "CsqCompleteCanceledIrp")(csq, irp);
    return STATUS_SUCCESS;
  }
  need(csq.CsqReleaseLock, "CsqReleaseLock")(csq, irql);
  return STATUS_SUCCESS;
}

/**
 * IoCsqInsertIrp: queues the IRP (marking it pending and setting the queue's cancel routine). If
 * the IRP is already cancelled it is taken out again and CsqCompleteCanceledIrp completes it.
 */
export function IoCsqInsertIrp(Csq: IO_CSQ, Irp: IRP, Context: IO_CSQ_IRP_CONTEXT | null): void {
  const t = currentMachine("IoCsqInsertIrp").kernelCall("IoCsqInsertIrp");
  checkArguments("IoCsqInsertIrp", Csq, Irp, Context);
  insert(t, Csq, Irp, Context, null);
}

/** IoCsqInsertIrpEx: as IoCsqInsertIrp; returns CsqInsertIrpEx's failure (the IRP is not queued). */
export function IoCsqInsertIrpEx(Csq: IO_CSQ, Irp: IRP, Context: IO_CSQ_IRP_CONTEXT | null, InsertContext: unknown): NTSTATUS {
  const t = currentMachine("IoCsqInsertIrpEx").kernelCall("IoCsqInsertIrpEx");
  checkArguments("IoCsqInsertIrpEx", Csq, Irp, Context);
  return insert(t, Csq, Irp, Context, InsertContext);
}

/**
 * IoCsqRemoveIrp: removes the IRP a context names, unless its cancel routine has already started
 * (then the cancel path completes it and this returns null).
 */
export function IoCsqRemoveIrp(Csq: IO_CSQ, Context: IO_CSQ_IRP_CONTEXT): IRP | null {
  currentMachine("IoCsqRemoveIrp").kernelCall("IoCsqRemoveIrp");
  checkPointer("IoCsqRemoveIrp", "Csq", Csq, IO_CSQ, "an IO_CSQ");
  checkPointer("IoCsqRemoveIrp", "Context", Context, IO_CSQ_IRP_CONTEXT, "an IO_CSQ_IRP_CONTEXT");
  const irql = need(Csq.CsqAcquireLock, "CsqAcquireLock")(Csq);
  const irp = Context.Irp;
  let removed: IRP | null = null;
  if (irp && IoSetCancelRoutine(irp, null) !== null) {
    need(Csq.CsqRemoveIrp, "CsqRemoveIrp")(Csq, irp);
    irp.Tail.Overlay.DriverContext[3] = null;
    Context.Irp = null;
    removed = irp;
  }
  need(Csq.CsqReleaseLock, "CsqReleaseLock")(Csq, irql);
  return removed;
}

/**
 * IoCsqRemoveNextIrp: the next queued IRP that matches PeekContext and is not being cancelled,
 * removed from the queue; null when there is none.
 */
export function IoCsqRemoveNextIrp(Csq: IO_CSQ, PeekContext: unknown): IRP | null {
  currentMachine("IoCsqRemoveNextIrp").kernelCall("IoCsqRemoveNextIrp");
  checkPointer("IoCsqRemoveNextIrp", "Csq", Csq, IO_CSQ, "an IO_CSQ");
  const irql = need(Csq.CsqAcquireLock, "CsqAcquireLock")(Csq);
  const peek = need(Csq.CsqPeekNextIrp, "CsqPeekNextIrp");
  let irp = peek(Csq, null, PeekContext);
  while (irp) {
    if (IoSetCancelRoutine(irp, null) !== null) {
      need(Csq.CsqRemoveIrp, "CsqRemoveIrp")(Csq, irp);
      const o = owner(irp);
      if (o?.context) o.context.Irp = null;
      irp.Tail.Overlay.DriverContext[3] = null;
      break;
    }
    // Its cancel routine is running: leave it to the cancel path.
    irp = peek(Csq, irp, PeekContext);
  }
  need(Csq.CsqReleaseLock, "CsqReleaseLock")(Csq, irql);
  return irp;
}
