/**
 * The event object's create and open services — the one core behind NtCreateEvent / NtOpenEvent
 * (an app, previous mode UserMode), ZwCreateEvent / ZwOpenEvent and IoCreateNotificationEvent /
 * IoCreateSynchronizationEvent (a driver, previous mode KernelMode) and kernel32's CreateEvent /
 * OpenEvent. The previous mode decides what is checked: from user mode the OBJECT_ATTRIBUTES and
 * its name are probed and OBJ_KERNEL_HANDLE is refused; from kernel mode neither applies.
 */
import { NotificationEvent, SynchronizationEvent } from "./dispatcher.js";
import type { KPROCESSOR_MODE } from "./irql.js";
import type { OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { createNamedObject, openNamedObject } from "./object-directory.js";
import { STATUS_INVALID_PARAMETER, type NTSTATUS } from "./status.js";
import { EventObject } from "./sync-objects.js";
import type { KThread } from "./thread.js";

/** A created or opened event: the status, the handle (0 on failure) and the event object. */
export interface EventResult {
  readonly status: NTSTATUS;
  readonly handle: number;
  readonly event: EventObject | null;
}

/**
 * NtCreateEvent's work: a NotificationEvent (manual reset) or SynchronizationEvent (auto reset) in
 * `InitialState`, named by ObjectAttributes or not, and a handle to it (a kernel handle with
 * OBJ_KERNEL_HANDLE). A name in use answers as {@link createNamedObject} says (OBJ_OPENIF opens an
 * existing event with STATUS_OBJECT_NAME_EXISTS). Any other EventType is STATUS_INVALID_PARAMETER.
 */
export function createEvent(t: KThread, mode: KPROCESSOR_MODE, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, EventType: number, InitialState: boolean): EventResult {
  if (EventType !== NotificationEvent && EventType !== SynchronizationEvent) return { status: STATUS_INVALID_PARAMETER, handle: 0, event: null };
  const r = createNamedObject(t, mode, ObjectAttributes, "Event", DesiredAccess, (name) => new EventObject(EventType === NotificationEvent, InitialState, name));
  return { status: r.status, handle: r.handle, event: r.object instanceof EventObject ? r.object : null };
}

/**
 * NtOpenEvent's work: a handle to the event ObjectAttributes names; STATUS_OBJECT_NAME_NOT_FOUND
 * when no object has that name, STATUS_OBJECT_TYPE_MISMATCH when it is not an event.
 */
export function openEvent(t: KThread, mode: KPROCESSOR_MODE, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null): EventResult {
  const r = openNamedObject(t, mode, ObjectAttributes, "Event", DesiredAccess);
  return { status: r.status, handle: r.handle, event: r.object instanceof EventObject ? r.object : null };
}
