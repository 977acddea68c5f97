/**
 * What the verifier remembers: per IRP its ownership timeline (who allocated it, which driver
 * holds it at each step, every cancel-routine exchange), per dispatch-routine call what that call
 * did with its IRP, and per MDL where it was allocated, locked, mapped and unlocked.
 */
import type { KProcess } from "../kernel/process.js";
import type { SourceFrame } from "../kernel/source-location.js";
import type { KSPIN_LOCK } from "../kernel/spin-lock.js";
import type { KThread } from "../kernel/thread.js";
import type { TimerEntry } from "../kernel/timer-queue.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { IRP, IrpOrigin } from "../io-manager/irp.js";
import type { MDL } from "../io-manager/mdl.js";

/** One step of an IRP's life. */
export interface Step {
  /** Virtual time, 100 ns ticks. */
  readonly time: number;
  readonly text: string;
  /** The driver's (or app's) source line that took the step, when it was code outside the emulator. */
  readonly site: string | null;
}

/** A user-mode range a request handed to drivers, and the process it belongs to. */
export interface UserRange {
  readonly start: number;
  readonly end: number;
  readonly process: KProcess;
  /** Where it came from ("irp#2's Type3InputBuffer"). */
  readonly what: string;
}

/** How a driver gave an IRP away. */
export interface Release {
  readonly how: "completed" | "forwarded";
  readonly site: string | null;
}

/** A completion, as the verifier saw it. */
export interface Completion {
  readonly driver: string | null;
  /** Who, in words ("dispatch routine SharebufDeviceControl on sharebuf.exe:main"). */
  readonly by: string;
  readonly site: string | null;
  readonly status: number;
}

/** A cancel routine set and not yet followed by the Irp->Cancel check the rule asks for. */
export interface CancelCheck {
  readonly driver: string;
  readonly routine: string | null;
  readonly site: string | null;
  readonly thread: KThread;
  /** The spin lock held (innermost) when the routine was set, and its acquisition number. */
  readonly lock: KSPIN_LOCK | null;
  readonly epoch: number;
}

/** Everything the verifier knows about one IRP. */
export interface IrpRecord {
  readonly irp: IRP;
  readonly label: string;
  readonly origin: IrpOrigin;
  /** The driver that allocated it (IoAllocateIrp, IoBuild*), or null for the I/O manager's. */
  readonly creator: string | null;
  /** True when it was allocated during its creator's DriverEntry (driver state, not a leak). */
  readonly duringDriverEntry: boolean;
  readonly allocSite: string | null;
  /** The process whose thread issued it. */
  readonly requestor: KProcess | null;
  readonly steps: Step[];
  /** Drivers that have given it away and not got it back. */
  readonly released: Map<string, Release>;
  freed: boolean;
  readonly completions: Completion[];
  /** Set by IoCancelIrp; cleared timer when it completes. */
  cancelledAt: number | null;
  cancelTimer: TimerEntry | null;
  cancelCheck: CancelCheck | null;
  /** The last Irp->Cancel read: the locks held then, with their acquisition numbers. */
  cancelReadLocks: Map<KSPIN_LOCK, number> | null;
  cancelReadAt: number;
  /** Where it was marked pending, by whom. */
  pendedBy: string | null;
  pendSite: string | null;
  /** The driver that holds it now (dispatched to, or pended by). */
  holder: string | null;
  holderRoutine: string | null;
  /** User ranges it carries (METHOD_NEITHER buffers). */
  readonly userRanges: UserRange[];
  /** Rules already reported for it (one report per rule and driver). */
  readonly reported: Set<string>;
  /** For IRPs from IoBuildDeviceIoControlRequest: its creator waited on its event. */
  waitedFor: boolean;
  /** Where its creator sent it down. */
  sentSite: string | null;
}

/** One call of a dispatch routine. */
export interface Frame {
  readonly irp: IRP;
  readonly rec: IrpRecord;
  readonly device: DEVICE_OBJECT;
  readonly driver: string;
  readonly routine: string;
  /** The IRP's CurrentLocation while this routine owns it. */
  readonly location: number;
  readonly thread: KThread;
  readonly irql: number;
  /** The driver that called IoCallDriver, or null for the I/O manager. */
  readonly caller: string | null;
  /** This driver's own release of the IRP at an upper device, set aside while it runs here. */
  readonly suspendedRelease: Release | null;
  marked: boolean;
  /** Where it called IoMarkIrpPending. */
  markSite: string | null;
  forwarded: boolean;
  /** Completed (by anyone) while the routine ran. */
  completedDuring: boolean;
  /** Completed by this routine itself: the status and where. */
  selfCompletion: { status: number; site: string | null } | null;
  /** The last place this routine raised the IRQL or took a spin lock. */
  lastRaiseSite: string | null;
  /** The last source line the verifier saw in this routine (its first touch of the IRP, at least). */
  lastSite: string | null;
  /** Set once the routine's first touch of its IRP has been located. */
  lookedUp: boolean;
  /** The routine's function (where its return statements are), when the I/O manager called one of the driver's. */
  readonly routineFn: object | null;
  /**
   * The driver frames of the routine's latest kernel call or use of Irp->IoStatus, innermost
   * first (recorded only with source lines on, while it owes its IRP a completion, a forward or a
   * mark): where it was last seen running.
   */
  lastRun: readonly SourceFrame[];
  /** User reads this request made (for double fetches): byte ranges and where. */
  readonly reads: { start: number; end: number; site: string | null }[];
  doubleFetchReported: boolean;
  /** IRPs from IoBuild* this routine sent down (it must wait for those that pend). */
  readonly sentBuilt: IrpRecord[];
}

/** Everything the verifier knows about one MDL. */
export interface MdlRecord {
  readonly label: string;
  readonly allocSite: string | null;
  readonly allocDriver: string | null;
  readonly duringDriverEntry: boolean;
  lockedBy: string | null;
  lockSite: string | null;
  everLocked: boolean;
  unlockedBy: string | null;
  unlockSite: string | null;
  /** The IRP it was built for by the I/O manager (direct I/O), if any. */
  irp: string | null;
  mdl: MDL | null;
}

/** A system-space mapping that was torn down, remembered to explain a later use of its address. */
export interface StaleMapping {
  readonly start: number;
  readonly end: number;
  readonly mdl: string;
  readonly why: string;
  readonly time: number;
}

/** A pool block a driver freed. */
export interface FreedBlock {
  readonly address: number;
  readonly size: number;
  readonly tag: string | null;
  readonly driver: string;
  readonly allocSite: string | null;
  /** Who freed it, in words ("cancel routine NotifyCancelRoutine on notify.exe:CPU1"). */
  readonly freedBy: string;
  readonly freeSite: string | null;
  /** Virtual time of the free, 100 ns ticks. */
  readonly time: number;
}

/** How many freed pool blocks a verifier remembers. */
export const FREED_POOL_KEPT = 64;

/** "12.340 ms" for a time in 100 ns ticks. */
export function formatMs(ticks: number): string {
  return `${(ticks / 10_000).toFixed(3)} ms`;
}

/** One timeline line: "  12.340 ms  text (at file:line)". */
export function formatStep(s: Step): string {
  return `${formatMs(s.time).padStart(12)}  ${s.text}${s.site ? ` (at ${s.site})` : ""}`;
}
