/**
 * An exploration's report for people (text) and for tools (JSON): the strategies run, the
 * schedules and end states seen, PCT's guarantee, the result in one sentence, and each failure
 * cause with its shrunk schedule in words and its replay string.
 */
import { formatBudget } from "./replay-string.js";
import type { ExploreReport } from "./explore.js";
import { searchData } from "./merge.js";
import { INJECTION_KINDS, type InjectionBudget } from "../scenario/injections.js";

/** "cancel 1, death 1". */
export function budgetWords(b: InjectionBudget): string {
  const parts = INJECTION_KINDS.filter((k) => (b[k] ?? 0) > 0).map((k) => `${k} ${b[k] ?? 0}`);
  return parts.length > 0 ? parts.join(", ") : "no injections";
}

function percent(p: number): string {
  return p >= 0.01 ? `${(p * 100).toFixed(2)}%` : p >= 1e-4 ? `${(p * 100).toFixed(4)}%` : p.toExponential(2);
}

/** How {@link formatExploreText} writes its replay lines. */
export interface ExploreTextOptions {
  /**
   * The module the scenario came from, when it is not a shipped one: each replay line then ends
   * with `--scenario <file>`, so it runs as printed.
   */
  readonly scenarioFile?: string;
}

/** A path as a POSIX shell reads it back: as it is when it is made of safe characters, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** The report as text. */
export function formatExploreText(r: ExploreReport, o: ExploreTextOptions = {}): string {
  const from = o.scenarioFile !== undefined ? ` --scenario ${shellWord(o.scenarioFile)}` : "";
  const opts = Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(", ");
  const lines = [`explore ${r.scenario}${opts ? ` (${opts})` : ""}; budget: ${budgetWords(r.budget)}`, ""];
  if (r.shard) lines.push(`  shard ${r.shard.index}/${r.shard.count} of the search (merge the shards' --json reports with 'irpsim merge')`);
  if (r.undisturbedFailure) lines.push("  the undisturbed run (every decision at its default) fails: no strategy was run");
  const width = Math.max(...r.strategies.map((s) => s.name.length), 8);
  for (const s of r.strategies) {
    const state = s.spec.kind === "dfs" ? (s.complete ? "complete" : "stopped") : `${s.unitsRun} of ${s.unitsTotal} runs`;
    const found = s.firstFailureAt === null ? "no failure" : `first failure at schedule ${s.firstFailureAt}`;
    lines.push(`  ${s.name.padEnd(width)}  ${String(s.tally.schedules).padStart(7)} schedules  ${found}  (${state}, ${(s.elapsedMs / 1000).toFixed(1)} s)`);
  }
  lines.push(
    "",
    `Schedules: ${r.schedules} run, ${r.distinctSchedules} distinct, ${r.distinctEndStates} distinct end state${r.distinctEndStates === 1 ? "" : "s"}; ${Math.round(r.schedulesPerSecond)} schedules/s (${(r.elapsedMs / 1000).toFixed(1)} s)`,
  );
  if (r.pctBound) {
    const b = r.pctBound;
    lines.push(`PCT: each run finds a given depth-${b.depth} bug with probability at least 1/(n·k^${b.depth - 1}) = ${percent(b.probability)} (n = ${b.n} threads and injectable events, k = ${b.k} steps)`);
  }
  lines.push(`Result: ${r.statement}`);
  if (r.failures.length > 0) {
    lines.push("", "Failures by cause");
    for (const g of r.failures) {
      const e = r.explained.find((x) => x.cause === g.cause);
      lines.push(`  ${g.cause} — ${g.count} schedule${g.count === 1 ? "" : "s"}`);
      if (e) {
        if (e.deviations.length === 0) lines.push("    the deterministic run itself fails (no injection, no preemption):");
        else lines.push(`    shrunk from ${e.originalDeviations} to ${e.deviations.length} step${e.deviations.length === 1 ? "" : "s"}${e.reproduced ? "" : " (the shrunk replay did not reproduce it: the replay below is the schedule as found)"}:`);
        lines.push(...e.explanation.text.split("\n").map((l) => `    ${l}`));
        lines.push(`    replay: irpsim replay ${e.replay}${from}`);
      } else {
        lines.push(`    ${g.first.detail}`, `    replay: irpsim replay ${g.first.replay}${from}`);
      }
    }
  }
  return lines.join("\n");
}

/** The report as plain data for `--json`. */
export function exploreJson(r: ExploreReport): unknown {
  return {
    scenario: r.scenario,
    options: r.options,
    budget: formatBudget(r.budget),
    schedules: r.schedules,
    distinctSchedules: r.distinctSchedules,
    distinctEndStates: r.distinctEndStates,
    schedulesPerSecond: Math.round(r.schedulesPerSecond),
    elapsedMs: Math.round(r.elapsedMs),
    statement: r.statement,
    undisturbedFailure: r.undisturbedFailure,
    shard: r.shard,
    pctBound: r.pctBound,
    strategies: r.strategies.map((s) => ({ name: s.name, schedules: s.tally.schedules, units: s.unitsTotal, unitsRun: s.unitsRun, complete: s.complete, firstFailureAt: s.firstFailureAt, elapsedMs: Math.round(s.elapsedMs) })),
    failures: r.failures.map((g) => {
      const e = r.explained.find((x) => x.cause === g.cause);
      return {
        cause: g.cause,
        count: g.count,
        detail: g.first.detail,
        foundReplay: g.first.replay,
        replay: e?.replay ?? g.first.replay,
        steps: e?.explanation.steps ?? null,
        explanation: e?.explanation.summary ?? null,
        reproduced: e?.reproduced ?? null,
      };
    }),
    // A shard's raw search, for 'irpsim merge' (tallies, first schedules, explanations).
    ...(r.shard ? { search: searchData(r) } : {}),
  };
}
