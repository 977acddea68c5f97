import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { exploreScenario } from "../../explore/explore.js";
import { findScenario } from "../../samples/index.js";
import { kmdfIoctlScenario } from "../../samples/kmdf-ioctl/scenario.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/kmdf-ioctl: a non-PnP KMDF control device serving the four buffering methods", function () {
  this.timeout(120_000);

  it("every check passes under the verifier: each method's reply reaches the app, METHOD_NEITHER is probed and locked in EvtIoInCallerContext, a bad address fails the probe, nothing leaks", async () => {
    const r = await runScenario(kmdfIoctlScenario);
    expect(r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`)).to.deep.equal([]);
    expect(r.findings).to.deep.equal([]);
    expect(r.passed).to.equal(true);
  });

  it("the timeline shows the framework between the I/O manager and the driver: the request it made of each IRP and the Evt callbacks", async () => {
    const r = await runScenario(kmdfIoctlScenario, { trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.match(/KmdfIoctl!IoctlEvtIoInCallerContext/);
    expect(text).to.match(/KmdfIoctl!IoctlEvtIoDeviceControl/);
    expect(text).to.match(/WDFREQUEST#\d+ \(irp#\d+\) delivered/);
  });

  it("is shipped: irpsim list shows it", () => {
    expect(findScenario("kmdf-ioctl")).to.equal(kmdfIoctlScenario);
  });

  it("every schedule with at most two injections (a cancel, the app's death) and preemptions passes", async () => {
    const r = await exploreScenario(kmdfIoctlScenario, { strategy: "dfs", bound: 2 });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(50);
  });
});
