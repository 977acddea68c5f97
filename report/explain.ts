/**
 * What went wrong in a run, explained as the verifier's findings are: for each finding and bug
 * check, the rule it breaks (and where the rule comes from), what happened, the usual fix, and
 * where in the driver — so a reader of any report learns the same thing from a bug check as from
 * a finding.
 */
import type { BugCheckRecord } from "../kernel/bugcheck.js";
import { bugCheckInfo } from "../kernel/bugcheck-codes.js";
import type { Finding } from "../kernel/machine.js";
import { hex32 } from "../kernel/status.js";
import type { TraceEvent } from "../kernel/trace.js";
import { RULES, type RuleId, type RuleInfo } from "../verifier/rules.js";

/** One thing that went wrong, explained. */
export interface Explained {
  readonly kind: "bug check" | "finding" | "deadlock" | "livelock";
  /** "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS", "finding 0xC9/0x23D PendingWithoutMark". */
  readonly title: string;
  readonly time: number;
  /** The rule's name and where it comes from ("DoubleCompletion — bug check MULTIPLE_IRP_COMPLETE_REQUESTS (SDV DoubleCompletion)"). */
  readonly rule: string | null;
  /** What happened, in words. */
  readonly explanation: string;
  /** The usual fix, one sentence. */
  readonly fix: string | null;
  /** The driver, its routine and the source line. */
  readonly where: string | null;
  /** The bug check's parameters with their documented meanings. */
  readonly parameters: readonly string[];
  /** The IRP's ownership timeline, when one was kept. */
  readonly timeline: readonly string[];
}

function isRule(name: string): name is RuleId {
  return Object.prototype.hasOwnProperty.call(RULES, name);
}

/** The rule a finding or bug check names ("0x44 DoubleCompletion", "PendingWithoutMark"), if it is one of the verifier's. */
function ruleNamed(text: string | null | undefined): RuleId | null {
  if (!text) return null;
  const last = text.trim().split(/\s+/).at(-1) ?? "";
  return isRule(last) ? last : isRule(text) ? text : null;
}

/** The verifier rule a bug check code (and, for 0xC4 and 0xC9, its first parameter) stands for. */
export function ruleForBugCheck(code: number, p1: number): RuleId | null {
  const c = `0x${code.toString(16).toUpperCase()}`;
  const sub = `${c}/0x${p1.toString(16).toUpperCase()}`;
  for (const [id, info] of Object.entries(RULES) as [RuleId, RuleInfo][]) {
    const rc = info.code.toUpperCase().replace(/^0X/, "0x").replace(/\/0X/, "/0x");
    if (rc === sub) return id;
  }
  for (const [id, info] of Object.entries(RULES) as [RuleId, RuleInfo][]) {
    if (info.code.toUpperCase() === c.toUpperCase()) return id;
  }
  return null;
}

/** `detail` without the fix sentence a rule appends to it (the fix is shown on its own). */
function withoutFix(detail: string, fix: string | null): string {
  if (!fix) return detail;
  const at = detail.lastIndexOf(fix);
  return at > 0 ? detail.slice(0, at).trim() : detail;
}

function ruleLine(id: RuleId | null): string | null {
  return id ? `${id} — ${RULES[id].origin}` : null;
}

function whereOf(driver: string | null | undefined, routine: string | null | undefined, source: string | null | undefined): string | null {
  const who = [driver ? `driver ${driver}` : null, routine ? `routine ${routine}` : null].filter((x) => x !== null).join(", ");
  const parts = [who, source ? `at ${source}` : ""].filter((x) => x !== "");
  return parts.length > 0 ? parts.join(" ") : null;
}

/** A bug check, explained from its full record (what the machine kept when it halted). */
export function explainBugCheck(r: BugCheckRecord): Explained {
  const id = ruleNamed(r.rule) ?? ruleForBugCheck(r.code, r.parameters[0]);
  const fix = id ? RULES[id].fix : null;
  return {
    kind: "bug check",
    title: `bug check 0x${hex32(r.code)} ${r.name}`,
    time: r.time,
    rule: ruleLine(id),
    explanation: r.detail ? withoutFix(r.detail, fix) : `The machine stopped with ${r.name}${r.irp ? ` over ${r.irp}` : ""}${r.thread ? ` in ${r.thread}` : ""}.`,
    fix,
    where: whereOf(r.driver, r.routine, r.source),
    parameters: r.parameters.map((p, i) => `P${i + 1} = 0x${hex32(p)}  ${r.info.parameters[i] ?? ""}`.trimEnd()),
    timeline: r.timeline ?? [],
  };
}

/** A finding, explained. */
export function explainFinding(f: Finding): Explained {
  const id = ruleNamed(f.rule);
  const code = f.code === "" || f.code === "SDV" || f.code === "irpsim" ? "" : `${f.code} `;
  const fix = id ? RULES[id].fix : null;
  return {
    kind: "finding",
    title: `finding ${code}${f.rule}`,
    time: f.time,
    rule: ruleLine(id),
    explanation: withoutFix(f.message, fix),
    fix,
    where: whereOf(f.driver, f.routine, f.source),
    parameters: [],
    timeline: f.timeline ?? [],
  };
}

/**
 * Everything that went wrong in a trace, explained from the trace alone (a report given only
 * events): bug checks get their rule from their code, findings from their rule name.
 */
export function explainEvents(events: readonly TraceEvent[]): Explained[] {
  const out: Explained[] = [];
  for (const e of events) {
    if (e.kind === "Finding") {
      out.push(explainFinding({ rule: e.rule, code: e.code, driver: e.driver, message: e.message, source: e.source, time: e.time, thread: null }));
    } else if (e.kind === "BugCheck") {
      const p = e.parameters;
      const info = bugCheckInfo(e.code);
      out.push(
        explainBugCheck({
          code: e.code,
          name: e.name,
          parameters: [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0],
          info,
          thread: null,
          process: null,
          source: e.source,
          driver: e.driver,
          irp: null,
          detail: null,
          lastEvents: [],
          time: e.time,
        }),
      );
    } else if (e.kind === "Deadlock") {
      out.push({ kind: "deadlock", title: "deadlock", time: e.time, rule: null, explanation: e.description, fix: "Find the wait that can never be satisfied: who was meant to signal it, and why it did not (a lock taken in the wrong order, a request nobody completes).", where: null, parameters: [], timeline: [] });
    } else if (e.kind === "Livelock") {
      out.push({ kind: "livelock", title: "livelock", time: e.time, rule: null, explanation: e.description, fix: "Make the polling code wait (KeWaitForSingleObject on an event the producer signals, KeDelayExecutionThread between polls, or a timer) instead of spinning until a condition that another thread or a DPC must make true.", where: null, parameters: [], timeline: [] });
    }
  }
  return out;
}
