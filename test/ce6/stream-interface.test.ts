/**
 * The stream interface and the device manager's rules (CE's devcore: CreateDevice,
 * I_RegisterDeviceEx, LaunchDevice; Learn "Stream Interface Drivers", ActivateDeviceEx,
 * DeactivateDevice, XXX_PreClose, XXX_PreDeinit).
 */
import { expect } from "chai";
import {
  ActivateDeviceEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  CreateThread,
  DeactivateDevice,
  DeviceIoControl,
  ERROR_DEVICE_IN_USE,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_FUNCTION,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_SUPPORTED,
  ERROR_OPEN_FAILED,
  FILE_SHARE_READ,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  INFINITE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  PAGE_READWRITE,
  ReadFile,
  SetEvent,
  SetFilePointer,
  Sleep,
  VirtualAlloc,
  WaitForSingleObject,
  WriteFile,
  readAnsiString,
  readU32,
  writeAnsiString,
  writeU32,
  type CeExports,
} from "../../ce6/coredll.js";
import { ceMachine, ceOk, loadDriver, runCeApp, runCeKernel } from "./helpers.js";

/** A driver that logs every entry point it is called at; `omit` leaves entry points out. */
function logging(log: string[], omit: string[] = [], extra: CeExports = {}): CeExports {
  const all: Record<string, (...args: never[]) => unknown> = {
    LOG_Init: (ctx: string) => (log.push(`Init ${ctx}`), 0x100),
    LOG_PreDeinit: (d: number) => (log.push(`PreDeinit ${d}`), true),
    LOG_Deinit: (d: number) => (log.push(`Deinit ${d}`), true),
    LOG_Open: (d: number, access: number, share: number) => (log.push(`Open ${d} 0x${access.toString(16)} ${share}`), 0x200),
    LOG_PreClose: (o: number) => (log.push(`PreClose ${o}`), true),
    LOG_Close: (o: number) => (log.push(`Close ${o}`), true),
    LOG_Read: (o: number, p: number, n: number) => (log.push(`Read ${o} ${n}`), writeAnsiString(p, "data"), 5),
    LOG_Write: (o: number, p: number, n: number) => (log.push(`Write ${o} ${readAnsiString(p, n)}`), n),
    LOG_Seek: (o: number, amount: number, type: number) => (log.push(`Seek ${o} ${amount} ${type}`), 42),
    LOG_IOControl: (o: number, code: number) => (log.push(`IOControl ${o} ${code}`), true),
  };
  const kept = Object.fromEntries(Object.entries(all).filter(([k]) => !omit.includes(k.slice("LOG_".length))));
  return { ...kept, ...extra };
}

async function tryLoad(exports: CeExports, values: Record<string, string | number>): Promise<number> {
  const ce = ceMachine();
  return (await loadDriver(ce, "log.dll", exports, { Prefix: "LOG", Index: 1, ...values })).error;
}

describe("CE 6.0 stream interface and device manager", () => {
  it("Init and Deinit are required: without either, ERROR_INVALID_FUNCTION", async () => {
    expect(await tryLoad(logging([], ["Init"]), {})).to.equal(ERROR_INVALID_FUNCTION);
    expect(await tryLoad(logging([], ["Deinit"]), {})).to.equal(ERROR_INVALID_FUNCTION);
  });

  it("a named device needs Open, Close and one of Read/Write/Seek/IOControl (ERROR_INVALID_FUNCTION otherwise)", async () => {
    expect(await tryLoad(logging([], ["Open"]), {})).to.equal(ERROR_INVALID_FUNCTION);
    expect(await tryLoad(logging([], ["Close"]), {})).to.equal(ERROR_INVALID_FUNCTION);
    expect(await tryLoad(logging([], ["Read", "Write", "Seek", "IOControl"]), {})).to.equal(ERROR_INVALID_FUNCTION);
    expect(await tryLoad(logging([], ["Read", "Write", "Seek"]), {})).to.equal(0);
  });

  it("PreClose needs PreDeinit (ERROR_INVALID_FUNCTION)", async () => {
    expect(await tryLoad(logging([], ["PreDeinit"]), {})).to.equal(ERROR_INVALID_FUNCTION);
    expect(await tryLoad(logging([], ["PreDeinit", "PreClose"]), {})).to.equal(0);
  });

  it("an unnamed device (no Prefix) needs only Init and Deinit, with naked entry points", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    const r = await loadDriver(ce, "bus.dll", { Init: () => (log.push("Init"), 1), Deinit: () => true }, {});
    expect(r.error).to.equal(0);
    expect(log).to.deep.equal(["Init"]);
  });

  it("Init returning 0 fails with ERROR_OPEN_FAILED and leaves no device", async () => {
    const ce = ceMachine();
    const r = await loadDriver(ce, "log.dll", logging([], [], { LOG_Init: () => 0 }), { Prefix: "LOG", Index: 1 });
    expect(r).to.deep.equal({ handle: INVALID_HANDLE_VALUE, error: ERROR_OPEN_FAILED });
    expect(ce.devices.list()).to.have.length(0);
  });

  it("a DLL the platform does not have fails with ERROR_FILE_NOT_FOUND", async () => {
    const ce = ceMachine();
    ce.registry.setKey("Drivers\\BuiltIn\\X", { Prefix: "XXX", Dll: "missing.dll" });
    const r = ceOk(await runCeKernel(ce, async () => [await ActivateDeviceEx("Drivers\\BuiltIn\\X", null, 0, null), GetLastError()]));
    expect(r).to.deep.equal([INVALID_HANDLE_VALUE, ERROR_FILE_NOT_FOUND]);
  });

  it("names: SMD1: (legacy) and \\$device\\SMD1 both open the device; the index is 1 by default; index 10 has no legacy name", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    expect((await loadDriver(ce, "log.dll", logging(log), { Prefix: "LOG" })).error).to.equal(0);
    expect((await loadDriver(ce, "log2.dll", logging(log), { Prefix: "LOG", Index: 10 }, "Drivers\\BuiltIn\\LOG10")).error).to.equal(0);
    const r = ceOk(
      await runCeApp(ce, async () => {
        const names = ["LOG1:", "log1:", "\\$device\\LOG1", "$device\\LOG1", "\\$device\\LOG10", "LOG10:", "LOG2:"];
        const out: number[] = [];
        for (const n of names) {
          const h = await CreateFile(n, GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
          out.push(h === INVALID_HANDLE_VALUE ? -GetLastError() : 1);
          if (h !== INVALID_HANDLE_VALUE) await CloseHandle(h);
        }
        return out;
      }),
    );
    expect(r).to.deep.equal([1, 1, 1, 1, 1, -ERROR_FILE_NOT_FOUND, -ERROR_FILE_NOT_FOUND]);
  });

  it("a second device with the same name fails with ERROR_DEVICE_IN_USE; without an Index it takes the next free one", async () => {
    const ce = ceMachine();
    expect((await loadDriver(ce, "a.dll", logging([]), { Prefix: "LOG", Index: 1 })).error).to.equal(0);
    expect((await loadDriver(ce, "b.dll", logging([]), { Prefix: "LOG", Index: 1 })).error).to.equal(ERROR_DEVICE_IN_USE);
    expect((await loadDriver(ce, "c.dll", logging([]), { Prefix: "LOG" })).error).to.equal(0);
    expect(ce.devices.list().map((d) => d.legacyName)).to.deep.equal(["LOG1:", "LOG2:"]);
  });

  it("CreateFile calls XXX_Open with the access and share mode; DeviceIoControl, ReadFile, WriteFile and SetFilePointer reach IOControl, Read, Write and Seek; CloseHandle calls PreClose then Close", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    await loadDriver(ce, "log.dll", logging(log), { Prefix: "LOG", Index: 1 });
    const r = ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("LOG1:", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, null, OPEN_EXISTING, 0, 0);
        const buf = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        await DeviceIoControl(h, 0x222000, 0, 0, 0, 0, 0, null);
        const read = await ReadFile(h, buf, 16, buf + 64, null);
        const n = readU32(buf + 64);
        writeAnsiString(buf + 128, "hello");
        await WriteFile(h, buf + 128, 5, buf + 64, null);
        const pos = await SetFilePointer(h, 7, 0, 1);
        await CloseHandle(h);
        return [read, n, readAnsiString(buf), pos];
      }),
    );
    expect(r).to.deep.equal([true, 5, "data", 42]);
    expect(log).to.deep.equal(["Init Drivers\\Active\\01", "Open 256 0xc0000000 1", "IOControl 512 2236416", "Read 512 16", "Write 512 hello", "Seek 512 7 1", "PreClose 512", "Close 512"]);
  });

  it("a named device without IOControl fails DeviceIoControl with ERROR_NOT_SUPPORTED; an unknown name fails CreateFile with ERROR_FILE_NOT_FOUND", async () => {
    const ce = ceMachine();
    await loadDriver(ce, "log.dll", logging([], ["IOControl"]), { Prefix: "LOG", Index: 1 });
    const r = ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        const ok = await DeviceIoControl(h, 1, 0, 0, 0, 0, 0, null);
        const e = GetLastError();
        await CloseHandle(h);
        const none = await CreateFile("NOP1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        return [ok, e, none, GetLastError(), await DeviceIoControl(h, 1, 0, 0, 0, 0, 0, null), GetLastError()];
      }),
    );
    expect(r).to.deep.equal([false, ERROR_NOT_SUPPORTED, INVALID_HANDLE_VALUE, ERROR_FILE_NOT_FOUND, false, ERROR_INVALID_HANDLE]);
  });

  it("an Open returning 0 fails CreateFile (the driver's error, else ERROR_OPEN_FAILED)", async () => {
    const ce = ceMachine();
    await loadDriver(ce, "log.dll", logging([], [], { LOG_Open: () => 0 }), { Prefix: "LOG", Index: 1 });
    const r = ceOk(await runCeApp(ce, async () => [await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0), GetLastError()]));
    expect(r).to.deep.equal([INVALID_HANDLE_VALUE, ERROR_OPEN_FAILED]);
  });

  it("with a call in progress, CloseHandle runs PreClose at once and Close only when the call returns", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    let release = 0;
    const blocking = logging(log, [], {
      LOG_Init: () => {
        release = CreateEvent(null, true, false, null);
        return 1;
      },
      LOG_IOControl: async () => {
        log.push("IOControl waits");
        await WaitForSingleObject(release, INFINITE);
        log.push("IOControl returns");
        return true;
      },
      LOG_PreClose: () => {
        log.push("PreClose");
        SetEvent(release);
        return true;
      },
    });
    await loadDriver(ce, "log.dll", blocking, { Prefix: "LOG", Index: 1 });
    ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        // A second thread of the app sits in the driver; the main thread closes the handle.
        CreateThread(null, 0, () => DeviceIoControl(h, 1, 0, 0, 0, 0, 0, null), null, 0, 0, "caller");
        await Sleep(10);
        await CloseHandle(h);
        log.push("CloseHandle returned");
        await Sleep(10);
      }),
    );
    expect(log.slice(1)).to.deep.equal(["IOControl waits", "PreClose", "CloseHandle returned", "IOControl returns", "Close 512"]);
  });

  it("without PreClose, CloseHandle calls Close at once", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    await loadDriver(ce, "log.dll", logging(log, ["PreClose", "PreDeinit"]), { Prefix: "LOG", Index: 1 });
    ceOk(
      await runCeApp(ce, async () => {
        await CloseHandle(await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0));
      }),
    );
    expect(log.slice(-1)).to.deep.equal(["Close 512"]);
  });

  it("an app that dies closes its handles: the driver sees PreClose and Close", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    await loadDriver(ce, "log.dll", logging(log), { Prefix: "LOG", Index: 1 });
    const app = ce.createProcess("dies.exe", async () => {
      await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
      await Sleep(100);
    });
    ce.machine.after(50, "kill dies.exe", () => {
      app.kill(1);
    });
    await ce.run();
    expect(app.state).to.equal("exited");
    expect(log.slice(-2)).to.deep.equal(["PreClose 512", "Close 512"]);
  });

  it("an app killed while its thread runs in a kernel-mode driver exits only when the driver's code returns, then its handles close", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    await loadDriver(ce, "log.dll", logging(log, [], {
      LOG_IOControl: async () => {
        log.push("IOControl starts");
        await Sleep(100);
        log.push("IOControl finishes its work");
        return true;
      },
    }), { Prefix: "LOG", Index: 1 });
    const app = ce.createProcess("victim.exe", async () => {
      const h = await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
      await DeviceIoControl(h, 1, 0, 0, 0, 0, 0, null);
      log.push("the app ran on after its death");
    });
    ce.machine.after(50, "kill victim.exe", () => {
      app.kill(9);
      log.push("killed");
    });
    await ce.run();
    expect(app.exitStatus).to.equal(9);
    expect(log.slice(2)).to.deep.equal(["IOControl starts", "killed", "IOControl finishes its work", "PreClose 512", "Close 512"]);
  });

  it("DeactivateDevice calls PreDeinit at once and Deinit when the last handle closes; the name is gone at once", async () => {
    const ce = ceMachine();
    const log: string[] = [];
    const r = await loadDriver(ce, "log.dll", logging(log), { Prefix: "LOG", Index: 1 });
    ce.createProcess("holder.exe", async () => {
      const h = await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
      await Sleep(100);
      log.push(`late call ${String(await DeviceIoControl(h, 1, 0, 0, 0, 0, 0, null))} ${GetLastError()}`);
      await CloseHandle(h);
    });
    ce.createKernelThread("remover", async () => {
      await Sleep(50);
      log.push(`DeactivateDevice ${String(await DeactivateDevice(r.handle))}`);
      log.push(`reopen ${(await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0)) === INVALID_HANDLE_VALUE}`);
    });
    await ce.run();
    expect(log.slice(2)).to.deep.equal(["PreDeinit 256", "DeactivateDevice true", "reopen true", `late call false ${ERROR_INVALID_HANDLE}`, "PreClose 512", "Close 512", "Deinit 256"]);
    expect(ce.registry.hasKey("Drivers\\Active\\01")).to.equal(false);
  });

  it("a fault in a driver's IOControl fails the call with ERROR_INVALID_PARAMETER (the device manager's __except)", async () => {
    const ce = ceMachine();
    await loadDriver(ce, "log.dll", logging([], [], { LOG_IOControl: () => (writeU32(0x00001000, 1), true) }), { Prefix: "LOG", Index: 1 });
    const r = ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("LOG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        return [await DeviceIoControl(h, 1, 0, 0, 0, 0, 0, null), GetLastError()];
      }),
    );
    expect(r).to.deep.equal([false, ERROR_INVALID_PARAMETER]);
  });
});
