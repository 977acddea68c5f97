/**
 * A driver's bad arguments get NT's answer, never a JavaScript error: touching an IRP after
 * completing it (the verifier's finding, or the garbage Windows reads past the stack), a pointer
 * of the wrong type or NULL (the access violation its dereference raises), a timeout that is no
 * LARGE_INTEGER, an MDL probed twice.
 */
import { expect } from "chai";
import { BugCheckError } from "../../kernel/bugcheck.js";
import type { Machine } from "../../kernel/machine.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { invariantViolations } from "../../scenario/invariants.js";
import { attachVerifier } from "../../verifier/verifier.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine } from "../helpers.js";
import { IOCTL, loadKit, open, type Kit } from "./kit.js";

const CODE = IOCTL(1, wdm.METHOD_BUFFERED);

/** Loads a test driver whose DEVICE_CONTROL routine is `handler`, sends it one request, runs. */
async function sendOne(m: Machine, handler: wdm.DRIVER_DISPATCH): Promise<Kit> {
  const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: handler } });
  m.createProcess("app.exe", async () => {
    const h = await open(kit);
    const out = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
    await w.DeviceIoControl(h, CODE, out, 16, out, 100, 0, null);
    await w.CloseHandle(h);
  });
  try {
    await m.run();
  } catch (e) {
    if (!(e instanceof BugCheckError)) throw e;
  }
  return kit;
}

/** Completes the IRP, then reads its stack location (the bug of issue 18 C). */
function completeThenLook(seen: { length: number | null; major: number | null }): wdm.DRIVER_DISPATCH {
  return function BadDeviceControl(_d, Irp) {
    Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
    wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
    seen.length = sl.Parameters.DeviceIoControl.OutputBufferLength;
    seen.major = sl.MajorFunction;
    return wdm.STATUS_SUCCESS;
  };
}

describe("bad arguments get NT's answer, never a JavaScript error", () => {
  it("IoGetCurrentIrpStackLocation after IoCompleteRequest is the verifier's IrpUsedAfterRelease finding for a verified driver, not a RangeError turned into 0x1E", async () => {
    const m = newMachine();
    attachVerifier(m);
    const seen = { length: null as number | null, major: null as number | null };
    await sendOne(m, completeThenLook(seen));
    expect(m.halted).to.equal(null);
    expect(m.errors).to.deep.equal([]);
    const f = m.findings.find((x) => x.rule === "IrpUsedAfterRelease");
    expect(f?.message).to.include("IoGetCurrentIrpStackLocation").and.match(/after (completing it|it was completed)/);
    // The location past the stack reads as zeroed memory.
    expect(seen).to.deep.equal({ length: 0, major: 0 });
  });

  it("unverified, IoGetCurrentIrpStackLocation after completion returns the location past the IRP's stack, which reads as zeroed memory (as the bytes after a Windows IRP read as whatever is there)", async () => {
    const m = newMachine();
    const seen = { length: null as number | null, major: null as number | null };
    await sendOne(m, completeThenLook(seen));
    expect(m.halted).to.equal(null);
    expect(m.errors).to.deep.equal([]);
    expect(seen).to.deep.equal({ length: 0, major: 0 });
  });

  it("IoGetNextIrpStackLocation of a request at the bottom of its stack returns the location before it, and IoCallDriver of it is NO_MORE_IRP_STACK_LOCATIONS (0x35)", async () => {
    const m = newMachine();
    await sendOne(m, function LowDeviceControl(DeviceObject, Irp) {
      const next = wdm.IoGetNextIrpStackLocation(Irp);
      next.MajorFunction = wdm.IRP_MJ_DEVICE_CONTROL;
      return wdm.IoCallDriver(DeviceObject, Irp);
    });
    expect(m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record.code : null).to.equal(0x35);
  });

  it("IoCallDriver of a completed IRP (verified: not recycled) raises STATUS_ACCESS_VIOLATION, which the driver's __try can handle", async () => {
    const m = newMachine();
    attachVerifier(m);
    let caught: unknown = null;
    await sendOne(m, function CompleteThenSend(DeviceObject, Irp) {
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      try {
        void wdm.IoCallDriver(DeviceObject, Irp);
      } catch (e) {
        caught = e;
      }
      return wdm.STATUS_SUCCESS;
    });
    expect(m.halted).to.equal(null);
    expect(caught).to.be.instanceOf(NtStatusError);
    expect((caught as NtStatusError).status).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });

  it("a pointer of the wrong type (IoCompleteRequest of a KEVENT) or NULL is the access violation its dereference raises: unhandled, KMODE_EXCEPTION_NOT_HANDLED (0x1E) with P1 = STATUS_ACCESS_VIOLATION and the argument named", async () => {
    for (const bad of [new wdm.KEVENT(), null, undefined, 0x1234]) {
      const m = newMachine();
      await sendOne(m, function WrongType() {
        wdm.IoCompleteRequest(bad as unknown as wdm.IRP, wdm.IO_NO_INCREMENT);
        return wdm.STATUS_SUCCESS;
      });
      const bc = m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record : null;
      expect(bc?.code, typeof bad).to.equal(0x1e);
      expect(bc?.parameters[0]).to.equal(wdm.STATUS_ACCESS_VIOLATION);
      expect(bc?.detail).to.include("IoCompleteRequest was passed").and.include("as Irp, which must be an IRP");
    }
  });

  it("a wait whose timeout is no LARGE_INTEGER (NaN, an object) raises STATUS_ACCESS_VIOLATION instead of stalling the clock", async () => {
    const m = newMachine();
    const statuses: number[] = [];
    await sendOne(m, function BadTimeout() {
      const ev = new wdm.KEVENT();
      wdm.KeInitializeEvent(ev, wdm.EVENT_TYPE.NotificationEvent, false);
      for (const timeout of [NaN, {} as unknown as number]) {
        wdm.KeWaitForSingleObject(ev, 0, wdm.KernelMode, false, timeout).catch((e: unknown) => {
          if (e instanceof NtStatusError) statuses.push(e.status);
        });
      }
      return wdm.STATUS_SUCCESS;
    });
    expect(statuses).to.deep.equal([wdm.STATUS_ACCESS_VIOLATION, wdm.STATUS_ACCESS_VIOLATION]);
    expect(m.halted).to.equal(null);
  });

  it("MmProbeAndLockPages on an MDL whose pages are already locked is Driver Verifier's 0xC4/0xB0 (the MDL has incorrect flags), not a second lock that leaks the first", async () => {
    const m = newMachine();
    await sendOne(m, function LockTwice(_d, Irp) {
      const p = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Lock");
      const mdl = wdm.IoAllocateMdl(p, 64, false, false, null);
      if (!mdl) return wdm.STATUS_INSUFFICIENT_RESOURCES;
      wdm.MmProbeAndLockPages(mdl, wdm.KernelMode, wdm.IoReadAccess);
      wdm.MmProbeAndLockPages(mdl, wdm.KernelMode, wdm.IoReadAccess);
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    });
    const bc = m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record : null;
    expect(bc?.code).to.equal(0xc4);
    expect(bc?.parameters[0]).to.equal(0xb0);
    expect(bc?.parameters[3]).to.equal(wdm.MDL_PAGES_LOCKED);
  });

  it("an MDL freed while its pages are locked keeps them locked (as on Windows) and the machine's accounting still adds up", async () => {
    const m = newMachine();
    await sendOne(m, function FreeLocked(_d, Irp) {
      const p = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Lock");
      const mdl = wdm.IoAllocateMdl(p, 64, false, false, null);
      if (!mdl) return wdm.STATUS_INSUFFICIENT_RESOURCES;
      wdm.MmProbeAndLockPages(mdl, wdm.KernelMode, wdm.IoReadAccess);
      wdm.IoFreeMdl(mdl);
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    });
    expect(m.halted).to.equal(null);
    expect(m.io?.abandonedLocks.size).to.equal(1);
    expect(m.physical.lockedFrames().length).to.equal(1);
  });
  it("an IRP's locked user MDL described anew over pool and locked there belongs to no process (MmProbeAndLockPages sets Process to NULL for a system address): the app's locked-page count stays its own", async () => {
    const m = newMachine();
    let pool = 0;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: function Redescribe(_d, Irp) {
          const mdl = Irp.MdlAddress;
          if (!mdl) return wdm.STATUS_INVALID_PARAMETER;
          pool = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Lock");
          wdm.MmInitializeMdl(mdl, pool, 64);
          wdm.MmProbeAndLockPages(mdl, wdm.KernelMode, wdm.IoWriteAccess);
          expect(mdl.Process).to.equal(null);
          Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
          wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
          return wdm.STATUS_SUCCESS;
        },
      },
    });
    let lockedWhileOpen = -1;
    m.createProcess("app.exe", async () => {
      const h = await open(kit);
      const out = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      await w.DeviceIoControl(h, IOCTL(2, wdm.METHOD_OUT_DIRECT), 0, 0, out, 100, 0, null);
      lockedWhileOpen = m.processes.find((p) => p.name === "app.exe")?.lockedPages ?? -1;
      await w.CloseHandle(h);
    });
    try {
      await m.run();
    } catch (e) {
      if (!(e instanceof BugCheckError)) throw e;
    }
    expect(pool).to.not.equal(0);
    // The user page the I/O manager locked was abandoned, still locked, when the MDL was
    // described anew (a leak, as on Windows): the app's count is that page, not the pool page,
    // and its exit is PROCESS_HAS_LOCKED_PAGES with one page.
    expect(lockedWhileOpen).to.equal(1);
    const bc = m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record : null;
    expect(bc?.code).to.equal(0x76);
    expect(bc?.parameters[2]).to.equal(1);
    expect(invariantViolations(m)).to.deep.equal([]);
  });
});
