import { expect } from "chai";
import { CeMachine } from "../../ce6/index.js";
import { formatTextTimeline } from "../../report/text.js";
import { runScenario, type Scenario } from "../../scenario/scenario.js";
import { ceMachineOptions } from "../../ce6/index.js";
import type { CameraAppOptions, CameraAppReport } from "../../samples/smd/camera-app.js";
import { cameraPart, makeSmdScenario, smdScenario } from "../../samples/smd/scenario.js";
import { RING_FRAMES } from "../../samples/smd/camera-driver.js";

/** A scenario running only the camera part with the given app behaviour; the report comes back through `out`. */
function cameraScenario(options: CameraAppOptions, out: { report?: CameraAppReport }): Scenario {
  return {
    name: "camera",
    summary: "camera variant",
    machineOptions: ceMachineOptions(),
    async run(ctx) {
      const ce = CeMachine.attach(ctx.machine, { reservedRam: [{ physicalBase: 0x04000000, size: 0x01200000 }] });
      out.report = await cameraPart(ctx, ce, options);
    },
  };
}

describe("samples/smd: seed 000's CE 6.0 memory sharing, end to end", () => {
  for (const part of ["smd", "user-app", "reflector", "camera"]) {
    it(`part "${part}" (CE 6.0): every check passes and nothing is left behind`, async () => {
      const r = await runScenario(smdScenario, { options: { part } });
      const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).to.deep.equal([]);
      expect(r.passed).to.equal(true);
    });
  }

  it("part \"smd\" in CE 5.0 mode: the article's 32 MB VirtualCopyEx crosses a 32 MB section and fails with ERROR_INVALID_PARAMETER", async () => {
    const r = await runScenario(smdScenario, { options: { part: "smd", ce: "5.0" } });
    expect(r.checks.filter((c) => !c.passed)).to.deep.equal([]);
    expect(r.checks.map((c) => c.name)).to.include("CE 5.0: VirtualCopyEx of 32 MB crossing a 32 MB section fails, and the IOCTL with it (ERROR_INVALID_PARAMETER)");
  });

  it("the timeline shows the driver running in nk.exe with the app's address space, the 32 MB mapping, and zero copies", async () => {
    const r = await runScenario(smdScenario, { options: { part: "smd" }, trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.include("SMD_IOControl(dwCode 0x222000) runs in nk.exe with smdapp.exe's address space active");
    expect(text).to.match(/VirtualCopy maps 8192 page\(s\) at 0x00020000 in smdapp\.exe to the kernel's static 0x81F00000 \(physical 0x01F00000\): no byte copied/);
    expect(text).to.include("OutputDebugString:  Hello World");
    expect(text).to.include("bytes copied: 0 in, 0 out (zero copy)");
    expect(text).to.include("CE: 7 driver entry call(s); 1 VirtualCopy mapping(s) of 8192 page(s)");
  });

  it("the same run gives the same trace, byte for byte", async () => {
    const a = await runScenario(makeSmdScenario(), { options: { part: "camera" }, trace: true });
    const b = await runScenario(makeSmdScenario(), { options: { part: "camera" }, trace: true });
    expect(JSON.stringify(a.events)).to.equal(JSON.stringify(b.events));
    expect(a.events.length).to.be.greaterThan(100);
  });

  it("camera: at 30 fps with a 5 ms store and 28 ms of processing, every frame is processed in order and none is dropped", async () => {
    const out: { report?: CameraAppReport } = {};
    const r = await runScenario(cameraScenario({ frames: 120 }, out), {});
    expect(r.checks.filter((c) => !c.passed)).to.deep.equal([]);
    const report = out.report;
    expect(report?.processed).to.equal(120);
    expect(report?.dropped).to.equal(0);
    const numbers = report?.frameNumbers ?? [];
    expect(numbers.every((n, i) => i === 0 || n === (numbers[i - 1] ?? 0) + 1)).to.equal(true);
  });

  it("camera: a 1.5 s stall is absorbed by the 60-frame (2 s) ring — nothing dropped", async () => {
    const out: { report?: CameraAppReport } = {};
    const r = await runScenario(cameraScenario({ frames: 150, stall: { after: 20, ms: 1500 } }, out), {});
    expect(r.checks.filter((c) => !c.passed)).to.deep.equal([]);
    expect(out.report?.dropped).to.equal(0);
    expect(out.report?.processed).to.equal(150);
  });

  it("camera: a 2.5 s stall overflows the ring; the driver drops the frames it cannot store and the app processes the rest", async () => {
    const out: { report?: CameraAppReport } = {};
    const r = await runScenario(cameraScenario({ frames: 200, stall: { after: 20, ms: 2500 } }, out), {});
    expect(r.checks.filter((c) => !c.passed)).to.deep.equal([]);
    const report = out.report;
    // The app is away for 2.5 s: 75 frames arrive while the ring has room for RING_FRAMES.
    expect(report?.dropped).to.be.within(10, 20);
    expect((report?.processed ?? 0) + (report?.dropped ?? 0)).to.equal(200);
    expect(report?.verified).to.equal(report?.processed);
    expect(RING_FRAMES).to.equal(60);
  });

  it("camera: processing slower than the frame period (40 ms) falls behind until the ring is full, then drops", async () => {
    const out: { report?: CameraAppReport } = {};
    const r = await runScenario(cameraScenario({ frames: 450, processingMs: 40 }, out), {});
    expect(r.checks.filter((c) => !c.passed)).to.deep.equal([]);
    expect(out.report?.dropped).to.be.greaterThan(0);
  });
});
