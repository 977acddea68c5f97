import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { startioScenario } from "../../samples/startio/scenario.js";
import { findScenario } from "../../samples/index.js";
import { formatTextTimeline } from "../../report/text.js";

describe("samples/startio: a serial port serialising writes with IoStartPacket, StartIo and IoStartNextPacket", () => {
  it("every check of the scenario passes: each write completes once, FIFO on the wire, the queued write cancelled with ERROR_OPERATION_ABORTED, nothing leaks", async () => {
    const r = await runScenario(startioScenario);
    const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).to.deep.equal([]);
    expect(r.findings).to.deep.equal([]);
    expect(r.passed).to.equal(true);
  });

  it("the text timeline shows the device queue at work: IoStartPacket starting or queuing, StartIo, IoStartNextPacket's choice, the cancel routine taking a queued write", async () => {
    const r = await runScenario(startioScenario, { trace: true });
    const text = formatTextTimeline(r.events);
    for (const line of [
      "IoStartPacket(irp#2, UartCancel): \\Device\\Uart is idle, it starts now",
      "irp#2 → Uart!UartStartIo (StartIo)",
      "IoStartPacket(irp#3, UartCancel): \\Device\\Uart is busy, queued",
      "IoCancelIrp(irp#4) calls Uart!UartCancel",
      "Uart: irp#4 cancelled while queued",
      "IoStartNextPacket(\\Device\\Uart): next is irp#3",
      "IoStartNextPacket(\\Device\\Uart): next is irp#5",
      "IoStartNextPacket(\\Device\\Uart): the queue is empty, the device goes idle",
    ]) {
      expect(text).to.include(line);
    }
  });

  it("is shipped: irpsim list and irpsim run know it by name", () => {
    expect(findScenario("startio")).to.equal(startioScenario);
  });
});
