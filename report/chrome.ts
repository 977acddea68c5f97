/**
 * The Chrome Trace Event exporter: JSON that Perfetto (ui.perfetto.dev) and chrome://tracing open.
 *
 * - A track per emulated thread, under the process that owns it (thread 0, where DPCs run when no
 *   thread is current, is the idle thread of process 0).
 * - Slices (B/E) for Win32 API calls, dispatch, cancel and completion routines, DPCs and waits;
 *   short complete slices (X) for IoCompleteRequest and for stage 2 of completion.
 * - A flow arrow per IRP from its dispatch (through each lower driver's dispatch) to its
 *   completion and on to delivery in the requesting thread.
 * - Instants for injections, findings, bug checks, deadlocks, MDL and cancel-routine steps, and
 *   counters for locked pages and live IRPs.
 *
 * Time: `ts` is virtual time in microseconds, except that steps at the same virtual instant are
 * spread 1 µs apart so every slice has a width and order is visible; `args.time` carries each
 * step's exact virtual time.
 */
import type { TraceEvent } from "../kernel/trace.js";
import { frameList, hex, msFixed } from "./format.js";
import { ioctlFields, ioctlText, nameIoctlInDetail } from "./ioctl.js";
import { TraceNames } from "./names.js";
import { joinChunks } from "./stream.js";

/** One record of the Trace Event Format. */
export interface ChromeTraceEvent {
  /** The slice's, instant's or counter's name. */
  readonly name: string;
  /**
   * The phase: B/E begin and end a slice, X a complete slice, i an instant, s/t/f a flow, C a
   * counter, M metadata.
   */
  readonly ph: "B" | "E" | "X" | "i" | "s" | "t" | "f" | "C" | "M";
  /** The track group: the emulated process id. */
  readonly pid: number;
  /** The track: the emulated thread id. */
  readonly tid: number;
  /** The timestamp in µs: steps are spread 1 µs apart in order (args.time has the virtual time). */
  readonly ts?: number;
  /** A complete slice's duration in µs. */
  readonly dur?: number;
  /** The category (api, dispatch, cancel, completion, dpc, irp…). */
  readonly cat?: string;
  /** A flow's id (the IRP's number), joining its s, t and f events. */
  readonly id?: number;
  /** Flow binding point: "e" binds a flow end to the enclosing slice. */
  readonly bp?: "e";
  /** Instant scope: thread, process or global. */
  readonly s?: "t" | "p" | "g";
  /** Details shown when the event is selected. */
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

/** The JSON object format of a trace. */
export interface ChromeTrace {
  /** The events. */
  readonly traceEvents: readonly ChromeTraceEvent[];
  /** Timestamps are shown in milliseconds. */
  readonly displayTimeUnit: "ms";
  /** The scenario and what produced the trace. */
  readonly otherData: Readonly<Record<string, string>>;
}

/** One run to put in a trace; several runs get separate process ids. */
export interface ChromeRun {
  /** Prefixes the run's process names ("ending: killed"). */
  readonly label?: string;
  /** The run's trace events. */
  readonly events: readonly TraceEvent[];
}

/** The spread between steps at the same virtual instant, in µs. */
export const STEP_US = 1;
/** Process and thread ids of the n-th run are offset by n times this. */
export const RUN_ID_STRIDE = 100_000;
/** The pseudo-process that holds the counters (emulated process ids are multiples of 4). */
const COUNTER_PID = 1;

type Args = Record<string, string | number | boolean>;

interface Open {
  readonly name: string;
  readonly cat: string;
  /** What closes it: "api:CreateFile", "dispatch:irp#2", "wait". */
  readonly key: string;
}

/** The IRP flows of a run: for each participating event's seq, its phase and flow number. */
function irpFlows(events: readonly TraceEvent[]): Map<number, { ph: "s" | "t" | "f"; flow: number; irp: string }> {
  const chains: { irp: string; points: number[]; completed: boolean }[] = [];
  const open = new Map<string, { irp: string; points: number[]; completed: boolean }>();
  const close = (irp: string) => {
    const c = open.get(irp);
    if (!c) return;
    open.delete(irp);
    // A flow needs both ends: an IRP never completed in this trace has no arrow.
    if (c.completed && c.points.length >= 2) chains.push(c);
  };
  for (const e of events) {
    if (e.kind === "IrpDispatched") {
      const c = open.get(e.irp);
      if (c?.completed) close(e.irp); // Sent again after completion (reused): a new flow.
      const cur = open.get(e.irp);
      if (cur) cur.points.push(e.seq);
      else open.set(e.irp, { irp: e.irp, points: [e.seq], completed: false });
    } else if (e.kind === "IrpCompleted") {
      const c = open.get(e.irp);
      if (c) {
        c.points.push(e.seq);
        c.completed = true;
      }
    } else if (e.kind === "IrpStage2") {
      const c = open.get(e.irp);
      if (c?.completed) {
        c.points.push(e.seq);
        close(e.irp);
      }
    } else if (e.kind === "IrpFreed") {
      close(e.irp);
    }
  }
  for (const irp of [...open.keys()]) close(irp);
  const out = new Map<number, { ph: "s" | "t" | "f"; flow: number; irp: string }>();
  chains.sort((a, b) => (a.points[0] ?? 0) - (b.points[0] ?? 0));
  chains.forEach((c, n) => {
    c.points.forEach((seq, i) => out.set(seq, { ph: i === 0 ? "s" : i === c.points.length - 1 ? "f" : "t", flow: n + 1, irp: c.irp }));
  });
  return out;
}

/** A control code as trace arguments: its name (or number), the number, and CTL_CODE's fields. */
function ioctlArgs(code: number, names: TraceNames, driver: string): Args {
  return { ioctl: ioctlText(code, names, "short", driver), ioctlCode: hex(code), ioctlFields: ioctlFields(code) };
}

/**
 * Converts one run, yielding its trace events as they are made; the n-th run's ids are offset by
 * n × RUN_ID_STRIDE. The metadata (process and thread names) comes last, once every track is
 * known: the format lets metadata stand anywhere, and a run is converted in one pass.
 */
function* convertRun(run: ChromeRun, index: number): Generator<ChromeTraceEvent> {
  // What one event turns into (a few records at most), handed on before the next event.
  const out: ChromeTraceEvent[] = [];
  const base = index * RUN_ID_STRIDE;
  const names = TraceNames.from(run.events);
  const prefix = run.label ? `${run.label} · ` : "";
  const flows = irpFlows(run.events);
  const open = new Map<number, Open[]>();
  const tracks = new Map<number, number>(); // tid -> pid
  let last = -STEP_US;
  let locked = 0;
  let liveIrps = 0;

  const pidOf = (tid: number) => base + names.threadInfo(tid).process;
  const track = (tid: number) => {
    if (!tracks.has(tid)) tracks.set(tid, pidOf(tid));
    return { pid: pidOf(tid), tid: base + tid };
  };
  const stack = (tid: number) => {
    let s = open.get(tid);
    if (!s) open.set(tid, (s = []));
    return s;
  };
  const begin = (e: TraceEvent, ts: number, name: string, cat: string, key: string, args: Args) => {
    stack(e.tid).push({ name, cat, key });
    out.push({ name, ph: "B", cat, ...track(e.tid), ts, args: { ...args, time: msFixed(e.time), seq: e.seq } });
  };
  const end = (tid: number, ts: number, key: string, args: Args = {}) => {
    const s = stack(tid);
    let i = s.length - 1;
    while (i >= 0 && s[i]?.key !== key) i--;
    if (i < 0) return;
    // Slices above the one ending never returned (an exception unwound them): end them first.
    while (s.length > i) {
      const o = s.pop() as Open;
      out.push({ name: o.name, ph: "E", cat: o.cat, ...track(tid), ts, args: s.length === i ? args : { unwound: true } });
    }
  };
  const instant = (e: TraceEvent, ts: number, name: string, cat: string, scope: "t" | "g", args: Args) => {
    out.push({ name, ph: "i", cat, s: scope, ...track(e.tid), ts, args: { ...args, time: msFixed(e.time) } });
  };
  // An object, not a let: set inside the closure, read after the loop.
  const seen = { counters: false };
  const counter = (ts: number, name: string, args: Args) => {
    seen.counters = true;
    out.push({ name, ph: "C", pid: base + COUNTER_PID, tid: 0, ts, args });
  };

  for (const e of run.events) {
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
    const ts = Math.max(e.time / 10, last + STEP_US);
    last = ts;
    // A wait ends when its thread does anything again.
    const top = open.get(e.tid)?.at(-1);
    if (top?.key === "wait") end(e.tid, ts, "wait", e.kind === "WaitSatisfied" ? { result: e.statusName } : { result: "ended" });
    switch (e.kind) {
      case "ApiEnter":
        begin(e, ts, e.api, "api", `api:${e.api}`, { call: `${e.api}(${nameIoctlInDetail(e.api, e.detail, names, "full")})` });
        break;
      case "ApiReturn":
        end(e.tid, ts, `api:${e.api}`, { result: e.result, ...(e.lastError ? { lastError: e.lastErrorName || e.lastError } : {}) });
        break;
      case "IrpDispatched":
        begin(e, ts, `${e.driver}!${e.routine}`, "dispatch", `dispatch:${e.irp}`, { irp: e.irp, major: e.major, device: e.device, ...(e.ioctl ? ioctlArgs(e.ioctl, names, e.driver) : {}) });
        break;
      case "IrpDispatchReturned":
        end(e.tid, ts, `dispatch:${e.irp}`, { status: e.statusName });
        break;
      case "IrpCancel":
        if (e.called) begin(e, ts, `${e.driver ? `${e.driver}!` : ""}${e.routine}`, "cancel", `cancel:${e.irp}`, { irp: e.irp });
        else instant(e, ts, `IoCancelIrp(${e.irp}): no cancel routine`, "cancel", "t", { irp: e.irp });
        break;
      case "IrpCancelRoutineReturned":
        end(e.tid, ts, `cancel:${e.irp}`);
        break;
      case "IrpCompletionRoutineStart":
        begin(e, ts, `${e.driver}!${e.routine}`, "completion", `completion:${e.irp}:${e.routine}`, { irp: e.irp });
        break;
      case "IrpCompletionRoutine":
        end(e.tid, ts, `completion:${e.irp}:${e.routine}`, { result: e.resultName });
        break;
      case "DpcStart":
        begin(e, ts, `DPC ${e.driver ? `${e.driver}!` : ""}${e.routine}`, "dpc", `dpc:${e.dpc}`, { dpc: e.dpc });
        break;
      case "DpcEnd":
        end(e.tid, ts, `dpc:${e.dpc}`);
        break;
      case "Wait":
        begin(e, ts, `wait: ${e.objects.join(", ")}`, "wait", "wait", { mode: e.mode, timeout: e.timeoutMs === null ? "INFINITE" : `${e.timeoutMs} ms` });
        break;
      case "IrpCompleted":
        out.push({ name: `IoCompleteRequest ${e.irp}`, ph: "X", cat: "completion", ...track(e.tid), ts, dur: STEP_US / 2, args: { irp: e.irp, status: e.statusName, information: e.information, by: e.driver, time: msFixed(e.time) } });
        break;
      case "IrpStage2":
        out.push({ name: `IopCompleteRequest ${e.irp}`, ph: "X", cat: "completion", ...track(e.tid), ts, dur: STEP_US / 2, args: { irp: e.irp, status: e.statusName, delivered: e.delivered, copiedBack: e.copiedBack, time: msFixed(e.time) } });
        break;
      case "IrpMarkedPending":
        instant(e, ts, `IoMarkIrpPending(${e.irp})`, "irp", "t", { irp: e.irp, driver: e.driver });
        break;
      case "IrpCancelRoutineSet":
        instant(e, ts, `IoSetCancelRoutine(${e.irp}, ${e.routine})`, "cancel", "t", { irp: e.irp, previous: e.previous });
        break;
      case "BufferCopied":
        instant(e, ts, `${e.bytes} bytes copied ${e.direction}`, "memory", "t", { irp: e.irp, from: hex(e.from), to: hex(e.to) });
        break;
      case "MdlLocked":
        locked += e.frames.length;
        instant(e, ts, `MmProbeAndLockPages ${e.mdl}`, "memory", "t", { va: hex(e.va), length: e.length, frames: frameList(e.frames), process: names.process(e.process), write: e.write });
        counter(ts, "locked pages", { pages: locked });
        break;
      case "MdlUnlocked":
        locked -= e.frames.length;
        instant(e, ts, `MmUnlockPages ${e.mdl}`, "memory", "t", { frames: frameList(e.frames) });
        counter(ts, "locked pages", { pages: locked });
        break;
      case "MdlMapped":
        instant(e, ts, `map ${e.mdl} → ${hex(e.mappedVa)}`, "memory", "t", { va: hex(e.va), mappedVa: hex(e.mappedVa), mode: e.mode, frames: frameList(e.frames) });
        break;
      case "MdlUnmapped":
        instant(e, ts, `unmap ${e.mdl} from ${hex(e.mappedVa)}`, "memory", "t", { mode: e.mode });
        break;
      case "IrpAllocated":
        counter(ts, "live IRPs", { irps: ++liveIrps });
        break;
      case "IrpFreed":
        counter(ts, "live IRPs", { irps: --liveIrps });
        break;
      case "TimerSet":
        instant(e, ts, `KeSetTimer(${e.timer})`, "timer", "t", { dueMs: e.dueMs, periodMs: e.periodMs });
        break;
      case "TimerCancelled":
        instant(e, ts, `KeCancelTimer(${e.timer})`, "timer", "t", {});
        break;
      case "DebugPrint":
        instant(e, ts, e.text, "debug", "t", { api: e.mode === "KernelMode" ? "DbgPrint" : "OutputDebugString" });
        break;
      case "ProcessTerminating":
        instant(e, ts, `${e.name} terminating (${e.reason})`, "process", "t", { status: hex(e.status) });
        break;
      case "ProcessExited":
        instant(e, ts, `${names.process(e.pid)} exits`, "process", "t", { status: hex(e.status) });
        break;
      case "Injection":
        instant(e, ts, `injected ${e.action}`, "injection", "t", { detail: e.detail, at: e.at });
        break;
      case "Finding":
        instant(e, ts, `finding ${e.rule}`, "finding", "g", { code: e.code, message: e.message, ...(e.driver ? { driver: e.driver } : {}), ...(e.source ? { source: e.source } : {}) });
        break;
      case "BugCheck":
        instant(e, ts, `STOP ${hex(e.code)} ${e.name}`, "bugcheck", "g", { parameters: e.parameters.map(hex).join(", "), ...(e.driver ? { driver: e.driver } : {}), ...(e.source ? { source: e.source } : {}) });
        break;
      case "Deadlock":
        instant(e, ts, "deadlock", "bugcheck", "g", { description: e.description });
        break;
      case "Livelock":
        instant(e, ts, "livelock", "bugcheck", "g", { description: e.description });
        break;
      case "Note":
        instant(e, ts, e.text, "note", "g", {});
        break;
      default:
        break;
    }
    const f = flows.get(e.seq);
    if (f) out.push({ name: f.irp, ph: f.ph, cat: "irp", id: base + f.flow, ...track(e.tid), ts, ...(f.ph === "f" ? { bp: "e" as const } : {}) });
  }
  yield* out;
  out.length = 0;
  // Whatever is still open when the trace ends (a bug check, a run stopped early) ends there.
  const endTs = last + STEP_US;
  for (const [tid, s] of open) {
    for (let o = s.pop(); o; o = s.pop()) out.push({ name: o.name, ph: "E", cat: o.cat, ...track(tid), ts: endTs, args: { unfinished: true } });
  }

  yield* out;
  const meta: ChromeTraceEvent[] = [];
  const pids = new Set(tracks.values());
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const local = pid - base;
    const pname = local === 0 ? "System Idle Process" : names.process(local);
    meta.push({ name: "process_name", ph: "M", pid, tid: 0, args: { name: `${prefix}${pname}${local ? ` (pid ${local})` : ""}` } });
    meta.push({ name: "process_sort_index", ph: "M", pid, tid: 0, args: { sort_index: pid } });
  }
  for (const [tid, pid] of [...tracks].sort((a, b) => a[0] - b[0])) {
    meta.push({ name: "thread_name", ph: "M", pid, tid: base + tid, args: { name: names.thread(tid) } });
    meta.push({ name: "thread_sort_index", ph: "M", pid, tid: base + tid, args: { sort_index: tid } });
  }
  if (seen.counters) meta.push({ name: "process_name", ph: "M", pid: base + COUNTER_PID, tid: 0, args: { name: `${prefix}machine counters` } });
  yield* meta;
}

/** Every trace event of the runs, in order, made as they are consumed. */
export function* chromeTraceEvents(runs: readonly ChromeRun[]): Generator<ChromeTraceEvent> {
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    if (r) yield* convertRun(r, i);
  }
}

function otherData(runs: readonly ChromeRun[]): Readonly<Record<string, string>> {
  return {
    generator: "irpsim",
    runs: runs.map((r, i) => r.label ?? `run ${i + 1}`).join("; "),
    clock: `virtual time in µs; steps at the same virtual instant are spread ${STEP_US} µs apart (args.time is each step's exact virtual time)`,
  };
}

/** Builds the trace of one or more runs. */
export function chromeTrace(runs: readonly ChromeRun[]): ChromeTrace {
  return { traceEvents: [...chromeTraceEvents(runs)], displayTimeUnit: "ms", otherData: otherData(runs) };
}

/** The trace as JSON text in chunks, one trace event per line (diffable, and what the tools load). */
export function* chromeTraceChunks(runs: readonly ChromeRun[]): Generator<string> {
  yield `{"displayTimeUnit":"ms","otherData":${JSON.stringify(otherData(runs))},"traceEvents":[\n`;
  let first = true;
  for (const e of chromeTraceEvents(runs)) {
    yield first ? JSON.stringify(e) : `,\n${JSON.stringify(e)}`;
    first = false;
  }
  yield "\n]}\n";
}

/** The trace as JSON text, one trace event per line (diffable, and what the tools load). */
export function formatChromeTrace(runs: readonly ChromeRun[]): string {
  return joinChunks(chromeTraceChunks(runs));
}
