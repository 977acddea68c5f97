import { expect } from "chai";
import { GuidedChooser, DefaultChooser } from "../../explore/choosers.js";
import type { Chooser, Decision, Deviation } from "../../explore/decisions.js";
import { targetOf } from "../../explore/explore.js";
import { runSchedule } from "../../explore/run-schedule.js";
import { runScenario, type Scenario } from "../../scenario/scenario.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { notifyScenario } from "../../samples/notify/scenario.js";
import { loadDriver } from "../../io-manager/driver.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { setIrpWatch, type IRP } from "../../io-manager/irp.js";
import { eligibleActions } from "../../explore/actions.js";
import { Machine } from "../../kernel/machine.js";
import * as w from "../../win32/index.js";
import { IOCTL_PEND, IOCTL_COMPLETE_ALL, makePender } from "../io-manager/pender-driver.js";

/** A chooser that records every decision it sees and takes the default. */
class Watcher implements Chooser {
  readonly seen: { kind: string; site: string; labels: string[] }[] = [];
  choose(d: Decision): number {
    this.seen.push({ kind: d.kind, site: d.site, labels: d.labels() });
    return 0;
  }
}

/**
 * A chooser that injects the options it is given, by name, in order, starting at the first
 * decision that offers every option named in `when`, and then only at that decision's site.
 */
class Script implements Chooser {
  readonly seen: { site: string; labels: string[] }[] = [];
  private started = false;
  private site: string | null = null;
  constructor(
    private readonly wanted: string[],
    private readonly when: string[] = [],
  ) {}
  choose(d: Decision): number {
    const labels = d.labels();
    this.seen.push({ site: d.site, labels });
    this.started ||= this.when.every((x) => labels.includes(x));
    const next = this.wanted[0];
    const i = next === undefined || !this.started || (this.site !== null && d.site !== this.site) ? -1 : labels.indexOf(next);
    if (i > 0) {
      this.wanted.shift();
      this.site = d.site;
      return i;
    }
    return 0;
  }
}

/** An app with two requests pended on the Pender driver at once. */
const twoPends: Scenario = {
  name: "two-pends",
  summary: "two pended requests, then completed",
  injections: { cancel: 2 },
  async run(ctx) {
    await loadDriver(ctx.machine, "Pender", makePender("Pender", {}));
    ctx.machine.createProcess("app.exe", async () => {
      const h = await w.CreateFile("\\\\.\\Pender", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, w.FILE_FLAG_OVERLAPPED, 0);
      // Each request's event, when it pended (a request failed at once signals nothing).
      const issue = async (): Promise<number[]> => {
        const ov = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
        ov.hEvent = w.CreateEvent(null, true, false, null);
        const ok = await w.DeviceIoControl(h, IOCTL_PEND, 0, 0, 0, 0, 0, ov);
        return !ok && w.GetLastError() === w.ERROR_IO_PENDING ? [ov.hEvent] : [];
      };
      const events = [...(await issue()), ...(await issue())];
      const ov = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
      ov.hEvent = w.CreateEvent(null, true, false, null);
      await w.DeviceIoControl(h, IOCTL_COMPLETE_ALL, 0, 0, 0, 0, 0, ov);
      if (events.length > 0) await w.WaitForMultipleObjects(events.length, events, true, w.INFINITE);
      await w.CloseHandle(h);
    });
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.outcome);
  },
};

describe("explore: injections as decisions", () => {
  it("the default choice never injects: the explored default run's trace is the plain run's, byte for byte, but for the decisions", async () => {
    const plain = await runScenario(sharebufScenario, { trace: true });
    const explored = await runSchedule(targetOf(sharebufScenario), new DefaultChooser(), { trace: true, keepResult: true });
    const strip = (events: readonly { kind: string }[]) => JSON.stringify(events.filter((e) => e.kind !== "Decision").map((e) => ({ ...e, seq: 0 })));
    expect(explored.injections).to.deep.equal([]);
    expect(explored.result?.machine.injected).to.deep.equal([]);
    expect(explored.failures).to.deep.equal([]);
    expect(strip(explored.result?.events ?? [])).to.equal(strip(plain.events));
  });

  it("an injection decision offers nothing but the events eligible there: no cancel before the request exists, no kill once the app is gone", async () => {
    const watcher = new Watcher();
    await runSchedule(targetOf(sharebufScenario), watcher);
    const injects = watcher.seen.filter((d) => d.kind === "inject");
    expect(injects.length).to.be.greaterThan(10);
    for (const d of injects) expect(d.labels[0]).to.equal("no injection");
    // The first decisions come once the app runs (DriverEntry has nobody to kill or cancel).
    expect(injects[0]?.site).to.equal("IoCompleteRequest in SharebufCreateClose");
    expect(injects[0]?.labels).to.deep.equal(["no injection", "kill sharebuf.exe"]);
    const withCancel = injects.find((d) => d.labels.includes("cancel irp#2"));
    expect(withCancel?.site).to.equal("MmMapLockedPagesSpecifyCache in SharebufDeviceControl");
    // DriverUnload runs after the app has exited: nothing to inject.
    expect(injects.some((d) => d.site.includes("SharebufUnload"))).to.equal(false);
  });

  it("the budget bounds the injections: once a run has used it, no more injection decisions are offered", async () => {
    const script = new Script(["kill sharebuf.exe"]);
    const o = await runSchedule(targetOf(sharebufScenario, { budget: { death: 1 } }), script);
    expect(o.injections.map((i) => i.label)).to.deep.equal(["kill sharebuf.exe"]);
    const after = script.seen.findIndex((d) => d.labels.includes("kill sharebuf.exe"));
    expect(script.seen.slice(after + 1)).to.deep.equal([]);
    expect(o.failures).to.deep.equal([]);
  });

  it("two injections at one point that touch different IRPs commute: they are offered in one order only", async () => {
    // irp#2 and irp#3 are the two pended requests; both are offered once the second has pended.
    const target = targetOf(twoPends);
    const both = ["cancel irp#2", "cancel irp#3"];
    const forward = new Script(["cancel irp#2", "cancel irp#3"], both);
    const a = await runSchedule(target, forward);
    expect(a.injections.map((i) => i.label)).to.deep.equal(["cancel irp#2", "cancel irp#3"]);
    expect(a.injections[0]?.point).to.equal(a.injections[1]?.point);
    const first = forward.seen.findIndex((d) => both.every((x) => d.labels.includes(x)));
    const repeat = forward.seen.slice(first + 1).find((d) => !d.site.includes("PenderCancel"));
    expect(repeat?.site).to.equal(forward.seen[first]?.site);
    expect(repeat?.labels).to.deep.equal(["no injection", "cancel irp#3"]);
    // In the other order, once irp#3 is cancelled at that point, irp#2 is no longer offered there.
    const backward = new Script(["cancel irp#3", "cancel irp#2"], both);
    const b = await runSchedule(target, backward);
    expect(b.injections[0]?.label).to.equal("cancel irp#3");
    // After the cancel routine's own points, the decision that follows is not a second one at
    // that point offering irp#2: the driver goes on to its next call.
    const at = backward.seen.findIndex((d) => both.every((x) => d.labels.includes(x)));
    const following = backward.seen.slice(at + 1).find((d) => !d.site.includes("PenderCancel"));
    expect(following === undefined || following.site !== backward.seen[at]?.site || !following.labels.includes("cancel irp#2")).to.equal(true);
    expect(following).to.not.equal(undefined);
    expect(a.failures).to.deep.equal([]);
    expect(b.failures).to.deep.equal([]);
  });

  it("a timer fired early while the driver holds its lock runs its DPC on another processor as soon as the lock is released", async () => {
    const wanted: Deviation[] = [{ ordinal: 0, kind: "inject", choice: 1, of: 2, site: "KeReleaseSpinLock in NotifyDeviceControl", occurrence: 0, option: "fire NotifyTimer early", instead: "no injection" }];
    const o = await runSchedule(targetOf(notifyScenario, { budget: { timer: 1 } }), new GuidedChooser(wanted), { trace: true, keepResult: true });
    expect(o.injections.map((i) => i.label)).to.deep.equal(["fire NotifyTimer early"]);
    const events = o.result?.events ?? [];
    const injected = events.findIndex((e) => e.kind === "Injection");
    const released = events.findIndex((e, i) => i > injected && e.kind === "SpinLockReleased" && e.lock === "NotifyLock");
    const dpc = events.findIndex((e, i) => i > injected && e.kind === "DpcStart");
    expect(injected).to.be.greaterThan(-1);
    expect(released).to.be.greaterThan(injected);
    expect(dpc).to.be.greaterThan(released);
    const app = events[injected]?.tid;
    expect(events[dpc]?.tid).to.not.equal(app);
    expect(o.failures).to.deep.equal([]);
  });
  it("deciding which requests a cancel may target reads no WDK member of an IRP, so a verifier never takes the explorer's look at Irp->Cancel for the driver's check", async () => {
    const m = new Machine();
    await loadDriver(m, "Pender", makePender("Pender", {}));
    let pended = false;
    m.createProcess("app.exe", async () => {
      const h = await w.CreateFile("\\\\.\\Pender", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, w.FILE_FLAG_OVERLAPPED, 0);
      const ov = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
      await w.DeviceIoControl(h, IOCTL_PEND, 0, 0, 0, 0, 0, ov);
      pended = true;
      await w.Sleep(w.INFINITE);
    });
    await m.run({ until: () => pended });
    const touched: string[] = [];
    const irps = [...ioManager(m).liveIrps] as IRP[];
    for (const irp of irps) setIrpWatch(irp, { irpAccessed: (_i, member) => touched.push(member) });
    const actions = eligibleActions(m, { death: 0, cancel: 1, close: 0, timer: 0, fault: 0, forcePending: 0, surpriseRemove: 0, sleep: 0 });
    expect(actions.map((a) => a.kind)).to.deep.equal(["cancel"]);
    expect(touched).to.deep.equal([]);
  });
});
