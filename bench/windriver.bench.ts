/**
 * WinDriver figures: interrupts per second (host time) delivered through a Kernel PlugIn's
 * KP_IntAtIrql alone, through KP_IntAtIrql and KP_IntAtDpc, and all the way to the app's
 * WD_IntWait, each against the scheduler's bare wake-up (a timer DPC setting an event a thread
 * waits on) measured in the same run.
 */
import { performance } from "node:perf_hooks";
import { Executive, KDPC, KEVENT, KTIMER, KeInitializeDpc, KeInitializeTimer, KeSetEvent, KeSetTimerEx, KeWaitForSingleObject, KernelMode, SynchronizationEvent } from "../kernel/api-ke.js";
import { Machine } from "../kernel/machine.js";
import { loadDriver } from "../io-manager/driver.js";
import * as w from "../win32/index.js";
import * as wd from "../windriver/index.js";
import type { KP_INIT, KP_OPEN_CALL, KernelPlugIn, Out } from "../windriver/kernel-plugin.js";
import { WdDriverEntry, installKernelPlugIn, installSamplingCard } from "../windriver/machine.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { round } from "./harness.js";

/** How far an interrupt goes. */
type Depth = "irql" | "dpc" | "wait";

/** A KP that asks for a DPC (depth dpc and wait) and wakes WD_IntWait (depth wait). */
function benchKp(depth: Depth): KernelPlugIn {
  return {
    KP_Init(kpInit: KP_INIT): boolean {
      kpInit.dwVerWD = wd.WD_VER;
      kpInit.cDriverName = "KP_BENCH";
      kpInit.funcOpen = (kpOpenCall: KP_OPEN_CALL, _h: number, _d: number, ppDrvContext: Out<unknown>) => {
        kpOpenCall.funcIntEnable = (_drv, _call, ppIntContext) => {
          ppIntContext.value = null;
          return true;
        };
        kpOpenCall.funcIntAtIrql = (_ctx, mine) => {
          mine.value = true;
          return depth !== "irql";
        };
        kpOpenCall.funcIntAtDpc = (_ctx, count) => (depth === "wait" ? count : 0);
        ppDrvContext.value = null;
        return true;
      };
      return true;
    },
  };
}

/** Milliseconds of host time for `count` interrupts at `depth`. */
async function interrupts(depth: Depth, count: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * 1024 * 1024 });
  const intervalMs = 0.01;
  const card = installSamplingCard(m, { name: "bench card", irq: 9, intervalsMs: [intervalMs] });
  installKernelPlugIn(m, "KP_BENCH", benchKp(depth));
  await loadDriver(m, "windrvr6", WdDriverEntry);
  let ms = 0;
  m.createProcess("bench.exe", async () => {
    const alloc = (n: number) => w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, n);
    const h = await wd.WD_Open();
    const kp = new wd.WD_KERNEL_PLUGIN(alloc(wd.SIZEOF_WD_KERNEL_PLUGIN));
    const name = alloc(16);
    w.writeAnsiString(name, "KP_BENCH");
    kp.pcDriverName = name;
    await wd.WD_KernelPlugInOpen(h, kp.address);
    const reg = new wd.WD_CARD_REGISTER(alloc(wd.SIZEOF_WD_CARD_REGISTER));
    reg.dwItems = 1;
    reg.Item(0).item = wd.ITEM_INTERRUPT;
    reg.Item(0).dwInterrupt = 9;
    await wd.WD_CardRegister(h, reg.address);
    const intr = new wd.WD_INTERRUPT(alloc(wd.SIZEOF_WD_INTERRUPT));
    intr.hInterrupt = reg.Item(0).hInterrupt;
    intr.kpCall.hKernelPlugIn = kp.hKernelPlugIn;
    const t0 = performance.now();
    if (depth === "wait") {
      for (let i = 0; i < count; i++) {
        if (i === 0) await wd.WD_IntEnable(h, intr.address);
        await wd.WD_IntWait(h, intr.address);
      }
    } else {
      await wd.WD_IntEnable(h, intr.address);
      await w.Sleep(count * intervalMs);
    }
    ms = performance.now() - t0;
    await wd.WD_IntDisable(h, intr.address);
    await wd.WD_Close(h);
  });
  const r = await m.run();
  if (r.outcome !== "completed") throw new Error(`windriver bench run ended ${r.outcome}: ${r.bugCheck?.name ?? r.deadlock ?? ""}`);
  if (card.raised < count - 1) throw new Error(`only ${card.raised} of ${count} interrupts were raised`);
  return ms;
}

/** The baseline: a periodic timer's DPC sets an event a system thread waits on, `count` times. */
async function bareWakeups(count: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * 1024 * 1024 });
  let ms = 0;
  m.createSystemThread("bench", async () => {
    const event = new KEVENT(SynchronizationEvent, false, "bench event");
    const timer = new KTIMER();
    const dpc = new KDPC<KEVENT>();
    KeInitializeTimer(timer);
    KeInitializeDpc(dpc, (_d, e) => KeSetEvent(e, 0, false), event);
    KeSetTimerEx(timer, -100, 1, dpc);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await KeWaitForSingleObject(event, Executive, KernelMode, false, null);
    ms = performance.now() - t0;
    m.cancelTimer(timer);
  });
  const r = await m.run();
  if (r.outcome !== "completed") throw new Error(`baseline run ended ${r.outcome}`);
  return ms;
}

const windriver: Benchmark = {
  name: "windriver",
  async run(): Promise<BenchResult[]> {
    const n = 100_000;
    const waits = 40_000;
    // Warm the JIT on every path first, then take the best of three runs of each.
    await bareWakeups(5_000);
    for (const depth of ["irql", "dpc", "wait"] as const) await interrupts(depth, 2_000);
    const best = async (f: () => Promise<number>) => Math.min(await f(), await f(), await f());
    const base = await best(() => bareWakeups(n));
    const irql = await best(() => interrupts("irql", n));
    const dpc = await best(() => interrupts("dpc", n));
    const wait = await best(() => interrupts("wait", waits));
    const perSecond = (ms: number, count: number) => round(count / (ms / 1000), 0);
    const baseRate = perSecond(base, n);
    // The ratio compares time per event: an interrupt's path against one bare wake-up.
    const ratio = (ms: number, count: number) => round(ms / count / (base / n), 2);
    return [
      { name: "windriver.int_at_irql_per_s", value: perSecond(irql, n), unit: "interrupts/s", baseline: baseRate, ratio: ratio(irql, n), goal: "report (card → ISR → KP_IntAtIrql, no DPC), against bare timer-DPC-event wake-ups/s", met: null },
      { name: "windriver.int_at_dpc_per_s", value: perSecond(dpc, n), unit: "interrupts/s", baseline: baseRate, ratio: ratio(dpc, n), goal: "report (… → KP_IntAtDpc, no wake-up)", met: null },
      { name: "windriver.int_wait_per_s", value: perSecond(wait, waits), unit: "interrupts/s", baseline: baseRate, ratio: ratio(wait, waits), goal: "report (… → WD_IntWait returns in the app: a handle opened, an IOCTL and a close per wait)", met: null },
    ];
  },
};

export const windriverBenchmarks: Benchmark[] = [windriver];
