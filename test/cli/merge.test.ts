import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs the built command line (npm test builds dist/ first) as its own process. */
function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

type Json = Record<string, unknown> & { strategies: Record<string, unknown>[] };

/** A report without what depends on the wall clock (times, rates) and without the raw search data. */
function comparable(text: string): Json {
  const j = JSON.parse(text) as Json;
  delete j.search;
  delete j.elapsedMs;
  delete j.schedulesPerSecond;
  for (const s of j.strategies) delete s.elapsedMs;
  return j;
}

/** The text report without wall-clock figures. */
function untimed(text: string): string {
  return text.replace(/\d+(\.\d+)? s\)/g, "N s)").replace(/\d+ schedules\/s/g, "N schedules/s");
}

describe("cli: irpsim merge", function () {
  this.timeout(180_000);
  const dir = mkdtempSync(path.join(tmpdir(), "irpsim-merge-"));
  after(() => { rmSync(dir, { recursive: true, force: true }); });
  const search = ["explore", "sharebuf-cancel-window", "--runs", "10", "--bound", "1"];
  const shardFile = (i: number): string => path.join(dir, `shard-${i}.json`);

  it("three shards run as separate processes merge into the report the single search gives: totals, causes, shrunk replays and 'all schedules up to bound 1 explored'", async () => {
    const single = await irpsim([...search, "--json"]);
    expect(single.code).to.equal(1);
    const shards = await Promise.all([0, 1, 2].map((i) => irpsim([...search, "--shard", `${i}/3`, "--json"])));
    shards.forEach((s, i) => {
      expect(s.code, s.stderr).to.be.oneOf([0, 1]);
      writeFileSync(shardFile(i), s.stdout);
    });
    // A shard alone does not claim the bound: its DFS covers a third of the subtrees.
    expect((JSON.parse(shards[1]?.stdout ?? "{}") as { shard: unknown }).shard).to.deep.equal({ index: 1, count: 3 });
    const merged = await irpsim(["merge", shardFile(2), shardFile(0), shardFile(1), "--json"]);
    expect(merged.code, merged.stderr).to.equal(1);
    const want = comparable(single.stdout);
    expect(comparable(merged.stdout)).to.deep.equal(want);
    expect(want.statement).to.match(/^all schedules up to bound 1 explored: \d+ distinct, 1 failed \(1 cause\)/);
    expect((want.failures as { replay: string }[])[0]?.replay).to.match(/^irp1:sharebuf-cancel-window:.*shrunk/);
    // The text report too.
    const text = await irpsim(["merge", shardFile(0), shardFile(1), shardFile(2)]);
    const singleText = await irpsim(search);
    expect(untimed(text.stdout)).to.equal(untimed(singleText.stdout));
  });

  it("a missing shard: the report of the others is printed marked INCOMPLETE, claims no bound, and the exit status is 2", async () => {
    const r = await irpsim(["merge", shardFile(0), shardFile(2)]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("shard 1/3 missing");
    expect(r.stdout).to.match(/Result: INCOMPLETE: shard 1\/3 missing/);
    expect(r.stdout).not.to.match(/all schedules up to bound/);
  });

  it("duplicate, incompatible and foreign inputs are refused with exit status 2 and a message that says which", async () => {
    const dup = await irpsim(["merge", shardFile(0), shardFile(0), shardFile(1)]);
    expect(dup.code).to.equal(2);
    expect(dup.stderr).to.include("shard 0/3 is given twice");
    const other = await irpsim(["explore", "sharebuf-cancel-window", "--runs", "11", "--bound", "1", "--shard", "1/3", "--json"]);
    writeFileSync(path.join(dir, "other.json"), other.stdout);
    const mixed = await irpsim(["merge", shardFile(0), path.join(dir, "other.json"), shardFile(2)]);
    expect(mixed.code).to.equal(2);
    expect(mixed.stderr).to.include("ran strategies");
    const whole = await irpsim(["explore", "sharebuf-cancel-window", "--strategy", "dfs", "--bound", "1", "--json"]);
    writeFileSync(path.join(dir, "whole.json"), whole.stdout);
    const notShard = await irpsim(["merge", path.join(dir, "whole.json")]);
    expect(notShard.code).to.equal(2);
    expect(notShard.stderr).to.include("is a whole search, not a shard");
    writeFileSync(path.join(dir, "junk.json"), "not json");
    const junk = await irpsim(["merge", path.join(dir, "junk.json")]);
    expect(junk.code).to.equal(2);
    expect(junk.stderr).to.include("is not JSON");
    const none = await irpsim(["merge"]);
    expect(none.code).to.equal(2);
    expect(readFileSync(shardFile(0), "utf8").length).to.be.greaterThan(0);
  });

  it("shards of a search whose undisturbed run fails each report that failure, and merge into the same one-schedule report", async () => {
    const args = ["explore", "buggy/request-dropped"];
    const single = await irpsim([...args, "--json"]);
    expect(single.code).to.equal(1);
    const parts = await Promise.all([0, 1].map((i) => irpsim([...args, "--shard", `${i}/2`, "--json"])));
    parts.forEach((p, i) => { writeFileSync(path.join(dir, `dropped-${i}.json`), p.stdout); });
    const merged = await irpsim(["merge", path.join(dir, "dropped-0.json"), path.join(dir, "dropped-1.json"), "--json"]);
    expect(merged.code).to.equal(1);
    const want = comparable(single.stdout);
    expect(want.undisturbedFailure).to.equal(true);
    expect(want.schedules).to.equal(1);
    expect(comparable(merged.stdout)).to.deep.equal(want);
  });
});
