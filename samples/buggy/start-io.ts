/**
 * Stio: a StartIo driver for an (imaginary) engine that runs one transfer at a time. Each
 * IOCTL_STIO_TRANSFER is marked pending and handed to IoStartPacket (not cancelable: a transfer
 * takes a millisecond); StioStartIo starts the transfer and the transfer timer's DPC finishes it,
 * starts the next packet and completes the request. StioLock guards the transfer count.
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
  IoMarkIrpPending,
  IoStartNextPacket,
  IoStartPacket,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KDPC,
  KeAcquireSpinLockAtDpcLevel,
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInitializeTimer,
  KeReleaseSpinLockFromDpcLevel,
  KeSetTimer,
  KSPIN_LOCK,
  KTIMER,
  METHOD_BUFFERED,
  NT_SUCCESS,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type DRIVER_STARTIO,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Runs one transfer (queued behind the running one). */
export const IOCTL_STIO_TRANSFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa40, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** Stio's device extension. */
export class STIO_EXTENSION {
  readonly Lock = new KSPIN_LOCK("StioLock");
  /** Transfers finished (guarded by Lock). */
  Transfers = 0;
  readonly Timer = new KTIMER(false, "StioTimer");
  readonly Dpc = new KDPC<DEVICE_OBJECT>();
}

function StioExtension(DeviceObject: DEVICE_OBJECT): STIO_EXTENSION {
  return DeviceObject.DeviceExtension as STIO_EXTENSION;
}

/** The three-line completion. */
function StioComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * StartIo: starts the transfer of the device's CurrentIrp; it takes a millisecond.
 *
 * @param DeviceObject the Stio device.
 * @param _Irp the request to run.
 */
const StioStartIo: DRIVER_STARTIO = function StioStartIo(DeviceObject, _Irp) {
  const ext = StioExtension(DeviceObject);
  KeSetTimer(ext.Timer, -10_000, ext.Dpc);
};

/**
 * The transfer DPC: the current transfer is done. BUG: the next packet is started while StioLock
 * is still held, so StioStartIo — and whatever it calls — runs under the driver's lock.
 */
const StioTransferDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function StioTransferDpc(_Dpc, DeviceObject) {
  const ext = StioExtension(DeviceObject);
  const Irp = DeviceObject.CurrentIrp;
  if (!Irp) return;
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  ext.Transfers++;
  // BUG: StioStartIo runs inside this call, under StioLock (release the lock first).
  IoStartNextPacket(DeviceObject, false);
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  StioComplete(Irp, STATUS_SUCCESS);
};

/**
 * IRP_MJ_DEVICE_CONTROL: IOCTL_STIO_TRANSFER goes to the device queue.
 *
 * @returns STATUS_PENDING, or STATUS_INVALID_DEVICE_REQUEST for another code.
 */
const StioDeviceControl: DRIVER_DISPATCH = function StioDeviceControl(DeviceObject, Irp) {
  if (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode !== IOCTL_STIO_TRANSFER) return StioComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  IoMarkIrpPending(Irp);
  IoStartPacket(DeviceObject, Irp, null, null);
  return STATUS_PENDING;
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const StioCreateClose: DRIVER_DISPATCH = function StioCreateClose(_DeviceObject, Irp) {
  return StioComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyStartIo and its link, and sets the StartIo routine.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function StioDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new STIO_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyStartIo", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  KeInitializeTimer(ext.Timer);
  KeInitializeDpc(ext.Dpc, StioTransferDpc, DeviceObject as DEVICE_OBJECT);
  IoCreateSymbolicLink("\\DosDevices\\BuggyStartIo", "\\Device\\BuggyStartIo");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = StioCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = StioCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = StioCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = StioDeviceControl;
  DriverObject.DriverStartIo = StioStartIo;
  return STATUS_SUCCESS;
}
