/**
 * The report formats of `irpsim run`: the scenario's runs (one per variant) in the format a user
 * asked for. The work is done by report/scenario-report.ts, which scenario authors reach through
 * `formatReport` and `reportChunks` from `irpsim`; these names stay for the command line and its
 * tests, and add what the command line knows of the scenario (its summary and source).
 */
import type { Scenario, ScenarioResult } from "../scenario/scenario.js";
import { joinChunks, type Chunks } from "../report/stream.js";
import type { HtmlRun } from "../report/html.js";
import { formatResultJson, htmlRun as resultHtmlRun, reportChunks as resultReportChunks, resultTextLines, resultTitle, type ReportFormat, type ReportOptions } from "../report/scenario-report.js";

export { REPORT_FORMATS, isReportFormat } from "../report/scenario-report.js";
export type { ReportFormat } from "../report/scenario-report.js";

/** How to render. */
export type RenderOptions = ReportOptions;

/** "sharebuf — ending: killed". */
export function runTitle(_s: Scenario, r: ScenarioResult): string {
  return resultTitle(r);
}

/** One variant's text report, a line at a time: the timeline, the checks, and how it ended. */
export function renderTextLines(_s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): Generator<string> {
  return resultTextLines(r, { color, verbose });
}

/** One variant's text report: the timeline, the checks, and how it ended. */
export function renderText(s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): string {
  return [...renderTextLines(s, r, color, verbose)].join("\n");
}

/** The runs as one JSON document: per run its options, outcome, checks and every trace event (one per line). */
export function renderJson(s: Scenario, results: readonly ScenarioResult[]): string {
  return formatResultJson(results, s.name);
}

/** The report of a scenario's runs in `format`, as chunks made while they are written. */
export function reportChunks(s: Scenario, results: readonly ScenarioResult[], format: ReportFormat, o: RenderOptions = {}): Chunks {
  return resultReportChunks(results, format, { title: `irpsim: ${s.name}`, summary: s.summary, ...o, source: o.source === undefined ? (s.source ?? null) : o.source });
}

/** A scenario's run as the HTML report takes it: its trace, checks, findings and bug check in full. */
export function htmlRun(_s: Scenario, r: ScenarioResult): HtmlRun {
  return resultHtmlRun(r);
}

/** The report of a scenario's runs in `format`. */
export function renderReport(s: Scenario, results: readonly ScenarioResult[], format: ReportFormat, o: RenderOptions = {}): string {
  return joinChunks(reportChunks(s, results, format, o));
}
