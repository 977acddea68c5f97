/**
 * CE 6.0 address spaces on the kernel's MMU: every process owns its lower 2 GB (a private page
 * table for 0x00000000–0x6FFFFFFF) and sees the kernel's shared heap at 0x70000000–0x7FEFFFFF
 * through shared second-level tables — writable in kernel mode, read-only in user mode. The
 * kernel (nk.exe) owns the shared heap and its VM above 0xC0000000; the static mapping of RAM at
 * 0x80000000–0xBFFFFFFF lives in the system page table (see oem-address-table.ts).
 */
import type { PteObserver } from "../kernel/address-space.js";
import { PageTable } from "../kernel/page-table.js";
import type { PhysicalMemory } from "../kernel/physical-memory.js";
import type { ProcessTranslation } from "../kernel/process-translation.js";
import { PTE_WRITE } from "../kernel/pte.js";
import { SplitPageTable } from "../kernel/split-page-table.js";
import { CeVm, type PteStore } from "./ce-vm.js";
import { SHARED_HEAP_FIRST_DIR, VM_DLL_BASE, VM_KERNEL_ALLOC_BASE, VM_KERNEL_ALLOC_END, VM_SHARED_HEAP_BASE, VM_SHARED_HEAP_BOUND, VM_USER_BASE } from "./layout.js";

/**
 * The shared heap's PTEs, kept in two views: the kernel's (as written) and user mode's (the
 * same frames, never writable) — the way CE's page protection gives kernel mode read/write and
 * user mode read-only on the same page.
 */
export class MirroredPteStore implements PteStore {
  constructor(
    readonly kernelView: PageTable,
    readonly userView: PageTable,
  ) {}
  get(vpn: number): number {
    return this.kernelView.get(vpn);
  }
  set(vpn: number, pte: number): void {
    this.kernelView.set(vpn, pte);
    this.userView.set(vpn, pte === 0 ? 0 : pte & ~PTE_WRITE);
  }
}

/** nk.exe's address space: the shared heap below 2 GB, kernel VM above 0xC0000000. */
export class CeKernelSpace implements ProcessTranslation {
  readonly sharedKernelView = new PageTable();
  readonly sharedUserView = new PageTable();
  /** nk.exe's own lower half holds nothing but the shared heap. */
  private readonly empty = new PageTable();
  readonly table: SplitPageTable;
  readonly userModeTable: SplitPageTable;
  /** Kernel VirtualAlloc (and VirtualCopy destinations, MmMapIoSpace) above 0xC0000000. */
  readonly kernelVm: CeVm;
  /** CeVirtualSharedAlloc: kernel-owned pages every process can read. */
  readonly sharedHeap: CeVm;

  constructor(physical: PhysicalMemory, observer: PteObserver, systemTable: PageTable) {
    this.table = new SplitPageTable(this.empty, this.sharedKernelView, SHARED_HEAP_FIRST_DIR);
    this.userModeTable = new SplitPageTable(this.empty, this.sharedUserView, SHARED_HEAP_FIRST_DIR);
    this.kernelVm = new CeVm(physical, observer, systemTable, { name: "kernel VM", userAccessible: false, start: VM_KERNEL_ALLOC_BASE, end: VM_KERNEL_ALLOC_END });
    this.sharedHeap = new CeVm(physical, observer, new MirroredPteStore(this.sharedKernelView, this.sharedUserView), {
      name: "shared heap",
      userAccessible: true,
      start: VM_SHARED_HEAP_BASE,
      end: VM_SHARED_HEAP_BOUND,
    });
  }

  /** nk.exe never exits. */
  destroy(): void {
    // Nothing to tear down: the kernel's VM lives as long as the machine.
  }
}

/** A CE process's own lower 2 GB, with the kernel's shared heap mapped in. */
export class CeProcessSpace implements ProcessTranslation {
  readonly privateTable = new PageTable();
  readonly table: SplitPageTable;
  readonly userModeTable: SplitPageTable;
  /** VirtualAlloc space: 0x00010000–0x3FFFFFFF. */
  readonly vm: CeVm;

  constructor(physical: PhysicalMemory, observer: PteObserver, kernel: CeKernelSpace, name: string) {
    this.table = new SplitPageTable(this.privateTable, kernel.sharedKernelView, SHARED_HEAP_FIRST_DIR);
    this.userModeTable = new SplitPageTable(this.privateTable, kernel.sharedUserView, SHARED_HEAP_FIRST_DIR);
    this.vm = new CeVm(physical, observer, this.privateTable, { name: `${name} VM`, userAccessible: true, start: VM_USER_BASE, end: VM_DLL_BASE });
  }

  /** Process exit: every reservation goes, with its pages and VirtualCopy mappings. */
  destroy(): void {
    this.vm.destroy();
  }
}
