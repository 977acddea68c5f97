import { expect } from "chai";
import { exploreScenario } from "../../explore/explore.js";
import { runScenario } from "../../scenario/scenario.js";
import { ioctlScenario } from "../../samples/ioctl/scenario.js";
import { findScenario } from "../../samples/index.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/ioctl: the four METHOD_* transfer methods, each answer checked by the app", function () {
  this.timeout(120_000);

  it("runs clean under the verifier: every method's answer is right, the kernel pointer gets ERROR_NOACCESS, the small buffer ERROR_INSUFFICIENT_BUFFER, nothing leaks", async () => {
    const r = await runScenario(ioctlScenario);
    const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).to.deep.equal([]);
    expect(r.verifier).to.not.equal(null);
    expect(r.findings).to.deep.equal([]);
    expect(r.passed).to.equal(true);
    expect(r.checks.filter((c) => c.name.startsWith("METHOD_")).length).to.equal(7);
  });

  it("the timeline names each control code as the driver declared it and shows the MDLs of the direct methods", async () => {
    const r = await runScenario(ioctlScenario, { trace: true });
    const text = formatTextTimeline(r.events);
    for (const name of ["IOCTL_METHODS_BUFFERED", "IOCTL_METHODS_IN_DIRECT", "IOCTL_METHODS_OUT_DIRECT", "IOCTL_METHODS_NEITHER"]) expect(text).to.include(name);
    expect(r.events.filter((e) => e.kind === "MdlLocked").length).to.equal(2);
  });

  it("explore dfs bound 2 with death, cancel and close injections finds no failing schedule", async () => {
    const r = await exploreScenario(ioctlScenario, { strategy: "dfs", bound: 2, budget: { death: 1, cancel: 1, close: 1 } });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(50);
  });

  it("is shipped: irpsim list and irpsim run know it by name", () => {
    expect(findScenario("ioctl")).to.equal(ioctlScenario);
  });
});
