import { expect } from "chai";
import type { DecisionStrategy } from "../../kernel/machine.js";
import { runScenario } from "../../scenario/scenario.js";
import { csqReadsScenario } from "../../samples/csq-reads/scenario.js";
import { findScenario } from "../../samples/index.js";
import { ioManager } from "../../io-manager/io-manager.js";

/** A seeded schedule: each decision picks an option with a small deterministic generator. */
function seeded(seed: number): DecisionStrategy {
  let s = seed >>> 0;
  return {
    choose(point) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) % point.count) | 0;
    },
  };
}

describe("samples/csq-reads: ReadFileEx completion routines against a cancel-safe queue", () => {
  for (const ending of ["clean", "exit"]) {
    it(`ending "${ending}": every check of the scenario passes and nothing leaks`, async () => {
      const r = await runScenario(csqReadsScenario, { options: { ending } });
      const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).to.deep.equal([]);
      expect(r.passed).to.equal(true);
    });
  }

  it("ExitProcess with reads in flight, under 30 different schedules: every read completes exactly once, with 4 bytes or STATUS_CANCELLED, and nothing leaks", async () => {
    // How many reads the polling thread won: it differs when the race goes either way.
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runScenario(csqReadsScenario, { options: { ending: "exit" }, strategy: seeded(seed), trace: true });
      const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect(failed, `seed ${seed}`).to.deep.equal([]);
      expect(r.passed, `seed ${seed}`).to.equal(true);
      expect(ioManager(r.machine).liveIrps.size).to.equal(0);
      const reads = new Set(r.events.flatMap((e) => (e.kind === "IrpDispatched" && e.major === "IRP_MJ_READ" ? [e.irp] : [])));
      outcomes.add(r.events.filter((e) => e.kind === "IrpCompleted" && reads.has(e.irp) && e.statusName === "STATUS_SUCCESS").length);
    }
    expect(outcomes.size).to.be.greaterThan(1);
  });

  it("is shipped: irpsim list and irpsim run know it by name", () => {
    expect(findScenario("csq-reads")).to.equal(csqReadsScenario);
  });
});
