/**
 * Notify: an event-notification driver in the "inverted call" style. An app keeps a few
 * IOCTL_NOTIFY_WAIT requests pended in the driver's wait queue; a periodic timer DPC (the device's
 * events) completes the oldest waiting request with the next event. Each waiting request owns a
 * staging page from nonpaged pool where the DPC assembles its event before copying it out.
 *
 * The queue follows the cancel-routine protocol of Microsoft's cancel sample: whoever takes an IRP
 * off the queue first clears its cancel routine and tests the result — NULL means the cancel
 * routine already owns the IRP and will complete it. The dispatch routine, the DPC, the cancel
 * routine and IRP_MJ_CLEANUP all take IRPs off the same queue under the same lock.
 */
import {
  CTL_CODE,
  CONTAINING_RECORD,
  DbgPrint,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
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
  KeQueryInterruptTime,
  KeReleaseSpinLock,
  KeReleaseSpinLockFromDpcLevel,
  KeSetTimerEx,
  KSPIN_LOCK,
  KTIMER,
  LIST_ENTRY,
  METHOD_BUFFERED,
  NT_SUCCESS,
  NonPagedPool,
  PAGE_SIZE,
  RemoveEntryList,
  RemoveHeadList,
  RtlCopyMemory,
  STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  writeU32,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type FILE_OBJECT,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Waits for the device's next event; completes with a NOTIFY_EVENT in the output buffer. */
export const IOCTL_NOTIFY_WAIT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** NOTIFY_EVENT: the event's sequence number, then the virtual time it happened (ms). */
export const NOTIFY_EVENT_BYTES = 8;
/** The device raises an event every this many milliseconds. */
export const NOTIFY_PERIOD_MS = 10;
/** Pool tag of the staging pages ('Ntfy'). */
export const NOTIFY_TAG = "Ntfy";

/** Per-device state (what C keeps in the device extension). */
export class NOTIFY_EXTENSION {
  /** Guards the wait queue and the sequence number. */
  readonly Lock = new KSPIN_LOCK("NotifyLock");
  /** Pended IOCTL_NOTIFY_WAIT requests, oldest first (linked through Tail.Overlay.ListEntry). */
  readonly WaitQueue = new LIST_ENTRY<IRP>();
  /** Events raised so far. */
  Sequence = 0;
  readonly Timer = new KTIMER(false, "NotifyTimer");
  readonly Dpc = new KDPC<DEVICE_OBJECT>();
}

/** The device extension of a Notify device. */
export function notifyExtensionOf(DeviceObject: DEVICE_OBJECT): NOTIFY_EXTENSION {
  return DeviceObject.DeviceExtension as NOTIFY_EXTENSION;
}

/** A waiting request's staging page (its DriverContext[0]), 0 once taken. */
export function stagingOf(Irp: IRP): number {
  const v = Irp.Tail.Overlay.DriverContext[0];
  return typeof v === "number" ? v : 0;
}

/** Takes a request's staging page from it (call with the queue lock held, or owning the IRP). */
export function takeStaging(Irp: IRP): number {
  const page = stagingOf(Irp);
  Irp.Tail.Overlay.DriverContext[0] = 0;
  return page;
}

/** The file object a request was sent on. */
function fileOf(Irp: IRP): FILE_OBJECT | null {
  return IoGetCurrentIrpStackLocation(Irp).FileObject;
}

/**
 * Writes an event into a staging page and copies it to the request's output buffer, then frees
 * the page and completes the request with STATUS_SUCCESS. The caller owns the request.
 *
 * @param Irp the request (off the queue, cancel routine cleared).
 * @param page its staging page.
 * @param sequence the event's sequence number.
 */
export function NotifyDeliver(Irp: IRP, page: number, sequence: number): void {
  writeU32(page, sequence);
  writeU32(page + 4, Math.floor(KeQueryInterruptTime() / 10_000));
  RtlCopyMemory(Irp.AssociatedIrp.SystemBuffer, page, NOTIFY_EVENT_BYTES);
  ExFreePoolWithTag(page, NOTIFY_TAG);
  DbgPrint(`Notify: event ${sequence} completes ${Irp.label}`);
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = NOTIFY_EVENT_BYTES;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/** Completes a request the caller owns with STATUS_CANCELLED, freeing its staging page. */
export function NotifyCompleteCancelled(Irp: IRP, page: number): void {
  if (page !== 0) ExFreePoolWithTag(page, NOTIFY_TAG);
  Irp.IoStatus.Status = STATUS_CANCELLED;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/**
 * The routines where the queue's races live. A variant of the driver (samples/notify-races)
 * replaces some of them.
 */
export interface NotifyRoutines {
  readonly CancelRoutine: DRIVER_CANCEL;
  readonly TimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT>;
  readonly Cleanup: DRIVER_DISPATCH;
  readonly DeviceControl: DRIVER_DISPATCH;
}

/** A build of the driver: the correct one, or a variant that replaces routines. */
export interface NotifyBuild {
  readonly variant?: (correct: NotifyRoutines) => Partial<NotifyRoutines>;
}

/**
 * Makes the driver's DriverEntry for a build (the default build is correct).
 *
 * @param build which variant to build.
 * @returns the DriverEntry routine.
 */
export function makeNotifyDriver(build: NotifyBuild = {}): (DriverObject: DRIVER_OBJECT, RegistryPath: string) => NTSTATUS {
  /**
   * The cancel routine of a waiting request: takes it off the queue and completes it.
   *
   * @param DeviceObject the Notify device.
   * @param Irp the request being cancelled.
   */
  let NotifyCancelRoutine: DRIVER_CANCEL = function NotifyCancelRoutine(DeviceObject, Irp) {
    IoReleaseCancelSpinLock(Irp.CancelIrql);
    const ext = notifyExtensionOf(DeviceObject);
    const oldIrql = KeAcquireSpinLock(ext.Lock);
    RemoveEntryList(Irp.Tail.Overlay.ListEntry);
    const page = takeStaging(Irp);
    KeReleaseSpinLock(ext.Lock, oldIrql);
    DbgPrint(`Notify: cancel routine completes ${Irp.label} with STATUS_CANCELLED`);
    NotifyCompleteCancelled(Irp, page);
  };

  /**
   * The timer DPC: the device raised an event. Takes the oldest waiting request whose cancel
   * routine it can still clear, and delivers the event to it.
   */
  let NotifyTimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function NotifyTimerDpc(_Dpc, DeviceObject) {
    const ext = notifyExtensionOf(DeviceObject);
    KeAcquireSpinLockAtDpcLevel(ext.Lock);
    const sequence = ++ext.Sequence;
    let Irp: IRP | null = null;
    for (let entry = ext.WaitQueue.Flink; entry !== ext.WaitQueue; entry = entry.Flink) {
      const waiting = CONTAINING_RECORD(entry);
      // NULL: its cancel routine is running and will complete it.
      if (IoSetCancelRoutine(waiting, null) !== null) {
        RemoveEntryList(entry);
        Irp = waiting;
        break;
      }
    }
    const page = Irp ? takeStaging(Irp) : 0;
    KeReleaseSpinLockFromDpcLevel(ext.Lock);
    if (Irp) NotifyDeliver(Irp, page, sequence);
  };

  /**
   * IRP_MJ_CLEANUP: the last handle of a file object closed. Its waiting requests must not
   * outlive it: each one whose cancel routine can still be cleared is completed cancelled.
   *
   * @returns STATUS_SUCCESS.
   */
  let NotifyCleanup: DRIVER_DISPATCH = function NotifyCleanup(DeviceObject, Irp) {
    const ext = notifyExtensionOf(DeviceObject);
    const file = fileOf(Irp);
    const mine = new LIST_ENTRY<IRP>();
    const oldIrql = KeAcquireSpinLock(ext.Lock);
    for (let entry = ext.WaitQueue.Flink; entry !== ext.WaitQueue; ) {
      const next = entry.Flink;
      const waiting = CONTAINING_RECORD(entry);
      if (fileOf(waiting) === file && IoSetCancelRoutine(waiting, null) !== null) {
        RemoveEntryList(entry);
        InsertTailList(mine, entry);
      }
      entry = next;
    }
    KeReleaseSpinLock(ext.Lock, oldIrql);
    while (!IsListEmpty(mine)) {
      const waiting = CONTAINING_RECORD(RemoveHeadList(mine));
      DbgPrint(`Notify: cleanup completes ${waiting.label} with STATUS_CANCELLED`);
      NotifyCompleteCancelled(waiting, takeStaging(waiting));
    }
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  };

  /**
   * IRP_MJ_DEVICE_CONTROL: IOCTL_NOTIFY_WAIT gets a staging page and joins the wait queue,
   * cancellable.
   *
   * @returns STATUS_PENDING when queued, otherwise the request's final status.
   */
  let NotifyDeviceControl: DRIVER_DISPATCH = function NotifyDeviceControl(DeviceObject, Irp) {
    const ext = notifyExtensionOf(DeviceObject);
    const stack = IoGetCurrentIrpStackLocation(Irp);
    let status: NTSTATUS = STATUS_INVALID_DEVICE_REQUEST;
    if (stack.Parameters.DeviceIoControl.IoControlCode === IOCTL_NOTIFY_WAIT) {
      status = STATUS_INVALID_PARAMETER;
      if (stack.Parameters.DeviceIoControl.OutputBufferLength >= NOTIFY_EVENT_BYTES) {
        const page = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, NOTIFY_TAG);
        status = STATUS_INSUFFICIENT_RESOURCES;
        if (page !== 0) {
          Irp.Tail.Overlay.DriverContext[0] = page;
          const oldIrql = KeAcquireSpinLock(ext.Lock);
          IoSetCancelRoutine(Irp, NotifyCancelRoutine);
          // Cancelled before the routine was set: take it back and fail it here.
          if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
            KeReleaseSpinLock(ext.Lock, oldIrql);
            ExFreePoolWithTag(takeStaging(Irp), NOTIFY_TAG);
            status = STATUS_CANCELLED;
          } else {
            IoMarkIrpPending(Irp);
            InsertTailList(ext.WaitQueue, Irp.Tail.Overlay.ListEntry);
            KeReleaseSpinLock(ext.Lock, oldIrql);
            return STATUS_PENDING;
          }
        }
      }
    }
    Irp.IoStatus.Status = status;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
  };

  // A variant replaces the routines its bug lives in; the rest stay the correct driver's.
  const replaced = build.variant?.({ CancelRoutine: NotifyCancelRoutine, TimerDpc: NotifyTimerDpc, Cleanup: NotifyCleanup, DeviceControl: NotifyDeviceControl });
  NotifyCancelRoutine = replaced?.CancelRoutine ?? NotifyCancelRoutine;
  NotifyTimerDpc = replaced?.TimerDpc ?? NotifyTimerDpc;
  NotifyCleanup = replaced?.Cleanup ?? NotifyCleanup;
  NotifyDeviceControl = replaced?.DeviceControl ?? NotifyDeviceControl;

  /**
   * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
   *
   * @returns STATUS_SUCCESS.
   */
  const NotifyCreateClose: DRIVER_DISPATCH = function NotifyCreateClose(_DeviceObject, Irp) {
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  };

  /**
   * DriverUnload: stops the device's events and removes the symbolic link and the device.
   *
   * @param DriverObject this driver.
   */
  function NotifyUnload(DriverObject: DRIVER_OBJECT): void {
    IoDeleteSymbolicLink("\\DosDevices\\Notify");
    if (DriverObject.DeviceObject) {
      KeCancelTimer(notifyExtensionOf(DriverObject.DeviceObject).Timer);
      IoDeleteDevice(DriverObject.DeviceObject);
    }
  }

  /**
   * DriverEntry: creates \Device\Notify and \DosDevices\Notify and starts the device's events.
   *
   * @param DriverObject this driver.
   * @returns STATUS_SUCCESS, or why the device could not be created.
   */
  return function NotifyDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const ext = new NOTIFY_EXTENSION();
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Notify", FILE_DEVICE_UNKNOWN, 0, false);
    if (!NT_SUCCESS(status) || !DeviceObject) return status;
    KeInitializeSpinLock(ext.Lock);
    InitializeListHead(ext.WaitQueue);
    KeInitializeTimer(ext.Timer);
    KeInitializeDpc(ext.Dpc, NotifyTimerDpc, DeviceObject as DEVICE_OBJECT);
    const linked = IoCreateSymbolicLink("\\DosDevices\\Notify", "\\Device\\Notify");
    if (!NT_SUCCESS(linked)) {
      IoDeleteDevice(DeviceObject);
      return linked;
    }
    DriverObject.MajorFunction[IRP_MJ_CREATE] = NotifyCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = NotifyCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = NotifyCleanup;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = NotifyDeviceControl;
    DriverObject.DriverUnload = NotifyUnload;
    KeSetTimerEx(ext.Timer, -10_000 * NOTIFY_PERIOD_MS, NOTIFY_PERIOD_MS, ext.Dpc);
    return STATUS_SUCCESS;
  };
}

/** The correct driver. */
export const NotifyDriverEntry = makeNotifyDriver();
