/**
 * Driver Verifier's Force Pending I/O Requests: when a verified driver passes an IRP down with
 * IoCallDriver and the lower driver completes it at once, the completion is held back, the
 * caller gets STATUS_PENDING, and the IRP completes a moment later in another context. Drivers
 * whose "pending" paths are never exercised by their own lower drivers get them exercised.
 */
import type { Machine } from "../kernel/machine.js";
import type { MaybePromise } from "../kernel/objects.js";
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import { STATUS_PENDING, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { callDriver } from "./call-driver.js";
import { unwindCompletion } from "./completion.js";
import { SL_PENDING_RETURNED } from "./constants.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import { ioManager } from "./io-manager.js";
import type { IRP } from "./irp.js";

/** How long (virtual milliseconds) a held-back completion waits before it runs. */
export const FORCED_PENDING_DELAY_MS = 1;

/**
 * IoCallDriver with the lower driver's completion held back: returns STATUS_PENDING when the
 * lower driver completed the IRP during the call (the completing location is marked pending, so
 * PendingReturned reaches every completion routine above), and otherwise what it returned.
 */
export function callDriverForcingPending(t: KThread, device: DEVICE_OBJECT, irp: IRP): MaybePromise<NTSTATUS> {
  const m = t.machine;
  const forced = ioManager(m).forcedPending;
  const id = irp.id;
  forced.set(irp, 1);
  const finish = (status: NTSTATUS): NTSTATUS => {
    const held = forced.get(irp) === 2;
    // A held completion stays marked (2) until it runs, so a second IoCompleteRequest is 0x44.
    if (!held) forced.delete(irp);
    if (irp.id !== id || !irp.allocated || !held) return status;
    const sl = irp.Stack[irp.CurrentLocation - 1];
    if (sl) sl.Control |= SL_PENDING_RETURNED;
    m.after(FORCED_PENDING_DELAY_MS, `Driver Verifier completes ${irp.label} (forced pending)`, () => {
      releaseHeldCompletion(m, irp, id);
    });
    return STATUS_PENDING;
  };
  const fail = (e: unknown): never => {
    forced.delete(irp);
    throw e;
  };
  let r: MaybePromise<NTSTATUS>;
  try {
    r = callDriver(t, device, irp);
  } catch (e) {
    return fail(e);
  }
  if (r instanceof Promise) return r.then(finish, fail);
  return finish(r);
}

/** Runs the held-back part of completion at DISPATCH_LEVEL, as a DPC on another processor would. */
function releaseHeldCompletion(m: Machine, irp: IRP, id: number): void {
  ioManager(m).forcedPending.delete(irp);
  if (irp.id !== id || !irp.allocated) return;
  const t = m.currentThread("IoCompleteRequest");
  const old = m.interrupts.raise(t, DISPATCH_LEVEL);
  const token = m.enterActivity("Driver Verifier", "forced-pending completion");
  try {
    unwindCompletion(t, irp);
  } finally {
    m.leaveActivity(token);
  }
  m.interrupts.lower(t, old);
}
