/**
 * The memory and string helpers apps use, over emulated memory: ZeroMemory and friends, lstrlen /
 * lstrcpy (which catch a fault), strsafe's HRESULTs, wsprintf.
 */
import { expect } from "chai";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { alloc, unmapped } from "../io-manager/kit.js";

describe("Win32: memory and string helpers over the app's memory", () => {
  it("ZeroMemory, FillMemory, CopyMemory and MoveMemory act on the app's memory; a bad address faults (the app dies with STATUS_ACCESS_VIOLATION)", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const p = alloc();
      w.FillMemory(p, 8, 0x41);
      w.CopyMemory(p + 8, p, 4);
      w.MoveMemory(p + 2, p + 6, 6);
      w.ZeroMemory(p, 1);
      return Array.from(w.readBytes(p, 12));
    });
    expect(ok(r)).to.deep.equal([0, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41]);
    const m2 = newMachine();
    const r2 = await runApp(m2, () => {
      w.ZeroMemory(unmapped(), 4);
    });
    expect(r2.error).to.be.instanceOf(NtStatusError);
    expect((r2.error as NtStatusError).status).to.equal(0xc0000005);
  });

  it("lstrlen counts characters without the NUL; NULL or a bad pointer gives 0, as kernel32 catches the fault; lstrcpy returns NULL on a fault", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const p = alloc();
      w.writeAnsiString(p, "hello");
      w.writeWideString(p + 32, "wide!");
      const copied = w.lstrcpyW(p + 64, p + 32);
      w.lstrcatW(p + 64, "er");
      return [w.lstrlenA(p), w.lstrlenW(p + 32), w.lstrlenA(null), w.lstrlenA(unmapped()), copied === p + 64, w.readWideString(p + 64), w.lstrcpyA(unmapped(), "x"), w.lstrlen("abc")];
    });
    expect(ok(r)).to.deep.equal([5, 5, 0, 0, true, "wide!er", 0, 3]);
  });

  it("StringCbCopy and StringCbPrintf return S_OK, STRSAFE_E_INSUFFICIENT_BUFFER with a truncated NUL-terminated result, or STRSAFE_E_INVALID_PARAMETER for a zero-sized buffer", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const p = alloc();
      const a = w.StringCbCopyA(p, 16, "short");
      const a1 = w.readAnsiString(p);
      const b = w.StringCbCopyW(p, 8, "toolong");
      const b1 = w.readWideString(p);
      const c = w.StringCbPrintfA(p, 32, "%s=%04d", "n", 42);
      const c1 = w.readAnsiString(p);
      const d = w.StringCchPrintfW(p, 4, "%d", 123456);
      const d1 = w.readWideString(p);
      const e = w.StringCchCopy(p, 0, "x");
      const len = { value: 0 };
      const f = w.StringCbLengthW("abc", 100, len);
      return [a, a1, b, b1, c, c1, d, d1, e, f, len.value];
    });
    expect(ok(r)).to.deep.equal([w.S_OK, "short", w.STRSAFE_E_INSUFFICIENT_BUFFER, "too", w.S_OK, "n=0042", w.STRSAFE_E_INSUFFICIENT_BUFFER, "123", w.STRSAFE_E_INVALID_PARAMETER, w.S_OK, 6]);
  });

  it("wsprintf formats without floating point (a %f is dropped, taking no argument) and returns the characters written", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      const p = alloc();
      const n = w.wsprintfA(p, "%d|%5s|%-3x|%f|%c", -7, "ab", 255, "z".charCodeAt(0));
      const text = w.readAnsiString(p);
      const nw = w.wsprintf(p + 128, "%s/%S", "wide", "narrow");
      return [n, text, nw, w.readWideString(p + 128)];
    });
    expect(ok(r)).to.deep.equal([15, "-7|   ab|ff ||z", 11, "wide/narrow"]);
  });
});
