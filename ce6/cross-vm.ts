/**
 * Copies between address spaces on behalf of the kernel (ReadProcessMemory/WriteProcessMemory's
 * mechanism, and what the reflector and CeOpenCallerBuffer do in a user-mode server): the
 * thread borrows the other process's address space in kernel mode for the access.
 */
import { KernelMode } from "../kernel/irql.js";
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";

function withVm<T>(t: KThread, vm: KProcess, fn: () => T): T {
  const attached = t.attachedProcess;
  const mode = t.mode;
  t.attachedProcess = vm === t.process ? null : vm;
  t.mode = KernelMode;
  t.machine.mmu.gen++;
  try {
    return fn();
  } finally {
    t.attachedProcess = attached;
    t.mode = mode;
    t.machine.mmu.gen++;
  }
}

/** Reads `length` bytes at `va` in `vm`'s address space (raises STATUS_ACCESS_VIOLATION on a bad address). */
export function readFromVm(t: KThread, vm: KProcess, va: number, length: number): Uint8Array {
  return withVm(t, vm, () => t.machine.mmu.readBytes(va, length));
}

/** Writes `bytes` at `va` in `vm`'s address space, counting them as copied. */
export function writeToVm(t: KThread, vm: KProcess, va: number, bytes: Uint8Array): void {
  withVm(t, vm, () => {
    t.machine.mmu.writeBytes(va, bytes);
  });
  t.machine.mmu.bytesCopied += bytes.length;
}
