import { expect } from "chai";
import { KEVENT, KeDelayExecutionThread, KeSetEvent, KeWaitForSingleObject, KernelMode, NotificationEvent } from "../../kernel/api-ke.js";
import { Machine, type DecisionPoint } from "../../kernel/machine.js";
import { STATUS_SUCCESS } from "../../kernel/status.js";
import { CreateThread } from "../../win32/process.js";
import { CloseHandle, Sleep } from "../../win32/sync.js";
import { newMachine, runKernel } from "../helpers.js";

describe("kernel: scheduler and virtual time", () => {
  it("one emulated thread runs at a time, in creation order by default, each until it blocks", async () => {
    const m = newMachine();
    const order: string[] = [];
    const ev = new KEVENT(NotificationEvent, false);
    m.createSystemThread("A", async () => {
      order.push("A1");
      await KeWaitForSingleObject(ev, 0, KernelMode, false);
      order.push("A2");
    });
    m.createSystemThread("B", () => {
      order.push("B1");
      KeSetEvent(ev);
      order.push("B2");
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    // B's code between blocking points is atomic: A resumes only after B ends its slice.
    expect(order).to.deep.equal(["A1", "B1", "B2", "A2"]);
  });

  it("Sleep(0) gives the rest of the slice to a ready thread, and returns at once when none is ready", async () => {
    const m = newMachine();
    const order: string[] = [];
    m.createProcess("app.exe", async () => {
      order.push("main: alone");
      await Sleep(0);
      // No wait: only the calls' own cost (well under a millisecond) has passed.
      order.push("main: still alone, no time passed " + String(Math.floor(m.nowMs)));
      await CloseHandle(
        CreateThread(null, 0, () => {
          order.push("worker");
          return 0;
        }, null, 0, 0),
      );
      order.push("main: before Sleep(0)");
      await Sleep(0);
      order.push("main: after Sleep(0)");
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(order).to.deep.equal(["main: alone", "main: still alone, no time passed 0", "main: before Sleep(0)", "worker", "main: after Sleep(0)"]);
  });

  it("the virtual clock jumps to the next deadline when every thread is blocked", async () => {
    const m = newMachine();
    const seen: number[] = [];
    m.createProcess("app.exe", async () => {
      await Sleep(10 * 60 * 1000);
      seen.push(Math.floor(m.nowMs));
      await Sleep(5);
      seen.push(Math.floor(m.nowMs));
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(seen).to.deep.equal([600_000, 600_005]);
    expect(Math.floor(r.timeMs)).to.equal(600_005);
  });

  it("timers due at the same instant fire in the order they were set", async () => {
    const m = newMachine();
    const order: string[] = [];
    m.after(5, "first", () => order.push("first"));
    m.after(5, "second", () => order.push("second"));
    m.after(1, "earlier", () => order.push("earlier"));
    await runKernel(m, () => KeDelayExecutionThread(KernelMode, false, -10_000 * 10));
    expect(order).to.deep.equal(["earlier", "first", "second"]);
  });

  it("a run with threads blocked for good and no timer pending reports a deadlock naming each thread and its wait", async () => {
    const m = newMachine();
    const a = new KEVENT(NotificationEvent, false, "eventA");
    const b = new KEVENT(NotificationEvent, false, "eventB");
    m.createSystemThread("waiterA", () => KeWaitForSingleObject(a, 0, KernelMode, false));
    m.createSystemThread("waiterB", () => KeWaitForSingleObject(b, 0, KernelMode, false));
    const r = await m.run();
    expect(r.outcome).to.equal("deadlock");
    expect(r.deadlock).to.include("System:waiterA waits on eventA");
    expect(r.deadlock).to.include("System:waiterB waits on eventB");
    expect(r.blocked.map((x) => x.thread)).to.deep.equal(["System:waiterA", "System:waiterB"]);
  });

  it("background threads and periodic timers do not keep a run going once the foreground threads are done", async () => {
    const m = newMachine();
    const ev = new KEVENT(NotificationEvent, false);
    m.createSystemThread("driver-thread", () => KeWaitForSingleObject(ev, 0, KernelMode, false), { background: true });
    const r = await runKernel(m, () => KeDelayExecutionThread(KernelMode, false, -10_000 * 3));
    expect(r.result.outcome).to.equal("completed");
    expect(Math.floor(r.result.timeMs)).to.equal(3);
  });

  it("a strategy chooses which ready thread runs next, and every choice is recorded", async () => {
    const points: DecisionPoint[] = [];
    const m = new Machine({
      memoryBytes: 16 * 1024 * 1024,
      strategy: {
        choose(p) {
          points.push(p);
          return p.count - 1;
        },
      },
    });
    const order: string[] = [];
    for (const n of ["A", "B", "C"]) m.createSystemThread(n, () => order.push(n));
    await m.run();
    expect(order).to.deep.equal(["C", "B", "A"]);
    expect(m.decisions).to.deep.equal([
      { kind: "schedule", choice: 2, of: 3 },
      { kind: "schedule", choice: 1, of: 2 },
    ]);
    expect(points[0]?.labels()).to.deep.equal(["System:A", "System:B", "System:C"]);
  });

  it("a thread that awaits a promise the machine does not own ends the run with a clear host error", async () => {
    const m = newMachine();
    // A host timer far longer than the scheduler's check takes even on a loaded machine (it once
    // raced a 5 ms timer there), cleared once the run has ended.
    let timer: ReturnType<typeof setTimeout> | undefined;
    m.createSystemThread("bad", async () => {
      await new Promise((resolve) => (timer = setTimeout(resolve, 10_000)));
    });
    const r = await m.run();
    clearTimeout(timer);
    expect(r.outcome).to.equal("host-error");
    expect(r.hostStuck).to.include("System:bad awaited a promise the machine does not own");
  });

  it("two machines cannot run at once in one realm", async () => {
    const m1 = newMachine();
    const m2 = newMachine();
    let inner: unknown = null;
    m1.createSystemThread("t", async () => {
      try {
        await m2.run();
      } catch (e) {
        inner = e;
      }
    });
    await m1.run();
    expect(String(inner)).to.include("Another machine is running");
  });

  it("runs with the same decisions produce the same trace, event for event", async () => {
    const once = async () => {
      const m = newMachine();
      const { events, stop } = m.trace.record();
      const ev = new KEVENT(NotificationEvent, false);
      m.createSystemThread("A", () => KeWaitForSingleObject(ev, 0, KernelMode, false, -10_000 * 7));
      m.createSystemThread("B", async () => {
        await KeDelayExecutionThread(KernelMode, false, -10_000 * 3);
        KeSetEvent(ev);
      });
      await m.run();
      stop();
      return JSON.stringify(events);
    };
    const a = await once();
    const b = await once();
    expect(a.length).to.be.greaterThan(200);
    expect(a).to.equal(b);
  });

  it("the trace stream reports nobody listening until something subscribes", () => {
    const m = newMachine();
    expect(m.trace.on).to.equal(false);
    const sub = m.trace.events$.subscribe(() => undefined);
    expect(m.trace.on).to.equal(true);
    sub.unsubscribe();
    expect(m.trace.on).to.equal(false);
  });

  it("KeDelayExecutionThread returns STATUS_SUCCESS after its interval", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => KeDelayExecutionThread(KernelMode, false, -10_000 * 250));
    expect(r.value).to.equal(STATUS_SUCCESS);
    expect(Math.floor(m.nowMs)).to.equal(250);
  });
});
