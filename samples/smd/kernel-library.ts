/**
 * smdklib.dll: seed 001's second way for an app to use the kernel-only mapping APIs — put the
 * code that calls them in a DLL the app loads into the kernel with LoadKernelLibrary, and call it
 * with KernelLibIoControl. Its IOControl runs in kernel mode on the app's thread with the app's
 * address space active, so VirtualAllocEx(GetCallerVMProcessId()) and VirtualCopyEx work there.
 */
import {
  CTL_CODE,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  GetCallerVMProcessId,
  GetCurrentProcess,
  MEM_RELEASE,
  MEM_RESERVE,
  METHOD_BUFFERED,
  NKDbgPrintfW,
  PAGE_NOACCESS,
  PAGE_READWRITE,
  VirtualAllocEx,
  VirtualCopyEx,
  VirtualFreeEx,
  writeAnsiString,
  writeU32,
  type CeExports,
} from "irpsim/ce6";
import { SMD_KERNEL_ADDRESS } from "./driver.js";

/** Maps KLIB_BYTES of the SMD block into the caller; writes the address to the output buffer. */
export const IOCTL_SMDKLIB_MAP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x830, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Removes that mapping. */
export const IOCTL_SMDKLIB_UNMAP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x831, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** How much the library maps. */
export const KLIB_BYTES = 0x10000;
/** What it writes at the start of the block through the kernel's address. */
export const KLIB_TEXT = "mapped by smdklib.dll";

/**
 * Makes smdklib.dll.
 *
 * @returns the DLL's export table (IOControl).
 */
export function makeSmdKernelLibrary(): CeExports {
  const mappings = new Map<number, number>();

  /**
   * IOControl: maps or unmaps part of the SMD block in the calling app.
   *
   * @returns TRUE on success.
   */
  function IOControl(_hModule: number, dwIoControlCode: number, _lpInBuf: number, _nInBufSize: number, lpOutBuf: number, nOutBufSize: number, lpBytesReturned: number): boolean {
    const caller = GetCallerVMProcessId();
    if (dwIoControlCode === IOCTL_SMDKLIB_MAP) {
      if (lpOutBuf === 0 || nOutBufSize < 4) return false;
      const va = VirtualAllocEx(caller, 0, KLIB_BYTES, MEM_RESERVE, PAGE_NOACCESS);
      if (va === 0) return false;
      if (!VirtualCopyEx(caller, va, GetCurrentProcess(), SMD_KERNEL_ADDRESS, KLIB_BYTES, PAGE_READWRITE)) {
        VirtualFreeEx(caller, va, 0, MEM_RELEASE);
        return false;
      }
      mappings.set(caller, va);
      writeAnsiString(SMD_KERNEL_ADDRESS, KLIB_TEXT);
      NKDbgPrintfW(`smdklib: mapped 0x${SMD_KERNEL_ADDRESS.toString(16)} at 0x${va.toString(16)} in process 0x${caller.toString(16)}`);
      writeU32(lpOutBuf, va);
      if (lpBytesReturned) writeU32(lpBytesReturned, 4);
      return true;
    }
    if (dwIoControlCode === IOCTL_SMDKLIB_UNMAP) {
      const va = mappings.get(caller);
      if (va === undefined) return false;
      mappings.delete(caller);
      return VirtualFreeEx(caller, va, 0, MEM_RELEASE);
    }
    return false;
  }

  return { IOControl };
}
