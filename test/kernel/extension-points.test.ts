/**
 * The kernel's extension points for layers that model another system on the same core (CE 6.0):
 * a process whose address space a layer supplies, a user-mode view of the user half, a named
 * kernel process, a moved system-space layout, boot-time RAM reservations and shared
 * second-level page tables.
 */
import { expect } from "chai";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool, PagedPool } from "../../kernel/index.js";
import { Machine } from "../../kernel/machine.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { PageTable } from "../../kernel/page-table.js";
import { PAGE_SHIFT, PAGE_SIZE } from "../../kernel/physical-memory.js";
import type { ProcessTranslation } from "../../kernel/process-translation.js";
import type { KProcess } from "../../kernel/process.js";
import { KEVENT } from "../../kernel/dispatcher.js";
import { PTE_MAPPED, PTE_OWNED, PTE_USER, PTE_VALID, PTE_WRITE } from "../../kernel/pte.js";
import { SplitPageTable } from "../../kernel/split-page-table.js";
import { STATUS_ACCESS_VIOLATION } from "../../kernel/status.js";
import { readU32, writeU32 } from "../../kernel/api-rtl.js";
import { newMachine, ok, runKernel } from "../helpers.js";

/** A minimal layer-supplied address space: one page at 0x00400000 backed by a fresh frame. */
class OnePageSpace implements ProcessTranslation {
  readonly table = new PageTable();
  readonly userModeTable = new PageTable();
  destroyed = false;
  constructor(
    private readonly m: Machine,
    readonly frame = m.physical.allocateFrame(),
  ) {
    const vpn = 0x00400000 >>> PAGE_SHIFT;
    // Kernel mode may write the page; user mode sees it read-only.
    this.table.set(vpn, (frame << PAGE_SHIFT) | PTE_VALID | PTE_WRITE | PTE_USER | PTE_OWNED | (2 << 8));
    this.userModeTable.set(vpn, (frame << PAGE_SHIFT) | PTE_VALID | PTE_USER | PTE_MAPPED | (1 << 8));
  }
  destroy(): void {
    this.destroyed = true;
    this.m.physical.dereference(this.frame);
    this.table.set(0x00400000 >>> PAGE_SHIFT, 0);
    this.userModeTable.set(0x00400000 >>> PAGE_SHIFT, 0);
  }
}

describe("kernel extension points for other systems' layers", () => {
  it("a process created with a layer's address space has no NT address space and is translated through the layer's tables", async () => {
    const m = newMachine();
    const space = new OnePageSpace(m);
    let target: KProcess | null = null;
    // Kernel-mode code attached to the process writes through the kernel-mode table first...
    m.createSystemThread("writer", () => {
      const cur = m.currentThread();
      cur.attachedProcess = target;
      m.mmu.gen++;
      writeU32(0x00400000, 0x1234);
      cur.attachedProcess = null;
      m.mmu.gen++;
    });
    let seen = 0;
    let writeError: unknown = null;
    const p = m.createProcess(
      "layer.exe",
      () => {
        seen = readU32(0x00400000);
        try {
          writeU32(0x00400000, 1);
        } catch (e) {
          writeError = e;
        }
      },
      { translation: space },
    );
    target = p;
    expect(p.addressSpace).to.equal(null);
    expect(p.translation).to.equal(space);
    await m.run();
    // ...then the app's user-mode thread reads the same frame through its own view.
    expect(seen).to.equal(0x1234);
    // User mode sees its (read-only) view: the write faults.
    expect(writeError).to.be.instanceOf(NtStatusError);
    expect((writeError as NtStatusError).status).to.equal(STATUS_ACCESS_VIOLATION);
  });

  it("a process's layer-supplied address space is torn down when the process exits", async () => {
    const m = newMachine();
    const space = new OnePageSpace(m);
    const used = m.physical.usedFrames;
    m.createProcess("layer.exe", () => 0, { translation: space });
    await m.run();
    expect(space.destroyed).to.equal(true);
    expect(m.physical.usedFrames).to.equal(used - 1);
  });

  it("a process whose main thread is background does not keep the run going", async () => {
    const m = newMachine();
    let ran = false;
    const host = m.createProcess(
      "host.exe",
      async () => {
        ran = true;
        await m.waits.waitFor([new KEVENT()], { waitAll: false, mode: 1, alertable: false, timeout: null, reason: "a service host waits for work" });
      },
      { background: true },
    );
    const r = await m.run();
    expect(ran).to.equal(true);
    expect(r.outcome).to.equal("completed");
    expect(host.state).to.equal("active");
  });

  it("the kernel process can carry another system's name (CE's nk.exe)", () => {
    expect(newMachine({ systemProcessName: "nk.exe" }).systemProcess.name).to.equal("nk.exe");
    expect(newMachine().systemProcess.name).to.equal("System");
  });

  it("a system-space layout moves the pools and the system PTE range, and ExFreePool still finds the right pool", async () => {
    const m = newMachine({
      systemLayout: { nonPagedPool: [0xe0000000, 0xe8000000], pagedPool: [0xe8000000, 0xec000000], systemPtes: [0xec000000, 0xf0000000] },
    });
    const r = ok(
      await runKernel(m, () => {
        const np = ExAllocatePoolWithTag(NonPagedPool, 64, "Test");
        const pp = ExAllocatePoolWithTag(PagedPool, 64, "Test");
        ExFreePoolWithTag(pp, "Test");
        ExFreePoolWithTag(np, "Test");
        return { np, pp, mapped: m.system.mapFrames([m.physical.allocateFrame()], { owned: true }) };
      }),
    );
    expect(r.np).to.be.within(0xe0000000, 0xe7ffffff);
    expect(r.pp).to.be.within(0xe8000000, 0xebffffff);
    expect(r.mapped).to.be.within(0xec000000, 0xefffffff);
    expect(m.nonPagedPool.liveBlockCount + m.pagedPool.liveBlockCount).to.equal(0);
  });

  it("a system-space layout with overlapping or out-of-range regions is refused", () => {
    expect(() => new Machine({ systemLayout: { nonPagedPool: [0xe0000000, 0xe8000000], pagedPool: [0xe4000000, 0xec000000], systemPtes: [0xec000000, 0xf0000000] } })).to.throw(
      RangeError,
      /overlap/,
    );
    expect(() => new Machine({ systemLayout: { nonPagedPool: [0x70000000, 0x71000000], pagedPool: [0xe8000000, 0xec000000], systemPtes: [0xec000000, 0xf0000000] } })).to.throw(
      RangeError,
      /inside system space/,
    );
  });

  it("a reserved RAM range is claimed frame for frame and never handed out by the allocators", () => {
    const m = newMachine({ memoryBytes: 16 * 1024 * 1024 });
    const phys = m.physical;
    expect(phys.reserveRange(0x100, 0x200)).to.equal(true);
    for (let f = 0x100; f < 0x300; f++) expect(phys.refCount(f)).to.equal(1);
    // Every other frame is still available, including those below the reservation.
    const frames = new Set<number>();
    for (;;) {
      const f = phys.allocateFrame();
      if (f < 0) break;
      frames.add(f);
    }
    expect(frames.size).to.equal(phys.totalFrames - 0x200);
    for (let f = 0x100; f < 0x300; f++) expect(frames.has(f)).to.equal(false);
    expect(frames.has(0)).to.equal(true);
    expect(frames.has(0xff)).to.equal(true);
  });

  it("a reservation is refused, claiming nothing, when a frame of it is in use or is not RAM", () => {
    const m = newMachine({ memoryBytes: 16 * 1024 * 1024 });
    const phys = m.physical;
    const f = phys.allocateFrame();
    const used = phys.usedFrames;
    expect(phys.reserveRange(f, 4)).to.equal(false);
    expect(phys.reserveRange(phys.totalFrames - 2, 4)).to.equal(false);
    expect(phys.usedFrames).to.equal(used);
    // Freed frames below the allocation point can be reserved again.
    phys.dereference(f);
    expect(phys.reserveRange(f, 1)).to.equal(true);
    expect(phys.refCount(f)).to.equal(1);
    expect(phys.allocateContiguous(8)).to.not.equal(f);
  });

  it("a split page table sends directory entries below the split to the lower table and the rest to the shared upper table", () => {
    const lowerA = new PageTable();
    const lowerB = new PageTable();
    const shared = new PageTable();
    const a = new SplitPageTable(lowerA, shared, 448);
    const b = new SplitPageTable(lowerB, shared, 448);
    const privateVpn = 0x00400000 >>> PAGE_SHIFT;
    const sharedVpn = 0x70000000 >>> PAGE_SHIFT;
    a.set(privateVpn, 0x1000 | PTE_VALID);
    a.set(sharedVpn, 0x2000 | PTE_VALID);
    expect(lowerA.get(privateVpn)).to.equal(0x1000 | PTE_VALID);
    expect(b.get(privateVpn)).to.equal(0);
    // Both processes see the shared region's PTE: one second-level table serves both.
    expect(b.get(sharedVpn)).to.equal(0x2000 | PTE_VALID);
    const seen: number[] = [];
    b.forEach((vpn) => seen.push(vpn));
    expect(seen).to.deep.equal([sharedVpn]);
    expect(() => new SplitPageTable(lowerA, shared, 513)).to.throw(RangeError);
    expect(PAGE_SIZE).to.equal(4096);
  });
});
