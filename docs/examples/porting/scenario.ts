/**
 * The Reverser's scenario (docs/porting-a-wdk-sample.md): an app reverses a string with each
 * IOCTL, then passes a pointer into kernel space and gets ERROR_NOACCESS, not a crash.
 */
import { loadDriver, liveIrps, poolUsage, unloadDriver, type Scenario } from "irpsim";
import {
  CloseHandle,
  CreateFile,
  DeviceIoControl,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  FIELD_OFFSET,
  readAnsiString,
  writeAnsiString,
} from "irpsim/win32";
import * as driver from "./driver.js";
import { IOCTL_REVERSE_NEITHER, IOCTL_REVERSE_SLOW, REVERSE_MAGIC, REVERSE_REQUEST, ReverserDriverEntry } from "./driver.js";

/** What the app saw. */
export class ReverserAppReport {
  neither = "";
  slow = "";
  /** GetLastError after the IOCTL with a kernel-space input pointer. */
  badPointerError = 0;
  /** GetLastError after the IOCTL whose request has the wrong magic. */
  badMagicError = 0;
}

function makeReverserApp(report: ReverserAppReport): () => Promise<number> {
  return async function ReverserApp(): Promise<number> {
    const h = await CreateFile("\\\\.\\Reverser", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
    if (h === INVALID_HANDLE_VALUE) return GetLastError();
    const heap = GetProcessHeap();
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    const text = "irpsim";
    // #region request
    // The request: REVERSE_REQUEST header, then the bytes.
    const header = FIELD_OFFSET(REVERSE_REQUEST, "Data");
    const request = HeapAlloc(heap, HEAP_ZERO_MEMORY, header + 16);
    const r = REVERSE_REQUEST.at(request);
    r.Magic.Value = REVERSE_MAGIC;
    r.Length = text.length;
    writeAnsiString(request + header, text);
    // #endregion request
    const out = HeapAlloc(heap, HEAP_ZERO_MEMORY, 16);
    if (await DeviceIoControl(h, IOCTL_REVERSE_NEITHER, request, header + text.length, out, 16, bytes, null)) report.neither = readAnsiString(out);

    // The wrong magic: the driver says which, and refuses the request.
    r.Magic.Value = 0x21444142; // 'BAD!' read backwards: "BAD!" in memory
    if (!(await DeviceIoControl(h, IOCTL_REVERSE_NEITHER, request, header + text.length, out, 16, bytes, null))) report.badMagicError = GetLastError();
    r.Magic.Value = REVERSE_MAGIC;

    const inPlace = HeapAlloc(heap, HEAP_ZERO_MEMORY, 16);
    writeAnsiString(inPlace, "driver");
    if (await DeviceIoControl(h, IOCTL_REVERSE_SLOW, inPlace, 6, inPlace, 16, bytes, null)) report.slow = readAnsiString(inPlace);

    // A lying app: the "input" is a kernel address. The probe must refuse it.
    if (!(await DeviceIoControl(h, IOCTL_REVERSE_NEITHER, 0x80001000, 64, out, 16, bytes, null))) report.badPointerError = GetLastError();
    await CloseHandle(h);
    return 0;
  };
}

/** The scenario. */
export const reverser: Scenario = {
  name: "reverser",
  summary: "a ported METHOD_NEITHER driver: probes, __try/__except, goto cleanup, an async dispatch routine",
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "Reverser", ReverserDriverEntry, { ioctls: driver });
    ctx.check("DriverEntry succeeds", loaded.status === 0);
    const report = new ReverserAppReport();
    m.createProcess("reverser.exe", makeReverserApp(report));
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.bugCheck?.name ?? r.outcome);
    ctx.check("METHOD_NEITHER reverses the app's bytes", report.neither === "mispri", report.neither);
    ctx.check("METHOD_BUFFERED reverses in place, once the device is ready", report.slow === "revird", report.slow);
    ctx.check("a kernel-space pointer gets ERROR_NOACCESS", report.badPointerError === 998, `error ${report.badPointerError}`);
    ctx.check("a request with the wrong magic gets ERROR_INVALID_PARAMETER", report.badMagicError === 87, `error ${report.badMagicError}`);
    ctx.check("no pool is left tagged 'Revr'", poolUsage(m, { tag: "Revr" }).blocks === 0);
    ctx.check("no IRP is left", liveIrps(m).length === 0);
    await unloadDriver(m, "Reverser");
  },
};
export default reverser;
