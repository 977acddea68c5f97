/**
 * Looking at a machine from a scenario's checks, as a kernel debugger would: the physical frame
 * behind an address (`!pte`), the IRPs still alive (`!irpfind`), pool use by tag (`!poolused`),
 * the cancel spin lock's owner, contiguous buffers and connected interrupts. Nothing here changes
 * the machine, so a check may call these at any point of a scenario.
 */
import { contiguousAllocations } from "../kernel/api-mm.js";
import { existingInterruptController } from "../kernel/interrupt-object.js";
import type { Machine } from "../kernel/machine.js";
import { poolTag } from "../kernel/pool.js";
import type { KProcess } from "../kernel/process.js";
import { ioManager } from "../io-manager/io-manager.js";

/**
 * The page frame number behind `address`, as the page tables translate it (WinDbg's `!pte`):
 * a user address through `process`'s address space, a system address (0x80000000 and up)
 * through the system page tables, whatever `process` is. -1 when no valid PTE maps the page, or
 * when a user address is given with no process (or one that has no address space any more).
 *
 * Two addresses that map the same frame share memory: how a scenario shows an MDL mapping reaches
 * the app's own pages.
 */
export function pageFrameNumber(machine: Machine, process: KProcess | null, address: number): number {
  return machine.mmu.frameOf(process?.translation?.table ?? null, address >>> 0);
}

/**
 * The IRPs allocated and not yet freed, by label ("irp#2"), oldest first (WinDbg's `!irpfind`):
 * an IRP alive when a scenario ends was never completed, or completed but never freed.
 */
export function liveIrps(machine: Machine): string[] {
  return [...ioManager(machine).liveIrps].map((irp) => irp.label);
}

/** What {@link poolUsage} counts. */
export interface PoolUsage {
  /** Blocks allocated and not freed. */
  readonly blocks: number;
  /** Bytes those blocks hold (as requested, without pool headers). */
  readonly bytes: number;
}

/** Which pool, and which tag, {@link poolUsage} counts. */
export interface PoolUsageOptions {
  /** NonPagedPool (the default) or PagedPool. */
  readonly pool?: "nonpaged" | "paged";
  /** Only blocks with this pool tag: four characters as ExAllocatePoolWithTag's C literal reads ("Ntfy"), or its ULONG. */
  readonly tag?: string | number;
}

/**
 * Live blocks and bytes in a pool, all of it or one tag's share (WinDbg's `!poolused`): compare
 * before and after to show a driver frees what it allocates.
 */
export function poolUsage(machine: Machine, options: PoolUsageOptions = {}): PoolUsage {
  const pool = options.pool === "paged" ? machine.pagedPool : machine.nonPagedPool;
  if (options.tag === undefined) return { blocks: pool.liveBlockCount, bytes: pool.inUse };
  const stats = pool.tags.get(poolTag(options.tag));
  return stats ? { blocks: stats.allocs - stats.frees, bytes: stats.bytes } : { blocks: 0, bytes: 0 };
}

/**
 * Who holds the I/O manager's cancel spin lock (IoAcquireCancelSpinLock), in words, or null when
 * it is free: a scenario's end is a good place to check nobody left it held.
 */
export function cancelSpinLockOwner(machine: Machine): string | null {
  const lock = ioManager(machine).cancelSpinLock;
  return lock.owner === null ? null : lock.ownerDescription;
}

/** One block of MmAllocateContiguousMemory that is still allocated. */
export interface ContiguousBuffer {
  /** Its system virtual address. */
  readonly address: number;
  /** Its size in bytes. */
  readonly size: number;
}

/** The MmAllocateContiguousMemory blocks not yet freed with MmFreeContiguousMemory, in address order. */
export function contiguousBuffers(machine: Machine): ContiguousBuffer[] {
  return [...contiguousAllocations(machine).values()].map((b) => ({ address: b.address, size: b.size })).sort((a, b) => a.address - b.address);
}

/**
 * How many interrupt objects (IoConnectInterrupt) are connected to `vector` now: 0 once every
 * driver that connected it has called IoDisconnectInterrupt.
 */
export function connectedInterrupts(machine: Machine, vector: number): number {
  return existingInterruptController(machine)?.connectedTo(vector).length ?? 0;
}
