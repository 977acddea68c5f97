/**
 * Object types (POBJECT_TYPE): what ObReferenceObjectByHandle checks a handle's object against,
 * and what it hands back. The object a driver receives is the object's body, as in NT: for an
 * event, the KEVENT that KeSetEvent and KeWaitForSingleObject take; for a thread, the ETHREAD;
 * for a file, the FILE_OBJECT. Ob routines given a body find the object it belongs to (NT's
 * OBJECT_HEADER, which precedes the body in memory).
 */
import { GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, EventGenericMapping, PROCESS_ALL_ACCESS, READ_CONTROL, SEMAPHORE_ALL_ACCESS, SYNCHRONIZE, THREAD_ALL_ACCESS, mapGenericAccess, type GENERIC_MAPPING } from "./access-rights.js";
import type { DispatcherHeader, KEVENT, KMUTANT, KSEMAPHORE } from "./dispatcher.js";
import { KernelObject, objectBodies } from "./objects.js";
import { KProcess } from "./process.js";
import { EventObject, MutantObject, SemaphoreObject } from "./sync-objects.js";
import { KThread } from "./thread.js";

/** What an Ob routine takes as an object pointer: an object, or the body of one (a KEVENT). */
export type PVOID_OBJECT = KernelObject | DispatcherHeader;

/** OBJECT_TYPE: an object type's name, generic mapping, and how to reach an object's body. */
export class OBJECT_TYPE<T = unknown> {
  constructor(
    /** The type's name ("Event", "Thread", "File"), as !object shows it. */
    readonly Name: string,
    /** The body a driver is handed for an object of this type. */
    readonly body: (object: KernelObject) => T,
    /** How the type maps GENERIC_READ/WRITE/EXECUTE/ALL to its specific rights. */
    readonly GenericMapping: GENERIC_MAPPING = { GenericRead: READ_CONTROL, GenericWrite: READ_CONTROL, GenericExecute: SYNCHRONIZE, GenericAll: 0x001f0000 },
  ) {
    types.set(Name, this);
  }

  /** Replaces generic rights in `access` with this type's specific rights. */
  mapAccess(access: number): number {
    return access & (GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL) ? mapGenericAccess(access, this.GenericMapping) : access >>> 0;
  }
}

/** POBJECT_TYPE. */
export type POBJECT_TYPE<T = unknown> = OBJECT_TYPE<T>;

const types = new Map<string, OBJECT_TYPE>();

/** The object a pointer a driver holds belongs to, or null when it is not an object-manager object. */
export function objectOf(p: unknown): KernelObject | null {
  if (p instanceof KernelObject) return p;
  if (typeof p !== "object" || p === null) return null;
  return objectBodies.get(p) ?? null;
}

/** The body of an object as its type hands it out. */
export function bodyOf(object: KernelObject): unknown {
  return objectTypeNamed(object.objectType).body(object);
}

/** The OBJECT_TYPE of a type name (one is made, with an identity body, for a type nobody declared). */
export function objectTypeNamed(name: string): OBJECT_TYPE {
  return types.get(name) ?? new OBJECT_TYPE<KernelObject>(name, (o) => o);
}

/** `o` as an instance of `cls` (the object's type name has already been checked against it). */
export function objectAs<T extends KernelObject>(cls: abstract new (...args: never[]) => T, o: KernelObject): T {
  if (o instanceof cls) return o;
  throw new TypeError(`irpsim: a ${o.objectType} object is not a ${cls.name}`);
}

/** ExEventObjectType: events; the body is the KEVENT. */
export const ExEventObjectType = new OBJECT_TYPE<KEVENT>("Event", (o) => objectAs(EventObject, o).event, EventGenericMapping);
/** ExSemaphoreObjectType: semaphores; the body is the KSEMAPHORE. */
export const ExSemaphoreObjectType = new OBJECT_TYPE<KSEMAPHORE>("Semaphore", (o) => objectAs(SemaphoreObject, o).semaphore, { GenericRead: READ_CONTROL | 1, GenericWrite: READ_CONTROL | 2, GenericExecute: READ_CONTROL | SYNCHRONIZE, GenericAll: SEMAPHORE_ALL_ACCESS });
/** ExMutantObjectType: mutants; the body is the KMUTANT. */
export const ExMutantObjectType = new OBJECT_TYPE<KMUTANT>("Mutant", (o) => objectAs(MutantObject, o).mutant);
/** PsThreadType: threads; the body is the ETHREAD. */
export const PsThreadType = new OBJECT_TYPE<KThread>("Thread", (o) => objectAs(KThread, o), { GenericRead: READ_CONTROL | 0x0848, GenericWrite: READ_CONTROL | 0x0437, GenericExecute: READ_CONTROL | SYNCHRONIZE | 0x1800, GenericAll: THREAD_ALL_ACCESS });
/** PsProcessType: processes; the body is the EPROCESS. */
export const PsProcessType = new OBJECT_TYPE<KProcess>("Process", (o) => objectAs(KProcess, o), { GenericRead: READ_CONTROL | 0x0410, GenericWrite: READ_CONTROL | 0x0beb, GenericExecute: READ_CONTROL | SYNCHRONIZE | 0x1000, GenericAll: PROCESS_ALL_ACCESS });

