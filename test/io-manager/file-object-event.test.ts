/**
 * FILE_OBJECT.Event, which a wait on a file handle waits on: IopParseDevice makes it the create
 * request's event, so a newly opened handle is signalled; every request clears it when it starts,
 * and its completion sets it again only when the request had no event of its own.
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { IOCTL, alloc, complete, completeFromTimerDpc, loadKit, open, overlapped, signalled } from "./kit.js";

describe("I/O manager: the file object's event", () => {
  it("a newly opened file handle is signalled, synchronous or overlapped (the create's completion sets the file object's event)", async () => {
    const m = newMachine();
    const kit = await loadKit(m);
    const r = await runApp(m, async () => {
      const sync = await open(kit);
      const async_ = await open(kit, true);
      return [await w.WaitForSingleObject(sync, 0), await w.WaitForSingleObject(async_, 0)];
    });
    expect(ok(r)).to.deep.equal([w.WAIT_OBJECT_0, w.WAIT_OBJECT_0]);
  });

  it("a create the driver pends signals the file object's event when it completes", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_CREATE]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 5, wdm.STATUS_SUCCESS);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      return [Math.floor(m.nowMs), await signalled(h)];
    });
    expect(ok(r)).to.deep.equal([5, true]);
  });

  it("a request made with an event of its own leaves the file object's event unsignalled; one without an event sets it", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 2, wdm.STATUS_SUCCESS);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const buf = alloc();
      const opened = await signalled(h);
      const ev = w.CreateEvent(null, true, false, null);
      await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, buf, 4, 0, overlapped(ev));
      const whilePending = await signalled(h);
      await w.WaitForSingleObject(ev, w.INFINITE);
      const afterOwnEvent = await signalled(h);
      const ov = overlapped(0);
      await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, buf, 4, 0, ov);
      const waited = await w.WaitForSingleObject(h, w.INFINITE);
      return { opened, whilePending, afterOwnEvent, waited };
    });
    expect(ok(r)).to.deep.equal({ opened: true, whilePending: false, afterOwnEvent: false, waited: w.WAIT_OBJECT_0 });
  });
});

describe("I/O manager: Irp->UserBuffer for every buffering method", () => {
  it("METHOD_IN_DIRECT and METHOD_OUT_DIRECT give the driver the caller's output buffer address in Irp->UserBuffer, beside the MDL", async () => {
    const m = newMachine();
    const seen: [number, number | null][] = [];
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => {
          const mdl = Irp.MdlAddress;
          seen.push([Irp.UserBuffer, mdl ? wdm.MmGetMdlVirtualAddress(mdl) : null]);
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const inBuf = alloc();
      const outBuf = alloc();
      await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_IN_DIRECT), inBuf, 8, outBuf, 16, 0, null);
      await w.DeviceIoControl(h, IOCTL(2, wdm.METHOD_OUT_DIRECT), inBuf, 8, outBuf + 32, 16, 0, null);
      // A zero-length output still passes its address, with no MDL.
      await w.DeviceIoControl(h, IOCTL(3, wdm.METHOD_OUT_DIRECT), inBuf, 8, outBuf + 64, 0, 0, null);
      return outBuf;
    });
    const outBuf = ok(r);
    expect(seen).to.deep.equal([
      [outBuf, outBuf],
      [outBuf + 32, outBuf + 32],
      [outBuf + 64, null],
    ]);
  });
});
