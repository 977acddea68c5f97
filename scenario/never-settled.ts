/**
 * Noticing that a scenario's own code awaits something that can never settle. Node knows: when
 * nothing is left that could settle a pending promise (no timer, no I/O, no machine run), its
 * event loop empties and it emits `beforeExit` — and then, under a pending top-level await, exits
 * with code 13 and prints nothing. Racing the scenario against that moment turns the silent exit
 * into a report.
 */
import { spanText } from "../kernel/execution-time.js";
import type { Machine } from "../kernel/machine.js";

/** What awaiting `body` came to: its value, or the news that it can never settle. */
export type SettleResult<T> = { readonly settled: true; readonly value: T } | { readonly settled: false };

/**
 * Awaits `body` unless the process runs out of work first (its event loop empties while `body`
 * is pending), in which case it resolves `{ settled: false }`. A rejection of `body` rejects.
 */
export async function awaitOrNeverSettles<T>(body: Promise<T>): Promise<SettleResult<T>> {
  const emptied: { resolve: (r: SettleResult<T>) => void } = { resolve: () => undefined };
  const empty = new Promise<SettleResult<T>>((resolve) => {
    emptied.resolve = resolve;
  });
  const onEmpty = (): void => {
    emptied.resolve({ settled: false });
  };
  process.once("beforeExit", onEmpty);
  try {
    return await Promise.race([body.then((value): SettleResult<T> => ({ settled: true, value })), empty]);
  } finally {
    process.off("beforeExit", onEmpty);
  }
}

/** What a scenario that never settled was waiting for, as far as the machine can tell. */
export function neverSettledDescription(scenario: string, m: Machine, lastRun: string | null): string {
  const parts = [`the code of scenario ${scenario} awaited something that never settles (nothing was left in the process that could settle it)`];
  parts.push(lastRun === null ? "the machine was never run (ctx.run)" : `the machine was not running: its last run ${lastRun}`);
  const due = m.timers.pending();
  if (due.length > 0) {
    const names = due.slice(0, 4).map((e) => `"${e.label}" at ${spanText(e.deadline)}`);
    parts.push(`deadlines that only a machine run reaches: ${names.join(", ")}${due.length > 4 ? ` and ${due.length - 4} more` : ""}`);
  }
  const waiting = m.threads.filter((t) => t.state === "waiting" && t.wait);
  if (waiting.length > 0) parts.push(`threads still waiting: ${waiting.map((t) => `${t.label} (${t.wait?.reason ?? "blocked"})`).join(", ")}`);
  const ready = m.scheduler.readyThreads();
  if (ready.length > 0) parts.push(`threads ready but not run: ${ready.map((t) => t.label).join(", ")}`);
  return `${parts.join("; ")}. A scenario may only await what the machine's runs settle: run the machine (ctx.run) until what it awaits has happened.`;
}
