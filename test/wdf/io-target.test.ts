import { expect } from "chai";
import { attachVerifier, loadDriver, type Machine } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import * as w from "../../win32/index.js";
import { AppIo, loadWdfKit, type WdfKit } from "./kit.js";

// ---- A WDM lower driver: \Device\Lower ----------------------------------------------------------

/** Output = each input byte plus one (METHOD_BUFFERED). */
const IOCTL_LOWER_ADD_ONE = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x900, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
/** Pends until cancelled (a cancel routine completes it with STATUS_CANCELLED). */
const IOCTL_LOWER_PEND = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x901, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);

interface Lower {
  creates: number;
  closes: number;
  ioctls: number;
}

async function loadLower(m: Machine): Promise<Lower> {
  const seen: Lower = { creates: 0, closes: 0, ioctls: 0 };
  const LowerCancel: wdm.DRIVER_CANCEL = function LowerCancel(_DeviceObject, Irp) {
    wdm.IoReleaseCancelSpinLock(Irp.CancelIrql);
    Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
    Irp.IoStatus.Information = 0;
    wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
  };
  const r = await loadDriver(m, "Lower", function LowerDriverEntry(DriverObject: wdm.DRIVER_OBJECT) {
    const { status, DeviceObject } = wdm.IoCreateDevice(DriverObject, null, "\\Device\\Lower", wdm.FILE_DEVICE_UNKNOWN, 0, false);
    if (!wdm.NT_SUCCESS(status) || !DeviceObject) return status;
    DeviceObject.Flags |= wdm.DO_BUFFERED_IO;
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = function LowerCreate(_d, Irp) {
      seen.creates++;
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = function LowerCleanup(_d, Irp) {
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = function LowerClose(_d, Irp) {
      seen.closes++;
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function LowerIoctl(_d, Irp) {
      seen.ioctls++;
      const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
      const p = sl.Parameters.DeviceIoControl;
      if (p.IoControlCode === IOCTL_LOWER_PEND) {
        wdm.IoMarkIrpPending(Irp);
        wdm.IoSetCancelRoutine(Irp, LowerCancel);
        if (Irp.Cancel && wdm.IoSetCancelRoutine(Irp, null) !== null) {
          Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
          wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
        }
        return wdm.STATUS_PENDING;
      }
      let status: number = wdm.STATUS_INVALID_DEVICE_REQUEST;
      let info = 0;
      if (p.IoControlCode === IOCTL_LOWER_ADD_ONE) {
        const buf = Irp.AssociatedIrp.SystemBuffer;
        const n = Math.min(p.InputBufferLength, p.OutputBufferLength);
        for (let i = 0; i < n; i++) w.writeU8(buf + i, (w.readU8(buf + i) + 1) & 0xff);
        status = wdm.STATUS_SUCCESS;
        info = n;
      }
      Irp.IoStatus.Status = status;
      Irp.IoStatus.Information = info;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return status;
    };
    return wdm.STATUS_SUCCESS;
  });
  expect(r.status).to.equal(0);
  return seen;
}

/** Runs `fn` as the kit driver's code on a system thread at PASSIVE_LEVEL; resolves with its result. */
function asDriver<T>(m: Machine, fn: () => Promise<T> | T, driver = "WdfTest"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    m.createSystemThread(`${driver} worker`, async () => {
      const token = m.enterActivity("driver thread", `${driver}Worker`, driver);
      try {
        resolve(await fn());
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      } finally {
        m.leaveActivity(token);
      }
    });
  });
}

/** Opens \Device\Lower as a remote target of the kit's device. */
async function openLower(kit: WdfKit): Promise<{ status: number; target: wdf.WDFIOTARGET | null }> {
  const created = wdf.WdfIoTargetCreate(kit.device as wdf.WDFDEVICE, null);
  if (!created.IoTarget) return { status: created.status, target: null };
  const params = new wdf.WDF_IO_TARGET_OPEN_PARAMS();
  wdf.WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(params, "\\Device\\Lower", wdm.FILE_READ_DATA | wdm.FILE_WRITE_DATA);
  return { status: await wdf.WdfIoTargetOpen(created.IoTarget, params), target: created.IoTarget };
}

/** A 16-byte pool buffer of the kit driver, filled with 1..16. */
function scratch(): { memory: wdf.WDFMEMORY; buffer: number } {
  const mem = wdf.WdfMemoryCreate(null, wdf.NonPagedPool, 0x74736554, 16);
  if (!mem.Memory) throw new Error(`WdfMemoryCreate: ${mem.status}`);
  for (let i = 0; i < 16; i++) w.writeU8(mem.Buffer + i, i + 1);
  return { memory: mem.Memory, buffer: mem.Buffer };
}

describe("wdf I/O targets: sending requests to another driver", () => {
  it("WdfIoTargetOpen opens a device by name (its driver gets IRP_MJ_CREATE); WdfIoTargetSendIoctlSynchronously returns the lower driver's status and bytes; WdfIoTargetClose closes the file", async () => {
    const m = newMachine();
    const lower = await loadLower(m);
    const kit = await loadWdfKit(m);
    const got = asDriver(m, async () => {
      const opened = await openLower(kit);
      const target = opened.target as wdf.WDFIOTARGET;
      const afterOpen = lower.creates;
      const { memory, buffer } = scratch();
      const inD = new wdf.WDF_MEMORY_DESCRIPTOR();
      wdf.WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(inD, memory, null);
      const outD = new wdf.WDF_MEMORY_DESCRIPTOR();
      wdf.WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(outD, buffer, 16);
      const sent = await wdf.WdfIoTargetSendIoctlSynchronously(target, null, IOCTL_LOWER_ADD_ONE, inD, outD, null);
      const bytes = Array.from({ length: 4 }, (_, i) => w.readU8(buffer + i));
      const unknown = await wdf.WdfIoTargetSendIoctlSynchronously(target, null, IOCTL_LOWER_ADD_ONE + 0x100, null, null, null);
      await wdf.WdfIoTargetClose(target);
      return { open: opened.status, afterOpen, sent, bytes, unknown: unknown.status, state: wdf.WdfIoTargetGetState(target) };
    });
    await m.run();
    const r = await got;
    expect(r.open).to.equal(wdm.STATUS_SUCCESS);
    expect(r.afterOpen).to.equal(1);
    expect(r.sent).to.deep.equal({ status: wdm.STATUS_SUCCESS, BytesReturned: 16 });
    expect(r.bytes).to.deep.equal([2, 3, 4, 5]);
    expect(r.unknown).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
    expect(r.state).to.equal(wdf.WdfIoTargetClosed);
    expect(lower.closes).to.be.greaterThan(0);
    expect(m.io?.liveIrps.size ?? 0).to.equal(0);
  });

  it("WdfIoTargetOpen of a name nobody created fails with STATUS_OBJECT_NAME_NOT_FOUND, and a send to the unopened target fails with STATUS_INVALID_DEVICE_STATE", async () => {
    const m = newMachine();
    const kit = await loadWdfKit(m);
    const got = asDriver(m, async () => {
      const created = wdf.WdfIoTargetCreate(kit.device as wdf.WDFDEVICE, null);
      const target = created.IoTarget as wdf.WDFIOTARGET;
      const params = new wdf.WDF_IO_TARGET_OPEN_PARAMS();
      wdf.WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(params, "\\Device\\Nobody", wdm.FILE_READ_DATA);
      const open = await wdf.WdfIoTargetOpen(target, params);
      const send = await wdf.WdfIoTargetSendIoctlSynchronously(target, null, IOCTL_LOWER_ADD_ONE, null, null, null);
      return { open, send: send.status };
    });
    await m.run();
    expect(await got).to.deep.equal({ open: wdm.STATUS_OBJECT_NAME_NOT_FOUND, send: wdm.STATUS_INVALID_DEVICE_STATE });
  });

  for (const deep of [true, false]) {
    it(
      deep
        ? "a delivered request sent on with WdfRequestFormatRequestUsingCurrentType and a completion routine: the routine gets the lower driver's IoStatus and completes the app's request with it"
        : "a delivered request whose IRP has no stack location for the target is refused: WdfRequestSend returns FALSE with STATUS_REQUEST_NOT_ACCEPTED",
      async () => {
        const m = newMachine();
        await loadLower(m);
        let target: wdf.WDFIOTARGET | null = null;
        const seen: { status: number; info: number; type: number }[] = [];
        const refused: number[] = [];
        const kit = await loadWdfKit(m, {
          queue: (c) => {
            c.EvtIoDeviceControl = function FwdIoctl(_q, Request) {
              wdf.WdfRequestFormatRequestUsingCurrentType(Request);
              wdf.WdfRequestSetCompletionRoutine(
                Request,
                function FwdCompletion(R, _Target, Params) {
                  seen.push({ status: Params.IoStatus.Status, info: Params.IoStatus.Information, type: Params.Type });
                  wdf.WdfRequestCompleteWithInformation(R, Params.IoStatus.Status, Params.IoStatus.Information);
                },
                null,
              );
              if (!wdf.WdfRequestSend(Request, target as wdf.WDFIOTARGET, null)) {
                refused.push(wdf.WdfRequestGetStatus(Request));
                wdf.WdfRequestComplete(Request, wdf.WdfRequestGetStatus(Request));
              }
            };
          },
        });
        const opened = asDriver(m, async () => {
          target = (await openLower(kit)).target;
          // A control device that forwards its requests: its IRPs need a location for the target's stack too.
          const lowerDevice = target ? wdf.WdfIoTargetWdmGetTargetDeviceObject(target) : null;
          const own = wdf.WdfDeviceWdmGetDeviceObject(kit.device as wdf.WDFDEVICE);
          if (deep && lowerDevice && own) own.StackSize += lowerDevice.StackSize;
          return target;
        });
        await m.run();
        expect(await opened).to.not.equal(null);
        const ran = await runApp(m, async () => {
          const io = await AppIo.open(kit.path);
          const data = io.slot();
          w8(data, [10, 20, 30]);
          const bytes = io.slot();
          const ok = await appIoctl(io.h, IOCTL_LOWER_ADD_ONE, data, 3, data, 3, bytes);
          const error = ok ? 0 : w.GetLastError();
          const out = [0, 1, 2].map((i) => w.readU8(data + i));
          await io.close();
          return { ok, error, out };
        });
        if (ran.result.bugCheck) throw new Error(`${ran.result.bugCheck.name}: ${ran.result.bugCheck.detail}`);
        if (deep) {
          expect(ran.value).to.deep.equal({ ok: true, error: 0, out: [11, 21, 31] });
          expect(seen).to.deep.equal([{ status: wdm.STATUS_SUCCESS, info: 3, type: wdm.IRP_MJ_DEVICE_CONTROL }]);
        } else {
          expect(refused).to.deep.equal([wdm.STATUS_REQUEST_NOT_ACCEPTED]);
          expect(ran.value?.ok).to.equal(false);
          expect(seen).to.deep.equal([]);
        }
      },
    );
  }

  it("WdfRequestCancelSentRequest cancels a request pending in the lower driver: its completion routine sees STATUS_CANCELLED and WdfRequestGetCompletionParams says the same", async () => {
    const m = newMachine();
    await loadLower(m);
    const kit = await loadWdfKit(m);
    const got = asDriver(m, async () => {
      const target = (await openLower(kit)).target as wdf.WDFIOTARGET;
      const created = wdf.WdfRequestCreate(null, target);
      const Request = created.Request as wdf.WDFREQUEST;
      const formatted = wdf.WdfIoTargetFormatRequestForIoctl(target, Request, IOCTL_LOWER_PEND, null, null, null, null);
      const done = new wdm.KEVENT(wdm.NotificationEvent, false);
      const statuses: number[] = [];
      wdf.WdfRequestSetCompletionRoutine(
        Request,
        function PendCompletion(_R, _T, Params) {
          statuses.push(Params.IoStatus.Status);
          wdm.KeSetEvent(done, 0, false);
        },
        null,
      );
      const sent = wdf.WdfRequestSend(Request, target, null);
      const stillPending = statuses.length === 0;
      const cancelled = wdf.WdfRequestCancelSentRequest(Request);
      await wdm.KeWaitForSingleObject(done, wdm.Executive, wdm.KernelMode, false, null);
      const params = new wdf.WDF_REQUEST_COMPLETION_PARAMS();
      wdf.WdfRequestGetCompletionParams(Request, params);
      const again = wdf.WdfRequestCancelSentRequest(Request);
      wdf.WdfObjectDelete(Request);
      return { formatted, sent, stillPending, cancelled, statuses, params: params.IoStatus.Status, again };
    });
    await m.run();
    expect(await got).to.deep.equal({ formatted: wdm.STATUS_SUCCESS, sent: true, stillPending: true, cancelled: true, statuses: [wdm.STATUS_CANCELLED], params: wdm.STATUS_CANCELLED, again: false });
    expect(m.io?.liveIrps.size ?? 0).to.equal(0);
  });

  it("WDF_REQUEST_SEND_OPTION_TIMEOUT: a request the lower driver keeps past the timeout is cancelled by the framework and ends with STATUS_IO_TIMEOUT", async () => {
    const m = newMachine();
    await loadLower(m);
    const kit = await loadWdfKit(m);
    const got = asDriver(m, async () => {
      const target = (await openLower(kit)).target as wdf.WDFIOTARGET;
      const options = new wdf.WDF_REQUEST_SEND_OPTIONS();
      wdf.WDF_REQUEST_SEND_OPTIONS_INIT(options, wdf.WDF_REQUEST_SEND_OPTION_TIMEOUT);
      wdf.WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(options, wdf.WDF_REL_TIMEOUT_IN_MS(50));
      const start = m.nowMs;
      const r = await wdf.WdfIoTargetSendIoctlSynchronously(target, null, IOCTL_LOWER_PEND, null, null, options);
      return { status: r.status, waited: m.nowMs - start };
    });
    await m.run();
    const r = await got;
    expect(r.status).to.equal(wdm.STATUS_IO_TIMEOUT);
    expect(Math.round(r.waited)).to.equal(50);
  });

  it("WdfIoTargetStop with WdfIoTargetCancelSentIo cancels what was sent and waits for the completion routines; a stopped target refuses sends with STATUS_INVALID_DEVICE_STATE until WdfIoTargetStart", async () => {
    const m = newMachine();
    await loadLower(m);
    const kit = await loadWdfKit(m);
    const got = asDriver(m, async () => {
      const target = (await openLower(kit)).target as wdf.WDFIOTARGET;
      const Request = wdf.WdfRequestCreate(null, target).Request as wdf.WDFREQUEST;
      wdf.WdfIoTargetFormatRequestForIoctl(target, Request, IOCTL_LOWER_PEND, null, null, null, null);
      const order: string[] = [];
      wdf.WdfRequestSetCompletionRoutine(
        Request,
        function StopCompletion(_R, _T, Params) {
          order.push(`completion ${Params.IoStatus.Status === wdm.STATUS_CANCELLED ? "STATUS_CANCELLED" : Params.IoStatus.Status}`);
        },
        null,
      );
      void wdf.WdfRequestSend(Request, target, null);
      await wdf.WdfIoTargetStop(target, wdf.WdfIoTargetCancelSentIo);
      order.push("stop returned");
      const stopped = wdf.WdfIoTargetGetState(target);
      const refused = await wdf.WdfIoTargetSendIoctlSynchronously(target, null, IOCTL_LOWER_ADD_ONE, null, null, null);
      const started = wdf.WdfIoTargetStart(target);
      const accepted = await wdf.WdfIoTargetSendIoctlSynchronously(target, null, IOCTL_LOWER_ADD_ONE, null, null, null);
      return { order, stopped, refused: refused.status, started, accepted: accepted.status };
    });
    await m.run();
    expect(await got).to.deep.equal({ order: ["completion STATUS_CANCELLED", "stop returned"], stopped: wdf.WdfIoTargetStopped, refused: wdm.STATUS_INVALID_DEVICE_STATE, started: wdm.STATUS_SUCCESS, accepted: wdm.STATUS_SUCCESS });
  });

  it("sending a request that is still pending on a target is WDF_VIOLATION 0x6 (WDF_REQUEST_FATAL_ERROR, parameter 2 = 0x3 REQUEST_ALREADY_SENT) under the verifier; without it WdfRequestSend returns FALSE with STATUS_INVALID_DEVICE_STATE", async () => {
    for (const verified of [true, false]) {
      const m = newMachine();
      if (verified) attachVerifier(m);
      await loadLower(m);
      const kit = await loadWdfKit(m);
      const got = asDriver(m, async () => {
        const target = (await openLower(kit)).target as wdf.WDFIOTARGET;
        const Request = wdf.WdfRequestCreate(null, target).Request as wdf.WDFREQUEST;
        wdf.WdfIoTargetFormatRequestForIoctl(target, Request, IOCTL_LOWER_PEND, null, null, null, null);
        void wdf.WdfRequestSend(Request, target, null);
        const second = wdf.WdfRequestSend(Request, target, null);
        const status = wdf.WdfRequestGetStatus(Request);
        wdf.WdfRequestCancelSentRequest(Request);
        return { second, status };
      });
      const run = await m.run();
      if (verified) {
        expect(run.bugCheck?.code).to.equal(0x10d);
        expect(run.bugCheck?.parameters.slice(0, 2)).to.deep.equal([0x6, 0x3]);
        expect(run.bugCheck?.rule).to.match(/RequestAlreadySent/);
        expect(run.bugCheck?.source).to.match(/test\/wdf\/io-target\.test\.ts:\d+/);
      } else {
        expect(run.bugCheck).to.equal(null);
        expect(await got).to.deep.equal({ second: false, status: wdm.STATUS_INVALID_DEVICE_STATE });
      }
    }
  });

  it("WdfDeviceGetIoTarget of a control device is NULL: a non-PnP device has no device below it", async () => {
    const m = newMachine();
    const kit = await loadWdfKit(m);
    const got = asDriver(m, () => wdf.WdfDeviceGetIoTarget(kit.device as wdf.WDFDEVICE));
    await m.run();
    expect(await got).to.equal(null);
  });
});

// ---- App helpers ----

function w8(va: number, bytes: readonly number[]): void {
  bytes.forEach((b, i) => {
    w.writeU8(va + i, b);
  });
}

/** A synchronous-style DeviceIoControl on an overlapped handle: issues, then waits for the result. */
async function appIoctl(h: number, code: number, inBuf: number, inLen: number, outBuf: number, outLen: number, bytes: number): Promise<boolean> {
  const ov = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
  const ok = await w.DeviceIoControl(h, code, inBuf, inLen, outBuf, outLen, bytes, ov);
  if (ok) return true;
  if (w.GetLastError() !== w.ERROR_IO_PENDING) return false;
  return w.GetOverlappedResult(h, ov, bytes, true);
}
