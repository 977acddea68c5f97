/**
 * The HTML report: one self-contained file (inline CSS and SVG, one inline script allowed by its
 * hash, no fonts or images to fetch; a Content-Security-Policy forbids any network load) with a
 * short introduction (what the scenario does, where its source is) and, per run: what went wrong,
 * explained (rule, what happened, the usual fix, where); the checks; a time cursor that steps
 * through the run showing the memory map, lock counts and what is pending at each step; the
 * memory map with lock counts over time; the sequence diagram with a legend; and the text
 * timeline. It is written as a stream; a run of any length gives a report a browser can open
 * (the diagram and the timeline say what they leave out past their limits).
 */
import type { BugCheckRecord } from "../kernel/bugcheck.js";
import type { Finding } from "../kernel/machine.js";
import type { TraceEvent } from "../kernel/trace.js";
import { buildCursor } from "./cursor.js";
import { explainBugCheck, explainEvents, explainFinding, type Explained } from "./explain.js";
import { hex, ms } from "./format.js";
import { CURSOR_SCRIPT, CURSOR_SCRIPT_HASH } from "./html-script.js";
import { ioctlLegend } from "./ioctl.js";
import { buildMemoryMap, type MemoryMap } from "./memory-map.js";
import { TraceNames } from "./names.js";
import { sequenceSource } from "./sequence.js";
import { joinChunks } from "./stream.js";
import { esc } from "./svg.js";
import { renderLockChartSvg, renderMemoryMapSvg } from "./svg-memory-map.js";
import { KIND_COLOR, layoutSequenceSvg, SEQUENCE_CSS, TONE_COLOR } from "./svg-sequence.js";
import { ioctlsUsed, summarize, textTimelineLines } from "./text.js";

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
  /** The bug check the machine halted on, in full (its rule, detail and IRP timeline); absent: read from the trace. */
  readonly bugCheck?: BugCheckRecord | null;
  /** The run's findings in full (routine, IRP timeline); absent: read from the trace. */
  readonly findings?: readonly Finding[];
}

/** Options for the report. */
export interface HtmlOptions {
  /** The page title ("irpsim: sharebuf"). */
  readonly title: string;
  /** Show DbgPrint lines and waits in the diagram, and low-level events in the timeline. */
  readonly verbose?: boolean;
  /** What the scenario does, in a sentence (its summary): the introduction says it. */
  readonly summary?: string;
  /** Where the scenario's source is (a file or folder). */
  readonly source?: string;
}

/** Lines of the text timeline the report embeds at most; the rest is counted. */
export const MAX_TIMELINE_LINES = 5000;

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1a202c; background: #fff; }
header.page { padding: 16px 24px; border-bottom: 1px solid #e2e8f0; background: #f7fafc; }
header.page h1 { margin: 0 0 6px; font-size: 20px; }
header.page p { margin: 4px 0; max-width: 72em; }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; background: #edf2f7; padding: 0 3px; border-radius: 3px; }
nav a { margin-right: 14px; color: #2b6cb0; text-decoration: none; }
section.run { padding: 8px 24px 24px; border-bottom: 3px solid #e2e8f0; }
h2 { font-size: 18px; margin: 18px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; margin-left: 8px; }
.badge.passed { background: #c6f6d5; color: #22543d; }
.badge.failed { background: #fed7d7; color: #822727; }
.summary { color: #4a5568; }
ul.findings { padding-left: 0; list-style: none; }
ul.findings li { color: #9b2c2c; }
div.problem { border-left: 4px solid #c53030; background: #fff5f5; padding: 6px 12px; margin: 8px 0; }
div.problem .title { font-weight: 600; color: #9b2c2c; }
div.problem dl { display: grid; grid-template-columns: 9em 1fr; gap: 2px 12px; margin: 6px 0 0; }
div.problem dt { color: #718096; }
div.problem dd { margin: 0; }
div.problem pre { margin: 2px 0; font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; }
ul.checks { columns: 2; font-size: 13px; }
ul.checks li.failed { color: #9b2c2c; font-weight: 600; }
.scroll { overflow-x: auto; border: 1px solid #e2e8f0; border-radius: 4px; background: #fff; }
.fit { border: 1px solid #e2e8f0; border-radius: 4px; background: #fff; overflow: hidden; }
.fit svg { display: block; max-width: 100%; height: auto; }
pre.timeline { font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; overflow-x: auto; background: #f7fafc; padding: 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 12px; color: #4a5568; margin: 4px 0 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.cursor { position: sticky; top: 0; z-index: 5; background: #fff; border: 1px solid #cbd5e0; border-radius: 4px; padding: 6px 10px; margin: 12px 0; box-shadow: 0 1px 3px #0000001a; }
.cursor .controls { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.cursor button { font: inherit; padding: 1px 8px; border: 1px solid #a0aec0; border-radius: 3px; background: #f7fafc; cursor: pointer; }
.cursor input.cursor-range { flex: 1 1 240px; }
.cursor .readout { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; margin-top: 4px; }
.cursor .readout [data-cursor=time] { font-weight: 600; margin-right: 10px; }
.cursor .state { display: none; grid-template-columns: repeat(4, 1fr); gap: 4px 16px; font-size: 12px; margin-top: 4px; }
section.cursor-on .cursor .state { display: grid; }
.cursor .state h4 { margin: 2px 0; font-size: 12px; color: #4a5568; }
.cursor .state ul { margin: 0; padding-left: 16px; }
.cursor .state li.none { color: #a0aec0; list-style: none; margin-left: -16px; }
svg text { font: 12px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; fill: #2d3748; }
${SEQUENCE_CSS}
svg.sequence [data-step] { cursor: pointer; }
svg.sequence .current text { font-weight: 700; }
svg .column-title { font-weight: 600; fill: #4a5568; }
svg .range-title { font-weight: 600; }
svg .range-sub, svg .more { fill: #718096; }
svg .frame rect { fill: #f0fff4; stroke: #38a169; }
svg .frame rect.locked { stroke-width: 2.5; }
svg .frame.unlocked rect { fill: #fff; stroke-dasharray: 3 2; }
svg .link { fill: none; stroke-width: 1.3; opacity: .75; }
section.cursor-on svg.memory-map [data-range].absent { opacity: .12; }
svg .grid { stroke: #edf2f7; }
svg .axis { stroke: #a0aec0; }
svg .tick { fill: #718096; }
svg .lifetime.user rect { fill: #bee3f8; stroke: #3182ce; }
svg .lifetime.system rect { fill: #feebc8; stroke: #dd6b20; }
svg .locks rect { fill: #9ae6b4; stroke: #38a169; }
svg .locks.count-2 rect { fill: #48bb78; }
svg .locks.count-3 rect { fill: #2f855a; }
svg .bar-label { font-size: 11px; }
svg.lock-chart line.cursor { stroke: #2b6cb0; stroke-width: 2; }
`;

/** Sentences that say what the memory map shows: which ranges share which frames. */
function mapStory(map: MemoryMap, bytesCopied: number): string[] {
  const out: string[] = [];
  const own = new Map<string, MemoryMap["ranges"][number]>();
  for (const r of map.ranges) if (r.role !== "mapped" && !own.has(r.mdl)) own.set(r.mdl, r);
  for (const m of map.ranges) {
    if (m.role !== "mapped") continue;
    const o = own.get(m.mdl);
    if (!o) continue;
    if (out.length === 4) {
      out.push("… and more mappings like these.");
      break;
    }
    const where = (r: typeof m) => (r.space === "user" ? `${r.processName}'s address ${hex(r.va)}` : `system address ${hex(r.va)}`);
    out.push(`${where(o)} and ${where(m)} are two virtual ranges over the same ${m.pages.length} physical frame${m.pages.length === 1 ? "" : "s"} (${m.mdl}): a write through one is read through the other.`);
  }
  if (out.length > 0) out.push(bytesCopied === 0 ? "No byte was copied between them in this run: the sharing is zero-copy." : `${bytesCopied} bytes were copied by buffered I/O in this run.`);
  return out;
}

/** What went wrong in the run, explained: the full records when given, else the trace's events. */
function explained(run: HtmlRun): Explained[] {
  const fromTrace = explainEvents(run.events);
  // Loops, not push(...list): a run can hold any number of findings.
  const out: Explained[] = [];
  if (run.findings) for (const f of run.findings) out.push(explainFinding(f));
  if (run.bugCheck) out.push(explainBugCheck(run.bugCheck));
  for (const x of fromTrace) {
    if (x.kind === "deadlock" || x.kind === "livelock" || (x.kind === "finding" && !run.findings) || (x.kind === "bug check" && !run.bugCheck)) out.push(x);
  }
  return out.sort((a, b) => a.time - b.time);
}

function problemHtml(x: Explained): string {
  const row = (term: string, body: string) => `<dt>${term}</dt><dd>${body}</dd>`;
  const parts = [`<div class="problem" data-kind="${x.kind}"><div class="title">${esc(`${ms(x.time)} — ${x.title}`)}</div><dl>`];
  if (x.rule) parts.push(row("rule", esc(x.rule)));
  parts.push(row("what happened", esc(x.explanation.charAt(0).toUpperCase() + x.explanation.slice(1))));
  if (x.fix) parts.push(row("usual fix", esc(x.fix)));
  if (x.where) parts.push(row("where", esc(x.where)));
  if (x.parameters.length > 0) parts.push(row("parameters", `<pre>${esc(x.parameters.join("\n"))}</pre>`));
  if (x.timeline.length > 0) parts.push(row("the IRP's story", `<pre>${esc(x.timeline.map((l) => l.trim()).join("\n"))}</pre>`));
  parts.push(`</dl></div>`);
  return parts.join("");
}

/** A small arrow for the legend. */
function legendArrow(color: string, dashed: boolean, open: boolean): string {
  const head = open ? `<path d="M34,2 L42,6 L34,10" fill="none" stroke="${color}" stroke-width="1.5"/>` : `<path d="M34,2 L42,6 L34,10 z" fill="${color}"/>`;
  return `<svg width="44" height="12" aria-hidden="true"><line x1="2" y1="6" x2="40" y2="6" stroke="${color}" stroke-width="1.4"${dashed ? ` stroke-dasharray="6 4"` : ""}/>${head}</svg>`;
}

function legendBox(fill: string, stroke: string, dashed = false): string {
  return `<svg width="18" height="14" aria-hidden="true"><rect x="1" y="1" width="16" height="12" rx="2" fill="${fill}" stroke="${stroke}"${dashed ? ` stroke-dasharray="4 2"` : ""}/></svg>`;
}

/** The legend under the "Sequence" heading: arrows, colours, boxes. */
function legendHtml(): string {
  const item = (art: string, text: string) => `<span>${art}${esc(text)}</span>`;
  return [
    `<div class="legend" role="list" aria-label="legend">`,
    item(legendArrow(TONE_COLOR.plain, false, false), "call (an API call, a dispatch, cancel or completion routine, a DPC)"),
    item(legendArrow(TONE_COLOR.plain, true, true), "return"),
    item(legendArrow(TONE_COLOR.plain, false, true), "completion delivered to the requesting thread"),
    item(legendArrow(TONE_COLOR.pending, false, false), "amber: pending (STATUS_PENDING, ERROR_IO_PENDING)"),
    item(legendArrow(TONE_COLOR.error, false, false), "red: an error status or failure"),
    item(legendArrow(TONE_COLOR.warn, false, false), "orange: a warning status"),
    item(legendBox("#edf2f7", "#4a5568"), "a routine running (activation)"),
    item(legendBox("#fed7d7", "#4a5568"), "never returned"),
    item(legendBox("#fefcbf", "#d69e2e"), "note: memory, state"),
    item(legendBox("#fff5f5", "#c53030"), "note: finding, bug check, termination"),
    item(legendBox("#fffaf0", "#c05621"), "note: injected event, warning"),
    item(legendBox("none", "#805ad5", true), "loop: alike DPC runs folded, the first drawn"),
    ...(["app", "io", "driver", "mm", "kernel"] as const).map((k) => item(legendBox(KIND_COLOR[k].fill, KIND_COLOR[k].stroke), { app: "an app", io: "the I/O manager", driver: "a driver", mm: "the memory manager", kernel: "the kernel" }[k])),
    `</div>`,
  ].join("");
}

/** The time cursor's bar: controls, what the cursor is on, and the state it shows. */
function cursorBar(rows: number): string {
  const button = (action: string, text: string, title: string) => `<button type="button" data-action="${action}" title="${esc(title)}">${text}</button>`;
  const list = (name: string, title: string) => `<div><h4>${title}</h4><ul data-cursor="${name}"></ul></div>`;
  return [
    `<div class="cursor" tabindex="0" aria-label="time cursor: arrow keys step through the run">`,
    `<div class="controls"><strong>Time cursor</strong>`,
    button("first", "|◀", "first step (Home)"),
    button("back", "◀", "previous step (←)"),
    button("forward", "▶", "next step (→)"),
    button("last", "▶|", "last step (End)"),
    `<input class="cursor-range" type="range" min="0" max="${Math.max(0, rows - 1)}" value="0" aria-label="step">`,
    button("off", "whole run", "show the whole run again (Esc)"),
    `</div>`,
    `<div class="readout"><span data-cursor="step"></span> · <span data-cursor="time"></span><span data-cursor="what"></span></div>`,
    `<div class="state">`,
    list("irps", "Requests in flight"),
    list("timers", "Timers armed"),
    list("waits", "Threads waiting"),
    `<div><h4>Locked pages</h4><p data-cursor="locked" style="margin:0"></p></div>`,
    `</div>`,
    `</div>`,
  ].join("");
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no text can close it. */
function jsonBlock(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

function* runSection(run: HtmlRun, i: number, options: HtmlOptions): Generator<string> {
  const verbose = options.verbose ?? false;
  const problems = explained(run);
  const failedChecks = (run.checks ?? []).filter((c) => !c.passed);
  const passed = run.passed ?? (problems.length === 0 && failedChecks.length === 0);
  const s = summarize(run.events);
  const map = buildMemoryMap(run.events);
  const checks = run.checks ?? [];
  const names = TraceNames.from(run.events);
  yield `<section class="run" id="run-${i + 1}">\n`;
  yield `<h2>${esc(run.title)}<span class="badge ${passed ? "passed" : "failed"}">${passed ? "PASSED" : "FAILED"}</span></h2>\n`;
  const codes = ioctlsUsed(run.events);
  yield (
    `<p class="summary">IRPs: ${s.irpsAllocated} allocated, ${s.irpsCompleted} completed (${s.irpsCancelled} cancelled), ${s.irpsFreed} freed · ` +
    `MDLs: ${s.mdlsLocked} locked, ${s.mdlsMapped} mapped, ${s.mdlsUnlocked} unlocked · bytes copied: ${s.bytesCopiedIn} in, ${s.bytesCopiedOut} out · ` +
    `findings: ${s.findings}, bug checks: ${s.bugChecks}${run.events.length > 0 ? ` · ${run.events.length} trace events` : ""}</p>\n`
  );
  if (codes.length > 0) {
    yield `<p class="ioctls">Control codes: ${codes.map((c) => `<code>${esc(ioctlLegend(c, names))}</code>`).join("; ")}</p>\n`;
  }
  yield `<h3>Findings</h3>\n`;
  const extra = [...failedChecks.map((c) => `failed check: ${c.name}${c.detail ? ` — ${c.detail}` : ""}`), ...(run.problems ?? [])];
  if (problems.length === 0 && extra.length === 0) yield `<p class="no-findings">None: no finding, bug check, deadlock or failed check.</p>\n`;
  for (const x of problems) yield `${problemHtml(x)}\n`;
  if (extra.length > 0) yield `<ul class="findings">${extra.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>\n`;
  if (checks.length > 0) {
    const ok = checks.length - failedChecks.length;
    yield `<details${ok === checks.length ? "" : " open"}><summary>Checks: ${ok} of ${checks.length} passed</summary><ul class="checks">`;
    for (const c of checks) yield `<li class="${c.passed ? "passed" : "failed"}">${c.passed ? "✓" : "✗"} ${esc(c.name)}${c.detail && !c.passed ? ` — ${esc(c.detail)}` : ""}</li>`;
    yield `</ul></details>\n`;
  }

  // The diagram is laid out first: the cursor steps through its rows.
  const laid = layoutSequenceSvg(sequenceSource(run.events, { verbose }), { idPrefix: `r${i + 1}` });
  const cursor = buildCursor(run.events, laid.rows, map);
  yield `${cursorBar(laid.rows.length)}\n`;

  yield `<h3>Memory map</h3>\n`;
  if (map.ranges.length === 0) {
    yield `<p class="no-memory">No MDL locked or mapped memory in this run.</p>\n`;
  } else {
    for (const line of mapStory(map, s.bytesCopiedIn + s.bytesCopiedOut)) yield `<p>${esc(line)}</p>\n`;
    yield `<div class="scroll">${renderMemoryMapSvg(map)}</div>\n`;
    yield `<h3>Locks over time</h3>\n`;
    yield `<div class="scroll">${renderLockChartSvg(map)}</div>\n`;
  }
  yield `<h3>Sequence</h3>\n`;
  yield `${legendHtml()}\n`;
  if (laid.cut) yield `<p class="cut">The diagram draws the first ${laid.rows.length} steps, to ${esc(ms(laid.rows.at(-1)?.time ?? 0))}; the run goes on to ${esc(ms(run.events.at(-1)?.time ?? 0))}. The text timeline (<code>irpsim run --full</code>) and the Chrome trace (<code>--format chrome</code>) hold every step.</p>\n`;
  yield `<div class="fit">${laid.svg}</div>\n`;
  yield `<details><summary>Timeline (text)</summary><pre class="timeline">`;
  let first = true;
  for (const l of textTimelineLines(run.events, { verbose, maxLines: MAX_TIMELINE_LINES })) {
    yield `${first ? "" : "\n"}${esc(l)}`;
    first = false;
  }
  yield `</pre></details>\n`;
  yield `<script type="application/json" class="cursor-data">${jsonBlock(cursor)}</script>\n`;
  yield `</section>\n`;
}

/** The report of one or more runs, as a complete HTML document, in chunks made as they are written. */
export function* htmlReportChunks(runs: readonly HtmlRun[], options: HtmlOptions): Generator<string> {
  const nav = runs.map((r, i) => `<a href="#run-${i + 1}">${esc(r.title)}</a>`).join("");
  const intro: string[] = [];
  if (options.summary) intro.push(`<p class="intro">${esc(options.summary.charAt(0).toUpperCase() + options.summary.slice(1))}.</p>`);
  if (options.source) intro.push(`<p class="source">Source: <code>${esc(options.source)}</code> (the driver, the app and the scenario).</p>`);
  intro.push(
    `<p class="how">${runs.length === 1 ? "The run" : `Each of the ${runs.length} runs`} below shows what went wrong (if anything), the checks, the memory its requests locked and mapped, and who called whom. ` +
      `The time cursor steps through a run: at each step it shows which pages are locked and mapped, which requests are pending, which timers are armed and who waits.</p>`,
  );
  yield [
    `<!DOCTYPE html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    // Self-contained by construction: the page may load nothing from anywhere; its one script is allowed by its hash.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src ${CURSOR_SCRIPT_HASH}">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="irpsim">`,
    `<title>${esc(options.title)}</title>`,
    `<style>${CSS}</style>`,
    `</head>`,
    `<body>`,
    `<header class="page"><h1>${esc(options.title)}</h1>${intro.join("")}<nav>${nav}</nav></header>`,
    ``,
  ].join("\n");
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    if (r) yield* runSection(r, i, options);
  }
  yield `<script>${CURSOR_SCRIPT}</script>\n</body>\n</html>\n`;
}

/** The report of one or more runs, as a complete HTML document. */
export function formatHtmlReport(runs: readonly HtmlRun[], options: HtmlOptions): string {
  return joinChunks(htmlReportChunks(runs, options));
}
