/**
 * Accesses through virtual addresses: the mode, protection and IRQL checks, and the exception or
 * bug check NT raises for each kind of bad access (research notes §7; Learn bug checks 0xA,
 * 0x50, 0xBE, 0x7E; Learn "Creating Guard Pages"; ProbeForRead/ProbeForWrite).
 */
import { expect } from "chai";
import { BugCheckError, MachineHaltedError } from "../../kernel/bugcheck.js";
import { BugCheckCode } from "../../kernel/bugcheck-codes.js";
import { MEM_COMMIT, MEM_RESERVE, MM_USER_PROBE_ADDRESS } from "../../kernel/memory-constants.js";
import { PAGE_SIZE } from "../../kernel/physical-memory.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { PAGE_GUARD, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE } from "../../kernel/pte.js";
import {
  STATUS_ACCESS_VIOLATION,
  STATUS_DATATYPE_MISALIGNMENT,
  STATUS_GUARD_PAGE_VIOLATION,
} from "../../kernel/status.js";
import {
  DISPATCH_LEVEL,
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
  KAPC_STATE,
  KeLowerIrql,
  KeRaiseIrql,
  KeStackAttachProcess,
  KeUnstackDetachProcess,
  NonPagedPool,
  PagedPool,
  ProbeForRead,
  ProbeForWrite,
  RtlCompareMemory,
  RtlCopyMemory,
  RtlFillMemory,
  RtlMoveMemory,
  RtlZeroMemory,
  readAnsiString,
  readBytes,
  readU16,
  readU32,
  readU8,
  readWideString,
  writeAnsiString,
  writeBytes,
  writeU16,
  writeU32,
  writeU8,
  writeWideString,
} from "../../wdm.js";
import {
  GetLastError,
  SIZEOF_MEMORY_BASIC_INFORMATION,
  VirtualAlloc,
  VirtualProtect,
  VirtualQuery,
  readMemoryBasicInformation,
} from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import { asBugCheck, asThread, idleProcess, ntError, thisLine } from "./memory-helpers.js";

/** An unmapped address in system space (between nonpaged pool and the system PTE range). */
const UNMAPPED_SYSTEM = 0x90000000;

describe("MMU: faults in kernel mode", () => {
  it("a kernel-mode read of an unmapped system address is a PAGE_FAULT_IN_NONPAGED_AREA bug check naming the driver's source line", async () => {
    const m = newMachine();
    let line = 0;
    let caught = false;
    const ran = await runKernel(m, () => {
      m.enterActivity("dispatch routine", "SampleRead", "sample.sys");
      try {
        line = thisLine() + 1;
        readU32(UNMAPPED_SYSTEM + 0x10);
      } catch (e) {
        // __except cannot stop this bug check: only an NtStatusError would land here.
        caught = e instanceof NtStatusError;
        throw e;
      }
    });
    expect(caught).to.equal(false);
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA);
    expect(bc.parameters[0]).to.equal(UNMAPPED_SYSTEM + 0x10);
    expect(bc.parameters[1]).to.equal(0); // read
    expect(bc.record.driver).to.equal("sample.sys");
    expect(bc.record.source).to.match(new RegExp(`test/kernel/mmu\\.test\\.ts:${line}:`));
    expect(ran.result.outcome).to.equal("bugcheck");
    expect(ran.result.bugCheck?.name).to.equal("PAGE_FAULT_IN_NONPAGED_AREA");
  });

  it("a kernel-mode write to an unmapped system address is PAGE_FAULT_IN_NONPAGED_AREA with parameter 2 = 1 (write)", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      writeU8(UNMAPPED_SYSTEM, 1);
    });
    expect(asBugCheck(ran.error).parameters.slice(0, 2)).to.deep.equal([UNMAPPED_SYSTEM, 1]);
  });

  it("a kernel-mode write to a read-only system page is ATTEMPTED_WRITE_TO_READONLY_MEMORY", async () => {
    const m = newMachine();
    const frame = m.physical.allocateFrame();
    const va = m.system.mapFrames([frame], { writable: false });
    const ran = await runKernel(m, () => {
      const before = readU32(va); // reading is fine
      writeU32(va + 8, before + 1);
    });
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.ATTEMPTED_WRITE_TO_READONLY_MEMORY);
    expect(bc.parameters[0]).to.equal(va + 8);
  });

  it("kernel code touching an invalid user address at PASSIVE_LEVEL gets a STATUS_ACCESS_VIOLATION it can handle", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const e = ntError(() => readU32(0x00400000));
        return { status: e.status, address: e.address, write: e.write };
      }),
    );
    expect(r).to.deep.equal({ status: STATUS_ACCESS_VIOLATION, address: 0x00400000, write: false });
  });

  it("an unhandled access violation in a system thread is SYSTEM_THREAD_EXCEPTION_NOT_HANDLED with the exception code", async () => {
    const m = newMachine();
    m.createSystemThread("faulty", () => readU32(0x00400000));
    const result = await m.run();
    expect(result.bugCheck?.code).to.equal(BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
    expect(result.bugCheck?.parameters[0]).to.equal(STATUS_ACCESS_VIOLATION);
  });

  it("after a bug check the machine refuses every further memory access", async () => {
    const m = newMachine();
    await runKernel(m, () => readU8(UNMAPPED_SYSTEM));
    expect(m.halted?.kind).to.equal("bugcheck");
    expect(() => m.mmu.readU8(0x81000000)).to.throw(MachineHaltedError);
  });
});

describe("MMU: IRQL rules", () => {
  it("touching pageable memory at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    let p = 0;
    const ran = await runKernel(m, () => {
      p = ExAllocatePoolWithTag(PagedPool, 64, "Page");
      writeU32(p, 5); // fine at PASSIVE_LEVEL, and now in the translation cache
      KeRaiseIrql(DISPATCH_LEVEL);
      writeU32(p + 4, 6);
    });
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL);
    // P1 the address, P2 the IRQL, P3 bit 0 = write.
    expect(bc.parameters.slice(0, 3)).to.deep.equal([p + 4, DISPATCH_LEVEL, 1]);
  });

  it("a read of a user buffer at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL (user memory is pageable)", async () => {
    const m = newMachine();
    let base = 0;
    const ran = await runKernel(m, () => {
      const { process, space } = idleProcess(m, "victim.exe");
      base = space.allocate(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE).base;
      const apc = new KAPC_STATE();
      KeStackAttachProcess(process, apc);
      readU32(base); // at PASSIVE_LEVEL the attached process's memory is reachable
      KeRaiseIrql(DISPATCH_LEVEL);
      readU32(base + 12);
      KeUnstackDetachProcess(apc);
    });
    expect(asBugCheck(ran.error).parameters.slice(0, 3)).to.deep.equal([
      base + 12,
      DISPATCH_LEVEL,
      0,
    ]);
  });

  it("an invalid user address touched at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL, not an exception", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      KeRaiseIrql(DISPATCH_LEVEL);
      try {
        readU32(0x00400000);
      } catch (e) {
        if (e instanceof NtStatusError) return "handled";
        throw e;
      }
      return "no fault";
    });
    expect(ran.value).to.equal(undefined);
    expect(asBugCheck(ran.error).code).to.equal(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL);
  });

  it("a guard page touched at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL, and the guard is not consumed", async () => {
    const m = newMachine();
    let base = 0;
    let guardLeft = -1;
    const ran = await runKernel(m, () => {
      const { process, space } = idleProcess(m, "guarded.exe");
      base = space.allocate(
        0,
        PAGE_SIZE,
        MEM_RESERVE | MEM_COMMIT,
        PAGE_READWRITE | PAGE_GUARD,
      ).base;
      const apc = new KAPC_STATE();
      KeStackAttachProcess(process, apc);
      KeRaiseIrql(DISPATCH_LEVEL);
      try {
        readU32(base + 8);
      } finally {
        guardLeft = space.query(base).info?.Protect ?? -1;
      }
    });
    // A guard page's PTE is not valid: at DISPATCH_LEVEL the fault cannot be serviced at all.
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL);
    expect(bc.parameters.slice(0, 3)).to.deep.equal([base + 8, DISPATCH_LEVEL, 0]);
    expect(guardLeft).to.equal(PAGE_READWRITE | PAGE_GUARD);
  });

  it("nonpaged pool, and pageable memory while locked for I/O, may be touched at DISPATCH_LEVEL", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const np = ExAllocatePoolWithTag(NonPagedPool, 64, "NonP");
        const pp = ExAllocatePoolWithTag(PagedPool, 64, "Page");
        writeU32(pp, 0x5a5a5a5a);
        const frame = m.mmu.frameOf(null, pp);
        m.physical.lock(frame);
        const old = KeRaiseIrql(DISPATCH_LEVEL);
        writeU32(np, 0x11111111);
        const seen = [readU32(np), readU32(pp)];
        KeLowerIrql(old);
        m.physical.unlock(frame);
        ExFreePoolWithTag(np, "NonP");
        ExFreePoolWithTag(pp, "Page");
        return seen;
      }),
    );
    expect(r).to.deep.equal([0x11111111, 0x5a5a5a5a]);
  });

  it("pageable memory touched at DISPATCH_LEVEL after its lock is dropped is IRQL_NOT_LESS_OR_EQUAL again", async () => {
    const m = newMachine();
    let pp = 0;
    const ran = await runKernel(m, () => {
      pp = ExAllocatePoolWithTag(PagedPool, 64, "Page");
      const frame = m.mmu.frameOf(null, pp);
      m.physical.lock(frame);
      KeRaiseIrql(DISPATCH_LEVEL);
      readU32(pp); // locked: fine
      m.physical.unlock(frame);
      readU32(pp + 4); // no longer locked: the page could be paged out
    });
    const bc = asBugCheck(ran.error);
    expect(bc.code).to.equal(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL);
    expect(bc.parameters[0]).to.equal(pp + 4);
  });
});

describe("MMU: faults in user mode", () => {
  it("user-mode code touching system space gets STATUS_ACCESS_VIOLATION with the faulting address", async () => {
    const m = newMachine();
    const pool = ok(await runKernel(m, () => ExAllocatePoolWithTag(NonPagedPool, 16, "Sys ")));
    const r = ok(
      await runApp(m, () => {
        const read = ntError(() => readU32(pool)); // a valid kernel page, but not a user page
        const write = ntError(() => {
          writeU8(0x80000000, 1);
        });
        const far = ntError(() => readBytes(0xfffff000, 16));
        return [read, write, far].map((e) => ({
          status: e.status,
          address: e.address,
          write: e.write,
        }));
      }),
    );
    expect(r).to.deep.equal([
      { status: STATUS_ACCESS_VIOLATION, address: pool, write: false },
      { status: STATUS_ACCESS_VIOLATION, address: 0x80000000, write: true },
      { status: STATUS_ACCESS_VIOLATION, address: 0xfffff000, write: false },
    ]);
    expect(m.halted).to.equal(null);
  });

  it("an unhandled access violation in user mode ends the process with STATUS_ACCESS_VIOLATION, not the machine", async () => {
    const m = newMachine();
    const p = m.createProcess("crash.exe", () => readU32(0x80000000));
    const result = await m.run();
    expect(result.bugCheck).to.equal(null);
    expect(p.state).to.equal("exited");
    expect(p.exitStatus).to.equal(STATUS_ACCESS_VIOLATION);
  });

  it("reserved, freed and PAGE_NOACCESS pages fault on any access, and PAGE_READONLY pages on a write", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 4 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
        VirtualAlloc(base + PAGE_SIZE, PAGE_SIZE, MEM_COMMIT, PAGE_NOACCESS);
        VirtualAlloc(base + 2 * PAGE_SIZE, PAGE_SIZE, MEM_COMMIT, PAGE_READONLY);
        const faults = [
          ntError(() => readU8(base)), // reserved
          ntError(() => readU8(base + PAGE_SIZE)), // PAGE_NOACCESS
          ntError(() => {
            writeU8(base + 2 * PAGE_SIZE + 1, 0); // PAGE_READONLY
          }),
          ntError(() => readU8(base + 0x100000)), // free
        ].map((e) => [e.status, e.address, e.write]);
        return { faults, readOnlyReads: readU32(base + 2 * PAGE_SIZE), base };
      }),
    );
    expect(r.faults).to.deep.equal([
      [STATUS_ACCESS_VIOLATION, r.base, false],
      [STATUS_ACCESS_VIOLATION, r.base + PAGE_SIZE, false],
      [STATUS_ACCESS_VIOLATION, r.base + 2 * PAGE_SIZE + 1, true],
      [STATUS_ACCESS_VIOLATION, r.base + 0x100000, false],
    ]);
    expect(r.readOnlyReads).to.equal(0);
  });

  it("a guard page raises STATUS_GUARD_PAGE_VIOLATION once, then behaves as its base protection", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const guard = base + PAGE_SIZE;
        const old = base;
        VirtualProtect(guard, PAGE_SIZE, PAGE_READONLY | PAGE_GUARD, old);
        const first = ntError(() => readU32(guard + 8));
        const second = readU32(guard + 8);
        // Now an ordinary read-only page: a write is an access violation, not another guard fault.
        const write = ntError(() => {
          writeU32(guard, 1);
        });
        VirtualQuery(guard, base, SIZEOF_MEMORY_BASIC_INFORMATION);
        const info = readMemoryBasicInformation(base);
        return {
          first: [first.status, first.address],
          second,
          write: write.status,
          protect: info.Protect,
          guard,
        };
      }),
    );
    expect(r.first).to.deep.equal([STATUS_GUARD_PAGE_VIOLATION, r.guard + 8]);
    expect(r.second).to.equal(0);
    expect(r.write).to.equal(STATUS_ACCESS_VIOLATION);
    expect(r.protect).to.equal(PAGE_READONLY);
  });

  it("a copy that runs into a guard page stops there with STATUS_GUARD_PAGE_VIOLATION, the pages before it written", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        VirtualProtect(base + PAGE_SIZE, PAGE_SIZE, PAGE_READWRITE | PAGE_GUARD, base);
        const e = ntError(() => {
          writeBytes(base + PAGE_SIZE - 4, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
        });
        const head = Array.from(readBytes(base + PAGE_SIZE - 4, 4));
        // The guard has fired: the same write now goes through.
        writeBytes(base + PAGE_SIZE - 4, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
        return {
          status: e.status,
          address: e.address,
          head,
          all: Array.from(readBytes(base + PAGE_SIZE - 4, 8)),
          base,
        };
      }),
    );
    expect([r.status, r.address]).to.deep.equal([STATUS_GUARD_PAGE_VIOLATION, r.base + PAGE_SIZE]);
    expect(r.head).to.deep.equal([1, 2, 3, 4]);
    expect(r.all).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("MMU: values and strings", () => {
  it("32-bit and 16-bit values straddling a page boundary read and write both pages, little-endian", () => {
    const m = newMachine();
    const { space, thread } = idleProcess(m);
    const r = space.allocate(0, 2 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
    // Commit the second page first so the two pages are not backed by consecutive frames.
    space.allocate(r.base + PAGE_SIZE, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
    space.allocate(r.base, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
    expect(m.mmu.frameOf(space.table, r.base + PAGE_SIZE)).to.not.equal(
      m.mmu.frameOf(space.table, r.base) + 1,
    );
    const edge = r.base + PAGE_SIZE;
    asThread(m, thread, () => {
      for (const off of [1, 2, 3]) {
        const value = (0x11223344 * off) >>> 0;
        m.mmu.writeU32(edge - off, value);
        expect(m.mmu.readU32(edge - off), `offset ${off}`).to.equal(value);
        const bytes = Array.from(m.mmu.debugRead(space.table, edge - off, 4) ?? []);
        expect(bytes).to.deep.equal([
          value & 0xff,
          (value >>> 8) & 0xff,
          (value >>> 16) & 0xff,
          value >>> 24,
        ]);
      }
      m.mmu.writeU16(edge - 1, 0xbeef);
      expect(m.mmu.readU16(edge - 1)).to.equal(0xbeef);
      expect([m.mmu.readU8(edge - 1), m.mmu.readU8(edge)]).to.deep.equal([0xef, 0xbe]);
      // edge-2 is left from the offset-3 store, edge+1 from the offset-2 one.
      expect(Array.from(m.mmu.readBytes(edge - 2, 4))).to.deep.equal([0x99, 0xef, 0xbe, 0x22]);
    });
  });

  it("a store straddling into a page it may not write faults before writing either page", () => {
    const m = newMachine();
    const { space, thread } = idleProcess(m);
    const r = space.allocate(0, 3 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
    space.allocate(r.base, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
    space.allocate(r.base + PAGE_SIZE, PAGE_SIZE, MEM_COMMIT, PAGE_READONLY);
    const edge = r.base + PAGE_SIZE;
    asThread(m, thread, () => {
      m.mmu.writeU32(edge - 4, 0xaaaaaaaa);
      const e32 = ntError(() => {
        m.mmu.writeU32(edge - 2, 0x12345678);
      });
      const e16 = ntError(() => {
        m.mmu.writeU16(edge - 1, 0x1234);
      });
      for (const e of [e32, e16]) {
        expect(e.status).to.equal(STATUS_ACCESS_VIOLATION);
        expect(e.write).to.equal(true);
        expect(e.address).to.be.within(edge, edge + 3);
      }
      expect(m.mmu.readU32(edge - 4)).to.equal(0xaaaaaaaa);
      expect(m.mmu.readU32(edge)).to.equal(0);
      // A load straddling into a reserved page faults as well.
      expect(ntError(() => m.mmu.readU32(edge + PAGE_SIZE - 2)).status).to.equal(
        STATUS_ACCESS_VIOLATION,
      );
    });
  });

  it("an ANSI string round-trips through memory across a page boundary, for every 8-bit character", async () => {
    const m = newMachine();
    let all = "";
    for (let c = 1; c < 256; c++) all += String.fromCharCode(c);
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const at = base + PAGE_SIZE - 100;
        writeAnsiString(at, all);
        const back = readAnsiString(at);
        const nul = readU8(at + all.length);
        writeAnsiString(at, "abc\0def");
        return { back, nul, cut: readAnsiString(at), limited: readAnsiString(at + 1, 1) };
      }),
    );
    expect(r.back.length).to.equal(255);
    expect(r.back).to.equal(all);
    expect(r.nul).to.equal(0);
    expect(r.cut).to.equal("abc");
    expect(r.limited).to.equal("b");
  });

  it("a UTF-16 string round-trips through memory across a page boundary, surrogate pairs included", async () => {
    const m = newMachine();
    const text = "Gr\u00fc\u00dfe \u65e5\u672c\u8a9e \ud83d\ude00 \u20ac";
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        // An odd address, so the low surrogate (character 11) straddles the page boundary.
        const at = base + PAGE_SIZE - 23;
        writeWideString(at, text);
        return {
          back: readWideString(at),
          nul: readU16(at + 2 * text.length),
          low: readU16(base + PAGE_SIZE - 1),
        };
      }),
    );
    expect(r.back).to.equal(text);
    expect(r.nul).to.equal(0);
    expect(r.low).to.equal(0xde00);
  });

  it("reading a string that runs into an inaccessible page without a NUL is STATUS_ACCESS_VIOLATION, not a hang", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
        VirtualAlloc(base, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
        RtlFillMemory(base, PAGE_SIZE, 0x41);
        return [
          ntError(() => readAnsiString(base + 10)).address,
          ntError(() => readWideString(base + 10)).address,
          base,
        ];
      }),
    );
    expect(r).to.deep.equal([r[2]! + PAGE_SIZE, r[2]! + PAGE_SIZE, r[2]]);
  });
});

describe("MMU: copies", () => {
  it("RtlCopyMemory counts bytes copied; plain loads and stores do not", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const src = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, "Src ");
        const dst = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, "Dst ");
        const c0 = m.bytesCopied;
        const pattern = new Uint8Array(10000).map((_, i) => (i * 7 + 3) & 0xff);
        writeBytes(src + 100, pattern);
        writeU32(dst, 1);
        writeU16(dst + 4, 2);
        writeU8(dst + 6, 3);
        readU32(src);
        readBytes(src, 3 * PAGE_SIZE);
        RtlZeroMemory(dst + 8, 100);
        RtlFillMemory(dst + 8, 100, 0xcc);
        RtlCompareMemory(src, dst, 64);
        writeAnsiString(dst + 200, "plain stores");
        readAnsiString(dst + 200);
        const c1 = m.bytesCopied;
        RtlCopyMemory(dst + 1, src + 100, 10000);
        const c2 = m.bytesCopied;
        const same = RtlCompareMemory(dst + 1, src + 100, 10000);
        RtlCopyMemory(dst, src, 0);
        return { c0, c1, c2, same, c3: m.bytesCopied, copied: readBytes(dst + 1, 10000), pattern };
      }),
    );
    expect(r.c1).to.equal(r.c0);
    expect(r.c2 - r.c1).to.equal(10000);
    expect(r.c3).to.equal(r.c2);
    expect(r.same).to.equal(10000);
    expect(Buffer.from(r.copied).equals(Buffer.from(r.pattern))).to.equal(true);
  });

  it("RtlMoveMemory copies overlapping ranges as memmove does, in both directions, and counts them", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const p = ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, "Move");
        const data = new Uint8Array(6000).map((_, i) => i % 251);
        writeBytes(p, data);
        const c0 = m.bytesCopied;
        RtlMoveMemory(p + 1000, p, 6000 - 1000); // forward overlap
        const forward = readBytes(p + 1000, 5000);
        writeBytes(p, data);
        RtlMoveMemory(p, p + 1000, 5000); // backward overlap
        const backward = readBytes(p, 5000);
        return { forward, backward, data, counted: m.bytesCopied - c0 };
      }),
    );
    expect(Buffer.from(r.forward).equals(Buffer.from(r.data.subarray(0, 5000)))).to.equal(true);
    expect(Buffer.from(r.backward).equals(Buffer.from(r.data.subarray(1000, 6000)))).to.equal(true);
    expect(r.counted).to.equal(10000);
  });

  it("debugRead sees committed pages whatever their protection, and null for anything unmapped", () => {
    const m = newMachine();
    const { space, thread } = idleProcess(m);
    const r = space.allocate(0, 2 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
    space.allocate(r.base, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
    asThread(m, thread, () => {
      m.mmu.writeU32(r.base, 0x01020304);
    });
    space.protect(r.base, PAGE_SIZE, PAGE_NOACCESS);
    expect(Array.from(m.mmu.debugRead(space.table, r.base, 4) ?? [])).to.deep.equal([4, 3, 2, 1]);
    expect(m.mmu.debugRead(space.table, r.base + PAGE_SIZE - 2, 4)).to.equal(null);
    expect(m.mmu.debugRead(null, UNMAPPED_SYSTEM, 1)).to.equal(null);
    expect(m.halted).to.equal(null);
  });
});

describe("MMU: bad pointers and probes", () => {
  const badAddresses = [Number.NaN, -4, 65536.5, 2 ** 32, Infinity];

  /** Every accessor with one bad address; each must raise STATUS_ACCESS_VIOLATION. */
  function everyAccessor(ptr: number, good: number): (() => unknown)[] {
    return [
      () => readU8(ptr),
      () => readU16(ptr),
      () => readU32(ptr),
      () => {
        writeU8(ptr, 1);
      },
      () => {
        writeU16(ptr, 1);
      },
      () => {
        writeU32(ptr, 1);
      },
      () => readBytes(ptr, 8),
      () => {
        writeBytes(ptr, new Uint8Array(8));
      },
      () => readAnsiString(ptr),
      () => {
        writeWideString(ptr, "x");
      },
      () => {
        RtlCopyMemory(good, ptr, 8);
      },
      () => {
        RtlCopyMemory(ptr, good, 8);
      },
      () => {
        RtlZeroMemory(ptr, 8);
      },
      () => RtlCompareMemory(ptr, good, 8),
    ];
  }

  /** A valid address with every bad length; each must raise STATUS_ACCESS_VIOLATION. */
  function everyLength(good: number): (() => unknown)[] {
    const out: (() => unknown)[] = [];
    for (const len of [-1, Number.NaN, 1.5, -Infinity]) {
      out.push(
        () => readBytes(good, len),
        () => {
          RtlCopyMemory(good + 64, good, len);
        },
        () => {
          RtlMoveMemory(good + 4, good, len);
        },
        () => {
          RtlFillMemory(good, len, 0);
        },
        () => RtlCompareMemory(good, good + 64, len),
      );
    }
    return out;
  }

  function check(calls: (() => unknown)[]): string[] {
    const wrong: string[] = [];
    calls.forEach((call, i) => {
      try {
        call();
        wrong.push(`#${i}: no exception`);
      } catch (e) {
        if (!(e instanceof NtStatusError) || e.status !== STATUS_ACCESS_VIOLATION)
          wrong.push(`#${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    });
    return wrong;
  }

  it("bad pointers (NaN, negative, fractional, past 4 GB) raise STATUS_ACCESS_VIOLATION in user mode, never a TypeError", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const good = VirtualAlloc(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        return badAddresses.flatMap((bad) =>
          check(everyAccessor(bad, good)).map((w) => `${bad}: ${w}`),
        );
      }),
    );
    expect(r).to.deep.equal([]);
  });

  it("bad pointers raise STATUS_ACCESS_VIOLATION in kernel mode too, and leave the machine running", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const good = ExAllocatePoolWithTag(NonPagedPool, 256, "Good");
        return badAddresses.flatMap((bad) =>
          check(everyAccessor(bad, good)).map((w) => `${bad}: ${w}`),
        );
      }),
    );
    expect(r).to.deep.equal([]);
    expect(m.halted).to.equal(null);
  });

  it("bad lengths (negative, NaN, fractional) raise STATUS_ACCESS_VIOLATION, never a RangeError", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const good = VirtualAlloc(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        return check(everyLength(good));
      }),
    );
    expect(r).to.deep.equal([]);
  });

  it("Win32 calls given bad pointers fail with an error code instead of throwing", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const out: [string, number, number][] = [];
        for (const bad of badAddresses) {
          out.push([
            "VirtualQuery",
            VirtualQuery(0x10000, bad, SIZEOF_MEMORY_BASIC_INFORMATION),
            GetLastError(),
          ]);
          out.push([
            "VirtualAlloc",
            VirtualAlloc(bad, PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE),
            GetLastError(),
          ]);
        }
        return out;
      }),
    );
    const expected = {
      VirtualQuery: 998 /* ERROR_NOACCESS */,
      VirtualAlloc: 87 /* ERROR_INVALID_PARAMETER */,
    };
    for (const [api, value, error] of r) {
      expect(value, api).to.equal(0);
      expect(error, api).to.equal(expected[api as keyof typeof expected]);
    }
  });

  it("ProbeForRead raises STATUS_DATATYPE_MISALIGNMENT for a misaligned address and STATUS_ACCESS_VIOLATION for a range reaching MM_USER_PROBE_ADDRESS", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        ProbeForRead(0x00400000, 16, 4); // unmapped but in user space: the probe does not touch it
        ProbeForRead(MM_USER_PROBE_ADDRESS - 4, 4, 4);
        ProbeForRead(0x80000000, 0, 4); // a zero length checks nothing
        return [
          ntError(() => {
            ProbeForRead(0x00400002, 16, 4);
          }).status,
          ntError(() => {
            ProbeForRead(MM_USER_PROBE_ADDRESS - 4, 5, 1);
          }).status,
          ntError(() => {
            ProbeForRead(0x81000000, 4, 4);
          }).status,
          ntError(() => {
            ProbeForRead(0xfffffff0, 0x20, 1); // wraps
          }).status,
        ];
      }),
    );
    expect(r).to.deep.equal([
      STATUS_DATATYPE_MISALIGNMENT,
      STATUS_ACCESS_VIOLATION,
      STATUS_ACCESS_VIOLATION,
      STATUS_ACCESS_VIOLATION,
    ]);
  });

  it("ProbeForRead and ProbeForWrite of a negative address raise STATUS_ACCESS_VIOLATION (as a ULONG_PTR it is in system space)", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => [
        ntError(() => {
          ProbeForRead(-4, 4, 1);
        }),
        ntError(() => {
          ProbeForWrite(-4096, 4, 4);
        }),
        ntError(() => {
          ProbeForRead(Number.NaN, 4, 1);
        }),
      ]),
    );
    for (const e of r) expect(e.status).to.equal(STATUS_ACCESS_VIOLATION);
  });

  it("ProbeForWrite raises STATUS_ACCESS_VIOLATION at a read-only page and leaves writable memory as it was", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, () => {
        const { process, space } = idleProcess(m, "probed.exe");
        const base = space.allocate(
          0,
          3 * PAGE_SIZE,
          MEM_RESERVE | MEM_COMMIT,
          PAGE_READWRITE,
        ).base;
        space.protect(base + 2 * PAGE_SIZE, PAGE_SIZE, PAGE_READONLY);
        const apc = new KAPC_STATE();
        KeStackAttachProcess(process, apc);
        writeU32(base + 100, 0x600d);
        ProbeForWrite(base, 2 * PAGE_SIZE, 4);
        const kept = readU32(base + 100);
        const e = ntError(() => {
          ProbeForWrite(base + PAGE_SIZE, 2 * PAGE_SIZE, 4);
        });
        KeUnstackDetachProcess(apc);
        return { kept, status: e.status, address: e.address, base };
      }),
    );
    expect(r.kept).to.equal(0x600d);
    expect(r.status).to.equal(STATUS_ACCESS_VIOLATION);
    expect(r.address).to.equal(r.base + 2 * PAGE_SIZE);
  });
});

describe("MMU: exception classes", () => {
  it("a bug check is not an NtStatusError, so driver __except handlers cannot swallow one", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => readU8(UNMAPPED_SYSTEM));
    expect(ran.error).to.be.instanceOf(BugCheckError);
    expect(ran.error).to.not.be.instanceOf(NtStatusError);
  });
});
