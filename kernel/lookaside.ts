/**
 * Lookaside lists: a per-driver cache of fixed-size pool blocks (NPAGED_LOOKASIDE_LIST,
 * PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX).
 *
 * Every block comes from the pool (through the list's Allocate callback, ExAllocatePoolWithTag by
 * default), so pool tracking, leak reports and Special Pool see it under the list's tag, cached or
 * not. A freed block is kept while the list holds fewer than its Depth, with the link to the next
 * cached block written into its first four bytes as NT does (so a driver reading a block after
 * freeing it sees its contents change); otherwise it goes back to the pool through Free.
 *
 * Depth is NT's: it starts at the minimum (4) and is retuned once per second of virtual time,
 * from the allocation rate and miss rate since the last tuning (the balance set manager's rule,
 * in outline), up to MaximumDepth (256). The Depth argument drivers pass is reserved, as in NT.
 */
import { POOL_RAISE_IF_ALLOCATION_FAILURE } from "./pool-api.js";
import { checkNumber } from "./bad-pointer.js";
import { ExAllocatePoolWithTag, ExFreePoolWithTag } from "./api-ex.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { notTheStructure, nullDereference } from "./interlocked.js";
import { APC_LEVEL, DISPATCH_LEVEL } from "./irql.js";
import { NtStatusError } from "./nt-status-error.js";
import { poolTag } from "./pool.js";
import {
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER_5,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "./status.js";
import type { KThread } from "./thread.js";

/** PALLOCATE_FUNCTION: makes one block for the list (returns its address, or 0). */
export type ALLOCATE_FUNCTION = (PoolType: number, NumberOfBytes: number, Tag: number) => number;
/** PFREE_FUNCTION: gives one block back. */
export type FREE_FUNCTION = (Buffer: number) => void;
/** PALLOCATE_FUNCTION_EX (LOOKASIDE_LIST_EX): also gets the list. */
export type ALLOCATE_FUNCTION_EX = (
  PoolType: number,
  NumberOfBytes: number,
  Tag: number,
  Lookaside: LOOKASIDE_LIST_EX,
) => number;
/** PFREE_FUNCTION_EX. */
export type FREE_FUNCTION_EX = (Buffer: number, Lookaside: LOOKASIDE_LIST_EX) => void;

/** The depth every list starts at, and the most it may grow to (ExMinimumLookasideDepth, MAX_LOOKASIDE_DEPTH). */
export const MINIMUM_LOOKASIDE_DEPTH = 4;
/** The most blocks a list may cache once the balance-set tuning has grown its depth. */
export const MAXIMUM_LOOKASIDE_DEPTH = 256;
/** The smallest block a lookaside list can hold: its link must fit (and the pool's granularity). */
export const MINIMUM_LOOKASIDE_BLOCK_SIZE = 8;

/** ExInitializeNPagedLookasideList's Flags (POOL_RAISE_IF_ALLOCATION_FAILURE is the pool's own modifier). */
export const POOL_NX_ALLOCATION = 512;
/** ExInitializeLookasideListEx's Flags. */
export const EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL = 0x1;
/** ExInitializeLookasideListEx's Flags: a failed allocation returns NULL even for a pool type that would raise. */
export const EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE = 0x2;

/** GENERAL_LOOKASIDE: the state every kind of list shares (its counters as NT names them). */
export class GENERAL_LOOKASIDE {
  /** The cached blocks, most recently freed last. */
  readonly ListHead: number[] = [];
  /** How many freed blocks the list keeps before it hands frees back to the pool (tuned as the list is used). */
  Depth = 0;
  /** The most Depth may grow to. */
  MaximumDepth = MAXIMUM_LOOKASIDE_DEPTH;
  /** Allocations made from the list, cached or not. */
  TotalAllocates = 0;
  /** Allocations the cache could not serve (they went to the allocate routine). */
  AllocateMisses = 0;
  /** Frees made to the list. */
  TotalFrees = 0;
  /** Frees the full cache could not keep (they went to the free routine). */
  FreeMisses = 0;
  /** The POOL_TYPE the blocks come from. */
  Type = 0;
  /** The pool tag of the blocks. */
  Tag = 0;
  /** The size of every block, in bytes. */
  Size = 0;
  /** The Flags the list was initialised with. */
  Flags = 0;
  /** TotalAllocates at the last depth tuning. */
  LastTotalAllocates = 0;
  /** AllocateMisses at the last depth tuning. */
  LastAllocateMisses = 0;
  /**
   * When the depth was last tuned (virtual time).
   * @internal
   */
  lastTuning = 0;
  /**
   * Initialised and not yet deleted.
   * @internal
   */
  active = false;
  /**
   * "NPaged", "Paged" or "Ex": the routine family that must be used with it.
   * @internal
   */
  kind: "NPaged" | "Paged" | "Ex" = "NPaged";
}

/** NPAGED_LOOKASIDE_LIST: blocks of nonpaged pool; use at IRQL <= DISPATCH_LEVEL. */
export class NPAGED_LOOKASIDE_LIST {
  /** The counters and cached blocks (GENERAL_LOOKASIDE). */
  readonly L = new GENERAL_LOOKASIDE();
  /** The driver's allocate routine for a miss, or null for the pool's own allocation. */
  Allocate: ALLOCATE_FUNCTION | null = null;
  /** The driver's free routine for a block the full list does not keep, or null for the pool's own free. */
  Free: FREE_FUNCTION | null = null;
  /** The structure's name, for messages. */
  label = "NPAGED_LOOKASIDE_LIST";
}

/** PAGED_LOOKASIDE_LIST: blocks of paged pool; use at IRQL <= APC_LEVEL. */
export class PAGED_LOOKASIDE_LIST {
  /** The counters and cached blocks (GENERAL_LOOKASIDE). */
  readonly L = new GENERAL_LOOKASIDE();
  /** The driver's allocate routine for a miss, or null for the pool's own allocation. */
  Allocate: ALLOCATE_FUNCTION | null = null;
  /** The driver's free routine for a block the full list does not keep, or null for the pool's own free. */
  Free: FREE_FUNCTION | null = null;
  /** The structure's name, for messages. */
  label = "PAGED_LOOKASIDE_LIST";
}

/** LOOKASIDE_LIST_EX: any pool type; its callbacks get the list itself. */
export class LOOKASIDE_LIST_EX {
  /** The counters and cached blocks (GENERAL_LOOKASIDE). */
  readonly L = new GENERAL_LOOKASIDE();
  /** The driver's allocate routine for a miss, or null for the pool's own allocation. */
  AllocateEx: ALLOCATE_FUNCTION_EX | null = null;
  /** The driver's free routine for a block the full list does not keep, or null for the pool's own free. */
  FreeEx: FREE_FUNCTION_EX | null = null;
  /** The structure's name, for messages. */
  label = "LOOKASIDE_LIST_EX";
}

/** Any lookaside list. */
export type LookasideList = NPAGED_LOOKASIDE_LIST | PAGED_LOOKASIDE_LIST | LOOKASIDE_LIST_EX;
/** What a lookaside routine is about to do, for observers (the verifier). */
export type LookasideOperation = "initialize" | "allocate" | "free" | "delete";

function kernel(
  api: string,
  list: LookasideList,
  maxIrql: number,
  size: number | null = null,
): KThread {
  const t = currentMachine(api).kernelCall(api);
  // The list is read through its pointer: NULL or another structure faults.
  const type = api.includes("NPaged") ? NPAGED_LOOKASIDE_LIST : api.includes("Paged") ? PAGED_LOOKASIDE_LIST : LOOKASIDE_LIST_EX;
  if (!(list instanceof type)) notTheStructure(t, api, "Lookaside", list, `a ${type.name}`);
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.lookaside?.(t, api, list, size);
  if (t.irql > maxIrql) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, {
      detail: `${api} at IRQL ${t.irql}: this list may be used at IRQL <= ${maxIrql === APC_LEVEL ? "APC_LEVEL" : "DISPATCH_LEVEL"}`,
    });
  }
  return t;
}

function isPaged(poolType: number): boolean {
  // A POOL_TYPE by value: what no C caller could pass is STATUS_INVALID_PARAMETER, raised.
  return (checkNumber("ExInitializeLookasideListEx", "PoolType", poolType) & 1) === 1;
}

function initialize(
  t: KThread,
  g: GENERAL_LOOKASIDE,
  kind: GENERAL_LOOKASIDE["kind"],
  poolType: number,
  flags: number,
  size: number,
  tag: number | string,
): void {
  // By value: what no C caller could pass is STATUS_INVALID_PARAMETER, raised.
  checkNumber("ExInitialize…LookasideList", "Flags", flags);
  checkNumber("ExInitialize…LookasideList", "Size", size);
  g.ListHead.length = 0;
  g.Depth = MINIMUM_LOOKASIDE_DEPTH;
  g.MaximumDepth = MAXIMUM_LOOKASIDE_DEPTH;
  g.TotalAllocates = g.AllocateMisses = g.TotalFrees = g.FreeMisses = 0;
  g.LastTotalAllocates = g.LastAllocateMisses = 0;
  g.lastTuning = t.machine.now;
  g.Type = poolType;
  g.Tag = poolTag(tag);
  g.Size = size;
  g.Flags = flags;
  g.kind = kind;
  g.active = true;
}

/** ExAdjustLookasideDepth for one list, at most once per second of virtual time. */
function tune(t: KThread, g: GENERAL_LOOKASIDE): void {
  const now = t.machine.now;
  if (now - g.lastTuning < 10_000_000) return;
  const allocates = g.TotalAllocates - g.LastTotalAllocates;
  const misses = g.AllocateMisses - g.LastAllocateMisses;
  if (allocates < 75) {
    // A quiet list gives its cache back slowly.
    g.Depth = Math.max(MINIMUM_LOOKASIDE_DEPTH, g.Depth - 10);
  } else {
    const missPerThousand = Math.floor((misses * 1000) / allocates);
    if (missPerThousand < 5) g.Depth = Math.max(MINIMUM_LOOKASIDE_DEPTH, g.Depth - 1);
    else
      g.Depth = Math.min(
        g.MaximumDepth,
        g.Depth + Math.floor(((g.MaximumDepth - g.Depth) * missPerThousand) / 2000) + 5,
      );
  }
  g.LastTotalAllocates = g.TotalAllocates;
  g.LastAllocateMisses = g.AllocateMisses;
  g.lastTuning = now;
  // Blocks beyond the new depth stay cached until freed or the list is deleted, as in NT.
}

function allocate(t: KThread, g: GENERAL_LOOKASIDE, make: () => number, raise: boolean): number {
  tune(t, g);
  g.TotalAllocates++;
  const cached = g.ListHead.pop();
  if (cached !== undefined) return cached;
  g.AllocateMisses++;
  const block = make() >>> 0;
  if (block === 0 && raise)
    throw new NtStatusError(
      STATUS_INSUFFICIENT_RESOURCES,
      "lookaside list allocation failed (POOL_RAISE_IF_ALLOCATION_FAILURE)",
    );
  return block;
}

function free(t: KThread, g: GENERAL_LOOKASIDE, entry: number, release: (e: number) => void): void {
  tune(t, g);
  g.TotalFrees++;
  if (entry === 0) nullDereference(t);
  // The block's first pointer is written through Entry: what is no address faults.
  if (typeof entry !== "number" || !Number.isInteger(entry)) notTheStructure(t, "ExFreeTo…LookasideList", "Entry", entry, "the address of a block of the list");
  if (g.ListHead.length >= g.Depth) {
    g.FreeMisses++;
    release(entry);
    return;
  }
  // The cached block's first pointer links it to the next cached block (0 at the end).
  t.machine.mmu.writeU32(
    entry,
    g.ListHead.length > 0 ? (g.ListHead[g.ListHead.length - 1] as number) : 0,
  );
  g.ListHead.push(entry);
}

function remove(g: GENERAL_LOOKASIDE, release: (e: number) => void): void {
  const blocks = g.ListHead.splice(0);
  g.active = false;
  for (const b of blocks) release(b);
}

function defaultAllocate(poolType: number, size: number, tag: number): number {
  return ExAllocatePoolWithTag(poolType, size, tag);
}
function defaultFree(block: number): void {
  ExFreePoolWithTag(block, null);
}

// ---- NPAGED_LOOKASIDE_LIST ------------------------------------------------------------------

/**
 * ExInitializeNPagedLookasideList: a list of `Size`-byte nonpaged blocks tagged `Tag`, made by
 * `Allocate` and released by `Free` (ExAllocatePoolWithTag and ExFreePool when null). `Flags` may
 * hold POOL_NX_ALLOCATION and POOL_RAISE_IF_ALLOCATION_FAILURE; `Depth` is reserved (0).
 */
export function ExInitializeNPagedLookasideList(
  Lookaside: NPAGED_LOOKASIDE_LIST,
  Allocate: ALLOCATE_FUNCTION | null,
  Free: FREE_FUNCTION | null,
  Flags: number,
  Size: number,
  Tag: number | string,
  _Depth = 0,
): void {
  const t = kernel("ExInitializeNPagedLookasideList", Lookaside, DISPATCH_LEVEL, Size);
  Lookaside.Allocate = Allocate;
  Lookaside.Free = Free;
  initialize(t, Lookaside.L, "NPaged", checkNumber("ExInitializeNPagedLookasideList", "Flags", Flags) & POOL_NX_ALLOCATION ? 512 : 0, Flags, Size, Tag);
}

/** ExAllocateFromNPagedLookasideList: a cached block, or a new one from Allocate; 0 (NULL) when that fails. */
export function ExAllocateFromNPagedLookasideList(Lookaside: NPAGED_LOOKASIDE_LIST): number {
  const t = kernel("ExAllocateFromNPagedLookasideList", Lookaside, DISPATCH_LEVEL);
  const g = Lookaside.L;
  return allocate(
    t,
    g,
    () => (Lookaside.Allocate ?? defaultAllocate)(g.Type, g.Size, g.Tag),
    (g.Flags & POOL_RAISE_IF_ALLOCATION_FAILURE) !== 0,
  );
}

/** ExFreeToNPagedLookasideList: caches the block, or gives it to Free when the list is at its depth. */
export function ExFreeToNPagedLookasideList(Lookaside: NPAGED_LOOKASIDE_LIST, Entry: number): void {
  const t = kernel("ExFreeToNPagedLookasideList", Lookaside, DISPATCH_LEVEL);
  free(t, Lookaside.L, Entry, Lookaside.Free ?? defaultFree);
}

/** ExDeleteNPagedLookasideList: frees every cached block (blocks still allocated stay the driver's). */
export function ExDeleteNPagedLookasideList(Lookaside: NPAGED_LOOKASIDE_LIST): void {
  kernel("ExDeleteNPagedLookasideList", Lookaside, DISPATCH_LEVEL);
  remove(Lookaside.L, Lookaside.Free ?? defaultFree);
}

// ---- PAGED_LOOKASIDE_LIST -------------------------------------------------------------------

/** ExInitializePagedLookasideList: as the nonpaged list, with paged pool blocks; IRQL <= APC_LEVEL. */
export function ExInitializePagedLookasideList(
  Lookaside: PAGED_LOOKASIDE_LIST,
  Allocate: ALLOCATE_FUNCTION | null,
  Free: FREE_FUNCTION | null,
  Flags: number,
  Size: number,
  Tag: number | string,
  _Depth = 0,
): void {
  const t = kernel("ExInitializePagedLookasideList", Lookaside, APC_LEVEL, Size);
  Lookaside.Allocate = Allocate;
  Lookaside.Free = Free;
  initialize(t, Lookaside.L, "Paged", 1, Flags, Size, Tag);
}

/** ExAllocateFromPagedLookasideList. */
export function ExAllocateFromPagedLookasideList(Lookaside: PAGED_LOOKASIDE_LIST): number {
  const t = kernel("ExAllocateFromPagedLookasideList", Lookaside, APC_LEVEL);
  const g = Lookaside.L;
  return allocate(
    t,
    g,
    () => (Lookaside.Allocate ?? defaultAllocate)(g.Type, g.Size, g.Tag),
    (g.Flags & POOL_RAISE_IF_ALLOCATION_FAILURE) !== 0,
  );
}

/** ExFreeToPagedLookasideList. */
export function ExFreeToPagedLookasideList(Lookaside: PAGED_LOOKASIDE_LIST, Entry: number): void {
  const t = kernel("ExFreeToPagedLookasideList", Lookaside, APC_LEVEL);
  free(t, Lookaside.L, Entry, Lookaside.Free ?? defaultFree);
}

/** ExDeletePagedLookasideList. */
export function ExDeletePagedLookasideList(Lookaside: PAGED_LOOKASIDE_LIST): void {
  kernel("ExDeletePagedLookasideList", Lookaside, APC_LEVEL);
  remove(Lookaside.L, Lookaside.Free ?? defaultFree);
}

// ---- LOOKASIDE_LIST_EX ------------------------------------------------------------------------

/**
 * ExInitializeLookasideListEx: a list of `Size`-byte blocks of `PoolType`. Returns
 * STATUS_SUCCESS, or STATUS_INVALID_PARAMETER_5 for Flags other than one of
 * EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL / _FAIL_NO_RAISE.
 */
export function ExInitializeLookasideListEx(
  Lookaside: LOOKASIDE_LIST_EX,
  Allocate: ALLOCATE_FUNCTION_EX | null,
  Free: FREE_FUNCTION_EX | null,
  PoolType: number,
  Flags: number,
  Size: number,
  Tag: number | string,
  _Depth = 0,
): NTSTATUS {
  const t = kernel(
    "ExInitializeLookasideListEx",
    Lookaside,
    isPaged(PoolType) ? APC_LEVEL : DISPATCH_LEVEL,
    Size,
  );
  const known = EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE;
  Flags = checkNumber("ExInitializeLookasideListEx", "Flags", Flags);
  if ((Flags & ~known) !== 0 || (Flags & known) === known) return STATUS_INVALID_PARAMETER_5;
  Lookaside.AllocateEx = Allocate;
  Lookaside.FreeEx = Free;
  initialize(t, Lookaside.L, "Ex", PoolType, Flags, Size, Tag);
  return STATUS_SUCCESS;
}

function exIrql(l: LOOKASIDE_LIST_EX): number {
  // Not a list: the caller's check faults on it first.
  return l instanceof LOOKASIDE_LIST_EX && isPaged(l.L.Type) ? APC_LEVEL : DISPATCH_LEVEL;
}

/** ExAllocateFromLookasideListEx: a cached block, or one from AllocateEx; NULL (or raised, with RAISE_ON_FAIL) on failure. */
export function ExAllocateFromLookasideListEx(Lookaside: LOOKASIDE_LIST_EX): number {
  const t = kernel("ExAllocateFromLookasideListEx", Lookaside, exIrql(Lookaside));
  const g = Lookaside.L;
  const make = Lookaside.AllocateEx;
  return allocate(
    t,
    g,
    () => (make ? make(g.Type, g.Size, g.Tag, Lookaside) : defaultAllocate(g.Type, g.Size, g.Tag)),
    (g.Flags & EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL) !== 0,
  );
}

/** ExFreeToLookasideListEx. */
export function ExFreeToLookasideListEx(Lookaside: LOOKASIDE_LIST_EX, Entry: number): void {
  const t = kernel("ExFreeToLookasideListEx", Lookaside, exIrql(Lookaside));
  const release = Lookaside.FreeEx;
  free(
    t,
    Lookaside.L,
    Entry,
    release
      ? (e) => {
          release(e, Lookaside);
        }
      : defaultFree,
  );
}

/** ExFlushLookasideListEx: gives every cached block back through FreeEx; the list stays usable. */
export function ExFlushLookasideListEx(Lookaside: LOOKASIDE_LIST_EX): void {
  kernel("ExFlushLookasideListEx", Lookaside, exIrql(Lookaside));
  const release = Lookaside.FreeEx;
  for (const b of Lookaside.L.ListHead.splice(0)) {
    if (release) release(b, Lookaside);
    else defaultFree(b);
  }
}

/** ExDeleteLookasideListEx: frees every cached block; the list may not be used again until initialised. */
export function ExDeleteLookasideListEx(Lookaside: LOOKASIDE_LIST_EX): void {
  kernel("ExDeleteLookasideListEx", Lookaside, exIrql(Lookaside));
  const release = Lookaside.FreeEx;
  remove(
    Lookaside.L,
    release
      ? (e) => {
          release(e, Lookaside);
        }
      : defaultFree,
  );
}
