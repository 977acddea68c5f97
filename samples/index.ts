/**
 * The scenarios that ship with irpsim (what `irpsim list` shows).
 */
import type { Scenario } from "irpsim";
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
import { kmdfBuggySamples } from "./buggy/kmdf.js";
import { ioctlScenario } from "./ioctl/scenario.js";
import { eventScenario } from "./event/scenario.js";
import { cancelScenario } from "./cancel/scenario.js";

/** Every shipped scenario, by name (the buggy samples as "buggy/<name>"). */
export const shippedScenarios: readonly Scenario[] = [sharebufScenario, notifyScenario, invertedCallScenario, csqReadsScenario, windriverKpScenario, smdScenario, ...sharebufRaceScenarios, ...notifyRaceScenarios, ...buggySamples.map((s) => s.scenario), startioScenario, ioctlScenario, eventScenario, cancelScenario, ...kmdfScenarios];

/** A shipped scenario by name, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return shippedScenarios.find((s) => s.name === name);
}

/** A kind of shipped scenario, as `irpsim list` groups them. */
export interface ScenarioGroup {
  readonly title: string;
  /** What the kind is for, in a few words. */
  readonly hint: string;
  readonly scenarios: readonly Scenario[];
}

/** The shipped scenarios by kind: samples first, then races, verifier rules and other systems. */
export function scenarioGroups(): ScenarioGroup[] {
  const races = [...sharebufRaceScenarios, ...notifyRaceScenarios];
  const rules = [...buggySamples, ...kmdfBuggySamples].map((s) => s.scenario);
  const others = [windriverKpScenario, smdScenario];
  const grouped = new Set<Scenario>([...races, ...rules, ...others]);
  return [
    { title: "Samples", hint: "a driver, an app and a scenario each; read samples/<name>/README.md", scenarios: shippedScenarios.filter((s) => !grouped.has(s)) },
    { title: "Races", hint: "buggy builds that run clean; 'irpsim explore <name>' finds the race", scenarios: races },
    { title: "Verifier rules", hint: "one driver bug each, caught by the verifier", scenarios: rules },
    { title: "Other systems", hint: "WinDriver's generic driver, Windows Embedded CE 6.0", scenarios: others },
  ];
}
