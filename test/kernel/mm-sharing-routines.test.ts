/**
 * The small Mm routines of memory sharing: MmSecureVirtualMemory / MmUnsecureVirtualMemory,
 * MmIsAddressValid, MmAllocateNonCachedMemory / MmFreeNonCachedMemory.
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { PTE_NOCACHE } from "../../kernel/pte.js";
import { IOCTL, alloc, complete, loadKit, open } from "../io-manager/kit.js";
import { newMachine, ok, runKernel } from "../helpers.js";

const IOCTL_SECURE = IOCTL(0x920, wdm.METHOD_BUFFERED);
const IOCTL_UNSECURE = IOCTL(0x921, wdm.METHOD_BUFFERED);

describe("kernel: MmSecureVirtualMemory, MmIsAddressValid, MmAllocateNonCachedMemory", () => {
  it("while a driver has the range secured, the app cannot free it or make it more restrictive (VirtualFree, VirtualProtect fail with ERROR_INVALID_PARAMETER); after MmUnsecureVirtualMemory it can", async () => {
    const m = newMachine();
    let secure = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
          const buffer = Irp.AssociatedIrp.SystemBuffer;
          if (sl.Parameters.DeviceIoControl.IoControlCode === IOCTL_SECURE) {
            // In the caller's context: the address is the app's.
            secure = wdm.MmSecureVirtualMemory(wdm.readU32(buffer), wdm.readU32(buffer + 4), wdm.readU32(buffer + 8));
            return complete(Irp, secure ? wdm.STATUS_SUCCESS : wdm.STATUS_INVALID_PARAMETER);
          }
          wdm.MmUnsecureVirtualMemory(secure);
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const results: Record<string, unknown> = {};
    m.createProcess("app.exe", async () => {
      const h = await open(kit);
      const region = w.VirtualAlloc(0, 4 * 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const roPage = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READONLY);
      const old = alloc(4);
      const args = alloc(12);
      const secureRange = async (address: number, size: number, mode: number): Promise<boolean> => {
        w.writeU32(args, address);
        w.writeU32(args + 4, size);
        w.writeU32(args + 8, mode);
        return w.DeviceIoControl(h, IOCTL_SECURE, args, 12, 0, 0, alloc(4));
      };
      results.unmapped = await secureRange(0x7000000, 4096, w.PAGE_READONLY);
      results.readOnlyForWrite = await secureRange(roPage, 4096, w.PAGE_READWRITE);
      results.system = await secureRange(0x80001000, 4096, w.PAGE_READONLY);
      results.secured = await secureRange(region + 4096, 100, w.PAGE_READWRITE);
      results.free = [w.VirtualFree(region, 0, w.MEM_RELEASE), w.GetLastError()];
      results.decommit = [w.VirtualFree(region + 4096, 4096, w.MEM_DECOMMIT), w.GetLastError()];
      results.protectReadOnly = [w.VirtualProtect(region, 3 * 4096, w.PAGE_READONLY, old), w.GetLastError()];
      results.protectOtherPage = w.VirtualProtect(region + 3 * 4096, 4096, w.PAGE_READONLY, old);
      results.protectSame = w.VirtualProtect(region + 4096, 4096, w.PAGE_READWRITE, old);
      await w.DeviceIoControl(h, IOCTL_UNSECURE, 0, 0, 0, 0, alloc(4));
      results.freeAfter = w.VirtualFree(region, 0, w.MEM_RELEASE);
      await w.CloseHandle(h);
    });
    const run = await m.run();
    expect(run.bugCheck ?? null).to.equal(null);
    expect(results).to.deep.equal({
      unmapped: false,
      readOnlyForWrite: false,
      system: false,
      secured: true,
      free: [false, w.ERROR_INVALID_PARAMETER],
      decommit: [false, w.ERROR_INVALID_PARAMETER],
      protectReadOnly: [false, w.ERROR_INVALID_PARAMETER],
      protectOtherPage: true,
      protectSame: true,
      freeAfter: true,
    });
  });

  it("a secured view cannot be unmapped (UnmapViewOfFile fails with ERROR_INVALID_PARAMETER) until the driver unsecures it", async () => {
    const m = newMachine();
    let secure = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
          if (sl.Parameters.DeviceIoControl.IoControlCode === IOCTL_SECURE) {
            secure = wdm.MmSecureVirtualMemory(wdm.readU32(Irp.AssociatedIrp.SystemBuffer), 4096, wdm.PAGE_READONLY);
            return complete(Irp, secure ? wdm.STATUS_SUCCESS : wdm.STATUS_INVALID_PARAMETER);
          }
          wdm.MmUnsecureVirtualMemory(secure);
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const results: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await open(kit);
      const map = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 4096, null);
      const view = w.MapViewOfFile(map, w.FILE_MAP_READ, 0, 0, 0);
      const args = alloc(4);
      w.writeU32(args, view);
      results.push(await w.DeviceIoControl(h, IOCTL_SECURE, args, 4, 0, 0, alloc(4)));
      results.push(await w.UnmapViewOfFile(view), w.GetLastError());
      await w.DeviceIoControl(h, IOCTL_UNSECURE, 0, 0, 0, 0, alloc(4));
      results.push(await w.UnmapViewOfFile(view));
      await w.CloseHandle(map);
      await w.CloseHandle(h);
    });
    const run = await m.run();
    expect(run.bugCheck ?? null).to.equal(null);
    expect(results).to.deep.equal([true, false, w.ERROR_INVALID_PARAMETER, true]);
  });

  it("MmIsAddressValid is true only where a read would not fault now: committed user pages of the current process and mapped system pages, not reserved, PAGE_NOACCESS, guard or freed ones", async () => {
    const m = newMachine();
    // An app that stays alive while the driver looks at its address space.
    const app = m.createProcess("app.exe", () => w.Sleep(w.INFINITE), { background: true });
    const space = app.addressSpace;
    if (!space) throw new Error("no address space");
    const committed = space.allocate(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE).base;
    const reserved = space.allocate(0, 4096, w.MEM_RESERVE, w.PAGE_READWRITE).base;
    const noAccess = space.allocate(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_NOACCESS).base;
    const guard = space.allocate(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE | w.PAGE_GUARD).base;
    const r = await runKernel(m, () => {
      const pool = wdm.ExAllocatePool2(wdm.POOL_FLAG_NON_PAGED, 64, "Vld ");
      const nc = wdm.MmAllocateNonCachedMemory(4096);
      const inSystem = [wdm.MmIsAddressValid(pool), wdm.MmIsAddressValid(nc), wdm.MmIsAddressValid(0x9ff00000)];
      wdm.MmFreeNonCachedMemory(nc, 4096);
      const freed = wdm.MmIsAddressValid(nc);
      // In the System process's context, the app's addresses are not there.
      const notHere = wdm.MmIsAddressValid(committed);
      const state = new wdm.KAPC_STATE();
      wdm.KeStackAttachProcess(app, state);
      const user = [committed, reserved, noAccess, guard, 0].map((a) => wdm.MmIsAddressValid(a));
      wdm.KeUnstackDetachProcess(state);
      wdm.ExFreePool(pool);
      return { inSystem, freed, notHere, user };
    });
    expect(ok(r)).to.deep.equal({ inSystem: [true, true, false], freed: false, notHere: false, user: [true, false, false, false, false] });
  });

  it("MmAllocateNonCachedMemory maps whole zeroed pages uncached in system space; MmFreeNonCachedMemory gives them back", async () => {
    const m = newMachine();
    const before = m.physical.usedFrames;
    const r = await runKernel(m, () => {
      const va = wdm.MmAllocateNonCachedMemory(4096 + 1);
      const pte = m.system.table.get(va >>> 12);
      const out = { system: va >= wdm.MM_SYSTEM_RANGE_START, aligned: va % 4096, uncached: (pte & PTE_NOCACHE) !== 0, zero: wdm.readU32(va + 4096), used: m.physical.usedFrames - before, none: wdm.MmAllocateNonCachedMemory(0) };
      wdm.writeU32(va + 4096 + 4, 9);
      wdm.MmFreeNonCachedMemory(va, 4096 + 1);
      return out;
    });
    expect(ok(r)).to.deep.equal({ system: true, aligned: 0, uncached: true, zero: 0, used: 2, none: 0 });
    expect(m.physical.usedFrames).to.equal(before);
  });

  it("MmFreeNonCachedMemory of an address that is no block (freed twice) is SYSTEM_PTE_MISUSE 0xDA; with the wrong size, 0xDA too", async () => {
    for (const how of ["twice", "size"] as const) {
      const m = newMachine();
      const r = await runKernel(m, () => {
        const va = wdm.MmAllocateNonCachedMemory(2 * 4096);
        if (how === "twice") {
          wdm.MmFreeNonCachedMemory(va, 2 * 4096);
          wdm.MmFreeNonCachedMemory(va, 2 * 4096);
        } else {
          wdm.MmFreeNonCachedMemory(va, 4096);
        }
      });
      expect(r.result.bugCheck?.code, how).to.equal(0xda);
      expect(r.result.bugCheck?.parameters[0], how).to.equal(how === "twice" ? 0x101 : 0x02);
    }
  });
});
