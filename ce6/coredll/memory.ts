/**
 * Virtual memory (Learn VirtualAlloc, VirtualAllocEx, VirtualFreeEx, VirtualCopy, VirtualCopyEx,
 * VirtualAllocCopyEx, VirtualQuery, CeVirtualSharedAlloc for CE 6.0; process.c's user-mode
 * method table): VirtualAllocEx and VirtualFreeEx work from user and kernel mode on any process
 * the caller has a handle or id for; VirtualCopyEx and VirtualAllocCopyEx are kernel-only and
 * fail with ERROR_NOT_SUPPORTED from user mode; VirtualCopy in user mode goes to the reflector
 * when PAGE_PHYSICAL is set (only user-mode drivers get anything there) and is VirtualCopyEx
 * otherwise (ERROR_NOT_SUPPORTED).
 */
import { ceCall, fail, hex, kernelService, traceEnter, traceReturn, type CeCall } from "../ce-call.js";
import type { CeMemoryInfo } from "../ce-vm.js";
import { activeProcess } from "../ce-thread.js";
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, MEM_COMMIT, MEM_RESERVE, PAGE_PHYSICAL, PAGE_READWRITE } from "../constants.js";
import { isInSharedHeap } from "../layout.js";
import { allocationTypeName, cePteBits, vmAlloc, vmAllocCopy, vmCopy, vmFree } from "../vm-services.js";

export type { CeMemoryInfo as MEMORY_BASIC_INFORMATION };

function allocIn(c: CeCall, api: string, hProcess: number | null, lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
  const { t, ce } = c;
  traceEnter(c, api, () => `${hProcess === null ? "" : `${hex(hProcess)}, `}${hex(lpAddress)}, ${hex(dwSize)}, ${allocationTypeName(flAllocationType)}, ${hex(flProtect)}`);
  const target = hProcess === null ? activeProcess(t) : ce.resolveProcess(t, hProcess);
  if (!target) {
    t.lastError = ERROR_INVALID_HANDLE;
    traceReturn(c, api, "NULL", true);
    return 0;
  }
  const r = kernelService(c, () => vmAlloc(ce, t, target, lpAddress >>> 0, dwSize, flAllocationType >>> 0, flProtect >>> 0, c.user, api));
  if (r.error) t.lastError = r.error;
  traceReturn(c, api, r.error ? "NULL" : hex(r.address), r.error !== 0);
  return r.address;
}

/** VirtualAlloc: reserve and/or commit in the active process; NULL (0) on failure. */
export function VirtualAlloc(lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
  return allocIn(ceCall("VirtualAlloc"), "VirtualAlloc", null, lpAddress, dwSize, flAllocationType, flProtect);
}

/**
 * VirtualAllocEx: reserve and/or commit in the process `hProcess` names (a handle, a process
 * id, or GetCurrentProcess()). Reservations are 64 KB aligned; from user mode one that would
 * pass 0x40000000 fails with ERROR_INVALID_PARAMETER.
 */
export function VirtualAllocEx(hProcess: number, lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
  return allocIn(ceCall("VirtualAllocEx"), "VirtualAllocEx", hProcess, lpAddress, dwSize, flAllocationType, flProtect);
}

function freeIn(c: CeCall, api: string, hProcess: number | null, lpAddress: number, dwSize: number, dwFreeType: number): boolean {
  const { t, ce } = c;
  traceEnter(c, api, () => `${hProcess === null ? "" : `${hex(hProcess)}, `}${hex(lpAddress)}, ${hex(dwSize)}, ${allocationTypeName(dwFreeType)}`);
  const target = hProcess === null ? activeProcess(t) : ce.resolveProcess(t, hProcess);
  if (!target) {
    t.lastError = ERROR_INVALID_HANDLE;
    traceReturn(c, api, "FALSE", true);
    return false;
  }
  const e = kernelService(c, () => vmFree(ce, t, target, lpAddress >>> 0, dwSize, dwFreeType >>> 0, c.user));
  if (e) t.lastError = e;
  traceReturn(c, api, e ? "FALSE" : "TRUE", e !== 0);
  return e === 0;
}

/** VirtualFree: MEM_RELEASE (size 0, at a reservation's base) or MEM_DECOMMIT in the active process. */
export function VirtualFree(lpAddress: number, dwSize: number, dwFreeType: number): boolean {
  return freeIn(ceCall("VirtualFree"), "VirtualFree", null, lpAddress, dwSize, dwFreeType);
}

/** VirtualFreeEx: as VirtualFree in the process `hProcess` names; releasing removes VirtualCopy's mappings too. */
export function VirtualFreeEx(hProcess: number, lpAddress: number, dwSize: number, dwFreeType: number): boolean {
  return freeIn(ceCall("VirtualFreeEx"), "VirtualFreeEx", hProcess, lpAddress, dwSize, dwFreeType);
}

function copyIn(c: CeCall, api: string, hDstProc: number | null, lpvDest: number, hSrcProc: number | null, lpvSrc: number, cbSize: number, fdwProtect: number): boolean {
  const { t, ce } = c;
  const dst = hDstProc === null ? activeProcess(t) : ce.resolveProcess(t, hDstProc);
  const src = hSrcProc === null ? activeProcess(t) : ce.resolveProcess(t, hSrcProc);
  if (!dst || !src) {
    t.lastError = ERROR_INVALID_HANDLE;
    traceReturn(c, api, "FALSE", true);
    return false;
  }
  const e = kernelService(c, () => vmCopy(ce, t, dst, lpvDest >>> 0, src, lpvSrc >>> 0, cbSize, fdwProtect >>> 0));
  if (e) t.lastError = e;
  traceReturn(c, api, e ? "FALSE" : "TRUE", e !== 0);
  return e === 0;
}

/**
 * VirtualCopyEx (kernel mode only): maps `cbSize` bytes of `hSrcProc`'s memory at `lpvSrc` —
 * or, with PAGE_PHYSICAL, physical memory at `lpvSrc << 8` — at `lpvDest` in `hDstProc`, whose
 * pages there must be reserved and not committed, in one reservation. From user mode:
 * ERROR_NOT_SUPPORTED.
 */
export function VirtualCopyEx(hDstProc: number, lpvDest: number, hSrcProc: number, lpvSrc: number, cbSize: number, fdwProtect: number): boolean {
  const c = ceCall("VirtualCopyEx");
  traceEnter(c, "VirtualCopyEx", () => `${hex(hDstProc)}, ${hex(lpvDest)}, ${hex(hSrcProc)}, ${hex(lpvSrc)}, ${hex(cbSize)}, ${hex(fdwProtect)}`);
  if (c.user) {
    c.t.lastError = ERROR_NOT_SUPPORTED;
    traceReturn(c, "VirtualCopyEx", "FALSE", true);
    return false;
  }
  return copyIn(c, "VirtualCopyEx", hDstProc, lpvDest, hSrcProc, lpvSrc, cbSize, fdwProtect);
}

/**
 * VirtualCopy: VirtualCopyEx within the active process. From user mode, PAGE_PHYSICAL goes to
 * the user-mode driver reflector (IOCTL_REF_VIRTUAL_COPY), which maps only inside the calling
 * driver's registry memory windows (ERROR_INVALID_PARAMETER otherwise, and for any caller that
 * is not a user-mode driver); without PAGE_PHYSICAL it is VirtualCopyEx: ERROR_NOT_SUPPORTED.
 */
export function VirtualCopy(lpvDest: number, lpvSrc: number, cbSize: number, fdwProtect: number): boolean {
  const c = ceCall("VirtualCopy");
  const { t, ce } = c;
  traceEnter(c, "VirtualCopy", () => `${hex(lpvDest)}, ${hex(lpvSrc)}, ${hex(cbSize)}, ${hex(fdwProtect)}`);
  if (!c.user) return copyIn(c, "VirtualCopy", null, lpvDest, null, lpvSrc, cbSize, fdwProtect);
  if (!(fdwProtect & PAGE_PHYSICAL)) {
    t.lastError = ERROR_NOT_SUPPORTED;
    traceReturn(c, "VirtualCopy", "FALSE", true);
    return false;
  }
  const e = kernelService(c, () => ce.reflector.virtualCopy(t, lpvDest >>> 0, lpvSrc >>> 0, cbSize, fdwProtect >>> 0));
  if (e) t.lastError = e;
  traceReturn(c, "VirtualCopy", e ? "FALSE" : "TRUE", e !== 0);
  return e === 0;
}

/**
 * VirtualAllocCopyEx (kernel mode only): reserves space in `hDstProc` (0: the kernel) and maps
 * `hSrcProc`'s memory at `pAddr` there; returns the address matching `pAddr`. Terminate with
 * VirtualFreeEx at the reservation's base. From user mode: ERROR_NOT_SUPPORTED.
 */
export function VirtualAllocCopyEx(hSrcProc: number, hDstProc: number, pAddr: number, cbSize: number, dwProtect: number): number {
  const c = ceCall("VirtualAllocCopyEx");
  const { t, ce } = c;
  traceEnter(c, "VirtualAllocCopyEx", () => `${hex(hSrcProc)}, ${hex(hDstProc)}, ${hex(pAddr)}, ${hex(cbSize)}, ${hex(dwProtect)}`);
  if (c.user) {
    t.lastError = ERROR_NOT_SUPPORTED;
    traceReturn(c, "VirtualAllocCopyEx", "NULL", true);
    return 0;
  }
  const src = ce.resolveProcess(t, hSrcProc);
  const dst = hDstProc === 0 ? ce.nk : ce.resolveProcess(t, hDstProc);
  if (!src || !dst) {
    t.lastError = ERROR_INVALID_HANDLE;
    traceReturn(c, "VirtualAllocCopyEx", "NULL", true);
    return 0;
  }
  const r = vmAllocCopy(ce, t, src, dst, pAddr >>> 0, cbSize, dwProtect >>> 0);
  if (r.error) t.lastError = r.error;
  traceReturn(c, "VirtualAllocCopyEx", r.error ? "NULL" : hex(r.address), r.error !== 0);
  return r.address;
}

/** VirtualQueryEx: the region around `lpAddress` in the process `hProcess` names; null on failure. */
export function VirtualQueryEx(hProcess: number, lpAddress: number): CeMemoryInfo | null {
  const c = ceCall("VirtualQueryEx");
  const { t, ce } = c;
  const p = ce.resolveProcess(t, hProcess);
  if (!p) return fail(t, ERROR_INVALID_HANDLE, null);
  const vm = ce.vmFor(p, lpAddress >>> 0);
  if (!vm) return fail(t, ERROR_INVALID_PARAMETER, null);
  return vm.query(lpAddress >>> 0);
}

/** VirtualQuery: VirtualQueryEx in the active process. */
export function VirtualQuery(lpAddress: number): CeMemoryInfo | null {
  const { t, ce } = ceCall("VirtualQuery");
  return VirtualQueryEx(ce.processId(activeProcess(t)), lpAddress);
}

/**
 * CeVirtualSharedAlloc (kernel mode only): reserves and/or commits in the shared heap
 * (0x70000000–0x7FEFFFFF), which every process can read and only the kernel can write. From
 * user mode: ERROR_NOT_SUPPORTED.
 */
export function CeVirtualSharedAlloc(lpvAddress: number, cbSize: number, fdwAction: number): number {
  const c = ceCall("CeVirtualSharedAlloc");
  const { t, ce } = c;
  if (c.user) return fail(t, ERROR_NOT_SUPPORTED, 0);
  if (lpvAddress !== 0 && !isInSharedHeap(lpvAddress)) return fail(t, ERROR_INVALID_PARAMETER, 0);
  if (lpvAddress === 0 && !(fdwAction & MEM_RESERVE) && !(fdwAction & MEM_COMMIT)) return fail(t, ERROR_INVALID_PARAMETER, 0);
  const heap = ce.kernel.sharedHeap;
  let base = lpvAddress;
  if (lpvAddress === 0 || fdwAction & MEM_RESERVE) {
    const r = heap.reserve(lpvAddress === 0 ? 0 : lpvAddress, cbSize, 0x04, "CeVirtualSharedAlloc");
    if (r.error) return fail(t, r.error, 0);
    base = r.base;
  }
  if (fdwAction & MEM_COMMIT) {
    const e = heap.commit(base, cbSize, cePteBits(PAGE_READWRITE) ?? 0);
    if (e) return fail(t, e, 0);
  }
  return base;
}
