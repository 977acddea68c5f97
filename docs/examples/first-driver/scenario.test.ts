/**
 * The Ticker driver under mocha, as docs/your-first-driver.md runs it: the deterministic run
 * passes, the explorer finds the cancel race in the driver as first written, its replay string
 * fails the same way every time, and the fixed driver survives the same schedule and the search.
 */
// #region test
import assert from "node:assert/strict";
import { explore, ExplorationFailure, replaySchedule, runScenario } from "irpsim";
import ticker from "./scenario.js";
import tickerFixed from "./scenario-fixed.js";

describe("Ticker driver (docs/your-first-driver.md)", function () {
  this.timeout(120_000);
  let replay = "";

  it("passes its deterministic run", async () => {
    const result = await runScenario(ticker);
    assert.ok(result.passed, result.checks.filter((c) => !c.passed).map((c) => c.name).join(", "));
  });

  it("as first written, fails when a cancel lands while the DPC holds the queue lock", async () => {
    const failure = await explore(ticker, { strategy: "dfs", bound: 2 }).then(
      () => assert.fail("the explorer found no failure"),
      (e: unknown) => e,
    );
    assert.ok(failure instanceof ExplorationFailure);
    assert.match(failure.message, /MULTIPLE_IRP_COMPLETE_REQUESTS/);
    replay = failure.report.explained[0]?.replay ?? "";
  });

  it("its replay string fails the same way, decision for decision", async () => {
    const r = await replaySchedule(ticker, replay);
    assert.equal(r.mismatch, null);
    assert.equal(r.result.run?.bugCheck?.name, "MULTIPLE_IRP_COMPLETE_REQUESTS");
  });

  it("fixed, the same schedule passes", async () => {
    const r = await replaySchedule(tickerFixed, replay);
    assert.ok(r.result.passed);
  });

  it("fixed, survives every cancel and death up to bound 2", async () => {
    await explore(tickerFixed, { strategy: "dfs", bound: 2 });
  });
});
// #endregion test
