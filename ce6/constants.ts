/**
 * CE's constants: the Win32 errors its APIs set, the PAGE_* / MEM_* values with CE's additions
 * (PAGE_PHYSICAL), device-manager flags, the kernel's argument descriptors and the HRESULTs of
 * the marshalling functions (winerror.h, winnt.h, pkfuncs.h, devload.h; values as in the CE 6.0
 * headers).
 */
import { MemoryType } from "../kernel/memory-constants.js";
import { PageProtection } from "../kernel/pte.js";
import { Win32Error } from "../win32/errors.js";

// ---- Win32 errors (winerror.h values; CE sets these directly, there is no NTSTATUS layer) ----
/** The Win32 error codes CE 6.0 sets through SetLastError: NT's, plus the ones CE's own APIs use. */
export const CeError = {
  ...Win32Error,
  ERROR_INVALID_ACCESS: 12,
  ERROR_OPEN_FAILED: 110,
  ERROR_MOD_NOT_FOUND: 126,
  ERROR_INVALID_INDEX: 1413,
  ERROR_DEVICE_REMOVED: 1617,
} as const;

export const {
  ERROR_SUCCESS,
  ERROR_INVALID_FUNCTION,
  ERROR_FILE_NOT_FOUND,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_HANDLE,
  ERROR_NOT_ENOUGH_MEMORY,
  ERROR_INVALID_ACCESS,
  ERROR_OUTOFMEMORY,
  ERROR_NOT_SUPPORTED,
  ERROR_OPEN_FAILED,
  ERROR_INVALID_PARAMETER,
  ERROR_MOD_NOT_FOUND,
  ERROR_ALREADY_EXISTS,
  ERROR_INVALID_INDEX,
  ERROR_DEVICE_REMOVED,
  ERROR_DEVICE_IN_USE,
} = CeError;

/** The symbolic name of an error CE sets, or its number. */
export function ceErrorName(code: number): string {
  for (const [name, value] of Object.entries(CeError)) if (value === code) return name;
  return String(code);
}

// ---- Memory (winnt.h, with CE's PAGE_PHYSICAL) ----
// NT's values, except 0x400: PAGE_WRITECOMBINE on NT is PAGE_PHYSICAL on CE.
const { PAGE_WRITECOMBINE: _ntWriteCombine, ...winntProtection } = PageProtection;
/** Page protections as CE 6.0 defines them: winnt.h's, with 0x400 meaning PAGE_PHYSICAL (VirtualCopy). */
export const CePageProtection = {
  ...winntProtection,
  /** VirtualCopy: the source is a physical address shifted right by 8 bits. */
  PAGE_PHYSICAL: 0x400,
} as const;

export const {
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_NOCACHE,
  PAGE_PHYSICAL,
} = CePageProtection;

/** The MEM_* values CE's VirtualAlloc and VirtualQuery use (NT's, without NT-only types). */
const { MEM_RESET: _ntReset, MEM_PHYSICAL: _ntPhysical, MEM_IMAGE: _ntImage, ...ceMemory } = MemoryType;
/** The MEM_* values CE's VirtualAlloc and VirtualQuery use: NT's, without the NT-only types. */
export const CeMemoryType = ceMemory;

export const { MEM_COMMIT, MEM_RESERVE, MEM_DECOMMIT, MEM_RELEASE, MEM_FREE, MEM_PRIVATE, MEM_MAPPED, MEM_TOP_DOWN } = CeMemoryType;

/** The 4 KB page (PAGE_SIZE in the CE headers). */
export const PAGE_SIZE = 0x1000;

// ---- Files (winbase.h) ----
/** GENERIC_READ: read access, for CreateFile. */
export const GENERIC_READ = 0x80000000;
/** GENERIC_WRITE: write access, for CreateFile. */
export const GENERIC_WRITE = 0x40000000;
/** FILE_SHARE_READ: other opens may read. */
export const FILE_SHARE_READ = 0x1;
/** FILE_SHARE_WRITE: other opens may write. */
export const FILE_SHARE_WRITE = 0x2;
/** OPEN_EXISTING: CreateFile opens only what exists (the disposition for devices). */
export const OPEN_EXISTING = 3;
/** FILE_BEGIN: SetFilePointer moves from the start. */
export const FILE_BEGIN = 0;
/** FILE_CURRENT: SetFilePointer moves from the current position. */
export const FILE_CURRENT = 1;
/** FILE_END: SetFilePointer moves from the end. */
export const FILE_END = 2;
/** CreateFile's failure value. */
export const INVALID_HANDLE_VALUE = 0xffffffff;
/** SetFilePointer's failure value. */
export const INVALID_SET_FILE_POINTER = 0xffffffff;

// ---- Waits ----
/** INFINITE: a wait without a time-out. */
export const INFINITE = 0xffffffff;
/** WAIT_OBJECT_0: the object was signaled. */
export const WAIT_OBJECT_0 = 0;
/** WAIT_TIMEOUT: the time-out elapsed. */
export const WAIT_TIMEOUT = 0x102;
/** WAIT_FAILED: the wait failed; GetLastError says why. */
export const WAIT_FAILED = 0xffffffff;

// ---- Pseudo handles (kfuncs.h: SYS_HANDLE_BASE + SH_CURTHREAD / SH_CURPROC) ----
/** GetCurrentThread(): (HANDLE)0x41. */
export const CE_CURRENT_THREAD = 0x41;
/** GetCurrentProcess(): (HANDLE)0x42, the process the thread is running in now. */
export const CE_CURRENT_PROCESS = 0x42;

// ---- Device manager (devload.h) ----
/** DEVFLAGS_NONE: no device-manager flags. */
export const DEVFLAGS_NONE = 0x00000000;
/** Unload the driver right after Init returns. */
export const DEVFLAGS_UNLOAD = 0x00000001;
/** Entry points are Init, Deinit… without the prefix. */
export const DEVFLAGS_NAKEDENTRIES = 0x00000008;
/** Host the driver in a user-mode driver host (udevice.exe) behind the reflector. */
export const DEVFLAGS_LOAD_AS_USERPROC = 0x00000010;

/** Registry value names the device manager and the reflector read. */
export const DEVLOAD_PREFIX_VALNAME = "Prefix";
/** The registry value naming the driver's DLL. */
export const DEVLOAD_DLLNAME_VALNAME = "Dll";
/** The registry value giving the device's index (COM1: has 1). */
export const DEVLOAD_INDEX_VALNAME = "Index";
/** The registry value holding DEVFLAGS_*. */
export const DEVLOAD_FLAGS_VALNAME = "Flags";
/** The registry value ordering drivers' loading. */
export const DEVLOAD_ORDER_VALNAME = "Order";
/** The registry value giving the device's memory window base. */
export const DEVLOAD_MEMBASE_VALNAME = "MemBase";
/** The registry value giving the memory window's length. */
export const DEVLOAD_MEMLEN_VALNAME = "MemLen";
/** The registry value giving the device's I/O window base. */
export const DEVLOAD_IOBASE_VALNAME = "IoBase";
/** The registry value giving the I/O window's length. */
export const DEVLOAD_IOLEN_VALNAME = "IoLen";

// ---- Argument descriptors (pkfuncs.h) ----
/** Argument descriptor bit: the argument is output (the kernel maps or copies it back). */
export const ARG_O_BIT = 0x8;
/** Argument descriptor bit: the argument is input. */
export const ARG_I_BIT = 0x4;
/** Argument descriptor: a DWORD passed by value. */
export const ARG_DW = 0;
/** Argument descriptor: an input buffer. */
export const ARG_I_PTR = ARG_I_BIT;
/** Argument descriptor: an input wide string. */
export const ARG_I_WSTR = ARG_I_BIT | 1;
/** Argument descriptor: an input ANSI string. */
export const ARG_I_ASTR = ARG_I_BIT | 2;
/** Argument descriptor: a pointer to an input DWORD. */
export const ARG_I_PDW = ARG_I_BIT | 3;
/** Argument descriptor: an output buffer. */
export const ARG_O_PTR = ARG_O_BIT;
/** Argument descriptor: a pointer to an output DWORD. */
export const ARG_O_PDW = ARG_O_BIT | 1;
/** Argument descriptor: a pointer to an output 64-bit value. */
export const ARG_O_PI64 = ARG_O_BIT | 2;
/** Argument descriptor: an in-out buffer. */
export const ARG_IO_PTR = ARG_I_BIT | ARG_O_BIT;
/** Argument descriptor: a pointer to an in-out DWORD. */
export const ARG_IO_PDW = ARG_IO_PTR | 1;
/** Argument descriptor: a pointer to an in-out 64-bit value. */
export const ARG_IO_PI64 = ARG_IO_PTR | 2;

// ---- HRESULTs of the marshalling functions (winerror.h) ----
/** S_OK: success. */
export const S_OK = 0;
/** E_ACCESSDENIED: the caller may not access the buffer. */
export const E_ACCESSDENIED = 0x80070005;
/** E_OUTOFMEMORY: no memory for the marshalled copy. */
export const E_OUTOFMEMORY = 0x8007000e;
/** E_INVALIDARG: a bad pointer, size or descriptor. */
export const E_INVALIDARG = 0x80070057;

/** SUCCEEDED(hr). */
export function SUCCEEDED(hr: number): boolean {
  return (hr | 0) >= 0;
}

// ---- I/O control codes (winioctl.h) ----
/** METHOD_BUFFERED (CE's IOCTLs keep NT's encoding). */
export const METHOD_BUFFERED = 0;
/** FILE_ANY_ACCESS. */
export const FILE_ANY_ACCESS = 0;
/** FILE_DEVICE_UNKNOWN. */
export const FILE_DEVICE_UNKNOWN = 0x00000022;

/** CTL_CODE(DeviceType, Function, Method, Access). */
export function CTL_CODE(DeviceType: number, Function: number, Method: number, Access: number): number {
  return ((DeviceType << 16) | (Access << 14) | (Function << 2) | Method) >>> 0;
}
