import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { findBuggySample } from "../../samples/buggy/index.js";

describe("I/O manager: completion unlocks every MDL on the IRP (IopCompleteRequest)", () => {
  it("a driver that unlocks Irp->MdlAddress itself before completing makes completion unlock it a second time: PFN_LIST_CORRUPT 0x07, without any verifier", async () => {
    const s = findBuggySample("unlock-twice");
    if (!s) throw new Error("sample missing");
    const r = await runScenario(s.scenario, { verifier: false });
    const bc = r.run?.bugCheck;
    expect(bc?.code).to.equal(0x4e);
    expect(bc?.parameters[0]).to.equal(0x07);
    expect(bc?.rule).to.equal(undefined);
  });
});
