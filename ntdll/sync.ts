/**
 * The native synchronization API: NtCreateEvent, NtOpenEvent, NtSetEvent, NtResetEvent,
 * NtClearEvent, NtPulseEvent, NtWaitForSingleObject and NtWaitForMultipleObjects, and the named
 * object creation they share with kernel32's CreateMutex and CreateSemaphore.
 */
import { NotificationEvent, SynchronizationEvent, type DispatcherHeader } from "../kernel/dispatcher.js";
import { UserMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { OBJECT_ATTRIBUTES, OBJ_OPENIF, OBJ_VALID_ATTRIBUTES } from "../kernel/object-attributes.js";
import { insertNamedObject, lookupNamedObject } from "../kernel/object-directory.js";
import type { KernelObject } from "../kernel/objects.js";
import { UNICODE_STRING, unicodeStringText } from "../kernel/rtl-string.js";
import { checkPointer, isGiven } from "../kernel/bad-pointer.js";
import {
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_MIX,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "../kernel/status.js";
import { EVENT_MODIFY_STATE, EventObject, SYNCHRONIZE } from "../kernel/sync-objects.js";
import type { KThread } from "../kernel/thread.js";
import { MAXIMUM_WAIT_OBJECTS } from "../kernel/waits.js";
import { service, serviceAsync, userCaller } from "./syscall.js";
import { probeOut, probeRead, readLargeInteger, storeOut, type PLARGE_INTEGER, type POut } from "./types.js";

/** WAIT_TYPE for NtWaitForMultipleObjects. */
export const WaitAll = 0;
export const WaitAny = 1;

function statusOf(e: unknown): NTSTATUS {
  if (e instanceof NtStatusError) return e.status;
  throw e;
}

/** The name and attributes an OBJECT_ATTRIBUTES gives (null name: an unnamed object). */
function objectName(oa: OBJECT_ATTRIBUTES | number | null): { name: string | null; attributes: number } | NTSTATUS {
  if (oa === null || oa === 0) return { name: null, attributes: 0 };
  try {
    if (typeof oa === "number") probeRead(oa, OBJECT_ATTRIBUTES.size);
    // A local that is no OBJECT_ATTRIBUTES (or names no UNICODE_STRING) is a pointer the capture faults on.
    else checkPointer("the object's name", "ObjectAttributes", oa, OBJECT_ATTRIBUTES, "an OBJECT_ATTRIBUTES");
    const a = typeof oa === "number" ? OBJECT_ATTRIBUTES.at(oa) : oa;
    if (isGiven(a.ObjectName)) checkPointer("the object's name", "ObjectAttributes->ObjectName", a.ObjectName, UNICODE_STRING, "a UNICODE_STRING");
    const attributes = a.Attributes;
    if ((attributes & ~OBJ_VALID_ATTRIBUTES) !== 0) return STATUS_INVALID_PARAMETER;
    const us = a.ObjectName;
    if (us === null || us.Length === 0) return { name: null, attributes };
    if (us.Length % 2 !== 0) return STATUS_OBJECT_NAME_INVALID;
    if (a.RootDirectory !== 0) throw new Error("named objects relative to a RootDirectory handle are not built in irpsim; give the full name (\\BaseNamedObjects\\Name)");
    probeRead(us.Buffer, us.Length);
    const name = unicodeStringText(us);
    if (!name.startsWith("\\")) return STATUS_OBJECT_PATH_SYNTAX_BAD;
    return { name, attributes };
  } catch (e) {
    return statusOf(e);
  }
}

/**
 * Creates an object, named or not, and a handle to it with `access`: a name already taken by an
 * object of the same type opens that object when OBJ_OPENIF is set (STATUS_OBJECT_NAME_EXISTS) and
 * is STATUS_OBJECT_NAME_COLLISION otherwise; by another type, STATUS_OBJECT_TYPE_MISMATCH.
 */
export function createNamedObject(t: KThread, oa: OBJECT_ATTRIBUTES | number | null, objectType: string, access: number, make: (name: string | null) => KernelObject): { status: NTSTATUS; handle: number } {
  const m = t.machine;
  const n = objectName(oa);
  if (typeof n === "number") return { status: n, handle: 0 };
  if (n.name !== null) {
    const existing = lookupNamedObject(m, n.name);
    if (existing) {
      if (existing.objectType !== objectType) return { status: STATUS_OBJECT_TYPE_MISMATCH, handle: 0 };
      if ((n.attributes & OBJ_OPENIF) === 0) return { status: STATUS_OBJECT_NAME_COLLISION, handle: 0 };
      return { status: STATUS_OBJECT_NAME_EXISTS, handle: m.ob.insertHandle(t.process, existing, access) };
    }
  }
  const o = make(n.name);
  if (n.name !== null) insertNamedObject(m, n.name, o);
  return { status: STATUS_SUCCESS, handle: m.ob.insertHandle(t.process, o, access) };
}

// ---- Events ----

/** NtCreateEvent's work for the calling thread. */
export function ntCreateEvent(t: KThread, EventHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, EventType: number, InitialState: boolean): NTSTATUS {
  return service(t, () => {
    try {
      probeOut(t, EventHandle);
    } catch (e) {
      return statusOf(e);
    }
    if (EventType !== NotificationEvent && EventType !== SynchronizationEvent) return STATUS_INVALID_PARAMETER;
    const r = createNamedObject(t, ObjectAttributes, "Event", DesiredAccess >>> 0, (name) => new EventObject(EventType === NotificationEvent, InitialState, name));
    if (r.handle !== 0) storeOut(t, EventHandle, r.handle);
    return r.status;
  });
}

/**
 * NtCreateEvent: a notification (manual-reset, EventType 0) or synchronization (auto-reset, 1)
 * event, stored at EventHandle. A name (ObjectAttributes' ObjectName, "\\BaseNamedObjects\\Name")
 * already used by an event opens it when OBJ_OPENIF is set, returning STATUS_OBJECT_NAME_EXISTS;
 * without OBJ_OPENIF it is STATUS_OBJECT_NAME_COLLISION, and a name used by another kind of object
 * STATUS_OBJECT_TYPE_MISMATCH. Any other EventType is STATUS_INVALID_PARAMETER.
 */
export function NtCreateEvent(EventHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, EventType: number, InitialState: boolean): NTSTATUS {
  return ntCreateEvent(userCaller("NtCreateEvent"), EventHandle, DesiredAccess, ObjectAttributes, EventType, InitialState);
}

/** NtOpenEvent: a handle to the named event; STATUS_OBJECT_NAME_NOT_FOUND when there is none. */
export function NtOpenEvent(EventHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number): NTSTATUS {
  const t = userCaller("NtOpenEvent");
  return service(t, (m) => {
    try {
      probeOut(t, EventHandle);
    } catch (e) {
      return statusOf(e);
    }
    const n = objectName(ObjectAttributes);
    if (typeof n === "number") return n;
    if (n.name === null) return STATUS_OBJECT_NAME_INVALID;
    const o = lookupNamedObject(m, n.name);
    if (!o) return STATUS_OBJECT_NAME_NOT_FOUND;
    if (!(o instanceof EventObject)) return STATUS_OBJECT_TYPE_MISMATCH;
    storeOut(t, EventHandle, m.ob.insertHandle(t.process, o, DesiredAccess >>> 0));
    return STATUS_SUCCESS;
  });
}

function withEvent(api: string, EventHandle: number, PreviousState: POut | null, fn: (e: EventObject, t: KThread) => void): NTSTATUS {
  const t = userCaller(api);
  return service(t, (m) => {
    try {
      if (PreviousState !== null && PreviousState !== 0) probeOut(t, PreviousState);
    } catch (e) {
      return statusOf(e);
    }
    const r = m.ob.referenceByHandle(t.process, EventHandle, "Event", EVENT_MODIFY_STATE, UserMode);
    if (!r.object) return r.status;
    try {
      if (!(r.object instanceof EventObject)) return STATUS_OBJECT_TYPE_MISMATCH;
      const previous = r.object.event.SignalState;
      fn(r.object, t);
      if (PreviousState !== null && PreviousState !== 0) storeOut(t, PreviousState, previous);
      return STATUS_SUCCESS;
    } finally {
      m.ob.dereference(r.object);
    }
  });
}

/** NtSetEvent: signals the event (the handle needs EVENT_MODIFY_STATE); the state before goes to PreviousState. */
export function NtSetEvent(EventHandle: number, PreviousState: POut | null = null): NTSTATUS {
  return withEvent("NtSetEvent", EventHandle, PreviousState, (e, t) => {
    t.machine.signal(e.event);
  });
}

/** NtResetEvent: resets the event, giving its previous state. */
export function NtResetEvent(EventHandle: number, PreviousState: POut | null = null): NTSTATUS {
  return withEvent("NtResetEvent", EventHandle, PreviousState, (e) => {
    e.event.SignalState = 0;
  });
}

/** NtClearEvent: resets the event. */
export function NtClearEvent(EventHandle: number): NTSTATUS {
  return withEvent("NtClearEvent", EventHandle, null, (e) => {
    e.event.SignalState = 0;
  });
}

/** NtPulseEvent: releases the event's current waiters and leaves it reset. */
export function NtPulseEvent(EventHandle: number, PreviousState: POut | null = null): NTSTATUS {
  return withEvent("NtPulseEvent", EventHandle, PreviousState, (e, t) => {
    t.machine.signal(e.event);
    e.event.SignalState = 0;
  });
}

// ---- Waits ----

/** An NT timeout (100 ns units, negative relative, positive absolute) as the ticks left to wait. */
export function relativeTicks(t: KThread, Timeout: PLARGE_INTEGER): number | null {
  const v = readLargeInteger(Timeout);
  if (v === null) return null;
  return v <= 0 ? -v : Math.max(0, v - t.machine.now);
}

/** NtWaitForMultipleObjects's work (also NtWaitForSingleObject's) for the calling thread. */
export function ntWaitForObjects(t: KThread, api: string, Handles: readonly number[], waitAll: boolean, Alertable: boolean, Timeout: PLARGE_INTEGER): Promise<NTSTATUS> {
  return serviceAsync(t, async (m) => {
    if (Handles.length === 0 || Handles.length > MAXIMUM_WAIT_OBJECTS) return STATUS_INVALID_PARAMETER;
    let timeout: number | null;
    try {
      timeout = relativeTicks(t, Timeout);
    } catch (e) {
      return statusOf(e);
    }
    const objects: KernelObject[] = [];
    try {
      const headers: DispatcherHeader[] = [];
      for (const h of Handles) {
        const r = m.ob.referenceByHandle(t.process, h, null, SYNCHRONIZE, UserMode);
        if (!r.object) return r.status;
        objects.push(r.object);
        const header = r.object.waitable();
        if (!header) return STATUS_OBJECT_TYPE_MISMATCH;
        headers.push(header);
      }
      // Waiting for all of one object twice cannot be satisfied as NT counts it.
      if (waitAll && new Set(headers).size !== headers.length) return STATUS_INVALID_PARAMETER_MIX;
      return await m.waits.waitFor(headers, { waitAll, mode: UserMode, alertable: Alertable, timeout, reason: `${api} in ${t.label}` });
    } finally {
      for (const o of objects) m.ob.dereference(o);
    }
  });
}

/**
 * NtWaitForSingleObject: waits in user mode until the object is signalled (STATUS_WAIT_0), the
 * timeout passes (STATUS_TIMEOUT; Timeout in 100 ns units, negative relative, positive absolute,
 * NULL forever), or — when Alertable — a user APC runs (STATUS_USER_APC). An abandoned mutex is
 * STATUS_ABANDONED_WAIT_0. A bad handle is STATUS_INVALID_HANDLE, one without SYNCHRONIZE
 * STATUS_ACCESS_DENIED, an object that cannot be waited on STATUS_OBJECT_TYPE_MISMATCH.
 */
export function NtWaitForSingleObject(Handle: number, Alertable: boolean, Timeout: PLARGE_INTEGER): Promise<NTSTATUS> {
  return ntWaitForObjects(userCaller("NtWaitForSingleObject"), "NtWaitForSingleObject", [Handle], false, Alertable, Timeout);
}

/**
 * NtWaitForMultipleObjects: WaitAny returns STATUS_WAIT_0 + the index of the first signalled
 * object, WaitAll STATUS_WAIT_0 once every one is; otherwise as NtWaitForSingleObject. Handles is
 * the array (a host array standing for the HANDLE[]); Count must be 1..MAXIMUM_WAIT_OBJECTS
 * (STATUS_INVALID_PARAMETER otherwise).
 */
export function NtWaitForMultipleObjects(Count: number, Handles: readonly number[], WaitType: number, Alertable: boolean, Timeout: PLARGE_INTEGER): Promise<NTSTATUS> {
  const t = userCaller("NtWaitForMultipleObjects");
  if (WaitType !== WaitAll && WaitType !== WaitAny) return Promise.resolve(STATUS_INVALID_PARAMETER);
  if (!Number.isInteger(Count) || Count < 1 || Count > MAXIMUM_WAIT_OBJECTS) return Promise.resolve(STATUS_INVALID_PARAMETER);
  // A Count past the array's end reads handles that are not there.
  if (Count > Handles.length) return Promise.resolve(STATUS_INVALID_HANDLE);
  return ntWaitForObjects(t, "NtWaitForMultipleObjects", Handles.slice(0, Count), WaitType === WaitAll, Alertable, Timeout);
}
