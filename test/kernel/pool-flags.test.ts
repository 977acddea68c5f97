/**
 * ExAllocatePool2 / ExAllocatePool3 and the other pool routines: POOL_FLAGS as documented (zeroed
 * unless POOL_FLAG_UNINITIALIZED, NULL or a raise on failure, exactly one pool type), all through
 * ExAllocatePoolWithTag's path (its IRQL rule, its accounting, its simulated failures).
 */
import { expect } from "chai";
import { poolTag } from "../../kernel/pool.js";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("pool: ExAllocatePool2 and its relatives", () => {
  it("ExAllocatePool2 zeroes the block unless POOL_FLAG_UNINITIALIZED, picks the pool from the type flag, and counts the block under its tag", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      // Dirty a block and free it, so the next one of that size reuses the bytes.
      const dirty = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 48, "Dirt");
      wdm.RtlFillMemory(dirty, 48, 0xcc);
      wdm.ExFreePoolWithTag(dirty, "Dirt");
      const zeroed = wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED, 48, "Two!");
      const z = Array.from(wdm.readBytes(zeroed, 48)).every((b) => b === 0);
      wdm.RtlFillMemory(zeroed, 48, 0xcc);
      wdm.ExFreePoolWithTag(zeroed, "Two!");
      const raw = wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_UNINITIALIZED, 48, "Two!");
      const kept = wdm.readU8(raw);
      const paged = wdm.ExAllocatePool2(wdm.POOL_FLAG_PAGED, 100, "Two!");
      const out = { z, reused: raw === zeroed, kept, paged: m.pagedPool.block(paged)?.size, tag: m.nonPagedPool.block(raw)?.tag };
      wdm.ExFreePoolWithTag(raw, "Two!");
      wdm.ExFreePoolWithTag(paged, "Two!");
      return out;
    });
    expect(ok(r)).to.deep.equal({ z: true, reused: true, kept: 0xcc, paged: 100, tag: poolTag("Two!") });
  });

  it("ExAllocatePool2 returns NULL for invalid POOL_FLAGS or a zero tag, and raises STATUS_INSUFFICIENT_RESOURCES instead with POOL_FLAG_RAISE_ON_FAILURE", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const raised = (f: () => number) => {
        try {
          return f();
        } catch (e) {
          return e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e);
        }
      };
      return [
        wdm.ExAllocatePool2(0n, 16, "Flag"),
        wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_PAGED, 16, "Flag"),
        wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_RESERVED2, 16, "Flag"),
        wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | 0x800n, 16, "Flag"),
        wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_SESSION, 16, "Flag"),
        wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED, 16, 0),
        raised(() => wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_RAISE_ON_FAILURE, 16, 0)),
        raised(() => wdm.ExAllocatePool2(wdm.POOL_FLAG_PAGED | wdm.POOL_FLAG_RAISE_ON_FAILURE, 1 << 30, "Huge")),
        m.nonPagedPool.liveBlockCount + m.pagedPool.liveBlockCount,
      ];
    });
    expect(ok(r)).to.deep.equal([0, 0, 0, 0, 0, 0, "STATUS_INSUFFICIENT_RESOURCES", "STATUS_INSUFFICIENT_RESOURCES", 0]);
  });

  it("an unknown optional flag (the high 32 bits, POOL_FLAG_SPECIAL_POOL among them) does not fail the allocation; POOL_FLAG_CACHE_ALIGNED starts the block on a 64-byte line", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const a = wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_SPECIAL_POOL | 0x4000000000000000n, 16, "Opt ");
      const aligned: number[] = [];
      for (let i = 0; i < 4; i++) aligned.push(wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_CACHE_ALIGNED, 20, "Line"));
      const out = [a !== 0, aligned.every((p) => p % 64 === 0)];
      wdm.ExFreePoolWithTag(a, "Opt ");
      for (const p of aligned) wdm.ExFreePoolWithTag(p, "Line");
      return out;
    });
    expect(ok(r)).to.deep.equal([true, true]);
  });

  it("ExAllocatePool2 keeps ExAllocatePoolWithTag's IRQL rule: paged pool at DISPATCH_LEVEL is BAD_POOL_CALLER 0x08", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
      wdm.ExAllocatePool2(wdm.POOL_FLAG_PAGED, 16, "Irql");
    });
    expect(r.result.bugCheck?.name).to.equal("BAD_POOL_CALLER");
    expect(r.result.bugCheck?.parameters[0]).to.equal(0x08);
  });

  it("ExAllocatePool3 takes a priority parameter; a count that does not match the array fails; secure pool is refused with an error saying it is not built", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const p = wdm.ExAllocatePool3(wdm.POOL_FLAG_NON_PAGED, 32, "Thr3", [{ Type: wdm.PoolExtendedParameterPriority, Priority: wdm.HighPoolPriority }], 1);
      const bad = wdm.ExAllocatePool3(wdm.POOL_FLAG_NON_PAGED, 32, "Thr3", [], 1);
      let secure = "";
      try {
        wdm.ExAllocatePool3(wdm.POOL_FLAG_NON_PAGED, 32, "Thr3", [{ Type: wdm.PoolExtendedParameterSecurePool }], 1);
      } catch (e) {
        secure = String(e);
      }
      wdm.ExFreePoolWithTag(p, "Thr3");
      return [p !== 0, bad, /not built/.test(secure)];
    });
    expect(ok(r)).to.deep.equal([true, 0, true]);
  });

  it("ExAllocatePoolZero zeroes; ExAllocatePoolWithQuotaTag raises STATUS_INSUFFICIENT_RESOURCES on failure unless POOL_QUOTA_FAIL_INSTEAD_OF_RAISE", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const d = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Dirt");
      wdm.RtlFillMemory(d, 64, 0x77);
      wdm.ExFreePoolWithTag(d, "Dirt");
      const z = wdm.ExAllocatePoolZero(wdm.NonPagedPool, 64, "Zero");
      const zeroed = wdm.readU32(z) === 0 && wdm.readU32(z + 60) === 0;
      const q = wdm.ExAllocatePoolQuotaZero(wdm.PagedPool, 16, "Quot");
      let raised = "";
      try {
        wdm.ExAllocatePoolWithQuotaTag(wdm.PagedPool, 1 << 30, "Quot");
      } catch (e) {
        raised = e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e);
      }
      const quiet = wdm.ExAllocatePoolWithQuotaTag(wdm.PagedPool | wdm.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 1 << 30, "Quot");
      wdm.ExFreePoolWithTag(z, "Zero");
      wdm.ExFreePoolWithTag(q, "Quot");
      return [zeroed, raised, quiet];
    });
    expect(ok(r)).to.deep.equal([true, "STATUS_INSUFFICIENT_RESOURCES", 0]);
  });
});
