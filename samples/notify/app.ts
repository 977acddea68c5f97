/**
 * The app of the notification design: it keeps two IOCTL_NOTIFY_WAIT requests pended on an
 * overlapped handle, re-issues each one as its event arrives, and after a few events closes the
 * handle, which makes the driver's IRP_MJ_CLEANUP complete the waits still pending.
 */
import {
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  ERROR_IO_PENDING,
  ERROR_OPERATION_ABORTED,
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
  OutputDebugString,
  ResetEvent,
  SIZEOF_OVERLAPPED,
  WAIT_OBJECT_0,
  WaitForMultipleObjects,
  readU32,
} from "irpsim/win32";
import { IOCTL_NOTIFY_WAIT, NOTIFY_EVENT_BYTES } from "./driver.js";

/** Requests the app keeps waiting. */
export const NOTIFY_WAITERS = 2;

/** What the app saw, for the scenario's checks. */
export class NotifyAppReport {
  /** Event sequence numbers received, in the order the app saw them. */
  readonly events: number[] = [];
  /** How each wait the app issued ended: "pending" while it waits, then "event", "aborted" or an error number. */
  readonly waits: (string | number)[] = [];
  /** Set when the app reached its end. */
  finished = false;
}

/** One pended wait: its OVERLAPPED, event and output buffer. */
interface Slot {
  readonly ov: OVERLAPPED;
  readonly event: number;
  readonly buffer: number;
  /** Index into the report's waits, -1 when the slot is idle. */
  wait: number;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 * @param wanted how many events it waits for before closing its handle.
 */
export function makeNotifyApp(report: NotifyAppReport, wanted = 4): () => Promise<number> {
  return async function NotifyAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\Notify", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const bytes = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
    const slots: Slot[] = [];
    for (let i = 0; i < NOTIFY_WAITERS; i++) {
      const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov.hEvent = CreateEvent(null, true, false, null);
      slots.push({ ov, event: ov.hEvent, buffer: HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, NOTIFY_EVENT_BYTES), wait: -1 });
    }

    /** Issues a wait on a slot; false when the driver refused it at once. */
    const issue = async (slot: Slot): Promise<boolean> => {
      ResetEvent(slot.event);
      slot.wait = report.waits.push("pending") - 1;
      const ok = await DeviceIoControl(hDevice, IOCTL_NOTIFY_WAIT, 0, 0, slot.buffer, NOTIFY_EVENT_BYTES, bytes, slot.ov);
      if (ok) return true;
      const error = GetLastError();
      if (error === ERROR_IO_PENDING) return true;
      report.waits[slot.wait] = error === ERROR_OPERATION_ABORTED ? "aborted" : error;
      slot.wait = -1;
      return false;
    };
    /** Records how a slot's completed wait ended; true when it delivered an event. */
    const collect = async (slot: Slot): Promise<boolean> => {
      const ok = await GetOverlappedResult(hDevice, slot.ov, bytes, false);
      const error = ok ? 0 : GetLastError();
      if (ok) {
        const sequence = readU32(slot.buffer);
        report.events.push(sequence);
        OutputDebugString(`notify.exe receives event ${sequence}`);
      }
      report.waits[slot.wait] = ok ? "event" : error === ERROR_OPERATION_ABORTED ? "aborted" : error;
      slot.wait = -1;
      return ok;
    };

    for (const slot of slots) await issue(slot);
    while (report.events.length < wanted) {
      const live = slots.filter((s) => s.wait >= 0);
      if (live.length === 0) break;
      const r = await WaitForMultipleObjects(live.length, live.map((s) => s.event), false, INFINITE);
      const slot = live[r - WAIT_OBJECT_0];
      if (!slot) break;
      // A wait that was cancelled is not re-issued.
      if ((await collect(slot)) && report.events.length < wanted) await issue(slot);
    }

    // Closing the handle makes IRP_MJ_CLEANUP complete the waits still pending.
    await CloseHandle(hDevice);
    for (const slot of slots.filter((s) => s.wait >= 0)) {
      await WaitForMultipleObjects(1, [slot.event], true, INFINITE);
      await collect(slot);
    }
    report.finished = true;
    return 0;
  };
}
