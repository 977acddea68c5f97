/**
 * An ordinary app (user mode) that tries to map kernel memory itself, as CE 5.0 apps could: in
 * CE 6.0 VirtualCopyEx and VirtualAllocCopyEx fail with ERROR_NOT_SUPPORTED, VirtualCopy without
 * PAGE_PHYSICAL likewise, VirtualCopy with PAGE_PHYSICAL and MmMapIoSpace are refused by the
 * reflector (ERROR_INVALID_PARAMETER: it serves user-mode drivers only). Then it does it the
 * supported way: smdklib.dll, loaded into the kernel, maps the block for it.
 */
import {
  GetCurrentProcess,
  GetLastError,
  KernelLibIoControl,
  LoadKernelLibrary,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  MmMapIoSpace,
  PAGE_NOACCESS,
  PAGE_PHYSICAL,
  PAGE_READWRITE,
  PAGE_SIZE,
  VirtualAlloc,
  VirtualAllocCopyEx,
  VirtualCopy,
  VirtualCopyEx,
  VirtualFree,
  printf,
  readAnsiString,
  readU32,
} from "irpsim/ce6";
import { SMD_KERNEL_ADDRESS } from "./driver.js";
import { IOCTL_SMDKLIB_MAP, IOCTL_SMDKLIB_UNMAP, KLIB_BYTES } from "./kernel-library.js";

/** Each attempt's result and error, for the scenario's checks. */
export class UserAppReport {
  virtualCopyEx = { ok: true, error: 0 };
  virtualAllocCopyEx = { address: -1, error: 0 };
  virtualCopy = { ok: true, error: 0 };
  virtualCopyPhysical = { ok: true, error: 0 };
  mmMapIoSpace = { address: -1, error: 0 };
  kernelLibrary = 0;
  kernelLibMapped = false;
  kernelLibAddress = 0;
  kernelLibText = "";
  kernelLibUnmapped = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes each attempt's result.
 * @returns the app's main.
 */
export function makeUserApp(report: UserAppReport): () => Promise<number> {
  return async function UserAppMain(): Promise<number> {
    const block = VirtualAlloc(0, KLIB_BYTES, MEM_RESERVE, PAGE_NOACCESS);
    const physical = (SMD_KERNEL_ADDRESS - 0x80000000) >>> 0;

    report.virtualCopyEx.ok = VirtualCopyEx(GetCurrentProcess(), block, GetCurrentProcess(), SMD_KERNEL_ADDRESS, KLIB_BYTES, PAGE_READWRITE);
    report.virtualCopyEx.error = GetLastError();
    report.virtualAllocCopyEx.address = VirtualAllocCopyEx(GetCurrentProcess(), GetCurrentProcess(), SMD_KERNEL_ADDRESS, KLIB_BYTES, PAGE_READWRITE);
    report.virtualAllocCopyEx.error = GetLastError();
    report.virtualCopy.ok = VirtualCopy(block, SMD_KERNEL_ADDRESS, KLIB_BYTES, PAGE_READWRITE);
    report.virtualCopy.error = GetLastError();
    report.virtualCopyPhysical.ok = VirtualCopy(block, physical / 256, KLIB_BYTES, PAGE_PHYSICAL | PAGE_READWRITE);
    report.virtualCopyPhysical.error = GetLastError();
    report.mmMapIoSpace.address = MmMapIoSpace(physical, PAGE_SIZE, false);
    report.mmMapIoSpace.error = GetLastError();
    VirtualFree(block, 0, MEM_RELEASE);
    printf(`kernel-only calls from user mode: ${report.virtualCopyEx.error}, ${report.virtualAllocCopyEx.error}, ${report.virtualCopy.error}, ${report.virtualCopyPhysical.error}, ${report.mmMapIoSpace.error}`);

    // The supported way: code loaded into the kernel maps it on the app's behalf.
    report.kernelLibrary = await LoadKernelLibrary("smdklib.dll");
    if (report.kernelLibrary === 0) return 1;
    const locals = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    report.kernelLibMapped = await KernelLibIoControl(report.kernelLibrary, IOCTL_SMDKLIB_MAP, 0, 0, locals, 4, locals + 4);
    if (!report.kernelLibMapped) return 2;
    report.kernelLibAddress = readU32(locals);
    report.kernelLibText = readAnsiString(report.kernelLibAddress);
    printf(`read at my own address 0x${report.kernelLibAddress.toString(16)}: "${report.kernelLibText}"`);
    report.kernelLibUnmapped = await KernelLibIoControl(report.kernelLibrary, IOCTL_SMDKLIB_UNMAP, 0, 0, 0, 0, 0);
    return 0;
  };
}
