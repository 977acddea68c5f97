/**
 * `irpsim run <scenario>`: runs a scenario once per chosen variant and prints or writes its report
 * (text timeline, Mermaid, Chrome trace JSON, HTML or the raw trace as JSON). `irpsim list`: the
 * shipped scenarios.
 */
import { resolveOptions, runScenario, type Scenario, type ScenarioResult } from "../scenario/scenario.js";
import { wantsColor } from "./color.js";
import type { VerifierOptions } from "../verifier/verifier.js";
import { commands, type OptionValues } from "./commands.js";
import { writeReport, writeStdout } from "./output.js";
import { isReportFormat, reportChunks, REPORT_FORMATS } from "./report-formats.js";
import { asLines } from "../report/stream.js";
import { findTarget } from "./scenario-loader.js";
import { storyLines, storyWidth } from "./story.js";
import { scenarioGroups, type ScenarioGroup } from "../samples/index.js";

export { renderText } from "./report-formats.js";

/** The variants to run: the given options, or every value of the first option when none is given. */
export function variants(s: Scenario, given: Record<string, string>): Record<string, string>[] {
  const first = s.options?.[0];
  if (!first || given[first.name] !== undefined) return [given];
  return first.values.map((v) => ({ ...given, [first.name]: v }));
}


commands.set("run", {
  summary: "run a scenario and print its timeline or write a report",
  help: [
    "irpsim run <scenario | path/to/scenario.ts or .js> [options]",
    "irpsim run [name] --scenario path/to/scenarios.ts [options]",
    "",
    "Runs the scenario on a fresh machine and reports what happened. A scenario with variants",
    "(sharebuf's --ending) runs every variant unless one is chosen.",
    "",
    "  --scenario <path>   the module (.ts or .js) to take the scenario from; the scenario is then",
    "                      named by the argument (default: the module's default or first export)",
    "  --ending <name>     the variant to run (sharebuf: done-using, killed, closed; inverted-call: close, exit; csq-reads: clean, exit)",
    "  --part <name>       the part to run (smd: smd, user-app, reflector, camera)",
    "  --ce <version>      the CE version to behave as (smd: 6.0, or 5.0 compatibility mode)",
    "  -o, --option <name>=<value>  set any option the scenario lists (repeatable;",
    "                      e.g. windriver-kp -o reader=unsynchronised -o read-gap=long)",
    "  --format <fmt>      text (default): the timeline, coloured on a terminal unless NO_COLOR is set",
    "                      mermaid: a sequenceDiagram (Markdown with one diagram per variant when there are several)",
    "                      chrome: Chrome Trace Event JSON for ui.perfetto.dev or chrome://tracing",
    "                      html: a self-contained report with the diagram, findings and memory map",
    "                      json: every trace event, with each run's options and checks",
    "                      svg: the sequence diagram alone, a standalone SVG (for a blog post or a slide)",
    "  --out <file>        write the report to a file instead of standard output",
    "  --full              on a terminal, print every step of every variant (by default the text",
    "                      format tells the first variant in full, folds repeated DPC work and shows",
    "                      how the other variants differ; --out and --verbose always write everything)",
    "  --html <file>       also write the HTML report to a file",
    "  --verbose           include low-level events (waits, APCs, IRP allocation; DbgPrint in diagrams)",
    "  --no-verifier       run without the verifier (it is on by default)",
    "  --force-pending     the verifier's Force Pending I/O Requests",
    "  --fault-injection   the verifier's low-resources simulation (each allocation site fails once;",
    "                      DriverEntry is spared, as Driver Verifier waits after boot)",
    "  --fault-injection-in-driver-entry  with --fault-injection, fail DriverEntry's allocations too",
    "  --no-special-pool   leave verified drivers' pool allocations in the normal pool (Special Pool is on by default)",
    "  --special-pool-underruns  Special Pool's Verify Start: blocks start their page, so underruns fault",
    "  -h, --help          this help",
    "",
    "Exit status: 0 when every run ends clean, 1 on a failed check, finding, deadlock or bug check, 2 on bad usage.",
  ].join("\n"),
  options: {
    scenario: { type: "string" },
    ending: { type: "string" },
    option: { type: "string", short: "o", multiple: true },
    part: { type: "string" },
    ce: { type: "string" },
    format: { type: "string", default: "text" },
    out: { type: "string" },
    html: { type: "string" },
    verbose: { type: "boolean", default: false },
    full: { type: "boolean", default: false },
    "no-verifier": { type: "boolean", default: false },
    "force-pending": { type: "boolean", default: false },
    "fault-injection": { type: "boolean", default: false },
    "fault-injection-in-driver-entry": { type: "boolean", default: false },
    "no-special-pool": { type: "boolean", default: false },
    "special-pool-underruns": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const format = String(values.format ?? "text");
    if (!isReportFormat(format)) {
      console.error(`irpsim run: unknown --format '${format}' (it is one of ${REPORT_FORMATS.join(", ")})`);
      return 2;
    }
    const found = await findTarget(positionals, typeof values.scenario === "string" ? values.scenario : undefined);
    if (typeof found === "string") {
      console.error(`irpsim run: ${found}`);
      return 2;
    }
    const s = found.scenario;
    const given: Record<string, string> = {};
    if (typeof values.ending === "string") given.ending = values.ending;
    for (const o of Array.isArray(values.option) ? values.option : []) {
      const text = String(o);
      const eq = text.indexOf("=");
      if (eq <= 0) {
        console.error(`irpsim run: --option takes name=value (got '${text}')`);
        return 2;
      }
      given[text.slice(0, eq)] = text.slice(eq + 1);
    }
    if (typeof values.part === "string") given.part = values.part;
    if (typeof values.ce === "string") given.ce = values.ce;
    try {
      resolveOptions(s, given);
    } catch (e) {
      console.error(`irpsim run: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    const out = typeof values.out === "string" ? values.out : null;
    const html = typeof values.html === "string" ? values.html : null;
    const verbose = values.verbose === true;
    const specialPool = values["no-special-pool"] === true ? false : { underruns: values["special-pool-underruns"] === true };
    const verifier: VerifierOptions | false =
      values["no-verifier"] === true
        ? false
        : { forcePending: values["force-pending"] === true, faultInjection: values["fault-injection"] === true, faultInjectionInDriverEntry: values["fault-injection-in-driver-entry"] === true, specialPool };
    const results: ScenarioResult[] = [];
    for (const v of variants(s, given)) results.push(await runScenario(s, { options: v, trace: true, verifier }));
    const clean = results.every((r) => r.passed);

    const color = out === null && format === "text" && wantsColor(process.stdout.isTTY, process.env);
    const source = s.source ?? found.file;
    // On standard output, the text format tells a story unless everything was asked for.
    if (format === "text" && out === null && values.full !== true && !verbose) {
      if (html) {
        const failed = await writeReport(html, reportChunks(s, results, "html", { verbose, source }));
        if (failed) {
          console.error(`irpsim run: ${failed}`);
          return 2;
        }
      }
      const command = found.file === null ? `irpsim run ${s.name}` : `irpsim run ${found.file}`;
      const story = storyLines(s, results, { width: storyWidth(process.stdout.isTTY, process.stdout.columns), color, htmlFile: html, source, command });
      await writeStdout(asLines(story));
      return clean ? 0 : 1;
    }
    const report = reportChunks(s, results, format, { color, verbose, source, markdown: out?.endsWith(".md") ?? false });
    if (out) {
      const failed = await writeReport(out, report);
      if (failed) {
        console.error(`irpsim run: ${failed}`);
        return 2;
      }
      console.log(`wrote ${out}`);
    } else {
      await writeStdout(report);
    }
    if (html) {
      const failed = await writeReport(html, reportChunks(s, results, "html", { verbose, source }));
      if (failed) {
        console.error(`irpsim run: ${failed}`);
        return 2;
      }
      console.log(`\nHTML report: ${html} (open it in a browser)`);
    }
    return clean ? 0 : 1;
  },
});

/** Scenario options that `irpsim run` takes as flags of their own. */
const OWN_FLAGS: ReadonlySet<string> = new Set(["ending", "part", "ce"]);

/** `text` cut to `width` columns, with an ellipsis when cut. */
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The `irpsim list` lines: a heading per kind, then one short line per scenario and one for its options. */
export function listLines(groups: readonly ScenarioGroup[], width: number): string[] {
  const lines: string[] = [];
  for (const g of groups) {
    if (g.scenarios.length === 0) continue;
    const nameWidth = Math.min(34, Math.max(12, ...g.scenarios.map((s) => s.name.length)));
    if (lines.length > 0) lines.push("");
    lines.push(fit(`${g.title} (${g.hint})`, width));
    for (const s of g.scenarios) {
      lines.push(fit(`  ${s.name.padEnd(nameWidth)}  ${s.summary}`, width));
      // --ending, --part and --ce have their own flags; every other option is set with -o name=value.
      const opts = (s.options ?? []).map((o) => (OWN_FLAGS.has(o.name) ? `--${o.name} ${o.values.join("|")}` : `-o ${o.name}=${o.values.join("|")}`));
      if (opts.length > 0) lines.push(fit(`  ${"".padEnd(nameWidth)}  ${opts.join("  ")}`, width));
    }
  }
  return lines;
}

commands.set("list", {
  summary: "list the scenarios that ship with irpsim, by kind",
  help: "irpsim list\n\nLists the shipped scenarios by kind (samples, races, verifier rules, other systems), one short line each and a line of the options each takes.",
  options: { help: { type: "boolean", short: "h", default: false } },
  run(_values: OptionValues, positionals: string[]): Promise<number> {
    if (positionals.length > 0) {
      console.error(`irpsim list: takes no arguments (got '${positionals.join(" ")}')`);
      return Promise.resolve(2);
    }
    // The registry comes by static import: a dynamic import() of the samples under tsx loads a
    // second copy of them (and of the emulator).
    const width = process.stdout.isTTY && process.stdout.columns > 40 ? process.stdout.columns : 100;
    console.log(listLines(scenarioGroups(), width).join("\n"));
    return Promise.resolve(0);
  },
});
