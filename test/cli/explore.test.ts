import { expect } from "chai";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs the built command line (npm test builds dist/ first); output is not a terminal. */
function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("cli: irpsim explore and irpsim replay", function () {
  this.timeout(60_000);

  it("irpsim explore of a correct sample prints the strategies, the schedules and end states seen, and exits 0", async () => {
    const r = await irpsim(["explore", "sharebuf", "--strategy", "dfs", "--bound", "1"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^explore sharebuf \(ending=done-using\); budget: cancel 1, death 1$/m);
    expect(r.stdout).to.match(/Schedules: \d+ run, \d+ distinct, \d+ distinct end states?; \d+ schedules\/s/);
    expect(r.stdout).to.match(/Result: all schedules up to bound 1 explored: \d+ distinct, none failed/);
    // Not a terminal: progress goes to standard error as plain lines.
    expect(r.stderr).to.match(/^explore: dfs\.b1: \d+\/\d+ subtrees, \d+ schedules/m);
  });

  it("irpsim explore of a race sample groups the failures by cause, shows the shrunk schedule in words, and exits 1; its replay string replays it", async () => {
    const r = await irpsim(["explore", "sharebuf-done-using-race", "--strategy", "pct", "--runs", "3000", "--stop"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("Failures by cause");
    expect(r.stdout).to.include("bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(r.stdout).to.match(/PCT: each run finds a given depth-2 bug with probability at least 1\/\(n·k\^1\)/);
    const replay = /replay: irpsim replay (irp1:\S+)/.exec(r.stdout)?.[1];
    expect(replay).to.be.a("string");
    const back = await irpsim(["replay", replay ?? ""]);
    expect(back.code).to.equal(1);
    expect(back.stdout).to.include("INJECTED cancel");
    expect(back.stdout).to.include("*** STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(back.stdout).to.include("What happened");
    expect(back.stdout).to.match(/FAILED: bug check 0x00000044/);
  });

  it("--json prints the report as JSON, and --shard runs a deterministic part of the search", async () => {
    const whole = JSON.parse((await irpsim(["explore", "sharebuf", "--strategy", "random", "--runs", "12", "--json"])).stdout) as { schedules: number; strategies: { name: string }[] };
    expect(whole.schedules).to.equal(13);
    expect(whole.strategies[0]?.name).to.equal("random.s1");
    const a = JSON.parse((await irpsim(["explore", "sharebuf", "--strategy", "random", "--runs", "12", "--shard", "0/2", "--json"])).stdout) as { schedules: number };
    const b = JSON.parse((await irpsim(["explore", "sharebuf", "--strategy", "random", "--runs", "12", "--shard", "1/2", "--json"])).stdout) as { schedules: number };
    expect(a.schedules + b.schedules).to.equal(13);
  });

  it("bad usage is exit status 2 with a clear message: an unknown strategy, a bad shard, a bad budget, a cause that cannot be suppressed, a string that is not a replay string", async () => {
    const a = await irpsim(["explore", "sharebuf", "--strategy", "bogus"]);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.include("unknown --strategy 'bogus'");
    const b = await irpsim(["explore", "sharebuf", "--shard", "3/2"]);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.include("the index must be below the count");
    const c = await irpsim(["explore", "sharebuf", "--budget", "z9"]);
    expect(c.code).to.equal(2);
    expect(c.stderr).to.include("bad budget");
    const e = await irpsim(["explore", "sharebuf", "--suppress", "NoSuchRule"]);
    expect(e.code).to.equal(2);
    expect(e.stderr).to.include("cannot suppress 'NoSuchRule'");
    const d = await irpsim(["replay", "not-a-replay-string"]);
    expect(d.code).to.equal(2);
    expect(d.stderr).to.include("starts with 'irp1:'");
  });
});
