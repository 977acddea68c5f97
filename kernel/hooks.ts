/**
 * Points where an observer that must act synchronously (the verifier) hooks the kernel. Each is
 * called before the kernel acts, in the context of the call, so an observer can halt the machine
 * (Machine.bugCheck) at the faulting call with the caller's source line. Trace events report the
 * same moments afterwards; hooks exist for rules that must stop the machine first, and so that an
observer (the verifier) need not turn tracing on, which would make every trace point build events.
 *
 * The machine keeps its hooks in `Machine.kernelHooks`; call sites test its length first, so a
 * machine nobody verifies pays one array-length read per hook point.
 */
import type { DispatcherHeader, KMUTANT } from "./dispatcher.js";
import type { KDPC } from "./dpc.js";
import type { KIRQL, KPROCESSOR_MODE } from "./irql.js";
import type { OBJECT_TYPE } from "./object-types.js";
import type { KernelObject } from "./objects.js";
import type { KProcess } from "./process.js";
import type { KSPIN_LOCK } from "./spin-lock.js";
import type { KThread } from "./thread.js";
import type { KTIMER } from "./timer.js";
import type { LookasideList } from "./lookaside.js";
import type { SyncLock } from "./sync-locks.js";

/** Synchronous observers of the kernel. Every member is optional. */
export interface KernelHooks {
  /** KeRaiseIrql is about to raise from `current` to `requested` (before the checks). */
  raiseIrql?(t: KThread, current: KIRQL, requested: KIRQL): void;
  /** KeLowerIrql is about to lower from `current` to `requested` (before the checks). */
  lowerIrql?(t: KThread, current: KIRQL, requested: KIRQL): void;
  /** A spin lock is about to be acquired; `raise` is false for KeAcquireSpinLockAtDpcLevel. */
  acquireSpinLock?(t: KThread, lock: KSPIN_LOCK, raise: boolean): void;
  /** A spin lock was acquired. */
  spinLockAcquired?(t: KThread, lock: KSPIN_LOCK): void;
  /** A spin lock is about to be released; `newIrql` is null for KeReleaseSpinLockFromDpcLevel. */
  releaseSpinLock?(t: KThread, lock: KSPIN_LOCK, newIrql: KIRQL | null): void;
  /** A thread is about to wait (before the IRQL checks); `timeout` as Waits.waitFor takes it. */
  beforeWait?(t: KThread, objects: readonly DispatcherHeader[], timeout: number | null): void;
  /** A wait acquired a mutex. */
  mutexAcquired?(t: KThread, mutex: KMUTANT): void;
  /** KeReleaseMutex is about to release `mutex` (before the ownership check). */
  releaseMutex?(t: KThread, mutex: KMUTANT): void;
  /**
   * A driver asks for memory (`api` names the routine: "ExAllocatePoolWithTag"); returning true
   * makes the allocation fail, as low-resources simulation does.
   */
  failAllocation?(t: KThread, api: string): boolean;
  /** ExAllocatePoolWithTag returned a block. */
  poolAllocated?(t: KThread, address: number, size: number, tag: number, paged: boolean): void;
  /** ExFreePoolWithTag is about to free a block (before the checks). */
  freePool?(t: KThread, address: number): void;
  /** KeSetTimerEx set `timer` (with its DPC, if any). */
  timerSet?(t: KThread, timer: KTIMER, dpc: KDPC | null): void;
  /** KeInsertQueueDpc queued `dpc`. */
  dpcQueued?(t: KThread, dpc: KDPC): void;
  /** A driver took a reference to an object (ObReferenceObject, ObReferenceObjectByHandle). */
  objectReferenced?(t: KThread, object: KernelObject): void;
  /** A driver dropped a reference (ObDereferenceObject). */
  objectDereferenced?(t: KThread, object: KernelObject): void;
  /** A handle to `object` was created in `process`. */
  handleCreated?(process: KProcess, handle: number, object: KernelObject): void;
  /**
   * A process's address space is about to be torn down (MmCleanProcessAddressSpace), before the
   * check for pages still locked for I/O.
   */
  processRundown?(p: KProcess): void;
  /** A lookaside-list routine (`api`) is about to act on `list` (before its checks); `size` is the block size an initialisation asks for. */
  lookaside?(t: KThread, api: string, list: LookasideList, size: number | null): void;
  /** A FAST_MUTEX / guarded mutex / ERESOURCE / push lock / rundown routine (`api`) is about to act on `lock` (before its checks). */
  syncLock?(t: KThread, api: string, lock: SyncLock): void;
  /** A thread that wanted `lock` was granted it (at once or after waiting). */
  syncLockAcquired?(t: KThread, api: string, lock: SyncLock): void;
  /** ObReferenceObjectByHandle is about to resolve `handle` (before its checks); `type` is null for any type. */
  referenceByHandle?(t: KThread, handle: number, type: OBJECT_TYPE | null, mode: KPROCESSOR_MODE): void;
  /** KeEnterCriticalRegion / KeLeaveCriticalRegion (`enter`) is about to change the thread's count. */
  criticalRegion?(t: KThread, enter: boolean): void;
  /** PAGED_CODE() ran at `irql` (above APC_LEVEL: pageable code where it may not be). */
  pagedCodeAtRaisedIrql?(t: KThread, irql: KIRQL): void;
}

/**
 * Watches memory accesses (the MMU calls it on its slow path only; while one is installed, the
 * MMU keeps no translation cache, so every access reaches it). `length` is the size of the
 * access when known (1 otherwise).
 */
export type MemoryObserver = (va: number, length: number, write: boolean) => void;
