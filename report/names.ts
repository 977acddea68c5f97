/**
 * Names for the ids trace events carry, learnt from the creation events, so a report needs
 * nothing but the events.
 */
import type { TraceEvent } from "../kernel/trace.js";
import "../ce6/trace-events.js";
import "../io-manager/ioctl-names.js";

/** What a report knows about one emulated thread. */
export interface TraceThread {
  readonly tid: number;
  readonly name: string;
  /** The process that owns the thread (not the address space it happens to run in). */
  readonly process: number;
  /** A system thread (DriverEntry, a work item) rather than an app's. */
  readonly system: boolean;
}

/** Thread and process names by id. */
export class TraceNames {
  // NT's thread 0 and process 0 are the idle thread of the System Idle Process: where DPCs run
  // when no thread is current.
  private readonly threads = new Map<number, TraceThread>([[0, { tid: 0, name: "Idle", process: 0, system: true }]]);
  private readonly processes = new Map<number, string>([[0, "System"], [4, "System"]]);
  /** Control-code names: per code, the name each driver gave it (null: a name given for no driver). */
  private readonly ioctls = new Map<number, Map<string | null, string>>();

  /** Learns the names in `events`. */
  static from(events: readonly TraceEvent[]): TraceNames {
    const n = new TraceNames();
    for (const e of events) n.learn(e);
    return n;
  }

  /** Learns from one event. */
  learn(e: TraceEvent): void {
    if (e.kind === "ProcessCreated") this.processes.set(e.process, e.name);
    else if (e.kind === "CeMachineStarted") this.processes.set(e.kernelProcess, e.kernelName);
    else if (e.kind === "ThreadCreated") this.threads.set(e.thread, { tid: e.thread, name: e.name, process: e.process, system: e.system });
    // An injected event's work runs on "another processor", under a context of its own.
    else if (e.kind === "Injection" && e.cpu !== undefined) this.threads.set(e.cpu, { tid: e.cpu, name: "CPU1", process: e.pid, system: true });
    else if (e.kind === "IoctlNamed") {
      let byDriver = this.ioctls.get(e.code);
      if (!byDriver) this.ioctls.set(e.code, (byDriver = new Map<string | null, string>()));
      byDriver.set(e.driver, e.name);
    }
  }

  /**
   * The name declared for a control code: the given driver's, else the only name anyone gave it
   * (two drivers can use one number for different things: then, without a driver, both names).
   */
  ioctl(code: number, driver?: string | null): string | null {
    const byDriver = this.ioctls.get(code >>> 0);
    if (!byDriver) return null;
    if (driver !== undefined && driver !== null) {
      const own = byDriver.get(driver);
      if (own !== undefined) return own;
    }
    const distinct = [...new Set(byDriver.values())];
    return distinct.length === 1 ? (distinct[0] ?? null) : distinct.join(" or ");
  }

  /** Every named control code and its name(s), by code. */
  ioctlCodes(): number[] {
    return [...this.ioctls.keys()];
  }

  /** "sharebuf.exe:main". */
  thread(tid: number): string {
    return this.threads.get(tid)?.name ?? `thread ${tid}`;
  }

  /** Everything known about a thread (a thread never announced is taken for a system thread of the System process). */
  threadInfo(tid: number): TraceThread {
    return this.threads.get(tid) ?? { tid, name: `thread ${tid}`, process: 4, system: true };
  }

  /** "sharebuf.exe". */
  process(pid: number): string {
    return this.processes.get(pid) ?? `process ${pid}`;
  }

  /** Every thread id seen, in creation order. */
  threadIds(): number[] {
    return [...this.threads.keys()];
  }

  /** Every process id seen, in creation order. */
  processIds(): number[] {
    return [...this.processes.keys()];
  }
}
