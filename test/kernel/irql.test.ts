import { expect } from "chai";
import {
  KDPC,
  KEVENT,
  KSPIN_LOCK,
  KTIMER,
  KeAcquireSpinLock,
  KeAcquireSpinLockAtDpcLevel,
  KeCancelTimer,
  KeGetCurrentIrql,
  KeInitializeDpc,
  KeInitializeTimer,
  KeInsertQueueDpc,
  KeLowerIrql,
  KeRaiseIrql,
  KeReleaseSpinLock,
  KeReleaseSpinLockFromDpcLevel,
  KeSetTimerEx,
  KeWaitForSingleObject,
  KernelMode,
  NotificationEvent,
} from "../../kernel/api-ke.js";
import { PsGetCurrentProcess } from "../../kernel/api-ps-ob.js";
import { BugCheckError } from "../../kernel/bugcheck.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../kernel/irql.js";
import { Sleep } from "../../win32/sync.js";
import { newMachine, ok, runKernel } from "../helpers.js";

describe("kernel: IRQL, spin locks, DPCs and timers", () => {
  it("KeAcquireSpinLock raises to DISPATCH_LEVEL and KeReleaseSpinLock restores the old IRQL", async () => {
    const m = newMachine();
    const lock = new KSPIN_LOCK();
    const r = await runKernel(m, () => {
      const before = KeGetCurrentIrql();
      const old = KeAcquireSpinLock(lock);
      const held = KeGetCurrentIrql();
      KeReleaseSpinLock(lock, old);
      return [before, old, held, KeGetCurrentIrql()];
    });
    expect(ok(r)).to.deep.equal([PASSIVE_LEVEL, PASSIVE_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL]);
  });

  it("releasing a spin lock nobody holds is SPIN_LOCK_NOT_OWNED", async () => {
    const m = newMachine();
    const lock = new KSPIN_LOCK("MyLock");
    const r = await runKernel(m, () => {
      KeRaiseIrql(DISPATCH_LEVEL);
      KeReleaseSpinLockFromDpcLevel(lock);
    });
    expect(r.result.bugCheck?.name).to.equal("SPIN_LOCK_NOT_OWNED");
    expect(r.result.bugCheck?.detail).to.include("MyLock, which nobody holds");
  });

  it("acquiring a spin lock the same processor already holds spins forever: a deadlock naming the lock and its holder", async () => {
    const m = newMachine();
    const lock = new KSPIN_LOCK("QueueLock");
    const r = await runKernel(m, () => {
      KeAcquireSpinLock(lock);
      KeAcquireSpinLockAtDpcLevel(lock);
    });
    expect(r.result.outcome).to.equal("deadlock");
    expect(r.result.deadlock).to.equal("System:test spins forever on QueueLock, which it already holds (taken by System:test)");
  });

  it("waiting with a non-zero timeout at DISPATCH_LEVEL is a bug check", async () => {
    const m = newMachine();
    const lock = new KSPIN_LOCK("QueueLock");
    const ev = new KEVENT(NotificationEvent, false);
    const r = await runKernel(m, async () => {
      KeAcquireSpinLock(lock);
      await KeWaitForSingleObject(ev, 0, KernelMode, false);
    });
    expect(r.error).to.be.instanceOf(BugCheckError);
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
    expect(r.result.bugCheck?.detail).to.include("holding QueueLock");
    expect(r.result.outcome).to.equal("bugcheck");
  });

  it("KeRaiseIrql to a lower IRQL is IRQL_NOT_GREATER_OR_EQUAL; KeLowerIrql to a higher one is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const raise = await runKernel(newMachine(), () => {
      KeRaiseIrql(DISPATCH_LEVEL);
      KeRaiseIrql(PASSIVE_LEVEL);
    });
    expect(raise.result.bugCheck?.name).to.equal("IRQL_NOT_GREATER_OR_EQUAL");
    const lower = await runKernel(newMachine(), () => {
      KeLowerIrql(DISPATCH_LEVEL);
    });
    expect(lower.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("a DPC queued at PASSIVE_LEVEL runs at once; one queued at DISPATCH_LEVEL runs when the IRQL drops", async () => {
    const m = newMachine();
    const log: string[] = [];
    const dpc = new KDPC<string>();
    const r = await runKernel(m, () => {
      KeInitializeDpc(dpc, (_d, ctx) => log.push(`${ctx}@${KeGetCurrentIrql()}`), "dpc");
      KeInsertQueueDpc(dpc);
      log.push("after-first");
      const old = KeRaiseIrql(DISPATCH_LEVEL);
      KeInsertQueueDpc(dpc);
      const again = KeInsertQueueDpc(dpc);
      log.push(`queued-twice=${again}`);
      KeLowerIrql(old);
      log.push("lowered");
    });
    ok(r);
    expect(log).to.deep.equal(["dpc@2", "after-first", "queued-twice=false", "dpc@2", "lowered"]);
  });

  it("a timer DPC runs in whatever process is current: the idle context when the clock advances", async () => {
    const m = newMachine();
    const seen: string[] = [];
    const timer = new KTIMER();
    const dpc = new KDPC();
    m.createSystemThread("setup", () => {
      KeInitializeDpc(dpc, () => seen.push(PsGetCurrentProcess().name), null);
      KeInitializeTimer(timer);
      KeSetTimerEx(timer, -10_000 * 10, 10, dpc);
    });
    m.createProcess("app.exe", () => Sleep(35));
    m.after(36, "stop", () => KeCancelTimer(timer));
    await m.run();
    expect(seen).to.deep.equal(["System", "System", "System"]);
  });

  it("a periodic timer fires every period on virtual time and stops when cancelled", async () => {
    const m = newMachine();
    const fired: number[] = [];
    const timer = new KTIMER();
    const dpc = new KDPC();
    const r = await runKernel(m, async () => {
      KeInitializeDpc(dpc, () => fired.push(Math.floor(m.nowMs)), null);
      KeInitializeTimer(timer);
      KeSetTimerEx(timer, -10_000 * 33, 33, dpc);
      await KeWaitForSingleObject(new KEVENT(NotificationEvent, false), 0, KernelMode, false, -10_000 * 100);
      return KeCancelTimer(timer);
    });
    expect(ok(r)).to.equal(true);
    expect(fired).to.deep.equal([33, 66, 99]);
  });

  it("a DPC routine that returns holding a spin lock it took is reported as IRQL_UNEXPECTED_VALUE", async () => {
    const m = newMachine();
    const lock = new KSPIN_LOCK();
    const dpc = new KDPC();
    const r = await runKernel(m, () => {
      KeInitializeDpc(dpc, function LeakyDpc() {
        KeAcquireSpinLockAtDpcLevel(lock);
      }, null);
      KeInsertQueueDpc(dpc);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_UNEXPECTED_VALUE");
    expect(r.result.bugCheck?.detail).to.include("LeakyDpc");
  });

  it("an async DPC routine is refused: DPCs run at DISPATCH_LEVEL and cannot wait", async () => {
    const m = newMachine();
    const dpc = new KDPC();
    const r = await runKernel(m, () => {
      // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the point: an async DPC is refused
      KeInitializeDpc(dpc, async function WaitingDpc() {
        await Promise.resolve();
      }, null);
      KeInsertQueueDpc(dpc);
    });
    expect(r.result.bugCheck?.name).to.equal("ATTEMPTED_SWITCH_FROM_DPC");
  });

  it("a spin lock that a routine returned holding makes the next acquirer spin forever: a deadlock naming the holder", async () => {
    const m = newMachine();
    const lock = new KSPIN_LOCK("CancelLock");
    const r = await runKernel(m, () => {
      const token = m.enterActivity("cancel routine", "MyCancel");
      KeAcquireSpinLock(lock);
      m.leaveActivity(token);
      // Pretend another processor: this context forgets it holds it.
      lock.owner = m.idleThread;
      KeAcquireSpinLock(lock);
    });
    expect(r.result.outcome).to.equal("deadlock");
    expect(r.result.deadlock).to.include("spins forever on CancelLock, held by cancel routine MyCancel");
  });
});
