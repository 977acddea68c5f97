import { expect } from "chai";
import { contiguousAllocations } from "../../kernel/api-mm.js";
import { MM_SYSTEM_RANGE_START } from "../../kernel/memory-constants.js";
import { INVALID_HANDLE_VALUE, readU32, writeU32 } from "../../win32/index.js";
import {
  DMA_ALLOW_CACHE,
  DMA_ALLOW_NO_HCARD,
  DMA_KERNEL_BUFFER_ALLOC,
  WDC_DRV_OPEN_BASIC,
  WDC_DRV_OPEN_DEFAULT,
  WDC_DriverClose,
  WDC_DriverOpen,
  WDC_GetWDHandle,
  WDC_SharedBufferAlloc,
  WDC_SharedBufferFree,
  WD_DMA,
  WD_INVALID_PARAMETER,
  WD_OPERATION_ALREADY_DONE,
  WD_STATUS_SUCCESS,
  WD_WINDRIVER_STATUS_ERROR,
} from "../../windriver/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { withWinDriver, zalloc } from "./kit.js";

describe("windriver: the WDC convenience layer (WDC_DriverOpen, WDC_SharedBufferAlloc, WDC_SharedBufferFree)", () => {
  it("WDC_SharedBufferAlloc gives a contiguous kernel buffer shared by the app (*ppUserAddr) and the kernel (*ppKernelAddr): WD_DMALock with DMA_KERNEL_BUFFER_ALLOC | DMA_ALLOW_CACHE | DMA_ALLOW_NO_HCARD and no card", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const opened = await WDC_DriverOpen(WDC_DRV_OPEN_DEFAULT, null);
      const out = zalloc(12);
      const status = await WDC_SharedBufferAlloc(out, out + 4, 0x4000, 0, out + 8);
      const user = readU32(out);
      const kernel = readU32(out + 4);
      const dma = new WD_DMA(readU32(out + 8));
      writeU32(user + 8, 0x600dd00d);
      const kernelSees = m.mmu.debugRead(null, kernel + 8, 4);
      const buffer = [...state.dma.values()][0];
      const freed = await WDC_SharedBufferFree(dma.address);
      const closed = await WDC_DriverClose();
      return { opened, status, user, kernel, options: dma.dwOptions, hCard: dma.hCard, mapped: buffer?.userMapped, kernelSees, freed, closed, left: contiguousAllocations(m).size };
    });
    const x = ok(ran);
    expect([x.opened, x.status, x.freed, x.closed]).to.deep.equal([WD_STATUS_SUCCESS, WD_STATUS_SUCCESS, WD_STATUS_SUCCESS, WD_STATUS_SUCCESS]);
    expect(x.user).to.be.above(0).and.below(MM_SYSTEM_RANGE_START);
    expect(x.kernel).to.be.at.least(MM_SYSTEM_RANGE_START);
    expect(x.options).to.equal(DMA_KERNEL_BUFFER_ALLOC | DMA_ALLOW_CACHE | DMA_ALLOW_NO_HCARD);
    expect(x.hCard).to.equal(0);
    expect(x.mapped).to.equal(true);
    expect(x.kernelSees).to.deep.equal(new Uint8Array([0x0d, 0xd0, 0x0d, 0x60]));
    expect(x.left).to.equal(0);
  });

  it("WDC_SharedBufferAlloc with a NULL ppKernelAddr is WD_INVALID_PARAMETER (so is a NULL ppUserAddr or phBuf); WDC_SharedBufferFree(NULL) too", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      await WDC_DriverOpen(WDC_DRV_OPEN_BASIC, null);
      const out = zalloc(12);
      return [
        await WDC_SharedBufferAlloc(out, 0, 0x1000, 0, out + 8),
        await WDC_SharedBufferAlloc(0, out + 4, 0x1000, 0, out + 8),
        await WDC_SharedBufferAlloc(out, out + 4, 0x1000, 0, 0),
        await WDC_SharedBufferFree(0),
      ];
    });
    expect(ok(ran)).to.deep.equal([WD_INVALID_PARAMETER, WD_INVALID_PARAMETER, WD_INVALID_PARAMETER, WD_INVALID_PARAMETER]);
    expect(contiguousAllocations(m).size).to.equal(0);
  });

  it("without WDC_DriverOpen the library has no handle: WDC_SharedBufferAlloc's request never reaches the driver (WD_WINDRIVER_STATUS_ERROR); WDC_DriverOpen twice is WD_OPERATION_ALREADY_DONE", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const before = WDC_GetWDHandle();
      const out = zalloc(12);
      const unopened = await WDC_SharedBufferAlloc(out, out + 4, 0x1000, 0, out + 8);
      const first = await WDC_DriverOpen(WDC_DRV_OPEN_DEFAULT, null);
      const second = await WDC_DriverOpen(WDC_DRV_OPEN_DEFAULT, null);
      await WDC_DriverClose();
      return { before, unopened, first, second, after: WDC_GetWDHandle() };
    });
    expect(ok(ran)).to.deep.equal({ before: INVALID_HANDLE_VALUE, unopened: WD_WINDRIVER_STATUS_ERROR, first: WD_STATUS_SUCCESS, second: WD_OPERATION_ALREADY_DONE, after: INVALID_HANDLE_VALUE });
  });
});
