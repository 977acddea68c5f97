import type { UserAddressSpace } from "./address-space.js";
import type { ProcessTranslation } from "./process-translation.js";
import { DispatcherHeader, DispatcherType } from "./dispatcher.js";
import { HandleTable } from "./handle-table.js";
import { KernelObject } from "./objects.js";
import { STATUS_PENDING, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";
import type { Machine } from "./machine.js";

/** Where a process is in its life. A zombie could not finish exiting (an IRP never completed). */
export type ProcessState = "active" | "terminating" | "zombie" | "exited";

/**
 * EPROCESS/KPROCESS: an address space, a handle table and threads.
 */
export class KProcess extends KernelObject {
  /** The object manager's type name of this object. */
  readonly objectType = "Process";
  /** The process's dispatcher header: signaled when the process has exited. */
  readonly header: DispatcherHeader;
  /** The process's handle table. */
  readonly handleTable = new HandleTable();
  /** The process's threads, in creation order. */
  readonly threads: KThread[] = [];
  /** Where the process is in its life: "active", "terminating", "zombie" (cannot finish exiting) or "exited". */
  state: ProcessState = "active";
  /** The exit code (GetExitCodeProcess): STATUS_PENDING (STILL_ACTIVE) until the process ends. */
  exitStatus: NTSTATUS = STATUS_PENDING;
  /** Why the process is ending ("ExitProcess", "killed", "unhandled exception"). */
  exitReason = "";
  /** Pages this process has locked for I/O (EPROCESS.NumberOfLockedPages). */
  lockedPages = 0;
  /** Free-form per-process data other layers attach (win32's heap, CE's caller info). */
  readonly slots = new Map<string, unknown>();
  /**
   * The page tables the MMU translates this process's user addresses with: its NT address
   * space, or the address space a layer supplied (CE's). Null: no user address space (the System
   * process on NT). A layer modelling another kernel may give the System process one.
   */
  translation: ProcessTranslation | null;

  constructor(
    /** The machine the process runs on. */
    readonly machine: Machine,
    /** The process id. */
    readonly pid: number,
    /** The image name ("app.exe"). */
    readonly name: string,
    /** NT's address space; null for the System process and for processes a layer gives its own. */
    readonly addressSpace: UserAddressSpace | null,
    /** The id of the process that created it (0 for none). */
    readonly parentPid: number,
    translation: ProcessTranslation | null = null,
  ) {
    super();
    this.translation = translation ?? addressSpace;
    this.objectName = name;
    this.header = new DispatcherHeader(DispatcherType.Process, 0, `process ${name} (${pid})`);
  }

  override waitable(): DispatcherHeader {
    return this.header;
  }

  /** The DISPATCHER_HEADER C code reaches as `Tcb.Header` / `Pcb.Header` (signalled when it ends). */
  get Header(): DispatcherHeader {
    return this.header;
  }

  /** Threads that have not terminated. */
  liveThreads(): KThread[] {
    return this.threads.filter((t) => t.state !== "terminated");
  }

  /**
   * The harness's "the process dies": TerminateProcess from outside, with `status` as the exit
   * code. Returns at once; the threads exit as NT defers it (when they leave kernel mode or
   * wait in user mode) and the rundown runs on the machine.
   */
  kill(status: NTSTATUS = 1): void {
    this.machine.terminateProcess(this, status, "killed");
  }
}
