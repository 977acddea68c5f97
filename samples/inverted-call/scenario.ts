/**
 * The inverted-call scenario: notification requests parked through an I/O completion port,
 * completed by events in FIFO order, and cancelled when the app ends with some still parked.
 */
import { liveIrps, loadDriver, unloadDriver, type Scenario } from "irpsim";
import { ERROR_IO_PENDING, ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { INVERTED_NOTIFICATION_BYTES, InvertedDriverEntry, makeInvertedCallDriver, type INVERTED_EXTENSION, type InvertedBuild } from "./driver.js";
import { InvertedAppReport, NOTIFY_KEY, makeInvertedCallApp, type InvertedEnding } from "./app.js";

/** K: the requests parked (and events made) each time. */
export const NOTIFICATIONS = 4;

/** The scenario, for a given driver build (the default build is the correct driver). */
export function makeInvertedCallScenario(build?: InvertedBuild, name = "inverted-call"): Scenario {
  const entry = build ? makeInvertedCallDriver(build) : InvertedDriverEntry;
  return {
    name,
    summary: "the inverted-call pattern: notification IOCTLs parked through an I/O completion port, completed by driver events in FIFO order",
    options: [
      {
        name: "ending",
        values: ["close", "exit"],
        default: "close",
        description: "close: the app closes the device with requests parked and collects them cancelled; exit: it calls ExitProcess with requests parked",
      },
    ],
    async run(ctx) {
      const m = ctx.machine;
      const ending = (ctx.options.ending ?? "close") as InvertedEnding;
      const loaded = await loadDriver(m, "InvertedCall", entry);
      ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
      const device = loaded.DriverObject.DeviceObject;
      const ext = device?.DeviceExtension as INVERTED_EXTENSION | undefined;
      const report = new InvertedAppReport();
      ctx.note(`inverted.exe starts; it will end with ${NOTIFICATIONS} requests parked by: ${ending}`);
      const app = m.createProcess("inverted.exe", makeInvertedCallApp(ending, report, NOTIFICATIONS));
      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
      if (!ext) {
        ctx.check("the device exists", false);
        return;
      }
      ctx.check("an event with nothing parked is dropped and counted", ext.EventsDropped === 1, `${ext.EventsDropped} dropped`);
      ctx.check(
        "every notification request returns FALSE with ERROR_IO_PENDING",
        report.parkErrors.length === 2 * NOTIFICATIONS && report.parkErrors.every((e) => e === ERROR_IO_PENDING) && report.parkReturns.every((x) => !x),
        `errors ${report.parkErrors.join(", ")}`,
      );
      ctx.check("the requests outlive the thread that parked them (thread-agnostic I/O)", report.posterExitedFirst && report.delivered.length === NOTIFICATIONS, `${report.delivered.length} delivered after the poster exited`);
      ctx.check(
        `${NOTIFICATIONS} events complete the ${NOTIFICATIONS} requests first in, first out`,
        report.delivered.every((d, i) => d.index === i),
        report.delivered.map((d) => d.index).join(", "),
      );
      ctx.check(
        "the event numbers increase",
        report.delivered.every((d, i, all) => d.sequence > 0 && (i === 0 || d.sequence > (all[i - 1]?.sequence ?? 0))),
        report.delivered.map((d) => d.sequence).join(", "),
      );
      ctx.check(
        "each packet carries the device's key and the 4-byte notification",
        report.delivered.every((d) => d.ok && d.key === NOTIFY_KEY && d.bytes === INVERTED_NOTIFICATION_BYTES),
        report.delivered.map((d) => `${d.ok ? "TRUE" : `FALSE/${d.error}`} key 0x${d.key.toString(16)} ${d.bytes} bytes`).join("; "),
      );
      if (ending === "close") {
        ctx.check(
          "closing the device cancels the parked requests: one packet each, ERROR_OPERATION_ABORTED with 0 bytes",
          report.cancelled.length === NOTIFICATIONS && report.cancelled.every((d) => !d.ok && d.error === ERROR_OPERATION_ABORTED && d.bytes === 0),
          report.cancelled.map((d) => `${d.index}: ${d.error}`).join(", "),
        );
        ctx.check("the app finishes", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
      } else {
        ctx.check("the app exits with requests still parked", report.finished && app.state === "exited" && app.exitStatus === 0, `process ${app.state}`);
      }
      ctx.check("the app's exit or close cancels every parked request", ext.RequestsCancelled === NOTIFICATIONS, `${ext.RequestsCancelled} cancelled`);
      ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
      if (!m.halted && r.outcome === "completed") await unloadDriver(m, "InvertedCall");
    },
  };
}

/** The scenario `irpsim run inverted-call` runs. */
export const invertedCallScenario = makeInvertedCallScenario();
