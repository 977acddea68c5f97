/**
 * The cancel spin lock, cancel routines and IoCancelIrp.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import type { KIRQL } from "../kernel/irql.js";
import type { KThread } from "../kernel/thread.js";
import { ioManager } from "./io-manager.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import { IRP, type DRIVER_CANCEL } from "./irp.js";
import { checkNumber, checkPointer, checkRoutine } from "../kernel/bad-pointer.js";

/** IoAcquireCancelSpinLock: takes the global cancel spin lock; returns the old IRQL. */
export function IoAcquireCancelSpinLock(): KIRQL {
  const t = currentMachine("IoAcquireCancelSpinLock").kernelCall("IoAcquireCancelSpinLock");
  return t.machine.interrupts.acquireSpinLock(ioManager(t.machine).cancelSpinLock, true);
}

/** IoReleaseCancelSpinLock(Irql). */
export function IoReleaseCancelSpinLock(Irql: KIRQL): void {
  const t = currentMachine("IoReleaseCancelSpinLock").kernelCall("IoReleaseCancelSpinLock");
  Irql = checkNumber("IoReleaseCancelSpinLock", "Irql", Irql);
  t.machine.interrupts.releaseSpinLock(ioManager(t.machine).cancelSpinLock, Irql);
}

/**
 * IoSetCancelRoutine: an atomic exchange of the IRP's cancel routine; returns the previous one.
 * (A cancel from another processor can land just after it returns: an injection point.)
 */
export function IoSetCancelRoutine(Irp: IRP, CancelRoutine: DRIVER_CANCEL | null): DRIVER_CANCEL | null {
  const t = currentMachine("IoSetCancelRoutine").kernelCall("IoSetCancelRoutine");
  checkPointer("IoSetCancelRoutine", "Irp", Irp, IRP, "an IRP");
  const previous = Irp.CancelRoutine;
  Irp.CancelRoutine = CancelRoutine;
  const m = t.machine;
  for (const h of ioManager(m).hooks) h.cancelRoutineSet?.(Irp, CancelRoutine, previous, t);
  if (m.trace.on) m.trace.emit("IrpCancelRoutineSet", { irp: Irp.label, routine: CancelRoutine ? CancelRoutine.name || "(anonymous)" : "NULL", previous: previous ? previous.name || "(anonymous)" : "NULL" });
  m.returnPoint("IoSetCancelRoutine");
  return previous;
}

/**
 * Calls a cancel routine the caller has just taken from the IRP, with the cancel spin lock
 * held by `t` and Irp.CancelIrql set: the part of IoCancelIrp after the exchange. `device` is
 * the DeviceObject the routine gets (the IRP's current device unless the caller names one), and
 * `by` the caller's name when it is not IoCancelIrp.
 */
export function invokeCancelRoutine(t: KThread, irp: IRP, routine: DRIVER_CANCEL, device: DEVICE_OBJECT | null = irp.currentDevice() ?? staleDevice(irp), by?: string): void {
  const m = t.machine;
  const io = ioManager(m);
  irp.cancelRoutineRan = true;
  const name = routine.name || "(anonymous)";
  const driver = device ? device.DriverObject.shortName : null;
  if (m.trace.on) m.trace.emit("IrpCancel", by === undefined ? { irp: irp.label, routine: name, called: true, driver: driver ?? "" } : { irp: irp.label, routine: name, called: true, driver: driver ?? "", by });
  for (const h of io.hooks) h.beforeCancelRoutine?.(irp, routine, t);
  const token = m.enterActivity("cancel routine", name, driver);
  try {
    // An IRP cancelled before it was sent has no device at its current location: the routine gets
    // what the location past its stack holds, NULL (see stackLocationAt in irp.ts).
    checkRoutine(`IoCancelIrp (${irp.label})`, "Irp->CancelRoutine", routine);
    (routine as (DeviceObject: DEVICE_OBJECT | null, Irp: IRP) => void)(device, irp);
  } catch (e) {
    m.leaveActivity(token);
    m.unhandledKernelException(e, `cancel routine ${name}`);
  }
  m.leaveActivity(token);
  if (m.trace.on) m.trace.emit("IrpCancelRoutineReturned", { irp: irp.label, routine: name, driver: driver ?? "" });
  // A routine that returns holding the cancel lock leaves it held (the verifier reports 0x11B);
  // whoever takes the lock next spins forever, which the machine reports as a deadlock.
  if (io.cancelSpinLock.owner === t) io.cancelSpinLock.ownerDescription = `cancel routine ${name} on ${t.label}, which returned without releasing it`;
  for (const h of io.hooks) h.afterCancelRoutine?.(irp, routine, t);
}

/**
 * The device a routine taken from an IRP that then completed gets (a driver race: another
 * processor took the routine, the driver completed the IRP anyway): what the IRP's last stack
 * location still says, as the stale location would give it on NT.
 */
function staleDevice(irp: IRP): DEVICE_OBJECT | null {
  for (let i = Math.min(irp.CurrentLocation, irp.StackCount) - 1; i >= 0; i--) {
    const d = irp.Stack[i]?.DeviceObject;
    if (d) return d;
  }
  return null;
}

/**
 * IoCancelIrp: marks the IRP cancelled and, if it has a cancel routine, takes the cancel spin
 * lock, clears the routine and calls it with the lock held and Irp.CancelIrql set (the routine
 * releases the lock). Returns whether a routine was called. An IRP its creator has not sent yet
 * has its cancel routine called too, as Windows does, with a NULL DeviceObject (the location past
 * the end of the stack names none).
 */
export function IoCancelIrp(Irp: IRP): boolean {
  const t = currentMachine("IoCancelIrp").kernelCall("IoCancelIrp");
  checkPointer("IoCancelIrp", "Irp", Irp, IRP, "an IRP");
  return cancelIrp(t, Irp);
}

/** IoCancelIrp's work, for the I/O manager's own cancellation paths too. */
export function cancelIrp(t: KThread, irp: IRP): boolean {
  const m = t.machine;
  const io = ioManager(m);
  const oldIrql = m.interrupts.acquireSpinLock(io.cancelSpinLock, true);
  irp.Cancel = true;
  const routine = irp.CancelRoutine;
  irp.CancelRoutine = null;
  for (const h of io.hooks) h.irpCancelled?.(irp, routine, t);
  if (!routine) {
    m.interrupts.releaseSpinLock(io.cancelSpinLock, oldIrql);
    if (m.trace.on) m.trace.emit("IrpCancel", { irp: irp.label, routine: "NULL", called: false, driver: "" });
    return false;
  }
  if (irp.CurrentLocation > irp.StackCount + 1) {
    m.bugCheck(BugCheckCode.CANCEL_STATE_IN_COMPLETED_IRP, irp.id, 0, 0, 0, { detail: `${irp.label} has a cancel routine (${routine.name}) but was already completed`, irp: irp.label });
  }
  irp.CancelIrql = oldIrql;
  invokeCancelRoutine(t, irp, routine);
  return true;
}
