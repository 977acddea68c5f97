/**
 * I/O figures: IOCTL round trips on a synchronous handle completed inside dispatch, and probing,
 * locking and mapping a 32 MB buffer.
 */
import { performance } from "node:perf_hooks";
import { Machine } from "../kernel/machine.js";
import { loadDriver } from "../io-manager/driver.js";
import * as wdm from "../wdm.js";
import * as w from "../win32/index.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { fastest, round } from "./harness.js";

/** The 64-byte METHOD_BUFFERED IOCTL of the round-trip figures (bench/kmdf.bench.ts sends it too). */
export const IOCTL_BUFFERED = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x900, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
const IOCTL_OUT_DIRECT = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x901, wdm.METHOD_OUT_DIRECT, wdm.FILE_ANY_ACCESS);

/** A driver that completes every request inside its dispatch routine. */
function BenchDriverEntry(DriverObject: wdm.DRIVER_OBJECT): number {
  const { status, DeviceObject } = wdm.IoCreateDevice(DriverObject, null, "\\Device\\Bench", wdm.FILE_DEVICE_UNKNOWN, 0, false);
  if (!DeviceObject) return status;
  wdm.IoCreateSymbolicLink("\\DosDevices\\Bench", "\\Device\\Bench");
  const complete: wdm.DRIVER_DISPATCH = function BenchComplete(_d, Irp) {
    Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    return wdm.STATUS_SUCCESS;
  };
  DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = complete;
  DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = complete;
  DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = complete;
  DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function BenchDeviceControl(_d, Irp) {
    const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
    const n = sl.Parameters.DeviceIoControl.OutputBufferLength;
    Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
    Irp.IoStatus.Information = n;
    wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    return wdm.STATUS_SUCCESS;
  };
  return wdm.STATUS_SUCCESS;
}

/** Milliseconds for `count` synchronous 64-byte round trips to the WDM bench driver (after a warm-up). */
export async function roundTrips(code: number, count: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * 1024 * 1024 });
  await loadDriver(m, "Bench", BenchDriverEntry);
  let ms = 0;
  m.createProcess("bench.exe", async () => {
    const h = await w.CreateFile("\\\\.\\Bench", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
    const buf = w.VirtualAlloc(0, 8192, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
    const inBuf = buf;
    const outBuf = buf + 128;
    const returned = buf + 256;
    for (let i = 0; i < 50_000; i++) await w.DeviceIoControl(h, code, inBuf, 64, outBuf, 64, returned, null);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await w.DeviceIoControl(h, code, inBuf, 64, outBuf, 64, returned, null);
    ms = performance.now() - t0;
    await w.CloseHandle(h);
  });
  const r = await m.run();
  if (r.outcome !== "completed") throw new Error(`bench run ended ${r.outcome}`);
  return ms;
}

/** The baseline: an async call that copies 64 bytes in and 64 bytes out. */
async function baselineRoundTrips(count: number): Promise<number> {
  const user = new Uint8Array(256);
  const sys = new Uint8Array(64);
  const call = async (): Promise<number> => {
    sys.set(user.subarray(0, 64));
    user.set(sys, 128);
    return Promise.resolve(0);
  };
  for (let i = 0; i < 50_000; i++) await call();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await call();
  return performance.now() - t0;
}

const ioctl: Benchmark = {
  name: "ioctl",
  async run(): Promise<BenchResult[]> {
    const count = 500_000;
    const base = Math.min(await baselineRoundTrips(count), await baselineRoundTrips(count));
    const buffered = Math.min(await roundTrips(IOCTL_BUFFERED, count), await roundTrips(IOCTL_BUFFERED, count));
    const direct = Math.min(await roundTrips(IOCTL_OUT_DIRECT, count), await roundTrips(IOCTL_OUT_DIRECT, count));
    const rate = (ms: number) => round(count / (ms / 1000), 0);
    return [
      { name: "ioctl.buffered_sync", value: rate(buffered), unit: "round trips/s", baseline: rate(base), ratio: round(buffered / base, 2), goal: ">= 1,000,000 round trips/s (64-byte METHOD_BUFFERED, completed in dispatch)", met: rate(buffered) >= 1_000_000 },
      { name: "ioctl.out_direct_sync", value: rate(direct), unit: "round trips/s", baseline: rate(base), ratio: round(direct / base, 2), goal: "report (64-byte METHOD_OUT_DIRECT, completed in dispatch)", met: null },
    ];
  },
};

const lockMap: Benchmark = {
  name: "mdl.lock_map_32mb",
  async run(): Promise<BenchResult[]> {
    const n = 32 * 1024 * 1024;
    const src = new Uint8Array(n);
    const dst = new Uint8Array(n);
    const copy = await fastest(5, () => {
      dst.set(src);
    });
    const m = new Machine({ memoryBytes: 256 * 1024 * 1024 });
    let best = Infinity;
    m.createProcess("bench.exe", async () => {
      const buf = w.VirtualAlloc(0, n, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const t = m.currentThread();
      // Warm-up on 1 MB: the loops are compiled with their full type feedback before timing, so
      // the figure is the steady state, not whichever tier the JIT reached in 25 runs.
      m.enterKernel(t);
      for (let i = 0; i < 300; i++) {
        const mdl = wdm.IoAllocateMdl(buf, 1 << 20, false, false, null);
        if (!mdl) throw new Error("IoAllocateMdl failed");
        wdm.MmProbeAndLockPages(mdl, wdm.UserMode, wdm.IoWriteAccess);
        wdm.MmGetSystemAddressForMdlSafe(mdl, wdm.NormalPagePriority);
        wdm.MmUnlockPages(mdl);
        wdm.IoFreeMdl(mdl);
      }
      m.leaveKernel(t);
      for (let i = 0; i < 25; i++) {
        m.enterKernel(t);
        const t0 = performance.now();
        const mdl = wdm.IoAllocateMdl(buf, n, false, false, null);
        if (!mdl) throw new Error("IoAllocateMdl failed");
        wdm.MmProbeAndLockPages(mdl, wdm.UserMode, wdm.IoWriteAccess);
        const va = wdm.MmGetSystemAddressForMdlSafe(mdl, wdm.NormalPagePriority);
        const elapsed = performance.now() - t0;
        if (va === 0) throw new Error("mapping failed");
        wdm.MmUnlockPages(mdl);
        wdm.IoFreeMdl(mdl);
        m.leaveKernel(t);
        if (i > 0) best = Math.min(best, elapsed);
      }
      await w.Sleep(0);
    });
    await m.run();
    const ratio = best / copy;
    return [{ name: "mdl.lock_map_32mb", value: round(best, 3), unit: "ms", baseline: round(copy, 3), ratio: round(ratio, 3), goal: "< 0.05 of copying 32 MB", met: ratio < 0.05 }];
  },
};

export const ioctlBenchmarks: Benchmark[] = [ioctl, lockMap];
