import { expect } from "chai";
import { attachVerifier } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import * as wdf from "../../wdf/index.js";
import { AppIo, IOCTL, driverLater, loadWdfKit } from "./kit.js";

/** A request's context type, as a driver declares it. */
class REQUEST_CONTEXT {
  Tag = 0;
  Seen = 0;
}
const GetRequestContext = wdf.WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, "GetRequestContext");

/** A default queue that completes everything. */
function completeAll(c: wdf.WDF_IO_QUEUE_CONFIG): void {
  c.EvtIoDefault = function CompleteAll(_q, Request) {
    wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
  };
}

describe("wdf request attributes: WdfDeviceInitSetRequestAttributes and WdfObjectContextGetObject", () => {
  it("every request the framework makes for the device has the context type, zeroed for each new request; EvtCleanupCallback runs at completion and EvtDestroyCallback when the last reference goes", async () => {
    const m = newMachine();
    const log: string[] = [];
    let n = 0;
    const kit = await loadWdfKit(m, {
      init: (init) => {
        const a = new wdf.WDF_OBJECT_ATTRIBUTES();
        wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(a, GetRequestContext);
        a.EvtCleanupCallback = function RequestCleanup(Object) {
          log.push(`cleanup tag ${GetRequestContext(Object).Tag}`);
        };
        a.EvtDestroyCallback = function RequestDestroy(Object) {
          log.push(`destroy tag ${GetRequestContext(Object).Tag}`);
        };
        wdf.WdfDeviceInitSetRequestAttributes(init, a);
      },
      queue: (c) => {
        c.EvtIoDeviceControl = function AttrIoctl(_q, Request) {
          const ctx = GetRequestContext(Request);
          log.push(`ioctl: context fresh ${ctx.Tag === 0 && ctx.Seen === 0}`);
          ctx.Tag = ++n;
          ctx.Seen++;
          // The typed-context worker and the context-to-object look-up agree.
          const same = wdf.WdfObjectGetTypedContext(Request, GetRequestContext) === ctx && wdf.WdfObjectContextGetObject(ctx) === Request;
          log.push(`lookups agree ${same}`);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      await io.ioctl(IOCTL(1), 0, 0);
      await io.ioctl(IOCTL(2), 0, 0);
      await io.close();
    });
    expect(log).to.deep.equal(["ioctl: context fresh true", "lookups agree true", "cleanup tag 1", "destroy tag 1", "ioctl: context fresh true", "lookups agree true", "cleanup tag 2", "destroy tag 2"]);
  });

  it("a reference the driver took keeps the request's context (and EvtDestroyCallback) alive past completion: cleanup at completion, destroy at WdfObjectDereference", async () => {
    const m = newMachine();
    const log: string[] = [];
    const kit = await loadWdfKit(m, {
      init: (init) => {
        const a = new wdf.WDF_OBJECT_ATTRIBUTES();
        wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(a, GetRequestContext);
        a.EvtCleanupCallback = function RefCleanup() {
          log.push("cleanup");
        };
        a.EvtDestroyCallback = function RefDestroy(Object) {
          log.push(`destroy, context still readable: tag ${GetRequestContext(Object).Tag}`);
        };
        wdf.WdfDeviceInitSetRequestAttributes(init, a);
      },
      queue: (c) => {
        c.EvtIoDeviceControl = function RefIoctl(_q, Request) {
          GetRequestContext(Request).Tag = 7;
          wdf.WdfObjectReference(Request);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          log.push("completed");
          driverLater(m, 1, () => {
            log.push("dereference");
            wdf.WdfObjectDereference(Request);
          });
        };
      },
    });
    await runApp(m, async () => {
      const io = await AppIo.open(kit.path, true);
      await io.ioctl(IOCTL(1), 0, 0);
      await io.close();
    });
    await m.run();
    expect(log).to.deep.equal(["cleanup", "completed", "dereference", "destroy, context still readable: tag 7"]);
  });

  it("requests the driver makes with WdfRequestCreate do not get the device's request attributes", async () => {
    const m = newMachine();
    let has: unknown = "unset";
    await loadWdfKit(m, {
      init: (init) => {
        const a = new wdf.WDF_OBJECT_ATTRIBUTES();
        wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(a, GetRequestContext);
        wdf.WdfDeviceInitSetRequestAttributes(init, a);
      },
      queue: completeAll,
      setup: () => {
        const r = wdf.WdfRequestCreate(null, null);
        has = r.Request ? wdf.WdfObjectGetTypedContext(r.Request, GetRequestContext) : "no request";
        if (r.Request) wdf.WdfObjectDelete(r.Request);
      },
    });
    expect(has).to.equal(null);
  });

  it("under the verifier, request attributes with a ParentObject are WDF_VIOLATION 0x3 (the framework parents requests itself)", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadWdfKit(m, {
      init: (init) => {
        const a = new wdf.WDF_OBJECT_ATTRIBUTES();
        wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(a, GetRequestContext);
        a.ParentObject = wdf.WdfGetDriver();
        wdf.WdfDeviceInitSetRequestAttributes(init, a);
      },
    }).catch(() => undefined);
    const h = m.halted;
    expect(h?.kind).to.equal("bugcheck");
    if (h?.kind === "bugcheck") expect([h.bugCheck.record.code, h.bugCheck.record.parameters[0]]).to.deep.equal([0x10d, 0x3]);
  });

  it("WdfObjectContextGetObject of something that is no context: NULL without the verifier, WDF_VIOLATION 0x3 with it", async () => {
    const m = newMachine();
    let answer: unknown = "unset";
    await loadWdfKit(m, {
      queue: completeAll,
      setup: () => {
        answer = wdf.WdfObjectContextGetObject({ Tag: 1 });
      },
    });
    expect(answer).to.equal(null);
    const v = newMachine();
    attachVerifier(v);
    await loadWdfKit(v, {
      queue: completeAll,
      setup: (device) => {
        wdf.WdfObjectContextGetObject(device);
      },
    }).catch(() => undefined);
    const h = v.halted;
    expect(h?.kind).to.equal("bugcheck");
    if (h?.kind === "bugcheck") expect([h.bugCheck.record.code, h.bugCheck.record.parameters[0]]).to.deep.equal([0x10d, 0x3]);
  });
});

describe("wdf queues: WdfIoQueueStopAndPurge", () => {
  it("cancels the requests waiting in the queue and the driver's cancelable ones, leaves the driver's others to it, keeps accepting new requests without delivering them until WdfIoQueueStart; StopAndPurgeComplete runs once the driver owns none", async () => {
    const m = newMachine();
    const log: string[] = [];
    let queue: wdf.WDFQUEUE | null = null;
    const held: wdf.WDFREQUEST[] = [];
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.Settings.Parallel.NumberOfPresentedRequests = 2;
        c.EvtIoDeviceControl = function SapIoctl(_q, Request, _o, _i, Code) {
          const fn = (Code >> 2) & 0xfff;
          log.push(`delivered ${fn - 0x800}`);
          if (fn === 0x801) {
            wdf.WdfRequestMarkCancelable(Request, function SapCancel(R) {
              log.push("EvtRequestCancel 1");
              wdf.WdfRequestComplete(R, wdm.STATUS_CANCELLED);
            });
          } else if (fn === 0x802) {
            held.push(Request);
          } else {
            wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          }
        };
      },
      setup: (_d, q) => {
        queue = q;
      },
    });
    driverLater(m, 1, () => {
      wdf.WdfIoQueueStopAndPurge(queue as wdf.WDFQUEUE, function SapComplete() {
        log.push("StopAndPurgeComplete");
      }, null);
    });
    driverLater(m, 5, () => {
      const state = wdf.WdfIoQueueGetState(queue as wdf.WDFQUEUE);
      log.push(`state: accept ${(state.State & wdf.WdfIoQueueAcceptRequests) !== 0}, dispatch ${(state.State & wdf.WdfIoQueueDispatchRequests) !== 0}, waiting ${state.QueueRequests}, driver ${state.DriverRequests}`);
      wdf.WdfRequestComplete(held[0] as wdf.WDFREQUEST, wdm.STATUS_SUCCESS);
    });
    driverLater(m, 8, () => {
      log.push("start");
      wdf.WdfIoQueueStart(queue as wdf.WDFQUEUE);
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const one = await io.ioctl(IOCTL(1), 0, 0);
      const two = await io.ioctl(IOCTL(2), 0, 0);
      const three = await io.ioctl(IOCTL(3), 0, 0); // waits: two are presented already
      const r1 = await io.result(one.ov);
      const r3 = await io.result(three.ov);
      const four = await io.ioctl(IOCTL(4), 0, 0); // accepted and stored, not delivered
      const r2 = await io.result(two.ov);
      // Four waits for WdfIoQueueStart (at 8 ms); the handle's event is no guide with two requests out.
      const fourAt5 = io.status(four.ov);
      await w.Sleep(10);
      const r4 = io.status(four.ov);
      await io.close();
      return { r1: io.status(one.ov), r2: r2.error, r3: io.status(three.ov), r4, fourAt5, e1: r1.error, e3: r3.error, fourPending: four.pending };
    });
    expect(ran.error).to.equal(null);
    expect(ran.value?.r1).to.equal(wdm.STATUS_CANCELLED);
    expect(ran.value?.r3).to.equal(wdm.STATUS_CANCELLED);
    expect(ran.value?.r2).to.equal(0);
    expect(ran.value?.fourAt5).to.equal(wdm.STATUS_PENDING);
    expect(ran.value?.r4).to.equal(wdm.STATUS_SUCCESS);
    expect(ran.value?.fourPending).to.equal(true);
    expect(log).to.deep.equal(["delivered 1", "delivered 2", "EvtRequestCancel 1", "state: accept true, dispatch false, waiting 1, driver 1", "StopAndPurgeComplete", "start", "delivered 4"]);
  });

  it("WdfIoQueueStopAndPurgeSynchronously returns once the driver's requests are done; a queue that was drained accepts requests again", async () => {
    const m = newMachine();
    const log: string[] = [];
    let queue: wdf.WDFQUEUE | null = null;
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function SyncIoctl(_q, Request) {
          log.push("delivered");
          driverLater(m, 3, () => {
            log.push("driver completes");
            wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          });
        };
      },
      setup: (_d, q) => {
        queue = q;
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const one = await io.ioctl(IOCTL(1), 0, 0);
      const q = queue as wdf.WDFQUEUE;
      m.createSystemThread("purger", async () => {
        const token = m.enterActivity("driver thread", "SyncPurger", "WdfTest");
        try {
          wdf.WdfIoQueueDrain(q, null, null);
          await wdf.WdfIoQueueStopAndPurgeSynchronously(q);
          log.push("StopAndPurgeSynchronously returned");
        } finally {
          m.leaveActivity(token);
        }
      });
      await io.result(one.ov);
      const two = await io.ioctl(IOCTL(2), 0, 0);
      const accepted = two.pending;
      await io.close();
      return { accepted, status: io.status(two.ov) };
    });
    expect(log).to.deep.equal(["delivered", "driver completes", "StopAndPurgeSynchronously returned"]);
    // Stored, not delivered, not failed: the handle's close cancels it (STATUS_CANCELLED).
    expect(ran.value?.accepted).to.equal(true);
  });
});
