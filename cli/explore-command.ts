/**
 * `irpsim explore <scenario>`: searches a scenario's schedules (which thread runs next, which
 * cancel, death, close… is injected where) for failures, and prints each failure shrunk,
 * explained and with its replay string. `irpsim replay <string>` runs one back.
 */
import { pathToFileURL } from "node:url";
import path from "node:path";
import { exploreScenario, type ExploreOptions, type StrategyChoice } from "../explore/explore.js";
import { exploreJson, formatExploreText } from "../explore/report.js";
import { parseBudget } from "../explore/replay-string.js";
import type { ScenarioRef } from "../explore/scenario-ref.js";
import { suppressOptionValue } from "../explore/suppress.js";
import type { Progress, Shard } from "../explore/search.js";
import { resolveOptions } from "../scenario/scenario.js";
import { canRedraw } from "./color.js";
import { commands, type OptionValues } from "./commands.js";
import { findTarget } from "./scenario-loader.js";

const STRATEGIES: readonly StrategyChoice[] = ["portfolio", "random", "pct", "delay", "dfs"];

/** Parses "i/n" (0 ≤ i < n). */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return `--shard takes i/n, like 0/4 (got '${text}')`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) return `--shard ${text}: the index must be below the count (0/${count} … ${Math.max(0, count - 1)}/${count})`;
  return { index, count };
}

function wholeNumber(values: OptionValues, name: string, min: number): number | undefined | string {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < min) return `--${name} takes a whole number of at least ${min} (got '${String(v)}')`;
  return n;
}

/** Progress: a bar rewritten in place on a terminal, a plain line every two seconds otherwise. */
function progressPrinter(tty: boolean): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const line = `${p.strategy}: ${p.unitsDone}/${p.unitsTotal} ${p.strategy.startsWith("dfs") ? "subtrees" : "runs"}, ${p.schedules} schedules, ${p.failures} failure cause${p.failures === 1 ? "" : "s"}, ${Math.round(p.schedules / Math.max(p.elapsedMs / 1000, 1e-3))}/s`;
    if (tty) {
      const width = 24;
      const filled = Math.round((p.unitsDone / Math.max(1, p.unitsTotal)) * width);
      process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${line}\u001b[K`);
    } else if (p.elapsedMs - last >= 2000 || p.unitsDone === p.unitsTotal) {
      last = p.elapsedMs;
      process.stderr.write(`explore: ${line}\n`);
    }
  };
}

commands.set("explore", {
  summary: "search a scenario's schedules and injections for failures",
  help: [
    "irpsim explore <scenario | path/to/scenario.ts or .js> [options]",
    "irpsim explore [name] --scenario path/to/scenarios.ts [options]",
    "",
    "Runs the scenario many times, choosing differently at its decision points: which ready thread",
    "runs next, and at each kernel routine a driver calls whether to inject a cancel, a process",
    "death, a handle close, an early timer… (as the scenario's budget allows). Each failure (bug",
    "check, deadlock, finding, zombie process, failed check) is shrunk to the fewest injections and",
    "preemptions that still fail, explained, and printed with a replay string for 'irpsim replay'.",
    "",
    "  --scenario <path>   the module (.ts or .js) to take the scenario from, named by the argument",
    "                      (default: its default or first export); replay lines then carry it too",
    "  --strategy <s>      portfolio (default: dfs to bound 1, pct, random, delay, pct depth+1, dfs),",
    "                      random, pct, delay or dfs",
    "  --runs <n>          runs of each randomized strategy (default 200)",
    "  --seed <n>          seed of the randomized strategies (default 1)",
    "  --bound <n>         dfs: explore every schedule with at most n injections and preemptions (default 2)",
    "  --depth <d>         pct: bug depth (default 2)",
    "  --delays <n>        delay bounding: delays per run (default 2)",
    "  --budget <b>        injections per run, e.g. c1d1 or cancel=1,death=1 (default: the scenario's)",
    "  --ending <name>     the scenario's variant (sharebuf: done-using, killed, closed)",
    "  -o, --option <k=v>  any scenario option (repeatable)",
    "  --workers <n>       worker threads (default 1)",
    "  --shard <i/n>       run only shard i of n of the same search (for CI matrices)",
    "  --max-schedules <n> stop each strategy after n schedules",
    "  --suppress <cause>  look past a known cause and keep searching (repeatable): a verifier rule",
    "                      (IrpNotHandled; it is also switched off), a bug check (0x44 or its name),",
    "                      'finding <rule>', 'check failed: <check>', deadlock, 'time limit'",
    "  --stop              stop at the first failing schedule",
    "  --no-shrink         report failures as found, without shrinking them",
    "  --no-verifier       run the schedules without the verifier (faster; replay strings remember it)",
    "  --json              print the report as JSON",
    "",
    "Exit status: 0 when no schedule failed, 1 when one did, 2 on bad usage.",
  ].join("\n"),
  options: {
    strategy: { type: "string", default: "portfolio" },
    runs: { type: "string" },
    seed: { type: "string" },
    bound: { type: "string" },
    depth: { type: "string" },
    delays: { type: "string" },
    budget: { type: "string" },
    scenario: { type: "string" },
    ending: { type: "string" },
    option: { type: "string", short: "o", multiple: true },
    workers: { type: "string" },
    shard: { type: "string" },
    "max-schedules": { type: "string" },
    suppress: { type: "string", multiple: true },
    stop: { type: "boolean", default: false },
    "no-shrink": { type: "boolean", default: false },
    "no-verifier": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const fail = (message: string): number => {
      console.error(`irpsim explore: ${message}`);
      return 2;
    };
    const strategy = String(values.strategy ?? "portfolio") as StrategyChoice;
    if (!STRATEGIES.includes(strategy)) return fail(`unknown --strategy '${strategy}' (${STRATEGIES.join(", ")})`);
    const numbers: Record<string, number | undefined> = {};
    for (const [name, min] of [["runs", 1], ["seed", 0], ["bound", 0], ["depth", 1], ["delays", 1], ["workers", 1], ["max-schedules", 1]] as const) {
      const n = wholeNumber(values, name, min);
      if (typeof n === "string") return fail(n);
      numbers[name] = n;
    }
    const loaded = await findTarget(positionals, typeof values.scenario === "string" ? values.scenario : undefined);
    if (typeof loaded === "string") return fail(loaded);
    const s = loaded.scenario;
    const given: Record<string, string> = {};
    if (typeof values.ending === "string") given.ending = values.ending;
    for (const kv of Array.isArray(values.option) ? values.option : []) {
      const text = String(kv);
      const eq = text.indexOf("=");
      if (eq <= 0) return fail(`--option takes name=value (got '${text}')`);
      given[text.slice(0, eq)] = text.slice(eq + 1);
    }
    try {
      resolveOptions(s, given);
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    let budget;
    if (typeof values.budget === "string") {
      try {
        budget = parseBudget(values.budget);
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
    }
    let shard: Shard | undefined;
    if (typeof values.shard === "string") {
      const parsed = parseShard(values.shard);
      if (typeof parsed === "string") return fail(parsed);
      shard = parsed;
    }
    const suppress = (Array.isArray(values.suppress) ? values.suppress : []).map(String);
    try {
      suppressOptionValue(suppress);
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    // Workers load the scenario themselves: a shipped one by name, else the same export of the same module.
    const file = loaded.file;
    const scenarioRef: ScenarioRef = file !== null ? { module: pathToFileURL(path.resolve(file)).href, exportName: loaded.exportName } : { shipped: s.name };
    const json = values.json === true;
    const tty = canRedraw(process.stderr.isTTY, process.env) && !json;
    const o: ExploreOptions = {
      strategy,
      options: given,
      scenarioRef,
      stopAtFirstFailure: values.stop === true,
      shrink: values["no-shrink"] !== true,
      verifier: values["no-verifier"] !== true,
      onProgress: progressPrinter(tty),
      ...(numbers.runs !== undefined ? { runs: numbers.runs } : {}),
      ...(numbers.seed !== undefined ? { seed: numbers.seed } : {}),
      ...(numbers.bound !== undefined ? { bound: numbers.bound } : {}),
      ...(numbers.depth !== undefined ? { depth: numbers.depth } : {}),
      ...(numbers.delays !== undefined ? { delays: numbers.delays } : {}),
      ...(numbers.workers !== undefined ? { workers: numbers.workers } : {}),
      ...(numbers["max-schedules"] !== undefined ? { maxSchedules: numbers["max-schedules"] } : {}),
      ...(budget ? { budget } : {}),
      ...(shard ? { shard } : {}),
      ...(suppress.length > 0 ? { suppress } : {}),
    };
    const report = await exploreScenario(s, o);
    if (tty) process.stderr.write("\n");
    process.stdout.write(json ? JSON.stringify(exploreJson(report), null, 2) + "\n" : formatExploreText(report, file !== null ? { scenarioFile: file } : {}) + "\n");
    return report.failures.length > 0 ? 1 : 0;
  },
});
