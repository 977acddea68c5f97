/**
 * The events an explorer can inject at a decision point, found from the machine's state: each
 * pending request of a live app can be cancelled, each live app can die, each open file handle
 * can be closed, the earliest set timer can fire early. Each action says what it touches, so
 * the search can skip orders of injections that commute.
 *
 * This runs at every kernel call a driver makes during exploration, so actions are plain
 * records whose words and footprints are computed only when asked for.
 */
import type { Machine } from "../kernel/machine.js";
import type { KProcess } from "../kernel/process.js";
import type { KTIMER } from "../kernel/timer.js";
import { FILE_OBJECT } from "../io-manager/file-object.js";
import { injectCancel, injectHandleClose, injectProcessDeath, injectTimerEarly } from "../io-manager/inject.js";
import { injectSurpriseRemoval, requestsInFlight, type DeviceNode } from "../io-manager/pnp.js";
import { canInjectSleep, injectSleep } from "../io-manager/power-manager.js";
import { IRP_CLOSE_OPERATION, IRP_CREATE_OPERATION } from "../io-manager/constants.js";
import { listEntries } from "../kernel/list-entry.js";
import type { IRP } from "../io-manager/irp.js";
import type { InjectionKind } from "../scenario/injections.js";

/** Per-kind counts still allowed in this run. */
export type Remaining = Record<InjectionKind, number>;

/** One injectable event. */
export class InjectionAction {
  private constructor(
    readonly kind: "death" | "cancel" | "close" | "timer" | "surpriseRemove" | "sleep",
    /** A total order on actions, for the canonical order of commuting injections. */
    readonly order: number,
    private readonly process: KProcess | null,
    private readonly irp: IRP | null,
    private readonly handle: number,
    private readonly file: FILE_OBJECT | null,
    private readonly timer: KTIMER | null,
    private readonly node: DeviceNode | null = null,
  ) {}

  static death(p: KProcess): InjectionAction {
    return new InjectionAction("death", 1e9 + p.pid, p, null, 0, null, null);
  }
  static cancel(irp: IRP, requester: KProcess): InjectionAction {
    return new InjectionAction("cancel", 2e9 + irp.id, requester, irp, 0, null, null);
  }
  static close(p: KProcess, handle: number, fo: FILE_OBJECT): InjectionAction {
    return new InjectionAction("close", 3e9 + p.pid * 1e5 + handle, p, null, handle, fo, null);
  }
  static fireTimer(timer: KTIMER): InjectionAction {
    return new InjectionAction("timer", 4e9, null, null, 0, null, timer);
  }
  static surpriseRemove(node: DeviceNode, index: number): InjectionAction {
    return new InjectionAction("surpriseRemove", 5e9 + index, null, null, 0, null, null, node);
  }

  static sleep(): InjectionAction {
    return new InjectionAction("sleep", 6e9, null, null, 0, null, null);
  }

  /** Stable words for the event ("cancel irp#2", "kill sharebuf.exe"): the same run to run. */
  get label(): string {
    switch (this.kind) {
      case "death":
        return `kill ${this.process?.name ?? "?"}`;
      case "cancel":
        return `cancel ${this.irp?.label ?? "?"}`;
      case "close":
        return `close handle ${this.handle} of ${this.process?.name ?? "?"} (${this.file?.label ?? "?"})`;
      case "timer":
        return `fire ${this.timer?.label ?? "?"} early`;
      case "surpriseRemove":
        return `surprise-remove ${this.node?.instanceId ?? "?"}`;
      case "sleep":
        return "sleep and wake";
    }
  }

  /** The event as a sentence's subject and verb ("sharebuf.exe is killed"). */
  get words(): string {
    const p = this.process?.name ?? "?";
    switch (this.kind) {
      case "death":
        return `${p} is killed`;
      case "cancel": {
        const irp = this.irp;
        return `CancelIoEx from another thread of ${p} cancels ${irp?.label ?? "?"}${irp?.dispatchedRoutine ? `, its request to ${irp.dispatchedRoutine},` : ""}`;
      }
      case "close":
        return `another thread of ${p} closes handle ${this.handle} (${this.file?.label ?? "?"})`;
      case "timer":
        return `${this.timer?.label ?? "a timer"} fires early and its DPC runs on another processor`;
      case "surpriseRemove":
        return `${this.node?.instanceId ?? "the device"} is unplugged (surprise removal) while requests are in flight`;
      case "sleep":
        return "the system sleeps (S3) and wakes while requests are in flight";
    }
  }

  /** What the event touches ("irp#2", "process 8", "file#1"); "*" for everything. */
  footprint(): string[] {
    const p = this.process;
    switch (this.kind) {
      case "death": {
        const out = [`process ${p?.pid ?? 0}`];
        for (const t of p?.threads ?? []) for (const irp of listEntries(t.IrpList)) out.push((irp as IRP).label);
        for (const [, e] of p?.handleTable.handles() ?? []) if (e.object instanceof FILE_OBJECT) out.push(e.object.label);
        return out;
      }
      case "cancel":
        return [this.irp?.label ?? "?"];
      case "close": {
        const out = [this.file?.label ?? "?"];
        for (const t of p?.threads ?? []) for (const irp of listEntries(t.IrpList)) if ((irp as IRP).OriginalFileObject === this.file) out.push((irp as IRP).label);
        return out;
      }
      case "timer":
      case "surpriseRemove":
      case "sleep":
        // A DPC, a device going away or a sleep may touch anything: it commutes with nothing.
        return ["*"];
    }
  }

  /** Injects the event now. */
  perform(m: Machine): void {
    switch (this.kind) {
      case "death":
        if (this.process) injectProcessDeath(m, this.process, 1);
        return;
      case "cancel":
        if (this.irp && this.process) injectCancel(m, this.irp, this.process, `CancelIoEx from another thread of ${this.process.name}`);
        return;
      case "close":
        if (this.process) injectHandleClose(m, this.process, this.handle);
        return;
      case "timer":
        if (this.timer) injectTimerEarly(m, this.timer);
        return;
      case "surpriseRemove":
        if (this.node) injectSurpriseRemoval(m, this.node);
        return;
      case "sleep":
        injectSleep(m);
        return;
    }
  }
}

/** True when two actions may not be reordered: what one touches, the other touches too. */
export function conflicts(a: InjectionAction, b: InjectionAction): boolean {
  const fb = b.footprint();
  for (const x of a.footprint()) {
    if (x === "*") return true;
    for (const y of fb) if (y === "*" || x === y) return true;
  }
  return false;
}

/**
 * A request an app's thread issued that a driver holds now (dispatched, not completed, not yet
 * cancelled). Reads the IRP's fields, not its WDK members: a verifier would take a read of
 * Irp->Cancel here for the driver's own check.
 */
function cancellableBy(irp: IRP, m: Machine): KProcess | null {
  if (!irp.allocated || irp.completed || irp.cancelRequested || irp.origin !== "service") return null;
  if (irp.Flags & (IRP_CREATE_OPERATION | IRP_CLOSE_OPERATION) || irp.CurrentLocation > irp.StackCount) return null;
  const t = irp.Thread;
  if (!t || irp.OriginalFileObject === null) return null;
  const p = t.process;
  return p !== m.systemProcess && p.state === "active" ? p : null;
}

/** The actions eligible now within `remaining`, in a fixed order. */
export function eligibleActions(m: Machine, remaining: Remaining): InjectionAction[] {
  const out: InjectionAction[] = [];
  if (remaining.death > 0 || remaining.close > 0) {
    for (const p of m.processes) {
      if (p === m.systemProcess || p.state !== "active") continue;
      if (remaining.death > 0) out.push(InjectionAction.death(p));
    }
  }
  if (remaining.cancel > 0 && m.io && m.io.liveIrps.size > 0) {
    const first = out.length;
    for (const irp of m.io.liveIrps) {
      const p = cancellableBy(irp, m);
      if (p) out.push(InjectionAction.cancel(irp, p));
    }
    if (out.length - first > 1) {
      const sorted = out.splice(first).sort((a, b) => a.order - b.order);
      out.push(...sorted);
    }
  }
  if (remaining.close > 0) {
    for (const p of m.processes) {
      if (p === m.systemProcess || p.state !== "active") continue;
      for (const [h, e] of p.handleTable.handles()) {
        if (e.object instanceof FILE_OBJECT && !e.protectFromClose) out.push(InjectionAction.close(p, h, e.object));
      }
    }
  }
  if (remaining.timer > 0) {
    const timer = m.earliestTimer();
    if (timer) out.push(InjectionAction.fireTimer(timer));
  }
  if (remaining.surpriseRemove > 0 && m.pnp) {
    const nodes = m.pnp.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i] as DeviceNode;
      if (n.state === "started" && requestsInFlight(m, n)) out.push(InjectionAction.surpriseRemove(n, i));
    }
  }
  if (remaining.sleep > 0 && m.pnp && canInjectSleep(m) && m.pnp.nodes.some((n) => n.state === "started" && requestsInFlight(m, n))) out.push(InjectionAction.sleep());
  return out;
}
