import { expect } from "chai";
import { loadDriver } from "../../index.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { injectCancel } from "../../io-manager/inject.js";
import type { Machine } from "../../kernel/machine.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../kernel/irql.js";
import {
  FILE_DEVICE_UNKNOWN,
  IoCancelIrp,
  IoCreateDevice,
  IoSetCancelRoutine,
  KeGetCurrentIrql,
  STATUS_CANCELLED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  IoReleaseCancelSpinLock,
  type DRIVER_CANCEL,
  type DRIVER_OBJECT,
} from "../../wdm.js";
import {
  CancelIo,
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  CreateThread,
  DeviceIoControl,
  DuplicateHandle,
  ERROR_IO_PENDING,
  ERROR_NOT_FOUND,
  ERROR_OPERATION_ABORTED,
  ExitThread,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetCurrentProcess,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INFINITE,
  OPEN_EXISTING,
  OVERLAPPED,
  SIZEOF_OVERLAPPED,
  Sleep,
  VirtualAlloc,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_READWRITE,
  WaitForSingleObject,
  readU32,
} from "../../win32/index.js";
import { IOCTL_COMPLETE_ALL, IOCTL_LOCK_USER_BUFFER, IOCTL_PEND, IOCTL_PEND_UNDER_CANCEL_LOCK, makePender, queued, type PenderExt } from "./pender-driver.js";
import { newMachine } from "../helpers.js";
import { IoAllocateIrp, IoFreeIrp } from "../../io-manager/irp-alloc.js";

/** IRP allocation for the driver-side tests. */
const ioOps = { IoAllocateIrp, IoFreeIrp };

/** An overlapped request in flight: its OVERLAPPED and event. */
interface Pending {
  ov: OVERLAPPED;
  bytes: number;
}

async function openOverlapped(name: string): Promise<number> {
  return CreateFile(`\\\\.\\${name}`, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
}

async function issue(h: number, code: number): Promise<Pending> {
  const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
  ov.hEvent = CreateEvent(null, true, false, null);
  const bytes = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
  const ok = await DeviceIoControl(h, code, 0, 0, 0, 0, bytes, ov);
  if (ok || GetLastError() !== ERROR_IO_PENDING) throw new Error(`expected ERROR_IO_PENDING, got ${ok ? "TRUE" : GetLastError()}`);
  return { ov, bytes };
}

async function result(h: number, p: Pending, wait: boolean): Promise<[boolean, number]> {
  const ok = await GetOverlappedResult(h, p.ov, p.bytes, wait);
  return [ok, ok ? 0 : GetLastError()];
}

async function withPender(name = "Pender"): Promise<{ m: Machine; ext: PenderExt }> {
  const m = newMachine();
  const made: { ext?: PenderExt } = {};
  await loadDriver(m, name, makePender(name, made));
  if (!made.ext) throw new Error("no extension");
  return { m, ext: made.ext };
}

describe("io-manager: cancellation, cleanup and rundown", () => {
  it("IoSetCancelRoutine is an atomic exchange that returns the previous routine", async () => {
    const m = newMachine();
    const seen: (string | null)[] = [];
    const R1: DRIVER_CANCEL = function R1() {
      /* not called */
    };
    const R2: DRIVER_CANCEL = function R2() {
      /* not called */
    };
    await loadDriver(m, "X", (DriverObject: DRIVER_OBJECT) => {
      const { IoAllocateIrp, IoFreeIrp } = ioOps;
      const irp = IoAllocateIrp(1, false);
      if (!irp) return 1;
      seen.push(IoSetCancelRoutine(irp, R1)?.name ?? null);
      seen.push(IoSetCancelRoutine(irp, R2)?.name ?? null);
      seen.push(IoSetCancelRoutine(irp, null)?.name ?? null);
      seen.push(IoSetCancelRoutine(irp, null)?.name ?? null);
      IoFreeIrp(irp);
      return DriverObject.DeviceObject === null ? STATUS_SUCCESS : STATUS_SUCCESS;
    });
    expect(seen).to.deep.equal([null, "R1", "R2", null]);
  });

  it("IoCancelIrp calls the cancel routine with the cancel spin lock held and Irp.CancelIrql set, and returns TRUE; with no routine it only marks the IRP", async () => {
    const m = newMachine();
    const facts: unknown[] = [];
    await loadDriver(m, "X", () => {
      const { IoAllocateIrp, IoFreeIrp } = ioOps;
      const irp = IoAllocateIrp(1, false);
      if (!irp) return 1;
      const Routine: DRIVER_CANCEL = function Routine(_d, Irp) {
        facts.push(ioManager(m).cancelSpinLock.owner === m.currentThread(), KeGetCurrentIrql(), Irp.CancelIrql, Irp.Cancel, Irp.CancelRoutine);
        IoReleaseCancelSpinLock(Irp.CancelIrql);
      };
      // A routine needs a device at the current location: fake a dispatched IRP.
      irp.CurrentLocation = 1;
      const { DeviceObject } = IoCreateDevice(m.io?.drivers.get("x") ?? (null as never), null, null, FILE_DEVICE_UNKNOWN, 0, false);
      const sl = irp.Stack[0];
      if (sl) sl.DeviceObject = DeviceObject;
      IoSetCancelRoutine(irp, Routine);
      facts.push(IoCancelIrp(irp), KeGetCurrentIrql());
      facts.push(IoCancelIrp(irp), irp.Cancel);
      irp.CurrentLocation = 2;
      IoFreeIrp(irp);
      return STATUS_SUCCESS;
    });
    expect(facts).to.deep.equal([true, DISPATCH_LEVEL, PASSIVE_LEVEL, true, null, true, PASSIVE_LEVEL, false, true]);
  });

  it("CancelIo cancels the calling thread's requests on the handle and returns when they have completed; the app sees ERROR_OPERATION_ABORTED", async () => {
    const { m, ext } = await withPender();
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      const p = await issue(h, IOCTL_PEND);
      const queuedBefore = queued(ext);
      const ok = await CancelIo(h);
      const internal = p.ov.Internal;
      out = [queuedBefore, ok, internal, ...(await result(h, p, false))];
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([1, true, STATUS_CANCELLED, false, ERROR_OPERATION_ABORTED]);
  });

  it("CancelIo from a thread that did not issue the request cancels nothing", async () => {
    const { m, ext } = await withPender();
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      const p = await issue(h, IOCTL_PEND);
      let otherOk = false;
      const th = CreateThread(null, 0, async () => {
        otherOk = await CancelIo(h);
      }, null, 0, 0);
      await WaitForSingleObject(th, INFINITE);
      const still = [queued(ext), p.ov.Internal];
      await CancelIo(h);
      out = [otherOk, ...still, p.ov.Internal];
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([true, 1, STATUS_PENDING, STATUS_CANCELLED]);
  });

  it("CancelIoEx cancels the one request issued with an OVERLAPPED, from any thread of the process, without waiting", async () => {
    const { m, ext } = await withPender();
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      const a = await issue(h, IOCTL_PEND);
      const b = await issue(h, IOCTL_PEND);
      let ok = false;
      const th = CreateThread(null, 0, async () => {
        ok = await CancelIoEx(h, a.ov);
      }, null, 0, 0);
      await WaitForSingleObject(th, INFINITE);
      out = [ok, a.ov.Internal, b.ov.Internal, queued(ext), ...(await result(h, a, true))];
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([true, STATUS_CANCELLED, STATUS_PENDING, 1, false, ERROR_OPERATION_ABORTED]);
  });

  it("CancelIoEx with NULL cancels every request on the handle; with nothing to cancel it fails with ERROR_NOT_FOUND", async () => {
    const { m } = await withPender();
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      const a = await issue(h, IOCTL_PEND);
      const b = await issue(h, IOCTL_PEND);
      const all = await CancelIoEx(h, null);
      const again = await CancelIoEx(h, null);
      const err = GetLastError();
      out = [all, a.ov.Internal, b.ov.Internal, again, err];
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([true, STATUS_CANCELLED, STATUS_CANCELLED, false, ERROR_NOT_FOUND]);
  });

  it("closing one of two handles to the same file object sends no IRP_MJ_CLEANUP; closing the last sends cleanup, then close", async () => {
    const { m, ext } = await withPender();
    const counts: number[][] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      const dup = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
      await DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), dup, 0, false, 2);
      const h2 = readU32(dup);
      counts.push([ext.creates, ext.cleanups, ext.closes]);
      await CloseHandle(h);
      counts.push([ext.creates, ext.cleanups, ext.closes]);
      await CloseHandle(h2);
      counts.push([ext.creates, ext.cleanups, ext.closes]);
    });
    await m.run();
    expect(counts).to.deep.equal([
      [1, 0, 0],
      [1, 0, 0],
      [1, 1, 1],
    ]);
  });

  it("CloseHandle with a request pended: IRP_MJ_CLEANUP reaches the driver, and IRP_MJ_CLOSE waits for the last reference (the IRP) to go", async () => {
    const { m, ext } = await withPender();
    ext.cleanupCompletes = false;
    const log: string[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      const h2 = await openOverlapped("Pender");
      await issue(h, IOCTL_PEND);
      await CloseHandle(h);
      log.push(`after close: cleanup ${ext.cleanups}, close ${ext.closes}, queued ${queued(ext)}`);
      // Another handle completes the orphaned request; the file's last reference goes with it.
      const bytes = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
      const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov.hEvent = CreateEvent(null, true, false, null);
      await DeviceIoControl(h2, IOCTL_COMPLETE_ALL, 0, 0, 0, 0, bytes, ov);
      await Sleep(1);
      log.push(`after completion: close ${ext.closes}`);
      await CloseHandle(h2);
    });
    await m.run();
    expect(log).to.deep.equal(["after close: cleanup 1, close 0, queued 1", "after completion: close 1"]);
  });

  it("a thread that exits cancels each IRP it issued and waits for it before it is gone", async () => {
    const { m, ext } = await withPender();
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      let p: Pending | null = null;
      const th = CreateThread(null, 0, async () => {
        p = await issue(h, IOCTL_PEND);
        await ExitThread(0);
      }, null, 0, 0);
      await WaitForSingleObject(th, INFINITE);
      const pending = p as Pending | null;
      out = [ext.cancelled.length, pending ? pending.ov.Internal : -1, queued(ext)];
      await CloseHandle(h);
    });
    await m.run();
    expect(out).to.deep.equal([1, STATUS_CANCELLED, 0]);
  });

  it("thread rundown cancels the IRPs in place on the thread's list at APC_LEVEL; a cancel routine that wrongly lowers the IRQL to PASSIVE_LEVEL lets completions empty the list under the walk, which starts again and still cancels every IRP once", async () => {
    const { m, ext } = await withPender();
    // The first cancel routine completes every queued IRP, and at PASSIVE_LEVEL their second stages
    // run at once: the IRP after it in the walk is gone before the walk reaches it.
    ext.cancelReleasesTo = PASSIVE_LEVEL;
    ext.cancelFlushesQueue = true;
    let issued = 0;
    const app = m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      for (let i = 0; i < 4; i++) {
        await issue(h, IOCTL_PEND);
        issued++;
      }
      await Sleep(INFINITE);
    });
    m.after(5, "app dies", () => {
      app.kill(3);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(issued).to.equal(4);
    expect(ext.cancelled).to.have.length(4);
    expect(new Set(ext.cancelled).size).to.equal(4);
    expect(app.state).to.equal("exited");
    expect(ioManager(m).liveIrps.size).to.equal(0);
  });

  it("process death with IRPs on several threads and several devices: every IRP is cancelled and completed, then the handles close, and nothing stays locked", async () => {
    const m = newMachine();
    const a: { ext?: PenderExt } = {};
    const b: { ext?: PenderExt } = {};
    await loadDriver(m, "PenderA", makePender("PenderA", a));
    await loadDriver(m, "PenderB", makePender("PenderB", b));
    let issued = 0;
    const app = m.createProcess("app.exe", async () => {
      const ha = await openOverlapped("PenderA");
      const hb = await openOverlapped("PenderB");
      for (let i = 0; i < 3; i++) {
        CreateThread(null, 0, async () => {
          await issue(ha, IOCTL_PEND);
          await issue(hb, IOCTL_PEND_UNDER_CANCEL_LOCK);
          issued += 2;
          await Sleep(INFINITE);
        }, null, 0, 0);
      }
      await Sleep(INFINITE);
    });
    m.after(5, "app dies", () => {
      app.kill(9);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(issued).to.equal(6);
    expect(a.ext?.cancelled.length).to.equal(3);
    expect(b.ext?.cancelled.length).to.equal(3);
    expect([a.ext?.cleanups, a.ext?.closes, b.ext?.cleanups, b.ext?.closes]).to.deep.equal([1, 1, 1, 1]);
    expect(app.state).to.equal("exited");
    expect(app.exitStatus).to.equal(9);
    expect(ioManager(m).liveIrps.size).to.equal(0);
  });

  it("a process that exits with pages still locked is PROCESS_HAS_LOCKED_PAGES (0x76) with P1 0, P2 the process, P3 the page count", async () => {
    const { m } = await withPender();
    const app = m.createProcess("app.exe", async () => {
      const h = await CreateFile("\\\\.\\Pender", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
      const buf = VirtualAlloc(0, 8192, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      await DeviceIoControl(h, IOCTL_LOCK_USER_BUFFER, 0, 0, buf, 8192, 0, null);
    });
    const r = await m.run();
    expect(r.bugCheck?.name).to.equal("PROCESS_HAS_LOCKED_PAGES");
    expect(r.bugCheck?.parameters).to.deep.equal([0, app.objectId, 2, 0]);
  });

  it("a cancel arriving between IoSetCancelRoutine and the driver's check of Irp.Cancel: the routine is taken at once and runs when the driver drops its lock; the IRP completes once, cancelled", async () => {
    const { m, ext } = await withPender();
    let armed = false;
    m.injector = (point) => {
      if (armed && point === "IoSetCancelRoutine/return") {
        armed = false;
        const irp = [...ioManager(m).liveIrps].find((i) => i.CancelRoutine !== null);
        if (irp) injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
      }
    };
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      armed = true;
      const p = await issue(h, IOCTL_PEND);
      out = [ext.cancelled.length, queued(ext), ...(await result(h, p, true))];
      await CloseHandle(h);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(out).to.deep.equal([1, 0, false, ERROR_OPERATION_ABORTED]);
  });

  it("a cancel arriving while the driver holds the cancel spin lock waits for the lock, then takes the routine and runs it", async () => {
    const { m, ext } = await withPender();
    let armed = false;
    const { events, stop } = m.trace.record();
    m.injector = (point) => {
      if (armed && point === "IoSetCancelRoutine/return") {
        armed = false;
        const irp = [...ioManager(m).liveIrps].find((i) => i.CancelRoutine !== null);
        if (irp) injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
      }
    };
    let out: unknown[] = [];
    m.createProcess("app.exe", async () => {
      const h = await openOverlapped("Pender");
      armed = true;
      const p = await issue(h, IOCTL_PEND_UNDER_CANCEL_LOCK);
      out = [ext.cancelled.length, ...(await result(h, p, true))];
      await CloseHandle(h);
    });
    await m.run();
    stop();
    expect(out).to.deep.equal([1, false, ERROR_OPERATION_ABORTED]);
    // The cancel took effect only after the driver released the cancel spin lock.
    const kinds: string[] = [];
    for (const e of events) {
      if (e.kind === "IrpCancel") kinds.push(`cancel ${e.routine}`);
      else if (e.kind === "SpinLockReleased") kinds.push(`release ${e.lock}`);
    }
    const firstRelease = kinds.indexOf("release IoCancelSpinLock");
    const cancel = kinds.indexOf("cancel PenderCancel");
    expect(firstRelease).to.be.greaterThan(-1);
    expect(cancel).to.be.greaterThan(firstRelease);
  });
});

