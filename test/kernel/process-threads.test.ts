import { expect } from "chai";
import { attachVerifier, loadDriver, unloadDriver } from "../../index.js";
import * as wdm from "../../wdm.js";
import { CreateEvent, INFINITE, WaitForSingleObject } from "../../win32/sync.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel: process and thread routines", () => {
  it("thread and process ids: PsGetCurrentThreadId, PsGetThreadId, PsGetThreadProcessId, PsGetProcessId, PsInitialSystemProcess", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const t = wdm.PsGetCurrentThread();
      return [wdm.PsGetCurrentThreadId() === t.tid, wdm.PsGetThreadId(t) === t.tid, wdm.PsGetThreadProcessId(t), wdm.PsGetProcessId(wdm.PsInitialSystemProcess), wdm.PsInitialSystemProcess === m.systemProcess];
    });
    expect(ok(r)).to.deep.equal([true, true, m.systemProcess.pid, m.systemProcess.pid, true]);
  });

  it("PsGetCurrentProcessId names the thread's own process while it is attached to another (PsGetCurrentProcess follows the attach)", async () => {
    const m = newMachine();
    const app = m.createProcess("app.exe", () => undefined, { background: true });
    const r = await runKernel(m, () => {
      const state = new wdm.KAPC_STATE();
      wdm.KeStackAttachProcess(app, state);
      const ids = [wdm.PsGetCurrentProcessId(), wdm.PsGetProcessId(wdm.PsGetCurrentProcess())];
      wdm.KeUnstackDetachProcess(state);
      return ids;
    });
    expect(ok(r)).to.deep.equal([m.systemProcess.pid, app.pid]);
  });

  it("PsLookupProcessByProcessId and PsLookupThreadByThreadId return the object with a reference taken; an unknown id is STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const app = m.createProcess("app.exe", () => WaitForSingleObject(CreateEvent(null, true, false, null), INFINITE), { background: true });
    const r = await runKernel(m, () => {
      const before = app.pointerCount;
      const p = wdm.PsLookupProcessByProcessId(app.pid);
      const referenced = app.pointerCount - before;
      if (p.Process) wdm.ObDereferenceObject(p.Process);
      const me = wdm.PsLookupThreadByThreadId(wdm.PsGetCurrentThreadId());
      if (me.Thread) wdm.ObDereferenceObject(me.Thread);
      return [p.status, p.Process === app, referenced, me.status, me.Thread === wdm.PsGetCurrentThread(), wdm.PsLookupProcessByProcessId(0x7777).status, wdm.PsLookupThreadByThreadId(0x7777).status];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_SUCCESS, true, 1, wdm.STATUS_SUCCESS, true, wdm.STATUS_INVALID_PARAMETER, wdm.STATUS_INVALID_PARAMETER]);
  });

  it("a PsLookup reference never dropped is the verifier's LeakedReference", async () => {
    const m = newMachine();
    const v = attachVerifier(m);
    m.createSystemThread("driver", () => {
      m.enterActivity("dispatch routine", "LkDispatch", "Lk");
      wdm.PsLookupProcessByProcessId(m.systemProcess.pid);
    });
    await m.run();
    v.teardown();
    expect(m.findings.map((f) => f.rule)).to.include("LeakedReference");
  });

  it("KeSetPriorityThread returns the old priority; a priority outside 0..31 raises STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const t = wdm.KeGetCurrentThread();
      const old = wdm.KeSetPriorityThread(t, wdm.LOW_REALTIME_PRIORITY);
      const now = wdm.KeQueryPriorityThread(t);
      let raised = 0;
      try {
        wdm.KeSetPriorityThread(t, 32);
      } catch (e) {
        raised = (e as wdm.NtStatusError).status;
      }
      return [old, now, raised];
    });
    expect(ok(r)).to.deep.equal([8, 16, wdm.STATUS_INVALID_PARAMETER]);
  });
});

describe("kernel: process-notify routines", () => {
  it("a registered routine is called at creation (in the creator's context) and at exit (in the last thread's), at PASSIVE_LEVEL", async () => {
    const m = newMachine();
    const calls: string[] = [];
    function Notify(ParentId: number, ProcessId: number, Create: boolean): void {
      const who = wdm.PsGetCurrentThread();
      calls.push(`${Create ? "create" : "exit"} ${ProcessId} parent ${ParentId} on ${who.label} at ${wdm.KeGetCurrentIrql()}`);
    }
    await runKernel(m, () => wdm.PsSetCreateProcessNotifyRoutine(Notify, false));
    const app = m.createProcess("app.exe", () => undefined);
    await m.run();
    expect(calls).to.deep.equal([`create ${app.pid} parent 0 on System:process creation at 0`, `exit ${app.pid} parent 0 on app.exe:main at 0`]);
  });

  it("registering twice is STATUS_INVALID_PARAMETER, removing an unknown routine STATUS_PROCEDURE_NOT_FOUND, and a removed routine is not called", async () => {
    const m = newMachine();
    let called = 0;
    const Notify: wdm.CREATE_PROCESS_NOTIFY_ROUTINE = () => {
      called++;
    };
    const r = await runKernel(m, () => [
      wdm.PsSetCreateProcessNotifyRoutine(Notify, false),
      wdm.PsSetCreateProcessNotifyRoutine(Notify, false),
      wdm.PsSetCreateProcessNotifyRoutine(Notify, true),
      wdm.PsSetCreateProcessNotifyRoutine(Notify, true),
    ]);
    expect(ok(r)).to.deep.equal([wdm.STATUS_SUCCESS, wdm.STATUS_INVALID_PARAMETER, wdm.STATUS_SUCCESS, wdm.STATUS_PROCEDURE_NOT_FOUND]);
    m.createProcess("app.exe", () => undefined);
    await m.run();
    expect(called).to.equal(0);
  });

  it("an Ex routine gets the EPROCESS and PS_CREATE_NOTIFY_INFO, and refuses a creation by setting CreationStatus", async () => {
    const m = newMachine();
    const seen: string[] = [];
    let ran = false;
    const Deny: wdm.CREATE_PROCESS_NOTIFY_ROUTINE_EX = (Process, ProcessId, CreateInfo) => {
      seen.push(`${Process.name} ${ProcessId === Process.pid} ${CreateInfo ? `create ${CreateInfo.ImageFileName}` : "exit"}`);
      if (CreateInfo && Process.name === "blocked.exe") CreateInfo.CreationStatus = wdm.STATUS_ACCESS_DENIED;
    };
    await runKernel(m, () => wdm.PsSetCreateProcessNotifyRoutineEx(Deny, false));
    const p = m.createProcess("blocked.exe", () => {
      ran = true;
    });
    await m.run();
    expect(ran).to.equal(false);
    expect(p.exitStatus).to.equal(wdm.STATUS_ACCESS_DENIED);
    expect(seen).to.deep.equal(["blocked.exe true create blocked.exe", "blocked.exe true exit"]);
  });

  it("under the verifier, a driver that unloads with a notify routine still registered is bug check 0xCE", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadDriver(m, "NtfyDrv", (DriverObject) => {
      DriverObject.DriverUnload = () => undefined;
      return wdm.PsSetCreateProcessNotifyRoutine(function NtfyProcessNotify() {}, false);
    });
    try {
      await unloadDriver(m, "NtfyDrv");
    } catch {
      // the bug check
    }
    expect(m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record.rule : null).to.equal("0xCE UnloadWithNotifyRoutine");
  });

  it("without the verifier, the next process creation calls the unloaded driver's routine: bug check 0xCE then", async () => {
    const m = newMachine();
    await loadDriver(m, "NtfyDrv", (DriverObject) => {
      DriverObject.DriverUnload = () => undefined;
      return wdm.PsSetCreateProcessNotifyRoutine(function NtfyProcessNotify() {}, false);
    });
    await unloadDriver(m, "NtfyDrv");
    let error: unknown = null;
    try {
      m.createProcess("app.exe", () => undefined);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Error);
    expect(m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record.name : null).to.equal("DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS");
  });
});
