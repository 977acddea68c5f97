#!/usr/bin/env node
// The fast build behind `npm start`: every TypeScript file the package runs (not the tests or
// the benchmarks) to JavaScript in dist/, with the layout and source maps tsc gives, through the
// esbuild that tsx already brings. It does not type-check: `npm run build` (tsc) does, and writes
// the declarations; `npm test` and `npm run lint` run it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const started = performance.now();

// tsx's own esbuild: no dependency of ours, and the same compiler the tests run through.
const requireHere = createRequire(import.meta.url);
let esbuild;
try {
  const tsxManifest = requireHere.resolve("tsx/package.json");
  esbuild = createRequire(tsxManifest)("esbuild");
} catch {
  console.error("build-fast: esbuild (installed with tsx) is missing. Run 'npm ci' first.");
  process.exit(2);
}

// What tsconfig.json compiles, less the tests, the benchmarks and the guide's examples.
const tsconfig = JSON.parse(readFileSync(path.join(root, "tsconfig.json"), "utf8"));
const skip = new Set(["test", "bench", "docs", "node_modules", "dist"]);
const entryPoints = [];
function collect(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) collect(full);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      entryPoints.push(full);
    }
  }
}
for (const pattern of tsconfig.include) {
  if (pattern === "*.ts") {
    for (const f of readdirSync(root)) if (f.endsWith(".ts") && !f.endsWith(".d.ts")) entryPoints.push(path.join(root, f));
  } else if (!skip.has(pattern) && existsSync(path.join(root, pattern))) {
    collect(path.join(root, pattern));
  }
}

const result = await esbuild.build({
  entryPoints,
  outdir: path.join(root, "dist"),
  outbase: root,
  format: "esm",
  platform: "node",
  target: "node20",
  bundle: false,
  sourcemap: "linked",
  sourcesContent: true,
  // As tsx compiles (the tests run through it): a function keeps its name when esbuild renames
  // its identifier, and the trace shows driver routines by name.
  keepNames: true,
  tsconfig: path.join(root, "tsconfig.json"),
  logLevel: "warning",
});
if (result.errors.length > 0) process.exit(1);
console.error(`build-fast: ${entryPoints.length} files to dist/ in ${Math.round(performance.now() - started)} ms (no type check: npm run build does that)`);
