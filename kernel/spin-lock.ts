import { nextId } from "./context.js";
import type { KThread } from "./thread.js";

/**
 * KSPIN_LOCK. Held by at most one processor; acquiring raises to DISPATCH_LEVEL. The emulator
 * records who holds it and where it was taken, so a lock never released is reported by name.
 */
export class KSPIN_LOCK {
  /** The thread (processor context) holding it, or null. */
  owner: KThread | null = null;
  /** Who holds it, in words ("cancel routine SharebufCancel on app.exe:main"). */
  ownerDescription = "";
  /** Source line of the acquisition, when known. */
  acquiredAt: string | null = null;
  /** Actions from "another processor" that were spinning on this lock, run at release. */
  readonly spinners: (() => void)[] = [];
  private name: string | undefined;
  constructor(label?: string) {
    this.name = label;
  }
  /** A name for traces and deadlock reports, numbered when first needed. */
  get label(): string {
    this.name ??= `spinlock#${nextId("dispatcher")}`;
    return this.name;
  }
  set label(value: string) {
    this.name = value;
  }
}

/** KLOCK_QUEUE_HANDLE for in-stack queued spin locks. */
export class KLOCK_QUEUE_HANDLE {
  OldIrql = 0;
  Lock: KSPIN_LOCK | null = null;
}
