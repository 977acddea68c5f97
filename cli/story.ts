/**
 * What `irpsim run` prints on a terminal by default (and so what `npm start` shows a newcomer):
 * a short account that teaches rather than a full log. The first variant is told in full, in the
 * narrow layout with repeated DPC work folded ("× 15"); each other variant is told from where it
 * parts from the first, in its key steps; failures (checks, findings, bug checks) are always
 * printed in full; it ends with what to do next. `--full` (or `--out`) gives every step of
 * every variant instead.
 */
import { formatBugCheck } from "../kernel/bugcheck.js";
import { msRough } from "../report/format.js";
import { ioctlLegend } from "../report/ioctl.js";
import { TraceNames } from "../report/names.js";
import { ioctlsUsed, summarize, textDifferenceLines, textTimelineLines, wrapText } from "../report/text.js";
import type { Scenario, ScenarioResult } from "../scenario/scenario.js";
import { formatFinding } from "../verifier/format.js";
import { runTitle } from "./report-formats.js";

/** Options of the story. */
export interface StoryOptions {
  /** Columns of the terminal (at least 60): no line is longer. */
  readonly width: number;
  readonly color?: boolean;
  /** The HTML report written alongside, when there is one. */
  readonly htmlFile?: string | null;
  /** Where the scenario's source is (a file or folder), when known. */
  readonly source?: string | null;
  /** The command that reruns this scenario ("irpsim run sharebuf"), for the next steps. */
  readonly command: string;
}

/** The width the story uses when the output is not a terminal, or the terminal's is unknown. */
export const STORY_WIDTH = 100;

/** The width to print at: the terminal's columns on a TTY (at least 60), else {@link STORY_WIDTH}. */
export function storyWidth(isTTY: boolean | undefined, columns: number | undefined): number {
  if (isTTY && columns !== undefined && columns > 0) return Math.max(60, columns);
  return STORY_WIDTH;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : `a thrown ${typeof e}`;
}

/** Every line of `block` (which may hold newlines) wrapped to `width`, continuation under its indent + 2. */
function wrapBlock(block: string, width: number): string[] {
  return block.split("\n").flatMap((l) => wrapText(l, width, (/^ */.exec(l)?.[0].length ?? 0) + 2));
}

/** The failures of a run, in full: failed checks, the bug check, a deadlock, findings, errors. */
function failures(r: ScenarioResult, width: number): string[] {
  const out: string[] = [];
  const failed = r.checks.filter((c) => !c.passed);
  for (const c of failed) out.push(...wrapText(`  FAIL ${c.name}${c.detail ? ` — ${c.detail}` : ""}`, width, 7));
  const bc = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
  if (bc) out.push("", ...wrapBlock(formatBugCheck(bc), width));
  if (r.run?.deadlock) out.push("", ...wrapText(`Deadlock: ${r.run.deadlock}`, width, 2));
  if (r.machine.halted?.kind === "livelock") out.push("", ...wrapText(`Livelock: ${r.machine.halted.description}`, width, 2));
  for (const f of r.findings) out.push("", ...wrapBlock(formatFinding(f), width));
  if (r.error) out.push("", ...wrapText(`The scenario threw: ${errorText(r.error)}`, width, 2));
  for (const h of r.run?.errors ?? []) out.push(...wrapText(`${h.thread} failed: ${errorText(h.error)}`, width, 2));
  return out;
}

/** What was done to a run on purpose (the low resources simulation's failures, an explorer's injections): its checks are those of a disturbed run. */
function injectedLines(r: ScenarioResult, width: number): string[] {
  if (r.machine.injected.length === 0) return [];
  return ["", "Injected", ...r.machine.injected.flatMap((what) => wrapText(`  ${what}`, width, 4))];
}

/** "PASSED, 18 checks" / "FAILED: 2 of 18 checks failed, 1 finding". */
function verdict(r: ScenarioResult): string {
  const failed = r.checks.filter((c) => !c.passed).length;
  const parts: string[] = [];
  if (failed > 0) parts.push(`${failed} of ${r.checks.length} checks failed`);
  if (r.findings.length > 0) parts.push(`${r.findings.length} finding${r.findings.length === 1 ? "" : "s"}`);
  if (r.machine.halted?.kind === "bugcheck") parts.push("bug check");
  if (r.run?.deadlock) parts.push("deadlock");
  if (r.machine.halted?.kind === "livelock") parts.push("livelock");
  if (r.error) parts.push("the scenario threw");
  if (r.passed) return `PASSED, ${r.checks.length} checks`;
  return `FAILED: ${parts.length > 0 ? parts.join(", ") : "the run did not complete"}`;
}

/** The options that tell a variant apart ("--ending killed"). */
function variantFlags(s: Scenario, r: ScenarioResult): string {
  return Object.entries(r.options)
    .map(([k, v]) => (k === "ending" || k === "part" || k === "ce" ? `--${k} ${v}` : `-o ${k}=${v}`))
    .join(" ");
}

/** The story of a scenario's runs, one line per element (no newlines, none wider than `o.width`). */
export function storyLines(s: Scenario, results: readonly ScenarioResult[], o: StoryOptions): string[] {
  const width = Math.max(60, o.width);
  const out: string[] = [];
  const first = results[0];
  out.push(...wrapText(`${s.name}: ${s.summary}`, width, 2));
  if (!first) return out;
  if (results.length > 1) {
    const opt = s.options?.[0];
    const label = opt ? `${results.length} ${opt.name === "ending" ? "endings" : `variants of ${opt.name}`} (${results.map((r) => r.options[opt.name] ?? "").join(", ")})` : `${results.length} variants`;
    out.push(...wrapText(`${label}: the first in full, repeated DPC work folded; the others from where they part from it.`, width, 0));
  }
  out.push("");
  const title = `${runTitle(s, first)} — ${verdict(first)}`;
  out.push(...wrapText(title, width, 2), "=".repeat(Math.min(width, title.length)));
  for (const l of textTimelineLines(first.events, { width, fold: true, color: o.color ?? false, summary: false })) out.push(l);
  const sum = summarize(first.events);
  out.push(
    "",
    ...wrapText(
      `IRPs: ${sum.irpsAllocated} allocated, ${sum.irpsCompleted} completed (${sum.irpsCancelled} cancelled); MDLs: ${sum.mdlsLocked} locked, ${sum.mdlsUnlocked} unlocked; bytes copied: ${sum.bytesCopiedIn + sum.bytesCopiedOut}${sum.bytesCopiedIn + sum.bytesCopiedOut === 0 ? " (zero copy)" : ""}; findings: ${sum.findings}; bug checks: ${sum.bugChecks}`,
      width,
      2,
    ),
  );
  const fails = failures(first, width);
  if (fails.length === 0) out.push(`Checks: all ${first.checks.length} passed.`);
  out.push(...injectedLines(first, width));
  for (const l of fails) out.push(l);

  for (const r of results.slice(1)) {
    const head = `${runTitle(s, r)} — ${verdict(r)}`;
    out.push("", ...wrapText(head, width, 2), "-".repeat(Math.min(width, head.length)));
    const diff = textDifferenceLines(r.events, first.events, { width, color: o.color ?? false, maxSteps: 8 });
    if (diff.lines.length === 0) out.push("The same steps as the first.");
    else if (diff.shared === 0) out.push("Its key steps (it differs from the first from the start):", ...diff.lines);
    else out.push(`As the first until ${diff.from === null ? "the end" : msRough(diff.from)}; then, in its key steps:`, ...diff.lines);
    const more = diff.omitted > 0 ? `… ${diff.omitted} more key step${diff.omitted === 1 ? "" : "s"}. ` : "";
    out.push(...wrapText(`${more}In full: ${o.command} ${variantFlags(s, r)}`, width, 2));
    out.push(...injectedLines(r, width));
    for (const l of failures(r, width)) out.push(l);
  }

  // The control codes, decoded once for all runs.
  const names = new TraceNames();
  const codes = new Set<number>();
  for (const r of results) {
    for (const e of r.events) names.learn(e);
    for (const c of ioctlsUsed(r.events)) codes.add(c);
  }
  if (codes.size > 0) {
    out.push("", "Control codes");
    for (const c of codes) out.push(...wrapText(`  ${ioctlLegend(c, names)}`, width, 4));
  }

  out.push("", "Next");
  const steps: [string, string][] = [];
  if (o.htmlFile) steps.push([o.htmlFile, "the HTML report: diagram, memory map, time cursor"]);
  for (const t of s.tryNext ?? []) steps.push([t.command, t.why]);
  if (o.source) steps.push([o.source, "the source: the driver, the app and this scenario"]);
  steps.push([`${o.command} --full`, "every step of every variant, unfolded"]);
  const col = Math.min(40, Math.max(...steps.map(([c]) => c.length)) + 2);
  for (const [c, why] of steps) {
    const line = c.length + 2 <= col ? `  ${c.padEnd(col)}${why}` : `  ${c}  ${why}`;
    out.push(...wrapText(line, width, col + 2));
  }
  return out;
}
