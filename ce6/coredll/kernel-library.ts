/**
 * LoadKernelLibrary and KernelLibIoControl (Learn, CE 6.0): an app loads a DLL into the kernel
 * and calls its IOControl entry, which runs in kernel mode on the app's thread with the app's
 * address space active — so it may use kernel-only APIs (VirtualAllocEx into
 * GetCallerVMProcessId(), VirtualCopyEx) on the app's behalf. The kernel checks the caller's
 * buffer pointers as it does for DeviceIoControl.
 */
import { ceCall, hex, kernelServiceAsync, traceEnter, traceReturn } from "../ce-call.js";
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_MOD_NOT_FOUND, ERROR_NOT_SUPPORTED } from "../constants.js";
import { isValidUserPointer } from "../layout.js";

/** LoadKernelLibrary: the module handle of `lpszFileName` loaded into the kernel; NULL (ERROR_MOD_NOT_FOUND) when no such image exists. */
export async function LoadKernelLibrary(lpszFileName: string): Promise<number> {
  const c = ceCall("LoadKernelLibrary");
  const { t, ce } = c;
  traceEnter(c, "LoadKernelLibrary", () => lpszFileName);
  const h = await kernelServiceAsync(c, () => ce.kernelLibraries.load(t, lpszFileName));
  if (h === 0) t.lastError = ERROR_MOD_NOT_FOUND;
  traceReturn(c, "LoadKernelLibrary", h ? hex(h) : "NULL", h === 0);
  return h;
}

/**
 * KernelLibIoControl: calls the kernel library's IOControl(hModule, code, in, nIn, out, nOut,
 * pBytesReturned) in the kernel. ERROR_INVALID_HANDLE for an unknown module,
 * ERROR_NOT_SUPPORTED when it exports no IOControl, ERROR_INVALID_PARAMETER for a buffer a
 * user-mode caller may not pass.
 */
export async function KernelLibIoControl(hModule: number, dwIoControlCode: number, lpInBuf: number, nInBufSize: number, lpOutBuf: number, nOutBufSize: number, lpBytesReturned: number): Promise<boolean> {
  const c = ceCall("KernelLibIoControl");
  const { t, ce } = c;
  traceEnter(c, "KernelLibIoControl", () => `${hex(hModule)}, ${hex(dwIoControlCode)}`);
  const failed = (error: number): boolean => {
    t.lastError = error;
    traceReturn(c, "KernelLibIoControl", "FALSE", true);
    return false;
  };
  const module = ce.kernelLibraries.find(hModule);
  if (!module) return failed(ERROR_INVALID_HANDLE);
  if (c.user && ((lpInBuf && !isValidUserPointer(lpInBuf, nInBufSize, false)) || (lpOutBuf && !isValidUserPointer(lpOutBuf, nOutBufSize, true)) || (lpBytesReturned && !isValidUserPointer(lpBytesReturned, 4, true)))) {
    return failed(ERROR_INVALID_PARAMETER);
  }
  const r = await kernelServiceAsync(c, () => ce.kernelLibraries.ioControl(t, module, [hModule >>> 0, dwIoControlCode >>> 0, lpInBuf >>> 0, nInBufSize, lpOutBuf >>> 0, nOutBufSize, lpBytesReturned >>> 0], c.user));
  if (r === undefined) return failed(ERROR_NOT_SUPPORTED);
  traceReturn(c, "KernelLibIoControl", r ? "TRUE" : "FALSE", !r);
  return r;
}
