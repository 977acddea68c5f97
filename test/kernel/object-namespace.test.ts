/**
 * The object manager's one namespace: a driver's \BaseNamedObjects\Name and an app's "Name" are
 * the same object, whoever created it; names of temporary objects go with their last handle.
 */
import { expect } from "chai";
import * as nt from "../../ntdll/index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import { alloc } from "../io-manager/kit.js";

/** OBJECT_ATTRIBUTES naming `name`, with `attributes`. */
function attributes(name: string | null, attributes = 0): nt.OBJECT_ATTRIBUTES {
  const oa = new nt.OBJECT_ATTRIBUTES();
  nt.InitializeObjectAttributes(oa, name, attributes, 0, null);
  return oa;
}

const name = (s: number) => nt.ntStatusName(s);

describe("kernel: one object namespace for drivers and apps", () => {
  it("irpsim/wdm and irpsim/ntdll export the one OBJECT_ATTRIBUTES and InitializeObjectAttributes", () => {
    expect(wdm.OBJECT_ATTRIBUTES).to.equal(nt.OBJECT_ATTRIBUTES);
    expect(wdm.InitializeObjectAttributes).to.equal(nt.InitializeObjectAttributes);
  });

  it("a driver's IoCreateNotificationEvent(\\BaseNamedObjects\\X) is the event an app's OpenEvent(\"X\") opens: the driver's KeSetEvent releases the app's wait, the app's ResetEvent and SetEvent are seen by the driver", async () => {
    const m = newMachine();
    const log: string[] = [];
    m.createSystemThread("driver", async () => {
      const { Event, EventHandle } = wdm.IoCreateNotificationEvent("\\BaseNamedObjects\\DriverReady");
      if (!Event) throw new Error("IoCreateNotificationEvent failed");
      wdm.KeClearEvent(Event);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -20_000);
      log.push("driver sets");
      wdm.KeSetEvent(Event, 0, false);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      log.push(`driver reads ${wdm.KeReadStateEvent(Event)}`);
      await wdm.KeWaitForSingleObject(Event, wdm.Executive, wdm.KernelMode, false, null);
      log.push("driver released");
      await wdm.ZwClose(EventHandle);
    });
    m.createProcess("app.exe", async () => {
      await w.Sleep(1);
      const h = w.OpenEvent(w.SYNCHRONIZE | w.EVENT_MODIFY_STATE, false, "DriverReady");
      log.push(`app opened ${h !== 0}`);
      const waited = await w.WaitForSingleObject(h, w.INFINITE);
      log.push(`app released ${waited === w.WAIT_OBJECT_0}`);
      w.ResetEvent(h);
      await w.Sleep(2);
      log.push("app sets");
      w.SetEvent(h);
      await w.CloseHandle(h);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(log).to.deep.equal(["app opened true", "driver sets", "app released true", "driver reads 0", "app sets", "driver released"]);
  });

  it("an app's CreateEvent(\"Y\") is the event a driver's ZwOpenEvent(\\BaseNamedObjects\\Y) opens; \"Global\\\\Y\" and \"Local\\\\Y\" name the same event in the emulator's one session", async () => {
    const m = newMachine();
    const out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = w.CreateEvent(null, true, false, "AppSignal");
      const local = w.OpenEvent(w.SYNCHRONIZE, false, "Local\\AppSignal");
      const global = w.OpenEvent(w.SYNCHRONIZE, false, "Global\\appsignal");
      await w.Sleep(2);
      out.push(await w.WaitForSingleObject(local, 0), await w.WaitForSingleObject(global, 0));
      for (const x of [h, local, global]) await w.CloseHandle(x);
    });
    m.createSystemThread("driver", async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const opened = wdm.ZwOpenEvent(wdm.EVENT_MODIFY_STATE, attributes("\\BaseNamedObjects\\AppSignal", wdm.OBJ_KERNEL_HANDLE | wdm.OBJ_CASE_INSENSITIVE));
      out.push(name(opened.status), (opened.EventHandle & 0x80000000) !== 0, name(wdm.ZwSetEvent(opened.EventHandle)));
      await wdm.ZwClose(opened.EventHandle);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(out).to.deep.equal(["STATUS_SUCCESS", true, "STATUS_SUCCESS", w.WAIT_OBJECT_0, w.WAIT_OBJECT_0]);
  });

  it("a temporary named event leaves the namespace when its last handle closes: a second OpenEvent fails with ERROR_FILE_NOT_FOUND, and the name is created afresh though a pointer to the old event remains", async () => {
    const m = newMachine();
    let kept: wdm.KEVENT | null = null;
    const app = await runApp(m, async () => {
      const a = w.CreateEvent(null, true, true, "Temp");
      const b = w.OpenEvent(w.SYNCHRONIZE, false, "Temp");
      await w.CloseHandle(a);
      const stillThere = w.OpenEvent(w.SYNCHRONIZE, false, "Temp");
      await w.CloseHandle(stillThere);
      await w.CloseHandle(b);
      w.SetLastError(0);
      const gone = w.OpenEvent(w.SYNCHRONIZE, false, "Temp");
      return [b !== 0, stillThere !== 0, gone, w.GetLastError()];
    });
    expect(ok(app)).to.deep.equal([true, true, 0, w.ERROR_FILE_NOT_FOUND]);
    const kernel = await runKernel(m, async () => {
      const first = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\Reused", wdm.OBJ_KERNEL_HANDLE), wdm.NotificationEvent, true);
      const ref = wdm.ObReferenceObjectByHandle(first.EventHandle, wdm.SYNCHRONIZE, wdm.ExEventObjectType, wdm.KernelMode);
      kept = ref.Object;
      await wdm.ZwClose(first.EventHandle);
      const again = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\Reused", wdm.OBJ_KERNEL_HANDLE), wdm.NotificationEvent, false);
      const fresh = wdm.ObReferenceObjectByHandle(again.EventHandle, wdm.SYNCHRONIZE, wdm.ExEventObjectType, wdm.KernelMode).Object;
      const out = [name(again.status), fresh !== kept, fresh?.Header.SignalState];
      if (fresh) wdm.ObDereferenceObject(fresh);
      if (kept) wdm.ObDereferenceObject(kept);
      await wdm.ZwClose(again.EventHandle);
      return out;
    });
    expect(ok(kernel)).to.deep.equal(["STATUS_SUCCESS", true, 0]);
  });

  it("an OBJ_PERMANENT event keeps its name after its last handle closes, until ZwMakeTemporaryObject makes it temporary", async () => {
    const m = newMachine();
    const created = await runKernel(m, async () => {
      const c = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\Kept", wdm.OBJ_PERMANENT | wdm.OBJ_KERNEL_HANDLE), wdm.NotificationEvent, true);
      await wdm.ZwClose(c.EventHandle);
      return name(c.status);
    });
    expect(ok(created)).to.equal("STATUS_SUCCESS");
    const app = await runApp(m, async () => {
      const h = w.OpenEvent(w.SYNCHRONIZE, false, "Kept");
      const signalled = (await w.WaitForSingleObject(h, 0)) === w.WAIT_OBJECT_0;
      await w.CloseHandle(h);
      const again = w.OpenEvent(w.SYNCHRONIZE, false, "Kept");
      await w.CloseHandle(again);
      return [h !== 0, signalled, again !== 0];
    });
    expect(ok(app)).to.deep.equal([true, true, true]);
    const temporary = await runKernel(m, async () => {
      const opened = wdm.ZwOpenEvent(wdm.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\Kept", wdm.OBJ_KERNEL_HANDLE));
      const made = wdm.ZwMakeTemporaryObject(opened.EventHandle);
      const whileOpen = wdm.ZwOpenEvent(wdm.SYNCHRONIZE, attributes("\\BaseNamedObjects\\Kept", wdm.OBJ_KERNEL_HANDLE));
      await wdm.ZwClose(whileOpen.EventHandle);
      await wdm.ZwClose(opened.EventHandle);
      const after = wdm.ZwOpenEvent(wdm.SYNCHRONIZE, attributes("\\BaseNamedObjects\\Kept", wdm.OBJ_KERNEL_HANDLE));
      return [name(opened.status), name(made), name(whileOpen.status), name(after.status), name(wdm.ZwMakeTemporaryObject(0x1234))];
    });
    expect(ok(temporary)).to.deep.equal(["STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_OBJECT_NAME_NOT_FOUND", "STATUS_INVALID_HANDLE"]);
  });

  it("OBJ_OPENIF opens an existing event of the same type (STATUS_OBJECT_NAME_EXISTS), a name held by another type is STATUS_OBJECT_TYPE_MISMATCH with OBJ_OPENIF and STATUS_OBJECT_NAME_COLLISION without; kernel32 answers ERROR_INVALID_HANDLE", async () => {
    const m = newMachine();
    const app = await runApp(m, async () => {
      const event = w.CreateEvent(null, true, false, "Shared");
      const mutex = w.CreateMutex(null, false, "Thing");
      const h = { value: 0 };
      const existing = nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\SHARED", nt.OBJ_OPENIF | nt.OBJ_CASE_INSENSITIVE), nt.NotificationEvent, false);
      nt.NtSetEvent(h.value, null);
      const sameEvent = (await w.WaitForSingleObject(event, 0)) === w.WAIT_OBJECT_0;
      await w.CloseHandle(h.value);
      const x = { value: 0 };
      const mismatch = nt.NtCreateEvent(x, nt.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\Thing", nt.OBJ_OPENIF), nt.NotificationEvent, false);
      const collision = nt.NtCreateEvent(x, nt.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\Thing"), nt.NotificationEvent, false);
      const openMismatch = nt.NtOpenEvent(x, nt.SYNCHRONIZE, attributes("\\BaseNamedObjects\\Thing"));
      const createEvent = w.CreateEvent(null, true, false, "Thing");
      const e1 = w.GetLastError();
      const openEvent = w.OpenEvent(w.SYNCHRONIZE, false, "Thing");
      const e2 = w.GetLastError();
      const mutexAgain = w.OpenMutex(w.SYNCHRONIZE, false, "Thing");
      const directory = nt.NtOpenEvent(x, nt.SYNCHRONIZE, attributes("\\BaseNamedObjects"));
      for (const c of [event, mutex, mutexAgain]) await w.CloseHandle(c);
      return [name(existing), sameEvent, name(mismatch), name(collision), name(openMismatch), createEvent, e1, openEvent, e2, mutexAgain !== 0, name(directory), x.value];
    });
    expect(ok(app)).to.deep.equal([
      "STATUS_OBJECT_NAME_EXISTS",
      true,
      "STATUS_OBJECT_TYPE_MISMATCH",
      "STATUS_OBJECT_NAME_COLLISION",
      "STATUS_OBJECT_TYPE_MISMATCH",
      0,
      w.ERROR_INVALID_HANDLE,
      0,
      w.ERROR_INVALID_HANDLE,
      true,
      "STATUS_OBJECT_TYPE_MISMATCH",
      0,
    ]);
  });

  it("a driver's ZwCreateEvent with OBJ_OPENIF on an app's event name opens that event (the same KEVENT)", async () => {
    const m = newMachine();
    let appEvent = 0;
    const app = m.createProcess("app.exe", async () => {
      appEvent = w.CreateEvent(null, false, false, "FromApp");
      await w.Sleep(2);
      await w.CloseHandle(appEvent);
    });
    const out: unknown[] = [];
    m.createSystemThread("driver", async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const c = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\FromApp", wdm.OBJ_OPENIF | wdm.OBJ_KERNEL_HANDLE), wdm.NotificationEvent, true);
      const mine = wdm.ObReferenceObjectByHandle(c.EventHandle, 0, wdm.ExEventObjectType, wdm.KernelMode).Object;
      const state = new wdm.KAPC_STATE();
      wdm.KeStackAttachProcess(app, state);
      const theirs = wdm.ObReferenceObjectByHandle(appEvent, 0, wdm.ExEventObjectType, wdm.KernelMode).Object;
      wdm.KeUnstackDetachProcess(state);
      out.push(name(c.status), mine !== null && mine === theirs, mine?.Header.Type);
      for (const o of [mine, theirs]) if (o) wdm.ObDereferenceObject(o);
      await wdm.ZwClose(c.EventHandle);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(out).to.deep.equal(["STATUS_OBJECT_NAME_EXISTS", true, wdm.KOBJECTS.SynchronizationEvent]);
  });

  it("from user mode, OBJ_KERNEL_HANDLE is refused with STATUS_INVALID_PARAMETER and OBJ_PERMANENT with STATUS_PRIVILEGE_NOT_HELD; no handle is made", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const h = { value: 0 };
      const created = nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\K", nt.OBJ_KERNEL_HANDLE), nt.NotificationEvent, false);
      const unnamed = nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, attributes(null, nt.OBJ_KERNEL_HANDLE), nt.NotificationEvent, false);
      const opened = nt.NtOpenEvent(h, nt.SYNCHRONIZE, attributes("\\BaseNamedObjects\\K", nt.OBJ_KERNEL_HANDLE));
      const permanent = nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\P", nt.OBJ_PERMANENT), nt.NotificationEvent, false);
      const unknownBit = nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, attributes("\\BaseNamedObjects\\U", 0x10000), nt.NotificationEvent, false);
      const gone = nt.NtOpenEvent(h, nt.SYNCHRONIZE, attributes("\\BaseNamedObjects\\K"));
      return [name(created), name(unnamed), name(opened), name(permanent), name(unknownBit), name(gone), h.value];
    });
    expect(ok(r)).to.deep.equal(["STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_PRIVILEGE_NOT_HELD", "STATUS_INVALID_PARAMETER", "STATUS_OBJECT_NAME_NOT_FOUND", 0]);
  });

  it("bad names get the object manager's answers: a missing directory STATUS_OBJECT_PATH_NOT_FOUND (ERROR_PATH_NOT_FOUND), an empty component STATUS_OBJECT_NAME_INVALID, a relative name STATUS_OBJECT_PATH_SYNTAX_BAD, no OBJECT_ATTRIBUTES STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const h = { value: 0 };
      const create = (n: string) => name(nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, attributes(n), nt.NotificationEvent, false));
      const out: unknown[] = [create("\\BaseNamedObjects\\Sub\\X"), create("\\NoSuchDirectory\\X"), create("\\BaseNamedObjects\\"), create("\\BaseNamedObjects\\\\X"), create("Relative")];
      out.push(name(nt.NtOpenEvent(h, nt.SYNCHRONIZE, 0)), name(nt.NtOpenEvent(h, nt.SYNCHRONIZE, attributes(null))));
      out.push(w.CreateEvent(null, true, false, "a\\b"), w.GetLastError());
      out.push(w.OpenEvent(w.SYNCHRONIZE, false, null), w.GetLastError());
      // An event in the root directory is an ordinary name there.
      out.push(create("\\RootEvent"));
      await nt.NtClose(h.value);
      return out;
    });
    expect(ok(r)).to.deep.equal([
      "STATUS_OBJECT_PATH_NOT_FOUND",
      "STATUS_OBJECT_PATH_NOT_FOUND",
      "STATUS_OBJECT_NAME_INVALID",
      "STATUS_OBJECT_NAME_INVALID",
      "STATUS_OBJECT_PATH_SYNTAX_BAD",
      "STATUS_INVALID_PARAMETER",
      "STATUS_OBJECT_NAME_INVALID",
      0,
      w.ERROR_PATH_NOT_FOUND,
      0,
      w.ERROR_INVALID_PARAMETER,
      "STATUS_SUCCESS",
    ]);
  });

  it("an OBJECT_ATTRIBUTES in the app's memory is probed: a pointer into kernel space, for the structure or its name, is STATUS_ACCESS_VIOLATION; a good one names the event", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const mem = alloc();
      const oa = nt.OBJECT_ATTRIBUTES.at(mem);
      const us = nt.UNICODE_STRING.at(mem + 64);
      nt.RtlInitUnicodeString(us, "\\BaseNamedObjects\\InMemory");
      nt.InitializeObjectAttributes(oa, us, nt.OBJ_CASE_INSENSITIVE, 0, 0);
      const h = mem + 128;
      const good = nt.NtCreateEvent(h, nt.EVENT_ALL_ACCESS, mem, nt.NotificationEvent, false);
      const kernelStructure = nt.NtOpenEvent(h, nt.SYNCHRONIZE, 0x80001000);
      us.Buffer = 0x80001000;
      const kernelName = nt.NtOpenEvent(h, nt.SYNCHRONIZE, mem);
      w.writeU32(mem, 12);
      const badLength = nt.NtOpenEvent(h, nt.SYNCHRONIZE, mem);
      return [name(good), w.readU32(h) !== 0, name(kernelStructure), name(kernelName), name(badLength)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", true, "STATUS_ACCESS_VIOLATION", "STATUS_ACCESS_VIOLATION", "STATUS_INVALID_PARAMETER"]);
  });

  it("names under the I/O manager's directories (\\Device, \\??) are not built for other objects, and say so", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, attributes("\\Device\\MyEvent", wdm.OBJ_KERNEL_HANDLE), wdm.NotificationEvent, false));
    expect(String(r.error)).to.match(/not built in irpsim/);
  });
});
