/**
 * Ticker: a small driver that answers "tell me when the next tick happens".
 *
 * An app sends IOCTL_TICKER_WAIT (METHOD_BUFFERED, a 4-byte output buffer). The driver queues the
 * request with a cancel routine and starts a one-shot timer; when the timer's DPC runs, it
 * completes every queued request with the tick number. A request the app cancels (CancelIoEx, or
 * its thread exiting) is completed by the cancel routine with STATUS_CANCELLED.
 *
 * This is driver.ts with its cancel race fixed (docs/your-first-driver.md, "Fix it"): the DPC
 * leaves a request whose cancel routine has already been taken to that routine.
 */
// #region imports
import {
  CONTAINING_RECORD,
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  InitializeListHead,
  InsertTailList,
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
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  writeU32,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";
// #endregion imports

// #region definitions
/** Waits for the next tick; completes with the tick number in a 4-byte output buffer. */
export const IOCTL_TICKER_WAIT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Ticks are this many milliseconds apart (the timer is one-shot, started when a request waits). */
export const TICK_MS = 10;

/** What C keeps in the device extension. */
export class TICKER_EXTENSION {
  /** Guards WaitQueue and Ticks. */
  readonly QueueLock = new KSPIN_LOCK("TickerQueueLock");
  /** Requests waiting for the next tick, linked through Irp.Tail.Overlay.ListEntry. */
  readonly WaitQueue = new LIST_ENTRY<IRP>();
  Ticks = 0;
  readonly Timer = new KTIMER(false, "TickerTimer");
  readonly Dpc = new KDPC<DEVICE_OBJECT<TICKER_EXTENSION>>();
}
// #endregion definitions

// #region create-close
/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP and IRP_MJ_CLOSE: nothing to do per open. (A request still
 * waiting when its handle closes completes at the next tick, at most TICK_MS later.)
 */
const TickerCreateClose: DRIVER_DISPATCH = function TickerCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};
// #endregion create-close

// #region cancel
/**
 * The cancel routine: runs with the cancel spin lock held, takes the request off the wait queue
 * and completes it with STATUS_CANCELLED.
 */
const TickerCancel: DRIVER_CANCEL = function TickerCancel(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = DeviceObject.DeviceExtension as TICKER_EXTENSION;
  const oldIrql = KeAcquireSpinLock(ext.QueueLock);
  RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  KeReleaseSpinLock(ext.QueueLock, oldIrql);
  Irp.IoStatus.Status = STATUS_CANCELLED;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
};
// #endregion cancel

// #region device-control
/**
 * IRP_MJ_DEVICE_CONTROL: queues IOCTL_TICKER_WAIT with a cancel routine and starts the timer.
 *
 * @returns STATUS_PENDING for a queued request, otherwise the status it completed with.
 */
const TickerDeviceControl: DRIVER_DISPATCH = function TickerDeviceControl(DeviceObject, Irp) {
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const ext = DeviceObject.DeviceExtension as TICKER_EXTENSION;
  let status: NTSTATUS;
  if (stack.Parameters.DeviceIoControl.IoControlCode !== IOCTL_TICKER_WAIT) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (stack.Parameters.DeviceIoControl.OutputBufferLength < 4) {
    status = STATUS_BUFFER_TOO_SMALL;
  } else {
    const oldIrql = KeAcquireSpinLock(ext.QueueLock);
    IoSetCancelRoutine(Irp, TickerCancel);
    // Cancelled before the cancel routine was set? Then nobody else will complete it: we do.
    if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
      KeReleaseSpinLock(ext.QueueLock, oldIrql);
      status = STATUS_CANCELLED;
    } else {
      IoMarkIrpPending(Irp);
      InsertTailList(ext.WaitQueue, Irp.Tail.Overlay.ListEntry);
      KeReleaseSpinLock(ext.QueueLock, oldIrql);
      KeSetTimer(ext.Timer, -10_000 * TICK_MS, ext.Dpc);
      return STATUS_PENDING;
    }
  }
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
};
// #endregion device-control

// #region dpc
/**
 * The timer's DPC: counts a tick, takes every waiting request off the queue, and completes each
 * with the tick number. Runs at DISPATCH_LEVEL.
 */
const TickerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT<TICKER_EXTENSION>> = function TickerDpc(_Dpc, DeviceObject) {
  const ext = DeviceObject.DeviceExtension;
  const ready: IRP[] = [];
  KeAcquireSpinLockAtDpcLevel(ext.QueueLock);
  const tick = ++ext.Ticks;
  while (!IsListEmpty(ext.WaitQueue)) {
    const Irp = CONTAINING_RECORD(RemoveHeadList(ext.WaitQueue));
    if (IoSetCancelRoutine(Irp, null) === null) {
      // IoCancelIrp took the cancel routine first: it will run as soon as we release the queue
      // lock, and it completes the request. Leave the entry linked to itself so that its
      // RemoveEntryList finds nothing to unlink.
      InitializeListHead(Irp.Tail.Overlay.ListEntry);
      continue;
    }
    ready.push(Irp);
  }
  KeReleaseSpinLockFromDpcLevel(ext.QueueLock);
  for (const Irp of ready) {
    writeU32(Irp.AssociatedIrp.SystemBuffer, tick);
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 4;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
  }
};
// #endregion dpc

// #region entry
/** DriverUnload: stops the timer, removes the symbolic link and the device. */
function TickerUnload(DriverObject: DRIVER_OBJECT): void {
  const device = DriverObject.DeviceObject;
  if (device) KeCancelTimer((device.DeviceExtension as TICKER_EXTENSION).Timer);
  IoDeleteSymbolicLink("\\DosDevices\\Ticker");
  if (device) IoDeleteDevice(device);
}

/**
 * DriverEntry: creates \Device\Ticker and \DosDevices\Ticker (\\.\Ticker to an app) and fills
 * in the dispatch table.
 */
export function FixedTickerDriverEntry(DriverObject: DRIVER_OBJECT, _RegistryPath: string): NTSTATUS {
  const ext = new TICKER_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Ticker", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.QueueLock);
  InitializeListHead(ext.WaitQueue);
  KeInitializeTimer(ext.Timer);
  KeInitializeDpc(ext.Dpc, TickerDpc, DeviceObject);
  const linked = IoCreateSymbolicLink("\\DosDevices\\Ticker", "\\Device\\Ticker");
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = TickerCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = TickerCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = TickerCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = TickerDeviceControl;
  DriverObject.DriverUnload = TickerUnload;
  return STATUS_SUCCESS;
}
// #endregion entry
