import { expect } from "chai";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderReport, REPORT_FORMATS } from "../../cli/report-formats.js";
import { CTL_CODE, DEVICE_TYPE_FROM_CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_DISK, FILE_DEVICE_UNKNOWN, FILE_READ_ACCESS, FILE_WRITE_ACCESS, FUNCTION_FROM_CTL_CODE, METHOD_BUFFERED, METHOD_FROM_CTL_CODE, METHOD_NEITHER, METHOD_OUT_DIRECT } from "../../io-manager/constants.js";
import { ioctlConstants, registerIoctlNames } from "../../io-manager/ioctl-names.js";
import { Machine } from "../../kernel/machine.js";
import type { TraceEvent, TraceEventKind, TraceEventMap } from "../../kernel/trace.js";
import { decodeIoctl, ioctlFields, ioctlText, nameIoctlInDetail } from "../../report/ioctl.js";
import { TraceNames } from "../../report/names.js";
import { runScenario } from "../../scenario/scenario.js";
import { EchoSharedHeader, ioctlScenario, IOCTL_ECHO_READ, IOCTL_ECHO_WRITE, UNNAMED_CODE } from "../fixtures/ioctl-scenario.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function ev<K extends TraceEventKind>(seq: number, kind: K, fields: TraceEventMap[K]): TraceEvent {
  return { kind, seq, time: 0, tid: 0, pid: 0, irql: 0, ...fields } as unknown as TraceEvent;
}

describe("report/ioctl: control codes named as the driver declared them, and decoded", () => {
  it("CTL_CODE packs the device type in bits 16-31, the required access in 14-15, the function in 2-13 and the transfer method in 0-1", () => {
    const code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
    expect(code).to.equal(0x00222002);
    const d = decodeIoctl(code);
    expect([d.deviceType, d.function, d.method, d.access]).to.deep.equal([DEVICE_TYPE_FROM_CTL_CODE(code), FUNCTION_FROM_CTL_CODE(code), METHOD_FROM_CTL_CODE(code), 0]);
    expect(ioctlFields(code)).to.equal("FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS");
    expect(ioctlFields(CTL_CODE(FILE_DEVICE_DISK, 0x3, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS))).to.equal("FILE_DEVICE_DISK, 0x3, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS");
    // The mass-storage type behind IOCTL_STORAGE_* (0x2D), and a vendor type (0x8000 and up) the WDK does not name.
    expect(decodeIoctl(0x002d1400).deviceTypeName).to.equal("FILE_DEVICE_MASS_STORAGE");
    expect(ioctlFields(CTL_CODE(0x9538, 0x1, METHOD_BUFFERED, FILE_WRITE_ACCESS))).to.equal("0x9538, 0x1, METHOD_BUFFERED, FILE_WRITE_ACCESS");
  });

  it("the name alone where a line has no room, the name with CTL_CODE's fields where it has; a code nobody named is its number", () => {
    const names = TraceNames.from([ev(0, "IoctlNamed", { driver: "Sharebuf", code: 0x00222002, name: "IOCTL_SHARE_BUFFER" })]);
    expect(ioctlText(0x00222002, names, "short")).to.equal("IOCTL_SHARE_BUFFER");
    expect(ioctlText(0x00222002, names, "full")).to.equal("IOCTL_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)");
    expect(ioctlText(0x00222004, names, "short")).to.equal("0x00222004");
    expect(ioctlText(0x00222004, names, "full")).to.equal("0x00222004 (FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)");
    expect(nameIoctlInDetail("DeviceIoControl", "handle 4, 0x00222002, in 0, out 16384 at 0x00110000, overlapped", names, "short")).to.equal("handle 4, IOCTL_SHARE_BUFFER, in 0, out 16384 at 0x00110000, overlapped");
    expect(nameIoctlInDetail("ReadFile", "handle 4, 0x00222002", names, "short")).to.equal("handle 4, 0x00222002");
  });

  it("two drivers may give one number different names: each request is named by its driver's", () => {
    const names = TraceNames.from([ev(0, "IoctlNamed", { driver: "A", code: 0x222400, name: "IOCTL_A_GO" }), ev(1, "IoctlNamed", { driver: "B", code: 0x222400, name: "IOCTL_B_GO" })]);
    expect(names.ioctl(0x222400, "A")).to.equal("IOCTL_A_GO");
    expect(names.ioctl(0x222400, "B")).to.equal("IOCTL_B_GO");
    expect(names.ioctl(0x222400)).to.equal("IOCTL_A_GO or IOCTL_B_GO");
  });

  it("registerIoctlNames takes the IOCTL_* and FSCTL_* numbers of a module or object, ignores the rest, and refuses an object with none", () => {
    expect(ioctlConstants({ IOCTL_X: 0x222000, FSCTL_Y: 0x90000, IOCTL_NOT_A_NUMBER: "x", OTHER: 1, IOCTL_NEGATIVE: -1 })).to.deep.equal([["IOCTL_X", 0x222000], ["FSCTL_Y", 0x90000]]);
    const m = new Machine();
    const rec = m.trace.record();
    expect(registerIoctlNames(m, { IOCTL_X: 0x222000 }, "X")).to.equal(1);
    rec.stop();
    expect(rec.events.map((e) => (e.kind === "IoctlNamed" ? `${e.driver ?? ""} ${e.name} ${e.code}` : e.kind))).to.deep.equal([`X IOCTL_X 2236416`]);
    expect(() => registerIoctlNames(m, { OTHER: 1 })).to.throw("no IOCTL_* or FSCTL_* number constant");
  });

  it("a user's scenario names its codes both ways (the driver module given to loadDriver, registerIoctlNames), and every format shows them", async () => {
    const r = await runScenario(ioctlScenario, { trace: true });
    expect(r.passed).to.equal(true);
    const out = Object.fromEntries(REPORT_FORMATS.map((f) => [f, renderReport(ioctlScenario, [r], f)]));
    const reset = EchoSharedHeader.IOCTL_ECHO_RESET;
    expect(out.text).to.include("DeviceIoControl(handle 4, IOCTL_ECHO_READ (FILE_DEVICE_UNKNOWN, 0x810, METHOD_BUFFERED, FILE_READ_ACCESS), in 0");
    expect(out.text).to.include("IRP_MJ_DEVICE_CONTROL IOCTL_ECHO_WRITE → Echo!EchoComplete");
    expect(out.text).to.include("IOCTL_ECHO_WRITE (0x8001, 0x811, METHOD_IN_DIRECT, FILE_WRITE_ACCESS)");
    expect(out.text).to.include("IRP_MJ_DEVICE_CONTROL IOCTL_ECHO_RESET → Echo!EchoComplete");
    expect(out.text).to.include(`0x${UNNAMED_CODE.toString(16).toUpperCase().padStart(8, "0")} (FILE_DEVICE_UNKNOWN, 0x813, METHOD_BUFFERED, FILE_ANY_ACCESS)`);
    expect(out.text).to.not.include("ECHO_BUFFER_BYTES");
    for (const f of ["mermaid", "svg", "html", "chrome", "json"] as const) {
      expect(out[f], f).to.include("IOCTL_ECHO_READ");
      expect(out[f], f).to.include("IOCTL_ECHO_WRITE");
      expect(out[f], f).to.include("IOCTL_ECHO_RESET");
    }
    const hex8 = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, "0")}`;
    expect(out.mermaid).to.include(`IOCTL_ECHO_WRITE (0x8001, 0x811, METHOD_IN_DIRECT, FILE_WRITE_ACCESS) = ${hex8(IOCTL_ECHO_WRITE)}`);
    // A code nobody named is its number, decoded, in every legend.
    expect(out.mermaid).to.include(`Note over io,drv_Echo: ${hex8(UNNAMED_CODE)} (FILE_DEVICE_UNKNOWN, 0x813, METHOD_BUFFERED, FILE_ANY_ACCESS)\n`);
    expect(out.chrome).to.include(`"ioctl":"IOCTL_ECHO_RESET","ioctlCode":"0x${reset.toString(16).toUpperCase().padStart(8, "0")}","ioctlFields":"FILE_DEVICE_UNKNOWN, 0x812, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS"`);
    expect(out.json).to.include(`{"code":"0x${IOCTL_ECHO_READ.toString(16).toUpperCase().padStart(8, "0")}","name":"IOCTL_ECHO_READ","deviceType":"FILE_DEVICE_UNKNOWN","function":"0x810","method":"METHOD_BUFFERED","access":"FILE_READ_ACCESS"}`);
    expect(out.json).to.include(`"name":null`);
  });

  it("the command line names a user scenario's codes too (irpsim run path/to/scenario.js)", async () => {
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [path.join(root, "bin/irpsim.js"), "run", "dist/test/fixtures/ioctl-scenario.js"], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout });
      });
    });
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("DeviceIoControl(handle 4, IOCTL_ECHO_READ, in 0");
    // The story wraps at 100 columns: read it with its line breaks as spaces.
    expect(r.stdout.replace(/\n\s+/g, " ")).to.include("IOCTL_ECHO_RESET (FILE_DEVICE_UNKNOWN, 0x812, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)");
    expect(r.stdout).to.include("test/fixtures/ioctl-scenario.js");
  });
});
