/**
 * End to end: a driver and an app sharing memory through a section, both ways — the app's named
 * mapping opened and mapped by the driver, and the driver's section mapped into the calling app.
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { sectionViews } from "../../kernel/section.js";
import { IOCTL, complete, loadKit, open, alloc } from "./kit.js";
import { newMachine } from "../helpers.js";

const IOCTL_ANSWER_IN_SECTION = IOCTL(0x900, wdm.METHOD_BUFFERED);
const IOCTL_MAP_INTO_CALLER = IOCTL(0x901, wdm.METHOD_BUFFERED);
const IOCTL_UNMAP_FROM_CALLER = IOCTL(0x902, wdm.METHOD_BUFFERED);

function kernelName(name: string): wdm.OBJECT_ATTRIBUTES {
  const oa = new wdm.OBJECT_ATTRIBUTES();
  wdm.InitializeObjectAttributes(oa, `\\BaseNamedObjects\\${name}`, wdm.OBJ_KERNEL_HANDLE | wdm.OBJ_CASE_INSENSITIVE, 0, null);
  return oa;
}

/** The driver's side: open the app's section by name, map it in system space, read the question, write the answer. */
async function answerInSection(name: string): Promise<number> {
  const { status, SectionHandle } = wdm.ZwOpenSection(wdm.SECTION_MAP_READ | wdm.SECTION_MAP_WRITE, kernelName(name));
  if (!wdm.NT_SUCCESS(status)) return status;
  const ref = wdm.ObReferenceObjectByHandle(SectionHandle, wdm.SECTION_MAP_READ | wdm.SECTION_MAP_WRITE, wdm.MmSectionObjectType, wdm.KernelMode);
  await wdm.ZwClose(SectionHandle);
  if (!ref.Object) return ref.status;
  const base = { value: 0 };
  const size = { value: 0 };
  const mapped = wdm.MmMapViewInSystemSpace(ref.Object, base, size);
  if (wdm.NT_SUCCESS(mapped)) {
    const question = wdm.readU32(base.value);
    wdm.writeU32(base.value + 4, question * 2);
    await wdm.MmUnmapViewInSystemSpace(base.value);
  }
  wdm.ObDereferenceObject(ref.Object);
  return mapped;
}

describe("io-manager: sharing a section between a driver and an app", () => {
  it("an app's named mapping, opened by the driver in an IOCTL (ZwOpenSection, ObReferenceObjectByHandle, MmMapViewInSystemSpace): the driver reads the app's data and the app sees its answer", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        async [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          return complete(Irp, await answerInSection("Question"));
        },
      },
    });
    let answer = 0;
    let ok = false;
    m.createProcess("app.exe", async () => {
      const hMap = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 4096, "Question");
      const p = w.MapViewOfFile(hMap, w.FILE_MAP_ALL_ACCESS, 0, 0, 0);
      w.writeU32(p, 21);
      const h = await open(kit);
      ok = await w.DeviceIoControl(h, IOCTL_ANSWER_IN_SECTION, 0, 0, 0, 0, alloc(4));
      answer = w.readU32(p + 4);
      await w.CloseHandle(h);
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(hMap);
    });
    const result = await m.run();
    expect(result.bugCheck ?? null).to.equal(null);
    expect([ok, answer]).to.deep.equal([true, 42]);
  });

  it("a driver's system thread maps the app's section into the System process with ZwMapViewOfSection and answers through it", async () => {
    const m = newMachine();
    await loadKit(m, {});
    let answer = 0;
    m.createProcess("app.exe", async () => {
      const hMap = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 4096, "Polled");
      const hDone = w.CreateEvent(null, true, false, "PolledDone");
      const p = w.MapViewOfFile(hMap, w.FILE_MAP_ALL_ACCESS, 0, 0, 0);
      w.writeU32(p, 50);
      await w.WaitForSingleObject(hDone, w.INFINITE);
      answer = w.readU32(p + 4);
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(hMap);
      await w.CloseHandle(hDone);
    });
    m.createSystemThread("IoTestSectionThread", async () => {
      // The app has made its mapping by then.
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 10);
      const { SectionHandle } = wdm.ZwOpenSection(wdm.SECTION_MAP_READ | wdm.SECTION_MAP_WRITE, kernelName("Polled"));
      const base = { value: 0 };
      const size = { value: 0 };
      wdm.ZwMapViewOfSection(SectionHandle, wdm.ZwCurrentProcess, base, 0, 0, null, size, wdm.ViewUnmap, 0, wdm.PAGE_READWRITE);
      wdm.writeU32(base.value + 4, wdm.readU32(base.value) + 1);
      await wdm.ZwUnmapViewOfSection(wdm.ZwCurrentProcess, base.value);
      await wdm.ZwClose(SectionHandle);
      const { EventHandle } = wdm.ZwOpenEvent(wdm.EVENT_MODIFY_STATE, kernelName("PolledDone"));
      wdm.ZwSetEvent(EventHandle);
      await wdm.ZwClose(EventHandle);
    });
    const result = await m.run();
    expect(result.bugCheck ?? null).to.equal(null);
    expect(answer).to.equal(51);
  });

  it("a driver's section mapped into the calling app in an IOCTL (the documented-but-dangerous pattern): the app reads and writes it, and its exit with the view still mapped cleans the view up", async () => {
    const m = newMachine();
    let section = 0;
    let systemView = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          const code = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
          if (code !== IOCTL_MAP_INTO_CALLER) return complete(Irp, wdm.STATUS_INVALID_DEVICE_REQUEST);
          // In the caller's context at PASSIVE_LEVEL: ZwCurrentProcess() is the app.
          const base = { value: 0 };
          const size = { value: 0 };
          const status = wdm.ZwMapViewOfSection(section, wdm.ZwCurrentProcess, base, 0, 0, null, size, wdm.ViewUnmap, 0, wdm.PAGE_READWRITE);
          if (!wdm.NT_SUCCESS(status)) return complete(Irp, status);
          wdm.writeU32(Irp.AssociatedIrp.SystemBuffer, base.value);
          return complete(Irp, wdm.STATUS_SUCCESS, 4);
        },
      },
    });
    m.createSystemThread("setup", () => {
      const oa = new wdm.OBJECT_ATTRIBUTES();
      wdm.InitializeObjectAttributes(oa, null, wdm.OBJ_KERNEL_HANDLE, 0, null);
      section = wdm.ZwCreateSection(wdm.SECTION_ALL_ACCESS, oa, new wdm.LARGE_INTEGER(8192), wdm.PAGE_READWRITE, wdm.SEC_COMMIT, null).SectionHandle;
      const ref = wdm.ObReferenceObjectByHandle(section, 0, wdm.MmSectionObjectType, wdm.KernelMode);
      if (!ref.Object) throw new Error("no section");
      const v = { value: 0 };
      wdm.MmMapViewInSystemSpace(ref.Object, v, { value: 0 });
      systemView = v.value;
      wdm.writeU32(systemView, 0x600d);
      wdm.ObDereferenceObject(ref.Object);
    });
    await m.run();
    const app = m.createProcess("app.exe", async () => {
      const h = await open(kit);
      const out = alloc(4);
      const returned = alloc(4);
      await w.DeviceIoControl(h, IOCTL_MAP_INTO_CALLER, 0, 0, out, 4, returned);
      const p = w.readU32(out);
      const fromDriver = w.readU32(p);
      w.writeU32(p + 4, 0xa11);
      // Exits with the view mapped and the handle open.
      return fromDriver === 0x600d ? 0 : 1;
    });
    const result = await m.run();
    expect(result.bugCheck ?? null).to.equal(null);
    expect(app.exitStatus).to.equal(0);
    expect(sectionViews(m).get(app) ?? []).to.have.length(0);
    // The driver's own view still reaches the pages, and sees what the app wrote before it died.
    let seen = 0;
    m.createSystemThread("teardown", async () => {
      seen = wdm.readU32(systemView + 4);
      await wdm.MmUnmapViewInSystemSpace(systemView);
      await wdm.ZwClose(section);
    });
    await m.run();
    expect(seen).to.equal(0xa11);
  });

  it("the driver unmaps from the caller's process in the caller's context (ZwUnmapViewOfSection in an IOCTL); a second unmap is STATUS_NOT_MAPPED_VIEW", async () => {
    const m = newMachine();
    let section = 0;
    const statuses: number[] = [];
    const kit = await loadKit(m, {
      dispatch: {
        async [wdm.IRP_MJ_DEVICE_CONTROL](_d, Irp) {
          const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
          if (sl.Parameters.DeviceIoControl.IoControlCode === IOCTL_MAP_INTO_CALLER) {
            const base = { value: 0 };
            wdm.ZwMapViewOfSection(section, wdm.ZwCurrentProcess, base, 0, 0, null, { value: 0 }, wdm.ViewUnmap, 0, wdm.PAGE_READONLY);
            wdm.writeU32(Irp.AssociatedIrp.SystemBuffer, base.value);
            return complete(Irp, wdm.STATUS_SUCCESS, 4);
          }
          const status = await wdm.ZwUnmapViewOfSection(wdm.ZwCurrentProcess, wdm.readU32(Irp.AssociatedIrp.SystemBuffer));
          statuses.push(status);
          return complete(Irp, status);
        },
      },
    });
    m.createSystemThread("setup", () => {
      const oa = new wdm.OBJECT_ATTRIBUTES();
      wdm.InitializeObjectAttributes(oa, null, wdm.OBJ_KERNEL_HANDLE, 0, null);
      section = wdm.ZwCreateSection(wdm.SECTION_ALL_ACCESS, oa, new wdm.LARGE_INTEGER(4096), wdm.PAGE_READWRITE, wdm.SEC_COMMIT, null).SectionHandle;
    });
    await m.run();
    m.createProcess("app.exe", async () => {
      const h = await open(kit);
      const buf = alloc(4);
      await w.DeviceIoControl(h, IOCTL_MAP_INTO_CALLER, 0, 0, buf, 4, alloc(4));
      const p = w.readU32(buf);
      let fault = false;
      try {
        w.writeU32(p, 1);
      } catch {
        fault = true;
      }
      statuses.push(fault ? 1 : 0);
      await w.DeviceIoControl(h, IOCTL_UNMAP_FROM_CALLER, buf, 4, 0, 0, alloc(4));
      await w.DeviceIoControl(h, IOCTL_UNMAP_FROM_CALLER, buf, 4, 0, 0, alloc(4));
      await w.CloseHandle(h);
    });
    await m.run();
    m.createSystemThread("teardown", () => wdm.ZwClose(section));
    await m.run();
    expect(statuses).to.deep.equal([1, wdm.STATUS_SUCCESS, wdm.STATUS_NOT_MAPPED_VIEW]);
  });
});
