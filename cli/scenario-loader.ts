/**
 * Finds the scenario a command names: a shipped one by name, or one exported by a module path.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { findScenario, shippedScenarios } from "../samples/index.js";
import type { Scenario } from "../scenario/scenario.js";

function isScenario(x: unknown): x is Scenario {
  return typeof x === "object" && x !== null && typeof (x as { name?: unknown }).name === "string" && typeof (x as { run?: unknown }).run === "function";
}

/** The scenario for `nameOrPath`, or an error message. */
export async function loadScenario(nameOrPath: string): Promise<Scenario | string> {
  const shipped = findScenario(nameOrPath);
  if (shipped) return shipped;
  if (!/[\\/.]/.test(nameOrPath)) {
    return `unknown scenario '${nameOrPath}'. The shipped ones are: ${shippedScenarios.map((s) => s.name).join(", ")} (or give a path to a module that exports a scenario).`;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path.resolve(nameOrPath)).href)) as Record<string, unknown>;
  } catch (e) {
    return `cannot load ${nameOrPath}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const candidates = [mod.default, ...Object.values(mod)].filter(isScenario);
  return candidates[0] ?? `${nameOrPath} exports no scenario (an object with a name and a run function)`;
}
