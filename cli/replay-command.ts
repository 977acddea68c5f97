/**
 * `irpsim replay <string>`: runs a schedule from its replay string, exactly, and reports it as
 * `irpsim run` does (text, Mermaid, Chrome trace, HTML or JSON), the text with, in words, the
 * injections and preemptions that made it fail.
 */
import { formatBugCheck } from "../kernel/bugcheck.js";
import { replaySchedule, type ReplayResult } from "../explore/explore.js";
import { decodeReplay, ReplayStringError, type ReplaySpec } from "../explore/replay-string.js";
import { formatHtmlReport, formatReport, htmlRun, isReportFormat, REPORT_FORMATS, type ReportFormat } from "../report/scenario-report.js";
import { formatTextTimeline } from "../report/text.js";
import { wantsColor } from "./color.js";
import { commands, type OptionValues } from "./commands.js";
import { writeReport, writeStdout } from "./output.js";
import { loadScenario } from "./scenario-loader.js";

/** "replay sharebuf-cancel-window — ending: done-using (dfs.b1.shrunk)". */
function replayTitle(spec: ReplaySpec): string {
  const opts = Object.entries(spec.options).map(([k, v]) => `${k}: ${v}`).join(", ");
  return `replay ${spec.scenario}${opts ? ` — ${opts}` : ""} (${spec.origin})`;
}

/** The replay as text: the timeline, the checks, the bug check, what happened, and whether it failed. */
function replayText(r: ReplayResult, color: boolean, verbose: boolean): string {
  const title = replayTitle(r.spec);
  const lines = [formatTextTimeline(r.result.events, { title: `${title}\n${"=".repeat(title.length)}`, color, verbose })];
  lines.push("", "Checks");
  for (const c of r.result.checks) lines.push(`  ${c.passed ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.passed ? ` — ${c.detail}` : ""}`);
  const bc = r.result.machine.halted?.kind === "bugcheck" ? r.result.machine.halted.bugCheck.record : null;
  if (bc) lines.push("", formatBugCheck(bc));
  lines.push("", "What happened", r.explanation.text);
  if (r.mismatch) lines.push("", `Warning: the run did not follow the recorded schedule: ${r.mismatch}`);
  lines.push("", r.failures.length === 0 ? "PASSED" : `FAILED: ${r.failures[0]?.cause ?? ""}`);
  return lines.join("\n") + "\n";
}

/** The replay in `format`; HTML lists what happened with the findings. */
function replayReport(r: ReplayResult, format: ReportFormat, color: boolean, verbose: boolean): string {
  if (format === "text") return replayText(r, color, verbose);
  if (format === "html") {
    const run = htmlRun(r.result);
    const happened = r.failures.length > 0 ? [`what happened: ${r.explanation.summary}`] : [];
    return formatHtmlReport([{ ...run, title: replayTitle(r.spec), passed: r.failures.length === 0, problems: [...(run.problems ?? []), ...happened] }], { title: `irpsim: ${replayTitle(r.spec)}`, verbose });
  }
  return formatReport(r.result, format, { verbose });
}

commands.set("replay", {
  summary: "run a schedule from its replay string and report it",
  help: [
    "irpsim replay <replay string> [options]",
    "",
    "Runs the schedule a replay string describes (as 'irpsim explore' prints them), decision for",
    "decision, and prints its timeline, its checks and what made it fail.",
    "",
    "  --scenario <path>   the module (.js or .ts) that exports the scenario, when it is not a shipped one;",
    "                      the scenario the string names is found among the module's exports",
    "  --format <fmt>      text (default), mermaid, chrome, html or json, as for 'irpsim run'",
    "  --out <file>        write the report to a file instead of standard output",
    "  --html <file>       also write the HTML report to a file",
    "  --verbose           include low-level events (waits, APCs, IRP allocation)",
    "  -h, --help          this help",
    "",
    "Exit status: 0 when the run passes, 1 when it fails, 2 on bad usage.",
  ].join("\n"),
  options: {
    scenario: { type: "string" },
    format: { type: "string", default: "text" },
    out: { type: "string" },
    html: { type: "string" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const [text, ...extra] = positionals;
    if (!text || extra.length > 0) {
      console.error("irpsim replay: give exactly one replay string (irp1:…), as 'irpsim explore' prints it");
      return 2;
    }
    const format = String(values.format ?? "text");
    if (!isReportFormat(format)) {
      console.error(`irpsim replay: unknown --format '${format}' (it is one of ${REPORT_FORMATS.join(", ")})`);
      return 2;
    }
    let spec: ReplaySpec;
    try {
      spec = decodeReplay(text);
    } catch (e) {
      console.error(`irpsim replay: ${e instanceof ReplayStringError ? e.message : String(e)}`);
      return 2;
    }
    const moduleFile = typeof values.scenario === "string" ? values.scenario : null;
    const s = await loadScenario(moduleFile ?? spec.scenario, moduleFile !== null ? spec.scenario : undefined);
    if (typeof s === "string") {
      console.error(`irpsim replay: ${s}${moduleFile !== null ? "" : " (give the module that exports it with --scenario <file>)"}`);
      return 2;
    }
    if (s.name !== spec.scenario) {
      console.error(`irpsim replay: the string is for scenario '${spec.scenario}', but ${moduleFile ?? "the name"} gives '${s.name}'`);
      return 2;
    }
    const out = typeof values.out === "string" ? values.out : null;
    const html = typeof values.html === "string" ? values.html : null;
    const verbose = values.verbose === true;
    const color = out === null && format === "text" && wantsColor(process.stdout.isTTY, process.env);
    const r = await replaySchedule(s, spec);
    const report = replayReport(r, format, color, verbose);
    if (out) {
      const failed = await writeReport(out, report);
      if (failed) {
        console.error(`irpsim replay: ${failed}`);
        return 2;
      }
      console.log(`wrote ${out}`);
    } else {
      await writeStdout(report);
    }
    if (html) {
      const failed = await writeReport(html, replayReport(r, "html", false, verbose));
      if (failed) {
        console.error(`irpsim replay: ${failed}`);
        return 2;
      }
      console.log(`\nHTML report: ${html} (open it in a browser)`);
    }
    return r.failures.length === 0 ? 0 : 1;
  },
});
