/**
 * Process, thread and object routines drivers call by their wdm.h names.
 */
import { currentMachine } from "./context.js";
import { KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import type { KernelObject } from "./objects.js";
import type { KProcess } from "./process.js";
import { STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";

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

/** PsGetCurrentProcessId. */
export function PsGetCurrentProcessId(): number {
  return PsGetCurrentProcess().pid;
}

/** PsGetCurrentThreadId. */
export function PsGetCurrentThreadId(): number {
  return PsGetCurrentThread().tid;
}

/** PsGetProcessId. */
export function PsGetProcessId(Process: KProcess): number {
  return Process.pid;
}

/** PsIsSystemThread. */
export function PsIsSystemThread(Thread: KThread): boolean {
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

/**
 * ObReferenceObjectByHandle: the object and a reference to it. Kernel handles resolve in the
 * System process's table; user-mode callers must hold the rights they ask for.
 */
export function ObReferenceObjectByHandle(
  Handle: number,
  DesiredAccess: number,
  ObjectType: string | null,
  AccessMode: KPROCESSOR_MODE,
): { /** STATUS_SUCCESS, STATUS_INVALID_HANDLE or STATUS_OBJECT_TYPE_MISMATCH. */ status: NTSTATUS; /** The object, referenced (ObDereferenceObject it), or null on failure. */ Object: KernelObject | null } {
  const t = kernel("ObReferenceObjectByHandle");
  const m = t.machine;
  const h = Handle >>> 0;
  const kernelHandle = AccessMode === KernelMode && (h & KERNEL_HANDLE_BIT) !== 0 && h < 0xfffffff0;
  const r = kernelHandle
    ? m.ob.referenceByHandle(m.systemProcess, h & ~KERNEL_HANDLE_BIT, ObjectType, DesiredAccess, AccessMode)
    : m.ob.referenceByHandle(t.currentProcess, h, ObjectType, DesiredAccess, AccessMode);
  if (r.object && m.kernelHooks.length !== 0) for (const hk of m.kernelHooks) hk.objectReferenced?.(t, r.object);
  return { status: r.status, Object: r.object };
}

/** ObReferenceObject. */
export function ObReferenceObject(Object: KernelObject): void {
  const t = kernel("ObReferenceObject");
  t.machine.ob.reference(Object);
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.objectReferenced?.(t, Object);
}

/** ObDereferenceObject: when the last reference goes, deletion runs on a worker thread. */
export function ObDereferenceObject(Object: KernelObject): void {
  const t = kernel("ObDereferenceObject");
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.objectDereferenced?.(t, Object);
  t.machine.ob.dereference(Object);
}

/** ZwClose for kernel handles (and handles of the current process). */
export async function ZwClose(Handle: number): Promise<NTSTATUS> {
  const t = kernel("ZwClose");
  const m = t.machine;
  const h = Handle >>> 0;
  if ((h & KERNEL_HANDLE_BIT) !== 0 && h < 0xfffffff0) return m.ob.closeHandle(m.systemProcess, h & ~KERNEL_HANDLE_BIT);
  return m.ob.closeHandle(t.currentProcess, h);
}

/** The object type names ObReferenceObjectByHandle checks against. */
export const PsProcessType = "Process";
/** The object type ObReferenceObjectByHandle is given to accept only thread handles. */
export const PsThreadType = "Thread";
/** The object type ObReferenceObjectByHandle is given to accept only event handles. */
export const ExEventObjectType = "Event";
