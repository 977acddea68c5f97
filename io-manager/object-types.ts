/**
 * The I/O manager's object types (IoFileObjectType, IoDeviceObjectType, IoDriverObjectType) and
 * its named events (IoCreateNotificationEvent, IoCreateSynchronizationEvent).
 */
import { EVENT_ALL_ACCESS } from "../kernel/access-rights.js";
import { OBJ_KERNEL_HANDLE, insertHandleFor } from "../kernel/api-ps-ob.js";
import { checkObjectName } from "../kernel/bad-pointer.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import type { KEVENT } from "../kernel/dispatcher.js";
import { PASSIVE_LEVEL } from "../kernel/irql.js";
import { insertNamedObject, lookupNamedObject, namedObjectPath, type ObjectName } from "../kernel/kernel-handles.js";
import { ExEventObjectType, OBJECT_TYPE, objectAs } from "../kernel/object-types.js";
import { EventObject } from "../kernel/sync-objects.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { DRIVER_OBJECT } from "./driver-object.js";
import { FILE_OBJECT } from "./file-object.js";

/** IoFileObjectType: file objects; the body is the FILE_OBJECT (a user's file handle references to one). */
export const IoFileObjectType = new OBJECT_TYPE<FILE_OBJECT>("File", (o) => objectAs(FILE_OBJECT, o), { GenericRead: 0x00120089, GenericWrite: 0x00120116, GenericExecute: 0x001200a0, GenericAll: 0x001f01ff });
/** IoDeviceObjectType. */
export const IoDeviceObjectType = new OBJECT_TYPE<DEVICE_OBJECT>("Device", (o) => objectAs(DEVICE_OBJECT, o));
/** IoDriverObjectType. */
export const IoDriverObjectType = new OBJECT_TYPE<DRIVER_OBJECT>("Driver", (o) => objectAs(DRIVER_OBJECT, o));

function createNamedEvent(api: string, EventName: string | ObjectName, notification: boolean): { Event: KEVENT | null; EventHandle: number } {
  const t = currentMachine(api).kernelCall(api);
  const m = t.machine;
  if (t.irql !== PASSIVE_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at PASSIVE_LEVEL` });
  }
  const name = checkObjectName(api, "EventName", EventName);
  const path = namedObjectPath(name);
  if (path === null) return { Event: null, EventHandle: 0 };
  const o = lookupNamedObject(m, path);
  if (o && o.objectType !== ExEventObjectType.Name) return { Event: null, EventHandle: 0 };
  if (!o) {
    // A new event starts signalled, as the routines document.
    const created = new EventObject(notification, true, path);
    const handle = insertHandleFor(t, created, EVENT_ALL_ACCESS, OBJ_KERNEL_HANDLE);
    insertNamedObject(m, path, created, false);
    return { Event: created.event, EventHandle: handle };
  }
  return { Event: objectAs(EventObject, o).event, EventHandle: insertHandleFor(t, o, EVENT_ALL_ACCESS, OBJ_KERNEL_HANDLE) };
}

/**
 * IoCreateNotificationEvent: opens the named notification event ("\BaseNamedObjects\Name"), or
 * creates it signalled; returns the PKEVENT (null when it cannot: a bad name, or a name taken by
 * another type of object) and a kernel handle the driver closes with ZwClose. PASSIVE_LEVEL.
 */
export function IoCreateNotificationEvent(EventName: string | ObjectName): { Event: KEVENT | null; EventHandle: number } {
  return createNamedEvent("IoCreateNotificationEvent", EventName, true);
}

/** IoCreateSynchronizationEvent: as IoCreateNotificationEvent, for a synchronization event. */
export function IoCreateSynchronizationEvent(EventName: string | ObjectName): { Event: KEVENT | null; EventHandle: number } {
  return createNamedEvent("IoCreateSynchronizationEvent", EventName, false);
}
