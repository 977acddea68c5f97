/**
 * Buffer marshalling for drivers (Learn CeOpenCallerBuffer, CeCloseCallerBuffer,
 * CeAllocAsynchronousBuffer, CeFreeAsynchronousBuffer, MapCallerPtr, IsBadReadPtr for CE 6.0).
 *
 * First-level DeviceIoControl pointers are checked by the kernel before a driver runs. Pointers
 * embedded in a buffer are not: a driver passes each through CeOpenCallerBuffer, which checks it
 * against the caller (E_ACCESSDENIED for an address the caller may not pass) and gives a
 * pointer the driver can use during the call — the same pointer in a kernel-mode driver (the
 * caller's address space is active), a duplicate in a user-mode driver or when asked.
 * To use a buffer after the call returns, CeAllocAsynchronousBuffer gives one valid anywhere:
 * in the kernel an alias made with VirtualAllocCopyEx (no byte copied), in a user-mode driver a
 * duplicate written back on CeFreeAsynchronousBuffer.
 *
 * IsBadReadPtr and IsBadWritePtr only say whether the *calling thread* can touch the address
 * now. In kernel mode every kernel address passes: a driver that checks a caller's embedded
 * pointer with them can be made to write kernel memory (seed 003's warning; a test shows it).
 */
import { KernelMode, UserMode } from "../../kernel/irql.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { PAGE_SHIFT, PAGE_SIZE } from "../../kernel/physical-memory.js";
import { PTE_USER, PTE_VALID, PTE_WRITE } from "../../kernel/pte.js";
import type { KProcess } from "../../kernel/process.js";
import type { KThread } from "../../kernel/thread.js";
import { ceCall, hex, type CeCall } from "../ce-call.js";
import type { CeMachine } from "../ce-machine.js";
import { activeProcess, currentFrame } from "../ce-thread.js";
import {
  ARG_DW,
  ARG_I_ASTR,
  ARG_I_PDW,
  ARG_I_WSTR,
  ARG_IO_PDW,
  ARG_IO_PI64,
  ARG_O_BIT,
  ARG_O_PDW,
  ARG_O_PI64,
  E_ACCESSDENIED,
  E_INVALIDARG,
  E_OUTOFMEMORY,
  ERROR_NOT_ENOUGH_MEMORY,
  MEM_RELEASE,
  PAGE_READONLY,
  PAGE_READWRITE,
  S_OK,
} from "../constants.js";
import { readFromVm, writeToVm } from "../cross-vm.js";
import { VM_BLOCK_SIZE, VM_KMODE_BASE, isValidUserPointer } from "../layout.js";
import { duplicates, mapCallerPointer } from "../marshal-rules.js";
import { cePteBits, vmAllocCopy, vmFree } from "../vm-services.js";

/** An out-parameter (C's `PVOID*`): the function stores the pointer in `value`. */
export interface Out<T> {
  /** The value, set by the callee. */
  value: T;
}

const POINTER_DESCRIPTORS = new Set([0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xc, 0xd, 0xe]);

/** The size a descriptor implies (PDW, PI64), or `cb`; strings may pass 0 (their length is measured). */
function sizeOf(c: CeCall, vm: KProcess, ptr: number, cb: number, descriptor: number): number {
  if (descriptor === ARG_I_PDW || descriptor === ARG_O_PDW || descriptor === ARG_IO_PDW) return 4;
  if (descriptor === ARG_O_PI64 || descriptor === ARG_IO_PI64) return 8;
  if (cb > 0 || (descriptor !== ARG_I_WSTR && descriptor !== ARG_I_ASTR)) return cb;
  // A string of unknown length: measure it in the caller's address space, with its terminator.
  const unit = descriptor === ARG_I_WSTR ? 2 : 1;
  let n = 0;
  for (;;) {
    const bytes = readFromVm(c.t, vm, ptr + n * unit, unit);
    n++;
    if (bytes.every((b) => b === 0) || n > 65536) break;
  }
  return n * unit;
}

function traceMarshal(c: CeCall, api: string, src: number, dst: number, bytes: number, how: "direct" | "alias" | "duplicate" | "refused", process: KProcess): void {
  if (c.m.trace.on) c.m.trace.emit("CeBufferMarshalled", { api, src, dst, bytes, how, process: process.pid });
}

/** Reserves and commits a read/write duplicate of `size` bytes where the current code can reach it. */
function allocateDuplicate(c: CeCall, server: KProcess, size: number, origin: string): number {
  const vm = server === c.ce.nk ? c.ce.kernel.kernelVm : c.ce.spaceOf(server)?.vm;
  if (!vm) return 0;
  const r = vm.reserve(0, size, PAGE_READWRITE, origin);
  if (r.error) return 0;
  if (vm.commit(r.base, size, cePteBits(PAGE_READWRITE) ?? 0)) {
    vm.release(r.base);
    return 0;
  }
  return r.base;
}

function releaseIn(ce: CeMachine, server: KProcess, base: number): void {
  const vm = server === ce.nk ? ce.kernel.kernelVm : ce.spaceOf(server)?.vm;
  vm?.release(base);
}

/** Copies bytes already read into the duplicate at `dst` (current context), counting them. */
function fill(c: CeCall, dst: number, bytes: Uint8Array, reason: string, from: number): void {
  c.m.mmu.writeBytes(dst, bytes);
  c.m.mmu.bytesCopied += bytes.length;
  if (c.m.trace.on) c.m.trace.emit("CeBufferCopied", { direction: "in", bytes: bytes.length, from, to: dst, reason });
}

/**
 * CeOpenCallerBuffer: checks `pSrcUnmarshalled` against the caller (E_ACCESSDENIED when a
 * user-mode caller could not pass it), then returns in `ppDestMarshalled` a pointer usable
 * during the call. E_INVALIDARG for a NULL source, a zero size or ARG_DW.
 */
export function CeOpenCallerBuffer(ppDestMarshalled: Out<number>, pSrcUnmarshalled: number, cbSrc: number, ArgumentDescriptor: number, ForceDuplicate: boolean): number {
  const c = ceCall("CeOpenCallerBuffer");
  const { t, ce } = c;
  ppDestMarshalled.value = 0;
  if (ArgumentDescriptor === ARG_DW || !POINTER_DESCRIPTORS.has(ArgumentDescriptor) || pSrcUnmarshalled === 0) return E_INVALIDARG;
  const frame = currentFrame(t);
  const fromUser = frame ? frame.fromUserMode : c.user;
  const callerVm = frame?.callerVm ?? t.currentProcess;
  const write = (ArgumentDescriptor & ARG_O_BIT) !== 0;
  let size: number;
  try {
    size = sizeOf(c, callerVm, pSrcUnmarshalled >>> 0, cbSrc, ArgumentDescriptor);
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
    return E_ACCESSDENIED;
  }
  if (!Number.isInteger(size) || size <= 0) return E_INVALIDARG;
  if (fromUser && !isValidUserPointer(pSrcUnmarshalled >>> 0, size, write)) {
    traceMarshal(c, "CeOpenCallerBuffer", pSrcUnmarshalled, 0, size, "refused", callerVm);
    return E_ACCESSDENIED;
  }
  // A kernel-mode driver runs with the caller's address space active: the pointer works as is.
  if (!c.user && !ForceDuplicate && callerVm === t.currentProcess) {
    ppDestMarshalled.value = pSrcUnmarshalled >>> 0;
    traceMarshal(c, "CeOpenCallerBuffer", pSrcUnmarshalled, pSrcUnmarshalled, size, "direct", callerVm);
    return S_OK;
  }
  const server = c.user ? activeProcess(t) : ce.nk;
  const dup = allocateDuplicate(c, server, size, "CeOpenCallerBuffer");
  if (dup === 0) return E_OUTOFMEMORY;
  if (ArgumentDescriptor & 0x4) {
    try {
      fill(c, dup, readFromVm(t, callerVm, pSrcUnmarshalled >>> 0, size), "CeOpenCallerBuffer duplicate", pSrcUnmarshalled);
    } catch (e) {
      releaseIn(ce, server, dup);
      if (!(e instanceof NtStatusError)) throw e;
      return E_ACCESSDENIED;
    }
  }
  duplicates(ce).add(dup, { serverVm: server, sourceVm: callerVm, source: pSrcUnmarshalled >>> 0, size, descriptor: ArgumentDescriptor, kind: "open", reservation: dup });
  ppDestMarshalled.value = dup;
  traceMarshal(c, "CeOpenCallerBuffer", pSrcUnmarshalled, dup, size, "duplicate", callerVm);
  return S_OK;
}

/**
 * CeCloseCallerBuffer: ends a CeOpenCallerBuffer; a duplicate is written back to the caller
 * (out descriptors) and freed. E_INVALIDARG when the pointers do not match an open buffer.
 */
export function CeCloseCallerBuffer(pDestMarshalled: number, pSrcUnmarshalled: number, _cbSrc: number, ArgumentDescriptor: number): number {
  const c = ceCall("CeCloseCallerBuffer");
  const { t, ce } = c;
  const server = c.user ? activeProcess(t) : ce.nk;
  const dups = duplicates(ce);
  const d = dups.get(server, pDestMarshalled);
  if (!d) return pDestMarshalled !== 0 && pDestMarshalled === pSrcUnmarshalled ? S_OK : E_INVALIDARG;
  if (d.kind !== "open" || d.source !== pSrcUnmarshalled >>> 0) return E_INVALIDARG;
  try {
    if (ArgumentDescriptor & ARG_O_BIT) writeToVm(t, d.sourceVm, d.source, c.m.mmu.readBytes(pDestMarshalled, d.size));
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
    return E_ACCESSDENIED;
  } finally {
    dups.remove(server, pDestMarshalled);
    releaseIn(ce, server, d.reservation);
  }
  return S_OK;
}

/**
 * CeAllocAsynchronousBuffer: re-marshals a buffer (already usable during the call) so it stays
 * usable after the call returns, from any thread: in the kernel an alias of the same frames
 * (VirtualAllocCopyEx into nk.exe), in a user-mode driver a duplicate. Call it before the call
 * returns; free it with CeFreeAsynchronousBuffer.
 */
export function CeAllocAsynchronousBuffer(ppDestAsyncMarshalled: Out<number>, pSrcSyncMarshalled: number, cbSrc: number, ArgumentDescriptor: number): number {
  const c = ceCall("CeAllocAsynchronousBuffer");
  const { t, ce } = c;
  ppDestAsyncMarshalled.value = 0;
  if (ArgumentDescriptor === ARG_DW || !POINTER_DESCRIPTORS.has(ArgumentDescriptor) || pSrcSyncMarshalled === 0 || !Number.isInteger(cbSrc) || cbSrc <= 0) return E_INVALIDARG;
  const src = pSrcSyncMarshalled >>> 0;
  const write = (ArgumentDescriptor & ARG_O_BIT) !== 0;
  const dups = duplicates(ce);
  if (!c.user) {
    // Inside the kernel: an alias, so the driver's writes land in the caller's pages.
    const srcProcess = src >= VM_KMODE_BASE ? ce.nk : t.currentProcess;
    const r = vmAllocCopy(ce, t, srcProcess, ce.nk, src, cbSrc, write ? PAGE_READWRITE : PAGE_READONLY);
    if (r.error) {
      traceMarshal(c, "CeAllocAsynchronousBuffer", src, 0, cbSrc, "refused", srcProcess);
      return r.error === ERROR_NOT_ENOUGH_MEMORY ? E_OUTOFMEMORY : E_ACCESSDENIED;
    }
    dups.add(r.address, { serverVm: ce.nk, sourceVm: srcProcess, source: src, size: cbSrc, descriptor: ArgumentDescriptor, kind: "alias", reservation: r.address - (src % VM_BLOCK_SIZE) });
    ppDestAsyncMarshalled.value = r.address;
    traceMarshal(c, "CeAllocAsynchronousBuffer", src, r.address, cbSrc, "alias", srcProcess);
    return S_OK;
  }
  // A user-mode driver: a duplicate that remembers the caller's original buffer.
  const server = activeProcess(t);
  const origin = dups.get(server, src);
  const sourceVm = origin ? origin.sourceVm : server;
  const source = origin ? origin.source : src;
  const dup = allocateDuplicate(c, server, cbSrc, "CeAllocAsynchronousBuffer");
  if (dup === 0) return E_OUTOFMEMORY;
  try {
    fill(c, dup, c.m.mmu.readBytes(src, cbSrc), "CeAllocAsynchronousBuffer duplicate", src);
  } catch (e) {
    releaseIn(ce, server, dup);
    if (!(e instanceof NtStatusError)) throw e;
    return E_ACCESSDENIED;
  }
  dups.add(dup, { serverVm: server, sourceVm, source, size: cbSrc, descriptor: ArgumentDescriptor, kind: "async", reservation: dup });
  ppDestAsyncMarshalled.value = dup;
  traceMarshal(c, "CeAllocAsynchronousBuffer", src, dup, cbSrc, "duplicate", sourceVm);
  return S_OK;
}

/**
 * CeFreeAsynchronousBuffer: frees what CeAllocAsynchronousBuffer made — the alias's mapping, or
 * the duplicate after writing it back to the caller's buffer (out descriptors).
 */
export function CeFreeAsynchronousBuffer(pDestAsyncMarshalled: number, _pSrcSyncMarshalled: number, _cbSrc: number, ArgumentDescriptor: number): number {
  const c = ceCall("CeFreeAsynchronousBuffer");
  const { t, ce } = c;
  const server = c.user ? activeProcess(t) : ce.nk;
  const dups = duplicates(ce);
  const d = dups.get(server, pDestAsyncMarshalled);
  if (!d || d.kind === "open") return E_INVALIDARG;
  dups.remove(server, pDestAsyncMarshalled);
  if (d.kind === "alias") {
    vmFree(ce, t, ce.nk, d.reservation, 0, MEM_RELEASE, false);
    return S_OK;
  }
  try {
    if (ArgumentDescriptor & ARG_O_BIT && d.sourceVm.state !== "exited") writeToVm(t, d.sourceVm, d.source, c.m.mmu.readBytes(pDestAsyncMarshalled, d.size));
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
  } finally {
    releaseIn(ce, server, d.reservation);
  }
  return S_OK;
}

/**
 * MapCallerPtr. CE 6.0 no longer supports it: coredll only prints a warning and returns the
 * pointer unchanged (pointer parameters are already checked, embedded ones need
 * CeOpenCallerBuffer). In CE 5.0 mode it checks the pointer against the caller: NULL when a
 * user-mode caller could not access [ptr, ptr + dwLen).
 */
export function MapCallerPtr(ptr: number, dwLen: number): number {
  const c = ceCall("MapCallerPtr");
  const { t, ce, m } = c;
  if (ce.version === "6.0") {
    if (m.trace.on) m.trace.emit("DebugPrint", { text: `!!!Calling MapCallerPtr!!! (not supported in CE 6.0: the pointer ${hex(ptr)} is returned unchanged; use CeOpenCallerBuffer for embedded pointers)`, mode: t.mode === KernelMode ? "KernelMode" : "UserMode" });
    return ptr;
  }
  const frame = currentFrame(t);
  return mapCallerPointer(ptr >>> 0, dwLen, frame ? frame.fromUserMode : c.user);
}

/** True when the calling thread could not access [lp, lp + ucb) now (for writing when `write`). */
function isBadPtr(t: KThread, lp: number, ucb: number, write: boolean): boolean {
  if (!Number.isInteger(lp) || !Number.isInteger(ucb) || ucb < 0) return true;
  if (ucb === 0) return false;
  const user = t.mode === UserMode;
  const end = lp + ucb;
  if (end > 2 ** 32) return true;
  // Kernel mode: every kernel address is reported valid, without looking at it (CE's behaviour).
  if (!user && lp >= VM_KMODE_BASE) return false;
  if (user && end > VM_KMODE_BASE) return true;
  const tr = t.currentProcess.translation;
  const table = tr ? (user && tr.userModeTable ? tr.userModeTable : tr.table) : null;
  for (let page = lp - (lp % PAGE_SIZE); page < end; page += PAGE_SIZE) {
    if (!user && page >= VM_KMODE_BASE) break;
    const pte = table ? table.get(page >>> PAGE_SHIFT) : 0;
    if (!(pte & PTE_VALID) || (write && !(pte & PTE_WRITE)) || (user && !(pte & PTE_USER))) return true;
  }
  return false;
}

/** IsBadReadPtr: TRUE when the calling thread cannot read the range now. In kernel mode, any kernel address is "good". */
export function IsBadReadPtr(lp: number, ucb: number): boolean {
  return isBadPtr(ceCall("IsBadReadPtr").t, lp >>> 0, ucb, false);
}

/** IsBadWritePtr: TRUE when the calling thread cannot write the range now. In kernel mode, any kernel address is "good". */
export function IsBadWritePtr(lp: number, ucb: number): boolean {
  return isBadPtr(ceCall("IsBadWritePtr").t, lp >>> 0, ucb, true);
}
