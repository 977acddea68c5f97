/**
 * The system event log as drivers write to it: IoAllocateErrorLogEntry, IoWriteErrorLogEntry,
 * IoFreeErrorLogEntry, and what a scenario reads back with errorLog().
 */
import { expect } from "chai";
import { errorLog, poolUsage } from "../../index.js";
import { BugCheckError } from "../../kernel/bugcheck.js";
import type { Machine } from "../../kernel/machine.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine } from "../helpers.js";
import { complete, IOCTL, loadKit, open } from "./kit.js";

const CODE = IOCTL(7, wdm.METHOD_BUFFERED);
const MY_ERROR = 0xc0040004;

async function run(m: Machine, handler: wdm.DRIVER_DISPATCH): Promise<void> {
  const kit = await loadKit(m, { dispatch: { [wdm.IRP_MJ_DEVICE_CONTROL]: handler } });
  m.createProcess("app.exe", async () => {
    const h = await open(kit);
    await w.DeviceIoControl(h, CODE, 0, 0, 0, 0, 0, null);
    await w.CloseHandle(h);
  });
  try {
    await m.run();
  } catch (e) {
    if (!(e instanceof BugCheckError)) throw e;
  }
}

describe("io-manager/error-log: the event log drivers write with IoWriteErrorLogEntry", () => {
  it("IoAllocateErrorLogEntry gives a zeroed entry; the fields, dump data and insertion strings the driver fills in reach the log when it calls IoWriteErrorLogEntry, which owns the memory from then on", async () => {
    const m = newMachine();
    const seen: number[] = [];
    await run(m, function LogDeviceControl(DeviceObject, Irp) {
      const size = wdm.sizeof(wdm.IO_ERROR_LOG_PACKET) + 4 + 12;
      const entry = wdm.IoAllocateErrorLogEntry(DeviceObject, size);
      if (entry === 0) return complete(Irp, wdm.STATUS_INSUFFICIENT_RESOURCES);
      seen.push(wdm.readU32(entry + 12), wdm.readU32(entry + size - 4));
      const p = wdm.IO_ERROR_LOG_PACKET.at(entry);
      p.ErrorCode = MY_ERROR;
      p.UniqueErrorValue = 42;
      p.FinalStatus = wdm.STATUS_DEVICE_NOT_READY;
      p.MajorFunctionCode = wdm.IRP_MJ_DEVICE_CONTROL;
      p.IoControlCode = CODE;
      p.DumpDataSize = 8;
      wdm.writeU32(entry + wdm.FIELD_OFFSET(wdm.IO_ERROR_LOG_PACKET, "DumpData"), 0xdeadbeef);
      wdm.writeU32(entry + wdm.FIELD_OFFSET(wdm.IO_ERROR_LOG_PACKET, "DumpData") + 4, 7);
      const strings = entry + wdm.sizeof(wdm.IO_ERROR_LOG_PACKET) + 4;
      p.NumberOfStrings = 1;
      p.StringOffset = strings - entry;
      wdm.RtlStringCbCopyW(strings, 12, "COM1");
      wdm.IoWriteErrorLogEntry(entry);
      return complete(Irp, wdm.STATUS_SUCCESS);
    });
    expect(m.halted).to.equal(null);
    expect(seen).to.deep.equal([0, 0]);
    const log = errorLog(m);
    expect(log).to.have.length(1);
    expect(log[0]).to.include({ driver: "IoTest", device: "\\Device\\IoTest", ErrorCode: MY_ERROR, UniqueErrorValue: 42, FinalStatus: wdm.STATUS_DEVICE_NOT_READY, MajorFunctionCode: wdm.IRP_MJ_DEVICE_CONTROL, IoControlCode: CODE });
    expect(log[0]?.DumpData).to.deep.equal([0xdeadbeef, 7]);
    expect(log[0]?.strings).to.deep.equal(["COM1"]);
    expect(poolUsage(m, { tag: "IoEr" }).blocks).to.equal(0);
  });

  it("an EntrySize above ERROR_LOG_MAXIMUM_SIZE gets NULL; IoFreeErrorLogEntry gives an entry back unwritten; the entry is the I/O manager's memory, not a leak of the driver's", async () => {
    const m = newMachine();
    const got: number[] = [];
    await run(m, function LogDeviceControl(DeviceObject, Irp) {
      got.push(wdm.IoAllocateErrorLogEntry(DeviceObject, wdm.ERROR_LOG_MAXIMUM_SIZE + 1));
      const e = wdm.IoAllocateErrorLogEntry(DeviceObject.DriverObject, wdm.ERROR_LOG_MAXIMUM_SIZE);
      got.push(e === 0 ? 0 : 1);
      wdm.IoFreeErrorLogEntry(e);
      return complete(Irp, wdm.STATUS_SUCCESS);
    });
    expect(m.halted).to.equal(null);
    expect(got).to.deep.equal([0, 1]);
    expect(errorLog(m)).to.deep.equal([]);
    expect(poolUsage(m, { tag: "IoEr" }).blocks).to.equal(0);
  });

  it("writing an entry twice (or writing one after freeing it) is BAD_POOL_CALLER 0xC2/0x7, the pool's answer to freeing the same memory twice", async () => {
    const m = newMachine();
    await run(m, function LogTwice(DeviceObject, Irp) {
      const e = wdm.IoAllocateErrorLogEntry(DeviceObject, wdm.sizeof(wdm.IO_ERROR_LOG_PACKET));
      wdm.IoWriteErrorLogEntry(e);
      wdm.IoWriteErrorLogEntry(e);
      return complete(Irp, wdm.STATUS_SUCCESS);
    });
    const bc = m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record : null;
    expect(bc?.code).to.equal(0xc2);
    expect(bc?.parameters[0]).to.equal(0x7);
    expect(errorLog(m)).to.have.length(1);
  });

  it("IoAllocateErrorLogEntry with an IoObject that is no device or driver object raises the access violation of reading its type; above DISPATCH_LEVEL it is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const raised: string[] = [];
    await run(m, function LogBadly(_DeviceObject, Irp) {
      try {
        wdm.IoAllocateErrorLogEntry(new wdm.KEVENT() as never, 64);
      } catch (e) {
        raised.push(e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e));
      }
      complete(Irp, wdm.STATUS_SUCCESS);
      const old = wdm.KeRaiseIrql(wdm.HIGH_LEVEL);
      wdm.IoAllocateErrorLogEntry(_DeviceObject, 64);
      wdm.KeLowerIrql(old);
      return wdm.STATUS_SUCCESS;
    });
    expect(raised).to.deep.equal(["STATUS_ACCESS_VIOLATION"]);
    const bc = m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record : null;
    expect(bc?.code).to.equal(0x0a);
  });
});
