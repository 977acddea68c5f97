import { expect } from "chai";
import { attachVerifier, loadDriver, type Machine } from "../../index.js";
import { InitializeObjectAttributes, OBJECT_ATTRIBUTES } from "../../kernel/object-attributes.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import { IOCTL, alloc, complete, completeFromTimerDpc, loadKit, majors, type Kit } from "./kit.js";

const CODE = IOCTL(1, wdm.METHOD_BUFFERED);
const DIRECT_CODE = IOCTL(2, wdm.METHOD_OUT_DIRECT);

/**
 * The target: its IOCTL copies the input's first byte, plus one, into every output byte and
 * completes 5 ms later from a timer DPC (so a synchronous caller has to wait); METHOD_OUT_DIRECT
 * fills the MDL's system address with 0x5A at once; writes are kept and read back (DO_BUFFERED_IO).
 */
async function loadTarget(m: Machine, seen: { requestorMode: number[] } = { requestorMode: [] }): Promise<Kit> {
  let stored = new Uint8Array(0);
  return loadKit(m, {
    name: "Target",
    flags: wdm.DO_BUFFERED_IO,
    dispatch: {
      [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
        seen.requestorMode.push(Irp.RequestorMode);
        const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
        const dio = sl.Parameters.DeviceIoControl;
        if (dio.IoControlCode === DIRECT_CODE) {
          if (!Irp.MdlAddress) return complete(Irp, wdm.STATUS_INVALID_PARAMETER);
          const va = wdm.MmGetSystemAddressForMdlSafe(Irp.MdlAddress, wdm.NormalPagePriority);
          wdm.RtlFillMemory(va, dio.OutputBufferLength, 0x5a);
          return complete(Irp, wdm.STATUS_SUCCESS, dio.OutputBufferLength);
        }
        const sys = Irp.AssociatedIrp.SystemBuffer;
        const first = dio.InputBufferLength > 0 ? m.mmu.readU8(sys) : 0;
        wdm.IoMarkIrpPending(Irp);
        completeFromTimerDpc(Irp, 5, wdm.STATUS_SUCCESS, dio.OutputBufferLength, () => {
          wdm.RtlFillMemory(sys, dio.OutputBufferLength, first + 1);
        });
        return wdm.STATUS_PENDING;
      },
      [wdm.IRP_MJ_WRITE]: (_DeviceObject, Irp) => {
        const length = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Write.Length;
        stored = m.mmu.readBytes(Irp.AssociatedIrp.SystemBuffer, length).slice();
        return complete(Irp, wdm.STATUS_SUCCESS, length);
      },
      [wdm.IRP_MJ_READ]: (_DeviceObject, Irp) => {
        const length = Math.min(wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length, stored.length);
        m.mmu.writeBytes(Irp.AssociatedIrp.SystemBuffer, stored.subarray(0, length));
        wdm.IoMarkIrpPending(Irp);
        completeFromTimerDpc(Irp, 2, wdm.STATUS_SUCCESS, length);
        return wdm.STATUS_PENDING;
      },
    },
  });
}

/** OBJECT_ATTRIBUTES naming `name` through a UNICODE_STRING, as a driver builds them. */
function attributesFor(name: string, attributes: number): OBJECT_ATTRIBUTES {
  const us = new wdm.UNICODE_STRING();
  wdm.RtlInitUnicodeString(us, name);
  const oa = new OBJECT_ATTRIBUTES();
  InitializeObjectAttributes(oa, us, attributes, 0, null);
  return oa;
}

/** A kernel handle carries the kernel bit (and is no pseudo-handle). */
function isKernelHandle(h: number): boolean {
  return (h & 0x80000000) !== 0 && h >>> 0 < 0xfffffff0;
}

function kernelBuffer(size: number): number {
  const p = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, size, "tsZw");
  if (p === 0) throw new Error("pool allocation failed");
  wdm.RtlZeroMemory(p, size);
  return p;
}

describe("Kernel-mode file opens (ZwCreateFile, ZwDeviceIoControlFile, ZwReadFile, ZwWriteFile, IoGetDeviceObjectPointer)", () => {
  it("ZwCreateFile with OBJ_KERNEL_HANDLE opens another driver's device by name with a kernel handle, and ZwDeviceIoControlFile on a FILE_SYNCHRONOUS_IO_NONALERT handle waits for the pended IOCTL", async () => {
    const m = newMachine();
    const seen = { requestorMode: [] as number[] };
    const target = await loadTarget(m, seen);
    const ran = await runKernel(m, async () => {
      const iosb = new wdm.IO_STATUS_BLOCK();
      const open = await wdm.ZwCreateFile(wdm.GENERIC_READ | wdm.GENERIC_WRITE | wdm.SYNCHRONIZE, attributesFor("\\Device\\Target", wdm.OBJ_KERNEL_HANDLE | wdm.OBJ_CASE_INSENSITIVE), iosb, null, wdm.FILE_ATTRIBUTE_NORMAL, 0, wdm.FILE_OPEN, wdm.FILE_SYNCHRONOUS_IO_NONALERT, null, 0);
      const openIosb = { Status: iosb.Status, Information: iosb.Information };
      const input = kernelBuffer(8);
      const output = kernelBuffer(16);
      wdm.RtlFillMemory(input, 8, 0x41);
      const before = m.nowMs;
      const status = await wdm.ZwDeviceIoControlFile(open.FileHandle, 0, null, null, iosb, CODE, input, 8, output, 16);
      const waited = m.nowMs - before;
      const out = Array.from(m.mmu.readBytes(output, 16));
      const afterIoctl = majors(target).slice();
      const closed = await wdm.ZwClose(open.FileHandle);
      wdm.ExFreePoolWithTag(input, "tsZw");
      wdm.ExFreePoolWithTag(output, "tsZw");
      return { open, openIosb, status, iosb: { Status: iosb.Status, Information: iosb.Information }, waited, out, afterIoctl, closed };
    });
    const r = ok(ran);
    expect(r.open.status).to.equal(wdm.STATUS_SUCCESS);
    expect(r.openIosb.Status).to.equal(wdm.STATUS_SUCCESS);
    expect(isKernelHandle(r.open.FileHandle)).to.equal(true);
    expect(r.status, "the synchronous handle returns the final status, not STATUS_PENDING").to.equal(wdm.STATUS_SUCCESS);
    expect(r.iosb).to.deep.equal({ Status: wdm.STATUS_SUCCESS, Information: 16 });
    expect(r.waited).to.be.at.least(5);
    expect(r.out).to.deep.equal(new Array<number>(16).fill(0x42));
    expect(r.afterIoctl).to.deep.equal(["CREATE", "DEVICE_CONTROL"]);
    expect(r.closed).to.equal(wdm.STATUS_SUCCESS);
    expect(majors(target)).to.deep.equal(["CREATE", "DEVICE_CONTROL", "CLEANUP", "CLOSE"]);
    expect(seen.requestorMode, "a Zw call's requests carry RequestorMode KernelMode").to.deep.equal([wdm.KernelMode]);
    expect(target.received.every((x) => x.process === "System")).to.equal(true);
  });

  it("ZwDeviceIoControlFile with METHOD_OUT_DIRECT locks a kernel output buffer with an MDL", async () => {
    const m = newMachine();
    await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const iosb = new wdm.IO_STATUS_BLOCK();
        const open = await wdm.ZwOpenFile(wdm.GENERIC_READ | wdm.SYNCHRONIZE, attributesFor("\\??\\Target", wdm.OBJ_KERNEL_HANDLE), iosb, 0, wdm.FILE_SYNCHRONOUS_IO_NONALERT);
        const output = kernelBuffer(32);
        const status = await wdm.ZwDeviceIoControlFile(open.FileHandle, 0, null, null, iosb, DIRECT_CODE, 0, 0, output, 32);
        const out = Array.from(m.mmu.readBytes(output, 32));
        await wdm.ZwClose(open.FileHandle);
        wdm.ExFreePoolWithTag(output, "tsZw");
        return { status, information: iosb.Information, out };
      }),
    );
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(r.information).to.equal(32);
    expect(r.out).to.deep.equal(new Array<number>(32).fill(0x5a));
  });

  it("ZwWriteFile and ZwReadFile move a kernel buffer's bytes; on an asynchronous handle ZwReadFile returns STATUS_PENDING and completion sets the caller's event and IO_STATUS_BLOCK", async () => {
    const m = newMachine();
    const target = await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const iosb = new wdm.IO_STATUS_BLOCK();
        const open = await wdm.ZwCreateFile(wdm.GENERIC_READ | wdm.GENERIC_WRITE, attributesFor("\\Device\\Target", wdm.OBJ_KERNEL_HANDLE), iosb, null, 0, 0, wdm.FILE_OPEN, 0, null, 0);
        const data = kernelBuffer(12);
        for (let i = 0; i < 12; i++) m.mmu.writeU8(data + i, 0x30 + i);
        const written = await wdm.ZwWriteFile(open.FileHandle, 0, null, null, iosb, data, 12, null, null);
        const writeIosb = { Status: iosb.Status, Information: iosb.Information };
        const ev = new wdm.OBJECT_ATTRIBUTES();
        wdm.InitializeObjectAttributes(ev, null, wdm.OBJ_KERNEL_HANDLE, 0, null);
        const event = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, ev, wdm.NotificationEvent, false);
        const back = kernelBuffer(12);
        // The IO_STATUS_BLOCK in system memory, as a driver's own structure would hold it.
        const iosbAddress = kernelBuffer(8);
        const read = await wdm.ZwReadFile(open.FileHandle, event.EventHandle, null, null, iosbAddress, back, 12, null, null);
        const beforeWait = m.mmu.readU32(iosbAddress);
        const waited = await wdm.ZwWaitForSingleObject(event.EventHandle, false, null);
        const readIosb = { Status: m.mmu.readU32(iosbAddress), Information: m.mmu.readU32(iosbAddress + 4) };
        const bytes = Array.from(m.mmu.readBytes(back, 12));
        await wdm.ZwClose(event.EventHandle);
        await wdm.ZwClose(open.FileHandle);
        for (const p of [data, back, iosbAddress]) wdm.ExFreePoolWithTag(p, "tsZw");
        return { written, writeIosb, read, beforeWait, waited, readIosb, bytes };
      }),
    );
    expect(r.written).to.equal(wdm.STATUS_SUCCESS);
    expect(r.writeIosb).to.deep.equal({ Status: wdm.STATUS_SUCCESS, Information: 12 });
    expect(r.read).to.equal(wdm.STATUS_PENDING);
    expect(r.beforeWait, "nothing is written before completion").to.equal(0);
    expect(r.waited).to.equal(wdm.STATUS_SUCCESS);
    expect(r.readIosb).to.deep.equal({ Status: wdm.STATUS_SUCCESS, Information: 12 });
    expect(r.bytes).to.deep.equal(Array.from({ length: 12 }, (_, i) => 0x30 + i));
    expect(majors(target)).to.deep.equal(["CREATE", "WRITE", "READ", "CLEANUP", "CLOSE"]);
  });

  it("ZwCreateFile on a name nothing answers to is STATUS_OBJECT_NAME_NOT_FOUND, and no handle is made", async () => {
    const m = newMachine();
    await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const iosb = new wdm.IO_STATUS_BLOCK();
        const before = m.systemProcess.handleTable.count;
        const open = await wdm.ZwCreateFile(wdm.GENERIC_READ, attributesFor("\\Device\\Nobody", wdm.OBJ_KERNEL_HANDLE), iosb, null, 0, 0, wdm.FILE_OPEN, 0, null, 0);
        const pointer = await wdm.IoGetDeviceObjectPointer("\\Device\\Nobody", wdm.FILE_READ_DATA);
        return { open, handles: m.systemProcess.handleTable.count - before, pointer };
      }),
    );
    expect(r.open).to.deep.equal({ status: wdm.STATUS_OBJECT_NAME_NOT_FOUND, FileHandle: 0 });
    expect(r.handles).to.equal(0);
    expect(r.pointer).to.deep.equal({ status: wdm.STATUS_OBJECT_NAME_NOT_FOUND, FileObject: null, DeviceObject: null });
  });

  it("ZwCreateFile checks OBJECT_ATTRIBUTES as the object manager captures them: an odd name Length is STATUS_OBJECT_NAME_INVALID, a relative name STATUS_OBJECT_PATH_SYNTAX_BAD, an unknown attribute STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const iosb = new wdm.IO_STATUS_BLOCK();
        const open = (oa: OBJECT_ATTRIBUTES) => wdm.ZwCreateFile(wdm.GENERIC_READ, oa, iosb, null, 0, 0, wdm.FILE_OPEN, 0, null, 0).then((x) => x.status);
        const odd = attributesFor("\\Device\\Target", wdm.OBJ_KERNEL_HANDLE);
        if (odd.ObjectName) odd.ObjectName.Length = 7;
        const noName = new OBJECT_ATTRIBUTES();
        InitializeObjectAttributes(noName, null, wdm.OBJ_KERNEL_HANDLE, 0, null);
        return {
          odd: await open(odd),
          relative: await open(attributesFor("Device\\Target", wdm.OBJ_KERNEL_HANDLE)),
          unknownAttribute: await open(attributesFor("\\Device\\Target", 0x00010000)),
          noName: await open(noName),
          badSync: await wdm.ZwCreateFile(wdm.GENERIC_READ, attributesFor("\\Device\\Target", wdm.OBJ_KERNEL_HANDLE), iosb, null, 0, 0, wdm.FILE_OPEN, wdm.FILE_SYNCHRONOUS_IO_NONALERT, null, 0).then((x) => x.status),
        };
      }),
    );
    expect(r).to.deep.equal({
      odd: wdm.STATUS_OBJECT_NAME_INVALID,
      relative: wdm.STATUS_OBJECT_PATH_SYNTAX_BAD,
      unknownAttribute: wdm.STATUS_INVALID_PARAMETER,
      noName: wdm.STATUS_OBJECT_NAME_INVALID,
      badSync: wdm.STATUS_INVALID_PARAMETER,
    });
  });

  it("ZwCreateFile takes the OBJECT_ATTRIBUTES of irpsim/wdm and one in system memory", async () => {
    const m = newMachine();
    const target = await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const iosb = new wdm.IO_STATUS_BLOCK();
        const local = new wdm.OBJECT_ATTRIBUTES();
        wdm.InitializeObjectAttributes(local, "\\Device\\Target", wdm.OBJ_KERNEL_HANDLE, 0, null);
        const a = await wdm.ZwOpenFile(wdm.GENERIC_READ, local, iosb, 0, 0);
        // OBJECT_ATTRIBUTES and its UNICODE_STRING laid out in pool, passed by address.
        const block = kernelBuffer(OBJECT_ATTRIBUTES.size + wdm.UNICODE_STRING.size);
        const us = wdm.UNICODE_STRING.at(block + OBJECT_ATTRIBUTES.size);
        wdm.RtlInitUnicodeString(us, "\\Device\\Target");
        InitializeObjectAttributes(OBJECT_ATTRIBUTES.at(block), us, wdm.OBJ_KERNEL_HANDLE, 0, null);
        const b = await wdm.ZwOpenFile(wdm.GENERIC_READ, block, iosb, 0, 0);
        await wdm.ZwClose(a.FileHandle);
        await wdm.ZwClose(b.FileHandle);
        wdm.ExFreePoolWithTag(block, "tsZw");
        return [a.status, b.status];
      }),
    );
    expect(r).to.deep.equal([wdm.STATUS_SUCCESS, wdm.STATUS_SUCCESS]);
    expect(majors(target)).to.deep.equal(["CREATE", "CREATE", "CLEANUP", "CLOSE", "CLEANUP", "CLOSE"]);
  });

  it("ZwCreateFile above PASSIVE_LEVEL is bug check IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    await loadTarget(m);
    const ran = await runKernel(m, async () => {
      wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
      await wdm.ZwCreateFile(wdm.GENERIC_READ, attributesFor("\\Device\\Target", wdm.OBJ_KERNEL_HANDLE), new wdm.IO_STATUS_BLOCK(), null, 0, 0, wdm.FILE_OPEN, 0, null, 0);
    });
    expect(ran.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("without OBJ_KERNEL_HANDLE, ZwCreateFile in a dispatch routine puts the handle in the calling app's process, where the app can use and close it", async () => {
    const m = newMachine();
    const target = await loadTarget(m);
    // The buggy client: its IOCTL opens the target without OBJ_KERNEL_HANDLE and returns the handle.
    await loadKit(m, {
      name: "Client",
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: async (_DeviceObject, Irp) => {
          const iosb = new wdm.IO_STATUS_BLOCK();
          const open = await wdm.ZwCreateFile(wdm.GENERIC_READ | wdm.GENERIC_WRITE, attributesFor("\\Device\\Target", wdm.OBJ_CASE_INSENSITIVE), iosb, null, 0, 0, wdm.FILE_OPEN, 0, null, 0);
          m.mmu.writeU32(Irp.AssociatedIrp.SystemBuffer, open.FileHandle);
          return complete(Irp, open.status, 4);
        },
      },
    });
    const ran = await runApp(m, async () => {
      const client = await w.CreateFile("\\\\.\\Client", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
      const out = alloc(4);
      const returned = alloc(4);
      const asked = await w.DeviceIoControl(client, CODE, 0, 0, out, 4, returned, null);
      const leaked = w.readU32(out);
      // The app uses the driver's handle as its own: a request straight to the target.
      const input = alloc(8);
      const direct = await w.DeviceIoControl(leaked, CODE, input, 8, out, 4, returned, null);
      const closed = await w.CloseHandle(leaked);
      await w.CloseHandle(client);
      return { asked, leaked, direct, closed };
    });
    const r = ok(ran);
    expect(r.asked).to.equal(true);
    expect(isKernelHandle(r.leaked)).to.equal(false);
    expect(r.direct, "the handle is valid in the app's own table").to.equal(true);
    expect(r.closed).to.equal(true);
    expect(target.received.map((x) => `${x.major}@${x.process}`)).to.deep.equal(["CREATE@app.exe", "DEVICE_CONTROL@app.exe", "CLEANUP@app.exe", "CLOSE@app.exe"]);
  });

  it("under the verifier, a Zw request on a handle opened without OBJ_KERNEL_HANDLE in an app's context is 0xC4/0xF6 (a user handle referenced as KernelMode); with OBJ_KERNEL_HANDLE it runs clean", async () => {
    const run = async (attributes: number) => {
      const m = newMachine();
      attachVerifier(m);
      await loadTarget(m);
      await loadKit(m, {
        name: "Client",
        dispatch: {
          [wdm.IRP_MJ_DEVICE_CONTROL]: async (_DeviceObject, Irp) => {
            const iosb = new wdm.IO_STATUS_BLOCK();
            const open = await wdm.ZwCreateFile(wdm.GENERIC_READ | wdm.SYNCHRONIZE, attributesFor("\\Device\\Target", attributes), iosb, null, 0, 0, wdm.FILE_OPEN, wdm.FILE_SYNCHRONOUS_IO_NONALERT, null, 0);
            const status = await wdm.ZwDeviceIoControlFile(open.FileHandle, 0, null, null, iosb, CODE, 0, 0, 0, 0);
            await wdm.ZwClose(open.FileHandle);
            return complete(Irp, status);
          },
        },
      });
      const ran = await runApp(m, async () => {
        const client = await w.CreateFile("\\\\.\\Client", w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
        const done = await w.DeviceIoControl(client, CODE, 0, 0, 0, 0, 0, null);
        await w.CloseHandle(client);
        return done;
      });
      return ran;
    };
    const buggy = await run(wdm.OBJ_CASE_INSENSITIVE);
    expect(buggy.result.bugCheck?.rule).to.equal("0xC4/0xF6 KernelModeUserHandle");
    const fixed = await run(wdm.OBJ_KERNEL_HANDLE | wdm.OBJ_CASE_INSENSITIVE);
    expect(ok(fixed)).to.equal(true);
  });

  it("IoGetDeviceObjectPointer sends IRP_MJ_CREATE then IRP_MJ_CLEANUP (its handle is closed), and IRP_MJ_CLOSE only when ObDereferenceObject drops the file object's last reference", async () => {
    const m = newMachine();
    const target = await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const name = wdm.RTL_CONSTANT_STRING("\\Device\\Target");
        const handles = m.systemProcess.handleTable.count;
        const p = await wdm.IoGetDeviceObjectPointer(name, wdm.FILE_READ_DATA);
        const afterGet = majors(target).slice();
        const fileDevice = p.FileObject?.DeviceObject ?? null;
        const handlesLeft = m.systemProcess.handleTable.count - handles;
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 10);
        const later = majors(target).slice();
        if (p.FileObject) wdm.ObDereferenceObject(p.FileObject);
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 10);
        return { status: p.status, device: p.DeviceObject, fileDevice, afterGet, handlesLeft, later, end: majors(target).slice() };
      }),
    );
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(r.device).to.equal(target.device);
    expect(r.fileDevice).to.equal(target.device);
    expect(r.afterGet).to.deep.equal(["CREATE", "CLEANUP"]);
    expect(r.handlesLeft, "the handle it opened is closed").to.equal(0);
    expect(r.later, "the file object's reference keeps IRP_MJ_CLOSE back").to.deep.equal(["CREATE", "CLEANUP"]);
    expect(r.end).to.deep.equal(["CREATE", "CLEANUP", "CLOSE"]);
  });

  it("IoGetDeviceObjectPointer returns the top of the named device's stack, without a reference on it", async () => {
    const m = newMachine();
    const target = await loadTarget(m);
    const loaded = await loadDriver(m, "Upper", (DriverObject) => {
      const created = wdm.IoCreateDevice(DriverObject, null, null, wdm.FILE_DEVICE_UNKNOWN, 0, false);
      if (!created.DeviceObject) return created.status;
      if (!wdm.IoAttachDeviceToDeviceStack(created.DeviceObject, target.device)) return wdm.STATUS_NO_SUCH_DEVICE;
      const pass: wdm.DRIVER_DISPATCH = function UpperPassThrough(DeviceObject, Irp) {
        wdm.IoSkipCurrentIrpStackLocation(Irp);
        return wdm.IoCallDriver(target.device, Irp);
      };
      for (const major of [wdm.IRP_MJ_CREATE, wdm.IRP_MJ_CLEANUP, wdm.IRP_MJ_CLOSE]) DriverObject.MajorFunction[major] = pass;
      created.DeviceObject.Flags &= ~wdm.DO_DEVICE_INITIALIZING;
      return wdm.STATUS_SUCCESS;
    });
    const upper = loaded.DriverObject.DeviceObject;
    if (!upper) throw new Error("the upper driver did not load");
    const r = ok(
      await runKernel(m, async () => {
        const before = upper.pointerCount;
        const p = await wdm.IoGetDeviceObjectPointer("\\Device\\Target", wdm.FILE_ALL_ACCESS);
        const held = upper.pointerCount;
        const fileDevice = p.FileObject?.DeviceObject ?? null;
        if (p.FileObject) wdm.ObDereferenceObject(p.FileObject);
        return { device: p.DeviceObject, fileDevice, before, held };
      }),
    );
    expect(r.device, "IoGetRelatedDeviceObject: the top of the stack").to.equal(upper);
    expect(r.fileDevice, "the file object is on the named device").to.equal(target.device);
    expect(r.held).to.equal(r.before);
  });

  it("a layered driver sends an IOCTL to the device IoGetDeviceObjectPointer found with IoBuildDeviceIoControlRequest and IoCallDriver, and waits on its event", async () => {
    const m = newMachine();
    const target = await loadTarget(m);
    const r = ok(
      await runKernel(m, async () => {
        const p = await wdm.IoGetDeviceObjectPointer(wdm.RTL_CONSTANT_STRING("\\Device\\Target"), wdm.FILE_ALL_ACCESS);
        if (!p.DeviceObject || !p.FileObject) return { status: p.status, iosb: null, out: [] as number[] };
        const event = new wdm.KEVENT();
        wdm.KeInitializeEvent(event, wdm.EVENT_TYPE.NotificationEvent, false);
        const iosb = new wdm.IO_STATUS_BLOCK();
        const input = kernelBuffer(4);
        const output = kernelBuffer(8);
        wdm.RtlFillMemory(input, 4, 0x10);
        const irp = wdm.IoBuildDeviceIoControlRequest(CODE, p.DeviceObject, input, 4, output, 8, false, event, iosb);
        if (!irp) return { status: wdm.STATUS_INSUFFICIENT_RESOURCES, iosb: null, out: [] };
        // A request built for a device opened through a file object names that file object.
        wdm.IoGetNextIrpStackLocation(irp).FileObject = p.FileObject;
        let status = wdm.IoCallDriver(p.DeviceObject, irp);
        if (status instanceof Promise) status = await status;
        const pended = status === wdm.STATUS_PENDING;
        if (pended) await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false, null);
        const out = Array.from(m.mmu.readBytes(output, 8));
        wdm.ObDereferenceObject(p.FileObject);
        wdm.ExFreePoolWithTag(input, "tsZw");
        wdm.ExFreePoolWithTag(output, "tsZw");
        return { status: pended ? iosb.Status : status, pended, iosb: { Status: iosb.Status, Information: iosb.Information }, out };
      }),
    );
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(r.iosb).to.deep.equal({ Status: wdm.STATUS_SUCCESS, Information: 8 });
    expect(r.out).to.deep.equal(new Array<number>(8).fill(0x11));
    expect(majors(target)).to.deep.equal(["CREATE", "CLEANUP", "DEVICE_CONTROL", "CLOSE"]);
  });
});
