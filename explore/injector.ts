/**
 * The explorer's hooks in a machine: at every kernel routine a driver calls (and as the routines
 * whose return matters return), at every allocation and at every driver's IoCallDriver, it offers
 * the run's chooser a decision — inject nothing (option 0, the default), or one of the events
 * the scenario's budget still allows. Only the events eligible at that moment are offered.
 */
import type { Machine } from "../kernel/machine.js";
import { callerSite } from "../kernel/source-location.js";
import { ioManager } from "../io-manager/io-manager.js";
import { INJECTION_KINDS, type InjectionBudget } from "../scenario/injections.js";
import { conflicts, eligibleActions, type InjectionAction, type Remaining } from "./actions.js";
import type { SiteContext } from "./decisions.js";

/** One injection as it happened, for explanations. */
export interface InjectionRecord {
  /** The machine's decision ordinal. */
  readonly ordinal: number;
  readonly label: string;
  /** The event in words ("sharebuf.exe is killed"). */
  readonly words: string;
  readonly kind: string;
  /** The kernel routine (or "/return" point) where it landed. */
  readonly point: string;
  /** Who was running, in words ("dispatch routine SharebufDeviceControl on sharebuf.exe:main"). */
  readonly context: string;
}

/** A kernel routine a driver called (or returned from), as explanations need it. */
export interface PointRecord {
  readonly point: string;
  readonly context: string;
  /** The driver's source line that called the routine, when source maps tell it. */
  readonly source: string | null;
  /** The decision ordinal the next decision will have (injections here have this one or later). */
  readonly ordinal: number;
}

/** Installs the explorer's decision points on a machine, for one run with one budget. */
export class Injector {
  private readonly remaining: Remaining;
  private total = 0;
  /** Every injection performed, in order. */
  readonly injections: InjectionRecord[] = [];

  constructor(
    private readonly m: Machine,
    budget: InjectionBudget,
    private readonly sites: SiteContext,
    private readonly pointLog: PointRecord[] | null = null,
  ) {
    const r = {} as Remaining;
    for (const k of INJECTION_KINDS) {
      r[k] = Math.max(0, Math.floor(budget[k] ?? 0));
      this.total += r[k];
    }
    this.remaining = r;
  }

  /** Hooks the machine (nothing is hooked for kinds the budget does not allow). */
  install(): void {
    const m = this.m;
    const r = this.remaining;
    if (r.cancel + r.death + r.close + r.timer + r.surpriseRemove + r.sleep > 0 || this.pointLog) m.injector = this.atPoint;
    if (r.fault > 0) m.allocationFailure = this.atAllocation;
    if (r.forcePending > 0) ioManager(m).forcePendingInjector = this.atCallDriver;
  }

  private where(point: string): string {
    const a = this.m.currentActivity();
    return a ? `${point} in ${a.name}` : `${point} on ${this.m.runningThread()?.label ?? "no thread"}`;
  }

  private record(ordinal: number, label: string, words: string, kind: string, point: string): void {
    this.injections.push({ ordinal, label, words, kind, point, context: this.m.describeContext() });
  }

  private readonly atPoint = (point: string): void => {
    const m = this.m;
    if (this.pointLog) this.pointLog.push({ point, context: m.describeContext(), source: callerSite(), ordinal: m.decisions.length });
    if (this.total === 0) return;
    const r = this.remaining;
    if (r.cancel + r.death + r.close + r.timer + r.surpriseRemove + r.sleep === 0) return;
    let previous: InjectionAction | null = null;
    for (;;) {
      let actions = eligibleActions(m, r);
      // A second injection at the same point: orders of injections that commute are tried once.
      const prev = previous;
      if (prev) actions = actions.filter((a) => a.order > prev.order || conflicts(a, prev));
      if (actions.length === 0) return;
      this.sites.site = this.where(point);
      const ordinal = m.decisions.length;
      const choice = m.decide("inject", actions.length + 1, () => ["no injection", ...actions.map((a) => a.label)]);
      this.sites.site = null;
      const chosen = choice > 0 ? actions[choice - 1] : undefined;
      if (!chosen) return;
      r[chosen.kind]--;
      this.total--;
      this.record(ordinal, chosen.label, chosen.words, chosen.kind, point);
      chosen.perform(m);
      if (this.total === 0 || m.halted) return;
      previous = chosen;
    }
  };

  private readonly atAllocation = (site: string): boolean => {
    if (this.remaining.fault <= 0 || this.m.runningThread() === null) return false;
    const m = this.m;
    if (this.pointLog) this.pointLog.push({ point: `allocation ${site}`, context: m.describeContext(), source: callerSite(), ordinal: m.decisions.length });
    this.sites.site = this.where(`allocation ${site}`);
    const ordinal = m.decisions.length;
    const choice = m.decide("fault", 2, () => ["allocate", `fail ${site}`]);
    this.sites.site = null;
    if (choice === 0) return false;
    this.remaining.fault--;
    this.total--;
    m.injected.push(`${site} fails`);
    if (m.trace.on) m.trace.emit("Injection", { action: "fault", detail: `${site} fails (fault injection)`, at: m.describeContext() });
    this.record(ordinal, `fail ${site}`, `${site} fails (fault injection)`, "fault", `allocation ${site}`);
    return true;
  };

  private readonly atCallDriver = (irp: { label: string }, device: { label: string }): boolean => {
    if (this.remaining.forcePending <= 0) return false;
    const m = this.m;
    this.sites.site = this.where("IoCallDriver");
    const ordinal = m.decisions.length;
    const choice = m.decide("forcePending", 2, () => ["call", `force STATUS_PENDING from IoCallDriver(${irp.label}) to ${device.label}`]);
    this.sites.site = null;
    if (choice === 0) return false;
    this.remaining.forcePending--;
    this.total--;
    this.record(ordinal, `force STATUS_PENDING from IoCallDriver(${irp.label})`, `IoCallDriver(${irp.label}) to ${device.label} returns STATUS_PENDING (Force Pending I/O Requests)`, "forcePending", "IoCallDriver");
    return true;
  };
}
