import { Observable, Subject } from "rxjs";

/**
 * The machine's trace vocabulary: one entry per event kind, each with its own fields.
 *
 * Layers above the kernel add their kinds by augmenting this interface
 * (`declare module "../kernel/trace.js" { interface TraceEventMap { ... } }`), so every exporter
 * consumes one discriminated union and the kernel never imports the layers that extend it.
 */
export interface TraceEventMap {
  /** A process was created: its id (`process`), image `name` and `parent` process id. */
  ProcessCreated: { process: number; /** The image name. */ name: string; /** The parent process's id. */ parent: number };
  /**
   * A process started to terminate with exit `status`: killed, its last thread exited, or an
   * unhandled exception (`reason`).
   */
  ProcessTerminating: { process: number; /** The image name. */ name: string; status: number; /** Why it terminates. */ reason: string };
  /**
   * The event's process has finished exiting with `status`: its handles closed and its address
   * space freed.
   */
  ProcessExited: { status: number };
  /**
   * The process cannot finish exiting (a "zombie"): an IRP of one of its threads never completes,
   * or its pages stay locked; `reason` says which.
   */
  ProcessZombie: { /** Why it cannot finish exiting. */ reason: string };
  /** A thread was created in `process`, with a `name` for traces; `system` for a kernel thread. */
  ThreadCreated: { thread: number; process: number; /** The thread's name. */ name: string; /** Whether it is a kernel thread. */ system: boolean };
  /** The event's thread exited with `status`. */
  ThreadExited: { status: number };
  /**
   * TerminateThread (or a process termination) asked thread `target` to end; `deferred` while the
   * thread runs in kernel mode and ends on its way back to user mode.
   */
  ThreadTerminationRequested: { /** The thread asked to end. */ target: number; /** Whether it ends later, on its way back to user mode. */ deferred: boolean };
  /**
   * The thread waits on `objects` (for all of them when `waitAll`) in `mode`, for at most
   * `timeoutMs` (null: forever).
   */
  Wait: { /** The objects' labels. */ objects: string[]; /** Whether every object must be signaled. */ waitAll: boolean; mode: "KernelMode" | "UserMode"; /** The time-out in ms (null: none). */ timeoutMs: number | null };
  /** A wait ended with `status` (STATUS_WAIT_0 + index, STATUS_TIMEOUT, STATUS_USER_APC…). */
  WaitSatisfied: { status: number; statusName: string };
  /** The scheduler switched to thread `to` (`toName`), one of `choices` ready threads. */
  ContextSwitch: { /** The thread id switched to. */ to: number; /** Its name. */ toName: string; /** How many threads were ready. */ choices: number };
  /**
   * Every thread was blocked, so virtual time jumped from `from` to `to` (ms), the next deadline.
   */
  ClockAdvanced: { /** The time before the jump, in ms. */ from: number; /** The time after it, in ms. */ to: number };
  /** A dispatcher object (event, semaphore, mutex, process, thread…) was signaled. */
  EventSignaled: { /** The object's label. */ object: string };
  /** KeSetTimer(Ex): `timer` is due in `dueMs` ms, then every `periodMs` (0: once). */
  TimerSet: { timer: string; /** When it is due, in ms from now. */ dueMs: number; /** Its period in ms (0: once). */ periodMs: number };
  /** The timer expired (its DPC, if any, is queued next). */
  TimerFired: { timer: string };
  /** KeCancelTimer removed the timer from the timer queue before it expired. */
  TimerCancelled: { timer: string };
  /** KeInsertQueueDpc queued `dpc`, whose deferred routine is `routine`. */
  DpcQueued: { dpc: string; routine: string };
  /** `driver`: the driver that initialised the DPC (KeInitializeDpc ran in its code), null when unknown. */
  DpcStart: { dpc: string; routine: string; driver: string | null };
  /** A DPC's routine returned. */
  DpcEnd: { dpc: string; routine: string };
  /**
   * KeInsertQueueApc (or QueueUserAPC) queued `apc` to thread `target`, to run `routine` in `mode`.
   */
  ApcQueued: { apc: string; /** The thread id it is queued to. */ target: number; mode: "KernelMode" | "UserMode"; routine: string };
  /** An APC's routine ran in its target thread. */
  ApcDelivered: { apc: string; routine: string };
  /** The APC was discarded because its thread exited (its rundown routine ran, if it had one). */
  ApcRundown: { apc: string; routine: string };
  /** A spin lock was acquired; the processor now runs at `irql`. */
  SpinLockAcquired: { lock: string; irql: number };
  /** A spin lock was released; the processor is back at `irql`. */
  SpinLockReleased: { lock: string; irql: number };
  /**
   * VirtualAlloc reserved or committed `size` bytes at `base` in `process` (`type`: MEM_RESERVE,
   * MEM_COMMIT), with protection `protect`.
   */
  VirtualAllocated: { process: number; /** The region's base address. */ base: number; /** Its size in bytes. */ size: number; /** MEM_RESERVE, MEM_COMMIT or both. */ type: string; /** The protection (PAGE_*). */ protect: number };
  /** VirtualFree decommitted or released `size` bytes at `base` in `process`. */
  VirtualFreed: { process: number; /** The region's base address. */ base: number; /** Its size in bytes. */ size: number; /** MEM_DECOMMIT or MEM_RELEASE. */ type: string };
  /** VirtualProtect changed the protection of `size` bytes at `base` to `protect`. */
  VirtualProtected: { process: number; /** The region's base address. */ base: number; /** Its size in bytes. */ size: number; /** The new protection. */ protect: number };
  /** ExAllocatePoolWithTag returned `size` bytes at `address` from `poolType`, tagged `tag`. */
  PoolAllocated: { /** The block's address. */ address: number; /** Its size in bytes. */ size: number; /** Its pool tag. */ tag: string; /** The pool it came from. */ poolType: string };
  /** ExFreePoolWithTag freed the block at `address`. */
  PoolFreed: { /** The block's address. */ address: number; /** Its size in bytes. */ size: number; /** Its pool tag. */ tag: string };
  /** A handle to `object` was created in the current process with `access` rights. */
  HandleCreated: { handle: number; /** The object's label. */ object: string; /** The access granted. */ access: number };
  /** A handle was closed (the object lives on while other references remain). */
  HandleClosed: { handle: number; /** The object's label. */ object: string };
  /**
   * A decision point: of `of` possible choices at `point` (which thread runs, whether to inject),
   * the run took `choice`; `label` says what it means.
   */
  Decision: { /** Where the decision was made. */ point: string; /** The option taken. */ choice: number; /** How many options there were. */ of: number; /** What the option taken means. */ label: string };
  /** `cpu`: the thread id the event's work runs under on the other processor, when it has one. */
  Injection: { /** What was injected (cancel, death, close…). */ action: string; detail: string; /** Where it landed: the kernel routine and the code that called it. */ at: string; /** The thread id its work runs under on the other processor. */ cpu?: number };
  /**
   * KeBugCheckEx: the machine halted with bug check `code` (`name`) and its four `parameters`, at
   * the driver's `source` line.
   */
  BugCheck: { /** The bug check code. */ code: number; /** The code's symbolic name. */ name: string; /** The four parameters. */ parameters: number[]; /** The driver's source line (null when unknown). */ source: string | null; driver: string | null };
  /**
   * No thread can run and nothing is due: the machine deadlocked; `description` names who waits for
   * what.
   */
  Deadlock: { /** Who waits for what. */ description: string };
  /**
   * A verifier finding: `rule` (and its `code`) broken by `driver`, what is wrong (`message`), at
   * its `source` line.
   */
  Finding: { /** The rule's name. */ rule: string; /** The rule's Driver Verifier code. */ code: string; driver: string | null; /** What is wrong, and the usual fix. */ message: string; /** The driver's source line (null when unknown). */ source: string | null };
  /** Code ran without waiting past the livelock bound or the run's time limit (the run halts). */
  Livelock: { /** What ran too long, and its last calls. */ description: string };
  /** A line a scenario wrote into the trace (ScenarioContext.note). */
  Note: { /** The line. */ text: string };
}

/** The kinds of trace event. */
export type TraceEventKind = keyof TraceEventMap;

/** Fields every trace event carries. */
export interface TraceEventBase<K extends TraceEventKind = TraceEventKind> {
  readonly kind: K;
  /** Position in the machine's event stream, from 0. */
  readonly seq: number;
  /** Virtual time in 100 ns ticks. */
  readonly time: number;
  /** The thread that was current (its stable id), 0 when none. */
  readonly tid: number;
  /** The process whose address space was current, 0 when none. */
  readonly pid: number;
  /** The current IRQL. */
  readonly irql: number;
}

/** One trace event: the base fields plus the fields of its kind. */
export type TraceEvent = {
  [K in TraceEventKind]: TraceEventBase<K> & Readonly<TraceEventMap[K]>;
}[TraceEventKind];

/** The event of one kind. */
export type TraceEventOf<K extends TraceEventKind> = TraceEventBase<K> & Readonly<TraceEventMap[K]>;

/** Supplies the base fields for the next event (the machine implements it). */
export interface TraceContext {
  traceTime(): number;
  traceTid(): number;
  tracePid(): number;
  traceIrql(): number;
}

/**
 * The machine's event stream. Emitting is guarded by {@link Tracer.on}: call sites test it before
 * building an event, so a machine nobody observes pays one property read per trace point.
 */
export class Tracer {
  /** True while anything subscribes. Check before building an event. */
  on = false;
  private readonly subject = new Subject<TraceEvent>();
  private subscribers = 0;
  private seq = 0;
  /** Every event, as an Observable. */
  readonly events$: Observable<TraceEvent>;

  constructor(private readonly context: TraceContext) {
    this.events$ = new Observable<TraceEvent>((subscriber) => {
      this.subscribers++;
      this.on = true;
      const inner = this.subject.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        this.subscribers--;
        this.on = this.subscribers > 0;
      };
    });
  }

  /** Emits one event. Callers check {@link Tracer.on} first. */
  emit<K extends TraceEventKind>(kind: K, fields: TraceEventMap[K]): void {
    const c = this.context;
    const event = {
      kind,
      seq: this.seq++,
      time: c.traceTime(),
      tid: c.traceTid(),
      pid: c.tracePid(),
      irql: c.traceIrql(),
      ...fields,
    } as unknown as TraceEvent;
    this.subject.next(event);
  }

  /** Collects every event into an array until the returned function is called. */
  record(): { events: TraceEvent[]; stop: () => void } {
    const events: TraceEvent[] = [];
    const sub = this.events$.subscribe((e) => events.push(e));
    return { events, stop: () => { sub.unsubscribe(); } };
  }
}
