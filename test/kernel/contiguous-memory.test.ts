import { expect } from "chai";
import { KeLowerIrql, KeRaiseIrql } from "../../kernel/api-ke.js";
import { MmAllocateContiguousMemory, MmAllocateContiguousMemorySpecifyCache, MmFreeContiguousMemory, MmFreeContiguousMemorySpecifyCache, MmGetPhysicalAddress, contiguousAllocations } from "../../kernel/api-mm.js";
import { readU32, writeU32 } from "../../kernel/api-rtl.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../kernel/irql.js";
import { MM_SYSTEM_RANGE_START } from "../../kernel/memory-constants.js";
import { PAGE_SIZE, PhysicalMemory } from "../../kernel/physical-memory.js";
import { PTE_OWNED, PTE_PAGEABLE } from "../../kernel/pte.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel: physically contiguous memory (MmAllocateContiguousMemory and friends)", () => {
  it("MmAllocateContiguousMemory returns a nonpaged system address over consecutive frames, and MmGetPhysicalAddress names them", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const va = MmAllocateContiguousMemory(5 * PAGE_SIZE + 100, 0xffffffff);
      writeU32(va + 5 * PAGE_SIZE + 96, 0x1234abcd);
      return { va, phys: [0, 1, 2, 3, 4, 5].map((i) => MmGetPhysicalAddress(va + i * PAGE_SIZE + 8)), back: readU32(va + 5 * PAGE_SIZE + 96) };
    });
    const { va, phys, back } = ok(r);
    expect(va).to.be.at.least(MM_SYSTEM_RANGE_START);
    expect(back).to.equal(0x1234abcd);
    const first = (phys[0] ?? 0) - 8;
    expect(phys).to.deep.equal([0, 1, 2, 3, 4, 5].map((i) => first + i * PAGE_SIZE + 8));
    for (let i = 0; i < 6; i++) {
      const pte = m.system.table.get((va >>> 12) + i);
      expect(pte & PTE_OWNED, "owned by the allocation").to.not.equal(0);
      expect(pte & PTE_PAGEABLE, "not pageable").to.equal(0);
    }
    expect(contiguousAllocations(m).get(va)?.pages).to.equal(6);
  });

  it("MmFreeContiguousMemory unmaps the block and returns its frames", async () => {
    const m = newMachine();
    const used = m.physical.usedFrames;
    const r = await runKernel(m, () => {
      const va = MmAllocateContiguousMemorySpecifyCache(3 * PAGE_SIZE, 0, 0xffffffff, 0, 0);
      const during = m.physical.usedFrames;
      MmFreeContiguousMemory(va);
      return { va, during };
    });
    const { va, during } = ok(r);
    expect(during - used).to.equal(3);
    expect(m.physical.usedFrames).to.equal(used);
    expect(m.system.table.get(va >>> 12)).to.equal(0);
    expect(contiguousAllocations(m).size).to.equal(0);
  });

  it("the acceptable physical range and the boundary are honoured, and NULL comes back when no run fits", async () => {
    const m = newMachine({ memoryBytes: 8 * 1024 * 1024 });
    const r = await runKernel(m, () => {
      // Below 16 MB on an 8 MB machine is everything; below 64 KB is 16 frames, and a 17-page run cannot fit.
      const low = MmAllocateContiguousMemorySpecifyCache(4 * PAGE_SIZE, 0, 0xffff, 0, 1);
      const tooBig = MmAllocateContiguousMemorySpecifyCache(17 * PAGE_SIZE, 0, 0xffff, 0, 1);
      // Above 1 MB, not crossing a 32 KB (8-page) boundary.
      const high = MmAllocateContiguousMemorySpecifyCache(6 * PAGE_SIZE, 0x100000, 0xffffffff, 0x8000, 1);
      const results = {
        low: low === 0 ? -1 : MmGetPhysicalAddress(low),
        tooBig,
        high: high === 0 ? -1 : MmGetPhysicalAddress(high),
        zero: MmAllocateContiguousMemory(0, 0xffffffff),
        unalignedBoundary: MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, 0, 0xffffffff, 100, 1),
        inverted: MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, 0x200000, 0x100000, 0, 1),
        huge: MmAllocateContiguousMemory(16 * 1024 * 1024, 0xffffffff),
      };
      if (low) MmFreeContiguousMemory(low);
      if (high) MmFreeContiguousMemorySpecifyCache(high, 6 * PAGE_SIZE, 1);
      return results;
    });
    const x = ok(r);
    expect(x.low).to.be.within(0, 0xffff - 4 * PAGE_SIZE + 1);
    expect(x.tooBig).to.equal(0);
    expect(x.high).to.be.at.least(0x100000);
    expect(Math.floor(x.high / 0x8000)).to.equal(Math.floor((x.high + 6 * PAGE_SIZE - 1) / 0x8000));
    expect([x.zero, x.unalignedBoundary, x.inverted, x.huge]).to.deep.equal([0, 0, 0, 0]);
  });

  it("freeing an address that is not the base of a contiguous block (twice, or inside one) is BAD_POOL_CALLER 0x60 with the address", async () => {
    for (const how of ["twice", "inside"] as const) {
      const m = newMachine();
      let va = 0;
      const r = await runKernel(m, () => {
        va = MmAllocateContiguousMemory(2 * PAGE_SIZE, 0xffffffff);
        if (how === "twice") {
          MmFreeContiguousMemory(va);
          MmFreeContiguousMemory(va);
        } else {
          MmFreeContiguousMemory(va + PAGE_SIZE);
        }
      });
      const bc = r.result.bugCheck;
      expect(bc?.name, how).to.equal("BAD_POOL_CALLER");
      expect(bc?.parameters.slice(0, 2), how).to.deep.equal([0x60, how === "twice" ? va : va + PAGE_SIZE]);
    }
  });

  it("allocating or freeing contiguous memory above DISPATCH_LEVEL is IRQL_NOT_GREATER_OR_EQUAL; at DISPATCH_LEVEL it works", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const old = KeRaiseIrql(DISPATCH_LEVEL);
      const va = MmAllocateContiguousMemory(PAGE_SIZE, 0xffffffff);
      MmFreeContiguousMemory(va);
      KeLowerIrql(old);
      KeRaiseIrql(DISPATCH_LEVEL + 5);
      return MmAllocateContiguousMemory(PAGE_SIZE, 0xffffffff);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_GREATER_OR_EQUAL");
    expect(r.result.bugCheck?.parameters.slice(0, 2)).to.deep.equal([DISPATCH_LEVEL + 5, DISPATCH_LEVEL]);
    expect(PASSIVE_LEVEL).to.equal(0);
  });

  it("MmGetPhysicalAddress of an address with nothing behind it is 0", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => [MmGetPhysicalAddress(0xb0000000), MmGetPhysicalAddress(0x00500000)]);
    expect(ok(r)).to.deep.equal([0, 0]);
  });
});

describe("kernel: the page-frame database's bounded contiguous runs", () => {
  it("a run starts at or above the lowest frame, ends at or below the highest, and crosses no boundary; skipped fresh frames stay free", () => {
    const pm = new PhysicalMemory(64 * PAGE_SIZE);
    const first = pm.allocateContiguous(4, 10, 63, 0);
    expect(first).to.equal(10);
    expect(pm.usedFrames).to.equal(4);
    // Frames 0..9 were skipped, not lost: ten single frames still come from them.
    const singles = Array.from({ length: 10 }, () => pm.allocateFrame()).sort((a, b) => a - b);
    expect(singles).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A 3-frame run must not cross a multiple of 4: from 14, the first start that fits is 16.
    expect(pm.allocateContiguous(3, 0, 63, 4)).to.equal(16);
    expect(pm.allocateContiguous(5, 0, 63, 4)).to.equal(-1);
    expect(pm.allocateContiguous(2, 60, 61, 0)).to.equal(60);
    expect(pm.allocateContiguous(2, 60, 61, 0)).to.equal(-1);
  });

  it("recycled frames are searched within the bounds", () => {
    const pm = new PhysicalMemory(16 * PAGE_SIZE);
    const all: number[] = [];
    for (let f = pm.allocateFrame(); f >= 0; f = pm.allocateFrame()) all.push(f);
    for (const f of [2, 3, 4, 9, 10, 11, 12]) pm.dereference(f);
    expect(pm.allocateContiguous(3, 5, 15, 0)).to.equal(9);
    expect(pm.allocateContiguous(3, 0, 4, 0)).to.equal(2);
    expect(pm.allocateContiguous(1, 0, 8, 0)).to.equal(-1);
    expect(pm.freeFrames).to.equal(1);
  });
});
