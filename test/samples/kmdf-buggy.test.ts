import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { exploreScenario } from "../../explore/explore.js";
import { kmdfBuggySamples } from "../../samples/buggy/kmdf.js";
import { findScenario } from "../../samples/index.js";
import { KMDF_RULES } from "../../wdf/index.js";

describe("samples/buggy/kmdf-*: each KMDF buggy build is stopped by its KMDF verifier rule", function () {
  this.timeout(180_000);
  for (const s of kmdfBuggySamples) {
    const rule = KMDF_RULES[s.rule];
    it(`${s.name}: ${s.bug} — 0x10D/0x${rule.p1.toString(16).toUpperCase()} ${s.rule} (${rule.severity}${s.shows === "explore" ? ", found by the explorer" : ""})`, async () => {
      expect(findScenario(`buggy/${s.name}`)).to.equal(s.scenario);
      if (s.shows === "run") {
        const r = await runScenario(s.scenario);
        if (rule.severity === "bug check") {
          const bc = r.run?.bugCheck ?? (r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null);
          expect(bc?.code).to.equal(0x10d);
          expect(bc?.parameters[0]).to.equal(rule.p1);
          expect(bc?.rule).to.match(new RegExp(` ${s.rule} `));
          expect(bc?.source).to.match(/^samples\/(buggy|kmdf-echo)\/[a-z-]+\.ts:\d+:\d+ \(\w+/);
          expect(bc?.detail).to.include(rule.fix);
        } else {
          const f = r.findings.filter((x) => x.rule === s.rule);
          expect(f.length).to.equal(1);
          expect(f[0]?.code).to.equal(`0x10D/0x${rule.p1.toString(16).toUpperCase()}`);
          expect(f[0]?.message).to.include(rule.fix);
        }
        return;
      }
      // A race: the deterministic run is clean, the explorer finds it.
      const clean = await runScenario(s.scenario);
      expect(clean.passed, "the undisturbed run hides the race").to.equal(true);
      const r = await exploreScenario(s.scenario, { strategy: "dfs", bound: 2 });
      const cause = r.failures.map((f) => f.cause);
      expect(cause.some((c) => c.startsWith("bug check 0x0000010D WDF_VIOLATION")), cause.join("; ")).to.equal(true);
      const e = r.explained[0];
      expect(e?.reproduced).to.equal(true);
      // The explanation names the driver's Evt callback and line where the cancel lands, and the fix.
      expect(e?.explanation.text).to.match(/as event callback EchoEvtTimerFunc on .* \(samples\/buggy\/kmdf\.ts:\d+\)/);
      expect(e?.explanation.failure).to.include(rule.fix);
    });
  }
});
