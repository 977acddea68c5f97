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

  it("a driver that forgets its cancel routine: killing the app leaves an IO_DRIVER_CANCEL_TIMEOUT finding naming the IRP, its driver and dispatch routine, and a zombie with its pages locked", async () => {
    const r = await runScenario(makeSharebufScenario({ cancelRoutine: false }, "sharebuf-no-cancel"), { options: { ending: "killed" } });
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

  it("a cancel routine that does not release the cancel spin lock: the emulator reports the deadlock and names the routine", async () => {
    const r = await runScenario(makeSharebufScenario({ releaseCancelLock: false }, "sharebuf-holds-lock"), { options: { ending: "killed" } });
    expect(r.passed).to.equal(false);
    expect(r.machine.halted?.kind).to.equal("deadlock");
    expect(r.run?.deadlock).to.equal(
      "dispatch routine SharebufCleanup on sharebuf.exe:main spins forever on IoCancelSpinLock, which it already holds (taken by cancel routine SharebufCancelRoutine on sharebuf.exe:main, which returned without releasing it)",
    );
  });

  it("the same scenario gives the same trace, byte for byte", async () => {
    const a = await runScenario(sharebufScenario, { options: { ending: "closed" }, trace: true });
    const b = await runScenario(sharebufScenario, { options: { ending: "closed" }, trace: true });
    expect(JSON.stringify(a.events)).to.equal(JSON.stringify(b.events));
  });
});
