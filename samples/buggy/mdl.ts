/**
 * Mdls: a driver that works on the app's buffers through MDLs — METHOD_NEITHER buffers it locks
 * itself, METHOD_OUT_DIRECT buffers the I/O manager locked — with one MDL bug per control code.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoAllocateMdl,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoFreeMdl,
  IoGetCurrentIrpStackLocation,
  IoWriteAccess,
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
  MDL,
  MmAllocatePagesForMdl,
  MmCached,
  MmFreePagesFromMdl,
  MmMapLockedPagesSpecifyCache,
  METHOD_NEITHER,
  METHOD_OUT_DIRECT,
  MmGetSystemAddressForMdlSafe,
  MmProbeAndLockPages,
  MmUnlockPages,
  NormalPagePriority,
  NT_SUCCESS,
  NtStatusError,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_SUCCESS,
  UserMode,
  writeU32,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

const neither = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9a0 + fn, METHOD_NEITHER, FILE_ANY_ACCESS);
const outDirect = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9b0 + fn, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
/** Locks the caller's output buffer; the cleanup path unlocks it even when the probe failed. */
export const IOCTL_MDLS_FILL = neither(0);
/** Locks and maps the caller's buffer, fills it, frees the MDL while it is still mapped. */
export const IOCTL_MDLS_STAMP = neither(1);
/** Maps the caller's buffer without locking it. */
export const IOCTL_MDLS_PEEK = neither(2);
/** Locks the caller's buffer while holding the device lock (at DISPATCH_LEVEL). */
export const IOCTL_MDLS_LOCKED_FILL = neither(3);
/** Keeps the caller's buffer locked for a later transfer and never unlocks it. */
export const IOCTL_MDLS_REGISTER = neither(4);
/** Unlocks the I/O manager's MDL itself before completing. */
export const IOCTL_MDLS_RELEASE_EARLY = outDirect(0);
/** Keeps the system address of the request's buffer after completing it. */
export const IOCTL_MDLS_START_LOG = outDirect(1);
/** Maps pages of its own into the caller, then frees them while the caller's mapping remains. */
export const IOCTL_MDLS_SHARE_PAGES = neither(5);

/** Mdls's device extension. */
export class MDLS_EXTENSION {
  readonly Lock = new KSPIN_LOCK("MdlsLock");
  /** A buffer registered for a later transfer (IOCTL_MDLS_REGISTER). */
  RegisteredMdl: MDL | null = null;
  /** Where the log DPC writes (IOCTL_MDLS_START_LOG). */
  LogAddress = 0;
  readonly LogTimer = new KTIMER(false, "MdlsLogTimer");
  readonly LogDpc = new KDPC<DEVICE_OBJECT>();
}

function MdlsExtension(DeviceObject: DEVICE_OBJECT): MDLS_EXTENSION {
  return DeviceObject.DeviceExtension as MDLS_EXTENSION;
}

/** The three-line completion. */
function MdlsComplete(Irp: IRP, status: NTSTATUS, information = 0): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/** Writes the log entry the DPC appends. */
const MdlsLogDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function MdlsLogDpc(_Dpc, DeviceObject) {
  const ext = MdlsExtension(DeviceObject);
  if (ext.LogAddress !== 0) writeU32(ext.LogAddress, 0x4c4f4721);
};

/**
 * IOCTL_MDLS_FILL. BUG: the common exit unlocks the MDL even when MmProbeAndLockPages failed.
 */
function MdlsFill(Irp: IRP, length: number): NTSTATUS {
  const mdl = IoAllocateMdl(Irp.UserBuffer, length, false, false, null);
  if (!mdl) return MdlsComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  let status: NTSTATUS = STATUS_SUCCESS;
  try {
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
    const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    if (va !== 0) writeU32(va, 0xf111f111);
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
    status = e.status;
  }
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  return MdlsComplete(Irp, status);
}

/**
 * IOCTL_MDLS_STAMP. BUG: frees the MDL while its system mapping (and the lock) are still there.
 */
function MdlsStamp(Irp: IRP, length: number): NTSTATUS {
  const mdl = IoAllocateMdl(Irp.UserBuffer, length, false, false, null);
  if (!mdl) return MdlsComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  try {
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
  } catch (e) {
    IoFreeMdl(mdl);
    if (e instanceof NtStatusError) return MdlsComplete(Irp, e.status);
    throw e;
  }
  const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  if (va !== 0) writeU32(va, 0x57414d50);
  IoFreeMdl(mdl);
  return MdlsComplete(Irp, STATUS_SUCCESS);
}

/**
 * IOCTL_MDLS_PEEK. BUG: maps the MDL without MmProbeAndLockPages first.
 */
function MdlsPeek(Irp: IRP, length: number): NTSTATUS {
  const mdl = IoAllocateMdl(Irp.UserBuffer, length, false, false, null);
  if (!mdl) return MdlsComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  IoFreeMdl(mdl);
  return MdlsComplete(Irp, va !== 0 ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES);
}

/**
 * IOCTL_MDLS_LOCKED_FILL. BUG: probes and locks the user buffer while holding a spin lock.
 */
function MdlsLockedFill(ext: MDLS_EXTENSION, Irp: IRP, length: number): NTSTATUS {
  const mdl = IoAllocateMdl(Irp.UserBuffer, length, false, false, null);
  if (!mdl) return MdlsComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  try {
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
    MmUnlockPages(mdl);
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
  } finally {
    KeReleaseSpinLock(ext.Lock, oldIrql);
  }
  IoFreeMdl(mdl);
  return MdlsComplete(Irp, STATUS_SUCCESS);
}

/**
 * IOCTL_MDLS_REGISTER. BUG: the buffer stays locked in RegisteredMdl and nothing ever unlocks it,
 * not even when the app goes away.
 */
function MdlsRegister(ext: MDLS_EXTENSION, Irp: IRP, length: number): NTSTATUS {
  const mdl = IoAllocateMdl(Irp.UserBuffer, length, false, false, null);
  if (!mdl) return MdlsComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  try {
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
  } catch (e) {
    IoFreeMdl(mdl);
    if (e instanceof NtStatusError) return MdlsComplete(Irp, e.status);
    throw e;
  }
  ext.RegisteredMdl = mdl;
  return MdlsComplete(Irp, STATUS_SUCCESS);
}

/**
 * IOCTL_MDLS_RELEASE_EARLY. BUG: unlocks Irp->MdlAddress itself; the I/O manager unlocks it
 * again when the IRP completes.
 */
function MdlsReleaseEarly(Irp: IRP): NTSTATUS {
  const mdl = Irp.MdlAddress;
  if (!mdl) return MdlsComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  if (va !== 0) writeU32(va, 0x0000e417);
  MmUnlockPages(mdl);
  return MdlsComplete(Irp, STATUS_SUCCESS, 4);
}

/**
 * IOCTL_MDLS_START_LOG. BUG: keeps the system address of the request's buffer for the log DPC
 * after completing the request — completion unmaps it.
 */
function MdlsStartLog(ext: MDLS_EXTENSION, Irp: IRP): NTSTATUS {
  const mdl = Irp.MdlAddress;
  if (!mdl) return MdlsComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  ext.LogAddress = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  KeSetTimer(ext.LogTimer, -10_000 * 5, ext.LogDpc);
  return MdlsComplete(Irp, STATUS_SUCCESS);
}

/**
 * IOCTL_MDLS_SHARE_PAGES. BUG: maps pages it allocated into the calling app, then frees them with
 * MmFreePagesFromMdl while the app's mapping is still there (the app would reach freed frames).
 */
function MdlsSharePages(Irp: IRP): NTSTATUS {
  const mdl = MmAllocatePagesForMdl(0, 0xffffffff, 0, 4096);
  if (!mdl) return MdlsComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  let userVa = 0;
  try {
    userVa = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, null, false, NormalPagePriority);
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
  }
  if (userVa !== 0) writeU32(userVa, 0x5348_5244);
  MmFreePagesFromMdl(mdl);
  IoFreeMdl(mdl);
  return MdlsComplete(Irp, STATUS_SUCCESS);
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns the request's final status.
 */
const MdlsDeviceControl: DRIVER_DISPATCH = function MdlsDeviceControl(DeviceObject, Irp) {
  const ext = MdlsExtension(DeviceObject);
  const dio = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
  switch (dio.IoControlCode) {
    case IOCTL_MDLS_FILL:
      return MdlsFill(Irp, dio.OutputBufferLength);
    case IOCTL_MDLS_STAMP:
      return MdlsStamp(Irp, dio.OutputBufferLength);
    case IOCTL_MDLS_PEEK:
      return MdlsPeek(Irp, dio.OutputBufferLength);
    case IOCTL_MDLS_LOCKED_FILL:
      return MdlsLockedFill(ext, Irp, dio.OutputBufferLength);
    case IOCTL_MDLS_REGISTER:
      return MdlsRegister(ext, Irp, dio.OutputBufferLength);
    case IOCTL_MDLS_RELEASE_EARLY:
      return MdlsReleaseEarly(Irp);
    case IOCTL_MDLS_START_LOG:
      return MdlsStartLog(ext, Irp);
    case IOCTL_MDLS_SHARE_PAGES:
      return MdlsSharePages(Irp);
    default:
      return MdlsComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const MdlsCreateClose: DRIVER_DISPATCH = function MdlsCreateClose(_DeviceObject, Irp) {
  return MdlsComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggyMdl and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function MdlsDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new MDLS_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyMdl", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  KeInitializeTimer(ext.LogTimer);
  KeInitializeDpc(ext.LogDpc, MdlsLogDpc, DeviceObject as DEVICE_OBJECT);
  IoCreateSymbolicLink("\\DosDevices\\BuggyMdl", "\\Device\\BuggyMdl");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = MdlsCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = MdlsCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = MdlsCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = MdlsDeviceControl;
  return STATUS_SUCCESS;
}
