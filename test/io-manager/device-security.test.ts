/**
 * IoCreateDeviceSecure: the SDDL governs who may open the device. A standard user's process is
 * refused where the DACL grants it nothing (ERROR_ACCESS_DENIED, the driver never sees the open),
 * an elevated administrator is let in, and kernel-mode opens are not checked.
 */
import { expect } from "chai";
import { ADMINISTRATOR_TOKEN, loadDriver, setProcessToken, STANDARD_USER_TOKEN, type Machine, type ProcessToken } from "../../index.js";
import * as nt from "../../ntdll/index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine } from "../helpers.js";

async function secureDevice(m: Machine, sddl: string, characteristics = 0): Promise<{ creates: string[]; status: number }> {
  const creates: string[] = [];
  let status = 0;
  await loadDriver(m, "Secure", (DriverObject) => {
    const r = wdm.IoCreateDeviceSecure(DriverObject, null, "\\Device\\Secure", wdm.FILE_DEVICE_UNKNOWN, characteristics, false, sddl, null);
    status = r.status;
    if (!r.DeviceObject) return wdm.STATUS_SUCCESS;
    wdm.IoCreateSymbolicLink("\\DosDevices\\Secure", "\\Device\\Secure");
    const done: wdm.DRIVER_DISPATCH = (_d, Irp) => {
      if (wdm.IoGetCurrentIrpStackLocation(Irp).MajorFunction === wdm.IRP_MJ_CREATE) creates.push(wdm.PsGetCurrentProcess().name);
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = done;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = done;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = done;
    r.DeviceObject.Flags &= ~wdm.DO_DEVICE_INITIALIZING;
    return wdm.STATUS_SUCCESS;
  });
  return { creates, status };
}

/** Opens \\.\Secure with `access` as a process with `token`: the handle's success and the last error. */
async function openAs(m: Machine, token: ProcessToken, access: number, name = "\\\\.\\Secure"): Promise<[boolean, number]> {
  let result: [boolean, number] = [false, 0];
  const p = m.createProcess(token === ADMINISTRATOR_TOKEN ? "admin.exe" : "user.exe", async () => {
    const h = await w.CreateFile(name, access, 0, null, w.OPEN_EXISTING, 0, 0);
    result = [h !== w.INVALID_HANDLE_VALUE, h === w.INVALID_HANDLE_VALUE ? w.GetLastError() : 0];
    if (h !== w.INVALID_HANDLE_VALUE) await w.CloseHandle(h);
  });
  setProcessToken(p, token);
  await m.run();
  return result;
}

describe("I/O manager: IoCreateDeviceSecure's SDDL governs who may open the device", () => {
  it("SDDL_DEVOBJ_SYS_ALL_ADM_ALL: a standard user gets ERROR_ACCESS_DENIED and the driver never sees the open; an administrator opens it", async () => {
    const m = newMachine();
    const dev = await secureDevice(m, wdm.SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_READ)).to.deep.equal([false, w.ERROR_ACCESS_DENIED]);
    expect(await openAs(m, ADMINISTRATOR_TOKEN, w.GENERIC_READ | w.GENERIC_WRITE)).to.deep.equal([true, 0]);
    expect(dev.creates).to.deep.equal(["admin.exe"]);
  });

  it("SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R: everyone may open for reading; writing is for administrators", async () => {
    const m = newMachine();
    await secureDevice(m, wdm.SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R);
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_READ)).to.deep.equal([true, 0]);
    expect(await openAs(m, STANDARD_USER_TOKEN, 0)).to.deep.equal([true, 0]);
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_WRITE)).to.deep.equal([false, w.ERROR_ACCESS_DENIED]);
    expect(await openAs(m, ADMINISTRATOR_TOKEN, w.GENERIC_READ | w.GENERIC_WRITE)).to.deep.equal([true, 0]);
  });

  it("SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R lets a standard user read and write; a hand-written DACL with a deny ACE refuses what it denies", async () => {
    const m = newMachine();
    await secureDevice(m, wdm.SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R);
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_READ | w.GENERIC_WRITE)).to.deep.equal([true, 0]);
    const m2 = newMachine();
    // Deny FILE_WRITE_DATA only: a GW deny would also deny SYNCHRONIZE and READ_CONTROL, which
    // every CreateFile asks for, and refuse reading too (as on Windows).
    await secureDevice(m2, "D:P(D;;0x2;;;BU)(A;;GA;;;WD)");
    expect(await openAs(m2, STANDARD_USER_TOKEN, w.GENERIC_READ)).to.deep.equal([true, 0]);
    expect(await openAs(m2, STANDARD_USER_TOKEN, w.GENERIC_READ | w.GENERIC_WRITE)).to.deep.equal([false, w.ERROR_ACCESS_DENIED]);
  });

  it("SDDL_DEVOBJ_KERNEL_ONLY refuses every user-mode open, an administrator's too, while a kernel-mode open succeeds", async () => {
    const m = newMachine();
    const dev = await secureDevice(m, wdm.SDDL_DEVOBJ_KERNEL_ONLY);
    expect(await openAs(m, ADMINISTRATOR_TOKEN, w.GENERIC_READ)).to.deep.equal([false, w.ERROR_ACCESS_DENIED]);
    expect(dev.creates).to.deep.equal([]);
  });

  it("without FILE_DEVICE_SECURE_OPEN a name under the device is not checked (as on Windows); with it, it is", async () => {
    const m = newMachine();
    await secureDevice(m, wdm.SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_READ, "\\\\.\\Secure\\anything")).to.deep.equal([true, 0]);
    const m2 = newMachine();
    await secureDevice(m2, wdm.SDDL_DEVOBJ_SYS_ALL_ADM_ALL, wdm.FILE_DEVICE_SECURE_OPEN);
    expect(await openAs(m2, STANDARD_USER_TOKEN, w.GENERIC_READ, "\\\\.\\Secure\\anything")).to.deep.equal([false, w.ERROR_ACCESS_DENIED]);
  });

  it("an SDDL string outside the subset IoCreateDeviceSecure takes (an owner, a SACL, an unknown SID or right, a malformed ACE) is STATUS_INVALID_PARAMETER and no device is made", async () => {
    for (const bad of ["O:BAD:P(A;;GA;;;SY)", "D:P(A;;GA;;;SY)S:(AU;;GA;;;WD)", "D:P(A;;GA;;;XX)", "D:P(A;;QQ;;;SY)", "D:P(A;;GA;;SY)", "D:P(A;CI;GA;;;SY)", "hello"]) {
      const m = newMachine();
      const dev = await secureDevice(m, bad);
      expect(nt.ntStatusName(dev.status), bad).to.equal("STATUS_INVALID_PARAMETER");
    }
  });

  it("NtCreateFile reports STATUS_ACCESS_DENIED to the native caller", async () => {
    const m = newMachine();
    await secureDevice(m, wdm.SDDL_DEVOBJ_SYS_ALL);
    let status = 0;
    m.createProcess("user.exe", async () => {
      const mem = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const oa = new nt.OBJECT_ATTRIBUTES();
      const us = new nt.UNICODE_STRING();
      nt.RtlInitUnicodeString(us, "\\Device\\Secure");
      nt.InitializeObjectAttributes(oa, us, 0, 0, null);
      status = await nt.NtCreateFile(mem, nt.GENERIC_READ | nt.SYNCHRONIZE, oa, mem + 8, null, 0, 0, nt.FILE_OPEN, nt.FILE_SYNCHRONOUS_IO_NONALERT, 0, 0);
    });
    expect((await m.run()).outcome).to.equal("completed");
    expect(nt.ntStatusName(status)).to.equal("STATUS_ACCESS_DENIED");
  });
});

describe("security: SeAccessCheck over a DACL", () => {
  it("a GW deny ACE also denies SYNCHRONIZE and READ_CONTROL (FILE_GENERIC_WRITE contains them), so a read open is refused too", async () => {
    const m = newMachine();
    await secureDevice(m, "D:P(D;;GW;;;BU)(A;;GA;;;WD)");
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_READ)).to.deep.equal([false, w.ERROR_ACCESS_DENIED]);
  });

  it("ACEs apply in order: an allow before a deny keeps what it granted", async () => {
    const m = newMachine();
    await secureDevice(m, "D:P(A;;GA;;;BU)(D;;GA;;;WD)");
    expect(await openAs(m, STANDARD_USER_TOKEN, w.GENERIC_READ | w.GENERIC_WRITE)).to.deep.equal([true, 0]);
  });
});
