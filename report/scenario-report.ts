/**
 * A scenario's results in every report format: what `irpsim run` writes, and what a scenario
 * author calls with the {@link ScenarioResult}s `runScenario` returns. The exporters beside this
 * file see only trace events; this one adds what a scenario knows besides (its name, summary,
 * source and options, its checks, whether it passed, an exception its code threw). Every format is
 * produced as chunks made while they are written ({@link reportChunks}), so a run of millions of
 * events never has to fit in one string.
 */
import { formatBugCheck } from "../kernel/bugcheck.js";
import type { ScenarioResult } from "../scenario/scenario.js";
import { formatFinding } from "../verifier/format.js";
import { chromeTraceChunks } from "./chrome.js";
import { hex } from "./format.js";
import { htmlReportChunks, type HtmlOptions, type HtmlRun } from "./html.js";
import { decodeIoctl } from "./ioctl.js";
import { mermaidChunks, mermaidMarkdownChunks } from "./mermaid.js";
import { TraceNames } from "./names.js";
import { sequenceSource } from "./sequence.js";
import { joinChunks, type Chunks } from "./stream.js";
import { standaloneSequenceSvg } from "./svg-sequence.js";
import { ioctlsUsed, textTimelineLines } from "./text.js";

/** The formats a scenario's results can be turned into (`irpsim run --format`). */
export const REPORT_FORMATS = ["text", "mermaid", "chrome", "html", "json", "svg"] as const;

/**
 * One report format: `text` (the timeline with checks and findings), `mermaid` (a
 * sequenceDiagram), `chrome` (Chrome Trace Event JSON for ui.perfetto.dev), `html` (one
 * self-contained page with findings, memory map and sequence diagram), `json` (every trace event
 * with each run's options and checks) or `svg` (the sequence diagram alone, for a page or a slide).
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
  /** What the scenario does, for the HTML report's introduction (default: the result's summary). */
  readonly summary?: string;
  /** Where the scenario's source is, for the HTML report's introduction (default: the result's source). */
  readonly source?: string | null;
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

/** One run as the HTML report shows it: its trace, checks, findings and bug check in full. */
export function htmlRun(r: ScenarioResult): HtmlRun {
  const bugCheck = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  return { title: resultTitle(r), events: r.events, checks: r.checks, passed: r.passed, problems: resultProblems(r), bugCheck, findings: r.findings };
}

/** One run's text report, a line at a time: the timeline, the checks, the bug check, deadlock or findings, and PASSED or FAILED. */
export function* resultTextLines(r: ScenarioResult, options: ReportOptions = {}): Generator<string> {
  const title = resultTitle(r);
  yield* textTimelineLines(r.events, { title: `${title}\n${"=".repeat(title.length)}`, color: options.color ?? false, verbose: options.verbose ?? false });
  yield* ["", "Checks"];
  for (const c of r.checks) yield `  ${c.passed ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.passed ? ` — ${c.detail}` : ""}`;
  if (r.machine.injected.length > 0) {
    // What was done to the run on purpose (allocations failed by the low resources simulation,
    // an explorer's injections): the checks above are those of a disturbed run.
    yield* ["", "Injected"];
    for (const what of r.machine.injected) yield `  ${what}`;
  }
  const bc = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  if (bc) yield* ["", formatBugCheck(bc)];
  if (r.run?.deadlock) yield* ["", `Deadlock: ${r.run.deadlock}`];
  if (r.machine.halted?.kind === "livelock") yield* ["", `Livelock: ${r.machine.halted.description}`];
  for (const f of r.findings) yield* ["", formatFinding(f)];
  if (r.error) yield* ["", `The scenario threw: ${r.error instanceof Error ? (r.error.stack ?? r.error.message) : typeof r.error}`];
  yield* ["", r.passed ? "PASSED" : "FAILED"];
}

/** One run's text report as one string (see {@link resultTextLines}). */
export function formatResultText(r: ScenarioResult, options: ReportOptions = {}): string {
  return [...resultTextLines(r, options)].join("\n");
}

/** The control codes a run's requests carried, named and decoded (the JSON format's `ioctls`). */
function ioctlTable(events: ScenarioResult["events"]): { code: string; name: string | null; deviceType: string; function: string; method: string; access: string }[] {
  const names = TraceNames.from(events);
  return ioctlsUsed(events).map((code) => {
    const d = decodeIoctl(code);
    return { code: hex(code), name: names.ioctl(code), deviceType: d.deviceTypeName, function: `0x${d.function.toString(16).toUpperCase()}`, method: d.methodName, access: d.accessName };
  });
}

/** {@link formatResultJson} in chunks: one per trace event. */
export function* resultJsonChunks(results: readonly ScenarioResult[], scenario: string = results[0]?.scenario ?? ""): Generator<string> {
  yield `{"format":"irpsim-trace","version":1,"scenario":${JSON.stringify(scenario)},"runs":[\n`;
  let firstRun = true;
  for (const r of results) {
    const head = JSON.stringify({ options: r.options, passed: r.passed, outcome: r.run?.outcome ?? null, checks: r.checks, problems: resultProblems(r), ioctls: ioctlTable(r.events) });
    yield `${firstRun ? "" : ",\n"}  ${head.slice(0, -1)},"events":[\n`;
    firstRun = false;
    let first = true;
    for (const e of r.events) {
      yield `${first ? "" : ",\n"}    ${JSON.stringify(e)}`;
      first = false;
    }
    yield "\n  ]}";
  }
  yield "\n]}\n";
}

/** The runs as one JSON document: per run its options, outcome, checks, control codes and every trace event (one per line). */
export function formatResultJson(results: readonly ScenarioResult[], scenario: string = results[0]?.scenario ?? ""): string {
  return joinChunks(resultJsonChunks(results, scenario));
}

function* textChunks(results: readonly ScenarioResult[], options: ReportOptions): Generator<string> {
  let first = true;
  for (const r of results) {
    if (!first) yield "\n\n\n";
    first = false;
    let firstLine = true;
    for (const l of resultTextLines(r, options)) {
      yield firstLine ? l : `\n${l}`;
      firstLine = false;
    }
  }
  yield "\n";
}

function isResultList(x: ScenarioResult | readonly ScenarioResult[]): x is readonly ScenarioResult[] {
  return Array.isArray(x);
}

/** The HTML introduction's options for these results: the page title, the scenario's summary and source. */
function htmlOptions(list: readonly ScenarioResult[], options: ReportOptions): HtmlOptions {
  const first = list[0];
  const summary = options.summary ?? first?.summary;
  const source = options.source === undefined ? (first?.source ?? null) : options.source;
  return { title: options.title ?? `irpsim: ${first?.scenario ?? "report"}`, verbose: options.verbose ?? false, ...(summary ? { summary } : {}), ...(source ? { source } : {}) };
}

/**
 * {@link formatReport} as chunks made while they are written (give them to `writeChunks` with a
 * file or standard output): what to use for long runs.
 */
export function reportChunks(results: ScenarioResult | readonly ScenarioResult[], format: ReportFormat, options: ReportOptions = {}): Chunks {
  const list = isResultList(results) ? results : [results];
  const verbose = options.verbose ?? false;
  switch (format) {
    case "text":
      return textChunks(list, options);
    case "mermaid": {
      const only = list[0];
      if (list.length === 1 && only && options.markdown !== true) return mermaidChunks(only.events, { title: resultTitle(only), verbose });
      return mermaidMarkdownChunks(list.map((r) => ({ title: resultTitle(r), events: r.events })), { verbose });
    }
    case "chrome":
      return chromeTraceChunks(list.map((r) => ({ label: resultTitle(r), events: r.events })));
    case "html":
      return htmlReportChunks(list.map(htmlRun), htmlOptions(list, options));
    case "json":
      return resultJsonChunks(list);
    case "svg":
      return [standaloneSequenceSvg(list.map((r) => ({ title: resultTitle(r), diagram: sequenceSource(r.events, { verbose }) })))];
  }
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
  return joinChunks(reportChunks(results, format, options));
}

function isScenarioResult(x: ScenarioResult | HtmlRun): x is ScenarioResult {
  return "machine" in x && "scenario" in x;
}

function isRunList(x: ScenarioResult | readonly (ScenarioResult | HtmlRun)[]): x is readonly (ScenarioResult | HtmlRun)[] {
  return Array.isArray(x);
}

/**
 * The HTML report: one self-contained page (nothing fetched) with an introduction, per run the
 * findings, bug check and checks, the memory map with lock counts over time and a time cursor,
 * the sequence diagram and the text timeline. Give it what `runScenario(s, { trace: true })`
 * returned — one result or several (the title defaults to "irpsim: <scenario>") — or runs built by
 * hand ({@link HtmlRun}: a title and trace events).
 */
export function formatHtmlReport(results: ScenarioResult | readonly ScenarioResult[], options?: Partial<HtmlOptions>): string;
export function formatHtmlReport(runs: readonly HtmlRun[], options: HtmlOptions): string;
export function formatHtmlReport(x: ScenarioResult | readonly (ScenarioResult | HtmlRun)[], options: Partial<HtmlOptions> = {}): string {
  const list = isRunList(x) ? x : [x];
  const results = list.filter(isScenarioResult);
  const base = htmlOptions(results, { ...(options.title !== undefined ? { title: options.title } : {}), ...(options.verbose !== undefined ? { verbose: options.verbose } : {}), ...(options.summary !== undefined ? { summary: options.summary } : {}), ...(options.source !== undefined ? { source: options.source } : {}) });
  const title = options.title ?? (results.length > 0 ? base.title : "irpsim");
  const runs = list.map((r) => (isScenarioResult(r) ? htmlRun(r) : r));
  return joinChunks(htmlReportChunks(runs, { ...base, title }));
}
