import { bugCheckInfo, type BugCheckInfo } from "./bugcheck-codes.js";
import { hex32 } from "./status.js";
import type { TraceEvent } from "./trace.js";

/** Everything a bug check records. */
export interface BugCheckRecord {
  /** The bug check code (0x44 MULTIPLE_IRP_COMPLETE_REQUESTS…). */
  readonly code: number;
  /** The code's symbolic name. */
  readonly name: string;
  /** The four parameters, as the WDK documents them for the code. */
  readonly parameters: readonly [number, number, number, number];
  /** What the code and its parameters mean, in words. */
  readonly info: BugCheckInfo;
  /** The thread and process that were current ("app.exe:main (tid 8)"). */
  readonly thread: string | null;
  /** The process that was current. */
  readonly process: string | null;
  /** Source line of the driver (or app) code that caused it, through source maps. */
  readonly source: string | null;
  /** The driver involved, when known. */
  readonly driver: string | null;
  /** The IRP involved, when known. */
  readonly irp: string | null;
  /** Extra explanation in words. */
  readonly detail: string | null;
  /** The last trace events before the bug check (when a flight recorder was on). */
  readonly lastEvents: readonly TraceEvent[];
  /** Virtual time, 100 ns ticks. */
  readonly time: number;
  /** The verifier rule that raised it, when a verifier did. */
  readonly rule?: string;
  /** The driver routine that broke the rule, when known. */
  readonly routine?: string | null;
  /** The IRP's ownership timeline, one step per line, when a verifier kept one. */
  readonly timeline?: readonly string[];
}

/**
 * KeBugCheckEx as an exception: the machine has halted. Driver code cannot handle it the way it
 * handles an {@link NtStatusError}; it unwinds to the scheduler and the run's result reports it.
 */
export class BugCheckError extends Error {
  /** What the bug check recorded. */
  readonly record: BugCheckRecord;
  constructor(record: BugCheckRecord) {
    super(formatBugCheck(record));
    this.name = "BugCheckError";
    this.record = record;
  }
  /** The bug check code. */
  get code(): number {
    return this.record.code;
  }
  /** The code's symbolic name. */
  get bugCheckName(): string {
    return this.record.name;
  }
  /** The four parameters. */
  get parameters(): readonly [number, number, number, number] {
    return this.record.parameters;
  }
}

/** Thrown by every call into a machine that has halted. */
export class MachineHaltedError extends Error {
  /** @param reason why the machine halted (the bug check, or the deadlock), for the message. */
  constructor(readonly reason: string) {
    super(`The machine has halted (${reason}); it refuses further work. Build a fresh machine to run again.`);
    this.name = "MachineHaltedError";
  }
}

/** The text a person reads: code, name, parameters with their meanings, where and who. */
export function formatBugCheck(r: BugCheckRecord): string {
  const lines = [`*** STOP 0x${hex32(r.code)} ${r.name}`];
  r.parameters.forEach((p, i) => {
    lines.push(`    P${i + 1} = 0x${hex32(p)}  ${r.info.parameters[i] ?? ""}`);
  });
  if (r.rule) lines.push(`    rule: ${r.rule}`);
  if (r.detail) lines.push(`    ${r.detail}`);
  if (r.driver) lines.push(`    driver: ${r.driver}${r.routine ? `, routine ${r.routine}` : ""}`);
  if (r.irp) lines.push(`    IRP: ${r.irp}`);
  for (const step of r.timeline ?? []) lines.push(`      ${step}`);
  if (r.thread) lines.push(`    thread: ${r.thread}${r.process ? ` in ${r.process}` : ""}`);
  if (r.source) lines.push(`    at ${r.source}`);
  return lines.join("\n");
}

export { bugCheckInfo };
