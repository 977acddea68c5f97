import { expect } from "chai";
import { attachVerifier, type Machine } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { AppIo, IOCTL, loadWdfKit, type WdfKit, type WdfKitOptions } from "./kit.js";

/** Runs `fn` as the kit driver's code on a system thread after `ms` (PASSIVE_LEVEL); resolves with its result. */
function asDriver<T>(m: Machine, fn: () => Promise<T> | T, ms = 0, driver = "WdfTest"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    m.createSystemThread(`${driver} worker`, async () => {
      if (ms > 0) await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * ms);
      const token = m.enterActivity("driver thread", `${driver}Worker`, driver);
      try {
        resolve(await fn());
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      } finally {
        m.leaveActivity(token);
      }
    });
  });
}

/** Attributes whose parent is `parent`, with `more` applied. */
function childOf(parent: wdf.WDFOBJECT, more?: (a: wdf.WDF_OBJECT_ATTRIBUTES) => void): wdf.WDF_OBJECT_ATTRIBUTES {
  const a = new wdf.WDF_OBJECT_ATTRIBUTES();
  wdf.WDF_OBJECT_ATTRIBUTES_INIT(a);
  a.ParentObject = parent;
  more?.(a);
  return a;
}

/** Loads the kit with `setup` run in DriverEntry after the device and queue exist. */
async function kitWith(m: Machine, setup: (device: wdf.WDFDEVICE, queue: wdf.WDFQUEUE) => void, o: WdfKitOptions = {}): Promise<WdfKit> {
  const kit = await loadWdfKit(m, { queue: completeAll, ...o, setup });
  expect(kit.status).to.equal(0);
  return kit;
}

/** A default queue must have a handler: this one completes everything. */
function completeAll(c: wdf.WDF_IO_QUEUE_CONFIG): void {
  c.EvtIoDefault = function CompleteAll(_q, Request) {
    wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
  };
}

const ms = (m: Machine): number => Math.round(m.nowMs);

describe("wdf support objects: timers, DPCs, work items, synchronization scope and execution level", () => {
  it("a periodic WDFTIMER calls EvtTimerFunc at its due time and then every Period ms, at DISPATCH_LEVEL, until WdfTimerStop", async () => {
    const m = newMachine();
    const fired: { at: number; irql: number }[] = [];
    let timer: wdf.WDFTIMER | null = null;
    await kitWith(m, (device) => {
      const c = new wdf.WDF_TIMER_CONFIG();
      wdf.WDF_TIMER_CONFIG_INIT_PERIODIC(
        c,
        function TickTimer() {
          fired.push({ at: ms(m), irql: wdm.KeGetCurrentIrql() });
        },
        10,
      );
      timer = wdf.WdfTimerCreate(c, childOf(device)).Timer;
      wdf.WdfTimerStart(timer as wdf.WDFTIMER, wdf.WDF_REL_TIMEOUT_IN_MS(10));
    });
    const stopped = asDriver(m, () => wdf.WdfTimerStop(timer as wdf.WDFTIMER, false), 45);
    await m.run();
    expect(await stopped).to.equal(true);
    expect(fired).to.deep.equal([10, 20, 30, 40].map((at) => ({ at, irql: wdm.DISPATCH_LEVEL })));
  });

  it("WdfTimerStart returns TRUE when the timer was already set (and resets it); WdfTimerStop returns FALSE for a timer that was not set", async () => {
    const m = newMachine();
    const fired: number[] = [];
    let timer: wdf.WDFTIMER | null = null;
    await kitWith(m, (device) => {
      const c = new wdf.WDF_TIMER_CONFIG();
      wdf.WDF_TIMER_CONFIG_INIT(c, function OnceTimer() {
        fired.push(ms(m));
      });
      timer = wdf.WdfTimerCreate(c, childOf(device)).Timer;
    });
    const r = asDriver(m, async () => {
      const t = timer as wdf.WDFTIMER;
      const first = wdf.WdfTimerStart(t, wdf.WDF_REL_TIMEOUT_IN_MS(10));
      const again = wdf.WdfTimerStart(t, wdf.WDF_REL_TIMEOUT_IN_MS(30));
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 50);
      const notSet = await wdf.WdfTimerStop(t, true);
      return { first, again, notSet };
    });
    await m.run();
    expect(await r).to.deep.equal({ first: false, again: true, notSet: false });
    expect(fired).to.deep.equal([30]);
  });

  it("WdfTimerStop with Wait TRUE waits until a passive-level EvtTimerFunc that is running returns", async () => {
    const m = newMachine();
    const order: string[] = [];
    let timer: wdf.WDFTIMER | null = null;
    await kitWith(m, (device) => {
      const c = new wdf.WDF_TIMER_CONFIG();
      c.AutomaticSerialization = false;
      wdf.WDF_TIMER_CONFIG_INIT(c, async function SlowPassiveTimer() {
        order.push(`callback starts at ${ms(m)} ms, IRQL ${wdm.KeGetCurrentIrql()}`);
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 20);
        order.push(`callback returns at ${ms(m)} ms`);
      });
      c.AutomaticSerialization = false;
      timer = wdf.WdfTimerCreate(
        c,
        childOf(device, (a) => {
          a.ExecutionLevel = wdf.WdfExecutionLevelPassive;
        }),
      ).Timer;
      wdf.WdfTimerStart(timer as wdf.WDFTIMER, wdf.WDF_REL_TIMEOUT_IN_MS(10));
    });
    const stopped = asDriver(
      m,
      async () => {
        order.push(`WdfTimerStop(TRUE) at ${ms(m)} ms`);
        await wdf.WdfTimerStop(timer as wdf.WDFTIMER, true);
        order.push(`WdfTimerStop returns at ${ms(m)} ms`);
      },
      15,
    );
    await m.run();
    await stopped;
    expect(order).to.deep.equal(["callback starts at 10 ms, IRQL 0", "WdfTimerStop(TRUE) at 15 ms", "callback returns at 30 ms", "WdfTimerStop returns at 30 ms"]);
  });

  it("WdfTimerStop(Timer, TRUE) called from the timer's own EvtTimerFunc is WDF_VIOLATION 0x3 under the verifier (it would wait for itself)", async () => {
    const m = newMachine();
    attachVerifier(m);
    await kitWith(m, (device) => {
      const c = new wdf.WDF_TIMER_CONFIG();
      wdf.WDF_TIMER_CONFIG_INIT(c, async function SelfStopTimer(Timer) {
        await wdf.WdfTimerStop(Timer, true);
      });
      c.AutomaticSerialization = false;
      const timer = wdf.WdfTimerCreate(
        c,
        childOf(device, (a) => {
          a.ExecutionLevel = wdf.WdfExecutionLevelPassive;
        }),
      ).Timer;
      wdf.WdfTimerStart(timer as wdf.WDFTIMER, wdf.WDF_REL_TIMEOUT_IN_MS(10));
    });
    // Something must be alive for virtual time to reach the timer (a machine with only timers set is quiet).
    void asDriver(m, () => undefined, 50);
    const r = await m.run();
    expect(r.bugCheck?.code).to.equal(0x10d);
    expect(r.bugCheck?.parameters[0]).to.equal(0x3);
    expect(r.bugCheck?.rule).to.match(/WaitInOwnCallback/);
    expect(r.bugCheck?.routine).to.equal("SelfStopTimer");
  });

  it("WdfTimerStop with Wait TRUE from a DISPATCH_LEVEL timer callback is WDF_VIOLATION 0xE (it may only wait at PASSIVE_LEVEL)", async () => {
    const m = newMachine();
    attachVerifier(m);
    await kitWith(m, (device) => {
      const c = new wdf.WDF_TIMER_CONFIG();
      wdf.WDF_TIMER_CONFIG_INIT(c, function DispatchStopTimer(Timer) {
        void wdf.WdfTimerStop(Timer, true);
      });
      const timer = wdf.WdfTimerCreate(c, childOf(device)).Timer;
      wdf.WdfTimerStart(timer as wdf.WDFTIMER, wdf.WDF_REL_TIMEOUT_IN_MS(10));
    });
    void asDriver(m, () => undefined, 50);
    const r = await m.run();
    expect(r.bugCheck?.parameters.slice(0, 3)).to.deep.equal([0xe, wdm.DISPATCH_LEVEL, wdm.PASSIVE_LEVEL]);
  });

  it("a WDFDPC runs EvtDpcFunc once at DISPATCH_LEVEL however often it is enqueued before it runs; WdfDpcEnqueue returns FALSE when it is queued already, WdfDpcCancel TRUE when it took it out", async () => {
    const m = newMachine();
    const ran: number[] = [];
    let dpc: wdf.WDFDPC | null = null;
    await kitWith(m, (device) => {
      const c = new wdf.WDF_DPC_CONFIG();
      wdf.WDF_DPC_CONFIG_INIT(c, function CountDpc() {
        ran.push(wdm.KeGetCurrentIrql());
      });
      dpc = wdf.WdfDpcCreate(c, childOf(device)).Dpc;
    });
    const r = asDriver(m, async () => {
      const d = dpc as wdf.WDFDPC;
      // At DISPATCH_LEVEL the DPC cannot run until the IRQL drops.
      const old = wdm.KeRaiseIrqlToDpcLevel();
      const first = wdf.WdfDpcEnqueue(d);
      const second = wdf.WdfDpcEnqueue(d);
      wdm.KeLowerIrql(old);
      const afterRun = ran.length;
      const raised = wdm.KeRaiseIrqlToDpcLevel();
      wdf.WdfDpcEnqueue(d);
      const cancelled = wdf.WdfDpcCancel(d, false);
      wdm.KeLowerIrql(raised);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      return { first, second, afterRun, cancelled, total: ran.length };
    });
    await m.run();
    expect(await r).to.deep.equal({ first: true, second: false, afterRun: 1, cancelled: true, total: 1 });
    expect(ran).to.deep.equal([wdm.DISPATCH_LEVEL]);
  });

  it("a WDFWORKITEM runs EvtWorkItemFunc at PASSIVE_LEVEL on a system worker thread; enqueuing it while queued does nothing; WdfWorkItemFlush returns once it has run", async () => {
    const m = newMachine();
    const ran: string[] = [];
    let item: wdf.WDFWORKITEM | null = null;
    await kitWith(m, (device) => {
      const c = new wdf.WDF_WORKITEM_CONFIG();
      wdf.WDF_WORKITEM_CONFIG_INIT(c, async function SlowWorkItem() {
        ran.push(`starts at IRQL ${wdm.KeGetCurrentIrql()} on ${m.currentThread().process === m.systemProcess ? "a system thread" : "an app thread"}`);
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 10);
        ran.push(`returns at ${ms(m)} ms`);
      });
      c.AutomaticSerialization = false;
      item = wdf.WdfWorkItemCreate(c, childOf(device)).WorkItem;
    });
    const r = asDriver(m, async () => {
      const w = item as wdf.WDFWORKITEM;
      wdf.WdfWorkItemEnqueue(w);
      wdf.WdfWorkItemEnqueue(w);
      await wdf.WdfWorkItemFlush(w);
      ran.push(`flush returns at ${ms(m)} ms`);
      await wdf.WdfWorkItemFlush(w);
      return wdf.WdfWorkItemGetParentObject(w) !== null;
    });
    await m.run();
    expect(await r).to.equal(true);
    expect(ran).to.deep.equal(["starts at IRQL 0 on a system thread", "returns at 10 ms", "flush returns at 10 ms"]);
  });

  it("WdfWorkItemFlush called from the work item's own EvtWorkItemFunc is WDF_VIOLATION 0x3 under the verifier", async () => {
    const m = newMachine();
    attachVerifier(m);
    await kitWith(m, (device) => {
      const c = new wdf.WDF_WORKITEM_CONFIG();
      wdf.WDF_WORKITEM_CONFIG_INIT(c, async function SelfFlushWorkItem(WorkItem) {
        await wdf.WdfWorkItemFlush(WorkItem);
      });
      c.AutomaticSerialization = false;
      const item = wdf.WdfWorkItemCreate(c, childOf(device)).WorkItem;
      wdf.WdfWorkItemEnqueue(item as wdf.WDFWORKITEM);
    });
    const r = await m.run();
    expect(r.bugCheck?.code).to.equal(0x10d);
    expect(r.bugCheck?.parameters[0]).to.equal(0x3);
    expect(r.bugCheck?.rule).to.match(/WaitInOwnCallback/);
  });

  it("a timer, DPC or work item needs a device or queue parent: none is WDF_VIOLATION 0x4 under the verifier, STATUS_INVALID_PARAMETER without it", async () => {
    for (const verified of [false, true]) {
      const m = newMachine();
      if (verified) attachVerifier(m);
      await kitWith(m, () => undefined);
      const orphan = new wdf.WDF_OBJECT_ATTRIBUTES();
      wdf.WDF_OBJECT_ATTRIBUTES_INIT(orphan);
      const statuses = asDriver(m, () => {
        const tc = new wdf.WDF_TIMER_CONFIG();
        wdf.WDF_TIMER_CONFIG_INIT(tc, function OrphanTimer() {
          /* never runs */
        });
        const dc = new wdf.WDF_DPC_CONFIG();
        wdf.WDF_DPC_CONFIG_INIT(dc, function OrphanDpc() {
          /* never runs */
        });
        const wc = new wdf.WDF_WORKITEM_CONFIG();
        wdf.WDF_WORKITEM_CONFIG_INIT(wc, function OrphanWorkItem() {
          /* never runs */
        });
        return [wdf.WdfTimerCreate(tc, orphan).status, wdf.WdfDpcCreate(dc, orphan).status, wdf.WdfWorkItemCreate(wc, orphan).status];
      });
      const r = await m.run();
      if (verified) {
        expect(r.bugCheck?.parameters[0]).to.equal(0x4);
        expect(r.bugCheck?.detail).to.match(/WdfTimerCreate was called with Attributes->ParentObject/);
      } else {
        expect(await statuses).to.deep.equal([wdm.STATUS_INVALID_PARAMETER, wdm.STATUS_INVALID_PARAMETER, wdm.STATUS_INVALID_PARAMETER]);
      }
    }
  });

  it("queue synchronization scope: EvtIoDeviceControl runs under the queue's spin lock (DISPATCH_LEVEL); without a scope it runs at the caller's PASSIVE_LEVEL", async () => {
    for (const scope of [wdf.WdfSynchronizationScopeQueue, wdf.WdfSynchronizationScopeNone]) {
      const m = newMachine();
      const irqls: number[] = [];
      const kit = await loadWdfKit(m, {
        queueAttributes: (a) => {
          a.SynchronizationScope = scope;
        },
        queue: (c) => {
          c.EvtIoDeviceControl = function IrqlIoctl(_q, Request) {
            irqls.push(wdm.KeGetCurrentIrql());
            wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          };
        },
      });
      await runApp(m, async () => {
        const io = await AppIo.open(kit.path);
        await io.result((await io.ioctl(IOCTL(1), 0, 0)).ov);
        await io.close();
      });
      expect(irqls, `scope ${scope}`).to.deep.equal([scope === wdf.WdfSynchronizationScopeQueue ? wdm.DISPATCH_LEVEL : wdm.PASSIVE_LEVEL]);
    }
  });

  it("device scope at passive execution level: a passive timer (AutomaticSerialization) waits while an EvtIoDeviceControl holds the device's lock, and runs at PASSIVE_LEVEL after it returns", async () => {
    const m = newMachine();
    const order: string[] = [];
    const kit = await loadWdfKit(m, {
      deviceAttributes: (a) => {
        a.SynchronizationScope = wdf.WdfSynchronizationScopeDevice;
        a.ExecutionLevel = wdf.WdfExecutionLevelPassive;
      },
      queue: (c) => {
        c.EvtIoDeviceControl = async function SlowIoctl(_q, Request) {
          order.push(`EvtIoDeviceControl starts at ${ms(m)} ms, IRQL ${wdm.KeGetCurrentIrql()}`);
          await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 20);
          order.push(`EvtIoDeviceControl returns at ${ms(m)} ms`);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
      setup: (device) => {
        const c = new wdf.WDF_TIMER_CONFIG();
        wdf.WDF_TIMER_CONFIG_INIT(c, function SerialTimer() {
          order.push(`EvtTimerFunc at ${ms(m)} ms, IRQL ${wdm.KeGetCurrentIrql()}`);
        });
        const timer = wdf.WdfTimerCreate(c, childOf(device)).Timer;
        wdf.WdfTimerStart(timer as wdf.WDFTIMER, wdf.WDF_REL_TIMEOUT_IN_MS(5));
      },
    });
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      await io.result((await io.ioctl(IOCTL(1), 0, 0)).ov);
      await io.close();
    });
    expect(order).to.deep.equal(["EvtIoDeviceControl starts at 0 ms, IRQL 0", "EvtIoDeviceControl returns at 20 ms", "EvtTimerFunc at 20 ms, IRQL 0"]);
  });

  it("AutomaticSerialization across execution levels is refused: a DISPATCH_LEVEL timer or a DPC under a passive-level device lock is STATUS_INVALID_DEVICE_REQUEST, a work item under a spin-lock scope too", async () => {
    const m = newMachine();
    const got: Record<string, number> = {};
    await loadWdfKit(m, {
      queue: completeAll,
      deviceAttributes: (a) => {
        a.SynchronizationScope = wdf.WdfSynchronizationScopeDevice;
        a.ExecutionLevel = wdf.WdfExecutionLevelPassive;
      },
      queueAttributes: (a) => {
        a.SynchronizationScope = wdf.WdfSynchronizationScopeQueue;
        a.ExecutionLevel = wdf.WdfExecutionLevelDispatch;
      },
      setup: (device, queue) => {
        const tc = new wdf.WDF_TIMER_CONFIG();
        wdf.WDF_TIMER_CONFIG_INIT(tc, function LevelTimer() {
          /* not run */
        });
        got.timer = wdf.WdfTimerCreate(
          tc,
          childOf(device, (a) => {
            a.ExecutionLevel = wdf.WdfExecutionLevelDispatch;
          }),
        ).status;
        const dc = new wdf.WDF_DPC_CONFIG();
        wdf.WDF_DPC_CONFIG_INIT(dc, function LevelDpc() {
          /* not run */
        });
        got.dpc = wdf.WdfDpcCreate(dc, childOf(device)).status;
        const wc = new wdf.WDF_WORKITEM_CONFIG();
        wdf.WDF_WORKITEM_CONFIG_INIT(wc, function LevelWorkItem() {
          /* not run */
        });
        got.workItem = wdf.WdfWorkItemCreate(wc, childOf(queue)).status;
        got.passiveTimer = wdf.WdfTimerCreate(tc, childOf(device)).status;
      },
    });
    expect(got).to.deep.equal({ timer: wdm.STATUS_INVALID_DEVICE_REQUEST, dpc: wdm.STATUS_INVALID_DEVICE_REQUEST, workItem: wdm.STATUS_INVALID_DEVICE_REQUEST, passiveTimer: wdm.STATUS_SUCCESS });
  });
});
