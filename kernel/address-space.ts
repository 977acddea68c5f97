import {
  ALLOCATION_GRANULARITY,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_TOP_DOWN,
  MM_HIGHEST_USER_ADDRESS,
  MM_LOWEST_USER_ADDRESS,
  type MEMORY_BASIC_INFORMATION,
} from "./memory-constants.js";
import { PageTable } from "./page-table.js";
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from "./physical-memory.js";
import {
  PAGE_NOACCESS,
  PTE_MAPPED,
  PTE_OWNED,
  PTE_PAGEABLE,
  PTE_USER,
  protectionToPteBits,
  pteToProtection,
} from "./pte.js";
import {
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_2,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_5,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NO_MEMORY,
  STATUS_NOT_COMMITTED,
  STATUS_SUCCESS,
  STATUS_UNABLE_TO_FREE_VM,
  type NTSTATUS,
} from "./status.js";

const FIRST_USER_VPN = MM_LOWEST_USER_ADDRESS >>> PAGE_SHIFT;
const END_USER_VPN = (MM_HIGHEST_USER_ADDRESS + 1) >>> PAGE_SHIFT;
const GRANULE_PAGES = ALLOCATION_GRANULARITY >>> PAGE_SHIFT;
const PROT_BITS = 0xff7;

/** A reservation record (VAD): a range of pages reserved together. */
export interface Vad {
  readonly startVpn: number;
  readonly endVpn: number;
  readonly allocationProtect: number;
  /** MEM_PRIVATE for VirtualAlloc'd memory, MEM_MAPPED for mappings of frames owned elsewhere. */
  readonly type: number;
  /** What made it, for traces and leak reports ("VirtualAlloc", "MmMapLockedPages", …). */
  readonly origin: string;
}

/** The result of a virtual-memory service: a status and, on success, the rounded range. */
export interface VmResult {
  status: NTSTATUS;
  base: number;
  size: number;
}

/** Receives every PTE change (the MMU flushes its translation cache). */
export interface PteObserver {
  pteChanged(): void;
}

function isWriteCopy(protect: number): boolean {
  const base = protect & 0xff;
  return base === 0x08 || base === 0x80;
}

function roundUpPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

/**
 * A process's user address space (0x00010000–0x7FFEFFFF): page tables plus reservation records,
 * with the semantics of NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory and
 * NtQueryVirtualMemory.
 */
export class UserAddressSpace {
  readonly table = new PageTable();
  /** Reservations, sorted by start. */
  private readonly vads: Vad[] = [];
  private committedPages = 0;
  /**
   * MmSecureVirtualMemory's ranges (kernel/secure-memory.ts): asked before a free or a protection
   * change of [startVpn, endVpn); `protect` is the new PAGE_* value, or null for a free. Returns
   * STATUS_SUCCESS or why not (STATUS_INVALID_PAGE_PROTECTION). Null while nothing is secured.
   */
  securedCheck: ((startVpn: number, endVpn: number, protect: number | null) => NTSTATUS) | null = null;

  constructor(
    private readonly physical: PhysicalMemory,
    private readonly observer: PteObserver,
  ) {}

  /** Pages currently committed. */
  get committed(): number {
    return this.committedPages;
  }

  /** Every reservation, in address order. */
  regions(): readonly Vad[] {
    return this.vads;
  }

  /** The reservation containing a virtual page number, or undefined. */
  findVad(vpn: number): Vad | undefined {
    let lo = 0;
    let hi = this.vads.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.vads[mid] as Vad;
      if (vpn < v.startVpn) hi = mid - 1;
      else if (vpn >= v.endVpn) lo = mid + 1;
      else return v;
    }
    return undefined;
  }

  private overlaps(startVpn: number, endVpn: number): boolean {
    return this.vads.some((v) => v.startVpn < endVpn && startVpn < v.endVpn);
  }

  private insertVad(vad: Vad): void {
    let i = 0;
    while (i < this.vads.length && (this.vads[i] as Vad).startVpn < vad.startVpn) i++;
    this.vads.splice(i, 0, vad);
  }

  private removeVad(vad: Vad): void {
    const i = this.vads.indexOf(vad);
    if (i >= 0) this.vads.splice(i, 1);
  }

  /** Finds `pages` free pages on a 64 KB boundary, bottom-up (or top-down). */
  private findFree(pages: number, topDown: boolean): number {
    const gaps: [number, number][] = [];
    let cursor = FIRST_USER_VPN;
    for (const v of this.vads) {
      if (v.startVpn > cursor) gaps.push([cursor, v.startVpn]);
      cursor = Math.max(cursor, v.endVpn);
    }
    if (cursor < END_USER_VPN) gaps.push([cursor, END_USER_VPN]);
    if (topDown) gaps.reverse();
    for (const [lo, hi] of gaps) {
      if (topDown) {
        const start = Math.floor((hi - pages) / GRANULE_PAGES) * GRANULE_PAGES;
        if (start >= lo) return start;
      } else {
        const start = Math.ceil(lo / GRANULE_PAGES) * GRANULE_PAGES;
        if (start + pages <= hi) return start;
      }
    }
    return -1;
  }

  /** Commits the pages of [startVpn, endVpn) inside `vad`; protection applies to every page. */
  private commit(startVpn: number, endVpn: number, pteBits: number): NTSTATUS {
    let needed = 0;
    for (let vpn = startVpn; vpn < endVpn; vpn++) if (!(this.table.get(vpn) & PTE_OWNED)) needed++;
    const frames = needed > 0 ? this.physical.allocateFrames(needed) : new Int32Array(0);
    if (!frames) return STATUS_NO_MEMORY;
    let k = 0;
    const flags = pteBits | PTE_OWNED | PTE_USER | PTE_PAGEABLE;
    for (let vpn = startVpn; vpn < endVpn; vpn++) {
      const pte = this.table.get(vpn);
      if (pte & PTE_OWNED) {
        this.table.set(vpn, (pte & ~PROT_BITS) | flags);
      } else {
        this.table.set(vpn, ((frames[k++] ?? 0) << PAGE_SHIFT) | flags);
        this.committedPages++;
      }
    }
    this.observer.pteChanged();
    return STATUS_SUCCESS;
  }

  private decommit(startVpn: number, endVpn: number): void {
    for (let vpn = startVpn; vpn < endVpn; vpn++) {
      const pte = this.table.get(vpn);
      if (pte & PTE_OWNED) {
        this.physical.dereference(pte >>> PAGE_SHIFT);
        this.committedPages--;
      }
      if (pte !== 0) this.table.set(vpn, 0);
    }
    this.observer.pteChanged();
  }

  /**
   * NtAllocateVirtualMemory: reserve and/or commit. A reservation's base rounds down to 64 KB;
   * a commit's range rounds out to whole pages and must lie inside one reservation. A base of 0
   * picks free space (bottom-up, or top-down with MEM_TOP_DOWN); MEM_COMMIT alone with base 0
   * reserves too.
   */
  allocate(base: number, size: number, allocationType: number, protect: number, origin = "VirtualAlloc"): VmResult {
    const fail = (status: NTSTATUS): VmResult => ({ status, base: 0, size: 0 });
    if (allocationType & ~(MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN | MEM_RESET)) return fail(STATUS_INVALID_PARAMETER_5);
    if (allocationType & MEM_RESET) {
      // MEM_RESET must stand alone; the emulator has no paging file, so it only validates.
      if (allocationType & (MEM_COMMIT | MEM_RESERVE)) return fail(STATUS_INVALID_PARAMETER_5);
      return this.resetRange(base, size);
    }
    if (!(allocationType & (MEM_COMMIT | MEM_RESERVE))) return fail(STATUS_INVALID_PARAMETER_5);
    const bits = protectionToPteBits(protect);
    // Private memory cannot be copy-on-write: WRITECOPY is refused for reserve and commit.
    if (bits === null || isWriteCopy(protect)) return fail(STATUS_INVALID_PAGE_PROTECTION);
    if (!Number.isInteger(base) || base < 0 || base > MM_HIGHEST_USER_ADDRESS) return fail(STATUS_INVALID_PARAMETER_2);
    if (!Number.isInteger(size) || size <= 0) return fail(STATUS_INVALID_PARAMETER_4);
    if (base + size - 1 > MM_HIGHEST_USER_ADDRESS) return fail(STATUS_INVALID_PARAMETER_4);

    const reserve = (allocationType & MEM_RESERVE) !== 0 || base === 0;
    if (reserve) {
      let startVpn: number;
      let endVpn: number;
      if (base !== 0) {
        startVpn = Math.floor(base / ALLOCATION_GRANULARITY) * GRANULE_PAGES;
        endVpn = roundUpPage(base + size) >>> PAGE_SHIFT;
        if (startVpn < FIRST_USER_VPN) return fail(STATUS_INVALID_PARAMETER_2);
        if (this.overlaps(startVpn, endVpn)) return fail(STATUS_CONFLICTING_ADDRESSES);
      } else {
        const pages = roundUpPage(size) >>> PAGE_SHIFT;
        startVpn = this.findFree(pages, (allocationType & MEM_TOP_DOWN) !== 0);
        if (startVpn < 0) return fail(STATUS_NO_MEMORY);
        endVpn = startVpn + pages;
      }
      const vad: Vad = { startVpn, endVpn, allocationProtect: protect, type: MEM_PRIVATE, origin };
      this.insertVad(vad);
      if (allocationType & MEM_COMMIT) {
        const st = this.commit(startVpn, endVpn, bits);
        if (st !== STATUS_SUCCESS) {
          this.removeVad(vad);
          return fail(st);
        }
      }
      return { status: STATUS_SUCCESS, base: startVpn << PAGE_SHIFT, size: (endVpn - startVpn) << PAGE_SHIFT };
    }

    const startVpn = base >>> PAGE_SHIFT;
    const endVpn = roundUpPage(base + size) >>> PAGE_SHIFT;
    const vad = this.findVad(startVpn);
    if (!vad || endVpn > vad.endVpn || vad.type !== MEM_PRIVATE) return fail(STATUS_CONFLICTING_ADDRESSES);
    const st = this.commit(startVpn, endVpn, bits);
    if (st !== STATUS_SUCCESS) return fail(st);
    return { status: STATUS_SUCCESS, base: startVpn << PAGE_SHIFT, size: (endVpn - startVpn) << PAGE_SHIFT };
  }

  private resetRange(base: number, size: number): VmResult {
    const startVpn = base >>> PAGE_SHIFT;
    const endVpn = roundUpPage(base + size) >>> PAGE_SHIFT;
    const vad = this.findVad(startVpn);
    if (!vad || endVpn > vad.endVpn) return { status: STATUS_CONFLICTING_ADDRESSES, base: 0, size: 0 };
    return { status: STATUS_SUCCESS, base: startVpn << PAGE_SHIFT, size: (endVpn - startVpn) << PAGE_SHIFT };
  }

  /**
   * NtFreeVirtualMemory: MEM_DECOMMIT returns pages to reserved (size 0: to the end of the
   * reservation); MEM_RELEASE frees a whole reservation and must name its base.
   */
  free(base: number, size: number, freeType: number): VmResult {
    const fail = (status: NTSTATUS): VmResult => ({ status, base: 0, size: 0 });
    if (freeType !== MEM_DECOMMIT && freeType !== MEM_RELEASE) return fail(STATUS_INVALID_PARAMETER_4);
    if (!Number.isInteger(base) || base < 0 || base > MM_HIGHEST_USER_ADDRESS) return fail(STATUS_INVALID_PARAMETER_2);
    if (!Number.isInteger(size) || size < 0) return fail(STATUS_INVALID_PARAMETER_3);
    const startVpn = base >>> PAGE_SHIFT;
    const vad = this.findVad(startVpn);
    if (!vad) return fail(STATUS_MEMORY_NOT_ALLOCATED);
    if (vad.type !== MEM_PRIVATE) return fail(STATUS_UNABLE_TO_FREE_VM);
    const endVpn = size === 0 ? vad.endVpn : roundUpPage(base + size) >>> PAGE_SHIFT;
    if (this.securedCheck !== null) {
      const secured = freeType === MEM_RELEASE ? this.securedCheck(vad.startVpn, vad.endVpn, null) : this.securedCheck(startVpn, endVpn, null);
      if (secured !== STATUS_SUCCESS) return fail(secured);
    }
    if (freeType === MEM_RELEASE) {
      if (startVpn !== vad.startVpn) return fail(STATUS_FREE_VM_NOT_AT_BASE);
      if (endVpn !== vad.endVpn) return fail(STATUS_UNABLE_TO_FREE_VM);
      this.decommit(vad.startVpn, vad.endVpn);
      this.removeVad(vad);
      return { status: STATUS_SUCCESS, base: vad.startVpn << PAGE_SHIFT, size: (vad.endVpn - vad.startVpn) << PAGE_SHIFT };
    }
    // Decommitting with size 0 means "the whole reservation" and must name its base.
    if (size === 0 && startVpn !== vad.startVpn) return fail(STATUS_FREE_VM_NOT_AT_BASE);
    if (endVpn > vad.endVpn) return fail(STATUS_UNABLE_TO_FREE_VM);
    this.decommit(startVpn, endVpn);
    return { status: STATUS_SUCCESS, base: startVpn << PAGE_SHIFT, size: (endVpn - startVpn) << PAGE_SHIFT };
  }

  /**
   * NtProtectVirtualMemory: every page of the range must be committed and in one reservation.
   * Returns the old protection of the first page.
   */
  protect(base: number, size: number, newProtect: number): VmResult & { oldProtect: number } {
    const fail = (status: NTSTATUS) => ({ status, base: 0, size: 0, oldProtect: 0 });
    const bits = protectionToPteBits(newProtect);
    if (bits === null) return fail(STATUS_INVALID_PAGE_PROTECTION);
    if (!Number.isInteger(base) || base < 0 || base > MM_HIGHEST_USER_ADDRESS) return fail(STATUS_INVALID_PARAMETER_2);
    if (!Number.isInteger(size) || size <= 0) return fail(STATUS_INVALID_PARAMETER_3);
    const startVpn = base >>> PAGE_SHIFT;
    const endVpn = roundUpPage(base + size) >>> PAGE_SHIFT;
    const vad = this.findVad(startVpn);
    // Protecting memory outside any reservation is STATUS_CONFLICTING_ADDRESSES (MiProtectVirtualMemory).
    if (!vad || endVpn > vad.endVpn) return fail(STATUS_CONFLICTING_ADDRESSES);
    if (vad.type === MEM_PRIVATE && isWriteCopy(newProtect)) return fail(STATUS_INVALID_PARAMETER_4);
    if (this.securedCheck !== null) {
      const secured = this.securedCheck(startVpn, endVpn, newProtect);
      if (secured !== STATUS_SUCCESS) return fail(secured);
    }
    for (let vpn = startVpn; vpn < endVpn; vpn++) {
      if (!(this.table.get(vpn) & (PTE_OWNED | PTE_MAPPED))) return fail(STATUS_NOT_COMMITTED);
    }
    const oldProtect = pteToProtection(this.table.get(startVpn));
    for (let vpn = startVpn; vpn < endVpn; vpn++) {
      const pte = this.table.get(vpn);
      this.table.set(vpn, (pte & ~PROT_BITS) | bits | (pte & (PTE_OWNED | PTE_MAPPED | PTE_USER | PTE_PAGEABLE)));
    }
    this.observer.pteChanged();
    return { status: STATUS_SUCCESS, base: startVpn << PAGE_SHIFT, size: (endVpn - startVpn) << PAGE_SHIFT, oldProtect };
  }

  /** NtQueryVirtualMemory(MemoryBasicInformation) for one address. */
  query(address: number): { status: NTSTATUS; info: MEMORY_BASIC_INFORMATION | null } {
    if (!Number.isInteger(address) || address < 0 || address > MM_HIGHEST_USER_ADDRESS) {
      return { status: STATUS_INVALID_PARAMETER, info: null };
    }
    const vpn = address >>> PAGE_SHIFT;
    const vad = this.findVad(vpn);
    if (!vad) {
      let end = END_USER_VPN;
      for (const v of this.vads) {
        if (v.startVpn > vpn) {
          end = v.startVpn;
          break;
        }
      }
      return {
        status: STATUS_SUCCESS,
        info: {
          BaseAddress: vpn << PAGE_SHIFT,
          AllocationBase: 0,
          AllocationProtect: 0,
          RegionSize: (end - vpn) << PAGE_SHIFT,
          State: MEM_FREE,
          Protect: PAGE_NOACCESS,
          Type: 0,
        },
      };
    }
    const first = this.table.get(vpn);
    const committed = (first & (PTE_OWNED | PTE_MAPPED)) !== 0;
    const key = committed ? pteToProtection(first) : -1;
    let end = vpn + 1;
    while (end < vad.endVpn) {
      const pte = this.table.get(end);
      const c = (pte & (PTE_OWNED | PTE_MAPPED)) !== 0;
      if (c !== committed || (c && pteToProtection(pte) !== key)) break;
      end++;
    }
    return {
      status: STATUS_SUCCESS,
      info: {
        BaseAddress: vpn << PAGE_SHIFT,
        AllocationBase: vad.startVpn << PAGE_SHIFT,
        AllocationProtect: vad.allocationProtect,
        RegionSize: (end - vpn) << PAGE_SHIFT,
        State: committed ? MEM_COMMIT : MEM_RESERVE,
        Protect: committed ? key : 0,
        Type: vad.type,
      },
    };
  }

  /**
   * Maps frames owned elsewhere (an MDL's locked pages) into free user space, as
   * MmMapLockedPagesSpecifyCache(UserMode) does. Returns the base, or 0 when no space is free.
   */
  mapFrames(frames: ArrayLike<number>, writable: boolean, origin: string, pageable = false): number {
    const pages = frames.length;
    const startVpn = this.findFree(pages, false);
    if (startVpn < 0) return 0;
    const protect = writable ? 0x04 : 0x02;
    this.insertVad({ startVpn, endVpn: startVpn + pages, allocationProtect: protect, type: MEM_MAPPED, origin });
    const bits = (protectionToPteBits(protect) ?? 0) | PTE_MAPPED | PTE_USER | (pageable ? PTE_PAGEABLE : 0);
    for (let i = 0; i < pages; i++) this.table.set(startVpn + i, ((frames[i] ?? 0) << PAGE_SHIFT) | bits);
    this.observer.pteChanged();
    return startVpn << PAGE_SHIFT;
  }

  /**
   * Maps frames owned elsewhere (a section's pages: a view) at `base` (0: the system chooses,
   * bottom-up or `topDown`), with `protect` (a valid PAGE_* value). A base that is not a multiple
   * of 64 KB is STATUS_MAPPED_ALIGNMENT's caller's to refuse; a range that is not free here is
   * STATUS_CONFLICTING_ADDRESSES, no room STATUS_NO_MEMORY.
   */
  mapFramesAt(base: number, frames: ArrayLike<number>, protect: number, origin: string, topDown = false): VmResult {
    const pages = frames.length;
    const bits = protectionToPteBits(protect);
    if (bits === null) return { status: STATUS_INVALID_PAGE_PROTECTION, base: 0, size: 0 };
    let startVpn: number;
    if (base === 0) {
      startVpn = this.findFree(pages, topDown);
      if (startVpn < 0) return { status: STATUS_NO_MEMORY, base: 0, size: 0 };
    } else {
      startVpn = base >>> PAGE_SHIFT;
      if (startVpn < FIRST_USER_VPN || startVpn + pages > END_USER_VPN) return { status: STATUS_INVALID_PARAMETER_3, base: 0, size: 0 };
      if (this.overlaps(startVpn, startVpn + pages)) return { status: STATUS_CONFLICTING_ADDRESSES, base: 0, size: 0 };
    }
    this.insertVad({ startVpn, endVpn: startVpn + pages, allocationProtect: protect, type: MEM_MAPPED, origin });
    const flags = bits | PTE_MAPPED | PTE_USER;
    for (let i = 0; i < pages; i++) this.table.set(startVpn + i, ((frames[i] ?? 0) << PAGE_SHIFT) | flags);
    this.observer.pteChanged();
    return { status: STATUS_SUCCESS, base: startVpn << PAGE_SHIFT, size: pages << PAGE_SHIFT };
  }

  /** Removes a mapping made by {@link mapFrames}; false when `base` does not start one. */
  unmapFrames(base: number): boolean {
    const vpn = base >>> PAGE_SHIFT;
    const vad = this.findVad(vpn);
    if (!vad || vad.startVpn !== vpn || vad.type !== MEM_MAPPED) return false;
    for (let v = vad.startVpn; v < vad.endVpn; v++) this.table.set(v, 0);
    this.removeVad(vad);
    this.observer.pteChanged();
    return true;
  }

  /** Tears the whole space down (process exit): every page decommitted, every mapping removed. */
  destroy(): void {
    for (const vad of [...this.vads]) {
      if (vad.type === MEM_PRIVATE) this.decommit(vad.startVpn, vad.endVpn);
      else for (let v = vad.startVpn; v < vad.endVpn; v++) this.table.set(v, 0);
      this.removeVad(vad);
    }
    this.observer.pteChanged();
  }
}

export { FIRST_USER_VPN, END_USER_VPN, PAGE_MASK };
