/**
 * A test driver that pends requests in a queue (the WDK's LIST_ENTRY idiom) with or without a
 * cancel routine, and completes them on request or at cleanup.
 */
import {
  CONTAINING_RECORD,
  CTL_CODE,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoAcquireCancelSpinLock,
  IoAllocateMdl,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  IoReleaseCancelSpinLock,
  IoSetCancelRoutine,
  InitializeListHead,
  InsertTailList,
  IsListEmpty,
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
  METHOD_NEITHER,
  MmProbeAndLockPages,
  IoWriteAccess,
  RemoveEntryList,
  RemoveHeadList,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_PENDING,
  STATUS_SUCCESS,
  UserMode,
  type DEVICE_OBJECT,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type DRIVER_OBJECT,
  type NTSTATUS,
} from "../../wdm.js";

export const IOCTL_PEND = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x810, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_PEND_NO_CANCEL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x811, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_COMPLETE_ALL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x812, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_PEND_UNDER_CANCEL_LOCK = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x813, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_LOCK_USER_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x814, METHOD_NEITHER, FILE_ANY_ACCESS);

/** What the driver saw, for assertions. */
export class PenderExt {
  readonly Lock = new KSPIN_LOCK("PenderLock");
  readonly Queue = new LIST_ENTRY<IRP>();
  creates = 0;
  cleanups = 0;
  closes = 0;
  cancelled: string[] = [];
  /** Cleanup completes the file's queued IRPs (true) or leaves them (false). */
  cleanupCompletes = true;
  /** A bug on purpose when set: the cancel routine releases the cancel spin lock to this IRQL, not Irp.CancelIrql. */
  cancelReleasesTo: number | null = null;
  /** The cancel routine also completes every other queued IRP (a driver that flushes its queue on cancel). */
  cancelFlushesQueue = false;
}

function ext(d: DEVICE_OBJECT): PenderExt {
  return d.DeviceExtension as PenderExt;
}

function complete(Irp: IRP, status: NTSTATUS, information = 0): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

const PenderCancel: DRIVER_CANCEL = function PenderCancel(DeviceObject, Irp) {
  const e = ext(DeviceObject);
  IoReleaseCancelSpinLock(e.cancelReleasesTo ?? Irp.CancelIrql);
  const irql = KeAcquireSpinLock(e.Lock);
  RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  KeReleaseSpinLock(e.Lock, irql);
  e.cancelled.push(Irp.label);
  complete(Irp, STATUS_CANCELLED);
  if (e.cancelFlushesQueue) {
    for (const other of takeAll(e, null)) {
      e.cancelled.push(other.label);
      complete(other, STATUS_CANCELLED);
    }
  }
};

function queue(DeviceObject: DEVICE_OBJECT, Irp: IRP, withCancel: boolean): NTSTATUS {
  const e = ext(DeviceObject);
  const irql = KeAcquireSpinLock(e.Lock);
  if (withCancel) {
    IoSetCancelRoutine(Irp, PenderCancel);
    if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
      KeReleaseSpinLock(e.Lock, irql);
      return complete(Irp, STATUS_CANCELLED);
    }
  }
  IoMarkIrpPending(Irp);
  InsertTailList(e.Queue, Irp.Tail.Overlay.ListEntry);
  KeReleaseSpinLock(e.Lock, irql);
  return STATUS_PENDING;
}

/** Takes queued IRPs (all, or those of one file object) whose cancel routine has not started. */
function takeAll(e: PenderExt, fileObject: unknown): IRP[] {
  const out: IRP[] = [];
  const irql = KeAcquireSpinLock(e.Lock);
  for (let entry = e.Queue.Flink; entry !== e.Queue; ) {
    const next = entry.Flink;
    const irp = CONTAINING_RECORD(entry);
    if (fileObject === null || IoGetCurrentIrpStackLocation(irp).FileObject === fileObject) {
      if (IoSetCancelRoutine(irp, null) !== null || !irp.Cancel) {
        RemoveEntryList(entry);
        out.push(irp);
      }
    }
    entry = next;
  }
  KeReleaseSpinLock(e.Lock, irql);
  return out;
}

/** Makes a DriverEntry creating \Device\<name> and \DosDevices\<name>. */
export function makePender(name: string, made: { ext?: PenderExt } = {}): (DriverObject: DRIVER_OBJECT) => NTSTATUS {
  return function PenderDriverEntry(DriverObject) {
    const e = new PenderExt();
    made.ext = e;
    InitializeListHead(e.Queue);
    const { status } = IoCreateDevice(DriverObject, e, `\\Device\\${name}`, FILE_DEVICE_UNKNOWN, 0, false);
    if (status !== STATUS_SUCCESS) return status;
    IoCreateSymbolicLink(`\\DosDevices\\${name}`, `\\Device\\${name}`);
    const create: DRIVER_DISPATCH = function PenderCreate(d, Irp) {
      ext(d).creates++;
      return complete(Irp, STATUS_SUCCESS);
    };
    const close: DRIVER_DISPATCH = function PenderClose(d, Irp) {
      ext(d).closes++;
      return complete(Irp, STATUS_SUCCESS);
    };
    const cleanup: DRIVER_DISPATCH = function PenderCleanup(d, Irp) {
      const x = ext(d);
      x.cleanups++;
      if (x.cleanupCompletes) for (const irp of takeAll(x, IoGetCurrentIrpStackLocation(Irp).FileObject)) complete(irp, STATUS_CANCELLED);
      return complete(Irp, STATUS_SUCCESS);
    };
    const control: DRIVER_DISPATCH = function PenderDeviceControl(d, Irp) {
      const sl = IoGetCurrentIrpStackLocation(Irp);
      switch (sl.Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_PEND:
          return queue(d, Irp, true);
        case IOCTL_PEND_NO_CANCEL:
          return queue(d, Irp, false);
        case IOCTL_PEND_UNDER_CANCEL_LOCK: {
          // The classic pattern: the cancel spin lock guards setting the routine.
          const e = ext(d);
          const cancelIrql = IoAcquireCancelSpinLock();
          IoSetCancelRoutine(Irp, PenderCancel);
          if (Irp.Cancel) {
            IoSetCancelRoutine(Irp, null);
            IoReleaseCancelSpinLock(cancelIrql);
            return complete(Irp, STATUS_CANCELLED);
          }
          IoMarkIrpPending(Irp);
          const irql = KeAcquireSpinLock(e.Lock);
          InsertTailList(e.Queue, Irp.Tail.Overlay.ListEntry);
          KeReleaseSpinLock(e.Lock, irql);
          IoReleaseCancelSpinLock(cancelIrql);
          return STATUS_PENDING;
        }
        case IOCTL_COMPLETE_ALL: {
          const taken = takeAll(ext(d), null);
          for (const irp of taken) complete(irp, STATUS_SUCCESS, 0);
          return complete(Irp, STATUS_SUCCESS, taken.length);
        }
        case IOCTL_LOCK_USER_BUFFER: {
          // A bug on purpose: lock the caller's buffer and never unlock it.
          const mdl = IoAllocateMdl(Irp.UserBuffer, sl.Parameters.DeviceIoControl.OutputBufferLength, false, false, null);
          if (mdl) MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
          return complete(Irp, STATUS_SUCCESS);
        }
        default:
          return complete(Irp, STATUS_INVALID_DEVICE_REQUEST);
      }
    };
    DriverObject.MajorFunction[IRP_MJ_CREATE] = create;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = close;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = cleanup;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = control;
    return STATUS_SUCCESS;
  };
}

/** Queue length (for assertions). */
export function queued(e: PenderExt): number {
  let n = 0;
  for (let x = e.Queue.Flink; x !== e.Queue; x = x.Flink) n++;
  return n;
}

export { IsListEmpty, RemoveHeadList };
