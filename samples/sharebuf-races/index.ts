/**
 * Sharebuf's race samples: the shared-buffer driver with one real cancel or cleanup race each,
 * which the deterministic run never shows and `irpsim explore` finds, shrinks and explains.
 */
import type { Scenario } from "irpsim";
import { makeSharebufScenario } from "../sharebuf/scenario.js";
import { cancelWindowBuild } from "./cancel-window.js";
import { cancelWindowLockedBuild } from "./cancel-window-locked.js";
import { doneUsingRaceBuild } from "./done-using-race.js";
import { dpcAfterDeathBuild } from "./dpc-after-death.js";

/** A cancel between IoSetCancelRoutine and the unguarded Irp.Cancel check, outside the device lock (0x44). */
export const sharebufCancelWindow: Scenario = {
  ...makeSharebufScenario(cancelWindowBuild, "sharebuf-cancel-window"),
  summary: "race sample: a cancel between IoSetCancelRoutine and an unguarded Irp.Cancel check, outside the lock (0x44)",
};

/** The same race inside the device lock: the routine runs when the lock is released (0x44). */
export const sharebufCancelWindowLocked: Scenario = {
  ...makeSharebufScenario(cancelWindowLockedBuild, "sharebuf-cancel-window-locked"),
  summary: "race sample: the same cancel window inside the device lock; the routine runs at the release (0x44)",
};

/** DONE_USING ignores IoSetCancelRoutine's result and races the cancel routine (0x44). */
export const sharebufDoneUsingRace: Scenario = {
  ...makeSharebufScenario(doneUsingRaceBuild, "sharebuf-done-using-race"),
  summary: "race sample: DONE_USING ignores IoSetCancelRoutine's result; both it and the cancel routine complete (0x44)",
};

/** The cancel routine completes before detaching the buffer; a timer DPC then writes into it (0x50). */
export const sharebufDpcAfterDeath: Scenario = {
  ...makeSharebufScenario(dpcAfterDeathBuild, "sharebuf-dpc-after-death"),
  summary: "race sample: the app dies, the cancel routine completes before detaching the buffer, the DPC writes into it (0x50)",
  injections: { death: 1, timer: 1 },
};

/** Every Sharebuf race sample. */
export const sharebufRaceScenarios: readonly Scenario[] = [sharebufCancelWindow, sharebufCancelWindowLocked, sharebufDoneUsingRace, sharebufDpcAfterDeath];
