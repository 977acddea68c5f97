/**
 * `irpsim run <scenario>`: runs a scenario once per chosen variant and prints its timeline.
 */
import { writeFileSync } from "node:fs";
import { formatBugCheck } from "../kernel/bugcheck.js";
import { resolveOptions, runScenario, type Scenario, type ScenarioResult } from "../scenario/scenario.js";
import { formatTextTimeline } from "../report/text.js";
import { formatFinding } from "../verifier/format.js";
import type { VerifierOptions } from "../verifier/verifier.js";
import { commands, type OptionValues } from "./commands.js";
import { loadScenario } from "./scenario-loader.js";

/** The variants to run: the given options, or every value of the first option when none is given. */
export function variants(s: Scenario, given: Record<string, string>): Record<string, string>[] {
  const first = s.options?.[0];
  if (!first || given[first.name] !== undefined) return [given];
  return first.values.map((v) => ({ ...given, [first.name]: v }));
}

/** One variant's report in the chosen format. */
export function renderText(s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): string {
  const opts = Object.entries(r.options).map(([k, v]) => `${k}: ${v}`).join(", ");
  const title = `${s.name}${opts ? ` — ${opts}` : ""}`;
  const lines = [formatTextTimeline(r.events, { title: `${title}\n${"=".repeat(title.length)}`, color, verbose })];
  lines.push("", "Checks");
  for (const c of r.checks) lines.push(`  ${c.passed ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.passed ? ` — ${c.detail}` : ""}`);
  const bc = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  if (bc) lines.push("", formatBugCheck(bc));
  if (r.run?.deadlock) lines.push("", `Deadlock: ${r.run.deadlock}`);
  for (const f of r.findings) lines.push("", formatFinding(f));
  if (r.error) lines.push("", `The scenario threw: ${r.error instanceof Error ? (r.error.stack ?? r.error.message) : typeof r.error}`);
  lines.push("", r.passed ? "PASSED" : "FAILED");
  return lines.join("\n");
}

commands.set("run", {
  summary: "run a scenario and print its timeline",
  help: [
    "irpsim run <scenario | path/to/scenario.js> [options]",
    "",
    "Runs the scenario on a fresh machine and prints what happened. A scenario with variants",
    "(sharebuf's --ending) runs every variant unless one is chosen.",
    "",
    "  --ending <name>     the variant to run (sharebuf: done-using, killed, closed)",
    "  --format <fmt>      text (default)",
    "  --out <file>        write the report to a file instead of standard output",
    "  --verbose           include low-level events (waits, APCs, IRP allocation)",
    "  --no-verifier       run without the verifier (it is on by default)",
    "  --force-pending     the verifier's Force Pending I/O Requests",
    "  --fault-injection   the verifier's low-resources simulation (each allocation site fails once)",
    "",
    "Exit status: 0 when every run ends clean, 1 on a failed check, finding, deadlock or bug check, 2 on bad usage.",
  ].join("\n"),
  options: {
    ending: { type: "string" },
    format: { type: "string", default: "text" },
    out: { type: "string" },
    verbose: { type: "boolean", default: false },
    "no-verifier": { type: "boolean", default: false },
    "force-pending": { type: "boolean", default: false },
    "fault-injection": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const [target, ...extra] = positionals;
    if (!target || extra.length > 0) {
      console.error("irpsim run: give exactly one scenario (run 'irpsim list' to see them)");
      return 2;
    }
    const format = String(values.format ?? "text");
    if (format !== "text") {
      console.error(`irpsim run: unknown --format '${format}' (text)`);
      return 2;
    }
    const s = await loadScenario(target);
    if (typeof s === "string") {
      console.error(`irpsim run: ${s}`);
      return 2;
    }
    const given: Record<string, string> = {};
    if (typeof values.ending === "string") given.ending = values.ending;
    try {
      resolveOptions(s, given);
    } catch (e) {
      console.error(`irpsim run: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    const out = typeof values.out === "string" ? values.out : null;
    const color = out === null && process.stdout.isTTY && !process.env.NO_COLOR;
    const reports: string[] = [];
    let clean = true;
    for (const v of variants(s, given)) {
      const verifier: VerifierOptions | false = values["no-verifier"] === true ? false : { forcePending: values["force-pending"] === true, faultInjection: values["fault-injection"] === true };
      const r = await runScenario(s, { options: v, trace: true, verifier });
      clean &&= r.passed;
      reports.push(renderText(s, r, color, values.verbose === true));
    }
    const text = reports.join("\n\n\n") + "\n";
    if (out) {
      writeFileSync(out, text);
      console.log(`wrote ${out}`);
    } else {
      process.stdout.write(text);
    }
    return clean ? 0 : 1;
  },
});

commands.set("list", {
  summary: "list the scenarios that ship with irpsim",
  help: "irpsim list\n\nLists the shipped scenarios with one line each.",
  options: { help: { type: "boolean", default: false } },
  async run(): Promise<number> {
    const { shippedScenarios } = await import("../samples/index.js");
    const width = Math.max(16, ...shippedScenarios.map((s) => s.name.length));
    for (const s of shippedScenarios) {
      const opts = (s.options ?? []).map((o) => ` [--${o.name} ${o.values.join("|")}]`).join("");
      console.log(`${s.name.padEnd(width)} ${s.summary}${opts}`);
    }
    return 0;
  },
});
