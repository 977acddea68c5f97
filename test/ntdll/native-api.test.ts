/**
 * irpsim/ntdll: the NTSTATUS an app really receives from the native API, and the IO_STATUS_BLOCK
 * completion writes.
 */
import { expect } from "chai";
import * as nt from "../../ntdll/index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { IOCTL, alloc, complete, completeFromTimerDpc, loadKit, type Kit } from "../io-manager/kit.js";

const name = (s: number) => nt.ntStatusName(s);

/** Opens the kit's device with NtCreateFile; returns [status, handle, iosb]. */
async function ntOpen(kit: Kit, options: number, access = nt.GENERIC_READ | nt.GENERIC_WRITE | nt.SYNCHRONIZE): Promise<{ status: number; handle: number; iosb: number }> {
  const mem = alloc();
  const oa = new nt.OBJECT_ATTRIBUTES();
  const us = new nt.UNICODE_STRING();
  nt.RtlInitUnicodeString(us, `\\??\\${kit.path.slice(4)}`);
  nt.InitializeObjectAttributes(oa, us, nt.OBJ_CASE_INSENSITIVE, 0, null);
  const status = await nt.NtCreateFile(mem, access, oa, mem + 8, null, 0, 0, nt.FILE_OPEN, options, 0, 0);
  return { status, handle: w.readU32(mem), iosb: mem + 8 };
}

describe("ntdll: the native API returns the NTSTATUS itself", () => {
  it("NtCreateFile opens a device named in OBJECT_ATTRIBUTES and reports the driver's status and Information in the IO_STATUS_BLOCK", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_CREATE]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS, nt.FILE_OPENED),
      },
    });
    const r = await runApp(m, async () => {
      const o = await ntOpen(kit, nt.FILE_SYNCHRONOUS_IO_NONALERT);
      const iosb = nt.IO_STATUS_BLOCK.read(o.iosb);
      return [name(o.status), o.handle !== 0, name(iosb.Status), iosb.Information];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", true, "STATUS_SUCCESS", nt.FILE_OPENED]);
  });

  it("NtCreateFile's bad input gets NT's statuses: a missing name, an empty name, a relative name, a disposition past FILE_OVERWRITE_IF, both synchronous options, a synchronous option without SYNCHRONIZE, a bad handle pointer", async () => {
    const m = newMachine();
    const kit = await loadKit(m);
    const r = await runApp(m, async () => {
      const mem = alloc();
      const open = async (text: string | null, disposition = nt.FILE_OPEN, options: number = nt.FILE_SYNCHRONOUS_IO_NONALERT, access: number = nt.GENERIC_READ | nt.SYNCHRONIZE, out = mem) => {
        const oa = new nt.OBJECT_ATTRIBUTES();
        const us = new nt.UNICODE_STRING();
        nt.RtlInitUnicodeString(us, text);
        nt.InitializeObjectAttributes(oa, text === null ? null : us, 0, 0, null);
        return name(await nt.NtCreateFile(out, access, oa, mem + 8, null, 0, 0, disposition, options, 0, 0));
      };
      return [
        await open("\\??\\NoSuchDevice"),
        await open(null),
        await open("IoTest"),
        await open(`\\??\\IoTest`, 6),
        await open(`\\??\\IoTest`, nt.FILE_OPEN, nt.FILE_SYNCHRONOUS_IO_ALERT | nt.FILE_SYNCHRONOUS_IO_NONALERT),
        await open(`\\??\\IoTest`, nt.FILE_OPEN, nt.FILE_SYNCHRONOUS_IO_NONALERT, nt.GENERIC_READ),
        await open(`\\??\\IoTest`, nt.FILE_OPEN, 0, nt.GENERIC_READ, 0x80001000),
        kit.received.length,
      ];
    });
    expect(ok(r)).to.deep.equal([
      "STATUS_OBJECT_NAME_NOT_FOUND",
      "STATUS_OBJECT_NAME_INVALID",
      "STATUS_OBJECT_PATH_SYNTAX_BAD",
      "STATUS_INVALID_PARAMETER",
      "STATUS_INVALID_PARAMETER",
      "STATUS_INVALID_PARAMETER",
      "STATUS_ACCESS_VIOLATION",
      0,
    ]);
  });

  it("the driver sees NtCreateFile's disposition in Parameters.Create.Options' high byte and the create options in its low 24 bits", async () => {
    const m = newMachine();
    const seen: number[] = [];
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_CREATE]: (_d, Irp) => {
          seen.push(wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Create.Options);
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const r = await runApp(m, async () => {
      await ntOpen(kit, nt.FILE_SYNCHRONOUS_IO_ALERT | nt.FILE_NON_DIRECTORY_FILE);
      await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_ALWAYS, w.FILE_FLAG_OVERLAPPED, 0);
    });
    ok(r);
    expect(seen).to.deep.equal([(nt.FILE_OPEN << 24) | 0x50, (nt.FILE_OPEN_IF << 24) | nt.FILE_NON_DIRECTORY_FILE]);
  });

  it("NtDeviceIoControlFile on an overlapped handle returns STATUS_PENDING when the driver pends; completion writes the IO_STATUS_BLOCK and sets the event", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 5, wdm.STATUS_SUCCESS, 12);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const o = await ntOpen(kit, 0);
      const mem = alloc();
      const iosb = mem + 64;
      w.writeU32(iosb, 0xdddddddd);
      const evh = { value: 0 };
      nt.NtCreateEvent(evh, nt.EVENT_ALL_ACCESS, null, nt.NotificationEvent, false);
      const status = await nt.NtDeviceIoControlFile(o.handle, evh.value, null, null, iosb, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, mem, 16);
      const before = nt.IO_STATUS_BLOCK.read(iosb);
      const waited = await nt.NtWaitForSingleObject(evh.value, false, null);
      const after = nt.IO_STATUS_BLOCK.read(iosb);
      return [name(status), before.Status, name(waited), name(after.Status), after.Information, Math.floor(m.nowMs)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_PENDING", 0xdddddddd, "STATUS_SUCCESS", "STATUS_SUCCESS", 12, 5]);
  });

  it("NtDeviceIoControlFile on a synchronous handle returns the final status after waiting; an error leaves the IO_STATUS_BLOCK untouched", async () => {
    const m = newMachine();
    let fail = false;
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 3, fail ? wdm.STATUS_INVALID_DEVICE_STATE : wdm.STATUS_BUFFER_OVERFLOW, 4);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const o = await ntOpen(kit, nt.FILE_SYNCHRONOUS_IO_NONALERT);
      const mem = alloc();
      w.writeU32(mem + 64, 0xdddddddd);
      const warning = await nt.NtDeviceIoControlFile(o.handle, 0, null, null, mem + 64, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, mem, 16);
      const iosb1 = nt.IO_STATUS_BLOCK.read(mem + 64);
      fail = true;
      w.writeU32(mem + 64, 0xdddddddd);
      const error = await nt.NtDeviceIoControlFile(o.handle, 0, null, null, mem + 64, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, mem, 16);
      return [name(warning), name(iosb1.Status), iosb1.Information, name(error), w.readU32(mem + 64)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_BUFFER_OVERFLOW", "STATUS_BUFFER_OVERFLOW", 4, "STATUS_INVALID_DEVICE_STATE", 0xdddddddd]);
  });

  it("a bad handle is STATUS_INVALID_HANDLE, a handle to another kind of object STATUS_OBJECT_TYPE_MISMATCH, a bad IO_STATUS_BLOCK STATUS_ACCESS_VIOLATION (or STATUS_DATATYPE_MISALIGNMENT), before the driver runs", async () => {
    const m = newMachine();
    const kit = await loadKit(m);
    const r = await runApp(m, async () => {
      const o = await ntOpen(kit, nt.FILE_SYNCHRONOUS_IO_NONALERT);
      const mem = alloc();
      const ev = w.CreateEvent(null, true, false, null);
      const code = IOCTL(1, wdm.METHOD_BUFFERED);
      return [
        name(await nt.NtDeviceIoControlFile(0x1234, 0, null, null, mem, code, 0, 0, 0, 0)),
        name(await nt.NtDeviceIoControlFile(ev, 0, null, null, mem, code, 0, 0, 0, 0)),
        name(await nt.NtDeviceIoControlFile(o.handle, 0, null, null, 0, code, 0, 0, 0, 0)),
        name(await nt.NtDeviceIoControlFile(o.handle, 0, null, null, mem + 2, code, 0, 0, 0, 0)),
        name(await nt.NtDeviceIoControlFile(o.handle, 0x5678, null, null, mem, code, 0, 0, 0, 0)),
        name(await nt.NtReadFile(0x1234, 0, null, null, mem, mem + 64, 4, null, null)),
        name(await nt.NtClose(0x1234)),
        kit.received.filter((x) => x.major === "DEVICE_CONTROL").length,
      ];
    });
    expect(ok(r)).to.deep.equal([
      "STATUS_INVALID_HANDLE",
      "STATUS_OBJECT_TYPE_MISMATCH",
      "STATUS_ACCESS_VIOLATION",
      "STATUS_DATATYPE_MISALIGNMENT",
      "STATUS_INVALID_HANDLE",
      "STATUS_INVALID_HANDLE",
      "STATUS_INVALID_HANDLE",
      0,
    ]);
  });

  it("NtReadFile with an ApcRoutine queues ApcRoutine(ApcContext, IoStatusBlock, 0) to the thread, run in its next alertable wait", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      flags: wdm.DO_BUFFERED_IO,
      dispatch: {
        [wdm.IRP_MJ_READ]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          completeFromTimerDpc(Irp, 2, wdm.STATUS_SUCCESS, 3);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const o = await ntOpen(kit, 0);
      const mem = alloc();
      const calls: unknown[][] = [];
      const offset = new nt.LARGE_INTEGER(0);
      const status = await nt.NtReadFile(o.handle, 0, function ApcRoutine(ctx, iosb, reserved) {
        calls.push([ctx, iosb === mem + 64, reserved, nt.IO_STATUS_BLOCK.read(iosb).Information]);
      }, "context", mem + 64, mem, 16, offset, null);
      const notAlertable = await nt.NtWaitForSingleObject(o.handle, false, null);
      const before = calls.length;
      const alertable = await w.SleepEx(0, true);
      return [name(status), name(notAlertable), before, alertable, calls];
    });
    expect(ok(r)).to.deep.equal(["STATUS_PENDING", "STATUS_SUCCESS", 0, w.WAIT_IO_COMPLETION, [["context", true, 0, 3]]]);
  });

  it("NtWaitForSingleObject returns STATUS_TIMEOUT after a relative timeout and STATUS_USER_APC when alertable and an APC is queued", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const ev = { value: 0 };
      nt.NtCreateEvent(ev, nt.EVENT_ALL_ACCESS, null, nt.SynchronizationEvent, false);
      const timeout = await nt.NtWaitForSingleObject(ev.value, false, new nt.LARGE_INTEGER(-10_000n * 7n));
      const at = Math.floor(m.nowMs);
      w.QueueUserAPC(() => 0, w.GetCurrentThread(), 0);
      const apc = await nt.NtWaitForSingleObject(ev.value, true, null);
      const badType = nt.NtCreateEvent(ev, nt.EVENT_ALL_ACCESS, null, 7, false);
      return [name(timeout), at, name(apc), name(badType)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_TIMEOUT", 7, "STATUS_USER_APC", "STATUS_INVALID_PARAMETER"]);
  });

  it("NtWaitForMultipleObjects: WaitAny gives STATUS_WAIT_0 + the index of the signalled object, WaitAll waits for every one; a Count of 0 or above MAXIMUM_WAIT_OBJECTS, an unknown WaitType or one object twice under WaitAll are refused", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const a = { value: 0 };
      const b = { value: 0 };
      nt.NtCreateEvent(a, nt.EVENT_ALL_ACCESS, null, nt.NotificationEvent, false);
      nt.NtCreateEvent(b, nt.EVENT_ALL_ACCESS, null, nt.NotificationEvent, true);
      const zero = new nt.LARGE_INTEGER(0);
      const any = await nt.NtWaitForMultipleObjects(2, [a.value, b.value], nt.WaitAny, false, zero);
      const allNot = await nt.NtWaitForMultipleObjects(2, [a.value, b.value], nt.WaitAll, false, zero);
      nt.NtSetEvent(a.value, null);
      const all = await nt.NtWaitForMultipleObjects(2, [a.value, b.value], nt.WaitAll, false, zero);
      return [
        any,
        name(allNot),
        name(all),
        name(await nt.NtWaitForMultipleObjects(0, [], nt.WaitAny, false, zero)),
        name(await nt.NtWaitForMultipleObjects(65, new Array<number>(65).fill(a.value), nt.WaitAny, false, zero)),
        name(await nt.NtWaitForMultipleObjects(1, [a.value], 7, false, zero)),
        name(await nt.NtWaitForMultipleObjects(2, [a.value, a.value], nt.WaitAll, false, zero)),
      ];
    });
    expect(ok(r)).to.deep.equal([1, "STATUS_TIMEOUT", "STATUS_SUCCESS", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER_MIX"]);
  });

  it("a named event: creating it again with OBJ_OPENIF opens the same event (STATUS_OBJECT_NAME_EXISTS), without it STATUS_OBJECT_NAME_COLLISION; NtOpenEvent finds it; the name goes with the last handle", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const attrs = (openIf: boolean) => {
        const oa = new nt.OBJECT_ATTRIBUTES();
        const us = new nt.UNICODE_STRING();
        nt.RtlInitUnicodeString(us, "\\BaseNamedObjects\\Ready");
        nt.InitializeObjectAttributes(oa, us, openIf ? nt.OBJ_OPENIF : 0, 0, null);
        return oa;
      };
      const a = { value: 0 };
      const b = { value: 0 };
      const c = { value: 0 };
      const s1 = nt.NtCreateEvent(a, nt.EVENT_ALL_ACCESS, attrs(true), nt.NotificationEvent, false);
      const s2 = nt.NtCreateEvent(b, nt.EVENT_ALL_ACCESS, attrs(true), nt.NotificationEvent, false);
      const s3 = nt.NtCreateEvent(c, nt.EVENT_ALL_ACCESS, attrs(false), nt.NotificationEvent, false);
      nt.NtSetEvent(a.value, null);
      const shared = await nt.NtWaitForSingleObject(b.value, false, new nt.LARGE_INTEGER(0));
      const opened = { value: 0 };
      const s4 = nt.NtOpenEvent(opened, nt.EVENT_ALL_ACCESS, attrs(false));
      await nt.NtClose(a.value);
      await nt.NtClose(b.value);
      await nt.NtClose(opened.value);
      const s5 = nt.NtOpenEvent(opened, nt.EVENT_ALL_ACCESS, attrs(false));
      return [name(s1), name(s2), name(s3), name(shared), name(s4), name(s5)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "STATUS_OBJECT_NAME_EXISTS", "STATUS_OBJECT_NAME_COLLISION", "STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_OBJECT_NAME_NOT_FOUND"]);
  });

  it("NtQueryInformationFile(FileModeInformation) reports FILE_SYNCHRONOUS_IO_NONALERT / _ALERT for synchronous handles and 0 for overlapped ones; a short buffer is STATUS_INFO_LENGTH_MISMATCH", async () => {
    const m = newMachine();
    const kit = await loadKit(m);
    const r = await runApp(m, async () => {
      const mem = alloc();
      const mode = async (h: number, len = 4) => {
        const s = await nt.NtQueryInformationFile(h, mem, mem + 16, len, nt.FileModeInformation);
        return s === 0 ? w.readU32(mem + 16) : name(s);
      };
      const sync = (await ntOpen(kit, nt.FILE_SYNCHRONOUS_IO_NONALERT)).handle;
      const alert = (await ntOpen(kit, nt.FILE_SYNCHRONOUS_IO_ALERT)).handle;
      const async_ = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, w.FILE_FLAG_OVERLAPPED, 0);
      const win32Sync = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      return [await mode(sync), await mode(alert), await mode(async_), await mode(win32Sync), await mode(sync, 3), name(await nt.NtQueryInformationFile(sync, mem, mem + 16, 4, 0)), nt.IO_STATUS_BLOCK.read(mem).Information];
    });
    expect(ok(r)).to.deep.equal([nt.FILE_SYNCHRONOUS_IO_NONALERT, nt.FILE_SYNCHRONOUS_IO_ALERT, 0, nt.FILE_SYNCHRONOUS_IO_NONALERT, "STATUS_INFO_LENGTH_MISMATCH", "STATUS_INVALID_INFO_CLASS", 4]);
  });

  it("NtSetIoCompletion posts a packet that NtRemoveIoCompletion returns with its key, context and IO_STATUS_BLOCK; an empty port times out with STATUS_TIMEOUT", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = { value: 0 };
      nt.NtCreateIoCompletion(port, nt.IO_COMPLETION_ALL_ACCESS, null, 0);
      const mem = alloc();
      const posted = nt.NtSetIoCompletion(port.value, 7, 0x1234, wdm.STATUS_CANCELLED, 9);
      const key = { value: 0 };
      const ctx = { value: 0 };
      const got = await nt.NtRemoveIoCompletion(port.value, key, ctx, mem, null);
      const iosb = nt.IO_STATUS_BLOCK.read(mem);
      const empty = await nt.NtRemoveIoCompletion(port.value, key, ctx, mem, new nt.LARGE_INTEGER(-10_000n));
      return [name(posted), name(got), key.value, ctx.value, name(iosb.Status), iosb.Information, name(empty)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "STATUS_SUCCESS", 7, 0x1234, "STATUS_CANCELLED", 9, "STATUS_TIMEOUT"]);
  });

  it("NtCancelIoFileEx cancels the request whose IO_STATUS_BLOCK it names (STATUS_NOT_FOUND once it has completed); NtCancelIoFile waits for the thread's own", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          wdm.IoSetCancelRoutine(Irp, (_dev, irp) => {
            wdm.IoReleaseCancelSpinLock(irp.CancelIrql);
            complete(irp, wdm.STATUS_CANCELLED);
          });
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const o = await ntOpen(kit, 0);
      const mem = alloc();
      const code = IOCTL(1, wdm.METHOD_BUFFERED);
      await nt.NtDeviceIoControlFile(o.handle, 0, null, null, mem, code, 0, 0, 0, 0);
      const cancelled = await nt.NtCancelIoFileEx(o.handle, mem, mem + 32);
      await nt.NtWaitForSingleObject(o.handle, false, null);
      const again = await nt.NtCancelIoFileEx(o.handle, mem, mem + 32);
      await nt.NtDeviceIoControlFile(o.handle, 0, null, null, mem + 8, code, 0, 0, 0, 0);
      const all = await nt.NtCancelIoFile(o.handle, mem + 32);
      return [name(cancelled), name(nt.IO_STATUS_BLOCK.read(mem).Status), name(again), name(all), name(nt.IO_STATUS_BLOCK.read(mem + 8).Status)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "STATUS_CANCELLED", "STATUS_NOT_FOUND", "STATUS_SUCCESS", "STATUS_CANCELLED"]);
  });

  it("RtlNtStatusToDosError maps every status the emulator produces to its Win32 error, customer statuses pass through, and unknown ones give ERROR_MR_MID_NOT_FOUND", () => {
    const unmapped = Object.entries(nt.NtStatus).filter(([, v]) => nt.RtlNtStatusToDosError(v) === 317 && v !== 0);
    expect(unmapped.map(([k]) => k)).to.deep.equal(["STATUS_CANT_WAIT", "STATUS_MUTANT_LIMIT_EXCEEDED", "STATUS_ASSERTION_FAILURE"]);
    expect(nt.RtlNtStatusToDosError(wdm.STATUS_ACCESS_DENIED)).to.equal(w.ERROR_ACCESS_DENIED);
    expect(nt.RtlNtStatusToDosError(wdm.STATUS_BUFFER_OVERFLOW)).to.equal(w.ERROR_MORE_DATA);
    expect(nt.RtlNtStatusToDosError(wdm.STATUS_CANCELLED)).to.equal(w.ERROR_OPERATION_ABORTED);
    expect(nt.RtlNtStatusToDosError(0xe0001234)).to.equal(0xe0001234);
    expect(nt.RtlNtStatusToDosError(0xc0010005)).to.equal(5);
    expect(nt.RtlNtStatusToDosError(0xd0000022)).to.equal(w.ERROR_ACCESS_DENIED);
    expect(nt.RtlNtStatusToDosError(0xc0ffffff)).to.equal(317);
  });

  it("an ntdll routine called from kernel mode is refused with an error naming both modes", async () => {
    const m = newMachine();
    const { runKernel } = await import("../helpers.js");
    const r = await runKernel(m, () => nt.NtClose(4));
    expect(String(r.error)).to.match(/NtClose is a user-mode API/);
  });
});
