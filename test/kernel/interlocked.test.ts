import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel: interlocked operations", () => {
  it("InterlockedIncrement and InterlockedDecrement return the new value, with LONG wrap-around", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const count = new wdm.VOLATILE(0);
      const a = wdm.InterlockedIncrement(count);
      const b = wdm.InterlockedIncrement(count);
      const c = wdm.InterlockedDecrement(count);
      const top = new wdm.VOLATILE(0x7fffffff);
      const wrapped = wdm.InterlockedIncrement(top);
      return [a, b, c, count.value, wrapped];
    });
    expect(ok(r)).to.deep.equal([1, 2, 1, 1, -0x80000000]);
  });

  it("InterlockedCompareExchange stores only when the variable equals the comparand, and returns the old value either way", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const v = new wdm.VOLATILE(5);
      const miss = wdm.InterlockedCompareExchange(v, 9, 4);
      const afterMiss = v.value;
      const hit = wdm.InterlockedCompareExchange(v, 9, 5);
      return [miss, afterMiss, hit, v.value];
    });
    expect(ok(r)).to.deep.equal([5, 5, 5, 9]);
  });

  it("InterlockedExchange, ExchangeAdd, Or and And return the value before the operation; InterlockedAdd returns the value after", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const v = new wdm.VOLATILE(0b0101);
      const out = [wdm.InterlockedOr(v, 0b1000), wdm.InterlockedAnd(v, 0b1100), wdm.InterlockedExchangeAdd(v, 3), wdm.InterlockedExchange(v, 100), wdm.InterlockedAdd(v, 5)];
      return [...out, v.value];
    });
    expect(ok(r)).to.deep.equal([0b0101, 0b1101, 0b1100, 15, 105, 105]);
  });

  it("InterlockedExchangePointer and InterlockedCompareExchangePointer compare pointers by identity", async () => {
    const m = newMachine();
    const a = { name: "a" };
    const b = { name: "b" };
    const r = await runKernel(m, () => {
      const p = new wdm.VOLATILE<{ name: string } | null>(null);
      const first = wdm.InterlockedCompareExchangePointer(p, a, null);
      const second = wdm.InterlockedCompareExchangePointer(p, b, { name: "a" });
      const old = wdm.InterlockedExchangePointer(p, null);
      return [first, second, old, p.value];
    });
    expect(ok(r)).to.deep.equal([null, a, a, null]);
  });

  it("a variable in emulated memory is updated through its virtual address", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const va = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 16, "Ilck");
      wdm.writeU32(va + 4, 41);
      const n = wdm.InterlockedIncrement(va + 4);
      const old = wdm.InterlockedCompareExchangePointer(va + 8, 0x80001000, 0);
      const stored = [wdm.readU32(va + 4), wdm.readU32(va + 8)];
      wdm.ExFreePoolWithTag(va, "Ilck");
      return [n, old, ...stored];
    });
    expect(ok(r)).to.deep.equal([42, 0, 42, 0x80001000]);
  });

  it("an interlocked operation on paged pool at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL, as any touch of pageable memory there", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const va = wdm.ExAllocatePoolWithTag(wdm.PagedPool, 16, "Ilck");
      wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
      wdm.InterlockedIncrement(va);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("a NULL variable faults as the CPU's access to address 0 does: an access violation, unhandled a bug check", async () => {
    const m = newMachine();
    let caught: unknown = null;
    const r = await runKernel(m, () => {
      try {
        wdm.InterlockedIncrement(null as unknown as wdm.VOLATILE<number>);
      } catch (e) {
        caught = e;
      }
      wdm.InterlockedIncrement(0);
    });
    expect(caught).to.be.instanceOf(wdm.NtStatusError);
    expect((caught as wdm.NtStatusError).status).to.equal(wdm.STATUS_ACCESS_VIOLATION);
    expect((r.error as wdm.NtStatusError).status).to.equal(wdm.STATUS_ACCESS_VIOLATION);
    // In a system thread that does not catch it, the same exception stops the machine.
    m.createSystemThread("unhandled", () => wdm.InterlockedIncrement(0));
    const again = await m.run();
    expect(again.bugCheck?.name).to.equal("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED");
  });

  it("each interlocked operation is a point where another processor may act (an injection point)", async () => {
    const m = newMachine();
    const points: string[] = [];
    const v = new wdm.VOLATILE(0);
    m.injector = (point) => {
      points.push(point);
      // Another processor bumps the counter between the two operations.
      if (point === "InterlockedDecrement") v.value += 10;
    };
    const r = await runKernel(m, () => [wdm.InterlockedIncrement(v), wdm.InterlockedDecrement(v)]);
    expect(ok(r)).to.deep.equal([1, 10]);
    expect(points).to.include.members(["InterlockedIncrement", "InterlockedDecrement"]);
  });
});

describe("kernel: interlocked lists", () => {
  class ITEM {
    readonly Link = new wdm.LIST_ENTRY<ITEM>(this);
    readonly SLink = new wdm.SINGLE_LIST_ENTRY<ITEM>(this);
    constructor(readonly n: number) {}
  }

  it("ExInterlockedInsertHeadList and InsertTailList return the previous first (last) entry, or NULL for an empty list", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.LIST_ENTRY<ITEM>();
      const lock = new wdm.KSPIN_LOCK();
      wdm.KeInitializeSpinLock(lock);
      const one = new ITEM(1);
      const two = new ITEM(2);
      const three = new ITEM(3);
      const a = wdm.ExInterlockedInsertTailList(head, one.Link, lock);
      const b = wdm.ExInterlockedInsertTailList(head, two.Link, lock);
      const c = wdm.ExInterlockedInsertHeadList(head, three.Link, lock);
      const order: number[] = [];
      for (let e = wdm.ExInterlockedRemoveHeadList(head, lock); e; e = wdm.ExInterlockedRemoveHeadList(head, lock)) order.push(wdm.CONTAINING_RECORD(e).n);
      return { a, b: b && wdm.CONTAINING_RECORD(b).n, c: c && wdm.CONTAINING_RECORD(c).n, order, irql: wdm.KeGetCurrentIrql(), held: lock.owner };
    });
    expect(ok(r)).to.deep.equal({ a: null, b: 1, c: 1, order: [3, 1, 2], irql: wdm.PASSIVE_LEVEL, held: null });
  });

  it("ExInterlocked list routines may be called above DISPATCH_LEVEL (an ISR) and leave the IRQL as they found it", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.SINGLE_LIST_ENTRY<ITEM>();
      const lock = new wdm.KSPIN_LOCK();
      const old = wdm.KeRaiseIrql(5);
      const prev = wdm.ExInterlockedPushEntryList(head, new ITEM(7).SLink, lock);
      const popped = wdm.ExInterlockedPopEntryList(head, lock);
      const irql = wdm.KeGetCurrentIrql();
      wdm.KeLowerIrql(old);
      return [prev, popped && wdm.CONTAINING_RECORD(popped).n, irql, wdm.ExInterlockedPopEntryList(head, lock)];
    });
    expect(ok(r)).to.deep.equal([null, 7, 5, null]);
  });

  it("an ExInterlocked list call with the list's spin lock already held by the caller spins for ever (reported as a deadlock)", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.LIST_ENTRY<ITEM>();
      const lock = new wdm.KSPIN_LOCK("list lock");
      const old = wdm.KeAcquireSpinLock(lock);
      wdm.ExInterlockedInsertTailList(head, new ITEM(1).Link, lock);
      wdm.KeReleaseSpinLock(lock, old);
    });
    expect(r.result.outcome).to.equal("deadlock");
    expect(r.result.deadlock).to.include("list lock");
  });

  it("PushEntryList and PopEntryList keep a LIFO chain; PopEntryList returns NULL when empty", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.SINGLE_LIST_ENTRY<ITEM>();
      wdm.PushEntryList(head, new ITEM(1).SLink);
      wdm.PushEntryList(head, new ITEM(2).SLink);
      const out: (number | null)[] = [];
      for (let i = 0; i < 3; i++) {
        const e = wdm.PopEntryList(head);
        out.push(e ? wdm.CONTAINING_RECORD(e).n : null);
      }
      return out;
    });
    expect(ok(r)).to.deep.equal([2, 1, null]);
  });

  it("an SLIST_HEADER counts its depth; InterlockedPushEntrySList returns the previous first entry and FlushSList returns the whole chain", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.SLIST_HEADER<ITEM>();
      wdm.InitializeSListHead(head);
      const first = wdm.InterlockedPushEntrySList(head, new ITEM(1).SLink);
      const second = wdm.InterlockedPushEntrySList(head, new ITEM(2).SLink);
      wdm.InterlockedPushEntrySList(head, new ITEM(3).SLink);
      const depth = wdm.QueryDepthSList(head);
      const popped = wdm.InterlockedPopEntrySList(head);
      const chain: number[] = [];
      for (let e = wdm.InterlockedFlushSList(head); e; e = e.Next) chain.push(wdm.CONTAINING_RECORD(e).n);
      return { first, second: second && wdm.CONTAINING_RECORD(second).n, depth, popped: popped && wdm.CONTAINING_RECORD(popped).n, chain, after: wdm.QueryDepthSList(head), empty: wdm.InterlockedPopEntrySList(head) };
    });
    expect(ok(r)).to.deep.equal({ first: null, second: 1, depth: 3, popped: 3, chain: [2, 1], after: 0, empty: null });
  });
});
