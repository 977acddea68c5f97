/** The Upcase KMDF driver of docs/porting-a-wdk-sample.md runs and passes its checks. */
import assert from "node:assert/strict";
import { runScenario } from "irpsim";
import upcase from "./scenario.js";

describe("Upcase (docs/porting-a-wdk-sample.md, Porting a KMDF driver)", () => {
  it("upper-cases through EvtIoDeviceControl and refuses an output buffer too small for the reply", async () => {
    const result = await runScenario(upcase);
    assert.ok(result.passed, result.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join("; "));
  });
});
