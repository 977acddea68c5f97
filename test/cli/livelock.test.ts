import { expect } from "chai";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs the built command line (npm test builds dist/ first). */
function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("cli: runs that never end on their own are reported, never a silent hang", () => {
  it("irpsim run on a driver thread that polls forever reports the livelock by name with its last calls after 10 s of virtual time, and exits 1", async function () {
    this.timeout(120_000);
    const story = await irpsim(["run", "dist/test/fixtures/runaway-scenario.js"]);
    expect(story.code).to.equal(1);
    expect(story.stdout).to.include("FAILED: livelock");
    const r = await irpsim(["run", "dist/test/fixtures/runaway-scenario.js", "--full"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("LIVELOCK: System:PollerThread ran 10 s of virtual time without waiting");
    expect(r.stdout).to.include("Livelock: System:PollerThread ran 10 s of virtual time without waiting (in system thread PollerThread); its last calls were KeQuerySystemTime ×8");
    expect(r.stdout).to.match(/FAILED\n$/);
  });

  it("irpsim run on a scenario whose own code awaits a promise that never settles reports what it waited for and exits 1 (not Node's silent exit 13)", async function () {
    this.timeout(60_000);
    const r = await irpsim(["run", "dist/test/fixtures/never-settles-scenario.js", "--full"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("Livelock: the code of scenario never-settles awaited something that never settles");
    expect(r.stdout).to.include("its last run ended completed at 5.001 ms");
    expect(r.stdout).to.include(`deadlines that only a machine run reaches: "the scenario's wake-up" at 15.001 ms`);
  });

  it("runScenario reports a never-settling scenario the same way, in a process of its own whose event loop empties", async function () {
    this.timeout(60_000);
    const script = [
      `import { runScenario } from "${path.join(root, "dist/index.js")}";`,
      `import { neverSettlesScenario } from "${path.join(root, "dist/test/fixtures/never-settles-scenario.js")}";`,
      "const r = await runScenario(neverSettlesScenario);",
      "console.log(JSON.stringify({ passed: r.passed, halted: r.machine.halted?.kind, description: r.machine.halted?.description }));",
    ].join("\n");
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { cwd: root }, (err, stdout) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout });
      });
    });
    expect(out.code).to.equal(0);
    const v = JSON.parse(out.stdout) as { passed: boolean; halted: string; description: string };
    expect(v.passed).to.equal(false);
    expect(v.halted).to.equal("livelock");
    expect(v.description).to.include("the machine was not running: its last run ended completed at 5.001 ms");
  });
});
