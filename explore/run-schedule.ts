/**
 * Runs one schedule: a fresh machine, the scenario, the explorer's decision points installed with
 * the run's chooser, and what came of it — failures, deviations, end state.
 */
import { ioManager } from "../io-manager/io-manager.js";
import { ntStatusName } from "../kernel/status.js";
import type { InjectionBudget } from "../scenario/injections.js";
import { runScenario, type Scenario, type ScenarioResult } from "../scenario/scenario.js";
import type { Chooser, Deviation } from "./decisions.js";
import { Recorder, SiteContext } from "./decisions.js";
import { endStateOf, failuresOf, type Failure } from "./failure.js";
import { Injector, type InjectionRecord, type PointRecord } from "./injector.js";
import { parseSuppressions, SUPPRESS_OPTION, suppressedRules, withoutSuppressed, type Suppression } from "./suppress.js";

/**
 * Virtual time a schedule may run (per machine run) before it is a failure ("time limit"): ten
 * minutes, past NT's five-minute wait for cancelled IRPs, so an IRP nobody completes still shows
 * as IO_DRIVER_CANCEL_TIMEOUT, while a run that a periodic timer keeps alive ends in seconds.
 */
export const RUN_LIMIT_MS = 600_000;

/**
 * The option a target carries when its runs go unverified ("verifier=off", which replay strings
 * and workers then carry too). The verifier is on by default, as Driver Verifier is in stress runs.
 */
export const VERIFIER_OPTION = "verifier";

/**
 * Separates the explorer's own options — the verifier switch and the suppressed causes (see
 * suppress.ts) — from the scenario's options; a bad value is an error.
 */
export function splitTargetOptions(options: Readonly<Record<string, string>>): { scenarioOptions: Record<string, string>; verified: boolean; suppress: Suppression[] } {
  const { [VERIFIER_OPTION]: v, [SUPPRESS_OPTION]: s, ...scenarioOptions } = options;
  if (v !== undefined && v !== "on" && v !== "off") throw new Error(`verifier must be on or off (got '${v}')`);
  return { scenarioOptions, verified: v !== "off", suppress: parseSuppressions(s) };
}

/** The scenario a search explores: which one, with which options, under which budget. */
export interface ExploreTarget {
  /** The scenario to run. */
  readonly scenario: Scenario;
  /** Its options. */
  readonly options: Readonly<Record<string, string>>;
  /** What each run may inject. */
  readonly budget: InjectionBudget;
}

/** How to run one schedule. */
export interface RunScheduleOptions {
  /** Record every trace event (replay and explanations). */
  readonly trace?: boolean;
  /** Record every decision point's source line (explanations). */
  readonly points?: boolean;
  /** Keep the scenario's result (its machine and events). */
  readonly keepResult?: boolean;
  /**
   * The verifier records source lines (default: when tracing or recording points, as replays
   * and explanations do; a search's runs go without, and its failures are replayed with them).
   */
  readonly sourceLines?: boolean;
}

/** What one schedule came to. */
export interface ScheduleOutcome {
  /** Why the run failed, most fundamental first, without the causes the target suppresses. */
  readonly failures: readonly Failure[];
  /** The decisions that took a non-default option, in order. */
  readonly deviations: readonly Deviation[];
  /** Decisions made (points with more than one option). */
  readonly decisions: number;
  /** Of those, decisions about injecting. */
  readonly injectionDecisions: number;
  /** The events injected, in order. */
  readonly injections: readonly InjectionRecord[];
  /** Every decision point the injector saw, when asked for. */
  readonly points: readonly PointRecord[];
  /** Fingerprint of the end state. */
  readonly endState: string;
  /** Threads the run created. */
  readonly threads: number;
  /** The scenario's result, when it was kept. */
  readonly result: ScenarioResult | null;
}

/** Runs `target` once with `chooser` deciding. */
export async function runSchedule(target: ExploreTarget, chooser: Chooser, o: RunScheduleOptions = {}): Promise<ScheduleOutcome> {
  const sites = new SiteContext();
  const recorder = new Recorder(chooser, sites);
  const completions: string[] = [];
  let injector: Injector | null = null;
  const points: PointRecord[] | null = o.points ? [] : null;
  const { scenarioOptions, verified, suppress } = splitTargetOptions(target.options);
  const skipRules = suppressedRules(suppress);
  const r = await runScenario(target.scenario, {
    options: scenarioOptions,
    verifier: verified ? { sourceLines: o.sourceLines ?? (o.trace === true || o.points === true), ...(skipRules.length > 0 ? { skipRules } : {}) } : false,
    strategy: recorder,
    trace: o.trace ?? false,
    flightRecorder: o.trace ? 48 : 0,
    runLimitMs: RUN_LIMIT_MS,
    prepare(m) {
      injector = new Injector(m, target.budget, sites, points);
      injector.install();
      chooser.attach?.(m);
      ioManager(m).hooks.push({
        beforeComplete(irp) {
          completions.push(`${irp.label}=${ntStatusName(irp.Status)}`);
        },
      });
    },
  });
  const inj = injector as Injector | null;
  const all = failuresOf(r);
  const failures = suppress.length > 0 ? withoutSuppressed(all, suppress, r.machine.halted !== null) : all;
  const endState = endStateOf(r, completions);
  const threads = r.machine.threads.length;
  if (!o.keepResult) r.machine.dispose();
  // Let the event loop turn: each run leaves a cleared watchdog Immediate that holds its machine
  // until the loop reaches it, and a search that never yields would keep thousands alive.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return {
    failures,
    deviations: recorder.deviations,
    decisions: recorder.decisions,
    injectionDecisions: recorder.injectionDecisions,
    injections: inj ? inj.injections : [],
    points: points ?? [],
    endState,
    threads,
    result: o.keepResult ? r : null,
  };
}
