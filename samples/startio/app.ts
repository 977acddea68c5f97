/**
 * The app of the StartIo sample: a terminal program that sends a few modem commands to the port
 * as overlapped writes, all at once, then changes its mind about one of them and cancels it with
 * CancelIoEx while it still waits in the driver's device queue, collects every result and closes
 * the port.
 */
import {
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
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
  OPEN_EXISTING,
  OVERLAPPED,
  SIZEOF_OVERLAPPED,
  WaitForSingleObject,
  WriteFile,
  readU32,
  writeAnsiString,
} from "irpsim/win32";

/** The commands the app writes, in order. */
export const UART_COMMANDS: readonly string[] = ["ATZ\r", "ATE0\r", "ATDT5551234\r", "ATH0\r"];
/** The command the app cancels (it waits in the device queue behind the first ones). */
export const UART_CANCELLED = 2;

/** What happened to one write. */
export interface UartWriteResult {
  readonly command: string;
  /** WriteFile's result and GetLastError after it. */
  readonly accepted: boolean;
  readonly writeError: number;
  /** GetOverlappedResult's result, its error and the bytes it reported. */
  readonly ok: boolean;
  readonly error: number;
  readonly bytes: number;
}

/** What the app saw, for the scenario's checks. */
export class UartAppReport {
  /** Writes WriteFile accepted (returned TRUE, or FALSE with ERROR_IO_PENDING). */
  issued = 0;
  /** Whether every WriteFile returned FALSE with ERROR_IO_PENDING. */
  allPending = true;
  /** CancelIoEx's result for the cancelled command. */
  cancelOk: boolean | null = null;
  readonly results: UartWriteResult[] = [];
  /** Set when the app closed the port at the end. */
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 * @param commands the commands to write.
 * @param cancel the index of the command to cancel (-1: none).
 */
export function makeUartApp(report: UartAppReport, commands: readonly string[] = UART_COMMANDS, cancel = UART_CANCELLED): () => Promise<number> {
  return async function UartAppMain(): Promise<number> {
    const hPort = await CreateFile("\\\\.\\Uart", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hPort === INVALID_HANDLE_VALUE) return GetLastError();
    const heap = GetProcessHeap();

    // Every write in flight at once: the driver's device queue holds them in order.
    const pending: { command: string; ov: OVERLAPPED; accepted: boolean; writeError: number }[] = [];
    for (const command of commands) {
      const buffer = HeapAlloc(heap, HEAP_ZERO_MEMORY, command.length + 1);
      writeAnsiString(buffer, command);
      const ov = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov.hEvent = CreateEvent(null, true, false, null);
      const ok = await WriteFile(hPort, buffer, command.length, 0, ov);
      const writeError = ok ? 0 : GetLastError();
      if (ok || writeError !== ERROR_IO_PENDING) report.allPending = false;
      const accepted = ok || writeError === ERROR_IO_PENDING;
      if (accepted) report.issued++;
      pending.push({ command, ov, accepted, writeError });
    }

    // The dial command is not wanted after all: it is still queued behind the first two.
    const victim = pending[cancel];
    if (victim) report.cancelOk = await CancelIoEx(hPort, victim.ov);

    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    for (const p of pending) {
      if (!p.accepted) {
        report.results.push({ command: p.command, accepted: false, writeError: p.writeError, ok: false, error: p.writeError, bytes: 0 });
        continue;
      }
      await WaitForSingleObject(p.ov.hEvent, INFINITE);
      const ok = await GetOverlappedResult(hPort, p.ov, bytes, false);
      report.results.push({ command: p.command, accepted: true, writeError: p.writeError, ok, error: ok ? 0 : GetLastError(), bytes: readU32(bytes) });
    }
    await CloseHandle(hPort);
    report.finished = true;
    return 0;
  };
}
