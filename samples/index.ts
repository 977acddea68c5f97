/**
 * The scenarios that ship with irpsim (what `irpsim list` shows).
 */
import type { Scenario } from "../scenario/scenario.js";
import { sharebufScenario } from "./sharebuf/scenario.js";
import { windriverKpScenario } from "./windriver-kp/scenario.js";
import { smdScenario } from "./smd/scenario.js";
import { invertedCallScenario } from "./inverted-call/scenario.js";
import { csqReadsScenario } from "./csq-reads/scenario.js";
import { buggySamples } from "./buggy/index.js";
import { sharebufRaceScenarios } from "./sharebuf-races/index.js";
import { notifyScenario } from "./notify/scenario.js";
import { notifyRaceScenarios } from "./notify-races/index.js";
import { startioScenario } from "./startio/scenario.js";
import { kmdfScenarios } from "./kmdf.js";

/** Every shipped scenario, by name (the buggy samples as "buggy/<name>"). */
export const shippedScenarios: readonly Scenario[] = [sharebufScenario, notifyScenario, invertedCallScenario, csqReadsScenario, windriverKpScenario, smdScenario, ...sharebufRaceScenarios, ...notifyRaceScenarios, ...buggySamples.map((s) => s.scenario), startioScenario, ...kmdfScenarios];

/** A shipped scenario by name, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return shippedScenarios.find((s) => s.name === name);
}
