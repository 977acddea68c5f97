/**
 * The ioctl scenario: an app sends one control code per transfer method (METHOD_BUFFERED,
 * METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER) to the Methods driver and checks each
 * answer; then a METHOD_NEITHER request with a kernel pointer and a buffer too small.
 */
import { liveIrps, loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { STATUS_ACCESS_VIOLATION, STATUS_SUCCESS } from "irpsim/wdm";
import { ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_HANDLE, ERROR_NOACCESS } from "irpsim/win32";
import { METHODS_PAYLOAD, MethodsAppReport, makeMethodsApp, methodsQuestion } from "./app.js";
import * as driver from "./driver.js";

/** The scenario `irpsim run ioctl` runs. */
export const ioctlScenario: Scenario = {
  name: "ioctl",
  summary: "the four METHOD_* transfer methods: system buffer, MDLs for IN/OUT_DIRECT, probed raw pointers for NEITHER; the app checks every answer",
  source: "samples/ioctl",
  // An explorer may cancel a request, close the handle from another thread and kill the app.
  injections: { cancel: 1, death: 1, close: 1 },
  tryNext: [{ command: "irpsim explore ioctl --strategy dfs --bound 2", why: "every cancel, close and death up to two deviations" }],
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "Methods", driver.MethodsDriverEntry, { ioctls: driver });
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const ext = loaded.DriverObject.DeviceObject?.DeviceExtension as driver.METHODS_EXTENSION | undefined;
    const poolBlocks = poolUsage(m).blocks;
    const report = new MethodsAppReport();
    ctx.note("methods.exe sends one request per transfer method and checks each answer");
    const app = m.createProcess("methods.exe", makeMethodsApp(report));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    if (!ext) {
      ctx.check("the device exists", false);
      return;
    }
    ctx.check(
      "every request the driver answered succeeded with what its method allows, or failed with 0 bytes",
      ext.Requests.every((q) => (q.status === STATUS_SUCCESS && q.information > 0) || (q.status !== STATUS_SUCCESS && q.information === 0)),
      ext.Requests.map((q) => `${q.method}: 0x${q.status.toString(16)}/${q.information}`).join(", "),
    );
    ctx.check(
      "the driver read each request's text as the app wrote it",
      ext.Requests.every((q) => q.input === "" || q.input === methodsQuestion(q.method)),
      ext.Requests.map((q) => `${q.method}: "${q.input}"`).join(", "),
    );
    if (ctx.undisturbed()) {
      for (const method of Object.keys(driver.METHODS_IOCTLS)) {
        const a = report.answers.find((x) => x.method === method);
        ctx.check(`${method}: DeviceIoControl succeeds and the app finds the right bytes returned and contents`, a?.correct === true, a ? `ok ${String(a.ok)}, error ${a.error}, ${a.bytesReturned} bytes, "${a.text}"` : "not sent");
      }
      const inDirect = ext.Requests.find((q) => q.method === "METHOD_IN_DIRECT");
      ctx.check(
        "METHOD_IN_DIRECT: the driver reads the app's payload through the MDL's system mapping, every byte",
        inDirect !== undefined && inDirect.payload.length === METHODS_PAYLOAD.length && inDirect.payload.every((b, i) => b === METHODS_PAYLOAD[i]),
        `${inDirect?.payload.length ?? 0} bytes`,
      );
      ctx.check("METHOD_NEITHER with a kernel output pointer: the driver's ProbeForWrite raises, the app gets ERROR_NOACCESS", report.badPointer?.ok === false && report.badPointer.error === ERROR_NOACCESS && ext.Requests.some((q) => q.method === "METHOD_NEITHER" && q.status === STATUS_ACCESS_VIOLATION), `error ${report.badPointer?.error ?? "?"}`);
      ctx.check("METHOD_BUFFERED with a 4-byte output buffer: ERROR_INSUFFICIENT_BUFFER", report.tooSmall?.ok === false && report.tooSmall.error === ERROR_INSUFFICIENT_BUFFER, `error ${report.tooSmall?.error ?? "?"}`);
      ctx.check("the app finishes and closes the device", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
    } else if (report.finished) {
      // A close from another thread makes the later requests fail on a handle that is gone.
      ctx.check(
        "each answer is right, or the request failed on a closed handle (ERROR_INVALID_HANDLE)",
        report.answers.every((a) => a.correct || (!a.ok && a.error === ERROR_INVALID_HANDLE)),
        report.answers.map((a) => `${a.method}: ${a.correct ? "right" : `error ${a.error}`}`).join(", "),
      );
    } else {
      ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
    }
    ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
    ctx.check("no system buffer is left allocated", poolUsage(m).blocks === poolBlocks, `${poolUsage(m).blocks - poolBlocks} block(s) more than before`);
    if (!m.halted && r.outcome === "completed") await unloadDriver(m, "Methods");
  },
};
