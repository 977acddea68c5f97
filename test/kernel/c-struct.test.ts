/**
 * C structures over emulated memory (CSTRUCT), LARGE_INTEGER and 64-bit accessors: laid out as
 * MSVC lays them out for x86, read and written through the normal accessors (so faults apply).
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";

const MY_INPUT = wdm.CSTRUCT("MY_INPUT", {
  Size: wdm.ULONG,
  Flags: wdm.USHORT,
  Kind: wdm.UCHAR,
  Name: wdm.ARRAY(wdm.WCHAR, 5),
  Offset: wdm.LARGE_INTEGER,
  Handle: wdm.HANDLE,
});

describe("C structures over memory", () => {
  it("members sit at their natural alignment and the size is a multiple of the structure's alignment, as MSVC lays out x86 structures", () => {
    expect(MY_INPUT.fields.Size.offset).to.equal(0);
    expect(MY_INPUT.fields.Flags.offset).to.equal(4);
    expect(MY_INPUT.fields.Kind.offset).to.equal(6);
    expect(MY_INPUT.fields.Name.offset).to.equal(8);
    // LARGE_INTEGER is 8-aligned: 8 + 10 = 18 rounds up to 24.
    expect(wdm.FIELD_OFFSET(MY_INPUT, "Offset")).to.equal(24);
    expect(MY_INPUT.fields.Handle.offset).to.equal(32);
    expect(wdm.sizeof(MY_INPUT)).to.equal(40);
    expect(MY_INPUT.align).to.equal(8);
    expect(wdm.RTL_FIELD_SIZE(MY_INPUT, "Name")).to.equal(10);
    expect(wdm.sizeof(wdm.LARGE_INTEGER)).to.equal(8);
  });

  it("#pragma pack(1) packs members with no padding; a union's members share offset 0 and its size is the largest member's", () => {
    const PACKED = wdm.CSTRUCT("PACKED", { A: wdm.UCHAR, B: wdm.ULONG, C: wdm.USHORT }, { pack: 1 });
    expect([PACKED.fields.B.offset, PACKED.fields.C.offset, PACKED.size]).to.deep.equal([1, 5, 7]);
    const U = wdm.CUNION("U", { AsUlong: wdm.ULONG, AsBytes: wdm.ARRAY(wdm.UCHAR, 6) });
    expect([U.fields.AsUlong.offset, U.fields.AsBytes.offset, U.size]).to.deep.equal([0, 0, 8]);
    const OUTER = wdm.CSTRUCT("OUTER", { Tag: wdm.UCHAR, Inner: U, Tail: wdm.USHORT });
    expect([OUTER.fields.Inner.offset, OUTER.fields.Tail.offset, OUTER.size]).to.deep.equal([4, 12, 16]);
  });

  it("a driver reads a user's input structure member by member as C does, nested structures and unions included", async () => {
    const m = newMachine();
    const U = wdm.CUNION("U", { AsUlong: wdm.ULONG, Low: wdm.USHORT });
    const OUTER = wdm.CSTRUCT("OUTER", { Tag: wdm.CHAR, Inner: U, Values: wdm.ARRAY(wdm.SHORT, 2) });
    const r = await runApp(m, () => {
      const p = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      MY_INPUT.write(p, { Size: 40, Flags: 0x8001, Kind: 7, Name: [0x41, 0x42, 0x43, 0, 0], Offset: new wdm.LARGE_INTEGER(-2n), Handle: 0x44 });
      const v = MY_INPUT.at(p);
      v.Flags = v.Flags | 2;
      const o = OUTER.at(p + 64);
      o.Tag = -3;
      o.Inner.AsUlong = 0x12345678;
      o.Values.set(1, -1);
      const read = MY_INPUT.read(p);
      return {
        size: read.Size,
        flags: read.Flags,
        kind: read.Kind,
        name: read.Name,
        quad: read.Offset.QuadPart,
        low: read.Offset.LowPart,
        high: read.Offset.HighPart,
        handle: read.Handle,
        flagsAt: w.readU16(p + 4),
        tag: o.Tag,
        low16: o.Inner.Low,
        values: OUTER.read(p + 64).Values,
      };
    });
    expect(ok(r)).to.deep.equal({
      size: 40,
      flags: 0x8003,
      kind: 7,
      name: [0x41, 0x42, 0x43, 0, 0],
      quad: -2n,
      low: 0xfffffffe,
      high: -1,
      handle: 0x44,
      flagsAt: 0x8003,
      tag: -3,
      low16: 0x5678,
      values: [0, -1],
    });
  });

  it("reading a structure at a bad user address raises STATUS_ACCESS_VIOLATION, which a driver catches as with __try/__except", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      try {
        MY_INPUT.read(0x10000);
        return "read";
      } catch (e) {
        return e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e);
      }
    });
    expect(ok(r)).to.equal("STATUS_ACCESS_VIOLATION");
  });

  it("readU64/writeU64 store 64-bit little-endian values; writeU64 across a page into an unmapped page stores neither half", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const p = w.VirtualAlloc(0, 8192, w.MEM_RESERVE, w.PAGE_READWRITE);
      w.VirtualAlloc(p, 4096, w.MEM_COMMIT, w.PAGE_READWRITE);
      wdm.writeU64(p + 8, 0x1122334455667788n);
      const lo = w.readU32(p + 8);
      const hi = w.readU32(p + 12);
      wdm.writeI64(p + 16, -5n);
      w.writeU32(p + 4092, 0xaaaaaaaa);
      let fault = "";
      try {
        wdm.writeU64(p + 4092, 0n);
      } catch (e) {
        fault = e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e);
      }
      return { lo, hi, u: wdm.readU64(p + 8), i: wdm.readI64(p + 16), u16: wdm.readU64(p + 16), fault, kept: w.readU32(p + 4092) };
    });
    expect(ok(r)).to.deep.equal({ lo: 0x55667788, hi: 0x11223344, u: 0x1122334455667788n, i: -5n, u16: 0xfffffffffffffffbn, fault: "STATUS_ACCESS_VIOLATION", kept: 0xaaaaaaaa });
  });

  it("LARGE_INTEGER's LowPart and HighPart are the halves of QuadPart, as C's union makes them", () => {
    const li = new wdm.LARGE_INTEGER(0);
    li.HighPart = -1;
    li.LowPart = 5;
    expect(li.QuadPart).to.equal(-4294967291n);
    li.QuadPart = 0x0000000100000002n;
    expect([li.HighPart, li.LowPart]).to.deep.equal([1, 2]);
  });

  it("RtlCopyBytes, RtlZeroBytes, RtlFillBytes and RtlCompareMemory act on emulated memory byte for byte", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const p = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Test");
      wdm.RtlFillBytes(p, 16, 0x5a);
      wdm.RtlCopyBytes(p + 16, p, 7);
      wdm.RtlZeroBytes(p + 18, 2);
      const out = Array.from(wdm.readBytes(p + 16, 8));
      const same = wdm.RtlCompareMemory(p, p + 16, 8);
      wdm.ExFreePoolWithTag(p, "Test");
      return { out, same };
    });
    expect(ok(r)).to.deep.equal({ out: [0x5a, 0x5a, 0, 0, 0x5a, 0x5a, 0x5a, 0], same: 2 });
  });
});
