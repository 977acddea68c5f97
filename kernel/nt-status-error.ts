import { hex32, ntStatusName, type NTSTATUS } from "./status.js";

/**
 * An NT exception raised by the emulated machine (ExRaiseStatus, a bad probe, an access
 * violation). Driver code catches it the way C code uses `__try/__except`:
 *
 * ```ts
 * try { ProbeForWrite(p, len, 1); } catch (e) { if (!(e instanceof NtStatusError)) throw e; status = e.status; }
 * ```
 *
 * A bug check is a different class ({@link BugCheckError}) on purpose: `__except` cannot stop one.
 */
export class NtStatusError extends Error {
  /** The exception code (an NTSTATUS). */
  readonly status: NTSTATUS;
  /** The faulting virtual address, for STATUS_ACCESS_VIOLATION and friends. */
  readonly address: number | undefined;
  /** For an access violation: true when the faulting access was a write. */
  readonly write: boolean | undefined;

  constructor(status: NTSTATUS, message?: string, detail?: { address?: number; write?: boolean }) {
    const name = ntStatusName(status);
    const where = detail?.address !== undefined ? ` at 0x${hex32(detail.address)}` : "";
    super(message ?? `${name}${where}`);
    this.name = "NtStatusError";
    this.status = status >>> 0;
    this.address = detail?.address;
    this.write = detail?.write;
  }
}

/** ExRaiseStatus: raises `status` as an NT exception in the current context. */
export function ExRaiseStatus(status: NTSTATUS): never {
  // The status is a LONG: a value that is no number (no C caller can pass one) raises as 0.
  throw new NtStatusError(typeof status === "number" ? status : 0);
}
