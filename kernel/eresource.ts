/**
 * Executive resources (ERESOURCE): a reader/writer lock, recursive for its owners, used at
 * IRQL <= APC_LEVEL and always inside a critical region (KeEnterCriticalRegion), so that a
 * suspend APC cannot stop the owner while it holds the resource (Driver Verifier checks that).
 *
 * NT's rules: an exclusive owner may acquire again, exclusive or shared (counted as exclusive);
 * a shared owner may acquire shared again even when exclusive waiters exist; a new shared
 * acquirer waits behind an exclusive waiter (ExAcquireSharedStarveExclusive does not); releasing
 * the last exclusive hold grants every shared waiter, or else the first exclusive waiter;
 * releasing the last shared hold grants the first exclusive waiter. A shared owner asking for
 * exclusive access waits for itself for ever. Releasing a resource the thread does not own is
 * bug check RESOURCE_NOT_OWNED.
 */
import { BugCheckCode, SyncBugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { notTheStructure } from "./interlocked.js";
import { APC_LEVEL, DISPATCH_LEVEL } from "./irql.js";
import { STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import { SyncLock, grantWaiter, waitForGrant } from "./sync-locks.js";
import type { KThread } from "./thread.js";

/** ERESOURCE. Initialise with ExInitializeResourceLite; delete with ExDeleteResourceLite. */
export class ERESOURCE extends SyncLock {
  /** Which executive lock this is (what the verifier's lock rules and reports go by). */
  readonly kind = "ERESOURCE";
  /** The exclusive owner and its recursion count. */
  ExclusiveOwner: KThread | null = null;
  /** How many times the exclusive owner has acquired it (recursively). */
  ExclusiveCount = 0;
  /** Shared owners and their recursion counts. */
  readonly SharedOwners = new Map<KThread, number>();
  /** Acquisitions that had to wait. */
  ContentionCount = 0;
  /** Initialised and not deleted. */
  initialized = false;
  /** Whether the release that freed the resource was an exclusive one (it decides who is granted next). */
  lastReleaseWasExclusive = false;
  /** ActiveCount: the number of owning threads. */
  get ActiveCount(): number {
    return this.ExclusiveOwner ? 1 : this.SharedOwners.size;
  }
  /** Threads waiting for exclusive access (what ExGetExclusiveWaiterCount reports on Windows). */
  get NumberOfExclusiveWaiters(): number {
    return this.waiters.filter((w) => w.exclusive).length;
  }
  /** Threads waiting for shared access (what ExGetSharedWaiterCount reports on Windows). */
  get NumberOfSharedWaiters(): number {
    return this.waiters.filter((w) => !w.exclusive).length;
  }
}

/** ERESOURCE_THREAD: the thread ExReleaseResourceForThreadLite releases for. */
export type ERESOURCE_THREAD = KThread;

function kernel(api: string, r: ERESOURCE, maxIrql: number = APC_LEVEL): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (!(r instanceof ERESOURCE)) notTheStructure(t, api, "Resource", r, "an ERESOURCE");
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLock?.(t, api, r);
  if (t.irql > maxIrql) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: executive resources are used at IRQL <= APC_LEVEL` });
  }
  return t;
}

function acquired(t: KThread, api: string, r: ERESOURCE): void {
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLockAcquired?.(t, api, r);
}

/** ExInitializeResourceLite: an unowned resource. Returns STATUS_SUCCESS. */
export function ExInitializeResourceLite(Resource: ERESOURCE): NTSTATUS {
  kernel("ExInitializeResourceLite", Resource, DISPATCH_LEVEL);
  Resource.ExclusiveOwner = null;
  Resource.ExclusiveCount = 0;
  Resource.SharedOwners.clear();
  Resource.waiters.length = 0;
  Resource.ContentionCount = 0;
  Resource.initialized = true;
  return STATUS_SUCCESS;
}

/** ExReinitializeResourceLite: as ExInitializeResourceLite on a resource that nobody owns or waits for. */
export function ExReinitializeResourceLite(Resource: ERESOURCE): NTSTATUS {
  kernel("ExReinitializeResourceLite", Resource, DISPATCH_LEVEL);
  Resource.ExclusiveOwner = null;
  Resource.ExclusiveCount = 0;
  Resource.SharedOwners.clear();
  Resource.initialized = true;
  return STATUS_SUCCESS;
}

/** ExDeleteResourceLite: the resource may no longer be used. Returns STATUS_SUCCESS. */
export function ExDeleteResourceLite(Resource: ERESOURCE): NTSTATUS {
  kernel("ExDeleteResourceLite", Resource);
  Resource.initialized = false;
  return STATUS_SUCCESS;
}

async function acquireExclusive(api: string, r: ERESOURCE, wait: boolean): Promise<boolean> {
  const t = kernel(api, r);
  if (r.ExclusiveOwner === t) {
    r.ExclusiveCount++;
    acquired(t, api, r);
    return true;
  }
  if (r.ExclusiveOwner === null && r.SharedOwners.size === 0 && r.waiters.length === 0) {
    r.ExclusiveOwner = t;
    r.ExclusiveCount = 1;
    acquired(t, api, r);
    return true;
  }
  if (!wait) return false;
  r.ContentionCount++;
  await waitForGrant(t, r, true, r.SharedOwners.has(t) ? `${api} by a shared owner waits for exclusive` : `${api} waits for exclusive`);
  acquired(t, api, r);
  return true;
}

async function acquireShared(api: string, r: ERESOURCE, wait: boolean, starveExclusive: boolean): Promise<boolean> {
  const t = kernel(api, r);
  if (r.ExclusiveOwner === t) {
    r.ExclusiveCount++;
    acquired(t, api, r);
    return true;
  }
  const mine = r.SharedOwners.get(t);
  if (mine !== undefined) {
    r.SharedOwners.set(t, mine + 1);
    acquired(t, api, r);
    return true;
  }
  const exclusiveWaiting = r.waiters.some((w) => w.exclusive);
  if (r.ExclusiveOwner === null && (starveExclusive || !exclusiveWaiting)) {
    r.SharedOwners.set(t, 1);
    acquired(t, api, r);
    return true;
  }
  if (!wait) return false;
  r.ContentionCount++;
  await waitForGrant(t, r, false, `${api} waits for shared`);
  acquired(t, api, r);
  return true;
}

/**
 * ExAcquireResourceExclusiveLite: exclusive access, recursively for its owner. With `Wait` FALSE
 * returns FALSE at once when the resource is busy; with TRUE waits. Call inside a critical region
 * at IRQL <= APC_LEVEL.
 */
export function ExAcquireResourceExclusiveLite(Resource: ERESOURCE, Wait: boolean): Promise<boolean> {
  return acquireExclusive("ExAcquireResourceExclusiveLite", Resource, Wait);
}

/** ExAcquireResourceSharedLite: shared access; waits behind exclusive waiters unless the caller already owns it. */
export function ExAcquireResourceSharedLite(Resource: ERESOURCE, Wait: boolean): Promise<boolean> {
  return acquireShared("ExAcquireResourceSharedLite", Resource, Wait, false);
}

/** ExAcquireSharedStarveExclusive: shared access unless a thread owns it exclusively (waiting writers are passed over). */
export function ExAcquireSharedStarveExclusive(Resource: ERESOURCE, Wait: boolean): Promise<boolean> {
  return acquireShared("ExAcquireSharedStarveExclusive", Resource, Wait, true);
}

/** ExEnterCriticalRegionAndAcquireResourceExclusive: KeEnterCriticalRegion, then an exclusive acquire that waits. */
export async function ExEnterCriticalRegionAndAcquireResourceExclusive(Resource: ERESOURCE): Promise<void> {
  const t = currentMachine("ExEnterCriticalRegionAndAcquireResourceExclusive").kernelCall("ExEnterCriticalRegionAndAcquireResourceExclusive");
  t.kernelApcDisable++;
  await acquireExclusive("ExEnterCriticalRegionAndAcquireResourceExclusive", Resource, true);
}

/** Hands the resource to its waiters after the last hold was released (NT's order: shared waiters first). */
function grantNext(t: KThread, r: ERESOURCE): void {
  if (r.ExclusiveOwner !== null || r.waiters.length === 0) return;
  if (r.SharedOwners.size === 0) {
    const shared = r.waiters.filter((w) => !w.exclusive);
    if (shared.length > 0 && r.lastReleaseWasExclusive) {
      for (const w of shared) {
        r.waiters.splice(r.waiters.indexOf(w), 1);
        r.SharedOwners.set(w.thread, 1);
        grantWaiter(t, w);
      }
      return;
    }
    const first = r.waiters.find((w) => w.exclusive) ?? r.waiters[0];
    if (!first) return;
    r.waiters.splice(r.waiters.indexOf(first), 1);
    if (first.exclusive) {
      r.ExclusiveOwner = first.thread;
      r.ExclusiveCount = 1;
      grantWaiter(t, first);
    } else {
      // Only shared waiters are left: all of them may own it now.
      for (const w of [first, ...r.waiters.filter((x) => !x.exclusive)]) {
        const k = r.waiters.indexOf(w);
        if (k >= 0) r.waiters.splice(k, 1);
        r.SharedOwners.set(w.thread, 1);
        grantWaiter(t, w);
      }
    }
  }
}

function release(api: string, r: ERESOURCE, owner: KThread | null): void {
  const t = kernel(api, r, DISPATCH_LEVEL);
  const who = owner ?? t;
  if (r.ExclusiveOwner === who) {
    r.ExclusiveCount--;
    if (r.ExclusiveCount > 0) return;
    r.ExclusiveOwner = null;
    r.lastReleaseWasExclusive = true;
    grantNext(t, r);
    return;
  }
  const n = r.SharedOwners.get(who);
  if (n === undefined) {
    return t.machine.bugCheck(SyncBugCheckCode.RESOURCE_NOT_OWNED, 0, who.tid, 0, 0, {
      detail: `${api} on ${r.label}, which ${who.label} does not own${r.ExclusiveOwner ? ` (${r.ExclusiveOwner.label} owns it exclusively)` : r.SharedOwners.size > 0 ? ` (it is owned shared by ${[...r.SharedOwners.keys()].map((x) => x.label).join(", ")})` : " (nobody owns it)"}`,
    });
  }
  if (n > 1) {
    r.SharedOwners.set(who, n - 1);
    return;
  }
  r.SharedOwners.delete(who);
  r.lastReleaseWasExclusive = false;
  grantNext(t, r);
}

/** ExReleaseResourceLite: releases one hold of the current thread (bug check RESOURCE_NOT_OWNED when it holds none). */
export function ExReleaseResourceLite(Resource: ERESOURCE): void {
  release("ExReleaseResourceLite", Resource, null);
}

/** ExReleaseResourceForThreadLite: releases one hold of `ResourceThreadId` (ExGetCurrentResourceThread's value). */
export function ExReleaseResourceForThreadLite(Resource: ERESOURCE, ResourceThreadId: ERESOURCE_THREAD): void {
  release("ExReleaseResourceForThreadLite", Resource, ResourceThreadId);
}

/** ExReleaseResourceAndLeaveCriticalRegion. */
export function ExReleaseResourceAndLeaveCriticalRegion(Resource: ERESOURCE): void {
  release("ExReleaseResourceAndLeaveCriticalRegion", Resource, null);
  const t = currentMachine("ExReleaseResourceAndLeaveCriticalRegion").currentThread();
  t.kernelApcDisable--;
}

/** ExGetCurrentResourceThread: the value ExReleaseResourceForThreadLite takes for the current thread. */
export function ExGetCurrentResourceThread(): ERESOURCE_THREAD {
  return currentMachine("ExGetCurrentResourceThread").currentThread("ExGetCurrentResourceThread");
}

/** ExConvertExclusiveToSharedLite: the exclusive owner keeps its holds as shared ones; shared waiters are let in. */
export function ExConvertExclusiveToSharedLite(Resource: ERESOURCE): void {
  const t = kernel("ExConvertExclusiveToSharedLite", Resource, DISPATCH_LEVEL);
  if (Resource.ExclusiveOwner !== t) {
    t.machine.bugCheck(SyncBugCheckCode.RESOURCE_NOT_OWNED, 0, t.tid, 0, 0, { detail: `ExConvertExclusiveToSharedLite on ${Resource.label}, which ${t.label} does not own exclusively` });
  }
  Resource.SharedOwners.set(t, Resource.ExclusiveCount);
  Resource.ExclusiveOwner = null;
  Resource.ExclusiveCount = 0;
  for (const w of Resource.waiters.filter((x) => !x.exclusive)) {
    Resource.waiters.splice(Resource.waiters.indexOf(w), 1);
    Resource.SharedOwners.set(w.thread, 1);
    grantWaiter(t, w);
  }
}

/** ExIsResourceAcquiredExclusiveLite: whether the current thread owns it exclusively. */
export function ExIsResourceAcquiredExclusiveLite(Resource: ERESOURCE): boolean {
  const t = kernel("ExIsResourceAcquiredExclusiveLite", Resource, DISPATCH_LEVEL);
  return Resource.ExclusiveOwner === t;
}

/** ExIsResourceAcquiredSharedLite: how many holds (shared or exclusive) the current thread has; 0 when none. */
export function ExIsResourceAcquiredSharedLite(Resource: ERESOURCE): number {
  const t = kernel("ExIsResourceAcquiredSharedLite", Resource, DISPATCH_LEVEL);
  return Resource.ExclusiveOwner === t ? Resource.ExclusiveCount : (Resource.SharedOwners.get(t) ?? 0);
}

/** ExIsResourceAcquiredLite: whether the current thread holds it at all. */
export function ExIsResourceAcquiredLite(Resource: ERESOURCE): boolean {
  return ExIsResourceAcquiredSharedLite(Resource) > 0;
}

/** ExGetExclusiveWaiterCount. */
export function ExGetExclusiveWaiterCount(Resource: ERESOURCE): number {
  kernel("ExGetExclusiveWaiterCount", Resource, DISPATCH_LEVEL);
  return Resource.NumberOfExclusiveWaiters;
}

/** ExGetSharedWaiterCount. */
export function ExGetSharedWaiterCount(Resource: ERESOURCE): number {
  kernel("ExGetSharedWaiterCount", Resource, DISPATCH_LEVEL);
  return Resource.NumberOfSharedWaiters;
}
