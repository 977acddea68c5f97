/**
 * KMDF figures: a 64-byte buffered IOCTL through the framework (a parallel default queue, the
 * request completed in EvtIoDeviceControl) against the same round trip to a WDM driver in the same
 * run, and the explorer's rate on the KMDF echo sample.
 */
import { performance } from "node:perf_hooks";
import { Machine } from "../kernel/machine.js";
import { loadDriver } from "../io-manager/driver.js";
import * as wdm from "../wdm.js";
import * as wdf from "../wdf/index.js";
import * as w from "../win32/index.js";
import { exploreScenario } from "../explore/explore.js";
import { runScenario } from "../scenario/scenario.js";
import { kmdfEchoScenario } from "../samples/kmdf-echo/scenario.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { collectGarbage, round } from "./harness.js";
import { IOCTL_BUFFERED, roundTrips } from "./ioctl.bench.js";

/** A non-PnP KMDF driver: \Device\KmdfBench, a parallel default queue completing every IOCTL in EvtIoDeviceControl. */
function KmdfBenchDriverEntry(DriverObject: wdm.DRIVER_OBJECT, RegistryPath: string): number {
  const config = new wdf.WDF_DRIVER_CONFIG();
  wdf.WDF_DRIVER_CONFIG_INIT(config, null);
  config.DriverInitFlags |= wdf.WdfDriverInitNonPnpDriver;
  const d = wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config);
  if (!d.Driver) return d.status;
  const init = wdf.WdfControlDeviceInitAllocate(d.Driver, wdf.SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
  if (!init) return wdm.STATUS_INSUFFICIENT_RESOURCES;
  wdf.WdfDeviceInitAssignName(init, "\\Device\\KmdfBench");
  const dev = wdf.WdfDeviceCreate(init, null);
  if (!dev.Device) return dev.status;
  wdf.WdfDeviceCreateSymbolicLink(dev.Device, "\\DosDevices\\KmdfBench");
  const qc = new wdf.WDF_IO_QUEUE_CONFIG();
  wdf.WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, wdf.WdfIoQueueDispatchParallel);
  qc.EvtIoDeviceControl = function KmdfBenchIoctl(_Queue, Request, OutputBufferLength) {
    wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, OutputBufferLength);
  };
  const q = wdf.WdfIoQueueCreate(dev.Device, qc, null);
  if (!q.Queue) return q.status;
  wdf.WdfControlFinishInitializing(dev.Device);
  return wdm.STATUS_SUCCESS;
}

/** Milliseconds for `count` synchronous 64-byte METHOD_BUFFERED round trips to the KMDF driver (after a warm-up). */
async function kmdfRoundTrips(count: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * 1024 * 1024 });
  await loadDriver(m, "KmdfBench", KmdfBenchDriverEntry);
  let ms = 0;
  m.createProcess("bench.exe", async () => {
    const h = await w.CreateFile("\\\\.\\KmdfBench", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
    const buf = w.VirtualAlloc(0, 8192, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
    for (let i = 0; i < 50_000; i++) await w.DeviceIoControl(h, IOCTL_BUFFERED, buf, 64, buf + 128, 64, buf + 256, null);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await w.DeviceIoControl(h, IOCTL_BUFFERED, buf, 64, buf + 128, 64, buf + 256, null);
    ms = performance.now() - t0;
    if (w.readU32(buf + 256) !== 64) throw new Error("the KMDF round trip did not return 64 bytes");
    await w.CloseHandle(h);
  });
  const r = await m.run();
  if (r.outcome !== "completed") throw new Error(`bench run ended ${r.outcome}`);
  m.dispose();
  return ms;
}

const roundTrip: Benchmark = {
  name: "kmdf.ioctl_round_trip",
  async run(): Promise<BenchResult[]> {
    const count = 200_000;
    // Interleaved, best of three each: the ratio compares the two paths under the same conditions.
    let wdmMs = Infinity;
    let kmdfMs = Infinity;
    for (let i = 0; i < 3; i++) {
      wdmMs = Math.min(wdmMs, await roundTrips(IOCTL_BUFFERED, count));
      await collectGarbage();
      kmdfMs = Math.min(kmdfMs, await kmdfRoundTrips(count));
      await collectGarbage();
    }
    const rate = (ms: number) => round(count / (ms / 1000), 0);
    const ratio = round(kmdfMs / wdmMs, 2);
    return [
      {
        name: "kmdf.ioctl_round_trip",
        value: rate(kmdfMs),
        unit: "round trips/s (64-byte METHOD_BUFFERED through a parallel default queue, completed in EvtIoDeviceControl)",
        baseline: rate(wdmMs),
        ratio,
        goal: "≤ 1.6 × the time of ioctl.buffered_sync (the same round trip to a WDM driver, measured in this run)",
        met: ratio <= 1.6,
      },
    ];
  },
};

/** Schedules per second of a random search of `runs` schedules of kmdf-echo (one cancel, death and surprise removal injectable). */
async function echoSearchRate(runs: number, seed: number): Promise<number> {
  const t0 = performance.now();
  const r = await exploreScenario(kmdfEchoScenario, { strategy: "random", runs, seed, workers: 1, scenarioRef: { shipped: "kmdf-echo" }, shrink: false });
  return r.schedules / ((performance.now() - t0) / 1000);
}

/** Plain runs of kmdf-echo per second (no explorer). */
async function echoPlainRate(runs: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const r = await runScenario(kmdfEchoScenario, { flightRecorder: 0 });
    r.machine.dispose();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return runs / ((performance.now() - t0) / 1000);
}

const echoExplore: Benchmark = {
  name: "kmdf.explore.schedules_per_s",
  async run(): Promise<BenchResult[]> {
    await echoSearchRate(200, 99);
    await echoPlainRate(100);
    await collectGarbage();
    let rate = 0;
    let plain = 0;
    for (let i = 0; i < 3; i++) {
      plain = Math.max(plain, await echoPlainRate(300));
      await collectGarbage();
      rate = Math.max(rate, await echoSearchRate(500, i + 1));
      await collectGarbage();
    }
    return [
      {
        name: "kmdf.explore.schedules_per_s",
        value: round(rate, 0),
        unit: "schedules/s, kmdf-echo with one cancel, death and surprise removal injectable (random search, one thread, verifier on)",
        baseline: round(plain, 0),
        ratio: round(rate / plain, 3),
        goal: "report (ratio: to plain runs of the scenario without the explorer)",
        met: null,
      },
    ];
  },
};

export const kmdfBenchmarks: Benchmark[] = [roundTrip, echoExplore];
