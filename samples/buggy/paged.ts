/**
 * Pagd: a driver with a helper marked pageable (PAGED_CODE) that it calls while holding a spin
 * lock — at DISPATCH_LEVEL, where pageable code cannot run.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeAcquireSpinLock,
  KeInitializeSpinLock,
  KeReleaseSpinLock,
  KSPIN_LOCK,
  METHOD_BUFFERED,
  NT_SUCCESS,
  PAGED_CODE,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

/** Records a sample into the history under the history lock. */
export const IOCTL_PAGD_RECORD = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa40, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** Pagd's device extension. */
export class PAGD_EXTENSION {
  readonly HistoryLock = new KSPIN_LOCK("PagdHistoryLock");
  readonly History: number[] = [];
}

/** The three-line completion. */
function PagdComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * Appends to the history. Marked pageable (#pragma alloc_text(PAGE, PagdAppend)).
 *
 * @param ext the device extension.
 */
function PagdAppend(ext: PAGD_EXTENSION): void {
  PAGED_CODE();
  ext.History.push(ext.History.length);
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns the request's final status.
 */
const PagdDeviceControl: DRIVER_DISPATCH = function PagdDeviceControl(DeviceObject: DEVICE_OBJECT, Irp) {
  const ext = DeviceObject.DeviceExtension as PAGD_EXTENSION;
  if (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode !== IOCTL_PAGD_RECORD) return PagdComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  const oldIrql = KeAcquireSpinLock(ext.HistoryLock);
  // BUG: PagdAppend is pageable, and this runs at DISPATCH_LEVEL under the spin lock.
  PagdAppend(ext);
  KeReleaseSpinLock(ext.HistoryLock, oldIrql);
  return PagdComplete(Irp, STATUS_SUCCESS);
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const PagdCreateClose: DRIVER_DISPATCH = function PagdCreateClose(_DeviceObject, Irp) {
  return PagdComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyPagd and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function PagdDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new PAGD_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyPagd", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.HistoryLock);
  IoCreateSymbolicLink("\\DosDevices\\BuggyPagd", "\\Device\\BuggyPagd");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = PagdCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = PagdCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = PagdCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = PagdDeviceControl;
  return STATUS_SUCCESS;
}
