/**
 * Irql: a driver that keeps statistics and a device state under spin locks and a mutex, with one
 * IRQL or locking bug per control code.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DISPATCH_LEVEL,
  DRIVER_OBJECT,
  Executive,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeAcquireSpinLock,
  KeInitializeEvent,
  KeInitializeMutex,
  KeInitializeSpinLock,
  KeLowerIrql,
  KeRaiseIrql,
  KeReleaseMutex,
  KeReleaseSpinLock,
  KernelMode,
  KEVENT,
  KeWaitForSingleObject,
  KMUTANT,
  KSPIN_LOCK,
  METHOD_BUFFERED,
  METHOD_NEITHER,
  NotificationEvent,
  NT_SUCCESS,
  readU32,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

const code = (fn: number, method: number = METHOD_BUFFERED): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9c0 + fn, method, FILE_ANY_ACCESS);
/** Raises to APC_LEVEL "to keep APCs out" while it holds a spin lock. */
export const IOCTL_IRQL_SNAPSHOT = code(0);
/** Restores an IRQL it never raised from. */
export const IOCTL_IRQL_RESET = code(1);
/** Releases the statistics lock twice on its error path. */
export const IOCTL_IRQL_CLEAR_STATS = code(2);
/** Waits for the device to go idle while holding the state lock. */
export const IOCTL_IRQL_WAIT_IDLE = code(3);
/** Reads the caller's METHOD_NEITHER input while holding the state lock. */
export const IOCTL_IRQL_SET_THRESHOLD = code(4, METHOD_NEITHER);
/** Returns early while holding the statistics lock. */
export const IOCTL_IRQL_COUNT = code(5);
/** Takes the state lock, then the statistics lock. */
export const IOCTL_IRQL_SAMPLE = code(6);
/** Takes the statistics lock, then the state lock. */
export const IOCTL_IRQL_REPORT = code(7);
/** Acquires the configuration mutex for the caller. */
export const IOCTL_IRQL_BEGIN_CONFIG = code(8);
/** Releases the configuration mutex. */
export const IOCTL_IRQL_END_CONFIG = code(9);

/** Irql's device extension. */
export class IRQL_EXTENSION {
  readonly StateLock = new KSPIN_LOCK("IrqlStateLock");
  readonly StatsLock = new KSPIN_LOCK("IrqlStatsLock");
  readonly ConfigMutex = new KMUTANT("IrqlConfigMutex");
  readonly Idle = new KEVENT(NotificationEvent, false, "IrqlIdle");
  Requests = 0;
  Threshold = 0;
  Samples = 0;
}

function IrqlExtension(DeviceObject: DEVICE_OBJECT): IRQL_EXTENSION {
  return DeviceObject.DeviceExtension as IRQL_EXTENSION;
}

/** The three-line completion. */
function IrqlComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns the request's final status.
 */
const IrqlDeviceControl: DRIVER_DISPATCH = async function IrqlDeviceControl(DeviceObject, Irp) {
  const ext = IrqlExtension(DeviceObject);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  switch (stack.Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IRQL_SNAPSHOT: {
      const oldIrql = KeAcquireSpinLock(ext.StatsLock);
      // BUG: already at DISPATCH_LEVEL (the spin lock); KeRaiseIrql cannot go down to APC_LEVEL.
      const saved = KeRaiseIrql(1);
      KeLowerIrql(saved);
      KeReleaseSpinLock(ext.StatsLock, oldIrql);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_IRQL_RESET:
      // BUG: "restores" DISPATCH_LEVEL from a variable that was meant to hold the old IRQL.
      KeLowerIrql(DISPATCH_LEVEL);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    case IOCTL_IRQL_CLEAR_STATS: {
      const oldIrql = KeAcquireSpinLock(ext.StatsLock);
      if (ext.Requests === 0) {
        KeReleaseSpinLock(ext.StatsLock, oldIrql);
        // (missing: return here) — falls through to the common release.
      }
      ext.Requests = 0;
      KeReleaseSpinLock(ext.StatsLock, oldIrql);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_IRQL_WAIT_IDLE: {
      const oldIrql = KeAcquireSpinLock(ext.StateLock);
      // BUG: waiting with a spin lock held, at DISPATCH_LEVEL.
      await KeWaitForSingleObject(ext.Idle, Executive, KernelMode, false, null);
      KeReleaseSpinLock(ext.StateLock, oldIrql);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_IRQL_SET_THRESHOLD: {
      const input = stack.Parameters.DeviceIoControl.Type3InputBuffer;
      const oldIrql = KeAcquireSpinLock(ext.StateLock);
      // BUG: the caller's buffer is user memory, touched at DISPATCH_LEVEL.
      ext.Threshold = readU32(input);
      KeReleaseSpinLock(ext.StateLock, oldIrql);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_IRQL_COUNT: {
      IrqlComplete(Irp, STATUS_SUCCESS);
      const oldIrql = KeAcquireSpinLock(ext.StatsLock);
      ext.Requests++;
      if (ext.Requests > 0) return STATUS_SUCCESS; // BUG: returns still holding IrqlStatsLock.
      KeReleaseSpinLock(ext.StatsLock, oldIrql);
      return STATUS_SUCCESS;
    }
    case IOCTL_IRQL_SAMPLE: {
      const oldIrql = KeAcquireSpinLock(ext.StateLock);
      const statsIrql = KeAcquireSpinLock(ext.StatsLock);
      ext.Samples++;
      KeReleaseSpinLock(ext.StatsLock, statsIrql);
      KeReleaseSpinLock(ext.StateLock, oldIrql);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_IRQL_REPORT: {
      // BUG: the opposite order to IOCTL_IRQL_SAMPLE's.
      const oldIrql = KeAcquireSpinLock(ext.StatsLock);
      const stateIrql = KeAcquireSpinLock(ext.StateLock);
      ext.Samples = 0;
      KeReleaseSpinLock(ext.StateLock, stateIrql);
      KeReleaseSpinLock(ext.StatsLock, oldIrql);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_IRQL_BEGIN_CONFIG:
      await KeWaitForSingleObject(ext.ConfigMutex, Executive, KernelMode, false, null);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    case IOCTL_IRQL_END_CONFIG:
      // BUG: whichever thread asks releases the mutex, not the one that acquired it.
      KeReleaseMutex(ext.ConfigMutex, false);
      return IrqlComplete(Irp, STATUS_SUCCESS);
    default:
      return IrqlComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const IrqlCreateClose: DRIVER_DISPATCH = function IrqlCreateClose(_DeviceObject, Irp) {
  return IrqlComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyIrql and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function IrqlDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new IRQL_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyIrql", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.StateLock);
  KeInitializeSpinLock(ext.StatsLock);
  KeInitializeMutex(ext.ConfigMutex, 0);
  KeInitializeEvent(ext.Idle, NotificationEvent, false);
  IoCreateSymbolicLink("\\DosDevices\\BuggyIrql", "\\Device\\BuggyIrql");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = IrqlCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = IrqlCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = IrqlCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrqlDeviceControl;
  return STATUS_SUCCESS;
}
