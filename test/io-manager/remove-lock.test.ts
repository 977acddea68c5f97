import { expect } from "chai";
import { attachVerifier, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

/** Runs `body` on a system thread as code of driver `driver` (so the verifier checks it). */
function asDriver(m: Machine, driver: string, name: string, body: () => unknown): void {
  m.createSystemThread(name, async () => {
    m.enterActivity("dispatch routine", name, driver);
    await body();
  });
}

describe("io-manager: remove locks", () => {
  it("IoAcquireRemoveLock succeeds until IoReleaseRemoveLockAndWait, and returns STATUS_DELETE_PENDING after it", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const lock = new wdm.IO_REMOVE_LOCK();
      wdm.IoInitializeRemoveLock(lock, "Evnt", 0, 0);
      const first = wdm.IoAcquireRemoveLock(lock, 1);
      wdm.IoReleaseRemoveLock(lock, 1);
      const remove = wdm.IoAcquireRemoveLock(lock, 2);
      await wdm.IoReleaseRemoveLockAndWait(lock, 2);
      const late = wdm.IoAcquireRemoveLock(lock, 3);
      return [first, remove, late, lock.Common.IoCount, lock.Common.Removed];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_SUCCESS, wdm.STATUS_SUCCESS, wdm.STATUS_DELETE_PENDING, 0, true]);
  });

  it("IoReleaseRemoveLockAndWait waits until every acquired reference is released", async () => {
    const m = newMachine();
    const lock = new wdm.IO_REMOVE_LOCK();
    let returnedAt = -1;
    const released: number[] = [];
    m.createSystemThread("io", async () => {
      wdm.IoInitializeRemoveLock(lock, 0, 0, 0);
      wdm.IoAcquireRemoveLock(lock, "a");
      wdm.IoAcquireRemoveLock(lock, "b");
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 5);
      wdm.IoReleaseRemoveLock(lock, "a");
      released.push(m.nowMs);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 4);
      wdm.IoReleaseRemoveLock(lock, "b");
      released.push(m.nowMs);
    });
    m.createSystemThread("remove", async () => {
      wdm.IoAcquireRemoveLock(lock, "remove");
      await wdm.IoReleaseRemoveLockAndWait(lock, "remove");
      returnedAt = m.nowMs;
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(released.map(Math.floor)).to.deep.equal([5, 9]);
    expect(Math.floor(returnedAt)).to.equal(9);
  });

  it("a reference never released leaves IoReleaseRemoveLockAndWait waiting for ever (reported as a deadlock)", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const lock = new wdm.IO_REMOVE_LOCK("remove lock of Leaky");
      wdm.IoInitializeRemoveLock(lock, 0, 0, 0);
      wdm.IoAcquireRemoveLock(lock, "forgotten");
      wdm.IoAcquireRemoveLock(lock, "remove");
      await wdm.IoReleaseRemoveLockAndWait(lock, "remove");
    });
    expect(r.result.outcome).to.equal("deadlock");
    expect(r.result.deadlock).to.include("remove lock of Leaky");
  });

  it("IoReleaseRemoveLockAndWait must be called at PASSIVE_LEVEL: at DISPATCH_LEVEL it is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const lock = new wdm.IO_REMOVE_LOCK();
      wdm.IoInitializeRemoveLock(lock, 0, 0, 0);
      wdm.IoAcquireRemoveLock(lock, null);
      wdm.KeRaiseIrqlToDpcLevel();
      await wdm.IoReleaseRemoveLockAndWait(lock, null);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("without the verifier a release without an acquire only miscounts, as NT's free build does", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const lock = new wdm.IO_REMOVE_LOCK();
      wdm.IoInitializeRemoveLock(lock, 0, 0, 0);
      wdm.IoReleaseRemoveLock(lock, "never acquired");
      return lock.Common.IoCount;
    });
    expect(ok(r)).to.equal(0);
  });

  describe("under the verifier (tag tracking)", () => {
    const cases: [string, (lock: wdm.IO_REMOVE_LOCK) => Promise<void> | void, string, number, RegExp][] = [
      ["a release without an acquire", (lock) => {
          wdm.IoReleaseRemoveLock(lock, "irp");
        }, "RemoveLockMisuse", 0xd5, /no reference is held/],
      [
        "a release with a tag that was never acquired",
        (lock) => {
          wdm.IoAcquireRemoveLock(lock, "one");
          wdm.IoReleaseRemoveLock(lock, "two");
        },
        "RemoveLockMisuse",
        0xd5,
        /never acquired \(held: 'one'\)/,
      ],
      [
        "a release after an acquire that returned STATUS_DELETE_PENDING (acquire after release-and-wait)",
        async (lock) => {
          wdm.IoAcquireRemoveLock(lock, "remove");
          await wdm.IoReleaseRemoveLockAndWait(lock, "remove");
          wdm.IoAcquireRemoveLock(lock, "late");
          wdm.IoReleaseRemoveLock(lock, "late");
        },
        "RemoveLockMisuse",
        0xd5,
        /returned STATUS_DELETE_PENDING/,
      ],
      ["IoReleaseRemoveLockAndWait without acquiring first", (lock) => wdm.IoReleaseRemoveLockAndWait(lock, "remove"), "RemoveLockMisuse", 0xd6, /IoReleaseRemoveLockAndWait/],
      ["initialising the lock again", (lock) => {
          wdm.IoInitializeRemoveLock(lock, 0, 0, 0);
        }, "RemoveLockMisuse", 0xd7, /again/],
    ];
    for (const [what, act, rule, sub, text] of cases) {
      it(`${what} is bug check 0xC4/0x${sub.toString(16).toUpperCase()}`, async () => {
        const m = newMachine();
        attachVerifier(m);
        asDriver(m, "RemLock", "RemLockDispatch", async () => {
          const lock = new wdm.IO_REMOVE_LOCK();
          wdm.IoInitializeRemoveLock(lock, "RmLk", 1, 10);
          await act(lock);
        });
        const r = await m.run();
        expect(r.bugCheck?.code).to.equal(0xc4);
        expect(r.bugCheck?.parameters[0]).to.equal(sub);
        expect(r.bugCheck?.rule).to.include(rule);
        expect(r.bugCheck?.detail).to.match(text);
      });
    }

    it("the acquire that returns STATUS_DELETE_PENDING, handled by failing the request, is no violation", async () => {
      const m = newMachine();
      attachVerifier(m);
      asDriver(m, "RemLock", "RemLockDispatch", async () => {
        const lock = new wdm.IO_REMOVE_LOCK();
        wdm.IoInitializeRemoveLock(lock, "RmLk", 1, 10);
        wdm.IoAcquireRemoveLock(lock, "remove");
        await wdm.IoReleaseRemoveLockAndWait(lock, "remove");
        if (wdm.IoAcquireRemoveLock(lock, "late") === wdm.STATUS_SUCCESS) wdm.IoReleaseRemoveLock(lock, "late");
      });
      const r = await m.run();
      expect(r.bugCheck).to.equal(null);
      expect(r.findings).to.deep.equal([]);
    });
  });
});
