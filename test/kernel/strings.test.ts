/**
 * UNICODE_STRING / ANSI_STRING and the Rtl string routines, ntstrsafe's bounded routines, and
 * the printf conversions DbgPrint and RtlStringCbPrintf share.
 */
import { expect } from "chai";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";

function pool(bytes: number): number {
  return wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, bytes, "Test");
}
function wide(address: number, chars: number): string {
  let s = "";
  for (let i = 0; i < chars; i++) s += String.fromCharCode(wdm.readU16(address + 2 * i));
  return s;
}
function statusName(f: () => unknown): string {
  try {
    f();
    return "no exception";
  } catch (e) {
    return e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e);
  }
}

describe("counted strings: UNICODE_STRING and ANSI_STRING", () => {
  it("RtlInitUnicodeString points the string at the source without copying: Length without the NUL, MaximumLength with it; a literal lives in read-only memory", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const name = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(name, "\\Device\\Foo");
      const again = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(again, "\\Device\\Foo");
      const empty = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(empty, null);
      return {
        length: name.Length,
        max: name.MaximumLength,
        text: wdm.unicodeStringText(name),
        nul: wdm.readU16(name.Buffer + name.Length),
        interned: again.Buffer === name.Buffer,
        system: name.Buffer >= wdm.MM_SYSTEM_RANGE_START,
        empty: [empty.Length, empty.MaximumLength, empty.Buffer],
      };
    });
    expect(ok(r)).to.deep.equal({ length: 22, max: 24, text: "\\Device\\Foo", nul: 0, interned: true, system: true, empty: [0, 0, 0] });
  });

  it("a driver writing through a literal's Buffer writes read-only memory: ATTEMPTED_WRITE_TO_READONLY_MEMORY, as writing to .rdata does", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const name = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(name, "\\Device\\Foo");
      wdm.writeU16(name.Buffer, 0x41);
    });
    expect(r.result.bugCheck?.name).to.equal("ATTEMPTED_WRITE_TO_READONLY_MEMORY");
  });

  it("RtlCopyUnicodeString copies what fits in MaximumLength (truncating silently) and NUL-terminates when there is room", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const src = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(src, "abcdef");
      const buf = pool(64);
      const small = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(small, buf, 8);
      wdm.RtlCopyUnicodeString(small, src);
      const big = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(big, buf + 16, 32);
      wdm.RtlCopyUnicodeString(big, src);
      const out = { small: [small.Length, wdm.unicodeStringText(small)], big: [big.Length, wdm.unicodeStringText(big), wdm.readU16(buf + 16 + 12)] };
      wdm.RtlCopyUnicodeString(big, null);
      wdm.ExFreePoolWithTag(buf, "Test");
      return { ...out, cleared: big.Length };
    });
    expect(ok(r)).to.deep.equal({ small: [8, "abcd"], big: [12, "abcdef", 0], cleared: 0 });
  });

  it("RtlCompareUnicodeString orders by character then length, case-insensitively when asked; RtlEqualUnicodeString compares length first", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const s = (t: string) => {
        const u = new wdm.UNICODE_STRING();
        wdm.RtlInitUnicodeString(u, t);
        return u;
      };
      return [
        Math.sign(wdm.RtlCompareUnicodeString(s("abc"), s("abd"), false)),
        Math.sign(wdm.RtlCompareUnicodeString(s("abc"), s("ab"), false)),
        wdm.RtlCompareUnicodeString(s("ABC"), s("abc"), true),
        Math.sign(wdm.RtlCompareUnicodeString(s("ABC"), s("abc"), false)),
        wdm.RtlEqualUnicodeString(s("Foo"), s("fOO"), true),
        wdm.RtlEqualUnicodeString(s("Foo"), s("fOO"), false),
        wdm.RtlEqualUnicodeString(s("Foo"), s("Foo2"), true),
        wdm.RtlPrefixUnicodeString(s("\\device"), s("\\Device\\X"), true),
      ];
    });
    expect(ok(r)).to.deep.equal([-1, 1, 0, -1, true, false, false, true]);
  });

  it("RtlAppendUnicodeToString appends when it fits and returns STATUS_BUFFER_TOO_SMALL, leaving the string as it was, when it does not", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const buf = pool(32);
      const d = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(d, buf, 10);
      const a = wdm.RtlAppendUnicodeToString(d, "ab");
      const b = wdm.RtlAppendUnicodeToString(d, "cd");
      const c = wdm.RtlAppendUnicodeToString(d, "ef");
      const out = [wdm.ntStatusName(a), wdm.ntStatusName(b), wdm.ntStatusName(c), d.Length, wdm.unicodeStringText(d)];
      wdm.ExFreePoolWithTag(buf, "Test");
      return out;
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_BUFFER_TOO_SMALL", 8, "abcd"]);
  });

  it("RtlUnicodeStringToAnsiString with AllocateDestinationString allocates from paged pool (freed by RtlFreeAnsiString); without it a short buffer gets a truncated, NUL-terminated copy and STATUS_BUFFER_OVERFLOW", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const u = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(u, "Hello\u00e9\u4e16");
      const a = new wdm.ANSI_STRING();
      const s1 = wdm.RtlUnicodeStringToAnsiString(a, u, true);
      const allocated = [wdm.ntStatusName(s1), a.Length, a.MaximumLength, wdm.ansiStringText(a), m.pagedPool.block(a.Buffer)?.size];
      wdm.RtlFreeAnsiString(a);
      const buf = pool(16);
      const small = new wdm.ANSI_STRING();
      wdm.RtlInitEmptyAnsiString(small, buf, 4);
      const s2 = wdm.RtlUnicodeStringToAnsiString(small, u, false);
      const truncated = [wdm.ntStatusName(s2), small.Length, wdm.ansiStringText(small), wdm.readU8(buf + 3)];
      const back = new wdm.UNICODE_STRING();
      const s3 = wdm.RtlAnsiStringToUnicodeString(back, small, true);
      const round = [wdm.ntStatusName(s3), back.Length, wdm.unicodeStringText(back)];
      wdm.RtlFreeUnicodeString(back);
      const tiny = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(tiny, buf + 8, 4);
      const s4 = wdm.RtlAnsiStringToUnicodeString(tiny, small, false);
      wdm.ExFreePoolWithTag(buf, "Test");
      return { allocated, afterFree: [a.Buffer, a.Length], truncated, round, tooSmall: [wdm.ntStatusName(s4), tiny.Length], live: m.pagedPool.liveBlockCount };
    });
    expect(ok(r)).to.deep.equal({
      allocated: ["STATUS_SUCCESS", 7, 8, "Hello\u00e9?", 8],
      afterFree: [0, 0],
      truncated: ["STATUS_BUFFER_OVERFLOW", 3, "Hel", 0],
      round: ["STATUS_SUCCESS", 6, "Hel"],
      tooSmall: ["STATUS_BUFFER_OVERFLOW", 0],
      live: 0,
    });
  });

  it("allocating a string at DISPATCH_LEVEL is paged pool at a forbidden IRQL: BAD_POOL_CALLER 0x08", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const u = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(u, "x");
      const a = new wdm.ANSI_STRING();
      wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
      wdm.RtlUnicodeStringToAnsiString(a, u, true);
    });
    expect(r.result.bugCheck?.name).to.equal("BAD_POOL_CALLER");
    expect(r.result.bugCheck?.parameters[0]).to.equal(0x08);
  });

  it("a UNICODE_STRING embedded in a user's structure is read and written in memory (UNICODE_STRING.at), and works with the same routines", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const p = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const s = wdm.UNICODE_STRING.at(p + 8);
      wdm.RtlInitEmptyUnicodeString(s, p + 64, 20);
      wdm.RtlAppendUnicodeToString(s, "user");
      return { fields: [w.readU16(p + 8), w.readU16(p + 10), w.readU32(p + 12)], text: wdm.unicodeStringText(wdm.UNICODE_STRING.read(p + 8)), literalInApp: (() => {
        const lit = new wdm.UNICODE_STRING();
        wdm.RtlInitUnicodeString(lit, "app literal");
        return lit.Buffer < wdm.MM_SYSTEM_RANGE_START && wdm.unicodeStringText(lit) === "app literal";
      })(), base: p };
    });
    const v = ok(r);
    expect(v.fields).to.deep.equal([8, 20, v.base + 64]);
    expect(v.text).to.equal("user");
    expect(v.literalInApp).to.equal(true);
  });
});

describe("ntstrsafe: the bounded string routines", () => {
  it("RtlStringCbCopyW copies and NUL-terminates; a source too long is truncated to fit with STATUS_BUFFER_OVERFLOW", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const buf = pool(64);
      const a = wdm.RtlStringCbCopyW(buf, 20, "hello");
      const fits = wide(buf, 6);
      const b = wdm.RtlStringCbCopyW(buf, 8, "hello");
      const cut = wide(buf, 4);
      const c = wdm.RtlStringCchCopyW(buf, 3, "hello");
      const cch = wide(buf, 3);
      const d = wdm.RtlStringCbCopyA(buf + 32, 4, "abcdef");
      const ansi = wdm.readAnsiString(buf + 32);
      wdm.ExFreePoolWithTag(buf, "Test");
      return [wdm.ntStatusName(a), fits, wdm.ntStatusName(b), cut, wdm.ntStatusName(c), cch, wdm.ntStatusName(d), ansi];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "hello\0", "STATUS_BUFFER_OVERFLOW", "hel\0", "STATUS_BUFFER_OVERFLOW", "he\0", "STATUS_BUFFER_OVERFLOW", "abc"]);
  });

  it("a zero-sized or NULL destination is STATUS_INVALID_PARAMETER and nothing is written; a NULL source faults as the C copy would", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const buf = pool(16);
      wdm.writeU16(buf, 0x7777);
      const out = [
        wdm.ntStatusName(wdm.RtlStringCbCopyW(buf, 0, "x")),
        wdm.ntStatusName(wdm.RtlStringCbCopyW(buf, 1, "x")),
        wdm.ntStatusName(wdm.RtlStringCbCopyW(0, 16, "x")),
        wdm.readU16(buf),
        statusName(() => wdm.RtlStringCbCopyW(buf, 16, null)),
      ];
      wdm.ExFreePoolWithTag(buf, "Test");
      return out;
    });
    expect(ok(r)).to.deep.equal(["STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", 0x7777, "STATUS_ACCESS_VIOLATION"]);
  });

  it("RtlStringCbPrintfW formats with %s as a wide string and %S as a narrow one, truncating with STATUS_BUFFER_OVERFLOW", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const buf = pool(128);
      const narrow = buf + 96;
      wdm.writeAnsiString(narrow, "nar");
      const wideAt = buf + 80;
      wdm.writeWideString(wideAt, "wid");
      const a = wdm.RtlStringCbPrintfW(buf, 64, "%s-%S-%d-%08X", wideAt, narrow, -5, 0xbeef);
      const full = wdm.readWideString(buf);
      const b = wdm.RtlStringCbPrintfW(buf, 10, "%d", 123456789);
      const cut = wdm.readWideString(buf);
      const c = wdm.RtlStringCbPrintfA(buf, 32, "%s=%u", narrow, 0xffffffff);
      const ansi = wdm.readAnsiString(buf);
      const d = wdm.RtlStringCbPrintfA(buf, 32, "%n", 0);
      const refused = wdm.readAnsiString(buf);
      wdm.ExFreePoolWithTag(buf, "Test");
      return [wdm.ntStatusName(a), full, wdm.ntStatusName(b), cut, wdm.ntStatusName(c), ansi, wdm.ntStatusName(d), refused];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", "wid-nar--5-0000BEEF", "STATUS_BUFFER_OVERFLOW", "1234", "STATUS_SUCCESS", "nar=4294967295", "STATUS_INVALID_PARAMETER", ""]);
  });

  it("RtlStringCbLengthW gives the length in bytes when the string ends within cbMax, else STATUS_INVALID_PARAMETER and 0", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const buf = pool(32);
      wdm.writeWideString(buf, "abcd");
      const len = { value: -1 };
      const a = wdm.RtlStringCbLengthW(buf, 32, len);
      const first = len.value;
      const b = wdm.RtlStringCbLengthW(buf, 8, len);
      const second = len.value;
      const c = wdm.RtlStringCbLengthA(null, 8, len);
      wdm.ExFreePoolWithTag(buf, "Test");
      return [wdm.ntStatusName(a), first, wdm.ntStatusName(b), second, wdm.ntStatusName(c)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", 8, "STATUS_INVALID_PARAMETER", 0, "STATUS_INVALID_PARAMETER"]);
  });

  it("RtlUnicodeStringPrintf fills the counted string without a NUL, STATUS_BUFFER_OVERFLOW when cut; an inconsistent string is STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const buf = pool(32);
      const s = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(s, buf, 12);
      const name = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(name, "Dev");
      const a = wdm.RtlUnicodeStringPrintf(s, "%wZ%d", name, 7);
      const first = [s.Length, wdm.unicodeStringText(s)];
      const b = wdm.RtlUnicodeStringPrintf(s, "%wZ-%u", name, 12345);
      const second = [s.Length, wdm.unicodeStringText(s)];
      const bad = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(bad, buf, 7);
      const c = wdm.RtlUnicodeStringPrintf(bad, "x");
      wdm.ExFreePoolWithTag(buf, "Test");
      return [wdm.ntStatusName(a), first, wdm.ntStatusName(b), second, wdm.ntStatusName(c)];
    });
    expect(ok(r)).to.deep.equal(["STATUS_SUCCESS", [8, "Dev7"], "STATUS_BUFFER_OVERFLOW", [12, "Dev-12"], "STATUS_INVALID_PARAMETER"]);
  });
  it("RtlCreateUnicodeString copies a NUL-terminated string into paged pool (Length without the NUL, MaximumLength with it; freed by RtlFreeUnicodeString); a NULL source is the access violation of reading it", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const d = new wdm.UNICODE_STRING();
      const made = wdm.RtlCreateUnicodeString(d, "\\Device\\Foo");
      const copy = [made, d.Length, d.MaximumLength, wdm.unicodeStringText(d), wdm.readU16(d.Buffer + d.Length), m.pagedPool.block(d.Buffer)?.size];
      wdm.RtlFreeUnicodeString(d);
      let nullSource = "";
      try {
        wdm.RtlCreateUnicodeString(new wdm.UNICODE_STRING(), null);
      } catch (e) {
        nullSource = e instanceof NtStatusError ? wdm.ntStatusName(e.status) : String(e);
      }
      return { copy, live: m.pagedPool.liveBlockCount, nullSource };
    });
    expect(ok(r)).to.deep.equal({ copy: [true, 22, 24, "\\Device\\Foo", 0, 24], live: 0, nullSource: "STATUS_ACCESS_VIOLATION" });
  });
});
