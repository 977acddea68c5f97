/**
 * Virtual memory and heap APIs (memoryapi.h, heapapi.h) over the kernel's address spaces.
 */
import { MEM_RELEASE, type MEMORY_BASIC_INFORMATION } from "../kernel/memory-constants.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_SUCCESS } from "../kernel/status.js";
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";
import { UserMode } from "../kernel/irql.js";
import { caller, getUserU32, probeUser, putUserU32, service, setLastNtError } from "./call.js";
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY } from "./errors.js";
import { processHeap } from "./heap.js";

export type { MEMORY_BASIC_INFORMATION };

/** sizeof(MEMORY_BASIC_INFORMATION) on 32-bit Windows. */
export const SIZEOF_MEMORY_BASIC_INFORMATION = 28;
/** HeapAlloc flag: zero the block. */
export const HEAP_ZERO_MEMORY = 0x00000008;
const PROCESS_VM_OPERATION = 0x0008;

function targetProcess(t: KThread, hProcess: number): KProcess | null {
  const r = t.machine.ob.referenceByHandle<KProcess>(t.process, hProcess, "Process", PROCESS_VM_OPERATION, UserMode);
  if (r.status !== STATUS_SUCCESS || !r.object) {
    setLastNtError(t, r.status);
    return null;
  }
  t.machine.ob.dereference(r.object);
  return r.object;
}

function allocIn(t: KThread, p: KProcess, lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
  return service(t, () => {
    const space = p.addressSpace;
    if (!space) {
      setLastNtError(t, 0xc000000d);
      return 0;
    }
    const r = space.allocate(lpAddress, dwSize, flAllocationType, flProtect);
    if (r.status !== STATUS_SUCCESS) {
      setLastNtError(t, r.status);
      return 0;
    }
    if (t.machine.trace.on) t.machine.trace.emit("VirtualAllocated", { process: p.pid, base: r.base, size: r.size, type: String(flAllocationType), protect: flProtect });
    return r.base;
  });
}

function freeIn(t: KThread, p: KProcess, lpAddress: number, dwSize: number, dwFreeType: number): boolean {
  // kernelbase refuses MEM_RELEASE with a size before entering the kernel.
  if (dwFreeType === MEM_RELEASE && dwSize !== 0) {
    t.lastError = ERROR_INVALID_PARAMETER;
    return false;
  }
  return service(t, () => {
    const space = p.addressSpace;
    if (!space) return false;
    const r = space.free(lpAddress, dwSize, dwFreeType);
    if (r.status !== STATUS_SUCCESS) {
      setLastNtError(t, r.status);
      return false;
    }
    if (t.machine.trace.on) t.machine.trace.emit("VirtualFreed", { process: p.pid, base: r.base, size: r.size, type: String(dwFreeType) });
    return true;
  });
}

/** VirtualAlloc: reserve and/or commit in the caller's address space; NULL (0) on failure. */
export function VirtualAlloc(lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
  const t = caller("VirtualAlloc");
  return allocIn(t, t.process, lpAddress, dwSize, flAllocationType, flProtect);
}

/** VirtualAllocEx: the same in another process (needs PROCESS_VM_OPERATION). */
export function VirtualAllocEx(hProcess: number, lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
  const t = caller("VirtualAllocEx");
  const p = targetProcess(t, hProcess);
  return p ? allocIn(t, p, lpAddress, dwSize, flAllocationType, flProtect) : 0;
}

/** VirtualFree: MEM_DECOMMIT or MEM_RELEASE (which must pass size 0). */
export function VirtualFree(lpAddress: number, dwSize: number, dwFreeType: number): boolean {
  const t = caller("VirtualFree");
  return freeIn(t, t.process, lpAddress, dwSize, dwFreeType);
}

/** VirtualFreeEx. */
export function VirtualFreeEx(hProcess: number, lpAddress: number, dwSize: number, dwFreeType: number): boolean {
  const t = caller("VirtualFreeEx");
  const p = targetProcess(t, hProcess);
  return p ? freeIn(t, p, lpAddress, dwSize, dwFreeType) : false;
}

/**
 * VirtualProtect: changes the protection of committed pages and stores the old protection of
 * the first page at `lpflOldProtect` (which must be a writable address).
 */
export function VirtualProtect(lpAddress: number, dwSize: number, flNewProtect: number, lpflOldProtect: number): boolean {
  const t = caller("VirtualProtect");
  return service(t, (m) => {
    const space = t.process.addressSpace;
    if (!space) return false;
    try {
      // The out-parameter is probed before anything changes.
      if (lpflOldProtect === 0) throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: 0 });
      putUserU32(m, lpflOldProtect, getUserU32(m, lpflOldProtect));
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      setLastNtError(t, e.status);
      return false;
    }
    const r = space.protect(lpAddress, dwSize, flNewProtect);
    if (r.status !== STATUS_SUCCESS) {
      setLastNtError(t, r.status);
      return false;
    }
    m.mmu.writeU32(lpflOldProtect, r.oldProtect);
    if (m.trace.on) m.trace.emit("VirtualProtected", { process: t.process.pid, base: r.base, size: r.size, protect: flNewProtect });
    return true;
  });
}

/**
 * VirtualQuery: writes a MEMORY_BASIC_INFORMATION (28 bytes) at `lpBuffer` and returns its size,
 * or 0 on failure.
 */
export function VirtualQuery(lpAddress: number, lpBuffer: number, dwLength: number): number {
  const t = caller("VirtualQuery");
  return service(t, (m) => {
    if (dwLength < SIZEOF_MEMORY_BASIC_INFORMATION) {
      setLastNtError(t, STATUS_INFO_LENGTH_MISMATCH);
      return 0;
    }
    const space = t.process.addressSpace;
    const r = space ? space.query(lpAddress) : null;
    if (!r || r.status !== STATUS_SUCCESS || !r.info) {
      setLastNtError(t, r ? r.status : 0xc000000d);
      return 0;
    }
    const i = r.info;
    const fields = [i.BaseAddress, i.AllocationBase, i.AllocationProtect, i.RegionSize, i.State, i.Protect, i.Type];
    try {
      probeUser(lpBuffer, SIZEOF_MEMORY_BASIC_INFORMATION);
      fields.forEach((v, k) => {
        m.mmu.writeU32(lpBuffer + 4 * k, v);
      });
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      setLastNtError(t, e.status);
      return 0;
    }
    return SIZEOF_MEMORY_BASIC_INFORMATION;
  });
}

/** Reads a MEMORY_BASIC_INFORMATION that VirtualQuery wrote (a convenience for apps). */
export function readMemoryBasicInformation(lpBuffer: number): MEMORY_BASIC_INFORMATION {
  const t = caller("readMemoryBasicInformation");
  const r = (k: number) => t.machine.mmu.readU32(lpBuffer + 4 * k);
  return { BaseAddress: r(0), AllocationBase: r(1), AllocationProtect: r(2), RegionSize: r(3), State: r(4), Protect: r(5), Type: r(6) };
}

/** GetProcessHeap. */
export function GetProcessHeap(): number {
  const t = caller("GetProcessHeap");
  return service(t, (m) => processHeap(m, t.process).ensure());
}

/** HeapAlloc: a block of `dwBytes` (zeroed with HEAP_ZERO_MEMORY); NULL (0) on failure. */
export function HeapAlloc(hHeap: number, dwFlags: number, dwBytes: number): number {
  const t = caller("HeapAlloc");
  return service(t, (m) => {
    const heap = processHeap(m, t.process);
    if (hHeap !== heap.ensure()) {
      t.lastError = ERROR_INVALID_HANDLE;
      return 0;
    }
    const p = heap.alloc(dwBytes, (dwFlags & HEAP_ZERO_MEMORY) !== 0);
    if (p === 0) t.lastError = ERROR_NOT_ENOUGH_MEMORY;
    return p;
  });
}

/** HeapFree: false (ERROR_INVALID_PARAMETER) when the block is not live in that heap. */
export function HeapFree(hHeap: number, _dwFlags: number, lpMem: number): boolean {
  const t = caller("HeapFree");
  return service(t, (m) => {
    const heap = processHeap(m, t.process);
    if (lpMem === 0) return true;
    if (hHeap !== heap.ensure() || !heap.free(lpMem)) {
      t.lastError = ERROR_INVALID_PARAMETER;
      return false;
    }
    return true;
  });
}
