/**
 * Process and thread identity (Learn "Process ID Functions (Windows Embedded CE 6.0)"):
 * GetCurrentProcessId is the process the thread runs in now (nk.exe inside a kernel-mode
 * driver); GetCallerVMProcessId the process whose address space is active (the app, during its
 * call into a kernel-mode driver); GetDirectCallerProcessId / GetCallerProcess (kernel mode) the
 * process that made the call into the current context (nk.exe when a kernel component called
 * the driver); GetOwnerProcess the process that owns the thread. Process ids double as process
 * handles, and OpenProcess gives real ones.
 */
import { UserMode } from "../../kernel/irql.js";
import type { KThread, ThreadBody } from "../../kernel/thread.js";
import { THREAD_ALL_ACCESS } from "../../kernel/sync-objects.js";
import { ceCall, fail } from "../ce-call.js";
import { activeProcess, callFrames, directCaller, vmProcess } from "../ce-thread.js";
import { CE_CURRENT_PROCESS, CE_CURRENT_THREAD, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER } from "../constants.js";

/** GetCurrentProcess: the pseudo handle (HANDLE)0x42, meaning the active process. */
export function GetCurrentProcess(): number {
  ceCall("GetCurrentProcess");
  return CE_CURRENT_PROCESS;
}

/** GetCurrentThread: the pseudo handle (HANDLE)0x41. */
export function GetCurrentThread(): number {
  ceCall("GetCurrentThread");
  return CE_CURRENT_THREAD;
}

/** GetCurrentProcessId: the id of the process the thread runs in now (its owner outside any call). */
export function GetCurrentProcessId(): number {
  const { t, ce } = ceCall("GetCurrentProcessId");
  return ce.processId(activeProcess(t));
}

/** GetCurrentThreadId. */
export function GetCurrentThreadId(): number {
  const { t, ce } = ceCall("GetCurrentThreadId");
  return ce.threadId(t);
}

/** GetOwnerProcess: the process that owns the thread (as a handle: its id). */
export function GetOwnerProcess(): number {
  const { t, ce } = ceCall("GetOwnerProcess");
  return ce.processId(t.process);
}

/** GetCallerVMProcessId: the process whose address space is active — the app during its call into a kernel-mode driver. */
export function GetCallerVMProcessId(): number {
  const { t, ce } = ceCall("GetCallerVMProcessId");
  return ce.processId(vmProcess(t));
}

/**
 * GetDirectCallerProcessId: the process that made the call the thread is in — the app when it
 * called the driver, nk.exe when a kernel component did (CE's "direct call"). Outside any call,
 * the active VM's process, as the documentation describes.
 */
export function GetDirectCallerProcessId(): number {
  const { t, ce } = ceCall("GetDirectCallerProcessId");
  return ce.processId(directCaller(t) ?? vmProcess(t));
}

/**
 * GetCallerProcess: obsolete in CE 6.0. From kernel mode it is GetDirectCallerProcessId; from
 * user mode it is the caller with the kernel left out of the chain — the caller of the
 * innermost call that did not come from nk.exe. Returns the id (a process handle on CE).
 */
export function GetCallerProcess(): number {
  const { t, ce } = ceCall("GetCallerProcess");
  if (t.mode !== UserMode) return ce.processId(directCaller(t) ?? vmProcess(t));
  const frames = callFrames(t);
  for (let i = frames.length - 1; i >= 0; i--) {
    const caller = frames[i]?.caller;
    if (caller && caller !== ce.nk) return ce.processId(caller);
  }
  return ce.processId(vmProcess(t));
}

/**
 * OpenProcess: a handle to the process with `dwProcessId` in the active process's handle
 * table; NULL with ERROR_INVALID_PARAMETER when no such process runs.
 */
export function OpenProcess(dwDesiredAccess: number, bInheritHandle: boolean, dwProcessId: number): number {
  const { t, ce, m } = ceCall("OpenProcess");
  const p = ce.processById(dwProcessId);
  if (!p) return fail(t, ERROR_INVALID_PARAMETER, 0);
  return m.ob.insertHandle(activeProcess(t), p, dwDesiredAccess >>> 0, bInheritHandle);
}

/** GetProcessId: the id of the process a handle (or id) refers to; 0 when invalid. */
export function GetProcessId(hProcess: number): number {
  const { t, ce } = ceCall("GetProcessId");
  const p = ce.resolveProcess(t, hProcess);
  return p ? ce.processId(p) : fail(t, ERROR_INVALID_HANDLE, 0);
}

/** LPTHREAD_START_ROUTINE. */
export type LPTHREAD_START_ROUTINE<P = unknown> = (lpParameter: P) => unknown;

/**
 * CreateThread: a thread of the active process — an app's thread (user mode), or, called from
 * a kernel-mode driver, a kernel thread of nk.exe (which, like an NT driver's system thread, does
 * not keep a run going). Writes its id at `lpThreadId` (when not 0); returns a handle.
 */
export function CreateThread<P>(
  _lpThreadAttributes: null,
  _dwStackSize: number,
  lpStartAddress: LPTHREAD_START_ROUTINE<P>,
  lpParameter: P,
  _dwCreationFlags: number,
  lpThreadId: number,
  name?: string,
): number {
  const c = ceCall("CreateThread");
  const { t, m, ce } = c;
  const owner = activeProcess(t);
  const body: ThreadBody = () => lpStartAddress(lpParameter);
  const label = name ?? (lpStartAddress.name || `thread${owner.threads.length}`);
  const kernel = owner === ce.nk;
  const nt: KThread = kernel ? m.createSystemThread(label, body, { background: true }) : m.createThread(owner, label, body, { userMode: true });
  const h = m.ob.insertHandle(owner, nt, THREAD_ALL_ACCESS);
  if (lpThreadId !== 0) m.mmu.writeU32(lpThreadId, ce.threadId(nt));
  return h;
}
