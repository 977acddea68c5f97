/**
 * Process and thread APIs (processthreadsapi.h).
 */
import { UserMode } from "../kernel/irql.js";
import { NtCurrentProcess, NtCurrentThread } from "../kernel/object-manager.js";
import { KProcess } from "../kernel/process.js";
import { STATUS_PENDING, STATUS_SUCCESS } from "../kernel/status.js";
import { PROCESS_QUERY_INFORMATION, PROCESS_TERMINATE, THREAD_ALL_ACCESS, THREAD_QUERY_INFORMATION } from "../kernel/sync-objects.js";
import { KThread } from "../kernel/thread.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { boolFromStatus, caller, putUserU32, service, serviceAsync, setLastNtError } from "./call.js";

/** GetExitCodeProcess / GetExitCodeThread report this while the object runs. */
export const STILL_ACTIVE = 259;

/** GetCurrentProcess: the pseudo-handle (HANDLE)-1. */
export function GetCurrentProcess(): number {
  caller("GetCurrentProcess");
  return NtCurrentProcess;
}

/** GetCurrentThread: the pseudo-handle (HANDLE)-2. */
export function GetCurrentThread(): number {
  caller("GetCurrentThread");
  return NtCurrentThread;
}

/** GetCurrentProcessId. */
export function GetCurrentProcessId(): number {
  return caller("GetCurrentProcessId").process.pid;
}

/** GetCurrentThreadId. */
export function GetCurrentThreadId(): number {
  return caller("GetCurrentThreadId").tid;
}

/** LPTHREAD_START_ROUTINE: an app thread's body; its return value is the exit code. */
export type LPTHREAD_START_ROUTINE<P = unknown> = (lpParameter: P) => unknown;

/**
 * CreateThread: starts a thread of the calling process running `lpStartAddress(lpParameter)` in
 * user mode; writes its id at `lpThreadId` (when not NULL) and returns a handle to it.
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
  const t = caller("CreateThread");
  return service(t, (m) => {
    const n = name ?? (lpStartAddress.name || `thread${t.process.threads.length}`);
    const nt = m.createThread(t.process, n, () => lpStartAddress(lpParameter), { userMode: true });
    const h = m.ob.insertHandle(t.process, nt, THREAD_ALL_ACCESS);
    if (lpThreadId !== 0) {
      try {
        putUserU32(m, lpThreadId, nt.tid);
      } catch (e) {
        if (!(e instanceof NtStatusError)) throw e;
      }
    }
    return h;
  });
}

/** ExitThread: the calling thread exits (the last one ends its process). Never returns. */
export function ExitThread(dwExitCode: number): Promise<never> {
  const t = caller("ExitThread");
  t.machine.enterKernel(t);
  return t.machine.exitCurrentThread(dwExitCode);
}

/**
 * ExitProcess: every thread of the process is terminated with `uExitCode`; the caller exits
 * at once, the others when they next wait in user mode or return from kernel mode. Never returns.
 */
export function ExitProcess(uExitCode: number): Promise<never> {
  const t = caller("ExitProcess");
  const m = t.machine;
  m.enterKernel(t);
  m.terminateProcess(t.process, uExitCode, "ExitProcess");
  return m.exitCurrentThread(uExitCode);
}

/**
 * TerminateProcess: needs PROCESS_TERMINATE. Terminating the caller's own process does not
 * return.
 */
export async function TerminateProcess(hProcess: number, uExitCode: number): Promise<boolean> {
  const t = caller("TerminateProcess");
  return serviceAsync(t, async (m) => {
    const r = m.ob.referenceByHandle<KProcess>(t.process, hProcess, "Process", PROCESS_TERMINATE, UserMode);
    if (!r.object) return boolFromStatus(t, r.status);
    const p = r.object;
    m.ob.dereference(p);
    if (p.state !== "active") return boolFromStatus(t, 0xc000010a);
    m.terminateProcess(p, uExitCode, `TerminateProcess by ${t.label}`);
    if (p === t.process) await m.exitCurrentThread(uExitCode);
    return true;
  });
}

/** GetExitCodeProcess: STILL_ACTIVE while the process runs. */
export function GetExitCodeProcess(hProcess: number, lpExitCode: number): boolean {
  const t = caller("GetExitCodeProcess");
  return service(t, (m) => {
    const r = m.ob.referenceByHandle<KProcess>(t.process, hProcess, "Process", PROCESS_QUERY_INFORMATION, UserMode);
    if (!r.object) return boolFromStatus(t, r.status);
    m.ob.dereference(r.object);
    const code = r.object.state === "exited" ? r.object.exitStatus : STILL_ACTIVE;
    try {
      putUserU32(m, lpExitCode, code);
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      setLastNtError(t, e.status);
      return false;
    }
    return true;
  });
}

/** GetExitCodeThread: STILL_ACTIVE while the thread runs. */
export function GetExitCodeThread(hThread: number, lpExitCode: number): boolean {
  const t = caller("GetExitCodeThread");
  return service(t, (m) => {
    const r = m.ob.referenceByHandle<KThread>(t.process, hThread, "Thread", THREAD_QUERY_INFORMATION, UserMode);
    if (!r.object) return boolFromStatus(t, r.status);
    m.ob.dereference(r.object);
    const code = r.object.state === "terminated" && r.object.exitStatus !== STATUS_PENDING ? r.object.exitStatus : STILL_ACTIVE;
    try {
      putUserU32(m, lpExitCode, code);
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      setLastNtError(t, e.status);
      return false;
    }
    return boolFromStatus(t, STATUS_SUCCESS);
  });
}
