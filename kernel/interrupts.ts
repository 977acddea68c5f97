import { BugCheckCode } from "./bugcheck-codes.js";
import type { InOut, KAPC, KNORMAL_ROUTINE } from "./apc.js";
import { HighImportance, type KDPC } from "./dpc.js";
import { APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL, KernelMode, PASSIVE_LEVEL, UserMode, type KIRQL } from "./irql.js";
import { STATUS_USER_APC } from "./status.js";
import type { KSPIN_LOCK } from "./spin-lock.js";
import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";
import { checkRoutine } from "./bad-pointer.js";

/**
 * IRQL, DPCs, APCs and spin locks: what happens on the (virtual) processor between and beneath
 * thread slices.
 *
 * Lowering the IRQL below DISPATCH_LEVEL drains the DPC queue in the current thread's context;
 * lowering it below APC_LEVEL delivers the thread's special kernel APCs. That is when NT's
 * software interrupts fire, and it is what makes "a DPC runs in whatever process is current"
 * observable.
 */
export class Interrupts {
  private readonly dpcQueue: KDPC[] = [];
  private draining = false;
  /**
   * Device interrupts held pending while the IRQL masks them (the interrupt controller installs
   * itself here on first use); lowering the IRQL delivers them before any DPC runs.
   */
  deviceInterrupts: { readonly pendingCount: number; deliverPending(t: KThread): void } | null = null;
  /** The in/out parameters handed to APC kernel routines. */
  private readonly cells = {
    normal: { value: null } as InOut<KNORMAL_ROUTINE | null>,
    context: { value: null } as InOut<unknown>,
    arg1: { value: null } as InOut<unknown>,
    arg2: { value: null } as InOut<unknown>,
  };

  constructor(private readonly m: Machine) {}

  /** DPCs queued and not yet run. */
  get queuedDpcs(): readonly KDPC[] {
    return this.dpcQueue;
  }

  /** KeRaiseIrql: the new IRQL must not be lower than the current one. */
  raise(t: KThread, newIrql: KIRQL): KIRQL {
    const old = t.irql;
    if (this.m.kernelHooks.length !== 0) for (const h of this.m.kernelHooks) h.raiseIrql?.(t, old, newIrql);
    if (!Number.isInteger(newIrql) || newIrql < 0 || newIrql > HIGH_LEVEL || newIrql < old) {
      this.m.bugCheck(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, old, newIrql, 0, 0, {
        detail: `KeRaiseIrql to ${newIrql} from ${old}: raising must not lower the IRQL`,
      });
    }
    t.irql = newIrql;
    // Cached translations stay valid below DISPATCH_LEVEL; crossing it forbids pageable memory.
    if (old < DISPATCH_LEVEL && newIrql >= DISPATCH_LEVEL) this.m.mmu.gen++;
    return old;
  }

  /** KeLowerIrql: the new IRQL must not be higher than the current one. */
  lower(t: KThread, newIrql: KIRQL): void {
    const old = t.irql;
    if (this.m.kernelHooks.length !== 0) for (const h of this.m.kernelHooks) h.lowerIrql?.(t, old, newIrql);
    if (!Number.isInteger(newIrql) || newIrql < 0 || newIrql > old) {
      this.m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, old, newIrql, 0, {
        detail: `KeLowerIrql to ${newIrql} from ${old}: lowering must not raise the IRQL`,
      });
    }
    // Lowering only relaxes what memory may be touched: cached translations stay valid.
    t.irql = newIrql;
    const device = this.deviceInterrupts;
    if (device !== null && device.pendingCount > 0) device.deliverPending(t);
    if (old >= DISPATCH_LEVEL && newIrql < DISPATCH_LEVEL && this.dpcQueue.length > 0) this.drainDpcs();
    if (newIrql < APC_LEVEL && t.kernelApcs.length > 0 && !t.inApc) this.deliverSpecialApcs(t);
  }

  /** KeInsertQueueDpc: queues a DPC; runs it at once when the processor is below DISPATCH_LEVEL. */
  insertQueueDpc<C>(typed: KDPC<C>, arg1: unknown, arg2: unknown): boolean {
    // The queue holds DPCs of every context type; each routine gets back its own context.
    const dpc = typed as unknown as KDPC;
    if (dpc.Inserted) return false;
    if (!dpc.DeferredRoutine) {
      return this.m.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, 1, 0, 0, 0, { detail: `${dpc.label} was queued before KeInitializeDpc gave it a routine` });
    }
    const routine = dpc.DeferredRoutine;
    dpc.Inserted = true;
    dpc.SystemArgument1 = arg1;
    dpc.SystemArgument2 = arg2;
    // KeSetImportanceDpc: a high-importance DPC goes to the head of the queue.
    if (dpc.Importance === HighImportance) this.dpcQueue.unshift(dpc);
    else this.dpcQueue.push(dpc);
    if (this.m.trace.on) this.m.trace.emit("DpcQueued", { dpc: dpc.label, routine: routine.name || "?" });
    const t = this.m.runningThread();
    if (t && t.irql < DISPATCH_LEVEL) this.drainDpcs();
    return true;
  }

  /** KeRemoveQueueDpc. */
  removeQueueDpc<C>(typed: KDPC<C>): boolean {
    const dpc = typed as unknown as KDPC;
    const i = this.dpcQueue.indexOf(dpc);
    if (i < 0) return false;
    this.dpcQueue.splice(i, 1);
    dpc.Inserted = false;
    return true;
  }

  /**
   * Runs every queued DPC at DISPATCH_LEVEL in the current context (the idle thread when no
   * thread runs). A DPC routine must return at DISPATCH_LEVEL holding no lock it took.
   */
  drainDpcs(): void {
    if (this.draining) return;
    this.draining = true;
    const m = this.m;
    const idle = m.runningThread() === null;
    if (idle) m.setCurrent(m.idleThread);
    const t = m.currentThread();
    try {
      while (this.dpcQueue.length > 0 && !m.halted) {
        const dpc = this.dpcQueue.shift() as KDPC;
        dpc.Inserted = false;
        const routine = dpc.DeferredRoutine;
        if (!routine) continue;
        const oldIrql = t.irql;
        const locks = t.heldLocks.length;
        if (oldIrql < DISPATCH_LEVEL) m.mmu.gen++;
        t.irql = DISPATCH_LEVEL;
        // The clock may interrupt user-mode code (a timer due while an app runs): the DPC runs in kernel mode.
        const oldMode = t.mode;
        t.mode = KernelMode;
        const wasInDpc = m.inDpc;
        m.inDpc = true;
        m.dpcStart = m.now;
        const routineName = typeof routine === "function" ? routine.name : "";
        const activity = m.enterActivity("DPC", routineName || dpc.label, dpc.owner);
        if (m.trace.on) m.trace.emit("DpcStart", { dpc: dpc.label, routine: routineName || "?", driver: dpc.owner });
        try {
          // A DPC routine is typed to return void; an async one returns a promise at run time.
          // A DeferredRoutine that is no routine: the call through it faults in the DPC.
          if (typeof routine !== "function") checkRoutine("the DPC dispatcher", `${dpc.label}->DeferredRoutine`, routine);
          const call = routine as (...args: unknown[]) => unknown;
          const r = call(dpc, dpc.DeferredContext, dpc.SystemArgument1, dpc.SystemArgument2);
          if (r instanceof Promise) {
            m.bugCheck(BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC, 0, 0, 0, 0, { detail: `DPC routine ${routine.name} is async: DPCs run at DISPATCH_LEVEL and must not wait` });
          }
        } catch (e) {
          m.unhandledKernelException(e, `DPC routine ${routineName || dpc.label}`);
        } finally {
          m.leaveActivity(activity);
          m.inDpc = wasInDpc;
          // The clock's checks change with the DPC's end (its watchdog off, the livelock bound back).
          m.recheckClock();
          if (oldMode !== KernelMode) {
            t.mode = oldMode;
            m.mmu.gen++;
          }
        }
        if (m.trace.on) m.trace.emit("DpcEnd", { dpc: dpc.label, routine: routine.name || "?" });
        if (t.irql !== DISPATCH_LEVEL || t.heldLocks.length !== locks) {
          m.bugCheck(0xc8, t.irql, DISPATCH_LEVEL, 0, 0, {
            detail: `IRQL_UNEXPECTED_VALUE: DPC routine ${routine.name} returned at IRQL ${t.irql}${t.heldLocks.length !== locks ? " holding a spin lock it acquired" : ""}`,
          });
        }
        t.irql = oldIrql;
      }
    } finally {
      this.draining = false;
      if (idle) m.setCurrent(null);
    }
  }

  /**
   * Queues an APC to its thread (KeInsertQueueApc): false when it is already queued or the thread
   * no longer accepts APCs. A special kernel APC interrupts a wait and runs as soon as the thread
   * is below APC_LEVEL; a normal kernel APC runs at the thread's next wait (at PASSIVE_LEVEL,
   * outside a critical region: an emulated thread can only be interrupted where it waits); a user
   * APC waits for an alertable user-mode wait.
   */
  queueApc(apc: KAPC, systemArgument1: unknown = null, systemArgument2: unknown = null): boolean {
    if (apc.Inserted) return false;
    const t = apc.Thread;
    if (!t || t.state === "terminated" || !t.apcQueueable) return false;
    apc.Inserted = true;
    apc.SystemArgument1 = systemArgument1;
    apc.SystemArgument2 = systemArgument2;
    const kind = apc.kind;
    if (kind === "user") t.userApcs.push(apc);
    else t.kernelApcs.push(apc);
    if (this.m.trace.on) {
      this.m.trace.emit("ApcQueued", { apc: apc.label, target: t.tid, mode: kind === "user" ? "UserMode" : "KernelMode", routine: apc.routineName });
    }
    if (kind === "user") {
      if (t.wait?.alertable && t.wait.mode === UserMode) this.m.waits.interrupt(t, STATUS_USER_APC);
      return true;
    }
    if (t === this.m.runningThread()) {
      if (kind === "special" && t.irql === PASSIVE_LEVEL && !t.inApc) this.deliverSpecialApcs(t);
    } else if (t.wait) {
      this.m.waits.interrupt(t);
    }
    return true;
  }

  /**
   * Runs the thread's pending special kernel APCs now, at APC_LEVEL (they are synchronous):
   * what happens when the thread's IRQL drops below APC_LEVEL.
   */
  deliverSpecialApcs(t: KThread): void {
    if (t.inApc || t.specialApcDisable > 0) return;
    const queue = t.kernelApcs;
    t.inApc = true;
    try {
      // The common case, one I/O completion: run it without taking the queue apart.
      if (queue.length === 1 && (queue[0] as KAPC).kind === "special") this.runKernelRoutine(t, queue.pop() as KAPC);
      // Take the queue in batches (a dying thread may have thousands of completions queued):
      // run the special APCs, keep the normal ones, in order.
      while (queue.some((a) => a.kind === "special") && !this.m.halted) {
        const batch = queue.splice(0, queue.length);
        const kept: KAPC[] = [];
        for (let i = 0; i < batch.length; i++) {
          const apc = batch[i] as KAPC;
          // A bug check in an earlier APC halts the machine: keep the rest unrun.
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by runKernelRoutine
          if (apc.kind !== "special" || this.m.halted) kept.push(apc);
          else this.runKernelRoutine(t, apc);
        }
        // APCs queued while the batch ran come after the ones kept.
        queue.unshift(...kept);
      }
    } finally {
      t.inApc = false;
    }
  }

  /**
   * KiDeliverApc's first step for any APC: its kernel routine at APC_LEVEL in kernel mode, with
   * in/out copies of the normal routine and its arguments. Returns what the normal routine should
   * be called with (null when there is none, or the kernel routine cancelled it).
   */
  private runKernelRoutine(t: KThread, apc: KAPC): { routine: KNORMAL_ROUTINE; context: unknown; arg1: unknown; arg2: unknown } | null {
    apc.Inserted = false;
    const m = this.m;
    let normal = apc.NormalRoutine;
    let context = apc.NormalContext;
    let arg1 = apc.SystemArgument1;
    let arg2 = apc.SystemArgument2;
    const routine = apc.KernelRoutine;
    if (routine) {
      const old = t.irql;
      const mode = t.mode;
      if (old < APC_LEVEL) t.irql = APC_LEVEL;
      if (mode !== KernelMode) t.mode = KernelMode;
      // Reported at APC_LEVEL, where the kernel routine runs.
      if (m.trace.on) m.trace.emit("ApcDelivered", { apc: apc.label, routine: apc.routineName });
      try {
        if (routine.length <= 1) {
          // A routine that takes only the APC cannot change what the normal routine gets.
          routine(apc, this.cells.normal, this.cells.context, this.cells.arg1, this.cells.arg2);
        } else {
          // Kernel routines run one at a time and to the end (no re-entry): one set of in/out cells serves.
          const cells = this.cells;
          cells.normal.value = normal;
          cells.context.value = context;
          cells.arg1.value = arg1;
          cells.arg2.value = arg2;
          routine(apc, cells.normal, cells.context, cells.arg1, cells.arg2);
          normal = cells.normal.value;
          context = cells.context.value;
          arg1 = cells.arg1.value;
          arg2 = cells.arg2.value;
        }
      } catch (e) {
        m.unhandledKernelException(e, `APC kernel routine ${routine.name || apc.routineName}`);
      } finally {
        t.irql = old;
        t.mode = mode;
      }
    }
    else if (m.trace.on) m.trace.emit("ApcDelivered", { apc: apc.label, routine: apc.routineName });
    if (apc.NormalRoutine === null || !normal) return null;
    return { routine: normal, context, arg1, arg2 };
  }

  /**
   * Delivers the thread's pending kernel APCs in a wait (or another point where it may wait): the
   * special ones, then, outside a critical region and when no normal APC is already running, the
   * normal ones, whose normal routines run at PASSIVE_LEVEL and may wait.
   */
  async deliverKernelApcs(t: KThread, canWait: boolean): Promise<void> {
    this.deliverSpecialApcs(t);
    if (!canWait || t.inApc || t.kernelApcInProgress || t.kernelApcDisable > 0 || t.specialApcDisable > 0) return;
    const m = this.m;
    while (t.kernelApcs.length > 0 && !m.halted) {
      const apc = t.kernelApcs.shift() as KAPC;
      t.inApc = true;
      let call: ReturnType<Interrupts["runKernelRoutine"]>;
      try {
        call = this.runKernelRoutine(t, apc);
      } finally {
        t.inApc = false;
      }
      if (!call) continue;
      t.kernelApcInProgress = true;
      const token = m.enterActivity("APC normal routine", call.routine.name || apc.routineName);
      try {
        const r = call.routine(call.context, call.arg1, call.arg2);
        if (r instanceof Promise) await r;
      } catch (e) {
        m.unhandledKernelException(e, `APC normal routine ${call.routine.name || apc.routineName}`);
      } finally {
        m.leaveActivity(token);
        t.kernelApcInProgress = false;
      }
    }
  }

  /**
   * Runs the thread's user APCs (in an alertable user-mode wait): each one's kernel routine in
   * kernel mode, then its normal routine in user mode.
   */
  async deliverUserApcs(t: KThread): Promise<void> {
    while (t.userApcs.length > 0) {
      const apc = t.userApcs.shift() as KAPC;
      t.inApc = true;
      let call: ReturnType<Interrupts["runKernelRoutine"]>;
      try {
        call = this.runKernelRoutine(t, apc);
      } finally {
        t.inApc = false;
      }
      if (!call) continue;
      const mode = t.mode;
      t.mode = UserMode;
      this.m.mmu.gen++;
      try {
        await call.routine(call.context, call.arg1, call.arg2);
      } finally {
        t.mode = mode;
        this.m.mmu.gen++;
      }
    }
  }

  /**
   * The exiting thread's APC flush (PspExitThread): no more APCs are accepted; user APCs never
   * delivered run their rundown routine instead (an I/O completion's frees its IRP).
   */
  rundownApcs(t: KThread): void {
    t.apcQueueable = false;
    const pending = t.userApcs.splice(0, t.userApcs.length);
    for (const apc of pending) {
      apc.Inserted = false;
      if (this.m.trace.on) this.m.trace.emit("ApcRundown", { apc: apc.label, routine: apc.routineName });
      const rundown = apc.RundownRoutine;
      if (!rundown) continue;
      try {
        rundown(apc);
      } catch (e) {
        this.m.unhandledKernelException(e, `APC rundown routine ${rundown.name || apc.routineName}`);
      }
    }
  }

  /**
   * Acquires a spin lock on the current processor. `raise` raises to DISPATCH_LEVEL first
   * (KeAcquireSpinLock); otherwise the caller is already there (KeAcquireSpinLockAtDpcLevel).
   * A lock that is held — by this context (a recursive acquire) or by one that is not running —
   * can never be released while this processor spins, so the machine reports the deadlock a
   * free build would hang in.
   */
  acquireSpinLock(lock: KSPIN_LOCK, raise: boolean): KIRQL {
    const m = this.m;
    const t = m.currentThread("KeAcquireSpinLock");
    if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.acquireSpinLock?.(t, lock, raise);
    if (lock.owner === t) {
      m.deadlock(`${m.describeContext()} spins forever on ${lock.label}, which it already holds (taken by ${lock.ownerDescription})`);
    }
    if (lock.owner) {
      m.deadlock(`${m.describeContext()} spins forever on ${lock.label}, held by ${lock.ownerDescription}${lock.acquiredAt ? ` (acquired at ${lock.acquiredAt})` : ""}`);
    }
    const old = t.irql;
    if (raise) {
      if (old > DISPATCH_LEVEL) {
        m.bugCheck(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, old, DISPATCH_LEVEL, 0, 0, { detail: `KeAcquireSpinLock at IRQL ${old}` });
      }
      if (old < DISPATCH_LEVEL) m.mmu.gen++;
      t.irql = DISPATCH_LEVEL;
    }
    lock.takenBy(t, t.activityDepth > 0 ? t.activities[t.activityDepth - 1] : undefined);
    lock.acquiredAt = null;
    t.heldLocks.push(lock);
    if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.spinLockAcquired?.(t, lock);
    if (m.trace.on) m.trace.emit("SpinLockAcquired", { lock: lock.label, irql: t.irql });
    return old;
  }

  /**
   * Releases a spin lock (and, unless `newIrql` is null, lowers to it). Releasing a lock the
   * current context does not hold is SPIN_LOCK_NOT_OWNED.
   */
  releaseSpinLock(lock: KSPIN_LOCK, newIrql: KIRQL | null): void {
    const m = this.m;
    const t = m.currentThread("KeReleaseSpinLock");
    if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.releaseSpinLock?.(t, lock, newIrql);
    if (lock.owner !== t) {
      m.bugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, 0, 0, 0, 0, {
        detail: lock.owner
          ? `${m.describeContext()} released ${lock.label}, which ${lock.ownerDescription} holds`
          : `${m.describeContext()} released ${lock.label}, which nobody holds`,
      });
    }
    lock.owner = null;
    lock.ownerDescription = "";
    removeLast(t.heldLocks, lock);
    if (m.trace.on) m.trace.emit("SpinLockReleased", { lock: lock.label, irql: newIrql ?? t.irql });
    // Another processor spinning on this lock gets it now.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a spinner may take the lock
    while (lock.spinners.length > 0 && !lock.owner) (lock.spinners.shift() as () => void)();
    if (t.heldLocks.length === 0 && t.noLockQueue.length > 0) m.runWhenNoLocksHeld(t);
    if (newIrql !== null) this.lower(t, newIrql);
  }
}

/** Removes the last occurrence of `x` from `list` in place (splice would allocate its result). */
function removeLast<T>(list: T[], x: T): void {
  const k = list.lastIndexOf(x);
  if (k < 0) return;
  for (let i = k + 1; i < list.length; i++) list[i - 1] = list[i] as T;
  list.pop();
}
