/**
 * IRPs drivers build and manage: IoSizeOfIrp, IoInitializeIrp, IoReuseIrp, AllocationFlags,
 * IoMakeAssociatedIrp, IoCancelIrp before the IRP is sent, IoBuildAsynchronousFsdRequest's
 * thread, and IoGetCurrentIrpStackLocation in the originator's completion routine.
 */
import { expect } from "chai";
import { ioManager, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import { IOCTL, alloc, complete, completeFromTimerDpc, loadKit, open, type Kit } from "./kit.js";

/** A lower device that completes reads with 8 bytes, or pends them for 5 ms when asked. */
async function lower(m: Machine, pend = false): Promise<Kit> {
  return loadKit(m, {
    name: "Lower",
    dispatch: {
      [wdm.IRP_MJ_READ]: (_d, Irp) => {
        if (!pend) return complete(Irp, wdm.STATUS_SUCCESS, 8);
        wdm.IoMarkIrpPending(Irp);
        completeFromTimerDpc(Irp, 5, wdm.STATUS_SUCCESS, 8);
        return wdm.STATUS_PENDING;
      },
    },
  });
}

function readLocation(irp: wdm.IRP): void {
  const next = wdm.IoGetNextIrpStackLocation(irp);
  next.MajorFunction = wdm.IRP_MJ_READ;
  next.Parameters.Read.Length = 8;
}

describe("I/O manager: IRPs a driver allocates, lays out and reuses", () => {
  it("IoSizeOfIrp is sizeof(IRP) plus a stack location per level (x86: 0x70 + 0x24 n); IoAllocateIrp's AllocationFlags say lookaside and quota", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const small = wdm.IoAllocateIrp(2, false);
      const quota = wdm.IoAllocateIrp(12, true);
      const out = [wdm.IoSizeOfIrp(1), wdm.IoSizeOfIrp(4), small?.AllocationFlags, quota?.AllocationFlags];
      if (small) wdm.IoFreeIrp(small);
      if (quota) wdm.IoFreeIrp(quota);
      return out;
    });
    expect(ok(r)).to.deep.equal([0x94, 0x100, wdm.IRP_ALLOCATED_FIXED_SIZE | wdm.IRP_LOOKASIDE_ALLOCATION, wdm.IRP_QUOTA_CHARGED]);
  });

  it("IoInitializeIrp lays an IRP out in the driver's pool block (zeroed, no allocation flags); it is sent, stopped, reused with IoReuseIrp and freed back to pool by IoFreeIrp", async () => {
    const m = newMachine();
    const kit = await lower(m);
    const r = await runKernel(m, () => {
      const size = wdm.IoSizeOfIrp(kit.device.StackSize);
      const mem = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, size, "MyIr");
      wdm.RtlFillMemory(mem, size, 0xee);
      const irp = wdm.IoInitializeIrp(mem, size, kit.device.StackSize);
      const laidOut = [wdm.readU32(mem), irp.StackCount, irp.CurrentLocation, irp.AllocationFlags];
      const seen: number[] = [];
      const send = () => {
        readLocation(irp);
        wdm.IoSetCompletionRoutine(irp, (_d, i) => {
          seen.push(i.IoStatus.Information);
          return wdm.STATUS_MORE_PROCESSING_REQUIRED;
        }, null, true, true, true);
        return wdm.IoCallDriver(kit.device, irp);
      };
      void send();
      wdm.IoReuseIrp(irp, wdm.STATUS_NOT_SUPPORTED);
      const reused = [irp.IoStatus.Status, irp.CurrentLocation, irp.AllocationFlags];
      void send();
      const blocksBefore = m.nonPagedPool.liveBlockCount;
      wdm.IoFreeIrp(irp);
      return { laidOut, seen, reused, freed: blocksBefore - m.nonPagedPool.liveBlockCount };
    });
    expect(ok(r)).to.deep.equal({ laidOut: [0, 1, 2, 0], seen: [8, 8], reused: [wdm.STATUS_NOT_SUPPORTED, 2, 0], freed: 1 });
  });

  it("IoInitializeIrp with a PacketSize below IoSizeOfIrp(StackSize) overruns the block: bug check 0x19 (BAD_POOL_HEADER)", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const mem = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 0x80, "MyIr");
      wdm.IoInitializeIrp(mem, 0x80, 2);
    });
    expect(r.result.bugCheck?.code).to.equal(0x19);
  });

  it("IoReuseIrp on an IRP that still has a cancel routine, or that a lower driver still holds, is the checked build's assertion: KMODE_EXCEPTION_NOT_HANDLED with STATUS_ASSERTION_FAILURE", async () => {
    for (const how of ["cancel routine", "still pending"] as const) {
      const m = newMachine();
      const kit = await lower(m, true);
      const r = await runKernel(m, () => {
        const irp = wdm.IoAllocateIrp(kit.device.StackSize, false);
        if (!irp) return;
        if (how === "cancel routine") wdm.IoSetCancelRoutine(irp, () => undefined);
        else {
          readLocation(irp);
          wdm.IoSetCompletionRoutine(irp, () => wdm.STATUS_MORE_PROCESSING_REQUIRED, null, true, true, true);
          void wdm.IoCallDriver(kit.device, irp);
        }
        wdm.IoReuseIrp(irp, wdm.STATUS_SUCCESS);
      });
      expect(r.result.bugCheck?.name, how).to.equal("KMODE_EXCEPTION_NOT_HANDLED");
      expect(r.result.bugCheck?.parameters[0], how).to.equal(0xc0000420);
    }
  });

  it("IoCancelIrp on an IRP the driver built but has not sent calls its cancel routine, as Windows does, with a NULL DeviceObject", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const irp = wdm.IoAllocateIrp(1, false);
      if (!irp) return null;
      const calls: [unknown, boolean][] = [];
      wdm.IoSetCancelRoutine(irp, (DeviceObject, Irp) => {
        wdm.IoReleaseCancelSpinLock(Irp.CancelIrql);
        calls.push([DeviceObject, Irp.Cancel]);
      });
      const called = wdm.IoCancelIrp(irp);
      wdm.IoFreeIrp(irp);
      return { called, calls };
    });
    expect(ok(r)).to.deep.equal({ called: true, calls: [[null, true]] });
  });

  it("IoBuildAsynchronousFsdRequest sets Tail.Overlay.Thread to the caller without queuing the IRP to it; completing it with no completion routine writes the caller's IO_STATUS_BLOCK and frees it", async () => {
    const m = newMachine();
    const kit = await lower(m, true);
    const r = await runKernel(m, async () => {
      const buffer = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 8, "Buf ");
      const iosb = new wdm.IO_STATUS_BLOCK();
      const irp = wdm.IoBuildAsynchronousFsdRequest(wdm.IRP_MJ_READ, kit.device, buffer, 8, 0, iosb);
      if (!irp) return null;
      const thread = irp.Tail.Overlay.Thread === wdm.PsGetCurrentThread();
      const queued = !wdm.IsListEmpty(wdm.PsGetCurrentThread().IrpList);
      const status = wdm.IoCallDriver(kit.device, irp);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 10);
      wdm.ExFreePoolWithTag(buffer, "Buf ");
      return { thread, queued, status: wdm.ntStatusName(await status), iosb: [wdm.ntStatusName(iosb.Status), iosb.Information], live: ioManager(m).liveIrps.size };
    });
    expect(ok(r)).to.deep.equal({ thread: true, queued: false, status: "STATUS_PENDING", iosb: ["STATUS_SUCCESS", 8], live: 0 });
  });

  it("IoGetCurrentIrpStackLocation in the originator's completion routine returns the location past the end of the stack (no device, zeroed) instead of failing", async () => {
    const m = newMachine();
    const kit = await lower(m);
    const r = await runKernel(m, () => {
      const irp = wdm.IoAllocateIrp(kit.device.StackSize, false);
      if (!irp) return null;
      const before = wdm.IoGetCurrentIrpStackLocation(irp);
      let inRoutine: [number, unknown, number] | null = null;
      readLocation(irp);
      wdm.IoSetCompletionRoutine(irp, (_d, i) => {
        const s = wdm.IoGetCurrentIrpStackLocation(i);
        inRoutine = [s.MajorFunction, s.DeviceObject, s.Parameters.Read.Length];
        return wdm.STATUS_MORE_PROCESSING_REQUIRED;
      }, null, true, true, true);
      void wdm.IoCallDriver(kit.device, irp);
      wdm.IoFreeIrp(irp);
      return { before: [before.MajorFunction, before.DeviceObject], inRoutine };
    });
    expect(ok(r)).to.deep.equal({ before: [0, null], inRoutine: [0, null, 0] });
  });
});

describe("I/O manager: associated IRPs", () => {
  it("IoMakeAssociatedIrp: the master request completes when its last associated IRP completes, with the status the driver put in it", async () => {
    const m = newMachine();
    const below = await lower(m, true);
    const order: string[] = [];
    const kit = await loadKit(m, {
      name: "Splitter",
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_d, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
          Irp.IoStatus.Information = 16;
          Irp.AssociatedIrp.IrpCount = 2;
          for (let i = 0; i < 2; i++) {
            const part = wdm.IoMakeAssociatedIrp(Irp, below.device.StackSize);
            if (!part) return wdm.STATUS_INSUFFICIENT_RESOURCES;
            readLocation(part);
            wdm.IoSetCompletionRoutine(part, (_dev, p) => {
              order.push(`part ${i} done, master count ${p.AssociatedIrp.MasterIrp?.AssociatedIrp.IrpCount ?? -1}`);
              return wdm.STATUS_SUCCESS;
            }, null, true, true, true);
            order.push(`part ${i}: associated ${(part.Flags & wdm.IRP_ASSOCIATED_IRP) !== 0}, same thread ${part.Tail.Overlay.Thread === Irp.Tail.Overlay.Thread}`);
            void wdm.IoCallDriver(below.device, part);
          }
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      const okay = await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_NEITHER), 0, 0, buf, 16, buf + 64, null);
      return [okay, w.readU32(buf + 64), Math.floor(m.nowMs), ioManager(m).liveIrps.size];
    });
    expect(ok(r)).to.deep.equal([true, 16, 5, 0]);
    expect(order).to.deep.equal(["part 0: associated true, same thread true", "part 1: associated true, same thread true", "part 0 done, master count 2", "part 1 done, master count 1"]);
  });
});
