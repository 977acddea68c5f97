import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";
import type { KProcess } from "./process.js";

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

/**
 * PsInitialSystemProcess: the System process of the machine whose code runs (or was built or run
 * last). A live binding, so driver code reads it as the C variable.
 */
export let PsInitialSystemProcess: KProcess = undefined as unknown as KProcess;

/** Makes `m` the running machine (the scheduler calls this). */
export function setActiveMachine(m: Machine | null): void {
  active = m;
  if (m) PsInitialSystemProcess = m.systemProcess;
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
  // The System process is made after the machine first numbers objects: it may not exist yet.
  if ((m.systemProcess as KProcess | undefined) !== undefined) PsInitialSystemProcess = m.systemProcess;
}

/** A fresh id from the running (or last used) machine's counters, so ids repeat run to run. */
export function nextId(kind: "object" | "dispatcher"): number {
  const m = active ?? idSource;
  return m ? m.ids.next(kind) : fallbackId++;
}
