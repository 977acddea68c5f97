/**
 * User-mode waits a scenario accepts may never end once something has been injected. An app
 * whose other thread closes the device handle under it, say, may be left waiting on an event
 * the driver rightly dropped when the file was cleaned up: the app hangs, as it would on Windows,
 * and that is the app's doing, not a deadlock in the driver. A scenario declares such waits; when
 * a disturbed run ends with only declared waits left, the run is not a deadlock: the scenario
 * runner ends the hung processes, as whoever ran the app would, and the machine runs their
 * rundown, so the driver's handling of that kill is still checked.
 */
import { UserMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";

/** A user-mode wait that may legitimately never end under an injection. */
export interface EndlessWait {
  /** The waiting thread: its label ("beacon.exe:main") or its process's name ("beacon.exe"). */
  readonly thread: string;
  /** The object it waits on, by label ("event#7", or the name it was created with); any object when absent. */
  readonly object?: string;
  /** Why the wait may never end, in words: reports print it. */
  readonly reason: string;
}

function matches(t: KThread, w: EndlessWait): boolean {
  if (t.label !== w.thread && t.process.name !== w.thread) return false;
  const wait = t.wait;
  if (!wait) return false;
  return w.object === undefined || wait.blocks.some((b) => b.object.label === w.object);
}

/** The waits accepted at the end of a run, and the processes to end. */
export interface AcceptedWaits {
  /** One line per thread: who waits on what, and why that is accepted. */
  readonly lines: readonly string[];
  readonly processes: readonly KProcess[];
}

/**
 * When the machine has stopped with foreground threads waiting for good, something was injected
 * into the run, and every one of those threads waits in user mode as `declared` allows: what is
 * accepted. Otherwise null (a halted machine, an undisturbed run, a wait in kernel mode or one
 * not declared: the deadlock stands).
 */
export function acceptEndlessWaits(m: Machine, declared: readonly EndlessWait[]): AcceptedWaits | null {
  if (m.halted || m.injected.length === 0 || declared.length === 0) return null;
  const stuck = m.stuckUserThreads();
  if (stuck.length === 0) return null;
  const lines: string[] = [];
  const processes: KProcess[] = [];
  for (const t of stuck) {
    const wait = t.wait;
    if (!wait || wait.mode !== UserMode) return null;
    const w = declared.find((d) => matches(t, d));
    if (!w) return null;
    lines.push(`${t.label} waits on ${wait.blocks.map((b) => b.object.label).join(", ")} (${wait.reason}), which may never end: ${w.reason}`);
    if (!processes.includes(t.process)) processes.push(t.process);
  }
  return { lines, processes };
}
