import { DispatcherHeader, DispatcherType, type WaitBlock } from "./dispatcher.js";
import { KernelMode, PASSIVE_LEVEL, type KIRQL, type KPROCESSOR_MODE } from "./irql.js";
import { LIST_ENTRY } from "./list-entry.js";
import { KernelObject } from "./objects.js";
import { STATUS_PENDING, type NTSTATUS } from "./status.js";
import type { KProcess } from "./process.js";
import type { KAPC } from "./apc.js";
import type { KQUEUE } from "./queue.js";
import type { KSPIN_LOCK } from "./spin-lock.js";
import type { Machine } from "./machine.js";

/** Where a thread is in its life. */
export type ThreadState = "initialized" | "ready" | "running" | "waiting" | "terminated";

/** The body of an emulated thread: app code or a system thread's start routine. */
export type ThreadBody = () => unknown;

/**
 * What code a thread runs, for diagnostics: kind "dispatch routine", name "SharebufDeviceControl".
 * Records are reused as the stack grows and shrinks (no allocation per driver call).
 */
export interface Activity {
  kind: string;
  name: string;
  driver: string | null;
}

/** "dispatch routine SharebufDeviceControl". */
export function activityLabel(a: Activity): string {
  return `${a.kind} ${a.name}`;
}

/** A thread's current wait, while it waits. */
export interface WaitState {
  readonly blocks: WaitBlock[];
  readonly waitAll: boolean;
  readonly mode: KPROCESSOR_MODE;
  readonly alertable: boolean;
  /** Timer-queue entry for the timeout, when there is one. */
  timeoutEntry: { cancelled: boolean } | null;
  /** Why it waits, for deadlock reports ("KeWaitForSingleObject in SharebufDispatch"). */
  readonly reason: string;
}

/**
 * ETHREAD/KTHREAD: an emulated thread. Its code is an async function; the scheduler resumes it
 * and it runs until it blocks in a kernel wait or ends.
 */
export class KThread extends KernelObject {
  /** The object manager's type name of this object. */
  readonly objectType = "Thread";
  /** The thread's dispatcher header: signaled when the thread has exited. */
  readonly header: DispatcherHeader;
  /** Where the thread is in its life (initialized, ready, running, waiting, terminated). */
  state: ThreadState = "initialized";
  /** Current IRQL of the (virtual) processor while this thread runs. */
  irql: KIRQL = PASSIVE_LEVEL;
  /** Current execution mode: UserMode in app code, KernelMode in system services and drivers. */
  mode: KPROCESSOR_MODE;
  /** ExGetPreviousMode: the mode the current system service was called from. */
  previousMode: KPROCESSOR_MODE;
  /** KeStackAttachProcess target, whose address space is current while attached. */
  attachedProcess: KProcess | null = null;
  /** Resumes the thread where it blocked (set by the scheduler while it waits). */
  resume: (() => void) | null = null;
  /** What the thread waits for, while it waits. */
  wait: WaitState | null = null;
  /** Status the last wait completed with. */
  waitStatus: NTSTATUS = 0;
  /** Kernel-mode APCs queued to the thread. */
  readonly kernelApcs: KAPC[] = [];
  /** User-mode APCs queued to the thread (run when it waits alertably). */
  readonly userApcs: KAPC[] = [];
  /** KTHREAD.Priority (KeSetPriorityThread): recorded; the scheduler does not order threads by it. */
  priority = 8;
  /** KeEnterCriticalRegion depth (normal kernel APCs disabled). */
  kernelApcDisable = 0;
  /** KeEnterGuardedRegion depth (all kernel APCs disabled). */
  specialApcDisable = 0;
  /** True while the thread runs kernel APCs' kernel routines (no re-entry). */
  inApc = false;
  /** KTHREAD.KernelApcInProgress: a normal kernel APC's normal routine is running. */
  kernelApcInProgress = false;
  /** KTHREAD.ApcQueueable: cleared when the exiting thread flushes its APCs. */
  apcQueueable = true;
  /** KTHREAD.Queue: the kernel queue (I/O completion port) the thread is associated with. */
  Queue: KQUEUE | null = null;
  /** Termination was requested and waits for the thread to leave kernel mode. */
  terminationPending = false;
  /** Set by an alert (NtAlertThread) or a queued user APC for an alertable wait. */
  alerted = false;
  /** The thread's exit status (STATUS_PENDING while it runs). */
  exitStatus: NTSTATUS = STATUS_PENDING;
  /** The IRPs this thread issued (ETHREAD.IrpList); the I/O manager links IRPs here. */
  readonly IrpList = new LIST_ENTRY<unknown>();
  /** TEB.LastErrorValue. */
  lastError = 0;
  /** Spin locks held, innermost last. */
  readonly heldLocks: KSPIN_LOCK[] = [];
  /** Actions from another processor waiting for this thread to hold no spin lock. */
  readonly noLockQueue: (() => void)[] = [];
  /** Depth of system-service calls (0 while running app code). */
  kernelDepth = 0;
  /** Set when the thread's exit work has started. */
  exiting = false;
  /** True for threads of the System process. */
  readonly system: boolean;
  /**
   * Background threads (a driver's own system threads, the system worker) do not keep a run
   * going: the run ends when every foreground thread is done.
   */
  readonly background: boolean;
  /** What code runs on this thread now: records 0..activityDepth-1, innermost last. */
  readonly activities: Activity[] = [];
  /** How many records of `activities` are in use. */
  activityDepth = 0;
  /** Free-form per-thread data other layers attach (win32's TLS, the I/O manager's state). */
  readonly slots = new Map<string, unknown>();
  // ---- Execution time (kernel/execution-time.ts) ----
  /** The names of its last kernel routine and Win32 calls: a ring indexed by callCount. */
  readonly lastCalls: string[] = ["", "", "", "", "", "", "", ""];
  /** Calls recorded in {@link lastCalls} so far. */
  callCount = 0;
  /** Virtual time (100 ns) it ran without waiting before its current slice; 0 after a wait. */
  ranWithoutWaiting = 0;
  /** When its current slice began (virtual time, 100 ns). */
  sliceStart = 0;
  /** When its current quantum began; a quantum later it may be preempted where it awaits. */
  quantumStart = 0;

  constructor(
    /** The machine the thread runs on. */
    readonly machine: Machine,
    /** The thread id. */
    readonly tid: number,
    /** The process the thread belongs to. */
    readonly process: KProcess,
    /** The thread's name for traces ("main", "DriverEntry(Sharebuf)"). */
    readonly name: string,
    /** The thread's code: an async function the scheduler runs until it blocks. */
    readonly body: ThreadBody,
    options: { system: boolean; userMode: boolean; background?: boolean },
  ) {
    super();
    this.system = options.system;
    this.background = options.background ?? false;
    this.mode = options.userMode ? 1 : KernelMode;
    this.previousMode = this.mode;
    this.header = new DispatcherHeader(DispatcherType.Thread, 0, `thread ${name} (${tid})`);
  }

  override waitable(): DispatcherHeader {
    return this.header;
  }

  /** The DISPATCHER_HEADER C code reaches as `Tcb.Header` / `Pcb.Header` (signalled when it ends). */
  get Header(): DispatcherHeader {
    return this.header;
  }

  override get label(): string {
    return `${this.process.name}:${this.name}`;
  }

  /** The process whose user address space is current on this thread. */
  get currentProcess(): KProcess {
    return this.attachedProcess ?? this.process;
  }
}
