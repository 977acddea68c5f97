import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel: DPC control", () => {
  it("KeInsertQueueDpc returns TRUE when it queues the DPC and FALSE when the DPC is already queued", async () => {
    const m = newMachine();
    const runs: unknown[] = [];
    const r = await runKernel(m, () => {
      const dpc = new wdm.KDPC<string>();
      wdm.KeInitializeDpc(dpc, (_d, ctx, a1) => runs.push([ctx, a1]), "ctx");
      const old = wdm.KeRaiseIrqlToDpcLevel();
      const first = wdm.KeInsertQueueDpc(dpc, 1, null);
      const second = wdm.KeInsertQueueDpc(dpc, 2, null);
      wdm.KeLowerIrql(old);
      const third = wdm.KeInsertQueueDpc(dpc, 3, null);
      return [first, second, third];
    });
    expect(ok(r)).to.deep.equal([true, false, true]);
    // Queued twice while waiting, it ran once, with the arguments of the insertion that queued it.
    expect(runs).to.deep.equal([["ctx", 1], ["ctx", 3]]);
  });

  it("KeRemoveQueueDpc takes a queued DPC off the queue so it never runs, and returns FALSE when it was not queued", async () => {
    const m = newMachine();
    let ran = 0;
    const r = await runKernel(m, () => {
      const dpc = new wdm.KDPC();
      wdm.KeInitializeDpc(dpc, () => {
        ran++;
      }, null);
      const old = wdm.KeRaiseIrqlToDpcLevel();
      wdm.KeInsertQueueDpc(dpc);
      const removed = wdm.KeRemoveQueueDpc(dpc);
      wdm.KeLowerIrql(old);
      return [removed, wdm.KeRemoveQueueDpc(dpc)];
    });
    expect(ok(r)).to.deep.equal([true, false]);
    expect(ran).to.equal(0);
  });

  it("a HighImportance DPC is queued at the head and runs before DPCs queued earlier", async () => {
    const m = newMachine();
    const order: string[] = [];
    await runKernel(m, () => {
      const make = (name: string): wdm.KDPC => {
        const d = new wdm.KDPC();
        wdm.KeInitializeDpc(d, () => order.push(name), null);
        return d;
      };
      const low = make("low");
      const medium = make("medium");
      const high = make("high");
      wdm.KeSetImportanceDpc(low, wdm.LowImportance);
      wdm.KeSetImportanceDpc(high, wdm.HighImportance);
      wdm.KeSetTargetProcessorDpc(high, 0);
      const old = wdm.KeRaiseIrqlToDpcLevel();
      wdm.KeInsertQueueDpc(low);
      wdm.KeInsertQueueDpc(medium);
      wdm.KeInsertQueueDpc(high);
      wdm.KeLowerIrql(old);
    });
    expect(order).to.deep.equal(["high", "low", "medium"]);
  });

  it("KeFlushQueuedDpcs returns with no DPC left queued, and at DISPATCH_LEVEL it is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      wdm.KeFlushQueuedDpcs();
      const left = m.interrupts.queuedDpcs.length;
      wdm.KeRaiseIrqlToDpcLevel();
      try {
        wdm.KeFlushQueuedDpcs();
      } catch {
        // the bug check
      }
      return left;
    });
    expect(r.value).to.equal(0);
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("the machine has one processor: KeGetCurrentProcessorNumber is 0", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => [wdm.KeGetCurrentProcessorNumber(), wdm.KeQueryActiveProcessorCount()]);
    expect(ok(r)).to.deep.equal([0, 1]);
  });

  it("KeInsertQueueDpc on a NULL DPC faults as the read of address 0 does", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => wdm.KeInsertQueueDpc(null as unknown as wdm.KDPC));
    expect((r.error as wdm.NtStatusError).status).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });
});

describe("kernel: KeWaitForMultipleObjects and dispatcher headers", () => {
  it("WaitAny returns STATUS_WAIT_0 plus the index of the signalled object; WaitAll waits for every object", async () => {
    const m = newMachine();
    const a = new wdm.KEVENT(wdm.NotificationEvent, false);
    const b = new wdm.KEVENT(wdm.NotificationEvent, false);
    const r = await runKernel(m, async () => {
      m.after(1, "set b", () => wdm.KeSetEvent(b));
      const any = await wdm.KeWaitForMultipleObjects([a, b], wdm.WaitAny, wdm.Executive, wdm.KernelMode, false);
      m.after(1, "set a", () => wdm.KeSetEvent(a));
      const all = await wdm.KeWaitForMultipleObjects([a, b], wdm.WaitAll, wdm.Executive, wdm.KernelMode, false);
      return [any, all];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_WAIT_1, wdm.STATUS_WAIT_0]);
  });

  it("more than THREAD_WAIT_OBJECTS objects without a KWAIT_BLOCK array is bug check MAXIMUM_WAIT_OBJECTS_EXCEEDED", async () => {
    const m = newMachine();
    const events = [0, 1, 2, 3].map(() => new wdm.KEVENT(wdm.NotificationEvent, true));
    const r = await runKernel(m, () => wdm.KeWaitForMultipleObjects(events, wdm.WaitAny, wdm.Executive, wdm.KernelMode, false));
    expect(r.result.bugCheck?.code).to.equal(0x0c);
    expect(r.result.bugCheck?.name).to.equal("MAXIMUM_WAIT_OBJECTS_EXCEEDED");
  });

  it("with a KWAIT_BLOCK array of one block per object the wait proceeds and the blocks describe it", async () => {
    const m = newMachine();
    const events = [0, 1, 2, 3].map((i) => new wdm.KEVENT(wdm.NotificationEvent, i === 3));
    const blocks = events.map(() => new wdm.KWAIT_BLOCK());
    const r = await runKernel(m, () => wdm.KeWaitForMultipleObjects(events, wdm.WaitAny, wdm.Executive, wdm.KernelMode, false, null, blocks));
    expect(ok(r)).to.equal(wdm.STATUS_WAIT_0 + 3);
    expect(blocks.map((b) => [b.Object === events[b.WaitKey], b.WaitType])).to.deep.equal([0, 1, 2, 3].map(() => [true, wdm.WaitAny]));
  });

  it("more than MAXIMUM_WAIT_OBJECTS objects is MAXIMUM_WAIT_OBJECTS_EXCEEDED even with wait blocks", async () => {
    const m = newMachine();
    const events = Array.from({ length: wdm.MAXIMUM_WAIT_OBJECTS + 1 }, () => new wdm.KEVENT(wdm.NotificationEvent, true));
    const blocks = events.map(() => new wdm.KWAIT_BLOCK());
    const r = await runKernel(m, () => wdm.KeWaitForMultipleObjects(events, wdm.WaitAll, wdm.Executive, wdm.KernelMode, false, null, blocks));
    expect(r.result.bugCheck?.name).to.equal("MAXIMUM_WAIT_OBJECTS_EXCEEDED");
  });

  it("every dispatcher object carries a DISPATCHER_HEADER: Header.Type names its kind and Header.SignalState its state", async () => {
    const m = newMachine();
    const ev = new wdm.KEVENT(wdm.SynchronizationEvent, true);
    const timer = new wdm.KTIMER();
    const sem = new wdm.KSEMAPHORE(2, 5);
    const r = await runKernel(m, () => {
      const t = wdm.KeGetCurrentThread();
      return [ev.Header.Type, ev.Header.SignalState, timer.Header.Type, sem.Header.SignalState, t.Header.Type, t.Header.SignalState];
    });
    expect(ok(r)).to.deep.equal([wdm.KOBJECTS.SynchronizationEvent, 1, wdm.KOBJECTS.NotificationTimer, 2, wdm.KOBJECTS.Thread, 0]);
  });
});
