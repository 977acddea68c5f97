/**
 * How a coredll API runs: on the current thread of a CE machine, in kernel mode (a user-mode
 * caller traps in and comes back), setting the thread's last error as CE's APIs do.
 */
import { KernelMode, UserMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { KThread } from "../kernel/thread.js";
import { apiEnter } from "../win32/trace-events.js";
import { ceErrorName } from "./constants.js";
import { CeMachine } from "./ce-machine.js";

/** The context of one coredll call. */
export interface CeCall {
  readonly t: KThread;
  readonly m: Machine;
  readonly ce: CeMachine;
  /** True when the caller runs in user mode (an app, or a user-mode driver in udevice.exe). */
  readonly user: boolean;
}

/** The calling thread on a CE machine; a clear error outside one. */
export function ceCall(api: string): CeCall {
  const ce = CeMachine.current(api);
  const m = ce.machine;
  const t = m.currentThread(api);
  m.checkAlive();
  const user = t.mode === UserMode;
  // Every call costs virtual time, as NT's do (kernel/execution-time.ts).
  m.chargeCall(t, api, user ? m.executionCosts.win32Api : m.executionCosts.kernelRoutine);
  // A kernel routine a driver calls is where an exploration layer may inject "another processor".
  if (!user && m.injector) m.injector(api);
  return { t, m, ce, user };
}

/** Runs a kernel service synchronously: a user-mode caller enters kernel mode for it and leaves. */
export function kernelService<T>(c: CeCall, fn: () => T): T {
  if (!c.user) return fn();
  c.m.enterKernel(c.t);
  try {
    return fn();
  } finally {
    c.m.leaveKernel(c.t);
  }
}

/**
 * Runs a kernel service that may wait. A user-mode caller enters kernel mode; on the way back a
 * thread whose process is being terminated exits instead of returning (CE, like NT, never
 * abandons kernel code halfway).
 */
export async function kernelServiceAsync<T>(c: CeCall, fn: () => Promise<T>): Promise<T> {
  if (!c.user) return fn();
  c.m.enterKernel(c.t);
  let r: T;
  try {
    r = await fn();
  } catch (e) {
    c.m.leaveKernel(c.t);
    throw e;
  }
  await c.m.returnToUser(c.t);
  return r;
}

/** Sets the thread's last error and returns `result` (for failure paths). */
export function fail<T>(t: KThread, error: number, result: T): T {
  t.lastError = error;
  return result;
}

/** Emits ApiEnter (the detail is computed only when traced). */
export function traceEnter(c: CeCall, api: string, detail: () => string): void {
  apiEnter(c.t, api, detail);
}

/** Emits ApiReturn with the thread's last error when the call failed. */
export function traceReturn(c: CeCall, api: string, result: string, failed: boolean): void {
  const m = c.m;
  if (!m.trace.on) return;
  const lastError = failed ? c.t.lastError : 0;
  m.trace.emit("ApiReturn", { api, result, lastError, lastErrorName: lastError ? ceErrorName(lastError) : "" });
}

/** 0x1234ABCD. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
}

export { KernelMode, UserMode };
