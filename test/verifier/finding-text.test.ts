import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { findBuggySample } from "../../samples/buggy/index.js";
import { formatFinding } from "../../verifier/format.js";
import { formatBugCheck } from "../../kernel/bugcheck.js";

/** Runs a buggy sample and returns its report as the tutorial prints it. */
async function report(name: string): Promise<string> {
  const s = findBuggySample(name);
  if (!s) throw new Error(`no buggy sample ${name}`);
  const r = await runScenario(s.scenario);
  const bc = r.run?.bugCheck;
  return [...r.findings.map(formatFinding), ...(bc ? [formatBugCheck(bc)] : [])].join("\n\n");
}

describe("verifier: findings read as the tutorial shows them, word for word", () => {
  it("returning STATUS_PENDING without IoMarkIrpPending (0xC9/0x23D)", async () => {
    expect(await report("pending-without-mark")).to.equal(
      [
        "FINDING 0xC9/0x23D PendingWithoutMark — Driver Verifier, I/O Verification",
        "    Pend!PendDeviceControl returned STATUS_PENDING for irp#2 (at `return STATUS_PENDING;`, line 115) without calling IoMarkIrpPending, so when the IRP completes Irp->PendingReturned is FALSE and the I/O manager treats it as finished at once: an overlapped caller may never be signalled. Call IoMarkIrpPending(Irp) before queuing the IRP or returning STATUS_PENDING.",
        "    driver: Pend, routine PendDeviceControl",
        "    at samples/buggy/pending.ts:115:7 (PendDeviceControl)",
        "    irp#2:",
        "          0.002 ms  app.exe:main issues it; the I/O manager allocates it (at samples/buggy/harness.ts:114:11 (SampleApp))",
        "          0.002 ms  IRP_MJ_DEVICE_CONTROL 0x00222480 sent to Pend!PendDeviceControl",
        "          0.002 ms  Pend!PendDeviceControl returns STATUS_PENDING",
      ].join("\n"),
    );
  });

  it("setting a cancel routine without testing Irp->Cancel under the same lock (SDV IrpCancelField)", async () => {
    expect(await report("cancel-field-unchecked")).to.equal(
      [
        "FINDING IrpCancelField — Static Driver Verifier rule, checked at run time",
        "    Cncl set cancel routine CnclCancelRoutine on irp#2 while holding CnclLock and released the lock without testing Irp->Cancel: if the IRP was cancelled before the routine was set, nobody will ever complete it. Right after IoSetCancelRoutine, still holding the queue's lock, test Irp->Cancel; if it is set and IoSetCancelRoutine(Irp, NULL) returns non-NULL, complete the IRP with STATUS_CANCELLED yourself (or use a cancel-safe queue).",
        "    driver: Cncl, routine CnclDeviceControl",
        "    at samples/buggy/cancel.ts:140:7 (CnclDeviceControl)",
        "    irp#2:",
        "          0.003 ms  app.exe:main issues it; the I/O manager allocates it (at samples/buggy/index.ts:87:11 (SampleApp))",
        "          0.003 ms  IRP_MJ_DEVICE_CONTROL 0x00222580 sent to Cncl!CnclDeviceControl",
        "          0.004 ms  Cncl sets cancel routine CnclCancelRoutine (at samples/buggy/cancel.ts:140:7 (CnclDeviceControl))",
        "          0.004 ms  Cncl marks it pending (IoMarkIrpPending) (at samples/buggy/cancel.ts:141:7 (CnclDeviceControl))",
      ].join("\n"),
    );
  });

  it("touching a user address of one process while another is current, with both processes named", async () => {
    expect(await report("write-other-process")).to.equal(
      [
        'FINDING CrossProcessUserAccess — irpsim rule; no Driver Verifier code; Learn, "Using Neither Buffered Nor Direct I/O"',
        "    dispatch routine CtxDeviceControl on writer.exe:main touches user address 0x00010000, which is reader.exe's (pid 12, irp#2's UserBuffer), while writer.exe (pid 20) is the current process: the address is valid in writer.exe too, so the access reaches writer.exe's memory instead. Touch a user address only in the requesting thread's context; to use the buffer elsewhere, lock it with an MDL in the dispatch routine and use MmGetSystemAddressForMdlSafe.",
        "    driver: Ctx, routine CtxDeviceControl",
        "    at samples/buggy/context.ts:208:7 (CtxDeviceControl)",
        "    irp#2:",
        "          0.004 ms  reader.exe:main issues it; the I/O manager allocates it (at samples/buggy/index.ts:132:9 (waitForAnswer))",
        "          0.004 ms  IRP_MJ_DEVICE_CONTROL 0x00222783 sent to Ctx!CtxDeviceControl",
        "          0.004 ms  Ctx sets cancel routine CtxCancelRoutine (at samples/buggy/context.ts:191:7 (CtxDeviceControl))",
        "          0.004 ms  Ctx marks it pending (IoMarkIrpPending) (at samples/buggy/context.ts:196:7 (CtxDeviceControl))",
        "          0.004 ms  Ctx!CtxDeviceControl returns STATUS_PENDING",
        "          0.007 ms  Ctx clears the cancel routine (it was CtxCancelRoutine) (at samples/buggy/context.ts:123:32 (CtxTakeReader))",
      ].join("\n"),
    );
  });

  it("a bug check the verifier raises prints its rule, the explanation, the IRP's timeline and the driver's line", async () => {
    expect(await report("complete-twice")).to.equal(
      [
        "*** STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS",
        "    P1 = 0x00000002  Address of the IRP",
        "    P2 = 0x00000000  Reserved",
        "    P3 = 0x00000000  Reserved",
        "    P4 = 0x00000000  Reserved",
        "    rule: 0x44 DoubleCompletion",
        "    dispatch routine CmplDeviceControl on app.exe:main completes irp#2, which dispatch routine CmplDeviceControl on app.exe:main already completed at samples/buggy/completion.ts:91:5 (CmplValidate) with STATUS_BUFFER_TOO_SMALL. Complete each IRP exactly once: whoever takes the IRP off the queue (dispatch routine, cancel routine or DPC) completes it, and the others must leave it alone.",
        "    driver: Cmpl, routine CmplDeviceControl",
        "    IRP: irp#2",
        "          0.002 ms  app.exe:main issues it; the I/O manager allocates it (at samples/buggy/harness.ts:114:11 (SampleApp))",
        "          0.002 ms  IRP_MJ_DEVICE_CONTROL 0x00222400 sent to Cmpl!CmplDeviceControl",
        "          0.002 ms  dispatch routine CmplDeviceControl on app.exe:main completes it with STATUS_BUFFER_TOO_SMALL, Information 0 (at samples/buggy/completion.ts:91:5 (CmplValidate))",
        "          0.002 ms  freed",
        "    thread: dispatch routine CmplDeviceControl on app.exe:main in app.exe (pid 12)",
        "    at samples/buggy/completion.ts:94:3 (CmplValidate)",
      ].join("\n"),
    );
  });
});
