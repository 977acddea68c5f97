import { PageTable } from "./page-table.js";
import { PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from "./physical-memory.js";
import { PTE_MAPPED, PTE_NOCACHE, PTE_OWNED, PTE_VALID, PTE_WRITE } from "./pte.js";
import { RangeAllocator } from "./range-allocator.js";
import { MM_SYSTEM_RANGE_START, NONPAGED_POOL_END, NONPAGED_POOL_START, PAGED_POOL_END, PAGED_POOL_START, SYSTEM_PTE_END, SYSTEM_PTE_START } from "./memory-constants.js";
import type { PteObserver } from "./address-space.js";

/** How a system mapping treats its frames. */
export interface SystemMapOptions {
  writable?: boolean;
  nocache?: boolean;
  /** True when the mapping owns its frames (contiguous buffers): unmapping frees them. */
  owned?: boolean;
  /** Extra PTE bits (PTE_PAGEABLE for paged pool). */
  extraBits?: number;
}

/** A [start, end) range of system virtual addresses. */
export type SystemRange = readonly [start: number, end: number];

/**
 * Where the system-space regions lie. NT's 32-bit layout is the default; a layer modelling
 * another kernel moves them out of the way of its own fixed regions (CE's static mapping of RAM
 * at 0x80000000–0xBFFFFFFF, say).
 */
export interface SystemSpaceLayout {
  readonly nonPagedPool: SystemRange;
  readonly pagedPool: SystemRange;
  /** MDL mappings, contiguous buffers, I/O space. */
  readonly systemPtes: SystemRange;
}

/** NT's 32-bit x86 layout (memory-constants.ts). */
export const NT_SYSTEM_LAYOUT: SystemSpaceLayout = {
  nonPagedPool: [NONPAGED_POOL_START, NONPAGED_POOL_END],
  pagedPool: [PAGED_POOL_START, PAGED_POOL_END],
  systemPtes: [SYSTEM_PTE_START, SYSTEM_PTE_END],
};

/**
 * Checks a layout: every range page-aligned, inside system space (0x80000000–0xFFFFFFFF), not
 * empty and not overlapping another. Throws a RangeError naming the problem.
 */
export function checkSystemLayout(layout: SystemSpaceLayout): void {
  const named: [string, SystemRange][] = [
    ["nonPagedPool", layout.nonPagedPool],
    ["pagedPool", layout.pagedPool],
    ["systemPtes", layout.systemPtes],
  ];
  const hex = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase()}`;
  for (const [name, [start, end]] of named) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0 || start < MM_SYSTEM_RANGE_START || end > 2 ** 32 || end <= start) {
      throw new RangeError(`system layout: ${name} [${hex(start)}, ${hex(end)}) must be a non-empty page-aligned range inside system space (0x80000000–0xFFFFFFFF)`);
    }
  }
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [a, ra] = named[i] as [string, SystemRange];
      const [b, rb] = named[j] as [string, SystemRange];
      if (ra[0] < rb[1] && rb[0] < ra[1]) throw new RangeError(`system layout: ${a} and ${b} overlap`);
    }
  }
}

/**
 * System space (0x80000000 and up), shared by every process: one page table, the system PTE
 * range used for MDL mappings, contiguous buffers and I/O space, and the pools' pages.
 */
export class SystemSpace {
  readonly table = new PageTable();
  readonly systemPtes: RangeAllocator;

  constructor(
    private readonly physical: PhysicalMemory,
    private readonly observer: PteObserver,
    ptes: SystemRange = [SYSTEM_PTE_START, SYSTEM_PTE_END],
  ) {
    this.systemPtes = new RangeAllocator(ptes[0] >>> PAGE_SHIFT, ptes[1] >>> PAGE_SHIFT);
  }

  /**
   * Maps frames into the system PTE range (MiReserveSystemPtes + filling the PTEs).
   * Returns the base address, or 0 when the range is exhausted.
   */
  mapFrames(frames: ArrayLike<number>, options: SystemMapOptions = {}): number {
    const pages = frames.length;
    const vpn = this.systemPtes.allocate(pages);
    if (vpn < 0) return 0;
    let bits = PTE_VALID | (options.owned ? PTE_OWNED : PTE_MAPPED) | (options.extraBits ?? 0);
    if (options.writable ?? true) bits |= PTE_WRITE;
    if (options.nocache) bits |= PTE_NOCACHE;
    // Protection index 2 (PAGE_READWRITE) or 1 (PAGE_READONLY) so queries read sensibly.
    bits |= (options.writable ?? true ? 2 : 1) << 8;
    // One leaf at a time, from one array type, the shift in a local: the inner loop compiles to
    // a plain load and store per page.
    const f = frames instanceof Int32Array ? frames : copyToScratch(frames);
    const shift = PAGE_SHIFT;
    for (let i = 0; i < pages; ) {
      const v = vpn + i;
      const leaf = this.table.leaf(v, true);
      const first = v & 1023;
      const run = Math.min(1024 - first, pages - i);
      if (leaf) for (let k = 0; k < run; k++) leaf[first + k] = ((f[i + k] ?? 0) << shift) | bits;
      i += run;
    }
    this.observer.pteChanged();
    return (vpn << PAGE_SHIFT) >>> 0;
  }

  /** Removes a system mapping of `pages` pages; owned frames are dereferenced. */
  unmap(base: number, pages: number): void {
    const vpn = base >>> PAGE_SHIFT;
    const shift = PAGE_SHIFT;
    for (let i = 0; i < pages; ) {
      const v = vpn + i;
      const leaf = this.table.leaf(v, false);
      const first = v & 1023;
      const run = Math.min(1024 - first, pages - i);
      if (leaf) {
        for (let k = 0; k < run; k++) {
          const pte = leaf[first + k] ?? 0;
          if (pte & PTE_OWNED) this.physical.dereference(pte >>> shift);
          leaf[first + k] = 0;
        }
      }
      i += run;
    }
    this.systemPtes.release(vpn, pages);
    this.observer.pteChanged();
  }

  /** Sets one system PTE directly (pool pages, static maps). */
  setPte(vpn: number, pte: number): void {
    this.table.set(vpn, pte);
    this.observer.pteChanged();
  }
}

let scratch = new Int32Array(64);
/** `frames` in a reusable Int32Array (small MDLs keep their frames in plain arrays). */
function copyToScratch(frames: ArrayLike<number>): Int32Array {
  if (scratch.length < frames.length) scratch = new Int32Array(Math.max(frames.length, scratch.length * 2));
  for (let i = 0; i < frames.length; i++) scratch[i] = frames[i] ?? 0;
  return scratch;
}
