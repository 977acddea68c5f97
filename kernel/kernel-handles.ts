/**
 * The Zw* routines for kernel-mode callers (ZwCreateEvent, ZwOpenEvent, ZwSetEvent,
 * ZwClearEvent, ZwResetEvent, ZwWaitForSingleObject, ZwWaitForMultipleObjects, ZwDuplicateObject),
 * OBJECT_ATTRIBUTES and the named-object directory (\BaseNamedObjects) they share.
 *
 * A Zw routine is a system service called from kernel mode: for its duration the previous mode is
 * KernelMode, so no access check applies to the handles it is given (the reason a driver must not
 * pass a user's handle to one unchecked). A handle it creates is a kernel handle when
 * OBJECT_ATTRIBUTES asks for OBJ_KERNEL_HANDLE, and otherwise a handle of the current process —
 * in a dispatch routine, the calling app's, which the app can then use and close.
 */
import { badPointer, checkNumber, checkObjectName, checkPointer, checkTimeout, isGiven } from "./bad-pointer.js";
import { EVENT_ALL_ACCESS, MAXIMUM_ALLOWED } from "./access-rights.js";
import { WaitAll, WaitAny } from "./api-ke.js";
import { KERNEL_HANDLE_BIT, OBJ_KERNEL_HANDLE, OBJ_OPENIF, OBJ_PERMANENT, insertHandleFor, isKernelHandle } from "./api-ps-ob.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { NotificationEvent, SynchronizationEvent, type DispatcherHeader } from "./dispatcher.js";
import { APC_LEVEL, KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import type { Machine } from "./machine.js";
import { NtCurrentProcess } from "./object-manager.js";
import { ExEventObjectType, objectAs, objectTypeNamed, type OBJECT_TYPE } from "./object-types.js";
import type { KernelObject } from "./objects.js";
import { KProcess } from "./process.js";
import {
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_1,
  STATUS_INVALID_PARAMETER_4,
  STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "./status.js";
import { EventObject } from "./sync-objects.js";
import { MAXIMUM_WAIT_OBJECTS } from "./waits.js";
import type { KThread } from "./thread.js";

/** A UNICODE_STRING as these routines read it: its Buffer (a string here). */
export interface ObjectName {
  readonly Buffer: string;
}

/** OBJECT_ATTRIBUTES: the name, attributes and root directory of an object to create or open. */
export class OBJECT_ATTRIBUTES {
  Length = 24;
  RootDirectory = 0;
  ObjectName: string | ObjectName | null = null;
  Attributes = 0;
  SecurityDescriptor: unknown = null;
  SecurityQualityOfService: unknown = null;
}

/** InitializeObjectAttributes(p, n, a, r, s). */
export function InitializeObjectAttributes(p: OBJECT_ATTRIBUTES, n: string | ObjectName | null, a: number, r: number, s: unknown): void {
  // The macro stores through p: what is no OBJECT_ATTRIBUTES faults.
  checkPointer("InitializeObjectAttributes", "p", p, OBJECT_ATTRIBUTES, "an OBJECT_ATTRIBUTES");
  p.Length = 24;
  p.ObjectName = n;
  p.Attributes = checkNumber("InitializeObjectAttributes", "a", a) >>> 0;
  p.RootDirectory = r;
  p.SecurityDescriptor = s;
  p.SecurityQualityOfService = null;
}

/** DuplicateObject options. */
export const DUPLICATE_CLOSE_SOURCE = 0x1;
export const DUPLICATE_SAME_ACCESS = 0x2;
export const DUPLICATE_SAME_ATTRIBUTES = 0x4;

// ---- The named-object directory ---------------------------------------------------------------

/** Named objects by full path (case-insensitive), per machine. */
const directories = new WeakMap<Machine, Map<string, { object: KernelObject; permanent: boolean }>>();

function directory(m: Machine): Map<string, { object: KernelObject; permanent: boolean }> {
  let d = directories.get(m);
  if (!d) {
    d = new Map();
    directories.set(m, d);
  }
  return d;
}

/**
 * The directory path of an object name given to a kernel-mode routine: a full path
 * ("\BaseNamedObjects\Name"); null for anything else (with no RootDirectory, a relative name is
 * STATUS_OBJECT_PATH_SYNTAX_BAD).
 */
export function namedObjectPath(name: string): string | null {
  return name.length > 1 && name.startsWith("\\") && !name.endsWith("\\") ? name : null;
}

/**
 * The object a name refers to, or null. A temporary object's name goes with its last handle, as
 * NT removes it from the directory then; a permanent one (OBJ_PERMANENT) stays.
 */
export function lookupNamedObject(m: Machine, path: string): KernelObject | null {
  const d = directory(m);
  const key = path.toLowerCase();
  const e = d.get(key);
  if (!e) return null;
  if (!e.permanent && (e.object.handleCount === 0 || e.object.deleted)) {
    d.delete(key);
    return null;
  }
  return e.object;
}

/** Puts an object in the directory under `path` (the caller has checked the name is free). */
export function insertNamedObject(m: Machine, path: string, object: KernelObject, permanent: boolean): void {
  directory(m).set(path.toLowerCase(), { object, permanent });
}

function nameOf(api: string, a: OBJECT_ATTRIBUTES | null): string | null {
  if (!isGiven(a)) return null;
  // Read through the pointer: what is no OBJECT_ATTRIBUTES (or names nothing readable) faults.
  if (!(a instanceof OBJECT_ATTRIBUTES)) return badPointer(api, "ObjectAttributes", a, "an OBJECT_ATTRIBUTES or NULL");
  return a.ObjectName === null ? null : checkObjectName(api, "ObjectAttributes->ObjectName", a.ObjectName);
}

// ---- Entry -------------------------------------------------------------------------------------

/** Enters a Zw routine: kernel mode, IRQL <= APC_LEVEL, previous mode KernelMode until `leave`. */
function zw(api: string): { t: KThread; leave: () => void } {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > APC_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: system services are called at PASSIVE_LEVEL` });
  }
  const previous = t.previousMode;
  t.previousMode = KernelMode;
  return { t, leave: () => (t.previousMode = previous) };
}

/** References a handle as a kernel-mode caller does (no access check), checking the type. */
function reference(t: KThread, handle: number, type: OBJECT_TYPE | null, mode: KPROCESSOR_MODE = KernelMode): { status: NTSTATUS; object: KernelObject | null } {
  const m = t.machine;
  // A HANDLE is a number: anything else is no handle of the table.
  const h = typeof handle === "number" ? handle >>> 0 : 0;
  if (h === 0) return { status: STATUS_INVALID_HANDLE, object: null };
  const kernel = isKernelHandle(h);
  if (kernel && mode !== KernelMode) return { status: STATUS_INVALID_HANDLE, object: null };
  const r = m.ob.referenceByHandle(kernel ? m.systemProcess : t.currentProcess, kernel ? h & ~KERNEL_HANDLE_BIT : h, type ? type.Name : null, 0, mode);
  return { status: r.status, object: r.object };
}

// ---- Events ------------------------------------------------------------------------------------

/**
 * ZwCreateEvent: a new event (NotificationEvent or SynchronizationEvent), or — with a name that
 * exists and OBJ_OPENIF — the existing one (STATUS_OBJECT_NAME_EXISTS). A name in use without
 * OBJ_OPENIF is STATUS_OBJECT_NAME_COLLISION. Returns the handle in `EventHandle`.
 */
export function ZwCreateEvent(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | null, EventType: number, InitialState: boolean): { status: NTSTATUS; EventHandle: number } {
  const { t, leave } = zw("ZwCreateEvent");
  try {
    if (EventType !== NotificationEvent && EventType !== SynchronizationEvent) return { status: STATUS_INVALID_PARAMETER_4, EventHandle: 0 };
    const name = nameOf("ZwCreateEvent", ObjectAttributes);
    const attributes = ObjectAttributes?.Attributes ?? 0;
    const access = DesiredAccess & MAXIMUM_ALLOWED ? EVENT_ALL_ACCESS : ExEventObjectType.mapAccess(DesiredAccess);
    let path: string | null = null;
    if (name !== null) {
      path = namedObjectPath(name);
      if (path === null) return { status: STATUS_OBJECT_PATH_SYNTAX_BAD, EventHandle: 0 };
      const existing = lookupNamedObject(t.machine, path);
      if (existing) {
        if (!(attributes & OBJ_OPENIF)) return { status: STATUS_OBJECT_NAME_COLLISION, EventHandle: 0 };
        if (existing.objectType !== ExEventObjectType.Name) return { status: STATUS_OBJECT_TYPE_MISMATCH, EventHandle: 0 };
        return { status: STATUS_OBJECT_NAME_EXISTS, EventHandle: insertHandleFor(t, existing, access, attributes) };
      }
    }
    const event = new EventObject(EventType === NotificationEvent, InitialState, path);
    const handle = insertHandleFor(t, event, access, attributes);
    if (path !== null) insertNamedObject(t.machine, path, event, (attributes & OBJ_PERMANENT) !== 0);
    return { status: STATUS_SUCCESS, EventHandle: handle };
  } finally {
    leave();
  }
}

/** ZwOpenEvent: a handle to the named event; STATUS_OBJECT_NAME_NOT_FOUND when there is none. */
export function ZwOpenEvent(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES): { status: NTSTATUS; EventHandle: number } {
  const { t, leave } = zw("ZwOpenEvent");
  try {
    const name = nameOf("ZwOpenEvent", ObjectAttributes);
    const path = name === null ? null : namedObjectPath(name);
    if (path === null) return { status: name === null ? STATUS_OBJECT_NAME_INVALID : STATUS_OBJECT_PATH_SYNTAX_BAD, EventHandle: 0 };
    const o = lookupNamedObject(t.machine, path);
    if (!o) return { status: STATUS_OBJECT_NAME_NOT_FOUND, EventHandle: 0 };
    if (o.objectType !== ExEventObjectType.Name) return { status: STATUS_OBJECT_TYPE_MISMATCH, EventHandle: 0 };
    const access = DesiredAccess & MAXIMUM_ALLOWED ? EVENT_ALL_ACCESS : ExEventObjectType.mapAccess(DesiredAccess);
    return { status: STATUS_SUCCESS, EventHandle: insertHandleFor(t, o, access, ObjectAttributes.Attributes) };
  } finally {
    leave();
  }
}

/** An event by handle, its signal state changed by `change` (which returns the previous state). */
function withEvent(api: string, handle: number, change: (e: EventObject, m: Machine) => number, PreviousState?: { value: number } | null): NTSTATUS {
  const { t, leave } = zw(api);
  try {
    const r = reference(t, handle, ExEventObjectType);
    if (!r.object) return r.status;
    const previous = change(objectAs(EventObject, r.object), t.machine);
    if (PreviousState) PreviousState.value = previous;
    t.machine.ob.dereference(r.object);
    return STATUS_SUCCESS;
  } finally {
    leave();
  }
}

/** ZwSetEvent: signals the event (releasing waiters); `PreviousState` receives its state before. */
export function ZwSetEvent(EventHandle: number, PreviousState: { value: number } | null = null): NTSTATUS {
  return withEvent(
    "ZwSetEvent",
    EventHandle,
    (e, m) => {
      const before = e.event.SignalState;
      m.signal(e.event);
      return before;
    },
    PreviousState,
  );
}

/** ZwClearEvent: resets the event to not signalled. */
export function ZwClearEvent(EventHandle: number): NTSTATUS {
  return withEvent("ZwClearEvent", EventHandle, (e) => {
    const before = e.event.SignalState;
    e.event.SignalState = 0;
    return before;
  });
}

/** ZwResetEvent: resets the event; `PreviousState` receives its state before. */
export function ZwResetEvent(EventHandle: number, PreviousState: { value: number } | null = null): NTSTATUS {
  return withEvent(
    "ZwResetEvent",
    EventHandle,
    (e) => {
      const before = e.event.SignalState;
      e.event.SignalState = 0;
      return before;
    },
    PreviousState,
  );
}

// ---- Waits ---------------------------------------------------------------------------------------

function relative(m: Machine, api: string, Timeout: number | null | undefined): number | null {
  if (Timeout === null || Timeout === undefined) return null;
  Timeout = checkTimeout(api, "Timeout", Timeout) ?? 0;
  return Timeout <= 0 ? -Timeout : Math.max(0, Timeout - m.now);
}

/**
 * ZwWaitForSingleObject: waits on the object a handle refers to (KernelMode). `Timeout` as
 * KeWaitForSingleObject takes it (null: forever; negative: relative, 100 ns units). An object that
 * cannot be waited on is STATUS_OBJECT_TYPE_MISMATCH.
 */
export async function ZwWaitForSingleObject(Handle: number, Alertable: boolean, Timeout: number | null = null): Promise<NTSTATUS> {
  return ZwWaitForMultipleObjects(1, [Handle], WaitAny, Alertable, Timeout, "ZwWaitForSingleObject");
}

/**
 * ZwWaitForMultipleObjects: waits for any (WaitAny) or all (WaitAll) of `Count` handles' objects.
 * More than MAXIMUM_WAIT_OBJECTS is STATUS_INVALID_PARAMETER_1; a bad handle STATUS_INVALID_HANDLE.
 */
export async function ZwWaitForMultipleObjects(Count: number, Handles: readonly number[], WaitType: number, Alertable: boolean, Timeout: number | null = null, api = "ZwWaitForMultipleObjects"): Promise<NTSTATUS> {
  const { t, leave } = zw(api);
  const m = t.machine;
  const held: KernelObject[] = [];
  try {
    // The handle array is read through its pointer: what is no array faults.
    const list: unknown = Handles;
    if (!Array.isArray(list)) return badPointer(api, "Handles", list, "an array of handles");
    if (checkNumber(api, "Count", Count) < 1 || Count > MAXIMUM_WAIT_OBJECTS || Handles.length < Count) return STATUS_INVALID_PARAMETER_1;
    if (WaitType !== WaitAll && WaitType !== WaitAny) return STATUS_INVALID_PARAMETER;
    const headers: DispatcherHeader[] = [];
    for (let i = 0; i < Count; i++) {
      const r = reference(t, Handles[i] ?? 0, null);
      if (!r.object) return r.status;
      held.push(r.object);
      const h = r.object.waitable();
      if (!h) return STATUS_OBJECT_TYPE_MISMATCH;
      headers.push(h);
    }
    return await m.waits.waitFor(headers, { waitAll: WaitType === WaitAll, mode: KernelMode, alertable: Alertable, timeout: relative(m, api, Timeout), reason: `${api} in ${m.describeContext()}` });
  } finally {
    for (const o of held) m.ob.dereference(o);
    leave();
  }
}

// ---- Duplication ---------------------------------------------------------------------------------

function processOf(t: KThread, handle: number): KProcess | null {
  // A HANDLE is a number: anything else is no handle of the table.
  const h = typeof handle === "number" ? handle >>> 0 : 0;
  if (h === NtCurrentProcess) return t.currentProcess;
  const r = reference(t, h, objectTypeNamed("Process"));
  if (!r.object) return null;
  t.machine.ob.dereference(r.object);
  return r.object instanceof KProcess ? r.object : null;
}

/**
 * ZwDuplicateObject: a new handle, in the target process, to the object `SourceHandle` refers to
 * in the source process. DUPLICATE_SAME_ACCESS keeps the source's access; OBJ_KERNEL_HANDLE in
 * `HandleAttributes` (with the System process as target) makes a kernel handle;
 * DUPLICATE_CLOSE_SOURCE closes the source handle. A null target only closes the source.
 */
export async function ZwDuplicateObject(
  SourceProcessHandle: number,
  SourceHandle: number,
  TargetProcessHandle: number | null,
  DesiredAccess: number,
  HandleAttributes: number,
  Options: number,
): Promise<{ status: NTSTATUS; TargetHandle: number }> {
  const { t, leave } = zw("ZwDuplicateObject");
  const m = t.machine;
  try {
    const source = processOf(t, SourceProcessHandle);
    if (!source || typeof SourceHandle !== "number") return { status: STATUS_INVALID_HANDLE, TargetHandle: 0 };
    // Values no C caller could pass: the service's parameter check refuses them.
    if (typeof DesiredAccess !== "number" || typeof HandleAttributes !== "number" || typeof Options !== "number") return { status: STATUS_INVALID_PARAMETER, TargetHandle: 0 };
    const sh = SourceHandle >>> 0;
    const kernelSource = isKernelHandle(sh);
    const table = kernelSource ? m.systemProcess : source;
    const value = kernelSource ? sh & ~KERNEL_HANDLE_BIT : sh;
    const entry = table.handleTable.lookup(value);
    if (!entry) return { status: STATUS_INVALID_HANDLE, TargetHandle: 0 };
    let handle = 0;
    if (TargetProcessHandle !== null) {
      const target = processOf(t, TargetProcessHandle);
      if (!target) return { status: STATUS_INVALID_HANDLE, TargetHandle: 0 };
      const type = objectTypeNamed(entry.object.objectType);
      const access = Options & DUPLICATE_SAME_ACCESS ? entry.grantedAccess : type.mapAccess(DesiredAccess);
      const attributes = Options & DUPLICATE_SAME_ATTRIBUTES ? (entry.inherit ? 2 : 0) : HandleAttributes;
      if (attributes & OBJ_KERNEL_HANDLE && target === m.systemProcess) handle = (m.ob.insertHandle(target, entry.object, access) | KERNEL_HANDLE_BIT) >>> 0;
      else handle = m.ob.insertHandle(target, entry.object, access, (attributes & 2) !== 0);
    }
    if (Options & DUPLICATE_CLOSE_SOURCE) await m.ob.closeHandle(table, value);
    return { status: STATUS_SUCCESS, TargetHandle: handle };
  } finally {
    leave();
  }
}

