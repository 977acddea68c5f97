/**
 * The framework's per-machine and per-driver state (KMDF's FX_DRIVER_GLOBALS), entry checks every
 * Wdf routine makes, and WDF_VIOLATION.
 *
 * The KMDF verifier is on for a driver when the machine's verifier verifies it at the time the
 * driver calls WdfDriverCreate (KMDF reads VerifierOn from the driver's service key at that
 * moment too). With it off, misuse gets the framework's documented NTSTATUS, never a bug check.
 */
import "./trace-events.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { irqlName, type KIRQL } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { hex32 } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { ioManager } from "../io-manager/io-manager.js";
import type { DRIVER_OBJECT } from "../io-manager/driver-object.js";
import { KMDF_RULES, type KmdfRuleId } from "./violations.js";

declare module "../kernel/machine.js" {
  interface Machine {
    /** The framework's state, created the first time a driver calls WdfDriverCreate. */
    wdf?: FxMachine;
  }
}

/** FX_DRIVER_GLOBALS: what the framework keeps per client driver. */
export class FxDriverGlobals {
  /** KMDF's VerifierOn for this driver. */
  verifierOn: boolean;
  /** The driver's WDFDRIVER (set by WdfDriverCreate; the default parent of its objects). */
  driverObject: FxObjectLike | null = null;
  constructor(
    readonly machine: Machine,
    /** The driver's short name ("Echo"). */
    readonly name: string,
    readonly DriverObject: DRIVER_OBJECT,
    verifierOn: boolean,
  ) {
    this.verifierOn = verifierOn;
  }
}

/** A framework object as the globals refer to it (object.ts has the class). */
export interface FxObjectLike {
  readonly label: string;
}

/** A framework device as the per-machine state refers to it (device.ts has the class). */
export interface FxDeviceLike {
  readonly label: string;
  readonly globals: FxDriverGlobals;
  readonly machine: Machine;
}

/** Something that is told when its objects change: the framework's per-object bookkeeping. */
export interface FxObjectCounter {
  live: number;
}

/** The framework's state on one machine. */
export class FxMachine {
  private handleSeq = 0;
  /** Client drivers, by DRIVER_OBJECT. */
  readonly drivers = new Map<DRIVER_OBJECT, FxDriverGlobals>();
  /** Framework objects not yet destroyed, by kind, for leak reports. */
  readonly live: FxObjectCounter = { live: 0 };
  /** Queues to dispatch when the event callback running on a thread returns (queue.ts scheduleDispatch). */
  readonly deferred = new Map<KThread, { dispatch(t: KThread): unknown }[]>();
  /** PnP power-downs and removals waiting for driver-owned requests (pnp.ts), by device. */
  readonly pnpWaiters = new Map<object, () => void>();
  /** What those waits are for, reported if the run ends first. */
  readonly leftAtPurge = new Map<FxDeviceLike, { what: string[]; why: string }>();

  private teardownInstalled = false;

  constructor(readonly machine: Machine) {}

  /**
   * Joins the verifier's end-of-run checks: purges, drains and removals still waiting for requests
   * a verified driver never completed are reported (KMDF verifier, RequestLeftAtPurge).
   */
  installTeardown(): void {
    if (this.teardownInstalled) return;
    this.teardownInstalled = true;
    ioManager(this.machine).hooks.push({
      teardown: () => {
        for (const [obj, r] of this.leftAtPurge) {
          fxFinding(this.machine, obj.globals, "RequestLeftAtPurge", `The ${r.why} of ${obj.label} never finished: the driver still owns ${r.what.join(", ")} and never completed ${r.what.length === 1 ? "it" : "them"}.`, null);
        }
        this.leftAtPurge.clear();
      },
    });
  }

  /** A fresh handle value (what a C driver would see as the pointer; stable run to run). */
  nextHandle(): number {
    this.handleSeq++;
    return (0x8a000000 + this.handleSeq * 0x10) >>> 0;
  }

  /** The globals of the driver whose code runs now, if it is a framework client. */
  currentGlobals(): FxDriverGlobals | null {
    const d = this.machine.currentDriver();
    if (d === null) return null;
    for (const g of this.drivers.values()) if (g.name === d) return g;
    return null;
  }
}

/** The machine's framework state. */
export function fxMachine(m: Machine): FxMachine {
  let f = m.wdf;
  if (!f) {
    f = new FxMachine(m);
    m.wdf = f;
  }
  return f;
}

/**
 * Entry to a Wdf routine: a thread runs, in kernel mode, on a live machine; like every kernel
 * routine a driver calls, it is a point where another processor's events may land.
 */
export function fxEnter(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/** Whether the verifier applies: on for this driver (or, with no globals known, for the current driver). */
export function verifierOn(m: Machine, g: FxDriverGlobals | null): boolean {
  if (g) return g.verifierOn;
  const c = m.wdf?.currentGlobals();
  return c ? c.verifierOn : false;
}

/** Parameters of a WDF_VIOLATION beyond the rule. */
export interface ViolationInfo {
  /** Parameter 1 when it differs from the rule's (a stale request handle is 0x5). */
  readonly p1?: number;
  /** Parameter 2 (usually the handle involved). */
  readonly p2?: number;
  /** Parameter 3. */
  readonly p3?: number;
  /** The IRP involved ("irp#3"). */
  readonly irp?: string | null;
  /** The ownership story of the request, one step per line. */
  readonly timeline?: readonly string[];
}

/**
 * Stops the machine with WDF_VIOLATION (0x10D): parameter 1 the framework's code for `rule`,
 * the text saying what is wrong and the usual fix, at the driver's call.
 */
export function fxViolation(m: Machine, g: FxDriverGlobals | null, rule: KmdfRuleId, text: string, info: ViolationInfo = {}): never {
  const r = KMDF_RULES[rule];
  const driver = g?.name ?? m.currentDriver();
  const activity = m.currentActivity();
  const p1 = info.p1 ?? r.p1;
  return m.bugCheck(BugCheckCode.WDF_VIOLATION, p1, info.p2 ?? 0, info.p3 ?? 0, 0, {
    detail: `${text} ${r.fix}`,
    driver,
    irp: info.irp ?? null,
    rule: `0x10D/0x${p1.toString(16).toUpperCase()} ${rule} — ${r.origin}`,
    routine: activity?.name ?? null,
    ...(info.timeline ? { timeline: info.timeline } : {}),
  });
}

/** Records a KMDF verifier finding (a rule that is not a bug check), at the driver's call. */
export function fxFinding(m: Machine, g: FxDriverGlobals | null, rule: KmdfRuleId, text: string, source: string | null, irp: string | null = null): void {
  const r = KMDF_RULES[rule];
  m.addFinding({
    rule,
    code: `0x10D/0x${r.p1.toString(16).toUpperCase()}`,
    driver: g?.name ?? m.currentDriver(),
    message: `${text} ${r.fix}`,
    source,
    routine: m.currentActivity()?.name ?? null,
    irp,
  });
}

/**
 * The IRQL check of a routine documented for IRQL <= `max`: true when the caller is within it.
 * Above it, the verifier stops the machine (0x10D/0xE: p2 the IRQL, p3 the maximum); without the
 * verifier the routine fails as KMDF's own check makes it (the caller returns its status).
 */
export function fxIrqlOk(t: KThread, g: FxDriverGlobals | null, api: string, max: KIRQL): boolean {
  if (t.irql <= max) return true;
  const m = t.machine;
  if (verifierOn(m, g)) {
    fxViolation(m, g, "IrqlTooHigh", `${api} was called at ${irqlName(t.irql)} by ${m.describeContext()}; it may be called at ${irqlName(max)} or below.`, { p2: t.irql, p3: max });
  }
  return false;
}

/** Whether the machine's verifier verifies `driver`'s framework use (IoHooks.verifiesFramework). */
export function frameworkVerified(m: Machine, driver: string): boolean {
  const io = ioManager(m);
  for (const h of io.hooks) if (h.verifiesFramework?.(driver)) return true;
  return false;
}

/** "0x8A000010" for messages. */
export function handleText(h: number): string {
  return `0x${hex32(h)}`;
}
