/**
 * The kmdf-sharebuf scenario: the shared-buffer design done the KMDF way, with its three endings.
 */
import { loadDriver, pageFrameNumber, unloadDriver, type Scenario } from "irpsim";
import { ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { WdfWdmDeviceGetWdfDeviceHandle } from "irpsim/wdf";
import { KmdfSharebufReport, SHARED_BYTES, makeKmdfSharebufApp, type KmdfSharebufEnding } from "./app.js";
import { KmdfSharebufDriverEntry, SharebufGetContext } from "./driver.js";

/** When the harness kills the app in the "killed" ending (virtual ms). */
export const KILL_AT_MS = 120;

/** `irpsim run kmdf-sharebuf`. */
export const kmdfSharebufScenario: Scenario = {
  name: "kmdf-sharebuf",
  summary: "the shared-buffer design the KMDF way: a manual queue holds the pended METHOD_OUT_DIRECT request, its MDL mapped to system space; DONE_USING, a cancel, death or close ends it",
  options: [
    {
      name: "ending",
      values: ["done-using", "killed", "closed"],
      default: "done-using",
      description: "done-using: the app sends DONE_USING; killed: the app dies while sharing; closed: the app closes its handle first",
    },
  ],
  injections: { death: 1, cancel: 1 },
  async run(ctx) {
    const m = ctx.machine;
    const ending = (ctx.options.ending ?? "done-using") as KmdfSharebufEnding;
    const loaded = await loadDriver(m, "KmdfSharebuf", KmdfSharebufDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const device = loaded.DriverObject.DeviceObject ? WdfWdmDeviceGetWdfDeviceHandle(loaded.DriverObject.DeviceObject) : null;
    if (!device) return;
    const dc = SharebufGetContext(device);
    const report = new KmdfSharebufReport();
    ctx.note(`kmdfsharebuf.exe starts; the sharing will end by: ${ending}`);
    const app = m.createProcess("kmdfsharebuf.exe", makeKmdfSharebufApp(ending, report));
    if (ending === "killed") m.after(KILL_AT_MS, "kmdfsharebuf.exe dies", () => {
      app.kill(1);
    });

    // Once the buffer is shared, both addresses map the same frames.
    await ctx.run({ until: () => report.shared || report.finished || app.state !== "active" });
    if (dc.SharedBuffer !== 0 && app.addressSpace) {
      const pages = SHARED_BYTES / 4096;
      let same = true;
      for (let i = 0; i < pages; i++) {
        const user = pageFrameNumber(m, app, report.buffer + i * 4096);
        same &&= user >= 0 && user === pageFrameNumber(m, null, dc.SharedBuffer + i * 4096);
      }
      ctx.check("the app's address and the driver's system address map the same frames", same);
      ctx.check("the app's pages are locked while shared", app.lockedPages === pages, `${app.lockedPages} page(s)`);
    } else if (ctx.undisturbed()) {
      ctx.check("the buffer was shared", false, "the driver never held a shared buffer");
    }
    const copiedBefore = m.bytesCopied;
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    ctx.check("the records arrive intact", report.records.every((x) => x.square === x.sequence * x.sequence), report.records.map((x) => x.sequence).join(", "));
    ctx.check("no byte of the shared data is copied", m.bytesCopied === copiedBefore, `${m.bytesCopied - copiedBefore} byte(s)`);
    ctx.check("the sharing ended exactly once, and nothing is shared now", dc.Endings.length <= 1 && dc.SharedBuffer === 0, `${dc.Endings.join(", ")}; SharedBuffer 0x${dc.SharedBuffer.toString(16)}`);
    if (ctx.undisturbed()) {
      ctx.check("IOCTL_SHARE_BUFFER pends", report.sharePended);
      ctx.check("the app reads the driver's records at its own address", report.records.length >= 3, `${report.records.length} record(s)`);
      if (ending === "done-using") {
        ctx.check("DONE_USING succeeds and the shared request completes with success", report.doneUsingOk === true && report.finalOk === true && dc.Endings[0] === "done-using", `${String(report.doneUsingOk)}, ${String(report.finalOk)} ${report.finalError}, ${dc.Endings.join(",")}`);
      } else if (ending === "closed") {
        ctx.check("closing the handle runs EvtFileCleanup, then the framework cancels the parked request (EvtIoCanceledOnQueue): ERROR_OPERATION_ABORTED", dc.Cleanups === 1 && dc.Endings[0] === "canceled on queue" && report.finalOk === false && report.finalError === ERROR_OPERATION_ABORTED, `${dc.Cleanups} cleanup(s), ${dc.Endings.join(",")}, error ${report.finalError}`);
      } else {
        ctx.check("the app's death cancels the parked request through EvtIoCanceledOnQueue", dc.Endings[0] === "canceled on queue" && app.state === "exited", `${dc.Endings.join(",")}, process ${app.state}`);
      }
    } else if (report.finished) {
      ctx.check("the shared request ends in success or ERROR_OPERATION_ABORTED", report.finalOk === true || report.finalError === ERROR_OPERATION_ABORTED, `error ${report.finalError}`);
    } else {
      ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
    }
    ctx.check("no page of the app is left locked", app.lockedPages === 0, `${app.lockedPages} page(s)`);
    ctx.check("no IRP is left pending", (m.io?.liveIrps.size ?? 0) === 0, [...(m.io?.liveIrps ?? [])].map((i) => i.label).join(", "));
    if (!m.halted && r.outcome === "completed") await unloadDriver(m, "KmdfSharebuf");
  },
};
