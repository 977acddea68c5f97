import { nextId } from "./context.js";
import type { DispatcherHeader } from "./dispatcher.js";

/** Where an object's close and delete callbacks may run. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * An object-manager object: a type name, a pointer count and a handle count.
 *
 * The object is deleted (its `deleteProcedure` runs) when the pointer count reaches zero;
 * `closeProcedure` runs on every handle close with the handle counts that remain, which is how
 * the I/O manager knows to send IRP_MJ_CLEANUP on the last handle of a file object.
 */
export abstract class KernelObject {
  abstract readonly objectType: string;
  /** Stable id, for traces. */
  readonly objectId = nextId("object");
  /**
   * References held by pointers (ObReferenceObject), including one per handle. A new object
   * has none: whoever keeps it takes a reference (a handle does so when it is created).
   */
  pointerCount = 0;
  /** Open handles, across every process. */
  handleCount = 0;
  /** Object name, if it has one. */
  objectName: string | null = null;
  /**
   * Set once the object is deleted (its last reference gone); a deleted object must not be used.
   */
  deleted = false;

  /** The dispatcher header to wait on, for waitable objects. */
  waitable(): DispatcherHeader | null {
    return null;
  }

  /** A short name for traces and messages. */
  get label(): string {
    return this.objectName ?? `${this.objectType}#${this.objectId}`;
  }

  /** Runs when a handle to this object is closed (ObpDecrementHandleCount). */
  closeProcedure?(info: { processHandleCount: number; systemHandleCount: number; process: unknown }): MaybePromise<void>;

  /** Runs when the last reference goes (the type's delete procedure). */
  deleteProcedure?(): MaybePromise<void>;
}


/**
 * The object each object body belongs to, for object types whose body is a structure of its own
 * (an event object's KEVENT): how Ob routines given the body find the object (NT's
 * OBJECT_TO_OBJECT_HEADER). Weak, so a body keeps nothing alive.
 */
export const objectBodies = new WeakMap<object, KernelObject>();
