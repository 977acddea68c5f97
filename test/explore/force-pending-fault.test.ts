import { expect } from "chai";
import { exploreScenario } from "../../explore/explore.js";
import { loadDriver } from "../../io-manager/driver.js";
import type { Scenario } from "../../scenario/scenario.js";
import { notifyScenario } from "../../samples/notify/scenario.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { IOCTL, complete, loadKit } from "../io-manager/kit.js";

const CODE = IOCTL(1, wdm.METHOD_BUFFERED);

/** Per-request context of the forwarding filter. */
class Forwarding {
  readonly Done = new wdm.KEVENT(wdm.NotificationEvent, false, "ForwardDone");
  /** Set when the dispatch routine starts waiting (the lost wake-up's flag). */
  Waiting = false;
}

/**
 * A filter that forwards the IOCTL to the driver below and waits for it when IoCallDriver returns
 * STATUS_PENDING. `lostWakeup` builds the classic bug: the completion routine wakes the dispatch
 * routine only if it is already waiting, so a completion that happens before the wait begins is lost.
 */
function forwarder(name: string, lostWakeup: boolean): Scenario {
  return {
    name,
    summary: "an upper driver forwards an IOCTL down and waits for it",
    injections: { forcePending: 1 },
    async run(ctx) {
      const m = ctx.machine;
      const lower = await loadKit(m, { name: "Lower", dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => complete(Irp, wdm.STATUS_SUCCESS) } });
      const loaded = await loadDriver(m, "Upper", (DriverObject) => {
        const { DeviceObject } = wdm.IoCreateDevice(DriverObject, null, null, wdm.FILE_DEVICE_UNKNOWN, 0, false);
        if (!DeviceObject) return wdm.STATUS_INSUFFICIENT_RESOURCES;
        const below = wdm.IoAttachDeviceToDeviceStack(DeviceObject, lower.device);
        if (!below) return wdm.STATUS_NO_SUCH_DEVICE;
        DeviceObject.Flags |= below.Flags & (wdm.DO_BUFFERED_IO | wdm.DO_DIRECT_IO);
        const UpperComplete: wdm.IO_COMPLETION_ROUTINE = function UpperComplete(_d, _Irp, Context) {
          const f = Context as Forwarding;
          if (!lostWakeup || f.Waiting) wdm.KeSetEvent(f.Done, 0, false);
          return wdm.STATUS_MORE_PROCESSING_REQUIRED;
        };
        const pass: wdm.DRIVER_DISPATCH = function UpperPass(_d, Irp) {
          wdm.IoSkipCurrentIrpStackLocation(Irp);
          return wdm.IoCallDriver(below, Irp);
        };
        DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = pass;
        DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = pass;
        DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = pass;
        DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = async function UpperDeviceControl(_d, Irp) {
          const f = new Forwarding();
          wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
          wdm.IoSetCompletionRoutine(Irp, UpperComplete, f, true, true, true);
          const status = await wdm.IoCallDriver(below, Irp);
          if (status === wdm.STATUS_PENDING) {
            f.Waiting = true;
            await wdm.KeWaitForSingleObject(f.Done, wdm.Executive, wdm.KernelMode, false, null);
          }
          return complete(Irp, Irp.IoStatus.Status);
        };
        return wdm.STATUS_SUCCESS;
      });
      ctx.check("the upper driver loads", loaded.status === 0);
      m.createProcess("app.exe", async () => {
        const h = await w.CreateFile(lower.path, w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
        const bytes = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, 4);
        ctx.check("the forwarded IOCTL succeeds", await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, bytes, null));
        await w.CloseHandle(h);
      });
      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.outcome);
    },
  };
}

/** A driver that uses pool without checking the allocation (the app sends it one IOCTL). */
const uncheckedAllocation: Scenario = {
  name: "unchecked-allocation",
  summary: "a driver writes to pool it did not check it got",
  injections: { fault: 1 },
  async run(ctx) {
    const m = ctx.machine;
    // An injected failure may stop DriverEntry (IoCreateDevice): then there is nothing to open.
    const loaded = await loadDriver(m, "Careless", (DriverObject) => {
      const { status, DeviceObject } = wdm.IoCreateDevice(DriverObject, null, "\\Device\\Careless", wdm.FILE_DEVICE_UNKNOWN, 0, false);
      if (!DeviceObject) return status;
      const linked = wdm.IoCreateSymbolicLink("\\DosDevices\\Careless", "\\Device\\Careless");
      if (!wdm.NT_SUCCESS(linked)) return linked;
      const ok: wdm.DRIVER_DISPATCH = function CarelessCreateClose(_d, Irp) {
        return complete(Irp, wdm.STATUS_SUCCESS);
      };
      DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = ok;
      DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = ok;
      DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = ok;
      DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function CarelessDeviceControl(_d, Irp) {
        const scratch = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Crls");
        wdm.writeU32(scratch, 1);
        wdm.ExFreePoolWithTag(scratch, "Crls");
        return complete(Irp, wdm.STATUS_SUCCESS);
      };
      return wdm.STATUS_SUCCESS;
    });
    if (loaded.status !== 0) return;
    m.createProcess("app.exe", async () => {
      const h = await w.CreateFile("\\\\.\\Careless", w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
      if (h === w.INVALID_HANDLE_VALUE) return;
      await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, null);
      await w.CloseHandle(h);
    });
    await ctx.run();
  },
};

describe("explore: Force Pending I/O Requests and fault injection", () => {
  it("a driver that waits correctly for a lower driver passes when its IoCallDriver is forced to return STATUS_PENDING", async () => {
    const r = await exploreScenario(forwarder("forward-ok", false), { strategy: "dfs", bound: 1 });
    expect(r.statement).to.match(/^all schedules up to bound 1 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(1);
  });

  it("a lost wake-up behind IoCallDriver shows as a deadlock when IoCallDriver is forced to return STATUS_PENDING, and is explained", async () => {
    const r = await exploreScenario(forwarder("forward-lost-wakeup", true), { strategy: "dfs", bound: 1 });
    expect(r.failures.map((f) => f.cause)).to.include("deadlock");
    const e = r.explained.find((x) => x.cause === "deadlock");
    expect(e?.reproduced).to.equal(true);
    expect(e?.explanation.steps[0]).to.match(/^IoCallDriver\(irp#\d+\) to .* returns STATUS_PENDING \(Force Pending I\/O Requests\) as dispatch routine UpperDeviceControl on app.exe:main calls IoCallDriver/);
  });

  it("a driver that does not check an allocation fails when the allocation is made to fail, and the explanation names the allocation", async () => {
    const r = await exploreScenario(uncheckedAllocation, { strategy: "dfs", bound: 1, stopAtFirstFailure: true });
    expect(r.failures[0]?.cause).to.match(/^bug check /);
    const e = r.explained[0];
    expect(e?.explanation.steps[0]).to.match(/^ExAllocatePoolWithTag fails \(fault injection\) when dispatch routine CarelessDeviceControl on app\.exe:main allocates \(ExAllocatePoolWithTag\)/);
  });

  it("an injected allocation failure reaches the driver as NULL and the app as ERROR_NO_SYSTEM_RESOURCES; the notify driver handles every one", async () => {
    const r = await exploreScenario(notifyScenario, { strategy: "dfs", bound: 1, budget: { fault: 1 } });
    expect(r.statement).to.match(/^all schedules up to bound 1 explored: \d+ distinct, none failed$/);
    expect(r.schedules).to.be.greaterThan(5);
  });
});
