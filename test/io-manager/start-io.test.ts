import { expect } from "chai";
import { loadDriver } from "../../index.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { injectCancel } from "../../io-manager/inject.js";
import {
  CONTAINING_RECORD,
  CTL_CODE,
  DISPATCH_LEVEL,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoAcquireCancelSpinLock,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  IoReleaseCancelSpinLock,
  IoSetCancelRoutine,
  IoStartNextPacket,
  IoStartNextPacketByKey,
  IoStartPacket,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeGetCurrentIrql,
  KeLowerIrql,
  KeRaiseIrql,
  KeRemoveEntryDeviceQueue,
  METHOD_BUFFERED,
  readU32,
  STATUS_CANCELLED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DEVICE_OBJECT,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type DRIVER_OBJECT,
  type DRIVER_STARTIO,
  type NTSTATUS,
} from "../../wdm.js";
import {
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  ERROR_OPERATION_ABORTED,
  CancelIoEx,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  OPEN_EXISTING,
  OVERLAPPED,
  SIZEOF_OVERLAPPED,
  writeU32,
} from "../../win32/index.js";
import { newMachine } from "../helpers.js";
import type { Machine } from "../../kernel/machine.js";

const IOCTL_STQ_SUBMIT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x830, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_STQ_FINISH = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x831, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** What the StartIo test driver saw. */
class StqExt {
  /** Pass a cancel routine to IoStartPacket. */
  cancelable = true;
  /** Each StartIo call: the IRP, the IRQL, whether it was CurrentIrp, Irp->Cancel, whether a cancel routine was set and whether the cancel lock was held. */
  readonly started: { irp: string; irql: number; current: boolean; cancel: boolean; routineSet: boolean; lockHeld: boolean }[] = [];
  /** Each cancel-routine call: the IRP, whether it was CurrentIrp, whether it was in the queue, CancelIrql, who held the cancel lock. */
  readonly cancels: { irp: string; current: boolean; queued: boolean; cancelIrql: number; lockHeld: boolean }[] = [];
  readonly completed: { irp: string; status: NTSTATUS }[] = [];
}

let machine: Machine | null = null;

function complete(ext: StqExt, Irp: IRP, status: NTSTATUS): NTSTATUS {
  ext.completed.push({ irp: Irp.label, status });
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/** The key in a request's input buffer (4 bytes), or NULL when it has none. */
function keyOf(Irp: IRP): number | null {
  const stack = IoGetCurrentIrpStackLocation(Irp);
  return stack.Parameters.DeviceIoControl.InputBufferLength >= 4 ? readU32(Irp.AssociatedIrp.SystemBuffer) : null;
}

/**
 * The cancel routine "Cancel Routines in Drivers with StartIo Routines" describes, with the
 * current IRP finished here (released lock, next packet started at DISPATCH_LEVEL, completed).
 */
const StqCancel: DRIVER_CANCEL = function StqCancel(DeviceObject, Irp) {
  const ext = DeviceObject.DeviceExtension as StqExt;
  const lockHeld = machine !== null && ioManager(machine).cancelSpinLock.owner === machine.runningThread();
  if (Irp === DeviceObject.CurrentIrp) {
    ext.cancels.push({ irp: Irp.label, current: true, queued: false, cancelIrql: Irp.CancelIrql, lockHeld });
    IoReleaseCancelSpinLock(Irp.CancelIrql);
    const old = KeRaiseIrql(DISPATCH_LEVEL);
    IoStartNextPacket(DeviceObject, true);
    KeLowerIrql(old);
    complete(ext, Irp, STATUS_CANCELLED);
    return;
  }
  const queued = KeRemoveEntryDeviceQueue(DeviceObject.DeviceQueue, Irp.Tail.Overlay.DeviceQueueEntry);
  ext.cancels.push({ irp: Irp.label, current: false, queued, cancelIrql: Irp.CancelIrql, lockHeld });
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  if (queued) complete(ext, Irp, STATUS_CANCELLED);
};

/** StartIo: records the call and leaves the IRP current until IOCTL_STQ_FINISH. */
const StqStartIo: DRIVER_STARTIO = function StqStartIo(DeviceObject, Irp) {
  const ext = DeviceObject.DeviceExtension as StqExt;
  const lockHeld = machine !== null && ioManager(machine).cancelSpinLock.owner !== null;
  ext.started.push({ irp: Irp.label, irql: KeGetCurrentIrql(), current: DeviceObject.CurrentIrp === Irp, cancel: Irp.Cancel, routineSet: Irp.CancelRoutine !== null, lockHeld });
};

/** SUBMIT: IoStartPacket (keyed when the input holds a key). FINISH: completes CurrentIrp and starts the next (by key when given). */
const StqDeviceControl: DRIVER_DISPATCH = function StqDeviceControl(DeviceObject, Irp) {
  const ext = DeviceObject.DeviceExtension as StqExt;
  const code = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
  if (code === IOCTL_STQ_SUBMIT) {
    IoMarkIrpPending(Irp);
    IoStartPacket(DeviceObject, Irp, keyOf(Irp), ext.cancelable ? StqCancel : null);
    return STATUS_PENDING;
  }
  const key = keyOf(Irp);
  const done = DeviceObject.CurrentIrp;
  const old = KeRaiseIrql(DISPATCH_LEVEL);
  let mine = false;
  if (done) {
    const cancelIrql = IoAcquireCancelSpinLock();
    mine = !ext.cancelable || IoSetCancelRoutine(done, null) !== null;
    IoReleaseCancelSpinLock(cancelIrql);
  }
  if (key === null) IoStartNextPacket(DeviceObject, ext.cancelable);
  else IoStartNextPacketByKey(DeviceObject, ext.cancelable, key);
  KeLowerIrql(old);
  if (done && mine) complete(ext, done, STATUS_SUCCESS);
  return complete(ext, Irp, STATUS_SUCCESS);
};

const StqCreateClose: DRIVER_DISPATCH = function StqCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/** Loads the test driver; returns its device and what it records. */
async function loadStq(m: Machine, options: { startIo?: boolean } = {}): Promise<{ device: DEVICE_OBJECT; ext: StqExt }> {
  machine = m;
  const ext = new StqExt();
  const loaded = await loadDriver(m, "Stq", function StqDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Stq", FILE_DEVICE_UNKNOWN, 0, false);
    if (!DeviceObject) return status;
    IoCreateSymbolicLink("\\DosDevices\\Stq", "\\Device\\Stq");
    DriverObject.MajorFunction[IRP_MJ_CREATE] = StqCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = StqCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = StqCreateClose;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = StqDeviceControl;
    if (options.startIo ?? true) DriverObject.DriverStartIo = StqStartIo;
    return STATUS_SUCCESS;
  });
  const device = loaded.DriverObject.DeviceObject;
  if (!device) throw new Error("no device");
  return { device, ext };
}

/** A request in flight: its OVERLAPPED and the buffer of its key. */
interface Sent {
  readonly ov: OVERLAPPED;
  readonly bytes: number;
}

/** Sends a control code on the overlapped handle, with a key in its input when given. */
async function send(h: number, code: number, key: number | null = null): Promise<Sent> {
  const block = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED + 8);
  const ov = new OVERLAPPED(block);
  ov.hEvent = CreateEvent(null, true, false, null);
  if (key !== null) writeU32(block + SIZEOF_OVERLAPPED, key);
  await DeviceIoControl(h, code, key === null ? 0 : block + SIZEOF_OVERLAPPED, key === null ? 0 : 4, 0, 0, block + SIZEOF_OVERLAPPED + 4, ov);
  return { ov, bytes: block + SIZEOF_OVERLAPPED + 4 };
}

/** The result of a finished request: TRUE, or the Win32 error. */
async function result(h: number, s: Sent): Promise<true | number> {
  return (await GetOverlappedResult(h, s.ov, s.bytes, true)) ? true : GetLastError();
}

async function openStq(): Promise<number> {
  return CreateFile("\\\\.\\Stq", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
}

/** The IRP label of a StartIo record, to compare orders. */
const label = (x: { irp: string }): string => x.irp;

describe("io-manager: the StartIo model (IoStartPacket, IoStartNextPacket)", () => {
  afterEach(() => {
    machine = null;
  });

  it("IoStartPacket on an idle device calls StartIo at once, at DISPATCH_LEVEL, with the IRP as DeviceObject->CurrentIrp and the device queue busy", async () => {
    const m = newMachine();
    const { device, ext } = await loadStq(m);
    const seen: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      const a = await send(h, IOCTL_STQ_SUBMIT);
      seen.push(ext.started.length, device.CurrentIrp?.label, device.DeviceQueue.Busy, device.CurrentIrp?.Tail.Overlay.DeviceQueueEntry.Inserted);
      await send(h, IOCTL_STQ_FINISH);
      seen.push(await result(h, a), device.CurrentIrp, device.DeviceQueue.Busy);
      await CloseHandle(h);
    });
    await m.run();
    // The cancel spin lock IoStartPacket took to set the cancel routine is released before StartIo runs.
    expect(ext.started).to.deep.equal([{ irp: "irp#2", irql: DISPATCH_LEVEL, current: true, cancel: false, routineSet: true, lockHeld: false }]);
    expect(seen).to.deep.equal([1, "irp#2", true, false, true, null, false]);
  });

  it("a busy device queues IoStartPacket's IRPs and IoStartNextPacket hands them to StartIo in FIFO order", async () => {
    const m = newMachine();
    const { device, ext } = await loadStq(m);
    const seen: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      const sent = [await send(h, IOCTL_STQ_SUBMIT), await send(h, IOCTL_STQ_SUBMIT), await send(h, IOCTL_STQ_SUBMIT)];
      seen.push(ext.started.map(label), device.DeviceQueue.Busy);
      for (let i = 0; i < 3; i++) await send(h, IOCTL_STQ_FINISH);
      for (const s of sent) seen.push(await result(h, s));
      await CloseHandle(h);
    });
    await m.run();
    expect(seen).to.deep.equal([["irp#2"], true, true, true, true]);
    expect(ext.started.map(label)).to.deep.equal(["irp#2", "irp#3", "irp#4"]);
    // IoStartNextPacket(Cancelable) holds the cancel lock only around the removal, not over StartIo.
    expect(ext.started.every((x) => x.irql === DISPATCH_LEVEL && x.current && !x.lockHeld)).to.equal(true);
    const submits = ["irp#2", "irp#3", "irp#4"];
    expect(ext.completed.map(label).filter((l) => submits.includes(l))).to.deep.equal(submits);
    expect(device.DeviceQueue.Busy).to.equal(false);
  });

  it("IoStartPacket with a Key queues by key (ascending, FIFO among equal keys) and IoStartNextPacketByKey starts the first IRP whose key is >= its key, else the first", async () => {
    const m = newMachine();
    const { ext } = await loadStq(m);
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      await send(h, IOCTL_STQ_SUBMIT); // irp#2 starts at once
      await send(h, IOCTL_STQ_SUBMIT, 30); // irp#3
      await send(h, IOCTL_STQ_SUBMIT, 10); // irp#4
      await send(h, IOCTL_STQ_SUBMIT, 20); // irp#5
      await send(h, IOCTL_STQ_SUBMIT, 10); // irp#6, after irp#4
      // The queue is now 10 (irp#4), 10 (irp#6), 20 (irp#5), 30 (irp#3).
      await send(h, IOCTL_STQ_FINISH, 15); // first key >= 15: irp#5
      await send(h, IOCTL_STQ_FINISH, 99); // none >= 99: the first, irp#4
      await send(h, IOCTL_STQ_FINISH); // FIFO from the head: irp#6
      await send(h, IOCTL_STQ_FINISH); // irp#3
      await send(h, IOCTL_STQ_FINISH); // empty: the device goes idle
      await CloseHandle(h);
    });
    await m.run();
    expect(ext.started.map(label)).to.deep.equal(["irp#2", "irp#5", "irp#4", "irp#6", "irp#3"]);
  });

  it("IoStartNextPacket on an empty queue clears CurrentIrp and the queue's Busy flag and calls no StartIo", async () => {
    const m = newMachine();
    const { device, ext } = await loadStq(m);
    const seen: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      const a = await send(h, IOCTL_STQ_SUBMIT);
      seen.push(device.DeviceQueue.Busy);
      await send(h, IOCTL_STQ_FINISH);
      seen.push(device.DeviceQueue.Busy, device.CurrentIrp, ext.started.length, await result(h, a));
      // The next IoStartPacket finds the device idle again.
      await send(h, IOCTL_STQ_SUBMIT);
      seen.push(ext.started.length, device.CurrentIrp?.label);
      await send(h, IOCTL_STQ_FINISH);
      await CloseHandle(h);
    });
    await m.run();
    expect(seen).to.deep.equal([true, false, null, 1, true, 2, "irp#4"]);
  });

  it("a packet cancelled while queued is taken out with KeRemoveEntryDeviceQueue by its cancel routine and completed there; it never reaches StartIo", async () => {
    const m = newMachine();
    const { device, ext } = await loadStq(m);
    const seen: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      const a = await send(h, IOCTL_STQ_SUBMIT);
      const b = await send(h, IOCTL_STQ_SUBMIT);
      const c = await send(h, IOCTL_STQ_SUBMIT);
      seen.push(await CancelIoEx(h, b.ov), await result(h, b));
      await send(h, IOCTL_STQ_FINISH);
      await send(h, IOCTL_STQ_FINISH);
      seen.push(await result(h, a), await result(h, c), device.DeviceQueue.Busy);
      await CloseHandle(h);
    });
    await m.run();
    expect(ext.cancels).to.deep.equal([{ irp: "irp#3", current: false, queued: true, cancelIrql: 1, lockHeld: true }]);
    expect(ext.started.map(label)).to.deep.equal(["irp#2", "irp#4"]);
    expect(seen).to.deep.equal([true, ERROR_OPERATION_ABORTED, true, true, false]);
  });

  it("a packet cancelled before IoStartPacket queues it (Irp->Cancel already set, no routine called) has its cancel routine called by IoStartPacket, with the cancel spin lock held and CancelIrql DISPATCH_LEVEL", async () => {
    const m = newMachine();
    const { ext } = await loadStq(m);
    const seen: unknown[] = [];
    let armed = false;
    m.injector = (point) => {
      // CancelIoEx from another thread lands as IoStartPacket is entered: no cancel routine yet.
      if (armed && point === "IoStartPacket") {
        armed = false;
        const irp = [...ioManager(m).liveIrps].find((i) => i.CancelRoutine === null && !i.Cancel && i.label === "irp#3");
        if (irp) injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
      }
    };
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      const a = await send(h, IOCTL_STQ_SUBMIT);
      armed = true;
      const b = await send(h, IOCTL_STQ_SUBMIT);
      m.injector = null;
      seen.push(await result(h, b));
      await send(h, IOCTL_STQ_FINISH);
      seen.push(await result(h, a));
      await CloseHandle(h);
    });
    await m.run();
    expect(ext.cancels).to.deep.equal([{ irp: "irp#3", current: false, queued: true, cancelIrql: DISPATCH_LEVEL, lockHeld: true }]);
    expect(ext.started.map(label)).to.deep.equal(["irp#2"]);
    expect(seen).to.deep.equal([ERROR_OPERATION_ABORTED, true]);
  });

  it("a packet cancelled before IoStartPacket finds the device idle reaches StartIo with Irp->Cancel set and its cancel routine still in place (StartIo must check)", async () => {
    const m = newMachine();
    const { ext } = await loadStq(m);
    let armed = true;
    m.injector = (point) => {
      if (armed && point === "IoStartPacket") {
        armed = false;
        const irp = [...ioManager(m).liveIrps].find((i) => i.label === "irp#2");
        if (irp) injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
      }
    };
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      await send(h, IOCTL_STQ_SUBMIT);
      m.injector = null;
      await send(h, IOCTL_STQ_FINISH);
      await CloseHandle(h);
    });
    await m.run();
    expect(ext.started).to.deep.equal([{ irp: "irp#2", irql: DISPATCH_LEVEL, current: true, cancel: true, routineSet: true, lockHeld: false }]);
    expect(ext.cancels).to.deep.equal([]);
  });

  it("cancelling the current IRP calls its cancel routine with Irp == DeviceObject->CurrentIrp (KeRemoveEntryDeviceQueue would return FALSE); the driver completes it and starts the next", async () => {
    const m = newMachine();
    const { device, ext } = await loadStq(m);
    const seen: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      const a = await send(h, IOCTL_STQ_SUBMIT);
      const b = await send(h, IOCTL_STQ_SUBMIT);
      const entry = device.CurrentIrp?.Tail.Overlay.DeviceQueueEntry;
      seen.push(entry?.Inserted);
      seen.push(await CancelIoEx(h, a.ov), await result(h, a), device.CurrentIrp?.label);
      await send(h, IOCTL_STQ_FINISH);
      seen.push(await result(h, b));
      await CloseHandle(h);
    });
    await m.run();
    expect(ext.cancels).to.deep.equal([{ irp: "irp#2", current: true, queued: false, cancelIrql: 1, lockHeld: true }]);
    expect(ext.started.map(label)).to.deep.equal(["irp#2", "irp#3"]);
    expect(seen).to.deep.equal([false, true, ERROR_OPERATION_ABORTED, "irp#3", true]);
  });

  it("a process that dies with packets queued: thread rundown cancels every one, the queue ends empty and idle, the cancel spin lock is free and no IRP is left", async () => {
    const m = newMachine();
    const { device, ext } = await loadStq(m);
    const app = m.createProcess("app.exe", async () => {
      const h = await openStq();
      for (let i = 0; i < 4; i++) await send(h, IOCTL_STQ_SUBMIT);
      // Returning from main exits the process with four writes in flight.
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(app.state).to.equal("exited");
    // The thread's IRP list holds the newest first, as NT queues thread IRPs at the head.
    expect(ext.cancels.map((c) => `${c.irp}:${c.current ? "current" : c.queued ? "queued" : "gone"}`)).to.deep.equal(["irp#5:queued", "irp#4:queued", "irp#3:queued", "irp#2:current"]);
    expect(ext.started.map(label)).to.deep.equal(["irp#2"]);
    expect(ext.completed.map((c) => c.status)).to.deep.equal([STATUS_CANCELLED, STATUS_CANCELLED, STATUS_CANCELLED, STATUS_CANCELLED]);
    expect(device.DeviceQueue.Busy).to.equal(false);
    expect(device.CurrentIrp).to.equal(null);
    expect(ioManager(m).cancelSpinLock.owner).to.equal(null);
    expect(ioManager(m).liveIrps.size).to.equal(0);
  });

  it("Irp->Tail.Overlay.DeviceQueueEntry shares DriverContext's storage (made on first use) and CONTAINING_RECORD gives the IRP back", async () => {
    const m = newMachine();
    const { device } = await loadStq(m);
    const seen: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      await send(h, IOCTL_STQ_SUBMIT);
      const b = await send(h, IOCTL_STQ_SUBMIT);
      const queued = CONTAINING_RECORD(device.DeviceQueue.DeviceListHead.Flink);
      const irp = CONTAINING_RECORD(queued);
      seen.push(irp.label, irp.Tail.Overlay.DriverContext[0] === queued, irp.Tail.Overlay.DeviceQueueEntry === queued);
      await send(h, IOCTL_STQ_FINISH);
      await send(h, IOCTL_STQ_FINISH);
      seen.push(await result(h, b));
      await CloseHandle(h);
    });
    await m.run();
    expect(seen).to.deep.equal(["irp#3", true, true, true]);
  });

  it("an IRP that never meets a device queue carries no device-queue entry (DriverContext stays NULL)", async () => {
    const m = newMachine();
    await loadStq(m);
    const contexts: unknown[] = [];
    ioManager(m).hooks.push({
      beforeComplete(irp) {
        contexts.push(irp.DriverContext[0]);
      },
    });
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      await CloseHandle(h);
    });
    await m.run();
    expect(contexts.length).to.be.greaterThan(0);
    expect(contexts.every((c) => c === null)).to.equal(true);
  });

  it("an IRP handed out again from the lookaside list has DriverContext cleared, as IoInitializeIrp zeroes the IRP", async () => {
    const m = newMachine();
    await loadStq(m);
    const seen = new Set<IRP>();
    const handedOut: { recycled: boolean; context: unknown[] }[] = [];
    ioManager(m).hooks.push({
      irpAllocated(irp) {
        handedOut.push({ recycled: seen.has(irp), context: [...irp.DriverContext] });
        seen.add(irp);
      },
      beforeComplete(irp) {
        // What a driver leaves behind in the IRP it completes.
        irp.DriverContext[2] = "left over";
      },
    });
    m.createProcess("app.exe", async () => {
      for (let i = 0; i < 3; i++) {
        const h = await openStq();
        await CloseHandle(h);
      }
    });
    await m.run();
    expect(handedOut.some((h) => h.recycled)).to.equal(true);
    for (const h of handedOut) expect(h.context).to.deep.equal([null, null, null, null]);
  });

  it("IoStartNextPacket below DISPATCH_LEVEL is bug check 0xC4/0x20003 (the IrqlDispatch rule)", async () => {
    const m = newMachine();
    const { device } = await loadStq(m);
    m.createSystemThread("caller", () => {
      IoStartNextPacket(device, false);
    });
    const r = await m.run();
    expect(r.bugCheck?.code).to.equal(0xc4);
    expect(r.bugCheck?.parameters[0]).to.equal(0x20003);
    expect(r.bugCheck?.detail).to.include("IoStartNextPacket was called at PASSIVE_LEVEL");
  });

  it("IoStartPacket for a driver without a StartIo routine calls address 0 at DISPATCH_LEVEL: bug check 0xD1", async () => {
    const m = newMachine();
    await loadStq(m, { startIo: false });
    m.createProcess("app.exe", async () => {
      const h = await openStq();
      await send(h, IOCTL_STQ_SUBMIT);
    });
    const r = await m.run();
    expect(r.bugCheck?.code).to.equal(0xd1);
    expect(r.bugCheck?.parameters).to.deep.equal([0, DISPATCH_LEVEL, 8, 0]);
    expect(r.bugCheck?.detail).to.include("has no StartIo routine");
  });
});
