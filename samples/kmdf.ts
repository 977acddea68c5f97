/**
 * The KMDF samples (`irpsim/wdf` drivers), for the shipped list.
 */
import type { Scenario } from "irpsim";
import { kmdfEchoDriverLockScenario, kmdfEchoScenario } from "./kmdf-echo/scenario.js";
import { kmdfBuggySamples } from "./buggy/kmdf.js";
import { kmdfIoctlScenario } from "./kmdf-ioctl/scenario.js";
import { kmdfSharebufScenario } from "./kmdf-sharebuf/scenario.js";

/** Every KMDF sample scenario. */
export const kmdfScenarios: readonly Scenario[] = [kmdfEchoScenario, kmdfEchoDriverLockScenario, kmdfIoctlScenario, kmdfSharebufScenario, ...kmdfBuggySamples.map((b) => b.scenario)];
