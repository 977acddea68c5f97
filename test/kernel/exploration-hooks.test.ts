import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel, runApp } from "../helpers.js";
import { VirtualAlloc, MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, readU32, writeU32 } from "../../win32/index.js";

describe("kernel: what exploration hooks into", () => {
  it("a timer expired early is signalled at once, queues its DPC, and a periodic timer is re-armed from now", async () => {
    const m = newMachine();
    const timer = new wdm.KTIMER(false, "T");
    const dpc = new wdm.KDPC<null>();
    const ran: number[] = [];
    const facts = ok(
      await runKernel(m, () => {
        wdm.KeInitializeTimer(timer);
        wdm.KeInitializeDpc(dpc, function TDpc() {
          ran.push(Math.floor(m.nowMs));
        }, null);
        wdm.KeSetTimerEx(timer, -10_000 * 50, 20, dpc);
        const earliest = m.earliestTimer();
        const fired = m.expireTimerNow(timer);
        return { earliest: earliest?.label, fired, signalled: timer.SignalState, stillSet: timer.Inserted, dueMs: (timer.DueTime - m.now) / 10_000 };
      }),
    );
    expect(facts).to.deep.equal({ earliest: "T", fired: true, signalled: 1, stillSet: true, dueMs: 20 });
    expect(ran[0]).to.equal(0);
    expect(m.expireTimerNow(new wdm.KTIMER(false, "unset"))).to.equal(false);
    m.cancelTimer(timer);
    expect(m.earliestTimer()).to.equal(null);
  });

  it("the low-resources simulation makes ExAllocatePoolWithTag return NULL, but never for must-succeed pool", async () => {
    const m = newMachine();
    const sites: string[] = [];
    m.allocationFailure = (site) => {
      sites.push(site);
      return true;
    };
    const r = ok(await runKernel(m, () => [wdm.ExAllocatePoolWithTag(wdm.NonPagedPool, 64, "Test"), wdm.ExAllocatePoolWithTag(wdm.NonPagedPoolMustSucceed, 64, "Must")]));
    expect(r[0]).to.equal(0);
    expect(r[1]).to.not.equal(0);
    expect(sites).to.deep.equal(["ExAllocatePoolWithTag"]);
    m.allocationFailure = null;
    ok(await runKernel(m, () => {
      wdm.ExFreePoolWithTag(r[1] ?? 0, "Must");
    }));
  });

  it("a disposed machine gives its memory back cleared: the next machine reads zeros where the first wrote, and the first can no longer be read", async () => {
    const first = newMachine();
    const a = await runApp(first, () => {
      const p = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      writeU32(p, 0xdeadbeef);
      return p;
    });
    first.dispose();
    const second = newMachine();
    const b = await runApp(second, () => {
      const p = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      return [p, readU32(p)];
    });
    expect(b.value?.[0]).to.equal(a.value);
    expect(b.value?.[1]).to.equal(0);
    expect(() => first.physical.backing(0x100)).to.throw(/released/);
  });
});
