/**
 * `irpsim/ce6`: the Windows CE 6.0 API a CE app or stream driver imports — coredll's functions
 * (and CEDDK's, and the kernel-only ones a kernel-mode driver may call), named as in the CE
 * headers. Apps and drivers use the same functions, as on CE: where a function is kernel-only,
 * calling it from user mode fails the way CE fails it (ERROR_NOT_SUPPORTED), not with a host error.
 */
import "./trace-events.js";

// ---- Constants ----
export * from "./constants.js";
export {
  VM_USER_BASE,
  VM_DLL_BASE,
  VM_RAM_MAP_BASE,
  VM_SHARED_HEAP_BASE,
  VM_SHARED_HEAP_BOUND,
  VM_KMODE_BASE,
  VM_STATIC_CACHED_BASE,
  VM_STATIC_UNCACHED_BASE,
  VM_BLOCK_SIZE,
} from "./layout.js";

// ---- Errors ----
export { GetLastError, SetLastError } from "./coredll/errors.js";

// ---- Processes, threads, callers ----
export {
  GetCurrentProcess,
  GetCurrentThread,
  GetCurrentProcessId,
  GetCurrentThreadId,
  GetOwnerProcess,
  GetCallerVMProcessId,
  GetDirectCallerProcessId,
  GetCallerProcess,
  OpenProcess,
  GetProcessId,
  CreateThread,
} from "./coredll/processes.js";
export type { LPTHREAD_START_ROUTINE } from "./coredll/processes.js";

// ---- Synchronization ----
export { CreateEvent, SetEvent, ResetEvent, WaitForSingleObject, Sleep, CloseHandle } from "./coredll/sync.js";

// ---- Virtual memory ----
export { VirtualAlloc, VirtualAllocEx, VirtualFree, VirtualFreeEx, VirtualCopy, VirtualCopyEx, VirtualAllocCopyEx, VirtualQuery, VirtualQueryEx, CeVirtualSharedAlloc } from "./coredll/memory.js";
export type { MEMORY_BASIC_INFORMATION } from "./coredll/memory.js";
export { MmMapIoSpace, MmUnmapIoSpace } from "./coredll/ceddk.js";

// ---- Devices ----
export { CreateFile, DeviceIoControl, ReadFile, WriteFile, SetFilePointer, ActivateDeviceEx, DeactivateDevice } from "./coredll/files.js";
export type { CeExports } from "./images.js";
export type { XXX_Init, XXX_Deinit, XXX_PreDeinit, XXX_Open, XXX_PreClose, XXX_Close, XXX_Read, XXX_Write, XXX_Seek, XXX_IOControl } from "./stream-interface.js";

// ---- Buffers ----
export { CeOpenCallerBuffer, CeCloseCallerBuffer, CeAllocAsynchronousBuffer, CeFreeAsynchronousBuffer, MapCallerPtr, IsBadReadPtr, IsBadWritePtr } from "./coredll/marshal.js";
export type { Out } from "./coredll/marshal.js";

// ---- Kernel libraries and interrupts ----
export { LoadKernelLibrary, KernelLibIoControl } from "./coredll/kernel-library.js";
export type { KernelLibraryIOControl } from "./kernel-library.js";
export { DLL_PROCESS_ATTACH } from "./kernel-library.js";
export { InterruptInitialize, InterruptDone, InterruptDisable } from "./coredll/interrupts.js";

// ---- Time ----
export { GetTickCount, QueryPerformanceCounter, QueryPerformanceFrequency, PERFORMANCE_FREQUENCY } from "./coredll/time.js";

// ---- Debug output ----
export { RETAILMSG, DEBUGMSG, NKDbgPrintfW, printf } from "./coredll/debug.js";

// ---- Memory access (a C pointer dereference, in the calling thread's context) ----
export { readU8, readU16, readU32, writeU8, writeU16, writeU32, readBytes, writeBytes, readAnsiString, writeAnsiString, readWideString, writeWideString } from "../kernel/api-rtl.js";
/** memset / memcpy under their Win32 names (FillMemory, ZeroMemory, CopyMemory: the copy is counted). */
export { RtlFillMemory as FillMemory, RtlZeroMemory as ZeroMemory, RtlCopyMemory as CopyMemory } from "../kernel/api-rtl.js";
