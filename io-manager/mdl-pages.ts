/**
 * Driver-allocated pages described by an MDL: MmAllocatePagesForMdl(Ex) and MmFreePagesFromMdl —
 * the way a driver gets memory it can map both into system space and, with
 * MmMapLockedPagesSpecifyCache(UserMode), into an app (and unmap with MmUnmapLockedPages in that
 * same process).
 *
 * As MiAllocatePagesForMdl makes it, the MDL describes no virtual range (StartVa 0), holds the
 * frames it found (perhaps fewer than asked: callers must read MmGetMdlByteCount), has
 * MDL_PAGES_LOCKED set (the pages are resident and may be mapped at once) and no Process. The
 * driver frees the pages with MmFreePagesFromMdl, then the MDL itself with ExFreePool (IoFreeMdl
 * is accepted too).
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { LARGE_INTEGER } from "../kernel/c-struct.js";
import { currentMachine } from "../kernel/context.js";
import { APC_LEVEL, DISPATCH_LEVEL, UserMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { PAGE_MASK, PAGE_SIZE } from "../kernel/physical-memory.js";
import { poolStructures } from "../kernel/pool-structures.js";
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";
import { badPointer, checkPointer } from "../kernel/bad-pointer.js";
import { MDL_PAGES_LOCKED, MmCached, MmNonCached, MmWriteCombined } from "./constants.js";
import { ioManager } from "./io-manager.js";
import { MDL, freeMdl } from "./mdl.js";

/** MmAllocatePagesForMdlEx flag: MM_DONT_ZERO_ALLOCATION, the pages need not be zeroed. */
export const MM_DONT_ZERO_ALLOCATION = 0x00000001;
/** MM_ALLOCATE_FROM_LOCAL_NODE_ONLY: pages only from the caller's NUMA node (one node here). */
export const MM_ALLOCATE_FROM_LOCAL_NODE_ONLY = 0x00000002;
/** MM_ALLOCATE_FULLY_REQUIRED: all of TotalBytes or nothing (NULL). */
export const MM_ALLOCATE_FULLY_REQUIRED = 0x00000004;
/** MM_ALLOCATE_NO_WAIT: do not wait for memory; callable at DISPATCH_LEVEL. */
export const MM_ALLOCATE_NO_WAIT = 0x00000008;
/** MM_ALLOCATE_PREFER_CONTIGUOUS: physically contiguous pages where possible. */
export const MM_ALLOCATE_PREFER_CONTIGUOUS = 0x00000010;
/** MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS: contiguous chunks are required. */
export const MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS = 0x00000020;
/** MM_ALLOCATE_FAST_LARGE_PAGES: large pages quickly (treated as ordinary pages here). */
export const MM_ALLOCATE_FAST_LARGE_PAGES = 0x00000040;
/** MM_ALLOCATE_TRIM_IF_NECESSARY: trim working sets to find pages (nothing to trim here). */
export const MM_ALLOCATE_TRIM_IF_NECESSARY = 0x00000080;
/** MM_ALLOCATE_AND_HOT_REMOVE: take the pages out of the system (not built: NULL). */
export const MM_ALLOCATE_AND_HOT_REMOVE = 0x00000100;
const KNOWN_FLAGS = 0x1ff;

/** What MmAllocatePagesForMdl(Ex) recorded about an MDL it made. */
interface AllocatedPages {
  readonly cacheType: number;
  /** Set by MmFreePagesFromMdl. */
  pagesFreed: boolean;
}

const allocated = new WeakMap<MDL, AllocatedPages>();

/** Whether MmAllocatePagesForMdl(Ex) made this MDL (and whether its pages were freed since). */
export function allocatedPagesOf(mdl: MDL): { readonly cacheType: number; readonly pagesFreed: boolean } | null {
  return allocated.get(mdl) ?? null;
}

/** A PHYSICAL_ADDRESS argument: a LARGE_INTEGER or a number. */
export type PHYSICAL_ADDRESS = LARGE_INTEGER | number;

function physical(api: string, name: string, p: PHYSICAL_ADDRESS): number {
  if (p instanceof LARGE_INTEGER) return Number(p.QuadPart);
  if (typeof p === "number" && Number.isFinite(p)) return Math.trunc(p);
  return badPointer(api, name, p, "a PHYSICAL_ADDRESS");
}

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/**
 * MmAllocatePagesForMdlEx: zero-filled, nonpaged physical pages between LowAddress and HighAddress
 * (SkipBytes, a multiple of PAGE_SIZE, is the stride to look further when a range is short; this
 * machine has one range), described by a new MDL. The MDL may describe fewer bytes than
 * TotalBytes — always check MmGetMdlByteCount — unless MM_ALLOCATE_FULLY_REQUIRED, which gives
 * all or NULL; NULL when no page at all is free there, when TotalBytes is 0, SkipBytes is not
 * page-aligned, CacheType is not MmNonCached / MmCached / MmWriteCombined or Flags has an unknown
 * bit. Called at IRQL <= APC_LEVEL (DISPATCH_LEVEL with MM_ALLOCATE_NO_WAIT).
 */
export function MmAllocatePagesForMdlEx(LowAddress: PHYSICAL_ADDRESS, HighAddress: PHYSICAL_ADDRESS, SkipBytes: PHYSICAL_ADDRESS, TotalBytes: number, CacheType: number, Flags: number): MDL | null {
  const api = "MmAllocatePagesForMdlEx";
  const t = kernel(api);
  return allocatePages(t, api, LowAddress, HighAddress, SkipBytes, TotalBytes, CacheType, Flags);
}

/**
 * MmAllocatePagesForMdl: MmAllocatePagesForMdlEx with MmCached and no flags — zeroed pages, and
 * possibly fewer than TotalBytes (check MmGetMdlByteCount); NULL when none. IRQL <= APC_LEVEL.
 */
export function MmAllocatePagesForMdl(LowAddress: PHYSICAL_ADDRESS, HighAddress: PHYSICAL_ADDRESS, SkipBytes: PHYSICAL_ADDRESS, TotalBytes: number): MDL | null {
  const api = "MmAllocatePagesForMdl";
  const t = kernel(api);
  return allocatePages(t, api, LowAddress, HighAddress, SkipBytes, TotalBytes, MmCached, 0);
}

function allocatePages(t: KThread, api: string, low: PHYSICAL_ADDRESS, high: PHYSICAL_ADDRESS, skip: PHYSICAL_ADDRESS, total: number, cacheType: number, flags: number): MDL | null {
  const m = t.machine;
  const lowAddress = physical(api, "LowAddress", low);
  const highAddress = physical(api, "HighAddress", high);
  const skipBytes = physical(api, "SkipBytes", skip);
  const maxIrql = typeof flags === "number" && flags & MM_ALLOCATE_NO_WAIT ? DISPATCH_LEVEL : APC_LEVEL;
  if (t.irql > maxIrql) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at IRQL <= ${maxIrql === APC_LEVEL ? "APC_LEVEL" : "DISPATCH_LEVEL (MM_ALLOCATE_NO_WAIT)"}` });
  }
  if (typeof total !== "number" || !Number.isSafeInteger(total) || total <= 0) return null;
  if (typeof flags !== "number" || (flags & ~KNOWN_FLAGS) !== 0 || flags & MM_ALLOCATE_AND_HOT_REMOVE) return null;
  if (cacheType !== MmNonCached && cacheType !== MmCached && cacheType !== MmWriteCombined) return null;
  if ((skipBytes & PAGE_MASK) !== 0 || skipBytes < 0) return null;
  const io = ioManager(m);
  if (io.injectFailure(api)) return null;
  const lowFrame = Math.max(0, Math.ceil(lowAddress / PAGE_SIZE));
  const highFrame = Math.floor(highAddress / PAGE_SIZE);
  const wanted = Math.ceil(total / PAGE_SIZE);
  const frames: number[] = [];
  if (highFrame >= lowFrame) {
    if (lowFrame === 0 && highFrame >= m.physical.totalFrames - 1) {
      // Any page will do: as many as are free, up to what was asked.
      const n = Math.min(wanted, m.physical.freeFrames);
      const got = n > 0 ? m.physical.allocateFrames(n) : null;
      if (got) for (const f of got) frames.push(f);
    } else {
      while (frames.length < wanted) {
        const f = m.physical.allocateContiguous(1, lowFrame, highFrame, 0);
        if (f < 0) break;
        frames.push(f);
      }
    }
  }
  if (frames.length === 0 || (flags & MM_ALLOCATE_FULLY_REQUIRED && frames.length < wanted)) {
    for (const f of frames) m.physical.dereference(f);
    return null;
  }
  // The MDL describes exactly the pages found; its frames are locked (resident) for its life.
  const mdl = new MDL(io.nextId("mdl"), 0, frames.length === wanted ? total : frames.length * PAGE_SIZE);
  mdl.pfns = frames.length > 16 ? Int32Array.from(frames) : frames;
  for (const f of frames) m.physical.lock(f);
  mdl.MdlFlags = MDL_PAGES_LOCKED;
  mdl.Process = null;
  mdl.lockedBy = m.currentDriver() ?? "the memory manager";
  allocated.set(mdl, { cacheType, pagesFreed: false });
  // Freed with ExFreePool, as the WDK documents (IoFreeMdl works as well).
  poolStructures.set(mdl, (ft) => {
    for (const h of io.hooks) h.beforeFreeMdl?.(mdl, ft);
    freeMdl(m, mdl);
  });
  io.liveMdls.add(mdl);
  if (m.trace.on) {
    m.trace.emit("MdlAllocated", { mdl: mdl.label, va: 0, length: mdl.ByteCount });
    m.trace.emit("MdlLocked", { mdl: mdl.label, va: 0, length: mdl.ByteCount, frames: [...frames], process: 0, write: true });
  }
  if (io.hooks.length !== 0) {
    for (const h of io.hooks) h.mdlAllocated?.(mdl);
    for (const h of io.hooks) h.mdlLocked?.(mdl);
  }
  return mdl;
}

/**
 * MmFreePagesFromMdl: frees the physical pages of an MDL MmAllocatePagesForMdl(Ex) made (the MDL
 * itself is then the caller's to free with ExFreePool). The mappings must be gone first: a system
 * or user mapping left in place would reach freed frames (under the verifier, 0xC4 at this call).
 * An MDL whose pages were freed already, or that MmAllocatePagesForMdl did not make, is
 * PFN_LIST_CORRUPT (P1 0x07: pages released more times than they were held). IRQL <= DISPATCH_LEVEL.
 */
export function MmFreePagesFromMdl(MemoryDescriptorList: MDL): void {
  const api = "MmFreePagesFromMdl";
  const t = kernel(api);
  checkPointer(api, "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  const m = t.machine;
  const mdl = MemoryDescriptorList;
  if (t.irql > DISPATCH_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at IRQL <= DISPATCH_LEVEL` });
  }
  const io = ioManager(m);
  for (const h of io.hooks) h.beforeFreePagesFromMdl?.(mdl, t);
  const info = allocated.get(mdl);
  if (!info || info.pagesFreed) {
    const frame = mdl.pfns[0] ?? 0;
    return m.bugCheck(BugCheckCode.PFN_LIST_CORRUPT, 0x07, frame, frame >= 0 ? m.physical.refCount(frame) : 0, mdl.id, {
      detail: info ? `MmFreePagesFromMdl on ${mdl.label} again: its pages were freed already` : `MmFreePagesFromMdl on ${mdl.label}, which MmAllocatePagesForMdl did not make: its pages are not the driver's to free (MmUnlockPages unlocks a probed MDL)`,
    });
  }
  info.pagesFreed = true;
  for (const f of mdl.pfns) {
    if (f < 0) continue;
    m.physical.unlock(f);
    m.physical.dereference(f);
  }
  mdl.MdlFlags &= ~MDL_PAGES_LOCKED;
  m.mmu.gen++;
  if (m.trace.on) m.trace.emit("MdlUnlocked", { mdl: mdl.label, frames: Array.from(mdl.pfns) });
}

// ---- User mappings of MDLs at process exit ------------------------------------------------------

const rundownInstalled = new WeakSet<Machine>();

/**
 * Installs, once per machine, what a process's exit does to MDL pages a driver mapped into it with
 * MmMapLockedPagesSpecifyCache(UserMode) and never unmapped: the mapping goes with the address
 * space (as MmCleanProcessAddressSpace deletes every VAD, a locked-pages mapping's too) and the MDL
 * forgets it, so the driver's later MmUnmapLockedPages of that address, from any process, is the
 * 0xC4/0x83 it is on Windows. The pages themselves stay the driver's (or the I/O's) to free.
 * @internal called by MmMapLockedPagesSpecifyCache(UserMode).
 */
export function ensureUserMappingRundown(m: Machine): void {
  if (rundownInstalled.has(m)) return;
  rundownInstalled.add(m);
  // After the handle table is closed (IRP_MJ_CLEANUP may still unmap in the dying process's
  // context) and the address space torn down, as MmCleanProcessAddressSpace runs last.
  m.processExited.push((p: KProcess) => {
    const io = ioManager(m);
    for (const mdl of [...io.liveMdls, ...io.abandonedLocks]) {
      const list = mdl.userMappings;
      if (!list) continue;
      for (let k = list.length - 1; k >= 0; k--) {
        const u = list[k];
        if (!u || u.process !== p) continue;
        list.splice(k, 1);
        const va = u.base + mdl.ByteOffset;
        if (m.trace.on) m.trace.emit("MdlUnmapped", { mdl: mdl.label, mappedVa: va, mode: "UserMode" });
        if (io.hooks.length !== 0) for (const h of io.hooks) h.mdlUnmapped?.(mdl, va, UserMode);
      }
    }
  });
}

