/**
 * The kmdf-ioctl scenario: the non-PnP control device serves the four buffering methods; the app
 * sends each and reads the reply; METHOD_NEITHER goes through EvtIoInCallerContext.
 */
import { loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { ERROR_ACCESS_DENIED, ERROR_NOACCESS } from "irpsim/win32";
import { UserMode } from "irpsim/wdm";
import { IoctlAppReport, IOCTLS, appMessage, makeIoctlApp } from "./app.js";
import { ControlGetContext, DRIVER_REPLY, KmdfIoctlDriverEntry } from "./driver.js";
import { WdfWdmDeviceGetWdfDeviceHandle } from "irpsim/wdf";

/** `irpsim run kmdf-ioctl`. */
export const kmdfIoctlScenario: Scenario = {
  name: "kmdf-ioctl",
  summary: "a non-PnP KMDF control device serving METHOD_BUFFERED, IN_DIRECT, OUT_DIRECT and METHOD_NEITHER (probed and locked in EvtIoInCallerContext)",
  injections: { cancel: 1, death: 1 },
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "KmdfIoctl", KmdfIoctlDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const device = loaded.DriverObject.DeviceObject ? WdfWdmDeviceGetWdfDeviceHandle(loaded.DriverObject.DeviceObject) : null;
    if (!device) return;
    const report = new IoctlAppReport();
    const app = m.createProcess("nonpnpapp.exe", makeIoctlApp(report));
    const poolBlocks = poolUsage(m).blocks;
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    const seen = ControlGetContext(device);
    if (ctx.undisturbed()) {
      ctx.check("the device is exclusive: a second open fails with ERROR_ACCESS_DENIED", report.secondOpenError === ERROR_ACCESS_DENIED, `error ${report.secondOpenError}`);
      for (const { name } of IOCTLS) {
        const got = report.replies.find((x) => x.name === name);
        const want = `${DRIVER_REPLY} (${name})`;
        ctx.check(`${name}: the driver's reply reaches the app's buffer, with its length`, got?.ok === true && got.reply === want && got.bytes === want.length + 1, JSON.stringify(got));
      }
      ctx.check("the driver read each message as sent, from user mode", seen.Received.length === 4 && seen.Received.every((x, i) => x.input === appMessage(IOCTLS[i]?.name ?? "") && x.mode === UserMode), JSON.stringify(seen.Received));
      ctx.check("METHOD_NEITHER with a bad input address fails in EvtIoInCallerContext's probe (ERROR_NOACCESS)", report.badNeither?.ok === false && report.badNeither.error === ERROR_NOACCESS, JSON.stringify(report.badNeither));
      ctx.check("every open was closed (EvtDeviceFileCreate and EvtFileClose)", seen.Opens === 1 && seen.Closes === 1, `${seen.Opens} open(s), ${seen.Closes} close(s)`);
      ctx.check("the app finishes", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
    } else {
      ctx.check("every reply the app got is the driver's", report.replies.every((x) => !x.ok || x.reply.startsWith(DRIVER_REPLY)), JSON.stringify(report.replies));
    }
    ctx.check("no IRP is left pending", (m.io?.liveIrps.size ?? 0) === 0, [...(m.io?.liveIrps ?? [])].map((i) => i.label).join(", "));
    ctx.check("no system buffer or locked-buffer MDL is left", poolUsage(m).blocks <= poolBlocks && (m.io?.liveMdls.size ?? 0) === 0, `${poolUsage(m).blocks - poolBlocks} block(s), ${m.io?.liveMdls.size ?? 0} MDL(s)`);
    if (!m.halted && r.outcome === "completed") await unloadDriver(m, "KmdfIoctl");
  },
};
