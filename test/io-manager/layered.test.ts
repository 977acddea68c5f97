import { expect } from "chai";
import { ioManager, loadDriver, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import {
  IOCTL,
  alloc,
  bytesAt,
  complete,
  completeFromTimerDpc,
  fillBytes,
  loadKit,
  open,
  overlapped,
  repeat,
  signalled,
  type Kit,
} from "./kit.js";

const CODE = IOCTL(1, wdm.METHOD_BUFFERED);

/** What a filter does with an IOCTL: it gets the IRP, the device below it and its own device. */
type FilterDispatch = (
  Irp: wdm.IRP,
  lower: wdm.DEVICE_OBJECT,
  self: wdm.DEVICE_OBJECT,
) => ReturnType<wdm.DRIVER_DISPATCH>;

/** Loads a filter driver `name` on top of `target`'s stack; other requests pass straight down. */
async function loadFilter(
  m: Machine,
  name: string,
  target: wdm.DEVICE_OBJECT,
  deviceControl: FilterDispatch,
): Promise<wdm.DEVICE_OBJECT> {
  const r = await loadDriver(m, name, (DriverObject) => {
    const created = wdm.IoCreateDevice(DriverObject, null, null, wdm.FILE_DEVICE_UNKNOWN, 0, false);
    const device = created.DeviceObject;
    if (!device) return created.status;
    const lower = wdm.IoAttachDeviceToDeviceStack(device, target);
    if (!lower) return wdm.STATUS_NO_SUCH_DEVICE;
    device.Flags |= lower.Flags & (wdm.DO_BUFFERED_IO | wdm.DO_DIRECT_IO);
    const pass: wdm.DRIVER_DISPATCH = function FilterPassThrough(_DeviceObject, Irp) {
      wdm.IoSkipCurrentIrpStackLocation(Irp);
      return wdm.IoCallDriver(lower, Irp);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = pass;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = pass;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = pass;
    DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function FilterDeviceControl(
      DeviceObject,
      Irp,
    ) {
      return deviceControl(Irp, lower, DeviceObject);
    };
    return wdm.STATUS_SUCCESS;
  });
  const self = r.DriverObject.DeviceObject;
  if (!wdm.NT_SUCCESS(r.status) || !self) throw new Error(`filter ${name} did not load`);
  return self;
}

/** A lower driver whose IOCTL writes `fill` into the system buffer and finishes as `how` says. */
async function lowerKit(
  m: Machine,
  how: "now" | "later",
  status: number,
  information = 0,
  fill = 0x11,
): Promise<Kit> {
  return loadKit(m, {
    name: "Lower",
    dispatch: {
      [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
        const sys = Irp.AssociatedIrp.SystemBuffer;
        if (sys !== 0)
          wdm.RtlFillMemory(
            sys,
            wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.OutputBufferLength,
            fill,
          );
        if (how === "now") return complete(Irp, status, information);
        wdm.IoMarkIrpPending(Irp);
        completeFromTimerDpc(Irp, 10, status, information);
        return wdm.STATUS_PENDING;
      },
    },
  });
}

/** Sends CODE (16-byte output) on a new overlapped handle and waits up to 100 ms for the event. */
async function overlappedCall(
  kit: Kit,
): Promise<{
  ret: boolean;
  error: number;
  internal: number;
  information: number;
  event: boolean;
  out: number[];
}> {
  const h = await open(kit, true);
  const buf = alloc();
  const ev = w.CreateEvent(null, true, false, null);
  const ov = overlapped(ev);
  const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, 0, ov);
  const error = w.GetLastError();
  await w.WaitForSingleObject(ev, 100);
  return {
    ret,
    error,
    internal: ov.Internal,
    information: ov.InternalHigh,
    event: await signalled(ev),
    out: bytesAt(buf, 16),
  };
}

describe("I/O manager: layered drivers and completion routines", () => {
  it("a completion routine runs inside the lower driver's IoCompleteRequest, with the filter's device and its context", async () => {
    const m = newMachine();
    const log: string[] = [];
    const kit = await loadKit(m, {
      name: "Lower",
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
          wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
          log.push("lower's IoCompleteRequest returned");
          return wdm.STATUS_SUCCESS;
        },
      },
    });
    let filterDevice: wdm.DEVICE_OBJECT | null = null;
    filterDevice = await loadFilter(m, "Upper", kit.device, (Irp, lower) => {
      wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
      wdm.IoSetCompletionRoutine(
        Irp,
        function UpperCompletion(DeviceObject, _Irp, Context) {
          log.push(
            `routine: device is the filter's ${String(DeviceObject === filterDevice)}, context ${String(Context)}, IRQL ${wdm.KeGetCurrentIrql()}`,
          );
          return wdm.STATUS_SUCCESS;
        },
        "ctx-1",
        true,
        true,
        true,
      );
      return wdm.IoCallDriver(lower, Irp);
    });
    const r = await runApp(m, async () =>
      w.DeviceIoControl(await open(kit), CODE, 0, 0, 0, 0, 0, null),
    );
    expect(ok(r)).to.equal(true);
    expect(log).to.deep.equal([
      "routine: device is the filter's true, context ctx-1, IRQL 0",
      "lower's IoCompleteRequest returned",
    ]);
  });

  it("a completion routine runs at the completer's IRQL: DISPATCH_LEVEL when the lower driver completes from a DPC", async () => {
    const m = newMachine();
    const irqls: number[] = [];
    const kit = await lowerKit(m, "later", wdm.STATUS_SUCCESS);
    await loadFilter(m, "Upper", kit.device, (Irp, lower) => {
      wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
      wdm.IoSetCompletionRoutine(
        Irp,
        function UpperCompletion(_DeviceObject, I) {
          irqls.push(wdm.KeGetCurrentIrql());
          if (I.PendingReturned) wdm.IoMarkIrpPending(I);
          return wdm.STATUS_SUCCESS;
        },
        null,
        true,
        true,
        true,
      );
      return wdm.IoCallDriver(lower, Irp);
    });
    const r = await runApp(m, async () => overlappedCall(kit));
    expect(ok(r).event).to.equal(true);
    expect(irqls).to.deep.equal([wdm.DISPATCH_LEVEL]);
  });

  describe("InvokeOnSuccess and InvokeOnError are chosen by NT_SUCCESS, so a warning invokes on-error routines", () => {
    const cases = [
      [wdm.STATUS_SUCCESS, "STATUS_SUCCESS", "success"],
      [wdm.STATUS_OBJECT_NAME_EXISTS, "an information status", "success"],
      [wdm.STATUS_BUFFER_OVERFLOW, "a warning (STATUS_BUFFER_OVERFLOW)", "error"],
      [wdm.STATUS_UNSUCCESSFUL, "an error (STATUS_UNSUCCESSFUL)", "error"],
    ] as const;
    for (const [status, what, invokes] of cases) {
      it(`${what} invokes only the routine registered for ${invokes}`, async () => {
        const invoked: string[] = [];
        for (const [onSuccess, onError, label] of [
          [true, false, "success"],
          [false, true, "error"],
        ] as const) {
          const m = newMachine();
          const kit = await lowerKit(m, "now", status);
          await loadFilter(m, "Upper", kit.device, (Irp, lower) => {
            wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
            wdm.IoSetCompletionRoutine(
              Irp,
              function UpperCompletion() {
                invoked.push(label);
                return wdm.STATUS_SUCCESS;
              },
              null,
              onSuccess,
              onError,
              false,
            );
            return wdm.IoCallDriver(lower, Irp);
          });
          ok(
            await runApp(m, async () =>
              w.DeviceIoControl(await open(kit), CODE, 0, 0, 0, 0, 0, null),
            ),
          );
        }
        expect(invoked).to.deep.equal([invokes]);
      });
    }
  });

  it("InvokeOnCancel invokes a routine for a cancelled IRP even when it completes with success", async () => {
    const invoked: boolean[] = [];
    const cancelCalled: boolean[] = [];
    for (const cancel of [false, true]) {
      const m = newMachine();
      const kit = await loadKit(m, {
        name: "Lower",
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
            wdm.IoMarkIrpPending(Irp);
            if (cancel) {
              wdm.PsCreateSystemThread(async function Canceller(I: wdm.IRP) {
                await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 5);
                cancelCalled.push(wdm.IoCancelIrp(I));
              }, Irp);
            }
            completeFromTimerDpc(Irp, 10, wdm.STATUS_SUCCESS);
            return wdm.STATUS_PENDING;
          },
        },
      });
      await loadFilter(m, "Upper", kit.device, (Irp, lower) => {
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        wdm.IoSetCompletionRoutine(
          Irp,
          function UpperCancelOnly(_DeviceObject, I) {
            invoked.push(I.Cancel);
            if (I.PendingReturned) wdm.IoMarkIrpPending(I);
            return wdm.STATUS_SUCCESS;
          },
          null,
          false,
          false,
          true,
        );
        return wdm.IoCallDriver(lower, Irp);
      });
      const r = await runApp(m, async () => overlappedCall(kit));
      expect(ok(r)).to.include({ internal: wdm.STATUS_SUCCESS, event: true });
    }
    expect(invoked).to.deep.equal([true]);
    // No cancel routine was set, so IoCancelIrp only marked the IRP.
    expect(cancelCalled).to.deep.equal([false]);
  });

  it("a routine returning STATUS_MORE_PROCESSING_REQUIRED stops completion; the filter then finishes the IRP and completes it again", async () => {
    const m = newMachine();
    const seenByFilter: number[] = [];
    const kit = await lowerKit(m, "later", wdm.STATUS_SUCCESS, 16, 0x11);
    await loadFilter(m, "Upper", kit.device, async (Irp, lower) => {
      const event = new wdm.KEVENT(wdm.NotificationEvent, false);
      wdm.KeInitializeEvent(event, wdm.NotificationEvent, false);
      wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
      wdm.IoSetCompletionRoutine(
        Irp,
        function UpperForwardAndWait(_DeviceObject, _I, Context) {
          wdm.KeSetEvent(Context as wdm.KEVENT, 0, false);
          return wdm.STATUS_MORE_PROCESSING_REQUIRED;
        },
        event,
        true,
        true,
        true,
      );
      const st = await wdm.IoCallDriver(lower, Irp);
      if (st === wdm.STATUS_PENDING)
        await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false);
      // The IRP is the filter's again: the lower driver's result is there, nothing reached the app.
      seenByFilter.push(Irp.IoStatus.Status, Irp.IoStatus.Information, Math.floor(m.nowMs));
      wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, 4, 0x22);
      return complete(Irp, wdm.STATUS_SUCCESS, 4);
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      fillBytes(buf, 16, 0x33);
      const ret = await w.DeviceIoControl(h, CODE, 0, 0, buf, 16, buf + 64, null);
      return { ret, bytes: w.readU32(buf + 64), out: bytesAt(buf, 16), at: Math.floor(m.nowMs) };
    });
    expect(ok(r)).to.deep.equal({
      ret: true,
      bytes: 4,
      out: [...repeat(0x22, 4), ...repeat(0x33, 12)],
      at: 10,
    });
    expect(seenByFilter).to.deep.equal([wdm.STATUS_SUCCESS, 16, 10]);
  });

  describe("PendingReturned", () => {
    /** Three drivers: the top one's routine records PendingReturned; the middle one has no routine. */
    async function threeLevels(how: "now" | "later"): Promise<boolean[]> {
      const m = newMachine();
      const seen: boolean[] = [];
      const kit = await lowerKit(m, how, wdm.STATUS_SUCCESS);
      const middle = await loadFilter(m, "Middle", kit.device, (Irp, lower) => {
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        return wdm.IoCallDriver(lower, Irp);
      });
      await loadFilter(m, "Top", middle, (Irp, lower) => {
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        wdm.IoSetCompletionRoutine(
          Irp,
          function TopCompletion(_DeviceObject, I) {
            seen.push(I.PendingReturned);
            if (I.PendingReturned) wdm.IoMarkIrpPending(I);
            return wdm.STATUS_SUCCESS;
          },
          null,
          true,
          true,
          true,
        );
        return wdm.IoCallDriver(lower, Irp);
      });
      ok(await runApp(m, async () => overlappedCall(kit)));
      return seen;
    }

    it("propagates up through a filter that set no completion routine: the routine above sees the lower driver's pending", async () => {
      expect(await threeLevels("later")).to.deep.equal([true]);
      expect(await threeLevels("now")).to.deep.equal([false]);
    });

    it("reaches the top through a filter without a routine, so an error completing a pended IRP is delivered to an overlapped caller", async () => {
      const m = newMachine();
      const kit = await lowerKit(m, "later", wdm.STATUS_DEVICE_NOT_READY, 0);
      await loadFilter(m, "Upper", kit.device, (Irp, lower) => {
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        return wdm.IoCallDriver(lower, Irp);
      });
      const r = await runApp(m, async () => overlappedCall(kit));
      expect(ok(r)).to.deep.include({
        ret: false,
        error: w.ERROR_IO_PENDING,
        internal: wdm.STATUS_DEVICE_NOT_READY,
        event: true,
      });
    });

    it("a completion routine must mark the IRP pending itself: one that does not leaves an overlapped caller's error undelivered", async () => {
      const results: unknown[] = [];
      for (const propagate of [true, false]) {
        const m = newMachine();
        const kit = await lowerKit(m, "later", wdm.STATUS_DEVICE_NOT_READY, 0);
        await loadFilter(m, "Upper", kit.device, (Irp, lower) => {
          wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
          wdm.IoSetCompletionRoutine(
            Irp,
            function UpperCompletion(_DeviceObject, I) {
              if (propagate && I.PendingReturned) wdm.IoMarkIrpPending(I);
              return wdm.STATUS_SUCCESS;
            },
            null,
            true,
            true,
            true,
          );
          return wdm.IoCallDriver(lower, Irp);
        });
        const r = await runApp(m, async () => overlappedCall(kit));
        const v = ok(r);
        results.push([v.internal, v.event]);
        expect(ioManager(m).liveIrps.size).to.equal(0);
      }
      expect(results).to.deep.equal([
        [wdm.STATUS_DEVICE_NOT_READY, true],
        [wdm.STATUS_PENDING, false],
      ]);
    });
  });

  describe("IRPs a driver builds for the driver below it", () => {
    it("IoBuildDeviceIoControlRequest: the I/O manager completes it, writing the IO_STATUS_BLOCK, copying the output back, setting the event and freeing the IRP", async () => {
      const m = newMachine();
      let lowerSaw: number[] = [];
      const kit = await loadKit(m, {
        name: "Lower",
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
            const dio = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
            lowerSaw = [
              Irp.RequestorMode,
              wdm.ExGetPreviousMode(),
              dio.InputBufferLength,
              dio.OutputBufferLength,
              wdm.readU8(Irp.AssociatedIrp.SystemBuffer),
            ];
            wdm.IoMarkIrpPending(Irp);
            completeFromTimerDpc(Irp, 10, wdm.STATUS_SUCCESS, 6, (I) => {
              wdm.RtlFillMemory(I.AssociatedIrp.SystemBuffer, 6, 0x66);
            });
            return wdm.STATUS_PENDING;
          },
        },
      });
      const r = await runKernel(m, async () => {
        const io = ioManager(m);
        const before = [io.liveIrps.size, io.liveMdls.size];
        const input = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 16, "Test");
        const output = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 16, "Test");
        wdm.RtlFillMemory(input, 16, 0x5a);
        wdm.RtlFillMemory(output, 16, 0x00);
        const event = new wdm.KEVENT(wdm.NotificationEvent, false);
        const iosb = new wdm.IO_STATUS_BLOCK();
        const irp = wdm.IoBuildDeviceIoControlRequest(
          CODE,
          kit.device,
          input,
          16,
          output,
          8,
          false,
          event,
          iosb,
        );
        if (!irp) throw new Error("IoBuildDeviceIoControlRequest failed");
        const st = await wdm.IoCallDriver(kit.device, irp);
        const eventEarly = wdm.KeReadStateEvent(event);
        if (st === wdm.STATUS_PENDING)
          await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false);
        const result = {
          st,
          eventEarly,
          iosb: [iosb.Status, iosb.Information],
          event: wdm.KeReadStateEvent(event),
          output: Array.from(wdm.readBytes(output, 8)),
          at: Math.floor(m.nowMs),
          leftover: [io.liveIrps.size - (before[0] ?? 0), io.liveMdls.size - (before[1] ?? 0)],
        };
        wdm.ExFreePoolWithTag(input, "Test");
        wdm.ExFreePoolWithTag(output, "Test");
        return result;
      });
      expect(ok(r)).to.deep.equal({
        st: wdm.STATUS_PENDING,
        eventEarly: 0,
        iosb: [wdm.STATUS_SUCCESS, 6],
        event: 1,
        output: [...repeat(0x66, 6), 0, 0],
        at: 10,
        leftover: [0, 0],
      });
      expect(lowerSaw).to.deep.equal([wdm.KernelMode, wdm.KernelMode, 16, 8, 0x5a]);
    });

    it("IoBuildDeviceIoControlRequest failed at once with an error: IoCallDriver returns the error and the I/O manager writes no IO_STATUS_BLOCK and sets no event", async () => {
      const m = newMachine();
      const kit = await loadKit(m, {
        name: "Lower",
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) =>
            complete(Irp, wdm.STATUS_INVALID_PARAMETER, 3),
        },
      });
      const r = await runKernel(m, async () => {
        const before = ioManager(m).liveIrps.size;
        const event = new wdm.KEVENT(wdm.NotificationEvent, false);
        const iosb = new wdm.IO_STATUS_BLOCK();
        iosb.Status = 0x1234;
        iosb.Information = 0x5678;
        const irp = wdm.IoBuildDeviceIoControlRequest(
          CODE,
          kit.device,
          0,
          0,
          0,
          0,
          false,
          event,
          iosb,
        );
        if (!irp) throw new Error("IoBuildDeviceIoControlRequest failed");
        const st = await wdm.IoCallDriver(kit.device, irp);
        return {
          st,
          iosb: [iosb.Status, iosb.Information],
          event: wdm.KeReadStateEvent(event),
          leftover: ioManager(m).liveIrps.size - before,
        };
      });
      expect(ok(r)).to.deep.equal({
        st: wdm.STATUS_INVALID_PARAMETER,
        iosb: [0x1234, 0x5678],
        event: 0,
        leftover: 0,
      });
    });

    it("IoAllocateIrp: the creator's routine gets no device, stops completion with STATUS_MORE_PROCESSING_REQUIRED, and frees the IRP with IoFreeIrp", async () => {
      const m = newMachine();
      const INTERNAL = IOCTL(7, wdm.METHOD_NEITHER);
      const kit = await loadKit(m, {
        name: "Lower",
        dispatch: {
          [wdm.IRP_MJ_INTERNAL_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
            const dio = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
            wdm.IoMarkIrpPending(Irp);
            completeFromTimerDpc(
              Irp,
              10,
              dio.IoControlCode === INTERNAL ? wdm.STATUS_SUCCESS : wdm.STATUS_INVALID_PARAMETER,
              42,
            );
            return wdm.STATUS_PENDING;
          },
        },
      });
      const routineSaw: unknown[] = [];
      const r = await runKernel(m, async () => {
        const io = ioManager(m);
        const before = io.liveIrps.size;
        const irp = wdm.IoAllocateIrp(kit.device.StackSize, false);
        if (!irp) throw new Error("IoAllocateIrp failed");
        const next = wdm.IoGetNextIrpStackLocation(irp);
        next.MajorFunction = wdm.IRP_MJ_INTERNAL_DEVICE_CONTROL;
        next.Parameters.DeviceIoControl.IoControlCode = INTERNAL;
        const event = new wdm.KEVENT(wdm.NotificationEvent, false);
        wdm.IoSetCompletionRoutine(
          irp,
          function CreatorCompletion(DeviceObject, I, Context) {
            routineSaw.push(DeviceObject, I.IoStatus.Status, I.IoStatus.Information);
            wdm.KeSetEvent(Context as wdm.KEVENT, 0, false);
            return wdm.STATUS_MORE_PROCESSING_REQUIRED;
          },
          event,
          true,
          true,
          true,
        );
        const st = await wdm.IoCallDriver(kit.device, irp);
        await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false);
        const status = irp.IoStatus.Status;
        const liveBeforeFree = io.liveIrps.size - before;
        wdm.IoFreeIrp(irp);
        return { st, status, liveBeforeFree, liveAfterFree: io.liveIrps.size - before };
      });
      expect(ok(r)).to.deep.equal({
        st: wdm.STATUS_PENDING,
        status: wdm.STATUS_SUCCESS,
        liveBeforeFree: 1,
        liveAfterFree: 0,
      });
      expect(routineSaw).to.deep.equal([null, wdm.STATUS_SUCCESS, 42]);
      expect(r.result.outcome).to.equal("completed");
    });
  });

  describe("MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)", () => {
    it("a driver that completes the same IRP twice bug-checks with the IRP as the first parameter", async () => {
      const m = newMachine();
      let irpId = -1;
      const kit = await loadKit(m, {
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: function TwiceDeviceControl(_DeviceObject, Irp) {
            irpId = Irp.id;
            complete(Irp, wdm.STATUS_SUCCESS);
            return complete(Irp, wdm.STATUS_SUCCESS);
          },
        },
      });
      const r = await runApp(m, async () =>
        w.DeviceIoControl(await open(kit), CODE, 0, 0, 0, 0, 0, null),
      );
      expect(r.result.outcome).to.equal("bugcheck");
      expect(r.result.bugCheck?.code).to.equal(0x44);
      expect(r.result.bugCheck?.name).to.equal("MULTIPLE_IRP_COMPLETE_REQUESTS");
      expect(r.result.bugCheck?.parameters[0]).to.equal(irpId);
    });

    it("completing a pended IRP twice from a DPC bug-checks at the second call, before the requester's second stage runs", async () => {
      const m = newMachine();
      let irpId = -1;
      const kit = await loadKit(m, {
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
            irpId = Irp.id;
            wdm.IoMarkIrpPending(Irp);
            completeFromTimerDpc(Irp, 5, wdm.STATUS_SUCCESS, 0, (I) => {
              complete(I, wdm.STATUS_SUCCESS);
            });
            return wdm.STATUS_PENDING;
          },
        },
      });
      const r = await runApp(m, async () => {
        const ev = w.CreateEvent(null, true, false, null);
        await w.DeviceIoControl(await open(kit, true), CODE, 0, 0, 0, 0, 0, overlapped(ev));
        await w.WaitForSingleObject(ev, w.INFINITE);
      });
      expect(r.result.bugCheck?.name).to.equal("MULTIPLE_IRP_COMPLETE_REQUESTS");
      expect(r.result.bugCheck?.parameters[0]).to.equal(irpId);
      expect(Math.floor(r.result.timeMs)).to.equal(5);
    });

    it("a filter that completes an IRP its completion routine let finish bug-checks the same way", async () => {
      const m = newMachine();
      const kit = await lowerKit(m, "now", wdm.STATUS_SUCCESS);
      await loadFilter(m, "Upper", kit.device, async (Irp, lower) => {
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        wdm.IoSetCompletionRoutine(Irp, () => wdm.STATUS_SUCCESS, null, true, true, true);
        await wdm.IoCallDriver(lower, Irp);
        return complete(Irp, wdm.STATUS_SUCCESS);
      });
      const r = await runApp(m, async () =>
        w.DeviceIoControl(await open(kit), CODE, 0, 0, 0, 0, 0, null),
      );
      expect(r.result.bugCheck?.name).to.equal("MULTIPLE_IRP_COMPLETE_REQUESTS");
    });
  });
  it("IoSetCompletionRoutineEx holds a reference on the given device until its routine has returned (so the driver cannot unload first), then drops it; the routine runs as IoSetCompletionRoutine's would, under its own name", async () => {
    const m = newMachine();
    const kit = await lowerKit(m, "later", wdm.STATUS_SUCCESS, 16);
    const counts: Record<string, number> = {};
    const { events } = m.trace.record();
    const self = await loadFilter(m, "UpperEx", kit.device, (Irp, lower, device) => {
      wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
      counts.before = device.pointerCount;
      const st = wdm.IoSetCompletionRoutineEx(device, Irp, function UpperExCompletion(_DeviceObject, I) {
        counts.inRoutine = device.pointerCount;
        if (I.PendingReturned) wdm.IoMarkIrpPending(I);
        return wdm.STATUS_CONTINUE_COMPLETION;
      }, null, true, true, true);
      counts.status = st;
      counts.set = device.pointerCount;
      return wdm.IoCallDriver(lower, Irp);
    });
    const ran = await runApp(m, () => overlappedCall(kit));
    const r = ok(ran);
    expect(r.information).to.equal(16);
    expect(counts.status).to.equal(wdm.STATUS_SUCCESS);
    expect(counts.set).to.equal((counts.before ?? 0) + 1);
    expect(counts.inRoutine).to.equal(counts.set);
    expect(self.pointerCount).to.equal(counts.before);
    const names = events.flatMap((e) => (e.kind === "IrpCompletionRoutine" ? [e.routine] : []));
    expect(names).to.include("UpperExCompletion");
  });

  it("IoGetAttachedDeviceReference returns the top of the stack with a reference the caller drops with ObDereferenceObject", async () => {
    const m = newMachine();
    const kit = await lowerKit(m, "now", wdm.STATUS_SUCCESS);
    const filter = await loadFilter(m, "Top", kit.device, (Irp, lower) => {
      wdm.IoSkipCurrentIrpStackLocation(Irp);
      return wdm.IoCallDriver(lower, Irp);
    });
    const before = filter.pointerCount;
    const r = await runKernel(m, () => {
      const top = wdm.IoGetAttachedDeviceReference(kit.device);
      const held = top.pointerCount;
      wdm.ObDereferenceObject(top);
      return { same: top === filter, held };
    });
    expect(ok(r)).to.deep.equal({ same: true, held: before + 1 });
    expect(filter.pointerCount).to.equal(before);
  });
});
