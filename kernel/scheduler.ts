import { activeMachine, setActiveMachine, setIdSource } from "./context.js";
import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";

/** One hour of virtual time. */
const DEFAULT_MAX_TIME_MS = 3_600_000;

/** How a run ended. */
export type RunOutcome = "completed" | "stopped" | "deadlock" | "bugcheck" | "time-limit" | "host-error";

/** Options for a run of the machine (`ScenarioContext.run`, `Machine.run`): when to stop. */
export interface RunOptions {
  /** Stop as soon as this returns true (checked between thread slices). */
  until?: () => boolean;
  /**
   * Stop when virtual time would pass this many milliseconds from the start of the run
   * (default one hour of virtual time: a bound on runs that only timers keep alive).
   */
  maxTimeMs?: number;
}

/**
 * The scheduler: one emulated thread runs at a time, until it blocks in a kernel wait or ends.
 * When no thread is ready, the virtual clock jumps to the next deadline (timers, wait
 * timeouts, harness actions); when there is none and threads still wait, the run ends and the
 * machine reports what each waits for.
 */
export class Scheduler {
  private readonly ready: KThread[] = [];
  private sliceDone: (() => void) | null = null;
  private running = false;
  /** Thread slices dispatched so far (for the stuck-host check and statistics). */
  slices = 0;
  /** Set when a thread awaited something the machine does not own. */
  hostStuck: string | null = null;

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

  /** Ends the current slice: the running thread has blocked, ended or halted the machine. */
  endSlice(): void {
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
    const limit = this.m.now + (options.maxTimeMs ?? DEFAULT_MAX_TIME_MS) * 10_000;
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
        const index = this.m.decide("schedule", this.ready.length, () => snapshot.map((t) => t.label));
        const [t] = this.ready.splice(index, 1);
        if (t) await this.switchTo(t);
      }
    } finally {
      clearImmediate(handle);
      this.running = false;
      setActiveMachine(null);
    }
    if (this.hostStuck) return "host-error";
    if (this.m.halted) return this.m.halted.kind === "bugcheck" ? "bugcheck" : "deadlock";
    return this.m.stuckUserThreads().length > 0 ? "deadlock" : "completed";
  }
}
