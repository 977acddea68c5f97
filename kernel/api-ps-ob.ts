/**
 * Process, thread and object routines drivers call by their wdm.h names.
 */
import { currentMachine } from "./context.js";
import { APC_LEVEL, KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import { KernelObject } from "./objects.js";
import { MAXIMUM_ALLOWED } from "./access-rights.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { nullDereference } from "./interlocked.js";
import { ExEventObjectType, ExMutantObjectType, ExSemaphoreObjectType, OBJECT_TYPE, PsProcessType, PsThreadType, objectOf, objectTypeNamed, type POBJECT_TYPE, type PVOID_OBJECT } from "./object-types.js";
import { KProcess } from "./process.js";
import { STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import { NtStatusError } from "./nt-status-error.js";
import { OBJ_INHERIT, OBJ_KERNEL_HANDLE } from "./object-attributes.js";
import { KThread } from "./thread.js";
import { badPointer, checkNumber, checkPointer, checkRoutine, isGiven } from "./bad-pointer.js";

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/** PsGetCurrentProcess / IoGetCurrentProcess: the process whose address space is current. */
export function PsGetCurrentProcess(): KProcess {
  return currentMachine("PsGetCurrentProcess").currentThread("PsGetCurrentProcess").currentProcess;
}

/** PsGetCurrentThread. */
export function PsGetCurrentThread(): KThread {
  return currentMachine("PsGetCurrentThread").currentThread("PsGetCurrentThread");
}

/**
 * PsGetCurrentProcessId: the id of the current thread's own process (its CID), which stays the
 * same while the thread is attached to another process (PsGetCurrentProcess follows the attach).
 */
export function PsGetCurrentProcessId(): number {
  return PsGetCurrentThread().process.pid;
}

/** PsGetCurrentThreadId. */
export function PsGetCurrentThreadId(): number {
  return PsGetCurrentThread().tid;
}

/** PsGetProcessId. */
export function PsGetProcessId(Process: KProcess): number {
  checkPointer("PsGetProcessId", "Process", Process, KProcess, "an EPROCESS");
  return Process.pid;
}

/** PsGetThreadId: a thread's id (its CID's UniqueThread). */
export function PsGetThreadId(Thread: KThread): number {
  checkPointer("PsGetThreadId", "Thread", Thread, KThread, "an ETHREAD");
  return Thread.tid;
}

/** PsGetThreadProcessId: the id of the process a thread belongs to. */
export function PsGetThreadProcessId(Thread: KThread): number {
  checkPointer("PsGetThreadProcessId", "Thread", Thread, KThread, "an ETHREAD");
  return Thread.process.pid;
}

/** PsGetThreadProcess / IoThreadToProcess: the process a thread belongs to. */
export function PsGetThreadProcess(Thread: KThread): KProcess {
  checkPointer("PsGetThreadProcess", "Thread", Thread, KThread, "an ETHREAD");
  return Thread.process;
}

/**
 * PsLookupProcessByProcessId: the process with that id, referenced (drop it with
 * ObDereferenceObject); STATUS_INVALID_PARAMETER when no such process exists (any more: an exited
 * process nobody references is gone).
 */
export function PsLookupProcessByProcessId(ProcessId: number): { /** STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for an id no process has. */ status: NTSTATUS; /** The EPROCESS, referenced (ObDereferenceObject it), or null. */ Process: KProcess | null } {
  const t = kernel("PsLookupProcessByProcessId");
  const m = t.machine;
  const p = m.processes.find((x) => x.pid === ProcessId && (x.state !== "exited" || x.pointerCount > 0));
  if (!p) return { status: STATUS_INVALID_PARAMETER, Process: null };
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.objectReferenced?.(t, p);
  m.ob.reference(p);
  return { status: STATUS_SUCCESS, Process: p };
}

/** PsLookupThreadByThreadId: the thread with that id, referenced; STATUS_INVALID_PARAMETER when there is none. */
export function PsLookupThreadByThreadId(ThreadId: number): { /** STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for an id no thread has. */ status: NTSTATUS; /** The ETHREAD, referenced (ObDereferenceObject it), or null. */ Thread: KThread | null } {
  const t = kernel("PsLookupThreadByThreadId");
  const m = t.machine;
  const th = m.threads.find((x) => x.tid === ThreadId && (x.state !== "terminated" || x.pointerCount > 0));
  if (!th) return { status: STATUS_INVALID_PARAMETER, Thread: null };
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.objectReferenced?.(t, th);
  m.ob.reference(th);
  return { status: STATUS_SUCCESS, Thread: th };
}

/** Thread priorities (wdm.h): LOW_PRIORITY, the lowest. */
export const LOW_PRIORITY = 0;
/** LOW_REALTIME_PRIORITY: the lowest real-time priority. */
export const LOW_REALTIME_PRIORITY = 16;
/** HIGH_PRIORITY: the highest priority a thread can have. */
export const HIGH_PRIORITY = 31;

/**
 * KeSetPriorityThread: sets a thread's priority (LOW_PRIORITY..HIGH_PRIORITY) and returns the old
 * one. The priority is recorded and reported; this machine's scheduler does not order threads by
 * it (its choices are decision points instead). A value out of range raises STATUS_INVALID_PARAMETER.
 */
export function KeSetPriorityThread(Thread: KThread, Priority: number): number {
  kernel("KeSetPriorityThread");
  checkPointer("KeSetPriorityThread", "Thread", Thread, KThread, "a KTHREAD");
  if (!Number.isInteger(Priority) || Priority < LOW_PRIORITY || Priority > HIGH_PRIORITY) {
    throw new NtStatusError(STATUS_INVALID_PARAMETER, `KeSetPriorityThread: priority ${String(Priority)} is outside LOW_PRIORITY..HIGH_PRIORITY`);
  }
  const old = Thread.priority;
  Thread.priority = Priority;
  return old;
}

/** KeQueryPriorityThread: a thread's current priority. */
export function KeQueryPriorityThread(Thread: KThread): number {
  checkPointer("KeQueryPriorityThread", "Thread", Thread, KThread, "a KTHREAD");
  return Thread.priority;
}

/** PsIsSystemThread. */
export function PsIsSystemThread(Thread: KThread): boolean {
  checkPointer("PsIsSystemThread", "Thread", Thread, KThread, "an ETHREAD");
  return Thread.system;
}

/** KSTART_ROUTINE: a system thread's body. */
export type KSTART_ROUTINE<C = unknown> = (StartContext: C) => unknown;

/**
 * PsCreateSystemThread: starts a kernel-mode thread in the System process and returns a kernel
 * handle to it (wait on it through ObReferenceObjectByHandle, close it with ZwClose).
 */
export function PsCreateSystemThread<C>(StartRoutine: KSTART_ROUTINE<C>, StartContext: C, name?: string): { /** STATUS_SUCCESS, or why the thread could not be created. */ status: NTSTATUS; /** A kernel handle to the new thread (ZwClose it). */ ThreadHandle: number } {
  const m = kernel("PsCreateSystemThread").machine;
  checkRoutine("PsCreateSystemThread", "StartRoutine", StartRoutine);
  const threadName = name ?? (StartRoutine.name || "SystemThread");
  // The thread's code is its driver's: record that, as a dispatch routine's activity does.
  const driver = m.currentDriver();
  const body = driver
    ? () => {
        m.enterActivity("system thread", threadName, driver);
        return StartRoutine(StartContext);
      }
    : () => StartRoutine(StartContext);
  const t = m.createSystemThread(threadName, body, { background: true });
  const handle = m.ob.insertHandle(m.systemProcess, t, 0x1fffff) | KERNEL_HANDLE_BIT;
  return { status: STATUS_SUCCESS, ThreadHandle: handle >>> 0 };
}

/** PsTerminateSystemThread: the current system thread exits with `ExitStatus`. Never returns. */
export async function PsTerminateSystemThread(ExitStatus: NTSTATUS): Promise<never> {
  const t = kernel("PsTerminateSystemThread");
  return t.machine.exitCurrentThread(ExitStatus);
}

/** Kernel handles (OBJ_KERNEL_HANDLE) live in the System process's table and carry this bit. */
export const KERNEL_HANDLE_BIT = 0x80000000;

/** OBJECT_HANDLE_INFORMATION: what ObReferenceObjectByHandle reports about the handle. */
export interface OBJECT_HANDLE_INFORMATION {
  /** The handle's attributes (OBJ_INHERIT…). */
  readonly HandleAttributes: number;
  /** The access the handle was granted when it was made. */
  readonly GrantedAccess: number;
}

/** The result of ObReferenceObjectByHandle: the status, and the object's body when it succeeded. */
export interface ObjectReference<T> {
  /** STATUS_SUCCESS, or why not: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED. */
  readonly status: NTSTATUS;
  /** The object's body, referenced (drop it with ObDereferenceObject), or null on failure. */
  readonly Object: T | null;
  /** The handle's attributes and granted access, or null on failure. */
  readonly HandleInformation: OBJECT_HANDLE_INFORMATION | null;
}

/**
 * ObReferenceObjectByHandle: the object a handle refers to, with a reference the caller drops with
 * ObDereferenceObject. `Object` is the body a driver passes on: a PKEVENT for ExEventObjectType
 * (KeSetEvent takes it), a PETHREAD for PsThreadType, a PFILE_OBJECT for IoFileObjectType.
 *
 * - A kernel handle (OBJ_KERNEL_HANDLE) resolves in the System process's table, and only for
 *   AccessMode KernelMode: with UserMode it is STATUS_INVALID_HANDLE. Other handles resolve in the
 *   current process's table (so a user handle must be referenced in the requestor's context).
 * - NULL or a handle not open: STATUS_INVALID_HANDLE. Wrong type: STATUS_OBJECT_TYPE_MISMATCH.
 * - With AccessMode UserMode the handle must grant every right asked for (generic rights mapped
 *   through the type): STATUS_ACCESS_DENIED otherwise. KernelMode skips the access check.
 * - IRQL <= APC_LEVEL (the handle table is pageable): above it, IRQL_NOT_LESS_OR_EQUAL.
 */
export function ObReferenceObjectByHandle<T>(Handle: number, DesiredAccess: number, ObjectType: OBJECT_TYPE<T>, AccessMode: KPROCESSOR_MODE): ObjectReference<T>;
export function ObReferenceObjectByHandle(Handle: number, DesiredAccess: number, ObjectType: OBJECT_TYPE | string | null, AccessMode: KPROCESSOR_MODE): ObjectReference<PVOID_OBJECT>;
export function ObReferenceObjectByHandle(Handle: number, DesiredAccess: number, ObjectType: OBJECT_TYPE | string | null, AccessMode: KPROCESSOR_MODE): ObjectReference<unknown> {
  const t = kernel("ObReferenceObjectByHandle");
  const m = t.machine;
  // A handle is a value: one that is no number names no handle table entry.
  if (typeof Handle !== "number") return { status: STATUS_INVALID_HANDLE, Object: null, HandleInformation: null };
  DesiredAccess = checkNumber("ObReferenceObjectByHandle", "DesiredAccess", DesiredAccess);
  const h = Handle >>> 0;
  const type = typeof ObjectType === "string" ? objectTypeNamed(ObjectType) : ObjectType;
  // The type is read through its pointer (POBJECT_TYPE): what is no object type faults.
  if (isGiven(type) && !(type instanceof OBJECT_TYPE)) badPointer("ObReferenceObjectByHandle", "ObjectType", type, "a POBJECT_TYPE (ExEventObjectType, *PsThreadType…) or NULL");
  if (m.kernelHooks.length !== 0) for (const hk of m.kernelHooks) hk.referenceByHandle?.(t, h, type, AccessMode);
  if (t.irql > APC_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `ObReferenceObjectByHandle at IRQL ${t.irql}: handles are referenced at IRQL <= APC_LEVEL` });
  }
  const failed = (status: NTSTATUS): ObjectReference<unknown> => ({ status, Object: null, HandleInformation: null });
  if (h === 0) return failed(STATUS_INVALID_HANDLE);
  const where = handleTableOf(t, h, AccessMode);
  if (!where) return failed(STATUS_INVALID_HANDLE);
  const { process, value } = where;
  const access = type ? type.mapAccess(DesiredAccess) : DesiredAccess >>> 0;
  const r = m.ob.referenceByHandle(process, value, type ? type.Name : null, access, AccessMode);
  if (!r.object) return failed(r.status);
  if (m.kernelHooks.length !== 0) for (const hk of m.kernelHooks) hk.objectReferenced?.(t, r.object);
  const entry = process.handleTable.lookup(value);
  return {
    status: r.status,
    Object: (type ?? objectTypeNamed(r.object.objectType)).body(r.object),
    HandleInformation: { HandleAttributes: entry?.inherit ? OBJ_INHERIT : 0, GrantedAccess: r.grantedAccess },
  };
}

/** The object behind a pointer a driver passes to an Ob routine; a pointer that is no object faults as NT's read of its header would. */
function headerOfPointer(t: KThread, api: string, Object: unknown): KernelObject {
  const o = objectOf(Object);
  if (o) return o;
  if (Object === null || Object === undefined) nullDereference(t);
  return t.machine.bugCheck(BugCheckCode.REFERENCE_BY_POINTER, 0, 0, 0, 0, { detail: `${api} on something that is not an object-manager object (a driver's own structure has no object header)` });
}

/** ObReferenceObject (ObfReferenceObject): one more reference to an object (or to the object whose body it is). */
export function ObReferenceObject(Object: PVOID_OBJECT): void {
  const t = kernel("ObReferenceObject");
  const o = headerOfPointer(t, "ObReferenceObject", Object);
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.objectReferenced?.(t, o);
  t.machine.ob.reference(o);
}

/**
 * ObDereferenceObject (ObfDereferenceObject): drops a reference; when the last goes, the object is
 * deleted (on a worker thread, as NT defers deletion at raised IRQL). Dropping more than were taken
 * is bug check REFERENCE_BY_POINTER.
 */
export function ObDereferenceObject(Object: PVOID_OBJECT): void {
  const t = kernel("ObDereferenceObject");
  const o = headerOfPointer(t, "ObDereferenceObject", Object);
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.objectDereferenced?.(t, o);
  t.machine.ob.dereference(o);
}

/** ObReferenceObjectWithTag: ObReferenceObject (the tag is for !obtrace, which the emulator does not keep). */
export function ObReferenceObjectWithTag(Object: PVOID_OBJECT, _Tag: number | string): void {
  ObReferenceObject(Object);
}

/** ObDereferenceObjectWithTag. */
export function ObDereferenceObjectWithTag(Object: PVOID_OBJECT, _Tag: number | string): void {
  ObDereferenceObject(Object);
}

/**
 * ObReferenceObjectByPointer: a reference to an object the caller already points to, after
 * checking its type (STATUS_OBJECT_TYPE_MISMATCH when it is not `ObjectType`).
 */
export function ObReferenceObjectByPointer(Object: PVOID_OBJECT, _DesiredAccess: number, ObjectType: OBJECT_TYPE | null, _AccessMode: KPROCESSOR_MODE): NTSTATUS {
  const t = kernel("ObReferenceObjectByPointer");
  const o = headerOfPointer(t, "ObReferenceObjectByPointer", Object);
  objectTypeArg("ObReferenceObjectByPointer", ObjectType);
  if (ObjectType && o.objectType !== ObjectType.Name) return STATUS_OBJECT_TYPE_MISMATCH;
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.objectReferenced?.(t, o);
  t.machine.ob.reference(o);
  return STATUS_SUCCESS;
}

/**
 * ObOpenObjectByPointer: a handle to an object the caller points to, granting `DesiredAccess`
 * (generic rights mapped; MAXIMUM_ALLOWED grants every right). With OBJ_KERNEL_HANDLE in
 * `HandleAttributes` it is a kernel handle; otherwise a handle in the current process.
 */
export function ObOpenObjectByPointer(Object: PVOID_OBJECT, HandleAttributes: number, _PassedAccessState: null, DesiredAccess: number, ObjectType: OBJECT_TYPE | null, _AccessMode: KPROCESSOR_MODE): { /** STATUS_SUCCESS or STATUS_OBJECT_TYPE_MISMATCH. */ status: NTSTATUS; /** The new handle (0 on failure). */ Handle: number } {
  const t = kernel("ObOpenObjectByPointer");
  const o = headerOfPointer(t, "ObOpenObjectByPointer", Object);
  objectTypeArg("ObOpenObjectByPointer", ObjectType);
  DesiredAccess = checkNumber("ObOpenObjectByPointer", "DesiredAccess", DesiredAccess);
  HandleAttributes = checkNumber("ObOpenObjectByPointer", "HandleAttributes", HandleAttributes);
  if (ObjectType && o.objectType !== ObjectType.Name) return { status: STATUS_OBJECT_TYPE_MISMATCH, Handle: 0 };
  const type = ObjectType ?? objectTypeNamed(o.objectType);
  const granted = DesiredAccess & MAXIMUM_ALLOWED ? 0x001fffff : type.mapAccess(DesiredAccess);
  return { status: STATUS_SUCCESS, Handle: insertHandleFor(t, o, granted, HandleAttributes) };
}

/** A POBJECT_TYPE argument is read through its pointer: what is no object type (nor NULL) faults. */
function objectTypeArg(api: string, ObjectType: unknown): void {
  if (isGiven(ObjectType) && !(ObjectType instanceof OBJECT_TYPE)) badPointer(api, "ObjectType", ObjectType, "a POBJECT_TYPE or NULL");
}

/** ObGetObjectType: the object's type (ObGetObjectType(pEvent) === *ExEventObjectType). */
export function ObGetObjectType(Object: PVOID_OBJECT): OBJECT_TYPE {
  const t = kernel("ObGetObjectType");
  return objectTypeNamed(headerOfPointer(t, "ObGetObjectType", Object).objectType);
}

// OBJ_* handle attributes (OBJECT_ATTRIBUTES.Attributes, ObOpenObjectByPointer's HandleAttributes):
// one definition, with OBJECT_ATTRIBUTES, re-exported here for the routines that take them.
export { OBJ_INHERIT, OBJ_PERMANENT, OBJ_EXCLUSIVE, OBJ_CASE_INSENSITIVE, OBJ_OPENIF, OBJ_OPENLINK, OBJ_KERNEL_HANDLE, OBJ_FORCE_ACCESS_CHECK } from "./object-attributes.js";

/** Whether a handle value is a kernel handle (the kernel bit set, and not a pseudo-handle). */
export function isKernelHandle(handle: number): boolean {
  const h = handle >>> 0;
  return (h & KERNEL_HANDLE_BIT) !== 0 && h < 0xfffffff0;
}

/**
 * Where a handle value resolves: a kernel handle in the System process's table (its entry is the
 * value without the kernel bit), any other in the current process's. Only a kernel-mode caller
 * may use a kernel handle: from user mode it is null (STATUS_INVALID_HANDLE).
 * @internal emulator plumbing shared by the Ob, Zw and I/O services; not a WDK routine.
 */
export function handleTableOf(t: KThread, handle: number, mode: KPROCESSOR_MODE): { process: KProcess; value: number } | null {
  const h = handle >>> 0;
  if (!isKernelHandle(h)) return { process: t.currentProcess, value: h };
  return mode === KernelMode ? { process: t.machine.systemProcess, value: (h & ~KERNEL_HANDLE_BIT) >>> 0 } : null;
}

/**
 * Makes a handle to `o`: a kernel handle with OBJ_KERNEL_HANDLE, else one of the current process.
 * @internal emulator plumbing shared by the object-creating services; not a WDK routine.
 */
export function insertHandleFor(t: KThread, o: KernelObject, grantedAccess: number, attributes: number): number {
  const m = t.machine;
  if (attributes & OBJ_KERNEL_HANDLE) return (m.ob.insertHandle(m.systemProcess, o, grantedAccess, (attributes & OBJ_INHERIT) !== 0) | KERNEL_HANDLE_BIT) >>> 0;
  return m.ob.insertHandle(t.currentProcess, o, grantedAccess, (attributes & OBJ_INHERIT) !== 0);
}

/** ZwClose for kernel handles (and handles of the current process). */
export async function ZwClose(Handle: number): Promise<NTSTATUS> {
  const t = kernel("ZwClose");
  const m = t.machine;
  if (typeof Handle !== "number") return STATUS_INVALID_HANDLE;
  const where = handleTableOf(t, Handle, KernelMode) as { process: KProcess; value: number };
  return m.ob.closeHandle(where.process, where.value);
}

/** The object types drivers name when they reference objects (POBJECT_TYPE). */
export { ExEventObjectType, ExSemaphoreObjectType, ExMutantObjectType, PsThreadType, PsProcessType, OBJECT_TYPE };
export type { POBJECT_TYPE, PVOID_OBJECT };
