import { PageTable } from "./page-table.js";
import { PAGE_SHIFT, type PhysicalMemory } from "./physical-memory.js";
import { PTE_MAPPED, PTE_NOCACHE, PTE_OWNED, PTE_VALID, PTE_WRITE } from "./pte.js";
import { RangeAllocator } from "./range-allocator.js";
import { SYSTEM_PTE_END, SYSTEM_PTE_START } from "./memory-constants.js";
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

/**
 * System space (0x80000000 and up), shared by every process: one page table, the system PTE
 * range used for MDL mappings, contiguous buffers and I/O space, and the pools' pages.
 */
export class SystemSpace {
  readonly table = new PageTable();
  readonly systemPtes = new RangeAllocator(SYSTEM_PTE_START >>> PAGE_SHIFT, SYSTEM_PTE_END >>> PAGE_SHIFT);

  constructor(
    private readonly physical: PhysicalMemory,
    private readonly observer: PteObserver,
  ) {}

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
    // One leaf at a time, the shift in a local: the inner loop is a plain store per page.
    const shift = PAGE_SHIFT;
    for (let i = 0; i < pages; ) {
      const v = vpn + i;
      const leaf = this.table.leaf(v, true);
      const first = v & 1023;
      const run = Math.min(1024 - first, pages - i);
      if (leaf) for (let k = 0; k < run; k++) leaf[first + k] = ((frames[i + k] ?? 0) << shift) | bits;
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
