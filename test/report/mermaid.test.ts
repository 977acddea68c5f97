import { expect } from "chai";
import mermaid from "mermaid";
import { formatMermaid, mermaidLabel, mermaidText } from "../../report/mermaid.js";
import { renderReport } from "../../cli/report-formats.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { injectedDeathScenario } from "../fixtures/report-scenarios.js";
import { twiceScenario } from "../fixtures/bugcheck-scenario.js";
import { sharebufRuns, traced } from "./runs.js";

/** Mermaid's entity codes decoded, as Mermaid decodes them when it draws: what a reader sees. */
function shown(text: string): string {
  return text.replace(/#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/#lt;/g, "<").replace(/#gt;/g, ">").replace(/#amp;/g, "&");
}

/** Mermaid's own parser (the one GitHub's renderer runs); rejects with the parse error. */
async function parses(text: string): Promise<string> {
  return (await mermaid.parse(text)).diagramType;
}

describe("report/mermaid: sequence diagrams that Mermaid parses", () => {
  it("Mermaid's parser accepts the diagram of every sharebuf ending", async () => {
    for (const r of await sharebufRuns()) expect(await parses(formatMermaid(r.events, { title: r.options.ending ?? "" }))).to.equal("sequence");
  });

  it("Mermaid's parser accepts diagrams with an injection, a finding and a bug check, and the verbose diagrams", async () => {
    for (const s of [injectedDeathScenario, twiceScenario]) {
      const r = await traced(s);
      expect(await parses(formatMermaid(r.events)), s.name).to.equal("sequence");
      expect(await parses(formatMermaid(r.events, { verbose: true })), s.name).to.equal("sequence");
    }
  });

  it("the parser is a real check: an activation that was never started is rejected", async () => {
    let error = "";
    await mermaid.parse("sequenceDiagram\n  participant a\n  a-->>-a: returns\n").catch((e: unknown) => {
      error = e instanceof Error ? e.message : String(e);
    });
    expect(error).to.include("inactivate an inactive participant");
  });

  it("several runs become Markdown with one fenced mermaid block per run, each of which parses", async () => {
    const md = renderReport(sharebufScenario, await sharebufRuns(), "mermaid");
    const blocks = [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(blocks).to.have.length(3);
    expect(md).to.include("## sharebuf — ending: killed");
    for (const b of blocks) expect(await parses(b)).to.equal("sequence");
  });

  it("the app, the I/O manager, the driver and the memory manager are participants, and a dispatch routine is an activation", async () => {
    const [done] = await sharebufRuns();
    const text = shown(formatMermaid(done?.events ?? []));
    expect(text).to.include("participant app12 as sharebuf.exe\n  participant io as I/O manager\n  participant drv_Sharebuf as Sharebuf.sys\n  participant mm as Memory manager");
    expect(text).to.include("io->>+drv_Sharebuf: irp#2 IRP_MJ_DEVICE_CONTROL IOCTL_SHARE_BUFFER → SharebufDeviceControl");
    expect(text).to.include("drv_Sharebuf-->>-io: STATUS_PENDING");
    expect(text).to.include("io-->>-app12: FALSE (ERROR_IO_PENDING)");
  });

  it("MDL locking and mapping and the pended IRP are notes; the completion reaches the app asynchronously", async () => {
    const [done] = await sharebufRuns();
    const text = shown(formatMermaid(done?.events ?? []));
    expect(text).to.include("Note over mm: mdl#1: 0x00110000 +16384 in sharebuf.exe → frames 0x100–0x103, locked");
    expect(text).to.include("Note over mm: mdl#1: system 0xA0000000 → the same frames 0x100–0x103 as 0x00110000");
    expect(text).to.include("Note over io,drv_Sharebuf: irp#2 is pending");
    expect(text).to.include("io-)app12: irp#2 done: STATUS_SUCCESS");
  });

  it("the cancel routine is an activation when the app dies, and the I/O manager unlocks the pages inside IoCompleteRequest", async () => {
    const [, killed] = await sharebufRuns();
    const text = shown(formatMermaid(killed?.events ?? []));
    expect(text).to.include("io->>+drv_Sharebuf: IoCancelIrp(irp#2) → SharebufCancelRoutine");
    expect(text).to.match(/drv_Sharebuf->>io: IoCompleteRequest\(irp#2, STATUS_CANCELLED, 0 bytes\)\n {2}io->>mm: unmap mdl#1 from 0xA0000000\n {2}io->>mm: MmUnlockPages\(mdl#1\)/);
    expect(text).to.include("drv_Sharebuf-->>-io: SharebufCancelRoutine returns");
  });

  it("identical DPC runs fold into a loop block that says how many times and when", async () => {
    const [done] = await sharebufRuns();
    const text = formatMermaid(done?.events ?? []);
    expect(text).to.include("loop DPC SharebufTimerDpc, 13 times from 30 ms to 150 ms\n    ke->>+drv_Sharebuf: DPC SharebufTimerDpc\n    drv_Sharebuf-->>-ke: returns\n  end");
  });

  it("a DPC initialised in a driver's DriverEntry is attributed to that driver in the trace", async () => {
    const [done] = await sharebufRuns();
    const dpc = done?.events.find((e) => e.kind === "DpcStart");
    expect(dpc?.kind === "DpcStart" ? dpc.driver : null).to.equal("Sharebuf");
  });

  it("text that would end a Mermaid statement, start a comment or read as HTML is written as Mermaid entity codes", () => {
    expect(mermaidText("a; b <c> d")).to.equal("a#59; b #lt;c#gt; d");
    expect(mermaidText("irp#2 50% & more")).to.equal("irp#35;2 50#37; #amp; more");
    expect(mermaidLabel("a,b: c@d")).to.equal("a#44;b#58; c#64;d");
  });

  it("no message, note or loop label carries a bare # or ; (Mermaid would cut the label there)", async () => {
    for (const r of await sharebufRuns()) {
      const text = formatMermaid(r.events);
      for (const line of text.split("\n").slice(1)) {
        const label = line.includes(": ") ? line.slice(line.indexOf(": ") + 2) : line.trim().startsWith("loop ") ? line.trim().slice(5) : "";
        expect(label.replace(/#(\d+|lt|gt|amp);/g, ""), line).to.not.match(/[#;]/);
      }
      expect(shown(text)).to.include("irp#2");
    }
  });

  it("each control code is named as the driver declared it and decoded once, in a note at its first request", async () => {
    const [done] = await sharebufRuns();
    const text = shown(formatMermaid(done?.events ?? []));
    expect(text).to.include("app12->>+io: DeviceIoControl(handle 4, IOCTL_SHARE_BUFFER, in 0, out 16384 at 0x00110000, overlapped)");
    expect(text).to.include("Note over io,drv_Sharebuf: IOCTL_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) = 0x00222002");
    expect(text).to.include("Note over io,drv_Sharebuf: IOCTL_DONE_USING_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) = 0x00222004");
    expect(text.match(/= 0x00222002/g)).to.have.length(1);
    expect(text).to.not.include("0x00222002 →");
  });
});
