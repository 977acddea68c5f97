/**
 * Upcase's scenario (docs/porting-a-wdk-sample.md, "Porting a KMDF driver"): an app upper-cases a
 * string through the KMDF driver, then asks with an output buffer too small for the reply.
 */
import { liveIrps, loadDriver, unloadDriver, type Scenario } from "irpsim";
import { CloseHandle, CreateFile, DeviceIoControl, ERROR_INSUFFICIENT_BUFFER, GENERIC_READ, GENERIC_WRITE, GetLastError, GetProcessHeap, HEAP_ZERO_MEMORY, HeapAlloc, INVALID_HANDLE_VALUE, OPEN_EXISTING, readAnsiString, readU32, writeAnsiString } from "irpsim/win32";
import { IOCTL_UPCASE, UpcaseDriverEntry } from "./driver.js";

/** What the app saw. */
class UpcaseReport {
  reply = "";
  bytes = 0;
  /** GetLastError after the IOCTL whose output buffer is too small. */
  smallBufferError = 0;
}

function makeUpcaseApp(report: UpcaseReport): () => Promise<number> {
  return async function UpcaseApp(): Promise<number> {
    const h = await CreateFile("\\\\.\\Upcase", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
    if (h === INVALID_HANDLE_VALUE) return GetLastError();
    const heap = GetProcessHeap();
    const input = HeapAlloc(heap, HEAP_ZERO_MEMORY, 16);
    const output = HeapAlloc(heap, HEAP_ZERO_MEMORY, 16);
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    writeAnsiString(input, "kmdf");
    if (await DeviceIoControl(h, IOCTL_UPCASE, input, 4, output, 16, bytes, null)) {
      report.reply = readAnsiString(output);
      report.bytes = readU32(bytes);
    }
    if (!(await DeviceIoControl(h, IOCTL_UPCASE, input, 4, output, 3, bytes, null))) report.smallBufferError = GetLastError();
    await CloseHandle(h);
    return 0;
  };
}

/** The scenario. */
export const upcase: Scenario = {
  name: "upcase",
  summary: "a ported KMDF control device: EvtIoDeviceControl retrieves both buffers and completes with information",
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "Upcase", UpcaseDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0);
    const report = new UpcaseReport();
    m.createProcess("upcase.exe", makeUpcaseApp(report));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.bugCheck?.name ?? r.outcome);
    ctx.check("the reply is the input in upper case", report.reply === "KMDF", report.reply);
    ctx.check("the bytes returned are the reply and its NUL", report.bytes === 5, `${report.bytes} bytes`);
    ctx.check("an output buffer too small for the reply gets ERROR_INSUFFICIENT_BUFFER", report.smallBufferError === ERROR_INSUFFICIENT_BUFFER, `error ${report.smallBufferError}`);
    ctx.check("no IRP is left", liveIrps(m).length === 0);
    await unloadDriver(m, "Upcase");
  },
};
export default upcase;
