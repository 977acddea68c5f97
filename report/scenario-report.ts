/**
 * A scenario's results in every report format: what `irpsim run` writes, and what a scenario
 * author calls with the {@link ScenarioResult}s `runScenario` returns. The exporters beside this
 * file see only trace events; this one adds what a scenario knows besides (its name and options,
 * its checks, whether it passed, an exception its code threw).
 */
import { formatBugCheck } from "../kernel/bugcheck.js";
import type { ScenarioResult } from "../scenario/scenario.js";
import { formatFinding } from "../verifier/format.js";
import { formatChromeTrace } from "./chrome.js";
import { formatHtmlReport as formatHtmlRuns, type HtmlOptions, type HtmlRun } from "./html.js";
import { formatMermaid, formatMermaidMarkdown } from "./mermaid.js";
import { formatTextTimeline } from "./text.js";

/** The formats a scenario's results can be turned into (`irpsim run --format`). */
export const REPORT_FORMATS = ["text", "mermaid", "chrome", "html", "json"] as const;

/**
 * One report format: `text` (the timeline with checks and findings), `mermaid` (a
 * sequenceDiagram), `chrome` (Chrome Trace Event JSON for ui.perfetto.dev), `html` (one
 * self-contained page with findings, memory map and sequence diagram) or `json` (every trace
 * event with each run's options and checks).
 */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** True for a name in {@link REPORT_FORMATS}. */
export function isReportFormat(name: string): name is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(name);
}

/** How {@link formatReport} renders. */
export interface ReportOptions {
  /** ANSI colours in the text format (default false). */
  readonly color?: boolean;
  /** Low-level events too (waits, APCs, IRP allocation; DbgPrint notes in diagrams). */
  readonly verbose?: boolean;
  /** Mermaid as Markdown (a heading and a fenced block per run) even for a single run. */
  readonly markdown?: boolean;
  /** The HTML page's title (default "irpsim: <scenario>"). */
  readonly title?: string;
}

/** "sharebuf — ending: killed": the scenario's name and the options the run used. */
export function resultTitle(r: ScenarioResult): string {
  const opts = Object.entries(r.options).map(([k, v]) => `${k}: ${v}`).join(", ");
  return `${r.scenario}${opts ? ` — ${opts}` : ""}`;
}

/** An emulated thread's or a scenario's error, in words (they may throw anything). */
function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : `a thrown ${typeof e}`;
}

/** What went wrong in a run beyond its events and checks (an exception, a host error), in words. */
export function resultProblems(r: ScenarioResult): string[] {
  const out: string[] = [];
  if (r.error) out.push(`the scenario threw: ${errorText(r.error)}`);
  for (const h of r.run?.errors ?? []) out.push(`${h.thread} failed: ${errorText(h.error)}`);
  if (r.run?.hostStuck) out.push(`the host got stuck: ${r.run.hostStuck}`);
  return out;
}

/** One run as the HTML report shows it. */
export function htmlRun(r: ScenarioResult): HtmlRun {
  return { title: resultTitle(r), events: r.events, checks: r.checks, passed: r.passed, problems: resultProblems(r) };
}

/** One run's text report: the timeline, the checks, the bug check, deadlock or findings, and PASSED or FAILED. */
export function formatResultText(r: ScenarioResult, options: ReportOptions = {}): string {
  const title = resultTitle(r);
  const lines = [formatTextTimeline(r.events, { title: `${title}\n${"=".repeat(title.length)}`, color: options.color ?? false, verbose: options.verbose ?? false })];
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

/** The runs as one JSON document: per run its options, outcome, checks and every trace event (one per line). */
export function formatResultJson(results: readonly ScenarioResult[], scenario: string = results[0]?.scenario ?? ""): string {
  const runs = results.map((r) => {
    const head = JSON.stringify({ options: r.options, passed: r.passed, outcome: r.run?.outcome ?? null, checks: r.checks, problems: resultProblems(r) });
    const events = r.events.map((e) => `    ${JSON.stringify(e)}`).join(",\n");
    return `  ${head.slice(0, -1)},"events":[\n${events}\n  ]}`;
  });
  return `{"format":"irpsim-trace","version":1,"scenario":${JSON.stringify(scenario)},"runs":[\n${runs.join(",\n")}\n]}\n`;
}

function isResultList(x: ScenarioResult | readonly ScenarioResult[]): x is readonly ScenarioResult[] {
  return Array.isArray(x);
}

/**
 * A scenario's result (or the results of its variants, run one after another) as a report in
 * `format`. Run the scenario with `trace: true` so the result carries the events the timeline,
 * diagrams and memory map are drawn from:
 *
 * ```ts
 * const r = await runScenario(myScenario, { trace: true });
 * writeFileSync("out/my.html", formatReport(r, "html"));
 * ```
 */
export function formatReport(results: ScenarioResult | readonly ScenarioResult[], format: ReportFormat, options: ReportOptions = {}): string {
  const list = isResultList(results) ? results : [results];
  const verbose = options.verbose ?? false;
  switch (format) {
    case "text":
      return list.map((r) => formatResultText(r, options)).join("\n\n\n") + "\n";
    case "mermaid": {
      const only = list[0];
      if (list.length === 1 && only && options.markdown !== true) return formatMermaid(only.events, { title: resultTitle(only), verbose });
      return formatMermaidMarkdown(list.map((r) => ({ title: resultTitle(r), events: r.events })), { verbose });
    }
    case "chrome":
      return formatChromeTrace(list.map((r) => ({ label: resultTitle(r), events: r.events })));
    case "html":
      return formatHtmlRuns(list.map(htmlRun), { title: options.title ?? `irpsim: ${list[0]?.scenario ?? "report"}`, verbose });
    case "json":
      return formatResultJson(list);
  }
}

function isScenarioResult(x: ScenarioResult | HtmlRun): x is ScenarioResult {
  return "machine" in x && "scenario" in x;
}

function isRunList(x: ScenarioResult | readonly (ScenarioResult | HtmlRun)[]): x is readonly (ScenarioResult | HtmlRun)[] {
  return Array.isArray(x);
}

/**
 * The HTML report: one self-contained page (no script, nothing fetched) with, per run, the
 * findings and checks, the memory map with lock counts over time, the sequence diagram and the
 * text timeline. Give it what `runScenario(s, { trace: true })` returned — one result or several
 * (the title defaults to "irpsim: <scenario>") — or runs built by hand ({@link HtmlRun}: a title
 * and trace events).
 */
export function formatHtmlReport(results: ScenarioResult | readonly ScenarioResult[], options?: Partial<HtmlOptions>): string;
export function formatHtmlReport(runs: readonly HtmlRun[], options: HtmlOptions): string;
export function formatHtmlReport(x: ScenarioResult | readonly (ScenarioResult | HtmlRun)[], options: Partial<HtmlOptions> = {}): string {
  const list = isRunList(x) ? x : [x];
  const first = list[0];
  const title = options.title ?? (first && isScenarioResult(first) ? `irpsim: ${first.scenario}` : "irpsim");
  const runs = list.map((r) => (isScenarioResult(r) ? htmlRun(r) : r));
  return formatHtmlRuns(runs, { title, ...(options.verbose !== undefined ? { verbose: options.verbose } : {}) });
}
