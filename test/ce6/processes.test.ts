/**
 * Processes and thread migration (Learn "Process ID Functions (Windows Embedded CE 6.0)",
 * GetCallerVMProcessId, GetDirectCallerProcessId, GetOwnerProcess, GetCallerProcess): nk.exe is
 * the kernel and the device manager lives in it; an app's thread calling a kernel-mode driver
 * runs in nk.exe with the app's address space active.
 */
import { expect } from "chai";
import {
  CE_CURRENT_PROCESS,
  CloseHandle,
  CreateFile,
  DeviceIoControl,
  ERROR_INVALID_HANDLE,
  GENERIC_READ,
  GetCallerProcess,
  GetCallerVMProcessId,
  GetCurrentProcess,
  GetCurrentProcessId,
  GetDirectCallerProcessId,
  GetLastError,
  GetOwnerProcess,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  OpenProcess,
  PAGE_NOACCESS,
  PAGE_READWRITE,
  VirtualAlloc,
  VirtualAllocEx,
  readAnsiString,
  writeAnsiString,
  type CeExports,
} from "../../ce6/coredll.js";
import type { CeMachine } from "../../ce6/index.js";
import { ceMachine, ceOk, loadDriver, runCeApp, runCeKernel } from "./helpers.js";

/** What a driver saw from inside its IOControl. */
interface Seen {
  current: number;
  vm: number;
  direct: number;
  owner: number;
  callerProcess: number;
  pseudo: number;
  text: string;
}

/** A driver ("IDS") that records the process ids inside IOControl, and reads the caller's input in place. */
function idsDriver(seen: Seen[], forward?: () => Promise<void>): CeExports {
  return {
    IDS_Init: () => 1,
    IDS_Deinit: () => true,
    IDS_Open: () => 1,
    IDS_Close: () => true,
    IDS_IOControl: async (_h: number, _code: number, pIn: number) => {
      seen.push({
        current: GetCurrentProcessId(),
        vm: GetCallerVMProcessId(),
        direct: GetDirectCallerProcessId(),
        owner: GetOwnerProcess(),
        callerProcess: GetCallerProcess(),
        pseudo: GetCurrentProcess(),
        text: pIn ? readAnsiString(pIn) : "",
      });
      if (forward) await forward();
      return true;
    },
  };
}

async function openAndCall(text: string): Promise<void> {
  const h = await CreateFile("IDS1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
  const buf = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  writeAnsiString(buf, text);
  await DeviceIoControl(h, 1, buf, text.length + 1, 0, 0, 0, null);
  await CloseHandle(h);
}

async function setup(seen: Seen[], forward?: () => Promise<void>): Promise<CeMachine> {
  const ce = ceMachine();
  const r = await loadDriver(ce, "ids.dll", idsDriver(seen, forward), { Prefix: "IDS", Index: 1 });
  expect(r.error).to.equal(0);
  return ce;
}

describe("CE 6.0 processes and thread migration", () => {
  it("inside a kernel-mode driver GetCurrentProcessId is nk.exe's, GetCallerVMProcessId, GetDirectCallerProcessId and GetOwnerProcess the app's", async () => {
    const seen: Seen[] = [];
    const ce = await setup(seen);
    const r = await runCeApp(ce, () => openAndCall("from the app"), "caller.exe");
    ceOk(r);
    const app = ce.processId(r.process);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.deep.equal({ current: ce.processId(ce.nk), vm: app, direct: app, owner: app, callerProcess: app, pseudo: CE_CURRENT_PROCESS, text: "from the app" });
  });

  it("the caller's address space stays active during the call: the driver reads the app's buffer at the app's own address", async () => {
    const seen: Seen[] = [];
    const ce = await setup(seen);
    ceOk(await runCeApp(ce, () => openAndCall("read in place")));
    expect(seen[0]?.text).to.equal("read in place");
    expect(ce.machine.bytesCopied).to.equal(0);
  });

  it("when a kernel component calls the driver, GetDirectCallerProcessId is nk.exe's while GetCallerVMProcessId stays the app's", async () => {
    const seen: Seen[] = [];
    const inner: Seen[] = [];
    const ce = ceMachine();
    // OUT forwards each call to IDS1: from kernel mode, as a layered driver would.
    const outer: CeExports = {
      OUT_Init: () => 1,
      OUT_Deinit: () => true,
      OUT_Open: () => 1,
      OUT_Close: () => true,
      OUT_IOControl: async (_h: number, code: number, pIn: number, nIn: number) => {
        seen.push({ current: GetCurrentProcessId(), vm: GetCallerVMProcessId(), direct: GetDirectCallerProcessId(), owner: GetOwnerProcess(), callerProcess: GetCallerProcess(), pseudo: 0, text: "" });
        const h = await CreateFile("IDS1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        const ok = await DeviceIoControl(h, code, pIn, nIn, 0, 0, 0, null);
        await CloseHandle(h);
        return ok;
      },
    };
    expect((await loadDriver(ce, "ids.dll", idsDriver(inner), { Prefix: "IDS", Index: 1 })).error).to.equal(0);
    expect((await loadDriver(ce, "out.dll", outer, { Prefix: "OUT", Index: 1 })).error).to.equal(0);
    const r = await runCeApp(ce, async () => {
      const h = await CreateFile("OUT1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
      const buf = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      writeAnsiString(buf, "layered");
      return DeviceIoControl(h, 7, buf, 8, 0, 0, 0, null);
    });
    expect(ceOk(r)).to.equal(true);
    const app = ce.processId(r.process);
    const nk = ce.processId(ce.nk);
    expect(seen[0]).to.include({ current: nk, vm: app, direct: app, owner: app });
    expect(inner[0]).to.include({ current: nk, vm: app, direct: nk, owner: app, callerProcess: nk, text: "layered" });
  });

  it("outside any call every id function reports the thread's own process", async () => {
    const ce = ceMachine();
    const r = await runCeApp(ce, () => [GetCurrentProcessId(), GetCallerVMProcessId(), GetDirectCallerProcessId(), GetOwnerProcess(), GetCallerProcess()]);
    const id = ce.processId(r.process);
    expect(ceOk(r)).to.deep.equal([id, id, id, id, id]);
    const k = ceOk(await runCeKernel(ce, () => [GetCurrentProcessId(), GetCallerVMProcessId(), GetOwnerProcess()]));
    expect(k).to.deep.equal([ce.processId(ce.nk), ce.processId(ce.nk), ce.processId(ce.nk)]);
  });

  it("process ids are accepted where process handles are expected, and so are OpenProcess handles", async () => {
    const ce = ceMachine();
    const r = await runCeApp(ce, () => {
      const byId = VirtualAllocEx(GetCurrentProcessId(), 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      const h = OpenProcess(0, false, GetCurrentProcessId());
      const byHandle = VirtualAllocEx(h, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      const byPseudo = VirtualAllocEx(GetCurrentProcess(), 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      const bad = VirtualAllocEx(0x40001234, 0, 4096, MEM_RESERVE, PAGE_NOACCESS);
      return [byId, byHandle, byPseudo, bad, GetLastError(), OpenProcess(0, false, 0x40001234)];
    });
    expect(ceOk(r)).to.deep.equal([0x00010000, 0x00020000, 0x00030000, 0, ERROR_INVALID_HANDLE, 0]);
  });

  it("every CE kernel routine a driver calls is an injection point for an exploration layer", async () => {
    const seen: Seen[] = [];
    const ce = await setup(seen);
    const points: string[] = [];
    ce.machine.injector = (point) => points.push(point);
    ceOk(await runCeApp(ce, () => openAndCall("x")));
    expect(points).to.include.members(["GetCurrentProcessId", "GetCallerVMProcessId", "GetDirectCallerProcessId", "GetOwnerProcess"]);
    // App-side calls (user mode) are not injection points.
    expect(points).not.to.include("CreateFile");
  });

  it("ids never collide with handle values", async () => {
    const ce = ceMachine();
    const r = await runCeApp(ce, () => [GetCurrentProcessId(), OpenProcess(0, false, GetCurrentProcessId())]);
    const [id, handle] = ceOk(r) as [number, number];
    expect(id & 0x40000000).to.equal(0x40000000);
    expect(handle).to.be.below(0x10000);
  });
});
