/**
 * What the hostile-call property tests and the soak share: a program is a list of steps, each a
 * routine (an index into a routine table) and a few numbers that choose its arguments when the
 * step runs (late binding: the objects a step can name exist only once earlier steps made them).
 * fast-check generates and shrinks programs; the soak draws them from a seeded generator.
 */
import fc from "fast-check";
import { BugCheckError, MachineHaltedError } from "../../kernel/bugcheck.js";
import type { Machine } from "../../kernel/machine.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";

/**
 * Whether an argument chosen by `n` is of the routine's own kind, at a program's hostility: out of
 * 64, 62, 56, 48 or 40 are.
 */
export function ofItsKind(n: number, hostility: number): boolean {
  return n % 64 < ([62, 56, 48, 40][hostility] ?? 48);
}

/** Numbers each step carries to choose its arguments (and a spare one for the routine's own choices). */
export const PICKS = 10;

/** One step: which routine, and the numbers that choose its arguments. */
export interface Step {
  readonly routine: number;
  readonly picks: readonly number[];
}

/** A program: its steps, and how its machine is set up. */
export interface Program {
  /** Whether a verifier watches the machine (the driver is verified). */
  readonly verified: boolean;
  /** How often an argument is not of the kind the routine expects: 0 (rarely) to 3 (often). */
  readonly hostility: number;
  /** 0: any routine of the table; 1: the request path only (IRPs, MDLs, cancel, waits, DPCs). */
  readonly focus: number;
  readonly steps: readonly Step[];
}

/** fast-check's programs of at most `maxSteps` steps. */
export function programArbitrary(maxSteps: number): fc.Arbitrary<Program> {
  const step = fc.record({ routine: fc.nat(), picks: fc.array(fc.nat(), { minLength: PICKS, maxLength: PICKS }) });
  return fc.record({ verified: fc.boolean(), hostility: fc.nat(3), focus: fc.nat(1), steps: fc.array(step, { minLength: 1, maxLength: maxSteps }) });
}

/** A small deterministic generator (xorshift32) for the soak, which draws millions of steps. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** A number in [0, 2^31). */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s & 0x7fffffff;
  }
  /** A program of `steps` steps. */
  program(steps: number): Program {
    const out: Step[] = [];
    for (let i = 0; i < steps; i++) {
      const picks: number[] = [];
      for (let k = 0; k < PICKS; k++) picks.push(this.next());
      out.push({ routine: this.next(), picks });
    }
    return { verified: (this.next() & 1) === 0, hostility: this.next() & 3, focus: this.next() & 1, steps: out };
  }
}

/** A host exception (TypeError, RangeError, …) that escaped a routine: what the properties forbid. */
export class HostEscape extends Error {
  constructor(
    readonly routine: string,
    readonly args: string,
    readonly error: unknown,
  ) {
    super(`${routine}(${args}) let a host exception escape: ${describeError(error)}`, { cause: error });
  }
}

/** "TypeError: Cannot read properties of null (reading 'Stack')" and its first stack frames. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 6).join("\n")}`;
  return String(e);
}

/** A short printable form of an argument, for failure messages. */
export function show(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "number") return Number.isInteger(v) && v > 0xffff ? `0x${v.toString(16)}` : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "function") return `fn ${v.name || "anonymous"}`;
  if (typeof v === "object") {
    const label = (v as { label?: unknown }).label;
    if (typeof label === "string") return label;
    return Array.isArray(v) ? `[array ${v.length}]` : `{${v.constructor.name}}`;
  }
  return typeof v;
}

/** How one call ended. */
export type CallOutcome = "returned" | "ntstatus" | "halted" | "notBuilt";

/**
 * A behaviour irpsim does not build throws a plain Error that says so (the project's rule for what
 * is not built): an honest refusal, counted apart, not a host exception from a bad argument.
 */
function isNotBuilt(e: unknown): boolean {
  return e instanceof Error && e.constructor === Error && /\bnot built\b|does not build/.test(e.message);
}

/**
 * Classifies what a call threw: an NTSTATUS exception (the driver's __except would see it) or the
 * machine halting (a bug check, a deadlock) are NT's answers; anything else is a host exception.
 */
export function classifyThrow(routine: string, args: readonly unknown[], e: unknown): CallOutcome {
  if (e instanceof NtStatusError) return "ntstatus";
  if (e instanceof BugCheckError || e instanceof MachineHaltedError) return "halted";
  if (isNotBuilt(e)) return "notBuilt";
  throw new HostEscape(routine, args.map(show).join(", "), e);
}

/** The Microsoft C++ exception code the machine reports a JavaScript exception in kernel code under. */
export const EXCEPTION_JS = 0xe06d7363;

/** Counters that show how deep a run (or the soak) went. */
export class Coverage {
  calls = 0;
  returned = 0;
  ntStatus = 0;
  /** Calls that asked for something irpsim does not build (and were told so). */
  notBuilt = 0;
  runs = 0;
  haltedRuns = 0;
  readonly bugChecks = new Map<string, number>();
  readonly findings = new Map<string, number>();
  readonly statuses = new Map<string, number>();
  readonly byRoutine = new Map<string, number>();
  apcsDelivered = 0;
  irpsCompleted = 0;
  irpsCancelled = 0;
  cancelRoutinesRun = 0;
  /** Requests still pending in a process when it was killed or exited. */
  pendingAtKill = 0;
  /** A cancel that met a request already being completed, or a completion after a cancel was asked for. */
  cancelRacedCompletion = 0;
  deadlocks = 0;

  /** Adds another run's counters. */
  add(o: Coverage): void {
    this.calls += o.calls;
    this.returned += o.returned;
    this.ntStatus += o.ntStatus;
    this.notBuilt += o.notBuilt;
    this.runs += o.runs;
    this.haltedRuns += o.haltedRuns;
    this.apcsDelivered += o.apcsDelivered;
    this.irpsCompleted += o.irpsCompleted;
    this.irpsCancelled += o.irpsCancelled;
    this.cancelRoutinesRun += o.cancelRoutinesRun;
    this.pendingAtKill += o.pendingAtKill;
    this.cancelRacedCompletion += o.cancelRacedCompletion;
    this.deadlocks += o.deadlocks;
    for (const [k, v] of o.bugChecks) this.bugChecks.set(k, (this.bugChecks.get(k) ?? 0) + v);
    for (const [k, v] of o.findings) this.findings.set(k, (this.findings.get(k) ?? 0) + v);
    for (const [k, v] of o.statuses) this.statuses.set(k, (this.statuses.get(k) ?? 0) + v);
    for (const [k, v] of o.byRoutine) this.byRoutine.set(k, (this.byRoutine.get(k) ?? 0) + v);
  }
}

/**
 * Watches a machine's trace for the counters that only its events show (APCs delivered, IRPs
 * completed and cancelled, cancels racing completions). Turns tracing on.
 */
export function watchTrace(m: Machine, c: Coverage): void {
  const completed = new Set<string>();
  const cancelled = new Set<string>();
  m.trace.events$.subscribe((e) => {
    switch (e.kind) {
      case "ApcDelivered":
        c.apcsDelivered++;
        break;
      case "IrpCompleted":
        c.irpsCompleted++;
        completed.add(e.irp);
        if (cancelled.has(e.irp) && e.statusName !== "STATUS_CANCELLED") c.cancelRacedCompletion++;
        break;
      case "IrpCancel":
        c.irpsCancelled++;
        if (e.called) c.cancelRoutinesRun++;
        if (completed.has(e.irp)) c.cancelRacedCompletion++;
        cancelled.add(e.irp);
        break;
      case "IrpFreed":
        completed.delete(e.irp);
        cancelled.delete(e.irp);
        break;
      default:
        break;
    }
  });
}
