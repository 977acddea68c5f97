/**
 * How a worker thread finds the scenario to explore: a worker is a separate JavaScript realm, so
 * it loads the scenario itself — a shipped one by name, or one a module exports.
 */
import type { InjectionBudget } from "../scenario/injections.js";
import { importScenarioModule } from "../scenario/load-module.js";
import type { Scenario } from "../scenario/scenario.js";

/** A scenario a worker can load. */
export type ScenarioRef = { /** A shipped scenario's name. */ readonly shipped: string } | { /** The module file that exports the scenario. */ readonly module: string; /** The module's export that holds it (default: its default or only one). */ readonly exportName?: string };

/** A target a worker can rebuild: the scenario reference, its options and the budget. */
export interface TargetRef {
  readonly scenario: ScenarioRef;
  readonly options: Readonly<Record<string, string>>;
  readonly budget: InjectionBudget;
}

function isScenario(x: unknown): x is Scenario {
  return typeof x === "object" && x !== null && typeof (x as { name?: unknown }).name === "string" && typeof (x as { run?: unknown }).run === "function";
}

/** Loads the scenario a reference names; a clear error when it cannot. */
export async function loadScenarioRef(ref: ScenarioRef): Promise<Scenario> {
  if ("shipped" in ref) {
    const { findScenario } = await import("../samples/index.js");
    const s = findScenario(ref.shipped);
    if (!s) throw new Error(`no shipped scenario is named '${ref.shipped}'`);
    return s;
  }
  // A .ts module is loaded through tsx, which this worker registers for itself.
  const mod = await importScenarioModule(ref.module);
  if (ref.exportName !== undefined) {
    const s = mod[ref.exportName];
    if (!isScenario(s)) throw new Error(`${ref.module} exports no scenario named '${ref.exportName}'`);
    return s;
  }
  const found = [mod.default, ...Object.values(mod)].find(isScenario);
  if (!found) throw new Error(`${ref.module} exports no scenario (an object with a name and a run function)`);
  return found;
}
