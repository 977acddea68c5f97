/**
 * The framework's locks: the callback ("presentation") lock of a device or queue, which
 * automatic synchronization holds around the driver's serialised callbacks — a spin lock at
 * DISPATCH_LEVEL, or, for WdfExecutionLevelPassive, a wait lock (KMDF uses a fast mutex) — and the
 * lock inside WDFSPINLOCK and WDFWAITLOCK.
 */
import { KEVENT, SynchronizationEvent } from "../kernel/dispatcher.js";
import { APC_LEVEL, KernelMode, type KIRQL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { KSPIN_LOCK } from "../kernel/spin-lock.js";
import { STATUS_SUCCESS, STATUS_TIMEOUT, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";

/** A mutual-exclusion lock threads wait for at PASSIVE_LEVEL (KMDF's wait lock: an event). */
export class FxWaitLockCore {
  owner: KThread | null = null;
  readonly event: KEVENT;
  constructor(readonly label: string) {
    this.event = new KEVENT(SynchronizationEvent, true, label);
  }

  /** Takes it at once when free (the event's state is the lock's); false when it is held. */
  tryAcquire(t: KThread): boolean {
    if (this.event.SignalState === 0) return false;
    this.event.SignalState = 0;
    this.owner = t;
    return true;
  }

  /**
   * Waits (in kernel mode, not alertable) until it is free, for at most `timeout` 100 ns units
   * when one is given (null: for ever). Returns STATUS_SUCCESS or STATUS_TIMEOUT.
   */
  async acquire(t: KThread, timeout: number | null, why: string): Promise<NTSTATUS> {
    if (this.tryAcquire(t)) return STATUS_SUCCESS;
    const m = t.machine;
    const st = await m.waits.waitFor([this.event], { waitAll: false, mode: KernelMode, alertable: false, timeout, reason: why });
    if (st === STATUS_TIMEOUT) return STATUS_TIMEOUT;
    // The synchronization event was reset by the satisfied wait: the lock is this thread's.
    this.owner = t;
    return STATUS_SUCCESS;
  }

  release(t: KThread): void {
    this.owner = null;
    t.machine.signal(this.event);
  }
}

/**
 * A device's or queue's callback lock. A spin lock unless the object's execution level is
 * passive; the framework takes it around serialised callbacks, and WdfObjectAcquireLock takes it
 * for the driver.
 */
export class FxCallbackLock {
  readonly spin: KSPIN_LOCK | null;
  readonly wait: FxWaitLockCore | null;
  /** The IRQL to return to when the spin lock is released. */
  private oldIrql: KIRQL = 0;
  /** Whoever holds it (either kind). */
  owner: KThread | null = null;
  /** Work deferred until the holder releases it (a queue that must dispatch outside the lock). */
  readonly afterRelease: (() => void)[] = [];

  constructor(
    readonly label: string,
    readonly passive: boolean,
  ) {
    if (passive) {
      this.spin = null;
      this.wait = new FxWaitLockCore(label);
    } else {
      this.spin = new KSPIN_LOCK(label);
      this.spin.heldForDriver = true;
      this.wait = null;
    }
  }

  /**
   * Takes the lock for `t`: a spin lock raises to DISPATCH_LEVEL (the machine reports a deadlock
   * if another context holds it and cannot release it); a passive lock may have to wait, and
   * then returns a Promise.
   */
  acquire(t: KThread): MaybePromise<void> {
    const spin = this.spin;
    if (spin !== null) {
      this.oldIrql = t.machine.interrupts.acquireSpinLock(spin, true);
      this.owner = t;
      return;
    }
    const w = this.wait as FxWaitLockCore;
    if (w.tryAcquire(t)) {
      this.owner = t;
      t.kernelApcDisable++;
      return;
    }
    return w.acquire(t, null, `${t.label} waits for ${this.label}`).then(() => {
      this.owner = t;
      t.kernelApcDisable++;
    });
  }

  /** Releases the lock `t` holds (a spin lock returns to the IRQL it was taken at). */
  release(t: KThread): void {
    this.owner = null;
    const spin = this.spin;
    if (spin !== null) {
      t.machine.interrupts.releaseSpinLock(spin, this.oldIrql);
    } else {
      t.kernelApcDisable = Math.max(0, t.kernelApcDisable - 1);
      (this.wait as FxWaitLockCore).release(t);
    }
    // Deferred work runs once the lock is free; one piece may take the lock again, the rest waits for that release.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a deferred piece may take the lock again
    for (let next = this.afterRelease.shift(); next; next = this.owner === null ? this.afterRelease.shift() : undefined) next();
  }

  /** The highest IRQL a caller may take it at. */
  get maxIrql(): KIRQL {
    return this.passive ? APC_LEVEL : 2;
  }
}
