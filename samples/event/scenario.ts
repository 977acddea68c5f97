/**
 * The event scenario: an app registers for notifications with the Alarm driver both ways (the
 * pended IRP, and its own event handle), cancels one, offers two bad handles, and closes the
 * device with one of each kind outstanding.
 */
import { liveIrps, loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { STATUS_CANCELLED, STATUS_SUCCESS } from "irpsim/wdm";
import { ERROR_INVALID_HANDLE, ERROR_IO_PENDING, ERROR_OPERATION_ABORTED, WAIT_OBJECT_0, WAIT_TIMEOUT } from "irpsim/win32";
import { ALARM_EVENT_DELAY_MS, ALARM_IRP_DELAY_MS, AlarmAppReport, makeAlarmApp } from "./app.js";
import * as driver from "./driver.js";

/** The scenario `irpsim run event` runs. */
export const eventScenario: Scenario = {
  name: "event",
  summary: "event notification both ways: a pended IRP completed by a timer DPC, and the app's own event handle referenced and set by the DPC; cancel and cleanup race the timer",
  source: "samples/event",
  // An explorer may cancel a request, close the device from another thread, kill the app, and fire a timer early.
  injections: { cancel: 1, death: 1, close: 1, timer: 1 },
  tryNext: [{ command: "irpsim explore event --strategy dfs --bound 2", why: "every cancel, close, death and early timer, up to two deviations" }],
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "Alarm", driver.AlarmDriverEntry, { ioctls: driver });
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const ext = loaded.DriverObject.DeviceObject?.DeviceExtension as driver.ALARM_EXTENSION | undefined;
    const poolBlocks = poolUsage(m).blocks;
    const report = new AlarmAppReport();
    ctx.note(`alarm.exe registers an IRP-based alarm (${ALARM_IRP_DELAY_MS} ms) and an event-based one (${ALARM_EVENT_DELAY_MS} ms), cancels one, closes with two outstanding`);
    const app = m.createProcess("alarm.exe", makeAlarmApp(report));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    if (!ext) {
      ctx.check("the device exists", false);
      return;
    }
    const irpEndings = ext.Endings.filter((e) => e.irp !== null);
    const perIrp = new Map<string, number>();
    for (const e of irpEndings) perIrp.set(e.irp ?? "", (perIrp.get(e.irp ?? "") ?? 0) + 1);
    ctx.check("every pended registration is completed exactly once (by the DPC, the cancel routine or cleanup)", [...perIrp.values()].every((n) => n === 1), irpEndings.map((e) => `${e.irp ?? ""} by ${e.by}`).join(", "));
    ctx.check(
      "a registration completed by its DPC succeeds; one ended by cancel or cleanup is STATUS_CANCELLED",
      irpEndings.every((e) => (e.by === "dpc" ? e.status === STATUS_SUCCESS : e.status === STATUS_CANCELLED)),
      irpEndings.map((e) => `${e.irp ?? ""}: 0x${(e.status ?? 0).toString(16)} by ${e.by}`).join(", "),
    );
    ctx.check("every record is freed and its remove-lock reference released", ext.LiveRecords === 0, `${ext.LiveRecords} record(s) alive`);
    if (ctx.undisturbed()) {
      const irp = report.step("irp");
      ctx.check(
        "IRP-based: DeviceIoControl returns ERROR_IO_PENDING and the request completes successfully once the delay has passed",
        irp?.registerError === ERROR_IO_PENDING && irp.result === 0 && irp.elapsedMs >= ALARM_IRP_DELAY_MS,
        `register error ${irp?.registerError ?? "?"}, result ${irp?.result ?? "?"}, after ${irp?.elapsedMs.toFixed(3) ?? "?"} ms`,
      );
      const ev = report.step("event");
      ctx.check(
        "event-based: the request succeeds at once and the app's own event is signalled once the delay has passed",
        ev?.accepted === true && ev.result === WAIT_OBJECT_0 && ev.elapsedMs >= ALARM_EVENT_DELAY_MS && ext.Endings.some((e) => e.type === "event" && e.by === "dpc" && e.signalled),
        `accepted ${String(ev?.accepted)}, wait ${ev?.result ?? "?"}, after ${ev?.elapsedMs.toFixed(3) ?? "?"} ms`,
      );
      const cancel = report.step("cancel");
      ctx.check(
        "CancelIoEx of a pended registration: its cancel routine completes it, the app sees ERROR_OPERATION_ABORTED",
        report.cancelOk === true && cancel?.result === ERROR_OPERATION_ABORTED && ext.Endings.some((e) => e.by === "cancel"),
        `CancelIoEx ${String(report.cancelOk)}, result ${cancel?.result ?? "?"}`,
      );
      ctx.check("a handle nobody has open is refused with ERROR_INVALID_HANDLE (STATUS_INVALID_HANDLE)", report.step("bogus handle")?.registerError === ERROR_INVALID_HANDLE, `error ${report.step("bogus handle")?.registerError ?? "?"}`);
      ctx.check("a handle that is not an event is refused with ERROR_INVALID_HANDLE (STATUS_OBJECT_TYPE_MISMATCH)", report.step("wrong type")?.registerError === ERROR_INVALID_HANDLE, `error ${report.step("wrong type")?.registerError ?? "?"}`);
      ctx.check(
        "closing the device: IRP_MJ_CLEANUP completes the pended registration with ERROR_OPERATION_ABORTED",
        report.step("cleanup irp")?.result === ERROR_OPERATION_ABORTED && ext.Endings.some((e) => e.type === "irp" && e.by === "cleanup"),
        `result ${report.step("cleanup irp")?.result ?? "?"}`,
      );
      ctx.check(
        "closing the device: IRP_MJ_CLEANUP stops the event-based registration's timer, so its event is never signalled",
        report.step("cleanup event")?.result === WAIT_TIMEOUT && ext.Endings.some((e) => e.type === "event" && e.by === "cleanup"),
        `wait ${report.step("cleanup event")?.result ?? "?"}`,
      );
      ctx.check("the app finishes", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
    } else if (report.finished) {
      const irpSteps = report.steps.filter((s) => s.step === "irp" || s.step === "cancel" || s.step === "cleanup irp");
      ctx.check(
        "each IRP-based registration ends in success, ERROR_OPERATION_ABORTED, or was refused on a closed handle",
        irpSteps.every((s) => s.result === 0 || s.result === ERROR_OPERATION_ABORTED || s.result === ERROR_INVALID_HANDLE),
        irpSteps.map((s) => `${s.step}: ${s.result}`).join(", "),
      );
    } else {
      ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
    }
    ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
    ctx.check("no system buffer is left allocated", poolUsage(m).blocks === poolBlocks, `${poolUsage(m).blocks - poolBlocks} block(s) more than before`);
    if (!m.halted && r.outcome === "completed") {
      await unloadDriver(m, "Alarm");
      ctx.check("DriverUnload's IoReleaseRemoveLockAndWait returns: no record holds the device", ext.RemoveLock.Common.IoCount === 0 && ext.LiveRecords === 0, `IoCount ${ext.RemoveLock.Common.IoCount}`);
    }
  },
};
