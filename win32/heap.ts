import { MEM_COMMIT, MEM_RELEASE, MEM_RESERVE } from "../kernel/memory-constants.js";
import { PAGE_READWRITE } from "../kernel/pte.js";
import type { KProcess } from "../kernel/process.js";
import type { Machine } from "../kernel/machine.js";

const SEGMENT = 1024 * 1024;
const LARGE = 256 * 1024;
const GRANULE = 16;

/**
 * A process heap over VirtualAlloc: small blocks from 1 MB segments by size class, large blocks
 * straight from VirtualAlloc (as the NT heap does past its threshold).
 */
export class ProcessHeap {
  private readonly segments: { base: number; used: number }[] = [];
  private readonly blocks = new Map<number, { size: number; rounded: number; large: boolean }>();
  private readonly freeLists = new Map<number, number[]>();
  /** The heap's handle value (its first segment's base, as on Windows). */
  handle = 0;

  constructor(
    private readonly machine: Machine,
    private readonly process: KProcess,
  ) {}

  private space() {
    const s = this.process.addressSpace;
    if (!s) throw new Error(`${this.process.name} has no user address space`);
    return s;
  }

  private newSegment(): boolean {
    const r = this.space().allocate(0, SEGMENT, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, "process heap");
    if (r.status !== 0) return false;
    this.segments.push({ base: r.base, used: 0 });
    if (this.handle === 0) this.handle = r.base;
    return true;
  }

  /** Ensures the first segment exists (GetProcessHeap). */
  ensure(): number {
    if (this.segments.length === 0) this.newSegment();
    return this.handle;
  }

  /** HeapAlloc: the block's address, or 0 when memory is exhausted. */
  alloc(size: number, zero: boolean): number {
    // SIZE_T is unsigned and whole: -1 is 0xFFFFFFFF, and NaN or a fraction is no size at all.
    // None can be satisfied (and letting NaN through would poison the segment's fill mark).
    if (!Number.isSafeInteger(size) || size < 0) return 0;
    const rounded = Math.max(GRANULE, Math.ceil(size / GRANULE) * GRANULE);
    if (rounded >= LARGE) {
      const r = this.space().allocate(0, rounded, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, "heap large block");
      if (r.status !== 0) return 0;
      this.blocks.set(r.base, { size, rounded, large: true });
      return r.base;
    }
    const list = this.freeLists.get(rounded);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.blocks.set(reused, { size, rounded, large: false });
      if (zero) this.machine.mmu.fill(reused, rounded, 0);
      return reused;
    }
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.used + rounded > SEGMENT) {
      if (!this.newSegment()) return 0;
      seg = this.segments[this.segments.length - 1];
    }
    if (!seg) return 0;
    const address = seg.base + seg.used;
    seg.used += rounded;
    this.blocks.set(address, { size, rounded, large: false });
    return address;
  }

  /** HeapFree: false when `address` is not a live block of this heap. */
  free(address: number): boolean {
    const b = this.blocks.get(address);
    if (!b) return false;
    this.blocks.delete(address);
    if (b.large) {
      this.space().free(address, 0, MEM_RELEASE);
      return true;
    }
    let list = this.freeLists.get(b.rounded);
    if (!list) {
      list = [];
      this.freeLists.set(b.rounded, list);
    }
    list.push(address);
    return true;
  }

  /** HeapSize: the requested size of a live block, or -1. */
  size(address: number): number {
    return this.blocks.get(address)?.size ?? -1;
  }

  /** Live blocks (for leak checks). */
  get liveBlocks(): number {
    return this.blocks.size;
  }
}

/** The process's heap, created on first use. */
export function processHeap(machine: Machine, process: KProcess): ProcessHeap {
  let h = process.slots.get("win32.heap") as ProcessHeap | undefined;
  if (!h) {
    h = new ProcessHeap(machine, process);
    process.slots.set("win32.heap", h);
  }
  return h;
}
