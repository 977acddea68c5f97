/**
 * CE 6.0's virtual-memory services with its kernel's rules (vm.c VMAlloc/VMCopy/VMAllocCopy,
 * process.c PROCVMAlloc/PROCVMFree/PROCVMCopy; Learn VirtualAlloc, VirtualCopy, VirtualCopyEx,
 * VirtualAllocCopyEx, VirtualFreeEx). Callers have resolved process handles and checked who may
 * call; these functions apply the memory rules and return a Win32 error (0: success).
 */
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";
import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/physical-memory.js";
import { protectionToPteBits } from "../kernel/pte.js";
import type { CeMachine } from "./ce-machine.js";
import type { CeVm } from "./ce-vm.js";
import {
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_ENOUGH_MEMORY,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_TOP_DOWN,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_PHYSICAL,
  PAGE_READONLY,
  PAGE_READWRITE,
} from "./constants.js";
import { CE5_SECTION_SIZE, isStaticKernelVa, isValidUserPointer, VM_BLOCK_SIZE, VM_DLL_BASE, VM_USER_BASE } from "./layout.js";

const BASE_PROTECTIONS: readonly number[] = [PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE];

/**
 * IsValidProtect: exactly one base protection, optionally PAGE_GUARD and/or PAGE_NOCACHE.
 * Returns the PTE bits, or null (ERROR_INVALID_PARAMETER).
 */
export function cePteBits(protect: number): number | null {
  if (!Number.isInteger(protect)) return null;
  const base = protect & ~(PAGE_GUARD | PAGE_NOCACHE);
  if (!BASE_PROTECTIONS.includes(base)) return null;
  return protectionToPteBits(protect);
}

/** "MEM_COMMIT|MEM_RESERVE", for traces. */
export function allocationTypeName(type: number): string {
  const names: string[] = [];
  if (type & MEM_COMMIT) names.push("MEM_COMMIT");
  if (type & MEM_RESERVE) names.push("MEM_RESERVE");
  if (type & MEM_DECOMMIT) names.push("MEM_DECOMMIT");
  if (type & MEM_RELEASE) names.push("MEM_RELEASE");
  return names.join("|") || `0x${type.toString(16)}`;
}

function crossesSection(va: number, size: number): boolean {
  return Math.floor(va / CE5_SECTION_SIZE) !== Math.floor((va + size - 1) / CE5_SECTION_SIZE);
}

/** The result of an allocation: an address (0 on failure) and the error. */
export interface VmAllocResult {
  readonly address: number;
  readonly error: number;
}

/**
 * VirtualAlloc(Ex) in `target`: reserve and/or commit. Every parameter failure is
 * ERROR_INVALID_PARAMETER: an allocation type other than MEM_RESERVE/MEM_COMMIT (MEM_TOP_DOWN
 * is ignored), a size of 0, not exactly one base protection, an explicit reservation base not
 * on a 64 KB boundary or outside the region, a commit outside one reservation — and, for a
 * caller in user mode, a reservation that would pass 0x40000000 (CE checks vaFree + size) or
 * an address the caller may not pass.
 */
export function vmAlloc(ce: CeMachine, t: KThread, target: KProcess, lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number, fromUser: boolean, origin: string): VmAllocResult {
  const fail = (error: number): VmAllocResult => ({ address: 0, error });
  const type = flAllocationType & ~MEM_TOP_DOWN;
  if (!type || type & ~(MEM_COMMIT | MEM_RESERVE)) return fail(ERROR_INVALID_PARAMETER);
  if (!Number.isInteger(dwSize) || dwSize <= 0 || dwSize > 0x7fffffff) return fail(ERROR_INVALID_PARAMETER);
  const bits = cePteBits(flProtect);
  if (bits === null) return fail(ERROR_INVALID_PARAMETER);
  if (!Number.isInteger(lpAddress) || lpAddress < 0 || lpAddress > 0xffffffff) return fail(ERROR_INVALID_PARAMETER);
  // The kernel validates a user caller's pointer argument (FNSIG: O_PTR sized by dwSize).
  if (fromUser && lpAddress !== 0 && !isValidUserPointer(lpAddress, dwSize, true)) return fail(ERROR_INVALID_PARAMETER);
  const reserving = lpAddress === 0 || (type & MEM_RESERVE) !== 0;
  const vm = lpAddress === 0 ? ce.allocationVm(target) : ce.vmFor(target, lpAddress);
  if (!vm) return fail(ERROR_INVALID_PARAMETER);
  let base: number;
  if (reserving) {
    // PROCVMAlloc: from user mode, a reservation that would pass the DLL base is refused outright.
    if (fromUser && lpAddress === 0 && vm === ce.spaceOf(target)?.vm && vm.vaFree + dwSize > VM_DLL_BASE) return fail(ERROR_INVALID_PARAMETER);
    const pageBase = lpAddress - (lpAddress % PAGE_SIZE);
    // DoVMReserve: an explicit reservation must start on a 64 KB boundary.
    if (lpAddress !== 0 && pageBase % VM_BLOCK_SIZE !== 0) return fail(ERROR_INVALID_PARAMETER);
    const size = lpAddress === 0 ? dwSize : lpAddress + dwSize - pageBase;
    const r = vm.reserve(pageBase, size, flProtect, origin);
    if (r.error) return fail(r.error);
    base = r.base;
    if (type & MEM_COMMIT) {
      const e = vm.commit(base, size, bits);
      if (e) {
        vm.release(base);
        return fail(e);
      }
    }
  } else {
    base = lpAddress - (lpAddress % PAGE_SIZE);
    const e = vm.commit(lpAddress, dwSize, bits);
    if (e) return fail(e);
  }
  const m = t.machine;
  if (m.trace.on) m.trace.emit("VirtualAllocated", { process: target.pid, base, size: dwSize, type: allocationTypeName(type), protect: flProtect });
  return { address: base, error: 0 };
}

/**
 * VirtualFree(Ex) in `target`: MEM_RELEASE with size 0 at a reservation's base (which also
 * removes the pages VirtualCopy mapped there), or MEM_DECOMMIT of a range inside one
 * reservation. Anything else is ERROR_INVALID_PARAMETER.
 */
export function vmFree(ce: CeMachine, t: KThread, target: KProcess, lpAddress: number, dwSize: number, dwFreeType: number, fromUser: boolean): number {
  if (!Number.isInteger(lpAddress) || !Number.isInteger(dwSize) || dwSize < 0) return ERROR_INVALID_PARAMETER;
  if (fromUser && lpAddress !== 0 && !isValidUserPointer(lpAddress, dwSize, true)) return ERROR_INVALID_PARAMETER;
  const vm = ce.vmFor(target, lpAddress);
  if (!vm) return ERROR_INVALID_PARAMETER;
  const m = t.machine;
  if (dwFreeType === MEM_RELEASE && dwSize === 0) {
    const r = vm.release(lpAddress);
    if (r.error) return r.error;
    if (m.trace.on) m.trace.emit("VirtualFreed", { process: target.pid, base: lpAddress, size: r.size, type: "MEM_RELEASE" });
    return 0;
  }
  if (dwFreeType !== MEM_DECOMMIT || dwSize === 0) return ERROR_INVALID_PARAMETER;
  const e = vm.decommit(lpAddress, dwSize);
  if (e) return e;
  if (m.trace.on) m.trace.emit("VirtualFreed", { process: target.pid, base: lpAddress, size: dwSize, type: "MEM_DECOMMIT" });
  return 0;
}

/** Where a VirtualCopy's pages come from. */
type CopySource = { kind: "physical" | "static"; firstFrame: number } | { kind: "virtual"; frames: number[] };

/**
 * Resolves a VirtualCopy source of `pages` pages starting at the page-aligned `srcPage`:
 * PAGE_PHYSICAL (`srcPage` is a physical address), a static kernel address (physically
 * consecutive frames from the one it maps), or committed pages of one reservation.
 */
function resolveSource(ce: CeMachine, srcProcess: KProcess, srcPage: number, pages: number, physical: boolean): CopySource | null {
  if (physical) {
    if (srcPage + pages * PAGE_SIZE > 2 ** 32) return null;
    return { kind: "physical", firstFrame: srcPage / PAGE_SIZE };
  }
  if (isStaticKernelVa(srcPage)) {
    const frame = ce.staticFrame(srcPage);
    return frame < 0 ? null : { kind: "static", firstFrame: frame };
  }
  const vm = ce.vmFor(srcProcess, srcPage);
  const frames = vm ? vm.committedFrames(srcPage >>> PAGE_SHIFT, pages) : null;
  return frames ? { kind: "virtual", frames } : null;
}

function mapInto(vm: CeVm, dstVpn: number, pages: number, source: CopySource, bits: number): void {
  if (source.kind === "virtual") vm.mapFrames(dstVpn, source.frames, bits);
  else vm.mapPhysical(dstVpn, source.firstFrame, pages, bits);
}

function traceCopy(t: KThread, dst: KProcess, dstVa: number, src: KProcess, srcVa: number, pages: number, source: CopySource, protect: number): void {
  const m = t.machine;
  if (!m.trace.on) return;
  m.trace.emit("CeVirtualCopy", {
    dstProcess: dst.pid,
    dst: dstVa,
    srcProcess: src.pid,
    src: srcVa,
    source: source.kind,
    pages,
    firstFrame: source.kind === "virtual" ? (source.frames[0] ?? -1) : source.firstFrame,
    protect,
  });
}

/**
 * VMCopy (VirtualCopyEx; VirtualCopy in the active process): maps the source's pages at the
 * destination. ERROR_INVALID_PARAMETER when: the protection is not exactly one base protection
 * (PAGE_PHYSICAL and PAGE_NOCACHE aside); the size is 0; the page offsets of source and
 * destination differ (PAGE_PHYSICAL: the offset of `lpvSrc << 8`); any destination page is not
 * reserved, is committed, or lies in another reservation; the source is neither PAGE_PHYSICAL,
 * a mapped static kernel address, nor committed pages of one reservation — and, in CE 5.0
 * mode, when the destination (or a virtual source) crosses a 32 MB section.
 */
export function vmCopy(ce: CeMachine, t: KThread, dst: KProcess, lpvDest: number, src: KProcess, lpvSrc: number, cbSize: number, fdwProtect: number): number {
  const physical = (fdwProtect & PAGE_PHYSICAL) !== 0;
  const protect = fdwProtect & ~PAGE_PHYSICAL;
  const bits = cePteBits(protect);
  if (bits === null) return ERROR_INVALID_PARAMETER;
  if (!Number.isInteger(cbSize) || cbSize <= 0 || cbSize > 0x7fffffff) return ERROR_INVALID_PARAMETER;
  if (![lpvDest, lpvSrc].every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) return ERROR_INVALID_PARAMETER;
  const srcAddress = physical ? lpvSrc * 256 : lpvSrc;
  const srcOffset = srcAddress % PAGE_SIZE;
  const dstOffset = lpvDest % PAGE_SIZE;
  if (srcOffset !== dstOffset) return ERROR_INVALID_PARAMETER;
  if (lpvDest < VM_USER_BASE) return ERROR_INVALID_PARAMETER;
  const vm = ce.vmFor(dst, lpvDest);
  if (!vm) return ERROR_INVALID_PARAMETER;
  const pages = Math.ceil((cbSize + dstOffset) / PAGE_SIZE);
  const dstPage = lpvDest - dstOffset;
  if (!vm.reservedAndFree(dstPage >>> PAGE_SHIFT, pages)) return ERROR_INVALID_PARAMETER;
  if (ce.version === "5.0") {
    if (crossesSection(dstPage, pages * PAGE_SIZE)) return ERROR_INVALID_PARAMETER;
    if (!physical && !isStaticKernelVa(srcAddress) && crossesSection(srcAddress - srcOffset, pages * PAGE_SIZE)) return ERROR_INVALID_PARAMETER;
  }
  const source = resolveSource(ce, src, srcAddress - srcOffset, pages, physical);
  if (!source) return ERROR_INVALID_PARAMETER;
  mapInto(vm, dstPage >>> PAGE_SHIFT, pages, source, bits);
  traceCopy(t, dst, dstPage, src, srcAddress - srcOffset, pages, source, fdwProtect);
  return 0;
}

/**
 * VMAllocCopy (VirtualAllocCopyEx): reserves space in `dst` at the same offset within a 64 KB
 * block as the source, maps the source there as {@link vmCopy} would, and returns the address
 * matching `pAddr` (its page offset kept). A size of 0 or a source below 0x10000 is
 * ERROR_INVALID_PARAMETER; so is a source that is not PAGE_PHYSICAL, static, or committed.
 */
export function vmAllocCopy(ce: CeMachine, t: KThread, src: KProcess, dst: KProcess, pAddr: number, cbSize: number, dwProtect: number): VmAllocResult {
  const fail = (error: number): VmAllocResult => ({ address: 0, error });
  const physical = (dwProtect & PAGE_PHYSICAL) !== 0;
  const bits = cePteBits(dwProtect & ~PAGE_PHYSICAL);
  if (bits === null) return fail(ERROR_INVALID_PARAMETER);
  if (!Number.isInteger(cbSize) || cbSize <= 0 || cbSize > 0x7fffffff) return fail(ERROR_INVALID_PARAMETER);
  if (!Number.isInteger(pAddr) || pAddr < VM_USER_BASE || pAddr > 0xffffffff) return fail(ERROR_INVALID_PARAMETER);
  const srcAddress = physical ? pAddr * 256 : pAddr;
  const offset = srcAddress % PAGE_SIZE;
  const blockOffset = srcAddress % VM_BLOCK_SIZE;
  const vm = ce.allocationVm(dst);
  if (!vm) return fail(ERROR_INVALID_PARAMETER);
  const pages = Math.ceil((cbSize + offset) / PAGE_SIZE);
  const source = resolveSource(ce, src, srcAddress - offset, pages, physical);
  if (!source) return fail(ERROR_INVALID_PARAMETER);
  if (ce.version === "5.0" && source.kind === "virtual" && crossesSection(srcAddress - offset, pages * PAGE_SIZE)) return fail(ERROR_INVALID_PARAMETER);
  const r = vm.reserve(0, cbSize + blockOffset, PAGE_NOACCESS, "VirtualAllocCopyEx");
  if (r.error) return fail(r.error === ERROR_INVALID_PARAMETER ? ERROR_NOT_ENOUGH_MEMORY : r.error);
  const dstPage = r.base + blockOffset - offset;
  if (ce.version === "5.0" && crossesSection(dstPage, pages * PAGE_SIZE)) {
    vm.release(r.base);
    return fail(ERROR_INVALID_PARAMETER);
  }
  mapInto(vm, dstPage >>> PAGE_SHIFT, pages, source, bits);
  const m = t.machine;
  if (m.trace.on) m.trace.emit("VirtualAllocated", { process: dst.pid, base: r.base, size: r.size, type: "MEM_RESERVE", protect: PAGE_NOACCESS });
  traceCopy(t, dst, dstPage, src, srcAddress - offset, pages, source, dwProtect);
  return { address: dstPage + offset, error: 0 };
}
