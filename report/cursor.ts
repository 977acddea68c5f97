/**
 * The HTML report's time cursor: for each step the diagram draws, the state of the machine just
 * after it — which mapped ranges exist, each frame's lock count, the requests in flight (and
 * whether they pend, and with what cancel routine), the armed timers and the threads waiting.
 * Computed here from the trace, in one pass, and embedded as data the page's script shows.
 */
import type { TraceEvent } from "../kernel/trace.js";
import { frameList, ms, pfn } from "./format.js";
import { ioctlText } from "./ioctl.js";
import type { MemoryMap } from "./memory-map.js";
import { TraceNames } from "./names.js";
import type { DrawnRow } from "./svg-sequence.js";

/** The machine's state at one instant, as the cursor shows it. */
export interface CursorState {
  /** Indices (in the memory map's ranges) of the ranges that exist. */
  readonly ranges: readonly number[];
  /** Frames with at least one lock: [frame number, lock count]. */
  readonly locks: readonly (readonly [number, number])[];
  /** Requests sent and not yet completed, one line each. */
  readonly irps: readonly string[];
  /** Timers set and not yet cancelled or expired. */
  readonly timers: readonly string[];
  /** Threads blocked in a wait. */
  readonly waits: readonly string[];
  /** "4 pages locked (frames 0x100–0x103)". */
  readonly locked: string;
}

/** What the page's script needs: per drawn row, its state (an index into `states`), virtual time (ticks) and loop label. */
export interface CursorData {
  readonly rows: readonly (readonly [number, number, string])[];
  readonly states: readonly CursorState[];
}

interface Irp {
  what: string;
  driver: string;
  pending: boolean;
  cancel: string | null;
}

/** Builds the cursor's data for the drawn rows of a run's diagram. */
export function buildCursor(events: readonly TraceEvent[], rows: readonly DrawnRow[], map: MemoryMap): CursorData {
  const names = TraceNames.from(events);
  const startsAt = new Map<number, number[]>();
  const endsAt = new Map<number, number[]>();
  const add = (m: Map<number, number[]>, seq: number, i: number) => {
    const list = m.get(seq);
    if (list) list.push(i);
    else m.set(seq, [i]);
  };
  map.ranges.forEach((r, i) => {
    add(startsAt, r.fromSeq, i);
    if (r.toSeq !== null) add(endsAt, r.toSeq, i);
  });

  const present = new Set<number>();
  const counts = new Map<number, number>();
  const irps = new Map<string, Irp>();
  const timers = new Map<string, { text: string; periodic: boolean }>();
  const waits = new Map<number, string>();

  // Rows in trace order (a folded loop draws its first run, so rows never go back in the trace).
  const order = rows.map((r, i) => ({ seq: r.seq, i })).sort((a, b) => a.seq - b.seq || a.i - b.i);
  const stateOf: number[] = new Array<number>(rows.length).fill(0);
  const states: CursorState[] = [];
  const known = new Map<string, number>();
  let next = 0;

  const snapshot = (): number => {
    const locks: [number, number][] = [];
    for (const [f, c] of counts) if (c > 0) locks.push([f, c]);
    locks.sort((a, b) => a[0] - b[0]);
    const lockedFrames = locks.map(([f]) => f);
    const multi = locks.filter(([, c]) => c > 1).map(([f, c]) => `${pfn(f)} ×${c}`);
    const state: CursorState = {
      ranges: [...present].sort((a, b) => a - b),
      locks,
      irps: [...irps].map(([irp, x]) => `${irp} ${x.what} — ${x.pending ? "pending in" : "in"} ${x.driver}${x.cancel ? `, cancel routine ${x.cancel}` : x.pending ? ", no cancel routine" : ""}`),
      timers: [...timers.values()].map((t) => t.text),
      waits: [...waits.values()],
      locked: lockedFrames.length === 0 ? "no page locked" : `${lockedFrames.length} page${lockedFrames.length === 1 ? "" : "s"} locked (${frameList(lockedFrames)}${multi.length > 0 ? `; ${multi.join(", ")}` : ""})`,
    };
    const key = JSON.stringify(state);
    let k = known.get(key);
    if (k === undefined) {
      k = states.length;
      states.push(state);
      known.set(key, k);
    }
    return k;
  };

  const apply = (e: TraceEvent) => {
    for (const i of startsAt.get(e.seq) ?? []) present.add(i);
    for (const i of endsAt.get(e.seq) ?? []) present.delete(i);
    if (e.kind !== "Wait" && e.kind !== "WaitSatisfied") waits.delete(e.tid);
    switch (e.kind) {
      case "MdlLocked":
        for (const f of e.frames) counts.set(f, (counts.get(f) ?? 0) + 1);
        break;
      case "MdlUnlocked":
        for (const f of e.frames) counts.set(f, (counts.get(f) ?? 0) - 1);
        break;
      case "IrpDispatched": {
        const what = `${e.major}${e.ioctl ? ` ${ioctlText(e.ioctl, names, "short", e.driver)}` : ""}`;
        const x = irps.get(e.irp);
        if (x) x.driver = e.driver;
        else irps.set(e.irp, { what, driver: e.driver, pending: false, cancel: null });
        break;
      }
      case "IrpMarkedPending": {
        const x = irps.get(e.irp);
        if (x) x.pending = true;
        break;
      }
      case "IrpCancelRoutineSet": {
        const x = irps.get(e.irp);
        if (x) x.cancel = e.routine === "NULL" || e.routine === "" ? null : e.routine;
        break;
      }
      case "IrpCompleted":
      case "IrpFreed":
        irps.delete(e.irp);
        break;
      case "TimerSet":
        timers.set(e.timer, { text: `${e.timer}: due ${e.dueMs} ms after ${ms(e.time)}${e.periodMs ? `, then every ${e.periodMs} ms` : ""}`, periodic: e.periodMs > 0 });
        break;
      case "TimerCancelled":
        timers.delete(e.timer);
        break;
      case "TimerFired":
        if (!timers.get(e.timer)?.periodic) timers.delete(e.timer);
        break;
      case "Wait":
        waits.set(e.tid, `${names.thread(e.tid)} waits on ${e.objects.join(", ")}${e.timeoutMs !== null ? ` (up to ${e.timeoutMs} ms)` : ""}`);
        break;
      case "WaitSatisfied":
        waits.delete(e.tid);
        break;
      default:
        break;
    }
  };

  for (const e of events) {
    // Past the last row drawn, nothing more is shown: a long run is read no further.
    if (next >= order.length) break;
    apply(e);
    while (next < order.length && (order[next]?.seq ?? Infinity) <= e.seq) {
      stateOf[order[next]?.i ?? 0] = snapshot();
      next++;
    }
  }
  while (next < order.length) {
    stateOf[order[next]?.i ?? 0] = snapshot();
    next++;
  }
  return { rows: rows.map((r, i) => [stateOf[i] ?? 0, r.time, r.loop ?? ""] as const), states };
}
