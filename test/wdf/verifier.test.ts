import { expect } from "chai";
import { attachVerifier, formatBugCheck, type Machine, type RunResult } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { AppIo, IOCTL, driverLater, loadWdfKit, type WdfKitOptions } from "./kit.js";

/** Loads the kit under the verifier and runs an app that sends one IOCTL (64 bytes in and out) and waits for it. */
async function oneIoctl(m: Machine, o: WdfKitOptions, code = IOCTL(1)): Promise<RunResult> {
  attachVerifier(m);
  const kit = await loadWdfKit(m, o);
  const ran = await runApp(m, async () => {
    const io = await AppIo.open(kit.path);
    const r = await io.ioctl(code, 64, 64);
    await io.result(r.ov);
    await io.close();
  });
  return ran.result;
}

describe("wdf: the KMDF verifier stops framework misuse with WDF_VIOLATION at the driver's call", () => {
  it("a request completed twice is WDF_VIOLATION (0x5: its object was deleted at the first completion), at the second call's line", async () => {
    const m = newMachine();
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function TwiceIoctl(_q, Request) {
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(r.bugCheck?.code).to.equal(0x10d);
    expect(r.bugCheck?.parameters[0]).to.equal(0x5);
    expect(r.bugCheck?.rule).to.match(/RequestCompletedTwice/);
    expect(r.bugCheck?.source).to.match(/test\/wdf\/verifier\.test\.ts:\d+:\d+ \(TwiceIoctl\)/);
    expect(r.bugCheck?.routine).to.equal("TwiceIoctl");
  });

  it("a request the driver still holds a reference on, completed twice, is WDF_VIOLATION 0x3", async () => {
    const m = newMachine();
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function TwiceWithRef(_q, Request) {
          wdf.WdfObjectReference(Request);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0x3);
    expect(r.bugCheck?.rule).to.match(/RequestCompletedTwice/);
  });

  it("completing a request after forwarding it to another queue is WDF_VIOLATION 0xA (the queue owns it)", async () => {
    const m = newMachine();
    let parked: wdf.WDFQUEUE | null = null;
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function ForwardThenComplete(_q, Request) {
          wdf.WdfRequestForwardToIoQueue(Request, parked as wdf.WDFQUEUE);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
      setup: (device) => {
        const c = new wdf.WDF_IO_QUEUE_CONFIG();
        wdf.WDF_IO_QUEUE_CONFIG_INIT(c, wdf.WdfIoQueueDispatchManual);
        parked = wdf.WdfIoQueueCreate(device, c, null).Queue;
      },
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0xa);
    expect(r.bugCheck?.rule).to.match(/RequestNotOwned/);
  });

  it("completing a request still marked cancelable, without WdfRequestUnmarkCancelable, is WDF_VIOLATION 0x3", async () => {
    const m = newMachine();
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function CompleteCancelable(_q, Request) {
          wdf.WdfRequestMarkCancelable(Request, function Cancel(R) {
            wdf.WdfRequestComplete(R, wdm.STATUS_CANCELLED);
          });
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0x3);
    expect(r.bugCheck?.rule).to.match(/CompleteCancelable/);
    expect(formatBugCheck(r.bugCheck as NonNullable<RunResult["bugCheck"]>)).to.match(/Call WdfRequestUnmarkCancelable before WdfRequestComplete/);
  });

  it("WdfRequestUnmarkCancelable on a request never marked is WDF_VIOLATION 0x3", async () => {
    const m = newMachine();
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function UnmarkNever(_q, Request) {
          wdf.WdfRequestUnmarkCancelable(Request);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0x3);
    expect(r.bugCheck?.rule).to.match(/UnmarkNotCancelable/);
  });

  it("marking a request cancelable twice is WDF_VIOLATION 0x3", async () => {
    const m = newMachine();
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function MarkTwice(_q, Request) {
          const cancel = function Cancel(R: wdf.WDFREQUEST) {
            wdf.WdfRequestComplete(R, wdm.STATUS_CANCELLED);
          };
          wdf.WdfRequestMarkCancelable(Request, cancel);
          wdf.WdfRequestMarkCancelable(Request, cancel);
        };
      },
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0x3);
    expect(r.bugCheck?.rule).to.match(/MarkCancelableTwice/);
  });

  it("completing with Information larger than the caller's output buffer is WDF_VIOLATION 0x6 (parameter 2: INFORMATION_LENGTH_MISMATCH)", async () => {
    const m = newMachine();
    const r = await oneIoctl(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function TooMuch(_q, Request, Out) {
          wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, Out + 1);
        };
      },
    });
    expect(r.bugCheck?.parameters.slice(0, 2)).to.deep.equal([0x6, 0x4]);
  });

  it("an event callback that returns holding a spin lock it took is WDF_VIOLATION 0xE", async () => {
    const m = newMachine();
    let lock: wdf.WDFSPINLOCK | null = null;
    const r = await oneIoctl(m, {
      setup: () => {
        lock = wdf.WdfSpinLockCreate(null).SpinLock;
      },
      queue: (c) => {
        c.EvtIoDeviceControl = function ForgetsRelease(_q, Request) {
          wdf.WdfSpinLockAcquire(lock as wdf.WDFSPINLOCK);
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0xe);
    expect(r.bugCheck?.rule).to.match(/CallbackIrqlMismatch/);
  });

  it("a purge that waits for a request the driver never completes ends the run with the finding RequestLeftAtPurge", async () => {
    const m = newMachine();
    const v = attachVerifier(m);
    let queue: wdf.WDFQUEUE | null = null;
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function Keeps() {
          // Neither completed nor marked cancelable: a purge cannot take it back.
          driverLater(m, 1, () => {
            wdf.WdfIoQueuePurge(queue as wdf.WDFQUEUE, null, null);
          });
        };
      },
      setup: (_d, q) => {
        queue = q;
      },
    });
    const ran = await runApp(m, async () => {
      const io = await AppIo.open(kit.path);
      const r = await io.ioctl(IOCTL(1), 0, 0);
      // Waits for ever: nobody completes the request.
      await io.result(r.ov);
    });
    expect(ran.result.outcome).to.equal("deadlock");
    v.teardown();
    const f = m.findings.find((x) => x.rule === "RequestLeftAtPurge");
    expect(f?.code).to.equal("0x10D/0xA");
    expect(f?.message).to.match(/The purge of WDFQUEUE#\d+ never finished: the driver still owns WDFREQUEST#\d+/);
  });
});
