import { expect } from "chai";
import { contiguousAllocations } from "../../kernel/api-mm.js";
import { MM_SYSTEM_RANGE_START } from "../../kernel/memory-constants.js";
import { PAGE_SIZE } from "../../kernel/physical-memory.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_READONLY, PAGE_READWRITE, Sleep, VirtualAlloc, VirtualFree, VirtualProtect, readU32, writeU32 } from "../../win32/index.js";
import {
  DMA_KBUF_BELOW_16M,
  DMA_KERNEL_BUFFER_ALLOC,
  DMA_KERNEL_ONLY_MAP,
  DMA_LARGE_BUFFER,
  DMA_TO_DEVICE,
  IOCTL_WD_DMA_LOCK,
  SIZEOF_WD_DMA,
  SIZE_OF_WD_DMA,
  WD_Close,
  WD_DATA_MISMATCH,
  WD_DMA,
  WD_DMALock,
  WD_DMAUnlock,
  WD_FAILED_KERNEL_MAPPING,
  WD_FAILED_USER_MAPPING,
  WD_INSUFFICIENT_RESOURCES,
  WD_INVALID_HANDLE,
  WD_INVALID_PARAMETER,
  WD_Open,
  WD_STATUS_SUCCESS,
} from "../../windriver/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { rawCall, withWinDriver, zalloc } from "./kit.js";

/** A zeroed WD_DMA for a kernel buffer of `bytes` with `options`. */
function kernelDma(bytes: number, options: number = DMA_KERNEL_BUFFER_ALLOC): WD_DMA {
  const dma = new WD_DMA(zalloc(SIZEOF_WD_DMA));
  dma.dwBytes = bytes;
  dma.dwOptions = options;
  return dma;
}

describe("windriver: WD_DMALock and WD_DMAUnlock", () => {
  it("DMA_KERNEL_BUFFER_ALLOC allocates a contiguous buffer mapped into the app (pUserAddr) and system space (pKernelAddr): the same frames, one Page entry with the physical address", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const dma = kernelDma(0x10000);
      const status = await WD_DMALock(h, dma.address);
      writeU32(dma.pUserAddr + 0x1234, 0xfeedface);
      const page = dma.Page(0);
      const table = m.currentThread().process.addressSpace?.table ?? null;
      const userFrames = Array.from({ length: 16 }, (_, i) => m.mmu.frameOf(table, dma.pUserAddr + i * PAGE_SIZE));
      const kernelFrames = Array.from({ length: 16 }, (_, i) => m.mmu.frameOf(null, dma.pKernelAddr + i * PAGE_SIZE));
      const kernelSees = m.mmu.debugRead(null, dma.pKernelAddr + 0x1234, 4);
      return { status, hDma: dma.hDma, user: dma.pUserAddr, kernel: dma.pKernelAddr, pages: dma.dwPages, phys: page.pPhysicalAddr, high: page.pPhysicalAddrHigh, bytes: page.dwBytes, userFrames, kernelFrames, kernelSees };
    });
    const x = ok(ran);
    expect(x.status).to.equal(WD_STATUS_SUCCESS);
    expect(x.hDma).to.not.equal(0);
    expect(x.user).to.be.above(0).and.below(MM_SYSTEM_RANGE_START);
    expect(x.kernel).to.be.at.least(MM_SYSTEM_RANGE_START);
    expect([x.pages, x.high, x.bytes]).to.deep.equal([1, 0, 0x10000]);
    const { userFrames, kernelFrames } = x;
    expect(kernelFrames.every((f) => f >= 0)).to.equal(true);
    expect(userFrames).to.deep.equal(kernelFrames);
    expect(kernelFrames).to.deep.equal(kernelFrames.map((_, i) => (kernelFrames[0] ?? 0) + i));
    expect(x.phys).to.equal((kernelFrames[0] ?? 0) * PAGE_SIZE);
    // The app's write through its address is in the frame the kernel address maps: no copy.
    expect(x.kernelSees).to.deep.equal(new Uint8Array([0xce, 0xfa, 0xed, 0xfe]));
    expect(m.bytesCopied).to.equal(0);
    // The app exited without unlocking: its handle's cleanup freed the buffer.
    expect(state.dma.size).to.equal(0);
    expect(contiguousAllocations(m).size).to.equal(0);
  });

  it("WD_DMAUnlock unmaps both views and frees the buffer; the handle is then unknown (WD_INVALID_HANDLE)", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const dma = kernelDma(3 * PAGE_SIZE);
      await WD_DMALock(h, dma.address);
      const user = dma.pUserAddr;
      const kernel = dma.pKernelAddr;
      const first = await WD_DMAUnlock(h, dma.address);
      const second = await WD_DMAUnlock(h, dma.address);
      let userFault = false;
      try {
        readU32(user);
      } catch {
        userFault = true;
      }
      await WD_Close(h);
      return { first, second, kernel, userFault };
    });
    const x = ok(ran);
    expect([x.first, x.second]).to.deep.equal([WD_STATUS_SUCCESS, WD_INVALID_HANDLE]);
    expect(x.userFault).to.equal(true);
    expect(m.mmu.frameOf(null, x.kernel)).to.equal(-1);
    expect(contiguousAllocations(m).size).to.equal(0);
  });

  it("DMA_KERNEL_ONLY_MAP gives no user mapping (pUserAddr 0); DMA_KBUF_BELOW_16M keeps the frames below 16 MB", async () => {
    const m = newMachine({ memoryBytes: 64 * 1024 * 1024 });
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      // Move never-used frames past 16 MB: commit 20 MB, then give it back (its frames go to the free list).
      const big = VirtualAlloc(0, 20 * 1024 * 1024, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      VirtualFree(big, 0, MEM_RELEASE);
      const only = kernelDma(PAGE_SIZE, DMA_KERNEL_BUFFER_ALLOC | DMA_KERNEL_ONLY_MAP);
      const low = kernelDma(2 * PAGE_SIZE, DMA_KERNEL_BUFFER_ALLOC | DMA_KBUF_BELOW_16M);
      const high = kernelDma(2 * PAGE_SIZE);
      const s = [await WD_DMALock(h, only.address), await WD_DMALock(h, low.address), await WD_DMALock(h, high.address)];
      return { s, onlyUser: only.pUserAddr, onlyKernel: only.pKernelAddr, low: low.Page(0).pPhysicalAddr, high: high.Page(0).pPhysicalAddr };
    });
    const x = ok(ran);
    expect(x.s).to.deep.equal([WD_STATUS_SUCCESS, WD_STATUS_SUCCESS, WD_STATUS_SUCCESS]);
    expect(x.onlyUser).to.equal(0);
    expect(x.onlyKernel).to.be.at.least(MM_SYSTEM_RANGE_START);
    expect(x.low + 2 * PAGE_SIZE).to.be.at.most(0x1000000);
    expect(x.high).to.be.at.least(0x1000000);
  });

  it("without DMA_KERNEL_BUFFER_ALLOC the app's own buffer is locked for scatter/gather: its pages are locked, a kernel mapping is returned, and adjacent frames merge into one Page entry", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const buffer = VirtualAlloc(0, 5 * PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const dma = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      dma.pUserAddr = buffer + 0x100;
      dma.dwBytes = 4 * PAGE_SIZE;
      const status = await WD_DMALock(h, dma.address);
      const locked = m.currentThread().process.lockedPages;
      const entries = Array.from({ length: dma.dwPages }, (_, i) => [dma.Page(i).pPhysicalAddr, dma.Page(i).dwBytes]);
      writeU32(buffer + 0x100, 0x5a5a5a5a);
      const kernelSees = m.mmu.debugRead(null, dma.pKernelAddr, 4);
      const unlock = await WD_DMAUnlock(h, dma.address);
      return { status, locked, entries, kernelSees, unlock, after: m.currentThread().process.lockedPages, user: dma.pUserAddr };
    });
    const x = ok(ran);
    expect(x.status).to.equal(WD_STATUS_SUCCESS);
    expect(x.user).to.not.equal(0);
    // 0x100 + 4 pages spans five pages.
    expect(x.locked).to.equal(5);
    const total = x.entries.reduce((n, e) => n + (e[1] ?? 0), 0);
    expect(total).to.equal(4 * PAGE_SIZE);
    expect(x.entries.length).to.be.at.most(5);
    expect((x.entries[0]?.[0] ?? 0) % PAGE_SIZE).to.equal(0x100);
    expect(x.kernelSees).to.deep.equal(new Uint8Array([0x5a, 0x5a, 0x5a, 0x5a]));
    expect([x.unlock, x.after]).to.deep.equal([WD_STATUS_SUCCESS, 0]);
  });

  it("locking more than WD_DMA_PAGES pages needs DMA_LARGE_BUFFER with the capacity in dwPages; without it the lock fails and nothing stays locked", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const bytes = 300 * PAGE_SIZE;
      const buffer = VirtualAlloc(0, bytes, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const small = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      small.pUserAddr = buffer;
      small.dwBytes = bytes;
      const refused = await WD_DMALock(h, small.address);
      const lockedAfterRefusal = m.currentThread().process.lockedPages;
      const large = new WD_DMA(zalloc(SIZE_OF_WD_DMA(300)));
      large.pUserAddr = buffer;
      large.dwBytes = bytes;
      large.dwOptions = DMA_LARGE_BUFFER | DMA_TO_DEVICE;
      large.dwPages = 300;
      const accepted = await WD_DMALock(h, large.address);
      return { refused, lockedAfterRefusal, accepted, locked: m.currentThread().process.lockedPages, pages: large.dwPages };
    });
    const x = ok(ran);
    expect([x.refused, x.lockedAfterRefusal]).to.deep.equal([WD_INVALID_PARAMETER, 0]);
    expect([x.accepted, x.locked]).to.deep.equal([WD_STATUS_SUCCESS, 300]);
    expect(x.pages).to.be.within(1, 300);
  });

  it("the driver probes the WD_DMA itself: a pointer into system space or to unmapped memory, dwBytes 0, or a buffer it cannot lock is WD_INVALID_PARAMETER, and a structure smaller than its Page[] is WD_DATA_MISMATCH", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const systemPointer = await rawCall(h, IOCTL_WD_DMA_LOCK, 0x80001000, SIZEOF_WD_DMA);
      const unmapped = await rawCall(h, IOCTL_WD_DMA_LOCK, 0x7ff00000, SIZEOF_WD_DMA);
      const zero = kernelDma(0);
      const zeroBytes = await WD_DMALock(h, zero.address);
      const short = kernelDma(PAGE_SIZE);
      const tooShort = await rawCall(h, IOCTL_WD_DMA_LOCK, short.address, 64);
      const readOnly = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      VirtualProtect(readOnly, PAGE_SIZE, PAGE_READONLY, zalloc(4));
      const sg = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      sg.pUserAddr = readOnly;
      sg.dwBytes = PAGE_SIZE;
      const cannotLock = await WD_DMALock(h, sg.address);
      const nullBuffer = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      nullBuffer.dwBytes = PAGE_SIZE;
      const noBuffer = await WD_DMALock(h, nullBuffer.address);
      return [systemPointer.status, unmapped.status, zeroBytes, tooShort.status, cannotLock, noBuffer, m.currentThread().process.lockedPages];
    });
    expect(ok(ran)).to.deep.equal([WD_INVALID_PARAMETER, WD_INVALID_PARAMETER, WD_INVALID_PARAMETER, WD_DATA_MISMATCH, WD_INVALID_PARAMETER, WD_INVALID_PARAMETER, 0]);
    expect(contiguousAllocations(m).size).to.equal(0);
  });

  it("no contiguous run long enough is WD_INSUFFICIENT_RESOURCES", async () => {
    const m = newMachine({ memoryBytes: 4 * 1024 * 1024 });
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      return WD_DMALock(h, kernelDma(8 * 1024 * 1024).address);
    });
    expect(ok(ran)).to.equal(WD_INSUFFICIENT_RESOURCES);
  });

  it("a user mapping that cannot be made (the app's address space is full) is WD_FAILED_USER_MAPPING, and the buffer is freed again", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const dma = kernelDma(PAGE_SIZE);
      // One call first, so the library's own locals exist before the address space fills.
      await WD_DMAUnlock(h, dma.address);
      // Reserve (without committing) every free stretch of the address space.
      for (let size = 0x40000000; size >= 0x10000; ) {
        if (VirtualAlloc(0, size, MEM_RESERVE, PAGE_READWRITE) === 0) size /= 2;
      }
      return WD_DMALock(h, dma.address);
    });
    expect(ok(ran)).to.equal(WD_FAILED_USER_MAPPING);
    expect(contiguousAllocations(m).size).to.equal(0);
    expect(ioManager(m).liveMdls.size).to.equal(0);
  });

  it("a kernel mapping of a scatter/gather buffer that cannot be made is WD_FAILED_KERNEL_MAPPING, and the pages are unlocked again", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const buffer = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const dma = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      dma.pUserAddr = buffer;
      dma.dwBytes = PAGE_SIZE;
      ioManager(m).faultInjector = (site) => site === "MmMapLockedPages";
      const status = await WD_DMALock(h, dma.address);
      ioManager(m).faultInjector = null;
      return { status, locked: m.currentThread().process.lockedPages };
    });
    expect(ok(ran)).to.deep.equal({ status: WD_FAILED_KERNEL_MAPPING, locked: 0 });
  });

  it("another process cannot unlock a buffer by its handle value (WD_INVALID_HANDLE)", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    let intruderStatus = -1;
    const first = await runApp(m, async () => {
      const h = await WD_Open();
      const dma = kernelDma(PAGE_SIZE);
      await WD_DMALock(h, dma.address);
      const hDma = dma.hDma;
      m.createProcess("intruder.exe", async () => {
        const h2 = await WD_Open();
        const fake = new WD_DMA(zalloc(SIZEOF_WD_DMA));
        fake.hDma = hDma;
        intruderStatus = await WD_DMAUnlock(h2, fake.address);
      });
      // Stay alive (holding the buffer) while the intruder tries.
      await Sleep(10);
      return state.dma.size;
    }, "owner.exe");
    expect(ok(first)).to.equal(1);
    expect(intruderStatus).to.equal(WD_INVALID_HANDLE);
  });
});
