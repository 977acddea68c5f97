/**
 * The text timeline: one line per step — virtual time, thread, the address space it ran in,
 * and what happened, indented by call depth — then a summary of IRPs, MDLs, locked pages and
 * bytes copied. A call whose return follows with nothing shown in between prints on one line
 * with its result ("GetOverlappedResult(handle 4) → TRUE"); otherwise the result gets its own line
 * at the call's depth.
 */
import { ntStatusName } from "../kernel/status.js";
import type { TraceEvent } from "../kernel/trace.js";
import { frameList as frames, hex, msFixed } from "./format.js";
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

function describe(e: TraceEvent, names: TraceNames, verbose: boolean): Described | null {
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
      return { text: `${e.api}(${e.detail})`, after: 1 };
    case "ApiReturn": {
      const result = `→ ${e.result}${e.lastError ? ` (${e.lastErrorName || e.lastError})` : ""}`;
      return { text: result, result, before: -1, outcome: e.lastError === 997 ? "pending" : e.lastError ? "error" : "ok" };
    }
    case "IrpDispatched":
      return { text: `${e.irp} ${e.major}${e.ioctl ? ` ${hex(e.ioctl)}` : ""} → ${e.driver}!${e.routine}`, after: 1 };
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
    case "MdlLocked":
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
      return { text: `${e.mode === "KernelMode" ? "DbgPrint" : "OutputDebugString"}: ${e.text}` };
    case "BugCheck":
      return { text: `*** STOP ${hex(e.code)} ${e.name} (${e.parameters.map(hex).join(", ")})${e.source ? ` at ${e.source}` : ""}` };
    case "Deadlock":
      return { text: `DEADLOCK: ${e.description}` };
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
    case "ApcQueued":
    case "ApcDelivered":
      return verbose ? { text: `${e.kind === "ApcQueued" ? "APC queued" : "APC runs"}: ${e.routine}` } : null;
    default:
      return null;
  }
}

const ansi = { dim: "\u001b[2m", red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", cyan: "\u001b[36m", bold: "\u001b[1m", reset: "\u001b[0m" };

function paint(code: string, text: string): string {
  return `${code}${text}${ansi.reset}`;
}

function colorize(e: TraceEvent, text: string, outcome: Outcome | undefined): string {
  if (e.kind === "BugCheck" || e.kind === "Deadlock") return paint(ansi.bold + ansi.red, text);
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
}

/** Formats events as the text timeline, with its summary. */
export function formatTextTimeline(events: readonly TraceEvent[], options: TextOptions = {}): string {
  const names = new TraceNames();
  const all = TraceNames.from(events);
  const threadWidth = Math.min(32, Math.max(6, ...events.map((e) => all.thread(e.tid).length)));
  const spaceWidth = Math.min(20, Math.max(13, ...events.map((e) => all.process(e.pid).length)));
  const depth = new Map<number, number>();
  const out: Line[] = [];
  for (const e of events) {
    names.learn(e);
    const d = describe(e, names, options.verbose ?? false);
    if (!d) continue;
    let level = (depth.get(e.tid) ?? 0) + (d.before ?? 0);
    if (level < 0) level = 0;
    depth.set(e.tid, level + (d.after ?? 0));
    const last = out.at(-1);
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
    if (last) last.open = false;
    out.push({ e, level, text: d.text, outcome: d.outcome, open: (d.after ?? 0) > 0 });
  }
  const lines: string[] = [];
  if (options.title) lines.push(options.title, "");
  lines.push(`${"time".padStart(11)}  ${"thread".padEnd(threadWidth)}  ${"address space".padEnd(spaceWidth)}  step`);
  for (const l of out) {
    const time = msFixed(l.e.time).padStart(11);
    const thread = all.thread(l.e.tid).slice(0, threadWidth).padEnd(threadWidth);
    const space = all.process(l.e.pid).slice(0, spaceWidth).padEnd(spaceWidth);
    const indent = "  ".repeat(l.level);
    let text: string;
    if (!options.color) {
      text = `${indent}${l.text}${l.result ? ` ${l.result.text}` : ""}`;
    } else {
      const body = colorize(l.e, l.text, l.outcome);
      const result = l.result ? ` ${l.result.outcome ? paint(outcomeColor[l.result.outcome], l.result.text) : l.result.text}` : "";
      text = `${indent}${body}${result}`;
    }
    lines.push(`${time}  ${thread}  ${space}  ${text}`);
  }
  const s = summarize(events);
  lines.push(
    "",
    "Summary",
    `  IRPs: ${s.irpsAllocated} allocated, ${s.irpsCompleted} completed (${s.irpsCancelled} cancelled), ${s.irpsFreed} freed`,
    `  MDLs: ${s.mdlsLocked} locked, ${s.mdlsMapped} mapped, ${s.mdlsUnlocked} unlocked; pages locked ${s.pagesLocked}, unlocked ${s.pagesUnlocked}`,
    `  bytes copied: ${s.bytesCopiedIn} in, ${s.bytesCopiedOut} out${s.bytesCopiedIn + s.bytesCopiedOut === 0 ? " (zero copy)" : ""}`,
    `  findings: ${s.findings}; bug checks: ${s.bugChecks}`,
  );
  if (s.ceDriverCalls + s.ceMappings > 0) lines.push(`  CE: ${s.ceDriverCalls} driver entry call(s); ${s.ceMappings} VirtualCopy mapping(s) of ${s.ceMappedPages} page(s), no byte copied by them`);
  return lines.join("\n");
}
