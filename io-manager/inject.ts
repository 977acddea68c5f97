/**
 * Asynchronous events injected at a point in a driver's code, as another processor would cause
 * them (DESIGN.md, "Injections model a second processor faithfully"):
 *
 * - a cancel takes the cancel spin lock, sets Irp.Cancel and takes the cancel routine at once —
 *   or as soon as the interrupted code releases the cancel lock, if it holds it — and calls the
 *   routine as soon as the interrupted code holds no spin lock;
 * - a process death is TerminateProcess from outside: threads in kernel mode exit when they
 *   return to user mode;
 * - a handle close runs CloseHandle on another thread of the owning process;
 * - a timer that fires early runs its DPC on the other processor as soon as the interrupted
 *   code holds no spin lock.
 *
 * Each injection is recorded in `machine.injected`, so a scenario knows its story was disturbed.
 */
import type { Machine } from "../kernel/machine.js";
import type { KTIMER } from "../kernel/timer.js";
import type { KProcess } from "../kernel/process.js";
import { invokeCancelRoutine } from "./cancel.js";
import { ioManager } from "./io-manager.js";
import type { IRP } from "./irp.js";

/**
 * Injects IoCancelIrp of `irp` from another processor, on behalf of `canceller` (the process
 * whose thread called CancelIoEx, or the dying process). Returns immediately; the routine runs
 * when the interrupted code allows it.
 */
export function injectCancel(m: Machine, irp: IRP, canceller: KProcess, why: string): void {
  const io = ioManager(m);
  const lock = io.cancelSpinLock;
  const cpu = m.otherProcessor(canceller, `CPU1 (${why})`);
  const label = irp.label;
  const id = irp.id;
  m.injected.push(`${why}: IoCancelIrp(${label})`);
  if (m.trace.on) m.trace.emit("Injection", { action: "cancel", detail: `${why}: IoCancelIrp(${label})`, at: m.describeContext(), cpu: cpu.tid });

  const takeLockAndRoutine = (): void => {
    // The IRP may have completed (and been recycled) while this processor waited for the lock.
    if (!irp.allocated || irp.id !== id) return;
    const routine = m.onOtherProcessor(cpu, () => {
      const oldIrql = m.interrupts.acquireSpinLock(lock, true);
      irp.Cancel = true;
      const r = irp.CancelRoutine;
      irp.CancelRoutine = null;
      irp.CancelIrql = oldIrql;
      for (const h of io.hooks) h.irpCancelled?.(irp, r, cpu);
      if (!r) {
        m.interrupts.releaseSpinLock(lock, oldIrql);
        if (m.trace.on) m.trace.emit("IrpCancel", { irp: label, routine: "NULL", called: false, driver: "" });
      }
      return r;
    });
    if (!routine) return;
    // The routine runs on this processor once the interrupted code holds no spin lock.
    m.whenNoLocksHeld(() => {
      m.onOtherProcessor(cpu, () => {
        invokeCancelRoutine(cpu, irp, routine);
      });
    });
  };

  const running = m.runningThread();
  if (lock.owner && lock.owner === running) lock.spinners.push(takeLockAndRoutine);
  else takeLockAndRoutine();
}

/** Injects the death of `process` ("the process dies"), with NT's deferred termination. */
export function injectProcessDeath(m: Machine, process: KProcess, status = 1): void {
  m.injected.push(`${process.name} dies`);
  if (m.trace.on) m.trace.emit("Injection", { action: "terminate", detail: `${process.name} dies`, at: m.describeContext() });
  m.terminateProcess(process, status, "killed");
}

/**
 * Injects CloseHandle(`handle`) by another thread of `process`: the close (and the
 * IRP_MJ_CLEANUP it may send) runs when that thread is scheduled.
 */
export function injectHandleClose(m: Machine, process: KProcess, handle: number): void {
  m.injected.push(`${process.name} closes handle ${handle} on another thread`);
  if (m.trace.on) m.trace.emit("Injection", { action: "close", detail: `${process.name} closes handle ${handle} on another thread`, at: m.describeContext() });
  m.createThread(
    process,
    `closer(${handle})`,
    async () => {
      const t = m.currentThread();
      m.enterKernel(t);
      await m.ob.closeHandle(process, handle);
      await m.returnToUser(t);
    },
    { userMode: true },
  );
}

/**
 * Injects the early expiry of a set KTIMER: its interrupt arrives on another processor now, and
 * its DPC runs there as soon as the interrupted code holds no spin lock (a DPC spinning on a lock
 * the interrupted code holds would wait for it). Returns false when the timer is not set.
 *
 * Two simplifications: the DPC waits for the interrupted code to drop every spin lock, not only
 * the ones the DPC takes; and when the interrupted code is itself a DPC, the early DPC runs right
 * after it, in the same drain, rather than beside it.
 */
export function injectTimerEarly(m: Machine, timer: KTIMER): boolean {
  if (!timer.Inserted) return false;
  const cpu = m.otherProcessor(m.systemProcess, `CPU1 (${timer.label} fires early)`);
  m.injected.push(`${timer.label} fires early`);
  if (m.trace.on) m.trace.emit("Injection", { action: "timer", detail: `${timer.label} fires early; its DPC runs on another processor`, at: m.describeContext(), cpu: cpu.tid });
  m.whenNoLocksHeld(() => {
    m.onOtherProcessor(cpu, () => m.expireTimerNow(timer));
  });
  return true;
}
