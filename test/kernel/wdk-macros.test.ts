/**
 * ASSERT / NT_ASSERT stop the machine at the failing line (bug check 0x1E with
 * STATUS_ASSERTION_FAILURE, as Windows does with no debugger attached); PAGED_CODE above
 * APC_LEVEL is a verifier finding.
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { attachVerifier } from "../../index.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("WDK macros: ASSERT, NT_ASSERT, PAGED_CODE", () => {
  it("a failed NT_ASSERT is KMODE_EXCEPTION_NOT_HANDLED with STATUS_ASSERTION_FAILURE, reported at the assertion's line with its text", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      wdm.NT_ASSERT(1 + 1 === 2, "1 + 1 == 2");
      wdm.ASSERT(true);
      wdm.NT_ASSERT(false, "Extension->Started");
    });
    const bc = r.result.bugCheck;
    expect(bc?.name).to.equal("KMODE_EXCEPTION_NOT_HANDLED");
    expect(bc?.parameters[0]).to.equal(0xc0000420);
    expect(bc?.detail).to.include("Extension->Started");
    expect(bc?.source).to.match(/test\/kernel\/wdk-macros\.test\.ts:\d+/);
  });

  it("ASSERTMSG names its message; NT_VERIFY returns the expression it checks", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const queued: number[] = [42];
      const v = wdm.NT_VERIFY(queued.length);
      wdm.ASSERTMSG("the queue must be empty at unload", v === 0);
    });
    expect(r.result.bugCheck?.detail).to.include("the queue must be empty at unload");
  });

  it("PAGED_CODE at DISPATCH_LEVEL is a PagedCodeAtRaisedIrql finding under the verifier, and nothing without it; at PASSIVE_LEVEL nothing either way", async () => {
    const run = async (verify: boolean) => {
      const m = newMachine();
      if (verify) attachVerifier(m);
      const r = await runKernel(m, () => {
        const enter = m.enterActivity("dispatch routine", "PagdDeviceControl", "Pagd");
        wdm.PAGED_CODE();
        const old = wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
        wdm.PAGED_CODE();
        wdm.KeLowerIrql(old);
        m.leaveActivity(enter);
      });
      ok(r);
      return r.result.findings.map((f) => f.rule);
    };
    expect(await run(true)).to.deep.equal(["PagedCodeAtRaisedIrql"]);
    expect(await run(false)).to.deep.equal([]);
  });

  it("ExInitializeDriverRuntime(DrvRtPoolNxOptIn) is accepted from DriverEntry", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      wdm.ExInitializeDriverRuntime(wdm.DrvRtPoolNxOptIn);
      return wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 8, "NxOk") !== 0;
    });
    expect(ok(r)).to.equal(true);
  });
});
