/**
 * Ctx: a driver that answers METHOD_NEITHER "wait" requests later — from another process's post,
 * from a work item or from a timer DPC — and a command interface that reads a METHOD_NEITHER
 * header. The context bugs: every later answer writes the reader's user address from a context
 * that is not the reader's, and the command reads its length field twice.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  ExAllocatePoolWithTag,
  ExInitializeWorkItem,
  ExQueueWorkItem,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
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
  KDPC,
  KeAcquireSpinLock,
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInitializeTimer,
  KeReleaseSpinLock,
  KeSetTimer,
  KSPIN_LOCK,
  KTIMER,
  METHOD_BUFFERED,
  METHOD_NEITHER,
  NonPagedPool,
  NT_SUCCESS,
  NtStatusError,
  ProbeForRead,
  readU32,
  RtlCopyMemory,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_FOUND,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WORK_QUEUE_ITEM,
  writeU32,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** ExQueueWorkItem's queue type for work that may take a while. */
const DelayedWorkQueue = 0;

/** A reader waits with its output buffer (METHOD_NEITHER: the driver gets the raw pointer). */
export const IOCTL_CTX_WAIT_FOR_DATA = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9e0, METHOD_NEITHER, FILE_ANY_ACCESS);
/** A writer posts a 32-bit value to the waiting reader. */
export const IOCTL_CTX_POST = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9e1, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** A command: a 32-bit length, then that many bytes (METHOD_NEITHER input). */
export const IOCTL_CTX_COMMAND = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9e2, METHOD_NEITHER, FILE_ANY_ACCESS);
/** A reader waits; a work item answers it later (METHOD_NEITHER). */
export const IOCTL_CTX_WAIT_FOR_WORKER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9e3, METHOD_NEITHER, FILE_ANY_ACCESS);
/** A reader waits; a timer DPC answers it later (METHOD_NEITHER). */
export const IOCTL_CTX_WAIT_FOR_TIMER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9e4, METHOD_NEITHER, FILE_ANY_ACCESS);
/** The longest command payload. */
export const CTX_MAX_COMMAND = 64;
/** What the work item and the DPC answer with. */
const CTX_ANSWER = 0x42;

/** Ctx's device extension. */
export class CTX_EXTENSION {
  readonly Lock = new KSPIN_LOCK("CtxLock");
  /** The reader waiting for data. */
  Reader: IRP | null = null;
  /** The last command's payload, copied into kernel memory. */
  Command = 0;
  readonly Worker = new WORK_QUEUE_ITEM<DEVICE_OBJECT>();
  readonly Timer = new KTIMER(false, "CtxAnswerTimer");
  readonly TimerDpc = new KDPC<DEVICE_OBJECT>();
}

function CtxExtension(DeviceObject: DEVICE_OBJECT): CTX_EXTENSION {
  return DeviceObject.DeviceExtension as CTX_EXTENSION;
}

/** The three-line completion. */
function CtxComplete(Irp: IRP, status: NTSTATUS, information = 0): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * Cancel routine of the waiting reader.
 *
 * @param DeviceObject the Ctx device.
 * @param Irp the reader's request.
 */
const CtxCancelRoutine: DRIVER_CANCEL = function CtxCancelRoutine(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = CtxExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  if (ext.Reader === Irp) ext.Reader = null;
  KeReleaseSpinLock(ext.Lock, oldIrql);
  CtxComplete(Irp, STATUS_CANCELLED);
};

/** Takes the waiting reader back from its cancel routine (null when there is none, or it is being cancelled). */
function CtxTakeReader(ext: CTX_EXTENSION): IRP | null {
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  // A NULL cancel routine means the reader's cancel routine is running: it owns the reader.
  const reader = ext.Reader && IoSetCancelRoutine(ext.Reader, null) !== null ? ext.Reader : null;
  if (reader) ext.Reader = null;
  KeReleaseSpinLock(ext.Lock, oldIrql);
  return reader;
}

/**
 * The work item that answers a waiting reader. BUG: it runs on a system worker thread, in the
 * System process, where the reader's user address means nothing.
 */
function CtxWorker(DeviceObject: DEVICE_OBJECT): void {
  const reader = CtxTakeReader(CtxExtension(DeviceObject));
  if (!reader) return;
  try {
    writeU32(reader.UserBuffer, CTX_ANSWER);
    CtxComplete(reader, STATUS_SUCCESS, 4);
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
    CtxComplete(reader, e.status);
  }
}

/**
 * The timer DPC that answers a waiting reader. BUG: it runs at DISPATCH_LEVEL in whatever process
 * is current, and writes the reader's user address.
 */
const CtxTimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function CtxTimerDpc(_Dpc, DeviceObject) {
  const reader = CtxTakeReader(CtxExtension(DeviceObject));
  if (!reader) return;
  writeU32(reader.UserBuffer, CTX_ANSWER);
  CtxComplete(reader, STATUS_SUCCESS, 4);
};

/**
 * IOCTL_CTX_COMMAND. BUG: validates the length it reads from the caller's buffer, then reads
 * it again to copy — the caller can make it larger in between.
 */
function CtxCommand(ext: CTX_EXTENSION, Irp: IRP): NTSTATUS {
  const dio = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
  const input = dio.Type3InputBuffer;
  try {
    ProbeForRead(input, dio.InputBufferLength, 4);
    if (readU32(input) > CTX_MAX_COMMAND) return CtxComplete(Irp, STATUS_INVALID_PARAMETER);
    RtlCopyMemory(ext.Command, input + 4, readU32(input));
  } catch (e) {
    if (e instanceof NtStatusError) return CtxComplete(Irp, e.status);
    throw e;
  }
  return CtxComplete(Irp, STATUS_SUCCESS);
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns STATUS_PENDING for a waiting reader, otherwise the final status.
 */
const CtxDeviceControl: DRIVER_DISPATCH = function CtxDeviceControl(DeviceObject, Irp) {
  const ext = CtxExtension(DeviceObject);
  switch (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_CTX_WAIT_FOR_DATA:
    case IOCTL_CTX_WAIT_FOR_WORKER:
    case IOCTL_CTX_WAIT_FOR_TIMER: {
      const control = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      if (ext.Reader) {
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return CtxComplete(Irp, STATUS_DEVICE_BUSY);
      }
      IoSetCancelRoutine(Irp, CtxCancelRoutine);
      if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return CtxComplete(Irp, STATUS_CANCELLED);
      }
      IoMarkIrpPending(Irp);
      ext.Reader = Irp;
      KeReleaseSpinLock(ext.Lock, oldIrql);
      if (control === IOCTL_CTX_WAIT_FOR_WORKER) ExQueueWorkItem(ext.Worker, DelayedWorkQueue);
      if (control === IOCTL_CTX_WAIT_FOR_TIMER) KeSetTimer(ext.Timer, -10_000 * 5, ext.TimerDpc);
      return STATUS_PENDING;
    }
    case IOCTL_CTX_POST: {
      const value = readU32(Irp.AssociatedIrp.SystemBuffer);
      const reader = CtxTakeReader(ext);
      if (!reader) return CtxComplete(Irp, STATUS_NOT_FOUND);
      // BUG: reader->UserBuffer is an address in the reader's process; this runs in the writer's.
      writeU32(reader.UserBuffer, value);
      CtxComplete(reader, STATUS_SUCCESS, 4);
      return CtxComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_CTX_COMMAND:
      return CtxCommand(ext, Irp);
    default:
      return CtxComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const CtxCreateClose: DRIVER_DISPATCH = function CtxCreateClose(_DeviceObject, Irp) {
  return CtxComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyContext and its link, and the command buffer.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function CtxDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new CTX_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyContext", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  ExInitializeWorkItem(ext.Worker, CtxWorker, DeviceObject as DEVICE_OBJECT);
  KeInitializeTimer(ext.Timer);
  KeInitializeDpc(ext.TimerDpc, CtxTimerDpc, DeviceObject as DEVICE_OBJECT);
  ext.Command = ExAllocatePoolWithTag(NonPagedPool, CTX_MAX_COMMAND, "CtxC");
  if (ext.Command === 0) return STATUS_INSUFFICIENT_RESOURCES;
  IoCreateSymbolicLink("\\DosDevices\\BuggyContext", "\\Device\\BuggyContext");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = CtxCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = CtxCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = CtxCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = CtxDeviceControl;
  return STATUS_SUCCESS;
}
