/**
 * The user-mode driver reflector (CE 6.0's reflector service and udevice.exe; seed 001): a
 * driver with DEVFLAGS_LOAD_AS_USERPROC runs in udevice.exe; its VirtualCopy(PAGE_PHYSICAL) and
 * MmMapIoSpace are served only inside its registry memory windows (MemBase/MemLen, or
 * IoBase/IoLen translating to memory space; single values or equal-length multi-string lists);
 * its callers' buffers are copied in and out.
 */
import { expect } from "chai";
import {
  CloseHandle,
  CreateFile,
  DEVFLAGS_LOAD_AS_USERPROC,
  DeviceIoControl,
  ERROR_INVALID_PARAMETER,
  GENERIC_READ,
  GetCallerVMProcessId,
  GetCurrentProcessId,
  GetLastError,
  MEM_COMMIT,
  MEM_RESERVE,
  MmMapIoSpace,
  OPEN_EXISTING,
  PAGE_NOACCESS,
  PAGE_PHYSICAL,
  PAGE_READWRITE,
  VirtualAlloc,
  VirtualCopy,
  readAnsiString,
  readU32,
  writeAnsiString,
  type CeExports,
} from "../../ce6/coredll.js";
import type { CeCreateOptions, RegistryKeyValues } from "../../ce6/index.js";
import { ceMachine, ceOk, loadDriver, runCeApp } from "./helpers.js";

/** Mapping attempts a user-mode driver makes in its Init, and their results. */
interface Attempt {
  readonly physical: number;
  readonly size: number;
  readonly via: "VirtualCopy" | "MmMapIoSpace";
}

function mapper(attempts: readonly Attempt[], results: { ok: boolean; error: number }[], ids?: { current: number; vm: number }[]): CeExports {
  return {
    UMD_Init: () => {
      for (const a of attempts) {
        if (a.via === "VirtualCopy") {
          const va = VirtualAlloc(0, a.size + (a.physical % 4096), MEM_RESERVE, PAGE_NOACCESS);
          const ok = VirtualCopy(va + (a.physical % 4096), Math.floor(a.physical / 256), a.size, PAGE_PHYSICAL | PAGE_READWRITE);
          results.push({ ok, error: ok ? 0 : GetLastError() });
        } else {
          const va = MmMapIoSpace(a.physical, a.size, false);
          results.push({ ok: va !== 0, error: va ? 0 : GetLastError() });
        }
      }
      if (ids) ids.push({ current: GetCurrentProcessId(), vm: GetCallerVMProcessId() });
      return 1;
    },
    UMD_Deinit: () => true,
    UMD_Open: () => 1,
    UMD_Close: () => true,
    UMD_IOControl: (_h: number, _c: number, pIn: number, nIn: number, pOut: number, nOut: number) => {
      const text = readAnsiString(pIn, nIn);
      writeAnsiString(pOut, text.toUpperCase().slice(0, nOut - 1));
      return pOut !== 0;
    },
  };
}

async function load(attempts: Attempt[], registry: RegistryKeyValues, options: CeCreateOptions = {}): Promise<{ ok: boolean; error: number }[]> {
  const ce = ceMachine(options);
  const results: { ok: boolean; error: number }[] = [];
  const r = await loadDriver(ce, "umd.dll", mapper(attempts, results), { Prefix: "UMD", Index: 1, Flags: DEVFLAGS_LOAD_AS_USERPROC, ...registry });
  expect(r.error).to.equal(0);
  return results;
}

const WINDOW = { MemBase: 0x48000000, MemLen: 0x2000 };

describe("CE 6.0 user-mode drivers and the reflector", () => {
  it("a user-mode driver runs in udevice.exe, in its address space", async () => {
    const ce = ceMachine();
    const ids: { current: number; vm: number }[] = [];
    const r = await loadDriver(ce, "umd.dll", mapper([], [], ids), { Prefix: "UMD", Index: 1, Flags: DEVFLAGS_LOAD_AS_USERPROC });
    expect(r.error).to.equal(0);
    const host = ce.devices.byHandle(r.handle)?.host;
    expect(host?.name).to.equal("udevice.exe");
    expect(ids[0]).to.deep.equal({ current: ce.processId(host ?? ce.nk), vm: ce.processId(host ?? ce.nk) });
  });

  it("the reflector maps a range only inside the driver's MemBase/MemLen window (ERROR_INVALID_PARAMETER otherwise)", async () => {
    const results = await load(
      [
        { physical: 0x48000000, size: 0x2000, via: "VirtualCopy" },
        { physical: 0x48001000, size: 0x1000, via: "VirtualCopy" },
        { physical: 0x48001000, size: 0x2000, via: "VirtualCopy" },
        { physical: 0x47fff000, size: 0x1000, via: "VirtualCopy" },
        { physical: 0x48000010, size: 0x10, via: "MmMapIoSpace" },
        { physical: 0x48001ff8, size: 0x10, via: "MmMapIoSpace" },
      ],
      WINDOW,
    );
    expect(results).to.deep.equal([
      { ok: true, error: 0 },
      { ok: true, error: 0 },
      { ok: false, error: ERROR_INVALID_PARAMETER },
      { ok: false, error: ERROR_INVALID_PARAMETER },
      { ok: true, error: 0 },
      { ok: false, error: ERROR_INVALID_PARAMETER },
    ]);
  });

  it("a driver with no window gets nothing mapped", async () => {
    const results = await load([{ physical: 0x48000000, size: 0x1000, via: "VirtualCopy" }], {});
    expect(results).to.deep.equal([{ ok: false, error: ERROR_INVALID_PARAMETER }]);
  });

  it("IoBase/IoLen windows count when the bus translates them to memory space, not when they stay I/O ports", async () => {
    const io = { IoBase: 0x48000000, IoLen: 0x1000 };
    const attempt: Attempt[] = [{ physical: 0x48000000, size: 0x1000, via: "VirtualCopy" }];
    expect(await load(attempt, io)).to.deep.equal([{ ok: true, error: 0 }]);
    expect(await load(attempt, io, { ioWindowsAreMemory: false })).to.deep.equal([{ ok: false, error: ERROR_INVALID_PARAMETER }]);
  });

  it("several windows can be listed as multi-strings of equal length; unequal lists give no window", async () => {
    const attempts: Attempt[] = [
      { physical: 0x48000000, size: 0x1000, via: "VirtualCopy" },
      { physical: 0x49000000, size: 0x1000, via: "VirtualCopy" },
    ];
    expect(await load(attempts, { IoBase: ["0x48000000", "0x49000000"], IoLen: ["0x1000", "0x1000"] })).to.deep.equal([
      { ok: true, error: 0 },
      { ok: true, error: 0 },
    ]);
    expect(await load(attempts, { IoBase: ["0x48000000", "0x49000000"], IoLen: ["0x1000"] })).to.deep.equal([
      { ok: false, error: ERROR_INVALID_PARAMETER },
      { ok: false, error: ERROR_INVALID_PARAMETER },
    ]);
  });

  it("a call into a user-mode driver copies the caller's buffers into udevice.exe and the output back", async () => {
    const ce = ceMachine();
    expect((await loadDriver(ce, "umd.dll", mapper([], []), { Prefix: "UMD", Index: 1, Flags: DEVFLAGS_LOAD_AS_USERPROC })).error).to.equal(0);
    const r = await runCeApp(ce, async () => {
      const h = await CreateFile("UMD1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
      const buf = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      writeAnsiString(buf, "shout");
      const ok = await DeviceIoControl(h, 1, buf, 6, buf + 64, 32, 0, null);
      const bad = await DeviceIoControl(h, 1, 0x80000000, 6, buf + 64, 32, 0, null);
      const badError = GetLastError();
      await CloseHandle(h);
      return [ok, readAnsiString(buf + 64), bad, badError, readU32(buf + 128)];
    });
    expect(ceOk(r)).to.deep.equal([true, "SHOUT", false, ERROR_INVALID_PARAMETER, 0]);
    expect(ce.machine.bytesCopied).to.equal(6 + 32);
  });
});
