/**
 * The Zw* routines for kernel-mode callers (ZwCreateEvent, ZwOpenEvent, ZwSetEvent,
 * ZwClearEvent, ZwResetEvent, ZwWaitForSingleObject, ZwWaitForMultipleObjects, ZwDuplicateObject,
 * ZwMakeTemporaryObject). Named objects live in the machine's one namespace
 * (kernel/object-directory.ts), shared with the native API apps call.
 *
 * A Zw routine is a system service called from kernel mode: for its duration the previous mode is
 * KernelMode, so no access check applies to the handles it is given (the reason a driver must not
 * pass a user's handle to one unchecked). A handle it creates is a kernel handle when
 * OBJECT_ATTRIBUTES asks for OBJ_KERNEL_HANDLE, and otherwise a handle of the current process —
 * in a dispatch routine, the calling app's, which the app can then use and close.
 */
import { WaitAll, WaitAny } from "./api-ke.js";
import { KERNEL_HANDLE_BIT, OBJ_KERNEL_HANDLE, handleTableOf, isKernelHandle } from "./api-ps-ob.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import type { DispatcherHeader } from "./dispatcher.js";
import { createEvent, openEvent } from "./event-services.js";
import { APC_LEVEL, KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import type { Machine } from "./machine.js";
import type { OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { makeTemporary } from "./object-directory.js";
import { NtCurrentProcess } from "./object-manager.js";
import { ExEventObjectType, objectAs, objectTypeNamed, type OBJECT_TYPE } from "./object-types.js";
import type { KernelObject } from "./objects.js";
import { KProcess } from "./process.js";
import { STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_1, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import { EventObject } from "./sync-objects.js";
import { MAXIMUM_WAIT_OBJECTS } from "./waits.js";
import type { KThread } from "./thread.js";
import { badPointer, checkNumber, checkTimeout } from "./bad-pointer.js";

/** DuplicateObject options: DUPLICATE_CLOSE_SOURCE, close the source handle (even when the duplication fails). */
export const DUPLICATE_CLOSE_SOURCE = 0x1;
/** DUPLICATE_SAME_ACCESS: the new handle gets the source handle's access, ignoring DesiredAccess. */
export const DUPLICATE_SAME_ACCESS = 0x2;
/** DUPLICATE_SAME_ATTRIBUTES: the new handle gets the source handle's attributes, ignoring HandleAttributes. */
export const DUPLICATE_SAME_ATTRIBUTES = 0x4;

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
  const where = handleTableOf(t, h, mode);
  if (!where) return { status: STATUS_INVALID_HANDLE, object: null };
  const r = m.ob.referenceByHandle(where.process, where.value, type ? type.Name : null, 0, mode);
  return { status: r.status, object: r.object };
}

// ---- Events ------------------------------------------------------------------------------------

/**
 * ZwCreateEvent: a new event (NotificationEvent or SynchronizationEvent), named by
 * ObjectAttributes ("\BaseNamedObjects\Name" is the namespace kernel32's CreateEvent uses, so
 * an app's OpenEvent finds it) or not; with a name that exists and OBJ_OPENIF, the existing event
 * (STATUS_OBJECT_NAME_EXISTS). A name in use without OBJ_OPENIF is STATUS_OBJECT_NAME_COLLISION,
 * in use by another type of object with it STATUS_OBJECT_TYPE_MISMATCH. OBJ_KERNEL_HANDLE makes
 * a kernel handle, OBJ_PERMANENT keeps the name after the last handle closes (until
 * ZwMakeTemporaryObject). Returns the handle in `EventHandle`.
 */
export function ZwCreateEvent(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | null, EventType: number, InitialState: boolean): { /** STATUS_SUCCESS, STATUS_OBJECT_NAME_EXISTS (opened with OBJ_OPENIF) or why not. */ status: NTSTATUS; /** The new handle (0 on failure). */ EventHandle: number } {
  const { t, leave } = zw("ZwCreateEvent");
  try {
    const r = createEvent(t, KernelMode, DesiredAccess, ObjectAttributes, EventType, InitialState);
    return { status: r.status, EventHandle: r.handle };
  } finally {
    leave();
  }
}

/**
 * ZwOpenEvent: a handle to the named event; STATUS_OBJECT_NAME_NOT_FOUND when no object has the
 * name (an event whose last handle closed, unless it was permanent), STATUS_OBJECT_TYPE_MISMATCH
 * when the object is not an event.
 */
export function ZwOpenEvent(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND or why not. */ status: NTSTATUS; /** The new handle (0 on failure). */ EventHandle: number } {
  const { t, leave } = zw("ZwOpenEvent");
  try {
    const r = openEvent(t, KernelMode, DesiredAccess, ObjectAttributes);
    return { status: r.status, EventHandle: r.handle };
  } finally {
    leave();
  }
}

/**
 * ZwMakeTemporaryObject: makes the permanent (OBJ_PERMANENT) object a handle refers to temporary,
 * so its name leaves the directory once its last handle closes. A bad handle is
 * STATUS_INVALID_HANDLE; an object that was not permanent is left as it is.
 */
export function ZwMakeTemporaryObject(Handle: number): NTSTATUS {
  const { t, leave } = zw("ZwMakeTemporaryObject");
  try {
    const r = reference(t, Handle, null);
    if (!r.object) return r.status;
    makeTemporary(t.machine, r.object);
    t.machine.ob.dereference(r.object);
    return STATUS_SUCCESS;
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
): Promise<{ /** STATUS_SUCCESS, STATUS_INVALID_HANDLE or why not. */ status: NTSTATUS; /** The new handle in the target process (0 on failure). */ TargetHandle: number }> {
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

