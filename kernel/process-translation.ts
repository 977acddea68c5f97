import type { PageTable } from "./page-table.js";

/**
 * What the MMU needs from a process's address space: the page table it translates the
 * process's user addresses with (0x00000000–0x7FFFFFFF), and how to tear it down when the
 * process exits.
 *
 * NT's {@link UserAddressSpace} is one. A layer modelling another system's memory manager (CE
 * 6.0's per-process VM with its kernel-owned shared heap) supplies its own; the MMU only reads
 * the tables.
 */
export interface ProcessTranslation {
  /** PTEs of the user half, as kernel-mode code sees them. */
  readonly table: PageTable;
  /**
   * PTEs of the user half as user-mode code sees them, when they differ from {@link table}
   * (a region the kernel may write but user mode may only read, say). Absent or null: the same.
   */
  readonly userModeTable?: PageTable | null;
  /** Releases every page and mapping (the process has exited). */
  destroy(): void;
}
