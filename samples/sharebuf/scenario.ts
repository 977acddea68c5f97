/**
 * The sharebuf scenario: the shared-buffer design end to end, with its three endings.
 */
import { liveIrps, loadDriver, pageFrameNumber, unloadDriver, type Scenario } from "irpsim";
import { ERROR_IO_PENDING, ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { STATUS_INSUFFICIENT_RESOURCES } from "irpsim/wdm";
import { SHARED_BYTES, SharebufAppReport, makeSharebufApp, type SharebufEnding } from "./app.js";
import * as sharebufDriver from "./driver.js";
import { SHAREBUF_MAGIC, SharebufDriverEntry, SHAREBUF_EXTENSION, makeSharebufDriver, type SharebufBuild } from "./driver.js";

/** When the harness kills the app in the "killed" ending (virtual ms after it starts). */
export const KILL_AT_MS = 120;

/** The scenario, for a given driver build (the default build is the correct driver). */
export function makeSharebufScenario(build?: SharebufBuild, name = "sharebuf"): Scenario {
  const entry = build ? makeSharebufDriver(build) : SharebufDriverEntry;
  return {
    name,
    summary: "share a buffer with a driver through a pended METHOD_OUT_DIRECT IOCTL (the KB design), then end the sharing",
    options: [
      {
        name: "ending",
        values: ["done-using", "killed", "closed"],
        default: "done-using",
        description: "done-using: the app sends DONE_USING; killed: the app dies while sharing; closed: the app closes its handle first",
      },
    ],
    // An explorer may kill the app once and cancel its request once, anywhere.
    injections: { death: 1, cancel: 1 },
    async run(ctx) {
      const m = ctx.machine;
      const ending = (ctx.options.ending ?? "done-using") as SharebufEnding;
      // The driver module's IOCTL_* constants name its control codes in every report.
      const loaded = await loadDriver(m, "Sharebuf", entry, { ioctls: sharebufDriver });
      if (loaded.status !== 0 && !ctx.undisturbed()) {
        // An allocation DriverEntry made was failed on purpose (low resources simulation that
        // includes DriverEntry): the driver must fail to load cleanly, leaving nothing behind.
        ctx.check("DriverEntry fails cleanly when an allocation fails", loaded.status === STATUS_INSUFFICIENT_RESOURCES && loaded.DriverObject.DeviceObject === null, `status 0x${loaded.status.toString(16)}`);
        return;
      }
      ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
      const report = new SharebufAppReport();
      ctx.note(`sharebuf.exe starts; the sharing will end by: ${ending}`);
      const app = m.createProcess("sharebuf.exe", makeSharebufApp(ending, report));
      if (ending === "killed") m.after(KILL_AT_MS, "sharebuf.exe dies", () => {
        app.kill(1);
      });

      // Run until the buffer is shared (or the app is gone), then look at both mappings of it.
      await ctx.run({ until: () => report.shared || report.finished || app.state !== "active" });
      const device = loaded.DriverObject.DeviceObject;
      const ext = device?.DeviceExtension as SHAREBUF_EXTENSION | undefined;
      if (ext && ext.SharedBuffer !== 0 && app.addressSpace) {
        const pages = SHARED_BYTES / 4096;
        const same: boolean[] = [];
        for (let i = 0; i < pages; i++) {
          const user = pageFrameNumber(m, app, report.buffer + i * 4096);
          const system = pageFrameNumber(m, null, ext.SharedBuffer + i * 4096);
          same.push(user >= 0 && user === system);
        }
        ctx.check("the user and system addresses map the same frames", same.every(Boolean), `user 0x${report.buffer.toString(16)} and system 0x${ext.SharedBuffer.toString(16)} over ${pages} pages`);
        ctx.check("the app's pages are locked while shared", app.lockedPages === pages, `${app.lockedPages} page(s) locked`);
        ctx.note(`user address 0x${report.buffer.toString(16).toUpperCase()} and system address 0x${ext.SharedBuffer.toString(16).toUpperCase()} map the same ${pages} frames`);
      } else if (ctx.undisturbed()) {
        ctx.check("the buffer was shared", false, "the driver never held a shared buffer");
      }
      const copiedBefore = m.bytesCopied;

      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
      // Undisturbed, every read finds a newer record; once the sharing ends early, reads may repeat the last one.
      const undisturbed = ctx.undisturbed();
      const inOrder = report.records.every((rec, i, all) => rec.square === rec.sequence * rec.sequence && (i === 0 || rec.sequence > (all[i - 1]?.sequence ?? 0) || (!undisturbed && rec.sequence === all[i - 1]?.sequence)));
      ctx.check("the records arrive in order and intact", inOrder, report.records.map((x) => x.sequence).join(", "));
      ctx.check("no byte of the shared data is copied", m.bytesCopied === copiedBefore, `${m.bytesCopied - copiedBefore} byte(s) copied while sharing`);

      if (undisturbed) {
        // The story as told: the request pends, records flow, and the chosen ending ends it.
        ctx.check("IOCTL_SHARE_BUFFER returns FALSE with ERROR_IO_PENDING", report.shareReturnedFalse && report.shareError === 997, `error ${report.shareError}`);
        ctx.check("the app reads the driver's records at its own address", report.magic === SHAREBUF_MAGIC && report.records.length >= 3, `${report.records.length} record(s) read`);
        if (ending === "done-using") {
          ctx.check("DONE_USING completes at once", report.doneUsingOk === true);
          ctx.check("the shared request's event fires", report.eventFired);
          ctx.check("GetOverlappedResult reports success for the shared request", report.finalOk === true, `error ${report.finalError}`);
        } else if (ending === "closed") {
          ctx.check("IRP_MJ_CLEANUP completes the shared request", report.eventFired);
          ctx.check("the app sees ERROR_OPERATION_ABORTED", report.finalOk === false && report.finalError === ERROR_OPERATION_ABORTED, `error ${report.finalError}`);
        } else {
          ctx.check("the app dies while sharing", app.state === "exited" && !report.finished, `process ${app.state}`);
          ctx.check("the process exits with the status it was killed with", app.exitStatus === 1, `exit status ${app.exitStatus}`);
        }
      } else if (!report.shared && report.shareReturnedFalse && report.shareError !== ERROR_IO_PENDING) {
        // The sharing request itself failed (an allocation failed on purpose): the app is told.
        ctx.check("the app is told IOCTL_SHARE_BUFFER failed, and exits", report.shareError !== 0 && app.state === "exited", `error ${report.shareError}, process ${app.state}`);
      } else if (report.finished) {
        // Disturbed (cancelled, or killed and so on): whatever happened, the app learnt how its request ended.
        ctx.check("the shared request's event fires", report.eventFired);
        ctx.check("the shared request ends in success or ERROR_OPERATION_ABORTED", report.finalOk === true || report.finalError === ERROR_OPERATION_ABORTED, `error ${report.finalError}`);
      } else {
        ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
      }
      ctx.check("no page of the app is left locked", app.lockedPages === 0, `${app.lockedPages} page(s)`);
      ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
      if (!m.halted && r.outcome === "completed") await unloadDriver(m, "Sharebuf");
    },
  };
}

/** The scenario `irpsim run sharebuf` runs. */
export const sharebufScenario: Scenario = {
  ...makeSharebufScenario(),
  source: "samples/sharebuf/",
  tryNext: [{ command: "irpsim explore sharebuf-cancel-window", why: "a cancel race this run never shows, found and replayed" }],
};
