import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel queues (KQUEUE): what an I/O completion port is built on", () => {
  it("KeRemoveQueue takes entries first in, first out; KeInsertHeadQueue puts one in front; KeReadStateQueue counts them", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const q = new wdm.KQUEUE<string>();
      wdm.KeInitializeQueue(q, 0);
      wdm.KeInsertQueue(q, "a");
      wdm.KeInsertQueue(q, "b");
      const previous = wdm.KeInsertHeadQueue(q, "first");
      const count = wdm.KeReadStateQueue(q);
      const got: (string | null)[] = [];
      for (let i = 0; i < 3; i++) got.push((await wdm.KeRemoveQueue(q, wdm.KernelMode, 0)).Entry);
      return { previous, count, got, left: wdm.KeReadStateQueue(q) };
    });
    expect(ok(r)).to.deep.equal({ previous: 2, count: 3, got: ["first", "a", "b"], left: 0 });
  });

  it("KeRemoveQueue with a timeout returns STATUS_TIMEOUT when nothing arrives in time, on virtual time", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const q = new wdm.KQUEUE<number>();
      // The precise clock: KeQueryInterruptTime moves by whole clock ticks (15.625 ms).
      const t0 = wdm.KeQueryInterruptTimePrecise();
      const res = await wdm.KeRemoveQueue(q, wdm.KernelMode, -10_000 * 25);
      return { status: wdm.ntStatusName(res.status), entry: res.Entry, waitedMs: Math.floor((wdm.KeQueryInterruptTimePrecise() - t0) / 10_000) };
    });
    expect(ok(r)).to.deep.equal({ status: "STATUS_TIMEOUT", entry: null, waitedMs: 25 });
  });

  it("an entry inserted while a thread waits goes straight to the thread that waited last, and the queue's count does not rise", async () => {
    const m = newMachine();
    const q = new wdm.KQUEUE<string>(2);
    const got: string[] = [];
    for (const name of ["first", "second"]) {
      m.createSystemThread(name, async () => {
        const res = await wdm.KeRemoveQueue(q, wdm.KernelMode, null);
        got.push(`${name}:${res.Entry ?? "none"}`);
      });
    }
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const before = wdm.KeInsertQueue(q, "x");
      const state = wdm.KeReadStateQueue(q);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      wdm.KeInsertQueue(q, "y");
      return { before, state };
    });
    expect(ok(r)).to.deep.equal({ before: 0, state: 0 });
    expect(got).to.deep.equal(["second:x", "first:y"]);
  });

  it("KeRundownQueue returns the entries still queued and releases waiters with STATUS_ABANDONED_WAIT_0", async () => {
    const m = newMachine();
    const q = new wdm.KQUEUE<number>();
    let waiterSaw = "";
    m.createSystemThread("waiter", async () => {
      const res = await wdm.KeRemoveQueue(q, wdm.KernelMode, null);
      waiterSaw = wdm.ntStatusName(res.status);
      // A run-down queue refuses further waits at once.
      const again = await wdm.KeRemoveQueue(q, wdm.KernelMode, null);
      waiterSaw += ` then ${wdm.ntStatusName(again.status)}`;
    });
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const left = wdm.KeRundownQueue(q);
      return left;
    });
    expect(ok(r)).to.deep.equal([]);
    expect(waiterSaw).to.equal("STATUS_ABANDONED_WAIT_0 then STATUS_ABANDONED_WAIT_0");
    const q2 = new wdm.KQUEUE<number>();
    const r2 = await runKernel(m, () => {
      wdm.KeInsertQueue(q2, 1);
      wdm.KeInsertQueue(q2, 2);
      return wdm.KeRundownQueue(q2);
    });
    expect(ok(r2)).to.deep.equal([1, 2]);
  });

  it("a queue thread that waits on something else lets a waiter run (KiActivateWaiterQueue), within the concurrency limit", async () => {
    const m = newMachine();
    const q = new wdm.KQUEUE<string>(1);
    const order: string[] = [];
    const gate = new wdm.KEVENT(wdm.NotificationEvent, false);
    m.createSystemThread("worker-a", async () => {
      const first = await wdm.KeRemoveQueue(q, wdm.KernelMode, null);
      order.push(`a:${first.Entry ?? ""}`);
    });
    m.createSystemThread("worker-b", async () => {
      const first = await wdm.KeRemoveQueue(q, wdm.KernelMode, null);
      order.push(`b:${first.Entry ?? ""}`);
      // Blocks elsewhere: the queue's one running slot is free for a waiter.
      await wdm.KeWaitForSingleObject(gate, wdm.Executive, wdm.KernelMode, false, null);
      order.push("b resumes");
    });
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      wdm.KeInsertQueue(q, "1");
      wdm.KeInsertQueue(q, "2");
      const queuedWhileBRuns = wdm.KeReadStateQueue(q);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      wdm.KeSetEvent(gate, 0, false);
      return queuedWhileBRuns;
    });
    // b waited last and gets "1"; "2" waits (one thread may run) until b blocks on the gate.
    expect(ok(r)).to.equal(1);
    expect(order).to.deep.equal(["b:1", "a:2", "b resumes"]);
  });
});
