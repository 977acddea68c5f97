/**
 * The text timeline: one line per step — virtual time, thread, the address space it ran in,
 * and what happened, indented by call depth — then a summary of IRPs, MDLs, locked pages and
 * bytes copied. A call whose return follows with nothing shown in between prints on one line
 * with its result ("GetOverlappedResult(handle 4) → TRUE"); otherwise the result gets its own line
 * at the call's depth.
 */
import { ntStatusName } from "../kernel/status.js";
import type { TraceEvent } from "../kernel/trace.js";
import { frameList as frames, hex, msFixed, msRough } from "./format.js";
import { ioctlFields, ioctlLegend, ioctlText, nameIoctlInDetail } from "./ioctl.js";
import { TraceNames } from "./names.js";
import "../ce6/trace-events.js";

/** Options for the text timeline. */
export interface TextOptions {
  /** Printed above the timeline. */
  readonly title?: string;
  /** Include low-level events (waits, timers firing, APCs, pool). */
  readonly verbose?: boolean;
  /** ANSI colours (for a terminal that wants them: see the command line's colour rule). */
  readonly color?: boolean;
  /**
   * The narrow layout, for a terminal this many columns wide: time and a short thread name (each
   * blank while unchanged), steps wrapped to fit, control codes by name alone. Unset: the wide
   * layout, with the address-space column and every code decoded.
   */
  readonly width?: number;
  /** Fold runs of alike periodic DPC work into one line per kind of line ("× 15, 10–150 ms"). */
  readonly fold?: boolean;
  /** End with the summary (IRPs, MDLs, bytes copied, findings, control codes); default true. */
  readonly summary?: boolean;
  /** Stop after this many steps, saying how many trace events are left (the summary still counts them all). */
  readonly maxLines?: number;
}

/** The summary counters a timeline ends with. */
export interface TimelineSummary {
  /** IRPs allocated. */
  irpsAllocated: number;
  /** IRPs completed. */
  irpsCompleted: number;
  /** IRPs completed with STATUS_CANCELLED. */
  irpsCancelled: number;
  /** IRPs freed. */
  irpsFreed: number;
  /** MDLs locked (MmProbeAndLockPages). */
  mdlsLocked: number;
  /** MDLs mapped. */
  mdlsMapped: number;
  /** MDLs unlocked. */
  mdlsUnlocked: number;
  /** Pages locked, all MDLs together. */
  pagesLocked: number;
  /** Pages unlocked. */
  pagesUnlocked: number;
  /** Bytes the I/O manager copied from callers into system buffers. */
  bytesCopiedIn: number;
  /** Bytes it copied from system buffers back to callers. */
  bytesCopiedOut: number;
  /** Findings. */
  findings: number;
  /** Bug checks. */
  bugChecks: number;
  /** CE: calls into stream-driver entry points. */
  ceDriverCalls: number;
  /** CE: VirtualCopy mappings made, and the pages they mapped. */
  ceMappings: number;
  /** CE: pages mapped into another process (VirtualCopyEx and the like). */
  ceMappedPages: number;
}

/** Counts what the summary reports. */
export function summarize(events: readonly TraceEvent[]): TimelineSummary {
  const s: TimelineSummary = { irpsAllocated: 0, irpsCompleted: 0, irpsCancelled: 0, irpsFreed: 0, mdlsLocked: 0, mdlsMapped: 0, mdlsUnlocked: 0, pagesLocked: 0, pagesUnlocked: 0, bytesCopiedIn: 0, bytesCopiedOut: 0, findings: 0, bugChecks: 0, ceDriverCalls: 0, ceMappings: 0, ceMappedPages: 0 };
  for (const e of events) {
    switch (e.kind) {
      case "IrpAllocated":
        s.irpsAllocated++;
        break;
      case "IrpCompleted":
        s.irpsCompleted++;
        if (e.status === 0xc0000120) s.irpsCancelled++;
        break;
      case "IrpFreed":
        s.irpsFreed++;
        break;
      case "MdlLocked":
        s.mdlsLocked++;
        s.pagesLocked += e.frames.length;
        break;
      case "MdlMapped":
        s.mdlsMapped++;
        break;
      case "MdlUnlocked":
        s.mdlsUnlocked++;
        s.pagesUnlocked += e.frames.length;
        break;
      case "BufferCopied":
        if (e.direction === "in") s.bytesCopiedIn += e.bytes;
        else s.bytesCopiedOut += e.bytes;
        break;
      case "Finding":
        s.findings++;
        break;
      case "BugCheck":
        s.bugChecks++;
        break;
      case "CeBufferCopied":
        if (e.direction === "in") s.bytesCopiedIn += e.bytes;
        else s.bytesCopiedOut += e.bytes;
        break;
      case "CeDriverCall":
        s.ceDriverCalls++;
        break;
      case "CeVirtualCopy":
        s.ceMappings++;
        s.ceMappedPages += e.pages;
        break;
      default:
        break;
    }
  }
  return s;
}

/** How a result reads: an error, a pending request, or plain. */
type Outcome = "ok" | "pending" | "error";

function statusOutcome(status: number): Outcome {
  if (status === 0x103) return "pending";
  return status >>> 30 === 3 ? "error" : "ok";
}

/**
 * What one event says on the timeline (null: not shown), and how it moves the call depth. A
 * return (`result`) prints `text` on a line of its own, or `result` appended to its call's line.
 */
interface Described {
  readonly text: string;
  readonly before?: number;
  readonly after?: number;
  readonly result?: string;
  readonly outcome?: Outcome;
}

function describe(e: TraceEvent, names: TraceNames, o: DescribeOptions): Described | null {
  const verbose = o.verbose;
  switch (e.kind) {
    case "ProcessCreated":
      return { text: `process ${e.name} starts (pid ${e.process})` };
    case "ProcessTerminating":
      return { text: `process ${e.name} is terminating (${e.reason}, exit status ${hex(e.status)})` };
    case "ProcessExited":
      return { text: `process exits with ${hex(e.status)}` };
    case "ProcessZombie":
      return { text: `process stays a zombie: ${e.reason}` };
    case "ThreadCreated":
      return verbose ? { text: `thread ${e.name} created (tid ${e.thread})` } : null;
    case "ThreadExited":
      return verbose ? { text: `thread exits with ${hex(e.status)}` } : null;
    case "ThreadTerminationRequested":
      return { text: `termination requested for ${names.thread(e.target)}${e.deferred ? " (deferred: it is in kernel mode)" : ""}` };
    case "DriverLoaded":
      return { text: `driver ${e.driver} loaded (${ntStatusName(e.status)})` };
    case "DriverUnloaded":
      return { text: `driver ${e.driver} unloaded` };
    case "DeviceCreated":
      return { text: `IoCreateDevice ${e.device}` };
    case "DeviceDeleted":
      return { text: `IoDeleteDevice ${e.device}` };
    case "SymbolicLinkCreated":
      return { text: `IoCreateSymbolicLink ${e.link} → ${e.target}` };
    case "SymbolicLinkDeleted":
      return { text: `IoDeleteSymbolicLink ${e.link}` };
    case "DeviceAttached":
      return { text: `IoAttachDeviceToDeviceStack ${e.device} onto ${e.target}` };
    case "FileOpened":
      return { text: `${e.file} opened on ${e.device} as handle ${e.handle}${e.synchronous ? "" : " (overlapped)"}` };
    case "ApiEnter":
      return { text: `${e.api}(${nameIoctlInDetail(e.api, e.detail, names, o.ioctl)})`, after: 1 };
    case "ApiReturn": {
      const result = `→ ${e.result}${e.lastError ? ` (${e.lastErrorName || e.lastError})` : ""}`;
      return { text: result, result, before: -1, outcome: e.lastError === 997 ? "pending" : e.lastError ? "error" : "ok" };
    }
    case "IrpDispatched":
      return { text: `${e.irp} ${e.major}${e.ioctl ? ` ${ioctlText(e.ioctl, names, "short", e.driver)}` : ""} → ${e.driver}!${e.routine}`, after: 1 };
    case "IrpDispatchReturned":
      return { text: `${e.routine} returns ${e.statusName}`, result: `returns ${e.statusName}`, before: -1, outcome: statusOutcome(e.status) };
    case "IrpMarkedPending":
      return { text: `IoMarkIrpPending(${e.irp})` };
    case "IrpCancelRoutineSet":
      return { text: `IoSetCancelRoutine(${e.irp}, ${e.routine})` };
    case "IrpCompleted":
      return { text: `IoCompleteRequest(${e.irp}, ${e.statusName}, ${e.information} bytes)`, outcome: statusOutcome(e.status) };
    case "IrpCompletionRoutineStart":
      return { text: `${e.irp} completion routine ${e.driver}!${e.routine}`, after: 1 };
    case "IrpCompletionRoutine":
      return { text: `completion routine ${e.routine} of ${e.irp} returns ${e.resultName}`, result: `returns ${e.resultName}`, before: -1, outcome: e.result === 0xc0000016 ? "pending" : "ok" };
    case "IrpStage2":
      return {
        text: e.delivered
          ? `${e.irp} completion delivered in this thread: IO_STATUS_BLOCK written, event set${e.copiedBack ? `, ${e.copiedBack} bytes copied back` : ""}`
          : `${e.irp} completion not delivered (${e.statusName} on a request that did not pend)`,
      };
    case "IrpQueuedToFile":
      return { text: `${e.irp} queued to ${e.file}, not to the thread (thread-agnostic: the file is bound to a completion port)` };
    case "CompletionPortCreated":
      return { text: `${e.port} created as handle ${e.handle} (concurrency ${e.concurrency})` };
    case "CompletionPortClosed":
      return { text: `${e.port} closed: waiting threads released${e.packetsFreed ? `, ${e.packetsFreed} packet(s) freed unread` : ""}` };
    case "CompletionPacketQueued":
      return { text: `completion packet${e.irp ? ` for ${e.irp}` : ""} ${e.dropped ? "dropped (the port is closed)" : `queued to ${e.port}`}: key 0x${e.key.toString(16)}, OVERLAPPED ${hex(e.apcContext)}, ${e.statusName}, ${e.information} bytes` };
    case "CompletionPacketRemoved":
      return { text: `completion packet${e.irp ? ` for ${e.irp}` : ""} removed from ${e.port}: ${e.statusName}, ${e.information} bytes` };
    case "ApcRundown":
      return verbose ? { text: `APC run down (its thread exited first): ${e.routine}` } : null;
    case "IrpCancel":
      return e.called ? { text: `${e.by ?? "IoCancelIrp"}(${e.irp}) calls ${e.driver ? `${e.driver}!` : ""}${e.routine}`, after: 1 } : { text: `IoCancelIrp(${e.irp}): no cancel routine, only marked cancelled` };
    case "IrpCancelRoutineReturned":
      return { text: `${e.routine} returns`, result: "(returns)", before: -1 };
    case "StartIoPacket":
      return {
        text: e.queued
          ? `IoStartPacket(${e.irp}${e.cancelRoutine ? `, ${e.cancelRoutine}` : ""}): ${e.device} is busy, queued${e.key !== null ? ` by key ${e.key}` : ""}${e.cancelled ? "; it is already cancelled, so its cancel routine is called" : ""}`
          : `IoStartPacket(${e.irp}${e.cancelRoutine ? `, ${e.cancelRoutine}` : ""}): ${e.device} is idle, it starts now`,
      };
    case "StartIoNextPacket":
      return { text: e.next ? `IoStartNextPacket(${e.device}${e.key !== null ? `, key ${e.key}` : ""}): next is ${e.next}` : `IoStartNextPacket(${e.device}): the queue is empty, the device goes idle` };
    case "StartIoStart":
      return { text: `${e.irp} → ${e.driver}!${e.routine} (StartIo)`, after: 1 };
    case "StartIoReturned":
      return { text: `${e.routine} returns`, result: "(returns)", before: -1 };
    case "IrpAllocated":
    case "IrpFreed":
      return verbose ? { text: `${e.kind === "IrpAllocated" ? "IoAllocateIrp" : "IoFreeIrp"} ${e.irp}` } : null;
    case "BufferCopied":
      return { text: `copies ${e.bytes} bytes ${e.direction === "in" ? "from the caller's buffer into the system buffer" : "from the system buffer back to the caller"} (${hex(e.from)} → ${hex(e.to)})` };
    case "SectionCreated":
      return { text: `section ${e.section} created: ${e.size} bytes (${frames(e.frames)})` };
    case "SectionViewMapped":
      return { text: `view of ${e.section} mapped ${e.process === 0 ? "into system space" : `into ${names.process(e.process)}`} at ${hex(e.base)} +${e.size} (${frames(e.frames)})` };
    case "SectionViewUnmapped":
      return { text: `view of ${e.section} unmapped from ${hex(e.base)}${e.process === 0 ? " (system space)" : ` in ${names.process(e.process)}`}` };
    case "SectionDeleted":
      return verbose ? { text: `section ${e.section} deleted: its pages are freed` } : null;
    case "MdlLocked":
      // MmAllocatePagesForMdl's MDL describes no virtual range: its pages are the driver's own.
      if (e.va === 0 && e.process === 0) return { text: `MmAllocatePagesForMdl ${e.mdl}: ${e.length} bytes (${frames(e.frames)})` };
      return { text: `MmProbeAndLockPages ${e.mdl}: ${hex(e.va)} +${e.length} locked for ${e.write ? "write" : "read"} (${frames(e.frames)}) in ${names.process(e.process)}` };
    case "MdlMapped":
      return {
        text: e.mode === "KernelMode"
          ? `${e.mdl} mapped into system space at ${hex(e.mappedVa)}: the same ${frames(e.frames)} as user ${hex(e.va)}`
          : `${e.mdl} mapped into ${names.process(e.process)} at ${hex(e.mappedVa)} (${frames(e.frames)})`,
      };
    case "MdlUnmapped":
      return { text: `${e.mdl} unmapped from ${hex(e.mappedVa)}` };
    case "MdlUnlocked":
      return { text: `MmUnlockPages ${e.mdl}: ${frames(e.frames)} unlocked` };
    case "MdlAllocated":
    case "MdlFreed":
      return verbose ? { text: `${e.kind === "MdlAllocated" ? "IoAllocateMdl" : "IoFreeMdl"} ${e.mdl}` } : null;
    case "TimerSet":
      return { text: `KeSetTimer(${e.timer}, due in ${e.dueMs} ms${e.periodMs ? `, every ${e.periodMs} ms` : ""})` };
    case "TimerCancelled":
      return { text: `KeCancelTimer(${e.timer})` };
    case "TimerFired":
      return verbose ? { text: `${e.timer} fires` } : null;
    case "DpcStart":
      return { text: `DPC ${e.driver ? `${e.driver}!` : ""}${e.routine} runs in ${names.process(e.pid)}'s context`, after: 1 };
    case "DpcEnd":
      return { text: "", before: -1 };
    case "DebugPrint":
      // The message's own final newline ends the debugger's line; it is not an empty line of its own.
      return { text: `${e.mode === "KernelMode" ? "DbgPrint" : "OutputDebugString"}: ${e.text.replace(/\r?\n$/, "")}` };
    case "BugCheck":
      return { text: `*** STOP ${hex(e.code)} ${e.name} (${e.parameters.map(hex).join(", ")})${e.source ? ` at ${e.source}` : ""}` };
    case "Deadlock":
      return { text: `DEADLOCK: ${e.description}` };
    case "Livelock":
      return { text: `LIVELOCK: ${e.description}` };
    case "Finding":
      return { text: `FINDING ${e.rule}${e.code ? ` (${e.code})` : ""}: ${e.message}` };
    case "Note":
      return { text: `— ${e.text}` };
    case "Injection":
      return { text: `INJECTED ${e.action}: ${e.detail} (at ${e.at})` };
    case "VirtualAllocated":
      return { text: `VirtualAlloc → ${hex(e.base)} +${e.size}` };
    case "CeMachineStarted":
      return { text: `Windows CE ${e.version} machine: ${e.kernelName} is the kernel; ${e.staticBytes / 1048576} MB of RAM statically mapped at 0x80000000 (cached) and 0xA0000000 (uncached), kernel mode only` };
    case "CeDeviceActivated":
      return {
        text: e.error
          ? `device manager: ${e.key} not loaded (${e.errorName || e.error})`
          : `device manager: ${e.device} loaded from ${e.dll} ${e.userMode ? "in udevice.exe (user mode, behind the reflector)" : "in nk.exe (kernel mode)"}`,
      };
    case "CeDeviceDeactivated":
      return { text: `device manager: ${e.device} deactivated` };
    case "CeDriverCall":
      return {
        text: e.userMode
          ? `${e.entry}(${e.detail}) runs in udevice.exe, user mode; the caller's buffers are copied there`
          : `${e.entry}(${e.detail}) runs in nk.exe with ${names.process(e.vm)}'s address space active`,
        after: 1,
      };
    case "CeDriverReturn":
      return { text: `${e.entry} returns ${e.result}${e.lastError ? ` (${e.lastErrorName || e.lastError})` : ""}`, before: -1 };
    case "CeVirtualCopy":
      return {
        text: `VirtualCopy maps ${e.pages} page(s) at ${hex(e.dst)} in ${names.process(e.dstProcess)} to ${
          e.source === "physical" ? `physical ${hex(e.firstFrame * 4096)}` : e.source === "static" ? `the kernel's static ${hex(e.src)} (physical ${hex(e.firstFrame * 4096)})` : `${names.process(e.srcProcess)}'s ${hex(e.src)}`
        }: no byte copied`,
      };
    case "CeBufferMarshalled":
      return {
        text: `${e.api}: ${hex(e.src)} (${e.bytes} bytes) ${e.how === "refused" ? "refused: the caller may not pass it" : e.how === "direct" ? "used in place" : e.how === "alias" ? `aliased at ${hex(e.dst)}` : `duplicated at ${hex(e.dst)}`}`,
      };
    case "CeBufferCopied":
      return { text: `copies ${e.bytes} bytes ${e.direction === "in" ? "in" : "back"} (${hex(e.from)} → ${hex(e.to)}, ${e.reason})` };
    case "CeReflector":
      return { text: `reflector ${e.allowed ? "maps" : "refuses"} ${e.request} of physical ${hex(e.physical)} +${e.size} for ${e.device} (${e.reason})` };
    case "CeKernelLibraryLoaded":
      return { text: `${e.library} loaded into the kernel at ${hex(e.module)}` };
    case "Wait":
      return verbose ? { text: `waits on ${e.objects.join(", ")}${e.timeoutMs !== null ? ` (${e.timeoutMs} ms)` : ""}` } : null;
    case "WaitSatisfied":
      return verbose ? { text: `wait ends: ${e.statusName}` } : null;
    case "IoctlNamed":
      return verbose ? { text: `${e.name} names control code ${hex(e.code)} (${ioctlFields(e.code)})${e.driver ? ` of ${e.driver}` : ""}` } : null;
    case "ApcQueued":
    case "ApcDelivered":
      return verbose ? { text: `${e.kind === "ApcQueued" ? "APC queued" : "APC runs"}: ${e.routine}` } : null;
    // ---- KMDF (wdf/) and the PnP manager ----
    case "WdfObjectCreated":
      return e.type === "WDFREQUEST" && !verbose ? null : { text: `KMDF: ${e.object} created${e.parent ? ` (child of ${e.parent})` : ""}` };
    case "WdfObjectDeleted":
      return verbose ? { text: `KMDF: ${e.object} ${e.destroyed ? "destroyed" : "deleted (cleanup ran)"}` } : null;
    case "WdfCallback":
      return { text: `KMDF → ${e.driver}!${e.routine} (${e.callback}${e.request ? `, ${e.request}` : ""}${e.irp ? ` of ${e.irp}` : ""})`, after: 1 };
    case "WdfCallbackReturned":
      return { text: `${e.routine} returns`, result: "(returns)", before: -1 };
    case "WdfRequestState":
      return { text: `KMDF: ${e.request}${e.irp ? ` (${e.irp})` : ""} ${wdfStateText(e.state, e.queue)}${e.status !== null ? ` with ${ntStatusName(e.status)}` : ""}`, outcome: e.status !== null ? statusOutcome(e.status) : "ok" };
    case "WdfQueueState":
      return { text: `KMDF: ${e.queue} ${e.state}` };
    case "WdfDeviceState":
      return { text: `KMDF: ${e.device} ${e.state}` };
    case "PnpIrp":
      return { text: e.phase === "sent" ? `PnP manager: IRP_MJ_PNP ${e.minor} → ${e.device}` : `PnP manager: ${e.minor} of ${e.device} → ${e.status !== null ? ntStatusName(e.status) : "?"}` };
    case "PnpDevice":
      return { text: `PnP manager: ${e.device} ${e.state}` };
    case "ErrorLogged":
      return { text: `event log: ${e.driver}${e.device ? ` (${e.device})` : ""} logged 0x${(e.errorCode >>> 0).toString(16).padStart(8, "0")}, final status ${ntStatusName(e.finalStatus)}${e.strings.length ? `: ${e.strings.join(", ")}` : ""}` };

    case "PowerIrp":
      return { text: e.phase === "sent" ? `power manager: IRP_MJ_POWER ${e.minor} ${e.state} → ${e.device}` : `power manager: ${e.minor} ${e.state} of ${e.device} → ${e.status !== null ? ntStatusName(e.status) : "?"}` };
    case "DevicePowerState":
      return { text: `power manager: ${e.device} ${e.previous} → ${e.state}` };
    case "SystemPowerState":
      return { text: `power manager: system ${e.state} ${e.phase}` };
    default:
      return null;
  }
}

/** A request's new state in words, with the queue it concerns. */
function wdfStateText(state: string, queue: string | null): string {
  if (!queue) return state;
  switch (state) {
    case "queued":
      return `queued in ${queue}`;
    case "delivered":
      return `delivered to the driver by ${queue}`;
    case "forwarded":
    case "requeued":
      return `${state} to ${queue}`;
    default:
      return `${state} (${queue})`;
  }
}

const ansi = { dim: "\u001b[2m", red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", cyan: "\u001b[36m", bold: "\u001b[1m", reset: "\u001b[0m" };

function paint(code: string, text: string): string {
  return `${code}${text}${ansi.reset}`;
}

function colorize(e: TraceEvent, text: string, outcome: Outcome | undefined): string {
  if (e.kind === "BugCheck" || e.kind === "Deadlock" || e.kind === "Livelock") return paint(ansi.bold + ansi.red, text);
  if (e.kind === "Finding" || e.kind === "Injection" || e.kind === "ProcessTerminating") return paint(ansi.yellow, text);
  if (e.kind === "DebugPrint" || e.kind === "Note") return paint(ansi.dim, text);
  if (outcome === "error") return paint(ansi.red, text);
  if (outcome === "pending") return paint(ansi.yellow, text);
  if (e.kind === "ApiEnter") return paint(ansi.cyan, text);
  return text;
}

const outcomeColor: Record<Outcome, string> = { ok: ansi.green, pending: ansi.yellow, error: ansi.red };

/** A timeline line before it is printed: a call's line can still take its result. */
interface Line {
  readonly e: TraceEvent;
  readonly level: number;
  readonly text: string;
  /** How the line's own text reads (a return printed on its own line, a completion status). */
  readonly outcome: Outcome | undefined;
  /** The event opened a call (depth +1) and nothing has been printed inside it yet. */
  open: boolean;
  /** The call's result, when it returned with nothing printed in between. */
  result?: { readonly text: string; readonly outcome: Outcome | undefined };
  /** Set on a line that stands for several alike lines (see {@link foldRepeats}). */
  fold?: { readonly count: number; readonly lastTime: number };
}

/** The lines of a timeline, each call joined with its result when nothing came between. */
function* timelineLines(events: readonly TraceEvent[], o: DescribeOptions): Generator<Line> {
  const names = new TraceNames();
  const depth = new Map<number, number>();
  // The last line made, not yet handed on: a call's line can still take its result.
  let last: Line | null = null;
  for (const e of events) {
    names.learn(e);
    const d = describe(e, names, o);
    if (!d) continue;
    let level = (depth.get(e.tid) ?? 0) + (d.before ?? 0);
    if (level < 0) level = 0;
    depth.set(e.tid, level + (d.after ?? 0));
    if (d.text === "") {
      // A silent end (a DPC's) still closes its call: a later result must not join that line.
      if (last) last.open = false;
      continue;
    }
    if (d.result !== undefined && last?.open === true && last.e.tid === e.tid && last.level === level) {
      // Nothing happened inside the call: its result goes on the same line.
      last.result = { text: d.result, outcome: d.outcome };
      last.open = false;
      continue;
    }
    if (last) yield last;
    last = { e, level, text: d.text, outcome: d.outcome, open: (d.after ?? 0) > 0 };
  }
  if (last) yield last;
}

/** DPC runs alike enough to fold only when at least this many come in a row. */
const FOLD_MIN_RUNS = 3;
/** Numbers in a line (decimal, or hex with 0x): what may differ between lines that fold together. */
const NUMBER = /0x[0-9A-Fa-f]+|\d+/g;

/** A line's shape: its thread, depth and text with every number blanked. */
function shapeOf(l: Line): string {
  return `${l.e.tid}|${l.level}|${l.text.replace(NUMBER, "#")}|${l.result ? l.result.text.replace(NUMBER, "#") : ""}`;
}

/** Lines that may sit between two DPC runs without ending the fold (narration, prints, polls). */
function foldsBetweenRuns(l: Line): boolean {
  const k = l.e.kind;
  return k === "DebugPrint" || k === "Note" || k === "TimerFired" || k === "Wait" || k === "WaitSatisfied" || (k === "ApiEnter" && !l.open && l.result !== undefined);
}

/** `first`'s text with each number that differs in `last` written "first…last". */
function mergeNumbers(first: string, last: string): string {
  const a = [...first.matchAll(NUMBER)];
  const b = [...last.matchAll(NUMBER)].map((m) => m[0]);
  let out = "";
  let at = 0;
  a.forEach((m, i) => {
    const index = m.index;
    out += first.slice(at, index);
    const other = b[i];
    out += other !== undefined && other !== m[0] ? `${m[0]}…${other}` : m[0];
    at = index + m[0].length;
  });
  return out + first.slice(at);
}

/** One shape's lines inside a fold. */
interface Tally {
  first: Line;
  last: Line;
  count: number;
}

/**
 * Folds repeated periodic work: three or more runs of one DPC routine that do alike things (the
 * same lines but for their numbers), with the prints and polls other threads make between them,
 * become one line per kind of line, with a count and the time span ("× 15, 10–150 ms"). Anything
 * else between two runs ends the fold, so the story's order is kept.
 */
function* foldRepeats(lines: Iterable<Line>): Generator<Line> {
  let held: Line[] = [];
  let runs = 0;
  let key = "";
  let dpc: Line | null = null;
  let tallies: Map<string, Tally> | null = null;
  const add = (l: Line) => {
    if (tallies) {
      const shape = shapeOf(l);
      const t = tallies.get(shape);
      if (t) {
        t.last = l;
        t.count++;
      } else tallies.set(shape, { first: l, last: l, count: 1 });
    } else held.push(l);
  };
  function* flush(): Generator<Line> {
    if (tallies) {
      for (const t of tallies.values()) {
        if (t.count === 1) yield t.first;
        else {
          const text = mergeNumbers(t.first.text, t.last.text);
          const result = t.first.result ? { text: mergeNumbers(t.first.result.text, t.last.result?.text ?? t.first.result.text), outcome: t.first.result.outcome } : undefined;
          yield { ...t.first, text, ...(result ? { result } : {}), fold: { count: t.count, lastTime: t.last.e.time } };
        }
      }
    } else yield* held;
    held = [];
    tallies = null;
    runs = 0;
    key = "";
    dpc = null;
  }
  const startFolding = () => {
    tallies = new Map();
    const before = held;
    held = [];
    for (const l of before) add(l);
  };
  for (const l of lines) {
    if (l.e.kind === "DpcStart") {
      const k = shapeOf(l);
      if (runs > 0 && k === key) {
        runs++;
        dpc = l;
        if (runs === FOLD_MIN_RUNS) startFolding();
        add(l);
        continue;
      }
      yield* flush();
      runs = 1;
      key = k;
      dpc = l;
      add(l);
      continue;
    }
    if (runs > 0 && dpc) {
      const inRun = l.e.tid === dpc.e.tid && l.level > dpc.level;
      if (inRun || foldsBetweenRuns(l)) {
        add(l);
        continue;
      }
      yield* flush();
    }
    yield l;
  }
  yield* flush();
}

/** Options of the timeline's descriptions. */
interface DescribeOptions {
  readonly verbose: boolean;
  /** How a control code reads in a DeviceIoControl call: the name alone, or with CTL_CODE's fields. */
  readonly ioctl: "short" | "full";
}

/** Formats events as the text timeline, with its summary. */
export function formatTextTimeline(events: readonly TraceEvent[], options: TextOptions = {}): string {
  return [...textTimelineLines(events, options)].join("\n");
}

/** The widest a column's names are, between `min` and `max`. */
function columnWidth(events: readonly TraceEvent[], nameOf: (e: TraceEvent) => string, min: number, max: number): number {
  // A loop, not Math.max(...): a spread of a million arguments overflows the stack.
  let w = min;
  const seen = new Set<string>();
  for (const e of events) {
    const name = nameOf(e);
    if (seen.has(name)) continue;
    seen.add(name);
    if (name.length > w) w = name.length;
    if (w >= max) return max;
  }
  return w;
}

/**
 * A thread's name as the narrow layout shows it: "DriverEntry" for "System:DriverEntry(Sharebuf)",
 * "sharebuf.exe" for the app's main thread "sharebuf.exe:main".
 */
export function shortThreadName(name: string): string {
  const short = name.replace(/^System:/, "").replace(/\(.*\)$/, "").replace(/:main$/, "");
  return short === "" ? name : short;
}

/** "× 15, 10–150 ms": how many lines a folded line stands for, and when they ran. */
function foldSuffix(l: Line): string {
  if (!l.fold) return "";
  return `  × ${l.fold.count}, ${msRough(l.e.time).replace(/ ms$/, "")}–${msRough(l.fold.lastTime)}`;
}

/** The text of a line, without colour: depth indent, text, result, fold count. */
function plainStep(l: Line): string {
  return `${"  ".repeat(l.level)}${l.text}${l.result ? ` ${l.result.text}` : ""}${foldSuffix(l)}`;
}

/** The text of a line in colour. */
function colorStep(l: Line): string {
  const body = colorize(l.e, l.text, l.outcome);
  const result = l.result ? ` ${l.result.outcome ? paint(outcomeColor[l.result.outcome], l.result.text) : l.result.text}` : "";
  return `${"  ".repeat(l.level)}${body}${result}${l.fold ? paint(ansi.dim, foldSuffix(l)) : ""}`;
}

/**
 * `text` broken at spaces into pieces of at most `width` characters (a word longer than that is
 * cut), for a terminal of that width. Its leading spaces stay on the first piece; every other
 * piece is indented by `indent` spaces.
 */
export function wrapText(text: string, width: number, indent: number): string[] {
  if (text.length <= width) return [text];
  const lead = /^ */.exec(text)?.[0] ?? "";
  const pad = " ".repeat(indent);
  const out: string[] = [];
  let line = lead;
  let fresh = true;
  let room = width;
  for (const word of text.slice(lead.length).split(" ")) {
    let w = word;
    if (!fresh && line.length + 1 + w.length > room) {
      out.push(line);
      line = pad;
      fresh = true;
      room = width;
    }
    while (line.length + w.length > room && w.length > 0) {
      const take = Math.max(1, room - line.length);
      out.push(line + w.slice(0, take));
      w = w.slice(take);
      line = pad;
    }
    line = fresh ? line + w : `${line} ${w}`;
    fresh = false;
  }
  out.push(line);
  return out;
}

/**
 * The text timeline, with its summary, one line at a time (no newlines), produced as it is
 * consumed: a run of any length is formatted holding one pending line (and, when folding, one
 * line per kind of line in the fold).
 */
export function* textTimelineLines(events: readonly TraceEvent[], options: TextOptions = {}): Generator<string> {
  const narrow = options.width !== undefined;
  const d: DescribeOptions = { verbose: options.verbose ?? false, ioctl: narrow ? "short" : "full" };
  const all0 = options.fold ? foldRepeats(timelineLines(events, d)) : timelineLines(events, d);
  const lines = options.maxLines === undefined ? all0 : limitLines(all0, events, options.maxLines);
  if (options.title) yield* [options.title, ""];
  const all = TraceNames.from(events);
  if (options.width !== undefined) {
    yield* narrowLines(events, all, lines, options.width, options.color ?? false);
  } else {
    const threadWidth = columnWidth(events, (e) => all.thread(e.tid), 6, 32);
    const spaceWidth = columnWidth(events, (e) => all.process(e.pid), 13, 20);
    yield `${"time".padStart(11)}  ${"thread".padEnd(threadWidth)}  ${"address space".padEnd(spaceWidth)}  step`;
    for (const l of lines) {
      const time = msFixed(l.e.time).padStart(11);
      const thread = all.thread(l.e.tid).slice(0, threadWidth).padEnd(threadWidth);
      const space = all.process(l.e.pid).slice(0, spaceWidth).padEnd(spaceWidth);
      yield `${time}  ${thread}  ${space}  ${options.color ? colorStep(l) : plainStep(l)}`;
    }
  }
  if (options.summary ?? true) yield* summaryLines(events, all);
}

/** The first `max` lines, then (when there are more) a line saying how many trace events remain. */
function* limitLines(lines: Iterable<Line>, events: readonly TraceEvent[], max: number): Generator<Line> {
  let count = 0;
  for (const l of lines) {
    if (count === max) {
      // The events from this line's on are left out: found by its seq (events are in seq order).
      let lo = 0;
      let hi = events.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((events[mid]?.seq ?? Infinity) < l.e.seq) lo = mid + 1;
        else hi = mid;
      }
      yield { e: l.e, level: 0, text: `… the timeline stops here, after ${max} steps: ${events.length - lo} more trace events follow (irpsim run --full, or --format text --out file, prints them all)`, outcome: undefined, open: false };
      return;
    }
    yield l;
    count++;
  }
}

/** The steps a short account of a run keeps: what the app called, and where requests went and ended. */
function isKeyStep(l: Line, pended: ReadonlySet<string>): boolean {
  const e = l.e;
  switch (e.kind) {
    case "ApiEnter":
      return l.level === 0;
    case "IrpDispatched":
    case "IrpCancel":
    case "MdlUnlocked":
    case "ProcessTerminating":
    case "ProcessExited":
    case "ProcessZombie":
    case "Injection":
    case "Finding":
    case "BugCheck":
    case "Deadlock":
      return true;
    case "IrpCompleted":
      return pended.has(e.irp) || e.status !== 0;
    default:
      return false;
  }
}

/** How a line compares with another run's: thread, depth and text, not time (narration and folds left out). */
function comparable(l: Line, all: TraceNames): string | null {
  if (l.fold || l.e.kind === "Note" || l.e.kind === "DebugPrint") return null;
  return `${shortThreadName(all.thread(l.e.tid))}|${l.level}|${l.text}|${l.result?.text ?? ""}`;
}

/** Options of {@link textDifferenceLines}. */
export interface DifferenceOptions {
  /** The terminal's width (as {@link TextOptions.width}). */
  readonly width: number;
  readonly color?: boolean;
  /** The most steps to show (default 8). */
  readonly maxSteps?: number;
}

/**
 * A short account of how a run differs from another: from the first step where the two part
 * (narration and folded repeats aside), the key steps only — the app's calls and their results,
 * dispatches, cancels, the completion of requests that pended or failed, pages unlocked, process
 * ends, findings and bug checks — narrow, at most `maxSteps` of them; with how many key steps
 * were left out, when the runs part (`from`, virtual time) and how many steps they share first.
 */
export function textDifferenceLines(events: readonly TraceEvent[], reference: readonly TraceEvent[], o: DifferenceOptions): { lines: string[]; omitted: number; from: number | null; shared: number } {
  const d: DescribeOptions = { verbose: false, ioctl: "short" };
  const all = TraceNames.from(events);
  const refAll = TraceNames.from(reference);
  const ref: string[] = [];
  for (const l of foldRepeats(timelineLines(reference, d))) {
    const c = comparable(l, refAll);
    if (c !== null) ref.push(c);
  }
  const mine = [...foldRepeats(timelineLines(events, d))];
  let at = 0;
  let start = mine.length;
  for (let i = 0; i < mine.length; i++) {
    const l = mine[i] as Line;
    const c = comparable(l, all);
    if (c === null) continue;
    if (ref[at] !== c) {
      start = i;
      break;
    }
    at++;
  }
  const pended = new Set<string>();
  for (const e of events) if (e.kind === "IrpMarkedPending") pended.add(e.irp);
  const max = o.maxSteps ?? 8;
  const key = mine.slice(start).filter((l) => isKeyStep(l, pended));
  const shown = key.slice(0, max);
  return { lines: [...narrowLines(events, all, shown, o.width, o.color ?? false, false)], omitted: key.length - shown.length, from: mine[start]?.e.time ?? null, shared: at };
}

/**
 * The narrow layout, for a terminal: time and a short thread name, each left blank while it stays
 * the same, then the step, wrapped at spaces to `width` columns.
 */
function* narrowLines(events: readonly TraceEvent[], all: TraceNames, lines: Iterable<Line>, width: number, color: boolean, header = true): Generator<string> {
  const last = events.at(-1);
  const timeWidth = Math.max(4, msFixed(last?.time ?? 0).length);
  const threadWidth = columnWidth(events, (e) => shortThreadName(all.thread(e.tid)), 6, 18);
  const textWidth = Math.max(20, width - timeWidth - threadWidth - 4);
  if (header) yield `${"time".padStart(timeWidth)}  ${"thread".padEnd(threadWidth)}  step`;
  let lastTime = "";
  let lastThread = "";
  for (const l of lines) {
    const time = msFixed(l.e.time);
    let thread = shortThreadName(all.thread(l.e.tid));
    if (thread.length > threadWidth) thread = `${thread.slice(0, threadWidth - 1)}…`;
    const timeCol = time === lastTime ? "" : time;
    const threadCol = thread === lastThread && timeCol === "" ? "" : thread;
    lastTime = time;
    lastThread = thread;
    const body = `${"  ".repeat(l.level)}${l.text}${l.result ? ` ${l.result.text}` : ""}`;
    const pieces = wrapText(body, textWidth, 2 * l.level + 2);
    // The fold count stays whole: on the last piece when it fits, else on a piece of its own.
    const suffix = foldSuffix(l);
    if (suffix) {
      const tail = pieces[pieces.length - 1] ?? "";
      if (tail.length + suffix.length <= textWidth) pieces[pieces.length - 1] = tail + suffix;
      else pieces.push(`${" ".repeat(2 * l.level + 2)}${suffix.trimStart()}`);
    }
    const prefix = (t: string, th: string) => `${t.padStart(timeWidth)}  ${th.padEnd(threadWidth)}  `;
    if (color && pieces.length === 1) {
      yield `${prefix(timeCol, threadCol)}${colorStep(l)}`;
      continue;
    }
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? "";
      const painted = color ? colorize(l.e, piece, l.outcome) : piece;
      yield i === 0 ? `${prefix(timeCol, threadCol)}${painted}` : `${prefix("", "")}${painted}`.trimEnd();
    }
  }
}

/** The summary under a timeline, with the control codes its requests carried. */
function* summaryLines(events: readonly TraceEvent[], all: TraceNames): Generator<string> {
  const s = summarize(events);
  yield* [
    "",
    "Summary",
    `  IRPs: ${s.irpsAllocated} allocated, ${s.irpsCompleted} completed (${s.irpsCancelled} cancelled), ${s.irpsFreed} freed`,
    `  MDLs: ${s.mdlsLocked} locked, ${s.mdlsMapped} mapped, ${s.mdlsUnlocked} unlocked; pages locked ${s.pagesLocked}, unlocked ${s.pagesUnlocked}`,
    `  bytes copied: ${s.bytesCopiedIn} in, ${s.bytesCopiedOut} out${s.bytesCopiedIn + s.bytesCopiedOut === 0 ? " (zero copy)" : ""}`,
    `  findings: ${s.findings}; bug checks: ${s.bugChecks}`,
  ];
  if (s.ceDriverCalls + s.ceMappings > 0) yield `  CE: ${s.ceDriverCalls} driver entry call(s); ${s.ceMappings} VirtualCopy mapping(s) of ${s.ceMappedPages} page(s), no byte copied by them`;
  const codes = ioctlsUsed(events);
  if (codes.length > 0) {
    yield "  IOCTLs:";
    for (const c of codes) yield `    ${ioctlLegend(c, all)}`;
  }
}

/** The control codes requests carried in a run, in the order first sent. */
export function ioctlsUsed(events: readonly TraceEvent[]): number[] {
  const seen = new Set<number>();
  for (const e of events) if (e.kind === "IrpDispatched" && e.ioctl) seen.add(e.ioctl >>> 0);
  return [...seen];
}
