/**
 * The public inspection functions a scenario's checks use (`irpsim`): each answers what a kernel
 * debugger would show at that instant, and none changes the machine. Written with public names
 * only, as a scenario author would.
 */
import { expect } from "chai";
import { cancelSpinLockOwner, connectedInterrupts, contiguousBuffers, liveIrps, Machine, pageFrameNumber, poolUsage } from "irpsim";
import {
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
  IoAcquireCancelSpinLock,
  IoAllocateIrp,
  IoFreeIrp,
  IoReleaseCancelSpinLock,
  MmAllocateContiguousMemory,
  MmFreeContiguousMemory,
  MmGetPhysicalAddress,
  NonPagedPool,
  PAGE_SIZE,
  PagedPool,
} from "irpsim/wdm";
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, VirtualAlloc, writeU32 } from "irpsim/win32";
import { ok, runKernel } from "../helpers.js";

function machine(): Machine {
  return new Machine({ memoryBytes: 64 * 1024 * 1024 });
}

describe("scenario: inspecting a machine from a scenario's checks", () => {
  it("pageFrameNumber gives the frame behind a system address (the one MmGetPhysicalAddress names) and -1 for an unmapped one", async () => {
    const m = machine();
    const va = ok(await runKernel(m, () => MmAllocateContiguousMemory(2 * PAGE_SIZE, 0xffffffff)));
    const pfn = pageFrameNumber(m, null, va + PAGE_SIZE + 12);
    const physical = ok(await runKernel(m, () => MmGetPhysicalAddress(va + PAGE_SIZE + 12)));
    expect(pfn * PAGE_SIZE + 12).to.equal(physical);
    ok(await runKernel(m, () => { MmFreeContiguousMemory(va); }));
    expect(pageFrameNumber(m, null, va)).to.equal(-1);
  });

  it("pageFrameNumber translates a user address through the given process only, and gives -1 with no process", async () => {
    const m = machine();
    let buffer = 0;
    let frame = -2;
    let seenWithout = -2;
    const app = m.createProcess("app.exe", () => {
      buffer = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      writeU32(buffer, 7);
      frame = pageFrameNumber(m, app, buffer);
      seenWithout = pageFrameNumber(m, null, buffer);
    });
    await m.run();
    expect(app.state).to.equal("exited");
    expect(frame).to.be.at.least(0);
    expect(seenWithout).to.equal(-1);
    // Once the process has exited its address space is gone: nothing maps the address.
    expect(pageFrameNumber(m, app, buffer)).to.equal(-1);
  });

  it("liveIrps lists the IRPs allocated and not yet freed, oldest first", async () => {
    const m = machine();
    const r = await runKernel(m, () => {
      const a = IoAllocateIrp(1, false);
      const b = IoAllocateIrp(2, false);
      if (!a || !b) throw new Error("IoAllocateIrp failed");
      const both = liveIrps(m);
      IoFreeIrp(a);
      const one = liveIrps(m);
      IoFreeIrp(b);
      return { both, one, labels: [a.label, b.label] };
    });
    const { both, one, labels } = ok(r);
    expect(both).to.deep.equal(labels);
    expect(one).to.deep.equal([labels[1]]);
    expect(liveIrps(m)).to.deep.equal([]);
  });

  it("poolUsage counts live blocks and bytes per pool and per tag, as !poolused does", async () => {
    const m = machine();
    const before = poolUsage(m);
    const r = await runKernel(m, () => {
      const a = ExAllocatePoolWithTag(NonPagedPool, 100, "Tst1");
      const b = ExAllocatePoolWithTag(NonPagedPool, 40, "Tst2");
      const c = ExAllocatePoolWithTag(PagedPool, 64, "Tst1");
      const during = { all: poolUsage(m), tst1: poolUsage(m, { tag: "Tst1" }), paged: poolUsage(m, { pool: "paged", tag: "Tst1" }) };
      ExFreePoolWithTag(a, "Tst1");
      const after = poolUsage(m, { tag: "Tst1" });
      ExFreePoolWithTag(b, "Tst2");
      ExFreePoolWithTag(c, "Tst1");
      return { during, after };
    });
    const { during, after } = ok(r);
    expect(during.all.blocks - before.blocks).to.equal(2);
    expect(during.all.bytes - before.bytes).to.equal(140);
    expect(during.tst1).to.deep.equal({ blocks: 1, bytes: 100 });
    expect(during.paged).to.deep.equal({ blocks: 1, bytes: 64 });
    expect(after).to.deep.equal({ blocks: 0, bytes: 0 });
    expect(poolUsage(m, { tag: "None" })).to.deep.equal({ blocks: 0, bytes: 0 });
    expect(poolUsage(m)).to.deep.equal(before);
  });

  it("cancelSpinLockOwner names the holder of the cancel spin lock, and is null once it is released", async () => {
    const m = machine();
    const r = await runKernel(m, () => {
      const irql = IoAcquireCancelSpinLock();
      const held = cancelSpinLockOwner(m);
      IoReleaseCancelSpinLock(irql);
      return held;
    });
    expect(ok(r)).to.be.a("string").and.include("System:test");
    expect(cancelSpinLockOwner(m)).to.equal(null);
  });

  it("contiguousBuffers lists what MmAllocateContiguousMemory handed out and was not freed", async () => {
    const m = machine();
    const va = ok(await runKernel(m, () => MmAllocateContiguousMemory(3 * PAGE_SIZE, 0xffffffff)));
    expect(contiguousBuffers(m)).to.deep.equal([{ address: va, size: 3 * PAGE_SIZE }]);
    ok(await runKernel(m, () => { MmFreeContiguousMemory(va); }));
    expect(contiguousBuffers(m)).to.deep.equal([]);
  });

  it("connectedInterrupts is 0 for a line nobody connected, on a machine that never used interrupts", () => {
    const m = machine();
    expect(connectedInterrupts(m, 5)).to.equal(0);
  });
});
