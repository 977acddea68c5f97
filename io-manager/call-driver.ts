/**
 * IoCallDriver and what surrounds it: the target device, IoMarkIrpPending, the invalid-request
 * default, and running a driver routine with its name on the thread for diagnostics.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import type { MaybePromise } from "../kernel/objects.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_DEVICE_REQUEST, STATUS_PENDING, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { badPointer, checkRoutine } from "../kernel/bad-pointer.js";
import type { KThread } from "../kernel/thread.js";
import { SL_PENDING_RETURNED, majorFunctionName } from "./constants.js";
import { DEVICE_OBJECT } from "./device-object.js";
import type { DRIVER_DISPATCH } from "./driver-object.js";
import { FILE_OBJECT } from "./file-object.js";
import { ioManager } from "./io-manager.js";
import { IRP } from "./irp.js";
import { completeRequest } from "./completion.js";
import { callDriverForcingPending } from "./force-pending.js";

/**
 * IopInvalidDeviceRequest: what an unset MajorFunction entry does — complete the request with
 * STATUS_INVALID_DEVICE_REQUEST.
 */
export const IopInvalidDeviceRequest: DRIVER_DISPATCH = function IopInvalidDeviceRequest(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
  Irp.IoStatus.Information = 0;
  const t = currentMachine("IopInvalidDeviceRequest").currentThread();
  completeRequest(t, Irp);
  return STATUS_INVALID_DEVICE_REQUEST;
};

/**
 * IoCallDriver: moves the IRP to the next stack location, records the device there and calls
 * the driver's dispatch routine for the location's major function. Returns what the routine
 * returns — synchronously when the routine is synchronous, as a Promise when it waits.
 * Running out of stack locations is NO_MORE_IRP_STACK_LOCATIONS.
 */
export function IoCallDriver(DeviceObject: DEVICE_OBJECT, Irp: IRP): MaybePromise<NTSTATUS> {
  const t = currentMachine("IoCallDriver").kernelCall("IoCallDriver");
  if (!(DeviceObject instanceof DEVICE_OBJECT)) badPointer("IoCallDriver", "DeviceObject", DeviceObject, "a DEVICE_OBJECT");
  if (!(Irp instanceof IRP)) badPointer("IoCallDriver", "Irp", Irp, "an IRP");
  const force = ioManager(t.machine).forcePending;
  if (force !== null && force(Irp, DeviceObject, t)) return callDriverForcingPending(t, DeviceObject, Irp);
  const inject = ioManager(t.machine).forcePendingInjector;
  if (inject?.(Irp, DeviceObject)) return callDriverForcedPending(t, DeviceObject, Irp);
  return callDriver(t, DeviceObject, Irp);
}

/**
 * Driver Verifier's "Force Pending I/O Requests": the lower driver's location is marked pending
 * (so completion reports PendingReturned to the caller's completion routine, as for a request
 * the lower driver really pended) and IoCallDriver returns STATUS_PENDING whatever the lower
 * driver returns. The request may already be complete, even freed, when the caller sees it.
 */
function callDriverForcedPending(t: KThread, device: DEVICE_OBJECT, irp: IRP): MaybePromise<NTSTATUS> {
  const m = t.machine;
  const lower = irp.Stack[irp.CurrentLocation - 2];
  if (lower) lower.Control |= SL_PENDING_RETURNED;
  m.injected.push(`IoCallDriver(${irp.label}) to ${device.label} is forced to return STATUS_PENDING`);
  if (m.trace.on) m.trace.emit("Injection", { action: "forcePending", detail: `IoCallDriver(${irp.label}) to ${device.label} returns STATUS_PENDING`, at: m.describeContext() });
  const r = callDriver(t, device, irp);
  if (r instanceof Promise) return r.then(() => STATUS_PENDING);
  return STATUS_PENDING;
}

/** IoCallDriver's work, for the I/O manager's own requests too. */
export function callDriver(t: KThread, device: DEVICE_OBJECT, irp: IRP): MaybePromise<NTSTATUS> {
  const m = t.machine;
  irp.CurrentLocation--;
  if (irp.CurrentLocation <= 0) {
    m.bugCheck(BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS, irp.id, 0, 0, 0, {
      detail: `${irp.label} has no stack location left for ${device.label}: allocate it with the target's StackSize`,
      irp: irp.label,
    });
  }
  const sl = irp.Stack[irp.CurrentLocation - 1];
  if (!sl) {
    // Past the stack (completed, or skipped too far): Windows would dispatch on the garbage there.
    irp.CurrentLocation++;
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, `STATUS_ACCESS_VIOLATION: IoCallDriver was passed ${irp.label}, whose next stack location lies past its stack (CurrentLocation ${irp.CurrentLocation} of ${irp.StackCount}: it was completed, or skipped past its last location); dispatching reads the memory after the IRP`, { address: 0, write: false });
  }
  sl.DeviceObject = device;
  const driver = device.DriverObject;
  const routine = driver.MajorFunction[sl.MajorFunction] ?? IopInvalidDeviceRequest;
  const routineName = driver.routineName(routine);
  irp.dispatchedDriver = driver.shortName;
  irp.dispatchedRoutine = routineName;
  const io = ioManager(m);
  for (const h of io.hooks) h.beforeDispatch?.(irp, device, t);
  if (m.trace.on) {
    m.trace.emit("IrpDispatched", {
      irp: irp.label,
      major: majorFunctionName(sl.MajorFunction),
      minor: sl.MinorFunction,
      device: device.label,
      driver: driver.shortName,
      routine: routineName,
      ioctl: sl.MajorFunction === 0x0e || sl.MajorFunction === 0x0f ? sl.Parameters.DeviceIoControl.IoControlCode : 0,
    });
  }
  const irqlBefore = t.irql;
  const label = irp.label;
  const token = m.enterActivity("dispatch routine", routineName, driver.shortName);
  const after = (status: NTSTATUS): NTSTATUS => {
    m.leaveActivity(token);
    const s = status >>> 0;
    for (const h of io.hooks) h.afterDispatch?.(irp, device, s, irqlBefore, t);
    if (m.trace.on) m.trace.emit("IrpDispatchReturned", { irp: label, status: s, statusName: ntStatusName(s), driver: driver.shortName, routine: routineName });
    return s;
  };
  let r: MaybePromise<NTSTATUS>;
  try {
    // A MajorFunction entry a driver set to something that is no routine: the call through it faults.
    if (typeof routine !== "function") checkRoutine("IoCallDriver", `DriverObject->MajorFunction[${sl.MajorFunction}]`, routine);
    r = routine(device, irp);
  } catch (e) {
    m.leaveActivity(token);
    return m.unhandledKernelException(e, `dispatch routine ${driver.shortName}!${routineName}`);
  }
  if (r instanceof Promise) {
    return r.then(after, (e: unknown) => {
      m.leaveActivity(token);
      return m.unhandledKernelException(e, `dispatch routine ${driver.shortName}!${routineName}`);
    });
  }
  return after(r);
}

/** IoMarkIrpPending: the dispatch routine will return STATUS_PENDING and complete the IRP later. */
export function IoMarkIrpPending(Irp: IRP): void {
  const t = currentMachine("IoMarkIrpPending").kernelCall("IoMarkIrpPending");
  if (!(Irp instanceof IRP)) badPointer("IoMarkIrpPending", "Irp", Irp, "an IRP");
  markIrpPending(t, Irp);
  // A cancel landing just after the mark differs from one just before it (the IRP is pended).
  t.machine.returnPoint("IoMarkIrpPending");
}

/** IoMarkIrpPending's work (completion also propagates pending through it). */
export function markIrpPending(t: KThread, irp: IRP): void {
  const sl = irp.Stack[irp.CurrentLocation - 1];
  if (sl) sl.Control |= SL_PENDING_RETURNED;
  const m = t.machine;
  if (!irp.completed) irp.pendedBy = m.currentDriver();
  for (const h of ioManager(m).hooks) h.markPending?.(irp, t);
  if (m.trace.on) m.trace.emit("IrpMarkedPending", { irp: irp.label, driver: irp.pendedBy ?? "?" });
}

/** IoGetAttachedDevice: the top of the device stack above `DeviceObject`. */
export function IoGetAttachedDevice(DeviceObject: DEVICE_OBJECT): DEVICE_OBJECT {
  if (!(DeviceObject instanceof DEVICE_OBJECT)) badPointer("IoGetAttachedDevice", "DeviceObject", DeviceObject, "a DEVICE_OBJECT");
  let d = DeviceObject;
  while (d.AttachedDevice) d = d.AttachedDevice;
  return d;
}

/** IoGetRelatedDeviceObject: where requests on a file object go (the top of its device's stack). */
export function IoGetRelatedDeviceObject(FileObject: FILE_OBJECT): DEVICE_OBJECT {
  if (!(FileObject instanceof FILE_OBJECT)) badPointer("IoGetRelatedDeviceObject", "FileObject", FileObject, "a FILE_OBJECT");
  // Every file object the I/O manager opened names its device; one without reads NULL there and
  // the walk up the stack faults on it.
  const d = FileObject.DeviceObject;
  if (!d) return badPointer("IoGetRelatedDeviceObject", "FileObject->DeviceObject", d, "a DEVICE_OBJECT");
  return IoGetAttachedDevice(d);
}
