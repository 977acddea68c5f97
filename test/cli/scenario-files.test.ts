/**
 * A user's own scenario files in the built command line: `.ts` modules load directly (through
 * tsx), a module's scenario is chosen by name with --scenario, explore prints replay lines that
 * name the module and run as printed, and replay writes every report format.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { explore, ExplorationFailure } from "../../explore/index.js";
import { findTsx, noTypeScriptLoaderMessage } from "../../scenario/load-module.js";
import { myCancelWindow } from "../fixtures/user-scenarios.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURE = "test/fixtures/user-scenarios.ts";

/** Runs the built command line (npm test builds dist/ first). */
function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A replay string for the fixture's second scenario, found in this process. */
async function cancelWindowReplay(): Promise<string> {
  try {
    await explore(myCancelWindow, { strategy: "dfs", bound: 1, stopAtFirstFailure: true, options: { ending: "done-using" } });
  } catch (e) {
    if (e instanceof ExplorationFailure) {
      const m = /irp1:\S+/.exec(e.message);
      if (m) return m[0];
    }
    throw e;
  }
  throw new Error("the cancel-window race was not found");
}

describe("cli: a user's own scenario files (.ts, several per module, replays)", function () {
  this.timeout(240_000);

  it("irpsim run loads a .ts module directly, and its bug-check report names the .ts line", async () => {
    const fixture = path.join(root, "test/fixtures/bugcheck-scenario.ts");
    const line = readFileSync(fixture, "utf8").split("\n").findIndex((l) => l.includes("BUG-LINE")) + 1;
    const r = await irpsim(["run", "test/fixtures/bugcheck-scenario.ts"]);
    expect(r.stderr).to.equal("");
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("*** STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(r.stdout).to.match(new RegExp(`at test/fixtures/bugcheck-scenario\\.ts:${line}:\\d+ \\(TwiceDeviceControl\\)`));
  });

  it("a module with several scenarios and no default: run names them and how to choose; <name> --scenario <file> chooses", async () => {
    const several = await irpsim(["run", FIXTURE]);
    expect(several.code).to.equal(2);
    expect(several.stderr).to.include(`${FIXTURE} exports 2 scenarios ('my-cancel-window', 'my-sharebuf') and no default: name one, as in 'irpsim run my-cancel-window --scenario ${FIXTURE}'`);
    const r = await irpsim(["run", "my-sharebuf", "--scenario", FIXTURE, "--ending", "closed"]);
    expect(r.stderr).to.equal("");
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("my-sharebuf — ending: closed");
    expect(r.stdout).to.include("PASSED");
  });

  it("irpsim run <name> --scenario <file> runs the module's scenario of that name; a wrong name lists the ones it has", async () => {
    const r = await irpsim(["run", "my-cancel-window", "--scenario", FIXTURE, "--ending", "closed"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("my-cancel-window — ending: closed");
    const bad = await irpsim(["run", "my-cancel-widow", "--scenario", FIXTURE]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include(`${FIXTURE} exports no scenario named 'my-cancel-widow' (it exports 'my-cancel-window', 'my-sharebuf'). Did you mean 'my-cancel-window'?`);
  });

  it("irpsim explore of a module's scenario prints replay lines with --scenario <file>, and each runs back as printed", async () => {
    const r = await irpsim(["explore", "my-cancel-window", "--scenario", FIXTURE, "--strategy", "dfs", "--bound", "1", "--stop", "--ending", "done-using"]);
    expect(r.code, r.stderr).to.equal(1);
    const line = /replay: (irpsim replay \S+ --scenario \S+)$/m.exec(r.stdout)?.[1];
    expect(line, r.stdout).to.be.a("string");
    expect(line).to.match(new RegExp(`--scenario ${FIXTURE.replace(/[./]/g, "\\$&")}$`));
    const back = await irpsim((line ?? "").split(" ").slice(1));
    expect(back.code).to.equal(1);
    expect(back.stdout).to.include("What happened");
    expect(back.stdout).to.include("FAILED");
  });

  it("explore's worker threads load a .ts module too", async () => {
    const r = await irpsim(["explore", "my-sharebuf", "--scenario", FIXTURE, "--strategy", "random", "--runs", "8", "--workers", "2", "--ending", "closed"]);
    expect(r.stderr).to.not.include("Error");
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("explore my-sharebuf");
  });

  it("irpsim replay --scenario finds the string's scenario by name in a module that exports several", async () => {
    const replay = await cancelWindowReplay();
    expect(replay).to.match(/^irp1:my-cancel-window:/);
    const r = await irpsim(["replay", replay, "--scenario", FIXTURE]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("replay my-cancel-window — ending: done-using");
    const missing = await irpsim(["replay", replay.replace("my-cancel-window", "their-scenario")]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("unknown scenario 'their-scenario'");
    expect(missing.stderr).to.include("give the module that exports it with --scenario <file>");
  });

  it("irpsim replay takes --format, --out and --html as irpsim run does", async () => {
    const replay = await cancelWindowReplay();
    const dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-replay-"));
    try {
      const mermaid = await irpsim(["replay", replay, "--scenario", FIXTURE, "--format", "mermaid"]);
      expect(mermaid.code).to.equal(1);
      expect(mermaid.stdout).to.match(/^sequenceDiagram/m);
      const json = path.join(dir, "sub/replay.json");
      const html = path.join(dir, "replay.html");
      const r = await irpsim(["replay", replay, "--scenario", FIXTURE, "--format", "json", "--out", json, "--html", html]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include(`wrote ${json}`);
      expect(r.stdout).to.include(`HTML report: ${html}`);
      const parsed = JSON.parse(readFileSync(json, "utf8")) as { format: string; scenario: string; runs: unknown[] };
      expect(parsed).to.include({ format: "irpsim-trace", scenario: "my-cancel-window" });
      const page = readFileSync(html, "utf8");
      expect(page).to.include("<!DOCTYPE html>");
      expect(page).to.include("replay my-cancel-window — ending: done-using");
      expect(page).to.include("what happened:");
      expect(page).to.include("FAILED");
      const chrome = await irpsim(["replay", replay, "--scenario", FIXTURE, "--format", "chrome"]);
      expect((JSON.parse(chrome.stdout) as { traceEvents: unknown[] }).traceEvents.length).to.be.greaterThan(10);
      const bad = await irpsim(["replay", replay, "--scenario", FIXTURE, "--format", "pdf"]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.include("unknown --format 'pdf'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a .ts scenario with no tsx anywhere gets a message saying how to load it", () => {
    expect(findTsx([root])).to.be.a("string");
    expect(findTsx([os.tmpdir()])).to.equal(null);
    const message = noTypeScriptLoaderMessage("scenarios/mine.ts");
    expect(message).to.include("npm install --save-dev tsx");
    expect(message).to.include("scenarios/mine.js");
  });

  it("a file that does not exist is named as such", async () => {
    const r = await irpsim(["run", "no/such/file.ts"]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("cannot load no/such/file.ts: there is no such file");
    expect(existsSync(path.join(root, "no"))).to.equal(false);
  });
});
