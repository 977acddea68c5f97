/**
 * The published package: what `npm pack` ships (dist without tests and benchmarks, the samples
 * with their READMEs, a LICENSE, source maps that carry their sources), and the package at work
 * once installed — the tarball unpacked into a fresh project's node_modules, its samples' .ts
 * files removed, and still every report names and quotes the driver's lines from the maps.
 * Reads dist/, which `npm test` builds first.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every file under `dir` (relative to the repository root) whose name matches. */
function filesUnder(dir: string, match: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = path.posix.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (match.test(e.name)) out.push(rel);
    }
  };
  walk(dir);
  return out;
}

let packed: Promise<string[]> | null = null;

/** The paths `npm pack` would ship (from the current dist/: no rebuild). */
function packList(): Promise<string[]> {
  packed ??= (async () => {
    const r = await run(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], root);
    if (r.code !== 0) throw new Error(`npm pack --dry-run failed:\n${r.stderr}`);
    const [info] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
    return (info?.files ?? []).map((f) => f.path);
  })();
  return packed;
}

describe("package: what npm pack ships", function () {
  this.timeout(240_000);

  it("dist (code, declarations, source maps), bin, the LICENSE, the README and package.json; no tests, benchmarks or scripts", async () => {
    const files = await packList();
    for (const f of ["package.json", "README.md", "LICENSE", "bin/irpsim.js", "dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/wdm.js", "dist/wdm.d.ts", "dist/win32/index.js", "dist/cli/index.js", "dist/explore/worker-main.js"]) {
      expect(files, f).to.include(f);
    }
    for (const f of files) {
      expect(f, "tests, benchmarks and build scripts stay home").to.not.match(/^(dist\/)?(test|bench|scripts|docs|\.ci)\//);
      expect(f).to.not.match(/^(node_modules|out)\//);
    }
    // Every entry point package.json names is shipped, with its declarations.
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { exports: Record<string, { types: string; default: string }> };
    for (const e of Object.values(pkg.exports)) {
      expect(files).to.include(e.default.replace(/^\.\//, ""));
      expect(files).to.include(e.types.replace(/^\.\//, ""));
    }
    // Each module ships with its source map.
    const js = files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"));
    expect(js.length).to.be.greaterThan(100);
    for (const f of js) expect(files, `${f}.map`).to.include(`${f}.map`);
  });

  it("every sample, with its README, as a user would copy it", async () => {
    const files = await packList();
    const readmes = filesUnder("samples", /^README\.md$/);
    expect(readmes.length).to.be.greaterThan(5);
    for (const f of [...readmes, ...filesUnder("samples", /\.ts$/)]) expect(files, f).to.include(f);
  });

  it("the LICENSE is the MIT license package.json names, copyright the irpsim authors", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { license: string };
    expect(pkg.license).to.equal("MIT");
    const text = readFileSync(path.join(root, "LICENSE"), "utf8");
    expect(text).to.match(/^MIT License\n\nCopyright \(c\) \d{4} the irpsim authors\n/);
    expect(text).to.include("Permission is hereby granted, free of charge");
  });

  it("each shipped source map carries the text of its sources (sourcesContent), equal to the files", async () => {
    const maps = (await packList()).filter((f) => f.endsWith(".js.map"));
    for (const m of maps) {
      const map = JSON.parse(readFileSync(path.join(root, m), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent, `${m} has no sourcesContent`).to.be.an("array").with.length(map.sources.length);
      map.sources.forEach((s, i) => {
        const source = path.resolve(path.dirname(path.join(root, m)), s);
        expect(map.sourcesContent?.[i] === readFileSync(source, "utf8"), `${m}: the text of ${s} differs from the file`).to.equal(true);
      });
    }
  });
});

describe("package: the tarball installed in a fresh project", function () {
  this.timeout(300_000);
  let dir = "";
  let project = "";

  /** Links a dependency (and what it depends on) from this checkout's node_modules: the test needs no network. */
  function linkDependency(name: string, into: string, seen: Set<string>): void {
    if (seen.has(name)) return;
    seen.add(name);
    const from = path.join(root, "node_modules", name);
    const to = path.join(into, name);
    mkdirSync(path.dirname(to), { recursive: true });
    if (!existsSync(to)) symlinkSync(from, to, "dir");
    const manifest = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(manifest.dependencies ?? {})) linkDependency(d, into, seen);
  }

  const irpsim = (args: string[]) => run(process.execPath, [path.join(project, "node_modules/irpsim/bin/irpsim.js"), ...args], project);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-pack-"));
    const r = await run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], root);
    if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
    const [info] = JSON.parse(r.stdout) as { filename: string }[];
    project = path.join(dir, "project");
    const installed = path.join(project, "node_modules/irpsim");
    mkdirSync(installed, { recursive: true });
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-driver-tests", version: "1.0.0", private: true, type: "module" }));
    // What `npm install irpsim` puts in place: the tarball's package/ folder, and its dependencies.
    const untar = await run("tar", ["-xzf", path.join(dir, info?.filename ?? ""), "-C", installed, "--strip-components=1"], dir);
    if (untar.code !== 0) throw new Error(`tar failed:\n${untar.stderr}`);
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const seen = new Set<string>();
    for (const d of Object.keys(manifest.dependencies ?? {})) linkDependency(d, path.join(project, "node_modules"), seen);
    // Only the source maps know the samples' text from here on.
    for (const f of filesUnder("samples", /\.ts$/)) rmSync(path.join(installed, f));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a bug check's report names the shipped driver's TypeScript line", async () => {
    const r = await irpsim(["run", "buggy/pending-without-mark"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/ {4}at node_modules\/irpsim\/samples\/buggy\/pending\.ts:\d+:\d+ \(PendDeviceControl\)/);
  });

  it("an explanation quotes the driver's line from the source map, the .ts file being absent", async () => {
    expect(existsSync(path.join(project, "node_modules/irpsim/samples/sharebuf-races/cancel-window.ts"))).to.equal(false);
    const r = await irpsim(["explore", "sharebuf-cancel-window", "--strategy", "dfs", "--bound", "1", "--stop"]);
    expect(r.code).to.equal(1);
    const m = /\(node_modules\/irpsim\/samples\/sharebuf-races\/cancel-window\.ts:(\d+)\), before `([^`]+)` \(line (\d+)\)/.exec(r.stdout);
    expect(m, r.stdout).to.not.equal(null);
    const lines = readFileSync(path.join(root, "samples/sharebuf-races/cancel-window.ts"), "utf8").split("\n");
    expect(lines[Number(m?.[3]) - 1]?.trim()).to.equal(m?.[2]);
  });

  it("a user's own scenario imports irpsim by its package name, and its bug check names the user's line", async () => {
    const file = path.join(project, "twice.js");
    writeFileSync(
      file,
      [
        'import { loadDriver } from "irpsim";',
        'import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IoCompleteRequest, IoCreateDevice, IoCreateSymbolicLink, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, STATUS_SUCCESS } from "irpsim/wdm";',
        'import { CloseHandle, CreateFile, DeviceIoControl, GENERIC_READ, OPEN_EXISTING } from "irpsim/win32";',
        "const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);",
        "function Done(_d, Irp) { Irp.IoStatus.Status = STATUS_SUCCESS; IoCompleteRequest(Irp, 0); return STATUS_SUCCESS; }",
        "function Twice(_d, Irp) {",
        "  IoCompleteRequest(Irp, 0);",
        "  IoCompleteRequest(Irp, 0); // the second completion",
        "  return STATUS_SUCCESS;",
        "}",
        "function Entry(DriverObject) {",
        '  IoCreateDevice(DriverObject, null, "\\\\Device\\\\Twice", FILE_DEVICE_UNKNOWN, 0, false);',
        '  IoCreateSymbolicLink("\\\\DosDevices\\\\Twice", "\\\\Device\\\\Twice");',
        "  DriverObject.MajorFunction[IRP_MJ_CREATE] = Done;",
        "  DriverObject.MajorFunction[IRP_MJ_CLOSE] = Done;",
        "  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = Done;",
        "  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = Twice;",
        "  return STATUS_SUCCESS;",
        "}",
        "export default {",
        '  name: "twice",',
        '  summary: "a driver that completes an IRP twice",',
        "  async run(ctx) {",
        '    await loadDriver(ctx.machine, "Twice", Entry);',
        '    ctx.machine.createProcess("app.exe", async () => {',
        '      const h = await CreateFile("\\\\\\\\.\\\\Twice", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);',
        "      await DeviceIoControl(h, IOCTL, 0, 0, 0, 0, 0, null);",
        "      await CloseHandle(h);",
        "    });",
        "    await ctx.run();",
        "  },",
        "};",
        "",
      ].join("\n"),
    );
    const r = await irpsim(["run", "twice.js"]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.include("MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(r.stdout).to.match(/at twice\.js:8:\d+ \(Twice\)/);
  });

  it("a .ts scenario where no tsx is installed gets a message saying what to do, not a stack", async () => {
    writeFileSync(path.join(project, "mine.ts"), 'export default { name: "mine", summary: "", async run(): Promise<void> {} };\n');
    const r = await irpsim(["run", "mine.ts"]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("mine.ts is TypeScript, and irpsim loads TypeScript scenarios through tsx, which is not installed here");
    expect(r.stderr).to.include("npm install --save-dev tsx");
    expect(r.stderr).to.not.match(/\n\s+at /);
  });
});
