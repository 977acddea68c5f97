/**
 * The scenarios that ship with irpsim (what `irpsim list` shows).
 */
import type { Scenario } from "../scenario/scenario.js";
import { sharebufScenario } from "./sharebuf/scenario.js";
import { buggySamples } from "./buggy/index.js";

/** Every shipped scenario, by name (the buggy samples as "buggy/<name>"). */
export const shippedScenarios: readonly Scenario[] = [sharebufScenario, ...buggySamples.map((s) => s.scenario)];

/** A shipped scenario by name, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return shippedScenarios.find((s) => s.name === name);
}
