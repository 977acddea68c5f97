/**
 * WD_DMALock and WD_DMAUnlock: a contiguous buffer the driver allocates and maps into both the
 * app and system space (DMA_KERNEL_BUFFER_ALLOC), or the app's own buffer locked for
 * scatter/gather DMA. Physical addresses are reported in WD_DMA.Page[] and never dereferenced.
 */
import { KAPC_STATE, KeStackAttachProcess, KeUnstackDetachProcess } from "../kernel/api-ke.js";
import { MmAllocateContiguousMemorySpecifyCache, MmFreeContiguousMemory, MmGetPhysicalAddress } from "../kernel/api-mm.js";
import { currentMachine } from "../kernel/context.js";
import { KernelMode, UserMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/physical-memory.js";
import { IoModifyAccess, IoReadAccess, MmCached, MmNonCached, NormalPagePriority } from "../io-manager/constants.js";
import {
  IoAllocateMdl,
  IoFreeMdl,
  MmBuildMdlForNonPagedPool,
  MmGetSystemAddressForMdlSafe,
  MmMapLockedPagesSpecifyCache,
  MmProbeAndLockPages,
  MmUnlockPages,
  MmUnmapLockedPages,
  spanPages,
  type MDL,
} from "../io-manager/mdl.js";
import {
  DMA_ALLOW_CACHE,
  DMA_KBUF_BELOW_16M,
  DMA_KERNEL_BUFFER_ALLOC,
  DMA_KERNEL_ONLY_MAP,
  DMA_LARGE_BUFFER,
  DMA_TO_DEVICE,
  DMA_TO_FROM_DEVICE,
  WD_DATA_MISMATCH,
  WD_DMA_PAGES,
  WD_FAILED_KERNEL_MAPPING,
  WD_FAILED_USER_MAPPING,
  WD_INSUFFICIENT_RESOURCES,
  WD_INVALID_HANDLE,
  WD_INVALID_PARAMETER,
  WD_STATUS_SUCCESS,
} from "./constants.js";
import type { DmaBlock, WD_DEVICE_EXTENSION, WdDmaBuffer } from "./driver-state.js";
import { WD_DMA_LAYOUT, WD_DMA_PAGE_LAYOUT } from "./layout.js";
import { captureHandle, captureStruct, isProbeFailure, writeBack, type WdRequest } from "./user-buffer.js";

/** Bytes of WD_DMA before Page[]. */
const HEADER = WD_DMA_LAYOUT.Page;

/**
 * WD_DMALock. With DMA_KERNEL_BUFFER_ALLOC: a physically contiguous buffer of dwBytes
 * (below 16 MB with DMA_KBUF_BELOW_16M, cached with DMA_ALLOW_CACHE) mapped into system space
 * (pKernelAddr) and, unless DMA_KERNEL_ONLY_MAP, into the caller through an MDL mapped in user
 * mode (pUserAddr); one page entry covers it all. Otherwise pUserAddr's buffer is probed and
 * locked (pages the device writes need write access), mapped into system space, and each run of
 * physically consecutive pages becomes one entry; more entries than WD_DMA_PAGES need
 * DMA_LARGE_BUFFER with the capacity in dwPages.
 *
 * Statuses: WD_INSUFFICIENT_RESOURCES (no contiguous memory or no MDL), WD_FAILED_USER_MAPPING,
 * WD_FAILED_KERNEL_MAPPING, WD_INVALID_PARAMETER (bad pointers, dwBytes 0, a buffer that cannot
 * be locked, too many pages), WD_DATA_MISMATCH (a structure smaller than its Page[] capacity). The
 * statuses for the last three cases are our choices; WinDriver's documentation does not say.
 */
export function dmaLock(r: WdRequest): number {
  let pUserAddr: number;
  let dwBytes: number;
  let dwOptions: number;
  let dwPagesIn: number;
  try {
    const s = captureStruct(r, r.pParam, HEADER);
    pUserAddr = s.u32(WD_DMA_LAYOUT.pUserAddr);
    dwBytes = s.u32(WD_DMA_LAYOUT.dwBytes);
    dwOptions = s.u32(WD_DMA_LAYOUT.dwOptions);
    dwPagesIn = s.u32(WD_DMA_LAYOUT.dwPages);
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  const capacity = dwOptions & DMA_LARGE_BUFFER ? dwPagesIn : WD_DMA_PAGES;
  const size = HEADER + capacity * WD_DMA_PAGE_LAYOUT.size;
  if (r.dwSize < size) return WD_DATA_MISMATCH;
  if (dwBytes === 0 || capacity === 0) return WD_INVALID_PARAMETER;
  const m = currentMachine("WD_DMALock");
  const made = dwOptions & DMA_KERNEL_BUFFER_ALLOC ? allocateKernelBuffer(r, dwBytes, dwOptions) : lockUserBuffer(r, pUserAddr, dwBytes, dwOptions, capacity);
  if (typeof made === "number") return made;
  const fields: [number, number][] = [
    [WD_DMA_LAYOUT.hDma, made.hDma],
    [WD_DMA_LAYOUT.pUserAddr, made.userVa],
    [WD_DMA_LAYOUT.pKernelAddr, made.kernelVa],
    [WD_DMA_LAYOUT.dwPages, made.blocks.length],
  ];
  made.blocks.forEach((b, i) => {
    const at = HEADER + i * WD_DMA_PAGE_LAYOUT.size;
    fields.push([at + WD_DMA_PAGE_LAYOUT.pPhysicalAddr, b.physical], [at + WD_DMA_PAGE_LAYOUT.pPhysicalAddrHigh, 0], [at + WD_DMA_PAGE_LAYOUT.dwBytes, b.bytes]);
  });
  try {
    writeBack(r, r.pParam, HEADER + made.blocks.length * WD_DMA_PAGE_LAYOUT.size, fields);
  } catch (e) {
    if (!isProbeFailure(e)) throw e;
    // The app cannot learn what it got: give it all back.
    releaseBuffer(m, made);
    return WD_INVALID_PARAMETER;
  }
  r.ext.dma.set(made.hDma, made);
  r.file.dma.add(made);
  return WD_STATUS_SUCCESS;
}

function allocateKernelBuffer(r: WdRequest, dwBytes: number, dwOptions: number): WdDmaBuffer | number {
  const t = currentMachine("WD_DMALock").currentThread();
  const cache = dwOptions & DMA_ALLOW_CACHE ? MmCached : MmNonCached;
  const highest = dwOptions & DMA_KBUF_BELOW_16M ? 0xffffff : 0xffffffff;
  const kernelVa = MmAllocateContiguousMemorySpecifyCache(dwBytes, 0, highest, 0, cache);
  if (kernelVa === 0) return WD_INSUFFICIENT_RESOURCES;
  let mdl: MDL | null = null;
  let userVa = 0;
  if (!(dwOptions & DMA_KERNEL_ONLY_MAP)) {
    mdl = IoAllocateMdl(kernelVa, dwBytes, false, false, null);
    if (!mdl) {
      MmFreeContiguousMemory(kernelVa);
      return WD_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(mdl);
    try {
      // A user-mode mapping raises on failure; it is made in the caller's process.
      userVa = MmMapLockedPagesSpecifyCache(mdl, UserMode, cache, null, false, NormalPagePriority);
    } catch (e) {
      if (!isProbeFailure(e)) throw e;
      IoFreeMdl(mdl);
      MmFreeContiguousMemory(kernelVa);
      return WD_FAILED_USER_MAPPING;
    }
  }
  const blocks: DmaBlock[] = [{ physical: MmGetPhysicalAddress(kernelVa), bytes: dwBytes }];
  return { hDma: r.ext.newHandle(), owner: r.file, process: t.currentProcess, kernelBuffer: true, kernelVa, userVa, userMapped: userVa !== 0, bytes: dwBytes, mdl, blocks };
}

function lockUserBuffer(r: WdRequest, userVa: number, dwBytes: number, dwOptions: number, capacity: number): WdDmaBuffer | number {
  const t = currentMachine("WD_DMALock").currentThread();
  if (userVa === 0) return WD_INVALID_PARAMETER;
  if (spanPages(userVa, dwBytes) > capacity) return WD_INVALID_PARAMETER;
  const mdl = IoAllocateMdl(userVa, dwBytes, false, false, null);
  if (!mdl) return WD_INSUFFICIENT_RESOURCES;
  // Memory the device only reads needs read access; anything it may write, write access.
  const operation = (dwOptions & DMA_TO_FROM_DEVICE) === DMA_TO_DEVICE ? IoReadAccess : IoModifyAccess;
  try {
    MmProbeAndLockPages(mdl, r.mode === KernelMode ? KernelMode : UserMode, operation);
  } catch (e) {
    if (!isProbeFailure(e)) throw e;
    IoFreeMdl(mdl);
    return WD_INVALID_PARAMETER;
  }
  const kernelVa = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  if (kernelVa === 0) {
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    return WD_FAILED_KERNEL_MAPPING;
  }
  // Adjacent frames merge into one block, as the manual says WD_DMALock returns them.
  const blocks: { physical: number; bytes: number }[] = [];
  let offset = mdl.ByteOffset;
  let left = dwBytes;
  for (const frame of mdl.pfns) {
    const bytes = Math.min(PAGE_SIZE - offset, left);
    const physical = ((frame << PAGE_SHIFT) + offset) >>> 0;
    const last = blocks[blocks.length - 1];
    if (last && last.physical + last.bytes === physical) last.bytes += bytes;
    else blocks.push({ physical, bytes });
    left -= bytes;
    offset = 0;
  }
  return { hDma: r.ext.newHandle(), owner: r.file, process: t.currentProcess, kernelBuffer: false, kernelVa, userVa, userMapped: false, bytes: dwBytes, mdl, blocks };
}

/**
 * WD_DMAUnlock: the buffer hDma names is unmapped from both views and freed (kernel buffer) or
 * unlocked (the app's buffer). An unknown handle, or one from another process, is WD_INVALID_HANDLE.
 */
export function dmaUnlock(r: WdRequest): number {
  const hDma = captureHandle(r, HEADER, WD_DMA_LAYOUT.hDma);
  if (hDma === null) return WD_INVALID_PARAMETER;
  const buffer = r.ext.dma.get(hDma);
  if (!buffer || buffer.process !== r.file.process) return WD_INVALID_HANDLE;
  freeDmaBuffer(currentMachine("WD_DMAUnlock"), r.ext, buffer);
  return WD_STATUS_SUCCESS;
}

/** Removes a buffer from the driver's tables and releases it (WD_DMAUnlock and cleanup). */
export function freeDmaBuffer(m: Machine, ext: WD_DEVICE_EXTENSION, buffer: WdDmaBuffer): void {
  ext.dma.delete(buffer.hDma);
  buffer.owner.dma.delete(buffer);
  releaseBuffer(m, buffer);
}

function releaseBuffer(m: Machine, buffer: WdDmaBuffer): void {
  const mdl = buffer.mdl;
  if (!buffer.kernelBuffer) {
    if (mdl) {
      // MmUnlockPages also removes the system mapping.
      MmUnlockPages(mdl);
      IoFreeMdl(mdl);
    }
    return;
  }
  if (mdl) {
    if (buffer.userMapped) unmapFromOwner(m, buffer, mdl);
    IoFreeMdl(mdl);
  }
  MmFreeContiguousMemory(buffer.kernelVa);
}

/**
 * A user mapping is removed in the process it was made in: attached to it when another process
 * closes the last handle. A process already gone took the mapping with its address space.
 */
function unmapFromOwner(m: Machine, buffer: WdDmaBuffer, mdl: MDL): void {
  const t = m.currentThread();
  if (t.currentProcess === buffer.process) {
    MmUnmapLockedPages(buffer.userVa, mdl);
    return;
  }
  if (buffer.process.state === "exited" || !buffer.process.addressSpace) return;
  const apcState = new KAPC_STATE();
  KeStackAttachProcess(buffer.process, apcState);
  try {
    MmUnmapLockedPages(buffer.userVa, mdl);
  } finally {
    KeUnstackDetachProcess(apcState);
  }
}
