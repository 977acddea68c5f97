/**
 * Fast mutexes (FAST_MUTEX) and guarded mutexes (KGUARDED_MUTEX): exclusive, not recursive,
 * owned by one thread, for code at IRQL <= APC_LEVEL.
 *
 * ExAcquireFastMutex raises the IRQL to APC_LEVEL (all APCs off) and ExReleaseFastMutex lowers
 * it back; KeAcquireGuardedMutex enters a guarded region instead and leaves the IRQL alone. A
 * thread that acquires one it already owns waits for itself for ever, as on NT (the verifier's
 * deadlock detection names it first). The Unsafe variants change neither the IRQL nor the APC
 * state: the caller must be at APC_LEVEL or inside a critical region.
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { notTheStructure } from "./interlocked.js";
import { APC_LEVEL, type KIRQL } from "./irql.js";
import { SyncLock, grantWaiter, waitForGrant } from "./sync-locks.js";
import type { KThread } from "./thread.js";

/** FAST_MUTEX. Initialise with ExInitializeFastMutex. */
export class FAST_MUTEX extends SyncLock {
  /** Which executive lock this is (what the verifier's lock rules and reports go by). */
  readonly kind = "FAST_MUTEX";
  /** 1 when free, 0 when owned (NT's Count, without its waiter bits). */
  Count = 1;
  /** The owning thread, or null when free. */
  Owner: KThread | null = null;
  /** The IRQL ExAcquireFastMutex raised from, restored by ExReleaseFastMutex. */
  OldIrql: KIRQL = 0;
  /** Acquisitions that had to wait. */
  Contention = 0;
}

/** KGUARDED_MUTEX. Initialise with KeInitializeGuardedMutex. */
export class KGUARDED_MUTEX extends SyncLock {
  /** Which executive lock this is (what the verifier's lock rules and reports go by). */
  readonly kind = "KGUARDED_MUTEX";
  /** 1 when free, 0 when owned. */
  Count = 1;
  /** The owning thread, or null when free. */
  Owner: KThread | null = null;
  /** Acquisitions that had to wait. */
  Contention = 0;
}

type ExclusiveLock = FAST_MUTEX | KGUARDED_MUTEX;

function kernel(api: string, lock: ExclusiveLock): KThread {
  const t = currentMachine(api).kernelCall(api);
  const guarded = api.includes("GuardedMutex");
  if (!(lock instanceof (guarded ? KGUARDED_MUTEX : FAST_MUTEX))) notTheStructure(t, api, guarded ? "Mutex" : "FastMutex", lock, guarded ? "a KGUARDED_MUTEX" : "a FAST_MUTEX");
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLock?.(t, api, lock);
  return t;
}

function checkIrql(t: KThread, api: string): void {
  if (t.irql > APC_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it may be called at IRQL <= APC_LEVEL only` });
  }
}

function acquired(t: KThread, api: string, lock: ExclusiveLock): void {
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLockAcquired?.(t, api, lock);
}

/** Takes the lock, waiting for it if another thread (or, for ever, this one) owns it. */
async function take(t: KThread, api: string, lock: ExclusiveLock): Promise<void> {
  if (lock.Count === 1 && lock.waiters.length === 0) {
    lock.Count = 0;
    lock.Owner = t;
  } else {
    lock.Contention++;
    // The releaser hands the lock over (sets Owner) before waking this thread.
    await waitForGrant(t, lock, true, lock.Owner === t ? `${api} by its own owner waits for` : `${api} waits for`);
  }
  acquired(t, api, lock);
}

function tryTake(t: KThread, api: string, lock: ExclusiveLock): boolean {
  if (lock.Count !== 1 || lock.waiters.length !== 0) return false;
  lock.Count = 0;
  lock.Owner = t;
  acquired(t, api, lock);
  return true;
}

/** Releases the lock: the first waiter, if any, owns it now. */
function give(t: KThread, lock: ExclusiveLock): void {
  const next = lock.waiters.shift();
  if (next) {
    lock.Owner = next.thread;
    lock.Count = 0;
    grantWaiter(t, next);
  } else {
    lock.Owner = null;
    lock.Count = 1;
  }
}

// ---- FAST_MUTEX -------------------------------------------------------------------------------

/** ExInitializeFastMutex: free, no owner. */
export function ExInitializeFastMutex(FastMutex: FAST_MUTEX): void {
  kernel("ExInitializeFastMutex", FastMutex);
  FastMutex.Count = 1;
  FastMutex.Owner = null;
  FastMutex.Contention = 0;
  FastMutex.waiters.length = 0;
}

/**
 * ExAcquireFastMutex: raises to APC_LEVEL and takes the mutex, waiting if another thread owns it.
 * Called above APC_LEVEL, the raise itself is IRQL_NOT_GREATER_OR_EQUAL.
 */
export async function ExAcquireFastMutex(FastMutex: FAST_MUTEX): Promise<void> {
  const t = kernel("ExAcquireFastMutex", FastMutex);
  const old = t.machine.interrupts.raise(t, APC_LEVEL);
  await take(t, "ExAcquireFastMutex", FastMutex);
  FastMutex.OldIrql = old;
}

/** ExTryToAcquireFastMutex: takes the mutex if it is free (at APC_LEVEL) and returns TRUE; FALSE otherwise. */
export function ExTryToAcquireFastMutex(FastMutex: FAST_MUTEX): boolean {
  const t = kernel("ExTryToAcquireFastMutex", FastMutex);
  const old = t.machine.interrupts.raise(t, APC_LEVEL);
  if (tryTake(t, "ExTryToAcquireFastMutex", FastMutex)) {
    FastMutex.OldIrql = old;
    return true;
  }
  t.machine.interrupts.lower(t, old);
  return false;
}

/**
 * ExReleaseFastMutex: releases the mutex and lowers the IRQL to what it was before the acquire.
 * Must be called at APC_LEVEL by the owner (Driver Verifier checks both).
 */
export function ExReleaseFastMutex(FastMutex: FAST_MUTEX): void {
  const t = kernel("ExReleaseFastMutex", FastMutex);
  const old = FastMutex.OldIrql;
  give(t, FastMutex);
  t.machine.interrupts.lower(t, Math.min(old, t.irql));
}

/** ExAcquireFastMutexUnsafe: takes the mutex without raising the IRQL (the caller is at APC_LEVEL or in a critical region). */
export async function ExAcquireFastMutexUnsafe(FastMutex: FAST_MUTEX): Promise<void> {
  const t = kernel("ExAcquireFastMutexUnsafe", FastMutex);
  checkIrql(t, "ExAcquireFastMutexUnsafe");
  await take(t, "ExAcquireFastMutexUnsafe", FastMutex);
}

/** ExReleaseFastMutexUnsafe. */
export function ExReleaseFastMutexUnsafe(FastMutex: FAST_MUTEX): void {
  const t = kernel("ExReleaseFastMutexUnsafe", FastMutex);
  give(t, FastMutex);
}

// ---- KGUARDED_MUTEX ---------------------------------------------------------------------------

/** KeInitializeGuardedMutex. */
export function KeInitializeGuardedMutex(Mutex: KGUARDED_MUTEX): void {
  kernel("KeInitializeGuardedMutex", Mutex);
  Mutex.Count = 1;
  Mutex.Owner = null;
  Mutex.Contention = 0;
  Mutex.waiters.length = 0;
}

/** KeAcquireGuardedMutex: enters a guarded region (all APCs off) and takes the mutex. IRQL <= APC_LEVEL. */
export async function KeAcquireGuardedMutex(Mutex: KGUARDED_MUTEX): Promise<void> {
  const t = kernel("KeAcquireGuardedMutex", Mutex);
  checkIrql(t, "KeAcquireGuardedMutex");
  t.specialApcDisable++;
  await take(t, "KeAcquireGuardedMutex", Mutex);
}

/** KeTryToAcquireGuardedMutex: TRUE (inside a guarded region) when the mutex was free; FALSE otherwise. */
export function KeTryToAcquireGuardedMutex(Mutex: KGUARDED_MUTEX): boolean {
  const t = kernel("KeTryToAcquireGuardedMutex", Mutex);
  checkIrql(t, "KeTryToAcquireGuardedMutex");
  t.specialApcDisable++;
  if (tryTake(t, "KeTryToAcquireGuardedMutex", Mutex)) return true;
  t.specialApcDisable--;
  return false;
}

/** KeReleaseGuardedMutex: releases the mutex and leaves the guarded region. */
export function KeReleaseGuardedMutex(Mutex: KGUARDED_MUTEX): void {
  const t = kernel("KeReleaseGuardedMutex", Mutex);
  give(t, Mutex);
  if (t.specialApcDisable > 0) t.specialApcDisable--;
  if (t.specialApcDisable === 0 && t.kernelApcs.length > 0 && t.irql < APC_LEVEL && !t.inApc) t.machine.interrupts.deliverSpecialApcs(t);
}

/** KeAcquireGuardedMutexUnsafe: takes the mutex without entering a guarded region (the caller already did, or is at APC_LEVEL). */
export async function KeAcquireGuardedMutexUnsafe(Mutex: KGUARDED_MUTEX): Promise<void> {
  const t = kernel("KeAcquireGuardedMutexUnsafe", Mutex);
  checkIrql(t, "KeAcquireGuardedMutexUnsafe");
  await take(t, "KeAcquireGuardedMutexUnsafe", Mutex);
}

/** KeReleaseGuardedMutexUnsafe. */
export function KeReleaseGuardedMutexUnsafe(Mutex: KGUARDED_MUTEX): void {
  const t = kernel("KeReleaseGuardedMutexUnsafe", Mutex);
  give(t, Mutex);
}
