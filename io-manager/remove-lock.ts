/**
 * Remove locks (IO_REMOVE_LOCK): a count of the I/O in progress on a device that the driver's
 * remove (or unload) path waits to drain. IoAcquireRemoveLock before touching the device,
 * IoReleaseRemoveLock after; IoReleaseRemoveLockAndWait marks the lock removed, so every later
 * acquire fails with STATUS_DELETE_PENDING, and waits until every reference is released.
 *
 * The counting is NT's: IoInitializeRemoveLock starts IoCount at 1 (a bias the final
 * release-and-wait drops together with the caller's own reference), every release that takes the
 * count to zero sets the remove event. The tags are the checked build's and the verifier's
 * business: it pairs each release with an acquire of the same tag (see verifier/sync-rules.ts).
 */
import { KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, Executive, KEVENT, SynchronizationEvent } from "../kernel/api-ke.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { notTheStructure } from "../kernel/interlocked.js";
import { DISPATCH_LEVEL, KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import { STATUS_DELETE_PENDING, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { ioManager } from "./io-manager.js";

/** IO_REMOVE_LOCK_COMMON_BLOCK. */
export class IO_REMOVE_LOCK_COMMON_BLOCK {
  /** Set by IoReleaseRemoveLockAndWait: every later IoAcquireRemoveLock fails with STATUS_DELETE_PENDING. */
  Removed = false;
  /** Outstanding acquisitions, plus the one IoInitializeRemoveLock takes (which IoReleaseRemoveLockAndWait drops). */
  IoCount = 0;
  /** Signalled when IoCount reaches 0 after removal: what IoReleaseRemoveLockAndWait waits on. */
  readonly RemoveEvent = new KEVENT(SynchronizationEvent, false, "remove lock event");
}

/** IO_REMOVE_LOCK_DBG_BLOCK: what IoInitializeRemoveLock records for tag tracking. */
export class IO_REMOVE_LOCK_DBG_BLOCK {
  /** The pool tag IoInitializeRemoveLock was given. */
  AllocateTag = 0;
  /** How long (minutes) a lock may be held before a checked build complains; 0 means no limit. */
  MaxLockedMinutes = 0;
  /** The most acquisitions expected at once; 0 means no limit. */
  HighWatermark = 0;
}

/**
 * IO_REMOVE_LOCK, usually in the device extension. A lock that was never initialised is zeroed
 * memory, as in C: it counts from 0 instead of 1 (NT does not check, and neither do we; the
 * verifier's tag checks notice what goes wrong).
 */
export class IO_REMOVE_LOCK {
  /** The count, the removed flag and the event (what every build has). */
  readonly Common = new IO_REMOVE_LOCK_COMMON_BLOCK();
  /** The tag-tracking parameters (what checked builds add). */
  readonly Dbg = new IO_REMOVE_LOCK_DBG_BLOCK();
  private name: string | undefined;
  constructor(label?: string) {
    this.name = label;
  }
  /** A name for messages ("remove lock of \Device\Event"). */
  get label(): string {
    this.name ??= `remove lock#${++nextLock}`;
    return this.name;
  }
  /** Names the lock in messages. */
  set label(value: string) {
    this.name = value;
  }
}
let nextLock = 0;

/** What a remove-lock routine did, for observers (the verifier's tag tracking). */
export type RemoveLockOperation = "initialize" | "acquire" | "release" | "releaseAndWait";

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

function hooks(t: KThread, op: RemoveLockOperation, lock: IO_REMOVE_LOCK, tag: unknown, status: NTSTATUS): void {
  const io = t.machine.io;
  if (io && io.hooks.length !== 0) for (const h of io.hooks) h.removeLock?.(op, lock, tag, status, t);
}

function check(t: KThread, api: string, lock: IO_REMOVE_LOCK, maxIrql: number): void {
  if (!(lock instanceof IO_REMOVE_LOCK)) notTheStructure(t, api, "RemoveLock", lock, "an IO_REMOVE_LOCK");
  if (t.irql > maxIrql) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it must be called at IRQL <= ${maxIrql === PASSIVE_LEVEL ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL"}` });
  }
}

/**
 * IoInitializeRemoveLock: `AllocateTag`, `MaxLockedMinutes` and `HighWatermark` are the checked
 * build's tag-tracking parameters (kept for the verifier). Call it once, where the device
 * extension is set up: initialising a lock again is a verifier bug check (0xC4/0xD7).
 */
export function IoInitializeRemoveLock(Lock: IO_REMOVE_LOCK, AllocateTag: number | string = 0, MaxLockedMinutes = 0, HighWatermark = 0): void {
  const t = kernel("IoInitializeRemoveLock");
  check(t, "IoInitializeRemoveLock", Lock, DISPATCH_LEVEL);
  ioManager(t.machine);
  hooks(t, "initialize", Lock, null, STATUS_SUCCESS);
  Lock.Common.Removed = false;
  Lock.Common.IoCount = 1;
  KeInitializeEvent(Lock.Common.RemoveEvent, SynchronizationEvent, false);
  Lock.Dbg.AllocateTag = typeof AllocateTag === "string" ? tagValue(AllocateTag) : AllocateTag;
  Lock.Dbg.MaxLockedMinutes = MaxLockedMinutes;
  Lock.Dbg.HighWatermark = HighWatermark;
}

function tagValue(tag: string): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (tag.charCodeAt(i) & 0xff) << (8 * i);
  return v >>> 0;
}

/**
 * IoAcquireRemoveLock: takes a reference for an I/O operation (`Tag` identifies it, usually the
 * IRP). STATUS_SUCCESS; or STATUS_DELETE_PENDING once IoReleaseRemoveLockAndWait has been called,
 * and then nothing is held: the caller fails the request without touching the device.
 */
export function IoAcquireRemoveLock(RemoveLock: IO_REMOVE_LOCK, Tag: unknown = null): NTSTATUS {
  const t = kernel("IoAcquireRemoveLock");
  check(t, "IoAcquireRemoveLock", RemoveLock, DISPATCH_LEVEL);
  const c = RemoveLock.Common;
  c.IoCount++;
  let status: NTSTATUS = STATUS_SUCCESS;
  if (c.Removed) {
    c.IoCount--;
    if (c.IoCount === 0) KeSetEvent(c.RemoveEvent, 0, false);
    status = STATUS_DELETE_PENDING;
  }
  hooks(t, "acquire", RemoveLock, Tag, status);
  return status;
}

/**
 * IoReleaseRemoveLock: drops the reference IoAcquireRemoveLock took with `Tag`. The release that
 * takes the count to zero (after IoReleaseRemoveLockAndWait) wakes the waiter.
 */
export function IoReleaseRemoveLock(RemoveLock: IO_REMOVE_LOCK, Tag: unknown = null): void {
  const t = kernel("IoReleaseRemoveLock");
  check(t, "IoReleaseRemoveLock", RemoveLock, DISPATCH_LEVEL);
  hooks(t, "release", RemoveLock, Tag, STATUS_SUCCESS);
  const c = RemoveLock.Common;
  c.IoCount--;
  if (c.IoCount === 0) KeSetEvent(c.RemoveEvent, 0, false);
}

/**
 * IoReleaseRemoveLockAndWait: the remove path's last use of the lock. The caller must hold a
 * reference (acquired with `Tag`); marks the lock removed (later acquires get
 * STATUS_DELETE_PENDING), releases that reference and the initial one, and waits until every
 * other acquired reference is released. PASSIVE_LEVEL.
 */
export async function IoReleaseRemoveLockAndWait(RemoveLock: IO_REMOVE_LOCK, Tag: unknown = null): Promise<void> {
  const t = kernel("IoReleaseRemoveLockAndWait");
  check(t, "IoReleaseRemoveLockAndWait", RemoveLock, PASSIVE_LEVEL);
  hooks(t, "releaseAndWait", RemoveLock, Tag, STATUS_SUCCESS);
  const c = RemoveLock.Common;
  c.Removed = true;
  // The initial reference IoInitializeRemoveLock took, then the caller's own.
  c.IoCount--;
  c.IoCount--;
  if (c.IoCount > 0) {
    c.RemoveEvent.label = `${RemoveLock.label} (${c.IoCount} reference(s) still held)`;
    await KeWaitForSingleObject(c.RemoveEvent, Executive, KernelMode, false, null);
  }
}
