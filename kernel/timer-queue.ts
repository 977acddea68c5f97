/** One deadline in the machine's timer queue. */
export interface TimerEntry {
  /** Absolute virtual time, 100 ns ticks. */
  readonly deadline: number;
  /** Insertion order, to break ties deterministically. */
  readonly seq: number;
  /** Set when the timer was cancelled before it fired. */
  cancelled: boolean;
  /** Runs when the deadline is reached (the clock has already moved to it). */
  readonly fire: () => void;
  /** What it is, for traces ("KTIMER#3", "wait timeout of app.exe:main"). */
  readonly label: string;
}

/**
 * A binary min-heap of deadlines ordered by (deadline, seq). Cancelled entries stay in the heap
 * and are skipped when they reach the top.
 */
export class TimerQueue {
  private readonly heap: TimerEntry[] = [];
  private seq = 0;

  /**
   * @param onAdd told every new deadline, so a clock that checks for due entries only now and then
   *   (the machine between kernel calls) can check earlier.
   */
  constructor(private readonly onAdd: ((deadline: number) => void) | null = null) {}

  /** Number of entries, cancelled ones included. */
  get size(): number {
    return this.heap.length;
  }

  /** Adds an entry. */
  add(deadline: number, label: string, fire: () => void): TimerEntry {
    // A deadline that is no finite time would stall the clock for ever: a routine let a bad timeout through.
    if (!Number.isFinite(deadline)) throw new Error(`timer queue: ${label} has no finite deadline (${String(deadline)}); the routine that set it must check its timeout`);
    const e: TimerEntry = { deadline, seq: this.seq++, cancelled: false, fire, label };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p] as TimerEntry)) break;
      h[i] = h[p] as TimerEntry;
      i = p;
    }
    h[i] = e;
    if (this.onAdd) this.onAdd(deadline);
    return e;
  }

  /** The earliest live entry, without removing it. */
  peek(): TimerEntry | undefined {
    while (this.heap.length > 0 && (this.heap[0] as TimerEntry).cancelled) this.pop();
    return this.heap[0];
  }

  /** Removes and returns the earliest entry (cancelled or not). */
  pop(): TimerEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || !last) return top;
    // Sift `last` down from the root.
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last;
      if (l < n && less(h[l] as TimerEntry, best)) {
        m = l;
        best = h[l] as TimerEntry;
      }
      if (r < n && less(h[r] as TimerEntry, best)) {
        m = r;
        best = h[r] as TimerEntry;
      }
      if (m === i) break;
      h[i] = best;
      i = m;
    }
    h[i] = last;
    return top;
  }

  /**
   * The latest deadline of a live entry due before `bound` (-Infinity when none): a walk of the
   * heap that skips every subtree whose root is already at or past the bound.
   */
  latestBefore(bound: number): number {
    const h = this.heap;
    let latest = -Infinity;
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const e = h[i];
      if (!e || e.deadline >= bound) continue;
      if (!e.cancelled && e.deadline > latest) latest = e.deadline;
      stack.push(2 * i + 1, 2 * i + 2);
    }
    return latest;
  }

  /** Live entries in deadline order (for reports). */
  pending(): TimerEntry[] {
    return this.heap.filter((e) => !e.cancelled).sort((a, b) => (less(a, b) ? -1 : 1));
  }
}

function less(a: TimerEntry, b: TimerEntry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}
