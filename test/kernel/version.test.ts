/** What the emulated machine says about itself: RtlGetVersion and the processor number routines. */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel/version: RtlGetVersion and KeGetCurrentProcessorNumberEx", () => {
  it("RtlGetVersion reports Windows 10 22H2 (10.0.19045, VER_PLATFORM_WIN32_NT; the EX form a workstation) and refuses a dwOSVersionInfoSize that is neither structure's size with STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const v = new wdm.RTL_OSVERSIONINFOW();
      v.dwOSVersionInfoSize = wdm.RTL_OSVERSIONINFOW.size;
      const plain = [wdm.ntStatusName(wdm.RtlGetVersion(v)), v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber, v.dwPlatformId];
      const ex = new wdm.RTL_OSVERSIONINFOEXW();
      ex.dwOSVersionInfoSize = wdm.RTL_OSVERSIONINFOEXW.size;
      const exResult = [wdm.ntStatusName(wdm.RtlGetVersion(ex)), ex.wProductType, ex.wServicePackMajor];
      const bad = new wdm.RTL_OSVERSIONINFOW();
      bad.dwOSVersionInfoSize = 100;
      const refused = [wdm.ntStatusName(wdm.RtlGetVersion(bad)), bad.dwMajorVersion];
      return { plain, exResult, refused };
    });
    expect(ok(r)).to.deep.equal({
      plain: ["STATUS_SUCCESS", 10, 0, 19045, wdm.VER_PLATFORM_WIN32_NT],
      exResult: ["STATUS_SUCCESS", wdm.VER_NT_WORKSTATION, 0],
      refused: ["STATUS_INVALID_PARAMETER", 0],
    });
  });

  it("KeGetCurrentProcessorNumberEx returns 0 on the machine's one processor and fills PROCESSOR_NUMBER (a local or one in memory) with group 0, number 0", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const local = new wdm.PROCESSOR_NUMBER();
      local.Number = 9;
      const n = wdm.KeGetCurrentProcessorNumberEx(local);
      const mem = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 4, "Test");
      wdm.writeU32(mem, 0xffffffff);
      wdm.KeGetCurrentProcessorNumberEx(mem);
      return [n, local.Group, local.Number, wdm.readU32(mem), wdm.KeGetCurrentProcessorNumberEx(null)];
    });
    expect(ok(r)).to.deep.equal([0, 0, 0, 0, 0]);
  });
});
