/**
 * Leak: a driver that cannot be unloaded (it has no DriverUnload) and leaks one kind of resource
 * per request — which kind, the control code says. What it allocates in DriverEntry is its
 * state, not a leak.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  ExAllocatePoolWithTag,
  ExEventObjectType,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoAllocateIrp,
  IoAllocateMdl,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoModifyAccess,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KernelMode,
  METHOD_BUFFERED,
  MmBuildMdlForNonPagedPool,
  MmProbeAndLockPages,
  NonPagedPool,
  NT_SUCCESS,
  ObReferenceObjectByHandle,
  PagedPool,
  PsCreateSystemThread,
  readU32,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_SUCCESS,
  UserMode,
  writeU32,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

/** What ObReferenceObjectByHandle hands back. */
type PVOID_OBJECT = ReturnType<typeof ObReferenceObjectByHandle>["Object"];

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa20 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Allocates a per-request context and never frees it. */
export const IOCTL_LEAK_POOL = code(0);
/** Allocates an IRP for a status query it never sends or frees. */
export const IOCTL_LEAK_IRP = code(1);
/** Describes its buffer with a new MDL each time and never frees it. */
export const IOCTL_LEAK_MDL = code(2);
/** Locks its paged scratch buffer for a transfer and never unlocks it. */
export const IOCTL_LEAK_LOCKED_PAGES = code(3);
/** Starts a worker thread and never closes the thread handle. */
export const IOCTL_LEAK_HANDLE = code(4);
/** References the caller's event (its handle is the input) and never dereferences it. */
export const IOCTL_LEAK_REFERENCE = code(5);

const LEAK_BUFFER_BYTES = 4096;

/** Leak's device extension. */
export class LEAK_EXTENSION {
  /** Nonpaged and paged scratch buffers, allocated in DriverEntry. */
  Buffer = 0;
  PagedBuffer = 0;
  Requests = 0;
  /** The event a caller asked to be signalled (IOCTL_LEAK_REFERENCE). */
  NotifyEvent: PVOID_OBJECT = null;
}

function LeakExtension(DeviceObject: DEVICE_OBJECT): LEAK_EXTENSION {
  return DeviceObject.DeviceExtension as LEAK_EXTENSION;
}

/** The three-line completion. */
function LeakComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/** A worker thread that does its job and ends. */
async function LeakWorker(ext: LEAK_EXTENSION): Promise<void> {
  ext.Requests++;
  return Promise.resolve();
}

/**
 * IRP_MJ_DEVICE_CONTROL: each control code leaks what its comment says.
 *
 * @returns the request's final status.
 */
const LeakDeviceControl: DRIVER_DISPATCH = function LeakDeviceControl(DeviceObject, Irp) {
  const ext = LeakExtension(DeviceObject);
  switch (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_LEAK_POOL: {
      const context = ExAllocatePoolWithTag(NonPagedPool, 32, "LkCx");
      if (context === 0) return LeakComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      writeU32(context, ++ext.Requests);
      return LeakComplete(Irp, STATUS_SUCCESS); // BUG: the context is never freed.
    }
    case IOCTL_LEAK_IRP: {
      const query = IoAllocateIrp(1, false);
      if (!query) return LeakComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      return LeakComplete(Irp, STATUS_SUCCESS); // BUG: the query is neither sent nor freed.
    }
    case IOCTL_LEAK_MDL: {
      const mdl = IoAllocateMdl(ext.Buffer, LEAK_BUFFER_BYTES, false, false, null);
      if (!mdl) return LeakComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      MmBuildMdlForNonPagedPool(mdl);
      return LeakComplete(Irp, STATUS_SUCCESS); // BUG: no IoFreeMdl.
    }
    case IOCTL_LEAK_LOCKED_PAGES: {
      const mdl = IoAllocateMdl(ext.PagedBuffer, LEAK_BUFFER_BYTES, false, false, null);
      if (!mdl) return LeakComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      MmProbeAndLockPages(mdl, KernelMode, IoModifyAccess);
      return LeakComplete(Irp, STATUS_SUCCESS); // BUG: no MmUnlockPages, no IoFreeMdl.
    }
    case IOCTL_LEAK_HANDLE: {
      const { status } = PsCreateSystemThread(LeakWorker, ext, "LeakWorker");
      return LeakComplete(Irp, status); // BUG: the thread handle is never ZwClose'd.
    }
    case IOCTL_LEAK_REFERENCE: {
      const handle = readU32(Irp.AssociatedIrp.SystemBuffer);
      const { status, Object } = ObReferenceObjectByHandle(handle, 0x0002, ExEventObjectType, UserMode);
      if (NT_SUCCESS(status)) ext.NotifyEvent = Object; // BUG: never ObDereferenceObject'd.
      return LeakComplete(Irp, status);
    }
    default:
      return LeakComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const LeakCreateClose: DRIVER_DISPATCH = function LeakCreateClose(_DeviceObject, Irp) {
  return LeakComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyLeak and its link, and the scratch buffers.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why it could not start.
 */
export function LeakDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new LEAK_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyLeak", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  ext.Buffer = ExAllocatePoolWithTag(NonPagedPool, LEAK_BUFFER_BYTES, "LkBf");
  ext.PagedBuffer = ExAllocatePoolWithTag(PagedPool, LEAK_BUFFER_BYTES, "LkPg");
  if (ext.Buffer === 0 || ext.PagedBuffer === 0) return STATUS_INSUFFICIENT_RESOURCES;
  IoCreateSymbolicLink("\\DosDevices\\BuggyLeak", "\\Device\\BuggyLeak");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = LeakCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = LeakCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = LeakCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = LeakDeviceControl;
  return STATUS_SUCCESS;
}
