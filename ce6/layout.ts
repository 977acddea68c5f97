/**
 * Windows Embedded CE 6.0's virtual address layout (vmlayout.h; Learn "Memory Architecture",
 * "Drivers and Process Address Spaces"), as the emulator lays it out on ARM-style "old" static
 * mapping: 32-bit, 4 KB pages, reservations on 64 KB boundaries.
 *
 *   0x00000000–0x0000FFFF  never mapped
 *   0x00010000–0x3FFFFFFF  per process: code, data, heaps, stacks (VirtualAlloc)
 *   0x40000000–0x5FFFFFFF  per process: DLL code
 *   0x60000000–0x6FFFFFFF  per process: RAM-backed memory-mapped files
 *   0x70000000–0x7FEFFFFF  shared heap: owned by the kernel, read-only to user mode
 *   0x7FF00000–0x7FFFFFFF  unmapped guard
 *   0x80000000–0x9FFFFFFF  statically mapped RAM, cached (OEMAddressTable), kernel mode only
 *   0xA0000000–0xBFFFFFFF  the same frames uncached
 *   0xC0000000–0xEFFFFFFF  kernel VM: kernel XIP DLLs, object store, kernel VirtualAlloc
 *   0xF0000000–0xFFFFFFFF  CPU-specific
 */

/** First user address (the first 64 KB is never mapped). */
export const VM_USER_BASE = 0x00010000;
/** Per-process DLL code; user VirtualAlloc reservations stay below it. */
export const VM_DLL_BASE = 0x40000000;
/** RAM-backed memory-mapped files. */
export const VM_RAM_MAP_BASE = 0x60000000;
/** The kernel-owned shared heap, visible (read-only) in every process. */
export const VM_SHARED_HEAP_BASE = 0x70000000;
/** End of the shared heap: the last 1 MB of the user half is an unmapped guard. */
export const VM_SHARED_HEAP_BOUND = 0x7ff00000;
/** Kernel-mode addresses start here. */
export const VM_KMODE_BASE = 0x80000000;
/** Statically mapped RAM, cached. */
export const VM_STATIC_CACHED_BASE = 0x80000000;
/** The same frames, uncached. */
export const VM_STATIC_UNCACHED_BASE = 0xa0000000;
/** Size of each static window (512 MB). */
export const VM_STATIC_SIZE = 0x20000000;
/** Kernel VM (kernel XIP DLLs, object store, kernel VirtualAlloc). */
export const VM_KVM_BASE = 0xc0000000;
/** Where kernel-mode VirtualAlloc reservations are placed. */
export const VM_KERNEL_ALLOC_BASE = 0xd0000000;
export const VM_KERNEL_ALLOC_END = 0xe0000000;
/** Where the emulator parks the NT pools and system PTEs a CE machine never uses. */
export const VM_NT_POOLS_BASE = 0xe0000000;
/** CPU-specific region. */
export const VM_CPU_SPECIFIC_BASE = 0xf0000000;

/** Reservations start on 64 KB boundaries. */
export const VM_BLOCK_SIZE = 0x10000;
/** 4 KB pages. */
export const VM_PAGE_SIZE = 0x1000;
/** CE 5.0's VirtualCopy could not cross a 32 MB section (a process slot's size). */
export const CE5_SECTION_SIZE = 0x02000000;

/** Page-directory entry of the shared heap (4 MB per entry). */
export const SHARED_HEAP_FIRST_DIR = VM_SHARED_HEAP_BASE >>> 22;

/** True for an address in the statically mapped kernel windows (cached or uncached). */
export function isStaticKernelVa(va: number): boolean {
  return va >= VM_STATIC_CACHED_BASE && va < VM_KVM_BASE;
}

/** True for an address in the shared heap. */
export function isInSharedHeap(va: number): boolean {
  return va >= VM_SHARED_HEAP_BASE && va < VM_SHARED_HEAP_BOUND;
}

/**
 * IsValidUsrPtr (vmlayout.h): a user pointer the kernel accepts from user mode — at or above
 * 0x10000, and ending below the shared heap for something written, below its bound for
 * something only read (user mode may read the shared heap, not write it).
 */
export function isValidUserPointer(ptr: number, size: number, write: boolean): boolean {
  if (!Number.isInteger(ptr) || !Number.isInteger(size) || size < 0 || size > 0x7fffffff) return false;
  return ptr >= VM_USER_BASE && ptr + size < (write ? VM_SHARED_HEAP_BASE : VM_SHARED_HEAP_BOUND);
}
