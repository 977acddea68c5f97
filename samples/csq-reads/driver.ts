/**
 * CsqReads: a polled data-acquisition device, after Microsoft's cancel-safe-queue sample.
 *
 * Each read (4 bytes) is queued in a cancel-safe queue and a semaphore is released. A polling
 * system thread waits on the semaphore, lets the device settle, then takes the oldest queued read
 * and completes it with the next 4-byte sample. The driver writes no cancel routine: the queue
 * handles cancellation (a read cancelled while queued completes with STATUS_CANCELLED through
 * CsampCompleteCanceledIrp). IRP_MJ_CLEANUP drains the file's queued reads; DriverUnload stops the
 * polling thread and waits for it.
 */
import {
  CONTAINING_RECORD,
  DbgPrint,
  DEVICE_OBJECT,
  DO_BUFFERED_IO,
  DRIVER_OBJECT,
  ETHREAD,
  Executive,
  FILE_DEVICE_UNKNOWN,
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
  IRP_MJ_READ,
  KeAcquireSpinLock,
  KeDelayExecutionThread,
  KeInitializeSemaphore,
  KeReleaseSemaphore,
  KeReleaseSpinLock,
  KernelMode,
  KeWaitForSingleObject,
  KSEMAPHORE,
  KSPIN_LOCK,
  LIST_ENTRY,
  NT_SUCCESS,
  ObDereferenceObject,
  ObReferenceObjectByHandle,
  PsCreateSystemThread,
  PsTerminateSystemThread,
  PsThreadType,
  RemoveEntryList,
  STATUS_CANCELLED,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  ZwClose,
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

/** Bytes one sample carries (a ULONG sequence number). */
export const CSAMP_SAMPLE_BYTES = 4;
/** The device needs this long to settle between two samples. */
export const CSAMP_SETTLE_MS = 10;

/** How one read ended, for the scenario's checks. */
export interface CsampCompletion {
  readonly irp: string;
  readonly status: NTSTATUS;
  readonly information: number;
  /** Who completed it: the polling thread, the cleanup routine, or the queue's cancel path. */
  readonly by: "polling thread" | "cleanup" | "cancel";
}

/** Per-device state (what C keeps in the device extension). */
export class CSAMP_EXTENSION {
  readonly QueueLock = new KSPIN_LOCK("CsampQueueLock");
  readonly PendingIrpQueue = new LIST_ENTRY<IRP>();
  readonly CancelSafeQueue = new IO_CSQ();
  /** Released once per queued read; the polling thread waits on it. */
  readonly IrpQueueSemaphore = new KSEMAPHORE(0, 0x7fffffff, "CsampIrpQueueSemaphore");
  ThreadShouldStop = false;
  /** The polling thread (referenced), for DriverUnload to wait on. */
  PollingThread: ETHREAD | null = null;
  /** Samples taken so far. */
  Sequence = 0;
  /** Reads the driver received. */
  ReadsReceived = 0;
  /** Every completion of a read, in order. */
  readonly Completions: CsampCompletion[] = [];
}

function extensionOf(DeviceObject: DEVICE_OBJECT): CSAMP_EXTENSION {
  return DeviceObject.DeviceExtension as CSAMP_EXTENSION;
}

/**
 * Completes a read the usual three-line way and records it.
 *
 * @returns the status it was completed with.
 */
function CsampCompleteRead(ext: CSAMP_EXTENSION, Irp: IRP, Status: NTSTATUS, Information: number, by: CsampCompletion["by"]): NTSTATUS {
  ext.Completions.push({ irp: Irp.label, status: Status, information: Information, by });
  Irp.IoStatus.Status = Status;
  Irp.IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

/** Sets up the cancel-safe queue's callbacks over the extension's list and lock. */
function CsampInitializeQueue(ext: CSAMP_EXTENSION): void {
  const InsertIrp: IO_CSQ_INSERT_IRP = function CsampInsertIrp(_Csq, Irp) {
    InsertTailList(ext.PendingIrpQueue, Irp.Tail.Overlay.ListEntry);
  };
  const RemoveIrp: IO_CSQ_REMOVE_IRP = function CsampRemoveIrp(_Csq, Irp) {
    RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  };
  const PeekNextIrp: IO_CSQ_PEEK_NEXT_IRP = function CsampPeekNextIrp(_Csq, Irp, PeekContext) {
    for (let entry = Irp ? Irp.Tail.Overlay.ListEntry.Flink : ext.PendingIrpQueue.Flink; entry !== ext.PendingIrpQueue; entry = entry.Flink) {
      const next = CONTAINING_RECORD(entry);
      if (PeekContext === null || IoGetCurrentIrpStackLocation(next).FileObject === PeekContext) return next;
    }
    return null;
  };
  const AcquireLock: IO_CSQ_ACQUIRE_LOCK = function CsampAcquireLock() {
    return KeAcquireSpinLock(ext.QueueLock);
  };
  const ReleaseLock: IO_CSQ_RELEASE_LOCK = function CsampReleaseLock(_Csq, Irql) {
    KeReleaseSpinLock(ext.QueueLock, Irql);
  };
  const CompleteCanceledIrp: IO_CSQ_COMPLETE_CANCELED_IRP = function CsampCompleteCanceledIrp(_Csq, Irp) {
    CsampCompleteRead(ext, Irp, STATUS_CANCELLED, 0, "cancel");
  };
  InitializeListHead(ext.PendingIrpQueue);
  IoCsqInitialize(ext.CancelSafeQueue, InsertIrp, RemoveIrp, PeekNextIrp, AcquireLock, ReleaseLock, CompleteCanceledIrp);
}

/**
 * The polling thread: for each released read, let the device settle, then complete the oldest
 * queued read with the next sample. A read cancelled meanwhile is simply no longer there.
 *
 * @param ext the device's extension.
 */
async function CsampPollingThread(ext: CSAMP_EXTENSION): Promise<void> {
  for (;;) {
    await KeWaitForSingleObject(ext.IrpQueueSemaphore, Executive, KernelMode, false, null);
    if (ext.ThreadShouldStop) {
      await PsTerminateSystemThread(STATUS_SUCCESS);
      return;
    }
    await KeDelayExecutionThread(KernelMode, false, -10_000 * CSAMP_SETTLE_MS);
    const Irp = IoCsqRemoveNextIrp(ext.CancelSafeQueue, null);
    if (!Irp) continue;
    const sample = ++ext.Sequence;
    writeU32(Irp.AssociatedIrp.SystemBuffer, sample);
    DbgPrint(`CsqReads: sample ${sample} completes ${Irp.label}`);
    CsampCompleteRead(ext, Irp, STATUS_SUCCESS, CSAMP_SAMPLE_BYTES, "polling thread");
  }
}

/**
 * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
 *
 * @returns STATUS_SUCCESS.
 */
const CsampCreateClose: DRIVER_DISPATCH = function CsampCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * IRP_MJ_READ: queues the read for the polling thread.
 *
 * @returns STATUS_PENDING, or STATUS_INVALID_PARAMETER for a read shorter than a sample.
 */
const CsampRead: DRIVER_DISPATCH = function CsampRead(DeviceObject, Irp) {
  const ext = extensionOf(DeviceObject);
  ext.ReadsReceived++;
  if (IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length < CSAMP_SAMPLE_BYTES) return CsampCompleteRead(ext, Irp, STATUS_INVALID_PARAMETER, 0, "polling thread");
  IoCsqInsertIrp(ext.CancelSafeQueue, Irp, null);
  KeReleaseSemaphore(ext.IrpQueueSemaphore, 0, 1, false);
  return STATUS_PENDING;
};

/**
 * IRP_MJ_CLEANUP: the file's last handle closed; its queued reads complete with STATUS_CANCELLED.
 *
 * @returns STATUS_SUCCESS.
 */
const CsampCleanup: DRIVER_DISPATCH = function CsampCleanup(DeviceObject, Irp) {
  const ext = extensionOf(DeviceObject);
  const fileObject = IoGetCurrentIrpStackLocation(Irp).FileObject;
  for (let queued = IoCsqRemoveNextIrp(ext.CancelSafeQueue, fileObject); queued; queued = IoCsqRemoveNextIrp(ext.CancelSafeQueue, fileObject)) {
    CsampCompleteRead(ext, queued, STATUS_CANCELLED, 0, "cleanup");
  }
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * DriverUnload: stops the polling thread and waits for it, then removes the device.
 *
 * @param DriverObject this driver.
 */
async function CsampUnload(DriverObject: DRIVER_OBJECT): Promise<void> {
  const device = DriverObject.DeviceObject;
  if (device) {
    const ext = extensionOf(device);
    ext.ThreadShouldStop = true;
    KeReleaseSemaphore(ext.IrpQueueSemaphore, 0, 1, false);
    if (ext.PollingThread) {
      await KeWaitForSingleObject(ext.PollingThread, Executive, KernelMode, false, null);
      ObDereferenceObject(ext.PollingThread);
      ext.PollingThread = null;
    }
  }
  IoDeleteSymbolicLink("\\DosDevices\\CsqReads");
  if (device) IoDeleteDevice(device);
}

/**
 * DriverEntry: creates \Device\CsqReads (buffered I/O) and its link, the cancel-safe queue and
 * the polling thread.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device or the thread could not be created.
 */
export async function CsampDriverEntry(DriverObject: DRIVER_OBJECT): Promise<NTSTATUS> {
  const ext = new CSAMP_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\CsqReads", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  DeviceObject.Flags |= DO_BUFFERED_IO;
  CsampInitializeQueue(ext);
  KeInitializeSemaphore(ext.IrpQueueSemaphore, 0, 0x7fffffff);
  const thread = PsCreateSystemThread(CsampPollingThread, ext, "CsampPollingThread");
  if (!NT_SUCCESS(thread.status)) {
    IoDeleteDevice(DeviceObject);
    return thread.status;
  }
  const ref = ObReferenceObjectByHandle(thread.ThreadHandle, 0, PsThreadType, KernelMode);
  ext.PollingThread = ref.Object instanceof ETHREAD ? ref.Object : null;
  await ZwClose(thread.ThreadHandle);
  const linked = IoCreateSymbolicLink("\\DosDevices\\CsqReads", "\\Device\\CsqReads");
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = CsampCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = CsampCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = CsampCleanup;
  DriverObject.MajorFunction[IRP_MJ_READ] = CsampRead;
  DriverObject.DriverUnload = CsampUnload;
  return STATUS_SUCCESS;
}
