/**
 * The scenarios that ship with irpsim (what `irpsim list` shows).
 */
import type { Scenario } from "../scenario/scenario.js";
import { sharebufScenario } from "./sharebuf/scenario.js";
import { sharebufRaceScenarios } from "./sharebuf-races/index.js";
import { notifyScenario } from "./notify/scenario.js";
import { notifyRaceScenarios } from "./notify-races/index.js";

/** Every shipped scenario, by name. */
export const shippedScenarios: readonly Scenario[] = [sharebufScenario, notifyScenario, ...sharebufRaceScenarios, ...notifyRaceScenarios];

/** A shipped scenario by name, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return shippedScenarios.find((s) => s.name === name);
}
