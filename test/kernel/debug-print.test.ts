/**
 * DbgPrint, DbgPrintEx and KdPrint: the CRT's printf conversions (strings read from emulated
 * memory), and DbgPrintEx's component and level filter with Windows' defaults.
 */
import { expect } from "chai";
import * as wdm from "../../wdm.js";
import type { Machine } from "../../index.js";
import { newMachine, ok, runKernel } from "../helpers.js";

async function printed(m: Machine, body: () => unknown): Promise<{ lines: string[]; value: unknown }> {
  const rec = m.trace.record();
  const r = await runKernel(m, body);
  rec.stop();
  return { lines: rec.events.flatMap((e) => (e.kind === "DebugPrint" ? [e.text] : [])), value: ok(r) };
}

describe("DbgPrint and the printf conversions", () => {
  it("formats %d %i %u %x %X %p %c %s %S %ws %wZ %Z %I64x %I64d %lld with widths, precision, zero padding and the - flag", async () => {
    const m = newMachine();
    const { lines } = await printed(m, () => {
      const p = wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Test");
      wdm.writeAnsiString(p, "ansi");
      wdm.writeWideString(p + 16, "wide");
      const u = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(u, "counted");
      const a = new wdm.ANSI_STRING();
      wdm.RtlInitAnsiString(a, "acounted");
      wdm.DbgPrint("%d|%i|%u|%x|%X|%p\n", -42, 7, -1, 255, 0xabc, 0x8123);
      wdm.DbgPrint("[%5d][%-5d][%05d][%+d][% d][%.3d][%#x][%#o]", 42, 42, 42, 42, 42, 7, 255, 8);
      wdm.DbgPrint("%c%c|%s|%S|%ws|%wZ|%Z|%.2s|%-6s|%6s", 0x41, "B", p, p + 16, p + 16, u, a, p, "ab", "cd");
      wdm.DbgPrint("%I64x|%I64d|%lld|%llu|%I64X|%hd|%hhu", 0x123456789abcdefn, -5n, -9007199254740993n, 1n, 255, 0x18000, 0x1ff);
      wdm.DbgPrint("%*d|%-*d|%.*s|%%|%s|%wZ", 4, 1, 3, 2, 2, "xyz", null, null);
      wdm.ExFreePoolWithTag(p, "Test");
    });
    expect(lines).to.deep.equal([
      "-42|7|4294967295|ff|ABC|00008123\n",
      "[   42][42   ][00042][+42][ 42][007][0xff][010]",
      "AB|ansi|wide|wide|counted|acounted|an|ab    |    cd",
      "123456789abcdef|-5|-9007199254740993|1|FF|-32768|255",
      "   1|2  |xy|%|(null)|(null)",
    ]);
  });

  it("a string argument at a bad address makes DbgPrint return STATUS_ACCESS_VIOLATION and print nothing; too few arguments or %n is STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const { lines, value } = await printed(m, () => [wdm.ntStatusName(wdm.DbgPrint("%s", 0x10)), wdm.ntStatusName(wdm.DbgPrint("%d %d", 1)), wdm.ntStatusName(wdm.DbgPrint("%n", 0)), wdm.ntStatusName(wdm.DbgPrint("ok"))]);
    expect(value).to.deep.equal(["STATUS_ACCESS_VIOLATION", "STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER", "STATUS_SUCCESS"]);
    expect(lines).to.deep.equal(["ok"]);
  });

  it("DbgPrintEx sends only what the component's filter lets through: with Windows' defaults only DPFLTR_ERROR_LEVEL passes, until DbgSetDebugFilterState opens a level", async () => {
    const m = newMachine();
    const { lines, value } = await printed(m, () => {
      wdm.DbgPrintEx(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_ERROR_LEVEL, "error %d", 1);
      wdm.DbgPrintEx(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_WARNING_LEVEL, "warning");
      wdm.DbgPrintEx(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_INFO_LEVEL, "info");
      const before = wdm.DbgQueryDebugFilterState(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_INFO_LEVEL);
      wdm.DbgSetDebugFilterState(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_INFO_LEVEL, true);
      wdm.KdPrintEx(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_INFO_LEVEL, "info now");
      wdm.DbgPrintEx(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_MASK | 0x8, "mask bit 3");
      wdm.DbgPrintEx(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_MASK | 0x10, "mask bit 4");
      wdm.DbgPrintEx(wdm.DPFLTR_IHVVIDEO_ID, wdm.DPFLTR_INFO_LEVEL, "other component");
      // DbgPrint and KdPrint are DPFLTR_DEFAULT_ID at DPFLTR_INFO_LEVEL: open on a test machine.
      wdm.KdPrint("kd %s", "print");
      return [before, wdm.DbgQueryDebugFilterState(wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_INFO_LEVEL)];
    });
    expect(value).to.deep.equal([0, 1]);
    expect(lines).to.deep.equal(["error 1", "info now", "mask bit 3", "kd print"]);
  });

  it("a Unicode conversion (%wZ) above PASSIVE_LEVEL is a finding: the WDK allows them only at PASSIVE_LEVEL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const u = new wdm.UNICODE_STRING();
      wdm.RtlInitUnicodeString(u, "x");
      const old = wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
      wdm.DbgPrint("%wZ", u);
      wdm.DbgPrint("%s", "narrow is fine");
      wdm.KeLowerIrql(old);
    });
    ok(r);
    expect(r.result.findings.map((f) => f.rule)).to.deep.equal(["DbgPrintUnicodeAtRaisedIrql"]);
  });
});
