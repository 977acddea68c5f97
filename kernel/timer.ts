import { DispatcherHeader, DispatcherType } from "./dispatcher.js";
import type { KDPC } from "./dpc.js";
import type { TimerEntry } from "./timer-queue.js";

/** KTIMER: a dispatcher object signalled at its due time, optionally queuing a DPC. */
export class KTIMER extends DispatcherHeader {
  /** Absolute due time in 100 ns ticks of virtual time. */
  DueTime = 0;
  /** Period in milliseconds (0: one-shot). */
  Period = 0;
  /** The DPC queued when the timer expires (KeSetTimer's Dpc). */
  Dpc: KDPC | null = null;
  /** The queued timer-queue entry while the timer is set. */
  entry: TimerEntry | null = null;
  constructor(synchronization = false, label?: string) {
    super(synchronization ? DispatcherType.SynchronizationTimer : DispatcherType.NotificationTimer, 0, label);
  }
  /** KeReadStateTimer. */
  get Inserted(): boolean {
    return this.entry !== null && !this.entry.cancelled;
  }
}
