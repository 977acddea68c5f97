/**
 * The command line's manners: mistakes explained in our own words with "did you mean", `irpsim
 * list` grouped by kind in short lines, colour by FORCE_COLOR, NO_COLOR and TERM, and the
 * unbuilt checkout's `bin/irpsim.js`.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/index.js";
import { canRedraw, wantsColor } from "../../cli/color.js";
import { parseOptions } from "../../cli/parse-options.js";
import { closest, editDistance } from "../../cli/suggest.js";
import { shippedScenarios } from "../../samples/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function node(args: string[], env: Record<string, string | undefined>, cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The environment without any colour setting. */
function plainEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.TERM;
  return env;
}

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

describe("cli: usage mistakes, the list, colour and the unbuilt checkout", function () {
  this.timeout(120_000);

  describe("did you mean", () => {
    it("a mistyped command, scenario or option gets the name it was probably meant to be, and exit status 2", async () => {
      const a = await inProcess(["rnu", "sharebuf"]);
      expect(a.code).to.equal(2);
      expect(a.stderr).to.include("irpsim: there is no command 'rnu'. Did you mean 'run'?");
      const b = await inProcess(["run", "sharbeuf"]);
      expect(b.code).to.equal(2);
      expect(b.stderr).to.include("unknown scenario 'sharbeuf'. Did you mean 'sharebuf'?");
      const c = await inProcess(["explore", "sharebuf-cancel-widow"]);
      expect(c.code).to.equal(2);
      expect(c.stderr).to.include("Did you mean 'sharebuf-cancel-window'?");
      const d = await inProcess(["run", "sharebuf", "--formt", "html"]);
      expect(d.code).to.equal(2);
      expect(d.stderr).to.include("irpsim run: --formt is not an option of irpsim run. Did you mean '--format'?");
      expect(d.stderr).to.include("Run 'irpsim run --help' for its options.");
      const e = await inProcess(["help", "replya"]);
      expect(e.stderr).to.include("Did you mean 'replay'?");
    });

    it("a name nothing is close to gets no guess", async () => {
      const r = await inProcess(["run", "zzzzzzzz"]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include("unknown scenario 'zzzzzzzz'.");
      expect(r.stderr).to.not.include("Did you mean");
    });

    it("the guess allows a typo, a swapped pair or a dropped letter per three letters, and a buggy sample's name without its folder", () => {
      expect(editDistance("sharbeuf", "sharebuf")).to.equal(1);
      expect(closest("notfy", ["notify", "sharebuf"])).to.equal("notify");
      expect(closest("complete-twice", ["buggy/complete-twice", "buggy/cancel-twice"])).to.equal("buggy/complete-twice");
      expect(closest("xyz", ["notify", "sharebuf"])).to.equal(null);
    });
  });

  describe("option errors in our own words", () => {
    const options = { format: { type: "string" as const }, verbose: { type: "boolean" as const, default: false }, option: { type: "string" as const, short: "o", multiple: true } };

    it("a value-taking option with no value, a switch given a value, an unknown short option", () => {
      expect(parseOptions(["--format"], options, "irpsim run")).to.equal("--format needs a value (--format <value>).");
      expect(parseOptions(["--format", "--verbose"], options, "irpsim run")).to.equal("--format needs a value (--format <value>), but it is followed by '--verbose'.");
      expect(parseOptions(["--verbose=yes"], options, "irpsim run")).to.equal("--verbose is a switch and takes no value (got '--verbose=yes').");
      expect(parseOptions(["-x"], options, "irpsim run")).to.equal("-x is not an option of irpsim run.");
    });

    it("parses --name value, --name=value, -o value, -ovalue, repeats and -- as parseArgs would", () => {
      const r = parseOptions(["a", "--format=html", "-o", "k=v", "-ok2=v2", "--verbose", "--", "--not-an-option"], options, "irpsim run");
      expect(r).to.deep.equal({ values: { format: "html", option: ["k=v", "k2=v2"], verbose: true }, positionals: ["a", "--not-an-option"] });
      expect(parseOptions([], options, "irpsim run")).to.deep.equal({ values: { verbose: false }, positionals: [] });
    });

    it("the command line prints them with the command's name and where to look", async () => {
      const r = await inProcess(["replay", "irp1:x", "--format"]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal("irpsim replay: --format needs a value (--format <value>).\nRun 'irpsim replay --help' for its options.\n");
    });
  });

  describe("irpsim list", () => {
    it("groups the shipped scenarios by kind, each line at most 100 columns, options on a line of their own", async () => {
      const r = await inProcess(["list"]);
      expect(r.code).to.equal(0);
      const lines = r.stdout.trimEnd().split("\n");
      const headings = lines.filter((l) => /^\S/.test(l)).map((l) => l.replace(/ \(.*$/, ""));
      expect(headings).to.deep.equal(["Samples", "Races", "Verifier rules", "Other systems"]);
      for (const l of lines) expect(l.length, l).to.be.at.most(100);
      expect(r.stdout).to.match(/^ {2}sharebuf\s+share a buffer/m);
      expect(r.stdout).to.match(/^ {4,}--ending done-using\|killed\|closed$/m);
      // Every shipped scenario is listed exactly once.
      const listed = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
      expect([...listed].sort()).to.deep.equal(shippedScenarios.map((s) => s.name).sort());
      const samples = lines.slice(0, lines.findIndex((l) => l.startsWith("Races")));
      expect(samples.join("\n")).to.not.include("buggy/");
    });
  });

  describe("colour", () => {
    it("FORCE_COLOR turns colour on without a terminal (and wins, as in Node); FORCE_COLOR=0, NO_COLOR and TERM=dumb turn it off", () => {
      expect(wantsColor(false, { FORCE_COLOR: "1" })).to.equal(true);
      expect(wantsColor(false, { FORCE_COLOR: "" })).to.equal(true);
      expect(wantsColor(true, { FORCE_COLOR: "0" })).to.equal(false);
      expect(wantsColor(true, { FORCE_COLOR: "false" })).to.equal(false);
      expect(wantsColor(false, { FORCE_COLOR: "3", NO_COLOR: "1" })).to.equal(true);
      expect(wantsColor(true, { NO_COLOR: "1" })).to.equal(false);
      expect(wantsColor(true, { NO_COLOR: "" })).to.equal(true);
      expect(wantsColor(true, { TERM: "dumb" })).to.equal(false);
      expect(wantsColor(true, { TERM: "xterm-256color" })).to.equal(true);
      expect(wantsColor(false, {})).to.equal(false);
      expect(canRedraw(true, { TERM: "dumb" })).to.equal(false);
      expect(canRedraw(true, {})).to.equal(true);
    });

    it("the built command line colours a piped timeline with FORCE_COLOR=1, and not with FORCE_COLOR=0", async () => {
      const on = await node(["bin/irpsim.js", "run", "sharebuf", "--ending", "closed"], { ...plainEnv(), FORCE_COLOR: "1" });
      expect(on.code).to.equal(0);
      expect(on.stdout).to.include("\u001b[");
      const off = await node(["bin/irpsim.js", "run", "sharebuf", "--ending", "closed"], { ...plainEnv(), FORCE_COLOR: "0" });
      expect(off.stdout).to.not.include("\u001b[");
    });
  });

  describe("bin/irpsim.js on a checkout nobody has built", () => {
    let dir = "";
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-unbuilt-"));
      cpSync(path.join(root, "bin"), path.join(dir, "bin"), { recursive: true });
      cpSync(path.join(root, "package.json"), path.join(dir, "package.json"));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("without dependencies it says what to run, with exit status 2 and no stack", async () => {
      const r = await node([path.join(dir, "bin/irpsim.js"), "list"], plainEnv(), dir);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include("this copy of irpsim is not built");
      expect(r.stderr).to.include("run 'npm ci' and then 'npm run build'");
      expect(r.stderr).to.not.match(/ERR_MODULE_NOT_FOUND|\n\s+at /);
    });

    it("with tsx installed it runs from the TypeScript sources and says how to build", async () => {
      symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
      mkdirSync(path.join(dir, "cli"));
      // A stand-in for cli/index.ts: proves the sources are what runs, without copying the tree.
      writeFileSync(path.join(dir, "cli/index.ts"), 'export async function main(argv: string[]): Promise<number> {\n  const n: number = argv.length;\n  console.log(`from source: ${argv.join(" ")} (${n})`);\n  return 0;\n}\n');
      const r = await node([path.join(dir, "bin/irpsim.js"), "list", "--help"], plainEnv(), dir);
      expect(r.stderr).to.include("dist/ is not built, so this runs from the TypeScript sources");
      expect(r.stdout).to.equal("from source: list --help (2)\n");
      expect(r.code).to.equal(0);
    });
  });
});
