/**
 * The report formats of `irpsim run`: one function turns a scenario's runs (one per variant) into
 * the text a user asked for. The exporters in report/ see only trace events; this file adds what a
 * scenario knows besides (its title, its checks, whether it passed).
 */
import { formatBugCheck } from "../kernel/bugcheck.js";
import type { Scenario, ScenarioResult } from "../scenario/scenario.js";
import { chromeTraceChunks } from "../report/chrome.js";
import { htmlReportChunks, type HtmlRun } from "../report/html.js";
import { sequenceSource } from "../report/sequence.js";
import { standaloneSequenceSvg } from "../report/svg-sequence.js";
import { mermaidChunks, mermaidMarkdownChunks } from "../report/mermaid.js";
import { joinChunks, type Chunks } from "../report/stream.js";
import { ioctlsUsed, textTimelineLines } from "../report/text.js";
import { hex } from "../report/format.js";
import { decodeIoctl } from "../report/ioctl.js";
import { TraceNames } from "../report/names.js";
import { formatFinding } from "../verifier/format.js";

/** The formats `--format` accepts. */
export const REPORT_FORMATS = ["text", "mermaid", "chrome", "html", "json", "svg"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** True for a name in {@link REPORT_FORMATS}. */
export function isReportFormat(name: string): name is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(name);
}

/** How to render. */
export interface RenderOptions {
  /** ANSI colours in the text format. */
  readonly color?: boolean;
  /** Low-level events too (waits, APCs, IRP allocation; DbgPrint notes in diagrams). */
  readonly verbose?: boolean;
  /** Mermaid as Markdown (a heading and a fenced block per run) even for a single run. */
  readonly markdown?: boolean;
  /** Where the scenario's source is, for the HTML report's introduction (default: the scenario's own `source`). */
  readonly source?: string | null;
}

/** "sharebuf — ending: killed". */
export function runTitle(s: Scenario, r: ScenarioResult): string {
  const opts = Object.entries(r.options).map(([k, v]) => `${k}: ${v}`).join(", ");
  return `${s.name}${opts ? ` — ${opts}` : ""}`;
}

/** An emulated thread's or a scenario's error, in words (they may throw anything). */
function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : `a thrown ${typeof e}`;
}

/** What went wrong in a run beyond its events and checks (an exception, a host error), in words. */
function problems(r: ScenarioResult): string[] {
  const out: string[] = [];
  if (r.error) out.push(`the scenario threw: ${errorText(r.error)}`);
  for (const h of r.run?.errors ?? []) out.push(`${h.thread} failed: ${errorText(h.error)}`);
  if (r.run?.hostStuck) out.push(`the host got stuck: ${r.run.hostStuck}`);
  return out;
}

/** One variant's text report, a line at a time: the timeline, the checks, and how it ended. */
export function* renderTextLines(s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): Generator<string> {
  const title = runTitle(s, r);
  yield* textTimelineLines(r.events, { title: `${title}\n${"=".repeat(title.length)}`, color, verbose });
  yield* ["", "Checks"];
  for (const c of r.checks) yield `  ${c.passed ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.passed ? ` — ${c.detail}` : ""}`;
  const bc = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  if (bc) yield* ["", formatBugCheck(bc)];
  if (r.run?.deadlock) yield* ["", `Deadlock: ${r.run.deadlock}`];
  for (const f of r.findings) yield* ["", formatFinding(f)];
  if (r.error) yield* ["", `The scenario threw: ${r.error instanceof Error ? (r.error.stack ?? r.error.message) : typeof r.error}`];
  yield* ["", r.passed ? "PASSED" : "FAILED"];
}

/** One variant's text report: the timeline, the checks, and how it ended. */
export function renderText(s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): string {
  return [...renderTextLines(s, r, color, verbose)].join("\n");
}

/** The control codes a run's requests carried, named and decoded (the JSON format's `ioctls`). */
function ioctlTable(events: ScenarioResult["events"]): { code: string; name: string | null; deviceType: string; function: string; method: string; access: string }[] {
  const names = TraceNames.from(events);
  return ioctlsUsed(events).map((code) => {
    const d = decodeIoctl(code);
    return { code: hex(code), name: names.ioctl(code), deviceType: d.deviceTypeName, function: `0x${d.function.toString(16).toUpperCase()}`, method: d.methodName, access: d.accessName };
  });
}

/** {@link renderJson} in chunks: one per trace event. */
export function* jsonChunks(s: Scenario, results: readonly ScenarioResult[]): Generator<string> {
  yield `{"format":"irpsim-trace","version":1,"scenario":${JSON.stringify(s.name)},"runs":[\n`;
  let firstRun = true;
  for (const r of results) {
    const head = JSON.stringify({ options: r.options, passed: r.passed, outcome: r.run?.outcome ?? null, checks: r.checks, problems: problems(r), ioctls: ioctlTable(r.events) });
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

/** The runs as one JSON document: per run its options, outcome, checks and every trace event (one per line). */
export function renderJson(s: Scenario, results: readonly ScenarioResult[]): string {
  return joinChunks(jsonChunks(s, results));
}

/** The report of a scenario's runs in `format`, as chunks made while they are written. */
export function reportChunks(s: Scenario, results: readonly ScenarioResult[], format: ReportFormat, o: RenderOptions = {}): Chunks {
  const verbose = o.verbose ?? false;
  switch (format) {
    case "text":
      return textChunks(s, results, o.color ?? false, verbose);
    case "mermaid": {
      const only = results[0];
      if (results.length === 1 && only && !o.markdown) return mermaidChunks(only.events, { title: runTitle(s, only), verbose });
      return mermaidMarkdownChunks(results.map((r) => ({ title: runTitle(s, r), events: r.events })), { verbose });
    }
    case "chrome":
      return chromeTraceChunks(results.map((r) => ({ label: runTitle(s, r), events: r.events })));
    case "html": {
      const source = o.source === undefined ? s.source : o.source;
      return htmlReportChunks(
        results.map((r) => htmlRun(s, r)),
        { title: `irpsim: ${s.name}`, verbose, summary: s.summary, ...(source ? { source } : {}) },
      );
    }
    case "json":
      return jsonChunks(s, results);
    case "svg":
      return [standaloneSequenceSvg(results.map((r) => ({ title: runTitle(s, r), diagram: sequenceSource(r.events, { verbose }) })))];
  }
}

/** A scenario's run as the HTML report takes it: its trace, checks, findings and bug check in full. */
export function htmlRun(s: Scenario, r: ScenarioResult): HtmlRun {
  const bugCheck = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  return { title: runTitle(s, r), events: r.events, checks: r.checks, passed: r.passed, problems: problems(r), bugCheck, findings: r.findings };
}

function* textChunks(s: Scenario, results: readonly ScenarioResult[], color: boolean, verbose: boolean): Generator<string> {
  let first = true;
  for (const r of results) {
    if (!first) yield "\n\n\n";
    first = false;
    let firstLine = true;
    for (const l of renderTextLines(s, r, color, verbose)) {
      yield firstLine ? l : `\n${l}`;
      firstLine = false;
    }
  }
  yield "\n";
}

/** The report of a scenario's runs in `format`. */
export function renderReport(s: Scenario, results: readonly ScenarioResult[], format: ReportFormat, o: RenderOptions = {}): string {
  return joinChunks(reportChunks(s, results, format, o));
}
