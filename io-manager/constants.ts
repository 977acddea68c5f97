/**
 * I/O constants from wdm.h, ntddk.h and winioctl.h: major functions, buffering methods,
 * CTL_CODE, device types, access rights, IRP and stack-location flags, MDL flags.
 */

/** IRP major function codes. */
export const IrpMajor = {
  IRP_MJ_CREATE: 0x00,
  IRP_MJ_CREATE_NAMED_PIPE: 0x01,
  IRP_MJ_CLOSE: 0x02,
  IRP_MJ_READ: 0x03,
  IRP_MJ_WRITE: 0x04,
  IRP_MJ_QUERY_INFORMATION: 0x05,
  IRP_MJ_SET_INFORMATION: 0x06,
  IRP_MJ_QUERY_EA: 0x07,
  IRP_MJ_SET_EA: 0x08,
  IRP_MJ_FLUSH_BUFFERS: 0x09,
  IRP_MJ_QUERY_VOLUME_INFORMATION: 0x0a,
  IRP_MJ_SET_VOLUME_INFORMATION: 0x0b,
  IRP_MJ_DIRECTORY_CONTROL: 0x0c,
  IRP_MJ_FILE_SYSTEM_CONTROL: 0x0d,
  IRP_MJ_DEVICE_CONTROL: 0x0e,
  IRP_MJ_INTERNAL_DEVICE_CONTROL: 0x0f,
  IRP_MJ_SHUTDOWN: 0x10,
  IRP_MJ_LOCK_CONTROL: 0x11,
  IRP_MJ_CLEANUP: 0x12,
  IRP_MJ_CREATE_MAILSLOT: 0x13,
  IRP_MJ_QUERY_SECURITY: 0x14,
  IRP_MJ_SET_SECURITY: 0x15,
  IRP_MJ_POWER: 0x16,
  IRP_MJ_SYSTEM_CONTROL: 0x17,
  IRP_MJ_DEVICE_CHANGE: 0x18,
  IRP_MJ_QUERY_QUOTA: 0x19,
  IRP_MJ_SET_QUOTA: 0x1a,
  IRP_MJ_PNP: 0x1b,
} as const;

export const {
  IRP_MJ_CREATE,
  IRP_MJ_CLOSE,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  IRP_MJ_QUERY_INFORMATION,
  IRP_MJ_SET_INFORMATION,
  IRP_MJ_FLUSH_BUFFERS,
  IRP_MJ_FILE_SYSTEM_CONTROL,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_INTERNAL_DEVICE_CONTROL,
  IRP_MJ_SHUTDOWN,
  IRP_MJ_CLEANUP,
  IRP_MJ_POWER,
  IRP_MJ_SYSTEM_CONTROL,
  IRP_MJ_PNP,
} = IrpMajor;

/** IRP_MJ_MAXIMUM_FUNCTION. */
export const IRP_MJ_MAXIMUM_FUNCTION = 0x1b;

const majorNames = Object.entries(IrpMajor);
/** "IRP_MJ_DEVICE_CONTROL" for 0x0E. */
export function majorFunctionName(major: number): string {
  return majorNames.find(([, v]) => v === major)?.[0] ?? `IRP_MJ_0x${major.toString(16)}`;
}

/** Buffering methods, the low two bits of an I/O control code. */
export const IoctlMethod = { METHOD_BUFFERED: 0, METHOD_IN_DIRECT: 1, METHOD_OUT_DIRECT: 2, METHOD_NEITHER: 3 } as const;
export const { METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER } = IoctlMethod;
export const METHOD_DIRECT_TO_HARDWARE = METHOD_IN_DIRECT;
export const METHOD_DIRECT_FROM_HARDWARE = METHOD_OUT_DIRECT;

/** Required access, bits 14–15 of an I/O control code. */
export const FILE_ANY_ACCESS = 0;
/**
 * FILE_SPECIAL_ACCESS: the same value as FILE_ANY_ACCESS; the I/O manager checks no access, the
 * driver checks its own.
 */
export const FILE_SPECIAL_ACCESS = 0;
/**
 * FILE_READ_ACCESS: the caller's handle must have read access for the I/O manager to send the
 * request.
 */
export const FILE_READ_ACCESS = 1;
/**
 * FILE_WRITE_ACCESS: the caller's handle must have write access for the I/O manager to send the
 * request.
 */
export const FILE_WRITE_ACCESS = 2;

/** Device types (FILE_DEVICE_*). */
export const DeviceType = {
  FILE_DEVICE_BEEP: 0x01,
  FILE_DEVICE_CONTROLLER: 0x04,
  FILE_DEVICE_DISK: 0x07,
  FILE_DEVICE_FILE_SYSTEM: 0x09,
  FILE_DEVICE_KEYBOARD: 0x0b,
  FILE_DEVICE_NETWORK: 0x12,
  FILE_DEVICE_NULL: 0x15,
  FILE_DEVICE_SERIAL_PORT: 0x1b,
  FILE_DEVICE_UNKNOWN: 0x22,
  FILE_DEVICE_VIDEO: 0x23,
} as const;
export const { FILE_DEVICE_UNKNOWN, FILE_DEVICE_DISK, FILE_DEVICE_FILE_SYSTEM, FILE_DEVICE_NULL, FILE_DEVICE_SERIAL_PORT, FILE_DEVICE_VIDEO, FILE_DEVICE_CONTROLLER } = DeviceType;

/** CTL_CODE(DeviceType, Function, Method, Access). */
export function CTL_CODE(DeviceType: number, Function: number, Method: number, Access: number): number {
  return ((DeviceType << 16) | (Access << 14) | (Function << 2) | Method) >>> 0;
}
/** DEVICE_TYPE_FROM_CTL_CODE. */
export function DEVICE_TYPE_FROM_CTL_CODE(code: number): number {
  return (code >>> 16) & 0xffff;
}
/** METHOD_FROM_CTL_CODE. */
export function METHOD_FROM_CTL_CODE(code: number): number {
  return code & 3;
}
/** The required-access bits of a control code. */
export function ACCESS_FROM_CTL_CODE(code: number): number {
  return (code >>> 14) & 3;
}
/** The function bits of a control code. */
export function FUNCTION_FROM_CTL_CODE(code: number): number {
  return (code >>> 2) & 0xfff;
}

/** Access rights for files and devices (winnt.h). */
export const FileAccess = {
  FILE_READ_DATA: 0x0001,
  FILE_WRITE_DATA: 0x0002,
  FILE_APPEND_DATA: 0x0004,
  FILE_READ_EA: 0x0008,
  FILE_WRITE_EA: 0x0010,
  FILE_EXECUTE: 0x0020,
  FILE_READ_ATTRIBUTES: 0x0080,
  FILE_WRITE_ATTRIBUTES: 0x0100,
  DELETE: 0x00010000,
  READ_CONTROL: 0x00020000,
  SYNCHRONIZE: 0x00100000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
  FILE_GENERIC_READ: 0x00120089,
  FILE_GENERIC_WRITE: 0x00120116,
  FILE_GENERIC_EXECUTE: 0x001200a0,
  FILE_ALL_ACCESS: 0x001f01ff,
} as const;
export const {
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  FILE_READ_ATTRIBUTES,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_WRITE,
  GENERIC_READ,
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  FILE_GENERIC_EXECUTE,
  FILE_ALL_ACCESS,
} = FileAccess;

/** Maps GENERIC_* bits to the file-specific rights (the file object type's generic mapping). */
export function mapGenericFileAccess(access: number): number {
  let a = access & ~(GENERIC_ALL | GENERIC_EXECUTE | GENERIC_WRITE | GENERIC_READ);
  if (access & GENERIC_READ) a |= FILE_GENERIC_READ;
  if (access & GENERIC_WRITE) a |= FILE_GENERIC_WRITE;
  if (access & GENERIC_EXECUTE) a |= FILE_GENERIC_EXECUTE;
  if (access & GENERIC_ALL) a |= FILE_ALL_ACCESS;
  return a >>> 0;
}

/** DEVICE_OBJECT.Flags. */
export const DO_VERIFY_VOLUME = 0x00000002;
/**
 * DO_BUFFERED_IO: reads and writes to this device go through a system buffer the I/O manager copies
 * (Irp.AssociatedIrp.SystemBuffer).
 */
export const DO_BUFFERED_IO = 0x00000004;
/** DO_EXCLUSIVE: only one file object may be open on the device at a time. */
export const DO_EXCLUSIVE = 0x00000008;
/**
 * DO_DIRECT_IO: reads and writes to this device get the caller's buffer locked and described by an
 * MDL (Irp.MdlAddress).
 */
export const DO_DIRECT_IO = 0x00000010;
export const DO_DEVICE_HAS_NAME = 0x00000040;
/**
 * DO_DEVICE_INITIALIZING: set by IoCreateDevice; opens fail until the driver clears it
 * (DriverEntry's devices are cleared for it).
 */
export const DO_DEVICE_INITIALIZING = 0x00000080;
/** DO_POWER_PAGABLE: the device's power IRPs may be handled at PASSIVE_LEVEL. */
export const DO_POWER_PAGABLE = 0x00002000;

/** Device characteristics. */
export const FILE_DEVICE_SECURE_OPEN = 0x00000100;

/** IO_STACK_LOCATION.Control. */
export const SL_PENDING_RETURNED = 0x01;
export const SL_ERROR_RETURNED = 0x02;
/**
 * SL_INVOKE_ON_CANCEL: call the completion routine when the IRP completes with STATUS_CANCELLED.
 */
export const SL_INVOKE_ON_CANCEL = 0x20;
/**
 * SL_INVOKE_ON_SUCCESS: call the completion routine when the IRP completes with a success status.
 */
export const SL_INVOKE_ON_SUCCESS = 0x40;
/** SL_INVOKE_ON_ERROR: call the completion routine when the IRP completes with an error status. */
export const SL_INVOKE_ON_ERROR = 0x80;

/** IRP.Flags: IRP_NOCACHE, the transfer bypasses the cache. */
export const IRP_NOCACHE = 0x0001;
export const IRP_PAGING_IO = 0x0002;
/** IRP_SYNCHRONOUS_API: the request came from a synchronous call (the I/O manager waits for it on the caller's behalf). */
export const IRP_SYNCHRONOUS_API = 0x0004;
/** IRP_ASSOCIATED_IRP: an associated IRP of a master IRP (IoMakeAssociatedIrp); completing the last completes the master. */
export const IRP_ASSOCIATED_IRP = 0x0008;
/** IRP_BUFFERED_IO: AssociatedIrp.SystemBuffer is a system copy of the caller's buffer (METHOD_BUFFERED, DO_BUFFERED_IO). */
export const IRP_BUFFERED_IO = 0x0010;
/** IRP_DEALLOCATE_BUFFER: the I/O manager frees SystemBuffer when the IRP completes. */
export const IRP_DEALLOCATE_BUFFER = 0x0020;
/** IRP_INPUT_OPERATION: data flows to the caller, so completion copies SystemBuffer back to the user's buffer. */
export const IRP_INPUT_OPERATION = 0x0040;
export const IRP_CREATE_OPERATION = 0x0080;
export const IRP_READ_OPERATION = 0x0100;
export const IRP_WRITE_OPERATION = 0x0200;
export const IRP_CLOSE_OPERATION = 0x0400;
export const IRP_DEFER_IO_COMPLETION = 0x0800;

/** FILE_OBJECT.Flags. */
export const FO_SYNCHRONOUS_IO = 0x00000002;
export const FO_ALERTABLE_IO = 0x00000004;
export const FO_HANDLE_CREATED = 0x00040000;
export const FO_CLEANUP_COMPLETE = 0x00004000;
/** Set by SetFileCompletionNotificationModes (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS). */
export const FO_SKIP_COMPLETION_PORT = 0x02000000;
/** Set by SetFileCompletionNotificationModes (FILE_SKIP_SET_EVENT_ON_HANDLE). */
export const FO_SKIP_SET_EVENT = 0x04000000;
/** Set by SetFileCompletionNotificationModes (FILE_SKIP_SET_USER_EVENT_ON_FAST_IO). */
export const FO_SKIP_SET_FAST_IO = 0x08000000;

/** SetFileCompletionNotificationModes flags (winbase.h). */
export const FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
/**
 * FILE_SKIP_SET_EVENT_ON_HANDLE: the I/O manager does not signal the file handle itself when a
 * request on it completes.
 */
export const FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;
/**
 * FILE_SKIP_SET_USER_EVENT_ON_FAST_IO: no event is set for a request that completes on the fast I/O
 * path.
 */
export const FILE_SKIP_SET_USER_EVENT_ON_FAST_IO = 0x4;

/** MDL.MdlFlags. */
export const MdlFlag = {
  MDL_MAPPED_TO_SYSTEM_VA: 0x0001,
  MDL_PAGES_LOCKED: 0x0002,
  MDL_SOURCE_IS_NONPAGED_POOL: 0x0004,
  MDL_ALLOCATED_FIXED_SIZE: 0x0008,
  MDL_PARTIAL: 0x0010,
  MDL_PARTIAL_HAS_BEEN_MAPPED: 0x0020,
  MDL_IO_PAGE_READ: 0x0040,
  MDL_WRITE_OPERATION: 0x0080,
  MDL_PARENT_MAPPED_SYSTEM_VA: 0x0100,
  MDL_IO_SPACE: 0x0800,
  MDL_MAPPING_CAN_FAIL: 0x2000,
} as const;
export const {
  MDL_MAPPED_TO_SYSTEM_VA,
  MDL_PAGES_LOCKED,
  MDL_SOURCE_IS_NONPAGED_POOL,
  MDL_ALLOCATED_FIXED_SIZE,
  MDL_PARTIAL,
  MDL_PARTIAL_HAS_BEEN_MAPPED,
  MDL_WRITE_OPERATION,
  MDL_PARENT_MAPPED_SYSTEM_VA,
  MDL_IO_SPACE,
  MDL_MAPPING_CAN_FAIL,
} = MdlFlag;

/** LOCK_OPERATION for MmProbeAndLockPages. */
export const LockOperation = { IoReadAccess: 0, IoWriteAccess: 1, IoModifyAccess: 2 } as const;
export const { IoReadAccess, IoWriteAccess, IoModifyAccess } = LockOperation;

/** MEMORY_CACHING_TYPE. */
export const MemoryCaching = { MmNonCached: 0, MmCached: 1, MmWriteCombined: 2 } as const;
export const { MmNonCached, MmCached, MmWriteCombined } = MemoryCaching;

/** MM_PAGE_PRIORITY. */
export const PagePriority = { LowPagePriority: 0, NormalPagePriority: 16, HighPagePriority: 32 } as const;
export const { LowPagePriority, NormalPagePriority, HighPagePriority } = PagePriority;
/** MdlMappingNoExecute etc. may be OR'd into the priority; the emulator ignores them. */
export const MdlMappingNoExecute = 0x40000000;

/** Priority boosts for IoCompleteRequest (recorded, not interpreted). */
export const IO_NO_INCREMENT = 0;
/**
 * IO_DISK_INCREMENT: the priority boost for a thread waiting on a disk request (IoCompleteRequest's
 * second argument).
 */
export const IO_DISK_INCREMENT = 1;
/** IO_SERIAL_INCREMENT: the priority boost for a thread waiting on a serial port request. */
export const IO_SERIAL_INCREMENT = 2;
/** IO_KEYBOARD_INCREMENT: the priority boost for a thread waiting on keyboard input. */
export const IO_KEYBOARD_INCREMENT = 6;

/** CreateFile's dispositions and flags (fileapi.h). */
export const CREATE_NEW = 1;
/** CREATE_ALWAYS: CreateFile creates the file, replacing one that exists. */
export const CREATE_ALWAYS = 2;
/**
 * OPEN_EXISTING: CreateFile opens the file or device only if it exists (the disposition for
 * devices).
 */
export const OPEN_EXISTING = 3;
/** OPEN_ALWAYS: CreateFile opens the file, creating it if it does not exist. */
export const OPEN_ALWAYS = 4;
/** TRUNCATE_EXISTING: CreateFile opens an existing file and truncates it to zero bytes. */
export const TRUNCATE_EXISTING = 5;
/** FILE_SHARE_READ: other opens of the same file may read. */
export const FILE_SHARE_READ = 0x1;
/** FILE_SHARE_WRITE: other opens of the same file may write. */
export const FILE_SHARE_WRITE = 0x2;
/** FILE_SHARE_DELETE: other opens of the same file may delete or rename it. */
export const FILE_SHARE_DELETE = 0x4;
/** FILE_ATTRIBUTE_NORMAL: a file with no other attributes. */
export const FILE_ATTRIBUTE_NORMAL = 0x80;
/**
 * FILE_FLAG_OVERLAPPED: the handle does overlapped I/O: calls return at once with ERROR_IO_PENDING
 * when the driver pends, and completion is reported through the OVERLAPPED.
 */
export const FILE_FLAG_OVERLAPPED = 0x40000000;
