/**
 * The KMDF side of "no JavaScript error ever escapes a routine" (the world is wdf-world.ts):
 * random Wdf* sequences from a KMDF driver's callbacks and its system thread, with hostile
 * handles, verifier on and off, end only in NT's answers. Fixed seed.
 */
import { expect } from "chai";
import fc from "fast-check";
import { programArbitrary } from "./program.js";
import { WdfWorld } from "./wdf-world.js";

describe("no host exception escapes a KMDF routine (property)", () => {
  it("random Wdf* call sequences from a driver's EvtIoDefault and its system thread, with deleted, completed, mistyped and foreign handles, end in values, NT exceptions, bug checks (WDF_VIOLATION verified) or findings", async () => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(24), async (program) => {
        const world = new WdfWorld(program);
        await world.run();
        expect(world.problems(), JSON.stringify({ verified: program.verified, steps: program.steps.length })).to.deep.equal([]);
        world.m.dispose();
      }),
      { seed: 0x16f0de, numRuns: 60 },
    );
  });
});

