/**
 * The system event log as a driver writes to it: IoAllocateErrorLogEntry hands out a zeroed
 * IO_ERROR_LOG_PACKET (plus room for dump data and insertion strings) from nonpaged pool, the
 * driver fills it in, and IoWriteErrorLogEntry queues it to the log, which then owns (and frees)
 * the memory. A scenario reads what was logged with `errorLog(machine)`.
 */
import { badPointer, checkNumber } from "../kernel/bad-pointer.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { ARRAY, CSTRUCT, LARGE_INTEGER, NTSTATUS as NTSTATUS_FIELD, UCHAR, ULONG, USHORT } from "../kernel/c-struct.js";
import { currentMachine } from "../kernel/context.js";
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { DRIVER_OBJECT } from "./driver-object.js";

/**
 * IO_ERROR_LOG_PACKET: the fixed part of an error log entry, laid out as on x86 (48 bytes; the
 * dump data starts at DumpData, the insertion strings at StringOffset from the packet's start).
 */
export const IO_ERROR_LOG_PACKET = CSTRUCT("IO_ERROR_LOG_PACKET", {
  /** The IRP_MJ_* of the request concerned. */
  MajorFunctionCode: UCHAR,
  /** How many times the driver retried the operation. */
  RetryCount: UCHAR,
  /** Bytes of dump data at DumpData. */
  DumpDataSize: USHORT,
  /** How many NUL-terminated wide insertion strings start at StringOffset. */
  NumberOfStrings: USHORT,
  /** The insertion strings' offset from the packet's start. */
  StringOffset: USHORT,
  /** The event category in the driver's message file. */
  EventCategory: USHORT,
  /** The message identifier (IO_ERR_* or the driver's own). */
  ErrorCode: NTSTATUS_FIELD,
  /** A value saying where in the driver the error was found. */
  UniqueErrorValue: ULONG,
  /** The status the operation ended with. */
  FinalStatus: NTSTATUS_FIELD,
  /** The driver's sequence number of the request. */
  SequenceNumber: ULONG,
  /** The I/O control code of the request concerned. */
  IoControlCode: ULONG,
  /** The device offset of the failed operation. */
  DeviceOffset: LARGE_INTEGER,
  /** Driver-chosen dump data (DumpDataSize bytes from here). */
  DumpData: ARRAY(ULONG, 1),
});

/** ERROR_LOG_MAXIMUM_SIZE: the largest EntrySize IoAllocateErrorLogEntry grants. */
export const ERROR_LOG_MAXIMUM_SIZE = 240;

/** The pool tag of error log entries ('IoEr'). */
const ERROR_LOG_TAG = 0x72456f49;

/** One entry written to the event log. */
export interface ErrorLogEntry {
  /** Virtual time it was written, in 100-ns units since the machine started. */
  readonly time: number;
  /** The driver the entry names (IoObject's driver). */
  readonly driver: string;
  /** The device the entry names, or null when IoObject was the driver object. */
  readonly device: string | null;
  /** The packet's ErrorCode (an NTSTATUS-shaped message identifier, IO_ERR_* or the driver's own). */
  readonly ErrorCode: NTSTATUS;
  /** UniqueErrorValue: where in the driver the error was found. */
  readonly UniqueErrorValue: number;
  /** FinalStatus: the status the operation ended with. */
  readonly FinalStatus: NTSTATUS;
  /** SequenceNumber, as the driver set it. */
  readonly SequenceNumber: number;
  /** MajorFunctionCode of the request concerned. */
  readonly MajorFunctionCode: number;
  /** RetryCount, as the driver set it. */
  readonly RetryCount: number;
  /** IoControlCode of the request concerned. */
  readonly IoControlCode: number;
  /** EventCategory, as the driver set it. */
  readonly EventCategory: number;
  /** The DumpDataSize bytes of dump data. */
  readonly DumpData: readonly number[];
  /** The NumberOfStrings insertion strings. */
  readonly strings: readonly string[];
}

interface Allocated {
  readonly size: number;
  readonly driver: DRIVER_OBJECT;
  readonly device: DEVICE_OBJECT | null;
}

interface ErrorLog {
  readonly allocated: Map<number, Allocated>;
  readonly written: ErrorLogEntry[];
}

const logs = new WeakMap<Machine, ErrorLog>();

function logOf(m: Machine): ErrorLog {
  let l = logs.get(m);
  if (!l) {
    l = { allocated: new Map(), written: [] };
    logs.set(m, l);
  }
  return l;
}

function kernel(api: string): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > DISPATCH_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql} (at most DISPATCH_LEVEL)` });
  }
  return t;
}

/**
 * IoAllocateErrorLogEntry: a zeroed error log entry of EntrySize bytes (an IO_ERROR_LOG_PACKET
 * followed by dump data and insertion strings) for a device or driver object, at IRQL <=
 * DISPATCH_LEVEL; NULL (0) when EntrySize exceeds ERROR_LOG_MAXIMUM_SIZE or no memory is left.
 * Hand it to IoWriteErrorLogEntry, or back with IoFreeErrorLogEntry.
 */
export function IoAllocateErrorLogEntry(IoObject: DEVICE_OBJECT | DRIVER_OBJECT, EntrySize: number): number {
  const t = kernel("IoAllocateErrorLogEntry");
  // The routine reads the object's type field: what is no device or driver object faults.
  if (!(IoObject instanceof DEVICE_OBJECT) && !(IoObject instanceof DRIVER_OBJECT)) badPointer("IoAllocateErrorLogEntry", "IoObject", IoObject, "a DEVICE_OBJECT or DRIVER_OBJECT");
  const size = checkNumber("IoAllocateErrorLogEntry", "EntrySize", EntrySize) & 0xff;
  if (size > ERROR_LOG_MAXIMUM_SIZE || size === 0) return 0;
  const m = t.machine;
  // The log's memory is the I/O manager's, not the driver's: special pool and leak tracking leave it alone.
  const address = m.nonPagedPool.allocate(size, ERROR_LOG_TAG, 0, null, true);
  if (address === 0) return 0;
  m.mmu.writeBytes(address, new Uint8Array(size));
  const device = IoObject instanceof DEVICE_OBJECT ? IoObject : null;
  logOf(m).allocated.set(address, { size, driver: device ? device.DriverObject : (IoObject as DRIVER_OBJECT), device });
  return address;
}

/** The entry at `address`, or the bug check of freeing pool that is not an outstanding entry. */
function takeEntry(t: KThread, api: string, ElEntry: number): Allocated {
  if (typeof ElEntry !== "number") badPointer(api, "ElEntry", ElEntry, "an entry from IoAllocateErrorLogEntry");
  const m = t.machine;
  const log = logOf(m);
  const entry = log.allocated.get(ElEntry >>> 0);
  if (!entry) {
    return m.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, ElEntry >>> 0, 0, {
      detail: `${api}(0x${(ElEntry >>> 0).toString(16)}): not an error log entry IoAllocateErrorLogEntry returned, or one already written or freed`,
    });
  }
  log.allocated.delete(ElEntry >>> 0);
  return entry;
}

/** Reads `count` NUL-terminated wide strings at `at`, not past `end`. */
function readStrings(m: Machine, at: number, end: number, count: number): string[] {
  const out: string[] = [];
  let p = at;
  for (let i = 0; i < count && p < end; i++) {
    const s = m.mmu.readWideString(p, (end - p) >>> 1);
    out.push(s);
    p += (s.length + 1) * 2;
  }
  return out;
}

/**
 * IoWriteErrorLogEntry: queues a filled-in entry to the event log (at IRQL <= DISPATCH_LEVEL);
 * the log now owns its memory, which the driver must not touch again. An address that is not an
 * outstanding entry (written or freed already) is BAD_POOL_CALLER.
 */
export function IoWriteErrorLogEntry(ElEntry: number): void {
  const t = kernel("IoWriteErrorLogEntry");
  const m = t.machine;
  const entry = takeEntry(t, "IoWriteErrorLogEntry", ElEntry);
  const address = ElEntry >>> 0;
  const p = IO_ERROR_LOG_PACKET.read(address);
  const end = address + entry.size;
  const dumpAt = address + IO_ERROR_LOG_PACKET.fields.DumpData.offset;
  const dumpBytes = Math.max(0, Math.min(p.DumpDataSize, end - dumpAt));
  const dump: number[] = [];
  for (let i = 0; i + 4 <= dumpBytes; i += 4) dump.push(m.mmu.readU32(dumpAt + i));
  const strings = p.NumberOfStrings > 0 && p.StringOffset > 0 && p.StringOffset < entry.size ? readStrings(m, address + p.StringOffset, end, p.NumberOfStrings) : [];
  const written: ErrorLogEntry = {
    time: m.now,
    driver: entry.driver.shortName,
    device: entry.device ? entry.device.label : null,
    ErrorCode: p.ErrorCode,
    UniqueErrorValue: p.UniqueErrorValue,
    FinalStatus: p.FinalStatus,
    SequenceNumber: p.SequenceNumber,
    MajorFunctionCode: p.MajorFunctionCode,
    RetryCount: p.RetryCount,
    IoControlCode: p.IoControlCode,
    EventCategory: p.EventCategory,
    DumpData: dump,
    strings,
  };
  logOf(m).written.push(written);
  m.nonPagedPool.free(address, ERROR_LOG_TAG);
  if (m.trace.on) m.trace.emit("ErrorLogged", { driver: written.driver, device: written.device, errorCode: written.ErrorCode, finalStatus: written.FinalStatus, strings: [...strings] });
}

/** IoFreeErrorLogEntry: gives back an entry the driver decided not to write (IRQL <= DISPATCH_LEVEL). */
export function IoFreeErrorLogEntry(ElEntry: number): void {
  const t = kernel("IoFreeErrorLogEntry");
  takeEntry(t, "IoFreeErrorLogEntry", ElEntry);
  t.machine.nonPagedPool.free(ElEntry >>> 0, ERROR_LOG_TAG);
}

/**
 * What drivers wrote to the system event log (IoWriteErrorLogEntry), oldest first: what Event
 * Viewer's System log would show for the run.
 */
export function errorLog(machine: Machine): readonly ErrorLogEntry[] {
  return logOf(machine).written;
}
