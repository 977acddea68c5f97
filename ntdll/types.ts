/**
 * The C argument shapes the native API takes, and how a stub reads and writes them: pointers are
 * addresses in the app's memory (probed as the kernel probes a user pointer), and where C passes a
 * pointer to a local, a host object stands for the local (`{ value }`, a LARGE_INTEGER, a
 * UNICODE_STRING or OBJECT_ATTRIBUTES object).
 */
import { CSTRUCT, LARGE_INTEGER, NTSTATUS, ULONG_PTR, readI64 } from "../kernel/c-struct.js";
import type { InOut } from "../kernel/apc.js";
import { MM_USER_PROBE_ADDRESS } from "../kernel/memory-constants.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { describeArgument } from "../kernel/bad-pointer.js";
import { STATUS_ACCESS_VIOLATION, STATUS_DATATYPE_MISALIGNMENT } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";

/**
 * IO_STATUS_BLOCK as it lies in an app's memory (x86: Status, then Information; 8 bytes):
 * `IO_STATUS_BLOCK.read(iosb).Status`, `sizeof(IO_STATUS_BLOCK)`.
 */
export const IO_STATUS_BLOCK = CSTRUCT("IO_STATUS_BLOCK", {
  /** The request's final status. */
  Status: NTSTATUS,
  /** The bytes transferred, or the request's own value (FILE_OPENED for a create). */
  Information: ULONG_PTR,
});

/** PIO_APC_ROUTINE: the APC an I/O request queues to its thread on completion (user mode, alertable wait). */
export type PIO_APC_ROUTINE = (ApcContext: unknown, IoStatusBlock: number, Reserved: number) => unknown;

/** A PHANDLE (or PULONG) out-parameter: an address in the app's memory, or a local. */
export type POut = number | InOut<number>;

/** A PLARGE_INTEGER in-parameter: an address, a local LARGE_INTEGER, or NULL. */
export type PLARGE_INTEGER = number | LARGE_INTEGER | null;

/** ProbeForWrite of `length` bytes at `alignment`: STATUS_DATATYPE_MISALIGNMENT or STATUS_ACCESS_VIOLATION. */
export function probeWrite(t: KThread, address: number, length: number, alignment: number): void {
  if (address % alignment !== 0) throw new NtStatusError(STATUS_DATATYPE_MISALIGNMENT, undefined, { address });
  if (!Number.isInteger(address) || address <= 0 || address + length > MM_USER_PROBE_ADDRESS) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: Number.isInteger(address) ? address : 0, write: true });
  }
  const mmu = t.machine.mmu;
  mmu.touchForWrite(address);
  mmu.touchForWrite(address + length - 1);
}

/** ProbeForRead of `length` bytes: STATUS_ACCESS_VIOLATION for anything not wholly in user space. */
function probeRead(address: number, length: number): void {
  if (!Number.isInteger(address) || address <= 0 || address + length > MM_USER_PROBE_ADDRESS) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: Number.isInteger(address) ? address : 0 });
  }
}

/** Probes an out-parameter before the service does anything (ProbeForWriteHandle). */
export function probeOut(t: KThread, out: POut): void {
  const given: unknown = out;
  if (typeof given === "number") probeWrite(t, given, 4, 4);
  else if (typeof given !== "object" || given === null) notAVariable(given);
}

/** An out-parameter that is neither an address nor a local: the service's write through it faults. */
function notAVariable(out: unknown): never {
  throw new NtStatusError(STATUS_ACCESS_VIOLATION, `STATUS_ACCESS_VIOLATION: ${describeArgument(out)} is no variable to store through`, { address: 0, write: true });
}

/** Stores an out-parameter (the probe was done first). */
export function storeOut(t: KThread, out: POut, value: number): void {
  const given: unknown = out;
  if (typeof given === "number") t.machine.mmu.writeU32(given, value >>> 0);
  else if (typeof given === "object" && given !== null) (given as InOut<number>).value = value >>> 0;
  else notAVariable(given);
}

/** Reads a PLARGE_INTEGER: null for NULL, else the 64-bit value as a number of 100 ns ticks. */
export function readLargeInteger(p: PLARGE_INTEGER): number | null {
  if (p === null || p === 0) return null;
  if (typeof p === "number") {
    probeRead(p, 8);
    return Number(readI64(p));
  }
  // A local LARGE_INTEGER; anything else is a pointer the service's probe refuses.
  if (!(p instanceof LARGE_INTEGER)) throw new NtStatusError(STATUS_ACCESS_VIOLATION, `STATUS_ACCESS_VIOLATION: ${describeArgument(p)} is no LARGE_INTEGER`, { address: 0, write: false });
  return Number(p.QuadPart);
}

/** Writes an IO_STATUS_BLOCK in the app's memory. */
export function writeIoStatus(t: KThread, iosb: number, status: number, information: number): void {
  const mmu = t.machine.mmu;
  mmu.writeU32(iosb, status >>> 0);
  mmu.writeU32(iosb + 4, information >>> 0);
}
