/**
 * The cancel scenario: overlapped reads queued in a cancel-safe queue that a polling system thread
 * serves; the app cancels one with CancelIoEx and closes the device with reads still queued;
 * unloading the driver stops the thread.
 */
import { liveIrps, loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { STATUS_CANCELLED, STATUS_SUCCESS } from "irpsim/wdm";
import { ERROR_INVALID_HANDLE, ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { POLLER_CANCELLED, POLLER_READS, POLLER_WAITED, PollerAppReport, makePollerApp } from "./app.js";
import { POLLER_READING_BYTES, POLLER_SAMPLE_MS, PollerDriverEntry, type POLLER_EXTENSION } from "./driver.js";

/** The scenario `irpsim run cancel` runs. */
export const cancelScenario: Scenario = {
  name: "cancel",
  summary: "reads in a cancel-safe queue served by a polling system thread; CancelIoEx of one, close with reads queued, unload stops the thread",
  source: "samples/cancel",
  // An explorer may cancel a read, close the device from another thread and kill the app.
  injections: { cancel: 1, death: 1, close: 1 },
  tryNext: [{ command: "irpsim explore cancel --strategy dfs --bound 2", why: "every cancel, close and death up to two deviations" }],
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "Poller", PollerDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const ext = loaded.DriverObject.DeviceObject?.DeviceExtension as POLLER_EXTENSION | undefined;
    const poolBlocks = poolUsage(m).blocks;
    const report = new PollerAppReport();
    ctx.note(`poller.exe queues ${POLLER_READS} reads, cancels read ${POLLER_CANCELLED}, waits for reads ${POLLER_WAITED.join(" and ")} and closes with the rest queued`);
    const app = m.createProcess("poller.exe", makePollerApp(report));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    if (!ext) {
      ctx.check("the device exists", false);
      return;
    }
    const perIrp = new Map<string, number>();
    for (const c of ext.Completions) perIrp.set(c.irp, (perIrp.get(c.irp) ?? 0) + 1);
    ctx.check("every read the driver received completes exactly once", ext.Completions.length === ext.ReadsReceived && perIrp.size === ext.ReadsReceived && [...perIrp.values()].every((n) => n === 1), `${ext.Completions.length} completions of ${perIrp.size} IRPs for ${ext.ReadsReceived} reads`);
    ctx.check(
      "each read ends with a reading (STATUS_SUCCESS, 8 bytes) from the polling thread, or STATUS_CANCELLED with 0 bytes from the queue's cancel path or cleanup",
      ext.Completions.every((c) => (c.status === STATUS_SUCCESS && c.information === POLLER_READING_BYTES && c.by === "polling thread") || (c.status === STATUS_CANCELLED && c.information === 0 && c.by !== "polling thread")),
      ext.Completions.map((c) => `${c.irp}: 0x${c.status.toString(16)}/${c.information} by ${c.by}`).join(", "),
    );
    ctx.check("the polling thread polled the device between readings", ext.Sequence === 0 || ext.Polls > ext.Sequence, `${ext.Polls} polls for ${ext.Sequence} readings`);
    if (ctx.undisturbed()) {
      const got = report.results.filter((x) => x.error === 0);
      ctx.check("every ReadFile returns FALSE with ERROR_IO_PENDING", report.allPending && report.results.every((x) => x.accepted), report.results.map((x) => x.readError).join(", "));
      ctx.check("CancelIoEx finds the queued read; it ends with ERROR_OPERATION_ABORTED and 0 bytes", report.cancelOk === true && report.results[POLLER_CANCELLED]?.error === ERROR_OPERATION_ABORTED && report.results[POLLER_CANCELLED].bytes === 0, `CancelIoEx ${String(report.cancelOk)}`);
      ctx.check(
        "the reads the app waited for get successive readings, one sample period apart",
        got.map((x) => x.index).join(",") === POLLER_WAITED.join(",") && got.every((x, i) => x.sequence === i + 1 && x.bytes === POLLER_READING_BYTES) && got.every((x, i) => i === 0 || x.timeMs - (got[i - 1]?.timeMs ?? 0) >= POLLER_SAMPLE_MS),
        got.map((x) => `read ${x.index}: #${x.sequence} at ${x.timeMs} ms`).join(", "),
      );
      const drained = ext.Completions.filter((c) => c.by === "cleanup");
      ctx.check(
        "closing the device drains the queue through IRP_MJ_CLEANUP: the reads still queued end with ERROR_OPERATION_ABORTED",
        report.outstandingAtClose === POLLER_READS - 1 - POLLER_WAITED.length && drained.length === report.outstandingAtClose && report.results.filter((x) => x.error === ERROR_OPERATION_ABORTED).length === report.outstandingAtClose + 1,
        `${report.outstandingAtClose} outstanding at close, ${drained.length} drained by cleanup`,
      );
      ctx.check("the app finishes", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
    } else if (report.finished) {
      ctx.check(
        "each read gets a reading, ERROR_OPERATION_ABORTED, or was refused on a closed handle",
        report.results.every((x) => (x.error === 0 && x.bytes === POLLER_READING_BYTES) || (x.error === ERROR_OPERATION_ABORTED && x.bytes === 0) || (!x.accepted && x.readError === ERROR_INVALID_HANDLE)),
        report.results.map((x) => `read ${x.index}: ${x.error}`).join(", "),
      );
    } else {
      ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
    }
    ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
    ctx.check("no system buffer is left allocated", poolUsage(m).blocks === poolBlocks, `${poolUsage(m).blocks - poolBlocks} block(s) more than before`);
    if (!m.halted && r.outcome === "completed") {
      await unloadDriver(m, "Poller");
      ctx.check("DriverUnload stops the polling thread and waits for it", m.threads.filter((t) => t.name === "PollerThread").every((t) => t.state === "terminated") && ext.PollingThread === null);
    }
  },
};
