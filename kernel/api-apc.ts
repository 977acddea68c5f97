/**
 * Asynchronous procedure calls, by their wdm.h/ntddk.h names: KeInitializeApc and
 * KeInsertQueueApc. Each acts on the current emulated thread.
 */
import { KAPC, initializeApc, type KKERNEL_ROUTINE, type KNORMAL_ROUTINE, type KRUNDOWN_ROUTINE } from "./apc.js";
import { currentMachine } from "./context.js";
import { DISPATCH_LEVEL, type KPROCESSOR_MODE } from "./irql.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { KThread } from "./thread.js";
import { checkPointer, checkRoutine, isGiven } from "./bad-pointer.js";

export { KAPC };
export type { KKERNEL_ROUTINE, KNORMAL_ROUTINE, KRUNDOWN_ROUTINE, InOut } from "./apc.js";
export { KAPC_ENVIRONMENT, OriginalApcEnvironment, AttachedApcEnvironment, CurrentApcEnvironment, InsertApcEnvironment } from "./apc.js";

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/**
 * KeInitializeApc: prepares an APC for `Thread`. With no NormalRoutine it is a special kernel APC
 * (its KernelRoutine runs at APC_LEVEL as soon as the thread is below APC_LEVEL, even in a wait);
 * with one and KernelMode it is a normal kernel APC (the KernelRoutine at APC_LEVEL, then the
 * NormalRoutine at PASSIVE_LEVEL, outside critical regions, at the thread's next wait: NT runs it
 * as soon as the thread is at PASSIVE_LEVEL, but an emulated thread can only be interrupted where
 * it waits); with UserMode it is a user APC (delivered in an alertable user-mode wait).
 * `Environment` is recorded: the emulator keeps one APC state per thread, so the APC always
 * targets the thread's original environment.
 */
export function KeInitializeApc(
  Apc: KAPC,
  Thread: KThread,
  Environment: number,
  KernelRoutine: KKERNEL_ROUTINE,
  RundownRoutine: KRUNDOWN_ROUTINE | null,
  NormalRoutine: KNORMAL_ROUTINE | null,
  ApcMode: KPROCESSOR_MODE,
  NormalContext: unknown,
): void {
  kernel("KeInitializeApc");
  checkPointer("KeInitializeApc", "Apc", Apc, KAPC, "a KAPC");
  checkPointer("KeInitializeApc", "Thread", Thread, KThread, "a KTHREAD");
  checkRoutine("KeInitializeApc", "KernelRoutine", KernelRoutine);
  if (isGiven(RundownRoutine)) checkRoutine("KeInitializeApc", "RundownRoutine", RundownRoutine);
  if (isGiven(NormalRoutine)) checkRoutine("KeInitializeApc", "NormalRoutine", NormalRoutine);
  initializeApc(Apc, Thread, Environment, KernelRoutine, RundownRoutine, NormalRoutine, ApcMode, NormalContext);
}

/**
 * KeInsertQueueApc: queues the APC to its thread with the two system arguments. FALSE when the
 * APC is already queued, was never initialised, or its thread no longer accepts APCs (it is
 * exiting). Callable at IRQL <= DISPATCH_LEVEL.
 */
export function KeInsertQueueApc(Apc: KAPC, SystemArgument1: unknown, SystemArgument2: unknown, _Increment = 0): boolean {
  const t = kernel("KeInsertQueueApc");
  checkPointer("KeInsertQueueApc", "Apc", Apc, KAPC, "a KAPC");
  const m = t.machine;
  if (t.irql > DISPATCH_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `KeInsertQueueApc at IRQL ${t.irql}: APCs are queued at IRQL <= DISPATCH_LEVEL` });
  }
  if (!Apc.KernelRoutine) return false;
  return m.interrupts.queueApc(Apc, SystemArgument1, SystemArgument2);
}

/** KeAreApcsDisabled: TRUE inside a critical or guarded region (normal kernel APCs are held). */
export function KeAreApcsDisabled(): boolean {
  const t = kernel("KeAreApcsDisabled");
  return t.kernelApcDisable > 0 || t.specialApcDisable > 0;
}

/** KeEnterGuardedRegion: disables all kernel APCs, special ones included. */
export function KeEnterGuardedRegion(): void {
  kernel("KeEnterGuardedRegion").specialApcDisable++;
}

/** KeLeaveGuardedRegion: special kernel APCs held back run when the region ends at PASSIVE_LEVEL. */
export function KeLeaveGuardedRegion(): void {
  const t = kernel("KeLeaveGuardedRegion");
  t.specialApcDisable = Math.max(0, t.specialApcDisable - 1);
  if (t.specialApcDisable === 0 && t.irql === 0 && t.kernelApcs.length > 0) t.machine.interrupts.deliverSpecialApcs(t);
}
