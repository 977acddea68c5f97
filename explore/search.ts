/**
 * Runs one strategy's plan over a shard of its units — on this thread, or spread over worker
 * threads — and tallies what it saw.
 */
import { performance } from "node:perf_hooks";
import type { Calibration, Plan, StrategySpec } from "./plan.js";
import { makePlan, strategyName } from "./plan.js";
import type { ExploreTarget } from "./run-schedule.js";
import type { TargetRef } from "./scenario-ref.js";
import { Tally, mergeTallies, positionOf, type TallyData } from "./tally.js";
import { runUnitsOnWorkers } from "./workers.js";

/** Which part of a search this process runs: units whose index is `index` modulo `count`. */
export interface Shard {
  /** This shard's number, from 1. */
  readonly index: number;
  /** How many shards the search is cut into. */
  readonly count: number;
}

/** Where a search is, for progress displays. */
export interface Progress {
  /** The strategy running. */
  readonly strategy: string;
  /** Units of work done (subtrees for dfs, runs otherwise). */
  readonly unitsDone: number;
  /** Units of work in all. */
  readonly unitsTotal: number;
  /** Schedules run so far. */
  readonly schedules: number;
  /** Failure causes found so far. */
  readonly failures: number;
  /** Wall-clock time so far. */
  readonly elapsedMs: number;
}

/** How to run a search. */
export interface SearchOptions {
  readonly shard?: Shard;
  /** Worker threads (1: run here). */
  readonly workers?: number;
  /** A reference workers use to load the target (required when workers > 1). */
  readonly targetRef?: TargetRef;
  readonly stopAtFirstFailure?: boolean;
  /** Stop after this many schedules (whole units; 0 or absent: no limit). */
  readonly maxSchedules?: number;
  readonly onProgress?: (p: Progress) => void;
}

/** What one strategy's search saw. */
export interface StrategyResult {
  /** The strategy and its parameters. */
  readonly spec: StrategySpec;
  /** The strategy's short name ("dfs.b2", "pct.d3"). */
  readonly name: string;
  /** What its schedules came to: counts, distinct schedules and end states, failures. */
  readonly tally: TallyData;
  /** Units of work it had. */
  readonly unitsTotal: number;
  /** Units of work it ran (fewer when it stopped early). */
  readonly unitsRun: number;
  /** Every unit of the shard ran (for DFS: every schedule up to the bound was explored). */
  readonly complete: boolean;
  /** Wall-clock time it took. */
  readonly elapsedMs: number;
  /** 1-based position of the first failing schedule in the search's order (null: none failed). */
  readonly firstFailureAt: number | null;
}

/** The units a shard owns. */
export function shardUnits(units: number, shard: Shard | undefined): number[] {
  const out: number[] = [];
  const n = shard?.count ?? 1;
  const i = shard?.index ?? 0;
  for (let u = i; u < units; u += n) out.push(u);
  return out;
}

/** Runs `spec` on `target` from `calibration` (whose default run is counted by shard 0 only). */
export async function searchStrategy(target: ExploreTarget, spec: StrategySpec, calibration: Calibration, o: SearchOptions = {}): Promise<StrategyResult> {
  const t0 = performance.now();
  const plan: Plan = makePlan(target, spec, calibration);
  const units = shardUnits(plan.units, o.shard);
  const name = strategyName(spec);
  const base = new Tally(target);
  // The default run belongs to the first shard: it is the root of every search.
  if ((o.shard?.index ?? 0) === 0) base.add({ outcome: calibration.outcome, unit: -1, seq: 0, origin: `${name}.default`, chooser: { choose: () => 0 } });
  const workers = Math.max(1, Math.floor(o.workers ?? 1));
  let parts: TallyData[];
  let unitsRun: number;
  let stopped: boolean;
  if (workers > 1 && units.length > 1) {
    if (!o.targetRef) throw new Error("running on worker threads needs a target reference the workers can load (a shipped scenario name or a module)");
    const r = await runUnitsOnWorkers(o.targetRef, spec, units, workers, {
      stopAtFirstFailure: o.stopAtFirstFailure ?? false,
      maxSchedules: o.maxSchedules ?? 0,
      baseSchedules: base.data.schedules,
      baseFailures: base.data.failures.length,
      onProgress: (done, schedules, failures) => o.onProgress?.({ strategy: name, unitsDone: done, unitsTotal: units.length, schedules, failures, elapsedMs: performance.now() - t0 }),
    });
    parts = [base.finish(), ...r.tallies];
    unitsRun = r.unitsRun;
    stopped = r.stopped;
  } else {
    const tally = new Tally(target);
    // Set from the run callback: an object, so the loop sees the change.
    const state = { stopped: false };
    unitsRun = 0;
    let lastProgress = 0;
    const cap = o.maxSchedules ?? 0;
    for (const u of units) {
      await plan.runUnit(u, (run) => {
        const failed = tally.add(run);
        if ((failed && o.stopAtFirstFailure) || (cap > 0 && tally.data.schedules >= cap)) state.stopped = true;
        return state.stopped;
      });
      unitsRun++;
      const now = performance.now();
      // Every 100 ms, and once at the end.
      if (o.onProgress && (now - lastProgress > 100 || unitsRun === units.length || state.stopped)) {
        lastProgress = now;
        o.onProgress({ strategy: name, unitsDone: unitsRun, unitsTotal: units.length, schedules: tally.data.schedules + base.data.schedules, failures: tally.data.failures.length + base.data.failures.length, elapsedMs: now - t0 });
      }
      if (state.stopped) break;
    }
    stopped = state.stopped;
    parts = [base.finish(), tally.finish()];
  }
  const tally = mergeTallies(parts);
  const first = tally.failures[0]?.first;
  return {
    spec,
    name,
    tally,
    unitsTotal: units.length,
    unitsRun,
    complete: !stopped && unitsRun === units.length,
    elapsedMs: performance.now() - t0,
    firstFailureAt: first ? (first.unit < 0 ? 1 : positionOf(tally, first.unit, first.seq)) : null,
  };
}
