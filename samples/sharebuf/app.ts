/**
 * The app of the shared-buffer design: it shares a buffer with the Sharebuf driver through a
 * pended METHOD_OUT_DIRECT IOCTL on an overlapped handle, reads what the driver writes at its
 * own address, and ends the sharing one of three ways.
 */
import {
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  ERROR_IO_PENDING,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INFINITE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  OVERLAPPED,
  OutputDebugString,
  PAGE_READWRITE,
  SIZEOF_OVERLAPPED,
  Sleep,
  VirtualAlloc,
  WaitForSingleObject,
  readU32,
} from "irpsim/win32";
import { HEADER_BYTES, IOCTL_DONE_USING_SHARE_BUFFER, IOCTL_SHARE_BUFFER, OFFSET_MAGIC, OFFSET_SEQUENCE, RECORD_BYTES, SHAREBUF_MAGIC } from "./driver.js";

/** How the sharing ends. */
export type SharebufEnding = "done-using" | "killed" | "closed";

/** Bytes the app shares: four pages. */
export const SHARED_BYTES = 4 * 4096;
/** The app reads the buffer every this many milliseconds. */
export const READ_PERIOD_MS = 25;

/** What the app saw, for the scenario's checks. */
export class SharebufAppReport {
  /** The app's address of the shared buffer. */
  buffer = 0;
  /** GetLastError after the IOCTL_SHARE_BUFFER call (ERROR_IO_PENDING expected). */
  shareError = 0;
  /** Whether IOCTL_SHARE_BUFFER returned FALSE (it should: the request is pended). */
  shareReturnedFalse = false;
  /** The header's magic as the app read it at its own address. */
  magic = 0;
  /** Records the app read: sequence number and the value the driver stored with it. */
  readonly records: { sequence: number; square: number }[] = [];
  /** Set once the buffer is shared and the first record is visible. */
  shared = false;
  /** The result of DONE_USING (done-using ending). */
  doneUsingOk: boolean | null = null;
  /** Whether the shared request's event fired, and what GetOverlappedResult said. */
  eventFired = false;
  finalOk: boolean | null = null;
  finalError = 0;
  /** Set when the app reached its end. */
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param ending how the app ends the sharing ("killed": it never does; the harness kills it).
 * @param report where it writes what it saw.
 * @param reads how many times it reads the buffer before ending the sharing.
 */
export function makeSharebufApp(ending: SharebufEnding, report: SharebufAppReport, reads = 6): () => Promise<number> {
  return async function SharebufAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\Sharebuf", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();

    // The OVERLAPPED lives in the app's memory, as in C; its event is auto-reset.
    const hEvent = CreateEvent(null, false, false, null);
    const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
    ov.hEvent = hEvent;
    const bytes = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
    const buffer = VirtualAlloc(0, SHARED_BYTES, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    report.buffer = buffer;

    const ok = await DeviceIoControl(hDevice, IOCTL_SHARE_BUFFER, 0, 0, buffer, SHARED_BYTES, bytes, ov);
    report.shareReturnedFalse = !ok;
    report.shareError = GetLastError();
    if (ok || report.shareError !== ERROR_IO_PENDING) return report.shareError || 1;

    // The driver writes through its system address; the app reads the same bytes at its own.
    for (let i = 0; ending === "killed" || i < reads; i++) {
      await Sleep(READ_PERIOD_MS);
      report.magic = readU32(buffer + OFFSET_MAGIC);
      const sequence = readU32(buffer + OFFSET_SEQUENCE);
      if (report.magic !== SHAREBUF_MAGIC || sequence === 0) continue;
      const slots = (SHARED_BYTES - HEADER_BYTES) / RECORD_BYTES;
      const record = buffer + HEADER_BYTES + ((sequence - 1) % slots) * RECORD_BYTES;
      report.records.push({ sequence: readU32(record), square: readU32(record + 8) });
      report.shared = true;
      OutputDebugString(`app reads record ${sequence} at its own address 0x${record.toString(16).toUpperCase()}`);
    }

    if (ending === "done-using") {
      // Every call on an overlapped handle supplies an OVERLAPPED.
      const ov2 = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov2.hEvent = CreateEvent(null, true, false, null);
      report.doneUsingOk = await DeviceIoControl(hDevice, IOCTL_DONE_USING_SHARE_BUFFER, 0, 0, 0, 0, bytes, ov2);
    } else {
      // Closing the handle without DONE_USING: IRP_MJ_CLEANUP must end the sharing.
      await CloseHandle(hDevice);
    }

    report.eventFired = (await WaitForSingleObject(hEvent, INFINITE)) === 0;
    report.finalOk = await GetOverlappedResult(hDevice, ov, bytes, false);
    report.finalError = report.finalOk ? 0 : GetLastError();
    if (ending === "done-using") await CloseHandle(hDevice);
    report.finished = true;
    return 0;
  };
}
