/**
 * KQUEUE: the kernel queue behind an I/O completion port, with NT's scheduling rules.
 *
 * - Entries are kept first in, first out; threads waiting in KeRemoveQueue are released last in,
 *   first out (the thread that waited last, whose cache is warmest, is woken first).
 * - The concurrency value (MaximumCount) bounds how many threads associated with the queue may
 *   run at once. A thread becomes associated by calling KeRemoveQueue; CurrentCount counts the
 *   associated threads that are not waiting. An entry is handed to a waiter only while
 *   CurrentCount < MaximumCount; when an associated thread blocks on anything else, CurrentCount
 *   drops and a waiter may be released (KiActivateWaiterQueue), and it rises again when the
 *   thread wakes.
 * - KeRemoveQueue takes an entry before it looks at APCs or the timeout (entries win).
 */
import { DispatcherHeader, DispatcherType, type WaitBlock } from "./dispatcher.js";
import { APC_LEVEL, DISPATCH_LEVEL, UserMode, modeName, type KPROCESSOR_MODE } from "./irql.js";
import { STATUS_ABANDONED_WAIT_0, STATUS_KERNEL_APC, STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_USER_APC, ntStatusName, type NTSTATUS } from "./status.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import type { Machine } from "./machine.js";
import type { KThread } from "./thread.js";

/** The wait status a thread is woken with when KiInsertQueue hands it an entry directly. */
const STATUS_QUEUE_ENTRY = 0x7fff0001;

/** The processors the emulated machine schedules threads on (NT's default concurrency). */
export const KeNumberProcessors = 1;

/** What KeRemoveQueue(Ex) produced: the entries taken, or the status that ended the wait. */
export interface QueueRemoval<E> {
  /** STATUS_SUCCESS with entries, else STATUS_TIMEOUT, STATUS_USER_APC or STATUS_ABANDONED_WAIT_0. */
  readonly status: NTSTATUS;
  readonly entries: E[];
}

/** KQUEUE. Initialise with KeInitializeQueue (the constructor does the same). */
export class KQUEUE<E = unknown> extends DispatcherHeader {
  /** Entries, oldest first (from `head`: removal does not shift the array). */
  private entries: E[] = [];
  private head = 0;
  /** Threads waiting in KeRemoveQueue, oldest first (the last is released first). */
  readonly removers: KThread[] = [];
  /** Threads associated with the queue (ThreadListHead). */
  readonly threads = new Set<KThread>();
  /** Associated threads that are running (not waiting). */
  CurrentCount = 0;
  /** The concurrency value. */
  MaximumCount: number;
  /** Set by KeRundownQueue: waiters were released with STATUS_ABANDONED_WAIT_0. */
  rundown = false;

  constructor(count = 0, label?: string) {
    super(DispatcherType.Queue, 0, label);
    this.MaximumCount = count === 0 ? KeNumberProcessors : count;
  }

  /** Entries queued (the queue's signal state). */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** The entries, oldest first (for reports and rundown). */
  pending(): E[] {
    return this.entries.slice(this.head);
  }

  /** Takes the oldest entry. */
  private take(): E {
    const e = this.entries[this.head] as E;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.SignalState = this.length;
    return e;
  }

  private push(entry: E, atHead: boolean): void {
    if (atHead) {
      if (this.head > 0) this.entries[--this.head] = entry;
      else this.entries.unshift(entry);
    } else {
      this.entries.push(entry);
    }
    this.SignalState = this.length;
  }

  /**
   * KiInsertQueue: hands the entry straight to the waiter that waited last when the concurrency
   * allows, else queues it (at the head or the tail). Returns the previous number of entries.
   */
  insert(m: Machine, entry: E, atHead = false): number {
    const previous = this.length;
    const waiter = this.removers[this.removers.length - 1];
    const current = m.runningThread();
    const selfWaiting = current !== null && current.Queue === this && this.removers.includes(current);
    if (waiter && this.CurrentCount < this.MaximumCount && !selfWaiting) {
      this.removers.pop();
      this.CurrentCount++;
      waiter.slots.set(QUEUE_ENTRY_SLOT, [entry]);
      m.waits.unwait(waiter, STATUS_QUEUE_ENTRY);
    } else {
      this.push(entry, atHead);
      // Ordinary waits on the queue object see it signalled (a wait does not take an entry).
      if (this.waitList.length > 0) m.waits.test(this);
    }
    return previous;
  }

  /**
   * KiActivateWaiterQueue: an associated thread stops running (it waits on something else, or
   * exits); if the concurrency now allows it, the last waiter gets the oldest entry.
   */
  activateWaiter(m: Machine): void {
    this.CurrentCount--;
    if (this.CurrentCount >= this.MaximumCount || this.length === 0) return;
    const waiter = this.removers.pop();
    if (!waiter) return;
    this.CurrentCount++;
    waiter.slots.set(QUEUE_ENTRY_SLOT, [this.take()]);
    m.waits.unwait(waiter, STATUS_QUEUE_ENTRY);
  }

  /** Associates `t` with this queue (leaving any other), as KeRemoveQueue does on entry. */
  private associate(m: Machine, t: KThread): void {
    const previous = t.Queue;
    if (previous === this) {
      this.CurrentCount--;
      return;
    }
    if (previous) {
      previous.threads.delete(t);
      previous.activateWaiter(m);
    }
    t.Queue = this;
    this.threads.add(t);
  }

  /** Takes up to `count` entries at once (the first wins the concurrency slot). */
  private drain(count: number): E[] {
    const out: E[] = [];
    while (out.length < count && this.length > 0) out.push(this.take());
    return out;
  }

  /**
   * KeRemoveQueueEx for the current thread: up to `count` entries, waiting (in `mode`, alertable
   * or not, for at most `timeout` 100 ns ticks; null waits forever) until one is available and
   * the concurrency allows this thread to run.
   */
  async remove(m: Machine, mode: KPROCESSOR_MODE, alertable: boolean, timeout: number | null, count = 1, reason?: string): Promise<QueueRemoval<E>> {
    const t = m.currentThread("KeRemoveQueue");
    if (t.irql > DISPATCH_LEVEL || (t.irql === DISPATCH_LEVEL && timeout !== 0)) {
      m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${t.label} called KeRemoveQueue on ${this.label} at IRQL ${t.irql}: waits need IRQL <= APC_LEVEL` });
    }
    if (this.rundown) return { status: STATUS_ABANDONED_WAIT_0, entries: [] };
    this.associate(m, t);
    const deadline = timeout === null ? null : m.now + Math.max(0, timeout);
    const running = (status: NTSTATUS): QueueRemoval<E> => {
      this.CurrentCount++;
      return { status, entries: [] };
    };
    for (;;) {
      // Run down while this thread delivered APCs: nothing more will come.
      if (this.isRunDown()) return { status: STATUS_ABANDONED_WAIT_0, entries: [] };
      if (this.CurrentCount < this.MaximumCount && this.length > 0) {
        this.CurrentCount++;
        return { status: STATUS_SUCCESS, entries: this.drain(count) };
      }
      if (t.irql < APC_LEVEL && t.kernelApcs.length > 0 && !t.inApc) {
        // Deliver kernel APCs as a running thread, then look again.
        this.CurrentCount++;
        await m.interrupts.deliverKernelApcs(t, true);
        this.CurrentCount--;
        continue;
      }
      if (mode === UserMode && t.terminationPending) return running(STATUS_USER_APC);
      if (alertable && mode === UserMode && t.userApcs.length > 0) {
        this.CurrentCount++;
        await m.interrupts.deliverUserApcs(t);
        return { status: STATUS_USER_APC, entries: [] };
      }
      if (deadline !== null && deadline <= m.now) return running(STATUS_TIMEOUT);

      // Wait, last in the LIFO list of removers.
      const block: WaitBlock = { thread: t, object: this, index: 0 };
      const wait = { blocks: [block], waitAll: false, mode, alertable, timeoutEntry: null as { cancelled: boolean } | null, reason: reason ?? `KeRemoveQueue on ${this.label} in ${m.describeContext()}` };
      this.removers.push(t);
      t.wait = wait;
      if (deadline !== null) {
        wait.timeoutEntry = m.timers.add(deadline, `timeout of ${t.label}`, () => {
          if (t.wait === wait) m.waits.unwait(t, STATUS_TIMEOUT);
        });
      }
      if (m.trace.on) m.trace.emit("Wait", { objects: [this.label], waitAll: false, mode: modeName(mode), timeoutMs: timeout === null ? null : timeout / 10_000 });
      await m.scheduler.block(t);
      const status = t.waitStatus;
      if (status === STATUS_QUEUE_ENTRY) {
        // KiInsertQueue or KiActivateWaiterQueue handed this thread an entry (and counted it).
        const given = (t.slots.get(QUEUE_ENTRY_SLOT) as E[] | undefined) ?? [];
        t.slots.delete(QUEUE_ENTRY_SLOT);
        const entries = count > 1 ? given.concat(this.drain(count - given.length)) : given;
        if (m.trace.on) m.trace.emit("WaitSatisfied", { status: STATUS_SUCCESS, statusName: "STATUS_SUCCESS" });
        return { status: STATUS_SUCCESS, entries };
      }
      const k = this.removers.lastIndexOf(t);
      if (k >= 0) this.removers.splice(k, 1);
      if (status === STATUS_ABANDONED_WAIT_0 || this.isRunDown()) return { status: STATUS_ABANDONED_WAIT_0, entries: [] };
      if (status === STATUS_KERNEL_APC || status === STATUS_USER_APC) continue;
      if (m.trace.on) m.trace.emit("WaitSatisfied", { status, statusName: ntStatusName(status) });
      return running(status);
    }
  }

  /**
   * KeRundownQueue: every associated thread loses its association, threads waiting in
   * KeRemoveQueue are released with STATUS_ABANDONED_WAIT_0, and the entries still queued are
   * returned (the caller frees them).
   */
  runDown(m: Machine): E[] {
    this.rundown = true;
    for (const t of this.threads) if (t.Queue === (this as KQUEUE)) t.Queue = null;
    this.threads.clear();
    const waiting = this.removers.splice(0, this.removers.length);
    for (const t of waiting) m.waits.unwait(t, STATUS_ABANDONED_WAIT_0);
    const left = this.pending();
    this.entries = [];
    this.head = 0;
    this.SignalState = 0;
    this.CurrentCount = 0;
    return left;
  }

  /** Whether KeRundownQueue has run (read afresh after a wait). */
  isRunDown(): boolean {
    return this.rundown;
  }

  /** KeTerminateThread's part: an exiting thread leaves the queue it is associated with. */
  threadExited(m: Machine, t: KThread): void {
    if (!this.threads.delete(t)) return;
    t.Queue = null;
    this.activateWaiter(m);
  }
}

/** Where KiInsertQueue leaves the entry it hands a waiting thread. */
const QUEUE_ENTRY_SLOT = "ke.queueEntry";
