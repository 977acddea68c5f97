/**
 * Helpers for the CE tests: a CE machine, a body run as an app or on a kernel thread of nk.exe,
 * and a driver loaded from an export table and registry values.
 */
import { CeMachine, type CeCreateOptions } from "../../ce6/index.js";
import { ActivateDeviceEx, GetLastError, INVALID_HANDLE_VALUE, type CeExports } from "../../ce6/coredll.js";
import type { RegistryKeyValues } from "../../ce6/registry.js";
import type { KProcess } from "../../kernel/process.js";
import type { RunResult } from "../../kernel/machine.js";

/** A CE machine with 64 MB of RAM unless the options say otherwise. */
export function ceMachine(options: CeCreateOptions = {}): CeMachine {
  return CeMachine.create({ memoryBytes: 64 * 1024 * 1024, ...options });
}

/** What running a body produced. */
export interface CeRan<T> {
  readonly value: T | undefined;
  readonly error: unknown;
  readonly result: RunResult;
}

/** Runs `body` as the main thread of a new CE app and runs the machine until it is quiet. */
export async function runCeApp<T>(ce: CeMachine, body: () => T | Promise<T>, name = "app.exe"): Promise<CeRan<T> & { process: KProcess }> {
  let value: T | undefined;
  let error: unknown = null;
  const process = ce.createProcess(name, async () => {
    try {
      value = await body();
    } catch (e) {
      error = e;
    }
  });
  const result = await ce.run();
  return { value, error, result, process };
}

/** Runs `body` on a kernel thread of nk.exe (kernel mode). */
export async function runCeKernel<T>(ce: CeMachine, body: () => T | Promise<T>): Promise<CeRan<T>> {
  let value: T | undefined;
  let error: unknown = null;
  ce.createKernelThread("test", async () => {
    try {
      value = await body();
    } catch (e) {
      error = e;
    }
  });
  const result = await ce.run();
  return { value, error, result };
}

/** Throws the body's error or a bug check; returns the value. */
export function ceOk<T>(ran: CeRan<T>): T {
  if (ran.error) throw ran.error instanceof Error ? ran.error : new Error(`non-Error thrown (${typeof ran.error})`);
  if (ran.result.bugCheck) throw new Error(`unexpected bug check: ${ran.result.bugCheck.name} ${ran.result.bugCheck.detail ?? ""}`);
  if (ran.result.errors.length) throw ran.result.errors[0]?.error instanceof Error ? ran.result.errors[0].error : new Error("a thread failed");
  return ran.value as T;
}

/**
 * Puts `exports` in the image store as `dll`, writes the registry key, and activates it;
 * returns the device handle and the error (0 on success).
 */
export async function loadDriver(ce: CeMachine, dll: string, exports: CeExports, values: RegistryKeyValues, key = `Drivers\\BuiltIn\\${dll}`): Promise<{ handle: number; error: number }> {
  ce.images.add(dll, exports);
  ce.registry.setKey(key, { Dll: dll, ...values });
  const r = ceOk(
    await runCeKernel(ce, async () => {
      const handle = await ActivateDeviceEx(key, null, 0, null);
      return { handle, error: handle === INVALID_HANDLE_VALUE ? GetLastError() : 0 };
    }),
  );
  return r;
}
