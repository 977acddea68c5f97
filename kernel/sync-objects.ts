import { KEVENT, KMUTANT, KSEMAPHORE, NotificationEvent, SynchronizationEvent, type DispatcherHeader } from "./dispatcher.js";
import { KernelObject, objectBodies } from "./objects.js";

/** An event object (NtCreateEvent): its body is a KEVENT. */
export class EventObject extends KernelObject {
  readonly objectType = "Event";
  readonly event: KEVENT;
  constructor(manualReset: boolean, initialState: boolean, name: string | null) {
    super();
    this.objectName = name;
    this.event = new KEVENT(manualReset ? NotificationEvent : SynchronizationEvent, initialState, name ?? undefined);
    if (!name) this.event.label = `event#${this.objectId}`;
    objectBodies.set(this.event, this);
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
    objectBodies.set(this.semaphore, this);
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
    objectBodies.set(this.mutant, this);
  }
  override waitable(): DispatcherHeader {
    return this.mutant;
  }
}

/** Access rights for synchronization objects (winnt.h): defined once, in access-rights.ts. */
export {
  SYNCHRONIZE,
  EVENT_MODIFY_STATE,
  EVENT_ALL_ACCESS,
  SEMAPHORE_MODIFY_STATE,
  SEMAPHORE_ALL_ACCESS,
  MUTANT_ALL_ACCESS,
  PROCESS_TERMINATE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_ALL_ACCESS,
  THREAD_TERMINATE,
  THREAD_SET_CONTEXT,
  THREAD_QUERY_INFORMATION,
  THREAD_ALL_ACCESS,
} from "./access-rights.js";
