/**
 * The memory-map model, from MDL trace events alone: every range an MDL locked (a user buffer,
 * say), every mapping of those pages (system space, or another process), every view of a section
 * (SectionViewMapped: the app's and the driver's views over the same frames), the physical frames
 * behind them, and each frame's lock count over virtual time. It is the picture of zero-copy
 * sharing: two virtual ranges, one set of frames.
 */
import type { TraceEvent } from "../kernel/trace.js";
import { TraceNames } from "./names.js";

const PAGE = 4096;
/** The first system-space address on the 32-bit layout the machine models. */
const SYSTEM_BASE = 0x8000_0000;

/** One page of a range and the frame behind it. */
export interface PageFrame {
  readonly va: number;
  readonly frame: number;
}

/** A virtual range backed by known frames. */
export interface MappedRange {
  /** The MDL that locked or mapped the range (for a view of a section, the section's label). */
  readonly mdl: string;
  /** locked: the MDL's own range, probed and locked; mapped: a second mapping of its pages; source: the range of an MDL that was mapped without being locked (nonpaged memory). */
  readonly role: "locked" | "mapped" | "source";
  /** Whether the range is a user range (the app's buffer) or a system mapping of it. */
  readonly space: "user" | "system";
  /** The owning process (0 for system space). */
  readonly process: number;
  /** The process whose address space the range is in ("System" for system space). */
  readonly processName: string;
  /** The exact start (page offset included) and length in bytes. */
  readonly va: number;
  /** The range's length in bytes. */
  readonly length: number;
  /** The pages of the range and the frame behind each. */
  readonly pages: readonly PageFrame[];
  /** When it appeared, and when it went away (null: still there when the trace ends); virtual ticks. */
  readonly from: number;
  /** When the mapping or lock ended (virtual ms), null when it outlived the run. */
  readonly to: number | null;
  /** The same as trace positions: the `seq` of the events that made it and ended it. */
  readonly fromSeq: number;
  /** The `seq` of the event that ended it (null: it lasted to the end of the run). */
  readonly toSeq: number | null;
}

/** A frame's lock count from a given time on (and from the trace event `seq` on). */
export interface LockStep {
  readonly time: number;
  readonly count: number;
  readonly seq: number;
}

/** The whole map. */
export interface MemoryMap {
  /** Every range, in the order they appeared. */
  readonly ranges: readonly MappedRange[];
  /** Every frame some range uses, ascending. */
  readonly frames: readonly number[];
  /** Per frame, its lock count over time (starting at 0). */
  readonly locks: ReadonlyMap<number, readonly LockStep[]>;
  /** Virtual time of the first and last event. */
  readonly start: number;
  /** The run's end, in virtual ms. */
  readonly end: number;
}

interface Building {
  mdl: string;
  role: MappedRange["role"];
  space: MappedRange["space"];
  process: number;
  processName: string;
  va: number;
  length: number;
  pages: PageFrame[];
  from: number;
  to: number | null;
  fromSeq: number;
  toSeq: number | null;
  mappedVa: number;
}

function pagesOf(va: number, frames: readonly number[]): PageFrame[] {
  const base = va - (va % PAGE);
  return frames.map((frame, i) => ({ va: base + i * PAGE, frame }));
}

/** Builds the memory map of a run from its trace events (in one pass, whatever the run's length). */
export function buildMemoryMap(events: readonly TraceEvent[]): MemoryMap {
  const names = TraceNames.from(events);
  const ranges: Building[] = [];
  const lengths = new Map<string, number>();
  const counts = new Map<number, number>();
  const locks = new Map<number, LockStep[]>();
  // Ranges still there, by MDL and role (and mapped address): found without searching them all.
  const live = new Map<string, Building>();
  const owned = new Set<string>();
  const keyOf = (mdl: string, role: MappedRange["role"], va?: number) => `${mdl}|${role}|${va ?? ""}`;
  const lock = (frame: number, delta: number, time: number, seq: number) => {
    const c = (counts.get(frame) ?? 0) + delta;
    counts.set(frame, c);
    let steps = locks.get(frame);
    if (!steps) locks.set(frame, (steps = [{ time: 0, count: 0, seq: -1 }]));
    const last = steps.at(-1);
    if (last && last.time === time) steps[steps.length - 1] = { time, count: c, seq };
    else steps.push({ time, count: c, seq });
  };
  const begin = (r: Building, key: string) => {
    ranges.push(r);
    live.set(key, r);
  };
  const end = (key: string, e: TraceEvent) => {
    const r = live.get(key);
    if (!r) return;
    r.to = e.time;
    r.toSeq = e.seq;
    live.delete(key);
  };

  for (const e of events) {
    switch (e.kind) {
      case "MdlLocked": {
        const space = e.process !== 0 && e.va < SYSTEM_BASE ? "user" : "system";
        lengths.set(e.mdl, e.length);
        owned.add(e.mdl);
        begin({ mdl: e.mdl, role: "locked", space, process: space === "user" ? e.process : 0, processName: space === "user" ? names.process(e.process) : "system space", va: e.va, length: e.length, pages: pagesOf(e.va, e.frames), from: e.time, to: null, fromSeq: e.seq, toSeq: null, mappedVa: e.va }, keyOf(e.mdl, "locked"));
        for (const f of e.frames) lock(f, 1, e.time, e.seq);
        break;
      }
      case "MdlUnlocked": {
        end(keyOf(e.mdl, "locked"), e);
        for (const f of e.frames) lock(f, -1, e.time, e.seq);
        break;
      }
      case "MdlMapped": {
        const length = lengths.get(e.mdl) ?? e.frames.length * PAGE - (e.va % PAGE);
        // An MDL mapped without being locked here (built for nonpaged memory): draw its own range too.
        if (!owned.has(e.mdl)) {
          const space = e.va < SYSTEM_BASE ? "user" : "system";
          owned.add(e.mdl);
          begin({ mdl: e.mdl, role: "source", space, process: space === "user" ? e.process : 0, processName: space === "user" ? names.process(e.process) : "system space", va: e.va, length, pages: pagesOf(e.va, e.frames), from: e.time, to: null, fromSeq: e.seq, toSeq: null, mappedVa: e.va }, keyOf(e.mdl, "source"));
        }
        const user = e.mode === "UserMode";
        begin({ mdl: e.mdl, role: "mapped", space: user ? "user" : "system", process: user ? e.process : 0, processName: user ? names.process(e.process) : "system space", va: e.mappedVa, length, pages: pagesOf(e.mappedVa, e.frames), from: e.time, to: null, fromSeq: e.seq, toSeq: null, mappedVa: e.mappedVa }, keyOf(e.mdl, "mapped", e.mappedVa));
        break;
      }
      case "MdlUnmapped":
        end(keyOf(e.mdl, "mapped", e.mappedVa), e);
        break;
      case "SectionViewMapped": {
        // A view of a section: its pages are the section's frames, shared by every view (no lock).
        const system = e.process === 0;
        begin({ mdl: e.section, role: "mapped", space: system ? "system" : "user", process: e.process, processName: system ? "system space" : names.process(e.process), va: e.base, length: e.size, pages: pagesOf(e.base, e.frames), from: e.time, to: null, fromSeq: e.seq, toSeq: null, mappedVa: e.base }, `${e.section}|view|${e.process}|${e.base}`);
        break;
      }
      case "SectionViewUnmapped":
        // Views of one section in two processes may share a base address: the process is part of the key.
        end(`${e.section}|view|${e.process}|${e.base}`, e);
        break;
      case "MdlFreed":
        end(keyOf(e.mdl, "source"), e);
        // The label can be handed out again to a new MDL.
        owned.delete(e.mdl);
        lengths.delete(e.mdl);
        break;
      default:
        break;
    }
  }
  const frameSet = new Set<number>();
  for (const r of ranges) for (const p of r.pages) frameSet.add(p.frame);
  const frames = [...frameSet].sort((a, b) => a - b);
  return {
    ranges: ranges.map(({ mappedVa: _m, ...r }) => r),
    frames,
    locks,
    start: events[0]?.time ?? 0,
    end: events.at(-1)?.time ?? 0,
  };
}
