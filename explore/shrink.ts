/**
 * Shrinking: a failing schedule is cut down to the fewest injections and preemptions that still
 * fail with the same cause. Candidates drop halves, then quarters, … then single deviations
 * (delta debugging); each is run with the guided chooser, which finds the kept deviations by site
 * and occurrence, so they land where they did even when dropping an earlier one shifted the run.
 * A candidate is kept when its run fails the same way with fewer deviations than before.
 */
import { GuidedChooser } from "./choosers.js";
import type { Deviation } from "./decisions.js";
import { runSchedule, type ExploreTarget, type ScheduleOutcome } from "./run-schedule.js";

/** Occurrence shifts tried for the steps after a dropped one. */
const SHIFTS = [-1, 1, -2, 2, -3, -4];

/** A shrunk failing schedule. */
export interface Shrunk {
  readonly cause: string;
  readonly deviations: readonly Deviation[];
  readonly outcome: ScheduleOutcome;
  /** Deviations before shrinking. */
  readonly originalDeviations: number;
  /** Schedules run while shrinking. */
  readonly attempts: number;
}

/** Shrinks `deviations` (a schedule that failed with `cause`); at most `maxAttempts` runs. */
export async function shrinkFailure(target: ExploreTarget, cause: string, deviations: readonly Deviation[], maxAttempts = 400): Promise<Shrunk> {
  let attempts = 0;
  const tryRun = async (candidate: readonly Deviation[]): Promise<ScheduleOutcome> => {
    attempts++;
    return runSchedule(target, new GuidedChooser(candidate));
  };
  // Start from the guided run of the whole schedule: it is what every candidate is compared with.
  let outcome = await tryRun(deviations);
  let current: readonly Deviation[] = outcome.deviations;
  if (outcome.failures[0]?.cause !== cause) {
    // The guided run did not reproduce it (the schedule depends on exact ordinals): keep it whole.
    return { cause, deviations, outcome, originalDeviations: deviations.length, attempts };
  }
  const accept = (o: ScheduleOutcome): boolean => o.failures[0]?.cause === cause && o.deviations.length < current.length;
  let improved = true;
  while (improved && attempts < maxAttempts) {
    improved = false;
    for (let size = Math.max(1, Math.floor(current.length / 2)); size >= 1 && !improved; size = size === 1 ? 0 : Math.max(1, Math.floor(size / 2))) {
      for (let start = 0; start < current.length && !improved && attempts < maxAttempts; start += size) {
        const candidate = [...current.slice(0, start), ...current.slice(start + size)];
        let o = await tryRun(candidate);
        // Dropping a step can shift how often a later site is reached (one DPC fewer, say): try
        // the later steps a few occurrences earlier or later.
        for (const shift of SHIFTS) {
          if (accept(o) || attempts >= maxAttempts) break;
          o = await tryRun(candidate.map((d, i) => (i >= start ? { ...d, occurrence: Math.max(0, d.occurrence + shift) } : d)));
        }
        if (accept(o)) {
          current = o.deviations;
          outcome = o;
          improved = true;
        }
      }
    }
  }
  return { cause, deviations: current, outcome, originalDeviations: deviations.length, attempts };
}
