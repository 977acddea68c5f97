/**
 * OVERLAPPED in the app's memory (20 bytes on 32-bit Windows): Internal (the status),
 * InternalHigh (the byte count), Offset, OffsetHigh, hEvent. Internal and InternalHigh are the
 * IO_STATUS_BLOCK the kernel writes when the request completes.
 */
import { currentMachine } from "../kernel/context.js";

/** sizeof(OVERLAPPED). */
export const SIZEOF_OVERLAPPED = 20;

/** A view of an OVERLAPPED at an address: reads and writes go to emulated memory. */
export class OVERLAPPED {
  /** @param address the structure's address in the process's memory. */
  constructor(readonly address: number) {}
  private get mmu() {
    return currentMachine("OVERLAPPED").mmu;
  }
  /** The request's status (STATUS_PENDING until it completes). */
  get Internal(): number {
    return this.mmu.readU32(this.address);
  }
  /** Sets the status. */
  set Internal(v: number) {
    this.mmu.writeU32(this.address, v);
  }
  /** The bytes the request transferred. */
  get InternalHigh(): number {
    return this.mmu.readU32(this.address + 4);
  }
  /** Sets the bytes transferred. */
  set InternalHigh(v: number) {
    this.mmu.writeU32(this.address + 4, v);
  }
  /** The low 32 bits of the file position the request reads or writes at. */
  get Offset(): number {
    return this.mmu.readU32(this.address + 8);
  }
  /** Sets the low 32 bits of the position. */
  set Offset(v: number) {
    this.mmu.writeU32(this.address + 8, v);
  }
  /** The high 32 bits of the file position. */
  get OffsetHigh(): number {
    return this.mmu.readU32(this.address + 12);
  }
  /** Sets the high 32 bits of the position. */
  set OffsetHigh(v: number) {
    this.mmu.writeU32(this.address + 12, v);
  }
  /** The event to signal when the request completes (0: none; the handle is signaled instead). */
  get hEvent(): number {
    return this.mmu.readU32(this.address + 16);
  }
  /** Sets the event. */
  set hEvent(v: number) {
    this.mmu.writeU32(this.address + 16, v);
  }
}

/** An OVERLAPPED pointer: an address, or a view of one. */
export type LPOVERLAPPED = number | OVERLAPPED;

/** The address behind an LPOVERLAPPED (0 for NULL). */
export function overlappedAddress(p: LPOVERLAPPED | null | undefined): number {
  if (p === null || p === undefined) return 0;
  return typeof p === "number" ? p : p.address;
}

/** HasOverlappedIoCompleted: Internal is no longer STATUS_PENDING. */
export function HasOverlappedIoCompleted(lpOverlapped: LPOVERLAPPED): boolean {
  return currentMachine("HasOverlappedIoCompleted").mmu.readU32(overlappedAddress(lpOverlapped)) !== 0x103;
}
