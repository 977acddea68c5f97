/**
 * Memory routines over virtual addresses, usable from kernel and user mode alike: they act in
 * the current thread's context (its process, its mode, its IRQL), as a C pointer dereference
 * would.
 */
import { currentMachine } from "./context.js";
import { MM_USER_PROBE_ADDRESS } from "./memory-constants.js";
import { NtStatusError } from "./nt-status-error.js";
import { PAGE_SIZE } from "./physical-memory.js";
import { STATUS_ACCESS_VIOLATION, STATUS_DATATYPE_MISALIGNMENT } from "./status.js";
import { badPointer, checkNumber } from "./bad-pointer.js";

/** An address argument: a number (anything else is a pointer no access can go through). */
function a(api: string, param: string, v: number): number {
  if (typeof v !== "number") badPointer(api, param, v, "an address");
  return v;
}
/** A value or length argument passed by value: a number ({@link checkNumber}'s answer otherwise). */
function n(api: string, param: string, v: number): number {
  return typeof v === "number" ? v : checkNumber(api, param, v);
}

/** Reads a byte at a virtual address (like `*(PUCHAR)p`). */
export function readU8(address: number): number {
  return currentMachine("readU8").mmu.readU8(a("readU8", "address", address));
}
/** Reads a 16-bit value (like `*(PUSHORT)p`). */
export function readU16(address: number): number {
  return currentMachine("readU16").mmu.readU16(a("readU16", "address", address));
}
/** Reads a 32-bit value (like `*(PULONG)p`). */
export function readU32(address: number): number {
  return currentMachine("readU32").mmu.readU32(a("readU32", "address", address));
}
/** Reads a signed 32-bit value (like `*(PLONG)p`). */
export function readI32(address: number): number {
  return currentMachine("readI32").mmu.readU32(a("readI32", "address", address)) | 0;
}
/** Writes a byte (like `*(PUCHAR)p = v`). */
export function writeU8(address: number, value: number): void {
  currentMachine("writeU8").mmu.writeU8(a("writeU8", "address", address), n("writeU8", "value", value));
}
/** Writes a 16-bit value. */
export function writeU16(address: number, value: number): void {
  currentMachine("writeU16").mmu.writeU16(a("writeU16", "address", address), n("writeU16", "value", value));
}
/** Writes a 32-bit value. */
export function writeU32(address: number, value: number): void {
  currentMachine("writeU32").mmu.writeU32(a("writeU32", "address", address), n("writeU32", "value", value));
}
/** Copies `length` bytes at `address` out into a new host array. */
export function readBytes(address: number, length: number): Uint8Array {
  return currentMachine("readBytes").mmu.readBytes(a("readBytes", "address", address), n("readBytes", "length", length));
}
/** Copies a host array into memory at `address`. */
export function writeBytes(address: number, data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) badPointer("writeBytes", "data", data, "a Uint8Array");
  currentMachine("writeBytes").mmu.writeBytes(a("writeBytes", "address", address), data);
}
/** Reads a NUL-terminated 8-bit string. */
export function readAnsiString(address: number, maxLength?: number): string {
  return currentMachine("readAnsiString").mmu.readAnsiString(a("readAnsiString", "address", address), maxLength === undefined ? undefined : n("readAnsiString", "maxLength", maxLength));
}
/** Writes an 8-bit string and its NUL (like strcpy). */
export function writeAnsiString(address: number, value: string): void {
  if (typeof value !== "string") badPointer("writeAnsiString", "value", value, "a string");
  currentMachine("writeAnsiString").mmu.writeAnsiString(a("writeAnsiString", "address", address), value);
}
/** Reads a NUL-terminated UTF-16 string. */
export function readWideString(address: number, maxLength?: number): string {
  return currentMachine("readWideString").mmu.readWideString(a("readWideString", "address", address), maxLength === undefined ? undefined : n("readWideString", "maxLength", maxLength));
}
/** Writes a UTF-16 string and its NUL (like wcscpy). */
export function writeWideString(address: number, value: string): void {
  if (typeof value !== "string") badPointer("writeWideString", "value", value, "a string");
  currentMachine("writeWideString").mmu.writeWideString(a("writeWideString", "address", address), value);
}

/** RtlCopyMemory: copies between virtual addresses (the machine counts the bytes). */
export function RtlCopyMemory(Destination: number, Source: number, Length: number): void {
  currentMachine("RtlCopyMemory").mmu.copy(a("RtlCopyMemory", "Destination", Destination), a("RtlCopyMemory", "Source", Source), n("RtlCopyMemory", "Length", Length));
}
/** RtlMoveMemory: like RtlCopyMemory, and correct for overlapping ranges. */
export function RtlMoveMemory(Destination: number, Source: number, Length: number): void {
  currentMachine("RtlMoveMemory").mmu.copy(a("RtlMoveMemory", "Destination", Destination), a("RtlMoveMemory", "Source", Source), n("RtlMoveMemory", "Length", Length));
}
/** RtlZeroMemory. */
export function RtlZeroMemory(Destination: number, Length: number): void {
  currentMachine("RtlZeroMemory").mmu.fill(a("RtlZeroMemory", "Destination", Destination), n("RtlZeroMemory", "Length", Length), 0);
}
/** RtlFillMemory. */
export function RtlFillMemory(Destination: number, Length: number, Fill: number): void {
  currentMachine("RtlFillMemory").mmu.fill(a("RtlFillMemory", "Destination", Destination), n("RtlFillMemory", "Length", Length), n("RtlFillMemory", "Fill", Fill));
}
/** RtlCompareMemory: the number of leading bytes that match. */
export function RtlCompareMemory(Source1: number, Source2: number, Length: number): number {
  return currentMachine("RtlCompareMemory").mmu.compare(a("RtlCompareMemory", "Source1", Source1), a("RtlCompareMemory", "Source2", Source2), n("RtlCompareMemory", "Length", Length));
}
/** RtlEqualMemory. */
export function RtlEqualMemory(Source1: number, Source2: number, Length: number): boolean {
  return RtlCompareMemory(Source1, Source2, Length) === Length;
}

function probe(address: number, length: number, alignment: number): void {
  if (length === 0) return;
  if (typeof alignment !== "number") alignment = 1;
  if (!Number.isInteger(address) || !Number.isInteger(length) || length < 0) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: 0 });
  }
  if (alignment > 1 && address % alignment !== 0) throw new NtStatusError(STATUS_DATATYPE_MISALIGNMENT, undefined, { address });
  const end = address + length;
  // A negative address is a ULONG_PTR at or above 0x80000000: never in user space.
  if (address < 0 || end > MM_USER_PROBE_ADDRESS || end < address) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: address < 0 ? MM_USER_PROBE_ADDRESS : Math.min(address, MM_USER_PROBE_ADDRESS) });
  }
}

/**
 * ProbeForRead: raises STATUS_DATATYPE_MISALIGNMENT for a misaligned address and
 * STATUS_ACCESS_VIOLATION when the range is not entirely in user space. It does not touch
 * the memory, so a range that is in user space but unmapped passes (the later access faults).
 * A zero length checks nothing.
 */
export function ProbeForRead(Address: number, Length: number, Alignment: number): void {
  probe(Address, Length, Alignment);
}

/**
 * ProbeForWrite: as ProbeForRead, and also checks that every page of the range is writable
 * (raising STATUS_ACCESS_VIOLATION at the first page that is not).
 */
export function ProbeForWrite(Address: number, Length: number, Alignment: number): void {
  probe(Address, Length, Alignment);
  if (Length === 0) return;
  const mmu = currentMachine("ProbeForWrite").mmu;
  for (let p = Address - (Address % PAGE_SIZE); p < Address + Length; p += PAGE_SIZE) {
    const at = Math.max(p, Address);
    // Write back one byte per page, as the real probe does.
    mmu.touchForWrite(at);
  }
}

// ---- The byte-granular forms (wdm.h's RtlCopyBytes, RtlZeroBytes, RtlFillBytes) ----

/** RtlCopyBytes: RtlCopyMemory for ranges whose length need not be a multiple of anything. */
export function RtlCopyBytes(Destination: number, Source: number, Length: number): void {
  currentMachine("RtlCopyBytes").mmu.copy(a("RtlCopyBytes", "Destination", Destination), a("RtlCopyBytes", "Source", Source), n("RtlCopyBytes", "Length", Length));
}
/** RtlZeroBytes. */
export function RtlZeroBytes(Destination: number, Length: number): void {
  currentMachine("RtlZeroBytes").mmu.fill(a("RtlZeroBytes", "Destination", Destination), n("RtlZeroBytes", "Length", Length), 0);
}
/** RtlFillBytes: every byte of the range set to `Fill`. */
export function RtlFillBytes(Destination: number, Length: number, Fill: number): void {
  currentMachine("RtlFillBytes").mmu.fill(a("RtlFillBytes", "Destination", Destination), n("RtlFillBytes", "Length", Length), n("RtlFillBytes", "Fill", Fill));
}
