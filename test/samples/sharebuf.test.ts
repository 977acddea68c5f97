import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { makeSharebufScenario, sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/sharebuf: the shared-buffer design end to end", () => {
  for (const ending of ["done-using", "closed", "killed"]) {
    it(`ending "${ending}": every check of the scenario passes and nothing is left locked or allocated`, async () => {
      const r = await runScenario(sharebufScenario, { options: { ending } });
      const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).to.deep.equal([]);
      expect(r.passed).to.equal(true);
      expect(r.checks.map((c) => c.name)).to.include.members([
        "the user and system addresses map the same frames",
        "no byte of the shared data is copied",
        "no page is left locked",
        "no IRP is left allocated",
      ]);
    });
  }

  it("the driver writes through the system address and the app reads the same bytes at its own, with zero bytes copied", async () => {
    const r = await runScenario(sharebufScenario, { options: { ending: "done-using" }, trace: true });
    expect(r.machine.bytesCopied).to.equal(0);
    const mapped = r.events.find((e) => e.kind === "MdlMapped");
    const locked = r.events.find((e) => e.kind === "MdlLocked");
    expect(mapped?.kind === "MdlMapped" && locked?.kind === "MdlLocked" && mapped.frames.join() === locked.frames.join()).to.equal(true);
    const reads = r.events.filter((e) => e.kind === "DebugPrint" && e.mode === "UserMode");
    expect(reads.length).to.be.greaterThanOrEqual(3);
  });

  it("the timeline shows the pended IRP, both mappings of the same frames, and a zero-copy summary", async () => {
    const r = await runScenario(sharebufScenario, { options: { ending: "done-using" }, trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.match(/mdl#1 mapped into system space at 0xA0000000: the same frames 0x[0-9A-F]+–0x[0-9A-F]+ as user 0x00110000/);
    expect(text).to.include("SharebufDeviceControl returns STATUS_PENDING");
    expect(text).to.include("→ FALSE (ERROR_IO_PENDING)");
    expect(text).to.include("bytes copied: 0 in, 0 out (zero copy)");
  });

  it("the app dying while sharing: IoCancelThreadIo calls the cancel routine, which completes the IRP with STATUS_CANCELLED; the pages are unlocked and the process exits", async () => {
    const r = await runScenario(sharebufScenario, { options: { ending: "killed" }, trace: true });
    expect(r.passed).to.equal(true);
    const cancel = r.events.find((e) => e.kind === "IrpCancel");
    expect(cancel?.kind === "IrpCancel" && cancel.called && cancel.routine === "SharebufCancelRoutine").to.equal(true);
    const completed = r.events.find((e) => e.kind === "IrpCompleted" && e.irp === "irp#2");
    expect(completed?.kind === "IrpCompleted" && completed.statusName).to.equal("STATUS_CANCELLED");
  });

  it("ending \"killed\" with the verifier on (the default): no finding and no bug check", async () => {
    const r = await runScenario(sharebufScenario, { options: { ending: "killed" } });
    expect(r.verifier).to.not.equal(null);
    expect(r.findings).to.deep.equal([]);
    expect(r.machine.halted).to.equal(null);
  });

  it("a driver that forgets its cancel routine (unverified): killing the app leaves an IO_DRIVER_CANCEL_TIMEOUT finding naming the IRP, its driver and dispatch routine, and a zombie with its pages locked", async () => {
    // Without the verifier: NT's own five-minute wait, then the error-log finding.
    const r = await runScenario(makeSharebufScenario({ cancelRoutine: false }, "sharebuf-no-cancel"), { options: { ending: "killed" }, verifier: false });
    expect(r.passed).to.equal(false);
    expect(r.run?.zombies).to.deep.equal(["sharebuf.exe"]);
    const f = r.run?.findings[0];
    expect(f?.rule).to.equal("IO_DRIVER_CANCEL_TIMEOUT");
    expect(f?.message).to.include("irp#2, issued by sharebuf.exe:main, was cancelled but never completed: Sharebuf pended it in Sharebuf!SharebufDeviceControl without a cancel routine");
    // NT waits five minutes (3000 x 100 ms) before giving up on the IRP.
    expect(r.machine.nowMs).to.be.greaterThanOrEqual(120 + 300_000);
    const app = r.machine.processes.find((p) => p.name === "sharebuf.exe");
    expect(app?.lockedPages).to.equal(4);
  });

  it("a driver that forgets its cancel routine, verified: the cancelled IRP not completed within the verifier's bound of virtual time is bug check 0xC4/0x135", async () => {
    const r = await runScenario(makeSharebufScenario({ cancelRoutine: false }, "sharebuf-no-cancel"), { options: { ending: "killed" } });
    const bc = r.run?.bugCheck;
    expect(bc?.code).to.equal(0xc4);
    expect(bc?.parameters[0]).to.equal(0x135);
    expect(bc?.parameters[2]).to.equal(10_000);
    expect(bc?.rule).to.equal("0xC4/0x135 CancelTimeout");
    expect(bc?.driver).to.equal("Sharebuf");
    expect(bc?.irp).to.equal("irp#2");
    // Killed at 120 ms; the bound is 10 s of virtual time, well before NT's five minutes.
    expect(Math.floor(r.machine.nowMs)).to.equal(120 + 10_000);
  });

  it("a cancel routine that does not release the cancel spin lock (unverified): the emulator reports the deadlock and names the routine", async () => {
    // The base machine does not raise DRIVER_RETURNED_HOLDING_CANCEL_LOCK: the next acquirer deadlocks.
    const r = await runScenario(makeSharebufScenario({ releaseCancelLock: false }, "sharebuf-holds-lock"), { options: { ending: "killed" }, verifier: false });
    expect(r.passed).to.equal(false);
    expect(r.machine.halted?.kind).to.equal("deadlock");
    expect(r.run?.deadlock).to.equal(
      "dispatch routine SharebufCleanup on sharebuf.exe:main spins forever on IoCancelSpinLock, which it already holds (taken by cancel routine SharebufCancelRoutine on sharebuf.exe:main, which returned without releasing it)",
    );
  });

  it("a cancel routine that does not release the cancel spin lock, verified: bug check 0x11B at the routine's return, naming the routine, the IRP and its timeline", async () => {
    const r = await runScenario(makeSharebufScenario({ releaseCancelLock: false }, "sharebuf-holds-lock"), { options: { ending: "killed" } });
    const bc = r.run?.bugCheck;
    expect(bc?.code).to.equal(0x11b);
    expect(bc?.name).to.equal("DRIVER_RETURNED_HOLDING_CANCEL_LOCK");
    expect(bc?.rule).to.equal("0x11B ReturnedHoldingCancelLock");
    expect(bc?.routine).to.equal("SharebufCancelRoutine");
    expect(bc?.parameters[0]).to.equal(2);
    expect(bc?.source).to.match(/^samples\/sharebuf\/driver\.ts:\d+:\d+ \(SharebufCancelRoutine\)$/);
    expect(bc?.timeline?.some((s) => s.includes("cancelled (IoCancelIrp on sharebuf.exe:main); cancel routine SharebufCancelRoutine is called"))).to.equal(true);
    // The cancel routine also completed the IRP under the cancel lock: SDV's SpinLockSafe.
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["SpinLockSafe"]);
  });

  it("the same scenario gives the same trace, byte for byte", async () => {
    const a = await runScenario(sharebufScenario, { options: { ending: "closed" }, trace: true });
    const b = await runScenario(sharebufScenario, { options: { ending: "closed" }, trace: true });
    expect(JSON.stringify(a.events)).to.equal(JSON.stringify(b.events));
  });
});
