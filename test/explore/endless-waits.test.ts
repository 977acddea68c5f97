import { expect } from "chai";
import { CreateEvent, INFINITE, WaitForSingleObject } from "irpsim/win32";
import { exploreScenario, replaySchedule } from "../../explore/explore.js";
import { runScenario, type Scenario } from "../../scenario/scenario.js";
import { failuresOf } from "../../explore/failure.js";
import { BEACON_ENDLESS_WAIT, beaconScenario } from "../fixtures/beacon-scenario.js";

describe("explore: a scenario declares the user-mode waits an injection may leave endless", function () {
  this.timeout(60_000);

  it("without the declaration, a handle closed under a waiting app is found as a deadlock", async () => {
    const r = await exploreScenario(beaconScenario(false), { strategy: "dfs", bound: 2 });
    expect(r.failures.map((g) => g.cause)).to.deep.equal(["deadlock"]);
    expect(r.explained[0]?.explanation.summary).to.include("closes handle");
    expect(r.explained[0]?.explanation.summary).to.include("beacon.exe:main waits on event#");
  });

  it("with it, every schedule passes: the hung app is ended, its rundown runs, and the result names the accepted wait and why", async () => {
    const r = await exploreScenario(beaconScenario(true), { strategy: "dfs", bound: 2 });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    // The schedule that deadlocks without the declaration, replayed with it.
    const found = await exploreScenario(beaconScenario(false), { strategy: "dfs", bound: 2, stopAtFirstFailure: true });
    const replay = (found.explained[0]?.replay ?? "").replace(":beacon:", ":beacon-declared:");
    const back = await replaySchedule(beaconScenario(true), replay);
    expect(back.failures).to.deep.equal([]);
    expect(back.mismatch).to.equal(null);
    expect(back.result.endlessWaits).to.have.length(1);
    expect(back.result.endlessWaits[0]).to.include("beacon.exe:main waits on event#").and.include(BEACON_ENDLESS_WAIT.reason);
    const app = back.result.machine.processes.find((p) => p.name === "beacon.exe");
    expect(app?.state).to.equal("exited");
    expect(back.result.checks.filter((c) => !c.passed)).to.deep.equal([]);
    expect(back.result.events.some((e) => e.kind === "Note" && JSON.stringify(e).includes("accepted: beacon.exe:main"))).to.equal(true);
  });

  it("an undisturbed run that waits for ever is still a deadlock, declared or not: only an injection makes the wait legitimate", async () => {
    const scenario: Scenario = {
      name: "waits-undisturbed",
      summary: "an app waits on an event nobody sets",
      endlessWaits: [{ thread: "waiter.exe", reason: "nobody sets it" }],
      async run(ctx) {
        ctx.machine.createProcess("waiter.exe", async () => {
          const e = CreateEvent(null, true, false, null);
          await WaitForSingleObject(e, INFINITE);
        });
        await ctx.run();
      },
    };
    const r = await runScenario(scenario);
    expect(r.endlessWaits).to.deep.equal([]);
    expect(failuresOf(r).map((f) => f.cause)).to.include("deadlock");
  });

  it("a declaration for another thread does not cover the wait", async () => {
    const other: Scenario = { ...beaconScenario(false), name: "beacon", endlessWaits: [{ thread: "other.exe", reason: "not this one" }] };
    const r = await exploreScenario(other, { strategy: "dfs", bound: 2, stopAtFirstFailure: true });
    expect(r.failures[0]?.cause).to.equal("deadlock");
  });
});
