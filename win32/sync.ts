/**
 * Synchronization APIs (synchapi.h): events, semaphores, mutexes, waits, Sleep, CloseHandle.
 */
import { KEVENT, NotificationEvent, SynchronizationEvent } from "../kernel/dispatcher.js";
import { LARGE_INTEGER } from "../kernel/c-struct.js";
import { InitializeObjectAttributes, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE, OBJ_INHERIT, OBJ_OPENIF } from "../kernel/object-attributes.js";
import { createNamedObject, openNamedObject } from "../kernel/object-directory.js";
import { RtlInitUnicodeString, UNICODE_STRING } from "../kernel/rtl-string.js";
import { ntClose } from "../ntdll/file.js";
import { NtPulseEvent, NtResetEvent, NtSetEvent, ntCreateEvent, ntOpenEvent, ntWaitForObjects } from "../ntdll/sync.js";
import { UserMode } from "../kernel/irql.js";
import type { KernelObject } from "../kernel/objects.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import {
  NT_SUCCESS,
  STATUS_ABANDONED_WAIT_0,
  STATUS_ACCESS_VIOLATION,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
  STATUS_USER_APC,
  type NTSTATUS,
} from "../kernel/status.js";
import { EVENT_ALL_ACCESS, MUTANT_ALL_ACCESS, MutantObject, SEMAPHORE_ALL_ACCESS, SEMAPHORE_MODIFY_STATE, SemaphoreObject } from "../kernel/sync-objects.js";
import { MAXIMUM_WAIT_OBJECTS } from "../kernel/waits.js";
import type { KThread } from "../kernel/thread.js";
import { boolFromStatus, caller, putUserU32, service, serviceAsync, setLastNtError } from "./call.js";
import { ERROR_ALREADY_EXISTS, ERROR_INVALID_PARAMETER } from "./errors.js";
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

/**
 * A Win32 object name as the NT name kernel32 gives it: a bare name is \\BaseNamedObjects\\<name>,
 * the directory a driver names in ZwCreateEvent or IoCreateNotificationEvent to share an event
 * with apps. On Windows "Local\\" is the caller's session directory (\\Sessions\\<n>\\BaseNamedObjects)
 * and "Global\\" session 0's \\BaseNamedObjects; the emulator runs one session whose directory is
 * \\BaseNamedObjects, so both prefixes, and a bare name, name the same object.
 */
function ntObjectName(lpName: string): string {
  const bare = lpName.replace(/^(Global|Local)\\/i, "");
  return `\\BaseNamedObjects\\${bare}`;
}

/**
 * OBJECT_ATTRIBUTES for a named Win32 object, or null for an unnamed one. kernel32 always passes
 * OBJ_CASE_INSENSITIVE; its Create* functions add OBJ_OPENIF (an existing object is opened), and
 * bInheritHandle becomes OBJ_INHERIT.
 */
function namedAttributes(lpName: string | null, attributes: number): OBJECT_ATTRIBUTES | null {
  if (lpName === null || lpName === "") return null;
  const oa = new OBJECT_ATTRIBUTES();
  const name = new UNICODE_STRING();
  RtlInitUnicodeString(name, ntObjectName(lpName));
  InitializeObjectAttributes(oa, name, attributes | OBJ_CASE_INSENSITIVE, 0, null);
  return oa;
}

/**
 * The handle an Open* of a named object returns (kernel32's OpenEvent, OpenMutex, OpenSemaphore):
 * NULL with the last error set on failure (a NULL name is ERROR_INVALID_PARAMETER; a name nobody
 * holds ERROR_FILE_NOT_FOUND; one held by another kind of object ERROR_INVALID_HANDLE); a
 * success leaves the last error untouched.
 */
function openedHandle(t: KThread, status: NTSTATUS, handle: number): number {
  if (!NT_SUCCESS(status)) {
    setLastNtError(t, status);
    return 0;
  }
  return handle;
}

/**
 * The last error a Create* of a named object leaves on success, as kernel32 documents: ERROR_ALREADY_EXISTS
 * when it opened an existing object (STATUS_OBJECT_NAME_EXISTS), else 0. On failure, the status's error.
 */
function createdHandle(t: KThread, status: NTSTATUS, handle: number): number {
  if (!NT_SUCCESS(status)) {
    setLastNtError(t, status);
    return 0;
  }
  t.lastError = status === STATUS_OBJECT_NAME_EXISTS ? ERROR_ALREADY_EXISTS : 0;
  return handle;
}

/**
 * CreateEvent (NtCreateEvent): a notification (manual-reset) or synchronization (auto-reset) event;
 * NULL on failure. A name already used by an event opens that event, and the last error says
 * ERROR_ALREADY_EXISTS; a new object sets it to 0, as kernel32 documents; a name used by another
 * kind of object fails with ERROR_INVALID_HANDLE.
 */
export function CreateEvent(_lpEventAttributes: null, bManualReset: boolean, bInitialState: boolean, lpName: string | null = null): number {
  const t = caller("CreateEvent");
  const h = { value: 0 };
  const status = ntCreateEvent(t, h, EVENT_ALL_ACCESS, namedAttributes(lpName, OBJ_OPENIF), bManualReset ? NotificationEvent : SynchronizationEvent, bInitialState);
  return createdHandle(t, status, h.value);
}

/**
 * OpenEvent (NtOpenEvent): a handle, with dwDesiredAccess, to the event named lpName — one an app
 * created with CreateEvent, or a driver as \\BaseNamedObjects\\<name> (IoCreateNotificationEvent,
 * ZwCreateEvent). NULL on failure: ERROR_FILE_NOT_FOUND when no object has the name (a temporary
 * event's name goes with its last handle), ERROR_INVALID_HANDLE when it is not an event,
 * ERROR_INVALID_PARAMETER for a NULL name.
 */
export function OpenEvent(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  const t = caller("OpenEvent");
  const h = { value: 0 };
  const oa = namedAttributes(lpName, bInheritHandle ? OBJ_INHERIT : 0);
  if (oa === null) return openedHandle(t, STATUS_INVALID_PARAMETER, 0);
  return openedHandle(t, ntOpenEvent(t, h, dwDesiredAccess, oa), h.value);
}

/** An Open* of a named object of `objectType` from user mode. */
function openNamed(api: string, objectType: string, dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  const t = caller(api);
  const oa = namedAttributes(lpName, bInheritHandle ? OBJ_INHERIT : 0);
  if (oa === null) return openedHandle(t, STATUS_INVALID_PARAMETER, 0);
  const r = service(t, () => openNamedObject(t, UserMode, oa, objectType, dwDesiredAccess));
  return openedHandle(t, r.status, r.handle);
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

/** SetEvent (NtSetEvent). */
export function SetEvent(hEvent: number): boolean {
  const t = caller("SetEvent");
  return boolFromStatus(t, NtSetEvent(hEvent));
}

/** ResetEvent (NtResetEvent). */
export function ResetEvent(hEvent: number): boolean {
  const t = caller("ResetEvent");
  return boolFromStatus(t, NtResetEvent(hEvent));
}

/** PulseEvent (NtPulseEvent): releases the current waiters and leaves the event reset. */
export function PulseEvent(hEvent: number): boolean {
  const t = caller("PulseEvent");
  return boolFromStatus(t, NtPulseEvent(hEvent));
}

/** CreateSemaphore. */
export function CreateSemaphore(_attributes: null, lInitialCount: number, lMaximumCount: number, lpName: string | null = null): number {
  const t = caller("CreateSemaphore");
  if (lMaximumCount <= 0 || lInitialCount < 0 || lInitialCount > lMaximumCount) {
    t.lastError = ERROR_INVALID_PARAMETER;
    return 0;
  }
  const oa = namedAttributes(lpName, OBJ_OPENIF);
  const r = service(t, () => createNamedObject(t, UserMode, oa, "Semaphore", SEMAPHORE_ALL_ACCESS, (name) => new SemaphoreObject(lInitialCount, lMaximumCount, name)));
  return createdHandle(t, r.status, r.handle);
}

/** OpenSemaphore: a handle to the named semaphore; failures as OpenEvent's. */
export function OpenSemaphore(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  return openNamed("OpenSemaphore", "Semaphore", dwDesiredAccess, bInheritHandle, lpName);
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
  const oa = namedAttributes(lpName, OBJ_OPENIF);
  const r = service(t, () =>
    createNamedObject(t, UserMode, oa, "Mutant", MUTANT_ALL_ACCESS, (name) => {
      const mu = new MutantObject(name);
      if (bInitialOwner) {
        mu.mutant.SignalState = 0;
        mu.mutant.OwnerThread = t;
      }
      return mu;
    }),
  );
  return createdHandle(t, r.status, r.handle);
}

/** OpenMutex: a handle to the named mutex; failures as OpenEvent's. */
export function OpenMutex(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  return openNamed("OpenMutex", "Mutant", dwDesiredAccess, bInheritHandle, lpName);
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

/**
 * The first `nCount` handles of `lpHandles`. An lpHandles that is no array is a pointer kernel32
 * cannot read through (the app's access violation); a count that is no number reads as 0 handles.
 */
function handleArray(lpHandles: readonly number[], nCount: number): number[] {
  if (!Array.isArray(lpHandles)) throw new NtStatusError(STATUS_ACCESS_VIOLATION, "STATUS_ACCESS_VIOLATION: lpHandles is no array of handles", { address: 0, write: false });
  return (lpHandles as unknown[]).slice(0, typeof nCount === "number" ? nCount >>> 0 : 0) as number[];
}

/** A DWORD timeout in milliseconds as the wait's ticks (INFINITE: none); any other value reads as the DWORD it converts to. */
function toTimeout(ms: number): number | null {
  const v = typeof ms === "number" ? ms >>> 0 : 0;
  return v === INFINITE ? null : v * 10_000;
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
  // kernel32's timeout: relative, in 100 ns units (NULL for INFINITE).
  const dw = typeof ms === "number" ? ms >>> 0 : 0;
  const timeout = dw === INFINITE ? null : new LARGE_INTEGER(-dw * 10_000);
  const status = await ntWaitForObjects(t, handles.length === 1 ? "NtWaitForSingleObject" : "NtWaitForMultipleObjects", handles, waitAll, alertable, timeout);
  const result = waitResult(t, status, handles.length);
  apiReturn(t, api, waitResultName(result), result === WAIT_FAILED ? t.lastError : 0);
  return result;
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
  return waitOn("WaitForMultipleObjects", handleArray(lpHandles, nCount), bWaitAll, dwMilliseconds, false);
}

/** WaitForMultipleObjectsEx. */
export function WaitForMultipleObjectsEx(nCount: number, lpHandles: readonly number[], bWaitAll: boolean, dwMilliseconds: number, bAlertable: boolean): Promise<number> {
  return waitOn("WaitForMultipleObjectsEx", handleArray(lpHandles, nCount), bWaitAll, dwMilliseconds, bAlertable);
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
    const status = await m.waits.waitFor([never], { waitAll: false, mode: UserMode, alertable: bAlertable, timeout: toTimeout(dwMilliseconds), reason: `Sleep(${String(dwMilliseconds)}) in ${t.label}` });
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
  return ntClose(t, hObject).then((status) => {
    const ok = boolFromStatus(t, status);
    apiReturn(t, "CloseHandle", ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
    return ok;
  });
}
