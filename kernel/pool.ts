import { PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from "./physical-memory.js";
import { PTE_OWNED, PTE_PAGEABLE, PTE_VALID, PTE_WRITE } from "./pte.js";
import { RangeAllocator } from "./range-allocator.js";
import { checkNumber } from "./bad-pointer.js";
import { SPECIAL_POOL_ALIGNMENT, SPECIAL_POOL_MAX_BYTES, SPECIAL_POOL_PATTERN, badFreeViolation, corruptionViolation, type SpecialPool } from "./special-pool.js";
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

/**
 * A pool tag as a number (little-endian four characters) from a number or a 4-char string. Any
 * other value (no C caller can pass one: the tag is a ULONG) is STATUS_INVALID_PARAMETER, raised.
 */
export function poolTag(tag: number | string): number {
  if (typeof tag === "number") return tag >>> 0;
  if (typeof tag !== "string") checkNumber("the pool", "Tag", tag);
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

/** What special pool knows about one of its blocks, for its reports. */
export interface SpecialBlockInfo {
  readonly address: number;
  readonly size: number;
  readonly tag: number;
  readonly paged: boolean;
  /** The driver it was allocated for. */
  readonly owner: string | null;
  /** Where it was allocated (a source line), when lines are recorded. */
  readonly site: string | null;
  readonly freed: boolean;
  /** Who freed it (a driver), where, and when (virtual time, 100 ns ticks). */
  readonly freedBy: string | null;
  readonly freeSite: string | null;
  readonly freedAt: number | null;
}

/** Where special pool put a block: its two virtual pages (the block's and the no-access one). */
interface SpecialPlacement {
  /** The first of the two pages. */
  readonly firstVpn: number;
  /** The page holding the block (the other one is the guard page). */
  readonly dataVpn: number;
  readonly owner: string | null;
  freedBy: string | null;
  freeSite: string | null;
  freedAt: number | null;
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
  /** Set for a block special pool placed. */
  special: SpecialPlacement | null;
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

/** The index of the first byte in [from, to) that is not special pool's pattern, or -1. */
function firstNotPattern(bytes: Uint8Array, from: number, to: number): number {
  const pattern = SPECIAL_POOL_PATTERN;
  for (let i = from; i < to; i++) if (bytes[i] !== pattern) return i;
  return -1;
}

/**
 * One pool (nonpaged or paged): small blocks carved from pages by size class, large blocks as
 * whole pages. Blocks are not zeroed on reuse, as NT's pool is not.
 *
 * With special pool on ({@link special}, see kernel/special-pool.ts), the allocations its policy
 * chooses get a page each, against a no-access page, instead. That choice is made here, in
 * {@link allocate}, because every pool allocator (ExAllocatePoolWithTag and the routines built on
 * it or beside it) passes through it.
 */
export class Pool {
  private readonly va: RangeAllocator;
  private readonly freeBySize = new Map<number, number[]>();
  private readonly blocks = new Map<number, BlockRecord>();
  /** The machine's special pool, once a verifier turned it on (it stays for the blocks it placed). */
  special: SpecialPool | null = null;
  /** Special-pool blocks by virtual page: both the block's page and its guard page. */
  private readonly specialPages = new Map<number, BlockRecord>();
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

  /**
   * Allocates `size` bytes; 0 (NULL) when memory or pool space is exhausted. `system` marks the
   * kernel's own allocations (the I/O manager's system buffers), which special pool leaves alone
   * as Windows does: it serves the verified drivers' own calls.
   */
  allocate(size: number, tag: number, poolType: number, site: string | null, system = false): number {
    const sp = this.special;
    if (sp !== null && sp.policy !== null && !system && size <= SPECIAL_POOL_MAX_BYTES && poolType !== 2) {
      const owner = sp.policy.choose(size, tag, poolType);
      // When special pool has no room, the normal pool serves the request, as on Windows.
      if (owner !== null) {
        const a = this.allocateSpecial(sp, size, tag, poolType, site ?? sp.policy.site(), owner);
        if (a !== 0) return a;
      }
    }
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
      rec.special = null;
    } else {
      this.blocks.set(address, { address, size, rounded, tag, poolType, site, live: true, special: null });
    }
    this.account(size, tag);
    return address;
  }

  /** Counts a new live block. */
  private account(size: number, tag: number): void {
    this.liveCount++;
    this.bytesInUse += size;
    let stats = this.tags.get(tag);
    if (!stats) {
      stats = { allocs: 0, frees: 0, bytes: 0 };
      this.tags.set(tag, stats);
    }
    stats.allocs++;
    stats.bytes += size;
  }

  /**
   * Special pool's placement: one frame for the block's page, two virtual pages (the block's and
   * a no-access guard page after it, or before it with the underrun option), the page filled with
   * the pattern, the block at the page's end (rounded to the alignment) or at its start.
   */
  private allocateSpecial(sp: SpecialPool, size: number, tag: number, poolType: number, site: string | null, owner: string): number {
    const frame = this.physical.allocateFrame();
    if (frame < 0) return 0;
    const firstVpn = this.va.allocate(2);
    if (firstVpn < 0) {
      this.physical.dereference(frame);
      return 0;
    }
    const underrun = sp.underruns;
    const dataVpn = underrun ? firstVpn + 1 : firstVpn;
    const align = poolType & 4 ? 64 : SPECIAL_POOL_ALIGNMENT;
    const rounded = Math.max(align, Math.ceil(size / align) * align);
    const page = (dataVpn << PAGE_SHIFT) >>> 0;
    const address = underrun ? page : page + PAGE_SIZE - rounded;
    const b = this.physical.backing(frame);
    b.bytes.fill(SPECIAL_POOL_PATTERN, b.offset, b.offset + PAGE_SIZE);
    const bits = PTE_VALID | PTE_WRITE | PTE_OWNED | (2 << 8) | (this.pageable ? PTE_PAGEABLE : 0);
    this.system.setPte(dataVpn, (frame << PAGE_SHIFT) | bits);
    const special: SpecialPlacement = { firstVpn, dataVpn, owner, freedBy: null, freeSite: null, freedAt: null };
    const rec: BlockRecord = { address, size, rounded, tag, poolType, site, live: true, special };
    this.blocks.set(address, rec);
    this.specialPages.set(firstVpn, rec);
    this.specialPages.set(firstVpn + 1, rec);
    sp.allocations++;
    this.account(size, tag);
    return address;
  }

  /**
   * The special-pool block whose pages hold `va`, when the address is one no access may reach:
   * a guard page, or a freed block's page. Null for any other address.
   */
  specialAt(va: number): SpecialBlockInfo | null {
    const rec = this.specialPages.get(va >>> PAGE_SHIFT);
    if (!rec?.special) return null;
    if (rec.live && va >>> PAGE_SHIFT === rec.special.dataVpn) return null;
    return this.specialInfo(rec);
  }

  private specialInfo(rec: BlockRecord): SpecialBlockInfo {
    const s = rec.special as SpecialPlacement;
    return { address: rec.address, size: rec.size, tag: rec.tag, paged: this.pageable, owner: s.owner, site: rec.site, freed: !rec.live, freedBy: s.freedBy, freeSite: s.freeSite, freedAt: s.freedAt };
  }

  /** Special-pool blocks now live, and freed ones still kept no-access. */
  get specialBlocks(): { live: number; freed: number } {
    let live = 0;
    let freed = 0;
    for (const [vpn, rec] of this.specialPages) {
      if (vpn !== rec.special?.firstVpn) continue;
      if (rec.live) live++;
      else freed++;
    }
    return { live, freed };
  }

  /** Checks a special-pool block's pattern at free: the 0xC1 corruption report if a byte changed. */
  private checkPattern(sp: SpecialPool, rec: BlockRecord): void {
    const s = rec.special as SpecialPlacement;
    const pte = this.system.table.get(s.dataVpn);
    const b = this.physical.backing(pte >>> PAGE_SHIFT);
    const page = (s.dataVpn << PAGE_SHIFT) >>> 0;
    const start = b.offset + (rec.address - page);
    const end = start + rec.size;
    const bytes = b.bytes;
    // Before the block, then after it (two plain loops: the page is read whole at every free).
    let first = firstNotPattern(bytes, b.offset, start);
    if (first < 0) first = firstNotPattern(bytes, end, b.offset + PAGE_SIZE);
    if (first < 0) return;
    let changed = 0;
    for (let i = b.offset; i < b.offset + PAGE_SIZE; i++) if ((i < start || i >= end) && bytes[i] !== SPECIAL_POOL_PATTERN) changed++;
    const diff = (bytes[first] ?? 0) ^ SPECIAL_POOL_PATTERN;
    const singleBit = changed === 1 && (diff & (diff - 1)) === 0;
    sp.raise(corruptionViolation(sp.machine, this.specialInfo(rec), page + (first - b.offset), changed, singleBit));
  }

  /** A freed special-pool block: its page made no-access and its frame released, into the FIFO. */
  private freeSpecial(sp: SpecialPool, rec: BlockRecord): void {
    const s = rec.special as SpecialPlacement;
    const pte = this.system.table.get(s.dataVpn);
    this.physical.dereference(pte >>> PAGE_SHIFT);
    this.system.setPte(s.dataVpn, 0);
    const m = sp.machine;
    s.freedBy = m.currentDriver();
    s.freeSite = sp.policy?.site() ?? null;
    s.freedAt = m.now;
    sp.quarantine(this, rec.address);
  }

  /** The FIFO lets a freed special-pool block go: its two pages become free pool space again. */
  recycleSpecial(address: number): void {
    const rec = this.blocks.get(address);
    const s = rec?.special;
    if (!rec || !s || rec.live) return;
    this.specialPages.delete(s.firstVpn);
    this.specialPages.delete(s.firstVpn + 1);
    this.blocks.delete(address);
    this.va.release(s.firstVpn, 2);
  }

  /** Frees a block; `tag` (when given) must match the allocation's, as ExFreePoolWithTag checks. */
  free(address: number, tag: number | null): PoolFreeError | PoolBlock {
    const block = this.blocks.get(address);
    const sp = this.special;
    if (!block) {
      // Special pool names a free inside one of its blocks (0xC1/0x21) or of a freed one (0x20).
      const inside = sp !== null ? this.specialPages.get(address >>> PAGE_SHIFT) : undefined;
      if (inside && sp) sp.raise(badFreeViolation(sp.machine, this.specialInfo(inside), address));
      return "not-pool";
    }
    if (!block.live) {
      if (block.special && sp) sp.raise(badFreeViolation(sp.machine, this.specialInfo(block), address));
      return "double-free";
    }
    if (tag !== null && tag !== block.tag) return "wrong-tag";
    if (block.special && sp) this.checkPattern(sp, block);
    block.live = false;
    this.liveCount--;
    this.bytesInUse -= block.size;
    const stats = this.tags.get(block.tag);
    if (stats) {
      stats.frees++;
      stats.bytes -= block.size;
    }
    if (block.special && sp) {
      this.freeSpecial(sp, block);
    } else if (block.rounded <= SMALL_LIMIT) {
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

  /**
   * The pool's own consistency, in words (empty when it holds): live counts and bytes match the
   * live blocks, per-tag bytes match, and special pool's pages are as its blocks say (a live
   * block's page present, every guard page and freed block's page no-access).
   */
  accountingProblems(): string[] {
    const out: string[] = [];
    let live = 0;
    let bytes = 0;
    const byTag = new Map<number, number>();
    const countByTag = new Map<number, number>();
    for (const b of this.blocks.values()) {
      if (!b.live) continue;
      live++;
      bytes += b.size;
      byTag.set(b.tag, (byTag.get(b.tag) ?? 0) + b.size);
      countByTag.set(b.tag, (countByTag.get(b.tag) ?? 0) + 1);
    }
    const what = this.pageable ? "paged pool" : "nonpaged pool";
    if (live !== this.liveCount) out.push(`${what}: ${this.liveCount} live block(s) counted, ${live} recorded`);
    if (bytes !== this.bytesInUse) out.push(`${what}: ${this.bytesInUse} byte(s) in use counted, ${bytes} in live blocks`);
    for (const [tag, stats] of this.tags) {
      const want = byTag.get(tag) ?? 0;
      if (stats.bytes !== want) out.push(`${what}: tag '${poolTagText(tag)}' counts ${stats.bytes} byte(s), its live blocks hold ${want}`);
      if (stats.allocs - stats.frees !== (countByTag.get(tag) ?? 0)) out.push(`${what}: tag '${poolTagText(tag)}' allocs - frees does not match its live blocks`);
    }
    for (const [vpn, rec] of this.specialPages) {
      const s = rec.special;
      if (!s) continue;
      const pte = this.system.table.get(vpn);
      const open = vpn === s.dataVpn && rec.live;
      if (open !== ((pte & PTE_VALID) !== 0)) out.push(`${what}: special-pool page 0x${((vpn << PAGE_SHIFT) >>> 0).toString(16)} of block 0x${rec.address.toString(16)} is ${open ? "not present" : "accessible"}`);
    }
    return out;
  }

  /** True when the address lies in this pool's virtual range. */
  contains(address: number): boolean {
    const vpn = address >>> PAGE_SHIFT;
    return vpn >= this.va.firstPage && vpn < this.va.endPage;
  }
}
