import { PAGE_SHIFT } from "./physical-memory.js";

/** Virtual pages per page table (4 MB of address space each, as on x86 without PAE). */
const PTES_PER_TABLE = 1024;
const TABLE_SHIFT = 10;

/**
 * A two-level page table for one half of the 4 GB address space (user or system): a directory
 * of 512 tables, each allocated when a PTE in it is first set.
 */
export class PageTable {
  private readonly tables = new Array<Uint32Array | undefined>(512);
  private tableCount = 0;

  /** The PTE for a virtual page number (0 when none). */
  get(vpn: number): number {
    const t = this.tables[(vpn >>> TABLE_SHIFT) & 511];
    return t ? (t[vpn & (PTES_PER_TABLE - 1)] ?? 0) : 0;
  }

  /** Sets the PTE for a virtual page number. */
  set(vpn: number, pte: number): void {
    const d = (vpn >>> TABLE_SHIFT) & 511;
    let t = this.tables[d];
    if (!t) {
      if (pte === 0) return;
      t = new Uint32Array(PTES_PER_TABLE);
      this.tables[d] = t;
      this.tableCount++;
    }
    t[vpn & (PTES_PER_TABLE - 1)] = pte >>> 0;
  }

  /**
   * The leaf table holding `vpn`'s PTE (1024 entries, indexed by `vpn & 1023`), created when
   * `create` is set: for loops over many consecutive pages.
   */
  leaf(vpn: number, create: boolean): Uint32Array | undefined {
    const d = (vpn >>> TABLE_SHIFT) & 511;
    let t = this.tables[d];
    if (!t && create) {
      t = new Uint32Array(PTES_PER_TABLE);
      this.tables[d] = t;
      this.tableCount++;
    }
    return t;
  }

  /** Host bytes held by the allocated tables. */
  get hostBytes(): number {
    return this.tableCount * PTES_PER_TABLE * 4 + 512 * 8;
  }

  /** Calls `fn` for every non-zero PTE, in address order. */
  forEach(fn: (vpn: number, pte: number) => void): void {
    this.tables.forEach((t, d) => {
      if (!t) return;
      for (let i = 0; i < PTES_PER_TABLE; i++) {
        const pte = t[i] ?? 0;
        if (pte !== 0) fn((d << TABLE_SHIFT) | i, pte);
      }
    });
  }
}

/** Virtual page number of an address. */
export function vpnOf(address: number): number {
  return address >>> PAGE_SHIFT;
}
