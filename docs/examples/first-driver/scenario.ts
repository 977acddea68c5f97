/**
 * The Ticker scenario: load the driver, run the app, check what it saw and what the machine was
 * left with. This module runs the driver as first written; scenario-fixed.ts runs the fixed one
 * under the same name, so a replay string found here replays there.
 */
// #region scenario
import { liveIrps, loadDriver, unloadDriver, type Scenario } from "irpsim";
import type { DRIVER_INITIALIZE } from "irpsim/wdm";
import { ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { TickerAppReport, makeTickerApp } from "./app.js";
import * as driver from "./driver.js";

/**
 * The scenario, for a build of the driver: its DriverEntry, and its module, whose IOCTL_*
 * constants name the control codes in every report (IOCTL_TICKER_WAIT, not 0x00222400).
 */
export function makeTickerScenario(DriverEntry: DRIVER_INITIALIZE, ioctls: object): Scenario {
  return {
    name: "ticker",
    summary: "an app waits for three ticks of the Ticker driver, then cancels a fourth wait",
    // What `irpsim explore` may add to a run: one cancel of a pending request, one death of the app.
    injections: { cancel: 1, death: 1 },
    async run(ctx) {
      const m = ctx.machine;
      const loaded = await loadDriver(m, "Ticker", DriverEntry, { ioctls });
      ctx.check("DriverEntry succeeds", loaded.status === 0);
      const report = new TickerAppReport();
      const app = m.createProcess("ticker.exe", makeTickerApp(report));

      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.bugCheck?.name ?? r.deadlock ?? r.outcome);
      // Only the undisturbed story is known in advance; with injections, the app may see less.
      if (ctx.undisturbed()) {
        ctx.check("the app sees ticks 1, 2 and 3", report.ticks.join() === "1,2,3", report.ticks.join());
        ctx.check("the cancelled wait ends with ERROR_OPERATION_ABORTED", report.cancelledError === ERROR_OPERATION_ABORTED, `error ${report.cancelledError}`);
      }
      ctx.check("the ticks arrive in order", report.ticks.every((t, i) => i === 0 || t > (report.ticks[i - 1] ?? 0)), report.ticks.join());
      ctx.check("no IRP is left", liveIrps(m).length === 0, liveIrps(m).join(", "));
      ctx.check("the app has exited", app.state === "exited", app.state);
      if (!m.halted) await unloadDriver(m, "Ticker");
    },
  };
}

/** `irpsim run docs/examples/first-driver/scenario.ts` runs this one. */
export default makeTickerScenario(driver.TickerDriverEntry, driver);
// #endregion scenario
