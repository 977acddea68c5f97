import { BugCheckCode } from "./bugcheck-codes.js";
import { DispatcherType, KMUTANT, type DispatcherHeader, type WaitBlock } from "./dispatcher.js";
import { APC_LEVEL, DISPATCH_LEVEL, UserMode, modeName, type KPROCESSOR_MODE } from "./irql.js";
import { STATUS_ABANDONED_WAIT_0, STATUS_ALERTED, STATUS_INVALID_PARAMETER, STATUS_KERNEL_APC, STATUS_TIMEOUT, STATUS_USER_APC, STATUS_WAIT_0, ntStatusName, type NTSTATUS } from "./status.js";
import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";

/** MAXIMUM_WAIT_OBJECTS. */
export const MAXIMUM_WAIT_OBJECTS = 64;

/** Options of one wait. */
export interface WaitOptions {
  waitAll: boolean;
  /** UserMode waits are where a terminating thread exits. */
  mode: KPROCESSOR_MODE;
  alertable: boolean;
  /** Relative timeout in 100 ns ticks; null waits forever; 0 only polls. */
  timeout: number | null;
  /** Who waits and why, for deadlock reports. */
  reason: string;
}

/**
 * Waits and signals, with NT's rules: a signal releases waiters in FIFO order and satisfies them
 * at once (a synchronization event wakes one waiter and stays reset, a semaphore wakes as many
 * as its count, a mutant records its owner); a wait-all is satisfied only when every object is
 * signalled for that thread at the same moment.
 */
export class Waits {
  constructor(private readonly m: Machine) {}

  private signaledFor(o: DispatcherHeader, t: KThread): boolean {
    if (o instanceof KMUTANT) return o.SignalState > 0 || o.OwnerThread === t;
    return o.SignalState > 0;
  }

  /** Consumes the signal for one waiter; returns true when a mutant was abandoned. */
  private satisfy(o: DispatcherHeader, t: KThread): boolean {
    switch (o.Type) {
      case DispatcherType.SynchronizationEvent:
      case DispatcherType.SynchronizationTimer:
        o.SignalState = 0;
        return false;
      case DispatcherType.Semaphore:
        o.SignalState--;
        return false;
      case DispatcherType.Mutant: {
        if (!(o instanceof KMUTANT)) return false;
        const mu = o;
        mu.SignalState--;
        mu.OwnerThread = t;
        if (this.m.kernelHooks.length !== 0) for (const h of this.m.kernelHooks) h.mutexAcquired?.(t, mu);
        const abandoned = mu.Abandoned;
        mu.Abandoned = false;
        return abandoned;
      }
      default:
        return false;
    }
  }

  /** Tries to satisfy a wait right now; the status, or null when it must block. */
  private trySatisfy(t: KThread, objects: readonly DispatcherHeader[], waitAll: boolean): NTSTATUS | null {
    if (waitAll) {
      if (!objects.every((o) => this.signaledFor(o, t))) return null;
      let abandoned = false;
      for (const o of objects) abandoned = this.satisfy(o, t) || abandoned;
      return abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
    }
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i] as DispatcherHeader;
      if (this.signaledFor(o, t)) {
        return this.satisfy(o, t) ? STATUS_ABANDONED_WAIT_0 + i : STATUS_WAIT_0 + i;
      }
    }
    return null;
  }

  /**
   * The first step of {@link waitFor} when it cannot block: no hook watches waits, no kernel APC
   * is queued for the thread (none would be delivered first), a UserMode wait's thread is not
   * terminating, and an object is signalled — the wait is satisfied (the signal consumed as
   * waitFor would) and its status returned without yielding. Null when waitFor must run.
   */
  satisfiedNow(t: KThread, objects: readonly DispatcherHeader[], options: WaitOptions): NTSTATUS | null {
    if (this.m.kernelHooks.length !== 0 || t.kernelApcs.length !== 0 || t.irql > DISPATCH_LEVEL) return null;
    if (objects.length === 0 || objects.length > MAXIMUM_WAIT_OBJECTS) return null;
    if (options.mode === UserMode && t.terminationPending) return null;
    return this.trySatisfy(t, objects, options.waitAll);
  }

  /**
   * KiWaitTest: an object became signalled; release its waiters in order while it stays
   * signalled.
   */
  test(o: DispatcherHeader): void {
    let i = 0;
    while (i < o.waitList.length && (o.SignalState > 0 || o instanceof KMUTANT)) {
      const wb = o.waitList[i] as WaitBlock;
      const t = wb.thread;
      const w = t.wait;
      if (!w) {
        o.waitList.splice(i, 1);
        continue;
      }
      const status = w.waitAll
        ? this.trySatisfy(t, w.blocks.map((b) => b.object), true)
        : this.signaledFor(o, t)
          ? (this.satisfy(o, t) ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + wb.index
          : null;
      if (status === null) {
        i++;
        continue;
      }
      this.unwait(t, status);
      // unwait removed this block; the same index now holds the next waiter.
    }
  }

  /** Ends a thread's wait with `status` and makes it ready. */
  unwait(t: KThread, status: NTSTATUS): void {
    const w = t.wait;
    if (!w) return;
    for (const b of w.blocks) {
      const list = b.object.waitList;
      const k = list.indexOf(b);
      if (k >= 0) list.splice(k, 1);
    }
    if (w.timeoutEntry) w.timeoutEntry.cancelled = true;
    t.wait = null;
    t.waitStatus = status;
    this.m.scheduler.makeReady(t);
  }

  /**
   * KeWaitForMultipleObjects / KeWaitForSingleObject for the current thread. Kernel APCs are
   * delivered while it waits; a UserMode wait of a terminating thread returns STATUS_USER_APC
   * (so the service unwinds and the thread exits at the user-mode boundary); an alertable
   * UserMode wait runs the thread's user APCs and returns STATUS_USER_APC.
   */
  async waitFor(objects: readonly DispatcherHeader[], options: WaitOptions): Promise<NTSTATUS> {
    const m = this.m;
    const t = m.currentThread("KeWaitForMultipleObjects");
    if (objects.length === 0 || objects.length > MAXIMUM_WAIT_OBJECTS) return STATUS_INVALID_PARAMETER;
    if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.beforeWait?.(t, objects, options.timeout);
    if (t.irql > DISPATCH_LEVEL || (t.irql === DISPATCH_LEVEL && options.timeout !== 0)) {
      if (m.inDpc) {
        m.bugCheck(BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC, t.objectId, 0, 0, 0, {
          detail: `a DPC routine waited on ${objects.map((o) => o.label).join(", ")}: code at DISPATCH_LEVEL cannot wait`,
        });
      }
      m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, {
        detail: `${t.label} waited on ${objects.map((o) => o.label).join(", ")} at IRQL ${t.irql}${t.heldLocks.length ? ` holding ${t.heldLocks.map((l) => l.label).join(", ")}` : ""}: waits with a non-zero timeout need IRQL <= APC_LEVEL`,
      });
    }
    const deadline = options.timeout === null ? null : m.now + Math.max(0, options.timeout);
    for (;;) {
      if (t.irql < APC_LEVEL) await m.interrupts.deliverKernelApcs(t, true);
      // A terminating thread's user-mode wait ends at once: the service unwinds and the thread
      // exits on its way back to user mode (NT's termination APC does the same).
      if (options.mode === UserMode && t.terminationPending) return STATUS_USER_APC;
      // An object already signalled satisfies the wait before pending user APCs are looked at
      // (KeWaitForSingleObject tests the objects first, then the thread's alertability).
      const now = this.trySatisfy(t, objects, options.waitAll);
      if (now !== null) {
        // A wait that ends without blocking is still a place the thread awaits: one whose quantum
        // has run out is preempted here when another thread is ready.
        const preempted = m.scheduler.preemptAtQuantumEnd(t);
        if (preempted) await preempted;
        return now;
      }
      if (options.alertable && options.mode === UserMode && t.userApcs.length > 0) {
        await m.interrupts.deliverUserApcs(t);
        return STATUS_USER_APC;
      }
      if (options.alertable && t.alerted) {
        t.alerted = false;
        return STATUS_ALERTED;
      }
      if (deadline !== null && deadline <= m.now) {
        const preempted = m.scheduler.preemptAtQuantumEnd(t);
        if (preempted) await preempted;
        return STATUS_TIMEOUT;
      }

      const blocks: WaitBlock[] = objects.map((object, index) => ({ thread: t, object, index }));
      for (const b of blocks) b.object.waitList.push(b);
      const wait = { blocks, waitAll: options.waitAll, mode: options.mode, alertable: options.alertable, timeoutEntry: null as { cancelled: boolean } | null, reason: options.reason };
      t.wait = wait;
      if (deadline !== null) {
        wait.timeoutEntry = m.timers.add(deadline, `timeout of ${t.label}`, () => {
          if (t.wait === wait) this.unwait(t, STATUS_TIMEOUT);
        });
      }
      if (m.trace.on) {
        m.trace.emit("Wait", {
          objects: objects.map((o) => o.label),
          waitAll: options.waitAll,
          mode: modeName(options.mode),
          timeoutMs: options.timeout === null ? null : options.timeout / 10_000,
        });
      }
      // A thread of an I/O completion port that blocks elsewhere lets another of the port's
      // threads run (KiActivateWaiterQueue); it counts as running again once it wakes.
      const queue = t.Queue;
      if (queue) queue.activateWaiter(m);
      await m.scheduler.block(t);
      if (queue && t.Queue === queue) queue.CurrentCount++;
      const status = t.waitStatus;
      if (status === STATUS_KERNEL_APC || status === STATUS_USER_APC) continue;
      // APCs queued while the thread was ready to run are delivered before the wait returns.
      if (t.irql < APC_LEVEL && t.kernelApcs.length > 0) await m.interrupts.deliverKernelApcs(t, true);
      if (m.trace.on) m.trace.emit("WaitSatisfied", { status, statusName: ntStatusName(status) });
      return status;
    }
  }

  /** Wakes a waiting thread so it delivers APCs or notices termination, then waits again. */
  interrupt(t: KThread, reason: NTSTATUS = STATUS_KERNEL_APC): void {
    if (t.wait) this.unwait(t, reason);
  }
}
