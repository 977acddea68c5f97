/**
 * CONTAINING_RECORD(Address, Type, Field) for any object embedded in a driver's structure: an
 * IO_CSQ, a KDPC or a KTIMER in a device extension, a LIST_ENTRY in a nested structure or an IRP.
 */
import { expect } from "chai";
import { loadDriver } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as win32 from "../../win32/index.js";
import { newMachine, ok, runKernel } from "../helpers.js";

class QUEUE_CONTEXT {
  readonly Head = new wdm.LIST_ENTRY<never>();
  readonly Timer = new wdm.KTIMER();
}

class MY_EXTENSION {
  readonly Csq = new wdm.IO_CSQ();
  readonly Dpc = new wdm.KDPC();
  readonly Timer = new wdm.KTIMER();
  readonly Queue = new QUEUE_CONTEXT();
  Marker = 7;
}

describe("CONTAINING_RECORD for objects embedded in a driver's structures", () => {
  it("finds the device extension from its IO_CSQ, KDPC or KTIMER, a nested structure from its member, and an IRP from Tail.Overlay.ListEntry", async () => {
    const m = newMachine();
    const ext = new MY_EXTENSION();
    await loadDriver(m, "Cont", (DriverObject) => {
      const r = wdm.IoCreateDevice(DriverObject, ext, "\\Device\\Cont", wdm.FILE_DEVICE_UNKNOWN, 0, false);
      return r.status;
    });
    const r = await runKernel(m, () => {
      const irp = wdm.IoAllocateIrp(1, false);
      if (!irp) return null;
      const found = [
        wdm.CONTAINING_RECORD(ext.Csq, MY_EXTENSION, "Csq") === ext,
        wdm.CONTAINING_RECORD(ext.Dpc, MY_EXTENSION, "Dpc") === ext,
        wdm.CONTAINING_RECORD(ext.Timer, MY_EXTENSION, "Timer") === ext,
        wdm.CONTAINING_RECORD(ext.Queue.Timer, QUEUE_CONTEXT, "Timer") === ext.Queue,
        wdm.CONTAINING_RECORD(irp.Tail.Overlay.ListEntry, wdm.IRP, "Tail.Overlay.ListEntry") === irp,
        wdm.CONTAINING_RECORD(irp.Tail.Overlay.ListEntry) === irp,
      ];
      wdm.IoFreeIrp(irp);
      return found;
    });
    expect(ok(r)).to.deep.equal([true, true, true, true, true, true]);
  });

  it("an object embedded in no known structure (or the wrong member named) is an error that names what was looked for; in a driver routine it becomes a bug check", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const loose = new wdm.KDPC();
      wdm.CONTAINING_RECORD(loose, MY_EXTENSION, "Dpc");
    });
    expect(String(r.error)).to.match(/no MY_EXTENSION whose Dpc is this object was found/);
  });

  it("CONTAINING_RECORD of a list head (an entry embedded in nothing) is the access violation using its result raises, never a JavaScript error", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.LIST_ENTRY();
      wdm.InitializeListHead(head);
      wdm.CONTAINING_RECORD(head);
    });
    expect(r.error).to.be.instanceOf(wdm.NtStatusError);
    expect(String(r.error)).to.match(/STATUS_ACCESS_VIOLATION: CONTAINING_RECORD was passed .* as Address/);
  });
});

describe("CONTAINING_RECORD on a list head: the record C computes is a wild pointer, and reading it is an access violation", () => {
  it("CONTAINING_RECORD of a list head (not an embedded entry) raises STATUS_ACCESS_VIOLATION, an NT exception a driver's __try/__except catches, never a TypeError", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const head = new wdm.LIST_ENTRY<wdm.IRP>();
      wdm.InitializeListHead(head);
      try {
        wdm.CONTAINING_RECORD(head);
        return "no exception";
      } catch (e) {
        return e instanceof wdm.NtStatusError ? e.status : e instanceof TypeError ? "TypeError" : "other";
      }
    });
    expect(r.value).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });

  it("walking a queue one entry too far (to the head) in a dispatch routine, with no __try, is bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED", async () => {
    const m = newMachine();
    class EXT {
      readonly Queue = new wdm.LIST_ENTRY<wdm.IRP>();
    }
    const DriverEntry = (DriverObject: wdm.DRIVER_OBJECT): number => {
      const ext = new EXT();
      const { DeviceObject } = wdm.IoCreateDevice(DriverObject, ext, "\\Device\\OffByOne", wdm.FILE_DEVICE_UNKNOWN, 0, false);
      wdm.InitializeListHead(ext.Queue);
      wdm.IoCreateSymbolicLink("\\DosDevices\\OffByOne", "\\Device\\OffByOne");
      DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = (_d, Irp) => {
        // The classic bug: the queue is empty, so Flink is the head itself.
        const first = wdm.CONTAINING_RECORD((DeviceObject?.DeviceExtension as EXT).Queue.Flink);
        Irp.IoStatus.Status = first.IoStatus.Status;
        wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
        return wdm.STATUS_SUCCESS;
      };
      return wdm.STATUS_SUCCESS;
    };
    const loaded = await loadDriver(m, "OffByOne", DriverEntry);
    expect(loaded.status).to.equal(wdm.STATUS_SUCCESS);
    let opened: number | null = null;
    m.createProcess("app.exe", async () => {
      opened = await win32.CreateFile("\\\\.\\OffByOne", win32.GENERIC_READ, 0, null, win32.OPEN_EXISTING, 0, 0);
    });
    const result = await m.run();
    expect(result.outcome, `handle ${String(opened)}`).to.equal("bugcheck");
    expect(result.bugCheck?.code).to.equal(0x1e);
    expect(result.bugCheck?.parameters[0]).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });
});
