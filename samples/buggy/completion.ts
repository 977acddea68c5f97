/**
 * Cmpl: a driver with one completion bug per control code, each the kind a tutorial reader
 * writes on a first attempt. Every handler is otherwise correct.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IO_STACK_LOCATION,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoReleaseCancelSpinLock,
  IoSetCancelRoutine,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeLowerIrql,
  KeRaiseIrql,
  METHOD_BUFFERED,
  NT_SUCCESS,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  writeU32,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Validates a 4-byte input; completes twice when it is too short. */
export const IOCTL_CMPL_VALIDATE = code(0);
/** Starts a transfer and completes with the status the start returned (STATUS_PENDING). */
export const IOCTL_CMPL_START = code(1);
/** Fails with STATUS_DEVICE_BUSY while its cancel routine is still set. */
export const IOCTL_CMPL_QUEUE = code(2);
/** Completes while synchronised with the ISR at device IRQL. */
export const IOCTL_CMPL_SYNC_WITH_ISR = code(3);
/** Returns a 64-byte version record into whatever output buffer it gets. */
export const IOCTL_CMPL_GET_VERSION = code(4);
/** Completes, then returns the IRP's status. */
export const IOCTL_CMPL_PING = code(5);

/** The device IRQL Cmpl's (imaginary) interrupt runs at. */
const CMPL_DEVICE_IRQL = 5;
/** sizeof(CMPL_VERSION_INFO). */
const CMPL_VERSION_INFO_SIZE = 64;

/** Cmpl's device extension. */
export class CMPL_EXTENSION {
  /** True while a transfer is in progress. */
  Busy = true;
  /** The device's (imaginary) registers, touched with the ISR excluded. */
  Registers = 0;
}

function CmplExtension(DeviceObject: DEVICE_OBJECT): CMPL_EXTENSION {
  return DeviceObject.DeviceExtension as CMPL_EXTENSION;
}

/**
 * Starts a transfer on the hardware: it finishes later, with an interrupt.
 *
 * @returns STATUS_PENDING.
 */
function CmplStartTransfer(ext: CMPL_EXTENSION): NTSTATUS {
  ext.Registers |= 1;
  return STATUS_PENDING;
}

/**
 * IOCTL_CMPL_VALIDATE. BUG: the error path completes the IRP and falls through to the common
 * completion below, so a short input completes the IRP twice.
 */
function CmplValidate(Irp: IRP, stack: IO_STACK_LOCATION): NTSTATUS {
  let status: NTSTATUS = STATUS_SUCCESS;
  if (stack.Parameters.DeviceIoControl.InputBufferLength < 4) status = STATUS_BUFFER_TOO_SMALL;
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  if (!NT_SUCCESS(status)) {
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    // (missing: return status;)
  }
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * IOCTL_CMPL_START. BUG: the transfer finishes later, but the routine completes the IRP at once
 * with the status CmplStartTransfer returned — STATUS_PENDING.
 */
function CmplStart(Irp: IRP, ext: CMPL_EXTENSION): NTSTATUS {
  const status = CmplStartTransfer(ext);
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * Cancel routine of queued requests.
 *
 * @param _DeviceObject the Cmpl device.
 * @param Irp the request being cancelled.
 */
const CmplCancelRoutine: DRIVER_CANCEL = function CmplCancelRoutine(_DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  Irp.IoStatus.Status = STATUS_CANCELLED;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
};

/**
 * IOCTL_CMPL_QUEUE. BUG: the busy path fails the request without taking its cancel routine back.
 */
function CmplQueue(Irp: IRP, ext: CMPL_EXTENSION): NTSTATUS {
  IoSetCancelRoutine(Irp, CmplCancelRoutine);
  if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
    Irp.IoStatus.Status = STATUS_CANCELLED;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_CANCELLED;
  }
  if (ext.Busy) {
    // (missing: IoSetCancelRoutine(Irp, NULL);)
    Irp.IoStatus.Status = STATUS_DEVICE_BUSY;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_DEVICE_BUSY;
  }
  return STATUS_SUCCESS;
}

/**
 * IOCTL_CMPL_SYNC_WITH_ISR. BUG: the request is completed while the IRQL is still raised to the
 * device's level.
 */
function CmplSyncWithIsr(Irp: IRP, ext: CMPL_EXTENSION): NTSTATUS {
  const oldIrql = KeRaiseIrql(CMPL_DEVICE_IRQL);
  ext.Registers = 0;
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  KeLowerIrql(oldIrql);
  return STATUS_SUCCESS;
}

/**
 * IOCTL_CMPL_GET_VERSION. BUG: writes only what fits, but reports the whole record's size.
 */
function CmplGetVersion(Irp: IRP, stack: IO_STACK_LOCATION): NTSTATUS {
  const out = Irp.AssociatedIrp.SystemBuffer;
  const room = stack.Parameters.DeviceIoControl.OutputBufferLength;
  for (let off = 0; off + 4 <= Math.min(room, CMPL_VERSION_INFO_SIZE); off += 4) writeU32(out + off, 0x00010000 + off);
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = CMPL_VERSION_INFO_SIZE;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

/**
 * IOCTL_CMPL_PING. BUG: reads the IRP's status after IoCompleteRequest, when the IRP is no
 * longer the driver's (it may already be freed).
 */
function CmplPing(Irp: IRP): NTSTATUS {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Irp.IoStatus.Status;
}

/**
 * IRP_MJ_DEVICE_CONTROL: one handler per control code.
 *
 * @returns the handler's status.
 */
const CmplDeviceControl: DRIVER_DISPATCH = function CmplDeviceControl(DeviceObject, Irp) {
  const ext = CmplExtension(DeviceObject);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  switch (stack.Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_CMPL_VALIDATE:
      return CmplValidate(Irp, stack);
    case IOCTL_CMPL_START:
      return CmplStart(Irp, ext);
    case IOCTL_CMPL_QUEUE:
      return CmplQueue(Irp, ext);
    case IOCTL_CMPL_SYNC_WITH_ISR:
      return CmplSyncWithIsr(Irp, ext);
    case IOCTL_CMPL_GET_VERSION:
      return CmplGetVersion(Irp, stack);
    case IOCTL_CMPL_PING:
      return CmplPing(Irp);
    default:
      Irp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return STATUS_INVALID_DEVICE_REQUEST;
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const CmplCreateClose: DRIVER_DISPATCH = function CmplCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * DriverEntry: creates \Device\BuggyCompletion and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function CmplDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const { status, DeviceObject } = IoCreateDevice(DriverObject, new CMPL_EXTENSION(), "\\Device\\BuggyCompletion", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  IoCreateSymbolicLink("\\DosDevices\\BuggyCompletion", "\\Device\\BuggyCompletion");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = CmplCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = CmplCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = CmplCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = CmplDeviceControl;
  return STATUS_SUCCESS;
}
