import { expect } from "chai";
import { exploreScenario, explore, ExplorationFailure, replaySchedule, targetOf } from "../../explore/explore.js";
import { DefaultChooser } from "../../explore/choosers.js";
import { runSchedule } from "../../explore/run-schedule.js";
import { buggySamples } from "../../samples/buggy/index.js";
import { calibrate } from "../../explore/plan.js";
import { searchStrategy } from "../../explore/search.js";
import { closeExploreWorkers, idleExploreWorkers } from "../../explore/workers.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { sharebufCancelWindow } from "../../samples/sharebuf-races/index.js";
import { notifyCancelFreesContext } from "../../samples/notify-races/index.js";

describe("explore: strategies, shards and workers", () => {
  it("dfs with bound 1 runs the default schedule and every single deviation from it, each once", async () => {
    const target = targetOf(sharebufScenario);
    const calibration = await calibrate(target);
    const singles = calibration.counts.reduce((n, c) => n + (c - 1), 0);
    const r = await searchStrategy(target, { kind: "dfs", bound: 1 }, calibration);
    expect(r.complete).to.equal(true);
    expect(r.tally.schedules).to.equal(1 + singles);
    expect(r.tally.scheduleKeys.length).to.equal(r.tally.schedules);
  });

  it("dfs with bound 2 explores every schedule with at most two deviations exactly once, the bound-1 schedules among them", async () => {
    const target = targetOf(sharebufScenario);
    const calibration = await calibrate(target);
    const one = await searchStrategy(target, { kind: "dfs", bound: 1 }, calibration);
    const two = await searchStrategy(target, { kind: "dfs", bound: 2 }, calibration);
    expect(two.complete).to.equal(true);
    expect(new Set(two.tally.scheduleKeys).size).to.equal(two.tally.schedules);
    const keys = new Set(two.tally.scheduleKeys);
    for (const k of one.tally.scheduleKeys) expect(keys.has(k)).to.equal(true);
    expect(two.tally.schedules).to.be.greaterThan(one.tally.schedules);
  });

  it("the shards of a search split it without overlap, and their union is the whole search", async () => {
    const target = targetOf(sharebufScenario);
    const calibration = await calibrate(target);
    for (const spec of [{ kind: "dfs" as const, bound: 2 }, { kind: "random" as const, runs: 60, seed: 5 }]) {
      const whole = await searchStrategy(target, spec, calibration);
      // One machine runs at a time in a realm: the shards run one after another.
      const parts = [];
      for (const index of [0, 1, 2]) parts.push(await searchStrategy(target, spec, calibration, { shard: { index, count: 3 } }));
      const union = parts.flatMap((p) => p.tally.scheduleKeys);
      expect(parts.reduce((n, p) => n + p.tally.schedules, 0)).to.equal(whole.tally.schedules);
      expect(new Set(union)).to.deep.equal(new Set(whole.tally.scheduleKeys));
      expect(new Set(parts.flatMap((p) => p.tally.endStates))).to.deep.equal(new Set(whole.tally.endStates));
    }
  });

  it("a randomized strategy with the same seed explores the same schedules; another seed explores others", async () => {
    const a = await exploreScenario(sharebufScenario, { strategy: "pct", runs: 40, seed: 9, shrink: false });
    const b = await exploreScenario(sharebufScenario, { strategy: "pct", runs: 40, seed: 9, shrink: false });
    const c = await exploreScenario(sharebufScenario, { strategy: "pct", runs: 40, seed: 10, shrink: false });
    expect(a.strategies[0]?.tally.scheduleKeys).to.deep.equal(b.strategies[0]?.tally.scheduleKeys);
    expect(a.strategies[0]?.tally.scheduleKeys).to.not.deep.equal(c.strategies[0]?.tally.scheduleKeys);
  });

  it("worker threads run the same search as one thread: the same schedules, end states and first failure", async function () {
    this.timeout(60_000);
    const o = { strategy: "dfs" as const, bound: 2, shrink: false, scenarioRef: { shipped: "sharebuf-cancel-window" } };
    const one = await exploreScenario(sharebufCancelWindow, o);
    const two = await exploreScenario(sharebufCancelWindow, { ...o, workers: 2 });
    expect(two.schedules).to.equal(one.schedules);
    expect(new Set(two.strategies[0]?.tally.scheduleKeys)).to.deep.equal(new Set(one.strategies[0]?.tally.scheduleKeys));
    expect(new Set(two.strategies[0]?.tally.endStates)).to.deep.equal(new Set(one.strategies[0]?.tally.endStates));
    expect(two.failures.map((f) => [f.cause, f.count, f.first.replay])).to.deep.equal(one.failures.map((f) => [f.cause, f.count, f.first.replay]));
    expect(two.strategies[0]?.firstFailureAt).to.equal(one.strategies[0]?.firstFailureAt);
  });

  it("workers outlive a search: the next search in the process reuses them (unreferenced while idle) and runs as one thread would; a failed worker is ended, not kept", async function () {
    this.timeout(60_000);
    await closeExploreWorkers();
    expect(idleExploreWorkers()).to.equal(0);
    await exploreScenario(sharebufScenario, { strategy: "random", runs: 100, seed: 3, shrink: false, workers: 2, scenarioRef: { shipped: "sharebuf" } });
    expect(idleExploreWorkers()).to.equal(2);
    // Another target on the same workers: set up afresh, same schedules as one thread.
    const o = { strategy: "random" as const, runs: 200, seed: 4, shrink: false, scenarioRef: { shipped: "sharebuf-cancel-window" } };
    const one = await exploreScenario(sharebufCancelWindow, o);
    const two = await exploreScenario(sharebufCancelWindow, { ...o, workers: 2 });
    // Reused rather than started anew: new ones would have joined the two idle ones.
    expect(idleExploreWorkers()).to.equal(2);
    expect(two.schedules).to.equal(one.schedules);
    expect(new Set(two.strategies[0]?.tally.scheduleKeys)).to.deep.equal(new Set(one.strategies[0]?.tally.scheduleKeys));
    expect(two.failures.map((f) => [f.cause, f.count, f.first.replay])).to.deep.equal(one.failures.map((f) => [f.cause, f.count, f.first.replay]));
    let caught: unknown = null;
    try {
      await exploreScenario(sharebufScenario, { strategy: "random", runs: 100, seed: 3, shrink: false, workers: 2, scenarioRef: { shipped: "no-such-scenario" } });
    } catch (e) {
      caught = e;
    }
    expect(String(caught)).to.match(/a worker failed: .*no-such-scenario/s);
    expect(idleExploreWorkers()).to.equal(0);
  });

  it("shrinking drops the injections a failure does not need, and the shrunk schedule still fails the same way", async () => {
    // DFS meets this race first with an early timer that plays no part in it.
    const r = await exploreScenario(notifyCancelFreesContext, { strategy: "dfs", bound: 2, stopAtFirstFailure: true });
    const e = r.explained[0];
    expect(r.failures[0]?.first.deviations.length).to.equal(2);
    expect(e?.originalDeviations).to.equal(2);
    expect(e?.deviations.map((d) => d.option)).to.deep.equal(["cancel irp#2"]);
    expect(e?.reproduced).to.equal(true);
  });

  it("a search's schedules run under the verifier without source lines, replays with them, and a failure's detail is the one its replay shows", async () => {
    const target = targetOf(sharebufScenario);
    const searched = await runSchedule(target, new DefaultChooser(), { keepResult: true });
    const replayed = await runSchedule(target, new DefaultChooser(), { keepResult: true, points: true });
    expect(searched.result?.verifier?.sourceLines).to.equal(false);
    expect(replayed.result?.verifier?.sourceLines).to.equal(true);
    expect(searched.decisions).to.equal(replayed.decisions);
    const sample = buggySamples.find((x) => x.name === "cancel-field-unchecked");
    if (!sample) throw new Error("sample missing");
    const r = await exploreScenario(sample.scenario, { strategy: "random", runs: 20, seed: 1, shrink: false });
    const first = r.failures[0]?.first;
    expect(first?.cause).to.equal("finding IrpCancelField");
    const again = await replaySchedule(sample.scenario, first?.replay ?? "");
    expect(first?.detail).to.equal(again.failures[0]?.detail);
    expect(again.result.findings[0]?.source).to.match(/^samples\/buggy\/cancel\.ts:\d+/);
  });

  it("pct reports its guarantee from the observed threads and steps: at least 1/(n·k^(d-1)) per run", async () => {
    const r = await exploreScenario(sharebufScenario, { strategy: "pct", runs: 30, depth: 3, shrink: false });
    const b = r.pctBound;
    expect(b).to.not.equal(null);
    if (!b) return;
    expect(b.depth).to.equal(3);
    expect(b.n).to.be.greaterThan(1);
    expect(b.k).to.be.greaterThan(10);
    expect(b.probability).to.be.closeTo(1 / (b.n * b.k ** 2), 1e-12);
  });

  it("explore() for a user's tests resolves with the report when nothing fails, and throws the shrunk replay string and its explanation when something does", async () => {
    const ok = await explore(sharebufScenario, { strategy: "dfs", bound: 1 });
    expect(ok.statement).to.match(/^all schedules up to bound 1 explored: \d+ distinct, none failed$/);
    let caught: unknown = null;
    try {
      await explore(sharebufCancelWindow, { strategy: "dfs", bound: 1 });
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(ExplorationFailure);
    const message = (caught as Error).message;
    expect(message).to.include("bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(message).to.match(/replay: irpsim replay irp1:sharebuf-cancel-window:/);
    expect(message).to.include("just after IoSetCancelRoutine returns in dispatch routine SharebufDeviceControl");
    expect(message).to.include("before `if (Irp.Cancel) {`");
  });
});
