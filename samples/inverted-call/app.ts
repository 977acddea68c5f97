/**
 * The app half of the inverted-call pattern: it parks notification requests with the
 * InvertedCall driver through an I/O completion port and collects the notifications with
 * GetQueuedCompletionStatus.
 *
 * A helper thread parks the first K requests and exits at once: the requests are bound to a
 * completion port, so they are thread-agnostic and outlive it. The main thread then makes K
 * events happen and collects K packets, parks K more requests and ends with them still parked —
 * by closing the device handle ("close": it collects K cancelled packets) or by ExitProcess
 * ("exit": the I/O manager cancels them on the way out).
 */
import {
  CloseHandle,
  CreateEvent,
  CreateFile,
  CreateIoCompletionPort,
  CreateThread,
  DeviceIoControl,
  ExitProcess,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetQueuedCompletionStatus,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INFINITE,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OVERLAPPED,
  OutputDebugString,
  SIZEOF_OVERLAPPED,
  WaitForSingleObject,
  readU32,
} from "irpsim/win32";
import { INVERTED_NOTIFICATION_BYTES, IOCTL_INVERTED_NOTIFY, IOCTL_INVERTED_SIMULATE_EVENT } from "./driver.js";

/** How the app ends with requests still parked. */
export type InvertedEnding = "close" | "exit";

/** The completion key the device handle is bound with. */
export const NOTIFY_KEY = 0x4e4f5459; // "NOTY"

/** One parked notification request: its OVERLAPPED and 4-byte output. */
interface Notification {
  readonly ov: OVERLAPPED;
  readonly output: number;
}

/** What one completion packet said. */
export interface Delivered {
  /** Which request (by the order it was parked). */
  readonly index: number;
  readonly ok: boolean;
  readonly error: number;
  readonly bytes: number;
  readonly key: number;
  /** The event number the driver wrote (0 when cancelled). */
  readonly sequence: number;
}

/** What the app saw, for the scenario's checks. */
export class InvertedAppReport {
  /** GetLastError after each IOCTL_INVERTED_NOTIFY (ERROR_IO_PENDING expected). */
  readonly parkErrors: number[] = [];
  /** DeviceIoControl's return for each IOCTL_INVERTED_NOTIFY (FALSE expected). */
  readonly parkReturns: boolean[] = [];
  /** Set when the helper thread that parked the first requests had exited before any event. */
  posterExitedFirst = false;
  /** The packets for the first K requests, in the order they were removed. */
  readonly delivered: Delivered[] = [];
  /** The packets for the requests still parked at the end ("close" ending). */
  readonly cancelled: Delivered[] = [];
  /** Set when the app reached its ending. */
  finished = false;
}

/** A zeroed block of app memory. */
function allocate(bytes: number): number {
  return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, bytes);
}

/**
 * Makes the app's main function.
 *
 * @param ending how it ends with K requests still parked.
 * @param report where it writes what it saw.
 * @param count K: how many requests it parks each time (and events it makes happen).
 */
export function makeInvertedCallApp(ending: InvertedEnding, report: InvertedAppReport, count = 4): () => Promise<number> {
  return async function InvertedAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\InvertedCall", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const hPort = CreateIoCompletionPort(hDevice, 0, NOTIFY_KEY, 0);
    if (hPort === 0) return GetLastError();

    const parked: Notification[] = [];
    /** Parks one notification request; the OVERLAPPED has no event, so its completion posts a packet. */
    async function park(): Promise<void> {
      const block = allocate(SIZEOF_OVERLAPPED + 12);
      const ov = new OVERLAPPED(block);
      const output = block + SIZEOF_OVERLAPPED + 4;
      parked.push({ ov, output });
      const ok = await DeviceIoControl(hDevice, IOCTL_INVERTED_NOTIFY, 0, 0, output, INVERTED_NOTIFICATION_BYTES, 0, ov);
      report.parkReturns.push(ok);
      report.parkErrors.push(GetLastError());
    }

    // The event's own request must not post a packet: the low bit of hEvent says so.
    const eventDone = CreateEvent(null, false, false, null);
    const simulateOv = new OVERLAPPED(allocate(SIZEOF_OVERLAPPED));
    simulateOv.hEvent = eventDone | 1;
    async function simulateEvent(): Promise<void> {
      await DeviceIoControl(hDevice, IOCTL_INVERTED_SIMULATE_EVENT, 0, 0, 0, 0, 0, simulateOv);
      await WaitForSingleObject(eventDone, INFINITE);
    }

    /** Removes one packet and says which request it was for. */
    async function collect(timeoutMs: number): Promise<Delivered | null> {
      const out = allocate(12);
      const ok = await GetQueuedCompletionStatus(hPort, out, out + 4, out + 8, timeoutMs);
      const error = ok ? 0 : GetLastError();
      const ovAddress = readU32(out + 8);
      if (ovAddress === 0) return null;
      const index = parked.findIndex((n) => n.ov.address === ovAddress);
      const request = parked[index];
      return { index, ok, error, bytes: readU32(out), key: readU32(out + 4), sequence: request && ok ? readU32(request.output) : 0 };
    }

    // An event before anyone listens is dropped.
    await simulateEvent();

    // A helper thread parks the first requests and leaves at once: they outlive it.
    const hPoster = CreateThread(
      null,
      0,
      async () => {
        for (let i = 0; i < count; i++) await park();
        return 0;
      },
      null,
      0,
      0,
      "poster",
    );
    await WaitForSingleObject(hPoster, INFINITE);
    report.posterExitedFirst = true;

    for (let i = 0; i < count; i++) await simulateEvent();
    for (let i = 0; i < count; i++) {
      const d = await collect(INFINITE);
      if (d) {
        report.delivered.push(d);
        OutputDebugString(`app: notification ${d.sequence} for request ${d.index}`);
      }
    }

    // Park K more and leave them parked.
    for (let i = 0; i < count; i++) await park();
    report.finished = true;
    if (ending === "exit") await ExitProcess(0);

    await CloseHandle(hDevice);
    for (let i = 0; i < count; i++) {
      const d = await collect(0);
      if (d) report.cancelled.push(d);
    }
    await CloseHandle(hPort);
    return 0;
  };
}
