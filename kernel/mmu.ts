import { BugCheckCode } from "./bugcheck-codes.js";
import { DISPATCH_LEVEL, KernelMode, UserMode } from "./irql.js";
import { MM_SYSTEM_RANGE_START } from "./memory-constants.js";
import { NtStatusError } from "./nt-status-error.js";
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, PhysicalMemory } from "./physical-memory.js";
import { PTE_GUARD, PTE_MAPPED, PTE_OWNED, PTE_PAGEABLE, PTE_USER, PTE_VALID, PTE_WRITE, clearGuard } from "./pte.js";
import { STATUS_ACCESS_VIOLATION, STATUS_GUARD_PAGE_VIOLATION } from "./status.js";
import type { PageTable } from "./page-table.js";
import type { Machine } from "./machine.js";
import type { PteObserver } from "./address-space.js";
import type { MemoryObserver } from "./hooks.js";

/** The translation context an access runs in. */
interface AccessContext {
  readonly mode: number;
  readonly irql: number;
  readonly user: PageTable | null;
}

const textDecoder = new TextDecoder("utf-16le");

/**
 * Bytes to a string, one character per byte (ISO-8859-1). Not TextDecoder("latin1"): WHATWG maps
 * that label to windows-1252 (0x80 reads as U+20AC), which Node 20 does not do but later versions
 * do, so the round trip with writeAnsiString (which stores `charCode & 0xFF`) would depend on the
 * Node version.
 */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/**
 * Memory access through virtual addresses, page by page, as the current thread sees memory:
 * its process's user space and the shared system space, checked against the current mode,
 * the page protection and the IRQL. Faults raise what NT raises: STATUS_ACCESS_VIOLATION for
 * user addresses (and for user-mode code touching system space), PAGE_FAULT_IN_NONPAGED_AREA
 * for a bad system address in kernel mode, IRQL_NOT_LESS_OR_EQUAL for pageable or invalid
 * memory touched at DISPATCH_LEVEL or above.
 *
 * Consecutive pages backed by consecutive frames of one host chunk are copied as one run, and a
 * one-entry translation cache per direction makes repeated small accesses to a page cheap. Any
 * change to page tables, the current thread, its mode or its IRQL bumps {@link Mmu.gen}, which
 * invalidates the cache.
 */
export class Mmu implements PteObserver {
  /** Generation of the translation state; cached translations of older generations are stale. */
  gen = 0;
  /** Bytes moved by copies between virtual addresses (the zero-copy proof counts these). */
  bytesCopied = 0;
  /**
   * A verifier's watch on memory accesses, called on the slow path only. While it is set no
   * translation is cached, so every access takes the slow path; unset, it costs nothing.
   */
  private watcher: MemoryObserver | null = null;

  /**
   * Special pool's fault mapping (kernel/special-pool.ts), installed once special pool is on:
   * called for a kernel-mode fault on a system address, it raises 0xD6/0xD5 when the address is
   * a guard page or a freed block, and returns otherwise.
   */
  specialPoolFault: ((va: number, write: boolean) => void) | null = null;

  /** Installs (or, with null, removes) the memory observer. */
  setObserver(observer: MemoryObserver | null): void {
    this.watcher = observer;
    this.gen++;
  }

  /** The installed memory observer, if any. */
  get observer(): MemoryObserver | null {
    return this.watcher;
  }

  // One-entry translation caches (read and write).
  private rVpn = -1;
  private rGen = -1;
  private rView: DataView = new DataView(new ArrayBuffer(8));
  private rBase = 0;
  private wVpn = -1;
  private wGen = -1;
  private wView: DataView = new DataView(new ArrayBuffer(8));
  private wBase = 0;

  constructor(
    private readonly machine: Machine,
    readonly physical: PhysicalMemory,
    private readonly systemTable: PageTable,
  ) {}

  /** PteObserver: any PTE change flushes the translation cache. */
  pteChanged(): void {
    this.gen++;
  }

  /** The translation context of the current thread (one reusable object: no allocation per access). */
  private readonly ctx = { mode: 0, irql: 0, user: null as PageTable | null };
  private context(): AccessContext {
    const t = this.machine.runningThread();
    const c = this.ctx;
    if (!t) {
      c.mode = KernelMode;
      c.irql = 0;
      c.user = null;
      return c;
    }
    const space = (t.attachedProcess ?? t.process).translation;
    c.mode = t.mode;
    c.irql = t.irql;
    // A layer's address space may show user mode a different view of the user half.
    c.user = space ? (t.mode === UserMode && space.userModeTable ? space.userModeTable : space.table) : null;
    return c;
  }

  /**
   * Translates one page for an access and returns the PTE (valid and permitted), or raises the
   * fault NT would raise.
   */
  private translate(va: number, write: boolean, ctx: AccessContext): number {
    this.machine.checkAlive();
    if (!(Number.isInteger(va) && va >= 0 && va <= 0xffffffff)) {
      throw new NtStatusError(STATUS_ACCESS_VIOLATION, `STATUS_ACCESS_VIOLATION: ${String(va)} is not an address`, { address: 0, write });
    }
    const vpn = va >>> PAGE_SHIFT;
    const system = va >= MM_SYSTEM_RANGE_START;
    const table = system ? this.systemTable : ctx.user;
    let pte = table ? table.get(vpn) : 0;
    if (pte & PTE_GUARD && table && ctx.irql < DISPATCH_LEVEL) {
      // A guard page fires once, then behaves as its base protection. (Its PTE is not valid, so
      // at DISPATCH_LEVEL or above the fault cannot be serviced: fault() bug-checks below.)
      table.set(vpn, clearGuard(pte));
      this.gen++;
      throw new NtStatusError(STATUS_GUARD_PAGE_VIOLATION, undefined, { address: va, write });
    }
    const userBlocked = ctx.mode === UserMode && (system || !(pte & PTE_USER));
    if (!(pte & PTE_VALID) || userBlocked || (write && !(pte & PTE_WRITE))) {
      this.fault(va, write, ctx, pte, system);
    }
    if (ctx.irql >= DISPATCH_LEVEL && pte & PTE_PAGEABLE && this.physical.lockCount(pte >>> PAGE_SHIFT) === 0) {
      // Pageable memory could be paged out; touching it at DISPATCH_LEVEL cannot be serviced.
      this.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, va, ctx.irql, write ? 1 : 0, 0, {
        detail: `pageable memory at 0x${va.toString(16).toUpperCase()} was touched at IRQL ${ctx.irql}`,
      });
    }
    pte = table ? table.get(vpn) : 0;
    return pte;
  }

  private fault(va: number, write: boolean, ctx: AccessContext, pte: number, system: boolean): never {
    // Special pool's pages fault first: Driver Verifier recognises them whatever the IRQL.
    if (system && ctx.mode === KernelMode && this.specialPoolFault !== null && !(pte & PTE_VALID)) this.specialPoolFault(va, write);
    if (ctx.mode === KernelMode && ctx.irql >= DISPATCH_LEVEL) {
      this.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, va, ctx.irql, write ? 1 : 0, 0, {
        detail: `invalid address 0x${va.toString(16).toUpperCase()} was touched at IRQL ${ctx.irql}`,
      });
    }
    if (ctx.mode === KernelMode && system) {
      if (write && pte & PTE_VALID) {
        this.machine.bugCheck(0xbe, va, pte, 0, 0, { detail: "ATTEMPTED_WRITE_TO_READONLY_MEMORY" });
      }
      this.machine.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, va, write ? 1 : 0, 0, 0, {
        detail: `kernel code touched 0x${va.toString(16).toUpperCase()}, which is not a valid system address`,
      });
    }
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: va, write });
  }

  /**
   * True when a translation may not be cached: a pageable page touched at DISPATCH_LEVEL or
   * above passed only because its frame is locked, and the lock can be dropped without any PTE
   * change (so without a new generation).
   */
  private uncacheable(pte: number, ctx: AccessContext): boolean {
    return ctx.irql >= DISPATCH_LEVEL && (pte & PTE_PAGEABLE) !== 0;
  }

  private fillRead(va: number, n = 1): void {
    const ctx = this.context();
    if (this.watcher !== null) this.watcher(va, n, false);
    const pte = this.translate(va, false, ctx);
    const b = this.physical.backing(pte >>> PAGE_SHIFT);
    this.rVpn = va >>> PAGE_SHIFT;
    this.rGen = this.watcher !== null || this.uncacheable(pte, ctx) ? -1 : this.gen;
    this.rView = b.view;
    this.rBase = b.offset;
  }

  private fillWrite(va: number, n = 1): void {
    const ctx = this.context();
    if (this.watcher !== null) this.watcher(va, n, true);
    const pte = this.translate(va, true, ctx);
    const b = this.physical.backing(pte >>> PAGE_SHIFT);
    this.wVpn = va >>> PAGE_SHIFT;
    this.wGen = this.watcher !== null || this.uncacheable(pte, ctx) ? -1 : this.gen;
    this.wView = b.view;
    this.wBase = b.offset;
  }

  /** Reads a byte. */
  readU8(va: number): number {
    if (va >>> PAGE_SHIFT !== this.rVpn || this.rGen !== this.gen || va >>> 0 !== va) this.fillRead(va);
    return this.rView.getUint8(this.rBase + (va & PAGE_MASK));
  }

  /** Reads a little-endian 16-bit value. */
  readU16(va: number): number {
    if ((va & PAGE_MASK) > PAGE_SIZE - 2) return this.readU8(va) | (this.readU8(va + 1) << 8);
    if (va >>> PAGE_SHIFT !== this.rVpn || this.rGen !== this.gen || va >>> 0 !== va) this.fillRead(va, 2);
    return this.rView.getUint16(this.rBase + (va & PAGE_MASK), true);
  }

  /** Reads a little-endian 32-bit value (unsigned). */
  readU32(va: number): number {
    if ((va & PAGE_MASK) > PAGE_SIZE - 4) {
      return (this.readU16(va) | (this.readU16(va + 2) << 16)) >>> 0;
    }
    if (va >>> PAGE_SHIFT !== this.rVpn || this.rGen !== this.gen || va >>> 0 !== va) this.fillRead(va, 4);
    return this.rView.getUint32(this.rBase + (va & PAGE_MASK), true);
  }

  /** Writes a byte. */
  writeU8(va: number, value: number): void {
    if (va >>> PAGE_SHIFT !== this.wVpn || this.wGen !== this.gen || va >>> 0 !== va) this.fillWrite(va);
    this.wView.setUint8(this.wBase + (va & PAGE_MASK), value);
  }

  /**
   * ProbeForWrite's touch of one byte: faults as a store to `va` would, then stores the byte it
   * holds. An observer sees a write and no read (a probe fetches nothing the driver uses).
   */
  touchForWrite(va: number): void {
    if (va >>> PAGE_SHIFT !== this.wVpn || this.wGen !== this.gen || va >>> 0 !== va) this.fillWrite(va);
    const at = this.wBase + (va & PAGE_MASK);
    this.wView.setUint8(at, this.wView.getUint8(at));
  }

  /** Writes a little-endian 16-bit value. */
  writeU16(va: number, value: number): void {
    if ((va & PAGE_MASK) > PAGE_SIZE - 2) {
      // Check both pages before writing either, as one store would.
      this.translate(va + 1, true, this.context());
      this.writeU8(va, value & 0xff);
      this.writeU8(va + 1, (value >>> 8) & 0xff);
      return;
    }
    if (va >>> PAGE_SHIFT !== this.wVpn || this.wGen !== this.gen || va >>> 0 !== va) this.fillWrite(va, 2);
    this.wView.setUint16(this.wBase + (va & PAGE_MASK), value, true);
  }

  /** Writes a little-endian 32-bit value. */
  writeU32(va: number, value: number): void {
    if ((va & PAGE_MASK) > PAGE_SIZE - 4) {
      this.translate(va + 3, true, this.context());
      this.writeU16(va, value & 0xffff);
      this.writeU16(va + 2, (value >>> 16) & 0xffff);
      return;
    }
    if (va >>> PAGE_SHIFT !== this.wVpn || this.wGen !== this.gen || va >>> 0 !== va) this.fillWrite(va, 4);
    this.wView.setUint32(this.wBase + (va & PAGE_MASK), value >>> 0, true);
  }

  /**
   * Calls `fn(bytes, offset, length, position)` for each run of the range, where a run is a
   * stretch of pages backed by consecutive frames in one host chunk. Each page is checked
   * before its run is used, so a fault leaves earlier runs done, as a real copy loop would.
   */
  private runs(va: number, length: number, write: boolean, fn: (bytes: Uint8Array, offset: number, n: number, pos: number) => void): void {
    this.checkLength(va, length, write);
    if (length === 0) return;
    const ctx = this.context();
    if (this.watcher !== null) this.watcher(va, length, write);
    let pos = 0;
    let cur = va;
    while (pos < length) {
      const pte = this.translate(cur, write, ctx);
      const frame = pte >>> PAGE_SHIFT;
      const b = this.physical.backing(frame);
      const off = cur & PAGE_MASK;
      let n = Math.min(PAGE_SIZE - off, length - pos);
      // Extend the run while the next page maps the next frame of the same chunk.
      let nextFrame = frame + 1;
      let next = cur + n;
      while (pos + n < length && PhysicalMemory.chunkOf(nextFrame) === PhysicalMemory.chunkOf(frame)) {
        const npte = this.peekPte(next, ctx);
        if (npte === 0 || npte >>> PAGE_SHIFT !== nextFrame || !this.permitted(npte, next, write, ctx)) break;
        const add = Math.min(PAGE_SIZE, length - pos - n);
        n += add;
        next += add;
        nextFrame++;
      }
      fn(b.bytes, b.offset + off, n, pos);
      pos += n;
      cur += n;
    }
  }

  private peekPte(va: number, ctx: AccessContext): number {
    const table = va >= MM_SYSTEM_RANGE_START ? this.systemTable : ctx.user;
    return table ? table.get(va >>> PAGE_SHIFT) : 0;
  }

  /** The fast-path permission test; anything unusual goes back through translate(). */
  private permitted(pte: number, va: number, write: boolean, ctx: AccessContext): boolean {
    if (!(pte & PTE_VALID) || pte & PTE_GUARD) return false;
    if (write && !(pte & PTE_WRITE)) return false;
    if (ctx.mode === UserMode && (va >= MM_SYSTEM_RANGE_START || !(pte & PTE_USER))) return false;
    if (ctx.irql >= DISPATCH_LEVEL && pte & PTE_PAGEABLE) return false;
    return (pte & (PTE_OWNED | PTE_MAPPED)) !== 0;
  }

  /** A length must be a whole, non-negative number of bytes that stays below 4 GB. */
  private checkLength(va: number, length: number, write: boolean): void {
    if (!Number.isInteger(length) || length < 0) {
      throw new NtStatusError(STATUS_ACCESS_VIOLATION, `STATUS_ACCESS_VIOLATION: bad length ${String(length)}`, { address: Number.isInteger(va) ? va : 0, write });
    }
    if (length > 0 && va + length - 1 > 0xffffffff) {
      throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: 0xffffffff, write });
    }
  }

  /** Copies bytes out of emulated memory into a new host array. */
  readBytes(va: number, length: number): Uint8Array {
    // Checked before the host array exists: a bad length is an access violation, not a RangeError.
    this.checkLength(va, length, false);
    const out = new Uint8Array(length);
    this.runs(va, length, false, (bytes, off, n, pos) => {
      out.set(bytes.subarray(off, off + n), pos);
    });
    return out;
  }

  /** Copies a host array into emulated memory. */
  writeBytes(va: number, data: Uint8Array): void {
    this.runs(va, data.length, true, (bytes, off, n, pos) => {
      bytes.set(data.subarray(pos, pos + n), off);
    });
  }

  /** Fills a range with one byte value. */
  fill(va: number, length: number, value: number): void {
    this.runs(va, length, true, (bytes, off, n) => {
      bytes.fill(value & 0xff, off, off + n);
    });
  }

  /**
   * Copies between two virtual ranges (RtlCopyMemory), counting the bytes. Overlapping ranges
   * are handled as RtlMoveMemory does.
   */
  copy(dst: number, src: number, length: number): void {
    if (length === 0) return;
    // Small copies inside one page on each side (the IOCTL round trip's case): one translation each.
    if (length <= 512 && (src & PAGE_MASK) + length <= PAGE_SIZE && (dst & PAGE_MASK) + length <= PAGE_SIZE && Number.isInteger(length) && length > 0) {
      const ctx = this.context();
      if (this.watcher !== null) {
        this.watcher(src, length, false);
        this.watcher(dst, length, true);
      }
      const s = this.physical.backing(this.translate(src, false, ctx) >>> PAGE_SHIFT);
      const d = this.physical.backing(this.translate(dst, true, ctx) >>> PAGE_SHIFT);
      const so = s.offset + (src & PAGE_MASK);
      const dOff = d.offset + (dst & PAGE_MASK);
      if (s.bytes === d.bytes) d.bytes.copyWithin(dOff, so, so + length);
      else for (let i = 0; i < length; i++) d.bytes[dOff + i] = s.bytes[so + i] as number;
      this.bytesCopied += length;
      return;
    }
    const overlap = dst < src + length && src < dst + length;
    if (overlap) {
      this.writeBytes(dst, this.readBytes(src, length));
    } else {
      // Gather source runs, then scatter them to the destination.
      const pieces: [Uint8Array, number, number, number][] = [];
      this.runs(src, length, false, (bytes, off, n, pos) => pieces.push([bytes, off, n, pos]));
      let i = 0;
      this.runs(dst, length, true, (bytes, off, n, pos) => {
        let done = 0;
        while (done < n) {
          const p = pieces[i] as [Uint8Array, number, number, number];
          const inPiece = pos + done - p[3];
          const take = Math.min(n - done, p[2] - inPiece);
          bytes.set(p[0].subarray(p[1] + inPiece, p[1] + inPiece + take), off + done);
          done += take;
          if (inPiece + take === p[2]) i++;
        }
      });
    }
    this.bytesCopied += length;
  }

  /** RtlCompareMemory: how many leading bytes are equal. */
  compare(a: number, b: number, length: number): number {
    const x = this.readBytes(a, length);
    const y = this.readBytes(b, length);
    let i = 0;
    while (i < length && x[i] === y[i]) i++;
    return i;
  }

  /** Reads a NUL-terminated 8-bit string (at most `max` characters). */
  readAnsiString(va: number, max = 65536): string {
    let n = 0;
    while (n < max && this.readU8(va + n) !== 0) n++;
    return latin1(this.readBytes(va, n));
  }

  /** Writes an 8-bit string and its NUL. */
  writeAnsiString(va: number, s: string): void {
    const bytes = new Uint8Array(s.length + 1);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) & 0xff;
    this.writeBytes(va, bytes);
  }

  /** Reads a NUL-terminated UTF-16LE string (at most `max` characters). */
  readWideString(va: number, max = 32768): string {
    let n = 0;
    while (n < max && this.readU16(va + 2 * n) !== 0) n++;
    return textDecoder.decode(this.readBytes(va, 2 * n));
  }

  /** Writes a UTF-16LE string and its NUL. */
  writeWideString(va: number, s: string): void {
    const bytes = new Uint8Array(2 * s.length + 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < s.length; i++) view.setUint16(2 * i, s.charCodeAt(i), true);
    this.writeBytes(va, bytes);
  }

  /**
   * Debugger access: reads bytes of a process (or system space) with no mode, protection or
   * IRQL checks and no side effects; unmapped pages read as null. For tests and reports.
   */
  debugRead(user: PageTable | null, va: number, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    for (let pos = 0; pos < length; ) {
      const cur = va + pos;
      const table = cur >= MM_SYSTEM_RANGE_START ? this.systemTable : user;
      const pte = table ? table.get(cur >>> PAGE_SHIFT) : 0;
      if (!(pte & (PTE_OWNED | PTE_MAPPED))) return null;
      // A frame whose chunk was never touched reads as zero; looking must not allocate it.
      const b = this.physical.peekBacking(pte >>> PAGE_SHIFT);
      const off = cur & PAGE_MASK;
      const n = Math.min(PAGE_SIZE - off, length - pos);
      if (b) out.set(b.bytes.subarray(b.offset + off, b.offset + off + n), pos);
      pos += n;
    }
    return out;
  }

  /** The frame behind a virtual address in a given table, or -1 (no checks; for MDLs and reports). */
  frameOf(user: PageTable | null, va: number): number {
    const table = va >= MM_SYSTEM_RANGE_START ? this.systemTable : user;
    const pte = table ? table.get(va >>> PAGE_SHIFT) : 0;
    return pte & (PTE_OWNED | PTE_MAPPED) ? pte >>> PAGE_SHIFT : -1;
  }
}
