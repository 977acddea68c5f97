/**
 * How an ntdll stub enters the kernel: it must be called from user mode; the system service runs
 * in kernel mode with previous mode UserMode, and a thread whose termination was deferred exits on
 * its way back to user mode instead of returning, as NT's termination APC makes it.
 */
import { currentMachine } from "../kernel/context.js";
import type { Machine } from "../kernel/machine.js";
import type { KThread } from "../kernel/thread.js";

/** The calling app thread; a clear error when called from kernel mode or outside the machine. */
export function userCaller(api: string): KThread {
  return currentMachine(api).userCall(api);
}

/** Runs a synchronous system service for `t` (kernel mode, previous mode UserMode). */
export function service<T>(t: KThread, fn: (m: Machine) => T): T {
  const m = t.machine;
  m.enterKernel(t);
  try {
    return fn(m);
  } finally {
    m.leaveKernel(t);
  }
}

/** Runs a system service that may wait, returning to user mode (or exiting) afterwards. */
export async function serviceAsync<T>(t: KThread, fn: (m: Machine) => Promise<T>): Promise<T> {
  const m = t.machine;
  m.enterKernel(t);
  let result: T;
  try {
    result = await fn(m);
  } catch (e) {
    m.leaveKernel(t);
    throw e;
  }
  await m.returnToUser(t);
  return result;
}

/**
 * Runs a system service that usually finishes at once (an IOCTL completed in dispatch): it stays
 * synchronous, and becomes a Promise only when the service waits.
 */
export function serviceMaybeAsync<T>(t: KThread, fn: (m: Machine) => T | Promise<T>): T | Promise<T> {
  const m = t.machine;
  m.enterKernel(t);
  let r: T | Promise<T>;
  try {
    r = fn(m);
  } catch (e) {
    m.leaveKernel(t);
    throw e;
  }
  if (r instanceof Promise) {
    return r.then(
      async (v) => {
        await m.returnToUser(t);
        return v;
      },
      (e: unknown) => {
        m.leaveKernel(t);
        throw e;
      },
    );
  }
  m.leaveKernel(t);
  if (t.terminationPending) return m.exitCurrentThread();
  return r;
}
