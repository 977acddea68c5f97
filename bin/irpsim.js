#!/usr/bin/env node
// The `irpsim` command. Source-mapped stack traces: Node's own source-map support, switched on
// before dist/ is loaded, so bug-check reports name the driver's .ts lines.
//
// On a checkout nobody has built yet there is no dist/: then the command runs from the
// TypeScript sources through tsx (a devDependency) and says how to build; without tsx either,
// it says what to run instead of failing with a module-not-found stack.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

process.setSourceMapsEnabled(true);
const built = new URL("../dist/cli/index.js", import.meta.url);
const source = new URL("../cli/index.ts", import.meta.url);
const root = path.dirname(fileURLToPath(new URL("../package.json", import.meta.url)));

async function loadMain() {
  if (existsSync(built)) return (await import(built.href)).main;
  if (existsSync(source)) {
    let tsx = null;
    try {
      tsx = await import("tsx/esm/api");
    } catch {
      // No tsx: the dependencies are not installed.
    }
    if (tsx) {
      process.stderr.write("irpsim: dist/ is not built, so this runs from the TypeScript sources (slower to start). 'npm run build' builds it.\n");
      tsx.register();
      return (await import(source.href)).main;
    }
  }
  process.stderr.write(
    `irpsim: this copy of irpsim is not built (${fileURLToPath(built)} is missing).\n` +
      `In ${root}, run 'npm ci' and then 'npm run build' (or 'npm start', which builds and runs the demo), and run irpsim again.\n`,
  );
  return null;
}

const main = await loadMain();
process.exitCode = main ? await main(process.argv.slice(2)) : 2;
