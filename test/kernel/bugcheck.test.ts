import { expect } from "chai";
import { KEVENT, KeSetEvent, NotificationEvent } from "../../kernel/api-ke.js";
import { ExAllocatePoolWithTag, NonPagedPool } from "../../kernel/api-ex.js";
import { readU32 } from "../../kernel/api-rtl.js";
import { BugCheckError, MachineHaltedError } from "../../kernel/bugcheck.js";
import { ModeError } from "../../kernel/machine.js";
import { VirtualAlloc } from "../../win32/memory.js";
import { Sleep } from "../../win32/sync.js";
import { newMachine, runApp, runKernel } from "../helpers.js";

describe("kernel: bug checks and mode errors", () => {
  it("KeBugCheckEx records code, name, parameters and their meanings, the thread, and the driver's source line", async () => {
    const m = newMachine();
    const r = await runKernel(m, function DriverRoutine() {
      m.bugCheck(0x44, 0x1234, 0, 0, 0);
    });
    const bc = r.result.bugCheck;
    expect(bc?.code).to.equal(0x44);
    expect(bc?.name).to.equal("MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(bc?.parameters).to.deep.equal([0x1234, 0, 0, 0]);
    expect(bc?.info.parameters[0]).to.equal("Address of the IRP");
    expect(bc?.thread).to.equal("System:test");
    expect(bc?.source).to.match(/^test\/kernel\/bugcheck\.test\.ts:\d+:\d+/);
    expect(String(r.error)).to.include("*** STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
  });

  it("a kernel-mode read of an invalid system address is PAGE_FAULT_IN_NONPAGED_AREA at the driver's line", async () => {
    const m = newMachine();
    let line = 0;
    const r = await runKernel(m, () => {
      line = Number(new Error().stack?.split("\n")[1]?.match(/:(\d+):\d+\)?$/)?.[1]);
      readU32(0x8f000000);
    });
    expect(r.result.bugCheck?.name).to.equal("PAGE_FAULT_IN_NONPAGED_AREA");
    expect(r.result.bugCheck?.parameters[0]).to.equal(0x8f000000);
    expect(r.result.bugCheck?.source).to.include(`test/kernel/bugcheck.test.ts:${line + 1}:`);
  });

  it("after a bug check every further call into the machine fails with an error that names it", async () => {
    const m = newMachine();
    let later: unknown = null;
    const r = await runKernel(m, () => {
      try {
        m.bugCheck(0x76, 0, 1, 2, 0);
      } catch {
        // A driver that swallows the bug check still cannot go on.
      }
      try {
        ExAllocatePoolWithTag(NonPagedPool, 16, "Test");
      } catch (e) {
        later = e;
      }
    });
    expect(r.result.outcome).to.equal("bugcheck");
    expect(later).to.be.instanceOf(MachineHaltedError);
    expect(String(later)).to.include("bug check 0x00000076 PROCESS_HAS_LOCKED_PAGES");
    expect(() => m.createProcess("late.exe", () => undefined)).to.throw(MachineHaltedError);
  });

  it("an exception a driver does not handle is KMODE_EXCEPTION_NOT_HANDLED in a system thread's words", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => undefined);
    expect(r.result.outcome).to.equal("completed");
    const m2 = newMachine();
    m2.createSystemThread("crashy", () => {
      readU32(0x1000);
    });
    const r2 = await m2.run();
    expect(r2.bugCheck?.name).to.equal("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED");
    expect(r2.bugCheck?.parameters[0]).to.equal(0xc0000005);
    expect(r2.bugCheck?.detail).to.include("raised STATUS_ACCESS_VIOLATION (address 0x00001000)");
  });

  it("a kernel-mode routine called from user mode is an error naming both", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      KeSetEvent(new KEVENT(NotificationEvent, false));
    });
    expect(r.error).to.be.instanceOf(ModeError);
    expect(String(r.error)).to.include("KeSetEvent is a kernel-mode routine (irpsim/wdm), but app.exe:main called it from user mode");
  });

  it("a user-mode API called from kernel mode is an error naming both", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => VirtualAlloc(0, 4096, 0x3000, 4));
    expect(r.error).to.be.instanceOf(ModeError);
    expect(String(r.error)).to.include("VirtualAlloc is a user-mode API (irpsim/win32), but System:test called it from kernel mode");
  });

  it("an app that calls the next API without awaiting a call still waiting in the kernel is told which call it did not await", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      // Sleep waits in the kernel; not awaiting it leaves the thread inside NtDelayExecution.
      void Sleep(10);
      VirtualAlloc(0, 4096, 0x3000, 4);
      await Promise.resolve();
    });
    expect(r.error).to.be.instanceOf(ModeError);
    // Sleep is SleepEx underneath, the call the thread is still inside.
    expect(String(r.error)).to.include("VirtualAlloc was called by app.exe:main while its call to SleepEx is still inside the kernel");
    expect(String(r.error)).to.include("must await it");
  });

  it("a bug check is not an NtStatusError, so a driver's __except cannot mistake it for one", () => {
    expect(BugCheckError.prototype).to.not.have.property("status");
  });
});
