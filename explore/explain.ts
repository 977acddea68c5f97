/**
 * Explaining a failing schedule in words: each injection or preemption, where it landed (the
 * driver routine, the kernel call around it, and the driver's own source line), then what went
 * wrong. "sharebuf.exe is killed just after IoSetCancelRoutine returns in SharebufDeviceControl,
 * before `if (Irp.Cancel) {`".
 */
import { sourceText } from "../kernel/source-location.js";
import { PREEMPT_DECISION } from "../kernel/scheduler.js";
import type { Deviation } from "./decisions.js";
import type { Failure } from "./failure.js";
import type { InjectionRecord, PointRecord } from "./injector.js";
import type { ScheduleOutcome } from "./run-schedule.js";

/** A failing schedule in words. */
export interface Explanation {
  /** One sentence per injection or preemption, in order. */
  readonly steps: readonly string[];
  /** What went wrong. */
  readonly failure: string;
  /** The steps and the failure on one line. */
  readonly summary: string;
  /** Steps, numbered, and the failure, on several lines. */
  readonly text: string;
}

const sourceCache = new Map<string, string[] | null>();

function sourceLines(file: string): string[] | null {
  let lines = sourceCache.get(file);
  if (lines === undefined) {
    // From disk, or from the shipped source map when the package has no .ts beside its build.
    lines = sourceText(file)?.split("\n") ?? null;
    sourceCache.set(file, lines);
  }
  return lines;
}

/** "samples/x/driver.ts:57:12 (Fn)" as file and line. */
function parseSource(source: string | null): { file: string; line: number } | null {
  if (!source) return null;
  const m = /^(.*?):(\d+):\d+(?: \(.*\))?$/.exec(source);
  if (!m) return null;
  return { file: m[1] ?? "", line: Number(m[2]) };
}

function isCode(text: string): boolean {
  const t = text.trim();
  return t !== "" && !t.startsWith("//") && !t.startsWith("/*") && !t.startsWith("*") && t !== "}" && t !== "{";
}

/** The text of a source line, trimmed (null when unreadable). */
function lineText(file: string, line: number): string | null {
  const t = sourceLines(file)?.[line - 1];
  return t === undefined ? null : t.trim();
}

/** The first line of code after `line` (the statement the driver runs next), with its number. */
function nextCodeLine(file: string, line: number): { line: number; text: string } | null {
  const lines = sourceLines(file);
  if (!lines) return null;
  // A call may span lines: skip to the line that ends the statement.
  let i = line - 1;
  while (i < lines.length && !/[;{]\s*(\/\/.*)?$/.test(lines[i] ?? "")) i++;
  for (let k = i + 1; k < lines.length; k++) {
    const t = lines[k] ?? "";
    if (isCode(t)) return { line: k + 1, text: t.trim() };
  }
  return null;
}

/** Where an injection at `point` landed, in words. */
function where(point: PointRecord | undefined, injection: InjectionRecord): string {
  const ctx = injection.context;
  const p = injection.point;
  let text: string;
  if (p.endsWith("/return")) text = `just after ${p.slice(0, -"/return".length)} returns in ${ctx}`;
  else if (p.startsWith("allocation ")) text = `when ${ctx} allocates (${p.slice("allocation ".length)})`;
  else text = `as ${ctx} calls ${p}`;
  const src = parseSource(point?.source ?? null);
  if (!src) return text;
  if (p.endsWith("/return")) {
    const next = nextCodeLine(src.file, src.line);
    return next ? `${text} (${src.file}:${src.line}), before \`${next.text}\` (line ${next.line})` : `${text} (${src.file}:${src.line})`;
  }
  const here = lineText(src.file, src.line);
  return here ? `${text}: \`${here}\` (${src.file}:${src.line})` : `${text} (${src.file}:${src.line})`;
}

/** The point an injection landed at: the last point seen before its decision. */
function pointOf(points: readonly PointRecord[], injection: InjectionRecord): PointRecord | undefined {
  let found: PointRecord | undefined;
  for (const p of points) {
    if (p.ordinal > injection.ordinal) break;
    if (p.point === injection.point) found = p;
  }
  return found;
}

function failureWords(f: Failure | undefined): string {
  if (!f) return "the run passes";
  return f.detail ? `${f.cause}: ${f.detail}` : f.cause;
}

/**
 * Explains a schedule from its run with points recorded (see runSchedule's `points` option):
 * the deviations in order, then the first failure.
 */
export function explain(outcome: ScheduleOutcome, deviations: readonly Deviation[] = outcome.deviations): Explanation {
  const steps: string[] = [];
  const byOrdinal = new Map(outcome.injections.map((i) => [i.ordinal, i]));
  for (const d of deviations) {
    const inj = byOrdinal.get(d.ordinal);
    if (inj) {
      steps.push(`${inj.words} ${where(pointOf(outcome.points, inj), inj)}`);
    } else if (d.kind === "schedule") {
      steps.push(`the scheduler runs ${d.option} before ${d.instead} (a preemption)`);
    } else if (d.kind === PREEMPT_DECISION) {
      steps.push(`when a thread's quantum runs out, the scheduler runs ${d.option} instead of ${d.instead}`);
    } else {
      steps.push(`${d.option} at ${d.site}`);
    }
  }
  const failure = failureWords(outcome.failures[0]);
  const summary = steps.length > 0 ? `${steps.join("; then ")} — and then: ${failure}` : `with no injection at all: ${failure}`;
  const text = [...steps.map((s, i) => `  ${i + 1}. ${s}`), `  → ${failure}`].join("\n");
  return { steps, failure, summary, text };
}
