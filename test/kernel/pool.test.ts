/**
 * Executive pool: ExAllocatePoolWithTag / ExFreePoolWithTag, per-tag accounting, and the
 * BAD_POOL_CALLER (0xC2) bug checks with the parameters Learn documents for each subcode.
 */
import { expect } from "chai";
import { BugCheckCode } from "../../kernel/bugcheck-codes.js";
import {
  NONPAGED_POOL_END,
  NONPAGED_POOL_START,
  PAGED_POOL_END,
  PAGED_POOL_START,
} from "../../kernel/memory-constants.js";
import { PAGE_SIZE } from "../../kernel/physical-memory.js";
import { poolTag } from "../../kernel/pool.js";
import {
  DISPATCH_LEVEL,
  ExAllocatePoolWithTag,
  ExFreePool,
  ExFreePoolWithTag,
  KeLowerIrql,
  KeRaiseIrql,
  NonPagedPool,
  PagedPool,
  readU32,
  writeU32,
} from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";
import { asBugCheck, thisLine } from "./memory-helpers.js";

const MB = 1024 * 1024;

describe("executive pool", () => {
  it("ExAllocatePoolWithTag returns a usable system address in its pool's range and counts it under its tag", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const np = ExAllocatePoolWithTag(NonPagedPool, 100, "Samp");
        const pp = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, "Samp");
        writeU32(np + 96, 0xa1b2c3d4);
        writeU32(pp + 3 * PAGE_SIZE - 4, 0x01020304);
        return { np, pp, a: readU32(np + 96), b: readU32(pp + 3 * PAGE_SIZE - 4) };
      }),
    );
    expect(r.np).to.be.within(NONPAGED_POOL_START, NONPAGED_POOL_END - 1);
    expect(r.pp).to.be.within(PAGED_POOL_START, PAGED_POOL_END - 1);
    expect([r.a, r.b]).to.deep.equal([0xa1b2c3d4, 0x01020304]);
    expect(m.nonPagedPool.tags.get(poolTag("Samp"))).to.deep.equal({
      allocs: 1,
      frees: 0,
      bytes: 100,
    });
    expect(m.pagedPool.tags.get(poolTag("Samp"))).to.deep.equal({
      allocs: 1,
      frees: 0,
      bytes: 3 * PAGE_SIZE,
    });
    expect(m.nonPagedPool.inUse).to.equal(100);
  });

  it("freeing pool twice is BAD_POOL_CALLER 0x07 with the block's address in parameter 4", async () => {
    const m = newMachine();
    let p = 0;
    let line = 0;
    const ran = await runKernel(m, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 64, "Dbl ");
      ExFreePoolWithTag(p, "Dbl ");
      line = thisLine() + 1;
      ExFreePoolWithTag(p, "Dbl ");
    });
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.BAD_POOL_CALLER);
    expect(bc.parameters[0]).to.equal(0x07);
    expect(bc.parameters[3]).to.equal(p);
    expect(bc.record.source).to.match(new RegExp(`pool\\.test\\.ts:${line}:`));
    expect(ran.result.bugCheck?.code).to.equal(0xc2);
    // The block was freed once: the accounting shows exactly that.
    expect(m.nonPagedPool.tags.get(poolTag("Dbl "))).to.deep.equal({
      allocs: 1,
      frees: 1,
      bytes: 0,
    });
  });

  it("freeing a large block twice is BAD_POOL_CALLER 0x07 too", async () => {
    const m = newMachine();
    let p = 0;
    const ran = await runKernel(m, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, "Big ");
      ExFreePool(p);
      ExFreePool(p);
    });
    const bc = asBugCheck(ran.error);
    expect([bc.code, bc.parameters[0], bc.parameters[3]]).to.deep.equal([0xc2, 0x07, p]);
  });

  it("ExFreePoolWithTag with the wrong tag is BAD_POOL_CALLER 0x0A naming the block, its tag and the tag used", async () => {
    const m = newMachine();
    let p = 0;
    const ran = await runKernel(m, () => {
      p = ExAllocatePoolWithTag(PagedPool, 32, "Mine");
      ExFreePoolWithTag(p, "Your");
    });
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.BAD_POOL_CALLER);
    expect(bc.parameters).to.deep.equal([0x0a, p, poolTag("Mine"), poolTag("Your")]);
    // The block is still allocated: the refused free changed nothing.
    expect(m.pagedPool.block(p)?.tag).to.equal(poolTag("Mine"));
    expect(m.pagedPool.inUse).to.equal(32);
  });

  it("freeing an address that was never in any pool is BAD_POOL_CALLER 0x42", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      ExFreePool(0x00123000);
    });
    const bc = asBugCheck(ran.error);
    expect(bc.parameters).to.deep.equal([0x42, 0x00123000, 0, 0]);
  });

  it("allocating paged pool above APC_LEVEL is BAD_POOL_CALLER 0x08 with the IRQL, pool type and size", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      KeRaiseIrql(DISPATCH_LEVEL);
      ExAllocatePoolWithTag(PagedPool, 40, "Irql");
    });
    expect(asBugCheck(ran.error).parameters).to.deep.equal([0x08, DISPATCH_LEVEL, PagedPool, 40]);
  });

  it("nonpaged pool may be allocated and freed at DISPATCH_LEVEL", async () => {
    const m = newMachine();
    ok(
      await runKernel(m, () => {
        const old = KeRaiseIrql(DISPATCH_LEVEL);
        const p = ExAllocatePoolWithTag(NonPagedPool, 40, "Disp");
        writeU32(p, 1);
        ExFreePoolWithTag(p, "Disp");
        KeLowerIrql(old);
      }),
    );
    expect(m.nonPagedPool.inUse).to.equal(0);
  });

  it("freeing paged pool above APC_LEVEL is BAD_POOL_CALLER 0x09 with the IRQL, pool type and address", async () => {
    const m = newMachine();
    let p = 0;
    const ran = await runKernel(m, () => {
      p = ExAllocatePoolWithTag(PagedPool, 40, "Irql");
      KeRaiseIrql(DISPATCH_LEVEL);
      ExFreePoolWithTag(p, "Irql");
    });
    expect(asBugCheck(ran.error).parameters).to.deep.equal([0x09, DISPATCH_LEVEL, PagedPool, p]);
  });

  it("ExAllocatePoolWithTag returns NULL when memory is exhausted and leaves pool accounting intact", async () => {
    const m = newMachine({ memoryBytes: 1 * MB });
    const r = ok(
      await runKernel(m, () => {
        const small = ExAllocatePoolWithTag(NonPagedPool, 24, "Keep");
        const used0 = m.physical.usedFrames;
        const tooBig = ExAllocatePoolWithTag(NonPagedPool, 2 * MB, "Huge");
        const afterTooBig = {
          used: m.physical.usedFrames,
          inUse: m.nonPagedPool.inUse,
          huge: m.nonPagedPool.tags.get(poolTag("Huge")),
        };
        // Now use up every frame with page-sized blocks, until the pool says no.
        const blocks: number[] = [];
        for (
          let p = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, "Fill");
          p !== 0;
          p = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, "Fill")
        )
          blocks.push(p);
        const exhausted = {
          free: m.physical.freeFrames,
          inUse: m.nonPagedPool.inUse,
          fill: { ...m.nonPagedPool.tags.get(poolTag("Fill")) },
        };
        // A small block of a new size class needs a new page too: also NULL.
        const noPage = ExAllocatePoolWithTag(PagedPool, 200, "Tiny");
        for (const p of blocks) ExFreePoolWithTag(p, "Fill");
        const again = ExAllocatePoolWithTag(NonPagedPool, 8 * PAGE_SIZE, "Agn ");
        ExFreePoolWithTag(again, "Agn ");
        return {
          small,
          used0,
          tooBig,
          afterTooBig,
          blocks: blocks.length,
          exhausted,
          noPage,
          again,
          usedEnd: m.physical.usedFrames,
          inUseEnd: m.nonPagedPool.inUse,
        };
      }),
    );
    expect(r.small).to.not.equal(0);
    expect(r.tooBig).to.equal(0);
    expect(r.afterTooBig).to.deep.equal({ used: r.used0, inUse: 24, huge: undefined });
    expect(r.blocks).to.equal(m.physical.totalFrames - r.used0);
    expect(r.exhausted).to.deep.equal({
      free: 0,
      inUse: 24 + r.blocks * PAGE_SIZE,
      fill: { allocs: r.blocks, frees: 0, bytes: r.blocks * PAGE_SIZE },
    });
    expect(r.noPage).to.equal(0);
    expect(m.pagedPool.tags.get(poolTag("Tiny"))).to.equal(undefined);
    expect(r.again).to.not.equal(0);
    expect(r.usedEnd).to.equal(r.used0);
    expect(r.inUseEnd).to.equal(24);
    expect(m.nonPagedPool.tags.get(poolTag("Fill"))).to.deep.equal({
      allocs: r.blocks,
      frees: r.blocks,
      bytes: 0,
    });
  });

  it("a large pool block's frames return to the free list when it is freed, and its address stops being valid", async () => {
    const m = newMachine();
    const before = m.physical.usedFrames;
    let p = 0;
    const ran = await runKernel(m, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 5 * PAGE_SIZE, "Lrg ");
      writeU32(p, 0x1234);
      expect(readU32(p)).to.equal(0x1234); // the page is now in the MMU's translation cache
      const during = m.physical.usedFrames;
      ExFreePoolWithTag(p, "Lrg ");
      const after = m.physical.usedFrames;
      expect([during - before, after - before]).to.deep.equal([5, 0]);
      readU32(p);
    });
    // Touching the freed block from kernel code is a bug check, not a silent read.
    expect(asBugCheck(ran.error).code).to.equal(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA);
    expect(asBugCheck(ran.error).parameters[0]).to.equal(p);
  });
});
