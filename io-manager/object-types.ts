/**
 * The I/O manager's object types (IoFileObjectType, IoDeviceObjectType, IoDriverObjectType) and
 * its named events (IoCreateNotificationEvent, IoCreateSynchronizationEvent).
 */
import { EVENT_ALL_ACCESS } from "../kernel/access-rights.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { NotificationEvent, SynchronizationEvent, type KEVENT } from "../kernel/dispatcher.js";
import { createEvent } from "../kernel/event-services.js";
import { KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import { InitializeObjectAttributes, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, OBJ_OPENIF } from "../kernel/object-attributes.js";
import { OBJECT_TYPE, objectAs } from "../kernel/object-types.js";
import type { UNICODE_STRING } from "../kernel/rtl-string.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { DRIVER_OBJECT } from "./driver-object.js";
import { FILE_OBJECT } from "./file-object.js";

/** IoFileObjectType: file objects; the body is the FILE_OBJECT (a user's file handle references to one). */
export const IoFileObjectType = new OBJECT_TYPE<FILE_OBJECT>("File", (o) => objectAs(FILE_OBJECT, o), { GenericRead: 0x00120089, GenericWrite: 0x00120116, GenericExecute: 0x001200a0, GenericAll: 0x001f01ff });
/** IoDeviceObjectType. */
export const IoDeviceObjectType = new OBJECT_TYPE<DEVICE_OBJECT>("Device", (o) => objectAs(DEVICE_OBJECT, o));
/** IoDriverObjectType. */
export const IoDriverObjectType = new OBJECT_TYPE<DRIVER_OBJECT>("Driver", (o) => objectAs(DRIVER_OBJECT, o));

function createNamedEvent(api: string, EventName: UNICODE_STRING | string, notification: boolean): { Event: KEVENT | null; EventHandle: number } {
  const t = currentMachine(api).kernelCall(api);
  const m = t.machine;
  if (t.irql !== PASSIVE_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at PASSIVE_LEVEL` });
  }
  // As NT builds it: ZwCreateEvent with OBJ_OPENIF and a kernel handle; a new event starts signalled.
  const attributes = new OBJECT_ATTRIBUTES();
  InitializeObjectAttributes(attributes, EventName, OBJ_OPENIF | OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, 0, null);
  const r = createEvent(t, KernelMode, EVENT_ALL_ACCESS, attributes, notification ? NotificationEvent : SynchronizationEvent, true);
  return { Event: r.event?.event ?? null, EventHandle: r.handle };
}

/**
 * IoCreateNotificationEvent: opens the named notification event ("\BaseNamedObjects\Name", the
 * directory kernel32's CreateEvent and OpenEvent use for an app's bare name), or creates it
 * signalled; returns the PKEVENT (null when it cannot: a bad name, or a name taken by another type
 * of object) and a kernel handle the driver closes with ZwClose. The name lasts while a handle to
 * the event is open. PASSIVE_LEVEL.
 */
export function IoCreateNotificationEvent(EventName: UNICODE_STRING | string): { /** The event (referenced by the handle), or null on failure. */ Event: KEVENT | null; /** A kernel handle to the event (close it with ZwClose), or 0 on failure. */ EventHandle: number } {
  return createNamedEvent("IoCreateNotificationEvent", EventName, true);
}

/** IoCreateSynchronizationEvent: as IoCreateNotificationEvent, for a synchronization event. */
export function IoCreateSynchronizationEvent(EventName: UNICODE_STRING | string): { /** The event (referenced by the handle), or null on failure. */ Event: KEVENT | null; /** A kernel handle to the event (close it with ZwClose), or 0 on failure. */ EventHandle: number } {
  return createNamedEvent("IoCreateSynchronizationEvent", EventName, false);
}
