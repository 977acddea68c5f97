import { UserAddressSpace } from "./address-space.js";
import { BugCheckError, MachineHaltedError, bugCheckInfo, type BugCheckRecord } from "./bugcheck.js";
import { BugCheckCode, SyncBugCheckCode } from "./bugcheck-codes.js";
import { DispatcherHeader, KEVENT, SynchronizationEvent } from "./dispatcher.js";
import type { KDPC } from "./dpc.js";
import { Interrupts } from "./interrupts.js";
import { setIdSource } from "./context.js";
import { KernelMode, PASSIVE_LEVEL, UserMode } from "./irql.js";
import { Mmu } from "./mmu.js";
import { NtStatusError } from "./nt-status-error.js";
import { ObjectManager } from "./object-manager.js";
import { PhysicalMemory } from "./physical-memory.js";
import { Pool } from "./pool.js";
import { KProcess } from "./process.js";
import { Scheduler, type RunOptions, type RunOutcome } from "./scheduler.js";
import { callerSourceLine, captureStack } from "./source-location.js";
import { STATUS_SUCCESS, hex32, ntStatusName, type NTSTATUS } from "./status.js";
import { NT_SYSTEM_LAYOUT, SystemSpace, checkSystemLayout, type SystemSpaceLayout } from "./system-space.js";
import type { ProcessTranslation } from "./process-translation.js";
import { KThread, activityLabel, type Activity, type ThreadBody } from "./thread.js";
import { KTIMER } from "./timer.js";
import { TimerQueue, type TimerEntry } from "./timer-queue.js";
import { Tracer, type TraceEvent } from "./trace.js";
import type { KernelHooks } from "./hooks.js";
import { Waits } from "./waits.js";
import { DEFAULT_EXECUTION_COSTS, DPC_TIMEOUT_TICKS, CLOCK_INCREMENT, QUANTUM, TIMER_RESOLUTION, lastCallsText, spanText, type ExecutionCosts } from "./execution-time.js";

/** One decision point offered to a strategy. */
export interface DecisionPoint {
  /** "schedule" (which ready thread runs next), or a kind an exploration layer adds. */
  readonly kind: string;
  /** Number of options; the default choice is 0. */
  readonly count: number;
  /** Position of this decision in the run, from 0. */
  readonly ordinal: number;
  /** Names of the options (computed only when asked). */
  labels(): string[];
}

/** Chooses at decision points. The default (no strategy) always takes option 0. */
export interface DecisionStrategy {
  /** Which option to take at a decision point (0: the default; below `point.options`). */
  choose(point: DecisionPoint): number;
}

/** A decision as it was taken. */
export interface DecisionRecord {
  /** What was decided (which thread runs next, whether to inject). */
  readonly kind: string;
  /** The option taken. */
  readonly choice: number;
  /** How many options there were. */
  readonly of: number;
}

/** A non-fatal problem the machine or a verifier found (a bug check halts instead). */
export interface Finding {
  /** Rule name ("IRP_NEVER_COMPLETED", "0xC9/0x23D PendingWithoutMark", …). */
  readonly rule: string;
  /** Driver Verifier code or event-log code, when one exists. */
  readonly code: string;
  /** The driver at fault, when one is. */
  readonly driver: string | null;
  /** What is wrong, and the usual fix. */
  readonly message: string;
  /** The driver's source line, through source maps. */
  readonly source: string | null;
  /** Virtual time, 100 ns ticks. */
  readonly time: number;
  /** The thread that was running ("app.exe:main"). */
  readonly thread: string | null;
  /** The driver routine that broke the rule, when known ("SharebufDeviceControl"). */
  readonly routine?: string | null;
  /** The IRP involved, when there is one ("irp#2"). */
  readonly irp?: string | null;
  /** The IRP's ownership timeline, one step per line, when a verifier kept one. */
  readonly timeline?: readonly string[];
}

/** Why the machine halted. */
export type HaltInfo =
  | { /** What halted the machine. */ kind: "bugcheck"; /** The bug check. */ bugCheck: BugCheckError }
  | { /** What halted the machine. */ kind: "deadlock"; /** Who waits for what. */ description: string }
  /** A thread (or DPC) ran past the livelock bound or the run's time limit without waiting. */
  | { /** What halted the machine. */ kind: "livelock"; /** What ran too long, in words. */ description: string; /** The thread (or DPC) that did not wait. */ thread: string; /** Its most recent calls, newest last. */ lastCalls: string };

/** A JavaScript error thrown by app code (an assertion, a TypeError), kept for the run's result. */
export interface HostError {
  /** The thread whose code threw. */
  readonly thread: string;
  /** What it threw. */
  readonly error: unknown;
}

/** What a thread is blocked on, for deadlock reports. */
export interface BlockedThread {
  /** The blocked thread ("app.exe:main"). */
  readonly thread: string;
  /** What it waits for (objects' labels). */
  readonly waitingFor: string[];
  /** Why the run could not go on. */
  readonly reason: string;
}

/** The result of {@link Machine.run}. */
export interface RunResult {
  /** How the run ended: completed, stopped at its `until`, halted by a bug check, deadlocked… */
  readonly outcome: RunOutcome;
  /** Virtual time when the run ended, in milliseconds. */
  readonly timeMs: number;
  /** The bug check that halted the machine, if one did. */
  readonly bugCheck: BugCheckRecord | null;
  /** The deadlock that stopped the run, described, if one did. */
  readonly deadlock: string | null;
  /** Threads still blocked when the run ended. */
  readonly blocked: BlockedThread[];
  /** Processes that could not finish exiting, described. */
  readonly zombies: string[];
  /** The findings recorded during the run. */
  readonly findings: readonly Finding[];
  /**
   * Errors thrown by host code (a scenario's or an app's JavaScript) rather than by the emulated
   * machine.
   */
  readonly errors: readonly HostError[];
  /**
   * Set when host code kept the run from going on (a promise nobody resolves), with what was
   * waiting.
   */
  readonly hostStuck: string | null;
  /** Who ran without waiting until the run gave up on it, with its last calls (outcome "livelock"). */
  readonly livelock: string | null;
}

/** Options for a new machine. */
export interface MachineOptions {
  /** Emulated RAM in bytes (default 256 MB; at most 4 GB). */
  memoryBytes?: number;
  /** Chooses at decision points (default: always the first option). */
  strategy?: DecisionStrategy;
  /** Keep the last N trace events for bug-check reports (default 0: off, so tracing costs nothing). */
  flightRecorder?: number;
  /** The kernel process's name (default "System"; CE's is "nk.exe"). */
  systemProcessName?: string;
  /** Where the pools and system PTEs lie (default NT's 32-bit layout). */
  systemLayout?: SystemSpaceLayout;
  /** What kernel routines, Win32 APIs and system services cost in virtual time (kernel/execution-time.ts). */
  executionCosts?: Partial<ExecutionCosts>;
}

/** Options of {@link Machine.createProcess}. */
export interface CreateProcessOptions {
  /** The parent process (default: none). */
  parent?: KProcess;
  /**
   * The process's address space, supplied by a layer that models another memory manager; the
   * process then has no NT `UserAddressSpace`. Default: a fresh NT address space.
   */
  translation?: ProcessTranslation;
  /** The main thread does not keep a run going (a service host that waits for work). */
  background?: boolean;
}

/** What a bug check may record besides its code and parameters. */
export interface BugCheckOptions {
  /** The exception that caused it (its stack gives the source line). */
  cause?: unknown;
  /** Extra explanation in words. */
  detail?: string;
  driver?: string | null;
  irp?: string | null;
  /** The source line to report, when the caller knows it better than the current stack does. */
  source?: string | null;
  /** The verifier rule that raised it ("0xC9/0x23D PendingWithoutMark"). */
  rule?: string;
  /** The driver routine that broke the rule. */
  routine?: string | null;
  /** The IRP's ownership timeline, one step per line. */
  timeline?: readonly string[];
}

/** A user-mode API called from kernel mode, or a kernel-mode routine called from user mode. */
export class ModeError extends Error {
  /**
   * @param pending the app's earlier call still inside the kernel, when the app called `api`
   * without awaiting it (the thread is in a system service, no driver code runs).
   */
  constructor(api: string, expected: "kernel" | "user", where: string, pending?: string) {
    super(
      pending !== undefined
        ? `${api} was called by ${where} while its call to ${pending} is still inside the kernel: a Win32 or native call that can wait returns a Promise, and the app must await it before making another call.`
        : expected === "kernel"
          ? `${api} is a kernel-mode routine (irpsim/wdm), but ${where} called it from user mode. Apps use the Win32 API (irpsim/win32).`
          : `${api} is a user-mode API (irpsim/win32), but ${where} called it from kernel mode. Drivers use the kernel-mode routines (irpsim/wdm).`,
    );
    this.name = "ModeError";
  }
}

/** Per-machine id counters, so object ids are the same from run to run. */
class IdCounters {
  private readonly counters = new Map<string, number>();
  next(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }
}

const EXCEPTION_JS = 0xe06d7363;

/** What an NT exception's own message adds to its status (the routine and argument it names), as ": …". */
function explanation(e: NtStatusError): string {
  const plain = `${ntStatusName(e.status)}${e.address !== undefined ? ` at 0x${hex32(e.address)}` : ""}`;
  return e.message === plain ? "" : `: ${e.message.replace(/^STATUS_[A-Z_]+: /, "")}`;
}

/** A bug check parameter as the ULONG_PTR it is (a value that is no number is 0). */
function bugCheckParameter(p: unknown): number {
  return typeof p === "number" ? p >>> 0 : 0;
}

/**
 * The emulated machine: physical memory, system space and pools, processes and threads, the
 * scheduler on virtual time, dispatcher objects, IRQL, DPCs and APCs, bug checks and the trace
 * stream. Every layer above (I/O manager, Win32, CE, WinDriver) runs on one of these.
 */
export class Machine {
  /** Called with every new machine (a test harness collecting machines to check, say). @internal */
  static readonly created: ((m: Machine) => void)[] = [];
  /** @internal */
  readonly ids = new IdCounters();
  /** @internal */
  readonly physical: PhysicalMemory;
  /** @internal */
  readonly system: SystemSpace;
  /** @internal */
  readonly mmu: Mmu;
  /** @internal */
  readonly nonPagedPool: Pool;
  /** @internal */
  readonly pagedPool: Pool;
  /** The machine's trace stream: `trace.record()` keeps every event, `trace.events$` is the Observable. */
  readonly trace: Tracer;
  /** @internal */
  readonly scheduler: Scheduler;
  /** @internal */
  readonly waits: Waits;
  /** @internal */
  readonly interrupts: Interrupts;
  /** @internal */
  readonly ob: ObjectManager;
  /** @internal */
  readonly timers = new TimerQueue((deadline) => {
    if (deadline < this.clockCheckAt) this.clockCheckAt = deadline;
  });
  /** Every process created on this machine, the System process first; exited ones stay listed. */
  readonly processes: KProcess[] = [];
  /** Every thread created on this machine, in creation order; terminated ones stay listed. */
  readonly threads: KThread[] = [];
  /** The System process: drivers' system threads and the harness's kernel-mode threads run in it. */
  readonly systemProcess: KProcess;
  /** The context DPCs and harness actions run in when no thread is running. @internal */
  readonly idleThread: KThread;
  /** The non-fatal problems found so far (verifier findings, leaks at teardown), in order. */
  readonly findings: Finding[] = [];
  /** JavaScript errors app code or harness actions threw (an assertion, a TypeError), in order. */
  readonly errors: HostError[] = [];
  /** Every decision taken so far (which thread ran, what was injected), in order. */
  readonly decisions: DecisionRecord[] = [];
  /**
   * The asynchronous events injected into this machine (by an explorer or a test), in words and
   * in order: what a scenario consults before it checks the undisturbed story.
   */
  readonly injected: string[] = [];
  /**
   * Called at every kernel-mode routine a driver calls, with the routine's name (and, for the
   * routines whose return matters to a race, again with "<name>/return" as they return): the
   * places an exploration layer injects asynchronous events from "another processor".
   * @internal
   */
  injector: ((point: string) => void) | null = null;
  /**
   * Decides whether an allocation at `site` ("ExAllocatePoolWithTag", "IoAllocateIrp", …) fails:
   * the low-resources simulation an explorer or a verifier installs. Null: allocations fail only
   * when memory runs out.
   * @internal
   */
  allocationFailure: ((site: string) => boolean) | null = null;
  /**
   * Run, in order, when a thread exits (before its process's rundown). Returning false leaves
   * the thread unable to exit: its process becomes a zombie. The I/O manager cancels the
   * thread's IRPs here.
   * @internal
   */
  readonly threadRundown: ((t: KThread) => Promise<boolean>)[] = [];
  /** Run when a process has exited (after its address space is gone). @internal */
  readonly processExited: ((p: KProcess) => void)[] = [];
  /** Run when a process has been created, before its first thread runs (process-notify routines). @internal */
  readonly processCreated: ((p: KProcess) => void)[] = [];
  /** Run in the last thread's context as a process starts to exit, before its handles are closed. @internal */
  readonly processExiting: ((p: KProcess, last: KThread) => Promise<void>)[] = [];
  /** Synchronous observers of the kernel (the verifier); see kernel/hooks.ts. @internal */
  readonly kernelHooks: KernelHooks[] = [];
  /**
   * Drivers whose image is gone (unloaded, with no device or driver object left that references
   * it): a work item of theirs that starts now runs code that is no longer there.
   * @internal
   */
  readonly unloadedImages = new Set<string>();
  /** @internal */
  strategy: DecisionStrategy | null;
  /** Virtual time in 100 ns ticks. */
  now = 0;
  /** Why the machine stopped for good (a bug check or a deadlock), or null while it lives. */
  halted: HaltInfo | null = null;
  /** True while a DPC routine runs. @internal */
  inDpc = false;
  /** When the running DPC routine started (virtual time), for the DPC watchdog. */
  dpcStart = 0;
  /**
   * The time of the run's limit, while a run is in progress (the scheduler sets it): a thread
   * that has run a quantum or more without waiting when it passes is a livelock.
   */
  runDeadline = Infinity;
  /** A thread that runs this long (100 ns) without waiting is a livelock (the scheduler sets it per run). */
  livelockTicks = Infinity;

  private current: KThread | null = null;
  private nextCid = 4;
  private readonly flight: TraceEvent[] | null;
  private readonly flightSize: number;
  private readonly workQueue: { label: string; fn: () => unknown; driver: string | null }[] = [];
  private workEvent: KEVENT | null = null;
  private decisionOrdinal = 0;
  /** KTIMERs that are set, for {@link earliestTimer}. */
  private readonly setTimers = new Set<KTIMER>();
  // ---- Execution time (kernel/execution-time.ts) ----
  /** What calls cost in virtual time (MachineOptions.executionCosts over the defaults). */
  readonly executionCosts: ExecutionCosts;
  /** The next virtual time at which a charging call must look at the clock's slow path. */
  private clockCheckAt = 0;
  private readonly costKernelRoutine: number;
  private readonly costWin32Api: number;
  private readonly costSystemService: number;
  /** True while due timers fire (the slow path is not re-entered for them). */
  private firingTimers = false;
  /** When the idle context began its current work (firing deadlines, running DPCs). */
  private idleBusySince = 0;

  /** A fresh machine: no process but System, no driver, the clock at 0. */
  constructor(options: MachineOptions = {}) {
    setIdSource(this);
    this.physical = new PhysicalMemory(options.memoryBytes ?? 256 * 1024 * 1024);
    const observer = {
      pteChanged: () => {
        this.mmu.pteChanged();
      },
    };
    const layout = options.systemLayout ?? NT_SYSTEM_LAYOUT;
    checkSystemLayout(layout);
    this.system = new SystemSpace(this.physical, observer, layout.systemPtes);
    this.mmu = new Mmu(this, this.physical, this.system.table);
    this.nonPagedPool = new Pool(this.physical, this.system, false, layout.nonPagedPool[0], layout.nonPagedPool[1]);
    this.pagedPool = new Pool(this.physical, this.system, true, layout.pagedPool[0], layout.pagedPool[1]);
    this.trace = new Tracer(this);
    this.scheduler = new Scheduler(this);
    this.waits = new Waits(this);
    this.interrupts = new Interrupts(this);
    this.ob = new ObjectManager(this);
    this.strategy = options.strategy ?? null;
    const costs = { ...DEFAULT_EXECUTION_COSTS, ...options.executionCosts };
    for (const [k, v] of Object.entries(costs)) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`executionCosts.${k} must be a whole number of 100 ns units (got ${String(v)})`);
    }
    this.executionCosts = costs;
    this.costKernelRoutine = costs.kernelRoutine;
    this.costWin32Api = costs.win32Api;
    this.costSystemService = costs.systemService;
    this.flightSize = options.flightRecorder ?? 0;
    this.flight = this.flightSize > 0 ? [] : null;
    if (this.flight) {
      const ring = this.flight;
      this.trace.events$.subscribe((e) => {
        ring.push(e);
        if (ring.length > this.flightSize) ring.shift();
      });
    }
    this.systemProcess = new KProcess(this, this.allocateCid(), options.systemProcessName ?? "System", null, 0);
    this.processes.push(this.systemProcess);
    this.idleThread = new KThread(this, 0, this.systemProcess, "Idle", () => undefined, { system: true, userMode: false });
    this.idleThread.state = "running";
    for (const f of Machine.created) f(this);
  }

  private allocateCid(): number {
    const c = this.nextCid;
    this.nextCid += 4;
    return c;
  }

  // ---- TraceContext (what the Tracer reads; `new Tracer(this)` checks Machine supplies it) ---

  /** @internal */
  traceTime(): number {
    return this.now;
  }
  /** @internal */
  traceTid(): number {
    return this.current?.tid ?? 0;
  }
  /** @internal */
  tracePid(): number {
    return this.current?.currentProcess.pid ?? 0;
  }
  /** @internal */
  traceIrql(): number {
    return this.current?.irql ?? 0;
  }

  // ---- Context ------------------------------------------------------------------------------

  /** The current thread; a clear error when nothing runs on this machine. @internal */
  currentThread(api?: string): KThread {
    const t = this.current;
    if (t) return t;
    throw new Error(
      `${api ?? "This routine"} needs a current thread, but no emulated thread is running on this machine. ` +
        "Call it from a driver routine or an app thread the machine runs.",
    );
  }

  /** The current thread, or null between slices. @internal */
  runningThread(): KThread | null {
    return this.current;
  }

  /** Switches the current thread (the scheduler and DPC delivery use this). @internal */
  setCurrent(t: KThread | null): void {
    if (this.current !== t) {
      this.current = t;
      this.mmu.gen++;
    }
  }

  /**
   * Entry check for a kernel-mode routine: a thread runs, in kernel mode, on a live machine.
   * This is also where asynchronous events may be injected.
   * @internal
   */
  kernelCall(api: string): KThread {
    const t = this.current;
    if (!t) return this.currentThread(api);
    if (this.halted) throw this.haltedError();
    if (t.mode !== KernelMode) throw new ModeError(api, "kernel", t.label);
    t.lastCalls[t.callCount++ & 7] = api;
    if ((this.now += this.costKernelRoutine) >= this.clockCheckAt) this.clockSlowPath();
    if (this.injector) this.injector(api);
    return t;
  }

  /**
   * Entry of a kernel routine that only reads the clock (KeQuerySystemTime and friends): it costs
   * time like any kernel routine, but is not an injection point (it touches nothing another
   * processor's event could race with).
   * @internal
   */
  clockCall(api: string): KThread {
    const t = this.current;
    if (!t) return this.currentThread(api);
    if (this.halted) throw this.haltedError();
    if (t.mode !== KernelMode) throw new ModeError(api, "kernel", t.label);
    t.lastCalls[t.callCount++ & 7] = api;
    if ((this.now += this.costKernelRoutine) >= this.clockCheckAt) this.clockSlowPath();
    return t;
  }

  /**
   * Charges `ticks` (100 ns) of virtual time to the running code, recording `api` among its last
   * calls when given: a call of another system's API (CE's coredll), or a routine that costs more
   * than the flat rate (KeStallExecutionProcessor). Due timers fire and the livelock bound
   * applies as at any call.
   * @internal
   */
  chargeCall(t: KThread, api: string | null, ticks: number): void {
    if (api !== null) t.lastCalls[t.callCount++ & 7] = api;
    if ((this.now += ticks) >= this.clockCheckAt) this.clockSlowPath();
  }

  /** An injection point as a kernel routine returns (see {@link injector}). @internal */
  returnPoint(api: string): void {
    if (this.injector) this.injector(`${api}/return`);
  }

  /**
   * Runs `fn` as code on another processor, in `process`'s address space, at PASSIVE_LEVEL in
   * kernel mode: how an injected action (CancelIoEx from another thread, say) does its part
   * at once instead of waiting for a thread to be scheduled. Returns what `fn` returns.
   * @internal
   */
  onOtherProcessor<T>(cpu: KThread, fn: () => T): T {
    const prev = this.current;
    this.setCurrent(cpu);
    try {
      return fn();
    } finally {
      this.setCurrent(prev);
    }
  }

  /** A context for {@link onOtherProcessor}: not scheduled, not part of its process's threads. @internal */
  otherProcessor(process: KProcess, label: string): KThread {
    const cpu = new KThread(this, this.allocateCid(), process, label, () => undefined, { system: process === this.systemProcess, userMode: false, background: true });
    cpu.state = "running";
    return cpu;
  }

  /** Entry check for a user-mode API: the current thread runs app code (user mode). @internal */
  userCall(api: string): KThread {
    const t = this.current;
    if (!t) return this.currentThread(api);
    if (this.halted) throw this.haltedError();
    if (t.mode !== UserMode) {
      // App code running while its own thread is still inside a system service, with no driver
      // code on the stack: an earlier call that returns a Promise was not awaited.
      if (t.kernelDepth > 0 && t.previousMode === UserMode && this.currentDriver() === null && !t.system) {
        const pending = t.callCount > 0 ? t.lastCalls[(t.callCount - 1) & 7] : undefined;
        throw new ModeError(api, "user", this.describeContext(), pending ?? "an earlier call");
      }
      throw new ModeError(api, "user", this.describeContext());
    }
    t.lastCalls[t.callCount++ & 7] = api;
    if ((this.now += this.costWin32Api) >= this.clockCheckAt) this.clockSlowPath();
    return t;
  }

  /** A system service begins: the thread enters kernel mode with previous mode UserMode. @internal */
  enterKernel(t: KThread): void {
    if ((this.now += this.costSystemService) >= this.clockCheckAt) this.clockSlowPath();
    // Kernel mode may touch everything user mode may: cached translations stay valid.
    t.mode = KernelMode;
    t.previousMode = UserMode;
    t.kernelDepth++;
  }

  /** A system service ends: back to user mode (termination, if pending, is handled by {@link returnToUser}). @internal */
  leaveKernel(t: KThread): void {
    // KiServiceExit: a system service must return with every critical region it entered left.
    if (t.kernelApcDisable !== 0) this.apcIndexMismatch(t, 0);
    // Pending special kernel APCs (completion's second stage) run before user mode resumes.
    if (t.kernelApcs.length > 0 && t.irql === PASSIVE_LEVEL && !t.inApc) this.interrupts.deliverSpecialApcs(t);
    t.kernelDepth--;
    t.mode = UserMode;
    t.previousMode = UserMode;
    this.mmu.gen++;
  }

  /** Bug check APC_INDEX_MISMATCH: a system service (0) or worker routine (1) left a critical region unbalanced. @internal */
  apcIndexMismatch(t: KThread, callType: 0 | 1): never {
    const n = t.kernelApcDisable;
    return this.bugCheck(SyncBugCheckCode.APC_INDEX_MISMATCH, 0, 0, n >>> 0, callType, {
      detail: `${callType === 0 ? "a system service returned to user mode" : "a work item routine returned"} on ${t.label} with its critical-region count at ${n}: ${n > 0 ? "a KeEnterCriticalRegion (or a resource acquire) was not matched by KeLeaveCriticalRegion" : "KeLeaveCriticalRegion was called more often than KeEnterCriticalRegion"}`,
    });
  }

  /**
   * Leaves kernel mode after a service that may wait: a thread whose quantum has run out is
   * preempted here when another is ready; a thread whose termination was deferred exits here
   * instead of returning.
   * @internal
   */
  async returnToUser(t: KThread): Promise<void> {
    this.leaveKernel(t);
    const preempted = this.scheduler.preemptAtQuantumEnd(t);
    if (preempted) await preempted;
    if (t.terminationPending) await this.exitCurrentThread();
  }

  /**
   * Marks what code the current thread runs now (kind "dispatch routine", name
   * "SharebufDeviceControl"), for diagnostics; returns a token for {@link leaveActivity}.
   * @internal
   */
  enterActivity(kind: string, name: string, driver: string | null = null): number {
    const t = this.current ?? this.idleThread;
    const d = t.activityDepth;
    const a = t.activities[d];
    if (a) {
      a.kind = kind;
      a.name = name;
      a.driver = driver;
    } else {
      t.activities[d] = { kind, name, driver };
    }
    t.activityDepth = d + 1;
    return d;
  }

  /** Ends an activity started by {@link enterActivity} on the same thread (and any inside it). @internal */
  leaveActivity(token: number): void {
    const t = this.current ?? this.idleThread;
    if (t.activityDepth > token) t.activityDepth = token;
  }

  /** The innermost activity of the current thread, or null. @internal */
  currentActivity(): Activity | null {
    const t = this.current ?? this.idleThread;
    return t.activityDepth > 0 ? (t.activities[t.activityDepth - 1] ?? null) : null;
  }

  /** The driver whose code runs now on the current thread, when known. @internal */
  currentDriver(): string | null {
    const t = this.current ?? this.idleThread;
    for (let i = t.activityDepth - 1; i >= 0; i--) {
      const d = t.activities[i]?.driver;
      if (d) return d;
    }
    return null;
  }

  /** "cancel routine SharebufCancel on app.exe:main" — who is running, in words. @internal */
  describeContext(): string {
    const t = this.current;
    if (!t) return "no thread";
    const a = t.activityDepth > 0 ? t.activities[t.activityDepth - 1] : undefined;
    return a ? `${activityLabel(a)} on ${t.label}` : t.label;
  }

  // ---- Processes and threads ----------------------------------------------------------------

  /**
   * Creates a process with a user address space (NT's, or the one `options.translation`
   * supplies) and starts its main thread in user mode.
   */
  createProcess(name: string, main: ThreadBody, options: CreateProcessOptions = {}): KProcess {
    this.checkAlive();
    setIdSource(this);
    const space = options.translation ? null : new UserAddressSpace(this.physical, this.mmu);
    const p = new KProcess(this, this.allocateCid(), name, space, options.parent?.pid ?? 0, options.translation ?? null);
    this.processes.push(p);
    if (this.trace.on) this.trace.emit("ProcessCreated", { process: p.pid, name, parent: p.parentPid });
    this.createThread(p, "main", main, { userMode: true, background: options.background ?? false });
    for (const hook of this.processCreated) hook(p);
    return p;
  }

  /** Creates and starts a thread of `process`. App threads start in user mode. @internal */
  createThread(process: KProcess, name: string, body: ThreadBody, options: { userMode: boolean; background?: boolean }): KThread {
    this.checkAlive();
    const system = process === this.systemProcess;
    const t = new KThread(this, this.allocateCid(), process, name, body, { system, userMode: options.userMode && !system, background: options.background ?? false });
    process.threads.push(t);
    this.threads.push(t);
    if (this.trace.on) this.trace.emit("ThreadCreated", { thread: t.tid, process: process.pid, name: t.label, system });
    // A bound method, not an arrow function: V8 may allocate a closure made here in the old
    // generation, and an old closure holding a young thread keeps each machine alive until the
    // next full collection (an explorer building thousands of machines then spends its time in GC).
    t.resume = this.startThread.bind(this, t);
    this.scheduler.makeReady(t);
    return t;
  }

  /** A new thread's first slice: run its body, or exit at once if it was terminated before it ran. */
  private startThread(t: KThread): void {
    if (t.terminationPending) this.exitThreadSafely(t, t.exitStatus);
    else this.runBody(t);
  }

  /**
   * A kernel-mode thread in the System process. The harness's threads are foreground (a run
   * waits for them); a driver's own (PsCreateSystemThread) are background.
   */
  createSystemThread(name: string, body: ThreadBody, options: { background?: boolean } = {}): KThread {
    return this.createThread(this.systemProcess, name, body, { userMode: false, background: options.background ?? false });
  }

  private runBody(t: KThread): void {
    let r: unknown;
    try {
      // Called as a plain function, so a stack names the body ("SampleApp"), not "KThread.SampleApp".
      const body = t.body;
      r = body();
    } catch (e) {
      this.threadFailed(t, e);
      return;
    }
    if (r instanceof Promise) {
      r.then(
        (v: unknown) => {
          this.threadReturned(t, v);
        },
        (e: unknown) => {
          this.threadFailed(t, e);
        },
      );
    } else {
      this.threadReturned(t, r);
    }
  }

  private threadReturned(t: KThread, value: unknown): void {
    if (this.halted) {
      this.endSliceOf(t);
      return;
    }
    this.exitThreadSafely(t, typeof value === "number" ? value >>> 0 : STATUS_SUCCESS);
  }

  private endSliceOf(t: KThread): void {
    if (this.current === t) this.scheduler.endSlice();
  }

  /** An exception escaped a thread's code. */
  private threadFailed(t: KThread, e: unknown): void {
    if (this.halted || e instanceof BugCheckError || e instanceof MachineHaltedError) {
      this.endSliceOf(t);
      return;
    }
    try {
      if (t.mode === KernelMode || t.system) {
        this.unhandledKernelException(e, t.system ? `system thread ${t.name}` : `kernel code on ${t.label}`, t.system);
      }
      if (!(e instanceof NtStatusError)) this.errors.push({ thread: t.label, error: e });
      const status = e instanceof NtStatusError ? e.status : EXCEPTION_JS;
      const what = e instanceof NtStatusError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.terminateProcess(t.process, status, `unhandled exception in ${t.label}: ${what}`);
      this.exitThreadSafely(t, status);
    } catch (inner) {
      if (!(inner instanceof BugCheckError || inner instanceof MachineHaltedError)) this.errors.push({ thread: t.label, error: inner });
      this.endSliceOf(t);
    }
  }

  /**
   * An exception escaped kernel code (a driver routine, a DPC, a system thread): on NT that is a
   * bug check, KMODE_EXCEPTION_NOT_HANDLED (SYSTEM_THREAD_EXCEPTION_NOT_HANDLED in a system
   * thread). JavaScript errors thrown by driver code are reported the same way, with their text.
   * @internal
   */
  unhandledKernelException(e: unknown, where: string, systemThread = false): never {
    if (e instanceof BugCheckError || e instanceof MachineHaltedError) throw e;
    const code = systemThread ? BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED : BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED;
    if (e instanceof NtStatusError) {
      return this.bugCheck(code, e.status, 0, e.write ? 1 : 0, e.address ?? 0, {
        cause: e,
        detail: `${where} raised ${ntStatusName(e.status)}${e.address !== undefined ? ` (address 0x${hex32(e.address)})` : ""} and did not handle it${explanation(e)}`,
      });
    }
    const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return this.bugCheck(code, EXCEPTION_JS, 0, 0, 0, { cause: e, detail: `${where} threw a JavaScript exception: ${text}` });
  }

  /**
   * TerminateProcess: every thread of the process is asked to exit. A thread in a user-mode
   * wait exits at once; one running kernel code exits when it returns to user mode. The last
   * thread to exit runs the process's rundown.
   * @internal
   */
  terminateProcess(p: KProcess, status: NTSTATUS, reason: string): boolean {
    if (p.state !== "active" || p === this.systemProcess) return false;
    p.state = "terminating";
    p.exitStatus = status >>> 0;
    p.exitReason = reason;
    if (this.trace.on) this.trace.emit("ProcessTerminating", { process: p.pid, name: p.name, status: p.exitStatus, reason });
    for (const t of p.liveThreads()) this.requestThreadTermination(t, status);
    return true;
  }

  /** Asks one thread to exit with `status`, as NT's termination APC does. @internal */
  requestThreadTermination(t: KThread, status: NTSTATUS): void {
    if (t.exiting || t.state === "terminated" || t.terminationPending) return;
    t.exitStatus = status >>> 0;
    t.terminationPending = true;
    const userWait = t.wait !== null && t.wait.mode === UserMode;
    if (this.trace.on) this.trace.emit("ThreadTerminationRequested", { target: t.tid, deferred: !userWait && t.state === "waiting" });
    if (userWait) this.waits.interrupt(t);
  }

  /** The current thread exits now (ExitThread, or deferred termination). Never returns. @internal */
  async exitCurrentThread(status?: NTSTATUS): Promise<never> {
    const t = this.currentThread("ExitThread");
    await this.exitThread(t, status ?? t.exitStatus);
    return new Promise<never>(() => {
      // The thread's code is abandoned here, as NT abandons a terminated thread's stack.
    });
  }

  private exitThreadSafely(t: KThread, status: NTSTATUS): void {
    this.exitThread(t, status).catch((e: unknown) => {
      this.threadFailed(t, e);
    });
  }

  /**
   * PspExitThread: cancel the thread's I/O (the I/O manager's rundown hook); the last thread of
   * a process then closes the handle table and tears the address space down; finally the thread
   * object is signalled.
   */
  private async exitThread(t: KThread, status: NTSTATUS): Promise<void> {
    if (t.exiting) return;
    t.exiting = true;
    t.terminationPending = false;
    t.exitStatus = status >>> 0;
    t.mode = KernelMode;
    t.attachedProcess = null;
    this.mmu.gen++;
    if (t.irql !== PASSIVE_LEVEL || t.heldLocks.length > 0) {
      this.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, {
        detail: `${t.label} ended at IRQL ${t.irql}${t.heldLocks.length ? ` holding ${t.heldLocks.map((l) => l.label).join(", ")}` : ""}`,
      });
    }
    for (const hook of this.threadRundown) {
      if (!(await hook(t))) {
        // The thread cannot finish exiting: its process stays a zombie with what it holds.
        const p = t.process;
        if (p.state !== "zombie") {
          p.state = "zombie";
          if (this.trace.on) this.trace.emit("ProcessZombie", { reason: `${t.label} could not finish exiting` });
        }
        await this.scheduler.block(t);
        return;
      }
    }
    const p = t.process;
    const last = p !== this.systemProcess && p.threads.every((x) => x === t || x.state === "terminated");
    if (last) await this.exitProcess(p, t);
    // KeTerminateThread: kernel APCs still queued run, user APCs never delivered run down, and
    // the thread leaves the I/O completion port it was associated with.
    if (t.kernelApcs.length > 0) await this.interrupts.deliverKernelApcs(t, true);
    this.interrupts.rundownApcs(t);
    t.Queue?.threadExited(this, t);
    t.state = "terminated";
    t.header.SignalState = 1;
    this.waits.test(t.header);
    if (this.trace.on) this.trace.emit("ThreadExited", { status: t.exitStatus });
    this.endSliceOf(t);
  }

  private async exitProcess(p: KProcess, last: KThread): Promise<void> {
    if (p.state === "active") {
      p.state = "terminating";
      p.exitStatus = last.exitStatus;
      p.exitReason = "last thread exited";
    }
    for (const hook of this.processExiting) await hook(p, last);
    await this.ob.killProcess(p);
    for (const h of this.kernelHooks) h.processRundown?.(p);
    if (p.lockedPages > 0) {
      this.bugCheck(BugCheckCode.PROCESS_HAS_LOCKED_PAGES, 0, p.objectId, p.lockedPages, 0, {
        detail: `${p.name} exited with ${p.lockedPages} page(s) still locked for I/O: a driver did not unlock an MDL (or never completed the IRP that holds it)`,
      });
    }
    p.translation?.destroy();
    p.state = "exited";
    p.header.SignalState = 1;
    this.waits.test(p.header);
    if (this.trace.on) this.trace.emit("ProcessExited", { status: p.exitStatus });
    for (const hook of this.processExited) hook(p);
  }

  // ---- Time ---------------------------------------------------------------------------------

  /** Virtual time in milliseconds. */
  get nowMs(): number {
    return this.now / 10_000;
  }

  /**
   * The idle processor's clock: moves the clock to the next deadline and fires everything due,
   * then runs queued DPCs (the code they run costs time too).
   * @internal
   */
  advanceClock(): void {
    const next = this.timers.peek();
    if (!next) return;
    // Deadlines within the timer resolution of the earliest expire with it, at the latest of them.
    const to = Math.max(next.deadline, this.timers.latestBefore(next.deadline + TIMER_RESOLUTION));
    if (to > this.now) {
      if (this.trace.on) this.trace.emit("ClockAdvanced", { from: this.now, to });
      this.now = to;
    }
    this.idleBusySince = this.now;
    this.clockCheckAt = this.now;
    this.fireDueTimers();
    if (this.interrupts.queuedDpcs.length > 0) this.interrupts.drainDpcs();
  }

  /** Fires every timer-queue entry that is due (KTIMERs, wait timeouts, harness actions), in order. */
  private fireDueTimers(): void {
    if (this.firingTimers) return;
    this.firingTimers = true;
    try {
      for (let e = this.timers.peek(); e && e.deadline <= this.now; e = this.timers.peek()) {
        this.timers.pop();
        if (!e.cancelled) e.fire();
      }
    } finally {
      this.firingTimers = false;
    }
  }

  /**
   * Makes the next charging call look at the clock's slow path (the scheduler calls this when a
   * slice starts or ends, and when a run's limits change).
   */
  recheckClock(): void {
    this.clockCheckAt = this.now;
  }

  /**
   * The clock's slow path, taken by a call that moved the clock to or past the next point of
   * interest: what the clock interrupt does on NT. Timers, wait timeouts and harness actions that
   * are due fire here, so a thread that polls sees them: a timer's DPC runs at once when the
   * processor is below DISPATCH_LEVEL, else as soon as it drops below. Then the watchdogs: a DPC
   * routine that ran the DPC watchdog's allotment is bug check 0x133, a thread that ran the
   * livelock bound without waiting (or a quantum or more when the run's time limit passed) halts
   * the run as a livelock, from the call in progress.
   */
  private clockSlowPath(): void {
    this.checkRunaway();
    if (!this.firingTimers) {
      const due = this.timers.peek();
      if (due && due.deadline <= this.now) this.fireDueTimers();
    }
    this.clockCheckAt = this.nextClockCheck();
  }

  /** The next time {@link clockSlowPath} has something to do. */
  private nextClockCheck(): number {
    let at = Infinity;
    if (!this.firingTimers) {
      const due = this.timers.peek();
      if (due) at = due.deadline;
    }
    if (this.inDpc) at = Math.min(at, this.dpcStart + DPC_TIMEOUT_TICKS * CLOCK_INCREMENT);
    const s = this.scheduler.sliceThread;
    const since = s ? s.sliceStart - s.ranWithoutWaiting : this.idleBusySince;
    // Inside a DPC the bound is not applied, but its time still ends the DPC's stretch of checks.
    if (!this.inDpc || since + this.livelockTicks > this.now) at = Math.min(at, since + this.livelockTicks);
    if (this.now < this.runDeadline) at = Math.min(at, this.runDeadline);
    else at = Math.min(at, since + QUANTUM);
    return Math.max(at, this.now + 1);
  }

  /** The DPC watchdog and the livelock bound (see {@link clockSlowPath}). */
  private checkRunaway(): void {
    if (this.inDpc && this.now - this.dpcStart >= DPC_TIMEOUT_TICKS * CLOCK_INCREMENT) {
      const ticks = Math.floor((this.now - this.dpcStart) / CLOCK_INCREMENT);
      const a = this.currentActivity();
      this.bugCheck(BugCheckCode.DPC_WATCHDOG_VIOLATION, 0, ticks, DPC_TIMEOUT_TICKS, 0, {
        detail: `${a ? activityLabel(a) : "a DPC routine"} ran ${spanText(this.now - this.dpcStart)} of virtual time without returning (the DPC watchdog allows ${spanText(DPC_TIMEOUT_TICKS * CLOCK_INCREMENT)}); its last calls were ${this.lastCallsOf(this.current)}`,
      });
    }
    const s = this.scheduler.sliceThread;
    const ran = s ? s.ranWithoutWaiting + (this.now - s.sliceStart) : this.now - this.idleBusySince;
    const bound = !this.inDpc && ran >= this.livelockTicks;
    if (bound || (this.now >= this.runDeadline && ran >= QUANTUM)) {
      const who = s ? s.label : this.describeContext();
      const where = this.currentActivity();
      const verb = s ? "without waiting" : "without returning";
      const inside = s && where ? ` (in ${activityLabel(where)})` : "";
      const limit = bound ? "" : ` when the run's time limit passed at ${spanText(this.runDeadline)}`;
      const calls = this.lastCallsOf(this.current);
      // Threads it handed the processor to (yields, preemptions) that never waited either spin with it.
      const others = bound ? [] : this.scheduler.readyThreads().filter((o) => o.ranWithoutWaiting >= QUANTUM);
      const also = others.map((o) => `; ${o.label} ran ${spanText(o.ranWithoutWaiting)} without waiting too (its last calls were ${lastCallsText(o.lastCalls, o.callCount)})`).join("");
      this.livelock(`${who} ran ${spanText(ran)} of virtual time ${verb}${inside}${limit}; its last calls were ${calls}${also}`, [who, ...others.map((o) => o.label)].join(", "), calls);
    }
  }

  private lastCallsOf(t: KThread | null): string {
    return t ? lastCallsText(t.lastCalls, t.callCount) : "unknown";
  }

  /**
   * Runs a harness action after `ms` of virtual time, in the System process at PASSIVE_LEVEL
   * (for example `machine.after(50, "kill app", () => app.kill())`).
   */
  after(ms: number, label: string, action: () => void): TimerEntry {
    return this.timers.add(this.now + Math.round(ms * 10_000), label, () => {
      const prev = this.current;
      this.setCurrent(this.idleThread);
      const irql = this.idleThread.irql;
      this.idleThread.irql = PASSIVE_LEVEL;
      try {
        action();
      } catch (e) {
        if (e instanceof BugCheckError || e instanceof MachineHaltedError) throw e;
        this.errors.push({ thread: `harness action "${label}"`, error: e });
      } finally {
        this.idleThread.irql = irql;
        this.setCurrent(prev);
      }
    });
  }

  /**
   * A hardware model's own clock: `fire` runs when virtual time reaches `deadline` (absolute,
   * 100 ns ticks), outside any thread, as a device raising its interrupt line or updating its
   * registers does. Set the returned entry's `cancelled` to drop it. (Harness actions that run
   * code in the System process use {@link after} instead.)
   */
  scheduleDeviceEvent(deadline: number, label: string, fire: () => void): TimerEntry {
    return this.timers.add(Math.max(deadline, this.now), label, fire);
  }

  /**
   * KeSetTimerEx: `dueTime` in NT's form (negative: relative 100 ns units; positive: absolute),
   * an optional period in milliseconds and an optional DPC. Returns whether it was already set.
   * @internal
   */
  setTimer<C>(timer: KTIMER, dueTime: number, periodMs: number, typedDpc: KDPC<C> | null): boolean {
    const dpc = typedDpc as unknown as KDPC | null;
    const wasSet = this.cancelTimer(timer, false);
    timer.SignalState = 0;
    timer.DueTime = dueTime < 0 ? this.now - dueTime : Math.max(dueTime, this.now);
    timer.Period = periodMs;
    timer.Dpc = dpc;
    timer.entry = this.timers.add(timer.DueTime, timer.label, () => {
      this.expireTimer(timer);
    });
    this.setTimers.add(timer);
    if (this.trace.on) this.trace.emit("TimerSet", { timer: timer.label, dueMs: (timer.DueTime - this.now) / 10_000, periodMs });
    return wasSet;
  }

  /**
   * A KTIMER expires: signalled, its waiters released, a periodic one re-armed — one period after
   * its due time, as NT's timer expiration does, so a late expiry (the clock found it due at a
   * later call) does not push every later one back; an early one (`early`) from now — and its
   * DPC queued.
   */
  private expireTimer(timer: KTIMER, early = false): void {
    timer.entry = null;
    this.setTimers.delete(timer);
    timer.SignalState = 1;
    if (this.trace.on) this.trace.emit("TimerFired", { timer: timer.label });
    this.waits.test(timer);
    if (timer.Period > 0) {
      timer.DueTime = (early ? this.now : timer.DueTime) + timer.Period * 10_000;
      timer.entry = this.timers.add(timer.DueTime, timer.label, () => {
        this.expireTimer(timer);
      });
      this.setTimers.add(timer);
    }
    if (timer.Dpc) this.interrupts.insertQueueDpc(timer.Dpc, this.now % 2 ** 32, Math.floor(this.now / 2 ** 32));
  }

  /** KeCancelTimer: returns whether the timer was set. @internal */
  cancelTimer(timer: KTIMER, trace = true): boolean {
    const e = timer.entry;
    if (!e || e.cancelled) return false;
    e.cancelled = true;
    timer.entry = null;
    this.setTimers.delete(timer);
    if (trace && this.trace.on) this.trace.emit("TimerCancelled", { timer: timer.label });
    return true;
  }

  /** The set KTIMER due first (ties in the order they were set), or null when none is set. @internal */
  earliestTimer(): KTIMER | null {
    let best: KTIMER | null = null;
    for (const t of this.setTimers) {
      const e = t.entry;
      if (!e || e.cancelled) continue;
      const b = best?.entry;
      if (!b || e.deadline < b.deadline || (e.deadline === b.deadline && e.seq < b.seq)) best = t;
    }
    return best;
  }

  /**
   * Expires a set KTIMER now instead of at its due time — what a timer whose interrupt arrives
   * early on another processor does: it is signalled, a periodic timer is re-armed from now, and
   * its DPC is queued (running at once when the current context is below DISPATCH_LEVEL).
   * @internal
   */
  expireTimerNow(timer: KTIMER): boolean {
    const e = timer.entry;
    if (!e || e.cancelled) return false;
    e.cancelled = true;
    this.expireTimer(timer, true);
    return true;
  }

  // ---- Dispatcher objects -------------------------------------------------------------------

  /** Sets an object signalled and releases its waiters (KeSetEvent and friends). @internal */
  signal(object: DispatcherHeader, state = 1): void {
    object.SignalState = state;
    if (this.trace.on) this.trace.emit("EventSignaled", { object: object.label });
    this.waits.test(object);
  }

  // ---- Work items and "another processor" ---------------------------------------------------

  /**
   * ExQueueWorkItem: runs `fn` on the system worker thread at PASSIVE_LEVEL (as `driver`'s code,
   * when a driver queued it).
   * @internal
   */
  queueWorkItem(label: string, fn: () => unknown, driver: string | null = null): void {
    this.workQueue.push({ label, fn, driver });
    if (!this.workEvent) {
      const event = new KEVENT(SynchronizationEvent, false, "system work queue");
      this.workEvent = event;
      this.createSystemThread(
        "Worker",
        async () => {
        for (;;) {
          while (this.workQueue.length > 0) {
            const item = this.workQueue.shift() as { label: string; fn: () => unknown; driver: string | null };
            if (item.driver !== null && this.unloadedImages.has(item.driver)) {
              // The worker jumps into an image that has been unloaded (ExQueueWorkItem holds no
              // reference on the driver; IoQueueWorkItem's reference on its device would have).
              this.bugCheck(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, 0, 0, 0, 0, {
                driver: item.driver,
                detail: `work item ${item.label} of ${item.driver} starts after ${item.driver} was unloaded: its code is no longer loaded. Queue it with IoQueueWorkItem (which keeps the device, and so the driver, loaded until the routine returns), or wait for it in DriverUnload.`,
              });
            }
            const token = this.enterActivity("work item", item.label, item.driver);
            const worker = this.currentThread();
            try {
              await item.fn();
            } catch (e) {
              this.unhandledKernelException(e, `work item ${item.label}`, true);
            } finally {
              this.leaveActivity(token);
            }
            // ExpWorkerThread: a routine must return with its critical regions balanced.
            if (worker.kernelApcDisable !== 0) this.apcIndexMismatch(worker, 1);
          }
            await this.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: "the system worker thread waits for work" });
          }
        },
        { background: true },
      );
    } else {
      this.signal(this.workEvent);
    }
  }

  /**
   * Runs `fn` as soon as the current thread holds no spin lock: how an action from a second
   * processor that needs a lock the interrupted code holds gets its turn.
   * @internal
   */
  whenNoLocksHeld(fn: () => void): void {
    const t = this.current;
    if (!t || t.heldLocks.length === 0) fn();
    else t.noLockQueue.push(fn);
  }

  /** Called when `t` releases its last spin lock. @internal */
  runWhenNoLocksHeld(t: KThread): void {
    while (t.noLockQueue.length > 0 && t.heldLocks.length === 0) (t.noLockQueue.shift() as () => void)();
  }

  // ---- Decisions ----------------------------------------------------------------------------

  /** A decision point: returns the chosen option (0 by default) and records it. @internal */
  decide(kind: string, count: number, labels: () => string[]): number {
    if (count <= 1) return 0;
    const ordinal = this.decisionOrdinal++;
    let choice = 0;
    if (this.strategy) {
      choice = this.strategy.choose({ kind, count, ordinal, labels });
      if (!Number.isInteger(choice) || choice < 0 || choice >= count) {
        throw new RangeError(`strategy chose option ${choice} of ${count} at decision ${ordinal} (${kind})`);
      }
    }
    this.decisions.push({ kind, choice, of: count });
    if (this.trace.on) this.trace.emit("Decision", { point: kind, choice, of: count, label: labels()[choice] ?? "" });
    return choice;
  }

  // ---- Halting ------------------------------------------------------------------------------

  /** Throws when the machine has halted. @internal */
  checkAlive(): void {
    if (this.halted) throw this.haltedError();
  }

  /** The error every call into a halted machine gets. @internal */
  haltedError(): MachineHaltedError {
    const h = this.halted;
    if (!h) return new MachineHaltedError("not halted");
    return new MachineHaltedError(h.kind === "bugcheck" ? `bug check 0x${hex32(h.bugCheck.code)} ${h.bugCheck.bugCheckName}` : `${h.kind}: ${h.description}`);
  }

  /**
   * KeBugCheckEx: halts the machine and throws a {@link BugCheckError} that records the code,
   * parameters, who was running, the driver's source line and the last trace events.
   * @internal
   */
  bugCheck(
    code: number,
    p1 = 0,
    p2 = 0,
    p3 = 0,
    p4 = 0,
    options: BugCheckOptions = {},
  ): never {
    if (this.halted) throw this.haltedError();
    const info = bugCheckInfo(code);
    const t = this.current;
    const stack = options.cause instanceof Error ? options.cause.stack : options.source !== undefined ? undefined : captureStack();
    const record: BugCheckRecord = {
      code,
      name: info.name,
      // A parameter taken from a caller's argument may be anything JavaScript allows: 0 then.
      parameters: [bugCheckParameter(p1), bugCheckParameter(p2), bugCheckParameter(p3), bugCheckParameter(p4)],
      info,
      thread: t ? this.describeContext() : null,
      process: t ? `${t.currentProcess.name} (pid ${t.currentProcess.pid})` : null,
      source: options.source !== undefined ? options.source : callerSourceLine(stack),
      driver: options.driver ?? this.currentDriver(),
      irp: options.irp ?? null,
      detail: options.detail ?? null,
      lastEvents: this.flight ? [...this.flight] : [],
      time: this.now,
      ...(options.rule !== undefined ? { rule: options.rule } : {}),
      ...(options.routine !== undefined ? { routine: options.routine } : {}),
      ...(options.timeline !== undefined ? { timeline: options.timeline } : {}),
    };
    const err = new BugCheckError(record);
    if (this.trace.on) {
      this.trace.emit("BugCheck", { code, name: info.name, parameters: [...record.parameters], source: record.source, driver: record.driver });
    }
    this.halted = { kind: "bugcheck", bugCheck: err };
    this.mmu.gen++;
    throw err;
  }

  /**
   * Halts the machine because code ran without ever waiting: a thread polling for something that
   * never happens, a DPC spinning. Thrown from the call in progress (a synchronous spin never
   * returns to the scheduler), as a bug check is.
   * @internal
   */
  livelock(description: string, thread: string, lastCalls: string): never {
    if (this.halted) throw this.haltedError();
    if (this.trace.on) this.trace.emit("Livelock", { description });
    this.halted = { kind: "livelock", description, thread, lastCalls };
    this.mmu.gen++;
    throw this.haltedError();
  }

  /** Halts the machine because a processor can never make progress. @internal */
  deadlock(description: string): never {
    if (this.halted) throw this.haltedError();
    if (this.trace.on) this.trace.emit("Deadlock", { description });
    this.halted = { kind: "deadlock", description };
    this.mmu.gen++;
    throw this.haltedError();
  }

  /** Records a non-fatal finding. @internal */
  addFinding(f: Omit<Finding, "time" | "thread">): Finding {
    const finding: Finding = { ...f, time: this.now, thread: this.current ? this.describeContext() : null };
    this.findings.push(finding);
    if (this.trace.on) this.trace.emit("Finding", { rule: f.rule, code: f.code, driver: f.driver, message: f.message, source: f.source });
    return finding;
  }

  // ---- Running ------------------------------------------------------------------------------

  /** Foreground threads still alive (not terminated, not stuck in a zombie process). @internal */
  foregroundThreads(): KThread[] {
    return this.threads.filter((t) => !t.background && t.state !== "terminated" && t.process.state !== "zombie");
  }

  /** Foreground threads that wait (at the end of a run: with nothing left that could wake them). @internal */
  stuckUserThreads(): KThread[] {
    return this.foregroundThreads().filter((t) => t.state === "waiting");
  }

  private blockedThreads(): BlockedThread[] {
    return this.threads
      .filter((t) => t.state === "waiting")
      .map((t) => ({
        thread: t.label,
        waitingFor: t.wait ? t.wait.blocks.map((b) => b.object.label) : [],
        reason: t.wait ? t.wait.reason : t.process.state === "zombie" ? "cannot finish exiting" : "blocked",
      }));
  }

  /**
   * Runs the machine until every thread is done or blocked for good, `until` holds, it halts,
   * or `maxTimeMs` of virtual time pass. Resolves with what happened.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const outcome = await this.scheduler.run(options);
    const blocked = this.blockedThreads();
    const stuck = this.stuckUserThreads();
    let deadlock: string | null = null;
    if (this.halted?.kind === "deadlock") deadlock = this.halted.description;
    else if (outcome === "deadlock") {
      deadlock =
        "no thread can run and no timer is pending: " +
        stuck.map((t) => `${t.label} waits on ${t.wait ? t.wait.blocks.map((b) => b.object.label).join(", ") : "nothing"} (${t.wait?.reason ?? "blocked"})`).join("; ");
    }
    return {
      outcome,
      timeMs: this.nowMs,
      bugCheck: this.halted?.kind === "bugcheck" ? this.halted.bugCheck.record : null,
      deadlock,
      blocked,
      zombies: this.processes.filter((p) => p.state === "zombie").map((p) => p.name),
      findings: [...this.findings],
      errors: [...this.errors],
      hostStuck: this.scheduler.hostStuck,
      livelock: this.halted?.kind === "livelock" ? this.halted.description : null,
    };
  }

  /**
   * Gives the machine's host memory back for the next machine in this realm (an explorer builds
   * thousands). The machine must not be used afterwards: its memory reads fail.
   */
  dispose(): void {
    if (this.scheduler.isRunning) throw new Error("Machine.dispose: the machine is running");
    this.physical.release();
  }

  /** Bytes copied between virtual addresses so far (RtlCopyMemory, buffered I/O). */
  get bytesCopied(): number {
    return this.mmu.bytesCopied;
  }
}
