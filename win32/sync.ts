/**
 * Synchronization APIs (synchapi.h): events, semaphores, mutexes, waits, Sleep, CloseHandle.
 */
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { UserMode } from "../kernel/irql.js";
import type { KernelObject } from "../kernel/objects.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import {
  STATUS_ABANDONED_WAIT_0,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
  STATUS_USER_APC,
  type NTSTATUS,
} from "../kernel/status.js";
import {
  EVENT_ALL_ACCESS,
  EVENT_MODIFY_STATE,
  EventObject,
  MUTANT_ALL_ACCESS,
  MutantObject,
  SEMAPHORE_ALL_ACCESS,
  SEMAPHORE_MODIFY_STATE,
  SYNCHRONIZE,
  SemaphoreObject,
} from "../kernel/sync-objects.js";
import { MAXIMUM_WAIT_OBJECTS } from "../kernel/waits.js";
import type { KThread } from "../kernel/thread.js";
import type { DispatcherHeader } from "../kernel/dispatcher.js";
import { boolFromStatus, caller, putUserU32, service, serviceAsync, setLastNtError } from "./call.js";
import { ERROR_INVALID_PARAMETER } from "./errors.js";
import { apiEnter, apiReturn } from "./trace-events.js";

/** INFINITE timeout. */
export const INFINITE = 0xffffffff;
/** WAIT_OBJECT_0: the wait was satisfied by the first object (WAIT_OBJECT_0 + i by the i-th). */
export const WAIT_OBJECT_0 = 0;
/**
 * WAIT_ABANDONED_0: the first object is a mutex its owner abandoned by exiting (WAIT_ABANDONED_0 +
 * i for the i-th).
 */
export const WAIT_ABANDONED_0 = 0x80;
/** WAIT_IO_COMPLETION: an alertable wait returned to run queued user APCs. */
export const WAIT_IO_COMPLETION = 0xc0;
/** WAIT_TIMEOUT: the wait's time-out elapsed. */
export const WAIT_TIMEOUT = 0x102;
/** WAIT_FAILED: the wait failed; GetLastError says why. */
export const WAIT_FAILED = 0xffffffff;

function reference(t: KThread, h: number, type: string | null, access: number): KernelObject | NTSTATUS {
  const r = t.machine.ob.referenceByHandle(t.process, h, type, access, UserMode);
  return r.object ?? r.status;
}

/** CreateEvent: a notification (manual-reset) or synchronization (auto-reset) event; NULL on failure. */
export function CreateEvent(_lpEventAttributes: null, bManualReset: boolean, bInitialState: boolean, lpName: string | null = null): number {
  const t = caller("CreateEvent");
  return service(t, (m) => {
    const e = new EventObject(bManualReset, bInitialState, lpName);
    return m.ob.insertHandle(t.process, e, EVENT_ALL_ACCESS);
  });
}

function withObject<T extends KernelObject>(
  api: string,
  h: number,
  type: abstract new (...args: never[]) => T,
  typeName: string,
  access: number,
  fn: (o: T, t: KThread) => NTSTATUS,
): boolean {
  const t = caller(api);
  return service(t, (m) => {
    const o = reference(t, h, typeName, access);
    if (typeof o === "number") return boolFromStatus(t, o);
    try {
      if (!(o instanceof type)) return boolFromStatus(t, 0xc0000024);
      return boolFromStatus(t, fn(o, t));
    } catch (e) {
      if (e instanceof NtStatusError) return boolFromStatus(t, e.status);
      throw e;
    } finally {
      m.ob.dereference(o);
    }
  });
}

/** SetEvent. */
export function SetEvent(hEvent: number): boolean {
  return withObject("SetEvent", hEvent, EventObject, "Event", EVENT_MODIFY_STATE, (o, t) => {
    t.machine.signal(o.event);
    return STATUS_SUCCESS;
  });
}

/** ResetEvent. */
export function ResetEvent(hEvent: number): boolean {
  return withObject("ResetEvent", hEvent, EventObject, "Event", EVENT_MODIFY_STATE, (o) => {
    o.event.SignalState = 0;
    return STATUS_SUCCESS;
  });
}

/** PulseEvent: releases the current waiters and leaves the event reset. */
export function PulseEvent(hEvent: number): boolean {
  return withObject("PulseEvent", hEvent, EventObject, "Event", EVENT_MODIFY_STATE, (o, t) => {
    const ev = o.event;
    t.machine.signal(ev);
    ev.SignalState = 0;
    return STATUS_SUCCESS;
  });
}

/** CreateSemaphore. */
export function CreateSemaphore(_attributes: null, lInitialCount: number, lMaximumCount: number, lpName: string | null = null): number {
  const t = caller("CreateSemaphore");
  if (lMaximumCount <= 0 || lInitialCount < 0 || lInitialCount > lMaximumCount) {
    t.lastError = ERROR_INVALID_PARAMETER;
    return 0;
  }
  return service(t, (m) => {
    const s = new SemaphoreObject(lInitialCount, lMaximumCount, lpName);
    return m.ob.insertHandle(t.process, s, SEMAPHORE_ALL_ACCESS);
  });
}

/** ReleaseSemaphore: stores the previous count at `lpPreviousCount` (when not NULL). */
export function ReleaseSemaphore(hSemaphore: number, lReleaseCount: number, lpPreviousCount: number): boolean {
  return withObject("ReleaseSemaphore", hSemaphore, SemaphoreObject, "Semaphore", SEMAPHORE_MODIFY_STATE, (o, t) => {
    const s = o.semaphore;
    const previous = s.SignalState;
    if (lReleaseCount <= 0 || previous + lReleaseCount > s.Limit) return 0xc0000047;
    if (lpPreviousCount !== 0) putUserU32(t.machine, lpPreviousCount, previous);
    t.machine.signal(s, previous + lReleaseCount);
    return STATUS_SUCCESS;
  });
}

/** CreateMutex. */
export function CreateMutex(_attributes: null, bInitialOwner: boolean, lpName: string | null = null): number {
  const t = caller("CreateMutex");
  return service(t, (m) => {
    const mu = new MutantObject(lpName);
    if (bInitialOwner) {
      mu.mutant.SignalState = 0;
      mu.mutant.OwnerThread = t;
    }
    return m.ob.insertHandle(t.process, mu, MUTANT_ALL_ACCESS);
  });
}

/** ReleaseMutex: only the owner may release (ERROR_NOT_OWNER otherwise). */
export function ReleaseMutex(hMutex: number): boolean {
  return withObject("ReleaseMutex", hMutex, MutantObject, "Mutant", 0, (o, t) => {
    const mu = o.mutant;
    if (mu.OwnerThread !== t) return 0xc0000046;
    const next = mu.SignalState + 1;
    if (next > 0) mu.OwnerThread = null;
    t.machine.signal(mu, next);
    return STATUS_SUCCESS;
  });
}

function toTimeout(ms: number): number | null {
  return ms === INFINITE ? null : Math.max(0, ms) * 10_000;
}

function waitResultName(r: number): string {
  if (r === WAIT_TIMEOUT) return "WAIT_TIMEOUT";
  if (r === WAIT_IO_COMPLETION) return "WAIT_IO_COMPLETION";
  if (r === WAIT_FAILED) return "WAIT_FAILED";
  if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + 64) return `WAIT_ABANDONED_0+${r - WAIT_ABANDONED_0}`;
  return r === 0 ? "WAIT_OBJECT_0" : `WAIT_OBJECT_0+${r}`;
}

function waitResult(t: KThread, status: NTSTATUS, count: number): number {
  if (status === STATUS_TIMEOUT) return WAIT_TIMEOUT;
  if (status === STATUS_USER_APC) return WAIT_IO_COMPLETION;
  if (status < count) return WAIT_OBJECT_0 + status;
  if (status >= STATUS_ABANDONED_WAIT_0 && status < STATUS_ABANDONED_WAIT_0 + count) return WAIT_ABANDONED_0 + (status - STATUS_ABANDONED_WAIT_0);
  setLastNtError(t, status);
  return WAIT_FAILED;
}

async function waitOn(api: string, handles: readonly number[], waitAll: boolean, ms: number, alertable: boolean): Promise<number> {
  const t = caller(api);
  apiEnter(t, api, () => `${handles.join(", ")}${ms === INFINITE ? ", INFINITE" : `, ${ms} ms`}`);
  if (handles.length === 0 || handles.length > MAXIMUM_WAIT_OBJECTS) {
    setLastNtError(t, STATUS_INVALID_PARAMETER);
    return WAIT_FAILED;
  }
  return serviceAsync(t, async (m) => {
    const objects: KernelObject[] = [];
    const headers: DispatcherHeader[] = [];
    try {
      for (const h of handles) {
        const o = reference(t, h, null, SYNCHRONIZE);
        if (typeof o === "number") {
          setLastNtError(t, o);
          return WAIT_FAILED;
        }
        objects.push(o);
        const header = o.waitable();
        if (!header) {
          setLastNtError(t, STATUS_INVALID_HANDLE);
          return WAIT_FAILED;
        }
        headers.push(header);
      }
      const status = await m.waits.waitFor(headers, { waitAll, mode: UserMode, alertable, timeout: toTimeout(ms), reason: `${api} in ${t.label}` });
      const result = waitResult(t, status, handles.length);
      apiReturn(t, api, waitResultName(result), result === WAIT_FAILED ? t.lastError : 0);
      return result;
    } finally {
      for (const o of objects) m.ob.dereference(o);
    }
  });
}

/** WaitForSingleObject: WAIT_OBJECT_0, WAIT_ABANDONED, WAIT_TIMEOUT or WAIT_FAILED. */
export function WaitForSingleObject(hHandle: number, dwMilliseconds: number): Promise<number> {
  return waitOn("WaitForSingleObject", [hHandle], false, dwMilliseconds, false);
}

/** WaitForSingleObjectEx: alertable waits run queued APCs and return WAIT_IO_COMPLETION. */
export function WaitForSingleObjectEx(hHandle: number, dwMilliseconds: number, bAlertable: boolean): Promise<number> {
  return waitOn("WaitForSingleObjectEx", [hHandle], false, dwMilliseconds, bAlertable);
}

/** WaitForMultipleObjects: `lpHandles` is the handle array (as C's HANDLE[]). */
export function WaitForMultipleObjects(nCount: number, lpHandles: readonly number[], bWaitAll: boolean, dwMilliseconds: number): Promise<number> {
  return waitOn("WaitForMultipleObjects", lpHandles.slice(0, nCount), bWaitAll, dwMilliseconds, false);
}

/** WaitForMultipleObjectsEx. */
export function WaitForMultipleObjectsEx(nCount: number, lpHandles: readonly number[], bWaitAll: boolean, dwMilliseconds: number, bAlertable: boolean): Promise<number> {
  return waitOn("WaitForMultipleObjectsEx", lpHandles.slice(0, nCount), bWaitAll, dwMilliseconds, bAlertable);
}

/** Sleep: suspends the thread for `dwMilliseconds` of virtual time. */
export async function Sleep(dwMilliseconds: number): Promise<void> {
  await SleepEx(dwMilliseconds, false);
}

/** SleepEx: 0, or WAIT_IO_COMPLETION when an alertable sleep ran APCs. */
export function SleepEx(dwMilliseconds: number, bAlertable: boolean): Promise<number> {
  const t = caller("SleepEx");
  return serviceAsync(t, async (m) => {
    const never = new KEVENT(NotificationEvent, false, "Sleep");
    const status = await m.waits.waitFor([never], { waitAll: false, mode: UserMode, alertable: bAlertable, timeout: toTimeout(dwMilliseconds), reason: `Sleep(${dwMilliseconds}) in ${t.label}` });
    if (status === STATUS_USER_APC) return WAIT_IO_COMPLETION;
    // Sleep(0) gives up the rest of the time slice to a thread that is ready to run.
    if (dwMilliseconds === 0) await m.scheduler.yieldExecution(t);
    return 0;
  });
}

/**
 * CloseHandle: closes any handle. Closing the last handle of a file object sends IRP_MJ_CLEANUP
 * (and IRP_MJ_CLOSE when no reference remains), so this may wait for a driver.
 */
export function CloseHandle(hObject: number): Promise<boolean> {
  const t = caller("CloseHandle");
  apiEnter(t, "CloseHandle", () => `handle ${hObject}`);
  return serviceAsync(t, async (m) => {
    const ok = boolFromStatus(t, await m.ob.closeHandle(t.process, hObject));
    apiReturn(t, "CloseHandle", ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
    return ok;
  });
}
