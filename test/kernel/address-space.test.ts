/**
 * A process's user address space: NtAllocateVirtualMemory, NtFreeVirtualMemory,
 * NtProtectVirtualMemory and NtQueryVirtualMemory, and the Win32 calls over them. The rules and
 * status codes are those of research notes §9 (ReactOS ARM3 virtual.c, Learn VirtualAlloc/Free).
 */
import { expect } from "chai";
import {
  ALLOCATION_GRANULARITY,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_TOP_DOWN,
  MM_HIGHEST_USER_ADDRESS,
} from "../../kernel/memory-constants.js";
import { PAGE_SIZE } from "../../kernel/physical-memory.js";
import {
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
} from "../../kernel/pte.js";
import {
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_2,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_5,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NO_MEMORY,
  STATUS_NOT_COMMITTED,
  STATUS_SUCCESS,
  STATUS_UNABLE_TO_FREE_VM,
} from "../../kernel/status.js";
import {
  ERROR_BAD_LENGTH,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  ERROR_NOACCESS,
  ERROR_NOT_ENOUGH_MEMORY,
  GetLastError,
  GetProcessHeap,
  HeapAlloc,
  HeapFree,
  SIZEOF_MEMORY_BASIC_INFORMATION,
  SetLastError,
  VirtualAlloc,
  VirtualFree,
  VirtualProtect,
  VirtualQuery,
  readMemoryBasicInformation,
  readU32,
  writeU32,
} from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { asThread, idleProcess } from "./memory-helpers.js";

const KB = 1024;
const MB = 1024 * KB;

function fresh(memoryBytes = 64 * MB) {
  const m = newMachine({ memoryBytes });
  return { m, ...idleProcess(m) };
}

describe("user address space: NtAllocateVirtualMemory", () => {
  it("NtAllocateVirtualMemory rounds a reservation's base down to 64 KB and its end up to a page", () => {
    const { space } = fresh();
    const r = space.allocate(0x00123456, 0x2000, MEM_RESERVE, PAGE_READWRITE);
    expect(r.status).to.equal(STATUS_SUCCESS);
    expect(r.base).to.equal(0x00120000);
    // End = (0x123456 + 0x2000 - 1) | 0xFFF = 0x125FFF, so the region is 0x120000..0x125FFF.
    expect(r.size).to.equal(0x6000);
    expect(space.regions()).to.have.length(1);
    const q = space.query(0x00125fff).info;
    expect(q?.State).to.equal(MEM_RESERVE);
    expect(q?.AllocationBase).to.equal(0x00120000);
    expect(space.query(0x00126000).info?.State).to.equal(MEM_FREE);
  });

  it("a NULL base reserves bottom-up on 64 KB boundaries, and top-down with MEM_TOP_DOWN", () => {
    const { space } = fresh();
    const a = space.allocate(0, 0x1800, MEM_RESERVE, PAGE_READWRITE);
    const b = space.allocate(0, 0x1000, MEM_RESERVE, PAGE_READWRITE);
    expect([a.base, a.size]).to.deep.equal([0x00010000, 0x2000]);
    // The second cannot share a's 64 KB granule even though a leaves most of it unused.
    expect(b.base).to.equal(0x00020000);
    const top = space.allocate(0, 0x1000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    expect(top.status).to.equal(STATUS_SUCCESS);
    expect(top.base % ALLOCATION_GRANULARITY).to.equal(0);
    expect(top.base).to.be.above(0x70000000);
    expect(top.base + top.size - 1).to.be.at.most(MM_HIGHEST_USER_ADDRESS);
  });

  it("reserving over an existing reservation is STATUS_CONFLICTING_ADDRESSES", () => {
    const { space } = fresh();
    expect(space.allocate(0x00200000, 0x20000, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_SUCCESS,
    );
    // Inside, overlapping the start, and a base that rounds down into it.
    expect(space.allocate(0x00210000, 0x1000, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    expect(space.allocate(0x001f0000, 0x20000, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    expect(space.allocate(0x0021ffff, 0x10, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    expect(space.regions()).to.have.length(1);
    // Adjacent is fine.
    expect(space.allocate(0x00220000, 0x1000, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_SUCCESS,
    );
  });

  it("committing outside any reservation is STATUS_CONFLICTING_ADDRESSES", () => {
    const { m, space } = fresh();
    const used = m.physical.usedFrames;
    expect(space.allocate(0x00300000, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    const r = space.allocate(0x00400000, 0x4000, MEM_RESERVE, PAGE_READWRITE);
    // A commit that runs past the reservation's end is refused too, and commits nothing.
    expect(space.allocate(0x00402000, 0x3000, MEM_COMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    expect(space.committed).to.equal(0);
    expect(m.physical.usedFrames).to.equal(used);
    expect(space.allocate(r.base, 0x4000, MEM_COMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_SUCCESS,
    );
    expect(space.committed).to.equal(4);
  });

  it("a commit covers every page holding a byte of the range: start rounds down, end rounds up", () => {
    const { space } = fresh();
    space.allocate(0x00500000, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const one = space.allocate(0x00501234, 0x10, MEM_COMMIT, PAGE_READWRITE);
    expect([one.status, one.base, one.size]).to.deep.equal([STATUS_SUCCESS, 0x00501000, 0x1000]);
    const two = space.allocate(0x00503fff, 2, MEM_COMMIT, PAGE_READWRITE);
    expect([two.base, two.size]).to.deep.equal([0x00503000, 0x2000]);
    expect(space.committed).to.equal(3);
    expect(space.query(0x00504000).info?.State).to.equal(MEM_COMMIT);
    expect(space.query(0x00505000).info?.State).to.equal(MEM_RESERVE);
  });

  it("committing already-committed pages succeeds, keeps their contents and applies the new protection", () => {
    const { m, space, thread } = fresh();
    const r = space.allocate(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    asThread(m, thread, () => {
      m.mmu.writeU32(r.base + 8, 0xfeedface);
    });
    const frame = m.mmu.frameOf(space.table, r.base);
    const used = m.physical.usedFrames;
    expect(space.allocate(r.base, 0x2000, MEM_COMMIT, PAGE_READONLY).status).to.equal(
      STATUS_SUCCESS,
    );
    expect(m.physical.usedFrames).to.equal(used);
    expect(m.mmu.frameOf(space.table, r.base)).to.equal(frame);
    expect(space.query(r.base).info?.Protect).to.equal(PAGE_READONLY);
    expect(asThread(m, thread, () => m.mmu.readU32(r.base + 8))).to.equal(0xfeedface);
  });

  it("PAGE_WRITECOPY is refused for private memory: STATUS_INVALID_PAGE_PROTECTION to reserve or commit", () => {
    const { space } = fresh();
    for (const p of [PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY]) {
      expect(space.allocate(0, PAGE_SIZE, MEM_RESERVE, p).status).to.equal(
        STATUS_INVALID_PAGE_PROTECTION,
      );
      expect(space.allocate(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, p).status).to.equal(
        STATUS_INVALID_PAGE_PROTECTION,
      );
    }
    const r = space.allocate(0, PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
    expect(space.allocate(r.base, PAGE_SIZE, MEM_COMMIT, PAGE_WRITECOPY).status).to.equal(
      STATUS_INVALID_PAGE_PROTECTION,
    );
    expect(space.committed).to.equal(0);
    expect(space.regions()).to.have.length(1);
  });

  it("a protection that is not one base value with optional modifiers is STATUS_INVALID_PAGE_PROTECTION", () => {
    const { space } = fresh();
    for (const p of [
      0,
      PAGE_READONLY | PAGE_READWRITE,
      PAGE_NOACCESS | PAGE_GUARD,
      0x800 | PAGE_READWRITE,
      PAGE_READWRITE | 0x200 | 0x400,
    ]) {
      expect(
        space.allocate(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, p).status,
        `protect 0x${p.toString(16)}`,
      ).to.equal(STATUS_INVALID_PAGE_PROTECTION);
    }
    expect(space.regions()).to.have.length(0);
  });

  it("an allocation type without MEM_COMMIT or MEM_RESERVE, or with unknown bits, is STATUS_INVALID_PARAMETER_5", () => {
    const { space } = fresh();
    expect(space.allocate(0, PAGE_SIZE, 0, PAGE_READWRITE).status).to.equal(
      STATUS_INVALID_PARAMETER_5,
    );
    expect(space.allocate(0, PAGE_SIZE, MEM_TOP_DOWN, PAGE_READWRITE).status).to.equal(
      STATUS_INVALID_PARAMETER_5,
    );
    expect(space.allocate(0, PAGE_SIZE, MEM_COMMIT | MEM_DECOMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_INVALID_PARAMETER_5,
    );
  });

  it("a size of 0 is STATUS_INVALID_PARAMETER_4, and a base above the highest user address is STATUS_INVALID_PARAMETER_2", () => {
    const { space } = fresh();
    expect(space.allocate(0, 0, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_INVALID_PARAMETER_4,
    );
    expect(space.allocate(0x80000000, PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE).status).to.equal(
      STATUS_INVALID_PARAMETER_2,
    );
    // A range running past the highest user address is a bad size.
    expect(
      space.allocate(0x7fff0000 - PAGE_SIZE, 2 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE).status,
    ).to.equal(STATUS_INVALID_PARAMETER_4);
    expect(space.regions()).to.have.length(0);
  });

  it("out-of-memory commit returns STATUS_NO_MEMORY and leaves no reservation behind", () => {
    const { m, space } = fresh(1 * MB);
    const used = m.physical.usedFrames;
    const r = space.allocate(0, 2 * MB, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(r.status).to.equal(STATUS_NO_MEMORY);
    expect(r.base).to.equal(0);
    expect(space.regions()).to.have.length(0);
    expect(space.query(0x00010000).info?.State).to.equal(MEM_FREE);
    expect(m.physical.usedFrames).to.equal(used);
    // The space is still usable.
    expect(space.allocate(0, 64 * KB, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_SUCCESS,
    );
  });

  it("a commit that cannot get its frames commits none of them and keeps the reservation", () => {
    const { m, space } = fresh(1 * MB);
    const r = space.allocate(0, 2 * MB, MEM_RESERVE, PAGE_READWRITE);
    expect(r.status).to.equal(STATUS_SUCCESS);
    space.allocate(r.base, 2 * PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
    const used = m.physical.usedFrames;
    expect(space.allocate(r.base, 2 * MB, MEM_COMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_NO_MEMORY,
    );
    expect(space.committed).to.equal(2);
    expect(m.physical.usedFrames).to.equal(used);
    expect(space.query(r.base).info?.RegionSize).to.equal(2 * PAGE_SIZE);
    expect(space.query(r.base + 2 * PAGE_SIZE).info?.State).to.equal(MEM_RESERVE);
  });
});

describe("user address space: NtFreeVirtualMemory", () => {
  it("freeing or decommitting memory that was never allocated is STATUS_MEMORY_NOT_ALLOCATED", () => {
    const { space } = fresh();
    expect(space.free(0x00600000, 0, MEM_RELEASE).status).to.equal(STATUS_MEMORY_NOT_ALLOCATED);
    expect(space.free(0x00600000, PAGE_SIZE, MEM_DECOMMIT).status).to.equal(
      STATUS_MEMORY_NOT_ALLOCATED,
    );
  });

  it("MEM_RELEASE must name the reservation's base, else STATUS_FREE_VM_NOT_AT_BASE", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x8000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(space.free(r.base + PAGE_SIZE, 0, MEM_RELEASE).status).to.equal(
      STATUS_FREE_VM_NOT_AT_BASE,
    );
    expect(space.committed).to.equal(8);
    const done = space.free(r.base, 0, MEM_RELEASE);
    expect([done.status, done.base, done.size]).to.deep.equal([STATUS_SUCCESS, r.base, 0x8000]);
    expect(space.committed).to.equal(0);
    expect(space.regions()).to.have.length(0);
  });

  it("MEM_DECOMMIT with size 0 decommits the whole reservation and must name its base", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x8000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(space.free(r.base + PAGE_SIZE, 0, MEM_DECOMMIT).status).to.equal(
      STATUS_FREE_VM_NOT_AT_BASE,
    );
    expect(space.committed).to.equal(8);
    expect(space.free(r.base, 0, MEM_DECOMMIT).status).to.equal(STATUS_SUCCESS);
    expect(space.committed).to.equal(0);
    // Decommitted, not released.
    expect(space.query(r.base).info?.State).to.equal(MEM_RESERVE);
    expect(space.query(r.base).info?.RegionSize).to.equal(0x8000);
  });

  it("decommitting past the end of a reservation is STATUS_UNABLE_TO_FREE_VM", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(space.free(r.base + 0x2000, 0x3000, MEM_DECOMMIT).status).to.equal(
      STATUS_UNABLE_TO_FREE_VM,
    );
    expect(space.committed).to.equal(4);
  });

  it("decommitting pages that are only reserved is not an error", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x4000, MEM_RESERVE, PAGE_READWRITE);
    space.allocate(r.base + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    const d = space.free(r.base + 0x0800, 0x3000, MEM_DECOMMIT);
    // The range rounds out to whole pages: 0x0000..0x3FFF of the reservation.
    expect([d.status, d.base, d.size]).to.deep.equal([STATUS_SUCCESS, r.base, 0x4000]);
    expect(space.committed).to.equal(0);
  });

  it("a free type other than exactly MEM_DECOMMIT or MEM_RELEASE is STATUS_INVALID_PARAMETER_4", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(space.free(r.base, 0, MEM_DECOMMIT | MEM_RELEASE).status).to.equal(
      STATUS_INVALID_PARAMETER_4,
    );
    expect(space.free(r.base, 0, 0).status).to.equal(STATUS_INVALID_PARAMETER_4);
    expect(space.committed).to.equal(4);
  });
});

describe("user address space: NtProtectVirtualMemory", () => {
  it("NtProtectVirtualMemory returns the old protection of the first page and changes every page", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    space.allocate(r.base + 0x1000, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READ);
    const p = space.protect(r.base + 0x10, 0x2800, PAGE_READONLY);
    expect(p.status).to.equal(STATUS_SUCCESS);
    expect(p.oldProtect).to.equal(PAGE_READWRITE);
    expect([p.base, p.size]).to.deep.equal([r.base, 0x3000]);
    expect(space.query(r.base).info?.RegionSize).to.equal(0x3000);
    expect(space.query(r.base).info?.Protect).to.equal(PAGE_READONLY);
    // The old protection keeps its PAGE_GUARD modifier.
    space.protect(r.base, PAGE_SIZE, PAGE_READWRITE | PAGE_GUARD);
    expect(space.protect(r.base, PAGE_SIZE, PAGE_READWRITE).oldProtect).to.equal(
      PAGE_READWRITE | PAGE_GUARD,
    );
  });

  it("protecting a range with any page only reserved is STATUS_NOT_COMMITTED and changes nothing", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x3000, MEM_RESERVE, PAGE_READWRITE);
    space.allocate(r.base, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    expect(space.protect(r.base, 0x3000, PAGE_READONLY).status).to.equal(STATUS_NOT_COMMITTED);
    expect(space.protect(r.base + 0x2000, 0x1000, PAGE_READONLY).status).to.equal(
      STATUS_NOT_COMMITTED,
    );
    expect(space.query(r.base).info?.Protect).to.equal(PAGE_READWRITE);
    expect(space.query(r.base).info?.RegionSize).to.equal(0x2000);
  });

  it("protecting outside any reservation, or past its end, is STATUS_CONFLICTING_ADDRESSES", () => {
    const { space } = fresh();
    expect(space.protect(0x00700000, PAGE_SIZE, PAGE_READONLY).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    const r = space.allocate(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(space.protect(r.base, 0x3000, PAGE_READONLY).status).to.equal(
      STATUS_CONFLICTING_ADDRESSES,
    );
    expect(space.query(r.base).info?.Protect).to.equal(PAGE_READWRITE);
  });

  it("PAGE_WRITECOPY on private memory is STATUS_INVALID_PARAMETER_4, and size 0 is STATUS_INVALID_PARAMETER_3", () => {
    const { space } = fresh();
    const r = space.allocate(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(space.protect(r.base, PAGE_SIZE, PAGE_WRITECOPY).status).to.equal(
      STATUS_INVALID_PARAMETER_4,
    );
    expect(space.protect(r.base, PAGE_SIZE, PAGE_EXECUTE_WRITECOPY).status).to.equal(
      STATUS_INVALID_PARAMETER_4,
    );
    expect(space.protect(r.base, 0, PAGE_READONLY).status).to.equal(STATUS_INVALID_PARAMETER_3);
    expect(space.protect(r.base, PAGE_SIZE, 0x3).status).to.equal(STATUS_INVALID_PAGE_PROTECTION);
    expect(space.query(r.base).info?.Protect).to.equal(PAGE_READWRITE);
  });
});

describe("user address space: NtQueryVirtualMemory", () => {
  it("NtQueryVirtualMemory reports MEM_FREE up to the next reservation, then MEM_RESERVE and MEM_COMMIT runs with their RegionSize", () => {
    const { space } = fresh();
    const r = space.allocate(0x00800000, 0x10000, MEM_RESERVE, PAGE_READONLY);
    space.allocate(0x00802000, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    space.allocate(0x00805000, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READ);

    const free = space.query(0x00400123).info;
    expect(free).to.deep.equal({
      BaseAddress: 0x00400000,
      AllocationBase: 0,
      AllocationProtect: 0,
      RegionSize: 0x00400000,
      State: MEM_FREE,
      Protect: PAGE_NOACCESS,
      Type: 0,
    });

    const reserved = space.query(r.base + 0x10).info;
    expect(reserved).to.deep.equal({
      BaseAddress: r.base,
      AllocationBase: r.base,
      AllocationProtect: PAGE_READONLY,
      RegionSize: 0x2000,
      State: MEM_RESERVE,
      Protect: 0,
      Type: MEM_PRIVATE,
    });

    const committed = space.query(0x00803abc).info;
    // From the queried page to the end of the run with the same state and protection.
    expect(committed).to.deep.equal({
      BaseAddress: 0x00803000,
      AllocationBase: r.base,
      AllocationProtect: PAGE_READONLY,
      RegionSize: 0x2000,
      State: MEM_COMMIT,
      Protect: PAGE_READWRITE,
      Type: MEM_PRIVATE,
    });

    expect(space.query(0x00805000).info?.Protect).to.equal(PAGE_EXECUTE_READ);
    expect(space.query(0x00805000).info?.RegionSize).to.equal(0x1000);
    // The last reserved run is clipped at the reservation's end.
    expect(space.query(0x00806000).info?.RegionSize).to.equal(0xa000);
    // Past the last reservation: free to the end of user space.
    expect(space.query(0x00810000).info?.RegionSize).to.equal(0x7fff0000 - 0x00810000);
  });

  it("querying above the highest user address is STATUS_INVALID_PARAMETER", () => {
    const { space } = fresh();
    expect(space.query(0x80000000).status).to.equal(STATUS_INVALID_PARAMETER);
    expect(space.query(Number.NaN).status).to.equal(STATUS_INVALID_PARAMETER);
  });
});

describe("Win32 virtual memory", () => {
  it("VirtualFree with MEM_RELEASE and a non-zero size fails with ERROR_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const refused = VirtualFree(base, 0x4000, MEM_RELEASE);
        const error = GetLastError();
        // Nothing was freed: the memory still works.
        writeU32(base, 7);
        const released = VirtualFree(base, 0, MEM_RELEASE);
        return { refused, error, released };
      }),
    );
    expect(r).to.deep.equal({ refused: false, error: ERROR_INVALID_PARAMETER, released: true });
  });

  it("VirtualAlloc that cannot commit fails with ERROR_NOT_ENOUGH_MEMORY (STATUS_NO_MEMORY) and leaves no reservation behind", async () => {
    const m = newMachine({ memoryBytes: 1 * MB });
    const r = ok(
      await runApp(m, () => {
        const buf = VirtualAlloc(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const before = m.physical.usedFrames;
        const base = VirtualAlloc(0, 4 * MB, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const error = GetLastError();
        // The address it would have had is still free.
        const n = VirtualQuery(buf + 0x10000, buf, SIZEOF_MEMORY_BASIC_INFORMATION);
        const info = readMemoryBasicInformation(buf);
        return { base, error, n, info, before, after: m.physical.usedFrames };
      }),
    );
    expect(r.base).to.equal(0);
    expect(r.error).to.equal(ERROR_NOT_ENOUGH_MEMORY);
    expect(r.n).to.equal(SIZEOF_MEMORY_BASIC_INFORMATION);
    expect(r.info.State).to.equal(MEM_FREE);
    expect(r.after).to.equal(r.before);
  });

  it("VirtualProtect returns the old protection through lpflOldProtect", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const old = base + 0x1000;
        writeU32(old, 0xdeadbeef);
        const first = VirtualProtect(base, 0x1000, PAGE_READONLY, old);
        const firstOld = readU32(old);
        const second = VirtualProtect(base, 0x1000, PAGE_EXECUTE_READ, old);
        return { first, firstOld, second, secondOld: readU32(old) };
      }),
    );
    expect(r).to.deep.equal({
      first: true,
      firstOld: PAGE_READWRITE,
      second: true,
      secondOld: PAGE_READONLY,
    });
  });

  it("VirtualProtect on reserved pages fails with STATUS_NOT_COMMITTED (ERROR_INVALID_ADDRESS)", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const out = VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const base = VirtualAlloc(0, 0x2000, MEM_RESERVE, PAGE_READWRITE);
        writeU32(out, 0x1234);
        const done = VirtualProtect(base, 0x1000, PAGE_READONLY, out);
        return { done, error: GetLastError(), untouched: readU32(out) };
      }),
    );
    expect(r).to.deep.equal({ done: false, error: ERROR_INVALID_ADDRESS, untouched: 0x1234 });
  });

  it("VirtualProtect with an unwritable lpflOldProtect fails with ERROR_NOACCESS and changes nothing", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const base = VirtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        const results: [boolean, number][] = [];
        for (const bad of [0, 0x80001000, Number.NaN, base + 0x10000]) {
          SetLastError(0);
          results.push([VirtualProtect(base, 0x1000, PAGE_READONLY, bad), GetLastError()]);
        }
        writeU32(base, 1); // still writable
        return results;
      }),
    );
    for (const [done, error] of r) expect([done, error]).to.deep.equal([false, ERROR_NOACCESS]);
  });

  it("VirtualQuery fills a MEMORY_BASIC_INFORMATION and fails with ERROR_BAD_LENGTH when the buffer is too small", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const buf = VirtualAlloc(0, 0x1000, MEM_COMMIT, PAGE_READWRITE);
        const base = VirtualAlloc(0, 0x3000, MEM_RESERVE, PAGE_READONLY);
        VirtualAlloc(base + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
        const n = VirtualQuery(base + 0x1800, buf, SIZEOF_MEMORY_BASIC_INFORMATION);
        const info = readMemoryBasicInformation(buf);
        const short = VirtualQuery(base, buf, SIZEOF_MEMORY_BASIC_INFORMATION - 1);
        return { n, info, short, error: GetLastError(), base };
      }),
    );
    expect(r.n).to.equal(28);
    expect(r.info).to.deep.equal({
      BaseAddress: r.base + 0x1000,
      AllocationBase: r.base,
      RegionSize: 0x1000,
      State: MEM_COMMIT,
      Protect: PAGE_READWRITE,
      AllocationProtect: PAGE_READONLY,
      Type: MEM_PRIVATE,
    });
    expect([r.short, r.error]).to.deep.equal([0, ERROR_BAD_LENGTH]);
  });

  it("HeapAlloc of a size no heap can hold returns NULL with ERROR_NOT_ENOUGH_MEMORY, and the heap keeps working", async () => {
    const m = newMachine();
    const r = ok(
      await runApp(m, () => {
        const heap = GetProcessHeap();
        const a = HeapAlloc(heap, 0, 100);
        const failures: [number, number][] = [];
        // SIZE_T is unsigned: -1 is 0xFFFFFFFF; NaN and fractions are no size at all.
        for (const bad of [0xffffffff, -1, Number.NaN, 10.5, Infinity]) {
          SetLastError(0);
          failures.push([HeapAlloc(heap, 0, bad), GetLastError()]);
        }
        const b = HeapAlloc(heap, 0, 100);
        writeU32(b, 5);
        return { a, b, failures, freed: HeapFree(heap, 0, a) && HeapFree(heap, 0, b) };
      }),
    );
    for (const [p, error] of r.failures)
      expect([p, error]).to.deep.equal([0, ERROR_NOT_ENOUGH_MEMORY]);
    expect(Number.isInteger(r.b) && r.b > r.a).to.equal(true);
    expect(r.b - r.a).to.equal(112);
    expect(r.freed).to.equal(true);
  });
});
