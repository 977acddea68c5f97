/**
 * The kmdf-echo scenarios: the KMDF echo driver on a root-enumerated device, in both
 * synchronisation styles; the app writes, reads back and cancels a read; the device is then
 * removed and the driver unloaded.
 */
import { createRootDevice, loadDriver, poolUsage, removeDevice, unloadDriver, type Scenario } from "irpsim";
import { ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { ECHO_MESSAGE, EchoAppReport, makeEchoApp, type EchoResult } from "./app.js";
import { DeviceGetContext, makeEchoDriver, type EchoRoutines, type EchoSyncStyle } from "./driver.js";
import { WdfWdmDeviceGetWdfDeviceHandle } from "irpsim/wdf";

/** What a request may end as once the run was disturbed (cancelled, the app killed, the device unplugged). */
function endedAcceptably(r: EchoResult | null): boolean {
  if (r === null) return true;
  // ERROR_OPERATION_ABORTED (cancelled), ERROR_BAD_COMMAND (the queue no longer accepts: the device is gone).
  return r.ok || r.error === ERROR_OPERATION_ABORTED || r.error === 22;
}

/**
 * The scenario for a synchronisation style (and, for the buggy builds, replaced routines).
 */
export function makeEchoScenario(style: EchoSyncStyle, name: string, variant?: (correct: EchoRoutines) => Partial<EchoRoutines>, summary?: string): Scenario {
  return {
    name,
    summary: summary ?? `KMDF echo driver (${style === "queue-scope" ? "queue-level automatic synchronization" : "its own spin lock"}): sequential queue, a periodic timer completes each request, MarkCancelableEx/EvtRequestCancel; the app writes, reads back and cancels a read`,
    // An explorer may cancel a request, kill the app and unplug the device once each, anywhere.
    injections: { cancel: 1, death: 1, surpriseRemove: 1 },
    async run(ctx) {
      const m = ctx.machine;
      const loaded = await loadDriver(m, "KmdfEcho", makeEchoDriver(style, variant));
      ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
      const poolBlocks = poolUsage(m).blocks;
      const reported = await createRootDevice(m, { service: "KmdfEcho", hardwareId: "Root\\KmdfEcho" });
      const node = reported.node;
      ctx.check("the PnP manager starts the device (AddDevice, IRP_MN_START_DEVICE)", reported.status === 0 && node?.state === "started", `status 0x${reported.status.toString(16)}`);
      if (!node) return;
      const device = WdfWdmDeviceGetWdfDeviceHandle(node.top);
      if (!device) return;
      const log = DeviceGetContext(device).PnpLog;
      ctx.check("start runs EvtDevicePrepareHardware, EvtDeviceD0Entry, EvtDeviceSelfManagedIoInit in the framework's order", log.join(",") === "PrepareHardware,D0Entry,SelfManagedIoInit", log.join(", "));

      const report = new EchoAppReport();
      ctx.note(`echoapp.exe finds the echo interface, writes "${ECHO_MESSAGE}", reads it back and cancels a second read`);
      const app = m.createProcess("echoapp.exe", makeEchoApp(report));
      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);

      if (ctx.undisturbed()) {
        ctx.check("the app finds the device by its interface class", report.path.startsWith("\\\\?\\ROOT#KMDFECHO#0000#"), report.path);
        ctx.check("the write pends, then completes with every byte", report.write?.pended === true && report.write.ok && report.write.bytes === ECHO_MESSAGE.length + 1, JSON.stringify(report.write));
        ctx.check("the read pends, then returns what was written", report.read?.pended === true && report.read.ok && report.echoed === ECHO_MESSAGE, `"${report.echoed}"`);
        ctx.check("CancelIoEx finds the pending read and it ends with ERROR_OPERATION_ABORTED", report.cancelFound === true && report.cancelled?.ok === false && report.cancelled.error === ERROR_OPERATION_ABORTED, JSON.stringify(report.cancelled));
        ctx.check("the app finishes", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
      } else if (report.finished) {
        ctx.check("each request succeeded or was aborted", [report.write, report.read, report.cancelled].every(endedAcceptably), JSON.stringify([report.write, report.read, report.cancelled]));
        if (report.read?.ok && report.read.bytes > 0) ctx.check("a read that succeeded returned the message", report.echoed === ECHO_MESSAGE, `"${report.echoed}"`);
      } else {
        ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
      }
      const completions = DeviceGetContext(device).Completions;
      ctx.check("the driver completed each request once (timer, cancel or refused)", completions.length <= 3, completions.map((c) => c.how).join(", "));

      // The device goes: removed in order, unless an explorer unplugged it during the run.
      if (node.state === "started") {
        const removed = await removeDevice(m, node);
        ctx.check("the orderly removal is not vetoed", removed.status === 0 && removed.veto === null, `${removed.veto ?? ""} 0x${removed.status.toString(16)}`);
        const tail = log.slice(3).join(",");
        ctx.check("removal runs SelfManagedIoSuspend, D0Exit, ReleaseHardware, SelfManagedIoCleanup in the framework's order", tail === "SelfManagedIoSuspend,D0Exit,ReleaseHardware,SelfManagedIoCleanup", log.slice(3).join(", "));
      } else {
        const tail = log.slice(3);
        ctx.check("a surprise removal calls EvtDeviceSurpriseRemoval before the rest of the removal", tail[0] === "SurpriseRemoval" && tail.join(",") === "SurpriseRemoval,SelfManagedIoSuspend,D0Exit,ReleaseHardware,SelfManagedIoCleanup", tail.join(", "));
      }
      ctx.check("the device is removed", node.state === "removed", node.state);
      ctx.check("no IRP is left pending", (m.io?.liveIrps.size ?? 0) === 0, [...(m.io?.liveIrps ?? [])].map((i) => i.label).join(", "));
      ctx.check("the echo buffer and every request's pool is freed", poolUsage(m).blocks === poolBlocks, `${poolUsage(m).blocks - poolBlocks} block(s) more than before`);
      if (!m.halted) await unloadDriver(m, "KmdfEcho");
    },
  };
}

/** `irpsim run kmdf-echo`: queue-level automatic synchronization. */
export const kmdfEchoScenario = makeEchoScenario("queue-scope", "kmdf-echo");
/** `irpsim run kmdf-echo-driver-lock`: the driver's own spin lock. */
export const kmdfEchoDriverLockScenario = makeEchoScenario("driver-lock", "kmdf-echo-driver-lock");
