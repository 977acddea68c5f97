import { expect } from "chai";
import { loadDriver, unloadDriver, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import { newMachine } from "../helpers.js";

/** Keeps the system worker thread busy until `gate` is set, so items queued meanwhile stay queued. */
function blockWorker(m: Machine): wdm.KEVENT {
  const gate = new wdm.KEVENT(wdm.NotificationEvent, false, "worker gate");
  m.queueWorkItem("blocker", () => wdm.KeWaitForSingleObject(gate, wdm.Executive, wdm.KernelMode, false));
  return gate;
}

/** Loads a driver with one device whose DriverEntry runs `entry` and whose unload deletes the device. */
async function loadWith(m: Machine, name: string, entry: (device: wdm.DEVICE_OBJECT) => void): Promise<wdm.DRIVER_OBJECT> {
  const r = await loadDriver(m, name, (DriverObject) => {
    const { status, DeviceObject } = wdm.IoCreateDevice(DriverObject, null, `\\Device\\${name}`, wdm.FILE_DEVICE_UNKNOWN, 0, false);
    if (!DeviceObject) return status;
    DriverObject.DriverUnload = (d) => {
      if (d.DeviceObject) wdm.IoDeleteDevice(d.DeviceObject);
    };
    entry(DeviceObject);
    return wdm.STATUS_SUCCESS;
  });
  expect(r.status).to.equal(wdm.STATUS_SUCCESS);
  return r.DriverObject;
}

describe("io-manager: work items", () => {
  it("IoQueueWorkItem runs the routine at PASSIVE_LEVEL on a system worker thread, with the item's device object and the context", async () => {
    const m = newMachine();
    const seen: unknown[] = [];
    let device: wdm.DEVICE_OBJECT | null = null;
    await loadWith(m, "WiRun", (d) => {
      device = d;
      const item = wdm.IoAllocateWorkItem(d);
      if (!item) throw new Error("no work item");
      wdm.IoQueueWorkItem(
        item,
        function WiRoutine(DeviceObject, Context: string) {
          seen.push(DeviceObject === device, Context, wdm.KeGetCurrentIrql(), wdm.PsGetCurrentThread().label, wdm.PsGetCurrentProcess() === m.systemProcess);
          wdm.IoFreeWorkItem(item);
        },
        wdm.DelayedWorkQueue,
        "ctx",
      );
    });
    await m.run();
    expect(seen).to.deep.equal([true, "ctx", wdm.PASSIVE_LEVEL, "System:Worker", true]);
    expect(m.nonPagedPool.liveBlocks().length).to.equal(0);
  });

  it("a queued I/O work item keeps its device, and so the driver's image, until its routine returns: the driver cannot be unloaded underneath it", async () => {
    const m = newMachine();
    const gate = blockWorker(m);
    let ranAfterUnload: boolean | null = null;
    let device: wdm.DEVICE_OBJECT | null = null;
    const driver = await loadWith(m, "WiSafe", (d) => {
      device = d;
      const item = wdm.IoAllocateWorkItem(d);
      if (!item) throw new Error("no work item");
      wdm.IoQueueWorkItemEx(item, (_o, _c, Item) => {
        ranAfterUnload = d.DriverObject.unloaded;
        wdm.IoFreeWorkItem(Item);
      }, wdm.DelayedWorkQueue, null);
    });
    expect(await unloadDriver(m, "WiSafe")).to.equal(true);
    // DriverUnload ran and deleted the device, but the queued item's reference keeps both.
    expect([driver.unloaded, driver.imageUnloaded, (device as wdm.DEVICE_OBJECT | null)?.deleted]).to.deep.equal([true, false, false]);
    m.signal(gate);
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(ranAfterUnload).to.equal(true);
    expect([(device as wdm.DEVICE_OBJECT | null)?.deleted, driver.imageUnloaded]).to.deep.equal([true, true]);
  });

  it("ExQueueWorkItem does not check the item's routine: a NULL WorkerRoutine faults in the system worker thread (0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED)", async () => {
    const m = newMachine();
    const item = new wdm.WORK_QUEUE_ITEM<null>();
    await loadWith(m, "WiNull", () => {
      wdm.ExQueueWorkItem(item, wdm.DelayedWorkQueue);
    });
    const r = await m.run();
    expect(r.bugCheck?.name).to.equal("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED");
  });

  it("an ExQueueWorkItem routine that starts after its driver was unloaded is bug check 0xCE (no reference keeps the driver)", async () => {
    const m = newMachine();
    const gate = blockWorker(m);
    const item = new wdm.WORK_QUEUE_ITEM<null>();
    await loadWith(m, "WiUnsafe", () => {
      wdm.ExInitializeWorkItem(item, function WiLateRoutine() {}, null);
      wdm.ExQueueWorkItem(item, wdm.DelayedWorkQueue);
    });
    await unloadDriver(m, "WiUnsafe");
    m.signal(gate);
    const r = await m.run();
    expect(r.bugCheck?.name).to.equal("DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS");
    expect(r.bugCheck?.detail).to.include("WiLateRoutine");
  });

  it("queuing a work item that is already queued is bug check WORKER_INVALID (0x1, an active work item was queued)", async () => {
    const m = newMachine();
    blockWorker(m);
    let error: unknown = null;
    try {
      await loadWith(m, "WiTwice", (d) => {
        const item = wdm.IoAllocateWorkItem(d);
        if (!item) return;
        const routine = (): void => undefined;
        wdm.IoQueueWorkItem(item, routine, wdm.DelayedWorkQueue, null);
        wdm.IoQueueWorkItem(item, routine, wdm.DelayedWorkQueue, null);
      });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Error);
    expect(m.halted?.kind === "bugcheck" ? [m.halted.bugCheck.record.name, m.halted.bugCheck.record.parameters[0]] : null).to.deep.equal(["WORKER_INVALID", 0x1]);
  });

  it("freeing a work item that is still queued is bug check WORKER_INVALID (0x2, a queued I/O work item was freed)", async () => {
    const m = newMachine();
    blockWorker(m);
    try {
      await loadWith(m, "WiFree", (d) => {
        const item = wdm.IoAllocateWorkItem(d);
        if (!item) return;
        wdm.IoQueueWorkItem(item, () => undefined, wdm.CriticalWorkQueue, null);
        wdm.IoFreeWorkItem(item);
      });
    } catch {
      // the bug check
    }
    expect(m.halted?.kind === "bugcheck" ? [m.halted.bugCheck.record.name, m.halted.bugCheck.record.parameters[0]] : null).to.deep.equal(["WORKER_INVALID", 0x2]);
  });

  for (const [what, queueType, routine, code] of [
    ["an invalid queue type", 99, () => undefined, 0x6],
    ["a NULL routine", wdm.DelayedWorkQueue, null, 0x7],
  ] as const) {
    it(`queuing a work item with ${what} is bug check WORKER_INVALID (0x${code.toString(16)})`, async () => {
      const m = newMachine();
      try {
        await loadWith(m, "WiBad", (d) => {
          const item = wdm.IoAllocateWorkItem(d);
          if (item) wdm.IoQueueWorkItem(item, routine as unknown as wdm.IO_WORKITEM_ROUTINE, queueType, null);
        });
      } catch {
        // the bug check
      }
      expect(m.halted?.kind === "bugcheck" ? [m.halted.bugCheck.record.name, m.halted.bugCheck.record.parameters[0]] : null).to.deep.equal(["WORKER_INVALID", code]);
    });
  }

  it("IoInitializeWorkItem makes a pool block of IoSizeofWorkItem() bytes a work item; IoQueueWorkItemEx hands the routine its item", async () => {
    const m = newMachine();
    const seen: unknown[] = [];
    await loadWith(m, "WiInit", (d) => {
      const block = wdm.ExAllocatePoolWithTag(wdm.NonPagedPoolNx, wdm.IoSizeofWorkItem(), "WiIn");
      wdm.IoInitializeWorkItem(d, block);
      wdm.IoQueueWorkItemEx(block, (IoObject, Context: number, IoWorkItem) => {
        seen.push(IoObject === d, Context, IoWorkItem instanceof wdm.IO_WORKITEM);
        wdm.IoUninitializeWorkItem(block);
        wdm.ExFreePoolWithTag(block, "WiIn");
      }, wdm.NormalWorkQueue, 7);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(seen).to.deep.equal([true, 7, true]);
  });

  it("IoInitializeWorkItem with an object that is neither a device nor a driver object is bug check WORKER_INVALID (0x3)", async () => {
    const m = newMachine();
    try {
      await loadWith(m, "WiObj", () => {
        wdm.IoInitializeWorkItem({} as unknown as wdm.DEVICE_OBJECT, new wdm.IO_WORKITEM());
      });
    } catch {
      // the bug check
    }
    expect(m.halted?.kind === "bugcheck" ? [m.halted.bugCheck.record.name, m.halted.bugCheck.record.parameters[0]] : null).to.deep.equal(["WORKER_INVALID", 0x3]);
  });

  it("IoAllocateWorkItem allocates from nonpaged pool (tag 'IoWk') and returns NULL when the allocation fails", async () => {
    const m = newMachine();
    const got: unknown[] = [];
    await loadWith(m, "WiAlloc", (d) => {
      const item = wdm.IoAllocateWorkItem(d);
      got.push(item !== null && m.nonPagedPool.block(item.address)?.size === wdm.IoSizeofWorkItem());
      m.allocationFailure = () => true;
      got.push(wdm.IoAllocateWorkItem(d));
      m.allocationFailure = null;
      if (item) wdm.IoFreeWorkItem(item);
    });
    expect(got).to.deep.equal([true, null]);
  });
});
