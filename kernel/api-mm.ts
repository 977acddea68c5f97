/**
 * Memory-manager routines drivers call by their wdm.h names for physically contiguous memory
 * (common buffers for bus-master DMA) and physical addresses.
 *
 * A contiguous allocation takes a run of consecutive frames and maps it into the system PTE range
 * as owned, nonpageable pages: the mapping holds the frames, and freeing it returns them.
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { DISPATCH_LEVEL } from "./irql.js";
import type { Machine } from "./machine.js";
import { MM_SYSTEM_RANGE_START } from "./memory-constants.js";
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from "./physical-memory.js";
import type { KThread } from "./thread.js";

declare module "./trace.js" {
  interface TraceEventMap {
    /**
     * MmAllocateContiguousMemory returned `pages` physically contiguous pages from frame
     * `firstFrame`, mapped at `address` (`size` bytes).
     */
    ContiguousAllocated: { /** The system address it is mapped at. */ address: number; /** Its size in bytes. */ size: number; /** The first physical frame. */ firstFrame: number; /** How many pages. */ pages: number };
    /** MmFreeContiguousMemory released the `pages` at `address`. */
    ContiguousFreed: { /** The system address. */ address: number; /** How many pages. */ pages: number };
  }
}

/** MEMORY_CACHING_TYPE values (wdm.h), as MmAllocateContiguousMemorySpecifyCache takes them. */
export const MmContiguousCaching = { MmNonCached: 0, MmCached: 1, MmWriteCombined: 2 } as const;

/** One live contiguous allocation. */
export interface ContiguousBlock {
  /** The system virtual address MmAllocateContiguousMemory returned. */
  readonly address: number;
  readonly size: number;
  readonly firstFrame: number;
  readonly pages: number;
  readonly cacheType: number;
  /** The driver that allocated it, when known (for leak reports). */
  readonly driver: string | null;
}

const blocksByMachine = new WeakMap<Machine, Map<number, ContiguousBlock>>();

/** The machine's live contiguous allocations, by base address (for leak checks and reports). */
export function contiguousAllocations(m: Machine): ReadonlyMap<number, ContiguousBlock> {
  return blocks(m);
}

function blocks(m: Machine): Map<number, ContiguousBlock> {
  let b = blocksByMachine.get(m);
  if (!b) {
    b = new Map();
    blocksByMachine.set(m, b);
  }
  return b;
}

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

function checkIrql(t: KThread, api: string): void {
  // The PFN database lock is a spin lock: taking it above DISPATCH_LEVEL would lower the IRQL.
  if (t.irql > DISPATCH_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, t.irql, DISPATCH_LEVEL, 0, 0, { detail: `${api} at IRQL ${t.irql}: it must be called at IRQL <= DISPATCH_LEVEL` });
  }
}

/**
 * MmAllocateContiguousMemorySpecifyCache: `NumberOfBytes` of physically contiguous, nonpaged
 * memory whose frames lie between the two physical addresses (a lowest address that is not page
 * aligned rounds up) and do not cross a multiple of `BoundaryAddressMultiple` (0: no boundary;
 * one that is not page aligned fails). Returns the base system address, or 0 (NULL) when no such
 * run is free. Callers run at IRQL <= DISPATCH_LEVEL.
 */
export function MmAllocateContiguousMemorySpecifyCache(
  NumberOfBytes: number,
  LowestAcceptableAddress: number,
  HighestAcceptableAddress: number,
  BoundaryAddressMultiple: number,
  CacheType: number,
): number {
  const t = kernel("MmAllocateContiguousMemorySpecifyCache");
  checkIrql(t, "MmAllocateContiguousMemorySpecifyCache");
  return allocate(t, NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress, BoundaryAddressMultiple, CacheType);
}

/**
 * MmAllocateContiguousMemory: `NumberOfBytes` of physically contiguous, nonpaged, cached memory
 * below `HighestAcceptableAddress`. Returns the base system address, or 0 (NULL).
 */
export function MmAllocateContiguousMemory(NumberOfBytes: number, HighestAcceptableAddress: number): number {
  const t = kernel("MmAllocateContiguousMemory");
  checkIrql(t, "MmAllocateContiguousMemory");
  return allocate(t, NumberOfBytes, 0, HighestAcceptableAddress, 0, MmContiguousCaching.MmCached);
}

function allocate(t: KThread, bytes: number, lowest: number, highest: number, boundary: number, cacheType: number): number {
  const m = t.machine;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return 0;
  if (!Number.isSafeInteger(lowest) || !Number.isSafeInteger(highest) || !Number.isSafeInteger(boundary) || lowest < 0 || boundary < 0) return 0;
  if ((boundary & PAGE_MASK) !== 0) return 0;
  const lowestFrame = Math.ceil(lowest / PAGE_SIZE);
  const highestFrame = Math.floor(highest / PAGE_SIZE);
  if (lowestFrame > highestFrame) return 0;
  const pages = Math.ceil(bytes / PAGE_SIZE);
  const first = m.physical.allocateContiguous(pages, lowestFrame, highestFrame, boundary / PAGE_SIZE);
  if (first < 0) return 0;
  const frames = new Int32Array(pages);
  for (let i = 0; i < pages; i++) frames[i] = first + i;
  // The mapping owns the frames (PTE_OWNED): unmapping it frees them.
  const address = m.system.mapFrames(frames, { writable: true, nocache: cacheType === MmContiguousCaching.MmNonCached, owned: true });
  if (address === 0) {
    for (let i = 0; i < pages; i++) m.physical.dereference(first + i);
    return 0;
  }
  blocks(m).set(address, { address, size: bytes, firstFrame: first, pages, cacheType, driver: m.currentDriver() });
  if (m.trace.on) m.trace.emit("ContiguousAllocated", { address, size: bytes, firstFrame: first, pages });
  return address;
}

/**
 * MmFreeContiguousMemory: frees a block from MmAllocateContiguousMemory(SpecifyCache). An address
 * that is not the base of a live block is BAD_POOL_CALLER 0x60 (P2 = the address), as
 * MiFreeContiguousMemory raises it.
 */
export function MmFreeContiguousMemory(BaseAddress: number): void {
  const t = kernel("MmFreeContiguousMemory");
  checkIrql(t, "MmFreeContiguousMemory");
  free(t, BaseAddress);
}

/** MmFreeContiguousMemorySpecifyCache: as MmFreeContiguousMemory (the size and cache type are not needed to free). */
export function MmFreeContiguousMemorySpecifyCache(BaseAddress: number, _NumberOfBytes: number, _CacheType: number): void {
  const t = kernel("MmFreeContiguousMemorySpecifyCache");
  checkIrql(t, "MmFreeContiguousMemorySpecifyCache");
  free(t, BaseAddress);
}

function free(t: KThread, address: number): void {
  const m = t.machine;
  const map = blocks(m);
  const block = Number.isInteger(address) ? map.get(address >>> 0) : undefined;
  if (!block) {
    return m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x60, Number.isInteger(address) ? address : 0, 0, 0, {
      detail: `MmFreeContiguousMemory(0x${(Number.isInteger(address) ? address >>> 0 : 0).toString(16).toUpperCase()}), which is not the base of a contiguous allocation (freed twice, or an address inside one)`,
    });
  }
  map.delete(block.address);
  m.system.unmap(block.address, block.pages);
  if (m.trace.on) m.trace.emit("ContiguousFreed", { address: block.address, pages: block.pages });
}

/**
 * MmGetPhysicalAddress: the physical address behind a valid virtual address (system space, or
 * the current process's user space). An address with no frame behind it gives 0.
 */
export function MmGetPhysicalAddress(BaseAddress: number): number {
  const t = kernel("MmGetPhysicalAddress");
  const m = t.machine;
  if (!Number.isInteger(BaseAddress) || BaseAddress < 0 || BaseAddress > 0xffffffff) return 0;
  const user = BaseAddress < MM_SYSTEM_RANGE_START ? (t.currentProcess.addressSpace?.table ?? null) : null;
  const frame = m.mmu.frameOf(user, BaseAddress);
  if (frame < 0) return 0;
  return ((frame << PAGE_SHIFT) | (BaseAddress & PAGE_MASK)) >>> 0;
}
