/**
 * Lowr: a correct lower driver for the layered samples. IOCTL_LOWR_LATER requests finish a few
 * milliseconds later from a timer DPC (pended with a cancel routine, the textbook way);
 * IOCTL_LOWR_NOW requests finish at once. Everything else passes or fails as a driver should.
 */
import {
  CONTAINING_RECORD,
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  InitializeListHead,
  InsertTailList,
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
  IsListEmpty,
  KDPC,
  KeAcquireSpinLock,
  KeAcquireSpinLockAtDpcLevel,
  KeCancelTimer,
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
  RemoveEntryList,
  RemoveHeadList,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Finishes a few milliseconds later. */
export const IOCTL_LOWR_LATER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Finishes at once. */
export const IOCTL_LOWR_NOW = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** How long IOCTL_LOWR_LATER takes. */
export const LOWR_DELAY_MS = 5;

/** Lowr's device extension. */
export class LOWR_EXTENSION {
  readonly Lock = new KSPIN_LOCK("LowrLock");
  readonly Pending = new LIST_ENTRY<IRP>();
  readonly Timer = new KTIMER(false, "LowrTimer");
  readonly Dpc = new KDPC<DEVICE_OBJECT>();
}

function LowrExtension(DeviceObject: DEVICE_OBJECT): LOWR_EXTENSION {
  return DeviceObject.DeviceExtension as LOWR_EXTENSION;
}

/** Completes an IRP with `status` (the three-line idiom). */
function LowrComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * Cancel routine: takes the IRP off the pending list and completes it with STATUS_CANCELLED.
 *
 * @param DeviceObject the Lowr device.
 * @param Irp the request being cancelled.
 */
const LowrCancelRoutine: DRIVER_CANCEL = function LowrCancelRoutine(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = LowrExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  KeReleaseSpinLock(ext.Lock, oldIrql);
  LowrComplete(Irp, STATUS_CANCELLED);
};

/**
 * Timer DPC: "the hardware finished" — completes every pending request whose cancel routine it
 * can take back.
 */
const LowrTimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function LowrTimerDpc(_Dpc, DeviceObject) {
  const ext = LowrExtension(DeviceObject);
  const done = new LIST_ENTRY<IRP>();
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  while (!IsListEmpty(ext.Pending)) {
    const Irp = CONTAINING_RECORD(RemoveHeadList(ext.Pending));
    // A NULL cancel routine means the cancel routine is running: it owns the IRP now.
    if (IoSetCancelRoutine(Irp, null) === null) continue;
    InsertTailList(done, Irp.Tail.Overlay.ListEntry);
  }
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  while (!IsListEmpty(done)) LowrComplete(CONTAINING_RECORD(RemoveHeadList(done)), STATUS_SUCCESS);
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE: nothing per open.
 *
 * @returns STATUS_SUCCESS.
 */
const LowrCreateClose: DRIVER_DISPATCH = function LowrCreateClose(_DeviceObject, Irp) {
  return LowrComplete(Irp, STATUS_SUCCESS);
};

/**
 * IRP_MJ_DEVICE_CONTROL: IOCTL_LOWR_LATER pends the request until the timer fires;
 * IOCTL_LOWR_NOW completes it at once.
 *
 * @returns STATUS_PENDING, or the final status.
 */
const LowrDeviceControl: DRIVER_DISPATCH = function LowrDeviceControl(DeviceObject, Irp) {
  const ext = LowrExtension(DeviceObject);
  switch (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_LOWR_NOW:
      return LowrComplete(Irp, STATUS_SUCCESS);
    case IOCTL_LOWR_LATER: {
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      IoSetCancelRoutine(Irp, LowrCancelRoutine);
      if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return LowrComplete(Irp, STATUS_CANCELLED);
      }
      IoMarkIrpPending(Irp);
      InsertTailList(ext.Pending, Irp.Tail.Overlay.ListEntry);
      KeReleaseSpinLock(ext.Lock, oldIrql);
      KeSetTimer(ext.Timer, -10_000 * LOWR_DELAY_MS, ext.Dpc);
      return STATUS_PENDING;
    }
    default:
      return LowrComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * DriverUnload: removes the link and the device.
 *
 * @param DriverObject this driver.
 */
function LowrUnload(DriverObject: DRIVER_OBJECT): void {
  IoDeleteSymbolicLink("\\DosDevices\\BuggyLower");
  if (DriverObject.DeviceObject) {
    KeCancelTimer(LowrExtension(DriverObject.DeviceObject).Timer);
    IoDeleteDevice(DriverObject.DeviceObject);
  }
}

/**
 * DriverEntry: creates \Device\BuggyLower and \DosDevices\BuggyLower.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function LowrDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new LOWR_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyLower", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  InitializeListHead(ext.Pending);
  KeInitializeTimer(ext.Timer);
  KeInitializeDpc(ext.Dpc, LowrTimerDpc, DeviceObject as DEVICE_OBJECT);
  IoCreateSymbolicLink("\\DosDevices\\BuggyLower", "\\Device\\BuggyLower");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = LowrCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = LowrCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = LowrCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = LowrDeviceControl;
  DriverObject.DriverUnload = LowrUnload;
  return STATUS_SUCCESS;
}
