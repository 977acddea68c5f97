/**
 * What the explorer records about a run's decisions, and the chooser interface strategies
 * implement. A decision is identified two ways: by its ordinal (exact, for replay strings) and
 * by its site and occurrence ("the 2nd decision at IoSetCancelRoutine/return in
 * SharebufDeviceControl"), which survives small changes earlier in the run (for shrinking).
 */
import type { DecisionPoint, DecisionStrategy, Machine } from "../kernel/machine.js";

/**
 * "schedule" (which ready thread runs next), "preempt" (which ready thread runs when one's quantum
 * ran out: Scheduler's PREEMPT_DECISION) or an injection kind of decision.
 */
export type DecisionKind = "schedule" | "preempt" | "inject" | "fault" | "forcePending";

/** True for the decisions about which thread runs (not about injecting). */
export function isSchedulingKind(kind: string): boolean {
  return kind === "schedule" || kind === "preempt";
}

/** A decision as a strategy sees it. */
export interface Decision {
  /** What is decided: "schedule" (which ready thread runs), "inject", "fault" or "forcePending". */
  readonly kind: string;
  /** Options; option 0 is the default (run the first ready thread, inject nothing). */
  readonly count: number;
  /** The decision's number in its run, from 0. */
  readonly ordinal: number;
  /** Where: "schedule", or "IoSetCancelRoutine/return in SharebufDeviceControl". */
  readonly site: string;
  /** How many decisions this run made at the same site before this one. */
  readonly occurrence: number;
  /** Option names (computed when asked). */
  labels(): string[];
}

/** Chooses at decisions; one per run. */
export interface Chooser {
  /** Which option to take (0: the default). */
  choose(d: Decision): number;
  /** Called with the run's machine before it starts. */
  attach?(m: Machine): void;
}

/** A decision that took a non-default option: an injection or a preemption. */
export interface Deviation {
  /** The decision's number in its run. */
  readonly ordinal: number;
  /** What was decided (see Decision.kind). */
  readonly kind: string;
  /** The option taken. */
  readonly choice: number;
  /** How many options there were. */
  readonly of: number;
  /** Where the decision was made (see Decision.site). */
  readonly site: string;
  /** How many decisions the run had made at the same site before this one. */
  readonly occurrence: number;
  /** The chosen option's name ("kill sharebuf.exe", "sharebuf.exe:closer(4)"). */
  readonly option: string;
  /** The default option's name ("no injection", or the thread that would have run). */
  readonly instead: string;
}

/** Where the injector says the next decision is (scheduler decisions have no site of their own). */
export class SiteContext {
  site: string | null = null;
}

/**
 * The machine's strategy during exploration: gives each decision its site and occurrence, asks
 * the run's chooser, and records every deviation from the default.
 */
export class Recorder implements DecisionStrategy {
  readonly deviations: Deviation[] = [];
  /** Decisions made (points with more than one option). */
  decisions = 0;
  /** Of those, decisions about injecting (not about scheduling). */
  injectionDecisions = 0;
  private readonly occurrences = new Map<string, number>();

  constructor(
    private readonly chooser: Chooser,
    private readonly sites: SiteContext,
  ) {}

  choose(point: DecisionPoint): number {
    const site = this.sites.site ?? point.kind;
    const occurrence = this.occurrences.get(site) ?? 0;
    this.occurrences.set(site, occurrence + 1);
    this.decisions++;
    if (!isSchedulingKind(point.kind)) this.injectionDecisions++;
    const choice = this.chooser.choose({ kind: point.kind, count: point.count, ordinal: point.ordinal, site, occurrence, labels: () => point.labels() });
    if (choice !== 0) {
      const labels = point.labels();
      this.deviations.push({ ordinal: point.ordinal, kind: point.kind, choice, of: point.count, site, occurrence, option: labels[choice] ?? `option ${choice}`, instead: labels[0] ?? "option 0" });
    }
    return choice;
  }
}
