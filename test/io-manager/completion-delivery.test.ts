import { expect } from "chai";
import type { Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import {
  IOCTL,
  MARK,
  alloc,
  bytesAt,
  complete,
  completeFromSystemThread,
  completeFromTimerDpc,
  fillBytes,
  loadKit,
  markedKernel32Iosb,
  open,
  overlapped,
  repeat,
  signalled,
  type Kit,
} from "./kit.js";

/** How the driver finishes the request. */
type Finish =
  | "completed in dispatch"
  | "marked pending and completed in dispatch"
  | "pended and completed later from a timer DPC";
const finishes: readonly Finish[] = [
  "completed in dispatch",
  "marked pending and completed in dispatch",
  "pended and completed later from a timer DPC",
];

const statuses = [
  { status: wdm.STATUS_SUCCESS, what: "STATUS_SUCCESS", win32: 0 },
  {
    status: wdm.STATUS_OBJECT_NAME_EXISTS,
    what: "an information status (STATUS_OBJECT_NAME_EXISTS)",
    win32: 0,
  },
  {
    status: wdm.STATUS_BUFFER_OVERFLOW,
    what: "a warning (STATUS_BUFFER_OVERFLOW)",
    win32: w.ERROR_MORE_DATA,
  },
  {
    status: wdm.STATUS_INVALID_PARAMETER,
    what: "an error (STATUS_INVALID_PARAMETER)",
    win32: w.ERROR_INVALID_PARAMETER,
  },
] as const;

const WARM_UP = IOCTL(9, wdm.METHOD_BUFFERED);
const CODE = IOCTL(1, wdm.METHOD_BUFFERED);
/** The driver fills the 16-byte system buffer with 0xAB and reports 8 bytes. */
const INFORMATION = 8;

/** A kit that finishes CODE as told (and WARM_UP at once, with success). */
async function finishingKit(m: Machine, status: number, finish: Finish): Promise<Kit> {
  return loadKit(m, {
    dispatch: {
      [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
        const dio = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
        if (dio.IoControlCode === WARM_UP) return complete(Irp, wdm.STATUS_SUCCESS);
        wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, dio.OutputBufferLength, 0xab);
        switch (finish) {
          case "completed in dispatch":
            return complete(Irp, status, INFORMATION);
          case "marked pending and completed in dispatch":
            wdm.IoMarkIrpPending(Irp);
            complete(Irp, status, INFORMATION);
            return wdm.STATUS_PENDING;
          case "pended and completed later from a timer DPC":
            wdm.IoMarkIrpPending(Irp);
            completeFromTimerDpc(Irp, 10, status, INFORMATION);
            return wdm.STATUS_PENDING;
        }
      },
    },
  });
}

const COPIED = [...repeat(0xab, INFORMATION), ...repeat(0x11, 16 - INFORMATION)];
const UNTOUCHED = repeat(0x11, 16);

describe("I/O manager: what DeviceIoControl returns and delivers for each status", () => {
  describe("on a synchronous handle (the call returns the final status; the IO_STATUS_BLOCK is written only for a non-error status)", () => {
    for (const s of statuses) {
      for (const finish of finishes) {
        const error = wdm.NT_ERROR(s.status);
        const success = wdm.NT_SUCCESS(s.status);
        const pended = finish !== "completed in dispatch";
        const title =
          `${s.what}, ${finish}: returns ${success ? "TRUE" : "FALSE"}` +
          (success ? "" : ` with error ${s.win32}`) +
          (error
            ? ", leaves the IO_STATUS_BLOCK, byte count and output buffer alone"
            : ", fills the IO_STATUS_BLOCK and byte count and copies the output back") +
          (error && !pended
            ? ", and leaves the file object's event reset"
            : ", and sets the file object's event");
        it(title, async () => {
          const m = newMachine();
          const kit = await finishingKit(m, s.status, finish);
          const r = await runApp(m, async () => {
            const h = await open(kit);
            const buf = alloc();
            await w.DeviceIoControl(h, WARM_UP, 0, 0, 0, 0, 0, null);
            const eventBefore = await signalled(h);
            fillBytes(buf, 16, 0x11);
            w.writeU32(buf + 64, MARK);
            const iosb = markedKernel32Iosb(m);
            w.SetLastError(0);
            const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, buf + 64, null);
            return {
              eventBefore,
              ret,
              error: w.GetLastError(),
              iosb: [iosb.status(), iosb.information()],
              bytes: w.readU32(buf + 64),
              out: bytesAt(buf, 16),
              event: await signalled(h),
              at: Math.floor(m.nowMs),
            };
          });
          expect(ok(r)).to.deep.equal({
            eventBefore: true,
            ret: success,
            error: s.win32,
            iosb: error ? [MARK, MARK] : [s.status, INFORMATION],
            bytes: error ? MARK : INFORMATION,
            out: error ? UNTOUCHED : COPIED,
            event: !error || pended,
            at: finish === "pended and completed later from a timer DPC" ? 10 : 0,
          });
        });
      }
    }
  });

  describe("on an overlapped handle (pended: FALSE with ERROR_IO_PENDING; completion delivered iff the IRP was marked pending or the status is not an error)", () => {
    for (const s of statuses) {
      for (const finish of finishes) {
        const error = wdm.NT_ERROR(s.status);
        const success = wdm.NT_SUCCESS(s.status);
        const pended = finish !== "completed in dispatch";
        const delivered = pended || !error;
        const title =
          `${s.what}, ${finish}: returns ` +
          (pended
            ? "FALSE with ERROR_IO_PENDING"
            : success
              ? "TRUE"
              : `FALSE with error ${s.win32}`) +
          (delivered
            ? ", then writes Internal/InternalHigh and sets the event (reset when the call started)"
            : ", writes nothing to the OVERLAPPED and leaves its event reset") +
          (error ? "; the output buffer is not copied back" : "; the output is copied back");
        it(title, async () => {
          const m = newMachine();
          const kit = await finishingKit(m, s.status, finish);
          const r = await runApp(m, async () => {
            const h = await open(kit, true);
            const buf = alloc();
            fillBytes(buf, 16, 0x11);
            w.writeU32(buf + 64, MARK);
            const ev = w.CreateEvent(null, true, true, null);
            const ov = overlapped(ev);
            ov.InternalHigh = MARK;
            w.SetLastError(0);
            const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, buf + 64, ov);
            const atReturn = {
              error: w.GetLastError(),
              iosb: [ov.Internal, ov.InternalHigh],
              event: await signalled(ev),
              out: bytesAt(buf, 16),
              at: Math.floor(m.nowMs),
            };
            if (pended) await w.WaitForSingleObject(ev, w.INFINITE);
            return {
              ret,
              atReturn,
              bytes: pended ? null : w.readU32(buf + 64),
              iosb: [ov.Internal, ov.InternalHigh],
              event: await signalled(ev),
              out: bytesAt(buf, 16),
              at: Math.floor(m.nowMs),
            };
          });
          const later = finish === "pended and completed later from a timer DPC";
          const done = { iosb: [s.status, INFORMATION], out: error ? UNTOUCHED : COPIED };
          expect(ok(r)).to.deep.equal({
            ret: !pended && success,
            atReturn: {
              error: pended ? w.ERROR_IO_PENDING : s.win32,
              iosb: later || !delivered ? [wdm.STATUS_PENDING, MARK] : done.iosb,
              event: delivered && !later,
              out: later ? UNTOUCHED : done.out,
              at: 0,
            },
            bytes: pended ? null : error ? MARK : INFORMATION,
            iosb: delivered ? done.iosb : [wdm.STATUS_PENDING, MARK],
            event: delivered,
            out: done.out,
            at: later ? 10 : 0,
          });
        });
      }
    }
  });

  it("the last error is RtlNtStatusToDosError of the status the driver completed with", async () => {
    const cases: [number, number][] = [
      [wdm.STATUS_INVALID_DEVICE_REQUEST, w.ERROR_INVALID_FUNCTION],
      [wdm.STATUS_NOT_IMPLEMENTED, w.ERROR_INVALID_FUNCTION],
      [wdm.STATUS_INVALID_PARAMETER, w.ERROR_INVALID_PARAMETER],
      [wdm.STATUS_BUFFER_TOO_SMALL, w.ERROR_INSUFFICIENT_BUFFER],
      [wdm.STATUS_INFO_LENGTH_MISMATCH, w.ERROR_BAD_LENGTH],
      [wdm.STATUS_DEVICE_NOT_READY, w.ERROR_NOT_READY],
      [wdm.STATUS_INSUFFICIENT_RESOURCES, w.ERROR_NO_SYSTEM_RESOURCES],
      [wdm.STATUS_NOT_SUPPORTED, w.ERROR_NOT_SUPPORTED],
      [wdm.STATUS_INVALID_USER_BUFFER, w.ERROR_INVALID_USER_BUFFER],
      [wdm.STATUS_IO_TIMEOUT, w.ERROR_SEM_TIMEOUT],
      [wdm.STATUS_CANCELLED, w.ERROR_OPERATION_ABORTED],
      [wdm.STATUS_FILE_CLOSED, w.ERROR_INVALID_HANDLE],
      [wdm.STATUS_NO_SUCH_DEVICE, w.ERROR_FILE_NOT_FOUND],
      [wdm.STATUS_DEVICE_DOES_NOT_EXIST, w.ERROR_DEV_NOT_EXIST],
      [wdm.STATUS_BUFFER_OVERFLOW, w.ERROR_MORE_DATA],
      [wdm.STATUS_VERIFY_REQUIRED, w.ERROR_MEDIA_CHANGED],
    ];
    const m = newMachine();
    let k = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => complete(Irp, cases[k++]?.[0] ?? 0),
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const errors: number[] = [];
      for (let i = 0; i < cases.length; i++) {
        await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, null);
        errors.push(w.GetLastError());
      }
      return errors;
    });
    expect(ok(r)).to.deep.equal(cases.map((c) => c[1]));
  });

  it("a synchronous handle waits on the file object while a system thread finishes the request, and returns its final error", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromSystemThread(Irp, 20, wdm.STATUS_DEVICE_NOT_READY, 4);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      const iosb = markedKernel32Iosb(m);
      const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, null);
      return {
        ret,
        error: w.GetLastError(),
        at: Math.floor(m.nowMs),
        iosb: [iosb.status(), iosb.information()],
        event: await signalled(h),
      };
    });
    expect(ok(r)).to.deep.equal({
      ret: false,
      error: w.ERROR_NOT_READY,
      at: 20,
      iosb: [MARK, MARK],
      event: true,
    });
  });

  it("completion's second stage runs in the requesting thread: a request completed by a DPC in the System process still copies back into the app's buffer", async () => {
    const m = newMachine();
    const dpcProcess: string[] = [];
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, 16, 0x7e);
          completeFromTimerDpc(Irp, 5, wdm.STATUS_SUCCESS, 16, () =>
            dpcProcess.push(wdm.PsGetCurrentProcess().name),
          );
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const buf = alloc();
      const ev = w.CreateEvent(null, true, false, null);
      const ov = overlapped(ev);
      await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, ov);
      await w.WaitForSingleObject(ev, w.INFINITE);
      return bytesAt(buf, 16);
    });
    expect(ok(r)).to.deep.equal(repeat(0x7e, 16));
    expect(dpcProcess).to.deep.equal(["System"]);
  });

  describe("GetOverlappedResult", () => {
    async function pendingKit(m: Machine, status: number, information: number): Promise<Kit> {
      return loadKit(m, {
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
            wdm.IoMarkIrpPending(Irp);
            completeFromTimerDpc(Irp, 10, status, information);
            return wdm.STATUS_PENDING;
          },
        },
      });
    }

    it("without waiting fails with ERROR_IO_INCOMPLETE while the request is pending; waiting returns TRUE and the byte count when it completes", async () => {
      const m = newMachine();
      const kit = await pendingKit(m, wdm.STATUS_SUCCESS, 12);
      const r = await runApp(m, async () => {
        const h = await open(kit, true);
        const buf = alloc();
        const ov = overlapped(w.CreateEvent(null, true, false, null));
        await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, ov);
        const poll = [
          await w.GetOverlappedResult(h, ov, buf + 64, false),
          w.GetLastError(),
          w.HasOverlappedIoCompleted(ov),
        ];
        const wait = [
          await w.GetOverlappedResult(h, ov, buf + 68, true),
          w.readU32(buf + 68),
          Math.floor(m.nowMs),
          w.HasOverlappedIoCompleted(ov),
        ];
        const again = [await w.GetOverlappedResult(h, ov, buf + 72, false), w.readU32(buf + 72)];
        return { poll, wait, again };
      });
      expect(ok(r)).to.deep.equal({
        poll: [false, w.ERROR_IO_INCOMPLETE, false],
        wait: [true, 12, 10, true],
        again: [true, 12],
      });
    });

    it("reports a warning as FALSE with its Win32 error and the byte count, and an error as FALSE with its Win32 error", async () => {
      const results: unknown[] = [];
      for (const [status, info] of [
        [wdm.STATUS_BUFFER_OVERFLOW, 16],
        [wdm.STATUS_CANCELLED, 0],
      ] as const) {
        const m = newMachine();
        const kit = await pendingKit(m, status, info);
        const r = await runApp(m, async () => {
          const h = await open(kit, true);
          const buf = alloc();
          const ov = overlapped(w.CreateEvent(null, true, false, null));
          await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, ov);
          w.writeU32(buf + 64, MARK);
          return [
            await w.GetOverlappedResult(h, ov, buf + 64, true),
            w.GetLastError(),
            w.readU32(buf + 64),
          ];
        });
        results.push(ok(r));
      }
      expect(results).to.deep.equal([
        [false, w.ERROR_MORE_DATA, 16],
        [false, w.ERROR_OPERATION_ABORTED, 0],
      ]);
    });

    it("an OVERLAPPED without an event is completed through the file object's event, which GetOverlappedResult waits on; with an event, the file object's event stays reset", async () => {
      const m = newMachine();
      const kit = await pendingKit(m, wdm.STATUS_SUCCESS, 3);
      const r = await runApp(m, async () => {
        const h = await open(kit, true);
        const buf = alloc();
        const ov = overlapped(0);
        const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, ov);
        const fileSignalledEarly = await signalled(h);
        const res = await w.GetOverlappedResult(h, ov, buf + 64, true);
        const fileSignalled = await signalled(h);
        // With an event in the OVERLAPPED, the event is set instead of the file object.
        const ev = w.CreateEvent(null, true, false, null);
        await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, overlapped(ev));
        await w.WaitForSingleObject(ev, w.INFINITE);
        return {
          ret,
          fileSignalledEarly,
          res,
          bytes: w.readU32(buf + 64),
          fileSignalled,
          withEvent: await signalled(h),
          at: Math.floor(m.nowMs),
        };
      });
      expect(ok(r)).to.deep.equal({
        ret: false,
        fileSignalledEarly: false,
        res: true,
        bytes: 3,
        fileSignalled: true,
        withEvent: false,
        at: 20,
      });
    });
  });

  it("DeviceIoControl without an OVERLAPPED on an overlapped handle waits on the handle for a pended request", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, 4, 0x99);
          completeFromTimerDpc(Irp, 15, wdm.STATUS_SUCCESS, 4);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const buf = alloc();
      const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 4, buf + 64, null);
      return { ret, at: Math.floor(m.nowMs), bytes: w.readU32(buf + 64), out: bytesAt(buf, 4) };
    });
    expect(ok(r)).to.deep.equal({ ret: true, at: 15, bytes: 4, out: repeat(0x99, 4) });
  });

  describe("requests on a synchronous file object are serialised", () => {
    async function twoThreads(overlappedHandle: boolean): Promise<string[]> {
      const m = newMachine();
      const log: string[] = [];
      const kit = await loadKit(m, {
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
            const who = wdm.PsGetCurrentThread().label;
            log.push(`dispatch ${who} at ${Math.floor(m.nowMs)}`);
            wdm.IoMarkIrpPending(Irp);
            completeFromTimerDpc(Irp, 10, wdm.STATUS_SUCCESS, 0, () =>
              log.push(`complete ${who} at ${Math.floor(m.nowMs)}`),
            );
            return wdm.STATUS_PENDING;
          },
        },
      });
      const r = await runApp(m, async () => {
        const h = await open(kit, overlappedHandle);
        const send = async (): Promise<void> => {
          const ov = overlappedHandle ? overlapped(w.CreateEvent(null, true, false, null)) : null;
          await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, ov);
          if (ov) await w.WaitForSingleObject(ov.hEvent, w.INFINITE);
        };
        const t = w.CreateThread(null, 0, send, null, 0, 0, "second");
        await send();
        await w.WaitForSingleObject(t, w.INFINITE);
      });
      ok(r);
      return log;
    }

    it("a second thread's request on a synchronous handle reaches the driver only after the first one completes", async () => {
      expect(await twoThreads(false)).to.deep.equal([
        "dispatch app.exe:main at 0",
        "complete app.exe:main at 10",
        "dispatch app.exe:second at 10",
        "complete app.exe:second at 20",
      ]);
    });

    it("on an overlapped handle both requests reach the driver at once", async () => {
      expect(await twoThreads(true)).to.deep.equal([
        "dispatch app.exe:main at 0",
        "dispatch app.exe:second at 0",
        "complete app.exe:main at 10",
        "complete app.exe:second at 10",
      ]);
    });
  });
});
