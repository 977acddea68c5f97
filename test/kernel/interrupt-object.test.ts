import { expect } from "chai";
import { ExAllocatePoolWithTag, PagedPool } from "../../kernel/api-ex.js";
import { Executive, KDPC, KTIMER, KeGetCurrentIrql, KeInitializeDpc, KeInitializeTimer, KeInsertQueueDpc, KeLowerIrql, KeRaiseIrql, KeSetTimerEx, KeWaitForSingleObject, KernelMode } from "../../kernel/api-ke.js";
import { writeU32 } from "../../kernel/api-rtl.js";
import { KeSynchronizeExecution, Latched, interruptController, type InterruptSource, type KINTERRUPT } from "../../kernel/interrupt-object.js";
import { DISPATCH_LEVEL, HIGH_LEVEL, PASSIVE_LEVEL, UserMode } from "../../kernel/irql.js";
import type { Machine } from "../../kernel/machine.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../../kernel/status.js";
import { IoConnectInterrupt, IoDisconnectInterrupt } from "../../io-manager/interrupt.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";

const VECTOR = 0x35;
const DIRQL = 12;

/** A device on VECTOR that the test asserts by hand, recording the line's state. */
class TestSource implements InterruptSource {
  readonly name = "test device";
  readonly states: boolean[] = [];
  lineEnabled(enabled: boolean): void {
    this.states.push(enabled);
  }
}

function connect<C>(isr: (k: KINTERRUPT<C>, c: C) => boolean, context: C, options: { vector?: number; irql?: number; sync?: number; share?: boolean; mask?: number } = {}) {
  return IoConnectInterrupt(isr, context, null, options.vector ?? VECTOR, options.irql ?? DIRQL, options.sync ?? options.irql ?? DIRQL, Latched, options.share ?? false, options.mask ?? 1, false);
}

/** Asserts VECTOR on a timer, the way a device does when virtual time reaches its deadline. */
function assertLater(m: Machine, ms: number): void {
  m.timers.add(m.now + ms * 10_000, "test interrupt", () => {
    interruptController(m).assert(VECTOR, "test device");
  });
}

describe("kernel: interrupt objects, device interrupts and KeSynchronizeExecution", () => {
  it("an interrupt runs the ISR at its device IRQL holding its spin lock, in whatever context is current; the DPC it queues runs when the IRQL drops", async () => {
    const m = newMachine();
    const seen: { irql: number; locked: boolean; process: string; at: string }[] = [];
    const dpcRuns: number[] = [];
    const r = await runKernel(m, async () => {
      const dpc = new KDPC<null>();
      KeInitializeDpc(dpc, () => dpcRuns.push(KeGetCurrentIrql()), null);
      const { status, InterruptObject } = connect((k) => {
        const t = m.currentThread();
        seen.push({ irql: KeGetCurrentIrql(), locked: k.ActualLock.owner === t, process: t.currentProcess.name, at: t.name });
        KeInsertQueueDpc(dpc);
        return true;
      }, null);
      expect(status).to.equal(STATUS_SUCCESS);
      // Now, on this thread: the ISR interrupts it at once.
      interruptController(m).assert(VECTOR, "test device");
      // Later, when no thread runs: the idle context takes it.
      assertLater(m, 5);
      const timer = new KTIMER();
      KeInitializeTimer(timer);
      KeSetTimerEx(timer, -10 * 10_000, 0, null);
      await KeWaitForSingleObject(timer, Executive, KernelMode, false, null);
      if (InterruptObject) IoDisconnectInterrupt(InterruptObject);
    });
    ok(r);
    expect(seen).to.deep.equal([
      { irql: DIRQL, locked: true, process: "System", at: "test" },
      { irql: DIRQL, locked: true, process: "System", at: "Idle" },
    ]);
    expect(dpcRuns).to.deep.equal([DISPATCH_LEVEL, DISPATCH_LEVEL]);
  });

  it("an interrupt that arrives while the IRQL masks it stays pending and is delivered when the IRQL drops, before the DPC queue runs", async () => {
    const m = newMachine();
    const order: string[] = [];
    const r = await runKernel(m, () => {
      const dpc = new KDPC<null>();
      KeInitializeDpc(dpc, () => order.push("DPC"), null);
      const { InterruptObject } = connect(() => {
        order.push(`ISR at ${KeGetCurrentIrql()}`);
        return true;
      }, null);
      const old = KeRaiseIrql(HIGH_LEVEL);
      KeInsertQueueDpc(dpc);
      interruptController(m).assert(VECTOR, "test device");
      interruptController(m).assert(VECTOR, "test device");
      order.push(`pending ${interruptController(m).pendingCount}`);
      KeLowerIrql(old);
      if (InterruptObject) IoDisconnectInterrupt(InterruptObject);
    });
    ok(r);
    // A latched interrupt asserted twice while masked is one pending interrupt.
    expect(order).to.deep.equal(["pending 1", `ISR at ${DIRQL}`, "DPC"]);
  });

  it("KeSynchronizeExecution runs its routine at SynchronizeIrql holding the interrupt's lock, holds the ISR off meanwhile, and returns the routine's result", async () => {
    const m = newMachine();
    const order: string[] = [];
    const r = await runKernel(m, () => {
      const { InterruptObject } = connect(() => {
        order.push("ISR");
        return true;
      }, null, { irql: DIRQL, sync: DIRQL + 2 });
      if (!InterruptObject) throw new Error("no interrupt object");
      const result = KeSynchronizeExecution(InterruptObject, (ctx: { n: number }) => {
        order.push(`sync at ${KeGetCurrentIrql()}, lock held ${InterruptObject.ActualLock.owner === m.currentThread()}`);
        interruptController(m).assert(VECTOR, "test device");
        order.push("still in sync");
        return ctx.n === 3;
      }, { n: 3 });
      order.push(`returned ${result} at ${KeGetCurrentIrql()}`);
      IoDisconnectInterrupt(InterruptObject);
    });
    ok(r);
    expect(order).to.deep.equal([`sync at ${DIRQL + 2}, lock held true`, "still in sync", "ISR", `returned true at ${PASSIVE_LEVEL}`]);
  });

  it("KeSynchronizeExecution above the interrupt's SynchronizeIrql is IRQL_NOT_GREATER_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const { InterruptObject } = connect(() => true, null);
      if (!InterruptObject) throw new Error("no interrupt object");
      KeRaiseIrql(HIGH_LEVEL);
      KeSynchronizeExecution(InterruptObject, () => true, null);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_GREATER_OR_EQUAL");
  });

  it("IoConnectInterrupt refuses a processor mask without processor 0, non-device IRQLs, a SynchronizeIrql below the Irql, and a vector it cannot share", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const isr = () => true;
      const first = connect(isr, null, { share: false });
      const results = [
        connect(isr, null, { mask: 0 }).status,
        connect(isr, null, { vector: 0x40, irql: DISPATCH_LEVEL }).status,
        connect(isr, null, { vector: 0x40, irql: 10, sync: 9 }).status,
        connect(isr, null, { share: true }).status,
      ];
      if (first.InterruptObject) IoDisconnectInterrupt(first.InterruptObject);
      return results;
    });
    expect(ok(r)).to.deep.equal([STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER]);
  });

  it("on a shared vector the ISRs run in connection order until one claims the interrupt", async () => {
    const m = newMachine();
    const calls: string[] = [];
    const r = await runKernel(m, () => {
      const a = connect(() => (calls.push("a"), false), null, { share: true });
      const b = connect(() => (calls.push("b"), true), null, { share: true });
      const c = connect(() => (calls.push("c"), true), null, { share: true });
      interruptController(m).assert(VECTOR, "test device");
      for (const x of [a, b, c]) if (x.InterruptObject) IoDisconnectInterrupt(x.InterruptObject);
      return [a.status, b.status, c.status];
    });
    expect(ok(r)).to.deep.equal([STATUS_SUCCESS, STATUS_SUCCESS, STATUS_SUCCESS]);
    expect(calls).to.deep.equal(["a", "b"]);
  });

  it("a device's line is unmasked when the first ISR connects and masked when the last disconnects; an interrupt on a masked line reaches nobody", async () => {
    const m = newMachine();
    const source = new TestSource();
    interruptController(m).attachSource(VECTOR, source);
    const r = await runKernel(m, () => {
      const a = connect(() => true, null, { share: true });
      const b = connect(() => true, null, { share: true });
      if (a.InterruptObject) IoDisconnectInterrupt(a.InterruptObject);
      if (b.InterruptObject) IoDisconnectInterrupt(b.InterruptObject);
      interruptController(m).assert(VECTOR, "test device");
    });
    ok(r);
    expect(source.states).to.deep.equal([false, true, false]);
    expect(interruptController(m).unclaimed).to.equal(1);
  });

  it("an interrupt that finds app code running enters kernel mode for the ISR and returns to user mode after it", async () => {
    const m = newMachine();
    const modes: number[] = [];
    let after = -1;
    const dpc = new KDPC<null>();
    KeInitializeDpc(dpc, () => modes.push(m.currentThread().mode), null);
    const r = await runKernel(m, () => {
      connect(() => {
        modes.push(m.currentThread().mode);
        KeInsertQueueDpc(dpc);
        return true;
      }, null);
    });
    ok(r);
    const app = await runApp(m, () => {
      // The app thread is current, in user mode, when its device interrupts.
      interruptController(m).assert(VECTOR, "test device");
      after = m.currentThread().mode;
    });
    ok(app);
    expect(modes).to.deep.equal([KernelMode, KernelMode]);
    expect(after).to.equal(UserMode);
  });

  it("an ISR that touches pageable memory at device IRQL is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const paged = ExAllocatePoolWithTag(PagedPool, 64, "Test");
      connect(function TouchingIsr() {
        writeU32(paged, 1);
        return true;
      }, null);
      interruptController(m).assert(VECTOR, "test device");
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
    expect(r.result.bugCheck?.parameters[1]).to.equal(DIRQL);
    expect(r.result.bugCheck?.thread).to.include("ISR TouchingIsr");
  });

  it("an ISR that returns at another IRQL is IRQL_UNEXPECTED_VALUE, and an async one is a bug check: nothing at device IRQL may wait", async () => {
    const m1 = newMachine();
    const r1 = await runKernel(m1, () => {
      connect(() => {
        KeLowerIrql(DISPATCH_LEVEL);
        return true;
      }, null);
      interruptController(m1).assert(VECTOR, "test device");
    });
    expect(r1.result.bugCheck?.name).to.equal("IRQL_UNEXPECTED_VALUE");
    const m2 = newMachine();
    const r2 = await runKernel(m2, () => {
      const isr = (async () => Promise.resolve(true)) as unknown as () => boolean;
      connect(isr, null);
      interruptController(m2).assert(VECTOR, "test device");
    });
    expect(r2.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
    expect(r2.result.bugCheck?.detail).to.include("must not wait");
  });
});
