/**
 * `irpsim run <scenario>`: runs a scenario once per chosen variant and prints or writes its report
 * (text timeline, Mermaid, Chrome trace JSON, HTML or the raw trace as JSON). `irpsim list`: the
 * shipped scenarios.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveOptions, runScenario, type Scenario, type ScenarioResult } from "../scenario/scenario.js";
import { wantsColor } from "./color.js";
import type { VerifierOptions } from "../verifier/verifier.js";
import { commands, type OptionValues } from "./commands.js";
import { isReportFormat, renderReport, REPORT_FORMATS } from "./report-formats.js";
import { loadScenario } from "./scenario-loader.js";

export { renderText } from "./report-formats.js";

/** The variants to run: the given options, or every value of the first option when none is given. */
export function variants(s: Scenario, given: Record<string, string>): Record<string, string>[] {
  const first = s.options?.[0];
  if (!first || given[first.name] !== undefined) return [given];
  return first.values.map((v) => ({ ...given, [first.name]: v }));
}

/** Writes `text` to `file`, creating its folder; an error message on failure. */
function writeReport(file: string, text: string): string | null {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text);
    return null;
  } catch (e) {
    return `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

commands.set("run", {
  summary: "run a scenario and print its timeline or write a report",
  help: [
    "irpsim run <scenario | path/to/scenario.js> [options]",
    "",
    "Runs the scenario on a fresh machine and reports what happened. A scenario with variants",
    "(sharebuf's --ending) runs every variant unless one is chosen.",
    "",
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
    "  --out <file>        write the report to a file instead of standard output",
    "  --html <file>       also write the HTML report to a file",
    "  --verbose           include low-level events (waits, APCs, IRP allocation; DbgPrint in diagrams)",
    "  --no-verifier       run without the verifier (it is on by default)",
    "  --force-pending     the verifier's Force Pending I/O Requests",
    "  --fault-injection   the verifier's low-resources simulation (each allocation site fails once)",
    "  --no-special-pool   leave verified drivers' pool allocations in the normal pool (Special Pool is on by default)",
    "  --special-pool-underruns  Special Pool's Verify Start: blocks start their page, so underruns fault",
    "  -h, --help          this help",
    "",
    "Exit status: 0 when every run ends clean, 1 on a failed check, finding, deadlock or bug check, 2 on bad usage.",
  ].join("\n"),
  options: {
    ending: { type: "string" },
    option: { type: "string", short: "o", multiple: true },
    part: { type: "string" },
    ce: { type: "string" },
    format: { type: "string", default: "text" },
    out: { type: "string" },
    html: { type: "string" },
    verbose: { type: "boolean", default: false },
    "no-verifier": { type: "boolean", default: false },
    "force-pending": { type: "boolean", default: false },
    "fault-injection": { type: "boolean", default: false },
    "no-special-pool": { type: "boolean", default: false },
    "special-pool-underruns": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const [target, ...extra] = positionals;
    if (!target || extra.length > 0) {
      console.error("irpsim run: give exactly one scenario (run 'irpsim list' to see them)");
      return 2;
    }
    const format = String(values.format ?? "text");
    if (!isReportFormat(format)) {
      console.error(`irpsim run: unknown --format '${format}' (it is one of ${REPORT_FORMATS.join(", ")})`);
      return 2;
    }
    const s = await loadScenario(target);
    if (typeof s === "string") {
      console.error(`irpsim run: ${s}`);
      return 2;
    }
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
    const verifier: VerifierOptions | false = values["no-verifier"] === true ? false : { forcePending: values["force-pending"] === true, faultInjection: values["fault-injection"] === true, specialPool };
    const results: ScenarioResult[] = [];
    for (const v of variants(s, given)) results.push(await runScenario(s, { options: v, trace: true, verifier }));
    const clean = results.every((r) => r.passed);

    const color = out === null && format === "text" && wantsColor(process.stdout.isTTY, process.env);
    const report = renderReport(s, results, format, { color, verbose, markdown: out?.endsWith(".md") ?? false });
    if (out) {
      const failed = writeReport(out, report);
      if (failed) {
        console.error(`irpsim run: ${failed}`);
        return 2;
      }
      console.log(`wrote ${out}`);
    } else {
      process.stdout.write(report);
    }
    if (html) {
      const failed = writeReport(html, renderReport(s, results, "html", { verbose }));
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

commands.set("list", {
  summary: "list the scenarios that ship with irpsim",
  help: "irpsim list\n\nLists the shipped scenarios with one line each, and the variants each offers.",
  options: { help: { type: "boolean", short: "h", default: false } },
  async run(_values: OptionValues, positionals: string[]): Promise<number> {
    if (positionals.length > 0) {
      console.error(`irpsim list: takes no arguments (got '${positionals.join(" ")}')`);
      return 2;
    }
    const { shippedScenarios } = await import("../samples/index.js");
    const width = Math.max(16, ...shippedScenarios.map((s) => s.name.length));
    for (const s of shippedScenarios) {
      // --ending, --part and --ce have their own flags; every other option is set with -o name=value.
      const opts = (s.options ?? []).map((o) => (OWN_FLAGS.has(o.name) ? ` [--${o.name} ${o.values.join("|")}]` : ` [-o ${o.name}=${o.values.join("|")}]`)).join("");
      console.log(`${s.name.padEnd(width)} ${s.summary}${opts}`);
    }
    return 0;
  },
});
