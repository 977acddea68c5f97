/**
 * Process-creation notify routines (PsSetCreateProcessNotifyRoutine, ...Ex): a driver's routine
 * called when any process is created and when it exits.
 *
 * Creation: once the process and its first thread exist and before that thread runs, in the
 * context of the creating thread (the System process at PASSIVE_LEVEL when the harness creates
 * it). An Ex routine gets PS_CREATE_NOTIFY_INFO and may refuse the creation by setting
 * CreationStatus to an error: the process then ends with that status before running any code.
 * Exit: when the last thread exits, in that thread's context, before the process's handles are
 * closed. A routine of a driver whose image is gone is bug check 0xCE (the driver unloaded
 * without removing it), as NT would crash calling it.
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { activeMachine, currentMachine, setActiveMachine } from "./context.js";
import { PASSIVE_LEVEL } from "./irql.js";
import { callerSite } from "./source-location.js";
import type { Machine } from "./machine.js";
import type { KProcess } from "./process.js";
import { NT_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_PROCEDURE_NOT_FOUND, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";

/** PCREATE_PROCESS_NOTIFY_ROUTINE: (ParentId, ProcessId, Create). */
export type CREATE_PROCESS_NOTIFY_ROUTINE = (ParentId: number, ProcessId: number, Create: boolean) => void;

/** CLIENT_ID: a thread named by its process id and thread id. */
export interface CLIENT_ID {
  /** The process id. */
  readonly UniqueProcess: number;
  /** The thread id. */
  readonly UniqueThread: number;
}

/** PS_CREATE_NOTIFY_INFO: what an Ex routine learns about a new process, and its answer. */
export class PS_CREATE_NOTIFY_INFO {
  /** sizeof(PS_CREATE_NOTIFY_INFO) on x86. */
  readonly Size = 0x48;
  /** FileOpenNameAvailable and the other flag bits (0 here: ImageFileName is always given). */
  Flags = 0;
  /** The routine's answer: an error status refuses the creation. */
  CreationStatus: NTSTATUS = STATUS_SUCCESS;
  /** The information about a process being created. */
  constructor(
    /** The id of the process's parent (which need not be the creator). */
    readonly ParentProcessId: number,
    /** The process and thread that are creating it. */
    readonly CreatingThreadId: CLIENT_ID,
    /** The executable's name. */
    readonly ImageFileName: string,
    /** The command line, or null when there is none. */
    readonly CommandLine: string | null,
    /** The executable's file object (null: irpsim's processes have no image file). */
    readonly FileObject: null = null,
  ) {}
}

/** PCREATE_PROCESS_NOTIFY_ROUTINE_EX: (Process, ProcessId, CreateInfo — null on exit). */
export type CREATE_PROCESS_NOTIFY_ROUTINE_EX = (Process: KProcess, ProcessId: number, CreateInfo: PS_CREATE_NOTIFY_INFO | null) => void;

/** A registered routine and the driver that registered it. */
export interface ProcessNotifyRegistration {
  readonly routine: CREATE_PROCESS_NOTIFY_ROUTINE | CREATE_PROCESS_NOTIFY_ROUTINE_EX;
  readonly ex: boolean;
  readonly driver: string | null;
  /** The driver's source line of the registration (reported when the routine is left behind). */
  readonly site: string | null;
}

/** NT allows this many process-notify routines at once (PSP_MAX_CREATE_PROCESS_NOTIFY). */
export const PSP_MAX_CREATE_PROCESS_NOTIFY = 64;

const registries = new WeakMap<Machine, ProcessNotifyRegistration[]>();

/** The routines registered on a machine (for the verifier's unload rule). */
export function processNotifyRoutines(m: Machine): readonly ProcessNotifyRegistration[] {
  return registries.get(m) ?? [];
}

function registry(m: Machine): ProcessNotifyRegistration[] {
  let list = registries.get(m);
  if (!list) {
    const created: ProcessNotifyRegistration[] = [];
    list = created;
    registries.set(m, created);
    m.processCreated.push((p) => {
      notifyCreate(m, p, created);
    });
    m.processExiting.push((p, last) => notifyExit(m, p, last, created));
  }
  return list;
}

function register(api: string, routine: ProcessNotifyRegistration["routine"], ex: boolean, Remove: boolean): NTSTATUS {
  const t = currentMachine(api).kernelCall(api);
  const m = t.machine;
  if (t.irql !== PASSIVE_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at PASSIVE_LEVEL` });
  }
  if (typeof routine !== "function") return STATUS_INVALID_PARAMETER;
  const list = registry(m);
  const k = list.findIndex((r) => r.routine === routine && r.ex === ex);
  if (Remove) {
    if (k < 0) return STATUS_PROCEDURE_NOT_FOUND;
    list.splice(k, 1);
    return STATUS_SUCCESS;
  }
  if (k >= 0 || list.length >= PSP_MAX_CREATE_PROCESS_NOTIFY) return STATUS_INVALID_PARAMETER;
  list.push({ routine, ex, driver: m.currentDriver(), site: callerSite() });
  return STATUS_SUCCESS;
}

/**
 * PsSetCreateProcessNotifyRoutine: adds (Remove FALSE) or removes (TRUE) a routine called with
 * (ParentId, ProcessId, Create) at every process creation and exit. Registering a routine twice
 * is STATUS_INVALID_PARAMETER (as is a 65th routine); removing one not registered
 * STATUS_PROCEDURE_NOT_FOUND. PASSIVE_LEVEL. Remove it before the driver unloads.
 */
export function PsSetCreateProcessNotifyRoutine(NotifyRoutine: CREATE_PROCESS_NOTIFY_ROUTINE, Remove: boolean): NTSTATUS {
  return register("PsSetCreateProcessNotifyRoutine", NotifyRoutine, false, Remove);
}

/** PsSetCreateProcessNotifyRoutineEx: as above, for a routine that gets the EPROCESS and PS_CREATE_NOTIFY_INFO. */
export function PsSetCreateProcessNotifyRoutineEx(NotifyRoutine: CREATE_PROCESS_NOTIFY_ROUTINE_EX, Remove: boolean): NTSTATUS {
  return register("PsSetCreateProcessNotifyRoutineEx", NotifyRoutine, true, Remove);
}

/** Calls one routine as its driver's code, at PASSIVE_LEVEL in kernel mode on `t`. */
function call(m: Machine, t: KThread, r: ProcessNotifyRegistration, args: unknown[]): unknown {
  const name = r.routine.name || "process-notify routine";
  if (r.driver !== null && m.unloadedImages.has(r.driver)) {
    m.bugCheck(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, 0, 0, 0, 0, {
      driver: r.driver,
      detail: `process-notify routine ${name} of ${r.driver} is called after ${r.driver} was unloaded: DriverUnload must remove it (PsSetCreateProcessNotifyRoutine with Remove TRUE)`,
    });
  }
  const mode = t.mode;
  t.mode = 0;
  const token = m.enterActivity("process-notify routine", name, r.driver);
  try {
    return (r.routine as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    return m.unhandledKernelException(e, `process-notify routine ${name}`);
  } finally {
    m.leaveActivity(token);
    t.mode = mode;
  }
}

function notifyCreate(m: Machine, p: KProcess, list: readonly ProcessNotifyRegistration[]): void {
  if (list.length === 0) return;
  const creator = m.runningThread();
  const t = creator ?? m.otherProcessor(m.systemProcess, "process creation");
  const run = (): void => {
    for (const r of [...list]) {
      const info = r.ex ? new PS_CREATE_NOTIFY_INFO(p.parentPid, { UniqueProcess: t.process.pid, UniqueThread: t.tid }, p.name, p.name) : null;
      const result = call(m, t, r, r.ex ? [p, p.pid, info] : [p.parentPid, p.pid, true]);
      if (result instanceof Promise) {
        m.errors.push({ thread: t.label, error: new Error(`not built: process-notify routine ${r.routine.name || "?"} waits (returned a promise) at process creation; creation notifications run to completion synchronously here`) });
      }
      if (info && !NT_SUCCESS(info.CreationStatus)) {
        m.terminateProcess(p, info.CreationStatus, `creation refused by process-notify routine ${r.routine.name || "?"}`);
        return;
      }
    }
  };
  if (creator) {
    run();
    return;
  }
  // The harness creates processes between runs: the routines still run on this machine.
  const previous = activeMachine();
  setActiveMachine(m);
  try {
    m.onOtherProcessor(t, run);
  } finally {
    setActiveMachine(previous);
  }
}

async function notifyExit(m: Machine, p: KProcess, last: KThread, list: readonly ProcessNotifyRegistration[]): Promise<void> {
  for (const r of [...list]) {
    const result = call(m, last, r, r.ex ? [p, p.pid, null] : [p.parentPid, p.pid, false]);
    if (result instanceof Promise) await result;
  }
}
