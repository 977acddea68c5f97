import { expect } from "chai";
import { attachVerifier, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

/** Runs `body` on a system thread as driver `driver`'s code. */
function asDriver(m: Machine, name: string, body: () => unknown, driver = "LockDrv"): void {
  m.createSystemThread(name, async () => {
    m.enterActivity("dispatch routine", name, driver);
    await body();
  });
}

const delay = (ms: number): Promise<number> => wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * ms);

describe("kernel: fast and guarded mutexes", () => {
  it("ExAcquireFastMutex raises to APC_LEVEL and ExReleaseFastMutex lowers back; a second acquirer waits for the release", async () => {
    const m = newMachine();
    const fm = new wdm.FAST_MUTEX();
    const log: string[] = [];
    m.createSystemThread("A", async () => {
      wdm.ExInitializeFastMutex(fm);
      await wdm.ExAcquireFastMutex(fm);
      log.push(`A owns at IRQL ${wdm.KeGetCurrentIrql()}`);
      await wdm.KeWaitForSingleObject(new wdm.KEVENT(), wdm.Executive, wdm.KernelMode, false, -10_000 * 5);
      wdm.ExReleaseFastMutex(fm);
      log.push(`A released, IRQL ${wdm.KeGetCurrentIrql()}`);
    });
    m.createSystemThread("B", async () => {
      log.push(`B tries: ${wdm.ExTryToAcquireFastMutex(fm)} at IRQL ${wdm.KeGetCurrentIrql()}`);
      await wdm.ExAcquireFastMutex(fm);
      log.push(`B owns at ${Math.floor(m.nowMs)} ms`);
      wdm.ExReleaseFastMutex(fm);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(log).to.deep.equal(["A owns at IRQL 1", "B tries: false at IRQL 0", "A released, IRQL 0", "B owns at 5 ms"]);
  });

  it("acquiring a fast mutex the thread already owns waits for ever (a deadlock); under the verifier it is 0xC4/0x1000", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const fm = new wdm.FAST_MUTEX("config mutex");
      wdm.ExInitializeFastMutex(fm);
      await wdm.ExAcquireFastMutex(fm);
      await wdm.ExAcquireFastMutex(fm);
    });
    expect(r.result.outcome).to.equal("deadlock");
    expect(r.result.deadlock).to.include("config mutex");

    const v = newMachine();
    attachVerifier(v);
    asDriver(v, "Twice", async () => {
      const fm = new wdm.FAST_MUTEX();
      wdm.ExInitializeFastMutex(fm);
      await wdm.ExAcquireFastMutex(fm);
      await wdm.ExAcquireFastMutex(fm);
    });
    const rv = await v.run();
    expect([rv.bugCheck?.parameters[0], rv.bugCheck?.rule]).to.deep.equal([0x1000, "0xC4/0x1000 LockSelfDeadlock"]);
  });

  it("ExAcquireFastMutex at DISPATCH_LEVEL is IRQL_NOT_GREATER_OR_EQUAL; under the verifier 0xC4/0x33", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const fm = new wdm.FAST_MUTEX();
      wdm.ExInitializeFastMutex(fm);
      wdm.KeRaiseIrqlToDpcLevel();
      await wdm.ExAcquireFastMutex(fm);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_GREATER_OR_EQUAL");
    const v = newMachine();
    attachVerifier(v);
    asDriver(v, "High", async () => {
      const fm = new wdm.FAST_MUTEX();
      wdm.ExInitializeFastMutex(fm);
      wdm.KeRaiseIrqlToDpcLevel();
      await wdm.ExAcquireFastMutex(fm);
    });
    const rv = await v.run();
    expect(rv.bugCheck?.rule).to.equal("0xC4/0x33 FastMutexIrql");
  });

  it("a guarded mutex enters a guarded region (APCs disabled) without raising the IRQL", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const gm = new wdm.KGUARDED_MUTEX();
      wdm.KeInitializeGuardedMutex(gm);
      await wdm.KeAcquireGuardedMutex(gm);
      const inside = [wdm.KeGetCurrentIrql(), wdm.KeAreApcsDisabled(), wdm.KeTryToAcquireGuardedMutex(gm)];
      wdm.KeReleaseGuardedMutex(gm);
      return [...inside, wdm.KeAreApcsDisabled()];
    });
    expect(ok(r)).to.deep.equal([wdm.PASSIVE_LEVEL, true, false, false]);
  });
});

describe("kernel: executive resources (ERESOURCE)", () => {
  it("shared owners hold it together; an exclusive acquirer waits for them, and a later shared acquirer waits behind it", async () => {
    const m = newMachine();
    const res = new wdm.ERESOURCE("table");
    const log: string[] = [];
    const reader = (name: string, startMs: number, holdMs: number) => async () => {
      await delay(startMs);
      wdm.KeEnterCriticalRegion();
      await wdm.ExAcquireResourceSharedLite(res, true);
      log.push(`${name} shared at ${Math.floor(m.nowMs)}`);
      await delay(holdMs);
      wdm.ExReleaseResourceLite(res);
      wdm.KeLeaveCriticalRegion();
    };
    m.createSystemThread("init", () => wdm.ExInitializeResourceLite(res));
    m.createSystemThread("R1", reader("R1", 1, 10));
    m.createSystemThread("R2", reader("R2", 2, 10));
    m.createSystemThread("W", async () => {
      await delay(3);
      wdm.KeEnterCriticalRegion();
      const busy = await wdm.ExAcquireResourceExclusiveLite(res, false);
      await wdm.ExAcquireResourceExclusiveLite(res, true);
      log.push(`W exclusive at ${Math.floor(m.nowMs)} (no-wait try: ${busy})`);
      await delay(5);
      wdm.ExReleaseResourceLite(res);
      wdm.KeLeaveCriticalRegion();
    });
    m.createSystemThread("R3", reader("R3", 4, 1));
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(log).to.deep.equal(["R1 shared at 1", "R2 shared at 2", "W exclusive at 12 (no-wait try: false)", "R3 shared at 17"]);
  });

  it("an exclusive owner may acquire again (exclusive or shared), and releasing the last hold lets the shared waiters in before an exclusive one", async () => {
    const m = newMachine();
    const res = new wdm.ERESOURCE();
    const log: string[] = [];
    m.createSystemThread("owner", async () => {
      wdm.ExInitializeResourceLite(res);
      wdm.KeEnterCriticalRegion();
      await wdm.ExAcquireResourceExclusiveLite(res, true);
      await wdm.ExAcquireResourceSharedLite(res, true);
      log.push(`owner holds ${wdm.ExIsResourceAcquiredSharedLite(res)}, exclusive ${wdm.ExIsResourceAcquiredExclusiveLite(res)}`);
      await delay(5);
      wdm.ExReleaseResourceLite(res);
      wdm.ExReleaseResourceLite(res);
      wdm.KeLeaveCriticalRegion();
    });
    for (const [name, exclusive, at] of [["X", true, 1], ["S1", false, 2], ["S2", false, 3]] as const) {
      m.createSystemThread(name, async () => {
        await delay(at);
        wdm.KeEnterCriticalRegion();
        if (exclusive) await wdm.ExAcquireResourceExclusiveLite(res, true);
        else await wdm.ExAcquireSharedStarveExclusive(res, true);
        log.push(`${name} at ${Math.floor(m.nowMs)}`);
        await delay(1);
        wdm.ExReleaseResourceLite(res);
        wdm.KeLeaveCriticalRegion();
      });
    }
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(log).to.deep.equal(["owner holds 2, exclusive true", "S1 at 5", "S2 at 5", "X at 6"]);
  });

  it("releasing a resource the thread does not own is bug check RESOURCE_NOT_OWNED", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const res = new wdm.ERESOURCE();
      wdm.ExInitializeResourceLite(res);
      wdm.ExReleaseResourceLite(res);
    });
    expect(r.result.bugCheck?.name).to.equal("RESOURCE_NOT_OWNED");
  });

  const verified: [string, () => Promise<void>, string][] = [
    [
      "acquiring outside a critical region is 0xC4/0x37",
      async () => {
        const res = new wdm.ERESOURCE();
        wdm.ExInitializeResourceLite(res);
        await wdm.ExAcquireResourceExclusiveLite(res, true);
      },
      "0xC4/0x37 CriticalRegionRequired",
    ],
    [
      "deleting it while it is held is 0xC4/0x100B",
      async () => {
        const res = new wdm.ERESOURCE();
        wdm.ExInitializeResourceLite(res);
        await wdm.ExEnterCriticalRegionAndAcquireResourceExclusive(res);
        wdm.ExDeleteResourceLite(res);
      },
      "0xC4/0x100B LockMisuse",
    ],
    [
      "initialising it again while in use is 0xC4/0xD0",
      async () => {
        const res = new wdm.ERESOURCE();
        wdm.ExInitializeResourceLite(res);
        wdm.ExInitializeResourceLite(res);
        await Promise.resolve();
      },
      "0xC4/0xD0 LockMisuse",
    ],
    [
      "a shared owner asking for exclusive access is the self-deadlock 0xC4/0x1000",
      async () => {
        const res = new wdm.ERESOURCE();
        wdm.ExInitializeResourceLite(res);
        wdm.KeEnterCriticalRegion();
        await wdm.ExAcquireResourceSharedLite(res, true);
        await wdm.ExAcquireResourceExclusiveLite(res, true);
      },
      "0xC4/0x1000 LockSelfDeadlock",
    ],
  ];
  for (const [what, body, rule] of verified) {
    it(`under the verifier, ${what}`, async () => {
      const m = newMachine();
      attachVerifier(m);
      asDriver(m, "ResDispatch", body);
      const r = await m.run();
      expect(r.bugCheck?.rule).to.equal(rule);
    });
  }
});

describe("kernel: push locks and run-down protection", () => {
  it("a push lock held shared keeps an exclusive acquirer waiting until the last shared release", async () => {
    const m = newMachine();
    const pl = new wdm.EX_PUSH_LOCK();
    const log: string[] = [];
    m.createSystemThread("S", async () => {
      wdm.ExInitializePushLock(pl);
      wdm.KeEnterCriticalRegion();
      await wdm.ExAcquirePushLockShared(pl);
      await delay(4);
      wdm.ExReleasePushLockShared(pl);
      wdm.KeLeaveCriticalRegion();
    });
    m.createSystemThread("X", async () => {
      wdm.KeEnterCriticalRegion();
      await wdm.ExAcquirePushLockExclusive(pl);
      log.push(`X at ${Math.floor(m.nowMs)}`);
      wdm.ExReleasePushLockExclusive(pl);
      wdm.KeLeaveCriticalRegion();
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(log).to.deep.equal(["X at 4"]);
  });

  it("under the verifier, a push lock acquired outside a critical region is 0xC4/0xEA", async () => {
    const m = newMachine();
    attachVerifier(m);
    asDriver(m, "PushDispatch", async () => {
      const pl = new wdm.EX_PUSH_LOCK();
      wdm.ExInitializePushLock(pl);
      await wdm.ExAcquirePushLockExclusive(pl);
    });
    const r = await m.run();
    expect(r.bugCheck?.rule).to.equal("0xC4/0xEA CriticalRegionRequired");
  });

  it("ExWaitForRundownProtectionRelease refuses new references at once and returns when the last one is released", async () => {
    const m = newMachine();
    const ref = new wdm.EX_RUNDOWN_REF();
    const log: string[] = [];
    m.createSystemThread("user", async () => {
      wdm.ExInitializeRundownProtection(ref);
      log.push(`acquire: ${wdm.ExAcquireRundownProtection(ref)}`);
      await delay(6);
      wdm.ExReleaseRundownProtection(ref);
    });
    m.createSystemThread("teardown", async () => {
      await delay(1);
      const waiting = wdm.ExWaitForRundownProtectionRelease(ref);
      log.push(`acquire during run-down: ${wdm.ExAcquireRundownProtection(ref)}`);
      await waiting;
      log.push(`run down at ${Math.floor(m.nowMs)}`);
      wdm.ExReInitializeRundownProtection(ref);
      log.push(`after re-initialising: ${wdm.ExAcquireRundownProtection(ref)}`);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(log).to.deep.equal(["acquire: true", "acquire during run-down: false", "run down at 6", "after re-initialising: true"]);
  });

  it("under the verifier, a run-down release without an acquire is a finding", async () => {
    const m = newMachine();
    attachVerifier(m);
    asDriver(m, "RundownDispatch", () => {
      const ref = new wdm.EX_RUNDOWN_REF();
      wdm.ExInitializeRundownProtection(ref);
      wdm.ExReleaseRundownProtection(ref);
    });
    const r = await m.run();
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["RundownReleaseWithoutAcquire"]);
  });
});

describe("kernel: critical regions", () => {
  it("KeEnterCriticalRegion holds back normal kernel APCs until KeLeaveCriticalRegion", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      wdm.KeEnterCriticalRegion();
      const inside = wdm.KeAreApcsDisabled();
      wdm.KeLeaveCriticalRegion();
      return [inside, wdm.KeAreApcsDisabled()];
    });
    expect(ok(r)).to.deep.equal([true, false]);
  });

  it("a work item that returns with a critical region unbalanced is bug check APC_INDEX_MISMATCH", async () => {
    const m = newMachine();
    m.queueWorkItem("unbalanced", () => {
      wdm.KeEnterCriticalRegion();
    });
    const r = await m.run();
    expect(r.bugCheck?.name).to.equal("APC_INDEX_MISMATCH");
    expect(r.bugCheck?.parameters[3]).to.equal(1);
  });

  it("under the verifier, KeLeaveCriticalRegion without KeEnterCriticalRegion is 0xC4/0x3E at the call", async () => {
    const m = newMachine();
    attachVerifier(m);
    asDriver(m, "RegionDispatch", () => {
      wdm.KeLeaveCriticalRegion();
    });
    const r = await m.run();
    expect(r.bugCheck?.rule).to.equal("0xC4/0x3E CriticalRegionMismatch");
  });
});
