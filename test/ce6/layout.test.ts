/**
 * CE 6.0's address layout (vmlayout.h; Learn "Memory Architecture", "Drivers and Process
 * Address Spaces"): per-process lower 2 GB, the shared heap, the static mapping of RAM, kernel
 * mode only above 0x80000000, 64 KB reservations, user reservations below 0x40000000.
 */
import { expect } from "chai";
import { CeMachine } from "../../ce6/index.js";
import {
  CeVirtualSharedAlloc,
  ERROR_INVALID_PARAMETER,
  GetLastError,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_NOACCESS,
  PAGE_READWRITE,
  Sleep,
  VirtualAlloc,
  VirtualAllocEx,
  readU32,
  writeU32,
} from "../../ce6/coredll.js";
import { checkOemAddressTable, physicalToStatic, staticToPhysical } from "../../ce6/oem-address-table.js";
import { Machine } from "../../kernel/machine.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { PAGE_SHIFT } from "../../kernel/physical-memory.js";
import { PTE_NOCACHE, PTE_USER } from "../../kernel/pte.js";
import { STATUS_ACCESS_VIOLATION } from "../../kernel/status.js";
import { ceMachine, ceOk, runCeApp, runCeKernel } from "./helpers.js";

const MB = 0x100000;

describe("CE 6.0 layout", () => {
  it("every process owns its lower 2 GB: the same address in two processes holds different pages", async () => {
    const ce = ceMachine();
    const seen: number[] = [];
    for (const [name, value] of [["a.exe", 0x1111], ["b.exe", 0x2222]] as const) {
      ceOk(
        await runCeApp(
          ce,
          () => {
            const p = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
            seen.push(p);
            writeU32(p, value);
            return readU32(p);
          },
          name,
        ),
      );
    }
    expect(seen[0]).to.equal(0x00010000);
    expect(seen[1]).to.equal(seen[0]);
  });

  it("user VirtualAlloc reservations start at 0x00010000, on 64 KB boundaries, in 4 KB pages", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeApp(ce, () => [VirtualAlloc(0, 4096, MEM_RESERVE, PAGE_NOACCESS), VirtualAlloc(0, 5000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE), VirtualAlloc(0, 0x20000, MEM_RESERVE, PAGE_NOACCESS)]),
    );
    expect(r).to.deep.equal([0x00010000, 0x00020000, 0x00030000]);
  });

  it("an explicit reservation base that is not on a 64 KB boundary fails with ERROR_INVALID_PARAMETER", async () => {
    const ce = ceMachine();
    const r = ceOk(await runCeApp(ce, () => [VirtualAlloc(0x00101000, 4096, MEM_RESERVE, PAGE_NOACCESS), GetLastError(), VirtualAlloc(0x00100000, 4096, MEM_RESERVE, PAGE_NOACCESS)]));
    expect(r).to.deep.equal([0, ERROR_INVALID_PARAMETER, 0x00100000]);
  });

  it("a user reservation that would pass 0x40000000 fails with ERROR_INVALID_PARAMETER", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeApp(ce, () => [
        VirtualAlloc(0, 0x40000000, MEM_RESERVE, PAGE_NOACCESS),
        GetLastError(),
        VirtualAlloc(0x3fff0000, 0x20000, MEM_RESERVE, PAGE_NOACCESS),
        GetLastError(),
        VirtualAlloc(0x3fff0000, 0x10000, MEM_RESERVE, PAGE_NOACCESS),
        VirtualAlloc(0x50000000, 0x10000, MEM_RESERVE, PAGE_NOACCESS),
        GetLastError(),
      ]),
    );
    expect(r).to.deep.equal([0, ERROR_INVALID_PARAMETER, 0, ERROR_INVALID_PARAMETER, 0x3fff0000, 0, ERROR_INVALID_PARAMETER]);
  });

  it("a kernel-mode caller reserving in an app with base 0 gets space in the app below 0x40000000", async () => {
    const ce = ceMachine();
    const app = ce.createProcess("app.exe", () => Sleep(100));
    let base = 0;
    ce.createKernelThread("driver", () => {
      base = VirtualAllocEx(ce.processId(app), 0, 32 * MB, MEM_RESERVE, PAGE_NOACCESS);
    });
    await ce.run();
    expect(base).to.be.within(0x00010000, 0x40000000 - 32 * MB);
    expect(ce.spaceOf(app)).to.equal(null);
  });

  it("0x80000000–0x9FFFFFFF maps RAM cached and 0xA0000000–0xBFFFFFFF the same frames uncached, kernel mode only", async () => {
    const ce = ceMachine();
    const table = ce.machine.system.table;
    const cached = table.get(0x80123000 >>> PAGE_SHIFT);
    const uncached = table.get(0xa0123000 >>> PAGE_SHIFT);
    expect(cached >>> PAGE_SHIFT).to.equal(0x123);
    expect(uncached >>> PAGE_SHIFT).to.equal(0x123);
    expect(cached & PTE_NOCACHE).to.equal(0);
    expect(uncached & PTE_NOCACHE).to.equal(PTE_NOCACHE);
    expect(cached & PTE_USER).to.equal(0);
    // Writing through one window is visible through the other.
    const v = ceOk(
      await runCeKernel(ce, () => {
        writeU32(0x80123000, 0xcafe);
        return readU32(0xa0123000);
      }),
    );
    expect(v).to.equal(0xcafe);
    // 64 MB of RAM: the static windows end where RAM ends.
    expect(table.get((0x80000000 + 64 * MB) >>> PAGE_SHIFT)).to.equal(0);
  });

  it("the static mapping is valid in kernel mode only: an app touching 0x80000000 gets an access violation", async () => {
    const ce = ceMachine();
    const r = await runCeApp(ce, () => readU32(0x80001000));
    expect(r.error).to.be.instanceOf(NtStatusError);
    expect((r.error as NtStatusError).status).to.equal(STATUS_ACCESS_VIOLATION);
  });

  it("the shared heap is in every process at 0x70000000: the kernel writes it, user mode only reads it", async () => {
    const ce = ceMachine();
    const heap = ceOk(
      await runCeKernel(ce, () => {
        const p = CeVirtualSharedAlloc(0, 4096, MEM_RESERVE | MEM_COMMIT);
        writeU32(p, 0x5ea);
        return p;
      }),
    );
    expect(heap).to.be.within(0x70000000, 0x7fefffff);
    for (const name of ["a.exe", "b.exe"]) {
      let writeError: unknown = null;
      const read = ceOk(
        await runCeApp(
          ce,
          () => {
            try {
              writeU32(heap, 1);
            } catch (e) {
              writeError = e;
            }
            return readU32(heap);
          },
          name,
        ),
      );
      expect(read).to.equal(0x5ea);
      expect(writeError).to.be.instanceOf(NtStatusError);
    }
  });

  it("the shared heap is the kernel's: an app cannot allocate there (ERROR_INVALID_PARAMETER), nor call CeVirtualSharedAlloc", async () => {
    const ce = ceMachine();
    const r = ceOk(await runCeApp(ce, () => [VirtualAlloc(0x70000000, 4096, MEM_RESERVE, PAGE_NOACCESS), GetLastError(), CeVirtualSharedAlloc(0, 4096, MEM_RESERVE), GetLastError()]));
    expect(r).to.deep.equal([0, ERROR_INVALID_PARAMETER, 0, 50]);
  });

  it("RAM withheld from the OS (a config.bib RESERVE region) is never handed to a process", async () => {
    const ce = ceMachine({ memoryBytes: 16 * MB, reservedRam: [{ physicalBase: 4 * MB, size: 4 * MB }] });
    const frames = new Set<number>();
    ceOk(
      await runCeApp(ce, () => {
        const p = VirtualAlloc(0, 8 * MB, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        const space = ce.spaceOf(ce.machine.currentThread().process);
        for (let off = 0; off < 8 * MB; off += 4096) frames.add(ce.machine.mmu.frameOf(space?.table ?? null, p + off));
      }),
    );
    for (const f of frames) expect(f < (4 * MB) >>> PAGE_SHIFT || f >= (8 * MB) >>> PAGE_SHIFT).to.equal(true);
  });

  it("the OEMAddressTable maps whole megabytes inside the cached window", () => {
    expect(() => { checkOemAddressTable([{ virtualBase: 0x80000000, physicalBase: 0, size: 0x1000 }]); }).to.throw(RangeError, /whole megabytes/);
    expect(() => { checkOemAddressTable([{ virtualBase: 0x9ff00000, physicalBase: 0, size: 2 * MB }]); }).to.throw(RangeError, /cached static window/);
    expect(() => { checkOemAddressTable([{ virtualBase: 0x80000000, physicalBase: 0, size: 2 * MB }, { virtualBase: 0x80100000, physicalBase: 0, size: MB }]); }).to.throw(RangeError, /overlaps/);
    // A device window mapped statically, next to RAM.
    const ce = ceMachine({ oemAddressTable: [{ virtualBase: 0x80000000, physicalBase: 0, size: 64 * MB }, { virtualBase: 0x9f000000, physicalBase: 0x48000000, size: MB }] });
    expect(ce.staticFrame(0x9f000000)).to.equal(0x48000);
  });

  it("static addresses translate to physical ones through the OEMAddressTable, in both windows", () => {
    const table = [{ virtualBase: 0x80000000, physicalBase: 0, size: 64 * MB }, { virtualBase: 0x9f000000, physicalBase: 0x48000000, size: MB }];
    expect(staticToPhysical(table, 0x81f00000)).to.equal(0x01f00000);
    expect(staticToPhysical(table, 0xa1f00000)).to.equal(0x01f00000);
    expect(staticToPhysical(table, 0xbf000010)).to.equal(0x48000010);
    expect(staticToPhysical(table, 0x85000000)).to.equal(-1);
    expect(physicalToStatic(table, 0x48000010)).to.equal(0x9f000010);
    expect(physicalToStatic(table, 0x50000000)).to.equal(-1);
  });

  it("a machine whose system space overlaps CE's static windows is refused", () => {
    expect(() => CeMachine.attach(new Machine({ memoryBytes: 64 * MB }))).to.throw(/ceMachineOptions/);
  });
});
