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

/** Reads a byte at a virtual address (like `*(PUCHAR)p`). */
export function readU8(address: number): number {
  return currentMachine("readU8").mmu.readU8(address);
}
/** Reads a 16-bit value (like `*(PUSHORT)p`). */
export function readU16(address: number): number {
  return currentMachine("readU16").mmu.readU16(address);
}
/** Reads a 32-bit value (like `*(PULONG)p`). */
export function readU32(address: number): number {
  return currentMachine("readU32").mmu.readU32(address);
}
/** Reads a signed 32-bit value (like `*(PLONG)p`). */
export function readI32(address: number): number {
  return currentMachine("readI32").mmu.readU32(address) | 0;
}
/** Writes a byte (like `*(PUCHAR)p = v`). */
export function writeU8(address: number, value: number): void {
  currentMachine("writeU8").mmu.writeU8(address, value);
}
/** Writes a 16-bit value. */
export function writeU16(address: number, value: number): void {
  currentMachine("writeU16").mmu.writeU16(address, value);
}
/** Writes a 32-bit value. */
export function writeU32(address: number, value: number): void {
  currentMachine("writeU32").mmu.writeU32(address, value);
}
/** Copies `length` bytes at `address` out into a new host array. */
export function readBytes(address: number, length: number): Uint8Array {
  return currentMachine("readBytes").mmu.readBytes(address, length);
}
/** Copies a host array into memory at `address`. */
export function writeBytes(address: number, data: Uint8Array): void {
  currentMachine("writeBytes").mmu.writeBytes(address, data);
}
/** Reads a NUL-terminated 8-bit string. */
export function readAnsiString(address: number, maxLength?: number): string {
  return currentMachine("readAnsiString").mmu.readAnsiString(address, maxLength);
}
/** Writes an 8-bit string and its NUL (like strcpy). */
export function writeAnsiString(address: number, value: string): void {
  currentMachine("writeAnsiString").mmu.writeAnsiString(address, value);
}
/** Reads a NUL-terminated UTF-16 string. */
export function readWideString(address: number, maxLength?: number): string {
  return currentMachine("readWideString").mmu.readWideString(address, maxLength);
}
/** Writes a UTF-16 string and its NUL (like wcscpy). */
export function writeWideString(address: number, value: string): void {
  currentMachine("writeWideString").mmu.writeWideString(address, value);
}

/** RtlCopyMemory: copies between virtual addresses (the machine counts the bytes). */
export function RtlCopyMemory(Destination: number, Source: number, Length: number): void {
  currentMachine("RtlCopyMemory").mmu.copy(Destination, Source, Length);
}
/** RtlMoveMemory: like RtlCopyMemory, and correct for overlapping ranges. */
export function RtlMoveMemory(Destination: number, Source: number, Length: number): void {
  currentMachine("RtlMoveMemory").mmu.copy(Destination, Source, Length);
}
/** RtlZeroMemory. */
export function RtlZeroMemory(Destination: number, Length: number): void {
  currentMachine("RtlZeroMemory").mmu.fill(Destination, Length, 0);
}
/** RtlFillMemory. */
export function RtlFillMemory(Destination: number, Length: number, Fill: number): void {
  currentMachine("RtlFillMemory").mmu.fill(Destination, Length, Fill);
}
/** RtlCompareMemory: the number of leading bytes that match. */
export function RtlCompareMemory(Source1: number, Source2: number, Length: number): number {
  return currentMachine("RtlCompareMemory").mmu.compare(Source1, Source2, Length);
}
/** RtlEqualMemory. */
export function RtlEqualMemory(Source1: number, Source2: number, Length: number): boolean {
  return RtlCompareMemory(Source1, Source2, Length) === Length;
}

function probe(address: number, length: number, alignment: number): void {
  if (length === 0) return;
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
  currentMachine("RtlCopyBytes").mmu.copy(Destination, Source, Length);
}
/** RtlZeroBytes. */
export function RtlZeroBytes(Destination: number, Length: number): void {
  currentMachine("RtlZeroBytes").mmu.fill(Destination, Length, 0);
}
/** RtlFillBytes: every byte of the range set to `Fill`. */
export function RtlFillBytes(Destination: number, Length: number, Fill: number): void {
  currentMachine("RtlFillBytes").mmu.fill(Destination, Length, Fill);
}
