/**
 * The CE 5.0 compatibility mode, rule by rule against CE 6.0: VirtualCopy (and MmMapIoSpace,
 * its wrapper) failing with ERROR_INVALID_PARAMETER across a 32 MB section — seed 001 states this
 * as a CE 6.0 restriction; it is CE 5.0's, where a process slot was 32 MB — and the device
 * manager applying MapCallerPtr to DeviceIoControl buffers (seed 003's "Device Manager implicitly
 * calls MapCallerPtr"), which CE 6.0 replaced by the kernel's own check; MapCallerPtr itself is
 * unsupported in CE 6.0.
 */
import { expect } from "chai";
import {
  CloseHandle,
  CreateFile,
  DeviceIoControl,
  ERROR_INVALID_PARAMETER,
  GENERIC_READ,
  GetLastError,
  MEM_COMMIT,
  MEM_RESERVE,
  MapCallerPtr,
  MmMapIoSpace,
  OPEN_EXISTING,
  PAGE_NOACCESS,
  PAGE_READWRITE,
  Sleep,
  VirtualAlloc,
  VirtualAllocEx,
  VirtualCopyEx,
  type CeExports,
} from "../../ce6/coredll.js";
import type { CeMachine, CeVersion } from "../../ce6/index.js";
import { ceMachine, ceOk, loadDriver, runCeApp, runCeKernel } from "./helpers.js";

const MB = 0x100000;

async function mapIntoApp(ce: CeMachine, base: number, size: number, source: number): Promise<[boolean, number]> {
  const app = ce.createProcess("app.exe", () => Sleep(100));
  let result: [boolean, number] = [false, 0];
  ce.createKernelThread("driver", () => {
    const id = ce.processId(app);
    const va = VirtualAllocEx(id, base, size, MEM_RESERVE, PAGE_NOACCESS);
    const ok = VirtualCopyEx(id, va, id, source, size, PAGE_READWRITE);
    result = [ok, ok ? 0 : GetLastError()];
  });
  await ce.run();
  return result;
}

describe("CE 5.0 compatibility mode against CE 6.0", () => {
  for (const version of ["6.0", "5.0"] as const) {
    it(`CE ${version}: VirtualCopy of 32 MB crossing a 32 MB section ${version === "5.0" ? "fails with ERROR_INVALID_PARAMETER" : "maps"}`, async () => {
      const ce = ceMachine({ version, memoryBytes: 128 * MB });
      const r = await mapIntoApp(ce, 0x00010000, 32 * MB, 0x81f00000);
      expect(r).to.deep.equal(version === "5.0" ? [false, ERROR_INVALID_PARAMETER] : [true, 0]);
    });

    it(`CE ${version}: a mapping that stays inside one 32 MB section maps`, async () => {
      const ce = ceMachine({ version, memoryBytes: 128 * MB });
      expect(await mapIntoApp(ce, 0x02000000, 32 * MB, 0x81f00000)).to.deep.equal([true, 0]);
    });

    it(`CE ${version}: MmMapIoSpace (VirtualAlloc + VirtualCopy) ${version === "5.0" ? "fails" : "works"} across a 32 MB section`, async () => {
      const ce = ceMachine({ version, memoryBytes: 128 * MB });
      // Kernel VM starts at 0xD0000000, a section boundary: 33 MB cannot fit in one section.
      const r = ceOk(await runCeKernel(ce, () => [MmMapIoSpace(0x01000000, 33 * MB, false) !== 0, GetLastError()]));
      expect(r).to.deep.equal(version === "5.0" ? [false, ERROR_INVALID_PARAMETER] : [true, 0]);
    });
  }

  async function pointerDriver(version: CeVersion): Promise<{ ce: CeMachine; seen: number[] }> {
    const ce = ceMachine({ version });
    const seen: number[] = [];
    const exports: CeExports = {
      PTR_Init: () => 1,
      PTR_Deinit: () => true,
      PTR_Open: () => 1,
      PTR_Close: () => true,
      PTR_IOControl: (_h: number, _c: number, pIn: number, _n: number, pOut: number) => (seen.push(pIn, pOut), pIn !== 0),
    };
    await loadDriver(ce, "ptr.dll", exports, { Prefix: "PTR", Index: 1 });
    return { ce, seen };
  }

  async function sendKernelPointer(ce: CeMachine): Promise<[boolean, number, number]> {
    return ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("PTR1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        const out = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        const ok = await DeviceIoControl(h, 1, 0x80100000, 4, out, 4, 0, null);
        const e = ok ? 0 : GetLastError();
        await CloseHandle(h);
        return [ok, e, out] as [boolean, number, number];
      }),
    );
  }

  it("CE 6.0: a kernel address from an app fails DeviceIoControl with ERROR_INVALID_PARAMETER before the driver runs", async () => {
    const { ce, seen } = await pointerDriver("6.0");
    const [ok, error] = await sendKernelPointer(ce);
    expect([ok, error]).to.deep.equal([false, ERROR_INVALID_PARAMETER]);
    expect(seen).to.deep.equal([]);
  });

  it("CE 5.0: the device manager applies MapCallerPtr to the buffers: the kernel address reaches the driver as NULL, a good pointer unchanged", async () => {
    const { ce, seen } = await pointerDriver("5.0");
    const [ok, , out] = await sendKernelPointer(ce);
    expect(ok).to.equal(false);
    expect(seen).to.deep.equal([0, out]);
  });

  it("CE 6.0: MapCallerPtr is unsupported: it returns the pointer unchanged and warns; CE 5.0: it checks the pointer against the caller", async () => {
    for (const version of ["6.0", "5.0"] as const) {
      const ce = ceMachine({ version });
      const seen: number[] = [];
      const exports: CeExports = {
        MAP_Init: () => 1,
        MAP_Deinit: () => true,
        MAP_Open: () => 1,
        MAP_Close: () => true,
        MAP_IOControl: (_h: number, _c: number, pIn: number) => (seen.push(MapCallerPtr(0x80200000, 4), MapCallerPtr(pIn, 4)), true),
      };
      await loadDriver(ce, "map.dll", exports, { Prefix: "MAP", Index: 1 });
      const rec = ce.machine.trace.record();
      const pIn = ceOk(
        await runCeApp(ce, async () => {
          const h = await CreateFile("MAP1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
          const mem = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
          await DeviceIoControl(h, 1, mem, 4, 0, 0, 0, null);
          return mem;
        }),
      );
      rec.stop();
      const warned = rec.events.some((e) => e.kind === "DebugPrint" && e.text.includes("MapCallerPtr"));
      if (version === "6.0") {
        expect(seen).to.deep.equal([0x80200000, pIn]);
        expect(warned).to.equal(true);
      } else {
        expect(seen).to.deep.equal([0, pIn]);
        expect(warned).to.equal(false);
      }
    }
  });
});
