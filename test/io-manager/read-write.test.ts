import { expect } from "chai";
import type { Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import {
  alloc,
  bytesAt,
  complete,
  completeFromTimerDpc,
  fillBytes,
  loadKit,
  open,
  overlapped,
  readOnly,
  repeat,
  resources,
  type Kit,
} from "./kit.js";

/** What a read or write dispatch routine saw. */
interface RwSeen {
  readonly major: number;
  readonly length: number;
  readonly systemBuffer: number;
  readonly userBuffer: number;
  readonly mdl: { readonly va: number; readonly byteCount: number; readonly write: boolean } | null;
  readonly data: number[];
}

/**
 * A device with `flags` whose READ fills the buffer with 0xA5 (through whatever the I/O manager
 * gave it) and reports `readInfo` bytes, and whose WRITE records the data and reports all of it.
 */
async function rwKit(
  m: Machine,
  flags: number,
  readInfo: number,
  readStatus: number = wdm.STATUS_SUCCESS,
): Promise<{ kit: Kit; seen: RwSeen[] }> {
  const seen: RwSeen[] = [];
  const where = (Irp: wdm.IRP): number => {
    if (flags & wdm.DO_BUFFERED_IO) return Irp.AssociatedIrp.SystemBuffer;
    if (flags & wdm.DO_DIRECT_IO)
      return Irp.MdlAddress
        ? wdm.MmGetSystemAddressForMdlSafe(Irp.MdlAddress, wdm.NormalPagePriority)
        : 0;
    return Irp.UserBuffer;
  };
  const record = (Irp: wdm.IRP, length: number, data: number[]): void => {
    const mdl = Irp.MdlAddress;
    seen.push({
      major: wdm.IoGetCurrentIrpStackLocation(Irp).MajorFunction,
      length,
      systemBuffer: Irp.AssociatedIrp.SystemBuffer,
      userBuffer: Irp.UserBuffer,
      mdl: mdl
        ? {
            va: wdm.MmGetMdlVirtualAddress(mdl),
            byteCount: wdm.MmGetMdlByteCount(mdl),
            write: (mdl.MdlFlags & wdm.MDL_WRITE_OPERATION) !== 0,
          }
        : null,
      data,
    });
  };
  const kit = await loadKit(m, {
    flags,
    dispatch: {
      [wdm.IRP_MJ_READ]: (_DeviceObject, Irp) => {
        const length = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
        record(Irp, length, []);
        if (length > 0) wdm.RtlFillMemory(where(Irp), length, 0xa5);
        return complete(Irp, readStatus, Math.min(readInfo, length));
      },
      [wdm.IRP_MJ_WRITE]: (_DeviceObject, Irp) => {
        const length = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Write.Length;
        record(Irp, length, length > 0 ? Array.from(wdm.readBytes(where(Irp), length)) : []);
        return complete(Irp, wdm.STATUS_SUCCESS, length);
      },
    },
  });
  return { kit, seen };
}

describe("I/O manager: ReadFile and WriteFile on buffered, direct and neither devices", () => {
  it("DO_BUFFERED_IO read: the driver fills a system buffer of the read length, and Information bytes are copied back", async () => {
    const m = newMachine();
    const { kit, seen } = await rwKit(m, wdm.DO_BUFFERED_IO, 10);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      fillBytes(buf, 32, 0x11);
      const ret = await w.ReadFile(h, buf, 32, buf + 64, null);
      return { ret, n: w.readU32(buf + 64), data: bytesAt(buf, 32), buf };
    });
    const { ret, n, data, buf } = ok(r);
    expect({ ret, n, data }).to.deep.equal({
      ret: true,
      n: 10,
      data: [...repeat(0xa5, 10), ...repeat(0x11, 22)],
    });
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ major: wdm.IRP_MJ_READ, length: 32, userBuffer: buf, mdl: null });
    expect(seen[0]?.systemBuffer).to.be.at.least(wdm.MM_SYSTEM_RANGE_START);
  });

  it("DO_BUFFERED_IO read failing with an error copies nothing back", async () => {
    const m = newMachine();
    const { kit } = await rwKit(m, wdm.DO_BUFFERED_IO, 10, wdm.STATUS_END_OF_FILE);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      fillBytes(buf, 32, 0x11);
      const ret = await w.ReadFile(h, buf, 32, 0, null);
      return { ret, error: w.GetLastError(), data: bytesAt(buf, 32) };
    });
    expect(ok(r)).to.deep.equal({
      ret: false,
      error: 38 /* ERROR_HANDLE_EOF */,
      data: repeat(0x11, 32),
    });
  });

  it("DO_BUFFERED_IO write: the data is copied into a system buffer before the driver runs, and nothing is copied back", async () => {
    const m = newMachine();
    const { kit, seen } = await rwKit(m, wdm.DO_BUFFERED_IO, 0);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = readOnly(0x3c);
      const n = alloc(4);
      const ret = await w.WriteFile(h, buf, 20, n, null);
      return { ret, n: w.readU32(n) };
    });
    expect(ok(r)).to.deep.equal({ ret: true, n: 20 });
    expect(seen.map((s) => [s.major, s.length, s.mdl, s.data])).to.deep.equal([
      [wdm.IRP_MJ_WRITE, 20, null, repeat(0x3c, 20)],
    ]);
    expect(seen[0]?.systemBuffer).to.be.at.least(wdm.MM_SYSTEM_RANGE_START);
  });

  it("DO_DIRECT_IO read: the buffer is locked by an MDL for write access, and the driver's writes reach the app without a copy", async () => {
    const m = newMachine();
    const { kit, seen } = await rwKit(m, wdm.DO_DIRECT_IO, 0);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc(8192) + 4000;
      const before = resources(m);
      const copied = m.bytesCopied;
      const ret = await w.ReadFile(h, buf, 200, 0, null);
      return {
        ret,
        data: bytesAt(buf, 200),
        copied: m.bytesCopied - copied,
        buf,
        same: JSON.stringify(resources(m)) === JSON.stringify(before),
      };
    });
    const { ret, data, copied, buf, same } = ok(r);
    expect({ ret, data, copied, same }).to.deep.equal({
      ret: true,
      data: repeat(0xa5, 200),
      copied: 0,
      same: true,
    });
    expect(seen.map((s) => [s.systemBuffer, s.mdl])).to.deep.equal([
      [0, { va: buf, byteCount: 200, write: true }],
    ]);
  });

  it("DO_DIRECT_IO write locks the buffer for read access: a read-only buffer can be written but not read into", async () => {
    const m = newMachine();
    const { kit, seen } = await rwKit(m, wdm.DO_DIRECT_IO, 8);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = readOnly(0x6d);
      const write = [await w.WriteFile(h, buf, 16, 0, null), w.GetLastError()];
      w.SetLastError(0);
      const read = [await w.ReadFile(h, buf, 16, 0, null), w.GetLastError()];
      return { write, read };
    });
    expect(ok(r)).to.deep.equal({ write: [true, 0], read: [false, w.ERROR_NOACCESS] });
    expect(seen.map((s) => [s.major, s.mdl?.write, s.data])).to.deep.equal([
      [wdm.IRP_MJ_WRITE, false, repeat(0x6d, 16)],
    ]);
  });

  it("a device with neither flag gets the app's own pointer in UserBuffer", async () => {
    const m = newMachine();
    const { kit, seen } = await rwKit(m, 0, 4);
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      await w.ReadFile(h, buf, 4, 0, null);
      return { buf, data: bytesAt(buf, 4) };
    });
    const { buf, data } = ok(r);
    expect(data).to.deep.equal(repeat(0xa5, 4));
    expect(seen.map((s) => [s.userBuffer, s.systemBuffer, s.mdl])).to.deep.equal([[buf, 0, null]]);
  });

  it("a read of length 0 gets neither a system buffer nor an MDL", async () => {
    const seen: RwSeen[] = [];
    for (const flags of [wdm.DO_BUFFERED_IO, wdm.DO_DIRECT_IO]) {
      const m = newMachine();
      const k = await rwKit(m, flags, 0);
      const r = await runApp(m, async () => w.ReadFile(await open(k.kit), alloc(), 0, 0, null));
      expect(ok(r)).to.equal(true);
      seen.push(...k.seen);
    }
    expect(seen.map((s) => [s.length, s.systemBuffer, s.mdl])).to.deep.equal([
      [0, 0, null],
      [0, 0, null],
    ]);
  });

  it("an overlapped read carries OVERLAPPED.Offset and OffsetHigh to the driver as the stack location's ByteOffset", async () => {
    const m = newMachine();
    const offsets: number[] = [];
    const kit = await loadKit(m, {
      flags: wdm.DO_BUFFERED_IO,
      dispatch: {
        [wdm.IRP_MJ_READ]: (_DeviceObject, Irp) => {
          offsets.push(wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.ByteOffset);
          return complete(Irp, wdm.STATUS_SUCCESS, 0);
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const ov = overlapped(w.CreateEvent(null, true, false, null));
      ov.Offset = 0x1000;
      ov.OffsetHigh = 2;
      return w.ReadFile(h, alloc(), 16, 0, ov);
    });
    expect(ok(r)).to.equal(true);
    expect(offsets).to.deep.equal([2 * 2 ** 32 + 0x1000]);
  });

  it("an overlapped read the driver pends returns FALSE with ERROR_IO_PENDING, and GetOverlappedResult later reports the bytes copied back", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      flags: wdm.DO_BUFFERED_IO,
      dispatch: {
        [wdm.IRP_MJ_READ]: (_DeviceObject, Irp) => {
          wdm.IoMarkIrpPending(Irp);
          wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, 6, 0x42);
          completeFromTimerDpc(Irp, 7, wdm.STATUS_SUCCESS, 6);
          return wdm.STATUS_PENDING;
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const buf = alloc();
      const ov = overlapped(w.CreateEvent(null, true, false, null));
      const ret = await w.ReadFile(h, buf, 16, 0, ov);
      const error = w.GetLastError();
      const early = bytesAt(buf, 6);
      const res = await w.GetOverlappedResult(h, ov, buf + 64, true);
      return { ret, error, early, res, n: w.readU32(buf + 64), data: bytesAt(buf, 6), at: Math.floor(m.nowMs) };
    });
    expect(ok(r)).to.deep.equal({
      ret: false,
      error: w.ERROR_IO_PENDING,
      early: repeat(0, 6),
      res: true,
      n: 6,
      data: repeat(0x42, 6),
      at: 7,
    });
  });
});
