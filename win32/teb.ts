/**
 * Per-thread user memory standing in for the stack locals kernel32 keeps there (the
 * IO_STATUS_BLOCK of a non-overlapped DeviceIoControl lives on the caller's stack).
 */
import { MEM_COMMIT, MEM_RESERVE } from "../kernel/memory-constants.js";
import { PAGE_READWRITE } from "../kernel/pte.js";
import type { KThread } from "../kernel/thread.js";

/** A page of the thread's user stack (allocated on first use). */
export function threadScratch(t: KThread): number {
  let base = t.slots.get("win32.stack") as number | undefined;
  if (base === undefined) {
    const space = t.process.addressSpace;
    if (!space) throw new Error(`${t.label} has no user address space`);
    const r = space.allocate(0, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, `stack of ${t.label}`);
    if (r.status !== 0) throw new Error(`cannot allocate a stack page for ${t.label}`);
    base = r.base;
    t.slots.set("win32.stack", base);
  }
  return base;
}
