/**
 * Notify's race samples: the notification driver with one real race each between its timer DPC,
 * its cancel routine and its cleanup, which the deterministic run never shows.
 */
import type { Scenario } from "irpsim";
import { makeNotifyScenario } from "../notify/scenario.js";
import { cancelFreesContextBuild } from "./cancel-frees-context.js";
import { cleanupVsDpcBuild } from "./cleanup-vs-dpc.js";
import { queueRemoveBuild } from "./queue-remove.js";

/** The DPC removes a request without testing IoSetCancelRoutine's result, inside the queue lock (0x44). */
export const notifyQueueRemove: Scenario = {
  ...makeNotifyScenario(queueRemoveBuild, "notify-queue-remove"),
  summary: "race sample: the DPC dequeues without testing IoSetCancelRoutine's result; it and the cancel routine both complete (0x44)",
};

/** Cleanup takes requests from a stale snapshot; the timer DPC completes one first (0x44). */
export const notifyCleanupVsDpc: Scenario = {
  ...makeNotifyScenario(cleanupVsDpcBuild, "notify-cleanup-vs-dpc"),
  summary: "race sample: IRP_MJ_CLEANUP and the timer DPC both complete the same request (0x44)",
  // The race is with the device's timer: the app's death and an early timer are what may be injected.
  injections: { death: 1, timer: 1 },
};

/** The cancel routine frees the staging page the DPC is still filling (use after free, 0xA). */
export const notifyCancelFreesContext: Scenario = {
  ...makeNotifyScenario(cancelFreesContextBuild, "notify-cancel-frees-context"),
  summary: "race sample: the cancel routine frees a staging page the DPC still writes (use after free, 0xA)",
};

/** Every Notify race sample. */
export const notifyRaceScenarios: readonly Scenario[] = [notifyQueueRemove, notifyCleanupVsDpc, notifyCancelFreesContext];
