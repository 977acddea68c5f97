/**
 * The notify scenario: an app keeps two notification requests pended, receives a few events
 * from the driver's timer DPC, and closes its handle, whose cleanup completes the rest.
 */
import { liveIrps, loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { ERROR_INVALID_HANDLE, ERROR_NO_SYSTEM_RESOURCES } from "irpsim/win32";
import { NOTIFY_WAITERS, NotifyAppReport, makeNotifyApp } from "./app.js";
import { NOTIFY_TAG, NotifyDriverEntry, makeNotifyDriver, type NotifyBuild } from "./driver.js";

/** Events the app waits for. */
export const NOTIFY_EVENTS_WANTED = 4;

/** The scenario for a build of the driver (the default build is the correct driver). */
export function makeNotifyScenario(build?: NotifyBuild, name = "notify"): Scenario {
  const entry = build ? makeNotifyDriver(build) : NotifyDriverEntry;
  return {
    name,
    summary: "keep notification requests pended in a driver's cancel-safe wait queue, complete them from a timer DPC, close the handle",
    // An explorer may cancel one wait, kill the app, and fire the device's timer early once each.
    injections: { cancel: 1, death: 1, timer: 1 },
    async run(ctx) {
      const m = ctx.machine;
      const loaded = await loadDriver(m, "Notify", entry);
      // An injected allocation failure may make DriverEntry fail; then the app cannot open the device.
      if (ctx.undisturbed()) ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
      const report = new NotifyAppReport();
      const app = m.createProcess("notify.exe", makeNotifyApp(report, NOTIFY_EVENTS_WANTED));
      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
      ctx.check("each event arrives once", new Set(report.events).size === report.events.length, report.events.join(", "));
      if (ctx.undisturbed()) {
        // Undisturbed, events are 10 ms apart; a timer fired early can complete two waits at once.
        const increasing = report.events.every((e, i, all) => i === 0 || e > (all[i - 1] ?? 0));
        ctx.check("events arrive in order", increasing, report.events.join(", "));
        ctx.check("the app receives the events it waits for", report.finished && report.events.length === NOTIFY_EVENTS_WANTED, `${report.events.length} event(s)`);
        ctx.check("closing the handle cancels the waits still pending", report.waits.filter((w) => w === "aborted").length === NOTIFY_WAITERS - 1, report.waits.join(", "));
      } else if (report.finished) {
        // Cancelled; refused for want of memory (an injected allocation failure); or issued on a
        // handle another thread had closed (an injected close).
        const expected = (w: string | number): boolean => w === "event" || w === "aborted" || w === ERROR_NO_SYSTEM_RESOURCES || w === ERROR_INVALID_HANDLE;
        ctx.check("every wait ends with an event, ERROR_OPERATION_ABORTED, ERROR_NO_SYSTEM_RESOURCES or ERROR_INVALID_HANDLE", report.waits.every(expected), report.waits.join(", "));
      } else {
        ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
      }
      ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
      const staging = poolUsage(m, { tag: NOTIFY_TAG }).bytes;
      ctx.check("every staging page is freed", staging === 0, `${staging} byte(s) of '${NOTIFY_TAG}' pool in use`);
      if (!m.halted && r.outcome === "completed" && loaded.status === 0) await unloadDriver(m, "Notify");
    },
  };
}

/** The scenario `irpsim run notify` runs. */
export const notifyScenario = makeNotifyScenario();
