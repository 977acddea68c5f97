/**
 * Merging the shards of a search. `irpsim explore --shard i/n --json` runs the units whose index
 * is i modulo n of every strategy (the default run, the root of them all, belongs to shard 0) and
 * writes, besides the report, the shard's raw search data: each strategy's tally, the failures' first
 * schedules with their source-line details, and the causes it shrank and explained. Merging the n
 * reports gives the report one search over every unit would have given: tallies add up
 * (schedules, distinct schedules and end states, failures by cause with the earliest schedule of
 * each), and each cause's explanation is the one its earliest schedule's shard made — a cause
 * among a search's first k is always among its own shard's first k, so no shard needs to run
 * anything again.
 *
 * What a merge cannot make whole it says: a missing shard leaves the report incomplete (it never
 * claims a bound was exhausted), and duplicate or incompatible shards are refused.
 */
import { assembleReport, type ExplainedFailure, type ExploreReport } from "./explore.js";
import type { StrategySpec } from "./plan.js";
import { parseBudget } from "./replay-string.js";
import type { Shard, StrategyResult } from "./search.js";
import { mergeTallies, positionOf, type TallyData } from "./tally.js";

/** The version of the raw search data in a `--json` report. */
export const SEARCH_DATA_FORMAT = 1;

/** The raw search data a `--json` report carries for `irpsim merge`. */
export interface SearchData {
  readonly format: number;
  readonly shard: Shard | null;
  readonly undisturbedFailure: boolean;
  /** At most this many causes were shrunk and explained (0: none). */
  readonly shrinkCauses: number;
  readonly elapsedMs: number;
  readonly strategies: readonly {
    readonly spec: StrategySpec;
    readonly name: string;
    readonly tally: TallyData;
    readonly unitsTotal: number;
    readonly unitsRun: number;
    readonly complete: boolean;
    readonly elapsedMs: number;
  }[];
  /** The whole shard's tally (for an undisturbed failure, the default run's), details with source lines. */
  readonly all: TallyData;
  readonly explained: readonly ExplainedFailure[];
}

/** A report's raw search data. */
export function searchData(r: ExploreReport): SearchData {
  return {
    format: SEARCH_DATA_FORMAT,
    shard: r.shard,
    undisturbedFailure: r.undisturbedFailure,
    shrinkCauses: r.shrinkCauses,
    elapsedMs: Math.round(r.elapsedMs),
    strategies: r.strategies.map((s) => ({ spec: s.spec, name: s.name, tally: s.tally, unitsTotal: s.unitsTotal, unitsRun: s.unitsRun, complete: s.complete, elapsedMs: Math.round(s.elapsedMs) })),
    all: r.tally,
    explained: r.explained,
  };
}

/** One shard's report as `irpsim merge` reads it. */
export interface ShardReport {
  /** Where it came from (a file name), for messages. */
  readonly source: string;
  readonly scenario: string;
  readonly options: Readonly<Record<string, string>>;
  readonly budget: string;
  readonly search: SearchData;
}

/** Shards that cannot be merged: duplicates, a mix of searches, or something that is not a shard report. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MergeError";
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Reads a parsed `--json` report as a shard report, or throws a {@link MergeError} saying what is wrong. */
export function readShardReport(json: unknown, source: string): ShardReport {
  const what = `${source} is not a report from 'irpsim explore --json'`;
  if (!isRecord(json)) throw new MergeError(`${what} (not a JSON object)`);
  const { scenario, options, budget, search } = json;
  if (typeof scenario !== "string" || !isRecord(options) || typeof budget !== "string") throw new MergeError(`${what} (no scenario, options or budget)`);
  if (!isRecord(search)) {
    const whole = isRecord(json.strategies) || Array.isArray(json.strategies);
    throw new MergeError(whole && json.shard === null ? `${source} is a whole search, not a shard (it was run without --shard)` : `${what} --shard i/n (it has no 'search' data: made by an older irpsim?)`);
  }
  if (search.format !== SEARCH_DATA_FORMAT) throw new MergeError(`${source}: search data format ${String(search.format)}, but this irpsim reads format ${SEARCH_DATA_FORMAT}`);
  if (!Array.isArray(search.strategies) || !isRecord(search.all) || !Array.isArray(search.explained)) throw new MergeError(`${what} (its search data is incomplete)`);
  const shard = search.shard;
  if (shard !== null && !(isRecord(shard) && Number.isInteger(shard.index) && Number.isInteger(shard.count))) throw new MergeError(`${what} (bad shard)`);
  for (const [k, v] of Object.entries(options)) if (typeof v !== "string") throw new MergeError(`${what} (option ${k} is not a string)`);
  return { source, scenario, options: options as Record<string, string>, budget, search: search as unknown as SearchData };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function optionsText(o: Readonly<Record<string, string>>): string {
  const parts = Object.entries(o)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(",") : "(none)";
}

/** What a merge gives: the report, and the shards that were missing (empty: it is whole). */
export interface MergeResult {
  readonly report: ExploreReport;
  /** The shard count, and the indexes no report was given for. */
  readonly count: number;
  readonly missing: readonly number[];
}

/**
 * Merges shard reports of one search into the report the whole search gives. Throws a
 * {@link MergeError} for duplicates, reports of different searches, or a report that is not a
 * shard of one; missing shards are listed in the result (and the report's statement says so).
 */
export function mergeShardReports(shards: readonly ShardReport[]): MergeResult {
  const first = shards[0];
  if (!first) throw new MergeError("give the shard reports to merge (the --json output of 'irpsim explore --shard i/n')");
  const count = first.search.shard?.count;
  if (count === undefined) throw new MergeError(`${first.source} is a whole search, not a shard (it was run without --shard)`);
  const byIndex = new Map<number, ShardReport>();
  for (const s of shards) {
    const sh = s.search.shard;
    if (!sh) throw new MergeError(`${s.source} is a whole search, not a shard (it was run without --shard)`);
    if (s.scenario !== first.scenario) throw new MergeError(`${s.source} explores scenario '${s.scenario}', but ${first.source} explores '${first.scenario}'`);
    if (!sameJson(s.options, first.options)) throw new MergeError(`${s.source} has options ${optionsText(s.options)}, but ${first.source} has ${optionsText(first.options)}`);
    if (s.budget !== first.budget) throw new MergeError(`${s.source} has budget ${s.budget}, but ${first.source} has ${first.budget}`);
    if (sh.count !== count) throw new MergeError(`${s.source} is shard ${sh.index}/${sh.count}, but ${first.source} is one of ${count} shards`);
    if (sh.index < 0 || sh.index >= count) throw new MergeError(`${s.source} claims shard ${sh.index}/${sh.count}`);
    const names = s.search.strategies.map((x) => x.name).join(", ");
    const firstNames = first.search.strategies.map((x) => x.name).join(", ");
    if (s.search.shrinkCauses !== first.search.shrinkCauses) throw new MergeError(`${s.source} shrank at most ${s.search.shrinkCauses} causes, but ${first.source} ${first.search.shrinkCauses} (--no-shrink on some shards only?)`);
    if (s.search.undisturbedFailure !== first.search.undisturbedFailure) {
      throw new MergeError(`${s.source} and ${first.source} disagree on whether the undisturbed run fails: they are not shards of the same search (a different irpsim or driver?)`);
    }
    if (!s.search.undisturbedFailure && !sameJson(s.search.strategies.map((x) => x.spec), first.search.strategies.map((x) => x.spec))) {
      throw new MergeError(`${s.source} ran strategies ${names || "(none)"}, but ${first.source} ran ${firstNames || "(none)"} (a different --strategy, --runs, --seed, --bound… or --stop)`);
    }
    const dup = byIndex.get(sh.index);
    if (dup) throw new MergeError(`shard ${sh.index}/${count} is given twice: ${dup.source} and ${s.source}`);
    byIndex.set(sh.index, s);
  }
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!byIndex.has(i)) missing.push(i);
  const ordered = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  const target = { options: first.options, budget: parseBudget(first.budget) };
  const elapsedMs = Math.max(...ordered.map((s) => s.search.elapsedMs));
  const whole = missing.length === 0;

  if (first.search.undisturbedFailure) {
    // Every shard ran the same undisturbed run and nothing else: any one of them is the report.
    const s = byIndex.get(0) ?? first;
    const report = assembleReport({ scenario: first.scenario, target, results: [], explained: s.search.explained, all: s.search.all, elapsedMs, shard: null, undisturbedFailure: true, shrinkCauses: first.search.shrinkCauses });
    return { report, count, missing };
  }

  // Each strategy, merged across its shards, as one search's strategy result.
  const results: StrategyResult[] = first.search.strategies.map((spec0, k) => {
    const parts = ordered.map((s) => s.search.strategies[k]).filter((x) => x !== undefined);
    const tally = mergeTallies(parts.map((p) => p.tally));
    const firstFailure = tally.failures[0]?.first;
    return {
      spec: spec0.spec,
      name: spec0.name,
      tally,
      unitsTotal: parts.reduce((n, p) => n + p.unitsTotal, 0),
      unitsRun: parts.reduce((n, p) => n + p.unitsRun, 0),
      complete: whole && parts.every((p) => p.complete),
      elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
      firstFailureAt: firstFailure ? (firstFailure.unit < 0 ? 1 : positionOf(tally, firstFailure.unit, firstFailure.seq)) : null,
    };
  });
  const all = mergeTallies(results.map((r) => r.tally));
  // Each cause's earliest schedule, with the source-line detail and the explanation its shard made.
  const details = new Map<string, string>();
  for (const s of ordered) for (const g of s.search.all.failures) details.set(g.first.replay, g.first.detail);
  for (const g of all.failures) {
    const d = details.get(g.first.replay);
    if (d !== undefined) g.first = { ...g.first, detail: d };
  }
  const explained: ExplainedFailure[] = [];
  for (const g of all.failures.slice(0, first.search.shrinkCauses)) {
    const e = ordered.flatMap((s) => s.search.explained).find((x) => x.cause === g.cause && x.foundReplay === g.first.replay);
    if (e) explained.push({ ...e, count: g.count });
  }
  const report = assembleReport({ scenario: first.scenario, target, results, explained, all, elapsedMs, shard: null, undisturbedFailure: false, shrinkCauses: first.search.shrinkCauses });
  if (whole) return { report, count, missing };
  const missingText = `INCOMPLETE: shard${missing.length === 1 ? "" : "s"} ${missing.map((i) => `${i}/${count}`).join(", ")} missing, so this covers ${ordered.length} of ${count} shards`;
  return { report: { ...report, statement: `${missingText}; ${report.statement}` }, count, missing };
}
