/**
 * Driver Verifier's Special Pool: placement against a no-access page (Verify End, Verify Start),
 * the pattern around a block checked at free, freed pages kept no-access in a bounded FIFO, and
 * the bug checks Windows documents for each violation — through every accessor (the read/write
 * helpers, RtlCopyMemory and friends, MDLs) — while pool tracking and accounting keep working.
 */
import { expect } from "chai";
import { BugCheckError, type BugCheckRecord } from "../../kernel/bugcheck.js";
import type { Machine } from "../../kernel/machine.js";
import { PAGE_SIZE } from "../../kernel/physical-memory.js";
import { SPECIAL_POOL_PATTERN } from "../../kernel/special-pool.js";
import { loadDriver } from "../../io-manager/driver.js";
import { runScenario } from "../../scenario/scenario.js";
import { findBuggySample } from "../../samples/buggy/index.js";
import { SPOOL_MODEL } from "../../samples/buggy/pool.js";
import { invariantViolations } from "../../scenario/invariants.js";
import { attachVerifier, type VerifierOptions } from "../../verifier/verifier.js";
import {
  DISPATCH_LEVEL,
  ExAllocatePoolWithTag,
  ExFreePool,
  ExFreePoolWithTag,
  IoAllocateMdl,
  IoFreeMdl,
  IoReadAccess,
  KeLowerIrql,
  KeRaiseIrql,
  KernelMode,
  MmBuildMdlForNonPagedPool,
  MmProbeAndLockPages,
  MmUnlockPages,
  NonPagedPool,
  NonPagedPoolCacheAligned,
  PagedPool,
  readBytes,
  readU32,
  readU8,
  RtlCopyMemory,
  RtlFillMemory,
  RtlZeroMemory,
  STATUS_SUCCESS,
  writeU32,
  writeU8,
} from "../../wdm.js";
import { newMachine } from "../helpers.js";
import { thisLine } from "../kernel/memory-helpers.js";

let drivers = 0;

/** A verified machine (special pool on unless the options say otherwise). */
function verifiedMachine(options: VerifierOptions = {}): Machine {
  const m = newMachine();
  attachVerifier(m, options);
  return m;
}

/**
 * Runs `body` as a driver's code (in its DriverEntry, so what it allocates is its state) and
 * returns the bug check it raised, or null.
 */
async function asDriver(m: Machine, body: () => void, name = `SpTest${++drivers}`): Promise<BugCheckRecord | null> {
  try {
    await loadDriver(m, name, () => {
      body();
      return STATUS_SUCCESS;
    });
  } catch (e) {
    if (e instanceof BugCheckError) return e.record;
    throw e;
  }
  return null;
}

/** The bug check a body raised (fails the test if none). */
async function bugCheckOf(m: Machine, body: () => void, name?: string): Promise<BugCheckRecord> {
  const r = await asDriver(m, body, name);
  if (!r) throw new Error("expected a bug check, but the driver's code ran to its end");
  return r;
}

describe("verifier: Special Pool", () => {
  it("a METHOD_BUFFERED handler that copies 100 bytes out of a 38-byte pool string is stopped at the copy with 0xD6, naming the block's tag, size and allocating line", async () => {
    const s = findBuggySample("copy-past-pool-string");
    if (!s) throw new Error("sample missing");
    expect(SPOOL_MODEL.length + 1).to.equal(38);
    const r = await runScenario(s.scenario);
    const bc = r.run?.bugCheck;
    expect(bc?.code).to.equal(0xd6);
    expect(bc?.name).to.equal("DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION");
    // P1 the address referenced (the first byte of the guard page), P2 0 for a read.
    const block = bc?.parameters[0] ?? 0;
    expect(block % PAGE_SIZE).to.equal(0);
    expect(bc?.parameters.slice(1)).to.deep.equal([0, 0, 0]);
    expect(bc?.rule).to.equal("0xD6 SpecialPoolBeyondEnd");
    expect(bc?.driver).to.equal("Spool");
    expect(bc?.routine).to.equal("SpoolDeviceControl");
    // Stopped at the copy: the driver's RtlCopyMemory line.
    expect(bc?.source).to.match(/^samples\/buggy\/pool\.ts:\d+:\d+ \(SpoolDeviceControl\)/);
    expect(bc?.detail).to.include("offset 40 of a 38-byte nonpaged pool block tagged 'SpMd'");
    expect(bc?.detail).to.match(/allocated by Spool at samples\/buggy\/pool\.ts:\d+:\d+ \(SpoolDriverEntry\)/);
    // Nothing was copied back to the app: the machine stopped inside the copy.
    expect(r.machine.mmu.bytesCopied).to.equal(0);
  });

  it("Verify End: a block ends against the guard page as closely as the 8-byte pool alignment allows, and the rest of its page holds the pattern", async () => {
    const m = verifiedMachine();
    let p = 0;
    let before: number[] = [];
    let slack: number[] = [];
    ok(
      await asDriver(m, () => {
        p = ExAllocatePoolWithTag(NonPagedPool, 38, "Samp");
        before = Array.from(readBytes(p - 4, 4));
        slack = Array.from(readBytes(p + 38, 2));
      }),
    );
    expect((p + 40) % PAGE_SIZE).to.equal(0);
    expect(p % 8).to.equal(0);
    expect(before).to.deep.equal([SPECIAL_POOL_PATTERN, SPECIAL_POOL_PATTERN, SPECIAL_POOL_PATTERN, SPECIAL_POOL_PATTERN]);
    expect(slack).to.deep.equal([SPECIAL_POOL_PATTERN, SPECIAL_POOL_PATTERN]);
    const b = m.nonPagedPool.block(p);
    expect(b?.size).to.equal(38);
    expect(m.nonPagedPool.specialBlocks).to.deep.equal({ live: 1, freed: 0 });
  });

  it("cache-aligned pool types keep their 64-byte alignment in special pool", async () => {
    const m = verifiedMachine();
    let p = 0;
    ok(await asDriver(m, () => void (p = ExAllocatePoolWithTag(NonPagedPoolCacheAligned, 100, "Cach"))));
    expect(p % 64).to.equal(0);
    expect((p + 128) % PAGE_SIZE).to.equal(0);
  });

  it("a write one byte past a block's last aligned byte faults at once: 0xD6 with P2 = 1, at the driver's line", async () => {
    const m = verifiedMachine();
    let line = 0;
    const bc = await bugCheckOf(m, () => {
      const p = ExAllocatePoolWithTag(NonPagedPool, 64, "Over");
      line = thisLine() + 1;
      writeU32(p + 64, 0xdeadbeef);
    });
    expect(bc.code).to.equal(0xd6);
    expect(bc.parameters[1]).to.equal(1);
    expect(bc.source).to.include(`special-pool.test.ts:${line}:`);
    expect(bc.detail).to.include("writes").and.include("offset 64 of a 64-byte nonpaged pool block tagged 'Over'");
  });

  it("every accessor is caught: RtlZeroMemory, RtlFillMemory and a read straddling the page end", async () => {
    for (const touch of [
      (p: number) => {
        RtlZeroMemory(p, 17);
      },
      (p: number) => {
        RtlFillMemory(p, 24, 0x41);
      },
      (p: number) => {
        readU32(p + 14);
      },
      (p: number) => {
        RtlCopyMemory(p, p - 40, 20);
      },
    ]) {
      const m = verifiedMachine();
      const bc = await bugCheckOf(m, () => {
        touch(ExAllocatePoolWithTag(NonPagedPool, 16, "Acc "));
      });
      expect(bc.code, touch.toString()).to.equal(0xd6);
    }
  });

  it("reads inside the 8-byte rounding slack are not faults (as on Windows), but a write there is found at free: 0xC1 with subcode 0x24 and the corrupted address", async () => {
    const m = verifiedMachine();
    let p = 0;
    let line = 0;
    const bc = await bugCheckOf(m, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 13, "Slak");
      readU8(p + 15);
      writeU8(p + 14, 0);
      line = thisLine() + 1;
      ExFreePoolWithTag(p, "Slak");
    });
    expect(bc.code).to.equal(0xc1);
    expect(bc.name).to.equal("SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION");
    expect(bc.parameters).to.deep.equal([p, p + 14, 0, 0x24]);
    expect(bc.rule).to.equal("0xC1 SpecialPoolCorruption");
    expect(bc.source).to.include(`special-pool.test.ts:${line}:`);
  });

  it("a write before a block's start (in its page) is found at free as 0xC1/0x23, and a single flipped bit as 0xC1/0x32", async () => {
    let p = 0;
    const m1 = verifiedMachine();
    const a = await bugCheckOf(m1, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 32, "Undr");
      writeU32(p - 8, 0);
      ExFreePool(p);
    });
    expect(a.parameters).to.deep.equal([p, p - 8, 0, 0x23]);
    const m2 = verifiedMachine();
    const b = await bugCheckOf(m2, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 30, "Bit ");
      writeU8(p + 31, SPECIAL_POOL_PATTERN ^ 0x10);
      ExFreePool(p);
    });
    expect(b.parameters).to.deep.equal([p, p + 31, 0, 0x32]);
  });

  it("a touch of a freed block, by any accessor, is 0xD5 naming where it was allocated and freed", async () => {
    const m = verifiedMachine();
    let p = 0;
    let freeLine = 0;
    const bc = await bugCheckOf(m, () => {
      p = ExAllocatePoolWithTag(PagedPool, 100, "Gone");
      freeLine = thisLine() + 1;
      ExFreePoolWithTag(p, "Gone");
      RtlCopyMemory(p + 8, p, 4);
    });
    expect(bc.code).to.equal(0xd5);
    expect(bc.name).to.equal("DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL");
    expect(bc.parameters).to.deep.equal([p, 0, 0, 0]);
    expect(bc.rule).to.equal("0xD5 SpecialPoolFreedAccess");
    expect(bc.detail).to.include("a 100-byte paged pool block tagged 'Gone'").and.include(`special-pool.test.ts:${freeLine}:`);
  });

  it("the touch is 0xD5 even at DISPATCH_LEVEL, where another bad address would be 0xA", async () => {
    const m = verifiedMachine();
    const bc = await bugCheckOf(m, () => {
      const p = ExAllocatePoolWithTag(NonPagedPool, 8, "Dpc ");
      ExFreePool(p);
      const old = KeRaiseIrql(DISPATCH_LEVEL);
      writeU8(p, 1);
      KeLowerIrql(old);
    });
    expect(bc.code).to.equal(0xd5);
    expect(bc.parameters[1]).to.equal(1);
  });

  it("an MDL built over more than the block is stopped in MmBuildMdlForNonPagedPool (0xD6), and one over a freed block too (0xD5)", async () => {
    const m1 = verifiedMachine();
    const a = await bugCheckOf(m1, () => {
      const p = ExAllocatePoolWithTag(NonPagedPool, 38, "Mdl1");
      const mdl = IoAllocateMdl(p, 100, false, false, null);
      if (!mdl) throw new Error("no MDL");
      MmBuildMdlForNonPagedPool(mdl);
    });
    expect(a.code).to.equal(0xd6);
    expect(a.parameters[0] % PAGE_SIZE).to.equal(0);
    const m2 = verifiedMachine();
    const b = await bugCheckOf(m2, () => {
      const p = ExAllocatePoolWithTag(NonPagedPool, 38, "Mdl2");
      ExFreePool(p);
      const mdl = IoAllocateMdl(p, 38, false, false, null);
      if (!mdl) throw new Error("no MDL");
      MmBuildMdlForNonPagedPool(mdl);
    });
    expect(b.code).to.equal(0xd5);
  });

  it("IoAllocateMdl and a kernel-mode MmProbeAndLockPages over more than the block is 0xD6 at the probe; within the block it locks and unlocks cleanly", async () => {
    const m = verifiedMachine();
    ok(
      await asDriver(m, () => {
        const p = ExAllocatePoolWithTag(NonPagedPool, 200, "Prb1");
        const mdl = IoAllocateMdl(p, 200, false, false, null);
        if (!mdl) throw new Error("no MDL");
        MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
        MmUnlockPages(mdl);
        IoFreeMdl(mdl);
        ExFreePool(p);
      }),
    );
    const bc = await bugCheckOf(m, () => {
      const p = ExAllocatePoolWithTag(NonPagedPool, 200, "Prb2");
      const mdl = IoAllocateMdl(p, 201, false, false, null);
      if (!mdl) throw new Error("no MDL");
      MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
    });
    expect(bc.code).to.equal(0xd6);
    expect(invariantViolations(m)).to.deep.equal([]);
  });

  it("Verify Start (underruns): the block starts its page, a read before it is 0xD6, and a write past its end is found at free", async () => {
    const m = verifiedMachine({ specialPool: { underruns: true } });
    let p = 0;
    const bc = await bugCheckOf(m, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 40, "Strt");
      readU8(p - 1);
    });
    expect(p % PAGE_SIZE).to.equal(0);
    expect(bc.code).to.equal(0xd6);
    expect(bc.parameters[0]).to.equal(p - 1);
    expect(bc.detail).to.include("before the block's start");
    const m2 = verifiedMachine({ specialPool: { underruns: true } });
    const c = await bugCheckOf(m2, () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 40, "Strt");
      writeU8(p + 40, 0);
      ExFreePool(p);
    });
    expect(c.parameters).to.deep.equal([p, p + 40, 0, 0x24]);
  });

  it("freeing a special-pool block twice is 0xC1/0x20, and freeing an address inside one is 0xC1/0x21 with the bytes requested and calculated", async () => {
    let p = 0;
    const a = await bugCheckOf(verifiedMachine(), () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 24, "Twce");
      ExFreePool(p);
      ExFreePool(p);
    });
    expect(a.parameters).to.deep.equal([p, 0, 0, 0x20]);
    const b = await bugCheckOf(verifiedMachine(), () => {
      p = ExAllocatePoolWithTag(NonPagedPool, 24, "Insd");
      ExFreePool(p + 8);
    });
    expect(b.parameters).to.deep.equal([p + 8, 24, 16, 0x21]);
  });

  it("freed pages stay no-access in a FIFO of the configured length; past it the oldest page is reused and its old address is no longer special pool's", async () => {
    const m = verifiedMachine({ specialPool: { freedPages: 2 } });
    const addresses: number[] = [];
    ok(
      await asDriver(m, () => {
        for (let i = 0; i < 3; i++) {
          const p = ExAllocatePoolWithTag(NonPagedPool, 16, "Fifo");
          addresses.push(p);
          ExFreePool(p);
        }
      }),
    );
    const sp = m.nonPagedPool.special;
    expect(sp?.quarantined).to.equal(2);
    expect(sp?.recycled).to.equal(1);
    expect(m.nonPagedPool.specialAt(addresses[0] ?? 0)).to.equal(null);
    expect(m.nonPagedPool.specialAt(addresses[1] ?? 0)?.freed).to.equal(true);
    expect(m.nonPagedPool.specialAt(addresses[2] ?? 0)?.freed).to.equal(true);
    expect(m.nonPagedPool.accountingProblems()).to.deep.equal([]);
  });

  it("is on by default under the verifier and off with specialPool: false, for unverified drivers, and for the I/O manager's own system buffers", async () => {
    const off = verifiedMachine({ specialPool: false });
    let p = 0;
    ok(await asDriver(off, () => void (p = ExAllocatePoolWithTag(NonPagedPool, 38, "Norm"))));
    expect((p + 48) % PAGE_SIZE).to.not.equal(0);
    expect(off.nonPagedPool.special).to.equal(null);
    const scoped = verifiedMachine({ drivers: ["Other"] });
    ok(await asDriver(scoped, () => void (p = ExAllocatePoolWithTag(NonPagedPool, 38, "Norm"))));
    expect(scoped.nonPagedPool.specialBlocks.live).to.equal(0);
    const s = findBuggySample("use-freed-record");
    const r = await runScenario(s?.scenario ?? { name: "x", summary: "", run: () => Promise.resolve() });
    // Spool's own record was special (0xD5); the I/O manager's system buffer for the same request was not.
    expect(r.run?.bugCheck?.code).to.equal(0xd5);
    const buffers = r.machine.nonPagedPool.liveBlocks().filter((b) => b.tag === 0x20707249);
    expect(buffers.length).to.equal(1);
    expect(r.machine.nonPagedPool.specialAt(buffers[0]?.address ?? 0)).to.equal(null);
    expect(r.machine.nonPagedPool.block(buffers[0]?.address ?? 0)).to.not.equal(undefined);
  });

  it("requests larger than a page less its header come from the normal pool, as on Windows", async () => {
    const m = verifiedMachine();
    let p = 0;
    ok(await asDriver(m, () => void (p = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, "Big "))));
    expect(p % PAGE_SIZE).to.equal(0);
    expect(m.nonPagedPool.specialBlocks.live).to.equal(0);
  });

  it("pool tracking at unload and at teardown still names the leaked special-pool blocks with their allocation lines", async () => {
    for (const name of ["unload-with-pool", "leak-pool"]) {
      const s = findBuggySample(name);
      if (!s) throw new Error(`${name} missing`);
      const r = await runScenario(s.scenario);
      const halted = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
      const text = halted?.detail ?? r.findings.map((f) => `${f.message} at ${f.source ?? "?"}`).join("\n");
      expect(text, name).to.match(/samples\/buggy\/(unload|leaks)\.ts:\d+/);
      expect(r.machine.nonPagedPool.specialBlocks.live, name).to.be.greaterThan(0);
    }
  });

  it("blocks placed while a verifier was attached keep their guard pages after it detaches; new allocations come from the normal pool", async () => {
    const m = newMachine();
    const v = attachVerifier(m);
    let p = 0;
    ok(await asDriver(m, () => void (p = ExAllocatePoolWithTag(NonPagedPool, 16, "Kept"))));
    v.detach();
    let q = 0;
    ok(await asDriver(m, () => void (q = ExAllocatePoolWithTag(NonPagedPool, 16, "Norm"))));
    expect(m.nonPagedPool.specialAt(q)).to.equal(null);
    expect((q + 16) % PAGE_SIZE).to.not.equal(0);
    const bc = await bugCheckOf(m, () => void readU8(p + 16));
    expect(bc.code).to.equal(0xd6);
    expect(bc.rule).to.equal(undefined);
  });

  it("allocations and frees keep the pool's accounting: counts, per-tag bytes and special pages all agree", async () => {
    const m = verifiedMachine();
    ok(
      await asDriver(m, () => {
        const kept: number[] = [];
        for (let i = 0; i < 40; i++) {
          const p = ExAllocatePoolWithTag(i % 3 === 0 ? PagedPool : NonPagedPool, 1 + ((i * 97) % 3000), i % 2 ? "AccA" : "AccB");
          if (i % 4 === 0) ExFreePool(p);
          else kept.push(p);
        }
        for (const p of kept.splice(0, 10)) ExFreePool(p);
      }),
    );
    expect(m.nonPagedPool.accountingProblems()).to.deep.equal([]);
    expect(m.pagedPool.accountingProblems()).to.deep.equal([]);
    expect(m.nonPagedPool.liveBlockCount + m.pagedPool.liveBlockCount).to.equal(20);
  });
});

/** Fails the test when the driver's code bug-checked. */
function ok(r: BugCheckRecord | null): void {
  if (r) throw new Error(`unexpected bug check ${r.name}: ${r.detail ?? ""}`);
}
