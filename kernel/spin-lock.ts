import { nextId } from "./context.js";
import type { KThread } from "./thread.js";

/**
 * KSPIN_LOCK. Held by at most one processor; acquiring raises to DISPATCH_LEVEL. The emulator
 * records who holds it and where it was taken, so a lock never released is reported by name.
 */
export class KSPIN_LOCK {
  /** The thread (processor context) holding it, or null. */
  owner: KThread | null = null;
  /**
   * What the owner was running when it took the lock (kind and name of its activity; empty for
   * plain thread code). Kept as the two strings, and put into words only when a report needs them.
   */
  ownerActivityKind = "";
  /** The name of the routine the owner was running when it took the lock. */
  ownerActivityName = "";
  /** Set when the words must say more than the activity (a routine that returned holding it). */
  private ownerNote: string | null = null;
  /** Source line of the acquisition, when known. */
  acquiredAt: string | null = null;
  /** Actions from "another processor" that were spinning on this lock, run at release. */
  readonly spinners: (() => void)[] = [];
  /**
   * Set for a lock a framework holds on its client driver's behalf (KMDF's presentation lock
   * around serialised callbacks): rules about the driver's own locks (SpinLockSafe) skip it.
   */
  heldForDriver = false;
  private name: string | undefined;
  constructor(label?: string) {
    this.name = label;
  }
  /** Who holds it, in words ("cancel routine SharebufCancel on app.exe:main"); "" when free. */
  get ownerDescription(): string {
    if (this.ownerNote !== null) return this.ownerNote;
    const t = this.owner;
    if (!t) return "";
    return this.ownerActivityKind ? `${this.ownerActivityKind} ${this.ownerActivityName} on ${t.label}` : t.label;
  }
  /**
   * Overrides the owner's description (a routine that returned holding the lock); "" goes back to
   * the default.
   */
  set ownerDescription(words: string) {
    this.ownerNote = words === "" ? null : words;
  }

  /** Records `t` as the owner, running `activity` (or plain thread code when undefined). */
  takenBy(t: KThread, activity: { readonly kind: string; readonly name: string } | undefined): void {
    this.owner = t;
    this.ownerActivityKind = activity ? activity.kind : "";
    this.ownerActivityName = activity ? activity.name : "";
    this.ownerNote = null;
  }

  /** A name for traces and deadlock reports, numbered when first needed. */
  get label(): string {
    this.name ??= `spinlock#${nextId("dispatcher")}`;
    return this.name;
  }
  /** Names the lock in traces and deadlock reports. */
  set label(value: string) {
    this.name = value;
  }
}

/** KLOCK_QUEUE_HANDLE for in-stack queued spin locks. */
export class KLOCK_QUEUE_HANDLE {
  /** The IRQL to return to when the in-stack queued lock is released. */
  OldIrql = 0;
  /** The lock this handle holds. */
  Lock: KSPIN_LOCK | null = null;
}
