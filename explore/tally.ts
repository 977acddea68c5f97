/**
 * Counting what a search saw: schedules run, distinct schedules and end states, failures grouped
 * by cause (keeping the earliest failing schedule of each cause), and what PCT's bound needs.
 * A tally is plain data, so worker threads can send theirs to the main thread to be merged.
 */
import type { Deviation } from "./decisions.js";
import { PctChooser } from "./choosers.js";
import { fingerprint } from "./failure.js";
import type { PlannedRun } from "./plan.js";
import { encodeReplay } from "./replay-string.js";
import type { ExploreTarget } from "./run-schedule.js";

/** The earliest failing schedule of one cause. */
export interface FailureSample {
  readonly cause: string;
  readonly detail: string;
  readonly unit: number;
  readonly seq: number;
  readonly replay: string;
  /** Where the schedule came from ("pct.d2.s1.r17"). */
  readonly origin: string;
  readonly deviations: readonly Deviation[];
  /** Every cause this schedule failed with (the first is `cause`). */
  readonly causes: readonly string[];
}

/** A failure cause: how many schedules failed with it, and the earliest of them. */
export interface FailureGroup {
  readonly cause: string;
  count: number;
  first: FailureSample;
}

/** What a search (or part of one) saw. */
export interface TallyData {
  schedules: number;
  readonly scheduleKeys: string[];
  readonly endStates: string[];
  readonly failures: FailureGroup[];
  /** Schedules run per unit (for numbering schedules across units). */
  readonly perUnit: [number, number][];
  maxThreads: number;
  maxDecisions: number;
  /** PCT's n: threads and events that competed for priority (0 for other strategies). */
  maxEntities: number;
}

/** An empty tally. */
export function emptyTally(): TallyData {
  return { schedules: 0, scheduleKeys: [], endStates: [], failures: [], perUnit: [], maxThreads: 0, maxDecisions: 0, maxEntities: 0 };
}

function earlier(a: FailureSample, b: FailureSample): boolean {
  return a.unit < b.unit || (a.unit === b.unit && a.seq < b.seq);
}

/** Accumulates runs into a tally. */
export class Tally {
  readonly data: TallyData = emptyTally();
  private readonly keys = new Set<string>();
  private readonly ends = new Set<string>();
  private readonly units = new Map<number, number>();

  constructor(private readonly target: ExploreTarget) {}

  /** Adds one run; returns true when it failed. */
  add(run: PlannedRun): boolean {
    const o = run.outcome;
    const d = this.data;
    d.schedules++;
    this.units.set(run.unit, (this.units.get(run.unit) ?? 0) + 1);
    const key = fingerprint(o.deviations.map((x) => `${x.ordinal}.${x.choice}`).join(","));
    if (!this.keys.has(key)) {
      this.keys.add(key);
      d.scheduleKeys.push(key);
    }
    if (!this.ends.has(o.endState)) {
      this.ends.add(o.endState);
      d.endStates.push(o.endState);
    }
    d.maxThreads = Math.max(d.maxThreads, o.threads);
    d.maxDecisions = Math.max(d.maxDecisions, o.decisions);
    if (run.chooser instanceof PctChooser) d.maxEntities = Math.max(d.maxEntities, run.chooser.entities);
    const first = o.failures[0];
    if (!first) return false;
    const sample: FailureSample = {
      cause: first.cause,
      detail: first.detail,
      unit: run.unit,
      seq: run.seq,
      replay: encodeReplay({
        scenario: this.target.scenario.name,
        options: this.target.options,
        budget: this.target.budget,
        origin: run.origin,
        decisions: o.decisions,
        choices: o.deviations.map((x) => ({ ordinal: x.ordinal, choice: x.choice, of: x.of })),
      }),
      origin: run.origin,
      deviations: o.deviations,
      causes: [...new Set(o.failures.map((f) => f.cause))],
    };
    const group = d.failures.find((g) => g.cause === first.cause);
    if (!group) d.failures.push({ cause: first.cause, count: 1, first: sample });
    else {
      group.count++;
      if (earlier(sample, group.first)) group.first = sample;
    }
    return true;
  }

  /** The tally as plain data (with per-unit counts filled in). */
  finish(): TallyData {
    this.data.perUnit.length = 0;
    for (const e of [...this.units.entries()].sort((a, b) => a[0] - b[0])) this.data.perUnit.push(e);
    return this.data;
  }
}

/** Merges tallies (from workers or shards) into one. */
export function mergeTallies(parts: readonly TallyData[]): TallyData {
  const out = emptyTally();
  const keys = new Set<string>();
  const ends = new Set<string>();
  const units = new Map<number, number>();
  for (const p of parts) {
    out.schedules += p.schedules;
    for (const k of p.scheduleKeys) if (!keys.has(k)) { keys.add(k); out.scheduleKeys.push(k); }
    for (const e of p.endStates) if (!ends.has(e)) { ends.add(e); out.endStates.push(e); }
    for (const [u, n] of p.perUnit) units.set(u, (units.get(u) ?? 0) + n);
    out.maxThreads = Math.max(out.maxThreads, p.maxThreads);
    out.maxDecisions = Math.max(out.maxDecisions, p.maxDecisions);
    out.maxEntities = Math.max(out.maxEntities, p.maxEntities);
    for (const g of p.failures) {
      const mine = out.failures.find((x) => x.cause === g.cause);
      if (!mine) out.failures.push({ cause: g.cause, count: g.count, first: g.first });
      else {
        mine.count += g.count;
        if (earlier(g.first, mine.first)) mine.first = g.first;
      }
    }
  }
  for (const e of [...units.entries()].sort((a, b) => a[0] - b[0])) out.perUnit.push(e);
  out.failures.sort((a, b) => (earlier(a.first, b.first) ? -1 : 1));
  return out;
}

/**
 * The 1-based position of a unit's schedule in the whole search's order (units in order, the
 * default run first): "found after N schedules".
 */
export function positionOf(data: TallyData, unit: number, seq: number): number {
  let n = 0;
  for (const [u, count] of data.perUnit) if (u < unit) n += count;
  return n + seq + 1;
}
