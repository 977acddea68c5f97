import { KEVENT, KMUTANT, KSEMAPHORE, NotificationEvent, SynchronizationEvent, type DispatcherHeader } from "./dispatcher.js";
import { KernelObject } from "./objects.js";

/** An event object (NtCreateEvent): its body is a KEVENT. */
export class EventObject extends KernelObject {
  readonly objectType = "Event";
  readonly event: KEVENT;
  constructor(manualReset: boolean, initialState: boolean, name: string | null) {
    super();
    this.objectName = name;
    this.event = new KEVENT(manualReset ? NotificationEvent : SynchronizationEvent, initialState, name ?? undefined);
    if (!name) this.event.label = `event#${this.objectId}`;
  }
  override waitable(): DispatcherHeader {
    return this.event;
  }
}

/** A semaphore object (NtCreateSemaphore). */
export class SemaphoreObject extends KernelObject {
  readonly objectType = "Semaphore";
  readonly semaphore: KSEMAPHORE;
  constructor(initial: number, maximum: number, name: string | null) {
    super();
    this.objectName = name;
    this.semaphore = new KSEMAPHORE(initial, maximum, name ?? `semaphore#${this.objectId}`);
  }
  override waitable(): DispatcherHeader {
    return this.semaphore;
  }
}

/** A mutant object (NtCreateMutant, CreateMutex). */
export class MutantObject extends KernelObject {
  readonly objectType = "Mutant";
  readonly mutant: KMUTANT;
  constructor(name: string | null) {
    super();
    this.objectName = name;
    this.mutant = new KMUTANT(name ?? `mutex#${this.objectId}`);
  }
  override waitable(): DispatcherHeader {
    return this.mutant;
  }
}

/** Access rights for synchronization objects (winnt.h). */
export const SYNCHRONIZE = 0x00100000;
/** EVENT_MODIFY_STATE: the right to set or reset an event. */
export const EVENT_MODIFY_STATE = 0x0002;
/** EVENT_ALL_ACCESS: every right to an event. */
export const EVENT_ALL_ACCESS = 0x001f0003;
export const SEMAPHORE_MODIFY_STATE = 0x0002;
export const SEMAPHORE_ALL_ACCESS = 0x001f0003;
export const MUTANT_ALL_ACCESS = 0x001f0001;
/** PROCESS_TERMINATE: the right to TerminateProcess. */
export const PROCESS_TERMINATE = 0x0001;
export const PROCESS_QUERY_INFORMATION = 0x0400;
/** PROCESS_ALL_ACCESS: every right to a process. */
export const PROCESS_ALL_ACCESS = 0x001fffff;
export const THREAD_TERMINATE = 0x0001;
/** THREAD_SET_CONTEXT: the right QueueUserAPC needs on the target thread. */
export const THREAD_SET_CONTEXT = 0x0010;
export const THREAD_QUERY_INFORMATION = 0x0040;
/** THREAD_ALL_ACCESS: every right to a thread. */
export const THREAD_ALL_ACCESS = 0x001fffff;
