/**
 * DbgPrint, DbgPrintEx and KdPrint (kernel and user mode) and OutputDebugString (user mode): text
 * into the trace, as a kernel debugger would show it.
 *
 * DbgPrintEx filters as Windows does since Vista: a message of component C at Level is sent only
 * if its level bit (1 << Level for 0-31, else Level itself as a mask) is in C's mask or in the
 * WIN2000 mask. The machine starts as a Windows machine does — every component's mask 0 and the
 * WIN2000 mask DPFLTR_ERROR_LEVEL's bit, so only errors pass — except DPFLTR_DEFAULT_ID, whose
 * mask starts at 0xFFFFFFFF, as on a driver test machine with the "Debug Print Filter" key's
 * DEFAULT value set: DbgPrint and KdPrint (DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, …))
 * show. DbgSetDebugFilterState changes a mask as `ed nt!Kd_IHVDRIVER_Mask` would.
 *
 * Drivers here are checked (DBG) builds: KdPrint (DbgPrint) and KdPrintEx print, and ASSERT is live.
 */
import { currentMachine } from "./context.js";
import type { Machine } from "./machine.js";
import { PASSIVE_LEVEL } from "./irql.js";
import { NtStatusError } from "./nt-status-error.js";
import { formatPrintf, type PrintfArg } from "./printf.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import { checkNumber } from "./bad-pointer.js";
import { callerSite } from "./source-location.js";

declare module "./trace.js" {
  interface TraceEventMap {
    /** DbgPrint (kernel mode) or OutputDebugString (user mode) printed `text`. */
    DebugPrint: { /** The message. */ text: string; mode: "KernelMode" | "UserMode" };
  }
}

/** DPFLTR_TYPE: the component ids of DbgPrintEx (dpfilter.h); DPFLTR_SYSTEM_ID is the system's own. */
export const DPFLTR_SYSTEM_ID = 0;
/** DPFLTR_IHVVIDEO_ID: the component id for video drivers. */
export const DPFLTR_IHVVIDEO_ID = 78;
/** DPFLTR_IHVAUDIO_ID: the component id for audio drivers. */
export const DPFLTR_IHVAUDIO_ID = 79;
/** DPFLTR_IHVNETWORK_ID: the component id for network drivers. */
export const DPFLTR_IHVNETWORK_ID = 80;
/** DPFLTR_IHVSTREAMING_ID: the component id for streaming drivers. */
export const DPFLTR_IHVSTREAMING_ID = 81;
/** DPFLTR_IHVBUS_ID: the component id for bus drivers. */
export const DPFLTR_IHVBUS_ID = 82;
/** DPFLTR_IHVDRIVER_ID: the component id for other third-party drivers, the one most samples use. */
export const DPFLTR_IHVDRIVER_ID = 77;
/** DPFLTR_DEFAULT_ID: the component DbgPrint and KdPrint print as; its default mask lets every level through. */
export const DPFLTR_DEFAULT_ID = 101;
/** The levels (dpfilter.h): DPFLTR_ERROR_LEVEL, level 0, errors (printed by default). */
export const DPFLTR_ERROR_LEVEL = 0;
/** DPFLTR_WARNING_LEVEL: level 1, warnings (filtered out by default). */
export const DPFLTR_WARNING_LEVEL = 1;
/** DPFLTR_TRACE_LEVEL: level 2, tracing (filtered out by default). */
export const DPFLTR_TRACE_LEVEL = 2;
/** DPFLTR_INFO_LEVEL: level 3, information (filtered out by default, except for DPFLTR_DEFAULT_ID). */
export const DPFLTR_INFO_LEVEL = 3;
/** DPFLTR_MASK: or'd into Level, the rest of Level is a bit mask rather than a level number. */
export const DPFLTR_MASK = 0x80000000;

/** Kd_WIN2000_Mask's default: DPFLTR_ERROR_LEVEL. */
const WIN2000_DEFAULT = 0x1;
/** The most DbgPrint sends in one call (its buffer is 512 bytes). */
const DBGPRINT_LIMIT = 512;

interface DebugFilter {
  win2000: number;
  readonly masks: Map<number, number>;
}

const filters = new WeakMap<Machine, DebugFilter>();

function filterOf(m: Machine): DebugFilter {
  let f = filters.get(m);
  if (!f) {
    f = { win2000: WIN2000_DEFAULT, masks: new Map([[DPFLTR_DEFAULT_ID, 0xffffffff]]) };
    filters.set(m, f);
  }
  return f;
}

function levelMask(api: string, Level: number): number {
  // A ULONG by value: what no C caller could pass is STATUS_INVALID_PARAMETER, raised.
  const l = checkNumber(api, "Level", Level) >>> 0;
  return l <= 31 ? (1 << l) >>> 0 : (l & ~DPFLTR_MASK) >>> 0;
}

function passes(m: Machine, api: string, ComponentId: number, Level: number): boolean {
  const f = filterOf(m);
  const mask = ((f.masks.get(checkNumber(api, "ComponentId", ComponentId) >>> 0) ?? 0) | f.win2000) >>> 0;
  return (levelMask(api, Level) & mask) !== 0;
}

function emit(m: Machine, text: string, userMode: boolean): void {
  if (m.trace.on) m.trace.emit("DebugPrint", { text, mode: userMode ? "UserMode" : "KernelMode" });
}

/** A Unicode conversion in a format (%C %S %lc %ls %wc %ws %wZ): only legal at PASSIVE_LEVEL. */
const UNICODE_CONVERSION = /%[-+ #0]*(\d+|\*)?(\.(\d+|\*))?(l[cs]|w[csZ]|[CS])/;

function debugPrint(api: string, ComponentId: number, Level: number, FormatArg: string | number, args: readonly PrintfArg[]): NTSTATUS {
  const m = currentMachine(api);
  const t = m.currentThread(api);
  // A format is read through its pointer inside DbgPrint's exception handler: a literal, or the
  // address of a string; NULL or what is no address returns the access violation's status.
  let Format: string;
  if (typeof FormatArg === "string") Format = FormatArg;
  else if (typeof FormatArg !== "number" || FormatArg === 0) return STATUS_ACCESS_VIOLATION;
  else {
    try {
      Format = m.mmu.readAnsiString(FormatArg, 65536);
    } catch (e) {
      if (e instanceof NtStatusError) return e.status;
      throw e;
    }
  }
  if (t.irql > PASSIVE_LEVEL && t.mode === 0 && UNICODE_CONVERSION.test(Format)) {
    m.addFinding({
      rule: "DbgPrintUnicodeAtRaisedIrql",
      code: "DbgPrint",
      driver: m.currentDriver(),
      message:
        `${api}("${Format.trim()}") uses a Unicode conversion at IRQL ${t.irql}. The WDK allows %C, %S, %lc, %ls, %wc, %ws and %wZ only at PASSIVE_LEVEL: ` +
        "converting them touches pageable tables, which faults at DISPATCH_LEVEL. Print an ANSI copy, or print from PASSIVE_LEVEL.",
      source: callerSite(),
    });
  }
  if (!passes(m, api, ComponentId, Level)) return STATUS_SUCCESS;
  let r;
  try {
    r = formatPrintf(Format, args);
  } catch (e) {
    // DbgPrint formats inside an exception handler: a bad string pointer makes it return the
    // exception's code, nothing printed.
    if (e instanceof NtStatusError) return e.status;
    throw e;
  }
  if (!r.ok) return r.status;
  emit(m, r.text.length > DBGPRINT_LIMIT ? r.text.slice(0, DBGPRINT_LIMIT) : r.text, t.mode !== 0);
  return STATUS_SUCCESS;
}

/**
 * DbgPrint(Format, ...): formats as printf does (see printf.ts for the conversions and how string
 * arguments are read) and sends the text to the debugger (the trace) as DbgPrintEx with
 * DPFLTR_DEFAULT_ID and DPFLTR_INFO_LEVEL would. Returns STATUS_SUCCESS; a string argument at a
 * bad address returns the exception's status and prints nothing; a format the runtime refuses
 * (%n, too few arguments) returns STATUS_INVALID_PARAMETER. At most 512 characters are sent.
 * Callable at any IRQL, but Unicode conversions only at PASSIVE_LEVEL (a finding otherwise).
 */
export function DbgPrint(Format: string, ...args: PrintfArg[]): NTSTATUS {
  return debugPrint("DbgPrint", DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, args);
}

/**
 * DbgPrintEx(ComponentId, Level, Format, ...): DbgPrint for a component at a level, sent only if
 * the machine's filter for that component lets the level through (see the module comment).
 */
export function DbgPrintEx(ComponentId: number, Level: number, Format: string, ...args: PrintfArg[]): NTSTATUS {
  return debugPrint("DbgPrintEx", ComponentId, Level, Format, args);
}

/** KdPrintEx((ComponentId, Level, Format, ...)): DbgPrintEx in a checked build. */
export function KdPrintEx(ComponentId: number, Level: number, Format: string, ...args: PrintfArg[]): NTSTATUS {
  return debugPrint("KdPrintEx", ComponentId, Level, Format, args);
}

/**
 * DbgSetDebugFilterState: turns a level (0-31, or a mask above 31) of a component's filter on or
 * off, as editing Kd_<component>_Mask in the debugger does. STATUS_INVALID_PARAMETER for a
 * negative component id.
 */
export function DbgSetDebugFilterState(ComponentId: number, Level: number, State: boolean): NTSTATUS {
  const m = currentMachine("DbgSetDebugFilterState");
  if (!Number.isInteger(ComponentId) || ComponentId < 0) return STATUS_INVALID_PARAMETER;
  const f = filterOf(m);
  const bit = levelMask("DbgSetDebugFilterState", Level);
  const old = f.masks.get(ComponentId) ?? 0;
  f.masks.set(ComponentId, (State ? old | bit : old & ~bit) >>> 0);
  return STATUS_SUCCESS;
}

/** DbgQueryDebugFilterState: TRUE (1) when a message of that component and level would be sent, else FALSE (0). */
export function DbgQueryDebugFilterState(ComponentId: number, Level: number): NTSTATUS {
  return passes(currentMachine("DbgQueryDebugFilterState"), "DbgQueryDebugFilterState", ComponentId, Level) ? 1 : 0;
}

/** OutputDebugString (user mode): the string as given, unfiltered. */
export function OutputDebugString(lpOutputString: string): void {
  const m = currentMachine("OutputDebugString");
  const t = m.currentThread("OutputDebugString");
  emit(m, lpOutputString, t.mode !== 0);
}
