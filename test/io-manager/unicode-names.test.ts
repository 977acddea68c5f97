import { expect } from "chai";
import { loadDriver, type Machine } from "../../index.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";

/** Static names, as a C driver declares them at file scope. */
const DeviceName = wdm.RTL_CONSTANT_STRING("\\Device\\Named");
const LinkName = wdm.DECLARE_CONST_UNICODE_STRING("\\DosDevices\\Named");

/** A driver whose names are all UNICODE_STRINGs; its create, cleanup and close succeed. */
async function loadNamedDriver(m: Machine, name: (DriverObject: wdm.DRIVER_OBJECT) => { device: wdm.UNICODE_STRING; link: wdm.UNICODE_STRING }): Promise<wdm.NTSTATUS> {
  const r = await loadDriver(m, "Named", (DriverObject) => {
    const names = name(DriverObject);
    const created = wdm.IoCreateDevice(DriverObject, null, names.device, wdm.FILE_DEVICE_UNKNOWN, 0, false);
    if (!created.DeviceObject) return created.status;
    const status = wdm.IoCreateSymbolicLink(names.link, names.device);
    if (!wdm.NT_SUCCESS(status)) {
      wdm.IoDeleteDevice(created.DeviceObject);
      return status;
    }
    const succeed: wdm.DRIVER_DISPATCH = function NamedCreateClose(_DeviceObject, Irp) {
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      Irp.IoStatus.Information = 0;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = succeed;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = succeed;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = succeed;
    DriverObject.DriverUnload = function NamedUnload(Driver) {
      wdm.IoDeleteSymbolicLink(names.link);
      if (Driver.DeviceObject) wdm.IoDeleteDevice(Driver.DeviceObject);
    };
    return wdm.STATUS_SUCCESS;
  });
  return r.status;
}

async function appOpens(m: Machine, path: string): Promise<boolean> {
  const ran = await runApp(m, async () => {
    const h = await w.CreateFile(path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
    if (h === w.INVALID_HANDLE_VALUE) return false;
    await w.CloseHandle(h);
    return true;
  });
  return ok(ran);
}

describe("Names as UNICODE_STRING (IoCreateDevice, IoCreateSymbolicLink, RTL_CONSTANT_STRING …)", () => {
  it("IoCreateDevice and IoCreateSymbolicLink take names built with RtlInitUnicodeString, and an app opens the link", async () => {
    const m = newMachine();
    const status = await loadNamedDriver(m, () => {
      const device = new wdm.UNICODE_STRING();
      const link = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(device, "\\Device\\Named");
      wdm.RtlInitUnicodeString(link, "\\DosDevices\\Named");
      return { device, link };
    });
    expect(status).to.equal(wdm.STATUS_SUCCESS);
    expect(await appOpens(m, "\\\\.\\Named")).to.equal(true);
  });

  it("RTL_CONSTANT_STRING and DECLARE_CONST_UNICODE_STRING at module scope give the literal's Length, MaximumLength and characters on any machine", async () => {
    for (let i = 0; i < 2; i++) {
      const m = newMachine();
      const status = await loadNamedDriver(m, () => ({ device: DeviceName, link: LinkName }));
      expect(status).to.equal(wdm.STATUS_SUCCESS);
      expect(await appOpens(m, "\\\\.\\Named")).to.equal(true);
      const r = ok(await runKernel(m, () => ({ text: wdm.unicodeStringText(DeviceName), length: DeviceName.Length, max: DeviceName.MaximumLength })));
      expect(r).to.deep.equal({ text: "\\Device\\Named", length: 26, max: 28 });
    }
  });

  it("a store to a DECLARE_CONST_UNICODE_STRING faults, as a write to const data does; an RTL_CONSTANT_STRING may be changed", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      const copy = wdm.RTL_CONSTANT_STRING("\\Device\\Abc");
      copy.Length = 2;
      const shortened = wdm.unicodeStringText(copy);
      const constant = wdm.DECLARE_CONST_UNICODE_STRING("\\Device\\Abc");
      try {
        constant.Length = 2;
        return { shortened, fault: 0 };
      } catch (e) {
        return { shortened, fault: e instanceof NtStatusError ? e.status : -1 };
      }
    });
    expect(ok(ran)).to.deep.equal({ shortened: "\\", fault: wdm.STATUS_ACCESS_VIOLATION });
  });

  it("IoDeleteSymbolicLink takes a UNICODE_STRING: the app's open fails once the link is gone", async () => {
    const m = newMachine();
    await loadNamedDriver(m, () => ({ device: DeviceName, link: LinkName }));
    const deleted = ok(
      await runKernel(m, () => {
        const link = new wdm.UNICODE_STRING();
        wdm.RtlInitUnicodeString(link, "\\DosDevices\\Named");
        return [wdm.IoDeleteSymbolicLink(link), wdm.IoDeleteSymbolicLink(link)];
      }),
    );
    expect(deleted).to.deep.equal([wdm.STATUS_SUCCESS, wdm.STATUS_OBJECT_NAME_NOT_FOUND]);
    expect(await appOpens(m, "\\\\.\\Named")).to.equal(false);
  });

  it("IoCreateUnprotectedSymbolicLink makes a link as IoCreateSymbolicLink does", async () => {
    const m = newMachine();
    await loadNamedDriver(m, () => ({ device: DeviceName, link: LinkName }));
    const status = ok(await runKernel(m, () => wdm.IoCreateUnprotectedSymbolicLink(wdm.RTL_CONSTANT_STRING("\\DosDevices\\NamedToo"), DeviceName)));
    expect(status).to.equal(wdm.STATUS_SUCCESS);
    expect(await appOpens(m, "\\\\.\\NamedToo")).to.equal(true);
  });

  it("a name with an odd Length (half a WCHAR) is STATUS_OBJECT_NAME_INVALID and creates nothing", async () => {
    const m = newMachine();
    const odd = (): wdm.UNICODE_STRING => {
      const s = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(s, "\\Device\\Odd");
      s.Length = 9;
      return s;
    };
    const driver = await loadDriver(m, "Odd", (DriverObject) => wdm.IoCreateDevice(DriverObject, null, odd(), wdm.FILE_DEVICE_UNKNOWN, 0, false).status);
    const r = ok(await runKernel(m, () => ({ link: wdm.IoCreateSymbolicLink(odd(), wdm.RTL_CONSTANT_STRING("\\Device\\Odd")), del: wdm.IoDeleteSymbolicLink(odd()) })));
    expect(driver.status).to.equal(wdm.STATUS_OBJECT_NAME_INVALID);
    expect(r).to.deep.equal({ link: wdm.STATUS_OBJECT_NAME_INVALID, del: wdm.STATUS_OBJECT_NAME_INVALID });
  });

  it("a name whose Buffer points at nothing raises the access violation of reading it, which the driver can catch", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      const bad = new wdm.UNICODE_STRING();
      bad.Length = 8;
      bad.MaximumLength = 8;
      bad.Buffer = 0x10;
      try {
        wdm.IoCreateSymbolicLink(bad, "\\Device\\X");
        return 0;
      } catch (e) {
        return e instanceof NtStatusError ? e.status : -1;
      }
    });
    expect(ok(ran)).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });

  it("something that is neither a UNICODE_STRING nor a string is the access violation of reading a UNICODE_STRING through it", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      try {
        wdm.IoDeleteSymbolicLink(42 as unknown as string);
        return 0;
      } catch (e) {
        return e instanceof NtStatusError ? e.status : -1;
      }
    });
    expect(ok(ran)).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });

  it("IoCreateNotificationEvent takes its name as a UNICODE_STRING", async () => {
    const m = newMachine();
    const r = ok(
      await runKernel(m, async () => {
        const a = wdm.IoCreateNotificationEvent(wdm.RTL_CONSTANT_STRING("\\BaseNamedObjects\\ZwNamesEvent"));
        const b = wdm.IoCreateNotificationEvent("\\BaseNamedObjects\\ZwNamesEvent");
        const same = a.Event !== null && a.Event === b.Event;
        await wdm.ZwClose(a.EventHandle);
        await wdm.ZwClose(b.EventHandle);
        return same;
      }),
    );
    expect(r).to.equal(true);
  });
});
