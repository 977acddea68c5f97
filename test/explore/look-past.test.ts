import { expect } from "chai";
import { explore, ExplorationFailure, exploreScenario, replaySchedule } from "../../explore/explore.js";
import { exploreJson } from "../../explore/report.js";
import { isSuppressed, parseSuppression, SuppressionError, withoutSuppressed } from "../../explore/suppress.js";
import { decodeReplay } from "../../explore/replay-string.js";
import { findScenario } from "../../samples/index.js";
import { twoBugsScenario } from "../fixtures/two-bugs-scenario.js";

describe("explore: a failing undisturbed run stops the search at once", function () {
  this.timeout(60_000);

  it("the report is that one schedule and its cause: no strategy runs, no more failures than schedules", async () => {
    const s = findScenario("buggy/request-dropped");
    if (!s) throw new Error("no buggy/request-dropped");
    const r = await exploreScenario(s);
    expect(r.undisturbedFailure).to.equal(true);
    expect(r.strategies).to.deep.equal([]);
    expect(r.schedules).to.equal(1);
    expect(r.failures.map((g) => [g.cause, g.count])).to.deep.equal([["bug check 0x000000C9 DRIVER_VERIFIER_IOMANAGER_VIOLATION", 1]]);
    expect(r.statement).to.match(/^the undisturbed run \(no injection, no preemption\) already fails with bug check 0x000000C9/);
    expect(r.explained[0]?.deviations).to.deep.equal([]);
    expect(r.explained[0]?.reproduced).to.equal(true);
    const json = exploreJson(r) as { schedules: number; undisturbedFailure: boolean; failures: { count: number }[] };
    expect(json.schedules).to.equal(1);
    expect(json.undisturbedFailure).to.equal(true);
    expect(json.failures[0]?.count).to.equal(1);
  });

  it("explore() throws it for a user's test, with the driver's source line and routine in the message", async () => {
    let caught: unknown = null;
    try {
      await explore(twoBugsScenario);
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(ExplorationFailure);
    const message = (caught as Error).message;
    expect(message).to.include("the undisturbed run (no injection, no preemption) already fails with finding MarkedWithoutPending");
    expect(message).to.match(/at test\/fixtures\/two-bugs-scenario\.ts:\d+:\d+ \(SharebufDoneUsing\), in SharebufDeviceControl/);
  });
});

describe("explore: suppressing a known cause finds the bug behind it", function () {
  this.timeout(120_000);

  it("with the first bug (0xC9/0x23E MarkedWithoutPending) suppressed, dfs finds the cancel window's 0x44; its replay string carries the suppression and reproduces it", async () => {
    const r = await exploreScenario(twoBugsScenario, { strategy: "dfs", bound: 2, stopAtFirstFailure: true, suppress: ["MarkedWithoutPending"] });
    expect(r.undisturbedFailure).to.equal(false);
    expect(r.options.suppress).to.equal("MarkedWithoutPending");
    expect(r.failures.map((g) => g.cause)).to.deep.equal(["bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS"]);
    const e = r.explained[0];
    expect(e?.explanation.summary).to.include("just after IoSetCancelRoutine returns in dispatch routine SharebufDeviceControl");
    const spec = decodeReplay(e?.replay ?? "");
    expect(spec.options.suppress).to.equal("MarkedWithoutPending");
    const back = await replaySchedule(twoBugsScenario, e?.replay ?? "");
    expect(back.mismatch).to.equal(null);
    expect(back.failures[0]?.cause).to.equal("bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    // The suppressed verifier rule is switched off for the runs, as Driver Verifier lets one turn a check off.
    expect(back.result.findings.map((f) => f.rule)).to.not.include("MarkedWithoutPending");
  });

  it("the same suppression given as the 'suppress' option is the same search", async () => {
    const a = await exploreScenario(twoBugsScenario, { strategy: "dfs", bound: 1, suppress: ["MarkedWithoutPending"], shrink: false });
    const b = await exploreScenario(twoBugsScenario, { strategy: "dfs", bound: 1, options: { suppress: "MarkedWithoutPending" }, shrink: false });
    expect(b.options).to.deep.equal(a.options);
    expect(b.schedules).to.equal(a.schedules);
    expect(b.failures.map((g) => [g.cause, g.count])).to.deep.equal(a.failures.map((g) => [g.cause, g.count]));
  });

  it("a suppression is a verifier rule, a bug check code or name, 'finding <rule>', 'check failed: <check>' or an explorer cause; anything else is refused, saying what is accepted", () => {
    expect(parseSuppression("IrpNotHandled")).to.deep.equal({ kind: "rule", rule: "IrpNotHandled", verifierRule: "IrpNotHandled" });
    expect(parseSuppression("0x44")).to.deep.equal({ kind: "bug check", code: 0x44 });
    expect(parseSuppression("0x000000C9")).to.deep.equal({ kind: "bug check", code: 0xc9 });
    expect(parseSuppression("MULTIPLE_IRP_COMPLETE_REQUESTS")).to.deep.equal({ kind: "bug check", code: 0x44 });
    expect(parseSuppression("finding LeakedPool")).to.deep.equal({ kind: "rule", rule: "LeakedPool", verifierRule: "LeakedPool" });
    expect(parseSuppression("deadlock")).to.deep.equal({ kind: "cause", cause: "deadlock" });
    expect(() => parseSuppression("IrpNotHandeld")).to.throw(SuppressionError, /give a verifier rule/);
    const bc = { cause: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS", detail: "", bugCheck: 0x44 };
    expect(isSuppressed(bc, [parseSuppression("0x44")])).to.equal(true);
    expect(isSuppressed(bc, [parseSuppression("0xC9")])).to.equal(false);
    expect(isSuppressed({ cause: "finding IrpNotHandled", detail: "", rule: "IrpNotHandled" }, [parseSuppression("IrpNotHandled")])).to.equal(true);
  });

  it("a run halted by a suppressed bug check keeps only its findings: the checks the halt failed are not another bug", () => {
    const run = [
      { cause: "bug check 0x0000000A IRQL_NOT_LESS_OR_EQUAL", detail: "", bugCheck: 0x0a },
      { cause: "finding IrpUsedAfterRelease", detail: "", rule: "IrpUsedAfterRelease" },
      { cause: "check failed: the run ends cleanly", detail: "" },
    ];
    expect(withoutSuppressed(run, [parseSuppression("0xA")], true).map((f) => f.cause)).to.deep.equal(["finding IrpUsedAfterRelease"]);
    expect(withoutSuppressed(run, [parseSuppression("IrpUsedAfterRelease")], true).map((f) => f.cause)).to.deep.equal(["bug check 0x0000000A IRQL_NOT_LESS_OR_EQUAL", "check failed: the run ends cleanly"]);
  });
});
