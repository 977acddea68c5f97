/**
 * `irpsim replay <string>`: runs a schedule from its replay string, exactly, and prints its
 * timeline, its checks and, in words, the injections and preemptions that made it fail.
 */
import { writeFileSync } from "node:fs";
import { formatBugCheck } from "../kernel/bugcheck.js";
import { replaySchedule } from "../explore/explore.js";
import { decodeReplay, ReplayStringError, type ReplaySpec } from "../explore/replay-string.js";
import { formatTextTimeline } from "../report/text.js";
import { commands, type OptionValues } from "./commands.js";
import { loadScenario } from "./scenario-loader.js";

commands.set("replay", {
  summary: "run a schedule from its replay string and print its trace",
  help: [
    "irpsim replay <replay string> [options]",
    "",
    "Runs the schedule a replay string describes (as 'irpsim explore' prints them), decision for",
    "decision, and prints its timeline, its checks and what made it fail.",
    "",
    "  --scenario <path>   the module that exports the scenario, when it is not a shipped one",
    "  --out <file>        write the report to a file instead of standard output",
    "  --verbose           include low-level events (waits, APCs, IRP allocation)",
    "",
    "Exit status: 0 when the run passes, 1 when it fails, 2 on bad usage.",
  ].join("\n"),
  options: {
    scenario: { type: "string" },
    out: { type: "string" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const [text, ...extra] = positionals;
    if (!text || extra.length > 0) {
      console.error("irpsim replay: give exactly one replay string (irp1:…)");
      return 2;
    }
    let spec: ReplaySpec;
    try {
      spec = decodeReplay(text);
    } catch (e) {
      console.error(`irpsim replay: ${e instanceof ReplayStringError ? e.message : String(e)}`);
      return 2;
    }
    const s = await loadScenario(typeof values.scenario === "string" ? values.scenario : spec.scenario);
    if (typeof s === "string") {
      console.error(`irpsim replay: ${s}${typeof values.scenario === "string" ? "" : " (give the module that exports it with --scenario)"}`);
      return 2;
    }
    if (s.name !== spec.scenario) {
      console.error(`irpsim replay: the string is for scenario '${spec.scenario}', but the module exports '${s.name}'`);
      return 2;
    }
    const out = typeof values.out === "string" ? values.out : null;
    const color = out === null && process.stdout.isTTY && !process.env.NO_COLOR;
    const r = await replaySchedule(s, spec);
    const opts = Object.entries(spec.options).map(([k, v]) => `${k}: ${v}`).join(", ");
    const title = `replay ${spec.scenario}${opts ? ` — ${opts}` : ""} (${spec.origin})`;
    const lines = [formatTextTimeline(r.result.events, { title: `${title}\n${"=".repeat(title.length)}`, color, verbose: values.verbose === true })];
    lines.push("", "Checks");
    for (const c of r.result.checks) lines.push(`  ${c.passed ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.passed ? ` — ${c.detail}` : ""}`);
    const bc = r.result.machine.halted?.kind === "bugcheck" ? r.result.machine.halted.bugCheck.record : null;
    if (bc) lines.push("", formatBugCheck(bc));
    lines.push("", "What happened", r.explanation.text);
    if (r.mismatch) lines.push("", `Warning: the run did not follow the recorded schedule: ${r.mismatch}`);
    lines.push("", r.failures.length === 0 ? "PASSED" : `FAILED: ${r.failures[0]?.cause ?? ""}`);
    const report = lines.join("\n") + "\n";
    if (out) {
      writeFileSync(out, report);
      console.log(`wrote ${out}`);
    } else {
      process.stdout.write(report);
    }
    return r.failures.length === 0 ? 0 : 1;
  },
});
