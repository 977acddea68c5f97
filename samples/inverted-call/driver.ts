/**
 * InvertedCall: the driver half of the inverted-call pattern (OSR's "inverted call model").
 *
 * The app cannot be called by a driver, so it parks requests with the driver instead:
 * IOCTL_INVERTED_NOTIFY (METHOD_BUFFERED, at least 4 bytes of output) is pended in a cancel-safe
 * queue until something happens. Here "something" is IOCTL_INVERTED_SIMULATE_EVENT: the driver
 * numbers the event and completes the oldest parked request with that number; with nothing
 * parked the event is dropped and counted. IRP_MJ_CLEANUP completes the file's parked requests
 * with STATUS_CANCELLED; a request cancelled by the I/O manager leaves through the queue's cancel
 * path.
 */
import {
  CONTAINING_RECORD,
  CTL_CODE,
  DbgPrint,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  FILE_OBJECT,
  IO_CSQ,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoCsqInitialize,
  IoCsqInsertIrp,
  IoCsqRemoveNextIrp,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  InitializeListHead,
  InsertTailList,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeAcquireSpinLock,
  KeReleaseSpinLock,
  KSPIN_LOCK,
  LIST_ENTRY,
  METHOD_BUFFERED,
  NT_SUCCESS,
  RemoveEntryList,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  writeU32,
  type DRIVER_DISPATCH,
  type IO_CSQ_ACQUIRE_LOCK,
  type IO_CSQ_COMPLETE_CANCELED_IRP,
  type IO_CSQ_INSERT_IRP,
  type IO_CSQ_PEEK_NEXT_IRP,
  type IO_CSQ_RELEASE_LOCK,
  type IO_CSQ_REMOVE_IRP,
  type NTSTATUS,
} from "irpsim/wdm";

/** Parks a notification request (METHOD_BUFFERED; the output receives a 4-byte event number). */
export const IOCTL_INVERTED_NOTIFY = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Makes an event happen: the oldest parked request completes with the event's number. */
export const IOCTL_INVERTED_SIMULATE_EVENT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Bytes a notification carries: the event's sequence number (a ULONG). */
export const INVERTED_NOTIFICATION_BYTES = 4;

/** Per-device state (what C keeps in the device extension). */
export class INVERTED_EXTENSION {
  /** Guards the queue. */
  readonly QueueLock = new KSPIN_LOCK("InvertedQueueLock");
  /** The parked notification requests, oldest first. */
  readonly PendingQueue = new LIST_ENTRY<IRP>();
  readonly CancelSafeQueue = new IO_CSQ();
  /** Events simulated so far: each gets the next number. */
  EventSequence = 0;
  /** Events that found no parked request. */
  EventsDropped = 0;
  /** Notifications completed with an event number. */
  EventsDelivered = 0;
  /** Parked requests completed with STATUS_CANCELLED (cleanup or cancel). */
  RequestsCancelled = 0;
}

function extensionOf(DeviceObject: DEVICE_OBJECT): INVERTED_EXTENSION {
  return DeviceObject.DeviceExtension as INVERTED_EXTENSION;
}

/** How much of the design a build of the driver gets right (variants for the tests). */
export interface InvertedBuild {
  /** IRP_MJ_CLEANUP completes the file's parked requests. Default true. */
  readonly cleanupCompletes?: boolean;
}

/**
 * Makes the driver's DriverEntry for a build (the default build is correct).
 *
 * @param build which variant of the driver to build.
 * @returns the DriverEntry routine.
 */
export function makeInvertedCallDriver(build: InvertedBuild = {}): (DriverObject: DRIVER_OBJECT, RegistryPath: string) => NTSTATUS {
  const cleanupCompletes = build.cleanupCompletes ?? true;

  /**
   * Completes a request the usual three-line way.
   *
   * @returns the status it was completed with.
   */
  function InvertedComplete(Irp: IRP, Status: NTSTATUS, Information: number): NTSTATUS {
    Irp.IoStatus.Status = Status;
    Irp.IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
  }

  /**
   * The cancel-safe queue's callbacks: the driver owns the list and its lock; the I/O manager
   * handles the cancel races.
   */
  function InvertedInitializeQueue(ext: INVERTED_EXTENSION): void {
    const InsertIrp: IO_CSQ_INSERT_IRP = function InvertedCsqInsertIrp(_Csq, Irp) {
      InsertTailList(ext.PendingQueue, Irp.Tail.Overlay.ListEntry);
    };
    const RemoveIrp: IO_CSQ_REMOVE_IRP = function InvertedCsqRemoveIrp(_Csq, Irp) {
      RemoveEntryList(Irp.Tail.Overlay.ListEntry);
    };
    const PeekNextIrp: IO_CSQ_PEEK_NEXT_IRP = function InvertedCsqPeekNextIrp(_Csq, Irp, PeekContext) {
      // The oldest request after `Irp` (or the first) of the file object given, if any.
      for (let entry = Irp ? Irp.Tail.Overlay.ListEntry.Flink : ext.PendingQueue.Flink; entry !== ext.PendingQueue; entry = entry.Flink) {
        const next = CONTAINING_RECORD(entry);
        if (PeekContext === null || IoGetCurrentIrpStackLocation(next).FileObject === PeekContext) return next;
      }
      return null;
    };
    const AcquireLock: IO_CSQ_ACQUIRE_LOCK = function InvertedCsqAcquireLock() {
      return KeAcquireSpinLock(ext.QueueLock);
    };
    const ReleaseLock: IO_CSQ_RELEASE_LOCK = function InvertedCsqReleaseLock(_Csq, Irql) {
      KeReleaseSpinLock(ext.QueueLock, Irql);
    };
    const CompleteCanceledIrp: IO_CSQ_COMPLETE_CANCELED_IRP = function InvertedCsqCompleteCanceledIrp(_Csq, Irp) {
      ext.RequestsCancelled++;
      DbgPrint(`InvertedCall: ${Irp.label} cancelled while parked`);
      InvertedComplete(Irp, STATUS_CANCELLED, 0);
    };
    InitializeListHead(ext.PendingQueue);
    IoCsqInitialize(ext.CancelSafeQueue, InsertIrp, RemoveIrp, PeekNextIrp, AcquireLock, ReleaseLock, CompleteCanceledIrp);
  }

  /**
   * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
   *
   * @returns STATUS_SUCCESS.
   */
  const InvertedCreateClose: DRIVER_DISPATCH = function InvertedCreateClose(_DeviceObject, Irp) {
    return InvertedComplete(Irp, STATUS_SUCCESS, 0);
  };

  /**
   * IRP_MJ_CLEANUP: the file's last handle closed. Its parked requests must not outlive it: they
   * complete with STATUS_CANCELLED.
   *
   * @returns STATUS_SUCCESS.
   */
  const InvertedCleanup: DRIVER_DISPATCH = function InvertedCleanup(DeviceObject, Irp) {
    const ext = extensionOf(DeviceObject);
    const fileObject: FILE_OBJECT | null = IoGetCurrentIrpStackLocation(Irp).FileObject;
    if (cleanupCompletes) {
      for (let parked = IoCsqRemoveNextIrp(ext.CancelSafeQueue, fileObject); parked; parked = IoCsqRemoveNextIrp(ext.CancelSafeQueue, fileObject)) {
        ext.RequestsCancelled++;
        InvertedComplete(parked, STATUS_CANCELLED, 0);
      }
    }
    return InvertedComplete(Irp, STATUS_SUCCESS, 0);
  };

  /**
   * IRP_MJ_DEVICE_CONTROL: IOCTL_INVERTED_NOTIFY parks the request; IOCTL_INVERTED_SIMULATE_EVENT
   * completes the oldest parked request with the next event number, or drops the event.
   *
   * @returns STATUS_PENDING for a parked request, otherwise the request's final status.
   */
  const InvertedDeviceControl: DRIVER_DISPATCH = function InvertedDeviceControl(DeviceObject, Irp) {
    const ext = extensionOf(DeviceObject);
    const stack = IoGetCurrentIrpStackLocation(Irp);
    switch (stack.Parameters.DeviceIoControl.IoControlCode) {
      case IOCTL_INVERTED_NOTIFY: {
        if (stack.Parameters.DeviceIoControl.OutputBufferLength < INVERTED_NOTIFICATION_BYTES) return InvertedComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        IoCsqInsertIrp(ext.CancelSafeQueue, Irp, null);
        return STATUS_PENDING;
      }
      case IOCTL_INVERTED_SIMULATE_EVENT: {
        const sequence = ++ext.EventSequence;
        const parked = IoCsqRemoveNextIrp(ext.CancelSafeQueue, null);
        if (parked) {
          writeU32(parked.AssociatedIrp.SystemBuffer, sequence);
          ext.EventsDelivered++;
          DbgPrint(`InvertedCall: event ${sequence} completes ${parked.label}`);
          InvertedComplete(parked, STATUS_SUCCESS, INVERTED_NOTIFICATION_BYTES);
        } else {
          ext.EventsDropped++;
          DbgPrint(`InvertedCall: event ${sequence} dropped: no request is parked`);
        }
        return InvertedComplete(Irp, STATUS_SUCCESS, 0);
      }
      default:
        return InvertedComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
  };

  /**
   * DriverUnload: removes the symbolic link and the device.
   *
   * @param DriverObject this driver.
   */
  function InvertedUnload(DriverObject: DRIVER_OBJECT): void {
    IoDeleteSymbolicLink("\\DosDevices\\InvertedCall");
    if (DriverObject.DeviceObject) IoDeleteDevice(DriverObject.DeviceObject);
  }

  /**
   * DriverEntry: creates \Device\InvertedCall and \DosDevices\InvertedCall, the cancel-safe
   * queue, and the dispatch table.
   *
   * @param DriverObject this driver.
   * @returns STATUS_SUCCESS, or why the device could not be created.
   */
  return function InvertedDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const ext = new INVERTED_EXTENSION();
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\InvertedCall", FILE_DEVICE_UNKNOWN, 0, false);
    if (!NT_SUCCESS(status) || !DeviceObject) return status;
    InvertedInitializeQueue(ext);
    const linked = IoCreateSymbolicLink("\\DosDevices\\InvertedCall", "\\Device\\InvertedCall");
    if (!NT_SUCCESS(linked)) {
      IoDeleteDevice(DeviceObject);
      return linked;
    }
    DriverObject.MajorFunction[IRP_MJ_CREATE] = InvertedCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = InvertedCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = InvertedCleanup;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = InvertedDeviceControl;
    DriverObject.DriverUnload = InvertedUnload;
    return STATUS_SUCCESS;
  };
}

/** The correct driver. */
export const InvertedDriverEntry = makeInvertedCallDriver();
