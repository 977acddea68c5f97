/**
 * Framework locks (wdfsync.h): WDFSPINLOCK, WDFWAITLOCK, and WdfObjectAcquireLock /
 * WdfObjectReleaseLock on a device's or queue's callback lock.
 */
import { WdfHandleBrand } from "./handles.js";
import { APC_LEVEL, DISPATCH_LEVEL, type KIRQL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { KSPIN_LOCK } from "../kernel/spin-lock.js";
import { STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, STATUS_TIMEOUT, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { fxEnter, fxIrqlOk, fxMachine, fxViolation, verifierOn } from "./globals.js";
import type { WDFOBJECT, WDFSPINLOCK, WDFWAITLOCK } from "./handles.js";
import { FxCallbackLock, FxWaitLockCore } from "./lock.js";
import { FxObject, defaultParent, fxObject, fxParent, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { FxDevice } from "./device.js";
import { FxIoQueue } from "./queue.js";
import type { FxDriverGlobals } from "./globals.js";

/** A framework spin lock. */
export class FxSpinLock extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFSPINLOCK";
  readonly lock: KSPIN_LOCK;
  oldIrql: KIRQL = 0;
  constructor(g: FxDriverGlobals, parent: FxObject | null) {
    super(g, "WDFSPINLOCK", parent);
    this.lock = new KSPIN_LOCK(this.label);
  }
}

/** A framework wait lock. */
export class FxWaitLock extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFWAITLOCK";
  readonly core: FxWaitLockCore;
  constructor(g: FxDriverGlobals, parent: FxObject | null) {
    super(g, "WDFWAITLOCK", parent);
    this.core = new FxWaitLockCore(this.label);
  }
}

function creator(t: KThread, api: string, attributes: WDF_OBJECT_ATTRIBUTES | null): { g: FxDriverGlobals; parent: FxObject | null } | NTSTATUS {
  const g = fxMachine(t.machine).currentGlobals();
  if (!g) return STATUS_INVALID_PARAMETER;
  if (!fxIrqlOk(t, g, api, DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (attributes?.ParentObject) {
    const p = fxParent(t, attributes.ParentObject, api);
    if (!p) return STATUS_INVALID_HANDLE;
    return { g, parent: p };
  }
  return { g, parent: defaultParent(g) };
}

/** WdfSpinLockCreate: a spin lock object (its parent the driver unless the attributes say). */
export function WdfSpinLockCreate(SpinLockAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS; STATUS_INVALID_HANDLE for a parent that is no framework object. */ status: NTSTATUS; /** The new spin lock, not held (null on failure). */ SpinLock: WDFSPINLOCK | null } {
  const t = fxEnter("WdfSpinLockCreate");
  const c = creator(t, "WdfSpinLockCreate", SpinLockAttributes);
  if (typeof c === "number") return { status: c, SpinLock: null };
  const l = new FxSpinLock(c.g, c.parent);
  l.applyAttributes(SpinLockAttributes);
  l.traceCreated();
  return { status: STATUS_SUCCESS, SpinLock: l };
}

/**
 * WdfSpinLockAcquire: raises to DISPATCH_LEVEL and takes the lock. Taking it again on the thread
 * that holds it is WDF_VIOLATION 0x2 under the verifier (a deadlock without it).
 */
export function WdfSpinLockAcquire(SpinLock: WDFSPINLOCK): void {
  const t = fxEnter("WdfSpinLockAcquire");
  const l = fxObject(t, SpinLock, FxSpinLock, "WDFSPINLOCK", "WdfSpinLockAcquire");
  if (!l) return;
  if (!fxIrqlOk(t, l.globals, "WdfSpinLockAcquire", DISPATCH_LEVEL)) return;
  const m = t.machine;
  if (l.lock.owner === t && verifierOn(m, l.globals)) fxViolation(m, l.globals, "RecursiveLock", `WdfSpinLockAcquire(${l.label}): ${m.describeContext()} already holds it.`, { p2: l.handle });
  l.oldIrql = m.interrupts.acquireSpinLock(l.lock, true);
}

/**
 * WdfSpinLockRelease: releases the lock and returns to the IRQL it was taken at. Releasing a lock
 * this thread does not hold is WDF_VIOLATION 0xB (parameter 3 = 1) under the verifier.
 */
export function WdfSpinLockRelease(SpinLock: WDFSPINLOCK): void {
  const t = fxEnter("WdfSpinLockRelease");
  const l = fxObject(t, SpinLock, FxSpinLock, "WDFSPINLOCK", "WdfSpinLockRelease");
  if (!l) return;
  const m = t.machine;
  if (l.lock.owner !== t) {
    if (verifierOn(m, l.globals)) {
      fxViolation(m, l.globals, "SpinLockNotHeld", `WdfSpinLockRelease(${l.label}) by ${m.describeContext()}, which does not hold it${l.lock.owner ? ` (${l.lock.ownerDescription} does)` : " (nobody does)"}.`, { p2: l.handle, p3: 1 });
    }
  }
  m.interrupts.releaseSpinLock(l.lock, l.oldIrql);
}

/** WdfWaitLockCreate: a wait lock object (its parent the driver unless the attributes say), acquired at PASSIVE_LEVEL. */
export function WdfWaitLockCreate(LockAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS; STATUS_INVALID_HANDLE for a parent that is no framework object. */ status: NTSTATUS; /** The new wait lock, not held (null on failure). */ Lock: WDFWAITLOCK | null } {
  const t = fxEnter("WdfWaitLockCreate");
  const c = creator(t, "WdfWaitLockCreate", LockAttributes);
  if (typeof c === "number") return { status: c, Lock: null };
  const l = new FxWaitLock(c.g, c.parent);
  l.applyAttributes(LockAttributes);
  l.traceCreated();
  return { status: STATUS_SUCCESS, Lock: l };
}

/**
 * WdfWaitLockAcquire: waits for the lock (KeEnterCriticalRegion first), for ever (`Timeout` null),
 * or at most `Timeout` (NT form; 0 only tries). Waiting needs IRQL <= APC_LEVEL; a zero timeout
 * may be tried at DISPATCH_LEVEL.
 *
 * @returns STATUS_SUCCESS, or STATUS_TIMEOUT when it was not acquired in time.
 */
export function WdfWaitLockAcquire(Lock: WDFWAITLOCK, Timeout: number | null): MaybePromise<NTSTATUS> {
  const t = fxEnter("WdfWaitLockAcquire");
  const l = fxObject(t, Lock, FxWaitLock, "WDFWAITLOCK", "WdfWaitLockAcquire");
  if (!l) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, l.globals, "WdfWaitLockAcquire", Timeout === 0 ? DISPATCH_LEVEL : APC_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  const m = t.machine;
  if (l.core.owner === t && verifierOn(m, l.globals)) fxViolation(m, l.globals, "RecursiveLock", `WdfWaitLockAcquire(${l.label}): ${m.describeContext()} already holds it.`, { p2: l.handle });
  if (l.core.tryAcquire(t)) {
    t.kernelApcDisable++;
    return STATUS_SUCCESS;
  }
  if (Timeout === 0) return STATUS_TIMEOUT;
  const timeout = Timeout === null ? null : Timeout < 0 ? -Timeout : Math.max(0, Timeout - m.now);
  return l.core.acquire(t, timeout, `WdfWaitLockAcquire(${l.label}) in ${m.describeContext()}`).then((st) => {
    if (st === STATUS_SUCCESS) t.kernelApcDisable++;
    return st;
  });
}

/** WdfWaitLockRelease: releases it (KeLeaveCriticalRegion); releasing one not held is WDF_VIOLATION 0xB under the verifier. */
export function WdfWaitLockRelease(Lock: WDFWAITLOCK): void {
  const t = fxEnter("WdfWaitLockRelease");
  const l = fxObject(t, Lock, FxWaitLock, "WDFWAITLOCK", "WdfWaitLockRelease");
  if (!l) return;
  const m = t.machine;
  if (l.core.owner !== t) {
    if (verifierOn(m, l.globals)) fxViolation(m, l.globals, "SpinLockNotHeld", `WdfWaitLockRelease(${l.label}) by ${m.describeContext()}, which does not hold it.`, { p2: l.handle, p3: 1 });
    if (l.core.owner === null) return;
  }
  t.kernelApcDisable = Math.max(0, t.kernelApcDisable - 1);
  l.core.release(t);
}

/** The callback lock of a device or queue, or null for other objects. */
function callbackLockOf(o: FxObject): FxCallbackLock | null {
  if (o instanceof FxDevice) return o.lock;
  if (o instanceof FxIoQueue) return o.ownLock;
  return null;
}

/**
 * WdfObjectAcquireLock: takes a device's or queue's synchronization lock (a spin lock, raising to
 * DISPATCH_LEVEL; for a passive-level object a wait lock, which may wait — await it then). Another
 * object type is WDF_VIOLATION 0xB (parameter 3 = 0); taking it twice is 0x2.
 */
export function WdfObjectAcquireLock(Object: WDFOBJECT): MaybePromise<void> {
  const t = fxEnter("WdfObjectAcquireLock");
  const o = fxObject(t, Object, FxObject, "WDFOBJECT", "WdfObjectAcquireLock");
  if (!o) return;
  const m = t.machine;
  const lock = callbackLockOf(o);
  if (!lock) {
    if (verifierOn(m, o.globals)) fxViolation(m, o.globals, "LockNotSupported", `WdfObjectAcquireLock(${o.label}): a ${o.typeName} has no synchronization lock.`, { p2: o.handle, p3: 0 });
    return;
  }
  if (!fxIrqlOk(t, o.globals, "WdfObjectAcquireLock", lock.maxIrql)) return;
  if (lock.owner === t && verifierOn(m, o.globals)) fxViolation(m, o.globals, "RecursiveLock", `WdfObjectAcquireLock(${o.label}): ${m.describeContext()} already holds ${lock.label}.`, { p2: o.handle });
  return lock.acquire(t);
}

/** WdfObjectReleaseLock: releases what WdfObjectAcquireLock took (returning to the caller's IRQL). */
export function WdfObjectReleaseLock(Object: WDFOBJECT): void {
  const t = fxEnter("WdfObjectReleaseLock");
  const o = fxObject(t, Object, FxObject, "WDFOBJECT", "WdfObjectReleaseLock");
  if (!o) return;
  const m = t.machine;
  const lock = callbackLockOf(o);
  if (!lock) {
    if (verifierOn(m, o.globals)) fxViolation(m, o.globals, "LockNotSupported", `WdfObjectReleaseLock(${o.label}): a ${o.typeName} has no synchronization lock.`, { p2: o.handle, p3: 0 });
    return;
  }
  if (lock.owner !== t) {
    if (verifierOn(m, o.globals)) fxViolation(m, o.globals, "SpinLockNotHeld", `WdfObjectReleaseLock(${o.label}) by ${m.describeContext()}, which does not hold ${lock.label}.`, { p2: o.handle, p3: 1 });
    if (lock.owner === null) return;
  }
  lock.release(t);
}
