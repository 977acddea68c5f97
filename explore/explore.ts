/**
 * Exploring a scenario: run a strategy (or the default portfolio of strategies, in turn) over its
 * schedules, group the failures by cause, shrink the first schedule of each cause to the fewest
 * injections and preemptions that still fail, and explain it in words with a replay string.
 */
import { performance } from "node:perf_hooks";
import type { InjectionBudget } from "../scenario/injections.js";
import { resolveOptions, type Scenario, type ScenarioResult } from "../scenario/scenario.js";
import { PrefixChooser } from "./choosers.js";
import type { Deviation } from "./decisions.js";
import { explain, type Explanation } from "./explain.js";
import type { Failure } from "./failure.js";
import { calibrate, strategyName, type StrategySpec } from "./plan.js";
import { decodeReplay, encodeReplay, type ReplaySpec } from "./replay-string.js";
import { runSchedule, splitTargetOptions, VERIFIER_OPTION, type ExploreTarget, type ScheduleOutcome } from "./run-schedule.js";
import type { ScenarioRef, TargetRef } from "./scenario-ref.js";
import { searchStrategy, type Progress, type Shard, type StrategyResult } from "./search.js";
import { shrinkFailure } from "./shrink.js";
import { SUPPRESS_OPTION, suppressOptionValue } from "./suppress.js";
import { mergeTallies, Tally, type FailureGroup, type FailureSample, type TallyData } from "./tally.js";

/** A strategy by name; "portfolio" runs several in turn. */
export type StrategyChoice = "portfolio" | "random" | "pct" | "delay" | "dfs";

/** How to explore. Every field has a default. */
export interface ExploreOptions {
  /** The strategy (default "portfolio": dfs to bound 1, pct depth 2, random, delay, pct depth 3, dfs to the bound). */
  readonly strategy?: StrategyChoice;
  /** Runs of each randomized strategy (default 200). */
  readonly runs?: number;
  /** Seed of the randomized strategies (default 1). */
  readonly seed?: number;
  /** DFS bound on injections plus preemptions (default 2). */
  readonly bound?: number;
  /** PCT depth (default 2; the portfolio also runs depth 3). */
  readonly depth?: number;
  /** Delays of the delay-bounding strategy (default 2). */
  readonly delays?: number;
  /** The scenario's options (its defaults otherwise). */
  readonly options?: Readonly<Record<string, string>>;
  /** Injections allowed per run (default: what the scenario declares). */
  readonly budget?: InjectionBudget;
  /** Worker threads (default 1). Workers load the scenario themselves: see `scenarioRef`. */
  readonly workers?: number;
  /** How workers load the scenario: a shipped name or a module URL that exports it. */
  readonly scenarioRef?: ScenarioRef;
  /** Run only this shard of the search ("--shard i/n"). */
  readonly shard?: Shard;
  /**
   * Run every schedule under the verifier (default true; the search's runs go without source
   * lines, which replays restore). Off, a search is about twice as fast but sees only what the
   * machine itself checks; replay strings record the choice.
   */
  readonly verifier?: boolean;
  /**
   * Causes to look past (see suppress.ts): verifier rules ("IrpNotHandled"), bug checks by code or
   * name ("0x44", "MULTIPLE_IRP_COMPLETE_REQUESTS"), "finding <rule>", "check failed: <check>",
   * "deadlock", "time limit"… A run that fails only with these passes, so the search goes on to
   * what lies behind them; a suppressed verifier rule is switched off for the runs. Also given as
   * the "suppress" option (comma-separated), which replay strings carry.
   */
  readonly suppress?: readonly string[];
  /** Stop at the first failing schedule (default false). */
  readonly stopAtFirstFailure?: boolean;
  /** Stop each strategy after this many schedules (default: DFS is capped at 20 × runs in the portfolio, else no cap). */
  readonly maxSchedules?: number;
  /** Shrink and explain the failures (default true); at most this many causes (default 4). */
  readonly shrink?: boolean;
  /** How many failure causes to shrink and explain at most (default 4). */
  readonly shrinkCauses?: number;
  /** Called now and then while the search runs, with how far it has got. */
  readonly onProgress?: (p: Progress) => void;
}

/** A failure cause, shrunk and explained. */
export interface ExplainedFailure {
  /** What went wrong, in a line ("bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS"). */
  readonly cause: string;
  /** How many schedules failed with this cause. */
  readonly count: number;
  /** The replay string of the shrunk schedule (or of the original, when shrinking kept nothing out). */
  readonly replay: string;
  /** The replay string of the schedule as the search found it. */
  readonly foundReplay: string;
  /** The shrunk schedule's injections and preemptions. */
  readonly deviations: readonly Deviation[];
  /** How many injections and preemptions the schedule had before shrinking. */
  readonly originalDeviations: number;
  /** What happened, step by step, at the driver's source lines. */
  readonly explanation: Explanation;
  /** The shrunk replay, run again exactly, fails with the same cause. */
  readonly reproduced: boolean;
}

/** What an exploration found. */
export interface ExploreReport {
  /** The scenario explored. */
  readonly scenario: string;
  /** The scenario options it was explored with. */
  readonly options: Readonly<Record<string, string>>;
  /** The events each run could inject, and how many of each. */
  readonly budget: InjectionBudget;
  /** Each strategy's run, in order. */
  readonly strategies: readonly StrategyResult[];
  /** Schedules run, all strategies together. */
  readonly schedules: number;
  /** Of those, how many were different schedules. */
  readonly distinctSchedules: number;
  /** How many different end states the runs reached. */
  readonly distinctEndStates: number;
  /** The failing schedules, grouped by cause. */
  readonly failures: readonly FailureGroup[];
  /** The failure causes shrunk and explained (at most `shrinkCauses`). */
  readonly explained: readonly ExplainedFailure[];
  /** Wall-clock time of the whole exploration (search, shrinking, explaining). */
  readonly elapsedMs: number;
  /** Schedules per second of the search itself. */
  readonly schedulesPerSecond: number;
  /** The search's result in one sentence ("all schedules up to bound 2 explored: 812 distinct, none failed"). */
  readonly statement: string;
  /** PCT's guarantee per run, when PCT ran: 1/(n·k^(d-1)) from the observed n and k. */
  readonly pctBound: { /** PCT's bug depth d. */ readonly depth: number; /** The threads and events seen, n. */ readonly n: number; /** The steps seen, k. */ readonly k: number; /** The probability per run of finding a bug of depth d. */ readonly probability: number } | null;
  /** The undisturbed run (no injection, no preemption) failed, so no strategy ran: its failure is the report. */
  readonly undisturbedFailure: boolean;
  /** The shard this report covers (null: the whole search). */
  readonly shard: Shard | null;
  /** Every strategy's tally merged: what `irpsim merge` adds up across shards. */
  readonly tally: TallyData;
  /** At most this many causes were shrunk and explained (0: shrinking was off). */
  readonly shrinkCauses: number;
}

/** The strategies a choice runs, in order. */
export function strategiesFor(o: ExploreOptions): StrategySpec[] {
  const runs = o.runs ?? 200;
  const seed = o.seed ?? 1;
  const bound = o.bound ?? 2;
  const depth = o.depth ?? 2;
  const delays = o.delays ?? 2;
  switch (o.strategy ?? "portfolio") {
    case "random":
      return [{ kind: "random", runs, seed }];
    case "pct":
      return [{ kind: "pct", runs, seed, depth }];
    case "delay":
      return [{ kind: "delay", runs, seed, delays }];
    case "dfs":
      return [{ kind: "dfs", bound }];
    case "portfolio":
      return [
        { kind: "dfs", bound: Math.min(1, bound) },
        { kind: "pct", runs, seed, depth },
        { kind: "random", runs, seed },
        { kind: "delay", runs, seed, delays },
        { kind: "pct", runs, seed, depth: depth + 1 },
        ...(bound > 1 ? [{ kind: "dfs" as const, bound }] : []),
      ];
  }
}

/**
 * The target for a scenario and options (`verifier=off` among them, or `verifier: false`, runs it
 * unverified; `suppress=…` or `suppress: [...]` looks past those causes).
 */
export function targetOf(scenario: Scenario, o: Pick<ExploreOptions, "options" | "budget" | "verifier" | "suppress"> = {}): ExploreTarget {
  const { scenarioOptions, verified } = splitTargetOptions(o.options ?? {});
  const options = resolveOptions(scenario, scenarioOptions);
  if (!verified || o.verifier === false) options[VERIFIER_OPTION] = "off";
  const suppress = [...(o.options?.[SUPPRESS_OPTION] ?? "").split(",").filter((x) => x.trim() !== ""), ...(o.suppress ?? [])];
  if (suppress.length > 0) options[SUPPRESS_OPTION] = suppressOptionValue([...new Set(suppress.map((x) => x.trim()))]);
  return { scenario, options, budget: o.budget ?? scenario.injections ?? {} };
}

function statementOf(results: readonly StrategyResult[], schedules: number, failures: readonly FailureGroup[]): string {
  const failed = failures.reduce((n, g) => n + g.count, 0);
  const dfs = [...results].reverse().find((r) => r.spec.kind === "dfs");
  const outcome = failed === 0 ? "none failed" : `${failed} failed (${failures.length} cause${failures.length === 1 ? "" : "s"})`;
  if (dfs && dfs.spec.kind === "dfs" && dfs.complete) {
    const extra = results.length > 1 ? `; ${schedules} schedules in all` : "";
    return `all schedules up to bound ${dfs.spec.bound} explored: ${dfs.tally.scheduleKeys.length} distinct, ${failed === 0 ? "none failed" : outcome}${extra}`;
  }
  return `${schedules} schedules explored (${results.map((r) => r.name).join(", ")}${results.some((r) => r.spec.kind === "dfs" && !r.complete) ? "; DFS stopped before its bound was exhausted" : ""}): ${outcome}`;
}

/** A failing schedule's sample with its detail from a run that records source lines (unchanged if that run fails otherwise). */
async function withSourceLines(target: ExploreTarget, sample: FailureSample): Promise<FailureSample> {
  const outcome = await runSchedule(target, new PrefixChooser(decodeReplay(sample.replay).choices), { sourceLines: true });
  const f = outcome.failures[0];
  return f && f.cause === sample.cause ? { ...sample, detail: f.detail } : sample;
}

/** Shrinks and explains one failure cause. */
export async function explainFailure(target: ExploreTarget, group: FailureGroup): Promise<ExplainedFailure> {
  const shrunk = await shrinkFailure(target, group.cause, group.first.deviations);
  const kept = shrunk.outcome.failures[0]?.cause === group.cause ? shrunk.deviations : group.first.deviations;
  // The exact replay of the shrunk schedule, with every point's source line, is what we explain.
  const exact = kept.map((d) => ({ ordinal: d.ordinal, choice: d.choice, of: d.of }));
  const replayed = await runSchedule(target, new PrefixChooser(exact), { points: true });
  const reproduced = replayed.failures[0]?.cause === group.cause;
  const replay = reproduced
    ? encodeReplay({ scenario: target.scenario.name, options: target.options, budget: target.budget, origin: `${group.first.origin}.shrunk`, decisions: replayed.decisions, choices: exact })
    : group.first.replay;
  const explanation = reproduced ? explain(replayed, kept) : explain(replayed);
  return { cause: group.cause, count: group.count, replay, foundReplay: group.first.replay, deviations: kept, originalDeviations: group.first.deviations.length, explanation, reproduced };
}

/** What a report is assembled from: one search's (or the merged shards') strategy results and explanations. */
export interface ReportParts {
  readonly scenario: string;
  readonly target: Pick<ExploreTarget, "options" | "budget">;
  readonly results: readonly StrategyResult[];
  readonly explained: readonly ExplainedFailure[];
  /** Every strategy's tally merged, failures by cause with each cause's earliest schedule. */
  readonly all: TallyData;
  readonly elapsedMs: number;
  /** The shard this report covers (null: the whole search). */
  readonly shard: Shard | null;
  /** The undisturbed run failed, so nothing else ran. */
  readonly undisturbedFailure: boolean;
  readonly shrinkCauses: number;
}

/**
 * The report from its parts: the default run is the root of every strategy and counted once;
 * throughput is the search's (shrinking and explaining come after it).
 */
export function assembleReport(p: ReportParts): ExploreReport {
  const { results, all } = p;
  const defaultCounted = results.length - 1 > 0 && (p.shard?.index ?? 0) === 0 ? results.length - 1 : 0;
  const schedules = all.schedules - defaultCounted;
  const searchMs = results.reduce((n, r) => n + r.elapsedMs, 0);
  const pct = [...results].reverse().find((r) => r.spec.kind === "pct");
  const pctBound =
    pct && pct.spec.kind === "pct"
      ? (() => {
          const n = Math.max(1, pct.tally.maxEntities);
          const k = Math.max(1, pct.tally.maxDecisions);
          const depth = pct.spec.depth;
          return { depth, n, k, probability: 1 / (n * k ** (depth - 1)) };
        })()
      : null;
  return {
    scenario: p.scenario,
    options: p.target.options,
    budget: p.target.budget,
    strategies: results,
    schedules,
    distinctSchedules: all.scheduleKeys.length,
    distinctEndStates: all.endStates.length,
    failures: all.failures,
    explained: p.explained,
    elapsedMs: p.elapsedMs,
    schedulesPerSecond: p.undisturbedFailure ? 0 : schedules / Math.max(searchMs / 1000, 1e-9),
    statement: p.undisturbedFailure ? undisturbedStatement(all.failures[0]) : statementOf(results, schedules, all.failures),
    pctBound,
    undisturbedFailure: p.undisturbedFailure,
    shard: p.shard,
    tally: all,
    shrinkCauses: p.shrinkCauses,
  };
}

function undisturbedStatement(g: FailureGroup | undefined): string {
  return `the undisturbed run (no injection, no preemption) already fails with ${g?.cause ?? "a failure"}, so nothing else was explored: fix it, or suppress that cause to look past it`;
}

/**
 * Explores a scenario and reports what it found (it does not throw on failures: see {@link explore}).
 * When the undisturbed run — every decision at its default — already fails, that failure is the
 * report: no strategy runs, since every schedule would start from a failing root.
 */
export async function exploreScenario(scenario: Scenario, o: ExploreOptions = {}): Promise<ExploreReport> {
  const t0 = performance.now();
  const target = targetOf(scenario, o);
  const targetRef: TargetRef | undefined = o.scenarioRef ? { scenario: o.scenarioRef, options: target.options, budget: target.budget } : undefined;
  const calibration = await calibrate(target);
  const shard = o.shard ?? null;
  const verified = splitTargetOptions(target.options).verified;
  const shrinkCauses = (o.shrink ?? true) ? (o.shrinkCauses ?? 4) : 0;
  const explainAll = async (all: TallyData): Promise<ExplainedFailure[]> => {
    // The search's runs carried no source lines: each cause's first schedule is run again with them,
    // so its detail reads as the replay's will.
    if (verified) for (const g of all.failures) g.first = await withSourceLines(target, g.first);
    const explained: ExplainedFailure[] = [];
    for (const g of all.failures.slice(0, shrinkCauses)) explained.push(await explainFailure(target, g));
    return explained;
  };
  if (calibration.outcome.failures.length > 0) {
    const t = new Tally(target);
    t.add({ outcome: calibration.outcome, unit: -1, seq: 0, origin: "default", chooser: { choose: () => 0 } });
    const all = t.finish();
    const explained = await explainAll(all);
    return assembleReport({ scenario: scenario.name, target, results: [], explained, all, elapsedMs: performance.now() - t0, shard, undisturbedFailure: true, shrinkCauses });
  }
  const specs = strategiesFor(o);
  const portfolio = (o.strategy ?? "portfolio") === "portfolio";
  const results: StrategyResult[] = [];
  for (const spec of specs) {
    const cap = o.maxSchedules ?? (portfolio && spec.kind === "dfs" && spec.bound > 1 ? 20 * (o.runs ?? 200) : 0);
    const r = await searchStrategy(target, spec, calibration, {
      ...(o.shard ? { shard: o.shard } : {}),
      workers: o.workers ?? 1,
      ...(targetRef ? { targetRef } : {}),
      stopAtFirstFailure: o.stopAtFirstFailure ?? false,
      maxSchedules: cap,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    results.push(r);
    if ((o.stopAtFirstFailure ?? false) && r.tally.failures.length > 0) break;
  }
  const all = mergeTallies(results.map((r) => r.tally));
  const explained = await explainAll(all);
  return assembleReport({ scenario: scenario.name, target, results, explained, all, elapsedMs: performance.now() - t0, shard, undisturbedFailure: false, shrinkCauses });
}

/** An exploration found failing schedules: the message carries each shrunk replay string and its explanation. */
export class ExplorationFailure extends Error {
  /**
   * @param report what the exploration found; the message has its failures, explanations and replay
   * strings.
   */
  constructor(readonly report: ExploreReport) {
    super(formatFailureMessage(report));
    this.name = "ExplorationFailure";
  }
}

function formatFailureMessage(r: ExploreReport): string {
  const lines = [`${r.scenario}: ${r.statement}`];
  for (const f of r.explained) {
    lines.push("", `${f.cause} (${f.count} schedule${f.count === 1 ? "" : "s"}), shrunk to ${f.deviations.length} step${f.deviations.length === 1 ? "" : "s"}:`, f.explanation.text, `  replay: irpsim replay ${f.replay}`);
  }
  for (const g of r.failures.slice(r.explained.length)) lines.push("", `${g.cause} (${g.count}): replay ${g.first.replay}`);
  return lines.join("\n");
}

/**
 * For a user's own tests: explores the scenario and throws an {@link ExplorationFailure} whose
 * message has the shrunk replay string and the explanation of each failure. Stops at the first
 * failing schedule unless told otherwise. Resolves with the report when nothing failed.
 */
export async function explore(scenario: Scenario, o: ExploreOptions = {}): Promise<ExploreReport> {
  const report = await exploreScenario(scenario, { stopAtFirstFailure: true, ...o });
  if (report.failures.length > 0) throw new ExplorationFailure(report);
  return report;
}

/** What replaying a string gives. */
export interface ReplayResult {
  /** The decoded replay string. */
  readonly spec: ReplaySpec;
  /** The run's outcome: its failures, decisions and injections. */
  readonly outcome: ScheduleOutcome;
  /** The scenario's result: its machine, checks and every trace event. */
  readonly result: ScenarioResult;
  /** How the replayed run failed (empty: it passed). */
  readonly failures: readonly Failure[];
  /** What happened, step by step, at the driver's source lines. */
  readonly explanation: Explanation;
  /** Why the run did not follow the recorded schedule (null: it did, decision for decision). */
  readonly mismatch: string | null;
}

/** Replays a replay string on `scenario` with tracing on (the string's scenario name must match). */
export async function replaySchedule(scenario: Scenario, replay: string | ReplaySpec): Promise<ReplayResult> {
  const spec = typeof replay === "string" ? decodeReplay(replay) : replay;
  if (spec.scenario !== scenario.name) throw new Error(`the replay string is for scenario '${spec.scenario}', not '${scenario.name}'`);
  const target = targetOf(scenario, { options: spec.options, budget: spec.budget });
  const chooser = new PrefixChooser(spec.choices);
  const outcome = await runSchedule(target, chooser, { trace: true, points: true, keepResult: true });
  const result = outcome.result as ScenarioResult;
  const mismatch = chooser.mismatch ?? (outcome.decisions !== spec.decisions ? `the run made ${outcome.decisions} decisions, but the string recorded ${spec.decisions}` : null);
  return { spec, outcome, result, failures: outcome.failures, explanation: explain(outcome), mismatch };
}

export { strategyName };
