import { expect } from "chai";
import { Latched, interruptController } from "../../kernel/interrupt-object.js";
import { IoConnectInterrupt, IoDisconnectInterrupt } from "../../io-manager/interrupt.js";
import { Sleep } from "../../win32/index.js";
import { installSamplingCard } from "../../windriver/machine.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";

describe("windriver: the sampling card (the simulated device)", () => {
  it("raises an interrupt every interval while its line is unmasked and none while it is masked; the time to each sample is a decision whose default is the nominal interval", async () => {
    const m = newMachine();
    const card = installSamplingCard(m, { irq: 4, intervalsMs: [3, 1] });
    const at: number[] = [];
    const r = await runKernel(m, () => {
      const { InterruptObject } = IoConnectInterrupt(() => (at.push(Math.floor(m.nowMs)), true), null, null, card.vector, card.irql, card.irql, Latched, false, 1, false);
      return InterruptObject;
    });
    const io = ok(r);
    // The line is unmasked: let virtual time run with an app sleeping.
    const app = await runApp(m, async () => {
      await Sleep(10);
    });
    ok(app);
    expect(at).to.deep.equal([3, 6, 9]);
    const kinds = m.decisions.filter((d) => d.kind === "device-interrupt-interval");
    expect(kinds.every((d) => d.choice === 0 && d.of === 2)).to.equal(true);
    const r2 = await runKernel(m, () => {
      if (io) IoDisconnectInterrupt(io);
    });
    ok(r2);
    await runApp(m, async () => {
      await Sleep(20);
    });
    expect(at).to.deep.equal([3, 6, 9]);
    expect(card.raised).to.equal(3);
  });

  it("a sample an explorer fires early is raised once: the card's stale timer entry does nothing when its time comes", async () => {
    const m = newMachine();
    const card = installSamplingCard(m, { irq: 4, intervalsMs: [5] });
    const at: number[] = [];
    ok(await runKernel(m, () => {
      IoConnectInterrupt(() => (at.push(Math.floor(m.nowMs)), true), null, null, card.vector, card.irql, card.irql, Latched, false, 1, false);
    }));
    // Fire the card's pending entry now, as an injected "fire the earliest timer early" would.
    const entry = m.timers.pending().find((e) => e.label.includes("sample"));
    expect(entry).to.not.equal(undefined);
    ok(await runApp(m, async () => {
      await Sleep(1);
      entry?.fire();
      await Sleep(10);
    }));
    expect(at).to.deep.equal([1, 6, 11]);
    expect(interruptController(m).connectedTo(card.vector)).to.have.length(1);
  });
});
