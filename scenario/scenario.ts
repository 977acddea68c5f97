/**
 * Scenarios: what a sample exports and what tests, `npm start`, the command line and the
 * explorer run. A scenario builds its world on a fresh machine (loads drivers, starts apps), runs
 * it and states what it checks; every run is independent and reproducible.
 */
import { BugCheckError, MachineHaltedError } from "../kernel/bugcheck.js";
import { Machine, type DecisionStrategy, type Finding, type MachineOptions, type RunResult } from "../kernel/machine.js";
import { attachVerifier, type Verifier, type VerifierOptions } from "../verifier/verifier.js";
import type { RunOptions } from "../kernel/scheduler.js";
import type { TraceEvent } from "../kernel/trace.js";
import type { InjectionBudget } from "./injections.js";
import { teardownChecks } from "./teardown.js";
import { acceptEndlessWaits, type EndlessWait } from "./endless-waits.js";
import { awaitOrNeverSettles, neverSettledDescription } from "./never-settled.js";
import { spanText } from "../kernel/execution-time.js";

/** A choice a scenario offers ("ending": done-using | killed | closed). */
export interface ScenarioOption {
  /** The option's name (`--ending` on the command line, `-o name=value` for the others). */
  readonly name: string;
  /** The values it takes. */
  readonly values: readonly string[];
  /** The value a run without the option uses. */
  readonly default: string;
  /** What it chooses, for `irpsim run --help` readers. */
  readonly description: string;
}

/** One thing a scenario checked. */
export interface Check {
  /** What was checked, as a sentence ("no IRP is left pending"). */
  readonly name: string;
  /** Whether the check held. */
  readonly passed: boolean;
  /** What was seen, for a failed check's report. */
  readonly detail: string;
}

/** What a scenario's body gets. */
export interface ScenarioContext {
  /** The fresh machine this run builds its world on: load drivers, create processes, set timers (`after`). */
  readonly machine: Machine;
  /** The run's options, every one the scenario declares with its value (defaults filled in). */
  readonly options: Readonly<Record<string, string>>;
  /** Runs the machine (as machine.run) and keeps the result for the report. */
  run(options?: RunOptions): Promise<RunResult>;
  /** Records a check; a failed check fails the scenario. */
  check(name: string, passed: boolean, detail?: string): void;
  /** A line of narration in the trace. */
  note(text: string): void;
  /**
   * True while nothing has been injected into this run (no cancel, death, close… from an
   * explorer): the checks that describe the undisturbed story only hold then.
   */
  undisturbed(): boolean;
}

/** A runnable scenario. */
export interface Scenario {
  /** The name `irpsim run`, `explore` and replay strings use ("sharebuf"); letters, digits, "-", "/" and "." read best. */
  readonly name: string;
  /** One line for `irpsim list`. */
  readonly summary: string;
  /** The scenario's variants (sharebuf's ending), each chosen by name on the command line. */
  readonly options?: readonly ScenarioOption[];
  /**
   * How the machine is built, when the scenario needs more than NT's defaults (another system's
   * layout: CE's scenarios use ceMachineOptions()). The run's own options (RAM, strategy) win.
   */
  readonly machineOptions?: MachineOptions;
  /**
   * The asynchronous events an explorer may inject into a run, and how many of each (for
   * example `{ death: 1, cancel: 1 }`). Its checks must hold under any of them.
   */
  readonly injections?: InjectionBudget;
  /**
   * User-mode waits that may legitimately never end once something was injected (an app waiting
   * on an event the driver dropped because another of its threads closed the handle). A disturbed
   * run that ends with only these waits left is not a deadlock: the runner ends the hung
   * processes and runs their rundown. See scenario/endless-waits.ts.
   */
  readonly endlessWaits?: readonly EndlessWait[];
  /** Builds the world and runs it. */
  run(ctx: ScenarioContext): Promise<void>;
  /**
   * Where the scenario's source is (a file or folder, relative to the package root): reports
   * point readers at it.
   */
  readonly source?: string;
  /** Commands worth running after this one, with why; `irpsim run` ends with them. */
  readonly tryNext?: readonly { /** The command line to run. */ readonly command: string; /** What it shows. */ readonly why: string }[];
}

/** How to run a scenario. */
export interface ScenarioRunOptions {
  /** Values for the scenario's options, by name (defaults for the rest). */
  readonly options?: Readonly<Record<string, string>>;
  /**
   * Chooses at the machine's decision points (default: always the first option, the deterministic
   * run).
   */
  readonly strategy?: DecisionStrategy;
  /** Record every trace event (for reports). */
  readonly trace?: boolean;
  /** Emulated physical memory, in bytes (default: the machine's). */
  readonly memoryBytes?: number;
  /** Called with the fresh machine before the scenario starts (to attach a verifier, say). */
  readonly prepare?: (m: Machine) => void;
  /**
   * The verifier (Driver Verifier's checks and the static IRP rules), on by default for every
   * driver: false runs the machine unverified; an object scopes or configures it.
   */
  readonly verifier?: boolean | VerifierOptions;
  /** Trace events kept for a bug-check report (default 48; 0 keeps tracing off, for speed). */
  readonly flightRecorder?: number;
  /** Virtual-time limit of each machine run the scenario makes without one of its own (ms). */
  readonly runLimitMs?: number;
}

/** What running a scenario produced. */
export interface ScenarioResult {
  /** The scenario's name. */
  readonly scenario: string;
  /** The scenario's one-line summary (the HTML report's introduction says it). */
  readonly summary: string;
  /** Where the scenario's source is, when it says (its `source`). */
  readonly source: string | null;
  /** The options it ran with. */
  readonly options: Readonly<Record<string, string>>;
  /** The machine it ran on, as the run left it (for checks and inspection). */
  readonly machine: Machine;
  /** The last machine run's result. */
  readonly run: RunResult | null;
  /** The checks the scenario and irpsim made, in order. */
  readonly checks: readonly Check[];
  /** Every trace event of the run (empty unless run with `trace: true`). */
  readonly events: readonly TraceEvent[];
  /** An error the scenario's own code threw (not a bug check). */
  readonly error: unknown;
  /** Every finding of the run, the verifier's teardown findings included. */
  readonly findings: readonly Finding[];
  /** The verifier that watched the run, when one did. */
  readonly verifier: Verifier | null;
  /** Whether the run passed: every check held, no finding, bug check, deadlock or error. */
  readonly passed: boolean;
  /** Waits the scenario declared endless that this run ended in (empty: none), each in words. */
  readonly endlessWaits: readonly string[];
}

/** Resolves the scenario's options: defaults, then what the caller gave; unknown names or values throw. */
export function resolveOptions(s: Scenario, given: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of s.options ?? []) out[o.name] = o.default;
  for (const [k, v] of Object.entries(given)) {
    const o = (s.options ?? []).find((x) => x.name === k);
    if (!o) throw new Error(`scenario ${s.name} has no option '${k}'${s.options?.length ? ` (it has: ${s.options.map((x) => x.name).join(", ")})` : ""}`);
    if (!o.values.includes(v)) throw new Error(`scenario ${s.name}: --${k} must be one of ${o.values.join(", ")} (got '${v}')`);
    out[k] = v;
  }
  return out;
}

/** Runs a scenario on a fresh machine and collects its checks, trace and outcome. */
export async function runScenario(s: Scenario, o: ScenarioRunOptions = {}): Promise<ScenarioResult> {
  const options = resolveOptions(s, o.options);
  const machine = new Machine({
    ...s.machineOptions,
    memoryBytes: o.memoryBytes ?? s.machineOptions?.memoryBytes ?? 128 * 1024 * 1024,
    ...(o.strategy ? { strategy: o.strategy } : {}),
    flightRecorder: o.flightRecorder ?? 48,
  });
  const recording = o.trace ? machine.trace.record() : null;
  const verifier = o.verifier === false ? null : attachVerifier(machine, o.verifier === true || o.verifier === undefined ? {} : o.verifier);
  o.prepare?.(machine);
  const checks: Check[] = [];
  const runs: RunResult[] = [];
  /** How the last machine run ended, in words (for a scenario that then never settles). */
  let lastRun: string | null = null;
  const ctx: ScenarioContext = {
    machine,
    options,
    async run(ro) {
      const r = await machine.run(o.runLimitMs !== undefined && ro?.maxTimeMs === undefined ? { ...ro, maxTimeMs: o.runLimitMs } : ro);
      runs.push(r);
      lastRun = `ended ${r.outcome} at ${spanText(machine.now)}`;
      return r;
    },
    check(name, passed, detail = "") {
      checks.push({ name, passed, detail });
    },
    note(text) {
      if (machine.trace.on) machine.trace.emit("Note", { text });
    },
    undisturbed() {
      return machine.injected.length === 0;
    },
  };
  let error: unknown = null;
  try {
    // A scenario that awaits what nothing can settle is reported as a livelock of its own code
    // (Node would otherwise exit silently with code 13 under a top-level await).
    // Promise.resolve: a scenario module written in plain JavaScript may return nothing.
    const body = await awaitOrNeverSettles(Promise.resolve(s.run(ctx)));
    if (!body.settled) {
      const description = neverSettledDescription(s.name, machine, lastRun);
      if (machine.halted) error = new Error(description);
      else machine.livelock(description, `scenario ${s.name}`, "");
    }
  } catch (e) {
    if (!(e instanceof BugCheckError || e instanceof MachineHaltedError)) error = e;
  }
  // ---- Declared endless waits: end the hung apps, as whoever ran them would ----
  let endlessWaits: readonly string[] = [];
  const last = runs[runs.length - 1];
  const accepted = last?.outcome === "deadlock" && s.endlessWaits ? acceptEndlessWaits(machine, s.endlessWaits) : null;
  if (accepted) {
    endlessWaits = accepted.lines;
    for (const line of accepted.lines) ctx.note(`accepted: ${line}; the app is ended`);
    for (const p of accepted.processes) machine.terminateProcess(p, 1, "ended: it waits for ever, as the scenario allows");
    try {
      await ctx.run();
    } catch (e) {
      if (!(e instanceof BugCheckError || e instanceof MachineHaltedError)) error = e;
    }
  }
  if (!machine.halted) {
    checks.push(...teardownChecks(machine));
    verifier?.teardown();
  }
  recording?.stop();
  const run = runs[runs.length - 1] ?? null;
  const findings = [...machine.findings];
  const passed =
    error === null &&
    !machine.halted &&
    checks.every((c) => c.passed) &&
    findings.length === 0 &&
    (run === null || (run.outcome === "completed" && run.errors.length === 0));
  return { scenario: s.name, summary: s.summary, source: s.source ?? null, options, machine, run, checks, events: recording?.events ?? [], error, findings, verifier, passed, endlessWaits };
}
