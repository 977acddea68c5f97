/**
 * The startio scenario: overlapped writes to a serial-port-like driver that serialises them
 * through the I/O manager's device queue (IoStartPacket, a StartIo routine, IoStartNextPacket from
 * the transmit DPC); one write is cancelled while it waits in the queue.
 */
import { cancelSpinLockOwner, liveIrps, loadDriver, poolUsage, unloadDriver, type Scenario } from "irpsim";
import { IsListEmpty, STATUS_CANCELLED, STATUS_SUCCESS } from "irpsim/wdm";
import { ERROR_OPERATION_ABORTED } from "irpsim/win32";
import { UART_CANCELLED, UART_COMMANDS, UartAppReport, makeUartApp } from "./app.js";
import { UartDriverEntry, type UART_EXTENSION } from "./driver.js";

/** Whether `part` is `whole` with some elements left out (order kept). */
function isSubsequence(part: readonly string[], whole: readonly string[]): boolean {
  let i = 0;
  for (const x of whole) if (i < part.length && part[i] === x) i++;
  return i === part.length;
}

/** The number in "irp#12" (IRP ids grow in allocation order). */
function irpNumber(label: string): number {
  return Number(label.slice(label.indexOf("#") + 1));
}

/** The scenario `irpsim run startio` runs. */
export const startioScenario: Scenario = {
  name: "startio",
  summary: "a serial port serialises overlapped writes with IoStartPacket, StartIo and IoStartNextPacket; one queued write is cancelled",
  // An explorer may cancel one request and kill the app once, anywhere.
  injections: { cancel: 1, death: 1 },
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "Uart", UartDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const device = loaded.DriverObject.DeviceObject;
    const ext = device?.DeviceExtension as UART_EXTENSION | undefined;
    const poolBlocks = poolUsage(m).blocks;
    const report = new UartAppReport();
    ctx.note(`terminal.exe writes ${UART_COMMANDS.length} commands at once and cancels "${UART_COMMANDS[UART_CANCELLED]?.trim() ?? ""}" while it is queued`);
    const app = m.createProcess("terminal.exe", makeUartApp(report));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    if (!device || !ext) {
      ctx.check("the device exists", false);
      return;
    }

    const perIrp = new Map<string, number>();
    for (const c of ext.Completions) perIrp.set(c.irp, (perIrp.get(c.irp) ?? 0) + 1);
    ctx.check(
      "every write the driver received completes exactly once",
      ext.Completions.length === ext.WritesReceived && perIrp.size === ext.WritesReceived && [...perIrp.values()].every((n) => n === 1),
      `${ext.Completions.length} completions of ${perIrp.size} IRPs for ${ext.WritesReceived} writes`,
    );
    ctx.check(
      "each write ends with every byte sent (STATUS_SUCCESS) or cancelled with 0 bytes",
      ext.Completions.every((c) => (c.status === STATUS_SUCCESS && c.information > 0) || (c.status === STATUS_CANCELLED && c.information === 0)),
      ext.Completions.map((c) => `${c.irp}: 0x${c.status.toString(16)}/${c.information} by ${c.by}`).join(", "),
    );
    ctx.check("StartIo gets the writes in the order they were issued (FIFO)", ext.Started.every((irp, i) => i === 0 || irpNumber(irp) > irpNumber(ext.Started[i - 1] ?? "#0")), ext.Started.join(", "));
    ctx.check("the commands go out on the wire in the order they were written", isSubsequence(ext.Wire, UART_COMMANDS), ext.Wire.map((w) => w.trim()).join(", "));
    ctx.check(
      "the port ends idle: device queue empty and not busy, no CurrentIrp",
      !device.DeviceQueue.Busy && IsListEmpty(device.DeviceQueue.DeviceListHead) && device.CurrentIrp === null,
      `Busy ${String(device.DeviceQueue.Busy)}, CurrentIrp ${device.CurrentIrp?.label ?? "NULL"}`,
    );
    ctx.check("the cancel spin lock is free", cancelSpinLockOwner(m) === null, cancelSpinLockOwner(m) ?? "");

    if (ctx.undisturbed()) {
      // The story as told: four writes queue up, the third is cancelled in the queue.
      const others = UART_COMMANDS.filter((_, i) => i !== UART_CANCELLED);
      const cancelled = report.results[UART_CANCELLED];
      ctx.check("every WriteFile returns FALSE with ERROR_IO_PENDING", report.allPending && report.issued === UART_COMMANDS.length, `${report.issued} issued`);
      ctx.check("CancelIoEx finds the queued write", report.cancelOk === true);
      ctx.check("the cancelled write reports ERROR_OPERATION_ABORTED with 0 bytes", cancelled?.ok === false && cancelled.error === ERROR_OPERATION_ABORTED && cancelled.bytes === 0, `error ${cancelled?.error ?? "?"}, ${cancelled?.bytes ?? "?"} bytes`);
      ctx.check(
        "the cancelled write never reaches StartIo: the cancel routine takes it out of the device queue and completes it",
        ext.Started.length === others.length && ext.Completions.filter((c) => c.by === "cancel").length === 1,
        `StartIo ran for ${ext.Started.join(", ")}; completions: ${ext.Completions.map((c) => `${c.irp} by ${c.by}`).join(", ")}`,
      );
      ctx.check(
        "the other writes succeed with every byte",
        report.results.every((x, i) => i === UART_CANCELLED || (x.ok && x.bytes === x.command.length)),
        report.results.map((x) => `${x.command.trim()}: ${x.ok ? `${x.bytes} bytes` : `error ${x.error}`}`).join(", "),
      );
      ctx.check("the wire carries exactly the other commands, in order", ext.Wire.join("|") === others.join("|"), ext.Wire.map((w) => w.trim()).join(", "));
      ctx.check("the app finishes and closes the port", report.finished && app.exitStatus === 0, `exit status ${app.exitStatus}`);
    } else if (report.finished) {
      // Disturbed (a cancel, a death…): whatever happened, each write ended one of the two ways.
      ctx.check(
        "each write reports success with every byte or ERROR_OPERATION_ABORTED with none",
        report.results.every((x) => !x.accepted || (x.ok && x.bytes === x.command.length) || (x.error === ERROR_OPERATION_ABORTED && x.bytes === 0)),
        report.results.map((x) => `${x.command.trim()}: ${x.ok ? `${x.bytes} bytes` : `error ${x.error}`}`).join(", "),
      );
    } else {
      ctx.check("the app has exited", app.state === "exited", `process ${app.state}`);
    }
    ctx.check("no IRP is left pending", liveIrps(m).length === 0, liveIrps(m).join(", "));
    ctx.check("no system buffer is left allocated", poolUsage(m).blocks === poolBlocks, `${poolUsage(m).blocks - poolBlocks} block(s) more than before`);
    if (!m.halted && r.outcome === "completed") await unloadDriver(m, "Uart");
  },
};
