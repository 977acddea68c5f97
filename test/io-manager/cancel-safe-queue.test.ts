import { expect } from "chai";
import { loadDriver } from "../../index.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { injectCancel } from "../../io-manager/inject.js";
import {
  CONTAINING_RECORD,
  CTL_CODE,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_CSQ,
  IO_CSQ_IRP_CONTEXT,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoCsqInitialize,
  IoCsqInitializeEx,
  IoCsqInsertIrp,
  IoCsqInsertIrpEx,
  IoCsqRemoveIrp,
  IoCsqRemoveNextIrp,
  IoGetCurrentIrpStackLocation,
  InitializeListHead,
  InsertTailList,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KeAcquireSpinLock,
  KeReleaseSpinLock,
  KSPIN_LOCK,
  LIST_ENTRY,
  METHOD_BUFFERED,
  RemoveEntryList,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type DRIVER_OBJECT,
  type NTSTATUS,
} from "../../wdm.js";
import {
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  ERROR_IO_PENDING,
  ERROR_OPERATION_ABORTED,
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
} from "../../win32/index.js";
import { newMachine } from "../helpers.js";

const IOCTL_QUEUE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x820, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_QUEUE_WITH_CONTEXT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x821, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_POP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x822, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_REMOVE_BY_CONTEXT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x823, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** A driver whose pended IRPs live in a cancel-safe queue (it writes no cancel routine). */
class CsqExt {
  readonly Lock = new KSPIN_LOCK("CsqLock");
  readonly Queue = new LIST_ENTRY<IRP>();
  readonly Csq = new IO_CSQ();
  readonly Context = new IO_CSQ_IRP_CONTEXT();
  readonly completedCancelled: string[] = [];
  popped: string | null = null;
  removed: string | null = "unset";
  /** IoCsqInitializeEx's insert refuses when the queue holds this many. */
  limit = Infinity;
}

function complete(Irp: IRP, status: NTSTATUS, info = 0): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = info;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

function makeCsqDriver(made: { ext?: CsqExt }, useEx: boolean) {
  return function CsqDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const e = new CsqExt();
    made.ext = e;
    InitializeListHead(e.Queue);
    const insert = (_c: IO_CSQ, Irp: IRP) => {
      InsertTailList(e.Queue, Irp.Tail.Overlay.ListEntry);
    };
    const remove = (_c: IO_CSQ, Irp: IRP) => {
      RemoveEntryList(Irp.Tail.Overlay.ListEntry);
    };
    const peek = (_c: IO_CSQ, Irp: IRP | null) => {
      const next = Irp ? Irp.Tail.Overlay.ListEntry.Flink : e.Queue.Flink;
      return next === e.Queue ? null : CONTAINING_RECORD(next);
    };
    const acquire = () => KeAcquireSpinLock(e.Lock);
    const release = (_c: IO_CSQ, irql: number) => {
      KeReleaseSpinLock(e.Lock, irql);
    };
    const cancelled = (_c: IO_CSQ, Irp: IRP) => {
      e.completedCancelled.push(Irp.label);
      complete(Irp, STATUS_CANCELLED);
    };
    if (useEx) {
      IoCsqInitializeEx(e.Csq, (_c, Irp) => {
        let n = 0;
        for (let x = e.Queue.Flink; x !== e.Queue; x = x.Flink) n++;
        if (n >= e.limit) return STATUS_DEVICE_BUSY;
        insert(_c, Irp);
        return STATUS_SUCCESS;
      }, remove, peek, acquire, release, cancelled);
    } else {
      IoCsqInitialize(e.Csq, insert, remove, peek, acquire, release, cancelled);
    }
    IoCreateDevice(DriverObject, e, "\\Device\\Csq", FILE_DEVICE_UNKNOWN, 0, false);
    IoCreateSymbolicLink("\\DosDevices\\Csq", "\\Device\\Csq");
    const ok: DRIVER_DISPATCH = function CsqCreateClose(_d, Irp) {
      return complete(Irp, STATUS_SUCCESS);
    };
    const control: DRIVER_DISPATCH = function CsqDeviceControl(_d, Irp) {
      switch (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_QUEUE: {
          if (useEx) {
            const st = IoCsqInsertIrpEx(e.Csq, Irp, null, null);
            return st === STATUS_SUCCESS ? STATUS_PENDING : complete(Irp, st);
          }
          IoCsqInsertIrp(e.Csq, Irp, null);
          return STATUS_PENDING;
        }
        case IOCTL_QUEUE_WITH_CONTEXT:
          IoCsqInsertIrp(e.Csq, Irp, e.Context);
          return STATUS_PENDING;
        case IOCTL_POP: {
          const next = IoCsqRemoveNextIrp(e.Csq, null);
          e.popped = next ? next.label : null;
          if (next) complete(next, STATUS_SUCCESS);
          return complete(Irp, STATUS_SUCCESS);
        }
        case IOCTL_REMOVE_BY_CONTEXT: {
          const irp = IoCsqRemoveIrp(e.Csq, e.Context);
          e.removed = irp ? irp.label : null;
          if (irp) complete(irp, STATUS_SUCCESS);
          return complete(Irp, STATUS_SUCCESS);
        }
        default:
          return complete(Irp, 0xc0000010);
      }
    };
    const cleanup: DRIVER_DISPATCH = function CsqCleanup(_d, Irp) {
      for (let irp = IoCsqRemoveNextIrp(e.Csq, null); irp; irp = IoCsqRemoveNextIrp(e.Csq, null)) complete(irp, STATUS_CANCELLED);
      return complete(Irp, STATUS_SUCCESS);
    };
    DriverObject.MajorFunction[IRP_MJ_CREATE] = ok;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = ok;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = cleanup;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = control;
    return STATUS_SUCCESS;
  };
}

async function setup(useEx = false) {
  const m = newMachine();
  const made: { ext?: CsqExt } = {};
  await loadDriver(m, "Csq", makeCsqDriver(made, useEx));
  if (!made.ext) throw new Error("no extension");
  return { m, ext: made.ext };
}

async function send(h: number, code: number): Promise<{ ov: OVERLAPPED; ok: boolean; err: number; bytes: number }> {
  const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
  ov.hEvent = CreateEvent(null, true, false, null);
  const bytes = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
  const ok = await DeviceIoControl(h, code, 0, 0, 0, 0, bytes, ov);
  return { ov, ok, err: ok ? 0 : GetLastError(), bytes };
}

describe("io-manager: cancel-safe queues (IoCsq*)", () => {
  it("IoCsqInsertIrp marks the IRP pending and IoCsqRemoveNextIrp hands queued IRPs back in order", async () => {
    const { m, ext } = await setup();
    const out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await CreateFile("\\\\.\\Csq", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
      const a = await send(h, IOCTL_QUEUE);
      const b = await send(h, IOCTL_QUEUE);
      out.push(a.err, b.err);
      await send(h, IOCTL_POP);
      out.push(ext.popped, a.ov.Internal, b.ov.Internal);
      await send(h, IOCTL_POP);
      out.push(ext.popped, b.ov.Internal);
      await send(h, IOCTL_POP);
      out.push(ext.popped);
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([ERROR_IO_PENDING, ERROR_IO_PENDING, "irp#2", STATUS_SUCCESS, STATUS_PENDING, "irp#3", STATUS_SUCCESS, null]);
  });

  it("a queued IRP that is cancelled is removed under the queue's lock and CsqCompleteCanceledIrp completes it", async () => {
    const { m, ext } = await setup();
    const out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await CreateFile("\\\\.\\Csq", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
      const a = await send(h, IOCTL_QUEUE);
      await CancelIoEx(h, a.ov);
      const ok = await GetOverlappedResult(h, a.ov, a.bytes, true);
      out.push(ext.completedCancelled.length, ok, GetLastError());
      await send(h, IOCTL_POP);
      out.push(ext.popped);
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([1, false, ERROR_OPERATION_ABORTED, null]);
  });

  it("an IRP cancelled while it is being inserted is taken back out and completed as cancelled by the queue itself", async () => {
    const { m, ext } = await setup();
    m.injector = (point) => {
      // The cancel lands inside IoCsqInsertIrp, after the routine is set and before the Cancel check.
      if (point === "IoSetCancelRoutine/return") {
        const irp = [...ioManager(m).liveIrps].find((i) => i.CancelRoutine !== null && !i.Cancel);
        if (irp) injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
      }
    };
    const out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await CreateFile("\\\\.\\Csq", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
      const a = await send(h, IOCTL_QUEUE);
      m.injector = null;
      const ok = await GetOverlappedResult(h, a.ov, a.bytes, true);
      out.push(a.err, ok, GetLastError(), ext.completedCancelled.length);
      await send(h, IOCTL_POP);
      out.push(ext.popped);
      await CloseHandle(h);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(out).to.deep.equal([ERROR_IO_PENDING, false, ERROR_OPERATION_ABORTED, 1, null]);
  });

  it("IoCsqRemoveIrp with a context removes that IRP, and returns NULL once the IRP has been cancelled", async () => {
    const { m, ext } = await setup();
    const out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await CreateFile("\\\\.\\Csq", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
      await send(h, IOCTL_QUEUE_WITH_CONTEXT);
      await send(h, IOCTL_REMOVE_BY_CONTEXT);
      out.push(ext.removed);
      const b = await send(h, IOCTL_QUEUE_WITH_CONTEXT);
      await CancelIoEx(h, b.ov);
      await send(h, IOCTL_REMOVE_BY_CONTEXT);
      out.push(ext.removed, ext.Context.Irp);
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal(["irp#2", null, null]);
  });

  it("IoCsqInsertIrpEx returns the insert routine's failure and leaves the IRP unqueued for the driver to complete (STATUS_DEVICE_BUSY is a warning, so the OVERLAPPED still receives it)", async () => {
    const { m, ext } = await setup(true);
    ext.limit = 1;
    const out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await CreateFile("\\\\.\\Csq", GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
      const a = await send(h, IOCTL_QUEUE);
      const b = await send(h, IOCTL_QUEUE);
      out.push(a.err, b.ok, b.err, b.ov.Internal);
      await CloseHandle(h);
      out.push(a.ov.Internal);
    });
    await m.run();
    expect(out).to.deep.equal([ERROR_IO_PENDING, false, 170, STATUS_DEVICE_BUSY, STATUS_CANCELLED]);
  });
});
