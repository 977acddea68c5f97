/**
 * The choosers the strategies use for one run each: random (seeded), PCT (Burckhardt et al.,
 * "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010), delay
 * bounding (Emmi, Qadeer, Rakamarić, POPL 2011, here with randomly placed delays), the DFS prefix,
 * exact replay, and the guided chooser shrinking uses.
 */
import type { Machine } from "../kernel/machine.js";
import { isSchedulingKind, type Chooser, type Decision, type Deviation } from "./decisions.js";
import { Prng } from "./prng.js";

/** Always the default option: the deterministic run. */
export class DefaultChooser implements Chooser {
  choose(): number {
    return 0;
  }
}

/**
 * Random: a uniformly random ready thread at each scheduling decision; at each injection point,
 * an injection with probability `rate` (uniform among the eligible events). Choosing uniformly
 * among "nothing" and the events would spend the whole budget at the first few points, so the
 * rate is set from the number of injection points in the default run.
 */
export class RandomChooser implements Chooser {
  private readonly prng: Prng;
  constructor(
    seed: number,
    run: number,
    private readonly rate: number,
  ) {
    this.prng = new Prng(seed, run);
  }
  choose(d: Decision): number {
    if (isSchedulingKind(d.kind)) return this.prng.below(d.count);
    return this.prng.chance(this.rate) ? 1 + this.prng.below(d.count - 1) : 0;
  }
}

/**
 * PCT with depth d: every thread gets a random priority above d; d-1 change points are placed
 * uniformly among the run's k steps (decisions); at the i-th change point the running thread's
 * priority drops to d-i. The highest-priority ready thread runs. Each injectable event is a
 * one-step "thread" of its own with a random priority: it is injected at a point where it is
 * eligible and outranks the thread that is running there.
 */
export class PctChooser implements Chooser {
  private readonly prng: Prng;
  private readonly priority = new Map<string, number>();
  private readonly changes = new Map<number, number>();
  private m: Machine | null = null;

  constructor(
    seed: number,
    run: number,
    private readonly depth: number,
    steps: number,
  ) {
    this.prng = new Prng(seed, run);
    const points = this.prng.distinct(Math.max(0, depth - 1), Math.max(1, steps));
    // Change point i (1-based) lowers to priority depth - i.
    points.forEach((p, i) => this.changes.set(p, i + 1));
  }

  /** Threads and events that competed for priority in this run (PCT's n). */
  get entities(): number {
    return this.priority.size;
  }

  attach(m: Machine): void {
    this.m = m;
  }

  private prio(entity: string): number {
    let p = this.priority.get(entity);
    if (p === undefined) {
      p = this.depth + this.prng.float();
      this.priority.set(entity, p);
    }
    return p;
  }

  choose(d: Decision): number {
    const change = this.changes.get(d.ordinal);
    const labels = d.labels();
    if (isSchedulingKind(d.kind)) {
      let best = this.best(labels, 0);
      if (change !== undefined) {
        this.priority.set(labels[best] ?? "", this.depth - change);
        best = this.best(labels, 0);
      }
      return best;
    }
    const running = this.m?.runningThread()?.label ?? "idle";
    if (change !== undefined) this.priority.set(running, this.depth - change);
    let choice = 0;
    let top = this.prio(running);
    for (let o = 1; o < d.count; o++) {
      const p = this.prio(`${d.kind}: ${labels[o] ?? o}`);
      if (p > top) {
        top = p;
        choice = o;
      }
    }
    return choice;
  }

  private best(labels: string[], from: number): number {
    let best = from;
    let top = -1;
    for (let i = from; i < labels.length; i++) {
      const p = this.prio(labels[i] ?? "");
      if (p > top) {
        top = p;
        best = i;
      }
    }
    return best;
  }
}

/**
 * Delay bounding with random delays: `delays` decisions, placed uniformly among the run's steps,
 * deviate from the deterministic choice (the next ready thread runs instead, or an eligible event
 * is injected); every other decision takes the default.
 */
export class DelayChooser implements Chooser {
  private readonly prng: Prng;
  private readonly at: Set<number>;
  constructor(seed: number, run: number, delays: number, steps: number) {
    this.prng = new Prng(seed, run);
    this.at = new Set(this.prng.distinct(delays, Math.max(1, steps)));
  }
  choose(d: Decision): number {
    return this.at.has(d.ordinal) ? 1 + this.prng.below(d.count - 1) : 0;
  }
}

/** A deviation by ordinal: the DFS prefix and the replay string's content. */
export interface OrdinalChoice {
  readonly ordinal: number;
  readonly choice: number;
  /** The number of options the decision had when it was recorded (checked on replay). */
  readonly of: number;
}

/**
 * Takes the given choices at the given ordinals and the default elsewhere. A decision whose
 * option count differs from the recorded one is noted in {@link mismatch} (the scenario or its
 * drivers are not the ones the choices were recorded with) and takes the choice if it fits.
 */
export class PrefixChooser implements Chooser {
  private readonly byOrdinal = new Map<number, OrdinalChoice>();
  /** Option counts of every decision of the run, by ordinal (for the DFS to expand). */
  readonly counts: number[] = [];
  /** The first decision that did not match what was recorded, in words (null: all matched). */
  mismatch: string | null = null;
  constructor(choices: readonly OrdinalChoice[]) {
    for (const c of choices) this.byOrdinal.set(c.ordinal, c);
  }
  choose(d: Decision): number {
    this.counts[d.ordinal] = d.count;
    const c = this.byOrdinal.get(d.ordinal);
    if (!c) return 0;
    if (c.of !== d.count) {
      this.mismatch ??= `decision ${d.ordinal} (${d.kind} at ${d.site}) has ${d.count} options, but ${c.of} were recorded: the scenario or its drivers are not the ones the schedule was recorded with`;
    }
    return c.choice < d.count ? c.choice : 0;
  }
}

/**
 * Shrinking's chooser: takes a wanted option where the site and occurrence match (by the option's
 * name, so the choice survives changes earlier in the run), the default elsewhere.
 */
export class GuidedChooser implements Chooser {
  private readonly wanted = new Map<string, string>();
  constructor(deviations: readonly Deviation[]) {
    for (const d of deviations) this.wanted.set(`${d.site}#${d.occurrence}`, d.option);
  }
  choose(d: Decision): number {
    const option = this.wanted.get(`${d.site}#${d.occurrence}`);
    if (option === undefined) return 0;
    const i = d.labels().indexOf(option);
    return i > 0 ? i : 0;
  }
}
