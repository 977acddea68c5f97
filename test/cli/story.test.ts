/**
 * What `npm start` prints (`irpsim run sharebuf --html out/sharebuf.html` on the built command
 * line): a short account that teaches — at most 150 lines of at most 100 columns, one ending in
 * full with its repeated DPC work folded, the other two summarised, the control codes named, and
 * what to do next.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { storyLines, storyWidth } from "../../cli/story.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { sharebufRuns } from "../report/runs.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Columns a line takes on a terminal (code points: every character the story uses is one column wide). */
function columns(line: string): number {
  return Array.from(line).length;
}

/** The lines of the section headed `title` (up to the next blank line followed by a heading). */
function section(lines: readonly string[], starts: string): string[] {
  const at = lines.findIndex((l) => l.startsWith(starts));
  if (at < 0) return [];
  const end = lines.findIndex((l, i) => i > at + 1 && l === "" && i + 1 < lines.length && !/^ /.test(lines[i + 1] ?? " "));
  return lines.slice(at, end < 0 ? lines.length : end);
}

describe("cli/story: what npm start prints", function () {
  this.timeout(60_000);
  let out: { code: number; stdout: string; stderr: string };
  let lines: string[];
  let dir = "";

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-story-"));
    out = await irpsim(["run", "sharebuf", "--html", path.join(dir, "sharebuf.html")]);
    lines = out.stdout.replace(/\n$/, "").split("\n");
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("is at most 150 lines, none wider than 100 columns, and exits 0 having written the HTML report", () => {
    expect(out.code, out.stderr).to.equal(0);
    expect(lines.length).to.be.at.most(150);
    expect(lines.length).to.be.greaterThan(60);
    const wide = lines.filter((l) => columns(l) > 100);
    expect(wide, "lines wider than 100 columns").to.deep.equal([]);
    expect(existsSync(path.join(dir, "sharebuf.html"))).to.equal(true);
  });

  it("tells one ending in full with the 15 timer DPC runs folded into one line each (× 15), not one line per run", () => {
    const full = section(lines, "sharebuf — ending: done-using");
    expect(full.length).to.be.greaterThan(40);
    const dpc = full.filter((l) => l.includes("DPC Sharebuf!SharebufTimerDpc runs"));
    expect(dpc).to.have.length(1);
    expect(dpc[0]).to.match(/× 15, 10–150 ms$/);
    const records = full.filter((l) => l.includes("DPC writes record"));
    expect(records).to.have.length(1);
    expect(full.join("\n")).to.match(/record 1…15 at system address\s+0xA0000010…0xA00000F0\s+× 15/);
    // The steps around the fold are all there: the sharing starts, and DONE_USING ends it.
    expect(full.join("\n")).to.include("IoMarkIrpPending(irp#2)");
    expect(full.join("\n")).to.include("IoCompleteRequest(irp#2, STATUS_SUCCESS, 0 bytes)");
  });

  it("summarises the other two endings in a few lines each, from where they part from the first", () => {
    const killed = section(lines, "sharebuf — ending: killed");
    const closed = section(lines, "sharebuf — ending: closed");
    for (const [s, name] of [[killed, "killed"], [closed, "closed"]] as const) {
      expect(s.length, name).to.be.within(4, 16);
      expect(s.join("\n")).to.include(`In full: irpsim run sharebuf --ending ${name}`);
    }
    expect(killed.join("\n")).to.include("As the first until 120 ms");
    expect(killed.join("\n")).to.include("IoCancelIrp(irp#2) calls Sharebuf!SharebufCancelRoutine");
    expect(killed.join("\n")).to.include("IoCompleteRequest(irp#2, STATUS_CANCELLED, 0 bytes)");
    expect(closed.join("\n")).to.include("irp#3 IRP_MJ_CLEANUP → Sharebuf!SharebufCleanup");
    expect(closed.join("\n")).to.include("ERROR_OPERATION_ABORTED");
  });

  it("names the control codes as the driver declared them, and decodes them once", () => {
    const text = lines.join("\n");
    expect(text).to.include("DeviceIoControl(handle 4, IOCTL_SHARE_BUFFER, in 0, out 16384 at");
    expect(text).to.include("irp#3 IRP_MJ_DEVICE_CONTROL IOCTL_DONE_USING_SHARE_BUFFER →");
    expect(text).to.not.match(/DeviceIoControl\(handle 4, 0x/);
    expect(text).to.include("IOCTL_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) = 0x00222002");
  });

  it("ends with the next steps: the HTML report's path, irpsim explore sharebuf-cancel-window, the sample's source folder, --full", () => {
    const next = lines.slice(lines.indexOf("Next"));
    expect(next.length).to.be.within(4, 8);
    const text = next.join("\n");
    expect(text).to.include(path.join(dir, "sharebuf.html"));
    expect(text).to.include("irpsim explore sharebuf-cancel-window");
    expect(text).to.include("samples/sharebuf/");
    expect(text).to.include("irpsim run sharebuf --full");
  });

  it("fits a narrower terminal: on a 72-column TTY no line is wider than 72", async () => {
    const width = storyWidth(true, 72);
    expect(width).to.equal(72);
    const story = storyLines(sharebufScenario, await sharebufRuns(), { width, htmlFile: "out/sharebuf.html", source: "samples/sharebuf/", command: "irpsim run sharebuf" });
    expect(story.filter((l) => columns(l) > 72)).to.deep.equal([]);
    expect(story.length).to.be.at.most(180);
  });

  it("uses the terminal's width on a TTY (at least 60 columns), and 100 columns when the output is not a terminal", () => {
    expect(storyWidth(true, 160)).to.equal(160);
    expect(storyWidth(true, 40)).to.equal(60);
    expect(storyWidth(false, 160)).to.equal(100);
    expect(storyWidth(true, undefined)).to.equal(100);
  });
});
