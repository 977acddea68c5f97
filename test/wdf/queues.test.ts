import { expect } from "chai";
import { attachVerifier } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as w from "../../win32/index.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { injectCancel } from "../../io-manager/index.js";
import { AppIo, IOCTL, driverLater, loadWdfKit } from "./kit.js";

describe("wdf queues: dispatching, the default queue and request routing", () => {
  it("a sequential queue delivers one request at a time: the next only after the driver completes the current one", async () => {
    const m = newMachine();
    const delivered: string[] = [];
    const held: wdf.WDFREQUEST[] = [];
    const kit = await loadWdfKit(m, {
      dispatchType: wdf.WdfIoQueueDispatchSequential,
      queue: (c) => {
        c.EvtIoDeviceControl = function SeqIoctl(_q, Request, _o, _i, Code) {
          delivered.push(`ioctl ${Code & 0xfff} at ${Math.floor(m.nowMs)} ms`);
          held.push(Request);
          // Complete it 5 ms later, from the driver's own thread.
          driverLater(m, 5, () => {
            wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          });
        };
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const a = await io.ioctl(IOCTL(1), 0, 0);
      const b = await io.ioctl(IOCTL(2), 0, 0);
      const seenAfterTwo = delivered.length;
      await io.result(a.ov);
      await io.result(b.ov);
      await io.close();
      return { a: a.pending, b: b.pending, seenAfterTwo };
    });
    expect(ran.value).to.deep.equal({ a: true, b: true, seenAfterTwo: 1 });
    expect(delivered).to.deep.equal([`ioctl ${IOCTL(1) & 0xfff} at 0 ms`, `ioctl ${IOCTL(2) & 0xfff} at 5 ms`]);
  });

  it("a parallel queue delivers every request at once, up to NumberOfPresentedRequests", async () => {
    const m = newMachine();
    const times: number[] = [];
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.Settings.Parallel.NumberOfPresentedRequests = 2;
        c.EvtIoDeviceControl = function ParIoctl(_q, Request) {
          times.push(Math.floor(m.nowMs));
          driverLater(m, 5, () => {
            wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          });
        };
      },
    });
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const rs = [];
      for (let i = 0; i < 3; i++) rs.push(await io.ioctl(IOCTL(1), 0, 0));
      for (const r of rs) await io.result(r.ov);
      await io.close();
    });
    expect(times).to.deep.equal([0, 0, 5]);
  });

  it("WdfDeviceConfigureRequestDispatching sends reads to their own queue, IOCTLs still to the default queue", async () => {
    const m = newMachine();
    const seen: string[] = [];
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function DefIoctl(_q, Request) {
          seen.push("default:ioctl");
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
        c.EvtIoRead = function DefRead(_q, Request) {
          seen.push("default:read");
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
      setup: (device) => {
        const c = new wdf.WDF_IO_QUEUE_CONFIG();
        wdf.WDF_IO_QUEUE_CONFIG_INIT(c, wdf.WdfIoQueueDispatchParallel);
        c.EvtIoRead = function ReadQueueRead(_q, Request, Length) {
          seen.push(`reads:${Length}`);
          wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, Length);
        };
        const q = wdf.WdfIoQueueCreate(device, c, null);
        expect(q.status).to.equal(wdm.STATUS_SUCCESS);
        expect(wdf.WdfDeviceConfigureRequestDispatching(device, q.Queue as wdf.WDFQUEUE, wdf.WdfRequestTypeRead)).to.equal(wdm.STATUS_SUCCESS);
        // A second configuration of the same type is refused.
        expect(wdf.WdfDeviceConfigureRequestDispatching(device, q.Queue as wdf.WDFQUEUE, wdf.WdfRequestTypeRead)).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
      },
    });
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      const buf = io.slot();
      await w.ReadFile(io.h, buf, 16, buf + 100, null);
      await w.DeviceIoControl(io.h, IOCTL(1), 0, 0, 0, 0, buf + 104, null);
      await io.close();
    });
    expect(seen).to.deep.equal(["reads:16", "default:ioctl"]);
  });

  it("a request for a type no queue handles is completed by the framework with STATUS_INVALID_DEVICE_REQUEST (ERROR_INVALID_FUNCTION)", async () => {
    const m = newMachine();
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function OnlyIoctl(_q, Request) {
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      const buf = io.slot();
      const ok = await w.ReadFile(io.h, buf, 16, buf + 100, null);
      return { ok, err: w.GetLastError() };
    });
    expect(ran.value).to.deep.equal({ ok: false, err: w.ERROR_INVALID_FUNCTION });
  });

  it("a zero-length read is completed by the framework with STATUS_SUCCESS unless the queue allows zero-length requests", async () => {
    for (const allow of [false, true]) {
      const m = newMachine();
      let reads = 0;
      const kit = await loadWdfKit(m, {
        queue: (c) => {
          c.AllowZeroLengthRequests = allow;
          c.EvtIoRead = function ZeroRead(_q, Request) {
            reads++;
            wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          };
        },
      });
      const ran = await runApp(m, async () => {
        const io = await AppIo.open(kit.path, true);
        const buf = io.slot();
        return w.ReadFile(io.h, buf, 0, buf + 100, null);
      });
      expect(ran.value).to.equal(true);
      expect(reads).to.equal(allow ? 1 : 0);
    }
  });

  it("a manual queue holds requests until WdfIoQueueRetrieveNextRequest takes them, oldest first; ReadyNotify fires when it stops being empty", async () => {
    const m = newMachine();
    let manual: wdf.WDFQUEUE | null = null;
    let ready = 0;
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function ToManual(_q, Request) {
          const st = wdf.WdfRequestForwardToIoQueue(Request, manual as wdf.WDFQUEUE);
          expect(st).to.equal(wdm.STATUS_SUCCESS);
        };
      },
      setup: (device) => {
        const c = new wdf.WDF_IO_QUEUE_CONFIG();
        wdf.WDF_IO_QUEUE_CONFIG_INIT(c, wdf.WdfIoQueueDispatchManual);
        manual = wdf.WdfIoQueueCreate(device, c, null).Queue;
        wdf.WdfIoQueueReadyNotify(manual as wdf.WDFQUEUE, function ManualReady() {
          ready++;
        }, null);
      },
    });
    const order: number[] = [];
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const a = await io.ioctl(IOCTL(1), 0, 0);
      const b = await io.ioctl(IOCTL(2), 0, 0);
      driverLater(m, 1, () => {
        for (;;) {
          const r = wdf.WdfIoQueueRetrieveNextRequest(manual as wdf.WDFQUEUE);
          if (r.status === wdm.STATUS_NO_MORE_ENTRIES) break;
          const p = new wdf.WDF_REQUEST_PARAMETERS();
          wdf.WdfRequestGetParameters(r.Request as wdf.WDFREQUEST, p);
          order.push(p.Parameters.DeviceIoControl.IoControlCode & 0xfff);
          wdf.WdfRequestComplete(r.Request as wdf.WDFREQUEST, wdm.STATUS_SUCCESS);
        }
      });
      await io.result(a.ov);
      await io.result(b.ov);
      await io.close();
    });
    expect(order).to.deep.equal([IOCTL(1) & 0xfff, IOCTL(2) & 0xfff]);
    expect(ready).to.equal(1);
  });
});

describe("wdf requests: cancellation as the framework does it", () => {
  it("a request waiting in a queue is cancelled by the framework: CancelIoEx completes it with STATUS_CANCELLED without any driver code", async () => {
    const m = newMachine();
    attachVerifier(m);
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function NeverCalled() {
          throw new Error("the request should stay in the stopped queue");
        };
      },
      setup: (_d, q) => {
        wdf.WdfIoQueueStop(q, null, null);
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const r = await io.ioctl(IOCTL(1), 0, 0);
      const cancelled = await w.CancelIoEx(io.h, r.ov);
      const res = await io.result(r.ov);
      await io.close();
      return { pending: r.pending, cancelled, res, status: io.status(r.ov) };
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(ran.value).to.deep.equal({ pending: true, cancelled: true, res: { error: w.ERROR_OPERATION_ABORTED, bytes: 0 }, status: wdm.STATUS_CANCELLED });
  });

  it("a request delivered to the driver is not cancelable until the driver marks it: CancelIoEx only sets WdfRequestIsCanceled", async () => {
    const m = newMachine();
    attachVerifier(m);
    let held: wdf.WDFREQUEST | null = null;
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function Hold(_q, Request) {
          held = Request;
        };
      },
    });
    let canceledSeen: boolean | null = null;
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const r = await io.ioctl(IOCTL(1), 0, 0);
      await w.CancelIoEx(io.h, r.ov);
      const done = w.HasOverlappedIoCompleted(r.ov);
      expect(done).to.equal(false);
      // The driver looks, sees the cancel and completes it itself.
      m.createSystemThread("driver", () => {
        m.enterActivity("test", "driver", "WdfTest");
        canceledSeen = wdf.WdfRequestIsCanceled(held as wdf.WDFREQUEST);
        wdf.WdfRequestComplete(held as wdf.WDFREQUEST, wdm.STATUS_CANCELLED);
      });
      const res = await io.result(r.ov);
      expect(res.error).to.equal(w.ERROR_OPERATION_ABORTED);
      await io.close();
    });
    expect(canceledSeen).to.equal(true);
  });

  it("WdfRequestMarkCancelableEx returns STATUS_CANCELLED for a request already cancelled, and the driver completes it", async () => {
    const m = newMachine();
    attachVerifier(m);
    let markStatus = -1;
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function MarkLate(_q, Request) {
          const irp = wdf.WdfRequestWdmGetIrp(Request);
          // Cancelled before the driver marks it (as a cancel from another thread would).
          if (irp) wdm.IoCancelIrp(irp);
          markStatus = wdf.WdfRequestMarkCancelableEx(Request, function NeverRuns() {
            throw new Error("EvtRequestCancel must not run for a request MarkCancelableEx refused");
          });
          if (markStatus === wdm.STATUS_CANCELLED) wdf.WdfRequestComplete(Request, wdm.STATUS_CANCELLED);
        };
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const r = await io.ioctl(IOCTL(1), 0, 0);
      return io.result(r.ov);
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(markStatus).to.equal(wdm.STATUS_CANCELLED);
    expect(ran.value?.error).to.equal(w.ERROR_OPERATION_ABORTED);
  });

  it("WdfRequestMarkCancelable on a request already cancelled calls EvtRequestCancel before returning", async () => {
    const m = newMachine();
    attachVerifier(m);
    const events: string[] = [];
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function MarkLate(_q, Request) {
          const irp = wdf.WdfRequestWdmGetIrp(Request);
          if (irp) wdm.IoCancelIrp(irp);
          events.push("mark");
          wdf.WdfRequestMarkCancelable(Request, function LateCancel(R) {
            events.push("EvtRequestCancel");
            wdf.WdfRequestComplete(R, wdm.STATUS_CANCELLED);
          });
          events.push("returned");
        };
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const r = await io.ioctl(IOCTL(1), 0, 0);
      return io.result(r.ov);
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(events).to.deep.equal(["mark", "EvtRequestCancel", "returned"]);
    expect(ran.value?.error).to.equal(w.ERROR_OPERATION_ABORTED);
  });

  it("WdfRequestUnmarkCancelable returns STATUS_CANCELLED when EvtRequestCancel has run or will run, and STATUS_SUCCESS otherwise", async () => {
    const m = newMachine();
    attachVerifier(m);
    const events: string[] = [];
    const kit = await loadWdfKit(m, {
      // Queue-level synchronization: the callbacks hold the queue's lock, so a cancel from
      // another processor that takes the cancel routine waits for the callback to return.
      queueAttributes: (a) => {
        a.SynchronizationScope = wdf.WdfSynchronizationScopeQueue;
      },
      queue: (c) => {
        c.EvtIoDeviceControl = function MarkThenUnmark(_q, Request, _o, _i, Code) {
          wdf.WdfRequestMarkCancelable(Request, function OnCancel(R) {
            events.push("EvtRequestCancel");
            wdf.WdfRequestComplete(R, wdm.STATUS_CANCELLED);
          });
          if ((Code & 0xfff) === (IOCTL(2) & 0xfff)) {
            const irp = wdf.WdfRequestWdmGetIrp(Request) as wdm.IRP;
            injectCancel(m, irp, (irp.Thread as wdm.ETHREAD).process, "CancelIoEx from another thread");
          }
          const st = wdf.WdfRequestUnmarkCancelable(Request);
          events.push(`unmark ${st === wdm.STATUS_SUCCESS ? "STATUS_SUCCESS" : st === wdm.STATUS_CANCELLED ? "STATUS_CANCELLED" : st}`);
          if (st === wdm.STATUS_SUCCESS) wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const a = await io.ioctl(IOCTL(1), 0, 0);
      const ra = await io.result(a.ov);
      const b = await io.ioctl(IOCTL(2), 0, 0);
      const rb = await io.result(b.ov);
      await io.close();
      return [ra.error, rb.error];
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(events).to.deep.equal(["unmark STATUS_SUCCESS", "unmark STATUS_CANCELLED", "EvtRequestCancel"]);
    expect(ran.value).to.deep.equal([0, w.ERROR_OPERATION_ABORTED]);
  });

  it("a forwarded request the driver had seen is cancelled on its queue through EvtIoCanceledOnQueue; one never presented is completed with STATUS_CANCELLED", async () => {
    const m = newMachine();
    attachVerifier(m);
    let manual: wdf.WDFQUEUE | null = null;
    const onQueue: string[] = [];
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function Park(_q, Request) {
          wdf.WdfRequestForwardToIoQueue(Request, manual as wdf.WDFQUEUE);
        };
      },
      setup: (device) => {
        const c = new wdf.WDF_IO_QUEUE_CONFIG();
        wdf.WDF_IO_QUEUE_CONFIG_INIT(c, wdf.WdfIoQueueDispatchManual);
        c.EvtIoCanceledOnQueue = function ParkedCancel(_q, Request) {
          onQueue.push("EvtIoCanceledOnQueue");
          wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_CANCELLED, 0);
        };
        manual = wdf.WdfIoQueueCreate(device, c, null).Queue;
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const r = await io.ioctl(IOCTL(1), 0, 0);
      await w.CancelIoEx(io.h, r.ov);
      return io.result(r.ov);
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(onQueue).to.deep.equal(["EvtIoCanceledOnQueue"]);
    expect(ran.value?.error).to.equal(w.ERROR_OPERATION_ABORTED);
  });

  it("closing the handle runs EvtFileCleanup, then cancels that file's requests still waiting in a queue; requests the driver holds are its own to complete", async () => {
    const m = newMachine();
    attachVerifier(m);
    const order: string[] = [];
    let held: wdf.WDFREQUEST | null = null;
    let parked: wdf.WDFQUEUE | null = null;
    const kit = await loadWdfKit(m, {
      init: (init) => {
        const fc = new wdf.WDF_FILEOBJECT_CONFIG();
        wdf.WDF_FILEOBJECT_CONFIG_INIT(fc, null, null, function KitCleanup() {
          order.push("EvtFileCleanup");
          if (held) {
            wdf.WdfRequestComplete(held, wdm.STATUS_CANCELLED);
            held = null;
          }
        });
        wdf.WdfDeviceInitSetFileObjectConfig(init, fc, null);
      },
      queue: (c) => {
        c.EvtIoDeviceControl = function HoldOrPark(_q, Request, _o, _i, Code) {
          order.push(`delivered ${Code & 0xfff}`);
          if (held === null) held = Request;
          else wdf.WdfRequestForwardToIoQueue(Request, parked as wdf.WDFQUEUE);
        };
      },
      setup: (device) => {
        const c = new wdf.WDF_IO_QUEUE_CONFIG();
        wdf.WDF_IO_QUEUE_CONFIG_INIT(c, wdf.WdfIoQueueDispatchManual);
        c.EvtIoCanceledOnQueue = function ParkedCancel(_q, Request) {
          order.push("EvtIoCanceledOnQueue");
          wdf.WdfRequestComplete(Request, wdm.STATUS_CANCELLED);
        };
        parked = wdf.WdfIoQueueCreate(device, c, null).Queue;
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const a = await io.ioctl(IOCTL(1), 0, 0);
      const b = await io.ioctl(IOCTL(2), 0, 0);
      await io.close();
      return [io.status(a.ov), io.status(b.ov)];
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(order).to.deep.equal([`delivered ${IOCTL(1) & 0xfff}`, `delivered ${IOCTL(2) & 0xfff}`, "EvtFileCleanup", "EvtIoCanceledOnQueue"]);
    expect(ran.value).to.deep.equal([wdm.STATUS_CANCELLED, wdm.STATUS_CANCELLED]);
  });
});

describe("wdf requests: buffers", () => {
  it("WdfRequestRetrieveInputBuffer returns STATUS_BUFFER_TOO_SMALL when the buffer is shorter than MinimumRequiredLength or empty, STATUS_INVALID_DEVICE_REQUEST for a read", async () => {
    const m = newMachine();
    const results: Record<string, number> = {};
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function Sizes(_q, Request, _o, In) {
          results[`in${In}:min8`] = wdf.WdfRequestRetrieveInputBuffer(Request, 8).status;
          results[`in${In}:min0`] = wdf.WdfRequestRetrieveInputBuffer(Request, 0).status;
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
        c.EvtIoRead = function ReadInput(_q, Request) {
          results["read:input"] = wdf.WdfRequestRetrieveInputBuffer(Request, 0).status;
          results["read:output"] = wdf.WdfRequestRetrieveOutputBuffer(Request, 4).status;
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      const buf = io.slot();
      await w.DeviceIoControl(io.h, IOCTL(1), buf, 4, 0, 0, buf + 512, null);
      await w.DeviceIoControl(io.h, IOCTL(1), buf, 16, 0, 0, buf + 512, null);
      await w.DeviceIoControl(io.h, IOCTL(1), 0, 0, 0, 0, buf + 512, null);
      await w.ReadFile(io.h, buf, 8, buf + 512, null);
    });
    expect(results).to.deep.equal({
      "in4:min8": wdm.STATUS_BUFFER_TOO_SMALL,
      "in4:min0": wdm.STATUS_SUCCESS,
      "in16:min8": wdm.STATUS_SUCCESS,
      "in16:min0": wdm.STATUS_SUCCESS,
      "in0:min8": wdm.STATUS_BUFFER_TOO_SMALL,
      "in0:min0": wdm.STATUS_BUFFER_TOO_SMALL,
      "read:input": wdm.STATUS_INVALID_DEVICE_REQUEST,
      "read:output": wdm.STATUS_SUCCESS,
    });
  });

  it("METHOD_OUT_DIRECT's output is the IRP's MDL: WdfRequestRetrieveOutputWdmMdl returns it and the buffer maps to the same frames (no copy)", async () => {
    const m = newMachine();
    let sameMdl = false;
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function Direct(_q, Request, Out) {
          const r = wdf.WdfRequestRetrieveOutputWdmMdl(Request);
          const irp = wdf.WdfRequestWdmGetIrp(Request);
          sameMdl = r.Mdl !== null && r.Mdl === irp?.MdlAddress;
          const b = wdf.WdfRequestRetrieveOutputBuffer(Request, Out);
          wdm.writeU32(b.Buffer, 0xfeedf00d);
          wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, 4);
        };
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      const buf = io.slot();
      await w.DeviceIoControl(io.h, IOCTL(3, wdm.METHOD_OUT_DIRECT), 0, 0, buf, 64, buf + 512, null);
      return w.readU32(buf);
    });
    expect(sameMdl).to.equal(true);
    expect(ran.value).to.equal(0xfeedf00d);
  });

  it("METHOD_NEITHER through EvtIoInCallerContext: the raw input is reachable only there, locked with WdfRequestProbeAndLockUserBufferForRead, and usable from the queue callback", async () => {
    const m = newMachine();
    let outside = -1;
    let value = 0;
    const kit = await loadWdfKit(m, {
      init: (init) => {
        wdf.WdfDeviceInitSetIoInCallerContextCallback(init, function Neither(Device, Request) {
          const p = new wdf.WDF_REQUEST_PARAMETERS();
          wdf.WdfRequestGetParameters(Request, p);
          const u = wdf.WdfRequestRetrieveUnsafeUserInputBuffer(Request, 4);
          if (wdm.NT_SUCCESS(u.status)) {
            const locked = wdf.WdfRequestProbeAndLockUserBufferForRead(Request, u.InputBuffer, u.Length);
            if (!wdm.NT_SUCCESS(locked.status)) {
              wdf.WdfRequestComplete(Request, locked.status);
              return;
            }
            memories.set(Request, locked.MemoryObject as wdf.WDFMEMORY);
          }
          const st = wdf.WdfDeviceEnqueueRequest(Device, Request);
          if (!wdm.NT_SUCCESS(st)) wdf.WdfRequestComplete(Request, st);
        });
      },
      queue: (c) => {
        c.EvtIoDeviceControl = function NeitherQueue(_q, Request) {
          outside = wdf.WdfRequestRetrieveUnsafeUserInputBuffer(Request, 4).status;
          const mem = memories.get(Request);
          if (mem) value = wdm.readU32(wdf.WdfMemoryGetBuffer(mem).Buffer);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    const memories = new Map<wdf.WDFREQUEST, wdf.WDFMEMORY>();
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      const buf = io.slot();
      w.writeU32(buf, 0xabcd1234);
      const ok = await w.DeviceIoControl(io.h, IOCTL(4, wdm.METHOD_NEITHER), buf, 4, 0, 0, buf + 512, null);
      // A bad pointer: the probe fails, the request completes with STATUS_ACCESS_VIOLATION.
      const bad = await w.DeviceIoControl(io.h, IOCTL(4, wdm.METHOD_NEITHER), 0x7ffe0000, 4, 0, 0, buf + 512, null);
      return { ok, bad, err: w.GetLastError() };
    });
    expect(ran.result.bugCheck).to.equal(null);
    expect(outside).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
    expect(value).to.equal(0xabcd1234);
    expect(ran.value).to.deep.equal({ ok: true, bad: false, err: w.ERROR_NOACCESS });
  });
});
