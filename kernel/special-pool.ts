/**
 * Driver Verifier's Special Pool. While it is on, each allocation a chosen (verified) driver makes
 * gets a page of its own next to a no-access page: against the page's end by default (Verify End:
 * the block ends as close to the guard page as the pool alignment allows, 8 bytes on 32-bit x86),
 * against its start with the underrun option (Verify Start). The rest of the page is filled with
 * a pattern that is checked when the block is freed; a freed block's page is made no-access and
 * kept so for a while (a bounded FIFO of freed pages, as Windows recycles special pool), so a
 * touch after the free faults too.
 *
 * Faults go through the MMU like any other: its fault path asks {@link specialPoolFault} whether
 * the address is special pool and, if it is, the machine stops with the bug check Driver Verifier
 * raises — 0xD6 DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION for a live block's guard page, 0xD5
 * DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL for a freed one, and at free 0xC1
 * SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION for a write into the pattern. (Windows raises 0xCD and
 * 0xCC instead when it cannot name the driver; here the driver is always known.)
 *
 * The placement itself lives in Pool (kernel/pool.ts), where every pool allocator passes; this
 * module holds what both pools share: the switch and the chooser, the freed-page FIFO, and the
 * reports.
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import type { Machine } from "./machine.js";
import { PAGE_SIZE } from "./physical-memory.js";
import { poolTagText, type Pool, type SpecialBlockInfo } from "./pool.js";

/** The byte special pool writes around each block (checked at free). */
export const SPECIAL_POOL_PATTERN = 0xb7;
/** Blocks start on this boundary (the x86 pool alignment); cache-aligned pool types use 64. */
export const SPECIAL_POOL_ALIGNMENT = 8;
/**
 * The largest request special pool serves: a page less the pool header Windows keeps on the
 * page. Larger requests come from the normal pool, as on Windows.
 */
export const SPECIAL_POOL_MAX_BYTES = PAGE_SIZE - 8;
/** Freed special-pool blocks kept no-access before their pages are reused (default). */
export const DEFAULT_SPECIAL_POOL_FREED_PAGES = 1024;

/** What went wrong, in the terms of the rule a verifier reports it under. */
export type SpecialPoolViolationKind = "beyond-end" | "freed" | "corruption";

/** A special-pool violation, ready to be raised. */
export interface SpecialPoolViolation {
  readonly kind: SpecialPoolViolationKind;
  readonly code: number;
  readonly parameters: readonly [number, number, number, number];
  /** What happened, in one or two sentences naming the block's tag, size, owner and lines. */
  readonly text: string;
  readonly block: SpecialBlockInfo;
}

/** What decides and reports for special pool (the verifier). */
export interface SpecialPoolPolicy {
  /**
   * Whether an allocation made now goes to special pool: the driver it is made for, or null for
   * the normal pool.
   */
  choose(size: number, tag: number, poolType: number): string | null;
  /** The source line of the call in progress, or null (lines off). */
  site(): string | null;
  /**
   * Raises a violation the way the verifier raises its rules (bug check with its rule, routine and
   * timeline). Returns only if it declines (its rule is off); the machine's own bug check follows.
   */
  report(v: SpecialPoolViolation): void;
}

/** How special pool places blocks. */
export interface SpecialPoolOptions {
  /** Verify Start: blocks against the start of their page, the guard page before them (catches underruns). Default false (Verify End). */
  readonly underruns?: boolean;
  /** Freed blocks kept no-access before their pages are reused (default 1,024). */
  readonly freedPages?: number;
}

/** One freed block waiting in the FIFO. */
interface Quarantined {
  readonly pool: Pool;
  readonly address: number;
}

/**
 * The machine's special pool: shared by its nonpaged and paged pools (each places its own
 * blocks). Made by {@link enableSpecialPool}; once made it stays, so blocks placed while a
 * verifier was attached keep their guard pages after it detaches.
 */
export class SpecialPool {
  /** Who chooses the allocations and reports violations; null when nobody's allocations go here any more. */
  policy: SpecialPoolPolicy | null = null;
  underruns = false;
  freedPages = DEFAULT_SPECIAL_POOL_FREED_PAGES;
  /** Allocations placed in special pool, ever. */
  allocations = 0;
  /** Freed blocks whose pages were given back for reuse (the FIFO's overflow). */
  recycled = 0;
  private readonly fifo: Quarantined[] = [];
  private fifoHead = 0;

  constructor(readonly machine: Machine) {}

  /** Freed blocks currently kept no-access. */
  get quarantined(): number {
    return this.fifo.length - this.fifoHead;
  }

  /** A freed block's page goes into the FIFO; the oldest leaves it (its pages reusable) past the bound. */
  quarantine(pool: Pool, address: number): void {
    this.fifo.push({ pool, address });
    while (this.quarantined > this.freedPages) {
      const q = this.fifo[this.fifoHead++] as Quarantined;
      q.pool.recycleSpecial(q.address);
      this.recycled++;
    }
    if (this.fifoHead > 1024 && this.fifoHead * 2 > this.fifo.length) {
      this.fifo.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
  }

  /** Raises a violation: the policy's report first (with its rule), the machine's bug check if it declines. */
  raise(v: SpecialPoolViolation): never {
    this.policy?.report(v);
    const [p1, p2, p3, p4] = v.parameters;
    return this.machine.bugCheck(v.code, p1, p2, p3, p4, { detail: v.text });
  }
}

/**
 * Turns special pool on for a machine's pools (or updates its options), with `policy` choosing the
 * allocations; returns the machine's special pool.
 */
export function enableSpecialPool(m: Machine, policy: SpecialPoolPolicy, options: SpecialPoolOptions = {}): SpecialPool {
  const sp = m.nonPagedPool.special ?? m.pagedPool.special ?? new SpecialPool(m);
  sp.policy = policy;
  sp.underruns = options.underruns ?? false;
  const freed = options.freedPages ?? DEFAULT_SPECIAL_POOL_FREED_PAGES;
  if (!Number.isInteger(freed) || freed < 0) throw new RangeError(`special pool: freedPages must be a whole number of pages, 0 or more (got ${String(freed)})`);
  sp.freedPages = freed;
  m.nonPagedPool.special = sp;
  m.pagedPool.special = sp;
  m.mmu.specialPoolFault = (va, write) => {
    specialPoolFault(m, va, write);
  };
  return sp;
}

/** Stops placing new allocations in special pool; blocks already there keep their guard pages. */
export function disableSpecialPool(m: Machine, policy: SpecialPoolPolicy): void {
  const sp = m.nonPagedPool.special;
  if (sp && sp.policy === policy) sp.policy = null;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;

/** "a 38-byte nonpaged pool block tagged 'Samp' at 0x81001FD8, allocated by Sharebuf at driver.ts:40:12". */
export function describeSpecialBlock(b: SpecialBlockInfo): string {
  const owner = b.owner ? ` by ${b.owner}` : "";
  const site = b.site ? ` at ${b.site}` : "";
  return `a ${b.size}-byte ${b.paged ? "paged" : "nonpaged"} pool block tagged '${poolTagText(b.tag)}' at ${hex(b.address)}, allocated${owner}${site}`;
}

/**
 * The MMU's fault path and the MDL routines call this for a kernel-mode fault on a system
 * address: if the address is a special-pool guard page or a freed special-pool block, it raises
 * 0xD6 or 0xD5 (and does not return). Otherwise it returns and the caller raises what it would.
 */
export function specialPoolFault(m: Machine, va: number, write: boolean): void {
  const pool = m.nonPagedPool.inRange(va) ? m.nonPagedPool : m.pagedPool.inRange(va) ? m.pagedPool : null;
  const sp = pool?.special;
  if (!pool || !sp) return;
  const b = pool.specialAt(va);
  if (!b) return;
  const who = m.describeContext();
  const verb = write ? "writes" : "reads";
  if (b.freed) {
    const when = b.freedAt !== null && m.now > b.freedAt ? `, ${((m.now - b.freedAt) / 10_000).toFixed(3)} ms earlier` : "";
    sp.raise({
      kind: "freed",
      code: BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
      parameters: [va, write ? 1 : 0, 0, 0],
      text: `${who} ${verb} ${hex(va)} (${offsetIn(b, va)}), but ${b.freedBy ?? "its owner"} freed the block${b.freeSite ? ` at ${b.freeSite}` : ""}${when}: special pool keeps a freed block's page no-access.`,
      block: b,
    });
  }
  sp.raise({
    kind: "beyond-end",
    code: BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
    parameters: [va, write ? 1 : 0, 0, 0],
    text: `${who} ${verb} ${hex(va)} (${offsetIn(b, va)}), ${va < b.address ? "before the block's start" : "past the block's end"}: special pool put the block against a no-access page.`,
    block: b,
  });
}

/** "offset 40 of a 38-byte nonpaged pool block tagged 'SpMd' (…)", an address relative to a block. */
function offsetIn(b: SpecialBlockInfo, va: number): string {
  const offset = va - b.address;
  return `offset ${offset < 0 ? `-${-offset}` : offset} of ${describeSpecialBlock(b)}`;
}

/**
 * The 0xC1 report for a free that finds the pattern around a block changed: subcode 0x24 for
 * bytes after the block's end, 0x23 for bytes before it in the same page, 0x32 when the only
 * change is one flipped bit.
 */
export function corruptionViolation(m: Machine, b: SpecialBlockInfo, corruptAt: number, changed: number, singleBit: boolean): SpecialPoolViolation {
  const after = corruptAt >= b.address + b.size;
  const sub = singleBit ? 0x32 : after ? 0x24 : 0x23;
  return {
    kind: "corruption",
    code: BugCheckCode.SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
    parameters: [b.address, corruptAt, 0, sub],
    text: `${m.describeContext()} frees ${describeSpecialBlock(b)}, and ${changed} byte(s) of the pattern special pool wrote around it changed, the first at ${hex(corruptAt)} (offset ${corruptAt - b.address}, ${after ? "past the block's end" : "before its start"})${singleBit ? ", by a single bit" : ""}: something wrote outside the block while it was live.`,
    block: b,
  };
}

/** The 0xC1 report for a free of an address that is no special-pool block's start (0x20: freed already; 0x21: inside one). */
export function badFreeViolation(m: Machine, b: SpecialBlockInfo, address: number): SpecialPoolViolation {
  if (b.freed) {
    return {
      kind: "corruption",
      code: BugCheckCode.SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
      parameters: [address, 0, 0, 0x20],
      text: `${m.describeContext()} frees ${hex(address)}, but ${describeSpecialBlock(b)} was already freed${b.freedBy ? ` by ${b.freedBy}` : ""}${b.freeSite ? ` at ${b.freeSite}` : ""}.`,
      block: b,
    };
  }
  const pageEnd = b.address - (b.address % PAGE_SIZE) + PAGE_SIZE;
  return {
    kind: "corruption",
    code: BugCheckCode.SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
    parameters: [address, b.size, Math.max(0, pageEnd - address), 0x21],
    text: `${m.describeContext()} frees ${hex(address)}, which is inside ${describeSpecialBlock(b)} but not its start.`,
    block: b,
  };
}

