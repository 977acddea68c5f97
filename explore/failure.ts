/**
 * What makes a run fail, and how failures group by cause: a bug check, a deadlock, a finding (the
 * machine's or a verifier's), a zombie process, a failed scenario check, an error in the host's
 * own code. Each run's end state is also reduced to a short fingerprint, so a search can count
 * how many different outcomes it saw.
 */
import { hex32 } from "../kernel/status.js";
import type { ScenarioResult } from "../scenario/scenario.js";

/** One reason a run failed. */
export interface Failure {
  /** Groups failures: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS", "deadlock", "finding IO_DRIVER_CANCEL_TIMEOUT". */
  readonly cause: string;
  /** The particulars, in words, ending with the driver's source line and routine when they are known. */
  readonly detail: string;
  /** The rule behind it: a verifier rule ("IrpNotHandled") or the machine's own finding's rule. */
  readonly rule?: string;
  /** The bug check code, for a bug check. */
  readonly bugCheck?: number;
}

/**
 * Where a failure happened, in words: " at samples/x/driver.ts:57:12 (XDispatch)", then the
 * routine when that line is in a helper it called (", in XDispatch"); " (in XDispatch)" when no
 * line is known.
 */
export function whereWords(source: string | null | undefined, routine: string | null | undefined): string {
  if (!source) return routine ? ` (in ${routine})` : "";
  return routine && !source.endsWith(`(${routine})`) ? ` at ${source}, in ${routine}` : ` at ${source}`;
}

/**
 * Bug checks whose first parameter is the address touched: IRQL_NOT_LESS_OR_EQUAL,
 * PAGE_FAULT_IN_NONPAGED_AREA, DRIVER_IRQL_NOT_LESS_OR_EQUAL, ATTEMPTED_WRITE_TO_READONLY_MEMORY
 * and Special Pool's 0xC1, 0xD5 and 0xD6.
 */
const ADDRESS_BUG_CHECKS = new Set([0x0a, 0x50, 0xd1, 0xbe, 0xc1, 0xd5, 0xd6]);

/** The verifier rule a bug check record names ("0xC9/0x226 IrpNotHandled" -> "IrpNotHandled"). */
function ruleOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const words = text.trim().split(/\s+/);
  return words[words.length - 1];
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return typeof e === "string" ? e : String(e);
}

/** Every reason the run failed, most fundamental first (empty: it passed). */
export function failuresOf(r: ScenarioResult): Failure[] {
  const out: Failure[] = [];
  const halted = r.machine.halted;
  if (halted?.kind === "bugcheck") {
    const b = halted.bugCheck.record;
    const rule = ruleOf(b.rule);
    // A touch of a freed pool block: where it was freed (by a cancel routine, say) explains the crash.
    const freed = ADDRESS_BUG_CHECKS.has(b.code) && r.verifier ? r.verifier.freedPoolAt(b.parameters[0]) : null;
    const detail = `${b.detail ?? ""}${whereWords(b.source, b.routine)}${freed ? `; ${freed}` : ""}`.trim();
    out.push({ cause: `bug check 0x${hex32(b.code)} ${b.name}`, detail, bugCheck: b.code, ...(rule ? { rule } : {}) });
  } else if (halted?.kind === "deadlock") {
    out.push({ cause: "deadlock", detail: halted.description });
  } else if (halted?.kind === "livelock") {
    out.push({ cause: "livelock", detail: halted.description });
  }
  const run = r.run;
  if (run) {
    if (!halted && run.outcome === "deadlock") out.push({ cause: "deadlock", detail: run.deadlock ?? "no thread can run" });
    if (run.outcome === "time-limit") out.push({ cause: "time limit", detail: `the run was still going after ${run.timeMs} ms of virtual time` });
    // The scenario's findings, the teardown's leak reports among them (the last run's list ends before the teardown).
    for (const f of r.findings) out.push({ cause: `finding ${f.rule}`, detail: `${f.message}${whereWords(f.source, f.routine)}`, rule: f.rule });
    for (const z of run.zombies) out.push({ cause: "zombie process", detail: `${z} could not finish exiting` });
    if (run.hostStuck) out.push({ cause: "host error", detail: run.hostStuck });
    for (const e of run.errors) out.push({ cause: "host error", detail: `${e.thread}: ${errorText(e.error)}` });
  }
  if (r.error !== null) out.push({ cause: "host error", detail: `the scenario threw ${errorText(r.error)}` });
  for (const c of r.checks) if (!c.passed) out.push({ cause: `check failed: ${c.name}`, detail: c.detail });
  if (out.length === 0 && !r.passed) out.push({ cause: "failed", detail: `the run ended ${run?.outcome ?? "without running"}` });
  return out;
}

/** FNV-1a, 32 bits, as eight hex digits: a short, stable fingerprint of a string. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * The run's end state as a fingerprint: how it ended, each app's fate, how every request
 * completed (in the order they did), and which checks failed.
 */
export function endStateOf(r: ScenarioResult, completions: readonly string[]): string {
  const m = r.machine;
  const parts: string[] = [r.run?.outcome ?? "none"];
  if (m.halted?.kind === "bugcheck") parts.push(`bc${m.halted.bugCheck.record.code}`);
  else if (m.halted) parts.push(m.halted.kind);
  for (const p of m.processes) if (p !== m.systemProcess) parts.push(`${p.name}:${p.state}:${p.exitStatus}`);
  parts.push(completions.join(","));
  for (const c of r.checks) if (!c.passed) parts.push(`!${c.name}`);
  for (const f of r.run?.findings ?? []) parts.push(`f:${f.rule}`);
  return fingerprint(parts.join("|"));
}
