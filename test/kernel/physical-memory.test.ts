/**
 * The page-frame database: frames, reference and lock counts, lazily allocated host chunks,
 * physically contiguous runs.
 */
import { expect } from "chai";
import { Machine } from "../../kernel/machine.js";
import {
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
} from "../../kernel/memory-constants.js";
import { PAGE_SIZE, PhysicalMemory } from "../../kernel/physical-memory.js";
import { PAGE_READWRITE } from "../../kernel/pte.js";
import { STATUS_ACCESS_VIOLATION, STATUS_SUCCESS } from "../../kernel/status.js";
import { VirtualAlloc, VirtualFree, readU32, writeU32 } from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { asThread, idleProcess, ntError } from "./memory-helpers.js";

const MB = 1024 * 1024;

describe("physical memory (the page-frame database)", () => {
  it("a 4 GB machine allocates host memory only for chunks that are touched", () => {
    const m = new Machine({ memoryBytes: 4 * 1024 * MB });
    expect(m.physical.totalFrames).to.equal(1024 * 1024);
    const idle = m.physical.hostBytes;
    // The frame database of 4 GB costs far less than a chunk per frame would.
    expect(idle).to.be.below(1 * MB);
    expect(m.physical.touchedChunks).to.equal(0);

    const { space, thread } = idleProcess(m);
    const r = space.allocate(0, 32 * MB, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(r.status).to.equal(STATUS_SUCCESS);
    expect(m.physical.usedFrames).to.equal((32 * MB) / PAGE_SIZE);
    // Committed but never touched: no page bytes exist on the host yet.
    expect(m.physical.touchedChunks).to.equal(0);
    // A debugger read (reports, memory maps) is not a touch: it sees zeros and allocates nothing.
    expect(m.mmu.debugRead(space.table, r.base + 5 * MB, 64)?.every((b) => b === 0)).to.equal(true);
    expect(m.physical.touchedChunks).to.equal(0);

    // Touch three pages 8 MB apart: three chunks (256 KB each), no more.
    asThread(m, thread, () => {
      for (let i = 0; i < 3; i++) m.mmu.writeU32(r.base + i * 8 * MB, 0xc0ffee00 + i);
    });
    expect(m.physical.touchedChunks).to.equal(3);
    expect(m.physical.hostBytes - idle).to.be.within(3 * 256 * 1024, 3 * 256 * 1024 + 256 * 1024);
    asThread(m, thread, () => {
      for (let i = 0; i < 3; i++)
        expect(m.mmu.readU32(r.base + i * 8 * MB)).to.equal(0xc0ffee00 + i);
    });
  });

  it("the machine refuses less than 64 KB or more than 4 GB of RAM", () => {
    expect(() => new PhysicalMemory(32 * 1024)).to.throw(RangeError, /64 KB/);
    expect(() => new PhysicalMemory(2 ** 32 + PAGE_SIZE)).to.throw(RangeError, /4 GB/);
    expect(() => new PhysicalMemory(Number.NaN)).to.throw(RangeError);
    expect(new PhysicalMemory(64 * 1024 + 100).totalFrames).to.equal(16);
  });

  it("contiguous runs come back physically consecutive", () => {
    const pm = new PhysicalMemory(64 * 1024); // 16 frames
    const first = pm.allocateContiguous(5);
    expect(first).to.be.at.least(0);
    for (let f = first; f < first + 5; f++) expect(pm.isAllocated(f), `frame ${f}`).to.equal(true);
    expect(pm.usedFrames).to.equal(5);

    // Use up the rest one by one, then free a scattered set: the only run of four is 9..12.
    const singles: number[] = [];
    for (let f = pm.allocateFrame(); f >= 0; f = pm.allocateFrame()) singles.push(f);
    expect(pm.freeFrames).to.equal(0);
    for (const f of [7, 9, 10, 11, 12, 14]) expect(pm.dereference(f)).to.equal(null);
    expect(pm.freeFrames).to.equal(6);

    const run = pm.allocateContiguous(4);
    expect(run).to.equal(9);
    for (let f = 9; f < 13; f++) expect(pm.isAllocated(f)).to.equal(true);
    expect(pm.freeFrames).to.equal(2);
    // Frames 7 and 14 are free but not adjacent: no run of two exists, and nothing is taken.
    expect(pm.allocateContiguous(2)).to.equal(-1);
    expect(pm.freeFrames).to.equal(2);
    expect(pm.allocateContiguous(0)).to.equal(-1);
    // The leftovers still come back one at a time.
    expect([pm.allocateFrame(), pm.allocateFrame()].sort((a, b) => a - b)).to.deep.equal([7, 14]);
    expect(pm.allocateFrame()).to.equal(-1);
  });

  it("allocating several frames is all-or-nothing", () => {
    const pm = new PhysicalMemory(64 * 1024);
    expect(pm.allocateFrames(10)).to.have.length(10);
    expect(pm.allocateFrames(7)).to.equal(null);
    expect(pm.usedFrames).to.equal(10);
    const rest = pm.allocateFrames(6);
    expect(rest).to.have.length(6);
    expect(new Set([...(rest ?? [])]).size).to.equal(6);
    expect(pm.freeFrames).to.equal(0);
  });

  it("a frame's reference count counts its owner and every lock, and it is freed only when both are gone", () => {
    const pm = new PhysicalMemory(64 * 1024);
    const f = pm.allocateFrame();
    expect(pm.refCount(f)).to.equal(1);
    expect(pm.lock(f)).to.equal(null);
    expect(pm.lock(f)).to.equal(null);
    expect([pm.refCount(f), pm.lockCount(f)]).to.deep.equal([3, 2]);
    expect(pm.dereference(f)).to.equal(null); // the owner lets go
    expect(pm.isAllocated(f)).to.equal(true);
    expect(pm.unlock(f)).to.equal(null);
    expect(pm.unlock(f)).to.equal(null);
    expect(pm.isAllocated(f)).to.equal(false);
    expect(pm.usedFrames).to.equal(0);
    expect(pm.lockedFrames()).to.deep.equal([]);
  });

  it("unlocking a frame more times than it was locked is refused, and so is touching a free frame", () => {
    const pm = new PhysicalMemory(64 * 1024);
    const f = pm.allocateFrame();
    expect(pm.unlock(f)).to.equal("not-locked");
    expect(pm.refCount(f)).to.equal(1);
    expect(pm.dereference(f)).to.equal(null);
    expect(pm.dereference(f)).to.equal("not-allocated");
    expect(pm.lock(f)).to.equal("not-allocated");
    expect(pm.reference(9999)).to.equal("not-allocated");
    expect(pm.usedFrames).to.equal(0);
  });

  it("a recycled frame reads as zero (demand-zero pages)", () => {
    const m = newMachine({ memoryBytes: 64 * 1024 });
    const { space, thread } = idleProcess(m);
    const a = space.allocate(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const frame = m.mmu.frameOf(space.table, a.base);
    asThread(m, thread, () => {
      m.mmu.fill(a.base, PAGE_SIZE, 0xa5);
    });
    expect(space.free(a.base, 0, MEM_DECOMMIT).status).to.equal(STATUS_SUCCESS);
    // The only free frame is the one just released: the recommit gets it back, zeroed.
    expect(space.allocate(a.base, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE).status).to.equal(
      STATUS_SUCCESS,
    );
    expect(m.mmu.frameOf(space.table, a.base)).to.equal(frame);
    expect(m.mmu.debugRead(space.table, a.base, PAGE_SIZE)?.every((b) => b === 0)).to.equal(true);
  });

  it("a frame locked for I/O outlives the owner's VirtualFree until it is unlocked", async () => {
    const m = newMachine();
    const ran = await runApp(m, () => {
      const base = VirtualAlloc(0, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      writeU32(base + 16, 0x12345678);
      const space = m.runningThread()?.process.addressSpace ?? null;
      const frame = m.mmu.frameOf(space?.table ?? null, base);
      const usedBefore = m.physical.usedFrames;
      // A driver locks the page (MmProbeAndLockPages does this for each frame of an MDL).
      expect(m.physical.lock(frame)).to.equal(null);
      expect(VirtualFree(base, 0, MEM_RELEASE)).to.equal(true);
      // The app can no longer reach it ...
      const av = ntError(() => readU32(base + 16));
      // ... but the frame and its bytes survive: a system mapping of it still reads them.
      const stillAllocated = m.physical.isAllocated(frame);
      const counts = [m.physical.refCount(frame), m.physical.lockCount(frame)];
      const usedWhileLocked = m.physical.usedFrames;
      const sysVa = m.system.mapFrames([frame]);
      const seen = new DataView(
        (m.mmu.debugRead(null, sysVa + 16, 4) ?? new Uint8Array(4)).buffer,
      ).getUint32(0, true);
      m.system.unmap(sysVa, 1);
      // Unlocking drops the last reference: the frame goes back to the free list.
      expect(m.physical.unlock(frame)).to.equal(null);
      return {
        av,
        stillAllocated,
        counts,
        usedBefore,
        usedWhileLocked,
        seen,
        freedAfterUnlock: !m.physical.isAllocated(frame),
        usedAfter: m.physical.usedFrames,
      };
    });
    const r = ok(ran);
    expect(r.av.status).to.equal(STATUS_ACCESS_VIOLATION);
    expect(r.stillAllocated).to.equal(true);
    expect(r.counts).to.deep.equal([1, 1]);
    expect(r.usedWhileLocked).to.equal(r.usedBefore);
    expect(r.seen).to.equal(0x12345678);
    expect(r.freedAfterUnlock).to.equal(true);
    expect(r.usedAfter).to.equal(r.usedBefore - 1);
    expect(m.physical.lockedFrames()).to.deep.equal([]);
  });

  it("an app's committed memory goes back to the free list when the process exits", async () => {
    const m = newMachine();
    const before = m.physical.usedFrames;
    const ran = await runApp(m, () => {
      const base = VirtualAlloc(0, 64 * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      writeU32(base, 1);
      return m.physical.usedFrames;
    });
    expect(ok(ran)).to.equal(before + 64);
    expect(ran.process.state).to.equal("exited");
    expect(m.physical.usedFrames).to.equal(before);
  });
});
