/**
 * Loading a user's scenario module by path, `.ts` included. Node 20 cannot import TypeScript by
 * itself, so a `.ts`, `.mts` or `.cts` file is loaded through tsx's loader, registered on first
 * use: the tsx the user's project has (looked up from the scenario's folder), else the one beside
 * irpsim (a checkout's devDependency). tsx is not a dependency of the published package; without
 * it the error says how to get one or how to load the scenario compiled. Running from the
 * sources (tests, an unbuilt checkout) tsx is already registered.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** File names a TypeScript loader is needed for. */
const TYPESCRIPT_FILE = /\.[cm]?tsx?$/i;

/** irpsim's own folder: the checkout, or node_modules/irpsim when installed. */
const packageRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.resolve(here, "..");
  return path.basename(up) === "dist" ? path.resolve(up, "..") : up;
})();

/** A module that could not be loaded, with what to do about it. */
export class ModuleLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModuleLoadError";
  }
}

/** Whether this code runs from its TypeScript sources (under tsx already). */
function runningFromSource(): boolean {
  return import.meta.url.endsWith(".ts");
}

/**
 * tsx's module-loader API (`tsx/esm/api`) as a file URL, found from each folder in turn; null
 * when none of them can see a tsx.
 */
export function findTsx(fromDirs: readonly string[]): string | null {
  for (const dir of fromDirs) {
    try {
      const manifest = createRequire(path.join(dir, "noop.js")).resolve("tsx/package.json");
      const api = path.join(path.dirname(manifest), "dist/esm/api/index.mjs");
      if (existsSync(api)) return pathToFileURL(api).href;
    } catch {
      // Not visible from this folder: try the next.
    }
  }
  return null;
}

/** What to say when a `.ts` scenario cannot be loaded because no tsx is installed. */
export function noTypeScriptLoaderMessage(file: string): string {
  const js = file.replace(TYPESCRIPT_FILE, ".js");
  return (
    `${file} is TypeScript, and irpsim loads TypeScript scenarios through tsx, which is not installed here. ` +
    `Install it in your project (npm install --save-dev tsx), or compile the scenario (tsc) and give irpsim the .js file (${js}).`
  );
}

interface TsxApi {
  register(options?: { tsconfig?: string | false }): unknown;
}

let registered: Promise<void> | null = null;

/** Registers tsx's loader in this thread once (each worker thread registers its own). */
function registerTypeScriptLoader(file: string): Promise<void> {
  registered ??= (async () => {
    const api = findTsx([path.dirname(file), process.cwd(), packageRoot]);
    if (api === null) throw new ModuleLoadError(noTypeScriptLoaderMessage(file));
    const tsx = (await import(api)) as TsxApi;
    // A file inside irpsim's own folder (a checkout's samples) must import the running build
    // as "irpsim", not the sources the checkout's tsconfig paths name: one copy of the emulator.
    const inside = file.startsWith(packageRoot + path.sep);
    tsx.register(inside ? { tsconfig: false } : {});
  })();
  const pending = registered;
  pending.catch(() => {
    // A failed registration may be retried (after the user installs tsx, in a long-lived process).
    if (registered === pending) registered = null;
  });
  return pending;
}

/**
 * Imports the module at `fileOrUrl` (a path, or a file: URL) and returns its exports; a
 * TypeScript file is loaded through tsx (see above). Throws {@link ModuleLoadError} when a
 * TypeScript loader is needed and none is installed.
 */
export async function importScenarioModule(fileOrUrl: string): Promise<Record<string, unknown>> {
  const url = fileOrUrl.startsWith("file:") ? fileOrUrl : pathToFileURL(path.resolve(fileOrUrl)).href;
  const file = fileURLToPath(url);
  if (TYPESCRIPT_FILE.test(file) && !runningFromSource()) await registerTypeScriptLoader(file);
  return (await import(url)) as Record<string, unknown>;
}
