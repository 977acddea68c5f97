import { expect } from "chai";
import { exploreScenario } from "../../explore/explore.js";
import { runScenario } from "../../scenario/scenario.js";
import { eventScenario } from "../../samples/event/scenario.js";
import { findScenario } from "../../samples/index.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/event: notification by pended IRP and by the app's own event, with the cancel / cleanup / timer-DPC races", function () {
  this.timeout(180_000);

  it("runs clean under the verifier: both modes notify after the delay, the cancel and the cleanup end their registrations, bad handles are refused, the remove lock drains", async () => {
    const r = await runScenario(eventScenario);
    const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).to.deep.equal([]);
    expect(r.verifier).to.not.equal(null);
    expect(r.findings).to.deep.equal([]);
    expect(r.passed).to.equal(true);
  });

  it("the timeline shows the timer DPC in the System context completing the request and setting the app's event, the cancel routine and the cleanup", async () => {
    const r = await runScenario(eventScenario, { trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.include("IOCTL_ALARM_REGISTER");
    expect(text).to.include("DPC Alarm!AlarmTimerDpc runs in System's context");
    expect(text).to.include("Alarm: record 2 fires, setting the app's event");
    expect(text).to.include("Alarm!AlarmCancelRoutine");
    expect(text).to.include("Alarm: cleanup completes");
  });

  it("explore dfs bound 2 with death, cancel, close and early-timer injections finds no failing schedule", async () => {
    const r = await exploreScenario(eventScenario, { strategy: "dfs", bound: 2, budget: { death: 1, cancel: 1, close: 1, timer: 1 } });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(1000);
  });

  it("is shipped: irpsim list and irpsim run know it by name", () => {
    expect(findScenario("event")).to.equal(eventScenario);
  });
});
