/**
 * Unld: a driver with a heartbeat timer, a history buffer in pool and "wait" requests it holds,
 * whose DriverUnload forgets one thing — which one, the build says.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  IoReleaseCancelSpinLock,
  IoSetCancelRoutine,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KDPC,
  KeAcquireSpinLock,
  KeCancelTimer,
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInitializeTimer,
  KeReleaseSpinLock,
  KeSetTimerEx,
  KSPIN_LOCK,
  KTIMER,
  METHOD_BUFFERED,
  NonPagedPool,
  NT_SUCCESS,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type DRIVER_INITIALIZE,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Held until the driver has something to say (or the request is cancelled). */
export const IOCTL_UNLD_WAIT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa00, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** What DriverUnload forgets. */
export type UnldBug = "timer" | "pending-request" | "pool" | "device" | "symbolic-link";

/** The heartbeat's period. */
const UNLD_HEARTBEAT_MS = 50;
/** The history buffer's size and tag. */
const UNLD_HISTORY_BYTES = 256;
const UNLD_TAG = "UnlH";

/** Unld's device extension. */
export class UNLD_EXTENSION {
  readonly Lock = new KSPIN_LOCK("UnldLock");
  readonly Heartbeat = new KTIMER(false, "UnldHeartbeat");
  readonly HeartbeatDpc = new KDPC<DEVICE_OBJECT>();
  Beats = 0;
  History = 0;
  Waiter: IRP | null = null;
}

function UnldExtension(DeviceObject: DEVICE_OBJECT): UNLD_EXTENSION {
  return DeviceObject.DeviceExtension as UNLD_EXTENSION;
}

/** The three-line completion. */
function UnldComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/** Counts heartbeats. */
const UnldHeartbeatDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function UnldHeartbeatDpc(_Dpc, DeviceObject) {
  UnldExtension(DeviceObject).Beats++;
};

/**
 * Cancel routine of the waiting request.
 *
 * @param DeviceObject the Unld device.
 * @param Irp the waiting request.
 */
const UnldCancelRoutine: DRIVER_CANCEL = function UnldCancelRoutine(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = UnldExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  if (ext.Waiter === Irp) ext.Waiter = null;
  KeReleaseSpinLock(ext.Lock, oldIrql);
  UnldComplete(Irp, STATUS_CANCELLED);
};

/**
 * IRP_MJ_DEVICE_CONTROL: IOCTL_UNLD_WAIT is held with a cancel routine.
 *
 * @returns STATUS_PENDING, or the final status.
 */
const UnldDeviceControl: DRIVER_DISPATCH = function UnldDeviceControl(DeviceObject, Irp) {
  const ext = UnldExtension(DeviceObject);
  if (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode !== IOCTL_UNLD_WAIT) return UnldComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  if (ext.Waiter) {
    KeReleaseSpinLock(ext.Lock, oldIrql);
    return UnldComplete(Irp, STATUS_DEVICE_BUSY);
  }
  IoSetCancelRoutine(Irp, UnldCancelRoutine);
  if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
    KeReleaseSpinLock(ext.Lock, oldIrql);
    return UnldComplete(Irp, STATUS_CANCELLED);
  }
  IoMarkIrpPending(Irp);
  ext.Waiter = Irp;
  KeReleaseSpinLock(ext.Lock, oldIrql);
  return STATUS_PENDING;
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const UnldCreateClose: DRIVER_DISPATCH = function UnldCreateClose(_DeviceObject, Irp) {
  return UnldComplete(Irp, STATUS_SUCCESS);
};

/**
 * Makes Unld's DriverEntry; its DriverUnload forgets what `bug` names.
 *
 * @param bug what DriverUnload forgets.
 * @returns the DriverEntry routine.
 */
export function makeUnldDriver(bug: UnldBug): DRIVER_INITIALIZE {
  /**
   * DriverUnload: stops the heartbeat, frees the history, removes the link and the device —
   * except for the one step this build forgets.
   *
   * @param DriverObject this driver.
   */
  function UnldUnload(DriverObject: DRIVER_OBJECT): void {
    const device = DriverObject.DeviceObject;
    if (!device) return;
    const ext = UnldExtension(device);
    if (bug !== "pending-request") {
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      const waiter = ext.Waiter && IoSetCancelRoutine(ext.Waiter, null) !== null ? ext.Waiter : null;
      if (waiter) ext.Waiter = null;
      KeReleaseSpinLock(ext.Lock, oldIrql);
      if (waiter) UnldComplete(waiter, STATUS_CANCELLED);
    }
    if (bug !== "timer") KeCancelTimer(ext.Heartbeat);
    if (bug !== "pool") ExFreePoolWithTag(ext.History, UNLD_TAG);
    if (bug !== "symbolic-link") IoDeleteSymbolicLink("\\DosDevices\\BuggyUnload");
    if (bug !== "device") IoDeleteDevice(device);
  }

  return function UnldDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const ext = new UNLD_EXTENSION();
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyUnload", FILE_DEVICE_UNKNOWN, 0, false);
    if (!NT_SUCCESS(status) || !DeviceObject) return status;
    KeInitializeSpinLock(ext.Lock);
    ext.History = ExAllocatePoolWithTag(NonPagedPool, UNLD_HISTORY_BYTES, UNLD_TAG);
    if (ext.History === 0) {
      IoDeleteDevice(DeviceObject);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeTimer(ext.Heartbeat);
    KeInitializeDpc(ext.HeartbeatDpc, UnldHeartbeatDpc, DeviceObject as DEVICE_OBJECT);
    KeSetTimerEx(ext.Heartbeat, -10_000 * UNLD_HEARTBEAT_MS, UNLD_HEARTBEAT_MS, ext.HeartbeatDpc);
    IoCreateSymbolicLink("\\DosDevices\\BuggyUnload", "\\Device\\BuggyUnload");
    DriverObject.MajorFunction[IRP_MJ_CREATE] = UnldCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = UnldCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = UnldCreateClose;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = UnldDeviceControl;
    DriverObject.DriverUnload = UnldUnload;
    return STATUS_SUCCESS;
  };
}
