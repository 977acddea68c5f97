/**
 * The report formats of `irpsim run`: one function turns a scenario's runs (one per variant) into
 * the text a user asked for. The exporters in report/ see only trace events; this file adds what a
 * scenario knows besides (its title, its checks, whether it passed).
 */
import { formatBugCheck } from "../kernel/bugcheck.js";
import type { Scenario, ScenarioResult } from "../scenario/scenario.js";
import { formatChromeTrace } from "../report/chrome.js";
import { formatHtmlReport } from "../report/html.js";
import { formatMermaid, formatMermaidMarkdown } from "../report/mermaid.js";
import { formatTextTimeline } from "../report/text.js";
import { formatFinding } from "../verifier/format.js";

/** The formats `--format` accepts. */
export const REPORT_FORMATS = ["text", "mermaid", "chrome", "html", "json"] as const;
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

/** One variant's text report: the timeline, the checks, and how it ended. */
export function renderText(s: Scenario, r: ScenarioResult, color: boolean, verbose: boolean): string {
  const title = runTitle(s, r);
  const lines = [formatTextTimeline(r.events, { title: `${title}\n${"=".repeat(title.length)}`, color, verbose })];
  lines.push("", "Checks");
  for (const c of r.checks) lines.push(`  ${c.passed ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.passed ? ` — ${c.detail}` : ""}`);
  if (r.machine.injected.length > 0) {
    // What was done to the run on purpose (allocations failed by the low resources simulation,
    // an explorer's injections): the checks above are those of a disturbed run.
    lines.push("", "Injected");
    for (const what of r.machine.injected) lines.push(`  ${what}`);
  }
  const bc = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  if (bc) lines.push("", formatBugCheck(bc));
  if (r.run?.deadlock) lines.push("", `Deadlock: ${r.run.deadlock}`);
  if (r.machine.halted?.kind === "livelock") lines.push("", `Livelock: ${r.machine.halted.description}`);
  for (const f of r.findings) lines.push("", formatFinding(f));
  if (r.error) lines.push("", `The scenario threw: ${r.error instanceof Error ? (r.error.stack ?? r.error.message) : typeof r.error}`);
  lines.push("", r.passed ? "PASSED" : "FAILED");
  return lines.join("\n");
}

/** The runs as one JSON document: per run its options, outcome, checks and every trace event (one per line). */
export function renderJson(s: Scenario, results: readonly ScenarioResult[]): string {
  const runs = results.map((r) => {
    const head = JSON.stringify({ options: r.options, passed: r.passed, outcome: r.run?.outcome ?? null, checks: r.checks, problems: problems(r) });
    const events = r.events.map((e) => `    ${JSON.stringify(e)}`).join(",\n");
    return `  ${head.slice(0, -1)},"events":[\n${events}\n  ]}`;
  });
  return `{"format":"irpsim-trace","version":1,"scenario":${JSON.stringify(s.name)},"runs":[\n${runs.join(",\n")}\n]}\n`;
}

/** The report of a scenario's runs in `format`. */
export function renderReport(s: Scenario, results: readonly ScenarioResult[], format: ReportFormat, o: RenderOptions = {}): string {
  const verbose = o.verbose ?? false;
  switch (format) {
    case "text":
      return results.map((r) => renderText(s, r, o.color ?? false, verbose)).join("\n\n\n") + "\n";
    case "mermaid": {
      const only = results[0];
      if (results.length === 1 && only && !o.markdown) return formatMermaid(only.events, { title: runTitle(s, only), verbose });
      return formatMermaidMarkdown(results.map((r) => ({ title: runTitle(s, r), events: r.events })), { verbose });
    }
    case "chrome":
      return formatChromeTrace(results.map((r) => ({ label: runTitle(s, r), events: r.events })));
    case "html":
      return formatHtmlReport(
        results.map((r) => ({ title: runTitle(s, r), events: r.events, checks: r.checks, passed: r.passed, problems: problems(r) })),
        { title: `irpsim: ${s.name}`, verbose },
      );
    case "json":
      return renderJson(s, results);
  }
}
