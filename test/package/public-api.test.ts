/**
 * The public surface a user gets from the package: every shipped sample type-checks against the
 * emitted `.d.ts` files alone (so a user can copy any of them), Machine's declared type leaves
 * the scheduler's internals out, and the lint rule keeps samples on the public entry points.
 * These read dist/, which `npm test` builds first.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; exports: Record<string, { types: string }> };

/** "irpsim", "irpsim/wdm", … from package.json's exports, each with its declared types file. */
function publicEntries(): [string, string][] {
  return Object.entries(pkg.exports).map(([k, v]) => [k === "." ? pkg.name : `${pkg.name}/${k.slice(2)}`, path.join(root, v.types)]);
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: stdout + stderr });
    });
  });
}

describe("package: the public scenario API", function () {
  this.timeout(240_000);

  it("every shipped sample type-checks against the emitted public .d.ts files, with nothing else of irpsim's", async () => {
    for (const [name, types] of publicEntries()) expect(existsSync(types), `${name}'s types ${types} (run npm run build)`).to.equal(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-dts-"));
    try {
      const tsconfig = {
        compilerOptions: {
          target: "es2022",
          lib: ["es2023"],
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          noUncheckedIndexedAccess: true,
          noImplicitOverride: true,
          verbatimModuleSyntax: true,
          noEmit: true,
          // The emitted declarations themselves must hold together (a stripped member another declaration needs would fail here).
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [path.join(root, "node_modules/@types")],
          paths: Object.fromEntries(publicEntries().map(([name, types]) => [name, [types]])),
        },
        include: [path.join(root, "samples/**/*.ts")],
      };
      const config = path.join(dir, "tsconfig.json");
      writeFileSync(config, JSON.stringify(tsconfig, null, 2));
      const tsc = path.join(root, "node_modules/typescript/bin/tsc");
      const r = await run(process.execPath, [tsc, "-p", config, "--listFiles"]);
      const errors = r.out.split("\n").filter((l) => /error TS\d+/.test(l));
      expect(errors, errors.join("\n")).to.deep.equal([]);
      expect(r.code).to.equal(0);
      // Everything of irpsim's the program read is a sample or an emitted declaration: no source file of the emulator.
      const ours = r.out
        .split("\n")
        .map((l) => l.trim())
        .filter((f) => f.startsWith(root + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`));
      const stray = ours.filter((f) => !f.startsWith(path.join(root, "samples") + path.sep) && !(f.startsWith(path.join(root, "dist") + path.sep) && f.endsWith(".d.ts")));
      expect(stray).to.deep.equal([]);
      expect(ours.some((f) => f.endsWith(path.join("dist", "index.d.ts")))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Machine's emitted type keeps the documented surface and leaves the scheduler's internals out", () => {
    const dts = readFileSync(path.join(root, "dist/kernel/machine.d.ts"), "utf8");
    const body = dts.slice(dts.indexOf("export declare class Machine"));
    const members = [...body.matchAll(/^ {4}(?:static |readonly |get |private )*([A-Za-z_]\w*)\s*[(:<?]/gm)].map((m) => m[1]);
    for (const kept of ["trace", "processes", "threads", "findings", "injected", "now", "halted", "createProcess", "after", "scheduleDeviceEvent", "run", "nowMs", "bytesCopied", "dispose"]) {
      expect(members, kept).to.include(kept);
    }
    for (const gone of ["scheduler", "mmu", "physical", "waits", "interrupts", "timers", "kernelCall", "userCall", "setCurrent", "enterKernel", "decide", "bugCheck", "addFinding", "injector", "kernelHooks", "signal", "setTimer", "queueWorkItem"]) {
      expect(members, gone).to.not.include(gone);
    }
  });

  describe("the lint rule for samples", () => {
    const configs = (async () => {
      const all = (await import(path.join(root, "eslint.config.js"))) as { default: { plugins?: Record<string, unknown>; rules?: Record<string, unknown> }[] };
      const own = all.default.find((c) => c.plugins !== undefined && "irpsim" in c.plugins);
      if (!own) throw new Error("eslint.config.js has no irpsim plugin entry");
      return [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser }, plugins: own.plugins, rules: own.rules }] as Linter.Config[];
    })();
    const lint = async (code: string, file: string): Promise<string[]> => new Linter({ configType: "flat" }).verify(code, await configs, path.join(root, file)).map((m) => m.message);

    it("allows the public entry points, Node's modules and another sample's files", async () => {
      const ok = ['import { runScenario } from "irpsim";', 'import { IoCompleteRequest } from "irpsim/wdm";', 'import { CreateFile } from "irpsim/win32";', 'import { writeFileSync } from "node:fs";', 'import { makeSharebufApp } from "../sharebuf/app.js";', 'export { x } from "./driver.js";'];
      expect(await lint(ok.join("\n"), "samples/mine/scenario.ts")).to.deep.equal([]);
    });

    it("rejects a relative import into the emulator's folders and an entry point that is not exported", async () => {
      const messages = await lint('import { Mmu } from "../../kernel/mmu.js";\nimport type { X } from "irpsim/internal";\nconst y = await import("../../io-manager/driver.js");', "samples/mine/scenario.ts");
      expect(messages).to.have.length(3);
      expect(messages[0]).to.include("'../../kernel/mmu.js' reaches into irpsim's own folders");
      expect(messages[1]).to.include("'irpsim/internal' is not one of irpsim's public entry points");
    });
  });
});
