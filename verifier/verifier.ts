/**
 * The verifier: Driver Verifier's I/O checks and the static IRP rules, enforced at run time on a
 * machine. It observes the machine through the kernel's and the I/O manager's synchronous hooks
 * (so a rule whose outcome is a bug check halts the machine at the faulting call, with the
 * driver's source line), its trace events (for the timelines) and its state; it never changes
 * what the machine does, except for the options that ask it to (Force Pending I/O, low-resources
 * simulation), whose choices are decisions the machine records.
 */
import type { KernelHooks } from "../kernel/hooks.js";
import type { Machine } from "../kernel/machine.js";
import type { KProcess } from "../kernel/process.js";
import type { KSPIN_LOCK } from "../kernel/spin-lock.js";
import type { KMUTANT } from "../kernel/dispatcher.js";
import type { KDPC } from "../kernel/dpc.js";
import type { KTIMER } from "../kernel/timer.js";
import type { KThread } from "../kernel/thread.js";
import type { KernelObject } from "../kernel/objects.js";
import { calledFromEmulatorCode, callerSite, driverRun, formatFrame } from "../kernel/source-location.js";
import { ioManager, type IoManager } from "../io-manager/io-manager.js";
import type { IoHooks, IrpWatch } from "../io-manager/hooks.js";
import { setIrpWatch, type IRP } from "../io-manager/irp.js";
import { RULES, type RuleId } from "./rules.js";
import { formatStep, type Frame, type FreedBlock, type IrpRecord, type MdlRecord, type StaleMapping, type Step, type UserRange } from "./records.js";
import { installIrpRules } from "./irp-rules.js";
import { installLockRules } from "./lock-rules.js";
import { installMemoryRules } from "./memory-rules.js";
import { installUnloadRules, teardownFindings } from "./unload-rules.js";
import { installWdkRules } from "./wdk-rules.js";
import { installResourceOptions } from "./resource-options.js";
import { installSyncRules } from "./sync-rules.js";
import type { SpecialPoolOptions } from "../kernel/special-pool.js";

/** How to verify. */
export interface VerifierOptions {
  /** Verify only these drivers (their short names, as loadDriver was given them); default: every driver. */
  readonly drivers?: readonly string[];
  /** Check only these rules; default: every rule. */
  readonly rules?: readonly RuleId[];
  /** Rules to leave unchecked. */
  readonly skipRules?: readonly RuleId[];
  /**
   * Force Pending I/O Requests: each IoCallDriver a verified driver makes is a decision point
   * ("force STATUS_PENDING" first, "pass through" second); forced calls return STATUS_PENDING and
   * the lower driver's completion runs a moment later. Default off.
   */
  readonly forcePending?: boolean;
  /**
   * Systematic low-resources simulation: the first allocation (pool, IRP, MDL, system PTEs) at
   * each distinct call site of a verified driver is a decision point ("fail" first, "succeed"
   * second); later allocations at that site succeed. DriverEntry is spared, as Driver Verifier
   * waits after boot before it fails allocations (see `faultInjectionInDriverEntry`). Each
   * failure counts as an injected event: the run is no longer the undisturbed story
   * (ScenarioContext.undisturbed() is false). Default off.
   */
  readonly faultInjection?: boolean;
  /** With `faultInjection`, fail DriverEntry's allocations too (default false: DriverEntry is spared). */
  readonly faultInjectionInDriverEntry?: boolean;
  /**
   * Locked-page tracking: a process that exits with pages locked is 0xCB naming the driver and
   * MDL (as with TrackLockedPages or Pool Tracking on), rather than 0x76. Default on.
   */
  readonly lockedPageTracking?: boolean;
  /**
   * Special Pool: each pool allocation a verified driver makes gets a page of its own against a
   * no-access page, so an overrun (or, with `underruns`, an underrun) or a touch after the free
   * stops the machine at the access (0xD6, 0xD5), and a write into the rest of the page is found
   * at the free (0xC1). Default on; false turns it off. Each allocation then costs a page of
   * memory (see `npm run bench`, pool.special_host_bytes).
   */
  readonly specialPool?: boolean | SpecialPoolOptions;
  /** Virtual milliseconds a cancelled IRP may take to complete before 0xC4/0x135 (default 10,000). */
  readonly cancelTimeoutMs?: number;
  /**
   * Record the driver's source line (through source maps) at each step of a timeline and in each
   * finding. Default on. Off, the rules and their outcomes are the same but carry no lines: a
   * schedule search runs this way (a stack capture per step is most of the verifier's cost) and
   * replays the schedules that failed with lines on to report them.
   */
  readonly sourceLines?: boolean;
  /**
   * KMDF's verifier for framework drivers (VerifierOn): framework misuse stops the machine with
   * WDF_VIOLATION (0x10D) at the driver's call. Default on for every verified driver.
   */
  readonly kmdf?: boolean;
}

/** What a rule reports. */
export interface Report {
  readonly driver: string | null;
  readonly routine?: string | null;
  readonly rec?: IrpRecord | null;
  /** What is wrong, in one sentence, naming the driver, routine and IRP. */
  readonly text: string;
  /** The source line (default: the driver's frame of the current stack). */
  readonly source?: string | null;
  /** The code as printed, when it differs from the rule's (0xC4/0x122 for WaitAtDispatch). */
  readonly codeText?: string;
}

/** The default bound on a cancelled IRP's completion. */
export const DEFAULT_CANCEL_TIMEOUT_MS = 10_000;

/**
 * A verifier attached to one machine. Create it with {@link attachVerifier}; it stays until
 * {@link Verifier.detach}.
 */
export class Verifier {
  /** The machine's I/O manager. */
  readonly io: IoManager;
  /** The watch every IRP gets (the IRP rules provide it). */
  irpWatch: IrpWatch | null = null;
  /** What the verifier knows of each live IRP: its history and who owns it. */
  readonly irps = new Map<IRP, IrpRecord>();
  /** Dispatch-routine calls in progress, per thread (innermost last). */
  readonly frames = new Map<KThread, Frame[]>();
  /** What it knows of each MDL, by label. */
  readonly mdls = new Map<string, MdlRecord>();
  /** System mappings that outlived their MDL: an access through one is a finding. */
  readonly stale: StaleMapping[] = [];
  /** User ranges per process, from requests and user-space MDL mappings. */
  readonly userRanges: UserRange[] = [];
  /** User pages a driver touched in a request's own context, per process: "vpn" -> process. */
  readonly learnedPages = new Map<number, Set<KProcess>>();
  /** Spin lock acquisition numbers (for "under the same lock"). */
  readonly lockEpochs = new Map<KSPIN_LOCK, number>();
  /** Counts spin lock acquisitions, for lockEpochs. */
  epoch = 0;
  /** Mutexes each thread holds (spin locks are in KThread.heldLocks). */
  readonly heldMutexes = new Map<KThread, KMUTANT[]>();
  /** Pool blocks drivers allocated: address -> owner. */
  readonly pool = new Map<number, { /** The driver that allocated it. */ driver: string; /** The driver's source line. */ site: string | null; /** Its size in bytes. */ size: number; /** Whether it was allocated in DriverEntry. */ duringDriverEntry: boolean; /** Its pool tag. */ tag: number }>();
  /**
   * Pool blocks drivers freed, newest last (at most FREED_POOL_KEPT, records.ts), until the range is
   * allocated again: what explains a later touch of a freed address.
   */
  readonly freedPool: FreedBlock[] = [];
  /** Timers and DPCs drivers set or queued. */
  readonly timers = new Map<KTIMER, { /** The driver that set it. */ driver: string; /** The driver's source line. */ site: string | null }>();
  /** DPCs drivers queued. */
  readonly dpcs = new Map<KDPC, { /** The driver that queued it. */ driver: string; /** The driver's source line. */ site: string | null }>();
  /** References drivers took and have not dropped. */
  readonly references = new Map<KernelObject, { /** The driver that took it. */ driver: string; /** The driver's source line. */ site: string | null }[]>();
  /** Kernel handles drivers created: (process, handle) -> owner. */
  readonly handles = new Map<string, { /** The driver that created it. */ driver: string; /** The driver's source line. */ site: string | null; /** The object the handle is for. */ object: string }>();
  /** Symbolic links drivers created. */
  readonly links = new Map<string, { /** The driver that created it. */ driver: string; /** The driver's source line. */ site: string | null }>();
  /** Drivers that have been unloaded (their leftovers are leaks). */
  readonly unloaded = new Set<string>();
  /** The last source line captured on each thread. */
  readonly lastSiteOn = new Map<KThread, string | null>();
  /**
   * How long an IRP may stay cancelled but not completed before CancelTimeout
   * (VerifierOptions.cancelTimeoutMs).
   */
  readonly cancelTimeoutMs: number;
  /** Whether locked pages are tracked per driver (Driver Verifier's locked-pages check). */
  readonly lockedPageTracking: boolean;
  /** See {@link VerifierOptions.sourceLines}. */
  readonly sourceLines: boolean;
  private readonly onlyDrivers: Set<string> | null;
  private readonly onlyRules: Set<RuleId> | null;
  private readonly skip: Set<RuleId>;
  private readonly cleanups: (() => void)[] = [];
  private attached = true;

  constructor(
    /** The machine the verifier watches. */
    readonly machine: Machine,
    /** What to verify, and how (drivers, rules, force pending, fault injection…). */
    readonly options: VerifierOptions = {},
  ) {
    this.io = ioManager(machine);
    this.sourceLines = options.sourceLines ?? true;
    this.onlyDrivers = options.drivers ? new Set(options.drivers.map((d) => d.toLowerCase())) : null;
    this.onlyRules = options.rules ? new Set(options.rules) : null;
    this.skip = new Set(options.skipRules ?? []);
    this.cancelTimeoutMs = options.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS;
    this.lockedPageTracking = options.lockedPageTracking ?? true;
  }

  /** Installs the hooks, the memory observer and the options. */
  install(): void {
    const io = this.io;
    // Freed IRPs stay out of the lookaside lists, so a use after free is recognisable (special pool).
    const recycle = io.recycleIrps;
    io.recycleIrps = false;
    // Hooks only, no trace subscription: a verified machine nobody traces builds no trace events.
    this.cleanups.push(() => {
      io.recycleIrps = recycle;
      if (io.irpWatch === this.irpWatch) io.irpWatch = null;
      for (const irp of this.irps.keys()) if (irp.watch === this.irpWatch) setIrpWatch(irp, null);
    });
    installIrpRules(this);
    io.irpWatch = this.irpWatch;
    installLockRules(this);
    installMemoryRules(this);
    installUnloadRules(this);
    installWdkRules(this);
    installResourceOptions(this);
    installSyncRules(this);

    // KMDF's own verifier, for the verified drivers that are framework clients (wdf/ asks).
    if (this.options.kmdf !== false) this.addIoHooks({ verifiesFramework: (driver) => this.verified(driver) });
    // IRPs that already exist are watched too.
    for (const irp of io.liveIrps) this.record(irp, null);
  }

  /** Adds I/O-manager hooks (removed at detach). */
  addIoHooks(h: IoHooks): void {
    this.io.hooks.push(h);
    this.cleanups.push(() => {
      const i = this.io.hooks.indexOf(h);
      if (i >= 0) this.io.hooks.splice(i, 1);
    });
  }

  /** Adds kernel hooks (removed at detach). */
  addKernelHooks(h: KernelHooks): void {
    const list = this.machine.kernelHooks;
    list.push(h);
    this.cleanups.push(() => {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
    });
  }

  /** Registers something to undo at {@link detach}. */
  onDetach(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Removes every hook; the machine runs on unverified. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const fn of this.cleanups.splice(0).reverse()) fn();
  }

  /**
   * The end of a scenario: every IRP, MDL, locked page, pool block, kernel handle or object
   * reference still there is a finding with its allocation site.
   */
  teardown(): void {
    if (this.machine.halted) return;
    teardownFindings(this);
    // Layers with checks of their own at the end of a run (the KMDF verifier in wdf/).
    for (const h of [...this.io.hooks]) h.teardown?.();
  }

  // ---- Scope --------------------------------------------------------------------------------

  /** Whether a driver is verified (every driver unless the options name some). */
  verified(driver: string | null): driver is string {
    if (driver === null) return false;
    return this.onlyDrivers === null || this.onlyDrivers.has(driver.toLowerCase());
  }

  /** Whether a rule is checked. */
  enabled(rule: RuleId): boolean {
    return !this.skip.has(rule) && (this.onlyRules === null || this.onlyRules.has(rule));
  }

  /** The driver whose code runs now, if it is verified. */
  verifiedDriver(): string | null {
    const d = this.machine.currentDriver();
    return this.verified(d) ? d : null;
  }

  // ---- Where ---------------------------------------------------------------------------------

  /** The driver's (or app's) source line of the current call, through source maps. */
  site(): string | null {
    const t = this.machine.runningThread();
    if (!t) return this.sourceLines ? callerSite() : null;
    const fs = this.frames.get(t);
    const top = fs && fs.length > 0 ? fs[fs.length - 1] : undefined;
    const inRoutine = top !== undefined && this.machine.currentActivity()?.kind === "dispatch routine";
    let s: string | null = null;
    // While the routine still owes its IRP a completion, a forward or a mark (see routine-source.ts).
    if (this.sourceLines && inRoutine && !top.forwarded && !top.completedDuring && !top.marked) {
      // The routine's own frames too: the last place it was seen running (see routine-source.ts).
      const run = driverRun();
      s = run[0] ? formatFrame(run[0]) : null;
      if (run.length > 0) top.lastRun = run;
    } else if (this.sourceLines) {
      s = callerSite();
    }
    this.lastSiteOn.set(t, s);
    if (top && s !== null && inRoutine) top.lastSite = s;
    return s;
  }

  /**
   * The driver's source line of the current call even when source lines are off: what a rule
   * keys a decision by (fault injection offers a failure once per call site) must not change
   * with them.
   */
  callSite(): string | null {
    return this.sourceLines ? this.site() : callerSite();
  }

  /**
   * True when the code that called the current hook is the emulator's own (the I/O manager
   * reading an IRP on the driver's behalf), not the driver's: the first frame past the verifier
   * and the member or routine being watched.
   */
  calledFromEmulator(): boolean {
    // Past the verifier's frames: the accessor or routine being watched, then its caller.
    return calledFromEmulatorCode(/[/\\]verifier[/\\]|source-location/);
  }

  // ---- IRP records ---------------------------------------------------------------------------

  /** The record of an IRP, made on first sight. */
  record(irp: IRP, t: KThread | null): IrpRecord {
    let rec = this.irps.get(irp);
    if (rec) return rec;
    const m = this.machine;
    const creator = irp.origin === "IoAllocateIrp" || irp.origin.startsWith("IoBuild") ? m.currentDriver() : null;
    const activity = m.currentActivity();
    rec = {
      irp,
      label: irp.label,
      origin: irp.origin,
      creator,
      duringDriverEntry: creator !== null && activity?.kind === "DriverEntry of",
      allocSite: t ? this.site() : null,
      requestor: t ? t.process : null,
      steps: [],
      released: new Map(),
      freed: false,
      completions: [],
      cancelledAt: null,
      cancelTimer: null,
      cancelCheck: null,
      cancelReadLocks: null,
      cancelReadAt: -1,
      pendedBy: null,
      pendSite: null,
      holder: creator,
      holderRoutine: null,
      userRanges: [],
      reported: new Set(),
      waitedFor: false,
      sentSite: null,
    };
    this.irps.set(irp, rec);
    setIrpWatch(irp, this.irpWatch);
    return rec;
  }

  /** Reads an IRP's members for the verifier's own use, without the watch seeing a driver's touch. */
  peek<T>(_irp: IRP, read: () => T): T {
    const was = this.peeking;
    this.peeking = true;
    try {
      return read();
    } finally {
      this.peeking = was;
    }
  }
  /** True while the verifier reads IRPs itself ({@link peek}). */
  peeking = false;

  /** Adds a step to an IRP's timeline. */
  step(rec: IrpRecord, text: string, site: string | null = null): void {
    rec.steps.push({ time: this.machine.now, text, site });
  }

  /** An IRP's timeline as printed lines. */
  timeline(rec: IrpRecord | null | undefined): string[] {
    return rec ? rec.steps.map((s: Step) => formatStep(s)) : [];
  }

  /** The frames of a thread (innermost last). */
  framesOf(t: KThread): Frame[] {
    let f = this.frames.get(t);
    if (!f) {
      f = [];
      this.frames.set(t, f);
    }
    return f;
  }

  /** The innermost frame on `t` for this IRP, if any. */
  frameFor(t: KThread, irp: IRP): Frame | null {
    const f = this.frames.get(t);
    if (!f) return null;
    for (let i = f.length - 1; i >= 0; i--) if (f[i]?.irp === irp) return f[i] ?? null;
    return null;
  }

  /** Every active frame, on any thread, for this IRP. */
  *activeFrames(irp: IRP): Generator<Frame> {
    for (const list of this.frames.values()) for (const f of list) if (f.irp === irp) yield f;
  }

  /**
   * A freed pool block that `va` lies in, in words ("0x81001000 lies in pool block 0x81001000
   * (4096 bytes, tag 'Ntfy', allocated at …) that cancel routine X freed at … at 12.000 ms"), or
   * null: what a bug check at a freed address adds to its explanation.
   */
  freedPoolAt(va: number): string | null {
    for (let i = this.freedPool.length - 1; i >= 0; i--) {
      const b = this.freedPool[i];
      if (!b || va < b.address || va >= b.address + Math.max(1, b.size)) continue;
      const hex = (n: number): string => `0x${(n >>> 0).toString(16).toUpperCase()}`;
      return `${hex(va)} lies in pool block ${hex(b.address)} (${b.size} bytes${b.tag ? `, tag '${b.tag}'` : ""}, allocated by ${b.driver}${b.allocSite ? ` at ${b.allocSite}` : ""}) that ${b.freedBy} freed${b.freeSite ? ` at ${b.freeSite}` : ""} at ${(b.time / 10_000).toFixed(3)} ms`;
    }
    return null;
  }

  // ---- Reporting -----------------------------------------------------------------------------

  /** Reports a rule once per IRP (or globally, without one) and driver; false when already reported or disabled. */
  once(rule: RuleId, key: string, rec?: IrpRecord | null): boolean {
    if (!this.enabled(rule)) return false;
    const k = `${rule}:${key}`;
    const set = rec ? rec.reported : this.reportedGlobal;
    if (set.has(k)) return false;
    set.add(k);
    return true;
  }
  private readonly reportedGlobal = new Set<string>();

  /** Records a finding (a non-fatal rule) with its text, fix, source line and the IRP's timeline. */
  finding(rule: RuleId, r: Report): void {
    if (!this.enabled(rule)) return;
    const info = RULES[rule];
    this.machine.addFinding({
      rule,
      code: r.codeText ?? info.code,
      driver: r.driver,
      message: `${r.text} ${info.fix}`,
      source: r.source !== undefined ? r.source : this.site(),
      routine: r.routine ?? null,
      irp: r.rec?.label ?? null,
      timeline: this.timeline(r.rec),
    });
  }

  /** Halts the machine with the code Driver Verifier documents (returns when the rule is disabled). */
  bugCheck(rule: RuleId, code: number, p: readonly [number, number, number, number], r: Report): void {
    if (!this.enabled(rule)) return;
    const info = RULES[rule];
    this.machine.bugCheck(code, p[0], p[1], p[2], p[3], {
      detail: `${r.text} ${info.fix}`,
      driver: r.driver,
      irp: r.rec?.label ?? null,
      rule: `${r.codeText ?? info.code} ${rule}`,
      routine: r.routine ?? null,
      timeline: this.timeline(r.rec),
      ...(r.source !== undefined ? { source: r.source } : {}),
    });
  }
}

/**
 * Attaches a verifier to a machine: Driver Verifier's I/O checks and the static IRP rules, for
 * every loaded driver or the ones `options.drivers` names. Returns it (detach() removes it).
 */
export function attachVerifier(machine: Machine, options: VerifierOptions = {}): Verifier {
  if (attachedTo.has(machine)) {
    throw new Error("A verifier is already attached to this machine: detach it first (an IRP carries one verifier's watch).");
  }
  const v = new Verifier(machine, options);
  v.install();
  attachedTo.add(machine);
  v.onDetach(() => attachedTo.delete(machine));
  return v;
}

/** Machines with a verifier attached (one each). */
const attachedTo = new WeakSet<Machine>();
