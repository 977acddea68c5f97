import { expect } from "chai";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { runScenario } from "../../scenario/scenario.js";
import { invertedCallScenario, makeInvertedCallScenario } from "../../samples/inverted-call/scenario.js";
import { findScenario } from "../../samples/index.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/inverted-call: notifications parked through an I/O completion port", () => {
  for (const ending of ["close", "exit"]) {
    it(`ending "${ending}": every check of the scenario passes and nothing is left allocated`, async () => {
      const r = await runScenario(invertedCallScenario, { options: { ending } });
      const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).to.deep.equal([]);
      expect(r.passed).to.equal(true);
      expect(r.checks.map((c) => c.name)).to.include.members([
        "an event with nothing parked is dropped and counted",
        "4 events complete the 4 requests first in, first out",
        "the event numbers increase",
        "the requests outlive the thread that parked them (thread-agnostic I/O)",
        "the app's exit or close cancels every parked request",
        "no IRP is left allocated",
      ]);
    });
  }

  it("a driver whose cleanup forgets the parked requests: the I/O manager cancels them when the process's last handle closes", async () => {
    const r = await runScenario(makeInvertedCallScenario({ cleanupCompletes: false }, "inverted-call-no-cleanup"), { options: { ending: "exit" }, trace: true });
    expect(r.checks.filter((c) => !c.passed).map((c) => c.name)).to.deep.equal([]);
    const cleanup = r.events.findIndex((e) => e.kind === "IrpDispatched" && e.major === "IRP_MJ_CLEANUP");
    const cancels = r.events.map((e, i) => (e.kind === "IrpCancel" && e.called ? i : -1)).filter((i) => i >= 0);
    expect(cancels).to.have.length(4);
    expect(cancels.every((i) => i > cleanup)).to.equal(true);
  });

  it("the timeline shows the requests queued to the file object and the packets moving through the port", async () => {
    const r = await runScenario(invertedCallScenario, { options: { ending: "close" }, trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.include("queued to file#1, not to the thread (thread-agnostic: the file is bound to a completion port)");
    expect(text).to.match(/completion packet for irp#3 queued to port#1: key 0x4e4f5459, OVERLAPPED 0x[0-9A-F]{8}, STATUS_SUCCESS, 4 bytes/);
    expect(text).to.include("completion packet for irp#3 removed from port#1: STATUS_SUCCESS, 4 bytes");
    expect(text).to.include("DbgPrint: InvertedCall: event 1 dropped: no request is parked");
  });

  it("is shipped: irpsim run inverted-call prints its timeline and checks, and exits 0", async () => {
    expect(findScenario("inverted-call")).to.equal(invertedCallScenario);
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [path.join(root, "bin/irpsim.js"), "run", "inverted-call"], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout });
      });
    });
    expect(out.code).to.equal(0);
    expect(out.stdout).to.include("inverted-call — ending: close");
    expect(out.stdout).to.include("inverted-call — ending: exit");
    expect(out.stdout).to.include("GetQueuedCompletionStatus(port 8, INFINITE)");
    expect(out.stdout.match(/PASSED/g)).to.have.length(2);
  });

  it("the same scenario gives the same trace, byte for byte", async () => {
    const a = await runScenario(invertedCallScenario, { options: { ending: "exit" }, trace: true });
    const b = await runScenario(invertedCallScenario, { options: { ending: "exit" }, trace: true });
    expect(JSON.stringify(a.events)).to.equal(JSON.stringify(b.events));
  });
});
