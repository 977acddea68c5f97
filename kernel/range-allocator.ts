/**
 * First-fit allocator of page ranges inside a fixed window (system PTEs, pool virtual space).
 * Free ranges are kept sorted and merged on release, so results are deterministic.
 */
export class RangeAllocator {
  /** Free ranges as [start, end) page numbers, sorted, non-adjacent. */
  private free: [number, number][];
  private inUse = 0;

  constructor(
    readonly firstPage: number,
    readonly endPage: number,
  ) {
    this.free = [[firstPage, endPage]];
  }

  /** Pages currently handed out. */
  get used(): number {
    return this.inUse;
  }

  /** Pages still free. */
  get available(): number {
    return this.endPage - this.firstPage - this.inUse;
  }

  /** Reserves `pages` consecutive pages; -1 when no free range is long enough. */
  allocate(pages: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i] as [number, number];
      if (r[1] - r[0] >= pages) {
        const start = r[0];
        r[0] += pages;
        if (r[0] === r[1]) this.free.splice(i, 1);
        this.inUse += pages;
        return start;
      }
    }
    return -1;
  }

  /** Returns a range to the free list. */
  release(start: number, pages: number): void {
    const end = start + pages;
    let i = 0;
    while (i < this.free.length && (this.free[i] as [number, number])[0] < start) i++;
    this.free.splice(i, 0, [start, end]);
    // Merge with neighbours.
    const merged: [number, number][] = [];
    for (const r of this.free) {
      const last = merged[merged.length - 1];
      if (last && last[1] === r[0]) last[1] = r[1];
      else merged.push([r[0], r[1]]);
    }
    this.free = merged;
    this.inUse -= pages;
  }
}
