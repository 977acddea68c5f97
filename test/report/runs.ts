/**
 * The runs the report tests draw: sharebuf's three endings (the trace is deterministic, so every
 * test can share one set) and the fixtures with an injection, a finding and a bug check.
 */
import { runScenario, type Scenario, type ScenarioResult } from "../../scenario/scenario.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { variants } from "../../cli/run-command.js";

let sharebuf: Promise<ScenarioResult[]> | null = null;

/** sharebuf with every ending, in the order `irpsim run sharebuf` runs them. */
export function sharebufRuns(): Promise<ScenarioResult[]> {
  sharebuf ??= (async () => {
    const out: ScenarioResult[] = [];
    for (const v of variants(sharebufScenario, {})) out.push(await runScenario(sharebufScenario, { options: v, trace: true }));
    return out;
  })();
  return sharebuf;
}

/** One traced run of `s`. */
export function traced(s: Scenario, options: Record<string, string> = {}): Promise<ScenarioResult> {
  return runScenario(s, { options, trace: true });
}
