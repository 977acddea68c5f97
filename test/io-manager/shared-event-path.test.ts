/**
 * The path the general/event-style sample takes, end to end: an app hands the driver its event
 * handle in an IOCTL; the driver references it (UserMode, in the app's context) and sets it from a
 * timer DPC; the IRP-based mode pends the request and the DPC completes it; a remove lock covers
 * every request and DriverUnload waits on it. Runs clean under the verifier.
 */
import { expect } from "chai";
import { attachVerifier, loadDriver, unloadDriver, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine } from "../helpers.js";

const IOCTL_REGISTER_EVENT = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x800, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
const IOCTL_REGISTER_IRP = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x801, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);

/** One registration: a timer and DPC, and either the app's event or the pended IRP. */
class EVT_NOTIFY_RECORD {
  readonly Timer = new wdm.KTIMER();
  readonly Dpc = new wdm.KDPC<EVT_NOTIFY_RECORD>();
  Event: wdm.KEVENT | null = null;
  Irp: wdm.IRP | null = null;
  constructor(readonly Extension: EVT_EXTENSION) {}
}

class EVT_EXTENSION {
  readonly RemoveLock = new wdm.IO_REMOVE_LOCK();
  readonly Lock = new wdm.KSPIN_LOCK();
  readonly Records = new Set<EVT_NOTIFY_RECORD>();
}

function EvtComplete(Irp: wdm.IRP, status: number): number {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
  return status;
}

/** The timer DPC: signals the app's event (then drops the reference) or completes the pended IRP. */
function EvtTimerDpc(_Dpc: wdm.KDPC<EVT_NOTIFY_RECORD>, Record: EVT_NOTIFY_RECORD): void {
  const ext = Record.Extension;
  wdm.KeAcquireSpinLockAtDpcLevel(ext.Lock);
  const mine = ext.Records.delete(Record);
  wdm.KeReleaseSpinLockFromDpcLevel(ext.Lock);
  if (!mine) return;
  if (Record.Event) {
    wdm.KeSetEvent(Record.Event, 0, false);
    wdm.ObDereferenceObject(Record.Event);
  } else if (Record.Irp) {
    const irp = Record.Irp;
    if (wdm.IoSetCancelRoutine(irp, null)) EvtComplete(irp, wdm.STATUS_SUCCESS);
    else return; // the cancel routine owns it and releases the lock
  }
  wdm.IoReleaseRemoveLock(ext.RemoveLock, Record);
}

const EvtDeviceControl: wdm.DRIVER_DISPATCH = (DeviceObject, Irp) => {
  const ext = DeviceObject.DeviceExtension as EVT_EXTENSION;
  const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
  const code = sl.Parameters.DeviceIoControl.IoControlCode;
  if (sl.Parameters.DeviceIoControl.InputBufferLength < 8) return EvtComplete(Irp, wdm.STATUS_INVALID_PARAMETER);
  const record = new EVT_NOTIFY_RECORD(ext);
  const status = wdm.IoAcquireRemoveLock(ext.RemoveLock, record);
  if (!wdm.NT_SUCCESS(status)) return EvtComplete(Irp, status);
  const buffer = Irp.AssociatedIrp.SystemBuffer;
  const dueMs = wdm.readU32(buffer + 4);
  if (code === IOCTL_REGISTER_EVENT) {
    // The app's handle, checked as the app: UserMode, in the requestor's context.
    const ref = wdm.ObReferenceObjectByHandle(wdm.readU32(buffer), wdm.EVENT_MODIFY_STATE, wdm.ExEventObjectType, Irp.RequestorMode);
    if (!ref.Object) {
      wdm.IoReleaseRemoveLock(ext.RemoveLock, record);
      return EvtComplete(Irp, ref.status);
    }
    record.Event = ref.Object;
  } else {
    record.Irp = Irp;
  }
  wdm.KeInitializeTimer(record.Timer);
  wdm.KeInitializeDpc(record.Dpc, EvtTimerDpc, record);
  const old = wdm.KeAcquireSpinLock(ext.Lock);
  if (record.Irp) {
    wdm.IoMarkIrpPending(Irp);
    wdm.IoSetCancelRoutine(Irp, function EvtCancel(_d, CancelIrp) {
      wdm.IoReleaseCancelSpinLock(CancelIrp.CancelIrql);
      const held = wdm.KeAcquireSpinLock(ext.Lock);
      const removed = ext.Records.delete(record);
      wdm.KeReleaseSpinLock(ext.Lock, held);
      if (removed) wdm.KeCancelTimer(record.Timer);
      EvtComplete(CancelIrp, wdm.STATUS_CANCELLED);
      wdm.IoReleaseRemoveLock(ext.RemoveLock, record);
    });
    // Cancelled before the routine was set: take it back and fail it here.
    if (Irp.Cancel && wdm.IoSetCancelRoutine(Irp, null)) {
      wdm.KeReleaseSpinLock(ext.Lock, old);
      EvtComplete(Irp, wdm.STATUS_CANCELLED);
      wdm.IoReleaseRemoveLock(ext.RemoveLock, record);
      return wdm.STATUS_PENDING;
    }
  }
  ext.Records.add(record);
  wdm.KeReleaseSpinLock(ext.Lock, old);
  wdm.KeSetTimer(record.Timer, -10_000 * dueMs, record.Dpc);
  return code === IOCTL_REGISTER_EVENT ? EvtComplete(Irp, wdm.STATUS_SUCCESS) : wdm.STATUS_PENDING;
};

async function EvtUnload(DriverObject: wdm.DRIVER_OBJECT): Promise<void> {
  const device = DriverObject.DeviceObject;
  if (!device) return;
  const ext = device.DeviceExtension as EVT_EXTENSION;
  wdm.IoAcquireRemoveLock(ext.RemoveLock, DriverObject);
  await wdm.IoReleaseRemoveLockAndWait(ext.RemoveLock, DriverObject);
  wdm.IoDeleteSymbolicLink("\\DosDevices\\EvtPath");
  wdm.IoDeleteDevice(device);
}

async function loadEvt(m: Machine): Promise<void> {
  const r = await loadDriver(m, "EvtPath", (DriverObject) => {
    const ext = new EVT_EXTENSION();
    const { status, DeviceObject } = wdm.IoCreateDevice(DriverObject, ext, "\\Device\\EvtPath", wdm.FILE_DEVICE_UNKNOWN, 0, false);
    if (!DeviceObject) return status;
    DeviceObject.Flags |= wdm.DO_BUFFERED_IO;
    wdm.KeInitializeSpinLock(ext.Lock);
    wdm.IoInitializeRemoveLock(ext.RemoveLock, "EvtR", 0, 0);
    const ok = (_d: wdm.DEVICE_OBJECT, Irp: wdm.IRP): number => EvtComplete(Irp, wdm.STATUS_SUCCESS);
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = ok;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = ok;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = ok;
    DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = EvtDeviceControl;
    DriverObject.DriverUnload = EvtUnload;
    return wdm.IoCreateSymbolicLink("\\DosDevices\\EvtPath", "\\Device\\EvtPath");
  });
  expect(r.status).to.equal(wdm.STATUS_SUCCESS);
}

describe("io-manager: the shared-event path end to end (ObReferenceObjectByHandle on an app's event, a remove lock, a timer DPC)", () => {
  it("the app's event is set by the driver's timer DPC, an IRP-mode request completes from it, and DriverUnload waits on the remove lock: clean under the verifier", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadEvt(m);
    const log: string[] = [];
    m.createProcess("evtapp.exe", async function EvtApp() {
      const h = await w.CreateFile("\\\\.\\EvtPath", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, w.FILE_FLAG_OVERLAPPED, 0);
      const event = w.CreateEvent(null, true, false, null);
      const input = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      w.writeU32(input, event);
      w.writeU32(input + 4, 5);
      const ov1 = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
      ov1.hEvent = w.CreateEvent(null, true, false, null);
      await w.DeviceIoControl(h, IOCTL_REGISTER_EVENT, input, 8, 0, 0, 0, ov1);
      const waited = await w.WaitForSingleObject(event, w.INFINITE);
      log.push(`event set at ${Math.floor(m.nowMs)} ms (wait ${waited})`);
      // The IRP-based mode: the request pends until the timer DPC completes it.
      w.writeU32(input + 4, 7);
      const ov = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
      ov.hEvent = w.CreateEvent(null, true, false, null);
      const pended = await w.DeviceIoControl(h, IOCTL_REGISTER_IRP, input, 8, 0, 0, 0, ov);
      log.push(`IRP mode returns ${String(pended)} (${w.GetLastError() === w.ERROR_IO_PENDING ? "pending" : "not pending"})`);
      await w.WaitForSingleObject(ov.hEvent, w.INFINITE);
      log.push(`IRP completed at ${Math.floor(m.nowMs)} ms`);
      // A bad handle is the app's mistake: the driver answers STATUS_INVALID_HANDLE.
      w.writeU32(input, 0x4444);
      const bad = await w.DeviceIoControl(h, IOCTL_REGISTER_EVENT, input, 8, 0, 0, 0, ov1);
      log.push(`bad handle: ${String(bad)} error ${w.GetLastError()}`);
      await w.CloseHandle(h);
      await w.CloseHandle(event);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(r.errors).to.deep.equal([]);
    expect(log).to.deep.equal(["event set at 5 ms (wait 0)", "IRP mode returns false (pending)", "IRP completed at 12 ms", `bad handle: false error ${w.ERROR_INVALID_HANDLE}`]);
    expect(await unloadDriver(m, "EvtPath")).to.equal(true);
    expect(m.halted).to.equal(null);
    expect(m.findings).to.deep.equal([]);
  });

  it("an app that exits with a registration pending: the DPC still sets the (referenced) event, and unload waits for the remove lock until then", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadEvt(m);
    m.createProcess("quitter.exe", async function Quitter() {
      const h = await w.CreateFile("\\\\.\\EvtPath", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
      const event = w.CreateEvent(null, true, false, null);
      const input = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      w.writeU32(input, event);
      w.writeU32(input + 4, 50);
      await w.DeviceIoControl(h, IOCTL_REGISTER_EVENT, input, 8, 0, 0, 0, null);
      // Exits at once: its handles close, but the driver's reference keeps the event alive.
    });
    await m.run({ maxTimeMs: 10 });
    const unloaded = unloadDriver(m, "EvtPath");
    expect(await unloaded).to.equal(true);
    expect(Math.floor(m.nowMs)).to.be.greaterThanOrEqual(50);
    expect(m.halted).to.equal(null);
    expect(m.findings).to.deep.equal([]);
  });
});
