import { PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from "./physical-memory.js";
import { PTE_OWNED, PTE_PAGEABLE, PTE_VALID, PTE_WRITE } from "./pte.js";
import { RangeAllocator } from "./range-allocator.js";
import type { SystemSpace } from "./system-space.js";

/** POOL_TYPE values (wdm.h). */
export const PoolType = {
  NonPagedPool: 0,
  PagedPool: 1,
  NonPagedPoolMustSucceed: 2,
  NonPagedPoolCacheAligned: 4,
  PagedPoolCacheAligned: 5,
  NonPagedPoolNx: 512,
} as const;

/** A POOL_TYPE value (NonPagedPool, PagedPool, NonPagedPoolNx…). */
export type POOL_TYPE = (typeof PoolType)[keyof typeof PoolType];

/** A pool tag as a number (little-endian four characters) from a number or a 4-char string. */
export function poolTag(tag: number | string): number {
  if (typeof tag === "number") return tag >>> 0;
  let n = 0;
  for (let i = 0; i < 4; i++) n |= (tag.charCodeAt(i) & 0xff) << (8 * i);
  return n >>> 0;
}

/** The four characters of a tag, as a debugger prints it. */
export function poolTagText(tag: number): string {
  let s = "";
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
  }
  return s;
}

/** One pool allocation. */
export interface PoolBlock {
  readonly address: number;
  readonly size: number;
  readonly rounded: number;
  readonly tag: number;
  readonly poolType: number;
  /** Where it was allocated (a source line), for leak reports. */
  readonly site: string | null;
}

/** The pool's record of a block address; kept after a free so a second free is recognised. */
interface BlockRecord {
  address: number;
  size: number;
  rounded: number;
  tag: number;
  poolType: number;
  site: string | null;
  live: boolean;
}

/** Per-tag accounting, as `!poolused` shows it. */
export interface PoolTagStats {
  allocs: number;
  frees: number;
  bytes: number;
}

/** Why a free was refused. */
export type PoolFreeError = "double-free" | "not-pool" | "wrong-tag";

const SMALL_LIMIT = 2048;
const GRANULE = 16;

/**
 * One pool (nonpaged or paged): small blocks carved from pages by size class, large blocks as
 * whole pages. Blocks are not zeroed on reuse, as NT's pool is not.
 */
export class Pool {
  private readonly va: RangeAllocator;
  private readonly freeBySize = new Map<number, number[]>();
  private readonly blocks = new Map<number, BlockRecord>();
  private liveCount = 0;
  readonly tags = new Map<number, PoolTagStats>();
  private bytesInUse = 0;

  constructor(
    private readonly physical: PhysicalMemory,
    private readonly system: SystemSpace,
    readonly pageable: boolean,
    /** The pool's virtual range [startVa, endVa). */
    readonly startVa: number,
    readonly endVa: number,
  ) {
    this.va = new RangeAllocator(startVa >>> PAGE_SHIFT, endVa >>> PAGE_SHIFT);
  }

  /** True when `address` lies in this pool's virtual range (allocated or not). */
  inRange(address: number): boolean {
    return address >= this.startVa && address < this.endVa;
  }

  /** Bytes handed out and not freed. */
  get inUse(): number {
    return this.bytesInUse;
  }

  /** Number of live blocks. */
  get liveBlockCount(): number {
    return this.liveCount;
  }

  /** Every live block, in address order. */
  liveBlocks(): PoolBlock[] {
    return [...this.blocks.values()].filter((b) => b.live).sort((a, b) => a.address - b.address);
  }

  /** The live block at exactly this address. */
  block(address: number): PoolBlock | undefined {
    const b = this.blocks.get(address);
    return b?.live ? b : undefined;
  }

  private mapPages(pages: number): number {
    const frames = this.physical.allocateFrames(pages);
    if (!frames) return 0;
    const vpn = this.va.allocate(pages);
    if (vpn < 0) {
      for (const f of frames) this.physical.dereference(f);
      return 0;
    }
    const bits = PTE_VALID | PTE_WRITE | PTE_OWNED | (2 << 8) | (this.pageable ? PTE_PAGEABLE : 0);
    for (let i = 0; i < pages; i++) this.system.setPte(vpn + i, ((frames[i] ?? 0) << PAGE_SHIFT) | bits);
    return (vpn << PAGE_SHIFT) >>> 0;
  }

  /** Allocates `size` bytes; 0 (NULL) when memory or pool space is exhausted. */
  allocate(size: number, tag: number, poolType: number, site: string | null): number {
    const rounded = size <= SMALL_LIMIT ? Math.max(GRANULE, Math.ceil(size / GRANULE) * GRANULE) : Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    let address: number;
    if (rounded <= SMALL_LIMIT) {
      let list = this.freeBySize.get(rounded);
      if (!list) {
        list = [];
        this.freeBySize.set(rounded, list);
      }
      if (list.length === 0) {
        const page = this.mapPages(1);
        if (page === 0) return 0;
        // Carve the page; hand out the lowest address first.
        for (let off = PAGE_SIZE - rounded; off >= 0; off -= rounded) list.push(page + off);
      }
      address = list.pop() ?? 0;
    } else {
      address = this.mapPages(rounded / PAGE_SIZE);
      if (address === 0) return 0;
    }
    const rec = this.blocks.get(address);
    if (rec) {
      rec.size = size;
      rec.rounded = rounded;
      rec.tag = tag;
      rec.poolType = poolType;
      rec.site = site;
      rec.live = true;
    } else {
      this.blocks.set(address, { address, size, rounded, tag, poolType, site, live: true });
    }
    this.liveCount++;
    this.bytesInUse += size;
    let stats = this.tags.get(tag);
    if (!stats) {
      stats = { allocs: 0, frees: 0, bytes: 0 };
      this.tags.set(tag, stats);
    }
    stats.allocs++;
    stats.bytes += size;
    return address;
  }

  /** Frees a block; `tag` (when given) must match the allocation's, as ExFreePoolWithTag checks. */
  free(address: number, tag: number | null): PoolFreeError | PoolBlock {
    const block = this.blocks.get(address);
    if (!block) return "not-pool";
    if (!block.live) return "double-free";
    if (tag !== null && tag !== block.tag) return "wrong-tag";
    block.live = false;
    this.liveCount--;
    this.bytesInUse -= block.size;
    const stats = this.tags.get(block.tag);
    if (stats) {
      stats.frees++;
      stats.bytes -= block.size;
    }
    if (block.rounded <= SMALL_LIMIT) {
      this.freeBySize.get(block.rounded)?.push(address);
    } else {
      const pages = block.rounded / PAGE_SIZE;
      const vpn = address >>> PAGE_SHIFT;
      for (let i = 0; i < pages; i++) {
        const pte = this.system.table.get(vpn + i);
        this.physical.dereference(pte >>> PAGE_SHIFT);
        this.system.setPte(vpn + i, 0);
      }
      this.va.release(vpn, pages);
    }
    return block;
  }

  /** True when the address lies in this pool's virtual range. */
  contains(address: number): boolean {
    const vpn = address >>> PAGE_SHIFT;
    return vpn >= this.va.firstPage && vpn < this.va.endPage;
  }
}
