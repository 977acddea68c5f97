import { expect } from "chai";
import { variants } from "../../cli/run-command.js";
import { shippedScenarios } from "../../samples/index.js";
import { runScenario } from "../../scenario/scenario.js";

describe("samples: every shipped (non-buggy) scenario runs clean under the verifier", () => {
  for (const s of shippedScenarios.filter((x) => !x.name.startsWith("buggy/"))) {
    for (const options of variants(s, {})) {
      const label = Object.entries(options).map(([k, v]) => `${k}=${v}`).join(" ");
      it(`${s.name}${label ? ` (${label})` : ""}: no finding, no bug check, every check passes`, async () => {
        const r = await runScenario(s, { options });
        expect(r.findings.map((f) => f.rule)).to.deep.equal([]);
        expect(r.machine.halted?.kind ?? null).to.equal(null);
        expect(r.checks.filter((c) => !c.passed).map((c) => c.name)).to.deep.equal([]);
        expect(r.passed).to.equal(true);
      });
    }
  }
});
