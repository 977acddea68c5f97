/**
 * The text timeline: one line per step — virtual time, thread, the address space it ran in,
 * and what happened, indented by call depth — then a summary of IRPs, MDLs, locked pages and
 * bytes copied.
 */
import { hex32, ntStatusName } from "../kernel/status.js";
import type { TraceEvent } from "../kernel/trace.js";
import { TraceNames } from "./names.js";

/** Options for the text timeline. */
export interface TextOptions {
  /** Printed above the timeline. */
  readonly title?: string;
  /** Include low-level events (waits, timers firing, APCs, pool). */
  readonly verbose?: boolean;
  /** ANSI colours (for a terminal that wants them). */
  readonly color?: boolean;
}

const hex = (n: number) => `0x${hex32(n)}`;

function frames(list: readonly number[]): string {
  if (list.length === 0) return "no frames";
  const first = list[0] ?? 0;
  const consecutive = list.every((f, i) => f === first + i);
  const h = (f: number) => `0x${f.toString(16).toUpperCase()}`;
  if (consecutive) return list.length === 1 ? `frame ${h(first)}` : `frames ${h(first)}–${h(first + list.length - 1)}`;
  return `frames ${list.slice(0, 6).map(h).join(", ")}${list.length > 6 ? ", …" : ""}`;
}

/** The summary counters a timeline ends with. */
export interface TimelineSummary {
  irpsAllocated: number;
  irpsCompleted: number;
  irpsCancelled: number;
  irpsFreed: number;
  mdlsLocked: number;
  mdlsMapped: number;
  mdlsUnlocked: number;
  pagesLocked: number;
  pagesUnlocked: number;
  bytesCopiedIn: number;
  bytesCopiedOut: number;
  findings: number;
  bugChecks: number;
}

/** Counts what the summary reports. */
export function summarize(events: readonly TraceEvent[]): TimelineSummary {
  const s: TimelineSummary = { irpsAllocated: 0, irpsCompleted: 0, irpsCancelled: 0, irpsFreed: 0, mdlsLocked: 0, mdlsMapped: 0, mdlsUnlocked: 0, pagesLocked: 0, pagesUnlocked: 0, bytesCopiedIn: 0, bytesCopiedOut: 0, findings: 0, bugChecks: 0 };
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
      default:
        break;
    }
  }
  return s;
}

/** What one event says on the timeline (null: not shown), and how it moves the call depth. */
function describe(e: TraceEvent, names: TraceNames, verbose: boolean): { text: string; before?: number; after?: number } | null {
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
    case "FileOpened":
      return { text: `${e.file} opened on ${e.device} as handle ${e.handle}${e.synchronous ? "" : " (overlapped)"}` };
    case "ApiEnter":
      return { text: `${e.api}(${e.detail})`, after: 1 };
    case "ApiReturn":
      return { text: `→ ${e.result}${e.lastError ? ` (${e.lastErrorName || e.lastError})` : ""}`, before: -1 };
    case "IrpDispatched":
      return { text: `${e.irp} ${e.major}${e.ioctl ? ` ${hex(e.ioctl)}` : ""} → ${e.driver}!${e.routine}`, after: 1 };
    case "IrpDispatchReturned":
      return { text: `${e.routine} returns ${e.statusName}`, before: -1 };
    case "IrpMarkedPending":
      return { text: `IoMarkIrpPending(${e.irp})` };
    case "IrpCancelRoutineSet":
      return { text: `IoSetCancelRoutine(${e.irp}, ${e.routine})` };
    case "IrpCompleted":
      return { text: `IoCompleteRequest(${e.irp}, ${e.statusName}, ${e.information} bytes)` };
    case "IrpCompletionRoutine":
      return { text: `completion routine ${e.routine} of ${e.irp} returns ${e.resultName}` };
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
      return { text: e.called ? `IoCancelIrp(${e.irp}) calls ${e.routine}` : `IoCancelIrp(${e.irp}): no cancel routine, only marked cancelled` };
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
      return { text: `DPC ${e.routine} runs in ${names.process(e.pid)}'s context`, after: 1 };
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

const ansi = { dim: "\u001b[2m", red: "\u001b[31m", yellow: "\u001b[33m", cyan: "\u001b[36m", bold: "\u001b[1m", reset: "\u001b[0m" };

function colorize(e: TraceEvent, text: string): string {
  if (e.kind === "BugCheck" || e.kind === "Deadlock") return `${ansi.bold}${ansi.red}${text}${ansi.reset}`;
  if (e.kind === "Finding") return `${ansi.yellow}${text}${ansi.reset}`;
  if (e.kind === "ApiEnter" || e.kind === "ApiReturn") return `${ansi.cyan}${text}${ansi.reset}`;
  if (e.kind === "DebugPrint" || e.kind === "Note") return `${ansi.dim}${text}${ansi.reset}`;
  return text;
}

/** Formats events as the text timeline, with its summary. */
export function formatTextTimeline(events: readonly TraceEvent[], options: TextOptions = {}): string {
  const names = new TraceNames();
  const all = TraceNames.from(events);
  const threadWidth = Math.min(32, Math.max(6, ...events.map((e) => all.thread(e.tid).length)));
  const spaceWidth = Math.min(20, Math.max(13, ...events.map((e) => all.process(e.pid).length)));
  const depth = new Map<number, number>();
  const lines: string[] = [];
  if (options.title) lines.push(options.title, "");
  lines.push(`${"time".padStart(11)}  ${"thread".padEnd(threadWidth)}  ${"address space".padEnd(spaceWidth)}  step`);
  for (const e of events) {
    names.learn(e);
    const d = describe(e, names, options.verbose ?? false);
    if (!d) continue;
    let level = (depth.get(e.tid) ?? 0) + (d.before ?? 0);
    if (level < 0) level = 0;
    depth.set(e.tid, level + (d.after ?? 0));
    if (d.text === "") continue;
    const time = `${(e.time / 10_000).toFixed(3)} ms`.padStart(11);
    const thread = names.thread(e.tid).slice(0, threadWidth).padEnd(threadWidth);
    const space = names.process(e.pid).slice(0, spaceWidth).padEnd(spaceWidth);
    const text = `${"  ".repeat(level)}${d.text}`;
    lines.push(`${time}  ${thread}  ${space}  ${options.color ? colorize(e, text) : text}`);
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
  return lines.join("\n");
}
