/**
 * The pointer rules behind CE's marshalling: what a caller may pass (MapCallerPtr's check in
 * CE 5.0, the kernel's argument check and CeOpenCallerBuffer's in CE 6.0), and the record of
 * buffers duplicated into a server for a caller, so they can be copied back and freed.
 */
import type { KProcess } from "../kernel/process.js";
import type { CeMachine } from "./ce-machine.js";
import { VM_KMODE_BASE, VM_USER_BASE } from "./layout.js";

/**
 * MapCallerPtr as CE 5.0's device manager applied it to DeviceIoControl buffers: a pointer a
 * user-mode caller could not access (outside the user half, or wrapping into kernel space)
 * becomes NULL; anything from a kernel-mode caller, and NULL itself, passes unchanged. (CE 5.0
 * would also have translated a slot-relative pointer to the caller's slot; the emulator keeps
 * CE 6.0's flat per-process layout in both modes, so the mapped pointer is the pointer.)
 */
export function mapCallerPointer(ptr: number, length: number, fromUser: boolean): number {
  if (ptr === 0 || !fromUser) return ptr;
  return ptr >= VM_USER_BASE && ptr + Math.max(0, length) <= VM_KMODE_BASE ? ptr : 0;
}

/** A buffer duplicated into a server's address space for a caller. */
export interface DuplicatedBuffer {
  /** The process whose address space holds the duplicate (nk.exe or udevice.exe). */
  readonly serverVm: KProcess;
  /** The caller's address space and address the duplicate stands for. */
  readonly sourceVm: KProcess;
  readonly source: number;
  readonly size: number;
  readonly descriptor: number;
  /** "open": CeOpenCallerBuffer's; "async": CeAllocAsynchronousBuffer's duplicate; "alias": its VirtualAllocCopyEx alias. */
  readonly kind: "open" | "async" | "alias";
  /** The reservation to release when it is freed. */
  readonly reservation: number;
}

const registries = new WeakMap<CeMachine, Map<string, DuplicatedBuffer>>();

function key(vm: KProcess, va: number): string {
  return `${vm.pid}:${va >>> 0}`;
}

/** The machine's record of duplicated buffers. */
export function duplicates(ce: CeMachine): {
  add(va: number, d: DuplicatedBuffer): void;
  get(vm: KProcess, va: number): DuplicatedBuffer | undefined;
  remove(vm: KProcess, va: number): void;
} {
  let map = registries.get(ce);
  if (!map) {
    map = new Map();
    registries.set(ce, map);
  }
  const m = map;
  return {
    add: (va, d) => m.set(key(d.serverVm, va), d),
    get: (vm, va) => m.get(key(vm, va)),
    remove: (vm, va) => m.delete(key(vm, va)),
  };
}
