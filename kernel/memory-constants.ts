/** MEM_* allocation types and region states (winnt.h), and the 32-bit x86 address layout. */
export const MemoryType = {
  MEM_COMMIT: 0x1000,
  MEM_RESERVE: 0x2000,
  MEM_DECOMMIT: 0x4000,
  MEM_RELEASE: 0x8000,
  MEM_FREE: 0x10000,
  MEM_PRIVATE: 0x20000,
  MEM_MAPPED: 0x40000,
  MEM_RESET: 0x80000,
  MEM_TOP_DOWN: 0x100000,
  MEM_PHYSICAL: 0x400000,
  MEM_IMAGE: 0x1000000,
} as const;

export const {
  MEM_COMMIT,
  MEM_RESERVE,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_FREE,
  MEM_PRIVATE,
  MEM_MAPPED,
  MEM_RESET,
  MEM_TOP_DOWN,
  MEM_PHYSICAL,
  MEM_IMAGE,
} = MemoryType;

/** Lowest user address a reservation may use (the first 64 KB is never mapped). */
export const MM_LOWEST_USER_ADDRESS = 0x00010000;
/** Highest user address (MmHighestUserAddress on 32-bit x86 without /3GB). */
export const MM_HIGHEST_USER_ADDRESS = 0x7ffeffff;
/** Addresses at or above this are system space; user-mode probes fail from here. */
export const MM_USER_PROBE_ADDRESS = 0x7fff0000;
/** Start of system space, shared by every process. */
export const MM_SYSTEM_RANGE_START = 0x80000000;
/** Reservations start on 64 KB boundaries. */
export const ALLOCATION_GRANULARITY = 0x10000;

/** Nonpaged pool virtual range. */
export const NONPAGED_POOL_START = 0x81000000;
export const NONPAGED_POOL_END = 0x90000000;
/** System PTE range: MDL mappings, contiguous buffers, I/O space. */
export const SYSTEM_PTE_START = 0xa0000000;
export const SYSTEM_PTE_END = 0xc0000000;
/** Paged pool virtual range. */
export const PAGED_POOL_START = 0xe1000000;
export const PAGED_POOL_END = 0xf1000000;

/** MEMORY_BASIC_INFORMATION, as NtQueryVirtualMemory returns it. */
export interface MEMORY_BASIC_INFORMATION {
  /** The base address of the region of pages. */
  BaseAddress: number;
  /** The base address of the allocation the region belongs to (VirtualAlloc's result). */
  AllocationBase: number;
  /** The protection the allocation was made with. */
  AllocationProtect: number;
  /** The region's size: pages from BaseAddress that share the same attributes. */
  RegionSize: number;
  /** MEM_COMMIT, MEM_RESERVE or MEM_FREE. */
  State: number;
  /** The region's current protection (PAGE_*). */
  Protect: number;
  /** MEM_PRIVATE, MEM_MAPPED or MEM_IMAGE. */
  Type: number;
}
