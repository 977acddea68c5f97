import { expect } from "chai";
import { attachVerifier, BugCheckError, unloadDriver, type Machine } from "../../index.js";
import * as w from "../../win32/index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { loadWdfKit } from "./kit.js";

/** Runs `body` in the kit driver's DriverEntry (after its device and queue exist); returns its value or bug check. */
async function inDriver<T>(m: Machine, body: (device: wdf.WDFDEVICE, queue: wdf.WDFQUEUE) => T): Promise<{ value: T | undefined; bugCheck: BugCheckError | null; status: number }> {
  let value: T | undefined;
  let bugCheck: BugCheckError | null = null;
  let status = -1;
  try {
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDefault = function Unused(_q, Request) {
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
      setup: (d, q) => {
        value = body(d, q);
      },
    });
    status = kit.status;
  } catch (e) {
    if (e instanceof BugCheckError) bugCheck = e;
    else throw e;
  }
  if (!bugCheck && m.halted?.kind === "bugcheck") bugCheck = m.halted.bugCheck;
  return { value, bugCheck, status };
}

class DEVICE_CONTEXT {
  Counter = 0;
  Name = "";
}
const DeviceGetContext = wdf.WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "DeviceGetContext");
class EXTRA_CONTEXT {
  Value = 7;
}
const ExtraGetContext = wdf.WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(EXTRA_CONTEXT, "ExtraGetContext");

describe("wdf objects: attributes, contexts and the parent/child tree", () => {
  it("a typed context is made (zeroed) with the object, and its accessor returns the same context each time", async () => {
    const m = newMachine();
    const r = await inDriver(m, () => {
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(a, DeviceGetContext);
      const o = wdf.WdfObjectCreate(a).Object as wdf.WDFOBJECT;
      const c = DeviceGetContext(o);
      const fresh = c.Counter === 0 && c.Name === "";
      c.Counter = 5;
      return { fresh, again: DeviceGetContext(o).Counter };
    });
    expect(r.value).to.deep.equal({ fresh: true, again: 5 });
  });

  it("WdfObjectAllocateContext adds a context of another type; one of a type the object has already is STATUS_OBJECT_NAME_EXISTS", async () => {
    const m = newMachine();
    const r = await inDriver(m, () => {
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(a, DeviceGetContext);
      const o = wdf.WdfObjectCreate(a).Object as wdf.WDFOBJECT;
      const b = new wdf.WDF_OBJECT_ATTRIBUTES();
      wdf.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(b, ExtraGetContext);
      const first = wdf.WdfObjectAllocateContext(o, b).status;
      const second = wdf.WdfObjectAllocateContext(o, b).status;
      return { first, second, extra: ExtraGetContext(o).Value, viaWorker: wdf.WdfObjectGetTypedContext(o, ExtraGetContext)?.Value };
    });
    expect(r.value).to.deep.equal({ first: wdm.STATUS_SUCCESS, second: wdm.STATUS_OBJECT_NAME_EXISTS, extra: 7, viaWorker: 7 });
  });

  it("a context accessor used on an object without that context is C's NULL dereference: an access violation the driver did not handle (0x1E)", async () => {
    const m = newMachine();
    const r = await inDriver(m, () => {
      const o = wdf.WdfObjectCreate(null).Object as wdf.WDFOBJECT;
      return DeviceGetContext(o).Counter;
    });
    expect(r.bugCheck?.code).to.equal(0x1e);
    expect(r.bugCheck?.parameters[0]).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });

  it("deleting a parent deletes its children: every child's EvtCleanupCallback runs before its parent's, then EvtDestroyCallback children first", async () => {
    const m = newMachine();
    const log: string[] = [];
    await inDriver(m, () => {
      const make = (name: string, parent: wdf.WDFOBJECT | null): wdf.WDFOBJECT => {
        const a = new wdf.WDF_OBJECT_ATTRIBUTES();
        a.ParentObject = parent;
        a.EvtCleanupCallback = () => log.push(`cleanup ${name}`);
        a.EvtDestroyCallback = () => log.push(`destroy ${name}`);
        return wdf.WdfObjectCreate(a).Object as wdf.WDFOBJECT;
      };
      const root = make("root", null);
      const child = make("child", root);
      make("grandchild", child);
      make("child2", root);
      wdf.WdfObjectDelete(root);
    });
    expect(log).to.deep.equal(["cleanup grandchild", "cleanup child", "cleanup child2", "cleanup root", "destroy grandchild", "destroy child", "destroy child2", "destroy root"]);
  });

  it("EvtDestroyCallback waits for the last reference: WdfObjectReference keeps a deleted object until WdfObjectDereference", async () => {
    const m = newMachine();
    const log: string[] = [];
    await inDriver(m, () => {
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      a.EvtCleanupCallback = () => log.push("cleanup");
      a.EvtDestroyCallback = () => log.push("destroy");
      const o = wdf.WdfObjectCreate(a).Object as wdf.WDFOBJECT;
      wdf.WdfObjectReference(o);
      wdf.WdfObjectDelete(o);
      log.push("deleted");
      wdf.WdfObjectDereference(o);
      log.push("dereferenced");
    });
    expect(log).to.deep.equal(["cleanup", "deleted", "destroy", "dereferenced"]);
  });

  it("deleting a control device deletes its queues and removes its symbolic link", async () => {
    const m = newMachine();
    const r = await inDriver(m, (device, queue) => {
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      a.ParentObject = queue;
      const child = wdf.WdfObjectCreate(a).Object as wdf.WDFOBJECT;
      wdf.WdfObjectDelete(device);
      return child;
    });
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(m.io?.lookupName("\\DosDevices\\WdfTest")).to.equal(undefined);
    expect(m.io?.lookupName("\\Device\\WdfTest")).to.equal(undefined);
  });
});

describe("wdf objects: the KMDF verifier's handle, parameter, IRQL and lock checks", () => {
  it("a handle of the wrong type is WDF_VIOLATION 0x5 with the handle in parameter 2 under the verifier", async () => {
    const m = newMachine();
    attachVerifier(m);
    const r = await inDriver(m, (device) => {
      // A WDFDEVICE forged into a WDFQUEUE with a cast: the compiler would refuse it otherwise.
      wdf.WdfIoQueueStart(device as unknown as wdf.WDFQUEUE);
    });
    expect(r.bugCheck?.code).to.equal(0x10d);
    expect(r.bugCheck?.parameters[0]).to.equal(0x5);
    expect(r.bugCheck?.parameters[1]).to.not.equal(0);
    expect(r.bugCheck?.record.rule).to.match(/^0x10D\/0x5 InvalidHandle/);
  });

  it("without the verifier a wrong handle fails the routine with STATUS_INVALID_HANDLE (and a VOID routine does nothing)", async () => {
    const m = newMachine();
    const r = await inDriver(m, (device) => {
      wdf.WdfIoQueueStart(device as unknown as wdf.WDFQUEUE);
      return wdf.WdfIoQueueCreate(null as unknown as wdf.WDFDEVICE, new wdf.WDF_IO_QUEUE_CONFIG(), null).status;
    });
    expect(r.bugCheck).to.equal(null);
    expect(r.value).to.equal(wdm.STATUS_INVALID_HANDLE);
  });

  it("a deleted object's handle is WDF_VIOLATION 0x5 under the verifier", async () => {
    const m = newMachine();
    attachVerifier(m);
    const r = await inDriver(m, () => {
      const o = wdf.WdfObjectCreate(null).Object as wdf.WDFOBJECT;
      wdf.WdfObjectDelete(o);
      wdf.WdfObjectReference(o);
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0x5);
    expect(r.bugCheck?.record.detail).to.match(/already deleted/);
  });

  it("NULL where the routine requires a parameter is WDF_VIOLATION 0x4 under the verifier, STATUS_INVALID_PARAMETER without it", async () => {
    const m1 = newMachine();
    attachVerifier(m1);
    const r1 = await inDriver(m1, (device) => wdf.WdfIoQueueCreate(device, null as unknown as wdf.WDF_IO_QUEUE_CONFIG, null).status);
    expect(r1.bugCheck?.parameters[0]).to.equal(0x4);
    const m2 = newMachine();
    const r2 = await inDriver(m2, (device) => wdf.WdfIoQueueCreate(device, null as unknown as wdf.WDF_IO_QUEUE_CONFIG, null).status);
    expect(r2.value).to.equal(wdm.STATUS_INVALID_PARAMETER);
  });

  it("a routine called above the IRQL it allows is WDF_VIOLATION 0xE (p2 the IRQL, p3 the limit) under the verifier; without it the routine fails", async () => {
    const m1 = newMachine();
    attachVerifier(m1);
    const r1 = await inDriver(m1, (device) => {
      const old = wdm.KeRaiseIrqlToDpcLevel();
      const st = wdf.WdfDeviceCreateSymbolicLink(device, "\\DosDevices\\Other");
      wdm.KeLowerIrql(old);
      return st;
    });
    expect(r1.bugCheck?.parameters.slice(0, 3)).to.deep.equal([0xe, wdm.DISPATCH_LEVEL, wdm.PASSIVE_LEVEL]);
    const m2 = newMachine();
    const r2 = await inDriver(m2, (device) => {
      const old = wdm.KeRaiseIrqlToDpcLevel();
      const st = wdf.WdfDeviceCreateSymbolicLink(device, "\\DosDevices\\Other");
      wdm.KeLowerIrql(old);
      return st;
    });
    expect(r2.value).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
  });

  it("WdfObjectDelete on an object the framework owns (the driver object) is WDF_VIOLATION 0x7; deleting an object twice is 0x7 as well", async () => {
    const m1 = newMachine();
    attachVerifier(m1);
    const r1 = await inDriver(m1, (device) => {
      wdf.WdfObjectDelete(wdf.WdfDeviceGetDriver(device) as wdf.WDFDRIVER);
    });
    expect(r1.bugCheck?.parameters[0]).to.equal(0x7);
    expect(r1.bugCheck?.record.rule).to.match(/DeleteNotAllowed/);
    const m2 = newMachine();
    attachVerifier(m2);
    const r2 = await inDriver(m2, () => {
      const o = wdf.WdfObjectCreate(null).Object as wdf.WDFOBJECT;
      wdf.WdfObjectReference(o);
      wdf.WdfObjectDelete(o);
      wdf.WdfObjectDelete(o);
    });
    expect(r2.bugCheck?.parameters[0]).to.equal(0x7);
    expect(r2.bugCheck?.record.rule).to.match(/DeletedTwice/);
  });

  it("WdfObjectDereference dropping the framework's own reference (deleting by dereference) is WDF_VIOLATION 0x7", async () => {
    const m = newMachine();
    attachVerifier(m);
    const r = await inDriver(m, () => {
      const o = wdf.WdfObjectCreate(null).Object as wdf.WDFOBJECT;
      wdf.WdfObjectDereference(o);
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0x7);
    expect(r.bugCheck?.record.rule).to.match(/DereferenceDeletes/);
  });

  it("WdfObjectAcquireLock on an object with no synchronization lock is WDF_VIOLATION 0xB with parameter 3 = 0", async () => {
    const m = newMachine();
    attachVerifier(m);
    const r = await inDriver(m, () => {
      const o = wdf.WdfObjectCreate(null).Object as wdf.WDFOBJECT;
      void wdf.WdfObjectAcquireLock(o);
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0xb);
    expect(r.bugCheck?.parameters[2]).to.equal(0);
  });

  it("WdfSpinLockRelease of a lock this thread does not hold is WDF_VIOLATION 0xB with parameter 3 = 1", async () => {
    const m = newMachine();
    attachVerifier(m);
    const r = await inDriver(m, () => {
      const l = wdf.WdfSpinLockCreate(null).SpinLock as wdf.WDFSPINLOCK;
      wdf.WdfSpinLockRelease(l);
    });
    expect(r.bugCheck?.parameters[0]).to.equal(0xb);
    expect(r.bugCheck?.parameters[2]).to.equal(1);
  });

  it("WdfObjectAcquireLock on a device takes its lock at DISPATCH_LEVEL and WdfObjectReleaseLock returns to the caller's IRQL", async () => {
    const m = newMachine();
    const r = await inDriver(m, (device) => {
      void wdf.WdfObjectAcquireLock(device);
      const inside = wdm.KeGetCurrentIrql();
      wdf.WdfObjectReleaseLock(device);
      return [inside, wdm.KeGetCurrentIrql()];
    });
    expect(r.value).to.deep.equal([wdm.DISPATCH_LEVEL, wdm.PASSIVE_LEVEL]);
  });
});

describe("wdf objects: WDFMEMORY and WDFCOLLECTION", () => {
  it("WdfMemoryCopyFromBuffer/ToBuffer copy within the object and refuse a range past its end with STATUS_INVALID_BUFFER_SIZE", async () => {
    const m = newMachine();
    const r = await inDriver(m, () => {
      const mem = wdf.WdfMemoryCreate(null, wdf.NonPagedPool, 0x74736554, 32);
      const scratch = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, 0x74736554);
      wdm.writeU32(scratch, 0x11223344);
      const into = wdf.WdfMemoryCopyFromBuffer(mem.Memory as wdf.WDFMEMORY, 28, scratch, 4);
      const past = wdf.WdfMemoryCopyFromBuffer(mem.Memory as wdf.WDFMEMORY, 30, scratch, 4);
      const out = wdf.WdfMemoryCopyToBuffer(mem.Memory as wdf.WDFMEMORY, 28, scratch + 8, 4);
      const back = wdm.readU32(scratch + 8);
      const size = wdf.WdfMemoryGetBuffer(mem.Memory as wdf.WDFMEMORY).BufferSize;
      wdm.ExFreePoolWithTag(scratch, 0x74736554);
      wdf.WdfObjectDelete(mem.Memory as wdf.WDFMEMORY);
      return { into, past, out, back, size };
    });
    expect(r.value).to.deep.equal({ into: wdm.STATUS_SUCCESS, past: wdm.STATUS_INVALID_BUFFER_SIZE, out: wdm.STATUS_SUCCESS, back: 0x11223344, size: 32 });
  });

  it("a WDFMEMORY's pool block is freed when the object is deleted", async () => {
    const m = newMachine();
    const r = await inDriver(m, () => {
      const before = m.nonPagedPool.liveBlockCount;
      const mem = wdf.WdfMemoryCreate(null, wdf.NonPagedPool, 0x74736554, 100).Memory as wdf.WDFMEMORY;
      const during = m.nonPagedPool.liveBlockCount;
      wdf.WdfObjectDelete(mem);
      return [during - before, m.nonPagedPool.liveBlockCount - before];
    });
    expect(r.value).to.deep.equal([1, 0]);
  });

  it("a collection holds a reference on each item: a deleted item stays valid until it is removed", async () => {
    const m = newMachine();
    const log: string[] = [];
    const r = await inDriver(m, () => {
      const c = wdf.WdfCollectionCreate(null).Collection as wdf.WDFCOLLECTION;
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      a.EvtDestroyCallback = () => log.push("destroyed");
      const o = wdf.WdfObjectCreate(a).Object as wdf.WDFOBJECT;
      wdf.WdfCollectionAdd(c, o);
      wdf.WdfObjectDelete(o);
      const count = wdf.WdfCollectionGetCount(c);
      const first = wdf.WdfCollectionGetFirstItem(c) === o;
      log.push("removing");
      wdf.WdfCollectionRemove(c, o);
      return { count, first };
    });
    expect(r.value).to.deep.equal({ count: 1, first: true });
    expect(log).to.deep.equal(["removing", "destroyed"]);
  });
});

describe("wdf: the driver", () => {
  it("WdfDriverCreate takes the DRIVER_OBJECT's dispatch table; an app that opens the control device reaches the framework", async () => {
    const m = newMachine();
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDefault = function Def(_q, Request) {
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    const drv = m.io?.drivers.get("wdftest");
    expect(drv?.MajorFunction.every((f) => f !== null && f.name === "FxDeviceDispatch")).to.equal(true);
    const ran = await runApp(m, async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      const ok = h !== w.INVALID_HANDLE_VALUE;
      await w.CloseHandle(h);
      return ok;
    });
    expect(ran.value).to.equal(true);
  });

  it("EvtDriverUnload runs at unload, then the framework deletes the driver's objects (a control device and its link)", async () => {
    const m = newMachine();
    const log: string[] = [];
    await loadWdfKit(m, {
      unload: () => log.push("EvtDriverUnload"),
      deviceAttributes: (a) => {
        a.EvtCleanupCallback = () => log.push("device cleanup");
      },
      queue: (c) => {
        c.EvtIoDefault = function Def(_q, Request) {
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(await unloadDriver(m, "WdfTest")).to.equal(true);
    expect(log).to.deep.equal(["EvtDriverUnload", "device cleanup"]);
    expect(m.io?.lookupName("\\DosDevices\\WdfTest")).to.equal(undefined);
  });
});
