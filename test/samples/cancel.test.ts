import { expect } from "chai";
import { exploreScenario } from "../../explore/explore.js";
import { runScenario } from "../../scenario/scenario.js";
import { cancelScenario } from "../../samples/cancel/scenario.js";
import { findScenario } from "../../samples/index.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/cancel: a cancel-safe queue of reads served by a polling system thread", function () {
  this.timeout(180_000);

  it("runs clean under the verifier: readings one sample period apart, the cancelled read and the reads queued at close end with ERROR_OPERATION_ABORTED, unload stops the thread", async () => {
    const r = await runScenario(cancelScenario);
    const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).to.deep.equal([]);
    expect(r.verifier).to.not.equal(null);
    expect(r.findings).to.deep.equal([]);
    expect(r.passed).to.equal(true);
  });

  it("the timeline shows the polling thread completing reads in the System process, the queue's cancel path and the cleanup drain", async () => {
    const r = await runScenario(cancelScenario, { trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.include("System:PollerThread");
    expect(text).to.include("Poller: reading 1 completes");
    expect(text).to.include("Poller: cleanup completes");
    expect(r.events.some((e) => e.kind === "IrpCompleted" && e.statusName === "STATUS_CANCELLED")).to.equal(true);
  });

  it("explore dfs bound 2 with death, cancel and close injections finds no failing schedule", async () => {
    const r = await exploreScenario(cancelScenario, { strategy: "dfs", bound: 2, budget: { death: 1, cancel: 1, close: 1 } });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(1000);
  });

  it("is shipped: irpsim list and irpsim run know it by name", () => {
    expect(findScenario("cancel")).to.equal(cancelScenario);
  });
});
