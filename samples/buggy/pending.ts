/**
 * Pend: a driver whose requests finish later, from a timer DPC ("the hardware"), with one
 * pending-protocol bug per control code.
 */
import {
  CONTAINING_RECORD,
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IO_STACK_LOCATION,
  InitializeListHead,
  InsertTailList,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  IsListEmpty,
  KDPC,
  KeAcquireSpinLock,
  KeAcquireSpinLockAtDpcLevel,
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInitializeTimer,
  KeReleaseSpinLock,
  KeReleaseSpinLockFromDpcLevel,
  KeSetTimer,
  KSPIN_LOCK,
  KTIMER,
  LIST_ENTRY,
  METHOD_BUFFERED,
  NT_SUCCESS,
  RemoveHeadList,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x920 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Queued until the hardware finishes; returns STATUS_PENDING without IoMarkIrpPending. */
export const IOCTL_PEND_READ_SENSOR = code(0);
/** Marks the request pending, finishes it at once on the fast path and returns its status. */
export const IOCTL_PEND_FAST_PATH = code(1);
/** Finishes the request at once without marking it pending, and returns STATUS_PENDING anyway. */
export const IOCTL_PEND_CALIBRATE = code(2);
/** Completes with the validation status but returns STATUS_SUCCESS. */
export const IOCTL_PEND_CONFIGURE = code(3);
/** A control code Pend does not know. */
export const IOCTL_PEND_UNKNOWN = code(0x3f);

/** How long the sensor takes. */
const PEND_SENSOR_MS = 10;

/** Pend's device extension. */
export class PEND_EXTENSION {
  readonly Lock = new KSPIN_LOCK("PendLock");
  /** Requests waiting for the sensor. */
  readonly Queue = new LIST_ENTRY<IRP>();
  readonly Timer = new KTIMER(false, "PendSensorTimer");
  readonly Dpc = new KDPC<DEVICE_OBJECT>();
}

function PendExtension(DeviceObject: DEVICE_OBJECT): PEND_EXTENSION {
  return DeviceObject.DeviceExtension as PEND_EXTENSION;
}

/**
 * The sensor's DPC: completes every queued request with the reading.
 */
const PendSensorDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function PendSensorDpc(_Dpc, DeviceObject) {
  const ext = PendExtension(DeviceObject);
  const done = new LIST_ENTRY<IRP>();
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  while (!IsListEmpty(ext.Queue)) InsertTailList(done, RemoveHeadList(ext.Queue));
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  while (!IsListEmpty(done)) {
    const Irp = CONTAINING_RECORD(RemoveHeadList(done));
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
  }
};

/** Validates a configuration request. */
function PendValidateConfiguration(stack: IO_STACK_LOCATION): NTSTATUS {
  return stack.Parameters.DeviceIoControl.InputBufferLength < 8 ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns STATUS_PENDING for queued requests, otherwise the final status.
 */
const PendDeviceControl: DRIVER_DISPATCH = function PendDeviceControl(DeviceObject, Irp) {
  const ext = PendExtension(DeviceObject);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  switch (stack.Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_PEND_READ_SENSOR: {
      // BUG: the request is queued and STATUS_PENDING returned, but it is never marked pending.
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      InsertTailList(ext.Queue, Irp.Tail.Overlay.ListEntry);
      KeReleaseSpinLock(ext.Lock, oldIrql);
      KeSetTimer(ext.Timer, -10_000 * PEND_SENSOR_MS, ext.Dpc);
      return STATUS_PENDING;
    }
    case IOCTL_PEND_FAST_PATH: {
      // BUG: marked pending up front, then finished on the fast path and its status returned.
      IoMarkIrpPending(Irp);
      Irp.IoStatus.Status = STATUS_SUCCESS;
      Irp.IoStatus.Information = 0;
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    }
    case IOCTL_PEND_CALIBRATE: {
      // BUG: the calibration finished at once and the IRP is complete, yet STATUS_PENDING is
      // returned for a request that was never marked pending.
      Irp.IoStatus.Status = STATUS_SUCCESS;
      Irp.IoStatus.Information = 0;
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return STATUS_PENDING;
    }
    case IOCTL_PEND_CONFIGURE: {
      // BUG: the IRP carries the validation's verdict, the return value says success.
      Irp.IoStatus.Status = PendValidateConfiguration(stack);
      Irp.IoStatus.Information = 0;
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    }
    default:
      // BUG: an unknown code is refused without completing the IRP.
      return STATUS_INVALID_PARAMETER;
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const PendCreateClose: DRIVER_DISPATCH = function PendCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * DriverEntry: creates \Device\BuggyPending and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function PendDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new PEND_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyPending", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  InitializeListHead(ext.Queue);
  KeInitializeTimer(ext.Timer);
  KeInitializeDpc(ext.Dpc, PendSensorDpc, DeviceObject as DEVICE_OBJECT);
  IoCreateSymbolicLink("\\DosDevices\\BuggyPending", "\\Device\\BuggyPending");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = PendCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = PendCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = PendCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = PendDeviceControl;
  return STATUS_SUCCESS;
}
