import { expect } from "chai";
import { exploreScenario, replaySchedule } from "../../explore/explore.js";
import { runSchedule } from "../../explore/run-schedule.js";
import { DefaultChooser } from "../../explore/choosers.js";
import { targetOf } from "../../explore/explore.js";
import type { Scenario } from "../../scenario/scenario.js";
import { sharebufCancelWindow, sharebufCancelWindowLocked, sharebufDoneUsingRace, sharebufDpcAfterDeath } from "../../samples/sharebuf-races/index.js";
import { notifyCancelFreesContext, notifyCleanupVsDpc, notifyQueueRemove } from "../../samples/notify-races/index.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { notifyScenario } from "../../samples/notify/scenario.js";

/**
 * A race sample, the failure its shrunk schedule shows, other failures the same bug may show first
 * on other schedules, and words its explanation must contain.
 */
interface Race {
  readonly scenario: Scenario;
  readonly cause: string;
  readonly alsoShowsAs?: readonly string[];
  readonly words: readonly string[];
}

const races: readonly Race[] = [
  {
    scenario: sharebufCancelWindow,
    cause: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS",
    words: ["CancelIoEx", "just after IoSetCancelRoutine returns in dispatch routine SharebufDeviceControl", "before `if (Irp.Cancel) {`"],
  },
  {
    scenario: sharebufCancelWindowLocked,
    cause: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS",
    words: ["CancelIoEx", "just after IoSetCancelRoutine returns in dispatch routine SharebufDeviceControl", "before `if (Irp.Cancel) {`"],
  },
  {
    scenario: sharebufDoneUsingRace,
    cause: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS",
    words: ["CancelIoEx", "calls IoSetCancelRoutine: `IoSetCancelRoutine(shared, null);`"],
  },
  {
    scenario: sharebufDpcAfterDeath,
    // The verifier's StaleSystemAddress rule stops the DPC's write through the unmapped system
    // address with 0x50; unverified, the same write is 0xA at DISPATCH_LEVEL.
    cause: "bug check 0x00000050 PAGE_FAULT_IN_NONPAGED_AREA",
    alsoShowsAs: ["bug check 0x0000000A IRQL_NOT_LESS_OR_EQUAL"],
    words: ["sharebuf.exe is killed", "SharebufTimer fires early and its DPC runs on another processor as cancel routine SharebufCancelRoutine", "(SharebufTimerDpc)"],
  },
  {
    scenario: notifyQueueRemove,
    cause: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS",
    // When the cancel routine's completion has already reached the app, the DPC copies the event
    // into the freed system buffer first.
    alsoShowsAs: ["bug check 0x0000001E KMODE_EXCEPTION_NOT_HANDLED"],
    words: ["CancelIoEx", "as DPC NotifyTimerDpc", "calls IoSetCancelRoutine"],
  },
  {
    scenario: notifyCleanupVsDpc,
    cause: "bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS",
    words: ["NotifyTimer fires early and its DPC runs on another processor as dispatch routine NotifyCleanup"],
  },
  {
    scenario: notifyCancelFreesContext,
    cause: "bug check 0x0000000A IRQL_NOT_LESS_OR_EQUAL",
    words: ["CancelIoEx", "as DPC NotifyTimerDpc", "KeReleaseSpinLockFromDpcLevel", "(NotifyTimerDpc)"],
  },
];

/** Runs that pct (depth 2) and random, seed 1, may take to find each race: see bench/explore.bench.ts for the figures. */
const RUNS = 3000;

describe("explore: the race samples are found, shrunk, explained and replayed", function () {
  this.timeout(120_000);
  for (const race of races) {
    describe(race.scenario.name, () => {
      it("the deterministic default run passes", async () => {
        const o = await runSchedule(targetOf(race.scenario), new DefaultChooser());
        expect(o.failures).to.deep.equal([]);
      });

      it("dfs finds it within bound 2; shrunk, its replay string reproduces it and the explanation names the API points", async () => {
        const r = await exploreScenario(race.scenario, { strategy: "dfs", bound: 2, stopAtFirstFailure: true });
        expect(r.failures[0]?.cause).to.equal(race.cause);
        const e = r.explained[0];
        expect(e?.reproduced).to.equal(true);
        expect(e?.deviations.length).to.be.at.most(2);
        for (const words of race.words) expect(e?.explanation.summary).to.include(words);
        const replayed = await replaySchedule(race.scenario, e?.replay ?? "");
        expect(replayed.failures[0]?.cause).to.equal(race.cause);
        expect(replayed.mismatch).to.equal(null);
      });

      it(`pct and random (seed 1) each find it within ${RUNS} runs`, async () => {
        for (const strategy of ["pct", "random"] as const) {
          const r = await exploreScenario(race.scenario, { strategy, runs: RUNS, seed: 1, stopAtFirstFailure: true, shrink: false });
          expect([race.cause, ...(race.alsoShowsAs ?? [])], strategy).to.include(r.failures[0]?.cause);
        }
      });
    });
  }
});

describe("explore: the correct samples pass dfs with bound 2 completely", function () {
  this.timeout(120_000);
  for (const ending of ["done-using", "killed", "closed"]) {
    it(`sharebuf, ending "${ending}": every schedule with at most two injections and preemptions passes`, async () => {
      const r = await exploreScenario(sharebufScenario, { strategy: "dfs", bound: 2, options: { ending } });
      expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    });
  }

  it("notify: every schedule with at most two injections and preemptions passes", async () => {
    const r = await exploreScenario(notifyScenario, { strategy: "dfs", bound: 2 });
    expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(1000);
  });
});

describe("explore: the verifier is on by default, and a search without it says so in its replay strings", function () {
  this.timeout(120_000);
  it("sharebuf-dpc-after-death: verified, the stale system address is 0x50; unverified, 0xA at DISPATCH_LEVEL; each replay string reproduces its own", async () => {
    for (const [verifier, cause] of [
      [true, "bug check 0x00000050 PAGE_FAULT_IN_NONPAGED_AREA"],
      [false, "bug check 0x0000000A IRQL_NOT_LESS_OR_EQUAL"],
    ] as const) {
      const r = await exploreScenario(sharebufDpcAfterDeath, { strategy: "dfs", bound: 2, stopAtFirstFailure: true, verifier });
      expect(r.failures[0]?.cause, `verifier ${String(verifier)}`).to.equal(cause);
      const replay = r.explained[0]?.replay ?? "";
      expect(replay.includes("verifier=off"), replay).to.equal(!verifier);
      const replayed = await replaySchedule(sharebufDpcAfterDeath, replay);
      expect([replayed.failures[0]?.cause, replayed.mismatch]).to.deep.equal([cause, null]);
    }
  });

  it("a replay string's verifier switch must be on or off", () => {
    expect(() => targetOf(sharebufScenario, { options: { verifier: "maybe" } })).to.throw(/verifier must be on or off/);
  });
});
