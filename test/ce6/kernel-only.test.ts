/**
 * Kernel-only calls (process.c's user-mode method table, coredll's VirtualCopy; Learn "Kernel
 * Mode APIs", MmMapIoSpace, LoadKernelLibrary, KernelLibIoControl; seed 001): from user mode
 * VirtualCopyEx and VirtualAllocCopyEx fail with ERROR_NOT_SUPPORTED; MmMapIoSpace is for kernel
 * mode (and, through the reflector, user-mode drivers); a kernel library is how an app gets
 * mapping code to run in the kernel.
 */
import { expect } from "chai";
import {
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_MOD_NOT_FOUND,
  ERROR_NOT_SUPPORTED,
  GetCallerVMProcessId,
  GetCurrentProcess,
  GetCurrentProcessId,
  GetLastError,
  KernelLibIoControl,
  LoadKernelLibrary,
  MEM_COMMIT,
  MEM_RESERVE,
  MmMapIoSpace,
  MmUnmapIoSpace,
  PAGE_NOACCESS,
  PAGE_PHYSICAL,
  PAGE_READWRITE,
  VirtualAlloc,
  VirtualAllocCopyEx,
  VirtualCopy,
  VirtualCopyEx,
  VirtualQuery,
  readU32,
  writeU32,
  type CeExports,
} from "../../ce6/coredll.js";
import { PAGE_SHIFT } from "../../kernel/physical-memory.js";
import { PTE_NOCACHE } from "../../kernel/pte.js";
import { ceMachine, ceOk, runCeApp, runCeKernel } from "./helpers.js";

describe("CE 6.0 kernel-only calls", () => {
  it("from user mode VirtualCopyEx fails with ERROR_NOT_SUPPORTED, whatever its arguments", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeApp(ce, () => {
        const va = VirtualAlloc(0, 4096, MEM_RESERVE, PAGE_NOACCESS);
        const src = VirtualAlloc(0, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        return [VirtualCopyEx(GetCurrentProcess(), va, GetCurrentProcess(), src, 4096, PAGE_READWRITE), GetLastError()];
      }),
    );
    expect(r).to.deep.equal([false, ERROR_NOT_SUPPORTED]);
  });

  it("from user mode VirtualAllocCopyEx fails with ERROR_NOT_SUPPORTED", async () => {
    const ce = ceMachine();
    const r = ceOk(await runCeApp(ce, () => [VirtualAllocCopyEx(GetCurrentProcess(), GetCurrentProcess(), 0x80100000, 4096, PAGE_READWRITE), GetLastError()]));
    expect(r).to.deep.equal([0, ERROR_NOT_SUPPORTED]);
  });

  it("from user mode VirtualCopy without PAGE_PHYSICAL is VirtualCopyEx: ERROR_NOT_SUPPORTED", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeApp(ce, () => {
        const va = VirtualAlloc(0, 4096, MEM_RESERVE, PAGE_NOACCESS);
        return [VirtualCopy(va, 0x80100000, 4096, PAGE_READWRITE), GetLastError()];
      }),
    );
    expect(r).to.deep.equal([false, ERROR_NOT_SUPPORTED]);
  });

  it("from an app VirtualCopy with PAGE_PHYSICAL goes to the reflector, which serves only user-mode drivers: ERROR_INVALID_PARAMETER", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeApp(ce, () => {
        const va = VirtualAlloc(0, 4096, MEM_RESERVE, PAGE_NOACCESS);
        return [VirtualCopy(va, 0x00100000 / 256, 4096, PAGE_READWRITE | PAGE_PHYSICAL), GetLastError(), VirtualQuery(va)?.State];
      }),
    );
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, MEM_RESERVE]);
  });

  it("MmMapIoSpace in kernel mode maps a full physical address (offset kept, uncached unless asked) and MmUnmapIoSpace releases it", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeKernel(ce, () => {
        writeU32(0x80345678, 0xabcd);
        const va = MmMapIoSpace(0x00345678, 8, false);
        const value = readU32(va);
        const pte = ce.machine.system.table.get(va >>> PAGE_SHIFT);
        MmUnmapIoSpace(va, 8);
        return { va, value, nocache: (pte & PTE_NOCACHE) !== 0, after: ce.machine.system.table.get(va >>> PAGE_SHIFT), frame: pte >>> PAGE_SHIFT };
      }),
    );
    expect(r.va % 0x1000).to.equal(0x678);
    expect(r.va).to.be.within(0xd0000000, 0xdfffffff);
    expect(r).to.include({ value: 0xabcd, nocache: true, after: 0, frame: 0x345 });
  });

  it("MmMapIoSpace from an app fails (ERROR_INVALID_PARAMETER from the reflector)", async () => {
    const ce = ceMachine();
    const r = ceOk(await runCeApp(ce, () => [MmMapIoSpace(0x00100000, 4096, false), GetLastError()]));
    expect(r).to.deep.equal([0, ERROR_INVALID_PARAMETER]);
  });

  it("LoadKernelLibrary + KernelLibIoControl run an app's mapping code in the kernel, with the app's address space active", async () => {
    const ce = ceMachine();
    const seen: { current: number; vm: number }[] = [];
    const lib: CeExports = {
      IOControl: (_h: number, code: number, _in: number, _nIn: number, out: number) => {
        seen.push({ current: GetCurrentProcessId(), vm: GetCallerVMProcessId() });
        if (code !== 1) return false;
        const va = VirtualAllocCopyEx(GetCurrentProcess(), GetCallerVMProcessId(), 0x80100000, 4096, PAGE_READWRITE);
        writeU32(out, va);
        return va !== 0;
      },
    };
    ce.images.add("maplib.dll", lib);
    const r = await runCeApp(ce, async () => {
      const h = await LoadKernelLibrary("maplib.dll");
      const again = await LoadKernelLibrary("MAPLIB.DLL");
      const out = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const ok = await KernelLibIoControl(h, 1, 0, 0, out, 4, 0);
      const va = readU32(out);
      return { h, same: again === h, ok, va, missing: await LoadKernelLibrary("nosuch.dll"), missingError: GetLastError() };
    });
    const v = ceOk(r);
    expect(v).to.include({ same: true, ok: true, missing: 0, missingError: ERROR_MOD_NOT_FOUND });
    expect(v.va).to.be.within(0x10000, 0x3fffffff);
    expect(seen[0]).to.deep.equal({ current: ce.processId(ce.nk), vm: ce.processId(r.process) });
  });

  it("KernelLibIoControl checks the caller's buffers and the module handle", async () => {
    const ce = ceMachine();
    ce.images.add("lib.dll", { IOControl: () => true });
    ce.images.add("nolib.dll", { DllMain: () => true });
    const r = ceOk(
      await runCeApp(ce, async () => {
        const h = await LoadKernelLibrary("lib.dll");
        const n = await LoadKernelLibrary("nolib.dll");
        return [
          await KernelLibIoControl(h, 1, 0x80000000, 4, 0, 0, 0),
          GetLastError(),
          await KernelLibIoControl(0x12345, 1, 0, 0, 0, 0, 0),
          GetLastError(),
          await KernelLibIoControl(n, 1, 0, 0, 0, 0, 0),
          GetLastError(),
        ];
      }),
    );
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER, false, ERROR_INVALID_HANDLE, false, ERROR_NOT_SUPPORTED]);
  });
});
