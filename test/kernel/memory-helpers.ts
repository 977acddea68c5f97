/**
 * Helpers shared by the memory-layer tests: processes whose address spaces a test drives
 * directly, and accesses made "as" one of their threads without running the scheduler.
 */
import { expect } from "chai";
import type { UserAddressSpace } from "../../kernel/address-space.js";
import { BugCheckError } from "../../kernel/bugcheck.js";
import type { Machine } from "../../kernel/machine.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { PTE_OWNED } from "../../kernel/pte.js";
import type { KProcess } from "../../kernel/process.js";
import type { KThread } from "../../kernel/thread.js";

/** A process that is created but never scheduled, so its address space lives until the test ends. */
export function idleProcess(
  m: Machine,
  name = "idle.exe",
): { process: KProcess; space: UserAddressSpace; thread: KThread } {
  const process = m.createProcess(name, () => undefined);
  const space = process.addressSpace;
  const thread = process.threads[0];
  if (!space || !thread) throw new Error("createProcess gave no address space or main thread");
  return { process, space, thread };
}

/**
 * Runs `fn` with `thread` as the current thread (its process, its mode, its IRQL), as the
 * scheduler does at a context switch, and switches back afterwards. Accesses made by `fn`
 * through the machine's MMU are checked exactly as that thread's would be.
 */
export function asThread<T>(m: Machine, thread: KThread | null, fn: () => T): T {
  const previous = m.runningThread();
  m.setCurrent(thread);
  try {
    return fn();
  } finally {
    m.setCurrent(previous);
  }
}

/** Calls `fn` and returns the NtStatusError it raises; fails the test if it raises anything else or nothing. */
export function ntError(fn: () => unknown): NtStatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NtStatusError) return e;
    throw new Error(
      `expected an NtStatusError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      { cause: e },
    );
  }
  throw new Error("expected an NtStatusError, but the call succeeded");
}

/** Asserts `e` is a bug check and returns it. */
export function asBugCheck(e: unknown): BugCheckError {
  expect(e, "expected a bug check").to.be.instanceOf(BugCheckError);
  return e as BugCheckError;
}

/** Frames owned by system-space PTEs (pool pages, contiguous buffers). */
export function systemOwnedFrames(m: Machine): number {
  let n = 0;
  m.system.table.forEach((_vpn, pte) => {
    if (pte & PTE_OWNED) n++;
  });
  return n;
}

/** The line number of the call to thisLine (through tsx's source maps), for "names the source line" checks. */
export function thisLine(): number {
  const stack = new Error().stack ?? "";
  const frame = stack.split("\n")[2] ?? "";
  const match = /:(\d+):\d+\)?$/.exec(frame);
  return match ? Number(match[1]) : -1;
}
