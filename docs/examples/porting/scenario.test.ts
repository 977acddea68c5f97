/** The Reverser of docs/porting-a-wdk-sample.md runs and passes its checks. */
import assert from "node:assert/strict";
import { runScenario } from "irpsim";
import reverser from "./scenario.js";

describe("Reverser (docs/porting-a-wdk-sample.md)", () => {
  it("reverses through METHOD_NEITHER and METHOD_BUFFERED, and refuses a kernel pointer", async () => {
    const result = await runScenario(reverser);
    assert.ok(result.passed, result.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join("; "));
  });
});
