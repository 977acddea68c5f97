/**
 * How a Win32 API enters the kernel: it must be called from user mode; the system service runs
 * in kernel mode with previous mode UserMode; failures set the thread's last error.
 */
import { currentMachine } from "../kernel/context.js";
import type { Machine } from "../kernel/machine.js";
import type { KThread } from "../kernel/thread.js";
import { NT_SUCCESS, STATUS_ACCESS_VIOLATION, type NTSTATUS } from "../kernel/status.js";
import { MM_USER_PROBE_ADDRESS } from "../kernel/memory-constants.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { RtlNtStatusToDosError } from "../ntdll/dos-error.js";

/** The calling app thread; a clear error when called from kernel mode or outside the machine. */
export function caller(api: string): KThread {
  return currentMachine(api).userCall(api);
}

// The system-service entry is ntdll's (ntdll/syscall.ts); kernel32's code uses it through here.
export { service, serviceAsync, serviceMaybeAsync } from "../ntdll/syscall.js";

/** BaseSetLastNTError: sets the last error from a status and returns it. */
export function setLastNtError(t: KThread, status: NTSTATUS): number {
  const e = RtlNtStatusToDosError(status);
  t.lastError = e;
  return e;
}

/** For BOOL APIs: true on success, else false with the last error set from the status. */
export function boolFromStatus(t: KThread, status: NTSTATUS): boolean {
  if (NT_SUCCESS(status)) return true;
  setLastNtError(t, status);
  return false;
}

/**
 * Writes a 32-bit out-parameter at a user address, probing it first as a system service does
 * (a system-space or wrapping address raises STATUS_ACCESS_VIOLATION instead of being used).
 */
export function putUserU32(m: Machine, address: number, value: number): void {
  probeUser(address, 4);
  m.mmu.writeU32(address, value);
}

/** Reads a 32-bit in-parameter from a user address, probing it first. */
export function getUserU32(m: Machine, address: number): number {
  probeUser(address, 4);
  return m.mmu.readU32(address);
}

/** ProbeForRead's range check for a user pointer (no alignment requirement). */
export function probeUser(address: number, length: number): void {
  if (length === 0) return;
  if (!Number.isInteger(address) || address < 0 || address + length > MM_USER_PROBE_ADDRESS) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: Number.isInteger(address) ? address : 0 });
  }
}
