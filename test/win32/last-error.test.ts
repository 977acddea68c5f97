/**
 * kernel32's rule for the thread's last error: a call that succeeds leaves it as it was; only a
 * failure sets it. The few APIs Windows documents as setting it on success too are tested here.
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { IOCTL, alloc, complete, loadKit, open, overlapped } from "../io-manager/kit.js";

const STALE = 0x1234;

describe("Win32: a call that succeeds leaves the thread's last error untouched", () => {
  it("a successful synchronous DeviceIoControl, ReadFile and WriteFile leave GetLastError as it was", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      flags: wdm.DO_BUFFERED_IO,
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS, 4),
        [wdm.IRP_MJ_READ]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS, 4),
        [wdm.IRP_MJ_WRITE]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS, 4),
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      const out: [boolean, number][] = [];
      w.SetLastError(STALE);
      out.push([await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), buf, 4, buf, 4, buf + 64, null), w.GetLastError()]);
      out.push([await w.ReadFile(h, buf, 4, buf + 64, null), w.GetLastError()]);
      out.push([await w.WriteFile(h, buf, 4, buf + 64, null), w.GetLastError()]);
      return out;
    });
    expect(ok(r)).to.deep.equal([
      [true, STALE],
      [true, STALE],
      [true, STALE],
    ]);
  });

  it("an overlapped DeviceIoControl the driver completes at once, GetOverlappedResult, SetEvent, a wait, VirtualAlloc and CloseHandle leave GetLastError as it was", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS, 2) } });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const buf = alloc();
      const ev = w.CreateEvent(null, true, false, null);
      w.SetLastError(STALE);
      const ov = overlapped(ev);
      const results = [
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, buf, 4, buf + 64, ov),
        await w.GetOverlappedResult(h, ov, buf + 64, true),
        w.SetEvent(ev),
        (await w.WaitForSingleObject(ev, 0)) === w.WAIT_OBJECT_0,
        w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE) !== 0,
        await w.CloseHandle(ev),
        await w.CloseHandle(h),
      ];
      return { results, error: w.GetLastError() };
    });
    expect(ok(r)).to.deep.equal({ results: [true, true, true, true, true, true, true], error: STALE });
  });

  it("a failed DeviceIoControl still sets the last error from the driver's status", async () => {
    const m = newMachine();
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => complete(Irp, wdm.STATUS_INVALID_DEVICE_STATE) } });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      w.SetLastError(STALE);
      return [await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, 0, 0, 0, null), w.GetLastError()];
    });
    expect(ok(r)).to.deep.equal([false, w.ERROR_BAD_COMMAND]);
  });
});

describe("Win32: the calls Windows documents as setting the last error on success", () => {
  it("CreateFile sets the last error on success: ERROR_ALREADY_EXISTS when OPEN_ALWAYS opened (FILE_OPENED) or CREATE_ALWAYS overwrote (FILE_OVERWRITTEN), else 0", async () => {
    const m = newMachine();
    let information = 0;
    const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_CREATE]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS, information) } });
    const r = await runApp(m, async () => {
      const out: number[] = [];
      const open = async (disposition: number, info: number) => {
        information = info;
        w.SetLastError(STALE);
        const h = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, disposition, 0, 0);
        out.push(h === w.INVALID_HANDLE_VALUE ? -1 : w.GetLastError());
      };
      await open(w.OPEN_EXISTING, 1);
      await open(w.OPEN_ALWAYS, 1);
      await open(w.OPEN_ALWAYS, 2);
      await open(w.CREATE_ALWAYS, 3);
      await open(w.CREATE_ALWAYS, 2);
      await open(w.CREATE_NEW, 2);
      return out;
    });
    expect(ok(r)).to.deep.equal([0, w.ERROR_ALREADY_EXISTS, 0, w.ERROR_ALREADY_EXISTS, 0, 0]);
  });

  it("CreateEvent, CreateMutex and CreateSemaphore set ERROR_ALREADY_EXISTS when the name already existed (returning a handle to that object), 0 for a new one; a name used by another kind of object fails with ERROR_INVALID_HANDLE", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      w.SetLastError(STALE);
      const a = w.CreateEvent(null, true, false, "Shared");
      const e1 = w.GetLastError();
      w.SetLastError(STALE);
      const b = w.CreateEvent(null, true, false, "Global\\Shared");
      const e2 = w.GetLastError();
      w.SetEvent(a);
      const same = (await w.WaitForSingleObject(b, 0)) === w.WAIT_OBJECT_0;
      w.SetLastError(STALE);
      const unnamed = w.CreateEvent(null, true, false, null);
      const e3 = w.GetLastError();
      const mutex = w.CreateMutex(null, false, "Shared");
      const e4 = w.GetLastError();
      w.CreateSemaphore(null, 1, 2, "Sem");
      const sem2 = w.CreateSemaphore(null, 1, 2, "sem");
      const e5 = w.GetLastError();
      return [a !== 0 && b !== 0 && a !== b, e1, e2, same, unnamed !== 0, e3, mutex, e4, sem2 !== 0, e5];
    });
    expect(ok(r)).to.deep.equal([true, 0, w.ERROR_ALREADY_EXISTS, true, true, 0, 0, w.ERROR_INVALID_HANDLE, true, w.ERROR_ALREADY_EXISTS]);
  });

  it("ReadFileEx sets the last error on success as Windows documents: ERROR_SUCCESS, or the warning's error (ERROR_MORE_DATA for STATUS_BUFFER_OVERFLOW)", async () => {
    const m = newMachine();
    let status: number = wdm.STATUS_SUCCESS;
    const kit = await loadKit(m, { flags: wdm.DO_BUFFERED_IO, dispatch: { [wdm.IRP_MJ_READ]: (_d, Irp) => complete(Irp, status, 2) } });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const buf = alloc();
      const out: [boolean, number][] = [];
      for (const s of [wdm.STATUS_SUCCESS, wdm.STATUS_BUFFER_OVERFLOW]) {
        status = s;
        w.SetLastError(STALE);
        out.push([await w.ReadFileEx(h, buf, 4, overlapped(0), () => 0), w.GetLastError()]);
        await w.SleepEx(0, true);
      }
      return out;
    });
    expect(ok(r)).to.deep.equal([
      [true, 0],
      [true, w.ERROR_MORE_DATA],
    ]);
  });
});
