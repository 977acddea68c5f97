/**
 * The sequence-diagram model: who called whom, in order, built from the trace events alone. The
 * Mermaid exporter and the HTML report's SVG both draw this one model, so they always agree.
 *
 * Participants are the app processes, the I/O manager, each driver, the memory manager and — when
 * timers, DPCs or waits appear — the kernel. Each emulated thread keeps its own call stack (an app's
 * API call enters the I/O manager, which dispatches to a driver, which calls back into the I/O
 * manager or the memory manager), so threads that interleave still draw correct arrows.
 */
import { ntStatusName } from "../kernel/status.js";
import type { TraceEvent } from "../kernel/trace.js";
import { frameList, hex, ms, msRough } from "./format.js";
import { ioctlLegend, ioctlText, nameIoctlInDetail } from "./ioctl.js";
import { TraceNames } from "./names.js";

/** What a participant stands for. */
export type ParticipantKind = "app" | "io" | "framework" | "driver" | "mm" | "kernel";

/** One column of the diagram. */
export interface Participant {
  /** An identifier safe in Mermaid ("app12", "io", "drv_Sharebuf"). */
  readonly id: string;
  /** What the participant's box says ("app.exe", "I/O manager", "Sharebuf.sys"). */
  readonly label: string;
  /** Its kind: app, io, driver, mm or kernel (which also sets its colour in the HTML report). */
  readonly kind: ParticipantKind;
}

/** How a step should stand out. */
export type Tone = "plain" | "pending" | "error" | "warn";

/** An arrow: a call (solid), a return (dashed) or an asynchronous delivery. */
export interface MessageStep {
  readonly kind: "message";
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly arrow: "call" | "return" | "async";
  /** The call starts an activation of `to` (a dispatch, cancel or completion routine, a DPC, an API call). */
  readonly activate: boolean;
  /** The return ends the activation of `from`. */
  readonly deactivate: boolean;
  /** Virtual time in 100 ns ticks. */
  readonly time: number;
  /** The trace event it was drawn from (its `seq`): where in the run the step stands. */
  readonly seq: number;
  readonly tone: Tone;
  /** More to say than the label holds (a control code decoded), for a tooltip. */
  readonly detail?: string;
}

/** A note over one or more participants (none: across the whole diagram). */
export interface NoteStep {
  readonly kind: "note";
  readonly over: readonly string[];
  readonly text: string;
  readonly time: number;
  /** The trace event it was drawn from. */
  readonly seq: number;
  readonly tone: Tone;
}

/** Identical consecutive DPC runs folded into one block that repeats `count` times. */
export interface GroupStep {
  readonly kind: "group";
  readonly label: string;
  readonly count: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly steps: readonly (MessageStep | NoteStep)[];
}

/** One row (or block of rows) of the diagram. */
export type SequenceStep = MessageStep | NoteStep | GroupStep;

/** The whole diagram. */
export interface SequenceDiagram {
  /** The participants, left to right. */
  readonly participants: readonly Participant[];
  /** The messages, notes and loops, top to bottom. */
  readonly steps: readonly SequenceStep[];
}

/** Options for {@link buildSequence}. */
export interface SequenceOptions {
  /** Also show DbgPrint / OutputDebugString lines and waits as notes. */
  readonly verbose?: boolean;
}

/** A call in progress on one thread: who was called, by whom, and whether it drew an activation. */
interface Frame {
  /** "complete": inside IoCompleteRequest, which has no end event; see COMPLETION_WORK. */
  readonly kind: "api" | "dispatch" | "cancel" | "completion" | "dpc" | "complete";
  readonly callee: string;
  readonly caller: string;
  readonly key: string;
}

/**
 * What IoCompleteRequest does inside itself (completion routines, unlocking and unmapping the MDL,
 * queueing or running stage 2). IrpCompleted has no matching end event, so the first event of
 * another kind on that thread means IoCompleteRequest has returned to its caller.
 */
const COMPLETION_WORK = new Set<TraceEvent["kind"]>(["IrpCompletionRoutineStart", "MdlUnmapped", "MdlUnlocked", "MdlFreed", "ApcQueued", "ApcDelivered", "EventSignaled", "IrpStage2", "IrpFreed", "BufferCopied", "SpinLockAcquired", "SpinLockReleased", "PoolFreed", "HandleClosed"]);

const IO = "io";
const MM = "mm";
const KE = "ke";
/** The Kernel-Mode Driver Framework (wdf/): between the I/O manager and its client drivers. */
const FX = "kmdf";
/** The framework's own routines the I/O manager calls (dispatch, cancel, completion) and its DPCs. */
const FRAMEWORK_ROUTINES = new Set(["FxDeviceDispatch", "FxIoQueueCancel", "FxRequestCancel", "FxRequestSendCompletion", "FxPnpForwardCompletion", "FxTimerDpc", "FxDpcRoutine"]);

/** Win32 APIs that go to the I/O manager; Virtual*, Heap* go to the memory manager; the rest to the kernel. */
const IO_APIS = new Set(["CreateFile", "DeviceIoControl", "ReadFile", "WriteFile", "CloseHandle", "CancelIo", "CancelIoEx", "CancelSynchronousIo", "GetOverlappedResult", "GetOverlappedResultEx", "DuplicateHandle"]);

function apiTarget(api: string): string {
  if (IO_APIS.has(api)) return IO;
  if (/^(Virtual|Heap|Local|Global)/.test(api)) return MM;
  return KE;
}

function toneOfStatus(status: number): Tone {
  if (status === 0x103) return "pending";
  if (status >>> 30 === 3) return "error";
  if (status >>> 30 === 2) return "warn";
  return "plain";
}

class Builder {
  private readonly names: TraceNames;
  private readonly stacks = new Map<number, Frame[]>();
  private readonly participants = new Map<string, Participant>();
  private readonly driverIds = new Map<string, string>();
  private readonly used = new Set<string>();
  /** Finished steps not yet taken by {@link Builder.take}. */
  private steps: SequenceStep[] = [];
  /** The last group of DPC runs, held back while the next DPC run may still fold into it. */
  private held: GroupStep | null = null;
  /** The control codes already decoded in a note. */
  private readonly decoded = new Set<number>();
  /** The DPC being drawn, collected so identical runs can be folded. */
  private dpc: { steps: (MessageStep | NoteStep)[]; routine: string; time: number } | null = null;

  constructor(events: readonly TraceEvent[], private readonly verbose: boolean) {
    this.names = TraceNames.from(events);
    this.participants.set(IO, { id: IO, label: "I/O manager", kind: "io" });
    this.participants.set(MM, { id: MM, label: "Memory manager", kind: "mm" });
    this.participants.set(KE, { id: KE, label: "Kernel", kind: "kernel" });
    this.participants.set(FX, { id: FX, label: "KMDF", kind: "framework" });
  }

  /** A driver routine's participant: the framework's own routines are drawn on the KMDF column. */
  private routineOwner(driver: string, routine: string): string {
    return FRAMEWORK_ROUTINES.has(routine) ? FX : this.driver(driver);
  }

  /** Requests whose completion the framework is doing on a thread (WdfRequestState "completed" just seen). */
  private readonly fxCompleting = new Map<number, string>();

  private app(pid: number): string {
    const id = `app${pid}`;
    if (!this.participants.has(id)) this.participants.set(id, { id, label: this.names.process(pid), kind: "app" });
    return id;
  }

  private driver(name: string): string {
    const known = this.driverIds.get(name);
    if (known) return known;
    let id = `drv_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
    while (this.participants.has(id)) id += "_";
    this.driverIds.set(name, id);
    this.participants.set(id, { id, label: `${name}.sys`, kind: "driver" });
    return id;
  }

  private stack(tid: number): Frame[] {
    let s = this.stacks.get(tid);
    if (!s) this.stacks.set(tid, (s = []));
    return s;
  }

  /** Who is running on `tid` now: the innermost callee, else the thread's own side (its app, its driver, the kernel). */
  private actor(tid: number): string {
    const top = this.stack(tid).at(-1);
    if (top) return top.callee;
    const t = this.names.threadInfo(tid);
    if (!t.system) return this.app(t.process);
    return KE;
  }

  /** Who made a call the event names the driver of (its DriverEntry, say), else whoever runs now. */
  private caller(e: TraceEvent & { readonly driver: string | null }): string {
    return e.driver ? this.driver(e.driver) : this.actor(e.tid);
  }

  /** The caller of a routine the I/O manager invokes: a driver calling another driver, else the I/O manager. */
  private ioCaller(tid: number): string {
    const a = this.actor(tid);
    const kind = this.participants.get(a)?.kind;
    return kind === "driver" || kind === "framework" ? a : IO;
  }

  private add(step: MessageStep | NoteStep): void {
    if (step.kind === "message") {
      this.used.add(step.from);
      this.used.add(step.to);
    } else {
      for (const p of step.over) this.used.add(p);
    }
    if (this.dpc) this.dpc.steps.push(step);
    else {
      this.release();
      this.steps.push(step);
    }
  }

  /** Hands on the held group: a single run is drawn as plain steps. */
  private release(): void {
    const g = this.held;
    if (!g) return;
    this.held = null;
    if (g.count === 1) for (const x of g.steps) this.steps.push(x);
    else this.steps.push(g);
  }

  /** The steps finished since the last call, in order. */
  take(): SequenceStep[] {
    const out = this.steps;
    this.steps = [];
    return out;
  }

  private msg(e: TraceEvent, from: string, to: string, text: string, o: { arrow?: MessageStep["arrow"]; activate?: boolean; deactivate?: boolean; tone?: Tone; detail?: string } = {}): void {
    this.add({ kind: "message", from, to, text, arrow: o.arrow ?? "call", activate: o.activate ?? false, deactivate: o.deactivate ?? false, time: e.time, seq: e.seq, tone: o.tone ?? "plain", ...(o.detail ? { detail: o.detail } : {}) });
  }

  private note(e: TraceEvent, over: readonly string[], text: string, tone: Tone = "plain"): void {
    this.add({ kind: "note", over, text, time: e.time, seq: e.seq, tone });
  }

  /** Pushes a call frame and draws the call arrow that activates the callee. */
  private call(e: TraceEvent, kind: Frame["kind"], key: string, caller: string, callee: string, text: string, detail?: string): void {
    this.stack(e.tid).push({ kind, callee, caller, key });
    this.msg(e, caller, callee, text, { activate: true, ...(detail ? { detail } : {}) });
  }

  /** Pops the frame `kind`/`key` (and anything left above it) and draws the return arrow. */
  private ret(e: TraceEvent, kind: Frame["kind"], key: string, text: string, tone: Tone = "plain"): void {
    const s = this.stack(e.tid);
    let i = s.length - 1;
    while (i >= 0 && !(s[i]?.kind === kind && s[i]?.key === key)) i--;
    if (i < 0) return; // Its start was never seen (a trace recorded mid-call): nothing to close.
    // Frames above it never returned (an exception unwound them): close their activations first.
    while (s.length > i + 1) {
      const f = s.pop() as Frame;
      if (f.kind !== "complete") this.msg(e, f.callee, f.caller, "(unwound)", { arrow: "return", deactivate: true, tone: "error" });
    }
    const f = s.pop() as Frame;
    this.msg(e, f.callee, f.caller, text, { arrow: "return", deactivate: true, tone });
  }

  private endDpc(): void {
    const d = this.dpc;
    if (!d) return;
    this.dpc = null;
    const last = this.held;
    const same = (a: readonly SequenceStep[], b: readonly SequenceStep[]) => a.length === b.length && a.every((x, i) => sameStep(x, b[i]));
    if (last && same(last.steps, d.steps)) {
      const count = last.count + 1;
      this.held = { ...last, count, lastTime: d.time, label: dpcLabel(d.routine, count, last.firstTime, d.time) };
      return;
    }
    this.release();
    this.held = { kind: "group", label: dpcLabel(d.routine, 1, d.time, d.time), count: 1, firstTime: d.time, lastTime: d.time, steps: d.steps };
  }

  event(e: TraceEvent): void {
    const s = this.stack(e.tid);
    if (s.at(-1)?.kind === "complete" && !COMPLETION_WORK.has(e.kind)) s.pop();
    switch (e.kind) {
      case "ProcessCreated":
        this.note(e, [this.app(e.process)], `${e.name} starts (pid ${e.process})`);
        break;
      case "ProcessTerminating":
        this.note(e, [this.app(e.process)], `${e.name} is terminating (${e.reason}, exit status ${hex(e.status)})`, "error");
        break;
      case "ProcessExited":
        this.note(e, [this.app(e.pid)], `${this.names.process(e.pid)} exits with ${hex(e.status)}`);
        break;
      case "ProcessZombie":
        this.note(e, [this.app(e.pid)], `stays a zombie: ${e.reason}`, "error");
        break;
      case "DriverLoaded":
        this.note(e, [this.driver(e.driver)], `DriverEntry returns ${ntStatusName(e.status)}: ${e.driver} is loaded`, toneOfStatus(e.status));
        break;
      case "DriverUnloaded":
        this.note(e, [this.driver(e.driver)], `DriverUnload: ${e.driver} is unloaded`);
        break;
      case "DeviceCreated":
        this.msg(e, this.driver(e.driver), IO, `IoCreateDevice(${e.device})`);
        break;
      case "DeviceDeleted":
        this.msg(e, this.driver(e.driver), IO, `IoDeleteDevice(${e.device})`);
        break;
      case "DeviceAttached":
        this.msg(e, this.caller(e), IO, `IoAttachDeviceToDeviceStack(${e.device}, ${e.target})`);
        break;
      case "SymbolicLinkCreated":
        this.msg(e, this.caller(e), IO, `IoCreateSymbolicLink(${e.link}, ${e.target})`);
        break;
      case "SymbolicLinkDeleted":
        this.msg(e, this.caller(e), IO, `IoDeleteSymbolicLink(${e.link})`);
        break;
      case "ApiEnter": {
        const short = nameIoctlInDetail(e.api, e.detail, this.names, "short");
        const full = nameIoctlInDetail(e.api, e.detail, this.names, "full");
        this.call(e, "api", e.api, this.actor(e.tid), apiTarget(e.api), `${e.api}(${short})`, full !== short ? `${e.api}(${full})` : undefined);
        break;
      }
      case "ApiReturn": {
        const failed = e.lastError !== 0 && e.lastError !== 997;
        this.ret(e, "api", e.api, `${e.result}${e.lastError ? ` (${e.lastErrorName || e.lastError})` : ""}`, e.lastError === 997 ? "pending" : failed ? "error" : "plain");
        break;
      }
      case "VirtualAllocated":
        this.msg(e, this.actor(e.tid), MM, `VirtualAlloc → ${hex(e.base)} +${e.size}`);
        break;
      case "VirtualFreed":
        this.msg(e, this.actor(e.tid), MM, `VirtualFree(${hex(e.base)}, ${e.size})`);
        break;
      case "IrpDispatched": {
        const code = e.ioctl ? e.ioctl >>> 0 : null;
        const decoded = code === null ? undefined : ioctlLegend(code, this.names, e.driver);
        const to = this.routineOwner(e.driver, e.routine);
        this.call(e, "dispatch", e.irp, this.ioCaller(e.tid), to, `${e.irp} ${e.major}${code !== null ? ` ${ioctlText(code, this.names, "short", e.driver)}` : ""} → ${e.routine === "FxDeviceDispatch" ? `${e.driver} (framework)` : e.routine}`, decoded);
        // A control code is decoded once, at its first request: what the name stands for.
        if (code !== null && decoded && !this.decoded.has(code)) {
          this.decoded.add(code);
          this.note(e, [IO, to], decoded);
        }
        break;
      }
      case "IrpDispatchReturned":
        this.ret(e, "dispatch", e.irp, e.statusName, toneOfStatus(e.status));
        if (e.status === 0x103) {
          const holder = this.routineOwner(e.driver, e.routine);
          this.note(e, [IO, holder], holder === FX ? `${e.irp} is pending: the framework holds it as a WDFREQUEST` : `${e.irp} is pending: the driver holds it and will complete it later`, "pending");
        }
        break;
      case "IrpMarkedPending":
        this.msg(e, this.actor(e.tid), IO, `IoMarkIrpPending(${e.irp})`, { tone: "pending" });
        break;
      case "IrpCancelRoutineSet":
        // The framework sets its own cancel routines, even inside a Wdf call the driver made.
        this.msg(e, FRAMEWORK_ROUTINES.has(e.routine) || FRAMEWORK_ROUTINES.has(e.previous) ? FX : this.actor(e.tid), IO, `IoSetCancelRoutine(${e.irp}, ${e.routine})`);
        break;
      case "IrpCompleted": {
        // The framework completing a WDFREQUEST's IRP (WdfRequestComplete) calls from its own column.
        const caller = this.fxCompleting.get(e.tid) === e.irp ? FX : this.actor(e.tid);
        this.fxCompleting.delete(e.tid);
        this.msg(e, caller, IO, `IoCompleteRequest(${e.irp}, ${e.statusName}, ${e.information} bytes)`, { tone: toneOfStatus(e.status) });
        s.push({ kind: "complete", callee: IO, caller, key: e.irp });
        break;
      }
      case "IrpCompletionRoutineStart":
        this.call(e, "completion", `${e.irp}/${e.routine}`, IO, e.driver === "I/O manager" ? IO : this.routineOwner(e.driver, e.routine), `${e.irp} completion routine ${e.routine}`);
        break;
      case "IrpCompletionRoutine":
        this.ret(e, "completion", `${e.irp}/${e.routine}`, e.resultName, e.result === 0xc0000016 ? "pending" : "plain");
        break;
      case "IrpStage2": {
        const t = this.names.threadInfo(e.tid);
        const to = t.system ? KE : this.app(t.process);
        if (e.delivered) {
          this.msg(e, IO, to, `${e.irp} done: ${e.statusName}${e.copiedBack ? `, ${e.copiedBack} bytes copied back` : ""} (I/O status written, event set)`, { arrow: "async", tone: toneOfStatus(e.status) });
        } else {
          this.note(e, [IO], `${e.irp}: ${e.statusName} on a request that did not pend; nothing is delivered`);
        }
        break;
      }
      case "IrpCancel":
        if (e.called) {
          this.call(e, "cancel", e.irp, this.ioCaller(e.tid), e.driver ? this.routineOwner(e.driver, e.routine) : IO, `IoCancelIrp(${e.irp}) → ${e.routine}`);
        } else {
          this.note(e, [IO], `IoCancelIrp(${e.irp}): no cancel routine, only marked cancelled`, "warn");
        }
        break;
      case "IrpCancelRoutineReturned":
        this.ret(e, "cancel", e.irp, `${e.routine} returns`);
        break;
      case "BufferCopied":
        this.note(e, [IO], `${e.irp}: ${e.bytes} bytes copied ${e.direction === "in" ? "from the caller's buffer into the system buffer" : "from the system buffer back to the caller"}`);
        break;
      case "MdlLocked":
        this.msg(e, this.actor(e.tid), MM, `MmProbeAndLockPages(${e.mdl}, ${e.write ? "IoWriteAccess" : "IoReadAccess"})`);
        this.note(e, [MM], `${e.mdl}: ${hex(e.va)} +${e.length} in ${e.process ? this.names.process(e.process) : "system space"} → ${frameList(e.frames)}, locked`);
        break;
      case "MdlMapped":
        if (e.mode === "KernelMode") {
          this.msg(e, this.actor(e.tid), MM, `map ${e.mdl} into system space`);
          this.note(e, [MM], `${e.mdl}: system ${hex(e.mappedVa)} → the same ${frameList(e.frames)} as ${hex(e.va)}`);
        } else {
          this.msg(e, this.actor(e.tid), MM, `map ${e.mdl} into ${this.names.process(e.process)}`);
          this.note(e, [MM], `${e.mdl}: ${this.names.process(e.process)} ${hex(e.mappedVa)} → the same ${frameList(e.frames)} as ${hex(e.va)}`);
        }
        break;
      case "MdlUnmapped":
        this.msg(e, this.actor(e.tid), MM, `unmap ${e.mdl} from ${hex(e.mappedVa)}`);
        break;
      case "MdlUnlocked":
        this.msg(e, this.actor(e.tid), MM, `MmUnlockPages(${e.mdl}): ${frameList(e.frames)}`);
        break;
      case "TimerSet":
        this.msg(e, this.actor(e.tid), KE, `KeSetTimer(${e.timer}, ${e.dueMs} ms${e.periodMs ? `, every ${e.periodMs} ms` : ""})`);
        break;
      case "TimerCancelled":
        this.msg(e, this.actor(e.tid), KE, `KeCancelTimer(${e.timer})`);
        break;
      case "DpcStart":
        this.endDpc();
        this.dpc = { steps: [], routine: e.routine, time: e.time };
        this.call(e, "dpc", e.dpc, KE, e.driver ? this.routineOwner(e.driver, e.routine) : KE, `DPC ${e.routine}`);
        break;
      case "DpcEnd":
        this.ret(e, "dpc", e.dpc, "returns");
        this.endDpc();
        break;
      case "DebugPrint":
        if (this.verbose) this.note(e, [this.actor(e.tid)], `${e.mode === "KernelMode" ? "DbgPrint" : "OutputDebugString"}: ${e.text}`);
        break;
      case "Wait":
        if (this.verbose) this.note(e, [this.actor(e.tid)], `waits on ${e.objects.join(", ")}${e.timeoutMs !== null ? ` (${e.timeoutMs} ms)` : ""}`);
        break;
      case "Note":
        this.note(e, [], e.text);
        break;
      case "Injection":
        this.note(e, [IO], `INJECTED ${e.action}: ${e.detail} (at ${e.at})`, "warn");
        break;
      case "Finding":
        this.note(e, [e.driver ? this.driver(e.driver) : IO], `FINDING ${e.rule}${e.code ? ` (${e.code})` : ""}: ${e.message}`, "error");
        break;
      case "BugCheck":
        this.note(e, [e.driver ? this.driver(e.driver) : KE], `STOP ${hex(e.code)} ${e.name}${e.source ? ` at ${e.source}` : ""}`, "error");
        break;
      case "Deadlock":
        this.note(e, [KE], `DEADLOCK: ${e.description}`, "error");
        break;
      case "Livelock":
        this.note(e, [KE], `LIVELOCK: ${e.description}`, "error");
        break;
      // ---- KMDF (wdf/): the framework between the I/O manager and its drivers ----
      case "WdfCallback":
        this.call(e, "dispatch", `wdf:${e.routine}`, FX, this.driver(e.driver), `${e.callback}: ${e.routine}${e.request ? `(${e.request}${e.irp ? ` of ${e.irp}` : ""})` : ""}`);
        break;
      case "WdfCallbackReturned":
        this.ret(e, "dispatch", `wdf:${e.routine}`, "returns");
        break;
      case "WdfRequestState": {
        const where = e.queue ? ` ${e.state === "queued" ? "in" : e.state === "delivered" ? "from" : "·"} ${e.queue}` : "";
        if (e.state === "completed") {
          const a = this.actor(e.tid);
          if (this.participants.get(a)?.kind === "driver") this.msg(e, a, FX, `WdfRequestComplete(${e.request}, ${e.status !== null ? ntStatusName(e.status) : "?"})`, { tone: e.status !== null ? toneOfStatus(e.status) : "plain" });
          else this.note(e, [FX], `${e.request}${e.irp ? ` (${e.irp})` : ""} completed by the framework${e.status !== null ? ` with ${ntStatusName(e.status)}` : ""}`, e.status !== null ? toneOfStatus(e.status) : "plain");
          if (e.irp) this.fxCompleting.set(e.tid, e.irp);
        } else if (e.state !== "created") {
          this.note(e, [FX], `${e.request}${e.irp ? ` (${e.irp})` : ""} ${e.state}${where}`, e.state === "canceled" ? "warn" : "plain");
        }
        break;
      }
      case "WdfQueueState":
        this.note(e, [FX], `${e.queue} ${e.state}`);
        break;
      case "WdfDeviceState":
        this.note(e, [FX], `${e.device}: ${e.state}`);
        break;
      case "PnpIrp":
        if (e.phase === "completed") this.note(e, [IO], `PnP manager: ${e.minor} of ${e.device} → ${e.status !== null ? ntStatusName(e.status) : "?"}`, e.status !== null ? toneOfStatus(e.status) : "plain");
        break;
      case "PnpDevice":
        this.note(e, [IO], `PnP manager: ${e.device} ${e.state}`);
        break;
      case "PowerIrp":
        if (e.phase === "completed") this.note(e, [IO], `power manager: ${e.minor} ${e.state} of ${e.device} → ${e.status !== null ? ntStatusName(e.status) : "?"}`, e.status !== null ? toneOfStatus(e.status) : "plain");
        break;
      case "DevicePowerState":
        this.note(e, [IO], `${e.device}: ${e.previous} → ${e.state}`);
        break;
      case "SystemPowerState":
        this.note(e, [IO], `system ${e.state} ${e.phase}`);
        break;
      default:
        break;
    }
  }

  /** Ends the trace: a DPC that never returned (a bug check inside it) still ends its block. */
  finish(): void {
    this.endDpc();
    this.release();
  }

  /** The participants that took part (or those of `only`), in the diagram's column order. */
  participantList(only?: ReadonlySet<string>): Participant[] {
    const order: ParticipantKind[] = ["app", "io", "framework", "driver", "mm", "kernel"];
    const keep = only ?? this.used;
    return [...this.participants.values()].filter((p) => keep.has(p.id)).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  }
}

function sameStep(a: SequenceStep, b: SequenceStep | undefined): boolean {
  if (!b || a.kind !== b.kind) return false;
  if (a.kind === "message" && b.kind === "message") return a.from === b.from && a.to === b.to && a.text === b.text && a.arrow === b.arrow && a.activate === b.activate && a.deactivate === b.deactivate;
  if (a.kind === "note" && b.kind === "note") return a.text === b.text && a.over.join() === b.over.join();
  return false;
}

function dpcLabel(routine: string, count: number, first: number, last: number): string {
  return count === 1 ? `DPC ${routine} at ${ms(first)}` : `DPC ${routine}, ${count} times from ${msRough(first)} to ${msRough(last)}`;
}

/** Builds the sequence diagram of a run from its trace events. */
export function buildSequence(events: readonly TraceEvent[], options: SequenceOptions = {}): SequenceDiagram {
  const b = new Builder(events, options.verbose ?? false);
  const steps: SequenceStep[] = [];
  for (const e of events) {
    b.event(e);
    for (const s of b.take()) steps.push(s);
  }
  b.finish();
  for (const s of b.take()) steps.push(s);
  return { participants: b.participantList(), steps };
}

/** The steps of a diagram as they are made, and its participants once the steps drawn are known. */
export interface SequenceSource {
  readonly steps: Iterable<SequenceStep>;
  /** The participants among `used` (ids), in column order: call after taking the steps to draw. */
  participantsFor(used: ReadonlySet<string>): readonly Participant[];
}

/**
 * The diagram's steps in one pass, made as they are consumed: for a drawing that stops after a
 * number of steps (the HTML report's, on a long run), so only that beginning of the run is read.
 */
export function sequenceSource(events: readonly TraceEvent[], options: SequenceOptions = {}): SequenceSource {
  const b = new Builder(events, options.verbose ?? false);
  function* steps(): Generator<SequenceStep> {
    for (const e of events) {
      b.event(e);
      yield* b.take();
    }
    b.finish();
    yield* b.take();
  }
  return { steps: steps(), participantsFor: (used) => b.participantList(used) };
}

/**
 * The diagram of a long run without holding its steps: the participants (one pass over the
 * events), and the steps as a sequence made as it is consumed (a second pass).
 */
export function streamSequence(events: readonly TraceEvent[], options: SequenceOptions = {}): { participants: readonly Participant[]; steps: Iterable<SequenceStep> } {
  const verbose = options.verbose ?? false;
  const first = new Builder(events, verbose);
  for (const e of events) {
    first.event(e);
    first.take();
  }
  first.finish();
  function* steps(): Generator<SequenceStep> {
    const b = new Builder(events, verbose);
    for (const e of events) {
      b.event(e);
      yield* b.take();
    }
    b.finish();
    yield* b.take();
  }
  return { participants: first.participantList(), steps: steps() };
}
