/**
 * The kernel side of "no JavaScript error ever escapes a kernel routine": random programs of WDK
 * calls with hostile arguments (freed IRPs and MDLs, objects of the wrong type, NULL and
 * undefined, wrong IRQLs, double frees, bad lengths and addresses), run by a driver's worker
 * thread while an app's requests are pended, cancelled and abandoned, end only in NT's answers —
 * returned values, NT exceptions, bug checks, verifier findings — and leave the machine
 * consistent unless it halted. Fixed seeds; `npm run soak` runs the same generator for a million
 * calls and more.
 */
import { expect } from "chai";
import fc from "fast-check";
import { runKernelProgram } from "./kernel-world.js";
import { programArbitrary } from "./program.js";

describe("no host exception escapes a kernel routine (property, kernel side)", () => {
  it("random WDK call sequences with hostile arguments end in NTSTATUS values, NT exceptions, bug checks or findings, and the machine stays consistent", async () => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(30), async (program) => {
        const w = await runKernelProgram(program);
        expect(w.problems(), JSON.stringify({ verified: program.verified, hostility: program.hostility, focus: program.focus })).to.deep.equal([]);
      }),
      { seed: 0x18c0de, numRuns: 120 },
    );
  });

  it("focused on the request path (IRPs, MDLs, cancel, completion, the app's death) with few hostile arguments, programs run long and stay consistent", async () => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(60), async (p) => {
        const w = await runKernelProgram({ ...p, focus: 1, hostility: 0 });
        expect(w.problems()).to.deep.equal([]);
      }),
      { seed: 0x18c1de, numRuns: 60 },
    );
  });
});
