/**
 * Test helpers: run code on an emulated thread and get its result back.
 */
import { Machine, type MachineOptions, type RunResult } from "../kernel/machine.js";
import type { KProcess } from "../kernel/process.js";

/** A fresh machine with a small RAM (tests rarely need more) unless options say otherwise. */
export function newMachine(options: MachineOptions = {}): Machine {
  return new Machine({ memoryBytes: 64 * 1024 * 1024, ...options });
}

/** What running a body on the machine produced. */
export interface Ran<T> {
  readonly value: T | undefined;
  readonly error: unknown;
  readonly result: RunResult;
}

/**
 * Runs `body` on a system thread (kernel mode) and runs the machine until it is quiet.
 * Errors thrown by the body are captured, not rethrown, so a test can look at bug checks.
 */
export async function runKernel<T>(m: Machine, body: () => T | Promise<T>): Promise<Ran<T>> {
  let value: T | undefined;
  let error: unknown = null;
  m.createSystemThread("test", async () => {
    try {
      value = await body();
    } catch (e) {
      error = e;
    }
  });
  const result = await m.run();
  return { value, error, result };
}

/** Runs `body` as the main thread of a new app process (user mode). */
export async function runApp<T>(m: Machine, body: () => T | Promise<T>, name = "app.exe"): Promise<Ran<T> & { process: KProcess }> {
  let value: T | undefined;
  let error: unknown = null;
  const process = m.createProcess(name, async () => {
    try {
      value = await body();
    } catch (e) {
      error = e;
    }
  });
  const result = await m.run();
  return { value, error, result, process };
}

/** Any thrown value as an Error (emulated threads may throw anything). */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(`non-Error thrown (${typeof e})`);
}

/** Throws the body's error (for tests that expect success). */
export function ok<T>(ran: Ran<T>): T {
  if (ran.error) throw asError(ran.error);
  if (ran.result.bugCheck) throw new Error(`unexpected bug check:\n${ran.result.bugCheck.name} ${ran.result.bugCheck.detail ?? ""}`);
  return ran.value as T;
}
