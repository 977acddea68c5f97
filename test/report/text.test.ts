import { expect } from "chai";
import { wantsColor } from "../../cli/color.js";
import { formatTextTimeline } from "../../report/text.js";
import { sharebufRuns } from "./runs.js";

const ESC = "\u001b[";

describe("report/text: the text timeline", () => {
  it("a call with nothing shown inside it prints on one line with its result", async () => {
    const [done] = await sharebufRuns();
    const text = formatTextTimeline(done?.events ?? []);
    expect(text).to.match(/ 150\.0\d\d ms {2}sharebuf\.exe:main +sharebuf\.exe {3}GetOverlappedResult\(handle 4\) → TRUE\n/);
    expect(text).to.include("WaitForSingleObject(8, INFINITE) → WAIT_OBJECT_0");
  });

  it("a call with steps inside prints its result on its own line at the call's depth, and the steps are indented by call depth", async () => {
    const [done] = await sharebufRuns();
    const lines = formatTextTimeline(done?.events ?? []).split("\n");
    const step = (l: string) => l.slice(l.indexOf("sharebuf.exe   ") + "sharebuf.exe   ".length);
    const call = lines.findIndex((l) => l.includes("DeviceIoControl(handle 4, IOCTL_SHARE_BUFFER"));
    expect(step(lines[call] ?? "")).to.match(/^DeviceIoControl/);
    expect(step(lines[call + 1] ?? "")).to.match(/^ {2}MmProbeAndLockPages mdl#1/);
    expect(step(lines[call + 2] ?? "")).to.match(/^ {2}irp#2 IRP_MJ_DEVICE_CONTROL IOCTL_SHARE_BUFFER → Sharebuf!SharebufDeviceControl/);
    expect(step(lines[call + 3] ?? "")).to.match(/^ {4}mdl#1 mapped into system space/);
    const ret = lines.findIndex((l, i) => i > call && l.includes("→ FALSE (ERROR_IO_PENDING)"));
    expect(step(lines[ret] ?? "")).to.equal("→ FALSE (ERROR_IO_PENDING)");
    expect(step(lines[ret - 1] ?? "")).to.equal("  SharebufDeviceControl returns STATUS_PENDING");
  });

  it("each line has the virtual time, the thread and the address space it ran in", async () => {
    const [done] = await sharebufRuns();
    const text = formatTextTimeline(done?.events ?? []);
    // Calls cost time: the timer set a few µs into the run fires a few µs past 10 ms.
    expect(text).to.match(/^ +10\.0\d\d ms {2}Idle +System +DPC Sharebuf!SharebufTimerDpc runs in System's context$/m);
  });

  it("a cancelled request shows STATUS_CANCELLED and the cancel routine's steps inside it", async () => {
    const [, killed] = await sharebufRuns();
    const text = formatTextTimeline(killed?.events ?? []);
    expect(text).to.match(/sharebuf\.exe {3}IoCancelIrp\(irp#2\) calls Sharebuf!SharebufCancelRoutine\n.*sharebuf\.exe {5}KeCancelTimer\(SharebufTimer\)/);
    expect(text).to.include("  IoCompleteRequest(irp#2, STATUS_CANCELLED, 0 bytes)");
    expect(text).to.include("IRPs: 4 allocated, 4 completed (1 cancelled), 4 freed");
  });

  it("colours only when asked: results in green, yellow for ERROR_IO_PENDING and STATUS_PENDING, red for errors", async () => {
    const [, killed] = await sharebufRuns();
    const plain = formatTextTimeline(killed?.events ?? []);
    expect(plain).to.not.include(ESC);
    const colored = formatTextTimeline(killed?.events ?? [], { color: true });
    expect(colored).to.include(`${ESC}33m→ FALSE (ERROR_IO_PENDING)${ESC}0m`);
    expect(colored).to.include(`${ESC}31mIoCompleteRequest(irp#2, STATUS_CANCELLED, 0 bytes)${ESC}0m`);
    expect(colored).to.include(`${ESC}33mSharebufDeviceControl returns STATUS_PENDING${ESC}0m`);
    // Stripped of its colours, the coloured timeline is the plain one.
    expect(colored.replace(new RegExp(`${ESC.replace("[", "\\[")}[0-9;]*m`, "g"), "")).to.equal(plain);
  });

  it("colour goes to a terminal only, and never when NO_COLOR is set to a non-empty value (no-color.org)", () => {
    expect(wantsColor(true, {})).to.equal(true);
    expect(wantsColor(false, {})).to.equal(false);
    expect(wantsColor(undefined, {})).to.equal(false);
    expect(wantsColor(true, { NO_COLOR: "1" })).to.equal(false);
    expect(wantsColor(true, { NO_COLOR: "" })).to.equal(true);
  });
});
