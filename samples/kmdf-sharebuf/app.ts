/**
 * The app of the KMDF shared-buffer sample: shares four pages with the driver through a pended
 * METHOD_OUT_DIRECT IOCTL on an overlapped handle, reads the records the driver writes at its own
 * address, and ends the sharing by DONE_USING, by closing its handle, or not at all (it is killed).
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
  PAGE_READWRITE,
  SIZEOF_OVERLAPPED,
  Sleep,
  VirtualAlloc,
  WaitForSingleObject,
  readU32,
} from "irpsim/win32";
import { HEADER_BYTES, IOCTL_DONE_USING_SHARE_BUFFER, IOCTL_SHARE_BUFFER, OFFSET_MAGIC, OFFSET_SEQUENCE, RECORD_BYTES, SHAREBUF_MAGIC } from "./driver.js";

/** How the app ends the sharing. */
export type KmdfSharebufEnding = "done-using" | "killed" | "closed";

/** Bytes shared: four pages. */
export const SHARED_BYTES = 4 * 4096;
/** The app looks at the buffer every this many milliseconds. */
export const LOOK_PERIOD_MS = 25;

/** What the app saw. */
export class KmdfSharebufReport {
  buffer = 0;
  sharePended = false;
  /** Records read at the app's own address: sequence and the value stored with it. */
  readonly records: { sequence: number; square: number }[] = [];
  shared = false;
  doneUsingOk: boolean | null = null;
  /** How the shared request ended. */
  finalOk: boolean | null = null;
  finalError = 0;
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param ending how it ends the sharing.
 * @param report where it writes what it saw.
 * @param looks how many times it reads the buffer first.
 */
export function makeKmdfSharebufApp(ending: KmdfSharebufEnding, report: KmdfSharebufReport, looks = 5): () => Promise<number> {
  return async function KmdfSharebufAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\KmdfSharebuf", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const heap = GetProcessHeap();
    const ov = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
    const hEvent = CreateEvent(null, true, false, null);
    ov.hEvent = hEvent;
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    const buffer = VirtualAlloc(0, SHARED_BYTES, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    report.buffer = buffer;
    const ok = await DeviceIoControl(hDevice, IOCTL_SHARE_BUFFER, 0, 0, buffer, SHARED_BYTES, bytes, ov);
    report.sharePended = !ok && GetLastError() === ERROR_IO_PENDING;
    if (!report.sharePended) return 1;

    for (let i = 0; ending === "killed" || i < looks; i++) {
      await Sleep(LOOK_PERIOD_MS);
      const sequence = readU32(buffer + OFFSET_SEQUENCE);
      if (readU32(buffer + OFFSET_MAGIC) !== SHAREBUF_MAGIC || sequence === 0) continue;
      const slots = (SHARED_BYTES - HEADER_BYTES) / RECORD_BYTES;
      const record = buffer + HEADER_BYTES + ((sequence - 1) % slots) * RECORD_BYTES;
      report.records.push({ sequence: readU32(record), square: readU32(record + 8) });
      report.shared = true;
    }

    if (ending === "done-using") {
      const ov2 = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov2.hEvent = CreateEvent(null, true, false, null);
      const done = await DeviceIoControl(hDevice, IOCTL_DONE_USING_SHARE_BUFFER, 0, 0, 0, 0, bytes, ov2);
      report.doneUsingOk = done || (GetLastError() === ERROR_IO_PENDING && (await GetOverlappedResult(hDevice, ov2, bytes, true)));
    } else {
      await CloseHandle(hDevice);
    }
    await WaitForSingleObject(hEvent, INFINITE);
    report.finalOk = await GetOverlappedResult(hDevice, ov, bytes, false);
    report.finalError = report.finalOk ? 0 : GetLastError();
    if (ending === "done-using") await CloseHandle(hDevice);
    report.finished = true;
    return 0;
  };
}
