import { expect } from "chai";
import { KEVENT, KeWaitForSingleObject, KernelMode, NotificationEvent } from "../../kernel/api-ke.js";
import { STATUS_ACCESS_VIOLATION } from "../../kernel/status.js";
import { CloseHandle, CreateEvent, INFINITE, Sleep, WaitForSingleObject } from "../../win32/sync.js";
import { CreateThread, ExitProcess, ExitThread, GetCurrentProcess, GetExitCodeProcess, GetExitCodeThread, STILL_ACTIVE, TerminateProcess } from "../../win32/process.js";
import { GetLastError } from "../../win32/last-error.js";
import { GetProcessHeap, HeapAlloc, readU32 } from "../../win32/index.js";
import { ERROR_INVALID_HANDLE } from "../../win32/errors.js";
import { newMachine, ok, runApp } from "../helpers.js";

describe("kernel: processes, threads and handles", () => {
  it("handle values are multiples of 4 from 4, and a closed handle's value is reused first", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const a = CreateEvent(null, true, false, null);
      const b = CreateEvent(null, true, false, null);
      const c = CreateEvent(null, true, false, null);
      await CloseHandle(b);
      const d = CreateEvent(null, true, false, null);
      return [a, b, c, d];
    });
    expect(ok(r)).to.deep.equal([4, 8, 12, 8]);
  });

  it("closing a handle that is not open fails with ERROR_INVALID_HANDLE, and closing twice fails the second time", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const h = CreateEvent(null, true, false, null);
      const first = await CloseHandle(h);
      const second = await CloseHandle(h);
      return [first, second, GetLastError()];
    });
    expect(ok(r)).to.deep.equal([true, false, ERROR_INVALID_HANDLE]);
  });

  it("an object lives while a handle or a reference holds it; its handle count tracks open handles", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const h = CreateEvent(null, true, false, null);
      const entry = m.currentThread().process.handleTable.lookup(h);
      const o = entry?.object;
      const before = [o?.handleCount, o?.pointerCount];
      await CloseHandle(h);
      return [before, [o?.handleCount, o?.pointerCount, o?.deleted]];
    });
    expect(ok(r)).to.deep.equal([[1, 1], [0, 0, true]]);
  });

  it("a thread's exit code is STILL_ACTIVE until it returns, then its return value; the thread object is signalled", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const codes = HeapAlloc(GetProcessHeap(), 8, 8);
      const h = CreateThread(null, 0, async (n: number) => {
        await Sleep(5);
        return n * 2;
      }, 21, 0, 0);
      GetExitCodeThread(h, codes);
      const running = readU32(codes);
      const w = await WaitForSingleObject(h, INFINITE);
      GetExitCodeThread(h, codes + 4);
      return [running, w, readU32(codes + 4)];
    });
    expect(ok(r)).to.deep.equal([STILL_ACTIVE, 0, 42]);
  });

  it("an unhandled access violation in app code terminates the process with STATUS_ACCESS_VIOLATION", async () => {
    const m = newMachine();
    const p = m.createProcess("crash.exe", () => {
      readU32(0x80001000);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(p.state).to.equal("exited");
    expect(p.exitStatus).to.equal(STATUS_ACCESS_VIOLATION);
    expect(p.exitReason).to.include("STATUS_ACCESS_VIOLATION at 0x80001000");
  });

  it("a JavaScript error in app code ends its process and is reported with the run", async () => {
    const m = newMachine();
    const p = m.createProcess("assert.exe", () => {
      throw new Error("app assertion failed");
    });
    const r = await m.run();
    expect(p.state).to.equal("exited");
    expect(r.errors.map((e) => String(e.error))).to.deep.equal(["Error: app assertion failed"]);
  });

  it("ExitProcess ends every thread: the others exit at their next user-mode wait", async () => {
    const m = newMachine();
    let workerAfterWait = false;
    const p = m.createProcess("app.exe", async () => {
      const ev = CreateEvent(null, true, false, null);
      CreateThread(null, 0, async () => {
        await WaitForSingleObject(ev, INFINITE);
        workerAfterWait = true;
      }, null, 0, 0);
      await Sleep(1);
      await ExitProcess(7);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(workerAfterWait).to.equal(false);
    expect(p.state).to.equal("exited");
    expect(p.exitStatus).to.equal(7);
    expect(p.threads.every((t) => t.state === "terminated")).to.equal(true);
    expect(p.handleTable.count).to.equal(0);
  });

  it("ExitThread of the last thread ends the process with that thread's exit code", async () => {
    const m = newMachine();
    const p = m.createProcess("app.exe", () => ExitThread(3));
    await m.run();
    expect([p.state, p.exitStatus]).to.deep.equal(["exited", 3]);
  });

  it("the harness killing a process ends a thread blocked in a user-mode wait, and the process object is signalled", async () => {
    const m = newMachine();
    const app = m.createProcess("victim.exe", async () => {
      const ev = CreateEvent(null, true, false, null);
      await WaitForSingleObject(ev, INFINITE);
    });
    let sawExit = -1;
    m.createSystemThread("watcher", async () => {
      await KeWaitForSingleObject(app, 0, KernelMode, false);
      sawExit = m.nowMs;
    });
    m.after(25, "kill", () => {
      app.kill(0xdead);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(sawExit).to.equal(25);
    expect(app.exitStatus).to.equal(0xdead);
    expect(app.exitReason).to.equal("killed");
  });

  it("termination of a thread waiting in kernel mode is deferred until it returns to user mode", async () => {
    const m = newMachine();
    const ev = new KEVENT(NotificationEvent, false, "driverEvent");
    const order: string[] = [];
    const app = m.createProcess("app.exe", async () => {
      // Stand-in for a system service that waits in kernel mode (as a dispatch routine may).
      const t = m.currentThread();
      m.enterKernel(t);
      await KeWaitForSingleObject(ev, 0, KernelMode, false);
      order.push(`kernel wait ended at ${m.nowMs}`);
      await m.returnToUser(t);
      order.push("returned to user mode");
    });
    m.after(10, "kill", () => {
      app.kill(1);
    });
    m.after(30, "signal", () => {
      m.signal(ev);
    });
    await m.run();
    expect(order).to.deep.equal(["kernel wait ended at 30"]);
    expect(app.state).to.equal("exited");
  });

  it("TerminateProcess on another process's handle ends it; GetExitCodeProcess then reports the code", async () => {
    const m = newMachine();
    const victim = m.createProcess("victim.exe", () => Sleep(1_000_000));
    const r = await runApp(m, async () => {
      const t = m.currentThread();
      const h = m.ob.insertHandle(t.process, victim, 0x1fffff);
      const code = HeapAlloc(GetProcessHeap(), 8, 4);
      const ok1 = await TerminateProcess(h, 99);
      await WaitForSingleObject(h, INFINITE);
      GetExitCodeProcess(h, code);
      return [ok1, readU32(code)];
    });
    expect(ok(r)).to.deep.equal([true, 99]);
  });

  it("TerminateProcess of the calling process does not return", async () => {
    const m = newMachine();
    let returned = false;
    const p = m.createProcess("self.exe", async () => {
      await TerminateProcess(GetCurrentProcess(), 5);
      returned = true;
    });
    await m.run();
    expect(returned).to.equal(false);
    expect(p.exitStatus).to.equal(5);
  });
});
