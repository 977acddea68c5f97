/**
 * One region of CE virtual memory and its reservations (CE 6.0's VM in vm.c): a process's user
 * VM, the kernel's VM, or the shared heap. Reservations start on 64 KB boundaries and are whole
 * pages; a commit, a decommit or a VirtualCopy destination must lie in one reservation; a
 * release names a reservation's base. Every failure is a Win32 error, as CE's VM functions set
 * it (there is no NTSTATUS layer in CE).
 *
 * Pages of a reservation are reserved (PTE 0), committed (PTE_OWNED: the page holds its frame,
 * one reference), or mapped by VirtualCopy: from a physical address or the static kernel
 * mapping (PTE_MAPPED: no reference is held, as CE's VMCopyPhysical takes none), or from
 * another reservation's committed pages (PTE_OWNED with a reference of its own, as CE's
 * DupPhysPage takes one, so the frames outlive the source's release).
 */
import { PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from "../kernel/physical-memory.js";
import { PTE_MAPPED, PTE_OWNED, PTE_USER, pteToProtection } from "../kernel/pte.js";
import type { PteObserver } from "../kernel/address-space.js";
import { ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY, MEM_COMMIT, MEM_FREE, MEM_PRIVATE, MEM_RESERVE, PAGE_NOACCESS } from "./constants.js";
import { VM_BLOCK_SIZE } from "./layout.js";

const BLOCK_PAGES = VM_BLOCK_SIZE / PAGE_SIZE;
const HELD = PTE_OWNED | PTE_MAPPED;

/** Where a region's PTEs live (a PageTable, or a store that keeps two views in step). */
export interface PteStore {
  get(vpn: number): number;
  set(vpn: number, pte: number): void;
}

/** A reservation: pages reserved together by one VirtualAlloc (CE's VA list item). */
export interface CeReservation {
  readonly startVpn: number;
  readonly endVpn: number;
  /** The protection the reservation was made with. */
  readonly protect: number;
  /** What made it ("VirtualAllocEx", "VirtualAllocCopyEx", "MmMapIoSpace", …). */
  readonly origin: string;
}

/** A reservation with the number of its pages that hold a frame (committed or VirtualCopy-mapped). */
interface Reservation extends CeReservation {
  /** Lets a VirtualCopy destination check of a reservation with no such page skip the page walk. */
  held: number;
}

/** A region of CE virtual memory. */
export interface CeVmOptions {
  /** For messages and traces ("app.exe user VM", "kernel VM", "shared heap"). */
  readonly name: string;
  /** Pages carry PTE_USER (the process's own VM and the shared heap) or not (kernel VM). */
  readonly userAccessible: boolean;
  /** Reservations lie in [start, end). */
  readonly start: number;
  readonly end: number;
}

/** The result of {@link CeVm.reserve}. */
export interface CeReserveResult {
  readonly error: number;
  readonly base: number;
  readonly size: number;
}

/** CE's MEMORY_BASIC_INFORMATION for one address. */
export interface CeMemoryInfo {
  /** The base address of the region of pages. */
  readonly BaseAddress: number;
  /** The base address of the allocation the region belongs to. */
  readonly AllocationBase: number;
  /** The protection the allocation was made with. */
  readonly AllocationProtect: number;
  /** The region's size: pages from BaseAddress that share the same attributes. */
  readonly RegionSize: number;
  /** MEM_COMMIT, MEM_RESERVE or MEM_FREE. */
  readonly State: number;
  /** The region's current protection (PAGE_*). */
  readonly Protect: number;
  /** MEM_PRIVATE or MEM_MAPPED. */
  readonly Type: number;
}

function pagesFor(base: number, size: number): number {
  return Math.ceil(((base % PAGE_SIZE) + size) / PAGE_SIZE);
}

/** One region of CE virtual memory with its reservations. */
export class CeVm {
  /** Reservations, sorted by start. */
  private readonly list: Reservation[] = [];
  /** CE's vaFree: the lowest address that may be free; searches start here. */
  private vaFreeVpn: number;
  private readonly firstVpn: number;
  private readonly endVpn: number;

  constructor(
    private readonly physical: PhysicalMemory,
    private readonly observer: PteObserver,
    readonly store: PteStore,
    readonly options: CeVmOptions,
  ) {
    this.firstVpn = options.start >>> PAGE_SHIFT;
    this.endVpn = Math.floor(options.end / PAGE_SIZE);
    this.vaFreeVpn = this.firstVpn;
  }

  /** Every reservation, in address order. */
  reservations(): readonly CeReservation[] {
    return this.list;
  }

  /** CE's vaFree: where the next search for free space starts. */
  get vaFree(): number {
    return this.vaFreeVpn * PAGE_SIZE;
  }

  /** The reservation holding a virtual page number, or undefined. */
  reservationOf(vpn: number): Reservation | undefined {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.list[mid] as Reservation;
      if (vpn < r.startVpn) hi = mid - 1;
      else if (vpn >= r.endVpn) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /** The reservation starting exactly at `base`, or undefined. */
  reservationAt(base: number): Reservation | undefined {
    const r = this.reservationOf(base >>> PAGE_SHIFT);
    return r && r.startVpn * PAGE_SIZE === base ? r : undefined;
  }

  private overlaps(startVpn: number, endVpn: number): boolean {
    return this.list.some((r) => r.startVpn < endVpn && startVpn < r.endVpn);
  }

  private insert(r: Reservation): void {
    let i = 0;
    while (i < this.list.length && (this.list[i] as Reservation).startVpn < r.startVpn) i++;
    this.list.splice(i, 0, r);
  }

  /** First-fit search for `pages` free pages on a 64 KB boundary in [fromVpn, endVpn). */
  private search(fromVpn: number, pages: number): number {
    let cursor = Math.ceil(fromVpn / BLOCK_PAGES) * BLOCK_PAGES;
    for (const r of this.list) {
      if (r.endVpn <= cursor) continue;
      if (r.startVpn >= cursor + pages) break;
      cursor = Math.ceil(r.endVpn / BLOCK_PAGES) * BLOCK_PAGES;
    }
    return cursor + pages <= this.endVpn ? cursor : -1;
  }

  /**
   * Reserves pages (VirtualAlloc MEM_RESERVE). With `base` 0 the region finds free space, from
   * vaFree up, then from its start; otherwise the base rounds down to 64 KB and the range must
   * lie in the region and overlap no reservation (ERROR_INVALID_PARAMETER).
   */
  reserve(base: number, size: number, protect: number, origin: string): CeReserveResult {
    const fail = (error: number): CeReserveResult => ({ error, base: 0, size: 0 });
    if (!Number.isInteger(size) || size <= 0) return fail(ERROR_INVALID_PARAMETER);
    let startVpn: number;
    let endVpn: number;
    if (base !== 0) {
      startVpn = Math.floor(base / VM_BLOCK_SIZE) * BLOCK_PAGES;
      endVpn = Math.ceil((base + size) / PAGE_SIZE);
      if (startVpn < this.firstVpn || endVpn > this.endVpn || this.overlaps(startVpn, endVpn)) return fail(ERROR_INVALID_PARAMETER);
    } else {
      const pages = Math.ceil(size / PAGE_SIZE);
      let at = this.search(this.vaFreeVpn, pages);
      if (at < 0) at = this.search(this.firstVpn, pages);
      if (at < 0) return fail(ERROR_NOT_ENOUGH_MEMORY);
      startVpn = at;
      endVpn = at + pages;
    }
    this.insert({ startVpn, endVpn, protect, origin, held: 0 });
    // As CE's DoVMReserve: taking the space at vaFree moves vaFree past it, to the next block.
    if (startVpn <= this.vaFreeVpn && this.vaFreeVpn < endVpn) this.vaFreeVpn = Math.ceil(endVpn / BLOCK_PAGES) * BLOCK_PAGES;
    return { error: 0, base: startVpn * PAGE_SIZE, size: (endVpn - startVpn) * PAGE_SIZE };
  }

  /** True when every page of [startVpn, startVpn + pages) lies in one reservation. */
  inOneReservation(startVpn: number, pages: number): Reservation | undefined {
    const r = this.reservationOf(startVpn);
    return r && startVpn + pages <= r.endVpn ? r : undefined;
  }

  /**
   * Commits the pages of [base, base + size) with `pteBits` (VirtualAlloc MEM_COMMIT): every
   * page in one reservation; pages already committed keep their frame and take the new
   * protection. ERROR_INVALID_PARAMETER outside a reservation, ERROR_NOT_ENOUGH_MEMORY when
   * RAM runs out (nothing is committed then).
   */
  commit(base: number, size: number, pteBits: number): number {
    const startVpn = base >>> PAGE_SHIFT;
    const pages = pagesFor(base, size);
    const r = this.inOneReservation(startVpn, pages);
    if (!r) return ERROR_INVALID_PARAMETER;
    let needed = 0;
    for (let v = startVpn; v < startVpn + pages; v++) if (!(this.store.get(v) & HELD)) needed++;
    const frames = needed > 0 ? this.physical.allocateFrames(needed) : new Int32Array(0);
    if (!frames) return ERROR_NOT_ENOUGH_MEMORY;
    r.held += needed;
    const user = this.options.userAccessible ? PTE_USER : 0;
    let k = 0;
    for (let v = startVpn; v < startVpn + pages; v++) {
      const pte = this.store.get(v);
      if (pte & HELD) {
        this.store.set(v, (pte & ~0xfff) | (pte & HELD) | pteBits | user);
      } else {
        this.store.set(v, ((frames[k++] ?? 0) << PAGE_SHIFT) | PTE_OWNED | pteBits | user);
      }
    }
    this.observer.pteChanged();
    return 0;
  }

  /** Returns pages to reserved; committed frames and VirtualCopy references are released. */
  private clear(r: Reservation, startVpn: number, endVpn: number): void {
    if (r.held === 0) return;
    for (let v = startVpn; v < endVpn; v++) {
      const pte = this.store.get(v);
      if (pte === 0) continue;
      if (pte & PTE_OWNED) this.physical.dereference(pte >>> PAGE_SHIFT);
      if (pte & HELD) r.held--;
      this.store.set(v, 0);
    }
  }

  /**
   * VirtualFree MEM_DECOMMIT: every page of the range in one reservation
   * (ERROR_INVALID_PARAMETER otherwise); committed and copied pages go back to reserved.
   */
  decommit(base: number, size: number): number {
    const startVpn = base >>> PAGE_SHIFT;
    const pages = pagesFor(base, size);
    const r = Number.isInteger(size) && size > 0 ? this.inOneReservation(startVpn, pages) : undefined;
    if (!r) return ERROR_INVALID_PARAMETER;
    this.clear(r, startVpn, startVpn + pages);
    this.observer.pteChanged();
    return 0;
  }

  /**
   * VirtualFree(base, 0, MEM_RELEASE): `base` must be a reservation's base
   * (ERROR_INVALID_PARAMETER otherwise); its committed pages and VirtualCopy mappings go with it.
   */
  release(base: number): { error: number; size: number } {
    const r = this.reservationAt(base);
    if (!r || base % VM_BLOCK_SIZE !== 0) return { error: ERROR_INVALID_PARAMETER, size: 0 };
    this.clear(r, r.startVpn, r.endVpn);
    this.list.splice(this.list.indexOf(r), 1);
    if (r.startVpn < this.vaFreeVpn) this.vaFreeVpn = r.startVpn;
    this.observer.pteChanged();
    return { error: 0, size: (r.endVpn - r.startVpn) * PAGE_SIZE };
  }

  /**
   * True when every page of [startVpn, startVpn + pages) is reserved and not committed, in one
   * reservation: what a VirtualCopy destination must be.
   */
  reservedAndFree(startVpn: number, pages: number): boolean {
    const r = this.inOneReservation(startVpn, pages);
    if (!r) return false;
    if (r.held === 0) return true;
    for (let v = startVpn; v < startVpn + pages; v++) if (this.store.get(v) & HELD) return false;
    return true;
  }

  /**
   * The frames behind [startVpn, startVpn + pages) when every page is committed and in one
   * reservation (a virtual VirtualCopy source); null otherwise.
   */
  committedFrames(startVpn: number, pages: number): number[] | null {
    if (!this.inOneReservation(startVpn, pages)) return null;
    const frames: number[] = [];
    for (let v = startVpn; v < startVpn + pages; v++) {
      const pte = this.store.get(v);
      if (!(pte & HELD)) return null;
      frames.push(pte >>> PAGE_SHIFT);
    }
    return frames;
  }

  /**
   * Maps physically consecutive frames from `firstFrame` (PAGE_PHYSICAL or a static kernel
   * source): no references. The pages must be {@link reservedAndFree}.
   */
  mapPhysical(startVpn: number, firstFrame: number, pages: number, pteBits: number): void {
    this.takeFreePages(startVpn, pages);
    const bits = PTE_MAPPED | pteBits | (this.options.userAccessible ? PTE_USER : 0);
    for (let i = 0; i < pages; i++) this.store.set(startVpn + i, ((firstFrame + i) << PAGE_SHIFT) | bits);
    this.observer.pteChanged();
  }

  /** Maps another reservation's frames (a virtual VirtualCopy source): one reference each. The pages must be {@link reservedAndFree}. */
  mapFrames(startVpn: number, frames: readonly number[], pteBits: number): void {
    this.takeFreePages(startVpn, frames.length);
    const bits = PTE_OWNED | pteBits | (this.options.userAccessible ? PTE_USER : 0);
    frames.forEach((f, i) => {
      this.physical.reference(f);
      this.store.set(startVpn + i, (f << PAGE_SHIFT) | bits);
    });
    this.observer.pteChanged();
  }

  /** Counts pages about to be mapped as held; a caller that skipped the reservedAndFree check is an emulator bug. */
  private takeFreePages(startVpn: number, pages: number): void {
    const r = this.reservedAndFree(startVpn, pages) ? this.reservationOf(startVpn) : undefined;
    if (!r) throw new Error(`${this.options.name}: mapping pages 0x${startVpn.toString(16)}+${pages} that are not reserved and free`);
    r.held += pages;
  }

  /** VirtualQuery for one address of the region. */
  query(va: number): CeMemoryInfo {
    const vpn = va >>> PAGE_SHIFT;
    const r = this.reservationOf(vpn);
    if (!r) {
      let end = this.endVpn;
      for (const x of this.list) {
        if (x.startVpn > vpn) {
          end = x.startVpn;
          break;
        }
      }
      return { BaseAddress: vpn * PAGE_SIZE, AllocationBase: 0, AllocationProtect: 0, RegionSize: (end - vpn) * PAGE_SIZE, State: MEM_FREE, Protect: PAGE_NOACCESS, Type: 0 };
    }
    const first = this.store.get(vpn);
    const committed = (first & HELD) !== 0;
    const protect = committed ? pteToProtection(first) : 0;
    let end = vpn + 1;
    while (end < r.endVpn) {
      const pte = this.store.get(end);
      const c = (pte & HELD) !== 0;
      if (c !== committed || (c && pteToProtection(pte) !== protect)) break;
      end++;
    }
    return {
      BaseAddress: vpn * PAGE_SIZE,
      AllocationBase: r.startVpn * PAGE_SIZE,
      AllocationProtect: r.protect,
      RegionSize: (end - vpn) * PAGE_SIZE,
      State: committed ? MEM_COMMIT : MEM_RESERVE,
      Protect: protect,
      Type: MEM_PRIVATE,
    };
  }

  /** Releases every reservation (the process exited). */
  destroy(): void {
    for (const r of [...this.list]) {
      this.clear(r, r.startVpn, r.endVpn);
      this.list.splice(this.list.indexOf(r), 1);
    }
    this.vaFreeVpn = this.firstVpn;
    this.observer.pteChanged();
  }

}
