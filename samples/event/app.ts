/**
 * The app of the event sample: it asks the Alarm driver to tell it when a delay has passed, both
 * ways — the pended request itself (IRP-based) and an event of its own (event-based) — then
 * cancels a registration with CancelIoEx, tries two handles the driver must refuse, and closes the
 * device with one registration of each kind outstanding (IRP_MJ_CLEANUP ends them).
 */
import {
  CancelIoEx,
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
  OPEN_EXISTING,
  OVERLAPPED,
  QueryPerformanceCounter,
  SIZEOF_OVERLAPPED,
  WaitForSingleObject,
  readU64,
  writeI64,
  writeU32,
} from "irpsim/win32";
import { EVENT_BASED, IOCTL_ALARM_REGISTER, IRP_BASED, REGISTER_EVENT_DUE_TIME, REGISTER_EVENT_HANDLE, REGISTER_EVENT_TYPE, SIZEOF_REGISTER_EVENT } from "./driver.js";

/** The delays the app asks for (ms). */
export const ALARM_IRP_DELAY_MS = 20;
export const ALARM_EVENT_DELAY_MS = 30;
/** Registrations the app cancels or leaves to cleanup: far in the future. */
export const ALARM_LONG_DELAY_MS = 10_000;
/** A handle value no process has open. */
export const ALARM_BOGUS_HANDLE = 0x1234;

/** What one step of the app saw. */
export interface AlarmStep {
  readonly step: "irp" | "event" | "cancel" | "bogus handle" | "wrong type" | "cleanup irp" | "cleanup event";
  /** DeviceIoControl's result and GetLastError after it (0 when it returned TRUE). */
  readonly accepted: boolean;
  readonly registerError: number;
  /** How it ended: GetOverlappedResult's error (0: success), or the wait's result for an event. */
  readonly result: number;
  /** Virtual milliseconds from registering to the notification (or the end of the wait). */
  readonly elapsedMs: number;
}

/** What the app saw, for the scenario's checks. */
export class AlarmAppReport {
  readonly steps: AlarmStep[] = [];
  cancelOk: boolean | null = null;
  finished = false;
  step(name: AlarmStep["step"]): AlarmStep | undefined {
    return this.steps.find((s) => s.step === name);
  }
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 */
export function makeAlarmApp(report: AlarmAppReport): () => Promise<number> {
  return async function AlarmAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\Alarm", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const heap = GetProcessHeap();
    const counter = HeapAlloc(heap, HEAP_ZERO_MEMORY, 8);
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    const nowMs = (): number => {
      QueryPerformanceCounter(counter);
      return Number(readU64(counter)) / 10_000;
    };

    /** Sends IOCTL_ALARM_REGISTER; returns its overlapped block and what DeviceIoControl said. */
    const register = async (type: number, hEvent: number, delayMs: number) => {
      const input = HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_REGISTER_EVENT);
      writeU32(input + REGISTER_EVENT_TYPE, type);
      writeU32(input + REGISTER_EVENT_HANDLE, hEvent);
      writeI64(input + REGISTER_EVENT_DUE_TIME, BigInt(-10_000 * delayMs));
      const ov = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov.hEvent = CreateEvent(null, true, false, null);
      const started = nowMs();
      const ok = await DeviceIoControl(hDevice, IOCTL_ALARM_REGISTER, input, SIZEOF_REGISTER_EVENT, 0, 0, bytes, ov);
      const error = ok ? 0 : GetLastError();
      return { ov, ok, error, started, pending: !ok && error === ERROR_IO_PENDING };
    };

    /** Waits for a pended registration's request and says how it ended. */
    const finishIrp = async (step: AlarmStep["step"], r: Awaited<ReturnType<typeof register>>) => {
      let result = r.error;
      if (r.pending) {
        await WaitForSingleObject(r.ov.hEvent, INFINITE);
        result = (await GetOverlappedResult(hDevice, r.ov, bytes, false)) ? 0 : GetLastError();
      }
      report.steps.push({ step, accepted: r.ok || r.pending, registerError: r.error, result, elapsedMs: nowMs() - r.started });
    };

    /** Waits (with a timeout) for the app's event of an event-based registration. */
    const finishEvent = async (step: AlarmStep["step"], r: Awaited<ReturnType<typeof register>>, hEvent: number, timeoutMs: number) => {
      const result = r.ok ? await WaitForSingleObject(hEvent, timeoutMs) : r.error;
      report.steps.push({ step, accepted: r.ok, registerError: r.error, result, elapsedMs: nowMs() - r.started });
    };

    // 1. IRP-based: the request pends and completes when the delay has passed.
    await finishIrp("irp", await register(IRP_BASED, 0, ALARM_IRP_DELAY_MS));

    // 2. Event-based: the request completes at once; the driver signals our event later.
    const hAlarm = CreateEvent(null, false, false, null);
    await finishEvent("event", await register(EVENT_BASED, hAlarm, ALARM_EVENT_DELAY_MS), hAlarm, 5_000);

    // 3. A registration we no longer want: cancel it.
    const doomed = await register(IRP_BASED, 0, ALARM_LONG_DELAY_MS);
    if (doomed.pending) report.cancelOk = await CancelIoEx(hDevice, doomed.ov);
    await finishIrp("cancel", doomed);

    // 4. Handles the driver must refuse: one nobody has open, and one that is not an event.
    const bogus = await register(EVENT_BASED, ALARM_BOGUS_HANDLE, ALARM_EVENT_DELAY_MS);
    report.steps.push({ step: "bogus handle", accepted: bogus.ok, registerError: bogus.error, result: bogus.error, elapsedMs: 0 });
    const wrongType = await register(EVENT_BASED, hDevice, ALARM_EVENT_DELAY_MS);
    report.steps.push({ step: "wrong type", accepted: wrongType.ok, registerError: wrongType.error, result: wrongType.error, elapsedMs: 0 });

    // 5. Close with one of each outstanding: IRP_MJ_CLEANUP cancels the request and drops the event's timer.
    const lastIrp = await register(IRP_BASED, 0, ALARM_LONG_DELAY_MS);
    const hLast = CreateEvent(null, true, false, null);
    const lastEvent = await register(EVENT_BASED, hLast, ALARM_LONG_DELAY_MS);
    await CloseHandle(hDevice);
    await finishIrp("cleanup irp", lastIrp);
    await finishEvent("cleanup event", lastEvent, hLast, ALARM_LONG_DELAY_MS + 2_000);
    report.finished = true;
    return 0;
  };
}
