/**
 * Search strategies as plans of independent units, so a search can be split across worker
 * threads and CI shards deterministically: unit i of a random, PCT or delay search is run i (its
 * chooser seeded by the seed and i); unit j of a DFS is the subtree under the j-th deviation from
 * the default run. Every plan starts from the same calibration: the default run.
 */
import { budgetTotal } from "../scenario/injections.js";
import { DelayChooser, PctChooser, PrefixChooser, RandomChooser, type OrdinalChoice } from "./choosers.js";
import type { Chooser } from "./decisions.js";
import { runSchedule, type ExploreTarget, type ScheduleOutcome } from "./run-schedule.js";

/** A strategy and its parameters. */
export type StrategySpec =
  | { /** Random schedules: a random ready thread at each step, injections at random points. */ readonly kind: "random"; /** How many schedules to run. */ readonly runs: number; /** The seed, so the same runs come out every time. */ readonly seed: number }
  | { /** Probabilistic concurrency testing (Burckhardt et al.): random priorities and d - 1 priority changes. */ readonly kind: "pct"; /** How many schedules to run. */ readonly runs: number; /** The seed. */ readonly seed: number; /** The bug depth d it targets. */ readonly depth: number }
  | { /** A few deviations from the default schedule, placed at random steps. */ readonly kind: "delay"; /** How many schedules to run. */ readonly runs: number; /** The seed. */ readonly seed: number; /** How many deviations each schedule makes. */ readonly delays: number }
  | { /** Every schedule with at most `bound` injections and preemptions, depth first. */ readonly kind: "dfs"; /** The most injections and preemptions a schedule may have. */ readonly bound: number };

/** "pct.d2.s1", "dfs.b2": a strategy in a few characters, for replay strings and reports. */
export function strategyName(s: StrategySpec): string {
  switch (s.kind) {
    case "random":
      return `random.s${s.seed}`;
    case "pct":
      return `pct.d${s.depth}.s${s.seed}`;
    case "delay":
      return `delay.b${s.delays}.s${s.seed}`;
    case "dfs":
      return `dfs.b${s.bound}`;
  }
}

/** What the default run tells the strategies. */
export interface Calibration {
  readonly outcome: ScheduleOutcome;
  /** Option counts of the default run's decisions, by ordinal. */
  readonly counts: readonly number[];
}

/** Runs the default schedule (every decision takes option 0). */
export async function calibrate(target: ExploreTarget): Promise<Calibration> {
  const chooser = new PrefixChooser([]);
  const outcome = await runSchedule(target, chooser);
  return { outcome, counts: chooser.counts };
}

/** A schedule a plan ran: what came of it, where it sits in the plan, and its chooser. */
export interface PlannedRun {
  readonly outcome: ScheduleOutcome;
  readonly unit: number;
  /** Position inside the unit, from 0. */
  readonly seq: number;
  /** Where the schedule came from, for its replay string ("pct.d2.s1.r17"). */
  readonly origin: string;
  readonly chooser: Chooser;
}

/** A search as units; `runUnit` reports each schedule and stops early when the callback says so. */
export interface Plan {
  readonly spec: StrategySpec;
  readonly units: number;
  runUnit(unit: number, report: (run: PlannedRun) => boolean): Promise<void>;
}

/** Steps the strategies spread their decisions over: the default run's decisions. */
function stepsOf(c: Calibration): number {
  return Math.max(1, c.outcome.decisions);
}

/** The children of a DFS node: one more deviation, after the node's last one. */
function children(node: readonly OrdinalChoice[], counts: readonly number[]): OrdinalChoice[][] {
  const last = node[node.length - 1]?.ordinal ?? -1;
  const out: OrdinalChoice[][] = [];
  for (let o = last + 1; o < counts.length; o++) {
    const of = counts[o] ?? 0;
    for (let c = 1; c < of; c++) out.push([...node, { ordinal: o, choice: c, of }]);
  }
  return out;
}

/** The plan for a strategy on a target. */
export function makePlan(target: ExploreTarget, spec: StrategySpec, calibration: Calibration): Plan {
  const steps = stepsOf(calibration);
  if (spec.kind === "dfs") {
    const roots = spec.bound > 0 ? children([], calibration.counts) : [];
    const origin = strategyName(spec);
    return {
      spec,
      units: roots.length,
      async runUnit(unit, report) {
        const root = roots[unit];
        if (!root) return;
        // Depth first, children in ascending order, so the enumeration is the same everywhere.
        const stack: OrdinalChoice[][] = [root];
        let seq = 0;
        while (stack.length > 0) {
          const node = stack.pop() as OrdinalChoice[];
          const chooser = new PrefixChooser(node);
          const outcome = await runSchedule(target, chooser);
          if (report({ outcome, unit, seq: seq++, origin, chooser })) return;
          if (node.length < spec.bound) {
            const next = children(node, chooser.counts);
            for (let i = next.length - 1; i >= 0; i--) stack.push(next[i] as OrdinalChoice[]);
          }
        }
      },
    };
  }
  const make = (run: number): Chooser => {
    switch (spec.kind) {
      case "random": {
        const points = Math.max(1, calibration.outcome.injectionDecisions);
        const rate = Math.min(0.5, Math.max(budgetTotal(target.budget), 1) / points);
        return new RandomChooser(spec.seed, run, rate);
      }
      case "pct":
        return new PctChooser(spec.seed, run, spec.depth, steps);
      case "delay":
        return new DelayChooser(spec.seed, run, spec.delays, steps);
    }
  };
  const base = strategyName(spec);
  return {
    spec,
    units: spec.runs,
    async runUnit(unit, report) {
      const chooser = make(unit);
      const outcome = await runSchedule(target, chooser);
      report({ outcome, unit, seq: 0, origin: `${base}.r${unit}`, chooser });
    },
  };
}
