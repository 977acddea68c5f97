/**
 * IoConnectInterrupt and IoDisconnectInterrupt: a driver's interrupt service routine, connected
 * to its device's vector through an interrupt object.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { KINTERRUPT, interruptController, type KSERVICE_ROUTINE } from "../kernel/interrupt-object.js";
import { DISPATCH_LEVEL, HIGH_LEVEL, PASSIVE_LEVEL, type KIRQL } from "../kernel/irql.js";
import { KSPIN_LOCK } from "../kernel/spin-lock.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import { checkNumber, checkPointer, checkRoutine, isGiven } from "../kernel/bad-pointer.js";

/**
 * IoConnectInterrupt: connects `ServiceRoutine(Interrupt, ServiceContext)` to `Vector` at device
 * IRQL `Irql` (the interrupt object's lock is `SpinLock`, or its own when null). Returns
 * STATUS_INVALID_PARAMETER when no processor is enabled, the IRQLs are not device IRQLs with
 * `SynchronizeIrql >= Irql`, or the vector cannot be shared as asked (KeConnectInterrupt fails).
 * Callers run at PASSIVE_LEVEL.
 */
export function IoConnectInterrupt<C>(
  ServiceRoutine: KSERVICE_ROUTINE<C>,
  ServiceContext: C,
  SpinLock: KSPIN_LOCK | null,
  Vector: number,
  Irql: KIRQL,
  SynchronizeIrql: KIRQL,
  InterruptMode: number,
  ShareVector: boolean,
  ProcessorEnableMask: number,
  _FloatingSave: boolean,
): { /** STATUS_SUCCESS, or why the interrupt could not be connected. */ status: NTSTATUS; /** The connected interrupt object (null on failure). */ InterruptObject: KINTERRUPT<C> | null } {
  const t = currentMachine("IoConnectInterrupt").kernelCall("IoConnectInterrupt");
  checkRoutine("IoConnectInterrupt", "ServiceRoutine", ServiceRoutine);
  if (isGiven(SpinLock)) checkPointer("IoConnectInterrupt", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK or NULL");
  Vector = checkNumber("IoConnectInterrupt", "Vector", Vector);
  Irql = checkNumber("IoConnectInterrupt", "Irql", Irql);
  SynchronizeIrql = checkNumber("IoConnectInterrupt", "SynchronizeIrql", SynchronizeIrql);
  InterruptMode = checkNumber("IoConnectInterrupt", "InterruptMode", InterruptMode);
  ProcessorEnableMask = checkNumber("IoConnectInterrupt", "ProcessorEnableMask", ProcessorEnableMask);
  const m = t.machine;
  if (t.irql !== PASSIVE_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `IoConnectInterrupt at IRQL ${t.irql}: it is callable only at PASSIVE_LEVEL` });
  }
  const fail = { status: STATUS_INVALID_PARAMETER, InterruptObject: null };
  // One processor: bit 0 must be in the mask.
  if ((ProcessorEnableMask & 1) === 0) return fail;
  const deviceIrql = (x: number) => Number.isInteger(x) && x > DISPATCH_LEVEL && x <= HIGH_LEVEL;
  if (!deviceIrql(Irql) || !deviceIrql(SynchronizeIrql) || SynchronizeIrql < Irql) return fail;
  if (!Number.isInteger(Vector) || Vector < 0 || Vector > 0xff) return fail;
  const k = new KINTERRUPT<C>(ServiceRoutine, ServiceContext, SpinLock, Vector, Irql, SynchronizeIrql, InterruptMode, ShareVector, m.currentDriver());
  if (!interruptController(m).connect(k)) return fail;
  return { status: STATUS_SUCCESS, InterruptObject: k };
}

/** IoDisconnectInterrupt: the ISR is called no more; the last one on a vector masks the line. */
export function IoDisconnectInterrupt<C>(InterruptObject: KINTERRUPT<C>): void {
  const t = currentMachine("IoDisconnectInterrupt").kernelCall("IoDisconnectInterrupt");
  checkPointer("IoDisconnectInterrupt", "InterruptObject", InterruptObject, KINTERRUPT, "a KINTERRUPT");
  const m = t.machine;
  if (t.irql !== PASSIVE_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `IoDisconnectInterrupt at IRQL ${t.irql}: it is callable only at PASSIVE_LEVEL` });
  }
  interruptController(m).disconnect(InterruptObject);
}
