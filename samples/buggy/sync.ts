/**
 * Sync: a driver that keeps its state behind a remove lock, a fast mutex, an executive resource and
 * run-down protection, allocates contexts from a lookaside list and defers work to work items,
 * with one synchronization bug per control code. Ntfy: a driver that watches process creation and
 * forgets to stop watching when it unloads.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  DelayedWorkQueue,
  ERESOURCE,
  EVENT_MODIFY_STATE,
  EX_RUNDOWN_REF,
  ExAcquireFastMutex,
  ExAcquireResourceExclusiveLite,
  ExAcquireResourceSharedLite,
  ExAcquireRundownProtection,
  ExAllocatePoolWithTag,
  ExDeleteResourceLite,
  ExEventObjectType,
  ExFreePoolWithTag,
  ExInitializeFastMutex,
  ExInitializeNPagedLookasideList,
  ExInitializeResourceLite,
  ExInitializeRundownProtection,
  ExReleaseFastMutex,
  ExReleaseResourceLite,
  ExReleaseRundownProtection,
  FAST_MUTEX,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IO_REMOVE_LOCK,
  IoAcquireRemoveLock,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoInitializeRemoveLock,
  IoInitializeWorkItem,
  IoQueueWorkItem,
  IoReleaseRemoveLock,
  IoSizeofWorkItem,
  IoUninitializeWorkItem,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeAcquireSpinLock,
  KeEnterCriticalRegion,
  KeInitializeSpinLock,
  KeLeaveCriticalRegion,
  KeReleaseSpinLock,
  KernelMode,
  KSPIN_LOCK,
  METHOD_BUFFERED,
  NonPagedPoolNx,
  NPAGED_LOOKASIDE_LIST,
  NT_SUCCESS,
  ObDereferenceObject,
  ObReferenceObjectByHandle,
  PsSetCreateProcessNotifyRoutine,
  readU32,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa40 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Acquires the remove lock with the device as tag and releases it with the IRP. */
export const IOCTL_SYNC_MISTAGGED = code(0);
/** Queues a work item that lives in its context block, then frees the block. */
export const IOCTL_SYNC_DEFER = code(1);
/** Initialises the context lookaside list again on every request. */
export const IOCTL_SYNC_SETUP = code(2);
/** Takes the configuration fast mutex while holding the statistics spin lock. */
export const IOCTL_SYNC_CONFIGURE = code(3);
/** Reads the table under the resource without entering a critical region. */
export const IOCTL_SYNC_QUERY = code(4);
/** Leaves the critical region twice on its error path. */
export const IOCTL_SYNC_UPDATE = code(5);
/** Calls a helper that takes the fast mutex the caller already holds. */
export const IOCTL_SYNC_RECONFIGURE = code(6);
/** Deletes the table's resource while it holds it. */
export const IOCTL_SYNC_RESET = code(7);
/** Releases the run-down reference twice. */
export const IOCTL_SYNC_USE_BUFFER = code(8);
/** References the caller's event handle (its input) with AccessMode KernelMode. */
export const IOCTL_SYNC_SIGNAL = code(9);
/** References a worker-thread handle it never created (NULL) with KernelMode. */
export const IOCTL_SYNC_WAIT_WORKER = code(10);

/** The device extension. */
class SYNC_EXTENSION {
  readonly RemoveLock = new IO_REMOVE_LOCK();
  readonly StatsLock = new KSPIN_LOCK();
  readonly ConfigMutex = new FAST_MUTEX();
  readonly Table = new ERESOURCE();
  readonly BufferRef = new EX_RUNDOWN_REF();
  readonly Contexts = new NPAGED_LOOKASIDE_LIST();
  /** Never set: the worker thread is not created yet. */
  readonly WorkerThreadHandle = 0;
  Generation = 0;
}

function SyncComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/** Bumps the configuration generation under the fast mutex (callers must not hold it). */
async function SyncBumpGeneration(ext: SYNC_EXTENSION): Promise<void> {
  await ExAcquireFastMutex(ext.ConfigMutex);
  ext.Generation++;
  ExReleaseFastMutex(ext.ConfigMutex);
}

/** The deferred part of IOCTL_SYNC_DEFER: runs on a system worker thread. */
function SyncDeferredWork(_DeviceObject: DEVICE_OBJECT, Context: number): void {
  IoUninitializeWorkItem(Context);
  ExFreePoolWithTag(Context, "SyWk");
}

/**
 * IRP_MJ_DEVICE_CONTROL: one bug per control code.
 *
 * @returns the request's status.
 */
const SyncDeviceControl: DRIVER_DISPATCH = async function SyncDeviceControl(DeviceObject, Irp) {
  const ext = DeviceObject.DeviceExtension as SYNC_EXTENSION;
  const control = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
  switch (control) {
    case IOCTL_SYNC_MISTAGGED: {
      const status = IoAcquireRemoveLock(ext.RemoveLock, DeviceObject);
      if (!NT_SUCCESS(status)) return SyncComplete(Irp, status);
      IoReleaseRemoveLock(ext.RemoveLock, Irp); // BUG: acquired with DeviceObject as the tag.
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_DEFER: {
      const block = ExAllocatePoolWithTag(NonPagedPoolNx, IoSizeofWorkItem(), "SyWk");
      if (block === 0) return SyncComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      IoInitializeWorkItem(DeviceObject, block);
      IoQueueWorkItem(block, SyncDeferredWork, DelayedWorkQueue, block);
      ExFreePoolWithTag(block, "SyWk"); // BUG: the queued work item lives in this block.
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_SETUP:
      // BUG: the list was initialised in DriverEntry and is still active.
      ExInitializeNPagedLookasideList(ext.Contexts, null, null, 0, 64, "SyCx", 0);
      return SyncComplete(Irp, STATUS_SUCCESS);
    case IOCTL_SYNC_CONFIGURE: {
      const old = KeAcquireSpinLock(ext.StatsLock);
      await ExAcquireFastMutex(ext.ConfigMutex); // BUG: at DISPATCH_LEVEL, under the spin lock.
      ext.Generation++;
      ExReleaseFastMutex(ext.ConfigMutex);
      KeReleaseSpinLock(ext.StatsLock, old);
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_QUERY: {
      await ExAcquireResourceSharedLite(ext.Table, true); // BUG: no KeEnterCriticalRegion first.
      const generation = ext.Generation;
      ExReleaseResourceLite(ext.Table);
      return SyncComplete(Irp, generation >= 0 ? STATUS_SUCCESS : STATUS_INVALID_DEVICE_REQUEST);
    }
    case IOCTL_SYNC_UPDATE: {
      KeEnterCriticalRegion();
      await ExAcquireResourceExclusiveLite(ext.Table, true);
      const full = ext.Generation > 1000;
      ExReleaseResourceLite(ext.Table);
      if (!full) KeLeaveCriticalRegion();
      KeLeaveCriticalRegion(); // BUG: the normal path leaves the region twice.
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_RECONFIGURE: {
      await ExAcquireFastMutex(ext.ConfigMutex);
      await SyncBumpGeneration(ext); // BUG: the helper takes the fast mutex this routine holds.
      ExReleaseFastMutex(ext.ConfigMutex);
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_RESET: {
      KeEnterCriticalRegion();
      await ExAcquireResourceExclusiveLite(ext.Table, true);
      ExDeleteResourceLite(ext.Table); // BUG: deleted while this thread holds it.
      ExInitializeResourceLite(ext.Table);
      KeLeaveCriticalRegion();
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_USE_BUFFER: {
      if (!ExAcquireRundownProtection(ext.BufferRef)) return SyncComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
      ExReleaseRundownProtection(ext.BufferRef);
      ExReleaseRundownProtection(ext.BufferRef); // BUG: released twice.
      return SyncComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_SYNC_SIGNAL: {
      const handle = readU32(Irp.AssociatedIrp.SystemBuffer);
      // BUG: an app's handle referenced as KernelMode: no type or access check.
      const { status, Object } = ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, ExEventObjectType, KernelMode);
      if (Object) ObDereferenceObject(Object);
      return SyncComplete(Irp, status);
    }
    case IOCTL_SYNC_WAIT_WORKER: {
      // BUG: the worker thread was never created; its handle is NULL.
      const { status, Object } = ObReferenceObjectByHandle(ext.WorkerThreadHandle, 0, null, KernelMode);
      if (Object) ObDereferenceObject(Object);
      return SyncComplete(Irp, status);
    }
    default:
      return SyncComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const SyncCreateClose: DRIVER_DISPATCH = function SyncCreateClose(_DeviceObject, Irp) {
  return SyncComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggySync and its link, and initialises the locks and the list.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function SyncDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new SYNC_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggySync", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  IoInitializeRemoveLock(ext.RemoveLock, "SyRl", 0, 0);
  KeInitializeSpinLock(ext.StatsLock);
  ExInitializeFastMutex(ext.ConfigMutex);
  ExInitializeResourceLite(ext.Table);
  ExInitializeRundownProtection(ext.BufferRef);
  ExInitializeNPagedLookasideList(ext.Contexts, null, null, 0, 64, "SyCx", 0);
  IoCreateSymbolicLink("\\DosDevices\\BuggySync", "\\Device\\BuggySync");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = SyncCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = SyncCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = SyncCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = SyncDeviceControl;
  return STATUS_SUCCESS;
}

/** The processes Ntfy has seen created. */
export const ntfyProcessesSeen: number[] = [];

/** Ntfy's process-notify routine: records each process created. */
function NtfyProcessNotify(_ParentId: number, ProcessId: number, Create: boolean): void {
  if (Create) ntfyProcessesSeen.push(ProcessId);
}

/**
 * Ntfy's DriverUnload: removes the device and the link, and forgets the notify routine.
 *
 * @param DriverObject this driver.
 */
function NtfyUnload(DriverObject: DRIVER_OBJECT): void {
  // BUG: no PsSetCreateProcessNotifyRoutine(NtfyProcessNotify, TRUE).
  IoDeleteSymbolicLink("\\DosDevices\\BuggyNtfy");
  if (DriverObject.DeviceObject) IoDeleteDevice(DriverObject.DeviceObject);
}

/**
 * Ntfy's DriverEntry: a device, and a process-notify routine.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why it could not start.
 */
export function NtfyDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const { status, DeviceObject } = IoCreateDevice(DriverObject, null, "\\Device\\BuggyNtfy", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  IoCreateSymbolicLink("\\DosDevices\\BuggyNtfy", "\\Device\\BuggyNtfy");
  DriverObject.DriverUnload = NtfyUnload;
  return PsSetCreateProcessNotifyRoutine(NtfyProcessNotify, false);
}
