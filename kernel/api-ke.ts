/**
 * Kernel routines drivers call by their wdm.h names: IRQL, spin locks, dispatcher objects,
 * waits, timers, DPCs and time. Each acts on the current emulated thread.
 */
import { KEVENT, KMUTANT, KSEMAPHORE, DispatcherHeader, NotificationEvent, SynchronizationEvent, NotificationTimer, SynchronizationTimer, DispatcherType } from "./dispatcher.js";
import { KDPC, KDPC_IMPORTANCE, LowImportance, MediumImportance, HighImportance, MediumHighImportance, type KDEFERRED_ROUTINE } from "./dpc.js";
import { activeMachine, currentMachine } from "./context.js";
import { DISPATCH_LEVEL, KernelMode, PASSIVE_LEVEL, type KIRQL, type KPROCESSOR_MODE } from "./irql.js";
import { NtStatusError } from "./nt-status-error.js";
import { KernelObject } from "./objects.js";
import { KProcess } from "./process.js";
import { KSPIN_LOCK, KLOCK_QUEUE_HANDLE } from "./spin-lock.js";
import { STATUS_INVALID_PARAMETER, STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED, STATUS_SUCCESS, STATUS_TIMEOUT, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";
import { KTIMER } from "./timer.js";
import { BugCheckCode, SyncBugCheckCode } from "./bugcheck-codes.js";
import { notTheStructure, nullDereference } from "./interlocked.js";
import { MAXIMUM_WAIT_OBJECTS } from "./waits.js";
import { badPointer, checkNumber, checkPointer, checkTimeout, isGiven } from "./bad-pointer.js";

export { KEVENT, KMUTANT, KSEMAPHORE, KDPC, KTIMER, KSPIN_LOCK, KLOCK_QUEUE_HANDLE, KDPC_IMPORTANCE, LowImportance, MediumImportance, HighImportance, MediumHighImportance };
export type { KDEFERRED_ROUTINE };

/** KWAIT_REASON values drivers pass (recorded, not interpreted). */
export const KWAIT_REASON = { Executive: 0, FreePage: 1, PageIn: 2, PoolAllocation: 3, DelayExecution: 4, Suspended: 5, UserRequest: 6 } as const;
export const { Executive, UserRequest, DelayExecution } = KWAIT_REASON;

/** Anything a thread can wait on: a dispatcher object or an object with one (process, thread, file). */
export type Waitable = DispatcherHeader | KernelObject;

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

function headerOf(api: string, o: Waitable): DispatcherHeader {
  if (o instanceof DispatcherHeader) return o;
  // A NULL object pointer: the wait's read of its header faults.
  if ((o as Waitable | null | undefined) == null) nullDereference(currentMachine(api).currentThread(api));
  if (!(o instanceof KernelObject)) badPointer(api, "Object", o, "a dispatcher object (or an object with one: a thread, a process, a file)");
  const h = o.waitable();
  if (!h) throw new NtStatusError(0xc0000024, `${api}: ${o.label} is not a waitable object (STATUS_OBJECT_TYPE_MISMATCH)`);
  return h;
}

// ---- IRQL ---------------------------------------------------------------------------------

/** KeGetCurrentIrql. */
export function KeGetCurrentIrql(): KIRQL {
  return currentMachine("KeGetCurrentIrql").currentThread("KeGetCurrentIrql").irql;
}

/** KeRaiseIrql: returns the old IRQL (the C out-parameter). Lowering through it is a bug check. */
export function KeRaiseIrql(NewIrql: KIRQL): KIRQL {
  const t = kernel("KeRaiseIrql");
  NewIrql = checkNumber("KeRaiseIrql", "NewIrql", NewIrql);
  return t.machine.interrupts.raise(t, NewIrql);
}

/** KeRaiseIrqlToDpcLevel. */
export function KeRaiseIrqlToDpcLevel(): KIRQL {
  return KeRaiseIrql(DISPATCH_LEVEL);
}

/** KeLowerIrql: raising through it is a bug check; dropping below DISPATCH_LEVEL runs queued DPCs. */
export function KeLowerIrql(NewIrql: KIRQL): void {
  const t = kernel("KeLowerIrql");
  NewIrql = checkNumber("KeLowerIrql", "NewIrql", NewIrql);
  t.machine.interrupts.lower(t, NewIrql);
}

// ---- Spin locks ---------------------------------------------------------------------------

/** KeInitializeSpinLock. */
export function KeInitializeSpinLock(SpinLock: KSPIN_LOCK): void {
  checkPointer("KeInitializeSpinLock", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK");
  SpinLock.owner = null;
  SpinLock.ownerDescription = "";
}

/** KeAcquireSpinLock: raises to DISPATCH_LEVEL and returns the old IRQL. */
export function KeAcquireSpinLock(SpinLock: KSPIN_LOCK): KIRQL {
  const t = kernel("KeAcquireSpinLock");
  checkPointer("KeAcquireSpinLock", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK");
  return t.machine.interrupts.acquireSpinLock(SpinLock, true);
}

/** KeAcquireSpinLockRaiseToDpc. */
export const KeAcquireSpinLockRaiseToDpc = KeAcquireSpinLock;

/** KeReleaseSpinLock: releases and lowers to `NewIrql`. */
export function KeReleaseSpinLock(SpinLock: KSPIN_LOCK, NewIrql: KIRQL): void {
  const t = kernel("KeReleaseSpinLock");
  checkPointer("KeReleaseSpinLock", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK");
  NewIrql = checkNumber("KeReleaseSpinLock", "NewIrql", NewIrql);
  t.machine.interrupts.releaseSpinLock(SpinLock, NewIrql);
}

/** KeAcquireSpinLockAtDpcLevel: the caller is already at DISPATCH_LEVEL. */
export function KeAcquireSpinLockAtDpcLevel(SpinLock: KSPIN_LOCK): void {
  const t = kernel("KeAcquireSpinLockAtDpcLevel");
  checkPointer("KeAcquireSpinLockAtDpcLevel", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK");
  t.machine.interrupts.acquireSpinLock(SpinLock, false);
}

/** KeReleaseSpinLockFromDpcLevel. */
export function KeReleaseSpinLockFromDpcLevel(SpinLock: KSPIN_LOCK): void {
  const t = kernel("KeReleaseSpinLockFromDpcLevel");
  checkPointer("KeReleaseSpinLockFromDpcLevel", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK");
  t.machine.interrupts.releaseSpinLock(SpinLock, null);
}

/** KeAcquireInStackQueuedSpinLock. */
export function KeAcquireInStackQueuedSpinLock(SpinLock: KSPIN_LOCK, LockHandle: KLOCK_QUEUE_HANDLE): void {
  const t = kernel("KeAcquireInStackQueuedSpinLock");
  checkPointer("KeAcquireInStackQueuedSpinLock", "SpinLock", SpinLock, KSPIN_LOCK, "a KSPIN_LOCK");
  checkPointer("KeAcquireInStackQueuedSpinLock", "LockHandle", LockHandle, KLOCK_QUEUE_HANDLE, "a KLOCK_QUEUE_HANDLE");
  LockHandle.OldIrql = t.machine.interrupts.acquireSpinLock(SpinLock, true);
  LockHandle.Lock = SpinLock;
}

/** KeReleaseInStackQueuedSpinLock. */
export function KeReleaseInStackQueuedSpinLock(LockHandle: KLOCK_QUEUE_HANDLE): void {
  const t = kernel("KeReleaseInStackQueuedSpinLock");
  checkPointer("KeReleaseInStackQueuedSpinLock", "LockHandle", LockHandle, KLOCK_QUEUE_HANDLE, "a KLOCK_QUEUE_HANDLE");
  const lock = LockHandle.Lock;
  if (!lock) {
    return t.machine.bugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, 0, 0, 0, 0, { detail: "KeReleaseInStackQueuedSpinLock with a handle that holds no lock" });
  }
  LockHandle.Lock = null;
  t.machine.interrupts.releaseSpinLock(lock, LockHandle.OldIrql);
}

// ---- Events, semaphores, mutexes ----------------------------------------------------------

/** KeInitializeEvent: NotificationEvent or SynchronizationEvent, initially signalled or not. */
export function KeInitializeEvent(Event: KEVENT, Type: number, State: boolean): void {
  checkPointer("KeInitializeEvent", "Event", Event, KEVENT, "a KEVENT");
  Event.Type = Type === SynchronizationEvent ? DispatcherType.SynchronizationEvent : DispatcherType.NotificationEvent;
  Event.SignalState = State ? 1 : 0;
  Event.waitList.length = 0;
}

/** KeSetEvent: signals the event and releases waiters; returns the previous state. */
export function KeSetEvent(Event: KEVENT, _Increment = 0, _Wait = false): number {
  const m = kernel("KeSetEvent").machine;
  checkPointer("KeSetEvent", "Event", Event, KEVENT, "a KEVENT");
  const previous = Event.SignalState;
  m.signal(Event);
  return previous;
}

/** KeResetEvent: returns the previous state. */
export function KeResetEvent(Event: KEVENT): number {
  checkPointer("KeResetEvent", "Event", Event, KEVENT, "a KEVENT");
  const previous = Event.SignalState;
  Event.SignalState = 0;
  return previous;
}

/** KeClearEvent. */
export function KeClearEvent(Event: KEVENT): void {
  checkPointer("KeClearEvent", "Event", Event, KEVENT, "a KEVENT");
  Event.SignalState = 0;
}

/** KeReadStateEvent. */
export function KeReadStateEvent(Event: KEVENT): number {
  checkPointer("KeReadStateEvent", "Event", Event, KEVENT, "a KEVENT");
  return Event.SignalState;
}

/** KePulseEvent: releases current waiters, then leaves the event reset. */
export function KePulseEvent(Event: KEVENT, _Increment = 0, _Wait = false): number {
  const m = kernel("KePulseEvent").machine;
  checkPointer("KePulseEvent", "Event", Event, KEVENT, "a KEVENT");
  const previous = Event.SignalState;
  m.signal(Event);
  Event.SignalState = 0;
  return previous;
}

/** KeInitializeSemaphore. */
export function KeInitializeSemaphore(Semaphore: KSEMAPHORE, Count: number, Limit: number): void {
  checkPointer("KeInitializeSemaphore", "Semaphore", Semaphore, KSEMAPHORE, "a KSEMAPHORE");
  Count = checkNumber("KeInitializeSemaphore", "Count", Count);
  Limit = checkNumber("KeInitializeSemaphore", "Limit", Limit);
  Semaphore.SignalState = Count;
  Semaphore.Limit = Limit;
}

/** KeReleaseSemaphore: adds `Adjustment`; passing the limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED. */
export function KeReleaseSemaphore(Semaphore: KSEMAPHORE, _Increment: number, Adjustment: number, _Wait = false): number {
  const m = kernel("KeReleaseSemaphore").machine;
  checkPointer("KeReleaseSemaphore", "Semaphore", Semaphore, KSEMAPHORE, "a KSEMAPHORE");
  Adjustment = checkNumber("KeReleaseSemaphore", "Adjustment", Adjustment);
  const previous = Semaphore.SignalState;
  if (Adjustment <= 0 || previous + Adjustment > Semaphore.Limit) throw new NtStatusError(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
  m.signal(Semaphore, previous + Adjustment);
  return previous;
}

/** KeInitializeMutex. */
export function KeInitializeMutex(Mutex: KMUTANT, _Level = 0): void {
  checkPointer("KeInitializeMutex", "Mutex", Mutex, KMUTANT, "a KMUTEX");
  Mutex.SignalState = 1;
  Mutex.OwnerThread = null;
}

/** KeReleaseMutex: the owner releases one level of ownership. */
export function KeReleaseMutex(Mutex: KMUTANT, _Wait = false): number {
  const t = kernel("KeReleaseMutex");
  checkPointer("KeReleaseMutex", "Mutex", Mutex, KMUTANT, "a KMUTEX");
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.releaseMutex?.(t, Mutex);
  if (Mutex.OwnerThread !== t) throw new NtStatusError(STATUS_MUTANT_NOT_OWNED);
  const previous = Mutex.SignalState;
  if (previous + 1 > 0) Mutex.OwnerThread = null;
  m.signal(Mutex, previous + 1);
  return previous;
}

// ---- Waits --------------------------------------------------------------------------------

function relativeTimeout(m: { now: number }, TimeoutArgument: number | null | undefined, api = "a wait"): number | null {
  const Timeout = checkTimeout(api, "Timeout", TimeoutArgument);
  if (Timeout === null) return null;
  // NT's convention: negative is relative (100 ns units), positive is absolute system time.
  return Timeout <= 0 ? -Timeout : Math.max(0, Timeout - m.now);
}

/**
 * KeWaitForSingleObject. `Timeout` follows NT: null waits forever, negative is relative in
 * 100 ns units, 0 polls. Returns STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_ALERTED or
 * STATUS_USER_APC. Waiting with a non-zero timeout at DISPATCH_LEVEL is a bug check.
 */
export async function KeWaitForSingleObject(
  Object: Waitable,
  WaitReason: number,
  WaitMode: KPROCESSOR_MODE,
  Alertable: boolean,
  Timeout: number | null = null,
): Promise<NTSTATUS> {
  const t = kernel("KeWaitForSingleObject");
  const m = t.machine;
  return m.waits.waitFor([headerOf("KeWaitForSingleObject", Object)], {
    waitAll: false,
    mode: WaitMode,
    alertable: Alertable,
    timeout: relativeTimeout(m, Timeout, "KeWaitForSingleObject"),
    reason: `KeWaitForSingleObject (reason ${String(WaitReason)}) in ${m.describeContext()}`,
  });
}

/** WAIT_TYPE (wdm.h): what KeWaitForMultipleObjects waits for. */
export const WAIT_TYPE = { WaitAll: 0, WaitAny: 1, WaitNotification: 2, WaitDequeue: 3 } as const;
export const { WaitAll, WaitAny } = WAIT_TYPE;

/** THREAD_WAIT_OBJECTS: how many objects a thread's built-in wait blocks cover. */
export const THREAD_WAIT_OBJECTS = 3;

/**
 * KWAIT_BLOCK: one object of a wait. KeWaitForMultipleObjects needs an array of them from the
 * caller when it waits on more than THREAD_WAIT_OBJECTS objects; it fills them in.
 */
export class KWAIT_BLOCK {
  /** The waiting thread (filled in by the wait). */
  Thread: KThread | null = null;
  /** The object waited on (filled in by the wait). */
  Object: DispatcherHeader | null = null;
  /** The object's index in the wait (the WAIT_OBJECT_0 + n it returns). */
  WaitKey = 0;
  /** WaitAny or WaitAll, as the wait was asked. */
  WaitType: number = WaitAny;
}

/**
 * KeWaitForMultipleObjects: waits for any (WaitAny) or all (WaitAll) of `Objects`. More than
 * THREAD_WAIT_OBJECTS objects need a `WaitBlockArray` of at least as many KWAIT_BLOCKs, and no
 * more than MAXIMUM_WAIT_OBJECTS may be waited on: otherwise bug check
 * MAXIMUM_WAIT_OBJECTS_EXCEEDED, as NT gives. `WaitType` also takes the names "WaitAll"/"WaitAny".
 */
export async function KeWaitForMultipleObjects(
  Objects: readonly Waitable[],
  WaitType: number | "WaitAll" | "WaitAny",
  WaitReason: number,
  WaitMode: KPROCESSOR_MODE,
  Alertable: boolean,
  Timeout: number | null = null,
  WaitBlockArray: KWAIT_BLOCK[] | null = null,
): Promise<NTSTATUS> {
  const t = kernel("KeWaitForMultipleObjects");
  const m = t.machine;
  if (!Array.isArray(Objects)) badPointer("KeWaitForMultipleObjects", "Object", Objects, "an array of dispatcher objects");
  const waitAll = WaitType === "WaitAll" || WaitType === WaitAll;
  if (!waitAll && WaitType !== "WaitAny" && WaitType !== WaitAny) {
    throw new NtStatusError(STATUS_INVALID_PARAMETER, `KeWaitForMultipleObjects: WaitType ${String(WaitType)} is neither WaitAll nor WaitAny`);
  }
  const count = Objects.length;
  if (count > MAXIMUM_WAIT_OBJECTS || (count > THREAD_WAIT_OBJECTS && (WaitBlockArray === null || WaitBlockArray.length < count))) {
    m.bugCheck(SyncBugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED, 0, 0, 0, 0, {
      detail:
        count > MAXIMUM_WAIT_OBJECTS
          ? `KeWaitForMultipleObjects on ${count} objects: at most MAXIMUM_WAIT_OBJECTS (${MAXIMUM_WAIT_OBJECTS}) may be waited on at once`
          : `KeWaitForMultipleObjects on ${count} objects ${WaitBlockArray === null ? "without a WaitBlockArray" : `with a WaitBlockArray of only ${WaitBlockArray.length} KWAIT_BLOCKs`}: more than THREAD_WAIT_OBJECTS (${THREAD_WAIT_OBJECTS}) objects need one wait block each from the caller`,
    });
  }
  const headers = Objects.map((o: Waitable) => headerOf("KeWaitForMultipleObjects", o));
  if (WaitBlockArray) {
    for (let i = 0; i < count; i++) {
      const wb = WaitBlockArray[i] as KWAIT_BLOCK;
      wb.Thread = t;
      wb.Object = headers[i] ?? null;
      wb.WaitKey = i;
      wb.WaitType = waitAll ? WaitAll : WaitAny;
    }
  }
  return m.waits.waitFor(headers, {
    waitAll,
    mode: WaitMode,
    alertable: Alertable,
    timeout: relativeTimeout(m, Timeout, "KeWaitForMultipleObjects"),
    reason: `KeWaitForMultipleObjects (reason ${String(WaitReason)}) in ${m.describeContext()}`,
  });
}

/** KeDelayExecutionThread: sleeps for `Interval` (NT form; negative is relative). */
export async function KeDelayExecutionThread(WaitMode: KPROCESSOR_MODE, Alertable: boolean, Interval: number): Promise<NTSTATUS> {
  const t = kernel("KeDelayExecutionThread");
  const m = t.machine;
  // Interval is a pointer that may not be NULL.
  if (!isGiven(Interval)) badPointer("KeDelayExecutionThread", "Interval", Interval, "a LARGE_INTEGER");
  const never = new KEVENT(NotificationEvent, false, "KeDelayExecutionThread");
  const status = await m.waits.waitFor([never], {
    waitAll: false,
    mode: WaitMode,
    alertable: Alertable,
    timeout: relativeTimeout(m, Interval, "KeDelayExecutionThread"),
    reason: `KeDelayExecutionThread in ${m.describeContext()}`,
  });
  return status === STATUS_TIMEOUT ? STATUS_SUCCESS : status;
}

// ---- Timers and DPCs ----------------------------------------------------------------------

/** KeInitializeTimer (a notification timer). */
export function KeInitializeTimer(Timer: KTIMER): void {
  KeInitializeTimerEx(Timer, NotificationTimer);
}

/** KeInitializeTimerEx. */
export function KeInitializeTimerEx(Timer: KTIMER, Type: number): void {
  checkPointer("KeInitializeTimerEx", "Timer", Timer, KTIMER, "a KTIMER");
  Timer.Type = Type === SynchronizationTimer ? DispatcherType.SynchronizationTimer : DispatcherType.NotificationTimer;
  Timer.SignalState = 0;
  Timer.Period = 0;
  Timer.Dpc = null;
}

/** KeSetTimer: returns whether the timer was already set. */
export function KeSetTimer<C>(Timer: KTIMER, DueTime: number, Dpc: KDPC<C> | null = null): boolean {
  return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

/** KeSetTimerEx: `DueTime` in NT form (negative relative, 100 ns), `Period` in ms. */
export function KeSetTimerEx<C>(Timer: KTIMER, DueTime: number, Period: number, Dpc: KDPC<C> | null = null): boolean {
  const t = kernel("KeSetTimerEx");
  checkPointer("KeSetTimerEx", "Timer", Timer, KTIMER, "a KTIMER");
  if (isGiven(Dpc)) checkPointer("KeSetTimerEx", "Dpc", Dpc, KDPC, "a KDPC or NULL");
  DueTime = Math.trunc(checkNumber("KeSetTimerEx", "DueTime", DueTime));
  Period = checkNumber("KeSetTimerEx", "Period", Period);
  const m = t.machine;
  const wasSet = m.setTimer(Timer, DueTime, Period, Dpc);
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.timerSet?.(t, Timer, Dpc as unknown as KDPC | null);
  return wasSet;
}

/** KeCancelTimer: returns whether the timer was set. */
export function KeCancelTimer(Timer: KTIMER): boolean {
  checkPointer("KeCancelTimer", "Timer", Timer, KTIMER, "a KTIMER");
  return kernel("KeCancelTimer").machine.cancelTimer(Timer);
}

/** KeReadStateTimer. */
export function KeReadStateTimer(Timer: KTIMER): boolean {
  checkPointer("KeReadStateTimer", "Timer", Timer, KTIMER, "a KTIMER");
  return Timer.SignalState !== 0;
}

/** KeInitializeDpc. */
export function KeInitializeDpc<C>(Dpc: KDPC<C>, DeferredRoutine: KDEFERRED_ROUTINE<C>, DeferredContext: C): void {
  checkPointer("KeInitializeDpc", "Dpc", Dpc, KDPC, "a KDPC");
  Dpc.DeferredRoutine = DeferredRoutine;
  Dpc.DeferredContext = DeferredContext;
  Dpc.Inserted = false;
  // Remember whose DPC this is: traces and bug checks in the routine name that driver.
  Dpc.owner = activeMachine()?.currentDriver() ?? null;
}

/** KeInsertQueueDpc: queues the DPC and returns TRUE; FALSE (and nothing changes) when it is already queued. */
export function KeInsertQueueDpc<C>(Dpc: KDPC<C>, SystemArgument1: unknown = null, SystemArgument2: unknown = null): boolean {
  const t = kernel("KeInsertQueueDpc");
  checkPointer("KeInsertQueueDpc", "Dpc", Dpc, KDPC, "a KDPC");
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.dpcQueued?.(t, Dpc as unknown as KDPC);
  return m.interrupts.insertQueueDpc(Dpc, SystemArgument1, SystemArgument2);
}

/** KeRemoveQueueDpc: removes a queued DPC; true when it was queued (false when it was not, or already ran). */
export function KeRemoveQueueDpc<C>(Dpc: KDPC<C>): boolean {
  checkPointer("KeRemoveQueueDpc", "Dpc", Dpc, KDPC, "a KDPC");
  return kernel("KeRemoveQueueDpc").machine.interrupts.removeQueueDpc(Dpc);
}

/**
 * KeFlushQueuedDpcs: returns when every DPC queued so far has run. PASSIVE_LEVEL only (NT moves
 * the thread to each processor in turn to wait for its queue, which cannot be done at raised
 * IRQL): above it, bug check IRQL_NOT_LESS_OR_EQUAL.
 */
export function KeFlushQueuedDpcs(): void {
  const t = kernel("KeFlushQueuedDpcs");
  const m = t.machine;
  if (t.irql !== PASSIVE_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `KeFlushQueuedDpcs at IRQL ${t.irql}: it must be called at PASSIVE_LEVEL` });
  }
  if (m.interrupts.queuedDpcs.length > 0) m.interrupts.drainDpcs();
}

/**
 * KeSetImportanceDpc: HighImportance puts the DPC at the head of the queue when it is queued;
 * the others at the tail (this machine drains the queue whenever the IRQL drops below
 * DISPATCH_LEVEL, so Low and Medium importance run at the same moment).
 */
export function KeSetImportanceDpc<C>(Dpc: KDPC<C>, Importance: number): void {
  if (!(Dpc instanceof KDPC)) notTheStructure(kernel("KeSetImportanceDpc"), "KeSetImportanceDpc", "Dpc", Dpc, "a KDPC");
  Dpc.Importance = checkNumber("KeSetImportanceDpc", "Importance", Importance);
}

/**
 * KeSetTargetProcessorDpc: records the processor the DPC should run on. The machine models one
 * processor (what another one does is injected), so the DPC runs where the queue is drained.
 */
export function KeSetTargetProcessorDpc<C>(Dpc: KDPC<C>, Number: number): void {
  if (!(Dpc instanceof KDPC)) notTheStructure(kernel("KeSetTargetProcessorDpc"), "KeSetTargetProcessorDpc", "Dpc", Dpc, "a KDPC");
  Dpc.Number = checkNumber("KeSetTargetProcessorDpc", "Number", Number);
}

/** KeGetCurrentProcessorNumber: the machine's one processor is number 0. */
export function KeGetCurrentProcessorNumber(): number {
  return 0;
}

/** PROCESSOR_NUMBER: a processor's group and number within the group. */
export class PROCESSOR_NUMBER {
  /** The processor group (0: the machine has one). */
  Group = 0;
  /** The processor's number within its group. */
  Number = 0;
  /** Reserved (0). */
  Reserved = 0;
}

/**
 * KeGetCurrentProcessorNumberEx: the current processor's system-wide index (0: the machine's one
 * processor), also stored as group and number in ProcNumber when given (a PROCESSOR_NUMBER, or
 * its address in memory: USHORT Group, UCHAR Number, UCHAR Reserved).
 */
export function KeGetCurrentProcessorNumberEx(ProcNumber: PROCESSOR_NUMBER | number | null = null): number {
  const t = kernel("KeGetCurrentProcessorNumberEx");
  if (ProcNumber instanceof PROCESSOR_NUMBER) {
    ProcNumber.Group = 0;
    ProcNumber.Number = 0;
    ProcNumber.Reserved = 0;
  } else if (typeof ProcNumber === "number" && ProcNumber !== 0) {
    t.machine.mmu.writeU32(ProcNumber, 0);
  } else if (ProcNumber !== null && typeof ProcNumber !== "number") {
    badPointer("KeGetCurrentProcessorNumberEx", "ProcNumber", ProcNumber, "a PROCESSOR_NUMBER or NULL");
  }
  return 0;
}

/** KeQueryActiveProcessorCount: one active processor (bit 0 of the affinity, when asked for). */
export function KeQueryActiveProcessorCount(ActiveProcessors: { value: number } | null = null): number {
  if (isGiven(ActiveProcessors)) {
    // The affinity mask is written through the pointer: what is no variable faults.
    if (typeof ActiveProcessors !== "object" || ActiveProcessors === null) badPointer("KeQueryActiveProcessorCount", "ActiveProcessors", ActiveProcessors, "a KAFFINITY variable or NULL");
    ActiveProcessors.value = 1;
  }
  return 1;
}

// ---- Time (kernel/api-time.ts) --------------------------------------------------------------

export { KeQueryTimeIncrement, KeQuerySystemTime, KeQuerySystemTimePrecise, KeQueryInterruptTime, KeQueryInterruptTimePrecise, KeQueryTickCount, KeQueryPerformanceCounter, KeStallExecutionProcessor } from "./api-time.js";

// ---- Threads, regions, attach -------------------------------------------------------------

/** KeGetCurrentThread / PsGetCurrentThread. */
export function KeGetCurrentThread(): KThread {
  return currentMachine("KeGetCurrentThread").currentThread("KeGetCurrentThread");
}

/**
 * KeEnterCriticalRegion: disables normal kernel APCs (a suspend, a thread's I/O completion APC
 * that is not special) until the matching KeLeaveCriticalRegion. Regions nest.
 */
export function KeEnterCriticalRegion(): void {
  const t = kernel("KeEnterCriticalRegion");
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.criticalRegion?.(t, true);
  t.kernelApcDisable++;
}

/**
 * KeLeaveCriticalRegion: ends a critical region; normal kernel APCs that were held back run at
 * the thread's next chance. An unmatched leave unbalances the thread's count, as on NT: the
 * thread's return to user mode (or a work item's return) with the count not zero is bug check
 * APC_INDEX_MISMATCH; Driver Verifier stops at the leave itself (0xC4/0x3E).
 */
export function KeLeaveCriticalRegion(): void {
  const t = kernel("KeLeaveCriticalRegion");
  if (t.machine.kernelHooks.length !== 0) for (const h of t.machine.kernelHooks) h.criticalRegion?.(t, false);
  t.kernelApcDisable--;
}

/** KAPC_STATE for KeStackAttachProcess. */
export class KAPC_STATE {
  /** The process a thread is attached to (KeStackAttachProcess), null when not attached. */
  Process: KProcess | null = null;
}

/** KeStackAttachProcess: the thread uses `Process`'s address space until it detaches. */
export function KeStackAttachProcess(Process: KProcess, ApcState: KAPC_STATE): void {
  const t = kernel("KeStackAttachProcess");
  checkPointer("KeStackAttachProcess", "Process", Process, KProcess, "an EPROCESS");
  checkPointer("KeStackAttachProcess", "ApcState", ApcState, KAPC_STATE, "a KAPC_STATE");
  ApcState.Process = t.attachedProcess;
  t.attachedProcess = Process === t.process ? null : Process;
  t.machine.mmu.gen++;
}

/** KeUnstackDetachProcess. */
export function KeUnstackDetachProcess(ApcState: KAPC_STATE): void {
  const t = kernel("KeUnstackDetachProcess");
  checkPointer("KeUnstackDetachProcess", "ApcState", ApcState, KAPC_STATE, "a KAPC_STATE");
  t.attachedProcess = ApcState.Process;
  t.machine.mmu.gen++;
}

export { KernelMode, NotificationEvent, SynchronizationEvent, NotificationTimer, SynchronizationTimer };
