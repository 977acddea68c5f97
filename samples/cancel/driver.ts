/**
 * Poller: a read driver for a device with no interrupt, after the pattern of the WDK's
 * general/cancel sample (written afresh). Reads wait in a cancel-safe queue; a system thread polls
 * the device and hands each new reading to the oldest queued read.
 *
 * - IRP_MJ_READ puts the read in the queue with IoCsqInsertIrp (which marks it pending and makes it
 *   cancellable) and releases a semaphore: one count per queued read.
 * - The polling thread (PsCreateSystemThread) waits on the semaphore, then polls the device's
 *   status register every POLLER_POLL_MS with KeDelayExecutionThread until a new reading is ready
 *   (the device has one every POLLER_SAMPLE_MS), then takes the oldest read with
 *   IoCsqRemoveNextIrp and completes it with the reading. A read cancelled meanwhile is simply not
 *   there any more; the reading waits for the next read.
 * - The driver writes no cancel routine: the queue's (through CompleteCanceledIrp) completes a
 *   cancelled read with STATUS_CANCELLED.
 * - IRP_MJ_CLEANUP drains the closing file's reads (IoCsqRemoveNextIrp with the file object as the
 *   peek context).
 * - DriverUnload stops the thread: sets ThreadShouldStop, releases the semaphore and waits on the
 *   thread object it referenced with ObReferenceObjectByHandle in DriverEntry.
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
  InitializeListHead,
  InsertTailList,
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
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_READ,
  KeAcquireSpinLock,
  KeDelayExecutionThread,
  KeInitializeSemaphore,
  KeInitializeSpinLock,
  KeQueryInterruptTimePrecise,
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
  SYNCHRONIZE,
  writeU32,
  ZwClose,
  type DRIVER_DISPATCH,
  type IO_CSQ_ACQUIRE_LOCK,
  type IO_CSQ_COMPLETE_CANCELED_IRP,
  type IO_CSQ_INSERT_IRP,
  type IO_CSQ_PEEK_NEXT_IRP,
  type IO_CSQ_RELEASE_LOCK,
  type IO_CSQ_REMOVE_IRP,
  type NTSTATUS,
} from "irpsim/wdm";

/** POLLER_READING: ULONG Sequence; ULONG TimeMs (when the device took it). */
export const POLLER_READING_BYTES = 8;
/** The device has a new reading every this many milliseconds. */
export const POLLER_SAMPLE_MS = 10;
/** The polling thread looks at the device this often while it waits for a reading. */
export const POLLER_POLL_MS = 2;

/** How one read ended, for the scenario's checks. */
export interface PollerCompletion {
  readonly irp: string;
  readonly status: NTSTATUS;
  readonly information: number;
  /** Who completed it: the polling thread, IRP_MJ_CLEANUP, or the queue's cancel path. */
  readonly by: "polling thread" | "cleanup" | "cancel";
}

/** Per-device state (what C keeps in the device extension). */
export class POLLER_EXTENSION {
  readonly QueueLock = new KSPIN_LOCK("PollerQueueLock");
  readonly PendingIrpQueue = new LIST_ENTRY<IRP>();
  readonly CancelSafeQueue = new IO_CSQ();
  /** One count per queued read; the polling thread sleeps on it while there is nothing to do. */
  readonly IrpQueueSemaphore = new KSEMAPHORE(0, 0x7fffffff, "PollerIrpQueueSemaphore");
  ThreadShouldStop = false;
  /** The polling thread, referenced, for DriverUnload to wait on. */
  PollingThread: ETHREAD | null = null;
  /** The device: when its next reading is ready (interrupt time, 100 ns), and how many it made. */
  NextReadingAt = 0;
  Sequence = 0;
  /** Device polls the thread made. */
  Polls = 0;
  ReadsReceived = 0;
  readonly Completions: PollerCompletion[] = [];
}

function extensionOf(DeviceObject: DEVICE_OBJECT): POLLER_EXTENSION {
  return DeviceObject.DeviceExtension as POLLER_EXTENSION;
}

/** Completes a read and records it. */
function PollerCompleteRead(ext: POLLER_EXTENSION, Irp: IRP, Status: NTSTATUS, Information: number, by: PollerCompletion["by"]): NTSTATUS {
  ext.Completions.push({ irp: Irp.label, status: Status, information: Information, by });
  Irp.IoStatus.Status = Status;
  Irp.IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

/** The cancel-safe queue's callbacks over the extension's list and spin lock. */
function PollerInitializeQueue(ext: POLLER_EXTENSION): void {
  const InsertIrp: IO_CSQ_INSERT_IRP = function PollerInsertIrp(_Csq, Irp) {
    InsertTailList(ext.PendingIrpQueue, Irp.Tail.Overlay.ListEntry);
  };
  const RemoveIrp: IO_CSQ_REMOVE_IRP = function PollerRemoveIrp(_Csq, Irp) {
    RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  };
  const PeekNextIrp: IO_CSQ_PEEK_NEXT_IRP = function PollerPeekNextIrp(_Csq, Irp, PeekContext) {
    for (let entry = Irp ? Irp.Tail.Overlay.ListEntry.Flink : ext.PendingIrpQueue.Flink; entry !== ext.PendingIrpQueue; entry = entry.Flink) {
      const next = CONTAINING_RECORD(entry);
      // A peek context is a file object: only that file's reads (IRP_MJ_CLEANUP's drain).
      if (PeekContext === null || IoGetCurrentIrpStackLocation(next).FileObject === PeekContext) return next;
    }
    return null;
  };
  const AcquireLock: IO_CSQ_ACQUIRE_LOCK = function PollerAcquireLock() {
    return KeAcquireSpinLock(ext.QueueLock);
  };
  const ReleaseLock: IO_CSQ_RELEASE_LOCK = function PollerReleaseLock(_Csq, Irql) {
    KeReleaseSpinLock(ext.QueueLock, Irql);
  };
  const CompleteCanceledIrp: IO_CSQ_COMPLETE_CANCELED_IRP = function PollerCompleteCanceledIrp(_Csq, Irp) {
    PollerCompleteRead(ext, Irp, STATUS_CANCELLED, 0, "cancel");
  };
  KeInitializeSpinLock(ext.QueueLock);
  InitializeListHead(ext.PendingIrpQueue);
  IoCsqInitialize(ext.CancelSafeQueue, InsertIrp, RemoveIrp, PeekNextIrp, AcquireLock, ReleaseLock, CompleteCanceledIrp);
}

/** The device's status register: TRUE when a new reading is ready. */
function PollerDeviceReady(ext: POLLER_EXTENSION): boolean {
  ext.Polls++;
  return KeQueryInterruptTimePrecise() >= ext.NextReadingAt;
}

/**
 * The polling thread: sleeps until a read is queued, polls the device until it has a reading,
 * and completes the oldest queued read with it.
 *
 * @param ext the device's extension.
 */
async function PollerThread(ext: POLLER_EXTENSION): Promise<void> {
  for (;;) {
    await KeWaitForSingleObject(ext.IrpQueueSemaphore, Executive, KernelMode, false, null);
    // Poll: no interrupt tells us when the reading is ready. Stop when asked, even mid-poll.
    while (!ext.ThreadShouldStop && !PollerDeviceReady(ext)) await KeDelayExecutionThread(KernelMode, false, -10_000 * POLLER_POLL_MS);
    if (ext.ThreadShouldStop) break;
    const Irp = IoCsqRemoveNextIrp(ext.CancelSafeQueue, null);
    // Cancelled or drained while we polled: keep the reading for the next read.
    if (!Irp) continue;
    const now = KeQueryInterruptTimePrecise();
    ext.NextReadingAt = now + 10_000 * POLLER_SAMPLE_MS;
    const sequence = ++ext.Sequence;
    writeU32(Irp.AssociatedIrp.SystemBuffer, sequence);
    writeU32(Irp.AssociatedIrp.SystemBuffer + 4, Math.floor(now / 10_000));
    DbgPrint(`Poller: reading ${sequence} completes ${Irp.label}`);
    PollerCompleteRead(ext, Irp, STATUS_SUCCESS, POLLER_READING_BYTES, "polling thread");
  }
  await PsTerminateSystemThread(STATUS_SUCCESS);
}

/**
 * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
 *
 * @returns STATUS_SUCCESS.
 */
const PollerCreateClose: DRIVER_DISPATCH = function PollerCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * IRP_MJ_READ: queues the read for the polling thread.
 *
 * @returns STATUS_PENDING, or STATUS_INVALID_PARAMETER for a read shorter than a reading.
 */
const PollerRead: DRIVER_DISPATCH = function PollerRead(DeviceObject, Irp) {
  const ext = extensionOf(DeviceObject);
  ext.ReadsReceived++;
  if (IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length < POLLER_READING_BYTES) return PollerCompleteRead(ext, Irp, STATUS_INVALID_PARAMETER, 0, "polling thread");
  IoCsqInsertIrp(ext.CancelSafeQueue, Irp, null);
  KeReleaseSemaphore(ext.IrpQueueSemaphore, 0, 1, false);
  return STATUS_PENDING;
};

/**
 * IRP_MJ_CLEANUP: the file's last handle closed; its queued reads complete with STATUS_CANCELLED.
 *
 * @returns STATUS_SUCCESS.
 */
const PollerCleanup: DRIVER_DISPATCH = function PollerCleanup(DeviceObject, Irp) {
  const ext = extensionOf(DeviceObject);
  const fileObject = IoGetCurrentIrpStackLocation(Irp).FileObject;
  for (let queued = IoCsqRemoveNextIrp(ext.CancelSafeQueue, fileObject); queued; queued = IoCsqRemoveNextIrp(ext.CancelSafeQueue, fileObject)) {
    DbgPrint(`Poller: cleanup completes ${queued.label}`);
    PollerCompleteRead(ext, queued, STATUS_CANCELLED, 0, "cleanup");
  }
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * DriverUnload: tells the polling thread to stop, wakes it, waits until it has terminated, then
 * removes the link and the device.
 *
 * @param DriverObject this driver.
 */
async function PollerUnload(DriverObject: DRIVER_OBJECT): Promise<void> {
  const DeviceObject = DriverObject.DeviceObject;
  if (DeviceObject) {
    const ext = extensionOf(DeviceObject);
    ext.ThreadShouldStop = true;
    KeReleaseSemaphore(ext.IrpQueueSemaphore, 0, 1, false);
    if (ext.PollingThread) {
      // A thread object is signalled when the thread has terminated.
      await KeWaitForSingleObject(ext.PollingThread, Executive, KernelMode, false, null);
      ObDereferenceObject(ext.PollingThread);
      ext.PollingThread = null;
    }
  }
  IoDeleteSymbolicLink("\\DosDevices\\Poller");
  if (DeviceObject) IoDeleteDevice(DeviceObject);
}

/**
 * DriverEntry: creates \Device\Poller (buffered I/O) and its link, the cancel-safe queue and the
 * polling thread, whose handle it trades for a referenced thread object.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device or the thread could not be created.
 */
export async function PollerDriverEntry(DriverObject: DRIVER_OBJECT): Promise<NTSTATUS> {
  const ext = new POLLER_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Poller", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  DeviceObject.Flags |= DO_BUFFERED_IO;
  PollerInitializeQueue(ext);
  KeInitializeSemaphore(ext.IrpQueueSemaphore, 0, 0x7fffffff);
  ext.NextReadingAt = KeQueryInterruptTimePrecise() + 10_000 * POLLER_SAMPLE_MS;
  const thread = PsCreateSystemThread(PollerThread, ext, "PollerThread");
  if (!NT_SUCCESS(thread.status)) {
    IoDeleteDevice(DeviceObject);
    return thread.status;
  }
  const ref = ObReferenceObjectByHandle(thread.ThreadHandle, SYNCHRONIZE, PsThreadType, KernelMode);
  ext.PollingThread = ref.Object;
  await ZwClose(thread.ThreadHandle);
  const linked = IoCreateSymbolicLink("\\DosDevices\\Poller", "\\Device\\Poller");
  if (!NT_SUCCESS(linked)) {
    await PollerUnload(DriverObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = PollerCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = PollerCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = PollerCleanup;
  DriverObject.MajorFunction[IRP_MJ_READ] = PollerRead;
  DriverObject.DriverUnload = PollerUnload;
  return STATUS_SUCCESS;
}
