/**
 * What the executive's locks share (FAST_MUTEX, KGUARDED_MUTEX, ERESOURCE, EX_PUSH_LOCK,
 * EX_RUNDOWN_REF): a name, and the way a thread that cannot have the lock now waits for it.
 *
 * A waiter blocks on an event of its own, at KernelMode and not alertable, as NT's waits for these
 * locks are; the releasing thread hands the lock over and sets the event (ownership passes at the
 * release, so a third thread cannot slip in between). A lock that can never be granted leaves its
 * waiter blocked, which the machine reports as the deadlock it is, naming the lock.
 */
import { KEVENT, NotificationEvent } from "./dispatcher.js";
import { KernelMode } from "./irql.js";
import { nextId } from "./context.js";
import type { KThread } from "./thread.js";

/** The kinds of executive lock. */
export type SyncLockKind = "FAST_MUTEX" | "KGUARDED_MUTEX" | "ERESOURCE" | "EX_PUSH_LOCK" | "EX_RUNDOWN_REF";

/** One thread waiting for a lock, and what it asked for. */
export interface LockWaiter {
  readonly thread: KThread;
  /** Exclusive (or the only kind) rather than shared. */
  readonly exclusive: boolean;
  readonly event: KEVENT;
}

/** The common part of every executive lock. */
export abstract class SyncLock {
  abstract readonly kind: SyncLockKind;
  /** Threads waiting, in arrival order. */
  readonly waiters: LockWaiter[] = [];
  private name: string | undefined;
  constructor(label?: string) {
    this.name = label;
  }
  /** A name for deadlock reports and findings, numbered when first needed. */
  get label(): string {
    this.name ??= `${this.kind}#${nextId("dispatcher")}`;
    return this.name;
  }
  /** Names the lock in deadlock reports and findings. */
  set label(value: string) {
    this.name = value;
  }
}

/**
 * Queues the current thread on `lock` and waits until a releaser grants it (by
 * {@link grantWaiter}). `why` says what it waits for, for deadlock reports.
 */
export async function waitForGrant(t: KThread, lock: SyncLock, exclusive: boolean, why: string): Promise<void> {
  const event = new KEVENT(NotificationEvent, false, `${lock.label} (${why})`);
  lock.waiters.push({ thread: t, exclusive, event });
  const m = t.machine;
  await m.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `${why} ${lock.label} in ${m.describeContext()}` });
}

/** Wakes a waiter the lock has just been handed to. */
export function grantWaiter(t: KThread, w: LockWaiter): void {
  t.machine.signal(w.event);
}
