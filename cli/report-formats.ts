/**
 * The report formats of `irpsim run`: the scenario's runs (one per variant) in the format a user
 * asked for. The work is done by report/scenario-report.ts, which scenario authors reach through
 * `formatReport` from `irpsim`; these names stay for the command line and its tests.
 */
import type { Scenario, ScenarioResult } from "../scenario/scenario.js";
import { formatReport, formatResultJson, formatResultText, resultTitle, type ReportFormat, type ReportOptions } from "../report/scenario-report.js";

export { REPORT_FORMATS, isReportFormat } from "../report/scenario-report.js";
export type { ReportFormat } from "../report/scenario-report.js";

/** How to render. */
export type RenderOptions = ReportOptions;

/** "sharebuf — ending: killed". */
export function runTitle(_s: Scenario, r: ScenarioResult): string {
  return resultTitle(r);
}

/** One variant's text report: the timeline, the checks, and how it ended. */
export function renderText(_s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): string {
  return formatResultText(r, { color, verbose });
}

/** The runs as one JSON document: per run its options, outcome, checks and every trace event (one per line). */
export function renderJson(s: Scenario, results: readonly ScenarioResult[]): string {
  return formatResultJson(results, s.name);
}

/** The report of a scenario's runs in `format`. */
export function renderReport(s: Scenario, results: readonly ScenarioResult[], format: ReportFormat, o: RenderOptions = {}): string {
  return formatReport(results, format, { title: `irpsim: ${s.name}`, ...o });
}
