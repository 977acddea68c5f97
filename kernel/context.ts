import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";

/**
 * The machine whose code is running now. One machine runs at a time in a JavaScript realm
 * (run several in worker threads); free functions such as RtlCopyMemory act on its current
 * thread, as NT's act on the current processor's thread.
 */
let active: Machine | null = null;
/** The machine that numbers objects made outside a run (the one most recently built or used). */
let idSource: Machine | null = null;
let fallbackId = 1_000_000;

/** The running machine, or null between runs. */
export function activeMachine(): Machine | null {
  return active;
}

/** Makes `m` the running machine (the scheduler calls this). */
export function setActiveMachine(m: Machine | null): void {
  active = m;
}

/** The running machine; a clear error when none runs. */
export function currentMachine(api?: string): Machine {
  if (active) return active;
  throw new Error(
    `${api ?? "This routine"} was called while no emulated machine is running. Call it from code the machine runs ` +
      "(a driver routine, an app thread) or from inside machine.run().",
  );
}

/** The current emulated thread of the running machine. */
export function currentThread(api?: string): KThread {
  return currentMachine(api).currentThread(api);
}

/** Makes `m` number the objects created outside a run (the harness building a scenario). */
export function setIdSource(m: Machine): void {
  idSource = m;
}

/** A fresh id from the running (or last used) machine's counters, so ids repeat run to run. */
export function nextId(kind: "object" | "dispatcher"): number {
  const m = active ?? idSource;
  return m ? m.ids.next(kind) : fallbackId++;
}
