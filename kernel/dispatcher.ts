import { nextId } from "./context.js";
import type { KThread } from "./thread.js";

/** Dispatcher object types, as DISPATCHER_HEADER.Type distinguishes them. */
export const DispatcherType = {
  NotificationEvent: 0,
  SynchronizationEvent: 1,
  Mutant: 2,
  Process: 3,
  Queue: 4,
  Semaphore: 5,
  Thread: 6,
  NotificationTimer: 8,
  SynchronizationTimer: 9,
} as const;

/** EVENT_TYPE (wdm.h). */
export const EVENT_TYPE = { NotificationEvent: 0, SynchronizationEvent: 1 } as const;
export const { NotificationEvent, SynchronizationEvent } = EVENT_TYPE;

/** TIMER_TYPE (wdm.h). */
export const TIMER_TYPE = { NotificationTimer: 0, SynchronizationTimer: 1 } as const;
export const { NotificationTimer, SynchronizationTimer } = TIMER_TYPE;

/** One thread waiting on one object. */
export interface WaitBlock {
  readonly thread: KThread;
  readonly object: DispatcherHeader;
  /** Position in the thread's object array (the WAIT_OBJECT_0 + n it returns). */
  readonly index: number;
}

/**
 * DISPATCHER_HEADER: what every waitable object shares — a type, a signal state and the list
 * of threads waiting on it. Waits, signals and their satisfaction rules live in `waits.ts`.
 */
export class DispatcherHeader {
  /** The object's dispatcher type (event, semaphore, mutant, timer, queue, process, thread). */
  Type: number;
  /**
   * The signal state: above zero when signaled (a semaphore's count; a mutant's 1 minus its
   * recursion).
   */
  SignalState: number;
  /** The threads waiting on the object, in the order they began to wait. */
  readonly waitList: WaitBlock[] = [];
  private name: string | undefined;

  constructor(type: number, signalState: number, label?: string) {
    this.Type = type;
    this.SignalState = signalState;
    this.name = label;
  }

  /**
   * The object's DISPATCHER_HEADER, as C code reaches it (`Event->Header.SignalState`): every
   * dispatcher object is its own header here.
   */
  get Header(): this {
    return this;
  }

  /** A name for traces and deadlock reports, numbered when first needed (inside the machine). */
  get label(): string {
    this.name ??= `${dispatcherTypeName(this.Type)}#${nextId("dispatcher")}`;
    return this.name;
  }
  /** Names the object in traces and deadlock reports. */
  set label(value: string) {
    this.name = value;
  }
}

/** The type name of a dispatcher object, for messages. */
export function dispatcherTypeName(type: number): string {
  for (const [name, value] of Object.entries(DispatcherType)) if (value === type) return name;
  return `Dispatcher(${type})`;
}

/** KEVENT. Initialise with KeInitializeEvent before use. */
export class KEVENT extends DispatcherHeader {
  constructor(type: number = NotificationEvent, state = false, label?: string) {
    super(type === SynchronizationEvent ? DispatcherType.SynchronizationEvent : DispatcherType.NotificationEvent, state ? 1 : 0, label);
  }
}

/** KSEMAPHORE: SignalState is the count. */
export class KSEMAPHORE extends DispatcherHeader {
  /**
   * The most the semaphore's count may reach (KeReleaseSemaphore beyond it raises
   * STATUS_SEMAPHORE_LIMIT_EXCEEDED).
   */
  Limit: number;
  constructor(count = 0, limit = 0x7fffffff, label?: string) {
    super(DispatcherType.Semaphore, count, label);
    this.Limit = limit;
  }
}

/** KMUTANT / KMUTEX: owned by one thread at a time, recursively. */
export class KMUTANT extends DispatcherHeader {
  /** The thread that owns the mutex (null when free). */
  OwnerThread: KThread | null = null;
  /**
   * Set when the owning thread exited without releasing it: the next owner's wait returns
   * STATUS_ABANDONED.
   */
  Abandoned = false;
  constructor(label?: string) {
    super(DispatcherType.Mutant, 1, label);
  }
}
