/**
 * METHOD_NEITHER's duty, done the way the generic driver must: every structure a WD_ call points
 * at is probed and copied by the driver itself, in the caller's context, inside try/catch (the
 * C driver's __try/__except), so a bad pointer becomes a status instead of a crash.
 */
import { ProbeForRead, ProbeForWrite, readBytes, writeU32 } from "../kernel/api-rtl.js";
import { KernelMode, type KPROCESSOR_MODE } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { WD_DEVICE_EXTENSION, WdFileContext } from "./driver-state.js";

/** One WD_ call as the dispatch routine hands it to the function that serves it. */
export interface WdRequest {
  readonly device: DEVICE_OBJECT;
  readonly ext: WD_DEVICE_EXTENSION;
  readonly file: WdFileContext;
  /** The structure pointer (Type3InputBuffer) and the size the library passed with it. */
  readonly pParam: number;
  readonly dwSize: number;
  /** The requestor's mode: UserMode requests are probed. */
  readonly mode: KPROCESSOR_MODE;
}

/** The driver's copy of a caller's structure. */
export class Captured {
  private readonly view: DataView;
  constructor(
    readonly address: number,
    readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** The DWORD at `offset` as it was when captured. */
  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
}

/**
 * Probes `size` bytes at `address` for reading (user-mode callers: they must lie in user space,
 * DWORD aligned) and copies them. Raises the NT exception a bad pointer causes.
 */
export function captureStruct(r: WdRequest, address: number, size: number): Captured {
  if (r.mode !== KernelMode) ProbeForRead(address, size, 4);
  return new Captured(address, readBytes(address, size));
}

/**
 * The handle field of the caller's structure (`size` bytes, the handle at `offset`), or null when
 * the structure cannot be read (the caller answers WD_INVALID_PARAMETER).
 */
export function captureHandle(r: WdRequest, size: number, offset: number): number | null {
  try {
    return captureStruct(r, r.pParam, size).u32(offset);
  } catch (e) {
    if (isProbeFailure(e)) return null;
    throw e;
  }
}

/**
 * Writes DWORD fields back into the caller's structure: probes the whole range for writing
 * first, so either every field is written or none is. Raises the NT exception a bad pointer
 * causes.
 */
export function writeBack(r: WdRequest, address: number, size: number, fields: readonly (readonly [offset: number, value: number])[]): void {
  if (r.mode !== KernelMode) ProbeForWrite(address, size, 4);
  for (const [offset, value] of fields) writeU32(address + offset, value >>> 0);
}

/** True for the exceptions a probe or an access through a bad pointer raises. */
export function isProbeFailure(e: unknown): e is NtStatusError {
  return e instanceof NtStatusError;
}
