/**
 * Push locks (EX_PUSH_LOCK): a small reader/writer lock, not recursive and with no owner record,
 * used inside a critical region at IRQL <= APC_LEVEL (Driver Verifier checks the critical region).
 * A shared acquirer waits behind a waiting exclusive one; a release grants the waiters at the
 * head of the queue (one exclusive, or every shared one up to the next exclusive). A thread that
 * acquires a push lock it already holds waits for itself for ever, as on NT.
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { notTheStructure } from "./interlocked.js";
import { APC_LEVEL } from "./irql.js";
import { SyncLock, grantWaiter, waitForGrant } from "./sync-locks.js";
import type { KThread } from "./thread.js";

/** EX_PUSH_LOCK. Initialise with ExInitializePushLock. */
export class EX_PUSH_LOCK extends SyncLock {
  /** Which executive lock this is (what the verifier's lock rules and reports go by). */
  readonly kind = "EX_PUSH_LOCK";
  /** The exclusive holder (recorded for messages; NT keeps no owner). */
  Exclusive: KThread | null = null;
  /** Threads holding it shared. */
  readonly Shared = new Set<KThread>();
}

function kernel(api: string, lock: EX_PUSH_LOCK): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (!(lock instanceof EX_PUSH_LOCK)) notTheStructure(t, api, "PushLock", lock, "an EX_PUSH_LOCK");
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLock?.(t, api, lock);
  if (t.irql > APC_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: push locks are used at IRQL <= APC_LEVEL` });
  }
  return t;
}

function acquired(t: KThread, api: string, lock: EX_PUSH_LOCK): void {
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLockAcquired?.(t, api, lock);
}

/** ExInitializePushLock: free. */
export function ExInitializePushLock(PushLock: EX_PUSH_LOCK): void {
  kernel("ExInitializePushLock", PushLock);
  PushLock.Exclusive = null;
  PushLock.Shared.clear();
  PushLock.waiters.length = 0;
}

/** ExAcquirePushLockExclusiveEx (ExAcquirePushLockExclusive): waits until no one holds it. `Flags` is reserved. */
export async function ExAcquirePushLockExclusiveEx(PushLock: EX_PUSH_LOCK, _Flags = 0): Promise<void> {
  const api = "ExAcquirePushLockExclusive";
  const t = kernel(api, PushLock);
  if (PushLock.Exclusive === null && PushLock.Shared.size === 0 && PushLock.waiters.length === 0) PushLock.Exclusive = t;
  else await waitForGrant(t, PushLock, true, PushLock.Exclusive === t || PushLock.Shared.has(t) ? `${api} by its own holder waits for` : `${api} waits for`);
  acquired(t, api, PushLock);
}

/** ExAcquirePushLockSharedEx (ExAcquirePushLockShared): waits while it is held exclusive or an exclusive acquirer waits. */
export async function ExAcquirePushLockSharedEx(PushLock: EX_PUSH_LOCK, _Flags = 0): Promise<void> {
  const api = "ExAcquirePushLockShared";
  const t = kernel(api, PushLock);
  if (PushLock.Exclusive === null && !PushLock.waiters.some((w) => w.exclusive)) PushLock.Shared.add(t);
  else await waitForGrant(t, PushLock, false, PushLock.Exclusive === t ? `${api} by its own exclusive holder waits for` : `${api} waits for`);
  acquired(t, api, PushLock);
}

function grantNext(t: KThread, lock: EX_PUSH_LOCK): void {
  if (lock.Exclusive !== null || lock.Shared.size > 0) return;
  const first = lock.waiters[0];
  if (!first) return;
  if (first.exclusive) {
    lock.waiters.shift();
    lock.Exclusive = first.thread;
    grantWaiter(t, first);
    return;
  }
  while (lock.waiters.length > 0 && !(lock.waiters[0]?.exclusive ?? true)) {
    const w = lock.waiters.shift();
    if (!w) break;
    lock.Shared.add(w.thread);
    grantWaiter(t, w);
  }
}

/** ExReleasePushLockExclusiveEx (ExReleasePushLockExclusive). */
export function ExReleasePushLockExclusiveEx(PushLock: EX_PUSH_LOCK, _Flags = 0): void {
  const t = kernel("ExReleasePushLockExclusive", PushLock);
  PushLock.Exclusive = null;
  grantNext(t, PushLock);
}

/** ExReleasePushLockSharedEx (ExReleasePushLockShared). */
export function ExReleasePushLockSharedEx(PushLock: EX_PUSH_LOCK, _Flags = 0): void {
  const t = kernel("ExReleasePushLockShared", PushLock);
  PushLock.Shared.delete(t);
  grantNext(t, PushLock);
}

/** ExReleasePushLock: releases whichever hold the current thread has. */
export function ExReleasePushLock(PushLock: EX_PUSH_LOCK): void {
  const t = kernel("ExReleasePushLock", PushLock);
  if (PushLock.Exclusive === t) PushLock.Exclusive = null;
  else PushLock.Shared.delete(t);
  grantNext(t, PushLock);
}

export {
  ExAcquirePushLockExclusiveEx as ExAcquirePushLockExclusive,
  ExAcquirePushLockSharedEx as ExAcquirePushLockShared,
  ExReleasePushLockExclusiveEx as ExReleasePushLockExclusive,
  ExReleasePushLockSharedEx as ExReleasePushLockShared,
};
