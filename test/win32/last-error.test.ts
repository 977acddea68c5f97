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
