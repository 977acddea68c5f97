import { expect } from "chai";
import mermaid from "mermaid";
import { runScenario } from "../../scenario/scenario.js";
import { kmdfEchoScenario } from "../../samples/kmdf-echo/scenario.js";
import { buildSequence, type MessageStep, type SequenceStep } from "../../report/sequence.js";
import { formatMermaid } from "../../report/mermaid.js";
import { formatTextTimeline } from "../../report/text.js";

function messages(steps: readonly SequenceStep[]): MessageStep[] {
  return steps.flatMap((s): MessageStep[] => (s.kind === "message" ? [s] : s.kind === "group" ? messages(s.steps) : []));
}

describe("report: the framework as its own participant between the I/O manager and a KMDF driver", function () {
  this.timeout(120_000);

  it("the sequence diagram puts KMDF between the I/O manager and the driver: the IRP goes to the framework, the Evt callback from it, the completion back through it", async () => {
    const r = await runScenario(kmdfEchoScenario, { trace: true });
    const d = buildSequence(r.events);
    const ids = d.participants.map((p) => p.id);
    expect(ids.indexOf("kmdf")).to.be.greaterThan(ids.indexOf("io"));
    expect(ids.indexOf("kmdf")).to.be.lessThan(ids.indexOf("drv_KmdfEcho"));
    const m = messages(d.steps);
    expect(m.some((s) => s.from === "io" && s.to === "kmdf" && /IRP_MJ_WRITE → KmdfEcho \(framework\)/.test(s.text))).to.equal(true);
    expect(m.some((s) => s.from === "kmdf" && s.to === "drv_KmdfEcho" && /^EvtIoWrite: EchoEvtIoWrite\(WDFREQUEST#\d+ of irp#\d+\)$/.test(s.text))).to.equal(true);
    expect(m.some((s) => s.from === "drv_KmdfEcho" && s.to === "kmdf" && /^WdfRequestComplete\(WDFREQUEST#\d+, STATUS_CANCELLED\)$/.test(s.text))).to.equal(true);
    expect(m.some((s) => s.from === "kmdf" && s.to === "io" && /^IoCompleteRequest\(irp#\d+, STATUS_CANCELLED/.test(s.text))).to.equal(true);
    // The framework's own cancel routine and cancel-routine changes are drawn on its column.
    expect(m.some((s) => s.from === "io" && s.to === "kmdf" && /IoCancelIrp\(irp#\d+\) → FxRequestCancel/.test(s.text))).to.equal(true);
    expect(m.filter((s) => /^IoSetCancelRoutine/.test(s.text)).every((s) => s.from === "kmdf")).to.equal(true);
    expect((await mermaid.parse(formatMermaid(r.events))).diagramType).to.equal("sequence");
  });

  it("the text timeline names each request's state with the IRP behind it and the PnP manager's IRPs in the framework's order", async () => {
    const r = await runScenario(kmdfEchoScenario, { trace: true });
    const text = formatTextTimeline(r.events);
    const at = (re: RegExp): number => text.search(re);
    expect(at(/WDFREQUEST#\d+ \(irp#\d+\) queued in WDFQUEUE#1/)).to.be.greaterThan(-1);
    expect(at(/WDFREQUEST#\d+ \(irp#\d+\) canceled/)).to.be.greaterThan(-1);
    expect(at(/EchoEvtDevicePrepareHardware/)).to.be.lessThan(at(/EchoEvtDeviceD0Entry /));
    expect(at(/PnP manager: IRP_MJ_PNP IRP_MN_START_DEVICE/)).to.be.lessThan(at(/EchoEvtDevicePrepareHardware/));
    expect(at(/EchoEvtDeviceD0Exit/)).to.be.lessThan(at(/EchoEvtDeviceReleaseHardware/));
  });
});
