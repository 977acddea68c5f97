import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";

import { main } from "../../cli/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs the built command line (npm test builds dist/ first). */
function irpsim(args: string[], env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Runs the command line in this process (no build or Node start-up: for usage and help checks). */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(`${a.map(String).join(" ")}\n`);
  console.error = (...a: unknown[]) => err.push(`${a.map(String).join(" ")}\n`);
  try {
    const code = await main(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe("cli: the irpsim command", () => {
  it("irpsim list names the shipped scenarios, one short line each under a heading per kind", async () => {
    const r = await irpsim(["list"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^ {2}sharebuf\s+share a buffer with a driver/m);
  });

  it("irpsim run sharebuf --ending closed prints the timeline and exits 0 when the run is clean", async () => {
    const r = await irpsim(["run", "sharebuf", "--ending", "closed"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("sharebuf — ending: closed");
    expect(r.stdout).to.include("IRP_MJ_CLEANUP → Sharebuf!SharebufCleanup");
    expect(r.stdout).to.include("PASSED");
  });

  it("an unknown scenario or option is bad usage: exit status 2 with a clear message", async () => {
    const a = await inProcess(["run", "nosuch"]);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.include("unknown scenario 'nosuch'");
    const b = await inProcess(["run", "sharebuf", "--ending", "sideways"]);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.include("--ending must be one of done-using, killed, closed");
    const c = await inProcess(["run", "sharebuf", "--bogus"]);
    expect(c.code).to.equal(2);
    const d = await inProcess(["frobnicate"]);
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
    expect(list.stdout).to.match(/^ {2}buggy\/complete-twice\s+an error path completes the IRP/m);
  });

  it("a bug check in the built command line names the driver's TypeScript source line (source maps), and exits 1", async () => {
    const fixture = path.join(root, "test/fixtures/bugcheck-scenario.ts");
    const line = readFileSync(fixture, "utf8").split("\n").findIndex((l) => l.includes("BUG-LINE")) + 1;
    const r = await irpsim(["run", "dist/test/fixtures/bugcheck-scenario.js"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("*** STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(r.stdout).to.match(new RegExp(`at test/fixtures/bugcheck-scenario\\.ts:${line}:\\d+ \\(TwiceDeviceControl\\)`));
  });

  it("--format mermaid prints what the golden file holds (one diagram per ending, as Markdown)", async () => {
    const r = await irpsim(["run", "sharebuf", "--format", "mermaid"]);
    expect(r.code).to.equal(0);
    expect(r.stdout === readFileSync(path.join(root, "test/report/golden/sharebuf.mermaid.md"), "utf8"), "stdout differs from test/report/golden/sharebuf.mermaid.md").to.equal(true);
  });

  it("--out writes the report to a file (creating its folder) and --html also writes the HTML report, each with a line saying where", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-cli-"));
    try {
      const chrome = path.join(dir, "sub/sharebuf.json");
      const html = path.join(dir, "sharebuf.html");
      const r = await irpsim(["run", "sharebuf", "--format", "chrome", "--out", chrome, "--html", html]);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include(`wrote ${chrome}`);
      expect(r.stdout).to.include(`HTML report: ${html}`);
      const golden = (f: string) => readFileSync(path.join(root, "test/report/golden", f), "utf8");
      expect(readFileSync(chrome, "utf8") === golden("sharebuf.chrome.json"), `${chrome} differs from the golden file`).to.equal(true);
      expect(readFileSync(html, "utf8") === golden("sharebuf.html"), `${html} differs from the golden file`).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an unknown --format is bad usage (exit 2) and the message lists the formats", async () => {
    const r = await inProcess(["run", "sharebuf", "--format", "pdf"]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("unknown --format 'pdf' (it is one of text, mermaid, chrome, html, json, svg)");
  });

  it("--format svg writes the sequence diagrams alone as one standalone SVG document, each under its title", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-cli-"));
    try {
      const file = path.join(dir, "sharebuf.svg");
      const r = await irpsim(["run", "sharebuf", "--format", "svg", "--out", file]);
      expect(r.code).to.equal(0);
      const svg = readFileSync(file, "utf8");
      expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
      expect(svg).to.include("<style>");
      expect(svg.match(/<text class="title"[^>]*>sharebuf — ending: (done-using|killed|closed)<\/text>/g)).to.have.length(3);
      expect(svg === readFileSync(path.join(root, "test/report/golden/sharebuf.svg"), "utf8"), "differs from the golden file").to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--full prints every step of every variant: the text report, as the golden file holds it", async () => {
    const r = await irpsim(["run", "sharebuf", "--full"]);
    expect(r.code).to.equal(0);
    expect(r.stdout === readFileSync(path.join(root, "test/report/golden/sharebuf.txt"), "utf8"), "stdout differs from test/report/golden/sharebuf.txt").to.equal(true);
  });

  it("--help, -h and 'irpsim help run' print the command's help and exit 0", async () => {
    for (const args of [["run", "--help"], ["run", "-h"], ["help", "run"]]) {
      const r = await inProcess(args);
      expect(r.code, args.join(" ")).to.equal(0);
      expect(r.stdout).to.include("irpsim run <scenario | path/to/scenario.ts or .js> [options]");
      expect(r.stdout).to.include("--format <fmt>");
    }
    const l = await inProcess(["list", "--help"]);
    expect(l.code).to.equal(0);
    expect(l.stdout).to.include("irpsim list");
  });

  it("output to a pipe has no colour even when NO_COLOR is not set", async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const r = await irpsim(["run", "sharebuf", "--ending", "done-using"], env);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.not.include("\u001b[");
  });

  it("a run with a finding exits 1", async () => {
    const r = await irpsim(["run", "dist/test/fixtures/report-scenarios.js"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include("FINDING REPORT_TEST_RULE (0x0): a finding raised by the report tests");
  });
});
