import { expect } from "chai";
import { attachVerifier } from "../../index.js";
import * as wdm from "../../wdm.js";
import { CreateEvent, INFINITE, WAIT_OBJECT_0, WaitForSingleObject } from "../../win32/sync.js";
import { newMachine, ok, runKernel } from "../helpers.js";

function kernelAttributes(name: string | null = null, extra = 0): wdm.OBJECT_ATTRIBUTES {
  const oa = new wdm.OBJECT_ATTRIBUTES();
  wdm.InitializeObjectAttributes(oa, name, wdm.OBJ_KERNEL_HANDLE | extra, 0, null);
  return oa;
}

describe("kernel: kernel handles and Zw routines", () => {
  it("ZwCreateEvent with OBJ_KERNEL_HANDLE makes a kernel handle; ZwSetEvent, ZwWaitForSingleObject, ZwClearEvent and ZwClose act through it", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const { status, EventHandle } = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes(), wdm.NotificationEvent, false);
      const kernelBit = (EventHandle & 0x80000000) !== 0;
      const polled = await wdm.ZwWaitForSingleObject(EventHandle, false, 0);
      const previous = { value: -1 };
      const set = wdm.ZwSetEvent(EventHandle, previous);
      const waited = await wdm.ZwWaitForSingleObject(EventHandle, false, null);
      const cleared = wdm.ZwClearEvent(EventHandle);
      const closed = await wdm.ZwClose(EventHandle);
      const again = wdm.ZwSetEvent(EventHandle);
      return { status, kernelBit, polled, set, previous: previous.value, waited, cleared, closed, again, handles: m.systemProcess.handleTable.count };
    });
    expect(ok(r)).to.deep.equal({ status: wdm.STATUS_SUCCESS, kernelBit: true, polled: wdm.STATUS_TIMEOUT, set: wdm.STATUS_SUCCESS, previous: 0, waited: wdm.STATUS_SUCCESS, cleared: wdm.STATUS_SUCCESS, closed: wdm.STATUS_SUCCESS, again: wdm.STATUS_INVALID_HANDLE, handles: 0 });
  });

  it("without OBJ_KERNEL_HANDLE the handle belongs to the current process (attached to an app, the app's table)", async () => {
    const m = newMachine();
    const app = m.createProcess("app.exe", () => undefined, { background: true });
    const r = await runKernel(m, async () => {
      const state = new wdm.KAPC_STATE();
      wdm.KeStackAttachProcess(app, state);
      const { EventHandle } = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, null, wdm.SynchronizationEvent, true);
      const inApp = app.handleTable.lookup(EventHandle) !== undefined;
      await wdm.ZwClose(EventHandle);
      wdm.KeUnstackDetachProcess(state);
      return [EventHandle & 0x80000000, inApp];
    });
    expect(ok(r)).to.deep.equal([0, true]);
  });

  it("ObReferenceObjectByHandle with ExEventObjectType returns the KEVENT KeSetEvent takes; ObDereferenceObject takes it back", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const { EventHandle } = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes(), wdm.NotificationEvent, false);
      const ref = wdm.ObReferenceObjectByHandle(EventHandle, wdm.EVENT_MODIFY_STATE, wdm.ExEventObjectType, wdm.KernelMode);
      const event = ref.Object;
      if (!event) throw new Error("no event");
      wdm.KeSetEvent(event, 0, false);
      const signalled = await wdm.ZwWaitForSingleObject(EventHandle, false, 0);
      const type = wdm.ObGetObjectType(event) === wdm.ExEventObjectType;
      const header = event.Header.Type;
      wdm.ObDereferenceObject(event);
      await wdm.ZwClose(EventHandle);
      return { status: ref.status, granted: ref.HandleInformation?.GrantedAccess, signalled, type, header };
    });
    expect(ok(r)).to.deep.equal({ status: wdm.STATUS_SUCCESS, granted: wdm.EVENT_ALL_ACCESS, signalled: wdm.STATUS_SUCCESS, type: true, header: wdm.KOBJECTS.NotificationEvent });
  });

  it("ObReferenceObjectByHandle answers as NT does: wrong type, UserMode on a kernel handle, missing rights, NULL and closed handles", async () => {
    const m = newMachine();
    m.createProcess("app.exe", () => undefined, { background: true });
    const r = await runKernel(m, async () => {
      const { EventHandle } = wdm.ZwCreateEvent(wdm.SYNCHRONIZE, kernelAttributes(), wdm.NotificationEvent, false);
      const statuses = [
        wdm.ObReferenceObjectByHandle(EventHandle, 0, wdm.PsThreadType, wdm.KernelMode).status,
        wdm.ObReferenceObjectByHandle(EventHandle, wdm.SYNCHRONIZE, wdm.ExEventObjectType, wdm.UserMode).status,
        wdm.ObReferenceObjectByHandle(0, 0, wdm.ExEventObjectType, wdm.UserMode).status,
        wdm.ObReferenceObjectByHandle(0x1234, 0, null, wdm.UserMode).status,
      ];
      // Attached to an app, its own handle with SYNCHRONIZE only: UserMode needs every right asked for.
      const app = m.processes.find((p) => p.name === "app.exe");
      if (!app) throw new Error("no app");
      const state = new wdm.KAPC_STATE();
      wdm.KeStackAttachProcess(app, state);
      const user = wdm.ZwCreateEvent(wdm.SYNCHRONIZE, null, wdm.NotificationEvent, false).EventHandle;
      statuses.push(wdm.ObReferenceObjectByHandle(user, wdm.EVENT_MODIFY_STATE, wdm.ExEventObjectType, wdm.UserMode).status);
      statuses.push(wdm.ObReferenceObjectByHandle(user, wdm.GENERIC_WRITE, wdm.ExEventObjectType, wdm.UserMode).status);
      const byKernel = wdm.ObReferenceObjectByHandle(user, wdm.EVENT_MODIFY_STATE, wdm.ExEventObjectType, wdm.KernelMode);
      statuses.push(byKernel.status);
      if (byKernel.Object) wdm.ObDereferenceObject(byKernel.Object);
      await wdm.ZwClose(user);
      wdm.KeUnstackDetachProcess(state);
      await wdm.ZwClose(EventHandle);
      return statuses;
    });
    expect(ok(r)).to.deep.equal([
      wdm.STATUS_OBJECT_TYPE_MISMATCH,
      wdm.STATUS_INVALID_HANDLE,
      wdm.STATUS_INVALID_HANDLE,
      wdm.STATUS_INVALID_HANDLE,
      wdm.STATUS_ACCESS_DENIED,
      wdm.STATUS_ACCESS_DENIED,
      wdm.STATUS_SUCCESS,
    ]);
  });

  it("a user app's event handle, referenced UserMode in the app's context, gives the driver the app's event", async () => {
    const m = newMachine();
    let handle = 0;
    let woke = -1;
    const app = m.createProcess("app.exe", async () => {
      handle = CreateEvent(null, true, false, null);
      woke = await WaitForSingleObject(handle, INFINITE);
    });
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const state = new wdm.KAPC_STATE();
      wdm.KeStackAttachProcess(app, state);
      const ref = wdm.ObReferenceObjectByHandle(handle, wdm.EVENT_MODIFY_STATE, wdm.ExEventObjectType, wdm.UserMode);
      wdm.KeUnstackDetachProcess(state);
      if (ref.Object) {
        wdm.KeSetEvent(ref.Object, 0, false);
        wdm.ObDereferenceObject(ref.Object);
      }
      return ref.status;
    });
    expect(ok(r)).to.equal(wdm.STATUS_SUCCESS);
    expect(woke).to.equal(WAIT_OBJECT_0);
  });

  it("a thread handle from PsCreateSystemThread references the ETHREAD (PsThreadType), which can be waited on", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const { ThreadHandle } = wdm.PsCreateSystemThread(async function Worker() {
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 3);
      }, null);
      const ref = wdm.ObReferenceObjectByHandle(ThreadHandle, wdm.SYNCHRONIZE, wdm.PsThreadType, wdm.KernelMode);
      await wdm.ZwClose(ThreadHandle);
      if (!ref.Object) throw new Error("no thread");
      await wdm.KeWaitForSingleObject(ref.Object, wdm.Executive, wdm.KernelMode, false);
      const done = [ref.Object instanceof wdm.ETHREAD, ref.Object.Header.SignalState, Math.floor(m.nowMs)];
      wdm.ObDereferenceObject(ref.Object);
      return done;
    });
    expect(ok(r)).to.deep.equal([true, 1, 3]);
  });

  it("ObReferenceObjectByPointer checks the type; ObOpenObjectByPointer makes a handle", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const thread = wdm.PsGetCurrentThread();
      const mismatch = wdm.ObReferenceObjectByPointer(thread, 0, wdm.ExEventObjectType, wdm.KernelMode);
      const ok1 = wdm.ObReferenceObjectByPointer(thread, 0, wdm.PsThreadType, wdm.KernelMode);
      wdm.ObDereferenceObject(thread);
      const opened = wdm.ObOpenObjectByPointer(thread, wdm.OBJ_KERNEL_HANDLE, null, wdm.GENERIC_ALL, wdm.PsThreadType, wdm.KernelMode);
      const back = wdm.ObReferenceObjectByHandle(opened.Handle, 0, wdm.PsThreadType, wdm.KernelMode).Object === thread;
      wdm.ObDereferenceObject(thread);
      await wdm.ZwClose(opened.Handle);
      return [mismatch, ok1, opened.status, back];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_OBJECT_TYPE_MISMATCH, wdm.STATUS_SUCCESS, wdm.STATUS_SUCCESS, true]);
  });

  it("ZwDuplicateObject copies a handle (DUPLICATE_SAME_ACCESS) and can close the source; ZwWaitForMultipleObjects waits on handles", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const a = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes(), wdm.NotificationEvent, false).EventHandle;
      const b = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes(), wdm.NotificationEvent, false).EventHandle;
      const dup = await wdm.ZwDuplicateObject(wdm.NtCurrentProcess, b, wdm.NtCurrentProcess, 0, wdm.OBJ_KERNEL_HANDLE, wdm.DUPLICATE_SAME_ACCESS | wdm.DUPLICATE_CLOSE_SOURCE);
      const sourceGone = wdm.ZwSetEvent(b);
      wdm.ZwSetEvent(dup.TargetHandle);
      const any = await wdm.ZwWaitForMultipleObjects(2, [a, dup.TargetHandle], wdm.WaitAny, false, null);
      const tooMany = await wdm.ZwWaitForMultipleObjects(65, [], wdm.WaitAny, false, 0);
      await wdm.ZwClose(a);
      await wdm.ZwClose(dup.TargetHandle);
      return [dup.status, sourceGone, any, tooMany];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_SUCCESS, wdm.STATUS_INVALID_HANDLE, wdm.STATUS_WAIT_1, wdm.STATUS_INVALID_PARAMETER_1]);
  });

  it("named events: OBJ_OPENIF opens an existing name (STATUS_OBJECT_NAME_EXISTS), without it the name collides; a relative name is STATUS_OBJECT_PATH_SYNTAX_BAD; an unknown EventType is STATUS_INVALID_PARAMETER, as NtCreateEvent answers (one system service)", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const first = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes("\\BaseNamedObjects\\Ready"), wdm.NotificationEvent, false);
      const again = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes("\\BaseNamedObjects\\Ready", wdm.OBJ_OPENIF), wdm.NotificationEvent, false);
      const collide = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes("\\BaseNamedObjects\\Ready"), wdm.NotificationEvent, false);
      const relative = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes("Ready"), wdm.NotificationEvent, false);
      const badType = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes(), 7, false);
      const opened = wdm.ZwOpenEvent(wdm.EVENT_MODIFY_STATE, kernelAttributes("\\BaseNamedObjects\\Ready"));
      wdm.ZwSetEvent(opened.EventHandle);
      const seen = await wdm.ZwWaitForSingleObject(first.EventHandle, false, 0);
      for (const h of [first.EventHandle, again.EventHandle, opened.EventHandle]) await wdm.ZwClose(h);
      const gone = wdm.ZwOpenEvent(wdm.EVENT_MODIFY_STATE, kernelAttributes("\\BaseNamedObjects\\Ready")).status;
      return [first.status, again.status, collide.status, relative.status, badType.status, opened.status, seen, gone];
    });
    expect(ok(r)).to.deep.equal([
      wdm.STATUS_SUCCESS,
      wdm.STATUS_OBJECT_NAME_EXISTS,
      wdm.STATUS_OBJECT_NAME_COLLISION,
      wdm.STATUS_OBJECT_PATH_SYNTAX_BAD,
      wdm.STATUS_INVALID_PARAMETER,
      wdm.STATUS_SUCCESS,
      wdm.STATUS_SUCCESS,
      wdm.STATUS_OBJECT_NAME_NOT_FOUND,
    ]);
  });

  it("IoCreateNotificationEvent creates a named notification event signalled (or opens the existing one) with a kernel handle", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const a = wdm.IoCreateNotificationEvent("\\BaseNamedObjects\\DeviceReady");
      const b = wdm.IoCreateNotificationEvent("\\BaseNamedObjects\\DeviceReady");
      const sync = wdm.IoCreateSynchronizationEvent("\\BaseNamedObjects\\Other");
      const out = [a.Event === b.Event, a.Event?.Header.SignalState, a.Event?.Header.Type, (a.EventHandle & 0x80000000) !== 0, sync.Event?.Header.Type, wdm.IoCreateNotificationEvent("NoPath").Event];
      for (const h of [a.EventHandle, b.EventHandle, sync.EventHandle]) await wdm.ZwClose(h);
      return out;
    });
    expect(ok(r)).to.deep.equal([true, 1, wdm.KOBJECTS.NotificationEvent, true, wdm.KOBJECTS.SynchronizationEvent, null]);
  });

  describe("under the verifier", () => {
    it("referencing an app's handle with AccessMode KernelMode is 0xC4/0xF6", async () => {
      const m = newMachine();
      attachVerifier(m);
      let handle = 0;
      const app = m.createProcess("app.exe", async () => {
        handle = CreateEvent(null, true, false, null);
        await WaitForSingleObject(handle, INFINITE);
      });
      m.createSystemThread("driver", async () => {
        m.enterActivity("dispatch routine", "EvtDispatch", "Evt");
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
        const state = new wdm.KAPC_STATE();
        wdm.KeStackAttachProcess(app, state);
        wdm.ObReferenceObjectByHandle(handle, wdm.EVENT_MODIFY_STATE, wdm.ExEventObjectType, wdm.KernelMode);
      });
      const r = await m.run();
      expect(r.bugCheck?.rule).to.equal("0xC4/0xF6 KernelModeUserHandle");
    });

    it("a NULL handle referenced KernelMode is 0xC4/0xF5", async () => {
      const m = newMachine();
      attachVerifier(m);
      m.createSystemThread("driver", () => {
        m.enterActivity("dispatch routine", "EvtDispatch", "Evt");
        wdm.ObReferenceObjectByHandle(0, 0, wdm.ExEventObjectType, wdm.KernelMode);
      });
      const r = await m.run();
      expect(r.bugCheck?.rule).to.equal("0xC4/0xF5 BadHandleReference");
    });
  });
});
