/**
 * The csq-reads scenario: reader threads with ReadFileEx completion routines against a driver that
 * queues reads in a cancel-safe queue and completes them from a polling thread; the app ends
 * cleanly (IRP_MJ_CLEANUP drains the queue) or with ExitProcess while reads are in flight.
 */
import { liveIrps, loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { STATUS_CANCELLED, STATUS_SUCCESS } from "irpsim/wdm";
import { ERROR_OPERATION_ABORTED, WAIT_IO_COMPLETION } from "irpsim/win32";
import { CSAMP_SAMPLE_BYTES, CsampDriverEntry, type CSAMP_EXTENSION } from "./driver.js";
import { CsqReadsReport, makeCsqReadsApp, type CsqReadsEnding } from "./app.js";

/** Reader threads in the app. */
export const READERS = 3;
/** Virtual milliseconds the readers run before the ending. */
export const RUN_MS = 60;

/** The csq-reads scenario. */
export const csqReadsScenario: Scenario = {
  name: "csq-reads",
  summary: "ReadFileEx completion routines in alertable waits against a cancel-safe queue drained by a polling thread",
  options: [
    {
      name: "ending",
      values: ["clean", "exit"],
      default: "clean",
      description: "clean: the app closes the device (IRP_MJ_CLEANUP drains the queue) and waits for its readers; exit: ExitProcess with reads in flight",
    },
  ],
  async run(ctx) {
    const m = ctx.machine;
    const ending = (ctx.options.ending ?? "clean") as CsqReadsEnding;
    const loaded = await loadDriver(m, "CsqReads", CsampDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const ext = loaded.DriverObject.DeviceObject?.DeviceExtension as CSAMP_EXTENSION | undefined;
    const poolBlocks = poolUsage(m).blocks;
    const report = new CsqReadsReport();
    ctx.note(`csqreads.exe starts ${READERS} readers; after ${RUN_MS} ms it ends: ${ending}`);
    const app = m.createProcess("csqreads.exe", makeCsqReadsApp(ending, report, READERS, RUN_MS));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    if (!ext) {
      ctx.check("the device exists", false);
      return;
    }
    ctx.check("every read is accepted (ReadFileEx returns TRUE)", report.refused.length === 0 && report.accepted > 0, `${report.accepted} accepted, refused: ${report.refused.join(", ")}`);
    ctx.check("the driver received every read the app issued", ext.ReadsReceived === report.accepted, `${ext.ReadsReceived} received, ${report.accepted} issued`);
    const perIrp = new Map<string, number>();
    for (const c of ext.Completions) perIrp.set(c.irp, (perIrp.get(c.irp) ?? 0) + 1);
    ctx.check("every read completes exactly once", ext.Completions.length === ext.ReadsReceived && [...perIrp.values()].every((n) => n === 1), `${ext.Completions.length} completions of ${perIrp.size} IRPs for ${ext.ReadsReceived} reads`);
    ctx.check(
      "each read ends with its 4-byte sample (STATUS_SUCCESS) or cancelled with 0 bytes",
      ext.Completions.every((c) => (c.status === STATUS_SUCCESS && c.information === CSAMP_SAMPLE_BYTES) || (c.status === STATUS_CANCELLED && c.information === 0)),
      ext.Completions.map((c) => `${c.irp}: 0x${c.status.toString(16)}/${c.information}`).join(", "),
    );
    const samples = ext.Completions.filter((c) => c.status === STATUS_SUCCESS).length;
    ctx.check("the polling thread completed reads while the app ran", samples > 0 && ext.Sequence === samples, `${samples} samples`);
    if (ending === "clean") {
      ctx.check("each completion routine runs in the thread that issued the read, in an alertable wait", report.results.every((x) => x.thread === x.issuer) && report.wakes.every((w) => w === WAIT_IO_COMPLETION), `wakes: ${report.wakes.join(", ")}`);
      ctx.check("every accepted read's completion routine ran once", report.results.length === report.accepted, `${report.results.length} routines for ${report.accepted} reads`);
      const got = report.results.filter((x) => x.error === 0).map((x) => x.sample);
      ctx.check("the samples the readers got are each delivered once, in increasing order", got.every((s, i) => i === 0 || s > (got[i - 1] ?? 0)) && got.length === samples, got.join(", "));
      const drained = ext.Completions.filter((c) => c.by === "cleanup");
      ctx.check(
        "closing the device drains the queue through IRP_MJ_CLEANUP: the reads still queued end with ERROR_OPERATION_ABORTED and 0 bytes",
        drained.length === READERS && report.results.filter((x) => x.error === ERROR_OPERATION_ABORTED && x.bytes === 0).length === READERS,
        `${drained.length} drained by cleanup`,
      );
      ctx.check("the app finishes", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
    } else {
      ctx.check("the app exits with reads in flight", report.finished && app.state === "exited", `process ${app.state}`);
      ctx.check("the reads in flight when the process exited are cancelled", ext.Completions.some((c) => c.status === STATUS_CANCELLED), ext.Completions.map((c) => c.by).join(", "));
    }
    ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
    ctx.check("no system buffer is left allocated", poolUsage(m).blocks === poolBlocks, `${poolUsage(m).blocks - poolBlocks} block(s) more than before`);
    if (!m.halted && r.outcome === "completed") {
      await unloadDriver(m, "CsqReads");
      ctx.check("DriverUnload stops the polling thread", m.threads.filter((t) => t.name === "CsampPollingThread").every((t) => t.state === "terminated"));
    }
  },
};
