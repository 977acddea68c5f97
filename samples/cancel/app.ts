/**
 * The app of the cancel sample: it puts several overlapped reads in the Poller driver's queue at
 * once, changes its mind about one and cancels it with CancelIoEx, collects the readings of the
 * first ones, and closes the device with the last reads still queued (IRP_MJ_CLEANUP cancels them).
 */
import {
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  ERROR_IO_PENDING,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INFINITE,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OVERLAPPED,
  ReadFile,
  SIZEOF_OVERLAPPED,
  WaitForSingleObject,
  readU32,
} from "irpsim/win32";
import { POLLER_READING_BYTES } from "./driver.js";

/** Reads the app keeps in the queue at once. */
export const POLLER_READS = 5;
/** The read the app cancels (queued behind the first). */
export const POLLER_CANCELLED = 1;
/** The reads the app waits for before it closes; the rest are still queued when it does. */
export const POLLER_WAITED = [0, 2];

/** What happened to one read. */
export interface PollerReadResult {
  readonly index: number;
  /** ReadFile's result and GetLastError after it. */
  readonly accepted: boolean;
  readonly readError: number;
  /** GetOverlappedResult's error (0: success) and byte count. */
  readonly error: number;
  readonly bytes: number;
  /** The reading's sequence number and time (ms), when 8 bytes came back. */
  readonly sequence: number;
  readonly timeMs: number;
}

/** What the app saw, for the scenario's checks. */
export class PollerAppReport {
  readonly results: PollerReadResult[] = [];
  /** Whether every ReadFile returned FALSE with ERROR_IO_PENDING. */
  allPending = true;
  cancelOk: boolean | null = null;
  /** Reads still outstanding when the app closed the device. */
  outstandingAtClose = 0;
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 */
export function makePollerApp(report: PollerAppReport): () => Promise<number> {
  return async function PollerAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\Poller", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const heap = GetProcessHeap();
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    const reads: { ov: OVERLAPPED; buffer: number; accepted: boolean; readError: number; done: boolean }[] = [];
    for (let i = 0; i < POLLER_READS; i++) {
      const buffer = HeapAlloc(heap, HEAP_ZERO_MEMORY, POLLER_READING_BYTES);
      const ov = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov.hEvent = CreateEvent(null, true, false, null);
      const ok = await ReadFile(hDevice, buffer, POLLER_READING_BYTES, 0, ov);
      const readError = ok ? 0 : GetLastError();
      if (ok || readError !== ERROR_IO_PENDING) report.allPending = false;
      reads.push({ ov, buffer, accepted: ok || readError === ERROR_IO_PENDING, readError, done: false });
    }

    const collect = async (i: number): Promise<void> => {
      const r = reads[i];
      if (!r || r.done) return;
      r.done = true;
      if (!r.accepted) {
        report.results.push({ index: i, accepted: false, readError: r.readError, error: r.readError, bytes: 0, sequence: 0, timeMs: 0 });
        return;
      }
      await WaitForSingleObject(r.ov.hEvent, INFINITE);
      const ok = await GetOverlappedResult(hDevice, r.ov, bytes, false);
      const n = readU32(bytes);
      const full = ok && n === POLLER_READING_BYTES;
      report.results.push({ index: i, accepted: true, readError: r.readError, error: ok ? 0 : GetLastError(), bytes: n, sequence: full ? readU32(r.buffer) : 0, timeMs: full ? readU32(r.buffer + 4) : 0 });
    };

    // One read is not wanted after all: it is still queued behind the first.
    const victim = reads[POLLER_CANCELLED];
    if (victim?.accepted) report.cancelOk = await CancelIoEx(hDevice, victim.ov);
    await collect(POLLER_CANCELLED);
    for (const i of POLLER_WAITED) await collect(i);

    // Close with the rest still queued: the driver's IRP_MJ_CLEANUP completes them, cancelled.
    report.outstandingAtClose = reads.filter((r) => r.accepted && !r.done).length;
    await CloseHandle(hDevice);
    for (let i = 0; i < reads.length; i++) await collect(i);
    report.results.sort((a, b) => a.index - b.index);
    report.finished = true;
    return 0;
  };
}
