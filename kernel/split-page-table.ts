import { PageTable } from "./page-table.js";

/** Page-directory entries per half of the address space (4 MB each). */
const DIRECTORY_ENTRIES = 512;

/**
 * A page table whose lower directory entries come from one table and whose upper entries, from
 * `splitDir` on, come from another — the way page directories share second-level tables, so a
 * region owned by the kernel (CE's shared heap) appears in every process at the same address.
 * Reads and writes go to the table that owns the directory entry.
 */
export class SplitPageTable extends PageTable {
  /**
   * @param lower owns directory entries [0, splitDir): 4 MB each.
   * @param upper owns directory entries [splitDir, 512).
   * @param splitDir the first directory entry of `upper`.
   */
  constructor(
    readonly lower: PageTable,
    readonly upper: PageTable,
    readonly splitDir: number,
  ) {
    super();
    if (!Number.isInteger(splitDir) || splitDir < 0 || splitDir > DIRECTORY_ENTRIES) throw new RangeError(`splitDir must be 0–512 (got ${String(splitDir)})`);
  }

  private owner(vpn: number): PageTable {
    return ((vpn >>> 10) & 511) < this.splitDir ? this.lower : this.upper;
  }

  override get(vpn: number): number {
    return this.owner(vpn).get(vpn);
  }

  override set(vpn: number, pte: number): void {
    this.owner(vpn).set(vpn, pte);
  }

  override leaf(vpn: number, create: boolean): Uint32Array | undefined {
    return this.owner(vpn).leaf(vpn, create);
  }

  /** Host bytes of both tables (a table shared with other split tables counts in each). */
  override get hostBytes(): number {
    return this.lower.hostBytes + this.upper.hostBytes;
  }

  override forEach(fn: (vpn: number, pte: number) => void): void {
    this.lower.forEach((vpn, pte) => {
      if (((vpn >>> 10) & 511) < this.splitDir) fn(vpn, pte);
    });
    this.upper.forEach((vpn, pte) => {
      if (((vpn >>> 10) & 511) >= this.splitDir) fn(vpn, pte);
    });
  }
}
