/**
 * The OEMAddressTable: how a CE platform statically maps physical memory into the kernel's
 * 0x80000000–0x9FFFFFFF window (cached), with the same frames again at 0xA0000000–0xBFFFFFFF
 * (uncached). Entries are in whole megabytes; the mapping is fixed at boot, valid in kernel mode
 * only, and holds no reference on the frames it maps (it covers all of RAM, whoever owns it).
 */
import { PAGE_SHIFT } from "../kernel/physical-memory.js";
import { PTE_MAPPED, PTE_NOCACHE, PTE_VALID, PTE_WRITE } from "../kernel/pte.js";
import type { PageTable } from "../kernel/page-table.js";
import { VM_STATIC_CACHED_BASE, VM_STATIC_SIZE, VM_STATIC_UNCACHED_BASE } from "./layout.js";

const MB = 0x100000;

/** One OEMAddressTable entry: `size` bytes of physical memory at `physicalBase`, mapped at `virtualBase`. */
export interface OemAddressEntry {
  /** Cached virtual address, 0x80000000–0x9FFFFFFF. */
  readonly virtualBase: number;
  /** The range's physical address. */
  readonly physicalBase: number;
  /** Its size in bytes. */
  readonly size: number;
}

/** The default table: RAM from physical 0 at 0x80000000, up to the 512 MB the window holds. */
export function defaultOemAddressTable(ramBytes: number): OemAddressEntry[] {
  const size = Math.min(VM_STATIC_SIZE, Math.floor(ramBytes / MB) * MB);
  return size > 0 ? [{ virtualBase: VM_STATIC_CACHED_BASE, physicalBase: 0, size }] : [];
}

/**
 * Checks a table: entries in whole megabytes, inside the cached window, not overlapping, with
 * physical addresses below 4 GB. Throws a RangeError naming the entry.
 */
export function checkOemAddressTable(entries: readonly OemAddressEntry[]): void {
  const hex = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase()}`;
  entries.forEach((e, i) => {
    const what = `OEMAddressTable entry ${i} (${hex(e.virtualBase)} → physical ${hex(e.physicalBase)}, ${e.size} bytes)`;
    if (![e.virtualBase, e.physicalBase, e.size].every((n) => Number.isInteger(n) && n % MB === 0) || e.size <= 0) {
      throw new RangeError(`${what}: addresses and size must be whole megabytes`);
    }
    if (e.virtualBase < VM_STATIC_CACHED_BASE || e.virtualBase + e.size > VM_STATIC_CACHED_BASE + VM_STATIC_SIZE) {
      throw new RangeError(`${what}: must lie in the cached static window 0x80000000–0x9FFFFFFF`);
    }
    if (e.physicalBase + e.size > 2 ** 32) throw new RangeError(`${what}: the emulated physical address space is 32 bits`);
    entries.forEach((o, j) => {
      if (j > i && o.virtualBase < e.virtualBase + e.size && e.virtualBase < o.virtualBase + o.size) throw new RangeError(`${what} overlaps entry ${j}`);
    });
  });
}

/**
 * Writes the static mapping into the system page table: each entry cached at its virtual base
 * and uncached 512 MB above. Kernel-mode only (no PTE_USER), read/write, holding no frame.
 */
export function installStaticMapping(systemTable: PageTable, entries: readonly OemAddressEntry[]): void {
  checkOemAddressTable(entries);
  const cached = PTE_VALID | PTE_WRITE | PTE_MAPPED | (2 << 8);
  for (const e of entries) {
    const firstVpn = e.virtualBase >>> PAGE_SHIFT;
    const firstFrame = e.physicalBase >>> PAGE_SHIFT;
    const pages = e.size >>> PAGE_SHIFT;
    const aliasVpn = (VM_STATIC_UNCACHED_BASE - VM_STATIC_CACHED_BASE) >>> PAGE_SHIFT;
    for (let i = 0; i < pages; i++) {
      const frame = (firstFrame + i) << PAGE_SHIFT;
      systemTable.set(firstVpn + i, frame | cached);
      systemTable.set(firstVpn + aliasVpn + i, frame | cached | PTE_NOCACHE);
    }
  }
}

/** The physical address a static kernel address maps, or -1 (not statically mapped). */
export function staticToPhysical(entries: readonly OemAddressEntry[], va: number): number {
  const cachedVa = va >= VM_STATIC_UNCACHED_BASE ? va - (VM_STATIC_UNCACHED_BASE - VM_STATIC_CACHED_BASE) : va;
  for (const e of entries) if (cachedVa >= e.virtualBase && cachedVa < e.virtualBase + e.size) return e.physicalBase + (cachedVa - e.virtualBase);
  return -1;
}

/** The cached static address of a physical address, or -1 (not statically mapped). */
export function physicalToStatic(entries: readonly OemAddressEntry[], pa: number): number {
  for (const e of entries) if (pa >= e.physicalBase && pa < e.physicalBase + e.size) return e.virtualBase + (pa - e.physicalBase);
  return -1;
}
