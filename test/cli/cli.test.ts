import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs the built command line (npm test builds dist/ first). */
function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("cli: the irpsim command", () => {
  it("irpsim list names the shipped scenarios, one line each", async () => {
    const r = await irpsim(["list"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^sharebuf\s+share a buffer with a driver/m);
  });

  it("irpsim run sharebuf --ending closed prints the timeline and exits 0 when the run is clean", async () => {
    const r = await irpsim(["run", "sharebuf", "--ending", "closed"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("sharebuf — ending: closed");
    expect(r.stdout).to.include("IRP_MJ_CLEANUP → Sharebuf!SharebufCleanup");
    expect(r.stdout).to.include("PASSED");
  });

  it("an unknown scenario or option is bad usage: exit status 2 with a clear message", async () => {
    const a = await irpsim(["run", "nosuch"]);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.include("unknown scenario 'nosuch'");
    const b = await irpsim(["run", "sharebuf", "--ending", "sideways"]);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.include("--ending must be one of done-using, killed, closed");
    const c = await irpsim(["run", "sharebuf", "--bogus"]);
    expect(c.code).to.equal(2);
    const d = await irpsim(["frobnicate"]);
    expect(d.code).to.equal(2);
  });

  it("irpsim run verifies by default: a buggy sample prints its finding with the driver's TypeScript line and exits 1; --no-verifier runs it unverified", async () => {
    const r = await irpsim(["run", "buggy/pending-without-mark"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("FINDING 0xC9/0x23D PendingWithoutMark — Driver Verifier, I/O Verification");
    expect(r.stdout).to.match(/ {4}at samples\/buggy\/pending\.ts:\d+:\d+ \(PendDeviceControl\)/);
    const off = await irpsim(["run", "buggy/pending-without-mark", "--no-verifier"]);
    expect(off.code).to.equal(0);
    expect(off.stdout).to.not.include("FINDING");
    const list = await irpsim(["list"]);
    expect(list.stdout).to.match(/^buggy\/complete-twice\s+an error path completes the IRP/m);
  });

  it("a bug check in the built command line names the driver's TypeScript source line (source maps), and exits 1", async () => {
    const fixture = path.join(root, "test/fixtures/bugcheck-scenario.ts");
    const line = readFileSync(fixture, "utf8").split("\n").findIndex((l) => l.includes("BUG-LINE")) + 1;
    const r = await irpsim(["run", "dist/test/fixtures/bugcheck-scenario.js"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("*** STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(r.stdout).to.match(new RegExp(`at test/fixtures/bugcheck-scenario\\.ts:${line}:\\d+ \\(TwiceDeviceControl\\)`));
  });
});
