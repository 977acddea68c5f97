/**
 * Cncl: a driver that holds "wait for an event" requests in a queue until the app releases them
 * or cancels them, with one cancellation bug per control code. The queue is guarded by
 * CnclLock; a request on the queue has a cancel routine, except where the bug says otherwise.
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
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInsertQueueDpc,
  KeReleaseSpinLock,
  KeReleaseSpinLockFromDpcLevel,
  KSPIN_LOCK,
  LIST_ENTRY,
  METHOD_BUFFERED,
  NT_SUCCESS,
  RemoveEntryList,
  RemoveHeadList,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_NOT_FOUND,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x960 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Queues the request with a cancel routine, without testing Irp->Cancel. */
export const IOCTL_CNCL_WAIT_UNCHECKED = code(0);
/** Queues the request with CnclDeferringCancelRoutine, which keeps the cancel spin lock. */
export const IOCTL_CNCL_WAIT_DEFERRED = code(1);
/** Queues the request correctly. */
export const IOCTL_CNCL_WAIT = code(2);
/** Completes the oldest queued request (under the queue lock). */
export const IOCTL_CNCL_RELEASE_ONE = code(3);
/** Queues the request with no cancel routine at all. */
export const IOCTL_CNCL_WAIT_FOREVER = code(4);

/** Cncl's device extension. */
export class CNCL_EXTENSION {
  readonly Lock = new KSPIN_LOCK("CnclLock");
  readonly Queue = new LIST_ENTRY<IRP>();
  /** Requests the deferring cancel routine hands to the DPC. */
  readonly Cancelled = new LIST_ENTRY<IRP>();
  readonly CancelDpc = new KDPC<DEVICE_OBJECT>();
}

function CnclExtension(DeviceObject: DEVICE_OBJECT): CNCL_EXTENSION {
  return DeviceObject.DeviceExtension as CNCL_EXTENSION;
}

/** The three-line completion. */
function CnclComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * The textbook cancel routine: release the cancel spin lock, unlink under the queue lock,
 * complete with STATUS_CANCELLED.
 *
 * @param DeviceObject the Cncl device.
 * @param Irp the request being cancelled.
 */
const CnclCancelRoutine: DRIVER_CANCEL = function CnclCancelRoutine(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = CnclExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  KeReleaseSpinLock(ext.Lock, oldIrql);
  CnclComplete(Irp, STATUS_CANCELLED);
};

/**
 * A cancel routine that leaves the completion to a DPC. BUG: it never releases the cancel spin
 * lock (missing IoReleaseCancelSpinLock(Irp->CancelIrql)).
 *
 * @param DeviceObject the Cncl device.
 * @param Irp the request being cancelled.
 */
const CnclDeferringCancelRoutine: DRIVER_CANCEL = function CnclDeferringCancelRoutine(DeviceObject, Irp) {
  const ext = CnclExtension(DeviceObject);
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  InsertTailList(ext.Cancelled, Irp.Tail.Overlay.ListEntry);
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  KeInsertQueueDpc(ext.CancelDpc);
};

/** Completes the requests CnclDeferringCancelRoutine handed over. */
const CnclCancelDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function CnclCancelDpc(_Dpc, DeviceObject) {
  const ext = CnclExtension(DeviceObject);
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  const done = new LIST_ENTRY<IRP>();
  while (!IsListEmpty(ext.Cancelled)) InsertTailList(done, RemoveHeadList(ext.Cancelled));
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  while (!IsListEmpty(done)) CnclComplete(CONTAINING_RECORD(RemoveHeadList(done)), STATUS_CANCELLED);
};

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns STATUS_PENDING for queued requests, otherwise the final status.
 */
const CnclDeviceControl: DRIVER_DISPATCH = function CnclDeviceControl(DeviceObject, Irp) {
  const ext = CnclExtension(DeviceObject);
  switch (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_CNCL_WAIT_UNCHECKED: {
      // BUG: if the request was cancelled before the routine was set, nobody completes it.
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      IoSetCancelRoutine(Irp, CnclCancelRoutine);
      IoMarkIrpPending(Irp);
      InsertTailList(ext.Queue, Irp.Tail.Overlay.ListEntry);
      KeReleaseSpinLock(ext.Lock, oldIrql);
      return STATUS_PENDING;
    }
    case IOCTL_CNCL_WAIT:
    case IOCTL_CNCL_WAIT_DEFERRED: {
      const routine = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode === IOCTL_CNCL_WAIT ? CnclCancelRoutine : CnclDeferringCancelRoutine;
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      IoSetCancelRoutine(Irp, routine);
      if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return CnclComplete(Irp, STATUS_CANCELLED);
      }
      IoMarkIrpPending(Irp);
      InsertTailList(ext.Queue, Irp.Tail.Overlay.ListEntry);
      KeReleaseSpinLock(ext.Lock, oldIrql);
      return STATUS_PENDING;
    }
    case IOCTL_CNCL_WAIT_FOREVER: {
      // BUG: no cancel routine: a cancelled request stays on the queue until it is released.
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      IoMarkIrpPending(Irp);
      InsertTailList(ext.Queue, Irp.Tail.Overlay.ListEntry);
      KeReleaseSpinLock(ext.Lock, oldIrql);
      return STATUS_PENDING;
    }
    case IOCTL_CNCL_RELEASE_ONE: {
      let status: NTSTATUS = STATUS_NOT_FOUND;
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      if (!IsListEmpty(ext.Queue)) {
        const waiting = CONTAINING_RECORD(RemoveHeadList(ext.Queue));
        if (IoSetCancelRoutine(waiting, null) !== null) {
          // BUG: completed while CnclLock is still held.
          CnclComplete(waiting, STATUS_SUCCESS);
          status = STATUS_SUCCESS;
        }
      }
      KeReleaseSpinLock(ext.Lock, oldIrql);
      return CnclComplete(Irp, status);
    }
    default:
      return CnclComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const CnclCreateClose: DRIVER_DISPATCH = function CnclCreateClose(_DeviceObject, Irp) {
  return CnclComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyCancel and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function CnclDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new CNCL_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyCancel", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  InitializeListHead(ext.Queue);
  InitializeListHead(ext.Cancelled);
  KeInitializeDpc(ext.CancelDpc, CnclCancelDpc, DeviceObject as DEVICE_OBJECT);
  IoCreateSymbolicLink("\\DosDevices\\BuggyCancel", "\\Device\\BuggyCancel");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = CnclCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = CnclCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = CnclCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = CnclDeviceControl;
  return STATUS_SUCCESS;
}
