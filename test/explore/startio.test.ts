import { expect } from "chai";
import { exploreScenario } from "../../explore/explore.js";
import { startioScenario } from "../../samples/startio/scenario.js";

describe("explore: the startio sample passes dfs with bound 2 completely", function () {
  this.timeout(60_000);
  it("startio: every schedule with at most two injections (a cancel, a death) and preemptions passes, the cancel landing anywhere in IoStartPacket, StartIo, the DPC or the cancel routine", async () => {
    const r = await exploreScenario(startioScenario, { strategy: "dfs", bound: 2 });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(1000);
  });
});
