import { expect } from "chai";
import { execFile } from "node:child_process";
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

describe("cli: irpsim run smd (the CE 6.0 scenario)", () => {
  it("irpsim list shows smd with its parts and CE versions", async () => {
    const r = await irpsim(["list"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^ {2}smd\s+Windows CE 6\.0: .*\n {4,}--part smd\|user-app\|reflector\|camera {2}--ce 6\.0\|5\.0$/m);
  });

  it("irpsim run smd --full runs every part, prints their timelines and exits 0", async () => {
    const r = await irpsim(["run", "smd", "--full"]);
    expect(r.code).to.equal(0);
    for (const part of ["smd", "user-app", "reflector", "camera"]) expect(r.stdout).to.include(`smd — part: ${part}, ce: 6.0`);
    expect(r.stdout).to.include("OutputDebugString:  Hello World");
    expect(r.stdout).to.match(/camera: 90 frames processed, 0 dropped/);
    expect(r.stdout).not.to.include("FAILED");
  });

  it("irpsim run smd --part smd --ce 5.0 shows the 32 MB section failure", async () => {
    const r = await irpsim(["run", "smd", "--part", "smd", "--ce", "5.0"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("VirtualCopyEx(");
    expect(r.stdout).to.include("→ FALSE (ERROR_INVALID_PARAMETER)");
    const bad = await irpsim(["run", "smd", "--ce", "7.0"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("--ce must be one of 6.0, 5.0");
  });
});
