/**
 * The app of the cancel-safe-queue sample: several threads each keep one overlapped 4-byte
 * ReadFileEx outstanding and wait for it in an alertable SleepEx; the completion routine runs in
 * the reading thread and the thread reads again. The main thread lets them run, then ends the
 * app cleanly (it closes the device, which drains the queue through IRP_MJ_CLEANUP, and waits for
 * the readers) or abruptly (ExitProcess with reads in flight).
 */
import {
  CloseHandle,
  CreateFile,
  CreateThread,
  ExitProcess,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GetCurrentThreadId,
  GetLastError,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INFINITE,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OVERLAPPED,
  ReadFileEx,
  SIZEOF_OVERLAPPED,
  Sleep,
  SleepEx,
  WaitForMultipleObjects,
  readU32,
  type LPOVERLAPPED_COMPLETION_ROUTINE,
} from "irpsim/win32";
import { CSAMP_SAMPLE_BYTES } from "./driver.js";

/** How the app ends. */
export type CsqReadsEnding = "clean" | "exit";

/** What one completion routine was told. */
export interface ReadResult {
  readonly reader: number;
  readonly error: number;
  readonly bytes: number;
  /** The sample read (when 4 bytes came back). */
  readonly sample: number;
  /** The thread the routine ran in. */
  readonly thread: number;
  /** The thread that issued the read. */
  readonly issuer: number;
}

/** What the app saw, for the scenario's checks. */
export class CsqReadsReport {
  /** Reads ReadFileEx accepted. */
  accepted = 0;
  /** Errors of reads ReadFileEx refused. */
  readonly refused: number[] = [];
  /** Every completion routine call, in order. */
  readonly results: ReadResult[] = [];
  /** What each alertable SleepEx returned. */
  readonly wakes: number[] = [];
  /** Set when the app reached its ending. */
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param ending clean (close the device and wait for the readers) or exit (ExitProcess).
 * @param report where it writes what it saw.
 * @param readers how many reading threads.
 * @param runMs how long the readers run before the ending, in virtual milliseconds.
 */
export function makeCsqReadsApp(ending: CsqReadsEnding, report: CsqReadsReport, readers = 3, runMs = 60): () => Promise<number> {
  return async function CsqReadsAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\CsqReads", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const state = { stop: false };

    /** One reader: read, wait alertably until the routine has run, read again. */
    const reader = (index: number) =>
      async function CsqReadsReader(): Promise<number> {
        const block = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED + 8);
        const ov = new OVERLAPPED(block);
        const data = block + SIZEOF_OVERLAPPED + 4;
        const me = GetCurrentThreadId();
        // Set while this reader's read is outstanding; its completion routine clears it.
        const read = { outstanding: false };
        const done: LPOVERLAPPED_COMPLETION_ROUTINE = function CsqReadsCompletion(dwErrorCode, dwNumberOfBytesTransfered) {
          report.results.push({ reader: index, error: dwErrorCode, bytes: dwNumberOfBytesTransfered, sample: dwNumberOfBytesTransfered === CSAMP_SAMPLE_BYTES ? readU32(data) : 0, thread: GetCurrentThreadId(), issuer: me });
          read.outstanding = false;
        };
        while (!state.stop) {
          read.outstanding = true;
          if (!(await ReadFileEx(hDevice, data, CSAMP_SAMPLE_BYTES, ov, done))) {
            report.refused.push(GetLastError());
            return 1;
          }
          report.accepted++;
          while (read.outstanding) report.wakes.push(await SleepEx(INFINITE, true));
        }
        return 0;
      };

    const threads: number[] = [];
    for (let i = 0; i < readers; i++) threads.push(CreateThread(null, 0, reader(i), null, 0, 0, `reader${i}`));
    await Sleep(runMs);
    if (ending === "exit") {
      report.finished = true;
      await ExitProcess(0);
    }
    state.stop = true;
    // Closing the device sends IRP_MJ_CLEANUP: the driver completes the queued reads, cancelled.
    await CloseHandle(hDevice);
    await WaitForMultipleObjects(threads.length, threads, true, INFINITE);
    report.finished = true;
    return 0;
  };
}
