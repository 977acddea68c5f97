/**
 * The user side of "no JavaScript error ever escapes a kernel routine": random programs of Win32
 * calls with hostile arguments (bad and closed handles, NULL and kernel buffers, wrong lengths,
 * OVERLAPPEDs reused while in flight, requests abandoned by exiting threads and killed
 * processes), run by two apps against the shipped sample drivers, end only in Win32 errors, NT
 * exceptions, bug checks or findings, and leave the machine consistent. Fixed seeds.
 */
import { expect } from "chai";
import fc from "fast-check";
import { runWin32Program } from "./win32-world.js";
import { programArbitrary } from "./program.js";

describe("no host exception escapes a kernel routine (property, user side)", () => {
  it("random Win32 programs with hostile arguments against the sample drivers end in Win32 errors, NT exceptions, bug checks or findings, and the machine stays consistent", async () => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(40), async (program) => {
        const w = await runWin32Program(program);
        expect(w.problems(), JSON.stringify({ verified: program.verified, hostility: program.hostility })).to.deep.equal([]);
      }),
      { seed: 0x18c2de, numRuns: 80 },
    );
  });
});
