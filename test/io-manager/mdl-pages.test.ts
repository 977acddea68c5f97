/**
 * Driver-allocated pages (MmAllocatePagesForMdl(Ex), MmFreePagesFromMdl) mapped into system space
 * and into an app with MmMapLockedPagesSpecifyCache(UserMode).
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { attachVerifier } from "../../index.js";
import { IOCTL, alloc, complete, loadKit, open } from "./kit.js";
import { newMachine, ok, runKernel } from "../helpers.js";

const IOCTL_MAP = IOCTL(0x910, wdm.METHOD_BUFFERED);
const IOCTL_UNMAP = IOCTL(0x911, wdm.METHOD_BUFFERED);
const IOCTL_FREE = IOCTL(0x912, wdm.METHOD_BUFFERED);

describe("io-manager: driver-allocated pages (MmAllocatePagesForMdl, MmFreePagesFromMdl)", () => {
  it("MmAllocatePagesForMdl returns an MDL over zeroed pages with MDL_PAGES_LOCKED and no process, which MmMapLockedPagesSpecifyCache maps at once", async () => {
    const m = newMachine();
    const before = m.physical.usedFrames;
    const r = await runKernel(m, () => {
      const mdl = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, 3 * wdm.PAGE_SIZE + 1);
      if (!mdl) throw new Error("no MDL");
      const flags = mdl.MdlFlags;
      const va = wdm.MmMapLockedPagesSpecifyCache(mdl, wdm.KernelMode, wdm.MmCached, null, false, wdm.NormalPagePriority);
      const zero = wdm.readU32(va + 3 * wdm.PAGE_SIZE);
      wdm.writeU32(va, 0x77);
      const frames = Array.from(wdm.MmGetMdlPfnArray(mdl));
      const result = { locked: (flags & wdm.MDL_PAGES_LOCKED) !== 0, process: mdl.Process, bytes: wdm.MmGetMdlByteCount(mdl), va: wdm.MmGetMdlVirtualAddress(mdl), zero, pages: frames.length, frameOfVa: wdm.MmGetPhysicalAddress(va) >>> 12 === frames[0] };
      wdm.MmUnmapLockedPages(va, mdl);
      wdm.MmFreePagesFromMdl(mdl);
      wdm.ExFreePool(mdl);
      return result;
    });
    expect(ok(r)).to.deep.equal({ locked: true, process: null, bytes: 3 * wdm.PAGE_SIZE + 1, va: 0, zero: 0, pages: 4, frameOfVa: true });
    expect(m.physical.usedFrames).to.equal(before);
  });

  it("MmAllocatePagesForMdl may describe fewer bytes than asked (callers check MmGetMdlByteCount); MM_ALLOCATE_FULLY_REQUIRED gives NULL instead", async () => {
    const m = newMachine({ memoryBytes: 4 * 1024 * 1024 });
    const r = await runKernel(m, () => {
      const free = m.physical.freeFrames;
      const partial = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, (free + 10) * wdm.PAGE_SIZE);
      const bytes = partial ? wdm.MmGetMdlByteCount(partial) : -1;
      if (partial) {
        wdm.MmFreePagesFromMdl(partial);
        wdm.ExFreePool(partial);
      }
      const full = wdm.MmAllocatePagesForMdlEx(0, 0xffffffff, 0, (free + 10) * wdm.PAGE_SIZE, wdm.MmCached, wdm.MM_ALLOCATE_FULLY_REQUIRED);
      return { bytes, free, full };
    });
    const x = ok(r);
    expect(x.bytes).to.equal(x.free * wdm.PAGE_SIZE);
    expect(x.full).to.equal(null);
  });

  it("MmAllocatePagesForMdlEx gives NULL for TotalBytes 0, SkipBytes not page-aligned, an unknown cache type or flag, and takes pages only between LowAddress and HighAddress", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const low = wdm.MmAllocatePagesForMdlEx(new wdm.LARGE_INTEGER(0x100000), new wdm.LARGE_INTEGER(0x1fffff), 0, 4 * wdm.PAGE_SIZE, wdm.MmNonCached, 0);
      const frames = low ? Array.from(wdm.MmGetMdlPfnArray(low)) : [];
      if (low) {
        wdm.MmFreePagesFromMdl(low);
        wdm.IoFreeMdl(low);
      }
      return {
        zero: wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, 0),
        skip: wdm.MmAllocatePagesForMdl(0, 0xffffffff, 100, wdm.PAGE_SIZE),
        cache: wdm.MmAllocatePagesForMdlEx(0, 0xffffffff, 0, wdm.PAGE_SIZE, 7, 0),
        flag: wdm.MmAllocatePagesForMdlEx(0, 0xffffffff, 0, wdm.PAGE_SIZE, wdm.MmCached, 0x8000),
        inRange: frames.length === 4 && frames.every((f) => f >= 0x100 && f <= 0x1ff),
      };
    });
    expect(ok(r)).to.deep.equal({ zero: null, skip: null, cache: null, flag: null, inRange: true });
  });

  it("pages mapped into the app with MmMapLockedPagesSpecifyCache(UserMode) are shared: the app's writes are the driver's data, and MmUnmapLockedPages in the app's context removes the mapping", async () => {
    const m = newMachine();
    let mdl: wdm.MDL | null = null;
    let systemVa = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          const code = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
          const buffer = Irp.AssociatedIrp.SystemBuffer;
          if (!mdl) return complete(Irp, wdm.STATUS_INVALID_DEVICE_STATE);
          if (code === IOCTL_MAP) {
            let user: number;
            try {
              user = wdm.MmMapLockedPagesSpecifyCache(mdl, wdm.UserMode, wdm.MmCached, null, false, wdm.NormalPagePriority);
            } catch (e) {
              return complete(Irp, e instanceof wdm.NtStatusError ? e.status : wdm.STATUS_UNSUCCESSFUL);
            }
            wdm.writeU32(buffer, user);
            return complete(Irp, wdm.STATUS_SUCCESS, 4);
          }
          if (code === IOCTL_UNMAP) {
            wdm.MmUnmapLockedPages(wdm.readU32(buffer), mdl);
            return complete(Irp, wdm.STATUS_SUCCESS);
          }
          return complete(Irp, wdm.STATUS_INVALID_DEVICE_REQUEST);
        },
      },
    });
    await runKernel(m, () => {
      mdl = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, 2 * wdm.PAGE_SIZE);
      if (mdl) systemVa = wdm.MmGetSystemAddressForMdlSafe(mdl, wdm.NormalPagePriority);
    });
    let after = -1;
    m.createProcess("app.exe", async () => {
      const h = await open(kit);
      const buf = alloc(4);
      await w.DeviceIoControl(h, IOCTL_MAP, 0, 0, buf, 4, alloc(4));
      const p = w.readU32(buf);
      w.writeU32(p + wdm.PAGE_SIZE + 12, 0xdada);
      // (Allocated before the unmap, which would otherwise free the very range it lands in.)
      const info = alloc(w.SIZEOF_MEMORY_BASIC_INFORMATION);
      await w.DeviceIoControl(h, IOCTL_UNMAP, buf, 4, 0, 0, alloc(4));
      w.VirtualQuery(p, info, w.SIZEOF_MEMORY_BASIC_INFORMATION);
      after = w.readMemoryBasicInformation(info).State;
      await w.CloseHandle(h);
    });
    await m.run();
    const r = await runKernel(m, () => {
      const seen = wdm.readU32(systemVa + wdm.PAGE_SIZE + 12);
      if (mdl) {
        wdm.MmUnmapLockedPages(systemVa, mdl);
        wdm.MmFreePagesFromMdl(mdl);
        wdm.ExFreePool(mdl);
      }
      return seen;
    });
    expect(ok(r)).to.equal(0xdada);
    expect(after).to.equal(w.MEM_FREE);
  });

  it("an app that exits with the pages still mapped loses the mapping with its address space; the driver's later MmUnmapLockedPages of that address is 0xC4/0x83", async () => {
    const m = newMachine();
    let mdl: wdm.MDL | null = null;
    let userVa = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          if (!mdl) return complete(Irp, wdm.STATUS_INVALID_DEVICE_STATE);
          userVa = wdm.MmMapLockedPagesSpecifyCache(mdl, wdm.UserMode, wdm.MmCached, null, false, wdm.NormalPagePriority);
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    await runKernel(m, () => {
      mdl = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, wdm.PAGE_SIZE);
    });
    const app = m.createProcess("app.exe", async () => {
      const h = await open(kit);
      await w.DeviceIoControl(h, IOCTL_MAP, 0, 0, 0, 0, alloc(4));
    });
    const exited = await m.run();
    expect(exited.bugCheck ?? null).to.equal(null);
    expect(app.state).to.equal("exited");
    const current = mdl as wdm.MDL | null;
    expect(current?.userMappings ?? []).to.have.length(0);
    const r = await runKernel(m, () => {
      if (current) wdm.MmUnmapLockedPages(userVa, current);
    });
    expect(r.result.bugCheck?.code).to.equal(0xc4);
    expect(r.result.bugCheck?.parameters[0]).to.equal(0x83);
  });

  it("MmFreePagesFromMdl while the pages are still mapped into the app is Driver Verifier's 0xC4 (FreePagesStillMapped)", async () => {
    const m = newMachine();
    let mdl: wdm.MDL | null = null;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          const code = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
          if (!mdl) mdl = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, wdm.PAGE_SIZE);
          if (!mdl) return complete(Irp, wdm.STATUS_INSUFFICIENT_RESOURCES);
          if (code === IOCTL_MAP) wdm.MmMapLockedPagesSpecifyCache(mdl, wdm.UserMode, wdm.MmCached, null, false, wdm.NormalPagePriority);
          else wdm.MmFreePagesFromMdl(mdl);
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    attachVerifier(m, { drivers: ["IoTest"] });
    m.createProcess("app.exe", async () => {
      const h = await open(kit);
      await w.DeviceIoControl(h, IOCTL_MAP, 0, 0, 0, 0, alloc(4));
      await w.DeviceIoControl(h, IOCTL_FREE, 0, 0, 0, 0, alloc(4));
    });
    const result = await m.run();
    expect(result.bugCheck?.code).to.equal(0xc4);
    expect(result.bugCheck?.parameters[0]).to.equal(0x8a);
  });

  it("MmFreePagesFromMdl twice, or on an MDL MmAllocatePagesForMdl did not make, is PFN_LIST_CORRUPT", async () => {
    for (const how of ["twice", "probed"] as const) {
      const m = newMachine();
      const r = await runKernel(m, () => {
        if (how === "twice") {
          const mdl = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, wdm.PAGE_SIZE);
          if (!mdl) throw new Error("no MDL");
          wdm.MmFreePagesFromMdl(mdl);
          wdm.MmFreePagesFromMdl(mdl);
        } else {
          const block = wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED, 64, "Test");
          const mdl = wdm.IoAllocateMdl(block, 64, false, false, null);
          if (!mdl) throw new Error("no MDL");
          wdm.MmBuildMdlForNonPagedPool(mdl);
          wdm.MmFreePagesFromMdl(mdl);
        }
      });
      expect(r.result.bugCheck?.code, how).to.equal(wdm.BugCheckCode.PFN_LIST_CORRUPT);
    }
  });

  it("MmAllocatePagesForMdl is called at IRQL <= APC_LEVEL: at DISPATCH_LEVEL without MM_ALLOCATE_NO_WAIT, IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const old = wdm.KeRaiseIrqlToDpcLevel();
      const nowait = wdm.MmAllocatePagesForMdlEx(0, 0xffffffff, 0, wdm.PAGE_SIZE, wdm.MmCached, wdm.MM_ALLOCATE_NO_WAIT);
      if (nowait) {
        wdm.MmFreePagesFromMdl(nowait);
        wdm.IoFreeMdl(nowait);
      }
      wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, wdm.PAGE_SIZE);
      wdm.KeLowerIrql(old);
    });
    expect(r.result.bugCheck?.code).to.equal(wdm.BugCheckCode.IRQL_NOT_LESS_OR_EQUAL);
  });
});
