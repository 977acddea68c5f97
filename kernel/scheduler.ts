import { activeMachine, setActiveMachine, setIdSource } from "./context.js";
import { DEFAULT_LIVELOCK_MS, QUANTUM, TICKS_PER_MS, lastCallsText, spanText } from "./execution-time.js";
import { DISPATCH_LEVEL } from "./irql.js";
import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";

/** One hour of virtual time. */
const DEFAULT_MAX_TIME_MS = 3_600_000;

/** How a run ended. */
export type RunOutcome = "completed" | "stopped" | "deadlock" | "bugcheck" | "livelock" | "time-limit" | "host-error";

/**
 * The decision kind offered when a thread's quantum ran out at one of its await points and other
 * threads are ready: which of them runs next (option 0, the first that became ready, is what NT's
 * round robin does; the preempted thread, last, runs on as if it had not been preempted).
 */
export const PREEMPT_DECISION = "preempt";

/** Options for a run of the machine (`ScenarioContext.run`, `Machine.run`): when to stop. */
export interface RunOptions {
  /** Stop as soon as this returns true (checked between thread slices). */
  until?: () => boolean;
  /**
   * Stop when virtual time would pass this many milliseconds from the start of the run
   * (default one hour of virtual time: a bound on runs that only timers keep alive).
   */
  maxTimeMs?: number;
  /**
   * A thread that runs this many virtual milliseconds without waiting halts the run as a livelock
   * (default 10,000, or `maxTimeMs` when that is shorter).
   */
  livelockMs?: number;
}

/**
 * The scheduler: one emulated thread runs at a time, until it blocks in a kernel wait or ends.
 * When no thread is ready, the virtual clock jumps to the next deadline (timers, wait
 * timeouts, harness actions); when there is none and threads still wait, the run ends and the
 * machine reports what each waits for. While a thread runs, its calls move the clock (see
 * kernel/execution-time.ts); a thread whose quantum has run out is preempted at its next await
 * point when another thread is ready.
 */
export class Scheduler {
  private readonly ready: KThread[] = [];
  private sliceDone: (() => void) | null = null;
  private running = false;
  /** Thread slices dispatched so far (for the stuck-host check and statistics). */
  slices = 0;
  /** Set when a thread awaited something the machine does not own. */
  hostStuck: string | null = null;
  /** The thread whose slice is running (null between slices and in the idle context). */
  sliceThread: KThread | null = null;
  /** Set when the slice that just ended was a preemption at the end of a quantum. */
  private preempted: KThread | null = null;

  constructor(private readonly m: Machine) {}

  /** True while {@link run} is in progress. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Threads ready to run, in order. */
  readyThreads(): readonly KThread[] {
    return this.ready;
  }

  /** Makes a thread ready to run. */
  makeReady(t: KThread): void {
    if (t.state === "terminated" || t.state === "ready") return;
    t.state = "ready";
    this.ready.push(t);
  }

  /**
   * Suspends the current thread until the scheduler resumes it. The caller has already recorded
   * why it waits; the promise resolves when it is this thread's turn again.
   */
  block(t: KThread): Promise<void> {
    this.m.checkAlive();
    return new Promise<void>((resolve) => {
      t.state = "waiting";
      t.resume = resolve;
      this.endSlice();
      // It waits: the time it ran without waiting starts again from nothing.
      t.ranWithoutWaiting = 0;
    });
  }

  /**
   * NtYieldExecution (and Sleep(0)): the running thread gives the processor to the next ready
   * thread and queues behind it. With no other thread ready it keeps running (null).
   */
  yieldExecution(t: KThread): Promise<void> | null {
    if (this.ready.length === 0) return null;
    this.m.checkAlive();
    return new Promise<void>((resolve) => {
      t.state = "ready";
      t.resume = resolve;
      this.ready.push(t);
      this.endSlice();
    });
  }

  /**
   * At an await point of the running thread (a wait satisfied at once, the return of a system
   * service that may wait): when its quantum has run out below DISPATCH_LEVEL and another thread
   * is ready, it is preempted — it queues behind the ready threads and the next slice is a
   * {@link PREEMPT_DECISION}. With none ready it starts a new quantum and runs on (null).
   */
  preemptAtQuantumEnd(t: KThread): Promise<void> | null {
    if (this.sliceThread !== t || this.m.now - t.quantumStart < QUANTUM || t.irql >= DISPATCH_LEVEL) return null;
    if (this.ready.length === 0) {
      t.quantumStart = this.m.now;
      return null;
    }
    if (this.m.trace.on) this.m.trace.emit("Note", { text: `${t.label}'s quantum (${spanText(QUANTUM)}) has run out: it is preempted` });
    this.preempted = t;
    return this.yieldExecution(t);
  }

  /** Ends the current slice: the running thread has blocked, ended or halted the machine. */
  endSlice(): void {
    const s = this.sliceThread;
    if (s) {
      s.ranWithoutWaiting += this.m.now - s.sliceStart;
      this.sliceThread = null;
      this.m.recheckClock();
    }
    this.m.setCurrent(null);
    const done = this.sliceDone;
    this.sliceDone = null;
    if (done) done();
  }

  private switchTo(t: KThread): Promise<void> {
    return new Promise<void>((resolve) => {
      this.sliceDone = resolve;
      this.slices++;
      t.state = "running";
      // A new slice and a new quantum; the charging calls look at the clock's limits afresh.
      t.sliceStart = this.m.now;
      t.quantumStart = this.m.now;
      this.sliceThread = t;
      this.m.recheckClock();
      this.m.setCurrent(t);
      const resume = t.resume;
      t.resume = null;
      if (resume) resume();
      else this.endSlice();
    });
  }

  /** Runs the machine until it is quiet, a condition holds, it halts, or time runs out. */
  async run(options: RunOptions = {}): Promise<RunOutcome> {
    const other = activeMachine();
    if (other && other !== this.m) {
      throw new Error("Another machine is running in this JavaScript realm. Run machines one after another, or in worker threads.");
    }
    if (this.running) throw new Error("machine.run() is already in progress on this machine.");
    this.running = true;
    setActiveMachine(this.m);
    setIdSource(this.m);
    const maxTimeMs = options.maxTimeMs ?? DEFAULT_MAX_TIME_MS;
    const limit = this.m.now + maxTimeMs * TICKS_PER_MS;
    this.m.runDeadline = limit;
    this.m.livelockTicks = Math.max(1, Math.round(Math.min(options.livelockMs ?? DEFAULT_LIVELOCK_MS, maxTimeMs) * TICKS_PER_MS));
    this.m.recheckClock();
    let lastSlices = -1;
    // If the event loop ever gets a turn while a slice is running, that slice awaited a promise
    // the machine does not own: emulated threads may only block in kernel waits.
    const watchdog = (): void => {
      if (!this.running) return;
      if (this.sliceDone && this.slices === lastSlices) {
        const t = this.m.runningThread();
        this.hostStuck = `${t ? t.label : "a thread"} awaited a promise the machine does not own (a host timer, I/O or an unrelated promise); emulated threads may only block in kernel waits`;
        this.endSlice();
        return;
      }
      lastSlices = this.slices;
      handle = setImmediate(watchdog);
    };
    let handle = setImmediate(watchdog);
    try {
      for (;;) {
        if (this.m.halted || this.hostStuck) break;
        if (options.until?.()) return "stopped";
        if (this.m.now >= limit && this.ready.length > 0) {
          // Threads kept running past the limit, giving the processor to each other (yields,
          // preemptions) but never waiting: those that ran a quantum or more are the livelock.
          const spinning = this.ready.filter((t) => t.ranWithoutWaiting >= QUANTUM);
          const [first, ...others] = spinning;
          if (!first) return "time-limit";
          try {
            const calls = lastCallsText(first.lastCalls, first.callCount);
            const also = others.map((o) => `; ${o.label} ran ${spanText(o.ranWithoutWaiting)} without waiting too (its last calls were ${lastCallsText(o.lastCalls, o.callCount)})`).join("");
            this.m.livelock(
              `${first.label} ran ${spanText(first.ranWithoutWaiting)} of virtual time without waiting when the run's time limit passed at ${spanText(limit)}; its last calls were ${calls}${also}`,
              spinning.map((t) => t.label).join(", "),
              calls,
            );
          } catch {
            break;
          }
        }
        if (this.ready.length === 0) {
          // Done when no foreground thread is left, whatever timers a driver leaves running.
          if (this.m.foregroundThreads().length === 0) break;
          const next = this.m.timers.peek();
          if (!next) break;
          if (next.deadline > limit) return "time-limit";
          try {
            this.m.advanceClock();
          } catch (e) {
            // A bug check in a DPC or timer halts the machine; anything else is ours to report.
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by advanceClock
            if (!this.m.halted) throw e;
          }
          continue;
        }
        const snapshot = this.ready.length > 1 ? this.ready.slice() : this.ready;
        const kind = this.preempted ? PREEMPT_DECISION : "schedule";
        this.preempted = null;
        const index = this.m.decide(kind, this.ready.length, () => snapshot.map((t) => t.label));
        const [t] = this.ready.splice(index, 1);
        if (t) await this.switchTo(t);
      }
    } finally {
      clearImmediate(handle);
      this.running = false;
      this.m.runDeadline = Infinity;
      this.m.livelockTicks = Infinity;
      this.m.recheckClock();
      setActiveMachine(null);
    }
    if (this.hostStuck) return "host-error";
    if (this.m.halted) return this.m.halted.kind;
    return this.m.stuckUserThreads().length > 0 ? "deadlock" : "completed";
  }
}
