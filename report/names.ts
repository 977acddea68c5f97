/**
 * Names for the ids trace events carry, learnt from the creation events, so a report needs
 * nothing but the events.
 */
import type { TraceEvent } from "../kernel/trace.js";

/** Thread and process names by id. */
export class TraceNames {
  private readonly threads = new Map<number, string>([[0, "Idle"]]);
  private readonly processes = new Map<number, string>([[0, "System"], [4, "System"]]);

  /** Learns the names in `events`. */
  static from(events: readonly TraceEvent[]): TraceNames {
    const n = new TraceNames();
    for (const e of events) n.learn(e);
    return n;
  }

  /** Learns from one event. */
  learn(e: TraceEvent): void {
    if (e.kind === "ProcessCreated") this.processes.set(e.process, e.name);
    else if (e.kind === "ThreadCreated") this.threads.set(e.thread, e.name);
    // An injected event's work runs on "another processor", under a context of its own.
    else if (e.kind === "Injection" && e.cpu !== undefined) this.threads.set(e.cpu, "CPU1");
  }

  /** "sharebuf.exe:main". */
  thread(tid: number): string {
    return this.threads.get(tid) ?? `thread ${tid}`;
  }

  /** "sharebuf.exe". */
  process(pid: number): string {
    return this.processes.get(pid) ?? `process ${pid}`;
  }

  /** Every thread id seen, in creation order. */
  threadIds(): number[] {
    return [...this.threads.keys()];
  }
}
