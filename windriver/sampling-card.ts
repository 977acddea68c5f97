/**
 * The sampling card: the simulated device of the WinDriver sample. It has an interrupt line and
 * raises an interrupt each time a sample is ready, on virtual time, while its line is unmasked
 * (some driver connected an ISR to it).
 *
 * The time to the next sample is a decision point ("device-interrupt-interval"): the default
 * choice is the card's nominal interval, and the other intervals it lists are what an explorer
 * may pick instead — a card whose sample clock is not in step with the app, so an interrupt can
 * arrive at any moment the app is not ready for.
 */
import { interruptController, interruptIrqlForLevel, interruptVectorForLevel, type InterruptSource } from "../kernel/interrupt-object.js";
import type { KIRQL } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { TimerEntry } from "../kernel/timer-queue.js";

/** How a card is built. */
export interface SamplingCardOptions {
  /** A name for traces ("sampling card"). */
  readonly name?: string;
  /** Its interrupt line (bus interrupt level), 0–23. */
  readonly irq: number;
  /**
   * The time from one sample to the next, in ms: the first is nominal (the default decision); the
   * others are alternatives an exploration strategy may choose at each sample.
   */
  readonly intervalsMs: readonly number[];
}

/** A sampling card on the machine's bus. */
export class SamplingCard implements InterruptSource {
  /** The card's name in traces. */
  readonly name: string;
  /** Its interrupt line on the bus. */
  readonly irq: number;
  /** The system vector and device IRQL the HAL gives its line. */
  readonly vector: number;
  /** The device IRQL of its interrupt. */
  readonly irql: KIRQL;
  /** Interrupts raised so far. */
  raised = 0;
  private readonly intervals: readonly number[];
  private enabled = false;
  private next: TimerEntry | null = null;

  constructor(
    private readonly m: Machine,
    options: SamplingCardOptions,
  ) {
    if (!Number.isInteger(options.irq) || options.irq < 0 || options.irq > 23) throw new RangeError(`a card's irq is a line from 0 to 23 (got ${options.irq})`);
    if (options.intervalsMs.length === 0 || options.intervalsMs.some((x) => !(x > 0))) throw new RangeError("a card needs at least one interval, each above 0 ms");
    this.name = options.name ?? `sampling card (IRQ ${options.irq})`;
    this.irq = options.irq;
    this.vector = interruptVectorForLevel(options.irq);
    this.irql = interruptIrqlForLevel(options.irq);
    this.intervals = [...options.intervalsMs];
    interruptController(m).attachSource(this.vector, this);
  }

  /** The interrupt controller unmasked (a driver connected) or masked (the last one left) the line. */
  lineEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled && !this.next) this.schedule();
    if (!enabled && this.next) {
      this.next.cancelled = true;
      this.next = null;
    }
  }

  /** Removes the card from the bus (its line stays, with nothing on it). */
  remove(): void {
    this.lineEnabled(false);
    interruptController(this.m).detachSource(this.vector, this);
  }

  private schedule(): void {
    const m = this.m;
    const choice = m.decide("device-interrupt-interval", this.intervals.length, () => this.intervals.map((ms) => `${this.name}: next sample in ${ms} ms`));
    const ms = this.intervals[choice] ?? this.intervals[0] ?? 1;
    const entry = m.timers.add(m.now + Math.max(1, Math.round(ms * 10_000)), `${this.name} sample`, () => {
      // An entry fired early (an explorer's injection) has been replaced: its later firing is stale.
      if (this.next === entry) this.fire();
    });
    this.next = entry;
  }

  private fire(): void {
    this.next = null;
    if (!this.enabled) return;
    this.raised++;
    // The next sample is on its way before this one is handled, as a free-running clock would be.
    this.schedule();
    interruptController(this.m).assert(this.vector, this.name);
  }
}

/** Puts a sampling card on the machine's bus (the harness side: hardware is not a driver's to create). */
export function installSamplingCard(m: Machine, options: SamplingCardOptions): SamplingCard {
  return new SamplingCard(m, options);
}
