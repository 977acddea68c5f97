import { Observable, Subject } from "rxjs";

/**
 * The machine's trace vocabulary: one entry per event kind, each with its own fields.
 *
 * Layers above the kernel add their kinds by augmenting this interface
 * (`declare module "../kernel/trace.js" { interface TraceEventMap { ... } }`), so every exporter
 * consumes one discriminated union and the kernel never imports the layers that extend it.
 */
export interface TraceEventMap {
  ProcessCreated: { process: number; name: string; parent: number };
  ProcessTerminating: { process: number; name: string; status: number; reason: string };
  ProcessExited: { status: number };
  ProcessZombie: { reason: string };
  ThreadCreated: { thread: number; process: number; name: string; system: boolean };
  ThreadExited: { status: number };
  ThreadTerminationRequested: { target: number; deferred: boolean };
  Wait: { objects: string[]; waitAll: boolean; mode: "KernelMode" | "UserMode"; timeoutMs: number | null };
  WaitSatisfied: { status: number; statusName: string };
  ContextSwitch: { to: number; toName: string; choices: number };
  ClockAdvanced: { from: number; to: number };
  EventSignaled: { object: string };
  TimerSet: { timer: string; dueMs: number; periodMs: number };
  TimerFired: { timer: string };
  TimerCancelled: { timer: string };
  DpcQueued: { dpc: string; routine: string };
  /** `driver`: the driver that initialised the DPC (KeInitializeDpc ran in its code), null when unknown. */
  DpcStart: { dpc: string; routine: string; driver: string | null };
  DpcEnd: { dpc: string; routine: string };
  ApcQueued: { apc: string; target: number; mode: "KernelMode" | "UserMode"; routine: string };
  ApcDelivered: { apc: string; routine: string };
  ApcRundown: { apc: string; routine: string };
  SpinLockAcquired: { lock: string; irql: number };
  SpinLockReleased: { lock: string; irql: number };
  VirtualAllocated: { process: number; base: number; size: number; type: string; protect: number };
  VirtualFreed: { process: number; base: number; size: number; type: string };
  VirtualProtected: { process: number; base: number; size: number; protect: number };
  PoolAllocated: { address: number; size: number; tag: string; poolType: string };
  PoolFreed: { address: number; size: number; tag: string };
  HandleCreated: { handle: number; object: string; access: number };
  HandleClosed: { handle: number; object: string };
  Decision: { point: string; choice: number; of: number; label: string };
  /** `cpu`: the thread id the event's work runs under on the other processor, when it has one. */
  Injection: { action: string; detail: string; at: string; cpu?: number };
  BugCheck: { code: number; name: string; parameters: number[]; source: string | null; driver: string | null };
  Deadlock: { description: string };
  /** Code ran without waiting past the livelock bound or the run's time limit (the run halts). */
  Livelock: { description: string };
  Finding: { rule: string; code: string; driver: string | null; message: string; source: string | null };
  Note: { text: string };
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
