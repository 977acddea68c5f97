import { expect } from "chai";
import { ioManager } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import {
  IOCTL,
  alloc,
  complete,
  completeFromTimerDpc,
  loadKit,
  majors,
  open,
  overlapped,
  resources,
} from "./kit.js";

const CODE = IOCTL(1, wdm.METHOD_BUFFERED);
const succeed: wdm.DRIVER_DISPATCH = (_DeviceObject, Irp) => complete(Irp, wdm.STATUS_SUCCESS);

/** DuplicateHandle in the same process with the same access; returns the new handle. */
async function duplicate(h: number): Promise<number> {
  const out = alloc(4);
  if (
    !(await w.DuplicateHandle(
      w.GetCurrentProcess(),
      h,
      w.GetCurrentProcess(),
      out,
      0,
      false,
      w.DUPLICATE_SAME_ACCESS,
    ))
  )
    throw new Error("DuplicateHandle failed");
  return w.readU32(out);
}

describe("I/O manager: opening, duplicating and closing a device", () => {
  it("IRP_MJ_CREATE is sent once per CreateFile, never for a duplicated handle", async () => {
    const m = newMachine();
    const kit = await loadKit(m);
    const r = await runApp(m, async () => {
      const a = await open(kit);
      await open(kit);
      const creates = () => majors(kit).filter((x) => x === "CREATE").length;
      const afterTwoOpens = creates();
      await duplicate(a);
      await duplicate(a);
      return [afterTwoOpens, creates()];
    });
    expect(ok(r)).to.deep.equal([2, 2]);
  });

  it("closing one of two duplicated handles sends nothing; closing the last sends IRP_MJ_CLEANUP and then IRP_MJ_CLOSE", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: succeed } });
    const r = await runApp(m, async () => {
      const a = await open(kit);
      const b = await duplicate(a);
      await w.CloseHandle(a);
      const afterFirst = majors(kit);
      const stillWorks = await w.DeviceIoControl(b, CODE, 0, 0, 0, 0, 0, null);
      await w.CloseHandle(b);
      return { afterFirst, stillWorks, afterLast: majors(kit) };
    });
    expect(ok(r)).to.deep.equal({
      afterFirst: ["CREATE"],
      stillWorks: true,
      afterLast: ["CREATE", "DEVICE_CONTROL", "CLEANUP", "CLOSE"],
    });
  });

  it("IRP_MJ_CLEANUP comes with the last handle, in the closing process; IRP_MJ_CLOSE waits for the last reference, which a pended IRP holds", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 20, wdm.STATUS_SUCCESS);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const ev = w.CreateEvent(null, true, false, null);
      const ret = await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, overlapped(ev));
      await w.CloseHandle(h);
      const afterClose = majors(kit);
      await w.WaitForSingleObject(ev, w.INFINITE);
      await w.Sleep(1);
      return { ret, afterClose };
    });
    expect(ok(r)).to.deep.equal({
      ret: false,
      afterClose: ["CREATE", "DEVICE_CONTROL", "CLEANUP"],
    });
    expect(kit.received.map((x) => `${x.major} in ${x.process} at ${x.at}`)).to.deep.equal([
      "CREATE in app.exe at 0",
      "DEVICE_CONTROL in app.exe at 0",
      "CLEANUP in app.exe at 0",
      "CLOSE in System at 20",
    ]);
  });

  it("closing the last handle of a synchronous file waits for another thread's request in progress before IRP_MJ_CLEANUP is sent", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 10, wdm.STATUS_SUCCESS);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const worker = w.CreateThread(
        null,
        0,
        async () => w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, null),
        null,
        0,
        0,
        "worker",
      );
      await w.Sleep(1);
      const closed = await w.CloseHandle(h);
      const closedAt = Math.floor(m.nowMs);
      await w.WaitForSingleObject(worker, w.INFINITE);
      return { closed, closedAt };
    });
    expect(ok(r)).to.deep.equal({ closed: true, closedAt: 10 });
    expect(kit.received.map((x) => `${x.major} at ${x.at}`)).to.deep.equal([
      "CREATE at 0",
      "DEVICE_CONTROL at 0",
      "CLEANUP at 10",
      "CLOSE at 10",
    ]);
  });

  it("a process that exits with its handles open gets IRP_MJ_CLEANUP and IRP_MJ_CLOSE sent for them", async () => {
    const m = newMachine();
    const kit = await loadKit(m);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      await duplicate(h);
      await open(kit);
    });
    ok(r);
    expect(majors(kit)).to.deep.equal(["CREATE", "CREATE", "CLEANUP", "CLOSE", "CLEANUP", "CLOSE"]);
    expect(r.process.handleTable.count).to.equal(0);
  });

  it("CreateFile of a name that does not exist fails with ERROR_FILE_NOT_FOUND and builds no IRP", async () => {
    const m = newMachine();
    await loadKit(m);
    const r = await runApp(m, async () => {
      const irps = ioManager(m).liveIrps.size;
      const h = await w.CreateFile(
        "\\\\.\\NoSuchDevice",
        w.GENERIC_READ,
        0,
        null,
        w.OPEN_EXISTING,
        0,
        0,
      );
      return [h, w.GetLastError(), ioManager(m).liveIrps.size - irps];
    });
    expect(ok(r)).to.deep.equal([w.INVALID_HANDLE_VALUE, w.ERROR_FILE_NOT_FOUND, 0]);
  });

  it("a driver that fails IRP_MJ_CREATE makes CreateFile fail with the status's Win32 error, and gets no IRP_MJ_CLOSE", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_CREATE]: (_DeviceObject, Irp) => complete(Irp, wdm.STATUS_DEVICE_NOT_READY),
      },
    });
    const r = await runApp(m, async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      return [h, w.GetLastError()];
    });
    expect(ok(r)).to.deep.equal([w.INVALID_HANDLE_VALUE, w.ERROR_NOT_READY]);
    expect(majors(kit)).to.deep.equal(["CREATE"]);
  });

  it("a driver with no IRP_MJ_CREATE routine cannot be opened: CreateFile fails with ERROR_INVALID_FUNCTION", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { unset: [wdm.IRP_MJ_CREATE] });
    const r = await runApp(m, async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      return [h, w.GetLastError()];
    });
    expect(ok(r)).to.deep.equal([w.INVALID_HANDLE_VALUE, w.ERROR_INVALID_FUNCTION]);
    expect(majors(kit)).to.deep.equal([]);
  });

  it("an exclusive device refuses a second open with ERROR_ACCESS_DENIED until the first file object is closed", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      exclusive: true,
      dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: succeed },
    });
    const r = await runApp(m, async () => {
      const first = await open(kit);
      const second = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      const error = w.GetLastError();
      const dup = await duplicate(first);
      const dupWorks = await w.DeviceIoControl(dup, CODE, 0, 0, 0, 0, 0, null);
      await w.CloseHandle(first);
      await w.CloseHandle(dup);
      const third = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      return { second, error, dupWorks, thirdOpened: third !== w.INVALID_HANDLE_VALUE };
    });
    expect(ok(r)).to.deep.equal({
      second: w.INVALID_HANDLE_VALUE,
      error: w.ERROR_ACCESS_DENIED,
      dupWorks: true,
      thirdOpened: true,
    });
    expect(majors(kit).filter((x) => x === "CREATE")).to.have.length(2);
  });

  it("a major function the driver leaves unset fails with ERROR_INVALID_FUNCTION (STATUS_INVALID_DEVICE_REQUEST)", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { unset: [wdm.IRP_MJ_DEVICE_CONTROL] });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      const before = ioManager(m).liveIrps.size;
      const ioctl = [
        await w.DeviceIoControl(h, CODE, buf, 8, buf + 64, 8, 0, null),
        w.GetLastError(),
      ];
      const read = [await w.ReadFile(h, buf, 8, buf + 128, null), w.GetLastError()];
      return { ioctl, read, irpsLeft: ioManager(m).liveIrps.size - before };
    });
    expect(ok(r)).to.deep.equal({
      ioctl: [false, w.ERROR_INVALID_FUNCTION],
      read: [false, w.ERROR_INVALID_FUNCTION],
      irpsLeft: 0,
    });
  });

  it("an invalid handle fails DeviceIoControl with ERROR_INVALID_HANDLE", async () => {
    const m = newMachine();
    await loadKit(m);
    const r = await runApp(m, async () => [
      await w.DeviceIoControl(0x1234, CODE, 0, 0, 0, 0, 0, null),
      w.GetLastError(),
    ]);
    expect(ok(r)).to.deep.equal([false, w.ERROR_INVALID_HANDLE]);
  });

  it("an OVERLAPPED whose event handle is not an event fails with ERROR_INVALID_HANDLE before the driver runs", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: succeed } });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const before = resources(m);
      const notAnEvent = [
        await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, overlapped(h)),
        w.GetLastError(),
      ];
      const closed = [
        await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, overlapped(0x4444)),
        w.GetLastError(),
      ];
      return { notAnEvent, closed, same: JSON.stringify(resources(m)) === JSON.stringify(before) };
    });
    expect(ok(r)).to.deep.equal({
      notAnEvent: [false, w.ERROR_INVALID_HANDLE],
      closed: [false, w.ERROR_INVALID_HANDLE],
      same: true,
    });
    expect(majors(kit)).to.deep.equal(["CREATE", "CLEANUP", "CLOSE"]);
  });

  it("a handle opened before IoDeleteDevice still reaches the driver, while a new CreateFile fails with ERROR_FILE_NOT_FOUND", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: succeed } });
    let deleted = false;
    const r = await runApp(m, async () => {
      const h = await open(kit);
      // The driver deletes its device (as a surprise removal would), keeping its symbolic link.
      await runKernelNow(m, () => {
        wdm.IoDeleteDevice(kit.device);
      });
      const viaLink = [
        await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0),
        w.GetLastError(),
      ];
      // And once the link is gone as well.
      await runKernelNow(m, () => {
        wdm.IoDeleteSymbolicLink("\\DosDevices\\IoTest");
      });
      const noLink = [
        await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0),
        w.GetLastError(),
      ];
      const old = await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, null);
      const beforeClose = kit.device.deleted;
      await w.CloseHandle(h);
      deleted = kit.device.deleted;
      return { viaLink, noLink, old, beforeClose };
    });
    expect(ok(r)).to.deep.equal({
      viaLink: [w.INVALID_HANDLE_VALUE, w.ERROR_FILE_NOT_FOUND],
      noLink: [w.INVALID_HANDLE_VALUE, w.ERROR_FILE_NOT_FOUND],
      old: true,
      beforeClose: false,
    });
    expect(majors(kit)).to.deep.equal(["CREATE", "DEVICE_CONTROL", "CLEANUP", "CLOSE"]);
    expect(deleted).to.equal(true);
  });

  it("the I/O manager's own requests leave nothing behind: after open, I/O and close, no IRP or MDL is live and no page is locked", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: succeed } });
    const r = await runApp(m, async () => {
      const buf = alloc();
      const before = resources(m);
      const h = await open(kit);
      for (const method of [
        wdm.METHOD_BUFFERED,
        wdm.METHOD_IN_DIRECT,
        wdm.METHOD_OUT_DIRECT,
        wdm.METHOD_NEITHER,
      ]) {
        await w.DeviceIoControl(h, IOCTL(1, method), buf, 16, buf + 64, 16, 0, null);
      }
      await w.CloseHandle(h);
      return [before, resources(m)];
    });
    const [before, after] = ok(r);
    expect(after).to.deep.equal(before);
    expect([ioManager(m).liveIrps.size, ioManager(m).liveMdls.size]).to.deep.equal([0, 0]);
  });
});

/**
 * Runs `body` on a new system thread and waits (in user mode) until it has run: how a test
 * makes a driver act while an app is in the middle of its work.
 */
async function runKernelNow(m: ReturnType<typeof newMachine>, body: () => void): Promise<void> {
  let done = false;
  m.createSystemThread("driver action", () => {
    body();
    done = true;
  });
  while (!done) await w.Sleep(1);
}
