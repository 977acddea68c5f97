/**
 * The Ticker's app: waits for three ticks, one overlapped IOCTL_TICKER_WAIT at a time, then sends
 * a fourth and cancels it with CancelIoEx.
 */
// #region app
import {
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  ERROR_IO_PENDING,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OVERLAPPED,
  SIZEOF_OVERLAPPED,
  readU32,
} from "irpsim/win32";
import { IOCTL_TICKER_WAIT } from "./driver.js";

/** What the app saw, for the scenario's checks. */
export class TickerAppReport {
  /** The tick number each completed wait returned. */
  readonly ticks: number[] = [];
  /** GetLastError for the cancelled wait (ERROR_OPERATION_ABORTED expected). */
  cancelledError = 0;
  finished = false;
}

/** Makes the app's main function; it writes what it saw into `report`. */
export function makeTickerApp(report: TickerAppReport): () => Promise<number> {
  return async function TickerAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\Ticker", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    // As in C: the OVERLAPPED, the output buffer and the byte count live in the app's memory.
    const heap = GetProcessHeap();
    const ov = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
    ov.hEvent = CreateEvent(null, true, false, null);
    const tick = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);

    for (let i = 0; i < 4; i++) {
      const ok = await DeviceIoControl(hDevice, IOCTL_TICKER_WAIT, 0, 0, tick, 4, bytes, ov);
      if (ok || GetLastError() !== ERROR_IO_PENDING) return GetLastError() || 1;
      if (i === 3) await CancelIoEx(hDevice, ov); // the fourth wait: give up on it
      if (await GetOverlappedResult(hDevice, ov, bytes, true)) {
        report.ticks.push(readU32(tick));
      } else {
        report.cancelledError = GetLastError();
      }
    }
    await CloseHandle(hDevice);
    report.finished = true;
    return 0;
  };
}
// #endregion app
