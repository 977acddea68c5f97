import { expect } from "chai";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { DecisionStrategy } from "../../kernel/machine.js";
import { formatTextTimeline } from "../../report/text.js";
import { runScenario } from "../../scenario/scenario.js";
import { windriverKpScenario } from "../../samples/windriver-kp/scenario.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function failedChecks(r: Awaited<ReturnType<typeof runScenario>>): string[] {
  return r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
}

/** Takes the card's early interval (option 1) at its k-th sample, the default everywhere else. */
function earlyInterruptAt(k: number): DecisionStrategy {
  let n = 0;
  return { choose: (p) => (p.kind === "device-interrupt-interval" && n++ === k ? 1 : 0) };
}

describe("samples/windriver-kp: Jungo's technical document #41 on the emulated machine", () => {
  for (const flow of ["kp-call", "int-enable", "shared-buffer"]) {
    for (const ending of ["done", "killed"]) {
      it(`flow "${flow}", ending "${ending}": every check passes — both views map the same contiguous frames, the KP's samples are read with zero bytes copied, and nothing is left allocated, locked or connected`, async () => {
        const r = await runScenario(windriverKpScenario, { options: { flow, ending } });
        expect(failedChecks(r)).to.deep.equal([]);
        expect(r.passed).to.equal(true);
        expect(r.checks.map((c) => c.name)).to.include.members([
          "the user and kernel addresses map the same frames",
          "no byte of the samples is copied",
          "the app never observes a half-written record",
          "no contiguous buffer is left allocated",
          "no page is left locked",
        ]);
      });
    }
  }

  it("the unsynchronised reader: the default run does not tear, but a long hold-up between the app's two loads always lets the next interrupt rewrite the record in between (the document's warning), and only the torn-read check fails", async () => {
    const short = await runScenario(windriverKpScenario, { options: { reader: "unsynchronised" } });
    expect(short.passed).to.equal(true);
    const long = await runScenario(windriverKpScenario, { options: { reader: "unsynchronised", "read-gap": "long" } });
    expect(long.passed).to.equal(false);
    const failed = failedChecks(long);
    expect(failed).to.have.length(1);
    expect(failed[0]).to.match(/^the app never observes a half-written record: sample 1 read with value 0x3c6ef362/);
  });

  it("the torn read is a scheduling bug an explorer finds: an early interrupt chosen at one decision tears the unsynchronised reader's record, while the sequence-counter reader never tears under the same schedules", async () => {
    const found: number[] = [];
    for (let k = 0; k < 6; k++) {
      const bad = await runScenario(windriverKpScenario, { options: { reader: "unsynchronised" }, strategy: earlyInterruptAt(k) });
      if (!bad.passed) {
        found.push(k);
        expect(failedChecks(bad)).to.have.length(1);
        expect(failedChecks(bad)[0]).to.match(/^the app never observes a half-written record/);
      }
      const fixed = await runScenario(windriverKpScenario, { options: { reader: "sequence-counter" }, strategy: earlyInterruptAt(k) });
      expect(failedChecks(fixed), `schedule ${k}`).to.deep.equal([]);
    }
    // Decision 0 schedules the first sample while the app still waits: an early one is harmless there.
    expect(found).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it("the sequence-counter reader retries when the counter moved under it, so even the long hold-up never tears", async () => {
    const r = await runScenario(windriverKpScenario, { options: { reader: "sequence-counter", "read-gap": "long" }, trace: true });
    expect(failedChecks(r)).to.deep.equal([]);
    const retried = r.events.filter((e) => e.kind === "DebugPrint" && e.mode === "UserMode" && e.text.includes("after 1 retry"));
    expect(retried.length).to.be.greaterThan(0);
  });

  it("the timeline shows the KP writing each sample at the kernel address from the interrupt, the app reading it at its own, and a zero-copy summary", async () => {
    const r = await runScenario(windriverKpScenario, { options: { flow: "int-enable" }, trace: true });
    const text = formatTextTimeline(r.events);
    expect(text).to.match(/DbgPrint: KP_SMPL: KP_IntEnable keeps the shared buffer's kernel address 0xA0000000/);
    expect(text).to.match(/Idle\s+System\s+DbgPrint: KP_SMPL: KP_IntAtIrql writes sample 1 at kernel address 0xA0000010/);
    expect(text).to.match(/OutputDebugString: sample 1: 0x9E3779B1/);
    expect(text).to.include("bytes copied: 0 in, 0 out (zero copy)");
    const calls = r.events.flatMap((e) => (e.kind === "WinDriverCall" ? [e.function] : []));
    expect(calls.slice(0, 5)).to.deep.equal(["WD_DMALock", "WD_KernelPlugInOpen", "WD_CardRegister", "WD_IntEnable", "WD_IntWait"]);
  });

  it("the same options give the same trace, byte for byte", async () => {
    const a = await runScenario(windriverKpScenario, { options: { flow: "shared-buffer", ending: "killed" }, trace: true });
    const b = await runScenario(windriverKpScenario, { options: { flow: "shared-buffer", ending: "killed" }, trace: true });
    expect(JSON.stringify(a.events)).to.equal(JSON.stringify(b.events));
  });

  it("irpsim run windriver-kp runs every flow and exits 0; with -o reader=unsynchronised -o read-gap=long it shows the torn read and exits 1", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [path.join(root, "bin/irpsim.js"), "run", "windriver-kp", ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout) => {
          resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout });
        });
      });
    const clean = await run([]);
    expect(clean.code).to.equal(0);
    expect(clean.stdout.match(/^windriver-kp — flow: /gm)).to.have.length(3);
    const torn = await run(["-o", "flow=kp-call", "-o", "reader=unsynchronised", "-o", "read-gap=long"]);
    expect(torn.code).to.equal(1);
    expect(torn.stdout).to.include("FAIL the app never observes a half-written record");
  });
});
