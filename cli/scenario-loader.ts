/**
 * Finds the scenario a command names: a shipped one by name, or one a module exports — a `.js`
 * file, or a `.ts` one loaded through tsx (see scenario/load-module.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { findScenario, shippedScenarios } from "../samples/index.js";
import { importScenarioModule, ModuleLoadError } from "../scenario/load-module.js";
import type { Scenario } from "../scenario/scenario.js";
import { didYouMean } from "./suggest.js";

function isScenario(x: unknown): x is Scenario {
  return typeof x === "object" && x !== null && typeof (x as { name?: unknown }).name === "string" && typeof (x as { run?: unknown }).run === "function";
}

/**
 * Whether `target` names a module file rather than a shipped scenario: a file that exists, a
 * name with a script's extension, or a path starting with ".", "/" or a drive letter.
 */
export function isModulePath(target: string): boolean {
  if (findScenario(target) !== undefined) return false;
  return existsSync(target) || /\.[cm]?[jt]sx?$/i.test(target) || /^(\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])/.test(target);
}

/** A module's scenarios, each with the export that holds it (the default export first). */
export function exportedScenarios(mod: Readonly<Record<string, unknown>>): { exportName: string; scenario: Scenario }[] {
  const out: { exportName: string; scenario: Scenario }[] = [];
  const seen = new Set<Scenario>();
  for (const key of ["default", ...Object.keys(mod).filter((k) => k !== "default")]) {
    const v = mod[key];
    if (isScenario(v) && !seen.has(v)) {
      seen.add(v);
      out.push({ exportName: key, scenario: v });
    }
  }
  return out;
}

/** A scenario found, with the module export it came from (for worker threads), when it came from a module. */
export interface LoadedScenario {
  readonly scenario: Scenario;
  /** The module's export that holds it; undefined for a shipped scenario. */
  readonly exportName?: string;
}

/**
 * The scenario for `nameOrPath`, or an error message. A module's default export is taken, else
 * its only exported scenario (with several and no default, the message lists them); with
 * `wanted`, the exported scenario of that name (a replay string names the one it is for).
 */
export async function loadScenarioWithExport(nameOrPath: string, wanted?: string): Promise<LoadedScenario | string> {
  const shipped = findScenario(nameOrPath);
  if (shipped) return { scenario: shipped };
  if (!isModulePath(nameOrPath)) {
    const hint = didYouMean(nameOrPath, shippedScenarios.map((s) => s.name));
    return `unknown scenario '${nameOrPath}'.${hint} Run 'irpsim list' to see the shipped ones, or give the path of a module that exports a scenario (.js or .ts).`;
  }
  if (!existsSync(path.resolve(nameOrPath))) return `cannot load ${nameOrPath}: there is no such file`;
  let mod: Record<string, unknown>;
  try {
    mod = await importScenarioModule(nameOrPath);
  } catch (e) {
    if (e instanceof ModuleLoadError) return `cannot load ${nameOrPath}: ${e.message}`;
    return `cannot load ${nameOrPath}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const found = exportedScenarios(mod);
  if (found.length === 0) return `${nameOrPath} exports no scenario (an object with a name and a run function)`;
  if (wanted === undefined) {
    const only = found.length === 1 || found[0]?.exportName === "default" ? found[0] : undefined;
    if (only) return { scenario: only.scenario, exportName: only.exportName };
    const names = found.map((f) => f.scenario.name);
    return `${nameOrPath} exports ${found.length} scenarios (${names.map((n) => `'${n}'`).join(", ")}) and no default: name one, as in 'irpsim run ${names[0] ?? "<name>"} --scenario ${nameOrPath}'`;
  }
  const named = found.find((f) => f.scenario.name === wanted);
  if (named) return { scenario: named.scenario, exportName: named.exportName };
  const names = found.map((f) => f.scenario.name);
  return `${nameOrPath} exports no scenario named '${wanted}' (it exports ${names.map((n) => `'${n}'`).join(", ")}).${didYouMean(wanted, names)}`;
}

/** The scenario for `nameOrPath` (see {@link loadScenarioWithExport}), or an error message. */
export async function loadScenario(nameOrPath: string, wanted?: string): Promise<Scenario | string> {
  const r = await loadScenarioWithExport(nameOrPath, wanted);
  return typeof r === "string" ? r : r.scenario;
}

/** The scenario a command's arguments name, and the module file it came from (null: a shipped one). */
export interface CommandTarget extends LoadedScenario {
  readonly file: string | null;
}

/**
 * What `irpsim run` and `irpsim explore` are pointed at: `<name>` (a shipped scenario),
 * `<path>` (a module's default or first scenario), or `[name] --scenario <path>` (the module's
 * scenario of that name, as `irpsim replay` finds it). An error message when it cannot be found.
 */
export async function findTarget(positionals: readonly string[], moduleFile: string | undefined): Promise<CommandTarget | string> {
  const [target, ...extra] = positionals;
  if (extra.length > 0) return `give one scenario, not ${positionals.length} ('${positionals.join("', '")}')`;
  if (moduleFile !== undefined) {
    const r = await loadScenarioWithExport(moduleFile.includes("/") || moduleFile.includes("\\") || moduleFile.startsWith(".") ? moduleFile : `./${moduleFile}`, target);
    return typeof r === "string" ? r : { ...r, file: moduleFile };
  }
  if (target === undefined) return "give a scenario: a shipped one's name (run 'irpsim list' to see them) or the path of a module that exports one";
  const r = await loadScenarioWithExport(target);
  if (typeof r === "string") return r;
  return { ...r, file: r.exportName !== undefined ? target : null };
}
