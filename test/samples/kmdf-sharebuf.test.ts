import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { exploreScenario } from "../../explore/explore.js";
import { findScenario } from "../../samples/index.js";
import { kmdfSharebufScenario } from "../../samples/kmdf-sharebuf/scenario.js";

describe("samples/kmdf-sharebuf: the shared-buffer design the KMDF way", function () {
  this.timeout(180_000);

  for (const ending of ["done-using", "killed", "closed"]) {
    it(`${ending}: every check passes under the verifier — one set of frames behind both addresses, no byte copied, the parked request ended once${ending === "done-using" ? " by DONE_USING" : " through EvtIoCanceledOnQueue"}`, async () => {
      const r = await runScenario(kmdfSharebufScenario, { options: { ending } });
      expect(r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`)).to.deep.equal([]);
      expect(r.findings).to.deep.equal([]);
      expect(r.passed).to.equal(true);
    });
  }

  it("is shipped: irpsim list shows it", () => {
    expect(findScenario("kmdf-sharebuf")).to.equal(kmdfSharebufScenario);
  });

  it("every schedule with at most two injections (a cancel, the app's death) and preemptions passes", async () => {
    const r = await exploreScenario(kmdfSharebufScenario, { strategy: "dfs", bound: 2 });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(100);
  });
});
