/**
 * IRQL and lock rules: raising and lowering the IRQL the wrong way, releasing a spin lock at the
 * wrong IRQL, twice or from the wrong thread, waiting at DISPATCH_LEVEL, and lock-order cycles
 * found before they deadlock (Driver Verifier's Deadlock Detection: every time a lock is taken
 * while others are held, the order is recorded; taking two locks in both orders is the bug, even
 * if the two threads never happened to collide).
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { DISPATCH_LEVEL, HIGH_LEVEL, irqlName } from "../kernel/irql.js";
import type { KMUTANT } from "../kernel/dispatcher.js";
import { KMUTANT as KMUTANT_CLASS } from "../kernel/dispatcher.js";
import type { KSPIN_LOCK } from "../kernel/spin-lock.js";
import type { KThread } from "../kernel/thread.js";
import type { Verifier } from "./verifier.js";

type Lock = KSPIN_LOCK | KMUTANT;

/** Where an order between two locks was first seen. */
interface OrderEdge {
  readonly site: string | null;
  readonly who: string;
}

/** Installs the IRQL and lock rules' hooks. */
export function installLockRules(v: Verifier): void {
  const m = v.machine;
  /** held -> (taken while held -> first time seen). */
  const order = new Map<Lock, Map<Lock, OrderEdge>>();

  const heldBy = (t: KThread): Lock[] => [...t.heldLocks, ...(v.heldMutexes.get(t) ?? [])];

  /** A chain of recorded orders from `from` to `to` (each lock held while the next was taken). */
  const chain = (from: Lock, to: Lock): Lock[] | null => {
    const prev = new Map<Lock, Lock | null>([[from, null]]);
    const queue: Lock[] = [from];
    while (queue.length > 0) {
      const x = queue.shift() as Lock;
      if (x === to) {
        const path: Lock[] = [];
        for (let c: Lock | null = x; c !== null; c = prev.get(c) ?? null) path.unshift(c);
        return path;
      }
      for (const y of order.get(x)?.keys() ?? []) {
        if (!prev.has(y)) {
          prev.set(y, x);
          queue.push(y);
        }
      }
    }
    return null;
  };

  /** Before `t` takes `lock`: a recorded opposite order is a hierarchy violation; then record this one. */
  const checkOrder = (t: KThread, lock: Lock): void => {
    const held = heldBy(t);
    if (held.length === 0) return;
    const driver = v.verifiedDriver();
    if (driver) {
      for (const h of held) {
        if (h === lock) continue;
        const back = chain(lock, h);
        if (!back) continue;
        const steps: string[] = [];
        for (let i = 0; i + 1 < back.length; i++) {
          const a = back[i] as Lock;
          const b = back[i + 1] as Lock;
          const e = order.get(a)?.get(b);
          steps.push(`${b.label} was taken while ${a.label} was held (${e?.who ?? "earlier"}${e?.site ? ` at ${e.site}` : ""})`);
        }
        v.bugCheck("LockOrder", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x1001, 0, 0, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} takes ${lock.label} while holding ${h.label}, but ${steps.join(", and ")}: two processors doing both would wait for each other for ever.`,
        });
      }
    }
    for (const h of held) {
      if (h === lock) continue;
      let next = order.get(h);
      if (!next) {
        next = new Map();
        order.set(h, next);
      }
      if (!next.has(lock)) next.set(lock, { site: v.site(), who: m.describeContext() });
    }
  };

  const noteRaise = (t: KThread): void => {
    const fs = v.frames.get(t);
    if (!fs || fs.length === 0) return;
    const top = fs[fs.length - 1];
    if (top && m.currentActivity()?.kind === "dispatch routine") top.lastRaiseSite = v.site();
  };

  v.addKernelHooks({
    raiseIrql(t, current, requested) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      if (!Number.isInteger(requested) || requested < current || requested > HIGH_LEVEL) {
        v.bugCheck("RaiseIrqlLower", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x30, current, requested, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} calls KeRaiseIrql(${Number.isInteger(requested) ? irqlName(requested) : String(requested)}) at ${irqlName(current)}: KeRaiseIrql may only raise.`,
        });
      }
      noteRaise(t);
    },
    lowerIrql(_t, current, requested) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const routine = m.currentActivity()?.name ?? null;
      if (!Number.isInteger(requested) || requested < 0 || requested > current) {
        v.bugCheck("LowerIrqlHigher", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x31, current, requested, 0], {
          driver,
          routine,
          text: `${m.describeContext()} calls KeLowerIrql(${Number.isInteger(requested) ? irqlName(requested) : String(requested)}) at ${irqlName(current)}: KeLowerIrql may only lower.`,
        });
      }
      if (m.inDpc && requested < DISPATCH_LEVEL && m.currentActivity()?.kind === "DPC") {
        v.bugCheck("LowerIrqlHigher", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x31, current, requested, 1], {
          driver,
          routine,
          text: `DPC routine ${routine ?? "?"} lowers the IRQL to ${irqlName(requested)}: a DPC runs at DISPATCH_LEVEL and must not go below it.`,
        });
      }
    },
    acquireSpinLock(t, lock) {
      checkOrder(t, lock);
      if (v.verifiedDriver()) noteRaise(t);
    },
    releaseSpinLock(t, lock, newIrql) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const routine = m.currentActivity()?.name ?? null;
      const call = newIrql === null ? "KeReleaseSpinLockFromDpcLevel" : "KeReleaseSpinLock";
      if (lock.owner === null) {
        v.bugCheck("SpinLockReleaseWrong", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x32, t.irql, 0, 0], {
          driver,
          routine,
          text: `${m.describeContext()} releases ${lock.label}, which nobody holds: it was already released (a double release), or never acquired.`,
        });
      }
      if (lock.owner !== null && lock.owner !== t) {
        v.bugCheck("WrongThreadRelease", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x1004, 0, lock.owner.tid, t.tid], {
          driver,
          routine,
          text: `${m.describeContext()} releases ${lock.label}, which ${lock.ownerDescription} acquired.`,
        });
      }
      if (newIrql !== null && t.irql !== DISPATCH_LEVEL) {
        v.bugCheck("SpinLockReleaseWrong", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x32, t.irql, 0, 0], {
          driver,
          routine,
          text: `${m.describeContext()} calls ${call} for ${lock.label} at ${irqlName(t.irql)}; a held spin lock keeps the processor at DISPATCH_LEVEL, so the IRQL was lowered while it was held.`,
        });
      }
      if (newIrql === null && t.irql < DISPATCH_LEVEL) {
        v.bugCheck("SpinLockReleaseWrong", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x41, t.irql, 0, 0], {
          driver,
          routine,
          text: `${m.describeContext()} calls ${call} for ${lock.label} at ${irqlName(t.irql)}, below DISPATCH_LEVEL.`,
          codeText: "0xC4/0x41",
        });
      }
    },
    beforeWait(t, objects, timeout) {
      const driver = v.verifiedDriver();
      if (driver && t.irql >= DISPATCH_LEVEL) {
        const sub = t.irql > DISPATCH_LEVEL ? 0x120 : timeout === null ? 0x121 : timeout !== 0 ? 0x122 : 0;
        if (sub !== 0) {
          const held = t.heldLocks.length > 0 ? ` holding ${t.heldLocks.map((l) => l.label).join(", ")}` : "";
          v.bugCheck("WaitAtDispatch", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [sub, t.irql, 0, timeout ?? 0], {
            driver,
            routine: m.currentActivity()?.name ?? null,
            text: `${m.describeContext()} waits on ${objects.map((o) => o.label).join(", ")} at ${irqlName(t.irql)}${held}${timeout === null ? " with no timeout" : ` with a timeout of ${timeout / 10_000} ms`}; code at DISPATCH_LEVEL cannot wait.`,
            codeText: `0xC4/0x${sub.toString(16)}`,
          });
        }
      }
      for (const o of objects) if (o instanceof KMUTANT_CLASS && o.OwnerThread !== t) checkOrder(t, o);
    },
    mutexAcquired(t, mutex) {
      const list = v.heldMutexes.get(t) ?? [];
      if (!list.includes(mutex)) list.push(mutex);
      v.heldMutexes.set(t, list);
    },
    releaseMutex(t, mutex) {
      const driver = v.verifiedDriver();
      if (driver && mutex.OwnerThread !== null && mutex.OwnerThread !== t) {
        v.bugCheck("WrongThreadRelease", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x1004, 0, mutex.OwnerThread.tid, t.tid], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} releases mutex ${mutex.label}, which ${mutex.OwnerThread.label} acquired.`,
        });
      }
      if (mutex.OwnerThread === t && mutex.SignalState + 1 > 0) {
        const list = v.heldMutexes.get(t);
        const k = list ? list.indexOf(mutex) : -1;
        if (list && k >= 0) list.splice(k, 1);
      }
    },
  });
}
