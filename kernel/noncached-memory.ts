/**
 * MmAllocateNonCachedMemory / MmFreeNonCachedMemory: nonpaged system memory mapped uncached (for
 * a buffer a device reads and writes behind the processor's caches), page-granular and not
 * necessarily physically contiguous, with MmIsAddressValid beside them (whether touching an
 * address would fault now).
 */
import { BugCheckCode, SectionBugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { APC_LEVEL, DISPATCH_LEVEL } from "./irql.js";
import type { Machine } from "./machine.js";
import { MM_SYSTEM_RANGE_START } from "./memory-constants.js";
import { PAGE_SHIFT, PAGE_SIZE } from "./physical-memory.js";
import { PTE_GUARD, PTE_MAPPED, PTE_OWNED, PTE_VALID } from "./pte.js";
import type { KThread } from "./thread.js";

const SYSTEM_PTE_MISUSE = SectionBugCheckCode.SYSTEM_PTE_MISUSE;

const blocksByMachine = new WeakMap<Machine, Map<number, number>>();

function blocks(m: Machine): Map<number, number> {
  let b = blocksByMachine.get(m);
  if (!b) {
    b = new Map();
    blocksByMachine.set(m, b);
  }
  return b;
}

/** The machine's live MmAllocateNonCachedMemory blocks: base address -> pages (for leak checks). */
export function nonCachedAllocations(m: Machine): ReadonlyMap<number, number> {
  return blocks(m);
}

function kernel(api: string, maxIrql: number): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > maxIrql) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at IRQL < DISPATCH_LEVEL` });
  }
  return t;
}

/**
 * MmAllocateNonCachedMemory: `NumberOfBytes` (rounded up to whole pages) of zeroed, nonpaged,
 * uncached system memory; returns its base, or NULL (0) when the size is 0 or memory or system
 * PTEs run out. IRQL < DISPATCH_LEVEL.
 */
export function MmAllocateNonCachedMemory(NumberOfBytes: number): number {
  const t = kernel("MmAllocateNonCachedMemory", APC_LEVEL);
  const m = t.machine;
  if (typeof NumberOfBytes !== "number" || !Number.isSafeInteger(NumberOfBytes) || NumberOfBytes <= 0) return 0;
  const pages = Math.ceil(NumberOfBytes / PAGE_SIZE);
  const frames = m.physical.allocateFrames(pages);
  if (!frames) return 0;
  // The mapping owns the frames: unmapping it frees them.
  const base = m.system.mapFrames(frames, { writable: true, nocache: true, owned: true });
  if (base === 0) {
    for (const f of frames) m.physical.dereference(f);
    return 0;
  }
  blocks(m).set(base, pages);
  return base;
}

/**
 * MmFreeNonCachedMemory: frees a block MmAllocateNonCachedMemory returned; `NumberOfBytes` must be
 * the size it was allocated with. An address that is no such block (freed twice, inside one) is
 * SYSTEM_PTE_MISUSE (0xDA) P1 0x101, a size of another page count P1 0x02. IRQL < DISPATCH_LEVEL.
 */
export function MmFreeNonCachedMemory(BaseAddress: number, NumberOfBytes: number): void {
  const t = kernel("MmFreeNonCachedMemory", APC_LEVEL);
  const m = t.machine;
  const base = typeof BaseAddress === "number" && Number.isInteger(BaseAddress) ? BaseAddress >>> 0 : 0;
  const pages = blocks(m).get(base);
  const hex = `0x${base.toString(16).toUpperCase()}`;
  if (pages === undefined) {
    return m.bugCheck(SYSTEM_PTE_MISUSE, 0x101, base, 0, 0, { detail: `MmFreeNonCachedMemory(${hex}), which is not a block MmAllocateNonCachedMemory returned (freed twice, or an address inside one)` });
  }
  const asked = typeof NumberOfBytes === "number" && Number.isSafeInteger(NumberOfBytes) ? Math.ceil(NumberOfBytes / PAGE_SIZE) : -1;
  if (asked !== pages) {
    return m.bugCheck(SYSTEM_PTE_MISUSE, 0x02, base, pages, asked, { detail: `MmFreeNonCachedMemory(${hex}, ${String(NumberOfBytes)}): the block is ${pages} page(s), so the size freed must be the size allocated` });
  }
  blocks(m).delete(base);
  m.system.unmap(base, pages);
}

/**
 * MmIsAddressValid: whether a read of `VirtualAddress` would not fault now — its page is present
 * (a valid PTE over a frame: not free, reserved, decommitted, PAGE_NOACCESS or a guard page), in
 * system space or in the current process's user space. It says nothing of whether the page stays
 * valid (another thread may free it). IRQL <= DISPATCH_LEVEL.
 */
export function MmIsAddressValid(VirtualAddress: number): boolean {
  const t = kernel("MmIsAddressValid", DISPATCH_LEVEL);
  const m = t.machine;
  if (typeof VirtualAddress !== "number" || !Number.isInteger(VirtualAddress) || VirtualAddress < 0 || VirtualAddress > 0xffffffff) return false;
  const va = VirtualAddress >>> 0;
  const table = va >= MM_SYSTEM_RANGE_START ? m.system.table : (t.currentProcess.translation?.table ?? null);
  const pte = table ? table.get(va >>> PAGE_SHIFT) : 0;
  return (pte & PTE_VALID) !== 0 && (pte & PTE_GUARD) === 0 && (pte & (PTE_OWNED | PTE_MAPPED)) !== 0;
}
