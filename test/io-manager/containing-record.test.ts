/**
 * CONTAINING_RECORD(Address, Type, Field) for any object embedded in a driver's structure: an
 * IO_CSQ, a KDPC or a KTIMER in a device extension, a LIST_ENTRY in a nested structure or an IRP.
 */
import { expect } from "chai";
import { loadDriver } from "../../index.js";
import * as wdm from "../../wdm.js";
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
