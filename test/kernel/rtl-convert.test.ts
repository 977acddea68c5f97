/**
 * Numbers to and from counted strings, case changes, and ntstrsafe's UNICODE_STRING copy and
 * concatenation, each answered as NT documents it (the rule is in each test's name).
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

/** A UNICODE_STRING over `bytes` bytes of fresh pool. */
function buffer(bytes: number): wdm.UNICODE_STRING {
  const s = new wdm.UNICODE_STRING();
  wdm.RtlInitEmptyUnicodeString(s, wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, Math.max(bytes, 2), "Test"), bytes);
  return s;
}

describe("kernel/rtl-convert: numbers, case and ntstrsafe copies over counted strings", () => {
  it("RtlIntegerToUnicodeString writes the ULONG in base 2, 8, 10 or 16 (0 is 10; upper-case hex, no prefix, NUL when there is room); too small a buffer is STATUS_BUFFER_OVERFLOW with nothing written; another base is STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const s = buffer(40);
      const out: unknown[] = [];
      for (const [v, b] of [[1234, 0], [0xbeef, 16], [5, 2], [8, 8], [-1, 10], [0, 16]] as const) {
        const st = wdm.RtlIntegerToUnicodeString(v, b, s);
        out.push([wdm.ntStatusName(st), wdm.unicodeStringText(s), wdm.readU16(s.Buffer + s.Length)]);
      }
      const small = buffer(4);
      small.Length = 0;
      const overflow = wdm.RtlIntegerToUnicodeString(12345, 10, small);
      const bad = wdm.RtlIntegerToUnicodeString(1, 7, s);
      return { out, overflow: [wdm.ntStatusName(overflow), small.Length], bad: wdm.ntStatusName(bad), text: wdm.unicodeStringText(s) };
    });
    expect(ok(r)).to.deep.equal({
      out: [
        ["STATUS_SUCCESS", "1234", 0],
        ["STATUS_SUCCESS", "BEEF", 0],
        ["STATUS_SUCCESS", "101", 0],
        ["STATUS_SUCCESS", "10", 0],
        ["STATUS_SUCCESS", "4294967295", 0],
        ["STATUS_SUCCESS", "0", 0],
      ],
      overflow: ["STATUS_BUFFER_OVERFLOW", 0],
      bad: "STATUS_INVALID_PARAMETER",
      text: "0",
    });
  });

  it("RtlInt64ToUnicodeString writes a ULONGLONG (a bigint, or a number's low 64 bits)", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const s = buffer(64);
      const a = wdm.RtlInt64ToUnicodeString(0x1234567890abcdefn, 16, s);
      const hex = wdm.unicodeStringText(s);
      const b = wdm.RtlInt64ToUnicodeString(-1n, 10, s);
      return [wdm.ntStatusName(a), hex, wdm.ntStatusName(b), wdm.unicodeStringText(s)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "1234567890ABCDEF", "STATUS_SUCCESS", "18446744073709551615"]);
  });

  it("RtlUnicodeStringToInteger skips leading blanks, takes one sign and (base 0) a 0x/0o/0b prefix, stops at the first non-digit (none is 0, still success), wraps as a ULONG; a bad base is STATUS_INVALID_PARAMETER and a NULL Value STATUS_ACCESS_VIOLATION", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const cases: [string, number][] = [["  42", 0], ["0x1F", 0], ["-1", 10], ["0b101", 0], ["0o17", 0], ["1F", 16], ["12abc", 10], ["", 10], ["zz", 0], ["4294967297", 10], ["+7", 0], ["ff", 16]];
      const out = cases.map(([text, base]) => {
        const s = new wdm.UNICODE_STRING();
        wdm.RtlInitUnicodeString(s, text);
        const v = { value: 0xdead };
        const st = wdm.RtlUnicodeStringToInteger(s, base, v);
        return [wdm.ntStatusName(st), v.value];
      });
      const s = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(s, "10");
      const badBase = wdm.RtlUnicodeStringToInteger(s, 3, { value: 0 });
      const nullValue = wdm.RtlUnicodeStringToInteger(s, 10, null);
      const inMemory = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 4, "Test");
      wdm.RtlUnicodeStringToInteger(s, 16, inMemory);
      const ansi = { value: 0 };
      const a = wdm.RtlCharToInteger(" -0x10", 0, ansi);
      return { out, badBase: wdm.ntStatusName(badBase), nullValue: wdm.ntStatusName(nullValue), stored: wdm.readU32(inMemory), ansi: [wdm.ntStatusName(a), ansi.value] };
    });
    expect(ok(r)).to.deep.equal({
      out: [
        ["STATUS_SUCCESS", 42],
        ["STATUS_SUCCESS", 31],
        ["STATUS_SUCCESS", 0xffffffff],
        ["STATUS_SUCCESS", 5],
        ["STATUS_SUCCESS", 15],
        ["STATUS_SUCCESS", 31],
        ["STATUS_SUCCESS", 12],
        ["STATUS_SUCCESS", 0],
        ["STATUS_SUCCESS", 0],
        ["STATUS_SUCCESS", 1],
        ["STATUS_SUCCESS", 7],
        ["STATUS_SUCCESS", 255],
      ],
      badBase: "STATUS_INVALID_PARAMETER",
      nullValue: "STATUS_ACCESS_VIOLATION",
      stored: 16,
      ansi: ["STATUS_SUCCESS", 0xfffffff0],
    });
  });

  it("RtlUpcaseUnicodeString and RtlDowncaseUnicodeString change case into the destination (in place too); with AllocateDestinationString a Length-byte buffer from paged pool; a short destination is STATUS_BUFFER_OVERFLOW, untouched", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const src = new wdm.UNICODE_STRING();
      wdm.RtlCreateUnicodeString(src, "\\Device\\Echo\u00e9");
      const up = new wdm.UNICODE_STRING();
      const a = wdm.RtlUpcaseUnicodeString(up, src, true);
      const allocated = [wdm.ntStatusName(a), wdm.unicodeStringText(up), up.MaximumLength, m.pagedPool.block(up.Buffer)?.size];
      const st = wdm.RtlDowncaseUnicodeString(src, src, false);
      const inPlace = [wdm.ntStatusName(st), wdm.unicodeStringText(src)];
      const small = buffer(4);
      const o = wdm.RtlUpcaseUnicodeString(small, src, false);
      const overflow = [wdm.ntStatusName(o), small.Length];
      wdm.RtlFreeUnicodeString(up);
      wdm.RtlFreeUnicodeString(src);
      return { allocated, inPlace, overflow, live: m.pagedPool.liveBlockCount };
    });
    expect(ok(r)).to.deep.equal({
      allocated: ["STATUS_SUCCESS", "\\DEVICE\\ECHO\u00c9", 26, 26],
      inPlace: ["STATUS_SUCCESS", "\\device\\echo\u00e9"],
      overflow: ["STATUS_BUFFER_OVERFLOW", 0],
      live: 0,
    });
  });

  it("RtlUnicodeStringCopy and RtlUnicodeStringCat (ntstrsafe) copy and append within MaximumLength, cutting what does not fit (STATUS_BUFFER_OVERFLOW); an inconsistent string (odd length, Length above MaximumLength) is STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const d = buffer(16);
      const a = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(a, "\\Dev");
      const b = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(b, "ice\\Foo");
      const c1 = wdm.RtlUnicodeStringCopy(d, a);
      const afterCopy = wdm.unicodeStringText(d);
      const c2 = wdm.RtlUnicodeStringCat(d, b);
      const afterCat = [wdm.unicodeStringText(d), d.Length];
      const odd = buffer(16);
      odd.Length = 3;
      const c3 = wdm.RtlUnicodeStringCat(odd, a);
      const c4 = wdm.RtlUnicodeStringCopy(d, odd);
      return [wdm.ntStatusName(c1), afterCopy, wdm.ntStatusName(c2), afterCat, wdm.ntStatusName(c3), wdm.ntStatusName(c4)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "\\Dev", "STATUS_BUFFER_OVERFLOW", ["\\Device\\", 16], "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER"]);
  });

  it("a counted-string argument that is no UNICODE_STRING, a bigint base or a non-number value is NT's answer (the access violation of reading it, STATUS_INVALID_PARAMETER), never a JavaScript error", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const out: string[] = [];
      const attempts: (() => unknown)[] = [
        () => wdm.RtlIntegerToUnicodeString(1, 10, new wdm.KEVENT() as never),
        () => wdm.RtlUnicodeStringToInteger(null as never, 10, { value: 0 }),
        () => wdm.RtlIntegerToUnicodeString(1, 10n as never, buffer(8)),
        () => wdm.RtlInt64ToUnicodeString("1" as never, 10, buffer(8)),
        () => wdm.RtlUnicodeStringToInteger(buffer(8), 10, "x" as never),
        () => wdm.RtlCharToInteger(null, 10, { value: 0 }),
      ];
      for (const f of attempts) {
        try {
          f();
          out.push("returned");
        } catch (e) {
          out.push(e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : `host ${String(e)}`);
        }
      }
      return out;
    });
    expect(ok(r)).to.deep.equal(["STATUS_ACCESS_VIOLATION", "STATUS_ACCESS_VIOLATION", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_ACCESS_VIOLATION", "STATUS_ACCESS_VIOLATION"]);
  });
});
