/**
 * VirtualAllocEx, VirtualCopyEx, VirtualCopy, VirtualAllocCopyEx and VirtualFreeEx with CE
 * 6.0's rules (vm.c VMCopy/VMAllocCopy, process.c PROCVMFree; Learn VirtualCopy, VirtualCopyEx,
 * VirtualAllocCopyEx): every parameter failure is ERROR_INVALID_PARAMETER.
 */
import { expect } from "chai";
import {
  ERROR_INVALID_PARAMETER,
  GetLastError,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_PHYSICAL,
  PAGE_READONLY,
  PAGE_READWRITE,
  Sleep,
  VirtualAlloc,
  VirtualAllocCopyEx,
  VirtualAllocEx,
  VirtualCopy,
  VirtualCopyEx,
  VirtualFree,
  VirtualFreeEx,
  VirtualQueryEx,
  readU32,
  writeU32,
} from "../../ce6/coredll.js";
import type { CeMachine } from "../../ce6/index.js";
import type { KProcess } from "../../kernel/process.js";
import { PAGE_SHIFT } from "../../kernel/physical-memory.js";
import { PTE_NOCACHE, PTE_WRITE } from "../../kernel/pte.js";
import { ceMachine, ceOk, runCeKernel } from "./helpers.js";

const MB = 0x100000;

/** An app that waits while a kernel thread works on it; returns the app and the kernel body's value. */
async function onApp<T>(ce: CeMachine, body: (app: number, p: KProcess) => T | Promise<T>, appBody?: () => unknown): Promise<T> {
  const p = ce.createProcess("app.exe", async () => {
    if (appBody) await appBody();
    await Sleep(1000);
  });
  let value: T | undefined;
  let error: unknown = null;
  ce.createKernelThread("driver", async () => {
    try {
      value = await body(ce.processId(p), p);
    } catch (e) {
      error = e;
    }
  });
  await ce.run();
  if (error) throw error instanceof Error ? error : new Error("body failed");
  return value as T;
}

function pteOf(ce: CeMachine, p: KProcess, va: number): number {
  return ce.spaceOf(p)?.table.get(va >>> PAGE_SHIFT) ?? 0;
}

describe("CE 6.0 virtual memory: VirtualCopyEx and friends", () => {
  it("PAGE_PHYSICAL takes the physical address shifted right by 8 bits", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app, p) => {
      const va = VirtualAllocEx(app, 0, 8192, MEM_RESERVE, PAGE_NOACCESS);
      const ok = VirtualCopyEx(app, va, app, 0x00345000 / 256, 8192, PAGE_READWRITE | PAGE_PHYSICAL);
      return { va, ok, frames: [pteOf(ce, p, va) >>> PAGE_SHIFT, pteOf(ce, p, va + 4096) >>> PAGE_SHIFT] };
    });
    expect(r.ok).to.equal(true);
    expect(r.frames).to.deep.equal([0x345, 0x346]);
  });

  it("PAGE_NOCACHE maps the pages uncached", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app, p) => {
      const va = VirtualAllocEx(app, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      VirtualCopyEx(app, va, app, 0x00345000 / 256, 4096, PAGE_READWRITE | PAGE_PHYSICAL | PAGE_NOCACHE);
      return pteOf(ce, p, va);
    });
    expect(r & PTE_NOCACHE).to.equal(PTE_NOCACHE);
  });

  it("source and destination must have the same page offset (ERROR_INVALID_PARAMETER)", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const va = VirtualAllocEx(app, 0, 8192, MEM_RESERVE, PAGE_NOACCESS);
      const bad = VirtualCopyEx(app, va + 0x10, app, 0x80100000, 100, PAGE_READWRITE);
      const e1 = GetLastError();
      const badPhys = VirtualCopyEx(app, va + 0x10, app, 0x00100000 / 256, 100, PAGE_READWRITE | PAGE_PHYSICAL);
      const e2 = GetLastError();
      const good = VirtualCopyEx(app, va + 0x10, app, 0x80100010, 100, PAGE_READWRITE);
      return [bad, e1, badPhys, e2, good];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_PARAMETER, true]);
  });

  it("every destination page must be reserved (a free page fails), not committed, and in one reservation", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const free = VirtualCopyEx(app, 0x00800000, app, 0x80100000, 4096, PAGE_READWRITE);
      const e1 = GetLastError();
      const committed = VirtualAllocEx(app, 0, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      const onCommitted = VirtualCopyEx(app, committed, app, 0x80100000, 4096, PAGE_READWRITE);
      const e2 = GetLastError();
      const a = VirtualAllocEx(app, 0x00400000, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
      const b = VirtualAllocEx(app, 0x00410000, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
      const across = VirtualCopyEx(app, a, app, 0x80100000, 0x20000, PAGE_READWRITE);
      const e3 = GetLastError();
      const within = VirtualCopyEx(app, b, app, 0x80100000, 0x10000, PAGE_READWRITE);
      return [free, e1, onCommitted, e2, a !== 0 && b !== 0, across, e3, within];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_PARAMETER, true, false, ERROR_INVALID_PARAMETER, true]);
  });

  it("a static-kernel-address source maps physically consecutive frames", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app, p) => {
      const va = VirtualAllocEx(app, 0, 16 * 4096, MEM_RESERVE, PAGE_NOACCESS);
      VirtualCopyEx(app, va, app, 0x80200000, 16 * 4096, PAGE_READWRITE);
      const frames: number[] = [];
      for (let i = 0; i < 16; i++) frames.push(pteOf(ce, p, va + i * 4096) >>> PAGE_SHIFT);
      return frames;
    });
    expect(r).to.deep.equal(Array.from({ length: 16 }, (_, i) => 0x200 + i));
  });

  it("any other source must be committed pages of one reservation", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const src = VirtualAllocEx(app, 0x00400000, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
      VirtualAllocEx(app, src, 0x8000, MEM_COMMIT, PAGE_READWRITE);
      const dst = VirtualAllocEx(app, 0x00500000, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
      const halfUncommitted = VirtualCopyEx(app, dst, app, src, 0x10000, PAGE_READWRITE);
      const e1 = GetLastError();
      const unreserved = VirtualCopyEx(app, dst, app, 0x00700000, 0x1000, PAGE_READWRITE);
      const e2 = GetLastError();
      const committed = VirtualCopyEx(app, dst, app, src, 0x8000, PAGE_READWRITE);
      return [halfUncommitted, e1, unreserved, e2, committed];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_PARAMETER, true]);
  });

  it("a copy of committed pages shares their frames, and they outlive the source's release", async () => {
    const ce = ceMachine();
    const phys = ce.machine.physical;
    const r = await onApp(ce, (app, p) => {
      const src = VirtualAllocEx(app, 0, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      const dst = VirtualAllocEx(app, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      VirtualCopyEx(app, dst, app, src, 4096, PAGE_READWRITE);
      const frame = pteOf(ce, p, src) >>> PAGE_SHIFT;
      const shared = (pteOf(ce, p, dst) >>> PAGE_SHIFT) === frame;
      const refsBoth = phys.refCount(frame);
      VirtualFreeEx(app, src, 0, MEM_RELEASE);
      const refsAfterSource = phys.refCount(frame);
      ce.writePhysical(frame * 4096, new Uint8Array([0x78, 0x56, 0, 0]));
      const seenAtCopy = ce.machine.mmu.debugRead(ce.spaceOf(p)?.table ?? null, dst, 4);
      VirtualFreeEx(app, dst, 0, MEM_RELEASE);
      return [shared, refsBoth, refsAfterSource, seenAtCopy?.[0], phys.refCount(frame)];
    });
    expect(r).to.deep.equal([true, 2, 1, 0x78, 0]);
  });

  it("exactly one base protection: none or two are ERROR_INVALID_PARAMETER", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const va = VirtualAllocEx(app, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      const none = VirtualCopyEx(app, va, app, 0x80100000, 4096, PAGE_NOCACHE);
      const e1 = GetLastError();
      const two = VirtualCopyEx(app, va, app, 0x80100000, 4096, PAGE_READONLY | PAGE_READWRITE);
      const e2 = GetLastError();
      const allocTwo = VirtualAllocEx(app, 0, 4096, MEM_RESERVE, PAGE_READONLY | PAGE_EXECUTE_READ);
      const e3 = GetLastError();
      return [none, e1, two, e2, allocTwo, e3, VirtualCopyEx(app, va, app, 0x80100000, 4096, PAGE_READONLY | PAGE_NOCACHE)];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_PARAMETER, 0, ERROR_INVALID_PARAMETER, true]);
  });

  it("a PAGE_READONLY copy is mapped without write access", async () => {
    const ce = ceMachine();
    const pte = await onApp(ce, (app, p) => {
      const va = VirtualAllocEx(app, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      VirtualCopyEx(app, va, app, 0x80100000, 4096, PAGE_READONLY);
      return pteOf(ce, p, va);
    });
    expect(pte & PTE_WRITE).to.equal(0);
  });

  it("a size of 0 and a destination below 0x10000 are ERROR_INVALID_PARAMETER", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const va = VirtualAllocEx(app, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      return [VirtualCopyEx(app, va, app, 0x80100000, 0, PAGE_READWRITE), GetLastError(), VirtualCopyEx(app, 0x1000, app, 0x80101000, 4096, PAGE_READWRITE), GetLastError()];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_PARAMETER]);
  });

  it("VirtualFreeEx MEM_RELEASE with size 0 at a reservation's base removes the copied mappings; anywhere else it is ERROR_INVALID_PARAMETER", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app, p) => {
      const va = VirtualAllocEx(app, 0, 0x20000, MEM_RESERVE, PAGE_NOACCESS);
      VirtualCopyEx(app, va, app, 0x80100000, 0x20000, PAGE_READWRITE);
      const notBase = VirtualFreeEx(app, va + 0x10000, 0, MEM_RELEASE);
      const e1 = GetLastError();
      const withSize = VirtualFreeEx(app, va, 0x20000, MEM_RELEASE);
      const e2 = GetLastError();
      const ok = VirtualFreeEx(app, va, 0, MEM_RELEASE);
      return [notBase, e1, withSize, e2, ok, pteOf(ce, p, va), VirtualQueryEx(app, va)?.State];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_PARAMETER, true, 0, 0x10000]);
  });

  it("decommitted pages are reserved again and may be a VirtualCopy destination; committed or copied pages may not", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const a = VirtualAllocEx(app, 0, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
      const half = VirtualAllocEx(app, a, 0x8000, MEM_COMMIT, PAGE_READWRITE) === a;
      const ontoCommitted = VirtualCopyEx(app, a, app, 0x80100000, 0x10000, PAGE_READWRITE);
      const ontoFreeHalf = VirtualCopyEx(app, a + 0x8000, app, 0x80108000, 0x8000, PAGE_READWRITE);
      const ontoCopied = VirtualCopyEx(app, a + 0x8000, app, 0x80108000, 0x8000, PAGE_READWRITE);
      const decommitted = VirtualFreeEx(app, a, 0x10000, MEM_DECOMMIT);
      const whole = VirtualCopyEx(app, a, app, 0x80100000, 0x10000, PAGE_READWRITE);
      const again = VirtualCopyEx(app, a, app, 0x80100000, 0x1000, PAGE_READWRITE);
      return [half, ontoCommitted, ontoFreeHalf, ontoCopied, decommitted, whole, again, VirtualQueryEx(app, a)?.RegionSize];
    });
    expect(r).to.deep.equal([true, false, true, false, true, true, false, 0x10000]);
  });

  it("MEM_DECOMMIT works on a range inside one reservation and is ERROR_INVALID_PARAMETER across reservations", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app) => {
      const a = VirtualAllocEx(app, 0x00400000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      VirtualAllocEx(app, 0x00410000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      const across = VirtualFreeEx(app, a + 0x8000, 0x10000, MEM_DECOMMIT);
      const e = GetLastError();
      const inside = VirtualFreeEx(app, a + 0x8000, 0x8000, MEM_DECOMMIT);
      return [across, e, inside, VirtualQueryEx(app, a + 0x8000)?.State];
    });
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, true, MEM_RESERVE]);
  });

  it("VirtualAllocCopyEx reserves at the source's offset within a 64 KB block and returns the address matching the source", async () => {
    const ce = ceMachine();
    const r = await onApp(ce, (app, p) => {
      const dst = VirtualAllocCopyEx(app, app, 0x80123456, 0x100, PAGE_READWRITE);
      return { dst, frame: pteOf(ce, p, dst) >>> PAGE_SHIFT, info: VirtualQueryEx(app, dst) };
    });
    expect(r.dst % 0x10000).to.equal(0x3456);
    expect(r.frame).to.equal(0x123);
    expect(r.info?.AllocationBase).to.equal(r.dst - 0x3456);
  });

  it("VirtualCopy in kernel mode maps within nk.exe's own memory (kernel VM)", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeKernel(ce, () => {
        const va = VirtualAlloc(0, 4096, MEM_RESERVE, PAGE_NOACCESS);
        const ok = VirtualCopy(va, 0x80100000, 4096, PAGE_READWRITE);
        writeU32(0x80100000, 0x77);
        const v = readU32(va);
        const freed = VirtualFree(va, 0, MEM_RELEASE);
        return [va >= 0xd0000000 && va < 0xe0000000, ok, v, freed];
      }),
    );
    expect(r).to.deep.equal([true, true, 0x77, true]);
  });

  it("mapping 32 MB with VirtualCopyEx copies no byte", async () => {
    const ce = ceMachine({ memoryBytes: 128 * MB, reservedRam: [{ physicalBase: 0x01f00000, size: 32 * MB }] });
    const r = await onApp(ce, (app) => {
      const va = VirtualAllocEx(app, 0, 32 * MB, MEM_RESERVE, PAGE_NOACCESS);
      return VirtualCopyEx(app, va, app, 0x81f00000, 32 * MB, PAGE_READWRITE | PAGE_NOCACHE);
    });
    expect(r).to.equal(true);
    expect(ce.machine.bytesCopied).to.equal(0);
  });
});
