/**
 * Exploration figures: schedules per second on the sharebuf scenario with one death and one
 * cancel injectable, the speed-up of two worker threads, and how many runs each strategy needs
 * to find each race sample.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { exploreScenario, type StrategyChoice } from "../explore/explore.js";
import { closeExploreWorkers } from "../explore/workers.js";
import { runScenario } from "../scenario/scenario.js";
import { sharebufScenario } from "../samples/sharebuf/scenario.js";
import { sharebufRaceScenarios } from "../samples/sharebuf-races/index.js";
import { notifyRaceScenarios } from "../samples/notify-races/index.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { collectGarbage, round } from "./harness.js";

/** Schedules per second of a random search of `runs` schedules of sharebuf (d1c1) on `workers` threads. */
async function searchRate(runs: number, workers: number, seed: number, verifier = true): Promise<number> {
  const t0 = performance.now();
  const r = await exploreScenario(sharebufScenario, { strategy: "random", runs, seed, workers, scenarioRef: { shipped: "sharebuf" }, shrink: false, verifier });
  return r.schedules / ((performance.now() - t0) / 1000);
}

/** Plain runs of the scenario per second (no explorer): the baseline the exploration is compared with. */
async function plainRate(runs: number, verifier = true): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const r = await runScenario(sharebufScenario, { flightRecorder: 0, verifier });
    r.machine.dispose();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return runs / ((performance.now() - t0) / 1000);
}

/** Best of three search and plain rates, verified or not. */
async function rates(verifier: boolean): Promise<{ rate: number; plain: number }> {
  await searchRate(2000, 1, 99, verifier); // warm-up
  await plainRate(1000, verifier);
  await collectGarbage();
  // Best of three: the figure is the explorer's speed, not a collection that lands in one try.
  let rate = 0;
  let plain = 0;
  for (let i = 0; i < 3; i++) {
    plain = Math.max(plain, await plainRate(3000, verifier));
    await collectGarbage();
    rate = Math.max(rate, await searchRate(5000, 1, i + 1, verifier));
    await collectGarbage();
  }
  return { rate, plain };
}

const throughput: Benchmark = {
  name: "explore.schedules_per_s",
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    // The default search runs every schedule under the verifier; --no-verifier trades its checks for
    // speed. Unverified first: verified runs leave the shared code paths with more shapes to handle.
    for (const verifier of [false, true]) {
      const { rate, plain } = await rates(verifier);
      out.push({
        name: verifier ? "explore.schedules_per_s" : "explore.schedules_per_s_unverified",
        value: round(rate, 0),
        unit: `schedules/s, sharebuf with one death and one cancel injectable (random search, one thread${verifier ? ", verifier on" : ", --no-verifier"})`,
        baseline: round(plain, 0),
        ratio: round(rate / plain, 3),
        goal: "≥ 5,000 schedules/s on one core (ratio: to plain runs of the scenario, verified alike, without the explorer)",
        met: rate >= 5000,
      });
    }
    return out;
  },
};

const speedup: Benchmark = {
  name: "explore.worker_speedup",
  async run(): Promise<BenchResult[]> {
    // The first search in a process starts its workers, which load, calibrate and warm up inside it.
    await closeExploreWorkers();
    await collectGarbage();
    const cold = await searchRate(60_000, 2, 97);
    await searchRate(2000, 1, 98); // warm-up of the one-thread search (the workers are warm now)
    // Steady state: both sides warm, the workers the ones the earlier searches left idle.
    let one = 0;
    let two = 0;
    for (let i = 0; i < 2; i++) {
      await collectGarbage();
      one = Math.max(one, await searchRate(60_000, 1, i + 1));
      await collectGarbage();
      two = Math.max(two, await searchRate(60_000, 2, i + 1));
    }
    const cores = availableParallelism();
    return [
      {
        name: "explore.worker_speedup",
        value: round(two / one, 2),
        unit: `× with 2 worker threads, reused from an earlier search (${cores} logical CPUs available; ${round(two, 0)} schedules/s)`,
        baseline: round(one, 0),
        ratio: round(two / one, 2),
        goal: "≥ 1.7× on 2 cores",
        met: two / one >= 1.7,
      },
      {
        name: "explore.worker_speedup_first_search",
        value: round(cold / one, 2),
        unit: `× with 2 worker threads started for the search (${round(cold, 0)} schedules/s; each worker's start and warm-up falls inside it)`,
        baseline: round(one, 0),
        ratio: round(cold / one, 2),
        goal: "none: shows what starting the workers costs a 60,000-schedule search",
        met: null,
      },
    ];
  },
};

const SEEDS = [1, 2, 3, 4, 5];

const runsToFind: Benchmark = {
  name: "explore.runs_to_find",
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    for (const s of [...sharebufRaceScenarios, ...notifyRaceScenarios]) {
      const dfs = await exploreScenario(s, { strategy: "dfs", bound: 2, stopAtFirstFailure: true, shrink: false });
      const at = dfs.strategies[0]?.firstFailureAt ?? null;
      out.push({ name: `explore.runs_to_find.${s.name}.dfs`, value: at ?? -1, unit: "schedules (dfs, bound 2)", baseline: null, ratio: null, goal: "found within bound 2", met: at !== null });
      for (const strategy of ["pct", "random", "delay"] as StrategyChoice[]) {
        const found: number[] = [];
        for (const seed of SEEDS) {
          const r = await exploreScenario(s, { strategy, runs: 5000, seed, stopAtFirstFailure: true, shrink: false });
          found.push(r.strategies[0]?.firstFailureAt ?? Infinity);
        }
        const worst = Math.max(...found);
        const mean = found.reduce((a, b) => a + b, 0) / found.length;
        out.push({
          name: `explore.runs_to_find.${s.name}.${strategy}`,
          value: Number.isFinite(mean) ? round(mean, 0) : -1,
          unit: `runs, mean of seeds 1–5 (${found.map((x) => (Number.isFinite(x) ? x : "—")).join(", ")})`,
          baseline: null,
          ratio: null,
          goal: "found within 5,000 runs for every seed",
          met: Number.isFinite(worst),
        });
      }
    }
    return out;
  },
};

export const exploreBenchmarks: Benchmark[] = [throughput, speedup, runsToFind];
