/**
 * Completion-port figures: packets per second through GetQueuedCompletionStatus for 64-byte
 * METHOD_BUFFERED IOCTLs that a driver pends and its own system thread completes, against the
 * machine's bare event set/wait round trip between two app threads, measured in the same run.
 */
import { performance } from "node:perf_hooks";
import { Machine } from "../kernel/machine.js";
import { loadDriver } from "../io-manager/driver.js";
import * as wdm from "../wdm.js";
import * as w from "../win32/index.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { round } from "./harness.js";

const IOCTL_PEND = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x910, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);

/** The benchmark driver's state: requests waiting for its thread. */
class BenchPortExt {
  readonly Lock = new wdm.KSPIN_LOCK("BenchPortLock");
  readonly Queue = new wdm.LIST_ENTRY<wdm.IRP>();
  readonly Work = new wdm.KEVENT(wdm.SynchronizationEvent, false, "BenchPortWork");
}

/** A driver that pends every IOCTL and completes it from its own system thread. */
function BenchPortDriverEntry(DriverObject: wdm.DRIVER_OBJECT): number {
  const ext = new BenchPortExt();
  wdm.InitializeListHead(ext.Queue);
  const { status, DeviceObject } = wdm.IoCreateDevice(DriverObject, ext, "\\Device\\BenchPort", wdm.FILE_DEVICE_UNKNOWN, 0, false);
  if (!DeviceObject) return status;
  wdm.IoCreateSymbolicLink("\\DosDevices\\BenchPort", "\\Device\\BenchPort");
  const succeed: wdm.DRIVER_DISPATCH = function BenchPortCreateClose(_d, Irp) {
    Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    return wdm.STATUS_SUCCESS;
  };
  DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = succeed;
  DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = succeed;
  DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = succeed;
  DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function BenchPortDeviceControl(_d, Irp) {
    wdm.IoMarkIrpPending(Irp);
    const irql = wdm.KeAcquireSpinLock(ext.Lock);
    wdm.InsertTailList(ext.Queue, Irp.Tail.Overlay.ListEntry);
    wdm.KeReleaseSpinLock(ext.Lock, irql);
    wdm.KeSetEvent(ext.Work, 0, false);
    return wdm.STATUS_PENDING;
  };
  wdm.PsCreateSystemThread(async function BenchPortWorker() {
    for (;;) {
      await wdm.KeWaitForSingleObject(ext.Work, wdm.Executive, wdm.KernelMode, false, null);
      for (;;) {
        const irql = wdm.KeAcquireSpinLock(ext.Lock);
        const entry = wdm.IsListEmpty(ext.Queue) ? null : wdm.RemoveHeadList(ext.Queue);
        wdm.KeReleaseSpinLock(ext.Lock, irql);
        if (!entry) break;
        const Irp = wdm.CONTAINING_RECORD(entry);
        Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
        Irp.IoStatus.Information = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.OutputBufferLength;
        wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      }
    }
  }, null);
  return wdm.STATUS_SUCCESS;
}

/** Milliseconds for `count` packets: post a 64-byte IOCTL, take its packet, again. */
async function packets(count: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * 1024 * 1024 });
  await loadDriver(m, "BenchPort", BenchPortDriverEntry);
  let ms = 0;
  let failures = 0;
  m.createProcess("bench.exe", async () => {
    const h = await w.CreateFile("\\\\.\\BenchPort", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, w.FILE_FLAG_OVERLAPPED, 0);
    const port = w.CreateIoCompletionPort(h, 0, 1, 0);
    const buf = w.VirtualAlloc(0, 8192, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
    const ov = new w.OVERLAPPED(buf);
    const inBuf = buf + 64;
    const outBuf = buf + 128;
    const out = buf + 256;
    const one = async (): Promise<void> => {
      await w.DeviceIoControl(h, IOCTL_PEND, inBuf, 64, outBuf, 64, 0, ov);
      if (!(await w.GetQueuedCompletionStatus(port, out, out + 4, out + 8, w.INFINITE)) || w.readU32(out) !== 64) failures++;
    };
    for (let i = 0; i < 2000; i++) await one();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await one();
    ms = performance.now() - t0;
    await w.CloseHandle(h);
    await w.CloseHandle(port);
  });
  const r = await m.run();
  if (r.outcome !== "completed" || failures > 0) throw new Error(`iocp bench run ended ${r.outcome} with ${failures} bad packet(s)`);
  return ms;
}

/** Milliseconds for `count` round trips: one app thread sets an event and waits for another's answer. */
async function eventRoundTrips(count: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * 1024 * 1024 });
  let ms = 0;
  m.createProcess("bench.exe", async () => {
    const ping = w.CreateEvent(null, false, false, null);
    const pong = w.CreateEvent(null, false, false, null);
    const total = count + 2000;
    const echo = w.CreateThread(
      null,
      0,
      async () => {
        for (let i = 0; i < total; i++) {
          await w.WaitForSingleObject(ping, w.INFINITE);
          w.SetEvent(pong);
        }
        return 0;
      },
      null,
      0,
      0,
      "echo",
    );
    const one = async (): Promise<void> => {
      w.SetEvent(ping);
      await w.WaitForSingleObject(pong, w.INFINITE);
    };
    for (let i = 0; i < 2000; i++) await one();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await one();
    ms = performance.now() - t0;
    await w.WaitForSingleObject(echo, w.INFINITE);
  });
  const r = await m.run();
  if (r.outcome !== "completed") throw new Error(`event bench run ended ${r.outcome}`);
  return ms;
}

const iocp: Benchmark = {
  name: "iocp",
  async run(): Promise<BenchResult[]> {
    const count = 50_000;
    const base = Math.min(await eventRoundTrips(count), await eventRoundTrips(count));
    const port = Math.min(await packets(count), await packets(count));
    const rate = (ms: number) => round(count / (ms / 1000), 0);
    return [
      {
        name: "iocp.packets_per_s",
        value: rate(port),
        unit: "packets/s",
        baseline: rate(base),
        ratio: round(port / base, 2),
        goal: "report (64-byte METHOD_BUFFERED IOCTL pended, completed by a driver thread, removed with GetQueuedCompletionStatus; baseline: event set/wait round trip between two app threads)",
        met: null,
      },
    ];
  },
};

export const iocpBenchmarks: Benchmark[] = [iocp];
