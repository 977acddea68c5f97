/**
 * Memory descriptor lists: locking a buffer's pages, mapping them into system space (or a
 * process) and undoing both — the machinery behind METHOD_*_DIRECT and zero-copy sharing.
 */
import type { LiveSetMember } from "../kernel/live-set.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { activeMachine, currentMachine } from "../kernel/context.js";
import { DISPATCH_LEVEL, KernelMode, UserMode, type KPROCESSOR_MODE } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { MM_SYSTEM_RANGE_START, MM_USER_PROBE_ADDRESS } from "../kernel/memory-constants.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { FRAME_IN_CHUNK_MASK, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, type FrameCounts, type PhysicalMemory } from "../kernel/physical-memory.js";

/** log2 of the frames sharing one FrameCounts. */
const FRAME_CHUNK_SHIFT = Math.log2(FRAME_IN_CHUNK_MASK + 1);
import type { KProcess } from "../kernel/process.js";
import { PTE_GUARD, PTE_MAPPED, PTE_OWNED, PTE_USER, PTE_VALID, PTE_WRITE } from "../kernel/pte.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES } from "../kernel/status.js";
import { specialPoolFault } from "../kernel/special-pool.js";
import type { KThread } from "../kernel/thread.js";
import type { PageTable } from "../kernel/page-table.js";
import {
  IoReadAccess,
  MDL_IO_SPACE,
  MDL_MAPPED_TO_SYSTEM_VA,
  MDL_PAGES_LOCKED,
  MDL_PARENT_MAPPED_SYSTEM_VA,
  MDL_PARTIAL,
  MDL_SOURCE_IS_NONPAGED_POOL,
  MDL_WRITE_OPERATION,
  MmNonCached,
} from "./constants.js";
import { ioManager } from "./io-manager.js";
import { ensureUserMappingRundown } from "./mdl-pages.js";
import { IRP } from "./irp.js";
import { badPointer, checkNumber, checkPointer, isGiven } from "../kernel/bad-pointer.js";

/** The largest buffer one MDL describes on Windows 7 and later: 2 GB minus a page. */
export const MAXIMUM_MDL_BYTES = 2 * 1024 * 1024 * 1024 - PAGE_SIZE;

/** MDL: a virtual range and the physical frames behind it. */
export class MDL implements LiveSetMember<MDL> {
  /** The next MDL of a chain (Irp->MdlAddress may head several). */
  Next: MDL | null = null;
  /** MDL_* flags: MDL_PAGES_LOCKED, MDL_MAPPED_TO_SYSTEM_VA, MDL_PARTIAL… */
  MdlFlags = 0;
  /** The process whose user pages are locked (null for system addresses). */
  Process: KProcess | null = null;
  /** The system address the pages are mapped at, once MDL_MAPPED_TO_SYSTEM_VA is set. */
  MappedSystemVa = 0;
  /** Page-aligned start of the range. */
  StartVa: number;
  /** The length of the described range, in bytes. */
  ByteCount: number;
  /** The offset of the range's first byte in its first page. */
  ByteOffset: number;
  /**
   * The PFN array that follows the MDL in memory (-1 where no frame is known). Kept after
   * unlocking, as NT keeps it. Small MDLs use a plain array (a small typed array costs more than
   * the MDL itself); large ones a typed array.
   */
  pfns: PfnArray;
  /** Stable id for traces ("mdl#3"). */
  readonly id: number;
  /** Mappings into user space made by MmMapLockedPagesSpecifyCache(UserMode) (made when first needed). */
  userMappings: { /** The process the pages are mapped into. */ process: KProcess; /** The user address they are mapped at. */ base: number }[] | null = null;
  /** Set by IoFreeMdl. */
  freed = false;
  /** Where it was locked (a driver name or "I/O manager"), for locked-page reports. */
  lockedBy: string | null = null;
  /** Links in the I/O manager's list of live MDLs. */
  liveNext: MDL | null = null;
  /** The previous MDL in the I/O manager's list of live MDLs. */
  livePrev: MDL | null = null;
  /** The list the MDL is in (null when in none). */
  liveOwner: object | null = null;

  constructor(id: number, virtualAddress: number, length: number) {
    this.id = id;
    this.StartVa = virtualAddress - (virtualAddress & PAGE_MASK);
    this.ByteOffset = virtualAddress & PAGE_MASK;
    this.ByteCount = length;
    this.pfns = [];
  }

  /** "mdl#3". */
  get label(): string {
    return `mdl#${this.id}`;
  }

  /** Pages the range spans (ADDRESS_AND_SIZE_TO_SPAN_PAGES). */
  get pageCount(): number {
    return spanPages(this.StartVa + this.ByteOffset, this.ByteCount);
  }
}

/** An MDL's PFN array. */
export type PfnArray = number[] | Int32Array;

/** A PFN array of `pages` entries, all -1. */
export function newPfnArray(pages: number): PfnArray {
  return pages > 16 ? new Int32Array(pages).fill(-1) : new Array<number>(pages).fill(-1);
}

const NO_COUNTS = new Int32Array(0);

let scratch = new Int32Array(64);
/** A reusable Int32Array of at least `pages` entries, for MDLs whose PFN array is a plain array. */
function scratchFrames(pages: number): Int32Array {
  if (scratch.length < pages) scratch = new Int32Array(Math.max(pages, scratch.length * 2));
  return scratch;
}

/** I/O-space frames (not RAM, so not locked) that the last successful {@link lockFromPtes} met. */
let lockedNotRam = 0;

/**
 * Checks `pages` PTEs from `startVpn` against `need`, storing and locking each page's frame as it
 * goes: one pass over the page table's leaves and the frames' counts. Returns the index of the
 * first page that fails, having unlocked what it locked before it, or -1 when all pass. Frames
 * that are not RAM are stored but not locked, and counted in {@link lockedNotRam}.
 */
function lockFromPtes(physical: PhysicalMemory, table: PageTable, startVpn: number, pages: number, need: number, frames: Int32Array): number {
  // Module constants copied to locals: the loop then compiles them as immediates.
  const reject = PTE_GUARD;
  const present = PTE_OWNED | PTE_MAPPED;
  const pageShift = PAGE_SHIFT;
  const chunkShift = FRAME_CHUNK_SHIFT;
  const inChunk = FRAME_IN_CHUNK_MASK;
  let notRam = 0;
  let chunk = -1;
  // An empty array stands for "not RAM" (rather than null, which would slow every access).
  let refs: Int32Array = NO_COUNTS;
  let locks: Int32Array = NO_COUNTS;
  let i = 0;
  let bad = -1;
  outer: while (i < pages) {
    const vpn = startVpn + i;
    const leaf = table.leaf(vpn, false);
    if (!leaf) {
      bad = i;
      break;
    }
    const first = vpn & 1023;
    const run = Math.min(1024 - first, pages - i);
    for (let k = 0; k < run; k++) {
      const pte = leaf[first + k] ?? 0;
      if ((pte & need) !== need || pte & reject || !(pte & present)) {
        bad = i + k;
        break outer;
      }
      const frame = pte >>> pageShift;
      frames[i + k] = frame;
      // Consecutive frames share a chunk's counts: look them up once per chunk.
      if (frame >>> chunkShift !== chunk) {
        const counts: FrameCounts | undefined = physical.countsOf(frame);
        chunk = counts ? frame >>> chunkShift : -1;
        refs = counts ? counts.refs : NO_COUNTS;
        locks = counts ? counts.locks : NO_COUNTS;
      }
      const f = frame & inChunk;
      const held = refs[f] ?? 0;
      if (held <= 0) {
        notRam++;
        continue;
      }
      refs[f] = held + 1;
      locks[f] = (locks[f] ?? 0) + 1;
    }
    i += run;
  }
  if (bad >= 0) {
    // Probe-then-lock: a fault leaves nothing locked.
    for (let k = 0; k < bad; k++) physical.unlock(frames[k] ?? -1);
    return bad;
  }
  lockedNotRam = notRam;
  return -1;
}

/**
 * A locked MDL a driver is about to describe anew: its locks stay on the frames with nobody to undo
 * them (as on Windows, where the process's exit then reports the locked pages); a copy of its
 * locked state is kept among the I/O manager's abandoned locks, and the MDL itself starts over.
 */
function abandonLocks(m: Machine, mdl: MDL): void {
  if (!(mdl.MdlFlags & MDL_PAGES_LOCKED)) return;
  const ghost = new MDL(mdl.id, mdl.StartVa + mdl.ByteOffset, mdl.ByteCount);
  ghost.pfns = mdl.pfns;
  ghost.MdlFlags = mdl.MdlFlags;
  ghost.Process = mdl.Process;
  ghost.freed = true;
  ioManager(m).abandonedLocks.add(ghost);
  mdl.MdlFlags &= ~MDL_PAGES_LOCKED;
  mdl.pfns = newPfnArray(mdl.pfns.length);
}

/** ADDRESS_AND_SIZE_TO_SPAN_PAGES. */
export function spanPages(va: number, size: number): number {
  if (size === 0) return 0;
  return ((va & PAGE_MASK) + size + PAGE_MASK) >>> PAGE_SHIFT;
}

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/**
 * IoAllocateMdl: an MDL for `Length` bytes at `VirtualAddress`; with an IRP, it becomes the IRP's
 * MdlAddress (or is chained after it when `SecondaryBuffer`). NULL when the length is zero or
 * larger than an MDL can describe, or when allocation fails.
 */
export function IoAllocateMdl(VirtualAddress: number, Length: number, SecondaryBuffer: boolean, _ChargeQuota: boolean, Irp: IRP | null): MDL | null {
  const t = kernel("IoAllocateMdl");
  if (isGiven(Irp)) checkPointer("IoAllocateMdl", "Irp", Irp, IRP, "an IRP or NULL");
  const io = ioManager(t.machine);
  if (!Number.isInteger(Length) || Length <= 0 || Length > MAXIMUM_MDL_BYTES || !Number.isInteger(VirtualAddress)) return null;
  if (io.injectFailure("IoAllocateMdl")) return null;
  const mdl = new MDL(io.nextId("mdl"), VirtualAddress >>> 0, Length);
  mdl.pfns = newPfnArray(mdl.pageCount);
  io.liveMdls.add(mdl);
  if (Irp) {
    if (SecondaryBuffer && Irp.MdlAddress) {
      let last = Irp.MdlAddress;
      while (last.Next) last = last.Next;
      last.Next = mdl;
    } else {
      Irp.MdlAddress = mdl;
    }
  }
  if (t.machine.trace.on) t.machine.trace.emit("MdlAllocated", { mdl: mdl.label, va: VirtualAddress >>> 0, length: Length });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.mdlAllocated?.(mdl);
  return mdl;
}

/**
 * IoFreeMdl: frees the MDL (unmapping a system mapping first). It does not unlock pages: an MDL
 * freed while locked leaves them locked, which its process's exit will report.
 */
export function IoFreeMdl(Mdl: MDL): void {
  const t = kernel("IoFreeMdl");
  checkPointer("IoFreeMdl", "Mdl", Mdl, MDL, "an MDL");
  for (const h of ioManager(t.machine).hooks) h.beforeFreeMdl?.(Mdl, t);
  freeMdl(t.machine, Mdl);
}

/** IoFreeMdl's work, shared with the I/O manager's own completion path. */
export function freeMdl(m: Machine, mdl: MDL): void {
  if (mdl.freed) {
    m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, mdl.id, 0, { detail: `${mdl.label} was freed twice (IoFreeMdl)` });
  }
  if (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) unmapSystem(m, mdl);
  mdl.freed = true;
  ioManager(m).liveMdls.delete(mdl);
  if (mdl.MdlFlags & MDL_PAGES_LOCKED) ioManager(m).abandonedLocks.add(mdl);
  if (m.trace.on) m.trace.emit("MdlFreed", { mdl: mdl.label });
}

/** Frees an IRP's MDL chain (Irp->MdlAddress and the MDLs linked from it), as the I/O manager does when it is done with the IRP. */
export function freeIrpMdls(m: Machine, irp: IRP): void {
  for (let mdl = irp.mdlChain; mdl; ) {
    const next = mdl.Next;
    freeMdl(m, mdl);
    mdl = next;
  }
  irp.mdlChain = null;
}

/**
 * MmProbeAndLockPages: checks every page of the MDL's range in the current context and locks
 * its frame. A user-mode probe of an address outside user space, an unmapped page, or a
 * read-only page for IoWriteAccess/IoModifyAccess raises STATUS_ACCESS_VIOLATION and leaves
 * nothing locked. Locking user pages adds to the process's locked-page count.
 */
export function MmProbeAndLockPages(MemoryDescriptorList: MDL, AccessMode: KPROCESSOR_MODE, Operation: number): void {
  const t = kernel("MmProbeAndLockPages");
  checkPointer("MmProbeAndLockPages", "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  for (const h of ioManager(t.machine).hooks) h.beforeProbeAndLock?.(MemoryDescriptorList, AccessMode, Operation, t);
  // An MDL already locked, built for nonpaged pool or partial may not be probed and locked (its
  // PFN array would be overwritten and the first lock leaked): Driver Verifier's 0xC4/0xB0.
  const wrong = MemoryDescriptorList.MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_MAPPED_TO_SYSTEM_VA);
  if (wrong !== 0) {
    t.machine.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb0, MemoryDescriptorList.id, MemoryDescriptorList.MdlFlags, wrong, {
      detail: `MmProbeAndLockPages on ${MemoryDescriptorList.label}, whose flags (0x${wrong.toString(16)}) say it is already locked, mapped, partial or built for nonpaged pool: unlock it first (MmUnlockPages), or use it as it is`,
    });
  }
  probeAndLock(t, MemoryDescriptorList, AccessMode, Operation, t.machine.currentDriver() ?? "I/O manager");
}

/** MmProbeAndLockPages's work, also used by the I/O manager for direct I/O. */
export function probeAndLock(t: KThread, mdl: MDL, mode: KPROCESSOR_MODE, operation: number, by: string): void {
  const m = t.machine;
  if (t.irql > DISPATCH_LEVEL) {
    m.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x70, t.irql, mdl.id, mode, { detail: `MmProbeAndLockPages at IRQL ${t.irql}` });
  }
  if (mdl.freed) throw new NtStatusError(STATUS_ACCESS_VIOLATION, `MmProbeAndLockPages on ${mdl.label}, which was freed`);
  const va = mdl.StartVa + mdl.ByteOffset;
  const end = va + mdl.ByteCount;
  const user = va < MM_SYSTEM_RANGE_START;
  if (mode !== KernelMode && (end > MM_USER_PROBE_ADDRESS || end <= va)) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: Math.min(va, MM_USER_PROBE_ADDRESS), write: operation !== IoReadAccess });
  }
  const write = operation !== IoReadAccess;
  const process = t.currentProcess;
  const table = user ? (process.addressSpace?.table ?? null) : m.system.table;
  const pages = mdl.pageCount;
  const physical = m.physical;
  let io = false;
  const need = PTE_VALID | (write ? PTE_WRITE : 0) | (mode === KernelMode ? 0 : PTE_USER);
  // The MDL's own PFN array receives the frames (IoAllocateMdl sized it); a fault refills it.
  const frames = mdl.pfns.length === pages ? mdl.pfns : newPfnArray(pages);
  // The loop always fills an Int32Array (one array type keeps its compiled code fast); a small
  // MDL's plain array is filled from the scratch copy afterwards.
  const out = frames instanceof Int32Array ? frames : scratchFrames(pages);
  const bad = table ? lockFromPtes(physical, table, mdl.StartVa >>> PAGE_SHIFT, pages, need, out) : 0;
  if (out !== frames) for (let i = 0; i < pages; i++) frames[i] = out[i] ?? -1;
  if (bad >= 0 || !table) {
    // Nothing is locked until every page has been checked, so a fault leaves nothing locked.
    frames.fill(-1);
    const vpn = (mdl.StartVa >>> PAGE_SHIFT) + Math.max(0, bad);
    // A kernel-mode probe touches the pages: on special pool's no-access pages, Driver Verifier's 0xD6/0xD5.
    const address = Math.max((vpn << PAGE_SHIFT) >>> 0, va);
    if (!user && mode === KernelMode) specialPoolFault(m, address, write);
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address, write });
  }
  if (lockedNotRam > 0) io = true;
  mdl.pfns = frames;
  mdl.MdlFlags |= MDL_PAGES_LOCKED;
  if (write) mdl.MdlFlags |= MDL_WRITE_OPERATION;
  else mdl.MdlFlags &= ~MDL_WRITE_OPERATION;
  if (io) mdl.MdlFlags |= MDL_IO_SPACE;
  mdl.lockedBy = by;
  // As MmProbeAndLockPages records it: the locking process for user pages, NULL for system ones
  // (an MDL described anew over pool must not charge its old owner).
  mdl.Process = user ? process : null;
  if (user) process.lockedPages += pages;
  if (m.trace.on) {
    m.trace.emit("MdlLocked", { mdl: mdl.label, va, length: mdl.ByteCount, frames: Array.from(frames), process: user ? process.pid : 0, write });
  }
  const hooks = ioManager(m).hooks;
  if (hooks.length !== 0) for (const h of hooks) h.mdlLocked?.(mdl);
}

/**
 * MmUnlockPages: unmaps the MDL's system mapping if it has one, then unlocks its pages. An MDL
 * that was never locked is PROCESS_HAS_LOCKED_PAGES with P1 = 1; a page unlocked more times than
 * it was locked is PFN_LIST_CORRUPT 0x07.
 */
export function MmUnlockPages(MemoryDescriptorList: MDL): void {
  const t = kernel("MmUnlockPages");
  checkPointer("MmUnlockPages", "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  unlockPages(t.machine, MemoryDescriptorList, t);
}

/** MmUnlockPages's work, shared with completion (`t` is null when completion unlocks). */
export function unlockPages(m: Machine, mdl: MDL, t: KThread | null = null): void {
  const hooks = ioManager(m).hooks;
  if (hooks.length !== 0) for (const h of hooks) h.beforeUnlockPages?.(mdl, t);
  if (!(mdl.MdlFlags & MDL_PAGES_LOCKED) && mdl.pfns.every((f) => f < 0)) {
    m.bugCheck(BugCheckCode.PROCESS_HAS_LOCKED_PAGES, 1, mdl.id, mdl.Process?.lockedPages ?? 0, 0, {
      detail: `MmUnlockPages on ${mdl.label}, whose pages were never locked`,
    });
  }
  if (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) unmapSystem(m, mdl);
  const physical = m.physical;
  const overUnlocked = physical.unlockFrames(mdl.pfns, mdl.pfns.length);
  if (overUnlocked >= 0) {
    const f = mdl.pfns[overUnlocked] ?? -1;
    m.bugCheck(BugCheckCode.PFN_LIST_CORRUPT, 0x07, f, physical.refCount(f), 0, {
      detail: `${mdl.label}: frame 0x${f.toString(16)} was unlocked more times than it was locked (MmUnlockPages twice?)`,
    });
  }
  const wasLocked = (mdl.MdlFlags & MDL_PAGES_LOCKED) !== 0;
  mdl.MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_IO_SPACE);
  if (mdl.Process && wasLocked) mdl.Process.lockedPages -= mdl.pfns.length;
  m.mmu.gen++;
  if (m.trace.on) m.trace.emit("MdlUnlocked", { mdl: mdl.label, frames: Array.from(mdl.pfns) });
}

/**
 * MmMapLockedPagesSpecifyCache: maps the MDL's frames into system space (KernelMode: returns
 * NULL on failure unless BugCheckOnFailure) or into the current process (UserMode: raises on
 * failure). The pages must be locked (or be nonpaged pool).
 */
export function MmMapLockedPagesSpecifyCache(MemoryDescriptorList: MDL, AccessMode: KPROCESSOR_MODE, CacheType: number, _RequestedAddress: number | null, BugCheckOnFailure: boolean, _Priority: number): number {
  const t = kernel("MmMapLockedPagesSpecifyCache");
  checkPointer("MmMapLockedPagesSpecifyCache", "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  const m = t.machine;
  const mdl = MemoryDescriptorList;
  for (const h of ioManager(m).hooks) h.beforeMapLockedPages?.(mdl, AccessMode, t);
  if (!(mdl.MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL))) {
    m.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x85, mdl.id, mdl.pageCount, mdl.pfns[0] ?? 0, {
      detail: `MmMapLockedPagesSpecifyCache on ${mdl.label}, whose pages are not locked`,
    });
  }
  if (AccessMode === KernelMode) return mapSystem(m, mdl, CacheType, BugCheckOnFailure);
  const process = t.currentProcess;
  const space = process.addressSpace;
  ensureUserMappingRundown(m);
  // User mappings of locked pages are read-write, as MiMapLockedPagesInUserSpace makes them.
  const base = space ? space.mapFrames(mdl.pfns, true, `MmMapLockedPages(UserMode) of ${mdl.label}`) : 0;
  if (base === 0) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES, `MmMapLockedPagesSpecifyCache(UserMode): no room in ${process.name}'s address space`);
  (mdl.userMappings ??= []).push({ process, base });
  const va = base + mdl.ByteOffset;
  if (m.trace.on) m.trace.emit("MdlMapped", { mdl: mdl.label, va: mdl.StartVa + mdl.ByteOffset, mappedVa: va, mode: "UserMode", process: process.pid, frames: Array.from(mdl.pfns) });
  const hooks = ioManager(m).hooks;
  if (hooks.length !== 0) for (const h of hooks) h.mdlMapped?.(mdl, va, UserMode, process);
  return va;
}

function mapSystem(m: Machine, mdl: MDL, cacheType: number, bugCheckOnFailure: boolean): number {
  const io = ioManager(m);
  const base = io.injectFailure("MmMapLockedPages") ? 0 : m.system.mapFrames(mdl.pfns, { writable: true, nocache: cacheType === MmNonCached });
  if (base === 0) {
    if (bugCheckOnFailure) {
      m.bugCheck(BugCheckCode.NO_MORE_SYSTEM_PTES, 0, mdl.pageCount, m.system.systemPtes.available, m.system.systemPtes.endPage - m.system.systemPtes.firstPage, {
        detail: `no system PTEs left to map ${mdl.label}`,
      });
    }
    return 0;
  }
  mdl.MappedSystemVa = base + mdl.ByteOffset;
  mdl.MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
  if (m.trace.on) {
    m.trace.emit("MdlMapped", { mdl: mdl.label, va: mdl.StartVa + mdl.ByteOffset, mappedVa: mdl.MappedSystemVa, mode: "KernelMode", process: mdl.Process?.pid ?? 0, frames: Array.from(mdl.pfns) });
  }
  if (io.hooks.length !== 0) for (const h of io.hooks) h.mdlMapped?.(mdl, mdl.MappedSystemVa, KernelMode, null);
  return mdl.MappedSystemVa;
}

function unmapSystem(m: Machine, mdl: MDL): void {
  const base = mdl.MappedSystemVa - mdl.ByteOffset;
  m.system.unmap(base, mdl.pfns.length);
  if (m.trace.on) m.trace.emit("MdlUnmapped", { mdl: mdl.label, mappedVa: mdl.MappedSystemVa, mode: "KernelMode" });
  const hooks = ioManager(m).hooks;
  if (hooks.length !== 0) for (const h of hooks) h.mdlUnmapped?.(mdl, mdl.MappedSystemVa, KernelMode);
  mdl.MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
  mdl.MappedSystemVa = 0;
}

/** MmMapLockedPages: the older form, which bug-checks when system PTEs run out. */
export function MmMapLockedPages(MemoryDescriptorList: MDL, AccessMode: KPROCESSOR_MODE): number {
  return MmMapLockedPagesSpecifyCache(MemoryDescriptorList, AccessMode, 1, null, true, 32);
}

/**
 * MmGetSystemAddressForMdlSafe: the MDL's system address, mapping it first when needed;
 * NULL when system PTEs are exhausted.
 */
export function MmGetSystemAddressForMdlSafe(Mdl: MDL, Priority: number): number {
  checkPointer("MmGetSystemAddressForMdlSafe", "Mdl", Mdl, MDL, "an MDL");
  if (Mdl.MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) {
    kernel("MmGetSystemAddressForMdlSafe");
    return Mdl.MappedSystemVa;
  }
  return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, 1, null, false, Priority);
}

/**
 * MmUnmapLockedPages: removes a mapping made by MmMapLockedPagesSpecifyCache. A user-space
 * mapping must be removed in the process it was made in.
 */
export function MmUnmapLockedPages(BaseAddress: number, MemoryDescriptorList: MDL): void {
  const t = kernel("MmUnmapLockedPages");
  if (typeof BaseAddress !== "number") badPointer("MmUnmapLockedPages", "BaseAddress", BaseAddress, "an address a mapping of the MDL starts at");
  checkPointer("MmUnmapLockedPages", "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  const m = t.machine;
  const mdl = MemoryDescriptorList;
  if (BaseAddress >= MM_SYSTEM_RANGE_START) {
    if (!(mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) || BaseAddress !== mdl.MappedSystemVa) {
      m.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x83, BaseAddress, mdl.id, 0, { detail: `MmUnmapLockedPages(0x${BaseAddress.toString(16)}) is not ${mdl.label}'s system mapping` });
    }
    unmapSystem(m, mdl);
    return;
  }
  const process = t.currentProcess;
  const mappings = mdl.userMappings ?? [];
  const k = mappings.findIndex((u) => u.process === process && u.base === BaseAddress - mdl.ByteOffset);
  if (k < 0 || !process.addressSpace?.unmapFrames(BaseAddress - mdl.ByteOffset)) {
    m.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x83, BaseAddress, mdl.id, 0, { detail: `MmUnmapLockedPages(0x${BaseAddress.toString(16)}) is not a mapping of ${mdl.label} in ${process.name}` });
  }
  mappings.splice(k, 1);
  if (m.trace.on) m.trace.emit("MdlUnmapped", { mdl: mdl.label, mappedVa: BaseAddress, mode: "UserMode" });
  const hooks = ioManager(m).hooks;
  if (hooks.length !== 0) for (const h of hooks) h.mdlUnmapped?.(mdl, BaseAddress, UserMode);
}

/** MmBuildMdlForNonPagedPool: fills the PFN array for a nonpaged-pool buffer. */
export function MmBuildMdlForNonPagedPool(MemoryDescriptorList: MDL): void {
  const t = kernel("MmBuildMdlForNonPagedPool");
  checkPointer("MmBuildMdlForNonPagedPool", "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  const m = t.machine;
  const mdl = MemoryDescriptorList;
  const va = mdl.StartVa + mdl.ByteOffset;
  if (va < MM_SYSTEM_RANGE_START) {
    m.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x87, mdl.id, va, 0, { detail: `MmBuildMdlForNonPagedPool on ${mdl.label}, which describes a user address` });
  }
  abandonLocks(m, mdl);
  const pfns = newPfnArray(mdl.pageCount);
  for (let i = 0; i < pfns.length; i++) {
    const f = m.mmu.frameOf(null, mdl.StartVa + i * PAGE_SIZE);
    // A special-pool guard page or freed block under the MDL is Driver Verifier's 0xD6/0xD5.
    if (f < 0) specialPoolFault(m, Math.max(va, mdl.StartVa + i * PAGE_SIZE), false);
    if (f < 0) m.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, mdl.StartVa + i * PAGE_SIZE, 0, 0, 0, { detail: `MmBuildMdlForNonPagedPool: ${mdl.label} covers an unmapped page` });
    pfns[i] = f;
  }
  mdl.pfns = pfns;
  mdl.MappedSystemVa = va;
  mdl.MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

/**
 * IoBuildPartialMdl: makes `TargetMdl` describe `Length` bytes at `VirtualAddress` inside
 * `SourceMdl`'s range (Length 0: to the end of the source), sharing its frames.
 */
export function IoBuildPartialMdl(SourceMdl: MDL, TargetMdl: MDL, VirtualAddress: number, Length: number): void {
  const t = kernel("IoBuildPartialMdl");
  checkPointer("IoBuildPartialMdl", "SourceMdl", SourceMdl, MDL, "an MDL");
  checkPointer("IoBuildPartialMdl", "TargetMdl", TargetMdl, MDL, "an MDL");
  if (typeof VirtualAddress !== "number") badPointer("IoBuildPartialMdl", "VirtualAddress", VirtualAddress, "an address inside SourceMdl's range");
  Length = checkNumber("IoBuildPartialMdl", "Length", Length);
  const srcVa = SourceMdl.StartVa + SourceMdl.ByteOffset;
  const offset = VirtualAddress - srcVa;
  const length = Length === 0 ? SourceMdl.ByteCount - offset : Length;
  if (offset < 0 || offset + length > SourceMdl.ByteCount || length <= 0) {
    t.machine.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb5, SourceMdl.id, VirtualAddress, Length, {
      detail: `IoBuildPartialMdl: 0x${VirtualAddress.toString(16)}+${length} is outside ${SourceMdl.label}`,
    });
  }
  abandonLocks(t.machine, TargetMdl);
  TargetMdl.StartVa = VirtualAddress - (VirtualAddress & PAGE_MASK);
  TargetMdl.ByteOffset = VirtualAddress & PAGE_MASK;
  TargetMdl.ByteCount = length;
  const firstPage = ((srcVa & PAGE_MASK) + offset) >>> PAGE_SHIFT;
  TargetMdl.pfns = SourceMdl.pfns.slice(firstPage, firstPage + spanPages(VirtualAddress, length));
  TargetMdl.Process = SourceMdl.Process;
  TargetMdl.MdlFlags = MDL_PARTIAL | (SourceMdl.MdlFlags & (MDL_IO_SPACE | MDL_WRITE_OPERATION));
  if (SourceMdl.MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) {
    TargetMdl.MappedSystemVa = SourceMdl.MappedSystemVa + offset;
    TargetMdl.MdlFlags |= MDL_PARENT_MAPPED_SYSTEM_VA | (SourceMdl.MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
  }
}

/** MmGetMdlVirtualAddress. */
export function MmGetMdlVirtualAddress(Mdl: MDL): number {
  checkPointer("MmGetMdlVirtualAddress", "Mdl", Mdl, MDL, "an MDL");
  return Mdl.StartVa + Mdl.ByteOffset;
}
/** MmGetMdlByteCount. */
export function MmGetMdlByteCount(Mdl: MDL): number {
  checkPointer("MmGetMdlByteCount", "Mdl", Mdl, MDL, "an MDL");
  return Mdl.ByteCount;
}
/** MmGetMdlByteOffset. */
export function MmGetMdlByteOffset(Mdl: MDL): number {
  checkPointer("MmGetMdlByteOffset", "Mdl", Mdl, MDL, "an MDL");
  return Mdl.ByteOffset;
}
/** MmGetMdlPfnArray: the frames behind the MDL's pages. */
export function MmGetMdlPfnArray(Mdl: MDL): Readonly<PfnArray> {
  checkPointer("MmGetMdlPfnArray", "Mdl", Mdl, MDL, "an MDL");
  return Mdl.pfns;
}
/** MmInitializeMdl: (re)describes a range in an MDL the caller owns. */
export function MmInitializeMdl(MemoryDescriptorList: MDL, BaseVa: number, Length: number): void {
  checkPointer("MmInitializeMdl", "MemoryDescriptorList", MemoryDescriptorList, MDL, "an MDL");
  if (typeof BaseVa !== "number") badPointer("MmInitializeMdl", "BaseVa", BaseVa, "an address");
  Length = checkNumber("MmInitializeMdl", "Length", Length);
  const m = activeMachine();
  if (m) abandonLocks(m, MemoryDescriptorList);
  MemoryDescriptorList.StartVa = BaseVa - (BaseVa & PAGE_MASK);
  MemoryDescriptorList.ByteOffset = BaseVa & PAGE_MASK;
  MemoryDescriptorList.ByteCount = Length;
  MemoryDescriptorList.MdlFlags = 0;
  MemoryDescriptorList.pfns = newPfnArray(spanPages(BaseVa, Length));
}
