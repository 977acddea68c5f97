/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no fonts or images to
 * fetch; a Content-Security-Policy forbids any network load) with, per run, the findings, the
 * memory map with lock counts over time, the sequence diagram, and the text timeline.
 */
import type { TraceEvent } from "../kernel/trace.js";
import { hex, ms } from "./format.js";
import { buildMemoryMap, type MemoryMap } from "./memory-map.js";
import { buildSequence } from "./sequence.js";
import { esc } from "./svg.js";
import { renderLockChartSvg, renderMemoryMapSvg } from "./svg-memory-map.js";
import { renderSequenceSvg } from "./svg-sequence.js";
import { formatTextTimeline, summarize } from "./text.js";

/** A check a scenario made, as the report shows it. */
export interface ReportCheck {
  /** What was checked. */
  readonly name: string;
  /** Whether it held. */
  readonly passed: boolean;
  /** What was seen. */
  readonly detail: string;
}

/** One run in the report. */
export interface HtmlRun {
  /** "sharebuf — ending: killed". */
  readonly title: string;
  /** The run's trace events. */
  readonly events: readonly TraceEvent[];
  /** The scenario's checks. */
  readonly checks?: readonly ReportCheck[];
  /** Whether the run passed; absent: judged from the events (no finding, bug check or deadlock). */
  readonly passed?: boolean;
  /** Other failures to list with the findings (an exception the scenario threw). */
  readonly problems?: readonly string[];
}

/** Options for the report. */
export interface HtmlOptions {
  /** The page title ("irpsim: sharebuf"). */
  readonly title: string;
  /** Show DbgPrint lines and waits in the diagram, and low-level events in the timeline. */
  readonly verbose?: boolean;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1a202c; background: #fff; }
header.page { padding: 16px 24px; border-bottom: 1px solid #e2e8f0; background: #f7fafc; }
header.page h1 { margin: 0 0 6px; font-size: 20px; }
nav a { margin-right: 14px; color: #2b6cb0; text-decoration: none; }
section.run { padding: 8px 24px 24px; border-bottom: 3px solid #e2e8f0; }
h2 { font-size: 18px; margin: 18px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; margin-left: 8px; }
.badge.passed { background: #c6f6d5; color: #22543d; }
.badge.failed { background: #fed7d7; color: #822727; }
.summary { color: #4a5568; }
ul.findings li { color: #9b2c2c; }
ul.checks { columns: 2; font-size: 13px; }
ul.checks li.failed { color: #9b2c2c; font-weight: 600; }
.scroll { overflow-x: auto; border: 1px solid #e2e8f0; border-radius: 4px; background: #fff; }
pre.timeline { font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; overflow-x: auto; background: #f7fafc; padding: 8px; }
svg text { font: 12px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; fill: #2d3748; }
svg .time { fill: #718096; }
svg .time-rule { stroke: #edf2f7; }
svg .lifeline { stroke: #a0aec0; stroke-dasharray: 3 4; }
svg .participant text { font-weight: 600; }
svg .activation { fill: #edf2f7; stroke: #4a5568; }
svg .activation.open { fill: #fed7d7; }
svg .message line, svg .message path { stroke-width: 1.4; }
svg .note rect { fill: #fefcbf; stroke: #d69e2e; }
svg .note[data-tone="error"] rect { fill: #fff5f5; stroke: #c53030; }
svg .note[data-tone="pending"] rect { fill: #fffaf0; stroke: #dd6b20; }
svg .loop rect { fill: none; stroke: #805ad5; stroke-dasharray: 5 3; }
svg .loop .loop-tab { fill: #faf5ff; stroke: #805ad5; }
svg .loop text { fill: #553c9a; }
svg .column-title { font-weight: 600; fill: #4a5568; }
svg .range-title { font-weight: 600; }
svg .range-sub, svg .more { fill: #718096; }
svg .frame rect { fill: #f0fff4; stroke: #38a169; }
svg .frame rect.locked { stroke-width: 2.5; }
svg .link { fill: none; stroke-width: 1.3; opacity: .75; }
svg .grid { stroke: #edf2f7; }
svg .axis { stroke: #a0aec0; }
svg .tick { fill: #718096; }
svg .lifetime.user rect { fill: #bee3f8; stroke: #3182ce; }
svg .lifetime.system rect { fill: #feebc8; stroke: #dd6b20; }
svg .locks rect { fill: #9ae6b4; stroke: #38a169; }
svg .locks.count-2 rect { fill: #48bb78; }
svg .locks.count-3 rect { fill: #2f855a; }
svg .bar-label { font-size: 11px; }
`;

/** Sentences that say what the memory map shows: which ranges share which frames. */
function mapStory(map: MemoryMap, bytesCopied: number): string[] {
  const out: string[] = [];
  for (const m of map.ranges.filter((r) => r.role === "mapped")) {
    const own = map.ranges.find((r) => r.mdl === m.mdl && r.role !== "mapped");
    if (!own) continue;
    const where = (r: typeof m) => (r.space === "user" ? `${r.processName}'s address ${hex(r.va)}` : `system address ${hex(r.va)}`);
    out.push(`${where(own)} and ${where(m)} are two virtual ranges over the same ${m.pages.length} physical frame${m.pages.length === 1 ? "" : "s"} (${m.mdl}): a write through one is read through the other.`);
  }
  if (out.length > 0) out.push(bytesCopied === 0 ? "No byte was copied between them in this run: the sharing is zero-copy." : `${bytesCopied} bytes were copied by buffered I/O in this run.`);
  return out;
}

function findingsOf(run: HtmlRun): string[] {
  const list: string[] = [];
  for (const e of run.events) {
    if (e.kind === "Finding") list.push(`${ms(e.time)} — finding ${e.rule}${e.code ? ` (${e.code})` : ""}${e.driver ? ` in ${e.driver}` : ""}: ${e.message}${e.source ? ` at ${e.source}` : ""}`);
    else if (e.kind === "BugCheck") list.push(`${ms(e.time)} — bug check ${hex(e.code)} ${e.name} (${e.parameters.map(hex).join(", ")})${e.driver ? ` in ${e.driver}` : ""}${e.source ? ` at ${e.source}` : ""}`);
    else if (e.kind === "Deadlock") list.push(`${ms(e.time)} — deadlock: ${e.description}`);
  }
  for (const c of run.checks ?? []) if (!c.passed) list.push(`failed check: ${c.name}${c.detail ? ` — ${c.detail}` : ""}`);
  list.push(...(run.problems ?? []));
  return list;
}

function runSection(run: HtmlRun, i: number, options: HtmlOptions): string {
  const verbose = options.verbose ?? false;
  const findings = findingsOf(run);
  const passed = run.passed ?? findings.length === 0;
  const s = summarize(run.events);
  const map = buildMemoryMap(run.events);
  const checks = run.checks ?? [];
  const parts: string[] = [];
  parts.push(`<section class="run" id="run-${i + 1}">`);
  parts.push(`<h2>${esc(run.title)}<span class="badge ${passed ? "passed" : "failed"}">${passed ? "PASSED" : "FAILED"}</span></h2>`);
  parts.push(
    `<p class="summary">IRPs: ${s.irpsAllocated} allocated, ${s.irpsCompleted} completed (${s.irpsCancelled} cancelled), ${s.irpsFreed} freed · ` +
      `MDLs: ${s.mdlsLocked} locked, ${s.mdlsMapped} mapped, ${s.mdlsUnlocked} unlocked · bytes copied: ${s.bytesCopiedIn} in, ${s.bytesCopiedOut} out · ` +
      `findings: ${s.findings}, bug checks: ${s.bugChecks}</p>`,
  );
  parts.push(`<h3>Findings</h3>`);
  parts.push(findings.length > 0 ? `<ul class="findings">${findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>` : `<p class="no-findings">None: no finding, bug check, deadlock or failed check.</p>`);
  if (checks.length > 0) {
    const ok = checks.filter((c) => c.passed).length;
    parts.push(`<details${ok === checks.length ? "" : " open"}><summary>Checks: ${ok} of ${checks.length} passed</summary><ul class="checks">`);
    for (const c of checks) parts.push(`<li class="${c.passed ? "passed" : "failed"}">${c.passed ? "✓" : "✗"} ${esc(c.name)}${c.detail && !c.passed ? ` — ${esc(c.detail)}` : ""}</li>`);
    parts.push(`</ul></details>`);
  }
  parts.push(`<h3>Memory map</h3>`);
  if (map.ranges.length === 0) {
    parts.push(`<p class="no-memory">No MDL locked or mapped memory in this run.</p>`);
  } else {
    for (const line of mapStory(map, s.bytesCopiedIn + s.bytesCopiedOut)) parts.push(`<p>${esc(line)}</p>`);
    parts.push(`<div class="scroll">${renderMemoryMapSvg(map)}</div>`);
    parts.push(`<h3>Locks over time</h3>`);
    parts.push(`<div class="scroll">${renderLockChartSvg(map)}</div>`);
  }
  parts.push(`<h3>Sequence</h3>`);
  parts.push(`<div class="scroll">${renderSequenceSvg(buildSequence(run.events, { verbose }), { idPrefix: `r${i + 1}` })}</div>`);
  parts.push(`<details><summary>Timeline (text)</summary><pre class="timeline">${esc(formatTextTimeline(run.events, { verbose }))}</pre></details>`);
  parts.push(`</section>`);
  return parts.join("\n");
}

/** The report of one or more runs, as a complete HTML document. */
export function formatHtmlReport(runs: readonly HtmlRun[], options: HtmlOptions): string {
  const nav = runs.map((r, i) => `<a href="#run-${i + 1}">${esc(r.title)}</a>`).join("");
  return [
    `<!DOCTYPE html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    // Self-contained by construction: the page may load nothing from anywhere.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="irpsim">`,
    `<title>${esc(options.title)}</title>`,
    `<style>${CSS}</style>`,
    `</head>`,
    `<body>`,
    `<header class="page"><h1>${esc(options.title)}</h1><nav>${nav}</nav></header>`,
    ...runs.map((r, i) => runSection(r, i, options)),
    `</body>`,
    `</html>`,
    ``,
  ].join("\n");
}
